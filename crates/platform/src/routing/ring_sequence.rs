//! The ring sequence of one customer's call (PRODUCT.md routing step 5): ring one agent at a
//! time for the ring timeout; after a reject or a timeout ring the next eligible agent not yet
//! rung, while Meta's accept window leaves room for a ring; then the call is `missed`.
//!
//! Pure state over injected time: the driver calls [`RingSequence::next`] when the call
//! arrives and after each ring ends, reports each end with [`RingSequence::ring_ended`], arms
//! a timer for the returned `until`, and updates the agent's `last_offered_at` when it rings.

use std::collections::BTreeSet;

use protocol::{AgentId, RingAttempt, RingOutcome, RoutedBecause, Timestamp};

use super::decision::{pick_agent, route};
use super::{NumberRouting, RejectStatus, RoutingDecision, RoutingSnapshot};

/// What the driver does next with the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RingStep {
    /// Ring `agent` until `until` (the ring timeout, cut short by the accept window).
    Ring {
        agent: AgentId,
        because: RoutedBecause,
        until: Timestamp,
    },
    /// Nobody was rung: reject with this status (steps 1, 2 and 4).
    Reject {
        status: RejectStatus,
        auto_reply_text: Option<String>,
    },
    /// Nobody answered: agents were rung and none is left, or the accept window has no room
    /// for another ring (even before the first one). Reject the call, status `missed`.
    Missed,
}

/// Why the driver's report did not fit the sequence (a driver bug or a late event).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RingSequenceError {
    #[error("agent {0} is still ringing; report how the ring ended before choosing the next")]
    StillRinging(AgentId),
    #[error("agent {agent} is not ringing for this call")]
    NotRinging { agent: AgentId },
    #[error("a ring can only end as accepted, rejected, timed out or cancelled")]
    NotAnEnd,
    #[error("the call was already answered by {0}")]
    AlreadyAnswered(AgentId),
}

/// The agents rung for one call and how each ring ended.
///
/// Invariants: at most one attempt is `Ringing`, and it is the last; once an attempt is
/// `Accepted` no more are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingSequence {
    offered_at: Timestamp,
    attempts: Vec<RingAttempt>,
}

impl RingSequence {
    /// A call that reached the platform at `offered_at` (Meta's connect webhook).
    pub fn new(offered_at: Timestamp) -> Self {
        Self {
            offered_at,
            attempts: Vec::new(),
        }
    }

    /// Every agent rung so far, in order, for the call record.
    pub fn attempts(&self) -> &[RingAttempt] {
        &self.attempts
    }

    /// When Meta's accept window closes.
    pub fn accept_deadline(&self, config: &NumberRouting) -> Timestamp {
        self.offered_at + config.timing.accept_window()
    }

    /// Chooses the next step at `now`, and records a new ring as `Ringing`.
    pub fn next(
        &mut self,
        config: &NumberRouting,
        snapshot: &RoutingSnapshot,
        now: Timestamp,
    ) -> Result<RingStep, RingSequenceError> {
        if let Some(last) = self.attempts.last() {
            match last.outcome {
                RingOutcome::Ringing => {
                    return Err(RingSequenceError::StillRinging(last.agent_id.clone()))
                }
                RingOutcome::Accepted => {
                    return Err(RingSequenceError::AlreadyAnswered(last.agent_id.clone()))
                }
                _ => {}
            }
        }
        let remaining = self.accept_deadline(config) - now;
        if remaining < config.timing.min_ring() {
            return Ok(RingStep::Missed);
        }
        let picked = if self.attempts.is_empty() {
            match route(config, snapshot, now) {
                RoutingDecision::Ring { agent, because } => Ok((agent, because)),
                RoutingDecision::Reject {
                    status,
                    auto_reply_text,
                } => {
                    return Ok(RingStep::Reject {
                        status,
                        auto_reply_text,
                    })
                }
            }
        } else {
            let rung: BTreeSet<AgentId> =
                self.attempts.iter().map(|a| a.agent_id.clone()).collect();
            pick_agent(&config.number, snapshot, &rung)
        };
        let Ok((agent, because)) = picked else {
            return Ok(RingStep::Missed);
        };
        let until = now + config.timing.ring_timeout().min(remaining);
        self.attempts.push(RingAttempt {
            agent_id: agent.clone(),
            routed_because: because,
            rung_at: now,
            ended_at: None,
            outcome: RingOutcome::Ringing,
        });
        Ok(RingStep::Ring {
            agent,
            because,
            until,
        })
    }

    /// Records how the current ring of `agent` ended at `at`. `Cancelled` covers a ring
    /// withdrawn from this agent only (they went offline): the sequence may go on with
    /// [`RingSequence::next`]. When the whole call ends (the caller hung up) the driver
    /// records `Cancelled` and simply stops asking for a next step.
    pub fn ring_ended(
        &mut self,
        agent: &AgentId,
        outcome: RingOutcome,
        at: Timestamp,
    ) -> Result<(), RingSequenceError> {
        if outcome == RingOutcome::Ringing {
            return Err(RingSequenceError::NotAnEnd);
        }
        match self.attempts.last_mut() {
            Some(last) if &last.agent_id == agent && last.outcome == RingOutcome::Ringing => {
                last.outcome = outcome;
                last.ended_at = Some(at);
                Ok(())
            }
            _ => Err(RingSequenceError::NotRinging {
                agent: agent.clone(),
            }),
        }
    }
}
