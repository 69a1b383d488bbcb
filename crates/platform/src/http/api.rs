//! REST: call history and conversations, with the agent token, filtered by role.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::rest::{CallQuery, Conversation, ConversationMessage, MessageBody};
use protocol::{AgentId, ConversationId, Customer, Direction, ErrorCode, PhoneNumber};

use super::auth::{authenticate, error_response};
use super::AppState;
use crate::permissions::PermissionLedger;
use crate::store::agents::Role;
use crate::store::calls::Visibility;
use crate::store::conversations::{ConversationRow, MessageKind};
use crate::store::time::now_ms;
use crate::store::wire::timestamp;
use crate::store::StoreError;

/// Messages shown per conversation.
const RECENT_MESSAGES: i64 = 20;
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
    for row in rows {
        let messages = match state.store.recent_messages(&row.id, RECENT_MESSAGES).await {
            Ok(messages) => messages,
            Err(error) => return store_failure(error),
        };
        let Some((business_number, customer_number)) = pair_numbers(&state, &row) else {
            continue;
        };
        let ledger = match state
            .store
            .permission_ledger(
                &row.phone_number_id,
                business_number,
                customer_number,
                row.last_inbound_at,
            )
            .await
        {
            Ok(ledger) => ledger,
            Err(error) => return store_failure(error),
        };
        if let Some(mut conversation) = conversation_dto(row, &ledger) {
            conversation.recent_messages = messages
                .into_iter()
                .map(|(direction, sent_at, message)| ConversationMessage {
                    direction: if direction == "outbound" {
                        Direction::Outbound
                    } else {
                        Direction::Inbound
                    },
                    at: timestamp(sent_at),
                    body: match message.kind {
                        MessageKind::Text => MessageBody::Text { text: message.body },
                        MessageKind::Other => MessageBody::Other {
                            summary: message.body,
                        },
                    },
                })
                .collect();
            conversations.push(conversation);
        }
    }
    Json(conversations).into_response()
}

/// The business number and customer of a conversation, as on the wire; None for a number no
/// longer configured (or numbers that are not valid on the wire): such a conversation is not
/// listed.
fn pair_numbers(state: &AppState, row: &ConversationRow) -> Option<(PhoneNumber, PhoneNumber)> {
    let display = state.settings.number(&row.phone_number_id)?;
    Some((
        PhoneNumber::new(display.display_phone_number.clone()).ok()?,
        PhoneNumber::new(row.customer_number.clone()).ok()?,
    ))
}

/// The conversation as the agent sees it, with the permission state of the pair's ledger now.
fn conversation_dto(row: ConversationRow, ledger: &PermissionLedger) -> Option<Conversation> {
    Some(Conversation {
        id: ConversationId::new(row.id).ok()?,
        business_number: ledger.business_number().clone(),
        customer: Customer {
            number: ledger.customer_number().clone(),
            profile_name: row.customer_name,
        },
        assigned_agent: row.assigned_agent_id.and_then(|id| AgentId::new(id).ok()),
        last_customer_activity_at: row.last_inbound_at.map(timestamp),
        recent_messages: Vec::new(),
        permission: ledger.state(timestamp(now_ms())),
    })
}
