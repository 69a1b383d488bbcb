//! The engine task: commands from the owner, signaling events and notes from per-call media
//! work come in on channels and are handled one at a time, in order; [`PhoneEvent`]s go out.
//! No call state is shared with another task.
//!
//! This file holds the loop and the requests to the platform; [`user`] handles the owner's
//! commands, [`platform`] the platform's messages, [`media`] notes from media work, meters and
//! how calls end.

mod media;
mod outbound;
mod platform;
mod quality;
mod recording;
mod user;

use std::collections::HashMap;
use std::time::Duration;

use protocol::{ClientMessage, Hangup, Presence, RejectCall, RemoteAnswer, RequestId};
use tokio::sync::mpsc;

use crate::media::WebRtcStack;
use crate::signaling::{SignalingClient, SignalingConfig, SignalingError, SignalingEvent};

use super::calls::{Calls, Note, Tagged};
use super::commands::{Command, Phone, Reply};
use super::config::CallAudioFactory;
use super::devices::Devices;
use super::{AudioPlan, ConnectionStatus, PhoneConfig, PhoneError, PhoneEvent};

/// Room for events the owner has not read yet. `Levels` are dropped rather than wait when
/// the channel is more than half full; every other event waits.
const EVENTS_CAPACITY: usize = 1024;
const LEVELS_EVERY: Duration = Duration::from_millis(50);
/// How long shutting down waits for the platform's replies to its last hang-ups.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// What a request was for, so its reply can be routed.
#[derive(Debug)]
enum Pending {
    Presence {
        presence: Presence,
        reply: Reply,
    },
    Call {
        call_id: String,
    },
    /// `call_quality`: a refusal is only logged (the call is over).
    Report {
        call_id: String,
    },
    /// `request_permission` / `send_text`: the platform's reply is the answer.
    Ask {
        reply: Reply,
    },
    /// `place_call`: our offer's session waits for the platform's call id.
    Place(Box<outbound::Placing>),
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
    notes: mpsc::Sender<Tagged>,
    /// Offers made on side tasks for `place_call`, back to the loop.
    offers: mpsc::Sender<outbound::Offered>,
    next_request: u64,
    /// Requests awaiting their reply, by request id.
    pending: HashMap<String, Pending>,
    /// Meta's answers for calls not known yet, kept while a `place_call` awaits its reply
    /// (the platform sends the reply first, but nothing here should depend on that).
    early_answers: Vec<RemoteAnswer>,
    recording: recording::Recording,
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
        let signaling_config = SignalingConfig {
            tls: config.tls.clone(),
            ..SignalingConfig::new(&config.platform, &config.token)
        };
        let (signaling, signaling_events) =
            SignalingClient::start(signaling_config).map_err(|e| match e {
                SignalingError::Link(link) => PhoneError::from(link),
                other => PhoneError::Config(other.to_string()),
            })?;
        let (events, events_rx) = mpsc::channel(EVENTS_CAPACITY);
        let (commands, commands_rx) = mpsc::channel(64);
        let (notes, notes_rx) = mpsc::channel(64);
        let (offers, offers_rx) = mpsc::channel(16);
        let audio = match config.audio {
            AudioPlan::Devices { input, output } => {
                Audio::Devices(Devices::start(input, output, events.clone()))
            }
            AudioPlan::PerCall(factory) => Audio::PerCall(std::sync::Mutex::new(factory)),
        };
        let _ = events.try_send(PhoneEvent::Connection(ConnectionStatus::Connecting));
        let recording = recording::Recording::new(
            config.recordings_dir.clone(),
            crate::transport::PlatformLink::new(&config.platform, &config.tls).ok(),
            config.token.clone(),
        );
        let mut media = config.media;
        if media.turn_tls.is_none() {
            // The same trust as the platform link (checked above, so this does not fail).
            media.turn_tls = crate::transport::client_config(&config.tls).ok();
        }
        let engine = Engine {
            events,
            signaling,
            connected: false,
            stack: WebRtcStack::new(media),
            audio,
            calls: Calls::new(),
            notes,
            offers,
            next_request: 0,
            pending: HashMap::new(),
            early_answers: Vec::new(),
            recording,
        };
        tokio::spawn(engine.run(commands_rx, signaling_events, notes_rx, offers_rx));
        Ok((Phone { commands }, events_rx))
    }
}

impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut signaling: mpsc::Receiver<SignalingEvent>,
        mut notes: mpsc::Receiver<Tagged>,
        mut offers: mpsc::Receiver<outbound::Offered>,
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
                Some((serial, note)) = notes.recv() => {
                    // Only from the media work of the offer the call is on now; a quality
                    // summary comes after the call, for the record, whatever came since.
                    let current = self.calls.by_id.get(note.call_id()).map(|c| c.serial);
                    if current == Some(serial) || matches!(note, Note::Quality { .. }) {
                        self.on_note(note).await;
                    }
                }
                Some(offered) = offers.recv() => self.on_offered(offered).await,
                _ = levels.tick(), if self.calls.any_media() => self.on_levels().await,
            }
        };
        self.hang_up_all().await;
        self.await_call_replies(&mut signaling).await;
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

    /// On shutdown: give the platform a moment to take the hang-ups just sent (closing the
    /// socket at once could drop them), handling nothing but replies meanwhile.
    async fn await_call_replies(&mut self, signaling: &mut mpsc::Receiver<SignalingEvent>) {
        let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
        while self.connected
            && self
                .pending
                .values()
                .any(|p| matches!(p, Pending::Call { .. }))
        {
            match tokio::time::timeout_at(deadline, signaling.recv()).await {
                Ok(Some(SignalingEvent::Message(message))) => {
                    if let protocol::ServerMessage::Reply(reply) = *message {
                        self.pending.remove(reply.request_id.as_str());
                    }
                }
                Ok(Some(SignalingEvent::Disconnected { .. })) | Ok(None) | Err(_) => return,
                Ok(Some(_)) => {}
            }
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

    /// Sends the platform how the call sounded. Lost if signaling is down right now (the
    /// summary is not kept for a later connection).
    fn report_quality(&mut self, call_id: &str, quality: protocol::CallQuality) {
        let Ok(id) = protocol::CallId::new(call_id) else {
            return;
        };
        let sent = self.request(move |request_id| {
            ClientMessage::CallQuality(protocol::ReportCallQuality {
                request_id,
                call_id: id,
                quality,
            })
        });
        match sent {
            Ok(key) => {
                let call_id = call_id.to_owned();
                self.pending.insert(key, Pending::Report { call_id });
            }
            Err(error) => tracing::warn!(call_id, %error, "call quality not reported"),
        }
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
}
