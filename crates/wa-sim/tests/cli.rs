//! The `wa-sim` binary: `serve` on a free port, then the customer-side subcommands against it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Stdio;

use common::*;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_wa-sim");

/// Starts `wa-sim serve` and returns it with its base URL (read from its stdout line).
async fn serve(webhook_url: &str) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--webhook-url",
            webhook_url,
            "--app-secret",
            APP_SECRET,
            "--access-token",
            TOKEN,
            "--phone-number-id",
            PHONE_NUMBER_ID,
            "--display-phone-number",
            BUSINESS_NUMBER,
            "--manual-clock",
            "--no-media",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(PATIENCE, lines.next_line())
        .await
        .expect("wa-sim printed its address")
        .unwrap()
        .expect("a line on stdout");
    let url = line
        .strip_prefix("wa-sim listening on ")
        .unwrap()
        .to_owned();
    (child, url)
}

/// Runs a client subcommand; returns (success, stdout as JSON or Null, stderr).
async fn run(url: &str, args: &[&str]) -> (bool, Value, String) {
    let (command, rest) = args.split_first().unwrap();
    let output = Command::new(BIN)
        .arg(command)
        .args(["--sim", url])
        .args(rest)
        .output()
        .await
        .unwrap();
    let stdout = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    (
        output.status.success(),
        stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn cli_drives_a_customer_call_the_clock_texts_and_permission_replies() {
    let mut hooks = WebhookReceiver::start(vec![]).await;
    let (mut server, url) = serve(&hooks.url).await;

    let (ok, started, err) = run(
        &url,
        &["call", "--from", CUSTOMER, "--name", "Ana", "--tone", "440"],
    )
    .await;
    assert!(ok, "call failed: {err}");
    let call_id = started["call_id"].as_str().unwrap().to_owned();
    let connect = hooks.next_of("connect").await;
    assert_signed(&connect);
    assert_eq!(connect.item()["id"], call_id.as_str());

    let (ok, state, _) = run(&url, &["state", &call_id]).await;
    assert!(ok);
    assert_eq!(state["state"], "ringing");
    assert_eq!(state["customer"]["name"], "Ana");

    let (ok, _, err) = run(&url, &["advance-clock", "--seconds", "41"]).await;
    assert!(ok, "advance-clock failed: {err}");
    let terminate = hooks.next_of("terminate").await;
    assert_eq!(terminate.value()["errors"][0]["code"], 138007);
    let (_, state, _) = run(&url, &["state", &call_id]).await;
    assert_eq!(state["end"], "accept_window_expired");

    // A refused action exits non-zero and says why.
    let (ok, _, err) = run(&url, &["hangup", &call_id]).await;
    assert!(!ok);
    assert!(err.contains("ended"), "stderr: {err}");

    let (ok, _, _) = run(&url, &["text", "--from", CUSTOMER, "hello there"]).await;
    assert!(ok);
    assert_eq!(
        hooks.next_of("message:text").await.item()["text"]["body"],
        "hello there"
    );

    let (ok, _, _) = run(
        &url,
        &["permission-reply", "--from", CUSTOMER, "accept-permanent"],
    )
    .await;
    assert!(ok);
    let reply = hooks.next_of("message:interactive").await;
    assert_eq!(
        reply.item()["interactive"]["call_permission_reply"]["is_permanent"],
        true
    );

    let (ok, calls, _) = run(&url, &["calls"]).await;
    assert!(ok);
    assert_eq!(calls["active"], serde_json::json!([]));

    server.kill().await.unwrap();
}

#[tokio::test]
async fn cli_reports_an_unreachable_simulator() {
    let (ok, _, err) = run("http://127.0.0.1:9", &["state", "wacid.x"]).await;
    assert!(!ok);
    assert!(err.contains("cannot reach wa-sim"), "stderr: {err}");
}
