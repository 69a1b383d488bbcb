//! Adaptive jitter buffer for Opus over RTP: a pure core over injected arrival times.
//!
//! Packets go in as they arrive ([`JitterBuffer::push`]), in any order, with duplicates and late
//! stragglers; frames come out in timestamp order when the playout side asks
//! ([`JitterBuffer::next_frame`], once per 20 ms frame — the decoder stage in
//! `codec::Playout` turns that into 10 ms pulls). Each call says what to play:
//! a packet to decode, a gap to conceal (Opus PLC, or FEC from the following packet when it is
//! already here), or silence while buffering.
//!
//! Invariants:
//! - Frames come out in strictly increasing timestamp order; nothing is played twice.
//! - A packet older than the playout cursor is never buffered (counted as late or duplicate).
//! - Memory is bounded: at most `capacity_packets` packets are held.
//! - The playout delay is kept near a target that follows the measured delay variation (95th
//!   percentile spread of transit times, clock drift taken out, plus one frame, in 10 ms steps
//!   after 2 ms of slack for scheduling noise), clamped to `[min_delay, max_delay]`:
//!   underruns grow the delay (the cursor waits instead of skipping), and a smoothed buffer level
//!   well above target shrinks it by dropping one frame at a time, rate-limited.
//! - Clock drift between the far end and the output device is absorbed by resampling, not by
//!   skipping or concealing: on every 10 ms pull ([`JitterBuffer::observe_output`]), a
//!   [`DriftController`] turns how long the newest packet will have been buffered, against the
//!   target delay plus half a frame, into a playback speed within ±0.5 %
//!   ([`JitterBuffer::playback_speed`]) that the output side's resampler applies. Skips and
//!   underruns remain for what resampling cannot absorb (target changes, outages).
//! - Nothing here panics on packet contents: wrapping counters are unwrapped, absurd jumps resync.

mod delay;
mod drift;
mod played;
#[cfg(test)]
pub(crate) mod sim;
#[cfg(test)]
mod tests;
mod unwrap;

use std::collections::BTreeMap;
use std::time::Duration;

pub use delay::DelayEstimator;
pub use drift::{DriftConfig, DriftController};
pub use unwrap::{SequenceUnwrapper, TimestampUnwrapper, Unwrapper};

use crate::clock::MonoTime;
use crate::rtp::{RtpPacket, FRAME_TICKS, OPUS_CLOCK_RATE};
use played::PlayedWindow;

/// The target delay moves in steps of this much: the output side pulls 10 ms at a time.
pub const TARGET_STEP: Duration = Duration::from_millis(10);
/// Delay variation this small is scheduling noise, not jitter worth a step of delay (the frame
/// in hand already covers it).
pub const TARGET_SLACK: Duration = Duration::from_millis(2);

/// Tuning of a [`JitterBuffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitterConfig {
    /// Lowest target delay (at least one frame).
    pub min_delay: Duration,
    /// Highest target delay, whatever the network does.
    pub max_delay: Duration,
    /// RTP ticks per frame (960 for 20 ms at 48 kHz).
    pub frame_ticks: u32,
    /// RTP clock rate (48 000 for Opus).
    pub clock_rate: u32,
    /// How many recent packets the delay estimate looks at.
    pub history_packets: usize,
    /// Consecutive underruns after which playout stops and buffers again.
    pub rebuffer_after_underruns: u32,
    /// Fewest frames between two delay reductions (each drops one frame).
    pub shrink_interval_frames: u32,
    /// A timestamp this far from the playout position means the stream restarted: start over.
    pub resync_gap: Duration,
    /// Most packets held at once; the oldest go first beyond it.
    pub capacity_packets: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            min_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            frame_ticks: FRAME_TICKS,
            clock_rate: OPUS_CLOCK_RATE,
            history_packets: 250,
            rebuffer_after_underruns: 10,
            shrink_interval_frames: 10,
            resync_gap: Duration::from_millis(1_000),
            capacity_packets: 100,
        }
    }
}

/// What the decoder should produce for the next frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// Decode this packet.
    Frame { payload: Vec<u8>, timestamp: u32 },
    /// No packet for this frame: conceal it. When `fec` is set it is the *following* packet,
    /// whose in-band FEC rebuilds this frame (decode it with `fec = true`); otherwise run PLC.
    Conceal {
        reason: ConcealReason,
        fec: Option<Vec<u8>>,
    },
    /// Nothing to play yet (buffering at start or after a long underrun): play silence.
    Silence,
}

