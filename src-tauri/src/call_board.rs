//! The engine's events as the UI sees them: a pure translation of [`PhoneEvent`]s into
//! [`CoreEvent`]s, remembering what it must to do so (the calls ringing here, the call in
//! progress, the presence the agent chose). No I/O and no clock: the driver passes `now_ms`.
//!
//! Invariants:
//! - every call the UI was offered leaves exactly once: `call_cancelled` if it never started
//!   here (cancelled, rejected, failed while ringing), `call_ended` if it did;
//! - a call this agent placed is the call in progress from `Dialing` (phase `calling`, then
//!   `ringing`, then `connected` with the timer from the customer's pickup) and leaves with one
//!   `call_ended` whose reason says why (declined, no answer, failed with the message);
//! - presence is `busy` from the moment a call is answered or placed until it ends, then the
//!   agent's own choice again;
//! - meters are sent at most every [`LEVELS_EVERY_MS`], as 0..1.

use crate::levels::meter;
use crate::model::{
    ActiveCall, CallEndReason, CallPhase, ConnectionState, CoreEvent, IncomingCall, Levels, Notice,
    Presence,
};
use protocol::rest::Conversation;
use protocol::{CancelReason, Direction as CallDirection, Party};
use softphone::phone::{ConnectionStatus, Direction, EndReason, IncomingCallInfo, PhoneEvent};
use std::collections::HashMap;

/// The engine measures every 50 ms; a little slack keeps every reading when they arrive late.
pub const LEVELS_EVERY_MS: i64 = 40;

#[derive(Debug, Clone)]
pub struct CallBoard {
    ringing: Vec<IncomingCall>,
    active: Option<ActiveCall>,
    /// What the agent chose (or the platform last confirmed); shown whenever not on a call.
    chosen: Presence,
    connection: ConnectionState,
    last_levels_ms: Option<i64>,
    /// Who is on the other end of each conversation the agent has seen (the inbox list and
    /// its updates), so a placed call shows the customer from its first moment.
    parties: HashMap<String, OtherEnd>,
    /// The untrusted-certificate notice was shown since the last good connection (it is said
    /// once, not at every retry).
    untrusted_said: bool,
}

/// The customer and business number of one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OtherEnd {
    customer_name: Option<String>,
    customer_number: String,
    business_number: String,
}

impl Default for CallBoard {
    fn default() -> Self {
        CallBoard {
            ringing: Vec::new(),
            active: None,
            chosen: Presence::Available,
            connection: ConnectionState::Disconnected,
            last_levels_ms: None,
            parties: HashMap::new(),
            untrusted_said: false,
        }
    }
}

