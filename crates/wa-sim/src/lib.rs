//! `wa-sim`: a stand-in for Meta's WhatsApp Cloud API calling (Graph API + signed webhooks) and
//! for the customer's phone.
//!
//! Layout: [`rules`] is the pure core (Meta's rules over injected time), [`clock`] the time source,
//! [`webhook`] turns rule events into signed deliveries, [`http`] is the thin axum driver (Graph API
//! and the `/_sim` control API), [`device`] the seam to the customer's phone.
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
