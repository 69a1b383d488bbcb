//! A conversation as an agent sees it — customer, recent messages, and the pair's call
//! permission state now — for `/api/conversations` and the `conversation_updated` push.

use protocol::rest::{Conversation, ConversationMessage, MessageBody};
use protocol::{AgentId, ConversationId, Customer, Direction, PhoneNumber};

use crate::calls::ConversationFacts;
use crate::config::Settings;
use crate::permissions::PermissionLedger;
use crate::store::conversations::{ConversationRow, MessageKind};
use crate::store::wire::timestamp;
use crate::store::{Store, StoreError};

/// Messages shown per conversation.
pub const RECENT_MESSAGES: i64 = 20;

/// The business number and customer of a conversation, as on the wire; None for a number no
/// longer configured (or numbers that are not valid on the wire): such a conversation is not
/// shown.
pub fn pair_numbers(
    settings: &Settings,
    row: &ConversationRow,
) -> Option<(PhoneNumber, PhoneNumber)> {
    let display = settings.number(&row.phone_number_id)?;
    Some((
        PhoneNumber::new(display.display_phone_number.clone()).ok()?,
        PhoneNumber::new(row.customer_number.clone()).ok()?,
    ))
}

/// The pair's ledger for a conversation row.
pub async fn ledger(
    store: &Store,
    settings: &Settings,
    row: &ConversationRow,
) -> Result<Option<PermissionLedger>, StoreError> {
    let Some((business_number, customer_number)) = pair_numbers(settings, row) else {
        return Ok(None);
    };
    store
        .permission_ledger(
            &row.phone_number_id,
            business_number,
            customer_number,
            row.last_inbound_at,
        )
        .await
        .map(Some)
}

/// The conversation with its recent messages and permission state at `now`.
pub async fn view(
    store: &Store,
    settings: &Settings,
    row: ConversationRow,
    now: protocol::Timestamp,
) -> Result<Option<Conversation>, StoreError> {
    let Some(ledger) = ledger(store, settings, &row).await? else {
        return Ok(None);
    };
    let messages = store.recent_messages(&row.id, RECENT_MESSAGES).await?;
    let Ok(id) = ConversationId::new(row.id) else {
        return Ok(None);
    };
    Ok(Some(Conversation {
        id,
        business_number: ledger.business_number().clone(),
        customer: Customer {
            number: ledger.customer_number().clone(),
            profile_name: row.customer_name,
        },
        assigned_agent: row.assigned_agent_id.and_then(|id| AgentId::new(id).ok()),
        last_customer_activity_at: row.last_inbound_at.map(timestamp),
        recent_messages: messages
            .into_iter()
            .map(|(direction, sent_at, message)| ConversationMessage {
                direction: if direction == "outbound" {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                },
                at: timestamp(sent_at),
                body: match message.kind {
                    MessageKind::Text => MessageBody::Text { text: message.body },
                    MessageKind::Other => MessageBody::Other {
                        summary: message.body,
                    },
                },
            })
            .collect(),
        permission: ledger.state(now),
    }))
}

/// What the call machine and the switchboard need of a conversation for an agent's request.
pub async fn facts(
    store: &Store,
    settings: &Settings,
    conversation_id: &str,
) -> Result<Option<ConversationFacts>, StoreError> {
    let Some(row) = store.conversation_by_id(conversation_id).await? else {
        return Ok(None);
    };
    let Some(ledger) = ledger(store, settings, &row).await? else {
        return Ok(None);
    };
    let contact_owner = store.contact_owner(&row.customer_number).await?;
    let calling_enabled = settings
        .number(&row.phone_number_id)
        .is_none_or(|number| number.calling_enabled.unwrap_or(true));
    Ok(Some(ConversationFacts {
        id: row.id,
        phone_number_id: row.phone_number_id,
        business_number: ledger.business_number().clone(),
        customer: Customer {
            number: ledger.customer_number().clone(),
            profile_name: row.customer_name,
        },
        assigned_agent: row.assigned_agent_id,
        contact_owner,
        calling_enabled,
        ledger,
    }))
}
