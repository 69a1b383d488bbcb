//! Network delay variation, measured from packet arrival times against their RTP timestamps.

use std::collections::VecDeque;
use std::time::Duration;

use crate::clock::MonoTime;

/// Steepest transit-time slope taken for clock drift rather than a change of the network path.
pub const MAX_DRIFT: f64 = 0.005;

/// Fewest packets in the window before a slope is estimated.
const MIN_PACKETS_FOR_SLOPE: usize = 20;

/// Tracks the relative transit time (arrival time minus media time) of recent packets.
///
/// The spread between the fastest packet and the 95th-percentile packet in the window is how much
/// buffering avoids late packets 95 % of the time; the constant part of the delay cancels out, so
/// sender and receiver clocks need no common origin. The window is bounded (`capacity` packets),
/// so the estimate forgets old network conditions and memory stays fixed.
///
/// Clock drift makes transit times slope (0.2 % is 10 ms over a 5 s window), which is not
/// jitter: the resampler absorbs it ([`super::DriftController`]). So the spread is taken around
/// the lower envelope's slope (the line through the fastest packet of each half of the window),
/// when that slope is drift-sized (at most `MAX_DRIFT`, 0.5 %); steeper changes are route
/// changes and count in full.
#[derive(Debug, Clone)]
pub struct DelayEstimator {
    clock_rate: u32,
    /// (media time µs, transit µs) of recent packets, oldest first.
    transits_us: VecDeque<(i64, i64)>,
    capacity: usize,
    scratch: Vec<i64>,
    last_transit_us: Option<i64>,
    /// RFC 3550 §6.4.1 interarrival jitter, in microseconds (for reports, not for adaptation).
    rfc3550_jitter_us: f64,
}

impl DelayEstimator {
    pub fn new(clock_rate: u32, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        DelayEstimator {
            clock_rate: clock_rate.max(1),
            transits_us: VecDeque::with_capacity(capacity),
            capacity,
            scratch: Vec::with_capacity(capacity),
            last_transit_us: None,
            rfc3550_jitter_us: 0.0,
        }
    }

    /// Records a packet with extended RTP timestamp `timestamp` that arrived at `arrival`.
    pub fn observe(&mut self, arrival: MonoTime, timestamp: i64) {
        let arrival_us = i64::try_from(arrival.since_origin().as_micros()).unwrap_or(i64::MAX);
        let media_us = i128::from(timestamp) * 1_000_000 / i128::from(self.clock_rate);
        let media_us = i64::try_from(media_us).unwrap_or(i64::MAX);
        let transit = arrival_us.saturating_sub(media_us);
        if let Some(last) = self.last_transit_us {
            let d = transit.saturating_sub(last).unsigned_abs() as f64;
            self.rfc3550_jitter_us += (d - self.rfc3550_jitter_us) / 16.0;
        }
        self.last_transit_us = Some(transit);
        if self.transits_us.len() == self.capacity {
            self.transits_us.pop_front();
        }
        self.transits_us.push_back((media_us, transit));
    }

    /// Delay variation to cover: 95th-percentile transit minus the minimum in the window.
    pub fn spread(&mut self) -> Duration {
        if self.transits_us.len() < 2 {
            return Duration::ZERO;
        }
        let slope = self.drift_slope();
        let origin = self.transits_us.front().map_or(0, |(m, _)| *m);
        self.scratch.clear();
        self.scratch.extend(
            self.transits_us
                .iter()
                .map(|(m, t)| t - (slope * (m - origin) as f64) as i64),
        );
        // Selection, not a sort: this runs on every packet.
        let min = self.scratch.iter().copied().min().unwrap_or(0);
        let idx = (self.scratch.len() - 1) * 95 / 100;
        let (_, &mut p95, _) = self.scratch.select_nth_unstable(idx);
        Duration::from_micros(p95.saturating_sub(min).unsigned_abs())
    }

