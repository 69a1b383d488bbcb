//! The agent's loop: signaling events and media notes in, protocol requests and reports out.

use std::sync::Arc;

use protocol::{
    AcceptCall, CallState, ClientMessage, Hangup, IncomingCall, MediaReady, Party, Presence,
    RequestId, ServerMessage, SetPresence,
};
use tokio::sync::mpsc;

use crate::call::{Call, CallEvent, FailureCause};
use crate::clock::Clock;
use crate::media::{MediaStack, WebRtcConfig, WebRtcStack};
use crate::signaling::{SignalingClient, SignalingConfig, SignalingError, SignalingEvent};

use super::calls::{AgentCall, Calls, Note};
use super::{AgentError, AgentOptions, Report, Reporter};

fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// What a request was for, so its reply can be reported against it.
#[derive(Debug, Clone)]
enum Pending {
    Presence(Presence),
    Call(String),
}

struct Agent {
    options: AgentOptions,
    reporter: Reporter,
    signaling: SignalingClient,
    stack: WebRtcStack,
    calls: Calls,
    notes: mpsc::Sender<Note>,
    next_request: u64,
    /// Requests awaiting their reply, by request id: what they were for.
    pending: std::collections::HashMap<String, Pending>,
    /// Calls ended so far (for --exit-after-calls).
    ended: u32,
}

/// Run the agent until a fatal error, Ctrl-C / SIGTERM, or `--exit-after-calls`.
pub async fn run(options: AgentOptions, reporter: Reporter) -> Result<(), AgentError> {
    options.check()?;
    let (signaling, mut events) =
        SignalingClient::start(SignalingConfig::new(&options.platform, &options.token))?;
    let (notes, mut note_rx) = mpsc::channel(64);
    let stack = WebRtcStack::new(WebRtcConfig {
        bind_ips: options.media_bind_ips(),
        ..WebRtcConfig::default()
    });
    let mut agent = Agent {
        options,
        reporter,
        signaling,
        stack,
        calls: Calls::new(),
        notes,
        next_request: 0,
        pending: std::collections::HashMap::new(),
        ended: 0,
    };
    let result = loop {
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => {
                    if let Err(e) = agent.on_signaling(event).await {
                        break Err(e);
                    }
                }
                None => break Ok(()),
            },
            Some(note) = note_rx.recv() => agent.on_note(note).await,
            _ = shutdown_signal() => break Ok(()),
        }
        if let Some(limit) = agent.options.exit_after_calls {
            if agent.ended >= limit {
                break Ok(());
            }
        }
    };
    agent.hang_up_all().await;
    agent.signaling.shutdown();
    result
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

impl Agent {
    /// A fresh request id (`r-<n>`, which always validates; a refusal is reported, not
    /// panicked on).
    fn request_id(&mut self) -> Option<RequestId> {
        self.next_request += 1;
        match RequestId::new(format!("r-{}", self.next_request)) {
            Ok(id) => Some(id),
            Err(e) => {
                self.report_error(None, "internal", e.to_string());
                None
            }
        }
    }

    fn send(&mut self, call_id: Option<&str>, message: ClientMessage) {
        if let Some(id) = message.request_id() {
            let pending = match (&message, call_id) {
                (ClientMessage::SetPresence(p), _) => Some(Pending::Presence(p.presence)),
                (_, Some(call_id)) => Some(Pending::Call(call_id.to_owned())),
                _ => None,
            };
            if let Some(pending) = pending {
                self.pending.insert(id.to_string(), pending);
            }
        }
        if let Err(e) = self.signaling.send(&message) {
            self.report_error(call_id, "signaling", e.to_string());
        }
    }

    fn report_error(&self, call_id: Option<&str>, code: &str, message: String) {
        self.reporter.report(&Report::Error {
            call_id: call_id.map(str::to_owned),
            code: code.to_owned(),
            message,
        });
    }

    async fn on_signaling(&mut self, event: SignalingEvent) -> Result<(), AgentError> {
        match event {
            SignalingEvent::Connected(hello) => {
                self.reporter.report(&Report::Connected {
                    agent_id: hello.agent.id.to_string(),
                    display_name: hello.agent.display_name.clone(),
                    presence: snake(&hello.presence),
                    ringing: hello.ringing.len(),
                    active: hello.active.len(),
                });
                // Set (and have confirmed) even when the snapshot already says so: the
                // `presence` report is the agent's "ready" signal.
                if let Some(presence) = self.options.presence {
                    self.set_presence(presence);
                }
                // Calls we hold that the platform no longer lists ended while we were away.
                let listed: Vec<String> = hello
                    .ringing
                    .iter()
                    .map(|c| c.call_id.to_string())
                    .chain(hello.active.iter().map(|c| c.call_id.to_string()))
                    .collect();
                let gone: Vec<String> = self
                    .calls
                    .by_id
                    .keys()
                    .filter(|id| !listed.contains(id))
                    .cloned()
                    .collect();
                for call_id in gone {
                    self.end_call(
                        &call_id,
                        CallEvent::RemoteHangup,
                        "gone_after_reconnect",
                        None,
                    )
                    .await;
                }
                for incoming in hello.ringing {
                    self.on_incoming(incoming).await;
                }
            }
            SignalingEvent::Message(message) => self.on_message(*message).await,
            SignalingEvent::BadMessage(e) => self.report_error(None, "bad_message", e.to_string()),
            SignalingEvent::Disconnected { error, retry_in } => {
                self.reporter.report(&Report::Disconnected {
                    reason: error.to_string(),
                    retry_in_ms: retry_in.as_millis() as u64,
                });
                if matches!(error, SignalingError::Unauthorized) {
                    return Err(AgentError::Signaling(error));
                }
            }
        }
        Ok(())
    }

