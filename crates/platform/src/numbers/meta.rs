//! A number's settings as Meta's `calling` object (`POST /<PHONE_NUMBER_ID>/settings`,
//! reference §5.1): calling on/off, call-button visibility, call hours with holidays, and the
//! callback permission prompt.
//!
//! Meta replaces `call_hours` wholesale and requires `timezone_id` and a non-empty week even
//! when call hours are off, so a number open around the clock is sent as `DISABLED` with a full
//! UTC week. Meta's times are `"HHMM"` up to `2359`: a range closing at our `24:00` is sent as
//! `2359`. A holiday is closed all day (`0000`–`2359`); holidays already past in the number's
//! timezone stay in our settings but are not sent (Meta refuses a past date).

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use whatsapp::graph::settings::{
    CallHours, CallIconVisibility, CallingSettings, DayOfWeek, FeatureStatus, Holiday,
    OperatingHours,
};

use crate::config::{CallHoursSettings, NumberSettings};
use crate::routing::WEEK;

/// What Meta should hold for `number` at `now`. Two numbers' settings differ for Meta exactly
/// when these differ, so a change of, say, recording alone sends nothing.
pub fn calling_settings(number: &NumberSettings, now: DateTime<Utc>) -> CallingSettings {
    CallingSettings {
        status: Some(on_off(number.calling_enabled.unwrap_or(true))),
        call_icon_visibility: Some(if number.call_icon_visible.unwrap_or(true) {
            CallIconVisibility::Default
        } else {
            CallIconVisibility::DisableAll
        }),
        call_hours: Some(match &number.call_hours {
            Some(hours) => call_hours(hours, now),
            None => around_the_clock(),
        }),
        callback_permission_status: Some(on_off(number.callback_permission == Some(true))),
        ..CallingSettings::default()
    }
}

fn on_off(on: bool) -> FeatureStatus {
    if on {
        FeatureStatus::Enabled
    } else {
        FeatureStatus::Disabled
    }
}

fn day_of_week(day: Weekday) -> DayOfWeek {
    match day {
        Weekday::Mon => DayOfWeek::Monday,
        Weekday::Tue => DayOfWeek::Tuesday,
        Weekday::Wed => DayOfWeek::Wednesday,
        Weekday::Thu => DayOfWeek::Thursday,
        Weekday::Fri => DayOfWeek::Friday,
        Weekday::Sat => DayOfWeek::Saturday,
        Weekday::Sun => DayOfWeek::Sunday,
    }
}

/// `"09:00"` or `"0900"` as Meta's `"0900"`; `24:00` as `2359`.
fn hhmm(time: &str) -> String {
    let digits: String = time.chars().filter(|c| *c != ':').collect();
    if digits == "2400" {
        "2359".to_owned()
    } else {
        digits
    }
}

fn around_the_clock() -> CallHours {
    CallHours {
        status: FeatureStatus::Disabled,
        timezone_id: Some("UTC".to_owned()),
        weekly_operating_hours: WEEK
            .into_iter()
            .map(|day| OperatingHours {
                day_of_week: day_of_week(day),
                open_time: "0000".to_owned(),
                close_time: "2359".to_owned(),
            })
            .collect(),
        holiday_schedule: None,
    }
}

