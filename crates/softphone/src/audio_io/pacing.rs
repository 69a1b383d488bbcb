//! The playback half of the media task's tick: keep the device ring topped up from the playout.

use std::time::Duration;

use super::{AudioIoError, PlaybackWriter};
use crate::codec::Playout;
use crate::rtp::SAMPLES_10MS;

/// Pulls 10 ms at a time from `playout` into `writer` until at least `target` is queued for the
/// device. Returns how many 10 ms pulls were made.
///
/// Called on every media tick, this lets the output device's clock pace the jitter buffer: a
/// device that plays faster gets more pulls, a slower one fewer. At most `target / 10 ms + 1`
/// pulls are made per call, so a device that stopped draining cannot make it spin. Afterwards the
/// jitter buffer's playback speed goes to the writer's resampler, so clock drift between the far
/// end and the device is absorbed by resampling, not by skipping or concealing frames.
pub fn top_up(
    playout: &mut Playout,
    writer: &mut PlaybackWriter,
    target: Duration,
) -> Result<usize, AudioIoError> {
    let limit = (target.as_millis() / 10) as usize + 1;
    let mut chunk = [0i16; SAMPLES_10MS];
    let mut pulls = 0;
    while pulls < limit && writer.queued() < target {
        playout.pull(&mut chunk);
        writer.write(&chunk)?;
        pulls += 1;
    }
    writer.set_playback_speed(playout.jitter().playback_speed())?;
    Ok(pulls)
}
