//! The desktop's receive path: inbound RTP packets go into the softphone's jitter buffer and
//! decoder ([`crate::codec::Playout`]); the output side pulls 10 ms at a time, paced by the
//! speaker's clock ([`crate::audio_io::top_up`]).
//!
//! The lock is shared by the media task (push) and the playout tick (pull), never by a device
//! callback: the callback only reads the lock-free ring the tick fills.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::audio_io::{AudioIoError, PlaybackWriter};
use crate::clock::{Clock, MonoTime, MonotonicClock};
use crate::codec::{CodecError, Playout, PlayoutStats};
use crate::jitter::JitterConfig;
use crate::rtp::RtpPacket;

use super::PacketSink;

/// A [`Playout`] shared between the session (which pushes packets) and the output side.
///
/// Arrivals and pulls are timed on one clock, its own (the arrival time a [`PacketSink`] is
/// given comes from the session's clock, whose origin differs): the drift control compares
/// them ([`crate::jitter::JitterBuffer::observe_output`]).
#[derive(Clone)]
pub struct SharedPlayout(Arc<Mutex<Playout>>, MonotonicClock);

impl std::fmt::Debug for SharedPlayout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedPlayout")
            .field("stats", &self.stats())
            .finish()
    }
}

impl SharedPlayout {
    pub fn new(config: JitterConfig) -> Result<Self, CodecError> {
        Ok(Self(
            Arc::new(Mutex::new(Playout::new(config)?)),
            MonotonicClock::new(),
        ))
    }

    fn lock(&self) -> MutexGuard<'_, Playout> {
        match self.0.lock() {
            Ok(p) => p,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The next `out.len()` samples of playout (48 kHz mono; concealment or silence when
    /// nothing is due).
    pub fn pull(&self, out: &mut [i16]) {
        let now = self.1.now();
        self.lock().pull_at(out, now);
    }

    /// Keep `writer` (the speaker's ring) filled to `target`; call on every media tick.
    pub fn top_up(
        &self,
        writer: &mut PlaybackWriter,
        target: Duration,
    ) -> Result<usize, AudioIoError> {
        let now = self.1.now();
        crate::audio_io::top_up_at(&mut self.lock(), writer, target, now)
    }

    pub fn stats(&self) -> PlayoutStats {
        self.lock().stats()
    }

    /// Level of the last 50 ms played, dBFS.
    pub fn output_dbfs(&self) -> f32 {
        self.lock().output_dbfs()
    }
}

impl PacketSink for SharedPlayout {
    fn packet(&mut self, packet: RtpPacket, _arrival: MonoTime) {
        let arrival = self.1.now();
        self.lock().push(packet, arrival);
    }
}
