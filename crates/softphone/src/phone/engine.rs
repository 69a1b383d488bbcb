//! The engine task: commands from the owner, signaling events and notes from per-call media
//! work come in on channels and are handled one at a time, in order; [`PhoneEvent`]s go out.
//! No call state is shared with another task.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use protocol::{
    AcceptCall, ClientMessage, Hangup, IncomingCall, MediaReady, Presence, RejectCall, RequestId,
    ServerMessage, SetPresence,
};
use tokio::sync::mpsc;

use crate::call::{Call, CallEvent, FailureCause};
use crate::clock::Clock;
use crate::media::{MediaSession, MediaStack, WebRtcStack};
use crate::signaling::{SignalingClient, SignalingConfig, SignalingError, SignalingEvent};

use super::calls::{user_event, Calls, Note, PhoneCall, UserAction};
use super::commands::{Command, Phone, Reply};
use super::config::CallAudioFactory;
use super::devices::Devices;
use super::mapping::{cancel_ending, update_ending, Ending};
use super::{
    AudioPlan, ConnectionStatus, EndReason, IncomingCallInfo, PhoneConfig, PhoneError, PhoneEvent,
};

/// Room for events the owner has not read yet. `Levels` are dropped rather than wait when
/// the channel is more than half full; every other event waits.
const EVENTS_CAPACITY: usize = 1024;
const LEVELS_EVERY: Duration = Duration::from_millis(50);

/// What a request was for, so its reply can be routed.
#[derive(Debug)]
enum Pending {
    Presence { presence: Presence, reply: Reply },
    Call { call_id: String },
}

enum Audio {
    Devices(Devices),
    /// In a mutex only to make the engine `Sync` (the factory is called by this task alone).
    PerCall(std::sync::Mutex<CallAudioFactory>),
}

pub(crate) struct Engine {
    events: mpsc::Sender<PhoneEvent>,
    signaling: SignalingClient,
    connected: bool,
    stack: WebRtcStack,
    audio: Audio,
    calls: Calls,
    notes: mpsc::Sender<Note>,
    next_request: u64,
    /// Requests awaiting their reply, by request id.
    pending: HashMap<String, Pending>,
}

fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

impl Phone {
    /// Start the engine on the current tokio runtime: it connects to the platform (and keeps
    /// reconnecting) and reports everything on the returned channel. Refuses a configuration
    /// that can never work (bad URL or token characters, no runtime).
    pub fn start(config: PhoneConfig) -> Result<(Phone, mpsc::Receiver<PhoneEvent>), PhoneError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(PhoneError::Config(
                "Phone::start must be called inside a tokio runtime".into(),
            ));
        }
        let (signaling, signaling_events) =
            SignalingClient::start(SignalingConfig::new(&config.platform, &config.token))
                .map_err(|e| PhoneError::Config(e.to_string()))?;
        let (events, events_rx) = mpsc::channel(EVENTS_CAPACITY);
        let (commands, commands_rx) = mpsc::channel(64);
        let (notes, notes_rx) = mpsc::channel(64);
        let audio = match config.audio {
            AudioPlan::Devices { input, output } => {
                Audio::Devices(Devices::start(input, output, events.clone()))
            }
            AudioPlan::PerCall(factory) => Audio::PerCall(std::sync::Mutex::new(factory)),
        };
        let _ = events.try_send(PhoneEvent::Connection(ConnectionStatus::Connecting));
        let engine = Engine {
            events,
            signaling,
            connected: false,
            stack: WebRtcStack::new(config.media),
            audio,
            calls: Calls::new(),
            notes,
            next_request: 0,
            pending: HashMap::new(),
        };
        tokio::spawn(engine.run(commands_rx, signaling_events, notes_rx));
        Ok((Phone { commands }, events_rx))
    }
}

impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut signaling: mpsc::Receiver<SignalingEvent>,
        mut notes: mpsc::Receiver<Note>,
    ) {
        let mut levels = tokio::time::interval(LEVELS_EVERY);
        levels.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let done = loop {
            tokio::select! {
                command = commands.recv() => match command {
                    None => break None,
                    Some(Command::Shutdown { done }) => break Some(done),
                    Some(command) => self.on_command(command).await,
                },
                event = signaling.recv() => match event {
                    Some(event) => self.on_signaling(event).await,
                    None => break None,
                },
                Some(note) = notes.recv() => self.on_note(note).await,
                _ = levels.tick(), if self.calls.any_media() => self.on_levels().await,
            }
        };
        self.hang_up_all().await;
        self.signaling.shutdown();
        if let Audio::Devices(devices) = self.audio {
            devices.stop().await;
        }
        // The event channel closes when `self.events` drops here, after the last `Ended`.
        drop(self.events);
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    async fn emit(&self, event: PhoneEvent) {
        if self.events.send(event).await.is_err() {
            tracing::debug!("nobody reads the phone's events any more");
        }
    }

    async fn error(&self, call_id: Option<&str>, code: &str, message: String) {
        self.emit(PhoneEvent::Error {
            call_id: call_id.map(str::to_owned),
            code: code.to_owned(),
            message,
        })
        .await;
    }

    // ---- requests to the platform ----------------------------------------------------------

    /// Send a request built around a fresh request id; returns the id (the caller remembers
    /// what it was for: the reply cannot overtake it, this task handles both).
    fn request(
        &mut self,
        build: impl FnOnce(RequestId) -> ClientMessage,
    ) -> Result<String, PhoneError> {
        self.next_request += 1;
        let id = RequestId::new(format!("r-{}", self.next_request))
            .map_err(|e| PhoneError::Signaling(e.to_string()))?;
        let key = id.to_string();
        match self.signaling.send(&build(id)) {
            Ok(()) => Ok(key),
            Err(SignalingError::NotConnected) => Err(PhoneError::NotConnected),
            Err(e) => Err(PhoneError::Signaling(e.to_string())),
        }
    }

    /// A call-control request (its refusal ends the call if it is still here).
    fn call_request(
        &mut self,
        call_id: &str,
        build: impl FnOnce(RequestId, protocol::CallId) -> ClientMessage,
    ) -> Result<(), PhoneError> {
        let id = protocol::CallId::new(call_id)
            .map_err(|e| PhoneError::Signaling(format!("call id {call_id:?}: {e}")))?;
        let key = self.request(move |request_id| build(request_id, id))?;
        self.pending.insert(
            key,
            Pending::Call {
                call_id: call_id.to_owned(),
            },
        );
        Ok(())
    }

    fn send_reject(&mut self, call_id: &str) -> Result<(), PhoneError> {
        self.call_request(call_id, |request_id, call_id| {
            ClientMessage::RejectCall(RejectCall {
                request_id,
                call_id,
            })
        })
    }

    fn send_hangup(&mut self, call_id: &str) -> Result<(), PhoneError> {
        self.call_request(call_id, |request_id, call_id| {
            ClientMessage::Hangup(Hangup {
                request_id,
                call_id,
            })
        })
    }

    /// Tell the platform this agent is done with the call: a hang-up once it was accepted
    /// there, a rejection before.
    fn send_leave(&mut self, call_id: &str) -> Result<(), PhoneError> {
        let accepted = self.calls.by_id.get(call_id).is_some_and(|c| c.answer_sent);
        if accepted {
            self.send_hangup(call_id)
        } else {
            self.send_reject(call_id)
        }
    }

    // ---- commands ------------------------------------------------------------------------

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::SetPresence { presence, reply } => {
                let sent = self.request(|request_id| {
                    ClientMessage::SetPresence(SetPresence {
                        request_id,
                        presence,
                    })
                });
                match sent {
                    Ok(key) => {
                        self.pending
                            .insert(key, Pending::Presence { presence, reply });
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e));
                    }
                }
            }
            Command::Accept { call_id, reply } => self.accept(call_id, reply).await,
            Command::Reject { call_id, reply } => {
                let result = self.leave(&call_id, UserAction::Reject).await;
                let _ = reply.send(result);
            }
            Command::HangUp { call_id, reply } => {
                let result = self.leave(&call_id, UserAction::HangUp).await;
                let _ = reply.send(result);
            }
            Command::SetMuted {
                call_id,
                muted,
                reply,
            } => {
                let Some(entry) = self.calls.by_id.get(&call_id) else {
                    let _ = reply.send(Err(PhoneError::NoSuchCall(call_id)));
                    return;
                };
                entry.session.set_muted(muted);
                let _ = reply.send(Ok(()));
                self.emit(PhoneEvent::MuteChanged { call_id, muted }).await;
            }
            Command::SelectDevice {
                direction,
                choice,
                reply,
            } => match &self.audio {
                Audio::Devices(devices) => devices.select(direction, choice, reply).await,
                Audio::PerCall(_) => {
                    let _ = reply.send(Err(PhoneError::NoDevices));
                }
            },
            Command::ReconnectNow => self.signaling.reconnect_now(),
            Command::Shutdown { done } => {
                // Handled by the loop; kept total for the match.
                let _ = done.send(());
            }
        }
    }

    async fn accept(&mut self, call_id: String, reply: Reply) {
        let Some(entry) = self.calls.by_id.get(&call_id) else {
            let _ = reply.send(Err(PhoneError::NoSuchCall(call_id)));
            return;
        };
        if let Err(e) = user_event(UserAction::Accept, &call_id, entry.call.phase()) {
            let _ = reply.send(Err(e));
            return;
        }
        if !self.connected {
            let _ = reply.send(Err(PhoneError::NotConnected));
            return;
        }
        let session = entry.session.clone();
        let playout = entry.playout.clone();
        self.calls.apply(&call_id, CallEvent::Answer);
        if let Some(entry) = self.calls.by_id.get_mut(&call_id) {
            entry.accept_reply = Some(reply);
            entry.uses_devices = playout.is_some();
        }
        if let (Audio::Devices(devices), Some(playout)) = (&self.audio, playout) {
            devices.activate(&call_id, playout).await;
        }
        let notes = self.notes.clone();
        tokio::spawn(answer_and_connect(call_id, session, notes));
    }

    /// Reject or hang up: the call ends here at once; the result says whether the platform
    /// was told.
    async fn leave(&mut self, call_id: &str, action: UserAction) -> Result<(), PhoneError> {
        let entry = self
            .calls
            .by_id
            .get(call_id)
            .ok_or_else(|| PhoneError::NoSuchCall(call_id.to_owned()))?;
        let event = user_event(action, call_id, entry.call.phase())?;
        let sent = self.send_leave(call_id);
        let reason = match event {
            CallEvent::Reject => EndReason::Rejected {
                by: protocol::Party::Agent,
            },
            _ => EndReason::LocalHangup,
        };
        self.end_call(call_id, event, reason, None).await;
        sent
    }

    // ---- signaling -----------------------------------------------------------------------

    async fn on_signaling(&mut self, event: SignalingEvent) {
        match event {
            SignalingEvent::Connected(hello) => self.on_hello(*hello).await,
            SignalingEvent::Message(message) => self.on_message(*message).await,
            SignalingEvent::BadMessage(e) => self.error(None, "bad_message", e.to_string()).await,
            SignalingEvent::Disconnected { error, retry_in } => {
                self.connected = false;
                // Replies to requests sent on the lost connection will never come.
                for (_, pending) in self.pending.drain() {
                    if let Pending::Presence { reply, .. } = pending {
                        let _ = reply.send(Err(PhoneError::NotConnected));
                    }
                }
                let status = match error {
                    SignalingError::Unauthorized => ConnectionStatus::Unauthorized {
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

    async fn on_hello(&mut self, hello: protocol::Hello) {
        self.connected = true;
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
        for incoming in hello.ringing {
            self.on_incoming(incoming).await;
        }
    }

    async fn on_message(&mut self, message: ServerMessage) {
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
                    entry.session.start_media();
                    entry.media_started = true;
                    let session = entry.session.clone();
                    let notes = self.notes.clone();
                    tokio::spawn(async move {
                        if session.heard_packets(1).await.is_ok() {
                            let _ = notes.send(Note::Heard { call_id }).await;
                        }
                    });
                }
            }
            ServerMessage::CallUpdate(update) => {
                if let Some(ending) = update_ending(&update.state) {
                    self.finish(update.call_id.as_str(), ending).await;
                }
            }
            ServerMessage::Reply(reply) => {
                let pending = self.pending.remove(reply.request_id.as_str());
                match (reply.result, pending) {
                    (
                        protocol::ReplyResult::Ok { .. },
                        Some(Pending::Presence { presence, reply }),
                    ) => {
                        let _ = reply.send(Ok(()));
                        self.emit(PhoneEvent::PresenceChanged { presence }).await;
                    }
                    (protocol::ReplyResult::Ok { .. }, _) => {}
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
            // Business-initiated calls, permissions and conversations are not part of the
            // phone engine (yet).
            ServerMessage::Hello(_)
            | ServerMessage::Pong(_)
            | ServerMessage::RemoteAnswer(_)
            | ServerMessage::PermissionChanged(_)
            | ServerMessage::ConversationUpdated(_) => {}
        }
    }

    /// A call rings: report it and prepare its media now, so accepting costs no set-up time.
    async fn on_incoming(&mut self, incoming: IncomingCall) {
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
        let prepared = match &mut self.audio {
            Audio::PerCall(factory) => {
                let factory = match factory.get_mut() {
                    Ok(f) => f,
                    Err(poisoned) => poisoned.into_inner(),
                };
                factory(self.calls.offered).map(|a| (a, None))
            }
            Audio::Devices(devices) => devices.call_audio().map(|(a, p)| (a, Some(p))),
        };
        let (audio, playout) = match prepared {
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
                call: Call::offered(now),
                session,
                playout,
                uses_devices: false,
                answer_sent: false,
                media_started: false,
                media_reported: false,
                accept_reply: None,
            },
        );
    }

    /// A call that cannot be taken here (no audio, unusable offer): say why, reject it so the
    /// platform can route it on, and end it.
    async fn refuse_incoming(&mut self, call_id: &str, code: &str, message: String) {
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

    // ---- notes from media work -----------------------------------------------------------

    async fn on_note(&mut self, note: Note) {
        match note {
            Note::AnswerReady { call_id, sdp } => {
                if !self.calls.by_id.contains_key(&call_id) {
                    return;
                }
                let sdp_answer = match protocol::Sdp::new(sdp) {
                    Ok(s) => s,
                    Err(e) => {
                        let message = format!("the answer is not a valid SDP: {e}");
                        return self.media_failed(&call_id, message).await;
                    }
                };
                let sent = self.call_request(&call_id, |request_id, call_id| {
                    ClientMessage::AcceptCall(AcceptCall {
                        request_id,
                        call_id,
                        sdp_answer,
                    })
                });
                let reply = self
                    .calls
                    .by_id
                    .get_mut(&call_id)
                    .and_then(|c| c.accept_reply.take());
                match sent {
                    Ok(()) => {
                        if let Some(entry) = self.calls.by_id.get_mut(&call_id) {
                            entry.answer_sent = true;
                        }
                        self.calls.apply(&call_id, CallEvent::AnswerSent);
                        if let Some(reply) = reply {
                            let _ = reply.send(Ok(()));
                        }
                        self.emit(PhoneEvent::Answered { call_id }).await;
                    }
                    Err(e) => {
                        if let Some(reply) = reply {
                            let _ = reply.send(Err(e.clone()));
                        }
                        // The platform still has it ringing; after a reconnect it is offered
                        // again.
                        self.end_call(
                            &call_id,
                            CallEvent::Failed(FailureCause::SignalingRefused),
                            EndReason::Failed {
                                code: "accept_lost".into(),
                                message: format!("the accept could not be sent: {e}"),
                            },
                            None,
                        )
                        .await;
                    }
                }
            }
            Note::TransportUp { call_id } => {
                if !self.calls.by_id.contains_key(&call_id) {
                    return;
                }
                let sent = self.call_request(&call_id, |request_id, call_id| {
                    ClientMessage::MediaReady(MediaReady {
                        request_id,
                        call_id,
                    })
                });
                if let Err(e) = sent {
                    self.error(
                        Some(&call_id),
                        e.code(),
                        format!("media_ready not sent: {e}"),
                    )
                    .await;
                }
            }
            Note::Heard { call_id } => self.heard(&call_id).await,
            Note::MediaFailed { call_id, message } => self.media_failed(&call_id, message).await,
        }
    }

    async fn heard(&mut self, call_id: &str) {
        let Some(entry) = self.calls.by_id.get_mut(call_id) else {
            return;
        };
        if entry.media_reported {
            return;
        }
        entry.media_reported = true;
        self.calls.apply(call_id, CallEvent::MediaConnected);
        self.emit(PhoneEvent::MediaConnected {
            call_id: call_id.to_owned(),
        })
        .await;
    }

    async fn media_failed(&mut self, call_id: &str, message: String) {
        if !self.calls.by_id.contains_key(call_id) {
            return;
        }
        if let Some(reply) = self
            .calls
            .by_id
            .get_mut(call_id)
            .and_then(|c| c.accept_reply.take())
        {
            let _ = reply.send(Err(PhoneError::Media(message.clone())));
        }
        self.error(Some(call_id), "media", message.clone()).await;
        if let Err(e) = self.send_leave(call_id) {
            tracing::debug!(call_id, error = %e, "could not tell the platform media failed");
        }
        self.end_call(
            call_id,
            CallEvent::Failed(FailureCause::MediaLost),
            EndReason::Failed {
                code: "media_failed".into(),
                message,
            },
            None,
        )
        .await;
    }

    async fn on_levels(&mut self) {
        let mut readings = Vec::new();
        let mut heard = Vec::new();
        for (call_id, entry) in &self.calls.by_id {
            if !entry.media_started {
                continue;
            }
            let (input_dbfs, output_dbfs) = match (&self.audio, &entry.playout) {
                (Audio::Devices(devices), Some(playout)) => {
                    if !entry.media_reported && playout.stats().decoded > 0 {
                        heard.push(call_id.clone());
                    }
                    (devices.input_dbfs(), playout.output_dbfs())
                }
                _ => {
                    let levels = entry.session.levels();
                    (levels.input_dbfs, levels.output_dbfs)
                }
            };
            readings.push(PhoneEvent::Levels {
                call_id: call_id.clone(),
                input_dbfs,
                output_dbfs,
            });
        }
        for call_id in heard {
            self.heard(&call_id).await;
        }
        for event in readings {
            // Meters are the first thing to give up when the owner falls behind.
            if self.events.capacity() > EVENTS_CAPACITY / 2 {
                let _ = self.events.try_send(event);
            }
        }
    }

    // ---- ending --------------------------------------------------------------------------

    async fn finish(&mut self, call_id: &str, ending: Ending) {
        if !self.calls.by_id.contains_key(call_id) {
            return;
        }
        if let Some((code, message)) = ending.error {
            self.error(Some(call_id), &code, message).await;
        }
        self.end_call(call_id, ending.event, ending.reason, ending.duration_secs)
            .await;
    }

    /// End a call here: state machine, media closed (a recording is finished before `Ended`
    /// is emitted), devices released when no call needs them.
    async fn end_call(
        &mut self,
        call_id: &str,
        event: CallEvent,
        reason: EndReason,
        duration_secs: Option<u32>,
    ) {
        self.calls.apply(call_id, event);
        let Some((entry, talk_secs)) = self.calls.remove(call_id) else {
            return;
        };
        if let Some(reply) = entry.accept_reply {
            let _ = reply.send(Err(PhoneError::CallEnded(call_id.to_owned())));
        }
        entry.session.close().await;
        if let Audio::Devices(devices) = &self.audio {
            if entry.uses_devices && !self.calls.any_using_devices() {
                devices.deactivate().await;
            }
        }
        self.emit(PhoneEvent::Ended {
            call_id: call_id.to_owned(),
            reason,
            duration_secs,
            talk_secs: (talk_secs * 10.0).round() / 10.0,
        })
        .await;
    }

    async fn hang_up_all(&mut self) {
        let ids: Vec<String> = self.calls.by_id.keys().cloned().collect();
        for call_id in ids {
            let phase = self
                .calls
                .by_id
                .get(&call_id)
                .map(|c| c.call.phase())
                .unwrap_or(crate::call::Phase::Ended);
            let Ok(event) = user_event(UserAction::HangUp, &call_id, phase) else {
                continue;
            };
            if let Err(e) = self.send_leave(&call_id) {
                tracing::debug!(call_id, error = %e, "could not tell the platform on shutdown");
            }
            let reason = match event {
                CallEvent::Reject => EndReason::Rejected {
                    by: protocol::Party::Agent,
                },
                _ => EndReason::LocalHangup,
            };
            self.end_call(&call_id, event, reason, None).await;
        }
    }
}

/// Accepting: the SDP answer (gathering done), then the transport coming up.
async fn answer_and_connect(
    call_id: String,
    session: Arc<dyn MediaSession>,
    notes: mpsc::Sender<Note>,
) {
    let sdp = match session.answer().await {
        Ok(sdp) => sdp,
        Err(e) => {
            let _ = notes
                .send(Note::MediaFailed {
                    call_id,
                    message: e.to_string(),
                })
                .await;
            return;
        }
    };
    let _ = notes
        .send(Note::AnswerReady {
            call_id: call_id.clone(),
            sdp,
        })
        .await;
    let note = match session.connected().await {
        Ok(()) => Note::TransportUp { call_id },
        Err(e) => Note::MediaFailed {
            call_id,
            message: e.to_string(),
        },
    };
    let _ = notes.send(note).await;
}
