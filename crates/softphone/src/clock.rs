//! Injected time for the pure cores.
//!
//! The call state machine and the jitter buffer never read a wall clock themselves: their
//! drivers pass a [`MonoTime`] in. Production code takes it from [`MonotonicClock`]; tests build
//! values with [`MonoTime::from_millis`] and move time forward by arithmetic, so hours pass in
//! microseconds.

use std::ops::{Add, Sub};
use std::time::{Duration, Instant};

/// A point on a monotonic time line, measured from an arbitrary origin.
///
/// Invariant: only differences between two `MonoTime`s taken from the same clock mean anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MonoTime(Duration);

impl MonoTime {
    /// The origin of the time line.
    pub const ZERO: MonoTime = MonoTime(Duration::ZERO);

    /// A time `ms` milliseconds after the origin (tests and simulations).
    pub const fn from_millis(ms: u64) -> Self {
        MonoTime(Duration::from_millis(ms))
    }

    /// Time since the origin.
    pub const fn since_origin(self) -> Duration {
        self.0
    }

    /// How long after `earlier` this is; zero if `earlier` is actually later (never negative).
    pub fn saturating_since(self, earlier: MonoTime) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

impl Add<Duration> for MonoTime {
    type Output = MonoTime;
    fn add(self, rhs: Duration) -> MonoTime {
        MonoTime(self.0.saturating_add(rhs))
    }
}

impl Sub<MonoTime> for MonoTime {
    type Output = Duration;
    /// Saturating: an earlier minus a later time is zero, never a panic.
    fn sub(self, rhs: MonoTime) -> Duration {
        self.saturating_since(rhs)
    }
}

/// Something that can tell the current [`MonoTime`].
pub trait Clock {
    fn now(&self) -> MonoTime;
}

/// The real monotonic clock; its origin is the moment it was created.
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    origin: Instant,
}

impl MonotonicClock {
    pub fn new() -> Self {
        MonotonicClock {
            origin: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> MonoTime {
        MonoTime(self.origin.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_saturate_instead_of_panicking() {
        let early = MonoTime::from_millis(100);
        let late = MonoTime::from_millis(350);
        assert_eq!(late - early, Duration::from_millis(250));
        assert_eq!(early - late, Duration::ZERO);
        assert_eq!(early + Duration::from_millis(250), late);
    }

    #[test]
    fn monotonic_clock_never_goes_back() {
        let clock = MonotonicClock::new();
        let a = clock.now();
        let b = clock.now();
        assert!(b >= a);
    }
}
