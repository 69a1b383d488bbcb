//! placeholder
pub mod audio_io;
pub mod call;
pub mod clock;
pub mod codec;
pub mod jitter;
pub mod level;
pub mod media;
pub mod signaling;
pub mod rtp;
pub mod signal;
pub mod agent;
