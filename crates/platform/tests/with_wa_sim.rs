//! Routing end to end against `wa-sim` instead of the fake Graph API: the customer calls
//! through the simulator, the platform routes to test agents on real WebSockets, and what the
//! platform asked of Meta is checked as wa-sim saw it (a rejected call ended there as rejected
//! by the business, an answered one went through pre_accept and accept to connected) together
//! with the platform's call record.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "server/support.rs"]
mod support;

#[path = "with_wa_sim/rig.rs"]
mod rig;

#[path = "with_wa_sim/numbers.rs"]
mod numbers;

use protocol::{CallState, CancelReason, ReplyResult, RoutedBecause, ServerMessage};
use serde_json::{json, Value};

use rig::{Rig, SIM_ANSWER};
use support::{AgentSocket, CUSTOMER};

const OTHER_CUSTOMER: &str = "15550100002";

/// The next message, which must be an incoming call for `call_id`; returns why it was routed.
async fn rung(socket: &mut AgentSocket, call_id: &str) -> RoutedBecause {
    match socket.recv().await {
        ServerMessage::IncomingCall(call) => {
            assert_eq!(call.call_id.as_str(), call_id);
            call.routed_because
        }
        other => panic!("expected incoming_call for {call_id}, got {other:?}"),
    }
}

/// Waits for the reply to `request_id`, which must be Ok; returns what came before it.
async fn ok_reply(socket: &mut AgentSocket, request_id: &str) -> Vec<ServerMessage> {
    let mut before = Vec::new();
    loop {
        match socket.recv().await {
            ServerMessage::Reply(reply) if reply.request_id.as_str() == request_id => {
                assert!(matches!(reply.result, ReplyResult::Ok { .. }), "{reply:?}");
                return before;
            }
            other => before.push(other),
        }
    }
}

async fn reject(socket: &mut AgentSocket, call_id: &str) {
    let request = socket
        .send(json!({"type": "reject_call", "call_id": call_id}))
        .await;
    ok_reply(socket, &request).await;
}

async fn set_presence(socket: &mut AgentSocket, presence: &str) {
    let request = socket
        .send(json!({"type": "set_presence", "presence": presence}))
        .await;
    ok_reply(socket, &request).await;
}

/// The agent accepts: the platform pre-accepts with wa-sim, then accepts on media_ready.
async fn accept(rig: &Rig, socket: &mut AgentSocket, call_id: &str) {
    let request = socket
        .send(json!({"type": "accept_call", "call_id": call_id, "sdp_answer": SIM_ANSWER}))
        .await;
    ok_reply(socket, &request).await;
    let report = rig.sim_call(call_id).await;
    assert_eq!(
        report["state"], "pre_accepted",
        "wa-sim got pre_accept: {report}"
    );
    let request = socket
        .send(json!({"type": "media_ready", "call_id": call_id}))
        .await;
    let before = ok_reply(socket, &request).await;
    assert!(
        before.iter().any(
            |m| matches!(m, ServerMessage::StartMedia(start) if start.call_id.as_str() == call_id)
        ),
        "start_media before the reply: {before:?}"
    );
    let report = rig.sim_call(call_id).await;
    assert_eq!(report["state"], "connected", "wa-sim got accept: {report}");
}

/// wa-sim ended the call as rejected by the business (the platform's `reject`).
async fn rejected_at_wa_sim(rig: &Rig, call_id: &str) {
    let report = rig.sim_call_ended(call_id).await;
    assert_eq!(report["end"], "rejected_by_business", "{report}");
    assert_eq!(report["connected_at"], Value::Null);
}

fn rings(record: &Value, field: &str) -> Vec<Value> {
    record["agents_rung"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ring| ring[field].clone())
        .collect()
}

#[tokio::test]
async fn an_answered_call_is_pre_accepted_and_accepted_at_wa_sim_and_completes_with_metas_duration()
{
    let rig = Rig::start(|_| {}).await;
    let (alice_id, token) = rig.agent("alice").await;
    let mut alice = rig.signed_in(&token).await;

    let call_id = rig.customer_calls(CUSTOMER).await;
    assert_eq!(rung(&mut alice, &call_id).await, RoutedBecause::RoundRobin);
    assert_eq!(rig.sim_call(&call_id).await["state"], "ringing");
    accept(&rig, &mut alice, &call_id).await;
    let during = rig.record(&call_id, &token).await;
    assert_eq!(during["status"], "on_call");
    assert_eq!(during["answered_by"], alice_id.as_str());

    // 42 s of talk on Meta's clock, then the customer hangs up.
    rig.advance_clock(42).await;
    rig.customer_hangs_up(&call_id).await;
    loop {
        if let ServerMessage::CallUpdate(update) = alice.recv().await {
            if let CallState::Ended {
                duration_secs, by, ..
            } = update.state
            {
                assert_eq!(duration_secs, 42);
                assert_eq!(by, protocol::Party::Customer);
                break;
            }
        }
    }
    let report = rig.sim_call(&call_id).await;
    assert_eq!(report["end"], "completed");
    assert_eq!(report["duration"], 42);

    let calls = rig.get_json("/api/calls?status=completed", &token).await;
    let record = calls
        .as_array()
        .unwrap()
        .iter()
        .find(|record| record["id"] == call_id.as_str())
        .expect("the completed call is listed");
    assert_eq!(record["status"], "completed");
    assert_eq!(record["duration_secs"], 42);
    assert_eq!(record["answered_by"], alice_id.as_str());
    assert_eq!(rings(record, "outcome"), vec![json!("accepted")]);
    rig.stop().await;
}

