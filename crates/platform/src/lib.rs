//! The Ringdesk platform: the contact-center server between Meta's Calling API and the
//! agents' desktop apps. It receives Meta's webhooks, routes calls to agents, enforces
//! WhatsApp's call-permission rules and limits, keeps call records, and serves the agents'
//! WebSockets and the REST API.
//!
//! The decisions are pure cores over a snapshot and an injected clock, with no I/O, unit-tested
//! on virtual time: [`routing`] (who rings for a customer's call, and in which order) and
//! [`permissions`] (may an agent call this customer, or ask for permission). The server
//! modules drive them.

pub mod calls;
pub mod cli;
pub mod config;
pub mod conversation_view;
pub mod graph;
pub mod history;
pub mod http;
pub mod inbox;
pub mod kpis;
pub mod numbers;
pub mod sdp_rules;
pub mod server;
pub mod store;
pub mod supervise;
pub mod switchboard;

pub mod permissions;
pub mod recordings;
pub mod routing;
