//! The number's `calling` settings (`GET`/`POST /{phone_number_id}/settings`, reference §5).
//!
//! The whole `calling` object is kept as JSON so every documented field round-trips; the fields
//! the rules act on (`status`, `callback_permission_status`) are validated on update. A `POST`
//! replaces each top-level key it carries (so `call_hours` is replaced wholesale, as Meta does).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use whatsapp::graph::settings::parse_hhmm;

use super::refusal::Refusal;
use crate::clock::SimTime;

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

    /// Applies a `POST /settings` body's `calling` object at `now`; nothing changes if any
    /// field is invalid.
    pub fn update(&mut self, calling: &Value, now: SimTime) -> Result<(), Refusal> {
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
            check_call_hours(hours, now)?;
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

/// Meta's documented `call_hours` rules (reference §5.1): status, a known timezone and a
/// non-empty week required; times `HHMM`; at most two ranges a day, open before close, not
/// overlapping; at most 20 holidays, each a `YYYY-MM-DD` date not in the past (in the number's
/// timezone) with valid times.
fn check_call_hours(hours: &Value, now: SimTime) -> Result<(), Refusal> {
    let Some(fields) = hours.as_object() else {
        return Err(invalid("call_hours must be an object"));
    };
    check_enum(fields, "status", ON_OFF)?;
    if fields.get("status").is_none() {
        return Err(invalid("call_hours.status is required"));
    }
    let Some(timezone) = fields.get("timezone_id").and_then(Value::as_str) else {
        return Err(invalid("call_hours.timezone_id is required"));
    };
    let timezone: Tz = timezone.parse().map_err(|_| {
        invalid(format!(
            "call_hours.timezone_id {timezone:?} is not a valid timezone"
        ))
    })?;
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
    let mut per_day: HashMap<&str, Vec<(u16, u16)>> = HashMap::new();
    for entry in weekly {
        let text = |name: &str| entry.get(name).and_then(Value::as_str).unwrap_or("");
        let (day, open, close) = (text("day_of_week"), text("open_time"), text("close_time"));
        if day.is_empty() || open.is_empty() || close.is_empty() {
            return Err(invalid(
                "each weekly_operating_hours entry needs day_of_week, open_time, close_time",
            ));
        }
        if !DAYS.contains(&day) {
            return Err(invalid(format!(
                "day_of_week {day:?} is not one of {}",
                DAYS.join(", ")
            )));
        }
        let (open, close) = (minutes(open)?, minutes(close)?);
        if open >= close {
            return Err(invalid(format!(
                "open_time must be before close_time on {day}"
            )));
        }
        let ranges = per_day.entry(day).or_default();
        if ranges.len() == 2 {
            return Err(invalid(format!(
                "at most 2 operating hour entries per day, {day} has more"
            )));
        }
        if ranges.iter().any(|&(o, c)| open < c && o < close) {
            return Err(invalid(format!("operating hours on {day} overlap")));
        }
        ranges.push((open, close));
    }
    let holidays = match fields.get("holiday_schedule") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(holidays)) => holidays,
        Some(_) => return Err(invalid("call_hours.holiday_schedule must be an array")),
    };
    if holidays.len() > MAX_HOLIDAYS {
        return Err(invalid(format!(
            "at most {MAX_HOLIDAYS} holiday_schedule entries, got {}",
            holidays.len()
        )));
    }
    let millis = i64::try_from(now.as_millis()).unwrap_or(i64::MAX);
    let today = DateTime::from_timestamp_millis(millis)
        .map(|now| now.with_timezone(&timezone).date_naive())
        .unwrap_or(NaiveDate::MIN);
    for holiday in holidays {
        let text = |name: &str, alias: &str| {
            holiday
                .get(name)
                .or_else(|| holiday.get(alias))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let date = text("date", "date");
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| invalid(format!("holiday date {date:?} is not YYYY-MM-DD")))?;
        if date < today {
            return Err(invalid(format!("holiday date {date} is in the past")));
        }
        let (start, end) = (
            minutes(text("start_time", "open_time"))?,
            minutes(text("end_time", "close_time"))?,
        );
        if start >= end {
            return Err(invalid(format!(
                "start_time must be before end_time on holiday {date}"
            )));
        }
    }
    Ok(())
}

