//! The agent's calls: the typed state machine plus the media session of each.

use std::collections::HashMap;
use std::sync::Arc;

use crate::call::{Call, CallEvent, Phase};
use crate::clock::{Clock, MonotonicClock};
use crate::media::MediaSession;

/// One call the agent knows about.
pub(crate) struct AgentCall {
    pub call: Call,
    pub session: Arc<dyn MediaSession>,
    /// `media_connected` was reported.
    pub media_reported: bool,
}

/// Notes from per-call background work back to the agent's loop.
#[derive(Debug)]
pub(crate) enum Note {
    /// The SDP answer is ready (gathering done): send `accept_call`.
    AnswerReady { call_id: String, sdp: String },
    /// ICE + DTLS are up: send `media_ready`.
    TransportUp { call_id: String },
    /// The first audio from the customer was decoded.
    Heard { call_id: String },
    /// Media failed (answer, transport); the message says why.
    MediaFailed { call_id: String, message: String },
}

/// All calls by id, with the clock their state machines run on.
pub(crate) struct Calls {
    pub clock: MonotonicClock,
    pub by_id: HashMap<String, AgentCall>,
    /// Calls started so far (names the recordings).
    pub started: u32,
}

impl Calls {
    pub fn new() -> Self {
        Self {
            clock: MonotonicClock::new(),
            by_id: HashMap::new(),
            started: 0,
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

    /// Remove a call and give back its talk time; the media session is closed by the caller.
    pub fn remove(&mut self, call_id: &str) -> Option<(AgentCall, f64)> {
        let now = self.clock.now();
        let entry = self.by_id.remove(call_id)?;
        let talk = entry.call.talk_time(now).as_secs_f64();
        Some((entry, talk))
    }
}
