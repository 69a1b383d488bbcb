//! Properties of [`RingSequence`], driven the way the switchboard drives it: random ring timings,
//! random agents (signed in or not, Available or not, busy or not, call operators of the number
//! or not, excluded or not, conversation agent / contact owner), rings ending at random times in
//! random ways, and agents changing between rings.
//!
//! Invariants checked on every run:
//! - nobody is rung twice for one call;
//! - every ring ends by Meta's accept window and lasts at least the shortest ring and at most the
//!   ring timeout;
//! - whoever rings was eligible at that moment, for the reason given (round robin never rings an
//!   excluded agent, and takes the least recently offered);
//! - the call is `Missed` (or rejected as busy/offline) only when nobody eligible was left or the
//!   window had no room for another ring;
//! - at most one attempt is `Ringing` and it is the last; after an accept nothing more rings.

use std::collections::BTreeSet;

use chrono::{TimeDelta, TimeZone, Utc};
use proptest::prelude::*;
use protocol::{AgentId, PhoneNumber, Presence, RingOutcome, RoutedBecause, Timestamp};

use super::*;

fn number() -> PhoneNumber {
    PhoneNumber::new("15550001111").unwrap()
}

fn other_number() -> PhoneNumber {
    PhoneNumber::new("15550002222").unwrap()
}

fn offered_at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 29, 0, 59, 0).unwrap()
}

/// How one ring ends, as the driver reports it.
#[derive(Debug, Clone, Copy)]
enum End {
    Accepted,
    Rejected,
    TimedOut,
    /// The agent went away while ringing.
    Cancelled,
}

/// What changes about one agent between two rings.
#[derive(Debug, Clone, Copy)]
enum Change {
    Nothing,
    GoesAway,
    ComesBack,
    BecomesBusy,
    BecomesIdle,
}

#[derive(Debug, Clone)]
struct Ring {
    end: End,
    /// Fraction (0..=1000 per mille) of the ring's length after which it ends (ignored for
    /// `TimedOut`, which ends at `until`).
    after_per_mille: i64,
    change: Change,
    change_whom: usize,
}

#[derive(Debug, Clone)]
struct Scenario {
    timing: RingTiming,
    agents: Vec<AgentState>,
    excluded: BTreeSet<AgentId>,
    conversation_agent: Option<AgentId>,
    contact_owner: Option<AgentId>,
    /// Seconds between the connect webhook and routing.
    routing_delay: i64,
    rings: Vec<Ring>,
}

fn timing() -> impl Strategy<Value = RingTiming> {
    (1_i64..=60, 1_i64..=90, 1_i64..=30).prop_filter_map(
        "min ring must fit the timeout and the window",
        |(ring_timeout, accept_window, min_ring)| {
            RingTiming::new(
                TimeDelta::seconds(ring_timeout),
                TimeDelta::seconds(accept_window),
                TimeDelta::seconds(min_ring),
            )
            .ok()
        },
    )
}

fn agent(index: usize) -> impl Strategy<Value = AgentState> {
    (
        prop::bool::weighted(0.8),
        prop::sample::select(vec![Presence::Available, Presence::Away, Presence::Offline]),
        prop::bool::weighted(0.2),
        prop::sample::select(vec![
            vec![number()],
            vec![other_number()],
            vec![number(), other_number()],
            vec![],
        ]),
        prop::option::of(0_i64..100_000),
    )
        .prop_map(
            move |(signed_in, presence, busy, numbers, offered_secs_ago)| AgentState {
                id: AgentId::new(format!("agent-{index}")).unwrap(),
                signed_in,
                presence,
                busy,
                numbers: numbers.into_iter().collect(),
                last_offered_at: offered_secs_ago
                    .map(|secs| offered_at() - TimeDelta::seconds(secs)),
            },
        )
}

fn agents() -> impl Strategy<Value = Vec<AgentState>> {
    (0_usize..=7).prop_flat_map(|count| (0..count).map(agent).collect::<Vec<_>>())
}

fn ring() -> impl Strategy<Value = Ring> {
    (
        prop::sample::select(vec![
            End::Accepted,
            End::Rejected,
            End::TimedOut,
            End::Cancelled,
        ]),
        0_i64..=1000,
        prop::sample::select(vec![
            Change::Nothing,
            Change::GoesAway,
            Change::ComesBack,
            Change::BecomesBusy,
            Change::BecomesIdle,
        ]),
        0_usize..8,
    )
        .prop_map(|(end, after_per_mille, change, change_whom)| Ring {
            end,
            after_per_mille,
            change,
            change_whom,
        })
}

