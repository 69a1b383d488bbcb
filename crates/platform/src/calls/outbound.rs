//! Business-initiated calls: an agent calls a conversation's customer (PRODUCT.md "Call
//! flows", "Call permissions and limits"; reference §2.4, §2.5, §3.1).
//!
//! `place_call` is refused with a stable code and the reason **before anything reaches
//! Meta** unless: the agent is the conversation's (or its contact owner's, when nobody is
//! assigned), calling is on for the number, the agent is free, the offer follows Meta's rules,
//! the customer's permission is valid and under 100 connected calls in 24 h, and the number is
//! under 10,000 attempts in 24 h and 1,000 calls in progress. Then:
//!
//! `Dialing` (Meta asked to `connect`; keyed by a local id until Meta answers with the call
//! id) → `Placed` (the `connect` webhook's SDP answer goes to the app as `remote_answer`;
//! `RINGING` → `call_update ringing`) → `OnCall` at **ACCEPTED** (the pickup: Meta's connect
//! fires when the media tunnel is up, often ~20 s earlier, so the call's answer time and
//! duration start here) → ended by terminate or hang-up. `REJECTED`, or no pickup within
//! [`OUTBOUND_RING_BOUND`], ends it unanswered, which counts toward Meta's revocation after
//! four unanswered calls in a row.

use std::time::Duration;

use protocol::{
    CallId, CallState, CallStatus, Direction, ErrorCode, Party, RemoteAnswer, ReplyResult,
    ServerMessage, StartMedia, Timestamp,
};
use whatsapp::sdp::{validate_for_meta, SdpRole};

use crate::graph::GraphFailure;
use crate::permissions::{NumberCallBudget, NumberLimits, PermissionEvent};
use crate::routing::RingSequence;
use crate::store::calls::{CallEnd, NewCall};
use crate::store::permissions::PermissionFact;
use crate::store::wire::millis;

use super::effect::{GraphStep, Write};
use super::input::{ConversationFacts, Input, OutboundStatus, PlaceCallFacts, TimerKind};
use super::live::{LiveCall, Phase};
use super::machine::{CallMachine, Effects};
use super::{end, reply_refused};

/// How long a placed call may go without the customer picking up before the platform ends
/// it (Meta documents no ringing timeout for business-initiated calls).
pub const OUTBOUND_RING_BOUND: Duration = Duration::from_secs(60);

/// Early webhooks kept per machine for calls whose id Meta has not told us yet.
const MAX_EARLY: usize = 256;

/// May `agent_id` act on this conversation (call, ask for permission, write)? The agent
/// assigned to it; when nobody is, the customer's contact owner.
pub fn may_act(
    agent_id: &str,
    conversation: &ConversationFacts,
) -> Result<(), (ErrorCode, String)> {
    let allowed = match &conversation.assigned_agent {
        Some(assigned) => assigned == agent_id,
        None => conversation.contact_owner.as_deref() == Some(agent_id),
    };
    if allowed {
        return Ok(());
    }
    let reason = match &conversation.assigned_agent {
        Some(_) => "this conversation is assigned to another agent; only they can act on it",
        None => {
            "this conversation is assigned to nobody and you are not the customer's contact owner"
        }
    };
    Err((ErrorCode::NotConversationAgent, reason.into()))
}

