//! Meta's Graph API endpoints for calling (`reference/meta-calling-api.md` §3–5). Each handler
//! checks the token and the phone number id, reads the JSON body, and calls one simulator
//! operation; all refusals come back in Graph's error shape.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::graph_error::GraphError;
use crate::sim::Simulator;

pub fn router() -> Router<Simulator> {
    Router::new()
        .route("/{version}/{phone_number_id}/calls", post(calls))
        .route("/{version}/{phone_number_id}/messages", post(messages))
        .route(
            "/{version}/{phone_number_id}/call_permissions",
            get(call_permissions),
        )
        .route(
            "/{version}/{phone_number_id}/settings",
            get(get_settings).post(post_settings),
        )
}

type GraphResult = Result<Json<Value>, GraphError>;

fn trace(sim: &Simulator) -> String {
    sim.rules().trace_id()
}

/// Bearer token and phone number id, as Meta checks them before anything else.
fn authorize(
    sim: &Simulator,
    headers: &HeaderMap,
    version: &str,
    phone_number_id: &str,
) -> Result<(), GraphError> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if token != Some(sim.config().access_token.as_str()) {
        return Err(GraphError::bad_token(trace(sim)));
    }
    let version_ok = version
        .strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if !version_ok {
        return Err(GraphError::invalid(
            format!("Unknown Graph API version {version}"),
            trace(sim),
        ));
    }
    if phone_number_id != sim.config().number.phone_number_id {
        return Err(GraphError::unknown_object(phone_number_id, trace(sim)));
    }
    Ok(())
}

fn parse_body(sim: &Simulator, body: &Bytes) -> Result<Value, GraphError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        GraphError::invalid(format!("Request body is not valid JSON: {e}"), trace(sim))
    })?;
    if !value.is_object() {
        return Err(GraphError::invalid(
            "Request body must be a JSON object",
            trace(sim),
        ));
    }
    Ok(value)
}

fn str_field<'a>(sim: &Simulator, body: &'a Value, name: &str) -> Result<&'a str, GraphError> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| GraphError::invalid(format!("The parameter {name} is required"), trace(sim)))
}

fn check_product(sim: &Simulator, body: &Value) -> Result<(), GraphError> {
    match body.get("messaging_product").and_then(Value::as_str) {
        Some("whatsapp") => Ok(()),
        _ => Err(GraphError::invalid(
            "messaging_product must be \"whatsapp\"",
            trace(sim),
        )),
    }
}

/// `session.sdp` after checking `session.sdp_type` is `expected`.
fn session_sdp<'a>(
    sim: &Simulator,
    body: &'a Value,
    expected: &str,
) -> Result<&'a str, GraphError> {
    let session = body
        .get("session")
        .ok_or_else(|| GraphError::invalid("The parameter session is required", trace(sim)))?;
    let sdp_type = session
        .get("sdp_type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !sdp_type.eq_ignore_ascii_case(expected) {
        return Err(GraphError::invalid(
            format!("session.sdp_type must be \"{expected}\", got \"{sdp_type}\""),
            trace(sim),
        ));
    }
    session
        .get("sdp")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| GraphError::invalid("The parameter session.sdp is required", trace(sim)))
}

fn biz_opaque(sim: &Simulator, body: &Value) -> Result<Option<String>, GraphError> {
    match body.get("biz_opaque_callback_data") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 512 => Ok(Some(s.clone())),
        Some(_) => Err(GraphError::invalid(
            "biz_opaque_callback_data must be a string of at most 512 characters",
            trace(sim),
        )),
    }
}

fn success() -> Json<Value> {
    Json(json!({ "messaging_product": "whatsapp", "success": true }))
}

