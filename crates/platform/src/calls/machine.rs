//! The call machine: every rule of a call's life, as a pure state machine.
//!
//! `handle(input, now) -> effects`. No I/O, no clock, no awaits: time comes in as `now`,
//! timers go out as [`Effect::Arm`] and come back as [`Input::Timer`], Graph requests go out
//! as [`Effect::Graph`] and come back as [`Input::GraphDone`], and store reads arrive inside
//! the inputs (the driver reads them first). So every rule — ring timeout, accept window,
//! media-ready bound, grace periods, Meta failing or slow — is tested on virtual time
//! (`calls/tests.rs`), and the driver (`switchboard`) only runs effects.
//!
//! Invariants the machine keeps:
//! - every call it takes ends exactly once with a final record (`Write::FinishCall`);
//! - an agent rings for, connects or talks on at most one call;
//! - nothing is rung once Meta's accept window has no room for a ring;
//! - a Graph request that may take seconds never blocks another call: the call waits in a
//!   phase of its own (`PreAccepting`, `Accepting`) while everything else goes on.

use std::sync::Arc;
use std::time::Duration;

use protocol::{CallState, CallUpdate, ServerMessage, Timestamp};

use crate::config::Settings;
use crate::routing::RingTiming;
use crate::store::calls::CallEnd;
use crate::store::wire::millis;

use super::effect::{Effect, GraphStep, Write};
use super::end;
use super::input::{Input, LeftOpen, Timer, TimerKind};
use super::live::{Live, LiveCall, Phase};

/// How long a ringing agent whose socket dropped keeps the ring, waiting for them to come
/// back (a network blip, a laptop waking up), before the call moves on.
pub const RING_GRACE: Duration = Duration::from_secs(3);

/// The machine: agents, live calls, and the settings their rules read.
pub struct CallMachine {
    pub(super) live: Live,
    pub(super) settings: Arc<Settings>,
    /// Ring timing for numbers missing from the settings.
    pub(super) ring_timing: RingTiming,
}

/// The effects one input causes, in order.
#[derive(Debug, Default)]
pub struct Effects(pub Vec<Effect>);

impl Effects {
    pub(super) fn write(&mut self, write: Write) {
        self.0.push(Effect::Store(write));
    }

    pub(super) fn send(&mut self, agent_id: &str, message: ServerMessage) {
        self.0.push(Effect::Send {
            agent_id: agent_id.to_owned(),
            message,
        });
    }

    pub(super) fn graph(&mut self, call: &LiveCall, step: GraphStep) {
        self.0.push(Effect::Graph {
            call_id: call.id.as_str().to_owned(),
            phone_number_id: call.phone_number_id.clone(),
            step,
        });
    }

    pub(super) fn arm(&mut self, call_id: &str, generation: u64, kind: TimerKind, at: Timestamp) {
        self.0.push(Effect::Arm {
            timer: Timer {
                call_id: call_id.to_owned(),
                generation,
                kind,
            },
            at,
        });
    }

    pub(super) fn finish(&mut self, call_id: &str, end: CallEnd) {
        self.write(Write::FinishCall {
            call_id: call_id.to_owned(),
            end,
        });
    }

    pub(super) fn update(&mut self, agent_id: &str, call: &LiveCall, state: CallState) {
        self.send(
            agent_id,
            ServerMessage::CallUpdate(CallUpdate {
                call_id: call.id.clone(),
                state,
            }),
        );
    }
}

impl CallMachine {
    /// A machine with no calls; `last_offered` seeds round robin (when each agent was last
    /// rung, from the store).
    pub fn new(
        settings: Arc<Settings>,
        ring_timing: RingTiming,
        last_offered: impl IntoIterator<Item = (String, Timestamp)>,
    ) -> Self {
        let mut live = Live::default();
        live.last_offered.extend(last_offered);
        Self {
            live,
            settings,
            ring_timing,
        }
    }

