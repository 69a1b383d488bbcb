//! WhatsApp's "no media" hang-up rule, as a pure state machine over caller-supplied instants.
//!
//! The client disconnects after 20 s without inbound media at call start and after 30 s of
//! silence once media has flowed (reference §6.6). The async driver feeds it packet arrivals
//! and sleeps until [`InboundWatchdog::deadline`].

use std::time::{Duration, Instant};

/// Which of the two timers fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaTimeoutPhase {
    /// No inbound media at all since media started.
    AtStart,
    /// Inbound media flowed, then stopped.
    MidCall,
}

/// Invariant: `deadline()` is `None` until [`InboundWatchdog::arm`], then always
/// `last_event + (at_start | mid_call)`.
#[derive(Debug, Clone)]
pub struct InboundWatchdog {
    at_start: Duration,
    mid_call: Duration,
    armed_at: Option<Instant>,
    last_media: Option<Instant>,
}

impl InboundWatchdog {
    pub fn new(at_start: Duration, mid_call: Duration) -> Self {
        Self {
            at_start,
            mid_call,
            armed_at: None,
            last_media: None,
        }
    }

    /// Start counting (the call was accepted). Arming twice keeps the first instant.
    pub fn arm(&mut self, now: Instant) {
        self.armed_at.get_or_insert(now);
    }

    /// Inbound media arrived. Before arming this is remembered too: media that flowed early
    /// still proves the path works, so the mid-call timer applies.
    pub fn on_media(&mut self, now: Instant) {
        self.last_media = Some(now);
    }

    /// When the watchdog fires if nothing else arrives.
    pub fn deadline(&self) -> Option<Instant> {
        let armed = self.armed_at?;
        Some(match self.last_media {
            Some(last) => last.max(armed) + self.mid_call,
            None => armed + self.at_start,
        })
    }

    /// The phase that has timed out at `now`, if any.
    pub fn expired(&self, now: Instant) -> Option<MediaTimeoutPhase> {
        let deadline = self.deadline()?;
        if now < deadline {
            return None;
        }
        Some(if self.last_media.is_some() {
            MediaTimeoutPhase::MidCall
        } else {
            MediaTimeoutPhase::AtStart
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: Duration = Duration::from_secs(20);
    const MID: Duration = Duration::from_secs(30);

    #[test]
    fn silent_until_armed() {
        let t0 = Instant::now();
        let dog = InboundWatchdog::new(START, MID);
        assert_eq!(dog.deadline(), None);
        assert_eq!(dog.expired(t0 + Duration::from_secs(3600)), None);
    }

    #[test]
    fn no_media_at_start_fires_after_20_s() {
        let t0 = Instant::now();
        let mut dog = InboundWatchdog::new(START, MID);
        dog.arm(t0);
        assert_eq!(dog.expired(t0 + Duration::from_millis(19_999)), None);
        assert_eq!(dog.expired(t0 + START), Some(MediaTimeoutPhase::AtStart));
    }

    #[test]
    fn media_switches_to_the_30_s_rule_and_each_packet_extends_it() {
        let t0 = Instant::now();
        let mut dog = InboundWatchdog::new(START, MID);
        dog.arm(t0);
        dog.on_media(t0 + Duration::from_secs(19));
        assert_eq!(dog.expired(t0 + Duration::from_secs(25)), None);
        dog.on_media(t0 + Duration::from_secs(40));
        assert_eq!(dog.expired(t0 + Duration::from_secs(69)), None);
        assert_eq!(
            dog.expired(t0 + Duration::from_secs(70)),
            Some(MediaTimeoutPhase::MidCall)
        );
    }

    #[test]
    fn media_before_arming_counts_from_the_arming() {
        let t0 = Instant::now();
        let mut dog = InboundWatchdog::new(START, MID);
        dog.on_media(t0);
        dog.arm(t0 + Duration::from_secs(10));
        dog.arm(t0 + Duration::from_secs(50)); // re-arming does not move the clock
        assert_eq!(dog.deadline(), Some(t0 + Duration::from_secs(40)));
    }
}
