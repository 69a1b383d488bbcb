//! The call state machine, as a pure value.
//!
//! ```text
//! inbound:   idle → ringing → answering → connecting → active → ended
//! outbound:  idle → dialing → remote_ringing → connecting → active → ended
//!                   (dialing → connecting directly when "accepted" overtakes "ringing")
//! ```
//! Any live state can end (with a reason that fits it). "Idle" is the absence of a call: the agent
//! engine holds an `Option<Call>`, and [`Phase::of`] reports `Idle` for `None`.
//!
//! Two layers: the typed states ([`Ringing`], [`Answering`], …, [`Active`]) make illegal paths
//! unrepresentable at compile time; [`Call`] wraps them for the event-driven driver, where events
//! arrive from the network at any time, and refuses an event that does not fit with a
//! [`TransitionError`] (never a panic), leaving the call unchanged. Time is always passed in
//! ([`MonoTime`]), never read.

mod end;
mod error;
mod states;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

pub use end::{EndReason, Ended, FailureCause};
pub use error::TransitionError;
pub use states::{Active, Answering, Connecting, Dialing, RemoteRinging, Ringing};

use crate::clock::MonoTime;

/// Who placed the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The customer called the business (user-initiated).
    Inbound,
    /// The agent called the customer (business-initiated).
    Outbound,
}

/// The name of a state, for display, logs and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Idle,
    Ringing,
    Answering,
    Dialing,
    RemoteRinging,
    Connecting,
    Active,
    Ended,
}

impl Phase {
    /// The phase of an agent's line: `Idle` when there is no call.
    pub fn of(call: Option<&Call>) -> Phase {
        call.map_or(Phase::Idle, Call::phase)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Idle => "idle",
            Phase::Ringing => "ringing",
            Phase::Answering => "answering",
            Phase::Dialing => "dialing",
            Phase::RemoteRinging => "remote_ringing",
            Phase::Connecting => "connecting",
            Phase::Active => "active",
            Phase::Ended => "ended",
        })
    }
}

/// Something that happened to a call, from the agent, the platform or the media path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallEvent {
    /// The agent accepted a ringing call.
    Answer,
    /// The agent rejected a ringing call.
    Reject,
    /// The SDP answer for an inbound call was sent.
    AnswerSent,
    /// The customer's phone rings (outbound).
    RemoteRinging,
    /// The customer picked up (outbound).
    RemoteAccepted,
    /// The customer declined (outbound).
    RemoteRejected,
    /// Media started flowing.
    MediaConnected,
    /// The agent hung up or cancelled.
    Hangup,
    /// The other side (customer or Meta) ended the call.
    RemoteHangup,
    /// The timer of the current state ran out (ring timeout, accept window, connect timeout).
    Timeout,
    /// Something broke.
    Failed(FailureCause),
}

impl fmt::Display for CallEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallEvent::Answer => "answer",
            CallEvent::Reject => "reject",
            CallEvent::AnswerSent => "send the answer for",
            CallEvent::RemoteRinging => "report remote ringing for",
            CallEvent::RemoteAccepted => "report remote acceptance of",
            CallEvent::RemoteRejected => "report remote rejection of",
            CallEvent::MediaConnected => "connect media for",
            CallEvent::Hangup => "hang up",
            CallEvent::RemoteHangup => "report remote hang-up of",
            CallEvent::Timeout => "time out",
            CallEvent::Failed(_) => "fail",
        })
    }
}

/// One call in one of its states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Ringing(Ringing),
    Answering(Answering),
    Dialing(Dialing),
    RemoteRinging(RemoteRinging),
    Connecting(Connecting),
    Active(Active),
    Ended(Ended),
}

impl Call {
    /// A new inbound call offered at `now`.
    pub fn offered(now: MonoTime) -> Call {
        Call::Ringing(Ringing::offered(now))
    }

    /// A new outbound call dialled at `now`.
    pub fn dial(now: MonoTime) -> Call {
        Call::Dialing(Dialing::dial(now))
    }

    pub fn phase(&self) -> Phase {
        match self {
            Call::Ringing(_) => Phase::Ringing,
            Call::Answering(_) => Phase::Answering,
            Call::Dialing(_) => Phase::Dialing,
            Call::RemoteRinging(_) => Phase::RemoteRinging,
            Call::Connecting(_) => Phase::Connecting,
            Call::Active(_) => Phase::Active,
            Call::Ended(_) => Phase::Ended,
        }
    }

    pub fn direction(&self) -> Direction {
        match self {
            Call::Ringing(_) | Call::Answering(_) => Direction::Inbound,
            Call::Dialing(_) | Call::RemoteRinging(_) => Direction::Outbound,
            Call::Connecting(c) => c.direction(),
            Call::Active(a) => a.direction(),
            Call::Ended(e) => e.direction,
        }
    }

    /// The record of a finished call, if it has finished.
    pub fn ended(&self) -> Option<&Ended> {
        match self {
            Call::Ended(e) => Some(e),
            _ => None,
        }
    }

    /// Talk time so far (for the in-call bar): zero until media connects, frozen once ended.
    pub fn talk_time(&self, now: MonoTime) -> Duration {
        match self {
            Call::Active(a) => now - a.connected_at(),
            Call::Ended(e) => e.duration(),
            _ => Duration::ZERO,
        }
    }

