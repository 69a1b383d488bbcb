//! The call engine (`softphone::phone`) as the app runs it: one [`Phone`] per signed-in
//! session, started on Tauri's async runtime, its events pumped through the [`CallBoard`] to
//! every window. Commands, shortcuts and the tray all act through [`Engine`]'s methods.

use crate::agent_state::{AgentState, Credentials};
use crate::call_board::CallBoard;
use crate::error::CommandError;
use crate::events;
use crate::model::{ChosenPresence, CoreEvent, DeviceKind, Presence};
use protocol::rest::Conversation;
use softphone::phone::{
    AudioPlan, ConnectionStatus, DeviceChoice, Direction, Phone, PhoneConfig, PhoneError,
    PhoneEvent, WebRtcConfig,
};
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use tauri::{AppHandle, Manager};
use tokio::sync::{mpsc, oneshot};

/// How long signing in waits to learn whether the platform takes the token. A platform that
/// cannot be reached does not block signing in: the engine keeps reconnecting.
const FIRST_ANSWER: Duration = Duration::from_secs(8);

/// What the first connection attempt said.
#[derive(Debug)]
enum FirstAnswer {
    Connected {
        display_name: String,
    },
    Unauthorized,
    /// The platform's certificate is not trusted: signing in fails with why.
    Untrusted {
        message: String,
    },
    Unreachable,
}

#[derive(Debug, Default)]
pub struct Engine {
    phone: Mutex<Option<Phone>>,
    board: Mutex<CallBoard>,
    /// A presence chosen while disconnected, sent once connected.
    pending_presence: Mutex<Option<ChosenPresence>>,
    /// Bumped by every stop, so a pump never applies a previous engine's events.
    generation: AtomicU64,
}

