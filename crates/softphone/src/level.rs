//! Input and output level meters: RMS over 50 ms windows, in dBFS.
//!
//! [`LevelWindow`] is the pure accumulator (feed it samples of any chunk size; each completed
//! 50 ms window publishes one reading). [`SharedLevel`] carries the latest reading from the
//! media task to the UI thread without locks (one atomic `f32`).

use std::sync::atomic::{AtomicU32, Ordering};

use crate::signal::{power_to_dbfs, SILENCE_DBFS};

/// Window length: 50 ms.
pub const WINDOW_MS: u32 = 50;

/// Accumulates squared samples over 50 ms windows.
#[derive(Debug, Clone)]
pub struct LevelWindow {
    window_len: usize,
    filled: usize,
    sum_squares: f64,
    last_dbfs: f32,
}

impl LevelWindow {
    pub fn new(sample_rate: u32) -> Self {
        let window_len = (sample_rate as usize * WINDOW_MS as usize / 1_000).max(1);
        LevelWindow {
            window_len,
            filled: 0,
            sum_squares: 0.0,
            last_dbfs: SILENCE_DBFS,
        }
    }

    /// Adds samples (−1..1); returns the newest completed window's level if one completed.
    pub fn push(&mut self, samples: &[f32]) -> Option<f32> {
        let mut completed = None;
        for &s in samples {
            self.sum_squares += f64::from(s) * f64::from(s);
            self.filled += 1;
            if self.filled == self.window_len {
                self.last_dbfs = power_to_dbfs(self.sum_squares / self.window_len as f64);
                completed = Some(self.last_dbfs);
                self.filled = 0;
                self.sum_squares = 0.0;
            }
        }
        completed
    }

    /// Same as [`push`](Self::push) for `i16` samples.
    pub fn push_i16(&mut self, samples: &[i16]) -> Option<f32> {
        let mut completed = None;
        for chunk in samples.chunks(256) {
            let mut floats = [0.0f32; 256];
            for (f, s) in floats.iter_mut().zip(chunk) {
                *f = crate::signal::to_f32(*s);
            }
            if let Some(level) = self.push(&floats[..chunk.len()]) {
                completed = Some(level);
            }
        }
        completed
    }

    /// The level of the last completed window (`SILENCE_DBFS` before the first).
    pub fn last_dbfs(&self) -> f32 {
        self.last_dbfs
    }
}

/// The latest level, readable from any thread without locking.
#[derive(Debug)]
pub struct SharedLevel(AtomicU32);

impl Default for SharedLevel {
    fn default() -> Self {
        SharedLevel(AtomicU32::new(SILENCE_DBFS.to_bits()))
    }
}

impl SharedLevel {
    pub fn set(&self, dbfs: f32) {
        self.0.store(dbfs.to_bits(), Ordering::Relaxed);
    }
    pub fn get(&self) -> f32 {
        f32::from_bits(self.0.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Sine;

    #[test]
    fn a_reading_per_50ms_window_with_the_tone_level() {
        let mut meter = LevelWindow::new(48_000);
        let mut sine = Sine::new(1_000.0, 48_000, 0.5);
        let mut chunk = [0.0f32; 480]; // 10 ms
        let mut readings = Vec::new();
        for _ in 0..20 {
            sine.fill_f32(&mut chunk);
            if let Some(level) = meter.push(&chunk) {
                readings.push(level);
            }
        }
        assert_eq!(readings.len(), 4, "200 ms is four 50 ms windows");
        for level in readings {
            assert!((level - (-9.03)).abs() < 0.1, "{level}");
        }
    }

    #[test]
    fn silence_after_a_tone_reads_as_silence_in_the_next_window() {
        let mut meter = LevelWindow::new(48_000);
        let mut tone = vec![0i16; 2_400];
        Sine::new(440.0, 48_000, 0.25).fill_i16(&mut tone);
        assert!(meter.push_i16(&tone).unwrap() > -16.0);
        assert_eq!(meter.push_i16(&[0; 2_400]), Some(SILENCE_DBFS));
        let shared = SharedLevel::default();
        shared.set(meter.last_dbfs());
        assert_eq!(shared.get(), SILENCE_DBFS);
    }
}
