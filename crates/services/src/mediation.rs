//! Online labour mediation (不见面维权): a worker or an enterprise brings a
//! labour dispute online, a mediator of the union or the service centre
//! takes it up, the parties talk it through on the case's page and meet,
//! and the mediator records how it ended.
//!
//! # The matter
//!
//! A case names the worker (name and phone), the enterprise (by name, linked
//! to its account when its unified social credit code is given and
//! registered), the kind of dispute ([`Kind`], configured in
//! `config/mediation.toml`: 欠薪, 劳动合同, 社会保险, 工伤, 加班与休息,
//! 解除劳动关系, 其他), the facts, what is asked and, optionally, the amount
//! claimed in fen.
//!
//! # The workflow
//!
//! ```text
//! submitted ──accept──▶ mediating ──outcome──▶ closed
//!     │                     │
//!     ├──refuse──▶ refused  └──withdraw──▶ closed (撤回)
//!     └──withdraw──▶ closed (撤回)
//! ```
//!
//! - A mediator **accepts** a submitted case, or **refuses** it with a
//!   reason (outside the mediation's scope, already before a court…).
//! - While it is being mediated the parties and the mediator exchange
//!   **messages** and **documents**, and the mediator **schedules meetings**,
//!   online or in person at a place.
//! - The mediator records the **outcome** ([`Outcome`]): 调解成功 with the
//!   agreement's text and the amount agreed, 转劳动仲裁, 转法律援助 or
//!   调解不成, each with a note; the case is then closed.
//! - The applicant may **withdraw** (撤回) while the case is open.
//!
//! # The time limit
//!
//! Mediation should conclude within fifteen days of acceptance
//! (劳动争议调解仲裁法 第十四条; `limit_days`). Nothing runs on a timer: a
//! case's [`Standing`] is judged from its due date when a page is drawn.
//!
//! The grid's case workflow ([`yiwang_cases`]) dispatches one handling unit,
//! counts working hours and ends with a check and an evaluation; a mediation
//! has two parties and a mediator talking, calendar days set by law and
//! outcomes of its own, so it has its own small state machine here, in the
//! style of [`crate::requests`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use yiwang_core::{CreditCode, Money, Timestamp};

const SHIPPED_TOML: &str = include_str!("../config/mediation.toml");

/// One day, in microseconds.
pub const DAY_MICROS: i64 = 86_400_000_000;
/// Longest facts, request, message or agreement, in characters.
pub const TEXT_MAX: usize = 2000;
/// Longest reason or note, in characters.
pub const NOTE_MAX: usize = 500;
/// Largest document, in bytes.
pub const DOCUMENT_MAX_BYTES: usize = 5 * 1024 * 1024;
/// Document types accepted, with the label users read.
pub const DOCUMENT_TYPES: [(&str, &str); 3] = [
    ("application/pdf", "PDF"),
    ("image/jpeg", "JPEG"),
    ("image/png", "PNG"),
];
/// Days before the limit at which an open mediation is "due soon".
pub const REMIND_DAYS: i64 = 3;

/// A kind of dispute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kind {
    pub code: String,
    pub name: String,
}

/// The configuration of mediation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediationRules {
    /// Calendar days from acceptance within which mediation should end.
    pub limit_days: u32,
    pub kinds: Vec<Kind>,
}

/// Why a rules file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("调解配置格式有误：{0}")]
    Syntax(String),
    #[error("调解配置有误：{0}")]
    Invalid(String),
}

impl MediationRules {
    /// The shipped configuration (`config/mediation.toml`).
    pub fn shipped() -> MediationRules {
        MediationRules::from_toml(SHIPPED_TOML).expect("config/mediation.toml is valid")
    }

    /// Reads and checks a rules file: at least one kind, unique non-empty
    /// codes and names, a limit of 1 to 60 days.
    pub fn from_toml(text: &str) -> Result<MediationRules, RulesError> {
        let rules: MediationRules =
            toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        rules.check()?;
        Ok(rules)
    }

