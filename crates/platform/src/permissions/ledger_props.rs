//! Properties of [`PermissionLedger`] on virtual time, with small random limits so the 24 h and
//! 7 day windows fill up quickly.
//!
//! - A driver that sends a permission request whenever `can_request` allows it never exceeds
//!   the daily or the weekly limit in any rolling window (counting since the last connected
//!   call, which resets the request limits), and one that calls whenever `can_call` allows it
//!   never exceeds the connected-call limit in any rolling 24 h.
//! - A refusal's `retry_at` is exact: the limit still blocks just before it and no longer at it.
//! - Forgetting old events never changes a verdict: for events applied in any order, the
//!   ledger's `next_request_at` and connected-call refusal at any later instant equal those
//!   computed from the full history.

use chrono::{TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use protocol::{Direction, PhoneNumber, Timestamp};

use super::*;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 10, 20, 9, 0, 0).unwrap()
}

fn ledger(limits: PermissionLimits) -> PermissionLedger {
    PermissionLedger::new(
        PhoneNumber::new("15550001111").unwrap(),
        PhoneNumber::new("4915112345678").unwrap(),
        limits,
    )
}

fn limits() -> impl Strategy<Value = PermissionLimits> {
    (1_usize..=3, 1_usize..=5, 1_u32..=5, 1_usize..=4).prop_map(
        |(requests_per_day, requests_per_week, unanswered, connected_calls_per_day)| {
            PermissionLimits {
                requests_per_day,
                requests_per_week,
                unanswered_calls_before_revocation: unanswered,
                connected_calls_per_day,
                ..PermissionLimits::default()
            }
        },
    )
}

/// Any event, requests weighted up (and connected calls, which clear them, down) so the limits
/// are often reached.
fn event() -> impl Strategy<Value = PermissionEvent> {
    use PermissionEvent::*;
    prop_oneof![
        12 => Just(RequestSent),
        1 => Just(CustomerMessaged),
        1 => Just(CustomerCalled),
        1 => Just(AcceptedTemporary { expires_at: None }),
        1 => Just(AcceptedPermanent),
        1 => Just(Rejected),
        1 => Just(CallbackGranted { expires_at: None }),
        1 => Just(Revoked),
        1 => Just(BusinessCallUnanswered),
        1 => Just(CallConnected {
            direction: Direction::Inbound
        }),
        1 => Just(CallConnected {
            direction: Direction::Outbound
        }),
    ]
}

/// Steps between driver actions: minutes to a few days, so both windows matter.
fn gap() -> impl Strategy<Value = TimeDelta> {
    prop_oneof![
        (0_i64..=120).prop_map(TimeDelta::minutes),
        (1_i64..=30).prop_map(TimeDelta::hours),
        (1_i64..=4).prop_map(TimeDelta::days),
    ]
}

/// Events inside the rolling window `(at - window, at]`.
fn count_in(times: &[Timestamp], at: Timestamp, window: TimeDelta) -> usize {
    times
        .iter()
        .filter(|t| **t > at - window && **t <= at)
        .count()
}

/// The earliest instant >= `now` at which every `(window, limit)` admits one more event, found
/// by search over the instants at which an event leaves a window (the oracle for the ledger's
/// index arithmetic). `None` when nothing blocks at `now`.
fn oracle_retry(
    times: &[Timestamp],
    now: Timestamp,
    rules: &[(TimeDelta, usize)],
) -> Option<Timestamp> {
    let admits = |at: Timestamp| {
        rules
            .iter()
            .all(|(window, limit)| *limit == 0 || count_in(times, at, *window) < *limit)
    };
    if admits(now) {
        return None;
    }
    let mut leaving: Vec<Timestamp> = times
        .iter()
        .flat_map(|t| rules.iter().map(move |(window, _)| *t + *window))
        .filter(|at| *at > now)
        .collect();
    leaving.sort();
    leaving.into_iter().find(|at| admits(*at))
}

