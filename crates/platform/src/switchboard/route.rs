//! The switchboard's side of routing: it gathers a [`RoutingSnapshot`] of the live agents and
//! the call's [`NumberRouting`], asks the call's pure [`crate::routing::RingSequence`] for the
//! next step (first agent, next agent after a reject or timeout, the shortest-ring rule and the
//! accept window, `missed`) and acts on it. No routing rule lives here; the number's call
//! operators and round-robin exclusions come from the settings (`[[numbers]]`).

use std::collections::{BTreeSet, HashMap};

use protocol::{AgentId, Timestamp};

use super::live::{Live, LiveCall};
use super::Switchboard;
use crate::config::NumberSettings;
use crate::routing::{AgentState, AutoReplies, NumberRouting, RingStep, RoutingSnapshot};
use crate::store::wire::timestamp;
use crate::store::StoreError;

impl Switchboard {
    /// Takes the next step of the call's ring sequence: ring an agent, refuse the call (nobody
    /// could be rung at all), or give up (`missed`).
    pub(super) async fn route(&mut self, call_id: &str) -> Result<(), StoreError> {
        let Some(call) = self.live.calls.get(call_id) else {
            return Ok(());
        };
        let (phone_number_id, customer) = (
            call.phone_number_id.clone(),
            call.customer.number.as_str().to_owned(),
        );
        let assigned = self
            .store
            .conversation(&phone_number_id, &customer)
            .await?
            .and_then(|conversation| conversation.assigned_agent_id);
        let owner = self.store.contact_owner(&customer).await?;
        let offered: HashMap<String, i64> = self.store.last_offered().await?.into_iter().collect();
        let Some(call) = self.live.calls.get(call_id) else {
            return Ok(());
        };
        let config = self.number_routing(call);
        let operators = Operators(self.settings.number(&call.phone_number_id));
        let snapshot = snapshot(
            &self.live,
            call,
            operators,
            &offered,
            assigned.as_deref(),
            owner.as_deref(),
        );
        let now = chrono::Utc::now();
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return Ok(());
        };
        let step = match call.sequence.next(&config, &snapshot, now) {
            Ok(step) => step,
            Err(error) => {
                tracing::warn!(call_id, %error, "ring sequence refused the next step");
                return Ok(());
            }
        };
        match step {
            RingStep::Ring {
                agent,
                because,
                until,
            } => {
                self.ring(call_id, agent.as_str(), because, now, until)
                    .await
            }
            RingStep::Reject {
                status,
                auto_reply_text,
            } => {
                self.refuse(call_id, status.call_status(), auto_reply_text)
                    .await
            }
            RingStep::Missed => self.give_up(call_id).await,
        }
    }

    /// The call's number's routing settings; a number missing from the settings takes calls
    /// around the clock with the default texts.
    pub(super) fn number_routing(&self, call: &LiveCall) -> NumberRouting {
        let configured = self
            .settings
            .number(&call.phone_number_id)
            .and_then(|number| match self.settings.routing_for(number) {
                Ok(routing) => Some(routing),
                Err(error) => {
                    tracing::error!(%error, "number routing settings unusable; using defaults");
                    None
                }
            });
        configured.unwrap_or_else(|| {
            let texts = &self.settings.auto_responder;
            NumberRouting {
                number: call.business_number.clone(),
                calling_enabled: true,
                call_hours: None,
                auto_replies: AutoReplies {
                    outside_office_hours: Some(texts.outside_office_hours.clone()),
                    all_agents_offline: Some(texts.all_agents_offline.clone()),
                    all_agents_busy: Some(texts.all_agents_busy.clone()),
                },
                timing: self.ring_timing,
            }
        })
    }
}

/// Who routing may consider for a call, from the number's settings (`None`: a number missing
/// from the settings, which every agent may take and nobody is excluded from).
#[derive(Debug, Clone, Copy)]
struct Operators<'a>(Option<&'a NumberSettings>);

impl Operators<'_> {
    fn allows(self, agent_name: &str) -> bool {
        self.0.is_none_or(|number| number.allows(agent_name))
    }

    fn excludes(self, agent_name: &str) -> bool {
        self.0.is_some_and(|number| number.excludes(agent_name))
    }
}

/// The routing module's view of the live agents for `call`: an agent is a call operator of the
/// call's number if the number's `call_operators` name them (or name nobody), and left out of
/// round robin if `round_robin_excluded` names them.
fn snapshot(
    live: &Live,
    call: &LiveCall,
    operators: Operators<'_>,
    offered: &HashMap<String, i64>,
    assigned: Option<&str>,
    owner: Option<&str>,
) -> RoutingSnapshot {
    let agent_id = |id: &str| AgentId::new(id).ok();
    let mut excluded = BTreeSet::new();
    let agents = live
        .agents
        .values()
        .filter_map(|agent| {
            let id = agent_id(&agent.agent.id)?;
            if operators.excludes(&agent.agent.name) {
                excluded.insert(id.clone());
            }
            let numbers = if operators.allows(&agent.agent.name) {
                [call.business_number.clone()].into_iter().collect()
            } else {
                BTreeSet::new()
            };
            Some(AgentState {
                id,
                signed_in: agent.connection.is_some(),
                presence: agent.presence,
                busy: live.busy(&agent.agent.id),
                numbers,
                last_offered_at: offered.get(&agent.agent.id).copied().map(timestamp),
            })
        })
        .collect();
    RoutingSnapshot {
        agents,
        excluded,
        conversation_agent: assigned.and_then(agent_id),
        contact_owner: owner.and_then(agent_id),
    }
}

/// How long from `now` until `until`, for a timer (zero if already past).
pub(super) fn until(now: Timestamp, until: Timestamp) -> std::time::Duration {
    (until - now).to_std().unwrap_or_default()
}
