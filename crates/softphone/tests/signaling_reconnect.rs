//! The signaling client against an in-test tokio-tungstenite server standing in for the
//! platform's `/ws`: bearer token on every connection, reconnect after the server drops the
//! connection (the new `hello` restores the ringing call), heartbeats answered, a bad frame
//! reported as a typed error while the connection stays up, 401 reported as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::result_large_err
)] // test code: a panic is the failure report

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use protocol::{ClientMessage, Presence, RequestId, ServerMessage, SetPresence};
use softphone::signaling::{
    Backoff, SignalingClient, SignalingConfig, SignalingError, SignalingEvent,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const WAIT: Duration = Duration::from_secs(20);
const TOKEN: &str = "rd_test_token_123";

fn hello(ringing: &str) -> String {
    format!(
        r#"{{"v":1,"type":"hello","server_time":"2026-11-22T10:00:00Z","heartbeat_interval_secs":1,
        "agent":{{"id":"agent-1","display_name":"Ann"}},"presence":"available","numbers":[],
        "ringing":[{ringing}],"active":[]}}"#
    )
}

const RINGING: &str = r#"{"call_id":"wacid.ABC","customer":{"number":"+14085551234","profile_name":"Bo"},
    "business_number":"+15550001111","routed_because":"round_robin","ring_deadline":"2026-11-22T10:00:20Z",
    "sdp_offer":"v=0\r\n"}"#;

/// Accepts one WebSocket connection, checking the bearer token (401 otherwise).
async fn accept(listener: &TcpListener) -> Result<WebSocketStream<TcpStream>, String> {
    let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
    let check = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let ok = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"));
        if ok {
            Ok(resp)
        } else {
            let mut refused = ErrorResponse::new(Some("bad token".into()));
            *refused.status_mut() = StatusCode::UNAUTHORIZED;
            Err(refused)
        }
    };
    tokio_tungstenite::accept_hdr_async(tcp, check)
        .await
        .map_err(|e| e.to_string())
}

fn fast_config(port: u16, token: &str) -> SignalingConfig {
    SignalingConfig {
        backoff: Backoff {
            initial: Duration::from_millis(20),
            max: Duration::from_millis(200),
        },
        ..SignalingConfig::new(format!("http://127.0.0.1:{port}"), token)
    }
}

async fn next(events: &mut mpsc::Receiver<SignalingEvent>) -> SignalingEvent {
    timeout(WAIT, events.recv())
        .await
        .expect("no event")
        .expect("events closed")
}

/// Next text frame from the client, skipping pings.
async fn next_request(ws: &mut WebSocketStream<TcpStream>) -> ClientMessage {
    loop {
        let frame = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(t) = frame {
            match protocol::decode_client(t.as_str()).unwrap() {
                ClientMessage::Ping(_) => continue,
                other => return other,
            }
        }
    }
}

#[tokio::test]
async fn reconnects_after_the_server_drops_and_hello_restores_the_ringing_call() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (client, mut events) = SignalingClient::start(fast_config(port, TOKEN)).unwrap();

    let mut ws = accept(&listener).await.unwrap();
    ws.send(Message::text(hello(""))).await.unwrap();
    match next(&mut events).await {
        SignalingEvent::Connected(h) => assert!(h.ringing.is_empty()),
        other => panic!("expected connected, got {other:?}"),
    }
    // Requests go out on the live connection.
    let request = ClientMessage::SetPresence(SetPresence {
        request_id: RequestId::new("r-1").unwrap(),
        presence: Presence::Available,
    });
    client.send(&request).unwrap();
    assert_eq!(next_request(&mut ws).await, request);

    // The platform goes away mid-session.
    drop(ws);
    match next(&mut events).await {
        SignalingEvent::Disconnected { retry_in, .. } => {
            assert!(retry_in <= Duration::from_millis(200))
        }
        other => panic!("expected disconnected, got {other:?}"),
    }
    // While down, requests are refused with the reason rather than lost silently.
    assert!(matches!(
        client.send(&request),
        Err(SignalingError::NotConnected)
    ));

    // It comes back with a call ringing for this agent: the snapshot restores it.
    let mut ws = accept(&listener).await.unwrap();
    ws.send(Message::text(hello(RINGING))).await.unwrap();
    match next(&mut events).await {
        SignalingEvent::Connected(h) => {
            assert_eq!(h.ringing.len(), 1);
            assert_eq!(h.ringing[0].call_id.as_str(), "wacid.ABC");
        }
        other => panic!("expected connected again, got {other:?}"),
    }
    client.send(&request).unwrap();
    assert_eq!(next_request(&mut ws).await, request);
}

