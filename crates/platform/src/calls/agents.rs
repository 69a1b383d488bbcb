//! What agents' apps do: connect (and get `hello`), disconnect, and send requests.

use protocol::{
    AcceptCall, ActiveCall, ActivePhase, AgentProfile, BusinessNumber, CallState, CallStatus,
    CancelReason, ClientMessage, ErrorCode, Hangup, Hello, MediaReady, Party, PhoneNumber,
    Presence, ProtocolError, RejectCall, RequestId, RingOutcome, ServerMessage, SetPresence,
    Timestamp, HEARTBEAT_INTERVAL_SECS,
};

use crate::store::agents::Agent;
use crate::store::wire::millis;

use super::effect::GraphStep;
use super::input::TimerKind;
use super::live::{LiveAgent, LiveCall, Phase};
use super::machine::{CallMachine, Effects, RING_GRACE};
use super::{end, incoming_call, reply_ok, reply_refused};

/// A refusal sent back as the request's `reply`.
struct Refusal(ErrorCode, String);

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(code, message.into())
    }
}

/// How a request was handled: answered now, or answered later by the machine (after Meta).
enum Handled {
    Done,
    ReplyLater,
}

impl CallMachine {
    /// A socket came up (it replaces the agent's previous one, which the driver closed): it
    /// gets `hello` with the agent's ringing and active calls.
    pub(super) fn agent_connected(
        &mut self,
        agent: Agent,
        connection_id: u64,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let agent_id = agent.id.clone();
        let entry = self
            .live
            .agents
            .entry(agent_id.clone())
            .or_insert_with(|| LiveAgent {
                agent: agent.clone(),
                connection_id: None,
                presence: Presence::Available,
                disconnected_at: None,
            });
        entry.agent = agent;
        entry.connection_id = Some(connection_id);
        entry.disconnected_at = None;
        let mut hello = self.hello(&agent_id, now);
        if let ServerMessage::Hello(hello) = &mut hello {
            hello.team = self.team_for_hello(&agent_id, connection_id);
        }
        out.send(&agent_id, hello);
        tracing::info!(agent_id, "agent connected");
    }

    /// An admin changed the agent: routing (operators, exclusions) and `hello` use the new
    /// name, role and team from now on.
    pub(super) fn agent_changed(&mut self, agent: Agent) {
        if let Some(live) = self.live.agents.get_mut(&agent.id) {
            live.agent = agent;
        }
    }

    fn hello(&self, agent_id: &str, now: Timestamp) -> ServerMessage {
        let (display_name, presence) = self
            .live
            .agents
            .get(agent_id)
            .map(|agent| (agent.agent.name.clone(), agent.presence))
            .unwrap_or_else(|| (String::new(), Presence::Offline));
        let numbers = self
            .settings
            .numbers
            .iter()
            .filter(|number| number.allows(&display_name))
            .filter_map(|number| {
                Some(BusinessNumber {
                    number: PhoneNumber::new(number.display_phone_number.clone()).ok()?,
                    display_name: number
                        .display_name
                        .clone()
                        .unwrap_or_else(|| number.display_phone_number.clone()),
                    calling_enabled: number.calling_enabled.unwrap_or(true),
                    recording_enabled: number.recording.unwrap_or(false),
                })
            })
            .collect();
        let mut ringing = Vec::new();
        let mut active = Vec::new();
        for call in self.live.calls.values() {
            if call.phase.agent_id() != Some(agent_id) {
                continue;
            }
            match &call.phase {
                Phase::Ringing { .. } => {
                    if let ServerMessage::IncomingCall(incoming) = incoming_call(call, now) {
                        ringing.push(incoming);
                    }
                }
                Phase::Routing => {}
                phase => active.push(ActiveCall {
                    call_id: call.id.clone(),
                    direction: call.direction,
                    business_number: call.business_number.clone(),
                    customer: call.customer.clone(),
                    phase: match phase {
                        Phase::OnCall { .. } => ActivePhase::OnCall,
                        _ => ActivePhase::Connecting,
                    },
                    offered_at: call.offered_at,
                    answered_at: match phase {
                        Phase::OnCall { answered_at, .. } => Some(*answered_at),
                        _ => None,
                    },
                }),
            }
        }
        let Ok(id) = protocol::AgentId::new(agent_id.to_owned()) else {
            return ServerMessage::Error(ProtocolError::new(
                ErrorCode::InternalError,
                "agent id is not valid on the wire",
            ));
        };
        ServerMessage::Hello(Hello {
            server_time: now,
            heartbeat_interval_secs: HEARTBEAT_INTERVAL_SECS,
            agent: AgentProfile { id, display_name },
            presence,
            numbers,
            ringing,
            active,
            ice_servers: self.settings.ice.servers_for(agent_id, now),
            // Filled in by `agent_connected`, which records it as sent.
            team: Vec::new(),
        })
    }

