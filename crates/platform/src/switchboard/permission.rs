//! Feeding the call-permission ledger: the customer's `call_permission_reply` messages and
//! connected customer calls become stored facts (`store::permissions`), which
//! `/api/conversations` replays into the pair's ledger; the conversation's agent is told the new
//! state (`permission_changed`).

use protocol::{Direction, PermissionChanged, PhoneNumber, ServerMessage, Timestamp};
use whatsapp::webhook::{CallPermissionReply, PermissionResponse, ResponseSource};

use super::Switchboard;
use crate::permissions::PermissionEvent;
use crate::store::permissions::PermissionFact;
use crate::store::wire::{millis, timestamp};
use crate::store::StoreError;

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

impl Switchboard {
    /// Stores the customer's permission reply (once per Meta message id).
    pub(super) async fn permission_reply(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        message_id: &str,
        reply: &CallPermissionReply,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        let Some(event) = reply_event(reply) else {
            tracing::warn!(phone_number_id, message_id, response = ?reply.response, "permission reply with an unknown response: ignored");
            return Ok(());
        };
        let fact = PermissionFact {
            id: message_id.to_owned(),
            at: at_ms,
            event,
        };
        if self
            .store
            .add_permission_fact(phone_number_id, customer_number, &fact)
            .await?
        {
            tracing::info!(
                phone_number_id,
                customer_number,
                ?event,
                "call permission reply stored"
            );
            self.announce_permission(phone_number_id, customer_number)
                .await?;
        }
        Ok(())
    }

    /// Sends the pair's permission state now to the agent assigned to the conversation, if any
    /// (the app shows it without refetching; a disconnected app gets it from REST).
    async fn announce_permission(
        &self,
        phone_number_id: &str,
        customer_number: &str,
    ) -> Result<(), StoreError> {
        let Some(conversation) = self
            .store
            .conversation(phone_number_id, customer_number)
            .await?
        else {
            return Ok(());
        };
        let Some(agent_id) = conversation.assigned_agent_id.as_deref() else {
            return Ok(());
        };
        let numbers = self.settings.number(phone_number_id).and_then(|number| {
            Some((
                PhoneNumber::new(number.display_phone_number.clone()).ok()?,
                PhoneNumber::new(customer_number).ok()?,
            ))
        });
        let Some((business_number, customer)) = numbers else {
            return Ok(());
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
        let permission = ledger.state(chrono::Utc::now());
        self.send_to(
            agent_id,
            ServerMessage::PermissionChanged(PermissionChanged { permission }),
        );
        Ok(())
    }

    /// A customer's call connected at `at`: it resets the request limits, and on a number with
    /// callback permission enabled it grants a temporary permission.
    pub(super) async fn customer_call_connected(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        call_id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut facts = vec![PermissionFact {
            id: format!("{call_id}:call_connected"),
            at: millis(at),
            event: PermissionEvent::CallConnected {
                direction: Direction::Inbound,
            },
        }];
        let callback = self
            .settings
            .number(phone_number_id)
            .is_some_and(|number| number.callback_permission == Some(true));
        if callback {
            facts.push(PermissionFact {
                id: format!("{call_id}:callback_granted"),
                at: millis(at),
                event: PermissionEvent::CallbackGranted { expires_at: None },
            });
        }
        let mut changed = false;
        for fact in &facts {
            changed |= self
                .store
                .add_permission_fact(phone_number_id, customer_number, fact)
                .await?;
        }
        if changed {
            self.announce_permission(phone_number_id, customer_number)
                .await?;
        }
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