#[tokio::test]
async fn heartbeats_are_sent_and_a_silent_platform_is_dropped() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = SignalingConfig {
        heartbeat_timeout: Duration::from_secs(3),
        ..fast_config(port, TOKEN)
    };
    let (_client, mut events) = SignalingClient::start(config).unwrap();
    let mut ws = accept(&listener).await.unwrap();
    ws.send(Message::text(hello(""))).await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        SignalingEvent::Connected(_)
    ));

    // hello said 1 s: the client pings.
    let ping = loop {
        let frame = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
        if let Message::Text(t) = frame {
            if let ClientMessage::Ping(p) = protocol::decode_client(t.as_str()).unwrap() {
                break p;
            }
        }
    };
    assert!(ping.ping_id.0 >= 1);
    // The server never answers and sends nothing: the client gives up on the connection
    // and says why. (The server keeps its socket open: the drop is the client's decision.)
    let reader = tokio::spawn(async move { while ws.next().await.is_some() {} });
    match next(&mut events).await {
        SignalingEvent::Disconnected { error, .. } => {
            assert!(
                matches!(error, SignalingError::HeartbeatTimeout(_)),
                "{error}"
            )
        }
        other => panic!("expected a heartbeat timeout, got {other:?}"),
    }
    reader.abort();
}

#[tokio::test]
async fn bad_frames_are_typed_errors_and_the_connection_stays_up() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (_client, mut events) = SignalingClient::start(fast_config(port, TOKEN)).unwrap();
    let mut ws = accept(&listener).await.unwrap();
    ws.send(Message::text(hello(""))).await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        SignalingEvent::Connected(_)
    ));

    for (frame, code) in [
        ("not json", protocol::ErrorCode::MalformedJson),
        (
            r#"{"v":99,"type":"hello"}"#,
            protocol::ErrorCode::UnsupportedVersion,
        ),
        (
            r#"{"v":1,"type":"teleport"}"#,
            protocol::ErrorCode::UnknownMessageType,
        ),
        (
            r#"{"v":1,"type":"start_media","call_id":""}"#,
            protocol::ErrorCode::InvalidMessage,
        ),
    ] {
        ws.send(Message::text(frame)).await.unwrap();
        match next(&mut events).await {
            SignalingEvent::BadMessage(SignalingError::Decode(e)) => {
                assert_eq!(e.code(), code, "{frame}: {e}")
            }
            other => panic!("{frame}: expected a decode error, got {other:?}"),
        }
    }
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert!(matches!(
        next(&mut events).await,
        SignalingEvent::BadMessage(SignalingError::BinaryFrame)
    ));
    // Still connected: a good message arrives.
    ws.send(Message::text(
        r#"{"v":1,"type":"start_media","call_id":"wacid.X"}"#,
    ))
    .await
    .unwrap();
    match next(&mut events).await {
        SignalingEvent::Message(m) => assert!(matches!(*m, ServerMessage::StartMedia(_))),
        other => panic!("expected start_media, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_token_is_reported_as_unauthorized_and_reconnect_now_skips_the_delay() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = SignalingConfig {
        backoff: Backoff {
            initial: Duration::from_secs(600),
            max: Duration::from_secs(600),
        },
        ..fast_config(port, "wrong-token")
    };
    let (client, mut events) = SignalingClient::start(config).unwrap();
    assert!(accept(&listener).await.is_err());
    match next(&mut events).await {
        SignalingEvent::Disconnected { error, retry_in } => {
            assert!(matches!(error, SignalingError::Unauthorized), "{error}");
            assert!(
                retry_in >= Duration::from_secs(300),
                "backoff applies: {retry_in:?}"
            );
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
    // Without reconnect_now the next attempt would be minutes away.
    client.reconnect_now();
    assert!(timeout(WAIT, accept(&listener)).await.unwrap().is_err());
}

#[test]
fn unusable_urls_and_tokens_are_refused_up_front() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let e = SignalingClient::start(SignalingConfig::new("localhost:1", TOKEN)).unwrap_err();
        assert!(e.to_string().contains("no scheme"), "{e}");
        let e = SignalingClient::start(SignalingConfig::new("http://h", "has space")).unwrap_err();
        assert!(matches!(e, SignalingError::BadToken), "{e}");
    });
}
