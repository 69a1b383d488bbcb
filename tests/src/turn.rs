//! A real TURN server for the tests: Debian's coturn, with the shared-secret credentials the
//! platform mints (`use-auth-secret`), TCP and UDP on one port, TLS on a second one when given
//! a certificate, its own temp files.

use std::net::{IpAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::stack::{free_port, WAIT};
use crate::Running;

/// The realm coturn authenticates in (any value; clients learn it from the 401).
pub const REALM: &str = "ringdesk.test";

/// coturn listening on `ip:port` (and `ip:tls_port`), killed on drop.
pub struct Coturn {
    pub port: u16,
    /// TURN over TLS (`turns:`), when started with a certificate.
    pub tls_port: Option<u16>,
    pub process: Running,
}

/// A certificate chain and key (PEM) for coturn's TLS listener.
pub struct TurnCertificate<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
}

impl Coturn {
    /// Start coturn on `ip` (listening and relaying there) with `secret`, and TLS with
    /// `certificate` if given; wait until it accepts TCP connections on every port.
    pub fn start(
        ip: IpAddr,
        secret: &str,
        dir: &Path,
        certificate: Option<TurnCertificate<'_>>,
    ) -> Result<Self, String> {
        let binary = Path::new("/usr/bin/turnserver");
        if !binary.exists() {
            return Err(
                "coturn is not installed (`cargo xtask setup` installs it: apt-get install coturn)"
                    .into(),
            );
        }
        let port = free_port()?;
        let mut command = Command::new(binary);
        command
            .arg("-n") // no configuration file
            .arg(format!("--listening-ip={ip}"))
            .arg(format!("--relay-ip={ip}"))
            .arg(format!("--listening-port={port}"))
            .args(["--min-port=49152", "--max-port=65535"])
            .arg("--use-auth-secret")
            .arg(format!("--static-auth-secret={secret}"))
            .arg(format!("--realm={REALM}"))
            .args(["--fingerprint", "--no-dtls", "--no-cli"])
            .args(["--no-multicast-peers", "--log-file=stdout", "--simple-log"])
            .arg(format!(
                "--pidfile={}",
                dir.join("turnserver.pid").display()
            ))
            .arg(format!("--db={}", dir.join("turndb").display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let tls_port = match certificate {
            Some(certificate) => {
                let tls_port = free_port()?;
                command
                    .arg(format!("--tls-listening-port={tls_port}"))
                    .arg(format!("--cert={}", certificate.cert.display()))
                    .arg(format!("--pkey={}", certificate.key.display()));
                Some(tls_port)
            }
            None => {
                command.arg("--no-tls");
                None
            }
        };
        let mut process = Running::spawn("turnserver", &mut command)?;
        if let Some(stdout) = process.child.stdout.take() {
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(stdout)
                    .lines()
                    .map_while(Result::ok)
                {
                    eprintln!("turnserver: {line}");
                }
            });
        }
        let deadline = Instant::now() + WAIT;
        for port in std::iter::once(port).chain(tls_port) {
            while TcpStream::connect_timeout(&(ip, port).into(), Duration::from_millis(200))
                .is_err()
            {
                if let Ok(Some(status)) = process.child.try_wait() {
                    return Err(format!("turnserver exited with {status} before listening"));
                }
                if Instant::now() > deadline {
                    return Err(format!("turnserver never listened on {ip}:{port}"));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Ok(Self {
            port,
            tls_port,
            process,
        })
    }
}
