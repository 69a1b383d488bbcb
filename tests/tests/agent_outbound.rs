//! The agent-initiated half end to end, as real processes: `wa-sim` (Meta + the customer's
//! phone), `ringdesk-platform` and `ringdesk-agent` runs. The customer writes (the 24 h window
//! opens), the conversation is assigned to the agent, the agent asks for call permission, the
//! customer grants it, the agent calls with a 1000 Hz tone, the customer's phone rings and
//! picks up with a 440 Hz tone, each side hears the other (dominant frequency within 2 %), the
//! customer hangs up, and the platform's record is `outbound` `completed` with its duration
//! counted from the pickup (ACCEPTED). Refusals — a call without permission, a second request
//! within 24 h, a call by an agent the conversation is not assigned to — are each one
//! `refused` line with the platform's code, exit status 2, and no call at wa-sim (Meta).
//!
//! Real WebRTC (ICE, DTLS-SRTP) and Opus both ways; every wait is on a condition, bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{agent_exit_code, assert_near, dominant_hz_of_wav, AgentEvents};
use ringdesk_e2e::stack::{Stack, ACCESS_TOKEN, PHONE_NUMBER_ID, WAIT};
use ringdesk_e2e::{binary, Running};
use serde_json::{json, Value};

const CUSTOMER: &str = "14085551234";
const AGENT_HZ: f64 = 1000.0;
/// wa-sim's customer answers business-initiated calls with this tone (its default).
const CUSTOMER_HZ: f64 = 440.0;

/// The stack, an agent `ann` the customer's conversation is assigned to, and the customer's
/// first message processed.
struct Scene {
    stack: Stack,
    ann: String,
}

impl Scene {
    async fn start() -> Self {
        let stack = Stack::start().await.expect("wa-sim and the platform start");
        let ann = stack.add_agent("ann").expect("ann's token");
        let admin = stack.add_admin("boss").expect("an admin");
        stack
            .sim_post(
                "/messages",
                json!({"from": CUSTOMER, "name": "Ada Customer", "text": "Please call me about my order"}),
            )
            .await
            .unwrap();
        // The message reached the platform (the admin sees every conversation)...
        until(&stack, &admin, |c| {
            c["recent_messages"]
                .as_array()
                .is_some_and(|m| !m.is_empty())
        })
        .await;
        // ...and the conversation is ann's.
        stack.assign(CUSTOMER, "ann").unwrap();
        until(&stack, &ann, |_| true).await;
        Self { stack, ann }
    }

    /// `ringdesk-agent` with `args` after the platform and token.
    fn args<'a>(&'a self, token: &'a str, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec![
            "--platform",
            self.stack.platform_url.as_str(),
            "--token",
            token,
        ];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--media-ip", "127.0.0.1"]);
        all
    }

    /// Runs an action that must be refused: one `refused` line, exit status 2; its code.
    async fn refused(&self, token: &str, args: &[&str]) -> String {
        let (code, events) = agent_exit_code(&self.args(token, args)).await;
        assert_eq!(code, Some(2), "a refusal exits with 2: {events:?}");
        let refused = events
            .iter()
            .find(|e| e["event"] == "refused")
            .unwrap_or_else(|| panic!("no refused line: {events:?}"));
        assert!(
            !refused["message"].as_str().unwrap_or("").is_empty(),
            "a refusal says why: {refused}"
        );
        refused["code"].as_str().unwrap().to_owned()
    }

    /// Meta (wa-sim) has seen no business-initiated call.
    async fn meta_saw_no_call(&self) {
        let calls = self.stack.sim_get("/calls").await.unwrap();
        assert!(
            calls["active"].as_array().is_some_and(Vec::is_empty),
            "wa-sim saw a call: {calls}"
        );
    }

    /// The customer answers wa-sim's permission request; waits until ann may call.
    async fn customer_grants_permission(&self) {
        self.stack
            .sim_post(
                "/permission-replies",
                json!({"from": CUSTOMER, "answer": "accept_temporary"}),
            )
            .await
            .unwrap();
        until(&self.stack, &self.ann, |c| {
            c["permission"]["call"]["verdict"] == "allowed"
        })
        .await;
    }

    /// Starts `ringdesk-agent --call CUSTOMER` as ann with a tone, recording what it hears.
    fn call(&self, recording: &std::path::Path) -> (Running, AgentEvents) {
        let recording = recording.to_str().unwrap();
        let args = self.args(
            &self.ann,
            &["--call", CUSTOMER, "--tone", "1000", "--record", recording],
        );
        let mut agent = Running::spawn(
            "ringdesk-agent",
            Command::new(binary("ringdesk-agent").unwrap())
                .args(args)
                .stdout(Stdio::piped()),
        )
        .expect("agent starts");
        let events = AgentEvents::follow(&mut agent);
        (agent, events)
    }

    /// The record of `call_id` as ann sees it.
    async fn record(&self, call_id: &str) -> Value {
        let calls = self
            .stack
            .platform_get("/api/calls", &self.ann)
            .await
            .unwrap();
        let list = calls
            .as_array()
            .or_else(|| calls["calls"].as_array())
            .cloned()
            .unwrap_or_default();
        list.into_iter()
            .find(|r| r["id"] == call_id)
            .unwrap_or_else(|| panic!("{call_id} not in /api/calls: {calls}"))
    }
}

