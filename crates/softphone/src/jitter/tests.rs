use std::time::Duration;

use super::sim::{run, run_with_pull_period, Network, Out, SplitMix64};
use super::*;

const MS: fn(u64) -> Duration = Duration::from_millis;

fn packet(seq: u16, ts: u32, id: u8) -> RtpPacket {
    RtpPacket {
        sequence: seq,
        timestamp: ts,
        payload: vec![id],
    }
}

fn assert_strictly_increasing(ids: &[u32]) {
    for pair in ids.windows(2) {
        assert!(pair[0] < pair[1], "played out of order or twice: {pair:?}");
    }
}

#[test]
fn clean_network_plays_every_frame_in_order_at_minimum_delay() {
    let r = run(500, 1, 1_000, 5_000, |_| Network::CLEAN);
    assert_eq!(r.played(), (0..500).collect::<Vec<_>>());
    // From the first frame to the last, nothing but frames: no gap, no underrun.
    let first = r.outputs.iter().position(|o| *o == Out::Played(0)).unwrap();
    let last = r
        .outputs
        .iter()
        .position(|o| *o == Out::Played(499))
        .unwrap();
    assert_eq!(last - first, 499);
    assert!(first <= 3, "lead-in of {first} pulls");
    assert_eq!(r.buffer.target_delay(), MS(20));
}

#[test]
fn reordered_and_duplicated_packets_play_once_and_in_order() {
    let net = Network {
        base_ms: 30.0,
        jitter_ms: 60.0,
        loss: 0.0,
        duplicate: 0.1,
    };
    let r = run(1_500, 7, 0, 0, |_| net);
    let played = r.played();
    assert_strictly_increasing(&played);
    let stats = r.buffer.stats();
    assert!(stats.duplicates > 100, "{stats:?}");
    // With 60 ms of jitter packets arrive out of order constantly; almost all must still play.
    assert!(
        played.len() >= 1_500 * 97 / 100,
        "{} of 1500 played, {stats:?}",
        played.len()
    );
    assert!(
        r.buffer.target_delay() >= MS(60),
        "{:?}",
        r.buffer.target_delay()
    );
}

#[test]
fn lost_packets_become_gaps_with_fec_from_the_next_packet() {
    let net = Network {
        base_ms: 20.0,
        jitter_ms: 10.0,
        loss: 0.1,
        duplicate: 0.0,
    };
    let r = run(2_000, 11, 40_000, 1, |_| net);
    let stats = r.buffer.stats();
    assert!(!r.dropped.is_empty());
    // Every dropped frame is reported as lost (none silently skipped or played).
    let played = r.played();
    for id in &r.dropped {
        assert!(!played.contains(id));
    }
    assert!(
        stats.lost as usize >= r.dropped.len() * 9 / 10,
        "{stats:?} vs {} dropped",
        r.dropped.len()
    );
    // A FEC packet offered for a gap is the very packet that plays next.
    let mut fec_checked = 0;
    for w in r.outputs.windows(2) {
        if let [Out::Conceal {
            reason: ConcealReason::Lost,
            fec: Some(f),
        }, next] = w
        {
            assert_eq!(next, &Out::Played(*f));
            fec_checked += 1;
        }
    }
    assert!(fec_checked > 100, "{fec_checked}");
    assert_strictly_increasing(&played);
}

#[test]
fn target_delay_follows_jitter_up_and_back_down_within_bounds() {
    // 20 s clean, 20 s with 100 ms jitter, 20 s clean again.
    let jittery = |i: u32| (1_000..2_000).contains(&i);
    let r = run(3_000, 3, 9, 9, |i| Network {
        jitter_ms: if jittery(i) { 100.0 } else { 0.0 },
        ..Network::CLEAN
    });
    assert_eq!(r.targets[990], MS(20));
    let jittery_target = r.targets[1_990];
    assert!(
        jittery_target >= MS(100) && jittery_target <= MS(200),
        "{jittery_target:?}"
    );
    assert_eq!(r.targets[2_990], MS(20), "target comes back down");

    // After adapting (the second half of the jittery period), few packets come too late.
    let played_late_half = r
        .played()
        .iter()
        .filter(|id| (1_500..2_000).contains(*id))
        .count();
    assert!(
        played_late_half >= 500 * 95 / 100,
        "{played_late_half} of 500"
    );

    // Once the network is clean again the extra delay is shed (frames skipped, buffer small).
    assert!(r.buffer.stats().skipped > 0);
    let tail_gaps = r.outputs[2_900..3_000]
        .iter()
        .filter(|o| !matches!(o, Out::Played(_)))
        .count();
    assert_eq!(tail_gaps, 0);
}