/// Why a frame is concealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcealReason {
    /// The packet was lost (later packets are here, this one is not).
    Lost,
    /// The sender sent no packet (discontinuous transmission): sequence numbers are consecutive
    /// but the timestamp jumped.
    NotSent,
    /// The buffer ran dry; the playout cursor waits, so the delay grows by one frame.
    Underrun,
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    Buffered,
    /// Already buffered or already played: dropped.
    Duplicate,
    /// Its playout time has passed: dropped.
    Late,
    /// The timestamp jumped too far from the playout position: buffer emptied, started over.
    Resynced,
}

/// Counters for quality reports and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    pub received: u64,
    pub duplicates: u64,
    pub late: u64,
    pub played: u64,
    pub lost: u64,
    pub fec_available: u64,
    pub underruns: u64,
    pub skipped: u64,
    pub resyncs: u64,
    pub overflow_dropped: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    seq: i64,
    timestamp: u32,
    payload: Vec<u8>,
}

/// See the module documentation.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    seq_unwrapper: SequenceUnwrapper,
    ts_unwrapper: TimestampUnwrapper,
    /// Keyed by extended timestamp.
    packets: BTreeMap<i64, Entry>,
    /// Extended timestamp of the next frame to play, once playout has started.
    cursor: Option<i64>,
    playing: bool,
    last_played_seq: Option<i64>,
    played: PlayedWindow,
    delay: DelayEstimator,
    target: Duration,
    /// Exponentially smoothed buffer level, in ticks.
    smoothed_level: f64,
    consecutive_underruns: u32,
    frames_since_shrink: u32,
    /// The last frame was concealed: the next packet may have just given its FEC, so it is
    /// played, not skipped.
    concealed_last: bool,
    /// When the newest buffered packet (highest timestamp) arrived.
    newest_arrival: Option<MonoTime>,
    drift: DriftController,
    stats: JitterStats,
}

impl JitterBuffer {
    pub fn new(mut config: JitterConfig) -> Self {
        config.frame_ticks = config.frame_ticks.max(1);
        config.clock_rate = config.clock_rate.max(1);
        config.capacity_packets = config.capacity_packets.max(2);
        let frame = ticks_to_duration(i64::from(config.frame_ticks), config.clock_rate);
        config.min_delay = config.min_delay.max(frame);
        config.max_delay = config.max_delay.max(config.min_delay);
        JitterBuffer {
            delay: DelayEstimator::new(config.clock_rate, config.history_packets),
            target: config.min_delay,
            config,
            seq_unwrapper: SequenceUnwrapper::new(),
            ts_unwrapper: TimestampUnwrapper::new(),
            packets: BTreeMap::new(),
            cursor: None,
            playing: false,
            last_played_seq: None,
            played: PlayedWindow::default(),
            smoothed_level: 0.0,
            consecutive_underruns: 0,
            frames_since_shrink: 0,
            concealed_last: false,
            newest_arrival: None,
            drift: DriftController::new(DriftConfig::default()),
            stats: JitterStats::default(),
        }
    }

    /// The delay the buffer currently aims for.
    pub fn target_delay(&self) -> Duration {
        self.target
    }

    /// How fast the output side should consume playout to hold the buffer level against clock
    /// drift: 1.0 nominal, > 1 faster (the far end's clock is fast), within ±0.5 %. Apply it
    /// to the playback resampler; changes slowly (at most 0.005 % per frame).
    pub fn playback_speed(&self) -> f64 {
        self.drift.speed()
    }

    /// The drift between the far end's clock and the playout's learnt so far (+0.002: the far
    /// end runs 0.2 % fast), for diagnostics.
    pub fn learnt_drift(&self) -> f64 {
        self.drift.learnt_drift()
    }

    /// The output side's report after each pull (every 10 ms), at `now` on the clock that
    /// stamped the arrivals: `unplayed` is what is left of the frame being played. How long the
    /// newest packet will have spent here by the time it has played — its age plus the audio
    /// ahead of the output — is continuous in the device's phase (no frame-sized steps), and
    /// the drift controller holds it at the target delay plus half a frame: at zero jitter a
    /// packet then starts playing about a frame after it arrived, a frame away from an
    /// underrun. Ignored while buffering or underrunning.
    pub fn observe_output(&mut self, unplayed: Duration, now: MonoTime) {
        if !self.playing || self.consecutive_underruns > 0 {
            return;
        }
        let Some(arrived) = self.newest_arrival else {
            return;
        };
        let residence = self.buffered() + unplayed + now.saturating_since(arrived);
        let frame = ticks_to_duration(i64::from(self.config.frame_ticks), self.config.clock_rate);
        self.drift.update(residence, self.target + frame / 2);
    }