impl CallBoard {
    /// The UI events for one engine event, in order.
    pub fn apply(&mut self, event: PhoneEvent, now_ms: i64) -> Vec<CoreEvent> {
        match event {
            PhoneEvent::Connection(status) => self.connection_changed(status),
            PhoneEvent::PresenceChanged { presence } => {
                self.chosen = presence.into();
                self.presence_event().into_iter().collect()
            }
            PhoneEvent::Incoming(info) => self.incoming(info),
            PhoneEvent::Cancelled { call_id, reason } => {
                if self.take_ringing(&call_id).is_some() {
                    vec![CoreEvent::CallCancelled { call_id, reason }]
                } else {
                    Vec::new()
                }
            }
            PhoneEvent::Answered { call_id } => self.answered(&call_id, now_ms),
            PhoneEvent::MediaConnected { call_id, .. } => self.update_active(&call_id, |call| {
                match (call.direction, call.phase) {
                    // A placed call's timer runs from the pickup, not from the first audio.
                    (CallDirection::Outbound, CallPhase::Connected) => {}
                    _ => {
                        call.phase = CallPhase::Connected;
                        call.answered_at_ms = now_ms;
                    }
                }
            }),
            PhoneEvent::MuteChanged { call_id, muted } => {
                self.update_active(&call_id, |call| call.muted = muted)
            }
            PhoneEvent::Quality {
                call_id, warnings, ..
            } => {
                // Once a second: the bar is only told when what it shows changes.
                match &self.active {
                    Some(call) if call.call_id == call_id && call.quality_warnings != warnings => {
                        self.update_active(&call_id, |call| call.quality_warnings = warnings)
                    }
                    _ => Vec::new(),
                }
            }
            PhoneEvent::Levels {
                call_id,
                input_dbfs,
                output_dbfs,
            } => self.levels(&call_id, input_dbfs, output_dbfs, now_ms),
            PhoneEvent::Ended {
                call_id, reason, ..
            } => self.ended(call_id, &reason),
            PhoneEvent::DeviceFailed { direction, message } => {
                let device = match direction {
                    Direction::Input => "microphone",
                    Direction::Output => "speaker",
                };
                vec![notice(
                    "device_failed",
                    format!("The {device} failed: {message}."),
                )]
            }
            PhoneEvent::Error { code, message, .. } => vec![notice(&code, capitalize(&message))],
            PhoneEvent::RecordingsPending { count } => vec![CoreEvent::RecordingsPending {
                count: u32::try_from(count).unwrap_or(u32::MAX),
            }],
            PhoneEvent::RecordingUploaded { .. } => Vec::new(),
            PhoneEvent::RecordingRefused { message, .. } => vec![notice(
                "recording_refused",
                format!("A call recording was refused by the platform and kept on this computer: {message}"),
            )],
            PhoneEvent::Dialing {
                call_id,
                conversation_id,
            } => self.dialing(call_id, &conversation_id, now_ms),
            PhoneEvent::RemoteRinging { call_id } => self.update_active(&call_id, |call| {
                if call.phase == CallPhase::Calling {
                    call.phase = CallPhase::Ringing;
                }
            }),
            PhoneEvent::RemoteAccepted { call_id, at } => {
                // The platform's clock: never in the future of ours, so the timer never shows
                // a negative time.
                let picked_up = at.timestamp_millis().min(now_ms);
                self.update_active(&call_id, |call| {
                    call.phase = CallPhase::Connected;
                    call.answered_at_ms = picked_up;
                })
            }
            PhoneEvent::PermissionChanged { permission } => vec![CoreEvent::PermissionChanged {
                permission: *permission,
            }],
            PhoneEvent::ConversationUpdated { conversation } => {
                self.remember(&conversation);
                vec![CoreEvent::ConversationUpdated {
                    conversation: *conversation,
                }]
            }
            PhoneEvent::TeamChanged { members } => vec![CoreEvent::TeamChanged { members }],
        }
    }

    /// The conversations the inbox listed: a call placed in one of them shows its customer.
    pub fn remember_conversations(&mut self, conversations: &[Conversation]) {
        for conversation in conversations {
            self.remember(conversation);
        }
    }

    pub fn knows_conversation(&self, conversation_id: &str) -> bool {
        self.parties.contains_key(conversation_id)
    }

    fn remember(&mut self, conversation: &Conversation) {
        self.parties.insert(
            conversation.id.as_str().to_owned(),
            OtherEnd {
                customer_name: conversation.customer.profile_name.clone(),
                customer_number: conversation.customer.number.as_str().to_owned(),
                business_number: conversation.business_number.as_str().to_owned(),
            },
        );
    }

    /// The agent chose a presence (the engine took the request, or it waits for the
    /// connection): the UI shows it unless a call makes the agent busy.
    pub fn choose(&mut self, presence: Presence) -> Option<CoreEvent> {
        self.chosen = presence;
        self.presence_event()
    }

    /// What the UI shows now.
    pub fn presence(&self) -> Presence {
        if self.active.is_some() {
            Presence::Busy
        } else {
            self.chosen
        }
    }

    pub fn connection(&self) -> ConnectionState {
        self.connection
    }

    /// The call the answer shortcut takes: the one that has rung longest.
    pub fn first_ringing(&self) -> Option<&IncomingCall> {
        self.ringing.first()
    }

    pub fn ringing(&self) -> &[IncomingCall] {
        &self.ringing
    }

    pub fn active(&self) -> Option<&ActiveCall> {
        self.active.as_ref()
    }

