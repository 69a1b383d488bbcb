//! Daily figures per agent (`GET /api/v1/kpis`): calls offered (rung), answered and missed,
//! the average time from the customer's call to its answer, the average talk time, and the
//! calls placed and picked up. Pure: the request's days as instants in the caller's timezone;
//! `store::kpis` computes every figure in one aggregated query.
//!
//! A day is the local calendar day in the given timezone (default UTC), so "today" in
//! São Paulo is not cut at midnight UTC, and a day of a daylight-saving change is 23 or 25
//! hours long.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
pub use protocol::rest::AgentDay;

/// At most this many days per request (a quarter).
pub const MAX_DAYS: i64 = 92;

/// One local day: its date and `[start_ms, end_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Midnight of `date` in `tz`, in unix ms (the earliest instant of that local date when
/// midnight itself is skipped by a DST change).
fn local_midnight(tz: Tz, date: NaiveDate) -> Option<i64> {
    let mut time = date.and_hms_opt(0, 0, 0)?;
    // A zone that skips midnight (e.g. America/Santiago in spring) starts the day later.
    for _ in 0..4 {
        if let Some(instant) = tz.from_local_datetime(&time).earliest() {
            return Some(instant.timestamp_millis());
        }
        time += chrono::TimeDelta::minutes(30);
    }
    None
}

/// The local days `from..=to` in `timezone`; the refusal names the parameter.
pub fn days(from: &str, to: &str, timezone: &str) -> Result<Vec<Day>, String> {
    let date = |name: &str, text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| format!("{name}: {text:?} is not a YYYY-MM-DD date"))
    };
    let (first, last) = (date("from", from)?, date("to", to)?);
    let tz: Tz = timezone
        .parse()
        .map_err(|_| format!("timezone: {timezone:?} is not an IANA timezone"))?;
    if last < first {
        return Err(format!("to: {last} is before from ({first})"));
    }
    let count = (last - first).num_days() + 1;
    if count > MAX_DAYS {
        return Err(format!(
            "to: at most {MAX_DAYS} days per request, asked for {count}"
        ));
    }
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        let next = day.succ_opt().ok_or("to: date out of range")?;
        let bad = || format!("timezone: no local midnight on {day} in {timezone}");
        out.push(Day {
            date: day,
            start_ms: local_midnight(tz, day).ok_or_else(bad)?,
            end_ms: local_midnight(tz, next).ok_or_else(bad)?,
        });
        day = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_local_calendar_days_including_dst_changes() {
        let days = days("2026-10-24", "2026-10-25", "Europe/Berlin").unwrap();
        assert_eq!(days.len(), 2);
        let hours = |d: &Day| (d.end_ms - d.start_ms) / 3_600_000;
        assert_eq!(hours(&days[0]), 24);
        assert_eq!(hours(&days[1]), 25, "the autumn change adds an hour");
        assert_eq!(days[0].end_ms, days[1].start_ms);
        let utc = super::days("2026-12-04", "2026-12-04", "UTC").unwrap();
        assert_eq!(utc[0].start_ms, 1_796_342_400_000);
    }

    #[test]
    fn refusals_name_the_parameter() {
        assert!(days("2026-13-01", "2026-12-01", "UTC")
            .unwrap_err()
            .starts_with("from:"));
        assert!(days("2026-12-02", "2026-12-01", "UTC")
            .unwrap_err()
            .starts_with("to:"));
        assert!(days("2026-01-01", "2026-12-31", "UTC")
            .unwrap_err()
            .contains("at most 92"));
        assert!(days("2026-12-01", "2026-12-01", "Mars/Base")
            .unwrap_err()
            .starts_with("timezone:"));
    }
}
