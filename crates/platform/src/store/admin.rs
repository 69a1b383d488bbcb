//! Administration of agents and teams: create, rename, change role or team, set a token's
//! expiry, rotate a token (same agent, new secret), revoke; teams as entities. Every write runs
//! in one transaction with its audit entry (`super::audit`).
//!
//! Rotating a revoked agent's token reinstates the agent: that is how a revoked agent gets a
//! new token while keeping their id, history and assignments.

use serde::Serialize;
use serde_json::json;

use super::agents::{agent_from_row, new_token, valid_name, Agent, AgentError, Role};
use super::audit::{self, Actor};
use super::time::now_ms;
use super::{new_id, Store, StoreError};

/// An agent as an admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentRecord {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    /// Unix ms.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub token_expires_at: Option<i64>,
    /// Unix ms of the token's last use, to the minute.
    pub last_used_at: Option<i64>,
}

impl AgentRecord {
    pub fn agent(&self) -> Agent {
        Agent {
            id: self.id.clone(),
            name: self.name.clone(),
            role: self.role,
            team: self.team.clone(),
            created_at: self.created_at,
            revoked_at: self.revoked_at,
        }
    }
}

/// An agent to create.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    pub token_expires_at: Option<i64>,
}

/// What to change on an agent; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AgentChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    /// `Some(None)` takes the agent out of their team.
    pub team: Option<Option<String>>,
}

/// A team and how many agents (revoked ones excluded) are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub name: String,
    pub created_at: i64,
    pub members: i64,
}