    fn connection_changed(&mut self, status: ConnectionStatus) -> Vec<CoreEvent> {
        let (state, extra) = match status {
            ConnectionStatus::Connecting => (ConnectionState::Connecting, None),
            ConnectionStatus::Connected { presence, .. } => {
                self.untrusted_said = false;
                self.chosen = presence.into();
                (ConnectionState::Connected, self.presence_event())
            }
            ConnectionStatus::Reconnecting { .. } => (ConnectionState::Reconnecting, None),
            ConnectionStatus::CertificateUntrusted { message } => {
                tracing::warn!(%message, "the platform's certificate is not trusted");
                let said = std::mem::replace(&mut self.untrusted_said, true);
                (
                    ConnectionState::Reconnecting,
                    (!said).then(|| {
                        notice(
                            "certificate_untrusted",
                            format!(
                                "The platform's security certificate is not trusted, so Ringdesk \
                             will not send your token to it ({message}). Ask your administrator \
                             for the company CA file, or check the platform address."
                            ),
                        )
                    }),
                )
            }
            ConnectionStatus::Unauthorized { message } => {
                tracing::warn!(%message, "the platform refused the agent token");
                (
                    ConnectionState::Disconnected,
                    Some(notice(
                        "unauthorized",
                        "The platform no longer accepts your agent token. Sign out and sign in \
                         with a new one."
                            .to_owned(),
                    )),
                )
            }
        };
        self.connection = state;
        std::iter::once(CoreEvent::ConnectionChanged { state })
            .chain(extra)
            .collect()
    }

    fn incoming(&mut self, info: IncomingCallInfo) -> Vec<CoreEvent> {
        if self.ringing.iter().any(|c| c.call_id == info.call_id) {
            // Offered again after a reconnect: the UI already shows it.
            return Vec::new();
        }
        let call = IncomingCall {
            call_id: info.call_id,
            customer_name: info.customer_name,
            customer_number: info.customer_number,
            business_number: info.business_number,
            routed_because: info.routed_because,
            offered_at_ms: info.offered_at.timestamp_millis(),
        };
        self.ringing.push(call.clone());
        vec![CoreEvent::IncomingCall { call }]
    }

    fn answered(&mut self, call_id: &str, now_ms: i64) -> Vec<CoreEvent> {
        let Some(offer) = self.take_ringing(call_id) else {
            return Vec::new();
        };
        let call = ActiveCall {
            call_id: offer.call_id,
            customer_name: offer.customer_name,
            customer_number: offer.customer_number,
            business_number: offer.business_number,
            direction: CallDirection::Inbound,
            phase: CallPhase::Connected,
            answered_at_ms: now_ms,
            muted: false,
            quality_warnings: Vec::new(),
        };
        self.active = Some(call.clone());
        self.last_levels_ms = None;
        vec![
            CoreEvent::CallStarted { call },
            CoreEvent::PresenceChanged {
                presence: Presence::Busy,
            },
        ]
    }

    /// A call this agent placed exists at the platform: it is the call in progress from now.
    fn dialing(&mut self, call_id: String, conversation_id: &str, now_ms: i64) -> Vec<CoreEvent> {
        if self.active.is_some() {
            // The engine holds one call at a time; a second `Dialing` would be its bug.
            tracing::warn!(%call_id, "a placed call while another is in progress");
            return Vec::new();
        }
        let party = self
            .parties
            .get(conversation_id)
            .cloned()
            .unwrap_or(OtherEnd {
                customer_name: None,
                customer_number: String::new(),
                business_number: String::new(),
            });
        let call = ActiveCall {
            call_id,
            customer_name: party.customer_name,
            customer_number: party.customer_number,
            business_number: party.business_number,
            direction: CallDirection::Outbound,
            phase: CallPhase::Calling,
            answered_at_ms: now_ms,
            muted: false,
            quality_warnings: Vec::new(),
        };
        self.active = Some(call.clone());
        self.last_levels_ms = None;
        vec![
            CoreEvent::CallStarted { call },
            CoreEvent::PresenceChanged {
                presence: Presence::Busy,
            },
        ]
    }

    fn update_active(
        &mut self,
        call_id: &str,
        change: impl FnOnce(&mut ActiveCall),
    ) -> Vec<CoreEvent> {
        match self.active.as_mut() {
            Some(call) if call.call_id == call_id => {
                change(call);
                vec![CoreEvent::CallUpdated { call: call.clone() }]
            }
            _ => Vec::new(),
        }
    }

