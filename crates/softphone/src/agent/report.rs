//! The agent's output: one JSON object per line on stdout, `{"event": "...", ...}`.

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;

/// Every event the agent reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Report {
    /// Signed in (also after every reconnect); the platform's snapshot in numbers.
    Connected {
        agent_id: String,
        display_name: String,
        presence: String,
        ringing: usize,
        active: usize,
    },
    /// The platform confirmed the presence the agent set.
    Presence { presence: String },
    /// Signaling is down; media of a call in progress continues.
    Disconnected { reason: String, retry_in_ms: u64 },
    IncomingCall {
        call_id: String,
        customer: String,
        profile_name: Option<String>,
        business_number: String,
        routed_because: String,
    },
    /// `--request-permission`: the request went to the customer.
    PermissionRequested {
        customer: String,
        conversation_id: String,
    },
    /// The call permission of one of the agent's conversations changed.
    PermissionChanged {
        customer: String,
        /// `no_permission`, `temporary` or `permanent`.
        status: String,
        /// May the agent call now?
        call_allowed: bool,
        expires_at: Option<String>,
    },
    /// `--call`: the platform placed the call with Meta.
    Dialing {
        call_id: String,
        conversation_id: String,
    },
    /// The customer's phone rings.
    RemoteRinging { call_id: String },
    /// The customer picked up (the call counts as answered from `at`).
    RemoteAccepted { call_id: String, at: String },
    /// `--request-permission` / `--call` was refused (nothing reached Meta when the platform
    /// refused). `code` is stable: the platform's (`no_call_permission`, `not_assigned`, ...) or
    /// the agent's own (`no_conversation`, `not_connected`, ...).
    Refused {
        action: String,
        code: String,
        message: String,
    },
    /// The agent accepted: the SDP answer (candidates gathered) was sent.
    Answered { call_id: String },
    /// Meta accepted the call and the first audio from the customer was decoded. `path`:
    /// `host`, `srflx`, `prflx` or `relay` (through the TURN server), when known.
    MediaConnected {
        call_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        path: Option<&'static str>,
    },
    /// Once a second from the start of media: the call's figures and active warnings
    /// (`high_loss`, `high_jitter`, `high_latency`, `poor_quality`, `no_inbound_audio`).
    Quality {
        call_id: String,
        mos: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        rtt_ms: Option<f64>,
        jitter_ms: f64,
        loss_pct: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        remote_loss_pct: Option<f64>,
        warnings: Vec<crate::quality::QualityWarning>,
    },
    /// Call recordings waiting for upload (whenever the count changes).
    RecordingsPending { count: usize },
    /// A call's recording is stored on the platform.
    RecordingUploaded { call_id: String },
    /// The platform refused a recording for good (kept aside, with the reason).
    RecordingRefused { call_id: String, message: String },
    Ended {
        call_id: String,
        /// `hangup_by_customer`, `hangup_by_agent`, `cancelled_<reason>`, `rejected_by_...`,
        /// `failed`, `media_failed`, `gone_after_reconnect`.
        reason: String,
        /// Seconds from answer to end as the platform counted them, when it said.
        duration_secs: Option<u32>,
        /// Talk time as this agent measured it.
        talk_secs: f64,
    },
    Error {
        call_id: Option<String>,
        code: String,
        message: String,
    },
}

/// Writes reports, one line each, flushing after every line (a reader waits on lines).
pub struct Reporter {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter").finish_non_exhaustive()
    }
}

impl Reporter {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out: Mutex::new(out),
        }
    }

    pub fn stdout() -> Self {
        Self::new(Box::new(std::io::stdout()))
    }

    pub fn report(&self, report: &Report) {
        let line = match serde_json::to_string(report) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize a report");
                return;
            }
        };
        let mut out = match self.out.lock() {
            Ok(o) => o,
            Err(poisoned) => poisoned.into_inner(),
        };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            tracing::warn!("stdout is gone; report dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_are_tagged_snake_case_json() {
        let r = Report::Ended {
            call_id: "wacid.A".into(),
            reason: "hangup_by_customer".into(),
            duration_secs: Some(4),
            talk_secs: 4.2,
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["event"], "ended");
        assert_eq!(json["duration_secs"], 4);
        assert_eq!(json["reason"], "hangup_by_customer");
    }
}
