//! Integration tests of `ringdesk-platform`: real HTTP and real WebSockets against the server
//! started in-process, with a fake Graph API. One test binary (modules below) keeps linking
//! cheap.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod admin;
mod api;
mod assignment;
mod batch;
mod calls;
mod cli;
mod durability;
mod faults;
mod history;
mod kpis;
mod log_pipe;
mod numbers;
mod permissions;
mod quality;
mod recordings;
mod restart;
mod ring_sequence;
mod routing_config;
mod serve_lock;
mod sigkill;
mod team;
mod webhook;
mod ws_frame_limit;
mod ws_revocation;
mod ws_slow_reader;
