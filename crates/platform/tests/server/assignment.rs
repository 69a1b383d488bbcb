//! Assigning conversations and contact owners over REST: who may move what, audited, and the
//! newly assigned agent's inbox gets the conversation at once.

use platform::store::agents::Role;
use protocol::ServerMessage;
use serde_json::{json, Value};
use whatsapp::webhook::{ChangeField, ChangeValue, Contact, InboundMessage, WebhookEnvelope};

use crate::support::{now_secs, Harness, BUSINESS_NUMBER, PHONE_NUMBER_ID};

const CUSTOMER: &str = "15550100002";

async fn put(harness: &Harness, path: &str, token: &str, body: Value) -> (u16, Value) {
    let response = harness
        .http
        .put(format!("{}{path}", harness.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn supervisors_assign_within_their_team_admins_anywhere_agents_never() {
    let harness = Harness::start().await;
    let (_, root) = harness.agent("root", Role::Admin, None).await;
    let (_, sam) = harness.agent("sam", Role::Supervisor, Some("north")).await;
    let (alice_id, alice) = harness.agent("alice", Role::Agent, Some("north")).await;
    let (bob_id, bob) = harness.agent("bob", Role::Agent, Some("south")).await;

    // The customer writes: the conversation exists, assigned to nobody.
    let value = ChangeValue::for_number(PHONE_NUMBER_ID, BUSINESS_NUMBER)
        .with_contact(Contact::new(CUSTOMER, "Bea Customer"))
        .with_message(InboundMessage::text("wamid.A1", CUSTOMER, "hi").with_timestamp(now_secs()));
    let body = WebhookEnvelope::single("200000000000002", ChangeField::Messages, value)
        .to_vec()
        .unwrap();
    assert_eq!(harness.post_webhook(&body).await, 200);
    harness.platform.processed(1).await;
    let (_, all) = harness.get_json("/api/conversations", &root).await;
    let id = all[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/conversations/{id}/agent");

    let mut alice_app = harness.connect(&alice).await;
    assert!(matches!(alice_app.recv().await, ServerMessage::Hello(_)));

    // An agent may not; a supervisor may not hand it to another team.
    let (status, refusal) = put(&harness, &path, &alice, json!({"agent_id": alice_id})).await;
    assert_eq!((status, refusal["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = put(&harness, &path, &sam, json!({"agent_id": bob_id})).await;
    assert_eq!(status, 403);
    let (status, refusal) = put(&harness, &path, &sam, json!({"agent_id": "nobody"})).await;
    assert_eq!(status, 422, "{refusal}");
    assert_eq!(
        harness.get_json("/api/conversations", &alice).await.1,
        json!([]),
        "refusals assigned nothing"
    );

    // The supervisor assigns it to alice: her app gets it at once.
    let (status, _) = put(&harness, &path, &sam, json!({"agent_id": alice_id})).await;
    assert_eq!(status, 200);
    loop {
        if let ServerMessage::ConversationUpdated(updated) = alice_app.recv().await {
            assert_eq!(updated.conversation.id.as_str(), id);
            break;
        }
    }
    // Held in sam's team now; the admin moves it to bob (south).
    let (status, _) = put(&harness, &path, &root, json!({"agent_id": bob_id})).await;
    assert_eq!(status, 200);
    let (_, bobs) = harness.get_json("/api/conversations", &bob).await;
    assert_eq!(bobs[0]["id"], id.as_str());
    // Bob holds it: sam may not take it back into his team.
    let (status, _) = put(&harness, &path, &sam, json!({"agent_id": alice_id})).await;
    assert_eq!(status, 403);

    // Contact owners, the same rules.
    let owner = format!("/api/v1/contact-owners/{CUSTOMER}");
    let (status, _) = put(&harness, &owner, &bob, json!({"agent_id": bob_id})).await;
    assert_eq!(status, 403);
    let (status, _) = put(&harness, &owner, &sam, json!({"agent_id": alice_id})).await;
    assert_eq!(status, 200);
    assert_eq!(
        harness
            .platform
            .store()
            .contact_owner(CUSTOMER)
            .await
            .unwrap(),
        Some(alice_id.clone())
    );
    let (status, _) = put(
        &harness,
        "/api/v1/contact-owners/not-a-number",
        &root,
        json!({"agent_id": null}),
    )
    .await;
    assert_eq!(status, 400);

    // Audited, by who.
    let (_, audit) = harness.get_json("/api/v1/audit", &root).await;
    let actions: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["actor_name"].as_str().unwrap(),
            )
        })
        .filter(|(action, _)| !action.starts_with("agent.") && !action.starts_with("team."))
        .collect();
    assert_eq!(
        actions,
        [
            ("contact_owner.set", "sam"),
            ("conversation.assign", "root"),
            ("conversation.assign", "sam"),
        ]
    );
    harness.platform.shutdown().await;
}
