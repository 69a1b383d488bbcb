//! `GET /ws`: one agent app's WebSocket.
//!
//! The socket task authenticates the upgrade (401 before upgrading), registers the connection
//! with the switchboard, then runs two halves: a writer that encodes whatever the switchboard
//! (or this task) queues for the app, and a reader that decodes the app's frames. `ping` is
//! answered here; everything else goes to the switchboard, which replies. A frame that cannot be
//! decoded is refused with its reason and the connection stays open.
//!
//! The connection ends when the app closes it, when no frame arrives for the heartbeat timeout,
//! when the agent signs in elsewhere (`session_replaced`), or on shutdown. The platform closes it
//! with a WebSocket close code and reason ([`CloseReason`]) when the app does not read what it
//! is sent (its bounded outbox is full: 1008), sends a frame or message over [`MAX_FRAME_BYTES`]
//! (1009, refused on the frame's declared length, before its payload is read), or its token was
//! revoked (`unauthorized`, then 1008; found by the switchboard's periodic sweep, whatever the
//! app sends). Every frame spends from the connection's [`FrameBudget`] (by default 20 a
//! second, bursts of 60): a frame over it is refused with `rate_limited` and when to retry, and a client that
//! keeps flooding after 200 refusals in a row is closed (1008). Either way the switchboard is then told, so a ringing call moves on to the
//! next agent.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;

use crate::http::frame_budget::{FrameBudget, Verdict};
use protocol::{
    decode_client, ClientMessage, ErrorCode, Pong, ProtocolError, Reply, ReplyResult,
    ServerMessage, HEARTBEAT_TIMEOUT_SECS, MAX_FRAME_BYTES,
};

use super::auth::authenticate;
use super::ws_writer::{self, CLOSE_DEADLINE};
use super::AppState;
use crate::store::agents::Agent;
use crate::store::time::now_ms;
use crate::switchboard::{outbox, CloseReason, Command, Connection, OUTBOX_CAPACITY};

/// Read and write buffer size per agent socket (see `upgrade`).
const SOCKET_BUFFER_BYTES: usize = 8 * 1024;

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let signed_in_at = now_ms();
    let agent = match authenticate(&state.store, &headers).await {
        Ok(agent) => agent,
        Err(refusal) => return refusal,
    };
    // Agent sockets carry small JSON frames (the largest, an SDP, is a few KiB), and a platform
    // holds thousands of them: tungstenite's default 128 KiB read and write buffers per socket
    // were most of the platform's memory in the bench (docs/BENCHMARKS.md). Larger frames are
    // still read whole (up to MAX_FRAME_BYTES); the buffers only set the chunk size.
    upgrade
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        // Both limits: a frame's declared length is checked before its payload is buffered,
        // so a client cannot make the platform hold 16 MiB (tungstenite's default) per frame.
        .max_frame_size(MAX_FRAME_BYTES)
        .max_message_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| run(state, agent, signed_in_at, socket))
}

