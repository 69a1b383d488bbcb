//! A platform stopped mid-call (a crash or a deploy) leaves no call hanging with Meta: on the
//! next start a call that was still ringing is rejected with Meta, one an agent had accepted
//! (Meta holds our pre_accept) is terminated, and both records are closed as missed.

use platform::server::Platform;
use platform::store::agents::Role;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn calls_caught_ringing_or_pre_accepted_by_a_restart_are_ended_with_meta() {
    let mut harness = Harness::start().await;
    let url = database_url(&harness.dir);
    let (_, alice_token) = harness.agent("alice", Role::Agent, None).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, None).await;
    let mut alice = harness.connect(&alice_token).await;
    let mut bob = harness.connect(&bob_token).await;
    assert!(matches!(
        alice.recv().await,
        protocol::ServerMessage::Hello(_)
    ));
    assert!(matches!(
        bob.recv().await,
        protocol::ServerMessage::Hello(_)
    ));

    // Two customers call; one agent rings for each. Alice accepts hers (pre_accept sent).
    harness.post_webhook(&connect_body("wacid.ONE")).await;
    harness.post_webhook(&connect_body("wacid.TWO")).await;
    let (first, second) = (alice.recv().await, bob.recv().await);
    let call_of = |message: protocol::ServerMessage| match message {
        protocol::ServerMessage::IncomingCall(call) => call.call_id.as_str().to_owned(),
        other => panic!("expected incoming_call, got {other:?}"),
    };
    let (alice_call, bob_call) = (call_of(first), call_of(second));
    alice
        .send(json!({"type": "accept_call", "call_id": alice_call, "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    let _ = alice.recv().await; // the accept's reply

    // The platform stops right there; a new run starts on the same database.
    let graph_url = harness.graph.base_url.clone();
    harness.platform.shutdown().await;
    let next = Platform::start(settings(&url, &graph_url)).await.unwrap();
    let mut ended = std::collections::HashMap::new();
    while ended.len() < 2 {
        let request = harness.graph.next().await;
        let call_id = request.body["call_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        ended.insert(call_id, request.action().unwrap_or_default().to_owned());
    }
    assert_eq!(ended[&alice_call], "terminate", "Meta held our pre_accept");
    assert_eq!(ended[&bob_call], "reject");
    for call_id in [&alice_call, &bob_call] {
        assert_eq!(
            next.store().call_status(call_id).await.unwrap(),
            Some(protocol::CallStatus::Missed)
        );
    }
    next.shutdown().await;
}
