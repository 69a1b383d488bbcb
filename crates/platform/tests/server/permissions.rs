//! The call-permission state `/api/conversations` shows comes from the permission ledger fed
//! by Meta's `call_permission_reply` webhooks and by connected customer calls.

use platform::permissions::PermissionEvent;
use platform::store::agents::Role;
use platform::store::permissions::PermissionFact;
use protocol::rest::PermissionStatus;
use protocol::ServerMessage;
use serde_json::{json, Value};
use whatsapp::webhook::{
    CallPermissionReply, ChangeField, ChangeValue, Contact, InboundMessage, ResponseSource,
    WebhookEnvelope,
};

use crate::support::*;

fn messages_body(message: InboundMessage) -> Vec<u8> {
    let value = ChangeValue::for_number(PHONE_NUMBER_ID, BUSINESS_NUMBER)
        .with_contact(Contact::new(CUSTOMER, "Ada Customer"))
        .with_message(message);
    WebhookEnvelope::single("200000000000002", ChangeField::Messages, value)
        .to_vec()
        .unwrap()
}

fn reply_body(id: &str, reply: CallPermissionReply, sent_at: u64) -> Vec<u8> {
    messages_body(
        InboundMessage::call_permission_reply(id, CUSTOMER, reply, Some("wamid.REQUEST".into()))
            .with_timestamp(sent_at),
    )
}

/// The permission state of the only conversation the admin sees.
async fn permission(harness: &Harness, token: &str) -> Value {
    let (status, conversations) = harness.get_json("/api/conversations", token).await;
    assert_eq!(status, 200);
    conversations[0]["permission"].clone()
}

