//! The call machine on virtual time: every timer and every Graph answer is an input the test
//! feeds at the instant it chooses, so 20 s rings and 40 s windows take microseconds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use protocol::{
    AcceptCall, CallState, CallStatus, ClientMessage, Customer, Hangup, MediaReady, Party,
    PhoneNumber, RejectCall, ReplyResult, RequestId, RingOutcome, Sdp, ServerMessage, Timestamp,
};

use super::effect::{Effect, GraphStep, Write};
use super::input::{CallParts, ConnectFacts, Input, LeftOpen, TerminateFacts, Timer, TimerKind};
use super::machine::{CallMachine, RING_GRACE};
use crate::config::Settings;
use crate::graph::GraphFailure;
use crate::store::agents::{Agent, Role};

const OFFER: &str =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
const ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:active\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1 cname:agent\r\n";

/// A machine with default timers (ring 20 s, accept window 40 s, media-ready bound 5 s), a
/// virtual clock, and what it did.
struct Rig {
    machine: CallMachine,
    now: Timestamp,
    connection: u64,
    requests: u64,
}

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap()
}

impl Rig {
    fn new() -> Self {
        let env: HashMap<String, String> = [("HOME".to_owned(), "/tmp".to_owned())].into();
        let settings = Settings::from_toml("", &env).unwrap();
        let timing = crate::config::ring_timing(&settings.timers).unwrap();
        Self {
            machine: CallMachine::new(Arc::new(settings), timing, []),
            now: t0(),
            connection: 0,
            requests: 0,
        }
    }

    fn at(&mut self, secs: f64) {
        self.now = t0() + TimeDelta::milliseconds((secs * 1000.0) as i64);
    }

    fn feed(&mut self, input: Input) -> Vec<Effect> {
        self.machine.handle(input, self.now)
    }

    fn sign_in(&mut self, name: &str) -> u64 {
        self.connection += 1;
        let agent = Agent {
            id: format!("id-{name}"),
            name: name.to_owned(),
            role: Role::Agent,
            team: None,
            created_at: 0,
            revoked_at: None,
        };
        let effects = self.feed(Input::AgentConnected {
            agent,
            connection_id: self.connection,
        });
        assert!(sent(&effects, &format!("id-{name}"))
            .iter()
            .any(|m| matches!(m, ServerMessage::Hello(_))));
        self.connection
    }

    fn connect(&mut self, call_id: &str, meta_sent_at: Timestamp) -> Vec<Effect> {
        self.feed(Input::Connect(Box::new(ConnectFacts {
            call_id: call_id.to_owned(),
            parts: Some(parts()),
            event_at: Some(meta_sent_at),
            received_at: None,
            offer: Ok(Sdp::new(OFFER).unwrap()),
            known: false,
            number_configured: true,
            conversation_agent: None,
            contact_owner: None,
        })))
    }

    fn from(&mut self, agent: &str, connection_id: u64, message: ClientMessage) -> Vec<Effect> {
        self.feed(Input::FromAgent {
            agent_id: format!("id-{agent}"),
            connection_id,
            message,
        })
    }

    fn request_id(&mut self) -> RequestId {
        self.requests += 1;
        RequestId::new(format!("r{}", self.requests)).unwrap()
    }

    fn accept(&mut self, agent: &str, connection_id: u64, call_id: &str) -> Vec<Effect> {
        let request_id = self.request_id();
        self.from(
            agent,
            connection_id,
            ClientMessage::AcceptCall(AcceptCall {
                request_id,
                call_id: protocol::CallId::new(call_id).unwrap(),
                sdp_answer: Sdp::new(ANSWER).unwrap(),
            }),
        )
    }

    fn graph_ok(&mut self, call_id: &str, step: GraphStep) -> Vec<Effect> {
        self.feed(Input::GraphDone {
            call_id: call_id.to_owned(),
            step,
            result: Ok(None),
        })
    }
}

/// Meta's terminate of a call the customer hung up, with what the store knows (`stored`).
fn hung_up(
    call_id: &str,
    direction: protocol::Direction,
    event_at: Timestamp,
    stored: Option<bool>,
) -> Input {
    Input::Terminate(Box::new(TerminateFacts {
        call_id: call_id.into(),
        parts: Some(parts()),
        direction,
        event_at: Some(event_at),
        ended_at: None,
        duration_secs: None,
        failed: false,
        meta_error_code: None,
        stored,
    }))
}

fn parts() -> CallParts {
    CallParts {
        phone_number_id: "100".into(),
        business_number: PhoneNumber::new("15550109999").unwrap(),
        customer: Customer {
            number: PhoneNumber::new("15550100001").unwrap(),
            profile_name: Some("Ada".into()),
        },
    }
}