/// Picks an id among the agents (or one nobody has), for the conversation agent / owner.
fn some_agent_id() -> impl Strategy<Value = Option<AgentId>> {
    prop::option::of((0_usize..9).prop_map(|i| AgentId::new(format!("agent-{i}")).unwrap()))
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        timing(),
        agents(),
        prop::collection::btree_set(
            (0_usize..8).prop_map(|i| AgentId::new(format!("agent-{i}")).unwrap()),
            0..4,
        ),
        some_agent_id(),
        some_agent_id(),
        0_i64..=20,
        prop::collection::vec(ring(), 0..10),
    )
        .prop_map(
            |(
                timing,
                agents,
                excluded,
                conversation_agent,
                contact_owner,
                routing_delay,
                rings,
            )| {
                Scenario {
                    timing,
                    agents,
                    excluded,
                    conversation_agent,
                    contact_owner,
                    routing_delay,
                    rings,
                }
            },
        )
}

/// Who could ring now: eligible, not rung yet, and either outside the exclusion list or the
/// conversation's agent / the contact owner (whom exclusion does not affect).
fn candidates(snapshot: &RoutingSnapshot, rung: &BTreeSet<AgentId>) -> Vec<AgentId> {
    snapshot
        .agents
        .iter()
        .filter(|a| a.is_eligible_for(&number()) && !rung.contains(&a.id))
        .filter(|a| {
            !snapshot.excluded.contains(&a.id)
                || snapshot.conversation_agent.as_ref() == Some(&a.id)
                || snapshot.contact_owner.as_ref() == Some(&a.id)
        })
        .map(|a| a.id.clone())
        .collect()
}

fn apply_change(snapshot: &mut RoutingSnapshot, change: Change, whom: usize) {
    let Some(agent) = snapshot.agents.get_mut(whom) else {
        return;
    };
    match change {
        Change::Nothing => {}
        Change::GoesAway => agent.presence = Presence::Away,
        Change::ComesBack => {
            agent.signed_in = true;
            agent.presence = Presence::Available;
        }
        Change::BecomesBusy => agent.busy = true,
        Change::BecomesIdle => agent.busy = false,
    }
}

/// Checks a `Ring` step against the snapshot it was chosen from.
fn check_ring(
    scenario: &Scenario,
    snapshot: &RoutingSnapshot,
    rung: &BTreeSet<AgentId>,
    now: Timestamp,
    step: (&AgentId, RoutedBecause, Timestamp),
) -> Result<(), TestCaseError> {
    let (agent, because, until) = step;
    let deadline = offered_at() + scenario.timing.accept_window();
    prop_assert!(!rung.contains(agent), "{agent} rung twice");
    prop_assert!(
        until <= deadline,
        "ring until {until} past the window {deadline}"
    );
    prop_assert!(
        until - now >= scenario.timing.min_ring(),
        "ring shorter than the minimum"
    );
    prop_assert!(
        until - now <= scenario.timing.ring_timeout(),
        "ring longer than the timeout"
    );
    let state = snapshot.agent(agent).expect("rings a known agent");
    prop_assert!(state.is_eligible_for(&number()), "{agent} was not eligible");
    let could = candidates(snapshot, rung);
    match because {
        RoutedBecause::OpenConversation => {
            prop_assert_eq!(Some(agent), snapshot.conversation_agent.as_ref());
        }
        RoutedBecause::ContactOwner => {
            prop_assert_eq!(Some(agent), snapshot.contact_owner.as_ref());
            let conversation_agent_could = snapshot
                .conversation_agent
                .as_ref()
                .is_some_and(|id| could.contains(id));
            prop_assert!(
                !conversation_agent_could,
                "skipped the conversation's agent"
            );
        }
        RoutedBecause::RoundRobin => {
            prop_assert!(
                !snapshot.excluded.contains(agent),
                "round robin rang an excluded agent"
            );
            for preferred in [&snapshot.conversation_agent, &snapshot.contact_owner] {
                let skipped = preferred.as_ref().is_some_and(|id| could.contains(id));
                prop_assert!(!skipped, "round robin before a preferred agent");
            }
            let key = |a: &AgentState| (a.last_offered_at, a.id.clone());
            for other in could.iter().filter(|id| !snapshot.excluded.contains(id)) {
                let other = snapshot.agent(other).expect("a candidate is known");
                prop_assert!(
                    key(state) <= key(other),
                    "{} offered less recently",
                    other.id
                );
            }
        }
    }
    Ok(())
}