#[tokio::test]
async fn the_open_conversations_agent_rings_first_then_the_contact_owner_then_round_robin() {
    let rig = Rig::start(|_| {}).await;
    let (alice_id, alice_token) = rig.agent("alice").await;
    let (bob_id, bob_token) = rig.agent("bob").await;
    let (_, carol_token) = rig.agent("carol").await;
    let store = rig.platform.store();
    store
        .assign_conversation(support::PHONE_NUMBER_ID, CUSTOMER, &alice_id)
        .await
        .unwrap();
    store.set_contact_owner(CUSTOMER, &bob_id).await.unwrap();
    let mut alice = rig.signed_in(&alice_token).await;
    let mut bob = rig.signed_in(&bob_token).await;
    let mut carol = rig.signed_in(&carol_token).await;

    let call_id = rig.customer_calls(CUSTOMER).await;
    assert_eq!(
        rung(&mut alice, &call_id).await,
        RoutedBecause::OpenConversation
    );
    assert_eq!(bob.drain().await, vec![], "one agent rings at a time");
    assert_eq!(carol.drain().await, vec![]);
    reject(&mut alice, &call_id).await;
    assert_eq!(rung(&mut bob, &call_id).await, RoutedBecause::ContactOwner);
    reject(&mut bob, &call_id).await;
    assert_eq!(rung(&mut carol, &call_id).await, RoutedBecause::RoundRobin);
    assert_eq!(
        rig.sim_call(&call_id).await["state"],
        "ringing",
        "still offered at wa-sim while agents ring"
    );
    reject(&mut carol, &call_id).await;

    rejected_at_wa_sim(&rig, &call_id).await;
    let record = rig
        .record_with_status(&call_id, &alice_token, "missed")
        .await;
    assert_eq!(
        rings(&record, "routed_because"),
        vec![
            json!("open_conversation"),
            json!("contact_owner"),
            json!("round_robin")
        ]
    );
    assert_eq!(
        rings(&record, "outcome"),
        vec![json!("rejected"), json!("rejected"), json!("rejected")]
    );
    rig.stop().await;
}

/// Round robin offers the least recently offered agent first: which agent that is changes
/// with history, so no fixed order passes.
#[tokio::test]
async fn round_robin_rings_the_least_recently_offered_agent_first() {
    let rig = Rig::start(|_| {}).await;
    let (_, alice_token) = rig.agent("alice").await;
    let (_, bob_token) = rig.agent("bob").await;
    let mut alice = rig.signed_in(&alice_token).await;
    let mut bob = rig.signed_in(&bob_token).await;

    // Bob away: alice takes the offer; both are then offered with alice the more recent.
    set_presence(&mut bob, "away").await;
    let first = rig.customer_calls(CUSTOMER).await;
    assert_eq!(rung(&mut alice, &first).await, RoutedBecause::RoundRobin);
    reject(&mut alice, &first).await;
    rejected_at_wa_sim(&rig, &first).await;
    set_presence(&mut bob, "available").await;

    let second = rig.customer_calls(CUSTOMER).await;
    assert_eq!(rung(&mut bob, &second).await, RoutedBecause::RoundRobin);
    assert_eq!(alice.drain().await, vec![], "bob was offered less recently");
    reject(&mut bob, &second).await;
    assert_eq!(rung(&mut alice, &second).await, RoutedBecause::RoundRobin);
    reject(&mut alice, &second).await;
    rejected_at_wa_sim(&rig, &second).await;

    // Now alice away: bob; then alice is the least recently offered.
    set_presence(&mut alice, "away").await;
    let third = rig.customer_calls(CUSTOMER).await;
    assert_eq!(rung(&mut bob, &third).await, RoutedBecause::RoundRobin);
    reject(&mut bob, &third).await;
    rejected_at_wa_sim(&rig, &third).await;
    set_presence(&mut alice, "available").await;

    let fourth = rig.customer_calls(CUSTOMER).await;
    assert_eq!(rung(&mut alice, &fourth).await, RoutedBecause::RoundRobin);
    assert_eq!(bob.drain().await, vec![], "alice was offered less recently");
    reject(&mut alice, &fourth).await;
    assert_eq!(rung(&mut bob, &fourth).await, RoutedBecause::RoundRobin);
    reject(&mut bob, &fourth).await;
    rejected_at_wa_sim(&rig, &fourth).await;
    rig.stop().await;
}

