//! The I/O half of TURN over TCP/TLS: a loopback UDP socket webrtc-rs talks TURN to, one
//! stream to the real server per webrtc-rs socket (TURN allocations belong to a transport
//! connection, RFC 8656 §2.1), datagrams framed by [`super::framing`].
//!
//! Lifetime: the bridge's tasks end when the [`StreamBridge`] is dropped (with the session),
//! or, per stream, when the server closes it or a write fails; the next datagram from that
//! socket then opens a new stream (webrtc-rs re-allocates when its allocation is lost).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::framing::{self, Deframer};

/// A TCP connect or TLS handshake to the TURN server is given up after this.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// webrtc-rs opens one TURN client per local socket; more sources than this are not ours.
const MAX_STREAMS: usize = 8;
/// Datagrams waiting for a stream that is still connecting (then dropped: UDP semantics).
const QUEUE: usize = 256;

/// Where the real TURN server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTarget {
    pub host: String,
    pub port: u16,
    /// `turns:`: TLS over the TCP connection, the server's name verified.
    pub tls: bool,
}

impl std::fmt::Display for StreamTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls { "turns" } else { "turn" };
        write!(f, "{scheme}:{}:{}?transport=tcp", self.host, self.port)
    }
}

/// A running bridge; dropping it stops it.
pub struct StreamBridge {
    local: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for StreamBridge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StreamBridge {
    /// Bind the UDP side on `ip` (port chosen by the system) and start forwarding.
    pub async fn start(
        target: StreamTarget,
        ip: IpAddr,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> io::Result<Self> {
        let socket = Arc::new(UdpSocket::bind((ip, 0)).await?);
        let local = socket.local_addr()?;
        let task = tokio::spawn(relay_datagrams(socket, Arc::new(Connector { target, tls })));
        Ok(Self { local, task })
    }

    /// The address webrtc-rs uses as its TURN server.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

struct Connector {
    target: StreamTarget,
    tls: Option<Arc<rustls::ClientConfig>>,
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

impl Connector {
    async fn connect(&self) -> io::Result<Box<dyn Stream>> {
        let address = (self.target.host.as_str(), self.target.port);
        let tcp = TcpStream::connect(address).await?;
        tcp.set_nodelay(true)?;
        if !self.target.tls {
            return Ok(Box::new(tcp));
        }
        let config = self.tls.clone().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "turns: without a TLS configuration",
            )
        })?;
        let name = rustls::pki_types::ServerName::try_from(self.target.host.clone())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await?;
        Ok(Box::new(tls))
    }
}

/// The UDP side: each datagram goes to the stream of the socket it came from.
async fn relay_datagrams(socket: Arc<UdpSocket>, connector: Arc<Connector>) {
    let mut streams: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>> = HashMap::new();
    let mut buffer = vec![0u8; 65_536];
    loop {
        let (len, from) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            // e.g. ICMP port unreachable reported on the next receive: not fatal for UDP.
            Err(e) => {
                tracing::debug!(error = %e, "TURN bridge receive");
                continue;
            }
        };
        let frame = match framing::to_stream(&buffer[..len]) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::debug!(error = %e, %from, "TURN bridge dropped a datagram");
                continue;
            }
        };
        streams.retain(|_, tx| !tx.is_closed());
        if !streams.contains_key(&from) && streams.len() >= MAX_STREAMS {
            tracing::warn!(%from, "TURN bridge: too many sockets, datagram dropped");
            continue;
        }
        let tx = streams.entry(from).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(carry(socket.clone(), from, connector.clone(), rx));
            tx
        });
        if tx.try_send(frame).is_err() {
            tracing::debug!(%from, "TURN bridge queue full, datagram dropped");
        }
    }
}

