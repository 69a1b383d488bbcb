//! Permission rules on virtual time: 24 h and 7 day jumps cost nothing.

use chrono::{TimeDelta, TimeZone, Utc};
use protocol::rest::{PermissionStatus, Verdict};
use protocol::{Direction, ErrorCode, PhoneNumber, Timestamp};

use super::*;
use PermissionEvent::*;

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

fn hours(h: i64) -> Timestamp {
    t0() + TimeDelta::hours(h)
}

fn ledger() -> PermissionLedger {
    PermissionLedger::new(
        PhoneNumber::new("15550001111").unwrap(),
        PhoneNumber::new("4915112345678").unwrap(),
        PermissionLimits::default(),
    )
}

#[test]
fn a_request_needs_the_customer_service_window() {
    let mut l = ledger();
    assert_eq!(
        l.can_request(t0()),
        Err(RequestRefusal::ServiceWindowClosed)
    );
    l.apply(CustomerMessaged, t0());
    assert_eq!(l.can_request(t0()), Ok(()));
    assert_eq!(l.can_request(hours(24) - TimeDelta::seconds(1)), Ok(()));
    // Exactly 24 h after the last message the window is closed.
    assert_eq!(
        l.can_request(hours(24)),
        Err(RequestRefusal::ServiceWindowClosed)
    );
    // A call from the customer, even unanswered, opens it again.
    l.apply(CustomerCalled, hours(30));
    assert_eq!(l.can_request(hours(30)), Ok(()));
    assert_eq!(l.service_window_closes_at(hours(30)), Some(hours(54)));
}

#[test]
fn one_request_per_24_hours() {
    let mut l = ledger();
    l.apply(CustomerMessaged, t0());
    l.apply(RequestSent, t0());
    l.apply(CustomerMessaged, hours(20));
    assert_eq!(
        l.can_request(hours(20)),
        Err(RequestRefusal::DailyRequestLimit {
            limit: 1,
            retry_at: hours(24)
        })
    );
    assert_eq!(l.next_request_at(hours(20)), Some(hours(24)));
    // Jump 24 h: allowed again (the window is still open from the message at 20 h).
    assert_eq!(l.can_request(hours(24)), Ok(()));
    assert_eq!(l.next_request_at(hours(24)), None);
}

#[test]
fn two_requests_per_7_days() {
    let mut l = ledger();
    l.apply(CustomerMessaged, t0());
    l.apply(RequestSent, t0());
    l.apply(CustomerMessaged, hours(30));
    l.apply(RequestSent, hours(30));
    // Three days later: the daily limit is fine, the weekly one is not.
    l.apply(CustomerMessaged, hours(72));
    let refusal = l.can_request(hours(72)).unwrap_err();
    assert_eq!(
        refusal,
        RequestRefusal::WeeklyRequestLimit {
            limit: 2,
            retry_at: hours(7 * 24)
        }
    );
    assert_eq!(refusal.code(), ErrorCode::PermissionRequestLimitReached);
    assert!(
        refusal
            .to_string()
            .contains("2 permission requests per 7 days"),
        "{refusal}"
    );
    // Jump to 7 days after the first request: one has left the window.
    l.apply(CustomerMessaged, hours(7 * 24));
    assert_eq!(l.can_request(hours(7 * 24)), Ok(()));
}

#[test]
fn the_binding_limit_gives_the_later_date() {
    let mut l = ledger();
    l.apply(CustomerMessaged, t0());
    l.apply(RequestSent, t0());
    l.apply(RequestSent, hours(100));
    l.apply(CustomerMessaged, hours(101));
    // Daily allows again at 124 h, weekly only at 168 h: the weekly date is the answer.
    assert_eq!(l.next_request_at(hours(101)), Some(hours(168)));
}

#[test]
fn any_connected_call_resets_the_request_limits() {
    for direction in [Direction::Inbound, Direction::Outbound] {
        let mut l = ledger();
        l.apply(CustomerMessaged, t0());
        l.apply(RequestSent, t0());
        assert!(l.can_request(hours(1)).is_err());
        l.apply(CallConnected { direction }, hours(1));
        assert_eq!(l.can_request(hours(1)), Ok(()), "{direction:?}");
    }
}

#[test]
fn never_a_request_with_a_permanent_permission() {
    let mut l = ledger();
    l.apply(CustomerMessaged, t0());
    l.apply(AcceptedPermanent, t0());
    assert_eq!(
        l.can_request(t0()),
        Err(RequestRefusal::PermanentPermissionExists)
    );
    assert_eq!(l.can_call(hours(24 * 365)), Ok(()));
    assert_eq!(
        RequestRefusal::PermanentPermissionExists.code(),
        ErrorCode::PermanentPermissionExists
    );
}

#[test]
fn a_temporary_permission_expires_silently_after_7_days() {
    let mut l = ledger();
    assert_eq!(l.can_call(t0()), Err(CallRefusal::NoPermission));
    l.apply(AcceptedTemporary { expires_at: None }, t0());
    let expiry = t0() + TimeDelta::days(7);
    assert_eq!(l.can_call(expiry - TimeDelta::seconds(1)), Ok(()));
    assert_eq!(
        l.can_call(expiry),
        Err(CallRefusal::PermissionExpired { expired_at: expiry })
    );
    assert_eq!(l.grant_at(expiry), Grant::None);
    assert_eq!(l.state(expiry).status, PermissionStatus::NoPermission);
}

#[test]
fn metas_expiration_timestamp_wins_over_the_standard_lifetime() {
    let mut l = ledger();
    l.apply(
        AcceptedTemporary {
            expires_at: Some(hours(100)),
        },
        t0(),
    );
    assert_eq!(
        l.grant_at(t0()),
        Grant::Temporary {
            expires_at: hours(100)
        }
    );
    assert!(l.can_call(hours(100)).is_err());
}