#[tokio::test]
async fn an_excluded_agent_is_skipped_by_round_robin_but_rings_as_contact_owner() {
    let rig = Rig::start(|settings| {
        settings.numbers[0].round_robin_excluded = vec!["bob".into()];
    })
    .await;
    let (_, alice_token) = rig.agent("alice").await;
    let (bob_id, bob_token) = rig.agent("bob").await;
    let mut alice = rig.signed_in(&alice_token).await;
    let mut bob = rig.signed_in(&bob_token).await;

    let call_id = rig.customer_calls(CUSTOMER).await;
    assert_eq!(rung(&mut alice, &call_id).await, RoutedBecause::RoundRobin);
    reject(&mut alice, &call_id).await;
    rejected_at_wa_sim(&rig, &call_id).await;
    assert_eq!(bob.drain().await, vec![], "excluded from round robin");
    let record = rig
        .record_with_status(&call_id, &alice_token, "missed")
        .await;
    assert_eq!(rings(&record, "outcome"), vec![json!("rejected")]);

    rig.platform
        .store()
        .set_contact_owner(OTHER_CUSTOMER, &bob_id)
        .await
        .unwrap();
    let owned = rig.customer_calls(OTHER_CUSTOMER).await;
    assert_eq!(rung(&mut bob, &owned).await, RoutedBecause::ContactOwner);
    reject(&mut bob, &owned).await;
    assert_eq!(rung(&mut alice, &owned).await, RoutedBecause::RoundRobin);
    reject(&mut alice, &owned).await;
    rejected_at_wa_sim(&rig, &owned).await;
    rig.stop().await;
}

#[tokio::test]
async fn with_nobody_signed_in_the_call_is_rejected_at_wa_sim_as_all_agents_offline() {
    let rig = Rig::start(|_| {}).await;
    let (_, token) = rig.agent("alice").await;
    let call_id = rig.customer_calls(CUSTOMER).await;
    rejected_at_wa_sim(&rig, &call_id).await;
    let record = rig
        .record_with_status(&call_id, &token, "all_agents_offline")
        .await;
    assert_eq!(record["agents_rung"], json!([]));
    rig.stop().await;
}

#[tokio::test]
async fn with_every_agent_on_a_call_the_next_caller_is_rejected_at_wa_sim_as_all_agents_busy() {
    let rig = Rig::start(|_| {}).await;
    let (_, token) = rig.agent("alice").await;
    let mut alice = rig.signed_in(&token).await;
    let first = rig.customer_calls(CUSTOMER).await;
    rung(&mut alice, &first).await;
    accept(&rig, &mut alice, &first).await;

    let second = rig.customer_calls(OTHER_CUSTOMER).await;
    rejected_at_wa_sim(&rig, &second).await;
    let record = rig
        .record_with_status(&second, &token, "all_agents_busy")
        .await;
    assert_eq!(record["agents_rung"], json!([]));
    assert_eq!(
        rig.sim_call(&first).await["state"],
        "connected",
        "the first call goes on"
    );
    assert!(
        alice
            .drain()
            .await
            .iter()
            .all(|m| !matches!(m, ServerMessage::IncomingCall(_))),
        "the busy agent is not rung"
    );
    rig.stop().await;
}

#[tokio::test]
async fn outside_call_hours_the_call_is_rejected_at_wa_sim_and_rings_nobody() {
    let rig = Rig::start(|settings| {
        // A week with no opening range: always closed.
        settings.numbers[0].call_hours = Some(platform::config::CallHoursSettings {
            timezone: "Europe/Berlin".into(),
            weekly: Default::default(),
            holidays: Vec::new(),
        });
    })
    .await;
    let (_, token) = rig.agent("alice").await;
    let mut alice = rig.signed_in(&token).await;
    let call_id = rig.customer_calls(CUSTOMER).await;
    rejected_at_wa_sim(&rig, &call_id).await;
    let record = rig
        .record_with_status(&call_id, &token, "outside_office_hours")
        .await;
    assert_eq!(record["agents_rung"], json!([]));
    assert_eq!(alice.drain().await, vec![], "nobody rings when closed");
    rig.stop().await;
}