fn sent(effects: &[Effect], agent_id: &str) -> Vec<ServerMessage> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Send {
                agent_id: to,
                message,
            } if to == agent_id => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn graph(effects: &[Effect]) -> Vec<GraphStep> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Graph { step, .. } => Some(step.clone()),
            _ => None,
        })
        .collect()
}

fn armed(effects: &[Effect], kind: TimerKind) -> Option<(Timer, Timestamp)> {
    effects.iter().find_map(|effect| match effect {
        Effect::Arm { timer, at } if timer.kind == kind => Some((timer.clone(), *at)),
        _ => None,
    })
}

fn finished(effects: &[Effect]) -> Vec<crate::store::calls::CallEnd> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Store(Write::FinishCall { end, .. }) => Some(end.clone()),
            _ => None,
        })
        .collect()
}

fn rings(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Store(Write::AddRing { agent_id, .. }) => Some(agent_id.clone()),
            _ => None,
        })
        .collect()
}

fn ring_outcomes(effects: &[Effect]) -> Vec<(String, RingOutcome)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Store(Write::EndRing {
                agent_id, outcome, ..
            }) => Some((agent_id.clone(), *outcome)),
            _ => None,
        })
        .collect()
}

fn replies(effects: &[Effect], agent_id: &str) -> Vec<ReplyResult> {
    sent(effects, agent_id)
        .into_iter()
        .filter_map(|m| match m {
            ServerMessage::Reply(reply) => Some(reply.result),
            _ => None,
        })
        .collect()
}

#[test]
fn ring_timeout_moves_to_the_next_agent_and_the_accept_window_ends_the_call() {
    let mut rig = Rig::new();
    rig.sign_in("ana");
    rig.sign_in("bob");
    let effects = rig.connect("c1", t0());
    let first = rings(&effects);
    assert_eq!(first.len(), 1, "one agent rings at a time");
    let (timer, at) = armed(&effects, TimerKind::Ring).expect("ring timer");
    assert_eq!(at, t0() + TimeDelta::seconds(20), "ring timeout");

    // The timer firing early (a stale generation would too) does nothing before its phase
    // changes; at 20 s the next agent rings, for what is left of the 40 s window.
    rig.at(20.0);
    let effects = rig.feed(Input::Timer(timer));
    assert_eq!(
        ring_outcomes(&effects),
        vec![(first[0].clone(), RingOutcome::TimedOut)]
    );
    let second = rings(&effects);
    assert_eq!(second.len(), 1);
    assert_ne!(second, first);
    assert!(sent(&effects, &first[0])
        .iter()
        .any(|m| matches!(m, ServerMessage::CallCancelled(_))));
    let (timer, at) = armed(&effects, TimerKind::Ring).unwrap();
    assert_eq!(
        at,
        t0() + TimeDelta::seconds(40),
        "cut short by the accept window"
    );

    rig.at(40.0);
    let effects = rig.feed(Input::Timer(timer));
    let ends = finished(&effects);
    assert_eq!(ends.len(), 1);
    assert_eq!(ends[0].status, CallStatus::Missed);
    assert_eq!(graph(&effects), vec![GraphStep::Reject], "Meta is told");
    assert!(
        rings(&effects).is_empty(),
        "nobody rung past the accept window"
    );
    assert_eq!(rig.machine.live_calls(), 0);
    assert!(!rig.machine.is_busy(&first[0]) && !rig.machine.is_busy(&second[0]));
}

#[test]
fn a_connect_that_waited_past_the_accept_window_rings_nobody_and_is_rejected() {
    let mut rig = Rig::new();
    rig.sign_in("ana");
    rig.at(39.0); // Meta sent it 39 s ago: no room for the shortest ring.
    let effects = rig.connect("c1", t0());
    assert!(rings(&effects).is_empty());
    assert_eq!(finished(&effects)[0].status, CallStatus::Missed);
    assert_eq!(graph(&effects), vec![GraphStep::Reject]);

    // An hour late, Meta gave up on it long ago: recorded as missed, nothing sent to Meta.
    rig.at(3600.0);
    let effects = rig.connect("c2", t0());
    assert_eq!(finished(&effects)[0].status, CallStatus::Missed);
    assert!(graph(&effects).is_empty() && rings(&effects).is_empty());
}

