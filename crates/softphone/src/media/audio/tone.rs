//! A sine tone: the headless agent's "voice" (`--tone HZ`).

use crate::signal::Sine;

use super::{AudioError, AudioSource};

const SAMPLE_RATE: f64 = 48_000.0;

/// A continuous sine at a frequency and RMS level; phase carries over between frames, so the
/// tone has no clicks at frame edges.
#[derive(Debug, Clone)]
pub struct ToneSource(Sine);

impl ToneSource {
    /// `level_dbfs` is the RMS level (a sine's peak is 3 dB above it).
    pub fn new(frequency_hz: f64, level_dbfs: f64) -> Result<Self, AudioError> {
        if !(frequency_hz > 0.0 && frequency_hz < SAMPLE_RATE / 2.0) {
            return Err(AudioError::BadFrequency { hz: frequency_hz });
        }
        if !(-100.0..=-3.0).contains(&level_dbfs) {
            return Err(AudioError::BadLevel { dbfs: level_dbfs });
        }
        // RMS level → peak amplitude relative to full scale (≤ 0.708 at −3 dBFS).
        let peak = 10f64.powf(level_dbfs / 20.0) * std::f64::consts::SQRT_2;
        Ok(Self(Sine::new(frequency_hz, SAMPLE_RATE as u32, peak)))
    }
}

impl AudioSource for ToneSource {
    fn fill(&mut self, frame: &mut [i16]) {
        self.0.fill_i16(frame);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{rms_dbfs, to_f32};

    #[test]
    fn tone_has_the_asked_level_and_period() {
        let mut tone = ToneSource::new(1000.0, -20.0).unwrap();
        let mut frame = [0i16; 960];
        tone.fill(&mut frame);
        let level = rms_dbfs(&frame.map(to_f32));
        assert!((level + 20.0).abs() < 0.1, "{level}");
        // 1000 Hz at 48 kHz: 48 samples per period, 20 periods per frame → 40 sign changes.
        let crossings = frame
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count();
        assert!((39..=41).contains(&crossings), "{crossings}");
    }

    #[test]
    fn unplayable_tones_are_refused_with_a_reason() {
        let e = ToneSource::new(30_000.0, -20.0).unwrap_err();
        assert!(e.to_string().contains("30000"), "{e}");
        assert!(ToneSource::new(f64::NAN, -20.0).is_err());
        assert!(ToneSource::new(440.0, 0.0).is_err());
    }
}
