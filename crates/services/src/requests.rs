//! Enterprise requests (政企通 诉求): an enterprise asks, the responsible
//! departments answer within a time limit, the enterprise rates the answer.
//!
//! # The matter
//!
//! A request has a kind ([`Category`]: policy, tax, financing, talent, land,
//! safety, technology transformation…) configured with the departments that
//! answer it and a time limit in working days (`config/requests.toml`,
//! [`RequestRules::shipped`]). When it is submitted it is *routed*: one
//! **part** per department, each due `days` working days after it was
//! assigned on the city's working-day calendar (the day of assignment never
//! counts). Service staff may add a department to a request still open; the
//! new part is due from the moment it was added.
//!
//! Each department answers its own part once. The request is
//! [`RequestState::Answered`] when every part is; the enterprise then rates
//! it once (1–5 stars, an optional comment) and it is
//! [`RequestState::Rated`], which closes it.
//!
//! # Time limits, reminders and escalation
//!
//! Nothing runs on a timer: a part's [`Standing`] is judged at `now` from
//! its due date ([`RequestRules::standing`]). Within `remind_days` working
//! days of the limit it is *due soon* (the lists remind); past the limit it
//! is *overdue*; `escalate_after_days` working days past it, *escalated*
//! (升级督办), which is what the service staff's escalation list shows first.
//!
//! # Indicators
//!
//! Per department ([`department_kpis`]): the on-time reply rate (of the
//! parts answered, or due by now, the share answered by their due date),
//! satisfaction (the enterprises' average rating of the requests the
//! department answered) and the average time to answer.
//!
//! The grid's case workflow ([`yiwang_cases`]) has a single handling unit per
//! case and a check step; a request has several equal parts and no check,
//! so it has its own small state machine here and shares only the
//! indicators' [`Rate`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use yiwang_cases::Rate;
use yiwang_core::{Timestamp, WorkingCalendar};

const SHIPPED_TOML: &str = include_str!("../config/requests.toml");

/// Longest title, in characters.
pub const TITLE_MAX: usize = 60;
/// Longest request text or reply, in characters.
pub const TEXT_MAX: usize = 2000;
/// Longest rating comment, in characters.
pub const COMMENT_MAX: usize = 500;

/// A department that answers requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub code: String,
    pub name: String,
}

/// A kind of request, its departments and its time limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name: String,
    /// The departments that answer it, each a part of its own.
    pub departments: Vec<String>,
    /// The time limit of each part, in working days.
    pub days: u32,
}

/// The configuration of enterprise requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRules {
    /// Working days before the limit at which a part is "due soon".
    pub remind_days: u32,
    /// Working days past the limit at which a part is escalated.
    pub escalate_after_days: u32,
    pub departments: Vec<Department>,
    pub categories: Vec<Category>,
}

/// Why a rules file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("诉求配置格式有误：{0}")]
    Syntax(String),
    #[error("诉求配置有误：{0}")]
    Invalid(String),
}

impl RequestRules {
    /// The shipped configuration (`config/requests.toml`).
    pub fn shipped() -> RequestRules {
        RequestRules::from_toml(SHIPPED_TOML).expect("config/requests.toml is valid")
    }

    /// Reads and checks a rules file: codes are unique, every category has
    /// at least one known department and a limit of 1 to 60 working days.
    pub fn from_toml(text: &str) -> Result<RequestRules, RulesError> {
        let rules: RequestRules =
            toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        rules.check()?;
        Ok(rules)
    }

