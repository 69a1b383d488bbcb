//! Vocabulary shared by the WebSocket messages and the REST DTOs.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{AgentId, PhoneNumber, Timestamp};

/// What the agent chose. "Busy" is not a presence: it follows from being on or ringing for a
/// call and is reported per call, never set by the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Available,
    Away,
    Offline,
}

/// Who started the call: the customer (`inbound`, Meta's USER_INITIATED) or an agent
/// (`outbound`, Meta's BUSINESS_INITIATED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// The channel a call or conversation runs on. Only WhatsApp today; an enum so a record read
/// later says so explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Whatsapp,
}

/// Why routing chose this agent (PRODUCT.md, "Routing of user-initiated calls", step 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RoutedBecause {
    /// The agent is assigned to the customer's open conversation.
    OpenConversation,
    /// The agent owns the customer's contact.
    ContactOwner,
    /// Nobody above was eligible; the agent was the least recently offered call operator.
    RoundRobin,
}

/// A side of a call, for "rejected by" / "ended by".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Agent,
    Customer,
    /// The platform or Meta (timeouts, limits, failures).
    System,
}

/// The customer on the other end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Customer {
    pub number: PhoneNumber,
    /// The WhatsApp profile name, when Meta sent one.
    pub profile_name: Option<String>,
}

/// A business phone number the agent may take calls for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BusinessNumber {
    pub number: PhoneNumber,
    /// The name admins gave the number ("Support EU").
    pub display_name: String,
    pub calling_enabled: bool,
    /// When true the app records both sides of each call on this number and uploads them.
    pub recording_enabled: bool,
}

/// Status of a call record, exactly the list in PRODUCT.md "Call records".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Ringing,
    OnCall,
    Completed,
    /// Rejected by the agent or by the customer (see the record's `ended_by`).
    Rejected,
    /// Not answered by the agents or by the customer (see the record's `ended_by`).
    Missed,
    OutsideOfficeHours,
    AllAgentsBusy,
    AllAgentsOffline,
    Failed,
}

impl CallStatus {
    /// True once the call can change no more.
    pub fn is_final(self) -> bool {
        !matches!(self, CallStatus::Ringing | CallStatus::OnCall)
    }
}

/// How one agent's ring ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RingOutcome {
    /// Still ringing.
    Ringing,
    Accepted,
    Rejected,
    /// The ring timeout passed without an answer.
    TimedOut,
    /// The ring was withdrawn: the caller hung up, the accept window closed, ...
    Cancelled,
}

/// One agent rung for a call, kept on the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RingAttempt {
    pub agent_id: AgentId,
    pub routed_because: RoutedBecause,
    pub rung_at: Timestamp,
    /// When the ring ended; null while ringing.
    pub ended_at: Option<Timestamp>,
    pub outcome: RingOutcome,
}
