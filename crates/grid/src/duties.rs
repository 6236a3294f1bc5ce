//! The grid staff's duties (网格员职责): what must be done, in which
//! window, and what is done, open or overdue.
//!
//! A grid leader's routine duties are recurring visits and patrols. Each
//! duty is an [`Obligation`]: a [`DutyKind`], what it is about (a grid, a
//! household or a person, by the caller's key), a half-open window of
//! Shanghai dates `[start, end)` and how many times it must be done in that
//! window. The rules ([`DutyRules`]) say which windows exist:
//!
//! | duty | window | default |
//! |---|---|---|
//! | patrol log (巡查) | each working day, per grid | 1 a day |
//! | household visit (入户走访) | each period of `12 / n` months, per household | 2 a year: January–June, July–December |
//! | visit to a tagged person (重点人员走访) | each period of `12 / n` months, per person with a duty tag | 12 a year: monthly |
//! | attendance at an emergency or a dispute (应急处置、矛盾调处) | from the report to a number of working hours after it | 2 working hours |
//!
//! [`assess`] judges an obligation against the dates it was done on and
//! today's date: done, open (still in its window) or overdue (its window
//! has ended short of the count). The worker's to-do list is the open
//! obligations, the supervisor's overdue list the overdue ones; both are
//! built by the caller from these verdicts. [`completion`] counts the
//! obligations due by a date that were done, for the KPIs.
//!
//! Nothing here reads a clock or a database: the caller passes today's date
//! and the records it holds.

use serde::{Deserialize, Serialize};
use time::{Date, Month};
use yiwang_core::{Timestamp, WorkingCalendar, WorkingHours};

/// The kinds of duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyKind {
    Patrol,
    HouseholdVisit,
    TaggedVisit,
    Attendance,
}

impl DutyKind {
    pub const ALL: [DutyKind; 4] = [
        DutyKind::Patrol,
        DutyKind::HouseholdVisit,
        DutyKind::TaggedVisit,
        DutyKind::Attendance,
    ];

    /// The stable code stored and used in URLs.
    pub fn code(self) -> &'static str {
        match self {
            DutyKind::Patrol => "patrol",
            DutyKind::HouseholdVisit => "household_visit",
            DutyKind::TaggedVisit => "tagged_visit",
            DutyKind::Attendance => "attendance",
        }
    }

    pub fn from_code(code: &str) -> Option<DutyKind> {
        DutyKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            DutyKind::Patrol => "网格巡查",
            DutyKind::HouseholdVisit => "入户走访",
            DutyKind::TaggedVisit => "重点人员走访",
            DutyKind::Attendance => "应急处置和矛盾调处",
        }
    }
}

/// How often each duty recurs. Periods are whole months that divide the
/// year, so that every window starts on the first of a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DutyRules {
    /// Patrol logs required per grid per working day.
    pub patrols_per_working_day: u32,
    /// Visits to every household per year (1, 2, 3, 4, 6 or 12).
    pub household_visits_per_year: u32,
    /// Visits to every person with a duty tag per year (1, 2, 3, 4, 6 or
    /// 12).
    pub tagged_visits_per_year: u32,
    /// Working hours within which an emergency or a dispute reported in the
    /// grid must be attended.
    pub attendance_working_hours: u32,
}

impl Default for DutyRules {
    fn default() -> Self {
        DutyRules {
            patrols_per_working_day: 1,
            household_visits_per_year: 2,
            tagged_visits_per_year: 12,
            attendance_working_hours: 2,
        }
    }
}