#[test]
fn a_stale_timer_does_nothing() {
    let mut rig = Rig::new();
    let conn = rig.sign_in("ana");
    let effects = rig.connect("c1", t0());
    let (ring_timer, _) = armed(&effects, TimerKind::Ring).unwrap();
    rig.accept("ana", conn, "c1");
    rig.at(20.0);
    let effects = rig.feed(Input::Timer(ring_timer));
    assert!(
        effects.is_empty(),
        "the ring timer of an accepted call is stale: {effects:?}"
    );
}

#[test]
fn accept_waits_for_meta_then_media_ready_then_accept_and_the_bound_accepts_anyway() {
    let mut rig = Rig::new();
    let conn = rig.sign_in("ana");
    rig.connect("c1", t0());
    rig.at(2.0);
    let effects = rig.accept("ana", conn, "c1");
    assert_eq!(
        graph(&effects),
        vec![GraphStep::PreAccept {
            answer: ANSWER.into()
        }]
    );
    assert!(
        replies(&effects, "id-ana").is_empty(),
        "answered once Meta answers"
    );
    assert_eq!(
        ring_outcomes(&effects),
        vec![("id-ana".into(), RingOutcome::Accepted)]
    );

    rig.at(3.0);
    let effects = rig.graph_ok(
        "c1",
        GraphStep::PreAccept {
            answer: ANSWER.into(),
        },
    );
    assert!(matches!(
        replies(&effects, "id-ana")[..],
        [ReplyResult::Ok { .. }]
    ));
    let (bound, at) = armed(&effects, TimerKind::MediaReady).unwrap();
    assert_eq!(
        at,
        t0() + TimeDelta::seconds(8),
        "media-ready bound: 5 s after pre_accept"
    );

    // No media_ready: at the bound, Meta is asked to accept anyway.
    rig.at(8.0);
    let effects = rig.feed(Input::Timer(bound));
    assert_eq!(
        graph(&effects),
        vec![GraphStep::Accept {
            answer: ANSWER.into()
        }]
    );
    assert!(
        sent(&effects, "id-ana").is_empty(),
        "media starts only once Meta accepted"
    );

    rig.at(8.5);
    let effects = rig.graph_ok(
        "c1",
        GraphStep::Accept {
            answer: ANSWER.into(),
        },
    );
    let messages = sent(&effects, "id-ana");
    assert!(matches!(messages[0], ServerMessage::StartMedia(_)));
    assert!(matches!(
        &messages[1],
        ServerMessage::CallUpdate(update) if matches!(update.state, CallState::Accepted { .. })
    ));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Store(Write::AnswerCall { .. }))));

    // The agent hangs up 60 s later: completed, 60 s, terminate with Meta.
    rig.at(68.5);
    let request_id = rig.request_id();
    let effects = rig.from(
        "ana",
        conn,
        ClientMessage::Hangup(Hangup {
            request_id,
            call_id: protocol::CallId::new("c1").unwrap(),
        }),
    );
    let end = &finished(&effects)[0];
    assert_eq!(
        (end.status, end.duration_secs, end.ended_by),
        (CallStatus::Completed, Some(60), Some(Party::Agent))
    );
    assert_eq!(graph(&effects), vec![GraphStep::Terminate]);
    assert!(!rig.machine.is_busy("id-ana"));
}

#[test]
fn media_ready_before_metas_pre_accept_answer_is_remembered() {
    let mut rig = Rig::new();
    let conn = rig.sign_in("ana");
    rig.connect("c1", t0());
    rig.accept("ana", conn, "c1");
    let request_id = rig.request_id();
    let effects = rig.from(
        "ana",
        conn,
        ClientMessage::MediaReady(MediaReady {
            request_id,
            call_id: protocol::CallId::new("c1").unwrap(),
        }),
    );
    assert!(
        graph(&effects).is_empty(),
        "accept waits for pre_accept's answer"
    );
    let effects = rig.graph_ok(
        "c1",
        GraphStep::PreAccept {
            answer: ANSWER.into(),
        },
    );
    assert_eq!(
        graph(&effects),
        vec![GraphStep::Accept {
            answer: ANSWER.into()
        }]
    );
}

