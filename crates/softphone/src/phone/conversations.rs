//! The agent's conversations over REST: `GET {platform}/api/conversations` (the inbox; live
//! changes then come as [`super::PhoneEvent::ConversationUpdated`] and
//! [`super::PhoneEvent::PermissionChanged`]).

use protocol::rest::Conversation;

use super::rest::{endpoint, get_json};
use super::PhoneError;
use crate::transport::PlatformLink;

/// The conversations this agent sees (assigned to them; a supervisor's team; all for an
/// admin), each with its recent messages and call permission.
pub async fn conversations(
    link: &PlatformLink,
    token: &str,
) -> Result<Vec<Conversation>, PhoneError> {
    get_json(link, endpoint(link, "/api/conversations")?, token).await
}

/// The conversation with `customer_number` (WhatsApp's bare digits, a leading `+` ignored),
/// or why there is none the agent may use.
pub async fn conversation_with(
    link: &PlatformLink,
    token: &str,
    customer_number: &str,
) -> Result<Conversation, PhoneError> {
    let wanted = customer_number.trim().trim_start_matches('+');
    conversations(link, token)
        .await?
        .into_iter()
        .find(|c| c.customer.number.as_str() == wanted)
        .ok_or_else(|| PhoneError::NoConversation(wanted.to_owned()))
}
