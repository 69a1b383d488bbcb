//! Stores protocol enums as their wire names (`"on_call"`, `"timed_out"`), so the database reads
//! like the API, and reads them back with a typed error.

use serde::{de::DeserializeOwned, Serialize};

use super::StoreError;

/// The snake_case wire name of a unit enum value.
pub fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        // Only unit variants are stored; anything else is a programming error caught by tests.
        other => format!("{other:?}"),
    }
}

/// Parses a stored wire name back into the enum.
pub fn parse<T: DeserializeOwned>(column: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|error| {
        StoreError::Corrupt {
            column,
            value: text.to_owned(),
            reason: error.to_string(),
        }
    })
}

/// Unix milliseconds to the protocol's timestamp.
pub fn timestamp(ms: i64) -> protocol::Timestamp {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The protocol's timestamp to unix milliseconds.
pub fn millis(at: protocol::Timestamp) -> i64 {
    at.timestamp_millis()
}
