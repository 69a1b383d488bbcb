//! A number's call hours: its timezone, up to two opening ranges per weekday, and holidays.
//!
//! Everything is evaluated on the number's local wall clock, so a range "09:00–17:00" means
//! nine to five local time on both sides of a daylight-saving change. A local time skipped by
//! the spring change simply never occurs; one repeated by the autumn change is open (or
//! closed) both times.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Timelike, Weekday};
use chrono_tz::Tz;
use protocol::Timestamp;

/// Meta allows at most two opening ranges per weekday.
pub const MAX_RANGES_PER_DAY: usize = 2;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// Why call hours were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallHoursError {
    #[error("time {0:?} is not HHMM or HH:MM between 00:00 and 24:00")]
    BadTime(String),
    #[error("a range must open before it closes, got {open}–{close}")]
    EmptyRange { open: String, close: String },
    #[error("{day} has {count} ranges, at most {MAX_RANGES_PER_DAY} are allowed")]
    TooManyRanges { day: Weekday, count: usize },
    #[error("{day} has overlapping ranges {first} and {second}")]
    Overlap {
        day: Weekday,
        first: TimeRange,
        second: TimeRange,
    },
}

/// A half-open local time range `[open, close)`, in minutes since midnight; `close` may be
/// 24:00 (end of day). An overnight opening is written as two ranges on consecutive days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeRange {
    open: u16,
    close: u16,
}

impl TimeRange {
    /// Parses Meta's "HHMM" (also "HH:MM", which an older Meta sample shows).
    pub fn parse(open: &str, close: &str) -> Result<Self, CallHoursError> {
        let (open_min, close_min) = (parse_minutes(open)?, parse_minutes(close)?);
        if open_min >= close_min {
            return Err(CallHoursError::EmptyRange {
                open: open.to_owned(),
                close: close.to_owned(),
            });
        }
        Ok(Self {
            open: open_min,
            close: close_min,
        })
    }

    fn contains(self, minute_of_day: u16) -> bool {
        (self.open..self.close).contains(&minute_of_day)
    }

    fn overlaps(self, other: TimeRange) -> bool {
        self.open < other.close && other.open < self.close
    }
}

impl std::fmt::Display for TimeRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}–{}", hm(self.open), hm(self.close))
    }
}

fn parse_minutes(text: &str) -> Result<u16, CallHoursError> {
    let bad = || CallHoursError::BadTime(text.to_owned());
    let digits: String = match text.split_once(':') {
        Some((h, m)) if h.len() == 2 && m.len() == 2 => format!("{h}{m}"),
        Some(_) => return Err(bad()),
        None => text.to_owned(),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let hours: u16 = digits[..2].parse().map_err(|_| bad())?;
    let minutes: u16 = digits[2..].parse().map_err(|_| bad())?;
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(total)
}

/// Opening ranges per weekday (Monday first). A day without ranges is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    days: [Vec<TimeRange>; 7],
}

impl WeeklyHours {
    /// Builds the week from `(day, range)` entries, refusing more than two ranges on a day or
    /// overlapping ranges.
    pub fn new(
        entries: impl IntoIterator<Item = (Weekday, TimeRange)>,
    ) -> Result<Self, CallHoursError> {
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        for (day, range) in entries {
            days[day.num_days_from_monday() as usize].push(range);
        }
        for (index, ranges) in days.iter_mut().enumerate() {
            let day = weekday_from_monday(index);
            if ranges.len() > MAX_RANGES_PER_DAY {
                return Err(CallHoursError::TooManyRanges {
                    day,
                    count: ranges.len(),
                });
            }
            ranges.sort();
            if let [first, second] = ranges.as_slice() {
                if first.overlaps(*second) {
                    return Err(CallHoursError::Overlap {
                        day,
                        first: *first,
                        second: *second,
                    });
                }
            }
        }
        Ok(Self { days })
    }

    /// The same ranges on every day of the week.
    pub fn every_day(ranges: &[TimeRange]) -> Result<Self, CallHoursError> {
        let all_days = (0..7).map(weekday_from_monday);
        Self::new(all_days.flat_map(|day| ranges.iter().map(move |range| (day, *range))))
    }

    fn is_open(&self, day: Weekday, minute_of_day: u16) -> bool {
        self.days[day.num_days_from_monday() as usize]
            .iter()
            .any(|range| range.contains(minute_of_day))
    }
}

/// The days of the week, Monday first.
pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn weekday_from_monday(index: usize) -> Weekday {
    WEEK[index % 7]
}

/// When a number takes calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallHours {
    pub timezone: Tz,
    pub weekly: WeeklyHours,
    /// Local dates on which the number is closed all day.
    pub holidays: BTreeSet<NaiveDate>,
}

