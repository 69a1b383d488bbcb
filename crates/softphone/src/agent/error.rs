//! Why the agent stopped.

use crate::media::AudioError;
use crate::phone::PhoneError;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("bad option: {0}")]
    Options(String),
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    /// `--request-permission` or `--call` was refused (already reported as `refused`).
    #[error("{action} refused: {message} ({code})")]
    Refused {
        action: String,
        code: String,
        message: String,
    },
}