    fn check(&self) -> Result<(), RulesError> {
        let mut depts = BTreeSet::new();
        for d in &self.departments {
            if d.code.trim().is_empty() || d.name.trim().is_empty() {
                return Err(RulesError::Invalid("部门的代码和名称不能为空".into()));
            }
            if !depts.insert(d.code.as_str()) {
                return Err(RulesError::Invalid(format!("部门代码 {} 重复", d.code)));
            }
        }
        let mut cats = BTreeSet::new();
        if self.categories.is_empty() {
            return Err(RulesError::Invalid("至少需要一个诉求类型".into()));
        }
        for c in &self.categories {
            if c.code.trim().is_empty() || c.name.trim().is_empty() {
                return Err(RulesError::Invalid("诉求类型的代码和名称不能为空".into()));
            }
            if !cats.insert(c.code.as_str()) {
                return Err(RulesError::Invalid(format!("诉求类型代码 {} 重复", c.code)));
            }
            if c.departments.is_empty() {
                return Err(RulesError::Invalid(format!(
                    "诉求类型 {} 没有责任部门",
                    c.code
                )));
            }
            let mut seen = BTreeSet::new();
            for d in &c.departments {
                if !depts.contains(d.as_str()) || !seen.insert(d) {
                    return Err(RulesError::Invalid(format!(
                        "诉求类型 {} 的部门 {d} 未定义或重复",
                        c.code
                    )));
                }
            }
            if !(1..=60).contains(&c.days) {
                return Err(RulesError::Invalid(format!(
                    "诉求类型 {} 的办理时限应为 1 至 60 个工作日",
                    c.code
                )));
            }
        }
        Ok(())
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }

    /// A department's name, or its code when it is no longer configured.
    pub fn department_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.department(code).map_or(code, |d| d.name.as_str())
    }

    /// A category's name, or its code when it is no longer configured.
    pub fn category_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.category(code).map_or(code, |c| c.name.as_str())
    }

    /// The parts of a request of `category` submitted at `at`: its
    /// departments, each due `days` working days later.
    pub fn route(
        &self,
        category: &str,
        at: Timestamp,
        calendar: &WorkingCalendar,
    ) -> Result<Vec<Routing>, Refusal> {
        let c = self.category(category).ok_or(Refusal::UnknownCategory)?;
        Ok(c.departments
            .iter()
            .map(|d| Routing {
                department: d.clone(),
                due_at: calendar.add_working_days(at, c.days),
            })
            .collect())
    }

    /// A department added to an open request of `category` at `at`: due
    /// the category's limit after `at`. Refused when the department is
    /// unknown, already on the request, or the request is not open.
    pub fn add_department(
        &self,
        category: &str,
        state: RequestState,
        existing: &[String],
        department: &str,
        at: Timestamp,
        calendar: &WorkingCalendar,
    ) -> Result<Routing, Refusal> {
        if state != RequestState::Open {
            return Err(Refusal::NotOpen);
        }
        if self.department(department).is_none() {
            return Err(Refusal::UnknownDepartment);
        }
        if existing.iter().any(|d| d == department) {
            return Err(Refusal::AlreadyRouted);
        }
        let days = self.category(category).map_or(5, |c| c.days);
        Ok(Routing {
            department: department.to_owned(),
            due_at: calendar.add_working_days(at, days),
        })
    }

    /// Where a part stands at `now`.
    pub fn standing(
        &self,
        part: &PartTimes,
        now: Timestamp,
        calendar: &WorkingCalendar,
    ) -> Standing {
        let due = Timestamp::from_micros(part.due_at);
        if let Some(at) = part.answered_at {
            return Standing::Answered {
                on_time: at <= part.due_at,
            };
        }
        if now >= due {
            if calendar.add_working_days(due, self.escalate_after_days) <= now {
                Standing::Escalated
            } else {
                Standing::Overdue
            }
        } else if calendar.add_working_days(now, self.remind_days) >= due {
            Standing::DueSoon
        } else {
            Standing::Open
        }
    }
}

/// One department's part of a new request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub department: String,
    pub due_at: Timestamp,
}

/// The times of a part, µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartTimes {
    pub assigned_at: i64,
    pub due_at: i64,
    pub answered_at: Option<i64>,
}