    /// Audio buffered ahead of the playout position (gaps included).
    pub fn buffered(&self) -> Duration {
        ticks_to_duration(self.level_ticks(), self.config.clock_rate)
    }

    /// RFC 3550 interarrival jitter, for quality reports.
    pub fn interarrival_jitter(&self) -> Duration {
        self.delay.interarrival_jitter()
    }

    /// Packets held right now (bounded by `capacity_packets`).
    pub fn packet_count(&self) -> usize {
        self.packets.len()
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Takes in a packet that arrived at `arrival`.
    pub fn push(&mut self, packet: RtpPacket, arrival: MonoTime) -> PushOutcome {
        self.stats.received += 1;
        let mut seq = self.seq_unwrapper.unwrap(u32::from(packet.sequence));
        let mut ts = self.ts_unwrapper.unwrap(packet.timestamp);
        let resync_ticks = duration_to_ticks(self.config.resync_gap, self.config.clock_rate);

        let mut outcome = PushOutcome::Buffered;
        if let Some(reference) = self.cursor.or_else(|| self.first_ts()) {
            if ts.abs_diff(reference) > resync_ticks.unsigned_abs() {
                self.restart();
                seq = self.seq_unwrapper.unwrap(u32::from(packet.sequence));
                ts = self.ts_unwrapper.unwrap(packet.timestamp);
                outcome = PushOutcome::Resynced;
            } else if self.cursor.is_some_and(|cursor| ts < cursor) {
                return if self.played.contains(seq) {
                    self.stats.duplicates += 1;
                    PushOutcome::Duplicate
                } else {
                    self.stats.late += 1;
                    PushOutcome::Late
                };
            }
        }
        if self.packets.contains_key(&ts) {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }

        self.delay.observe(arrival, ts);
        self.target = self.compute_target();
        self.packets.insert(
            ts,
            Entry {
                seq,
                timestamp: packet.timestamp,
                payload: packet.payload,
            },
        );
        if self
            .packets
            .last_key_value()
            .is_some_and(|(&last, _)| last == ts)
        {
            self.newest_arrival = Some(arrival);
        }
        while self.packets.len() > self.config.capacity_packets {
            if let Some((oldest, _)) = self.packets.pop_first() {
                self.stats.overflow_dropped += 1;
                let frame = i64::from(self.config.frame_ticks);
                self.cursor = self.cursor.map(|c| c.max(oldest + frame));
            }
        }
        outcome
    }

    /// Decides the next 20 ms frame of playout. Call once per frame, paced by the output device.
    pub fn next_frame(&mut self) -> Playout {
        let next = self.decide_next_frame();
        self.concealed_last = matches!(next, Playout::Conceal { .. });
        next
    }

    fn decide_next_frame(&mut self) -> Playout {
        let frame = i64::from(self.config.frame_ticks);
        if !self.playing {
            let target = duration_to_ticks(self.target, self.config.clock_rate);
            match self.first_ts() {
                Some(first) if self.span_from(first) >= target => {
                    self.playing = true;
                    self.cursor = Some(first);
                    self.smoothed_level = self.span_from(first) as f64;
                    self.consecutive_underruns = 0;
                    self.frames_since_shrink = 0;
                }
                _ => {
                    self.drift.hold();
                    return Playout::Silence;
                }
            }
        }
        let Some(mut cursor) = self.cursor else {
            // Unreachable by construction (playing implies a cursor); recover by buffering.
            self.playing = false;
            return Playout::Silence;
        };

        if self.packets.is_empty() {
            self.stats.underruns += 1;
            self.consecutive_underruns += 1;
            if self.consecutive_underruns >= self.config.rebuffer_after_underruns {
                self.playing = false;
            }
            self.smoothed_level *= 15.0 / 16.0;
            self.drift.hold();
            return Playout::Conceal {
                reason: ConcealReason::Underrun,
                fec: None,
            };
        }
        self.consecutive_underruns = 0;

        let level = self.level_ticks();
        self.smoothed_level += (level as f64 - self.smoothed_level) / 16.0;
        self.frames_since_shrink = self.frames_since_shrink.saturating_add(1);
        let target = duration_to_ticks(self.target, self.config.clock_rate);
        if self.smoothed_level > (target + 2 * frame) as f64
            && level > target + frame
            && self.frames_since_shrink >= self.config.shrink_interval_frames
            && !self.concealed_last
        {
            // Too much delay: drop the frame at the cursor (it counts as played).
            if let Some((_, entry)) = self.take_frame_at(cursor) {
                self.played.mark(entry.seq);
                self.last_played_seq = Some(entry.seq);
            }
            cursor += frame;
            self.cursor = Some(cursor);
            self.stats.skipped += 1;
            self.frames_since_shrink = 0;
            self.smoothed_level -= frame as f64;
        }

        if let Some((entry_ts, entry)) = self.take_frame_at(cursor) {
            self.cursor = Some(entry_ts.max(cursor) + frame);
            self.played.mark(entry.seq);
            self.last_played_seq = Some(entry.seq);
            self.stats.played += 1;
            return Playout::Frame {
                payload: entry.payload,
                timestamp: entry.timestamp,
            };
        }

        // A gap: later packets are here, this one is not.
        self.cursor = Some(cursor + frame);
        let next = self.packets.first_key_value().map(|(_, e)| e.seq);
        let not_sent = matches!((self.last_played_seq, next), (Some(p), Some(n)) if n == p + 1);
        if not_sent {
            return Playout::Conceal {
                reason: ConcealReason::NotSent,
                fec: None,
            };
        }
        self.stats.lost += 1;
        let fec = self
            .packets
            .get(&(cursor + frame))
            .map(|e| e.payload.clone());
        if fec.is_some() {
            self.stats.fec_available += 1;
        }
        Playout::Conceal {
            reason: ConcealReason::Lost,
            fec,
        }
    }

    /// Removes and returns the packet that covers the frame at `cursor`, if it is here.
    fn take_frame_at(&mut self, cursor: i64) -> Option<(i64, Entry)> {
        let frame = i64::from(self.config.frame_ticks);
        let (&first, _) = self.packets.first_key_value()?;
        if first < cursor + frame {
            self.packets.pop_first()
        } else {
            None
        }
    }

    fn first_ts(&self) -> Option<i64> {
        self.packets.first_key_value().map(|(&k, _)| k)
    }

    /// Ticks from `start` to the end of the newest buffered frame.
    fn span_from(&self, start: i64) -> i64 {
        match self.packets.last_key_value() {
            Some((&last, _)) => (last + i64::from(self.config.frame_ticks) - start).max(0),
            None => 0,
        }
    }

    fn level_ticks(&self) -> i64 {
        match (self.playing, self.cursor, self.first_ts()) {
            (true, Some(cursor), _) => self.span_from(cursor),
            (_, _, Some(first)) => self.span_from(first),
            _ => 0,
        }
    }

    /// Measured delay variation plus one frame, in [`TARGET_STEP`]s (the output pulls 10 ms at
    /// a time), ignoring [`TARGET_SLACK`] of it, within `[min_delay, max_delay]`.
    fn compute_target(&mut self) -> Duration {
        let frame = ticks_to_duration(i64::from(self.config.frame_ticks), self.config.clock_rate);
        let wanted = (self.delay.spread() + frame).saturating_sub(TARGET_SLACK);
        let steps = wanted.as_micros().div_ceil(TARGET_STEP.as_micros());
        let stepped = TARGET_STEP.saturating_mul(u32::try_from(steps).unwrap_or(u32::MAX));
        stepped.clamp(self.config.min_delay, self.config.max_delay)
    }

    fn restart(&mut self) {
        self.packets.clear();
        self.cursor = None;
        self.playing = false;
        self.last_played_seq = None;
        self.played.clear();
        self.delay.reset();
        self.seq_unwrapper = SequenceUnwrapper::new();
        self.ts_unwrapper = TimestampUnwrapper::new();
        self.target = self.config.min_delay;
        self.newest_arrival = None;
        self.drift.reset();
        self.stats.resyncs += 1;
    }
}

fn ticks_to_duration(ticks: i64, clock_rate: u32) -> Duration {
    let micros = i128::from(ticks.max(0)) * 1_000_000 / i128::from(clock_rate.max(1));
    Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
}

fn duration_to_ticks(d: Duration, clock_rate: u32) -> i64 {
    let ticks = d.as_micros() * u128::from(clock_rate) / 1_000_000;
    i64::try_from(ticks).unwrap_or(i64::MAX)
}
