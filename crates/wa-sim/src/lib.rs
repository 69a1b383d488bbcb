//! `wa-sim`: a stand-in for Meta's WhatsApp Cloud API calling (Graph API + signed webhooks) and
//! for the customer's phone (real WebRTC and Opus). Design: `docs/adr/0004-wa-sim.md`.
//!
//! Layout: [`rules`] is the pure core (Meta's rules over injected time), [`clock`] the time source,
//! [`webhook`] turns rule events into signed deliveries, [`http`] is the thin axum driver (Graph API
//! and the `/_sim` control API), [`sim`] glues them together, [`device`] is the seam to the
//! customer's phone ([`phone_device`] adapts the WebRTC [`phone`]; [`audio`] measures tones).
//!
//! # Running it
//!
//! ```text
//! wa-sim serve --listen 127.0.0.1:8090 --webhook-url http://127.0.0.1:8080/webhooks/whatsapp \
//!     --app-secret S --access-token T --phone-number-id 100000000000001 \
//!     --display-phone-number 15550109999 [--manual-clock] [--no-media] [--verify-token V]
//! wa-sim call --sim http://127.0.0.1:8090 --from 15550100001 --name Ana --tone 440
//! wa-sim state CALL_ID            # state, duration, heard audio (RMS dBFS, dominant Hz)
//! wa-sim hangup CALL_ID | answer CALL_ID | reject CALL_ID
//! wa-sim text --from N "hello"    # opens the customer service window
//! wa-sim permission-reply --from N accept-temporary|accept-permanent|reject
//! wa-sim advance-clock --days 1   # only with --manual-clock
//! ```
//!
//! The Graph API is served at `/{version}/{phone_number_id}/{calls,messages,call_permissions,
//! settings}`. The control API (JSON) is under `/_sim`: `POST /calls`, `GET /calls`,
//! `GET /calls/{id}`, `POST /calls/{id}/{hangup,answer,reject}`, `POST /messages`,
//! `POST /permission-replies`, `GET /clock`, `POST /clock/advance`, `GET|PUT /quirks`,
//! `GET /webhooks` (delivery log), `POST /verify-webhook`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod audio;
pub mod clock;
pub mod device;
pub mod http;
pub mod phone;
pub mod phone_device;
pub mod rules;
pub mod server;
pub mod sim;
pub mod webhook;

pub use sim::{SimConfig, Simulator};
