//! Streaming sample-rate conversion of mono audio between a device's rate and 48 kHz.
//!
//! Runs in the media task, never in a device callback (it keeps an input accumulator). Built on
//! rubato's asynchronous resamplers so the ratio can be nudged to absorb clock drift between the
//! sound card and the far end ([`StreamResampler::adjust_ratio`]): sinc between different rates;
//! between equal rates a pass-through, or — when the ratio must stay adjustable
//! ([`StreamResampler::adjustable`], the playback side) — a quintic polynomial interpolator,
//! which at ratios within a percent of 1 is transparent for speech and costs a fraction of the
//! sinc filter.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Adjustable, Async, FixedAsync, PolynomialDegree, Resampler, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

use super::AudioIoError;

/// Input frames handed to rubato per call (10 ms at 48 kHz).
const CHUNK: usize = 480;
/// How far `adjust_ratio` may move the ratio from nominal (±2 %; drift is ppm-scale).
const MAX_RELATIVE_RATIO: f64 = 1.02;

/// Converts a mono stream from `from_rate` to `to_rate`, in chunks of any size.
pub struct StreamResampler {
    inner: Option<Async<f32>>,
    pending: Vec<f32>,
    out: Vec<f32>,
}

impl StreamResampler {
    /// Converts `from_rate` to `to_rate`; equal rates pass through (and
    /// [`adjust_ratio`](Self::adjust_ratio) does nothing).
    pub fn new(from_rate: u32, to_rate: u32) -> Result<Self, AudioIoError> {
        Self::build(from_rate, to_rate, false)
    }

    /// Like [`new`](Self::new), but the ratio can always be adjusted, equal rates included.
    pub fn adjustable(from_rate: u32, to_rate: u32) -> Result<Self, AudioIoError> {
        Self::build(from_rate, to_rate, true)
    }

    fn build(from_rate: u32, to_rate: u32, adjustable: bool) -> Result<Self, AudioIoError> {
        if from_rate == 0 || to_rate == 0 {
            return Err(AudioIoError::Resampler(format!(
                "sample rates must be positive, got {from_rate} → {to_rate}"
            )));
        }
        if from_rate == to_rate {
            if !adjustable {
                return Ok(StreamResampler {
                    inner: None,
                    pending: Vec::new(),
                    out: Vec::new(),
                });
            }
            let inner = Async::<f32>::new_poly(
                1.0,
                MAX_RELATIVE_RATIO,
                PolynomialDegree::Quintic,
                CHUNK,
                1,
                FixedAsync::Input,
            )
            .map_err(|e| AudioIoError::Resampler(e.to_string()))?;
            return Ok(Self::around(inner));
        }
        let params = SincInterpolationParameters {
            sinc_len: 128,
            f_cutoff: None,
            interpolation: SincInterpolationType::Linear,
            oversampling_factor: 128,
            window: WindowFunction::BlackmanHarris2,
        };
        let ratio = f64::from(to_rate) / f64::from(from_rate);
        let inner = Async::<f32>::new_sinc(
            ratio,
            MAX_RELATIVE_RATIO,
            &params,
            CHUNK,
            1,
            FixedAsync::Input,
        )
        .map_err(|e| AudioIoError::Resampler(e.to_string()))?;
        Ok(Self::around(inner))
    }

    fn around(inner: Async<f32>) -> Self {
        let out = vec![0.0; inner.output_frames_max()];
        StreamResampler {
            inner: Some(inner),
            pending: Vec::with_capacity(CHUNK * 4),
            out,
        }
    }

