//! `ringdesk-agent`: the headless agent. Signs in to the platform, sets presence, answers
//! incoming calls (or lets them ring), talks through a tone or WAV file, records what it
//! hears, and prints one JSON line per event on stdout (see [`Report`]).
//!
//! One task owns everything ([`run`]): signaling events and notes from the per-call media
//! watchers arrive on channels and are handled in order, so no call state is shared between
//! tasks. Each call's progress is checked by the typed call state machine ([`crate::call`]).

mod calls;
mod error;
mod options;
mod report;
mod run;

pub use error::AgentError;
pub use options::{AgentOptions, VoiceChoice};
pub use report::{Report, Reporter};
pub use run::run;
