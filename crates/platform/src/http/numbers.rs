//! REST: business numbers' settings (`/api/v1/numbers`), changed without a restart.
//!
//! Supervisors and admins read them; only admins change them. A change runs in this order,
//! each step able to refuse with nothing changed:
//! 1. the change is applied to the stored settings and checked as the settings file is
//!    (`crate::numbers::NumberChange::apply`) → 400/422 naming the field;
//! 2. if what Meta holds changes (calling on/off, call button, call hours, holidays, callback
//!    prompt), it is sent to Meta's `POST /<id>/settings` → Meta's refusal is a 422
//!    `upstream_error` carrying Meta's message and code; Meta out of reach a 502;
//! 3. it is stored with its audit entry in one transaction;
//! 4. the call machine takes it: the next call is routed by it.
//!
//! Changes of one platform are serialised (`AppState::number_changes`), so Meta and the
//! database see them in the same order.

// As in `admin`: the helpers' error is a finished refusal, returned once per request.
#![allow(clippy::result_large_err)]

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{ErrorCode, Timestamp};
use serde::Serialize;
use whatsapp::graph::settings::SettingsUpdate;

use super::admin::{admin, body, caller, forbidden};
use super::auth::error_response;
use super::history::store_failure;
use super::AppState;
use crate::config::NumberSettings;
use crate::graph::GraphFailure;
use crate::numbers::{calling_settings, ChangeError, NumberChange};
use crate::store::agents::{Agent, Role};
use crate::store::audit::Actor;
use crate::store::numbers::{NumberError, StoredNumber};
use crate::store::wire::timestamp;
use crate::switchboard::Command;

type Reply = Result<Response, Response>;

/// A number as the API shows it: its settings, and where they came from.
#[derive(Debug, Serialize)]
pub struct NumberView {
    #[serde(flatten)]
    pub settings: NumberSettings,
    /// `file` (as the settings file says) or `api` (changed by an admin since).
    pub source: &'static str,
    pub updated_at: Timestamp,
}

impl From<StoredNumber> for NumberView {
    fn from(number: StoredNumber) -> Self {
        Self {
            settings: number.settings,
            source: if number.changed_by_api { "api" } else { "file" },
            updated_at: timestamp(number.updated_at),
        }
    }
}

fn reader(caller: &Agent) -> Result<(), Response> {
    match caller.role {
        Role::Admin | Role::Supervisor => Ok(()),
        Role::Agent => Err(forbidden(
            "only a supervisor or an admin may read numbers' settings",
        )),
    }
}

fn no_number(id: &str) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        format!("no business number with phone_number_id {id:?}"),
    )
}

async fn stored(state: &AppState, id: &str) -> Result<StoredNumber, Response> {
    match state.store.stored_number(id).await {
        Ok(Some(number)) => Ok(number),
        Ok(None) => Err(no_number(id)),
        Err(error) => Err(store_failure(error)),
    }
}

/// `GET /api/v1/numbers`.
pub async fn list_numbers(State(state): State<AppState>, headers: HeaderMap) -> Reply {
    reader(&caller(&state, &headers).await?)?;
    let numbers = state.store.stored_numbers().await.map_err(store_failure)?;
    let views: Vec<NumberView> = numbers.into_iter().map(NumberView::from).collect();
    Ok(Json(views).into_response())
}

/// `GET /api/v1/numbers/{id}`.
pub async fn get_number(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    reader(&caller(&state, &headers).await?)?;
    Ok(Json(NumberView::from(stored(&state, &id).await?)).into_response())
}

/// `PATCH /api/v1/numbers/{id}` (admins).
pub async fn change_number(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Result<Json<NumberChange>, JsonRejection>,
) -> Reply {
    let caller = caller(&state, &headers).await?;
    admin(&caller, "change a number's settings")?;
    let change = body(request)?;
    let _one_at_a_time = state.number_changes.lock().await;
    let before = stored(&state, &id).await?;
    let agents = state.store.agent_records().await.map_err(store_failure)?;
    let names: Vec<String> = agents.into_iter().map(|agent| agent.name).collect();
    let after = change
        .apply(
            &before.settings,
            &state.settings.timers,
            &state.settings.auto_responder,
            &names,
        )
        .map_err(invalid)?;
    let now = chrono::Utc::now();
    let calling = calling_settings(&after, now);
    if calling != calling_settings(&before.settings, now) {
        let update = SettingsUpdate { calling };
        state
            .graph
            .update_settings(&id, &update)
            .await
            .map_err(meta_refused)?;
    }
    let changed = match state
        .store
        .change_number(&Actor::agent(&caller), &after)
        .await
    {
        Ok(changed) => changed,
        Err(NumberError::NoSuchNumber(_)) => return Err(no_number(&id)),
        Err(NumberError::Store(error)) => {
            tracing::error!(%error, phone_number_id = %id, "number change taken by Meta but not stored");
            return Err(error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::InternalError,
                "Meta took the change but it could not be stored; send it again",
            ));
        }
    };
    state
        .switchboard
        .send(Command::NumberChanged(changed.settings.clone()));
    Ok(Json(NumberView::from(changed)).into_response())
}

fn invalid(error: ChangeError) -> Response {
    error_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::InvalidMessage,
        error.to_string(),
    )
}

fn meta_refused(failure: GraphFailure) -> Response {
    let (status, message) = match &failure {
        GraphFailure::Meta { code, message } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Meta refused the settings: {message} (code {code}); nothing was changed"),
        ),
        GraphFailure::Transport(_) | GraphFailure::Config(_) => {
            tracing::warn!(%failure, "number settings not sent to Meta");
            (
                StatusCode::BAD_GATEWAY,
                format!("Meta could not be reached ({failure}); nothing was changed, retry"),
            )
        }
    };
    error_response(status, ErrorCode::UpstreamError, message)
}
