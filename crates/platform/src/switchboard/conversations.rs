//! Inbound messages: each updates the customer's conversation (and the 24 h customer-service
//! window); a `call_permission_reply` becomes a stored fact for the call-permission ledger
//! (`store::permissions`), which `/api/conversations` replays; when a fact is new, the
//! conversation's agent is told the new state (`permission_changed`).

use protocol::{PermissionChanged, PhoneNumber, ServerMessage};
use whatsapp::webhook::{
    CallPermissionReply, ChangeValue, InboundMessage, PermissionResponse, ResponseSource,
};

use super::facts::secs_to_ms;
use super::Switchboard;
use crate::permissions::{PermissionEvent, PermissionLedger};
use crate::store::conversations::{MessageKind, StoredMessage};
use crate::store::permissions::PermissionFact;
use crate::store::wire::timestamp;
use crate::store::{StoreError, Write};

/// The ledger event a reply stands for; `None` for a response this version does not know.
/// An expiry Meta sent that cannot be read leaves the standard lifetime (7 days from the reply).
pub fn reply_event(reply: &CallPermissionReply) -> Option<PermissionEvent> {
    let expires_at = reply
        .expiration_secs()
        .and_then(Result::ok)
        .and_then(|secs| i64::try_from(secs).ok())
        .and_then(|secs| secs.checked_mul(1000))
        .map(timestamp);
    let automatic = reply.response_source == Some(ResponseSource::Automatic);
    Some(match reply.response {
        PermissionResponse::Accept if reply.is_permanent_grant() => {
            PermissionEvent::AcceptedPermanent
        }
        PermissionResponse::Accept if automatic => PermissionEvent::CallbackGranted { expires_at },
        PermissionResponse::Accept => PermissionEvent::AcceptedTemporary { expires_at },
        // Meta's automatic rejection is the revocation after unanswered business calls.
        PermissionResponse::Reject if automatic => PermissionEvent::Revoked,
        PermissionResponse::Reject => PermissionEvent::Rejected,
        PermissionResponse::Unknown(_) => return None,
    })
}

/// The writes one inbound message causes: the conversation touched, the message kept, and
/// the permission reply as a fact (each once per Meta message id).
pub fn message_writes(value: &ChangeValue, message: &InboundMessage, now_ms: i64) -> Vec<Write> {
    let (Some(phone_number_id), Some(from)) = (value.phone_number_id(), &message.from) else {
        return Vec::new();
    };
    let at = message
        .timestamp_secs()
        .and_then(Result::ok)
        .map(secs_to_ms)
        .unwrap_or(now_ms);
    let name = value
        .contacts
        .iter()
        .find(|contact| contact.wa_id.as_deref() == Some(from.as_str()))
        .and_then(|contact| contact.name());
    let (kind, body) = match message.text_body() {
        Some(text) => (MessageKind::Text, text.to_owned()),
        None => (MessageKind::Other, summary(message)),
    };
    let mut writes = vec![
        Write::TouchConversation {
            phone_number_id: phone_number_id.to_owned(),
            customer_number: from.clone(),
            customer_name: name.map(str::to_owned),
            at,
        },
        Write::AddInboundMessage {
            phone_number_id: phone_number_id.to_owned(),
            customer_number: from.clone(),
            message: StoredMessage {
                id: message.id.clone(),
                sent_at: at,
                kind,
                body,
            },
        },
    ];
    if let Some(reply) = message.call_permission_reply_payload() {
        match reply_event(reply) {
            Some(event) => writes.push(Write::AddPermissionFact {
                phone_number_id: phone_number_id.to_owned(),
                customer_number: from.clone(),
                fact: PermissionFact {
                    id: message.id.clone(),
                    at,
                    event,
                },
            }),
            None => {
                tracing::warn!(phone_number_id, message_id = message.id, response = ?reply.response, "permission reply with an unknown response: ignored");
            }
        }
    }
    writes
}

/// One line for a message the inbox does not render.
fn summary(message: &InboundMessage) -> String {
    if message.call_permission_reply_payload().is_some() {
        return "call permission reply".into();
    }
    match &message.message_type {
        Some(kind) => format!("{kind:?} message").to_lowercase(),
        None => "message".into(),
    }
}

impl Switchboard {
    /// The pair's ledger as stored now and the agent its conversation is assigned to;
    /// `None` when there is no conversation (or the numbers are not usable).
    pub(super) async fn pair_ledger(
        &self,
        phone_number_id: &str,
        customer_number: &str,
    ) -> Result<Option<(PermissionLedger, Option<String>)>, StoreError> {
        let Some(conversation) = self
            .store
            .conversation(phone_number_id, customer_number)
            .await?
        else {
            return Ok(None);
        };
        let numbers = self.settings.number(phone_number_id).and_then(|number| {
            Some((
                PhoneNumber::new(number.display_phone_number.clone()).ok()?,
                PhoneNumber::new(customer_number).ok()?,
            ))
        });
        let Some((business_number, customer)) = numbers else {
            return Ok(None);
        };
        let ledger = self
            .store
            .permission_ledger(
                phone_number_id,
                business_number,
                customer,
                conversation.last_inbound_at,
            )
            .await?;
        Ok(Some((ledger, conversation.assigned_agent_id)))
    }

    /// Sends the pair's permission state now to the agent assigned to the conversation, if any
    /// (the app shows it without refetching; a disconnected app gets it from REST).
    pub(super) async fn announce_permission(
        &self,
        phone_number_id: &str,
        customer_number: &str,
    ) -> Result<(), StoreError> {
        let Some((ledger, Some(agent_id))) =
            self.pair_ledger(phone_number_id, customer_number).await?
        else {
            return Ok(());
        };
        let permission = ledger.state(chrono::Utc::now());
        self.send_to(
            &agent_id,
            ServerMessage::PermissionChanged(PermissionChanged { permission }),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use whatsapp::webhook::ResponseSource;

    #[test]
    fn replies_map_to_ledger_events() {
        let temporary =
            CallPermissionReply::accept_temporary(1_768_550_400, ResponseSource::UserAction);
        assert_eq!(
            reply_event(&temporary),
            Some(PermissionEvent::AcceptedTemporary {
                expires_at: Some(timestamp(1_768_550_400_000))
            })
        );
        let callback =
            CallPermissionReply::accept_temporary(1_768_550_400, ResponseSource::Automatic);
        assert!(matches!(
            reply_event(&callback),
            Some(PermissionEvent::CallbackGranted {
                expires_at: Some(_)
            })
        ));
        assert_eq!(
            reply_event(&CallPermissionReply::accept_permanent()),
            Some(PermissionEvent::AcceptedPermanent)
        );
        assert_eq!(
            reply_event(&CallPermissionReply::reject(ResponseSource::UserAction)),
            Some(PermissionEvent::Rejected)
        );
        assert_eq!(
            reply_event(&CallPermissionReply::reject(ResponseSource::Automatic)),
            Some(PermissionEvent::Revoked)
        );
    }
}
