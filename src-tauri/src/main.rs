//! The `ringdesk` binary: everything lives in the library so tests can reach the UI seam.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    ringdesk_app::run();
}