#[test]
fn extreme_jitter_is_capped_at_the_maximum_delay() {
    let r = run(1_000, 5, 0, 0, |_| Network {
        jitter_ms: 1_000.0,
        ..Network::CLEAN
    });
    assert!(r.targets.iter().all(|t| *t <= MS(200) && *t >= MS(20)));
    assert_eq!(r.buffer.target_delay(), MS(200));
    assert_strictly_increasing(&r.played());
}

#[test]
fn sequence_and_timestamp_wraparound_is_seamless() {
    let first_ts = u32::MAX - 960 * 100 + 1;
    let r = run(600, 2, 65_400, first_ts, |_| Network::CLEAN);
    assert_eq!(r.played(), (0..600).collect::<Vec<_>>());
    assert_eq!(r.buffer.stats().resyncs, 0);
}

#[test]
fn a_packet_after_its_gap_was_concealed_is_late_and_a_replayed_one_is_a_duplicate() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let t = |ms| MonoTime::from_millis(ms);
    assert_eq!(jb.push(packet(10, 0, 0), t(0)), PushOutcome::Buffered);
    assert_eq!(
        jb.next_frame(),
        Playout::Frame {
            payload: vec![0],
            timestamp: 0
        }
    );
    // Frame 1 is missing, 2 is here: conceal with FEC from 2.
    jb.push(packet(12, 1_920, 2), t(40));
    assert_eq!(
        jb.next_frame(),
        Playout::Conceal {
            reason: ConcealReason::Lost,
            fec: Some(vec![2])
        }
    );
    assert_eq!(jb.push(packet(11, 960, 1), t(45)), PushOutcome::Late);
    assert_eq!(jb.push(packet(10, 0, 0), t(46)), PushOutcome::Duplicate);
    assert_eq!(jb.push(packet(12, 1_920, 2), t(47)), PushOutcome::Duplicate);
    assert_eq!(
        jb.next_frame(),
        Playout::Frame {
            payload: vec![2],
            timestamp: 1_920
        }
    );
    let stats = jb.stats();
    assert_eq!(
        (stats.late, stats.duplicates, stats.lost, stats.played),
        (1, 2, 1, 2)
    );
}

#[test]
fn underrun_waits_instead_of_skipping_then_rebuffers_after_a_long_outage() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    jb.push(packet(0, 0, 0), MonoTime::from_millis(0));
    assert!(matches!(jb.next_frame(), Playout::Frame { .. }));
    // Nothing arrives: concealment, and the cursor waits for frame 1.
    assert_eq!(
        jb.next_frame(),
        Playout::Conceal {
            reason: ConcealReason::Underrun,
            fec: None
        }
    );
    assert_eq!(
        jb.push(packet(1, 960, 1), MonoTime::from_millis(45)),
        PushOutcome::Buffered
    );
    assert_eq!(
        jb.next_frame(),
        Playout::Frame {
            payload: vec![1],
            timestamp: 960
        }
    );
    for _ in 0..10 {
        assert!(matches!(
            jb.next_frame(),
            Playout::Conceal {
                reason: ConcealReason::Underrun,
                ..
            }
        ));
    }
    // Ten underruns in a row: back to buffering, silence until the target is met.
    assert_eq!(jb.next_frame(), Playout::Silence);
    // The outage looks like jitter: the target rose, so playout restarts only once that much
    // audio is buffered, and then from the oldest buffered frame.
    let mut seq = 2u16;
    let outcome = loop {
        jb.push(
            packet(seq, 960 * u32::from(seq), seq as u8),
            MonoTime::from_millis(400),
        );
        let enough = jb.buffered() >= jb.target_delay();
        let out = jb.next_frame();
        if enough {
            break out;
        }
        assert_eq!(out, Playout::Silence);
        seq += 1;
    };
    assert!(jb.target_delay() > MS(20));
    assert_eq!(
        outcome,
        Playout::Frame {
            payload: vec![2],
            timestamp: 1_920
        }
    );
}