    fn levels(&mut self, call_id: &str, input: f32, output: f32, now_ms: i64) -> Vec<CoreEvent> {
        let is_active = self.active.as_ref().is_some_and(|c| c.call_id == call_id);
        let due = self
            .last_levels_ms
            .is_none_or(|last| now_ms - last >= LEVELS_EVERY_MS);
        if !is_active || !due {
            return Vec::new();
        }
        self.last_levels_ms = Some(now_ms);
        vec![CoreEvent::Levels {
            levels: Levels {
                input: meter(input),
                output: meter(output),
            },
        }]
    }

    fn ended(&mut self, call_id: String, reason: &EndReason) -> Vec<CoreEvent> {
        if let Some(call) = self.active.take_if(|c| c.call_id == call_id) {
            let unanswered_placed =
                call.direction == CallDirection::Outbound && call.phase != CallPhase::Connected;
            let shown = if unanswered_placed {
                placed_end_reason(reason)
            } else {
                end_reason(reason)
            };
            let message = match reason {
                EndReason::Failed { message, .. } => Some(sentence(message)),
                _ => None,
            };
            return vec![
                CoreEvent::CallEnded {
                    call_id,
                    reason: shown,
                    message,
                },
                CoreEvent::PresenceChanged {
                    presence: self.chosen,
                },
            ];
        }
        if self.take_ringing(&call_id).is_some() {
            return vec![CoreEvent::CallCancelled {
                call_id,
                reason: ringing_end_reason(reason),
            }];
        }
        Vec::new()
    }

    fn take_ringing(&mut self, call_id: &str) -> Option<IncomingCall> {
        let index = self.ringing.iter().position(|c| c.call_id == call_id)?;
        Some(self.ringing.remove(index))
    }

    fn presence_event(&self) -> Option<CoreEvent> {
        self.active.is_none().then_some(CoreEvent::PresenceChanged {
            presence: self.chosen,
        })
    }
}

/// How a call in progress ended, as the in-call bar says it.
fn end_reason(reason: &EndReason) -> CallEndReason {
    match reason {
        EndReason::LocalHangup => CallEndReason::LocalHangup,
        EndReason::RemoteHangup { .. } | EndReason::GoneAfterReconnect => {
            CallEndReason::RemoteHangup
        }
        EndReason::Rejected {
            by: Party::Customer,
        } => CallEndReason::Declined,
        EndReason::Rejected { .. } | EndReason::Cancelled { .. } | EndReason::Failed { .. } => {
            CallEndReason::Failed
        }
    }
}

/// How a call this agent placed ended before the customer picked up.
fn placed_end_reason(reason: &EndReason) -> CallEndReason {
    match reason {
        EndReason::LocalHangup => CallEndReason::LocalHangup,
        EndReason::Rejected { .. } => CallEndReason::Declined,
        // The platform ends an unanswered call as hung up by the customer (Meta: missed).
        EndReason::RemoteHangup { .. } | EndReason::Cancelled { .. } => CallEndReason::NoAnswer,
        EndReason::GoneAfterReconnect => CallEndReason::RemoteHangup,
        EndReason::Failed { .. } => CallEndReason::Failed,
    }
}

/// A message as a sentence: capitalized, with its full stop.
pub fn sentence(message: &str) -> String {
    let text = capitalize(message.trim());
    if text.ends_with('.') {
        text
    } else {
        format!("{text}.")
    }
}

/// Why a call stopped ringing here when the engine ended it without a cancellation.
fn ringing_end_reason(reason: &EndReason) -> CancelReason {
    match reason {
        EndReason::Cancelled { reason } => *reason,
        EndReason::Rejected {
            by: Party::Customer,
        }
        | EndReason::RemoteHangup {
            by: Party::Customer,
        } => CancelReason::CallerHungUp,
        // This agent declined it (here or in another window).
        EndReason::LocalHangup
        | EndReason::Rejected { by: Party::Agent }
        | EndReason::RemoteHangup { by: Party::Agent } => CancelReason::AgentUnavailable,
        EndReason::Rejected { by: Party::System }
        | EndReason::RemoteHangup { by: Party::System }
        | EndReason::GoneAfterReconnect
        | EndReason::Failed { .. } => CancelReason::Failed,
    }
}