    fn set_presence(&mut self, presence: Presence) {
        let Some(request_id) = self.request_id() else {
            return;
        };
        self.send(
            None,
            ClientMessage::SetPresence(SetPresence {
                request_id,
                presence,
            }),
        );
    }

    async fn on_message(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::IncomingCall(incoming) => self.on_incoming(incoming).await,
            ServerMessage::CallCancelled(cancelled) => {
                let reason = format!("cancelled_{}", snake(&cancelled.reason));
                self.end_call(
                    cancelled.call_id.as_str(),
                    CallEvent::RemoteHangup,
                    &reason,
                    None,
                )
                .await;
            }
            ServerMessage::StartMedia(start) => {
                let call_id = start.call_id.to_string();
                if let Some(entry) = self.calls.by_id.get(&call_id) {
                    entry.session.start_media();
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
                let call_id = update.call_id.to_string();
                match update.state {
                    CallState::Ended {
                        duration_secs, by, ..
                    } => {
                        let (event, reason) = match by {
                            Party::Agent => (CallEvent::Hangup, "hangup_by_agent"),
                            Party::Customer => (CallEvent::RemoteHangup, "hangup_by_customer"),
                            Party::System => (CallEvent::RemoteHangup, "ended_by_system"),
                        };
                        self.end_call(&call_id, event, reason, Some(duration_secs))
                            .await;
                    }
                    CallState::Rejected { by, .. } => {
                        let reason = format!("rejected_by_{}", snake(&by));
                        self.end_call(&call_id, CallEvent::RemoteRejected, &reason, None)
                            .await;
                    }
                    CallState::Failed { code, message, .. } => {
                        self.report_error(Some(&call_id), &snake(&code), message);
                        self.end_call(
                            &call_id,
                            CallEvent::Failed(FailureCause::SignalingRefused),
                            "failed",
                            None,
                        )
                        .await;
                    }
                    CallState::Accepted { .. } | CallState::Ringing => {}
                }
            }
            ServerMessage::Reply(reply) => {
                let pending = self.pending.remove(reply.request_id.as_str());
                match (reply.result, pending) {
                    (protocol::ReplyResult::Ok { .. }, Some(Pending::Presence(presence))) => {
                        self.reporter.report(&Report::Presence {
                            presence: snake(&presence),
                        });
                    }
                    (protocol::ReplyResult::Ok { .. }, _) => {}
                    (protocol::ReplyResult::Error(e), Some(Pending::Call(call_id))) => {
                        self.report_error(
                            Some(&call_id),
                            &snake(&e.code),
                            format!("request {} refused: {}", reply.request_id, e.message),
                        );
                        // A refused accept/media_ready leaves nothing to talk on.
                        self.end_call(
                            &call_id,
                            CallEvent::Failed(FailureCause::SignalingRefused),
                            "refused_by_platform",
                            None,
                        )
                        .await;
                    }
                    (protocol::ReplyResult::Error(e), _) => self.report_error(
                        None,
                        &snake(&e.code),
                        format!("request {} refused: {}", reply.request_id, e.message),
                    ),
                }
            }
            ServerMessage::Error(e) => self.report_error(None, &snake(&e.code), e.message),
            // Business-initiated calls, permissions and conversations are not part of the
            // headless agent.
            ServerMessage::Hello(_)
            | ServerMessage::Pong(_)
            | ServerMessage::RemoteAnswer(_)
            | ServerMessage::PermissionChanged(_)
            | ServerMessage::ConversationUpdated(_) => {}
        }
    }

