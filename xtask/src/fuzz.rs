//! `cargo xtask fuzz [TARGET] [--seconds N]` — the cargo-fuzz targets in `fuzz/` (docs/FUZZING.md).
//!
//! Runs every target (or the one named) for N seconds each (default 60), one after the other, in a
//! single libFuzzer process each, so it never uses more than one core for fuzzing. Each run starts
//! from the committed corpus `fuzz/corpus/<target>/` and writes what it discovers to a scratch
//! corpus under `<target dir>/fuzz/`; afterwards the scratch inputs that add coverage are merged
//! into the committed corpus (libFuzzer `-set_cover_merge=1 -use_counters=0`), so it only grows
//! by inputs that reach new code. A crash stops that target's run, leaves its input in
//! `fuzz/artifacts/<target>/` and fails the command.
//!
//! `cargo xtask test` runs [`brief`]: every target for a few seconds, without touching the
//! committed corpus. Fuzzing needs the nightly toolchain; cargo-fuzz is installed when missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::shell;

/// Every target in `fuzz/fuzz_targets/`, in the order they run.
pub const TARGETS: &[&str] = &[
    "webhook_envelope",
    "sdp",
    "protocol_decode",
    "signature",
    "graph",
];

/// The cargo-fuzz release installed when it is missing.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

const DEFAULT_SECONDS: u64 = 60;

/// How the committed corpus is treated by one run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Corpus {
    /// Merge newly covering inputs into `fuzz/corpus/<target>/` afterwards.
    Grow,
    /// Read it only (CI).
    ReadOnly,
}

pub fn run(args: &[String]) -> Result<(), String> {
    let (targets, seconds) = parse_args(args)?;
    if !nightly_available() {
        return Err(
            "fuzzing needs the nightly toolchain (`rustup toolchain install nightly`)".into(),
        );
    }
    ensure_cargo_fuzz()?;
    build()?;
    let mut failed = Vec::new();
    for target in &targets {
        println!("\n==> fuzz {target} for {seconds} s");
        if let Err(why) = fuzz_one(target, seconds, Corpus::Grow) {
            eprintln!("xtask: {why}");
            failed.push(*target);
        }
    }
    if failed.is_empty() {
        println!(
            "\nno findings; inputs reaching new code were merged into fuzz/corpus/ (check \
             `git status`; docs/FUZZING.md says how to re-minimise a corpus after long runs)"
        );
        Ok(())
    } else {
        Err(format!(
            "fuzz targets failed: {} (crash inputs are in fuzz/artifacts/)",
            failed.join(", ")
        ))
    }
}

/// The CI step: every target for `seconds` on its committed corpus, which stays unchanged.
/// `Ok` with a message, without fuzzing, when there is no nightly toolchain.
pub fn brief(seconds: u64) -> Result<(), String> {
    if !nightly_available() {
        println!("fuzz (brief): SKIPPED: `cargo +nightly` is not available (install the nightly toolchain to run it)");
        return Ok(());
    }
    ensure_cargo_fuzz()?;
    build()?;
    let mut failed = Vec::new();
    for target in TARGETS {
        if let Err(why) = fuzz_one(target, seconds, Corpus::ReadOnly) {
            eprintln!("xtask: {why}");
            failed.push(*target);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz targets failed: {} (crash inputs are in fuzz/artifacts/)",
            failed.join(", ")
        ))
    }
}

fn parse_args(args: &[String]) -> Result<(Vec<&'static str>, u64), String> {
    let mut targets: Vec<&'static str> = TARGETS.to_vec();
    let mut seconds = DEFAULT_SECONDS;
    let mut named = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = rest.next().ok_or("`--seconds` needs a number of seconds")?;
                seconds = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("`--seconds {value}`: expected a positive whole number")
                })?;
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "unknown option `{flag}` (usage: cargo xtask fuzz [TARGET] [--seconds N])"
                ))
            }
            name if !named => {
                let target = TARGETS
                    .iter()
                    .copied()
                    .find(|t| *t == name)
                    .ok_or_else(|| {
                        format!(
                            "unknown fuzz target `{name}` (known: {})",
                            TARGETS.join(", ")
                        )
                    })?;
                targets = vec![target];
                named = true;
            }
            extra => return Err(format!("only one target may be named (got `{extra}` too)")),
        }
    }
    Ok((targets, seconds))
}

