//! REST: agents, teams and the audit log (`/api/v1/agents`, `/api/v1/teams`, `/api/v1/audit`).
//!
//! Who may do what:
//! - an **admin** lists, creates, changes, revokes agents and rotates their tokens; manages
//!   teams; reads the audit log;
//! - a **supervisor** reads the agents of their own team and the team list;
//! - an **agent** reads themself and rotates their own token.
//!
//! An agent outside the caller's sight is a 404 (the answer does not reveal who exists); an
//! action beyond the caller's role a 403. Both are answered before anything is written, so a
//! refused request changes nothing. Every write is audited with who and when
//! (`crate::store::audit`). A rotated or revoked token stops at the commit: the next request
//! with it is a 401, and an open socket that signed in with it is closed at once.

// The handlers' helpers return a finished refusal as the error, once per request; its size does
// not matter next to the request itself.
#![allow(clippy::result_large_err)]

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use protocol::{ErrorCode, Timestamp};
use serde::{Deserialize, Deserializer, Serialize};

use super::auth::{authenticate, error_response};
use super::history::store_failure;
use super::AppState;
use crate::store::admin::{AgentChange, AgentRecord, NewAgent, Team};
use crate::store::agents::{Agent, AgentError, Role};
use crate::store::audit::{Actor, AuditEntry};
use crate::store::wire::{millis, timestamp};
use crate::switchboard::Command;

/// An agent as the API shows it.
#[derive(Debug, Serialize)]
pub struct AgentView {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    pub created_at: Timestamp,
    pub revoked: bool,
    pub revoked_at: Option<Timestamp>,
    pub token_expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl From<AgentRecord> for AgentView {
    fn from(record: AgentRecord) -> Self {
        Self {
            id: record.id,
            name: record.name,
            role: record.role,
            team: record.team,
            created_at: timestamp(record.created_at),
            revoked: record.revoked_at.is_some(),
            revoked_at: record.revoked_at.map(timestamp),
            token_expires_at: record.token_expires_at.map(timestamp),
            last_used_at: record.last_used_at.map(timestamp),
        }
    }
}

/// An agent and their new token (shown once).
#[derive(Debug, Serialize)]
pub struct AgentWithToken {
    pub agent: AgentView,
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
}

/// A present field, even `null`, is `Some`: `"team": null` takes the agent out of their team.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeAgent {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "present")]
    pub team: Option<Option<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateToken {
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub before: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: Timestamp,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        Self {
            seq: entry.seq,
            at: timestamp(entry.at),
            actor_id: entry.actor_id,
            actor_name: entry.actor_name,
            action: entry.action,
            target: entry.target,
            detail: entry.detail,
        }
    }
}

/// Most audit entries one request returns (and the default).
const AUDIT_PAGE: u32 = 500;

pub(super) fn forbidden(message: &str) -> Response {
    error_response(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
}

fn no_agent(id: &str) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("no agent with id {id:?} visible to you"),
    )
}

pub(super) fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Response> {
    body.map(|Json(body)| body).map_err(|rejection| {
        error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!("invalid request body: {}", rejection.body_text()),
        )
    })
}

/// The refusal for a store-level error.
fn refused(error: AgentError) -> Response {
    let (status, code) = match &error {
        AgentError::NoSuchAgent(_) | AgentError::NoSuchAgentId(_) => {
            (StatusCode::NOT_FOUND, ErrorCode::NotFound)
        }
        AgentError::NoSuchTeam(_) | AgentError::BadName(_) | AgentError::BadTeamName(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidMessage)
        }
        AgentError::ExpiryInThePast => {
            (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidMessage)
        }
        AgentError::NameTaken(_) | AgentError::TeamTaken(_) | AgentError::TeamInUse { .. } => {
            (StatusCode::CONFLICT, ErrorCode::Conflict)
        }
        AgentError::Random(_) | AgentError::Store(_) => {
            tracing::error!(%error, "agent administration failed");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::InternalError,
                "the change could not be made; retry",
            );
        }
    };
    error_response(status, code, error.to_string())
}

pub(super) async fn caller(state: &AppState, headers: &HeaderMap) -> Result<Agent, Response> {
    authenticate(&state.store, headers).await
}

pub(super) fn admin(caller: &Agent, what: &str) -> Result<(), Response> {
    match caller.role {
        Role::Admin => Ok(()),
        _ => Err(forbidden(&format!("only an admin may {what}"))),
    }
}

/// May `caller` see this agent? Admins all, supervisors their team (and themselves), agents
/// themselves.
fn sees(caller: &Agent, agent: &AgentRecord) -> bool {
    caller.id == agent.id
        || match caller.role {
            Role::Admin => true,
            Role::Supervisor => caller.team.is_some() && caller.team == agent.team,
            Role::Agent => false,
        }
}

/// The agent, if the caller may see them; a 404 otherwise.
async fn visible(state: &AppState, caller: &Agent, id: &str) -> Result<AgentRecord, Response> {
    match state.store.agent_record(id).await {
        Ok(Some(record)) if sees(caller, &record) => Ok(record),
        Ok(_) => Err(no_agent(id)),
        Err(error) => Err(store_failure(error)),
    }
}

/// Closes the sockets that signed in with the agent's old token.
fn sign_out(state: &AppState, agent_id: &str) {
    state.switchboard.send(Command::Revoked {
        agent_ids: vec![agent_id.to_owned()],
    });
}

