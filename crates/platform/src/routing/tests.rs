//! Routing outcomes on virtual time. Call hours have their own tests in `call_hours`.

use std::collections::BTreeSet;

use chrono::{TimeDelta, TimeZone, Utc, Weekday};
use protocol::{AgentId, PhoneNumber, Presence, RingOutcome, RoutedBecause, Timestamp};

use super::*;

/// Wednesday 2026-01-14 10:00:00 UTC plus `secs`.
fn t(secs: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 14, 10, 0, 0).unwrap() + TimeDelta::seconds(secs)
}

fn number() -> PhoneNumber {
    PhoneNumber::new("15550001111").unwrap()
}

fn id(name: &str) -> AgentId {
    AgentId::new(name).unwrap()
}

fn config() -> NumberRouting {
    NumberRouting {
        number: number(),
        calling_enabled: true,
        call_hours: None,
        auto_replies: AutoReplies {
            outside_office_hours: Some("We are closed".into()),
            all_agents_offline: Some("Nobody is here".into()),
            all_agents_busy: Some("All lines busy".into()),
        },
        timing: RingTiming::default(),
    }
}

/// Signed in, Available, idle, call operator of the number, never offered a call.
fn agent(name: &str) -> AgentState {
    AgentState {
        id: id(name),
        signed_in: true,
        presence: Presence::Available,
        busy: false,
        numbers: BTreeSet::from([number()]),
        last_offered_at: None,
    }
}

fn snapshot(agents: Vec<AgentState>) -> RoutingSnapshot {
    RoutingSnapshot {
        agents,
        ..RoutingSnapshot::default()
    }
}

fn ring(name: &str, because: RoutedBecause) -> RoutingDecision {
    RoutingDecision::Ring {
        agent: id(name),
        because,
    }
}

fn reject(status: RejectStatus, text: Option<&str>) -> RoutingDecision {
    RoutingDecision::Reject {
        status,
        auto_reply_text: text.map(str::to_owned),
    }
}

#[test]
fn calling_disabled_rejects_before_anything_else() {
    let mut config = config();
    config.calling_enabled = false;
    let decision = route(&config, &snapshot(vec![agent("ana")]), t(0));
    assert_eq!(decision, reject(RejectStatus::CallingDisabled, None));
}

#[test]
fn outside_call_hours_rejects_with_the_closed_text() {
    let mut config = config();
    let nine_to_five = TimeRange::parse("0900", "1700").unwrap();
    config.call_hours = Some(CallHours {
        timezone: chrono_tz::America::New_York,
        weekly: WeeklyHours::new([(Weekday::Wed, nine_to_five)]).unwrap(),
        holidays: BTreeSet::new(),
    });
    let agents = snapshot(vec![agent("ana")]);
    // 10:00 UTC is 05:00 in New York.
    assert_eq!(
        route(&config, &agents, t(0)),
        reject(RejectStatus::OutsideOfficeHours, Some("We are closed"))
    );
    // Five hours later it is 10:00 there.
    assert_eq!(
        route(&config, &agents, t(5 * 3600)),
        ring("ana", RoutedBecause::RoundRobin)
    );
}

#[test]
fn a_holiday_rejects_as_outside_office_hours() {
    let mut config = config();
    config.call_hours = Some(CallHours {
        timezone: chrono_tz::UTC,
        weekly: WeeklyHours::every_day(&[TimeRange::parse("0000", "2400").unwrap()]).unwrap(),
        holidays: BTreeSet::from([t(0).date_naive()]),
    });
    assert_eq!(
        route(&config, &snapshot(vec![agent("ana")]), t(0)),
        reject(RejectStatus::OutsideOfficeHours, Some("We are closed"))
    );
}

#[test]
fn the_conversation_agent_comes_first() {
    let mut snap = snapshot(vec![agent("ana"), agent("ben"), agent("cy")]);
    snap.conversation_agent = Some(id("cy"));
    snap.contact_owner = Some(id("ben"));
    assert_eq!(
        route(&config(), &snap, t(0)),
        ring("cy", RoutedBecause::OpenConversation)
    );
}

#[test]
fn the_contact_owner_comes_when_the_conversation_agent_is_not_eligible() {
    let mut cy = agent("cy");
    cy.busy = true;
    let mut snap = snapshot(vec![agent("ana"), agent("ben"), cy]);
    snap.conversation_agent = Some(id("cy"));
    snap.contact_owner = Some(id("ben"));
    assert_eq!(
        route(&config(), &snap, t(0)),
        ring("ben", RoutedBecause::ContactOwner)
    );
}

#[test]
fn round_robin_takes_the_least_recently_offered_and_never_offered_first() {
    let mut ana = agent("ana");
    ana.last_offered_at = Some(t(-60));
    let mut ben = agent("ben");
    ben.last_offered_at = Some(t(-600));
    assert_eq!(
        route(&config(), &snapshot(vec![ana.clone(), ben.clone()]), t(0)),
        ring("ben", RoutedBecause::RoundRobin)
    );
    let never = agent("zed");
    assert_eq!(
        route(&config(), &snapshot(vec![ana, ben, never]), t(0)),
        ring("zed", RoutedBecause::RoundRobin)
    );
}

