//! Pure translation of the platform's call messages into state-machine events and
//! [`EndReason`]s.

use protocol::{CallState, CancelReason, Party};

use crate::call::{CallEvent, FailureCause};

use super::EndReason;

/// What a `call_update` does to a call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ending {
    pub event: CallEvent,
    pub reason: EndReason,
    pub duration_secs: Option<u32>,
    /// An `Error` to emit first (`code`, `message`).
    pub error: Option<(String, String)>,
}

fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// The end a `call_update` state means; `None` for states that end nothing.
pub(crate) fn update_ending(state: &CallState) -> Option<Ending> {
    match state {
        CallState::Ended {
            duration_secs, by, ..
        } => Some(Ending {
            event: match by {
                Party::Agent => CallEvent::Hangup,
                Party::Customer | Party::System => CallEvent::RemoteHangup,
            },
            reason: EndReason::RemoteHangup { by: *by },
            duration_secs: Some(*duration_secs),
            error: None,
        }),
        CallState::Rejected { by, .. } => Some(Ending {
            event: match by {
                Party::Agent => CallEvent::Reject,
                Party::Customer | Party::System => CallEvent::RemoteRejected,
            },
            reason: EndReason::Rejected { by: *by },
            duration_secs: None,
            error: None,
        }),
        CallState::Failed { code, message, .. } => Some(Ending {
            event: CallEvent::Failed(FailureCause::SignalingRefused),
            reason: EndReason::Failed {
                code: "failed".into(),
                message: message.clone(),
            },
            duration_secs: None,
            error: Some((snake(code), message.clone())),
        }),
        CallState::Accepted { .. } | CallState::Ringing => None,
    }
}

/// The end a `call_cancelled` means.
pub(crate) fn cancel_ending(reason: CancelReason) -> Ending {
    Ending {
        event: CallEvent::RemoteHangup,
        reason: EndReason::Cancelled { reason },
        duration_secs: None,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ErrorCode;

    fn at() -> protocol::Timestamp {
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    #[test]
    fn a_customer_hangup_carries_the_platforms_duration() {
        let e = update_ending(&CallState::Ended {
            at: at(),
            duration_secs: 42,
            by: Party::Customer,
        })
        .unwrap();
        assert_eq!(e.event, CallEvent::RemoteHangup);
        assert_eq!(e.duration_secs, Some(42));
        assert_eq!(e.reason.code(), "hangup_by_customer");
        let e = update_ending(&CallState::Ended {
            at: at(),
            duration_secs: 0,
            by: Party::System,
        })
        .unwrap();
        assert_eq!(e.reason.code(), "ended_by_system");
    }

    #[test]
    fn a_failed_call_reports_the_platforms_code_then_ends_as_failed() {
        let e = update_ending(&CallState::Failed {
            code: ErrorCode::InvalidSdp,
            message: "bad answer".into(),
            meta_error_code: None,
        })
        .unwrap();
        assert_eq!(e.error, Some(("invalid_sdp".into(), "bad answer".into())));
        assert_eq!(e.reason.code(), "failed");
        assert_eq!(e.event, CallEvent::Failed(FailureCause::SignalingRefused));
    }

    #[test]
    fn rejections_and_cancellations_name_who_and_why() {
        let e = update_ending(&CallState::Rejected {
            by: Party::Customer,
            at: at(),
        })
        .unwrap();
        assert_eq!(e.reason.code(), "rejected_by_customer");
        assert_eq!(e.event, CallEvent::RemoteRejected);
        assert!(update_ending(&CallState::Ringing).is_none());
        assert!(update_ending(&CallState::Accepted { at: at() }).is_none());
        let e = cancel_ending(CancelReason::AnsweredElsewhere);
        assert_eq!(e.reason.code(), "cancelled_answered_elsewhere");
        assert_eq!(e.event, CallEvent::RemoteHangup);
    }
}