/// What a handler answers: the response, or a refusal (both are responses; `?` returns the
/// refusal early, before anything is written).
type Reply = Result<Response, Response>;

/// `GET /api/v1/agents`.
pub async fn list_agents(State(state): State<AppState>, headers: HeaderMap) -> Reply {
    let caller = caller(&state, &headers).await?;
    if caller.role == Role::Agent {
        return Err(forbidden("only a supervisor or an admin may list agents"));
    }
    let records = state.store.agent_records().await.map_err(store_failure)?;
    let visible: Vec<AgentView> = records
        .into_iter()
        .filter(|record| sees(&caller, record))
        .map(AgentView::from)
        .collect();
    Ok(Json(visible).into_response())
}

/// `GET /api/v1/agents/{id}`.
pub async fn get_agent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    let record = visible(&state, &caller, &id).await?;
    Ok(Json(AgentView::from(record)).into_response())
}

/// `POST /api/v1/agents` → 201 with the token.
pub async fn create_agent(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<Json<CreateAgent>, JsonRejection>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    admin(&caller, "create agents")?;
    let request = body(request)?;
    let new = NewAgent {
        name: request.name,
        role: request.role,
        team: request.team,
        token_expires_at: request.token_expires_at.map(millis),
    };
    let (record, token) = state
        .store
        .create_agent(&Actor::agent(&caller), &new)
        .await
        .map_err(refused)?;
    let created = AgentWithToken {
        agent: record.into(),
        token,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `PATCH /api/v1/agents/{id}`: name, role, team.
pub async fn change_agent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Result<Json<ChangeAgent>, JsonRejection>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    visible(&state, &caller, &id).await?;
    admin(&caller, "change agents")?;
    let request = body(request)?;
    let change = AgentChange {
        name: request.name,
        role: request.role,
        team: request.team,
    };
    let record = state
        .store
        .change_agent(&Actor::agent(&caller), &id, &change)
        .await
        .map_err(refused)?;
    state
        .switchboard
        .send(Command::AgentChanged(record.agent()));
    if change.name.is_some() {
        // A rename rewrote numbers' operator and exclusion lists: routing takes them now.
        let numbers = state.store.stored_numbers().await.map_err(store_failure)?;
        for number in numbers {
            state
                .switchboard
                .send(Command::NumberChanged(number.settings));
        }
    }
    Ok(Json(AgentView::from(record)).into_response())
}

/// `POST /api/v1/agents/{id}/token`: a new token for the same agent (an admin for anyone,
/// an agent for themself); the old one stops now and its socket is closed. Reinstates a
/// revoked agent (admins only).
pub async fn rotate_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Option<Json<RotateToken>>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    visible(&state, &caller, &id).await?;
    if caller.id != id {
        admin(&caller, "rotate another agent's token")?;
    }
    let request = request.map(|Json(request)| request).unwrap_or_default();
    let expires = request.token_expires_at.map(millis);
    let (record, token) = state
        .store
        .rotate_token(&Actor::agent(&caller), &id, expires)
        .await
        .map_err(refused)?;
    sign_out(&state, &id);
    let rotated = AgentWithToken {
        agent: record.into(),
        token,
    };
    Ok(Json(rotated).into_response())
}

/// `POST /api/v1/agents/{id}/revoke`: the token stops now and the agent's socket is closed.
pub async fn revoke_agent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    visible(&state, &caller, &id).await?;
    admin(&caller, "revoke agents")?;
    let record = state
        .store
        .revoke_agent_id(&Actor::agent(&caller), &id)
        .await
        .map_err(refused)?;
    sign_out(&state, &id);
    Ok(Json(AgentView::from(record)).into_response())
}

/// `GET /api/v1/teams` (supervisors and admins).
pub async fn list_teams(State(state): State<AppState>, headers: HeaderMap) -> Reply {
    let caller = caller(&state, &headers).await?;
    if caller.role == Role::Agent {
        return Err(forbidden("only a supervisor or an admin may list teams"));
    }
    let teams = state.store.teams().await.map_err(store_failure)?;
    Ok(Json(teams).into_response())
}

/// `POST /api/v1/teams` → 201.
pub async fn create_team(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<Json<CreateTeam>, JsonRejection>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    admin(&caller, "create teams")?;
    let request = body(request)?;
    let team: Team = state
        .store
        .create_team(&Actor::agent(&caller), &request.name)
        .await
        .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(team)).into_response())
}

/// `DELETE /api/v1/teams/{name}` → 204; refused while agents are in it.
pub async fn delete_team(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    admin(&caller, "delete teams")?;
    match state.store.delete_team(&Actor::agent(&caller), &name).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        // The team is the resource addressed here, not a field of the body.
        Err(error @ AgentError::NoSuchTeam(_)) => Err(error_response(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            error.to_string(),
        )),
        Err(error) => Err(refused(error)),
    }
}

/// `GET /api/v1/audit?limit=&before=`: newest first (admins).
pub async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    admin(&caller, "read the audit log")?;
    let Query(query) = query.map_err(|rejection| {
        error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!("invalid query string: {}", rejection.body_text()),
        )
    })?;
    let limit = query.limit.unwrap_or(AUDIT_PAGE).clamp(1, AUDIT_PAGE);
    let entries = state
        .store
        .audit_entries(limit, query.before)
        .await
        .map_err(store_failure)?;
    let entries: Vec<AuditEntryView> = entries.into_iter().map(AuditEntryView::from).collect();
    Ok(Json(entries).into_response())
}