/// Polls `GET /api/conversations` as `token` until the customer's conversation passes
/// `wanted` (bounded by WAIT).
async fn until(stack: &Stack, token: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    common::conversation_until(stack, token, CUSTOMER, wanted).await
}

/// Waits for the agent process to exit by itself; its exit code.
async fn exit_code(mut agent: Running) -> Option<i32> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = agent.child.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            Instant::now() < deadline,
            "the agent did not exit after the call"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn at(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .unwrap_or_else(|| panic!("not a timestamp: {value}"))
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_asks_for_permission_calls_and_both_sides_hear_each_other() {
    let scene = Scene::start().await;

    // No permission yet: refused by the platform, nothing reached Meta.
    let code = scene.refused(&scene.ann, &["--call", CUSTOMER]).await;
    assert_eq!(code, "no_call_permission");
    scene.meta_saw_no_call().await;

    // The permission request goes out; a second one within 24 h is refused.
    let (code, events) =
        agent_exit_code(&scene.args(&scene.ann, &["--request-permission", CUSTOMER])).await;
    assert_eq!(code, Some(0), "{events:?}");
    let sent = events
        .iter()
        .find(|e| e["event"] == "permission_requested")
        .unwrap_or_else(|| panic!("no permission_requested: {events:?}"));
    assert_eq!(sent["customer"], CUSTOMER);
    let code = scene
        .refused(&scene.ann, &["--request-permission", CUSTOMER])
        .await;
    assert_eq!(code, "permission_request_limit_reached");

    scene.customer_grants_permission().await;

    // The agent calls; the customer's phone rings; the customer picks up.
    let recording = scene.stack.dir.path().join("agent-heard.wav");
    let (agent, events) = scene.call(&recording);
    let call_id = events.wait_for("dialing")["call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        events.wait_for("remote_ringing")["call_id"],
        call_id.as_str()
    );
    let record = scene.record(&call_id).await;
    assert_eq!(record["direction"], "outbound", "{record}");
    assert!(
        record["answered_at"].is_null(),
        "not answered before the pickup: {record}"
    );
    // The customer lets it ring 2 s (the scenario, not a wait for an event): a record
    // answered at Meta's `connect` instead of the pickup would show it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before_pickup = Utc::now();
    scene
        .stack
        .sim_post(&format!("/calls/{call_id}/answer"), json!({}))
        .await
        .unwrap();
    // The pickup and the first audio race (start_media goes out just before `accepted`): the
    // agent may report media before the pickup; both must come.
    let seen = events.until("remote_accepted");
    let accepted = seen.last().unwrap().clone();
    assert_eq!(accepted["call_id"], call_id.as_str());
    let connected = match seen.iter().find(|e| e["event"] == "media_connected") {
        Some(connected) => connected.clone(),
        None => events.wait_for("media_connected"),
    };
    assert_eq!(connected["call_id"], call_id.as_str());

    // The customer hears the agent (1.5 s of audio; its analysis window is 1 s).
    let heard = scene.stack.customer_heard(&call_id, 75).await.unwrap();
    assert_near(heard["audio"]["dominant_hz"].as_f64(), AGENT_HZ, "customer");

    // The customer hangs up; the agent's run ends with the call.
    scene.stack.customer_hangs_up(&call_id).await.unwrap();
    let ended = events.wait_for("ended");
    assert_eq!(ended["call_id"], call_id.as_str());
    assert_eq!(ended["reason"], "hangup_by_customer", "{ended}");
    assert_eq!(exit_code(agent).await, Some(0));

    // The agent heard the customer (the recording is finished before `ended`).
    let (hz, samples) = dominant_hz_of_wav(&recording);
    assert!(
        samples >= 75 * 960,
        "recording too short: {samples} samples"
    );
    assert_near(hz, CUSTOMER_HZ, "agent recording");

    // The record: outbound, completed, answered at the pickup, duration from there.
    let record = scene.record(&call_id).await;
    assert_eq!(record["status"], "completed", "{record}");
    assert_eq!(record["direction"], "outbound", "{record}");
    let answered = at(&record["answered_at"]);
    let started = at(&record["offered_at"]);
    let ended_at = at(&record["ended_at"]);
    // Meta's status timestamps are whole seconds.
    assert!(
        answered >= before_pickup - chrono::Duration::seconds(1),
        "answered_at {answered} is before the customer picked up ({before_pickup}): {record}"
    );
    assert!(
        answered - started >= chrono::Duration::seconds(1),
        "answered when dialled, not at the pickup: {record}"
    );
    let duration = record["duration_secs"].as_i64().expect("duration_secs");
    let from_pickup = (ended_at - answered).num_seconds();
    assert!(
        (duration - from_pickup).abs() <= 1 && duration >= 1,
        "duration {duration} s is not the {from_pickup} s from pickup to end: {record}"
    );
    if let Some(told) = ended["duration_secs"].as_i64() {
        assert_eq!(told, duration, "the agent was told the platform's duration");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_agents_call_is_refused_and_a_declined_call_ends_rejected() {
    let scene = Scene::start().await;
    let bob = scene.stack.add_agent("bob").expect("bob's token");
    let (code, _) =
        agent_exit_code(&scene.args(&scene.ann, &["--request-permission", CUSTOMER])).await;
    assert_eq!(code, Some(0));
    scene.customer_grants_permission().await;

    // The conversation is ann's: bob sees none, and a request naming it is refused.
    let code = scene.refused(&bob, &["--call", CUSTOMER]).await;
    assert_eq!(code, "no_conversation");
    scene.meta_saw_no_call().await;

    // The customer declines ann's call.
    let recording = scene.stack.dir.path().join("declined.wav");
    let (agent, events) = scene.call(&recording);
    let call_id = events.wait_for("dialing")["call_id"]
        .as_str()
        .unwrap()
        .to_owned();
    events.wait_for("remote_ringing");
    scene
        .stack
        .sim_post(&format!("/calls/{call_id}/reject"), json!({}))
        .await
        .unwrap();
    let ended = events.wait_for("ended");
    assert_eq!(ended["reason"], "rejected_by_customer", "{ended}");
    assert_eq!(exit_code(agent).await, Some(0));
    let record = scene.record(&call_id).await;
    assert_eq!(record["direction"], "outbound", "{record}");
    assert_eq!(record["status"], "rejected", "{record}");
    assert!(record["answered_at"].is_null(), "{record}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_request_with_the_service_window_closed_is_refused_before_meta() {
    // A customer who never wrote: the conversation exists (assigned to ann) but its 24 h
    // customer-service window never opened.
    const SILENT: &str = "14085550000";
    let stack = Stack::start().await.expect("wa-sim and the platform start");
    let ann = stack.add_agent("ann").expect("ann's token");
    stack
        .admin(&[
            "conversation",
            "assign",
            "--customer",
            SILENT,
            "--agent",
            "ann",
        ])
        .unwrap();
    let scene = Scene { stack, ann };
    let code = scene
        .refused(&scene.ann, &["--request-permission", SILENT])
        .await;
    assert_eq!(code, "customer_service_window_closed");
    // Meta's own count of permission requests to that customer is still zero.
    let meta: Value = scene
        .stack
        .http
        .get(format!(
            "{}/v23.0/{PHONE_NUMBER_ID}/call_permissions?user_wa_id={SILENT}",
            scene.stack.sim_url
        ))
        .bearer_auth(ACCESS_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let requests = meta["actions"]
        .as_array()
        .and_then(|actions| {
            actions
                .iter()
                .find(|a| a["action_name"] == "send_call_permission_request")
        })
        .unwrap_or_else(|| panic!("no request action in {meta}"));
    assert!(
        requests["limits"]
            .as_array()
            .is_some_and(|limits| limits.iter().all(|l| l["current_usage"] == 0)),
        "a permission request reached Meta: {meta}"
    );
}
