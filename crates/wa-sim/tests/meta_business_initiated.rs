//! Business-initiated calls and call permissions through the simulator over real HTTP, with the
//! virtual clock standing in for days of waiting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

const DAY: u64 = 86_400;

async fn request_permission(sim: &TestSim, to: &str) -> (StatusCode, Value) {
    sim.graph_post(
        "messages",
        json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "interactive",
                "interactive": { "type": "call_permission_request", "action": { "name": "call_permission_request" },
                                 "body": { "text": "May we call you?" } } }),
    )
    .await
}

/// Connects, waits for RINGING, answers, and returns the call id.
async fn connected_business_call(sim: &TestSim, hooks: &mut WebhookReceiver, to: &str) -> String {
    let (status, body) = sim.business_connect(to).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let call_id = body["calls"][0]["id"].as_str().unwrap().to_owned();
    let ringing = hooks.next_of("status:RINGING").await;
    assert_eq!(ringing.item()["id"], call_id.as_str());
    sim.control(&format!("/calls/{call_id}/answer"), json!({}))
        .await;
    hooks.next_of("status:ACCEPTED").await;
    call_id
}

#[tokio::test]
async fn business_call_needs_permission_then_rings_connects_and_reports_duration() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;

    let (status, body) = sim.business_connect(CUSTOMER).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], 138006);
    assert_eq!(
        body["error"]["message"],
        "(#138006) No approved call permission from the recipient"
    );
    assert_eq!(body["error"]["type"], "OAuthException");

    sim.grant_permission(CUSTOMER, "accept_temporary").await;
    let reply = hooks.next_of("message:interactive").await;
    assert_signed(&reply);
    assert_eq!(reply.body["entry"][0]["changes"][0]["field"], "messages");

    let mut connect = json!({ "messaging_product": "whatsapp", "to": CUSTOMER, "action": "connect",
        "session": { "sdp_type": "offer", "sdp": business_offer() }, "biz_opaque_callback_data": "lead-7" });
    let (status, body) = sim.graph_post("calls", connect.take()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["messaging_product"], "whatsapp");
    let call_id = body["calls"][0]["id"].as_str().unwrap().to_owned();
    assert!(call_id.starts_with("wacid."));

    let connect = hooks.next_of("connect").await;
    let c = connect.item();
    assert_eq!(c["direction"], "BUSINESS_INITIATED");
    assert_eq!(c["session"]["sdp_type"], "answer");
    assert_eq!(c["from"], BUSINESS_NUMBER);
    assert_eq!(c["to"], CUSTOMER);
    assert!(
        c["session"]["sdp"]
            .as_str()
            .unwrap()
            .contains("a=setup:active"),
        "answers an actpass offer as active"
    );
    assert!(
        c["connection"]["webrtc"]["sdp"].is_string(),
        "legacy field present too"
    );
    let ringing = hooks.next().await;
    assert_eq!(ringing.kind(), "status:RINGING");
    assert_eq!(ringing.item()["biz_opaque_callback_data"], "lead-7");

    sim.advance(7).await;
    sim.control(&format!("/calls/{call_id}/answer"), json!({}))
        .await;
    assert_eq!(hooks.next().await.kind(), "status:ACCEPTED");
    sim.advance(60).await;
    sim.graph_post("calls", call_action(&call_id, "terminate", None))
        .await;
    let t = hooks.next_of("terminate").await;
    assert_eq!(
        t.item()["duration"],
        60,
        "duration runs from pickup (ACCEPTED), not from connect"
    );
    assert_eq!(t.item()["status"], "COMPLETED");
}

#[tokio::test]
async fn customer_rejection_sends_rejected_then_terminate() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.grant_permission(CUSTOMER, "accept_permanent").await;
    let (_, body) = sim.business_connect(CUSTOMER).await;
    let call_id = body["calls"][0]["id"].as_str().unwrap().to_owned();
    hooks.next_of("status:RINGING").await;
    sim.control(&format!("/calls/{call_id}/reject"), json!({}))
        .await;
    assert_eq!(hooks.next().await.kind(), "status:REJECTED");
    let t = hooks.next().await;
    assert_eq!(t.kind(), "terminate");
    assert!(t.item().get("duration").is_none());
}

#[tokio::test]
async fn duplicate_call_to_a_customer_already_on_a_call_is_refused() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.grant_permission(CUSTOMER, "accept_permanent").await;
    connected_business_call(&sim, &mut hooks, CUSTOMER).await;
    let (status, body) = sim.business_connect(CUSTOMER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 138003);
}

