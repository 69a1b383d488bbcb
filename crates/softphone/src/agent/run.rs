//! The agent's loop: a [`Phone`] with per-call audio from the options; its events become
//! reports, incoming calls are accepted when `--auto-answer` is set.

use std::sync::Arc;
use std::time::Duration;

use protocol::Presence;
use tokio::sync::mpsc;

use crate::media::WebRtcConfig;
use crate::phone::{AudioPlan, ConnectionStatus, Phone, PhoneConfig, PhoneError, PhoneEvent};
use crate::transport::PlatformLink;

use super::action::{self, Outcome};
use super::{Action, AgentError, AgentOptions, Report, Reporter};

fn snake<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// What the loop does after an event.
#[derive(Debug, PartialEq)]
enum Next {
    Continue,
    /// A call ended (counts towards `--exit-after-calls`).
    CallEnded,
    Fatal(PhoneError),
}

/// What an event means for the agent: the report to print (if any), and what to do.
fn translate(event: &PhoneEvent) -> (Option<Report>, Next) {
    match event {
        PhoneEvent::Connection(ConnectionStatus::Connected {
            agent_id,
            display_name,
            presence,
            ringing,
            active,
        }) => (
            Some(Report::Connected {
                agent_id: agent_id.clone(),
                display_name: display_name.clone(),
                presence: snake(presence),
                ringing: *ringing,
                active: *active,
            }),
            Next::Continue,
        ),
        PhoneEvent::Connection(ConnectionStatus::Reconnecting { reason, retry_in }) => (
            Some(Report::Disconnected {
                reason: reason.clone(),
                retry_in_ms: u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
            }),
            Next::Continue,
        ),
        PhoneEvent::Connection(ConnectionStatus::Unauthorized { .. }) => {
            (None, Next::Fatal(PhoneError::Unauthorized))
        }
        // Retrying cannot fix an untrusted certificate; a headless agent stops and says why.
        PhoneEvent::Connection(ConnectionStatus::CertificateUntrusted { message }) => {
            (None, Next::Fatal(PhoneError::Certificate(message.clone())))
        }
        PhoneEvent::Connection(ConnectionStatus::Connecting) => (None, Next::Continue),
        PhoneEvent::PresenceChanged { presence } => (
            Some(Report::Presence {
                presence: snake(presence),
            }),
            Next::Continue,
        ),
        PhoneEvent::Incoming(info) => (
            Some(Report::IncomingCall {
                call_id: info.call_id.clone(),
                customer: info.customer_number.clone(),
                profile_name: info.customer_name.clone(),
                business_number: info.business_number.clone(),
                routed_because: snake(&info.routed_because),
            }),
            Next::Continue,
        ),
        PhoneEvent::Answered { call_id } => (
            Some(Report::Answered {
                call_id: call_id.clone(),
            }),
            Next::Continue,
        ),
        PhoneEvent::MediaConnected { call_id, path } => (
            Some(Report::MediaConnected {
                call_id: call_id.clone(),
                path: path.map(|p| p.as_str()),
            }),
            Next::Continue,
        ),
        PhoneEvent::Ended {
            call_id,
            reason,
            duration_secs,
            talk_secs,
        } => (
            Some(Report::Ended {
                call_id: call_id.clone(),
                reason: reason.code(),
                duration_secs: *duration_secs,
                talk_secs: *talk_secs,
            }),
            Next::CallEnded,
        ),
        PhoneEvent::Error {
            call_id,
            code,
            message,
        } => (
            Some(Report::Error {
                call_id: call_id.clone(),
                code: code.clone(),
                message: message.clone(),
            }),
            Next::Continue,
        ),
        PhoneEvent::Dialing {
            call_id,
            conversation_id,
        } => (
            Some(Report::Dialing {
                call_id: call_id.clone(),
                conversation_id: conversation_id.clone(),
            }),
            Next::Continue,
        ),
        PhoneEvent::RemoteRinging { call_id } => (
            Some(Report::RemoteRinging {
                call_id: call_id.clone(),
            }),
            Next::Continue,
        ),
        PhoneEvent::RemoteAccepted { call_id, at } => (
            Some(Report::RemoteAccepted {
                call_id: call_id.clone(),
                at: at.to_rfc3339(),
            }),
            Next::Continue,
        ),
        PhoneEvent::PermissionChanged { permission } => (
            Some(Report::PermissionChanged {
                customer: permission.customer_number.as_str().to_owned(),
                status: snake(&permission.status),
                call_allowed: permission.call == protocol::rest::Verdict::Allowed,
                expires_at: permission.expires_at.map(|t| t.to_rfc3339()),
            }),
            Next::Continue,
        ),
        PhoneEvent::Quality {
            call_id,
            mos,
            rtt_ms,
            jitter_ms,
            loss_pct,
            remote_loss_pct,
            warnings,
        } => (
            Some(Report::Quality {
                call_id: call_id.clone(),
                mos: *mos,
                rtt_ms: *rtt_ms,
                jitter_ms: *jitter_ms,
                loss_pct: *loss_pct,
                remote_loss_pct: *remote_loss_pct,
                warnings: warnings.clone(),
            }),
            Next::Continue,
        ),
        PhoneEvent::RecordingsPending { count } => (
            Some(Report::RecordingsPending { count: *count }),
            Next::Continue,
        ),
        PhoneEvent::RecordingUploaded { call_id } => (
            Some(Report::RecordingUploaded {
                call_id: call_id.clone(),
            }),
            Next::Continue,
        ),
        PhoneEvent::RecordingRefused { call_id, message } => (
            Some(Report::RecordingRefused {
                call_id: call_id.clone(),
                message: message.clone(),
            }),
            Next::Continue,
        ),
        // The end follows; meters, mute, devices, the inbox and the team view are not part
        // of the headless agent.
        PhoneEvent::ConversationUpdated { .. }
        | PhoneEvent::TeamChanged { .. }
        | PhoneEvent::Cancelled { .. }
        | PhoneEvent::MuteChanged { .. }
        | PhoneEvent::Levels { .. }
        | PhoneEvent::DeviceFailed { .. } => (None, Next::Continue),
    }
}