fn run_scenario(scenario: Scenario) -> Result<(), TestCaseError> {
    let config = NumberRouting {
        number: number(),
        calling_enabled: true,
        call_hours: None,
        auto_replies: AutoReplies::default(),
        timing: scenario.timing,
    };
    let mut snapshot = RoutingSnapshot {
        agents: scenario.agents.clone(),
        excluded: scenario.excluded.clone(),
        conversation_agent: scenario.conversation_agent.clone(),
        contact_owner: scenario.contact_owner.clone(),
    };
    let mut sequence = RingSequence::new(offered_at());
    let mut now = offered_at() + TimeDelta::seconds(scenario.routing_delay);
    let mut rung = BTreeSet::new();
    let mut rings = scenario.rings.iter();
    let mut answered = false;

    // Each ring ends (or the call does) before the next step, so this loop is bounded by the
    // number of agents; the bound is asserted.
    for _ in 0..=scenario.agents.len() {
        let remaining = sequence.accept_deadline(&config) - now;
        let step = sequence
            .next(&config, &snapshot, now)
            .expect("a driver in order");
        match step {
            RingStep::Ring {
                agent,
                because,
                until,
            } => {
                check_ring(&scenario, &snapshot, &rung, now, (&agent, because, until))?;
                rung.insert(agent.clone());
                // The switchboard marks the agent as offered and busy while it rings.
                if let Some(state) = snapshot.agents.iter_mut().find(|a| a.id == agent) {
                    state.last_offered_at = Some(now);
                }
                let Some(ring) = rings.next() else {
                    return Ok(());
                };
                let (outcome, at) = match ring.end {
                    End::TimedOut => (RingOutcome::TimedOut, until),
                    end => {
                        let at = now + (until - now) * ring.after_per_mille as i32 / 1000;
                        let outcome = match end {
                            End::Accepted => RingOutcome::Accepted,
                            End::Rejected => RingOutcome::Rejected,
                            _ => RingOutcome::Cancelled,
                        };
                        (outcome, at)
                    }
                };
                sequence
                    .ring_ended(&agent, outcome, at)
                    .expect("the ringing agent ends");
                now = at;
                apply_change(&mut snapshot, ring.change, ring.change_whom);
                if outcome == RingOutcome::Accepted {
                    answered = true;
                    break;
                }
            }
            RingStep::Missed => {
                let nobody_left = candidates(&snapshot, &rung).is_empty();
                prop_assert!(
                    nobody_left || remaining < config.timing.min_ring(),
                    "missed with {:?} eligible and {remaining} left",
                    candidates(&snapshot, &rung)
                );
                break;
            }
            RingStep::Reject { status, .. } => {
                prop_assert!(rung.is_empty(), "a reject after a ring");
                prop_assert!(
                    candidates(&snapshot, &rung).is_empty(),
                    "rejected {status:?} with someone eligible"
                );
                break;
            }
        }
    }

    let attempts = sequence.attempts();
    let ids: BTreeSet<&AgentId> = attempts.iter().map(|a| &a.agent_id).collect();
    prop_assert_eq!(
        ids.len(),
        attempts.len(),
        "an agent appears twice on the record"
    );
    prop_assert!(attempts.len() <= scenario.agents.len());
    let ringing = attempts
        .iter()
        .filter(|a| a.outcome == RingOutcome::Ringing)
        .count();
    prop_assert!(ringing == 0, "the driver ended every ring");
    if answered {
        prop_assert_eq!(
            attempts.last().map(|a| a.outcome),
            Some(RingOutcome::Accepted)
        );
        prop_assert!(matches!(
            sequence.next(&config, &snapshot, now),
            Err(RingSequenceError::AlreadyAnswered(_))
        ));
    }
    Ok(())
}

proptest! {
    #[test]
    fn ring_sequences_keep_their_invariants(scenario in scenario()) {
        run_scenario(scenario)?;
    }
}
