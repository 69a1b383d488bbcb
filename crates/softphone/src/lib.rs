//! placeholder
pub mod call;
pub mod clock;
pub mod jitter;
pub mod rtp;
pub mod media;
