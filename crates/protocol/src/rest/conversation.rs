use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::PermissionState;
use crate::{
    AgentId, CallId, CallStatus, ConversationId, Customer, Direction, PhoneNumber, Timestamp,
};

/// One business number's thread with one customer, as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Conversation {
    pub id: ConversationId,
    pub business_number: PhoneNumber,
    pub customer: Customer,
    /// Only this agent may call the customer; first in line for the customer's calls.
    pub assigned_agent: Option<AgentId>,
    /// Opens the 24 h customer service window.
    pub last_customer_activity_at: Option<Timestamp>,
    /// The latest messages, oldest first.
    pub recent_messages: Vec<ConversationMessage>,
    pub permission: PermissionState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConversationMessage {
    /// `inbound` from the customer, `outbound` from the business.
    pub direction: Direction,
    pub at: Timestamp,
    pub body: MessageBody,
}

/// What a message in the conversation is, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageBody {
    Text {
        text: String,
    },
    /// The business asked for call permission.
    CallPermissionRequest,
    /// The customer (or WhatsApp automatically) answered a permission request.
    CallPermissionReply {
        reply: PermissionReply,
    },
    /// A call, shown inline in the thread.
    Call {
        call_id: CallId,
        status: CallStatus,
    },
    /// Anything the inbox does not render (images, locations...), summarized.
    Other {
        summary: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PermissionReply {
    AcceptTemporary,
    AcceptPermanent,
    Reject,
}