#[test]
fn a_slow_meta_holds_up_only_its_own_call() {
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    rig.sign_in("bob");
    rig.connect("c1", t0());
    let ana_call = if rig.machine.is_busy("id-ana") {
        "c1"
    } else {
        "c2"
    };
    rig.connect("c2", t0());
    // Ana accepts; Meta does not answer the pre_accept for a long time. Meanwhile the other
    // call's ring times out, moves on and ends, and a new call arrives and rings at once.
    let effects = rig.accept("ana", ana, ana_call);
    assert_eq!(graph(&effects).len(), 1);
    let other = if ana_call == "c1" { "c2" } else { "c1" };
    rig.at(1.0);
    let effects = rig.feed(hung_up(
        other,
        protocol::Direction::Inbound,
        rig.now,
        Some(false),
    ));
    assert_eq!(finished(&effects)[0].status, CallStatus::Missed);
    let effects = rig.connect("c3", rig.now);
    assert_eq!(
        rings(&effects),
        vec!["id-bob".to_owned()],
        "bob is free again and rings"
    );

    // Meta finally refuses the pre_accept: that call fails, ana hears why, Meta is told.
    rig.at(10.0);
    let effects = rig.feed(Input::GraphDone {
        call_id: ana_call.into(),
        step: GraphStep::PreAccept {
            answer: ANSWER.into(),
        },
        result: Err(GraphFailure::Meta {
            code: 138006,
            message: "no".into(),
        }),
    });
    let end = &finished(&effects)[0];
    assert_eq!(
        (end.status, end.meta_error_code),
        (CallStatus::Failed, Some(138006))
    );
    assert!(matches!(
        replies(&effects, "id-ana")[..],
        [ReplyResult::Error(_)]
    ));
    assert_eq!(graph(&effects), vec![GraphStep::Reject]);
    assert!(!rig.machine.is_busy("id-ana"));
}

#[test]
fn a_ringing_agent_who_drops_keeps_the_ring_for_the_grace_period() {
    let mut rig = Rig::new();
    let first = rig.sign_in("ana");
    rig.sign_in("bob");
    let effects = rig.connect("c1", t0());
    let rung = rings(&effects)[0].clone();
    let name = rung.trim_start_matches("id-").to_owned();
    let connection = if name == "ana" { first } else { first + 1 };

    rig.at(1.0);
    let effects = rig.feed(Input::AgentDisconnected {
        agent_id: rung.clone(),
        connection_id: connection,
    });
    let (grace, at) = armed(&effects, TimerKind::RingGrace).expect("grace timer");
    assert_eq!(at - rig.now, TimeDelta::from_std(RING_GRACE).unwrap());
    assert!(rings(&effects).is_empty(), "nobody else rings yet");

    // Back within the grace period: the hello carries the ring again, and the grace timer
    // finds them back.
    rig.at(2.0);
    rig.connection += 1;
    let effects = rig.feed(Input::AgentConnected {
        agent: Agent {
            id: rung.clone(),
            name,
            role: Role::Agent,
            team: None,
            created_at: 0,
            revoked_at: None,
        },
        connection_id: rig.connection,
    });
    let hello = sent(&effects, &rung);
    assert!(matches!(&hello[0], ServerMessage::Hello(h) if h.ringing.len() == 1));
    rig.at(4.0);
    assert!(rig.feed(Input::Timer(grace.clone())).is_empty());

    // Dropping again and staying away: the call moves on to the other agent.
    rig.at(5.0);
    let effects = rig.feed(Input::AgentDisconnected {
        agent_id: rung.clone(),
        connection_id: rig.connection,
    });
    let (grace, _) = armed(&effects, TimerKind::RingGrace).unwrap();
    rig.at(8.0);
    let effects = rig.feed(Input::Timer(grace));
    assert_eq!(
        ring_outcomes(&effects),
        vec![(rung.clone(), RingOutcome::TimedOut)]
    );
    assert_eq!(rings(&effects).len(), 1);
    assert_ne!(rings(&effects)[0], rung);
}

#[test]
fn another_agent_cannot_accept_reject_or_hang_up_the_call() {
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    let bob = rig.sign_in("bob");
    let effects = rig.connect("c1", t0());
    let rung = rings(&effects)[0].clone();
    let (other, other_conn) = if rung == "id-ana" {
        ("bob", bob)
    } else {
        ("ana", ana)
    };
    let effects = rig.accept(other, other_conn, "c1");
    assert!(graph(&effects).is_empty());
    assert!(
        matches!(&replies(&effects, &format!("id-{other}"))[..], [ReplyResult::Error(e)] if e.code == protocol::ErrorCode::Forbidden)
    );
    let request_id = rig.request_id();
    let effects = rig.from(
        other,
        other_conn,
        ClientMessage::RejectCall(RejectCall {
            request_id,
            call_id: protocol::CallId::new("c1").unwrap(),
        }),
    );
    assert!(ring_outcomes(&effects).is_empty(), "nothing changes");
    assert!(rig.machine.is_busy(&rung));
}

