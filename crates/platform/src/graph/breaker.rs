//! A circuit breaker for Meta's Graph API: when Meta stops answering (network errors,
//! timeouts, bodies that are not Meta's), requests that someone waits on fail at once with the
//! reason instead of each holding a call for the full request timeout; after a cool-down one
//! trial request goes through, and its outcome closes or reopens the breaker.
//!
//! Only failures that say *Meta is unwell* count: an error object from Meta (a refused SDP, a
//! missing permission) means Meta answered and is not counted. Pure state over injected time.

use std::time::{Duration, Instant};

/// Consecutive transport failures that open the breaker.
pub const OPEN_AFTER: u32 = 5;
/// How long the breaker stays open before a trial request.
pub const COOL_DOWN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One trial request is out; others are refused until it answers.
    Trial,
}

/// The breaker's state.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    state: State,
    open_after: u32,
    cool_down: Duration,
}

impl Default for CircuitBreaker {
    fn default() -> Self {
        Self::new(OPEN_AFTER, COOL_DOWN)
    }
}

impl CircuitBreaker {
    pub fn new(open_after: u32, cool_down: Duration) -> Self {
        Self {
            state: State::Closed { failures: 0 },
            open_after: open_after.max(1),
            cool_down,
        }
    }

    /// May a request go to Meta at `now`? `Err` carries the reason for the refusal.
    pub fn allow(&mut self, now: Instant) -> Result<(), String> {
        match self.state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now >= until => {
                self.state = State::Trial;
                Ok(())
            }
            State::Open { until } => Err(format!(
                "Meta's Graph API is failing; not tried (next try in {} s)",
                until.saturating_duration_since(now).as_secs().max(1)
            )),
            State::Trial => Err("Meta's Graph API is failing; a trial request is out".into()),
        }
    }

    /// The outcome of a request that was allowed: `meta_unwell` for a transport failure.
    pub fn record(&mut self, meta_unwell: bool, now: Instant) {
        self.state = match (self.state, meta_unwell) {
            (_, false) => State::Closed { failures: 0 },
            (State::Closed { failures }, true) if failures + 1 < self.open_after => State::Closed {
                failures: failures + 1,
            },
            (_, true) => State::Open {
                until: now + self.cool_down,
            },
        };
    }

    /// True while requests are refused.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_transport_failures_and_a_trial_closes_it() {
        let start = Instant::now();
        let mut breaker = CircuitBreaker::new(3, Duration::from_secs(10));
        for _ in 0..2 {
            assert!(breaker.allow(start).is_ok());
            breaker.record(true, start);
        }
        assert!(!breaker.is_open(), "two failures are not enough");
        breaker.record(true, start);
        let refusal = breaker.allow(start + Duration::from_secs(1)).unwrap_err();
        assert!(refusal.contains("not tried"), "{refusal}");
        // After the cool-down one trial goes; the next waits for it.
        let later = start + Duration::from_secs(10);
        assert!(breaker.allow(later).is_ok());
        assert!(breaker.allow(later).is_err());
        breaker.record(false, later);
        assert!(!breaker.is_open());
        assert!(breaker.allow(later).is_ok());
    }

    #[test]
    fn a_failed_trial_reopens_and_meta_answering_resets_the_count() {
        let start = Instant::now();
        let mut breaker = CircuitBreaker::new(2, Duration::from_secs(5));
        breaker.record(true, start);
        breaker.record(false, start); // Meta answered (even with an error object): reset.
        breaker.record(true, start);
        assert!(!breaker.is_open());
        breaker.record(true, start);
        assert!(breaker.is_open());
        let trial = start + Duration::from_secs(5);
        assert!(breaker.allow(trial).is_ok());
        breaker.record(true, trial);
        assert!(breaker.allow(trial + Duration::from_secs(4)).is_err());
        assert!(breaker.allow(trial + Duration::from_secs(5)).is_ok());
    }
}
