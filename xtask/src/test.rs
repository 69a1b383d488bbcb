//! `cargo xtask test`: every gate CI runs, in order, each with its own runner's output.
//!
//! Steps run even after an earlier one failed (except when a build prerequisite is missing), so
//! a single run reports every problem. The summary at the end lists each step's outcome.

use crate::{audio_env, fuzz, keyring_env, prerequisites, shell, ui};
use std::time::Instant;

/// How long `fuzz (brief)` runs each target: enough to replay the corpus and mutate a little.
const FUZZ_SECONDS_PER_TARGET: u64 = 5;

struct Outcome {
    step: &'static str,
    result: Result<(), String>,
    seconds: f64,
}

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(unknown) = args.first() {
        return Err(format!(
            "`cargo xtask test` takes no arguments (got `{unknown}`)"
        ));
    }
    prerequisites::ensure_all()?;
    ui::ensure_packages()?;

    let mut outcomes = Vec::new();
    let mut step = |name: &'static str, f: &mut dyn FnMut() -> Result<(), String>| {
        println!("\n==> {name}");
        let started = Instant::now();
        let result = f();
        if let Err(why) = &result {
            println!("==> {name}: FAILED: {why}");
        }
        outcomes.push(Outcome {
            step: name,
            result,
            seconds: started.elapsed().as_secs_f64(),
        });
    };

    step("rustfmt", &mut || {
        shell::run(shell::cargo().args(["fmt", "--all", "--", "--check"]))
    });
    // The Tauri crate embeds ui/dist at compile time, so the UI is built before any cargo build.
    step("ui build", &mut || {
        if ui::exists() {
            ui::build()
        } else {
            Ok(())
        }
    });
    step("clippy", &mut || {
        shell::run(shell::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--keep-going",
            "--",
            "-D",
            "warnings",
        ]))
    });
    // End-to-end tests start the workspace's binaries as real processes: build them first.
    step("build binaries", &mut || {
        shell::run(shell::cargo().args([
            "build",
            "--workspace",
            "--bins",
            "--locked",
            "--keep-going",
        ]))
    });
    let audio = audio_env::ensure();
    let keyring = keyring_env::ensure();
    step("rust tests (nextest)", &mut || {
        let mut cmd = shell::cargo();
        cmd.args([
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--no-fail-fast",
        ])
        .env("RINGDESK_BIN_DIR", shell::target_dir().join("debug"));
        for (key, value) in audio.iter().chain(&keyring) {
            cmd.env(key, value);
        }
        if cfg!(target_os = "linux") && prerequisites::tauri_driver_installed() {
            cmd.env("RINGDESK_DESKTOP_TEST", "1");
        }
        match prerequisites::network_namespaces() {
            Ok(()) => {
                cmd.env("RINGDESK_NETNS_TEST", "1");
            }
            Err(why) => println!(
                "note: the firewall tests (tests/tests/agent_firewall.rs) will be SKIPPED: {why}"
            ),
        }
        shell::run(&mut cmd)
    });
    // Every fuzz target briefly on its committed corpus: a regression on a past finding or a
    // seed shows here (docs/FUZZING.md). Skipped, with a message, without a nightly toolchain.
    step("fuzz (brief)", &mut || fuzz::brief(FUZZ_SECONDS_PER_TARGET));
    step("ui check", &mut || {
        if ui::exists() {
            ui::run_script_if_present("check").map(drop)
        } else {
            Ok(())
        }
    });
    step("ui tests", &mut || {
        if ui::exists() {
            ui::run_script_if_present("test").map(drop)
        } else {
            Ok(())
        }
    });

    println!("\n==> summary");
    for o in &outcomes {
        let verdict = if o.result.is_ok() { "ok    " } else { "FAILED" };
        println!("  {verdict} {:<22} {:>7.1}s", o.step, o.seconds);
    }
    let failed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.result.is_err())
        .map(|o| o.step)
        .collect();
    if failed.is_empty() {
        println!("all steps passed");
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join(", ")))
    }
}
