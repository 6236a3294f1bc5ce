//! Apprenticeship subsidies (新型学徒制补贴): who is an apprentice, what a
//! claim for a year pays, and which lines of a claim may be paid.
//!
//! An enterprise trains the new hires (新招用人员) and transferred staff
//! (新转岗人员) of its skilled posts as apprentices; one who reaches a level
//! earns the enterprise a subsidy per person per year: 4,000 yuan for an
//! intermediate worker (中级工), 6,000 for an advanced worker (高级工) and
//! 8,000 for a technician (技师). The amounts are [`SubsidyRates`], in fen,
//! configured per year ([`SubsidyConfig`]) with those as the defaults.
//!
//! A claim names a year and the apprentices claimed; each becomes a line
//! paying the rate of the apprentice's level in that year. [`eligibility`]
//! decides whether a line may be paid, when the claim is submitted and
//! again when a reviewer approves it:
//!
//! | rule | refusal |
//! |---|---|
//! | the ID number passes GB 11643 | [`Ineligible::InvalidId`] |
//! | the level certificate's number and date are recorded | [`Ineligible::NoCertificate`] |
//! | the certificate was issued by the end of the year | [`Ineligible::CertificateAfterYear`] |
//! | the apprenticeship started within or before the year | [`Ineligible::StartsAfterYear`] |
//! | no other claim holds the same person for the same year | [`Ineligible::AlreadyClaimed`] |
//!
//! "The same person" is the ID number, across enterprises: someone who
//! changes employer is paid for once a year. A refused line does not hold
//! the person: the enterprise may claim them again once what was wrong is
//! put right.
//!
//! Nothing here reads a clock or a database; the caller passes the facts.

use serde::{Deserialize, Serialize};
use time::{Date, Month};
use yiwang_core::{Money, ResidentId};

/// The skill level an apprentice reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 中级工
    Intermediate,
    /// 高级工
    Advanced,
    /// 技师
    Technician,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Intermediate, Level::Advanced, Level::Technician];

    /// The stable code stored and sent by forms.
    pub fn code(self) -> &'static str {
        match self {
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
            Level::Technician => "technician",
        }
    }

    pub fn from_code(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Level::Intermediate => "中级工",
            Level::Advanced => "高级工",
            Level::Technician => "技师",
        }
    }
}

/// How the apprentice came to the post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intake {
    /// 新招用人员
    NewHire,
    /// 新转岗人员
    Transferred,
}

impl Intake {
    pub const ALL: [Intake; 2] = [Intake::NewHire, Intake::Transferred];

    pub fn code(self) -> &'static str {
        match self {
            Intake::NewHire => "new_hire",
            Intake::Transferred => "transferred",
        }
    }

    pub fn from_code(code: &str) -> Option<Intake> {
        Intake::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Intake::NewHire => "新招用",
            Intake::Transferred => "新转岗",
        }
    }
}

/// The subsidy per person per year at each level, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyRates {
    pub intermediate_fen: i64,
    pub advanced_fen: i64,
    pub technician_fen: i64,
}

impl Default for SubsidyRates {
    /// The seed's amounts: 4,000, 6,000 and 8,000 yuan.
    fn default() -> Self {
        SubsidyRates {
            intermediate_fen: 400_000,
            advanced_fen: 600_000,
            technician_fen: 800_000,
        }
    }
}

impl SubsidyRates {
    pub fn of(&self, level: Level) -> Money {
        Money::from_fen(match level {
            Level::Intermediate => self.intermediate_fen,
            Level::Advanced => self.advanced_fen,
            Level::Technician => self.technician_fen,
        })
    }
}

/// The rates of one year, replacing the defaults for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearRates {
    pub year: i32,
    pub intermediate_fen: i64,
    pub advanced_fen: i64,
    pub technician_fen: i64,
}

impl YearRates {
    pub fn new(year: i32, rates: SubsidyRates) -> YearRates {
        YearRates {
            year,
            intermediate_fen: rates.intermediate_fen,
            advanced_fen: rates.advanced_fen,
            technician_fen: rates.technician_fen,
        }
    }

    pub fn rates(&self) -> SubsidyRates {
        SubsidyRates {
            intermediate_fen: self.intermediate_fen,
            advanced_fen: self.advanced_fen,
            technician_fen: self.technician_fen,
        }
    }
}

