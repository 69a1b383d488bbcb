//! The shapes that cross to the UI, mirrored in ui/src/backend/types.ts
//! (camelCase fields, snake_case enum values and event tags).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Available,
    Away,
    Offline,
    /// Set by the app during calls; agents cannot choose it.
    Busy,
}

/// The presences an agent may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelectablePresence {
    Available,
    Away,
    Offline,
}

impl From<SelectablePresence> for Presence {
    fn from(p: SelectablePresence) -> Self {
        match p {
            SelectablePresence::Available => Presence::Available,
            SelectablePresence::Away => Presence::Away,
            SelectablePresence::Offline => Presence::Offline,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    Disconnected,
    Connecting,
    Connected,
    Reconnecting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub platform_url: String,
    pub agent_name: String,
    pub presence: Presence,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInRequest {
    pub platform_url: String,
    pub token: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Input,
    Output,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudioDevice {
    pub id: String,
    pub name: String,
    pub kind: DeviceKind,
    pub selected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    Ringing,
    OnCall,
    Completed,
    Rejected,
    Missed,
    OutsideOfficeHours,
    AllAgentsBusy,
    AllAgentsOffline,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    Inbound,
    Outbound,
}

/// One row of the platform's GET /api/calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRecord {
    pub call_id: String,
    pub direction: CallDirection,
    pub status: CallStatus,
    pub customer_name: Option<String>,
    pub customer_number: String,
    pub business_number: String,
    pub offered_at_ms: i64,
    pub duration_secs: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    pub status: Option<CallStatus>,
}

/// What the core pushes to every window on the `ringdesk:event` channel.
/// Call, device and level events (`incoming_call`, `levels`, …) are added with the engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CoreEvent {
    ConnectionChanged { state: ConnectionState },
    PresenceChanged { presence: Presence },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_tagged_the_way_the_ui_reads_them() {
        let event = CoreEvent::PresenceChanged {
            presence: Presence::Away,
        };
        assert_eq!(
            serde_json::to_value(event).unwrap(),
            json!({ "type": "presence_changed", "presence": "away" })
        );
    }

    #[test]
    fn busy_is_not_selectable() {
        let chosen: Result<SelectablePresence, _> = serde_json::from_value(json!("busy"));
        assert!(chosen.is_err());
    }

    #[test]
    fn history_query_reads_the_ui_filter() {
        let query: HistoryQuery =
            serde_json::from_value(json!({ "status": "all_agents_busy" })).unwrap();
        assert_eq!(query.status, Some(CallStatus::AllAgentsBusy));
        let all: HistoryQuery = serde_json::from_value(json!({})).unwrap();
        assert_eq!(all.status, None);
    }
}
