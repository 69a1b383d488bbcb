//! The simulator's control API (`/_sim/…`, JSON): act as the customer, read call state, move the
//! virtual clock, switch quirks. Used by the CLI, the tests and the demo. Not part of Meta's API,
//! so errors use a simple `{"error": {"code", "message", "details"}}` shape.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::device::AudioChoice;
use crate::rules::{Customer, PermissionAnswer};
use crate::sim::{ControlError, Simulator};
use crate::webhook::delivery::Quirks;

pub fn router() -> Router<Simulator> {
    Router::new()
        .route("/calls", post(start_call).get(list_calls))
        .route("/calls/{call_id}", get(call_state))
        .route("/calls/{call_id}/hangup", post(hang_up))
        .route("/calls/{call_id}/answer", post(answer))
        .route("/calls/{call_id}/reject", post(reject))
        .route("/messages", post(text))
        .route("/permission-replies", post(permission_reply))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/quirks", get(get_quirks).put(put_quirks))
        .route("/webhooks", get(webhooks))
        .route("/verify-webhook", post(verify_webhook))
}

/// A control-API failure.
pub struct ControlFailure {
    status: StatusCode,
    code: Option<u32>,
    message: String,
}

impl From<ControlError> for ControlFailure {
    fn from(error: ControlError) -> Self {
        match &error {
            ControlError::Refused(refusal) => Self {
                status: StatusCode::from_u16(refusal.http_status())
                    .unwrap_or(StatusCode::BAD_REQUEST),
                code: Some(refusal.code()),
                message: refusal.details(),
            },
            ControlError::ClockNotManual => Self {
                status: StatusCode::CONFLICT,
                code: None,
                message: error.to_string(),
            },
            ControlError::Device(_) => Self {
                status: StatusCode::BAD_GATEWAY,
                code: None,
                message: error.to_string(),
            },
        }
    }
}

impl From<crate::rules::Refusal> for ControlFailure {
    fn from(refusal: crate::rules::Refusal) -> Self {
        ControlError::from(refusal).into()
    }
}

impl IntoResponse for ControlFailure {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": { "code": self.code, "message": self.message } })),
        )
            .into_response()
    }
}

fn not_found(what: &str) -> ControlFailure {
    ControlFailure {
        status: StatusCode::NOT_FOUND,
        code: None,
        message: format!("no such {what}"),
    }
}

type ControlResult = Result<Json<Value>, ControlFailure>;

fn customer(from: String, name: Option<String>) -> Customer {
    let wa_id = from.trim_start_matches('+').to_owned();
    Customer {
        name: name.unwrap_or_else(|| wa_id.clone()),
        wa_id,
    }
}

#[derive(Deserialize)]
struct StartCall {
    from: String,
    name: Option<String>,
    #[serde(default)]
    audio: AudioChoice,
    /// The caller hangs up right after dialing (pairs with the terminate-before-connect quirk).
    #[serde(default)]
    hang_up_immediately: bool,
}

async fn start_call(State(sim): State<Simulator>, Json(req): Json<StartCall>) -> ControlResult {
    let call_id = sim
        .customer_calls(
            customer(req.from, req.name),
            req.audio,
            req.hang_up_immediately,
        )
        .await?;
    Ok(Json(json!({ "call_id": call_id })))
}

async fn list_calls(State(sim): State<Simulator>) -> ControlResult {
    Ok(Json(json!({ "active": sim.active_call_ids() })))
}

async fn call_state(State(sim): State<Simulator>, Path(call_id): Path<String>) -> ControlResult {
    let report = sim
        .call_report(&call_id)
        .await
        .ok_or_else(|| not_found("call"))?;
    Ok(Json(serde_json::to_value(report).unwrap_or(Value::Null)))
}

async fn hang_up(State(sim): State<Simulator>, Path(call_id): Path<String>) -> ControlResult {
    sim.customer_hangs_up(&call_id)?;
    Ok(Json(json!({ "ok": true })))
}

/// The customer picks up; the phone sends the simulator's answer audio (`serve --answer-tone`).
async fn answer(State(sim): State<Simulator>, Path(call_id): Path<String>) -> ControlResult {
    sim.customer_answers(&call_id).await?;
    Ok(Json(json!({ "ok": true })))
}

async fn reject(State(sim): State<Simulator>, Path(call_id): Path<String>) -> ControlResult {
    sim.customer_rejects(&call_id)?;
    Ok(Json(json!({ "ok": true })))
}

#[derive(Deserialize)]
struct Text {
    from: String,
    name: Option<String>,
    text: String,
}

async fn text(State(sim): State<Simulator>, Json(req): Json<Text>) -> ControlResult {
    sim.customer_texts(customer(req.from, req.name), req.text);
    Ok(Json(json!({ "ok": true })))
}

#[derive(Deserialize)]
struct PermissionReply {
    from: String,
    name: Option<String>,
    answer: PermissionAnswer,
}

async fn permission_reply(
    State(sim): State<Simulator>,
    Json(req): Json<PermissionReply>,
) -> ControlResult {
    sim.customer_replies_permission(customer(req.from, req.name), req.answer);
    Ok(Json(json!({ "ok": true })))
}

async fn clock(State(sim): State<Simulator>) -> ControlResult {
    Ok(Json(
        json!({ "now": sim.now().as_secs(), "now_ms": sim.now().as_millis() }),
    ))
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(sim): State<Simulator>, Json(req): Json<Advance>) -> ControlResult {
    let now = sim.advance_clock(Duration::from_secs(req.seconds))?;
    Ok(Json(json!({ "now": now.as_secs() })))
}

async fn get_quirks(State(sim): State<Simulator>) -> ControlResult {
    Ok(Json(
        serde_json::to_value(sim.quirks()).unwrap_or(Value::Null),
    ))
}

async fn put_quirks(State(sim): State<Simulator>, Json(quirks): Json<Quirks>) -> ControlResult {
    sim.set_quirks(quirks.clone());
    Ok(Json(serde_json::to_value(quirks).unwrap_or(Value::Null)))
}

async fn webhooks(State(sim): State<Simulator>) -> ControlResult {
    let log = sim.webhook_log();
    let records = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Ok(Json(json!({ "deliveries": records })))
}

#[derive(Deserialize)]
struct Verify {
    verify_token: String,
}

/// Runs Meta's subscription handshake against the configured webhook URL.
async fn verify_webhook(State(sim): State<Simulator>, Json(req): Json<Verify>) -> ControlResult {
    let outcome = sim.verify_webhook(&req.verify_token).await;
    Ok(Json(serde_json::to_value(outcome).unwrap_or(Value::Null)))
}
