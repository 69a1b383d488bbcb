//! The audit log: every administrative write, with who did it and when, written in the same
//! transaction as the write itself (a change without its entry, or an entry without its change,
//! cannot be committed). Entries never hold a token.

use serde::Serialize;
use serde_json::Value;
use sqlx::SqliteConnection;

use super::agents::Agent;
use super::time::now_ms;
use super::{Store, StoreError};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The agent (an admin, or an agent rotating their own token); `None` for the command line.
    pub id: Option<String>,
    pub name: String,
}

impl Actor {
    pub fn agent(agent: &Agent) -> Self {
        Self {
            id: Some(agent.id.clone()),
            name: agent.name.clone(),
        }
    }

    /// The `ringdesk-platform` command line on the platform's host.
    pub fn command_line() -> Self {
        Self {
            id: None,
            name: "command line".to_owned(),
        }
    }
}

/// One audited write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    /// Unix ms.
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub detail: Value,
}

/// Appends an entry inside the caller's transaction.
pub(crate) async fn record(
    connection: &mut SqliteConnection,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now_ms())
    .bind(&actor.id)
    .bind(&actor.name)
    .bind(action)
    .bind(target)
    .bind(detail.to_string())
    .execute(connection)
    .await?;
    Ok(())
}

type AuditRow = (i64, i64, Option<String>, String, String, String, String);

impl Store {
    /// The newest entries first, at most `limit`, older than `before` (a `seq`) when given.
    pub async fn audit_entries(
        &self,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = sqlx::query_as(
            "SELECT seq, at, actor_id, actor_name, action, target, detail FROM audit_log \
             WHERE $1 IS NULL OR seq < $1 ORDER BY seq DESC LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|(seq, at, actor_id, actor_name, action, target, detail)| {
                let detail =
                    serde_json::from_str(&detail).map_err(|error| StoreError::Corrupt {
                        column: "audit_log.detail",
                        value: detail.clone(),
                        reason: error.to_string(),
                    })?;
                Ok(AuditEntry {
                    seq,
                    at,
                    actor_id,
                    actor_name,
                    action,
                    target,
                    detail,
                })
            })
            .collect()
    }
}