    /// A socket closed. If it was the agent's current one and the agent was ringing, the ring
    /// is kept for [`RING_GRACE`] (the app gets it again in `hello` if it comes back); then
    /// the call moves on. Calls being connected or talked on continue: media does not pass
    /// through the platform, and the app gets them back in `hello`.
    pub(super) fn agent_disconnected(
        &mut self,
        agent_id: &str,
        connection_id: u64,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let Some(agent) = self.live.agents.get_mut(agent_id) else {
            return;
        };
        if agent.connection_id != Some(connection_id) {
            return; // An older, replaced connection.
        }
        agent.connection_id = None;
        agent.disconnected_at = Some(now);
        tracing::info!(agent_id, "agent disconnected");
        if let Some(call_id) = self.live.ringing_call_of(agent_id) {
            if let Some(call) = self.live.calls.get(&call_id) {
                let grace = chrono::TimeDelta::from_std(RING_GRACE).unwrap_or_default();
                out.arm(&call_id, call.generation, TimerKind::RingGrace, now + grace);
            }
        }
    }

    /// A request from the current connection of an agent; requests from a replaced
    /// connection are dropped.
    pub(super) fn agent_message(
        &mut self,
        agent_id: &str,
        connection_id: u64,
        message: ClientMessage,
        now: Timestamp,
        out: &mut Effects,
    ) {
        let current = self
            .live
            .agents
            .get(agent_id)
            .and_then(|agent| agent.connection_id);
        if current != Some(connection_id) {
            return;
        }
        let Some(request_id) = message.request_id().cloned() else {
            return; // ping is answered by the socket task itself.
        };
        let handled = match message {
            ClientMessage::SetPresence(request) => self.set_presence(agent_id, request, now, out),
            ClientMessage::AcceptCall(request) => {
                self.accept_call(agent_id, request, request_id.clone(), now, out)
            }
            ClientMessage::MediaReady(request) => {
                self.media_ready(agent_id, request, request_id.clone(), out)
            }
            ClientMessage::RejectCall(request) => self.reject_call(agent_id, request, now, out),
            ClientMessage::Hangup(request) => self.hangup(agent_id, request, now, out),
            ClientMessage::PlaceCall(_)
            | ClientMessage::RequestPermission(_)
            | ClientMessage::SendText(_)
            | ClientMessage::CallQuality(_) => Err(Refusal::new(
                ErrorCode::InternalError,
                "this request is handled by the switchboard before the call machine",
            )),
            ClientMessage::Ping(_) => return,
        };
        match handled {
            Ok(Handled::Done) => reply_ok(out, agent_id, request_id),
            Ok(Handled::ReplyLater) => {}
            Err(Refusal(code, message)) => reply_refused(out, agent_id, request_id, code, message),
        }
    }

    fn set_presence(
        &mut self,
        agent_id: &str,
        request: SetPresence,
        now: Timestamp,
        out: &mut Effects,
    ) -> Result<Handled, Refusal> {
        if let Some(agent) = self.live.agents.get_mut(agent_id) {
            agent.presence = request.presence;
        }
        if request.presence != Presence::Available {
            if let Some(call_id) = self.live.ringing_call_of(agent_id) {
                self.ring_ended(
                    &call_id,
                    RingOutcome::Cancelled,
                    Some(CancelReason::AgentUnavailable),
                    now,
                    out,
                );
            }
        }
        Ok(Handled::Done)
    }

    /// The agent's call, or why not.
    fn own_call(&self, agent_id: &str, call_id: &str) -> Result<&LiveCall, Refusal> {
        let call = self.live.calls.get(call_id).ok_or_else(|| {
            Refusal::new(ErrorCode::UnknownCall, format!("no live call {call_id}"))
        })?;
        if call.phase.agent_id() != Some(agent_id) {
            return Err(Refusal::new(
                ErrorCode::Forbidden,
                format!("call {call_id} is not offered to or held by this agent"),
            ));
        }
        Ok(call)
    }

