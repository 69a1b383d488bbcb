//! Support for the real-window test (tests/window.rs).

pub mod processes;
pub mod webdriver;
