//! The web UI's npm packages and scripts (`ui/`).

use crate::shell;
use std::path::PathBuf;
use std::process::Command;

pub fn dir() -> PathBuf {
    shell::workspace_root().join("ui")
}

/// True once the UI project exists (it may not in early checkouts).
pub fn exists() -> bool {
    dir().join("package.json").is_file()
}

/// Runs `npm ci` when node_modules is missing or was installed from another lock file.
/// The stamp is a copy of the lock file the current node_modules came from.
pub fn ensure_packages() -> Result<(), String> {
    if !exists() {
        return Ok(());
    }
    let lock = dir().join("package-lock.json");
    let stamp = dir()
        .join("node_modules")
        .join(".ringdesk-installed-from.json");
    let wanted = std::fs::read(&lock).map_err(|e| {
        format!("ui/package-lock.json is unreadable ({e}); run `npm install` in ui/")
    })?;
    if std::fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) {
        return Ok(());
    }
    println!("setup: installing the UI's npm packages (npm ci in ui/)");
    shell::run(npm().args(["ci", "--no-audit", "--no-fund"]))?;
    std::fs::write(&stamp, &wanted).map_err(|e| format!("could not write {stamp:?}: {e}"))
}

/// Builds `ui/dist`, which the Tauri crate embeds at compile time.
pub fn build() -> Result<(), String> {
    shell::run(npm().args(["run", "build"]))
}

/// Runs an npm script if package.json defines it; `Ok(false)` if it does not.
pub fn run_script_if_present(script: &str) -> Result<bool, String> {
    let manifest = std::fs::read_to_string(dir().join("package.json")).unwrap_or_default();
    if !manifest.contains(&format!("\"{script}\":")) {
        return Ok(false);
    }
    shell::run(npm().args(["run", script])).map(|()| true)
}

pub fn npm() -> Command {
    let mut cmd = Command::new(if cfg!(windows) { "npm.cmd" } else { "npm" });
    cmd.current_dir(dir());
    cmd
}