/// Rules that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DutyRulesError {
    #[error("{field} 应为 1、2、3、4、6 或 12（每年次数须能整分十二个月），而不是 {value}")]
    NotAPeriod { field: &'static str, value: u32 },
    #[error("{field} 至少为 1")]
    Zero { field: &'static str },
}

impl DutyRules {
    /// Checks that every count is usable.
    pub fn validate(&self) -> Result<(), DutyRulesError> {
        for (field, value) in [
            ("household_visits_per_year", self.household_visits_per_year),
            ("tagged_visits_per_year", self.tagged_visits_per_year),
        ] {
            if value == 0 || 12 % value != 0 {
                return Err(DutyRulesError::NotAPeriod { field, value });
            }
        }
        for (field, value) in [
            ("patrols_per_working_day", self.patrols_per_working_day),
            ("attendance_working_hours", self.attendance_working_hours),
        ] {
            if value == 0 {
                return Err(DutyRulesError::Zero { field });
            }
        }
        Ok(())
    }

    /// The window of a recurring visit that holds `date`.
    pub fn visit_window(&self, kind: DutyKind, date: Date) -> Option<Window> {
        let per_year = match kind {
            DutyKind::HouseholdVisit => self.household_visits_per_year,
            DutyKind::TaggedVisit => self.tagged_visits_per_year,
            DutyKind::Patrol | DutyKind::Attendance => return None,
        };
        Window::months(date, per_year)
    }

    /// The obligations of recurring visits to one subject whose windows
    /// meet `[from, to)`, in order.
    pub fn visit_obligations(
        &self,
        kind: DutyKind,
        subject: &str,
        from: Date,
        to: Date,
    ) -> Vec<Obligation> {
        let mut out = Vec::new();
        let mut day = from;
        while day < to {
            let Some(window) = self.visit_window(kind, day) else {
                break;
            };
            out.push(Obligation {
                kind,
                subject: subject.to_owned(),
                window,
                required: 1,
            });
            day = window.end;
        }
        out
    }

    /// One patrol obligation per working day of `[from, to)` for a grid.
    pub fn patrol_obligations(
        &self,
        calendar: &WorkingCalendar,
        grid: &str,
        from: Date,
        to: Date,
    ) -> Vec<Obligation> {
        let mut out = Vec::new();
        let mut day = from;
        while day < to {
            if calendar.is_working_day(day) {
                out.push(Obligation {
                    kind: DutyKind::Patrol,
                    subject: grid.to_owned(),
                    window: Window {
                        start: day,
                        end: day.next_day().unwrap_or(day),
                    },
                    required: self.patrols_per_working_day,
                });
            }
            match day.next_day() {
                Some(next) => day = next,
                None => break,
            }
        }
        out
    }

    /// When an emergency or a dispute reported at `reported` must have been
    /// attended by.
    pub fn attendance_due(
        &self,
        calendar: &WorkingCalendar,
        hours: WorkingHours,
        reported: Timestamp,
    ) -> Timestamp {
        calendar.add_working_hours(reported, self.attendance_working_hours, hours)
    }
}

/// Shanghai dates `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Window {
    pub start: Date,
    pub end: Date,
}

impl Window {
    /// The period of `12 / per_year` months that holds `date`, the year's
    /// periods starting on 1 January.
    pub fn months(date: Date, per_year: u32) -> Option<Window> {
        if per_year == 0 || 12 % per_year != 0 {
            return None;
        }
        let length = 12 / per_year as u8;
        let month0 = date.month() as u8 - 1;
        let first0 = month0 - month0 % length;
        let start = first_of(date.year(), first0)?;
        let end = match first0 + length {
            12 => first_of(date.year() + 1, 0)?,
            next0 => first_of(date.year(), next0)?,
        };
        Some(Window { start, end })
    }

    pub fn contains(&self, date: Date) -> bool {
        self.start <= date && date < self.end
    }

    /// The last date of the window, as people read a deadline.
    pub fn last_day(&self) -> Date {
        self.end.previous_day().unwrap_or(self.start)
    }
}

fn first_of(year: i32, month0: u8) -> Option<Date> {
    let month = Month::try_from(month0 + 1).ok()?;
    Date::from_calendar_date(year, month, 1).ok()
}

/// Something that must be done `required` times within `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    pub kind: DutyKind,
    /// The grid code, household or person key the duty is about.
    pub subject: String,
    pub window: Window,
    pub required: u32,
}

/// Where an obligation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Done as often as required within the window.
    Done,
    /// Not yet done enough and the window is still open; `days_left`
    /// counts today.
    Open { days_left: u32 },
    /// The window ended short of the count.
    Overdue { since: Date },
    /// The window has not started.
    Upcoming,
}

impl Standing {
    pub fn label(&self) -> &'static str {
        match self {
            Standing::Done => "已完成",
            Standing::Open { .. } => "待完成",
            Standing::Overdue { .. } => "已逾期",
            Standing::Upcoming => "未开始",
        }
    }
}

/// An obligation judged on `today` against the dates it was done on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub obligation: Obligation,
    /// Times done within the window.
    pub done: u32,
    pub standing: Standing,
}