async fn calls(
    State(sim): State<Simulator>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> GraphResult {
    authorize(&sim, &headers, &version, &phone_number_id)?;
    let body = parse_body(&sim, &body)?;
    check_product(&sim, &body)?;
    let action = match body.get("action") {
        // Seen in production code: a connect sent without `action` (reference §3.1, UNCERTAIN);
        // accepted when the body is unmistakably a new call.
        None if body.get("to").is_some()
            && body.pointer("/session/sdp_type").and_then(Value::as_str) == Some("offer") =>
        {
            "connect".to_owned()
        }
        _ => str_field(&sim, &body, "action")?.to_ascii_lowercase(),
    };
    let refused = |r: crate::rules::Refusal| GraphError::from_refusal(&r, trace(&sim));
    match action.as_str() {
        "connect" => {
            let to = match body.get("to").and_then(Value::as_str) {
                Some(to) if !to.is_empty() => to.trim_start_matches('+').to_owned(),
                _ => {
                    // TODO: business-scoped user ids (`recipient`) are not simulated.
                    return Err(GraphError::invalid("The parameter to is required", trace(&sim)));
                }
            };
            let sdp = session_sdp(&sim, &body, "offer")?;
            let opaque = biz_opaque(&sim, &body)?;
            let call_id = sim.business_connect(&to, sdp, opaque).map_err(refused)?;
            Ok(Json(json!({ "messaging_product": "whatsapp", "calls": [{ "id": call_id }] })))
        }
        "pre_accept" => {
            let call_id = str_field(&sim, &body, "call_id")?;
            let sdp = session_sdp(&sim, &body, "answer")?;
            sim.business_pre_accept(call_id, sdp).await.map_err(refused)?;
            Ok(success())
        }
        "accept" => {
            let call_id = str_field(&sim, &body, "call_id")?;
            let sdp = session_sdp(&sim, &body, "answer")?;
            let opaque = biz_opaque(&sim, &body)?;
            sim.business_accept(call_id, sdp, opaque).await.map_err(refused)?;
            Ok(success())
        }
        "reject" => {
            let call_id = str_field(&sim, &body, "call_id")?;
            sim.business_reject(call_id).map_err(refused)?;
            Ok(success())
        }
        "terminate" => {
            let call_id = str_field(&sim, &body, "call_id")?;
            sim.business_terminate(call_id).map_err(refused)?;
            Ok(success())
        }
        other => Err(GraphError::invalid(
            format!("Unknown action \"{other}\"; expected connect, pre_accept, accept, reject or terminate"),
            trace(&sim),
        )),
    }
}

/// `POST /messages`: a `call_permission_request` counts against the request limits; any other
/// free-form message only needs the customer service window.
async fn messages(
    State(sim): State<Simulator>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> GraphResult {
    authorize(&sim, &headers, &version, &phone_number_id)?;
    let body = parse_body(&sim, &body)?;
    check_product(&sim, &body)?;
    let to = str_field(&sim, &body, "to")?
        .trim_start_matches('+')
        .to_owned();
    let kind = str_field(&sim, &body, "type")?;
    let interactive_kind = body.pointer("/interactive/type").and_then(Value::as_str);
    let now = sim.now();
    let result = {
        let mut rules = sim.rules();
        match (kind, interactive_kind) {
            ("interactive", Some("call_permission_request")) => {
                rules.business_requests_permission(now, &to, true)
            }
            ("template", _) => Ok(rules.message_id()),
            _ => {
                // Free-form messages need the customer service window (131047 otherwise).
                if rules.service_window_open(now, &to) {
                    Ok(rules.message_id())
                } else {
                    Err(crate::rules::Refusal::OutsideServiceWindow { wa_id: to.clone() })
                }
            }
        }
    };
    let message_id = result.map_err(|r| GraphError::from_refusal(&r, trace(&sim)))?;
    Ok(Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": message_id }]
    })))
}

#[derive(serde::Deserialize)]
struct PermissionQuery {
    user_wa_id: Option<String>,
}

async fn call_permissions(
    State(sim): State<Simulator>,
    Path((version, phone_number_id)): Path<(String, String)>,
    Query(query): Query<PermissionQuery>,
    headers: HeaderMap,
) -> GraphResult {
    authorize(&sim, &headers, &version, &phone_number_id)?;
    let Some(wa_id) = query.user_wa_id.filter(|s| !s.is_empty()) else {
        return Err(GraphError::invalid(
            "The parameter user_wa_id is required",
            trace(&sim),
        ));
    };
    let view = sim
        .rules()
        .permission_view(sim.now(), wa_id.trim_start_matches('+'));
    Ok(Json(super::permission_json::render(&view)))
}

async fn get_settings(
    State(sim): State<Simulator>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> GraphResult {
    authorize(&sim, &headers, &version, &phone_number_id)?;
    let calling = sim.rules().settings().calling();
    Ok(Json(json!({ "calling": calling })))
}

async fn post_settings(
    State(sim): State<Simulator>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> GraphResult {
    authorize(&sim, &headers, &version, &phone_number_id)?;
    let body = parse_body(&sim, &body)?;
    let Some(calling) = body.get("calling") else {
        return Err(GraphError::invalid(
            "The parameter calling is required",
            trace(&sim),
        ));
    };
    let now = sim.now();
    let result = sim.rules().update_settings(now, calling);
    let events = result.map_err(|r| GraphError::from_refusal(&r, trace(&sim)))?;
    sim.emit(events);
    Ok(Json(json!({ "success": true })))
}