    /// Reacts to one input at `now`.
    pub fn handle(&mut self, input: Input, now: Timestamp) -> Vec<Effect> {
        let mut out = Effects::default();
        match input {
            Input::Connect(facts) => self.connect(*facts, now, &mut out),
            Input::Terminate(facts) => self.terminate(*facts, now, &mut out),
            Input::AgentConnected {
                agent,
                connection_id,
            } => self.agent_connected(agent, connection_id, now, &mut out),
            Input::AgentDisconnected {
                agent_id,
                connection_id,
            } => self.agent_disconnected(&agent_id, connection_id, now, &mut out),
            Input::FromAgent {
                agent_id,
                connection_id,
                message,
            } => self.agent_message(&agent_id, connection_id, message, now, &mut out),
            Input::Timer(timer) => self.timer(timer, now, &mut out),
            Input::GraphDone {
                call_id,
                step,
                result,
            } => self.graph_done(&call_id, step, result, now, &mut out),
            Input::Recovered(calls) => self.recovered(calls, now, &mut out),
            Input::AgentChanged(agent) => self.agent_changed(agent),
            Input::SettingsChanged(settings) => self.settings = settings,
            Input::PlaceCall(facts) => self.place_call(*facts, now, &mut out),
            Input::OutboundConnect { call_id, answer } => {
                self.outbound_connect(&call_id, answer, now, &mut out)
            }
            Input::OutboundStatus {
                call_id,
                status,
                at,
            } => self.outbound_status(&call_id, status, at.unwrap_or(now), now, &mut out),
        }
        self.publish_team(&mut out);
        out.0
    }

    /// Live calls (for `/healthz` and tests).
    pub fn live_calls(&self) -> usize {
        self.live.calls.len()
    }

    /// The agent `agent_id` is on, connecting or ringing for a call.
    pub fn is_busy(&self, agent_id: &str) -> bool {
        self.live.busy(agent_id)
    }

    /// A timer is due: acts only if the call is still in the phase that armed it.
    fn timer(&mut self, timer: Timer, now: Timestamp, out: &mut Effects) {
        let Some(call) = self
            .live
            .calls
            .get(&timer.call_id)
            .filter(|call| call.generation == timer.generation)
        else {
            return;
        };
        let accept_deadline = call.sequence.accept_deadline(&self.number_routing(call));
        match (timer.kind, &call.phase) {
            (TimerKind::Ring, Phase::Ringing { deadline, .. }) => {
                // The ring was cut short by Meta's accept window rather than the ring timeout.
                let reason = if *deadline >= accept_deadline {
                    protocol::CancelReason::AcceptWindowClosed
                } else {
                    protocol::CancelReason::TimedOut
                };
                self.ring_ended(
                    &timer.call_id,
                    protocol::RingOutcome::TimedOut,
                    Some(reason),
                    now,
                    out,
                );
            }
            (TimerKind::RingGrace, Phase::Ringing { agent_id, .. }) => {
                let back = self
                    .live
                    .agents
                    .get(agent_id)
                    .is_some_and(|agent| agent.connection_id.is_some());
                if !back {
                    tracing::info!(
                        call_id = timer.call_id,
                        agent_id,
                        "ringing agent did not come back: next agent"
                    );
                    self.ring_ended(
                        &timer.call_id,
                        protocol::RingOutcome::TimedOut,
                        None,
                        now,
                        out,
                    );
                }
            }
            (TimerKind::OutboundNoAnswer, Phase::Placed { .. }) => {
                self.outbound_unanswered(&timer.call_id, now, out);
            }
            (TimerKind::MaxDuration, Phase::OnCall { .. }) => {
                self.reap(&timer.call_id, now, out);
            }
            (TimerKind::MediaReady, Phase::Connecting { .. }) => {
                tracing::info!(
                    call_id = timer.call_id,
                    "no media_ready in time: accepting anyway"
                );
                self.accept_with_meta(&timer.call_id, None, out);
            }
            _ => {}
        }
    }

    /// Calls a previous run left open. Ringing ones cannot be answered any more (their
    /// agent's `incoming_call` died with that run): closed as missed and rejected with Meta,
    /// so the customer is not left hearing a ring. On-call ones come back live, so the
    /// agent's reconnected app sees them and Meta's terminate closes them.
    fn recovered(&mut self, calls: Vec<LeftOpen>, now: Timestamp, out: &mut Effects) {
        for call in calls {
            match call {
                LeftOpen::Ringing {
                    call_id,
                    phone_number_id,
                    accepted,
                } => {
                    tracing::info!(
                        call_id,
                        "closing a call left ringing by the previous run; rejected with Meta"
                    );
                    out.write(Write::CancelOpenRings {
                        call_id: call_id.clone(),
                        at: millis(now),
                    });
                    out.finish(
                        &call_id,
                        end(
                            protocol::CallStatus::Missed,
                            protocol::Party::System,
                            millis(now),
                        ),
                    );
                    // Meta may already hold our pre_accept: then only terminate ends it.
                    let step = if accepted {
                        GraphStep::Terminate
                    } else {
                        GraphStep::Reject
                    };
                    out.0.push(Effect::Graph {
                        call_id,
                        phone_number_id,
                        step,
                    });
                }
                LeftOpen::OnCall(row) => {
                    let call_id = row.id.clone();
                    self.resume_on_call(row);
                    self.arm_reaper(&call_id, out);
                }
            }
        }
    }
}
