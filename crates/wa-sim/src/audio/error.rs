//! Why an audio source or sink was refused.

use std::path::PathBuf;

/// Every refusal names the file and the reason.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be opened or parsed as WAV.
    #[error("cannot read WAV file {path}: {source}")]
    WavRead {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    /// The WAV file's sample rate could not be converted to 48 kHz.
    #[error(
        "WAV file {path} is sampled at {rate} Hz and cannot be resampled to 48 kHz: {reason} \
         (convert it first, e.g. `sox in.wav -r 48000 out.wav`)"
    )]
    Resample {
        path: PathBuf,
        rate: u32,
        reason: String,
    },
    /// The WAV sample format is not one we decode (8–32 bit integer or 32-bit float).
    #[error("WAV file {path} has an unsupported sample format: {detail}")]
    UnsupportedFormat { path: PathBuf, detail: String },
    /// The WAV file holds no samples at all.
    #[error("WAV file {path} contains no audio")]
    Empty { path: PathBuf },
    /// The recording could not be created or written.
    #[error("cannot write WAV recording {path}: {source}")]
    WavWrite {
        path: PathBuf,
        #[source]
        source: hound::Error,
    },
    /// A tone was asked for that cannot be produced without clipping or aliasing.
    #[error("invalid tone: {0}")]
    InvalidTone(String),
}
