//! The receive side's playout: jitter buffer → Opus decoder → 10 ms pulls.

use crate::clock::MonoTime;
use crate::jitter::{JitterBuffer, JitterConfig, Playout as Next, PushOutcome};
use crate::level::LevelWindow;
use crate::rtp::{RtpPacket, OPUS_CLOCK_RATE, SAMPLES_20MS};

use super::{CodecError, FrameDecoder};

/// What the playout did, for quality reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlayoutStats {
    pub decoded: u64,
    pub concealed_with_fec: u64,
    pub concealed_with_plc: u64,
    pub silent_frames: u64,
    pub undecodable: u64,
}

/// Packets in (any order, any time), 10 ms of PCM out on demand.
///
/// The output side calls [`pull`](Self::pull) with 480 samples (10 ms) at a time; a frame is
/// taken from the jitter buffer only when the previous one is used up, so the output device's
/// clock paces the buffer. No allocation after construction (decoded PCM reuses one buffer).
pub struct Playout {
    jitter: JitterBuffer,
    decoder: FrameDecoder,
    pcm: Vec<i16>,
    pos: usize,
    level: LevelWindow,
    stats: PlayoutStats,
}

impl Playout {
    pub fn new(config: JitterConfig) -> Result<Self, CodecError> {
        Ok(Playout {
            jitter: JitterBuffer::new(config),
            decoder: FrameDecoder::new()?,
            pcm: Vec::with_capacity(5_760),
            pos: 0,
            level: LevelWindow::new(OPUS_CLOCK_RATE),
            stats: PlayoutStats::default(),
        })
    }

    pub fn push(&mut self, packet: RtpPacket, arrival: MonoTime) -> PushOutcome {
        self.jitter.push(packet, arrival)
    }

    /// Fills `out` with the next samples of playout (48 kHz mono).
    pub fn pull(&mut self, out: &mut [i16]) {
        let mut filled = 0;
        while filled < out.len() {
            if self.pos >= self.pcm.len() {
                self.refill();
            }
            let n = (self.pcm.len() - self.pos).min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&self.pcm[self.pos..self.pos + n]);
            self.pos += n;
            filled += n;
        }
        self.level.push_i16(out);
    }

    /// [`pull`](Self::pull) at `now` (on the clock that stamped the pushed packets' arrivals),
    /// reporting the output's position to the jitter buffer's drift control
    /// ([`JitterBuffer::observe_output`]). The device side uses this; plain `pull` leaves the
    /// playback speed alone.
    pub fn pull_at(&mut self, out: &mut [i16], now: MonoTime) {
        self.pull(out);
        let unplayed = (self.pcm.len() - self.pos) as u64 * 1_000_000 / u64::from(OPUS_CLOCK_RATE);
        self.jitter
            .observe_output(std::time::Duration::from_micros(unplayed), now);
    }

    /// Level of the last 50 ms played, dBFS.
    pub fn output_dbfs(&self) -> f32 {
        self.level.last_dbfs()
    }

    pub fn jitter(&self) -> &JitterBuffer {
        &self.jitter
    }

    pub fn stats(&self) -> PlayoutStats {
        self.stats
    }

    /// Puts the next frame's PCM in `self.pcm` (never empty afterwards).
    fn refill(&mut self) {
        self.pcm.clear();
        self.pos = 0;
        match self.jitter.next_frame() {
            Next::Frame { payload, .. } => match self.decoder.decode(&payload) {
                Ok(samples) if !samples.is_empty() => {
                    self.pcm.extend_from_slice(samples);
                    self.stats.decoded += 1;
                }
                _ => {
                    // A packet that does not decode is treated as lost.
                    self.stats.undecodable += 1;
                    self.conceal(None);
                }
            },
            Next::Conceal { fec, .. } => self.conceal(fec.as_deref()),
            Next::Silence => self.stats.silent_frames += 1,
        }
        if self.pcm.is_empty() {
            self.pcm.resize(SAMPLES_20MS, 0);
        }
    }

    fn conceal(&mut self, fec: Option<&[u8]>) {
        if fec.is_some() {
            self.stats.concealed_with_fec += 1;
        } else {
            self.stats.concealed_with_plc += 1;
        }
        if let Ok(samples) = self.decoder.conceal(fec) {
            self.pcm.extend_from_slice(samples);
        }
    }
}
