//! The rules Meta enforces, as a pure state machine over injected time.
//!
//! Nothing here does I/O or reads a clock: every operation takes `now` and returns either a
//! [`Refusal`] (what Meta's Graph API would answer) or the [`Event`]s (webhooks) it causes. The
//! HTTP server is a thin driver around [`MetaRules`].

pub mod call;
pub mod event;
pub mod ids;
pub mod ledger;
mod meta_rules;
pub mod refusal;
pub mod sdp_check;
pub mod settings;

pub use call::{Call, CallEnd, CallPhase, Customer, Direction};
pub use event::{CallRef, CallStatus, Event, ReplySource, SdpType, TerminateError};
pub use ledger::{LedgerLimits, Permission, PermissionAnswer, PermissionLedger, PermissionView};
pub use meta_rules::{MetaRules, RulesConfig};
pub use refusal::Refusal;

#[cfg(test)]
mod meta_rules_tests;
