//! Codec refusals.

/// Why an Opus operation failed. Carries libopus's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("cannot create the Opus {what}: {reason}")]
    Create { what: &'static str, reason: String },
    #[error("cannot configure the Opus encoder ({setting}): {reason}")]
    Configure {
        setting: &'static str,
        reason: String,
    },
    #[error("a frame must be exactly {expected} samples (20 ms at 48 kHz), got {got}")]
    FrameSize { expected: usize, got: usize },
    #[error("cannot encode the frame: {0}")]
    Encode(String),
    #[error("cannot decode the packet: {0}")]
    Decode(String),
}
