//! The microphone as a call's [`AudioSource`]: the media task pulls 20 ms frames straight from
//! the current [`CaptureReader`] (swapped by the device manager when the device changes).

use std::sync::{Arc, Mutex, MutexGuard};

use crate::audio_io::CaptureReader;
use crate::level::{LevelWindow, SharedLevel};
use crate::media::AudioSource;
use crate::rtp::{OPUS_CLOCK_RATE, SAMPLES_20MS};

/// Capture backlog kept beyond the frame being read: older whole frames are dropped so the
/// far end hears the agent with at most this much extra delay.
pub(crate) const MAX_BACKLOG_SAMPLES: usize = 2 * SAMPLES_20MS; // 40 ms

pub(crate) struct MicSlot {
    reader: Option<CaptureReader>,
    level: LevelWindow,
    scratch: Vec<i16>,
    /// Whole frames dropped to keep latency low.
    pub dropped_frames: u64,
}

/// The shared microphone: the device manager installs readers, each call's [`MicSource`]
/// reads from it, the level is readable by anyone.
#[derive(Clone)]
pub(crate) struct Mic {
    slot: Arc<Mutex<MicSlot>>,
    level: Arc<SharedLevel>,
}

impl Mic {
    pub fn new() -> Self {
        Mic {
            slot: Arc::new(Mutex::new(MicSlot {
                reader: None,
                level: LevelWindow::new(OPUS_CLOCK_RATE),
                scratch: vec![0; SAMPLES_20MS],
                dropped_frames: 0,
            })),
            level: Arc::new(SharedLevel::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MicSlot> {
        match self.slot.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Install a new reader (or none); returns the old one so it can be dropped elsewhere.
    pub fn swap(&self, reader: Option<CaptureReader>) -> Option<CaptureReader> {
        std::mem::replace(&mut self.lock().reader, reader)
    }

    /// Level of the last 50 ms given to the call (before muting), dBFS.
    pub fn level_dbfs(&self) -> f32 {
        self.level.get()
    }

    pub fn source(&self) -> MicSource {
        MicSource(self.clone())
    }
}

impl MicSlot {
    /// The next frame from the reader, dropping whole frames beyond the backlog bound; false
    /// when there is no reader or not a whole frame yet.
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let Some(reader) = self.reader.as_mut() else {
            return false;
        };
        let n = frame.len();
        let mut available = match reader.available() {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "microphone: cannot read the capture");
                return false;
            }
        };
        self.scratch.resize(n, 0);
        while available >= n + MAX_BACKLOG_SAMPLES {
            match reader.read_frame(&mut self.scratch) {
                Ok(true) => {
                    available -= n;
                    self.dropped_frames += 1;
                }
                _ => break,
            }
        }
        reader.read_frame(frame).unwrap_or(false)
    }
}

/// A call's microphone input: what the capture holds, silence while nothing is captured.
pub(crate) struct MicSource(Mic);

impl AudioSource for MicSource {
    fn fill(&mut self, frame: &mut [i16]) {
        let mut slot = self.0.lock();
        if !slot.read(frame) {
            frame.fill(0);
        }
        if let Some(dbfs) = slot.level.push_i16(frame) {
            self.0.level.set(dbfs);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SILENCE_DBFS;

    #[test]
    fn without_a_device_the_microphone_is_silent() {
        let mic = Mic::new();
        let mut source = mic.source();
        let mut frame = [7i16; SAMPLES_20MS];
        for _ in 0..3 {
            source.fill(&mut frame);
        }
        assert!(frame.iter().all(|s| *s == 0));
        assert_eq!(mic.level_dbfs(), SILENCE_DBFS);
        assert!(mic.swap(None).is_none());
    }
}
