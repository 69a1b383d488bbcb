//! Why signaling failed or refused something.

use std::time::Duration;

use protocol::{DecodeError, EncodeError};

/// Every failure says why; none of these come from a panic.
#[derive(Debug, thiserror::Error)]
pub enum SignalingError {
    #[error("the agent token cannot be sent in an HTTP header (it must be printable ASCII)")]
    BadToken,
    #[error("the platform refused the agent token (HTTP 401): check --token")]
    Unauthorized,
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The platform's certificate is not trusted (unknown issuer, expired, wrong name…): not
    /// a network problem, and retrying will not fix it until the certificate or the trust does.
    #[error("the platform's certificate at {url} is not trusted: {reason}")]
    Certificate { url: String, reason: String },
    #[error("no answer from {url} within {after:?} (connect, TLS and WebSocket handshake)")]
    ConnectTimeout { url: String, after: Duration },
    /// The platform address or the TLS setup can never work.
    #[error(transparent)]
    Link(#[from] crate::transport::LinkError),
    #[error("the platform sent a frame that could not be decoded: {0}")]
    Decode(#[from] DecodeError),
    #[error("the platform sent a binary frame; only JSON text frames are part of the protocol")]
    BinaryFrame,
    #[error("{0}")]
    Encode(#[from] EncodeError),
    #[error("not connected to the platform (reconnecting); the request was not sent")]
    NotConnected,
    #[error("no frame from the platform for {0:?}; connection considered dead")]
    HeartbeatTimeout(Duration),
    #[error("the platform closed the connection{0}")]
    Closed(String),
    #[error("connection lost: {0}")]
    Transport(String),
    #[error("reconnect requested")]
    ReconnectRequested,
    #[error("the signaling client was shut down")]
    Shutdown,
}
