//! The inbound call flow over real sockets: ring, accept (pre_accept → media_ready → accept),
//! terminate, reject / timeout / disconnect moving on, refusals.

use platform::store::agents::Role;
use protocol::{CallState, CancelReason, ErrorCode, ReplyResult, ServerMessage};
use serde_json::json;
use whatsapp::webhook::TerminateStatus;

use crate::support::*;

fn incoming(message: ServerMessage) -> protocol::IncomingCall {
    match message {
        ServerMessage::IncomingCall(call) => call,
        other => panic!("expected incoming_call, got {other:?}"),
    }
}

fn reply_ok(message: ServerMessage, request_id: &str) {
    match message {
        ServerMessage::Reply(reply) => {
            assert_eq!(reply.request_id.as_str(), request_id);
            assert!(matches!(reply.result, ReplyResult::Ok { .. }), "{reply:?}");
        }
        other => panic!("expected reply, got {other:?}"),
    }
}

async fn hello(socket: &mut AgentSocket) -> protocol::Hello {
    match socket.recv().await {
        ServerMessage::Hello(hello) => hello,
        other => panic!("expected hello, got {other:?}"),
    }
}

#[tokio::test]
async fn a_routed_call_rings_accepts_with_pre_accept_then_accept_and_closes_with_metas_duration() {
    let mut harness = Harness::start().await;
    let (alice_id, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    let greeting = hello(&mut alice).await;
    assert_eq!(greeting.agent.display_name, "alice");
    assert_eq!(greeting.numbers[0].number.as_str(), BUSINESS_NUMBER);

    assert_eq!(harness.post_webhook(&connect_body("wacid.FLOW")).await, 200);
    let call = incoming(alice.recv().await);
    assert_eq!(call.call_id.as_str(), "wacid.FLOW");
    assert_eq!(call.customer.number.as_str(), CUSTOMER);
    assert_eq!(call.customer.profile_name.as_deref(), Some("Ada Customer"));
    assert_eq!(call.sdp_offer.as_str(), OFFER);

    let accept = alice
        .send(json!({"type": "accept_call", "call_id": "wacid.FLOW", "sdp_answer": ANSWER}))
        .await;
    let pre_accept = harness.graph.next().await;
    assert_eq!(pre_accept.phone_number_id, PHONE_NUMBER_ID);
    assert_eq!(pre_accept.edge, "calls");
    assert_eq!(pre_accept.action(), Some("pre_accept"));
    assert_eq!(pre_accept.body["call_id"], "wacid.FLOW");
    assert_eq!(pre_accept.body["session"]["sdp_type"], "answer");
    assert_eq!(pre_accept.body["session"]["sdp"], ANSWER);
    reply_ok(alice.recv().await, &accept);

    let ready = alice
        .send(json!({"type": "media_ready", "call_id": "wacid.FLOW"}))
        .await;
    let accepted = harness.graph.next().await;
    assert_eq!(accepted.action(), Some("accept"));
    assert_eq!(
        accepted.body["session"]["sdp"], ANSWER,
        "accept repeats the pre_accept answer"
    );
    assert!(
        matches!(alice.recv().await, ServerMessage::StartMedia(start) if start.call_id.as_str() == "wacid.FLOW")
    );
    assert!(matches!(
        alice.recv().await,
        ServerMessage::CallUpdate(update) if matches!(update.state, CallState::Accepted { .. })
    ));
    reply_ok(alice.recv().await, &ready);

    let (_, during) = harness.get_json("/api/calls/wacid.FLOW", &token).await;
    assert_eq!(during["status"], "on_call");
    assert_eq!(during["answered_by"], alice_id.as_str());

    let start = now_secs() - 42;
    let end = now_secs();
    let terminate = terminate_body("wacid.FLOW", TerminateStatus::Completed, Some((start, end)));
    assert_eq!(harness.post_webhook(&terminate).await, 200);
    match alice.recv().await {
        ServerMessage::CallUpdate(update) => match update.state {
            CallState::Ended {
                duration_secs, by, ..
            } => {
                assert_eq!(duration_secs, 42);
                assert_eq!(by, protocol::Party::Customer);
            }
            other => panic!("expected ended, got {other:?}"),
        },
        other => panic!("expected call_update, got {other:?}"),
    }
    let (_, calls) = harness
        .get_json("/api/calls?status=completed", &token)
        .await;
    let record = &calls[0];
    assert_eq!(record["id"], "wacid.FLOW");
    assert_eq!(record["status"], "completed");
    assert_eq!(record["duration_secs"], 42);
    assert_eq!(record["agents_rung"][0]["outcome"], "accepted");
    assert_eq!(record["agents_rung"][0]["routed_because"], "round_robin");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_rejected_call_moves_to_the_next_agent_then_is_missed_and_rejected_with_meta() {
    let mut harness = Harness::start().await;
    let (_, alice_token) = harness.agent("alice", Role::Admin, None).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, None).await;
    let mut alice = harness.connect(&alice_token).await;
    let mut bob = harness.connect(&bob_token).await;
    hello(&mut alice).await;
    hello(&mut bob).await;

    assert_eq!(harness.post_webhook(&connect_body("wacid.NEXT")).await, 200);
    harness.platform.processed(1).await;
    let mut first_rung = alice.drain().await;
    let (mut first, mut second) = (&mut alice, &mut bob);
    if first_rung.is_empty() {
        first_rung = bob.drain().await;
        (first, second) = (&mut bob, &mut alice);
    }
    let call = incoming(first_rung.remove(0));
    let reject = first
        .send(json!({"type": "reject_call", "call_id": call.call_id.as_str()}))
        .await;
    reply_ok(first.recv().await, &reject);

    let again = incoming(second.recv().await);
    assert_eq!(again.call_id, call.call_id);
    let reject = second
        .send(json!({"type": "reject_call", "call_id": "wacid.NEXT"}))
        .await;
    reply_ok(second.recv().await, &reject);

    let meta = harness.graph.next().await;
    assert_eq!(meta.action(), Some("reject"));
    assert_eq!(meta.body["call_id"], "wacid.NEXT");
    let (_, record) = harness
        .get_json("/api/calls/wacid.NEXT", &alice_token)
        .await;
    assert_eq!(record["status"], "missed");
    let outcomes: Vec<_> = record["agents_rung"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ring| ring["outcome"].clone())
        .collect();
    assert_eq!(outcomes, vec![json!("rejected"), json!("rejected")]);
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn the_ring_timeout_cancels_the_ring_and_the_call_is_missed() {
    let mut harness = Harness::start_with(|settings| {
        settings.timers.ring_timeout = std::time::Duration::from_millis(300);
    })
    .await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;

    assert_eq!(
        harness.post_webhook(&connect_body("wacid.TIMEOUT")).await,
        200
    );
    incoming(alice.recv().await);
    match alice.recv().await {
        ServerMessage::CallCancelled(cancelled) => {
            assert_eq!(cancelled.reason, CancelReason::TimedOut)
        }
        other => panic!("expected call_cancelled, got {other:?}"),
    }
    assert_eq!(harness.graph.next().await.action(), Some("reject"));
    let (_, record) = harness.get_json("/api/calls/wacid.TIMEOUT", &token).await;
    assert_eq!(record["status"], "missed");
    assert_eq!(record["agents_rung"][0]["outcome"], "timed_out");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn an_app_that_disconnects_while_ringing_counts_as_a_timeout() {
    let mut harness = Harness::start().await;
    let (_, alice_token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&alice_token).await;
    hello(&mut alice).await;

    assert_eq!(harness.post_webhook(&connect_body("wacid.GONE")).await, 200);
    incoming(alice.recv().await);
    alice.close().await;
    assert_eq!(harness.graph.next().await.action(), Some("reject"));
    let (_, record) = harness
        .get_json("/api/calls/wacid.GONE", &alice_token)
        .await;
    assert_eq!(record["status"], "missed");
    assert_eq!(record["agents_rung"][0]["outcome"], "timed_out");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_reconnecting_app_gets_the_still_ringing_call_in_hello() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut first = harness.connect(&token).await;
    hello(&mut first).await;
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.AGAIN")).await,
        200
    );
    incoming(first.recv().await);

    let mut second = harness.connect(&token).await;
    let greeting = hello(&mut second).await;
    assert_eq!(greeting.ringing.len(), 1);
    assert_eq!(greeting.ringing[0].call_id.as_str(), "wacid.AGAIN");
    assert_eq!(greeting.ringing[0].sdp_offer.as_str(), OFFER);
    match first.recv().await {
        ServerMessage::Error(error) => assert_eq!(error.code, ErrorCode::SessionReplaced),
        other => panic!("expected session_replaced, got {other:?}"),
    }
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn nobody_available_rejects_with_meta_and_sends_the_auto_responder_text() {
    let mut harness = Harness::start().await;
    let (_, token) = harness.agent("admin", Role::Admin, None).await;

    assert_eq!(
        harness.post_webhook(&connect_body("wacid.NOBODY")).await,
        200
    );
    let reject = harness.graph.next().await;
    assert_eq!(reject.action(), Some("reject"));
    let text = harness.graph.next().await;
    assert_eq!(text.edge, "messages");
    assert_eq!(text.body["to"], CUSTOMER);
    assert_eq!(text.body["type"], "text");
    assert!(!text.body["text"]["body"].as_str().unwrap().is_empty());
    let (_, record) = harness.get_json("/api/calls/wacid.NOBODY", &token).await;
    assert_eq!(record["status"], "all_agents_offline");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn an_agent_on_a_call_makes_the_next_caller_all_agents_busy() {
    let mut harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.FIRST")).await,
        200
    );
    incoming(alice.recv().await);

    assert_eq!(
        harness.post_webhook(&connect_body("wacid.SECOND")).await,
        200
    );
    assert_eq!(harness.graph.next().await.body["call_id"], "wacid.SECOND");
    let (_, record) = harness.get_json("/api/calls/wacid.SECOND", &token).await;
    assert_eq!(record["status"], "all_agents_busy");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn agent_hangup_terminates_with_meta() {
    let mut harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.HANGUP")).await,
        200
    );
    incoming(alice.recv().await);
    let accept = alice
        .send(json!({"type": "accept_call", "call_id": "wacid.HANGUP", "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    reply_ok(alice.recv().await, &accept);
    alice
        .send(json!({"type": "media_ready", "call_id": "wacid.HANGUP"}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("accept"));

    alice
        .send(json!({"type": "hangup", "call_id": "wacid.HANGUP"}))
        .await;
    let terminate = harness.graph.next().await;
    assert_eq!(terminate.action(), Some("terminate"));
    assert_eq!(terminate.body["call_id"], "wacid.HANGUP");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn an_answer_breaking_metas_sdp_rules_is_refused_with_the_reason_and_nothing_is_sent() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.BADSDP")).await,
        200
    );
    incoming(alice.recv().await);

    let no_audio = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
    let request = alice
        .send(json!({"type": "accept_call", "call_id": "wacid.BADSDP", "sdp_answer": no_audio}))
        .await;
    match alice.recv().await {
        ServerMessage::Reply(reply) => {
            assert_eq!(reply.request_id.as_str(), request);
            match reply.result {
                ReplyResult::Error(error) => {
                    assert_eq!(error.code, ErrorCode::InvalidSdp);
                    assert!(!error.message.is_empty());
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        other => panic!("expected reply, got {other:?}"),
    }
    assert!(harness.graph.seen().is_empty(), "nothing may reach Meta");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_malformed_frame_is_refused_with_a_reason_and_the_socket_stays_open() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;
    alice.send_raw("{not json").await;
    match alice.recv().await {
        ServerMessage::Error(error) => assert_eq!(error.code, ErrorCode::MalformedJson),
        other => panic!("expected error, got {other:?}"),
    }
    assert_eq!(alice.drain().await, vec![], "still answering pings");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn outside_call_hours_the_call_is_refused_with_the_closed_text_and_rings_nobody() {
    let mut harness = Harness::start_with(|settings| {
        // A week with no opening range: always closed.
        settings.numbers[0].call_hours = Some(platform::config::CallHoursSettings {
            timezone: "Europe/Berlin".into(),
            weekly: Default::default(),
            holidays: Vec::new(),
        });
        settings.auto_responder.outside_office_hours = "We are closed.".into();
    })
    .await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;

    assert_eq!(
        harness.post_webhook(&connect_body("wacid.CLOSED")).await,
        200
    );
    assert_eq!(harness.graph.next().await.action(), Some("reject"));
    let text = harness.graph.next().await;
    assert_eq!(text.body["text"]["body"], "We are closed.");
    assert_eq!(
        alice.drain().await,
        vec![],
        "nobody rings outside call hours"
    );
    let (_, record) = harness.get_json("/api/calls/wacid.CLOSED", &token).await;
    assert_eq!(record["status"], "outside_office_hours");
    assert_eq!(record["ended_by"], "system");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn metas_refusal_of_pre_accept_fails_the_call_with_metas_code() {
    let mut harness = Harness::start().await;
    harness.graph.refuse("pre_accept", 100);
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.REFUSED")).await,
        200
    );
    incoming(alice.recv().await);

    let request = alice
        .send(json!({"type": "accept_call", "call_id": "wacid.REFUSED", "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    assert_eq!(
        harness.graph.next().await.action(),
        Some("reject"),
        "the failed call is released"
    );
    match alice.recv().await {
        ServerMessage::CallUpdate(update) => match update.state {
            CallState::Failed {
                meta_error_code,
                message,
                ..
            } => {
                assert_eq!(meta_error_code, Some(100));
                assert!(
                    message.contains("Fingerprint algo is not SHA256"),
                    "{message}"
                );
            }
            other => panic!("expected failed, got {other:?}"),
        },
        other => panic!("expected call_update, got {other:?}"),
    }
    match alice.recv().await {
        ServerMessage::Reply(reply) => {
            assert_eq!(reply.request_id.as_str(), request);
            assert!(
                matches!(reply.result, ReplyResult::Error(ref error) if error.code == ErrorCode::UpstreamError)
            );
        }
        other => panic!("expected reply, got {other:?}"),
    }
    let (_, record) = harness.get_json("/api/calls/wacid.REFUSED", &token).await;
    assert_eq!(record["status"], "failed");
    assert_eq!(record["meta_error_code"], 100);
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_failed_terminate_closes_an_answered_call_as_failed_with_metas_error_code() {
    let mut harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.NOMEDIA")).await,
        200
    );
    incoming(alice.recv().await);
    alice
        .send(json!({"type": "accept_call", "call_id": "wacid.NOMEDIA", "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    alice
        .send(json!({"type": "media_ready", "call_id": "wacid.NOMEDIA"}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("accept"));

    // Meta's live 138021 example: the call failed after 20 s without media.
    let mut envelope: serde_json::Value = serde_json::from_slice(&terminate_body(
        "wacid.NOMEDIA",
        TerminateStatus::Failed,
        Some((now_secs() - 20, now_secs())),
    ))
    .unwrap();
    envelope["entry"][0]["changes"][0]["value"]["calls"][0]["errors"] = json!([{
        "code": 138021,
        "title": "WhatsApp client terminated the call due to not receiving any media for a long time. Please try again",
        "message": "WhatsApp client terminated the call due to not receiving any media for a long time. Please try again",
        "error_data": {"details": "WhatsApp client terminated the call due to not receiving any media for a long time."}
    }]);
    assert_eq!(
        harness.post_webhook(envelope.to_string().as_bytes()).await,
        200
    );
    loop {
        if let ServerMessage::CallUpdate(update) = alice.recv().await {
            if matches!(update.state, CallState::Ended { .. }) {
                break;
            }
        }
    }
    let (_, record) = harness.get_json("/api/calls/wacid.NOMEDIA", &token).await;
    assert_eq!(record["status"], "failed");
    assert_eq!(record["meta_error_code"], 138021);
    assert_eq!(record["duration_secs"], 20);
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_caller_hanging_up_while_ringing_cancels_the_ring_and_the_call_is_missed_by_the_customer()
{
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut alice = harness.connect(&token).await;
    hello(&mut alice).await;
    assert_eq!(
        harness.post_webhook(&connect_body("wacid.HUNGUP")).await,
        200
    );
    incoming(alice.recv().await);

    let terminate = terminate_body("wacid.HUNGUP", TerminateStatus::Completed, None);
    assert_eq!(harness.post_webhook(&terminate).await, 200);
    match alice.recv().await {
        ServerMessage::CallCancelled(cancelled) => {
            assert_eq!(cancelled.reason, CancelReason::CallerHungUp)
        }
        other => panic!("expected call_cancelled, got {other:?}"),
    }
    // The same terminate again (Meta retries) changes nothing.
    assert_eq!(harness.post_webhook(&terminate).await, 200);
    harness.platform.processed(3).await;
    assert_eq!(alice.drain().await, vec![]);
    let (_, record) = harness.get_json("/api/calls/wacid.HUNGUP", &token).await;
    assert_eq!(record["status"], "missed");
    assert_eq!(record["ended_by"], "customer");
    assert_eq!(record["agents_rung"][0]["outcome"], "cancelled");
    assert!(
        harness.graph.seen().is_empty(),
        "Meta already ended the call"
    );
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn going_away_while_ringing_moves_the_call_to_the_next_agent() {
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
    hello(&mut alice).await;
    hello(&mut bob).await;

    assert_eq!(harness.post_webhook(&connect_body("wacid.AWAY")).await, 200);
    assert_eq!(
        incoming(alice.recv().await).routed_because,
        protocol::RoutedBecause::OpenConversation
    );
    let away = alice
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    match alice.recv().await {
        ServerMessage::CallCancelled(cancelled) => {
            assert_eq!(cancelled.reason, CancelReason::AgentUnavailable)
        }
        other => panic!("expected call_cancelled, got {other:?}"),
    }
    reply_ok(alice.recv().await, &away);
    assert_eq!(incoming(bob.recv().await).call_id.as_str(), "wacid.AWAY");
    harness.platform.shutdown().await;
}
