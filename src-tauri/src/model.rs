//! The app-level shapes that cross to the UI: command arguments and results, and the events on
//! `ringdesk:event`. Exported to TypeScript (ui/src/backend/app/) by tests/typescript.rs, so the
//! UI never writes them by hand. Fields are camelCase, enum values and event tags snake_case.
//! Wire vocabulary (call records, statuses, reasons, the agent's chosen presence) is `protocol`'s.

use protocol::rest::{Conversation, PermissionState};
use protocol::{CancelReason, Direction, QualityWarning, RoutedBecause};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where the app-level TypeScript goes, relative to protocol's generated directory.
const TS_DIR: &str = "../app/";

/// What the agent chose (the wire type); `Presence::Busy` is never chosen.
pub use protocol::Presence as ChosenPresence;

/// The agent's presence as the UI shows it: their choice, or `busy` while on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = TS_DIR)]
pub enum Presence {
    Available,
    Away,
    Offline,
    Busy,
}

impl From<ChosenPresence> for Presence {
    fn from(p: ChosenPresence) -> Self {
        match p {
            ChosenPresence::Available => Presence::Available,
            ChosenPresence::Away => Presence::Away,
            ChosenPresence::Offline => Presence::Offline,
        }
    }
}

/// The app's WebSocket to the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = TS_DIR)]
pub enum ConnectionState {
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = TS_DIR)]
pub struct Session {
    pub platform_url: String,
    pub agent_name: String,
    pub presence: Presence,
    /// The token is in the OS keyring and the next start signs in by itself. False when the
    /// keyring refused (no Secret Service, locked): the session then lasts until quit, and the
    /// UI says so. The token is never written anywhere else.
    pub token_remembered: bool,
}

/// Facts about this build and run that the UI shows or acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = TS_DIR)]
pub struct AppInfo {
    pub version: String,
    /// Started by `cargo xtask run`: demo-only actions ("Simulate customer call") are offered.
    pub demo: bool,
    /// Global shortcuts, as Tauri accelerators (e.g. "CommandOrControl+Shift+A").
    pub shortcuts: ShortcutKeys,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = TS_DIR)]
pub struct ShortcutKeys {
    pub answer: String,
    pub hang_up: String,
    pub toggle_mute: String,
}

#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = TS_DIR)]
pub struct SignInRequest {
    pub platform_url: String,
    /// Goes to the OS keyring only. Never logged.
    pub token: String,
    /// A PEM file of extra CA certificates to trust (a company's own CA), besides the system's.
    #[serde(default)]
    #[ts(optional)]
    pub extra_ca_file: Option<String>,
    /// Allow plain http:// to another machine (token and customer data unencrypted).
    #[serde(default)]
    #[ts(optional)]
    pub insecure_http: Option<bool>,
}

/// Leaves the token out: it goes to the keyring only.
impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("platform_url", &self.platform_url)
            .field("token", &"<redacted>")
            .field("extra_ca_file", &self.extra_ca_file)
            .field("insecure_http", &self.insecure_http)
            .finish()
    }
}

/// A call ringing for this agent, as the popup shows it (no SDP: that stays in the engine).
/// Phone numbers are WhatsApp's bare digits; the UI adds the '+'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = TS_DIR)]
pub struct IncomingCall {
    pub call_id: String,
    pub customer_name: Option<String>,
    pub customer_number: String,
    pub business_number: String,
    pub routed_because: RoutedBecause,
    /// Epoch milliseconds when the platform offered the call.
    #[ts(type = "number")]
    pub offered_at_ms: i64,
}

/// Where the call in progress is. An inbound call is `connected` from the agent's answer; a
/// call the agent placed goes `calling` (on its way to Meta) → `ringing` (the customer's phone
/// rings) → `connected` (the customer picked up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = TS_DIR)]
pub enum CallPhase {
    Calling,
    Ringing,
    Connected,
}

/// The call in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = TS_DIR)]
pub struct ActiveCall {
    pub call_id: String,
    pub customer_name: Option<String>,
    pub customer_number: String,
    pub business_number: String,
    /// `inbound` (the customer called) or `outbound` (this agent placed it from the inbox).
    pub direction: Direction,
    pub phase: CallPhase,
    /// Epoch milliseconds the UI counts the duration from once `connected`: inbound, when
    /// media started; outbound, the customer's pickup (Meta's ACCEPTED). Before that (calling,
    /// ringing) when the call began here.
    #[ts(type = "number")]
    pub answered_at_ms: i64,
    /// Mute stops sending the microphone only: media keeps flowing so WhatsApp keeps the call.
    pub muted: bool,
    /// Call-quality warnings holding now (shown in the in-call bar only while they hold).
    pub quality_warnings: Vec<QualityWarning>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = TS_DIR)]
