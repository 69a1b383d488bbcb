//! Which calls have a recording, its checksum and size, and who may upload one.

use super::{time::now_ms, Store, StoreError};

/// A recording on record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRecording {
    pub sha256: String,
    pub size: u64,
}

/// Whether `agent_id` may upload `call_id`'s recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadRight {
    /// The agent answered or placed the call; a recording may already be kept.
    Talker(Option<KeptRecording>),
    UnknownCall,
    /// Another agent's call (or nobody talked on it).
    NotTheirs,
}

impl Store {
    pub async fn upload_right(
        &self,
        call_id: &str,
        agent_id: &str,
    ) -> Result<UploadRight, StoreError> {
        let row: Option<(Option<String>, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT COALESCE(c.answered_by, c.placed_by), r.sha256, r.size FROM calls c \
             LEFT JOIN recordings r ON r.call_id = c.id WHERE c.id = $1",
        )
        .bind(call_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            None => UploadRight::UnknownCall,
            Some((talker, _, _)) if talker.as_deref() != Some(agent_id) => UploadRight::NotTheirs,
            Some((_, Some(sha256), Some(size))) => UploadRight::Talker(Some(KeptRecording {
                sha256,
                size: u64::try_from(size).unwrap_or_default(),
            })),
            Some(_) => UploadRight::Talker(None),
        })
    }

    /// Links the stored recording to its call; false if one was linked meanwhile.
    pub async fn link_recording(
        &self,
        call_id: &str,
        agent_id: &str,
        kept: &KeptRecording,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO recordings (call_id, sha256, size, uploaded_by, stored_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_id) DO NOTHING",
        )
        .bind(call_id)
        .bind(&kept.sha256)
        .bind(i64::try_from(kept.size).unwrap_or(i64::MAX))
        .bind(agent_id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Calls of `phone_number_id` whose recording was stored before `before` (unix ms).
    pub async fn recordings_before(
        &self,
        phone_number_id: &str,
        before: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT r.call_id FROM recordings r JOIN calls c ON c.id = r.call_id \
             WHERE c.phone_number_id = $1 AND r.stored_at < $2",
        )
        .bind(phone_number_id)
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The call no longer has a recording.
    pub async fn unlink_recording(&self, call_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM recordings WHERE call_id = $1")
            .bind(call_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
