//! Enterprise visits (千企询访): the bureau's service staff plan visits to
//! enterprises, go, and record what they found; a finding the enterprise
//! needs help with becomes an enterprise request (诉求) in one step.
//!
//! # The life of a visit
//!
//! 1. **Planned**: an enterprise, a day, one or more staff going, and what
//!    for. A plan may be **cancelled** with a reason, and is then closed.
//! 2. **Recorded**: the day it took place (not after today), the people met,
//!    the staff who went, and its findings, each a short text of a kind of
//!    request ([`crate::requests::Category`]). A visit may be recorded
//!    without findings.
//! 3. A recorded visit may be corrected for [`EDIT_DAYS`] days after it was
//!    first recorded; after that it is the record and is kept as it is.
//!    A finding already turned into a request stays as it is.
//!
//! A finding is turned into a request (转为诉求) by the staff: the request is
//! routed to its kind's departments exactly as if the enterprise had asked
//! ([`crate::requests::RequestRules::route`]), with the staff member as its
//! submitter; the finding names the request and the request page names the
//! visit ([`finding_request`] writes its title and text).
//!
//! # Coverage
//!
//! A year's coverage counts, for each registered enterprise, its recorded
//! visits whose day falls in the year (Beijing time, half-open
//! [`year_window`]), who went and the last day; enterprises with none are
//! "not yet visited".

use time::{Date, Month};
use yiwang_core::Timestamp;

use crate::requests::RequestRules;

/// Days after it was first recorded during which a visit may be corrected.
pub const EDIT_DAYS: i64 = 7;
/// Longest purpose of a plan, in characters.
pub const PURPOSE_MAX: usize = 200;
/// Longest list of people met, in characters.
pub const PEOPLE_MAX: usize = 200;
/// Longest finding, in characters.
pub const FINDING_MAX: usize = 500;
/// Most findings of one visit.
pub const FINDINGS_MAX: usize = 20;
/// Most staff on one visit.
pub const STAFF_MAX: usize = 10;
/// Longest cancellation reason, in characters.
pub const REASON_MAX: usize = 200;
/// How far from today a plan may be dated, in days.
pub const PLAN_RANGE_DAYS: i64 = 366;

const DAY: i64 = 86_400_000_000;

/// Where a visit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitState {
    Planned,
    Recorded,
    Cancelled,
}

impl VisitState {
    pub const ALL: [VisitState; 3] = [
        VisitState::Planned,
        VisitState::Recorded,
        VisitState::Cancelled,
    ];

    /// The code stored.
    pub fn code(self) -> &'static str {
        match self {
            VisitState::Planned => "planned",
            VisitState::Recorded => "recorded",
            VisitState::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<VisitState> {
        VisitState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// As pages show it.
    pub fn label(self) -> &'static str {
        match self {
            VisitState::Planned => "已计划",
            VisitState::Recorded => "已走访",
            VisitState::Cancelled => "已取消",
        }
    }
}

/// What is wrong with a plan, a record or a request to change one. Each
/// names the form field it concerns ([`Problem::field`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("请选择走访的企业")]
    NoEnterprise,
    #[error("请填写计划走访日期，格式为“年-月-日”，例如 2026-05-20")]
    PlannedOn,
    #[error("计划走访日期应在今天前后一年之内")]
    PlannedOutOfRange,
    #[error("请至少选择一名走访人员")]
    NoStaff,
    #[error("走访人员不超过 {STAFF_MAX} 名")]
    TooManyStaff,
    #[error("走访事由不超过 {PURPOSE_MAX} 个字")]
    PurposeTooLong,
    #[error("请填写实际走访日期，格式为“年-月-日”，例如 2026-05-20")]
    VisitedOn,
    #[error("实际走访日期不能晚于今天")]
    VisitedInFuture,
    #[error("请填写走访时见到的企业人员（姓名、职务）")]
    NoPeople,
    #[error("见到的企业人员不超过 {PEOPLE_MAX} 个字")]
    PeopleTooLong,
    #[error("第 {0} 条问题请选择问题类型")]
    FindingKind(usize),
    #[error("第 {0} 条问题请填写问题内容")]
    FindingEmpty(usize),
    #[error("第 {0} 条问题不超过 {FINDING_MAX} 个字")]
    FindingTooLong(usize),
    #[error("一次走访最多记录 {FINDINGS_MAX} 条问题")]
    TooManyFindings,
    #[error("请填写取消原因")]
    NoReason,
    #[error("取消原因不超过 {REASON_MAX} 个字")]
    ReasonTooLong,
}

