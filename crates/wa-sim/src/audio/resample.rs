//! Converts a whole mono clip to 48 kHz (used for WAV voices recorded at other rates, such as
//! espeak-ng's 22 050 Hz or CD audio's 44 100 Hz).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use super::SAMPLE_RATE;

/// Input frames per FFT chunk: large enough for a good anti-aliasing filter, small enough that
/// short clips are not mostly padding.
const CHUNK: usize = 1024;

/// Resample `mono` (at `rate` Hz) to [`SAMPLE_RATE`]. The output has the clip's duration, with
/// the resampler's start-up delay trimmed. `Err` carries rubato's reason (e.g. a zero rate).
pub(crate) fn to_48k(mono: &[f64], rate: u32) -> Result<Vec<f64>, String> {
    if rate == SAMPLE_RATE || mono.is_empty() {
        return Ok(mono.to_vec());
    }
    let mut resampler = Fft::<f64>::new(
        rate as usize,
        SAMPLE_RATE as usize,
        CHUNK,
        1,
        FixedSync::Input,
    )
    .map_err(|e| e.to_string())?;
    let input = InterleavedSlice::new(mono, 1, mono.len()).map_err(|e| e.to_string())?;
    let output = resampler
        .process_all(&input, mono.len(), None)
        .map_err(|e| e.to_string())?;
    Ok(output.take_data())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::analysis::{dominant_frequency_hz, rms_dbfs};

    fn tone(hz: f64, rate: u32, seconds: f64) -> Vec<f64> {
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| {
                0.1 * f64::from(i16::MAX)
                    * (std::f64::consts::TAU * hz * i as f64 / f64::from(rate)).sin()
            })
            .collect()
    }

    fn as_i16(samples: &[f64]) -> Vec<i16> {
        samples.iter().map(|s| s.round() as i16).collect()
    }

    #[test]
    fn resampled_tone_keeps_pitch_level_and_duration() {
        for rate in [8_000, 16_000, 22_050, 44_100] {
            let out = to_48k(&tone(700.0, rate, 0.5), rate).unwrap();
            assert!(
                (out.len() as i64 - 24_000).abs() <= 2,
                "{rate} Hz → {} samples",
                out.len()
            );
            let out = as_i16(&out);
            let hz = dominant_frequency_hz(&out[2_400..], SAMPLE_RATE).unwrap();
            assert!((hz - 700.0).abs() < 3.5, "{rate} Hz → {hz} Hz");
            // 0.1 of full scale as a sine: −23 dBFS RMS.
            let level = rms_dbfs(&out[2_400..21_600]);
            assert!((level + 23.0).abs() < 0.5, "{rate} Hz → {level} dBFS");
        }
    }

    #[test]
    fn at_48k_it_is_a_copy() {
        let clip = tone(440.0, 48_000, 0.01);
        assert_eq!(to_48k(&clip, 48_000).unwrap(), clip);
    }
}
