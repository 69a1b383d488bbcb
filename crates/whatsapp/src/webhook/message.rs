//! `value.messages[]` items on the `messages` field: text, the interactive
//! `call_permission_reply`, and voicemail audio. Other message types parse with their type kept.

use serde::{Deserialize, Serialize};

use crate::timestamp::{TimestampError, UnixTimestamp};
use crate::webhook::error::WebhookError;
use crate::wire_enum::wire_enum;

wire_enum! {
    /// Kind of inbound message.
    pub enum InboundMessageType {
        /// Plain text.
        Text => "text",
        /// Interactive reply (e.g. `call_permission_reply`).
        Interactive => "interactive",
        /// Audio (voicemail uses this, with the call id as message id).
        Audio => "audio",
    }
}

wire_enum! {
    /// Kind of interactive reply.
    pub enum InboundInteractiveType {
        /// Reply to a call permission request (or an automatic grant/revocation).
        CallPermissionReply => "call_permission_reply",
    }
}

wire_enum! {
    /// The customer's answer to a call permission request.
    pub enum PermissionResponse {
        /// Permission granted.
        Accept => "accept",
        /// Permission refused or revoked.
        Reject => "reject",
    }
}

wire_enum! {
    /// Why the reply was sent.
    pub enum ResponseSource {
        /// The customer tapped a choice.
        UserAction => "user_action",
        /// Automatic: callback permission after a user call, or revocation after 4 unanswered
        /// business-initiated calls.
        Automatic => "automatic",
    }
}

/// `context` of an inbound message: what it replies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContext {
    /// Who sent the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The wamid of the permission request, or a `wacid.…` for a callback grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Inbound `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundText {
    /// The message text.
    pub body: String,
}

/// Inbound `audio` (voicemail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundAudio {
    /// Media id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Hash of the media.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// E.g. `audio/ogg; codecs=opus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
}

/// `interactive.call_permission_reply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPermissionReply {
    /// Accept or reject.
    pub response: PermissionResponse,
    /// True for a permanent grant; absent or false otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_permanent: Option<bool>,
    /// Expiry of a temporary grant (string seconds; numbers accepted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_timestamp: Option<UnixTimestamp>,
    /// User action or automatic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_source: Option<ResponseSource>,
}

impl CallPermissionReply {
    /// A temporary grant expiring at `expires_secs`.
    pub fn accept_temporary(expires_secs: u64, source: ResponseSource) -> Self {
        Self {
            response: PermissionResponse::Accept,
            is_permanent: Some(false),
            expiration_timestamp: Some(UnixTimestamp::from_secs(expires_secs)),
            response_source: Some(source),
        }
    }

    /// A permanent grant.
    pub fn accept_permanent() -> Self {
        Self {
            response: PermissionResponse::Accept,
            is_permanent: Some(true),
            expiration_timestamp: None,
            response_source: Some(ResponseSource::UserAction),
        }
    }

    /// A refusal (user action) or automatic revocation.
    pub fn reject(source: ResponseSource) -> Self {
        Self {
            response: PermissionResponse::Reject,
            is_permanent: None,
            expiration_timestamp: None,
            response_source: Some(source),
        }
    }

    /// True for an accepted permanent grant.
    pub fn is_permanent_grant(&self) -> bool {
        self.response == PermissionResponse::Accept && self.is_permanent == Some(true)
    }

    /// Expiry in unix seconds (temporary grants).
    pub fn expiration_secs(&self) -> Option<Result<u64, TimestampError>> {
        self.expiration_timestamp.as_ref().map(UnixTimestamp::secs)
    }
}

/// `messages[].interactive` on inbound messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundInteractive {
    /// Kind of interactive reply.
    #[serde(rename = "type")]
    pub interactive_type: InboundInteractiveType,
    /// Present for `call_permission_reply`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_permission_reply: Option<CallPermissionReply>,
}

/// One item of `value.messages[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// Message id (`wamid.…`; the call id for voicemail).
    pub id: String,
    /// Sender's number (may be omitted when the user adopted a username).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Sender's BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user_id: Option<String>,
    /// Sender's parent BSUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_parent_user_id: Option<String>,
    /// When it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<UnixTimestamp>,
    /// Message type; Meta's elided permission-reply sample omits it.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub message_type: Option<InboundMessageType>,
    /// What this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<MessageContext>,
    /// Text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<InboundText>,
    /// Interactive reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive: Option<InboundInteractive>,
    /// Audio (voicemail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<InboundAudio>,
    /// Errors (unsupported messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<WebhookError>,
}

impl InboundMessage {
    fn bare(id: String, from: String, message_type: InboundMessageType) -> Self {
        Self {
            id,
            from: Some(from),
            from_user_id: None,
            from_parent_user_id: None,
            timestamp: Some(UnixTimestamp::now()),
            message_type: Some(message_type),
            context: None,
            text: None,
            interactive: None,
            audio: None,
            errors: Vec::new(),
        }
    }

    /// A text message from the customer.
    pub fn text(id: impl Into<String>, from: impl Into<String>, body: impl Into<String>) -> Self {
        let mut message = Self::bare(id.into(), from.into(), InboundMessageType::Text);
        message.text = Some(InboundText { body: body.into() });
        message
    }

    /// A `call_permission_reply`; `context_id` is the request's wamid or a call id (or none for
    /// grants from the business profile and automatic revocations).
    pub fn call_permission_reply(
        id: impl Into<String>,
        from: impl Into<String>,
        reply: CallPermissionReply,
        context_id: Option<String>,
    ) -> Self {
        let from = from.into();
        let mut message = Self::bare(id.into(), from.clone(), InboundMessageType::Interactive);
        message.context = context_id.map(|id| MessageContext {
            from: Some(from),
            id: Some(id),
        });
        message.interactive = Some(InboundInteractive {
            interactive_type: InboundInteractiveType::CallPermissionReply,
            call_permission_reply: Some(reply),
        });
        message
    }

    /// Sets the timestamp.
    pub fn with_timestamp(mut self, secs: u64) -> Self {
        self.timestamp = Some(UnixTimestamp::from_secs(secs));
        self
    }

    /// The permission reply, if this message is one.
    pub fn call_permission_reply_payload(&self) -> Option<&CallPermissionReply> {
        self.interactive
            .as_ref()
            .and_then(|interactive| interactive.call_permission_reply.as_ref())
    }

    /// The text body, if this is a text message.
    pub fn text_body(&self) -> Option<&str> {
        self.text.as_ref().map(|text| text.body.as_str())
    }

    /// The timestamp in unix seconds.
    pub fn timestamp_secs(&self) -> Option<Result<u64, TimestampError>> {
        self.timestamp.as_ref().map(UnixTimestamp::secs)
    }
}
