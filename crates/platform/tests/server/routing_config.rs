//! A number's `call_operators` and `round_robin_excluded` (TOML `[[numbers]]`) decide who may
//! ring: only call operators ever ring; the excluded ring only as the conversation's agent or
//! the contact owner.

use platform::store::agents::Role;
use protocol::{RoutedBecause, ServerMessage};
use serde_json::json;

use crate::support::*;

async fn rung_because(socket: &mut AgentSocket, call_id: &str) -> RoutedBecause {
    match socket.recv().await {
        ServerMessage::IncomingCall(call) => {
            assert_eq!(call.call_id.as_str(), call_id);
            call.routed_because
        }
        other => panic!("expected incoming_call, got {other:?}"),
    }
}

async fn reject(socket: &mut AgentSocket, call_id: &str) {
    socket
        .send(json!({"type": "reject_call", "call_id": call_id}))
        .await;
    assert!(matches!(socket.recv().await, ServerMessage::Reply(_)));
}

#[tokio::test]
async fn only_call_operators_ring_and_the_excluded_only_for_their_own_conversations() {
    let mut harness = Harness::start_with(|settings| {
        let number = &mut settings.numbers[0];
        number.call_operators = Some(vec!["alice".into(), "bob".into()]);
        number.round_robin_excluded = vec!["bob".into()];
    })
    .await;
    let (_, alice_token) = harness.agent("alice", Role::Admin, None).await;
    let (bob_id, bob_token) = harness.agent("bob", Role::Agent, None).await;
    let (_, carol_token) = harness.agent("carol", Role::Agent, None).await;
    let mut alice = harness.connect(&alice_token).await;
    let mut bob = harness.connect(&bob_token).await;
    let mut carol = harness.connect(&carol_token).await;
    for socket in [&mut alice, &mut bob, &mut carol] {
        assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));
    }

    // Round robin: carol is no call operator, bob is excluded; alice is left.
    assert_eq!(harness.post_webhook(&connect_body("wacid.RR")).await, 200);
    assert_eq!(
        rung_because(&mut alice, "wacid.RR").await,
        RoutedBecause::RoundRobin
    );
    reject(&mut alice, "wacid.RR").await;
    assert_eq!(harness.graph.next().await.action(), Some("reject"));
    assert_eq!(bob.drain().await, vec![], "excluded from round robin");
    assert_eq!(carol.drain().await, vec![], "not a call operator");

    // Bob's own conversation rings him first despite the exclusion.
    harness
        .platform
        .store()
        .assign_conversation(PHONE_NUMBER_ID, CUSTOMER, &bob_id)
        .await
        .unwrap();
    assert_eq!(harness.post_webhook(&connect_body("wacid.OWN")).await, 200);
    assert_eq!(
        rung_because(&mut bob, "wacid.OWN").await,
        RoutedBecause::OpenConversation
    );
    reject(&mut bob, "wacid.OWN").await;
    assert_eq!(
        rung_because(&mut alice, "wacid.OWN").await,
        RoutedBecause::RoundRobin
    );
    reject(&mut alice, "wacid.OWN").await;
    assert_eq!(harness.graph.next().await.action(), Some("reject"));
    assert_eq!(carol.drain().await, vec![]);
    let (_, record) = harness.get_json("/api/calls/wacid.OWN", &alice_token).await;
    assert_eq!(record["status"], "missed");
    assert_eq!(record["agents_rung"].as_array().unwrap().len(), 2);
    harness.platform.shutdown().await;
}
