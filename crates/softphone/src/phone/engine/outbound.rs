//! Calls this agent places: the offer made on a side task, `place_call` and its reply,
//! Meta's answer applied, the customer's phone ringing and picking up.

use std::sync::Arc;

use protocol::{ClientMessage, PlaceCall, RemoteAnswer, ReplyResult, Timestamp};

use crate::call::{Call, CallEvent, Direction};
use crate::clock::Clock;
use crate::media::{MediaSession, MediaStack, SharedPlayout};
use crate::phone::calls::{Note, PhoneCall};
use crate::phone::commands::PlaceReply;
use crate::phone::{PhoneError, PhoneEvent};

use super::{snake, Audio, Engine, Pending};

/// Answers kept for calls whose `place_call` reply has not come (a bound, not an expectation:
/// one agent places one call at a time).
const MAX_EARLY_ANSWERS: usize = 8;

/// An offer made for `place_call`, back from its side task.
pub(crate) struct Offered {
    conversation_id: String,
    serial: u32,
    reply: PlaceReply,
    made: Result<(Arc<dyn MediaSession>, String), String>,
    playout: Option<SharedPlayout>,
}

/// A `place_call` sent, waiting for the platform's call id.
pub(crate) struct Placing {
    conversation_id: String,
    serial: u32,
    reply: PlaceReply,
    session: Arc<dyn MediaSession>,
    playout: Option<SharedPlayout>,
}