#[test]
fn exclusion_removes_an_agent_from_round_robin_only() {
    let mut snap = snapshot(vec![agent("ana"), agent("ben")]);
    snap.excluded = BTreeSet::from([id("ana")]);
    assert_eq!(
        route(&config(), &snap, t(0)),
        ring("ben", RoutedBecause::RoundRobin)
    );
    // As the contact owner, the excluded agent still rings first.
    snap.contact_owner = Some(id("ana"));
    assert_eq!(
        route(&config(), &snap, t(0)),
        ring("ana", RoutedBecause::ContactOwner)
    );
}

#[test]
fn ineligible_agents_are_skipped() {
    let mut away = agent("ana");
    away.presence = Presence::Away;
    let mut signed_out = agent("ben");
    signed_out.signed_in = false;
    let mut other_number = agent("cy");
    other_number.numbers = BTreeSet::from([PhoneNumber::new("15559999999").unwrap()]);
    let mut busy = agent("dee");
    busy.busy = true;
    let snap = snapshot(vec![away, signed_out, other_number, busy, agent("eve")]);
    assert_eq!(
        route(&config(), &snap, t(0)),
        ring("eve", RoutedBecause::RoundRobin)
    );
}

#[test]
fn nobody_available_is_all_agents_offline() {
    let mut away = agent("ana");
    away.presence = Presence::Away;
    let mut signed_out = agent("ben");
    signed_out.signed_in = false;
    // Available, but not for this number: does not count.
    let mut other_number = agent("cy");
    other_number.numbers.clear();
    assert_eq!(
        route(
            &config(),
            &snapshot(vec![away, signed_out, other_number]),
            t(0)
        ),
        reject(RejectStatus::AllAgentsOffline, Some("Nobody is here"))
    );
    assert_eq!(
        route(&config(), &snapshot(vec![]), t(0)),
        reject(RejectStatus::AllAgentsOffline, Some("Nobody is here"))
    );
}

#[test]
fn an_agent_excluded_from_round_robin_does_not_count_as_available() {
    let mut snap = snapshot(vec![agent("ana")]);
    snap.excluded = BTreeSet::from([id("ana")]);
    assert_eq!(
        route(&config(), &snap, t(0)),
        reject(RejectStatus::AllAgentsOffline, Some("Nobody is here"))
    );
    // Unless the agent is one the call goes to first, who is then merely busy.
    snap.agents[0].busy = true;
    snap.conversation_agent = Some(id("ana"));
    assert_eq!(
        route(&config(), &snap, t(0)),
        reject(RejectStatus::AllAgentsBusy, Some("All lines busy"))
    );
}

#[test]
fn everyone_available_busy_is_all_agents_busy() {
    let mut ana = agent("ana");
    ana.busy = true;
    let mut ben = agent("ben");
    ben.presence = Presence::Offline;
    let decision = route(&config(), &snapshot(vec![ana, ben]), t(0));
    assert_eq!(
        decision,
        reject(RejectStatus::AllAgentsBusy, Some("All lines busy"))
    );
    assert_eq!(
        RejectStatus::AllAgentsBusy.call_status(),
        protocol::CallStatus::AllAgentsBusy
    );
}

// --- ring sequence ---

fn ring_step(name: &str, because: RoutedBecause, until: i64) -> RingStep {
    RingStep::Ring {
        agent: id(name),
        because,
        until: t(until),
    }
}

#[test]
fn timeout_moves_to_the_next_agent_then_the_window_closes_as_missed() {
    let config = config();
    let mut ana = agent("ana");
    ana.last_offered_at = Some(t(-100));
    let mut ben = agent("ben");
    ben.last_offered_at = Some(t(-50));
    let snap = snapshot(vec![ana, ben, agent("cy")]);
    let mut seq = RingSequence::new(t(0));

    // cy was never offered a call: first in round robin.
    let step = seq.next(&config, &snap, t(0)).unwrap();
    assert_eq!(step, ring_step("cy", RoutedBecause::RoundRobin, 20));
    seq.ring_ended(&id("cy"), RingOutcome::TimedOut, t(20))
        .unwrap();

    // 20 s of the 40 s window left: a full ring for ana.
    let step = seq.next(&config, &snap, t(20)).unwrap();
    assert_eq!(step, ring_step("ana", RoutedBecause::RoundRobin, 40));
    seq.ring_ended(&id("ana"), RingOutcome::TimedOut, t(40))
        .unwrap();

    // The window is closed although ben was never rung.
    assert_eq!(seq.next(&config, &snap, t(40)).unwrap(), RingStep::Missed);
    let rung: Vec<_> = seq
        .attempts()
        .iter()
        .map(|a| (a.agent_id.as_str(), a.outcome, a.ended_at))
        .collect();
    assert_eq!(
        rung,
        [
            ("cy", RingOutcome::TimedOut, Some(t(20))),
            ("ana", RingOutcome::TimedOut, Some(t(40)))
        ]
    );
}

