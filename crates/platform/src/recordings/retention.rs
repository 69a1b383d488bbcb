//! Recordings kept only as long as each number says (`recording_retention_days`): a sweep at
//! start and then every [`EVERY`] removes the bytes of recordings older than that, then their
//! link (so the record says it has none). Bytes go first: a crash between the two leaves a
//! link whose download answers 404 "not in the store", never an orphan file nobody can find.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::RecordingStore;
use crate::config::NumberSettings;
use crate::store::time::now_ms;
use crate::store::Store;

/// How often the sweep runs.
pub const EVERY: Duration = Duration::from_secs(3600);

const DAY_MS: i64 = 24 * 3600 * 1000;

/// The cut-off (unix ms) for recordings kept `days` days at `now`: older ones go.
pub fn cutoff(now_ms: i64, days: u32) -> i64 {
    now_ms.saturating_sub(i64::from(days).saturating_mul(DAY_MS))
}

/// One sweep over every number with a retention; returns how many recordings were removed.
pub async fn sweep_once(
    store: &Store,
    recordings: &dyn RecordingStore,
    numbers: &[NumberSettings],
    now_ms: i64,
) -> usize {
    let mut removed = 0;
    for number in numbers {
        let Some(days) = number.recording_retention_days else {
            continue;
        };
        let due = match store
            .recordings_before(&number.phone_number_id, cutoff(now_ms, days))
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "recordings past retention not readable; next sweep");
                continue;
            }
        };
        for call_id in due {
            if let Err(error) = recordings.delete(&call_id).await {
                tracing::warn!(%error, call_id, "recording past retention not removed; next sweep");
                continue;
            }
            match store.unlink_recording(&call_id).await {
                Ok(()) => removed += 1,
                Err(error) => tracing::warn!(%error, call_id, "recording removed, its link not"),
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "recordings past their number's retention removed");
    }
    removed
}

/// Sweeps every [`EVERY`] with the numbers' retention as stored now (an admin's change
/// applies at the next sweep).
pub async fn sweep(
    store: Store,
    recordings: Arc<dyn RecordingStore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = crate::server::stopped(&mut shutdown) => break,
        }
        let numbers: Vec<NumberSettings> = match store.stored_numbers().await {
            Ok(stored) => stored.into_iter().map(|number| number.settings).collect(),
            Err(error) => {
                tracing::warn!(%error, "numbers not readable for recording retention; next sweep");
                continue;
            }
        };
        sweep_once(&store, &*recordings, &numbers, now_ms()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_whole_days_back_and_never_overflows() {
        assert_eq!(cutoff(10 * DAY_MS, 3), 7 * DAY_MS);
        assert_eq!(cutoff(0, u32::MAX), -(i64::from(u32::MAX) * DAY_MS));
        assert_eq!(cutoff(i64::MIN + 1, 1), i64::MIN);
    }
}
