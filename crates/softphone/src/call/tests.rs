use std::time::Duration;

use super::*;

const T0: MonoTime = MonoTime::from_millis(1_000);

fn at(ms: u64) -> MonoTime {
    T0 + Duration::from_millis(ms)
}

/// A call driven to `phase` through legal events, starting at T0, one second per step.
fn call_in(phase: Phase) -> Call {
    let (mut call, path): (Call, &[CallEvent]) = match phase {
        Phase::Ringing => (Call::offered(T0), &[]),
        Phase::Answering => (Call::offered(T0), &[CallEvent::Answer]),
        Phase::Dialing => (Call::dial(T0), &[]),
        Phase::RemoteRinging => (Call::dial(T0), &[CallEvent::RemoteRinging]),
        Phase::Connecting => (
            Call::offered(T0),
            &[CallEvent::Answer, CallEvent::AnswerSent],
        ),
        Phase::Active => (
            Call::offered(T0),
            &[
                CallEvent::Answer,
                CallEvent::AnswerSent,
                CallEvent::MediaConnected,
            ],
        ),
        Phase::Ended => (Call::offered(T0), &[CallEvent::Reject]),
        Phase::Idle => unreachable!("idle is the absence of a call"),
    };
    for (i, event) in path.iter().enumerate() {
        call.apply(*event, at(1_000 * (i as u64 + 1))).unwrap();
    }
    assert_eq!(call.phase(), phase);
    call
}

const LIVE: [Phase; 6] = [
    Phase::Ringing,
    Phase::Answering,
    Phase::Dialing,
    Phase::RemoteRinging,
    Phase::Connecting,
    Phase::Active,
];

const EVENTS: [CallEvent; 11] = [
    CallEvent::Answer,
    CallEvent::Reject,
    CallEvent::AnswerSent,
    CallEvent::RemoteRinging,
    CallEvent::RemoteAccepted,
    CallEvent::RemoteRejected,
    CallEvent::MediaConnected,
    CallEvent::Hangup,
    CallEvent::RemoteHangup,
    CallEvent::Timeout,
    CallEvent::Failed(FailureCause::MediaLost),
];

/// The whole transition table: `Some(next)` for legal pairs, `None` for refused ones.
fn expected(from: Phase, event: CallEvent) -> Option<Phase> {
    use CallEvent as E;
    use Phase as P;
    match (from, event) {
        (P::Ringing, E::Answer) => Some(P::Answering),
        (P::Ringing, E::Reject | E::Timeout | E::RemoteHangup | E::Failed(_)) => Some(P::Ended),
        (P::Answering, E::AnswerSent) => Some(P::Connecting),
        (P::Answering, E::Hangup | E::RemoteHangup | E::Timeout | E::Failed(_)) => Some(P::Ended),
        (P::Dialing, E::RemoteRinging) => Some(P::RemoteRinging),
        (P::Dialing | P::RemoteRinging, E::RemoteAccepted) => Some(P::Connecting),
        (
            P::Dialing | P::RemoteRinging,
            E::RemoteRejected | E::Hangup | E::RemoteHangup | E::Timeout | E::Failed(_),
        ) => Some(P::Ended),
        (P::Connecting, E::MediaConnected) => Some(P::Active),
        (P::Connecting, E::Hangup | E::RemoteHangup | E::Timeout | E::Failed(_)) => Some(P::Ended),
        (P::Active, E::Hangup | E::RemoteHangup | E::Failed(_)) => Some(P::Ended),
        _ => None,
    }
}

#[test]
fn every_state_event_pair_follows_the_transition_table() {
    let mut legal = 0;
    for from in LIVE {
        for event in EVENTS {
            let mut call = call_in(from);
            let before = call.clone();
            let result = call.apply(event, at(60_000));
            match expected(from, event) {
                Some(next) => {
                    legal += 1;
                    assert_eq!(result, Ok(next), "{from} + {event}");
                    assert_eq!(call.phase(), next);
                }
                None => {
                    let err = result.expect_err(&format!("{from} + {event} must be refused"));
                    assert!(matches!(err, TransitionError::Illegal { phase, .. } if phase == from));
                    assert_eq!(
                        call, before,
                        "a refused event must leave the call unchanged"
                    );
                }
            }
        }
    }
    // Guards against the table silently shrinking.
    assert_eq!(legal, 5 + 5 + 7 + 6 + 5 + 3);
}

#[test]
fn an_ended_call_refuses_everything_and_stays_ended() {
    for event in EVENTS {
        let mut call = call_in(Phase::Ended);
        let before = call.clone();
        assert_eq!(
            call.apply(event, at(60_000)),
            Err(TransitionError::AlreadyEnded { event })
        );
        assert_eq!(call, before);
    }
}

#[test]
fn refusals_say_why() {
    let mut call = call_in(Phase::Ringing);
    let err = call.apply(CallEvent::Hangup, at(5)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot hang up a call that is ringing: a ringing call is rejected, not hung up"
    );
    let mut ended = call_in(Phase::Ended);
    let err = ended.apply(CallEvent::Answer, at(5)).unwrap_err();
    assert_eq!(err.to_string(), "cannot answer: the call has already ended");
}

