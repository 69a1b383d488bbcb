//! Applying Meta's webhook events: connect (new call), terminate (end), inbound messages.
//!
//! Idempotency comes from the records themselves: a connect for a call that already has a
//! record (a duplicate, or a call whose terminate arrived first and left a closed record — the
//! tombstone) rings nobody; a terminate on a closed record only fills in Meta's duration and
//! error code. So a webhook applied twice (Meta's retries, or the inbox replaying a body after a
//! crash) changes nothing the second time.

use protocol::{
    CallId, CallState, CallStatus, CallUpdate, CancelReason, Customer, Direction, Party,
    PhoneNumber, RingOutcome, Sdp, ServerMessage,
};
use whatsapp::webhook::{
    CallDirection, CallEvent, CallEventKind, ChangeValue, TerminateStatus, WebhookEnvelope,
};

use super::flow::cancelled;
use super::live::{LiveCall, Phase};
use super::Switchboard;
use crate::routing::RingSequence;
use crate::store::calls::{CallEnd, NewCall};
use crate::store::conversations::{MessageKind, StoredMessage};
use crate::store::time::now_ms;
use crate::store::wire::timestamp;
use crate::store::StoreError;

impl Switchboard {
    /// Applies every event of one webhook body. An error means the store failed: the body stays
    /// in the inbox and is applied again later (safe, see the module docs).
    pub(super) async fn apply_webhook(
        &mut self,
        envelope: &WebhookEnvelope,
    ) -> Result<(), StoreError> {
        for (value, call) in envelope.call_events() {
            match call.event {
                CallEventKind::Connect => self.on_connect(value, call).await?,
                CallEventKind::Terminate => self.on_terminate(value, call).await?,
                _ => tracing::debug!(call_id = %call.id, event = ?call.event, "call event ignored"),
            }
        }
        for (value, message) in envelope.messages() {
            let (Some(phone_number_id), Some(from)) = (value.phone_number_id(), &message.from)
            else {
                continue;
            };
            let at = message
                .timestamp_secs()
                .and_then(Result::ok)
                .map(secs_to_ms)
                .unwrap_or_else(now_ms);
            let name = value
                .contacts
                .iter()
                .find(|contact| contact.wa_id.as_deref() == Some(from.as_str()))
                .and_then(|contact| contact.name());
            self.store
                .touch_conversation(phone_number_id, from, name, at)
                .await?;
            let stored = match message.text_body() {
                Some(text) => StoredMessage {
                    id: message.id.clone(),
                    sent_at: at,
                    kind: MessageKind::Text,
                    body: text.to_owned(),
                },
                None => StoredMessage {
                    id: message.id.clone(),
                    sent_at: at,
                    kind: MessageKind::Other,
                    body: summary(message),
                },
            };
            self.store
                .add_inbound_message(phone_number_id, from, &stored)
                .await?;
            if let Some(reply) = message.call_permission_reply_payload() {
                self.permission_reply(phone_number_id, from, &message.id, reply, at)
                    .await?;
            }
        }
        Ok(())
    }

