//! A continuous sine tone at a chosen frequency and RMS level.

use super::{AudioError, AudioSource, SAMPLE_RATE};

/// A sine wave at `frequency_hz` whose RMS level is `level_dbfs`.
///
/// The level is RMS relative to full-scale DC (`i16::MAX`), the same reference [`crate::audio::analysis::rms_dbfs`] uses, so a tone made at
/// −20 dBFS measures −20 dBFS. A sine's peak is 3.01 dB above its RMS, so levels above
/// −3.01 dBFS would clip and are refused.
#[derive(Debug, Clone)]
pub struct ToneSource {
    frequency_hz: f64,
    amplitude: f64,
    /// Phase in radians, kept in `[0, 2π)` so precision does not drift on long calls.
    phase: f64,
}

impl ToneSource {
    /// A tone; refuses frequencies outside (0, Nyquist) and levels that would clip.
    pub fn new(frequency_hz: f64, level_dbfs: f64) -> Result<Self, AudioError> {
        let nyquist = f64::from(SAMPLE_RATE) / 2.0;
        if !(frequency_hz > 0.0 && frequency_hz < nyquist) {
            return Err(AudioError::InvalidTone(format!(
                "frequency {frequency_hz} Hz must be between 0 and {nyquist} Hz"
            )));
        }
        let max_level = -20.0 * std::f64::consts::SQRT_2.log10();
        if !level_dbfs.is_finite() || level_dbfs > max_level {
            return Err(AudioError::InvalidTone(format!(
                "level {level_dbfs} dBFS must be finite and at most {max_level:.2} dBFS \
                 (a louder sine clips)"
            )));
        }
        let amplitude =
            10f64.powf(level_dbfs / 20.0) * std::f64::consts::SQRT_2 * f64::from(i16::MAX);
        Ok(Self {
            frequency_hz,
            amplitude,
            phase: 0.0,
        })
    }

    /// The tone's frequency.
    pub fn frequency_hz(&self) -> f64 {
        self.frequency_hz
    }
}

impl AudioSource for ToneSource {
    fn fill(&mut self, out: &mut [i16]) {
        let step = std::f64::consts::TAU * self.frequency_hz / f64::from(SAMPLE_RATE);
        for sample in out.iter_mut() {
            // Amplitude is at most i16::MAX by construction, so the cast cannot wrap.
            *sample = (self.amplitude * self.phase.sin()).round() as i16;
            self.phase = (self.phase + step) % std::f64::consts::TAU;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::analysis::{dominant_frequency_hz, rms_dbfs};

    fn render(tone: &mut ToneSource, seconds: f64) -> Vec<i16> {
        let mut buf = vec![0i16; (f64::from(SAMPLE_RATE) * seconds) as usize];
        tone.fill(&mut buf);
        buf
    }

    #[test]
    fn tone_has_requested_level_and_frequency() {
        let mut tone = ToneSource::new(440.0, -20.0).unwrap();
        let buf = render(&mut tone, 0.5);
        assert!((rms_dbfs(&buf) + 20.0).abs() < 0.1, "{}", rms_dbfs(&buf));
        let hz = dominant_frequency_hz(&buf, SAMPLE_RATE).unwrap();
        assert!((hz - 440.0).abs() < 1.0, "{hz}");
    }

    #[test]
    fn tone_is_continuous_across_frames() {
        // Rendering in 960-sample frames must equal rendering in one go (no phase resets).
        let mut a = ToneSource::new(1000.0, -10.0).unwrap();
        let mut b = a.clone();
        let whole = render(&mut a, 0.1);
        let mut framed = vec![0i16; whole.len()];
        for chunk in framed.chunks_mut(960) {
            b.fill(chunk);
        }
        let worst = whole
            .iter()
            .zip(&framed)
            .map(|(x, y)| (i32::from(*x) - i32::from(*y)).abs())
            .max()
            .unwrap();
        assert!(worst <= 1, "frames diverge by {worst}");
    }

    #[test]
    fn refuses_clipping_level_and_bad_frequency() {
        assert!(ToneSource::new(440.0, 0.0).is_err());
        assert!(ToneSource::new(0.0, -20.0).is_err());
        assert!(ToneSource::new(30_000.0, -20.0).is_err());
        assert!(ToneSource::new(440.0, f64::NAN).is_err());
        assert!(ToneSource::new(440.0, -3.1).is_ok());
    }
}
