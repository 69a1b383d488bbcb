//! What a supervisor (their team) or an admin (everyone) sees of other agents, live: presence
//! and the call each is on. Sent whole in `hello.team` and again as `team_status` whenever a
//! member's presence or call changes; never sent to agents.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{AgentId, CallId, Customer, Direction, Presence, Timestamp};

/// The whole team as it stands now (replaces the previous one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TeamStatus {
    pub members: Vec<TeamMember>,
}

/// One agent of the team. `presence` is `offline` while the agent's app is not connected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TeamMember {
    pub agent_id: AgentId,
    pub name: String,
    pub presence: Presence,
    /// The call ringing for, connecting to or talking with this agent.
    pub call: Option<TeamCall>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TeamCall {
    pub call_id: CallId,
    pub direction: Direction,
    pub customer: Customer,
    pub phase: TeamCallPhase,
    /// Since when the call is in this phase's kind: the ring, the offer or dial, the answer.
    pub since: Timestamp,
}

/// Where a member's call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TeamCallPhase {
    /// Ringing for the agent (inbound).
    Ringing,
    /// Accepted or dialled; media not flowing yet.
    Connecting,
    /// Talking.
    OnCall,
}
