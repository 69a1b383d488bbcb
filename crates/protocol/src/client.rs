//! Messages the app sends to the platform.
//!
//! Every message except `ping` carries a `request_id` and gets exactly one `reply` with it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{CallId, CallQuality, ConversationId, MessageText, PingId, Presence, RequestId, Sdp};

/// Every message from the app to the platform; same framing as [`crate::ServerMessage`].
/// (Not `Eq`: a call's quality summary carries measured figures.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    SetPresence(SetPresence),
    AcceptCall(AcceptCall),
    MediaReady(MediaReady),
    RejectCall(RejectCall),
    Hangup(Hangup),
    PlaceCall(PlaceCall),
    RequestPermission(RequestPermission),
    SendText(SendText),
    CallQuality(ReportCallQuality),
    Ping(Ping),
}

impl ClientMessage {
    /// The `type` values this side understands, for telling an unknown type from a bad body.
    pub const TYPES: [&'static str; 10] = [
        "set_presence",
        "accept_call",
        "media_ready",
        "reject_call",
        "hangup",
        "place_call",
        "request_permission",
        "send_text",
        "call_quality",
        "ping",
    ];

    /// The id the `reply` will carry; `None` for `ping`, which is answered by `pong`.
    pub fn request_id(&self) -> Option<&RequestId> {
        match self {
            ClientMessage::SetPresence(m) => Some(&m.request_id),
            ClientMessage::AcceptCall(m) => Some(&m.request_id),
            ClientMessage::MediaReady(m) => Some(&m.request_id),
            ClientMessage::RejectCall(m) => Some(&m.request_id),
            ClientMessage::Hangup(m) => Some(&m.request_id),
            ClientMessage::PlaceCall(m) => Some(&m.request_id),
            ClientMessage::RequestPermission(m) => Some(&m.request_id),
            ClientMessage::SendText(m) => Some(&m.request_id),
            ClientMessage::CallQuality(m) => Some(&m.request_id),
            ClientMessage::Ping(_) => None,
        }
    }
}

/// Set the agent's presence. `available` makes the agent eligible for routing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SetPresence {
    pub request_id: RequestId,
    pub presence: Presence,
}

/// Accept a ringing inbound call with the app's SDP answer. The platform sends Meta
/// `pre_accept`; the app then brings up ICE/DTLS and sends `media_ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AcceptCall {
    pub request_id: RequestId,
    pub call_id: CallId,
    pub sdp_answer: Sdp,
}

/// The app's media transport to Meta's relay is up. For an inbound call the platform now
/// sends Meta `accept` and, once Meta confirms, `start_media`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MediaReady {
    pub request_id: RequestId,
    pub call_id: CallId,
}

/// Decline a ringing inbound call; routing moves on to the next agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectCall {
    pub request_id: RequestId,
    pub call_id: CallId,
}

/// End a call this agent is connecting or talking on (either direction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Hangup {
    pub request_id: RequestId,
    pub call_id: CallId,
}

/// Call the customer of a conversation (business-initiated) with the app's SDP offer. The
/// `reply` carries the new call id; Meta's answer arrives as `remote_answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlaceCall {
    pub request_id: RequestId,
    pub conversation_id: ConversationId,
    pub sdp_offer: Sdp,
}

/// Send the customer of a conversation a call-permission request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RequestPermission {
    pub request_id: RequestId,
    pub conversation_id: ConversationId,
}

/// Send the customer of a conversation a text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SendText {
    pub request_id: RequestId,
    pub conversation_id: ConversationId,
    pub text: MessageText,
}

/// How a call this agent talked on sounded, sent once its media has ended; the platform keeps
/// it on the call's record (first report wins; the same report again is answered ok).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReportCallQuality {
    pub request_id: RequestId,
    pub call_id: CallId,
    pub quality: CallQuality,
}

/// Heartbeat; the platform answers with `pong` carrying the same id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Ping {
    pub ping_id: PingId,
}
