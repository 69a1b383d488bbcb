//! Strongly typed identifiers and validated scalar values carried on the wire.
//!
//! Every value here is validated when it is decoded, so a handler that receives a `CallId`
//! never has to ask whether it is empty or 10 MB long. The validation error says why.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Why a wire value was refused while decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("{kind} must not be empty")]
    Empty { kind: &'static str },
    #[error("{kind} is {len} bytes long, the maximum is {max}")]
    TooLong {
        kind: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{kind} may only contain printable ASCII without spaces, found {found:?}")]
    BadCharacter { kind: &'static str, found: char },
    #[error("phone number {value:?} must be 5 to 15 digits, optionally after a leading '+'")]
    BadPhoneNumber { value: String },
    #[error("SDP must start with \"v=0\"")]
    NotSdp,
}

/// Longest accepted identifier. Meta's call ids (`wacid.…`) are about 60 bytes.
pub const MAX_ID_BYTES: usize = 128;

fn validate_id(kind: &'static str, value: &str) -> Result<(), ValueError> {
    if value.is_empty() {
        return Err(ValueError::Empty { kind });
    }
    if value.len() > MAX_ID_BYTES {
        return Err(ValueError::TooLong {
            kind,
            len: value.len(),
            max: MAX_ID_BYTES,
        });
    }
    match value.chars().find(|c| !c.is_ascii_graphic()) {
        Some(found) => Err(ValueError::BadCharacter { kind, found }),
        None => Ok(()),
    }
}

/// Serializes a validated string newtype as a plain string; deserializing runs its `new`,
/// so an invalid value is refused with the [`ValueError`] as the reason.
macro_rules! string_serde {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = String::deserialize(deserializer)?;
                Self::new(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

/// Declares an opaque string identifier: non-empty, at most [`MAX_ID_BYTES`], printable ASCII.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
        #[ts(type = "string")]
        pub struct $name(String);

        string_serde!($name);

        impl $name {
            /// Validates and wraps `value`.
            pub fn new(value: impl Into<String>) -> Result<Self, ValueError> {
                let value = value.into();
                validate_id($kind, &value)?;
                Ok(Self(value))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;
            fn try_from(value: String) -> Result<Self, ValueError> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// An agent (a person who signs in to the desktop app).
    AgentId,
    "agent id"
);
string_id!(
    /// A call. For WhatsApp calls this is Meta's call id (`wacid.…`), so webhooks, records and
    /// the app all speak of the same call by the same name.
    CallId,
    "call id"
);
string_id!(
    /// Chosen by the app for each request; the platform's `reply` carries it back.
    /// The app must not reuse one within a connection.
    RequestId,
    "request id"
);
string_id!(
    /// A conversation: one business number with one customer.
    ConversationId,
    "conversation id"
);
string_id!(
    /// A stored call recording.
    RecordingId,
    "recording id"
);

/// Heartbeat id: the app numbers its pings, the platform's `pong` echoes the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(type = "number")]
pub struct PingId(pub u32);

/// A phone number in WhatsApp's form: 5 to 15 digits, no '+', no separators ("15551234567").
///
/// A leading '+' is accepted on input and dropped, so "+15551234567" and "15551234567" are the
/// same number; it is always emitted without '+'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(type = "string")]
pub struct PhoneNumber(String);

string_serde!(PhoneNumber);

impl PhoneNumber {
    pub fn new(value: impl Into<String>) -> Result<Self, ValueError> {
        let value = value.into();
        let digits = value.strip_prefix('+').unwrap_or(&value);
        let well_formed =
            (5..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        if well_formed {
            Ok(Self(digits.to_owned()))
        } else {
            Err(ValueError::BadPhoneNumber { value })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, ValueError> {
        Self::new(value)
    }
}

impl From<PhoneNumber> for String {
    fn from(number: PhoneNumber) -> String {
        number.0
    }
}

impl std::fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "+{}", self.0)
    }
}

/// Longest accepted SDP. Meta's offers are about 1.5 KB; this leaves room for many candidates.
pub const MAX_SDP_BYTES: usize = 64 * 1024;

/// A session description as text. Only its envelope is checked here (non-empty, starts with
/// `v=0`, bounded); Meta's media rules are checked by the `whatsapp` crate.
#[derive(Debug, Clone, PartialEq, Eq, TS)]
#[ts(type = "string")]
pub struct Sdp(String);

string_serde!(Sdp);

impl Sdp {
    pub fn new(value: impl Into<String>) -> Result<Self, ValueError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValueError::Empty { kind: "SDP" });
        }
        if value.len() > MAX_SDP_BYTES {
            return Err(ValueError::TooLong {
                kind: "SDP",
                len: value.len(),
                max: MAX_SDP_BYTES,
            });
        }
        if !value.starts_with("v=0") {
            return Err(ValueError::NotSdp);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Sdp {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, ValueError> {
        Self::new(value)
    }
}

impl From<Sdp> for String {
    fn from(sdp: Sdp) -> String {
        sdp.0
    }
}

/// WhatsApp's limit on a text message body, in characters.
pub const MAX_TEXT_CHARS: usize = 4096;

/// The body of a text message an agent sends: 1 to [`MAX_TEXT_CHARS`] characters, not only
/// whitespace.
#[derive(Debug, Clone, PartialEq, Eq, TS)]
#[ts(type = "string")]
pub struct MessageText(String);

string_serde!(MessageText);

impl MessageText {
    pub fn new(value: impl Into<String>) -> Result<Self, ValueError> {
        let value = value.into();
        if value.trim().is_empty() {
            return Err(ValueError::Empty {
                kind: "message text",
            });
        }
        let chars = value.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(ValueError::TooLong {
                kind: "message text",
                len: chars,
                max: MAX_TEXT_CHARS,
            });
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MessageText {
    type Error = ValueError;
    fn try_from(value: String) -> Result<Self, ValueError> {
        Self::new(value)
    }
}

impl From<MessageText> for String {
    fn from(text: MessageText) -> String {
        text.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_refuse_empty_long_and_control_characters() {
        assert_eq!(CallId::new(""), Err(ValueError::Empty { kind: "call id" }));
        assert!(matches!(
            CallId::new("x".repeat(MAX_ID_BYTES + 1)),
            Err(ValueError::TooLong { len: 129, .. })
        ));
        assert_eq!(
            AgentId::new("a b"),
            Err(ValueError::BadCharacter {
                kind: "agent id",
                found: ' '
            })
        );
        assert!(CallId::new("wacid.HBgLMTU1NTEyMzQ1NjcVAgARGBI").is_ok());
    }

    #[test]
    fn phone_numbers_drop_the_plus_and_refuse_non_digits() {
        assert_eq!(
            PhoneNumber::new("+15551234567").unwrap().as_str(),
            "15551234567"
        );
        assert_eq!(
            PhoneNumber::new("15551234567").unwrap().to_string(),
            "+15551234567"
        );
        assert!(PhoneNumber::new("1555-123").is_err());
        assert!(PhoneNumber::new("1234").is_err());
        assert!(PhoneNumber::new("1234567890123456").is_err());
        assert!(PhoneNumber::new("+").is_err());
    }

    #[test]
    fn sdp_must_look_like_sdp() {
        assert_eq!(Sdp::new("hello"), Err(ValueError::NotSdp));
        assert_eq!(Sdp::new(""), Err(ValueError::Empty { kind: "SDP" }));
        assert!(Sdp::new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n").is_ok());
    }

    #[test]
    fn message_text_is_bounded_in_characters_not_bytes() {
        assert!(MessageText::new("é".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(MessageText::new("é".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(MessageText::new("  \n").is_err());
    }
}
