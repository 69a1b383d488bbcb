//! Support for Ringdesk's end-to-end tests: finding the workspace's binaries and running them
//! as real child processes that are killed when the test ends.
//!
//! The tests themselves live in `tests/tests/*.rs`. `cargo xtask test` builds every binary first
//! and points `RINGDESK_BIN_DIR` at them; without it we look in the cargo target directory.

#[cfg(unix)]
pub mod desktop;
#[cfg(target_os = "linux")]
pub mod netns;
pub mod stack;
pub mod test_ca;
pub mod turn;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// Where the workspace's binaries are: `RINGDESK_BIN_DIR`, else the target dir of this build.
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RINGDESK_BIN_DIR") {
        return PathBuf::from(dir);
    }
    // This test binary lives in <target>/debug/deps; the workspace's binaries in <target>/debug.
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(Path::parent).map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/debug"))
}

/// The path of one of the workspace's binaries, or an error saying how to build it.
pub fn binary(name: &str) -> Result<PathBuf, String> {
    let path = bin_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "binary {} not found: run `cargo build --workspace --bins` (cargo xtask test does)",
            path.display()
        ))
    }
}

/// A child process killed (and reaped) when dropped, so a failing test leaves nothing behind.
pub struct Running {
    pub name: String,
    pub child: Child,
}

impl Running {
    pub fn spawn(name: &str, command: &mut Command) -> Result<Self, String> {
        let child = command
            .spawn()
            .map_err(|e| format!("could not start {name}: {e}"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_an_error_that_says_how_to_build_it() {
        let err = binary("no-such-ringdesk-binary").unwrap_err();
        assert!(err.contains("cargo build --workspace --bins"), "{err}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_spawned_process_is_killed_on_drop() {
        let running = Running::spawn("sleep", Command::new("sleep").arg("30")).unwrap();
        let pid = running.child.id();
        drop(running);
        // After drop the process has been reaped: /proc no longer lists it.
        assert!(!Path::new(&format!("/proc/{pid}")).exists());
    }
}
