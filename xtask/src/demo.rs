//! `cargo xtask run`: the demo on embedded defaults.
//!
//! Starts the Meta + customer simulator (`wa-sim`), the platform (`ringdesk-platform`, SQLite in
//! `.ringdesk/demo/`), creates a demo agent, signs an agent in with its token, and has simulated
//! customers (a short speech clip made with espeak-ng, `assets/demo/customer-voice.wav`) call in a
//! few seconds after start and then every minute. Each part it starts is named on stdout.
//!
//! With a display the agent is the desktop app, started signed in (demo mode: the token comes from
//! the environment and stays out of the keyring) with a "Simulate customer call" action. Without
//! one, or with `--headless`, it is the headless `ringdesk-agent` (auto-answer, a tone as its
//! voice). `cargo xtask run --for SECONDS` stops by itself (used to smoke-test the demo); otherwise it runs
//! until Ctrl-C or until one part exits, and stops the others (the children share our process
//! group, so Ctrl-C reaches them too).

use crate::{prerequisites, shell, ui};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SIM: &str = "127.0.0.1:8090";
const PLATFORM: &str = "127.0.0.1:8080";
const PHONE_NUMBER_ID: &str = "100000000000001";
const BUSINESS_NUMBER: &str = "15550001111";
const APP_SECRET: &str = "demo-app-secret";
const ACCESS_TOKEN: &str = "demo-access-token";
const FIRST_CALL_AFTER: Duration = Duration::from_secs(5);
const CALL_EVERY: Duration = Duration::from_secs(60);
/// How long a simulated customer stays on: the headless agent answers at once; a person at the
/// app needs time to pick up and talk (a call still ringing then is cancelled by the customer).
const CUSTOMER_STAYS_HEADLESS: Duration = Duration::from_secs(25);
const CUSTOMER_STAYS_WITH_APP: Duration = Duration::from_secs(90);
/// The simulated customer who writes first (so the Inbox has a conversation) and calls.
const DEMO_CUSTOMER: &str = "15550002222";
const DEMO_CUSTOMER_NAME: &str = "Demo Customer";

/// What `cargo xtask run` was asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    /// Stop by itself after this long (smoke tests of the demo).
    stop_after: Option<Duration>,
    /// Use the headless agent even when a display exists.
    headless: bool,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse_args(args)?;
    prerequisites::ensure_all()?;
    ui::ensure_packages()?;
    if ui::exists() {
        ui::build()?;
    }
    shell::run(shell::cargo().args(["build", "--workspace", "--bins"]))?;
    let bins = shell::target_dir().join("debug");
    let data_dir = shell::workspace_root().join(".ringdesk").join("demo");
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("cannot create {data_dir:?}: {e}"))?;
    let platform_env = platform_env(&data_dir);

    let mut parts: Vec<(&str, Child)> = Vec::new();
    let result = start_parts(&bins, &platform_env, &options, &mut parts)
        .and_then(|()| supervise(&bins, &mut parts, &options));
    for (_, child) in parts.iter_mut() {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    const USAGE: &str = "usage: cargo xtask run [--for SECONDS] [--headless]";
    let mut options = Options::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--headless" => options.headless = true,
            "--for" => {
                let secs = rest.next().ok_or(USAGE)?;
                let secs = secs
                    .parse::<u64>()
                    .map_err(|_| format!("--for takes whole seconds, got `{secs}`"))?;
                options.stop_after = Some(Duration::from_secs(secs));
            }
            other => return Err(format!("unknown argument `{other}`; {USAGE}")),
        }
    }
    Ok(options)
}

fn platform_env(data_dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("RINGDESK_LISTEN", PLATFORM.into()),
        (
            "RINGDESK_DATABASE_URL",
            format!("sqlite://{}/platform.db?mode=rwc", data_dir.display()),
        ),
        ("RINGDESK_GRAPH_BASE_URL", format!("http://{SIM}")),
        ("RINGDESK_ACCESS_TOKEN", ACCESS_TOKEN.into()),
        ("RINGDESK_APP_SECRET", APP_SECRET.into()),
        ("RINGDESK_VERIFY_TOKEN", "demo-verify-token".into()),
        ("RINGDESK_PHONE_NUMBER_ID", PHONE_NUMBER_ID.into()),
        ("RINGDESK_DISPLAY_PHONE_NUMBER", BUSINESS_NUMBER.into()),
    ]
}

