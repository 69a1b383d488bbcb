//! RTP framing of encoded Opus frames.

use crate::rtp::{RtpPacket, FRAME_TICKS};

/// Numbers outgoing 20 ms frames. Invariant: each packet's sequence number is the previous + 1
/// and its timestamp the previous + 960 (both wrapping), including silence (muted) frames.
#[derive(Debug, Clone)]
pub struct Packetizer {
    next_sequence: u16,
    next_timestamp: u32,
}

impl Packetizer {
    /// Starts at the given values (RFC 3550 asks for random ones; the caller draws them).
    pub fn new(first_sequence: u16, first_timestamp: u32) -> Self {
        Packetizer {
            next_sequence: first_sequence,
            next_timestamp: first_timestamp,
        }
    }

    /// Wraps one encoded 20 ms frame.
    pub fn packet(&mut self, payload: &[u8]) -> RtpPacket {
        let packet = RtpPacket {
            sequence: self.next_sequence,
            timestamp: self.next_timestamp,
            payload: payload.to_vec(),
        };
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.next_timestamp = self.next_timestamp.wrapping_add(FRAME_TICKS);
        packet
    }
}
