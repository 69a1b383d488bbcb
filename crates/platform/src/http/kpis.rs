//! `GET /api/v1/kpis?from=YYYY-MM-DD&to=YYYY-MM-DD[&timezone=IANA][&team=NAME]`: each agent's
//! figures per local day (`crate::kpis`), for whom the caller may see: an agent themself, a
//! supervisor their team, an admin everyone (or one team). A team outside the caller's scope is
//! a 403; a bad parameter a 400 naming it.

// As in `admin`: the helpers' error is a finished refusal, returned once per request.
#![allow(clippy::result_large_err)]

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::rest::KpiReport;
use protocol::ErrorCode;
use serde::Deserialize;

use super::admin::{caller, forbidden};
use super::auth::error_response;
use super::history::store_failure;
use super::AppState;
use crate::store::agents::Role;
use crate::store::calls::Visibility;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiParams {
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub team: Option<String>,
}

fn bad_request(message: String) -> Response {
    error_response(StatusCode::BAD_REQUEST, ErrorCode::InvalidMessage, message)
}

pub async fn kpis(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<KpiParams>, QueryRejection>,
) -> Result<Response, Response> {
    let caller = caller(&state, &headers).await?;
    let Query(params) = params.map_err(|rejection| bad_request(rejection.body_text()))?;
    let timezone = params.timezone.as_deref().unwrap_or("UTC");
    let days = crate::kpis::days(&params.from, &params.to, timezone).map_err(bad_request)?;
    let team = params.team.as_deref();
    match (caller.role, team) {
        (_, None) | (Role::Admin, Some(_)) => {}
        (Role::Supervisor, Some(team)) if caller.team.as_deref() == Some(team) => {}
        (Role::Supervisor, Some(_)) => {
            return Err(forbidden("a supervisor sees only their own team's figures"))
        }
        (Role::Agent, Some(_)) => return Err(forbidden("an agent sees only their own figures")),
    }
    let rows = state
        .store
        .agent_days(&days, &Visibility::of(&caller), team)
        .await
        .map_err(store_failure)?;
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Err(bad_request("to: no day asked for".into()));
    };
    Ok(Json(KpiReport {
        from: first.date,
        to: last.date,
        timezone: timezone.to_owned(),
        rows,
    })
    .into_response())
}