/// One stream: connect, then copy both ways until either side ends.
async fn carry(
    socket: Arc<UdpSocket>,
    peer: SocketAddr,
    connector: Arc<Connector>,
    mut frames: mpsc::Receiver<Vec<u8>>,
) {
    let target = &connector.target;
    let stream = match tokio::time::timeout(CONNECT_TIMEOUT, connector.connect()).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            tracing::warn!(server = %target, error = %e, "TURN server unreachable");
            return;
        }
        Err(_) => {
            tracing::warn!(server = %target, timeout = ?CONNECT_TIMEOUT, "TURN server did not answer");
            return;
        }
    };
    tracing::debug!(server = %target, %peer, "TURN stream open");
    let (mut read, mut write) = tokio::io::split(stream);
    let upstream = async {
        while let Some(frame) = frames.recv().await {
            write.write_all(&frame).await?;
        }
        io::Result::Ok(())
    };
    let downstream = async {
        let mut deframer = Deframer::default();
        let mut buffer = vec![0u8; 16_384];
        loop {
            let len = read.read(&mut buffer).await?;
            if len == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the stream",
                ));
            }
            deframer.push(&buffer[..len]);
            while let Some(datagram) = deframer
                .next_datagram()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            {
                socket.send_to(&datagram, peer).await?;
            }
        }
    };
    let ended = tokio::select! {
        r = upstream => r,
        r = downstream => r,
    };
    // Close the queue before the stream: a datagram sent once the server sees the stream end
    // must find this stream gone and open a new one, not vanish into a dead queue.
    drop(frames);
    if let Err(e) = ended {
        tracing::info!(server = %target, error = %e, "TURN stream ended");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn stun(tag: u8) -> Vec<u8> {
        let mut m = vec![0x00, 0x01, 0x00, 0x04];
        m.extend_from_slice(&0x2112_A442u32.to_be_bytes());
        m.extend_from_slice(&[tag; 12]);
        m.extend_from_slice(&[tag; 4]);
        m
    }

    async fn bridge_to(listener: &TcpListener) -> StreamBridge {
        let port = listener.local_addr().unwrap().port();
        let target = StreamTarget {
            host: "127.0.0.1".into(),
            port,
            tls: false,
        };
        StreamBridge::start(target, IpAddr::from([127, 0, 0, 1]), None)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn datagrams_cross_the_stream_both_ways_byte_for_byte() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bridge = bridge_to(&server).await;
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(&stun(1), bridge.local_addr()).await.unwrap();

        let (mut conn, _) = server.accept().await.unwrap();
        let mut got = vec![0u8; 24];
        conn.read_exact(&mut got).await.unwrap();
        assert_eq!(
            got,
            stun(1),
            "the STUN request arrives on the stream unchanged"
        );

        // The server answers with a STUN response and a padded ChannelData, in one write.
        let mut reply = stun(2);
        reply.extend_from_slice(&[0x40, 0x00, 0x00, 0x03, 9, 8, 7, 0]);
        conn.write_all(&reply).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, from) = client.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&stun(2)[..], bridge.local_addr()));
        let (n, _) = client.recv_from(&mut buf).await.unwrap();
        assert_eq!(
            &buf[..n],
            &[0x40, 0x00, 0x00, 0x03, 9, 8, 7],
            "padding removed"
        );
    }

    #[tokio::test]
    async fn each_webrtc_socket_gets_its_own_stream() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bridge = bridge_to(&server).await;
        let (a, b) = (
            UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            UdpSocket::bind("127.0.0.1:0").await.unwrap(),
        );
        a.send_to(&stun(1), bridge.local_addr()).await.unwrap();
        let (mut first, _) = server.accept().await.unwrap();
        b.send_to(&stun(2), bridge.local_addr()).await.unwrap();
        let (mut second, _) = server.accept().await.unwrap();
        let mut got = vec![0u8; 24];
        first.read_exact(&mut got).await.unwrap();
        assert_eq!(got, stun(1));
        second.read_exact(&mut got).await.unwrap();
        assert_eq!(got, stun(2));
        // Answers go back to the socket whose stream they came on.
        second.write_all(&stun(3)).await.unwrap();
        let mut buf = [0u8; 64];
        let (n, _) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &stun(3)[..]);
    }

    #[tokio::test]
    async fn what_is_not_turn_never_reaches_the_server() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bridge = bridge_to(&server).await;
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client
            .send_to(&[0x80, 0x6f, 0, 1], bridge.local_addr())
            .await
            .unwrap();
        client.send_to(&stun(5), bridge.local_addr()).await.unwrap();
        let (mut conn, _) = server.accept().await.unwrap();
        let mut got = vec![0u8; 24];
        conn.read_exact(&mut got).await.unwrap();
        assert_eq!(
            got,
            stun(5),
            "the RTP-looking datagram was dropped, the STUN one passed"
        );
    }

    #[tokio::test]
    async fn a_server_that_breaks_framing_loses_its_stream_and_a_new_one_opens() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bridge = bridge_to(&server).await;
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.send_to(&stun(1), bridge.local_addr()).await.unwrap();
        let (mut conn, _) = server.accept().await.unwrap();
        conn.write_all(&[0xC0, 0, 0, 0]).await.unwrap();
        // The bridge closes the corrupt stream...
        let mut rest = Vec::new();
        let mut drain = [0u8; 64];
        loop {
            match conn.read(&mut drain).await {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&drain[..n]),
            }
        }
        // ...and the next datagram opens a new one.
        client.send_to(&stun(2), bridge.local_addr()).await.unwrap();
        let (mut again, _) = server.accept().await.unwrap();
        let mut got = vec![0u8; 24];
        again.read_exact(&mut got).await.unwrap();
        assert_eq!(got, stun(2));
    }
}