/// Where a part stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Standing {
    /// Escalated: `escalate_after_days` working days past its limit.
    Escalated,
    /// Past its limit, unanswered.
    Overdue,
    /// Unanswered, its limit within `remind_days` working days.
    DueSoon,
    /// Unanswered, in time.
    Open,
    /// Answered, on time or late.
    Answered { on_time: bool },
}

impl Standing {
    pub fn label(self) -> &'static str {
        match self {
            Standing::Escalated => "超期升级督办",
            Standing::Overdue => "已超期",
            Standing::DueSoon => "即将到期",
            Standing::Open => "办理中",
            Standing::Answered { on_time: true } => "已按期答复",
            Standing::Answered { on_time: false } => "超期后答复",
        }
    }

    /// The status badge's CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Standing::Escalated | Standing::Overdue => "status-overdue",
            Standing::DueSoon => "status-sold",
            Standing::Open => "status-upcoming",
            Standing::Answered { on_time: true } => "status-open",
            Standing::Answered { on_time: false } => "status-terminated",
        }
    }

    pub fn is_late(self) -> bool {
        matches!(self, Standing::Escalated | Standing::Overdue)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Some part is unanswered.
    Open,
    /// Every part is answered; the enterprise has not rated it yet.
    Answered,
    /// Rated by the enterprise: closed.
    Rated,
}

impl RequestState {
    pub const ALL: [RequestState; 3] = [
        RequestState::Open,
        RequestState::Answered,
        RequestState::Rated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Answered => "answered",
            RequestState::Rated => "rated",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RequestState::Open => "办理中",
            RequestState::Answered => "已答复待评价",
            RequestState::Rated => "已评价办结",
        }
    }

    pub fn from_code(code: &str) -> Option<RequestState> {
        RequestState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The state once the parts stand as `answered` (one flag per part).
    pub fn after_reply(answered: &[bool]) -> RequestState {
        if !answered.is_empty() && answered.iter().all(|a| *a) {
            RequestState::Answered
        } else {
            RequestState::Open
        }
    }
}

/// Why an action on a request is refused (shown to users as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("诉求类型不存在，请从列表中选择")]
    UnknownCategory,
    #[error("部门不存在，请从列表中选择")]
    UnknownDepartment,
    #[error("诉求已全部答复或已办结，不能再转派")]
    NotOpen,
    #[error("该部门已在办理此诉求")]
    AlreadyRouted,
    #[error("本部门已答复此诉求，不能重复答复")]
    AlreadyAnswered,
    #[error("此诉求没有分派给本部门")]
    NotRouted,
    #[error("各部门答复完毕后才能评价")]
    NotAnswered,
    #[error("此诉求已评价，不能重复评价")]
    AlreadyRated,
    #[error("此需求已被认领")]
    AlreadyTaken,
}

impl Refusal {
    /// A stable code for the API and the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::UnknownCategory => "unknown_category",
            Refusal::UnknownDepartment => "unknown_department",
            Refusal::NotOpen => "not_open",
            Refusal::AlreadyRouted => "already_routed",
            Refusal::AlreadyAnswered => "already_answered",
            Refusal::NotRouted => "not_routed",
            Refusal::NotAnswered => "not_answered",
            Refusal::AlreadyRated => "already_rated",
            Refusal::AlreadyTaken => "already_taken",
        }
    }
}

/// Whether a department may answer its part: the part exists and is
/// unanswered.
pub fn may_reply(part_answered: Option<bool>) -> Result<(), Refusal> {
    match part_answered {
        None => Err(Refusal::NotRouted),
        Some(true) => Err(Refusal::AlreadyAnswered),
        Some(false) => Ok(()),
    }
}

/// Whether the enterprise may rate the request now.
pub fn may_rate(state: RequestState) -> Result<(), Refusal> {
    match state {
        RequestState::Open => Err(Refusal::NotAnswered),
        RequestState::Answered => Ok(()),
        RequestState::Rated => Err(Refusal::AlreadyRated),
    }
}