impl CallHours {
    /// True when `now` falls in an opening range on the number's local clock and the local
    /// date is not a holiday.
    pub fn is_open(&self, now: Timestamp) -> bool {
        let local = now.with_timezone(&self.timezone);
        if self.holidays.contains(&local.date_naive()) {
            return false;
        }
        // hour() < 24 and minute() < 60, so this fits in u16.
        let minute_of_day = (local.hour() * 60 + local.minute()) as u16;
        self.weekly.is_open(local.weekday(), minute_of_day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn range(open: &str, close: &str) -> TimeRange {
        TimeRange::parse(open, close).unwrap()
    }

    fn berlin(ranges: &[TimeRange]) -> CallHours {
        CallHours {
            timezone: chrono_tz::Europe::Berlin,
            weekly: WeeklyHours::every_day(ranges).unwrap(),
            holidays: BTreeSet::new(),
        }
    }

    #[test]
    fn times_parse_in_both_meta_formats_and_bad_ones_are_refused() {
        assert_eq!(range("0900", "1700"), range("09:00", "17:00"));
        assert!(TimeRange::parse("0000", "2400").is_ok());
        for bad in ["900", "2401", "0960", "ab00", "9:00", "09:0", ""] {
            assert_eq!(
                TimeRange::parse(bad, "2300"),
                Err(CallHoursError::BadTime(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(matches!(
            TimeRange::parse("1700", "0900"),
            Err(CallHoursError::EmptyRange { .. })
        ));
    }

    #[test]
    fn a_day_takes_at_most_two_non_overlapping_ranges() {
        let three = [
            range("0800", "0900"),
            range("1000", "1100"),
            range("1200", "1300"),
        ]
        .map(|r| (Weekday::Tue, r));
        assert_eq!(
            WeeklyHours::new(three),
            Err(CallHoursError::TooManyRanges {
                day: Weekday::Tue,
                count: 3
            })
        );
        let overlapping = [range("0800", "1200"), range("1100", "1300")].map(|r| (Weekday::Fri, r));
        assert!(matches!(
            WeeklyHours::new(overlapping),
            Err(CallHoursError::Overlap {
                day: Weekday::Fri,
                ..
            })
        ));
        let touching = [range("0800", "1200"), range("1200", "1300")].map(|r| (Weekday::Fri, r));
        assert!(WeeklyHours::new(touching).is_ok());
    }

    #[test]
    fn two_ranges_leave_a_lunch_break_and_close_is_exclusive() {
        let hours = berlin(&[range("0900", "1200"), range("1300", "1700")]);
        // 2026-01-14 is a Wednesday; Berlin is UTC+1 in winter.
        assert!(hours.is_open(utc(2026, 1, 14, 8, 0))); // 09:00 local
        assert!(!hours.is_open(utc(2026, 1, 14, 11, 0))); // 12:00 local
        assert!(!hours.is_open(utc(2026, 1, 14, 11, 59))); // 12:59 local
        assert!(hours.is_open(utc(2026, 1, 14, 12, 0))); // 13:00 local
        assert!(!hours.is_open(utc(2026, 1, 14, 16, 0))); // 17:00 local
    }

    #[test]
    fn weekdays_are_local_weekdays() {
        let weekly = WeeklyHours::new([(Weekday::Mon, range("0000", "0100"))]).unwrap();
        let hours = CallHours {
            timezone: chrono_tz::Asia::Tokyo,
            weekly,
            holidays: BTreeSet::new(),
        };
        // Sunday 2026-01-18 15:30 UTC is Monday 00:30 in Tokyo.
        assert!(hours.is_open(utc(2026, 1, 18, 15, 30)));
        // Monday 00:30 UTC is Monday 09:30 in Tokyo: closed.
        assert!(!hours.is_open(utc(2026, 1, 19, 0, 30)));
    }

    #[test]
    fn opening_follows_the_local_clock_across_the_spring_dst_change() {
        let hours = berlin(&[range("0900", "1700")]);
        // Friday before the change (CET, UTC+1): 07:30 UTC is 08:30 local, closed.
        assert!(!hours.is_open(utc(2026, 3, 27, 7, 30)));
        // Monday after it (CEST, UTC+2): the same UTC time is 09:30 local, open.
        assert!(hours.is_open(utc(2026, 3, 30, 7, 30)));
        // And 15:30 UTC is 17:30 local: already closed.
        assert!(!hours.is_open(utc(2026, 3, 30, 15, 30)));
    }

    #[test]
    fn a_skipped_and_a_repeated_local_hour() {
        let hours = berlin(&[range("0200", "0300")]);
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 00:59 UTC is 01:59, 01:00 UTC is 03:00.
        assert!(!hours.is_open(utc(2026, 3, 29, 0, 59)));
        assert!(!hours.is_open(utc(2026, 3, 29, 1, 0)));
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 local happens twice.
        assert!(hours.is_open(utc(2026, 10, 25, 0, 30)));
        assert!(hours.is_open(utc(2026, 10, 25, 1, 30)));
        assert!(!hours.is_open(utc(2026, 10, 25, 2, 0)));
    }

    #[test]
    fn holidays_close_the_whole_local_day() {
        let mut hours = berlin(&[range("0000", "2400")]);
        hours
            .holidays
            .insert(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap());
        // 23:30 UTC on the 24th is already the 25th in Berlin.
        assert!(!hours.is_open(utc(2026, 12, 24, 23, 30)));
        assert!(hours.is_open(utc(2026, 12, 24, 22, 30)));
        assert!(!hours.is_open(utc(2026, 12, 25, 12, 0)));
        // 23:30 UTC on the 25th is the 26th in Berlin: open again.
        assert!(hours.is_open(utc(2026, 12, 25, 23, 30)));
    }
}
