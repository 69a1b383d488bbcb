//! Why signaling failed or refused something.

use std::time::Duration;

use protocol::{DecodeError, EncodeError};

/// Every failure says why; none of these come from a panic.
#[derive(Debug, thiserror::Error)]
pub enum SignalingError {
    #[error("platform URL {url:?} is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("the agent token cannot be sent in an HTTP header (it must be printable ASCII)")]
    BadToken,
    #[error("the platform refused the agent token (HTTP 401): check --token")]
    Unauthorized,
    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },
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
