//! The platform in-process with `wa-sim` (its library, on 127.0.0.1:0) as Meta: the platform's
//! Graph base URL is the simulator, the simulator's webhooks go to the platform. The customer's
//! phone is wa-sim's media-less scripted device, and wa-sim runs on a virtual clock that moves
//! only when a test advances it (so its accept window never closes by itself and a call's talk
//! time is exact). Agents are real WebSockets (`support::AgentSocket`).
//!
//! Waiting is on socket messages; where only wa-sim's or the platform's record can show an
//! outcome, it is polled with a short interval up to `WAIT` (a bound, not an assertion).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::Arc;
use std::time::Duration;

use platform::config::Settings;
use platform::server::Platform;
use protocol::ServerMessage;
use serde_json::{json, Value};
use wa_sim::clock::ManualClock;
use wa_sim::device::ScriptedDevice;
use wa_sim::rules::RulesConfig;
use wa_sim::server::{start, ClockChoice, RunningSim};
use wa_sim::webhook::delivery::Quirks;
use wa_sim::webhook::{BusinessNumber, DeliveryConfig};
use wa_sim::SimConfig;

use crate::support::{
    database_url, settings, AgentSocket, APP_SECRET, BUSINESS_NUMBER, PHONE_NUMBER_ID, WAIT,
};

/// The access token both sides agree on (`support::settings` uses it).
const ACCESS_TOKEN: &str = "test-access-token";

/// An answer shaped as the agent app sends it, passing both the platform's and wa-sim's checks
/// of Meta's SDP rules.
pub const SIM_ANSWER: &str = "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2130706431 192.0.2.10 50000 typ host\r\na=ice-ufrag:bizufrag\r\na=ice-pwd:bizpassword0123456789ab\r\na=fingerprint:sha-256 3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18:29\r\na=setup:active\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1234 cname:agent\r\n";

fn sim_config(webhook_url: &str) -> SimConfig {
    SimConfig {
        number: BusinessNumber {
            waba_id: "200000000000002".into(),
            phone_number_id: PHONE_NUMBER_ID.into(),
            display_phone_number: BUSINESS_NUMBER.into(),
        },
        access_token: ACCESS_TOKEN.into(),
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

/// The platform and wa-sim wired to each other.
pub struct Rig {
    pub dir: tempfile::TempDir,
    pub platform: Platform,
    pub base: String,
    pub sim: RunningSim,
    pub clock: ManualClock,
    pub http: reqwest::Client,
}

impl Rig {
    pub async fn start(adjust: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // Bind wa-sim's port first: the platform needs its URL, wa-sim the platform's.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim_base = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = settings(&database_url(&dir), &sim_base);
        adjust(&mut settings);
        let platform = Platform::start(settings).await.unwrap();
        let base = format!("http://{}", platform.local_addr());
        let clock = ManualClock::starting_now();
        let sim = start(
            listener,
            sim_config(&format!("{base}/webhooks/whatsapp")),
            ClockChoice::Manual(clock.clone()),
            Arc::new(ScriptedDevice),
        )
        .unwrap();
        Self {
            dir,
            platform,
            base,
            sim,
            clock,
            http: reqwest::Client::new(),
        }
    }

    /// Adds an agent; returns (id, token).
    pub async fn agent(&self, name: &str) -> (String, String) {
        let (agent, token) = self
            .platform
            .store()
            .add_agent(name, platform::store::agents::Role::Admin, None)
            .await
            .unwrap();
        (agent.id, token)
    }

    /// Connects an agent's app and reads its hello.
    pub async fn signed_in(&self, token: &str) -> AgentSocket {
        let mut socket = AgentSocket::connect(&self.base, token).await;
        match socket.recv().await {
            ServerMessage::Hello(_) => socket,
            other => panic!("expected hello, got {other:?}"),
        }
    }

    /// `GET /_sim{path}` on wa-sim's control API.
    pub async fn sim_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/_sim{path}", self.sim.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `POST /_sim{path}` on wa-sim's control API (must succeed).
    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/_sim{path}", self.sim.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "wa-sim {path}: {status} {value}");
        value
    }

    /// The customer `from` calls the business through wa-sim; returns Meta's call id.
    pub async fn customer_calls(&self, from: &str) -> String {
        let value = self
            .sim_post(
                "/calls",
                json!({ "from": from, "name": "Ada Customer", "audio": { "kind": "silence" } }),
            )
            .await;
        value["call_id"].as_str().unwrap().to_owned()
    }

    pub async fn customer_hangs_up(&self, call_id: &str) {
        self.sim_post(&format!("/calls/{call_id}/hangup"), json!({}))
            .await;
    }

    pub async fn advance_clock(&self, seconds: u64) {
        self.sim_post("/clock/advance", json!({ "seconds": seconds }))
            .await;
    }

    /// wa-sim's report of a call (`GET /_sim/calls/{id}`).
    pub async fn sim_call(&self, call_id: &str) -> Value {
        let response = self
            .http
            .get(format!("{}/_sim/calls/{call_id}", self.sim.base_url()))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "wa-sim knows {call_id}");
        response.json().await.unwrap()
    }

    /// wa-sim's report once `done` holds for it (bounded by `WAIT`).
    pub async fn sim_call_when(&self, call_id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let report = self.sim_call(call_id).await;
            if done(&report) {
                return report;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "wa-sim's call never got there: {report}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// wa-sim's report once the call has ended there.
    pub async fn sim_call_ended(&self, call_id: &str) -> Value {
        self.sim_call_when(call_id, |report| report["state"] == "ended")
            .await
    }

    /// The platform's record of a call (`GET /api/calls/{id}`).
    pub async fn record(&self, call_id: &str, token: &str) -> Value {
        let response = self
            .http
            .get(format!("{}/api/calls/{call_id}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "record of {call_id}");
        response.json().await.unwrap()
    }

    /// The platform's record once its status is `status` (bounded by `WAIT`).
    pub async fn record_with_status(&self, call_id: &str, token: &str, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let record = self.record(call_id, token).await;
            if record["status"] == status {
                return record;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the record never became {status}: {record}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}");
        response.json().await.unwrap()
    }

    pub async fn stop(self) {
        self.platform.shutdown().await;
        self.sim.server.abort();
    }
}