    fn check(&self) -> Result<(), RulesError> {
        if !(1..=60).contains(&self.limit_days) {
            return Err(RulesError::Invalid(format!(
                "调解期限应为 1 至 60 天，现为 {} 天",
                self.limit_days
            )));
        }
        if self.kinds.is_empty() {
            return Err(RulesError::Invalid("至少应有一种争议类型".into()));
        }
        let mut codes = BTreeSet::new();
        for k in &self.kinds {
            if k.code.trim().is_empty() || k.name.trim().is_empty() {
                return Err(RulesError::Invalid("争议类型的代码和名称不能为空".into()));
            }
            if !codes.insert(k.code.as_str()) {
                return Err(RulesError::Invalid(format!("争议类型代码 {} 重复", k.code)));
            }
        }
        Ok(())
    }

    pub fn kind(&self, code: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.code == code)
    }

    /// The kind's name, or its code when it is no longer configured.
    pub fn kind_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.kind(code).map_or(code, |k| k.name.as_str())
    }

    /// When a mediation accepted at `accepted_at` should have ended.
    pub fn due_at(&self, accepted_at: Timestamp) -> Timestamp {
        accepted_at.add_micros(i64::from(self.limit_days) * DAY_MICROS)
    }
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediationState {
    /// Waiting for a mediator to accept or refuse it.
    Submitted,
    /// Accepted and being mediated.
    Mediating,
    /// Not accepted (with a reason): closed.
    Refused,
    /// An outcome is recorded: closed.
    Closed,
}

impl MediationState {
    pub const ALL: [MediationState; 4] = [
        MediationState::Submitted,
        MediationState::Mediating,
        MediationState::Refused,
        MediationState::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MediationState::Submitted => "submitted",
            MediationState::Mediating => "mediating",
            MediationState::Refused => "refused",
            MediationState::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MediationState::Submitted => "待受理",
            MediationState::Mediating => "调解中",
            MediationState::Refused => "不予受理",
            MediationState::Closed => "已结案",
        }
    }

    pub fn from_code(code: &str) -> Option<MediationState> {
        MediationState::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Submitted or being mediated.
    pub fn is_open(self) -> bool {
        matches!(self, MediationState::Submitted | MediationState::Mediating)
    }
}

/// How a mediation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 调解成功: an agreement, with the amount agreed.
    Agreed,
    /// 转劳动仲裁: referred to the labour arbitration commission.
    Arbitration,
    /// 转法律援助: referred to legal aid.
    LegalAid,
    /// 撤回: withdrawn by the applicant.
    Withdrawn,
    /// 调解不成: no agreement.
    Failed,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Agreed,
        Outcome::Arbitration,
        Outcome::LegalAid,
        Outcome::Withdrawn,
        Outcome::Failed,
    ];

    /// The outcomes a mediator records (withdrawal is the applicant's).
    pub const RECORDED: [Outcome; 4] = [
        Outcome::Agreed,
        Outcome::Arbitration,
        Outcome::LegalAid,
        Outcome::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Outcome::Agreed => "agreed",
            Outcome::Arbitration => "arbitration",
            Outcome::LegalAid => "legal_aid",
            Outcome::Withdrawn => "withdrawn",
            Outcome::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Agreed => "调解成功",
            Outcome::Arbitration => "转劳动仲裁",
            Outcome::LegalAid => "转法律援助",
            Outcome::Withdrawn => "撤回",
            Outcome::Failed => "调解不成",
        }
    }

    pub fn from_code(code: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// Who acts on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The worker named by the case (its account).
    Worker,
    /// The enterprise named by the case (an account of that enterprise).
    Enterprise,
    /// A mediator (union or service staff).
    Mediator,
}

impl Side {
    pub fn code(self) -> &'static str {
        match self {
            Side::Worker => "worker",
            Side::Enterprise => "enterprise",
            Side::Mediator => "mediator",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::Worker => "职工",
            Side::Enterprise => "企业",
            Side::Mediator => "调解员",
        }
    }

    pub fn from_code(code: &str) -> Option<Side> {
        [Side::Worker, Side::Enterprise, Side::Mediator]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

/// Something done to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Refuse,
    Message,
    Document,
    Meeting,
    Record(Outcome),
    Withdraw,
}

