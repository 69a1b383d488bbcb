//! User-initiated calls through the simulator over real HTTP: connect webhook, pre_accept/accept,
//! terminate with the right times, the accept window, and Meta's refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn customer_call_is_signed_accepted_and_terminated_with_its_duration() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let call_id = sim.customer_calls(CUSTOMER).await;

    let connect = hooks.next_of("connect").await;
    assert_signed(&connect);
    let call = connect.item();
    assert_eq!(call["id"], call_id.as_str());
    assert_eq!(call["from"], CUSTOMER);
    assert_eq!(call["to"], BUSINESS_NUMBER);
    assert_eq!(call["direction"], "USER_INITIATED");
    assert_eq!(call["session"]["sdp_type"], "offer");
    assert!(call["session"]["sdp"]
        .as_str()
        .unwrap()
        .contains("a=ice-lite"));
    assert_eq!(connect.value()["contacts"][0]["profile"]["name"], "Ana");
    let typed = WebhookReceiver::typed_call(&connect);
    assert!(
        typed.sdp().is_ok(),
        "the platform can read the offer: {:?}",
        typed.sdp()
    );

    let answer = business_answer("1");
    let (status, body) = sim
        .graph_post("calls", call_action(&call_id, "pre_accept", Some(&answer)))
        .await;
    assert_eq!(
        (status, body.clone()),
        (
            StatusCode::OK,
            json!({"messaging_product": "whatsapp", "success": true})
        )
    );
    let mut accept = call_action(&call_id, "accept", Some(&answer));
    accept["biz_opaque_callback_data"] = json!("ticket-42");
    let (status, _) = sim.graph_post("calls", accept).await;
    assert_eq!(status, StatusCode::OK);

    sim.advance(95).await;
    let state = sim.control_get(&format!("/calls/{call_id}")).await;
    assert_eq!(state["state"], "connected");
    assert_eq!(state["duration"], 95);

    let (status, _) = sim
        .graph_post("calls", call_action(&call_id, "terminate", None))
        .await;
    assert_eq!(status, StatusCode::OK);
    let terminate = hooks.next_of("terminate").await;
    assert_signed(&terminate);
    let typed = WebhookReceiver::typed_call(&terminate);
    assert_eq!(typed.talk_time(), Some(std::time::Duration::from_secs(95)));
    assert_eq!(typed.duration, Some(95));
    let t = terminate.item();
    assert_eq!(t["status"], "COMPLETED");
    assert_eq!(t["duration"], 95);
    assert_eq!(t["biz_opaque_callback_data"], "ticket-42");
    let start: u64 = t["start_time"].as_str().unwrap().parse().unwrap();
    let end: u64 = t["end_time"].as_str().unwrap().parse().unwrap();
    assert_eq!(end - start, 95);

    // The call is over: a second terminate is refused with a reason.
    let (status, body) = sim
        .graph_post("calls", call_action(&call_id, "terminate", None))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["error_data"]["details"]
        .as_str()
        .unwrap()
        .contains("ended"));
}

#[tokio::test]
async fn customer_hang_up_ends_a_connected_call_with_duration() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let call_id = sim.customer_calls(CUSTOMER).await;
    sim.graph_post(
        "calls",
        call_action(&call_id, "accept", Some(&business_answer("1"))),
    )
    .await;
    sim.advance(30).await;
    sim.control(&format!("/calls/{call_id}/hangup"), json!({}))
        .await;
    let t = hooks.next_of("terminate").await;
    assert_eq!(t.item()["duration"], 30);
    assert_eq!(t.item()["status"], "COMPLETED");
}

#[tokio::test]
async fn accept_window_expiry_sends_terminate_without_duration_and_refuses_late_accept() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let call_id = sim.customer_calls(CUSTOMER).await;
    hooks.next_of("connect").await;

    sim.advance(39).await;
    let state = sim.control_get(&format!("/calls/{call_id}")).await;
    assert_eq!(state["state"], "ringing", "still within the 40 s window");

    sim.advance(2).await;
    let terminate = hooks.next_of("terminate").await;
    let t = terminate.item();
    assert_eq!(t["id"], call_id.as_str());
    assert_eq!(t["status"], "FAILED");
    assert!(t.get("duration").is_none() && t.get("start_time").is_none());
    assert_eq!(terminate.value()["errors"][0]["code"], 138007);

    let (status, body) = sim
        .graph_post(
            "calls",
            call_action(&call_id, "accept", Some(&business_answer("1"))),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 100);
}

