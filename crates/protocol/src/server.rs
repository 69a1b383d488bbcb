//! Messages the platform sends to the app.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::rest::{Conversation, PermissionState};
use crate::team::{TeamMember, TeamStatus};
use crate::{
    AgentId, BusinessNumber, CallId, Customer, Direction, ErrorCode, Party, PhoneNumber, PingId,
    Presence, ProtocolError, RequestId, RoutedBecause, Sdp, Timestamp,
};

/// Every message from the platform to the app. On the wire each is one JSON object with
/// `"v"` (protocol version) and `"type"` (the snake_case variant name) beside its fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Hello(Hello),
    IncomingCall(IncomingCall),
    CallCancelled(CallCancelled),
    CallUpdate(CallUpdate),
    StartMedia(StartMedia),
    RemoteAnswer(RemoteAnswer),
    PermissionChanged(PermissionChanged),
    ConversationUpdated(ConversationUpdated),
    TeamStatus(TeamStatus),
    Reply(Reply),
    Pong(Pong),
    Error(ProtocolError),
}

impl ServerMessage {
    /// The `type` values this side understands, for telling an unknown type from a bad body.
    pub const TYPES: [&'static str; 12] = [
        "hello",
        "incoming_call",
        "call_cancelled",
        "call_update",
        "start_media",
        "remote_answer",
        "permission_changed",
        "conversation_updated",
        "team_status",
        "reply",
        "pong",
        "error",
    ];
}

/// First message on every connection (and after every reconnect): who the agent is and the
/// state to render, so the app never has to remember anything across a reconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Hello {
    /// The platform's clock when it sent this; the app uses it to correct ring deadlines for
    /// clock skew.
    pub server_time: Timestamp,
    /// The app sends a `ping` at least this often (seconds).
    pub heartbeat_interval_secs: u32,
    pub agent: AgentProfile,
    pub presence: Presence,
    /// The business numbers the agent may take calls for.
    pub numbers: Vec<BusinessNumber>,
    /// Calls ringing for this agent right now, complete with their SDP offer: after a reconnect
    /// the popup is shown again from these.
    pub ringing: Vec<IncomingCall>,
    /// Calls this agent is connecting or talking on.
    pub active: Vec<ActiveCall>,
    /// STUN/TURN servers for the calls' media (the platform's `[ice]`), TURN credentials
    /// short-lived and fresh on every hello. Empty: host candidates only. Absent on the wire
    /// from older platforms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<IceServer>>")]
    pub ice_servers: Vec<IceServer>,
    /// Supervisors: their team's agents; admins: every agent (`team_status` updates it).
    /// Absent for agents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<TeamMember>>")]
    pub team: Vec<TeamMember>,
}

/// One STUN or TURN server (WebRTC's `RTCIceServer`): `stun:host:port`,
/// `turn:host:port?transport=udp|tcp`, `turns:host:port?transport=tcp`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IceServer {
    pub urls: Vec<String>,
    /// TURN only; for the platform's shared-secret credentials `EXPIRY:AGENT_ID`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// TURN only.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub credential: String,
}

impl std::fmt::Debug for IceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceServer")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field("credential", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AgentProfile {
    pub id: AgentId,
    pub display_name: String,
}

/// Where a call in `hello.active` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ActivePhase {
    /// Accepted (inbound) or placed (outbound); media not started yet.
    Connecting,
    /// Media is flowing.
    OnCall,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActiveCall {
    pub call_id: CallId,
    pub direction: Direction,
    pub business_number: PhoneNumber,
    pub customer: Customer,
    pub phase: ActivePhase,
    pub offered_at: Timestamp,
    pub answered_at: Option<Timestamp>,
}

/// A customer's call is ringing for this agent: show the popup and play the ringtone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IncomingCall {
    pub call_id: CallId,
    pub customer: Customer,
    pub business_number: PhoneNumber,
    pub routed_because: RoutedBecause,
    /// After this instant (platform clock) the ring is withdrawn with `call_cancelled`.
    pub ring_deadline: Timestamp,
    /// Meta's offer; the app answers it in `accept_call`.
    pub sdp_offer: Sdp,
}

/// Stop ringing: the call will not be answered here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CallCancelled {
    pub call_id: CallId,
    pub reason: CancelReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// Another agent accepted (never sent today: one agent rings at a time; kept for ring groups).
    AnsweredElsewhere,
    /// The customer hung up before anyone answered.
    CallerHungUp,
    /// This agent's ring timeout passed; the call moves to the next agent.
    TimedOut,
    /// Meta's accept window closed.
    AcceptWindowClosed,
    /// The agent went away or offline, or signed in elsewhere, while it rang.
    AgentUnavailable,
    /// The call failed on Meta's side.
    Failed,
}

/// A change in a call this agent is on (or placing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CallUpdate {
    pub call_id: CallId,
    #[serde(flatten)]
    pub state: CallState,
}

/// The new state of a call, flattened into `call_update` with its `state` tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CallState {
    /// Outbound: the customer's phone is ringing (Meta's RINGING).
    Ringing,
    /// The call was answered (by the customer for outbound, by this agent for inbound).
    Accepted { at: Timestamp },
    /// Refused before it connected.
    Rejected { by: Party, at: Timestamp },
    /// The call is over.
    Ended {
        at: Timestamp,
        /// Seconds from answer to end; 0 if it never connected.
        duration_secs: u32,
        by: Party,
    },
    /// Meta or the platform failed the call.
    Failed {
        code: ErrorCode,
        message: String,
        /// Meta's error code (for example 138021 media timeout), when Meta gave one.
        meta_error_code: Option<u32>,
    },
}

/// Meta accepted the call: the app may now send media (until now it only prepared it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StartMedia {
    pub call_id: CallId,
    /// The number records its calls: the app records both sides and uploads the recording
    /// after the call. Absent (false) for numbers that do not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub record: bool,
}

/// Outbound: Meta's SDP answer to the app's offer from `place_call`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RemoteAnswer {
    pub call_id: CallId,
    pub sdp_answer: Sdp,
}

/// The call permission for one of the agent's conversations changed (reply, grant, revocation,
/// a limit reached or lifted). Expiry of a temporary permission is not announced: the app
/// computes it from `permission.expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PermissionChanged {
    pub permission: PermissionState,
}

/// A conversation the agent sees changed (new message, assignment, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConversationUpdated {
    pub conversation: Conversation,
}

/// The answer to one request from the app, matched by `request_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Reply {
    pub request_id: RequestId,
    #[serde(flatten)]
    pub result: ReplyResult,
}

impl Reply {
    /// Success for a request that creates nothing.
    pub fn ok(request_id: RequestId) -> Self {
        Self {
            request_id,
            result: ReplyResult::Ok { call_id: None },
        }
    }

    /// Success for `place_call`, naming the new call.
    pub fn call_placed(request_id: RequestId, call_id: CallId) -> Self {
        Self {
            request_id,
            result: ReplyResult::Ok {
                call_id: Some(call_id),
            },
        }
    }

    pub fn error(request_id: RequestId, error: ProtocolError) -> Self {
        Self {
            request_id,
            result: ReplyResult::Error(error),
        }
    }
}

/// `outcome: "ok"` or `outcome: "error"` with the error's code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReplyResult {
    Ok {
        /// The call created by `place_call`; null for every other request.
        call_id: Option<CallId>,
    },
    Error(ProtocolError),
}

/// Answers the app's `ping` with the same id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Pong {
    pub ping_id: PingId,
}
