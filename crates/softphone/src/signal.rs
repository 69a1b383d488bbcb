//! Small pure DSP pieces for headless audio and for tests that check audio rather than calls:
//! a phase-continuous sine generator, RMS level in dBFS, a Goertzel detector and a frequency
//! estimator.

use std::f64::consts::TAU;

/// The level reported for digital silence (and for no samples at all).
pub const SILENCE_DBFS: f32 = -120.0;

/// A sine wave at `frequency` Hz, `amplitude` relative to full scale (0–1), phase-continuous
/// across calls so consecutive frames join without clicks.
#[derive(Debug, Clone)]
pub struct Sine {
    step: f64,
    phase: f64,
    amplitude: f64,
}

impl Sine {
    pub fn new(frequency: f64, sample_rate: u32, amplitude: f64) -> Self {
        Sine {
            step: TAU * frequency / f64::from(sample_rate.max(1)),
            phase: 0.0,
            amplitude: amplitude.clamp(0.0, 1.0),
        }
    }

    pub fn next_sample(&mut self) -> f32 {
        let s = (self.phase.sin() * self.amplitude) as f32;
        self.advance(1);
        s
    }

    pub fn fill_i16(&mut self, out: &mut [i16]) {
        let mut osc = self.block_oscillator();
        for s in out.iter_mut() {
            *s = to_i16(osc.next());
        }
        self.advance(out.len());
    }

    pub fn fill_f32(&mut self, out: &mut [f32]) {
        let mut osc = self.block_oscillator();
        for s in out.iter_mut() {
            *s = osc.next();
        }
        self.advance(out.len());
    }

    /// A phasor rotated by `step` per sample from the current phase: one multiply-add per
    /// sample instead of a `sin` (the headless agent's tone runs all call long). Re-anchored
    /// exactly at every block, so rounding never accumulates past one block.
    fn block_oscillator(&self) -> Oscillator {
        Oscillator {
            re: self.phase.cos(),
            im: self.phase.sin(),
            step_re: self.step.cos(),
            step_im: self.step.sin(),
            amplitude: self.amplitude,
        }
    }

    fn advance(&mut self, samples: usize) {
        self.phase = (self.phase + self.step * samples as f64) % TAU;
    }
}

struct Oscillator {
    re: f64,
    im: f64,
    step_re: f64,
    step_im: f64,
    amplitude: f64,
}

impl Oscillator {
    fn next(&mut self) -> f32 {
        let s = (self.im * self.amplitude) as f32;
        let re = self.re * self.step_re - self.im * self.step_im;
        self.im = self.im * self.step_re + self.re * self.step_im;
        self.re = re;
        s
    }
}

/// Float sample (−1..1) to `i16`, clamped.
pub fn to_i16(s: f32) -> i16 {
    (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16
}

/// `i16` sample to float (−1..1).
pub fn to_f32(s: i16) -> f32 {
    f32::from(s) / 32_768.0
}

/// RMS level in dBFS, where a full-scale sine is −3 dBFS; `SILENCE_DBFS` for silence.
pub fn rms_dbfs(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return SILENCE_DBFS;
    }
    let mean_square =
        samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / samples.len() as f64;
    power_to_dbfs(mean_square)
}

/// Mean square (of −1..1 samples) to dBFS, floored at `SILENCE_DBFS`.
pub fn power_to_dbfs(mean_square: f64) -> f32 {
    if mean_square <= 0.0 {
        return SILENCE_DBFS;
    }
    ((10.0 * mean_square.log10()) as f32).max(SILENCE_DBFS)
}

/// Relative power of `frequency` in `samples` (Goertzel), normalised so a full-scale sine at
/// exactly that frequency gives about 0.25 whatever the length.
pub fn goertzel_power(samples: &[f32], frequency: f64, sample_rate: u32) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let w = TAU * frequency / f64::from(sample_rate.max(1));
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = samples.len() as f64;
    power / (n * n)
}

/// Estimates the frequency of a dominant tone from its upward zero crossings, interpolated
/// between samples. `None` when fewer than two crossings are found (silence, DC).
pub fn estimate_frequency(samples: &[f32], sample_rate: u32) -> Option<f64> {
    let mut first: Option<f64> = None;
    let mut last = 0.0;
    let mut crossings = 0usize;
    for (i, pair) in samples.windows(2).enumerate() {
        let (a, b) = (f64::from(pair[0]), f64::from(pair[1]));
        if a < 0.0 && b >= 0.0 {
            let at = i as f64 + (-a / (b - a));
            if first.is_none() {
                first = Some(at);
            }
            last = at;
            crossings += 1;
        }
    }
    let first = first?;
    if crossings < 2 || last <= first {
        return None;
    }
    Some((crossings - 1) as f64 * f64::from(sample_rate) / (last - first))
}

