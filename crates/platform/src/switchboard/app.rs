//! What agents' apps do: connect (and get `hello`), disconnect, and send requests.

use protocol::{
    AcceptCall, ActiveCall, ActivePhase, AgentProfile, BusinessNumber, CallState, CallUpdate,
    CancelReason, ClientMessage, Direction, ErrorCode, Hangup, Hello, MediaReady, Party,
    PhoneNumber, Presence, ProtocolError, RejectCall, Reply, ReplyResult, RequestId, RingOutcome,
    ServerMessage, SetPresence, HEARTBEAT_INTERVAL_SECS,
};
use whatsapp::graph::CallActionRequest;

use super::flow::incoming_call;
use super::live::{Connection, LiveAgent, Phase};
use super::{Switchboard, TimerKind};
use crate::store::agents::Agent;
use crate::store::calls::CallEnd;
use crate::store::time::now_ms;
use crate::store::wire::timestamp;
use crate::store::StoreError;

/// A refusal sent back as the request's `reply`.
struct Refusal(ErrorCode, String);

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(code, message.into())
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "store failed while handling an app request");
        Refusal(
            ErrorCode::InternalError,
            "the platform could not store the change; retry".into(),
        )
    }
}

impl Switchboard {
    /// A socket came up: it replaces the agent's previous one (told `session_replaced`), and
    /// gets `hello` with the agent's ringing and active calls.
    pub(super) async fn connected(&mut self, agent: Agent, connection: Connection) {
        let agent_id = agent.id.clone();
        let entry = self
            .live
            .agents
            .entry(agent_id.clone())
            .or_insert_with(|| LiveAgent {
                agent: agent.clone(),
                connection: None,
                presence: Presence::Available,
            });
        entry.agent = agent;
        if let Some(previous) = entry.connection.replace(connection) {
            let _ = previous
                .outbox
                .send(ServerMessage::Error(ProtocolError::new(
                    ErrorCode::SessionReplaced,
                    "this agent signed in on another connection; this one is closed",
                )));
        }
        let hello = self.hello(&agent_id);
        self.send_to(&agent_id, hello);
        tracing::info!(agent_id, "agent connected");
    }

