//! Drives the real Ringdesk window (WebKitGTK under a private Xvfb) through tauri-driver:
//! the embedded UI loads under the CSP, and sign-in, errors, presence and sign-out go through
//! real IPC and the main window's capability.
//!
//! Needs `tauri-driver` (`cargo install tauri-driver --locked`), `WebKitWebDriver`
//! (Debian: webkit2gtk-driver) and `Xvfb`; without them it says what is missing and passes,
//! unless `RINGDESK_DESKTOP_TEST` is set (as `cargo xtask test` does after installing them).

#![cfg(unix)]
// A test file: a panic in a helper is the failure report.
#![allow(clippy::unwrap_used)]

use ringdesk_e2e::desktop::processes::{start_tauri_driver, start_xvfb};
use ringdesk_e2e::desktop::webdriver::Session;
use ringdesk_e2e::desktop::{ScratchHome, Tools};
use std::time::Duration;

/// Generous: a debug WebKit start on a loaded 2-core machine takes seconds.
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn the_real_window_signs_in_shows_errors_and_signs_out() {
    // `cargo xtask test` installs the tools and sets RINGDESK_DESKTOP_TEST=1: there a missing
    // tool is a failure, not a skip.
    let Some(tools) = Tools::required_or_skip().unwrap() else {
        return;
    };
    let home = ScratchHome::new("window-test").unwrap();
    let home_dir = home.0.to_str().unwrap().to_owned();

    let (_xvfb, display) = start_xvfb(&tools.xvfb).unwrap();
    let env = [
        ("DISPLAY", display.as_str()),
        ("HOME", home_dir.as_str()),
        ("XDG_CONFIG_HOME", home_dir.as_str()),
        ("XDG_DATA_HOME", home_dir.as_str()),
        // No session bus: single-instance then launches normally, apart from any running app.
        ("DBUS_SESSION_BUS_ADDRESS", "disabled:"),
    ];
    let (_driver, port) =
        start_tauri_driver(&tools.tauri_driver, &tools.native_driver, &env).unwrap();
    let app = Session::start(port, env!("CARGO_BIN_EXE_ringdesk"), WAIT).unwrap();
    // Each step's screenshot goes to docs/screenshots/ (the README shows them).
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    // The embedded UI rendered: scripts and styles passed the CSP.
    let url = app.find("[data-testid=sign-in-url]").unwrap();
    let token = app.find("[data-testid=sign-in-token]").unwrap();
    app.screenshot(&shots.join("sign-in.png")).unwrap();

    // A URL the Rust side refuses: its CommandError message reaches the form.
    url.clear().unwrap();
    url.type_text("ftp://calls.example.com").unwrap();
    token.type_text("agent-token").unwrap();
    app.find("[data-testid=sign-in-submit]")
        .unwrap()
        .click()
        .unwrap();
    let error = app
        .find("[data-testid=sign-in-error]")
        .unwrap()
        .text()
        .unwrap();
    assert!(error.contains("https://"), "sign-in error was {error:?}");

    url.clear().unwrap();
    url.type_text("https://calls.example.com/").unwrap();
    app.find("[data-testid=sign-in-submit]")
        .unwrap()
        .click()
        .unwrap();
    app.find("[data-testid=main-window]").unwrap();
    // The engine is running but this platform does not exist: it keeps reconnecting, and
    // history says why it is empty.
    app.find("[data-testid=connection-state][data-state=reconnecting]")
        .unwrap();
    let history = app
        .find("[data-testid=history-error]")
        .unwrap()
        .text()
        .unwrap();
    assert!(
        history.contains("reach the platform"),
        "history said {history:?}"
    );
    app.screenshot(&shots.join("main-window.png")).unwrap();

    // Presence goes through set_presence and comes back as an event (chosen while
    // disconnected, it is sent once the platform is reached).
    app.find("[data-testid=presence-select] option[value=away]")
        .unwrap()
        .click()
        .unwrap();
    app.find("label.presence.away").unwrap();

    app.find("[data-testid=sign-out]").unwrap().click().unwrap();
    app.find("[data-testid=sign-in]").unwrap();
}
