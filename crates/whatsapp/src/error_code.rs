//! Meta's calling error codes (reference §3.6) with their documented meaning and HTTP status.
//!
//! Codes arrive both in Graph error responses and in `errors[]` of webhooks. Unknown codes are kept
//! as [`MetaErrorCode::Unknown`] so a new code never breaks parsing.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $name:literal, $http:literal, $meaning:literal; )+) => {
        /// A Meta error code relevant to calling.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MetaErrorCode {
            $( $(#[$doc])* $variant, )+
            /// A code not in the reference table.
            Unknown(u32),
        }

        impl MetaErrorCode {
            /// Every known code, in numeric order.
            pub const KNOWN: &'static [MetaErrorCode] = &[$(Self::$variant,)+];

            /// The code for a number (unknown numbers are kept).
            pub fn from_code(code: u32) -> Self {
                match code {
                    $( $code => Self::$variant, )+
                    other => Self::Unknown(other),
                }
            }

            /// The numeric code.
            pub fn code(self) -> u32 {
                match self {
                    $( Self::$variant => $code, )+
                    Self::Unknown(other) => other,
                }
            }

            /// A stable snake_case name for logs and records.
            pub fn name(self) -> &'static str {
                match self {
                    $( Self::$variant => $name, )+
                    Self::Unknown(_) => "unknown",
                }
            }

            /// The HTTP status Meta documents for this code, if known.
            pub fn http_status(self) -> Option<u16> {
                match self {
                    $( Self::$variant => Some($http), )+
                    Self::Unknown(_) => None,
                }
            }

            /// The reference's meaning of the code.
            pub fn meaning(self) -> &'static str {
                match self {
                    $( Self::$variant => $meaning, )+
                    Self::Unknown(_) => "error code not in Meta's calling reference",
                }
            }
        }
    };
}

error_codes! {
    /// 100: invalid parameter; SDP validation details are in `error_data.details`.
    InvalidParameter = 100, "invalid_parameter", 400, "Invalid parameter (SDP validation details in error_data)";
    /// 613: fetch-call-permission API rate limit hit.
    PermissionApiRateLimit = 613, "permission_api_rate_limit", 429, "Fetch-call-permission API limit hit";
    /// 131009: interactive `voice_call` not supported for the sender's country.
    VoiceCallButtonUnsupported = 131009, "voice_call_button_unsupported", 400, "Interactive type voice_call not supported (sender country)";
    /// 131026: message undeliverable (e.g. the customer's client is too old).
    MessageUndeliverable = 131026, "message_undeliverable", 400, "Message undeliverable (for example the recipient's WhatsApp client is too old)";
    /// 131030: recipient not in the allowed list of a public test number.
    RecipientNotAllowed = 131030, "recipient_not_allowed", 400, "Recipient not in allowed list (public test numbers only)";
    /// 131044: no valid payment method (error webhook on user-initiated calls).
    NoPaymentMethod = 131044, "no_payment_method", 400, "No valid payment method";
    /// 131055: Graph call endpoints are not allowed for SIP-enabled numbers.
    SipEnabledNumber = 131055, "sip_enabled_number", 400, "Graph API calls not allowed for SIP-enabled numbers";
    /// 138000: calling is not enabled on the number.
    CallingNotEnabled = 138000, "calling_not_enabled", 401, "Calling not enabled on number";
    /// 138001: receiver uncallable (not on WhatsApp, terms, unsupported client).
    ReceiverUncallable = 138001, "receiver_uncallable", 400, "Receiver uncallable (not on WhatsApp, ToS, unsupported client)";
    /// 138002: concurrent calls limit (1000 per number).
    ConcurrentCallsLimit = 138002, "concurrent_calls_limit", 429, "Concurrent calls limit (1000) reached";
    /// 138003: a call is already ongoing with the receiver.
    DuplicateCall = 138003, "duplicate_call", 400, "Duplicate call: a call is already ongoing with the receiver";
    /// 138004: connection error.
    ConnectionError = 138004, "connection_error", 500, "Connection error";
    /// 138005: call rate limit exceeded for the number.
    CallRateLimit = 138005, "call_rate_limit", 429, "Call rate limit exceeded (calls initiated by the number)";
    /// 138006: no approved call permission from the recipient.
    NoCallPermission = 138006, "no_call_permission", 401, "No approved call permission from recipient";
    /// 138007: the business did not apply the offer/answer SDP in time.
    ConnectTimeout = 138007, "connect_timeout", 500, "Connect timeout: business did not apply offer/answer SDP in time";
    /// 138008: SDP validation error (community sources only; UNCERTAIN).
    SdpValidation = 138008, "sdp_validation", 400, "SDP validation error (cited by community code; not in Meta's current table)";
    /// 138009: call permission request limit hit for the business+user pair.
    PermissionRequestLimit = 138009, "permission_request_limit", 400, "Call permission request limit hit (per business+user pair)";
    /// 138012: connected business-initiated calls limit (100 per 24 h) hit.
    BusinessInitiatedCallsLimit = 138012, "business_initiated_calls_limit", 400, "Business-initiated calls limit hit (100 connected calls per 24 hours)";
    /// 138013: business-initiated calling not available for this number's country.
    BusinessInitiatedUnavailable = 138013, "business_initiated_unavailable", 400, "Business-initiated calling not available for this number (country)";
    /// 138014: calling temporarily disabled for low quality.
    CallingTemporarilyDisabled = 138014, "calling_temporarily_disabled", 400, "Calling temporarily disabled (low quality)";
    /// 138015: calling cannot be enabled (messaging limit below 2000).
    MessagingLimitTooLow = 138015, "messaging_limit_too_low", 400, "Calling cannot be enabled (messaging limit < 2000)";
    /// 138017: a permanent permission already exists, request not sent.
    PermanentPermissionExists = 138017, "permanent_permission_exists", 400, "Permission request not sent: permanent permission already exists";
    /// 138018: calling prerequisites missing (SIP or an app subscribed to `calls`).
    CallingPrerequisitesMissing = 138018, "calling_prerequisites_missing", 400, "Calling can't be enabled: SIP or an app subscribed to calls is required";
    /// 138019: call setup failed (terminate webhook).
    CallSetupFailed = 138019, "call_setup_failed", 400, "Call setup failed";
    /// 138020: relay connection failed (terminate webhook).
    RelayConnectionFailed = 138020, "relay_connection_failed", 400, "Relay connection failed";
    /// 138021: the WhatsApp client received no media for a long time (terminate webhook).
    MediaReceiveTimeout = 138021, "media_receive_timeout", 400, "Media receive timeout: client got no media for a long time";
    /// 138022: media transmit timeout (terminate webhook).
    MediaTransmitTimeout = 138022, "media_transmit_timeout", 400, "Media transmit timeout";
    /// 138023: accepted but terminated with no media signals (terminate webhook).
    NoMediaSignals = 138023, "no_media_signals", 400, "Call accepted but terminated with no media signals";
}

