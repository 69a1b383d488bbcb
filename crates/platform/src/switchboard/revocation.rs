//! Ending the sessions of agents whose token stopped while they were connected: revoked,
//! expired, or rotated (replaced by a new one).
//!
//! The REST API closes the socket itself when it revokes or rotates a token. `agent revoke`
//! and `agent rotate` are admin commands, often run by another process on the same database,
//! and expiry is just time passing, so nothing tells this process of those; a sweep task reads
//! the stopped agents every [`Settings::revocation_check`](crate::config::Settings) and the
//! switchboard closes the sockets of those still connected: an `unauthorized` error, then
//! close code 1008 "token revoked". For a rotation only a socket signed in before it closes
//! (the agent's new session stays).
//!
//! Invariants:
//! - a revoked, expired or rotated agent's socket is closed within one sweep interval (plus
//!   the close deadline), whatever the app sends or does not send: pings, other messages or
//!   nothing;
//! - rotations are looked for since the previous successful sweep (minus a second for clocks
//!   of other processes on the host), so none falls between two sweeps;
//! - one store query per interval for the whole platform, none per socket or per ping;
//! - a failed query closes nobody (a database hiccup must not sign everyone out); the next
//!   sweep tries again;
//! - an agent revoked before connecting never gets here: its upgrade is refused with 401.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::{Command, SwitchboardHandle};
use crate::store::time::now_ms;
use crate::store::Store;

/// Rotations are looked for this much before the previous sweep: another process's write may
/// carry a slightly earlier time than this one's clock read.
const CLOCK_MARGIN_MS: i64 = 1_000;

/// Reads the revoked agents every `every` and hands them to the switchboard, until shutdown.
pub async fn sweep(
    store: Store,
    switchboard: SwitchboardHandle,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // No socket of this process signed in before it started.
    let mut rotated_since = now_ms() - CLOCK_MARGIN_MS;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = crate::server::stopped(&mut shutdown) => break,
        }
        let asked_at = now_ms();
        match store.signed_out_agents(rotated_since).await {
            Ok(agents) => {
                rotated_since = asked_at - CLOCK_MARGIN_MS;
                let mut revoked = Vec::new();
                for (agent_id, rotated_at) in agents {
                    match rotated_at {
                        None => revoked.push(agent_id),
                        Some(at) => {
                            if !switchboard.send(Command::TokenReplaced { agent_id, at }) {
                                return; // The switchboard stopped: shutting down.
                            }
                        }
                    }
                }
                if !revoked.is_empty() && !switchboard.send(Command::Revoked { agent_ids: revoked })
                {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "could not read revoked agents; their sockets stay open until the next sweep")
            }
        }
    }
}