/// The `[services_subsidies]` section of the server configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubsidyConfig {
    /// The rates of every year not listed in `years`.
    pub rates: SubsidyRates,
    /// Years whose rates differ (`[[services_subsidies.years]]`).
    pub years: Vec<YearRates>,
}

/// A configuration that cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubsidyConfigError {
    #[error("services_subsidies：补贴标准必须大于 0（{year}年）")]
    NotPositive { year: String },
    #[error("services_subsidies：{0}年的补贴标准重复设置")]
    DuplicateYear(i32),
}

impl SubsidyConfig {
    /// Checks that every amount is positive and no year is listed twice.
    pub fn validate(&self) -> Result<(), SubsidyConfigError> {
        let positive = |r: &SubsidyRates| Level::ALL.into_iter().all(|l| r.of(l).is_positive());
        if !positive(&self.rates) {
            return Err(SubsidyConfigError::NotPositive {
                year: "默认".to_owned(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for y in &self.years {
            if !seen.insert(y.year) {
                return Err(SubsidyConfigError::DuplicateYear(y.year));
            }
            if !positive(&y.rates()) {
                return Err(SubsidyConfigError::NotPositive {
                    year: y.year.to_string(),
                });
            }
        }
        Ok(())
    }

    /// The rates of `year`.
    pub fn rates_for(&self, year: i32) -> SubsidyRates {
        self.years
            .iter()
            .find(|y| y.year == year)
            .map_or(self.rates, YearRates::rates)
    }

    /// What one person at `level` earns for `year`.
    pub fn amount(&self, year: i32, level: Level) -> Money {
        self.rates_for(year).of(level)
    }
}

/// What eligibility looks at of an apprentice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprenticeFacts<'a> {
    /// As stored: checked again, since a record may predate the check.
    pub id_number: &'a str,
    pub certificate_no: &'a str,
    pub certificate_date: Option<Date>,
    pub start_date: Date,
}

/// Why a line may not be paid. The messages are shown to enterprises and
/// reviewers as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Ineligible {
    #[error("公民身份号码未通过校验，请核对后重新登记学徒")]
    InvalidId,
    #[error("未登记等级证书编号和发证日期")]
    NoCertificate,
    #[error("等级证书发证日期晚于申报年度")]
    CertificateAfterYear,
    #[error("学徒培训开始日期晚于申报年度")]
    StartsAfterYear,
    #[error("该学徒本年度已在其他申报中申领补贴，同一人每年只能申领一次")]
    AlreadyClaimed,
}

impl Ineligible {
    /// The stable code for the API and the audit log.
    pub fn code(self) -> &'static str {
        match self {
            Ineligible::InvalidId => "invalid_id",
            Ineligible::NoCertificate => "no_certificate",
            Ineligible::CertificateAfterYear => "certificate_after_year",
            Ineligible::StartsAfterYear => "starts_after_year",
            Ineligible::AlreadyClaimed => "already_claimed",
        }
    }
}

/// The last day of `year`.
pub fn year_end(year: i32) -> Option<Date> {
    Date::from_calendar_date(year, Month::December, 31).ok()
}

/// Every reason the apprentice may not be paid for `year`, in the order of
/// the table above; empty when the line may be paid. `claimed_elsewhere`
/// says whether another claim already holds the person for the year.
pub fn eligibility(
    apprentice: &ApprenticeFacts<'_>,
    year: i32,
    claimed_elsewhere: bool,
) -> Vec<Ineligible> {
    let mut out = Vec::new();
    if ResidentId::parse(apprentice.id_number).is_err() {
        out.push(Ineligible::InvalidId);
    }
    let end = year_end(year);
    match apprentice.certificate_date {
        Some(date) if !apprentice.certificate_no.trim().is_empty() => {
            if end.is_none_or(|end| date > end) {
                out.push(Ineligible::CertificateAfterYear);
            }
        }
        _ => out.push(Ineligible::NoCertificate),
    }
    if end.is_none_or(|end| apprentice.start_date > end) {
        out.push(Ineligible::StartsAfterYear);
    }
    if claimed_elsewhere {
        out.push(Ineligible::AlreadyClaimed);
    }
    out
}

/// A reviewer's decision on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    /// With the reason the enterprise is told.
    Refuse(String),
}

/// Why a decision cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("不予通过时必须填写理由")]
    ReasonRequired,
    #[error("理由不超过 200 个字")]
    ReasonTooLong,
    #[error("该学徒不符合补贴条件，不能通过：{0}")]
    NotEligible(Ineligible),
}

