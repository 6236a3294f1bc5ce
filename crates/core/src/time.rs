//! Instants, Shanghai wall-clock time, and clocks.
//!
//! Why microseconds: the event log of a listing orders bids by server time,
//! and two bids in the same millisecond must still be told apart. An `i64`
//! of microseconds since the Unix epoch is portable across SQLite and
//! PostgreSQL (whose `timestamptz` has exactly this precision) and covers far
//! more than the years 0000–9999 that [`Timestamp`] allows.
//!
//! Why a fixed +08:00: every user of Yiwang is in one city, and every time
//! shown, every deadline and every working day is in Asia/Shanghai. China
//! has observed UTC+8 all year round since daylight saving time was abolished
//! in 1991, so a fixed offset gives the same answers as the tz database for
//! every date Yiwang handles, without shipping or updating that database.
//! (Dates before 1991 are only ever birth dates, which carry no time.)
//!
//! Why a [`Clock`] trait: deadlines are facts of the state judged against
//! "now", so tests must be able to set "now". Production code takes a
//! `&dyn Clock` or `Arc<dyn Clock>`; tests pass a [`ManualClock`].

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;
/// Asia/Shanghai's offset from UTC, in seconds.
const SHANGHAI_OFFSET_SECS: i64 = 8 * 3600;
const SHANGHAI_OFFSET_MICROS: i64 = SHANGHAI_OFFSET_SECS * MICROS_PER_SECOND;
/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
/// Days from 1970-01-01 to 0000-01-01 (proleptic Gregorian).
const DAYS_TO_YEAR_0: i64 = -719_528;
/// Days from 1970-01-01 to 10000-01-01.
const DAYS_TO_YEAR_10000: i64 = 2_932_897;