    /// Applies `event` at `now`. On refusal the call is unchanged and the error says why.
    pub fn apply(&mut self, event: CallEvent, now: MonoTime) -> Result<Phase, TransitionError> {
        let next = self.next(event, now)?;
        *self = next;
        Ok(self.phase())
    }

    fn next(&self, event: CallEvent, now: MonoTime) -> Result<Call, TransitionError> {
        use CallEvent as E;
        let refuse = |why: &'static str| TransitionError::Illegal {
            phase: self.phase(),
            event,
            why,
        };
        Ok(match (self.clone(), event) {
            (Call::Ended(_), _) => return Err(TransitionError::AlreadyEnded { event }),

            (Call::Ringing(s), E::Answer) => Call::Answering(s.answer()),
            (Call::Ringing(s), E::Reject) => Call::Ended(s.reject(now)),
            (Call::Ringing(s), E::Timeout) => Call::Ended(s.timeout(now)),
            (Call::Ringing(s), E::RemoteHangup) => Call::Ended(s.remote_hangup(now)),
            (Call::Ringing(s), E::Failed(c)) => Call::Ended(s.fail(c, now)),
            (Call::Ringing(_), E::Hangup) => {
                return Err(refuse("a ringing call is rejected, not hung up"))
            }
            (Call::Ringing(_), _) => return Err(refuse("the agent has not answered yet")),

            (Call::Answering(s), E::AnswerSent) => Call::Connecting(s.answer_sent()),
            (Call::Answering(s), E::Hangup) => Call::Ended(s.hangup(now)),
            (Call::Answering(s), E::RemoteHangup) => Call::Ended(s.remote_hangup(now)),
            (Call::Answering(s), E::Timeout) => Call::Ended(s.timeout(now)),
            (Call::Answering(s), E::Failed(c)) => Call::Ended(s.fail(c, now)),
            (Call::Answering(_), E::Answer | E::Reject) => {
                return Err(refuse("the agent has already answered"))
            }
            (Call::Answering(_), _) => return Err(refuse("the SDP answer has not been sent yet")),

            (Call::Dialing(s), E::RemoteRinging) => Call::RemoteRinging(s.remote_ringing()),
            (Call::Dialing(s), E::RemoteAccepted) => Call::Connecting(s.remote_accepted()),
            (Call::Dialing(s), E::RemoteRejected) => Call::Ended(s.remote_rejected(now)),
            (Call::Dialing(s), E::Hangup) => Call::Ended(s.hangup(now)),
            (Call::Dialing(s), E::RemoteHangup) => Call::Ended(s.remote_hangup(now)),
            (Call::Dialing(s), E::Timeout) => Call::Ended(s.timeout(now)),
            (Call::Dialing(s), E::Failed(c)) => Call::Ended(s.fail(c, now)),
            (Call::Dialing(_), E::Answer | E::Reject | E::AnswerSent) => {
                return Err(refuse("an outbound call is answered by the customer"))
            }
            (Call::Dialing(_), _) => return Err(refuse("the customer has not answered yet")),

            (Call::RemoteRinging(s), E::RemoteAccepted) => Call::Connecting(s.remote_accepted()),
            (Call::RemoteRinging(s), E::RemoteRejected) => Call::Ended(s.remote_rejected(now)),
            (Call::RemoteRinging(s), E::Hangup) => Call::Ended(s.hangup(now)),
            (Call::RemoteRinging(s), E::RemoteHangup) => Call::Ended(s.remote_hangup(now)),
            (Call::RemoteRinging(s), E::Timeout) => Call::Ended(s.timeout(now)),
            (Call::RemoteRinging(s), E::Failed(c)) => Call::Ended(s.fail(c, now)),
            (Call::RemoteRinging(_), E::RemoteRinging) => {
                return Err(refuse("the customer's phone is already ringing"))
            }
            (Call::RemoteRinging(_), E::Answer | E::Reject | E::AnswerSent) => {
                return Err(refuse("an outbound call is answered by the customer"))
            }
            (Call::RemoteRinging(_), _) => return Err(refuse("the customer has not answered yet")),

            (Call::Connecting(s), E::MediaConnected) => Call::Active(s.media_connected(now)),
            (Call::Connecting(s), E::Hangup) => Call::Ended(s.hangup(now)),
            (Call::Connecting(s), E::RemoteHangup) => Call::Ended(s.remote_hangup(now)),
            (Call::Connecting(s), E::Timeout) => Call::Ended(s.timeout(now)),
            (Call::Connecting(s), E::Failed(c)) => Call::Ended(s.fail(c, now)),
            (Call::Connecting(_), _) => {
                return Err(refuse("the call is already answered; media is connecting"))
            }

            (Call::Active(s), E::Hangup) => Call::Ended(s.hangup(now)),
            (Call::Active(s), E::RemoteHangup) => Call::Ended(s.remote_hangup(now)),
            (Call::Active(s), E::Failed(c)) => Call::Ended(s.fail(c, now)),
            (Call::Active(_), E::Timeout) => {
                return Err(refuse(
                    "an active call has no timer; report lost media as a failure",
                ))
            }
            (Call::Active(_), _) => return Err(refuse("the call is already connected")),
        })
    }
}
