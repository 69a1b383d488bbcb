//! Test harness: the platform started in-process on 127.0.0.1:0 with a temp SQLite file, a
//! fake Graph API (a real HTTP server that records what it is sent), signed webhooks, and
//! agents' WebSockets over tokio-tungstenite.
//!
//! Waiting is always on an event (a socket message, a Graph request, the inbox's processed
//! count); `WAIT` only bounds how long a broken build can hang a test, it asserts nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use futures_util::{SinkExt, StreamExt};
use platform::config::Settings;
use platform::server::Platform;
use protocol::{decode_server, ServerMessage};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use whatsapp::webhook::{
    CallDirection, CallEvent, ChangeField, ChangeValue, Contact, TerminateStatus, WebhookEnvelope,
};

pub const WAIT: Duration = Duration::from_secs(20);
pub const APP_SECRET: &str = "test-app-secret";
pub const VERIFY_TOKEN: &str = "test-verify-token";
pub const PHONE_NUMBER_ID: &str = "100000000000001";
pub const BUSINESS_NUMBER: &str = "15550109999";
pub const CUSTOMER: &str = "15550100001";

pub const OFFER: &str = "v=0\r\no=- 1760681506762 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\na=ice-lite\r\nm=audio 3484 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 203.0.113.49\r\na=candidate:3935165743 1 udp 2122260223 203.0.113.49 3484 typ host generation 0\r\na=ice-ufrag:AeinEGDfvqBctbtM\r\na=ice-pwd:F6/jjqL0/8/Dzluc0IoZEQ==\r\na=fingerprint:sha-256 A2:EC:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:C6\r\na=setup:actpass\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=20;useinbandfec=1\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1047224411 cname:WhatsAppAudioStream1\r\n";

pub const ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE audio\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 2122260223 192.0.2.10 50000 typ host\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\na=setup:active\r\na=mid:audio\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=ptime:20\r\na=ssrc:1 cname:agent\r\n";

/// One request the fake Graph API received.
#[derive(Debug, Clone)]
pub struct GraphRequest {
    pub phone_number_id: String,
    pub edge: String,
    pub body: Value,
}

impl GraphRequest {
    pub fn action(&self) -> Option<&str> {
        self.body.get("action").and_then(Value::as_str)
    }
}

#[derive(Clone)]
struct FakeGraphState {
    sender: mpsc::UnboundedSender<GraphRequest>,
    seen: Arc<Mutex<Vec<GraphRequest>>>,
    /// When set, requests with this `action` get Meta's error object with this code.
    refuse: Arc<Mutex<Option<(String, u32)>>>,
    stall: Stall,
}

/// Requests with this (`action`, `call_id`) get no answer until released: Meta hanging.
#[derive(Clone, Default)]
struct Stall {
    target: Arc<Mutex<Option<(String, String)>>>,
    release: Arc<tokio::sync::Notify>,
    /// Stalled requests whose handler is still waiting (dropped when the client gives up).
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a stalled handler while it waits.
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A Graph API stand-in that answers `{"success": true}` (or Meta's error object for a refused
/// action) and reports every request.
pub struct FakeGraph {
    pub base_url: String,
    receiver: mpsc::UnboundedReceiver<GraphRequest>,
    seen: Arc<Mutex<Vec<GraphRequest>>>,
    refuse: Arc<Mutex<Option<(String, u32)>>>,
    stall: Stall,
}

async fn record(
    State(state): State<FakeGraphState>,
    Path((_version, phone_number_id, edge)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    let request = GraphRequest {
        phone_number_id,
        edge,
        body,
    };
    state.seen.lock().unwrap().push(request.clone());
    let stalled = state
        .stall
        .target
        .lock()
        .unwrap()
        .clone()
        .is_some_and(|(action, call_id)| {
            request.action() == Some(action.as_str()) && request.body["call_id"] == call_id.as_str()
        });
    if stalled {
        state
            .stall
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _counted = InFlight(state.stall.in_flight.clone());
        let _ = state.sender.send(request.clone());
        state.stall.release.notified().await;
        return (
            axum::http::StatusCode::OK,
            Json(json!({ "messaging_product": "whatsapp", "success": true })),
        );
    }
    let refused = state
        .refuse
        .lock()
        .unwrap()
        .clone()
        .filter(|(action, _)| request.action() == Some(action.as_str()));
    let _ = state.sender.send(request);
    match refused {
        Some((_, code)) => (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({ "error": {
                "message": "Invalid parameter",
                "type": "OAuthException",
                "code": code,
                "error_data": { "messaging_product": "whatsapp", "details": "Fingerprint algo is not SHA256" },
                "fbtrace_id": "ApaWkAViZR1ZYOg3XpILtzj"
            }})),
        ),
        None => (
            axum::http::StatusCode::OK,
            Json(json!({ "messaging_product": "whatsapp", "success": true })),
        ),
    }
}

impl FakeGraph {
    pub async fn start() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(Mutex::new(None));
        let stall = Stall::default();
        let app = Router::new()
            .route("/{version}/{phone_number_id}/{edge}", post(record))
            .with_state(FakeGraphState {
                sender,
                seen: seen.clone(),
                refuse: refuse.clone(),
                stall: stall.clone(),
            });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base_url: format!("http://{addr}"),
            receiver,
            seen,
            refuse,
            stall,
        }
    }

