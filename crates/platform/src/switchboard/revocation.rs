//! Ending the sessions of agents whose token was revoked while they were connected.
//!
//! `agent revoke` is an admin command, often run by another process on the same database, so
//! nothing tells this process; a sweep task reads the revoked agents every
//! [`Settings::revocation_check`](crate::config::Settings) and the switchboard closes the sockets
//! of those still connected: an `unauthorized` error, then close code 1008 "token revoked".
//!
//! Invariants:
//! - a revoked agent's socket is closed within one sweep interval (plus the close deadline),
//!   whatever the app sends or does not send: pings, other messages or nothing;
//! - one store query per interval for the whole platform, none per socket or per ping;
//! - a failed query closes nobody (a database hiccup must not sign everyone out); the next
//!   sweep tries again;
//! - an agent revoked before connecting never gets here: its upgrade is refused with 401.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::{Command, SwitchboardHandle};
use crate::store::Store;

/// Reads the revoked agents every `every` and hands them to the switchboard, until shutdown.
pub async fn sweep(
    store: Store,
    switchboard: SwitchboardHandle,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = crate::server::stopped(&mut shutdown) => break,
        }
        match store.revoked_agent_ids().await {
            Ok(agent_ids) if agent_ids.is_empty() => {}
            Ok(agent_ids) => {
                if !switchboard.send(Command::Revoked { agent_ids }) {
                    break; // The switchboard stopped: shutting down.
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not read revoked agents; their sockets stay open until the next sweep")
            }
        }
    }
}
