//! Frames and messages over `MAX_FRAME_BYTES`, and floods of frames, at the byte level: the platform closes the socket
//! with 1009 and a reason (and says so in an `error` first), without buffering the payload.

use platform::store::agents::Role;
use protocol::MAX_FRAME_BYTES;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

/// A raw WebSocket connection: the upgrade written by hand, frames read as bytes.
struct RawSocket {
    tcp: TcpStream,
    /// Bytes read but not yet parsed.
    buffer: Vec<u8>,
}

impl RawSocket {
    async fn connect(harness: &Harness, token: &str) -> Self {
        let addr = harness.platform.local_addr();
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let upgrade = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Authorization: Bearer {token}\r\n\r\n"
        );
        tcp.write_all(upgrade.as_bytes()).await.unwrap();
        let mut socket = Self {
            tcp,
            buffer: Vec::new(),
        };
        let head = loop {
            if let Some(end) = socket.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head: Vec<u8> = socket.buffer.drain(..end + 4).collect();
                break String::from_utf8(head).unwrap();
            }
            socket.fill().await;
        };
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        socket
    }

    /// Reads more bytes; panics if the platform closed the TCP connection.
    async fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(WAIT, self.tcp.read(&mut chunk))
            .await
            .expect("the platform sent nothing")
            .unwrap();
        assert!(read > 0, "the connection ended without a close frame");
        self.buffer.extend_from_slice(&chunk[..read]);
    }

    /// The next whole frame from the platform (which never masks): (opcode, payload).
    async fn frame(&mut self) -> (u8, Vec<u8>) {
        loop {
            if let Some((opcode, start, len)) = header(&self.buffer) {
                if self.buffer.len() >= start + len {
                    let frame: Vec<u8> = self.buffer.drain(..start + len).collect();
                    return (opcode, frame[start..].to_vec());
                }
            }
            self.fill().await;
        }
    }

    /// Frames until the close frame: (texts before it, close code, close reason).
    async fn until_close(&mut self) -> (Vec<String>, u16, String) {
        let mut texts = Vec::new();
        loop {
            match self.frame().await {
                (0x1, payload) => texts.push(String::from_utf8(payload).unwrap()),
                (0x8, payload) => {
                    assert!(payload.len() >= 2, "a close frame without a code");
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    let reason = String::from_utf8(payload[2..].to_vec()).unwrap();
                    return (texts, code, reason);
                }
                _ => {}
            }
        }
    }
}

/// Parses a server frame header: (opcode, payload start, payload length), if complete.
fn header(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let (&first, &second) = (bytes.first()?, bytes.get(1)?);
    assert_eq!(second & 0x80, 0, "the platform masked a frame");
    let (start, len) = match second & 0x7f {
        126 => (
            4,
            usize::from(u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?])),
        ),
        127 => {
            let bytes: [u8; 8] = bytes.get(2..10)?.try_into().unwrap();
            (10, usize::try_from(u64::from_be_bytes(bytes)).unwrap())
        }
        short => (2, usize::from(short)),
    };
    Some((first & 0x0f, start, len))
}