impl From<u32> for MetaErrorCode {
    fn from(code: u32) -> Self {
        Self::from_code(code)
    }
}

impl From<MetaErrorCode> for u32 {
    fn from(code: MetaErrorCode) -> Self {
        code.code()
    }
}

impl fmt::Display for MetaErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.name())
    }
}

impl Serialize for MetaErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.code())
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum CodeRepr {
    Number(u32),
    Text(String),
}

impl<'de> Deserialize<'de> for MetaErrorCode {
    /// Accepts `138021` or `"138021"`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match CodeRepr::deserialize(deserializer)? {
            CodeRepr::Number(code) => Ok(Self::from_code(code)),
            CodeRepr::Text(text) => text
                .trim()
                .parse::<u32>()
                .map(Self::from_code)
                .map_err(|_| {
                    serde::de::Error::custom(format!("error code {text:?} is not an integer"))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_through_its_number() {
        for code in MetaErrorCode::KNOWN {
            assert_eq!(MetaErrorCode::from_code(code.code()), *code);
            assert!(code.http_status().is_some());
            assert_ne!(code.name(), "unknown");
        }
        assert_eq!(MetaErrorCode::KNOWN.len(), 28);
    }

    #[test]
    fn table_meanings_and_statuses() {
        assert_eq!(
            MetaErrorCode::from_code(138006),
            MetaErrorCode::NoCallPermission
        );
        assert_eq!(MetaErrorCode::NoCallPermission.http_status(), Some(401));
        assert_eq!(MetaErrorCode::ConcurrentCallsLimit.http_status(), Some(429));
        assert!(MetaErrorCode::MediaReceiveTimeout
            .meaning()
            .contains("no media"));
        assert_eq!(
            MetaErrorCode::from_code(138011),
            MetaErrorCode::Unknown(138011)
        );
        assert_eq!(MetaErrorCode::Unknown(138011).http_status(), None);
    }

    #[test]
    fn parses_numbers_and_numeric_strings() {
        let number: MetaErrorCode = serde_json::from_str("138021").unwrap();
        let text: MetaErrorCode = serde_json::from_str("\"138021\"").unwrap();
        assert_eq!(number, MetaErrorCode::MediaReceiveTimeout);
        assert_eq!(text, number);
        assert!(serde_json::from_str::<MetaErrorCode>("\"<code>\"").is_err());
        assert_eq!(serde_json::to_string(&number).unwrap(), "138021");
    }
}
