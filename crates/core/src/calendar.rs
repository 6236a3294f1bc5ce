//! The working-day calendar: which Shanghai dates are working days, and
//! deadlines counted in working days or working hours.
//!
//! Why a calendar and not just "Monday to Friday": Chinese public holidays
//! move every year and are paired with adjusted working days (调休上班), on
//! which a Saturday or Sunday is a normal working day. A case that must be
//! handled "within 3 working days" or a notice period counted in working days
//! would be wrong around every holiday without them. The State Council
//! publishes each year's schedule late in the previous year, so the calendar
//! is data, not code: [`WorkingCalendar::shipped`] reads
//! `calendar/cn-holidays.toml` compiled into the crate, and an operator adds
//! or corrects a year with a file of the same format
//! ([`WorkingCalendar::with_file`]) without a new release.
//!
//! # File format
//!
//! ```toml
//! [years.2026]
//! holidays = ["2026-01-01..2026-01-03", "2026-04-04..2026-04-06"]
//! workdays = ["2026-01-04", "2026-10-10"]
//! ```
//!
//! * `holidays`: days off. Entries are dates `YYYY-MM-DD` or inclusive
//!   ranges `YYYY-MM-DD..YYYY-MM-DD`; weekend days inside a range are
//!   harmless.
//! * `workdays`: adjusted working days; each must be a Saturday or Sunday
//!   (listing a weekday is refused as an obvious typo).
//! * Every date must lie in its table's year, and no date may be both.
//! * A year that is not listed falls back to Monday–Friday;
//!   [`WorkingCalendar::covers`] tells whether a year is listed, so that a
//!   health check can warn when next year's schedule is missing.
//!
//! # Deadline rules
//!
//! All dates are Asia/Shanghai dates. The start day of a period is never
//! counted (as in 期间开始的当日不算入期间): "n working days after" a moment
//! is the same wall-clock time on the n-th working day strictly after the
//! start date, whether or not the start date is itself a working day. See
//! [`WorkingCalendar::add_working_days`] and
//! [`WorkingCalendar::add_working_hours`].

use crate::time::Timestamp;
use ::time::{Date, Time, Weekday};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// The calendar shipped with Yiwang.
const SHIPPED_TOML: &str = include_str!("../calendar/cn-holidays.toml");

/// Why a calendar file or an office-hours setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// The text is not valid TOML or does not have the expected shape.
    #[error("工作日历文件格式不正确（第 {line} 行）：{detail}；应为 [years.YYYY] 表，含 holidays 和 workdays 两个日期列表")]
    Syntax { line: usize, detail: String },
    /// A `[years.…]` key is not a year.
    #[error("工作日历中的年份“{key}”无效：应为四位数字年份，例如 [years.2026]")]
    BadYear { key: String },
    /// An entry is neither a date nor a range.
    #[error("工作日历 {year} 年中的“{entry}”无效：应为 YYYY-MM-DD 格式的日期，或用“..”连接的日期范围，例如 2026-02-15..2026-02-23")]
    BadDate { year: i32, entry: String },
    /// A date lies outside its table's year.
    #[error("日期 {date} 不属于 {year} 年：请把它写在 [years.{}] 下", .date.year())]
    WrongYear { year: i32, date: Date },
    /// A range ends before it starts.
    #[error("日期范围“{entry}”无效：起始日期晚于结束日期")]
    ReversedRange { entry: String },
    /// A date is listed both as a holiday and as a working day.
    #[error("{date} 同时被列为节假日和调休上班日：只能是其中之一")]
    HolidayAndWorkday { date: Date },
    /// An adjusted working day that is not on a weekend.
    #[error("{date} 是{}，本来就是工作日：workdays 只应列出调休上班的星期六或星期日", weekday_cn(.date.weekday()))]
    WorkdayNotWeekend { date: Date },
    /// The file could not be read.
    #[error("无法读取工作日历文件 {path}：{detail}")]
    Io { path: String, detail: String },
    /// Office hours are not written as `hh:mm-hh:mm,hh:mm-hh:mm`.
    #[error("办公时间“{text}”格式不正确：应为“上午开始-上午结束,下午开始-下午结束”，例如 09:00-12:00,13:00-17:00")]
    WorkingHoursFormat { text: String },
    /// Office hours are not in order.
    #[error("办公时间顺序不正确：应为上午开始早于上午结束，上午结束不晚于下午开始，下午开始早于下午结束，例如 09:00-12:00,13:00-17:00")]
    WorkingHoursOrder,
}

