//! Graph API bodies: the responses the platform's client parses from Meta (error, connect,
//! success, call permissions, settings, messages) and the requests wa-sim parses from the platform
//! (call actions, settings updates, messages). The first byte picks the type, the rest is the body.
//!
//! Asserts, for every body that parses as its type:
//! - the accessors the client and wa-sim call return without panicking (`http_status`,
//!   `details`, `call_id`, `effective_action`, `target`, permission actions, call-hours minutes);
//! - re-serialising gives a body that parses back equal, and serialises to the same bytes again;
//! - call-hours times: `parse_hhmm` accepts only minutes within a day, and
//!   `parse_hhmm(format_hhmm(m)) == m`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use whatsapp::graph::{
    format_hhmm, parse_hhmm, CallActionRequest, CallPermissionsResponse, CallingSettings,
    ConnectResponse, GraphErrorBody, MessagesResponse, OutboundMessage, SettingsResponse,
    SettingsUpdate, SuccessResponse,
};

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    match selector % 9 {
        0 => {
            if let Some(error) = round_trip::<GraphErrorBody>(body) {
                let _ = error.error.http_status();
                let _ = error.error.details();
                let _ = error.error.to_string();
            }
        }
        1 => {
            if let Some(response) = round_trip::<ConnectResponse>(body) {
                let _ = response.call_id();
            }
        }
        2 => {
            round_trip::<SuccessResponse>(body);
        }
        3 => {
            if let Some(response) = round_trip::<CallPermissionsResponse>(body) {
                for action in &response.actions {
                    let _ = response.action(&action.action_name);
                }
            }
        }
        4 => {
            if let Some(response) = round_trip::<SettingsResponse>(body) {
                if let Some(calling) = &response.calling {
                    call_hours(calling);
                }
            }
        }
        5 => {
            round_trip::<MessagesResponse>(body);
        }
        6 => {
            if let Some(request) = round_trip::<CallActionRequest>(body) {
                let _ = request.effective_action();
                let _ = request.target();
            }
        }
        7 => {
            if let Some(update) = round_trip::<SettingsUpdate>(body) {
                call_hours(&update.calling);
            }
        }
        _ => {
            round_trip::<OutboundMessage>(body);
        }
    }
    if let Ok(text) = std::str::from_utf8(body) {
        hhmm(text);
    }
});

/// Parses `body` as `T`; if it parses, checks the serialisation round trip and returns it.
fn round_trip<T>(body: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let parsed: T = serde_json::from_slice(body).ok()?;
    let written = serde_json::to_vec(&parsed).expect("a parsed body serialises");
    let again: T = serde_json::from_slice(&written).expect("our own output parses");
    assert_eq!(again, parsed, "round trip changed the body");
    let rewritten = serde_json::to_vec(&again).expect("serialises again");
    assert_eq!(rewritten, written, "serialisation is not stable");
    Some(parsed)
}

fn call_hours(calling: &CallingSettings) {
    let Some(hours) = &calling.call_hours else {
        return;
    };
    for range in &hours.weekly_operating_hours {
        let _ = range.minutes();
    }
}

fn hhmm(text: &str) {
    if let Ok(minutes) = parse_hhmm(text) {
        assert!(minutes < 24 * 60, "{text:?} gave {minutes}");
        assert_eq!(parse_hhmm(&format_hhmm(minutes)), Ok(minutes));
    }
}
