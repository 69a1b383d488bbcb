//! Typed webhooks Meta POSTs to the platform (and `wa-sim` produces).

pub mod call;
pub mod envelope;
pub mod error;
pub mod message;
pub mod status;

pub use call::{
    CallDirection, CallEvent, CallEventKind, CallSdpError, LegacyConnection, LegacyWebrtc,
    TerminateStatus,
};
pub use envelope::{
    Change, ChangeField, ChangeValue, Contact, Entry, Metadata, PhoneNumberSettings, Profile,
    RestrictionInfo, ViolationInfo, WebhookEnvelope, WHATSAPP_OBJECT,
};
pub use error::{ErrorData, WebhookError};
pub use message::{
    CallPermissionReply, InboundAudio, InboundInteractive, InboundInteractiveType, InboundMessage,
    InboundMessageType, InboundText, MessageContext, PermissionResponse, ResponseSource,
};
pub use status::{CallStatus, StatusType, StatusUpdate};