/// The Chinese name of a weekday.
fn weekday_cn(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "星期一",
        Weekday::Tuesday => "星期二",
        Weekday::Wednesday => "星期三",
        Weekday::Thursday => "星期四",
        Weekday::Friday => "星期五",
        Weekday::Saturday => "星期六",
        Weekday::Sunday => "星期日",
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The office day: a morning and an afternoon period, in Shanghai time.
///
/// The default, [`WorkingHours::STANDARD`], is 09:00–12:00 and 13:00–17:00,
/// seven hours: the common core of Chinese government office hours
/// (offices open at 08:30 or 09:00 and close at 17:00 or 17:30 depending on
/// the season), so a deadline computed with it is never earlier than the one
/// an office using longer hours would compute. A city with other hours sets
/// its own, e.g. `"08:30-12:00,13:30-17:30"`.
///
/// Written and serialized as `"09:00-12:00,13:00-17:00"`. A continuous day
/// is written with the morning ending where the afternoon starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WorkingHours {
    morning_start: Time,
    morning_end: Time,
    afternoon_start: Time,
    afternoon_end: Time,
}

impl WorkingHours {
    /// 09:00–12:00 and 13:00–17:00.
    pub const STANDARD: WorkingHours = WorkingHours {
        morning_start: ::time::macros::time!(9:00),
        morning_end: ::time::macros::time!(12:00),
        afternoon_start: ::time::macros::time!(13:00),
        afternoon_end: ::time::macros::time!(17:00),
    };

    /// Office hours from a morning and an afternoon period, each
    /// `(start, end)`. Refused unless the four times are in order (the
    /// morning may end exactly when the afternoon starts).
    pub fn new(morning: (Time, Time), afternoon: (Time, Time)) -> Result<Self, CalendarError> {
        let hours = WorkingHours {
            morning_start: morning.0,
            morning_end: morning.1,
            afternoon_start: afternoon.0,
            afternoon_end: afternoon.1,
        };
        if hours.morning_start < hours.morning_end
            && hours.morning_end <= hours.afternoon_start
            && hours.afternoon_start < hours.afternoon_end
        {
            Ok(hours)
        } else {
            Err(CalendarError::WorkingHoursOrder)
        }
    }

    /// Parses `"09:00-12:00,13:00-17:00"` (whitespace around the parts is
    /// allowed).
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let malformed = || CalendarError::WorkingHoursFormat {
            text: text.to_owned(),
        };
        let (morning, afternoon) = text.split_once(',').ok_or_else(malformed)?;
        let period = |part: &str| -> Option<(Time, Time)> {
            let (start, end) = part.split_once('-')?;
            Some((parse_hh_mm(start.trim())?, parse_hh_mm(end.trim())?))
        };
        let morning = period(morning).ok_or_else(malformed)?;
        let afternoon = period(afternoon).ok_or_else(malformed)?;
        WorkingHours::new(morning, afternoon)
    }

    /// The morning period, `(start, end)`.
    pub fn morning(self) -> (Time, Time) {
        (self.morning_start, self.morning_end)
    }

    /// The afternoon period, `(start, end)`.
    pub fn afternoon(self) -> (Time, Time) {
        (self.afternoon_start, self.afternoon_end)
    }

    /// Working microseconds in one working day.
    pub fn micros_per_day(self) -> i64 {
        self.periods().iter().map(|(start, end)| end - start).sum()
    }

    /// The two periods as microseconds since midnight.
    fn periods(self) -> [(i64, i64); 2] {
        [
            (micros_of(self.morning_start), micros_of(self.morning_end)),
            (
                micros_of(self.afternoon_start),
                micros_of(self.afternoon_end),
            ),
        ]
    }
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours::STANDARD
    }
}