async fn run(state: AppState, agent: Agent, signed_in_at: i64, socket: WebSocket) {
    let agent_id = agent.id.clone();
    let connection_id = state.connection_ids.fetch_add(1, Ordering::Relaxed);
    let (outbox, queued) = outbox(OUTBOX_CAPACITY);
    let mut close_requests = outbox.close_requests();
    let registered = state.switchboard.send(Command::Connected {
        agent,
        connection: Connection {
            id: connection_id,
            outbox: outbox.clone(),
            signed_in_at,
        },
    });
    if !registered {
        return; // Shutting down.
    }
    let (sink, mut stream) = socket.split();
    let writer = tokio::spawn(ws_writer::write(sink, queued));

    let heartbeat = Duration::from_secs(u64::from(HEARTBEAT_TIMEOUT_SECS));
    let (rate, burst) = (state.settings.ws_frame_rate, state.settings.ws_frame_burst);
    let mut budget = FrameBudget::new(burst, rate, std::time::Instant::now());
    let mut shutdown = state.shutdown.clone();
    let closing = loop {
        let frame = tokio::select! {
            biased;
            reason = close_requests.requested() => break Some(reason),
            _ = crate::server::stopped(&mut shutdown) => break None,
            frame = tokio::time::timeout(heartbeat, stream.next()) => frame,
        };
        let message = match frame {
            Err(_) => {
                outbox.push(ServerMessage::Error(ProtocolError::new(
                    ErrorCode::HeartbeatTimeout,
                    format!("no frame for {HEARTBEAT_TIMEOUT_SECS} s; closing"),
                )));
                break None;
            }
            Ok(None) => break None,
            Ok(Some(Err(error))) => {
                if too_large(error) {
                    outbox.push(ServerMessage::Error(ProtocolError::new(
                        ErrorCode::FrameTooLarge,
                        format!("a frame or message over {MAX_FRAME_BYTES} bytes; closing"),
                    )));
                    outbox.close(CloseReason::FrameTooLarge);
                    break Some(CloseReason::FrameTooLarge);
                }
                break None;
            }
            Ok(Some(Ok(message))) => message,
        };
        let refusal = match budget.frame(std::time::Instant::now()) {
            Verdict::Allowed => None,
            Verdict::Refused { retry_after, first } => Some((retry_after, first)),
            Verdict::Close => {
                outbox.push(ServerMessage::Error(ProtocolError::new(
                    ErrorCode::RateLimited,
                    "too many frames after being told to slow down; closing",
                )));
                outbox.close(CloseReason::RateLimited);
                break Some(CloseReason::RateLimited);
            }
        };
        if let Some((retry_after, first)) = refusal {
            if let Some(refused) = rate_limited(&message, retry_after, first, (rate, burst)) {
                outbox.push(refused);
            }
            continue;
        }
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => break None,
            Message::Binary(_) => {
                outbox.push(ServerMessage::Error(ProtocolError::new(
                    ErrorCode::MalformedJson,
                    "binary frames are not part of the protocol; send JSON text frames",
                )));
                continue;
            }
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        match decode_client(text.as_str()) {
            // Answered here, from memory: a ping costs no store query. Revocation is found by
            // the switchboard's sweep instead, whatever the app sends (`switchboard::revocation`).
            Ok(ClientMessage::Ping(ping)) => {
                outbox.push(ServerMessage::Pong(Pong {
                    ping_id: ping.ping_id,
                }));
            }
            Ok(message) => {
                let sent = state.switchboard.send(Command::FromApp {
                    agent_id: agent_id.clone(),
                    connection_id,
                    message,
                });
                if !sent {
                    break None;
                }
            }
            Err(error) => {
                let refusal = match error.request_id() {
                    Some(request_id) => ServerMessage::Reply(Reply {
                        request_id: request_id.clone(),
                        result: ReplyResult::Error(error.to_protocol_error()),
                    }),
                    None => ServerMessage::Error(error.to_protocol_error()),
                };
                outbox.push(refusal);
            }
        }
    };

    state.switchboard.send(Command::Disconnected {
        agent_id,
        connection_id,
    });
    drop(outbox);
    let mut writer = writer;
    // Not after an oversized frame: reading on would buffer that frame's payload.
    if closing.is_some_and(|reason| reason != CloseReason::FrameTooLarge) {
        // The closing handshake: the writer sends the close frame; reading on (and dropping
        // what arrives) until the peer's close frame lets the peer read ours before the TCP
        // connection goes, instead of a reset that could discard it.
        let _ = tokio::time::timeout(CLOSE_DEADLINE, async {
            while let Some(Ok(frame)) = stream.next().await {
                if matches!(frame, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
    // The writer ends once the switchboard drops its copy of the outbox (on Disconnected, or
    // when it stops), or after its close frame (which has CLOSE_DEADLINE); do not let a stuck
    // peer hold this task forever, nor a shutdown longer than it used to.
    let bound = if closing.is_some() {
        CLOSE_DEADLINE
    } else {
        Duration::from_secs(2)
    };
    if tokio::time::timeout(bound, &mut writer).await.is_err() {
        writer.abort();
    }
}

/// Whether a read failed because a frame or message was over the size limit.
fn too_large(error: axum::Error) -> bool {
    let error = error.into_inner();
    matches!(
        error.downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(_))
    )
}

/// The refusal of a frame over the connection's budget: a request gets its `reply` (so the
/// app's pending request ends), anything else an `error` on the `first` refusal of a run
/// only; both say when to try again.
fn rate_limited(
    message: &Message,
    retry_after: Duration,
    first: bool,
    (rate, burst): (u32, u32),
) -> Option<ServerMessage> {
    let retry_at = chrono::TimeDelta::from_std(retry_after)
        .ok()
        .and_then(|after| chrono::Utc::now().checked_add_signed(after));
    let mut error = ProtocolError::new(
        ErrorCode::RateLimited,
        format!(
            "too many frames from this connection (at most {rate} a second, {burst} at once); retry in {} ms",
            retry_after.as_millis().max(1)
        ),
    );
    if let Some(at) = retry_at {
        error = error.retry_at(at);
    }
    let request_id = match message {
        Message::Text(text) => decode_client(text.as_str())
            .map_or_else(|e| e.request_id().cloned(), |m| m.request_id().cloned()),
        _ => None,
    };
    match request_id {
        Some(request_id) => Some(ServerMessage::Reply(Reply {
            request_id,
            result: ReplyResult::Error(error),
        })),
        None => first.then_some(ServerMessage::Error(error)),
    }
}
