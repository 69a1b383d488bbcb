//! Shared by the `phone_*` tests: the platform and wa-sim (Meta plus the customer's real
//! WebRTC phone) in-process on 127.0.0.1 and wired to each other, one agent, and a reader of
//! the phone's events that waits on them (bounded by `WAIT`, which asserts nothing).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::Arc;
use std::time::Duration;

use platform::config::Settings;
use platform::server::Platform;
use protocol::Presence;
use serde_json::{json, Value};
use softphone::media::{CallAudio, CapturedAudio, ToneSource};
use softphone::phone::{
    AudioPlan, ConnectionStatus, EndReason, IncomingCallInfo, Phone, PhoneConfig, PhoneEvent,
    WebRtcConfig,
};
use tokio::sync::mpsc;
use wa_sim::clock::ManualClock;
use wa_sim::phone_device::PhoneDevice;
use wa_sim::rules::RulesConfig;
use wa_sim::server::{start, ClockChoice, RunningSim};
use wa_sim::webhook::delivery::Quirks;
use wa_sim::webhook::{BusinessNumber, DeliveryConfig};
use wa_sim::SimConfig;

pub const WAIT: Duration = Duration::from_secs(30);
pub const APP_SECRET: &str = "phone-test-app-secret";
pub const ACCESS_TOKEN: &str = "phone-test-access-token";
pub const PHONE_NUMBER_ID: &str = "100000000000001";
pub const BUSINESS_NUMBER: &str = "15550109999";
pub const CUSTOMER: &str = "15550100001";
pub const CUSTOMER_HZ: f64 = 440.0;
pub const AGENT_HZ: f64 = 1000.0;

fn settings(database_url: &str, graph_base_url: &str) -> Settings {
    let toml = format!(
        r#"
        listen = "127.0.0.1:0"
        database_url = "{database_url}"
        graph_base_url = "{graph_base_url}"
        access_token = "{ACCESS_TOKEN}"
        app_secret = "{APP_SECRET}"
        verify_token = "phone-test-verify"
        ring_timeout_ms = 20000
        accept_window_ms = 40000
        media_ready_bound_ms = 20000
        webhook_body_limit = 65536
        [[numbers]]
        phone_number_id = "{PHONE_NUMBER_ID}"
        display_phone_number = "{BUSINESS_NUMBER}"
        "#
    );
    Settings::from_toml(&toml, &Default::default()).unwrap()
}

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
        id_seed: 7,
    }
}

/// The platform and wa-sim (with its real WebRTC phone) wired to each other, plus one agent.
pub struct Rig {
    _dir: tempfile::TempDir,
    pub platform: Platform,
    pub base: String,
    pub sim: RunningSim,
    pub http: reqwest::Client,
    pub token: String,
}