/// A line of a case's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Submitted,
    Accepted,
    Refused,
    Message,
    Document,
    Meeting,
    Outcome,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::Submitted,
        EventKind::Accepted,
        EventKind::Refused,
        EventKind::Message,
        EventKind::Document,
        EventKind::Meeting,
        EventKind::Outcome,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventKind::Submitted => "submitted",
            EventKind::Accepted => "accepted",
            EventKind::Refused => "refused",
            EventKind::Message => "message",
            EventKind::Document => "document",
            EventKind::Meeting => "meeting",
            EventKind::Outcome => "outcome",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::Submitted => "提交申请",
            EventKind::Accepted => "受理",
            EventKind::Refused => "不予受理",
            EventKind::Message => "留言",
            EventKind::Document => "上传材料",
            EventKind::Meeting => "安排调解会",
            EventKind::Outcome => "调解结果",
        }
    }

    pub fn from_code(code: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// Why an action on a case is refused (shown to users as is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("只有调解员可以受理、不予受理、安排调解会或记录调解结果")]
    NotMediator,
    #[error("只有申请人可以撤回申请")]
    NotApplicant,
    #[error("该申请已受理或已办结，不能再受理或不予受理")]
    NotSubmitted,
    #[error("调解尚未开始或已结束：受理后、结案前才能留言、上传材料或安排调解会")]
    NotMediating,
    #[error("该案件已办结，不能再撤回")]
    NotOpen,
    #[error("撤回由申请人办理，调解员不能代为记录")]
    WithdrawnByApplicant,
}

impl Refusal {
    /// A stable code for the API and the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotMediator => "not_mediator",
            Refusal::NotApplicant => "not_applicant",
            Refusal::NotSubmitted => "not_submitted",
            Refusal::NotMediating => "not_mediating",
            Refusal::NotOpen => "not_open",
            Refusal::WithdrawnByApplicant => "withdrawn_by_applicant",
        }
    }
}

/// The state machine: whether `side` (the applicant or not) may do `action`
/// on a case in `state`, and the state after it.
pub fn next_state(
    state: MediationState,
    side: Side,
    applicant: bool,
    action: Action,
) -> Result<MediationState, Refusal> {
    use MediationState as S;
    match action {
        Action::Accept | Action::Refuse => {
            if side != Side::Mediator {
                return Err(Refusal::NotMediator);
            }
            if state != S::Submitted {
                return Err(Refusal::NotSubmitted);
            }
            Ok(if action == Action::Accept {
                S::Mediating
            } else {
                S::Refused
            })
        }
        Action::Message | Action::Document => {
            if state != S::Mediating {
                return Err(Refusal::NotMediating);
            }
            Ok(state)
        }
        Action::Meeting => {
            if side != Side::Mediator {
                return Err(Refusal::NotMediator);
            }
            if state != S::Mediating {
                return Err(Refusal::NotMediating);
            }
            Ok(state)
        }
        Action::Record(outcome) => {
            if side != Side::Mediator {
                return Err(Refusal::NotMediator);
            }
            if outcome == Outcome::Withdrawn {
                return Err(Refusal::WithdrawnByApplicant);
            }
            if state != S::Mediating {
                return Err(Refusal::NotMediating);
            }
            Ok(S::Closed)
        }
        Action::Withdraw => {
            if side == Side::Mediator || !applicant {
                return Err(Refusal::NotApplicant);
            }
            if !state.is_open() {
                return Err(Refusal::NotOpen);
            }
            Ok(S::Closed)
        }
    }
}

/// How an open mediation stands against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not accepted yet, or closed: no limit runs.
    NoLimit,
    InTime,
    /// Within [`REMIND_DAYS`] of the limit.
    DueSoon,
    /// Past the limit (超期).
    Overdue,
}

impl Standing {
    /// Judged at `now` (half-open: at the due instant it is overdue).
    pub fn of(state: MediationState, due_at: Option<Timestamp>, now: Timestamp) -> Standing {
        match (state, due_at) {
            (MediationState::Mediating, Some(due)) if now >= due => Standing::Overdue,
            (MediationState::Mediating, Some(due))
                if now.add_micros(REMIND_DAYS * DAY_MICROS) >= due =>
            {
                Standing::DueSoon
            }
            (MediationState::Mediating, Some(_)) => Standing::InTime,
            _ => Standing::NoLimit,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Standing::NoLimit => "",
            Standing::InTime => "期限内",
            Standing::DueSoon => "即将到期",
            Standing::Overdue => "已超期",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Standing::NoLimit | Standing::InTime => "",
            Standing::DueSoon => "warn",
            Standing::Overdue => "late",
        }
    }
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

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A required text of at most `max` characters.
fn text(
    problems: &mut Vec<Problem>,
    field: &'static str,
    value: &str,
    missing: &str,
    label: &str,
    max: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        problems.push(problem(field, missing));
    } else if chars(v) > max {
        problems.push(problem(
            field,
            format!("{label}最多 {max} 个字，现有 {} 个字", chars(v)),
        ));
    }
    v.to_owned()
}

