//! The real desktop app under test: a private X server, tauri-driver in front of WebKitWebDriver,
//! and a WebDriver session driving the `ringdesk` binary's windows.
//!
//! Needs `tauri-driver` (`cargo install tauri-driver --locked`), `WebKitWebDriver` (Debian:
//! webkit2gtk-driver) and `Xvfb`. [`Tools::find`] says which is missing; tests skip then, unless
//! `RINGDESK_DESKTOP_TEST` is set (as `cargo xtask test` does after installing them).

pub mod processes;
pub mod webdriver;
pub mod window;

use std::path::PathBuf;

pub struct Tools {
    pub tauri_driver: PathBuf,
    pub native_driver: PathBuf,
    pub xvfb: PathBuf,
}

impl Tools {
    pub fn find() -> Result<Self, String> {
        let cargo_bin = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .map(|dir| dir.join("bin"))
            .into_iter()
            .collect::<Vec<_>>();
        let find = |name: &str, dirs: &[PathBuf]| {
            processes::find_program(name, dirs).ok_or_else(|| format!("{name} is not installed"))
        };
        Ok(Self {
            tauri_driver: find("tauri-driver", &cargo_bin)?,
            native_driver: find("WebKitWebDriver", &[])?,
            xvfb: find("Xvfb", &[])?,
        })
    }

    /// The tools, `Ok(None)` (after saying why) when they are missing and the run does not
    /// demand them, or `Err` when `RINGDESK_DESKTOP_TEST` demands them.
    pub fn required_or_skip() -> Result<Option<Self>, String> {
        match Self::find() {
            Ok(tools) => Ok(Some(tools)),
            Err(missing) if std::env::var_os("RINGDESK_DESKTOP_TEST").is_some() => {
                Err(format!("RINGDESK_DESKTOP_TEST is set but {missing}"))
            }
            Err(missing) => {
                eprintln!("skipping the real-window test: {missing}");
                Ok(None)
            }
        }
    }
}

/// A scratch HOME so a test neither reads nor writes the developer's settings; removed on drop.
pub struct ScratchHome(pub PathBuf);

impl ScratchHome {
    pub fn new(name: &str) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!("ringdesk-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {dir:?}: {e}"))?;
        Ok(Self(dir))
    }
}

impl Drop for ScratchHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
