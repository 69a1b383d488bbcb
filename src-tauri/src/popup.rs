//! When the incoming-call popup window is shown (and the ringtone plays), and where.

use crate::model::CoreEvent;
use std::collections::BTreeSet;

/// The calls ringing for this agent, to decide when the popup appears and goes.
/// Invariant: the popup is visible, and the ringtone plays, exactly while this set is non-empty.
#[derive(Debug, Default)]
pub struct RingingCalls {
    ringing: BTreeSet<String>,
}

impl RingingCalls {
    /// Applies a core event; returns the popup's new visibility when it changes.
    pub fn apply(&mut self, event: &CoreEvent) -> Option<bool> {
        let was_visible = !self.ringing.is_empty();
        match event {
            CoreEvent::IncomingCall { call } => {
                self.ringing.insert(call.call_id.clone());
            }
            CoreEvent::CallCancelled { call_id, .. } => {
                self.ringing.remove(call_id);
            }
            CoreEvent::CallStarted { call } => {
                self.ringing.remove(&call.call_id);
            }
            CoreEvent::CallEnded { call_id, .. } => {
                self.ringing.remove(call_id);
            }
            CoreEvent::ConnectionChanged { .. }
            | CoreEvent::PresenceChanged { .. }
            | CoreEvent::CallUpdated { .. }
            | CoreEvent::DevicesChanged { .. }
            | CoreEvent::Levels { .. }
            | CoreEvent::MicTestLevel { .. }
            | CoreEvent::RecordingsPending { .. }
            | CoreEvent::Notice { .. }
            | CoreEvent::ConversationUpdated { .. }
            | CoreEvent::TeamChanged { .. }
            | CoreEvent::PermissionChanged { .. } => {}
        }
        let visible = !self.ringing.is_empty();
        (visible != was_visible).then_some(visible)
    }

    pub fn is_ringing(&self) -> bool {
        !self.ringing.is_empty()
    }

    /// Forgets every ringing call (sign-out); true if the popup must hide.
    pub fn clear(&mut self) -> bool {
        let was_visible = !self.ringing.is_empty();
        self.ringing.clear();
        was_visible
    }
}

/// Top-left corner for the popup: the bottom-right of the work area, `margin` pixels in.
/// All values are physical pixels; a window larger than the area is pinned to its top-left.
pub fn bottom_right(
    area_origin: (i32, i32),
    area_size: (u32, u32),
    window_size: (u32, u32),
    margin: u32,
) -> (i32, i32) {
    let place = |origin: i32, area: u32, window: u32| {
        let free = i64::from(area) - i64::from(window) - i64::from(margin);
        let offset = free.max(0);
        i32::try_from(i64::from(origin) + offset).unwrap_or(origin)
    };
    (
        place(area_origin.0, area_size.0, window_size.0),
        place(area_origin.1, area_size.1, window_size.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActiveCall, IncomingCall};
    use protocol::{CancelReason, RoutedBecause};

    fn ring(id: &str) -> CoreEvent {
        CoreEvent::IncomingCall {
            call: IncomingCall {
                call_id: id.into(),
                customer_name: None,
                customer_number: "15551234567".into(),
                business_number: "15550102000".into(),
                routed_because: RoutedBecause::RoundRobin,
                offered_at_ms: 0,
            },
        }
    }

    fn cancel(id: &str) -> CoreEvent {
        CoreEvent::CallCancelled {
            call_id: id.into(),
            reason: CancelReason::CallerHungUp,
        }
    }

    #[test]
    fn shows_on_the_first_ring_and_hides_when_the_last_one_goes() {
        let mut calls = RingingCalls::default();
        assert_eq!(calls.apply(&ring("a")), Some(true));
        assert_eq!(calls.apply(&ring("b")), None);
        assert_eq!(calls.apply(&cancel("a")), None);
        assert_eq!(calls.apply(&cancel("b")), Some(false));
    }

    #[test]
    fn answering_hides_it_and_unknown_cancels_change_nothing() {
        let mut calls = RingingCalls::default();
        assert_eq!(calls.apply(&cancel("ghost")), None);
        calls.apply(&ring("a"));
        let started = CoreEvent::CallStarted {
            call: ActiveCall {
                call_id: "a".into(),
                customer_name: None,
                customer_number: "15551234567".into(),
                business_number: "15550102000".into(),
                direction: protocol::Direction::Inbound,
                phase: crate::model::CallPhase::Connected,
                answered_at_ms: 1,
                muted: false,
                quality_warnings: Vec::new(),
            },
        };
        assert_eq!(calls.apply(&started), Some(false));
        assert!(!calls.clear());
    }

    #[test]
    fn a_call_that_ends_while_ringing_stops_the_ring() {
        let mut calls = RingingCalls::default();
        calls.apply(&ring("a"));
        let ended = CoreEvent::CallEnded {
            call_id: "a".into(),
            reason: crate::model::CallEndReason::Failed,
            message: None,
        };
        assert_eq!(calls.apply(&ended), Some(false));
    }

    #[test]
    fn clear_hides_a_visible_popup() {
        let mut calls = RingingCalls::default();
        calls.apply(&ring("a"));
        assert!(calls.clear());
        assert_eq!(calls.apply(&ring("a")), Some(true));
    }

    #[test]
    fn bottom_right_keeps_a_margin_and_never_leaves_the_area() {
        assert_eq!(
            bottom_right((0, 0), (1920, 1080), (380, 260), 16),
            (1524, 804)
        );
        // A second monitor to the left, above the primary.
        assert_eq!(
            bottom_right((-1280, -200), (1280, 1024), (380, 260), 16),
            (-396, 548)
        );
        assert_eq!(bottom_right((10, 20), (300, 200), (380, 260), 16), (10, 20));
    }
}
