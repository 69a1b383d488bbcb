//! Processing the webhook inbox: the task that turns stored webhook bodies into call changes.
//!
//! The HTTP handler stores a verified body and wakes this task; the task takes pending bodies
//! oldest first and hands each to the switchboard, which marks it processed in the same
//! transaction as the changes it causes. On start it first drains whatever a previous run left
//! pending. A body that cannot be applied because the store failed stays pending and is
//! retried after a pause, at most [`MAX_ATTEMPTS`] times, then dead-lettered (marked processed
//! with the error, kept for inspection and counted in `/healthz`); a body that can never be
//! applied (not a webhook envelope) is dead-lettered at once, so neither blocks the queue.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, watch, Notify};
use whatsapp::webhook::WebhookEnvelope;

use crate::store::Store;
use crate::switchboard::{Command, SwitchboardHandle, WebhookBody};

/// How many pending bodies are read per round.
const BATCH: i64 = 64;
/// Tries of a body whose application fails before it is dead-lettered.
pub const MAX_ATTEMPTS: u32 = 5;
/// Pause before retrying after a store failure.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Processed bodies are kept this long (for audits and replays), then deleted.
const KEEP_PROCESSED: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Runs until `shutdown` turns true. `processed` counts bodies marked processed by this run
/// (tests and `/healthz` wait on it).
pub async fn run(
    store: Store,
    switchboard: SwitchboardHandle,
    wake: Arc<Notify>,
    processed: watch::Sender<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    prune(&store).await;
    let mut attempts = HashMap::new();
    loop {
        let drained = drain(
            &store,
            &switchboard,
            &processed,
            &mut attempts,
            &mut shutdown,
        )
        .await;
        if *shutdown.borrow() {
            break;
        }
        let pause = async {
            if drained {
                wake.notified().await;
            } else {
                tokio::time::sleep(RETRY_AFTER).await;
            }
        };
        tokio::select! {
            _ = pause => {}
            _ = crate::server::stopped(&mut shutdown) => break,
        }
    }
    tracing::debug!("inbox processor stopped");
}

/// Deletes processed bodies older than [`KEEP_PROCESSED`] (once per start: cheap, and a
/// long-running server is restarted by deployments far more often than weekly).
async fn prune(store: &Store) {
    let keep_ms = i64::try_from(KEEP_PROCESSED.as_millis()).unwrap_or(i64::MAX);
    let before = crate::store::time::now_ms().saturating_sub(keep_ms);
    match store.inbox_prune(before).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "pruned old processed webhooks"),
        Err(error) => tracing::warn!(%error, "could not prune old processed webhooks"),
    }
}

/// Processes pending bodies until none is left (true) or a failure asks for a pause (false).
async fn drain(
    store: &Store,
    switchboard: &SwitchboardHandle,
    processed: &watch::Sender<u64>,
    attempts: &mut HashMap<String, u32>,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    loop {
        let pending = match store.inbox_pending(BATCH).await {
            Ok(pending) => pending,
            Err(error) => {
                tracing::error!(%error, "cannot read the webhook inbox");
                return false;
            }
        };
        if pending.is_empty() {
            return true;
        }
        if *shutdown.borrow() {
            return true;
        }
        // Bodies that are not envelopes are given up one by one; the rest go as one batch,
        // applied in one transaction.
        let mut bodies = Vec::new();
        let mut ids = Vec::new();
        for item in pending {
            match WebhookEnvelope::from_slice(item.body.as_bytes()) {
                Err(error) => {
                    let reason = format!("not a webhook envelope: {error}");
                    if !give_up(store, processed, &item.id, &reason).await {
                        return false;
                    }
                }
                Ok(envelope) => {
                    ids.push(item.id.clone());
                    bodies.push(WebhookBody {
                        inbox_id: Some(item.id),
                        received_at: Some(item.received_at),
                        envelope: Box::new(envelope),
                    });
                }
            }
        }
        if bodies.is_empty() {
            continue;
        }
        let count = u64::try_from(bodies.len()).unwrap_or(u64::MAX);
        let (done, outcome) = oneshot::channel();
        if !switchboard.send(Command::Webhooks { bodies, done }) {
            return true; // The switchboard stopped: shutting down; they stay pending.
        }
        match outcome.await {
            Ok(Ok(())) => {
                // Marked processed by the switchboard, with their changes.
                for id in &ids {
                    attempts.remove(id);
                }
                processed.send_modify(|done| *done += count);
            }
            Ok(Err(error)) => {
                // Nothing of the batch was applied. A body that keeps failing is given up
                // after MAX_ATTEMPTS so the bodies behind it flow.
                let mut gave_up = false;
                for id in &ids {
                    let tries = attempts.entry(id.clone()).or_insert(0);
                    *tries += 1;
                    if *tries >= MAX_ATTEMPTS {
                        attempts.remove(id);
                        let reason =
                            format!("dead-lettered after {MAX_ATTEMPTS} failed tries: {error}");
                        gave_up |= give_up(store, processed, id, &reason).await;
                    }
                }
                tracing::error!(%error, bodies = ids.len(), "webhooks not applied; will retry");
                if !gave_up {
                    return false;
                }
            }
            Err(_) => return true, // Switchboard stopped mid-way; they stay pending.
        }
    }
}

/// Marks a body processed with the reason it was given up; false if even that failed.
async fn give_up(store: &Store, processed: &watch::Sender<u64>, id: &str, reason: &str) -> bool {
    tracing::warn!(inbox_id = id, reason, "webhook body given up");
    match store.inbox_done(id, Some(reason)).await {
        Ok(()) => {
            processed.send_modify(|count| *count += 1);
            true
        }
        Err(error) => {
            tracing::error!(inbox_id = id, %error, "cannot mark webhook processed; will retry");
            false
        }
    }
}
