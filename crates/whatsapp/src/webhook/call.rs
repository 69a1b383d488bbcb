//! `value.calls[]` items: the `connect` and `terminate` call events (and SIP `call_created`).
//!
//! One struct covers every event because Meta's events share most fields; the event-specific
//! ones are optional. Accessors give the typed view (which SDP to use, the terminate times).

use serde::{Deserialize, Serialize};

use crate::session::{SdpType, Session};
use crate::timestamp::{lenient_u64, TimestampError, UnixTimestamp};
use crate::webhook::error::WebhookError;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// What happened to the call.
    pub enum CallEventKind {
        /// The call is being set up; carries an SDP (offer for user-initiated, answer for
        /// business-initiated calls).
        Connect => "connect",
        /// The call ended (any reason).
        Terminate => "terminate",
        /// SIP-only: a call was created (no `session`).
        CallCreated => "call_created",
    }
}

wire_enum! {
    /// Who placed the call.
    pub enum CallDirection {
        /// The customer called the business.
        UserInitiated => "USER_INITIATED",
        /// The business called the customer.
        BusinessInitiated => "BUSINESS_INITIATED",
    }
}

wire_enum! {
    /// Outcome in a terminate webhook. Docs write `COMPLETED|FAILED` and `Completed|Failed`;
    /// live payloads use upper case, which is what we emit.
    pub enum TerminateStatus {
        /// The call ended normally.
        Completed => "COMPLETED",
        /// The call failed (see `errors`).
        Failed => "FAILED",
        /// Listed only in community code (UNCERTAIN).
        Rejected => "REJECTED",
    }
}

/// The legacy `connection.webrtc.sdp` field of business-initiated connect webhooks. Meta says not to
/// use it; it is read only when `session` is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyConnection {
    /// The WebRTC part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webrtc: Option<LegacyWebrtc>,
}

/// `connection.webrtc`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyWebrtc {
    /// Either a raw SDP or a JSON-encoded `{"sdp": "...", "type": "answer"}` string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdp: Option<String>,
}

/// One item of `value.calls[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    /// The call id, `wacid.…`.
    pub id: String,
    /// `connect`, `terminate`, ….
    pub event: CallEventKind,
    /// Callee number (business for user-initiated, customer for business-initiated). May be
    /// omitted when the user adopted a username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Caller number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Callee BSUID (business-initiated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_user_id: Option<String>,
    /// Callee parent BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_parent_user_id: Option<String>,
    /// Caller BSUID (user-initiated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user_id: Option<String>,
    /// Caller parent BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_parent_user_id: Option<String>,
    /// When the event happened (string of unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<UnixTimestamp>,
    /// Who placed the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<CallDirection>,
    /// `biz_payload` of the `wa.me/call/...` deep link, if the call came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deeplink_payload: Option<String>,
    /// `payload` of the call button, if the call came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cta_payload: Option<String>,
    /// Echo of the business's `biz_opaque_callback_data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
    /// The SDP (connect events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// Legacy SDP location (business-initiated connect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<LegacyConnection>,
    /// Outcome (terminate events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TerminateStatus>,
    /// When the call was picked up (terminate, only if it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<UnixTimestamp>,
    /// When the call ended (terminate, only if it was picked up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<UnixTimestamp>,
    /// Talk time in seconds (terminate, only if picked up).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "lenient_u64::option"
    )]
    pub duration: Option<u64>,
    /// Undocumented, read by chatwoot (UNCERTAIN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate_reason: Option<String>,
    /// Errors attached to the call itself (live payloads).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WebhookError>,
}

/// Why no SDP could be read from a call event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallSdpError {
    /// Neither `session` nor `connection.webrtc.sdp` is present.
    #[error("call event {call_id} carries no SDP (no session and no connection.webrtc.sdp)")]
    Missing {
        /// The call id.
        call_id: String,
    },
}

#[derive(Deserialize)]
struct LegacyEncodedSdp {
    sdp: String,
    #[serde(default, rename = "type")]
    sdp_type: Option<SdpType>,
}

impl CallEvent {
    fn bare(id: String, event: CallEventKind, direction: CallDirection) -> Self {
        Self {
            id,
            event,
            to: None,
            from: None,
            to_user_id: None,
            to_parent_user_id: None,
            from_user_id: None,
            from_parent_user_id: None,
            timestamp: Some(UnixTimestamp::now()),
            direction: Some(direction),
            deeplink_payload: None,
            cta_payload: None,
            biz_opaque_callback_data: None,
            session: None,
            connection: None,
            status: None,
            start_time: None,
            end_time: None,
            duration: None,
            terminate_reason: None,
            errors: Vec::new(),
        }
    }

    /// A user-initiated `connect` carrying Meta's SDP offer (`from` = customer, `to` = business).
    pub fn user_initiated_connect(
        call_id: impl Into<String>,
        from_customer: impl Into<String>,
        to_business: impl Into<String>,
        offer_sdp: impl Into<String>,
    ) -> Self {
        let mut call = Self::bare(
            call_id.into(),
            CallEventKind::Connect,
            CallDirection::UserInitiated,
        );
        call.from = Some(from_customer.into());
        call.to = Some(to_business.into());
        call.session = Some(Session::offer(offer_sdp));
        call
    }