impl CallMachine {
    pub(super) fn place_call(&mut self, facts: PlaceCallFacts, now: Timestamp, out: &mut Effects) {
        let current = self
            .live
            .agents
            .get(&facts.agent_id)
            .and_then(|agent| agent.connection_id);
        if current != Some(facts.connection_id) {
            return;
        }
        let agent_id = facts.agent_id.clone();
        let request_id = facts.request_id.clone();
        match self.check_place_call(&facts, now) {
            Err((code, message)) => {
                tracing::info!(agent_id, ?code, message, "place_call refused");
                reply_refused(out, &agent_id, request_id, code, message);
            }
            Ok(conversation) => {
                let local_id = format!("local.{}.{}", millis(now), facts.request_id.as_str());
                let Ok(id) = CallId::new(local_id.clone()) else {
                    reply_refused(
                        out,
                        &agent_id,
                        request_id,
                        ErrorCode::InvalidMessage,
                        "request id too long for a call id".into(),
                    );
                    return;
                };
                let budget = self.budget(&conversation.phone_number_id);
                budget.record_attempt(now);
                budget.call_started(id.clone());
                let generation = self.live.generation();
                let call = LiveCall {
                    id,
                    direction: Direction::Outbound,
                    phone_number_id: conversation.phone_number_id.clone(),
                    business_number: conversation.business_number.clone(),
                    customer: conversation.customer.clone(),
                    offer: facts.offer.clone(),
                    offered_at: now,
                    conversation_agent: conversation.assigned_agent.clone(),
                    contact_owner: conversation.contact_owner.clone(),
                    sequence: RingSequence::new(now),
                    phase: Phase::Dialing {
                        agent_id: agent_id.clone(),
                        request_id,
                    },
                    generation,
                };
                let to = call.customer.number.as_str().to_owned();
                out.graph(
                    &call,
                    GraphStep::Connect {
                        to,
                        offer: facts.offer.as_str().to_owned(),
                    },
                );
                tracing::info!(agent_id, local_id, "placing a business-initiated call");
                self.live.calls.insert(local_id, call);
            }
        }
    }

