//! What the engine tells its owner ([`PhoneEvent`]), in order, on the channel
//! [`super::Phone::start`] returns. Every event serializes as `{"type": "<snake_case>", ...}`
//! so the desktop can forward it to its web UI as-is.

use std::time::Duration;

use protocol::rest::{Conversation, PermissionState};
use protocol::{CancelReason, Party, Presence, RoutedBecause, Timestamp};
use serde::{Serialize, Serializer};

use crate::audio_io::Direction;

/// The signaling connection to the platform.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// The first connection is being made.
    Connecting,
    /// Signed in (after every reconnect too); the platform's snapshot was applied: ringing calls
    /// are offered (again), calls it no longer lists have ended.
    Connected {
        agent_id: String,
        display_name: String,
        presence: Presence,
        /// Calls ringing for this agent in the snapshot.
        ringing: usize,
        /// Calls connecting or talking in the snapshot.
        active: usize,
    },
    /// The connection is down; the next attempt is in `retry_in`. Media of calls in progress
    /// continues.
    Reconnecting {
        reason: String,
        #[serde(rename = "retry_in_ms", serialize_with = "millis")]
        retry_in: Duration,
    },
    /// The platform refused the agent token (HTTP 401). The engine keeps retrying with backoff;
    /// the owner should ask for a new token (and restart the phone with it).
    Unauthorized { message: String },
    /// The platform's TLS certificate is not trusted (unknown issuer, expired, another name):
    /// not a network problem. The engine keeps retrying with backoff; the fix is the
    /// certificate, or the extra CA the owner configures.
    CertificateUntrusted { message: String },
}

/// A call ringing for this agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncomingCallInfo {
    pub call_id: String,
    pub customer_number: String,
    /// The customer's WhatsApp profile name, when Meta gave one.
    pub customer_name: Option<String>,
    pub business_number: String,
    pub routed_because: RoutedBecause,
    /// When this engine learned of the call (the local clock).
    pub offered_at: Timestamp,
    /// When the platform withdraws the ring (the platform's clock).
    pub ring_deadline: Timestamp,
}

/// Why a call ended. [`EndReason::code`] is the stable snake_case form (the headless agent's
/// `reason`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EndReason {
    /// This app hung up (or shut down).
    LocalHangup,
    /// The call was ended by someone else: the customer, the platform/Meta (`system`), or this
    /// agent from elsewhere (`agent`).
    RemoteHangup { by: Party },
    /// Refused before it connected: by this agent (`agent`), the customer or the system.
    Rejected { by: Party },
    /// Stopped ringing before it was answered here (answered elsewhere, caller hung up, ring
    /// timeout...). A [`PhoneEvent::Cancelled`] came just before.
    Cancelled { reason: CancelReason },
    /// After a reconnect the platform no longer listed the call: it ended while signaling was
    /// down.
    GoneAfterReconnect,
    /// Something failed: `code` is `failed` (the platform or Meta failed the call),
    /// `media_failed`, `refused_by_platform`, `accept_lost`, `media` or `audio`.
    Failed { code: String, message: String },
}

fn snake<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

impl EndReason {
    /// `hangup_by_agent`, `hangup_by_customer`, `ended_by_system`, `rejected_by_<party>`,
    /// `cancelled_<reason>`, `gone_after_reconnect`, or the failure's code.
    pub fn code(&self) -> String {
        match self {
            EndReason::LocalHangup | EndReason::RemoteHangup { by: Party::Agent } => {
                "hangup_by_agent".into()
            }
            EndReason::RemoteHangup {
                by: Party::Customer,
            } => "hangup_by_customer".into(),
            EndReason::RemoteHangup { by: Party::System } => "ended_by_system".into(),
            EndReason::Rejected { by } => format!("rejected_by_{}", snake(by)),
            EndReason::Cancelled { reason } => format!("cancelled_{}", snake(reason)),
            EndReason::GoneAfterReconnect => "gone_after_reconnect".into(),
            EndReason::Failed { code, .. } => code.clone(),
        }
    }
}