/// An instant, in microseconds since 1970-01-01T00:00:00Z.
///
/// A `Timestamp` always lies between [`Timestamp::MIN`]
/// (0000-01-01T00:00:00+08:00) and [`Timestamp::MAX`]
/// (9999-12-31T23:59:59.999999+08:00), so that it can always be printed as
/// RFC 3339 and as a Shanghai date. Constructors and arithmetic clamp to
/// that range instead of failing; [`Timestamp::try_from_micros`] is the
/// strict alternative for values read from storage.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Why a text is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Nothing was given.
    #[error("时间为空：应为带时区的 RFC 3339 时间，例如 2021-01-08T11:00:00+08:00")]
    Empty,
    /// The date part is not `YYYY-MM-DD`.
    #[error("日期部分格式不正确：应为 YYYY-MM-DD（四位年、两位月、两位日），例如 2021-01-08T11:00:00+08:00")]
    BadDate,
    /// There is a date but no time of day.
    #[error("缺少时刻：日期后应有“T”和 hh:mm:ss，例如 2021-01-08T11:00:00+08:00")]
    MissingTime,
    /// The time-of-day part is not `hh:mm:ss[.ffffff]`.
    #[error("时刻部分格式不正确：应为 hh:mm:ss，可带最多 6 位小数秒，例如 11:03:59.999999")]
    BadTime,
    /// More than six fractional digits.
    #[error("秒的小数部分最多 6 位（精确到微秒），实际有 {found} 位")]
    TooManyFractionDigits { found: usize },
    /// No offset at the end.
    #[error("缺少时区：时间必须以 Z 或 +08:00 这样的时区偏移结尾，例如 2021-01-08T11:00:00+08:00")]
    MissingOffset,
    /// The offset is not `Z` or `±hh:mm`.
    #[error("时区偏移格式不正确：应为 Z 或 ±hh:mm（小时不超过 23，分钟不超过 59），例如 +08:00")]
    BadOffset,
    /// Something follows the offset.
    #[error("时间末尾有多余的内容：时区偏移之后不应再有字符")]
    TrailingCharacters,
    /// A day that does not exist, such as 2021-02-30.
    #[error("日期 {year:04}-{month:02}-{day:02} 不存在：请检查月份（01–12）和该月的天数")]
    NoSuchDate { year: i32, month: u8, day: u8 },
    /// An hour, minute or second out of range.
    #[error("时刻 {hour:02}:{minute:02}:{second:02} 无效：小时应为 00–23，分钟和秒应为 00–59")]
    NoSuchTime { hour: u8, minute: u8, second: u8 },
    /// Outside the years Yiwang can represent.
    #[error("时间超出支持的范围：应在北京时间 0000 年至 9999 年之间")]
    OutOfRange,
}

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Timestamp = Timestamp(0);
    /// 0000-01-01T00:00:00+08:00, the earliest representable instant.
    pub const MIN: Timestamp = Timestamp(DAYS_TO_YEAR_0 * MICROS_PER_DAY - SHANGHAI_OFFSET_MICROS);
    /// 9999-12-31T23:59:59.999999+08:00, the latest representable instant.
    pub const MAX: Timestamp =
        Timestamp(DAYS_TO_YEAR_10000 * MICROS_PER_DAY - SHANGHAI_OFFSET_MICROS - 1);

    /// The instant `micros` microseconds after the Unix epoch, clamped to
    /// [`MIN`](Timestamp::MIN)..=[`MAX`](Timestamp::MAX).
    pub const fn from_micros(micros: i64) -> Timestamp {
        if micros < Self::MIN.0 {
            Self::MIN
        } else if micros > Self::MAX.0 {
            Self::MAX
        } else {
            Timestamp(micros)
        }
    }

    /// The instant `micros` microseconds after the Unix epoch, or `None` if
    /// it lies outside the representable years.
    pub const fn try_from_micros(micros: i64) -> Option<Timestamp> {
        if micros < Self::MIN.0 || micros > Self::MAX.0 {
            None
        } else {
            Some(Timestamp(micros))
        }
    }

    /// Microseconds since the Unix epoch.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 time with an explicit offset:
    /// `"2021-01-08T11:03:59.999999+08:00"`, `"2021-01-08T03:00:00Z"`.
    ///
    /// Accepted: `T`, `t` or a space between date and time; up to six
    /// fractional digits; `Z`, `z` or `±hh:mm`; surrounding whitespace.
    /// Refused: a missing offset (a local time is ambiguous), more than six
    /// fractional digits (they would be silently dropped), leap seconds
    /// (`:60`, which no Yiwang clock produces) and anything else. Never
    /// panics.
    pub fn parse_rfc3339(text: &str) -> Result<Timestamp, TimeError> {
        let s = text.trim().as_bytes();
        if s.is_empty() {
            return Err(TimeError::Empty);
        }
        let mut cur = Cursor { s, pos: 0 };

        // Date.
        let year = cur.digits(4).ok_or(TimeError::BadDate)?;
        cur.expect(b'-').ok_or(TimeError::BadDate)?;
        let month = cur.digits(2).ok_or(TimeError::BadDate)?;
        cur.expect(b'-').ok_or(TimeError::BadDate)?;
        let day = cur.digits(2).ok_or(TimeError::BadDate)?;
        match cur.peek() {
            None => return Err(TimeError::MissingTime),
            Some(b'T' | b't' | b' ') => cur.pos += 1,
            Some(b'0'..=b'9') => return Err(TimeError::BadDate),
            Some(_) => return Err(TimeError::MissingTime),
        }

        // Time of day.
        let hour = cur.digits(2).ok_or(TimeError::BadTime)?;
        cur.expect(b':').ok_or(TimeError::BadTime)?;
        let minute = cur.digits(2).ok_or(TimeError::BadTime)?;
        cur.expect(b':').ok_or(TimeError::BadTime)?;
        let second = cur.digits(2).ok_or(TimeError::BadTime)?;
        let mut fraction_micros = 0i64;
        if cur.peek() == Some(b'.') {
            cur.pos += 1;
            let start = cur.pos;
            while matches!(cur.peek(), Some(b'0'..=b'9')) {
                cur.pos += 1;
            }
            let found = cur.pos - start;
            if found == 0 {
                return Err(TimeError::BadTime);
            }
            if found > 6 {
                return Err(TimeError::TooManyFractionDigits { found });
            }
            for &b in &s[start..cur.pos] {
                fraction_micros = fraction_micros * 10 + i64::from(b - b'0');
            }
            for _ in found..6 {
                fraction_micros *= 10;
            }
        }

        // Offset.
        let offset_secs = match cur.peek() {
            None => return Err(TimeError::MissingOffset),
            Some(b'Z' | b'z') => {
                cur.pos += 1;
                0
            }
            Some(sign @ (b'+' | b'-')) => {
                cur.pos += 1;
                let oh = cur.digits(2).ok_or(TimeError::BadOffset)?;
                cur.expect(b':').ok_or(TimeError::BadOffset)?;
                let om = cur.digits(2).ok_or(TimeError::BadOffset)?;
                if oh > 23 || om > 59 {
                    return Err(TimeError::BadOffset);
                }
                let secs = i64::from(oh) * 3600 + i64::from(om) * 60;
                if sign == b'-' {
                    -secs
                } else {
                    secs
                }
            }
            Some(b'0'..=b'9') => return Err(TimeError::BadTime),
            Some(_) => return Err(TimeError::MissingOffset),
        };
        if cur.pos != s.len() {
            return Err(TimeError::TrailingCharacters);
        }

        // Meaning. The digit counts above bound every field to two or four
        // digits, so the narrowing casts cannot truncate.
        let (month, day) = (month as u8, day as u8);
        let (hour, minute, second) = (hour as u8, minute as u8, second as u8);
        let date = Month::try_from(month)
            .ok()
            .and_then(|m| Date::from_calendar_date(year as i32, m, day).ok())
            .ok_or(TimeError::NoSuchDate {
                year: year as i32,
                month,
                day,
            })?;
        if hour > 23 || minute > 59 || second > 59 {
            return Err(TimeError::NoSuchTime {
                hour,
                minute,
                second,
            });
        }
        let days = i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY;
        let secs_of_day = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        let micros = days * MICROS_PER_DAY
            + (secs_of_day - offset_secs) * MICROS_PER_SECOND
            + fraction_micros;
        Timestamp::try_from_micros(micros).ok_or(TimeError::OutOfRange)
    }

    /// The instant as RFC 3339 in Shanghai time (+08:00), with fractional
    /// seconds only when they are not zero, as three digits when whole
    /// milliseconds and six otherwise: `"2021-01-08T11:00:00+08:00"`,
    /// `"2021-01-04T10:00:00.250+08:00"`, `"2021-01-08T11:03:59.999999+08:00"`.
    pub fn to_rfc3339(self) -> String {
        let (date, micros_of_day) = self.shanghai_parts();
        let secs = micros_of_day / MICROS_PER_SECOND;
        let frac = micros_of_day % MICROS_PER_SECOND;
        let fraction = if frac == 0 {
            String::new()
        } else if frac % 1000 == 0 {
            format!(".{:03}", frac / 1000)
        } else {
            format!(".{frac:06}")
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}+08:00",
            date.year(),
            u8::from(date.month()),
            date.day(),
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
        )
    }

    /// Shanghai date and time as printed on notices:
    /// `"2021年01月08日 11:00:00"`.
    pub fn format_cn(self) -> String {
        let (date, micros_of_day) = self.shanghai_parts();
        let secs = micros_of_day / MICROS_PER_SECOND;
        format!(
            "{} {:02}:{:02}:{:02}",
            format_cn_date(date),
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// Shanghai date and time to the minute: `"2021年01月08日 11:00"`, the
    /// form notices use for opening and closing times.
    pub fn format_cn_minute(self) -> String {
        let (date, micros_of_day) = self.shanghai_parts();
        let secs = micros_of_day / MICROS_PER_SECOND;
        format!(
            "{} {:02}:{:02}",
            format_cn_date(date),
            secs / 3600,
            secs / 60 % 60
        )
    }

    /// The Shanghai date: `"2021年01月08日"`.
    pub fn format_cn_date(self) -> String {
        format_cn_date(self.shanghai_date())
    }

    /// The calendar date in Shanghai.
    pub fn shanghai_date(self) -> Date {
        self.shanghai_parts().0
    }

    /// The wall-clock time of day in Shanghai, to the microsecond.
    pub fn shanghai_time(self) -> Time {
        let micros = self.shanghai_parts().1;
        let secs = micros / MICROS_PER_SECOND;
        // In range by construction: 0 <= micros < one day.
        Time::from_hms_micro(
            (secs / 3600) as u8,
            (secs / 60 % 60) as u8,
            (secs % 60) as u8,
            (micros % MICROS_PER_SECOND) as u32,
        )
        .unwrap_or(Time::MIDNIGHT)
    }

    /// Date and time of day in Shanghai.
    pub fn shanghai_datetime(self) -> PrimitiveDateTime {
        PrimitiveDateTime::new(self.shanghai_date(), self.shanghai_time())
    }

    /// Microseconds since Shanghai midnight, 0..86_400_000_000.
    pub fn shanghai_micros_of_day(self) -> i64 {
        self.shanghai_parts().1
    }

    /// The instant at `hour:minute:second` on `date` in Shanghai.
    ///
    /// The components are added arithmetically, so `(24, 0, 0)` is the next
    /// midnight; the result is clamped to the representable range.
    pub fn from_shanghai(date: Date, hour: u8, minute: u8, second: u8) -> Timestamp {
        let secs = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Timestamp::from_shanghai_micros(date, secs * MICROS_PER_SECOND)
    }

    /// The instant at the Shanghai wall-clock time `time` on `date`.
    pub fn from_shanghai_time(date: Date, time: Time) -> Timestamp {
        let (h, m, s, us) = time.as_hms_micro();
        let secs = i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s);
        Timestamp::from_shanghai_micros(date, secs * MICROS_PER_SECOND + i64::from(us))
    }

    /// The instant `micros_of_day` microseconds after Shanghai midnight
    /// starting `date`, clamped to the representable range.
    pub fn from_shanghai_micros(date: Date, micros_of_day: i64) -> Timestamp {
        let days = i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY;
        // |days| < 4 million, so this cannot overflow.
        let midnight = days * MICROS_PER_DAY - SHANGHAI_OFFSET_MICROS;
        Timestamp::from_micros(midnight.saturating_add(micros_of_day))
    }

    /// The same instant as an [`OffsetDateTime`] at +08:00.
    pub fn to_offset_datetime(self) -> OffsetDateTime {
        // +08:00 is always a valid offset.
        let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
        self.shanghai_datetime().assume_offset(offset)
    }

    /// The same instant as `odt`, clamped to the representable range.
    pub fn from_offset_datetime(odt: OffsetDateTime) -> Timestamp {
        let micros = odt.unix_timestamp_nanos() / 1000;
        let clamped = micros.clamp(i128::from(Self::MIN.0), i128::from(Self::MAX.0));
        Timestamp::from_micros(i64::try_from(clamped).unwrap_or(0))
    }

    /// This instant plus `secs` seconds (which may be negative), clamped to
    /// the representable range.
    pub const fn add_secs(self, secs: i64) -> Timestamp {
        self.add_micros(secs.saturating_mul(MICROS_PER_SECOND))
    }

    /// This instant plus `micros` microseconds (which may be negative),
    /// clamped to the representable range.
    pub const fn add_micros(self, micros: i64) -> Timestamp {
        Timestamp::from_micros(self.0.saturating_add(micros))
    }

    /// Microseconds from `earlier` to `self` (negative if `earlier` is
    /// later). Cannot overflow: both lie within ten thousand years.
    pub const fn micros_since(self, earlier: Timestamp) -> i64 {
        self.0 - earlier.0
    }

    /// The Shanghai date and the microseconds since its midnight.
    fn shanghai_parts(self) -> (Date, i64) {
        let local = self.0 + SHANGHAI_OFFSET_MICROS;
        let days = local.div_euclid(MICROS_PER_DAY);
        let micros_of_day = local.rem_euclid(MICROS_PER_DAY);
        // The range invariant keeps the day within years 0000–9999, which
        // `Date` supports; the fallback is unreachable.
        let date = i32::try_from(days + UNIX_EPOCH_JULIAN_DAY)
            .ok()
            .and_then(|jd| Date::from_julian_day(jd).ok())
            .unwrap_or(Date::MIN);
        (date, micros_of_day)
    }
}

