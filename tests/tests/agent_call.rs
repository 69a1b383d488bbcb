//! End to end, as real processes: `wa-sim` (Meta + the customer's phone), `ringdesk-platform`
//! and a headless `ringdesk-agent`. A customer calls with a 440 Hz tone; the agent auto-answers
//! with a 1000 Hz tone and records what it hears. Real WebRTC (ICE, DTLS-SRTP) and real Opus
//! both ways. Asserts: the customer hears ~1000 Hz, the agent's recording holds ~440 Hz (both
//! within 2 %), and after the customer hangs up the platform's record is `completed` with its
//! duration.
//!
//! Needs the binaries built (`cargo build --workspace --bins`, which `cargo xtask test` does).
//! Waits are on conditions (health endpoints, the agent's JSON events, the customer's packet
//! count), each bounded; nothing sleeps a fixed time before acting.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod common;

use std::process::{Command, Stdio};

use common::{agent_run_to_exit, assert_near, dominant_hz_of_wav, AgentEvents};
use ringdesk_e2e::stack::Stack;
use ringdesk_e2e::{binary, Running};
use serde_json::{json, Value};

const CUSTOMER: &str = "14085551234";
const CUSTOMER_HZ: f64 = 440.0;
const AGENT_HZ: f64 = 1000.0;

/// The stack (wa-sim + platform) plus a headless agent, started and ready: the agent signed in
/// with presence confirmed.
struct AgentStack {
    base: Stack,
    token: String,
    recording: std::path::PathBuf,
    _agent: Running,
    events: AgentEvents,
}

impl std::ops::Deref for AgentStack {
    type Target = Stack;
    fn deref(&self) -> &Stack {
        &self.base
    }
}

impl std::ops::DerefMut for AgentStack {
    fn deref_mut(&mut self) -> &mut Stack {
        &mut self.base
    }
}

impl AgentStack {
    async fn start() -> Self {
        let base = Stack::start().await.expect("wa-sim and the platform start");
        let agent_bin = binary("ringdesk-agent").expect("ringdesk-agent is built");
        let token = base.add_agent("ann").expect("an agent and its token");
        let recording = base.dir.path().join("agent-heard.wav");
        let mut agent = Running::spawn(
            "ringdesk-agent",
            Command::new(&agent_bin)
                .args([
                    "--platform",
                    &base.platform_url,
                    "--token",
                    &token,
                    "--auto-answer",
                ])
                .args([
                    "--tone",
                    "1000",
                    "--presence",
                    "available",
                    "--media-ip",
                    "127.0.0.1",
                ])
                .arg("--record")
                .arg(&recording)
                .stdout(Stdio::piped()),
        )
        .expect("agent starts");
        let events = AgentEvents::follow(&mut agent);
        events.wait_for("connected");
        assert_eq!(events.wait_for("presence")["presence"], "available");
        Self {
            base,
            token,
            recording,
            _agent: agent,
            events,
        }
    }