    async fn on_incoming(&mut self, incoming: IncomingCall) {
        let call_id = incoming.call_id.to_string();
        if self.calls.by_id.contains_key(&call_id) {
            return; // the same call again in a hello after a reconnect
        }
        self.reporter.report(&Report::IncomingCall {
            call_id: call_id.clone(),
            customer: incoming.customer.number.to_string(),
            profile_name: incoming.customer.profile_name.clone(),
            business_number: incoming.business_number.to_string(),
            routed_because: snake(&incoming.routed_because),
        });
        // Ringing: prepare the media now so accepting costs no set-up time.
        self.calls.started += 1;
        let audio = match self.options.call_audio(self.calls.started) {
            Ok(a) => a,
            Err(e) => return self.report_error(Some(&call_id), "audio", e.to_string()),
        };
        let session = match self.stack.prepare(incoming.sdp_offer.as_str(), audio).await {
            Ok(s) => Arc::<dyn crate::media::MediaSession>::from(s),
            Err(e) => {
                self.report_error(Some(&call_id), "media", e.to_string());
                if self.options.auto_answer {
                    self.reject(&call_id);
                }
                return;
            }
        };
        let now = self.calls.clock.now();
        self.calls.by_id.insert(
            call_id.clone(),
            AgentCall {
                call: Call::offered(now),
                session: session.clone(),
                media_reported: false,
            },
        );
        if self.options.auto_answer {
            self.calls.apply(&call_id, CallEvent::Answer);
            let notes = self.notes.clone();
            tokio::spawn(async move {
                let note = match session.answer().await {
                    Ok(sdp) => Note::AnswerReady {
                        call_id: call_id.clone(),
                        sdp,
                    },
                    Err(e) => Note::MediaFailed {
                        call_id: call_id.clone(),
                        message: e.to_string(),
                    },
                };
                let answered = matches!(note, Note::AnswerReady { .. });
                let _ = notes.send(note).await;
                if !answered {
                    return;
                }
                let note = match session.connected().await {
                    Ok(()) => Note::TransportUp { call_id },
                    Err(e) => Note::MediaFailed {
                        call_id,
                        message: e.to_string(),
                    },
                };
                let _ = notes.send(note).await;
            });
        }
    }

    fn reject(&mut self, call_id: &str) {
        let Ok(id) = protocol::CallId::new(call_id) else {
            return;
        };
        let Some(request_id) = self.request_id() else {
            return;
        };
        self.send(
            Some(call_id),
            ClientMessage::RejectCall(protocol::RejectCall {
                request_id,
                call_id: id,
            }),
        );
    }

    async fn on_note(&mut self, note: Note) {
        match note {
            Note::AnswerReady { call_id, sdp } => {
                if !self.calls.by_id.contains_key(&call_id) {
                    return;
                }
                let (Ok(id), Ok(sdp_answer)) =
                    (protocol::CallId::new(&call_id), protocol::Sdp::new(sdp))
                else {
                    self.report_error(
                        Some(&call_id),
                        "media",
                        "the answer is not a valid SDP".into(),
                    );
                    return;
                };
                let Some(request_id) = self.request_id() else {
                    return;
                };
                self.send(
                    Some(&call_id),
                    ClientMessage::AcceptCall(AcceptCall {
                        request_id,
                        call_id: id,
                        sdp_answer,
                    }),
                );
                self.calls.apply(&call_id, CallEvent::AnswerSent);
                self.reporter.report(&Report::Answered { call_id });
            }
            Note::TransportUp { call_id } => {
                if !self.calls.by_id.contains_key(&call_id) {
                    return;
                }
                let Ok(id) = protocol::CallId::new(&call_id) else {
                    return;
                };
                let Some(request_id) = self.request_id() else {
                    return;
                };
                self.send(
                    Some(&call_id),
                    ClientMessage::MediaReady(MediaReady {
                        request_id,
                        call_id: id,
                    }),
                );
            }
            Note::Heard { call_id } => {
                let Some(entry) = self.calls.by_id.get_mut(&call_id) else {
                    return;
                };
                if !entry.media_reported {
                    entry.media_reported = true;
                    self.calls.apply(&call_id, CallEvent::MediaConnected);
                    self.reporter.report(&Report::MediaConnected { call_id });
                }
            }
            Note::MediaFailed { call_id, message } => {
                if !self.calls.by_id.contains_key(&call_id) {
                    return;
                }
                self.report_error(Some(&call_id), "media", message);
                if let (Ok(id), Some(request_id)) =
                    (protocol::CallId::new(&call_id), self.request_id())
                {
                    self.send(
                        Some(&call_id),
                        ClientMessage::Hangup(Hangup {
                            request_id,
                            call_id: id,
                        }),
                    );
                }
                self.end_call(
                    &call_id,
                    CallEvent::Failed(FailureCause::MediaLost),
                    "media_failed",
                    None,
                )
                .await;
            }
        }
    }

    async fn end_call(
        &mut self,
        call_id: &str,
        event: CallEvent,
        reason: &str,
        duration_secs: Option<u32>,
    ) {
        self.calls.apply(call_id, event);
        let Some((entry, talk_secs)) = self.calls.remove(call_id) else {
            return;
        };
        // Closing finishes the recording before the report says the call is over.
        entry.session.close().await;
        self.ended += 1;
        self.reporter.report(&Report::Ended {
            call_id: call_id.to_owned(),
            reason: reason.to_owned(),
            duration_secs,
            talk_secs: (talk_secs * 10.0).round() / 10.0,
        });
    }

    async fn hang_up_all(&mut self) {
        let ids: Vec<String> = self.calls.by_id.keys().cloned().collect();
        for call_id in ids {
            // The call ends locally whatever happens to the request.
            if let Ok(id) = protocol::CallId::new(&call_id) {
                if let Some(request_id) = self.request_id() {
                    self.send(
                        Some(&call_id),
                        ClientMessage::Hangup(Hangup {
                            request_id,
                            call_id: id,
                        }),
                    );
                }
            }
            self.end_call(&call_id, CallEvent::Hangup, "hangup_by_agent", None)
                .await;
        }
    }
}
