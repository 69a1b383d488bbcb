//! Shared helpers for the conformance tests.

use std::fmt::Debug;

use serde::{de::DeserializeOwned, Serialize};

/// Parses `text`, serializes the result, parses that again, and checks both parses are equal.
pub fn round_trip<T>(text: &str) -> T
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let first: T = serde_json::from_str(text).expect("fixture parses");
    let emitted = serde_json::to_string(&first).expect("serializes");
    let second: T = serde_json::from_str(&emitted).expect("own output parses");
    assert_eq!(
        first, second,
        "round trip changed the value; emitted {emitted}"
    );
    first
}
