//! `cargo xtask` — the README's commands.
//!
//! * `cargo xtask test`  — installs what is missing, then runs every gate CI runs: rustfmt, clippy
//!   (warnings denied), all Rust tests with nextest (unit, conformance and the end-to-end tests in
//!   `tests/`), and the UI's checks and tests. Every step runs even if an earlier one failed, so one
//!   run shows every problem; the exit code is non-zero if any step failed.
//! * `cargo xtask run`   — the demo: starts what exists on embedded defaults and says what it started.
//! * `cargo xtask bench` — the benchmarks in a release build (`bench.rs`; docs/BENCHMARKS.md).
//! * `cargo xtask fuzz`  — the cargo-fuzz targets, 60 s each or `[TARGET] [--seconds N]`
//!   (`fuzz.rs`; docs/FUZZING.md).
//! * `cargo xtask setup` — only the install step (system packages, npm packages).
//!
//! Installing is idempotent: each step checks first and does nothing when all is present.
//! xtask has no dependencies so it builds in seconds on a fresh machine.

mod audio_env;
mod bench;
mod demo;
mod fuzz;
mod keyring_env;
mod prerequisites;
mod shell;
mod test;
mod ui;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("run") => demo::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("setup") => prerequisites::ensure_all().and_then(|()| ui::ensure_packages()),
        Some("help") | Some("--help") | Some("-h") | None => {
            print_usage();
            Ok(())
        }
        Some(other) => Err(format!(
            "unknown command `{other}` (try `cargo xtask help`)"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("xtask: {why}");
            ExitCode::FAILURE
        }
    }
}

fn print_usage() {
    println!(
        "cargo xtask <command>\n\n\
         \x20 run     start the demo (platform + simulator + app) on embedded defaults\n\
         \x20 test    install what is missing, then fmt, clippy, Rust tests, UI tests\n\
         \x20 bench   run the benchmarks (release build); results go to <target>/bench/\n\
         \x20 fuzz    run the fuzz targets (nightly): [TARGET] [--seconds N], default all, 60 s each\n\
         \x20 setup   only install what is missing (system and npm packages)\n"
    );
}
