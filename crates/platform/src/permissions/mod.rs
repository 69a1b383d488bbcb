//! WhatsApp call permissions and limits per business number + customer (PRODUCT.md "Call
//! permissions and limits"), as a pure [`PermissionLedger`] over injected time.
//!
//! The server feeds it events (messages, requests, replies, calls) and asks it before sending
//! anything to Meta: a call or request the rules forbid is refused here, with the reason and,
//! where one exists, the date from which it becomes possible.

mod ledger;
mod limits;
mod refusal;
mod state;
#[cfg(test)]
mod tests;

pub use ledger::{Grant, PermissionEvent, PermissionLedger};
pub use limits::{PermissionLimits, DAY, WEEK};
pub use refusal::{CallRefusal, RequestRefusal};
