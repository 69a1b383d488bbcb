//! The real desktop app places a permitted call from its Inbox: `wa-sim` and
//! `ringdesk-platform` as processes, the `ringdesk` binary in WebKitGTK under a private Xvfb,
//! driven through tauri-driver.
//!
//! The customer writes (the 24 h window opens) and the conversation is assigned to the agent.
//! In the window: the inbox shows the conversation and its permission state, Call is disabled
//! with the platform's reason; the agent requests permission from the inbox, wa-sim's customer
//! accepts, and Call becomes enabled by itself (`permission_changed`). The agent calls: the bar
//! says calling/ringing, wa-sim's phone picks up, the timer runs from the pickup, the speaker
//! meter moves with the customer's 440 Hz, and the customer's phone hears the agent's
//! microphone (the null sink's monitor, so the 440 Hz comes back within 2 %). The customer hangs up; the window says so, and the
//! history's Outbound view lists the call as completed, as the platform recorded it. A second
//! call, declined by the customer, ends "Declined by the customer" and is listed as rejected
//! in the conversation's calls.
//! Screenshots go to docs/screenshots/outbound-*.png (the README shows them).
//!
//! Needs what `tests/tests/desktop_call.rs` needs (see `ringdesk_e2e::desktop::window`).
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

mod common;

use std::time::{Duration, Instant};

use ringdesk_e2e::desktop::webdriver::Session;
use ringdesk_e2e::desktop::window::{
    call_prerequisites_or_skip, launch, screenshots_dir, sign_in, wait_until,
};
use ringdesk_e2e::stack::{Stack, WAIT};
use serde_json::{json, Value};

const CUSTOMER: &str = "14085551234";
const CUSTOMER_NAME: &str = "Ada Customer";
/// wa-sim's customer answers business-initiated calls with this tone (its default).
const CUSTOMER_HZ: f64 = 440.0;

/// Polls `GET /api/conversations` as `token` until the customer's conversation passes `wanted`.
async fn conversation_until(stack: &Stack, token: &str, wanted: impl Fn(&Value) -> bool) {
    common::conversation_until(stack, token, CUSTOMER, wanted).await;
}