#[test]
fn terminate_before_connect_leaves_a_tombstone_and_a_replayed_connect_rings_nobody() {
    let mut rig = Rig::new();
    rig.sign_in("ana");
    let effects = rig.feed(hung_up("c1", protocol::Direction::Inbound, t0(), None));
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Store(Write::InsertCall(_)))));
    assert_eq!(finished(&effects)[0].status, CallStatus::Missed);
    // The driver finds the record (known) for the late connect.
    let effects = rig.feed(Input::Connect(Box::new(ConnectFacts {
        call_id: "c1".into(),
        parts: Some(parts()),
        event_at: Some(t0()),
        received_at: None,
        offer: Ok(Sdp::new(OFFER).unwrap()),
        known: true,
        number_configured: true,
        conversation_agent: None,
        contact_owner: None,
    })));
    assert!(effects.is_empty());
}

#[test]
fn an_unusable_offer_is_rejected_at_once_without_ringing() {
    let mut rig = Rig::new();
    rig.sign_in("ana");
    let effects = rig.feed(Input::Connect(Box::new(ConnectFacts {
        call_id: "c1".into(),
        parts: Some(parts()),
        event_at: Some(t0()),
        received_at: None,
        offer: Err("fingerprint is sha-1".into()),
        known: false,
        number_configured: true,
        conversation_agent: None,
        contact_owner: None,
    })));
    assert!(rings(&effects).is_empty());
    assert_eq!(finished(&effects)[0].status, CallStatus::Failed);
    assert_eq!(graph(&effects), vec![GraphStep::Reject]);
}

#[test]
fn nobody_signed_in_refuses_with_meta_and_sends_the_auto_reply() {
    let mut rig = Rig::new();
    let effects = rig.connect("c1", t0());
    assert_eq!(finished(&effects)[0].status, CallStatus::AllAgentsOffline);
    let steps = graph(&effects);
    assert_eq!(steps[0], GraphStep::Reject);
    assert!(matches!(&steps[1], GraphStep::AutoReply { to, .. } if to == "15550100001"));
}

#[test]
fn calls_left_ringing_by_a_previous_run_are_closed_and_ended_with_meta() {
    let mut rig = Rig::new();
    let effects = rig.feed(Input::Recovered(vec![
        LeftOpen::Ringing {
            call_id: "old".into(),
            phone_number_id: "100".into(),
            accepted: false,
        },
        LeftOpen::Ringing {
            call_id: "pre-accepted".into(),
            phone_number_id: "100".into(),
            accepted: true,
        },
    ]));
    assert_eq!(finished(&effects).len(), 2);
    assert!(finished(&effects)
        .iter()
        .all(|end| end.status == CallStatus::Missed));
    let steps: Vec<(String, GraphStep)> = effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Graph { call_id, step, .. } => Some((call_id.clone(), step.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("old".to_owned(), GraphStep::Reject),
            ("pre-accepted".to_owned(), GraphStep::Terminate)
        ]
    );
}

#[test]
fn the_customer_hanging_up_while_meta_accepts_ends_the_call_once() {
    let mut rig = Rig::new();
    let conn = rig.sign_in("ana");
    rig.connect("c1", t0());
    rig.accept("ana", conn, "c1");
    let effects = rig.feed(hung_up(
        "c1",
        protocol::Direction::Inbound,
        t0(),
        Some(false),
    ));
    assert_eq!(finished(&effects).len(), 1);
    // Meta's late answer to the pre_accept finds no call: nothing more happens.
    let effects = rig.graph_ok(
        "c1",
        GraphStep::PreAccept {
            answer: ANSWER.into(),
        },
    );
    assert!(effects.is_empty());
    assert!(!rig.machine.is_busy("id-ana"));
}

// ---- business-initiated calls --------------------------------------------------------------

const OUR_OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 50000 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 192.0.2.10\r\na=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:actpass\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1 cname:agent\r\n";

fn conversation(assigned: Option<&str>, grant: bool) -> super::input::ConversationFacts {
    use crate::permissions::{PermissionEvent, PermissionLedger, PermissionLimits};
    let parts = parts();
    let mut ledger = PermissionLedger::new(
        parts.business_number.clone(),
        parts.customer.number.clone(),
        PermissionLimits::default(),
    );
    ledger.apply(PermissionEvent::CustomerMessaged, t0());
    if grant {
        ledger.apply(
            PermissionEvent::AcceptedTemporary { expires_at: None },
            t0(),
        );
    }
    super::input::ConversationFacts {
        id: "conv1".into(),
        phone_number_id: parts.phone_number_id,
        business_number: parts.business_number,
        customer: parts.customer,
        assigned_agent: assigned.map(str::to_owned),
        contact_owner: None,
        calling_enabled: true,
        ledger,
    }
}

