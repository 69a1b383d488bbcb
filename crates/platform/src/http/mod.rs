//! The HTTP surface: Meta's webhook, the agents' WebSocket, the REST API and the health check.

mod admin;
mod api;
mod assignment;
mod auth;
pub mod frame_budget;
mod health;
mod history;
mod kpis;
mod numbers;
pub mod recordings;
pub mod tls;
mod webhook;
mod ws;
mod ws_writer;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{watch, Notify};

use crate::config::Settings;
use crate::store::Store;
use crate::switchboard::SwitchboardHandle;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub switchboard: SwitchboardHandle,
    /// Wakes the inbox processor after a webhook body is stored.
    pub inbox_wake: Arc<Notify>,
    /// Fires once on shutdown; WebSocket tasks close their sockets when it does.
    pub shutdown: watch::Receiver<bool>,
    /// Numbers each WebSocket connection.
    pub connection_ids: Arc<AtomicU64>,
    /// Unix ms of the switchboard's last turn.
    pub heartbeat: watch::Receiver<i64>,
    /// Where uploaded call recordings are kept.
    pub recordings: Arc<dyn crate::recordings::RecordingStore>,
    /// Meta's Graph API (number settings are pushed to `/settings` from the admin API).
    pub graph: Arc<dyn crate::graph::Graph>,
    /// Held while one number change goes to Meta and the database, so two admins' changes
    /// reach both in the same order.
    pub number_changes: Arc<tokio::sync::Mutex<()>>,
}

/// All routes. The webhook body limit applies to the webhook only (413 above it).
pub fn router(state: AppState) -> Router {
    let limit = state.settings.webhook_body_limit;
    Router::new()
        .route(
            "/webhooks/whatsapp",
            get(webhook::verify)
                .post(webhook::receive)
                .layer(DefaultBodyLimit::max(limit)),
        )
        .route("/healthz", get(health::healthz))
        .route("/ws", get(ws::upgrade))
        // The path the desktop app reads: a bare JSON array (see `history`).
        .route("/api/calls", get(history::list_calls_array))
        .route("/api/calls/{id}", get(api::get_call))
        .route("/api/conversations", get(api::list_conversations))
        // The protocol crate documents versioned paths; both spellings serve the same data
        // (the call list's shape differs: see `history`).
        .route("/api/v1/calls", get(history::list_calls))
        .route("/api/v1/calls.csv", get(history::export_calls))
        .route(
            "/api/v1/permission_requests",
            get(history::list_permission_requests),
        )
        .route(
            "/api/v1/permission_requests.csv",
            get(history::export_permission_requests),
        )
        .route("/api/v1/calls/{id}", get(api::get_call))
        .route(
            "/api/v1/calls/{id}/recording",
            get(recordings::download).put(recordings::upload),
        )
        .route("/api/v1/conversations", get(api::list_conversations))
        .route(
            "/api/v1/agents",
            get(admin::list_agents).post(admin::create_agent),
        )
        .route(
            "/api/v1/agents/{id}",
            get(admin::get_agent).patch(admin::change_agent),
        )
        .route("/api/v1/agents/{id}/token", post(admin::rotate_token))
        .route("/api/v1/agents/{id}/revoke", post(admin::revoke_agent))
        .route(
            "/api/v1/teams",
            get(admin::list_teams).post(admin::create_team),
        )
        .route(
            "/api/v1/teams/{name}",
            axum::routing::delete(admin::delete_team),
        )
        .route("/api/v1/audit", get(admin::audit))
        .route("/api/v1/kpis", get(kpis::kpis))
        .route(
            "/api/v1/conversations/{id}/agent",
            axum::routing::put(assignment::assign_conversation),
        )
        .route(
            "/api/v1/contact-owners/{customer}",
            axum::routing::put(assignment::set_contact_owner),
        )
        .route("/api/v1/numbers", get(numbers::list_numbers))
        .route(
            "/api/v1/numbers/{id}",
            get(numbers::get_number).patch(numbers::change_number),
        )
        .with_state(state)
}
