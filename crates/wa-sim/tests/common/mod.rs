//! Shared fixtures for the simulator's HTTP tests: a simulator on 127.0.0.1 with a virtual clock
//! and a scripted (media-less) phone, a webhook receiver that records what arrives, and small
//! Graph/control clients.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use wa_sim::clock::ManualClock;
use wa_sim::device::ScriptedDevice;
use wa_sim::rules::RulesConfig;
use wa_sim::server::{start, ClockChoice, RunningSim};
use wa_sim::webhook::delivery::Quirks;
use wa_sim::webhook::{BusinessNumber, DeliveryConfig};
use wa_sim::SimConfig;

pub const APP_SECRET: &str = "test-app-secret";
pub const TOKEN: &str = "test-access-token";
pub const PHONE_NUMBER_ID: &str = "100000000000001";
pub const BUSINESS_NUMBER: &str = "15550109999";
pub const CUSTOMER: &str = "15550100001";

/// How long a test waits for something that should happen promptly before failing.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// One webhook as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: Option<String>,
    pub raw: Bytes,
    pub body: Value,
    /// The body read with the `whatsapp` crate's webhook types (what the platform parses).
    pub typed: Result<whatsapp::webhook::WebhookEnvelope, String>,
}

impl Received {
    /// The first `calls[]` (or `statuses[]`, `messages[]`) item.
    pub fn item(&self) -> &Value {
        let value = &self.body["entry"][0]["changes"][0]["value"];
        for key in ["calls", "statuses", "messages"] {
            if let Some(item) = value.get(key).and_then(|v| v.get(0)) {
                return item;
            }
        }
        panic!("webhook without calls/statuses/messages: {}", self.body)
    }

    pub fn value(&self) -> &Value {
        &self.body["entry"][0]["changes"][0]["value"]
    }

    /// A short label such as `connect`, `terminate`, `status:RINGING`, `message:interactive`.
    pub fn kind(&self) -> String {
        let value = self.value();
        if let Some(call) = value.get("calls").and_then(|c| c.get(0)) {
            return call["event"].as_str().unwrap_or("?").to_owned();
        }
        if let Some(status) = value.get("statuses").and_then(|c| c.get(0)) {
            return format!("status:{}", status["status"].as_str().unwrap_or("?"));
        }
        if let Some(message) = value.get("messages").and_then(|c| c.get(0)) {
            return format!("message:{}", message["type"].as_str().unwrap_or("?"));
        }
        if value.get("phone_number_settings").is_some() {
            return "settings".to_owned();
        }
        "?".to_owned()
    }
}

struct ReceiverState {
    tx: mpsc::UnboundedSender<Received>,
    /// Statuses to answer with, in order; 200 once empty.
    script: Mutex<VecDeque<StatusCode>>,
}

/// A webhook endpoint that records deliveries.
pub struct WebhookReceiver {
    pub url: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl WebhookReceiver {
    /// Answers the first deliveries with `failures` (e.g. 500s), then 200.
    pub async fn start(failures: Vec<StatusCode>) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(ReceiverState {
            tx,
            script: Mutex::new(failures.into()),
        });
        let app = Router::new()
            .route("/webhook", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, rx }
    }

    /// The next delivery (every attempt counts, including refused ones). Every webhook must
    /// parse with the `whatsapp` crate's types, as the platform reads them.
    pub async fn next(&mut self) -> Received {
        let received = tokio::time::timeout(PATIENCE, self.rx.recv())
            .await
            .expect("a webhook within the patience window")
            .expect("receiver open");
        if let Err(error) = &received.typed {
            panic!(
                "webhook does not parse as whatsapp::webhook::WebhookEnvelope: {error}\n{}",
                received.body
            );
        }
        received
    }

    /// The typed first call event of a delivery.
    pub fn typed_call(received: &Received) -> whatsapp::webhook::CallEvent {
        let envelope = received.typed.as_ref().expect("typed webhook");
        envelope.entry[0].changes[0].value.calls[0].clone()
    }

    /// The next delivery whose kind is `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Received {
        loop {
            let received = self.next().await;
            if received.kind() == kind {
                return received;
            }
        }
    }

    /// Nothing else has arrived by now (call after an event that proves later deliveries would
    /// have arrived, e.g. a later webhook).
    pub fn assert_drained(&mut self) {
        if let Ok(extra) = self.rx.try_recv() {
            panic!("unexpected extra webhook: {}", extra.body);
        }
    }
}