impl Decision {
    /// Reads the reviewer's choice: `approve`, or `refuse` with a reason.
    pub fn parse(choice: &str, reason: &str) -> Result<Decision, DecisionError> {
        let reason = reason.trim();
        if reason.chars().count() > 200 {
            return Err(DecisionError::ReasonTooLong);
        }
        match choice {
            "approve" => Ok(Decision::Approve),
            _ if reason.is_empty() => Err(DecisionError::ReasonRequired),
            _ => Ok(Decision::Refuse(reason.to_owned())),
        }
    }

    /// The decision checked against the line's eligibility now: an
    /// approval of an ineligible line is refused with the first reason.
    pub fn checked(self, ineligible: &[Ineligible]) -> Result<Decision, DecisionError> {
        match ineligible.first() {
            Some(why) if self == Decision::Approve => Err(DecisionError::NotEligible(*why)),
            _ => Ok(self),
        }
    }
}

/// The state of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Pending,
    Approved,
    Refused,
}

impl LineStatus {
    pub const ALL: [LineStatus; 3] = [
        LineStatus::Pending,
        LineStatus::Approved,
        LineStatus::Refused,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LineStatus::Pending => "pending",
            LineStatus::Approved => "approved",
            LineStatus::Refused => "refused",
        }
    }

    pub fn from_code(code: &str) -> Option<LineStatus> {
        LineStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            LineStatus::Pending => "待审核",
            LineStatus::Approved => "审核通过",
            LineStatus::Refused => "不予通过",
        }
    }
}

/// The state of a claim, from its lines: under review while any line is
/// pending, decided once none is.
pub fn claim_status(lines: &[LineStatus]) -> ClaimStatus {
    if lines.contains(&LineStatus::Pending) {
        ClaimStatus::Submitted
    } else {
        ClaimStatus::Decided
    }
}

/// The state of a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// 审核中
    Submitted,
    /// 已审结
    Decided,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 2] = [ClaimStatus::Submitted, ClaimStatus::Decided];

    pub fn code(self) -> &'static str {
        match self {
            ClaimStatus::Submitted => "submitted",
            ClaimStatus::Decided => "decided",
        }
    }

    pub fn from_code(code: &str) -> Option<ClaimStatus> {
        ClaimStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Submitted => "审核中",
            ClaimStatus::Decided => "已审结",
        }
    }
}

