//! # whatsapp — Meta's Cloud API calling model
//!
//! This crate owns everything about talking to Meta's WhatsApp Cloud API for voice calls, as
//! documented in `shared/reference/meta-calling-api.md`:
//!
//! - [`webhook`]: typed webhooks (envelope, `calls[]` connect/terminate, `statuses[]`,
//!   `messages[]` with `call_permission_reply`, `errors[]`), with constructors for the simulator.
//! - [`graph`]: typed Graph requests and responses (`/calls`, `/messages`, `/call_permissions`,
//!   `/settings`) and Meta's error object.
//! - [`error_code`]: Meta's calling error codes with their meaning.
//! - [`signature`] and [`verification`]: `X-Hub-Signature-256` and the `hub.*` GET handshake.
//! - [`sdp`]: Meta's SDP rules — parse, validate (every violation reported), shape.
//! - [`client`]: the only I/O here — an HTTP client for the Graph API (feature `client`, on by
//!   default).
//!
//! Everything but [`client`] is pure: no sockets, no clocks except [`UnixTimestamp::now`].
//!
//! Modelling rules (see `docs/adr/0002-whatsapp-model.md`): unknown fields are ignored, unknown
//! enum values are kept (`Unknown(String)`), enums parse case-insensitively and emit the
//! documented spelling; where the reference is UNCERTAIN both variants are read and the documented
//! one is written.

mod wire_enum;

#[cfg(feature = "client")]
pub mod client;
pub mod error_code;
pub mod graph;
pub mod sdp;
pub mod session;
pub mod signature;
pub mod timestamp;
pub mod verification;
pub mod webhook;

pub use error_code::MetaErrorCode;
pub use session::{SdpType, Session};
pub use signature::{sign_body, verify_signature, SignatureError, SIGNATURE_HEADER};
pub use timestamp::{TimestampError, UnixTimestamp};
pub use verification::{verify_subscription, VerificationRefusal};
