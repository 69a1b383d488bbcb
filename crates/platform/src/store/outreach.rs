//! The messages the business sent (texts, permission requests), kept in the conversation like
//! inbound ones.

use super::conversations::StoredMessage;
use super::{Store, StoreError};

impl Store {
    /// Stores a message the business sent (once per Meta message id).
    pub async fn add_outbound_message(
        &self,
        conversation_id: &str,
        message: &StoredMessage,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO messages (id, conversation_id, direction, sent_at, kind, body) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&message.id)
        .bind(conversation_id)
        .bind("outbound")
        .bind(message.sent_at)
        .bind(message.kind.as_str())
        .bind(&message.body)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
