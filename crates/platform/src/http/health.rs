//! `GET /healthz`: the process is up and the database answers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.store.inbox_counts().await {
        Ok((received, pending)) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "inbox_received": received, "inbox_pending": pending })),
        ),
        Err(error) => {
            tracing::error!(%error, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "database unavailable" })),
            )
        }
    }
}
