//! Meta's side and ours as real processes: `wa-sim` (Meta + the customers' phones) and
//! `ringdesk-platform` on a fresh SQLite database, wired to each other, ready to take agents.
//!
//! Every wait is on a condition (a health endpoint, a call report) and bounded by [`WAIT`].

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::test_ca::TestCa;
use crate::{binary, Running};

/// The bound on every wait: generous, because a debug build on a loaded 2-core machine is slow.
pub const WAIT: Duration = Duration::from_secs(60);
pub const APP_SECRET: &str = "e2e-app-secret";
pub const ACCESS_TOKEN: &str = "e2e-access-token";
pub const PHONE_NUMBER_ID: &str = "100000000000001";
/// The business number customers call (WhatsApp's bare digits).
pub const BUSINESS_NUMBER: &str = "15550109999";

/// `wa-sim` and `ringdesk-platform`, started and healthy; both killed on drop.
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    pub platform_url: String,
    pub sim_url: String,
    platform_bin: PathBuf,
    platform_port: u16,
    listen_ip: IpAddr,
    /// With [`Stack::start_tls`]: the CA the platform's certificate chains to.
    pub tls: Option<TestCa>,
    pub platform: Running,
    pub sim: Running,
}

pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// How [`Stack::start_with`] sets the stack up; the default is plain HTTP on loopback.
#[derive(Debug, Clone, Default)]
pub struct StackOptions {
    /// Serve HTTPS/WSS with a certificate from a fresh test CA (see [`Stack::start_tls`]).
    pub tls: bool,
    /// Where the platform listens and wa-sim's media binds, instead of 127.0.0.1: an address
    /// another network namespace can reach (see [`crate::netns`]).
    pub host: Option<Ipv4Addr>,
    /// More environment for the platform (e.g. `RINGDESK_ICE_URLS`).
    pub platform_env: Vec<(String, String)>,
}

impl Stack {
    /// The platform on plain HTTP (loopback).
    pub async fn start() -> Result<Self, String> {
        Self::start_with(StackOptions::default()).await
    }

    /// The platform serving HTTPS/WSS itself with a certificate from a fresh test CA, at
    /// `https://localhost:PORT`; wa-sim posts its webhooks there trusting that CA.
    pub async fn start_tls() -> Result<Self, String> {
        Self::start_with(StackOptions {
            tls: true,
            ..StackOptions::default()
        })
        .await
    }