/// Microseconds since midnight.
fn micros_of(time: Time) -> i64 {
    let (h, m, s, us) = time.as_hms_micro();
    ((i64::from(h) * 60 + i64::from(m)) * 60 + i64::from(s)) * 1_000_000 + i64::from(us)
}

/// `"hh:mm"`, exactly two digits each.
fn parse_hh_mm(text: &str) -> Option<Time> {
    let b = text.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<u8> {
        let (t, u) = (b[i], b[i + 1]);
        (t.is_ascii_digit() && u.is_ascii_digit()).then(|| (t - b'0') * 10 + (u - b'0'))
    };
    Time::from_hms(two(0)?, two(3)?, 0).ok()
}

impl fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |t: Time| format!("{:02}:{:02}", t.hour(), t.minute());
        write!(
            f,
            "{}-{},{}-{}",
            hm(self.morning_start),
            hm(self.morning_end),
            hm(self.afternoon_start),
            hm(self.afternoon_end)
        )
    }
}

impl FromStr for WorkingHours {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WorkingHours::parse(s)
    }
}

impl Serialize for WorkingHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WorkingHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = WorkingHours;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("office hours such as \"09:00-12:00,13:00-17:00\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<WorkingHours, E> {
                WorkingHours::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// One year's exceptions to Monday–Friday.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearRules {
    holidays: BTreeSet<Date>,
    workdays: BTreeSet<Date>,
}

/// Which Shanghai dates are working days; see the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    years: BTreeMap<i32, YearRules>,
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    years: BTreeMap<String, YearFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
}

impl WorkingCalendar {
    /// A calendar with no holidays: every Monday to Friday is a working day.
    pub fn weekdays_only() -> WorkingCalendar {
        WorkingCalendar::default()
    }

