//! The agent⇄platform protocol of Ringdesk: the messages exchanged over the app's WebSocket,
//! and the DTOs of the REST API.
//!
//! # Wire format (version [`PROTOCOL_VERSION`])
//!
//! One WebSocket per signed-in app (`Authorization: Bearer <agent token>`), one JSON object
//! per text frame:
//!
//! ```json
//! {"v":1,"type":"accept_call","request_id":"r-7","call_id":"wacid.ABC","sdp_answer":"v=0..."}
//! ```
//!
//! - `v` is the protocol version; a frame of another version is refused (`unsupported_version`).
//!   Adding a field with a default, an error code or an enum value keeps the version;
//!   anything else bumps it (docs/adr/0006-protocol.md).
//! - `type` selects the message: [`ClientMessage`] from the app, [`ServerMessage`] from the
//!   platform.
//! - Every app request carries a `request_id` and gets exactly one `reply` with it,
//!   `outcome: "ok"` or `outcome: "error"` with a stable [`ErrorCode`] and a human message.
//! - Heartbeat: the app sends `ping` (numbered) every [`HEARTBEAT_INTERVAL_SECS`], the platform
//!   answers `pong` with the same number; each side treats [`HEARTBEAT_TIMEOUT_SECS`] of
//!   silence as a dead connection.
//! - The first platform message on every connection is `hello`, a full snapshot, so a
//!   reconnect needs no replay.
//! - The platform may end a connection with a WebSocket close code and reason: 1008 when the
//!   app does not read what it is sent ("too slow reading") or its token was revoked ("token
//!   revoked", after an `unauthorized` error), 1009 for a frame or message over
//!   [`MAX_FRAME_BYTES`] ("frame too large", after a `frame_too_large` error).
//!
//! Decoding ([`decode_client`], [`decode_server`]) never panics; bad input gives a
//! [`DecodeError`] that says what was wrong.
//!
//! # TypeScript
//!
//! Every type derives `ts_rs::TS`; `tests/typescript.rs` keeps `ui/src/backend/generated/` equal
//! to what these types generate (`RINGDESK_WRITE_TS=1 cargo test -p protocol --test typescript`
//! rewrites it).

mod client;
mod codec;
mod domain;
mod error;
mod ids;
mod quality;
pub mod rest;
mod server;
mod team;

pub use client::{
    AcceptCall, ClientMessage, Hangup, MediaReady, Ping, PlaceCall, RejectCall, ReportCallQuality,
    RequestPermission, SendText, SetPresence,
};
pub use codec::{
    decode, decode_client, decode_server, encode, DecodeError, EncodeError, WireMessage,
    MAX_FRAME_BYTES,
};
pub use domain::{
    BusinessNumber, CallStatus, Channel, Customer, Direction, Party, Presence, RingAttempt,
    RingOutcome, RoutedBecause,
};
pub use error::{ErrorCode, ProtocolError};
pub use ids::{
    AgentId, CallId, ConversationId, MessageText, PhoneNumber, PingId, RecordingId, RequestId, Sdp,
    ValueError, MAX_ID_BYTES, MAX_SDP_BYTES, MAX_TEXT_CHARS,
};
pub use quality::{CallQuality, QualityWarning};
pub use server::{
    ActiveCall, ActivePhase, AgentProfile, CallCancelled, CallState, CallUpdate, CancelReason,
    ConversationUpdated, Hello, IceServer, IncomingCall, PermissionChanged, Pong, RemoteAnswer,
    Reply, ReplyResult, ServerMessage, StartMedia,
};
pub use team::{TeamCall, TeamCallPhase, TeamMember, TeamStatus};

/// An instant, UTC, RFC 3339 on the wire (`"2026-11-22T10:00:00Z"`).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// The version this crate speaks, carried as `v` in every frame.
pub const PROTOCOL_VERSION: u32 = 1;

/// How often the app pings (also sent in `hello`, which wins).
pub const HEARTBEAT_INTERVAL_SECS: u32 = 15;

/// Silence after which either side considers the connection dead: the app reconnects, the
/// platform closes the socket (ringing calls move on to the next agent).
pub const HEARTBEAT_TIMEOUT_SECS: u32 = 45;
