//! Meta's timestamps.
//!
//! Webhooks carry times as *strings* of unix seconds (`"timestamp": "1671644824"`), while a few Graph
//! responses use integers (`expiration_time`). [`UnixTimestamp`] keeps the raw text (so a placeholder
//! such as Meta's `"{timestamp}"` does not make a whole webhook unreadable) and checks it only when a
//! typed value is asked for. [`lenient_u64`] reads integer fields that some senders quote.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a timestamp could not be read as unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("timestamp {raw:?} is not a whole number of unix seconds")]
pub struct TimestampError {
    /// The text that was received.
    pub raw: String,
}

/// A unix-seconds timestamp as Meta writes it: a JSON string (numbers are accepted on input).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnixTimestamp(String);

impl UnixTimestamp {
    /// A timestamp for the given unix seconds.
    pub fn from_secs(secs: u64) -> Self {
        Self(secs.to_string())
    }

    /// The current time, truncated to whole seconds.
    pub fn now() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0);
        Self::from_secs(secs)
    }

    /// The text exactly as received.
    pub fn raw(&self) -> &str {
        &self.0
    }

    /// Unix seconds, or why the text is not a timestamp.
    pub fn secs(&self) -> Result<u64, TimestampError> {
        self.0.trim().parse::<u64>().map_err(|_| TimestampError {
            raw: self.0.clone(),
        })
    }

    /// The instant this timestamp names; an error, not a panic, when it is past what
    /// `SystemTime` can hold (`UNIX_EPOCH + Duration` panics on overflow).
    pub fn system_time(&self) -> Result<SystemTime, TimestampError> {
        UNIX_EPOCH
            .checked_add(Duration::from_secs(self.secs()?))
            .ok_or_else(|| TimestampError {
                raw: self.0.clone(),
            })
    }
}

impl From<u64> for UnixTimestamp {
    fn from(secs: u64) -> Self {
        Self::from_secs(secs)
    }
}

impl fmt::Display for UnixTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for UnixTimestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    Text(String),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

impl<'de> Deserialize<'de> for UnixTimestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match StringOrNumber::deserialize(deserializer)? {
            StringOrNumber::Text(text) => Self(text),
            StringOrNumber::Unsigned(secs) => Self(secs.to_string()),
            StringOrNumber::Signed(secs) => Self(secs.to_string()),
            StringOrNumber::Float(secs) => Self(secs.to_string()),
        })
    }
}

/// Serde helpers for integer fields (durations, `expiration_time`) that some senders quote:
/// accepts `120` or `"120"`, emits `120`.
pub mod lenient_u64 {
    use super::StringOrNumber;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    fn convert<E: Error>(value: StringOrNumber) -> Result<u64, E> {
        match value {
            StringOrNumber::Unsigned(n) => Ok(n),
            StringOrNumber::Text(text) => text
                .trim()
                .parse()
                .map_err(|_| E::custom(format!("expected unsigned integer, got {text:?}"))),
            StringOrNumber::Signed(n) => {
                Err(E::custom(format!("expected unsigned integer, got {n}")))
            }
            StringOrNumber::Float(n) => {
                Err(E::custom(format!("expected unsigned integer, got {n}")))
            }
        }
    }

    /// Serializes as a JSON number.
    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(*value)
    }

    /// Accepts a number or a numeric string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        convert(StringOrNumber::deserialize(deserializer)?)
    }

    /// The same for `Option<u64>` fields (use with `#[serde(default)]`).
    pub mod option {
        use super::{convert, StringOrNumber};
        use serde::{Deserialize, Deserializer, Serializer};

        /// Serializes as a JSON number (callers skip `None`).
        pub fn serialize<S: Serializer>(
            value: &Option<u64>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match value {
                Some(n) => serializer.serialize_u64(*n),
                None => serializer.serialize_none(),
            }
        }

        /// Accepts null, a number or a numeric string.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<u64>, D::Error> {
            match Option::<StringOrNumber>::deserialize(deserializer)? {
                Some(value) => convert(value).map(Some),
                None => Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_meta_string_timestamps_and_numbers() {
        let from_text: UnixTimestamp = serde_json::from_str("\"1671644824\"").unwrap();
        let from_number: UnixTimestamp = serde_json::from_str("1671644824").unwrap();
        assert_eq!(from_text.secs().unwrap(), 1_671_644_824);
        assert_eq!(from_text, from_number);
        assert_eq!(
            serde_json::to_string(&from_number).unwrap(),
            "\"1671644824\""
        );
    }

    #[test]
    fn placeholder_parses_but_refuses_typed_access() {
        let placeholder: UnixTimestamp = serde_json::from_str("\"{timestamp}\"").unwrap();
        let refusal = placeholder.secs().unwrap_err();
        assert_eq!(refusal.raw, "{timestamp}");
        assert!(refusal.to_string().contains("not a whole number"));
    }

    /// A webhook timestamp of u64::MAX seconds parses as seconds but is no `SystemTime`: it
    /// panicked (overflow when adding duration to instant) instead of refusing.
    #[test]
    fn system_time_refuses_seconds_past_what_the_clock_holds() {
        let huge: UnixTimestamp = serde_json::from_str("\"18446744073709551615\"").unwrap();
        assert_eq!(huge.secs(), Ok(u64::MAX));
        assert_eq!(
            huge.system_time(),
            Err(TimestampError {
                raw: "18446744073709551615".into()
            })
        );
    }

    #[test]
    fn system_time_matches_seconds() {
        let stamp = UnixTimestamp::from_secs(10);
        assert_eq!(
            stamp.system_time().unwrap(),
            UNIX_EPOCH + Duration::from_secs(10)
        );
    }
}
