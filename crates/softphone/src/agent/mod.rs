//! `ringdesk-agent`: the headless agent. Signs in to the platform, sets presence, answers
//! incoming calls (or lets them ring), talks through a tone or WAV file, records what it
//! hears, and prints one JSON line per event on stdout (see [`Report`]).
//!
//! A thin consumer of [`crate::phone`]: [`run`] starts a [`crate::phone::Phone`] whose audio
//! plan builds each call's voice and recording from the options, turns its events into
//! [`Report`]s, and auto-answers by calling `accept` on every `Incoming` event. With
//! `--request-permission NUMBER` or `--call NUMBER` it also does that once signed in and
//! exits when done: a refusal is one `refused` line with the stable code, exit status 2.

mod action;
mod error;
mod options;
mod report;
mod run;

pub use error::AgentError;
pub use options::{Action, AgentOptions, VoiceChoice};
pub use report::{Report, Reporter};
pub use run::run;