    /// Slope of the lower envelope of transit over media time (0.0 when too few packets or
    /// steeper than [`MAX_DRIFT`]).
    fn drift_slope(&self) -> f64 {
        let n = self.transits_us.len();
        if n < MIN_PACKETS_FOR_SLOPE {
            return 0.0;
        }
        let fastest = |range: std::ops::Range<usize>| {
            self.transits_us
                .range(range)
                .min_by_key(|(_, t)| *t)
                .copied()
        };
        let (Some((m1, t1)), Some((m2, t2))) = (fastest(0..n / 2), fastest(n / 2..n)) else {
            return 0.0;
        };
        if m2 <= m1 {
            return 0.0;
        }
        let slope = (t2 - t1) as f64 / (m2 - m1) as f64;
        if slope.abs() <= MAX_DRIFT {
            slope
        } else {
            0.0
        }
    }

    /// RFC 3550 interarrival jitter, for quality reports.
    pub fn interarrival_jitter(&self) -> Duration {
        Duration::from_micros(self.rfc3550_jitter_us as u64)
    }

    pub fn reset(&mut self) {
        self.transits_us.clear();
        self.last_transit_us = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_arrivals_have_no_spread_whatever_the_constant_delay() {
        let mut est = DelayEstimator::new(48_000, 100);
        for i in 0..50u64 {
            // 20 ms packets, each arriving exactly 73 ms after it was "sent".
            est.observe(MonoTime::from_millis(73 + 20 * i), (960 * i) as i64);
        }
        assert_eq!(est.spread(), Duration::ZERO);
        assert_eq!(est.interarrival_jitter(), Duration::ZERO);
    }

    #[test]
    fn spread_covers_the_late_tail_but_ignores_rare_outliers() {
        let mut est = DelayEstimator::new(48_000, 100);
        for i in 0..100u64 {
            // Every 4th packet 40 ms late, one single packet 500 ms late.
            let extra = match i {
                50 => 500,
                _ if i % 4 == 0 => 40,
                _ => 0,
            };
            est.observe(MonoTime::from_millis(20 * i + extra), (960 * i) as i64);
        }
        assert_eq!(est.spread(), Duration::from_millis(40));
        assert!(est.interarrival_jitter() > Duration::from_millis(5));
    }

    #[test]
    fn the_window_forgets_old_conditions() {
        let mut est = DelayEstimator::new(48_000, 20);
        for i in 0..20u64 {
            est.observe(
                MonoTime::from_millis(20 * i + (i % 2) * 100),
                (960 * i) as i64,
            );
        }
        assert!(est.spread() >= Duration::from_millis(100));
        for i in 20..40u64 {
            est.observe(MonoTime::from_millis(20 * i), (960 * i) as i64);
        }
        assert_eq!(est.spread(), Duration::ZERO);
    }

    #[test]
    fn clock_drift_is_not_taken_for_jitter_but_a_route_change_is() {
        for drift in [0.002, -0.002, 0.005] {
            let mut est = DelayEstimator::new(48_000, 250);
            for i in 0..500u64 {
                // The sender's clock runs `drift` fast: packets arrive ever earlier (or later).
                let arrival_us = (20_000.0 * i as f64 / (1.0 + drift)) as u64 + 40_000;
                est.observe(
                    MonoTime::ZERO + Duration::from_micros(arrival_us),
                    (960 * i) as i64,
                );
            }
            assert!(est.spread() < Duration::from_micros(500), "{drift}");
        }
        let mut est = DelayEstimator::new(48_000, 250);
        for i in 0..250u64 {
            // 30 ms more delay from packet 200 on: a new path, 3 % "slope" — counted.
            let extra = if i >= 200 { 30 } else { 0 };
            est.observe(MonoTime::from_millis(40 + 20 * i + extra), (960 * i) as i64);
        }
        assert!(
            est.spread() >= Duration::from_millis(29),
            "{:?}",
            est.spread()
        );
    }
}
