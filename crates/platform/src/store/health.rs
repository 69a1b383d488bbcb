//! What `/healthz` reads of the store beyond the inbox counts.

use super::{Store, StoreError};

impl Store {
    /// Webhook bodies given up on (processed with an error), and the age in ms of the oldest
    /// pending body at `now_ms` (the inbox's lag; 0 when none is pending).
    pub async fn inbox_trouble(&self, now_ms: i64) -> Result<(i64, i64), StoreError> {
        let (dead, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM webhook_inbox WHERE error IS NOT NULL), \
             (SELECT MIN(received_at) FROM webhook_inbox WHERE processed_at IS NULL)",
        )
        .fetch_one(self.pool())
        .await?;
        Ok((
            dead,
            oldest.map_or(0, |at| now_ms.saturating_sub(at).max(0)),
        ))
    }
}
