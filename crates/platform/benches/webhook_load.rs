//! Platform load benchmark: `cargo bench -p platform --bench webhook_load` (or `cargo xtask bench`).
//!
//! What it measures, against the platform running as a **real process** (the
//! `ringdesk-platform` binary cargo builds for this bench, in the bench/release profile):
//!
//! 1. Set-up: 2,000 agents are added to a fresh SQLite database, the platform is started with
//!    info logging to a file, and all 2,000 agents open their WebSocket (`hello` received) and
//!    send heartbeats every 15 s for the rest of the run. Then 1,000 background calls are
//!    delivered as signed connect webhooks: 500 are accepted by their agents (`accept_call` with
//!    an SDP answer, then `media_ready`, so the platform makes its real `pre_accept` and `accept`
//!    Graph requests) and stay active; 500 stay ringing. The ring timeout and accept window are
//!    raised to 10 minutes so the ringing ones do not churn away mid-run.
//! 2. Latency: new connect webhooks at a fixed rate (open loop); each one's latency is from just
//!    before its POST to the `incoming_call` frame arriving on whichever agent socket it rang;
//!    after it arrives, the customer "hangs up" (a terminate webhook), so the load stays at about
//!    1,000 live calls.
//! 3. Throughput: many concurrent senders post connect + terminate pairs as fast as the platform
//!    answers. Two rates are reported: webhooks acknowledged (HTTP 200, i.e. committed to the
//!    inbox — what Meta sees) per second, and webhooks applied by the inbox processor per second
//!    (from `/healthz` counts, until the backlog is drained or a cap is reached).
//! 4. Memory: the platform's VmRSS sampled every 200 ms, and VmHWM at the end.
//!
//! Meta's Graph API is an in-bench HTTP server answering every request with 200. Everything
//! else — signature checks, the durable inbox, the switchboard, SQLite with `synchronous=FULL`,
//! the sockets — is the platform's real work. The bench client shares the machine's cores with
//! the platform, which is stated in the report. No figure here is asserted: the bench reports.
//!
//! Results: `webhook_load.md` and `webhook_load.json` in `$RINGDESK_BENCH_OUT` (default
//! `<target>/bench/`), plus the platform's log `webhook_load-platform.log`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use axum::extract::State;
use axum::Json;
use futures_util::{SinkExt, StreamExt};
use platform::store::agents::Role;
use platform::store::Store;
use protocol::{decode_server, ReplyResult, ServerMessage, PROTOCOL_VERSION};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use whatsapp::webhook::{
    CallDirection, CallEvent, ChangeField, ChangeValue, Contact, TerminateStatus, WebhookEnvelope,
};

const AGENTS: usize = 2_000;
const BACKGROUND_ACTIVE: usize = 500;
const BACKGROUND_RINGING: usize = 500;
/// Latency phase: connect webhooks per second (each followed by its terminate), and for how long.
/// Kept below the rate at which this machine's disk saturates the inbox (see BENCHMARKS.md), so
/// the figure is the platform's latency rather than the length of a queue.
const PROBE_RATE: u64 = 10;
const PROBE_SECS: u64 = 30;
/// Throughput phase: concurrent senders, and for how long they send.
const BURST_SENDERS: usize = 64;
const BURST_SECS: u64 = 15;
/// How long the throughput phase waits for the inbox backlog to drain before reporting.
const DRAIN_CAP: Duration = Duration::from_secs(60);
/// Bounds a wait for something that should happen; reaching it is reported, not hidden.
const WAIT: Duration = Duration::from_secs(180);

const TARGET_P99_MS: f64 = 20.0;
const TARGET_WEBHOOKS_PER_SEC: f64 = 5_000.0;
const TARGET_RSS_MB: f64 = 200.0;

const APP_SECRET: &str = "bench-app-secret";
const PHONE_NUMBER_ID: &str = "100000000000001";
const BUSINESS_NUMBER: &str = "15550109999";

const OFFER: &str = "v=0\r\no=- 1760681506762 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\na=ice-lite\r\nm=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.49\r\na=candidate:3935165743 1 udp 2122260223 203.0.113.49 3484 typ host generation 0\r\na=ice-ufrag:AeinEGDfvqBctbtM\r\na=ice-pwd:F6/jjqL0/8/Dzluc0IoZEQ==\r\na=fingerprint:sha-256 A2:EC:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:C6\r\na=setup:actpass\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=20;useinbandfec=1\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1047224411 cname:WhatsAppAudioStream1\r\n";

const ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:active\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1 cname:agent\r\n";

/// Call ids say which phase a call belongs to (and, for background calls, whether the agent
/// accepts it).
const BG_ACTIVE: &str = "wacid.bg-active-";
const BG_RINGING: &str = "wacid.bg-ringing-";
const PROBE: &str = "wacid.probe-";
const BURST: &str = "wacid.burst-";

fn kind_of(call_id: &str) -> &'static str {
    [BG_ACTIVE, BG_RINGING, PROBE, BURST]
        .into_iter()
        .find(|prefix| call_id.starts_with(prefix))
        .unwrap_or("other")
}

fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the bench's async runtime")?;
    runtime.block_on(run())
}

/// What the agent sockets observed, shared by every socket task.
#[derive(Default)]
struct Tracker {
    /// Connect webhooks not yet rung: call id → the instant just before the POST.
    sent: Mutex<HashMap<String, Instant>>,
    /// Latencies per call-id kind (see [`kind_of`]).
    latencies: Mutex<HashMap<&'static str, Vec<Duration>>>,
    /// Probe calls waiting to hear that their `incoming_call` arrived.
    waiters: Mutex<HashMap<String, oneshot::Sender<()>>>,
    incoming: AtomicU64,
    started_media: AtomicU64,
    refusals: AtomicU64,
    closed: AtomicU64,
}

impl Tracker {
    fn sending(&self, call_id: &str) {
        lock(&self.sent).insert(call_id.to_owned(), Instant::now());
    }

    fn rang(&self, call_id: &str, at: Instant) {
        self.incoming.fetch_add(1, Ordering::Relaxed);
        if let Some(sent) = lock(&self.sent).remove(call_id) {
            lock(&self.latencies)
                .entry(kind_of(call_id))
                .or_default()
                .push(at.saturating_duration_since(sent));
        }
        if let Some(waiter) = lock(&self.waiters).remove(call_id) {
            let _ = waiter.send(());
        }
    }

    fn latencies(&self, kind: &str) -> Vec<Duration> {
        lock(&self.latencies).get(kind).cloned().unwrap_or_default()
    }
}

/// A poisoned lock only means another task panicked; the data is still what it was.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The platform child process; killed (by its own pid) when dropped.
struct PlatformProcess(Child);

impl Drop for PlatformProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Memory and CPU of one process, from `/proc`.
#[derive(Debug, Clone, Copy, Default)]
struct ProcSample {
    rss_kb: u64,
    hwm_kb: u64,
    cpu_ticks: u64,
}

fn proc_sample(pid: u32) -> Option<ProcSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(ProcSample {
        rss_kb: field("VmRSS:"),
        hwm_kb: field("VmHWM:"),
        cpu_ticks: cpu_ticks(&format!("/proc/{pid}/stat")).unwrap_or(0),
    })
}