proptest! {
    /// Requests sent whenever allowed stay within both limits in every window.
    #[test]
    fn requests_sent_when_allowed_never_exceed_the_limits(
        limits in limits(),
        steps in prop::collection::vec((gap(), prop::bool::weighted(0.1)), 1..80),
    ) {
        let mut l = ledger(limits);
        let mut now = t0();
        let mut sent: Vec<Timestamp> = Vec::new();
        for (gap, connect) in steps {
            now += gap;
            l.apply(PermissionEvent::CustomerMessaged, now);
            if connect {
                l.apply(PermissionEvent::CallConnected { direction: Direction::Inbound }, now);
                sent.clear();
            }
            match l.can_request(now) {
                Ok(()) => {
                    l.apply(PermissionEvent::RequestSent, now);
                    sent.push(now);
                    prop_assert!(count_in(&sent, now, DAY) <= limits.requests_per_day);
                    prop_assert!(count_in(&sent, now, WEEK) <= limits.requests_per_week);
                }
                Err(refusal) => {
                    let retry_at = refusal.retry_at().expect("a limit refusal has a date");
                    prop_assert!(retry_at > now);
                    // Exact: still blocked a nanosecond before, free at the instant.
                    prop_assert!(l.next_request_at(retry_at - TimeDelta::nanoseconds(1)).is_some());
                    prop_assert_eq!(l.next_request_at(retry_at), None);
                }
            }
        }
    }

    /// Business calls connected whenever allowed stay within the daily connected-call limit.
    #[test]
    fn calls_connected_when_allowed_never_exceed_the_daily_limit(
        limits in limits(),
        gaps in prop::collection::vec(gap(), 1..80),
    ) {
        let mut l = ledger(limits);
        l.apply(PermissionEvent::AcceptedPermanent, t0());
        let mut now = t0();
        let mut connected: Vec<Timestamp> = Vec::new();
        for gap in gaps {
            now += gap;
            match l.can_call(now) {
                Ok(()) => {
                    l.apply(PermissionEvent::CallConnected { direction: Direction::Outbound }, now);
                    connected.push(now);
                    prop_assert!(count_in(&connected, now, DAY) <= limits.connected_calls_per_day);
                }
                Err(CallRefusal::ConnectedCallLimit { retry_at, .. }) => {
                    prop_assert!(retry_at > now);
                    prop_assert!(l.can_call(retry_at - TimeDelta::nanoseconds(1)).is_err());
                    prop_assert_eq!(l.can_call(retry_at), Ok(()));
                }
                Err(other) => prop_assert!(false, "a permanent permission refused: {other}"),
            }
        }
    }

    /// Whatever the order events arrive in, the ledger's limit verdicts at any instant after all
    /// of them equal those computed from the full history it partly forgot.
    #[test]
    fn forgetting_old_events_never_changes_a_verdict(
        limits in limits(),
        events in prop::collection::vec((event(), 0_i64..(14 * 24 * 60)), 1..60),
        later in 0_i64..(8 * 24 * 60),
    ) {
        let mut l = ledger(limits);
        let mut requests: Vec<Timestamp> = Vec::new();
        let mut business_calls: Vec<Timestamp> = Vec::new();
        let mut newest = t0();
        for (event, minute) in events {
            let at = t0() + TimeDelta::minutes(minute);
            newest = newest.max(at);
            l.apply(event, at);
            match event {
                PermissionEvent::RequestSent => requests.push(at),
                PermissionEvent::CallConnected { direction } => {
                    requests.clear();
                    if direction == Direction::Outbound {
                        business_calls.push(at);
                    }
                }
                _ => {}
            }
        }
        let now = newest + TimeDelta::minutes(later);
        let request_rules = [(DAY, limits.requests_per_day), (WEEK, limits.requests_per_week)];
        prop_assert_eq!(l.next_request_at(now), oracle_retry(&requests, now, &request_rules));
        if l.grant_at(now) != Grant::None {
            let call_rules = [(DAY, limits.connected_calls_per_day)];
            let retry = l.can_call(now).err().and_then(|refusal| refusal.retry_at());
            prop_assert_eq!(retry, oracle_retry(&business_calls, now, &call_rules));
        }
    }
}