#[test]
fn discontinuous_transmission_is_concealed_but_not_counted_as_loss() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    jb.push(packet(5, 0, 0), MonoTime::from_millis(0));
    assert!(matches!(jb.next_frame(), Playout::Frame { .. }));
    // Next packet has the next sequence number but 3 frames later in time.
    jb.push(packet(6, 960 * 3, 1), MonoTime::from_millis(60));
    for _ in 0..2 {
        assert_eq!(
            jb.next_frame(),
            Playout::Conceal {
                reason: ConcealReason::NotSent,
                fec: None
            }
        );
    }
    assert_eq!(
        jb.next_frame(),
        Playout::Frame {
            payload: vec![1],
            timestamp: 2_880
        }
    );
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn a_timestamp_jump_restarts_the_stream() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    jb.push(packet(0, 0, 0), MonoTime::from_millis(0));
    assert!(matches!(jb.next_frame(), Playout::Frame { .. }));
    let far = 48_000 * 30;
    assert_eq!(
        jb.push(packet(30_000, far, 9), MonoTime::from_millis(20)),
        PushOutcome::Resynced
    );
    assert_eq!(
        jb.next_frame(),
        Playout::Frame {
            payload: vec![9],
            timestamp: far
        }
    );
    assert_eq!(jb.stats().resyncs, 1);
}

#[test]
fn random_garbage_never_panics_and_memory_stays_bounded() {
    let mut rng = SplitMix64::new(99);
    let config = JitterConfig::default();
    let capacity = config.capacity_packets;
    let mut jb = JitterBuffer::new(config);
    for i in 0..20_000u64 {
        let p = RtpPacket {
            sequence: rng.next_u64() as u16,
            timestamp: if rng.chance(0.5) {
                rng.next_u64() as u32
            } else {
                (i * 960) as u32
            },
            payload: vec![0; (rng.next_u64() % 8) as usize],
        };
        jb.push(p, MonoTime::from_millis(rng.next_u64() % 1_000_000));
        if rng.chance(0.5) {
            let _ = jb.next_frame();
        }
        assert!(jb.packet_count() <= capacity);
        assert!(jb.target_delay() <= MS(200));
    }
}

#[test]
fn a_playout_clock_running_fast_is_absorbed_by_occasional_concealment() {
    // The device pulls 0.5 % faster than the sender sends: one frame short every 200 frames.
    let r = run_with_pull_period(3_000, 21, 0, 0, 19_900, |_| Network::CLEAN);
    let stats = r.buffer.stats();
    let played = r.played();
    assert_strictly_increasing(&played);
    assert_eq!(
        played.len(),
        3_000,
        "nothing dropped when the device is fast: {stats:?}"
    );
    // About 15 frames' worth of waiting (0.5 % of 3000), never a long outage.
    assert!(stats.underruns >= 5 && stats.underruns <= 40, "{stats:?}");
    assert!(r.targets.iter().all(|t| *t <= MS(200)));
}

#[test]
fn a_playout_clock_running_slow_is_absorbed_by_occasional_skips_and_delay_stays_bounded() {
    // The device pulls 0.5 % slower: without skips the delay would grow by 300 ms over a minute.
    let frames = 3_000;
    let r = run_with_pull_period(frames, 22, 0, 0, 20_100, |_| Network::CLEAN);
    let stats = r.buffer.stats();
    assert_strictly_increasing(&r.played());
    assert!(stats.skipped >= 5, "{stats:?}");
    // Over the last 20 s of sending the buffered audio stays near the target, not ~300 ms.
    let end = frames as usize - 10;
    let worst = r.levels[end - 1_000..end].iter().max().copied().unwrap();
    assert!(worst <= MS(100), "buffered up to {worst:?}");
    assert!(stats.played >= u64::from(frames) * 98 / 100, "{stats:?}");
}