    /// Every rule of `place_call`, in the order an agent can fix them.
    fn check_place_call<'a>(
        &mut self,
        facts: &'a PlaceCallFacts,
        now: Timestamp,
    ) -> Result<&'a ConversationFacts, (ErrorCode, String)> {
        let conversation = facts.conversation.as_ref().ok_or_else(|| {
            (
                ErrorCode::UnknownConversation,
                "no such conversation".to_owned(),
            )
        })?;
        may_act(&facts.agent_id, conversation)?;
        if !conversation.calling_enabled {
            return Err((
                ErrorCode::CallingDisabled,
                "calling is turned off for this number".into(),
            ));
        }
        if self.live.busy(&facts.agent_id) {
            return Err((
                ErrorCode::AgentBusy,
                "you are already on, ringing for or placing a call".into(),
            ));
        }
        validate_for_meta(facts.offer.as_str(), SdpRole::OfferToMeta).map_err(|violations| {
            (
                ErrorCode::InvalidSdp,
                format!("the offer breaks Meta's rules: {violations}"),
            )
        })?;
        conversation.ledger.can_call(now).map_err(|refusal| {
            let error = refusal.to_protocol_error();
            (error.code, error.message)
        })?;
        self.budget(&conversation.phone_number_id)
            .can_place_call(now)
            .map_err(|refusal| {
                let error = refusal.to_protocol_error();
                (error.code, error.message)
            })?;
        Ok(conversation)
    }

    fn budget(&mut self, phone_number_id: &str) -> &mut NumberCallBudget {
        self.live
            .budgets
            .entry(phone_number_id.to_owned())
            .or_insert_with(|| NumberCallBudget::new(NumberLimits::default()))
    }

    /// Meta answered the `connect`: the call gets Meta's id, a record, and the app its reply.
    pub(super) fn connect_done(
        &mut self,
        local_id: &str,
        result: Result<Option<String>, GraphFailure>,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let Some(mut call) = self.live.calls.remove(local_id) else {
            return;
        };
        let Phase::Dialing {
            agent_id,
            request_id,
        } = call.phase.clone()
        else {
            self.live.calls.insert(local_id.to_owned(), call);
            return;
        };
        let local = call.id.clone();
        self.budget(&call.phone_number_id).call_finished(&local);
        let record = |id: &str, call: &LiveCall| {
            Write::InsertCall(NewCall {
                id: id.to_owned(),
                direction: Direction::Outbound,
                phone_number_id: call.phone_number_id.clone(),
                business_number: call.business_number.as_str().to_owned(),
                customer_number: call.customer.number.as_str().to_owned(),
                customer_name: call.customer.profile_name.clone(),
                status: CallStatus::Ringing,
                offered_at: millis(call.offered_at),
                placed_by: Some(agent_id.clone()),
            })
        };
        let meta_id = match result {
            Ok(Some(id)) => CallId::new(id).map_err(|error| {
                GraphFailure::Transport(format!("Meta's call id is not usable: {error}"))
            }),
            Ok(None) => Err(GraphFailure::Transport(
                "Meta's connect answer carried no call id".into(),
            )),
            Err(failure) => Err(failure),
        };
        let id = match meta_id {
            Ok(id) => id,
            Err(failure) => {
                // Kept on the record under the local id, with Meta's code.
                tracing::warn!(local_id, %failure, "Meta refused the connect");
                out.write(record(local_id, &call));
                out.finish(
                    local_id,
                    CallEnd {
                        meta_error_code: failure.meta_code().map(i64::from),
                        ..end(CallStatus::Failed, Party::System, millis(now))
                    },
                );
                reply_refused(
                    out,
                    &agent_id,
                    request_id,
                    ErrorCode::UpstreamError,
                    format!("Meta refused the call: {failure}"),
                );
                return;
            }
        };
        let call_id = id.as_str().to_owned();
        self.budget(&call.phone_number_id).call_started(id.clone());
        let generation = self.live.generation();
        call.id = id.clone();
        call.phase = Phase::Placed {
            agent_id: agent_id.clone(),
        };
        call.generation = generation;
        out.write(record(&call_id, &call));
        out.send(
            &agent_id,
            ServerMessage::Reply(protocol::Reply {
                request_id,
                result: ReplyResult::Ok { call_id: Some(id) },
            }),
        );
        let bound = chrono::TimeDelta::from_std(OUTBOUND_RING_BOUND).unwrap_or_default();
        out.arm(
            &call_id,
            generation,
            TimerKind::OutboundNoAnswer,
            now + bound,
        );
        tracing::info!(call_id, agent_id, "Meta took the business-initiated call");
        self.live.calls.insert(call_id.clone(), call);
        // Webhooks that overtook Meta's answer to the connect.
        for input in self.live.early.remove(&call_id).unwrap_or_default() {
            match input {
                Input::OutboundConnect { call_id, answer } => {
                    self.outbound_connect(&call_id, answer, now, out)
                }
                Input::OutboundStatus {
                    call_id,
                    status,
                    at,
                } => self.outbound_status(&call_id, status, at.unwrap_or(now), now, out),
                _ => {}
            }
        }
    }

    /// Keeps a webhook for a call whose id Meta has not told us yet (a connect is in flight).
    fn keep_early(&mut self, call_id: &str, input: Input) -> bool {
        let dialing = self
            .live
            .calls
            .values()
            .any(|call| matches!(call.phase, Phase::Dialing { .. }));
        let kept: usize = self.live.early.values().map(Vec::len).sum();
        if dialing && kept < MAX_EARLY {
            self.live
                .early
                .entry(call_id.to_owned())
                .or_default()
                .push(input);
            return true;
        }
        false
    }

    /// Meta's connect webhook for our call: its SDP answer goes to the app.
    pub(super) fn outbound_connect(
        &mut self,
        call_id: &str,
        answer: Result<protocol::Sdp, String>,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let Some(call) = self.live.calls.get(call_id) else {
            let input = Input::OutboundConnect {
                call_id: call_id.to_owned(),
                answer,
            };
            if !self.keep_early(call_id, input) {
                tracing::warn!(
                    call_id,
                    "business-initiated connect for no call of ours: ignored"
                );
            }
            return;
        };
        let Some(agent_id) = call.phase.agent_id().map(str::to_owned) else {
            return;
        };
        let checked = answer.and_then(|sdp| {
            validate_for_meta(sdp.as_str(), SdpRole::AnswerFromMeta)
                .map(|()| sdp)
                .map_err(|violations| {
                    format!("Meta's SDP answer breaks Meta's rules: {violations}")
                })
        });
        match checked {
            Ok(sdp_answer) => {
                tracing::info!(
                    call_id,
                    agent_id,
                    "Meta's answer to our offer: sent to the app"
                );
                out.send(
                    &agent_id,
                    ServerMessage::RemoteAnswer(RemoteAnswer {
                        call_id: call.id.clone(),
                        sdp_answer,
                    }),
                );
            }
            Err(reason) => self.fail(call_id, GraphFailure::Transport(reason), now, out),
        }
    }

    /// Meta's RINGING / ACCEPTED / REJECTED for our call.
    pub(super) fn outbound_status(
        &mut self,
        call_id: &str,
        status: OutboundStatus,
        at: Timestamp,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let generation = self.live.generation();
        let Some(call) = self.live.calls.get_mut(call_id) else {
            let input = Input::OutboundStatus {
                call_id: call_id.to_owned(),
                status,
                at: Some(at),
            };
            if !self.keep_early(call_id, input) {
                tracing::debug!(
                    call_id,
                    ?status,
                    "call status for no live call of ours: ignored"
                );
            }
            return;
        };
        let Phase::Placed { agent_id } = call.phase.clone() else {
            tracing::debug!(call_id, ?status, phase = ?call.phase, "call status the call has moved past");
            return;
        };
        let at = at.min(now);
        match status {
            OutboundStatus::Ringing => out.update(&agent_id, call, CallState::Ringing),
            OutboundStatus::Accepted => {
                call.phase = Phase::OnCall {
                    agent_id: agent_id.clone(),
                    answered_at: at,
                };
                call.generation = generation;
                out.write(Write::AnswerCall {
                    call_id: call_id.to_owned(),
                    agent_id: agent_id.clone(),
                    at: millis(at),
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
                out.update(&agent_id, call, CallState::Accepted { at });
                let fact = permission_fact(
                    call,
                    "call_connected",
                    at,
                    PermissionEvent::CallConnected {
                        direction: Direction::Outbound,
                    },
                );
                out.write(fact);
                tracing::info!(call_id, agent_id, "the customer picked up");
                self.arm_reaper(call_id, out);
            }
            OutboundStatus::Rejected => {
                let Some(call) = self.live.calls.remove(call_id) else {
                    return;
                };
                out.finish(
                    call_id,
                    end(CallStatus::Rejected, Party::Customer, millis(now)),
                );
                out.update(
                    &agent_id,
                    &call,
                    CallState::Rejected {
                        by: Party::Customer,
                        at,
                    },
                );
                self.outbound_over(&call, false, now, out);
                tracing::info!(call_id, agent_id, "the customer rejected the call");
            }
        }
    }

    /// Nobody picked up within [`OUTBOUND_RING_BOUND`]: the call is ended with Meta, missed.
    pub(super) fn outbound_unanswered(&mut self, call_id: &str, now: Timestamp, out: &mut Effects) {
        let Some(call) = self.live.calls.remove(call_id) else {
            return;
        };
        let Some(agent_id) = call.phase.agent_id().map(str::to_owned) else {
            return;
        };
        tracing::info!(call_id, agent_id, "the customer did not pick up: missed");
        out.finish(
            call_id,
            end(CallStatus::Missed, Party::Customer, millis(now)),
        );
        out.graph(&call, GraphStep::Terminate);
        out.update(
            &agent_id,
            &call,
            CallState::Ended {
                at: now,
                duration_secs: 0,
                by: Party::Customer,
            },
        );
        self.outbound_over(&call, false, now, out);
    }

    /// A business-initiated call left the machine: its place in the number's budget is free,
    /// and an unanswered one counts toward Meta's revocation (once per call).
    pub(super) fn outbound_over(
        &mut self,
        call: &LiveCall,
        answered: bool,
        now: Timestamp,
        out: &mut Effects,
    ) {
        if call.direction != Direction::Outbound {
            return;
        }
        self.budget(&call.phone_number_id).call_finished(&call.id);
        if !answered {
            out.write(permission_fact(
                call,
                "unanswered",
                now,
                PermissionEvent::BusinessCallUnanswered,
            ));
        }
    }
}

/// A permission fact about the call's pair, identified by the call so it counts once.
fn permission_fact(call: &LiveCall, what: &str, at: Timestamp, event: PermissionEvent) -> Write {
    Write::AddPermissionFact {
        phone_number_id: call.phone_number_id.clone(),
        customer_number: call.customer.number.as_str().to_owned(),
        fact: PermissionFact {
            id: format!("{}:{what}", call.id),
            at: millis(at),
            event,
        },
    }
}