#[tokio::test]
async fn hundred_connected_calls_per_day_then_138012_until_a_day_has_passed() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.grant_permission(CUSTOMER, "accept_permanent").await;
    for _ in 0..100 {
        let call_id = connected_business_call(&sim, &mut hooks, CUSTOMER).await;
        sim.graph_post("calls", call_action(&call_id, "terminate", None))
            .await;
        sim.advance(60).await;
    }
    let (status, body) = sim.business_connect(CUSTOMER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 138012);
    assert!(body["error"]["error_data"]["details"]
        .as_str()
        .unwrap()
        .contains("100 connected business initiated calls"));

    let (_, permissions) = sim
        .graph_get(&format!("call_permissions?user_wa_id={CUSTOMER}"))
        .await;
    let start_call = &permissions["actions"][1];
    assert_eq!(start_call["action_name"], "start_call");
    assert_eq!(start_call["can_perform_action"], false);
    assert_eq!(start_call["limits"][0]["current_usage"], 100);
    assert!(start_call["limits"][0]["limit_expiration_time"].is_u64());
    // Reaching the limit does not revoke the permission.
    assert_eq!(permissions["permission"]["status"], "permanent");

    sim.advance(DAY - 100 * 60 + 61).await;
    let (status, _) = sim.business_connect(CUSTOMER).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the oldest call left the 24 h window"
    );
}

#[tokio::test]
async fn permission_requests_are_limited_to_one_a_day_and_two_a_week() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;

    let (status, body) = request_permission(&sim, CUSTOMER).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "outside the customer service window"
    );
    assert_eq!(body["error"]["code"], 131047);

    sim.control(
        "/messages",
        json!({ "from": CUSTOMER, "name": "Ana", "text": "hello" }),
    )
    .await;
    let (status, body) = request_permission(&sim, CUSTOMER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["messages"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("wamid."));

    let (status, body) = request_permission(&sim, CUSTOMER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 138009);

    sim.advance(DAY).await;
    sim.control(
        "/messages",
        json!({ "from": CUSTOMER, "text": "still there" }),
    )
    .await;
    let (status, _) = request_permission(&sim, CUSTOMER).await;
    assert_eq!(status, StatusCode::OK, "a day later");

    sim.advance(DAY).await;
    sim.control(
        "/messages",
        json!({ "from": CUSTOMER, "text": "and again" }),
    )
    .await;
    let (status, body) = request_permission(&sim, CUSTOMER).await;
    assert_eq!(body["error"]["code"], 138009, "third in a week: {status}");

    let (_, permissions) = sim
        .graph_get(&format!("call_permissions?user_wa_id={CUSTOMER}"))
        .await;
    let request = &permissions["actions"][0];
    assert_eq!(request["action_name"], "send_call_permission_request");
    assert_eq!(request["can_perform_action"], false);
    assert_eq!(request["limits"][1]["time_period"], "P7D");
    assert_eq!(request["limits"][1]["current_usage"], 2);

    sim.advance(5 * DAY).await;
    sim.control(
        "/messages",
        json!({ "from": CUSTOMER, "text": "a week on" }),
    )
    .await;
    let (status, _) = request_permission(&sim, CUSTOMER).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the first request left the 7 day window"
    );
}

#[tokio::test]
async fn a_connected_call_resets_request_limits_and_permanent_permission_forbids_requests() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.control("/messages", json!({ "from": CUSTOMER, "text": "hi" }))
        .await;
    assert_eq!(request_permission(&sim, CUSTOMER).await.0, StatusCode::OK);
    assert_eq!(
        request_permission(&sim, CUSTOMER).await.1["error"]["code"],
        138009
    );

    let call_id = sim.customer_calls(CUSTOMER).await;
    sim.graph_post(
        "calls",
        call_action(&call_id, "accept", Some(&business_answer("1"))),
    )
    .await;
    sim.control(&format!("/calls/{call_id}/hangup"), json!({}))
        .await;
    assert_eq!(
        request_permission(&sim, CUSTOMER).await.0,
        StatusCode::OK,
        "reset by the connected call"
    );

    sim.grant_permission(CUSTOMER, "accept_permanent").await;
    let reply = hooks.next_of("message:interactive").await;
    let r = &reply.item()["interactive"]["call_permission_reply"];
    assert_eq!(r["is_permanent"], true);
    assert!(reply.item()["context"]["id"]
        .as_str()
        .unwrap()
        .starts_with("wamid."));
    sim.advance(DAY).await;
    sim.control("/messages", json!({ "from": CUSTOMER, "text": "hi" }))
        .await;
    let (status, body) = request_permission(&sim, CUSTOMER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 138017);
}