/// Whether a need on the board may be taken: it is open and nobody took
/// it.
pub fn may_take(state: RequestState, taken: bool) -> Result<(), Refusal> {
    if state != RequestState::Open {
        return Err(Refusal::NotOpen);
    }
    if taken {
        return Err(Refusal::AlreadyTaken);
    }
    Ok(())
}

/// A problem with one field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

/// A request as the enterprise typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Submission {
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub contact_name: String,
    #[serde(default)]
    pub contact_phone: String,
    /// "on" when the enterprise lets departments and service providers
    /// see its contact on the matching board.
    #[serde(default)]
    pub share_contact: String,
}

/// A request checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSubmission {
    pub category: String,
    pub title: String,
    pub content: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub share_contact: bool,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A phone number as people write it: 7 to 20 digits, with `-`, spaces or
/// a leading `+`.
fn phone_ok(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    (7..=20).contains(&digits)
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (i == 0 && c == '+'))
}

impl Submission {
    /// Checks every field; all problems at once.
    pub fn check(&self, rules: &RequestRules) -> Result<CheckedSubmission, Vec<Problem>> {
        let mut problems = Vec::new();
        let category = self.category.trim();
        if rules.category(category).is_none() {
            problems.push(problem("category", Refusal::UnknownCategory.to_string()));
        }
        let title = self.title.trim();
        if title.is_empty() {
            problems.push(problem("title", "请填写诉求标题"));
        } else if chars(title) > TITLE_MAX {
            problems.push(problem(
                "title",
                format!("标题最多 {TITLE_MAX} 个字，现有 {} 个字", chars(title)),
            ));
        }
        let content = self.content.trim();
        if content.is_empty() {
            problems.push(problem(
                "content",
                "请写明诉求内容：遇到的问题和希望得到的帮助",
            ));
        } else if chars(content) > TEXT_MAX {
            problems.push(problem(
                "content",
                format!("诉求内容最多 {TEXT_MAX} 个字，现有 {} 个字", chars(content)),
            ));
        }
        let contact_name = self.contact_name.trim();
        if contact_name.is_empty() {
            problems.push(problem("contact_name", "请填写联系人"));
        } else if chars(contact_name) > 30 {
            problems.push(problem("contact_name", "联系人最多 30 个字"));
        }
        let contact_phone = self.contact_phone.trim();
        if !phone_ok(contact_phone) {
            problems.push(problem(
                "contact_phone",
                "请填写联系电话：手机号或带区号的固定电话，如 13912345678 或 0513-85000000",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(CheckedSubmission {
            category: category.to_owned(),
            title: title.to_owned(),
            content: content.to_owned(),
            contact_name: contact_name.to_owned(),
            contact_phone: contact_phone.to_owned(),
            share_contact: matches!(self.share_contact.trim(), "on" | "true" | "1"),
        })
    }
}

/// Checks a department's reply text.
pub fn check_reply(text: &str) -> Result<String, Problem> {
    let t = text.trim();
    if t.is_empty() {
        return Err(problem("reply", "请填写答复内容"));
    }
    if chars(t) > TEXT_MAX {
        return Err(problem(
            "reply",
            format!("答复最多 {TEXT_MAX} 个字，现有 {} 个字", chars(t)),
        ));
    }
    Ok(t.to_owned())
}

/// A rating as the enterprise gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score(u8);

impl Score {
    pub fn get(self) -> u8 {
        self.0
    }

    /// A whole number from 1 to 5.
    pub fn parse(text: &str) -> Result<Score, Problem> {
        match text.trim().parse::<u8>() {
            Ok(n @ 1..=5) => Ok(Score(n)),
            _ => Err(problem("rating", "请选择 1 至 5 星的评价")),
        }
    }
}

/// Checks a rating comment (optional).
pub fn check_comment(text: &str) -> Result<String, Problem> {
    let t = text.trim();
    if chars(t) > COMMENT_MAX {
        return Err(problem(
            "comment",
            format!("评价意见最多 {COMMENT_MAX} 个字，现有 {} 个字", chars(t)),
        ));
    }
    Ok(t.to_owned())
}

/// One part as the indicators count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiFact {
    pub department: String,
    pub times: PartTimes,
    /// The request's rating, once rated.
    pub rating: Option<u8>,
}

/// One department's indicators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeptKpi {
    pub department: String,
    /// Parts assigned.
    pub parts: u64,
    /// Parts answered.
    pub answered: u64,
    /// Of the parts answered or due by now, those answered by their limit.
    pub on_time: Rate,
    /// Parts unanswered and past their limit now.
    pub overdue: u64,
    /// Sum and count of the ratings of the rated requests it answered.
    pub rating_sum: u64,
    pub rated: u64,
    /// Sum of the times from assignment to answer, µs.
    pub answer_micros: i64,
}

impl DeptKpi {
    /// The average rating with one decimal ("4.5"), or "—".
    pub fn satisfaction_label(&self) -> String {
        match self.rated {
            0 => "—".to_owned(),
            n => {
                let tenths = (self.rating_sum * 10 + n / 2) / n;
                format!("{}.{}", tenths / 10, tenths % 10)
            }
        }
    }

