//! How many frames one agent connection may send: a token bucket (pure; the caller passes the
//! time). An app sends a ping every 15 s and a handful of requests per call, so the budget is
//! far above any honest use and only stops floods: each frame costs decoding and, for requests,
//! a turn of the switchboard that every other agent's calls share.

use std::time::{Duration, Instant};

/// Frames a connection may send in a burst.
pub const BURST: u32 = 60;
/// Frames per second it may keep sending.
pub const PER_SECOND: u32 = 20;
/// Refused frames in a row after which the connection is closed (1008): a client that keeps
/// flooding after being told is not an app that will slow down.
pub const REFUSALS_BEFORE_CLOSE: u32 = 200;

/// Invariant: `0 <= tokens <= burst` and `refused_in_a_row` counts refusals since the last
/// frame allowed.
#[derive(Debug, Clone)]
pub struct FrameBudget {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
    refused_in_a_row: u32,
}

/// What to do with one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refuse it with `rate_limited`; one frame is allowed again after this long. `first`:
    /// the first refusal since the last allowed frame (the one worth an `error`: telling a
    /// flood about every frame would only flood the other way).
    Refused {
        retry_after: Duration,
        first: bool,
    },
    /// Refused too often in a row: close the connection.
    Close,
}

impl FrameBudget {
    pub fn new(burst: u32, per_second: u32, now: Instant) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(per_second.max(1)),
            tokens: f64::from(burst.max(1)),
            last: now,
            refused_in_a_row: 0,
        }
    }

    /// The default budget ([`BURST`], [`PER_SECOND`]).
    pub fn standard(now: Instant) -> Self {
        Self::new(BURST, PER_SECOND, now)
    }

    /// One frame arrives at `now` (times before the last one count as the last one).
    pub fn frame(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = self.last.max(now);
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.refused_in_a_row = 0;
            return Verdict::Allowed;
        }
        self.refused_in_a_row = self.refused_in_a_row.saturating_add(1);
        if self.refused_in_a_row >= REFUSALS_BEFORE_CLOSE {
            return Verdict::Close;
        }
        let missing = 1.0 - self.tokens;
        Verdict::Refused {
            retry_after: Duration::from_secs_f64(missing / self.per_second),
            first: self.refused_in_a_row == 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_the_steady_rate() {
        let t0 = Instant::now();
        let mut budget = FrameBudget::new(5, 10, t0);
        for _ in 0..5 {
            assert_eq!(budget.frame(t0), Verdict::Allowed);
        }
        let Verdict::Refused { retry_after, first } = budget.frame(t0) else {
            panic!("the sixth frame at once is over the burst");
        };
        assert!(first);
        assert!(retry_after <= Duration::from_millis(100), "{retry_after:?}");
        assert!(matches!(
            budget.frame(t0),
            Verdict::Refused { first: false, .. }
        ));
        // 100 ms later one more frame is allowed (10/s; refusals spend nothing), not two, and
        // the next refusal is a first one again.
        let later = t0 + Duration::from_millis(100);
        assert_eq!(budget.frame(later), Verdict::Allowed);
        assert!(matches!(
            budget.frame(later),
            Verdict::Refused { first: true, .. }
        ));
        // A long pause refills to the burst, not beyond.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..5 {
            assert_eq!(budget.frame(much_later), Verdict::Allowed);
        }
        assert!(matches!(budget.frame(much_later), Verdict::Refused { .. }));
    }

    #[test]
    fn honest_use_is_never_refused() {
        // A ping every 15 s and a burst of call requests now and then.
        let t0 = Instant::now();
        let mut budget = FrameBudget::standard(t0);
        for minute in 0..60u64 {
            let at = t0 + Duration::from_secs(minute * 60);
            for request in 0..10u64 {
                let verdict = budget.frame(at + Duration::from_millis(request * 50));
                assert_eq!(verdict, Verdict::Allowed, "minute {minute}");
            }
            for ping in 1..4u64 {
                assert_eq!(
                    budget.frame(at + Duration::from_secs(ping * 15)),
                    Verdict::Allowed
                );
            }
        }
    }

    #[test]
    fn a_client_that_keeps_flooding_is_closed_and_one_that_stops_is_not() {
        let t0 = Instant::now();
        let mut budget = FrameBudget::new(1, 1, t0);
        assert_eq!(budget.frame(t0), Verdict::Allowed);
        for _ in 1..REFUSALS_BEFORE_CLOSE {
            assert!(matches!(budget.frame(t0), Verdict::Refused { .. }));
        }
        assert_eq!(budget.frame(t0), Verdict::Close);

        let mut budget = FrameBudget::new(1, 1, t0);
        budget.frame(t0);
        for _ in 1..REFUSALS_BEFORE_CLOSE {
            budget.frame(t0);
        }
        // It waited: allowed again, and the count of refusals starts over.
        assert_eq!(budget.frame(t0 + Duration::from_secs(1)), Verdict::Allowed);
        assert!(matches!(
            budget.frame(t0 + Duration::from_secs(1)),
            Verdict::Refused { .. }
        ));
    }
}