/// Frequency of a tone that may have gaps (dropouts, concealed frames): the median of
/// [`estimate_frequency`] over consecutive `window`-sample pieces, skipping pieces quieter than
/// `min_dbfs`. `None` if no piece qualifies.
pub fn median_frequency(
    samples: &[f32],
    sample_rate: u32,
    window: usize,
    min_dbfs: f32,
) -> Option<f64> {
    let mut estimates: Vec<f64> = samples
        .chunks_exact(window.max(2))
        .filter(|piece| rms_dbfs(piece) >= min_dbfs)
        .filter_map(|piece| estimate_frequency(piece, sample_rate))
        .collect();
    if estimates.is_empty() {
        return None;
    }
    estimates.sort_by(f64::total_cmp);
    Some(estimates[estimates.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, amp: f64, n: usize) -> Vec<f32> {
        let mut sine = Sine::new(freq, 48_000, amp);
        let mut v = vec![0.0; n];
        sine.fill_f32(&mut v);
        v
    }

    #[test]
    fn block_fills_match_the_sine_sample_by_sample_across_blocks() {
        let mut blocks = Sine::new(1_234.5, 48_000, 0.7);
        let mut one_by_one = Sine::new(1_234.5, 48_000, 0.7);
        // Ten minutes of phase first, so accumulated rounding would show.
        let mut skip = vec![0.0f32; 48_000];
        for _ in 0..600 {
            blocks.fill_f32(&mut skip);
            for _ in 0..48_000 {
                one_by_one.next_sample();
            }
        }
        for size in [960, 1, 17, 480, 4_096] {
            let mut v = vec![0.0f32; size];
            blocks.fill_f32(&mut v);
            for (i, s) in v.iter().enumerate() {
                let expected = one_by_one.next_sample();
                assert!(
                    (s - expected).abs() < 1e-4,
                    "block {size}, sample {i}: {s} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn sine_level_is_minus_3_dbfs_at_full_scale_and_scales_with_amplitude() {
        assert!((rms_dbfs(&tone(1_000.0, 1.0, 48_000)) + 3.01).abs() < 0.05);
        assert!((rms_dbfs(&tone(1_000.0, 0.1, 48_000)) + 23.01).abs() < 0.05);
        assert_eq!(rms_dbfs(&[0.0; 480]), SILENCE_DBFS);
        assert_eq!(rms_dbfs(&[]), SILENCE_DBFS);
    }

    #[test]
    fn frequency_estimate_is_accurate_for_clean_tones() {
        for freq in [300.0, 440.0, 1_000.0, 3_100.0] {
            let est = estimate_frequency(&tone(freq, 0.5, 9_600), 48_000).unwrap();
            assert!(
                (est - freq).abs() / freq < 0.002,
                "{freq} estimated as {est}"
            );
        }
        assert_eq!(estimate_frequency(&[0.0; 1_000], 48_000), None);
    }

    #[test]
    fn median_frequency_ignores_dropouts_that_fool_the_plain_estimate() {
        let mut samples = tone(697.0, 0.3, 24_000);
        // Three 10 ms dropouts, as an underrun would leave.
        for start in [3_000, 11_000, 19_000] {
            samples[start..start + 480].fill(0.0);
        }
        let plain = estimate_frequency(&samples, 48_000).unwrap();
        assert!(
            (plain - 697.0).abs() / 697.0 > 0.02,
            "plain estimate {plain} not fooled"
        );
        let robust = median_frequency(&samples, 48_000, 960, -40.0).unwrap();
        assert!((robust - 697.0).abs() / 697.0 < 0.005, "{robust}");
        assert_eq!(median_frequency(&[0.0; 4_800], 48_000, 960, -40.0), None);
    }

    #[test]
    fn goertzel_separates_the_tone_from_other_frequencies() {
        let samples = tone(1_000.0, 1.0, 4_800);
        let on = goertzel_power(&samples, 1_000.0, 48_000);
        let off = goertzel_power(&samples, 1_300.0, 48_000);
        assert!((on - 0.25).abs() < 0.01, "{on}");
        assert!(off < on / 1_000.0, "{off} vs {on}");
    }
}