impl Rig {
    fn place(
        &mut self,
        agent: &str,
        connection_id: u64,
        conversation: super::input::ConversationFacts,
    ) -> Vec<Effect> {
        let request_id = self.request_id();
        self.feed(Input::PlaceCall(Box::new(super::input::PlaceCallFacts {
            agent_id: format!("id-{agent}"),
            connection_id,
            request_id,
            offer: Sdp::new(OUR_OFFER).unwrap(),
            conversation: Some(conversation),
        })))
    }

    /// Places a call and has Meta take it as `wacid.OUT`.
    fn placed(&mut self, conn: u64) -> Vec<Effect> {
        let effects = self.place("ana", conn, conversation(Some("id-ana"), true));
        let local = local_id(&effects);
        let to = "15550100001".to_owned();
        self.feed(Input::GraphDone {
            call_id: local,
            step: GraphStep::Connect {
                to,
                offer: OUR_OFFER.into(),
            },
            result: Ok(Some("wacid.OUT".into())),
        })
    }
}

fn local_id(effects: &[Effect]) -> String {
    effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Graph {
                call_id,
                step: GraphStep::Connect { .. },
                ..
            } => Some(call_id.clone()),
            _ => None,
        })
        .expect("a connect request")
}

fn refusal_code(effects: &[Effect], agent_id: &str) -> Option<protocol::ErrorCode> {
    replies(effects, agent_id)
        .into_iter()
        .find_map(|r| match r {
            ReplyResult::Error(error) => Some(error.code),
            ReplyResult::Ok { .. } => None,
        })
}

fn status(call_id: &str, status: super::input::OutboundStatus) -> Input {
    Input::OutboundStatus {
        call_id: call_id.into(),
        status,
        at: None,
    }
}

#[test]
fn a_call_the_rules_forbid_is_refused_with_its_code_before_meta() {
    use protocol::ErrorCode;
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    let cases = [
        (
            conversation(Some("id-ana"), false),
            ErrorCode::NoCallPermission,
        ),
        (
            conversation(Some("id-bob"), true),
            ErrorCode::NotConversationAgent,
        ),
        (conversation(None, true), ErrorCode::NotConversationAgent),
    ];
    for (facts, code) in cases {
        let effects = rig.place("ana", ana, facts);
        assert!(
            graph(&effects).is_empty(),
            "nothing sent to Meta for {code:?}"
        );
        assert_eq!(refusal_code(&effects, "id-ana"), Some(code));
    }
    let mut off = conversation(Some("id-ana"), true);
    off.calling_enabled = false;
    assert_eq!(
        refusal_code(&rig.place("ana", ana, off), "id-ana"),
        Some(ErrorCode::CallingDisabled)
    );

    // The contact owner may call when nobody is assigned.
    let mut owned = conversation(None, true);
    owned.contact_owner = Some("id-ana".into());
    let effects = rig.place("ana", ana, owned);
    assert!(matches!(&graph(&effects)[..], [GraphStep::Connect { to, .. }] if to == "15550100001"));
    // And while that call is being placed, a second one is refused: the agent is busy.
    let effects = rig.place("ana", ana, conversation(Some("id-ana"), true));
    assert_eq!(refusal_code(&effects, "id-ana"), Some(ErrorCode::AgentBusy));
}

#[test]
fn an_offer_breaking_metas_rules_is_refused_before_meta() {
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    let request_id = rig.request_id();
    let effects = rig.feed(Input::PlaceCall(Box::new(super::input::PlaceCallFacts {
        agent_id: "id-ana".into(),
        connection_id: ana,
        request_id,
        offer: Sdp::new(OUR_OFFER.replace("sha-256", "sha-1")).unwrap(),
        conversation: Some(conversation(Some("id-ana"), true)),
    })));
    assert!(graph(&effects).is_empty());
    assert_eq!(
        refusal_code(&effects, "id-ana"),
        Some(protocol::ErrorCode::InvalidSdp)
    );
}

