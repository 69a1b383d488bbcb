//! A supervisor in the real desktop app: `wa-sim` and `ringdesk-platform` as processes, two
//! headless `ringdesk-agent`s of the supervisor's team one after the other, the `ringdesk`
//! binary in WebKitGTK under a private Xvfb, driven through tauri-driver.
//!
//! The supervisor signs in and steps away; the Team tab shows the first agent available, then
//! on a call with the customer while the customer talks (the agent auto-answers), then
//! available again; today's figures count the call. The first agent leaves and a second one
//! lets a customer's call ring until the customer gives up: the supervisor watches it ring,
//! filters history to Missed, finds that call, and exports the view as CSV, whose rows are
//! exactly the view's. Screenshots go to docs/screenshots/supervisor-*.png.
//!
//! Needs what `desktop_call` needs; without it it says what is missing and passes, unless
//! `RINGDESK_DESKTOP_TEST` is set.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is the failure report

use std::process::{Command, Stdio};

use ringdesk_e2e::desktop::window::{
    call_prerequisites_or_skip, launch, screenshots_dir, sign_in, wait_until,
};
use ringdesk_e2e::stack::{Stack, WAIT};
use ringdesk_e2e::{binary, Running};
use serde_json::{json, Value};

const CUSTOMER: &str = "14085551234";
const OTHER_CUSTOMER: &str = "14085556789";

/// Adds an agent of team `north` with `role`; returns the token.
fn team_member(stack: &Stack, name: &str, role: &str) -> String {
    let added = stack
        .admin(&[
            "agent", "add", "--name", name, "--role", role, "--team", "north",
        ])
        .unwrap();
    added.lines().last().unwrap().trim().to_owned()
}

/// A headless agent, available, answering at once when `auto_answer`.
fn headless(stack: &Stack, token: &str, auto_answer: bool) -> Running {
    let mut command = Command::new(binary("ringdesk-agent").unwrap());
    command
        .args(["--platform", &stack.platform_url, "--token", token])
        .args(["--tone", "523", "--presence", "available"])
        .args(["--media-ip", "127.0.0.1"])
        .stdout(Stdio::null());
    if auto_answer {
        command.arg("--auto-answer");
    }
    Running::spawn("ringdesk-agent", &mut command).unwrap()
}

/// The Team tab's state for `agent` (`available`, `ringing`, `on_call`, `offline`, ...).
fn member_state(agent: &str) -> String {
    format!(
        "return document.querySelector('[data-testid=team-member][data-agent={agent}]')\
         ?.dataset.state ?? null;"
    )
}

#[test]
fn a_supervisor_watches_the_team_live_filters_missed_calls_and_exports_them() {
    let Some(tools) = call_prerequisites_or_skip("the supervisor desktop test") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stack = runtime.block_on(Stack::start()).unwrap();
    let supervisor = team_member(&stack, "sara", "supervisor");
    let ari = team_member(&stack, "ari", "agent");
    let bea = team_member(&stack, "bea", "agent");

    let desktop = launch(&tools, "desktop-supervisor", WAIT).unwrap();
    let app = &desktop.session;
    let shots = screenshots_dir();
    sign_in(app, &stack.platform_url, &supervisor).unwrap();
    // Away, so customers' calls ring the team's agents, not the supervisor.
    app.find("[data-testid=presence-select] option[value=away]")
        .unwrap()
        .click()
        .unwrap();
    app.find("label.presence.away").unwrap();
    app.find("[data-testid=tab-team]").unwrap().click().unwrap();

    // Ari signs in: available; a customer calls and ari answers: on a call, live.
    let ari_app = headless(&stack, &ari, true);
    wait_until(
        app,
        WAIT,
        "ari shows as available",
        &member_state("ari"),
        |s| *s == json!("available"),
    );
    let answered = runtime
        .block_on(stack.customer_calls(CUSTOMER, "Maria Lopez", json!({"kind": "tone", "hz": 440})))
        .unwrap();
    wait_until(
        app,
        WAIT,
        "ari shows as on a call",
        &member_state("ari"),
        |s| *s == json!("on_call"),
    );
    let call = app
        .find("[data-testid=team-member][data-agent=ari] [data-testid=team-member-call]")
        .unwrap()
        .text()
        .unwrap();
    assert!(call.contains("Maria Lopez"), "ari's call: {call:?}");
    app.screenshot(&shots.join("supervisor-1-team-live.png"))
        .unwrap();
    runtime
        .block_on(stack.customer_hangs_up(&answered))
        .unwrap();
    wait_until(
        app,
        WAIT,
        "ari is available again",
        &member_state("ari"),
        |s| *s == json!("available"),
    );
    // Today's figures count the answered call.
    wait_until(
        app,
        WAIT,
        "today's figures count ari's call",
        "const row = document.querySelector('[data-testid=team-figures-row][data-agent=ari]'); \
         return row ? [...row.querySelectorAll('td')].map((td) => td.textContent.trim()) : null;",
        |cells| cells.get(1) == Some(&json!("1")) && cells.get(2) == Some(&json!("1")),
    );
    app.screenshot(&shots.join("supervisor-2-figures.png"))
        .unwrap();

    // Ari leaves (offline); bea does not answer and the customer gives up while it rings.
    drop(ari_app);
    wait_until(
        app,
        WAIT,
        "ari shows as offline",
        &member_state("ari"),
        |s| *s == json!("offline"),
    );
    let _bea_app = headless(&stack, &bea, false);
    wait_until(
        app,
        WAIT,
        "bea shows as available",
        &member_state("bea"),
        |s| *s == json!("available"),
    );
    let missed = runtime
        .block_on(stack.customer_calls(OTHER_CUSTOMER, "Kai Doe", json!({"kind": "silence"})))
        .unwrap();
    wait_until(app, WAIT, "bea's phone rings", &member_state("bea"), |s| {
        *s == json!("ringing")
    });
    runtime.block_on(stack.customer_hangs_up(&missed)).unwrap();
    wait_until(app, WAIT, "bea stops ringing", &member_state("bea"), |s| {
        *s == json!("available")
    });

    // History, Missed: exactly the call nobody answered; the CSV export holds the same.
    app.find("[data-testid=tab-history]")
        .unwrap()
        .click()
        .unwrap();
    app.find("[data-testid=history-view-missed]")
        .unwrap()
        .click()
        .unwrap();
    let rows = "return [...document.querySelectorAll('[data-testid=history-row]')]\
                .map((row) => row.dataset.status);";
    wait_until(
        app,
        WAIT,
        "history shows only the missed call",
        rows,
        |statuses| *statuses == json!(["missed"]),
    );
    app.screenshot(&shots.join("supervisor-3-missed.png"))
        .unwrap();
    app.find("[data-testid=history-export]")
        .unwrap()
        .click()
        .unwrap();
    let saved = wait_until(
        app,
        WAIT,
        "the export is saved",
        "return document.querySelector('[data-testid=history-exported]')?.textContent ?? \
         document.querySelector('[data-testid=history-export-error]')?.textContent ?? null;",
        Value::is_string,
    );
    let saved = saved.as_str().unwrap().trim();
    let path = saved
        .strip_prefix("Saved to ")
        .unwrap_or_else(|| panic!("the export failed: {saved}"));
    let csv = std::fs::read_to_string(path).unwrap();
    let _ = std::fs::remove_file(path);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,direction,status,channel"), "{csv}");
    assert_eq!(lines.len(), 2, "the header and the missed call: {csv}");
    assert!(
        lines[1].starts_with(&format!("{missed},inbound,missed,")),
        "{csv}"
    );
}
