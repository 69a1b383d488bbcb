//! The state routing reads: who could take the call, as of one instant. The caller builds it
//! from its stores; routing never reads anything else.

use std::collections::BTreeSet;

use protocol::{AgentId, PhoneNumber, Presence, Timestamp};

/// One agent as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentState {
    pub id: AgentId,
    /// An app of this agent is connected.
    pub signed_in: bool,
    pub presence: Presence,
    /// On a call or ringing for one ("Busy" is automatic, never a presence).
    pub busy: bool,
    /// Numbers the agent is a call operator of, i.e. may take calls for.
    pub numbers: BTreeSet<PhoneNumber>,
    /// When a call was last offered to (rung for) the agent; round robin picks the oldest.
    pub last_offered_at: Option<Timestamp>,
}

impl AgentState {
    /// Signed in and Available, whether or not busy.
    pub fn is_available(&self) -> bool {
        self.signed_in && self.presence == Presence::Available
    }

    /// May ring now for a call on `number` (PRODUCT.md: signed in, Available, not on or
    /// ringing another call, allowed to take calls for that number).
    pub fn is_eligible_for(&self, number: &PhoneNumber) -> bool {
        self.is_available() && !self.busy && self.numbers.contains(number)
    }
}

/// Everything routing needs about the agents for one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutingSnapshot {
    pub agents: Vec<AgentState>,
    /// Agents left out of round robin for this number (they may still ring as the
    /// conversation's agent or the contact owner).
    pub excluded: BTreeSet<AgentId>,
    /// The agent assigned to the customer's open conversation, if any.
    pub conversation_agent: Option<AgentId>,
    /// The owner of the customer's contact, if any.
    pub contact_owner: Option<AgentId>,
}

impl RoutingSnapshot {
    pub fn agent(&self, id: &AgentId) -> Option<&AgentState> {
        self.agents.iter().find(|agent| &agent.id == id)
    }
}
