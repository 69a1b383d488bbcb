//! The speaker: every 10 ms the current call's [`SharedPlayout`] tops up the playback ring
//! (paced by the device's clock). Runs on its own task so opening or closing devices never
//! delays it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::audio_io::PlaybackWriter;
use crate::media::SharedPlayout;

/// Audio kept queued for the output device.
pub(crate) const PLAYBACK_TARGET: Duration = Duration::from_millis(40);
const TICK: Duration = Duration::from_millis(10);

#[derive(Default)]
pub(crate) struct SpeakerSlot {
    pub writer: Option<PlaybackWriter>,
    pub playout: Option<SharedPlayout>,
}

#[derive(Clone, Default)]
pub(crate) struct Speaker(Arc<Mutex<SpeakerSlot>>);

impl Speaker {
    pub fn lock(&self) -> MutexGuard<'_, SpeakerSlot> {
        match self.0.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// One tick: keep the ring at its target from the playout (nothing without both).
    pub fn tick(&self) {
        let mut slot = self.lock();
        let SpeakerSlot { writer, playout } = &mut *slot;
        if let (Some(writer), Some(playout)) = (writer.as_mut(), playout.as_ref()) {
            if let Err(e) = playout.top_up(writer, PLAYBACK_TARGET) {
                tracing::warn!(error = %e, "speaker: cannot write the playout");
            }
        }
    }

    /// Tick every 10 ms until aborted.
    pub async fn run(self) {
        let mut interval = tokio::time::interval(TICK);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            self.tick();
        }
    }
}
