//! Call recording end to end, as real processes: the platform records the number's calls
//! (`RINGDESK_RECORD_CALLS`), `ringdesk-agent` records both sides as stereo Ogg/Opus while
//! the call goes and uploads the file after it; the platform keeps it and serves it by role
//! with byte ranges. The file is decoded here: the customer's 440 Hz on the left, the agent's
//! 1000 Hz on the right (within 2 %).
//!
//! An agent killed mid-call (SIGKILL, nothing flushed at exit) leaves its recording cut off;
//! started again on the same queue it cuts the file after its last whole page and uploads it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::AgentEvents;
use ringdesk_e2e::stack::{Stack, StackOptions};
use ringdesk_e2e::{binary, Running};
use serde_json::json;
use softphone::recording::read::read_stereo;
use softphone::signal::{goertzel_power, to_f32};
use wa_sim::audio::analysis::dominant_frequency_hz;

const CUSTOMER: &str = "14085551234";

async fn recording_stack() -> Stack {
    Stack::start_with(StackOptions {
        platform_env: vec![("RINGDESK_RECORD_CALLS".into(), "true".into())],
        ..StackOptions::default()
    })
    .await
    .expect("wa-sim and the platform start")
}

/// The agent `token`, answering with 1000 Hz and queueing recordings in `queue`.
fn agent(stack: &Stack, token: &str, queue: &Path) -> (Running, AgentEvents) {
    let mut agent = Running::spawn(
        "ringdesk-agent",
        Command::new(binary("ringdesk-agent").unwrap())
            .args(["--platform", &stack.platform_url, "--token", token])
            .args(["--auto-answer", "--tone", "1000", "--presence", "available"])
            .arg("--recordings-dir")
            .arg(queue)
            .stdout(Stdio::piped()),
    )
    .expect("agent starts");
    let events = AgentEvents::follow(&mut agent);
    events.wait_for("connected");
    events.wait_for("presence");
    (agent, events)
}

/// A customer saying 440 Hz calls; returns once both sides have had `packets` of audio.
async fn call_with_audio(stack: &Stack, events: &AgentEvents, packets: u64) -> String {
    let call_id = stack
        .customer_calls(
            CUSTOMER,
            "Ada Customer",
            json!({"kind": "tone", "hz": 440.0}),
        )
        .await
        .expect("wa-sim places the call");
    assert_eq!(
        events.wait_for("incoming_call")["call_id"],
        call_id.as_str()
    );
    events.wait_for("media_connected");
    stack.customer_heard(&call_id, packets).await.unwrap();
    call_id
}

async fn get_recording(
    stack: &Stack,
    call_id: &str,
    token: &str,
    range: Option<&str>,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/calls/{call_id}/recording",
            stack.platform_url
        ))
        .bearer_auth(token);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.unwrap()
}

/// One second from the middle of a channel (the ends hold the set-up and the hang-up).
fn middle(channel: &[i16]) -> Vec<f32> {
    assert!(
        channel.len() >= 2 * 48_000,
        "under two seconds recorded: {}",
        channel.len()
    );
    let start = channel.len() / 2 - 24_000;
    channel[start..start + 48_000]
        .iter()
        .map(|s| to_f32(*s))
        .collect()
}

fn db(power: f64) -> f64 {
    10.0 * power.max(1e-20).log10()
}