fn notice(code: &str, message: String) -> CoreEvent {
    CoreEvent::Notice {
        notice: Notice {
            code: code.to_owned(),
            message,
        },
    }
}

/// The engine's messages are lower-case clauses; the UI shows sentences.
pub fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Presence as Chosen, RoutedBecause};
    use std::time::Duration;

    fn offer(id: &str) -> PhoneEvent {
        PhoneEvent::Incoming(IncomingCallInfo {
            call_id: id.into(),
            customer_number: "15551234567".into(),
            customer_name: Some("Maria".into()),
            business_number: "15550001111".into(),
            routed_because: RoutedBecause::ContactOwner,
            offered_at: protocol::Timestamp::from_timestamp_millis(1_700_000_000_123).unwrap(),
            ring_deadline: protocol::Timestamp::from_timestamp_millis(1_700_000_020_123).unwrap(),
        })
    }

    fn ended(id: &str, reason: EndReason) -> PhoneEvent {
        PhoneEvent::Ended {
            call_id: id.into(),
            reason,
            duration_secs: None,
            talk_secs: 0.0,
        }
    }

    fn types(events: &[CoreEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| {
                serde_json::to_value(e).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn a_ringing_call_reaches_the_ui_with_everything_the_popup_shows() {
        let mut board = CallBoard::default();
        let events = board.apply(offer("c1"), 0);
        assert_eq!(
            events,
            vec![CoreEvent::IncomingCall {
                call: IncomingCall {
                    call_id: "c1".into(),
                    customer_name: Some("Maria".into()),
                    customer_number: "15551234567".into(),
                    business_number: "15550001111".into(),
                    routed_because: RoutedBecause::ContactOwner,
                    offered_at_ms: 1_700_000_000_123,
                }
            }]
        );
        // Offered again after a reconnect: nothing new for the UI.
        assert!(board.apply(offer("c1"), 5).is_empty());
        assert_eq!(board.first_ringing().unwrap().call_id, "c1");
    }

    #[test]
    fn quality_warnings_reach_the_bar_only_when_they_change() {
        use softphone::quality::QualityWarning;
        let mut board = CallBoard::default();
        board.apply(offer("c1"), 0);
        board.apply(
            PhoneEvent::Answered {
                call_id: "c1".into(),
            },
            1_000,
        );
        let quality = |board: &mut CallBoard, warnings: Vec<QualityWarning>| {
            board.apply(
                PhoneEvent::Quality {
                    call_id: "c1".into(),
                    mos: 4.1,
                    rtt_ms: Some(40.0),
                    jitter_ms: 3.0,
                    loss_pct: 0.0,
                    remote_loss_pct: None,
                    warnings,
                },
                2_000,
            )
        };
        assert!(
            quality(&mut board, vec![]).is_empty(),
            "nothing to show yet"
        );
        match &quality(&mut board, vec![QualityWarning::NoInboundAudio])[..] {
            [CoreEvent::CallUpdated { call }] => {
                assert_eq!(
                    call.quality_warnings,
                    [protocol::QualityWarning::NoInboundAudio]
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(
            quality(&mut board, vec![QualityWarning::NoInboundAudio]).is_empty(),
            "the same warnings a second later say nothing new"
        );
        match &quality(&mut board, vec![])[..] {
            [CoreEvent::CallUpdated { call }] => assert!(call.quality_warnings.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn answer_media_mute_levels_and_hang_up_make_a_whole_call_with_busy_presence() {
        let mut board = CallBoard::default();
        board.apply(offer("c1"), 0);
        let answered = board.apply(
            PhoneEvent::Answered {
                call_id: "c1".into(),
            },
            1_000,
        );
        assert_eq!(types(&answered), ["call_started", "presence_changed"]);
        assert_eq!(board.presence(), Presence::Busy);
        assert!(board.first_ringing().is_none());

        let media = board.apply(
            PhoneEvent::MediaConnected {
                call_id: "c1".into(),
                path: None,
            },
            1_500,
        );
        match &media[..] {
            [CoreEvent::CallUpdated { call }] => assert_eq!(call.answered_at_ms, 1_500),
            other => panic!("{other:?}"),
        }
        let muted = board.apply(
            PhoneEvent::MuteChanged {
                call_id: "c1".into(),
                muted: true,
            },
            2_000,
        );
        match &muted[..] {
            [CoreEvent::CallUpdated { call }] => assert!(call.muted),
            other => panic!("{other:?}"),
        }
        assert!(board.active().unwrap().muted);

        let levels = |board: &mut CallBoard, at| {
            board.apply(
                PhoneEvent::Levels {
                    call_id: "c1".into(),
                    input_dbfs: -30.0,
                    output_dbfs: -120.0,
                },
                at,
            )
        };
        assert_eq!(
            levels(&mut board, 2_050),
            vec![CoreEvent::Levels {
                levels: Levels {
                    input: 0.5,
                    output: 0.0
                }
            }]
        );
        assert!(levels(&mut board, 2_060).is_empty(), "throttled");
        assert_eq!(levels(&mut board, 2_100).len(), 1);

        let end = board.apply(ended("c1", EndReason::LocalHangup), 9_000);
        assert_eq!(
            end,
            vec![
                CoreEvent::CallEnded {
                    call_id: "c1".into(),
                    reason: CallEndReason::LocalHangup,
                    message: None,
                },
                CoreEvent::PresenceChanged {
                    presence: Presence::Available
                }
            ]
        );
        assert!(board.active().is_none());
        assert!(
            levels(&mut board, 9_100).is_empty(),
            "no meters after the call"
        );
    }

    #[test]
    fn a_call_leaves_the_ui_exactly_once() {
        let mut board = CallBoard::default();
        board.apply(offer("c1"), 0);
        let cancelled = board.apply(
            PhoneEvent::Cancelled {
                call_id: "c1".into(),
                reason: CancelReason::CallerHungUp,
            },
            1,
        );
        assert_eq!(
            cancelled,
            vec![CoreEvent::CallCancelled {
                call_id: "c1".into(),
                reason: CancelReason::CallerHungUp
            }]
        );
        // The engine's Ended after its Cancelled adds nothing.
        assert!(board
            .apply(
                ended(
                    "c1",
                    EndReason::Cancelled {
                        reason: CancelReason::CallerHungUp
                    }
                ),
                2
            )
            .is_empty());

        // Rejected here: no Cancelled from the engine, so the board says it stopped ringing.
        board.apply(offer("c2"), 3);
        let rejected = board.apply(ended("c2", EndReason::Rejected { by: Party::Agent }), 4);
        assert_eq!(
            rejected,
            vec![CoreEvent::CallCancelled {
                call_id: "c2".into(),
                reason: CancelReason::AgentUnavailable
            }]
        );
        board.apply(offer("c3"), 5);
        let failed = board.apply(
            ended(
                "c3",
                EndReason::Failed {
                    code: "media_failed".into(),
                    message: "ICE".into(),
                },
            ),
            6,
        );
        assert_eq!(
            failed,
            vec![CoreEvent::CallCancelled {
                call_id: "c3".into(),
                reason: CancelReason::Failed
            }]
        );
        assert!(board
            .apply(ended("unknown", EndReason::LocalHangup), 7)
            .is_empty());
    }

    fn conversation() -> Conversation {
        serde_json::from_value(serde_json::json!({
            "id": "conv-1",
            "business_number": "15550001111",
            "customer": { "number": "15551234567", "profile_name": "Maria" },
            "assigned_agent": "a1",
            "last_customer_activity_at": "2026-01-05T09:00:00Z",
            "recent_messages": [],
            "permission": {
                "business_number": "15550001111",
                "customer_number": "15551234567",
                "status": "temporary",
                "expires_at": "2026-01-12T09:00:00Z",
                "call": { "verdict": "allowed" },
                "request": { "verdict": "refused", "code": "permanent_permission_exists",
                             "message": "a permission exists", "retry_at": null },
                "next_request_at": null,
                "service_window_closes_at": "2026-01-06T09:00:00Z",
                "computed_at": "2026-01-05T09:00:00Z"
            }
        }))
        .unwrap()
    }

    fn dial(board: &mut CallBoard, id: &str, at: i64) -> Vec<CoreEvent> {
        board.apply(
            PhoneEvent::Dialing {
                call_id: id.into(),
                conversation_id: "conv-1".into(),
            },
            at,
        )
    }

    fn active_of(events: &[CoreEvent]) -> &ActiveCall {
        match events {
            [CoreEvent::CallStarted { call } | CoreEvent::CallUpdated { call }, ..] => call,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_placed_call_goes_calling_ringing_connected_with_the_timer_from_the_pickup() {
        let mut board = CallBoard::default();
        board.remember_conversations(&[conversation()]);
        assert!(board.knows_conversation("conv-1"));

        let dialing = dial(&mut board, "out-1", 1_000);
        assert_eq!(types(&dialing), ["call_started", "presence_changed"]);
        let call = active_of(&dialing);
        assert_eq!(
            (call.direction, call.phase),
            (CallDirection::Outbound, CallPhase::Calling)
        );
        assert_eq!(call.customer_name.as_deref(), Some("Maria"));
        assert_eq!(call.customer_number, "15551234567");
        assert_eq!(call.business_number, "15550001111");
        assert_eq!(board.presence(), Presence::Busy);

        let ringing = board.apply(
            PhoneEvent::RemoteRinging {
                call_id: "out-1".into(),
            },
            2_000,
        );
        assert_eq!(active_of(&ringing).phase, CallPhase::Ringing);

        // Picked up at 5 s by the platform's clock, heard here at 5.2 s.
        let accepted = board.apply(
            PhoneEvent::RemoteAccepted {
                call_id: "out-1".into(),
                at: protocol::Timestamp::from_timestamp_millis(5_000).unwrap(),
            },
            5_200,
        );
        let call = active_of(&accepted);
        assert_eq!(
            (call.phase, call.answered_at_ms),
            (CallPhase::Connected, 5_000)
        );
        // The first audio does not restart the timer of a placed call.
        let media = board.apply(
            PhoneEvent::MediaConnected {
                call_id: "out-1".into(),
                path: None,
            },
            5_600,
        );
        assert_eq!(active_of(&media).answered_at_ms, 5_000);

        let end = board.apply(
            ended(
                "out-1",
                EndReason::RemoteHangup {
                    by: Party::Customer,
                },
            ),
            9_000,
        );
        assert_eq!(
            end[0],
            CoreEvent::CallEnded {
                call_id: "out-1".into(),
                reason: CallEndReason::RemoteHangup,
                message: None,
            }
        );
        assert_eq!(board.presence(), Presence::Available);
    }

    #[test]
    fn a_pickup_stamped_in_our_future_starts_the_timer_now() {
        let mut board = CallBoard::default();
        board.remember_conversations(&[conversation()]);
        dial(&mut board, "out-1", 1_000);
        let accepted = board.apply(
            PhoneEvent::RemoteAccepted {
                call_id: "out-1".into(),
                at: protocol::Timestamp::from_timestamp_millis(60_000).unwrap(),
            },
            5_000,
        );
        assert_eq!(active_of(&accepted).answered_at_ms, 5_000);
    }

    #[test]
    fn a_placed_call_that_never_connected_says_why_it_ended() {
        let cases = [
            (
                EndReason::Rejected {
                    by: Party::Customer,
                },
                CallEndReason::Declined,
                None,
            ),
            (
                EndReason::RemoteHangup {
                    by: Party::Customer,
                },
                CallEndReason::NoAnswer,
                None,
            ),
            (EndReason::LocalHangup, CallEndReason::LocalHangup, None),
            (
                EndReason::Failed {
                    code: "failed".into(),
                    message: "meta refused the call (138006)".into(),
                },
                CallEndReason::Failed,
                Some("Meta refused the call (138006).".to_owned()),
            ),
        ];
        for (reason, shown, message) in cases {
            let mut board = CallBoard::default();
            board.remember_conversations(&[conversation()]);
            dial(&mut board, "out-1", 0);
            let end = board.apply(ended("out-1", reason.clone()), 1);
            assert_eq!(
                end[0],
                CoreEvent::CallEnded {
                    call_id: "out-1".into(),
                    reason: shown,
                    message,
                },
                "{reason:?}"
            );
            assert!(board.active().is_none());
        }
    }

    #[test]
    fn inbox_changes_pass_to_the_ui_and_teach_the_board_the_customer() {
        let mut board = CallBoard::default();
        let mut changed = conversation();
        changed.customer.profile_name = Some("Maria Souza".into());
        let events = board.apply(
            PhoneEvent::ConversationUpdated {
                conversation: Box::new(changed.clone()),
            },
            0,
        );
        assert_eq!(
            events,
            vec![CoreEvent::ConversationUpdated {
                conversation: changed.clone()
            }]
        );
        let permission = board.apply(
            PhoneEvent::PermissionChanged {
                permission: Box::new(changed.permission.clone()),
            },
            0,
        );
        assert_eq!(types(&permission), ["permission_changed"]);
        let dialing = dial(&mut board, "out-1", 1);
        assert_eq!(
            active_of(&dialing).customer_name.as_deref(),
            Some("Maria Souza")
        );
    }

    #[test]
    fn end_reasons_for_calls_in_progress() {
        assert_eq!(
            end_reason(&EndReason::RemoteHangup {
                by: Party::Customer
            }),
            CallEndReason::RemoteHangup
        );
        assert_eq!(
            end_reason(&EndReason::GoneAfterReconnect),
            CallEndReason::RemoteHangup
        );
        assert_eq!(
            end_reason(&EndReason::Failed {
                code: "media".into(),
                message: "m".into()
            }),
            CallEndReason::Failed
        );
    }

    #[test]
    fn presence_follows_the_platform_and_the_agent_but_busy_wins_during_a_call() {
        let mut board = CallBoard::default();
        let connected = board.apply(
            PhoneEvent::Connection(ConnectionStatus::Connected {
                agent_id: "a1".into(),
                display_name: "Ana".into(),
                presence: Chosen::Away,
                ringing: 0,
                active: 0,
            }),
            0,
        );
        assert_eq!(
            connected,
            vec![
                CoreEvent::ConnectionChanged {
                    state: ConnectionState::Connected
                },
                CoreEvent::PresenceChanged {
                    presence: Presence::Away
                }
            ]
        );
        board.apply(offer("c1"), 1);
        board.apply(
            PhoneEvent::Answered {
                call_id: "c1".into(),
            },
            2,
        );
        // The platform confirms a choice made before the call: the UI stays busy.
        assert!(board
            .apply(
                PhoneEvent::PresenceChanged {
                    presence: Chosen::Available
                },
                3
            )
            .is_empty());
        assert_eq!(board.choose(Presence::Away), None);
        assert_eq!(board.presence(), Presence::Busy);
        let end = board.apply(ended("c1", EndReason::LocalHangup), 4);
        assert_eq!(
            end.last(),
            Some(&CoreEvent::PresenceChanged {
                presence: Presence::Away
            })
        );
    }

    #[test]
    fn connection_states_and_a_refused_token() {
        let mut board = CallBoard::default();
        assert_eq!(board.connection(), ConnectionState::Disconnected);
        let reconnecting = board.apply(
            PhoneEvent::Connection(ConnectionStatus::Reconnecting {
                reason: "gone".into(),
                retry_in: Duration::from_secs(1),
            }),
            0,
        );
        assert_eq!(
            reconnecting,
            vec![CoreEvent::ConnectionChanged {
                state: ConnectionState::Reconnecting
            }]
        );
        let refused = board.apply(
            PhoneEvent::Connection(ConnectionStatus::Unauthorized {
                message: "bad token".into(),
            }),
            1,
        );
        assert_eq!(types(&refused), ["connection_changed", "notice"]);
        assert_eq!(board.connection(), ConnectionState::Disconnected);
    }

    #[test]
    fn device_failures_and_engine_errors_become_notices() {
        let mut board = CallBoard::default();
        let failed = board.apply(
            PhoneEvent::DeviceFailed {
                direction: Direction::Input,
                message: "using the default microphone".into(),
            },
            0,
        );
        assert_eq!(
            failed,
            vec![notice(
                "device_failed",
                "The microphone failed: using the default microphone.".into()
            )]
        );
        let error = board.apply(
            PhoneEvent::Error {
                call_id: Some("c1".into()),
                code: "agent_busy".into(),
                message: "already on a call".into(),
            },
            0,
        );
        assert_eq!(
            error,
            vec![notice("agent_busy", "Already on a call".into())]
        );
    }
}
