//! What a new run reads of the calls a previous run left open.

use protocol::{CallStatus, RingOutcome};

use super::wire::name_of;
use super::{Store, StoreError};

impl Store {
    /// Records left `ringing` by a previous run: (id, number, whether an agent had accepted
    /// it — then Meta may hold a `pre_accept` or `accept` and the call is terminated, not
    /// rejected). Nobody can answer them any more.
    pub async fn calls_left_ringing_on(&self) -> Result<Vec<(String, String, bool)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.phone_number_id, EXISTS (SELECT 1 FROM call_rings r              WHERE r.call_id = c.id AND r.outcome = $2) FROM calls c WHERE c.status = $1",
        )
        .bind(name_of(&CallStatus::Ringing))
        .bind(name_of(&RingOutcome::Accepted))
        .fetch_all(self.pool())
        .await?)
    }
}
