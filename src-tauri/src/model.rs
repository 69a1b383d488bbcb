//! The app-level shapes that cross to the UI, mirrored in ui/src/backend/types.ts
//! (camelCase fields, snake_case enum values and event tags). Wire types (call records,
//! statuses, the agent's chosen presence) come from `protocol`, whose TypeScript is generated.

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

/// What the agent chose (the wire type); `Busy` above is never chosen.
pub use protocol::Presence as ChosenPresence;

impl From<ChosenPresence> for Presence {
    fn from(p: ChosenPresence) -> Self {
        match p {
            ChosenPresence::Available => Presence::Available,
            ChosenPresence::Away => Presence::Away,
            ChosenPresence::Offline => Presence::Offline,
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
