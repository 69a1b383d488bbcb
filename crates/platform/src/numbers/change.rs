//! `PATCH /api/v1/numbers/{id}`: which fields a change names, and the number it makes.
//!
//! A field left out stays as it is; a nullable field given as `null` goes back to its default
//! (`call_hours: null` is open around the clock, `call_operators: null` is every agent). A
//! number's identity (`phone_number_id`, `display_phone_number`) is not changed here: an unknown
//! or identity field is refused by name.

use serde::{Deserialize, Deserializer};

use crate::config::{
    number_routing, AutoResponder, CallHoursSettings, NumberSettings, NumberTexts, Timers,
};

/// Why a change was refused; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("{0}")]
    Invalid(String),
    #[error("{field}: no agent named {name:?}")]
    UnknownAgent { field: &'static str, name: String },
}

/// A present field, even `null`, is `Some`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// The body of a number change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberChange {
    #[serde(default, deserialize_with = "present")]
    pub display_name: Option<Option<String>>,
    #[serde(default)]
    pub calling_enabled: Option<bool>,
    #[serde(default)]
    pub call_icon_visible: Option<bool>,
    #[serde(default)]
    pub callback_permission: Option<bool>,
    #[serde(default)]
    pub recording: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub recording_retention_days: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub call_hours: Option<Option<CallHoursSettings>>,
    #[serde(default, deserialize_with = "present")]
    pub call_operators: Option<Option<Vec<String>>>,
    #[serde(default)]
    pub round_robin_excluded: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub ring_timeout_secs: Option<Option<u32>>,
    #[serde(default, deserialize_with = "present")]
    pub auto_responder: Option<Option<NumberTexts>>,
}

impl NumberChange {
    /// `number` with this change made, checked as the settings file is checked at start
    /// (timezone, weekdays, times, overlaps, at most two ranges a day, ring timing), and every
    /// agent name it names known (`agent_names`).
    pub fn apply(
        &self,
        number: &NumberSettings,
        timers: &Timers,
        texts: &AutoResponder,
        agent_names: &[String],
    ) -> Result<NumberSettings, ChangeError> {
        let mut changed = number.clone();
        let this = self.clone();
        if let Some(value) = this.display_name {
            changed.display_name = value;
        }
        if let Some(value) = this.calling_enabled {
            changed.calling_enabled = Some(value);
        }
        if let Some(value) = this.call_icon_visible {
            changed.call_icon_visible = Some(value);
        }
        if let Some(value) = this.callback_permission {
            changed.callback_permission = Some(value);
        }
        if let Some(value) = this.recording {
            changed.recording = Some(value);
        }
        if let Some(value) = this.recording_retention_days {
            if value == Some(0) {
                return Err(ChangeError::Invalid(
                    "recording_retention_days: 0 would remove every recording at once; give \
                     at least 1 day, or null to keep them until removed"
                        .into(),
                ));
            }
            changed.recording_retention_days = value;
        }
        if let Some(value) = this.call_hours {
            changed.call_hours = value;
        }
        if let Some(value) = this.call_operators {
            changed.call_operators = value;
        }
        if let Some(value) = this.round_robin_excluded {
            changed.round_robin_excluded = value;
        }
        if let Some(value) = this.ring_timeout_secs {
            changed.ring_timeout_secs = value;
        }
        if let Some(value) = this.auto_responder {
            changed.auto_responder = value;
        }
        let named = changed
            .call_operators
            .iter()
            .flatten()
            .map(|name| ("call_operators", name))
            .chain(
                changed
                    .round_robin_excluded
                    .iter()
                    .map(|name| ("round_robin_excluded", name)),
            );
        for (field, name) in named {
            if !agent_names.contains(name) {
                return Err(ChangeError::UnknownAgent {
                    field,
                    name: name.clone(),
                });
            }
        }
        number_routing(&changed, timers, texts).map_err(ChangeError::Invalid)?;
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number() -> NumberSettings {
        serde_json::from_value(json!({
            "phone_number_id": "1", "display_phone_number": "15550001111",
            "call_operators": ["alice"], "recording_retention_days": 30
        }))
        .unwrap()
    }

    fn apply(body: serde_json::Value) -> Result<NumberSettings, ChangeError> {
        let change: NumberChange = serde_json::from_value(body)
            .map_err(|error| ChangeError::Invalid(error.to_string()))?;
        let names = vec!["alice".to_owned(), "bob".to_owned()];
        change.apply(
            &number(),
            &Timers::default(),
            &AutoResponder::default(),
            &names,
        )
    }

    #[test]
    fn left_out_stays_and_null_goes_back_to_the_default() {
        let changed = apply(json!({"recording": true, "call_operators": null})).unwrap();
        assert_eq!(changed.recording, Some(true));
        assert_eq!(changed.call_operators, None, "null: every agent");
        assert_eq!(changed.recording_retention_days, Some(30), "left out: kept");
        assert_eq!(changed.display_phone_number, "15550001111");
    }

    #[test]
    fn refusals_name_the_field() {
        let refused = |body| apply(body).unwrap_err().to_string();
        assert!(refused(json!({"display_phone_number": "1"})).contains("display_phone_number"));
        assert!(refused(json!({"round_robin_excluded": ["carol"]}))
            .contains("round_robin_excluded: no agent named \"carol\""));
        assert!(refused(json!({"call_hours": {"timezone": "Mars/Olympus"}}))
            .contains("not an IANA timezone"));
        let three = json!({"call_hours": {"timezone": "UTC", "weekly": {"mon": [
            ["08:00", "09:00"], ["10:00", "11:00"], ["12:00", "13:00"]]}}});
        assert!(refused(three).contains("at most 2"));
        assert!(refused(json!({"ring_timeout_secs": 0})).contains("ring_timeout_secs"));
        assert!(refused(json!({"recording_retention_days": 0})).contains("at least 1 day"));
    }
}