/// Call hours that passed `config::number_routing` (weekday names parse; times are HHMM or
/// HH:MM). Ranges go out by weekday, then opening time.
fn call_hours(hours: &CallHoursSettings, now: DateTime<Utc>) -> CallHours {
    let today = hours
        .timezone
        .parse::<Tz>()
        .map(|timezone| now.with_timezone(&timezone).date_naive())
        .unwrap_or_else(|_| now.date_naive());
    let mut ranges: Vec<(Weekday, String, String)> = Vec::new();
    for (day, day_ranges) in &hours.weekly {
        let Ok(weekday) = day.parse::<Weekday>() else {
            continue;
        };
        for [open, close] in day_ranges {
            ranges.push((weekday, hhmm(open), hhmm(close)));
        }
    }
    ranges.sort_by(|a, b| {
        (a.0.num_days_from_monday(), &a.1).cmp(&(b.0.num_days_from_monday(), &b.1))
    });
    let holidays: Vec<Holiday> = hours
        .holidays
        .iter()
        .filter(|date| {
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_or(true, |date| date >= today)
        })
        .map(|date| Holiday {
            date: date.clone(),
            start_time: "0000".to_owned(),
            end_time: "2359".to_owned(),
        })
        .collect();
    CallHours {
        status: FeatureStatus::Enabled,
        timezone_id: Some(hours.timezone.clone()),
        weekly_operating_hours: ranges
            .into_iter()
            .map(|(day, open_time, close_time)| OperatingHours {
                day_of_week: day_of_week(day),
                open_time,
                close_time,
            })
            .collect(),
        holiday_schedule: (!holidays.is_empty()).then_some(holidays),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-12-04T12:00:00Z".parse().unwrap()
    }

    fn number() -> NumberSettings {
        serde_json::from_value(json!({
            "phone_number_id": "1", "display_phone_number": "15550001111"
        }))
        .unwrap()
    }

    #[test]
    fn open_around_the_clock_is_disabled_call_hours_with_a_full_week() {
        let sent = serde_json::to_value(calling_settings(&number(), now())).unwrap();
        assert_eq!(sent["status"], "ENABLED");
        assert_eq!(sent["call_icon_visibility"], "DEFAULT");
        assert_eq!(sent["callback_permission_status"], "DISABLED");
        assert_eq!(sent["call_hours"]["status"], "DISABLED");
        assert_eq!(sent["call_hours"]["timezone_id"], "UTC");
        assert_eq!(
            sent["call_hours"]["weekly_operating_hours"]
                .as_array()
                .unwrap()
                .len(),
            7
        );
        assert!(sent["call_hours"].get("holiday_schedule").is_none());
    }

    #[test]
    fn call_hours_go_out_in_metas_shape_in_week_order_without_past_holidays() {
        let mut number = number();
        number.calling_enabled = Some(false);
        number.call_icon_visible = Some(false);
        number.callback_permission = Some(true);
        number.call_hours = Some(CallHoursSettings {
            timezone: "Europe/Berlin".into(),
            weekly: [
                (
                    "sat".to_owned(),
                    vec![["10:00".to_owned(), "24:00".to_owned()]],
                ),
                (
                    "mon".to_owned(),
                    vec![
                        ["13:30".to_owned(), "17:00".to_owned()],
                        ["0900".to_owned(), "1230".to_owned()],
                    ],
                ),
            ]
            .into_iter()
            .collect(),
            holidays: vec!["2026-12-03".into(), "2026-12-25".into()],
        });
        let sent = serde_json::to_value(calling_settings(&number, now())).unwrap();
        assert_eq!(
            sent,
            json!({
                "status": "DISABLED",
                "call_icon_visibility": "DISABLE_ALL",
                "callback_permission_status": "ENABLED",
                "call_hours": {
                    "status": "ENABLED",
                    "timezone_id": "Europe/Berlin",
                    "weekly_operating_hours": [
                        {"day_of_week": "MONDAY", "open_time": "0900", "close_time": "1230"},
                        {"day_of_week": "MONDAY", "open_time": "1330", "close_time": "1700"},
                        {"day_of_week": "SATURDAY", "open_time": "1000", "close_time": "2359"}
                    ],
                    "holiday_schedule": [
                        {"date": "2026-12-25", "start_time": "0000", "end_time": "2359"}
                    ]
                }
            })
        );
    }

    #[test]
    fn what_meta_does_not_hold_does_not_change_what_is_sent() {
        let mut changed = number();
        changed.recording = Some(true);
        changed.round_robin_excluded = vec!["bob".into()];
        changed.ring_timeout_secs = Some(30);
        assert_eq!(
            calling_settings(&changed, now()),
            calling_settings(&number(), now())
        );
    }
}