impl std::fmt::Debug for Placing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Placing")
            .field("conversation_id", &self.conversation_id)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Start placing a call: audio now, the offer (peer connection, gathering) on a side task
    /// so the loop goes on meanwhile.
    pub(super) fn place_call(&mut self, conversation_id: String, reply: PlaceReply) {
        if !self.connected {
            let _ = reply.send(Err(PhoneError::NotConnected));
            return;
        }
        if let Err(e) = protocol::ConversationId::new(conversation_id.as_str()) {
            let message = format!("conversation id {conversation_id:?}: {e}");
            let _ = reply.send(Err(PhoneError::Invalid(message)));
            return;
        }
        self.calls.offered += 1;
        let serial = self.calls.offered;
        let (audio, playout) = match self.call_audio(serial) {
            Ok(prepared) => prepared,
            Err(message) => {
                let _ = reply.send(Err(PhoneError::Media(format!(
                    "no audio for the call: {message}"
                ))));
                return;
            }
        };
        let stack = self.stack.clone();
        let offers = self.offers.clone();
        tokio::spawn(async move {
            let made = stack
                .offer(audio)
                .await
                .map(|(session, sdp)| (Arc::<dyn MediaSession>::from(session), sdp))
                .map_err(|e| e.to_string());
            let offered = Offered {
                conversation_id,
                serial,
                reply,
                made,
                playout,
            };
            let _ = offers.send(offered).await;
        });
    }

    /// The offer is ready: send `place_call` with it.
    pub(super) async fn on_offered(&mut self, offered: Offered) {
        let Offered {
            conversation_id,
            serial,
            reply,
            made,
            playout,
        } = offered;
        let (session, sdp) = match made {
            Ok(made) => made,
            Err(message) => {
                let _ = reply.send(Err(PhoneError::Media(message)));
                return;
            }
        };
        let built = protocol::Sdp::new(sdp)
            .map_err(|e| PhoneError::Media(format!("our offer is not a valid SDP: {e}")))
            .and_then(|sdp_offer| {
                protocol::ConversationId::new(conversation_id.as_str())
                    .map(|id| (id, sdp_offer))
                    .map_err(|e| PhoneError::Invalid(e.to_string()))
            });
        let sent = built.and_then(|(id, sdp_offer)| {
            self.request(|request_id| {
                ClientMessage::PlaceCall(PlaceCall {
                    request_id,
                    conversation_id: id,
                    sdp_offer,
                })
            })
        });
        match sent {
            Ok(key) => {
                let placing = Placing {
                    conversation_id,
                    serial,
                    reply,
                    session,
                    playout,
                };
                self.pending.insert(key, Pending::Place(Box::new(placing)));
            }
            Err(e) => {
                session.close().await;
                let _ = reply.send(Err(e));
            }
        }
    }

    /// The platform's answer to `place_call`: the call exists (dialing), or the refusal.
    pub(super) async fn on_place_reply(&mut self, placing: Placing, result: ReplyResult) {
        let Placing {
            conversation_id,
            serial,
            reply,
            session,
            playout,
        } = placing;
        let call_id = match result {
            ReplyResult::Ok { call_id: Some(id) } => id.to_string(),
            ReplyResult::Ok { call_id: None } => {
                self.forget_early_answers_if_idle();
                session.close().await;
                let _ = reply.send(Err(PhoneError::BadResponse(
                    "place_call succeeded but the reply names no call id".into(),
                )));
                return;
            }
            ReplyResult::Error(e) => {
                self.forget_early_answers_if_idle();
                session.close().await;
                let _ = reply.send(Err(PhoneError::Refused {
                    code: snake(&e.code),
                    message: e.message,
                }));
                return;
            }
        };
        let now = self.calls.clock.now();
        let uses_devices = playout.is_some();
        self.calls.by_id.insert(
            call_id.clone(),
            PhoneCall {
                serial,
                call: Call::dial(now),
                session,
                playout: playout.clone(),
                uses_devices,
                // The platform knows the call as this agent's: leaving it is a hang-up.
                answer_sent: true,
                media_started: false,
                media_reported: false,
                accept_reply: None,
                recorder: None,
            },
        );
        if let (Audio::Devices(devices), Some(playout)) = (&self.audio, playout) {
            devices.activate(&call_id, playout).await;
        }
        let _ = reply.send(Ok(call_id.clone()));
        self.emit(PhoneEvent::Dialing {
            call_id: call_id.clone(),
            conversation_id,
        })
        .await;
        // An answer that overtook the reply.
        let early = std::mem::take(&mut self.early_answers);
        let (mine, others): (Vec<_>, Vec<_>) = early
            .into_iter()
            .partition(|a| a.call_id.as_str() == call_id);
        self.early_answers = others;
        self.forget_early_answers_if_idle();
        for answer in mine {
            self.on_remote_answer(answer);
        }
    }

    /// Kept answers can only be for a `place_call` still awaiting its reply.
    pub(super) fn forget_early_answers_if_idle(&mut self) {
        if !self
            .pending
            .values()
            .any(|p| matches!(p, Pending::Place(_)))
        {
            self.early_answers.clear();
        }
    }

    /// Signaling dropped before the platform answered `place_call`.
    pub(super) async fn placing_lost(&mut self, placing: Placing) {
        placing.session.close().await;
        let _ = placing.reply.send(Err(PhoneError::Signaling(
            "the connection to the platform dropped before it answered place_call; \
             if the call was placed, the platform ends it"
                .into(),
        )));
    }

    /// Meta's answer to our offer: apply it and bring the transport up on a side task.
    pub(super) fn on_remote_answer(&mut self, answer: RemoteAnswer) {
        let call_id = answer.call_id.to_string();
        let Some(entry) = self.calls.by_id.get(&call_id) else {
            let placing = self
                .pending
                .values()
                .any(|p| matches!(p, Pending::Place(_)));
            if placing && self.early_answers.len() < MAX_EARLY_ANSWERS {
                tracing::info!(call_id, "remote_answer before place_call's reply: kept");
                self.early_answers.push(answer);
            } else {
                tracing::warn!(call_id, "remote_answer for a call this phone does not hold");
            }
            return;
        };
        let (session, serial, notes) = (entry.session.clone(), entry.serial, self.notes.clone());
        tokio::spawn(async move {
            let note = match session.apply_answer(answer.sdp_answer.as_str()).await {
                Err(e) => Note::MediaFailed {
                    call_id,
                    message: format!("Meta's answer could not be applied: {e}"),
                },
                Ok(()) => match session.connected().await {
                    Ok(()) => Note::TransportUp { call_id },
                    Err(e) => Note::MediaFailed {
                        call_id,
                        message: e.to_string(),
                    },
                },
            };
            let _ = notes.send((serial, note)).await;
        });
    }

    /// The customer's phone rings (`accepted_at` is `None`) or the customer picked up.
    /// Only for calls this agent placed (an inbound call's own `accepted` is not news).
    pub(super) async fn remote_progress(&mut self, call_id: &str, accepted_at: Option<Timestamp>) {
        let outbound = self
            .calls
            .by_id
            .get(call_id)
            .is_some_and(|c| c.call.direction() == Direction::Outbound);
        if !outbound {
            return;
        }
        let call_id = call_id.to_owned();
        match accepted_at {
            None => {
                // A late `ringing` after the pickup is refused by the machine: no event.
                if self
                    .calls
                    .apply(&call_id, CallEvent::RemoteRinging)
                    .is_some()
                {
                    self.emit(PhoneEvent::RemoteRinging { call_id }).await;
                }
            }
            Some(at) => {
                // `start_media` (just before) may have moved the call on already.
                let _ = self.calls.apply(&call_id, CallEvent::RemoteAccepted);
                self.emit(PhoneEvent::RemoteAccepted { call_id, at }).await;
            }
        }
    }
}