/// The total of the lines with `status`, or `None` on overflow.
pub fn total(lines: &[(LineStatus, Money)], status: Option<LineStatus>) -> Option<Money> {
    lines
        .iter()
        .filter(|(s, _)| status.is_none_or(|want| *s == want))
        .try_fold(Money::ZERO, |sum, (_, m)| sum.checked_add(*m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// The example number of GB 11643-1999.
    const ID: &str = "11010519491231002X";

    fn facts(cert: Option<Date>, start: Date) -> ApprenticeFacts<'static> {
        ApprenticeFacts {
            id_number: ID,
            certificate_no: if cert.is_some() { "S2025320600001" } else { "" },
            certificate_date: cert,
            start_date: start,
        }
    }

    #[test]
    fn amounts_follow_the_level_and_the_year() {
        let mut config = SubsidyConfig::default();
        assert_eq!(
            config.amount(2025, Level::Intermediate),
            Money::from_fen(400_000)
        );
        assert_eq!(
            config.amount(2025, Level::Advanced),
            Money::from_fen(600_000)
        );
        assert_eq!(
            config.amount(2025, Level::Technician),
            Money::from_fen(800_000)
        );
        config.years.push(YearRates {
            year: 2026,
            intermediate_fen: 450_000,
            advanced_fen: 650_000,
            technician_fen: 900_000,
        });
        assert!(config.validate().is_ok());
        assert_eq!(
            config.amount(2026, Level::Technician),
            Money::from_fen(900_000)
        );
        assert_eq!(
            config.amount(2025, Level::Technician),
            Money::from_fen(800_000)
        );
        assert_eq!(
            config.amount(2027, Level::Intermediate),
            Money::from_fen(400_000)
        );
    }

    #[test]
    fn bad_configurations_are_refused() {
        let mut config = SubsidyConfig::default();
        config.rates.advanced_fen = 0;
        assert!(matches!(
            config.validate(),
            Err(SubsidyConfigError::NotPositive { .. })
        ));
        let mut config = SubsidyConfig::default();
        let year = YearRates::new(2026, SubsidyRates::default());
        config.years = vec![year, year];
        assert_eq!(
            config.validate(),
            Err(SubsidyConfigError::DuplicateYear(2026))
        );
    }

    #[test]
    fn the_configuration_reads_from_toml() {
        let config: SubsidyConfig = toml::from_str(
            "[rates]\nintermediate_fen = 1\nadvanced_fen = 2\ntechnician_fen = 3\n\
             [[years]]\nyear = 2024\nintermediate_fen = 10\nadvanced_fen = 20\ntechnician_fen = 30\n",
        )
        .unwrap();
        assert_eq!(config.amount(2024, Level::Advanced), Money::from_fen(20));
        assert_eq!(config.amount(2023, Level::Advanced), Money::from_fen(2));
    }

    #[test]
    fn an_eligible_apprentice_has_no_reason() {
        let f = facts(Some(date!(2025 - 06 - 30)), date!(2024 - 09 - 01));
        assert!(eligibility(&f, 2025, false).is_empty());
        // Started and certified within the year itself.
        let f = facts(Some(date!(2025 - 12 - 31)), date!(2025 - 12 - 31));
        assert!(eligibility(&f, 2025, false).is_empty());
    }

    #[test]
    fn each_rule_refuses_on_its_own() {
        let ok_cert = Some(date!(2025 - 06 - 30));
        let ok_start = date!(2025 - 01 - 01);
        assert_eq!(
            eligibility(&facts(None, ok_start), 2025, false),
            vec![Ineligible::NoCertificate]
        );
        let mut f = facts(ok_cert, ok_start);
        f.certificate_no = "  ";
        assert_eq!(
            eligibility(&f, 2025, false),
            vec![Ineligible::NoCertificate]
        );
        assert_eq!(
            eligibility(&facts(Some(date!(2026 - 01 - 01)), ok_start), 2025, false),
            vec![Ineligible::CertificateAfterYear]
        );
        assert_eq!(
            eligibility(&facts(ok_cert, date!(2026 - 01 - 01)), 2025, false),
            vec![Ineligible::StartsAfterYear]
        );
        assert_eq!(
            eligibility(&facts(ok_cert, ok_start), 2025, true),
            vec![Ineligible::AlreadyClaimed]
        );
        let mut f = facts(ok_cert, ok_start);
        f.id_number = "110105194912310021";
        assert_eq!(eligibility(&f, 2025, false), vec![Ineligible::InvalidId]);
    }

    #[test]
    fn refusals_need_a_reason_and_approvals_eligibility() {
        assert_eq!(Decision::parse("approve", ""), Ok(Decision::Approve));
        assert_eq!(
            Decision::parse("refuse", "  "),
            Err(DecisionError::ReasonRequired)
        );
        assert_eq!(
            Decision::parse("refuse", " 证书与岗位不符 "),
            Ok(Decision::Refuse("证书与岗位不符".to_owned()))
        );
        assert_eq!(
            Decision::parse("refuse", &"长".repeat(201)),
            Err(DecisionError::ReasonTooLong)
        );
        assert_eq!(
            Decision::Approve.checked(&[Ineligible::AlreadyClaimed]),
            Err(DecisionError::NotEligible(Ineligible::AlreadyClaimed))
        );
        let refuse = Decision::Refuse("重复".to_owned());
        assert_eq!(
            refuse.clone().checked(&[Ineligible::AlreadyClaimed]),
            Ok(refuse)
        );
    }

    #[test]
    fn a_claim_is_decided_when_no_line_is_pending_and_totals_add_up() {
        use LineStatus::*;
        assert_eq!(claim_status(&[Approved, Pending]), ClaimStatus::Submitted);
        assert_eq!(claim_status(&[Approved, Refused]), ClaimStatus::Decided);
        let lines = [
            (Approved, Money::from_fen(400_000)),
            (Refused, Money::from_fen(800_000)),
            (Approved, Money::from_fen(600_000)),
        ];
        assert_eq!(total(&lines, None), Some(Money::from_fen(1_800_000)));
        assert_eq!(
            total(&lines, Some(Approved)),
            Some(Money::from_fen(1_000_000))
        );
        assert_eq!(
            total(
                &[(Approved, Money::MAX), (Approved, Money::from_fen(1))],
                None
            ),
            None
        );
    }
}