impl Engine {
    /// Starts the engine for these credentials; returns the agent's display name when the
    /// platform answered in time. A refused token stops it again and is an error.
    pub async fn start(
        &self,
        app: &AppHandle,
        credentials: &Credentials,
    ) -> Result<String, CommandError> {
        self.stop().await;
        let state = app.state::<AgentState>();
        let config = PhoneConfig {
            platform: credentials.platform_url.clone(),
            token: credentials.token.expose().to_owned(),
            audio: AudioPlan::Devices {
                input: preference(state.device(DeviceKind::Input)),
                output: preference(state.device(DeviceKind::Output)),
            },
            media: WebRtcConfig {
                bind_ips: vec![default_route_ip().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))],
                ..WebRtcConfig::default()
            },
            tls: credentials.tls.clone(),
            // Recordings wait for upload in the per-user data directory (a folder per agent).
            recordings_dir: dirs::data_local_dir()
                .map(|dir| dir.join("Ringdesk").join("recordings")),
        };
        let (phone, events) = Phone::start(config).map_err(CommandError::Phone)?;
        *lock(&self.phone) = Some(phone);
        *lock(&self.board) = CallBoard::default();
        let (first_tx, first_rx) = oneshot::channel();
        tauri::async_runtime::spawn(pump(app.clone(), events, first_tx));
        match tokio::time::timeout(FIRST_ANSWER, first_rx).await {
            Ok(Ok(FirstAnswer::Connected { display_name })) => Ok(display_name),
            Ok(Ok(FirstAnswer::Unauthorized)) => {
                self.stop().await;
                Err(CommandError::Phone(PhoneError::Unauthorized))
            }
            Ok(Ok(FirstAnswer::Untrusted { message })) => {
                self.stop().await;
                Err(CommandError::Phone(PhoneError::Certificate(message)))
            }
            Ok(Ok(FirstAnswer::Unreachable)) | Ok(Err(_)) | Err(_) => Ok("Agent".to_owned()),
        }
    }

    /// Stops the engine (ending any call), if one runs.
    pub async fn stop(&self) {
        let phone = lock(&self.phone).take();
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(phone) = phone {
            phone.shutdown().await;
        }
        *lock(&self.board) = CallBoard::default();
        *lock(&self.pending_presence) = None;
    }

    fn phone(&self) -> Result<Phone, CommandError> {
        lock(&self.phone).clone().ok_or(CommandError::NotSignedIn)
    }

    pub fn presence(&self) -> Presence {
        lock(&self.board).presence()
    }

    pub fn connection(&self) -> crate::model::ConnectionState {
        lock(&self.board).connection()
    }

    /// Reconnects now instead of at the next backoff step, if the engine is waiting for one.
    pub fn reconnect_if_waiting(&self) {
        if self.connection() == crate::model::ConnectionState::Reconnecting {
            if let Some(phone) = lock(&self.phone).as_ref() {
                phone.reconnect_now();
            }
        }
    }

    pub fn on_call(&self) -> bool {
        lock(&self.board).active().is_some()
    }

    /// The agent's choice: sent to the platform now, or once connected again.
    pub async fn set_presence(
        &self,
        app: &AppHandle,
        presence: ChosenPresence,
    ) -> Result<(), CommandError> {
        if self.on_call() {
            return Err(CommandError::OnCall);
        }
        match self.phone()?.set_presence(presence).await {
            Ok(()) => {}
            Err(PhoneError::NotConnected) => *lock(&self.pending_presence) = Some(presence),
            Err(error) => return Err(CommandError::Phone(error)),
        }
        let event = lock(&self.board).choose(presence.into());
        if let Some(event) = event {
            emit(app, &event);
        }
        Ok(())
    }

    pub async fn accept(&self, call_id: &str) -> Result<(), CommandError> {
        self.phone()?
            .accept(call_id)
            .await
            .map_err(CommandError::Phone)
    }

    pub async fn reject(&self, call_id: &str) -> Result<(), CommandError> {
        self.phone()?
            .reject(call_id)
            .await
            .map_err(CommandError::Phone)
    }

    pub async fn hang_up(&self, call_id: &str) -> Result<(), CommandError> {
        self.phone()?
            .hang_up(call_id)
            .await
            .map_err(CommandError::Phone)
    }

    pub async fn set_muted(&self, call_id: &str, muted: bool) -> Result<(), CommandError> {
        self.phone()?
            .set_muted(call_id, muted)
            .await
            .map_err(CommandError::Phone)
    }

    /// The agent's conversations (the inbox), remembered so a call placed in one shows its
    /// customer from the start.
    pub async fn conversations(
        &self,
        credentials: &Credentials,
    ) -> Result<Vec<Conversation>, CommandError> {
        let token = credentials.token.expose();
        let list = softphone::phone::conversations(&credentials.link()?, token)
            .await
            .map_err(CommandError::Phone)?;
        lock(&self.board).remember_conversations(&list);
        Ok(list)
    }

    /// Calls the customer of a conversation; the call then shows as the call in progress
    /// (calling → ringing → connected). One call at a time.
    pub async fn place_call(
        &self,
        credentials: &Credentials,
        conversation_id: &str,
    ) -> Result<String, CommandError> {
        if self.on_call() {
            return Err(CommandError::CallInProgress);
        }
        let phone = self.phone()?;
        if !lock(&self.board).knows_conversation(conversation_id) {
            // Placed before the inbox was listed here: learn who the customer is first.
            self.conversations(credentials).await?;
        }
        phone
            .place_call(conversation_id)
            .await
            .map_err(CommandError::Phone)
    }

    pub async fn request_permission(&self, conversation_id: &str) -> Result<(), CommandError> {
        self.phone()?
            .request_permission(conversation_id)
            .await
            .map_err(CommandError::Phone)
    }

    pub async fn send_text(&self, conversation_id: &str, text: &str) -> Result<(), CommandError> {
        self.phone()?
            .send_text(conversation_id, text)
            .await
            .map_err(CommandError::Phone)
    }

    /// Answers the call that has rung longest (the answer shortcut).
    pub async fn answer_first_ringing(&self) -> Result<(), CommandError> {
        let call_id = lock(&self.board)
            .first_ringing()
            .map(|c| c.call_id.clone())
            .ok_or(CommandError::NoSuchCall)?;
        self.accept(&call_id).await
    }

    /// Hangs up the call in progress (the hang-up shortcut).
    pub async fn hang_up_active(&self) -> Result<(), CommandError> {
        let call_id = self.active_call_id()?;
        self.hang_up(&call_id).await
    }

    /// Mutes or unmutes the call in progress (the mute shortcut).
    pub async fn toggle_mute(&self) -> Result<(), CommandError> {
        let (call_id, muted) = lock(&self.board)
            .active()
            .map(|c| (c.call_id.clone(), c.muted))
            .ok_or(CommandError::NoSuchCall)?;
        self.set_muted(&call_id, !muted).await
    }

    /// Switches a call device now (mid-call too); the ring device is the ringtone's affair.
    /// `None`: the system default.
    pub async fn select_device(
        &self,
        kind: DeviceKind,
        name: Option<&str>,
    ) -> Result<(), CommandError> {
        let direction = match kind {
            DeviceKind::Input => Direction::Input,
            DeviceKind::Output => Direction::Output,
            DeviceKind::Ring => return Ok(()),
        };
        let Ok(phone) = self.phone() else {
            return Ok(());
        };
        phone
            .select_device(
                direction,
                name.map_or(DeviceChoice::Default, |n| DeviceChoice::Named(n.to_owned())),
            )
            .await
            .map_err(|error| match error {
                PhoneError::Device(e) => CommandError::DeviceFailed(e.to_string()),
                other => CommandError::Phone(other),
            })
    }

    /// What a window that just started listening needs to catch up: the connection, the
    /// presence, the calls ringing and the call in progress.
    pub fn snapshot(&self) -> Vec<CoreEvent> {
        let board = lock(&self.board);
        let mut events = vec![
            CoreEvent::ConnectionChanged {
                state: board.connection(),
            },
            CoreEvent::PresenceChanged {
                presence: board.presence(),
            },
        ];
        events.extend(
            board
                .ringing()
                .iter()
                .map(|call| CoreEvent::IncomingCall { call: call.clone() }),
        );
        events.extend(
            board
                .active()
                .map(|call| CoreEvent::CallStarted { call: call.clone() }),
        );
        events
    }

    fn active_call_id(&self) -> Result<String, CommandError> {
        lock(&self.board)
            .active()
            .map(|c| c.call_id.clone())
            .ok_or(CommandError::NoSuchCall)
    }
}