    /// A customer calls saying `hz`; returns once the agent reports media connected.
    async fn customer_calls(&self, hz: f64) -> String {
        let call_id = self
            .base
            .customer_calls(CUSTOMER, "Test Customer", json!({"kind": "tone", "hz": hz}))
            .await
            .expect("wa-sim places the call");
        assert_eq!(
            self.events.wait_for("incoming_call")["call_id"],
            call_id.as_str()
        );
        self.events.wait_for("answered");
        let connected = self.events.wait_for("media_connected");
        assert_eq!(connected["call_id"], call_id.as_str());
        // Loopback, no ICE servers: media goes straight between the host addresses.
        assert_eq!(connected["path"], "host", "{connected}");
        call_id
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_call_is_answered_by_the_headless_agent_with_audio_both_ways() {
    let stack = AgentStack::start().await;
    let call_id = stack.customer_calls(CUSTOMER_HZ).await;

    // The customer has heard 1.5 s of the agent (its analysis window is 1 s).
    let customer_heard = stack.customer_heard(&call_id, 75).await.unwrap();
    assert_near(
        customer_heard["audio"]["dominant_hz"].as_f64(),
        AGENT_HZ,
        "customer",
    );

    stack.customer_hangs_up(&call_id).await.unwrap();
    let ended = stack.events.wait_for("ended");
    assert_eq!(ended["call_id"], call_id.as_str());
    assert_eq!(ended["reason"], "hangup_by_customer", "{ended}");

    // The agent's recording (finished before "ended" is reported) holds the customer's tone.
    let (hz, samples) = dominant_hz_of_wav(&stack.recording);
    assert!(
        samples >= 75 * 960,
        "recording too short: {samples} samples"
    );
    assert_near(hz, CUSTOMER_HZ, "agent recording");

    // The platform's record: completed, with its duration.
    let records: Value = stack
        .http
        .get(format!("{}/api/calls", stack.platform_url))
        .bearer_auth(&stack.token)
        .send()
        .await
        .expect("REST answers")
        .json()
        .await
        .expect("JSON");
    let list = records
        .as_array()
        .or_else(|| records["calls"].as_array())
        .cloned()
        .unwrap_or_default();
    let record = list
        .iter()
        .find(|r| r["id"] == call_id.as_str())
        .unwrap_or_else(|| panic!("call {call_id} not in /api/calls: {records}"));
    assert_eq!(record["status"], "completed", "{record}");
    let duration = record["duration_secs"].as_u64().expect("duration_secs");
    assert!(
        duration >= 1,
        "duration {duration} s for a call that talked 1.5 s: {record}"
    );
    if let Some(reported) = ended["duration_secs"].as_u64() {
        assert_eq!(
            reported, duration,
            "the agent was told the platform's duration"
        );
    }
    assert!(record["answered_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_continues_while_the_platform_is_down_and_the_agent_reconnects() {
    let mut stack = AgentStack::start().await;
    let call_id = stack.customer_calls(CUSTOMER_HZ).await;
    let before = stack.customer_heard(&call_id, 25).await.unwrap()["audio"]["packets_received"]
        .as_u64()
        .unwrap_or(0);

    // The platform dies mid-call: signaling is gone, media is not.
    let _ = stack.platform.child.kill();
    let _ = stack.platform.child.wait();
    stack.events.wait_for("disconnected");
    let during = stack.customer_heard(&call_id, before + 50).await.unwrap();
    assert_near(
        during["audio"]["dominant_hz"].as_f64(),
        AGENT_HZ,
        "customer while signaling is down",
    );

    // The platform comes back on the same address and database: the agent signs in again.
    let mut serve = stack.platform_command();
    stack.platform =
        Running::spawn("ringdesk-platform", serve.arg("serve")).expect("platform restarts");
    let hello = stack.events.wait_for("connected");
    assert_eq!(
        hello["active"], 1,
        "the snapshot restores the call in progress: {hello}"
    );
    // ...and the customer keeps hearing the agent after the reconnect.
    let after = during["audio"]["packets_received"].as_u64().unwrap_or(0);
    stack.customer_heard(&call_id, after + 25).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_or_an_unplayable_tone_stops_the_agent_with_the_reason() {
    let stack = AgentStack::start().await;
    let (ok, events) = agent_run_to_exit(&[
        "--platform",
        &stack.platform_url,
        "--token",
        "rdk_not_a_real_token",
    ])
    .await;
    assert!(!ok, "the agent must fail: {events:?}");
    let last = events.last().expect("a final event");
    assert_eq!(last["event"], "error");
    assert!(
        last["message"].as_str().unwrap_or("").contains("401"),
        "{last}"
    );

    let (ok, events) = agent_run_to_exit(&[
        "--platform",
        &stack.platform_url,
        "--token",
        &stack.token,
        "--tone",
        "99999",
    ])
    .await;
    assert!(!ok);
    let last = events.last().expect("a final event");
    assert!(
        last["message"].as_str().unwrap_or("").contains("99999"),
        "{last}"
    );
    assert!(
        !events.iter().any(|e| e["event"] == "connected"),
        "bad options are refused before signing in: {events:?}"
    );
}
