//! The app's WebSocket to the platform (`GET /ws`, `Authorization: Bearer <agent token>`).
//!
//! [`SignalingClient::start`] runs one background task that keeps a connection up for the
//! life of the client:
//!
//! - every connection starts with the platform's `hello` snapshot, reported as
//!   [`SignalingEvent::Connected`] — after a reconnect it restores ringing and active calls,
//!   so nothing needs replaying;
//! - heartbeats: a `ping` every `hello.heartbeat_interval_secs`; any frame counts as life,
//!   and [`protocol::HEARTBEAT_TIMEOUT_SECS`] of silence drops the connection;
//! - on any loss the client reconnects after a jittered exponential [`Backoff`] delay, or at
//!   once on [`SignalingClient::reconnect_now`] (wake from sleep, network change);
//! - a frame that cannot be decoded is reported as [`SignalingEvent::BadMessage`] with the
//!   typed reason; the connection stays up.
//!
//! Media does not depend on this: a call's media session keeps running while signaling is
//! down.

mod backoff;
mod client;
mod connection;
mod error;

pub use backoff::Backoff;
pub use client::{SignalingClient, SignalingConfig, SignalingEvent};
pub use error::SignalingError;