fn start_parts(
    bins: &Path,
    platform_env: &[(&'static str, String)],
    options: &Options,
    parts: &mut Vec<(&'static str, Child)>,
) -> Result<(), String> {
    let sim = Command::new(binary(bins, "wa-sim")?)
        .args(["serve", "--listen", SIM])
        .args([
            "--webhook-url",
            &format!("http://{PLATFORM}/webhooks/whatsapp"),
        ])
        .args(["--app-secret", APP_SECRET, "--access-token", ACCESS_TOKEN])
        .args(["--phone-number-id", PHONE_NUMBER_ID])
        .args(["--display-phone-number", BUSINESS_NUMBER])
        .spawn()
        .map_err(|e| format!("could not start wa-sim: {e}"))?;
    parts.push(("wa-sim", sim));

    let platform_bin = binary(bins, "ringdesk-platform")?;
    let platform = Command::new(&platform_bin)
        .arg("serve")
        .envs(platform_env.iter().map(|(k, v)| (*k, v)))
        .spawn()
        .map_err(|e| format!("could not start ringdesk-platform: {e}"))?;
    parts.push(("ringdesk-platform", platform));

    wait_healthy("ringdesk-platform", PLATFORM, "/healthz")?;
    println!("run: started ringdesk-platform on http://{PLATFORM} (data in .ringdesk/demo)");
    println!("run: started wa-sim (Meta + customer phones) on http://{SIM}");

    let agent_name = format!("demo-agent-{}", unix_secs());
    let token = create_agent(&platform_bin, platform_env, &agent_name)?;
    println!("run: created agent `{agent_name}`");
    match seed_inbox(
        &binary(bins, "wa-sim")?,
        &platform_bin,
        platform_env,
        &agent_name,
    ) {
        Ok(()) => println!(
            "run: {DEMO_CUSTOMER_NAME} wrote and the conversation is `{agent_name}`'s (Inbox); \
             after a permission request, grant it with \
             `wa-sim permission-reply --sim http://{SIM} --from {DEMO_CUSTOMER} accept-temporary`"
        ),
        Err(why) => println!("run: the Inbox stays empty: {why}"),
    }

    let platform_url = format!("http://{PLATFORM}");
    if options.headless || !has_display() {
        if !options.headless {
            println!("run: no display found; signing in the headless agent instead of the app");
        }
        let agent = Command::new(binary(bins, "ringdesk-agent")?)
            .args(["--platform", &platform_url, "--token", &token])
            .args(["--auto-answer", "--tone", "523", "--presence", "available"])
            .spawn()
            .map_err(|e| format!("could not start ringdesk-agent: {e}"))?;
        parts.push(("ringdesk-agent", agent));
        println!(
            "run: started ringdesk-agent `{agent_name}` (auto-answers; its voice is a 523 Hz tone)"
        );
    } else {
        // Demo mode: the app signs in with this token without putting it in the keyring, and
        // offers "Simulate customer call", which asks wa-sim to ring with the same voice.
        let app = Command::new(binary(bins, "ringdesk")?)
            .env("RINGDESK_DEMO_PLATFORM", &platform_url)
            .env("RINGDESK_DEMO_TOKEN", &token)
            .env("RINGDESK_DEMO_SIM", format!("http://{SIM}"))
            .env("RINGDESK_DEMO_BUSINESS_NUMBER", BUSINESS_NUMBER)
            .env("RINGDESK_DEMO_VOICE", demo_voice())
            .spawn()
            .map_err(|e| format!("could not start the desktop app: {e}"))?;
        parts.push(("ringdesk (desktop app)", app));
        println!("run: started the desktop app, signed in as `{agent_name}`");
    }
    Ok(())
}

fn has_display() -> bool {
    if cfg!(target_os = "linux") {
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    } else {
        // macOS and Windows always have a desktop session when someone runs this.
        true
    }
}

fn demo_voice() -> PathBuf {
    shell::workspace_root().join("assets/demo/customer-voice.wav")
}

/// Places a simulated customer call now and then; stops everything when a part exits.
fn supervise(
    bins: &Path,
    parts: &mut [(&'static str, Child)],
    options: &Options,
) -> Result<(), String> {
    let stays = if options.headless || !has_display() {
        CUSTOMER_STAYS_HEADLESS
    } else {
        CUSTOMER_STAYS_WITH_APP
    };
    let started = Instant::now();
    let mut next_call = started + FIRST_CALL_AFTER;
    let mut hangups: Vec<(Instant, String)> = Vec::new();
    let sim_bin = binary(bins, "wa-sim")?;
    let voice = demo_voice();
    println!(
        "run: simulated customers call {}s after start, then every {}s; Ctrl-C stops the demo",
        FIRST_CALL_AFTER.as_secs(),
        CALL_EVERY.as_secs()
    );
    loop {
        for (name, child) in parts.iter_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("{name} exited ({status}); stopping the demo"));
            }
        }
        let now = Instant::now();
        if options
            .stop_after
            .is_some_and(|limit| now - started >= limit)
        {
            println!("run: --for elapsed; stopping the demo");
            return Ok(());
        }
        if now >= next_call {
            next_call = now + CALL_EVERY;
            match customer_calls(&sim_bin, &voice) {
                Ok(call_id) => {
                    println!("run: a simulated customer is calling (call {call_id})");
                    hangups.push((now + stays, call_id));
                }
                Err(why) => println!("run: could not place a simulated call: {why}"),
            }
        }
        hangups.retain(|(at, call_id)| {
            if now < *at {
                return true;
            }
            let hung_up = shell::output(Command::new(&sim_bin).args([
                "hangup",
                "--sim",
                &format!("http://{SIM}"),
                call_id,
            ]));
            if hung_up.is_some() {
                println!("run: the customer hung up call {call_id}");
            }
            false
        });
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn customer_calls(sim_bin: &Path, voice: &Path) -> Result<String, String> {
    let out = Command::new(sim_bin)
        .args([
            "call",
            "--sim",
            &format!("http://{SIM}"),
            "--from",
            DEMO_CUSTOMER,
        ])
        .args(["--name", DEMO_CUSTOMER_NAME])
        .arg("--play")
        .arg(voice)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run wa-sim call: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("wa-sim call failed: {}", text.trim()));
    }
    json_string_field(&text, "call_id").ok_or_else(|| format!("no call_id in `{}`", text.trim()))
}

/// The demo customer writes (the 24 h window opens) and the conversation is assigned to the
/// demo agent, so the Inbox has a conversation to request permission in and call from.
fn seed_inbox(
    sim_bin: &Path,
    platform_bin: &Path,
    platform_env: &[(&'static str, String)],
    agent_name: &str,
) -> Result<(), String> {
    let wrote = Command::new(sim_bin)
        .args([
            "text",
            "--sim",
            &format!("http://{SIM}"),
            "--from",
            DEMO_CUSTOMER,
        ])
        .args([
            "--name",
            DEMO_CUSTOMER_NAME,
            "Hi! Could you call me about my order?",
        ])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("could not run wa-sim text: {e}"))?;
    if !wrote.success() {
        return Err("wa-sim text failed".into());
    }
    // The webhook reaches the platform asynchronously: the conversation exists once assigning
    // it succeeds (bounded).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let assigned = Command::new(platform_bin)
            .args(["conversation", "assign", "--customer", DEMO_CUSTOMER])
            .args(["--agent", agent_name])
            .envs(platform_env.iter().map(|(k, v)| (*k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("could not run ringdesk-platform conversation assign: {e}"))?;
        if assigned.success() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("the platform never had the demo customer's conversation".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The value of `"field": "..."` in a small JSON text (xtask has no JSON parser on purpose).
fn json_string_field(json: &str, field: &str) -> Option<String> {
    let key = format!("\"{field}\"");
    let after_key = &json[json.find(&key)? + key.len()..];
    let after_colon = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = after_colon.strip_prefix('"')?;
    Some(value[..value.find('"')?].to_owned())
}

fn create_agent(
    platform_bin: &Path,
    platform_env: &[(&'static str, String)],
    name: &str,
) -> Result<String, String> {
    let out = Command::new(platform_bin)
        .args(["agent", "add", "--name", name])
        .envs(platform_env.iter().map(|(k, v)| (*k, v)))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run ringdesk-platform agent add: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().last() {
        Some(token) if out.status.success() && !token.trim().is_empty() => Ok(token.trim().into()),
        _ => Err(format!("`agent add` gave no token: {}", text.trim())),
    }
}

/// Polls `GET path` until it answers 200 (the server is up), for at most 30 s.
fn wait_healthy(name: &str, addr: &str, path: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if http_get_ok(addr, path) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{name} did not answer GET {path} on {addr} within 30 s"
    ))
}

fn http_get_ok(addr: &str, path: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

fn binary(bins: &Path, name: &str) -> Result<PathBuf, String> {
    let path = bins.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} was not built", path.display()))
    }
}

fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_string_field_from_compact_and_spaced_json() {
        assert_eq!(
            json_string_field(r#"{"call_id":"wacid.A1"}"#, "call_id").as_deref(),
            Some("wacid.A1")
        );
        assert_eq!(
            json_string_field("{\n  \"call_id\": \"wacid.B2\"\n}", "call_id").as_deref(),
            Some("wacid.B2")
        );
        assert_eq!(json_string_field(r#"{"other":"x"}"#, "call_id"), None);
        assert_eq!(json_string_field(r#"{"call_id":12}"#, "call_id"), None);
    }

    #[test]
    fn run_takes_a_duration_and_a_headless_switch() {
        assert_eq!(parse_args(&[]).unwrap(), Options::default());
        assert_eq!(
            parse_args(&["--for".into(), "30".into()]).unwrap(),
            Options {
                stop_after: Some(Duration::from_secs(30)),
                headless: false
            }
        );
        assert_eq!(
            parse_args(&["--headless".into(), "--for".into(), "5".into()]).unwrap(),
            Options {
                stop_after: Some(Duration::from_secs(5)),
                headless: true
            }
        );
        assert!(parse_args(&["--for".into(), "soon".into()]).is_err());
        assert!(parse_args(&["--for".into()]).is_err());
        assert!(parse_args(&["--fast".into()]).is_err());
    }
}
