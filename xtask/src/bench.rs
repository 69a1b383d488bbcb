//! `cargo xtask bench` — the benchmarks, in a release build, with their results written to
//! `<target>/bench/` (see docs/BENCHMARKS.md for what each one measures).
//!
//! `cargo xtask bench` runs every benchmark; `cargo xtask bench webhook_load` (or `media_path`)
//! runs one. Order: the platform load bench, then the softphone media path bench.
//! The platform load bench opens 2,000 WebSockets on each side of 127.0.0.1, so the command runs
//! under a shell that raises the soft open-files limit to at least 8,192 first.

use std::path::PathBuf;
use std::process::Command;

use crate::shell;

/// `(cargo package, bench target)` for every benchmark, in the order they run.
const BENCHES: &[(&str, &str)] = &[("platform", "webhook_load"), ("softphone", "media_path")];

/// The soft open-files limit the benches need (2,000 sockets per side plus the database).
const OPEN_FILES: u32 = 8_192;

pub fn run(args: &[String]) -> Result<(), String> {
    let selected: Vec<(&str, &str)> = match args.first().map(String::as_str) {
        None => BENCHES.to_vec(),
        Some(name) => {
            let found: Vec<_> = BENCHES
                .iter()
                .copied()
                .filter(|(_, bench)| *bench == name)
                .collect();
            if found.is_empty() {
                let known: Vec<&str> = BENCHES.iter().map(|(_, bench)| *bench).collect();
                return Err(format!(
                    "unknown bench `{name}` (known: {})",
                    known.join(", ")
                ));
            }
            found
        }
    };
    let out = results_dir();
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let mut failed = Vec::new();
    for (package, bench) in &selected {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // `exec "$@"` keeps the arguments unquoted-safe; the limit is only raised, never lowered.
        let script = format!(
            "soft=$(ulimit -n); \
             if [ \"$soft\" != unlimited ] && [ \"$soft\" -lt {OPEN_FILES} ]; then \
             ulimit -n {OPEN_FILES} || {{ echo \"cannot raise the open-files limit to {OPEN_FILES}\" >&2; exit 1; }}; fi; \
             exec \"$@\""
        );
        let mut cmd = Command::new("bash");
        cmd.current_dir(shell::workspace_root())
            .env("RINGDESK_BENCH_OUT", &out)
            .args(["-c", &script, "bash", &cargo, "bench", "-p", package])
            .args(["--bench", bench]);
        if let Err(why) = shell::run(&mut cmd) {
            eprintln!("xtask: {why}");
            failed.push(*bench);
        }
    }
    println!("\nbenchmark results are in {}", out.display());
    for (_, bench) in &selected {
        for file in [format!("{bench}.md"), format!("{bench}.json")] {
            let path = out.join(file);
            if path.is_file() {
                println!("  {}", path.display());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("benchmarks failed: {}", failed.join(", ")))
    }
}

/// `<target>/bench/`, where each bench writes `<name>.md` and `<name>.json`.
fn results_dir() -> PathBuf {
    shell::target_dir().join("bench")
}
