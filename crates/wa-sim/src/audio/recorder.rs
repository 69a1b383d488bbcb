//! Writes what the phone hears to a WAV file (48 kHz, mono, 16-bit).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::{AudioError, SAMPLE_RATE};

/// A WAV sink. Call [`WavRecorder::finish`] to write the final header; a recorder dropped
/// without it still leaves a readable file (hound finalizes on drop) but errors are lost.
pub struct WavRecorder {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
}

impl std::fmt::Debug for WavRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavRecorder")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl WavRecorder {
    /// Create (or truncate) `path`.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, AudioError> {
        let path = path.as_ref().to_path_buf();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer =
            hound::WavWriter::create(&path, spec).map_err(|source| AudioError::WavWrite {
                path: path.clone(),
                source,
            })?;
        Ok(Self { path, writer })
    }

    /// Append samples.
    pub fn write(&mut self, samples: &[i16]) -> Result<(), AudioError> {
        for s in samples {
            self.writer
                .write_sample(*s)
                .map_err(|source| AudioError::WavWrite {
                    path: self.path.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// Flush and finalize the header.
    pub fn finish(self) -> Result<(), AudioError> {
        let path = self.path;
        self.writer
            .finalize()
            .map_err(|source| AudioError::WavWrite { path, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::analysis::dominant_frequency_hz;
    use crate::audio::{AudioSource, ToneSource};

    #[test]
    fn recording_reads_back_as_48k_mono_with_the_same_tone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("heard.wav");
        let mut rec = WavRecorder::create(&path).unwrap();
        let mut tone = ToneSource::new(880.0, -12.0).unwrap();
        let mut frame = [0i16; 960];
        for _ in 0..25 {
            tone.fill(&mut frame);
            rec.write(&frame).unwrap();
        }
        rec.finish().unwrap();

        let mut reader = hound::WavReader::open(&path).unwrap();
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (1, 48_000, 16)
        );
        let samples: Vec<i16> = reader.samples::<i16>().map(|s| s.unwrap()).collect();
        assert_eq!(samples.len(), 24_000);
        let hz = dominant_frequency_hz(&samples, 48_000).unwrap();
        assert!((hz - 880.0).abs() < 2.0, "{hz}");
    }

    #[test]
    fn unwritable_path_is_refused_with_the_path() {
        let err = WavRecorder::create("/nonexistent-dir/x.wav").unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir/x.wav"), "{err}");
    }
}
