//! Call records and the agents rung for them (reading them back for the history is
//! `store::history`).

use protocol::{CallStatus, Channel, Direction, Party, RingOutcome, RoutedBecause};

use sqlx::SqliteConnection;

use super::agents::{Agent, Role};
use super::wire::{name_of, parse};
use super::{time::now_ms, Store, StoreError};

/// A call record about to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    pub id: String,
    pub direction: Direction,
    pub phone_number_id: String,
    pub business_number: String,
    pub customer_number: String,
    pub customer_name: Option<String>,
    pub status: CallStatus,
    pub offered_at: i64,
    /// The agent who placed a business-initiated call (`None` for inbound calls).
    pub placed_by: Option<String>,
}

/// What became of a quality report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QualityKept {
    /// On the record (now or already, the same).
    Stored,
    UnknownCall,
    /// Another agent answered or placed the call (or nobody did).
    NotTheirs,
    /// A different report is already on the record.
    AlreadyReported,
}

type OnCallTuple = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
);

/// A call left `on_call` by a previous run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCallRow {
    pub id: String,
    pub phone_number_id: String,
    pub business_number: String,
    pub customer_number: String,
    pub customer_name: Option<String>,
    pub answered_by: Option<String>,
    pub offered_at: i64,
    pub answered_at: Option<i64>,
}

/// How a call ended, for [`Store::finish_call`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEnd {
    pub status: CallStatus,
    pub ended_by: Option<Party>,
    pub ended_at: i64,
    /// Meta's talk time, when Meta gave one.
    pub duration_secs: Option<i64>,
    pub meta_error_code: Option<i64>,
}

/// Which records a caller may see (PRODUCT.md: agents their own, supervisors their team's,
/// admins all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    All,
    Team(Option<String>),
    Own(String),
}

impl Visibility {
    pub fn of(agent: &Agent) -> Self {
        match agent.role {
            Role::Admin => Visibility::All,
            Role::Supervisor => Visibility::Team(agent.team.clone()),
            Role::Agent => Visibility::Own(agent.id.clone()),
        }
    }
}

impl Store {
    /// Creates the record unless one with this id exists; true if it was created.
    pub async fn insert_call(&self, call: &NewCall) -> Result<bool, StoreError> {
        let mut conn = self.pool().acquire().await?;
        insert_call(&mut conn, call).await
    }

    /// The record's status, if the record exists.
    pub async fn call_status(&self, id: &str) -> Result<Option<CallStatus>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        call_status(&mut conn, id).await
    }

    /// The record's answer time, if it was answered.
    pub async fn call_answered_at(&self, id: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT answered_at FROM calls WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.and_then(|(at,)| at))
    }

    /// Marks the call answered by `agent_id` (status `on_call`).
    pub async fn answer_call(&self, id: &str, agent_id: &str, at: i64) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        answer_call(&mut conn, id, agent_id, at).await?;
        Ok(())
    }

    /// Closes the record. A final record is only refined (Meta's duration and error code fill in
    /// what the platform did not know), never reopened.
    pub async fn finish_call(&self, id: &str, end: &CallEnd) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        finish_call(&mut conn, id, end).await?;
        Ok(())
    }

    /// Keeps the quality summary `agent_id`'s app reported for a call it talked on: the
    /// first report stays (a repeat of it is fine, a different one is refused), and only
    /// the agent who answered or placed the call may report.
    pub async fn record_quality(
        &self,
        id: &str,
        agent_id: &str,
        quality: &protocol::CallQuality,
    ) -> Result<QualityKept, StoreError> {
        let json = serde_json::to_string(quality).map_err(|e| StoreError::Corrupt {
            column: "calls.quality",
            value: format!("{quality:?}"),
            reason: e.to_string(),
        })?;
        let updated = sqlx::query(
            "UPDATE calls SET quality = $1 WHERE id = $2 AND quality IS NULL \
             AND COALESCE(answered_by, placed_by) = $3",
        )
        .bind(&json)
        .bind(id)
        .bind(agent_id)
        .execute(self.pool())
        .await?;
        if updated.rows_affected() == 1 {
            return Ok(QualityKept::Stored);
        }
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT COALESCE(answered_by, placed_by), quality FROM calls WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            None => QualityKept::UnknownCall,
            Some((talker, _)) if talker.as_deref() != Some(agent_id) => QualityKept::NotTheirs,
            Some((_, kept)) if kept.as_deref() == Some(json.as_str()) => QualityKept::Stored,
            Some(_) => QualityKept::AlreadyReported,
        })
    }

    /// Adds an agent to the record's ring list (outcome `ringing`).
    pub async fn add_ring(
        &self,
        call_id: &str,
        agent_id: &str,
        because: RoutedBecause,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        add_ring(&mut conn, call_id, agent_id, because, at).await
    }

    /// Ends the agent's ring that is still ringing on this call.
    pub async fn end_ring(
        &self,
        call_id: &str,
        agent_id: &str,
        outcome: RingOutcome,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        end_ring(&mut conn, call_id, agent_id, outcome, at).await?;
        Ok(())
    }

    /// When each agent was last offered a call (for least-recently-offered round robin).
    pub async fn last_offered(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT agent_id, MAX(rung_at) FROM call_rings GROUP BY agent_id")
                .fetch_all(self.pool())
                .await?,
        )
    }

    /// Records left `ringing` by a previous run: nobody can answer them any more.
    pub async fn calls_left_ringing(&self) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM calls WHERE status = $1")
            .bind(name_of(&CallStatus::Ringing))
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Calls a previous run left `on_call`: their media never passed through the platform, so
    /// they may still be going on; the switchboard takes them back so the agent's reconnected
    /// app sees them and can hang up, and Meta's terminate webhook can close them.
    pub async fn calls_on_call(&self) -> Result<Vec<OnCallRow>, StoreError> {
        let rows: Vec<OnCallTuple> = sqlx::query_as(
            "SELECT id, phone_number_id, business_number, customer_number, customer_name, \
                 answered_by, offered_at, answered_at FROM calls WHERE status = $1",
        )
        .bind(name_of(&CallStatus::OnCall))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    phone_number_id,
                    business_number,
                    customer_number,
                    customer_name,
                    answered_by,
                    offered_at,
                    answered_at,
                )| OnCallRow {
                    id,
                    phone_number_id,
                    business_number,
                    customer_number,
                    customer_name,
                    answered_by,
                    offered_at,
                    answered_at,
                },
            )
            .collect())
    }

    /// Cancels every ring still open on the call.
    pub async fn cancel_open_rings(&self, call_id: &str, at: i64) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        cancel_open_rings(&mut conn, call_id, at).await?;
        Ok(())
    }
}

