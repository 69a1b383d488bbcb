//! One WebSocket connection: handshake with the bearer token, then frames in and out,
//! heartbeats and liveness, until it ends; returns why it ended.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use protocol::{ClientMessage, Ping, PingId, ServerMessage};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::{SignalingConfig, SignalingError, SignalingEvent};
use crate::transport::{PlatformLink, CONNECT_TIMEOUT};

/// The current connection's outgoing queue; `None` while disconnected.
pub(crate) type Outgoing = Arc<Mutex<Option<mpsc::UnboundedSender<String>>>>;

fn set_outgoing(outgoing: &Outgoing, tx: Option<mpsc::UnboundedSender<String>>) {
    match outgoing.lock() {
        Ok(mut g) => *g = tx,
        Err(poisoned) => *poisoned.into_inner() = tx,
    }
}

fn connect_error(url: &str, e: tungstenite::Error) -> SignalingError {
    if let tungstenite::Error::Http(response) = &e {
        if response.status() == StatusCode::UNAUTHORIZED {
            return SignalingError::Unauthorized;
        }
    }
    if let Some(reason) = crate::transport::certificate_problem(&e) {
        return SignalingError::Certificate {
            url: url.to_owned(),
            reason,
        };
    }
    SignalingError::Connect {
        url: url.to_owned(),
        reason: e.to_string(),
    }
}

/// TCP connect, TLS (for `wss://`) and the WebSocket upgrade, bounded by
/// [`CONNECT_TIMEOUT`] as a whole.
async fn open(
    link: &PlatformLink,
    url: &str,
    token: &str,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, SignalingError> {
    let mut request = url
        .into_client_request()
        .map_err(|e| connect_error(url, e))?;
    let auth =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| SignalingError::BadToken)?;
    request.headers_mut().insert("Authorization", auth);
    let connector = match link.tls() {
        Some(config) => Connector::Rustls(config),
        None => Connector::Plain,
    };
    let handshake = async {
        tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector))
            .await
            .map(|(ws, _response)| ws)
            .map_err(|e| connect_error(url, e))
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, handshake).await {
        Ok(result) => result,
        Err(_) => Err(SignalingError::ConnectTimeout {
            url: url.to_owned(),
            after: CONNECT_TIMEOUT,
        }),
    }
}

/// Connect and serve until the connection ends. Resets `attempt` once `hello` arrives.
pub(crate) async fn run(
    link: &PlatformLink,
    config: &SignalingConfig,
    outgoing: &Outgoing,
    reconnect: &Notify,
    events: &mpsc::Sender<SignalingEvent>,
    attempt: &mut u32,
) -> SignalingError {
    let url = link.ws_url();
    let ws = tokio::select! {
        r = open(link, &url, &config.token) => match r {
            Ok(ws) => ws,
            Err(e) => return e,
        },
        _ = reconnect.notified() => return SignalingError::ReconnectRequested,
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    set_outgoing(outgoing, Some(tx));
    let ended = serve(
        &mut sink,
        &mut stream,
        &mut rx,
        config,
        reconnect,
        events,
        attempt,
    )
    .await;
    set_outgoing(outgoing, None);
    let _ = sink.close().await;
    ended
}

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn serve(
    sink: &mut futures_util::stream::SplitSink<WsStream, Message>,
    stream: &mut futures_util::stream::SplitStream<WsStream>,
    rx: &mut mpsc::UnboundedReceiver<String>,
    config: &SignalingConfig,
    reconnect: &Notify,
    events: &mpsc::Sender<SignalingEvent>,
    attempt: &mut u32,
) -> SignalingError {
    let mut ping_every = Duration::from_secs(u64::from(protocol::HEARTBEAT_INTERVAL_SECS));
    let mut next_ping = Instant::now() + ping_every;
    let mut last_heard = Instant::now();
    let mut ping_id: u32 = 0;
    loop {
        let dead_at = last_heard + config.heartbeat_timeout;
        tokio::select! {
            frame = stream.next() => {
                let frame = match frame {
                    None => return SignalingError::Closed(String::new()),
                    Some(Err(e)) => return SignalingError::Transport(e.to_string()),
                    Some(Ok(f)) => f,
                };
                last_heard = Instant::now();
                let text = match frame {
                    Message::Text(t) => t,
                    Message::Binary(_) => {
                        if events.send(SignalingEvent::BadMessage(SignalingError::BinaryFrame)).await.is_err() {
                            return SignalingError::Shutdown;
                        }
                        continue;
                    }
                    Message::Close(close) => {
                        let why = close.map(|c| format!(": {} {}", u16::from(c.code), c.reason)).unwrap_or_default();
                        return SignalingError::Closed(why);
                    }
                    // WebSocket-level ping/pong is answered by tungstenite; it only proves life.
                    _ => continue,
                };
                let event = match protocol::decode_server(text.as_str()) {
                    Ok(ServerMessage::Pong(_)) => continue,
                    Ok(ServerMessage::Hello(hello)) => {
                        *attempt = 0;
                        ping_every = Duration::from_secs(u64::from(hello.heartbeat_interval_secs.max(1)));
                        next_ping = Instant::now() + ping_every;
                        SignalingEvent::Connected(Box::new(hello))
                    }
                    Ok(message) => SignalingEvent::Message(Box::new(message)),
                    Err(e) => {
                        tracing::warn!(error = %e, "undecodable frame from the platform");
                        SignalingEvent::BadMessage(SignalingError::Decode(e))
                    }
                };
                if events.send(event).await.is_err() {
                    return SignalingError::Shutdown;
                }
            }
            frame = rx.recv() => {
                let Some(frame) = frame else { return SignalingError::Shutdown };
                if let Err(e) = sink.send(Message::text(frame)).await {
                    return SignalingError::Transport(e.to_string());
                }
            }
            _ = tokio::time::sleep_until(next_ping) => {
                ping_id = ping_id.wrapping_add(1);
                next_ping = Instant::now() + ping_every;
                let ping = ClientMessage::Ping(Ping { ping_id: PingId(ping_id) });
                match protocol::encode(&ping) {
                    Ok(frame) => {
                        if let Err(e) = sink.send(Message::text(frame)).await {
                            return SignalingError::Transport(e.to_string());
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot encode ping"),
                }
            }
            _ = tokio::time::sleep_until(dead_at) => {
                return SignalingError::HeartbeatTimeout(config.heartbeat_timeout);
            }
            _ = reconnect.notified() => return SignalingError::ReconnectRequested,
        }
    }
}
