//! Per business number limits (PRODUCT.md "Call permissions and limits"): at most 10,000
//! business-initiated call attempts per rolling 24 h, and at most 1,000 concurrent calls of
//! either direction. Pure, like the ledger: the server reports calls, asks before acting.

use std::collections::{BTreeSet, VecDeque};

use protocol::{CallId, ErrorCode, ProtocolError, Timestamp};

use super::limits::DAY;

/// The per-number limits; `Default` is Meta's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberLimits {
    pub attempts_per_day: usize,
    pub concurrent_calls: usize,
}

impl Default for NumberLimits {
    fn default() -> Self {
        Self {
            attempts_per_day: 10_000,
            concurrent_calls: 1_000,
        }
    }
}

/// Why a number may not start or take another call now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberRefusal {
    #[error("this number has started {limit} calls in 24 h, the maximum; the next is possible at {retry_at}")]
    AttemptLimit { limit: usize, retry_at: Timestamp },
    #[error("this number has {limit} calls in progress, the maximum")]
    ConcurrentLimit { limit: usize },
}

impl NumberRefusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            NumberRefusal::AttemptLimit { .. } => ErrorCode::CallAttemptLimitReached,
            NumberRefusal::ConcurrentLimit { .. } => ErrorCode::ConcurrentCallLimitReached,
        }
    }

    pub fn to_protocol_error(&self) -> ProtocolError {
        let error = ProtocolError::new(self.code(), self.to_string());
        match self {
            NumberRefusal::AttemptLimit { retry_at, .. } => error.retry_at(*retry_at),
            NumberRefusal::ConcurrentLimit { .. } => error,
        }
    }
}

/// Calls of one business number: attempts in the last 24 h and calls in progress.
///
/// Invariants: `attempts` is sorted and holds only attempts inside the 24 h before the newest
/// one; a call is in `active` at most once (start and finish are idempotent, so duplicate
/// webhooks do not skew the count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberCallBudget {
    limits: NumberLimits,
    attempts: VecDeque<Timestamp>,
    active: BTreeSet<CallId>,
}

impl NumberCallBudget {
    pub fn new(limits: NumberLimits) -> Self {
        Self {
            limits,
            attempts: VecDeque::new(),
            active: BTreeSet::new(),
        }
    }

    /// May an agent start a business-initiated call at `now`?
    pub fn can_place_call(&self, now: Timestamp) -> Result<(), NumberRefusal> {
        let limit = self.limits.attempts_per_day;
        let inside = self
            .attempts
            .iter()
            .filter(|at| **at > now - DAY && **at <= now)
            .count();
        if inside >= limit {
            // The (inside - limit)-th attempt of the window must leave it first.
            let blocking = self
                .attempts
                .iter()
                .filter(|at| **at > now - DAY)
                .nth(inside - limit);
            if let Some(blocking) = blocking {
                return Err(NumberRefusal::AttemptLimit {
                    limit,
                    retry_at: *blocking + DAY,
                });
            }
        }
        self.can_take_call()
    }

    /// May the number take (or start) one more concurrent call?
    pub fn can_take_call(&self) -> Result<(), NumberRefusal> {
        let limit = self.limits.concurrent_calls;
        if self.active.len() >= limit {
            return Err(NumberRefusal::ConcurrentLimit { limit });
        }
        Ok(())
    }

    /// A business-initiated call was attempted (sent to Meta) at `at`.
    pub fn record_attempt(&mut self, at: Timestamp) {
        let index = self.attempts.partition_point(|t| *t <= at);
        self.attempts.insert(index, at);
        if let Some(newest) = self.attempts.back().copied() {
            while self.attempts.front().is_some_and(|t| *t <= newest - DAY) {
                self.attempts.pop_front();
            }
        }
    }

    /// A call of either direction is in progress (ringing or connected).
    pub fn call_started(&mut self, call: CallId) {
        self.active.insert(call);
    }

    /// The call ended, whichever way.
    pub fn call_finished(&mut self, call: &CallId) {
        self.active.remove(call);
    }

    pub fn calls_in_progress(&self) -> usize {
        self.active.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn ten_thousand_attempts_per_24_hours() {
        let mut budget = NumberCallBudget::new(NumberLimits::default());
        for s in 0..10_000 {
            budget.record_attempt(t0() + TimeDelta::seconds(s));
        }
        let later = t0() + TimeDelta::hours(5);
        let refusal = budget.can_place_call(later).unwrap_err();
        assert_eq!(
            refusal,
            NumberRefusal::AttemptLimit {
                limit: 10_000,
                retry_at: t0() + DAY
            }
        );
        assert_eq!(refusal.code(), ErrorCode::CallAttemptLimitReached);
        assert_eq!(refusal.to_protocol_error().retry_at, Some(t0() + DAY));
        // 24 h after the first attempt, one slot is free.
        assert_eq!(budget.can_place_call(t0() + DAY), Ok(()));
    }

    #[test]
    fn attempts_older_than_a_day_are_forgotten() {
        let mut budget = NumberCallBudget::new(NumberLimits::default());
        for day in 0..10 {
            budget.record_attempt(t0() + TimeDelta::days(day));
        }
        assert_eq!(budget.attempts.len(), 1);
    }

    #[test]
    fn concurrent_calls_are_capped_and_counted_once() {
        let mut budget = NumberCallBudget::new(NumberLimits {
            attempts_per_day: 10,
            concurrent_calls: 2,
        });
        let a = CallId::new("a").unwrap();
        let b = CallId::new("b").unwrap();
        budget.call_started(a.clone());
        budget.call_started(a.clone()); // duplicate webhook
        assert_eq!(budget.calls_in_progress(), 1);
        budget.call_started(b);
        assert_eq!(
            budget.can_take_call(),
            Err(NumberRefusal::ConcurrentLimit { limit: 2 })
        );
        assert_eq!(
            budget.can_place_call(t0()),
            Err(NumberRefusal::ConcurrentLimit { limit: 2 })
        );
        budget.call_finished(&a);
        budget.call_finished(&a);
        assert_eq!(budget.can_take_call(), Ok(()));
    }
}