// Connection-level writes: the SQL of the `Store` methods above, on a connection the caller
// chose, so `Store::apply` can run several in one transaction.

/// See [`Store::insert_call`]; true if the record was created.
pub(crate) async fn insert_call(
    conn: &mut SqliteConnection,
    call: &NewCall,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO calls (id, direction, channel, phone_number_id, business_number, \
         customer_number, customer_name, status, offered_at, updated_at, placed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&call.id)
    .bind(name_of(&call.direction))
    .bind(name_of(&Channel::Whatsapp))
    .bind(&call.phone_number_id)
    .bind(&call.business_number)
    .bind(&call.customer_number)
    .bind(&call.customer_name)
    .bind(name_of(&call.status))
    .bind(call.offered_at)
    .bind(now_ms())
    .bind(&call.placed_by)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// See [`Store::call_status`].
pub(crate) async fn call_status(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<CallStatus>, StoreError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT status FROM calls WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|(status,)| parse("calls.status", &status))
        .transpose()
}

/// See [`Store::answer_call`]; true if the record exists (and was updated).
pub(crate) async fn answer_call(
    conn: &mut SqliteConnection,
    id: &str,
    agent_id: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE calls SET status = $1, answered_by = $2, answered_at = $3, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(name_of(&CallStatus::OnCall))
    .bind(agent_id)
    .bind(at)
    .bind(now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// See [`Store::finish_call`]; the status is read on `conn` too. True if the record exists
/// (and was closed or refined).
pub(crate) async fn finish_call(
    conn: &mut SqliteConnection,
    id: &str,
    end: &CallEnd,
) -> Result<bool, StoreError> {
    let current = call_status(conn, id).await?;
    let done = match current {
        Some(status) if status.is_final() => {
            sqlx::query(
                "UPDATE calls SET duration_secs = COALESCE($1, duration_secs), \
                 meta_error_code = COALESCE($2, meta_error_code), updated_at = $3 \
                 WHERE id = $4",
            )
            .bind(end.duration_secs)
            .bind(end.meta_error_code)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *conn)
            .await?
        }
        _ => {
            sqlx::query(
                "UPDATE calls SET status = $1, ended_by = $2, ended_at = $3, \
                 duration_secs = COALESCE($4, duration_secs), \
                 meta_error_code = COALESCE($5, meta_error_code), updated_at = $6 \
                 WHERE id = $7",
            )
            .bind(name_of(&end.status))
            .bind(end.ended_by.as_ref().map(name_of))
            .bind(end.ended_at)
            .bind(end.duration_secs)
            .bind(end.meta_error_code)
            .bind(now_ms())
            .bind(id)
            .execute(&mut *conn)
            .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

/// See [`Store::add_ring`]; the next `seq` is read on `conn` too.
pub(crate) async fn add_ring(
    conn: &mut SqliteConnection,
    call_id: &str,
    agent_id: &str,
    because: RoutedBecause,
    at: i64,
) -> Result<(), StoreError> {
    let (next,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM call_rings WHERE call_id = $1")
            .bind(call_id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO call_rings (call_id, seq, agent_id, routed_because, rung_at, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(call_id)
    .bind(next)
    .bind(agent_id)
    .bind(name_of(&because))
    .bind(at)
    .bind(name_of(&RingOutcome::Ringing))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// See [`Store::end_ring`]; true if a ringing ring was ended.
pub(crate) async fn end_ring(
    conn: &mut SqliteConnection,
    call_id: &str,
    agent_id: &str,
    outcome: RingOutcome,
    at: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE call_rings SET outcome = $1, ended_at = $2 \
         WHERE call_id = $3 AND agent_id = $4 AND outcome = $5",
    )
    .bind(name_of(&outcome))
    .bind(at)
    .bind(call_id)
    .bind(agent_id)
    .bind(name_of(&RingOutcome::Ringing))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// See [`Store::cancel_open_rings`]; true if any ring was still open.
pub(crate) async fn cancel_open_rings(
    conn: &mut SqliteConnection,
    call_id: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE call_rings SET outcome = $1, ended_at = $2 WHERE call_id = $3 AND outcome = $4",
    )
    .bind(name_of(&RingOutcome::Cancelled))
    .bind(at)
    .bind(call_id)
    .bind(name_of(&RingOutcome::Ringing))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