/// A client frame header (masked, as RFC 6455 requires of clients) for `len` payload bytes.
fn client_header(fin: bool, opcode: u8, len: usize) -> Vec<u8> {
    let mut header = vec![if fin { 0x80 } else { 0 } | opcode];
    match len {
        0..=125 => header.push(0x80 | len as u8),
        126..=65535 => {
            header.push(0x80 | 126);
            header.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            header.push(0x80 | 127);
            header.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    header.extend_from_slice(&[0, 0, 0, 0]); // The mask key: zero keeps the payload readable.
    header
}

fn assert_refused_as_too_large(texts: &[String], code: u16, reason: &str) {
    assert_eq!(code, 1009, "close code; reason {reason:?}");
    assert!(reason.contains("frame too large"), "{reason:?}");
    assert!(
        texts
            .iter()
            .any(|text| text.contains("\"error\"") && text.contains("frame_too_large")),
        "an error message says why before the close: {texts:?}"
    );
}

#[tokio::test]
async fn a_frame_declaring_more_than_the_limit_is_refused_with_1009_before_its_payload() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut socket = RawSocket::connect(&harness, &token).await;
    // Only the header: the platform must refuse on the declared length, not after buffering
    // a megabyte (the payload never comes).
    let header = client_header(true, 0x1, MAX_FRAME_BYTES + 1);
    socket.tcp.write_all(&header).await.unwrap();
    let (texts, code, reason) = socket.until_close().await;
    assert_refused_as_too_large(&texts, code, &reason);
    harness.platform.shutdown().await;
}

#[tokio::test]
async fn a_message_over_the_limit_in_small_fragments_is_refused_with_1009() {
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut socket = RawSocket::connect(&harness, &token).await;
    // Two fragments, each under the limit, together over it.
    let half = MAX_FRAME_BYTES / 2 + 1;
    let mut bytes = client_header(false, 0x1, half);
    bytes.extend(std::iter::repeat_n(b' ', half));
    bytes.extend(client_header(true, 0x0, half));
    bytes.extend(std::iter::repeat_n(b' ', half));
    socket.tcp.write_all(&bytes).await.unwrap();
    let (texts, code, reason) = socket.until_close().await;
    assert_refused_as_too_large(&texts, code, &reason);
    harness.platform.shutdown().await;
}

/// A masked client text frame.
fn client_text(text: &str) -> Vec<u8> {
    let mut frame = client_header(true, 0x1, text.len());
    frame.extend_from_slice(text.as_bytes());
    frame
}

#[tokio::test]
async fn a_flood_is_refused_with_rate_limited_and_a_client_that_keeps_on_is_closed_with_1008() {
    use platform::http::frame_budget::{BURST, REFUSALS_BEFORE_CLOSE};
    let harness = Harness::start().await;
    let (_, token) = harness.agent("alice", Role::Agent, None).await;
    let mut socket = RawSocket::connect(&harness, &token).await;
    // Far more pings than the burst, then a request: written at once, as a flood would be.
    let mut flood = Vec::new();
    let pings = BURST + REFUSALS_BEFORE_CLOSE + 50;
    for n in 0..BURST + 20 {
        flood.extend(client_text(&format!(
            r#"{{"v":1,"type":"ping","ping_id":{n}}}"#
        )));
    }
    flood.extend(client_text(
        r#"{"v":1,"type":"set_presence","request_id":"flooded-1","presence":"away"}"#,
    ));
    for n in BURST + 20..pings {
        flood.extend(client_text(&format!(
            r#"{{"v":1,"type":"ping","ping_id":{n}}}"#
        )));
    }
    socket.tcp.write_all(&flood).await.unwrap();
    let (texts, code, reason) = socket.until_close().await;

    assert_eq!(code, 1008, "close code; reason {reason:?}");
    assert!(reason.contains("rate limited"), "{reason:?}");
    let pongs = texts
        .iter()
        .filter(|t| t.contains(r#""type":"pong""#))
        .count();
    assert!(
        pongs >= BURST as usize && pongs < (BURST + REFUSALS_BEFORE_CLOSE) as usize,
        "the burst is answered, the flood is not: {pongs} pongs"
    );
    let refused = texts
        .iter()
        .filter(|t| t.contains("rate_limited") && t.contains("retry_at"))
        .count();
    // Said once per run of refusals (and for the request), not once per frame: telling a
    // flood about every frame would fill the client's queue instead.
    assert!(
        (1..20).contains(&refused),
        "refusals say rate_limited and when to retry, once per run: {refused} in {texts:?}"
    );
    // The request over the budget got its own reply (so the app's pending request ends).
    assert!(
        texts
            .iter()
            .any(|t| t.contains(r#""request_id":"flooded-1""#) && t.contains("rate_limited")),
        "the flooded request is answered: {texts:?}"
    );
    harness.platform.shutdown().await;
}
