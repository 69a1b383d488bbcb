//! The inbound call flow: route, ring, move on, refuse, accept with Meta, fail, give up.

use std::time::Duration;

use protocol::{
    CallCancelled, CallId, CallState, CallStatus, CallUpdate, CancelReason, ErrorCode,
    IncomingCall, Party, RingOutcome, ServerMessage, StartMedia,
};
use whatsapp::graph::{CallActionRequest, OutboundMessage};

use super::live::{LiveCall, Phase};
use super::{Switchboard, TimerKind};
use crate::graph::GraphFailure;
use crate::routing::RingSequence;
use crate::store::calls::CallEnd;
use crate::store::time::now_ms;
use crate::store::wire::{millis, timestamp};
use crate::store::StoreError;

impl Switchboard {
    /// Starts handling a new call: rings the first eligible agent or refuses the call.
    pub(super) async fn start_ringing(&mut self, call: LiveCall) -> Result<(), StoreError> {
        let call_id = call.id.as_str().to_owned();
        self.live.calls.insert(call_id.clone(), call);
        self.route(&call_id).await
    }

    /// Rings `agent_id` until `until` (the sequence already noted the ring).
    pub(super) async fn ring(
        &mut self,
        call_id: &str,
        agent_id: &str,
        because: protocol::RoutedBecause,
        now: protocol::Timestamp,
        until: protocol::Timestamp,
    ) -> Result<(), StoreError> {
        self.store
            .add_ring(call_id, agent_id, because, millis(now))
            .await?;
        let generation = self.live.generation();
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return Ok(());
        };
        call.generation = generation;
        call.phase = Phase::Ringing {
            agent_id: agent_id.to_owned(),
            because,
            deadline: until,
        };
        let message = incoming_call(call);
        tracing::info!(call_id, agent_id, ?because, "ringing agent");
        self.send_to(agent_id, message);
        self.arm(
            call_id,
            generation,
            TimerKind::Ring,
            super::route::until(now, until),
        );
        Ok(())
    }

    /// The ringing agent will not answer: record how the ring ended, tell the app to stop
    /// ringing (if `reason` is given and it is still connected) and try the next agent.
    pub(super) async fn ring_ended(
        &mut self,
        call_id: &str,
        outcome: RingOutcome,
        reason: Option<CancelReason>,
    ) -> Result<(), StoreError> {
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return Ok(());
        };
        let Phase::Ringing { agent_id, .. } = &call.phase else {
            return Ok(());
        };
        let agent_id = agent_id.clone();
        let id = call.id.clone();
        let now = chrono::Utc::now();
        call.phase = Phase::Routing;
        call.ring_ended(&agent_id, outcome, now);
        self.store
            .end_ring(call_id, &agent_id, outcome, millis(now))
            .await?;
        if let Some(reason) = reason {
            self.send_to(&agent_id, cancelled(&id, reason));
        }
        self.route(call_id).await
    }

    /// Nobody could be rung at all: reject with Meta, send the auto-responder text, close the
    /// record with `status` (all_agents_busy / all_agents_offline / outside_office_hours).
    pub(super) async fn refuse(
        &mut self,
        call_id: &str,
        status: CallStatus,
        text: Option<String>,
    ) -> Result<(), StoreError> {
        let Some(call) = self.live.calls.remove(call_id) else {
            return Ok(());
        };
        tracing::info!(call_id, ?status, "refusing call");
        self.store
            .finish_call(
                call_id,
                &CallEnd {
                    status,
                    ended_by: Some(Party::System),
                    ended_at: now_ms(),
                    duration_secs: None,
                    meta_error_code: None,
                },
            )
            .await?;
        self.meta_reject(&call).await;
        if let Some(text) = text {
            let message = OutboundMessage::text(call.customer.number.as_str(), text);
            if let Err(error) = self
                .graph
                .send_message(&call.phone_number_id, &message)
                .await
            {
                tracing::warn!(call_id, %error, "auto-responder text not sent");
            }
        }
        Ok(())
    }

    /// Every eligible agent was tried or the accept window closed: reject with Meta and close
    /// the record as missed by the agents.
    pub(super) async fn give_up(&mut self, call_id: &str) -> Result<(), StoreError> {
        let Some(call) = self.live.calls.remove(call_id) else {
            return Ok(());
        };
        let now = now_ms();
        tracing::info!(
            call_id,
            rung = call.sequence.attempts().len(),
            "nobody answered: missed"
        );
        if let Phase::Ringing { agent_id, .. } = &call.phase {
            self.store
                .end_ring(call_id, agent_id, RingOutcome::Cancelled, now)
                .await?;
            self.send_to(
                agent_id,
                cancelled(&call.id, CancelReason::AcceptWindowClosed),
            );
        }
        self.store
            .finish_call(
                call_id,
                &CallEnd {
                    status: CallStatus::Missed,
                    ended_by: Some(Party::Agent),
                    ended_at: now,
                    duration_secs: None,
                    meta_error_code: None,
                },
            )
            .await?;
        self.meta_reject(&call).await;
        Ok(())
    }

    /// Meta accepts the call with the answer given at `pre_accept`; on success media may flow.
    pub(super) async fn accept_with_meta(&mut self, call_id: &str) -> Result<(), StoreError> {
        let Some(call) = self.live.calls.get(call_id) else {
            return Ok(());
        };
        let Phase::Connecting { agent_id, answer } = &call.phase else {
            return Ok(());
        };
        let (agent_id, id, request) = (
            agent_id.clone(),
            call.id.clone(),
            CallActionRequest::accept(call_id, answer.clone()),
        );
        let phone_number_id = call.phone_number_id.clone();
        let customer = call.customer.number.as_str().to_owned();
        match self.graph.call_action(&phone_number_id, &request).await {
            Ok(()) => {
                let now = now_ms();
                self.store.answer_call(call_id, &agent_id, now).await?;
                let generation = self.live.generation();
                if let Some(call) = self.live.calls.get_mut(call_id) {
                    call.phase = Phase::OnCall {
                        agent_id: agent_id.clone(),
                        answered_at: now,
                    };
                    call.generation = generation;
                }
                self.send_to(
                    &agent_id,
                    ServerMessage::StartMedia(StartMedia {
                        call_id: id.clone(),
                    }),
                );
                self.send_to(
                    &agent_id,
                    ServerMessage::CallUpdate(CallUpdate {
                        call_id: id,
                        state: CallState::Accepted { at: timestamp(now) },
                    }),
                );
                tracing::info!(call_id, agent_id, "call accepted with Meta");
                // After the app was told to start media: the permission news is not urgent.
                self.customer_call_connected(&phone_number_id, &customer, call_id, timestamp(now))
                    .await
            }
            Err(failure) => self.fail(call_id, failure).await,
        }
    }

    /// Meta refused a step: close the record as failed with Meta's code and tell the agent.
    pub(super) async fn fail(
        &mut self,
        call_id: &str,
        failure: GraphFailure,
    ) -> Result<(), StoreError> {
        let Some(call) = self.live.calls.remove(call_id) else {
            return Ok(());
        };
        tracing::warn!(call_id, %failure, "call failed");
        let now = now_ms();
        if let Phase::Ringing { agent_id, .. } = &call.phase {
            self.store
                .end_ring(call_id, agent_id, RingOutcome::Cancelled, now)
                .await?;
        }
        self.store
            .finish_call(
                call_id,
                &CallEnd {
                    status: CallStatus::Failed,
                    ended_by: Some(Party::System),
                    ended_at: now,
                    duration_secs: None,
                    meta_error_code: failure.meta_code().map(i64::from),
                },
            )
            .await?;
        let request = match call.phase {
            Phase::Connecting { .. } | Phase::OnCall { .. } => {
                CallActionRequest::terminate(call_id)
            }
            Phase::Routing | Phase::Ringing { .. } => CallActionRequest::reject(call_id),
        };
        if let Err(error) = self
            .graph
            .call_action(&call.phone_number_id, &request)
            .await
        {
            tracing::warn!(call_id, %error, "could not end the failed call with Meta");
        }
        if let Some(agent_id) = call.phase.agent_id() {
            self.send_to(
                agent_id,
                ServerMessage::CallUpdate(CallUpdate {
                    call_id: call.id.clone(),
                    state: CallState::Failed {
                        code: ErrorCode::UpstreamError,
                        message: failure.to_string(),
                        meta_error_code: failure.meta_code(),
                    },
                }),
            );
        }
        Ok(())
    }

    async fn meta_reject(&self, call: &LiveCall) {
        let request = CallActionRequest::reject(call.id.as_str());
        if let Err(error) = self
            .graph
            .call_action(&call.phone_number_id, &request)
            .await
        {
            tracing::warn!(call_id = %call.id, %error, "Meta reject failed");
        }
    }

    /// A timer fired: acts only if the call is still in the phase that armed it.
    pub(super) async fn timer(&mut self, call_id: &str, generation: u64, kind: TimerKind) {
        let current = self
            .live
            .calls
            .get(call_id)
            .filter(|call| call.generation == generation)
            .map(|call| {
                let config = self.number_routing(call);
                (call.sequence.accept_deadline(&config), call.phase.clone())
            });
        let Some((accept_deadline, phase)) = current else {
            return;
        };
        let outcome = match (kind, phase) {
            (TimerKind::Ring, Phase::Ringing { deadline, .. }) => {
                // The ring was cut short by Meta's accept window rather than the ring timeout.
                let reason = if deadline >= accept_deadline {
                    CancelReason::AcceptWindowClosed
                } else {
                    CancelReason::TimedOut
                };
                self.ring_ended(call_id, RingOutcome::TimedOut, Some(reason))
                    .await
            }
            (TimerKind::MediaReady, Phase::Connecting { .. }) => {
                tracing::info!(call_id, "no media_ready in time: accepting anyway");
                self.accept_with_meta(call_id).await
            }
            _ => Ok(()),
        };
        if let Err(error) = outcome {
            tracing::error!(call_id, %error, "timer handling failed");
        }
    }

    /// Records a previous run left ringing cannot be answered any more: close them as missed.
    pub(super) async fn close_calls_left_ringing(&mut self) -> Result<(), StoreError> {
        for call_id in self.store.calls_left_ringing().await? {
            let now = now_ms();
            self.store.cancel_open_rings(&call_id, now).await?;
            self.store
                .finish_call(
                    &call_id,
                    &CallEnd {
                        status: CallStatus::Missed,
                        ended_by: Some(Party::System),
                        ended_at: now,
                        duration_secs: None,
                        meta_error_code: None,
                    },
                )
                .await?;
            tracing::info!(call_id, "closed a call left ringing by the previous run");
        }
        Ok(())
    }

    /// Calls a previous run left on_call come back as live calls in phase `OnCall`.
    pub(super) async fn resume_calls_on_call(&mut self) -> Result<(), StoreError> {
        for row in self.store.calls_on_call().await? {
            let (Ok(id), Ok(business_number), Ok(customer_number), Some(agent_id)) = (
                protocol::CallId::new(row.id.clone()),
                protocol::PhoneNumber::new(row.business_number.clone()),
                protocol::PhoneNumber::new(row.customer_number.clone()),
                row.answered_by.clone(),
            ) else {
                tracing::warn!(
                    call_id = row.id,
                    "on_call record without usable ids: left to Meta's terminate webhook"
                );
                continue;
            };
            let Ok(offer) = protocol::Sdp::new("v=0\r\n") else {
                continue;
            };
            tracing::info!(
                call_id = row.id,
                agent_id,
                "took back a call left on_call by the previous run"
            );
            self.live.calls.insert(
                row.id.clone(),
                LiveCall {
                    id,
                    phone_number_id: row.phone_number_id,
                    business_number,
                    customer: protocol::Customer {
                        number: customer_number,
                        profile_name: row.customer_name,
                    },
                    // Never sent again: the call is answered.
                    offer,
                    offered_at: row.offered_at,
                    sequence: RingSequence::new(timestamp(row.offered_at)),
                    phase: Phase::OnCall {
                        agent_id,
                        answered_at: row.answered_at.unwrap_or(row.offered_at),
                    },
                    generation: 0,
                },
            );
        }
        Ok(())
    }

    /// How long after `pre_accept` the platform accepts without `media_ready`.
    pub(super) fn media_ready_bound(&self) -> Duration {
        self.settings.timers.media_ready_bound
    }
}

pub(super) fn cancelled(call_id: &CallId, reason: CancelReason) -> ServerMessage {
    ServerMessage::CallCancelled(CallCancelled {
        call_id: call_id.clone(),
        reason,
    })
}

pub(super) fn incoming_call(call: &LiveCall) -> ServerMessage {
    let (because, deadline) = match &call.phase {
        Phase::Ringing {
            because, deadline, ..
        } => (*because, *deadline),
        _ => (protocol::RoutedBecause::RoundRobin, timestamp(now_ms())),
    };
    ServerMessage::IncomingCall(IncomingCall {
        call_id: call.id.clone(),
        customer: call.customer.clone(),
        business_number: call.business_number.clone(),
        routed_because: because,
        ring_deadline: deadline,
        sdp_offer: call.offer.clone(),
    })
}