#[tokio::test]
async fn temporary_permission_expires_after_seven_days_without_a_webhook() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.grant_permission(CUSTOMER, "accept_temporary").await;
    let (_, permissions) = sim
        .graph_get(&format!("call_permissions?user_wa_id={CUSTOMER}"))
        .await;
    assert_eq!(permissions["permission"]["status"], "temporary");
    let expiry = permissions["permission"]["expiration_time"]
        .as_u64()
        .unwrap();
    let now = sim.control_get("/clock").await["now"].as_u64().unwrap();
    assert_eq!(expiry - now, 7 * DAY);

    sim.advance(7 * DAY).await;
    let (_, permissions) = sim
        .graph_get(&format!("call_permissions?user_wa_id={CUSTOMER}"))
        .await;
    assert_eq!(permissions["permission"]["status"], "no_permission");
    assert_eq!(
        sim.business_connect(CUSTOMER).await.1["error"]["code"],
        138006
    );
}

#[tokio::test]
async fn four_unanswered_calls_revoke_permission_with_an_automatic_reply() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.grant_permission(CUSTOMER, "accept_permanent").await;
    hooks.next_of("message:interactive").await;
    for i in 0..4 {
        let (status, body) = sim.business_connect(CUSTOMER).await;
        assert_eq!(status, StatusCode::OK, "call {i}: {body}");
        hooks.next_of("status:RINGING").await;
        // Not answered: the ring timeout (60 s) passes.
        sim.advance(61).await;
        hooks.next_of("terminate").await;
    }
    let revoked = hooks.next_of("message:interactive").await;
    let r = &revoked.item()["interactive"]["call_permission_reply"];
    assert_eq!(r["response"], "reject");
    assert_eq!(r["response_source"], "automatic");
    assert!(revoked.item().get("context").is_none());
    assert_eq!(
        sim.business_connect(CUSTOMER).await.1["error"]["code"],
        138006
    );
}

#[tokio::test]
async fn callback_permission_setting_grants_permission_when_the_customer_calls() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let (_, settings) = sim.graph_get("settings").await;
    assert_eq!(settings["calling"]["status"], "ENABLED");
    assert_eq!(
        settings["calling"]["callback_permission_status"],
        "DISABLED"
    );

    let (status, _) = sim
        .graph_post(
            "settings",
            json!({ "calling": { "callback_permission_status": "ENABLED" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, settings) = sim.graph_get("settings").await;
    assert_eq!(settings["calling"]["callback_permission_status"], "ENABLED");
    let update = hooks.next_of("settings").await;
    assert_signed(&update);
    assert_eq!(
        update.body["entry"][0]["changes"][0]["field"],
        "account_settings_update"
    );
    let typed = update.typed.as_ref().unwrap().entry[0].changes[0]
        .value
        .clone();
    let announced = typed.phone_number_settings.expect("phone_number_settings");
    assert_eq!(announced.phone_number_id.as_deref(), Some(PHONE_NUMBER_ID));
    assert!(announced.calling.is_some());
    assert_eq!(
        update.value()["phone_number_settings"]["calling"]["callback_permission_status"],
        "ENABLED"
    );

    let call_id = sim.customer_calls(CUSTOMER).await;
    let grant = hooks.next_of("message:interactive").await;
    let r = &grant.item()["interactive"]["call_permission_reply"];
    assert_eq!(r["response_source"], "automatic");
    assert_eq!(grant.item()["context"]["id"], call_id.as_str());
    let (_, permissions) = sim
        .graph_get(&format!("call_permissions?user_wa_id={CUSTOMER}"))
        .await;
    assert_eq!(permissions["permission"]["status"], "temporary");
}

#[tokio::test]
async fn invalid_settings_are_refused_and_disabled_calling_refuses_calls() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let (status, body) = sim
        .graph_post("settings", json!({ "calling": { "status": "SOMETIMES" } }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["error_data"]["details"]
        .as_str()
        .unwrap()
        .contains("status"));

    sim.graph_post("settings", json!({ "calling": { "status": "DISABLED" } }))
        .await;
    sim.grant_permission(CUSTOMER, "accept_permanent").await;
    let (status, body) = sim.business_connect(CUSTOMER).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::UNAUTHORIZED, json!(138000))
    );
}

#[tokio::test]
async fn connect_without_action_is_accepted_as_a_new_call() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.grant_permission(CUSTOMER, "accept_permanent").await;
    let (status, body) = sim
        .graph_post(
            "calls",
            json!({ "messaging_product": "whatsapp", "to": CUSTOMER, "type": "audio",
                    "session": { "sdp_type": "offer", "sdp": business_offer() } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["calls"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("wacid."));
    hooks.next_of("status:RINGING").await;
}