/// `"2021年01月08日"`.
fn format_cn_date(date: Date) -> String {
    format!(
        "{:04}年{:02}月{:02}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A byte cursor for the RFC 3339 parser; every step is bounds-checked.
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek() == Some(byte)).then(|| self.pos += 1)
    }

    /// Exactly `n` ASCII digits (n <= 4), as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let bytes = self.s.get(self.pos..self.pos + n)?;
        let mut value = 0u32;
        for &b in bytes {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.pos += n;
        Some(value)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in +08:00, as [`Timestamp::to_rfc3339`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse_rfc3339(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "an RFC 3339 time with an offset, such as \"2021-01-08T11:00:00+08:00\"",
                )
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// A source of the current time.
///
/// Everything that needs "now" takes a `Clock`, so that tests and the
/// `simulate` command can control time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let micros = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_micros())
                .map(|m| -m)
                .unwrap_or(i64::MIN),
        };
        Timestamp::from_micros(micros)
    }
}

/// A clock that only moves when told to, for tests and simulations.
///
/// Clones share the same time: set it through one handle and every
/// component holding a clone sees the change.
#[derive(Debug, Clone)]
pub struct ManualClock {
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: Timestamp) -> ManualClock {
        ManualClock {
            micros: Arc::new(AtomicI64::new(now.micros())),
        }
    }

    /// Sets the time (it may go backwards).
    pub fn set(&self, now: Timestamp) {
        self.micros.store(now.micros(), Ordering::SeqCst);
    }

    /// Moves the time by `secs` seconds (negative goes back).
    pub fn advance_secs(&self, secs: i64) {
        self.advance_micros(secs.saturating_mul(MICROS_PER_SECOND));
    }

    /// Moves the time by `micros` microseconds (negative goes back).
    pub fn advance_micros(&self, micros: i64) {
        // The closure always returns Some, so the update cannot fail.
        let _ = self
            .micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |current| {
                Some(Timestamp::from_micros(current).add_micros(micros).micros())
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.micros.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::{date, datetime, time};
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn parses_and_prints_rfc3339() {
        let t = ts("2021-01-08T11:00:00+08:00");
        assert_eq!(t.micros(), 1_610_074_800_000_000);
        assert_eq!(t.to_rfc3339(), "2021-01-08T11:00:00+08:00");
        assert_eq!(ts("2021-01-08T03:00:00Z"), t);
        assert_eq!(ts("2021-01-08t03:00:00z"), t);
        assert_eq!(ts("2021-01-08 03:00:00Z"), t);
        assert_eq!(ts("2021-01-07T22:00:00-05:00"), t);
        assert_eq!(ts(" 2021-01-08T11:00:00+08:00\n"), t);

        let t = ts("2021-01-04T10:00:00.25+08:00");
        assert_eq!(t.to_rfc3339(), "2021-01-04T10:00:00.250+08:00");
        let t = ts("2021-01-08T11:03:59.999999+08:00");
        assert_eq!(t.to_rfc3339(), "2021-01-08T11:03:59.999999+08:00");
        assert_eq!(t.to_string(), "2021-01-08T11:03:59.999999+08:00");
        let t = ts("2021-01-08T11:03:59.000001+08:00");
        assert_eq!(t.to_rfc3339(), "2021-01-08T11:03:59.000001+08:00");
        let t = ts("2021-01-08T11:03:59.0+08:00");
        assert_eq!(t.to_rfc3339(), "2021-01-08T11:03:59+08:00");
    }

    #[test]
    fn refuses_bad_times_in_chinese() {
        let cases: &[(&str, TimeError)] = &[
            ("", TimeError::Empty),
            ("2021-01-08T11:00:00", TimeError::MissingOffset),
            ("2021-01-08", TimeError::MissingTime),
            ("2021/01/08T11:00:00Z", TimeError::BadDate),
            ("21-01-08T11:00:00Z", TimeError::BadDate),
            ("2021-01-08T11:00Z", TimeError::BadTime),
            ("2021-01-08T11:00:00.Z", TimeError::BadTime),
            (
                "2021-01-08T11:03:59.9999999+08:00",
                TimeError::TooManyFractionDigits { found: 7 },
            ),
            ("2021-01-08T11:00:00+0800", TimeError::BadOffset),
            ("2021-01-08T11:00:00+24:00", TimeError::BadOffset),
            ("2021-01-08T11:00:00+08:00x", TimeError::TrailingCharacters),
            (
                "2021-02-29T11:00:00+08:00",
                TimeError::NoSuchDate {
                    year: 2021,
                    month: 2,
                    day: 29,
                },
            ),
            (
                "2021-13-01T11:00:00+08:00",
                TimeError::NoSuchDate {
                    year: 2021,
                    month: 13,
                    day: 1,
                },
            ),
            (
                "2021-01-08T24:00:00+08:00",
                TimeError::NoSuchTime {
                    hour: 24,
                    minute: 0,
                    second: 0,
                },
            ),
            (
                "2016-12-31T23:59:60Z",
                TimeError::NoSuchTime {
                    hour: 23,
                    minute: 59,
                    second: 60,
                },
            ),
            // 23:00 on 31 December of year -1 in Shanghai.
            ("0000-01-01T00:00:00+09:00", TimeError::OutOfRange),
            ("9999-12-31T23:00:00-08:00", TimeError::OutOfRange),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Timestamp::parse_rfc3339(text).as_ref(),
                Err(expected),
                "{text:?}"
            );
        }
        assert_eq!(
            TimeError::TooManyFractionDigits { found: 7 }.to_string(),
            "秒的小数部分最多 6 位（精确到微秒），实际有 7 位"
        );
        assert_eq!(
            TimeError::NoSuchDate {
                year: 2021,
                month: 2,
                day: 29
            }
            .to_string(),
            "日期 2021-02-29 不存在：请检查月份（01–12）和该月的天数"
        );
    }

    #[test]
    fn range_limits_match_the_calendar() {
        assert_eq!(Timestamp::MIN.to_rfc3339(), "0000-01-01T00:00:00+08:00");
        assert_eq!(
            Timestamp::MAX.to_rfc3339(),
            "9999-12-31T23:59:59.999999+08:00"
        );
        assert_eq!(ts("0000-01-01T00:00:00+08:00"), Timestamp::MIN);
        assert_eq!(Timestamp::from_micros(i64::MIN), Timestamp::MIN);
        assert_eq!(Timestamp::from_micros(i64::MAX), Timestamp::MAX);
        assert_eq!(Timestamp::try_from_micros(i64::MAX), None);
        assert_eq!(Timestamp::MAX.add_secs(1), Timestamp::MAX);
        assert_eq!(Timestamp::MIN.add_micros(i64::MIN), Timestamp::MIN);
        assert_eq!(
            Timestamp::from_offset_datetime(datetime!(1970-01-01 0:00 UTC)),
            Timestamp::UNIX_EPOCH
        );
    }

    #[test]
    fn shanghai_views() {
        let t = ts("2021-01-08T11:00:00+08:00");
        assert_eq!(t.format_cn(), "2021年01月08日 11:00:00");
        assert_eq!(t.format_cn_minute(), "2021年01月08日 11:00");
        assert_eq!(t.format_cn_date(), "2021年01月08日");
        assert_eq!(t.shanghai_date(), date!(2021 - 01 - 08));
        assert_eq!(t.shanghai_time(), time!(11:00));

        // 23:30 UTC is already the next day in Shanghai.
        let late = ts("2021-01-07T23:30:00Z");
        assert_eq!(late.shanghai_date(), date!(2021 - 01 - 08));
        assert_eq!(late.format_cn(), "2021年01月08日 07:30:00");

        assert_eq!(Timestamp::from_shanghai(date!(2021 - 01 - 08), 11, 0, 0), t);
        assert_eq!(
            Timestamp::from_shanghai(date!(2021 - 01 - 07), 24, 0, 0),
            ts("2021-01-08T00:00:00+08:00")
        );
        assert_eq!(
            Timestamp::from_shanghai_time(date!(2021 - 01 - 08), time!(11:03:59.999999)),
            ts("2021-01-08T11:03:59.999999+08:00")
        );
        assert_eq!(t.to_offset_datetime(), datetime!(2021-01-08 11:00 +8));
        assert_eq!(
            Timestamp::from_offset_datetime(datetime!(2021-01-08 03:00 UTC)),
            t
        );
        assert_eq!(t.add_secs(3600).to_rfc3339(), "2021-01-08T12:00:00+08:00");
        assert_eq!(
            t.add_micros(-1).to_rfc3339(),
            "2021-01-08T10:59:59.999999+08:00"
        );
        assert_eq!(t.add_secs(60).micros_since(t), 60_000_000);
    }

    #[test]
    fn serde_is_rfc3339() {
        let t = ts("2021-01-04T10:00:00.250+08:00");
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2021-01-04T10:00:00.250+08:00\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"2021-01-04T10:00:00\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("1609725600").is_err());
    }

    #[test]
    fn manual_clock_is_shared_between_clones() {
        let start = ts("2021-01-08T11:00:00+08:00");
        let clock = ManualClock::new(start);
        let other = clock.clone();
        clock.advance_secs(90);
        assert_eq!(other.now(), start.add_secs(90));
        other.advance_micros(-1);
        assert_eq!(clock.now(), start.add_micros(89_999_999));
        clock.set(start);
        assert_eq!(other.now(), start);

        let shared: Arc<dyn Clock> = Arc::new(other);
        assert_eq!(shared.now(), start);
        fn takes_clock(c: &dyn Clock) -> Timestamp {
            c.now()
        }
        assert_eq!(takes_clock(&shared), start);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > ts("2020-01-01T00:00:00Z"));
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(micros in Timestamp::MIN.micros()..=Timestamp::MAX.micros()) {
            let t = Timestamp::from_micros(micros);
            let text = t.to_rfc3339();
            prop_assert_eq!(Timestamp::parse_rfc3339(&text), Ok(t));
            let json = serde_json::to_string(&t).unwrap();
            prop_assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        }

        #[test]
        fn agrees_with_the_time_crate(micros in -2_000_000_000_000_000i64..4_000_000_000_000_000) {
            let t = Timestamp::from_micros(micros);
            let odt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
                .unwrap()
                .to_offset(UtcOffset::from_hms(8, 0, 0).unwrap());
            prop_assert_eq!(t.shanghai_date(), odt.date());
            prop_assert_eq!(t.shanghai_time(), odt.time());
            prop_assert_eq!(t.to_offset_datetime(), odt);
            prop_assert_eq!(
                Timestamp::from_shanghai_time(odt.date(), odt.time()),
                t
            );
        }

        #[test]
        fn shanghai_components_round_trip(micros in Timestamp::MIN.micros()..=Timestamp::MAX.micros()) {
            let t = Timestamp::from_micros(micros);
            prop_assert_eq!(
                Timestamp::from_shanghai_micros(t.shanghai_date(), t.shanghai_micros_of_day()),
                t
            );
        }

        #[test]
        fn parser_never_panics(s in any::<String>()) {
            let _ = Timestamp::parse_rfc3339(&s);
        }

        #[test]
        fn parser_never_panics_on_near_misses(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})?.?") {
            if let Ok(t) = Timestamp::parse_rfc3339(&s) {
                prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Ok(t));
            }
        }
    }
}
