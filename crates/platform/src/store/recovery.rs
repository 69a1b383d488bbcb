//! What a new run reads of the calls a previous run left open.

use protocol::CallStatus;

use super::wire::name_of;
use super::{Store, StoreError};

impl Store {
    /// Records left `ringing` by a previous run, with their number (to reject them with
    /// Meta): nobody can answer them any more.
    pub async fn calls_left_ringing_on(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, phone_number_id FROM calls WHERE status = $1")
                .bind(name_of(&CallStatus::Ringing))
                .fetch_all(self.pool())
                .await?,
        )
    }
}
