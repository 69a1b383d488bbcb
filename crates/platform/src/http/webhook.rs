//! `GET /webhooks/whatsapp` (Meta's subscription handshake) and `POST /webhooks/whatsapp`.
//!
//! POST order of checks — each refusal changes nothing and says why:
//! 1. body larger than the limit → 413 (axum's body limit);
//! 2. missing or wrong `X-Hub-Signature-256` (HMAC-SHA256 of the raw bytes with the app
//!    secret) → 401;
//! 3. not UTF-8 / not a webhook envelope → 400;
//! 4. store the raw body in the inbox (committed) → 200, and wake the processor.
//!
//! A failed inbox insert answers 503 so Meta retries; nothing was acknowledged, nothing lost.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use whatsapp::webhook::WebhookEnvelope;
use whatsapp::{verify_signature, verify_subscription, SIGNATURE_HEADER};

use super::AppState;

pub async fn verify(
    State(state): State<AppState>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let token = state.settings.verify_token.expose();
    if token.is_empty() {
        return (
            StatusCode::FORBIDDEN,
            "no verify token is configured (RINGDESK_VERIFY_TOKEN); subscription refused",
        )
            .into_response();
    }
    let pairs = query
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()));
    match verify_subscription(pairs, token) {
        Ok(challenge) => (StatusCode::OK, challenge).into_response(),
        Err(refusal) => (StatusCode::FORBIDDEN, refusal.to_string()).into_response(),
    }
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let secret = state.settings.app_secret.expose();
    if secret.is_empty() {
        return (
            StatusCode::UNAUTHORIZED,
            "no app secret is configured (RINGDESK_APP_SECRET): signatures cannot be checked",
        )
            .into_response();
    }
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok());
    if let Err(refusal) = verify_signature(secret.as_bytes(), &body, signature) {
        tracing::warn!(%refusal, "webhook refused: bad signature");
        return (
            StatusCode::UNAUTHORIZED,
            format!("signature refused: {refusal}"),
        )
            .into_response();
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "body is not UTF-8 JSON").into_response();
    };
    if let Err(error) = WebhookEnvelope::from_slice(&body) {
        return (
            StatusCode::BAD_REQUEST,
            format!("body is not a WhatsApp webhook envelope: {error}"),
        )
            .into_response();
    }
    match state.store.inbox_put(text).await {
        Ok(inbox_id) => {
            tracing::debug!(inbox_id, "webhook stored");
            state.inbox_wake.notify_one();
            (StatusCode::OK, "EVENT_RECEIVED").into_response()
        }
        Err(error) => {
            tracing::error!(%error, "webhook not stored; Meta will retry");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "could not store the webhook; retry later",
            )
                .into_response()
        }
    }
}