/// Everything the engine reports. Per call the order is: `Incoming`, then either
/// (`Cancelled`) or (`Answered`, `MediaConnected`, `MuteChanged`*, `Levels`*) — for a call the
/// agent placed `Dialing`, `RemoteRinging`?, `RemoteAccepted`, `MediaConnected`, … — and always
/// exactly one `Ended` last (a call whose accept was lost with the connection ends as `accept_lost` and
/// starts over with a new `Incoming` when the platform offers it again). `Error`s may come at
/// any time and do not end anything by themselves.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PhoneEvent {
    Connection(ConnectionStatus),
    /// The platform confirmed a presence set with [`super::Phone::set_presence`].
    PresenceChanged {
        presence: Presence,
    },
    Incoming(IncomingCallInfo),
    /// The call stopped ringing here (an `Ended` follows).
    Cancelled {
        call_id: String,
        reason: CancelReason,
    },
    /// A call this agent placed is on its way to the customer (the platform gave its id).
    Dialing {
        call_id: String,
        conversation_id: String,
    },
    /// The customer's phone rings (a call this agent placed).
    RemoteRinging {
        call_id: String,
    },
    /// The customer picked up (a call this agent placed): the call counts as answered from
    /// `at` (the platform's clock); audio follows with `start_media`.
    RemoteAccepted {
        call_id: String,
        at: Timestamp,
    },
    /// The call permission of one of the agent's conversations changed.
    PermissionChanged {
        permission: Box<PermissionState>,
    },
    /// A conversation the agent sees changed (a message, an assignment).
    ConversationUpdated {
        conversation: Box<Conversation>,
    },
    /// Supervisors and admins: the agents they oversee, with presence and current call (the
    /// whole team each time; after every reconnect too).
    TeamChanged {
        members: Vec<protocol::TeamMember>,
    },
    /// The accept (with the SDP answer, candidates gathered) was sent.
    Answered {
        call_id: String,
    },
    /// The first audio from the customer arrived: the in-call timer starts here.
    MediaConnected {
        call_id: String,
        /// Which way the media goes (`Relay`: through the TURN server), when known.
        path: Option<crate::media::MediaPath>,
    },
    MuteChanged {
        call_id: String,
        muted: bool,
    },
    /// Every second from the start of media: the call's figures (RTCP both ways) and the
    /// warnings active now (raised and cleared with hysteresis; `no_inbound_audio` at 5 s of
    /// silence from the customer).
    Quality {
        call_id: String,
        /// Estimated mean opinion score, 1–4.5 (E-model).
        mos: f64,
        /// Round trip to Meta's relay, once an RTCP report measured it.
        rtt_ms: Option<f64>,
        /// Interarrival jitter of the customer's audio.
        jitter_ms: f64,
        /// Customer audio lost over the last interval, %.
        loss_pct: f64,
        /// Our audio lost as Meta last reported, %.
        remote_loss_pct: Option<f64>,
        warnings: Vec<crate::quality::QualityWarning>,
    },
    /// Recordings waiting for upload, whenever the count changes (0 once all are stored).
    RecordingsPending {
        count: usize,
    },
    /// A call's recording is stored on the platform (and gone from this machine).
    RecordingUploaded {
        call_id: String,
    },
    /// The platform refused a recording for good; it is kept aside with the reason.
    RecordingRefused {
        call_id: String,
        message: String,
    },
    /// Every 50 ms while a call has media: the microphone (or source) before muting, and what
    /// is played (or decoded).
    Levels {
        call_id: String,
        input_dbfs: f32,
        output_dbfs: f32,
    },
    Ended {
        call_id: String,
        reason: EndReason,
        /// Seconds from answer to end as the platform counted them, when it said.
        duration_secs: Option<u32>,
        /// Talk time as this engine measured it (media connected → end), seconds.
        talk_secs: f64,
    },
    /// A sound device failed mid-call; the engine fell back to the next preference (the
    /// message says which, or that none opened).
    DeviceFailed {
        #[serde(serialize_with = "direction_name")]
        direction: Direction,
        message: String,
    },
    Error {
        call_id: Option<String>,
        code: String,
        message: String,
    },
}

fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn direction_name<S: Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(match d {
        Direction::Input => "input",
        Direction::Output => "output",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_reasons_have_the_agents_codes() {
        let cases = [
            (EndReason::LocalHangup, "hangup_by_agent"),
            (
                EndReason::RemoteHangup {
                    by: Party::Customer,
                },
                "hangup_by_customer",
            ),
            (
                EndReason::RemoteHangup { by: Party::System },
                "ended_by_system",
            ),
            (
                EndReason::Rejected { by: Party::Agent },
                "rejected_by_agent",
            ),
            (
                EndReason::Cancelled {
                    reason: CancelReason::CallerHungUp,
                },
                "cancelled_caller_hung_up",
            ),
            (EndReason::GoneAfterReconnect, "gone_after_reconnect"),
            (
                EndReason::Failed {
                    code: "media_failed".into(),
                    message: "ICE".into(),
                },
                "media_failed",
            ),
        ];
        for (reason, code) in cases {
            assert_eq!(reason.code(), code, "{reason:?}");
        }
    }

    #[test]
    fn events_serialize_tagged_for_the_web_ui() {
        let e = PhoneEvent::Connection(ConnectionStatus::Reconnecting {
            reason: "gone".into(),
            retry_in: Duration::from_millis(1500),
        });
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "connection");
        assert_eq!(v["status"], "reconnecting");
        assert_eq!(v["retry_in_ms"], 1500);
        let e = PhoneEvent::DeviceFailed {
            direction: Direction::Input,
            message: "unplugged".into(),
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "device_failed");
        assert_eq!(v["direction"], "input");
        let e = PhoneEvent::Ended {
            call_id: "c".into(),
            reason: EndReason::Rejected { by: Party::Agent },
            duration_secs: None,
            talk_secs: 0.0,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["reason"]["kind"], "rejected");
        assert_eq!(v["reason"]["by"], "agent");
    }
}