    pub async fn start_with(options: StackOptions) -> Result<Self, String> {
        let platform_bin = binary("ringdesk-platform")?;
        let sim_bin = binary("wa-sim")?;
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let (platform_port, sim_port) = (free_port()?, free_port()?);
        let host = IpAddr::V4(options.host.unwrap_or(Ipv4Addr::LOCALHOST));
        let tls = match options.tls {
            true => Some(TestCa::create(dir.path(), "platform")?),
            false => None,
        };
        let platform_url = match tls {
            Some(_) => format!("https://localhost:{platform_port}"),
            None => format!("http://{host}:{platform_port}"),
        };
        let sim_url = format!("http://127.0.0.1:{sim_port}");
        let mut serve = platform_command(&platform_bin, &dir, host, platform_port, &sim_url);
        serve.envs(options.platform_env.iter().map(|(k, v)| (k, v)));
        if let Some(ca) = &tls {
            serve
                .env("RINGDESK_TLS_CERT", &ca.cert_file)
                .env("RINGDESK_TLS_KEY", &ca.key_file);
        }
        let mut platform = Running::spawn("ringdesk-platform", serve.arg("serve"))?;
        let mut sim_command = Command::new(&sim_bin);
        sim_command.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{sim_port}"),
            "--webhook-url",
            &format!("{platform_url}/webhooks/whatsapp"),
            "--app-secret",
            APP_SECRET,
            "--access-token",
            ACCESS_TOKEN,
            "--phone-number-id",
            PHONE_NUMBER_ID,
            "--display-phone-number",
            BUSINESS_NUMBER,
            "--media-ip",
            &host.to_string(),
        ]);
        if let Some(ca) = &tls {
            sim_command.arg("--webhook-ca").arg(&ca.ca_file);
        }
        let mut sim = Running::spawn("wa-sim", &mut sim_command)?;
        let http = match &tls {
            Some(ca) => trusting(&ca.ca_file)?,
            None => reqwest::Client::new(),
        };
        wait_healthy(&http, &format!("{platform_url}/healthz"), &mut platform).await?;
        wait_healthy(&http, &format!("{sim_url}/_sim/clock"), &mut sim).await?;
        Ok(Self {
            dir,
            http,
            platform_url,
            sim_url,
            platform_bin,
            platform_port,
            listen_ip: host,
            tls,
            platform,
            sim,
        })
    }

    /// `ringdesk-platform` with this stack's configuration, for its admin subcommands.
    pub fn platform_command(&self) -> Command {
        platform_command(
            &self.platform_bin,
            &self.dir,
            self.listen_ip,
            self.platform_port,
            &self.sim_url,
        )
    }

    /// Creates an agent; returns its token.
    pub fn add_agent(&self, name: &str) -> Result<String, String> {
        let added = self
            .platform_command()
            .args(["agent", "add", "--name", name])
            .output()
            .map_err(|e| format!("agent add: {e}"))?;
        let stdout = String::from_utf8_lossy(&added.stdout).into_owned();
        match stdout.lines().last() {
            Some(token) if added.status.success() && !token.trim().is_empty() => {
                Ok(token.trim().to_owned())
            }
            _ => Err(format!(
                "agent add failed: {}{}",
                stdout,
                String::from_utf8_lossy(&added.stderr)
            )),
        }
    }

    /// Creates an admin (who sees every conversation); returns its token.
    pub fn add_admin(&self, name: &str) -> Result<String, String> {
        let added = self.admin(&["agent", "add", "--name", name, "--role", "admin"])?;
        added
            .lines()
            .last()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("agent add printed no token: {added}"))
    }

    /// Assigns the conversation with `customer` to the agent named `agent`.
    pub fn assign(&self, customer: &str, agent: &str) -> Result<(), String> {
        self.admin(&[
            "conversation",
            "assign",
            "--customer",
            customer,
            "--agent",
            agent,
        ])
        .map(drop)
    }

    /// A customer calls the business; `audio` is wa-sim's audio choice, e.g.
    /// `{"kind": "tone", "hz": 440}`. Returns the call id.
    pub async fn customer_calls(
        &self,
        from: &str,
        name: &str,
        audio: Value,
    ) -> Result<String, String> {
        let started: Value = self
            .http
            .post(format!("{}/_sim/calls", self.sim_url))
            .json(&json!({ "from": from, "name": name, "audio": audio }))
            .send()
            .await
            .map_err(|e| format!("wa-sim control API: {e}"))?
            .json()
            .await
            .map_err(|e| format!("wa-sim control API reply: {e}"))?;
        started["call_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no call id in {started}"))
    }

    /// wa-sim's report on a call (state, what the customer's phone heard).
    pub async fn call_report(&self, call_id: &str) -> Result<Value, String> {
        self.http
            .get(format!("{}/_sim/calls/{call_id}", self.sim_url))
            .send()
            .await
            .map_err(|e| format!("wa-sim control API: {e}"))?
            .json()
            .await
            .map_err(|e| format!("wa-sim control API reply: {e}"))
    }

    /// Waits until the customer's phone has decoded `packets` audio packets; returns the report.
    pub async fn customer_heard(&self, call_id: &str, packets: u64) -> Result<Value, String> {
        let deadline = Instant::now() + WAIT;
        loop {
            let report = self.call_report(call_id).await?;
            if report["audio"]["packets_received"].as_u64().unwrap_or(0) >= packets {
                return Ok(report);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the customer never heard {packets} packets: {report}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn customer_hangs_up(&self, call_id: &str) -> Result<(), String> {
        let reply = self
            .http
            .post(format!("{}/_sim/calls/{call_id}/hangup", self.sim_url))
            .send()
            .await
            .map_err(|e| format!("wa-sim control API: {e}"))?;
        if reply.status().is_success() {
            Ok(())
        } else {
            Err(format!("hang-up refused: {}", reply.status()))
        }
    }

    /// `POST {wa-sim}/_sim{path}` with `body` (a customer writes, answers, replies...).
    pub async fn sim_post(&self, path: &str, body: Value) -> Result<Value, String> {
        let reply = self
            .http
            .post(format!("{}/_sim{path}", self.sim_url))
            .json(&body)
            .send()
            .await
            .map_err(|e| format!("wa-sim control API: {e}"))?;
        let status = reply.status();
        let value: Value = reply
            .json()
            .await
            .map_err(|e| format!("wa-sim control API reply: {e}"))?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("wa-sim refused POST {path}: {status} {value}"))
        }
    }

    /// `GET {wa-sim}/_sim{path}`.
    pub async fn sim_get(&self, path: &str) -> Result<Value, String> {
        self.http
            .get(format!("{}/_sim{path}", self.sim_url))
            .send()
            .await
            .map_err(|e| format!("wa-sim control API: {e}"))?
            .json()
            .await
            .map_err(|e| format!("wa-sim control API reply: {e}"))
    }

    /// `GET {platform}{path}` with `token` (REST: `/api/conversations`, `/api/calls`).
    pub async fn platform_get(&self, path: &str, token: &str) -> Result<Value, String> {
        self.http
            .get(format!("{}{path}", self.platform_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("platform API: {e}"))?
            .json()
            .await
            .map_err(|e| format!("platform API reply: {e}"))
    }

    /// Runs an admin subcommand of `ringdesk-platform` (e.g. `conversation assign ...`) on
    /// this stack's database; its stdout, or why it failed.
    pub fn admin(&self, args: &[&str]) -> Result<String, String> {
        let out = self
            .platform_command()
            .args(args)
            .output()
            .map_err(|e| format!("{args:?}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// The platform's call records as `token`'s agent sees them (`GET /api/calls`).
    pub async fn calls(&self, token: &str) -> Result<Value, String> {
        self.http
            .get(format!("{}/api/calls", self.platform_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| format!("platform API: {e}"))?
            .json()
            .await
            .map_err(|e| format!("platform API reply: {e}"))
    }
}

/// An HTTP client that trusts the CA in `ca_file` (besides the system's).
pub fn trusting(ca_file: &std::path::Path) -> Result<reqwest::Client, String> {
    let pem = std::fs::read(ca_file).map_err(|e| format!("{}: {e}", ca_file.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| e.to_string())?;
    reqwest::Client::builder()
        .tls_certs_merge(certs)
        .build()
        .map_err(|e| e.to_string())
}

fn platform_command(
    bin: &std::path::Path,
    dir: &tempfile::TempDir,
    ip: IpAddr,
    port: u16,
    sim_url: &str,
) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env(
        "RINGDESK_DATABASE_URL",
        format!("sqlite://{}", dir.path().join("platform.db").display()),
    )
    .env("RINGDESK_LISTEN", format!("{ip}:{port}"))
    .env("RINGDESK_GRAPH_BASE_URL", sim_url)
    .env("RINGDESK_ACCESS_TOKEN", ACCESS_TOKEN)
    .env("RINGDESK_APP_SECRET", APP_SECRET)
    .env("RINGDESK_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
    .env("RINGDESK_DISPLAY_PHONE_NUMBER", BUSINESS_NUMBER)
    .env_remove("RINGDESK_CONFIG");
    cmd
}

/// Polls `url` until it answers 2xx (the process is up), bounded by [`WAIT`]; fails at once if
/// the process exits first.
pub async fn wait_healthy(
    http: &reqwest::Client,
    url: &str,
    process: &mut Running,
) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(r) = http.get(url).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(format!(
                "{} exited with {status} before {url} answered",
                process.name
            ));
        }
        if Instant::now() > deadline {
            return Err(format!("{url} never became healthy"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