/// Run the agent until a fatal error, Ctrl-C / SIGTERM, or `--exit-after-calls`.
pub async fn run(options: AgentOptions, reporter: Reporter) -> Result<(), AgentError> {
    options.check()?;
    let per_call = options.clone();
    let config = PhoneConfig {
        platform: options.platform.clone(),
        token: options.token.clone(),
        audio: AudioPlan::PerCall(Box::new(move |n| {
            per_call.call_audio(n).map_err(|e| e.to_string())
        })),
        media: WebRtcConfig {
            bind_ips: options.media_bind_ips(),
            ..WebRtcConfig::default()
        },
        tls: options.tls_options(),
        recordings_dir: options.recordings_dir.clone(),
    };
    let (phone, mut events) = Phone::start(config)?;
    let link =
        PlatformLink::new(&options.platform, &options.tls_options()).map_err(PhoneError::from)?;
    let reporter = Arc::new(reporter);
    let mut ended = 0u32;
    let mut action = options.action();
    let hangup_after = match &action {
        Some(Action::Call { hangup_after, .. }) => *hangup_after,
        _ => None,
    };
    let (done_tx, mut done) = mpsc::channel(4);
    // The call `--call` placed: the agent exits when it ends.
    let mut placed: Option<String> = None;
    let result = loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break Ok(()),
            },
            Some(outcome) = done.recv() => match outcome {
                Outcome::PermissionRequested { customer, conversation_id } => {
                    reporter.report(&Report::PermissionRequested { customer, conversation_id });
                    break Ok(());
                }
                Outcome::Placed { call_id } => {
                    placed = Some(call_id);
                    continue;
                }
                Outcome::Refused { action, code, message } => {
                    let (action, code) = (action.to_owned(), code);
                    reporter.report(&Report::Refused {
                        action: action.clone(),
                        code: code.clone(),
                        message: message.clone(),
                    });
                    break Err(AgentError::Refused { action, code, message });
                }
            },
            _ = shutdown_signal() => break Ok(()),
        };
        let (report, next) = translate(&event);
        if let Some(report) = report {
            reporter.report(&report);
        }
        match next {
            Next::Fatal(e) => break Err(AgentError::Phone(e)),
            Next::CallEnded => ended += 1,
            Next::Continue => {}
        }
        match event {
            // Set (and have confirmed) even when the snapshot already says so: the
            // `presence` report is the agent's "ready" signal.
            PhoneEvent::Connection(ConnectionStatus::Connected { .. }) => {
                if let Some(presence) = options.presence {
                    set_presence(&phone, presence, &reporter);
                }
                // Once, on the first sign-in.
                if let Some(action) = action.take() {
                    let (link, token) = (link.clone(), options.token.clone());
                    action::start(phone.clone(), link, token, action, done_tx.clone());
                }
            }
            PhoneEvent::MediaConnected { call_id, .. } if placed.as_ref() == Some(&call_id) => {
                if let Some(after) = hangup_after {
                    hang_up_later(&phone, call_id, after, &reporter);
                }
            }
            PhoneEvent::Ended { call_id, .. } if placed.as_ref() == Some(&call_id) => {
                break Ok(());
            }
            PhoneEvent::Incoming(info) if options.auto_answer => {
                accept(&phone, info.call_id, &reporter);
            }
            _ => {}
        }
        if options.exit_after_calls.is_some_and(|limit| ended >= limit) {
            break Ok(());
        }
    };
    // Shutting down hangs up what is left; those ends are reported too.
    let stopping = tokio::spawn(phone.shutdown());
    while let Some(event) = events.recv().await {
        if let (Some(report), _) = translate(&event) {
            reporter.report(&report);
        }
    }
    let _ = stopping.await;
    result
}