/// A mainland mobile number or a landline with its area code.
pub fn phone_ok(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let b = digits.as_bytes();
    (b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]))
        || (b.first() == Some(&b'0') && (10..=12).contains(&b.len()))
}

/// An application as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Application {
    #[serde(default)]
    pub worker_name: String,
    #[serde(default)]
    pub worker_phone: String,
    #[serde(default)]
    pub enterprise_name: String,
    /// The enterprise's unified social credit code, when known.
    #[serde(default)]
    pub enterprise_code: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub facts: String,
    /// What the applicant asks for (请求事项).
    #[serde(default)]
    pub claims: String,
    /// The amount claimed in yuan, optional.
    #[serde(default)]
    pub amount: String,
}

/// An application checked and ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedApplication {
    pub worker_name: String,
    pub worker_phone: String,
    pub enterprise_name: String,
    pub enterprise_code: Option<String>,
    pub kind: String,
    pub facts: String,
    pub claims: String,
    pub amount_claimed_fen: Option<i64>,
}

/// An optional amount in yuan, in fen.
fn amount(problems: &mut Vec<Problem>, field: &'static str, value: &str) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    match Money::parse_yuan(v) {
        Ok(m) => Some(m.fen()),
        Err(e) => {
            problems.push(problem(field, e.to_string()));
            None
        }
    }
}

impl Application {
    /// Checks every field; all problems at once.
    pub fn check(&self, rules: &MediationRules) -> Result<CheckedApplication, Vec<Problem>> {
        let mut problems = Vec::new();
        let worker_name = text(
            &mut problems,
            "worker_name",
            &self.worker_name,
            "请填写职工姓名",
            "职工姓名",
            30,
        );
        let worker_phone = self.worker_phone.trim().to_owned();
        if !phone_ok(&worker_phone) {
            problems.push(problem(
                "worker_phone",
                "请填写职工的联系电话：11 位手机号码或带区号的固定电话",
            ));
        }
        let enterprise_name = text(
            &mut problems,
            "enterprise_name",
            &self.enterprise_name,
            "请填写用人单位名称",
            "用人单位名称",
            100,
        );
        let enterprise_code = match self.enterprise_code.trim() {
            "" => None,
            code => match CreditCode::parse(code) {
                Ok(c) => Some(c.as_str().to_owned()),
                Err(e) => {
                    problems.push(problem(
                        "enterprise_code",
                        format!("统一社会信用代码有误：{e}（不知道可以不填）"),
                    ));
                    None
                }
            },
        };
        let kind = self.kind.trim();
        if rules.kind(kind).is_none() {
            problems.push(problem("kind", "请从列表中选择争议类型"));
        }
        let facts = text(
            &mut problems,
            "facts",
            &self.facts,
            "请写明事实和理由：在哪里工作、发生了什么",
            "事实和理由",
            TEXT_MAX,
        );
        let claims = text(
            &mut problems,
            "claims",
            &self.claims,
            "请写明请求事项：希望对方做什么",
            "请求事项",
            NOTE_MAX,
        );
        let amount_claimed_fen = amount(&mut problems, "amount", &self.amount);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(CheckedApplication {
            worker_name,
            worker_phone,
            enterprise_name,
            enterprise_code,
            kind: kind.to_owned(),
            facts,
            claims,
            amount_claimed_fen,
        })
    }
}

/// Checks a message.
pub fn check_message(value: &str) -> Result<String, Problem> {
    let mut problems = Vec::new();
    let t = text(
        &mut problems,
        "text",
        value,
        "请填写留言内容",
        "留言",
        TEXT_MAX,
    );
    problems.pop().map_or(Ok(t), Err)
}

/// Checks a mediator's reason for refusing a case.
pub fn check_reason(value: &str) -> Result<String, Problem> {
    let mut problems = Vec::new();
    let t = text(
        &mut problems,
        "reason",
        value,
        "请填写不予受理的理由，申请人会看到它",
        "理由",
        NOTE_MAX,
    );
    problems.pop().map_or(Ok(t), Err)
}

