//! The HTTP driver: Meta's Graph API at `/{version}/{phone_number_id}/…` and the simulator's
//! control API under `/_sim/…`, on one listener.

pub mod control;
pub mod graph;
mod graph_error;
mod permission_json;

use axum::Router;

use crate::sim::Simulator;

/// The whole HTTP surface of the simulator.
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .nest("/_sim", control::router())
        .merge(graph::router())
        .with_state(sim)
}
