//! A system keyring for tests: a private D-Bus session bus with an unlocked gnome-keyring
//! (the Secret Service the desktop app stores the agent token in on Linux).
//!
//! Each run gets a fresh bus and a fresh keyring directory, so a keyring left by an earlier run
//! (with another password) can never lock the tests out. The daemons are left running like the
//! PulseAudio daemon of `audio_env`; they hold nothing but test tokens. Linux only; elsewhere,
//! and when the tools are missing, tests that need a keyring see no `RINGDESK_KEYRING_TEST`
//! and skip themselves with a message.

use crate::shell;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Which try this is (each gets its own keyring directory).
static ATTEMPT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The password of the throw-away test keyring (it guards nothing real).
const PASSWORD: &str = "ringdesk-test-keyring";

/// Environment variables that point tests at the keyring, or empty if unavailable.
pub fn ensure() -> Vec<(String, String)> {
    // A daemon that comes up too slowly on a loaded machine gets one more try on a fresh bus
    // (seen once: the first round trip never answered within its deadline).
    let started = start().or_else(|why| {
        println!("keyring: {why}; trying once more on a fresh bus");
        start()
    });
    match started {
        Ok(address) => {
            println!("keyring: Secret Service ready on a private D-Bus session ({address})");
            vec![
                ("DBUS_SESSION_BUS_ADDRESS".into(), address),
                ("RINGDESK_KEYRING_TEST".into(), "1".into()),
            ]
        }
        Err(why) => {
            println!("keyring: {why}; tests of the system keyring will skip");
            Vec::new()
        }
    }
}

fn start() -> Result<String, String> {
    if !cfg!(target_os = "linux") {
        return Err("not Linux".into());
    }
    for tool in [
        "dbus-daemon",
        "dbus-send",
        "gnome-keyring-daemon",
        "secret-tool",
    ] {
        if !shell::on_path(tool) {
            return Err(format!("`{tool}` is not installed"));
        }
    }
    let home = std::env::temp_dir().join(format!(
        "ringdesk-keyring-{}-{}",
        std::process::id(),
        ATTEMPT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let data = home.join("data");
    let runtime = home.join("run");
    for dir in [&data, &runtime] {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {dir:?}: {e}"))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot protect {runtime:?}: {e}"))?;
    }

    let bus = shell::output(Command::new("dbus-daemon").args([
        "--session",
        "--fork",
        "--print-address=1",
    ]))
    .ok_or("dbus-daemon did not start a session bus")?;
    let address = bus
        .lines()
        .next()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or("dbus-daemon printed no bus address")?
        .to_owned();

    let env = |cmd: &mut Command| {
        cmd.env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("XDG_DATA_HOME", &data)
            .env("XDG_RUNTIME_DIR", &runtime);
    };
    let mut daemon = Command::new("gnome-keyring-daemon");
    daemon
        .args(["--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    env(&mut daemon);
    let mut child = daemon
        .spawn()
        .map_err(|e| format!("cannot run gnome-keyring-daemon: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(PASSWORD.as_bytes())
            .map_err(|e| format!("cannot give gnome-keyring-daemon its password: {e}"))?;
    }
    // `--unlock` forks the daemon and exits.
    let _ = child.wait();

    // Wait for our daemon to own the Secret Service name before anything asks for it: a
    // request sent earlier makes the bus *activate* another gnome-keyring (its service file),
    // one without our password, which then wins the name and refuses every secret (seen on a
    // fresh machine: the first try failed for its whole deadline, the second worked at once).
    // `NameHasOwner` itself never activates anything.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !secret_service_owned(&address) {
        if Instant::now() > deadline {
            return Err("gnome-keyring never took the Secret Service name on the bus".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // Ready when a secret goes in and comes back out.
    loop {
        if round_trip(&env) {
            return Ok(address);
        }
        if Instant::now() > deadline {
            return Err("gnome-keyring did not store and return a test secret".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether some process owns `org.freedesktop.secrets` on the bus at `address`.
fn secret_service_owned(address: &str) -> bool {
    let mut ask = Command::new("dbus-send");
    ask.args([
        "--session",
        "--print-reply",
        "--dest=org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        "string:org.freedesktop.secrets",
    ])
    .env("DBUS_SESSION_BUS_ADDRESS", address);
    shell::output(&mut ask).is_some_and(|reply| reply.contains("boolean true"))
}

fn round_trip(env: &dyn Fn(&mut Command)) -> bool {
    let attrs = ["service", "ringdesk-xtask", "user", "probe"];
    let mut store = Command::new("secret-tool");
    store
        .args(["store", "--label=ringdesk probe"])
        .args(attrs)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    env(&mut store);
    let Ok(mut child) = store.spawn() else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(b"probe");
    }
    if !child.wait().is_ok_and(|s| s.success()) {
        return false;
    }
    let mut lookup = Command::new("secret-tool");
    lookup.arg("lookup").args(attrs);
    env(&mut lookup);
    shell::output(&mut lookup).is_some_and(|out| out.trim() == "probe")
}