/// How a meeting is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingMode {
    Online,
    InPerson,
}

impl MeetingMode {
    pub fn code(self) -> &'static str {
        match self {
            MeetingMode::Online => "online",
            MeetingMode::InPerson => "in_person",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MeetingMode::Online => "线上视频",
            MeetingMode::InPerson => "现场调解",
        }
    }

    pub fn from_code(code: &str) -> Option<MeetingMode> {
        [MeetingMode::Online, MeetingMode::InPerson]
            .into_iter()
            .find(|m| m.code() == code)
    }
}

/// A meeting as the mediator typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct MeetingForm {
    /// `YYYY-MM-DDTHH:MM`, Beijing time, as `<input type=datetime-local>`
    /// sends it.
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub mode: String,
    /// The place, or for an online meeting how to join.
    #[serde(default)]
    pub place: String,
}

/// A meeting checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub at: Timestamp,
    pub mode: MeetingMode,
    pub place: String,
}

/// `YYYY-MM-DDTHH:MM` (or with a space) in Beijing time.
pub fn parse_local_minute(text: &str) -> Option<Timestamp> {
    let t = text.trim().replace(' ', "T");
    let (date, clock) = t.split_once('T')?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(date, &fmt).ok()?;
    let (h, m) = clock.split_once(':')?;
    let m = m.get(..2)?;
    let (h, m) = (h.parse::<u8>().ok()?, m.parse::<u8>().ok()?);
    (h < 24 && m < 60).then(|| Timestamp::from_shanghai(date, h, m, 0))
}

impl MeetingForm {
    /// Checks the meeting: a time after `now`, a mode, a place for a
    /// meeting in person.
    pub fn check(&self, now: Timestamp) -> Result<Meeting, Vec<Problem>> {
        let mut problems = Vec::new();
        let at = parse_local_minute(&self.at);
        match at {
            None => problems.push(problem(
                "at",
                "请填写调解会时间，格式为“年-月-日 时:分”，例如 2026-12-10 09:30",
            )),
            Some(t) if t <= now => {
                problems.push(problem("at", "调解会时间应晚于现在"));
            }
            Some(_) => {}
        }
        let mode = MeetingMode::from_code(self.mode.trim());
        if mode.is_none() {
            problems.push(problem("mode", "请选择调解方式：线上视频或现场调解"));
        }
        let place = self.place.trim().to_owned();
        if mode == Some(MeetingMode::InPerson) && place.is_empty() {
            problems.push(problem("place", "现场调解请填写地点"));
        } else if chars(&place) > 200 {
            problems.push(problem("place", "地点或参会方式最多 200 个字"));
        }
        match (at, mode) {
            (Some(at), Some(mode)) if problems.is_empty() => Ok(Meeting { at, mode, place }),
            _ => Err(problems),
        }
    }
}

/// An outcome as the mediator typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OutcomeForm {
    #[serde(default)]
    pub outcome: String,
    /// The agreement (调解成功) or a note on the ending.
    #[serde(default)]
    pub text: String,
    /// The amount agreed in yuan (调解成功).
    #[serde(default)]
    pub amount: String,
}

/// An outcome checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedOutcome {
    pub outcome: Outcome,
    pub text: String,
    pub amount_agreed_fen: Option<i64>,
}

impl OutcomeForm {
    /// Checks an outcome a mediator records: an agreement needs its text and
    /// the amount agreed (0 when nothing is paid); other endings a note.
    pub fn check(&self) -> Result<RecordedOutcome, Vec<Problem>> {
        let mut problems = Vec::new();
        let outcome = Outcome::from_code(self.outcome.trim()).filter(|o| *o != Outcome::Withdrawn);
        if outcome.is_none() {
            problems.push(problem(
                "outcome",
                "请选择调解结果：调解成功、转劳动仲裁、转法律援助或调解不成",
            ));
        }
        let agreed = outcome == Some(Outcome::Agreed);
        let text = text(
            &mut problems,
            "text",
            &self.text,
            if agreed {
                "请填写调解协议的内容"
            } else {
                "请说明结果：例如告知申请人申请仲裁的期限和途径"
            },
            if agreed { "调解协议" } else { "说明" },
            TEXT_MAX,
        );
        let amount_agreed_fen = if agreed {
            if self.amount.trim().is_empty() {
                problems.push(problem("amount", "请填写协议金额（元）；不涉及金额的填 0"));
                None
            } else {
                amount(&mut problems, "amount", &self.amount)
            }
        } else {
            None
        };
        match outcome {
            Some(outcome) if problems.is_empty() => Ok(RecordedOutcome {
                outcome,
                text,
                amount_agreed_fen,
            }),
            _ => Err(problems),
        }
    }
}

