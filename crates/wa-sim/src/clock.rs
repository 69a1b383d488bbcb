//! Time as the simulator sees it.
//!
//! The rules never read the system clock: every decision takes a [`SimTime`] from a [`Clock`]. A
//! [`ManualClock`] lets tests (and the control API) jump 24 hours or 7 days in microseconds of
//! real time, which is how the 24 h / 7 day limits are exercised.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant as milliseconds since the unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(u64);

impl SimTime {
    /// The instant `millis` milliseconds after the unix epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// The instant `secs` seconds after the unix epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// Milliseconds since the unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the unix epoch (truncated), as Meta's timestamps carry.
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }

    /// This instant moved forward by `d` (saturating).
    pub fn plus(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_millis(d)))
    }

    /// This instant moved back by `d` (saturating at the epoch).
    pub fn minus(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(duration_millis(d)))
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> SimTime;

    /// How long to wait in real time until `deadline`, or `None` if this clock only moves when
    /// told to (then the caller waits for [`ManualClock::advance`] instead of sleeping).
    fn real_wait_until(&self, deadline: SimTime) -> Option<Duration>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SimTime {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(duration_millis)
            .unwrap_or(0);
        SimTime(millis)
    }

    fn real_wait_until(&self, deadline: SimTime) -> Option<Duration> {
        Some(deadline.since(self.now()))
    }
}

/// A clock that stands still until advanced. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    millis: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: SimTime) -> Self {
        Self {
            millis: Arc::new(AtomicU64::new(start.0)),
        }
    }

    /// A clock starting at the current wall-clock time, so timestamps look plausible.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now())
    }

    /// Moves the clock forward by `by` and returns the new time.
    pub fn advance(&self, by: Duration) -> SimTime {
        let add = duration_millis(by);
        let before = self.millis.fetch_add(add, Ordering::SeqCst);
        SimTime(before.saturating_add(add))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SimTime {
        SimTime(self.millis.load(Ordering::SeqCst))
    }

    fn real_wait_until(&self, _deadline: SimTime) -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced_and_clones_share_time() {
        let clock = ManualClock::new(SimTime::from_secs(100));
        let twin = clock.clone();
        assert_eq!(clock.now(), SimTime::from_secs(100));
        twin.advance(Duration::from_secs(86_400));
        assert_eq!(clock.now(), SimTime::from_secs(86_500));
        assert_eq!(clock.real_wait_until(SimTime::from_secs(1)), None);
    }

    #[test]
    fn since_saturates_instead_of_underflowing() {
        let a = SimTime::from_secs(10);
        let b = SimTime::from_secs(20);
        assert_eq!(b.since(a), Duration::from_secs(10));
        assert_eq!(a.since(b), Duration::ZERO);
    }
}
