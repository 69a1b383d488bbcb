//! The number's `calling` settings (`GET`/`POST /{phone_number_id}/settings`, reference §5).
//!
//! The whole `calling` object is kept as JSON so every documented field round-trips; the fields
//! the rules act on (`status`, `callback_permission_status`) are validated on update. A `POST`
//! replaces each top-level key it carries (so `call_hours` is replaced wholesale, as Meta does).

use serde_json::{Map, Value};

use super::refusal::Refusal;

#[derive(Debug, Clone)]
pub struct CallingSettings {
    calling: Map<String, Value>,
}

const ON_OFF: &[&str] = &["ENABLED", "DISABLED"];

impl CallingSettings {
    pub fn new(calling_enabled: bool) -> Self {
        let mut calling = Map::new();
        let status = if calling_enabled {
            "ENABLED"
        } else {
            "DISABLED"
        };
        calling.insert("status".into(), Value::from(status));
        calling.insert("call_icon_visibility".into(), Value::from("DEFAULT"));
        calling.insert("callback_permission_status".into(), Value::from("DISABLED"));
        Self { calling }
    }

    /// The `calling` object as `GET /settings` returns it.
    pub fn calling(&self) -> Value {
        Value::Object(self.calling.clone())
    }

    pub fn calling_enabled(&self) -> bool {
        self.calling.get("status").and_then(Value::as_str) == Some("ENABLED")
    }

    pub fn callback_permission_enabled(&self) -> bool {
        self.calling
            .get("callback_permission_status")
            .and_then(Value::as_str)
            == Some("ENABLED")
    }

    /// Applies a `POST /settings` body's `calling` object; nothing changes if any field is invalid.
    pub fn update(&mut self, calling: &Value) -> Result<(), Refusal> {
        let Some(fields) = calling.as_object() else {
            return Err(invalid("calling must be an object"));
        };
        check_enum(fields, "status", ON_OFF)?;
        check_enum(fields, "callback_permission_status", ON_OFF)?;
        check_enum(
            fields,
            "call_icon_visibility",
            &["DEFAULT", "DISABLE_ALL", "HIDE_IN_CHAT"],
        )?;
        check_enum(fields, "srtp_key_exchange_protocol", &["DTLS", "SDES"])?;
        if let Some(hours) = fields.get("call_hours") {
            check_call_hours(hours)?;
        }
        for (key, value) in fields {
            self.calling.insert(key.clone(), value.clone());
        }
        Ok(())
    }
}

fn invalid(details: impl Into<String>) -> Refusal {
    Refusal::InvalidParameter {
        details: details.into(),
    }
}

fn check_enum(fields: &Map<String, Value>, key: &str, allowed: &[&str]) -> Result<(), Refusal> {
    match fields.get(key) {
        None => Ok(()),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(()),
        Some(other) => Err(invalid(format!(
            "{key} must be one of {}, got {other}",
            allowed.join(", ")
        ))),
    }
}

/// Meta's documented `call_hours` rules: status, timezone and weekly hours required, at most two
/// ranges per day, open before close.
fn check_call_hours(hours: &Value) -> Result<(), Refusal> {
    let Some(fields) = hours.as_object() else {
        return Err(invalid("call_hours must be an object"));
    };
    check_enum(fields, "status", ON_OFF)?;
    if fields.get("status").is_none() {
        return Err(invalid("call_hours.status is required"));
    }
    if !fields.get("timezone_id").is_some_and(Value::is_string) {
        return Err(invalid("call_hours.timezone_id is required"));
    }
    let Some(weekly) = fields
        .get("weekly_operating_hours")
        .and_then(Value::as_array)
    else {
        return Err(invalid("call_hours.weekly_operating_hours is required"));
    };
    if weekly.is_empty() {
        return Err(invalid(
            "call_hours.weekly_operating_hours must not be empty",
        ));
    }
    let mut per_day: std::collections::HashMap<&str, usize> = Default::default();
    for entry in weekly {
        let day = entry
            .get("day_of_week")
            .and_then(Value::as_str)
            .unwrap_or("");
        let open = entry.get("open_time").and_then(Value::as_str).unwrap_or("");
        let close = entry
            .get("close_time")
            .and_then(Value::as_str)
            .unwrap_or("");
        if day.is_empty() || open.is_empty() || close.is_empty() {
            return Err(invalid(
                "each weekly_operating_hours entry needs day_of_week, open_time, close_time",
            ));
        }
        let (open, close) = (open.replace(':', ""), close.replace(':', ""));
        if open >= close {
            return Err(invalid(format!(
                "open_time must be before close_time on {day}"
            )));
        }
        let count = per_day.entry(day).or_default();
        *count += 1;
        if *count > 2 {
            return Err(invalid(format!(
                "at most 2 operating hour entries per day, {day} has more"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_merges_top_level_keys_and_validates_enums() {
        let mut s = CallingSettings::new(true);
        s.update(&json!({"callback_permission_status": "ENABLED"}))
            .unwrap();
        assert!(s.callback_permission_enabled());
        assert!(s.calling_enabled());
        let refused =
            s.update(&json!({"status": "MAYBE", "callback_permission_status": "DISABLED"}));
        assert!(refused.is_err());
        assert!(
            s.callback_permission_enabled(),
            "a refused update changes nothing"
        );
    }

    #[test]
    fn call_hours_rules() {
        let mut s = CallingSettings::new(true);
        let three = json!({"call_hours": {"status": "ENABLED", "timezone_id": "UTC", "weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "0100", "close_time": "0200"},
            {"day_of_week": "MONDAY", "open_time": "0300", "close_time": "0400"},
            {"day_of_week": "MONDAY", "open_time": "0500", "close_time": "0600"}]}});
        assert!(s.update(&three).is_err());
        let backwards = json!({"call_hours": {"status": "ENABLED", "timezone_id": "UTC", "weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "1000", "close_time": "0900"}]}});
        assert!(s.update(&backwards).is_err());
        let ok = json!({"call_hours": {"status": "ENABLED", "timezone_id": "UTC", "weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "0900", "close_time": "1700"}]}});
        s.update(&ok).unwrap();
        assert_eq!(s.calling()["call_hours"]["timezone_id"], "UTC");
    }
}
