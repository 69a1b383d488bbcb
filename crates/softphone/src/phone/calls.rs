//! The engine's calls: the typed state machine ([`crate::call`]) plus each call's media, and
//! the pure rules for what a user command does to a call.

use std::collections::HashMap;
use std::sync::Arc;

use crate::call::{Call, CallEvent, Phase};
use crate::clock::{Clock, MonotonicClock};
use crate::media::{MediaSession, SharedPlayout};

use super::commands::Reply;
use super::PhoneError;

/// One call the engine knows about.
pub(crate) struct PhoneCall {
    /// Which offer of the call this is: a call offered again (after a lost accept) gets a new
    /// one, so notes from the old offer's media work are not taken for the new one's.
    pub serial: u32,
    pub call: Call,
    pub session: Arc<dyn MediaSession>,
    /// The call's playout for the speaker (device plan only).
    pub playout: Option<SharedPlayout>,
    /// The devices were opened for this call (device plan, once accepted).
    pub uses_devices: bool,
    /// `accept_call` went out: the platform knows the call as accepted.
    pub answer_sent: bool,
    /// The platform sent `start_media`: levels are reported from now on.
    pub media_started: bool,
    /// `MediaConnected` was emitted.
    pub media_reported: bool,
    /// Who waits for the accept to be sent.
    pub accept_reply: Option<Reply>,
    /// The call's recording, when the platform asked for one.
    pub recorder: Option<Arc<crate::recording::CallRecorder>>,
}

/// Notes from per-call background work back to the engine's loop.
#[derive(Debug)]
pub(crate) enum Note {
    /// The SDP answer is ready (gathering done): send `accept_call`.
    AnswerReady { call_id: String, sdp: String },
    /// ICE + DTLS are up: send `media_ready`.
    TransportUp { call_id: String },
    /// The first audio from the customer arrived.
    Heard { call_id: String },
    /// Media failed (answer, transport); the message says why.
    MediaFailed { call_id: String, message: String },
    /// The call's media ended: how it sounded, for the platform's record (the call itself
    /// is usually gone by now).
    Quality {
        call_id: String,
        quality: protocol::CallQuality,
    },
}

impl Note {
    pub fn call_id(&self) -> &str {
        match self {
            Note::AnswerReady { call_id, .. }
            | Note::TransportUp { call_id }
            | Note::Heard { call_id }
            | Note::MediaFailed { call_id, .. }
            | Note::Quality { call_id, .. } => call_id,
        }
    }
}

/// A note with the serial of the offer whose media work sent it.
pub(crate) type Tagged = (u32, Note);

/// All calls by id, with the clock their state machines run on.
pub(crate) struct Calls {
    pub clock: MonotonicClock,
    pub by_id: HashMap<String, PhoneCall>,
    /// Calls offered so far (the per-call audio plan numbers them).
    pub offered: u32,
}

impl Calls {
    pub fn new() -> Self {
        Self {
            clock: MonotonicClock::new(),
            by_id: HashMap::new(),
            offered: 0,
        }
    }

    /// Apply an event to a call's state machine; a refused transition is logged, not fatal
    /// (events from the network may arrive late or twice).
    pub fn apply(&mut self, call_id: &str, event: CallEvent) -> Option<Phase> {
        let now = self.clock.now();
        let entry = self.by_id.get_mut(call_id)?;
        match entry.call.apply(event, now) {
            Ok(phase) => Some(phase),
            Err(e) => {
                tracing::debug!(call_id, error = %e, "call event ignored");
                None
            }
        }
    }

    /// Remove a call and give back its talk time in seconds; the caller closes its media.
    pub fn remove(&mut self, call_id: &str) -> Option<(PhoneCall, f64)> {
        let now = self.clock.now();
        let entry = self.by_id.remove(call_id)?;
        let talk = entry.call.talk_time(now).as_secs_f64();
        Some((entry, talk))
    }

    pub fn any_media(&self) -> bool {
        self.by_id.values().any(|c| c.media_started)
    }

    pub fn any_using_devices(&self) -> bool {
        self.by_id.values().any(|c| c.uses_devices)
    }
}

/// What the owner asked to do with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserAction {
    Accept,
    Reject,
    HangUp,
}

/// The state-machine event a user action means for a call in `phase`, or why it is refused:
/// only a ringing call can be accepted or rejected; hanging up a ringing call rejects it.
pub(crate) fn user_event(
    action: UserAction,
    call_id: &str,
    phase: Phase,
) -> Result<CallEvent, PhoneError> {
    let refuse = |action: &'static str| PhoneError::InvalidState {
        call_id: call_id.to_owned(),
        phase: phase.to_string(),
        action,
    };
    match (action, phase) {
        (_, Phase::Ended | Phase::Idle) => Err(PhoneError::CallEnded(call_id.to_owned())),
        (UserAction::Accept, Phase::Ringing) => Ok(CallEvent::Answer),
        (UserAction::Accept, _) => Err(refuse("accept")),
        (UserAction::Reject | UserAction::HangUp, Phase::Ringing) => Ok(CallEvent::Reject),
        (UserAction::Reject, _) => Err(refuse("reject")),
        (UserAction::HangUp, _) => Ok(CallEvent::Hangup),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MonoTime;

    #[test]
    fn only_a_ringing_call_is_accepted_or_rejected_and_hanging_up_a_ringing_call_rejects_it() {
        use UserAction::*;
        assert_eq!(
            user_event(Accept, "c", Phase::Ringing),
            Ok(CallEvent::Answer)
        );
        assert_eq!(
            user_event(Reject, "c", Phase::Ringing),
            Ok(CallEvent::Reject)
        );
        assert_eq!(
            user_event(HangUp, "c", Phase::Ringing),
            Ok(CallEvent::Reject)
        );
        assert_eq!(
            user_event(HangUp, "c", Phase::Active),
            Ok(CallEvent::Hangup)
        );
        assert_eq!(
            user_event(HangUp, "c", Phase::Answering),
            Ok(CallEvent::Hangup)
        );
        let e = user_event(Accept, "c", Phase::Connecting).unwrap_err();
        assert_eq!(e.code(), "invalid_state");
        assert!(e.to_string().contains("connecting"), "{e}");
        assert_eq!(
            user_event(Reject, "c", Phase::Active).unwrap_err().code(),
            "invalid_state"
        );
        assert_eq!(
            user_event(HangUp, "c", Phase::Ended).unwrap_err(),
            PhoneError::CallEnded("c".into())
        );
    }

    #[test]
    fn every_event_user_event_gives_is_accepted_by_the_state_machine() {
        // From each phase an inbound call can be in, the event chosen is a legal transition.
        let t = MonoTime::from_millis(1);
        let ringing = Call::offered(t);
        let mut answering = ringing.clone();
        answering.apply(CallEvent::Answer, t).unwrap();
        let mut connecting = answering.clone();
        connecting.apply(CallEvent::AnswerSent, t).unwrap();
        let mut active = connecting.clone();
        active.apply(CallEvent::MediaConnected, t).unwrap();
        for call in [ringing, answering, connecting, active] {
            for action in [UserAction::Accept, UserAction::Reject, UserAction::HangUp] {
                if let Ok(event) = user_event(action, "c", call.phase()) {
                    let mut c = call.clone();
                    assert!(
                        c.apply(event, t).is_ok(),
                        "{action:?} in {} gave {event:?}, refused",
                        call.phase()
                    );
                }
            }
        }
    }
}
