//! Measurements on a buffer of 16-bit samples: level and dominant frequency.
//!
//! Used by tests to check that audio really arrived ("the far end hears 1000 Hz at about
//! −20 dBFS"), so both functions are deterministic and cheap enough to run on every stats read.

use rustfft::{num_complex::Complex, FftPlanner};

/// The level reported for digital silence (and the floor for anything quieter).
pub const SILENCE_DBFS: f64 = -120.0;

/// Lowest frequency the dominant-frequency search considers (below it is DC and hum).
const MIN_SEARCH_HZ: f64 = 50.0;

/// RMS level in dBFS, relative to full-scale DC (`i16::MAX`): a full-scale sine measures
/// −3.01 dBFS. Empty or silent input gives [`SILENCE_DBFS`].
pub fn rms_dbfs(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return SILENCE_DBFS;
    }
    let energy: f64 = samples.iter().map(|s| f64::from(*s).powi(2)).sum();
    let rms = (energy / samples.len() as f64).sqrt() / f64::from(i16::MAX);
    if rms <= 0.0 {
        return SILENCE_DBFS;
    }
    (20.0 * rms.log10()).max(SILENCE_DBFS)
}

/// The frequency (Hz) with the most energy, or `None` when the buffer is too short (< 10 ms)
/// or silent.
///
/// Method: Hann window, FFT zero-padded to at least 4× the input (finer bins), the strongest
/// bin above [`MIN_SEARCH_HZ`], then Gaussian (log-parabolic) interpolation between it and its
/// neighbours. For a pure tone over ≥ 0.5 s this is accurate to well under 0.1 %.
pub fn dominant_frequency_hz(samples: &[i16], sample_rate: u32) -> Option<f64> {
    let rate = f64::from(sample_rate);
    if sample_rate == 0 || (samples.len() as f64) < rate / 100.0 {
        return None;
    }
    if samples.iter().all(|s| *s == 0) {
        return None;
    }
    let n = samples.len();
    let fft_len = (n * 4).next_power_of_two();
    let mut buf: Vec<Complex<f64>> = Vec::with_capacity(fft_len);
    let denom = (n.max(2) - 1) as f64;
    for (i, s) in samples.iter().enumerate() {
        let window = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / denom).cos();
        buf.push(Complex::new(f64::from(*s) * window, 0.0));
    }
    buf.resize(fft_len, Complex::new(0.0, 0.0));
    FftPlanner::<f64>::new()
        .plan_fft_forward(fft_len)
        .process(&mut buf);

    let bin_hz = rate / fft_len as f64;
    let first = ((MIN_SEARCH_HZ / bin_hz).ceil() as usize).max(1);
    let last = fft_len / 2 - 1;
    if first >= last {
        return None;
    }
    let magnitude = |k: usize| buf[k].norm();
    let peak = (first..last).max_by(|a, b| magnitude(*a).total_cmp(&magnitude(*b)))?;
    let (l, c, r) = (magnitude(peak - 1), magnitude(peak), magnitude(peak + 1));
    if c <= 0.0 {
        return None;
    }
    // Gaussian interpolation: exact for a Gaussian-shaped peak, close for Hann's main lobe.
    let offset = if l > 0.0 && r > 0.0 {
        let (ll, lc, lr) = (l.ln(), c.ln(), r.ln());
        let denom = ll - 2.0 * lc + lr;
        if denom.abs() > f64::EPSILON {
            (0.5 * (ll - lr) / denom).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    } else {
        0.0
    };
    Some((peak as f64 + offset) * bin_hz)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{AudioSource, ToneSource, SAMPLE_RATE};

    fn tone(hz: f64, dbfs: f64, seconds: f64) -> Vec<i16> {
        let mut buf = vec![0i16; (f64::from(SAMPLE_RATE) * seconds) as usize];
        ToneSource::new(hz, dbfs).unwrap().fill(&mut buf);
        buf
    }

    #[test]
    fn silence_is_the_floor() {
        assert_eq!(rms_dbfs(&[]), SILENCE_DBFS);
        assert_eq!(rms_dbfs(&[0; 480]), SILENCE_DBFS);
        assert_eq!(dominant_frequency_hz(&[0; 48_000], SAMPLE_RATE), None);
    }

    #[test]
    fn full_scale_square_is_zero_dbfs() {
        let square: Vec<i16> = (0..4800)
            .map(|i| if i % 2 == 0 { i16::MAX } else { -i16::MAX })
            .collect();
        assert!(rms_dbfs(&square).abs() < 0.001);
    }

    #[test]
    fn levels_are_measured_in_db() {
        for level in [-6.0, -20.0, -40.0] {
            let measured = rms_dbfs(&tone(700.0, level, 0.2));
            assert!((measured - level).abs() < 0.1, "{level} → {measured}");
        }
    }

    #[test]
    fn dominant_frequency_is_within_half_a_percent_from_200_to_3000_hz() {
        for hz in [200.0, 333.0, 440.0, 1000.0, 1234.5, 2000.0, 3000.0] {
            let found = dominant_frequency_hz(&tone(hz, -20.0, 0.5), SAMPLE_RATE).unwrap();
            let error = (found - hz).abs() / hz;
            assert!(error < 0.005, "{hz} Hz measured as {found} Hz");
        }
    }

    #[test]
    fn dominant_frequency_picks_the_louder_of_two_tones() {
        let loud = tone(600.0, -10.0, 0.5);
        let quiet = tone(1500.0, -30.0, 0.5);
        let mix: Vec<i16> = loud.iter().zip(&quiet).map(|(a, b)| a + b).collect();
        let found = dominant_frequency_hz(&mix, SAMPLE_RATE).unwrap();
        assert!((found - 600.0).abs() < 3.0, "{found}");
    }

    #[test]
    fn too_short_input_is_not_guessed() {
        assert_eq!(
            dominant_frequency_hz(&tone(440.0, -20.0, 0.005), SAMPLE_RATE),
            None
        );
        assert_eq!(dominant_frequency_hz(&[1, 2, 3], 0), None);
    }
}