    /// The agent answers: the answer is checked against Meta's rules, then Meta is asked to
    /// `pre_accept` it. The request is answered when Meta has answered.
    fn accept_call(
        &mut self,
        agent_id: &str,
        request: AcceptCall,
        request_id: RequestId,
        now: Timestamp,
        out: &mut Effects,
    ) -> Result<Handled, Refusal> {
        let call_id = request.call_id.as_str();
        let call = self.own_call(agent_id, call_id)?;
        if !matches!(call.phase, Phase::Ringing { .. }) {
            return Err(Refusal::new(
                ErrorCode::InvalidCallState,
                format!("call {call_id} is not ringing; it cannot be accepted again"),
            ));
        }
        let answer = request.sdp_answer.as_str().to_owned();
        crate::sdp_rules::check_answer(&answer)
            .map_err(|reason| Refusal::new(ErrorCode::InvalidSdp, reason))?;
        let generation = self.live.generation();
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return Err(Refusal::new(
                ErrorCode::UnknownCall,
                format!("no live call {call_id}"),
            ));
        };
        // The ring ends here, accepted: the ringing phase's timers no longer apply.
        call.ring_ended(agent_id, RingOutcome::Accepted, now);
        out.write(super::effect::Write::EndRing {
            call_id: call_id.to_owned(),
            agent_id: agent_id.to_owned(),
            outcome: RingOutcome::Accepted,
            at: millis(now),
        });
        call.phase = Phase::PreAccepting {
            agent_id: agent_id.to_owned(),
            answer: answer.clone(),
            request_id,
            media_ready: false,
        };
        call.generation = generation;
        out.graph(call, GraphStep::PreAccept { answer });
        Ok(Handled::ReplyLater)
    }

    fn media_ready(
        &mut self,
        agent_id: &str,
        request: MediaReady,
        request_id: RequestId,
        out: &mut Effects,
    ) -> Result<Handled, Refusal> {
        let call_id = request.call_id.as_str();
        self.own_call(agent_id, call_id)?;
        let Some(call) = self.live.calls.get_mut(call_id) else {
            return Ok(Handled::Done);
        };
        match &mut call.phase {
            Phase::PreAccepting { media_ready, .. } => {
                *media_ready = true;
                Ok(Handled::Done)
            }
            Phase::Connecting { .. } => {
                self.accept_with_meta(call_id, Some(request_id), out);
                Ok(Handled::ReplyLater)
            }
            // Already accepting or accepted (after the media_ready bound): nothing left to do.
            Phase::Accepting { .. } | Phase::OnCall { .. } => Ok(Handled::Done),
            Phase::Dialing { .. } | Phase::Placed { .. } => Err(Refusal::new(
                ErrorCode::InvalidCallState,
                format!(
                    "call {call_id} is business-initiated: media starts when the customer picks up"
                ),
            )),
            Phase::Ringing { .. } | Phase::Routing => Err(Refusal::new(
                ErrorCode::InvalidCallState,
                format!("call {call_id} was not accepted by this agent yet"),
            )),
        }
    }

    fn reject_call(
        &mut self,
        agent_id: &str,
        request: RejectCall,
        now: Timestamp,
        out: &mut Effects,
    ) -> Result<Handled, Refusal> {
        let call_id = request.call_id.as_str();
        let call = self.own_call(agent_id, call_id)?;
        if !matches!(call.phase, Phase::Ringing { .. }) {
            return Err(Refusal::new(
                ErrorCode::InvalidCallState,
                format!("call {call_id} is not ringing; use hangup to end it"),
            ));
        }
        self.ring_ended(call_id, RingOutcome::Rejected, None, now, out);
        Ok(Handled::Done)
    }

    fn hangup(
        &mut self,
        agent_id: &str,
        request: Hangup,
        now: Timestamp,
        out: &mut Effects,
    ) -> Result<Handled, Refusal> {
        let call_id = request.call_id.as_str();
        let call = self.own_call(agent_id, call_id)?;
        let answered_at = match &call.phase {
            Phase::Ringing { .. } => {
                self.ring_ended(call_id, RingOutcome::Rejected, None, now, out);
                return Ok(Handled::Done);
            }
            Phase::Dialing { .. } => {
                return Err(Refusal::new(
                    ErrorCode::InvalidCallState,
                    format!(
                        "call {call_id} is still being placed with Meta; hang up once it is placed"
                    ),
                ));
            }
            Phase::OnCall { answered_at, .. } => Some(*answered_at),
            _ => None,
        };
        let Some(call) = self.live.calls.remove(call_id) else {
            return Ok(Handled::Done);
        };
        let duration_secs = answered_at.map(|at| (now - at).num_seconds().max(0));
        let status = if answered_at.is_some() {
            CallStatus::Completed
        } else {
            CallStatus::Missed
        };
        out.finish(
            call_id,
            crate::store::calls::CallEnd {
                duration_secs,
                ..end(status, Party::Agent, millis(now))
            },
        );
        if let Phase::PreAccepting { request_id, .. } = &call.phase {
            reply_refused(
                out,
                agent_id,
                request_id.clone(),
                ErrorCode::InvalidCallState,
                format!("call {call_id} was hung up before Meta accepted it"),
            );
        }
        let step = if matches!(call.phase, Phase::PreAccepting { .. }) || call.phase.meta_took_it()
        {
            GraphStep::Terminate
        } else {
            GraphStep::Reject
        };
        out.graph(&call, step);
        self.outbound_over(&call, answered_at.is_some(), now, out);
        out.update(
            agent_id,
            &call,
            CallState::Ended {
                at: now,
                duration_secs: duration_secs
                    .and_then(|secs| u32::try_from(secs).ok())
                    .unwrap_or(0),
                by: Party::Agent,
            },
        );
        Ok(Handled::Done)
    }
}
