//! What the headless-agent tests share: following an agent's JSON events, running one to its
//! exit, and measuring a recording's tone.
#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use ringdesk_e2e::stack::{Stack, WAIT};
use ringdesk_e2e::{binary, Running};
use serde_json::Value;

/// The agent's stdout, one parsed JSON event per line.
pub struct AgentEvents(mpsc::Receiver<Value>);

impl AgentEvents {
    pub fn follow(running: &mut Running) -> Self {
        let stdout = running.child.stdout.take().expect("agent stdout piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                eprintln!("agent: {line}");
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
            }
        });
        Self(rx)
    }

    /// Waits for the next event named `name` (earlier other events are skipped; an error, or a
    /// call's end while waiting for something else, fails at once).
    pub fn wait_for(&self, name: &str) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .0
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the agent never reported {name:?}"));
            if event["event"] == name {
                return event;
            }
            assert_ne!(
                event["event"], "error",
                "agent error while waiting for {name}: {event}"
            );
            // A call that ended early would otherwise only show as a timeout a minute later.
            assert!(
                event["event"] != "ended" || name == "connected",
                "the call ended while waiting for {name}: {event}"
            );
        }
    }

    /// Every event up to and including the next one named `name` (bounded by [`WAIT`]),
    /// errors and ends included: for tests of what happened on the way.
    pub fn until(&self, name: &str) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .0
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("the agent never reported {name:?}; saw {seen:?}"));
            let done = event["event"] == name;
            seen.push(event);
            if done {
                return seen;
            }
        }
    }
}

pub fn dominant_hz_of_wav(path: &Path) -> (Option<f64>, usize) {
    let mut reader = hound::WavReader::open(path).expect("the agent's recording is a WAV file");
    assert_eq!(reader.spec().sample_rate, 48_000);
    let samples: Vec<i16> = reader
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect();
    let tail = &samples[samples.len().saturating_sub(24_000)..];
    (
        wa_sim::audio::analysis::dominant_frequency_hz(tail, 48_000),
        samples.len(),
    )
}

pub fn assert_near(measured: Option<f64>, expected: f64, who: &str) {
    let hz = measured.unwrap_or_else(|| panic!("{who}: no dominant frequency"));
    assert!(
        (hz - expected).abs() / expected < 0.02,
        "{who}: {hz:.1} Hz, expected {expected} Hz"
    );
}

/// Runs `ringdesk-agent` with `args` to its exit (bounded) and returns its stdout events.
pub async fn agent_run_to_exit(args: &[&str]) -> (bool, Vec<Value>) {
    let (code, events) = agent_exit_code(args).await;
    (code == Some(0), events)
}

/// Runs `ringdesk-agent` with `args` to its exit (bounded); its exit code and stdout events.
pub async fn agent_exit_code(args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let agent_bin = binary("ringdesk-agent").unwrap_or_else(|e| panic!("{e}"));
    let mut command = Command::new(agent_bin);
    command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let child = command.spawn().expect("agent starts");
    let output = tokio::time::timeout(
        WAIT,
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("the agent exits by itself")
    .expect("join")
    .expect("output");
    let events = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (output.status.code(), events)
}

/// Polls `token`'s `/api/conversations` until the conversation with `customer` is as
/// `wanted` (bounded by [`WAIT`]); returns it.
pub async fn conversation_until(
    stack: &Stack,
    token: &str,
    customer: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let all = stack
            .platform_get("/api/conversations", token)
            .await
            .unwrap();
        if let Some(c) = all
            .as_array()
            .and_then(|a| a.iter().find(|c| c["customer"]["number"] == customer))
        {
            if wanted(c) {
                return c.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "conversation never as wanted: {all}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
