//! The routing decision for a customer's call (PRODUCT.md "Routing of user-initiated calls",
//! steps 1–4): a pure function of the number's settings, a snapshot and the time.

use std::collections::BTreeSet;

use protocol::{AgentId, CallStatus, PhoneNumber, RoutedBecause, Timestamp};

use super::{AgentState, NumberRouting, RoutingSnapshot};

/// What to do with a customer's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutingDecision {
    /// Ring this agent.
    Ring {
        agent: AgentId,
        because: RoutedBecause,
    },
    /// Reject the call with Meta and close the record with `status`; send the text if any.
    Reject {
        status: RejectStatus,
        auto_reply_text: Option<String>,
    },
}

/// Why a call was rejected without ringing anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectStatus {
    CallingDisabled,
    OutsideOfficeHours,
    /// Nobody who could take the call is signed in and Available.
    AllAgentsOffline,
    /// Someone is Available, but everyone Available is on or ringing for a call.
    AllAgentsBusy,
}

impl RejectStatus {
    /// The status the call record gets. Calling disabled is not among PRODUCT.md's statuses:
    /// the record says `rejected` (by the system).
    pub fn call_status(self) -> CallStatus {
        match self {
            RejectStatus::CallingDisabled => CallStatus::Rejected,
            RejectStatus::OutsideOfficeHours => CallStatus::OutsideOfficeHours,
            RejectStatus::AllAgentsOffline => CallStatus::AllAgentsOffline,
            RejectStatus::AllAgentsBusy => CallStatus::AllAgentsBusy,
        }
    }
}

/// Routes a call on `config.number` that has just arrived at `now`.
pub fn route(
    config: &NumberRouting,
    snapshot: &RoutingSnapshot,
    now: Timestamp,
) -> RoutingDecision {
    if !config.calling_enabled {
        return reject(config, RejectStatus::CallingDisabled);
    }
    if let Some(hours) = &config.call_hours {
        if !hours.is_open(now) {
            return reject(config, RejectStatus::OutsideOfficeHours);
        }
    }
    match pick_agent(&config.number, snapshot, &BTreeSet::new()) {
        Ok((agent, because)) => RoutingDecision::Ring { agent, because },
        Err(status) => reject(config, status),
    }
}

fn reject(config: &NumberRouting, status: RejectStatus) -> RoutingDecision {
    let replies = &config.auto_replies;
    let auto_reply_text = match status {
        RejectStatus::CallingDisabled => None,
        RejectStatus::OutsideOfficeHours => replies.outside_office_hours.clone(),
        RejectStatus::AllAgentsOffline => replies.all_agents_offline.clone(),
        RejectStatus::AllAgentsBusy => replies.all_agents_busy.clone(),
    };
    RoutingDecision::Reject {
        status,
        auto_reply_text,
    }
}

/// Step 3: the first eligible agent not in `skip` — the conversation's agent, then the contact
/// owner, then round robin over non-excluded call operators, least recently offered first
/// (never offered before anyone; ties by agent id, so the order is deterministic).
///
/// When nobody is eligible, says whether that is because nobody who could take the call is
/// Available (`AllAgentsOffline`) or because all of those are busy (`AllAgentsBusy`).
pub(super) fn pick_agent(
    number: &PhoneNumber,
    snapshot: &RoutingSnapshot,
    skip: &BTreeSet<AgentId>,
) -> Result<(AgentId, RoutedBecause), RejectStatus> {
    let preferred = [
        (
            &snapshot.conversation_agent,
            RoutedBecause::OpenConversation,
        ),
        (&snapshot.contact_owner, RoutedBecause::ContactOwner),
    ];
    for (id, because) in preferred {
        let agent = id.as_ref().and_then(|id| snapshot.agent(id));
        if let Some(agent) = agent.filter(|a| a.is_eligible_for(number) && !skip.contains(&a.id)) {
            return Ok((agent.id.clone(), because));
        }
    }

    let round_robin = snapshot
        .agents
        .iter()
        .filter(|a| !snapshot.excluded.contains(&a.id) && !skip.contains(&a.id))
        .filter(|a| a.is_eligible_for(number))
        .min_by(|a, b| {
            // `None` (never offered) sorts before any time.
            (a.last_offered_at, &a.id).cmp(&(b.last_offered_at, &b.id))
        });
    if let Some(agent) = round_robin {
        return Ok((agent.id.clone(), RoutedBecause::RoundRobin));
    }

    // Who could have taken it: call operators of the number, less the excluded, plus the
    // conversation's agent and the contact owner even if excluded.
    let could_take = |a: &&AgentState| {
        a.numbers.contains(number)
            && (!snapshot.excluded.contains(&a.id)
                || snapshot.conversation_agent.as_ref() == Some(&a.id)
                || snapshot.contact_owner.as_ref() == Some(&a.id))
    };
    if snapshot
        .agents
        .iter()
        .filter(could_take)
        .any(AgentState::is_available)
    {
        Err(RejectStatus::AllAgentsBusy)
    } else {
        Err(RejectStatus::AllAgentsOffline)
    }
}