/// Judges `obligation` on `today`: only the dates inside its window count.
pub fn assess(obligation: &Obligation, done_on: &[Date], today: Date) -> Assessment {
    let window = obligation.window;
    let done = done_on.iter().filter(|d| window.contains(**d)).count() as u32;
    let standing = if done >= obligation.required {
        Standing::Done
    } else if today < window.start {
        Standing::Upcoming
    } else if today < window.end {
        Standing::Open {
            days_left: (window.end - today).whole_days().max(0) as u32,
        }
    } else {
        Standing::Overdue { since: window.end }
    };
    Assessment {
        obligation: obligation.clone(),
        done,
        standing,
    }
}

/// Of the obligations whose window has ended by `today`, how many were
/// done, and how many there were: the completion rate's numerator and
/// denominator (an open window is not yet due and counts in neither).
pub fn completion(assessments: &[Assessment], today: Date) -> (u64, u64) {
    let due: Vec<&Assessment> = assessments
        .iter()
        .filter(|a| a.obligation.window.end <= today)
        .collect();
    let done = due.iter().filter(|a| a.standing == Standing::Done).count() as u64;
    (done, due.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn visit_windows_split_the_year_into_whole_months() {
        let rules = DutyRules::default();
        let h = rules
            .visit_window(DutyKind::HouseholdVisit, date!(2026 - 03 - 15))
            .unwrap();
        assert_eq!(h.start, date!(2026 - 01 - 01));
        assert_eq!(h.end, date!(2026 - 07 - 01));
        let h2 = rules
            .visit_window(DutyKind::HouseholdVisit, date!(2026 - 07 - 01))
            .unwrap();
        assert_eq!(
            (h2.start, h2.end),
            (date!(2026 - 07 - 01), date!(2027 - 01 - 01))
        );
        let t = rules
            .visit_window(DutyKind::TaggedVisit, date!(2026 - 12 - 31))
            .unwrap();
        assert_eq!(
            (t.start, t.end),
            (date!(2026 - 12 - 01), date!(2027 - 01 - 01))
        );
        assert_eq!(t.last_day(), date!(2026 - 12 - 31));
        assert_eq!(
            Window::months(date!(2026 - 05 - 20), 4),
            Some(Window {
                start: date!(2026 - 04 - 01),
                end: date!(2026 - 07 - 01)
            }),
            "four a year: quarters"
        );
        assert_eq!(
            Window::months(date!(2026 - 05 - 20), 3),
            Some(Window {
                start: date!(2026 - 05 - 01),
                end: date!(2026 - 09 - 01)
            }),
            "three a year: January, May and September"
        );
        assert_eq!(Window::months(date!(2026 - 05 - 20), 5), None);
        assert_eq!(
            rules.visit_window(DutyKind::Patrol, date!(2026 - 05 - 20)),
            None
        );
    }

    #[test]
    fn rules_refuse_periods_that_do_not_divide_the_year() {
        assert_eq!(DutyRules::default().validate(), Ok(()));
        let bad = DutyRules {
            household_visits_per_year: 5,
            ..DutyRules::default()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(
            e,
            DutyRulesError::NotAPeriod {
                field: "household_visits_per_year",
                value: 5
            }
        );
        assert!(e.to_string().contains("整分十二个月"));
        let zero = DutyRules {
            patrols_per_working_day: 0,
            ..DutyRules::default()
        };
        assert!(matches!(zero.validate(), Err(DutyRulesError::Zero { .. })));
    }

    #[test]
    fn patrols_fall_on_working_days_only() {
        let rules = DutyRules::default();
        let cal = WorkingCalendar::shipped();
        // 2026-10-01..07 is the National Day holiday; 2026-10-10 (Saturday)
        // is an adjusted working day in the shipped calendar.
        let days: Vec<Date> = rules
            .patrol_obligations(
                &cal,
                "320612001001001",
                date!(2026 - 09 - 28),
                date!(2026 - 10 - 13),
            )
            .into_iter()
            .map(|o| o.window.start)
            .collect();
        let expected: Vec<Date> = (0..15)
            .filter_map(|n| date!(2026 - 09 - 28).checked_add(time::Duration::days(n)))
            .filter(|d| cal.is_working_day(*d))
            .collect();
        assert_eq!(days, expected);
        assert!(!days.contains(&date!(2026 - 10 - 01)));
        assert!(!days.contains(&date!(2026 - 10 - 04)), "a Sunday");
        assert!(days.contains(&date!(2026 - 09 - 28)));
        assert!(
            days.contains(&date!(2026 - 10 - 10)),
            "the adjusted Saturday"
        );
    }

    #[test]
    fn assessment_counts_only_dates_inside_the_window() {
        let rules = DutyRules::default();
        let obligations = rules.visit_obligations(
            DutyKind::TaggedVisit,
            "person-1",
            date!(2026 - 01 - 15),
            date!(2026 - 04 - 01),
        );
        let windows: Vec<Date> = obligations.iter().map(|o| o.window.start).collect();
        assert_eq!(
            windows,
            vec![
                date!(2026 - 01 - 01),
                date!(2026 - 02 - 01),
                date!(2026 - 03 - 01)
            ]
        );
        let visits = [date!(2026 - 01 - 20), date!(2026 - 03 - 05)];
        let today = date!(2026 - 03 - 10);
        let judged: Vec<Standing> = obligations
            .iter()
            .map(|o| assess(o, &visits, today).standing)
            .collect();
        assert_eq!(
            judged,
            vec![
                Standing::Done,
                Standing::Overdue {
                    since: date!(2026 - 03 - 01)
                },
                Standing::Done,
            ]
        );
        let open = assess(&obligations[2], &[], today);
        assert_eq!(open.standing, Standing::Open { days_left: 22 });
        assert_eq!(open.standing.label(), "待完成");
        let later = assess(&obligations[2], &[], date!(2025 - 12 - 31));
        assert_eq!(later.standing, Standing::Upcoming);
    }

    #[test]
    fn completion_counts_windows_that_have_ended() {
        let rules = DutyRules::default();
        let cal = WorkingCalendar::weekdays_only();
        // Monday 2026-11-02 .. Friday 2026-11-06: five patrol days.
        let obligations = rules.patrol_obligations(
            &cal,
            "320612001001001",
            date!(2026 - 11 - 02),
            date!(2026 - 11 - 07),
        );
        assert_eq!(obligations.len(), 5);
        let patrolled = [
            date!(2026 - 11 - 02),
            date!(2026 - 11 - 03),
            date!(2026 - 11 - 05),
        ];
        let today = date!(2026 - 11 - 05);
        let judged: Vec<Assessment> = obligations
            .iter()
            .map(|o| assess(o, &patrolled, today))
            .collect();
        // Due by the 5th: the 2nd, 3rd and 4th; done: the 2nd and 3rd. The
        // 5th is done but its window is still open, the 6th not yet due.
        assert_eq!(completion(&judged, today), (2, 3));
        assert_eq!(
            judged[2].standing,
            Standing::Overdue {
                since: date!(2026 - 11 - 05)
            }
        );
    }

    #[test]
    fn two_patrols_a_day_need_two_logs() {
        let rules = DutyRules {
            patrols_per_working_day: 2,
            ..DutyRules::default()
        };
        let cal = WorkingCalendar::weekdays_only();
        let day = rules.patrol_obligations(&cal, "g", date!(2026 - 11 - 02), date!(2026 - 11 - 03));
        let once = assess(&day[0], &[date!(2026 - 11 - 02)], date!(2026 - 11 - 02));
        assert_eq!(once.done, 1);
        assert_eq!(once.standing, Standing::Open { days_left: 1 });
        let twice = assess(
            &day[0],
            &[date!(2026 - 11 - 02), date!(2026 - 11 - 02)],
            date!(2026 - 11 - 03),
        );
        assert_eq!(twice.standing, Standing::Done);
    }

    #[test]
    fn attendance_is_due_in_working_hours() {
        let rules = DutyRules::default();
        let cal = WorkingCalendar::weekdays_only();
        let hours = WorkingHours::parse("08:30-12:00,13:30-17:30").unwrap();
        // Friday 16:30: one hour that day, one on Monday from 08:30.
        let reported = Timestamp::from_shanghai(date!(2026 - 11 - 06), 16, 30, 0);
        assert_eq!(
            rules.attendance_due(&cal, hours, reported),
            Timestamp::from_shanghai(date!(2026 - 11 - 09), 9, 30, 0)
        );
    }

    #[test]
    fn kinds_round_trip_their_codes() {
        for kind in DutyKind::ALL {
            assert_eq!(DutyKind::from_code(kind.code()), Some(kind));
            assert!(!kind.label().is_empty());
        }
        assert_eq!(DutyKind::from_code("nap"), None);
    }
}