pub enum DeviceKind {
    Input,
    Output,
    /// Where the ringtone plays (an output device; often the laptop speaker while the headset
    /// carries the call).
    Ring,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = TS_DIR)]
pub struct AudioDevice {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub selected: bool,
}

/// Signal levels, 0 (silence) to 1 (full scale).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[ts(export_to = TS_DIR)]
pub struct Levels {
    pub input: f32,
    pub output: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = TS_DIR)]
pub enum CallEndReason {
    LocalHangup,
    RemoteHangup,
    /// A call this agent placed: the customer declined it.
    Declined,
    /// A call this agent placed: nobody picked up.
    NoAnswer,
    /// The platform, Meta or the media failed the call (`CallEnded.message` says how).
    Failed,
}

/// Something went wrong outside any command the UI awaits (a device unplugged mid-call, the
/// keyring refused, media failed). `code` is stable and snake_case; `message` says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export_to = TS_DIR)]
pub struct Notice {
    pub code: String,
    pub message: String,
}

/// Everything the core pushes to every window, in order, on the `ringdesk:event` channel.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export_to = TS_DIR)]
pub enum CoreEvent {
    ConnectionChanged {
        state: ConnectionState,
    },
    PresenceChanged {
        presence: Presence,
    },
    IncomingCall {
        call: IncomingCall,
    },
    /// The call stopped ringing here before this agent answered.
    #[serde(rename_all = "camelCase")]
    CallCancelled {
        call_id: String,
        reason: CancelReason,
    },
    CallStarted {
        call: ActiveCall,
    },
    CallUpdated {
        call: ActiveCall,
    },
    #[serde(rename_all = "camelCase")]
    CallEnded {
        call_id: String,
        reason: CallEndReason,
        /// Why it failed, as a sentence (Meta's or the engine's message); null otherwise.
        message: Option<String>,
    },
    DevicesChanged {
        devices: Vec<AudioDevice>,
    },
    Levels {
        levels: Levels,
    },
    /// Call recordings on this machine waiting for upload (shown until 0).
    RecordingsPending {
        count: u32,
    },
    /// The microphone test in Settings (no call): input level 0..1, every 50 ms until stopped.
    MicTestLevel {
        level: f32,
    },
    Notice {
        notice: Notice,
    },
    /// One of the agent's conversations changed (a message, an assignment): the whole
    /// conversation as `GET /api/conversations` lists it.
    ConversationUpdated {
        conversation: Conversation,
    },
    /// The call permission of one of the agent's conversations changed (matched to its
    /// conversation by business and customer number).
    PermissionChanged {
        permission: PermissionState,
    },
    /// Supervisors and admins: the agents they oversee, live (the whole list each time).
    TeamChanged {
        members: Vec<protocol::TeamMember>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sign_in_request_never_shows_its_token_in_debug_output() {
        let request: SignInRequest = serde_json::from_value(
            json!({ "platformUrl": "https://p.example", "token": "rdk_secret_123" }),
        )
        .unwrap();
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("rdk_secret_123") && shown.contains("p.example"),
            "{shown}"
        );
    }

    #[test]
    fn events_are_tagged_the_way_the_ui_reads_them() {
        let event = CoreEvent::PresenceChanged {
            presence: Presence::Away,
        };
        assert_eq!(
            serde_json::to_value(event).unwrap(),
            json!({ "type": "presence_changed", "presence": "away" })
        );
        let cancelled = CoreEvent::CallCancelled {
            call_id: "wacid.1".into(),
            reason: CancelReason::CallerHungUp,
        };
        assert_eq!(
            serde_json::to_value(cancelled).unwrap(),
            json!({ "type": "call_cancelled", "callId": "wacid.1", "reason": "caller_hung_up" })
        );
    }

    #[test]
    fn busy_is_not_selectable() {
        let chosen: Result<ChosenPresence, _> = serde_json::from_value(json!("busy"));
        assert!(chosen.is_err());
        let away: ChosenPresence = serde_json::from_value(json!("away")).unwrap();
        assert_eq!(Presence::from(away), Presence::Away);
    }

    #[test]
    fn the_ui_history_query_reads_as_the_protocol_call_query() {
        // Exactly what ui/src/backend/types.ts `historyQuery({ status: 'missed' })` sends.
        let sent = json!({ "status": "missed", "direction": null, "agent": null,
                           "from": null, "to": null });
        let query: protocol::rest::CallQuery = serde_json::from_value(sent).unwrap();
        assert_eq!(serde_json::to_value(query.status).unwrap(), json!("missed"));
        assert!(query.direction.is_none() && query.from.is_none() && query.to.is_none());
    }
}
