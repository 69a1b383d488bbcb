//! Errors that cross the wire: a stable machine code plus a human message.
//!
//! The code is the contract (the app branches on it, the UI translates it); the message is
//! for people and logs and may change wording at any time. Codes are only ever added, never
//! renamed or reused, within a protocol version.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Timestamp;

/// Stable machine codes, serialized in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // --- the frame itself ---
    /// The frame is not JSON.
    MalformedJson,
    /// The frame is larger than [`crate::MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The frame's `v` is missing or not a version this side speaks.
    UnsupportedVersion,
    /// The frame's `type` is missing or not known to this side.
    UnknownMessageType,
    /// The `type` is known but a field is missing or has a bad value.
    InvalidMessage,

    // --- who is asking ---
    /// The agent token is missing, unknown or revoked.
    Unauthorized,
    /// The agent is signed in but may not do this (for example, not their call).
    Forbidden,
    /// Only the agent assigned to the conversation may call the customer.
    NotConversationAgent,

    // --- calls ---
    /// No call with this id is known to the platform.
    UnknownCall,
    /// The call exists but is not in a state that allows this (accepting an ended call...).
    InvalidCallState,
    /// Another agent answered the call first.
    AnsweredElsewhere,
    /// The SDP was refused (Meta's rules: one audio section, Opus, ...).
    InvalidSdp,
    /// The agent is already on or ringing for another call.
    AgentBusy,
    /// Calling is disabled for this business number.
    CallingDisabled,

    // --- WhatsApp permissions and limits ---
    /// No valid call permission from the customer (Meta 138006).
    NoCallPermission,
    /// The customer service window (24 h since the customer's last message or call) is closed.
    CustomerServiceWindowClosed,
    /// The customer has granted a permanent permission: no request may be sent (Meta 138017).
    PermanentPermissionExists,
    /// At most 1 permission request per 24 h and 2 per 7 days (Meta 138009).
    PermissionRequestLimitReached,
    /// At most 100 connected business-initiated calls per customer per 24 h (Meta 138012).
    ConnectedCallLimitReached,
    /// At most 10,000 business-initiated call attempts per number per 24 h (Meta 138005).
    CallAttemptLimitReached,
    /// At most 1,000 concurrent calls per number (Meta 138002).
    ConcurrentCallLimitReached,

    // --- other ---
    /// No conversation with this id is visible to the agent.
    UnknownConversation,
    /// Meta refused or failed the request; the message carries Meta's code.
    UpstreamError,
    /// Too many requests from this connection; retry after `retry_at`.
    RateLimited,
    /// Heartbeats stopped: the side that sends this closes the connection.
    HeartbeatTimeout,
    /// The agent signed in elsewhere; this connection is closed.
    SessionReplaced,
    /// A bug or outage on the platform; the request may be retried.
    InternalError,
    /// No such resource (agent, team, number) visible to the caller.
    NotFound,
    /// The change conflicts with what exists: a name taken, a team that still has members.
    Conflict,
}

impl ErrorCode {
    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [ErrorCode; 29] = [
        ErrorCode::MalformedJson,
        ErrorCode::FrameTooLarge,
        ErrorCode::UnsupportedVersion,
        ErrorCode::UnknownMessageType,
        ErrorCode::InvalidMessage,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotConversationAgent,
        ErrorCode::UnknownCall,
        ErrorCode::InvalidCallState,
        ErrorCode::AnsweredElsewhere,
        ErrorCode::InvalidSdp,
        ErrorCode::AgentBusy,
        ErrorCode::CallingDisabled,
        ErrorCode::NoCallPermission,
        ErrorCode::CustomerServiceWindowClosed,
        ErrorCode::PermanentPermissionExists,
        ErrorCode::PermissionRequestLimitReached,
        ErrorCode::ConnectedCallLimitReached,
        ErrorCode::CallAttemptLimitReached,
        ErrorCode::ConcurrentCallLimitReached,
        ErrorCode::UnknownConversation,
        ErrorCode::UpstreamError,
        ErrorCode::RateLimited,
        ErrorCode::HeartbeatTimeout,
        ErrorCode::SessionReplaced,
        ErrorCode::InternalError,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::FrameTooLarge => "frame_too_large",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::UnknownMessageType => "unknown_message_type",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotConversationAgent => "not_conversation_agent",
            ErrorCode::UnknownCall => "unknown_call",
            ErrorCode::InvalidCallState => "invalid_call_state",
            ErrorCode::AnsweredElsewhere => "answered_elsewhere",
            ErrorCode::InvalidSdp => "invalid_sdp",
            ErrorCode::AgentBusy => "agent_busy",
            ErrorCode::CallingDisabled => "calling_disabled",
            ErrorCode::NoCallPermission => "no_call_permission",
            ErrorCode::CustomerServiceWindowClosed => "customer_service_window_closed",
            ErrorCode::PermanentPermissionExists => "permanent_permission_exists",
            ErrorCode::PermissionRequestLimitReached => "permission_request_limit_reached",
            ErrorCode::ConnectedCallLimitReached => "connected_call_limit_reached",
            ErrorCode::CallAttemptLimitReached => "call_attempt_limit_reached",
            ErrorCode::ConcurrentCallLimitReached => "concurrent_call_limit_reached",
            ErrorCode::UnknownConversation => "unknown_conversation",
            ErrorCode::UpstreamError => "upstream_error",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::HeartbeatTimeout => "heartbeat_timeout",
            ErrorCode::SessionReplaced => "session_replaced",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as sent over the wire: in a `reply` to a request, in an unsolicited `error`,
/// or as a REST error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProtocolError {
    pub code: ErrorCode,
    /// For people: says what was refused and why, in English.
    pub message: String,
    /// When trying again can succeed (limits, rate limiting), if known.
    pub retry_at: Option<Timestamp>,
}

impl ProtocolError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_at: None,
        }
    }

    pub fn retry_at(mut self, at: Timestamp) -> Self {
        self.retry_at = Some(at);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_serializes_to_its_documented_string_and_back() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
        }
    }

    #[test]
    fn all_lists_every_variant() {
        // The TypeScript declaration is derived from the enum itself, so it names every variant.
        let decl = <ErrorCode as TS>::decl();
        let union = decl.rsplit('=').next().unwrap_or_default();
        assert_eq!(union.split('|').count(), ErrorCode::ALL.len(), "{decl}");
    }

    #[test]
    fn an_unknown_code_is_refused() {
        let err = serde_json::from_str::<ErrorCode>("\"no_such_code\"").unwrap_err();
        assert!(err.to_string().contains("unknown variant"), "{err}");
    }
}
