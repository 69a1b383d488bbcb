//! REST visibility: agents see their own calls, supervisors their team's, admins all.

use platform::store::agents::Role;
use protocol::ServerMessage;
use serde_json::json;

use crate::support::*;

/// Rings `socket`'s agent with `call_id` and has them reject it, so the record names them.
pub(crate) async fn ring_and_reject(harness: &Harness, socket: &mut AgentSocket, call_id: &str) {
    assert_eq!(harness.post_webhook(&connect_body(call_id)).await, 200);
    match socket.recv().await {
        ServerMessage::IncomingCall(call) => assert_eq!(call.call_id.as_str(), call_id),
        other => panic!("expected incoming_call, got {other:?}"),
    }
    socket
        .send(json!({"type": "reject_call", "call_id": call_id}))
        .await;
    assert!(matches!(socket.recv().await, ServerMessage::Reply(_)));
}

fn ids(calls: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = calls
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|call| call["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn agents_see_their_own_calls_supervisors_their_team_admins_all() {
    let harness = Harness::start().await;
    let (red_id, red) = harness.agent("red-agent", Role::Agent, Some("red")).await;
    let (_, blue) = harness.agent("blue-agent", Role::Agent, Some("blue")).await;
    let (_, red_lead) = harness
        .agent("red-lead", Role::Supervisor, Some("red"))
        .await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;

    // Only one agent is connected at a time, so each call rings exactly that agent.
    let mut socket = harness.connect(&red).await;
    assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));
    ring_and_reject(&harness, &mut socket, "wacid.RED").await;
    // Away (acknowledged) before leaving, so the next call cannot ring the red agent even if
    // the platform has not yet noticed the closed socket.
    socket
        .send(json!({"type": "set_presence", "presence": "away"}))
        .await;
    assert!(matches!(socket.recv().await, ServerMessage::Reply(_)));
    socket.close().await;
    let mut socket = harness.connect(&blue).await;
    assert!(matches!(socket.recv().await, ServerMessage::Hello(_)));
    ring_and_reject(&harness, &mut socket, "wacid.BLUE").await;
    socket.close().await;

    assert_eq!(
        ids(&harness.get_json("/api/calls", &red).await.1),
        ["wacid.RED"]
    );
    assert_eq!(
        ids(&harness.get_json("/api/calls", &blue).await.1),
        ["wacid.BLUE"]
    );
    assert_eq!(
        ids(&harness.get_json("/api/calls", &red_lead).await.1),
        ["wacid.RED"]
    );
    assert_eq!(
        ids(&harness.get_json("/api/calls", &admin).await.1),
        ["wacid.BLUE", "wacid.RED"]
    );

    let (status, _) = harness.get_json("/api/calls/wacid.BLUE", &red).await;
    assert_eq!(status, 404, "another agent's call is not revealed");
    let (status, record) = harness.get_json("/api/calls/wacid.RED", &red_lead).await;
    assert_eq!(status, 200);
    assert_eq!(record["agents_rung"][0]["agent_id"], red_id.as_str());

    let filtered = harness
        .get_json(
            &format!("/api/calls?agent={red_id}&direction=inbound"),
            &admin,
        )
        .await
        .1;
    assert_eq!(ids(&filtered), ["wacid.RED"]);
    let hour_ago = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let in_an_hour =
        (chrono::Utc::now() + chrono::TimeDelta::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let range = harness
        .get_json(
            &format!("/api/calls?from={hour_ago}&to={in_an_hour}"),
            &admin,
        )
        .await
        .1;
    assert_eq!(ids(&range), ["wacid.BLUE", "wacid.RED"]);
    let later = harness
        .get_json(&format!("/api/calls?from={in_an_hour}"), &admin)
        .await
        .1;
    assert_eq!(later, json!([]));
    let (status, _) = harness
        .get_json(
            &format!("/api/calls?from={in_an_hour}&to={hour_ago}"),
            &admin,
        )
        .await;
    assert_eq!(status, 400, "an empty range is refused");
    let (status, refusal) = harness.get_json("/api/calls?status=bogus", &admin).await;
    assert_eq!(status, 400);
    assert!(refusal["message"].as_str().unwrap().starts_with("status: "));
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn the_api_refuses_missing_and_unknown_tokens() {
    let harness = Harness::start().await;
    let response = harness
        .http
        .get(format!("{}/api/calls", harness.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let (status, body) = harness.get_json("/api/calls", "rdk_not-a-token").await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(
        AgentSocket::refused_status(&harness.base, "rdk_not-a-token").await,
        401
    );
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn conversations_are_created_by_calls_and_shown_to_the_assigned_agent() {
    let harness = Harness::start().await;
    let (alice_id, alice) = harness.agent("alice", Role::Agent, None).await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;
    assert_eq!(harness.post_webhook(&connect_body("wacid.CONV")).await, 200);
    harness.platform.processed(1).await;

    let (_, all) = harness.get_json("/api/conversations", &admin).await;
    assert_eq!(all[0]["customer"]["number"], CUSTOMER);
    assert_eq!(all[0]["customer"]["profile_name"], "Ada Customer");
    assert!(all[0]["last_customer_activity_at"].is_string());
    let (_, mine) = harness.get_json("/api/conversations", &alice).await;
    assert_eq!(mine, json!([]), "not assigned yet");

    harness
        .platform
        .store()
        .assign_conversation(PHONE_NUMBER_ID, CUSTOMER, &alice_id)
        .await
        .unwrap();
    let (_, mine) = harness.get_json("/api/conversations", &alice).await;
    assert_eq!(mine[0]["assigned_agent"], alice_id.as_str());
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn an_inbound_text_message_creates_the_conversation_with_the_profile_name() {
    use whatsapp::webhook::{ChangeField, ChangeValue, Contact, InboundMessage, WebhookEnvelope};

    let harness = Harness::start().await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;
    let sent_at = now_secs() - 60;
    let value = ChangeValue::for_number(PHONE_NUMBER_ID, BUSINESS_NUMBER)
        .with_contact(Contact::new("15550100002", "Bea Customer"))
        .with_message(
            InboundMessage::text("wamid.TEXT", "15550100002", "hello?").with_timestamp(sent_at),
        );
    let body = WebhookEnvelope::single("200000000000002", ChangeField::Messages, value)
        .to_vec()
        .unwrap();
    assert_eq!(harness.post_webhook(&body).await, 200);
    harness.platform.processed(1).await;

    let (_, conversations) = harness.get_json("/api/conversations", &admin).await;
    let conversation = &conversations[0];
    assert_eq!(conversation["customer"]["number"], "15550100002");
    assert_eq!(conversation["customer"]["profile_name"], "Bea Customer");
    let last = conversation["last_customer_activity_at"].as_str().unwrap();
    let last = chrono::DateTime::parse_from_rfc3339(last).unwrap();
    assert_eq!(
        last.timestamp(),
        sent_at as i64,
        "Meta's timestamp, not the arrival time"
    );
    assert_eq!(
        conversation["permission"]["request"]["verdict"], "allowed",
        "the service window is open after a message"
    );
    assert_eq!(
        conversation["recent_messages"],
        json!([{
            "direction": "inbound",
            "at": conversation["last_customer_activity_at"],
            "body": {"kind": "text", "text": "hello?"}
        }])
    );
    // Meta retrying the same message stores it once.
    assert_eq!(harness.post_webhook(&body).await, 200);
    harness.platform.processed(2).await;
    let (_, again) = harness.get_json("/api/conversations", &admin).await;
    assert_eq!(again[0]["recent_messages"].as_array().unwrap().len(), 1);
    harness.platform.shutdown().await;
}