impl Problem {
    /// The form field the problem concerns.
    pub fn field(&self) -> &'static str {
        match self {
            Problem::NoEnterprise => "enterprise",
            Problem::PlannedOn | Problem::PlannedOutOfRange => "planned_on",
            Problem::NoStaff | Problem::TooManyStaff => "staff",
            Problem::PurposeTooLong => "purpose",
            Problem::VisitedOn | Problem::VisitedInFuture => "visited_on",
            Problem::NoPeople | Problem::PeopleTooLong => "people_met",
            Problem::FindingKind(_)
            | Problem::FindingEmpty(_)
            | Problem::FindingTooLong(_)
            | Problem::TooManyFindings => "findings",
            Problem::NoReason | Problem::ReasonTooLong => "reason",
        }
    }
}

/// Why a change to a visit is refused as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("该走访已取消，不能再登记或修改")]
    Cancelled,
    #[error("该走访已登记，不能取消")]
    AlreadyRecorded,
    #[error("走访记录登记满 {EDIT_DAYS} 天后不能再修改")]
    EditWindowClosed,
    #[error("该走访尚未登记走访情况")]
    NotRecorded,
    #[error("该问题已转为诉求")]
    AlreadyConverted,
}

impl Refusal {
    /// A stable code for logs and the API.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Cancelled => "visit_cancelled",
            Refusal::AlreadyRecorded => "visit_recorded",
            Refusal::EditWindowClosed => "visit_edit_window_closed",
            Refusal::NotRecorded => "visit_not_recorded",
            Refusal::AlreadyConverted => "finding_converted",
        }
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &fmt).ok()
}

/// A plan as checked: the day (Beijing midnight, µs), the staff ids as
/// given (the caller knows which users are service staff) and the purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPlan {
    pub planned_on: i64,
    pub purpose: String,
}

/// Checks a plan's day, staff count and purpose; `staff` is how many staff
/// were chosen.
pub fn check_plan(
    planned_on: &str,
    staff: usize,
    purpose: &str,
    today: Date,
) -> Result<CheckedPlan, Vec<Problem>> {
    let mut problems = Vec::new();
    let day = parse_date(planned_on);
    match day {
        None => problems.push(Problem::PlannedOn),
        Some(d) if (d - today).whole_days().abs() > PLAN_RANGE_DAYS => {
            problems.push(Problem::PlannedOutOfRange)
        }
        Some(_) => {}
    }
    staff_count(&mut problems, staff);
    let purpose = purpose.trim();
    if purpose.chars().count() > PURPOSE_MAX {
        problems.push(Problem::PurposeTooLong);
    }
    match day {
        Some(d) if problems.is_empty() => Ok(CheckedPlan {
            planned_on: day_start(d),
            purpose: purpose.to_owned(),
        }),
        _ => Err(problems),
    }
}

fn staff_count(problems: &mut Vec<Problem>, staff: usize) {
    if staff == 0 {
        problems.push(Problem::NoStaff);
    } else if staff > STAFF_MAX {
        problems.push(Problem::TooManyStaff);
    }
}

/// A finding as entered: its kind (a request category code) and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingInput {
    pub kind: String,
    pub text: String,
}

/// A record as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRecord {
    /// Beijing midnight of the day, µs.
    pub visited_on: i64,
    pub people_met: String,
    /// (kind, text), in the order entered.
    pub findings: Vec<(String, String)>,
}

/// Checks a visit's record. Rows with neither kind nor text are blank form
/// rows and are skipped; `kept` is how many findings already turned into
/// requests stay on the visit (they count towards [`FINDINGS_MAX`]).
pub fn check_record(
    visited_on: &str,
    people_met: &str,
    staff: usize,
    findings: &[FindingInput],
    kept: usize,
    rules: &RequestRules,
    today: Date,
) -> Result<CheckedRecord, Vec<Problem>> {
    let mut problems = Vec::new();
    let day = parse_date(visited_on);
    match day {
        None => problems.push(Problem::VisitedOn),
        Some(d) if d > today => problems.push(Problem::VisitedInFuture),
        Some(_) => {}
    }
    let people = people_met.trim();
    if people.is_empty() {
        problems.push(Problem::NoPeople);
    } else if people.chars().count() > PEOPLE_MAX {
        problems.push(Problem::PeopleTooLong);
    }
    staff_count(&mut problems, staff);
    let mut out = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let (kind, text) = (f.kind.trim(), f.text.trim());
        if kind.is_empty() && text.is_empty() {
            continue;
        }
        let n = i + 1;
        if rules.category(kind).is_none() {
            problems.push(Problem::FindingKind(n));
        }
        if text.is_empty() {
            problems.push(Problem::FindingEmpty(n));
        } else if text.chars().count() > FINDING_MAX {
            problems.push(Problem::FindingTooLong(n));
        }
        out.push((kind.to_owned(), text.to_owned()));
    }
    if out.len() + kept > FINDINGS_MAX {
        problems.push(Problem::TooManyFindings);
    }
    match day {
        Some(d) if problems.is_empty() => Ok(CheckedRecord {
            visited_on: day_start(d),
            people_met: people.to_owned(),
            findings: out,
        }),
        _ => Err(problems),
    }
}