impl Rig {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim_base = format!("http://{}", listener.local_addr().unwrap());
        let database_url = format!("sqlite://{}", dir.path().join("platform.db").display());
        let platform = Platform::start(settings(&database_url, &sim_base))
            .await
            .unwrap();
        let base = format!("http://{}", platform.local_addr());
        let sim = start(
            listener,
            sim_config(&format!("{base}/webhooks/whatsapp")),
            // Meta's windows never close by themselves: only the test ends calls.
            ClockChoice::Manual(ManualClock::starting_now()),
            Arc::new(PhoneDevice::default()),
        )
        .unwrap();
        let (_, token) = platform
            .store()
            .add_agent("ann", platform::store::agents::Role::Agent, None)
            .await
            .unwrap();
        Self {
            _dir: dir,
            platform,
            base,
            sim,
            http: reqwest::Client::new(),
            token,
        }
    }

    /// A phone signed in as the agent, available; every call says `AGENT_HZ` and is captured
    /// into `heard`.
    pub async fn phone(&self, heard: &CapturedAudio) -> (Phone, Events) {
        let heard = heard.clone();
        self.phone_with(AudioPlan::PerCall(Box::new(move |_n| {
            Ok(CallAudio {
                source: Box::new(ToneSource::new(AGENT_HZ, -20.0).map_err(|e| e.to_string())?),
                sink: Box::new(heard.clone()),
                packets: None,
            })
        })))
        .await
    }

    /// A phone with this audio plan, signed in as the agent, available.
    pub async fn phone_with(&self, audio: AudioPlan) -> (Phone, Events) {
        let config = PhoneConfig {
            platform: self.base.clone(),
            token: self.token.clone(),
            audio,
            media: WebRtcConfig::default(),
            tls: Default::default(),
            recordings_dir: None,
        };
        let (phone, events) = Phone::start(config).unwrap();
        let mut events = Events(events);
        match events.next().await {
            PhoneEvent::Connection(ConnectionStatus::Connecting) => {}
            other => panic!("expected connecting first, got {other:?}"),
        }
        match events.next().await {
            PhoneEvent::Connection(ConnectionStatus::Connected { ringing, .. }) => {
                assert_eq!(ringing, 0)
            }
            other => panic!("expected connected, got {other:?}"),
        }
        phone.set_presence(Presence::Available).await.unwrap();
        assert_eq!(
            events.next().await,
            PhoneEvent::PresenceChanged {
                presence: Presence::Available
            }
        );
        (phone, events)
    }

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

    /// The customer calls saying `CUSTOMER_HZ`; returns Meta's call id.
    pub async fn customer_calls(&self) -> String {
        let value = self
            .sim_post(
                "/calls",
                json!({ "from": CUSTOMER, "name": "Ada Customer", "audio": { "kind": "tone", "hz": CUSTOMER_HZ } }),
            )
            .await;
        value["call_id"].as_str().unwrap().to_owned()
    }

    pub async fn customer_hangs_up(&self, call_id: &str) {
        self.sim_post(&format!("/calls/{call_id}/hangup"), json!({}))
            .await;
    }

    /// wa-sim's report on the call once `done` holds for it.
    pub async fn sim_call_when(&self, call_id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let report: Value = self
                .http
                .get(format!("{}/_sim/calls/{call_id}", self.sim.base_url()))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if done(&report) {
                return report;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "wa-sim's call never got there: {report}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// wa-sim's report once the customer has decoded `packets` packets.
    pub async fn customer_heard(&self, call_id: &str, packets: u64) -> Value {
        self.sim_call_when(call_id, |r| {
            r["audio"]["packets_received"].as_u64().unwrap_or(0) >= packets
        })
        .await
    }

    pub async fn stop(self) {
        self.platform.shutdown().await;
        self.sim.server.abort();
    }
}

pub struct Events(pub mpsc::Receiver<PhoneEvent>);

impl Events {
    /// The next event that is not a periodic reading (levels, quality).
    pub async fn next(&mut self) -> PhoneEvent {
        loop {
            let event = tokio::time::timeout(WAIT, self.0.recv())
                .await
                .expect("no event from the phone")
                .expect("the phone's events closed");
            if !matches!(
                event,
                PhoneEvent::Levels { .. } | PhoneEvent::Quality { .. }
            ) {
                return event;
            }
        }
    }

    /// The first quality reading for `call_id` that `accept` takes (levels skipped); any other
    /// event first is a failure.
    pub async fn quality_where(
        &mut self,
        call_id: &str,
        accept: impl Fn(&PhoneEvent) -> bool,
    ) -> PhoneEvent {
        loop {
            let event = tokio::time::timeout(WAIT, self.0.recv())
                .await
                .expect("no quality reading that matched")
                .expect("the phone's events closed");
            match &event {
                PhoneEvent::Quality { call_id: id, .. } if id == call_id && accept(&event) => {
                    return event
                }
                PhoneEvent::Quality { .. } | PhoneEvent::Levels { .. } => {}
                other => panic!("expected quality, got {other:?}"),
            }
        }
    }

    /// The next level reading for `call_id`.
    pub async fn levels(&mut self, call_id: &str) -> (f32, f32) {
        loop {
            let event = tokio::time::timeout(WAIT, self.0.recv())
                .await
                .expect("no levels from the phone")
                .expect("the phone's events closed");
            match event {
                PhoneEvent::Levels {
                    call_id: id,
                    input_dbfs,
                    output_dbfs,
                } if id == call_id => return (input_dbfs, output_dbfs),
                PhoneEvent::Levels { .. } | PhoneEvent::Quality { .. } => {}
                other => panic!("expected levels, got {other:?}"),
            }
        }
    }

    pub async fn incoming(&mut self, call_id: &str) -> IncomingCallInfo {
        match self.next().await {
            PhoneEvent::Incoming(info) => {
                assert_eq!(info.call_id, call_id);
                info
            }
            other => panic!("expected incoming {call_id}, got {other:?}"),
        }
    }

    pub async fn ended(&mut self, call_id: &str) -> EndReason {
        match self.next().await {
            PhoneEvent::Ended {
                call_id: id,
                reason,
                ..
            } => {
                assert_eq!(id, call_id);
                reason
            }
            other => panic!("expected ended {call_id}, got {other:?}"),
        }
    }
}

pub fn assert_near(hz: Option<f64>, expected: f64, who: &str) {
    let hz = hz.unwrap_or_else(|| panic!("{who}: no frequency"));
    assert!(
        (hz - expected).abs() / expected < 0.02,
        "{who}: heard {hz:.1} Hz, expected {expected} Hz"
    );
}
