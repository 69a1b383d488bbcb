//! A business number's routing settings from the TOML file, turned into the `routing` module's
//! [`NumberRouting`] when the settings load, so a bad timezone or overlapping ranges stop the
//! server at start with the reason, not at the first call.
//!
//! ```toml
//! [[numbers]]
//! phone_number_id = "100000000000001"
//! display_phone_number = "15550109999"
//! calling_enabled = true            # default true
//! callback_permission = false       # a connected customer call grants call permission
//! call_operators = ["alice", "bob"] # agents (by name) who take its calls; absent: everyone
//! round_robin_excluded = ["bob"]    # never picked by round robin (still as conversation
//!                                   # agent or contact owner)
//! [numbers.call_hours]              # absent: open around the clock
//! timezone = "Europe/Berlin"
//! holidays = ["2026-12-25"]
//! [numbers.call_hours.weekly]       # a day not listed is closed; at most two ranges a day
//! mon = [["09:00", "12:30"], ["13:30", "17:00"]]
//! sat = [["10:00", "14:00"]]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, TimeDelta, Weekday};
use chrono_tz::Tz;
use protocol::PhoneNumber;
use serde::{Deserialize, Serialize};

use super::{AutoResponder, NumberSettings, Timers};
use crate::routing::{AutoReplies, CallHours, NumberRouting, RingTiming, TimeRange, WeeklyHours};

/// `[numbers.call_hours]` as written in the file (and in the admin API's JSON).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CallHoursSettings {
    /// IANA name, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Weekday (`mon` … `sun`) → up to two `[open, close]` ranges, `HH:MM`.
    #[serde(default)]
    pub weekly: BTreeMap<String, Vec<[String; 2]>>,
    /// Local dates (`YYYY-MM-DD`) closed all day.
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// The routing settings of `number`; `Err` says what in the file is wrong.
pub fn number_routing(
    number: &NumberSettings,
    timers: &Timers,
    texts: &AutoResponder,
) -> Result<NumberRouting, String> {
    let phone = PhoneNumber::new(number.display_phone_number.clone())
        .map_err(|error| format!("display_phone_number: {error}"))?;
    let call_hours = number.call_hours.as_ref().map(call_hours).transpose()?;
    let own = number.auto_responder.clone().unwrap_or_default();
    // The number's own text if it has one ("" sends nothing), else the platform's.
    let text = |own: Option<String>, platform: &str| match own {
        Some(text) if text.is_empty() => None,
        Some(text) => Some(text),
        None => Some(platform.to_owned()),
    };
    let mut timers = *timers;
    if let Some(secs) = number.ring_timeout_secs {
        timers.ring_timeout = std::time::Duration::from_secs(u64::from(secs));
    }
    Ok(NumberRouting {
        number: phone,
        calling_enabled: number.calling_enabled.unwrap_or(true),
        call_hours,
        auto_replies: AutoReplies {
            outside_office_hours: text(own.outside_office_hours, &texts.outside_office_hours),
            all_agents_offline: text(own.all_agents_offline, &texts.all_agents_offline),
            all_agents_busy: text(own.all_agents_busy, &texts.all_agents_busy),
        },
        timing: ring_timing(&timers).map_err(|reason| match number.ring_timeout_secs {
            Some(_) => format!("ring_timeout_secs: {reason}"),
            None => reason,
        })?,
    })
}

/// Ring timing from the timers; the shortest ring worth starting is 10 s, or the ring timeout
/// if that is shorter (tests use sub-second timeouts).
pub fn ring_timing(timers: &Timers) -> Result<RingTiming, String> {
    let delta = |duration: std::time::Duration| {
        TimeDelta::from_std(duration).map_err(|error| format!("timer out of range: {error}"))
    };
    let ring_timeout = delta(timers.ring_timeout)?;
    let accept_window = delta(timers.accept_window)?;
    let min_ring = TimeDelta::seconds(RingTiming::DEFAULT_MIN_RING_SECS)
        .min(ring_timeout)
        .min(accept_window);
    RingTiming::new(ring_timeout, accept_window, min_ring).map_err(|error| error.to_string())
}

fn call_hours(settings: &CallHoursSettings) -> Result<CallHours, String> {
    let timezone: Tz = settings.timezone.parse().map_err(|_| {
        format!(
            "call_hours.timezone {:?} is not an IANA timezone",
            settings.timezone
        )
    })?;
    let mut entries = Vec::new();
    for (day, ranges) in &settings.weekly {
        let weekday: Weekday = day
            .parse()
            .map_err(|_| format!("call_hours.weekly: {day:?} is not a weekday (mon … sun)"))?;
        for [open, close] in ranges {
            let range = TimeRange::parse(open, close)
                .map_err(|error| format!("call_hours.weekly.{day}: {error}"))?;
            entries.push((weekday, range));
        }
    }
    let weekly =
        WeeklyHours::new(entries).map_err(|error| format!("call_hours.weekly: {error}"))?;
    let holidays = settings
        .holidays
        .iter()
        .map(|date| {
            NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| format!("call_hours.holidays: {date:?} is not a YYYY-MM-DD date"))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(CallHours {
        timezone,
        weekly,
        holidays,
    })
}
