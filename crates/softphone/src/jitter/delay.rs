//! Network delay variation, measured from packet arrival times against their RTP timestamps.

use std::collections::VecDeque;
use std::time::Duration;

use crate::clock::MonoTime;

/// Tracks the relative transit time (arrival time minus media time) of recent packets.
///
/// The spread between the fastest packet and the 95th-percentile packet in the window is how much
/// buffering avoids late packets 95 % of the time; the constant part of the delay cancels out, so
/// sender and receiver clocks need no common origin. The window is bounded (`capacity` packets),
/// so the estimate forgets old network conditions and memory stays fixed.
#[derive(Debug, Clone)]
pub struct DelayEstimator {
    clock_rate: u32,
    transits_us: VecDeque<i64>,
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
        self.transits_us.push_back(transit);
    }

    /// Delay variation to cover: 95th-percentile transit minus the minimum in the window.
    pub fn spread(&mut self) -> Duration {
        if self.transits_us.len() < 2 {
            return Duration::ZERO;
        }
        self.scratch.clear();
        self.scratch.extend(self.transits_us.iter().copied());
        self.scratch.sort_unstable();
        let min = self.scratch[0];
        let idx = (self.scratch.len() - 1) * 95 / 100;
        let p95 = self.scratch[idx];
        Duration::from_micros(p95.saturating_sub(min).unsigned_abs())
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
}
