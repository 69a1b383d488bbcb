//! Clock drift between the far end and the output device, absorbed by resampling.
//!
//! The far end produces audio on its clock, the sound card consumes it on its own; 0.1–0.3 %
//! apart is common. Left alone, the jitter buffer fills up (far end fast: the delay grows until
//! a frame is skipped) or runs dry (far end slow: a frame is concealed), every 7–20 s at those
//! rates. Instead, [`DriftController`] turns the buffer level into a *playback speed*: how many
//! 48 kHz samples the output side should consume per nominal sample (1.0 = nominal). The
//! playback resampler applies it ([`crate::audio_io::PlaybackWriter::set_playback_speed`]), so
//! the device pulls slightly more or less from the buffer and the level stays put.
//!
//! The control law is a PI controller on the buffering delay, measured on every 10 ms pull:
//!
//! - the measurement is smoothed (exponential, ~0.6 s) against network jitter;
//! - errors within a dead band around the set point do nothing (neither the proportional nor
//!   the integral part moves), so the speed is held, not hunted, once drift is absorbed;
//! - the correction is bounded (±0.5 % by default: 8.6 cents of pitch at most) and its rate of
//!   change is limited (0.25 %/s), so the pitch never audibly warbles;
//! - it does not learn from underruns or while buffering (the level says nothing then).
//!
//! Pure: no clock, no I/O; time is the sequence of [`DriftController::update`] calls.

use std::time::Duration;

/// Tuning of a [`DriftController`].
#[derive(Debug, Clone, PartialEq)]
pub struct DriftConfig {
    /// Largest speed correction either way (0.005 = ±0.5 %).
    pub max_correction: f64,
    /// Speed change per second of buffer-level error, in seconds (proportional gain; 0.2 %
    /// at 10 ms of error).
    pub proportional: f64,
    /// Speed change per update per second of error (integral gain; learns the drift itself).
    pub integral: f64,
    /// Errors smaller than this leave the speed where it is.
    pub dead_band: Duration,
    /// Weight of each new level in the smoothed level (1/64: ~0.64 s at 100 updates/s).
    pub smoothing: f64,
    /// Largest change of the speed per update (0.000_025: 0.25 %/s at 100 updates/s).
    pub max_slew_per_update: f64,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            max_correction: 0.005,
            proportional: 0.2,
            integral: 0.000_2,
            dead_band: Duration::from_millis(2),
            smoothing: 1.0 / 64.0,
            max_slew_per_update: 0.000_025,
        }
    }
}

/// Turns buffer level vs set point into a playback speed; see the module documentation.
#[derive(Debug, Clone)]
pub struct DriftController {
    config: DriftConfig,
    /// Smoothed level error, seconds (`None` until the first measurement).
    smoothed_error: Option<f64>,
    /// Integral part of the correction (the drift learnt so far).
    learnt: f64,
    /// The speed handed out: 1.0 + correction.
    speed: f64,
}

impl DriftController {
    pub fn new(mut config: DriftConfig) -> Self {
        config.max_correction = finite_or(config.max_correction, 0.0).clamp(0.0, 0.05);
        config.smoothing = finite_or(config.smoothing, 1.0).clamp(1e-6, 1.0);
        config.max_slew_per_update = finite_or(config.max_slew_per_update, 0.0).max(0.0);
        config.proportional = finite_or(config.proportional, 0.0).max(0.0);
        config.integral = finite_or(config.integral, 0.0).max(0.0);
        DriftController {
            config,
            smoothed_error: None,
            learnt: 0.0,
            speed: 1.0,
        }
    }

    /// The playback speed to apply: > 1 consumes the buffer faster (the far end's clock is
    /// fast), < 1 slower. Always within `1 ± max_correction`.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The drift learnt so far (the integral part), as a fraction: +0.002 = far end 0.2 % fast.
    pub fn learnt_drift(&self) -> f64 {
        self.learnt
    }

    /// One update (one 10 ms pull) with `level` measured where `set_point` is wanted.
    /// Returns the new speed.
    pub fn update(&mut self, level: Duration, set_point: Duration) -> f64 {
        let c = &self.config;
        let error = level.as_secs_f64() - set_point.as_secs_f64();
        let smoothed = match self.smoothed_error {
            Some(s) => s + (error - s) * c.smoothing,
            None => error,
        };
        self.smoothed_error = Some(smoothed);
        let band = c.dead_band.as_secs_f64();
        let beyond = if smoothed > band {
            smoothed - band
        } else if smoothed < -band {
            smoothed + band
        } else {
            0.0
        };
        self.learnt =
            (self.learnt + beyond * c.integral).clamp(-c.max_correction, c.max_correction);
        let wanted = 1.0
            + (self.learnt + beyond * c.proportional).clamp(-c.max_correction, c.max_correction);
        let step = (wanted - self.speed).clamp(-c.max_slew_per_update, c.max_slew_per_update);
        self.speed += step;
        self.speed
    }

