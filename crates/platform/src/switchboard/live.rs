//! In-memory state of the switchboard: connected agents and calls not yet over.
//!
//! Invariants: an agent appears in at most one live call (as the ringing, connecting or talking
//! agent); a call's `generation` changes whenever its phase changes, so a timer armed for an
//! older phase finds a different generation and does nothing.

use std::collections::HashMap;

use protocol::{
    AgentId, CallId, Customer, PhoneNumber, Presence, RingOutcome, RoutedBecause, Sdp,
    ServerMessage, Timestamp,
};
use tokio::sync::mpsc;

use crate::routing::RingSequence;
use crate::store::agents::Agent;

/// One agent's live WebSocket: messages pushed here are written to the socket in order.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Distinguishes a replaced connection from the current one.
    pub id: u64,
    pub outbox: mpsc::UnboundedSender<ServerMessage>,
}

/// A signed-in (or recently signed-in) agent.
#[derive(Debug)]
pub struct LiveAgent {
    pub agent: Agent,
    pub connection: Option<Connection>,
    /// What the agent chose; kept across reconnects of this process.
    pub presence: Presence,
}

impl LiveAgent {
    /// Sends a message if the agent is connected; a closed socket drops it (the next `hello`
    /// carries the state instead).
    pub fn send(&self, message: ServerMessage) {
        if let Some(connection) = &self.connection {
            let _ = connection.outbox.send(message);
        }
    }
}

/// Where a live call stands.
#[derive(Debug, Clone)]
pub enum Phase {
    /// Between two agents: nobody is ringing (only inside one command, never across commands).
    Routing,
    /// Ringing one agent until `deadline` (wall clock, as shown to the app; the ring timer
    /// enforces it).
    Ringing {
        agent_id: String,
        because: RoutedBecause,
        deadline: Timestamp,
    },
    /// The agent accepted; Meta has the `pre_accept`; waiting for the app's `media_ready`.
    Connecting { agent_id: String, answer: String },
    /// Meta accepted; media flows.
    OnCall { agent_id: String, answered_at: i64 },
}

impl Phase {
    pub fn agent_id(&self) -> Option<&str> {
        match self {
            Phase::Routing => None,
            Phase::Ringing { agent_id, .. }
            | Phase::Connecting { agent_id, .. }
            | Phase::OnCall { agent_id, .. } => Some(agent_id),
        }
    }
}

/// A user-initiated call the platform is still handling.
#[derive(Debug, Clone)]
pub struct LiveCall {
    pub id: CallId,
    pub phone_number_id: String,
    pub business_number: PhoneNumber,
    pub customer: Customer,
    pub offer: Sdp,
    pub offered_at: i64,
    /// Who was rung and how each ring ended; decides the next step (routing step 5). It
    /// starts when Meta sent the connect, so Meta's accept window is measured from there.
    pub sequence: RingSequence,
    pub phase: Phase,
    pub generation: u64,
}

impl LiveCall {
    /// Notes in the ring sequence how `agent_id`'s ring ended at `at`. A report that does not
    /// fit the sequence is a switchboard bug: logged, never a panic.
    pub fn ring_ended(&mut self, agent_id: &str, outcome: RingOutcome, at: Timestamp) {
        let noted = AgentId::new(agent_id)
            .map_err(|error| error.to_string())
            .and_then(|agent| {
                self.sequence
                    .ring_ended(&agent, outcome, at)
                    .map_err(|error| error.to_string())
            });
        if let Err(error) = noted {
            tracing::warn!(call_id = %self.id, agent_id, %error, "ring end not noted in the sequence");
        }
    }
}

/// Everything the switchboard holds in memory.
#[derive(Debug, Default)]
pub struct Live {
    pub agents: HashMap<String, LiveAgent>,
    pub calls: HashMap<String, LiveCall>,
    next_generation: u64,
}

impl Live {
    /// A generation never used before.
    pub fn generation(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    /// The live call this agent rings for, connects or talks on.
    pub fn call_of_agent(&self, agent_id: &str) -> Option<&LiveCall> {
        self.calls
            .values()
            .find(|call| call.phase.agent_id() == Some(agent_id))
    }

    pub fn busy(&self, agent_id: &str) -> bool {
        self.call_of_agent(agent_id).is_some()
    }

    pub fn send_to(&self, agent_id: &str, message: ServerMessage) {
        if let Some(agent) = self.agents.get(agent_id) {
            agent.send(message);
        }
    }
}
