//! What the call machine reacts to. Webhook events arrive as facts: the driver has read what
//! the store knows of the call, so the machine itself never waits on anything.

use protocol::{ClientMessage, Customer, Direction, PhoneNumber, Timestamp};

use crate::graph::GraphFailure;
use crate::store::agents::Agent;

use super::effect::GraphStep;

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Input {
    /// Meta's `connect` of a user-initiated call.
    Connect(Box<ConnectFacts>),
    /// Meta's `terminate`.
    Terminate(Box<TerminateFacts>),
    /// An agent's socket is up (the driver already holds its outbox).
    AgentConnected { agent: Agent, connection_id: u64 },
    /// An agent's socket closed.
    AgentDisconnected {
        agent_id: String,
        connection_id: u64,
    },
    /// A message from an agent's app.
    FromAgent {
        agent_id: String,
        connection_id: u64,
        message: ClientMessage,
    },
    /// A timer the machine armed is due.
    Timer(Timer),
    /// Meta answered a Graph request the machine asked for.
    GraphDone {
        call_id: String,
        step: GraphStep,
        result: Result<Option<String>, GraphFailure>,
    },
    /// An agent asks to call a conversation's customer (business-initiated).
    PlaceCall(Box<PlaceCallFacts>),
    /// Meta's connect webhook of a business-initiated call: Meta's SDP answer.
    OutboundConnect {
        call_id: String,
        answer: Result<protocol::Sdp, String>,
    },
    /// Meta's call status webhook (business-initiated calls only).
    OutboundStatus {
        call_id: String,
        status: OutboundStatus,
        at: Option<Timestamp>,
    },
    /// Calls a previous run of the platform left open (read from the store at start).
    Recovered(Vec<LeftOpen>),
    /// An admin renamed an agent or changed their role or team (routing reads the new one).
    AgentChanged(Agent),
    /// An admin changed a number's settings: the next routing decision reads these.
    SettingsChanged(std::sync::Arc<crate::config::Settings>),
}

/// Where a business-initiated call stands, as Meta's status webhooks say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundStatus {
    /// The customer's phone rings.
    Ringing,
    /// The customer picked up: the call counts as answered from here.
    Accepted,
    /// The customer declined (a terminate follows).
    Rejected,
}

/// An agent's `place_call`, with the conversation as the store has it.
#[derive(Debug, Clone)]
pub struct PlaceCallFacts {
    pub agent_id: String,
    pub connection_id: u64,
    pub request_id: protocol::RequestId,
    pub offer: protocol::Sdp,
    /// `None`: no such conversation.
    pub conversation: Option<ConversationFacts>,
}

/// One conversation and the pair's permission ledger, read for an agent's request.
#[derive(Debug, Clone)]
pub struct ConversationFacts {
    pub id: String,
    pub phone_number_id: String,
    pub business_number: PhoneNumber,
    pub customer: Customer,
    pub assigned_agent: Option<String>,
    pub contact_owner: Option<String>,
    pub calling_enabled: bool,
    pub ledger: crate::permissions::PermissionLedger,
}

/// The parts of a call event every record needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct CallParts {
    pub phone_number_id: String,
    pub business_number: PhoneNumber,
    pub customer: Customer,
}

/// Meta's connect, and what the store knows of the call.
#[derive(Debug, Clone)]
pub struct ConnectFacts {
    pub call_id: String,
    /// `None`: the event lacks a usable business number or customer.
    pub parts: Option<CallParts>,
    /// Meta's event time; Meta's accept window runs from here.
    pub event_at: Option<Timestamp>,
    /// When the webhook reached the platform (it may have waited in the inbox since).
    pub received_at: Option<Timestamp>,
    /// Meta's SDP offer, or why it cannot be used.
    pub offer: Result<protocol::Sdp, String>,
    /// A record of this call exists (a duplicate connect, or the tombstone of a terminate
    /// that came first): nobody is rung.
    pub known: bool,
    /// The number is one of ours (or none is configured, which takes every number).
    pub number_configured: bool,
    /// Routing steps 3a and 3b, read from the store.
    pub conversation_agent: Option<String>,
    pub contact_owner: Option<String>,
}

/// Meta's terminate, and what the store knows of the call.
#[derive(Debug, Clone)]
pub struct TerminateFacts {
    pub call_id: String,
    pub parts: Option<CallParts>,
    pub direction: Direction,
    pub event_at: Option<Timestamp>,
    /// Meta's end time, if given.
    pub ended_at: Option<Timestamp>,
    /// Meta's talk time.
    pub duration_secs: Option<i64>,
    /// Meta says the call failed.
    pub failed: bool,
    pub meta_error_code: Option<i64>,
    /// The stored record, if any: `Some(answered)`.
    pub stored: Option<bool>,
}

/// A call a previous run left open.
#[derive(Debug, Clone)]
pub enum LeftOpen {
    /// Still ringing (or routing, or pre-accepted) when the previous run stopped.
    Ringing {
        call_id: String,
        phone_number_id: String,
        /// An agent had accepted it: Meta may hold our `pre_accept` (or `accept`).
        accepted: bool,
    },
    /// Answered: its media never passed through the platform, so it may still go on.
    OnCall(crate::store::calls::OnCallRow),
}

/// Which timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// The ringing agent did not answer in time (or the accept window closed).
    Ring,
    /// The ringing agent's socket dropped and did not come back within the grace period.
    RingGrace,
    /// The app did not report `media_ready` in time after `pre_accept`: accept anyway.
    MediaReady,
    /// A business-initiated call was not picked up in time: terminated, missed.
    OutboundNoAnswer,
    /// A call has been on for [`crate::config::Timers::max_call_duration`]: its terminate is
    /// taken to be lost; the platform ends it.
    MaxDuration,
}

/// A timer armed for a call's phase: it acts only if the call is still in that phase
/// (same `generation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub call_id: String,
    pub generation: u64,
    pub kind: TimerKind,
}