fn set_presence(phone: &Phone, presence: Presence, reporter: &Arc<Reporter>) {
    let (phone, reporter) = (phone.clone(), reporter.clone());
    tokio::spawn(async move {
        if let Err(e) = phone.set_presence(presence).await {
            report_refusal(&reporter, None, &e);
        }
    });
}

/// `--hangup-after`: hang up the placed call `after` its audio arrived.
fn hang_up_later(phone: &Phone, call_id: String, after: Duration, reporter: &Arc<Reporter>) {
    let (phone, reporter) = (phone.clone(), reporter.clone());
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        match phone.hang_up(&call_id).await {
            Ok(()) | Err(PhoneError::NoSuchCall(_)) | Err(PhoneError::CallEnded(_)) => {}
            Err(e) => report_refusal(&reporter, Some(call_id), &e),
        }
    });
}

fn accept(phone: &Phone, call_id: String, reporter: &Arc<Reporter>) {
    let (phone, reporter) = (phone.clone(), reporter.clone());
    tokio::spawn(async move {
        // A call that ended meanwhile already has its own report.
        match phone.accept(&call_id).await {
            Ok(()) | Err(PhoneError::CallEnded(_)) | Err(PhoneError::Media(_)) => {}
            Err(e) => report_refusal(&reporter, Some(call_id), &e),
        }
    });
}

fn report_refusal(reporter: &Reporter, call_id: Option<String>, error: &PhoneError) {
    let code = match error {
        PhoneError::Refused { code, .. } => code.clone(),
        other => other.code().to_owned(),
    };
    reporter.report(&Report::Error {
        call_id,
        code,
        message: error.to_string(),
    });
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::EndReason;

    #[test]
    fn events_become_the_same_reports_as_before() {
        let (report, next) = translate(&PhoneEvent::Ended {
            call_id: "wacid.A".into(),
            reason: EndReason::RemoteHangup {
                by: protocol::Party::Customer,
            },
            duration_secs: Some(4),
            talk_secs: 4.2,
        });
        assert_eq!(next, Next::CallEnded);
        assert_eq!(
            report,
            Some(Report::Ended {
                call_id: "wacid.A".into(),
                reason: "hangup_by_customer".into(),
                duration_secs: Some(4),
                talk_secs: 4.2,
            })
        );
        let (report, _) = translate(&PhoneEvent::Connection(ConnectionStatus::Reconnecting {
            reason: "gone".into(),
            retry_in: Duration::from_millis(250),
        }));
        assert_eq!(
            report,
            Some(Report::Disconnected {
                reason: "gone".into(),
                retry_in_ms: 250
            })
        );
        let (report, _) = translate(&PhoneEvent::PresenceChanged {
            presence: Presence::Available,
        });
        assert_eq!(
            report,
            Some(Report::Presence {
                presence: "available".into()
            })
        );
    }

    #[test]
    fn a_refused_token_stops_the_agent_with_a_401_message() {
        let (report, next) = translate(&PhoneEvent::Connection(ConnectionStatus::Unauthorized {
            message: "HTTP 401".into(),
        }));
        assert_eq!(report, None);
        let Next::Fatal(e) = next else {
            panic!("not fatal: {next:?}")
        };
        assert!(AgentError::Phone(e).to_string().contains("401"));
    }
}