#[tokio::test]
async fn accept_with_an_sdp_other_than_pre_accept_is_refused() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let call_id = sim.customer_calls(CUSTOMER).await;
    sim.graph_post(
        "calls",
        call_action(&call_id, "pre_accept", Some(&business_answer("1"))),
    )
    .await;
    let (status, body) = sim
        .graph_post(
            "calls",
            call_action(&call_id, "accept", Some(&business_answer("2"))),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 100);
    assert!(body["error"]["error_data"]["details"]
        .as_str()
        .unwrap()
        .contains("does not match the SDP answer given in the Pre-Accept"));
    // Still acceptable with the same SDP.
    let (status, _) = sim
        .graph_post(
            "calls",
            call_action(&call_id, "accept", Some(&business_answer("1"))),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn bad_sdp_gets_error_100_with_details() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let call_id = sim.customer_calls(CUSTOMER).await;
    let two_fingerprints = business_answer("1").replace(
        "a=setup:active",
        "a=fingerprint:sha-512 AA:BB:CC\r\na=setup:active",
    );
    let (status, body) = sim
        .graph_post(
            "calls",
            call_action(&call_id, "pre_accept", Some(&two_fingerprints)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = &body["error"];
    assert_eq!(error["code"], 100);
    assert_eq!(error["error_subcode"], 2494010);
    assert_eq!(error["type"], "OAuthException");
    assert_eq!(
        error["error_data"]["details"],
        "Fingerprint algo is not SHA256"
    );
    assert!(error["fbtrace_id"].is_string());

    let (status, body) = sim
        .graph_post("calls", call_action(&call_id, "accept", Some("not an sdp")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["error_data"]["details"].is_string());
}

#[tokio::test]
async fn bad_token_wrong_number_and_malformed_bodies_are_refused() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let (status, body) = sim.graph_post_as("wrong-token", "calls", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], 190);

    let response = sim
        .http
        .post(sim.url(&format!("/v23.0/{PHONE_NUMBER_ID}/calls")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "no token at all"
    );

    let response = sim
        .http
        .post(sim.url("/v23.0/999/calls"))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["error_subcode"], 33);

    let response = sim
        .http
        .post(sim.url(&format!("/v23.0/{PHONE_NUMBER_ID}/calls")))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let (status, body) = sim
        .graph_post(
            "calls",
            json!({"messaging_product": "whatsapp", "action": "dance", "call_id": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["error_data"]["details"]
        .as_str()
        .unwrap()
        .contains("dance"));

    let (status, body) = sim
        .graph_post("calls", call_action("wacid.nope", "reject", None))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["error_data"]["details"]
        .as_str()
        .unwrap()
        .contains("wacid.nope"));
}

#[tokio::test]
async fn business_reject_sends_terminate_without_duration() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let call_id = sim.customer_calls(CUSTOMER).await;
    let (status, _) = sim
        .graph_post("calls", call_action(&call_id, "reject", None))
        .await;
    assert_eq!(status, StatusCode::OK);
    let t = hooks.next_of("terminate").await;
    assert_eq!(t.item()["id"], call_id.as_str());
    assert!(t.item().get("duration").is_none());
    let state = sim.control_get(&format!("/calls/{call_id}")).await;
    assert_eq!(state["end"], "rejected_by_business");
}

#[tokio::test]
async fn concurrency_is_capped_at_1000_calls() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    for i in 0..1000 {
        sim.control("/calls", json!({ "from": format!("4477{i:08}") }))
            .await;
    }
    let (status, body) = sim
        .control_raw("/calls", json!({ "from": "447799999999" }))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], 138002);
}

#[tokio::test]
async fn the_same_customer_cannot_have_two_calls() {
    let hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.customer_calls(CUSTOMER).await;
    let (status, body) = sim.control_raw("/calls", json!({ "from": CUSTOMER })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 138003);
}

#[tokio::test]
async fn on_the_system_clock_the_accept_window_expires_by_itself() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let mut config = config(&hooks.url);
    config.rules.accept_window = std::time::Duration::from_millis(300);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let running = wa_sim::server::start(
        listener,
        config,
        wa_sim::server::ClockChoice::System,
        std::sync::Arc::new(wa_sim::device::ScriptedDevice),
    )
    .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/_sim/calls", running.base_url()))
        .json(&json!({ "from": CUSTOMER }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    hooks.next_of("connect").await;
    // No clock is advanced: the simulator's timer ends the call on its own.
    let terminate = hooks.next_of("terminate").await;
    assert_eq!(terminate.value()["errors"][0]["code"], 138007);
    let start: u64 = terminate.item()["timestamp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(start > 1_700_000_000, "wall-clock timestamps");
}