type RecordRow = (
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

const RECORD_COLUMNS: &str =
    "id, name, role, team, created_at, revoked_at, token_expires_at, last_used_at";

fn record_from_row(row: RecordRow) -> Result<AgentRecord, StoreError> {
    let (id, name, role, team, created_at, revoked_at, token_expires_at, last_used_at) = row;
    let agent = agent_from_row((id, name, role, team, created_at, revoked_at))?;
    Ok(AgentRecord {
        id: agent.id,
        name: agent.name,
        role: agent.role,
        team: agent.team,
        created_at: agent.created_at,
        revoked_at: agent.revoked_at,
        token_expires_at,
        last_used_at,
    })
}

type Transaction = sqlx::Transaction<'static, sqlx::Sqlite>;

async fn record_in(tx: &mut Transaction, id: &str) -> Result<AgentRecord, AgentError> {
    let row: Option<RecordRow> = sqlx::query_as(&format!(
        "SELECT {RECORD_COLUMNS} FROM agents WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(record_from_row)
        .transpose()?
        .ok_or_else(|| AgentError::NoSuchAgentId(id.to_owned()))
}

async fn name_free(tx: &mut Transaction, name: &str) -> Result<(), AgentError> {
    if !valid_name(name) {
        return Err(AgentError::BadName(name.to_owned()));
    }
    let taken: Option<(String,)> = sqlx::query_as("SELECT id FROM agents WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    match taken {
        Some(_) => Err(AgentError::NameTaken(name.to_owned())),
        None => Ok(()),
    }
}

async fn team_exists(tx: &mut Transaction, team: &str) -> Result<(), AgentError> {
    let found: Option<(String,)> = sqlx::query_as("SELECT name FROM teams WHERE name = $1")
        .bind(team)
        .fetch_optional(&mut **tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(AgentError::NoSuchTeam(team.to_owned())),
    }
}

fn future_expiry(expires_at: Option<i64>) -> Result<(), AgentError> {
    match expires_at {
        Some(at) if at <= now_ms() => Err(AgentError::ExpiryInThePast),
        _ => Ok(()),
    }
}

impl Store {
    /// A write transaction holding SQLite's write lock from its start (`BEGIN IMMEDIATE`,
    /// waiting out other writers under the busy timeout): a deferred one that reads first
    /// would fail with "database is locked" when another connection wrote in between.
    pub(super) async fn write(&self) -> Result<Transaction, sqlx::Error> {
        self.pool().begin_with("BEGIN IMMEDIATE").await
    }

    /// Every agent (revoked ones included) with token expiry and last use, by name.
    pub async fn agent_records(&self) -> Result<Vec<AgentRecord>, StoreError> {
        let rows: Vec<RecordRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM agents ORDER BY name"
        ))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(record_from_row).collect()
    }

    pub async fn agent_record(&self, id: &str) -> Result<Option<AgentRecord>, StoreError> {
        let row: Option<RecordRow> = sqlx::query_as(&format!(
            "SELECT {RECORD_COLUMNS} FROM agents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(record_from_row).transpose()
    }

    /// Creates an agent in an existing team (or none); returns it with its token (shown once).
    pub async fn create_agent(
        &self,
        actor: &Actor,
        new: &NewAgent,
    ) -> Result<(AgentRecord, String), AgentError> {
        future_expiry(new.token_expires_at)?;
        let mut tx = self.write().await?;
        name_free(&mut tx, &new.name).await?;
        if let Some(team) = &new.team {
            team_exists(&mut tx, team).await?;
        }
        let id = new_id()?;
        let (token, hash) = new_token()?;
        sqlx::query(
            "INSERT INTO agents (id, name, role, team, token_hash, created_at, token_expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(&new.name)
        .bind(new.role.as_str())
        .bind(&new.team)
        .bind(hash)
        .bind(now_ms())
        .bind(new.token_expires_at)
        .execute(&mut *tx)
        .await?;
        let detail = json!({
            "name": new.name, "role": new.role, "team": new.team,
            "token_expires_at": new.token_expires_at,
        });
        audit::record(&mut tx, actor, "agent.create", &id, &detail).await?;
        let record = record_in(&mut tx, &id).await?;
        tx.commit().await?;
        Ok((record, token))
    }

    /// Renames an agent, changes their role or team. Their id, token, history and
    /// assignments stay.
    pub async fn change_agent(
        &self,
        actor: &Actor,
        id: &str,
        change: &AgentChange,
    ) -> Result<AgentRecord, AgentError> {
        let mut tx = self.write().await?;
        let before = record_in(&mut tx, id).await?;
        let mut detail = serde_json::Map::new();
        if let Some(name) = change.name.as_ref().filter(|name| **name != before.name) {
            name_free(&mut tx, name).await?;
            sqlx::query("UPDATE agents SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            detail.insert("name".into(), json!({ "from": before.name, "to": name }));
            // Numbers' operators and exclusions name agents: they follow the rename.
            super::numbers::rename_agent(&mut tx, actor, &before.name, name).await?;
        }
        if let Some(role) = change.role.filter(|role| *role != before.role) {
            sqlx::query("UPDATE agents SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            detail.insert("role".into(), json!({ "from": before.role, "to": role }));
        }
        if let Some(team) = change.team.as_ref().filter(|team| **team != before.team) {
            if let Some(team) = team {
                team_exists(&mut tx, team).await?;
            }
            sqlx::query("UPDATE agents SET team = $1 WHERE id = $2")
                .bind(team)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            detail.insert("team".into(), json!({ "from": before.team, "to": team }));
        }
        if detail.is_empty() {
            return Ok(before);
        }
        audit::record(&mut tx, actor, "agent.change", id, &detail.into()).await?;
        let record = record_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Gives the agent a new token (the old one authenticates nothing from the commit on) with
    /// this expiry; reinstates a revoked agent. Returns the agent and the token (shown once).
    pub async fn rotate_token(
        &self,
        actor: &Actor,
        id: &str,
        token_expires_at: Option<i64>,
    ) -> Result<(AgentRecord, String), AgentError> {
        future_expiry(token_expires_at)?;
        let mut tx = self.write().await?;
        let before = record_in(&mut tx, id).await?;
        let (token, hash) = new_token()?;
        sqlx::query(
            "UPDATE agents SET token_hash = $1, token_expires_at = $2, revoked_at = NULL, \
             last_used_at = NULL, token_changed_at = $3 WHERE id = $4",
        )
        .bind(hash)
        .bind(token_expires_at)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = json!({
            "token_expires_at": token_expires_at,
            "reinstated": before.revoked_at.is_some(),
        });
        audit::record(&mut tx, actor, "agent.rotate_token", id, &detail).await?;
        let record = record_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok((record, token))
    }

    /// Revokes the agent's token: it authenticates nothing from the commit on. Revoking a
    /// revoked agent changes nothing and is not audited again.
    pub async fn revoke_agent_id(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<AgentRecord, AgentError> {
        let mut tx = self.write().await?;
        let before = record_in(&mut tx, id).await?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        sqlx::query("UPDATE agents SET revoked_at = $1 WHERE id = $2")
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, actor, "agent.revoke", id, &json!({})).await?;
        let record = record_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Every team with its (not revoked) member count, by name.
    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT t.name, t.created_at, \
             (SELECT COUNT(*) FROM agents a WHERE a.team = t.name AND a.revoked_at IS NULL) \
             FROM teams t ORDER BY t.name",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, created_at, members)| Team {
                name,
                created_at,
                members,
            })
            .collect())
    }

    pub async fn create_team(&self, actor: &Actor, name: &str) -> Result<Team, AgentError> {
        if !valid_name(name) {
            return Err(AgentError::BadTeamName(name.to_owned()));
        }
        let mut tx = self.write().await?;
        if team_exists(&mut tx, name).await.is_ok() {
            return Err(AgentError::TeamTaken(name.to_owned()));
        }
        let created_at = now_ms();
        sqlx::query("INSERT INTO teams (name, created_at) VALUES ($1, $2)")
            .bind(name)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, actor, "team.create", name, &json!({})).await?;
        tx.commit().await?;
        Ok(Team {
            name: name.to_owned(),
            created_at,
            members: 0,
        })
    }

    /// Deletes a team nobody (not revoked) is in; revoked members are taken out of it.
    pub async fn delete_team(&self, actor: &Actor, name: &str) -> Result<(), AgentError> {
        let mut tx = self.write().await?;
        team_exists(&mut tx, name).await?;
        let (members,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM agents WHERE team = $1 AND revoked_at IS NULL")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        if members > 0 {
            return Err(AgentError::TeamInUse {
                name: name.to_owned(),
                members,
            });
        }
        sqlx::query("UPDATE agents SET team = NULL WHERE team = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM teams WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        audit::record(&mut tx, actor, "team.delete", name, &json!({})).await?;
        tx.commit().await?;
        Ok(())
    }
}