/// Checks the applicant's reason for withdrawing (optional).
pub fn check_withdrawal(value: &str) -> Result<String, Problem> {
    let t = value.trim();
    if chars(t) > NOTE_MAX {
        return Err(problem(
            "text",
            format!("撤回说明最多 {NOTE_MAX} 个字，现有 {} 个字", chars(t)),
        ));
    }
    Ok(if t.is_empty() {
        "申请人撤回调解申请".to_owned()
    } else {
        t.to_owned()
    })
}

/// Checks an uploaded document's name, type and size.
pub fn check_document(name: &str, content_type: &str, size: usize) -> Result<String, Problem> {
    if size == 0 {
        return Err(problem("file", "请选择要上传的材料"));
    }
    if !DOCUMENT_TYPES.iter().any(|(t, _)| *t == content_type) {
        return Err(problem(
            "file",
            "材料只接受 PDF、JPEG 或 PNG 文件，请转换后再上传",
        ));
    }
    if size > DOCUMENT_MAX_BYTES {
        return Err(problem(
            "file",
            format!(
                "材料不能超过 {} MB，这个文件有 {:.1} MB",
                DOCUMENT_MAX_BYTES / 1024 / 1024,
                size as f64 / 1024.0 / 1024.0
            ),
        ));
    }
    let name: String = name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    Ok(if name.trim().is_empty() {
        "材料".to_owned()
    } else {
        name.trim().to_owned()
    })
}

