//! The real `ringdesk` window ready to drive: the prerequisites checked (tools, the virtual
//! sound card, the test keyring), a private Xvfb and tauri-driver started, the app launched in
//! a scratch HOME, and the agent signed in through the form.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::processes::{start_tauri_driver, start_xvfb, Group};
use super::webdriver::Session;
use super::{ScratchHome, Tools};

/// The window and everything behind it; all of it stops when dropped (the session first).
pub struct DesktopApp {
    pub session: Session,
    _driver: Group,
    _xvfb: Group,
    _home: ScratchHome,
}

/// The tools when everything a real-window call needs is here; `None` (after saying why) when
/// something is missing and `RINGDESK_DESKTOP_TEST` does not demand it. Panics when it does.
pub fn call_prerequisites_or_skip(test: &str) -> Option<Tools> {
    let tools = match Tools::required_or_skip() {
        Ok(tools) => tools?,
        Err(why) => panic!("{why}"),
    };
    let demanded = std::env::var_os("RINGDESK_DESKTOP_TEST").is_some();
    for (var, what) in [
        ("RINGDESK_AUDIO_TEST", "the virtual sound card"),
        ("RINGDESK_KEYRING_TEST", "the test keyring"),
    ] {
        if std::env::var_os(var).is_none() {
            assert!(
                !demanded,
                "RINGDESK_DESKTOP_TEST is set but {what} is not ({var})"
            );
            eprintln!("skipping {test}: {what} is not available ({var})");
            return None;
        }
    }
    Some(tools)
}

/// Starts Xvfb, tauri-driver and the `ringdesk` binary (element lookups wait up to `wait`).
pub fn launch(tools: &Tools, name: &str, wait: Duration) -> Result<DesktopApp, String> {
    let home = ScratchHome::new(name)?;
    let home_dir = home
        .0
        .to_str()
        .ok_or("scratch HOME is not UTF-8")?
        .to_owned();
    let (xvfb, display) = start_xvfb(&tools.xvfb)?;
    let inherited = |var: &str| std::env::var(var).unwrap_or_default();
    let (bus, runtime_dir) = (
        inherited("DBUS_SESSION_BUS_ADDRESS"),
        inherited("XDG_RUNTIME_DIR"),
    );
    let env = [
        ("DISPLAY", display.as_str()),
        ("XDG_CONFIG_HOME", home_dir.as_str()),
        ("XDG_DATA_HOME", home_dir.as_str()),
        ("XDG_CACHE_HOME", home_dir.as_str()),
        // The test keyring's bus and the PulseAudio null sink's runtime directory.
        ("DBUS_SESSION_BUS_ADDRESS", bus.as_str()),
        ("XDG_RUNTIME_DIR", runtime_dir.as_str()),
    ];
    let (driver, port) = start_tauri_driver(&tools.tauri_driver, &tools.native_driver, &env)?;
    let ringdesk = crate::binary("ringdesk")?;
    let application = ringdesk.to_str().ok_or("the binary path is not UTF-8")?;
    let session = Session::start(port, application, wait)?;
    Ok(DesktopApp {
        session,
        _driver: driver,
        _xvfb: xvfb,
        _home: home,
    })
}

/// Signs in through the form and waits until the platform connection is up.
pub fn sign_in(app: &Session, platform_url: &str, token: &str) -> Result<(), String> {
    let url = app.find("[data-testid=sign-in-url]")?;
    url.clear()?;
    url.type_text(platform_url)?;
    app.find("[data-testid=sign-in-token]")?.type_text(token)?;
    app.find("[data-testid=sign-in-submit]")?.click()?;
    app.find("[data-testid=connection-state][data-state=connected]")?;
    Ok(())
}

/// Polls `script` (returning a JSON value) in the current window until `done` holds, up to
/// `wait`; panics with `what` and the last value otherwise.
pub fn wait_until(
    app: &Session,
    wait: Duration,
    what: &str,
    script: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + wait;
    loop {
        let value = app.execute(script, &[]).unwrap_or(Value::Null);
        if done(&value) {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: last saw {value}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `docs/screenshots/`, created if needed.
pub fn screenshots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}
