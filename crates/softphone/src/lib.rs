//! placeholder
pub mod call;
pub mod clock;
pub mod codec;
pub mod jitter;
pub mod level;
pub mod media;
pub mod rtp;
pub mod signal;
pub mod signaling;
