//! REST: call history and conversations, with the agent token, filtered by role.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::rest::CallQuery;
use protocol::ErrorCode;

use super::auth::{authenticate, error_response};
use super::AppState;
use crate::store::agents::Role;
use crate::store::calls::Visibility;
use crate::store::time::now_ms;
use crate::store::wire::timestamp;
use crate::store::StoreError;

/// Most records one request returns.
const PAGE: i64 = 500;

fn store_failure(error: StoreError) -> Response {
    tracing::error!(%error, "REST query failed");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::InternalError,
        "the records could not be read; retry",
    )
}

/// `GET /api/calls?status=&direction=&agent=&from=&to=`.
pub async fn list_calls(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CallQuery>, QueryRejection>,
) -> Response {
    let agent = match authenticate(&state.store, &headers).await {
        Ok(agent) => agent,
        Err(refusal) => return refusal,
    };
    let Query(query) = match query {
        Ok(query) => query,
        Err(rejection) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidMessage,
                format!("invalid filter: {}", rejection.body_text()),
            )
        }
    };
    if let Err(error) = query.validate() {
        return error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            error.to_string(),
        );
    }
    match state
        .store
        .call_records(&query, &Visibility::of(&agent), PAGE)
        .await
    {
        Ok(records) => Json(records).into_response(),
        Err(error) => store_failure(error),
    }
}

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