    /// The level says nothing about drift right now (underrun, buffering): keep the speed and
    /// what was learnt, but forget the smoothed level so stale errors do not act later.
    pub fn hold(&mut self) {
        self.smoothed_error = None;
    }

    /// A new stream (resync): forget everything, nominal speed.
    pub fn reset(&mut self) {
        self.smoothed_error = None;
        self.learnt = 0.0;
        self.speed = 1.0;
    }
}

fn finite_or(v: f64, fallback: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// A continuous plant: the level moves by (drift − correction) × 10 ms per update.
    fn settle(drift: f64, frames: usize) -> (DriftController, Vec<f64>, Vec<f64>) {
        let mut c = DriftController::new(DriftConfig::default());
        let mut level_ms = 30.0;
        let mut levels = Vec::new();
        let mut speeds = Vec::new();
        for _ in 0..frames {
            let speed = c.update(Duration::from_secs_f64(level_ms / 1e3), MS(30));
            level_ms += (drift - (speed - 1.0)) * 10.0;
            levels.push(level_ms);
            speeds.push(speed);
        }
        (c, levels, speeds)
    }

    #[test]
    fn at_the_set_point_the_speed_stays_nominal() {
        let mut c = DriftController::new(DriftConfig::default());
        for _ in 0..10_000 {
            assert_eq!(c.update(MS(30), MS(30)), 1.0);
        }
        // Inside the dead band nothing moves either.
        for _ in 0..10_000 {
            assert_eq!(c.update(MS(31), MS(30)), 1.0);
        }
    }

    #[test]
    fn a_fast_or_slow_far_end_is_learnt_and_the_level_comes_back() {
        for drift in [0.001, 0.002, 0.003, -0.001, -0.002, -0.003] {
            // Five simulated minutes at 100 updates/s.
            let (c, levels, _) = settle(drift, 30_000);
            assert!(
                (c.learnt_drift() - drift).abs() < 0.000_3,
                "{drift}: learnt {}",
                c.learnt_drift()
            );
            // The level never strays a whole frame from the set point...
            assert!(
                levels.iter().all(|l| (l - 30.0).abs() < 20.0),
                "{drift}: {:?}",
                levels.iter().map(|l| (l - 30.0).abs()).fold(0.0, f64::max)
            );
            // ...and after a minute stays within the dead band plus a little.
            assert!(
                levels[6_000..].iter().all(|l| (l - 30.0).abs() < 4.0),
                "{drift}: {:?}",
                levels[6_000..]
                    .iter()
                    .map(|l| (l - 30.0).abs())
                    .fold(0.0, f64::max)
            );
        }
    }

    #[test]
    fn the_correction_is_bounded_and_changes_slowly() {
        let mut c = DriftController::new(DriftConfig::default());
        let mut last = c.speed();
        for i in 0..20_000 {
            // A wildly wrong level: a second too full, then a second too empty.
            let level = if i < 10_000 { MS(1_030) } else { MS(0) };
            let s = c.update(level, MS(30));
            assert!((0.995..=1.005).contains(&s), "{s}");
            assert!((s - last).abs() <= 0.000_025 + 1e-12);
            last = s;
        }
        assert!((last - 0.995).abs() < 1e-9);
    }

    #[test]
    fn the_speed_does_not_hunt_once_settled() {
        let (_, _, speeds) = settle(0.002, 30_000);
        // After two minutes the speed stays within ±0.05 % of the drift (under a cent).
        let settled = &speeds[12_000..];
        let (lo, hi) = settled
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
        assert!(lo > 1.0015 && hi < 1.0025, "{lo} .. {hi}");
    }

    #[test]
    fn hold_and_reset() {
        let (mut c, _, _) = settle(0.002, 12_000);
        let speed = c.speed();
        c.hold();
        assert_eq!(c.speed(), speed);
        // After a hold the first level is taken as is, not blended with stale errors.
        c.update(MS(30), MS(30));
        assert!((c.speed() - speed).abs() < 0.000_1);
        c.reset();
        assert_eq!(c.speed(), 1.0);
        assert_eq!(c.learnt_drift(), 0.0);
    }

    #[test]
    fn nonsense_tuning_is_made_safe() {
        let mut c = DriftController::new(DriftConfig {
            max_correction: f64::NAN,
            proportional: f64::INFINITY,
            integral: -1.0,
            dead_band: MS(0),
            smoothing: 0.0,
            max_slew_per_update: f64::NAN,
        });
        for _ in 0..100 {
            let s = c.update(MS(500), MS(30));
            assert!(s.is_finite() && s == 1.0, "{s}");
        }
    }
}
