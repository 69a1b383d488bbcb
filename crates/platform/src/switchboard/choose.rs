//! Which agent rings next: a pure function over a snapshot, so it is tested without sockets.
//!
//! Order (PRODUCT.md, "Routing of user-initiated calls", step 3): the agent assigned to the
//! customer's conversation, then the contact owner, then round robin over everyone else, least
//! recently offered first (never offered counts as longest ago; ties by id for determinism).
//! Eligible = connected, presence Available, not ringing or on another call, not already tried
//! for this call.
//!
//! The first decision for a call is the shared `routing` module's (it also knows calling
//! disabled and call hours); this function picks the *next* agent after a reject or timeout,
//! with the same order, skipping the agents already tried.

use protocol::RoutedBecause;

/// One agent as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub agent_id: String,
    /// Has a live socket and presence Available.
    pub available: bool,
    /// Has a live socket (whatever the presence).
    pub signed_in: bool,
    /// Ringing for or on another call.
    pub busy: bool,
    /// When this agent was last offered a call (unix ms), if ever.
    pub last_offered: Option<i64>,
}

/// What routing decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Ring {
        agent_id: String,
        because: RoutedBecause,
    },
    /// Somebody is available, but every one of them is on or ringing for another call.
    AllBusy,
    /// Nobody is signed in and Available (or everyone left was already tried).
    AllOffline,
}

/// Picks the next agent to ring. `tried` are the agents already rung for this call.
pub fn choose(
    candidates: &[Candidate],
    assigned: Option<&str>,
    contact_owner: Option<&str>,
    tried: &[String],
) -> Choice {
    let eligible = |candidate: &&Candidate| {
        candidate.available && !candidate.busy && !tried.contains(&candidate.agent_id)
    };
    let find = |id: &str| {
        candidates
            .iter()
            .filter(eligible)
            .find(|candidate| candidate.agent_id == id)
    };
    if let Some(agent) = assigned.and_then(find) {
        return Choice::Ring {
            agent_id: agent.agent_id.clone(),
            because: RoutedBecause::OpenConversation,
        };
    }
    if let Some(agent) = contact_owner.and_then(find) {
        return Choice::Ring {
            agent_id: agent.agent_id.clone(),
            because: RoutedBecause::ContactOwner,
        };
    }
    let next = candidates.iter().filter(eligible).min_by(|a, b| {
        (a.last_offered.unwrap_or(i64::MIN), &a.agent_id)
            .cmp(&(b.last_offered.unwrap_or(i64::MIN), &b.agent_id))
    });
    match next {
        Some(agent) => Choice::Ring {
            agent_id: agent.agent_id.clone(),
            because: RoutedBecause::RoundRobin,
        },
        None => {
            let someone_busy = candidates
                .iter()
                .any(|candidate| candidate.available && candidate.busy);
            if someone_busy {
                Choice::AllBusy
            } else {
                Choice::AllOffline
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, available: bool, busy: bool, last: Option<i64>) -> Candidate {
        Candidate {
            agent_id: id.into(),
            available,
            signed_in: available,
            busy,
            last_offered: last,
        }
    }

    fn ring(id: &str, because: RoutedBecause) -> Choice {
        Choice::Ring {
            agent_id: id.into(),
            because,
        }
    }

    #[test]
    fn assigned_agent_then_contact_owner_then_least_recently_offered() {
        let agents = [
            agent("a", true, false, Some(5)),
            agent("b", true, false, Some(1)),
            agent("c", true, false, None),
        ];
        assert_eq!(
            choose(&agents, Some("a"), Some("b"), &[]),
            ring("a", RoutedBecause::OpenConversation)
        );
        assert_eq!(
            choose(&agents, Some("a"), Some("b"), &["a".into()]),
            ring("b", RoutedBecause::ContactOwner)
        );
        assert_eq!(
            choose(&agents, None, None, &[]),
            ring("c", RoutedBecause::RoundRobin),
            "never offered goes first"
        );
        assert_eq!(
            choose(&agents, None, None, &["c".into()]),
            ring("b", RoutedBecause::RoundRobin)
        );
    }

    #[test]
    fn unavailable_assigned_agent_falls_through_to_round_robin() {
        let agents = [
            agent("a", false, false, None),
            agent("b", true, false, None),
        ];
        assert_eq!(
            choose(&agents, Some("a"), None, &[]),
            ring("b", RoutedBecause::RoundRobin)
        );
    }

    #[test]
    fn busy_and_offline_are_told_apart() {
        assert_eq!(
            choose(&[agent("a", true, true, None)], None, None, &[]),
            Choice::AllBusy
        );
        assert_eq!(
            choose(&[agent("a", false, false, None)], None, None, &[]),
            Choice::AllOffline
        );
        assert_eq!(choose(&[], None, None, &[]), Choice::AllOffline);
        assert_eq!(
            choose(&[agent("a", true, false, None)], None, None, &["a".into()]),
            Choice::AllOffline,
            "everyone tried leaves nobody"
        );
    }
}