    /// A business-initiated `connect` carrying Meta's SDP answer (`from` = business, `to` =
    /// customer). Only `session` is emitted, never the legacy field.
    pub fn business_initiated_connect(
        call_id: impl Into<String>,
        from_business: impl Into<String>,
        to_customer: impl Into<String>,
        answer_sdp: impl Into<String>,
    ) -> Self {
        let mut call = Self::bare(
            call_id.into(),
            CallEventKind::Connect,
            CallDirection::BusinessInitiated,
        );
        call.from = Some(from_business.into());
        call.to = Some(to_customer.into());
        call.session = Some(Session::answer(answer_sdp));
        call
    }

    /// A `terminate` event; add times with [`CallEvent::with_talk_time`] if the call was picked up.
    pub fn terminate(
        call_id: impl Into<String>,
        direction: CallDirection,
        from: impl Into<String>,
        to: impl Into<String>,
        status: TerminateStatus,
    ) -> Self {
        let mut call = Self::bare(call_id.into(), CallEventKind::Terminate, direction);
        call.from = Some(from.into());
        call.to = Some(to.into());
        call.status = Some(status);
        call
    }

    /// Sets `start_time`, `end_time` and `duration` (end − start, saturating).
    pub fn with_talk_time(mut self, start_secs: u64, end_secs: u64) -> Self {
        self.start_time = Some(UnixTimestamp::from_secs(start_secs));
        self.end_time = Some(UnixTimestamp::from_secs(end_secs));
        self.duration = Some(end_secs.saturating_sub(start_secs));
        self
    }

    /// Sets the event timestamp.
    pub fn with_timestamp(mut self, secs: u64) -> Self {
        self.timestamp = Some(UnixTimestamp::from_secs(secs));
        self
    }

    /// Sets the echoed `biz_opaque_callback_data`.
    pub fn with_biz_opaque_callback_data(mut self, data: impl Into<String>) -> Self {
        self.biz_opaque_callback_data = Some(data.into());
        self
    }

    /// Adds an error to `calls[].errors`.
    pub fn with_error(mut self, error: WebhookError) -> Self {
        self.errors.push(error);
        self
    }

    /// The event timestamp in unix seconds.
    pub fn timestamp_secs(&self) -> Option<Result<u64, TimestampError>> {
        self.timestamp.as_ref().map(UnixTimestamp::secs)
    }

    /// Pick-up time in unix seconds (terminate of an answered call).
    pub fn start_secs(&self) -> Option<Result<u64, TimestampError>> {
        self.start_time.as_ref().map(UnixTimestamp::secs)
    }

    /// End time in unix seconds (terminate of an answered call).
    pub fn end_secs(&self) -> Option<Result<u64, TimestampError>> {
        self.end_time.as_ref().map(UnixTimestamp::secs)
    }

    /// Talk time (terminate of an answered call).
    pub fn talk_time(&self) -> Option<std::time::Duration> {
        self.duration.map(std::time::Duration::from_secs)
    }

    /// The customer's number: `from` on user-initiated calls, `to` on business-initiated ones.
    pub fn customer_number(&self) -> Option<&str> {
        match self.direction {
            Some(CallDirection::BusinessInitiated) => self.to.as_deref(),
            _ => self.from.as_deref(),
        }
    }

    /// The customer's BSUID, if Meta sent one.
    pub fn customer_user_id(&self) -> Option<&str> {
        match self.direction {
            Some(CallDirection::BusinessInitiated) => self.to_user_id.as_deref(),
            _ => self.from_user_id.as_deref(),
        }
    }

    /// The SDP of a connect event: `session` when present (the documented field), else the legacy
    /// `connection.webrtc.sdp` — raw SDP or a JSON-encoded `{"sdp","type"}`. A legacy SDP without a
    /// type is an answer on business-initiated calls and an offer otherwise.
    pub fn sdp(&self) -> Result<Session, CallSdpError> {
        if let Some(session) = &self.session {
            return Ok(session.clone());
        }
        let legacy = self
            .connection
            .as_ref()
            .and_then(|connection| connection.webrtc.as_ref())
            .and_then(|webrtc| webrtc.sdp.as_deref())
            .ok_or_else(|| CallSdpError::Missing {
                call_id: self.id.clone(),
            })?;
        let inferred = match self.direction {
            Some(CallDirection::BusinessInitiated) => SdpType::Answer,
            _ => SdpType::Offer,
        };
        if let Ok(encoded) = serde_json::from_str::<LegacyEncodedSdp>(legacy) {
            return Ok(Session {
                sdp_type: encoded.sdp_type.unwrap_or(inferred),
                sdp: encoded.sdp,
            });
        }
        Ok(Session {
            sdp_type: inferred,
            sdp: legacy.to_owned(),
        })
    }
}
