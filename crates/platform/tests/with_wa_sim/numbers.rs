//! Numbers' settings changed through the admin API while the platform runs: the change
//! reaches Meta's `/settings` (as wa-sim holds it) and the next call, a refusal by Meta
//! changes nothing, and roles are enforced.

use serde_json::{json, Value};

use crate::rig::Rig;
use crate::support::{AgentSocket, CUSTOMER, PHONE_NUMBER_ID};
use crate::{reject, rejected_at_wa_sim, rung};

const ACCESS_TOKEN: &str = "test-access-token";

async fn patch(rig: &Rig, token: &str, body: Value) -> (u16, Value) {
    let response = rig
        .http
        .patch(format!("{}/api/v1/numbers/{PHONE_NUMBER_ID}", rig.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(rig: &Rig, path: &str, token: &str) -> (u16, Value) {
    let response = rig
        .http
        .get(format!("{}{path}", rig.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The `calling` object Meta (wa-sim) holds for the number, read as the Graph API gives it.
async fn metas_calling(rig: &Rig) -> Value {
    let settings: Value = rig
        .http
        .get(format!(
            "{}/v23.0/{PHONE_NUMBER_ID}/settings",
            rig.sim.base_url()
        ))
        .bearer_auth(ACCESS_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    settings["calling"].clone()
}

/// Sets Meta's side directly, as someone using Meta's own tools would.
async fn set_at_meta(rig: &Rig, calling: Value) {
    let response = rig
        .http
        .post(format!(
            "{}/v23.0/{PHONE_NUMBER_ID}/settings",
            rig.sim.base_url()
        ))
        .bearer_auth(ACCESS_TOKEN)
        .json(&json!({ "calling": calling }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn number_updates_audited(rig: &Rig, token: &str) -> Vec<Value> {
    let (status, entries) = get(rig, "/api/v1/audit", token).await;
    assert_eq!(status, 200);
    entries
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["action"] == "number.update")
        .cloned()
        .collect()
}

/// Call hours open only half an hour a day, twelve hours away from now (UTC): closed now on
/// every day of the week, and a week Meta accepts.
fn closed_now() -> Value {
    use chrono::Timelike;
    let hour = (chrono::Utc::now().hour() + 12) % 24;
    let range = json!([[format!("{hour:02}:00"), format!("{hour:02}:30")]]);
    let weekly: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .into_iter()
        .map(|day| (day.to_owned(), range.clone()))
        .collect();
    json!({ "timezone": "UTC", "weekly": weekly })
}

/// A call that rings `agent` is rejected by them (so the next call starts from a quiet line).
async fn rings_and_is_rejected(rig: &Rig, agent: &mut AgentSocket) {
    let call_id = rig.customer_calls(CUSTOMER).await;
    rung(agent, &call_id).await;
    reject(agent, &call_id).await;
    rejected_at_wa_sim(rig, &call_id).await;
}

#[tokio::test]
async fn a_call_hours_change_reaches_metas_settings_and_the_next_call_without_a_restart() {
    let rig = Rig::start(|_| {}).await;
    let (_, token) = rig.agent("alice").await;
    let mut alice = rig.signed_in(&token).await;

    let (status, numbers) = get(&rig, "/api/v1/numbers", &token).await;
    assert_eq!(status, 200);
    assert_eq!(numbers[0]["phone_number_id"], PHONE_NUMBER_ID);
    assert_eq!(
        numbers[0]["source"], "file",
        "seeded from the settings file"
    );
    assert_eq!(numbers[0]["call_hours"], Value::Null);

    // Open: a call rings.
    rings_and_is_rejected(&rig, &mut alice).await;

    let (status, changed) = patch(&rig, &token, json!({ "call_hours": closed_now() })).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["source"], "api");
    assert_eq!(changed["call_hours"]["timezone"], "UTC");

    // Meta got the call hours in its own shape.
    let calling = metas_calling(&rig).await;
    let hours = &calling["call_hours"];
    assert_eq!(hours["status"], "ENABLED", "{calling}");
    assert_eq!(hours["timezone_id"], "UTC");
    let weekly = hours["weekly_operating_hours"].as_array().unwrap();
    assert_eq!(weekly.len(), 7);
    assert_eq!(weekly[0]["day_of_week"], "MONDAY");
    let open = changed["call_hours"]["weekly"]["mon"][0][0]
        .as_str()
        .unwrap()
        .replace(':', "");
    assert_eq!(
        weekly[0]["open_time"],
        open.as_str(),
        "HHMM, as Meta documents"
    );

    // The next call: refused as outside office hours, nobody rung, without a restart.
    let call_id = rig.customer_calls(CUSTOMER).await;
    rejected_at_wa_sim(&rig, &call_id).await;
    let record = rig
        .record_with_status(&call_id, &token, "outside_office_hours")
        .await;
    assert_eq!(record["agents_rung"], json!([]));
    assert_eq!(alice.drain().await, vec![], "nobody rings when closed");

    // Audited with who and what changed.
    let audited = number_updates_audited(&rig, &token).await;
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert_eq!(audited[0]["actor_name"], "alice");
    assert_eq!(audited[0]["target"], PHONE_NUMBER_ID);
    assert_eq!(audited[0]["detail"]["call_hours"]["from"], Value::Null);
    assert_eq!(audited[0]["detail"]["call_hours"]["to"]["timezone"], "UTC");

    // Open around the clock again: Meta is told, and calls ring.
    let (status, _) = patch(&rig, &token, json!({ "call_hours": null })).await;
    assert_eq!(status, 200);
    assert_eq!(
        metas_calling(&rig).await["call_hours"]["status"],
        "DISABLED"
    );
    rings_and_is_rejected(&rig, &mut alice).await;
    rig.stop().await;
}

#[tokio::test]
async fn a_change_meta_refuses_is_refused_with_metas_reason_and_changes_nothing() {
    let rig = Rig::start(|_| {}).await;
    let (_, token) = rig.agent("alice").await;
    let mut alice = rig.signed_in(&token).await;
    let meta_before = metas_calling(&rig).await;

    // A week without a single opening range: the platform could route by it (always
    // closed), but Meta requires weekly hours.
    let (status, refusal) = patch(
        &rig,
        &token,
        json!({ "call_hours": { "timezone": "UTC", "weekly": {} } }),
    )
    .await;
    assert_eq!(status, 422, "{refusal}");
    assert_eq!(refusal["code"], "upstream_error");
    let message = refusal["message"].as_str().unwrap();
    assert!(
        message.starts_with("Meta refused the settings"),
        "{message}"
    );
    assert!(message.contains("weekly_operating_hours"), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");

    let (_, number) = get(&rig, &format!("/api/v1/numbers/{PHONE_NUMBER_ID}"), &token).await;
    assert_eq!(number["call_hours"], Value::Null);
    assert_eq!(number["source"], "file");
    assert_eq!(metas_calling(&rig).await, meta_before);
    assert_eq!(
        number_updates_audited(&rig, &token).await,
        Vec::<Value>::new()
    );
    // Routing did not change either.
    rings_and_is_rejected(&rig, &mut alice).await;
    rig.stop().await;
}

#[tokio::test]
async fn only_admins_change_numbers_and_what_meta_does_not_hold_is_not_sent() {
    let rig = Rig::start(|_| {}).await;
    let (_, admin) = rig.agent("alice").await;
    let store = rig.platform.store();
    use platform::store::agents::Role;
    let (_, supervisor) = store
        .add_agent("sam", Role::Supervisor, Some("north"))
        .await
        .unwrap();
    let (_, agent) = store.add_agent("bob", Role::Agent, None).await.unwrap();

    assert_eq!(get(&rig, "/api/v1/numbers", &agent).await.0, 403);
    assert_eq!(get(&rig, "/api/v1/numbers", &supervisor).await.0, 200);
    for token in [&agent, &supervisor] {
        let (status, refusal) = patch(&rig, token, json!({ "recording": true })).await;
        assert_eq!(status, 403, "{refusal}");
        assert_eq!(refusal["code"], "forbidden");
    }
    let (_, number) = get(&rig, "/api/v1/numbers", &admin).await;
    assert_eq!(
        number[0]["recording"],
        Value::Null,
        "a refusal changes nothing"
    );

    // Bad changes are refused by field.
    let (status, refusal) = patch(&rig, &admin, json!({ "display_phone_number": "1" })).await;
    assert_eq!(status, 400);
    assert!(refusal["message"]
        .as_str()
        .unwrap()
        .contains("display_phone_number"));
    let (status, refusal) = patch(&rig, &admin, json!({ "call_operators": ["carol"] })).await;
    assert_eq!(status, 422);
    assert_eq!(
        refusal["message"],
        "call_operators: no agent named \"carol\""
    );
    let (status, refusal) = patch(
        &rig,
        &admin,
        json!({ "call_hours": { "timezone": "Mars/Olympus" } }),
    )
    .await;
    assert_eq!(status, 422);
    assert!(refusal["message"]
        .as_str()
        .unwrap()
        .contains("not an IANA timezone"));
    let (status, _) = get(&rig, "/api/v1/numbers/999", &admin).await;
    assert_eq!(status, 404);

    // Someone changed Meta's side with Meta's own tools; a change Meta does not hold
    // (recording, operators) must not overwrite it.
    set_at_meta(&rig, json!({ "callback_permission_status": "ENABLED" })).await;
    let (status, changed) = patch(
        &rig,
        &admin,
        json!({ "recording": true, "recording_retention_days": 7, "call_operators": ["bob"] }),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["recording"], true);
    assert_eq!(changed["call_operators"], json!(["bob"]));
    assert_eq!(
        metas_calling(&rig).await["callback_permission_status"],
        "ENABLED",
        "nothing was sent to Meta"
    );
    // One that Meta holds is sent whole: the platform's view wins.
    let (status, _) = patch(&rig, &admin, json!({ "call_icon_visible": false })).await;
    assert_eq!(status, 200);
    let calling = metas_calling(&rig).await;
    assert_eq!(calling["call_icon_visibility"], "DISABLE_ALL");
    assert_eq!(calling["callback_permission_status"], "DISABLED");
    rig.stop().await;
}

#[tokio::test]
async fn renaming_an_agent_carries_over_to_numbers_that_name_them_and_calls_still_ring_them() {
    let rig = Rig::start(|_| {}).await;
    let (alice_id, token) = rig.agent("alice").await;
    let mut alice = rig.signed_in(&token).await;
    let (status, _) = patch(&rig, &token, json!({ "call_operators": ["alice"] })).await;
    assert_eq!(status, 200);

    let response = rig
        .http
        .patch(format!("{}/api/v1/agents/{alice_id}", rig.base))
        .bearer_auth(&token)
        .json(&json!({ "name": "alicia" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let (_, number) = get(&rig, &format!("/api/v1/numbers/{PHONE_NUMBER_ID}"), &token).await;
    assert_eq!(number["call_operators"], json!(["alicia"]));
    let audited = number_updates_audited(&rig, &token).await;
    assert_eq!(
        audited[0]["detail"]["call_operators"],
        json!({"from": ["alice"], "to": ["alicia"]}),
        "{audited:?}"
    );
    // The operator list still lets her take the number's calls.
    rings_and_is_rejected(&rig, &mut alice).await;
    rig.stop().await;
}
