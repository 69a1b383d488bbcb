//! `GET /healthz`: the process is up, the database answers, the switchboard turns, and the
//! inbox keeps up. 503 when the switchboard has not turned for [`STALL_BOUND_MS`] or the
//! oldest pending webhook waited longer than [`LAG_BOUND_MS`] (a supervisor or load balancer
//! acts on it).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;
use crate::store::time::now_ms;

/// The switchboard turns at least once a second; this much silence means it is stuck.
pub const STALL_BOUND_MS: i64 = 5_000;
/// Meta's accept window is 30–60 s: a connect waiting this long in the inbox is in danger.
pub const LAG_BOUND_MS: i64 = 10_000;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let now = now_ms();
    let counts = state.store.inbox_counts().await;
    let trouble = state.store.inbox_trouble(now).await;
    let (Ok((received, pending)), Ok((dead_lettered, lag_ms))) = (counts, trouble) else {
        tracing::error!("health check: database unavailable");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "database unavailable" })),
        );
    };
    let heartbeat_age_ms = now.saturating_sub(*state.heartbeat.borrow()).max(0);
    let status = if heartbeat_age_ms > STALL_BOUND_MS {
        "switchboard stalled"
    } else if lag_ms > LAG_BOUND_MS {
        "inbox lagging"
    } else {
        "ok"
    };
    let code = if status == "ok" {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(json!({
            "status": status,
            "inbox_received": received,
            "inbox_pending": pending,
            "inbox_dead_lettered": dead_lettered,
            "inbox_lag_ms": lag_ms,
            "switchboard_heartbeat_age_ms": heartbeat_age_ms,
        })),
    )
}