#[test]
fn a_placed_call_is_answered_at_accepted_not_at_metas_connect() {
    use super::input::OutboundStatus;
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    let effects = rig.placed(ana);
    assert!(matches!(
        &replies(&effects, "id-ana")[..],
        [ReplyResult::Ok { call_id: Some(id) }] if id.as_str() == "wacid.OUT"
    ));
    assert!(effects.iter().any(|e| matches!(e, Effect::Store(Write::InsertCall(call)) if call.id == "wacid.OUT" && call.direction == protocol::Direction::Outbound)));

    // Meta's connect (the tunnel is up) carries the answer, but the customer has not picked up.
    rig.at(1.0);
    let effects = rig.feed(Input::OutboundConnect {
        call_id: "wacid.OUT".into(),
        answer: Ok(Sdp::new(ANSWER).unwrap()),
    });
    assert!(
        matches!(&sent(&effects, "id-ana")[..], [ServerMessage::RemoteAnswer(a)] if a.sdp_answer.as_str() == ANSWER)
    );
    assert!(!effects
        .iter()
        .any(|e| matches!(e, Effect::Store(Write::AnswerCall { .. }))));
    let effects = rig.feed(status("wacid.OUT", OutboundStatus::Ringing));
    assert!(
        matches!(&sent(&effects, "id-ana")[..], [ServerMessage::CallUpdate(u)] if u.state == CallState::Ringing)
    );
    assert!(!effects
        .iter()
        .any(|e| matches!(e, Effect::Store(Write::AnswerCall { .. }))));

    // 20 s later the customer picks up: answered now, media starts now.
    rig.at(21.0);
    let effects = rig.feed(status("wacid.OUT", OutboundStatus::Accepted));
    let answered_at = effects.iter().find_map(|e| match e {
        Effect::Store(Write::AnswerCall { at, .. }) => Some(*at),
        _ => None,
    });
    assert_eq!(answered_at, Some(crate::store::wire::millis(rig.now)));
    let messages = sent(&effects, "id-ana");
    assert!(matches!(messages[0], ServerMessage::StartMedia(_)));

    // The customer hangs up 30 s after pickup: completed, 30 s of talk.
    rig.at(51.0);
    let effects = rig.feed(hung_up(
        "wacid.OUT",
        protocol::Direction::Outbound,
        rig.now,
        Some(true),
    ));
    let end = &finished(&effects)[0];
    assert_eq!(
        (end.status, end.duration_secs),
        (CallStatus::Completed, Some(30))
    );
    assert!(!rig.machine.is_busy("id-ana"));
}

#[test]
fn webhooks_that_overtake_metas_connect_answer_are_replayed_in_order() {
    use super::input::OutboundStatus;
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    let effects = rig.place("ana", ana, conversation(Some("id-ana"), true));
    let local = local_id(&effects);
    // Meta's webhooks arrive before its HTTP answer to the connect.
    assert!(rig
        .feed(Input::OutboundConnect {
            call_id: "wacid.FAST".into(),
            answer: Ok(Sdp::new(ANSWER).unwrap()),
        })
        .is_empty());
    assert!(rig
        .feed(status("wacid.FAST", OutboundStatus::Ringing))
        .is_empty());
    let effects = rig.feed(Input::GraphDone {
        call_id: local,
        step: GraphStep::Connect {
            to: "15550100001".into(),
            offer: OUR_OFFER.into(),
        },
        result: Ok(Some("wacid.FAST".into())),
    });
    let messages = sent(&effects, "id-ana");
    assert!(
        matches!(messages[0], ServerMessage::Reply(_)),
        "{messages:?}"
    );
    assert!(
        matches!(&messages[1], ServerMessage::RemoteAnswer(a) if a.call_id.as_str() == "wacid.FAST")
    );
    assert!(matches!(&messages[2], ServerMessage::CallUpdate(u) if u.state == CallState::Ringing));
}

#[test]
fn a_rejected_or_unanswered_call_ends_unanswered_and_counts_toward_revocation() {
    use super::input::OutboundStatus;
    let unanswered = |effects: &[Effect]| {
        effects.iter().any(|e| matches!(e, Effect::Store(Write::AddPermissionFact { fact, .. }) if fact.event == crate::permissions::PermissionEvent::BusinessCallUnanswered))
    };
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    rig.placed(ana);
    let effects = rig.feed(status("wacid.OUT", OutboundStatus::Rejected));
    let end = &finished(&effects)[0];
    assert_eq!(
        (end.status, end.ended_by),
        (CallStatus::Rejected, Some(Party::Customer))
    );
    assert!(unanswered(&effects));
    assert!(!rig.machine.is_busy("id-ana"));

    // Nobody picks up: at the bound the call is ended with Meta, missed.
    let effects = rig.placed(ana);
    let (timer, at) = armed(&effects, TimerKind::OutboundNoAnswer).unwrap();
    assert_eq!(
        at - rig.now,
        TimeDelta::from_std(super::OUTBOUND_RING_BOUND).unwrap()
    );
    rig.now = at;
    let effects = rig.feed(Input::Timer(timer));
    assert_eq!(finished(&effects)[0].status, CallStatus::Missed);
    assert_eq!(graph(&effects), vec![GraphStep::Terminate]);
    assert!(unanswered(&effects));
}

