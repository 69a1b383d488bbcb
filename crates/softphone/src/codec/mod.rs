//! Opus for the call: 20 ms, 48 kHz, mono frames in; RTP packets out; and back.
//!
//! - [`FrameEncoder`] encodes one 20 ms frame (960 samples) per call; muted frames are encoded as
//!   digital silence, so packets keep flowing (WhatsApp hangs up after 20–30 s without media).
//! - [`Packetizer`] wraps each encoded frame in an [`RtpPacket`](crate::rtp::RtpPacket): the
//!   sequence number advances by 1 and the timestamp by exactly 960 per frame, both wrapping.
//! - [`FrameDecoder`] decodes a packet, or conceals a missing one with Opus PLC or, when the
//!   following packet is at hand, with its in-band FEC.
//! - [`Playout`] joins the [`JitterBuffer`](crate::jitter::JitterBuffer) and the decoder and is
//!   pulled 10 ms at a time by the output side, metering what it plays.
//!
//! Uses the `opus` crate 0.4 (it builds libopus from source with cmake); see
//! docs/adr/0007-audio-engine.md.

mod decoder;
mod encoder;
mod error;
mod framing;
mod playout;
#[cfg(test)]
mod tests;

pub use decoder::FrameDecoder;
pub use encoder::{EncoderSettings, FrameEncoder};
pub use error::CodecError;
pub use framing::Packetizer;
pub use playout::{Playout, PlayoutStats};
