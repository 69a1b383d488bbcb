//! The platform's long-lived tasks (switchboard, inbox, revocation sweep, HTTP server) must not
//! die quietly: a platform whose switchboard has gone still answers webhooks with 200 and rings
//! nobody. Each runs under [`critical`]: if it ends — returns or panics — before the platform
//! was asked to stop, its name is reported on the `died` channel, and `serve` exits with an
//! error so a service manager restarts it (the inbox keeps what was not applied).

use std::future::Future;

use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinHandle};

/// Spawns `task` as the platform's `name` task. The returned handle ends when the task does;
/// the abort handle stops the task itself (tests use it to kill one).
pub fn critical(
    name: &'static str,
    task: impl Future<Output = ()> + Send + 'static,
    stop: watch::Receiver<bool>,
    died: watch::Sender<Option<&'static str>>,
) -> (JoinHandle<()>, AbortHandle) {
    let inner = tokio::spawn(task);
    let abort = inner.abort_handle();
    let watcher = tokio::spawn(async move {
        let outcome = inner.await;
        if *stop.borrow() {
            return; // stopping: every task ends now
        }
        // Reported before it is logged: the report must not depend on logging working.
        died.send_if_modified(|first| {
            if first.is_none() {
                *first = Some(name);
                true
            } else {
                false
            }
        });
        match outcome {
            Ok(()) => tracing::error!(task = name, "a platform task ended by itself"),
            Err(error) => tracing::error!(task = name, %error, "a platform task died"),
        }
    });
    (watcher, abort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_task_that_panics_or_returns_before_stop_is_reported_and_one_at_stop_is_not() {
        let (stop_tx, stop) = watch::channel(false);
        let (died, mut reported) = watch::channel(None);
        let (watcher, _) = critical(
            "panicky",
            async { panic!("boom") },
            stop.clone(),
            died.clone(),
        );
        watcher.await.unwrap();
        assert_eq!(*reported.borrow_and_update(), Some("panicky"));

        let (died, reported) = watch::channel(None);
        let (never_tx, never) = tokio::sync::oneshot::channel::<()>();
        let (watcher, _) = critical(
            "quiet",
            async move {
                let _ = never.await;
            },
            stop,
            died,
        );
        stop_tx.send_replace(true);
        drop(never_tx); // the task ends because the platform stops
        watcher.await.unwrap();
        assert_eq!(*reported.borrow(), None, "ending at stop is not a death");
    }
}
