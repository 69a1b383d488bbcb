//! Agents and their bearer tokens.
//!
//! A token is 32 random bytes (hex, prefixed `rdk_`); only its sha256 is stored. Lookup is by
//! hash, then the stored and computed hashes are compared in constant time, so neither the
//! database index nor the comparison reveals how much of a guessed token was right.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{new_id, time::now_ms, Store, StoreError};

/// What an agent may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "agent" => Some(Role::Agent),
            "supervisor" => Some(Role::Supervisor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// An agent as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Why an agent command was refused.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("an agent named {0:?} already exists")]
    NameTaken(String),
    #[error("no agent named {0:?}")]
    NoSuchAgent(String),
    #[error("agent name must be 1 to 64 printable characters, got {0:?}")]
    BadName(String),
    #[error("cannot generate a random token: {0}")]
    Random(#[from] getrandom::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AgentError {
    fn from(error: sqlx::Error) -> Self {
        AgentError::Store(StoreError::Sql(error))
    }
}

/// Prefix that makes a leaked token recognisable in a secret scan.
const TOKEN_PREFIX: &str = "rdk_";

fn generate_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
}

/// sha256 of the token, lower-case hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

type AgentRow = (String, String, String, Option<String>, i64, Option<i64>);
/// An agent row plus its stored token hash.
type AuthRow = (
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    String,
);

fn agent_from_row(row: AgentRow) -> Result<Agent, StoreError> {
    let (id, name, role, team, created_at, revoked_at) = row;
    let role = Role::parse(&role).ok_or_else(|| StoreError::Corrupt {
        column: "agents.role",
        value: role.clone(),
        reason: "expected agent, supervisor or admin".into(),
    })?;
    Ok(Agent {
        id,
        name,
        role,
        team,
        created_at,
        revoked_at,
    })
}

const AGENT_COLUMNS: &str = "id, name, role, team, created_at, revoked_at";

impl Store {
    /// Creates an agent; returns it with its token (shown once, never stored).
    pub async fn add_agent(
        &self,
        name: &str,
        role: Role,
        team: Option<&str>,
    ) -> Result<(Agent, String), AgentError> {
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(AgentError::BadName(name.to_owned()));
        }
        if self.agent_by_name(name).await?.is_some() {
            return Err(AgentError::NameTaken(name.to_owned()));
        }
        let token = generate_token()?;
        let agent = Agent {
            id: new_id()?,
            name: name.to_owned(),
            role,
            team: team.map(str::to_owned),
            created_at: now_ms(),
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO agents (id, name, role, team, token_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&agent.id)
        .bind(&agent.name)
        .bind(agent.role.as_str())
        .bind(&agent.team)
        .bind(hash_token(&token))
        .bind(agent.created_at)
        .execute(self.pool())
        .await?;
        Ok((agent, token))
    }

    pub async fn agent_by_name(&self, name: &str) -> Result<Option<Agent>, StoreError> {
        let row: Option<AgentRow> = sqlx::query_as(&format!(
            "SELECT {AGENT_COLUMNS} FROM agents WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(self.pool())
        .await?;
        row.map(agent_from_row).transpose()
    }

    pub async fn agent_by_id(&self, id: &str) -> Result<Option<Agent>, StoreError> {
        let row: Option<AgentRow> =
            sqlx::query_as(&format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        row.map(agent_from_row).transpose()
    }

    /// All agents, revoked ones included, by name.
    pub async fn list_agents(&self) -> Result<Vec<Agent>, StoreError> {
        let rows: Vec<AgentRow> =
            sqlx::query_as(&format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY name"))
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(agent_from_row).collect()
    }

    /// The ids of every revoked agent (for the sweep that closes their open sockets).
    pub async fn revoked_agent_ids(&self) -> Result<Vec<String>, StoreError> {
        let ids: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM agents WHERE revoked_at IS NOT NULL")
                .fetch_all(self.pool())
                .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// Revokes the agent's token: it authenticates nothing from now on.
    pub async fn revoke_agent(&self, name: &str) -> Result<Agent, AgentError> {
        let done =
            sqlx::query("UPDATE agents SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                .bind(now_ms())
                .bind(name)
                .execute(self.pool())
                .await?;
        let agent = self
            .agent_by_name(name)
            .await?
            .ok_or_else(|| AgentError::NoSuchAgent(name.to_owned()))?;
        if done.rows_affected() == 0 && agent.revoked_at.is_none() {
            return Err(AgentError::NoSuchAgent(name.to_owned()));
        }
        Ok(agent)
    }

    /// The live (not revoked) agent whose token this is.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Agent>, StoreError> {
        let presented = hash_token(token);
        let row: Option<AuthRow> = sqlx::query_as(&format!(
            "SELECT {AGENT_COLUMNS}, token_hash FROM agents \
                 WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(&presented)
        .fetch_optional(self.pool())
        .await?;
        let Some((id, name, role, team, created_at, revoked_at, stored)) = row else {
            return Ok(None);
        };
        if !bool::from(stored.as_bytes().ct_eq(presented.as_bytes())) {
            return Ok(None);
        }
        agent_from_row((id, name, role, team, created_at, revoked_at)).map(Some)
    }
}