    /// China's official schedules shipped with Yiwang
    /// (`calendar/cn-holidays.toml`): 2020, 2021 and 2026.
    pub fn shipped() -> WorkingCalendar {
        static SHIPPED: OnceLock<WorkingCalendar> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                // The file is compiled in and a unit test parses it, so this
                // cannot fail in a tested build.
                WorkingCalendar::from_toml(SHIPPED_TOML)
                    .expect("the shipped calendar/cn-holidays.toml is valid")
            })
            .clone()
    }

    /// Reads a calendar in the format described in the [module docs](self).
    pub fn from_toml(text: &str) -> Result<WorkingCalendar, CalendarError> {
        let file: CalendarFile = toml::from_str(text).map_err(|e| CalendarError::Syntax {
            line: e
                .span()
                .map(|span| {
                    let before = &text.as_bytes()[..span.start.min(text.len())];
                    before.iter().filter(|&&b| b == b'\n').count() + 1
                })
                .unwrap_or(1),
            detail: e.message().trim().to_owned(),
        })?;
        let mut years = BTreeMap::new();
        for (key, year_file) in file.years {
            let year = key
                .parse::<i32>()
                .ok()
                .filter(|y| key.len() == 4 && (1..=9999).contains(y))
                .ok_or_else(|| CalendarError::BadYear { key: key.clone() })?;
            let mut rules = YearRules::default();
            for entry in &year_file.holidays {
                for date in expand_entry(year, entry)? {
                    rules.holidays.insert(date);
                }
            }
            for entry in &year_file.workdays {
                for date in expand_entry(year, entry)? {
                    if !is_weekend(date) {
                        return Err(CalendarError::WorkdayNotWeekend { date });
                    }
                    if rules.holidays.contains(&date) {
                        return Err(CalendarError::HolidayAndWorkday { date });
                    }
                    rules.workdays.insert(date);
                }
            }
            years.insert(year, rules);
        }
        Ok(WorkingCalendar { years })
    }

    /// This calendar with the years of `other` added; a year defined in both
    /// is taken whole from `other` (an operator's correction replaces the
    /// shipped year rather than mixing with it).
    pub fn merge(mut self, other: WorkingCalendar) -> WorkingCalendar {
        self.years.extend(other.years);
        self
    }

    /// This calendar merged with the calendar file at `path`
    /// (see [`merge`](WorkingCalendar::merge)).
    pub fn with_file(self, path: impl AsRef<Path>) -> Result<WorkingCalendar, CalendarError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| CalendarError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        Ok(self.merge(WorkingCalendar::from_toml(&text)?))
    }

    /// Whether `year` has an explicit schedule (otherwise it is treated as
    /// Monday–Friday).
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The years with an explicit schedule, in order.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// Whether `date` (a Shanghai date) is a working day: a listed
    /// adjusted working day, or a Monday–Friday that is not a listed holiday.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.years.get(&date.year()) {
            Some(rules) if rules.holidays.contains(&date) => false,
            Some(rules) if rules.workdays.contains(&date) => true,
            _ => !is_weekend(date),
        }
    }

    /// The same Shanghai wall-clock time on the `n`-th working day strictly
    /// after the Shanghai date of `start`.
    ///
    /// The start date itself is never counted, whether or not it is a
    /// working day: from Friday 10:00, Saturday 10:00 or Sunday 10:00, one
    /// working day later is Monday 10:00 (in an ordinary week). `n = 0`
    /// returns `start` unchanged. Saturates at [`Timestamp::MAX`].
    pub fn add_working_days(&self, start: Timestamp, n: u32) -> Timestamp {
        if n == 0 {
            return start;
        }
        let time_of_day = start.shanghai_micros_of_day();
        let mut date = start.shanghai_date();
        let mut left = n;
        while left > 0 {
            date = match date.next_day() {
                Some(next) => next,
                None => return Timestamp::MAX,
            };
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        Timestamp::from_shanghai_micros(date, time_of_day)
    }

    /// The moment at which `hours` working hours have elapsed after `start`,
    /// counting only office hours (`day`) on working days.
    ///
    /// Time before the first period, between periods, after the last one and
    /// on non-working days does not count: a start at 11:00 with the
    /// standard hours has one hour that morning, and a start on a Saturday
    /// starts counting at the next working day's opening. A deadline that
    /// falls exactly at the end of a period is that end (12:00 or 17:00),
    /// not the start of the next period. `hours = 0` returns `start`
    /// unchanged. Saturates at [`Timestamp::MAX`].
    pub fn add_working_hours(&self, start: Timestamp, hours: u32, day: WorkingHours) -> Timestamp {
        let mut remaining = i64::from(hours) * MICROS_PER_HOUR;
        if remaining == 0 {
            return start;
        }
        let mut date = start.shanghai_date();
        let mut position = start.shanghai_micros_of_day();
        loop {
            if self.is_working_day(date) {
                for (open, close) in day.periods() {
                    let from = position.max(open);
                    if from >= close {
                        continue;
                    }
                    let available = close - from;
                    if remaining <= available {
                        return Timestamp::from_shanghai_micros(date, from + remaining);
                    }
                    remaining -= available;
                }
            }
            date = match date.next_day() {
                Some(next) => next,
                None => return Timestamp::MAX,
            };
            position = 0;
        }
    }

    /// Working time, in microseconds, between `from` and `to` (office hours
    /// on working days only); zero if `to` is not after `from`. This is the
    /// inverse of [`add_working_hours`](WorkingCalendar::add_working_hours),
    /// for measuring how much of a time limit has been used.
    pub fn working_micros_between(&self, from: Timestamp, to: Timestamp, day: WorkingHours) -> i64 {
        if to <= from {
            return 0;
        }
        let end_date = to.shanghai_date();
        let end_position = to.shanghai_micros_of_day();
        let mut date = from.shanghai_date();
        let mut position = from.shanghai_micros_of_day();
        let mut total = 0i64;
        loop {
            let limit = if date == end_date {
                end_position
            } else {
                i64::MAX
            };
            if self.is_working_day(date) {
                for (open, close) in day.periods() {
                    let a = position.max(open);
                    let b = close.min(limit);
                    if b > a {
                        total += b - a;
                    }
                }
            }
            if date >= end_date {
                return total;
            }
            date = match date.next_day() {
                Some(next) => next,
                None => return total,
            };
            position = 0;
        }
    }

    /// The number of working days `d` with `from <= d < to` (half-open);
    /// zero if `to` is not after `from`.
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut count = 0u32;
        let mut date = from;
        while date < to {
            if self.is_working_day(date) {
                count += 1;
            }
            date = match date.next_day() {
                Some(next) => next,
                None => break,
            };
        }
        count
    }
}