    /// The average time to answer in days with one decimal ("2.5 天"), or
    /// "—".
    pub fn average_time_label(&self) -> String {
        match self.answered {
            0 => "—".to_owned(),
            n => {
                let day = 86_400_000_000_i64;
                let avg = self.answer_micros / n as i64;
                let tenths = (avg * 10 + day / 2) / day;
                format!("{}.{} 天", tenths / 10, tenths % 10)
            }
        }
    }
}

/// The indicators of each department with a part among `facts`, in the
/// order of the configured departments (unknown codes last), judged at
/// `now`.
pub fn department_kpis(rules: &RequestRules, facts: &[KpiFact], now: Timestamp) -> Vec<DeptKpi> {
    let mut by: BTreeMap<&str, DeptKpi> = BTreeMap::new();
    for f in facts {
        let k = by.entry(f.department.as_str()).or_insert_with(|| DeptKpi {
            department: f.department.clone(),
            ..DeptKpi::default()
        });
        k.parts += 1;
        match f.times.answered_at {
            Some(at) => {
                k.answered += 1;
                k.on_time.den += 1;
                if at <= f.times.due_at {
                    k.on_time.num += 1;
                }
                k.answer_micros += (at - f.times.assigned_at).max(0);
                if let Some(r) = f.rating {
                    k.rating_sum += u64::from(r);
                    k.rated += 1;
                }
            }
            None if f.times.due_at <= now.micros() => {
                k.on_time.den += 1;
                k.overdue += 1;
            }
            None => {}
        }
    }
    let order = |code: &str| {
        rules
            .departments
            .iter()
            .position(|d| d.code == code)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<DeptKpi> = by.into_values().collect();
    out.sort_by_key(|k| (order(&k.department), k.department.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::weekdays_only()
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn the_shipped_rules_load_and_tax_goes_to_two_departments() {
        let rules = RequestRules::shipped();
        let parts = rules
            .route("tax", at("2026-11-26T10:00:00+08:00"), &cal())
            .unwrap();
        let depts: Vec<&str> = parts.iter().map(|p| p.department.as_str()).collect();
        assert_eq!(depts, ["tax", "industry"]);
        assert_eq!(rules.department_name("tax"), "市税务局");
        assert_eq!(
            rules.route("nonsense", at("2026-11-26T10:00:00+08:00"), &cal()),
            Err(Refusal::UnknownCategory)
        );
    }

    #[test]
    fn time_limits_count_working_days_only() {
        let rules = RequestRules::shipped();
        // Thursday 26 November 2026, 10:00: five working days later is
        // Thursday 3 December (the weekend does not count).
        let parts = rules
            .route("policy", at("2026-11-26T10:00:00+08:00"), &cal())
            .unwrap();
        assert_eq!(parts[0].due_at, at("2026-12-03T10:00:00+08:00"));
        // Submitted on a Saturday: the limit counts from Monday.
        let parts = rules
            .route("policy", at("2026-11-28T10:00:00+08:00"), &cal())
            .unwrap();
        assert_eq!(parts[0].due_at, at("2026-12-04T10:00:00+08:00"));
    }

    #[test]
    fn standing_reminds_then_overdue_then_escalates() {
        let rules = RequestRules::shipped();
        let due = at("2026-12-03T10:00:00+08:00").micros();
        let part = PartTimes {
            assigned_at: at("2026-11-26T10:00:00+08:00").micros(),
            due_at: due,
            answered_at: None,
        };
        let s = |t: &str| rules.standing(&part, at(t), &cal());
        assert_eq!(s("2026-11-30T10:00:00+08:00"), Standing::Open);
        assert_eq!(s("2026-12-02T10:00:00+08:00"), Standing::DueSoon);
        assert_eq!(s("2026-12-03T09:59:59+08:00"), Standing::DueSoon);
        assert_eq!(s("2026-12-03T10:00:00+08:00"), Standing::Overdue);
        // Three working days past the limit: Tuesday 8 December.
        assert_eq!(s("2026-12-08T09:00:00+08:00"), Standing::Overdue);
        assert_eq!(s("2026-12-08T10:00:00+08:00"), Standing::Escalated);
        let answered = PartTimes {
            answered_at: Some(due),
            ..part
        };
        assert_eq!(
            rules.standing(&answered, at("2027-01-01T00:00:00+08:00"), &cal()),
            Standing::Answered { on_time: true }
        );
        let late = PartTimes {
            answered_at: Some(due + 1),
            ..part
        };
        assert_eq!(
            rules.standing(&late, at("2027-01-01T00:00:00+08:00"), &cal()),
            Standing::Answered { on_time: false }
        );
    }

    #[test]
    fn state_rules_hold() {
        assert_eq!(
            RequestState::after_reply(&[true, false]),
            RequestState::Open
        );
        assert_eq!(
            RequestState::after_reply(&[true, true]),
            RequestState::Answered
        );
        assert_eq!(RequestState::after_reply(&[]), RequestState::Open);
        assert_eq!(may_reply(None), Err(Refusal::NotRouted));
        assert_eq!(may_reply(Some(true)), Err(Refusal::AlreadyAnswered));
        assert_eq!(may_reply(Some(false)), Ok(()));
        assert_eq!(may_rate(RequestState::Open), Err(Refusal::NotAnswered));
        assert_eq!(may_rate(RequestState::Answered), Ok(()));
        assert_eq!(may_rate(RequestState::Rated), Err(Refusal::AlreadyRated));
        assert_eq!(may_take(RequestState::Open, false), Ok(()));
        assert_eq!(
            may_take(RequestState::Open, true),
            Err(Refusal::AlreadyTaken)
        );
        assert_eq!(
            may_take(RequestState::Answered, false),
            Err(Refusal::NotOpen)
        );
        for s in RequestState::ALL {
            assert_eq!(RequestState::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn departments_are_added_only_to_open_requests_once() {
        let rules = RequestRules::shipped();
        let now = at("2026-11-26T10:00:00+08:00");
        let existing = vec!["finance".to_owned()];
        let added = rules
            .add_department(
                "financing",
                RequestState::Open,
                &existing,
                "tax",
                now,
                &cal(),
            )
            .unwrap();
        assert_eq!(added.due_at, at("2026-12-07T10:00:00+08:00"));
        assert_eq!(
            rules.add_department(
                "financing",
                RequestState::Open,
                &existing,
                "finance",
                now,
                &cal()
            ),
            Err(Refusal::AlreadyRouted)
        );
        assert_eq!(
            rules.add_department(
                "financing",
                RequestState::Open,
                &existing,
                "mars",
                now,
                &cal()
            ),
            Err(Refusal::UnknownDepartment)
        );
        assert_eq!(
            rules.add_department(
                "financing",
                RequestState::Answered,
                &existing,
                "tax",
                now,
                &cal()
            ),
            Err(Refusal::NotOpen)
        );
    }

    #[test]
    fn submissions_are_checked_field_by_field() {
        let rules = RequestRules::shipped();
        let bad = Submission {
            category: "nope".into(),
            title: "".into(),
            content: "x".repeat(TEXT_MAX + 1),
            contact_name: "".into(),
            contact_phone: "abc".into(),
            share_contact: "".into(),
        };
        let fields: Vec<&str> = bad
            .check(&rules)
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "category",
                "title",
                "content",
                "contact_name",
                "contact_phone"
            ]
        );
        let good = Submission {
            category: "tax".into(),
            title: "  研发费用加计扣除  ".into(),
            content: "想了解今年的研发费用加计扣除政策".into(),
            contact_name: "李四".into(),
            contact_phone: "0513-85000000".into(),
            share_contact: "on".into(),
        };
        let c = good.check(&rules).unwrap();
        assert_eq!(c.title, "研发费用加计扣除");
        assert!(c.share_contact);
        assert!(check_reply("  ").is_err());
        assert_eq!(check_reply(" 已答复 ").unwrap(), "已答复");
        assert!(Score::parse("0").is_err());
        assert!(Score::parse("6").is_err());
        assert_eq!(Score::parse("5").unwrap().get(), 5);
        assert!(check_comment(&"好".repeat(COMMENT_MAX + 1)).is_err());
    }

    #[test]
    fn rules_files_are_checked() {
        assert!(matches!(
            RequestRules::from_toml("remind_days = 1"),
            Err(RulesError::Syntax(_))
        ));
        let text = SHIPPED_TOML.replace("departments = [\"finance\"]", "departments = [\"bank\"]");
        assert!(matches!(
            RequestRules::from_toml(&text),
            Err(RulesError::Invalid(_))
        ));
        let text = SHIPPED_TOML.replace("days = 7", "days = 0");
        assert!(matches!(
            RequestRules::from_toml(&text),
            Err(RulesError::Invalid(_))
        ));
    }

    #[test]
    fn department_indicators_follow_their_definitions() {
        let rules = RequestRules::shipped();
        let day = 86_400_000_000_i64;
        let t0 = at("2026-11-02T10:00:00+08:00").micros();
        let part = |d: &str, answered: Option<i64>, rating| KpiFact {
            department: d.to_owned(),
            times: PartTimes {
                assigned_at: t0,
                due_at: t0 + 7 * day,
                answered_at: answered.map(|a| t0 + a * day),
            },
            rating,
        };
        let facts = vec![
            part("tax", Some(2), Some(5)),
            part("tax", Some(9), Some(2)),
            part("tax", None, None),
            part("industry", Some(1), None),
            part("industry", None, None),
        ];
        // Now: 5 days in, so the unanswered parts are not yet due.
        let k = department_kpis(&rules, &facts, Timestamp::from_micros(t0 + 5 * day));
        assert_eq!(k[0].department, "industry");
        assert_eq!(k[1].department, "tax");
        let tax = &k[1];
        assert_eq!((tax.parts, tax.answered, tax.overdue), (3, 2, 0));
        assert_eq!((tax.on_time.num, tax.on_time.den), (1, 2));
        assert_eq!(tax.satisfaction_label(), "3.5");
        assert_eq!(tax.average_time_label(), "5.5 天");
        // Later, the unanswered tax part is overdue and counts as late.
        let k = department_kpis(&rules, &facts, Timestamp::from_micros(t0 + 8 * day));
        assert_eq!(
            (k[1].on_time.num, k[1].on_time.den, k[1].overdue),
            (1, 3, 1)
        );
        assert_eq!(k[0].satisfaction_label(), "—");
    }
}
