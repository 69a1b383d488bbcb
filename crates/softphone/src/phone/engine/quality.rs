//! The per-call quality watcher: from `start_media` until the session ends, once a second,
//! the call's RTCP figures and packet count become a sample, the monitor judges it, and a
//! [`PhoneEvent::Quality`] carries the figures and the warnings active now. Warnings raised or
//! cleared are logged. "No inbound audio" counts from `start_media`, so a call whose customer
//! audio never arrives raises it at 5 s instead of sitting in silence. When the media ends,
//! the call's summary goes back to the engine as [`Note::Quality`], for the platform's record.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::media::{MediaSession, MediaState};
use crate::phone::calls::{Note, Tagged};
use crate::phone::PhoneEvent;
use crate::quality::{interval, QualityMonitor, QualitySummary, WarningChange};

/// How often figures are taken (the RTCP report interval).
pub(super) const INTERVAL: Duration = Duration::from_secs(1);

pub(super) fn watch(
    session: Arc<dyn MediaSession>,
    call_id: String,
    events: mpsc::Sender<PhoneEvent>,
    (notes, serial): (mpsc::Sender<Tagged>, u32),
) {
    tokio::spawn(async move {
        let Some(mut before) = session.quality() else {
            return;
        };
        let mut summary = QualitySummary::start(before);
        measure(&*session, &call_id, &events, &mut before, &mut summary).await;
        if let Some(quality) = summary.finish() {
            let _ = notes
                .send((serial, Note::Quality { call_id, quality }))
                .await;
        }
    });
}

/// One figure a second until the media ends.
async fn measure(
    session: &dyn MediaSession,
    call_id: &str,
    events: &mpsc::Sender<PhoneEvent>,
    before: &mut crate::quality::QualityCounters,
    summary: &mut QualitySummary,
) {
    let mut monitor = QualityMonitor::default();
    let mut state = session.watch_state();
    let mut ticker = tokio::time::interval_at(Instant::now() + INTERVAL, INTERVAL);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut mic = crate::quality::MicWatch::default();
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = state.wait_for(|s| matches!(s, MediaState::Ended(_))) => return,
        }
        let Some(now) = session.quality() else {
            return;
        };
        let silent_for = if now.received > before.received {
            last_heard = Instant::now();
            Duration::ZERO
        } else {
            last_heard.elapsed()
        };
        let mut sample = interval::sample(before, &now, silent_for);
        sample.mic_silent_for = mic.update(
            Instant::now(),
            session.levels().input_dbfs,
            session.is_muted(),
        );
        let report = monitor.update(sample);
        summary.add(&sample, report.mos, now, &monitor.active());
        for change in &report.changes {
            match change {
                WarningChange::Raised(w) => {
                    tracing::warn!(call_id, warning = ?w, ?sample, "call quality warning raised")
                }
                WarningChange::Cleared(w) => {
                    tracing::info!(call_id, warning = ?w, "call quality warning cleared")
                }
            }
        }
        let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
        // Dropped rather than waited for when the owner is behind, like the level meters.
        let _ = events.try_send(PhoneEvent::Quality {
            call_id: call_id.to_owned(),
            mos: report.mos,
            rtt_ms: sample.rtt.map(ms),
            jitter_ms: ms(sample.jitter),
            loss_pct: sample.loss * 100.0,
            remote_loss_pct: sample.remote_loss.map(|l| l * 100.0),
            warnings: monitor.active(),
        });
        *before = now;
    }
}
