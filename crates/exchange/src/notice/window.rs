//! Time windows as notices write them: "2020年12月29日起,2021年1月6日上午11时止".
//!
//! Why a dedicated parser: the windows are the legally binding deadlines of
//! a listing (`exchange-rules.md` §1), and officers copy them out of Word
//! and Excel in the wording of the notice, with 上午/下午 and 时/分. Reading
//! that wording exactly, and printing it back the same way, keeps the
//! notice that the public reads and the deadlines that the engine enforces
//! one and the same.
//!
//! Every window is half-open, `[start, end)`: "2021年1月6日上午11时止" ends at
//! 11:00:00.000000 exactly, and an application at that instant is late.
//!
//! # Wording
//!
//! * A start without a time of day begins at 00:00 of that date.
//! * An end without a time of day is the end of that date ("至1月8日止" takes
//!   in the whole of 8 January), i.e. 00:00 of the next date; it is printed
//!   "1月8日24时止", which says the same without room for doubt.
//! * Times: `上午11时`, `下午3时30分`, `中午12时`, `晚上8时`, `凌晨0时30分`,
//!   `15时`, `15:30`, `11点`, `11时整`, `11时半`; `24时` is the end of the day.
//!   `上午12时` and `下午12时` are refused as ambiguous.
//! * Between start and end: `起,` (canonical), `起，`, `起至`, `至`, `—`, `~`;
//!   the end may give only a time (`至下午4时`), meaning the start's date.
//!
//! Output is canonical: `{start}起,{end}止`, dates without leading zeros,
//! 上午 for 1–11 h, 中午 for 12 h, 下午 for 13–17 h, 晚上 for 18–23 h,
//! minutes and seconds only when not zero.

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, Month};
use yiwang_core::Timestamp;

/// A half-open window `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Why a text is not a window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WindowError {
    #[error("时间为空：请按公告的写法填写，例如 2020年12月29日起,2021年1月6日上午11时止")]
    Empty,
    #[error("第 {position} 个字符处应为{expected}，实际是{found}；请按公告的写法填写，例如 2020年12月29日起,2021年1月6日上午11时止")]
    Syntax {
        position: usize,
        expected: &'static str,
        found: String,
    },
    #[error("日期 {year}年{month}月{day}日 不存在")]
    NoSuchDate { year: u32, month: u32, day: u32 },
    #[error("时刻“{text}”无效：{reason}")]
    BadTime { text: String, reason: &'static str },
    #[error("结束时间 {end} 不晚于开始时间 {start}：结束时间必须晚于开始时间")]
    EndNotAfterStart { start: String, end: String },
}

impl Window {
    /// A window from `start` to `end`, refused unless `start < end`.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Window, WindowError> {
        if start >= end {
            return Err(WindowError::EndNotAfterStart {
                start: format_point(start, Role::Start),
                end: format_point(end, Role::End),
            });
        }
        Ok(Window { start, end })
    }

    /// Whether `t` is inside the window: `start ≤ t < end`.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.start <= t && t < self.end
    }

    /// Whether the window is well-formed (`start < end`).
    pub fn is_well_formed(&self) -> bool {
        self.start < self.end
    }

    /// Parses a window in the notice's wording; see the module
    /// documentation. Never panics.
    pub fn parse_cn(text: &str) -> Result<Window, WindowError> {
        let mut c = Cursor::new(text);
        if c.chars.is_empty() {
            return Err(WindowError::Empty);
        }
        let (start_date, start_secs) = c.point(None)?;
        c.eat_any(&["开始", "起"]);
        c.eat_any(&[",", "，", "、", ";", "；"]);
        c.eat_any(&["至", "到", "—", "－", "-", "~", "～"]);
        let (end_date, end_secs) = c.point(Some(start_date))?;
        c.eat_any(&["截止", "止"]);
        if let Some(found) = c.peek() {
            return Err(c.syntax("“止”或文本结尾", Some(found)));
        }
        let start = at(start_date, start_secs.unwrap_or(0));
        let end = at(end_date, end_secs.unwrap_or(DAY_SECS));
        Window::new(start, end)
    }

    /// The window in the notice's wording: "2020年12月29日起,2021年1月6日上午11时止".
    pub fn format_cn(&self) -> String {
        format!(
            "{}起,{}止",
            format_point(self.start, Role::Start),
            format_point(self.end, Role::End)
        )
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_cn())
    }
}

const DAY_SECS: u32 = 86_400;

