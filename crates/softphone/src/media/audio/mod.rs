//! Where a call's audio comes from and goes to, 20 ms at a time, 48 kHz mono `i16`.
//!
//! The traits are the seam to the real devices: the desktop app's microphone/speaker rings
//! implement them (non-blocking: a source that has nothing fills silence). The headless
//! implementations here — tone, WAV file, silence; WAV file, capture, discard — serve
//! `ringdesk-agent` and tests.

mod capture;
mod playout;
mod tone;
mod wav;

pub use capture::CapturedAudio;
pub use playout::SharedPlayout;
pub use tone::ToneSource;
pub use wav::{WavSink, WavSource};

use super::AudioError;

/// Audio to send. Called from the media task every 20 ms once media has started.
pub trait AudioSource: Send {
    /// Fill `frame` (one 20 ms frame: 960 samples) with the next audio. Must not block.
    fn fill(&mut self, frame: &mut [i16]);

    /// For a live capture (the microphone), whose frames complete on the sound card's clock:
    /// `Some(Ready)` with `frame` filled when a whole frame has been captured, `Some(NotYet(
    /// hint))` with about how long until the next one is. The sender then sends each frame as
    /// soon as it is complete instead of on its own 20 ms timer, which would add 0–20 ms of
    /// delay (see `media/sender.rs`). Must not block. The default, `None`, means not live:
    /// the sender's timer calls [`fill`](Self::fill) every 20 ms.
    fn poll_frame(&mut self, frame: &mut [i16]) -> Option<LiveFrame> {
        let _ = frame;
        None
    }
}

/// What a live [`AudioSource`] has for the sender right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveFrame {
    /// The frame holds the next whole 20 ms of capture: send it now.
    Ready,
    /// No whole frame yet; the next should be complete in about this long.
    NotYet(std::time::Duration),
}

/// Audio received, decoded, in arrival order.
pub trait AudioSink: Send {
    /// Whether this sink wants decoded audio at all. When it does not (the desktop, which
    /// plays out through its own [`PacketSink`] and decoder), the session never decodes
    /// inbound packets for it: each packet is then decoded once, by the playout. Asked once,
    /// when the first inbound track starts.
    fn wants_audio(&self) -> bool {
        true
    }
    /// Take decoded samples. An error stops writing to this sink (the call goes on).
    fn write(&mut self, samples: &[i16]) -> Result<(), AudioError>;
    /// The call is over: flush and close.
    fn finish(self: Box<Self>) -> Result<(), AudioError>;
}

/// Inbound RTP audio packets as they arrive, for a receive path with its own jitter buffer
/// and decoder (the desktop's [`SharedPlayout`]). Called from the media task; must not block
/// for long.
pub trait PacketSink: Send {
    fn packet(&mut self, packet: crate::rtp::RtpPacket, arrival: crate::clock::MonoTime);
}

/// Sends digital silence (still real Opus packets, so the media path stays alive).
#[derive(Debug, Default, Clone, Copy)]
pub struct SilenceSource;

impl AudioSource for SilenceSource {
    fn fill(&mut self, frame: &mut [i16]) {
        frame.fill(0);
    }
}

/// Drops what it hears — without decoding it ([`AudioSink::wants_audio`] is false).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl AudioSink for NullSink {
    fn wants_audio(&self) -> bool {
        false
    }
    fn write(&mut self, _samples: &[i16]) -> Result<(), AudioError> {
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<(), AudioError> {
        Ok(())
    }
}