fn rfc3339_secs(value: &Value) -> i64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn permission_reply_webhooks_change_the_conversations_permission_state() {
    let harness = Harness::start().await;
    let (_, admin) = harness.agent("admin", Role::Admin, None).await;
    let now = now_secs();
    let text = messages_body(
        InboundMessage::text("wamid.HELLO", CUSTOMER, "call me?").with_timestamp(now - 300),
    );
    assert_eq!(harness.post_webhook(&text).await, 200);
    harness.platform.processed(1).await;
    // The conversation's agent is told of every change.
    let (alice_id, alice_token) = harness.agent("alice", Role::Agent, None).await;
    harness
        .platform
        .store()
        .assign_conversation(PHONE_NUMBER_ID, CUSTOMER, &alice_id)
        .await
        .unwrap();
    let mut alice = harness.connect(&alice_token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    let before = permission(&harness, &admin).await;
    assert_eq!(before["status"], "no_permission");
    assert_eq!(before["call"]["code"], "no_call_permission");
    assert_eq!(before["request"]["verdict"], "allowed");

    let expires = now + 3 * 24 * 3600;
    let temporary = reply_body(
        "wamid.TEMP",
        CallPermissionReply::accept_temporary(expires, ResponseSource::UserAction),
        now - 240,
    );
    assert_eq!(harness.post_webhook(&temporary).await, 200);
    harness.platform.processed(2).await;
    let granted = permission(&harness, &admin).await;
    assert_eq!(granted["status"], "temporary");
    assert_eq!(rfc3339_secs(&granted["expires_at"]), expires as i64);
    assert_eq!(granted["call"]["verdict"], "allowed");
    match alice.recv().await {
        ServerMessage::PermissionChanged(changed) => {
            assert_eq!(changed.permission.status, PermissionStatus::Temporary);
            assert_eq!(changed.permission.customer_number.as_str(), CUSTOMER);
            assert_eq!(
                changed.permission.expires_at.map(|at| at.timestamp()),
                Some(expires as i64)
            );
        }
        other => panic!("expected permission_changed, got {other:?}"),
    }

    let rejected = reply_body(
        "wamid.NO",
        CallPermissionReply::reject(ResponseSource::UserAction),
        now - 180,
    );
    assert_eq!(harness.post_webhook(&rejected).await, 200);
    harness.platform.processed(3).await;
    let gone = permission(&harness, &admin).await;
    assert_eq!(gone["status"], "no_permission");
    assert_eq!(gone["expires_at"], Value::Null);
    assert_eq!(gone["call"]["code"], "no_call_permission");

    let permanent = reply_body(
        "wamid.FOREVER",
        CallPermissionReply::accept_permanent(),
        now - 120,
    );
    assert_eq!(harness.post_webhook(&permanent).await, 200);
    // Meta retrying an older reply stores it once and changes nothing.
    assert_eq!(harness.post_webhook(&rejected).await, 200);
    harness.platform.processed(5).await;
    let forever = permission(&harness, &admin).await;
    assert_eq!(forever["status"], "permanent");
    assert_eq!(forever["call"]["verdict"], "allowed");
    assert_eq!(forever["request"]["code"], "permanent_permission_exists");
    let facts = harness
        .platform
        .store()
        .permission_facts(PHONE_NUMBER_ID, CUSTOMER)
        .await
        .unwrap();
    assert_eq!(facts.len(), 3, "{facts:?}");
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_connected_customer_call_resets_request_limits_and_grants_callback_permission() {
    let mut harness = Harness::start_with(|settings| {
        settings.numbers[0].callback_permission = Some(true);
    })
    .await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let now = now_secs();
    let text = messages_body(
        InboundMessage::text("wamid.HELLO", CUSTOMER, "call me?").with_timestamp(now - 7200),
    );
    assert_eq!(harness.post_webhook(&text).await, 200);
    harness.platform.processed(1).await;
    // A request sent an hour ago (the platform cannot send one yet: stored directly).
    let sent_ms = (now as i64 - 3600) * 1000;
    harness
        .platform
        .store()
        .add_permission_fact(
            PHONE_NUMBER_ID,
            CUSTOMER,
            &PermissionFact {
                id: "wamid.REQUEST".into(),
                at: sent_ms,
                event: PermissionEvent::RequestSent,
            },
        )
        .await
        .unwrap();
    let limited = permission(&harness, &token).await;
    assert_eq!(
        limited["request"]["code"],
        "permission_request_limit_reached"
    );
    assert_eq!(
        rfc3339_secs(&limited["next_request_at"]),
        sent_ms / 1000 + 24 * 3600
    );
    assert_eq!(limited["status"], "no_permission");

    let mut alice = harness.connect(&token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    assert_eq!(harness.post_webhook(&connect_body("wacid.CB")).await, 200);
    assert!(matches!(alice.recv().await, ServerMessage::IncomingCall(_)));
    alice
        .send(json!({"type": "accept_call", "call_id": "wacid.CB", "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    assert!(matches!(alice.recv().await, ServerMessage::Reply(_)));
    alice
        .send(json!({"type": "media_ready", "call_id": "wacid.CB"}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("accept"));
    assert!(matches!(alice.recv().await, ServerMessage::StartMedia(_)));
    assert!(matches!(alice.recv().await, ServerMessage::CallUpdate(_)));
    // The reply to media_ready comes once everything the accept changed is stored.
    assert!(matches!(alice.recv().await, ServerMessage::Reply(_)));

    let after = permission(&harness, &token).await;
    assert_eq!(after["request"]["verdict"], "allowed", "{after}");
    assert_eq!(after["next_request_at"], Value::Null);
    assert_eq!(after["status"], "temporary", "callback permission");
    let expires = rfc3339_secs(&after["expires_at"]);
    let week = 7 * 24 * 3600;
    assert!(
        (now as i64 + week..=now_secs() as i64 + week).contains(&expires),
        "7 days from the connected call, got {expires}"
    );
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn without_callback_permission_a_connected_call_grants_nothing() {
    let mut harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Admin, None).await;
    let mut alice = harness.connect(&token).await;
    assert!(matches!(alice.recv().await, ServerMessage::Hello(_)));
    assert_eq!(harness.post_webhook(&connect_body("wacid.NOCB")).await, 200);
    assert!(matches!(alice.recv().await, ServerMessage::IncomingCall(_)));
    alice
        .send(json!({"type": "accept_call", "call_id": "wacid.NOCB", "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    assert!(matches!(alice.recv().await, ServerMessage::Reply(_)));
    alice
        .send(json!({"type": "media_ready", "call_id": "wacid.NOCB"}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("accept"));
    assert!(matches!(alice.recv().await, ServerMessage::StartMedia(_)));
    assert!(matches!(alice.recv().await, ServerMessage::CallUpdate(_)));
    // The reply to media_ready comes once everything the accept changed is stored.
    assert!(matches!(alice.recv().await, ServerMessage::Reply(_)));
    let state = permission(&harness, &token).await;
    assert_eq!(state["status"], "no_permission");
    assert_eq!(
        state["request"]["verdict"], "allowed",
        "the call opened the service window"
    );
    harness.platform.shutdown().await;
}
