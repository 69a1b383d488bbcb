//! Meta's call events: connect (a customer calls) and terminate (the call is over).
//!
//! Idempotency comes from the records: a connect for a call that already has a record (a
//! duplicate, or a call whose terminate came first and left a closed record — the tombstone)
//! rings nobody; a terminate on a closed record only fills in Meta's duration and error code
//! (and corrects an unanswered end to `completed` when Meta reports talk time). So an event
//! applied twice changes nothing the second time.

use protocol::{CallState, CallStatus, CancelReason, Direction, Party, RingOutcome, Timestamp};

use crate::routing::RingSequence;
use crate::store::calls::{CallEnd, NewCall};
use crate::store::wire::{millis, timestamp};

use super::effect::{GraphStep, Write};
use super::input::{ConnectFacts, TerminateFacts};
use super::live::{LiveCall, Phase};
use super::machine::{CallMachine, Effects};
use super::{cancelled, end};

impl CallMachine {
    pub(super) fn connect(&mut self, facts: ConnectFacts, now: Timestamp, out: &mut Effects) {
        let call_id = facts.call_id.clone();
        if facts.known || self.live.calls.contains_key(&call_id) {
            tracing::info!(call_id, "connect for a known call: nobody rung");
            return;
        }
        let Some(parts) = facts.parts else {
            tracing::warn!(
                call_id,
                "connect without a usable customer or business number: ignored"
            );
            return;
        };
        let Ok(id) = protocol::CallId::new(call_id.clone()) else {
            tracing::warn!(call_id, "connect with an unusable call id: ignored");
            return;
        };
        if !facts.number_configured {
            // Meta sends every app all of the account's numbers' webhooks; ring only for ours.
            tracing::warn!(call_id, phone_number_id = %parts.phone_number_id, "connect for a number not configured here: ignored");
            return;
        }
        // Meta's accept window runs from when Meta sent the event; a clock ahead of ours (or
        // no time at all) counts from when the body reached us.
        let arrived = facts.received_at.map_or(now, |at| at.min(now));
        let sent_at = facts.event_at.map_or(arrived, |at| at.min(arrived));
        out.write(Write::TouchConversation {
            phone_number_id: parts.phone_number_id.clone(),
            customer_number: parts.customer.number.as_str().to_owned(),
            customer_name: parts.customer.profile_name.clone(),
            at: millis(sent_at),
        });
        out.write(Write::InsertCall(NewCall {
            id: call_id.clone(),
            direction: Direction::Inbound,
            phone_number_id: parts.phone_number_id.clone(),
            business_number: parts.business_number.as_str().to_owned(),
            customer_number: parts.customer.number.as_str().to_owned(),
            customer_name: parts.customer.profile_name.clone(),
            status: CallStatus::Ringing,
            offered_at: millis(now),
            placed_by: None,
        }));
        let window = chrono::TimeDelta::from_std(self.settings.timers.accept_window)
            .unwrap_or(chrono::TimeDelta::MAX);
        if now - sent_at >= window {
            // Meta gave up on this call long ago: nothing to ring, nothing to reject.
            tracing::info!(
                call_id,
                "stale connect: Meta's accept window is over, nobody rung"
            );
            out.finish(
                &call_id,
                end(CallStatus::Missed, Party::System, millis(now)),
            );
            return;
        }
        let offer = match facts.offer {
            Ok(offer) => offer,
            Err(reason) => {
                // Walking an unusable offer through every agent would only fail at each
                // accept: reject it with Meta at once.
                tracing::warn!(call_id, reason, "Meta's offer is unusable: call rejected");
                out.finish(
                    &call_id,
                    end(CallStatus::Failed, Party::System, millis(now)),
                );
                out.0.push(super::effect::Effect::Graph {
                    call_id,
                    phone_number_id: parts.phone_number_id,
                    step: GraphStep::Reject,
                });
                return;
            }
        };
        let call = LiveCall {
            id,
            direction: Direction::Inbound,
            phone_number_id: parts.phone_number_id,
            business_number: parts.business_number,
            customer: parts.customer,
            offer,
            offered_at: now,
            conversation_agent: facts.conversation_agent,
            contact_owner: facts.contact_owner,
            // Meta's accept window started when Meta sent the event, so the sequence does too:
            // a connect that waited too long finds no room for a ring and is missed.
            sequence: RingSequence::new(sent_at),
            phase: Phase::Routing,
            generation: 0,
        };
        self.live.calls.insert(call_id.clone(), call);
        self.route(&call_id, now, out);
    }

