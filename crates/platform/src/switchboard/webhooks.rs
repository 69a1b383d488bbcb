//! Applying webhook bodies: call events through the call machine, call statuses too, inbound
//! messages as conversation writes — all bodies of a batch in one transaction (group commit).
//!
//! Order of work, and why:
//! 1. every fact the call events need is read from the store first: if a read fails, nothing
//!    has touched the machine and the bodies stay pending (safe to retry);
//! 2. bodies of the `calls` field (events and call statuses) go before the others (stable), so a burst of message and status
//!    webhooks never delays a ringing customer within a batch;
//! 3. a call id terminated earlier in the batch counts as known for a later connect (the
//!    tombstone is not committed yet when the later connect's facts are read).

use std::collections::{BTreeSet, HashSet};

use whatsapp::webhook::{CallDirection, CallEventKind, ChangeField, WebhookEnvelope};

use super::{conversations, facts, split, Switchboard};
use crate::calls::Input;
use crate::store::time::now_ms;
use crate::store::{StoreError, Write};

/// One verified body to apply.
#[derive(Debug)]
pub struct WebhookBody {
    /// Its inbox row, marked processed in the same transaction as its changes.
    pub inbox_id: Option<String>,
    /// When the body reached the platform (unix ms): Meta's accept window was already running
    /// while it waited in the inbox.
    pub received_at: Option<i64>,
    pub envelope: Box<WebhookEnvelope>,
}

impl Switchboard {
    pub(super) async fn webhooks(
        &mut self,
        mut bodies: Vec<WebhookBody>,
    ) -> Result<(), StoreError> {
        bodies.sort_by_key(|body| {
            !body
                .envelope
                .changes()
                .any(|change| change.field == ChangeField::Calls)
        });

        // 1. Facts first.
        let mut inputs = Vec::new();
        let mut notes = Vec::new();
        let mut terminated = HashSet::new();
        for body in &bodies {
            for (value, call) in body.envelope.call_events() {
                let event = match call.event {
                    CallEventKind::Connect => "connect",
                    CallEventKind::Terminate => "terminate",
                    _ => {
                        tracing::debug!(call_id = %call.id, event = ?call.event, "call event ignored");
                        continue;
                    }
                };
                let input = match call.event {
                    CallEventKind::Connect
                        if call.direction == Some(CallDirection::BusinessInitiated) =>
                    {
                        Input::OutboundConnect {
                            call_id: call.id.clone(),
                            answer: facts::answer(call),
                        }
                    }
                    CallEventKind::Connect => {
                        let mut connect = facts::connect(
                            &self.store,
                            &self.settings,
                            value,
                            call,
                            body.received_at,
                        )
                        .await?;
                        connect.known |= terminated.contains(&call.id);
                        Input::Connect(Box::new(connect))
                    }
                    _ => {
                        terminated.insert(call.id.clone());
                        Input::Terminate(Box::new(
                            facts::terminate(&self.store, value, call).await?,
                        ))
                    }
                };
                notes.push(Write::NoteCallEvent {
                    call_id: call.id.clone(),
                    event,
                    at: facts::event_time(call).map(crate::store::wire::millis),
                });
                inputs.push(input);
            }
            for (_, status) in body.envelope.statuses() {
                inputs.extend(facts::call_status(status));
            }
        }

        // 2. The machine decides.
        let mut writes = notes;
        let mut rest = Vec::new();
        if let Some(machine) = self.machine.as_mut() {
            for input in inputs {
                split(
                    machine.handle(input, chrono::Utc::now()),
                    &mut writes,
                    &mut rest,
                );
            }
        }

        // 3. Messages, and the inbox marks.
        let mut touched = BTreeSet::new();
        for body in &bodies {
            for (value, message) in body.envelope.messages() {
                let message_writes = conversations::message_writes(value, message, now_ms());
                for write in &message_writes {
                    if let Write::AddInboundMessage {
                        phone_number_id,
                        customer_number,
                        ..
                    } = write
                    {
                        touched.insert((phone_number_id.clone(), customer_number.clone()));
                    }
                }
                writes.extend(message_writes);
            }
            if let Some(id) = &body.inbox_id {
                writes.push(Write::InboxDone {
                    id: id.clone(),
                    error: None,
                });
            }
        }
        self.commit(writes).await;
        self.run_effects(rest).await;
        for (phone_number_id, customer_number) in touched {
            self.announce_conversation(&phone_number_id, &customer_number)
                .await;
        }
        Ok(())
    }
}