#[tokio::test]
async fn on_a_holiday_the_call_is_rejected_at_wa_sim_though_the_week_is_open_all_day() {
    let rig = Rig::start(|settings| {
        let open_all_day = vec![["00:00".to_owned(), "24:00".to_owned()]];
        let weekly = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .into_iter()
            .map(|day| (day.to_owned(), open_all_day.clone()))
            .collect();
        // Yesterday, today and tomorrow in UTC, so the test's midnight cannot race the platform's.
        let today = chrono::Utc::now().date_naive();
        let holidays = [-1, 0, 1]
            .into_iter()
            .map(|days| (today + chrono::TimeDelta::days(days)).to_string())
            .collect();
        settings.numbers[0].call_hours = Some(platform::config::CallHoursSettings {
            timezone: "UTC".into(),
            weekly,
            holidays,
        });
    })
    .await;
    let (_, token) = rig.agent("alice").await;
    let mut alice = rig.signed_in(&token).await;
    let call_id = rig.customer_calls(CUSTOMER).await;
    rejected_at_wa_sim(&rig, &call_id).await;
    let record = rig
        .record_with_status(&call_id, &token, "outside_office_hours")
        .await;
    assert_eq!(record["agents_rung"], json!([]));
    assert_eq!(alice.drain().await, vec![], "nobody rings on a holiday");
    rig.stop().await;
}

#[tokio::test]
async fn a_rejected_ring_moves_to_the_next_agent_who_answers_at_wa_sim() {
    let rig = Rig::start(|_| {}).await;
    let (alice_id, alice_token) = rig.agent("alice").await;
    let (bob_id, bob_token) = rig.agent("bob").await;
    let mut alice = rig.signed_in(&alice_token).await;
    let mut bob = rig.signed_in(&bob_token).await;

    let call_id = rig.customer_calls(CUSTOMER).await;
    rig.platform.processed(1).await;
    let mut rung_first = alice.drain().await;
    let (first, second, second_id) = if rung_first.is_empty() {
        rung_first = bob.drain().await;
        (&mut bob, &mut alice, alice_id)
    } else {
        (&mut alice, &mut bob, bob_id)
    };
    assert!(matches!(
        rung_first.remove(0),
        ServerMessage::IncomingCall(_)
    ));
    reject(first, &call_id).await;
    assert_eq!(rung(second, &call_id).await, RoutedBecause::RoundRobin);
    accept(&rig, second, &call_id).await;
    let record = rig
        .record_with_status(&call_id, &alice_token, "on_call")
        .await;
    assert_eq!(record["answered_by"], second_id.as_str());
    assert_eq!(
        rings(&record, "outcome"),
        vec![json!("rejected"), json!("accepted")]
    );
    rig.stop().await;
}

#[tokio::test]
async fn unanswered_rings_time_out_to_the_next_agent_then_the_call_is_missed_and_rejected_at_wa_sim(
) {
    let rig = Rig::start(|settings| {
        settings.timers.ring_timeout = std::time::Duration::from_millis(2000);
        settings.timers.accept_window = std::time::Duration::from_millis(20000);
    })
    .await;
    let (_, alice_token) = rig.agent("alice").await;
    let (_, bob_token) = rig.agent("bob").await;
    let mut alice = rig.signed_in(&alice_token).await;
    let mut bob = rig.signed_in(&bob_token).await;

    let call_id = rig.customer_calls(CUSTOMER).await;
    rig.platform.processed(1).await;
    let mut rung_first = alice.drain().await;
    let (first, second) = if rung_first.is_empty() {
        rung_first = bob.drain().await;
        (&mut bob, &mut alice)
    } else {
        (&mut alice, &mut bob)
    };
    assert!(matches!(
        rung_first.remove(0),
        ServerMessage::IncomingCall(_)
    ));
    let next = match rung_first.pop() {
        Some(already) => already,
        None => first.recv().await,
    };
    match next {
        ServerMessage::CallCancelled(cancelled) => {
            assert_eq!(cancelled.reason, CancelReason::TimedOut)
        }
        other => panic!("expected call_cancelled, got {other:?}"),
    }
    assert_eq!(rung(second, &call_id).await, RoutedBecause::RoundRobin);
    assert_eq!(
        rig.sim_call(&call_id).await["state"],
        "ringing",
        "a timeout is not a reject at Meta"
    );
    match second.recv().await {
        ServerMessage::CallCancelled(cancelled) => {
            assert_eq!(cancelled.reason, CancelReason::TimedOut)
        }
        other => panic!("expected call_cancelled, got {other:?}"),
    }
    rejected_at_wa_sim(&rig, &call_id).await;
    let record = rig
        .record_with_status(&call_id, &alice_token, "missed")
        .await;
    assert_eq!(
        rings(&record, "outcome"),
        vec![json!("timed_out"), json!("timed_out")]
    );
    rig.stop().await;
}