/// `cargo +nightly …` through the rustup proxy, with the outer cargo's toolchain choice removed.
fn nightly_cargo() -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(shell::workspace_root())
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("RUSTC")
        .env_remove("CARGO")
        .arg("+nightly");
    cmd
}

fn nightly_available() -> bool {
    shell::output(nightly_cargo().arg("--version")).is_some()
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    if shell::output(nightly_cargo().args(["fuzz", "--version"])).is_some() {
        return Ok(());
    }
    println!("cargo-fuzz is missing: installing {CARGO_FUZZ_VERSION}");
    shell::run(shell::cargo().args([
        "install",
        "cargo-fuzz",
        "--locked",
        "--version",
        CARGO_FUZZ_VERSION,
    ]))
}

/// The fuzz crate's own target directory (its builds use sanitizer flags and the nightly
/// toolchain, so they never share artifacts — or the build lock — with the workspace's).
fn fuzz_target_dir() -> PathBuf {
    shell::target_dir().join("fuzz")
}

/// The flags every `cargo fuzz build`/`run` gets, so a run reuses the build.
fn with_common_flags(cmd: &mut Command) -> &mut Command {
    cmd.arg("--target-dir").arg(fuzz_target_dir())
}

fn build() -> Result<(), String> {
    let mut cmd = nightly_cargo();
    cmd.args(["fuzz", "build"]);
    shell::run(with_common_flags(&mut cmd))
}

fn fuzz_one(target: &str, seconds: u64, corpus: Corpus) -> Result<(), String> {
    let root = shell::workspace_root();
    let committed = root.join("fuzz").join("corpus").join(target);
    // Long runs keep their scratch corpus between runs (it is the growth not yet merged); the
    // brief CI run starts from an empty one, so its start-up does not grow with every CI run.
    let scratch = match corpus {
        Corpus::Grow => fuzz_target_dir().join("corpus").join(target),
        Corpus::ReadOnly => {
            let dir = fuzz_target_dir().join("brief-corpus").join(target);
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .map_err(|e| format!("cannot empty {}: {e}", dir.display()))?;
            }
            dir
        }
    };
    for dir in [&committed, &scratch] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // libFuzzer writes new inputs into the first corpus directory and only reads the others.
    let mut cmd = nightly_cargo();
    cmd.args(["fuzz", "run", target]);
    with_common_flags(&mut cmd)
        .arg(&scratch)
        .arg(&committed)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg("-print_final_stats=1");
    shell::run(&mut cmd)?;
    if corpus == Corpus::Grow {
        merge(target, &committed, &scratch)?;
    }
    Ok(())
}

/// Adds to `committed` only inputs of `scratch` that reach new edges: libFuzzer's set-cover
/// merge on edge coverage alone, which picks a small subset (plain `-merge=1` also keeps every
/// input that only changes hit counts: about a thousand per 10-minute run).
fn merge(target: &str, committed: &Path, scratch: &Path) -> Result<(), String> {
    let mut cmd = nightly_cargo();
    cmd.args(["fuzz", "run", target]);
    with_common_flags(&mut cmd)
        .arg(committed)
        .arg(scratch)
        .args(["--", "-set_cover_merge=1", "-use_counters=0"]);
    shell::run(&mut cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_target_for_a_minute_by_default() {
        assert_eq!(parse_args(&[]), Ok((TARGETS.to_vec(), 60)));
    }

    #[test]
    fn one_target_for_n_seconds() {
        assert_eq!(
            parse_args(&args(&["sdp", "--seconds", "600"])),
            Ok((vec!["sdp"], 600))
        );
        assert_eq!(
            parse_args(&args(&["--seconds", "5", "signature"])),
            Ok((vec!["signature"], 5))
        );
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let unknown = parse_args(&args(&["nope"])).unwrap_err();
        assert!(unknown.contains("unknown fuzz target `nope`"), "{unknown}");
        assert!(unknown.contains("webhook_envelope"), "{unknown}");
        assert!(parse_args(&args(&["--seconds"])).is_err());
        assert!(parse_args(&args(&["--seconds", "0"])).is_err());
        assert!(parse_args(&args(&["--jobs", "2"])).is_err());
        assert!(parse_args(&args(&["sdp", "signature"])).is_err());
    }

    #[test]
    fn every_target_has_a_source_file() {
        let dir = shell::workspace_root().join("fuzz").join("fuzz_targets");
        for target in TARGETS {
            let file = dir.join(format!("{target}.rs"));
            assert!(file.is_file(), "{} is missing", file.display());
        }
    }
}
