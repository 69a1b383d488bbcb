//! The agent-initiated half end to end against `wa-sim` as Meta: the customer writes (the
//! conversation and its 24 h window open), the agent asks for call permission, the customer
//! grants it, the agent calls, the customer's phone rings and picks up, hangs up — and every
//! call or request the rules forbid is refused with its code while wa-sim sees nothing.
//! Agents are real WebSockets; wa-sim runs on its virtual clock (see `with_wa_sim/rig.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "server/support.rs"]
mod support;

#[path = "with_wa_sim/rig.rs"]
mod rig;

use protocol::{CallState, ErrorCode, ReplyResult, ServerMessage};
use serde_json::{json, Value};

use rig::{Rig, SIM_ANSWER};
use support::{AgentSocket, CUSTOMER, PHONE_NUMBER_ID, WAIT};

/// An offer shaped as the agent app makes it for Meta (`setup:actpass`, one audio section,
/// Opus 111 + telephone-event, one SSRC, one sha-256 fingerprint, a gathered candidate).
fn offer() -> String {
    SIM_ANSWER.replace("a=setup:active", "a=setup:actpass")
}

/// Waits for the reply to `request_id` and returns it with what came before it.
async fn reply(socket: &mut AgentSocket, request_id: &str) -> (ReplyResult, Vec<ServerMessage>) {
    let mut before = Vec::new();
    loop {
        match socket.recv().await {
            ServerMessage::Reply(reply) if reply.request_id.as_str() == request_id => {
                return (reply.result, before)
            }
            other => before.push(other),
        }
    }
}