/// Checks a cancellation reason.
pub fn check_reason(reason: &str) -> Result<String, Problem> {
    let reason = reason.trim();
    if reason.is_empty() {
        Err(Problem::NoReason)
    } else if reason.chars().count() > REASON_MAX {
        Err(Problem::ReasonTooLong)
    } else {
        Ok(reason.to_owned())
    }
}

/// Whether a visit in `state` may be cancelled.
pub fn may_cancel(state: VisitState) -> Result<(), Refusal> {
    match state {
        VisitState::Planned => Ok(()),
        VisitState::Recorded => Err(Refusal::AlreadyRecorded),
        VisitState::Cancelled => Err(Refusal::Cancelled),
    }
}

/// Whether a visit in `state`, first recorded at `recorded_at`, may be
/// recorded (or corrected) at `now`: a plan always, a record within
/// [`EDIT_DAYS`] days of its first recording.
pub fn may_record(state: VisitState, recorded_at: Option<i64>, now: i64) -> Result<(), Refusal> {
    match state {
        VisitState::Cancelled => Err(Refusal::Cancelled),
        VisitState::Planned => Ok(()),
        VisitState::Recorded => match recorded_at {
            Some(at) if now < editable_until(at) => Ok(()),
            _ => Err(Refusal::EditWindowClosed),
        },
    }
}

/// The end (exclusive) of the correction window of a visit first recorded
/// at `recorded_at`.
pub fn editable_until(recorded_at: i64) -> i64 {
    recorded_at + EDIT_DAYS * DAY
}

/// Whether a finding may be turned into a request: its visit is recorded
/// and it has no request yet.
pub fn may_convert(state: VisitState, converted: bool) -> Result<(), Refusal> {
    match state {
        VisitState::Recorded if converted => Err(Refusal::AlreadyConverted),
        VisitState::Recorded => Ok(()),
        VisitState::Cancelled => Err(Refusal::Cancelled),
        VisitState::Planned => Err(Refusal::NotRecorded),
    }
}