/// The customer wrote and the conversation is `agent`'s.
async fn customer_writes_and_is_assigned_to(stack: &Stack, agent: &str, token: &str) {
    let admin = stack.add_admin("boss").unwrap();
    stack
        .sim_post(
            "/messages",
            json!({"from": CUSTOMER, "name": CUSTOMER_NAME, "text": "Please call me about my order"}),
        )
        .await
        .unwrap();
    conversation_until(stack, &admin, |c| {
        c["recent_messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    })
    .await;
    stack.assign(CUSTOMER, agent).unwrap();
    conversation_until(stack, token, |_| true).await;
}

/// `document.querySelector(css)?.<property>` in the current window.
fn property(css: &str, expression: &str) -> String {
    format!("return document.querySelector('{css}')?.{expression} ?? null;")
}

fn call_button_disabled(app: &Session) -> Value {
    app.execute(&property("[data-testid=call-button]", "disabled"), &[])
        .unwrap()
}

/// The id of the one call wa-sim (Meta) has, once it has one.
async fn the_call_at_meta(stack: &Stack) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let calls = stack.sim_get("/calls").await.unwrap();
        if let Some(id) = calls["active"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
        {
            return id.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "wa-sim never saw a call: {calls}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn an_agent_asks_for_permission_and_calls_the_customer_from_the_inbox() {
    let Some(tools) = call_prerequisites_or_skip("the real-window outbound call test") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stack = runtime.block_on(Stack::start()).unwrap();
    let token = stack.add_agent("ann").unwrap();
    runtime.block_on(customer_writes_and_is_assigned_to(&stack, "ann", &token));

    let desktop = launch(&tools, "desktop-outbound", WAIT).unwrap();
    let app = &desktop.session;
    let shots = screenshots_dir();
    sign_in(app, &stack.platform_url, &token).unwrap();
    app.find("[data-testid=presence-select] option[value=available]")
        .unwrap()
        .click()
        .unwrap();
    app.find("label.presence.available").unwrap();

    // The inbox shows the conversation; no permission yet, so Call says why it is disabled.
    app.find("[data-testid=tab-inbox]")
        .unwrap()
        .click()
        .unwrap();
    let row = app.find("[data-testid=conversation-row]").unwrap();
    let row_text = row.text().unwrap();
    assert!(
        row_text.contains(CUSTOMER_NAME) && row_text.contains(CUSTOMER),
        "conversation row: {row_text:?}"
    );
    app.find("[data-testid=conversation-last]").unwrap();
    let last = app
        .execute(
            &property("[data-testid=conversation-last]", "textContent"),
            &[],
        )
        .unwrap();
    let last = last.as_str().unwrap_or_default();
    assert!(
        last.contains("call me about my order"),
        "last message: {last:?}"
    );
    let summary = app.find("[data-testid=permission-summary]").unwrap();
    assert_eq!(summary.text().unwrap(), "No call permission");
    assert_eq!(call_button_disabled(app), json!(true));
    let reason = app
        .find("[data-testid=call-reason]")
        .unwrap()
        .text()
        .unwrap();
    assert!(
        reason.contains("call permission"),
        "the disabled Call button's reason: {reason:?}"
    );
    app.screenshot(&shots.join("outbound-1-inbox.png")).unwrap();

    // Request permission from the inbox: the request shows in the thread and a second one is
    // refused with its reason; the customer accepts and Call becomes enabled by itself.
    app.find("[data-testid=request-permission-button]")
        .unwrap()
        .click()
        .unwrap();
    wait_until(
        app,
        WAIT,
        "the sent request shows in the thread",
        "return [...document.querySelectorAll('[data-testid=message]')]\
         .some(m => m.textContent.toLowerCase().includes('permission request'));",
        |shown| *shown == json!(true),
    );
    wait_until(
        app,
        WAIT,
        "a second request is refused with its reason",
        &property("[data-testid=request-reason]", "textContent"),
        |reason| reason.as_str().is_some_and(|r| r.contains("per 24 h")),
    );
    app.find("[data-testid=permission-next-request]").unwrap();
    assert_eq!(call_button_disabled(app), json!(true));
    runtime
        .block_on(stack.sim_post(
            "/permission-replies",
            // The reply's webhook carries the customer's profile name, as Meta's does (wa-sim
            // would otherwise show the number as the name).
            json!({"from": CUSTOMER, "name": CUSTOMER_NAME, "answer": "accept_temporary"}),
        ))
        .unwrap();
    wait_until(
        app,
        WAIT,
        "Call enabled after the customer's permission",
        &property("[data-testid=call-button]", "disabled"),
        |disabled| *disabled == json!(false),
    );
    let summary = app
        .find("[data-testid=permission-summary]")
        .unwrap()
        .text()
        .unwrap();
    assert!(
        summary.starts_with("Temporary call permission until"),
        "{summary:?}"
    );
    app.screenshot(&shots.join("outbound-2-permitted.png"))
        .unwrap();

    // Call: the bar shows the call on its way, then ringing at the customer's phone.
    app.find("[data-testid=call-button]")
        .unwrap()
        .click()
        .unwrap();
    app.find("[data-testid=in-call-bar][data-direction=outbound]")
        .unwrap();
    let call_id = runtime.block_on(the_call_at_meta(&stack));
    let phase = property("[data-testid=in-call-bar]", "dataset.phase");
    wait_until(app, WAIT, "the customer's phone rings", &phase, |p| {
        *p == json!("ringing")
    });
    let name = app
        .find("[data-testid=in-call-name]")
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(name, CUSTOMER_NAME);
    app.screenshot(&shots.join("outbound-3-ringing.png"))
        .unwrap();

    // The customer picks up: connected, the timer runs, audio flows both ways.
    runtime
        .block_on(stack.sim_post(&format!("/calls/{call_id}/answer"), json!({})))
        .unwrap();
    wait_until(app, WAIT, "the call connects", &phase, |p| {
        *p == json!("connected")
    });
    let duration = property("[data-testid=call-duration]", "textContent");
    let first = wait_until(
        app,
        WAIT,
        "the call timer shows",
        &duration,
        Value::is_string,
    );
    wait_until(app, WAIT, "the call timer runs", &duration, |now| {
        now.is_string() && *now != first
    });
    let speaker_level = property(
        "[data-testid=level-output]",
        "getAttribute('aria-valuenow')",
    );
    wait_until(
        app,
        WAIT,
        "the speaker meter moves",
        &speaker_level,
        |level| {
            level
                .as_str()
                .and_then(|l| l.parse::<f64>().ok())
                .unwrap_or(0.0)
                > 5.0
        },
    );
    // The customer's phone decodes the agent's microphone: on the null sink that is the
    // monitor of what the app plays, so the customer's own 440 Hz comes back (within 2 %),
    // which silence or a dead microphone path would not give.
    let heard = runtime
        .block_on(stack.customer_heard(&call_id, 75))
        .unwrap();
    let hz = heard["audio"]["dominant_hz"].as_f64().unwrap_or(0.0);
    assert!(
        (hz - CUSTOMER_HZ).abs() <= CUSTOMER_HZ * 0.02,
        "the customer heard {hz} Hz from the agent, not {CUSTOMER_HZ} Hz: {heard}"
    );
    app.screenshot(&shots.join("outbound-4-connected.png"))
        .unwrap();

    // The customer hangs up: the window says so; the platform's record is outbound, completed.
    runtime.block_on(stack.customer_hangs_up(&call_id)).unwrap();
    let ended = app
        .find("[data-testid=call-ended][data-reason=remote_hangup]")
        .unwrap();
    assert!(
        ended.text().unwrap().contains("The customer hung up"),
        "{:?}",
        ended.text()
    );
    let deadline = Instant::now() + WAIT;
    loop {
        let calls = runtime.block_on(stack.calls(&token)).unwrap();
        let list = calls.as_array().or_else(|| calls["calls"].as_array());
        let recorded = list.into_iter().flatten().any(|c| {
            c["id"] == call_id.as_str()
                && c["direction"] == "outbound"
                && c["status"] == "completed"
        });
        if recorded {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never recorded outbound completed: {calls}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // History's Outbound view lists it.
    app.find("[data-testid=tab-history]")
        .unwrap()
        .click()
        .unwrap();
    app.find("[data-testid=history-direction-filter] option[value=outbound]")
        .unwrap()
        .click()
        .unwrap();
    let row = app
        .find("[data-testid=history-row][data-direction=outbound][data-status=completed]")
        .unwrap();
    let text = row.text().unwrap();
    assert!(
        text.contains(CUSTOMER_NAME) || text.contains("408"),
        "history row: {text:?}"
    );
    app.screenshot(&shots.join("outbound-5-history.png"))
        .unwrap();

    // A second call, declined by the customer: the window says so and history has it rejected.
    app.find("[data-testid=tab-inbox]")
        .unwrap()
        .click()
        .unwrap();
    wait_until(
        app,
        WAIT,
        "Call enabled again after the call",
        &property("[data-testid=call-button]", "disabled"),
        |disabled| *disabled == json!(false),
    );
    app.find("[data-testid=call-button]")
        .unwrap()
        .click()
        .unwrap();
    let declined_id = runtime.block_on(the_call_at_meta(&stack));
    assert_ne!(declined_id, call_id);
    wait_until(app, WAIT, "the second call rings", &phase, |p| {
        *p == json!("ringing")
    });
    runtime
        .block_on(stack.sim_post(&format!("/calls/{declined_id}/reject"), json!({})))
        .unwrap();
    let ended = app
        .find("[data-testid=call-ended][data-reason=declined]")
        .unwrap();
    assert!(
        ended.text().unwrap().contains("Declined by the customer"),
        "{:?}",
        ended.text()
    );
    app.find("[data-testid=conversation-call][data-direction=outbound][data-status=rejected]")
        .unwrap();
}
