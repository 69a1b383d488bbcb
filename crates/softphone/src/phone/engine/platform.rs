//! The platform's side: connects and disconnects, the `hello` snapshot, call messages and
//! replies.

use std::sync::Arc;

use protocol::{CallState, ClientMessage, IncomingCall, ServerMessage};

use crate::call::{Call, CallEvent, FailureCause, Phase};
use crate::clock::Clock;
use crate::media::{MediaSession, MediaStack};
use crate::phone::calls::{Note, PhoneCall};
use crate::phone::mapping::{cancel_ending, update_ending, Ending};
use crate::phone::{ConnectionStatus, EndReason, IncomingCallInfo, PhoneError, PhoneEvent};
use crate::signaling::{SignalingError, SignalingEvent};

use super::{snake, Audio, Engine, Pending};

impl Engine {
    // ---- signaling -----------------------------------------------------------------------

    pub(super) async fn on_signaling(&mut self, event: SignalingEvent) {
        match event {
            SignalingEvent::Connected(hello) => self.on_hello(*hello).await,
            SignalingEvent::Message(message) => self.on_message(*message).await,
            SignalingEvent::BadMessage(e) => self.error(None, "bad_message", e.to_string()).await,
            SignalingEvent::Disconnected { error, retry_in } => {
                self.connected = false;
                // Replies to requests sent on the lost connection will never come.
                let lost: Vec<Pending> = self.pending.drain().map(|(_, p)| p).collect();
                self.early_answers.clear();
                for pending in lost {
                    match pending {
                        Pending::Presence { reply, .. } | Pending::Ask { reply } => {
                            let _ = reply.send(Err(PhoneError::NotConnected));
                        }
                        Pending::Place(placing) => self.placing_lost(*placing).await,
                        Pending::Call { .. } | Pending::Report { .. } => {}
                    }
                }
                let status = match error {
                    SignalingError::Unauthorized => ConnectionStatus::Unauthorized {
                        message: error.to_string(),
                    },
                    SignalingError::Certificate { .. } => ConnectionStatus::CertificateUntrusted {
                        message: error.to_string(),
                    },
                    _ => ConnectionStatus::Reconnecting {
                        reason: error.to_string(),
                        retry_in,
                    },
                };
                self.emit(PhoneEvent::Connection(status)).await;
            }
        }
    }

    pub(super) async fn on_hello(&mut self, hello: protocol::Hello) {
        self.connected = true;
        // Fresh TURN credentials with every hello; calls from now on use them.
        self.stack.config.ice_servers = hello.ice_servers.clone();
        if !hello.ice_servers.is_empty() {
            tracing::info!(servers = ?self.stack.config.ice_servers, "ICE servers from the platform");
        }
        self.recording
            .on_hello(hello.agent.id.as_str(), &self.events);
        self.emit(PhoneEvent::Connection(ConnectionStatus::Connected {
            agent_id: hello.agent.id.to_string(),
            display_name: hello.agent.display_name.clone(),
            presence: hello.presence,
            ringing: hello.ringing.len(),
            active: hello.active.len(),
        }))
        .await;
        let ringing: Vec<String> = hello
            .ringing
            .iter()
            .map(|c| c.call_id.to_string())
            .collect();
        let active: Vec<String> = hello.active.iter().map(|c| c.call_id.to_string()).collect();
        let held: Vec<(String, bool)> = self
            .calls
            .by_id
            .iter()
            .map(|(id, c)| (id.clone(), c.answer_sent))
            .collect();
        for (call_id, answer_sent) in held {
            if ringing.contains(&call_id) && answer_sent {
                // Our accept was lost with the old connection: the call rings again; offer
                // it afresh below.
                self.end_call(
                    &call_id,
                    CallEvent::Failed(FailureCause::SignalingRefused),
                    EndReason::Failed {
                        code: "accept_lost".into(),
                        message: "the accept did not reach the platform before the connection dropped; the call is offered again".into(),
                    },
                    None,
                )
                .await;
            } else if !ringing.contains(&call_id) && !active.contains(&call_id) {
                // Ended while we were away.
                self.end_call(
                    &call_id,
                    CallEvent::RemoteHangup,
                    EndReason::GoneAfterReconnect,
                    None,
                )
                .await;
            }
        }
        // A call the platform has us on that this phone does not hold (the app restarted, or
        // ended it while the platform could not hear): no media can exist for it here, so it
        // is hung up — otherwise the agent stays busy until Meta's terminate, if that ever
        // comes.
        for call_id in &active {
            if !self.calls.by_id.contains_key(call_id) {
                tracing::info!(
                    call_id,
                    "the platform lists a call this phone does not hold: hanging it up"
                );
                let sent = self.call_request(call_id, |request_id, call_id| {
                    ClientMessage::Hangup(protocol::Hangup {
                        request_id,
                        call_id,
                    })
                });
                if let Err(e) = sent {
                    tracing::debug!(call_id, error = %e, "could not hang up a call this phone does not hold");
                }
            }
        }
        if !hello.team.is_empty() {
            self.emit(PhoneEvent::TeamChanged {
                members: hello.team,
            })
            .await;
        }
        for incoming in hello.ringing {
            self.on_incoming(incoming).await;
        }
    }

