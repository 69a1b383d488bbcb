//! The webhook inbox: verified raw bodies, stored before Meta is answered, processed later.
//!
//! Invariant: a body Meta got a 200 for is in this table (the insert commits before the answer
//! is sent), and it stays "pending" until the processor has applied every event in it. A crash
//! between the two leaves it pending, and the next start processes it. Processing is idempotent
//! (call events are deduplicated by call id + event), so applying a body twice is harmless.

use sqlx::SqliteConnection;

use super::{new_id, time::now_ms, Store, StoreError};

/// A body waiting to be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: String,
    pub received_at: i64,
    pub body: String,
}

impl Store {
    /// Stores a verified webhook body; returns its inbox id once it is committed.
    pub async fn inbox_put(&self, body: &str) -> Result<String, StoreError> {
        let id = new_id().map_err(|error| StoreError::Corrupt {
            column: "webhook_inbox.id",
            value: String::new(),
            reason: format!("no randomness for an id: {error}"),
        })?;
        sqlx::query("INSERT INTO webhook_inbox (id, received_at, body) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(now_ms())
            .bind(body)
            .execute(self.pool())
            .await?;
        Ok(id)
    }

    /// The oldest pending bodies, oldest first.
    pub async fn inbox_pending(&self, limit: i64) -> Result<Vec<InboxItem>, StoreError> {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT id, received_at, body FROM webhook_inbox WHERE processed_at IS NULL \
             ORDER BY received_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, received_at, body)| InboxItem {
                id,
                received_at,
                body,
            })
            .collect())
    }

    /// Marks a body processed; `error` says why it was given up on, if it was.
    pub async fn inbox_done(&self, id: &str, error: Option<&str>) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        inbox_done(&mut conn, id, error).await?;
        Ok(())
    }

    /// Deletes bodies processed before `before` (unix ms); returns how many. Pending bodies are
    /// never deleted, whatever their age.
    pub async fn inbox_prune(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM webhook_inbox WHERE processed_at IS NOT NULL AND processed_at < $1",
        )
        .bind(before)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }

    /// How many bodies are stored and how many of them are still pending.
    pub async fn inbox_counts(&self) -> Result<(i64, i64), StoreError> {
        let (total, pending): (i64, i64) =
            sqlx::query_as("SELECT COUNT(*), COUNT(*) - COUNT(processed_at) FROM webhook_inbox")
                .fetch_one(self.pool())
                .await?;
        Ok((total, pending))
    }

    /// Records that `event` was seen for `call_id`. False if it was seen before (a duplicate).
    pub async fn note_call_event(
        &self,
        call_id: &str,
        event: &str,
        event_time: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        note_call_event(&mut conn, call_id, event, event_time).await
    }

    /// Whether `event` was already seen for `call_id` (e.g. a terminate tombstone).
    pub async fn call_event_seen(&self, call_id: &str, event: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT call_id FROM call_events WHERE call_id = $1 AND event = $2")
                .bind(call_id)
                .bind(event)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.is_some())
    }
}

// Connection-level writes: the SQL of the `Store` methods above, on a connection the caller
// chose, so `Store::apply` can run several in one transaction.

/// See [`Store::inbox_done`]; true if the body exists (and was marked).
pub(crate) async fn inbox_done(
    conn: &mut SqliteConnection,
    id: &str,
    error: Option<&str>,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE webhook_inbox SET processed_at = $1, error = $2 WHERE id = $3")
        .bind(now_ms())
        .bind(error)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// See [`Store::note_call_event`]; false for a duplicate.
pub(crate) async fn note_call_event(
    conn: &mut SqliteConnection,
    call_id: &str,
    event: &str,
    event_time: Option<i64>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO call_events (call_id, event, event_time, received_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (call_id, event) DO NOTHING",
    )
    .bind(call_id)
    .bind(event)
    .bind(event_time)
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