#[test]
fn meta_refusing_the_connect_keeps_a_failed_record_with_metas_code() {
    let mut rig = Rig::new();
    let ana = rig.sign_in("ana");
    let effects = rig.place("ana", ana, conversation(Some("id-ana"), true));
    let local = local_id(&effects);
    let effects = rig.feed(Input::GraphDone {
        call_id: local.clone(),
        step: GraphStep::Connect {
            to: "15550100001".into(),
            offer: OUR_OFFER.into(),
        },
        result: Err(GraphFailure::Meta {
            code: 138006,
            message: "no permission".into(),
        }),
    });
    let end = &finished(&effects)[0];
    assert_eq!(
        (end.status, end.meta_error_code),
        (CallStatus::Failed, Some(138006))
    );
    assert_eq!(
        refusal_code(&effects, "id-ana"),
        Some(protocol::ErrorCode::UpstreamError)
    );
    assert!(!rig.machine.is_busy("id-ana"));
}

/// Ana answers c1 (pre_accept at 0 s, media_ready, Meta's accept at 1 s); the reaper armed.
fn on_call(rig: &mut Rig) -> (Timer, Timestamp) {
    let conn = rig.sign_in("ana");
    rig.connect("c1", t0());
    rig.accept("ana", conn, "c1");
    rig.graph_ok(
        "c1",
        GraphStep::PreAccept {
            answer: ANSWER.into(),
        },
    );
    rig.from(
        "ana",
        conn,
        ClientMessage::MediaReady(MediaReady {
            request_id: RequestId::new("m1").unwrap(),
            call_id: protocol::CallId::new("c1").unwrap(),
        }),
    );
    rig.at(1.0);
    let effects = rig.graph_ok(
        "c1",
        GraphStep::Accept {
            answer: ANSWER.into(),
        },
    );
    armed(&effects, TimerKind::MaxDuration).expect("the reaper is armed")
}

#[test]
fn a_call_whose_terminate_never_comes_is_ended_at_the_longest_a_call_may_last() {
    let mut rig = Rig::new();
    let (reaper, at) = on_call(&mut rig);
    assert_eq!(at, t0() + TimeDelta::seconds(1) + TimeDelta::hours(6));
    assert!(rig.machine.is_busy("id-ana"));

    // Six hours on and no terminate from Meta: the platform ends the call.
    rig.at(1.0 + 6.0 * 3600.0);
    let effects = rig.feed(Input::Timer(reaper.clone()));
    let end = &finished(&effects)[0];
    assert_eq!(
        (end.status, end.duration_secs, end.ended_by),
        (CallStatus::Completed, Some(6 * 3600), Some(Party::System))
    );
    assert_eq!(graph(&effects), vec![GraphStep::Terminate]);
    assert!(sent(&effects, "id-ana").iter().any(|m| matches!(
        m,
        ServerMessage::CallUpdate(u) if matches!(u.state, CallState::Ended { by: Party::System, .. })
    )));
    assert!(!rig.machine.is_busy("id-ana"), "the agent is free again");
    // Firing again (a duplicate timer) does nothing more.
    assert!(finished(&rig.feed(Input::Timer(reaper))).is_empty());
}

#[test]
fn a_call_that_ended_normally_is_not_reaped() {
    let mut rig = Rig::new();
    let (reaper, _) = on_call(&mut rig);
    rig.at(60.0);
    rig.feed(hung_up(
        "c1",
        protocol::Direction::Inbound,
        rig.now,
        Some(true),
    ));
    assert!(!rig.machine.is_busy("id-ana"));
    rig.at(6.0 * 3600.0 + 60.0);
    let effects = rig.feed(Input::Timer(reaper));
    assert!(
        finished(&effects).is_empty() && graph(&effects).is_empty(),
        "{effects:?}"
    );
}

#[test]
fn a_call_meta_ends_as_failed_is_not_reported_as_the_customer_hanging_up() {
    let mut rig = Rig::new();
    on_call(&mut rig);
    rig.at(21.0);
    // Meta's client drops a call without media after 20 s: terminate with status FAILED.
    let Input::Terminate(mut facts) = hung_up("c1", protocol::Direction::Inbound, t0(), None)
    else {
        unreachable!()
    };
    facts.failed = true;
    let effects = rig.feed(Input::Terminate(facts));
    let end = &finished(&effects)[0];
    assert_eq!(
        (end.status, end.ended_by),
        (CallStatus::Failed, Some(Party::System))
    );
    assert!(sent(&effects, "id-ana").iter().any(|m| matches!(
        m,
        ServerMessage::CallUpdate(u) if matches!(u.state, CallState::Ended { by: Party::System, .. })
    )));
}
