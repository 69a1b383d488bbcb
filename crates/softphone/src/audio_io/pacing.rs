//! The playback half of the media task's tick: keep the device ring topped up from the playout.

use std::time::Duration;

use super::{AudioIoError, PlaybackWriter};
use crate::clock::MonoTime;
use crate::codec::Playout;
use crate::rtp::SAMPLES_10MS;

/// Pulls 10 ms at a time from `playout` into `writer` until at least `target` is queued for the
/// device. Returns how many 10 ms pulls were made.
///
/// Called on every media tick, this lets the output device's clock pace the jitter buffer: a
/// device that plays faster gets more pulls, a slower one fewer. At most `target / 10 ms + 1`
/// pulls are made per call, so a device that stopped draining cannot make it spin. This form
/// knows no time, so it does not correct drift; see [`top_up_at`].
pub fn top_up(
    playout: &mut Playout,
    writer: &mut PlaybackWriter,
    target: Duration,
) -> Result<usize, AudioIoError> {
    top_up_with(playout, writer, target, None)
}

/// [`top_up`] at `now` (on the clock that stamped the packets' arrivals): each pull reports the
/// output's position to the jitter buffer's drift control, and its playback speed goes to the
/// writer's resampler, so clock drift between the far end and the device is absorbed by
/// resampling, not by skipping or concealing frames.
pub fn top_up_at(
    playout: &mut Playout,
    writer: &mut PlaybackWriter,
    target: Duration,
    now: MonoTime,
) -> Result<usize, AudioIoError> {
    let pulls = top_up_with(playout, writer, target, Some(now))?;
    writer.set_playback_speed(playout.jitter().playback_speed())?;
    Ok(pulls)
}

fn top_up_with(
    playout: &mut Playout,
    writer: &mut PlaybackWriter,
    target: Duration,
    now: Option<MonoTime>,
) -> Result<usize, AudioIoError> {
    let limit = (target.as_millis() / 10) as usize + 1;
    let mut chunk = [0i16; SAMPLES_10MS];
    let mut pulls = 0;
    while pulls < limit && writer.queued() < target {
        match now {
            // The jitter buffer's margin is about when it is pulled, not when the device
            // plays the chunk (the ring in between is a constant delay top_up maintains).
            Some(now) => playout.pull_at(&mut chunk, now),
            None => playout.pull(&mut chunk),
        }
        writer.write(&chunk)?;
        pulls += 1;
    }
    Ok(pulls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{EncoderSettings, FrameEncoder, Packetizer};
    use crate::jitter::JitterConfig;
    use crate::rtp::SAMPLES_20MS;

    /// Counters that must not move once drift is absorbed.
    fn glitches(p: &Playout) -> (u64, u64, u64) {
        let s = p.stats();
        let j = p.jitter().stats();
        (
            s.concealed_with_plc + s.concealed_with_fec,
            j.skipped,
            j.underruns,
        )
    }

    /// The media tick's real pieces on simulated time: a far end whose clock is `fraction` off
    /// sends real Opus every 20 ms of its time (40 ms of network delay, no jitter); a device at
    /// exactly `device_rate` drains the ring every 10 ms; `top_up` keeps 40 ms queued and hands
    /// the jitter buffer's playback speed to the resampler. Returns the playout after
    /// `minutes`, its glitch counters after the first minute and the range of playback speeds
    /// after the first minute.
    fn call(
        fraction: f64,
        device_rate: u32,
        minutes: u64,
    ) -> (Playout, (u64, u64, u64), (f64, f64)) {
        let mut encoder = FrameEncoder::new(EncoderSettings::default()).unwrap();
        let payload = encoder.encode(&[0i16; SAMPLES_20MS]).unwrap().to_vec();
        let mut packetizer = Packetizer::new(9, 77);
        let mut playout = Playout::new(JitterConfig::default()).unwrap();
        let (mut writer, mut device) = PlaybackWriter::detached(device_rate).unwrap();
        let per_tick = device_rate as usize / 100;
        let send_period_us = 20_000.0 / (1.0 + fraction);
        let mut next_send_us = 0.0f64;
        let mut after_first_minute = (0, 0, 0);
        let mut speeds = (f64::MAX, f64::MIN);
        for tick in 0..minutes * 6_000 {
            let now_us = tick * 10_000;
            // Packets that have arrived by now.
            while next_send_us + 40_000.0 <= now_us as f64 {
                let arrival =
                    MonoTime::ZERO + Duration::from_micros((next_send_us + 40_000.0) as u64);
                playout.push(packetizer.packet(&payload), arrival);
                next_send_us += send_period_us;
            }
            // The device plays 10 ms, then the media tick tops the ring up.
            for _ in 0..per_tick {
                let _ = device.pop();
            }
            let now = MonoTime::ZERO + Duration::from_micros(now_us);
            top_up_at(&mut playout, &mut writer, Duration::from_millis(40), now).unwrap();
            if tick == 6_000 {
                after_first_minute = glitches(&playout);
            }
            if tick >= 6_000 {
                let speed = playout.jitter().playback_speed();
                speeds.0 = speeds.0.min(speed);
                speeds.1 = speeds.1.max(speed);
            }
        }
        (playout, after_first_minute, speeds)
    }

    #[test]
    fn far_end_drift_is_absorbed_by_the_playback_resampler_through_top_up() {
        for (fraction, rate) in [(0.003, 48_000), (-0.003, 48_000), (0.002, 44_100)] {
            let (playout, after_first_minute, (slowest, fastest)) = call(fraction, rate, 3);
            let what = format!("far end {:+.1} %, device {rate} Hz", fraction * 100.0);
            assert_eq!(
                glitches(&playout),
                after_first_minute,
                "{what}: skipped or concealed after the first minute"
            );
            // The drift itself is learnt, and the speed holds still around it (no hunting:
            // within ±0.05 %, under a cent of pitch, after the first minute).
            let learnt = playout.jitter().learnt_drift();
            assert!(
                (learnt - fraction).abs() < 0.000_2,
                "{what}: learnt {learnt}"
            );
            let nominal = 1.0 + fraction;
            assert!(
                slowest > nominal - 0.000_5 && fastest < nominal + 0.000_5,
                "{what}: speed {slowest} .. {fastest}"
            );
            assert!(
                playout.jitter().buffered() <= Duration::from_millis(60),
                "{what}"
            );
        }
    }
}