    fn hello(&self, agent_id: &str) -> ServerMessage {
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
                    recording_enabled: false,
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
                    if let ServerMessage::IncomingCall(incoming) = incoming_call(call) {
                        ringing.push(incoming);
                    }
                }
                Phase::Connecting { .. } | Phase::OnCall { .. } => active.push(ActiveCall {
                    call_id: call.id.clone(),
                    direction: Direction::Inbound,
                    business_number: call.business_number.clone(),
                    customer: call.customer.clone(),
                    phase: match call.phase {
                        Phase::OnCall { .. } => ActivePhase::OnCall,
                        _ => ActivePhase::Connecting,
                    },
                    offered_at: timestamp(call.offered_at),
                    answered_at: match call.phase {
                        Phase::OnCall { answered_at, .. } => Some(timestamp(answered_at)),
                        _ => None,
                    },
                }),
                Phase::Routing => {}
            }
        }
        let id = protocol::AgentId::new(agent_id.to_owned());
        ServerMessage::Hello(Hello {
            server_time: chrono::Utc::now(),
            heartbeat_interval_secs: HEARTBEAT_INTERVAL_SECS,
            agent: AgentProfile {
                id: match id {
                    Ok(id) => id,
                    Err(_) => {
                        return ServerMessage::Error(ProtocolError::new(
                            ErrorCode::InternalError,
                            "agent id is not valid on the wire",
                        ))
                    }
                },
                display_name,
            },
            presence,
            numbers,
            ringing,
            active,
        })
    }

    /// A socket closed. If it was the agent's current one and the agent was ringing, the ring
    /// counts as a timeout and the call moves on. Calls being connected or talked on continue:
    /// media does not pass through the platform, and the app gets them back in `hello`.
    pub(super) async fn disconnected(&mut self, agent_id: &str, connection_id: u64) {
        let Some(agent) = self.live.agents.get_mut(agent_id) else {
            return;
        };
        if agent.connection.as_ref().map(|c| c.id) != Some(connection_id) {
            return; // An older, replaced connection.
        }
        agent.connection = None;
        tracing::info!(agent_id, "agent disconnected");
        let ringing = self
            .live
            .call_of_agent(agent_id)
            .filter(|call| matches!(call.phase, Phase::Ringing { .. }))
            .map(|call| call.id.as_str().to_owned());
        if let Some(call_id) = ringing {
            if let Err(error) = self.ring_ended(&call_id, RingOutcome::TimedOut, None).await {
                tracing::error!(call_id, %error, "could not move the call on");
            }
        }
    }

    /// A request from the current connection of an agent; requests from a replaced connection
    /// are refused.
    pub(super) async fn app_message(
        &mut self,
        agent_id: &str,
        connection_id: u64,
        message: ClientMessage,
    ) {
        let current = self
            .live
            .agents
            .get(agent_id)
            .and_then(|agent| agent.connection.as_ref())
            .map(|connection| connection.id);
        if current != Some(connection_id) {
            return;
        }
        let Some(request_id) = message.request_id().cloned() else {
            return; // ping is answered by the socket task itself.
        };
        let outcome = match message {
            ClientMessage::SetPresence(request) => self.set_presence(agent_id, request).await,
            ClientMessage::AcceptCall(request) => self.accept_call(agent_id, request).await,
            ClientMessage::MediaReady(request) => self.media_ready(agent_id, request).await,
            ClientMessage::RejectCall(request) => self.reject_call(agent_id, request).await,
            ClientMessage::Hangup(request) => self.hangup(agent_id, request).await,
            ClientMessage::PlaceCall(_)
            | ClientMessage::RequestPermission(_)
            | ClientMessage::SendText(_) => Err(Refusal::new(
                ErrorCode::Forbidden,
                "outbound calls, permission requests and texts are not supported by this platform version",
            )),
            ClientMessage::Ping(_) => return,
        };
        self.reply(agent_id, request_id, outcome);
    }

    fn reply(&self, agent_id: &str, request_id: RequestId, outcome: Result<(), Refusal>) {
        let result = match outcome {
            Ok(()) => ReplyResult::Ok { call_id: None },
            Err(Refusal(code, message)) => ReplyResult::Error(ProtocolError::new(code, message)),
        };
        self.send_to(agent_id, ServerMessage::Reply(Reply { request_id, result }));
    }

    async fn set_presence(&mut self, agent_id: &str, request: SetPresence) -> Result<(), Refusal> {
        if let Some(agent) = self.live.agents.get_mut(agent_id) {
            agent.presence = request.presence;
        }
        if request.presence != Presence::Available {
            let ringing = self
                .live
                .call_of_agent(agent_id)
                .filter(|call| matches!(call.phase, Phase::Ringing { .. }))
                .map(|call| call.id.as_str().to_owned());
            if let Some(call_id) = ringing {
                self.ring_ended(
                    &call_id,
                    RingOutcome::Cancelled,
                    Some(CancelReason::AgentUnavailable),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The ringing agent's call, or why not.
    fn own_call(&self, agent_id: &str, call_id: &str) -> Result<&super::live::LiveCall, Refusal> {
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

    async fn accept_call(&mut self, agent_id: &str, request: AcceptCall) -> Result<(), Refusal> {
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
        let phone_number_id = call.phone_number_id.clone();
        let pre_accept = CallActionRequest::pre_accept(call_id, answer.clone());
        if let Err(failure) = self.graph.call_action(&phone_number_id, &pre_accept).await {
            let message = format!("Meta refused pre_accept: {failure}");
            self.fail(call_id, failure).await?;
            return Err(Refusal::new(ErrorCode::UpstreamError, message));
        }
        let now = now_ms();
        self.store
            .end_ring(call_id, agent_id, RingOutcome::Accepted, now)
            .await?;
        let generation = self.live.generation();
        if let Some(call) = self.live.calls.get_mut(call_id) {
            call.ring_ended(agent_id, RingOutcome::Accepted, timestamp(now));
            call.phase = Phase::Connecting {
                agent_id: agent_id.to_owned(),
                answer,
            };
            call.generation = generation;
        }
        self.arm(
            call_id,
            generation,
            TimerKind::MediaReady,
            self.media_ready_bound(),
        );
        tracing::info!(call_id, agent_id, "pre_accepted; waiting for media_ready");
        Ok(())
    }

    async fn media_ready(&mut self, agent_id: &str, request: MediaReady) -> Result<(), Refusal> {
        let call_id = request.call_id.as_str();
        let call = self.own_call(agent_id, call_id)?;
        match call.phase {
            Phase::Connecting { .. } => {
                self.accept_with_meta(call_id).await?;
                Ok(())
            }
            // Already accepted after the media_ready bound: nothing left to do.
            Phase::OnCall { .. } => Ok(()),
            _ => Err(Refusal::new(
                ErrorCode::InvalidCallState,
                format!("call {call_id} was not accepted by this agent yet"),
            )),
        }
    }

    async fn reject_call(&mut self, agent_id: &str, request: RejectCall) -> Result<(), Refusal> {
        let call_id = request.call_id.as_str();
        let call = self.own_call(agent_id, call_id)?;
        if !matches!(call.phase, Phase::Ringing { .. }) {
            return Err(Refusal::new(
                ErrorCode::InvalidCallState,
                format!("call {call_id} is not ringing; use hangup to end it"),
            ));
        }
        self.ring_ended(call_id, RingOutcome::Rejected, None)
            .await?;
        Ok(())
    }

    async fn hangup(&mut self, agent_id: &str, request: Hangup) -> Result<(), Refusal> {
        let call_id = request.call_id.as_str();
        let call = self.own_call(agent_id, call_id)?;
        let answered_at = match call.phase {
            Phase::Ringing { .. } => {
                self.ring_ended(call_id, RingOutcome::Rejected, None)
                    .await?;
                return Ok(());
            }
            Phase::OnCall { answered_at, .. } => Some(answered_at),
            _ => None,
        };
        let Some(call) = self.live.calls.remove(call_id) else {
            return Ok(());
        };
        let now = now_ms();
        let duration_secs = answered_at.map(|at| (now - at).max(0) / 1000);
        self.store
            .finish_call(
                call_id,
                &CallEnd {
                    status: if answered_at.is_some() {
                        protocol::CallStatus::Completed
                    } else {
                        protocol::CallStatus::Missed
                    },
                    ended_by: Some(Party::Agent),
                    ended_at: now,
                    duration_secs,
                    meta_error_code: None,
                },
            )
            .await?;
        let terminate = CallActionRequest::terminate(call_id);
        if let Err(error) = self
            .graph
            .call_action(&call.phone_number_id, &terminate)
            .await
        {
            tracing::warn!(call_id, %error, "Meta terminate failed; Meta's own timeout will end the call");
        }
        self.send_to(
            agent_id,
            ServerMessage::CallUpdate(CallUpdate {
                call_id: call.id.clone(),
                state: CallState::Ended {
                    at: timestamp(now),
                    duration_secs: duration_secs
                        .and_then(|secs| u32::try_from(secs).ok())
                        .unwrap_or(0),
                    by: Party::Agent,
                },
            }),
        );
        Ok(())
    }
}
