//! What the call machine holds in memory: agents it has heard of and calls not yet over.
//!
//! Invariants: an agent appears in at most one live call (as the ringing, connecting or
//! talking agent); a call's `generation` changes whenever its phase changes, so a timer armed
//! for an older phase finds a different generation and does nothing.

use std::collections::HashMap;

use protocol::{
    AgentId, CallId, Customer, PhoneNumber, Presence, RequestId, RingOutcome, RoutedBecause, Sdp,
    Timestamp,
};

use crate::routing::RingSequence;
use crate::store::agents::Agent;

/// An agent the machine has seen connect (kept after a disconnect, with their presence).
#[derive(Debug, Clone)]
pub struct LiveAgent {
    pub agent: Agent,
    /// The agent's current socket; `None` while disconnected.
    pub connection_id: Option<u64>,
    /// What the agent chose; kept across reconnects of this process.
    pub presence: Presence,
    /// Since when the agent's socket is gone (for the ringing grace period).
    pub disconnected_at: Option<Timestamp>,
}

/// Where a live call stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Between two agents: nobody is ringing (only inside one input, never across inputs).
    Routing,
    /// Ringing one agent until `deadline` (shown to the app; the ring timer enforces it).
    Ringing {
        agent_id: String,
        because: RoutedBecause,
        deadline: Timestamp,
    },
    /// The agent accepted; Meta has been asked to `pre_accept` with `answer`. The agent's
    /// `accept_call` is answered (`request_id`) when Meta has answered.
    PreAccepting {
        agent_id: String,
        answer: String,
        request_id: RequestId,
        /// The app reported `media_ready` before Meta answered the `pre_accept`.
        media_ready: bool,
    },
    /// Meta took the `pre_accept`; waiting for the app's `media_ready` (or its bound).
    Connecting { agent_id: String, answer: String },
    /// Meta has been asked to `accept`; media may flow once it says yes. The app's
    /// `media_ready` (if it caused the accept) is answered then.
    Accepting {
        agent_id: String,
        request_id: Option<RequestId>,
    },
    /// Business-initiated: Meta is asked to `connect`; the app's `place_call` is answered
    /// (with the call id) when Meta has. Keyed by a local id until then.
    Dialing {
        agent_id: String,
        request_id: RequestId,
    },
    /// Business-initiated: Meta took the connect; the customer's phone is reached or rings.
    Placed { agent_id: String },
    /// Meta accepted (inbound) or the customer picked up (outbound); media flows.
    OnCall {
        agent_id: String,
        answered_at: Timestamp,
    },
}

impl Phase {
    pub fn agent_id(&self) -> Option<&str> {
        match self {
            Phase::Routing => None,
            Phase::Ringing { agent_id, .. }
            | Phase::PreAccepting { agent_id, .. }
            | Phase::Connecting { agent_id, .. }
            | Phase::Accepting { agent_id, .. }
            | Phase::Dialing { agent_id, .. }
            | Phase::Placed { agent_id }
            | Phase::OnCall { agent_id, .. } => Some(agent_id),
        }
    }

    /// Meta was told to take the call (pre_accept or later): ending it is a `terminate`,
    /// not a `reject`.
    pub fn meta_took_it(&self) -> bool {
        matches!(
            self,
            Phase::Connecting { .. }
                | Phase::Accepting { .. }
                | Phase::Placed { .. }
                | Phase::OnCall { .. }
        )
    }
}

/// A user-initiated call the platform is still handling.
#[derive(Debug, Clone)]
pub struct LiveCall {
    pub id: CallId,
    pub direction: protocol::Direction,
    pub phone_number_id: String,
    pub business_number: PhoneNumber,
    pub customer: Customer,
    pub offer: Sdp,
    pub offered_at: Timestamp,
    /// The conversation's agent and the contact owner when the call came in (routing steps
    /// 3a and 3b); read once, as a customer's call lasts seconds.
    pub conversation_agent: Option<String>,
    pub contact_owner: Option<String>,
    /// Who was rung and how each ring ended; decides the next step (routing step 5). It
    /// starts when Meta sent the connect, so Meta's accept window is measured from there.
    pub sequence: RingSequence,
    pub phase: Phase,
    pub generation: u64,
}

impl LiveCall {
    /// Notes in the ring sequence how `agent_id`'s ring ended at `at`. A report that does not
    /// fit the sequence is a machine bug: logged, never a panic.
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

/// Agents and calls, with the generation counter for timers.
#[derive(Debug, Default)]
pub struct Live {
    pub agents: HashMap<String, LiveAgent>,
    pub calls: HashMap<String, LiveCall>,
    /// When each agent was last rung (round robin); seeded from the store at start.
    pub last_offered: HashMap<String, Timestamp>,
    /// Business-initiated calls' webhooks that came before Meta's answer to the connect
    /// told us the call id, replayed once it does.
    pub early: HashMap<String, Vec<super::input::Input>>,
    /// Per number: business-initiated attempts in 24 h and calls in progress.
    pub budgets: HashMap<String, crate::permissions::NumberCallBudget>,
    /// The team view supervisors and admins were last sent (`super::team`).
    pub team: super::team::TeamSent,
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

    /// The call `agent_id` is ringing for, if any.
    pub fn ringing_call_of(&self, agent_id: &str) -> Option<String> {
        self.call_of_agent(agent_id)
            .filter(|call| matches!(call.phase, Phase::Ringing { .. }))
            .map(|call| call.id.as_str().to_owned())
    }
}
