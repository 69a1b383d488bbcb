//! What routing needs to know about one business number.

use chrono::TimeDelta;
use protocol::PhoneNumber;

use super::CallHours;

/// A number's routing settings, as the admin configured them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRouting {
    pub number: PhoneNumber,
    pub calling_enabled: bool,
    /// `None` means open around the clock (Meta's `call_hours.status: DISABLED`).
    pub call_hours: Option<CallHours>,
    pub auto_replies: AutoReplies,
    pub timing: RingTiming,
}

/// The texts sent to the customer when a call is refused, per reason; `None` sends nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoReplies {
    pub outside_office_hours: Option<String>,
    pub all_agents_offline: Option<String>,
    pub all_agents_busy: Option<String>,
}

/// Why ring timing was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RingTimingError {
    #[error("{name} must be positive, got {secs} s")]
    NotPositive { name: &'static str, secs: i64 },
    #[error(
        "the shortest ring ({min_ring} s) must not exceed the ring timeout ({ring_timeout} s)"
    )]
    MinRingAboveTimeout { min_ring: i64, ring_timeout: i64 },
    #[error("the accept window ({accept_window} s) is shorter than the shortest ring ({min_ring} s): no call could ever ring")]
    WindowBelowMinRing { accept_window: i64, min_ring: i64 },
}

/// How long each agent rings and how long the call may ring in total.
///
/// Invariants (checked by [`RingTiming::new`]): all durations positive, `min_ring <=
/// ring_timeout` and `min_ring <= accept_window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingTiming {
    ring_timeout: TimeDelta,
    accept_window: TimeDelta,
    min_ring: TimeDelta,
}

impl RingTiming {
    /// Ring timeout per agent (PRODUCT.md default 20 s).
    pub const DEFAULT_RING_TIMEOUT_SECS: i64 = 20;
    /// Meta's accept window after the connect webhook: "about 30 to 60 s"; default 40 s.
    pub const DEFAULT_ACCEPT_WINDOW_SECS: i64 = 40;
    /// The shortest ring worth starting: a person needs a few seconds to notice the popup and
    /// click. With less of the accept window left the call is `missed` instead.
    pub const DEFAULT_MIN_RING_SECS: i64 = 10;

    pub fn new(
        ring_timeout: TimeDelta,
        accept_window: TimeDelta,
        min_ring: TimeDelta,
    ) -> Result<Self, RingTimingError> {
        for (name, value) in [
            ("ring timeout", ring_timeout),
            ("accept window", accept_window),
            ("shortest ring", min_ring),
        ] {
            if value <= TimeDelta::zero() {
                return Err(RingTimingError::NotPositive {
                    name,
                    secs: value.num_seconds(),
                });
            }
        }
        if min_ring > ring_timeout {
            return Err(RingTimingError::MinRingAboveTimeout {
                min_ring: min_ring.num_seconds(),
                ring_timeout: ring_timeout.num_seconds(),
            });
        }
        if min_ring > accept_window {
            return Err(RingTimingError::WindowBelowMinRing {
                accept_window: accept_window.num_seconds(),
                min_ring: min_ring.num_seconds(),
            });
        }
        Ok(Self {
            ring_timeout,
            accept_window,
            min_ring,
        })
    }

    pub fn ring_timeout(&self) -> TimeDelta {
        self.ring_timeout
    }

    pub fn accept_window(&self) -> TimeDelta {
        self.accept_window
    }

    pub fn min_ring(&self) -> TimeDelta {
        self.min_ring
    }
}

impl Default for RingTiming {
    fn default() -> Self {
        Self {
            ring_timeout: TimeDelta::seconds(Self::DEFAULT_RING_TIMEOUT_SECS),
            accept_window: TimeDelta::seconds(Self::DEFAULT_ACCEPT_WINDOW_SECS),
            min_ring: TimeDelta::seconds(Self::DEFAULT_MIN_RING_SECS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_refuses_nonsense() {
        let s = TimeDelta::seconds;
        assert_eq!(
            RingTiming::new(s(0), s(40), s(5)),
            Err(RingTimingError::NotPositive {
                name: "ring timeout",
                secs: 0
            })
        );
        assert!(matches!(
            RingTiming::new(s(20), s(40), s(25)),
            Err(RingTimingError::MinRingAboveTimeout { .. })
        ));
        assert_eq!(
            RingTiming::new(s(20), s(40), s(10)),
            Ok(RingTiming::default())
        );
    }
}
