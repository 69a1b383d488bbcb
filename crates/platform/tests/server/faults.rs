//! Faults around one call must stay with that call (issue 10): Meta hanging on one call's
//! request holds up no other call, and a store that fails mid-flow strands no call.

use platform::store::agents::Role;
use protocol::{CallState, ReplyResult, ServerMessage};
use serde_json::json;
use whatsapp::webhook::TerminateStatus;

use crate::support::*;

async fn hello(socket: &mut AgentSocket) {
    match socket.recv().await {
        ServerMessage::Hello(_) => {}
        other => panic!("expected hello, got {other:?}"),
    }
}

fn rung(message: ServerMessage, call_id: &str) {
    match message {
        ServerMessage::IncomingCall(call) => assert_eq!(call.call_id.as_str(), call_id),
        other => panic!("expected incoming_call for {call_id}, got {other:?}"),
    }
}

/// The reply to `request_id`, skipping what came before it.
async fn reply(socket: &mut AgentSocket, request_id: &str) -> ReplyResult {
    loop {
        if let ServerMessage::Reply(reply) = socket.recv().await {
            if reply.request_id.as_str() == request_id {
                return reply.result;
            }
        }
    }
}

/// Accepts `call_id` through pre_accept, media_ready and accept, up to `start_media`.
async fn accepted(harness: &mut Harness, agent: &mut AgentSocket, call_id: &str) {
    let accept = agent
        .send(json!({"type": "accept_call", "call_id": call_id, "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    assert!(matches!(
        reply(agent, &accept).await,
        ReplyResult::Ok { .. }
    ));
    agent
        .send(json!({"type": "media_ready", "call_id": call_id}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("accept"));
    loop {
        if let ServerMessage::StartMedia(start) = agent.recv().await {
            assert_eq!(start.call_id.as_str(), call_id);
            return;
        }
    }
}

#[tokio::test]
async fn meta_hanging_on_one_calls_pre_accept_holds_up_no_other_call() {
    let mut harness = Harness::start().await;
    let (_, alice_token) = harness.agent("alice", Role::Agent, None).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, None).await;
    let mut alice = harness.connect(&alice_token).await;
    hello(&mut alice).await;

    // Alice takes the first call; Meta never answers its pre_accept.
    harness.graph.stall("pre_accept", "wacid.STUCK");
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.STUCK")).await,
        200
    );
    rung(alice.recv().await, "wacid.STUCK");
    alice
        .send(json!({"type": "accept_call", "call_id": "wacid.STUCK", "sdp_answer": ANSWER}))
        .await;
    let stuck = harness.graph.next().await;
    assert_eq!(
        (stuck.action(), &stuck.body["call_id"]),
        (Some("pre_accept"), &json!("wacid.STUCK"))
    );

    // Meanwhile another customer calls: Bob signs in, is rung, answers, talks, hangs up.
    let mut bob = harness.connect(&bob_token).await;
    hello(&mut bob).await;
    assert_eq!(harness.post_webhook(&connect_body("wacid.FREE")).await, 200);
    rung(bob.recv().await, "wacid.FREE");
    accepted(&mut harness, &mut bob, "wacid.FREE").await;
    let hangup = bob
        .send(json!({"type": "hangup", "call_id": "wacid.FREE"}))
        .await;
    let terminate = harness.graph.next().await;
    assert_eq!(terminate.action(), Some("terminate"));
    assert_eq!(terminate.body["call_id"], "wacid.FREE");
    assert!(matches!(
        reply(&mut bob, &hangup).await,
        ReplyResult::Ok { .. }
    ));
    // ...all while the first call's request was still waiting at Meta.
    assert_eq!(
        harness.graph.stalled(),
        1,
        "the stalled pre_accept was given up before the other call finished"
    );

    // Meta answers at last: the first call goes on.
    harness.graph.release();
    alice
        .send(json!({"type": "media_ready", "call_id": "wacid.STUCK"}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("accept"));
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_store_failing_mid_flow_strands_no_call_and_the_record_catches_up() {
    let mut harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;

    // The next three transactions fail: the call's first writes among them.
    harness.platform.store().fail_next_applies(3);
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.FLAKY")).await,
        200
    );
    rung(alice.recv().await, "wacid.FLAKY");
    accepted(&mut harness, &mut alice, "wacid.FLAKY").await;
    let start = now_secs() - 42;
    let terminate = terminate_body(
        "wacid.FLAKY",
        TerminateStatus::Completed,
        Some((start, now_secs())),
    );
    assert_eq!(harness.post_webhook(&terminate).await, 200);
    loop {
        if let ServerMessage::CallUpdate(update) = alice.recv().await {
            if let CallState::Ended { duration_secs, .. } = update.state {
                assert_eq!(duration_secs, 42);
                break;
            }
        }
    }

    // The queued writes were retried: the record is whole.
    let deadline = tokio::time::Instant::now() + WAIT;
    let record = loop {
        let (status, record) = harness.get_json("/api/calls/wacid.FLAKY", &token).await;
        if status == 200 && record["status"] == "completed" {
            break record;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the record never caught up: {status} {record}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(record["duration_secs"], 42, "{record}");
    assert_eq!(record["agents_rung"][0]["outcome"], "accepted", "{record}");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_switchboard_that_dies_is_reported_so_serve_exits() {
    let harness = Harness::start().await;
    // All is well: nothing is reported.
    let quiet = tokio::time::timeout(
        std::time::Duration::from_millis(200),
        harness.platform.failed(),
    )
    .await;
    assert!(quiet.is_err(), "a healthy platform reported {quiet:?}");
    harness.platform.kill_task_for_test("switchboard");
    let died = tokio::time::timeout(WAIT, harness.platform.failed())
        .await
        .expect("a dead switchboard was never reported");
    assert_eq!(died, "switchboard");
    harness.platform.shutdown().await;
}