/// utime + stime in clock ticks (fields 14 and 15 of `stat`, counted after the `(comm)`).
fn cpu_ticks(path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(path).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second for `/proc/*/stat` (`getconf CLK_TCK`; 100 on every common Linux).
fn clock_ticks_per_sec() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// The highest VmRSS seen, sampled in the background.
#[derive(Default)]
struct RssWatch {
    max_kb: AtomicU64,
    stop: AtomicBool,
}

async fn watch_rss(pid: u32, watch: Arc<RssWatch>) {
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    while !watch.stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if let Some(sample) = proc_sample(pid) {
            watch.max_kb.fetch_max(sample.rss_kb, Ordering::Relaxed);
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0)
}

fn customer(n: u64) -> String {
    format!("1555{:07}", n % 10_000_000)
}

fn connect_body(call_id: &str, customer: &str) -> Result<Vec<u8>> {
    let call = CallEvent::user_initiated_connect(call_id, customer, BUSINESS_NUMBER, OFFER)
        .with_timestamp(now_secs());
    let value = ChangeValue::for_number(PHONE_NUMBER_ID, BUSINESS_NUMBER)
        .with_contact(Contact::new(customer, "Bench Customer"))
        .with_call(call);
    WebhookEnvelope::single("200000000000002", ChangeField::Calls, value)
        .to_vec()
        .context("cannot encode a connect webhook")
}

fn terminate_body(call_id: &str, customer: &str) -> Result<Vec<u8>> {
    let call = CallEvent::terminate(
        call_id,
        CallDirection::UserInitiated,
        customer,
        BUSINESS_NUMBER,
        TerminateStatus::Completed,
    )
    .with_timestamp(now_secs());
    let value = ChangeValue::for_number(PHONE_NUMBER_ID, BUSINESS_NUMBER)
        .with_contact(Contact::new(customer, "Bench Customer"))
        .with_call(call);
    WebhookEnvelope::single("200000000000002", ChangeField::Calls, value)
        .to_vec()
        .context("cannot encode a terminate webhook")
}

/// Posts signed webhooks, as Meta does.
#[derive(Clone)]
struct Meta {
    http: reqwest::Client,
    url: String,
}

impl Meta {
    /// POSTs `body` signed with the app secret; returns the status and how long the answer took.
    async fn post(&self, body: Vec<u8>) -> Result<(u16, Duration)> {
        let signature = whatsapp::sign_body(APP_SECRET.as_bytes(), &body)
            .map_err(|error| anyhow!("cannot sign a webhook: {error:?}"))?;
        let started = Instant::now();
        let response = self
            .http
            .post(&self.url)
            .header(whatsapp::SIGNATURE_HEADER, signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .context("webhook POST failed")?;
        let status = response.status().as_u16();
        let _ = response.bytes().await;
        Ok((status, started.elapsed()))
    }
}

/// The Graph API stand-in: 200 with a success body for every request, counted.
async fn graph_ok(State(count): State<Arc<AtomicU64>>) -> Json<Value> {
    count.fetch_add(1, Ordering::Relaxed);
    Json(json!({
        "messaging_product": "whatsapp",
        "success": true,
        "messages": [{ "id": "wamid.bench" }]
    }))
}

async fn start_fake_graph(count: Arc<AtomicU64>) -> Result<String> {
    let app = axum::Router::new().fallback(graph_ok).with_state(count);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot bind the fake Graph API")?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("fake Graph API stopped: {error}");
        }
    });
    Ok(format!("http://{addr}"))
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens one agent's socket and waits for its `hello`.
async fn connect_agent(ws_url: &str, token: &str) -> Result<Socket> {
    let mut request = ws_url.into_client_request().context("bad WebSocket URL")?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .context("bad authorization header")?,
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .context("WebSocket upgrade failed")?;
    loop {
        let frame = tokio::time::timeout(WAIT, socket.next())
            .await
            .context("no hello within the wait bound")?
            .ok_or_else(|| anyhow!("socket closed before hello"))?
            .context("socket error before hello")?;
        if let Message::Text(text) = frame {
            match decode_server(text.as_str()) {
                Ok(ServerMessage::Hello(_)) => return Ok(socket),
                Ok(other) => bail!("first message was not hello: {other:?}"),
                Err(error) => bail!("undecodable first frame: {error}"),
            }
        }
    }
}

/// One agent's app: heartbeats every 15 s, reports rings, accepts background calls meant to
/// become active (`accept_call` with an answer, then `media_ready`).
async fn run_agent(mut socket: Socket, index: usize, tracker: Arc<Tracker>) {
    let interval = Duration::from_secs(u64::from(protocol::HEARTBEAT_INTERVAL_SECS));
    let stagger = Duration::from_millis((index as u64 * 7) % 15_000);
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + stagger, interval);
    let mut counter = 0u64;
    loop {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            _ = heartbeat.tick() => {
                counter += 1;
                let ping = json!({"v": PROTOCOL_VERSION, "type": "ping", "ping_id": counter});
                if socket.send(Message::Text(ping.to_string().into())).await.is_err() {
                    break;
                }
                continue;
            }
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => break,
        };
        let arrived = Instant::now();
        match decode_server(text.as_str()) {
            Ok(ServerMessage::IncomingCall(call)) => {
                let call_id = call.call_id.as_str().to_owned();
                tracker.rang(&call_id, arrived);
                if call_id.starts_with(BG_ACTIVE) {
                    counter += 1;
                    let accept = json!({"v": PROTOCOL_VERSION, "type": "accept_call",
                        "request_id": format!("a-{counter}"), "call_id": call_id, "sdp_answer": ANSWER});
                    let ready = json!({"v": PROTOCOL_VERSION, "type": "media_ready",
                        "request_id": format!("m-{counter}"), "call_id": call_id});
                    for message in [accept, ready] {
                        if socket
                            .send(Message::Text(message.to_string().into()))
                            .await
                            .is_err()
                        {
                            break;
                        }
                    }
                }
            }
            Ok(ServerMessage::StartMedia(_)) => {
                tracker.started_media.fetch_add(1, Ordering::Relaxed);
            }
            Ok(ServerMessage::Reply(reply)) => {
                if let ReplyResult::Error(error) = reply.result {
                    if tracker.refusals.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("agent {index}: request refused: {error:?}");
                    }
                }
            }
            Ok(ServerMessage::Error(error)) => {
                if tracker.refusals.fetch_add(1, Ordering::Relaxed) < 5 {
                    eprintln!("agent {index}: platform error: {error:?}");
                }
            }
            Ok(_) => {}
            Err(error) => eprintln!("agent {index}: undecodable frame: {error}"),
        }
    }
    tracker.closed.fetch_add(1, Ordering::Relaxed);
}

