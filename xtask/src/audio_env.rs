//! A virtual sound card for tests: a PulseAudio daemon with a null sink whose monitor is the
//! default source, so audio played to the default output comes back on the default input.
//!
//! Started once and left running (idempotent: a second call finds it). Linux only; elsewhere
//! tests that need it see no `RINGDESK_AUDIO_TEST` and skip themselves with a message.

use crate::shell;
use std::process::Command;

const SINK: &str = "ringdesk_null";

/// Environment variables that point tests at the virtual sound card, or empty if unavailable.
pub fn ensure() -> Vec<(String, String)> {
    if !cfg!(target_os = "linux") || !shell::on_path("pulseaudio") || !shell::on_path("pactl") {
        println!("audio: PulseAudio not available; tests on real sound devices will skip");
        return Vec::new();
    }
    let runtime = std::env::var("XDG_RUNTIME_DIR").unwrap_or_else(|_| {
        let uid = shell::output(Command::new("id").arg("-u")).unwrap_or_default();
        format!("/tmp/ringdesk-runtime-{}", uid.trim())
    });
    if let Err(e) = std::fs::create_dir_all(&runtime) {
        println!("audio: cannot create {runtime} ({e}); tests on sound devices will skip");
        return Vec::new();
    }
    let pactl = |args: &[&str]| {
        let mut c = Command::new("pactl");
        c.args(args).env("XDG_RUNTIME_DIR", &runtime);
        shell::output(&mut c)
    };
    if pactl(&["info"]).is_none() {
        println!("audio: starting PulseAudio (XDG_RUNTIME_DIR={runtime})");
        let started = Command::new("pulseaudio")
            .args(["--start", "--exit-idle-time=-1", "--log-target=stderr"])
            .env("XDG_RUNTIME_DIR", &runtime)
            .status();
        if !matches!(started, Ok(s) if s.success()) || pactl(&["info"]).is_none() {
            println!("audio: PulseAudio did not start; tests on sound devices will skip");
            return Vec::new();
        }
    }
    let sinks = pactl(&["list", "short", "sinks"]).unwrap_or_default();
    if !sinks
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(SINK))
    {
        let sink_name = format!("sink_name={SINK}");
        if pactl(&["load-module", "module-null-sink", &sink_name]).is_none() {
            println!("audio: could not create the null sink; tests on sound devices will skip");
            return Vec::new();
        }
    }
    let monitor = format!("{SINK}.monitor");
    let defaults_set = pactl(&["set-default-sink", SINK]).is_some()
        && pactl(&["set-default-source", &monitor]).is_some();
    if !defaults_set {
        println!(
            "audio: could not make the null sink the default; tests on sound devices will skip"
        );
        return Vec::new();
    }
    println!("audio: virtual sound card ready (PulseAudio sink {SINK}, source {monitor})");
    vec![
        ("XDG_RUNTIME_DIR".into(), runtime),
        ("RINGDESK_AUDIO_TEST".into(), "1".into()),
        ("RINGDESK_TEST_SINK".into(), SINK.into()),
    ]
}