async fn receive(
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    raw: Bytes,
) -> StatusCode {
    let status = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(StatusCode::OK);
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let typed = serde_json::from_slice(&raw).map_err(|e| e.to_string());
    let _ = state.tx.send(Received {
        signature,
        raw,
        body,
        typed,
    });
    status
}

/// A running simulator with its clock and a client.
pub struct TestSim {
    pub running: RunningSim,
    pub clock: ManualClock,
    pub http: reqwest::Client,
}

pub fn config(webhook_url: &str) -> SimConfig {
    SimConfig {
        number: BusinessNumber {
            waba_id: "200000000000002".into(),
            phone_number_id: PHONE_NUMBER_ID.into(),
            display_phone_number: BUSINESS_NUMBER.into(),
        },
        access_token: TOKEN.into(),
        rules: RulesConfig::default(),
        delivery: DeliveryConfig {
            url: webhook_url.into(),
            app_secret: APP_SECRET.into(),
            timeout: Duration::from_secs(5),
            max_attempts: 5,
            retry_base: Duration::from_millis(10),
            webhook_ca: None,
        },
        quirks: Quirks::default(),
        default_answer_audio: Default::default(),
        id_seed: 42,
    }
}

impl TestSim {
    pub async fn start(webhook_url: &str) -> Self {
        Self::start_with(config(webhook_url)).await
    }

    pub async fn start_with(config: SimConfig) -> Self {
        let clock = ManualClock::starting_now();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = start(
            listener,
            config,
            ClockChoice::Manual(clock.clone()),
            Arc::new(ScriptedDevice),
        )
        .unwrap();
        Self {
            running,
            clock,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// `POST /v23.0/{phone_number_id}/{edge}` with the right token.
    pub async fn graph_post(&self, edge: &str, body: Value) -> (StatusCode, Value) {
        self.graph_post_as(TOKEN, edge, body).await
    }

    pub async fn graph_post_as(&self, token: &str, edge: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(&format!("/v23.0/{PHONE_NUMBER_ID}/{edge}")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn graph_get(&self, edge_and_query: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(&format!("/v23.0/{PHONE_NUMBER_ID}/{edge_and_query}")))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A control API call; panics unless it succeeds.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.control_raw(path, body).await;
        assert!(
            status.is_success(),
            "control {path} failed: {status} {value}"
        );
        value
    }

    pub async fn control_raw(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(&format!("/_sim{path}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn control_get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(self.url(&format!("/_sim{path}")))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        response.json().await.unwrap()
    }

    /// The customer calls; returns the call id.
    pub async fn customer_calls(&self, from: &str) -> String {
        let value = self
            .control(
                "/calls",
                json!({ "from": from, "name": "Ana", "audio": { "kind": "tone", "hz": 440.0 } }),
            )
            .await;
        value["call_id"].as_str().unwrap().to_owned()
    }

    pub async fn advance(&self, seconds: u64) {
        self.control("/clock/advance", json!({ "seconds": seconds }))
            .await;
    }

    pub async fn grant_permission(&self, customer: &str, answer: &str) {
        self.control(
            "/permission-replies",
            json!({ "from": customer, "answer": answer }),
        )
        .await;
    }

    /// Graph `connect` to `to` with the business's offer; returns status and body.
    pub async fn business_connect(&self, to: &str) -> (StatusCode, Value) {
        self.graph_post(
            "calls",
            json!({ "messaging_product": "whatsapp", "to": to, "action": "connect",
                    "session": { "sdp_type": "offer", "sdp": business_offer() } }),
        )
        .await
    }
}

/// The business's answer to Meta's offer, as a real agent app would shape it.
pub fn business_answer(tag: &str) -> String {
    format!("v=0\r\no=- {tag} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host\r\na=ice-ufrag:bizufrag\r\na=ice-pwd:bizpassword0123456789ab\r\na=fingerprint:sha-256 3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29\r\na=setup:active\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1234 cname:agent\r\n")
}

/// The business's offer for a business-initiated call.
pub fn business_offer() -> String {
    business_answer("offer").replace("a=setup:active", "a=setup:actpass")
}

pub fn call_action(call_id: &str, action: &str, sdp: Option<&str>) -> Value {
    let mut body = json!({ "messaging_product": "whatsapp", "call_id": call_id, "action": action });
    if let Some(sdp) = sdp {
        body["session"] = json!({ "sdp_type": "answer", "sdp": sdp });
    }
    body
}

/// Checks the delivery's signature with the `whatsapp` crate's verifier.
pub fn assert_signed(received: &Received) {
    whatsapp::verify_signature(
        APP_SECRET.as_bytes(),
        &received.raw,
        received.signature.as_deref(),
    )
    .expect("webhook signature verifies with the app secret");
}
