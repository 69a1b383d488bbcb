//! Plays a WAV file as the phone's voice.

use std::path::Path;

use super::resample::to_48k;
use super::{AudioError, AudioSource};

/// A WAV file loaded into memory as 48 kHz mono `i16`.
///
/// Multi-channel files are averaged to mono; 8–32 bit integer and 32-bit float samples are
/// accepted; other sample rates are resampled to 48 kHz (rubato, FFT-based), so pitch and
/// duration are kept. When the file ends the source either starts again (`looping`) or
/// produces silence.
#[derive(Debug, Clone)]
pub struct WavSource {
    samples: Vec<i16>,
    position: usize,
    looping: bool,
}

impl WavSource {
    /// Load `path`.
    pub fn open(path: impl AsRef<Path>, looping: bool) -> Result<Self, AudioError> {
        let path = path.as_ref();
        let read_err = |source| AudioError::WavRead {
            path: path.to_path_buf(),
            source,
        };
        let mut reader = hound::WavReader::open(path).map_err(read_err)?;
        let spec = reader.spec();
        let interleaved: Vec<f64> = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Int, bits @ 1..=32) => {
                let scale = f64::from(i16::MAX) / ((1u64 << (bits - 1)) - 1).max(1) as f64;
                reader
                    .samples::<i32>()
                    .map(|s| s.map(|v| f64::from(v) * scale))
                    .collect::<Result<_, _>>()
                    .map_err(read_err)?
            }
            (hound::SampleFormat::Float, 32) => reader
                .samples::<f32>()
                .map(|s| s.map(|v| f64::from(v) * f64::from(i16::MAX)))
                .collect::<Result<_, _>>()
                .map_err(read_err)?,
            (format, bits) => {
                return Err(AudioError::UnsupportedFormat {
                    path: path.to_path_buf(),
                    detail: format!("{format:?} with {bits} bits per sample"),
                })
            }
        };
        let channels = usize::from(spec.channels.max(1));
        let mono: Vec<f64> = interleaved
            .chunks(channels)
            .map(|frame| frame.iter().sum::<f64>() / frame.len() as f64)
            .collect();
        let mono = to_48k(&mono, spec.sample_rate).map_err(|reason| AudioError::Resample {
            path: path.to_path_buf(),
            rate: spec.sample_rate,
            reason,
        })?;
        let samples: Vec<i16> = mono
            .iter()
            .map(|s| s.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16)
            .collect();
        if samples.is_empty() {
            return Err(AudioError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Self {
            samples,
            position: 0,
            looping,
        })
    }

    /// Length of the file in samples (48 kHz mono).
    pub fn len_samples(&self) -> usize {
        self.samples.len()
    }
}

impl AudioSource for WavSource {
    fn fill(&mut self, out: &mut [i16]) {
        let mut written = 0;
        while written < out.len() {
            if self.position >= self.samples.len() {
                if !self.looping {
                    out[written..].fill(0);
                    return;
                }
                self.position = 0;
            }
            let n = (out.len() - written).min(self.samples.len() - self.position);
            out[written..written + n]
                .copy_from_slice(&self.samples[self.position..self.position + n]);
            written += n;
            self.position += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::analysis::{dominant_frequency_hz, rms_dbfs};
    use crate::audio::ToneSource;

    fn write_wav(path: &Path, rate: u32, channels: u16, frames: &[i16]) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for s in frames {
            for _ in 0..channels {
                w.write_sample(*s).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn stereo_file_plays_as_mono_with_its_tone_and_level() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.wav");
        let mut tone = vec![0i16; 24_000];
        ToneSource::new(523.0, -15.0).unwrap().fill(&mut tone);
        write_wav(&path, 48_000, 2, &tone);

        let mut src = WavSource::open(&path, false).unwrap();
        assert_eq!(src.len_samples(), 24_000);
        let mut out = vec![0i16; 24_000];
        src.fill(&mut out);
        assert!((dominant_frequency_hz(&out, 48_000).unwrap() - 523.0).abs() < 2.0);
        assert!((rms_dbfs(&out) + 15.0).abs() < 0.1);

        // Past the end a non-looping source is silent.
        let mut tail = [1i16; 960];
        src.fill(&mut tail);
        assert!(tail.iter().all(|s| *s == 0));
    }

    #[test]
    fn looping_source_wraps_around() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ramp.wav");
        let ramp: Vec<i16> = (1..=100).collect();
        write_wav(&path, 48_000, 1, &ramp);
        let mut src = WavSource::open(&path, true).unwrap();
        let mut out = [0i16; 250];
        src.fill(&mut out);
        assert_eq!(out[99], 100);
        assert_eq!(out[100], 1);
        assert_eq!(out[249], 50);
    }

    #[test]
    fn other_sample_rates_are_resampled_to_48k() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("espeak-rate.wav");
        let tone: Vec<i16> = (0..22_050)
            .map(|i| {
                let t = f64::from(i) / 22_050.0;
                (3_000.0 * (std::f64::consts::TAU * 800.0 * t).sin()) as i16
            })
            .collect();
        write_wav(&path, 22_050, 1, &tone);
        let mut src = WavSource::open(&path, false).unwrap();
        assert!(
            (src.len_samples() as i64 - 48_000).abs() <= 2,
            "{}",
            src.len_samples()
        );
        let mut out = vec![0i16; 48_000];
        src.fill(&mut out);
        let hz = dominant_frequency_hz(&out[4_800..43_200], 48_000).unwrap();
        assert!((hz - 800.0).abs() < 4.0, "{hz}");
    }

    #[test]
    fn missing_and_empty_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            WavSource::open(dir.path().join("nope.wav"), false),
            Err(AudioError::WavRead { .. })
        ));
        let empty = dir.path().join("empty.wav");
        write_wav(&empty, 48_000, 1, &[]);
        assert!(matches!(
            WavSource::open(&empty, false),
            Err(AudioError::Empty { .. })
        ));
        let garbage = dir.path().join("garbage.wav");
        std::fs::write(&garbage, b"not a wav file").unwrap();
        assert!(matches!(
            WavSource::open(&garbage, false),
            Err(AudioError::WavRead { .. })
        ));
    }
}
