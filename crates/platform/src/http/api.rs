//! REST: one call record and the conversations, with the agent token, filtered by role (the
//! history lists are `super::history`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorCode;

use super::auth::{authenticate, error_response};
use super::history::store_failure;
use super::AppState;
use crate::store::agents::Role;
use crate::store::calls::Visibility;
use crate::store::time::now_ms;
use crate::store::wire::timestamp;

/// Most conversations one request returns.
const PAGE: i64 = 500;

/// `GET /api/calls/{id}`: 404 both for unknown calls and for calls the caller may not see, so
/// the answer does not reveal which calls exist.
pub async fn get_call(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let agent = match authenticate(&state.store, &headers).await {
        Ok(agent) => agent,
        Err(refusal) => return refusal,
    };
    match state.store.call_record(&id, &Visibility::of(&agent)).await {
        Ok(Some(record)) => Json(record).into_response(),
        Ok(None) => error_response(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownCall,
            format!("no call {id} visible to this agent"),
        ),
        Err(error) => store_failure(error),
    }
}

/// `GET /api/conversations`: agents see the conversations assigned to them, supervisors their
/// team's, admins all.
pub async fn list_conversations(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let agent = match authenticate(&state.store, &headers).await {
        Ok(agent) => agent,
        Err(refusal) => return refusal,
    };
    let rows = match agent.role {
        Role::Admin => state.store.conversations(None, None, PAGE).await,
        Role::Supervisor => match &agent.team {
            Some(team) => state.store.conversations(None, Some(team), PAGE).await,
            None => Ok(Vec::new()),
        },
        Role::Agent => state.store.conversations(Some(&agent.id), None, PAGE).await,
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(error) => return store_failure(error),
    };
    let mut conversations = Vec::with_capacity(rows.len());
    let now = timestamp(now_ms());
    for row in rows {
        match crate::conversation_view::view(&state.store, &state.settings, row, now).await {
            Ok(Some(conversation)) => conversations.push(conversation),
            Ok(None) => {}
            Err(error) => return store_failure(error),
        }
    }
    Json(conversations).into_response()
}
