//! Agents and their bearer tokens.
//!
//! A token is 32 random bytes (hex, prefixed `rdk_`); only its sha256 is stored. Lookup is by
//! hash, then the stored and computed hashes are compared in constant time, so neither the
//! database index nor the comparison reveals how much of a guessed token was right.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{time::now_ms, Store, StoreError};

/// What an agent may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
    #[error("no agent with id {0:?}")]
    NoSuchAgentId(String),
    #[error("agent name must be 1 to 64 printable characters, got {0:?}")]
    BadName(String),
    #[error("team name must be 1 to 64 printable characters, got {0:?}")]
    BadTeamName(String),
    #[error("no team named {0:?}; create it first")]
    NoSuchTeam(String),
    #[error("a team named {0:?} already exists")]
    TeamTaken(String),
    #[error("team {name:?} still has {members} agent(s); move them to another team first")]
    TeamInUse { name: String, members: i64 },
    #[error("the token's expiry must be in the future")]
    ExpiryInThePast,
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

pub(crate) type AgentRow = (String, String, String, Option<String>, i64, Option<i64>);
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

pub(crate) fn agent_from_row(row: AgentRow) -> Result<Agent, StoreError> {
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

pub(crate) const AGENT_COLUMNS: &str = "id, name, role, team, created_at, revoked_at";

/// Agent and team names: 1 to 64 characters, none of them a control character.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= 64 && !name.chars().any(char::is_control)
}

/// A new random token and its hash.
pub(crate) fn new_token() -> Result<(String, String), getrandom::Error> {
    let token = generate_token()?;
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// `last_used_at` is written at most once a minute per agent, so authenticating a busy client
/// is not a write per request.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

impl Store {
    /// Creates an agent from the command line (its team is created when new); returns it with
    /// its token (shown once, never stored). Audited as the command line.
    pub async fn add_agent(
        &self,
        name: &str,
        role: Role,
        team: Option<&str>,
    ) -> Result<(Agent, String), AgentError> {
        let actor = super::audit::Actor::command_line();
        if let Some(team) = team {
            match self.create_team(&actor, team).await {
                Ok(_) | Err(AgentError::TeamTaken(_)) => {}
                Err(error) => return Err(error),
            }
        }
        let new = super::admin::NewAgent {
            name: name.to_owned(),
            role,
            team: team.map(str::to_owned),
            token_expires_at: None,
        };
        let (record, token) = self.create_agent(&actor, &new).await?;
        Ok((record.agent(), token))
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

    /// The agents whose open sockets must close (for the sweep): every revoked or expired
    /// agent (`None`: whenever the socket signed in), and every agent whose token was rotated
    /// at or after `rotated_since` (`Some(at)`: sockets signed in before `at`).
    pub async fn signed_out_agents(
        &self,
        rotated_since: i64,
    ) -> Result<Vec<(String, Option<i64>)>, StoreError> {
        let rows: Vec<(String, Option<i64>)> = sqlx::query_as(
            "SELECT id, CASE WHEN revoked_at IS NOT NULL OR token_expires_at <= $1 THEN NULL \
             ELSE token_changed_at END FROM agents \
             WHERE revoked_at IS NOT NULL OR token_expires_at <= $1 OR token_changed_at >= $2",
        )
        .bind(now_ms())
        .bind(rotated_since)
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }

    /// Revokes the agent's token from the command line: it authenticates nothing from now on.
    pub async fn revoke_agent(&self, name: &str) -> Result<Agent, AgentError> {
        let agent = self
            .agent_by_name(name)
            .await?
            .ok_or_else(|| AgentError::NoSuchAgent(name.to_owned()))?;
        let record = self
            .revoke_agent_id(&super::audit::Actor::command_line(), &agent.id)
            .await?;
        Ok(record.agent())
    }

    /// The live agent whose token this is: not revoked, not expired. Notes the token's use.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Agent>, StoreError> {
        let presented = hash_token(token);
        let now = now_ms();
        let row: Option<AuthRow> = sqlx::query_as(&format!(
            "SELECT {AGENT_COLUMNS}, token_hash FROM agents \
                 WHERE token_hash = $1 AND revoked_at IS NULL \
                 AND (token_expires_at IS NULL OR token_expires_at > $2)"
        ))
        .bind(&presented)
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        let Some((id, name, role, team, created_at, revoked_at, stored)) = row else {
            return Ok(None);
        };
        if !bool::from(stored.as_bytes().ct_eq(presented.as_bytes())) {
            return Ok(None);
        }
        if let Err(error) = sqlx::query(
            "UPDATE agents SET last_used_at = $1 WHERE id = $2 \
             AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(&id)
        .bind(now - LAST_USED_RESOLUTION_MS)
        .execute(self.pool())
        .await
        {
            // Only the "last used" figure is stale; the token is good.
            tracing::warn!(%error, "could not note a token's use");
        }
        agent_from_row((id, name, role, team, created_at, revoked_at)).map(Some)
    }
}
