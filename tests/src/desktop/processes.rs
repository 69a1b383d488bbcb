//! The processes behind the real-window tests: a private X server and tauri-driver, each in its own
//! process group so that everything they started dies with them.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process group killed when dropped.
pub struct Group {
    child: Child,
}

impl Group {
    fn spawn(command: &mut Command) -> Result<Self, String> {
        let child = command
            .process_group(0)
            .spawn()
            .map_err(|e| format!("could not start {command:?}: {e}"))?;
        Ok(Self { child })
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// Looks for a program on PATH, then in the given extra directories.
pub fn find_program(name: &str, extra_dirs: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().cloned())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Starts `Xvfb` on a display it picks itself (`-displayfd`); returns it and `:N`.
pub fn start_xvfb(xvfb: &Path) -> Result<(Group, String), String> {
    let mut command = Command::new(xvfb);
    command
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut group = Group::spawn(&mut command)?;
    let stdout = group.child.stdout.take().ok_or("Xvfb has no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("reading Xvfb's display: {e}"))?;
    let number = line.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Xvfb did not report a display (got {line:?})"));
    }
    Ok((group, format!(":{number}")))
}

/// Starts tauri-driver in front of WebKitWebDriver; returns it and the port it serves.
pub fn start_tauri_driver(
    tauri_driver: &Path,
    native_driver: &Path,
    env: &[(&str, &str)],
) -> Result<(Group, u16), String> {
    let port = free_port()?;
    let native_port = free_port()?;
    let mut command = Command::new(tauri_driver);
    command
        .args(["--port", &port.to_string()])
        .args(["--native-port", &native_port.to_string()])
        .arg("--native-driver")
        .arg(native_driver)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let group = Group::spawn(&mut command)?;
    // tauri-driver drops a request it cannot forward: wait for WebKitWebDriver too.
    wait_for_port(port, Duration::from_secs(30))?;
    wait_for_port(native_port, Duration::from_secs(30))?;
    Ok((group, port))
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| format!("bind: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

/// Waits until something accepts connections on the port (the driver is then ready).
fn wait_for_port(port: u16, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        match TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("no driver ever listened on {port}: {e}"))
            }
            // Nothing to await here but the port itself: retry the connect.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}
