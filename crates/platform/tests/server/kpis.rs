//! Daily figures per agent over REST, by role, from calls that really went through the
//! platform (one talked, one rejected and missed).

use platform::store::agents::Role;
use serde_json::{json, Value};

use protocol::ServerMessage;

use crate::support::{connect_body, reply_outcome, talked_call, Harness};

#[tokio::test]
async fn figures_per_agent_and_day_count_what_happened_and_follow_the_callers_scope() {
    let mut harness = Harness::start().await;
    let (alice_id, alice_token) = harness.agent("alice", Role::Agent, Some("north")).await;
    let (_, sam_token) = harness.agent("sam", Role::Supervisor, Some("north")).await;
    let (_, bob_token) = harness.agent("bob", Role::Agent, Some("south")).await;
    let (_, root_token) = harness.agent("root", Role::Admin, None).await;

    let mut alice = harness.connect(&alice_token).await;
    talked_call(&mut harness, &mut alice, "wacid.K1").await;
    assert_eq!(harness.post_webhook(&connect_body("wacid.K2")).await, 200);
    loop {
        if let ServerMessage::IncomingCall(call) = alice.recv().await {
            assert_eq!(call.call_id.as_str(), "wacid.K2");
            break;
        }
    }
    let reject = alice
        .send(json!({"type": "reject_call", "call_id": "wacid.K2"}))
        .await;
    assert_eq!(reply_outcome(&mut alice, &reject).await, None);

    // Yesterday to tomorrow (UTC), so a test running across midnight still sees both calls.
    let today = chrono::Utc::now().date_naive();
    let range = format!(
        "from={}&to={}",
        today - chrono::TimeDelta::days(1),
        today + chrono::TimeDelta::days(1)
    );
    let rows = |body: &Value| body["rows"].as_array().unwrap().clone();
    let kpis = |token: &str, extra: &str| {
        let path = format!("/api/v1/kpis?{range}{extra}");
        let token = token.to_owned();
        let harness = &harness;
        async move { harness.get_json(&path, &token).await }
    };

    let (status, body) = kpis(&sam_token, "").await;
    assert_eq!(status, 200, "{body}");
    let sams = rows(&body);
    let total =
        |rows: &[Value], field: &str| rows.iter().map(|r| r[field].as_i64().unwrap()).sum::<i64>();
    assert!(
        sams.iter().all(|r| r["agent_id"] == alice_id.as_str()),
        "{sams:?}"
    );
    assert_eq!(total(&sams, "offered"), 2);
    assert_eq!(total(&sams, "answered"), 1);
    assert_eq!(total(&sams, "missed"), 1);
    assert_eq!(total(&sams, "outbound_placed"), 0);
    let answered_day = sams.iter().find(|r| r["answered"] == 1).unwrap();
    assert_eq!(answered_day["avg_talk_secs"], 41.0);
    let answer = answered_day["avg_answer_secs"].as_f64().unwrap();
    assert!((0.0..60.0).contains(&answer), "{answer}");
    assert_eq!(answered_day["agent_name"], "alice");

    // The agent sees their own; another agent nothing; the admin everyone.
    assert_eq!(rows(&kpis(&alice_token, "").await.1), sams);
    assert_eq!(rows(&kpis(&bob_token, "").await.1), Vec::<Value>::new());
    assert_eq!(rows(&kpis(&root_token, "").await.1), sams);
    assert_eq!(
        rows(&kpis(&root_token, "&team=south").await.1),
        Vec::<Value>::new()
    );

    // Outside one's scope, or a bad parameter: refused, with the reason.
    let (status, refusal) = kpis(&bob_token, "&team=north").await;
    assert_eq!((status, refusal["code"].as_str()), (403, Some("forbidden")));
    let (status, _) = kpis(&sam_token, "&team=south").await;
    assert_eq!(status, 403);
    let (status, refusal) = kpis(&sam_token, "&timezone=Mars/Base").await;
    assert_eq!(status, 400);
    assert!(refusal["message"]
        .as_str()
        .unwrap()
        .starts_with("timezone:"));
    let (status, refusal) = harness
        .get_json(
            "/api/v1/kpis?from=2026-12-01&to=2026-12-01&agent=x",
            &sam_token,
        )
        .await;
    assert_eq!(status, 400, "{refusal}");
    harness.platform.shutdown().await;
}
