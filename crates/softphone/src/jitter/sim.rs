//! A deterministic simulated network for the jitter buffer tests.
//!
//! A sender emits one 20 ms packet per frame; the network delays each by `base + uniform(0,
//! jitter)`, drops some and duplicates some, all from a seeded RNG so every run is the same. A
//! receiver pulls one frame every 20 ms of simulated time, pushing everything that has arrived.

use std::time::Duration;

use super::{ConcealReason, JitterBuffer, JitterConfig, Playout};
use crate::clock::MonoTime;
use crate::rtp::RtpPacket;

/// SplitMix64: tiny, seeded, good enough for test traffic.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Network {
    pub base_ms: f64,
    pub jitter_ms: f64,
    pub loss: f64,
    pub duplicate: f64,
}

impl Network {
    pub const CLEAN: Network = Network {
        base_ms: 40.0,
        jitter_ms: 0.0,
        loss: 0.0,
        duplicate: 0.0,
    };
}

/// What one pull produced, with the frame id (sender's frame index) where there is one.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Played(u32),
    Conceal {
        reason: ConcealReason,
        fec: Option<u32>,
    },
    Silence,
}

pub struct Run {
    pub outputs: Vec<Out>,
    /// Target delay after each pull.
    pub targets: Vec<Duration>,
    /// Buffered audio after each pull.
    pub levels: Vec<Duration>,
    /// Playback speed applied after each pull (1.0 when not resampling).
    pub speeds: Vec<f64>,
    /// Frame ids the network dropped.
    pub dropped: Vec<u32>,
    pub buffer: JitterBuffer,
}

impl Run {
    pub fn played(&self) -> Vec<u32> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Out::Played(id) => Some(*id),
                _ => None,
            })
            .collect()
    }
}

fn id_of(payload: &[u8]) -> u32 {
    let bytes: [u8; 4] = payload.try_into().expect("simulated payloads are 4 bytes");
    u32::from_be_bytes(bytes)
}

/// Sends `frames` frames through `network(frame_index)`, pulling for `frames + 50` frame times.
pub fn run(
    frames: u32,
    seed: u64,
    first_seq: u16,
    first_ts: u32,
    network: impl Fn(u32) -> Network,
) -> Run {
    run_with_pull_period(frames, seed, first_seq, first_ts, 20_000, network)
}

/// Like [`run`], but the receiver pulls every `pull_period_us` of the sender's time: a period
/// other than 20 000 µs is a playout device whose clock drifts against the sender's. The
/// buffer's playback speed is not applied (no resampler).
pub fn run_with_pull_period(
    frames: u32,
    seed: u64,
    first_seq: u16,
    first_ts: u32,
    pull_period_us: u64,
    network: impl Fn(u32) -> Network,
) -> Run {
    simulate(
        Clocks {
            send_period_us: 20_000.0,
            pull_period_us: pull_period_us as f64,
            resample: false,
        },
        frames,
        seed,
        first_seq,
        first_ts,
        network,
    )
}

/// The far end's and the device's clocks, and whether the output side resamples at the
/// buffer's [`JitterBuffer::playback_speed`].
#[derive(Debug, Clone, Copy)]
pub struct Clocks {
    /// Real time between two frames sent (20 000 µs / (1 + far end's clock error)).
    pub send_period_us: f64,
    /// Real time between two 20 ms frames pulled at nominal speed.
    pub pull_period_us: f64,
    /// Apply the playback speed: a pull covers `pull_period_us × speed` of device time less.
    pub resample: bool,
}

impl Clocks {
    /// The far end's clock runs `fraction` fast (negative: slow), the device's is exact, and
    /// the output side resamples.
    pub fn far_end_off(fraction: f64) -> Clocks {
        Clocks {
            send_period_us: 20_000.0 / (1.0 + fraction),
            pull_period_us: 20_000.0,
            resample: true,
        }
    }
}

/// Sends `frames` frames through `network(frame_index)` on the given clocks, pulling for
/// `frames + 50` frames.
pub fn simulate(
    clocks: Clocks,
    frames: u32,
    seed: u64,
    first_seq: u16,
    first_ts: u32,
    network: impl Fn(u32) -> Network,
) -> Run {
    let mut rng = SplitMix64::new(seed);
    let mut arrivals: Vec<(u64, RtpPacket)> = Vec::new(); // (arrival µs, packet)
    let mut dropped = Vec::new();
    for i in 0..frames {
        let net = network(i);
        let packet = RtpPacket {
            sequence: first_seq.wrapping_add(i as u16),
            timestamp: first_ts.wrapping_add(960 * i),
            payload: i.to_be_bytes().to_vec(),
        };
        let sent_us = (f64::from(i) * clocks.send_period_us) as u64;
        if rng.chance(net.loss) {
            dropped.push(i);
            continue;
        }
        let copies = if rng.chance(net.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            let delay_ms = net.base_ms + net.jitter_ms * rng.unit();
            arrivals.push((sent_us + (delay_ms * 1000.0) as u64, packet.clone()));
        }
    }
    arrivals.sort_by_key(|(at, _)| *at);

    let mut buffer = JitterBuffer::new(JitterConfig::default());
    let mut outputs = Vec::new();
    let mut targets = Vec::new();
    let mut levels = Vec::new();
    let mut speeds = Vec::new();
    let mut next = arrivals.into_iter().peekable();
    // Pulls are offset from the send grid so arrival order vs pull order is not a tie.
    let mut now = 7_000.0f64;
    let mut arrive_until = |buffer: &mut JitterBuffer, now_us: u64| {
        while let Some((at, _)) = next.peek() {
            if *at > now_us {
                break;
            }
            if let Some((at, packet)) = next.next() {
                buffer.push(packet, MonoTime::ZERO + Duration::from_micros(at));
            }
        }
    };
    let at = |us: f64| MonoTime::ZERO + Duration::from_micros(us as u64);
    for _ in 0..u64::from(frames) + 50 {
        arrive_until(&mut buffer, now as u64);
        let out = match buffer.next_frame() {
            Playout::Frame { payload, .. } => Out::Played(id_of(&payload)),
            Playout::Conceal { reason, fec } => Out::Conceal {
                reason,
                fec: fec.as_deref().map(id_of),
            },
            Playout::Silence => Out::Silence,
        };
        outputs.push(out);
        targets.push(buffer.target_delay());
        levels.push(buffer.buffered());
        // The output pulls 10 ms at a time and reports where it is.
        buffer.observe_output(Duration::from_millis(10), at(now));
        let speed = if clocks.resample {
            buffer.playback_speed()
        } else {
            1.0
        };
        let half = now + clocks.pull_period_us / speed / 2.0;
        arrive_until(&mut buffer, half as u64);
        buffer.observe_output(Duration::ZERO, at(half));
        let speed = if clocks.resample {
            buffer.playback_speed()
        } else {
            1.0
        };
        speeds.push(speed);
        now += clocks.pull_period_us / speed;
    }
    Run {
        outputs,
        targets,
        levels,
        speeds,
        dropped,
        buffer,
    }
}