fn at(date: Date, secs: u32) -> Timestamp {
    Timestamp::from_shanghai_micros(date, i64::from(secs) * 1_000_000)
}

/// Whether a point starts or ends a window; it decides how midnight reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Start,
    End,
}

fn format_date(date: Date) -> String {
    format!(
        "{}年{}月{}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A point of a window in the notice's wording (see the module docs).
fn format_point(t: Timestamp, role: Role) -> String {
    let micros = t.shanghai_micros_of_day();
    let secs = micros / 1_000_000;
    let date = t.shanghai_date();
    if secs == 0 {
        return match (role, date.previous_day()) {
            (Role::Start, _) | (Role::End, None) => format_date(date),
            (Role::End, Some(previous)) => format!("{}24时", format_date(previous)),
        };
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let (period, h12) = match h {
        0 => ("凌晨", 0),
        1..=11 => ("上午", h),
        12 => ("中午", 12),
        13..=17 => ("下午", h - 12),
        _ => ("晚上", h - 12),
    };
    let mut out = format!("{}{period}{h12}时", format_date(date));
    if m != 0 || s != 0 {
        out.push_str(&format!("{m}分"));
    }
    if s != 0 {
        out.push_str(&format!("{s}秒"));
    }
    out
}

/// The times of day of the canonical wording and those accepted on input.
const PERIODS: &[&str] = &[
    "上午", "早上", "早晨", "凌晨", "中午", "下午", "傍晚", "晚上",
];

struct Cursor {
    chars: Vec<char>,
    pos: usize,
}

impl Cursor {
    fn new(text: &str) -> Cursor {
        // Whitespace carries no meaning in the wording; full-width digits
        // become ASCII so that a copy from a Word document still reads.
        let chars = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '０'..='９' => char::from_u32(u32::from(c) - 0xFF10 + 0x30).unwrap_or(c),
                '：' => ':',
                _ => c,
            })
            .collect();
        Cursor { chars, pos: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        if self.chars.len() >= self.pos + n
            && self.chars[self.pos..self.pos + n]
                .iter()
                .copied()
                .eq(s.chars())
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn eat_any(&mut self, options: &[&str]) -> Option<usize> {
        options.iter().position(|s| self.eat(s))
    }

    fn syntax(&self, expected: &'static str, found: Option<char>) -> WindowError {
        WindowError::Syntax {
            position: self.pos + 1,
            expected,
            found: match found {
                None => "文本末尾".to_owned(),
                Some(c) => format!("“{c}”"),
            },
        }
    }

    fn digits(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut value: u32 = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            if self.pos - start >= 4 {
                return None;
            }
            value = value * 10 + d;
            self.pos += 1;
        }
        (self.pos > start).then_some(value)
    }

    /// A date (optionally without year or without date at all when a
    /// `base` date is known) and an optional time of day in seconds
    /// (86400 for 24时).
    fn point(&mut self, base: Option<Date>) -> Result<(Date, Option<u32>), WindowError> {
        let saved = self.pos;
        let first = self.digits();
        let date = match first {
            Some(year) if self.eat("年") => {
                let month = self
                    .digits()
                    .ok_or_else(|| self.syntax("月份数字", self.peek()))?;
                if !self.eat("月") {
                    return Err(self.syntax("“月”", self.peek()));
                }
                let day = self
                    .digits()
                    .ok_or_else(|| self.syntax("日期数字", self.peek()))?;
                if self.eat_any(&["日", "号"]).is_none() {
                    return Err(self.syntax("“日”", self.peek()));
                }
                make_date(year, month, day)?
            }
            Some(month) if self.eat("月") => {
                let Some(base) = base else {
                    self.pos = saved;
                    return Err(self.syntax("四位年份（例如 2020年12月29日）", self.peek()));
                };
                let day = self
                    .digits()
                    .ok_or_else(|| self.syntax("日期数字", self.peek()))?;
                if self.eat_any(&["日", "号"]).is_none() {
                    return Err(self.syntax("“日”", self.peek()));
                }
                make_date(u32::try_from(base.year()).unwrap_or(0), month, day)?
            }
            _ => {
                self.pos = saved;
                match base {
                    Some(base) => base,
                    None => return Err(self.syntax("日期（例如 2020年12月29日）", self.peek())),
                }
            }
        };
        let time = self.time_of_day()?;
        if time.is_none() && self.pos == saved {
            return Err(self.syntax("日期或时刻（例如 2021年1月6日上午11时）", self.peek()));
        }
        if time == Some(DAY_SECS) {
            // 24时 is 00:00 of the next day.
            let next = date.next_day().ok_or(WindowError::BadTime {
                text: "24时".to_owned(),
                reason: "超出支持的日期范围",
            })?;
            return Ok((next, Some(0)));
        }
        Ok((date, time))
    }

    /// An optional time of day, in seconds since midnight; 24时 is 86400.
    fn time_of_day(&mut self) -> Result<Option<u32>, WindowError> {
        let start = self.pos;
        let period = PERIODS.iter().position(|p| self.eat(p)).map(|i| PERIODS[i]);
        let Some(hour) = self.digits() else {
            if period.is_some() {
                return Err(self.syntax("小时数字", self.peek()));
            }
            return Ok(None);
        };
        let (minute, second) = if self.eat(":") {
            let m = self
                .digits()
                .ok_or_else(|| self.syntax("分钟数字", self.peek()))?;
            let s = if self.eat(":") {
                self.digits()
                    .ok_or_else(|| self.syntax("秒数字", self.peek()))?
            } else {
                0
            };
            (m, s)
        } else if self.eat_any(&["时", "点"]).is_some() {
            if self.eat("半") {
                (30, 0)
            } else {
                let m = match self.digits() {
                    Some(m) if self.eat("分") => m,
                    Some(_) => return Err(self.syntax("“分”", self.peek())),
                    None => 0,
                };
                let s = match self.digits() {
                    Some(s) if self.eat("秒") => s,
                    Some(_) => return Err(self.syntax("“秒”", self.peek())),
                    None => 0,
                };
                self.eat("整");
                (m, s)
            }
        } else {
            return Err(self.syntax("“时”", self.peek()));
        };
        let text: String = self.chars[start..self.pos].iter().collect();
        let bad = |reason| WindowError::BadTime {
            text: text.clone(),
            reason,
        };
        if minute > 59 || second > 59 {
            return Err(bad("分钟和秒应为 0–59"));
        }
        let hour24 = match period {
            None => match hour {
                0..=23 => hour,
                24 if minute == 0 && second == 0 => return Ok(Some(DAY_SECS)),
                _ => return Err(bad("小时应为 0–24，24时只能是整点")),
            },
            Some("上午" | "早上" | "早晨" | "凌晨") => match hour {
                0..=11 => hour,
                _ => return Err(bad("上午的小时应为 0–11；中午请写“中午12时”")),
            },
            Some("中午") => match hour {
                11 | 12 => hour,
                1 | 2 => hour + 12,
                _ => return Err(bad("中午的小时应为 11、12、1 或 2")),
            },
            Some(_) => match hour {
                1..=11 => hour + 12,
                13..=23 => hour,
                _ => {
                    return Err(bad(
                        "下午或晚上的小时应为 1–11；中午请写“中午12时”，午夜请写“24时”",
                    ))
                }
            },
        };
        Ok(Some(hour24 * 3600 + minute * 60 + second))
    }
}

fn make_date(year: u32, month: u32, day: u32) -> Result<Date, WindowError> {
    let no_such = || WindowError::NoSuchDate { year, month, day };
    let year_i = i32::try_from(year).map_err(|_| no_such())?;
    if !(1000..=9999).contains(&year_i) {
        return Err(no_such());
    }
    let month_enum = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or_else(no_such)?;
    let day_u8 = u8::try_from(day).map_err(|_| no_such())?;
    Date::from_calendar_date(year_i, month_enum, day_u8).map_err(|_| no_such())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ts(d: Date, h: u8, m: u8) -> Timestamp {
        Timestamp::from_shanghai(d, h, m, 0)
    }

    #[test]
    fn the_seed_windows() {
        let w = Window::parse_cn("2020年12月29日起,2021年1月6日上午11时止").unwrap();
        assert_eq!(w.start, ts(date!(2020 - 12 - 29), 0, 0));
        assert_eq!(w.end, ts(date!(2021 - 01 - 06), 11, 0));
        assert_eq!(w.format_cn(), "2020年12月29日起,2021年1月6日上午11时止");
        assert_eq!(w.start.to_rfc3339(), "2020-12-29T00:00:00+08:00");
        assert_eq!(w.end.to_rfc3339(), "2021-01-06T11:00:00+08:00");

        let l = Window::parse_cn("2020年12月29日起,2021年1月8日上午11时止").unwrap();
        assert_eq!(l.end.to_rfc3339(), "2021-01-08T11:00:00+08:00");
        assert_eq!(l.format_cn(), "2020年12月29日起,2021年1月8日上午11时止");
    }

    #[test]
    fn half_open() {
        let w = Window::parse_cn("2020年12月29日起,2021年1月6日上午11时止").unwrap();
        assert!(w.contains(w.start));
        assert!(!w.contains(w.end));
        assert!(w.contains(w.end.add_micros(-1)));
        assert!(!w.contains(w.start.add_micros(-1)));
    }

    #[test]
    fn other_wordings() {
        let d = date!(2021 - 01 - 08);
        for (text, start, end, canonical) in [
            (
                "2021年1月8日上午9时至下午4时30分",
                ts(d, 9, 0),
                ts(d, 16, 30),
                "2021年1月8日上午9时起,2021年1月8日下午4时30分止",
            ),
            (
                "2021年1月8日 9:00 起，2021年1月8日 15:30 止",
                ts(d, 9, 0),
                ts(d, 15, 30),
                "2021年1月8日上午9时起,2021年1月8日下午3时30分止",
            ),
            (
                "2021年1月4日起至1月8日止",
                ts(date!(2021 - 01 - 04), 0, 0),
                ts(date!(2021 - 01 - 09), 0, 0),
                "2021年1月4日起,2021年1月8日24时止",
            ),
            (
                "2021年1月4日起,2021年1月8日24时止",
                ts(date!(2021 - 01 - 04), 0, 0),
                ts(date!(2021 - 01 - 09), 0, 0),
                "2021年1月4日起,2021年1月8日24时止",
            ),
            (
                "2021年1月8日中午12时起,2021年1月8日晚上8时15分30秒止",
                ts(d, 12, 0),
                Timestamp::from_shanghai(d, 20, 15, 30),
                "2021年1月8日中午12时起,2021年1月8日晚上8时15分30秒止",
            ),
            (
                "2021年1月8日凌晨0时30分起—2021年1月8日11点整",
                ts(d, 0, 30),
                ts(d, 11, 0),
                "2021年1月8日凌晨0时30分起,2021年1月8日上午11时止",
            ),
            (
                "２０２１年１月８日上午１０时半起，２０２１年１月８日17时止",
                ts(d, 10, 30),
                ts(d, 17, 0),
                "2021年1月8日上午10时30分起,2021年1月8日下午5时止",
            ),
        ] {
            let w = Window::parse_cn(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((w.start, w.end), (start, end), "{text}");
            assert_eq!(w.format_cn(), canonical, "{text}");
            assert_eq!(Window::parse_cn(canonical).unwrap(), w, "{canonical}");
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(Window::parse_cn(" "), Err(WindowError::Empty));
        assert!(matches!(
            Window::parse_cn("2021年2月30日起,2021年3月1日止"),
            Err(WindowError::NoSuchDate {
                year: 2021,
                month: 2,
                day: 30
            })
        ));
        assert!(matches!(
            Window::parse_cn("2021年1月8日上午12时起,2021年1月9日止"),
            Err(WindowError::BadTime { .. })
        ));
        assert!(matches!(
            Window::parse_cn("2021年1月8日下午12时起,2021年1月9日止"),
            Err(WindowError::BadTime { .. })
        ));
        assert!(matches!(
            Window::parse_cn("2021年1月8日25时起,2021年1月9日止"),
            Err(WindowError::BadTime { .. })
        ));
        assert!(matches!(
            Window::parse_cn("2021年1月8日上午11时起,2021年1月8日上午11时止"),
            Err(WindowError::EndNotAfterStart { .. })
        ));
        assert!(matches!(
            Window::parse_cn("1月8日起,1月9日止"),
            Err(WindowError::Syntax { .. })
        ));
        assert!(matches!(
            Window::parse_cn("2021年1月8日起"),
            Err(WindowError::Syntax { .. })
        ));
        assert!(matches!(
            Window::parse_cn("2021年1月8日起,2021年1月9日止还有"),
            Err(WindowError::Syntax { .. })
        ));
        let e = Window::parse_cn("2021年1月8日起").unwrap_err().to_string();
        assert!(
            e.contains("例如 2020年12月29日起,2021年1月6日上午11时止"),
            "{e}"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "9999年12月31日起,9999年12月31日24时止",
            "0年1月1日起,1年1月1日止",
            "99999999年",
            "年月日",
            "2021年1月8日上午",
            "2021年1月8日11时99分起",
            "2021年1月8日11时5起",
        ] {
            let _ = Window::parse_cn(text);
        }
    }
}