fn assert_sides(bytes: &[u8], call_id: &str) {
    let (tags, left, right) = read_stereo(bytes).expect("a stereo Ogg/Opus recording");
    assert!(tags.contains(&format!("CALL_ID={call_id}")), "{tags:?}");
    let (left, right) = (middle(&left), middle(&right));
    let hz = |s: &[f32]| {
        let pcm: Vec<i16> = s.iter().map(|v| softphone::signal::to_i16(*v)).collect();
        dominant_frequency_hz(&pcm, 48_000).expect("a tone")
    };
    let (customer, agent) = (hz(&left), hz(&right));
    assert!(
        (customer - 440.0).abs() / 440.0 < 0.02,
        "left (customer) {customer} Hz"
    );
    assert!(
        (agent - 1000.0).abs() / 1000.0 < 0.02,
        "right (agent) {agent} Hz"
    );
    // Crosstalk: each tone is far weaker on the other side's channel.
    let power = |s: &[f32], f: f64| db(goertzel_power(s, f, 48_000));
    let agent_apart = power(&right, 1000.0) - power(&left, 1000.0);
    let customer_apart = power(&left, 440.0) - power(&right, 440.0);
    assert!(
        agent_apart > 30.0,
        "the agent's tone is only {agent_apart} dB weaker on the left"
    );
    assert!(
        customer_apart > 30.0,
        "the customer's tone is only {customer_apart} dB weaker on the right"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_call_is_uploaded_and_served_by_role_with_each_side_on_its_channel() {
    let stack = recording_stack().await;
    let dir = tempfile::tempdir().unwrap();
    let ann = add(&stack, &["--name", "ann", "--team", "red"]);
    let lead = add(
        &stack,
        &["--name", "lea", "--role", "supervisor", "--team", "red"],
    );
    let bob = add(&stack, &["--name", "bob", "--team", "blue"]);
    let (_agent, events) = agent(&stack, &ann, dir.path());

    let call_id = call_with_audio(&stack, &events, 150).await;
    stack.customer_hangs_up(&call_id).await.unwrap();
    assert_eq!(events.wait_for("ended")["reason"], "hangup_by_customer");
    assert_eq!(
        events.wait_for("recording_uploaded")["call_id"],
        call_id.as_str()
    );
    assert_eq!(events.wait_for("recordings_pending")["count"], 0);

    // The agent's own call, and their supervisor's team: the whole file.
    for token in [&ann, &lead] {
        let response = get_recording(&stack, &call_id, token, None).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "audio/ogg");
        assert_eq!(response.headers()["accept-ranges"], "bytes");
        assert_sides(&response.bytes().await.unwrap(), &call_id);
    }
    // Another team's agent cannot tell it exists.
    let response = get_recording(&stack, &call_id, &bob, None).await;
    assert_eq!(response.status(), 404);
    // A player seeking: one byte range.
    let response = get_recording(&stack, &call_id, &lead, Some("bytes=0-3")).await;
    assert_eq!(response.status(), 206);
    let range = response.headers()["content-range"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(range.starts_with("bytes 0-3/"), "{range}");
    assert_eq!(&response.bytes().await.unwrap()[..], b"OggS");
    // The record says it has one; the queue on the agent's machine is empty.
    let record = stack
        .platform_get(&format!("/api/v1/calls/{call_id}"), &ann)
        .await
        .unwrap();
    assert_eq!(record["recording"], call_id.as_str(), "{record}");
    let left: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.ends_with(".ogg") || p.ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "still queued: {left:?}");
}

/// Waits (polling the REST record at a short interval, bounded) until the call is over.
async fn final_record(stack: &Stack, call_id: &str, token: &str) {
    let deadline = std::time::Instant::now() + ringdesk_e2e::stack::WAIT;
    loop {
        let record = stack
            .platform_get(&format!("/api/v1/calls/{call_id}"), token)
            .await
            .unwrap();
        if record["status"] != "on_call" && record["status"] != "ringing" {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the call never ended: {record}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// `agent add ARGS`; the new agent's token.
fn add(stack: &Stack, args: &[&str]) -> String {
    let out = stack.admin(&[&["agent", "add"], args].concat()).unwrap();
    out.lines().last().unwrap_or_default().trim().to_owned()
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_mid_call_uploads_what_it_recorded_when_it_starts_again() {
    let stack = recording_stack().await;
    let dir = tempfile::tempdir().unwrap();
    let token = stack.add_agent("ann").unwrap();
    let (mut agent_process, events) = agent(&stack, &token, dir.path());

    let call_id = call_with_audio(&stack, &events, 150).await;
    // Killed: no chance to finish the file or upload it.
    agent_process.child.kill().unwrap();
    agent_process.child.wait().unwrap();
    let cut_off: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.ends_with(".ogg.part"))
        .collect();
    assert_eq!(cut_off.len(), 1, "{:?}", walk(dir.path()));
    stack.customer_hangs_up(&call_id).await.unwrap();
    // Started again once the call is over (else its hello would still carry the call).
    final_record(&stack, &call_id, &token).await;

    let (_again, events) = agent(&stack, &token, dir.path());
    assert_eq!(
        events.wait_for("recording_uploaded")["call_id"],
        call_id.as_str()
    );
    let response = get_recording(&stack, &call_id, &token, None).await;
    assert_eq!(response.status(), 200);
    // At most the last second is lost: at least 2 of the 3 seconds are there.
    let bytes = response.bytes().await.unwrap();
    let (_, left, _) = read_stereo(&bytes).unwrap();
    assert!(left.len() >= 2 * 48_000, "{} samples kept", left.len());
    assert_sides(&bytes, &call_id);
}
