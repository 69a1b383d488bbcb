//! Webhooks: rule events rendered as Meta's JSON, signed, and delivered with retries.

pub mod delivery;
pub mod payload;
pub mod verify;

pub use delivery::{DeliveryConfig, DeliveryLog, DeliveryRecord, WebhookSender};
pub use payload::{render, BusinessNumber};
