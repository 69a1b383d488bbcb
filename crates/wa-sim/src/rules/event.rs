//! What the rules ask the driver to tell the business: each value becomes one webhook.

use crate::clock::SimTime;

use super::call::{Customer, Direction};
use super::ledger::PermissionAnswer;

/// The call facts every call webhook repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRef {
    pub id: String,
    pub direction: Direction,
    pub customer: Customer,
    pub biz_opaque: Option<String>,
}

/// `session.sdp_type` of a connect webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdpType {
    Offer,
    Answer,
}

/// `statuses[].status` of a call status webhook (business-initiated calls only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Ringing,
    Accepted,
    Rejected,
}

/// The error a failed call's terminate webhook carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminateError {
    /// 138007: the business did not apply the SDP / accept in time.
    ConnectTimeout,
    /// 138019: call setup failed.
    SetupFailed,
    /// 138021: the customer's client got no media for too long.
    MediaReceiveTimeout,
}

impl TerminateError {
    pub fn code(self) -> u32 {
        match self {
            Self::ConnectTimeout => 138007,
            Self::SetupFailed => 138019,
            Self::MediaReceiveTimeout => 138021,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::ConnectTimeout => "Call was not accepted within the allowed time",
            Self::SetupFailed => "Call setup failed",
            Self::MediaReceiveTimeout => "WhatsApp client terminated the call due to not receiving any media for a long time. Please try again",
        }
    }
}

/// Where a permission reply came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplySource {
    UserAction,
    Automatic,
}

/// One webhook to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Connect {
        at: SimTime,
        call: CallRef,
        sdp_type: SdpType,
        sdp: String,
    },
    Status {
        at: SimTime,
        call: CallRef,
        status: CallStatus,
    },
    Terminate {
        at: SimTime,
        call: CallRef,
        /// `Some((start, end))` only when the call was picked up.
        connected: Option<(SimTime, SimTime)>,
        error: Option<TerminateError>,
    },
    PermissionReply {
        at: SimTime,
        customer: Customer,
        message_id: String,
        answer: PermissionAnswer,
        expires_at: Option<SimTime>,
        source: ReplySource,
        /// The request's message id, or the call id for a callback grant.
        context_id: Option<String>,
    },
    Text {
        at: SimTime,
        customer: Customer,
        message_id: String,
        body: String,
    },
    /// The number's `calling` settings changed (`account_settings_update`).
    SettingsUpdate {
        at: SimTime,
        calling: serde_json::Value,
    },
}

impl Event {
    /// The call this event is about, if any.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            Self::Connect { call, .. }
            | Self::Status { call, .. }
            | Self::Terminate { call, .. } => Some(&call.id),
            _ => None,
        }
    }

    /// The webhook `field` it is delivered under.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Connect { .. } | Self::Status { .. } | Self::Terminate { .. } => "calls",
            Self::PermissionReply { .. } | Self::Text { .. } => "messages",
            Self::SettingsUpdate { .. } => "account_settings_update",
        }
    }
}
