//! The agent over TLS end to end, as real processes: `ringdesk-platform` serves HTTPS/WSS
//! itself with a certificate from a throwaway company CA (`[tls]`), `wa-sim` posts its webhooks
//! to it over HTTPS (as Meta requires), and `ringdesk-agent --ca-file` signs in over `wss://`,
//! takes a call with audio both ways, and makes REST requests (`--request-permission`) over
//! `https://`. Without the CA the agent stops at once and says the certificate is not trusted
//! (not "cannot connect"); plain `http://` to another machine is refused before any packet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod common;

use std::process::{Command, Stdio};

use common::{agent_exit_code, assert_near, conversation_until, AgentEvents};
use ringdesk_e2e::stack::Stack;
use ringdesk_e2e::{binary, Running};
use serde_json::json;

const CUSTOMER: &str = "14085551234";
const AGENT_HZ: f64 = 1000.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_trusting_the_company_ca_works_over_wss_and_https() {
    let stack = Stack::start_tls()
        .await
        .expect("wa-sim and the TLS platform start");
    let ca = stack
        .tls
        .as_ref()
        .unwrap()
        .ca_file
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        stack.platform_url.starts_with("https://"),
        "{}",
        stack.platform_url
    );
    let ann = stack.add_agent("ann").expect("ann's token");

    // Signed in over wss://, a customer's call (webhooks over https) rings and is answered.
    let mut agent = Running::spawn(
        "ringdesk-agent",
        Command::new(binary("ringdesk-agent").unwrap())
            .args([
                "--platform",
                &stack.platform_url,
                "--token",
                &ann,
                "--ca-file",
                &ca,
            ])
            .args(["--auto-answer", "--tone", "1000", "--presence", "available"])
            .args(["--media-ip", "127.0.0.1"])
            .stdout(Stdio::piped()),
    )
    .expect("agent starts");
    let events = AgentEvents::follow(&mut agent);
    events.wait_for("connected");
    events.wait_for("presence");
    let call_id = stack
        .customer_calls(CUSTOMER, "Ada Customer", json!({"kind": "tone", "hz": 440}))
        .await
        .expect("wa-sim places the call");
    assert_eq!(
        events.wait_for("incoming_call")["call_id"],
        call_id.as_str()
    );
    assert_eq!(
        events.wait_for("media_connected")["call_id"],
        call_id.as_str()
    );
    let heard = stack.customer_heard(&call_id, 50).await.unwrap();
    assert_near(heard["audio"]["dominant_hz"].as_f64(), AGENT_HZ, "customer");
    stack.customer_hangs_up(&call_id).await.unwrap();
    assert_eq!(events.wait_for("ended")["reason"], "hangup_by_customer");
    drop(agent);

    // REST over https:// with the same trust: the customer writes, the conversation is ann's,
    // ann asks for call permission (GET /api/conversations, then the request on the socket).
    stack
        .sim_post(
            "/messages",
            json!({"from": CUSTOMER, "text": "Call me back, please"}),
        )
        .await
        .unwrap();
    let admin = stack.add_admin("boss").expect("an admin");
    conversation_until(&stack, &admin, CUSTOMER, |_| true).await;
    stack.assign(CUSTOMER, "ann").unwrap();
    conversation_until(&stack, &ann, CUSTOMER, |_| true).await;
    let args = [
        "--platform",
        stack.platform_url.as_str(),
        "--token",
        ann.as_str(),
        "--ca-file",
        ca.as_str(),
        "--request-permission",
        CUSTOMER,
    ];
    let (code, events) = agent_exit_code(&args).await;
    assert_eq!(code, Some(0), "{events:?}");
    assert!(
        events.iter().any(|e| e["event"] == "permission_requested"),
        "{events:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_said_as_such_and_plain_http_elsewhere_is_refused() {
    let stack = Stack::start_tls()
        .await
        .expect("wa-sim and the TLS platform start");
    let ann = stack.add_agent("ann").expect("ann's token");

    // No --ca-file: the system does not trust the test CA. The agent stops and says so.
    let (code, events) =
        agent_exit_code(&["--platform", &stack.platform_url, "--token", &ann]).await;
    assert_eq!(code, Some(1), "{events:?}");
    let error = events
        .iter()
        .find(|e| e["event"] == "error")
        .unwrap_or_else(|| panic!("no error line: {events:?}"));
    assert_eq!(error["reason"], "certificate", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("not trusted") && message.contains("UnknownIssuer"),
        "{message}"
    );
    assert!(
        !events.iter().any(|e| e["event"] == "connected"),
        "{events:?}"
    );

    // A CA file that is not one is refused up front, with the file named.
    let bogus = stack.dir.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let bogus = bogus.to_str().unwrap();
    let (code, events) = agent_exit_code(&[
        "--platform",
        &stack.platform_url,
        "--token",
        &ann,
        "--ca-file",
        bogus,
    ])
    .await;
    assert_eq!(code, Some(1), "{events:?}");
    let message = events[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("bogus.pem"), "{events:?}");

    // Plain http:// to another machine is refused before any connection is made (the address
    // is never contacted), and says how to allow it.
    let (code, events) =
        agent_exit_code(&["--platform", "http://10.255.255.1:8080", "--token", &ann]).await;
    assert_eq!(code, Some(1), "{events:?}");
    assert_eq!(events[0]["reason"], "insecure", "{events:?}");
    assert!(
        events[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("unencrypted"),
        "{events:?}"
    );
}