#[test]
fn inbound_call_lifecycle_measures_talk_time_from_media_connected() {
    let mut call = Call::offered(T0);
    assert_eq!(call.direction(), Direction::Inbound);
    call.apply(CallEvent::Answer, at(3_000)).unwrap();
    call.apply(CallEvent::AnswerSent, at(3_200)).unwrap();
    assert_eq!(call.talk_time(at(3_500)), Duration::ZERO);
    call.apply(CallEvent::MediaConnected, at(4_000)).unwrap();
    assert_eq!(call.talk_time(at(10_000)), Duration::from_secs(6));
    call.apply(CallEvent::RemoteHangup, at(94_000)).unwrap();

    let ended = call.ended().unwrap();
    assert_eq!(ended.reason, EndReason::RemoteHangup);
    assert_eq!(ended.direction, Direction::Inbound);
    assert_eq!(ended.started_at, T0);
    assert_eq!(ended.connected_at, Some(at(4_000)));
    assert_eq!(ended.ended_at, at(94_000));
    assert_eq!(ended.duration(), Duration::from_secs(90));
    // Frozen once ended, whatever the clock says.
    assert_eq!(call.talk_time(at(500_000)), Duration::from_secs(90));
}

#[test]
fn outbound_call_lifecycle_keeps_direction_through_connecting_and_active() {
    let mut call = Call::dial(T0);
    call.apply(CallEvent::RemoteRinging, at(1_000)).unwrap();
    call.apply(CallEvent::RemoteAccepted, at(9_000)).unwrap();
    assert_eq!(call.direction(), Direction::Outbound);
    call.apply(CallEvent::MediaConnected, at(9_500)).unwrap();
    assert_eq!(call.direction(), Direction::Outbound);
    call.apply(CallEvent::Hangup, at(69_500)).unwrap();
    let ended = call.ended().unwrap();
    assert_eq!(ended.reason, EndReason::LocalHangup);
    assert_eq!(ended.direction, Direction::Outbound);
    assert_eq!(ended.duration(), Duration::from_secs(60));
    assert!(ended.was_connected());
}

#[test]
fn calls_that_never_connect_have_zero_duration_and_a_fitting_reason() {
    let cases = [
        (Phase::Ringing, CallEvent::Reject, EndReason::Rejected),
        (Phase::Ringing, CallEvent::Timeout, EndReason::NotAnswered),
        (
            Phase::Ringing,
            CallEvent::RemoteHangup,
            EndReason::RemoteHangup,
        ),
        (
            Phase::Answering,
            CallEvent::Timeout,
            EndReason::Failed(FailureCause::ConnectTimeout),
        ),
        (Phase::Dialing, CallEvent::Hangup, EndReason::LocalHangup),
        (
            Phase::Dialing,
            CallEvent::RemoteRejected,
            EndReason::RemoteRejected,
        ),
        (
            Phase::RemoteRinging,
            CallEvent::Timeout,
            EndReason::NotAnswered,
        ),
        (
            Phase::Connecting,
            CallEvent::Timeout,
            EndReason::Failed(FailureCause::ConnectTimeout),
        ),
        (
            Phase::Connecting,
            CallEvent::Failed(FailureCause::AudioDevice),
            EndReason::Failed(FailureCause::AudioDevice),
        ),
    ];
    for (from, event, reason) in cases {
        let mut call = call_in(from);
        call.apply(event, at(50_000)).unwrap();
        let ended = call.ended().unwrap();
        assert_eq!(ended.reason, reason, "{from} + {event}");
        assert_eq!(ended.duration(), Duration::ZERO);
        assert!(!ended.was_connected());
        assert_eq!(ended.ended_at, at(50_000));
    }
}

#[test]
fn accepted_may_overtake_ringing_for_outbound_calls() {
    let mut call = Call::dial(T0);
    assert_eq!(
        call.apply(CallEvent::RemoteAccepted, at(100)),
        Ok(Phase::Connecting)
    );
    assert_eq!(call.direction(), Direction::Outbound);
}

#[test]
fn active_failure_keeps_the_talk_time_so_far() {
    let mut call = call_in(Phase::Active); // connected at T0 + 3 s
    call.apply(CallEvent::Failed(FailureCause::MediaLost), at(33_000))
        .unwrap();
    let ended = call.ended().unwrap();
    assert_eq!(ended.reason, EndReason::Failed(FailureCause::MediaLost));
    assert_eq!(ended.duration(), Duration::from_secs(30));
}

#[test]
fn idle_is_the_absence_of_a_call() {
    assert_eq!(Phase::of(None), Phase::Idle);
    assert_eq!(Phase::of(Some(&Call::offered(T0))), Phase::Ringing);
}

#[test]
fn typed_states_chain_without_the_runtime_wrapper() {
    // The compile-time path: an Active value can only come from Connecting.
    let active = Ringing::offered(T0)
        .answer()
        .answer_sent()
        .media_connected(at(2_000));
    assert_eq!(active.direction(), Direction::Inbound);
    let ended = active.hangup(at(12_000));
    assert_eq!(ended.duration(), Duration::from_secs(10));

    let active = Dialing::dial(T0)
        .remote_ringing()
        .remote_accepted()
        .media_connected(at(1_000));
    assert_eq!(active.direction(), Direction::Outbound);
}
