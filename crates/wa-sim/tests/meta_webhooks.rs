//! Webhook delivery as Meta does it: signed, retried on failure, and the delivery quirks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_refused_webhook_is_retried_with_the_same_signed_body_until_accepted() {
    let failures = vec![
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::SERVICE_UNAVAILABLE,
    ];
    let mut hooks = WebhookReceiver::start(failures).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.control("/messages", json!({ "from": CUSTOMER, "text": "hello" }))
        .await;

    let first = hooks.next().await;
    let second = hooks.next().await;
    let third = hooks.next().await;
    for attempt in [&first, &second, &third] {
        assert_signed(attempt);
        assert_eq!(attempt.raw, first.raw, "a retry resends the same bytes");
    }
    assert_eq!(third.item()["text"]["body"], "hello");

    let log = sim.control_get("/webhooks").await;
    let attempts = &log["deliveries"][0]["attempts"];
    assert_eq!(attempts, &json!(["500", "503", "200"]));
    assert_eq!(log["deliveries"][0]["delivered"], true);
}

#[tokio::test]
async fn delivery_gives_up_after_the_configured_attempts_and_moves_on() {
    let failures = vec![StatusCode::INTERNAL_SERVER_ERROR; 5];
    let mut hooks = WebhookReceiver::start(failures).await;
    let sim = TestSim::start(&hooks.url).await;
    sim.control("/messages", json!({ "from": CUSTOMER, "text": "lost" }))
        .await;
    sim.control("/messages", json!({ "from": CUSTOMER, "text": "kept" }))
        .await;
    for _ in 0..5 {
        assert_eq!(hooks.next().await.item()["text"]["body"], "lost");
    }
    assert_eq!(hooks.next().await.item()["text"]["body"], "kept");
    let log = sim.control_get("/webhooks").await;
    assert_eq!(log["deliveries"][0]["delivered"], false);
    assert_eq!(
        log["deliveries"][0]["attempts"].as_array().unwrap().len(),
        5
    );
}

#[tokio::test]
async fn a_timed_out_webhook_is_retried() {
    // A receiver that never answers its first request: the simulator's timeout fires, then it retries.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    tokio::spawn(async move {
        let mut held = Vec::new();
        for n in 0.. {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let _ = tx.send(n);
            if n == 0 {
                held.push(socket); // never answered
            } else {
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let mut socket = socket;
                    let mut buf = vec![0u8; 65536];
                    let _ = socket.read(&mut buf).await;
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        }
    });
    let mut config = config(&url);
    config.delivery.timeout = Duration::from_millis(300);
    let sim = TestSim::start_with(config).await;
    sim.control("/messages", json!({ "from": CUSTOMER, "text": "hello" }))
        .await;
    assert_eq!(rx.recv().await, Some(0));
    assert_eq!(
        rx.recv().await,
        Some(1),
        "a second connection retries the delivery"
    );
    // The log shows the timeout, then success (wait for the log rather than sleeping blindly).
    let deadline = Instant::now() + PATIENCE;
    loop {
        let log = sim.control_get("/webhooks").await;
        if log["deliveries"][0]["delivered"] == true {
            assert_eq!(log["deliveries"][0]["attempts"][0], "timeout");
            break;
        }
        assert!(Instant::now() < deadline, "delivery never succeeded: {log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn duplicate_quirk_delivers_every_webhook_twice() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let sim = TestSim::start(&hooks.url).await;
    let quirks = sim
        .http
        .put(sim.url("/_sim/quirks"))
        .json(&json!({ "duplicate_webhooks": true }))
        .send()
        .await
        .unwrap();
    assert!(quirks.status().is_success());
    let call_id = sim.customer_calls(CUSTOMER).await;
    let a = hooks.next().await;
    let b = hooks.next().await;
    assert_eq!(
        (a.kind(), b.kind()),
        ("connect".to_owned(), "connect".to_owned())
    );
    assert_eq!(a.raw, b.raw);
    assert_eq!(a.item()["id"], call_id.as_str());
}

#[tokio::test]
async fn terminate_before_connect_quirk_reorders_an_immediate_hang_up() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let mut config = config(&hooks.url);
    config.quirks.terminate_before_connect = true;
    let sim = TestSim::start_with(config).await;
    let value = sim
        .control(
            "/calls",
            json!({ "from": CUSTOMER, "hang_up_immediately": true }),
        )
        .await;
    let call_id = value["call_id"].as_str().unwrap();
    let first = hooks.next().await;
    let second = hooks.next().await;
    assert_eq!(first.kind(), "terminate");
    assert_eq!(second.kind(), "connect");
    assert_eq!(first.item()["id"], call_id);
    assert_eq!(second.item()["id"], call_id);
    assert!(first.item().get("duration").is_none());
}

#[tokio::test]
async fn slow_quirk_delays_each_delivery() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let mut config = config(&hooks.url);
    config.quirks.slow_webhook_ms = 300;
    let sim = TestSim::start_with(config).await;
    let started = Instant::now();
    sim.control("/messages", json!({ "from": CUSTOMER, "text": "slowly" }))
        .await;
    hooks.next().await;
    // A lower bound only: the delay must have happened; no upper bound on a loaded machine.
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// A platform-like endpoint answering the GET handshake with `whatsapp::verify_subscription`.
async fn verifying_endpoint(expected_token: &'static str) -> String {
    use axum::extract::Query;
    use axum::routing::get;
    use std::collections::HashMap;
    let app = axum::Router::new().route(
        "/webhook",
        get(
            move |Query(query): Query<HashMap<String, String>>| async move {
                let pairs = query.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                match whatsapp::verify_subscription(pairs, expected_token) {
                    Ok(challenge) => (StatusCode::OK, challenge),
                    Err(refusal) => (StatusCode::FORBIDDEN, refusal.to_string()),
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn subscription_handshake_sends_a_challenge_and_checks_the_echo() {
    let url = verifying_endpoint("s3cret").await;
    let sim = TestSim::start(&url).await;
    let good = sim
        .control("/verify-webhook", json!({ "verify_token": "s3cret" }))
        .await;
    assert_eq!(good["verified"], true, "{good}");
    let bad = sim
        .control("/verify-webhook", json!({ "verify_token": "wrong" }))
        .await;
    assert_eq!(bad["verified"], false);
    assert_eq!(bad["status"], 403);
    assert!(bad["reason"].as_str().unwrap().contains("403"));
}