#[test]
fn a_reject_or_revocation_removes_the_permission() {
    let mut l = ledger();
    l.apply(AcceptedTemporary { expires_at: None }, t0());
    l.apply(Rejected, hours(1));
    assert_eq!(l.can_call(hours(1)), Err(CallRefusal::NoPermission));
    l.apply(AcceptedPermanent, hours(2));
    l.apply(Revoked, hours(3));
    assert_eq!(l.can_call(hours(3)), Err(CallRefusal::NoPermission));
}

#[test]
fn callback_permission_grants_a_temporary_permission() {
    let mut l = ledger();
    l.apply(CustomerCalled, t0());
    l.apply(CallbackGranted { expires_at: None }, t0());
    assert_eq!(
        l.grant_at(t0()),
        Grant::Temporary {
            expires_at: t0() + TimeDelta::days(7)
        }
    );
    // A later, shorter grant does not shorten the one held; a permanent one is kept.
    l.apply(
        AcceptedTemporary {
            expires_at: Some(hours(1)),
        },
        t0(),
    );
    assert_eq!(
        l.grant_at(t0()),
        Grant::Temporary {
            expires_at: t0() + TimeDelta::days(7)
        }
    );
    l.apply(AcceptedPermanent, hours(1));
    l.apply(CallbackGranted { expires_at: None }, hours(2));
    assert_eq!(l.grant_at(hours(2)), Grant::Permanent);
}

#[test]
fn four_unanswered_business_calls_in_a_row_revoke_the_permission() {
    let mut l = ledger();
    l.apply(AcceptedPermanent, t0());
    for h in 1..=3 {
        l.apply(BusinessCallUnanswered, hours(h));
    }
    // An answered call breaks the streak.
    l.apply(
        CallConnected {
            direction: Direction::Outbound,
        },
        hours(4),
    );
    for h in 5..=7 {
        l.apply(BusinessCallUnanswered, hours(h));
    }
    assert_eq!(l.can_call(hours(7)), Ok(()));
    l.apply(BusinessCallUnanswered, hours(8));
    let refusal = l.can_call(hours(8)).unwrap_err();
    assert_eq!(
        refusal,
        CallRefusal::RevokedAfterUnansweredCalls { unanswered: 4 }
    );
    assert_eq!(refusal.code(), ErrorCode::NoCallPermission);
    // A new grant starts a fresh streak.
    l.apply(AcceptedTemporary { expires_at: None }, hours(9));
    l.apply(BusinessCallUnanswered, hours(10));
    assert_eq!(l.can_call(hours(10)), Ok(()));
}

#[test]
fn at_most_100_connected_business_calls_per_24_hours() {
    let mut l = ledger();
    l.apply(AcceptedPermanent, t0());
    let minute = |m: i64| t0() + TimeDelta::minutes(m);
    for m in 0..100 {
        l.apply(
            CallConnected {
                direction: Direction::Outbound,
            },
            minute(m),
        );
    }
    // Inbound calls do not count.
    l.apply(
        CallConnected {
            direction: Direction::Inbound,
        },
        minute(100),
    );
    let refusal = l.can_call(minute(101)).unwrap_err();
    assert_eq!(
        refusal,
        CallRefusal::ConnectedCallLimit {
            limit: 100,
            retry_at: hours(24)
        }
    );
    let wire = refusal.to_protocol_error();
    assert_eq!(wire.code, ErrorCode::ConnectedCallLimitReached);
    assert_eq!(wire.retry_at, Some(hours(24)));
    // Jump 24 h after the first call: one slot is free again; the limit does not revoke.
    assert_eq!(l.can_call(hours(24)), Ok(()));
}

#[test]
fn the_state_shows_expiry_verdicts_and_the_next_request_date() {
    let mut l = ledger();
    l.apply(CustomerMessaged, t0());
    l.apply(RequestSent, t0());
    l.apply(AcceptedTemporary { expires_at: None }, hours(1));
    let state = l.state(hours(2));
    assert_eq!(state.status, PermissionStatus::Temporary);
    assert_eq!(state.expires_at, Some(hours(1) + TimeDelta::days(7)));
    assert_eq!(state.call, Verdict::Allowed);
    assert!(matches!(
        state.request,
        Verdict::Refused {
            code: ErrorCode::PermissionRequestLimitReached,
            retry_at: Some(at),
            ..
        } if at == hours(24)
    ));
    assert_eq!(state.next_request_at, Some(hours(24)));
    assert_eq!(state.service_window_closes_at, Some(hours(24)));
    assert_eq!(state.computed_at, hours(2));

    // Two days later: the window is closed, the limit has lifted.
    let later = l.state(hours(48));
    assert!(matches!(
        later.request,
        Verdict::Refused {
            code: ErrorCode::CustomerServiceWindowClosed,
            retry_at: None,
            ..
        }
    ));
    assert_eq!(later.next_request_at, None);
    assert_eq!(later.service_window_closes_at, None);
}

#[test]
fn a_rolling_day_limit_frees_a_slot_24_hours_after_each_call() {
    let limits = PermissionLimits {
        connected_calls_per_day: 1,
        ..PermissionLimits::default()
    };
    let mut l = PermissionLedger::new(
        PhoneNumber::new("15550001111").unwrap(),
        PhoneNumber::new("4915112345678").unwrap(),
        limits,
    );
    l.apply(AcceptedPermanent, t0());
    l.apply(
        CallConnected {
            direction: Direction::Outbound,
        },
        t0(),
    );
    assert!(l.can_call(hours(23)).is_err());
    assert_eq!(l.can_call(hours(24)), Ok(()));
}
