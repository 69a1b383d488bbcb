//! Running analysis of received audio: keeps the latest window, measures it on demand.

use std::collections::VecDeque;

use super::analysis::{dominant_frequency_hz, rms_dbfs};
use super::SAMPLE_RATE;

/// What the meter measured over its most recent window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterReading {
    /// RMS level of the window in dBFS ([`super::analysis::SILENCE_DBFS`] when empty).
    pub rms_dbfs: f64,
    /// Strongest frequency in the window, if there is enough non-silent audio.
    pub dominant_hz: Option<f64>,
    /// All samples ever pushed, in seconds at 48 kHz.
    pub seconds: f64,
}

/// Holds the last `window` samples of a 48 kHz stream.
///
/// Invariant: `recent.len() <= window`; pushing is O(samples), measuring is O(window log window),
/// so the cost of a reading is bounded however long the call runs.
#[derive(Debug, Clone)]
pub struct AudioMeter {
    window: usize,
    recent: VecDeque<i16>,
    total_samples: u64,
}

impl AudioMeter {
    /// A meter over the last `window_samples` samples (at least one 20 ms frame).
    pub fn new(window_samples: usize) -> Self {
        let window = window_samples.max(super::FRAME_SAMPLES);
        Self {
            window,
            recent: VecDeque::with_capacity(window),
            total_samples: 0,
        }
    }

    /// Append decoded samples.
    pub fn push(&mut self, samples: &[i16]) {
        self.total_samples += samples.len() as u64;
        let keep = samples.len().min(self.window);
        let overflow = (self.recent.len() + keep).saturating_sub(self.window);
        self.recent.drain(..overflow);
        self.recent.extend(&samples[samples.len() - keep..]);
    }

    /// Measure the current window.
    pub fn reading(&self) -> MeterReading {
        let (a, b) = self.recent.as_slices();
        let mut window = Vec::with_capacity(a.len() + b.len());
        window.extend_from_slice(a);
        window.extend_from_slice(b);
        MeterReading {
            rms_dbfs: rms_dbfs(&window),
            dominant_hz: dominant_frequency_hz(&window, SAMPLE_RATE),
            seconds: self.total_samples as f64 / f64::from(SAMPLE_RATE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{AudioSource, ToneSource};

    #[test]
    fn reading_follows_the_latest_window() {
        let mut meter = AudioMeter::new(24_000);
        let mut frame = [0i16; 960];
        let mut low = ToneSource::new(300.0, -10.0).unwrap();
        for _ in 0..50 {
            low.fill(&mut frame);
            meter.push(&frame);
        }
        let first = meter.reading();
        assert!((first.dominant_hz.unwrap() - 300.0).abs() < 3.0);
        assert!((first.rms_dbfs + 10.0).abs() < 0.2);

        // After a full window of a quieter, higher tone, the old tone is gone.
        let mut high = ToneSource::new(2500.0, -30.0).unwrap();
        for _ in 0..25 {
            high.fill(&mut frame);
            meter.push(&frame);
        }
        let second = meter.reading();
        assert!((second.dominant_hz.unwrap() - 2500.0).abs() < 10.0);
        assert!((second.rms_dbfs + 30.0).abs() < 0.2);
        assert!((second.seconds - 1.5).abs() < 1e-9);
    }

    #[test]
    fn empty_meter_reads_silence() {
        let reading = AudioMeter::new(48_000).reading();
        assert_eq!(reading.dominant_hz, None);
        assert_eq!(reading.seconds, 0.0);
        assert_eq!(reading.rms_dbfs, crate::audio::analysis::SILENCE_DBFS);
    }

    #[test]
    fn oversized_push_keeps_only_the_tail() {
        let mut meter = AudioMeter::new(960);
        let samples: Vec<i16> = (0..3000).map(|i| (i % 100) as i16).collect();
        meter.push(&samples);
        assert_eq!(meter.recent.len(), 960);
        assert_eq!(meter.recent.back(), samples.last());
    }
}