/// The content type a document's first bytes show, when it is one of
/// [`DOCUMENT_TYPES`]: what is stored is what the bytes are, not what the
/// browser claimed.
pub fn sniff_document(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// A phone as people other than the worker and the mediator see it:
/// `139****5678`.
pub fn mask_phone(phone: &str) -> String {
    let cs: Vec<char> = phone.chars().filter(|c| !c.is_whitespace()).collect();
    if cs.len() < 7 {
        return "*".repeat(cs.len());
    }
    let head: String = cs[..3].iter().collect();
    let tail: String = cs[cs.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use MediationState as S;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn shipped_rules_have_the_seven_kinds_and_fifteen_days() {
        let r = MediationRules::shipped();
        assert_eq!(r.limit_days, 15);
        let names: Vec<&str> = r.kinds.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "欠薪",
                "劳动合同",
                "社会保险",
                "工伤",
                "加班与休息",
                "解除劳动关系",
                "其他"
            ]
        );
        assert_eq!(r.kind_name("wages"), "欠薪");
        assert_eq!(r.kind_name("gone"), "gone");
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(matches!(
            MediationRules::from_toml("limit_days = 0\n[[kinds]]\ncode='a'\nname='甲'"),
            Err(RulesError::Invalid(_))
        ));
        assert!(matches!(
            MediationRules::from_toml("limit_days = 15\nkinds = []"),
            Err(RulesError::Invalid(_))
        ));
        assert!(matches!(
            MediationRules::from_toml(
                "limit_days = 15\n[[kinds]]\ncode='a'\nname='甲'\n[[kinds]]\ncode='a'\nname='乙'"
            ),
            Err(RulesError::Invalid(_))
        ));
        assert!(matches!(
            MediationRules::from_toml("limit_days = 'x'"),
            Err(RulesError::Syntax(_))
        ));
    }

    #[test]
    fn a_case_is_accepted_mediated_and_closed() {
        let s = next_state(S::Submitted, Side::Mediator, false, Action::Accept).unwrap();
        assert_eq!(s, S::Mediating);
        for side in [Side::Worker, Side::Enterprise, Side::Mediator] {
            assert_eq!(
                next_state(s, side, false, Action::Message),
                Ok(S::Mediating)
            );
            assert_eq!(
                next_state(s, side, false, Action::Document),
                Ok(S::Mediating)
            );
        }
        assert_eq!(
            next_state(s, Side::Mediator, false, Action::Meeting),
            Ok(S::Mediating)
        );
        for o in Outcome::RECORDED {
            assert_eq!(
                next_state(s, Side::Mediator, false, Action::Record(o)),
                Ok(S::Closed)
            );
        }
    }

    #[test]
    fn only_mediators_accept_refuse_schedule_and_record() {
        for side in [Side::Worker, Side::Enterprise] {
            for action in [
                Action::Accept,
                Action::Refuse,
                Action::Meeting,
                Action::Record(Outcome::Agreed),
            ] {
                let state = if matches!(action, Action::Accept | Action::Refuse) {
                    S::Submitted
                } else {
                    S::Mediating
                };
                assert_eq!(
                    next_state(state, side, true, action),
                    Err(Refusal::NotMediator),
                    "{side:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn accept_and_refuse_only_a_submitted_case() {
        assert_eq!(
            next_state(S::Submitted, Side::Mediator, false, Action::Refuse),
            Ok(S::Refused)
        );
        for s in [S::Mediating, S::Refused, S::Closed] {
            assert_eq!(
                next_state(s, Side::Mediator, false, Action::Accept),
                Err(Refusal::NotSubmitted)
            );
        }
    }

    #[test]
    fn nothing_is_said_before_acceptance_or_after_closing() {
        for s in [S::Submitted, S::Refused, S::Closed] {
            assert_eq!(
                next_state(s, Side::Worker, true, Action::Message),
                Err(Refusal::NotMediating)
            );
            assert_eq!(
                next_state(s, Side::Mediator, false, Action::Meeting),
                Err(Refusal::NotMediating)
            );
            assert_eq!(
                next_state(s, Side::Mediator, false, Action::Record(Outcome::Failed)),
                Err(Refusal::NotMediating)
            );
        }
    }

    #[test]
    fn only_the_applicant_withdraws_an_open_case() {
        assert_eq!(
            next_state(S::Submitted, Side::Worker, true, Action::Withdraw),
            Ok(S::Closed)
        );
        assert_eq!(
            next_state(S::Mediating, Side::Enterprise, true, Action::Withdraw),
            Ok(S::Closed)
        );
        assert_eq!(
            next_state(S::Mediating, Side::Enterprise, false, Action::Withdraw),
            Err(Refusal::NotApplicant)
        );
        assert_eq!(
            next_state(S::Mediating, Side::Mediator, false, Action::Withdraw),
            Err(Refusal::NotApplicant)
        );
        assert_eq!(
            next_state(S::Closed, Side::Worker, true, Action::Withdraw),
            Err(Refusal::NotOpen)
        );
        assert_eq!(
            next_state(
                S::Mediating,
                Side::Mediator,
                false,
                Action::Record(Outcome::Withdrawn)
            ),
            Err(Refusal::WithdrawnByApplicant)
        );
    }

    #[test]
    fn fifteen_days_from_acceptance_half_open() {
        let rules = MediationRules::shipped();
        let accepted = at("2026-12-01T10:00:00+08:00");
        let due = rules.due_at(accepted);
        assert_eq!(due, at("2026-12-16T10:00:00+08:00"));
        let m = S::Mediating;
        assert_eq!(
            Standing::of(m, Some(due), at("2026-12-12T09:59:59+08:00")),
            Standing::InTime
        );
        assert_eq!(
            Standing::of(m, Some(due), at("2026-12-13T10:00:00+08:00")),
            Standing::DueSoon
        );
        assert_eq!(
            Standing::of(m, Some(due), due.add_micros(-1)),
            Standing::DueSoon
        );
        assert_eq!(Standing::of(m, Some(due), due), Standing::Overdue);
        assert_eq!(
            Standing::of(S::Closed, Some(due), due.add_micros(DAY_MICROS)),
            Standing::NoLimit
        );
        assert_eq!(Standing::of(S::Submitted, None, due), Standing::NoLimit);
    }

    fn application() -> Application {
        Application {
            worker_name: "王建军".into(),
            worker_phone: "13912345678".into(),
            enterprise_name: "南通某建筑劳务有限公司".into(),
            enterprise_code: String::new(),
            kind: "wages".into(),
            facts: "2026 年 9 月至 11 月工资未发。".into(),
            claims: "支付拖欠工资".into(),
            amount: "18600.50".into(),
        }
    }

    #[test]
    fn an_application_is_checked_whole() {
        let rules = MediationRules::shipped();
        let ok = application().check(&rules).unwrap();
        assert_eq!(ok.amount_claimed_fen, Some(1_860_050));
        assert_eq!(ok.enterprise_code, None);
        let no_amount = Application {
            amount: " ".into(),
            ..application()
        };
        assert_eq!(no_amount.check(&rules).unwrap().amount_claimed_fen, None);
        let bad = Application {
            worker_name: " ".into(),
            worker_phone: "123".into(),
            enterprise_code: "91320000X".into(),
            kind: "astrology".into(),
            facts: "字".repeat(TEXT_MAX + 1),
            claims: String::new(),
            amount: "1,000".into(),
            ..application()
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
                "worker_name",
                "worker_phone",
                "enterprise_code",
                "kind",
                "facts",
                "claims",
                "amount"
            ]
        );
    }

    #[test]
    fn meetings_are_in_the_future_and_in_person_ones_have_a_place() {
        let now = at("2026-12-07T10:00:00+08:00");
        let m = MeetingForm {
            at: "2026-12-09T09:30".into(),
            mode: "in_person".into(),
            place: "李堡镇劳动争议调解委员会".into(),
        }
        .check(now)
        .unwrap();
        assert_eq!(m.at, at("2026-12-09T09:30:00+08:00"));
        assert_eq!(m.mode, MeetingMode::InPerson);
        let online = MeetingForm {
            at: "2026-12-09 14:00".into(),
            mode: "online".into(),
            place: String::new(),
        };
        assert!(online.check(now).is_ok());
        let past = MeetingForm {
            at: "2026-12-07T10:00".into(),
            mode: "in_person".into(),
            place: String::new(),
        };
        let fields: Vec<&str> = past
            .check(now)
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["at", "place"]);
        assert!(MeetingForm::default().check(now).is_err());
        assert_eq!(parse_local_minute("2026-12-09T24:00"), None);
    }

    #[test]
    fn outcomes_need_their_text_and_an_agreement_its_amount() {
        let agreed = OutcomeForm {
            outcome: "agreed".into(),
            text: "公司于 12 月 20 日前一次性支付工资 15000 元".into(),
            amount: "15000".into(),
        }
        .check()
        .unwrap();
        assert_eq!(agreed.amount_agreed_fen, Some(1_500_000));
        let missing = OutcomeForm {
            outcome: "agreed".into(),
            text: String::new(),
            amount: String::new(),
        };
        let fields: Vec<&str> = missing
            .check()
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["text", "amount"]);
        let referred = OutcomeForm {
            outcome: "arbitration".into(),
            text: "已告知申请仲裁的期限".into(),
            amount: "999".into(),
        }
        .check()
        .unwrap();
        assert_eq!(referred.amount_agreed_fen, None);
        assert!(OutcomeForm {
            outcome: "withdrawn".into(),
            text: "x".into(),
            amount: String::new(),
        }
        .check()
        .is_err());
    }

    #[test]
    fn documents_are_limited_in_type_and_size() {
        assert_eq!(
            check_document("C:\\材料\\欠条.pdf", "application/pdf", 10).unwrap(),
            "欠条.pdf"
        );
        assert!(check_document("a.exe", "application/octet-stream", 10).is_err());
        assert!(check_document("a.pdf", "application/pdf", 0).is_err());
        assert!(check_document("a.pdf", "application/pdf", DOCUMENT_MAX_BYTES + 1).is_err());
        assert_eq!(sniff_document(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff_document(b"MZ\x90"), None);
    }

    #[test]
    fn messages_reasons_and_phones() {
        assert!(check_message("  ").is_err());
        assert_eq!(check_message(" 您好 ").unwrap(), "您好");
        assert!(check_reason("").is_err());
        assert_eq!(check_withdrawal("").unwrap(), "申请人撤回调解申请");
        assert_eq!(mask_phone("13912345678"), "139****5678");
        assert!(phone_ok("0513-85000000"));
        assert!(!phone_ok("12345"));
    }
}
