//! A virtual sound card for the device tests: PulseAudio (started if needed) with a null sink as
//! the default output and its monitor as the default input. Idempotent, so the xtask runner may
//! have set it up already (`RINGDESK_TEST_SINK` names its sink).

use std::path::Path;
use std::process::Command;

/// The null sink's name: the xtask runner's (`RINGDESK_TEST_SINK`) or our own.
pub fn sink() -> String {
    std::env::var("RINGDESK_TEST_SINK").unwrap_or_else(|_| "ringdesk_test".into())
}

pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e} (is PulseAudio installed?)"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts PulseAudio (if needed) with a null sink as default output and its monitor as default
/// input. Idempotent, so the xtask runner may have done it already.
pub fn ensure_null_sink() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        let dir = Path::new("/tmp/ringdesk-audio-test-runtime");
        std::fs::create_dir_all(dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        std::env::set_var("XDG_RUNTIME_DIR", dir);
    }
    let running = Command::new("pulseaudio")
        .arg("--check")
        .status()
        .is_ok_and(|s| s.success());
    if !running {
        run("pulseaudio", &["--start", "--exit-idle-time=-1"]);
    }
    let sink = sink();
    let sinks = run("pactl", &["list", "short", "sinks"]);
    if !sinks
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(sink.as_str()))
    {
        run(
            "pactl",
            &[
                "load-module",
                "module-null-sink",
                &format!("sink_name={sink}"),
            ],
        );
    }
    run("pactl", &["set-default-sink", &sink]);
    run("pactl", &["set-default-source", &format!("{sink}.monitor")]);
}