/// `/healthz`'s inbox counts: (received, pending).
async fn inbox_counts(http: &reqwest::Client, base: &str) -> Result<(u64, u64)> {
    let body: Value = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .context("healthz request failed")?
        .json()
        .await
        .context("healthz answer is not JSON")?;
    let count = |name: &str| body.get(name).and_then(Value::as_u64).unwrap_or(0);
    Ok((count("inbox_received"), count("inbox_pending")))
}

/// Nearest-rank percentile in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1e3
}

#[derive(Debug, Clone, Copy)]
struct Spread {
    count: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

fn spread(mut samples: Vec<Duration>) -> Spread {
    samples.sort();
    Spread {
        count: samples.len(),
        p50: percentile_ms(&samples, 50.0),
        p99: percentile_ms(&samples, 99.0),
        max: samples.last().map_or(f64::NAN, |d| d.as_secs_f64() * 1e3),
    }
}

fn spread_json(spread: Spread) -> Value {
    json!({"count": spread.count, "p50_ms": spread.p50, "p99_ms": spread.p99, "max_ms": spread.max})
}

fn output_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("RINGDESK_BENCH_OUT") {
        return Ok(PathBuf::from(dir));
    }
    // The bench runs as <target>/release/deps/webhook_load-<hash>.
    let exe = std::env::current_exe().context("cannot find the bench executable")?;
    let target = exe
        .ancestors()
        .nth(3)
        .ok_or_else(|| anyhow!("unexpected bench location {}", exe.display()))?;
    Ok(target.join("bench"))
}

fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The filesystem type holding `path` (longest mount point that prefixes it, from /proc/mounts).
fn filesystem_of(path: &Path) -> String {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(point)
                .then(|| (point.len(), kind.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map_or_else(|| "unknown".into(), |(_, kind)| kind)
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

fn write_config(path: &Path, port: u16, database_url: &str, graph_url: &str) -> Result<()> {
    let toml = format!(
        r#"listen = "127.0.0.1:{port}"
database_url = "{database_url}"
graph_base_url = "{graph_url}"
access_token = "bench-access-token"
app_secret = "{APP_SECRET}"
verify_token = "bench-verify-token"
# Ten minutes, so the background ringing calls keep ringing for the whole run.
ring_timeout_ms = 600000
accept_window_ms = 600000
media_ready_bound_ms = 20000

[[numbers]]
phone_number_id = "{PHONE_NUMBER_ID}"
display_phone_number = "{BUSINESS_NUMBER}"
"#
    );
    std::fs::write(path, toml).with_context(|| format!("cannot write {}", path.display()))
}

async fn run() -> Result<()> {
    let bench_started = Instant::now();
    let out = output_dir()?;
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let nofile = open_files_limit().unwrap_or(0);
    if nofile < 8_192 {
        bail!(
            "the open-files limit is {nofile}; 2,000 sockets on each side need more: \
             run `ulimit -n 8192` first (cargo xtask bench does)"
        );
    }
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let cpu = cpu_model();
    let load_before = load_average();
    let ticks = clock_ticks_per_sec();
    println!("webhook_load: {cores} cores ({cpu}), load average {load_before}");

    // A fresh database next to the results (the same disk the build uses) unless
    // RINGDESK_BENCH_DB_DIR names another place (e.g. /dev/shm to take fsync out of the picture).
    let db_parent = std::env::var_os("RINGDESK_BENCH_DB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| out.clone());
    let work = tempfile::tempdir_in(&db_parent).with_context(|| {
        format!(
            "cannot create a working directory in {}",
            db_parent.display()
        )
    })?;
    let db_path = work.path().join("platform.db");
    let database_url = format!("sqlite://{}", db_path.display());
    let graph_requests = Arc::new(AtomicU64::new(0));
    let graph_url = start_fake_graph(graph_requests.clone()).await?;

    // 2,000 agents, added through the platform's own store (as `agent add` does).
    let phase = Instant::now();
    let store = Store::open(&database_url)
        .await
        .context("cannot open the bench database")?;
    let mut tokens = Vec::with_capacity(AGENTS);
    for n in 0..AGENTS {
        let (_, token) = store
            .add_agent(&format!("agent-{n:04}"), Role::Agent, None)
            .await
            .map_err(|error| anyhow!("cannot add agent {n}: {error}"))?;
        tokens.push(token);
    }
    store.close().await;
    println!(
        "added {AGENTS} agents in {:.1} s",
        phase.elapsed().as_secs_f64()
    );

    // The platform as a real process.
    let port = free_port()?;
    let config = work.path().join("platform.toml");
    write_config(&config, port, &database_url, &graph_url)?;
    let log_path = out.join("webhook_load-platform.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot create {}", log_path.display()))?;
    let binary = env!("CARGO_BIN_EXE_ringdesk-platform");
    let child = Command::new(binary)
        .arg("serve")
        .env("RINGDESK_CONFIG", &config)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {binary}"))?;
    let pid = child.id();
    let platform = PlatformProcess(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let ready_by = Instant::now() + Duration::from_secs(30);
    loop {
        if inbox_counts(&http, &base).await.is_ok() {
            break;
        }
        if Instant::now() > ready_by {
            bail!(
                "the platform did not answer /healthz within 30 s; see {}",
                log_path.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_started = proc_sample(pid).unwrap_or_default();
    let rss_watch = Arc::new(RssWatch::default());
    tokio::spawn(watch_rss(pid, rss_watch.clone()));
    println!(
        "platform pid {pid} up on {base} (VmRSS {} MB)",
        rss_started.rss_kb / 1024
    );

    // 2,000 agent sockets, 32 upgrades at a time.
    let tracker = Arc::new(Tracker::default());
    let ws_url = format!("ws://127.0.0.1:{port}/ws");
    let phase = Instant::now();
    let sockets: Vec<Result<Socket>> = futures_util::stream::iter(tokens.iter())
        .map(|token| connect_agent(&ws_url, token))
        .buffered(32)
        .collect()
        .await;
    for (index, socket) in sockets.into_iter().enumerate() {
        let socket = socket.with_context(|| format!("agent {index} could not connect"))?;
        tokio::spawn(run_agent(socket, index, tracker.clone()));
    }
    let sockets_secs = phase.elapsed().as_secs_f64();
    let rss_sockets = proc_sample(pid).unwrap_or_default();
    println!(
        "{AGENTS} agent sockets up in {sockets_secs:.1} s (VmRSS {} MB)",
        rss_sockets.rss_kb / 1024
    );

    let meta = Meta {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(BURST_SENDERS * 2)
            .build()
            .context("cannot build the HTTP client")?,
        url: format!("{base}/webhooks/whatsapp"),
    };
    let customers = Arc::new(AtomicU64::new(0));

    // 1,000 background calls: 500 accepted (active), 500 left ringing.
    let phase = Instant::now();
    let background: Vec<String> = (0..BACKGROUND_ACTIVE)
        .map(|n| format!("{BG_ACTIVE}{n:05}"))
        .chain((0..BACKGROUND_RINGING).map(|n| format!("{BG_RINGING}{n:05}")))
        .collect();
    let posted: Vec<Result<u16>> = futures_util::stream::iter(background.iter())
        .map(|call_id| {
            let (meta, tracker) = (meta.clone(), tracker.clone());
            let customer = customer(customers.fetch_add(1, Ordering::Relaxed));
            async move {
                let body = connect_body(call_id, &customer)?;
                tracker.sending(call_id);
                Ok(meta.post(body).await?.0)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let refused = posted
        .iter()
        .filter(|status| !matches!(status, Ok(200)))
        .count();
    if refused > 0 {
        bail!("{refused} background webhooks were not acknowledged with 200");
    }
    let background_by = Instant::now() + WAIT;
    while tracker.incoming.load(Ordering::Relaxed) < background.len() as u64
        || tracker.started_media.load(Ordering::Relaxed) < BACKGROUND_ACTIVE as u64
    {
        if Instant::now() > background_by {
            bail!(
                "background load not reached within {} s: {} rung, {} active",
                WAIT.as_secs(),
                tracker.incoming.load(Ordering::Relaxed),
                tracker.started_media.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let background_secs = phase.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_loaded = proc_sample(pid).unwrap_or_default();
    println!(
        "background: {BACKGROUND_ACTIVE} active + {BACKGROUND_RINGING} ringing in {background_secs:.1} s \
         (VmRSS {} MB)",
        rss_loaded.rss_kb / 1024
    );

    // Latency: open-loop connects at PROBE_RATE/s, each hung up once it has rung.
    let probes = PROBE_RATE * PROBE_SECS;
    let cpu_before_probe = proc_sample(pid).unwrap_or_default();
    let phase = Instant::now();
    let probe_acks = Arc::new(Mutex::new(Vec::new()));
    let probe_lost = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for n in 0..probes {
        tokio::time::sleep_until(
            tokio::time::Instant::from_std(phase)
                + Duration::from_micros(n * 1_000_000 / PROBE_RATE),
        )
        .await;
        let call_id = format!("{PROBE}{n:06}");
        let customer = customer(customers.fetch_add(1, Ordering::Relaxed));
        let (meta, tracker, acks, lost) = (
            meta.clone(),
            tracker.clone(),
            probe_acks.clone(),
            probe_lost.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let (rung, waiter) = oneshot::channel();
            lock(&tracker.waiters).insert(call_id.clone(), rung);
            let body = connect_body(&call_id, &customer)?;
            tracker.sending(&call_id);
            let (status, took) = meta.post(body).await?;
            lock(&acks).push(took);
            if status != 200 {
                lost.fetch_add(1, Ordering::Relaxed);
                return Ok::<(), anyhow::Error>(());
            }
            if tokio::time::timeout(WAIT, waiter).await.is_err() {
                lost.fetch_add(1, Ordering::Relaxed);
            }
            let (status, took) = meta.post(terminate_body(&call_id, &customer)?).await?;
            lock(&acks).push(took);
            if status != 200 {
                lost.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }));
    }
    for task in tasks {
        task.await.context("a probe task panicked")??;
    }
    let probe_secs = phase.elapsed().as_secs_f64();
    let cpu_after_probe = proc_sample(pid).unwrap_or_default();
    let probe_latency = spread(tracker.latencies(kind_of(PROBE)));
    let probe_ack = spread(lock(&probe_acks).clone());
    let probe_cpu =
        (cpu_after_probe.cpu_ticks - cpu_before_probe.cpu_ticks) as f64 / ticks as f64 / probe_secs;
    println!(
        "latency at {} webhooks/s: incoming_call p50 {:.2} ms, p99 {:.2} ms (n = {}); \
         HTTP 200 p50 {:.2} ms, p99 {:.2} ms; platform CPU {:.0}%",
        PROBE_RATE * 2,
        probe_latency.p50,
        probe_latency.p99,
        probe_latency.count,
        probe_ack.p50,
        probe_ack.p99,
        probe_cpu * 100.0
    );

    // Throughput: BURST_SENDERS senders post connect + terminate pairs as fast as answered.
    let (received_before, pending_before) = inbox_counts(&http, &base).await?;
    let processed_before = received_before - pending_before;
    let cpu_before_burst = proc_sample(pid).unwrap_or_default();
    let phase = Instant::now();
    let deadline = phase + Duration::from_secs(BURST_SECS);
    let burst_acks = Arc::new(Mutex::new(Vec::new()));
    let burst_not_ok = Arc::new(AtomicU64::new(0));
    let mut senders = Vec::new();
    for _ in 0..BURST_SENDERS {
        let (meta, tracker, customers, acks, not_ok) = (
            meta.clone(),
            tracker.clone(),
            customers.clone(),
            burst_acks.clone(),
            burst_not_ok.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut took_all = Vec::new();
            while Instant::now() < deadline {
                let n = customers.fetch_add(1, Ordering::Relaxed);
                let call_id = format!("{BURST}{n:07}");
                let customer = customer(n);
                let body = connect_body(&call_id, &customer)?;
                tracker.sending(&call_id);
                for body in [body, terminate_body(&call_id, &customer)?] {
                    let (status, took) = meta.post(body).await?;
                    took_all.push(took);
                    if status != 200 {
                        not_ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lock(&acks).extend(took_all);
            Ok::<(), anyhow::Error>(())
        }));
    }
    for sender in senders {
        sender.await.context("a sender task panicked")??;
    }
    let burst_secs = phase.elapsed().as_secs_f64();
    let cpu_after_burst = proc_sample(pid).unwrap_or_default();
    let burst_ack = spread(lock(&burst_acks).clone());
    let burst_not_ok = burst_not_ok.load(Ordering::Relaxed);
    let acked = burst_ack.count as u64 - burst_not_ok;
    let acked_rate = acked as f64 / burst_secs;
    let burst_cpu =
        (cpu_after_burst.cpu_ticks - cpu_before_burst.cpu_ticks) as f64 / ticks as f64 / burst_secs;
    println!(
        "throughput: {acked} webhooks acknowledged in {burst_secs:.1} s = {acked_rate:.0}/s \
         ({burst_not_ok} not 200); HTTP 200 p50 {:.2} ms, p99 {:.2} ms; platform CPU {:.0}%",
        burst_ack.p50,
        burst_ack.p99,
        burst_cpu * 100.0
    );
    let (mut received, mut pending) = inbox_counts(&http, &base).await?;
    let drain_by = Instant::now() + DRAIN_CAP;
    while pending > 0 && Instant::now() < drain_by {
        tokio::time::sleep(Duration::from_millis(250)).await;
        (received, pending) = inbox_counts(&http, &base).await?;
    }
    let drain_secs = phase.elapsed().as_secs_f64();
    let processed = (received - pending).saturating_sub(processed_before);
    let processed_rate = processed as f64 / drain_secs;
    let cpu_after_drain = proc_sample(pid).unwrap_or_default();
    let burst_latency = spread(tracker.latencies(kind_of(BURST)));
    let drain_cpu = (cpu_after_drain.cpu_ticks - cpu_after_burst.cpu_ticks) as f64
        / ticks as f64
        / (drain_secs - burst_secs).max(0.001);
    println!(
        "processing: {processed} webhooks applied in {drain_secs:.1} s = {processed_rate:.0}/s; \
         {pending} still pending at the end"
    );

    rss_watch.stop.store(true, Ordering::Relaxed);
    let end = proc_sample(pid).unwrap_or_default();
    let peak_rss_kb = rss_watch.max_kb.load(Ordering::Relaxed).max(end.rss_kb);
    let bench_cpu = cpu_ticks("/proc/self/stat").unwrap_or(0) as f64 / ticks as f64;
    let platform_cpu = end.cpu_ticks as f64 / ticks as f64;
    let load_after = load_average();
    let live_sockets = AGENTS as u64 - tracker.closed.load(Ordering::Relaxed);
    drop(platform);

    let mb = |kb: u64| kb as f64 / 1024.0;
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let results = json!({
        "machine": {"cores": cores, "cpu": cpu, "load_average_before": load_before,
                    "load_average_after": load_after, "open_files_limit": nofile,
                    "database_dir": work.path().display().to_string(),
                    "database_filesystem": filesystem_of(work.path())},
        "load": {"agents": AGENTS, "agent_sockets_open_at_end": live_sockets,
                 "background_active": BACKGROUND_ACTIVE, "background_ringing": BACKGROUND_RINGING},
        "setup": {"sockets_secs": sockets_secs, "background_secs": background_secs},
        "latency_phase": {"webhooks_per_sec": PROBE_RATE * 2, "secs": probe_secs,
            "incoming_call": spread_json(probe_latency), "http_ack": spread_json(probe_ack),
            "lost": probe_lost.load(Ordering::Relaxed), "platform_cpu_share": probe_cpu},
        "throughput_phase": {"senders": BURST_SENDERS, "secs": burst_secs,
            "acknowledged": acked, "not_ok": burst_not_ok, "acknowledged_per_sec": acked_rate,
            "http_ack": spread_json(burst_ack), "platform_cpu_share": burst_cpu,
            "platform_cpu_share_draining": drain_cpu,
            "applied": processed, "applied_secs": drain_secs, "applied_per_sec": processed_rate,
            "pending_at_end": pending, "incoming_call_under_backlog": spread_json(burst_latency)},
        "memory_mb": {"at_start": mb(rss_started.rss_kb), "with_sockets": mb(rss_sockets.rss_kb),
            "with_calls": mb(rss_loaded.rss_kb), "peak_sampled_rss": mb(peak_rss_kb),
            "vm_hwm": mb(end.hwm_kb)},
        "cpu_secs": {"platform": platform_cpu, "bench_client": bench_cpu},
        "graph_requests": graph_requests.load(Ordering::Relaxed),
        "agent_refusals": tracker.refusals.load(Ordering::Relaxed),
        "bench_secs": bench_started.elapsed().as_secs_f64(),
    });

    let mut report = String::new();
    writeln!(report, "# webhook_load results\n")?;
    writeln!(
        report,
        "Machine: {cores} cores, {cpu}; load average {load_before} before, {load_after} after."
    )?;
    writeln!(
        report,
        "Load: {AGENTS} agent sockets ({live_sockets} still open at the end), \
         {BACKGROUND_ACTIVE} active + {BACKGROUND_RINGING} ringing calls; platform as a release \
         process, SQLite on {} ({}).\n",
        work.path().display(),
        filesystem_of(work.path())
    )?;
    writeln!(report, "| Measure | Measured | Target | |")?;
    writeln!(report, "|---|---|---|---|")?;
    writeln!(
        report,
        "| webhook → incoming_call p50 / p99 at {} webhooks/s (n = {}) | {:.2} / {:.2} ms | p99 ≤ {TARGET_P99_MS} ms | {} |",
        PROBE_RATE * 2,
        probe_latency.count,
        probe_latency.p50,
        probe_latency.p99,
        verdict(probe_latency.p99 <= TARGET_P99_MS)
    )?;
    writeln!(
        report,
        "| webhooks acknowledged (HTTP 200, in the inbox) per s, {BURST_SENDERS} senders | {acked_rate:.0}/s | ≥ {TARGET_WEBHOOKS_PER_SEC} /s | {} |",
        verdict(acked_rate >= TARGET_WEBHOOKS_PER_SEC)
    )?;
    writeln!(
        report,
        "| webhooks applied (inbox processor) per s | {processed_rate:.0}/s ({processed} in {drain_secs:.1} s, {pending} left) | ≥ {TARGET_WEBHOOKS_PER_SEC} /s | {} |",
        verdict(processed_rate >= TARGET_WEBHOOKS_PER_SEC)
    )?;
    writeln!(
        report,
        "| platform RSS peak (sampled VmRSS / VmHWM) | {:.0} / {:.0} MB | ≤ {TARGET_RSS_MB} MB | {} |",
        mb(peak_rss_kb),
        mb(end.hwm_kb),
        verdict(mb(end.hwm_kb.max(peak_rss_kb)) <= TARGET_RSS_MB)
    )?;
    writeln!(report)?;
    writeln!(
        report,
        "- HTTP 200 time at {} webhooks/s: p50 {:.2} ms, p99 {:.2} ms; under the burst: p50 {:.2} ms, p99 {:.2} ms.",
        PROBE_RATE * 2,
        probe_ack.p50,
        probe_ack.p99,
        burst_ack.p50,
        burst_ack.p99
    )?;
    writeln!(
        report,
        "- webhook → incoming_call during the burst (includes waiting behind the inbox backlog): p50 {:.0} ms, p99 {:.0} ms (n = {}).",
        burst_latency.p50, burst_latency.p99, burst_latency.count
    )?;
    writeln!(
        report,
        "- Platform CPU: {:.0}% of one core in the latency phase, {:.0}% during the burst, {:.0}% while draining; {platform_cpu:.1} s in all. Bench client: {bench_cpu:.1} s.",
        probe_cpu * 100.0,
        burst_cpu * 100.0,
        drain_cpu * 100.0
    )?;
    writeln!(
        report,
        "- Memory: {:.0} MB at start, {:.0} MB with {AGENTS} sockets, {:.0} MB with the 1,000 calls.",
        mb(rss_started.rss_kb),
        mb(rss_sockets.rss_kb),
        mb(rss_loaded.rss_kb)
    )?;
    writeln!(
        report,
        "- Set-up: sockets up in {sockets_secs:.1} s; 1,000 background calls rung/accepted in {background_secs:.1} s. \
         Graph requests answered: {}. Agent requests refused: {}. Probe calls lost: {}. Whole bench: {:.0} s.",
        graph_requests.load(Ordering::Relaxed),
        tracker.refusals.load(Ordering::Relaxed),
        probe_lost.load(Ordering::Relaxed),
        bench_started.elapsed().as_secs_f64()
    )?;

    let md_path = out.join("webhook_load.md");
    let json_path = out.join("webhook_load.json");
    std::fs::write(&md_path, &report)?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&results)?)?;
    println!("\n{report}");
    println!("results: {}", md_path.display());
    println!("         {}", json_path.display());
    println!("platform log: {}", log_path.display());
    Ok(())
}
