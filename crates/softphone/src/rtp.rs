//! The RTP audio packet as the media path sees it (after SRTP, before the codec).
//!
//! Opus over RTP (RFC 7587) always uses a 48 kHz clock, whatever the audio bandwidth; Meta requires
//! `ptime` 20, so one packet carries one 20 ms frame and the timestamp advances by 960 per packet.

/// RTP clock rate of Opus, in ticks per second.
pub const OPUS_CLOCK_RATE: u32 = 48_000;
/// RTP timestamp ticks in one 20 ms Opus frame.
pub const FRAME_TICKS: u32 = 960;
/// Samples in 10 ms of 48 kHz mono audio: the unit the playout side pulls.
pub const SAMPLES_10MS: usize = 480;
/// Samples in one 20 ms frame of 48 kHz mono audio.
pub const SAMPLES_20MS: usize = 960;

/// One received (or to be sent) RTP audio packet: header fields the media path uses, and the
/// codec payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpPacket {
    pub sequence: u16,
    pub timestamp: u32,
    pub payload: Vec<u8>,
}