    async fn on_connect(
        &mut self,
        value: &ChangeValue,
        call: &CallEvent,
    ) -> Result<(), StoreError> {
        let event_ms = call.timestamp_secs().and_then(Result::ok).map(secs_to_ms);
        self.store
            .note_call_event(&call.id, "connect", event_ms)
            .await?;
        if call.direction == Some(CallDirection::BusinessInitiated) {
            tracing::warn!(call_id = %call.id, "business-initiated connect ignored: outbound calls are not placed by this platform yet");
            return Ok(());
        }
        if self.live.calls.contains_key(&call.id)
            || self.store.call_status(&call.id).await?.is_some()
        {
            let tombstone = self.store.call_event_seen(&call.id, "terminate").await?;
            tracing::info!(call_id = %call.id, tombstone, "connect for a known call: nobody rung");
            return Ok(());
        }
        let Some(parts) = CallParts::of(value, call) else {
            tracing::warn!(call_id = %call.id, "connect without a usable call id, customer or business number: ignored");
            return Ok(());
        };
        if !self.settings.numbers.is_empty()
            && self.settings.number(&parts.phone_number_id).is_none()
        {
            // Meta sends every app all of the account's numbers' webhooks; ring only for ours.
            tracing::warn!(call_id = %call.id, phone_number_id = %parts.phone_number_id, "connect for a number not configured here: ignored");
            return Ok(());
        }
        let now = now_ms();
        self.store
            .touch_conversation(
                &parts.phone_number_id,
                parts.customer.number.as_str(),
                parts.customer.profile_name.as_deref(),
                event_ms.unwrap_or(now),
            )
            .await?;
        let record = NewCall {
            id: call.id.clone(),
            direction: Direction::Inbound,
            phone_number_id: parts.phone_number_id.clone(),
            business_number: parts.business_number.as_str().to_owned(),
            customer_number: parts.customer.number.as_str().to_owned(),
            customer_name: parts.customer.profile_name.clone(),
            status: CallStatus::Ringing,
            offered_at: now,
        };

        // Meta's accept window started when Meta sent the event, not when it reached us.
        let window_ms =
            i64::try_from(self.settings.timers.accept_window.as_millis()).unwrap_or(i64::MAX);
        let age_ms = event_ms
            .map(|at| now.saturating_sub(at))
            .unwrap_or(0)
            .max(0);
        if age_ms >= window_ms {
            tracing::info!(call_id = %call.id, age_ms, "stale connect: Meta's accept window is over, nobody rung");
            self.store.insert_call(&record).await?;
            return self
                .store
                .finish_call(
                    &call.id,
                    &CallEnd {
                        status: CallStatus::Missed,
                        ended_by: Some(Party::System),
                        ended_at: now,
                        duration_secs: None,
                        meta_error_code: None,
                    },
                )
                .await;
        }
        let offer = call
            .sdp()
            .ok()
            .and_then(|session| Sdp::new(session.sdp).ok());
        let Some(offer) = offer else {
            tracing::warn!(call_id = %call.id, "connect without a usable SDP offer: call failed");
            self.store.insert_call(&record).await?;
            let live = LiveCall {
                id: parts.call_id,
                phone_number_id: parts.phone_number_id,
                business_number: parts.business_number,
                customer: parts.customer,
                offer: placeholder_offer()?,
                offered_at: now,
                sequence: RingSequence::new(timestamp(now)),
                phase: Phase::Routing,
                generation: 0,
            };
            self.live.calls.insert(call.id.clone(), live);
            return self
                .fail(
                    &call.id,
                    crate::graph::GraphFailure::Transport(
                        "Meta's connect webhook carried no usable SDP offer".into(),
                    ),
                )
                .await;
        };
        self.store.insert_call(&record).await?;
        // Meta's accept window started when Meta sent the event, so the ring sequence does too.
        let sequence = RingSequence::new(timestamp(now.saturating_sub(age_ms)));
        let live = LiveCall {
            id: parts.call_id,
            phone_number_id: parts.phone_number_id,
            business_number: parts.business_number,
            customer: parts.customer,
            offer,
            offered_at: now,
            sequence,
            phase: Phase::Routing,
            generation: 0,
        };
        self.start_ringing(live).await
    }

