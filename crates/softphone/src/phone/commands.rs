//! [`Phone`]: the cloneable handle the owner drives the engine with. Each method sends one
//! [`Command`] to the engine task and waits for its answer.

use protocol::Presence;
use tokio::sync::{mpsc, oneshot};

use crate::audio_io::{DeviceChoice, Direction};

use super::PhoneError;

/// The engine's answer to one command.
pub(crate) type Reply = oneshot::Sender<Result<(), PhoneError>>;
/// The answer to `place_call`: the new call's id.
pub(crate) type PlaceReply = oneshot::Sender<Result<String, PhoneError>>;

/// What the owner asks of the engine.
#[derive(Debug)]
pub(crate) enum Command {
    SetPresence {
        presence: Presence,
        reply: Reply,
    },
    Accept {
        call_id: String,
        reply: Reply,
    },
    Reject {
        call_id: String,
        reply: Reply,
    },
    HangUp {
        call_id: String,
        reply: Reply,
    },
    SetMuted {
        call_id: String,
        muted: bool,
        reply: Reply,
    },
    SelectDevice {
        direction: Direction,
        choice: DeviceChoice,
        reply: Reply,
    },
    PlaceCall {
        conversation_id: String,
        reply: PlaceReply,
    },
    RequestPermission {
        conversation_id: String,
        reply: Reply,
    },
    SendText {
        conversation_id: String,
        text: String,
        reply: Reply,
    },
    ReconnectNow,
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// Handle to a running phone engine (cheap to clone). Dropping every clone stops the engine as
/// [`Phone::shutdown`] does.
#[derive(Debug, Clone)]
pub struct Phone {
    pub(crate) commands: mpsc::Sender<Command>,
}

impl Phone {
    async fn ask(&self, command: impl FnOnce(Reply) -> Command) -> Result<(), PhoneError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| PhoneError::Stopped)?;
        answer.await.map_err(|_| PhoneError::Stopped)?
    }

    /// Set the agent's presence; resolves with the platform's reply (then
    /// [`super::PhoneEvent::PresenceChanged`] is emitted too).
    pub async fn set_presence(&self, presence: Presence) -> Result<(), PhoneError> {
        self.ask(|reply| Command::SetPresence { presence, reply })
            .await
    }

    /// Accept a ringing call: resolves once `accept_call` (with the SDP answer, candidates
    /// gathered) was sent, or with why not. What happens next (a refusal by the platform,
    /// media connecting) comes as events.
    pub async fn accept(&self, call_id: &str) -> Result<(), PhoneError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Command::Accept { call_id, reply }).await
    }

    /// Reject a ringing call. The call ends here at once (`Ended`, rejected by the agent); the
    /// result says whether the platform was told.
    pub async fn reject(&self, call_id: &str) -> Result<(), PhoneError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Command::Reject { call_id, reply }).await
    }

    /// Hang up a call (a call still ringing is rejected). The call ends here at once (`Ended`,
    /// local hang-up) whatever happens to the request; the result says whether the platform
    /// was told.
    pub async fn hang_up(&self, call_id: &str) -> Result<(), PhoneError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Command::HangUp { call_id, reply }).await
    }

    /// Mute (send silence; media keeps flowing) or unmute a call.
    pub async fn set_muted(&self, call_id: &str, muted: bool) -> Result<(), PhoneError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Command::SetMuted {
            call_id,
            muted,
            reply,
        })
        .await
    }

    /// Make `choice` the first preference for `direction`. During a call that device is opened
    /// now and replaces the current one (the call continues; on failure the old device stays
    /// and the error says why); later calls use it too.
    pub async fn select_device(
        &self,
        direction: Direction,
        choice: DeviceChoice,
    ) -> Result<(), PhoneError> {
        self.ask(|reply| Command::SelectDevice {
            direction,
            choice,
            reply,
        })
        .await
    }

    /// Call the customer of a conversation (business-initiated): resolves with the call's id
    /// once the platform placed it with Meta, or with the platform's refusal (its code says
    /// why: no permission, another agent's conversation, a limit) — nothing reached Meta then.
    /// The call's progress comes as events ([`super::PhoneEvent::Dialing`] first).
    pub async fn place_call(&self, conversation_id: &str) -> Result<String, PhoneError> {
        let conversation_id = conversation_id.to_owned();
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::PlaceCall {
                conversation_id,
                reply,
            })
            .await
            .map_err(|_| PhoneError::Stopped)?;
        answer.await.map_err(|_| PhoneError::Stopped)?
    }

    /// Ask the customer of a conversation for call permission; resolves once the request was
    /// sent to the customer, or with the platform's refusal (window closed, limits, a
    /// permanent permission already).
    pub async fn request_permission(&self, conversation_id: &str) -> Result<(), PhoneError> {
        let conversation_id = conversation_id.to_owned();
        self.ask(|reply| Command::RequestPermission {
            conversation_id,
            reply,
        })
        .await
    }

    /// Send the customer of a conversation a WhatsApp text (inside the 24 h window).
    pub async fn send_text(&self, conversation_id: &str, text: &str) -> Result<(), PhoneError> {
        let (conversation_id, text) = (conversation_id.to_owned(), text.to_owned());
        self.ask(|reply| Command::SendText {
            conversation_id,
            text,
            reply,
        })
        .await
    }

    /// Drop the signaling connection and reconnect now, skipping the backoff (wake from sleep,
    /// network change).
    pub fn reconnect_now(&self) {
        if self.commands.try_send(Command::ReconnectNow).is_err() {
            tracing::debug!("reconnect_now: the engine is busy or stopped");
        }
    }

    /// Hang up every call, close signaling and the devices; returns when done (the event
    /// channel closes after the last `Ended`).
    pub async fn shutdown(self) {
        let (done, finished) = oneshot::channel();
        if self.commands.send(Command::Shutdown { done }).await.is_ok() {
            let _ = finished.await;
        }
    }
}
