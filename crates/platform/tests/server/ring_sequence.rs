//! The ring sequence through the server (PRODUCT.md routing step 5): the shortest ring worth
//! starting and Meta's accept window decide when the call is `missed`; the order of agents
//! holds across rejects.
//!
//! The connects are stamped a second ahead (Meta's clock slightly ahead of ours): Meta's
//! timestamps have whole seconds, and a sub-second accept window must start at arrival here.

use platform::store::agents::Role;
use protocol::{CancelReason, ServerMessage};
use serde_json::json;

use crate::support::*;

fn cancelled(message: ServerMessage) -> CancelReason {
    match message {
        ServerMessage::CallCancelled(cancelled) => cancelled.reason,
        other => panic!("expected call_cancelled, got {other:?}"),
    }
}

#[tokio::test]
async fn less_of_the_accept_window_than_the_shortest_ring_leaves_the_call_missed() {
    // Shortest ring = ring timeout (400 ms); after the first ring at most 350 ms of the window
    // are left (and the first ring has 350 ms of slack to start).
    let mut harness = Harness::start_with(|settings| {
        settings.timers.ring_timeout = std::time::Duration::from_millis(400);
        settings.timers.accept_window = std::time::Duration::from_millis(750);
    })
    .await;
    let (_, alice_token) = harness.agent("alice", Role::Admin, None).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, None).await;
    let mut alice = harness.connect(&alice_token).await;
    let mut bob = harness.connect(&bob_token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    assert!(matches!(bob.recv().await, ServerMessage::Hello(_)));

    let body = connect_body_at("wacid.SHORT", now_secs() + 1);
    assert_eq!(harness.post_webhook(&body).await, 200);
    harness.platform.processed(1).await;
    let mut rung = alice.drain().await;
    let (mut first, mut second) = (&mut alice, &mut bob);
    if rung.is_empty() {
        rung = bob.drain().await;
        (first, second) = (&mut bob, &mut alice);
    }
    assert!(matches!(rung.remove(0), ServerMessage::IncomingCall(_)));
    assert_eq!(cancelled(first.recv().await), CancelReason::TimedOut);
    assert_eq!(harness.graph.next().await.action(), Some("reject"));
    assert_eq!(
        second.drain().await,
        vec![],
        "too little of the window left to ring the second agent"
    );
    let (_, record) = harness
        .get_json("/api/calls/wacid.SHORT", &alice_token)
        .await;
    assert_eq!(record["status"], "missed");
    let rings = record["agents_rung"].as_array().unwrap();
    assert_eq!(rings.len(), 1);
    assert_eq!(rings[0]["outcome"], "timed_out");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_call_whose_accept_window_is_shorter_than_the_shortest_ring_rings_nobody_and_is_missed() {
    // Shortest ring = min(10 s, ring timeout, accept window) = the whole 400 ms window, of
    // which the connect's processing has already used a little.
    let mut harness = Harness::start_with(|settings| {
        settings.timers.accept_window = std::time::Duration::from_millis(400);
    })
    .await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));

    let body = connect_body_at("wacid.NOROOM", now_secs() + 1);
    assert_eq!(harness.post_webhook(&body).await, 200);
    assert_eq!(harness.graph.next().await.action(), Some("reject"));
    assert_eq!(alice.drain().await, vec![], "no token ring");
    let (_, record) = harness.get_json("/api/calls/wacid.NOROOM", &token).await;
    assert_eq!(record["status"], "missed");
    assert_eq!(record["agents_rung"], json!([]));
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_rejected_call_rings_the_conversation_agent_then_round_robin_never_the_same_agent_twice()
{
    let harness = Harness::start().await;
    let (alice_id, alice_token) = harness.agent("alice", Role::Agent, None).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, None).await;
    harness
        .platform
        .store()
        .assign_conversation(PHONE_NUMBER_ID, CUSTOMER, &alice_id)
        .await
        .unwrap();
    let mut alice = harness.connect(&alice_token).await;
    let mut bob = harness.connect(&bob_token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    assert!(matches!(bob.recv().await, ServerMessage::Hello(_)));

    assert_eq!(
        harness.post_webhook(&connect_body("wacid.ORDER")).await,
        200
    );
    match alice.recv().await {
        ServerMessage::IncomingCall(call) => {
            assert_eq!(
                call.routed_because,
                protocol::RoutedBecause::OpenConversation
            )
        }
        other => panic!("expected incoming_call, got {other:?}"),
    }
    alice
        .send(json!({"type": "reject_call", "call_id": "wacid.ORDER"}))
        .await;
    assert!(matches!(alice.recv().await, ServerMessage::Reply(_)));
    match bob.recv().await {
        ServerMessage::IncomingCall(call) => {
            assert_eq!(call.routed_because, protocol::RoutedBecause::RoundRobin)
        }
        other => panic!("expected incoming_call, got {other:?}"),
    }
    bob.send(json!({"type": "reject_call", "call_id": "wacid.ORDER"}))
        .await;
    assert!(matches!(bob.recv().await, ServerMessage::Reply(_)));
    assert_eq!(alice.drain().await, vec![], "alice is not rung twice");
    let (_, record) = harness
        .get_json("/api/calls/wacid.ORDER", &alice_token)
        .await;
    assert_eq!(record["status"], "missed");
    let because: Vec<_> = record["agents_rung"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ring| ring["routed_because"].clone())
        .collect();
    assert_eq!(
        because,
        vec![json!("open_conversation"), json!("round_robin")]
    );
    harness.platform.shutdown().await;
}
