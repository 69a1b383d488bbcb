//! Ringing agents one after another (PRODUCT.md routing step 5) and taking the call to Meta:
//! the machine gathers a [`RoutingSnapshot`] of its agents, asks the call's pure
//! [`RingSequence`](crate::routing::RingSequence) for the next step and acts on it; no routing
//! rule lives here. Then `pre_accept`, `media_ready`, `accept`, each step a phase of its own.

use std::collections::{BTreeSet, HashSet};

use protocol::{
    AgentId, CallState, CallStatus, CancelReason, ErrorCode, Party, RingOutcome, RoutedBecause,
    ServerMessage, StartMedia, Timestamp,
};

use crate::config::NumberSettings;
use crate::graph::GraphFailure;
use crate::routing::{AgentState, AutoReplies, NumberRouting, RingStep, RoutingSnapshot};
use crate::store::calls::CallEnd;
use crate::store::wire::millis;

use super::effect::{GraphStep, Write};
use super::input::TimerKind;
use super::live::{Live, LiveCall, Phase};
use super::machine::{CallMachine, Effects};
use super::{cancelled, end, incoming_call};

impl CallMachine {
    /// Takes the next step of the call's ring sequence: ring an agent, refuse the call (nobody
    /// could be rung at all), or give up (`missed`).
    pub(super) fn route(&mut self, call_id: &str, now: Timestamp, out: &mut Effects) {
        let Some(call) = self.live.calls.get(call_id) else {
            return;
        };
        let config = self.number_routing(call);
        let operators = Operators(self.settings.number(&call.phone_number_id));
        let snapshot = snapshot(&self.live, call, operators);
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return;
        };
        let step = match call.sequence.next(&config, &snapshot, now) {
            Ok(step) => step,
            Err(error) => {
                tracing::error!(call_id, %error, "ring sequence refused the next step: call failed");
                self.fail(
                    call_id,
                    GraphFailure::Transport(format!("internal routing error: {error}")),
                    now,
                    out,
                );
                return;
            }
        };
        match step {
            RingStep::Ring {
                agent,
                because,
                until,
            } => self.ring(call_id, agent.as_str(), because, now, until, out),
            RingStep::Reject {
                status,
                auto_reply_text,
            } => self.refuse(call_id, status.call_status(), auto_reply_text, now, out),
            RingStep::Missed => self.give_up(call_id, now, out),
        }
    }

    /// Rings `agent_id` until `until` (the sequence already noted the ring).
    fn ring(
        &mut self,
        call_id: &str,
        agent_id: &str,
        because: RoutedBecause,
        now: Timestamp,
        until: Timestamp,
        out: &mut Effects,
    ) {
        let generation = self.live.generation();
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return;
        };
        call.generation = generation;
        call.phase = Phase::Ringing {
            agent_id: agent_id.to_owned(),
            because,
            deadline: until,
        };
        self.live.last_offered.insert(agent_id.to_owned(), now);
        out.write(Write::AddRing {
            call_id: call_id.to_owned(),
            agent_id: agent_id.to_owned(),
            because,
            at: millis(now),
        });
        tracing::info!(call_id, agent_id, ?because, "ringing agent");
        out.send(agent_id, incoming_call(call, now));
        out.arm(call_id, generation, TimerKind::Ring, until);
    }

    /// The ringing agent will not answer: record how the ring ended, tell the app to stop
    /// ringing (if `reason` is given) and try the next agent.
    pub(super) fn ring_ended(
        &mut self,
        call_id: &str,
        outcome: RingOutcome,
        reason: Option<CancelReason>,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return;
        };
        let Phase::Ringing { agent_id, .. } = &call.phase else {
            return;
        };
        let agent_id = agent_id.clone();
        call.phase = Phase::Routing;
        call.ring_ended(&agent_id, outcome, now);
        out.write(Write::EndRing {
            call_id: call_id.to_owned(),
            agent_id: agent_id.clone(),
            outcome,
            at: millis(now),
        });
        if let Some(reason) = reason {
            out.send(&agent_id, cancelled(&call.id, reason));
        }
        self.route(call_id, now, out);
    }

    /// Nobody could be rung at all: close the record with `status` (all_agents_busy /
    /// all_agents_offline / outside_office_hours), reject with Meta, send the auto-responder.
    fn refuse(
        &mut self,
        call_id: &str,
        status: CallStatus,
        text: Option<String>,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let Some(call) = self.live.calls.remove(call_id) else {
            return;
        };
        tracing::info!(call_id, ?status, "refusing call");
        out.finish(call_id, end(status, Party::System, millis(now)));
        out.graph(&call, GraphStep::Reject);
        if let Some(text) = text {
            let to = call.customer.number.as_str().to_owned();
            out.graph(&call, GraphStep::AutoReply { to, text });
        }
    }

    /// Every eligible agent was tried or the accept window closed: close the record as missed
    /// by the agents and reject with Meta.
    fn give_up(&mut self, call_id: &str, now: Timestamp, out: &mut Effects) {
        let Some(call) = self.live.calls.remove(call_id) else {
            return;
        };
        tracing::info!(
            call_id,
            rung = call.sequence.attempts().len(),
            "nobody answered: missed"
        );
        let by = if call.sequence.attempts().is_empty() {
            Party::System
        } else {
            Party::Agent
        };
        out.finish(call_id, end(CallStatus::Missed, by, millis(now)));
        out.graph(&call, GraphStep::Reject);
    }

    /// Meta accepts the call with the answer given at `pre_accept`; `request_id` is the app's
    /// `media_ready`, answered once Meta has.
    pub(super) fn accept_with_meta(
        &mut self,
        call_id: &str,
        request_id: Option<protocol::RequestId>,
        out: &mut Effects,
    ) {
        let generation = self.live.generation();
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return;
        };
        let Phase::Connecting { agent_id, answer } = &call.phase else {
            return;
        };
        let answer = answer.clone();
        call.phase = Phase::Accepting {
            agent_id: agent_id.clone(),
            request_id,
        };
        call.generation = generation;
        out.graph(call, GraphStep::Accept { answer });
    }

    /// Meta answered a Graph request.
    pub(super) fn graph_done(
        &mut self,
        call_id: &str,
        step: GraphStep,
        result: Result<Option<String>, GraphFailure>,
        now: Timestamp,
        out: &mut Effects,
    ) {
        if let GraphStep::Connect { .. } = step {
            self.connect_done(call_id, result, now, out);
            return;
        }
        if !step.awaited() {
            if let Err(failure) = result {
                tracing::warn!(call_id, ?step, %failure, "Meta did not take a request nothing waits on");
            }
            return;
        }
        // Taken up front (the call is borrowed below); an unused generation is harmless.
        let generation = self.live.generation();
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return; // Ended meanwhile (the customer hung up): nothing waits any more.
        };
        match (step, result, &call.phase) {
            (
                GraphStep::PreAccept { .. },
                Ok(_),
                Phase::PreAccepting {
                    agent_id,
                    answer,
                    request_id,
                    media_ready,
                },
            ) => {
                let (agent_id, answer, request_id, media_ready) = (
                    agent_id.clone(),
                    answer.clone(),
                    request_id.clone(),
                    *media_ready,
                );
                call.phase = Phase::Connecting {
                    agent_id: agent_id.clone(),
                    answer,
                };
                call.generation = generation;
                super::reply_ok(out, &agent_id, request_id);
                tracing::info!(call_id, agent_id, "pre_accepted; waiting for media_ready");
                if media_ready {
                    self.accept_with_meta(call_id, None, out);
                } else {
                    let bound = self.settings.timers.media_ready_bound;
                    let at =
                        now + chrono::TimeDelta::from_std(bound).unwrap_or(chrono::TimeDelta::MAX);
                    out.arm(call_id, generation, TimerKind::MediaReady, at);
                }
            }
            (
                GraphStep::PreAccept { .. },
                Err(failure),
                Phase::PreAccepting {
                    agent_id,
                    request_id,
                    ..
                },
            ) => {
                let (agent_id, request_id) = (agent_id.clone(), request_id.clone());
                let message = format!("Meta refused pre_accept: {failure}");
                self.fail(call_id, failure, now, out);
                super::reply_refused(
                    out,
                    &agent_id,
                    request_id,
                    ErrorCode::UpstreamError,
                    message,
                );
            }
            (
                GraphStep::Accept { .. },
                Ok(_),
                Phase::Accepting {
                    agent_id,
                    request_id,
                },
            ) => {
                let (agent_id, request_id) = (agent_id.clone(), request_id.clone());
                call.phase = Phase::OnCall {
                    agent_id: agent_id.clone(),
                    answered_at: now,
                };
                call.generation = generation;
                out.write(Write::AnswerCall {
                    call_id: call_id.to_owned(),
                    agent_id: agent_id.clone(),
                    at: millis(now),
                });
                out.send(
                    &agent_id,
                    ServerMessage::StartMedia(StartMedia {
                        call_id: call.id.clone(),
                        record: self
                            .settings
                            .number(&call.phone_number_id)
                            .is_some_and(|n| n.recording == Some(true)),
                    }),
                );
                out.update(&agent_id, call, CallState::Accepted { at: now });
                if let Some(request_id) = request_id {
                    super::reply_ok(out, &agent_id, request_id);
                }
                tracing::info!(call_id, agent_id, "call accepted with Meta");
                let (phone_number_id, customer) = (
                    call.phone_number_id.clone(),
                    call.customer.number.as_str().to_owned(),
                );
                self.arm_reaper(call_id, out);
                self.customer_call_connected(&phone_number_id, &customer, call_id, now, out);
            }
            (
                GraphStep::Accept { .. },
                Err(failure),
                Phase::Accepting {
                    agent_id,
                    request_id,
                },
            ) => {
                let (agent_id, request_id) = (agent_id.clone(), request_id.clone());
                let message = format!("Meta refused accept: {failure}");
                self.fail(call_id, failure, now, out);
                if let Some(request_id) = request_id {
                    super::reply_refused(
                        out,
                        &agent_id,
                        request_id,
                        ErrorCode::UpstreamError,
                        message,
                    );
                }
            }
            (step, _, phase) => {
                tracing::debug!(
                    call_id,
                    ?step,
                    ?phase,
                    "Graph answer for a step the call has left"
                );
            }
        }
    }

    /// Meta refused a step (or the call cannot go on): close the record as failed with Meta's
    /// code, end it with Meta and tell the agent.
    pub(super) fn fail(
        &mut self,
        call_id: &str,
        failure: GraphFailure,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let Some(call) = self.live.calls.remove(call_id) else {
            return;
        };
        tracing::warn!(call_id, %failure, "call failed");
        self.outbound_over(&call, matches!(call.phase, Phase::OnCall { .. }), now, out);
        if let Phase::Ringing { agent_id, .. } = &call.phase {
            out.write(Write::EndRing {
                call_id: call_id.to_owned(),
                agent_id: agent_id.clone(),
                outcome: RingOutcome::Cancelled,
                at: millis(now),
            });
        }
        out.finish(
            call_id,
            CallEnd {
                meta_error_code: failure.meta_code().map(i64::from),
                ..end(CallStatus::Failed, Party::System, millis(now))
            },
        );
        let step = if call.phase.meta_took_it() {
            GraphStep::Terminate
        } else {
            GraphStep::Reject
        };
        out.graph(&call, step);
        if let Some(agent_id) = call.phase.agent_id() {
            out.update(
                agent_id,
                &call,
                CallState::Failed {
                    code: ErrorCode::UpstreamError,
                    message: failure.to_string(),
                    meta_error_code: failure.meta_code(),
                },
            );
        }
    }

    /// A customer's call connected at `at`: it resets the request limits, and on a number with
    /// callback permission enabled it grants a temporary permission. The driver tells the
    /// conversation's agent the new permission state when a fact is new.
    fn customer_call_connected(
        &self,
        phone_number_id: &str,
        customer_number: &str,
        call_id: &str,
        at: Timestamp,
        out: &mut Effects,
    ) {
        use crate::permissions::PermissionEvent;
        use crate::store::permissions::PermissionFact;
        let mut fact = |id: String, event| {
            out.write(Write::AddPermissionFact {
                phone_number_id: phone_number_id.to_owned(),
                customer_number: customer_number.to_owned(),
                fact: PermissionFact {
                    id,
                    at: millis(at),
                    event,
                },
            });
        };
        fact(
            format!("{call_id}:call_connected"),
            PermissionEvent::CallConnected {
                direction: protocol::Direction::Inbound,
            },
        );
        let callback = self
            .settings
            .number(phone_number_id)
            .is_some_and(|number| number.callback_permission == Some(true));
        if callback {
            fact(
                format!("{call_id}:callback_granted"),
                PermissionEvent::CallbackGranted { expires_at: None },
            );
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

/// The routing module's view of the live agents for `call`.
fn snapshot(live: &Live, call: &LiveCall, operators: Operators<'_>) -> RoutingSnapshot {
    let agent_id = |id: &str| AgentId::new(id).ok();
    // One pass over the calls, not one per agent: with thousands of agents and calls the
    // per-agent scan was most of the platform's CPU (docs/BENCHMARKS.md).
    let busy: HashSet<&str> = live
        .calls
        .values()
        .filter_map(|call| call.phase.agent_id())
        .collect();
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
                signed_in: agent.connection_id.is_some(),
                presence: agent.presence,
                busy: busy.contains(agent.agent.id.as_str()),
                numbers,
                last_offered_at: live.last_offered.get(&agent.agent.id).copied(),
            })
        })
        .collect();
    RoutingSnapshot {
        agents,
        excluded,
        conversation_agent: call.conversation_agent.as_deref().and_then(agent_id),
        contact_owner: call.contact_owner.as_deref().and_then(agent_id),
    }
}