/// The title and text of the request a finding becomes: the title is the
/// finding's first words (at most the requests' title length), the text is
/// the finding and where it came from.
pub fn finding_request(
    visit_number: &str,
    visited_on: i64,
    enterprise: &str,
    finding: &str,
) -> (String, String) {
    let max = crate::requests::TITLE_MAX;
    let first_line = finding.lines().next().unwrap_or("").trim();
    let title: String = if first_line.chars().count() > max {
        first_line
            .chars()
            .take(max - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        first_line.to_owned()
    };
    let content = format!(
        "{finding}\n\n（千企询访 {visit_number}：{} 走访{enterprise}时了解到的问题，由走访人员代为提交。）",
        Timestamp::from_micros(visited_on).format_cn_date()
    );
    (title, content)
}

/// Beijing midnight of a day, µs.
pub fn day_start(d: Date) -> i64 {
    Timestamp::from_shanghai(d, 0, 0, 0).micros()
}

/// The year `[1 January, next 1 January)` in Beijing time, µs; `None` for
/// a year out of range.
pub fn year_window(year: i32) -> Option<(i64, i64)> {
    let from = Date::from_calendar_date(year, Month::January, 1).ok()?;
    let to = Date::from_calendar_date(year + 1, Month::January, 1).ok()?;
    Some((day_start(from), day_start(to)))
}

/// The `YYYY-MM` of a time in Beijing.
pub fn month_of(at: i64) -> String {
    let d = Timestamp::from_micros(at).shanghai_date();
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rules() -> RequestRules {
        RequestRules::shipped()
    }

    fn finding(kind: &str, text: &str) -> FindingInput {
        FindingInput {
            kind: kind.to_owned(),
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_plan_needs_a_day_near_today_and_staff() {
        let today = date!(2026 - 05 - 20);
        let ok = check_plan("2026-05-25", 2, " 了解智能化改造 ", today).unwrap();
        assert_eq!(ok.planned_on, day_start(date!(2026 - 05 - 25)));
        assert_eq!(ok.purpose, "了解智能化改造");
        assert_eq!(
            check_plan("2026/05/25", 0, "", today).unwrap_err(),
            vec![Problem::PlannedOn, Problem::NoStaff]
        );
        assert_eq!(
            check_plan("2028-01-01", 1, "", today).unwrap_err(),
            vec![Problem::PlannedOutOfRange]
        );
        assert_eq!(
            check_plan("2026-05-25", STAFF_MAX + 1, &"事".repeat(201), today).unwrap_err(),
            vec![Problem::TooManyStaff, Problem::PurposeTooLong]
        );
    }

    #[test]
    fn a_record_checks_day_people_and_each_finding() {
        let today = date!(2026 - 05 - 20);
        let ok = check_record(
            "2026-05-20",
            "张总经理",
            1,
            &[
                finding("financing", "流动资金缺口约 500 万元"),
                finding("", ""),
                finding("talent", " 缺数控技工 "),
            ],
            0,
            &rules(),
            today,
        )
        .unwrap();
        assert_eq!(ok.visited_on, day_start(today));
        assert_eq!(
            ok.findings,
            vec![
                ("financing".to_owned(), "流动资金缺口约 500 万元".to_owned()),
                ("talent".to_owned(), "缺数控技工".to_owned()),
            ]
        );
        let bad = check_record(
            "2026-05-21",
            " ",
            0,
            &[
                finding("nonsense", "x"),
                finding("tax", ""),
                finding("tax", &"长".repeat(FINDING_MAX + 1)),
            ],
            0,
            &rules(),
            today,
        )
        .unwrap_err();
        assert_eq!(
            bad,
            vec![
                Problem::VisitedInFuture,
                Problem::NoPeople,
                Problem::NoStaff,
                Problem::FindingKind(1),
                Problem::FindingEmpty(2),
                Problem::FindingTooLong(3),
            ]
        );
        assert_eq!(bad[3].to_string(), "第 1 条问题请选择问题类型");
        assert_eq!(bad[3].field(), "findings");
    }

    #[test]
    fn kept_findings_count_towards_the_limit() {
        let today = date!(2026 - 05 - 20);
        let two = [finding("tax", "a"), finding("tax", "b")];
        assert!(check_record("2026-05-01", "王", 1, &two, 18, &rules(), today).is_ok());
        assert_eq!(
            check_record("2026-05-01", "王", 1, &two, 19, &rules(), today).unwrap_err(),
            vec![Problem::TooManyFindings]
        );
    }

    #[test]
    fn records_may_be_corrected_for_seven_days_only() {
        let at = 1_780_000_000_000_000;
        assert_eq!(may_record(VisitState::Planned, None, at), Ok(()));
        assert_eq!(
            may_record(VisitState::Recorded, Some(at), at + EDIT_DAYS * DAY - 1),
            Ok(())
        );
        assert_eq!(
            may_record(VisitState::Recorded, Some(at), at + EDIT_DAYS * DAY),
            Err(Refusal::EditWindowClosed)
        );
        assert_eq!(
            may_record(VisitState::Cancelled, None, at),
            Err(Refusal::Cancelled)
        );
    }

    #[test]
    fn only_plans_are_cancelled_and_only_recorded_findings_converted() {
        assert_eq!(may_cancel(VisitState::Planned), Ok(()));
        assert_eq!(
            may_cancel(VisitState::Recorded),
            Err(Refusal::AlreadyRecorded)
        );
        assert_eq!(may_cancel(VisitState::Cancelled), Err(Refusal::Cancelled));
        assert_eq!(may_convert(VisitState::Recorded, false), Ok(()));
        assert_eq!(
            may_convert(VisitState::Recorded, true),
            Err(Refusal::AlreadyConverted)
        );
        assert_eq!(
            may_convert(VisitState::Planned, false),
            Err(Refusal::NotRecorded)
        );
        assert_eq!(check_reason("  "), Err(Problem::NoReason));
        assert_eq!(check_reason(" 企业停产检修 ").unwrap(), "企业停产检修");
    }

    #[test]
    fn a_finding_becomes_a_titled_request_naming_its_visit() {
        let on = day_start(date!(2026 - 03 - 05));
        let (title, content) = finding_request("QF20260301-0002", on, "精工机械", "缺技工\n详情");
        assert_eq!(title, "缺技工");
        assert!(content.starts_with("缺技工\n详情\n\n"));
        assert!(content.contains("千企询访 QF20260301-0002"));
        assert!(content.contains("2026年03月05日 走访精工机械"));
        let (long, _) = finding_request("QF1", on, "x", &"字".repeat(100));
        assert_eq!(long.chars().count(), crate::requests::TITLE_MAX);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn years_are_half_open_in_beijing_time() {
        let (from, to) = year_window(2026).unwrap();
        assert_eq!(from, day_start(date!(2026 - 01 - 01)));
        assert_eq!(to, day_start(date!(2027 - 01 - 01)));
        assert_eq!(month_of(from), "2026-01");
        assert_eq!(month_of(to - 1), "2026-12");
        assert_eq!(month_of(to), "2027-01");
    }
}
