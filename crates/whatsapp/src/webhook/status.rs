//! `value.statuses[]` items. For calls (`type: "call"`, business-initiated only) the status is
//! RINGING, ACCEPTED or REJECTED; message statuses (sent/delivered/read/failed) share the array on
//! the `messages` field and parse into the same struct with an unknown call status.

use serde::{Deserialize, Serialize};

use crate::timestamp::{TimestampError, UnixTimestamp};
use crate::webhook::error::WebhookError;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Progress of a business-initiated call, or of a message.
    pub enum CallStatus {
        /// The customer's device is ringing.
        Ringing => "RINGING",
        /// The customer picked up.
        Accepted => "ACCEPTED",
        /// The customer rejected the call (a terminate webhook follows).
        Rejected => "REJECTED",
        /// Message status: sent.
        Sent => "sent",
        /// Message status: delivered.
        Delivered => "delivered",
        /// Message status: read.
        Read => "read",
        /// Message status: failed.
        Failed => "failed",
    }
}

wire_enum! {
    /// What a status is about.
    pub enum StatusType {
        /// A call status.
        Call => "call",
    }
}

/// One item of `value.statuses[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The call id (`wacid.…`) or message id (`wamid.…`).
    pub id: String,
    /// When it happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<UnixTimestamp>,
    /// `call` for call statuses; absent on message statuses.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub status_type: Option<StatusType>,
    /// The status.
    pub status: CallStatus,
    /// The customer's number (may be omitted when the user adopted a username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_id: Option<String>,
    /// The customer's BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_user_id: Option<String>,
    /// The customer's parent BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_parent_user_id: Option<String>,
    /// Echo of `biz_opaque_callback_data` from the connect request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    /// Errors (failed message statuses).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WebhookError>,
}

impl StatusUpdate {
    /// A call status for a business-initiated call, stamped now.
    pub fn call(
        call_id: impl Into<String>,
        status: CallStatus,
        recipient: impl Into<String>,
    ) -> Self {
        Self {
            id: call_id.into(),
            timestamp: Some(UnixTimestamp::now()),
            status_type: Some(StatusType::Call),
            status,
            recipient_id: Some(recipient.into()),
            recipient_user_id: None,
            recipient_parent_user_id: None,
            biz_opaque_callback_data: None,
            errors: Vec::new(),
        }
    }

    /// Sets the timestamp.
    pub fn with_timestamp(mut self, secs: u64) -> Self {
        self.timestamp = Some(UnixTimestamp::from_secs(secs));
        self
    }

    /// Sets the echoed `biz_opaque_callback_data`.
    pub fn with_biz_opaque_callback_data(mut self, data: impl Into<String>) -> Self {
        self.biz_opaque_callback_data = Some(data.into());
        self
    }

    /// True for call statuses (`type: "call"` or a RINGING/ACCEPTED/REJECTED status).
    pub fn is_call(&self) -> bool {
        self.status_type == Some(StatusType::Call)
            || matches!(
                self.status,
                CallStatus::Ringing | CallStatus::Accepted | CallStatus::Rejected
            )
    }

    /// The timestamp in unix seconds.
    pub fn timestamp_secs(&self) -> Option<Result<u64, TimestampError>> {
        self.timestamp.as_ref().map(UnixTimestamp::secs)
    }
}
