//! The owner's commands: presence, accept, reject / hang up, mute, device selection.

use protocol::{ClientMessage, SetPresence};

use crate::call::CallEvent;
use crate::phone::calls::{user_event, UserAction};
use crate::phone::commands::{Command, Reply};
use crate::phone::{EndReason, PhoneError, PhoneEvent};

use super::media::answer_and_connect;
use super::{Audio, Engine, Pending};

impl Engine {
    // ---- commands ------------------------------------------------------------------------

    pub(super) async fn on_command(&mut self, command: Command) {
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
            Command::PlaceCall {
                conversation_id,
                reply,
            } => self.place_call(conversation_id, reply),
            Command::RequestPermission {
                conversation_id,
                reply,
            } => self.ask_about(&conversation_id, reply, |request_id, conversation_id| {
                ClientMessage::RequestPermission(protocol::RequestPermission {
                    request_id,
                    conversation_id,
                })
            }),
            Command::SendText {
                conversation_id,
                text,
                reply,
            } => {
                let text = match protocol::MessageText::new(text) {
                    Ok(t) => t,
                    Err(e) => {
                        let _ = reply.send(Err(PhoneError::Invalid(format!("the text: {e}"))));
                        return;
                    }
                };
                self.ask_about(&conversation_id, reply, |request_id, conversation_id| {
                    ClientMessage::SendText(protocol::SendText {
                        request_id,
                        conversation_id,
                        text,
                    })
                });
            }
            Command::ReconnectNow => self.signaling.reconnect_now(),
            Command::Shutdown { done } => {
                // Handled by the loop; kept total for the match.
                let _ = done.send(());
            }
        }
    }

    /// A request about a conversation whose reply is the answer (`request_permission`,
    /// `send_text`).
    fn ask_about(
        &mut self,
        conversation_id: &str,
        reply: Reply,
        build: impl FnOnce(protocol::RequestId, protocol::ConversationId) -> ClientMessage,
    ) {
        let conversation = match protocol::ConversationId::new(conversation_id) {
            Ok(c) => c,
            Err(e) => {
                let message = format!("conversation id {conversation_id:?}: {e}");
                let _ = reply.send(Err(PhoneError::Invalid(message)));
                return;
            }
        };
        match self.request(|request_id| build(request_id, conversation)) {
            Ok(key) => {
                self.pending.insert(key, Pending::Ask { reply });
            }
            Err(e) => {
                let _ = reply.send(Err(e));
            }
        }
    }

    pub(super) async fn accept(&mut self, call_id: String, reply: Reply) {
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
        let serial = entry.serial;
        self.calls.apply(&call_id, CallEvent::Answer);
        if let Some(entry) = self.calls.by_id.get_mut(&call_id) {
            entry.accept_reply = Some(reply);
            entry.uses_devices = playout.is_some();
        }
        if let (Audio::Devices(devices), Some(playout)) = (&self.audio, playout) {
            devices.activate(&call_id, playout).await;
        }
        let notes = self.notes.clone();
        tokio::spawn(answer_and_connect(call_id, serial, session, notes));
    }

    /// Reject or hang up: the call ends here at once; the result says whether the platform
    /// was told.
    pub(super) async fn leave(
        &mut self,
        call_id: &str,
        action: UserAction,
    ) -> Result<(), PhoneError> {
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
}