const DAYS: [&str; 7] = [
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

/// Meta allows up to 20 holiday overrides.
const MAX_HOLIDAYS: usize = 20;

fn minutes(time: &str) -> Result<u16, Refusal> {
    parse_hhmm(time).map_err(|error| invalid(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// 2026-12-04T12:00:00Z.
    const NOW: SimTime = SimTime::from_secs(1_796_385_600);

    fn hours(extra: Value) -> Value {
        let mut hours = json!({"status": "ENABLED", "timezone_id": "UTC", "weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "0900", "close_time": "1200"}]});
        for (key, value) in extra.as_object().unwrap() {
            hours[key] = value.clone();
        }
        json!({ "call_hours": hours })
    }

    #[test]
    fn metas_documented_call_hours_errors_are_refused_with_the_reason() {
        let mut s = CallingSettings::new(true);
        let refused = |s: &mut CallingSettings, extra: Value| {
            s.update(&hours(extra), NOW).unwrap_err().to_string()
        };
        assert!(refused(&mut s, json!({"timezone_id": "Mars/Olympus"})).contains("timezone"));
        let overlap = json!({"weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "0900", "close_time": "1200"},
            {"day_of_week": "MONDAY", "open_time": "1130", "close_time": "1300"}]});
        assert!(refused(&mut s, overlap).contains("overlap"));
        let bad_day = json!({"weekly_operating_hours": [
            {"day_of_week": "MONTAG", "open_time": "0900", "close_time": "1200"}]});
        assert!(refused(&mut s, bad_day).contains("MONTAG"));
        let past = json!({"holiday_schedule": [
            {"date": "2026-12-03", "start_time": "0000", "end_time": "2359"}]});
        assert!(refused(&mut s, past).contains("in the past"));
        let bad_date = json!({"holiday_schedule": [
            {"date": "25.12.2026", "start_time": "0000", "end_time": "2359"}]});
        assert!(refused(&mut s, bad_date).contains("YYYY-MM-DD"));
        let bad_time = json!({"weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "0900", "close_time": "2400"}]});
        assert!(refused(&mut s, bad_time).contains("2400"));
        assert_eq!(
            s.calling(),
            CallingSettings::new(true).calling(),
            "nothing changed"
        );
        let today = json!({"holiday_schedule": [
            {"date": "2026-12-04", "start_time": "0000", "end_time": "2359"}]});
        s.update(&hours(today), NOW).unwrap();
    }

    #[test]
    fn update_merges_top_level_keys_and_validates_enums() {
        let mut s = CallingSettings::new(true);
        s.update(&json!({"callback_permission_status": "ENABLED"}), NOW)
            .unwrap();
        assert!(s.callback_permission_enabled());
        assert!(s.calling_enabled());
        let refused = s.update(
            &json!({"status": "MAYBE", "callback_permission_status": "DISABLED"}),
            NOW,
        );
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
        assert!(s.update(&three, NOW).is_err());
        let backwards = json!({"call_hours": {"status": "ENABLED", "timezone_id": "UTC", "weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "1000", "close_time": "0900"}]}});
        assert!(s.update(&backwards, NOW).is_err());
        let ok = json!({"call_hours": {"status": "ENABLED", "timezone_id": "UTC", "weekly_operating_hours": [
            {"day_of_week": "MONDAY", "open_time": "0900", "close_time": "1700"}]}});
        s.update(&ok, NOW).unwrap();
        assert_eq!(s.calling()["call_hours"]["timezone_id"], "UTC");
    }
}
