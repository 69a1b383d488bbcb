//! REST: who a customer belongs to. `PUT /api/v1/conversations/{id}/agent` assigns a
//! conversation, `PUT /api/v1/contact-owners/{customer}` sets a contact's owner; both with
//! `{"agent_id": "…"}` or `{"agent_id": null}`. Admins may assign to anyone; a supervisor only
//! between agents of their own team (a conversation or contact held outside the team is not
//! theirs to move: 404 for a conversation they cannot see, 403 otherwise); agents not at all.
//! Audited; the newly assigned agent's inbox gets the conversation at once.

// As in `admin`: the helpers' error is a finished refusal, returned once per request.
#![allow(clippy::result_large_err)]

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{ErrorCode, PhoneNumber};
use serde::Deserialize;
use serde_json::json;

use super::admin::{body, caller, forbidden};
use super::auth::error_response;
use super::history::store_failure;
use super::AppState;
use crate::store::agents::{Agent, Role};
use crate::store::audit::Actor;
use crate::switchboard::Command;

type Reply = Result<Response, Response>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignTo {
    pub agent_id: Option<String>,
}

/// May `caller` move something held by `holder` (an agent id, or nobody) to `to`?
async fn may_move(
    state: &AppState,
    caller: &Agent,
    holder: Option<&str>,
    to: Option<&str>,
) -> Result<(), Response> {
    let team_of = |id: Option<&str>| {
        let id = id.map(str::to_owned);
        async move {
            match id {
                None => Ok(None),
                Some(id) => match state.store.agent_record(&id).await {
                    Ok(Some(record)) => Ok(Some(record.team)),
                    Ok(None) => Err(error_response(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::InvalidMessage,
                        format!("agent_id: no agent with id {id:?}"),
                    )),
                    Err(error) => Err(store_failure(error)),
                },
            }
        }
    };
    let target_team = team_of(to).await?;
    match caller.role {
        Role::Admin => Ok(()),
        Role::Agent => Err(forbidden(
            "only a supervisor or an admin may assign conversations and contacts",
        )),
        Role::Supervisor => {
            let own = |team: &Option<Option<String>>| match team {
                None => true,
                Some(team) => caller.team.is_some() && *team == caller.team,
            };
            let holder_team = team_of(holder).await?;
            if own(&target_team) && own(&holder_team) {
                Ok(())
            } else {
                Err(forbidden(
                    "a supervisor assigns only between agents of their own team",
                ))
            }
        }
    }
}

/// `PUT /api/v1/conversations/{id}/agent`.
pub async fn assign_conversation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Result<Json<AssignTo>, JsonRejection>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    let to = body(request)?.agent_id;
    let not_found = || {
        error_response(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("no conversation with id {id:?} visible to you"),
        )
    };
    let conversation = state
        .store
        .conversation_by_id(&id)
        .await
        .map_err(store_failure)?
        .ok_or_else(not_found)?;
    if caller.role == Role::Agent {
        return Err(forbidden(
            "only a supervisor or an admin may assign conversations",
        ));
    }
    may_move(
        &state,
        &caller,
        conversation.assigned_agent_id.as_deref(),
        to.as_deref(),
    )
    .await?;
    state
        .store
        .reassign_conversation(&Actor::agent(&caller), &id, to.as_deref())
        .await
        .map_err(store_failure)?;
    state.switchboard.send(Command::ConversationAssigned {
        phone_number_id: conversation.phone_number_id,
        customer_number: conversation.customer_number,
    });
    Ok(Json(json!({ "conversation_id": id, "agent_id": to })).into_response())
}

/// `PUT /api/v1/contact-owners/{customer}`.
pub async fn set_contact_owner(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(customer): Path<String>,
    request: Result<Json<AssignTo>, JsonRejection>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    let to = body(request)?.agent_id;
    let customer = PhoneNumber::new(customer.clone()).map_err(|error| {
        error_response(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidMessage,
            format!("customer: {error}"),
        )
    })?;
    let holder = state
        .store
        .contact_owner(customer.as_str())
        .await
        .map_err(store_failure)?;
    may_move(&state, &caller, holder.as_deref(), to.as_deref()).await?;
    state
        .store
        .change_contact_owner(&Actor::agent(&caller), customer.as_str(), to.as_deref())
        .await
        .map_err(store_failure)?;
    Ok(Json(json!({ "customer": customer.as_str(), "agent_id": to })).into_response())
}