/// Five simulated minutes with the far end's clock `fraction` off and the output side
/// resampling at the buffer's playback speed.
fn drifting(fraction: f64, seed: u64, net: Network) -> sim::Run {
    sim::simulate(
        sim::Clocks::far_end_off(fraction),
        15_000,
        seed,
        100,
        5_000,
        |_| net,
    )
}

/// Frames concealed or silent between the first frame played and the end of sending.
fn gaps_after_start(r: &sim::Run) -> usize {
    let first = r
        .outputs
        .iter()
        .position(|o| matches!(o, Out::Played(_)))
        .unwrap();
    r.outputs[first..14_900]
        .iter()
        .filter(|o| !matches!(o, Out::Played(_)))
        .count()
}

/// After the first minute: every frame played, in order, none skipped or concealed.
fn assert_absorbed_without_skips_or_concealment(r: &sim::Run, what: &str) {
    // The last pulls outlive the sender; leave them out.
    let window = &r.outputs[3_000..14_900];
    let played: Vec<u32> = window
        .iter()
        .filter_map(|o| match o {
            Out::Played(id) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(
        played.len(),
        window.len(),
        "{what}: concealed or silent after convergence: {:?}",
        window
            .iter()
            .filter(|o| !matches!(o, Out::Played(_)))
            .count()
    );
    assert!(
        played.windows(2).all(|w| w[1] == w[0] + 1),
        "{what}: a frame was skipped after convergence"
    );
}

#[test]
fn far_end_clock_drift_is_absorbed_by_resampling_not_by_skips_or_concealment() {
    for fraction in [0.002, -0.002, 0.003, -0.003, 0.001, -0.001] {
        let what = format!("far end {:+.1} %", fraction * 100.0);
        let r = drifting(fraction, 31, Network::CLEAN);
        assert_absorbed_without_skips_or_concealment(&r, &what);
        let stats = r.buffer.stats();
        // Over the whole call, not just after convergence: no skip, at most a start-up underrun.
        assert_eq!(stats.skipped, 0, "{what}: {stats:?}");
        assert!(gaps_after_start(&r) <= 1, "{what}: {stats:?}");
        // The speed followed the drift, within its bounds.
        let learnt = r.buffer.learnt_drift();
        assert!(
            (learnt - fraction).abs() < 0.000_5,
            "{what}: learnt {learnt}"
        );
        assert!(r.speeds.iter().all(|s| (0.995..=1.005).contains(s)));
        // The delay stays at the zero-jitter target: one to two frames buffered after a pull.
        let end = &r.levels[3_000..14_900];
        let (lo, hi) = (end.iter().min().unwrap(), end.iter().max().unwrap());
        assert!(*lo >= MS(0) && *hi <= MS(40), "{what}: {lo:?} .. {hi:?}");
        assert!(
            r.targets[3_000..14_900].iter().all(|t| *t == MS(20)),
            "{what}: target {:?}",
            r.targets[14_899]
        );
    }
}

#[test]
fn drift_is_absorbed_under_network_jitter_too() {
    let net = Network {
        base_ms: 40.0,
        jitter_ms: 15.0,
        loss: 0.0,
        duplicate: 0.0,
    };
    for fraction in [0.002, -0.002] {
        let what = format!("far end {:+.1} % with 15 ms jitter", fraction * 100.0);
        let r = drifting(fraction, 32, net);
        let stats = r.buffer.stats();
        assert_eq!(stats.skipped, 0, "{what}: {stats:?}");
        // Jitter can still make a packet miss its slot; drift must not add more.
        assert!(gaps_after_start(&r) <= 3, "{what}: {stats:?}");
        assert!(stats.late <= 3, "{what}: {stats:?}");
        let learnt = r.buffer.learnt_drift();
        assert!(
            (learnt - fraction).abs() < 0.000_5,
            "{what}: learnt {learnt}"
        );
        let worst = r.levels[3_000..14_900].iter().max().copied().unwrap();
        assert!(
            worst <= r.buffer.target_delay() + MS(40),
            "{what}: buffered up to {worst:?}, target {:?}",
            r.buffer.target_delay()
        );
    }
}