/// The dates of one `holidays` or `workdays` entry in `year`.
fn expand_entry(year: i32, entry: &str) -> Result<Vec<Date>, CalendarError> {
    let bad = || CalendarError::BadDate {
        year,
        entry: entry.to_owned(),
    };
    let in_year = |date: Date| {
        if date.year() == year {
            Ok(date)
        } else {
            Err(CalendarError::WrongYear { year, date })
        }
    };
    match entry.split_once("..") {
        None => Ok(vec![in_year(parse_date(entry.trim()).ok_or_else(bad)?)?]),
        Some((first, last)) => {
            let first = in_year(parse_date(first.trim()).ok_or_else(bad)?)?;
            let last = in_year(parse_date(last.trim()).ok_or_else(bad)?)?;
            if first > last {
                return Err(CalendarError::ReversedRange {
                    entry: entry.to_owned(),
                });
            }
            let mut dates = Vec::new();
            let mut date = first;
            // Both ends are in the same year, so this is at most 366 steps.
            loop {
                dates.push(date);
                if date == last {
                    break;
                }
                date = date.next_day().ok_or_else(bad)?;
            }
            Ok(dates)
        }
    }
}

/// `"YYYY-MM-DD"`, strictly.
fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    let month = ::time::Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let day = u8::try_from(number(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::{date, time};
    use proptest::prelude::*;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::shipped()
    }

    fn at(d: Date, h: u8, m: u8) -> Timestamp {
        Timestamp::from_shanghai(d, h, m, 0)
    }

    #[test]
    fn shipped_calendar_parses_and_covers_its_years() {
        WorkingCalendar::from_toml(SHIPPED_TOML).unwrap();
        let c = cal();
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2020, 2021, 2026]);
        assert!(c.covers(2026));
        assert!(!c.covers(2025));
    }

    #[test]
    fn official_days_off_and_adjusted_working_days() {
        let c = cal();
        // Adjusted working days (weekends).
        for d in [
            date!(2020 - 01 - 19),
            date!(2020 - 06 - 28),
            date!(2021 - 02 - 07),
            date!(2021 - 09 - 18),
            date!(2026 - 01 - 04),
            date!(2026 - 02 - 28),
            date!(2026 - 10 - 10),
        ] {
            assert!(c.is_working_day(d), "{d}");
        }
        // Holidays on weekdays.
        for d in [
            date!(2020 - 01 - 01),
            date!(2020 - 01 - 31),
            date!(2020 - 02 - 01),
            date!(2021 - 01 - 01),
            date!(2021 - 06 - 14),
            date!(2026 - 02 - 23),
            date!(2026 - 10 - 05),
            date!(2026 - 10 - 07),
        ] {
            assert!(!c.is_working_day(d), "{d}");
        }
        // Ordinary days.
        assert!(c.is_working_day(date!(2026 - 10 - 08)));
        assert!(c.is_working_day(date!(2021 - 01 - 04)));
        assert!(!c.is_working_day(date!(2026 - 10 - 11)));
        // An unlisted year is Monday to Friday.
        assert!(c.is_working_day(date!(2025 - 10 - 01)));
        assert!(!c.is_working_day(date!(2025 - 10 - 04)));
    }

    #[test]
    fn working_days_in_2026_national_day() {
        let c = cal();
        // From Tuesday 29 September: Wednesday 30 September, then the
        // holiday 1–7 October, then Thursday 8, Friday 9, Saturday 10
        // (adjusted working day).
        let start = at(date!(2026 - 09 - 29), 10, 30);
        assert_eq!(
            c.add_working_days(start, 1),
            at(date!(2026 - 09 - 30), 10, 30)
        );
        assert_eq!(
            c.add_working_days(start, 2),
            at(date!(2026 - 10 - 08), 10, 30)
        );
        assert_eq!(
            c.add_working_days(start, 4),
            at(date!(2026 - 10 - 10), 10, 30)
        );
        assert_eq!(
            c.add_working_days(start, 5),
            at(date!(2026 - 10 - 12), 10, 30)
        );
        assert_eq!(c.add_working_days(start, 0), start);
        // Starting inside the holiday: the start day is not counted.
        let inside = at(date!(2026 - 10 - 03), 15, 0);
        assert_eq!(
            c.add_working_days(inside, 1),
            at(date!(2026 - 10 - 08), 15, 0)
        );
        assert_eq!(
            c.working_days_between(date!(2026 - 09 - 28), date!(2026 - 10 - 12)),
            6
        );
        assert_eq!(
            c.working_days_between(date!(2026 - 10 - 01), date!(2026 - 10 - 08)),
            0
        );
        assert_eq!(
            c.working_days_between(date!(2026 - 10 - 12), date!(2026 - 10 - 01)),
            0
        );
        // Ordinary weekend: Friday and Saturday both lead to Monday.
        assert_eq!(
            c.add_working_days(at(date!(2026 - 11 - 06), 9, 0), 1),
            at(date!(2026 - 11 - 09), 9, 0)
        );
        assert_eq!(
            c.add_working_days(at(date!(2026 - 11 - 07), 9, 0), 1),
            at(date!(2026 - 11 - 09), 9, 0)
        );
    }

    #[test]
    fn working_hours_across_lunch_evening_and_weekend() {
        let c = cal();
        let day = WorkingHours::default();
        // Thursday 5 November 2026.
        let thu = date!(2026 - 11 - 05);
        // Across lunch: 11:00 + 2 h = 1 h before lunch + 1 h after.
        assert_eq!(c.add_working_hours(at(thu, 11, 0), 2, day), at(thu, 14, 0));
        // Ending exactly at noon stays at noon.
        assert_eq!(c.add_working_hours(at(thu, 9, 0), 3, day), at(thu, 12, 0));
        // Starting during lunch counts from 13:00.
        assert_eq!(c.add_working_hours(at(thu, 12, 30), 1, day), at(thu, 14, 0));
        // Before opening counts from 09:00.
        assert_eq!(c.add_working_hours(at(thu, 7, 0), 1, day), at(thu, 10, 0));
        // Across the evening: 16:00 + 3 h = 1 h today + 2 h tomorrow.
        assert_eq!(
            c.add_working_hours(at(thu, 16, 0), 3, day),
            at(date!(2026 - 11 - 06), 11, 0)
        );
        // Across the weekend: Friday 16:30 + 2 h → Monday 10:30.
        assert_eq!(
            c.add_working_hours(at(date!(2026 - 11 - 06), 16, 30), 2, day),
            at(date!(2026 - 11 - 09), 10, 30)
        );
        // After closing on Friday, 7 h is the whole of Monday.
        assert_eq!(
            c.add_working_hours(at(date!(2026 - 11 - 06), 18, 0), 7, day),
            at(date!(2026 - 11 - 09), 17, 0)
        );
        // Started on Saturday.
        assert_eq!(
            c.add_working_hours(at(date!(2026 - 11 - 07), 10, 0), 1, day),
            at(date!(2026 - 11 - 09), 10, 0)
        );
        // Across the National Day holiday into the adjusted Saturday.
        assert_eq!(
            c.add_working_hours(at(date!(2026 - 09 - 30), 16, 0), 8, day),
            at(date!(2026 - 10 - 08), 17, 0)
        );
        assert_eq!(
            c.add_working_hours(at(date!(2026 - 09 - 30), 16, 0), 9, day),
            at(date!(2026 - 10 - 09), 10, 0)
        );
        assert_eq!(
            c.add_working_hours(at(date!(2026 - 10 - 09), 16, 0), 2, day),
            at(date!(2026 - 10 - 10), 10, 0)
        );
        assert_eq!(c.add_working_hours(at(thu, 20, 0), 0, day), at(thu, 20, 0));
        // Other office hours.
        let long = WorkingHours::parse("08:30-12:00,13:30-17:30").unwrap();
        assert_eq!(
            c.add_working_hours(at(thu, 11, 30), 1, long),
            at(thu, 14, 0)
        );
        assert_eq!(
            long.micros_per_day(),
            7 * MICROS_PER_HOUR + MICROS_PER_HOUR / 2
        );
    }

    #[test]
    fn working_time_between_inverts_add_working_hours() {
        let c = cal();
        let day = WorkingHours::STANDARD;
        let start = at(date!(2026 - 09 - 30), 16, 0);
        let end = c.add_working_hours(start, 8, day);
        assert_eq!(
            c.working_micros_between(start, end, day),
            8 * MICROS_PER_HOUR
        );
        assert_eq!(c.working_micros_between(end, start, day), 0);
        let thu = date!(2026 - 11 - 05);
        assert_eq!(
            c.working_micros_between(at(thu, 11, 30), at(thu, 13, 30), day),
            MICROS_PER_HOUR
        );
    }

    #[test]
    fn working_hours_parse_and_print() {
        assert_eq!(
            WorkingHours::default().to_string(),
            "09:00-12:00,13:00-17:00"
        );
        assert_eq!(WorkingHours::STANDARD.micros_per_day(), 7 * MICROS_PER_HOUR);
        let h = WorkingHours::parse(" 08:30-12:00 , 13:30-17:30 ").unwrap();
        assert_eq!(h.morning(), (time!(8:30), time!(12:00)));
        assert_eq!(h.afternoon(), (time!(13:30), time!(17:30)));
        assert_eq!(h.to_string(), "08:30-12:00,13:30-17:30");
        assert!(matches!(
            WorkingHours::parse("9:00-12:00,13:00-17:00"),
            Err(CalendarError::WorkingHoursFormat { .. })
        ));
        assert_eq!(
            WorkingHours::parse("09:00-12:00,11:00-17:00"),
            Err(CalendarError::WorkingHoursOrder)
        );
        assert!(WorkingHours::parse("09:00-13:00,13:00-17:00").is_ok());
        assert!(WorkingHours::parse("25:00-26:00,13:00-17:00").is_err());
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, "\"08:30-12:00,13:30-17:30\"");
        assert_eq!(serde_json::from_str::<WorkingHours>(&json).unwrap(), h);
    }

    #[test]
    fn operator_files_add_and_override_years() {
        let extra = WorkingCalendar::from_toml(
            r#"
            [years.2025]
            holidays = ["2025-10-01..2025-10-08"]
            workdays = ["2025-09-28", "2025-10-11"]

            [years.2026]
            holidays = []
            "#,
        )
        .unwrap();
        let c = cal().merge(extra);
        assert!(c.covers(2025));
        assert!(!c.is_working_day(date!(2025 - 10 - 08)));
        assert!(c.is_working_day(date!(2025 - 10 - 11)));
        // 2026 was replaced whole: no holidays, no adjusted days.
        assert!(c.is_working_day(date!(2026 - 10 - 05)));
        assert!(!c.is_working_day(date!(2026 - 10 - 10)));
        // 2021 is untouched.
        assert!(!c.is_working_day(date!(2021 - 01 - 01)));

        let dir = std::env::temp_dir().join(format!("yiwang-cal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("extra.toml");
        std::fs::write(&path, "[years.2027]\nholidays = [\"2027-01-01\"]\n").unwrap();
        let c = cal().with_file(&path).unwrap();
        assert!(!c.is_working_day(date!(2027 - 01 - 01)));
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            cal().with_file(dir.join("missing.toml")),
            Err(CalendarError::Io { .. })
        ));
    }

    #[test]
    fn refuses_bad_files_in_chinese() {
        let err = |text: &str| WorkingCalendar::from_toml(text).unwrap_err();
        assert!(matches!(
            err("[years.2026"),
            CalendarError::Syntax { line: 1, .. }
        ));
        assert!(matches!(
            err("[years.2026]\nholiday = []"),
            CalendarError::Syntax { line: 2, .. }
        ));
        assert_eq!(
            err("[years.26]"),
            CalendarError::BadYear { key: "26".into() }
        );
        assert_eq!(
            err("[years.2026]\nholidays = [\"2026-02-30\"]"),
            CalendarError::BadDate {
                year: 2026,
                entry: "2026-02-30".into()
            }
        );
        assert_eq!(
            err("[years.2026]\nholidays = [\"2025-12-31..2026-01-01\"]"),
            CalendarError::WrongYear {
                year: 2026,
                date: date!(2025 - 12 - 31)
            }
        );
        assert_eq!(
            err("[years.2026]\nholidays = [\"2026-01-03..2026-01-01\"]"),
            CalendarError::ReversedRange {
                entry: "2026-01-03..2026-01-01".into()
            }
        );
        let e = err("[years.2026]\nworkdays = [\"2026-10-09\"]");
        assert_eq!(
            e,
            CalendarError::WorkdayNotWeekend {
                date: date!(2026 - 10 - 09)
            }
        );
        assert_eq!(
            e.to_string(),
            "2026-10-09 是星期五，本来就是工作日：workdays 只应列出调休上班的星期六或星期日"
        );
        assert_eq!(
            err("[years.2026]\nholidays = [\"2026-10-10\"]\nworkdays = [\"2026-10-10\"]"),
            CalendarError::HolidayAndWorkday {
                date: date!(2026 - 10 - 10)
            }
        );
        assert_eq!(
            CalendarError::WrongYear {
                year: 2026,
                date: date!(2025 - 12 - 31)
            }
            .to_string(),
            "日期 2025-12-31 不属于 2026 年：请把它写在 [years.2025] 下"
        );
    }

    proptest! {
        #[test]
        fn from_toml_never_panics(s in any::<String>()) {
            let _ = WorkingCalendar::from_toml(&s);
        }

        #[test]
        fn entries_never_panic(s in "[0-9.-]{0,24}") {
            let text = format!("[years.2026]\nholidays = [\"{s}\"]");
            let _ = WorkingCalendar::from_toml(&text);
        }

        #[test]
        fn working_hours_round_trip(a in 0u8..24, b in 0u8..60, c in 0u8..24, d in 0u8..60) {
            let text = format!("{a:02}:{b:02}-{c:02}:{d:02},{c:02}:{d:02}-23:59");
            if let Ok(h) = WorkingHours::parse(&text) {
                prop_assert_eq!(WorkingHours::parse(&h.to_string()), Ok(h));
            }
        }

        #[test]
        fn working_hours_parse_never_panics(s in any::<String>()) {
            let _ = WorkingHours::parse(&s);
        }

        #[test]
        fn add_working_days_lands_on_a_working_day(
            days in 0i64..4000,
            minute in 0i64..1440,
            n in 1u32..40,
        ) {
            let c = WorkingCalendar::shipped();
            let start = Timestamp::from_shanghai(date!(2020 - 01 - 01), 0, 0, 0)
                .add_secs(days * 86_400 + minute * 60);
            let end = c.add_working_days(start, n);
            prop_assert!(c.is_working_day(end.shanghai_date()));
            prop_assert_eq!(end.shanghai_time(), start.shanghai_time());
            let next = start.shanghai_date().next_day().unwrap();
            prop_assert_eq!(c.working_days_between(next, end.shanghai_date()), n - 1);
        }

        #[test]
        fn add_working_hours_consumes_exactly(
            days in 0i64..4000,
            minute in 0i64..1440,
            hours in 0u32..200,
        ) {
            let c = WorkingCalendar::shipped();
            let day = WorkingHours::STANDARD;
            let start = Timestamp::from_shanghai(date!(2020 - 01 - 01), 0, 0, 0)
                .add_secs(days * 86_400 + minute * 60);
            let end = c.add_working_hours(start, hours, day);
            prop_assert!(end >= start);
            prop_assert_eq!(
                c.working_micros_between(start, end, day),
                i64::from(hours) * MICROS_PER_HOUR
            );
        }
    }
}
