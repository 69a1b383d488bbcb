//! Refusals of the call state machine.

use super::{CallEvent, Phase};

/// An event that the call's current state cannot accept. The call is left unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {event} a call that is {phase}: {why}")]
    Illegal {
        phase: Phase,
        event: CallEvent,
        why: &'static str,
    },
    #[error("cannot {event}: the call has already ended")]
    AlreadyEnded { event: CallEvent },
}
