//! Why Meta refuses a request, with the code and HTTP status Meta uses for it.
//!
//! Codes and statuses follow Meta's "Troubleshoot WhatsApp Calling Errors" table
//! (`reference/meta-calling-api.md` §3.6). Every refusal carries a human `details` text that the
//! Graph layer puts in `error.error_data.details`.

use crate::clock::SimTime;

/// A request Meta would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A malformed or missing parameter (code 100).
    #[error("invalid parameter: {details}")]
    InvalidParameter { details: String },
    /// An SDP that Meta's validator rejects (code 100, subcode 2494010).
    #[error("SDP validation failed: {details}")]
    InvalidSdp { details: String },
    /// The call id is unknown to this number (code 100).
    #[error("unknown call id {call_id}")]
    UnknownCall { call_id: String },
    /// The action does not fit the call's current state (code 100).
    #[error("call {call_id} is {state}: {action} is not possible")]
    WrongCallState {
        call_id: String,
        state: &'static str,
        action: &'static str,
    },
    /// `accept` carried an SDP different from the `pre_accept` one (code 100).
    #[error("accept SDP differs from the pre_accept SDP")]
    AcceptSdpMismatch,
    /// Calling is not enabled on the number (138000).
    #[error("calling is not enabled for this phone number")]
    CallingDisabled,
    /// 1,000 calls are already in progress on the number (138002).
    #[error("concurrent calls limit of {limit} reached")]
    ConcurrencyLimit { limit: usize },
    /// A call with this customer is already ongoing (138003).
    #[error("a call with {wa_id} is already ongoing")]
    DuplicateCall { wa_id: String },
    /// The number started too many calls in 24 hours (138005).
    #[error("call rate limit of {limit} calls per 24 hours reached")]
    CallRateLimit { limit: usize },
    /// The customer has not approved calls (138006).
    #[error("no approved call permission from {wa_id}")]
    NoCallPermission { wa_id: String },
    /// The permission-request limit for this customer is used up (138009).
    #[error("call permission request limit reached: at most {max} per {period}; next request possible at {next_allowed:?}")]
    PermissionRequestLimit {
        max: usize,
        period: &'static str,
        next_allowed: SimTime,
    },
    /// 100 connected business-initiated calls in 24 hours (138012).
    #[error("limit of {limit} connected business-initiated calls per 24 hours reached; next call possible at {next_allowed:?}")]
    ConnectedCallLimit { limit: usize, next_allowed: SimTime },
    /// A permanent permission exists, so no request is sent (138017).
    #[error("a permanent call permission already exists for {wa_id}")]
    PermanentPermissionExists { wa_id: String },
    /// A free-form message outside the 24 h customer service window (131047).
    #[error("more than 24 hours have passed since {wa_id} last messaged or called")]
    OutsideServiceWindow { wa_id: String },
}

impl Refusal {
    /// Meta's error code.
    pub fn code(&self) -> u32 {
        match self {
            Self::InvalidParameter { .. }
            | Self::InvalidSdp { .. }
            | Self::UnknownCall { .. }
            | Self::WrongCallState { .. }
            | Self::AcceptSdpMismatch => 100,
            Self::CallingDisabled => 138000,
            Self::ConcurrencyLimit { .. } => 138002,
            Self::DuplicateCall { .. } => 138003,
            Self::CallRateLimit { .. } => 138005,
            Self::NoCallPermission { .. } => 138006,
            Self::PermissionRequestLimit { .. } => 138009,
            Self::ConnectedCallLimit { .. } => 138012,
            Self::PermanentPermissionExists { .. } => 138017,
            Self::OutsideServiceWindow { .. } => 131047,
        }
    }

    /// The HTTP status Meta answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::CallingDisabled | Self::NoCallPermission { .. } => 401,
            Self::ConcurrencyLimit { .. } | Self::CallRateLimit { .. } => 429,
            _ => 400,
        }
    }

    /// Meta's `error_subcode`, when it has one.
    pub fn subcode(&self) -> Option<u32> {
        match self {
            Self::InvalidSdp { .. } | Self::AcceptSdpMismatch => Some(2494010),
            _ => None,
        }
    }

    /// Meta's short `message`.
    pub fn title(&self) -> &'static str {
        match self.code() {
            100 => "Invalid parameter",
            138000 => "Calling not enabled",
            138002 => "Concurrent calls limit",
            138003 => "Duplicate call",
            138005 => "Call rate limit exceeded",
            138006 => "No approved call permission from the recipient",
            138009 => "Call permission request limit hit",
            138012 => "Business initiated calls limit hit",
            138017 => "Permanent call permission already exists",
            131047 => "Re-engagement message",
            _ => "Error",
        }
    }

    /// The human explanation carried in `error_data.details`.
    pub fn details(&self) -> String {
        match self {
            Self::InvalidSdp { details } | Self::InvalidParameter { details } => details.clone(),
            Self::AcceptSdpMismatch => "SDP answer provided in accept does not match the SDP answer given in the Pre-Accept endpoint for the same call-id".to_owned(),
            Self::ConnectedCallLimit { limit, next_allowed } => format!(
                "Currently {limit} connected business initiated calls are allowed within 24 hours. Next call allowed at {}",
                next_allowed.as_secs()
            ),
            Self::PermissionRequestLimit { max, period, next_allowed } => format!(
                "At most {max} call permission request(s) per {period}. Next request allowed at {}",
                next_allowed.as_secs()
            ),
            other => other.to_string(),
        }
    }

    /// The time the limit lifts, for the limits that have one.
    pub fn next_allowed(&self) -> Option<SimTime> {
        match self {
            Self::ConnectedCallLimit { next_allowed, .. }
            | Self::PermissionRequestLimit { next_allowed, .. } => Some(*next_allowed),
            _ => None,
        }
    }
}