async fn refused(socket: &mut AgentSocket, request: Value) -> ErrorCode {
    let request_id = socket.send(request).await;
    match reply(socket, &request_id).await.0 {
        ReplyResult::Error(error) => {
            assert!(!error.message.is_empty(), "a refusal says why");
            error.code
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The next message that is not a conversation or permission push.
async fn next_call_message(socket: &mut AgentSocket) -> ServerMessage {
    loop {
        match socket.recv().await {
            ServerMessage::ConversationUpdated(_) | ServerMessage::PermissionChanged(_) => {}
            other => return other,
        }
    }
}

/// Polls a condition the platform reaches asynchronously (bounded by WAIT).
async fn eventually<T>(mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Sends `place_call`; returns Meta's call id from the reply.
async fn place(agent: &mut AgentSocket, conversation_id: &str) -> String {
    let request = agent
        .send(
            json!({"type": "place_call", "conversation_id": conversation_id, "sdp_offer": offer()}),
        )
        .await;
    match reply(agent, &request).await.0 {
        ReplyResult::Ok { call_id: Some(id) } => id.as_str().to_owned(),
        other => panic!("expected the call id, got {other:?}"),
    }
}

/// Skips call messages until a `call_update` whose state passes `wanted`.
async fn until_update(agent: &mut AgentSocket, wanted: impl Fn(&CallState) -> bool) {
    loop {
        if let ServerMessage::CallUpdate(update) = next_call_message(agent).await {
            if wanted(&update.state) {
                return;
            }
        }
    }
}

/// Asks for permission, has the customer answer `answer`, waits until calling is allowed.
async fn permission_granted(
    rig: &Rig,
    agent: &mut AgentSocket,
    conversation_id: &str,
    answer: &str,
) {
    let request = agent
        .send(json!({"type": "request_permission", "conversation_id": conversation_id}))
        .await;
    assert!(matches!(
        reply(agent, &request).await.0,
        ReplyResult::Ok { .. }
    ));
    rig.sim_post(
        "/permission-replies",
        json!({ "from": CUSTOMER, "answer": answer }),
    )
    .await;
    loop {
        if let ServerMessage::PermissionChanged(changed) = agent.recv().await {
            if changed.permission.call == protocol::rest::Verdict::Allowed {
                return;
            }
        }
    }
}

struct Scene {
    rig: Rig,
    token: String,
    agent: AgentSocket,
    conversation_id: String,
}

/// The customer writes; the conversation is assigned to the agent, who is signed in.
async fn scene() -> Scene {
    let rig = Rig::start(|_| {}).await;
    let (agent_id, token) = rig.agent("alice").await;
    let agent = rig.signed_in(&token).await;
    rig.sim_post(
        "/messages",
        json!({ "from": CUSTOMER, "name": "Ada Customer", "text": "Can you call me about my order?" }),
    )
    .await;
    rig.platform.processed(1).await;
    rig.platform
        .store()
        .assign_conversation(PHONE_NUMBER_ID, CUSTOMER, &agent_id)
        .await
        .unwrap();
    let conversations = rig.get_json("/api/conversations", &token).await;
    let conversation = &conversations[0];
    assert_eq!(conversation["customer"]["number"], CUSTOMER);
    assert_eq!(
        conversation["recent_messages"][0]["body"]["text"],
        "Can you call me about my order?"
    );
    let conversation_id = conversation["id"].as_str().unwrap().to_owned();
    Scene {
        rig,
        token,
        agent,
        conversation_id,
    }
}

fn sim_saw_no_call(value: &Value) -> bool {
    value["active"].as_array().is_some_and(Vec::is_empty)
}

#[tokio::test]
async fn the_agent_asks_for_permission_calls_and_the_customer_talks_then_hangs_up() {
    let Scene {
        rig,
        token,
        mut agent,
        conversation_id,
    } = scene().await;

    // No permission yet: refused before Meta.
    let code = refused(
        &mut agent,
        json!({"type": "place_call", "conversation_id": conversation_id, "sdp_offer": offer()}),
    )
    .await;
    assert_eq!(code, ErrorCode::NoCallPermission);
    assert!(sim_saw_no_call(&rig.sim_get("/calls").await));

    // The permission request goes out; the customer accepts; the agent hears of it.
    let request = agent
        .send(json!({"type": "request_permission", "conversation_id": conversation_id}))
        .await;
    assert!(matches!(
        reply(&mut agent, &request).await.0,
        ReplyResult::Ok { .. }
    ));
    // A second request within 24 h is refused before Meta.
    let code = refused(
        &mut agent,
        json!({"type": "request_permission", "conversation_id": conversation_id}),
    )
    .await;
    assert_eq!(code, ErrorCode::PermissionRequestLimitReached);
    rig.sim_post(
        "/permission-replies",
        json!({ "from": CUSTOMER, "answer": "accept_temporary" }),
    )
    .await;
    loop {
        if let ServerMessage::PermissionChanged(changed) = agent.recv().await {
            if changed.permission.call == protocol::rest::Verdict::Allowed {
                break;
            }
        }
    }
    // The request is in the agent's Permission requests view, with the customer's reply.
    let requests = rig.get_json("/api/v1/permission_requests", &token).await;
    let requests = requests["permission_requests"].as_array().unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["requested_by_name"], "alice");
    assert_eq!(requests[0]["reply"], "accepted_temporary");
    assert_eq!(requests[0]["customer"]["number"], CUSTOMER);

    // The agent calls: Meta takes it, its answer reaches the app, the phone rings.
    let call_id = place(&mut agent, &conversation_id).await;
    match next_call_message(&mut agent).await {
        ServerMessage::RemoteAnswer(answer) => assert_eq!(answer.call_id.as_str(), call_id),
        other => panic!("expected remote_answer, got {other:?}"),
    }
    assert!(matches!(
        next_call_message(&mut agent).await,
        ServerMessage::CallUpdate(update) if update.state == CallState::Ringing
    ));
    let record = rig.record(&call_id, &token).await;
    assert_eq!(record["direction"], "outbound");
    assert!(
        record["answered_at"].is_null(),
        "not answered before the pickup: {record}"
    );

    // The customer picks up: media starts now; 30 s later they hang up.
    rig.sim_post(&format!("/calls/{call_id}/answer"), json!({}))
        .await;
    assert!(matches!(
        next_call_message(&mut agent).await,
        ServerMessage::StartMedia(_)
    ));
    assert!(matches!(
        next_call_message(&mut agent).await,
        ServerMessage::CallUpdate(update) if matches!(update.state, CallState::Accepted { .. })
    ));
    rig.advance_clock(30).await;
    rig.customer_hangs_up(&call_id).await;
    assert!(matches!(
        next_call_message(&mut agent).await,
        ServerMessage::CallUpdate(update) if matches!(update.state, CallState::Ended { .. })
    ));
    let record = rig.record_with_status(&call_id, &token, "completed").await;
    assert_eq!(record["direction"], "outbound");
    assert_eq!(
        record["duration_secs"], 30,
        "talk time from the pickup: {record}"
    );
    assert!(!record["answered_at"].is_null());
    rig.stop().await;
}

#[tokio::test]
async fn a_call_request_or_text_by_an_agent_not_on_the_conversation_is_refused_before_meta() {
    let Scene {
        rig,
        token: _,
        agent: _alice,
        conversation_id,
    } = scene().await;
    let (_, bob_token) = rig.agent("bob").await;
    let mut bob = rig.signed_in(&bob_token).await;
    let code = refused(
        &mut bob,
        json!({"type": "place_call", "conversation_id": conversation_id, "sdp_offer": offer()}),
    )
    .await;
    assert_eq!(code, ErrorCode::NotConversationAgent);
    let code = refused(
        &mut bob,
        json!({"type": "request_permission", "conversation_id": conversation_id}),
    )
    .await;
    assert_eq!(code, ErrorCode::NotConversationAgent);
    let code = refused(
        &mut bob,
        json!({"type": "send_text", "conversation_id": conversation_id, "text": "hello"}),
    )
    .await;
    assert_eq!(code, ErrorCode::NotConversationAgent);
    assert!(sim_saw_no_call(&rig.sim_get("/calls").await));
    rig.stop().await;
}

#[tokio::test]
async fn a_rejected_call_ends_rejected_and_the_agent_can_write_within_the_window() {
    let Scene {
        rig,
        token,
        mut agent,
        conversation_id,
    } = scene().await;
    let request = agent
        .send(json!({"type": "send_text", "conversation_id": conversation_id, "text": "Calling you in a minute"}))
        .await;
    assert!(matches!(
        reply(&mut agent, &request).await.0,
        ReplyResult::Ok { .. }
    ));
    let text_kept = eventually(async || {
        let conversations = rig.get_json("/api/conversations", &token).await;
        let messages = conversations[0]["recent_messages"].as_array()?.clone();
        messages
            .iter()
            .any(|m| m["direction"] == "outbound" && m["body"]["text"] == "Calling you in a minute")
            .then_some(())
    });
    text_kept.await;

    permission_granted(&rig, &mut agent, &conversation_id, "accept_permanent").await;
    let call_id = place(&mut agent, &conversation_id).await;
    until_update(&mut agent, |state| *state == CallState::Ringing).await;
    rig.sim_post(&format!("/calls/{call_id}/reject"), json!({}))
        .await;
    until_update(&mut agent, |state| {
        matches!(state, CallState::Rejected { .. })
    })
    .await;
    let record = rig.record_with_status(&call_id, &token, "rejected").await;
    assert_eq!(record["ended_by"], "customer");
    rig.stop().await;
}

/// Places a call and has the customer decline it; waits until the agent hears so.
async fn call_declined(rig: &Rig, agent: &mut AgentSocket, conversation_id: &str) {
    let call_id = place(agent, conversation_id).await;
    until_update(agent, |state| *state == CallState::Ringing).await;
    rig.sim_post(&format!("/calls/{call_id}/reject"), json!({}))
        .await;
    until_update(agent, |state| matches!(state, CallState::Rejected { .. })).await;
}

#[tokio::test]
async fn four_unanswered_calls_in_a_row_revoke_the_permission() {
    let Scene {
        rig,
        token: _,
        mut agent,
        conversation_id,
    } = scene().await;
    permission_granted(&rig, &mut agent, &conversation_id, "accept_permanent").await;
    for _ in 0..4 {
        call_declined(&rig, &mut agent, &conversation_id).await;
    }
    let code = refused(
        &mut agent,
        json!({"type": "place_call", "conversation_id": conversation_id, "sdp_offer": offer()}),
    )
    .await;
    assert_eq!(
        code,
        ErrorCode::NoCallPermission,
        "revoked after four unanswered calls"
    );
    rig.stop().await;
}

#[tokio::test]
async fn when_meta_refuses_for_want_of_permission_the_platform_takes_metas_view() {
    let Scene {
        rig,
        token: _,
        mut agent,
        conversation_id,
    } = scene().await;
    permission_granted(&rig, &mut agent, &conversation_id, "accept_temporary").await;

    // Meta's view moves on without a webhook: eight days later on wa-sim's clock the
    // temporary permission has lapsed there, while the platform's clock still holds it valid.
    rig.advance_clock(8 * 24 * 3600).await;
    let place_call =
        json!({"type": "place_call", "conversation_id": conversation_id, "sdp_offer": offer()});
    // The platform lets the call go; Meta refuses it (138006).
    assert_eq!(
        refused(&mut agent, place_call.clone()).await,
        ErrorCode::UpstreamError
    );
    // The platform asks Meta (`GET /call_permissions`), records its view and tells the agent.
    loop {
        if let ServerMessage::PermissionChanged(changed) = agent.recv().await {
            if changed.permission.call != protocol::rest::Verdict::Allowed {
                assert_eq!(
                    changed.permission.status,
                    protocol::rest::PermissionStatus::NoPermission
                );
                break;
            }
        }
    }
    // The next call is refused by the platform itself, before Meta.
    assert_eq!(
        refused(&mut agent, place_call).await,
        ErrorCode::NoCallPermission
    );
    rig.stop().await;
}
