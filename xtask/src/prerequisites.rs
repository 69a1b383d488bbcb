//! System prerequisites: checked on every run, installed only when missing.
//!
//! On Debian/Ubuntu (as root, or with passwordless sudo) missing packages are installed with
//! apt-get. Elsewhere we only say what is missing and how to get it: installing system software
//! on a developer's Mac or Windows machine is theirs to decide.

use crate::shell;
use std::process::Command;

/// Debian packages, grouped by why we need them (the group name is printed when installing).
const DEBIAN_PACKAGES: &[(&str, &[&str])] = &[
    (
        "Tauri build (webkit2gtk 4.1, appindicator, rsvg)",
        &[
            "libwebkit2gtk-4.1-dev",
            "libgtk-3-dev",
            "libayatana-appindicator3-dev",
            "librsvg2-dev",
            "libssl-dev",
            "pkg-config",
            "build-essential",
            "libxdo-dev",
            "file",
        ],
    ),
    (
        "audio and Opus build (ALSA, cmake for libopus)",
        &["libasound2-dev", "cmake", "libdbus-1-dev"],
    ),
    (
        "headless desktop and WebDriver tests (Xvfb, WebKitWebDriver, Chromium)",
        &[
            "xvfb",
            "xauth",
            "webkit2gtk-driver",
            "chromium",
            "xdotool",
            // WebKitGTK plays media through GStreamer: Ogg/Opus recordings in the history
            "gstreamer1.0-plugins-base",
            "gstreamer1.0-plugins-good",
        ],
    ),
    (
        "virtual sound devices and audio tools (PulseAudio null sink, sox, espeak-ng)",
        &[
            "pulseaudio",
            "pulseaudio-utils",
            "libasound2-plugins",
            "alsa-utils",
            "sox",
            "espeak-ng",
        ],
    ),
    (
        "Secret Service for keyring tests (D-Bus session, gnome-keyring)",
        &["dbus", "dbus-x11", "gnome-keyring", "libsecret-tools"],
    ),
    (
        "calls through a firewall (coturn TURN server, nftables, iproute2 namespaces)",
        &["coturn", "nftables", "iproute2"],
    ),
];

/// Ensures every system prerequisite is present; installs what is missing where we can.
pub fn ensure_all() -> Result<(), String> {
    ensure_tools()?;
    if cfg!(target_os = "linux") && shell::on_path("dpkg-query") {
        ensure_debian_packages()?;
        ensure_tauri_driver()
    } else if cfg!(target_os = "linux") {
        println!(
            "setup: not a Debian/Ubuntu system; make sure the equivalents of these are installed:"
        );
        for (why, packages) in DEBIAN_PACKAGES {
            println!("  - {why}: {}", packages.join(" "));
        }
        Ok(())
    } else if cfg!(target_os = "macos") {
        explain_macos();
        Ok(())
    } else if cfg!(target_os = "windows") {
        explain_windows();
        Ok(())
    } else {
        println!("setup: unknown OS; see README.md for what Ringdesk needs");
        Ok(())
    }
}

/// Tools every OS needs: Node.js + npm for the UI, cargo-nextest for the test runner.
fn ensure_tools() -> Result<(), String> {
    if !shell::on_path("node") || !shell::on_path("npm") {
        return Err(
            "Node.js 20+ with npm is required for the UI: install it from \
                    https://nodejs.org (or your package manager) and run again"
                .into(),
        );
    }
    let has_nextest = shell::output(shell::cargo().args(["nextest", "--version"])).is_some();
    if !has_nextest {
        println!("setup: installing cargo-nextest (the Rust test runner)");
        shell::run(shell::cargo().args(["install", "cargo-nextest", "--locked"]))?;
    }
    Ok(())
}

/// tauri-driver bridges WebDriver to WebKitWebDriver for the test of the real window (Linux).
fn ensure_tauri_driver() -> Result<(), String> {
    if tauri_driver_installed() {
        return Ok(());
    }
    println!("setup: installing tauri-driver (WebDriver for the real-window test)");
    shell::run(shell::cargo().args(["install", "tauri-driver", "--locked"]))
}

/// Whether the tests may make network namespaces with a firewall and a TURN server (Linux,
/// root, `ip`, `nft`, coturn's `turnserver`); if not, why.
pub fn network_namespaces() -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        return Err("network namespaces are Linux only".into());
    }
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if uid != "0" {
        return Err("they need root (ip netns, nftables)".into());
    }
    for tool in ["/usr/sbin/ip", "/usr/sbin/nft", "/usr/bin/turnserver"] {
        if !std::path::Path::new(tool).exists() {
            return Err(format!(
                "{tool} is missing (`cargo xtask setup` installs it)"
            ));
        }
    }
    Ok(())
}

pub fn tauri_driver_installed() -> bool {
    shell::on_path("tauri-driver") || cargo_home_bin("tauri-driver").is_file()
}

fn cargo_home_bin(name: &str) -> std::path::PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
        .join(name)
}

fn ensure_debian_packages() -> Result<(), String> {
    let missing: Vec<(&str, Vec<&str>)> = DEBIAN_PACKAGES
        .iter()
        .map(|(why, packages)| {
            let absent = packages.iter().copied().filter(|p| !installed(p)).collect();
            (*why, absent)
        })
        .filter(|(_, absent): &(&str, Vec<&str>)| !absent.is_empty())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("setup: installing missing system packages:");
    for (why, packages) in &missing {
        println!("  - {why}: {}", packages.join(" "));
    }
    let all: Vec<&str> = missing
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    let sudo = needs_sudo()?;
    let apt = |args: &[&str]| {
        let mut cmd = if sudo {
            let mut c = Command::new("sudo");
            c.arg("-n").arg("apt-get");
            c
        } else {
            Command::new("apt-get")
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    shell::run(&mut apt(&["update", "-qq"]))?;
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&all);
    shell::run(&mut install)?;
    let still: Vec<&str> = all.iter().copied().filter(|p| !installed(p)).collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "apt-get finished but these are still missing: {}",
            still.join(" ")
        ))
    }
}

fn installed(package: &str) -> bool {
    shell::output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status.trim_end().ends_with("install ok installed"))
}

/// Root installs directly; others need passwordless sudo, or we say what to run.
fn needs_sudo() -> Result<bool, String> {
    let uid = shell::output(Command::new("id").arg("-u")).unwrap_or_default();
    if uid.trim() == "0" {
        return Ok(false);
    }
    if shell::output(Command::new("sudo").args(["-n", "true"])).is_some() {
        return Ok(true);
    }
    Err(
        "system packages are missing and we are not root and sudo asks for a password: \
         run `sudo cargo xtask setup` once, or install the packages listed above"
            .into(),
    )
}

fn explain_macos() {
    println!(
        "setup (macOS): Ringdesk needs the Xcode command line tools (`xcode-select --install`),\n\
         cmake for libopus (`brew install cmake`) and Node.js 20+ (`brew install node`).\n\
         WebKit, CoreAudio and the Keychain come with macOS. The Linux-only test helpers\n\
         (Xvfb, PulseAudio null sink, Secret Service) are skipped."
    );
}

fn explain_windows() {
    println!(
        "setup (Windows): Ringdesk needs the Visual Studio Build Tools (C++ workload),\n\
         WebView2 (preinstalled on Windows 10/11), cmake for libopus (`winget install Kitware.CMake`)\n\
         and Node.js 20+ (`winget install OpenJS.NodeJS.LTS`). WASAPI and the Credential Manager\n\
         come with Windows. The Linux-only test helpers are skipped."
    );
}