    async fn on_terminate(
        &mut self,
        value: &ChangeValue,
        call: &CallEvent,
    ) -> Result<(), StoreError> {
        let event_ms = call.timestamp_secs().and_then(Result::ok).map(secs_to_ms);
        self.store
            .note_call_event(&call.id, "terminate", event_ms)
            .await?;
        let now = now_ms();
        let meta_error_code = value
            .errors_for_call(call)
            .first()
            .map(|error| i64::from(error.code.code()));
        let duration_secs = call.duration.and_then(|secs| i64::try_from(secs).ok());
        let meta_failed = call.status == Some(TerminateStatus::Failed);
        let ended_at = call
            .end_secs()
            .and_then(Result::ok)
            .map(secs_to_ms)
            .unwrap_or(now);

        if let Some(live) = self.live.calls.remove(&call.id) {
            let answered = matches!(live.phase, Phase::OnCall { .. });
            let status = if meta_failed {
                CallStatus::Failed
            } else if answered {
                CallStatus::Completed
            } else {
                CallStatus::Missed
            };
            if let Phase::Ringing { agent_id, .. } = &live.phase {
                self.store
                    .end_ring(&call.id, agent_id, RingOutcome::Cancelled, now)
                    .await?;
            }
            let end = CallEnd {
                status,
                ended_by: Some(Party::Customer),
                ended_at,
                duration_secs,
                meta_error_code,
            };
            self.store.finish_call(&call.id, &end).await?;
            tracing::info!(call_id = %call.id, ?status, "Meta terminated the call");
            match &live.phase {
                Phase::Ringing { agent_id, .. } => {
                    self.send_to(agent_id, cancelled(&live.id, CancelReason::CallerHungUp));
                }
                Phase::Connecting { agent_id, .. } | Phase::OnCall { agent_id, .. } => {
                    let ended = CallState::Ended {
                        at: timestamp(ended_at),
                        duration_secs: duration_secs
                            .and_then(|secs| u32::try_from(secs).ok())
                            .unwrap_or(0),
                        by: Party::Customer,
                    };
                    self.send_to(
                        agent_id,
                        ServerMessage::CallUpdate(CallUpdate {
                            call_id: live.id.clone(),
                            state: ended,
                        }),
                    );
                }
                Phase::Routing => {}
            }
            return Ok(());
        }

        match self.store.call_status(&call.id).await? {
            Some(_) => {
                // Already closed by us (hang-up, refusal) or left open by a previous run:
                // close it or fill in Meta's numbers.
                let answered = self.store.call_answered_at(&call.id).await?.is_some();
                let status = if meta_failed {
                    CallStatus::Failed
                } else if answered {
                    CallStatus::Completed
                } else {
                    CallStatus::Missed
                };
                self.store
                    .finish_call(
                        &call.id,
                        &CallEnd {
                            status,
                            ended_by: Some(Party::Customer),
                            ended_at,
                            duration_secs,
                            meta_error_code,
                        },
                    )
                    .await
            }
            None => {
                // Terminate before connect: keep a closed record (the tombstone) so the late
                // connect rings nobody.
                let Some(parts) = CallParts::of(value, call) else {
                    tracing::warn!(call_id = %call.id, "terminate for an unknown call without customer details: remembered only as an event");
                    return Ok(());
                };
                tracing::info!(call_id = %call.id, "terminate before connect: tombstone kept");
                self.store
                    .insert_call(&NewCall {
                        id: call.id.clone(),
                        direction: match call.direction {
                            Some(CallDirection::BusinessInitiated) => Direction::Outbound,
                            _ => Direction::Inbound,
                        },
                        phone_number_id: parts.phone_number_id,
                        business_number: parts.business_number.as_str().to_owned(),
                        customer_number: parts.customer.number.as_str().to_owned(),
                        customer_name: parts.customer.profile_name,
                        status: CallStatus::Ringing,
                        offered_at: event_ms.unwrap_or(now),
                    })
                    .await?;
                self.store
                    .finish_call(
                        &call.id,
                        &CallEnd {
                            status: if meta_failed {
                                CallStatus::Failed
                            } else {
                                CallStatus::Missed
                            },
                            ended_by: Some(Party::Customer),
                            ended_at,
                            duration_secs,
                            meta_error_code,
                        },
                    )
                    .await
            }
        }
    }
}

/// The validated parts of a call event the records need.
struct CallParts {
    call_id: CallId,
    phone_number_id: String,
    business_number: PhoneNumber,
    customer: Customer,
}

impl CallParts {
    fn of(value: &ChangeValue, call: &CallEvent) -> Option<Self> {
        let metadata = value.metadata.as_ref()?;
        let customer_number = call.customer_number()?;
        let profile_name = value
            .contacts
            .iter()
            .find(|contact| contact.wa_id.as_deref() == Some(customer_number))
            .or(value.contacts.first())
            .and_then(|contact| contact.name())
            .map(str::to_owned);
        Some(Self {
            call_id: CallId::new(call.id.clone()).ok()?,
            phone_number_id: metadata.phone_number_id.clone(),
            business_number: PhoneNumber::new(metadata.display_phone_number.clone()).ok()?,
            customer: Customer {
                number: PhoneNumber::new(customer_number).ok()?,
                profile_name,
            },
        })
    }
}

/// One line for a message the inbox does not render.
fn summary(message: &whatsapp::webhook::InboundMessage) -> String {
    if message.call_permission_reply_payload().is_some() {
        return "call permission reply".into();
    }
    match &message.message_type {
        Some(kind) => format!("{kind:?} message").to_lowercase(),
        None => "message".into(),
    }
}

fn secs_to_ms(secs: u64) -> i64 {
    i64::try_from(secs)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

/// A syntactically valid SDP for a call that had none (it is never sent anywhere).
fn placeholder_offer() -> Result<Sdp, StoreError> {
    Sdp::new("v=0\r\n").map_err(|error| StoreError::Corrupt {
        column: "calls.offer",
        value: String::new(),
        reason: error.to_string(),
    })
}
