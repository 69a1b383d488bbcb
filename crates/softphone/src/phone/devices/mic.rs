//! The microphone as a call's [`AudioSource`]: the media task pulls 20 ms frames straight from
//! the current [`CaptureReader`] (swapped by the device manager when the device changes).

use std::sync::{Arc, Mutex, MutexGuard};

use crate::audio_io::CaptureReader;
use crate::level::{LevelWindow, SharedLevel};
use std::time::Duration;

use crate::media::{AudioSource, LiveFrame};
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

/// What [`read_fresh`] needs of a capture: [`CaptureReader`], or a fake in tests.
pub(crate) trait FrameReader {
    fn available(&mut self) -> Result<usize, crate::audio_io::AudioIoError>;
    fn read_frame(&mut self, frame: &mut [i16]) -> Result<bool, crate::audio_io::AudioIoError>;
}

impl FrameReader for CaptureReader {
    fn available(&mut self) -> Result<usize, crate::audio_io::AudioIoError> {
        CaptureReader::available(self)
    }
    fn read_frame(&mut self, frame: &mut [i16]) -> Result<bool, crate::audio_io::AudioIoError> {
        CaptureReader::read_frame(self, frame)
    }
}

/// The next frame from `reader`, first dropping whole frames while more than
/// [`MAX_BACKLOG_SAMPLES`] would stay queued behind it (the media task was late, or the device
/// opened before media started). Returns whether a frame was read and how many were dropped.
pub(crate) fn read_fresh(
    reader: &mut impl FrameReader,
    frame: &mut [i16],
    scratch: &mut Vec<i16>,
) -> (bool, u64) {
    let n = frame.len();
    let mut available = match reader.available() {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "microphone: cannot read the capture");
            return (false, 0);
        }
    };
    scratch.resize(n, 0);
    let mut dropped = 0;
    while available >= n + MAX_BACKLOG_SAMPLES {
        match reader.read_frame(scratch) {
            Ok(true) => {
                available -= n;
                dropped += 1;
            }
            _ => break,
        }
    }
    (reader.read_frame(frame).unwrap_or(false), dropped)
}

/// About how long until a whole frame of `frame_len` samples is captured when `available`
/// are (48 kHz).
pub(crate) fn time_to_frame(available: usize, frame_len: usize) -> Duration {
    let missing = frame_len.saturating_sub(available) as u64;
    Duration::from_micros(missing * 1_000_000 / u64::from(OPUS_CLOCK_RATE))
}

/// How long to wait before looking again while no microphone is open.
const NO_DEVICE_POLL: Duration = Duration::from_millis(20);

impl MicSlot {
    /// The next frame from the reader; false when there is no reader or not a whole frame yet.
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let Some(reader) = self.reader.as_mut() else {
            return false;
        };
        let (read, dropped) = read_fresh(reader, frame, &mut self.scratch);
        self.dropped_frames += dropped;
        read
    }

    /// The live answer for the sender: a frame if one is complete, else when to look again.
    fn poll(&mut self, frame: &mut [i16]) -> LiveFrame {
        if self.read(frame) {
            return LiveFrame::Ready;
        }
        match self.reader.as_mut().map(|r| r.available()) {
            Some(Ok(available)) => LiveFrame::NotYet(time_to_frame(available, frame.len())),
            Some(Err(_)) | None => LiveFrame::NotYet(NO_DEVICE_POLL),
        }
    }
}

/// A call's microphone input: what the capture holds, silence while nothing is captured. It is
/// a live source: the capture's clock paces the sender ([`AudioSource::poll_frame`]).
pub(crate) struct MicSource(Mic);

impl AudioSource for MicSource {
    fn poll_frame(&mut self, frame: &mut [i16]) -> Option<LiveFrame> {
        let mut slot = self.0.lock();
        let answer = slot.poll(frame);
        let level = match answer {
            LiveFrame::Ready => slot.level.push_i16(frame),
            // No device: the meter falls to silence as the sender sends silence.
            LiveFrame::NotYet(_) if slot.reader.is_none() => {
                let silence = [0i16; SAMPLES_20MS];
                slot.level.push_i16(&silence)
            }
            LiveFrame::NotYet(_) => None,
        };
        if let Some(dbfs) = level {
            self.0.level.set(dbfs);
        }
        Some(answer)
    }

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

    /// A capture holding consecutive sample numbers.
    struct Fake {
        next: i16,
        queued: usize,
    }

    impl FrameReader for Fake {
        fn available(&mut self) -> Result<usize, crate::audio_io::AudioIoError> {
            Ok(self.queued)
        }
        fn read_frame(&mut self, frame: &mut [i16]) -> Result<bool, crate::audio_io::AudioIoError> {
            if self.queued < frame.len() {
                return Ok(false);
            }
            for s in frame.iter_mut() {
                *s = self.next;
                self.next = self.next.wrapping_add(1);
            }
            self.queued -= frame.len();
            Ok(true)
        }
    }

    #[test]
    fn a_backlog_beyond_40_ms_is_dropped_in_whole_frames_so_the_freshest_audio_is_sent() {
        let mut scratch = Vec::new();
        let mut frame = [0i16; SAMPLES_20MS];
        // 200 ms queued (the device opened before media started): send the newest but one
        // frame now, so at most 40 ms (this frame and the next) is ever behind.
        let mut fake = Fake {
            next: 0,
            queued: 10 * SAMPLES_20MS,
        };
        let (read, dropped) = read_fresh(&mut fake, &mut frame, &mut scratch);
        assert!(read);
        assert_eq!(dropped, 8);
        assert_eq!(
            frame[0],
            (8 * SAMPLES_20MS) as i16,
            "whole frames, in order"
        );
        assert_eq!(fake.queued, SAMPLES_20MS);
        // Within the bound nothing is dropped; with less than a frame nothing is read.
        let (read, dropped) = read_fresh(&mut fake, &mut frame, &mut scratch);
        assert!(read);
        assert_eq!(dropped, 0);
        fake.queued = SAMPLES_20MS - 1;
        assert_eq!(read_fresh(&mut fake, &mut frame, &mut scratch), (false, 0));
    }

    #[test]
    fn the_wait_hint_is_the_time_until_a_whole_frame_is_captured() {
        assert_eq!(time_to_frame(0, SAMPLES_20MS), Duration::from_millis(20));
        assert_eq!(time_to_frame(480, SAMPLES_20MS), Duration::from_millis(10));
        assert_eq!(time_to_frame(2_000, SAMPLES_20MS), Duration::ZERO);
    }

    #[test]
    fn without_a_device_the_microphone_is_a_live_source_that_is_not_ready() {
        let mic = Mic::new();
        let mut source = mic.source();
        let mut frame = [7i16; SAMPLES_20MS];
        assert_eq!(
            source.poll_frame(&mut frame),
            Some(LiveFrame::NotYet(NO_DEVICE_POLL)),
            "the sender keeps the cadence with silence"
        );
        assert_eq!(mic.level_dbfs(), SILENCE_DBFS);
    }

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