fn preference(device: Option<String>) -> Vec<DeviceChoice> {
    device.map(DeviceChoice::Named).into_iter().collect()
}

/// Forwards the engine's events to the windows until the engine stops.
async fn pump(
    app: AppHandle,
    mut events: mpsc::Receiver<PhoneEvent>,
    first: oneshot::Sender<FirstAnswer>,
) {
    let mut first = Some(first);
    let generation = app.state::<Engine>().generation.load(Ordering::SeqCst);
    while let Some(event) = events.recv().await {
        let engine = app.state::<Engine>();
        if engine.generation.load(Ordering::SeqCst) != generation {
            // A stopped engine's last words: the session they belonged to is gone.
            continue;
        }
        if let PhoneEvent::Connection(status) = &event {
            let answer = match status {
                ConnectionStatus::Connected { display_name, .. } => {
                    app.state::<AgentState>().agent_named(display_name);
                    send_pending_presence(&app);
                    Some(FirstAnswer::Connected {
                        display_name: display_name.clone(),
                    })
                }
                ConnectionStatus::Unauthorized { .. } => Some(FirstAnswer::Unauthorized),
                ConnectionStatus::CertificateUntrusted { message } => {
                    Some(FirstAnswer::Untrusted {
                        message: message.clone(),
                    })
                }
                ConnectionStatus::Reconnecting { .. } => Some(FirstAnswer::Unreachable),
                ConnectionStatus::Connecting => None,
            };
            if let Some(answer) = answer {
                if let Some(tx) = first.take() {
                    let refused = matches!(
                        answer,
                        FirstAnswer::Unauthorized | FirstAnswer::Untrusted { .. }
                    );
                    let _ = tx.send(answer);
                    if refused {
                        // Signing in fails with this reason: no notice on top of it.
                        continue;
                    }
                }
            }
        }
        let now_ms = now_ms();
        let out = lock(&engine.board).apply(event, now_ms);
        for event in &out {
            emit(&app, event);
        }
    }
}

/// Emits an event and keeps the session's presence in step with what the UI shows.
fn emit(app: &AppHandle, event: &CoreEvent) {
    if let CoreEvent::PresenceChanged { presence } = event {
        let _ = app.state::<AgentState>().presence_changed(*presence);
    }
    events::emit(app, event);
}

fn send_pending_presence(app: &AppHandle) {
    let engine = app.state::<Engine>();
    let (Some(presence), Ok(phone)) = (lock(&engine.pending_presence).take(), engine.phone())
    else {
        return;
    };
    tauri::async_runtime::spawn(async move {
        if let Err(error) = phone.set_presence(presence).await {
            tracing::warn!(code = error.code(), %error, "presence chosen offline was not applied");
        }
    });
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The local address the OS would use towards the internet (no packet is sent: connecting a
/// UDP socket only picks a route). Media binds there, as the headless agent does.
fn default_route_ip() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    Some(socket.local_addr().ok()?.ip())
}

/// Plain values behind these locks stay whole if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
