//! State-machine tests of [`MetaRules`] in virtual time.

use std::time::Duration;

use super::*;
use crate::clock::SimTime;

const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\nm=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1 cname:c\r\n";

fn answer(tag: &str) -> String {
    OFFER
        .replace("a=setup:actpass", "a=setup:active")
        .replace("o=- 1 2", &format!("o=- {tag} 2"))
}

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(1_700_000_000 + secs)
}

fn customer(n: u32) -> Customer {
    Customer {
        wa_id: format!("1555010{n:04}"),
        name: format!("Customer {n}"),
    }
}

fn rules() -> MetaRules {
    MetaRules::new(RulesConfig::default(), 1)
}

fn terminate_of(events: &[Event]) -> (Option<(SimTime, SimTime)>, Option<TerminateError>) {
    events
        .iter()
        .find_map(|e| match e {
            Event::Terminate {
                connected, error, ..
            } => Some((*connected, *error)),
            _ => None,
        })
        .expect("a terminate event")
}

#[test]
fn user_call_connect_pre_accept_accept_then_hangup_reports_duration() {
    let mut r = rules();
    let (id, events) = r.customer_calls(t(0), customer(1), OFFER.into()).unwrap();
    assert!(matches!(
        &events[..],
        [Event::Connect {
            sdp_type: SdpType::Offer,
            ..
        }]
    ));
    r.business_pre_accept(&id, &answer("a")).unwrap();
    r.business_accept(t(5), &id, &answer("a"), Some("ticket-9".into()))
        .unwrap();
    let events = r.customer_hangs_up(t(125), &id).unwrap();
    let (connected, error) = terminate_of(&events);
    assert_eq!(connected, Some((t(5), t(125))));
    assert_eq!(error, None);
    match &events[0] {
        Event::Terminate { call, .. } => assert_eq!(call.biz_opaque.as_deref(), Some("ticket-9")),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn accept_with_a_different_sdp_than_pre_accept_is_refused_and_changes_nothing() {
    let mut r = rules();
    let (id, _) = r.customer_calls(t(0), customer(1), OFFER.into()).unwrap();
    r.business_pre_accept(&id, &answer("a")).unwrap();
    let refusal = r
        .business_accept(t(1), &id, &answer("b"), None)
        .unwrap_err();
    assert_eq!(refusal, Refusal::AcceptSdpMismatch);
    assert_eq!(refusal.code(), 100);
    assert!(matches!(
        r.call(&id).unwrap().phase,
        CallPhase::PreAccepted { .. }
    ));
}

#[test]
fn accept_window_expiry_terminates_without_duration() {
    let mut r = rules();
    let (id, _) = r.customer_calls(t(0), customer(1), OFFER.into()).unwrap();
    assert_eq!(r.next_deadline(), Some(t(40)));
    assert!(r.tick(t(39)).is_empty());
    let events = r.tick(t(41));
    let (connected, error) = terminate_of(&events);
    assert_eq!(connected, None);
    assert_eq!(error, Some(TerminateError::ConnectTimeout));
    assert!(r.business_accept(t(42), &id, &answer("a"), None).is_err());
    assert_eq!(r.next_deadline(), None);
}

#[test]
fn bad_sdp_is_refused_with_details() {
    let mut r = rules();
    let (id, _) = r.customer_calls(t(0), customer(1), OFFER.into()).unwrap();
    let bad = answer("a").replace("sha-256", "sha-1");
    let refusal = r.business_pre_accept(&id, &bad).unwrap_err();
    assert_eq!(refusal.code(), 100);
    assert_eq!(refusal.details(), "Fingerprint algo is not SHA256");
}

#[test]
fn business_call_needs_permission() {
    let mut r = rules();
    let refusal = r
        .business_connect(t(0), &customer(1).wa_id, OFFER, None)
        .unwrap_err();
    assert_eq!(refusal.code(), 138006);
    assert_eq!(refusal.http_status(), 401);
}

#[test]
fn business_call_rings_is_answered_and_counts_toward_the_daily_limit() {
    let mut r = rules();
    let c = customer(1);
    r.customer_replies_permission(t(0), c.clone(), PermissionAnswer::AcceptPermanent);
    let id = r
        .business_connect(t(1), &c.wa_id, OFFER, Some("op".into()))
        .unwrap();
    let events = r.customer_device_ringing(t(2), &id, answer("c")).unwrap();
    assert!(matches!(
        &events[..],
        [
            Event::Connect {
                sdp_type: SdpType::Answer,
                ..
            },
            Event::Status {
                status: CallStatus::Ringing,
                ..
            }
        ]
    ));
    let events = r.customer_answers(t(10), &id).unwrap();
    assert!(matches!(
        &events[..],
        [Event::Status {
            status: CallStatus::Accepted,
            ..
        }]
    ));
    let events = r.business_terminate(t(70), &id).unwrap();
    assert_eq!(terminate_of(&events).0, Some((t(10), t(70))));
    assert_eq!(
        r.permission_view(t(71), &c.wa_id).call_limits[0].current_usage,
        1
    );
}

#[test]
fn duplicate_and_concurrency_limits() {
    let mut r = MetaRules::new(
        RulesConfig {
            max_concurrent: 2,
            ..RulesConfig::default()
        },
        1,
    );
    let c = customer(1);
    r.customer_replies_permission(t(0), c.clone(), PermissionAnswer::AcceptPermanent);
    r.customer_calls(t(0), c.clone(), OFFER.into()).unwrap();
    assert_eq!(
        r.business_connect(t(1), &c.wa_id, OFFER, None)
            .unwrap_err()
            .code(),
        138003
    );
    r.customer_calls(t(0), customer(2), OFFER.into()).unwrap();
    let refusal = r
        .customer_calls(t(0), customer(3), OFFER.into())
        .unwrap_err();
    assert_eq!((refusal.code(), refusal.http_status()), (138002, 429));
}

#[test]
fn four_unanswered_business_calls_revoke_with_an_automatic_reply() {
    let mut r = rules();
    let c = customer(1);
    r.customer_replies_permission(t(0), c.clone(), PermissionAnswer::AcceptPermanent);
    let mut last = Vec::new();
    for i in 0..4 {
        let id = r
            .business_connect(t(i * 100), &c.wa_id, OFFER, None)
            .unwrap();
        r.customer_device_ringing(t(i * 100), &id, answer("x"))
            .unwrap();
        last = if i % 2 == 0 {
            r.customer_rejects(t(i * 100 + 1), &id).unwrap()
        } else {
            r.tick(t(i * 100 + 61))
        };
    }
    assert!(last.iter().any(|e| matches!(
        e,
        Event::PermissionReply {
            answer: PermissionAnswer::Reject,
            source: ReplySource::Automatic,
            context_id: None,
            ..
        }
    )));
    assert_eq!(
        r.business_connect(t(500), &c.wa_id, OFFER, None)
            .unwrap_err()
            .code(),
        138006
    );
}

#[test]
fn callback_permission_grants_temporary_permission_on_a_user_call() {
    let mut r = rules();
    r.update_settings(
        t(0),
        &serde_json::json!({"callback_permission_status": "ENABLED"}),
    )
    .unwrap();
    let c = customer(1);
    let (id, events) = r.customer_calls(t(0), c.clone(), OFFER.into()).unwrap();
    let grant = events.iter().find_map(|e| match e {
        Event::PermissionReply {
            expires_at,
            source,
            context_id,
            ..
        } => Some((*expires_at, *source, context_id.clone())),
        _ => None,
    });
    assert_eq!(
        grant,
        Some((Some(t(7 * 86_400)), ReplySource::Automatic, Some(id)))
    );
    assert!(r.permission_view(t(1), &c.wa_id).can_call);
}

#[test]
fn a_connected_call_resets_permission_request_limits() {
    let mut r = rules();
    let c = customer(1);
    r.customer_texts(t(0), c.clone(), "hi".into());
    r.business_requests_permission(t(1), &c.wa_id, true)
        .unwrap();
    assert_eq!(
        r.business_requests_permission(t(2), &c.wa_id, true)
            .unwrap_err()
            .code(),
        138009
    );
    let (id, _) = r.customer_calls(t(3), c.clone(), OFFER.into()).unwrap();
    r.business_accept(t(4), &id, &answer("a"), None).unwrap();
    r.business_terminate(t(5), &id).unwrap();
    assert!(r.business_requests_permission(t(6), &c.wa_id, true).is_ok());
}

#[test]
fn reply_refers_to_the_request_message() {
    let mut r = rules();
    let c = customer(1);
    r.customer_texts(t(0), c.clone(), "hi".into());
    let wamid = r
        .business_requests_permission(t(1), &c.wa_id, true)
        .unwrap();
    let events = r.customer_replies_permission(t(2), c, PermissionAnswer::AcceptTemporary);
    assert!(
        matches!(&events[..], [Event::PermissionReply { context_id: Some(id), .. }] if *id == wamid)
    );
}

#[test]
fn calling_disabled_refuses_both_directions() {
    let mut r = rules();
    r.update_settings(t(0), &serde_json::json!({"status": "DISABLED"}))
        .unwrap();
    assert_eq!(
        r.customer_calls(t(0), customer(1), OFFER.into())
            .unwrap_err()
            .code(),
        138000
    );
    assert_eq!(
        r.business_connect(t(0), "1", OFFER, None)
            .unwrap_err()
            .code(),
        138000
    );
}

#[test]
fn terminate_twice_is_refused_and_terminate_is_emitted_once() {
    let mut r = rules();
    let (id, _) = r.customer_calls(t(0), customer(1), OFFER.into()).unwrap();
    r.business_accept(t(1), &id, &answer("a"), None).unwrap();
    assert_eq!(r.customer_hangs_up(t(2), &id).unwrap().len(), 1);
    assert!(r.business_terminate(t(3), &id).is_err());
    assert!(r.tick(t(10_000)).is_empty());
    let _ = Duration::ZERO;
}

#[test]
fn call_attempts_per_day_are_capped_even_when_calls_are_not_connected() {
    let mut r = MetaRules::new(
        RulesConfig {
            max_call_attempts_per_day: 3,
            ..RulesConfig::default()
        },
        1,
    );
    for n in 0..4 {
        r.customer_replies_permission(t(0), customer(n), PermissionAnswer::AcceptPermanent);
    }
    for n in 0..3 {
        let id = r
            .business_connect(t(u64::from(n)), &customer(n).wa_id, OFFER, None)
            .unwrap();
        r.business_terminate(t(u64::from(n)), &id).unwrap();
    }
    let refusal = r
        .business_connect(t(10), &customer(3).wa_id, OFFER, None)
        .unwrap_err();
    assert_eq!((refusal.code(), refusal.http_status()), (138005, 429));
    assert!(r
        .business_connect(t(86_400), &customer(3).wa_id, OFFER, None)
        .is_ok());
}

#[test]
fn ring_timeout_ends_an_unanswered_business_call_without_duration() {
    let mut r = rules();
    let c = customer(1);
    r.customer_replies_permission(t(0), c.clone(), PermissionAnswer::AcceptPermanent);
    let id = r.business_connect(t(0), &c.wa_id, OFFER, None).unwrap();
    r.customer_device_ringing(t(1), &id, answer("x")).unwrap();
    assert_eq!(r.next_deadline(), Some(t(60)));
    let events = r.tick(t(60));
    assert_eq!(terminate_of(&events), (None, None));
    assert_eq!(
        r.call(&id).unwrap().phase,
        CallPhase::Ended {
            at: t(60),
            end: CallEnd::NotAnswered
        }
    );
}

#[test]
fn customer_hanging_up_a_ringing_business_call_rejects_it() {
    let mut r = rules();
    let c = customer(1);
    r.customer_replies_permission(t(0), c.clone(), PermissionAnswer::AcceptPermanent);
    let id = r.business_connect(t(0), &c.wa_id, OFFER, None).unwrap();
    r.customer_device_ringing(t(1), &id, answer("x")).unwrap();
    let events = r.customer_hangs_up(t(2), &id).unwrap();
    assert!(matches!(
        &events[..],
        [
            Event::Status {
                status: CallStatus::Rejected,
                ..
            },
            Event::Terminate {
                connected: None,
                ..
            }
        ]
    ));
}

#[test]
fn business_calls_carry_the_profile_name_the_customer_showed() {
    let mut r = rules();
    let c = customer(1);
    r.customer_texts(t(0), c.clone(), "hi".into());
    r.customer_replies_permission(t(0), c.clone(), PermissionAnswer::AcceptPermanent);
    let id = r.business_connect(t(1), &c.wa_id, OFFER, None).unwrap();
    assert_eq!(r.call(&id).unwrap().customer.name, c.name);
}