    /// From now on, a request with this `action` for `call_id` is not answered until
    /// [`FakeGraph::release`] (it is still reported by [`FakeGraph::next`]).
    pub fn stall(&self, action: &str, call_id: &str) {
        *self.stall.target.lock().unwrap() = Some((action.to_owned(), call_id.to_owned()));
    }

    /// Stalled requests still waiting for their answer.
    pub fn stalled(&self) -> usize {
        self.stall
            .in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Answers the stalled requests (success) and stalls no more.
    pub fn release(&self) {
        *self.stall.target.lock().unwrap() = None;
        self.stall.release.notify_waiters();
    }

    /// From now on, answer requests with this `action` with Meta's error `code`.
    pub fn refuse(&self, action: &str, code: u32) {
        *self.refuse.lock().unwrap() = Some((action.to_owned(), code));
    }

    /// The next request, in arrival order.
    pub async fn next(&mut self) -> GraphRequest {
        tokio::time::timeout(WAIT, self.receiver.recv())
            .await
            .expect("no Graph request arrived")
            .expect("fake Graph stopped")
    }

    /// Everything received so far.
    pub fn seen(&self) -> Vec<GraphRequest> {
        self.seen.lock().unwrap().clone()
    }
}

/// POSTs a correctly signed webhook body to the platform at `base`; returns the HTTP status.
pub async fn post_signed(http: &reqwest::Client, base: &str, body: &[u8]) -> u16 {
    let signature = whatsapp::sign_body(APP_SECRET.as_bytes(), body).unwrap();
    http.post(format!("{base}/webhooks/whatsapp"))
        .header(whatsapp::SIGNATURE_HEADER, signature)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `ringdesk-platform serve --config <config>` as a child process; killed with SIGKILL (no
/// shutdown code runs) when dropped.
pub struct ServeProcess {
    child: std::process::Child,
    pub base: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` with the configuration file `config`; returns once it listens.
pub fn serve_process(config: &std::path::Path) -> ServeProcess {
    serve_process_with_log(config, true)
}

/// As [`serve_process`]; with `keep_log` false the server's stderr pipe is closed once it
/// listens (a log collector gone), so every later log write fails.
pub fn serve_process_with_log(config: &std::path::Path, keep_log: bool) -> ServeProcess {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ringdesk-platform"))
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "info")
        .env_remove("RINGDESK_LISTEN")
        .env_remove("RINGDESK_DATABASE_URL")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The server logs "listening addr=…" once it accepts connections (read on a thread, so a
    // silent server fails the test instead of blocking it). The thread drains the log to the
    // end: a closed pipe would fail the server's later writes.
    let stderr = child.stderr.take().unwrap();
    let (lines, log) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines.send(line).is_err() && !keep_log {
                return; // drops the read end: the pipe is closed
            }
        }
    });
    let addr = loop {
        let line = log
            .recv_timeout(WAIT)
            .expect("the server never logged its address");
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // `log` is dropped here: with `keep_log` false the reader then stops and closes the pipe.
    ServeProcess {
        child,
        base: format!("http://{addr}"),
    }
}

/// The configuration file of a test platform on `database_url`, talking to `graph`.
pub fn settings_toml(database_url: &str, graph_base_url: &str) -> String {
    format!(
        r#"
        listen = "127.0.0.1:0"
        database_url = "{database_url}"
        graph_base_url = "{graph_base_url}"
        access_token = "test-access-token"
        app_secret = "{APP_SECRET}"
        verify_token = "{VERIFY_TOKEN}"
        ring_timeout_ms = 20000
        accept_window_ms = 40000
        media_ready_bound_ms = 20000
        webhook_body_limit = 65536
        [[numbers]]
        phone_number_id = "{PHONE_NUMBER_ID}"
        display_phone_number = "{BUSINESS_NUMBER}"
        "#
    )
}

/// Settings for a test platform on `database_url`, talking to `graph`.
pub fn settings(database_url: &str, graph_base_url: &str) -> Settings {
    let toml = settings_toml(database_url, graph_base_url);
    Settings::from_toml(&toml, &Default::default()).unwrap()
}

/// A platform with its temp directory and fake Graph.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub graph: FakeGraph,
    pub platform: Platform,
    pub base: String,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let graph = FakeGraph::start().await;
        let mut settings = settings(&database_url(&dir), &graph.base_url);
        adjust(&mut settings);
        let platform = Platform::start(settings).await.unwrap();
        let base = format!("http://{}", platform.local_addr());
        Self {
            dir,
            graph,
            platform,
            base,
            http: reqwest::Client::new(),
        }
    }

    /// Adds an agent directly in the store; returns (id, token).
    pub async fn agent(
        &self,
        name: &str,
        role: platform::store::agents::Role,
        team: Option<&str>,
    ) -> (String, String) {
        let (agent, token) = self
            .platform
            .store()
            .add_agent(name, role, team)
            .await
            .unwrap();
        (agent.id, token)
    }

    /// POSTs a correctly signed webhook body; returns the HTTP status.
    pub async fn post_webhook(&self, body: &[u8]) -> u16 {
        post_signed(&self.http, &self.base, body).await
    }

    /// GETs a JSON API path with a token.
    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn connect(&self, token: &str) -> AgentSocket {
        AgentSocket::connect(&self.base, token).await
    }
}

pub fn database_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("platform.db").display())
}

/// The unix time now, in seconds.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A user-initiated connect webhook body for `call_id`, stamped now.
pub fn connect_body(call_id: &str) -> Vec<u8> {
    connect_body_at(call_id, now_secs())
}

pub fn connect_body_at(call_id: &str, secs: u64) -> Vec<u8> {
    let call = CallEvent::user_initiated_connect(call_id, CUSTOMER, BUSINESS_NUMBER, OFFER)
        .with_timestamp(secs);
    let value = ChangeValue::for_number(PHONE_NUMBER_ID, BUSINESS_NUMBER)
        .with_contact(Contact::new(CUSTOMER, "Ada Customer"))
        .with_call(call);
    WebhookEnvelope::single("200000000000002", ChangeField::Calls, value)
        .to_vec()
        .unwrap()
}

/// A terminate webhook body; `talk` = Some((start, end)) for an answered call.
pub fn terminate_body(call_id: &str, status: TerminateStatus, talk: Option<(u64, u64)>) -> Vec<u8> {
    let mut call = CallEvent::terminate(
        call_id,
        CallDirection::UserInitiated,
        CUSTOMER,
        BUSINESS_NUMBER,
        status,
    );
    if let Some((start, end)) = talk {
        call = call.with_talk_time(start, end);
    }
    let value = ChangeValue::for_number(PHONE_NUMBER_ID, BUSINESS_NUMBER)
        .with_contact(Contact::new(CUSTOMER, "Ada Customer"))
        .with_call(call);
    WebhookEnvelope::single("200000000000002", ChangeField::Calls, value)
        .to_vec()
        .unwrap()
}

/// An agent app's WebSocket.
pub struct AgentSocket {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_request: u32,
    /// `team_status` messages are returned only when the test watches the team (most tests'
    /// agents are admins, who get one whenever anyone's presence or call changes).
    watching_team: bool,
}

impl AgentSocket {
    pub async fn connect(base: &str, token: &str) -> Self {
        let url = format!("{}/ws", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        Self {
            stream,
            next_request: 0,
            watching_team: false,
        }
    }

    /// Also return `team_status` messages from `recv`.
    pub fn watching_team(mut self) -> Self {
        self.watching_team = true;
        self
    }

    /// Tries to connect; returns the HTTP status of a refused upgrade.
    pub async fn refused_status(base: &str, token: &str) -> u16 {
        let url = format!("{}/ws", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        match tokio_tungstenite::connect_async(request).await {
            Ok(_) => panic!("the upgrade was accepted"),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                response.status().as_u16()
            }
            Err(other) => panic!("unexpected error: {other}"),
        }
    }

    /// The next message from the platform.
    pub async fn recv(&mut self) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("no message from the platform")
                .expect("socket closed")
                .expect("socket error");
            if let Message::Text(text) = frame {
                let message =
                    decode_server(text.as_str()).expect("platform sent an undecodable frame");
                if self.watching_team || !matches!(message, ServerMessage::TeamStatus(_)) {
                    return message;
                }
            }
        }
    }

    /// The next message from the platform, waiting up to `limit` (for a test whose event takes
    /// longer than `WAIT` to come about on a loaded machine).
    pub async fn recv_within(&mut self, limit: Duration) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(limit, self.stream.next())
                .await
                .expect("no message from the platform")
                .expect("socket closed")
                .expect("socket error");
            if let Message::Text(text) = frame {
                let message =
                    decode_server(text.as_str()).expect("platform sent an undecodable frame");
                if self.watching_team || !matches!(message, ServerMessage::TeamStatus(_)) {
                    return message;
                }
            }
        }
    }

    /// Sends one client message given as JSON fields (the `v` and `request_id` are added).
    pub async fn send(&mut self, mut fields: Value) -> String {
        self.next_request += 1;
        let request_id = format!("r-{}", self.next_request);
        let object = fields.as_object_mut().unwrap();
        object.insert("v".into(), json!(protocol::PROTOCOL_VERSION));
        object.entry("request_id").or_insert(json!(request_id));
        self.stream
            .send(Message::Text(fields.to_string().into()))
            .await
            .unwrap();
        request_id
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.stream
            .send(Message::Text(text.to_owned().into()))
            .await
            .unwrap();
    }

    /// Sends a ping and returns every message received before its pong: since the platform
    /// writes to a socket in order, this is "everything already sent to this app".
    pub async fn drain(&mut self) -> Vec<ServerMessage> {
        self.stream
            .send(Message::Text(
                json!({"v": protocol::PROTOCOL_VERSION, "type": "ping", "ping_id": 777})
                    .to_string()
                    .into(),
            ))
            .await
            .unwrap();
        let mut before = Vec::new();
        loop {
            match self.recv().await {
                ServerMessage::Pong(pong) if pong.ping_id.0 == 777 => return before,
                other => before.push(other),
            }
        }
    }

    /// Sends a WebSocket-level ping frame (not the protocol's `ping` message).
    pub async fn send_websocket_ping(&mut self) {
        self.stream
            .send(Message::Ping(b"are you there".to_vec().into()))
            .await
            .unwrap();
    }

    /// Reads until the platform's close frame: the messages before it, and the frame (`None`
    /// if it carried no code). Panics if the connection ends without one.
    pub async fn until_close(
        &mut self,
    ) -> (
        Vec<ServerMessage>,
        Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>,
    ) {
        let mut messages = Vec::new();
        loop {
            let frame = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("the platform neither sent nor closed");
            match frame {
                Some(Ok(Message::Text(text))) => messages.push(
                    decode_server(text.as_str()).expect("platform sent an undecodable frame"),
                ),
                Some(Ok(Message::Close(frame))) => return (messages, frame),
                Some(Ok(_)) => {}
                other => panic!("the connection ended without a close frame: {other:?}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// The reply to `request_id` (other messages skipped): `None` when ok, else the refusal's
/// code and message.
pub async fn reply_outcome(
    socket: &mut AgentSocket,
    request_id: &str,
) -> Option<(protocol::ErrorCode, String)> {
    loop {
        if let ServerMessage::Reply(reply) = socket.recv().await {
            if reply.request_id.as_str() == request_id {
                return match reply.result {
                    protocol::ReplyResult::Ok { .. } => None,
                    protocol::ReplyResult::Error(e) => Some((e.code, e.message)),
                };
            }
        }
    }
}

/// `call_id` rings `agent` (who must be the one available), who answers it (pre_accept,
/// media_ready, accept); then the customer hangs up after 41 s of talk.
pub async fn talked_call(harness: &mut Harness, agent: &mut AgentSocket, call_id: &str) {
    assert_eq!(harness.post_webhook(&connect_body(call_id)).await, 200);
    loop {
        if let ServerMessage::IncomingCall(call) = agent.recv().await {
            assert_eq!(call.call_id.as_str(), call_id);
            break;
        }
    }
    let accept = agent
        .send(json!({"type": "accept_call", "call_id": call_id, "sdp_answer": ANSWER}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("pre_accept"));
    assert_eq!(reply_outcome(agent, &accept).await, None);
    let ready = agent
        .send(json!({"type": "media_ready", "call_id": call_id}))
        .await;
    assert_eq!(harness.graph.next().await.action(), Some("accept"));
    assert_eq!(reply_outcome(agent, &ready).await, None);
    let (start, end) = (now_secs() - 41, now_secs());
    let terminate = terminate_body(
        call_id,
        whatsapp::webhook::TerminateStatus::Completed,
        Some((start, end)),
    );
    assert_eq!(harness.post_webhook(&terminate).await, 200);
}