    pub(super) async fn on_message(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::IncomingCall(incoming) => self.on_incoming(incoming).await,
            ServerMessage::CallCancelled(cancelled) => {
                let call_id = cancelled.call_id.to_string();
                if self.calls.by_id.contains_key(&call_id) {
                    self.emit(PhoneEvent::Cancelled {
                        call_id: call_id.clone(),
                        reason: cancelled.reason,
                    })
                    .await;
                    self.finish(&call_id, cancel_ending(cancelled.reason)).await;
                }
            }
            ServerMessage::StartMedia(start) => {
                let call_id = start.call_id.to_string();
                if let Some(entry) = self.calls.by_id.get_mut(&call_id) {
                    // A call we placed: the platform starts media at Meta's ACCEPTED and says
                    // `accepted` just after; the pickup is a fact from here on.
                    let outbound = entry.call.direction() == crate::call::Direction::Outbound;
                    if outbound
                        && matches!(entry.call.phase(), Phase::Dialing | Phase::RemoteRinging)
                    {
                        let now = self.calls.clock.now();
                        let _ = entry.call.apply(CallEvent::RemoteAccepted, now);
                    }
                    let first = !entry.media_started;
                    if first && start.record {
                        if let Some(recorder) = self.recording.start(&call_id) {
                            entry.session.record(recorder.clone());
                            entry.recorder = Some(recorder);
                        }
                    }
                    entry.session.start_media();
                    entry.media_started = true;
                    let session = entry.session.clone();
                    if first {
                        super::quality::watch(
                            session.clone(),
                            call_id.clone(),
                            self.events.clone(),
                            (self.notes.clone(), entry.serial),
                        );
                    }
                    let serial = entry.serial;
                    let notes = self.notes.clone();
                    tokio::spawn(async move {
                        if session.heard_packets(1).await.is_ok() {
                            let _ = notes.send((serial, Note::Heard { call_id })).await;
                        }
                    });
                }
            }
            ServerMessage::CallUpdate(update) => {
                let call_id = update.call_id.to_string();
                match update.state {
                    CallState::Ringing => self.remote_progress(&call_id, None).await,
                    CallState::Accepted { at } => self.remote_progress(&call_id, Some(at)).await,
                    state => {
                        if let Some(ending) = update_ending(&state) {
                            self.finish(&call_id, ending).await;
                        }
                    }
                }
            }
            ServerMessage::RemoteAnswer(answer) => self.on_remote_answer(answer),
            ServerMessage::PermissionChanged(changed) => {
                self.emit(PhoneEvent::PermissionChanged {
                    permission: Box::new(changed.permission),
                })
                .await;
            }
            ServerMessage::ConversationUpdated(updated) => {
                self.emit(PhoneEvent::ConversationUpdated {
                    conversation: Box::new(updated.conversation),
                })
                .await;
            }
            ServerMessage::TeamStatus(status) => {
                self.emit(PhoneEvent::TeamChanged {
                    members: status.members,
                })
                .await;
            }
            ServerMessage::Reply(reply) => {
                let pending = self.pending.remove(reply.request_id.as_str());
                match (reply.result, pending) {
                    (result, Some(Pending::Place(placing))) => {
                        self.on_place_reply(*placing, result).await;
                    }
                    (protocol::ReplyResult::Ok { .. }, Some(Pending::Ask { reply })) => {
                        let _ = reply.send(Ok(()));
                    }
                    (protocol::ReplyResult::Error(e), Some(Pending::Ask { reply })) => {
                        let _ = reply.send(Err(PhoneError::Refused {
                            code: snake(&e.code),
                            message: e.message,
                        }));
                    }
                    (
                        protocol::ReplyResult::Ok { .. },
                        Some(Pending::Presence { presence, reply }),
                    ) => {
                        let _ = reply.send(Ok(()));
                        self.emit(PhoneEvent::PresenceChanged { presence }).await;
                    }
                    (protocol::ReplyResult::Ok { .. }, _) => {}
                    (protocol::ReplyResult::Error(e), Some(Pending::Report { call_id })) => {
                        tracing::warn!(call_id, code = ?e.code, message = e.message, "the platform refused the call's quality summary");
                    }
                    (protocol::ReplyResult::Error(e), Some(Pending::Presence { reply, .. })) => {
                        let _ = reply.send(Err(PhoneError::Refused {
                            code: snake(&e.code),
                            message: e.message,
                        }));
                    }
                    (protocol::ReplyResult::Error(e), Some(Pending::Call { call_id })) => {
                        let message =
                            format!("request {} refused: {}", reply.request_id, e.message);
                        if self.calls.by_id.contains_key(&call_id) {
                            // A refused accept/media_ready leaves nothing to talk on.
                            self.finish(
                                &call_id,
                                Ending {
                                    event: CallEvent::Failed(FailureCause::SignalingRefused),
                                    reason: EndReason::Failed {
                                        code: "refused_by_platform".into(),
                                        message: message.clone(),
                                    },
                                    duration_secs: None,
                                    error: Some((snake(&e.code), message)),
                                },
                            )
                            .await;
                        } else {
                            self.error(Some(&call_id), &snake(&e.code), message).await;
                        }
                    }
                    (protocol::ReplyResult::Error(e), None) => {
                        let message =
                            format!("request {} refused: {}", reply.request_id, e.message);
                        self.error(None, &snake(&e.code), message).await;
                    }
                }
            }
            ServerMessage::Error(e) => self.error(None, &snake(&e.code), e.message).await,
            // The signaling client handles hello (as `Connected`) and pongs itself.
            ServerMessage::Hello(_) | ServerMessage::Pong(_) => {}
        }
    }

    /// A call rings: report it and prepare its media now, so accepting costs no set-up time.
    pub(super) async fn on_incoming(&mut self, incoming: IncomingCall) {
        let call_id = incoming.call_id.to_string();
        if self.calls.by_id.contains_key(&call_id) {
            return; // the same call again in a hello after a reconnect
        }
        self.emit(PhoneEvent::Incoming(IncomingCallInfo {
            call_id: call_id.clone(),
            customer_number: incoming.customer.number.to_string(),
            customer_name: incoming.customer.profile_name.clone(),
            business_number: incoming.business_number.to_string(),
            routed_because: incoming.routed_because,
            offered_at: chrono::Utc::now(),
            ring_deadline: incoming.ring_deadline,
        }))
        .await;
        self.calls.offered += 1;
        let (audio, playout) = match self.call_audio(self.calls.offered) {
            Ok(p) => p,
            Err(message) => return self.refuse_incoming(&call_id, "audio", message).await,
        };
        let session = match self.stack.prepare(incoming.sdp_offer.as_str(), audio).await {
            Ok(s) => Arc::<dyn MediaSession>::from(s),
            Err(e) => return self.refuse_incoming(&call_id, "media", e.to_string()).await,
        };
        let now = self.calls.clock.now();
        self.calls.by_id.insert(
            call_id,
            PhoneCall {
                serial: self.calls.offered,
                call: Call::offered(now),
                session,
                playout,
                uses_devices: false,
                answer_sent: false,
                media_started: false,
                media_reported: false,
                accept_reply: None,
                recorder: None,
            },
        );
    }

    /// The audio of call number `n` (both directions count): the plan's factory, or the
    /// devices' rings with the speaker's playout.
    pub(super) fn call_audio(
        &mut self,
        n: u32,
    ) -> Result<(crate::media::CallAudio, Option<crate::media::SharedPlayout>), String> {
        match &mut self.audio {
            Audio::PerCall(factory) => {
                let factory = match factory.get_mut() {
                    Ok(f) => f,
                    Err(poisoned) => poisoned.into_inner(),
                };
                factory(n).map(|a| (a, None))
            }
            Audio::Devices(devices) => devices.call_audio().map(|(a, p)| (a, Some(p))),
        }
    }

    /// A call that cannot be taken here (no audio, unusable offer): say why, reject it so the
    /// platform can route it on, and end it.
    pub(super) async fn refuse_incoming(&mut self, call_id: &str, code: &str, message: String) {
        self.error(Some(call_id), code, message.clone()).await;
        if let Err(e) = self.send_reject(call_id) {
            tracing::debug!(call_id, error = %e, "could not reject an unplayable call");
        }
        self.emit(PhoneEvent::Ended {
            call_id: call_id.to_owned(),
            reason: EndReason::Failed {
                code: code.to_owned(),
                message,
            },
            duration_secs: None,
            talk_secs: 0.0,
        })
        .await;
    }
}
