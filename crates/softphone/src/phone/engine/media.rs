//! Notes from per-call media work (answer ready, transport up, first audio, failure), the
//! level meters, and how calls end.

use std::sync::Arc;

use protocol::{AcceptCall, ClientMessage, MediaReady};
use tokio::sync::mpsc;

use crate::call::{CallEvent, FailureCause};
use crate::media::MediaSession;
use crate::phone::calls::{user_event, Note, Tagged, UserAction};
use crate::phone::mapping::Ending;
use crate::phone::{EndReason, PhoneError, PhoneEvent};

use super::{Audio, Engine, EVENTS_CAPACITY};

impl Engine {
    // ---- notes from media work -----------------------------------------------------------

    pub(super) async fn on_note(&mut self, note: Note) {
        match note {
            Note::Quality { call_id, quality } => self.report_quality(&call_id, quality),
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
                let Some(entry) = self.calls.by_id.get(&call_id) else {
                    return;
                };
                if entry.call.direction() == crate::call::Direction::Outbound {
                    // A call we placed: the platform starts media at the customer's pickup
                    // (Meta's ACCEPTED); there is no media_ready to report.
                    tracing::debug!(call_id, "media transport up");
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

    pub(super) async fn heard(&mut self, call_id: &str) {
        let Some(entry) = self.calls.by_id.get_mut(call_id) else {
            return;
        };
        if entry.media_reported {
            return;
        }
        entry.media_reported = true;
        let session = entry.session.clone();
        self.calls.apply(call_id, CallEvent::MediaConnected);
        let path = session.path().await;
        tracing::info!(call_id, path = path.map(|p| p.as_str()), "media connected");
        self.emit(PhoneEvent::MediaConnected {
            call_id: call_id.to_owned(),
            path,
        })
        .await;
    }

    pub(super) async fn media_failed(&mut self, call_id: &str, message: String) {
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

    pub(super) async fn on_levels(&mut self) {
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

    pub(super) async fn finish(&mut self, call_id: &str, ending: Ending) {
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
    pub(super) async fn end_call(
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
        if let Some(recorder) = &entry.recorder {
            self.recording.finished(recorder);
        }
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

    pub(super) async fn hang_up_all(&mut self) {
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
pub(super) async fn answer_and_connect(
    call_id: String,
    serial: u32,
    session: Arc<dyn MediaSession>,
    notes: mpsc::Sender<Tagged>,
) {
    let sdp = match session.answer().await {
        Ok(sdp) => sdp,
        Err(e) => {
            let note = Note::MediaFailed {
                call_id,
                message: e.to_string(),
            };
            let _ = notes.send((serial, note)).await;
            return;
        }
    };
    let ready = Note::AnswerReady {
        call_id: call_id.clone(),
        sdp,
    };
    let _ = notes.send((serial, ready)).await;
    let note = match session.connected().await {
        Ok(()) => Note::TransportUp { call_id },
        Err(e) => Note::MediaFailed {
            call_id,
            message: e.to_string(),
        },
    };
    let _ = notes.send((serial, note)).await;
}