    pub(super) fn terminate(&mut self, facts: TerminateFacts, now: Timestamp, out: &mut Effects) {
        let call_id = facts.call_id.clone();
        let ended_at = facts.ended_at.unwrap_or(now);
        let status_if = |answered: bool| {
            if facts.failed {
                CallStatus::Failed
            } else if answered || facts.duration_secs.is_some_and(|secs| secs > 0) {
                CallStatus::Completed
            } else {
                CallStatus::Missed
            }
        };
        // A FAILED terminate is the call breaking (no media, network), not the customer
        // hanging up: the agent must not be told "the customer hung up" for a call that never
        // had audio.
        let by = match facts.failed {
            true => Party::System,
            false => Party::Customer,
        };
        let end_by_customer = |answered: bool| CallEnd {
            status: status_if(answered),
            ended_by: Some(by),
            ended_at: millis(ended_at),
            duration_secs: facts.duration_secs,
            meta_error_code: facts.meta_error_code,
        };

        if let Some(live) = self.live.calls.remove(&call_id) {
            let answered = matches!(live.phase, Phase::OnCall { .. });
            if let Phase::Ringing { agent_id, .. } = &live.phase {
                out.write(Write::EndRing {
                    call_id: call_id.clone(),
                    agent_id: agent_id.clone(),
                    outcome: RingOutcome::Cancelled,
                    at: millis(now),
                });
            }
            let mut end = end_by_customer(answered);
            if let (Phase::OnCall { answered_at, .. }, None) = (&live.phase, end.duration_secs) {
                // Talk time from the answer (for an outbound call, the customer's pickup).
                end.duration_secs = Some((ended_at - *answered_at).num_seconds().max(0));
            }
            let duration_secs = end
                .duration_secs
                .and_then(|secs| u32::try_from(secs).ok())
                .unwrap_or(0);
            tracing::info!(call_id, status = ?end.status, "Meta terminated the call");
            out.finish(&call_id, end);
            self.outbound_over(&live, answered, now, out);
            match &live.phase {
                Phase::Ringing { agent_id, .. } => {
                    out.send(agent_id, cancelled(&live.id, CancelReason::CallerHungUp));
                }
                Phase::PreAccepting { agent_id, .. }
                | Phase::Connecting { agent_id, .. }
                | Phase::Accepting { agent_id, .. }
                | Phase::Dialing { agent_id, .. }
                | Phase::Placed { agent_id }
                | Phase::OnCall { agent_id, .. } => {
                    out.update(
                        agent_id,
                        &live,
                        CallState::Ended {
                            at: ended_at,
                            duration_secs,
                            by,
                        },
                    );
                    if let Phase::PreAccepting { request_id, .. } = &live.phase {
                        super::reply_refused(
                            out,
                            agent_id,
                            request_id.clone(),
                            protocol::ErrorCode::InvalidCallState,
                            format!("the customer hung up before call {call_id} was accepted"),
                        );
                    }
                }
                Phase::Routing => {}
            }
            return;
        }

        match facts.stored {
            // Closed by us (hang-up, refusal) or left open by a previous run: close it or
            // fill in Meta's numbers.
            Some(answered) => out.finish(&call_id, end_by_customer(answered)),
            None => {
                // Terminate before connect: keep a closed record (the tombstone) so the late
                // connect rings nobody. Without the customer's details only the event is kept
                // (the driver noted it), which the late connect also finds.
                let Some(parts) = facts.parts else {
                    tracing::warn!(call_id, "terminate for an unknown call without customer details: remembered only as an event");
                    return;
                };
                tracing::info!(call_id, "terminate before connect: tombstone kept");
                out.write(Write::InsertCall(NewCall {
                    id: call_id.clone(),
                    direction: facts.direction,
                    phone_number_id: parts.phone_number_id,
                    business_number: parts.business_number.as_str().to_owned(),
                    customer_number: parts.customer.number.as_str().to_owned(),
                    customer_name: parts.customer.profile_name,
                    status: CallStatus::Ringing,
                    offered_at: millis(facts.event_at.unwrap_or(now)),
                    placed_by: None,
                }));
                out.finish(&call_id, end_by_customer(false));
            }
        }
    }

    /// A call a previous run left `on_call` comes back live in phase `OnCall`.
    pub(super) fn resume_on_call(&mut self, row: crate::store::calls::OnCallRow) {
        let (Ok(id), Ok(business_number), Ok(customer_number), Some(agent_id), Ok(offer)) = (
            protocol::CallId::new(row.id.clone()),
            protocol::PhoneNumber::new(row.business_number.clone()),
            protocol::PhoneNumber::new(row.customer_number.clone()),
            row.answered_by.clone(),
            // Never sent again: the call is answered.
            protocol::Sdp::new("v=0\r\n"),
        ) else {
            tracing::warn!(
                call_id = row.id,
                "on_call record without usable ids: left to Meta's terminate webhook"
            );
            return;
        };
        tracing::info!(
            call_id = row.id,
            agent_id,
            "took back a call left on_call by the previous run"
        );
        let offered_at = timestamp(row.offered_at);
        self.live.calls.insert(
            row.id.clone(),
            LiveCall {
                id,
                direction: Direction::Inbound,
                phone_number_id: row.phone_number_id,
                business_number,
                customer: protocol::Customer {
                    number: customer_number,
                    profile_name: row.customer_name,
                },
                offer,
                offered_at,
                conversation_agent: None,
                contact_owner: None,
                sequence: RingSequence::new(offered_at),
                phase: Phase::OnCall {
                    agent_id,
                    answered_at: timestamp(row.answered_at.unwrap_or(row.offered_at)),
                },
                generation: 0,
            },
        );
    }
}
