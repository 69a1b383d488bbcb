//! Why media refused or failed. Every refusal says why; none comes from a panic.

use std::path::PathBuf;
use std::time::Duration;

use super::MediaEnd;

/// Errors of the audio sources and sinks (files, tone parameters).
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("tone of {hz} Hz is not playable at 48 kHz (must be above 0 and below 24000)")]
    BadFrequency { hz: f64 },
    #[error("tone level {dbfs} dBFS must be between -100 and -3")]
    BadLevel { dbfs: f64 },
    #[error("cannot open WAV file {path}: {reason}")]
    OpenWav { path: PathBuf, reason: String },
    #[error("WAV file {path} is {rate} Hz; only 48000 Hz is accepted")]
    WrongSampleRate { path: PathBuf, rate: u32 },
    #[error("WAV file {path} is {bits}-bit {format}; only 16-bit integer PCM is accepted")]
    WrongSampleFormat {
        path: PathBuf,
        bits: u16,
        format: &'static str,
    },
    #[error("WAV file {path} holds {seconds} s of audio; at most {max} s is accepted")]
    TooLong {
        path: PathBuf,
        seconds: u64,
        max: u64,
    },
    #[error("cannot write WAV file {path}: {reason}")]
    WriteWav { path: PathBuf, reason: String },
}

/// Errors of a media session.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Meta's offer breaks a rule we rely on (no audio, no Opus/48000, ...).
    #[error("offer refused: {0}")]
    OfferRefused(String),
    /// Meta's answer to our offer breaks a rule we rely on.
    #[error("answer refused: {0}")]
    AnswerRefused(String),
    /// The WebRTC stack refused an operation.
    #[error("webrtc: {step}: {reason}")]
    WebRtc { step: &'static str, reason: String },
    /// ICE gathering did not complete in time: an answer without candidates is useless to an
    /// ICE-lite peer.
    #[error("ICE gathering did not complete within {0:?}")]
    GatheringTimeout(Duration),
    /// The SDP the stack produced lacks something Meta's answer needs.
    #[error("local SDP cannot be shaped for Meta: {0}")]
    LocalSdp(String),
    /// The session already ended.
    #[error("media session ended: {0}")]
    Ended(MediaEnd),
    #[error(transparent)]
    Audio(#[from] AudioError),
}

impl MediaError {
    pub(crate) fn webrtc<E: std::fmt::Display>(step: &'static str) -> impl FnOnce(E) -> Self {
        move |e| Self::WebRtc {
            step,
            reason: e.to_string(),
        }
    }
}