    /// Resamples `input` and appends what is ready to `output`. Samples that do not fill a
    /// whole chunk yet are kept for the next call (latency: at most one 10 ms chunk).
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) -> Result<(), AudioIoError> {
        let Some(inner) = self.inner.as_mut() else {
            output.extend_from_slice(input);
            return Ok(());
        };
        self.pending.extend_from_slice(input);
        let mut consumed = 0;
        loop {
            let need = inner.input_frames_next();
            if self.pending.len() - consumed < need {
                break;
            }
            let chunk = &self.pending[consumed..consumed + need];
            let frames_out = self.out.len();
            let input = InterleavedSlice::new(chunk, 1, need)
                .map_err(|e| AudioIoError::Resampler(e.to_string()))?;
            let mut out = InterleavedSlice::new_mut(&mut self.out[..], 1, frames_out)
                .map_err(|e| AudioIoError::Resampler(e.to_string()))?;
            let (read, written) = inner
                .process_into_buffer(&input, &mut out, None)
                .map_err(|e| AudioIoError::Resampler(e.to_string()))?;
            output.extend_from_slice(&self.out[..written]);
            consumed += read.max(1).min(need);
        }
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Nudges the conversion ratio by `relative` (1.0 = nominal; clamped to ±2 %), e.g. to keep
    /// a playout ring at its target fill when the device clock runs slightly fast or slow.
    pub fn adjust_ratio(&mut self, relative: f64) -> Result<(), AudioIoError> {
        if let Some(inner) = self.inner.as_mut() {
            let relative = relative.clamp(1.0 / MAX_RELATIVE_RATIO, MAX_RELATIVE_RATIO);
            inner
                .set_resample_ratio_relative(relative, true)
                .map_err(|e| AudioIoError::Resampler(e.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{estimate_frequency, rms_dbfs, Sine};

    fn tone(freq: f64, rate: u32, n: usize) -> Vec<f32> {
        let mut v = vec![0.0; n];
        Sine::new(freq, rate, 0.5).fill_f32(&mut v);
        v
    }

    /// Feeds `input` in uneven pieces, as device callbacks do.
    fn run(r: &mut StreamResampler, input: &[f32]) -> Vec<f32> {
        let mut out = Vec::new();
        let sizes = [441, 17, 1_000, 256, 3];
        let mut at = 0;
        for size in sizes.iter().cycle() {
            if at >= input.len() {
                break;
            }
            let end = (at + size).min(input.len());
            r.process(&input[at..end], &mut out).unwrap();
            at = end;
        }
        out
    }

    #[test]
    fn tone_keeps_its_frequency_and_level_across_common_device_rates() {
        for (from, to) in [
            (44_100, 48_000),
            (48_000, 44_100),
            (16_000, 48_000),
            (48_000, 16_000),
        ] {
            let input = tone(1_000.0, from, from as usize); // one second
            let mut r = StreamResampler::new(from, to).unwrap();
            let out = run(&mut r, &input);
            let expected = to as usize;
            assert!(
                out.len() + 2 * CHUNK * to as usize / from as usize >= expected
                    && out.len() <= expected,
                "{from}→{to}: {} samples",
                out.len()
            );
            let settled = &out[out.len() / 4..];
            let freq = estimate_frequency(settled, to).unwrap();
            assert!((freq - 1_000.0).abs() < 2.0, "{from}→{to}: {freq} Hz");
            let level = rms_dbfs(settled);
            assert!((level - (-9.03)).abs() < 0.3, "{from}→{to}: {level} dBFS");
        }
    }

    #[test]
    fn equal_rates_pass_through_unchanged() {
        let input = tone(440.0, 48_000, 1_000);
        let mut r = StreamResampler::new(48_000, 48_000).unwrap();
        assert_eq!(run(&mut r, &input), input);
    }

    #[test]
    fn a_zero_rate_is_refused_with_the_reason() {
        let err = StreamResampler::new(0, 48_000).err().unwrap();
        assert!(err.to_string().contains("0 → 48000"), "{err}");
    }

    #[test]
    fn adjusting_the_ratio_changes_the_output_rate() {
        let input = tone(1_000.0, 44_100, 44_100 * 2);
        let mut nominal = StreamResampler::new(44_100, 48_000).unwrap();
        let mut faster = StreamResampler::new(44_100, 48_000).unwrap();
        faster.adjust_ratio(1.01).unwrap();
        let a = run(&mut nominal, &input).len() as f64;
        let b = run(&mut faster, &input).len() as f64;
        assert!((b / a - 1.01).abs() < 0.002, "{a} vs {b}");
    }

    #[test]
    fn an_adjustable_resampler_between_equal_rates_is_transparent_and_adjusts() {
        let input = tone(1_000.0, 48_000, 48_000 * 2);
        let mut same = StreamResampler::adjustable(48_000, 48_000).unwrap();
        let out = run(&mut same, &input);
        assert!(out.len() + 2 * CHUNK >= input.len() && out.len() <= input.len());
        let settled = &out[out.len() / 4..];
        let freq = estimate_frequency(settled, 48_000).unwrap();
        assert!((freq - 1_000.0).abs() < 2.0, "{freq} Hz");
        let level = rms_dbfs(settled);
        assert!((level - (-9.03)).abs() < 0.1, "{level} dBFS");

        // 0.3 % slower playback: 0.3 % more output samples, pitch 0.3 % lower.
        let mut slower = StreamResampler::adjustable(48_000, 48_000).unwrap();
        slower.adjust_ratio(1.003).unwrap();
        let b = run(&mut slower, &input);
        let ratio = b.len() as f64 / out.len() as f64;
        assert!((ratio - 1.003).abs() < 0.000_5, "{ratio}");
        let freq = estimate_frequency(&b[b.len() / 4..], 48_000).unwrap();
        assert!((freq - 1_000.0 / 1.003).abs() < 2.0, "{freq} Hz");
    }
}