#[test]
fn a_reject_moves_on_and_the_last_ring_is_cut_to_the_window() {
    let config = config();
    let mut snap = snapshot(vec![agent("ana"), agent("ben"), agent("cy")]);
    snap.conversation_agent = Some(id("cy"));
    let mut seq = RingSequence::new(t(0));

    assert_eq!(
        seq.next(&config, &snap, t(0)).unwrap(),
        ring_step("cy", RoutedBecause::OpenConversation, 20)
    );
    seq.ring_ended(&id("cy"), RingOutcome::Rejected, t(5))
        .unwrap();
    // cy rejected: not rung again although still first in the order.
    assert_eq!(
        seq.next(&config, &snap, t(5)).unwrap(),
        ring_step("ana", RoutedBecause::RoundRobin, 25)
    );
    seq.ring_ended(&id("ana"), RingOutcome::TimedOut, t(25))
        .unwrap();
    // 15 s left, more than the 10 s shortest ring: ben rings until the window closes.
    assert_eq!(
        seq.next(&config, &snap, t(25)).unwrap(),
        ring_step("ben", RoutedBecause::RoundRobin, 40)
    );
}

#[test]
fn less_than_the_shortest_ring_left_is_missed() {
    let config = config();
    let snap = snapshot(vec![agent("ana"), agent("ben")]);
    let mut seq = RingSequence::new(t(0));
    seq.next(&config, &snap, t(0)).unwrap();
    seq.ring_ended(&id("ana"), RingOutcome::Rejected, t(31))
        .unwrap();
    // 9 s left < 10 s.
    assert_eq!(seq.next(&config, &snap, t(31)).unwrap(), RingStep::Missed);
    // Even a first ring needs room: a call handled too late is missed.
    let mut late = RingSequence::new(t(0));
    assert_eq!(late.next(&config, &snap, t(35)).unwrap(), RingStep::Missed);
}

#[test]
fn everyone_rung_is_missed_not_busy() {
    let config = config();
    let snap = snapshot(vec![agent("ana")]);
    let mut seq = RingSequence::new(t(0));
    seq.next(&config, &snap, t(0)).unwrap();
    seq.ring_ended(&id("ana"), RingOutcome::Rejected, t(3))
        .unwrap();
    assert_eq!(seq.next(&config, &snap, t(3)).unwrap(), RingStep::Missed);
}

#[test]
fn the_first_step_reports_routing_refusals() {
    let mut config = config();
    config.calling_enabled = false;
    let mut seq = RingSequence::new(t(0));
    assert_eq!(
        seq.next(&config, &snapshot(vec![agent("ana")]), t(0))
            .unwrap(),
        RingStep::Reject {
            status: RejectStatus::CallingDisabled,
            auto_reply_text: None
        }
    );
    assert!(seq.attempts().is_empty());
}

#[test]
fn a_configured_accept_window_and_ring_timeout_are_used() {
    let mut config = config();
    config.timing = RingTiming::new(
        TimeDelta::seconds(15),
        TimeDelta::seconds(60),
        TimeDelta::seconds(5),
    )
    .unwrap();
    let snap = snapshot(vec![agent("ana"), agent("ben"), agent("cy"), agent("dee")]);
    let mut seq = RingSequence::new(t(0));
    let mut rung = Vec::new();
    let mut now = t(0);
    while let RingStep::Ring { agent, until, .. } = seq.next(&config, &snap, now).unwrap() {
        seq.ring_ended(&agent, RingOutcome::TimedOut, until)
            .unwrap();
        rung.push((agent.to_string(), (until - t(0)).num_seconds()));
        now = until;
    }
    // Four 15 s rings fill the 60 s window exactly.
    assert_eq!(
        rung,
        [
            ("ana".into(), 15),
            ("ben".into(), 30),
            ("cy".into(), 45),
            ("dee".into(), 60)
        ]
    );
}

#[test]
fn misordered_reports_are_refused() {
    let config = config();
    let snap = snapshot(vec![agent("ana"), agent("ben")]);
    let mut seq = RingSequence::new(t(0));
    seq.next(&config, &snap, t(0)).unwrap();
    assert_eq!(
        seq.next(&config, &snap, t(1)),
        Err(RingSequenceError::StillRinging(id("ana")))
    );
    assert_eq!(
        seq.ring_ended(&id("ben"), RingOutcome::Rejected, t(1)),
        Err(RingSequenceError::NotRinging { agent: id("ben") })
    );
    assert_eq!(
        seq.ring_ended(&id("ana"), RingOutcome::Ringing, t(1)),
        Err(RingSequenceError::NotAnEnd)
    );
    seq.ring_ended(&id("ana"), RingOutcome::Accepted, t(4))
        .unwrap();
    assert_eq!(
        seq.next(&config, &snap, t(5)),
        Err(RingSequenceError::AlreadyAnswered(id("ana")))
    );
    // A second report of the same end (a duplicate event) is refused, not double-counted.
    assert_eq!(
        seq.ring_ended(&id("ana"), RingOutcome::Rejected, t(6)),
        Err(RingSequenceError::NotRinging { agent: id("ana") })
    );
}
