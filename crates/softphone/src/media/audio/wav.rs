//! WAV files: `--play FILE.wav` (source) and `--record OUT.wav` (sink), 48 kHz 16-bit.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use super::{AudioError, AudioSink, AudioSource};

const SAMPLE_RATE: u32 = 48_000;
/// Longest file accepted as a source (kept in memory: 10 min ≈ 55 MB).
const MAX_SOURCE_SECONDS: u64 = 600;

/// Plays a 48 kHz 16-bit WAV file (stereo is mixed to mono), looped or followed by silence.
#[derive(Debug, Clone)]
pub struct WavSource {
    samples: Vec<i16>,
    position: usize,
    looping: bool,
}

impl WavSource {
    /// Reads the whole file; refuses other rates and formats rather than play them mis-pitched.
    pub fn open(path: impl AsRef<Path>, looping: bool) -> Result<Self, AudioError> {
        let path = path.as_ref();
        let open_err = |reason: String| AudioError::OpenWav {
            path: path.to_owned(),
            reason,
        };
        let reader = hound::WavReader::open(path).map_err(|e| open_err(e.to_string()))?;
        let spec = reader.spec();
        if spec.sample_rate != SAMPLE_RATE {
            return Err(AudioError::WrongSampleRate {
                path: path.to_owned(),
                rate: spec.sample_rate,
            });
        }
        if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
            return Err(AudioError::WrongSampleFormat {
                path: path.to_owned(),
                bits: spec.bits_per_sample,
                format: match spec.sample_format {
                    hound::SampleFormat::Int => "integer",
                    hound::SampleFormat::Float => "float",
                },
            });
        }
        let channels = usize::from(spec.channels.max(1));
        let seconds = u64::from(reader.duration()) / u64::from(SAMPLE_RATE);
        if seconds > MAX_SOURCE_SECONDS {
            return Err(AudioError::TooLong {
                path: path.to_owned(),
                seconds,
                max: MAX_SOURCE_SECONDS,
            });
        }
        let interleaved = reader
            .into_samples::<i16>()
            .collect::<Result<Vec<i16>, _>>()
            .map_err(|e| open_err(e.to_string()))?;
        let samples = interleaved
            .chunks(channels)
            .map(|c| (c.iter().map(|s| i32::from(*s)).sum::<i32>() / c.len() as i32) as i16)
            .collect();
        Ok(Self {
            samples,
            position: 0,
            looping,
        })
    }
}

impl AudioSource for WavSource {
    fn fill(&mut self, frame: &mut [i16]) {
        for sample in frame.iter_mut() {
            if self.position >= self.samples.len() {
                if self.looping && !self.samples.is_empty() {
                    self.position = 0;
                } else {
                    *sample = 0;
                    continue;
                }
            }
            *sample = self.samples[self.position];
            self.position += 1;
        }
    }
}

/// Records what the agent hears to a 48 kHz mono 16-bit WAV file.
pub struct WavSink {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
}

impl std::fmt::Debug for WavSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSink")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl WavSink {
    pub fn create(path: impl AsRef<Path>) -> Result<Self, AudioError> {
        let path = path.as_ref().to_owned();
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(&path, spec).map_err(|e| AudioError::WriteWav {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(Self { path, writer })
    }
}

impl AudioSink for WavSink {
    fn write(&mut self, samples: &[i16]) -> Result<(), AudioError> {
        for s in samples {
            self.writer
                .write_sample(*s)
                .map_err(|e| AudioError::WriteWav {
                    path: self.path.clone(),
                    reason: e.to_string(),
                })?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), AudioError> {
        let path = self.path;
        self.writer.finalize().map_err(|e| AudioError::WriteWav {
            path,
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_plays_back_identically_and_loops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let mut sink: Box<dyn AudioSink> = Box::new(WavSink::create(&path).unwrap());
        let written: Vec<i16> = (0..1500).map(|i| (i * 7 % 3000) as i16 - 1500).collect();
        sink.write(&written).unwrap();
        sink.finish().unwrap();

        let mut source = WavSource::open(&path, true).unwrap();
        let mut frame = vec![0i16; 960];
        source.fill(&mut frame);
        assert_eq!(frame[..], written[..960]);
        source.fill(&mut frame);
        assert_eq!(frame[..540], written[960..]);
        assert_eq!(frame[540..], written[..420], "loops back to the start");
    }

    #[test]
    fn wrong_rates_and_missing_files_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("8k.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(&path, spec)
            .unwrap()
            .finalize()
            .unwrap();
        let e = WavSource::open(&path, false).unwrap_err();
        assert!(e.to_string().contains("8000 Hz"), "{e}");
        let e = WavSource::open(dir.path().join("none.wav"), false).unwrap_err();
        assert!(e.to_string().contains("none.wav"), "{e}");
    }
}
