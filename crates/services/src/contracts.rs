//! Collective contracts (集体合同) and wage-specific collective agreements
//! (工资专项集体协议): what a contract covers, when it is in force, when it
//! is due for renewal, and how coverage is counted.
//!
//! A contract is signed at one of two levels ([`Scope`]): by one
//! enterprise and its union, or by an industry (行业) and the industry's
//! union on behalf of many enterprises. Either is a general collective
//! contract or a wage-specific agreement ([`Kind`]); the seed counts them
//! the same way ("集体合同及工资专项集体协商协议58份，行业集体合同及工资
//! 专项集体协商协议4份"). An enterprise contract covers exactly one
//! enterprise; an industry contract at least one.
//!
//! A contract is in force on the days `[start, end)`; it is due for renewal
//! from `renewal_days` before its end until it ends ([`renewal_due`]).
//!
//! [`coverage`] counts the contracts in force by level and kind, and the
//! enterprises and employees they cover, each enterprise once (by its
//! unified social credit code) however many contracts cover it, with the
//! largest headcount any of them gives it.
//!
//! Nothing here reads a clock or a database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;
use yiwang_core::CreditCode;

/// Who signed: one enterprise, or an industry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Enterprise,
    Industry,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Enterprise, Scope::Industry];

    pub fn code(self) -> &'static str {
        match self {
            Scope::Enterprise => "enterprise",
            Scope::Industry => "industry",
        }
    }

    pub fn from_code(code: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Scope::Enterprise => "企业",
            Scope::Industry => "行业",
        }
    }
}

/// What was agreed: working conditions generally, or wages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 集体合同
    Collective,
    /// 工资专项集体协议
    Wage,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Collective, Kind::Wage];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Collective => "collective",
            Kind::Wage => "wage",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Collective => "集体合同",
            Kind::Wage => "工资专项集体协议",
        }
    }
}

/// The `[services_contracts]` section of the server configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContractsConfig {
    /// Days before its end from which a contract is listed for renewal.
    pub renewal_days: u32,
}

impl Default for ContractsConfig {
    fn default() -> Self {
        ContractsConfig { renewal_days: 90 }
    }
}

/// One enterprise a contract covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Covered {
    pub credit_code: String,
    pub name: String,
    pub employees: u32,
}

/// Why a contract cannot be registered. Shown as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("终止日期必须晚于生效日期")]
    EmptyTerm,
    #[error("签订日期不能晚于生效日期")]
    SignedAfterStart,
    #[error("企业集体合同只能覆盖一家企业")]
    EnterpriseCoversOne,
    #[error("请至少填写一家覆盖企业")]
    NoEnterprise,
    #[error("第 {line} 行：{message}")]
    Line { line: usize, message: String },
    #[error("第 {line} 行：统一社会信用代码 {code} 与前面重复")]
    Duplicate { line: usize, code: String },
}

/// Reads the enterprises covered, one a line: the unified social credit
/// code, the name and the number of employees covered, separated by
/// spaces, tabs or commas (as pasted from a spreadsheet). Blank lines are
/// skipped. Every bad line is reported.
pub fn parse_covered(text: &str) -> Result<Vec<Covered>, Vec<ContractError>> {
    let mut out: Vec<Covered> = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let fields: Vec<&str> = raw
            .split(|c: char| c == ',' || c == '，' || c == '\t' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        if fields.is_empty() {
            continue;
        }
        if fields.len() < 3 {
            errors.push(ContractError::Line {
                line,
                message: "应为“统一社会信用代码 企业名称 职工人数”三项".to_owned(),
            });
            continue;
        }
        let code = match CreditCode::parse(fields[0]) {
            Ok(c) => c.as_str().to_owned(),
            Err(e) => {
                errors.push(ContractError::Line {
                    line,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let employees = match fields[fields.len() - 1].parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => {
                errors.push(ContractError::Line {
                    line,
                    message: "职工人数应为正整数".to_owned(),
                });
                continue;
            }
        };
        if out.iter().any(|c| c.credit_code == code) {
            errors.push(ContractError::Duplicate { line, code });
            continue;
        }
        out.push(Covered {
            credit_code: code,
            name: fields[1..fields.len() - 1].join(" "),
            employees,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Checks a contract's dates and coverage together.
pub fn check(
    scope: Scope,
    signed: Date,
    start: Date,
    end: Date,
    covered: &[Covered],
) -> Vec<ContractError> {
    let mut out = Vec::new();
    if end <= start {
        out.push(ContractError::EmptyTerm);
    }
    if signed > start {
        out.push(ContractError::SignedAfterStart);
    }
    match (scope, covered.len()) {
        (_, 0) => out.push(ContractError::NoEnterprise),
        (Scope::Enterprise, n) if n > 1 => out.push(ContractError::EnterpriseCoversOne),
        _ => {}
    }
    out
}

/// Whether a contract in force on `today` is due for renewal: it ends
/// within `days` days (its last day is at most `days - 1` days away).
pub fn renewal_due(start: Date, end: Date, today: Date, days: u32) -> bool {
    start <= today && today < end && (end - today).whole_days() <= i64::from(days)
}

/// One enterprise covered by one contract in force, as the report reads
/// it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageLine {
    pub contract: String,
    pub scope: Scope,
    pub kind: Kind,
    pub credit_code: String,
    pub employees: u32,
}

/// Contracts of one level and kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageGroup {
    pub scope: Scope,
    pub kind: Kind,
    pub contracts: u64,
    /// Enterprises this group covers, each once.
    pub enterprises: u64,
    /// Their employees, each enterprise once.
    pub employees: u64,
}

/// The coverage of the contracts in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Every level and kind, in order, with zeros.
    pub groups: Vec<CoverageGroup>,
    /// Per level: contracts, enterprises, employees.
    pub scopes: Vec<CoverageGroup>,
    pub contracts: u64,
    pub enterprises: u64,
    pub employees: u64,
}

/// Enterprises and employees of `lines`, each enterprise once with its
/// largest headcount.
fn count_once<'a>(lines: impl Iterator<Item = &'a CoverageLine>) -> (u64, u64, u64) {
    let mut contracts = std::collections::BTreeSet::new();
    let mut people: BTreeMap<&str, u32> = BTreeMap::new();
    for l in lines {
        contracts.insert(l.contract.as_str());
        let n = people.entry(&l.credit_code).or_default();
        *n = (*n).max(l.employees);
    }
    (
        contracts.len() as u64,
        people.len() as u64,
        people.values().map(|n| u64::from(*n)).sum(),
    )
}

/// Counts coverage from the lines of the contracts in force.
pub fn coverage(lines: &[CoverageLine]) -> Coverage {
    let mut groups = Vec::new();
    let mut scopes = Vec::new();
    for scope in Scope::ALL {
        for kind in Kind::ALL {
            let (contracts, enterprises, employees) =
                count_once(lines.iter().filter(|l| l.scope == scope && l.kind == kind));
            groups.push(CoverageGroup {
                scope,
                kind,
                contracts,
                enterprises,
                employees,
            });
        }
        let (contracts, enterprises, employees) =
            count_once(lines.iter().filter(|l| l.scope == scope));
        scopes.push(CoverageGroup {
            scope,
            kind: Kind::Collective,
            contracts,
            enterprises,
            employees,
        });
    }
    let (contracts, enterprises, employees) = count_once(lines.iter());
    Coverage {
        groups,
        scopes,
        contracts,
        enterprises,
        employees,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn code(first17: &str) -> String {
        CreditCode::with_check_char(first17)
            .unwrap()
            .as_str()
            .to_owned()
    }

    fn line(contract: &str, scope: Scope, kind: Kind, code: &str, employees: u32) -> CoverageLine {
        CoverageLine {
            contract: contract.to_owned(),
            scope,
            kind,
            credit_code: code.to_owned(),
            employees,
        }
    }

    #[test]
    fn enterprises_and_employees_are_counted_once() {
        let (a, b, c) = (
            code("91320621MA1P2K7Q3"),
            code("91320621MA1P3L8R4"),
            code("91320621MA1P4M9T5"),
        );
        let lines = vec![
            line("c1", Scope::Enterprise, Kind::Collective, &a, 120),
            line("w1", Scope::Enterprise, Kind::Wage, &a, 118),
            line("i1", Scope::Industry, Kind::Collective, &a, 120),
            line("i1", Scope::Industry, Kind::Collective, &b, 80),
            line("i1", Scope::Industry, Kind::Collective, &c, 40),
        ];
        let report = coverage(&lines);
        assert_eq!(
            (report.contracts, report.enterprises, report.employees),
            (3, 3, 240)
        );
        let enterprise = &report.scopes[0];
        assert_eq!(
            (
                enterprise.contracts,
                enterprise.enterprises,
                enterprise.employees
            ),
            (2, 1, 120)
        );
        let industry = &report.scopes[1];
        assert_eq!(
            (industry.contracts, industry.enterprises, industry.employees),
            (1, 3, 240)
        );
        let wage = report
            .groups
            .iter()
            .find(|g| g.scope == Scope::Enterprise && g.kind == Kind::Wage)
            .unwrap();
        assert_eq!((wage.contracts, wage.employees), (1, 118));
        assert_eq!(report.groups.len(), 4, "every level and kind, zeros too");
        assert_eq!(coverage(&[]).employees, 0);
    }

    #[test]
    fn covered_enterprises_are_read_from_pasted_lines() {
        let a = code("91320621MA1P2K7Q3");
        let b = code("91320621MA1P3L8R4");
        let text = format!("{a}\t海安李堡精工 机械有限公司\t120\n\n{b}，纺织公司，80\n");
        let covered = parse_covered(&text).unwrap();
        assert_eq!(covered.len(), 2);
        assert_eq!(covered[0].name, "海安李堡精工 机械有限公司");
        assert_eq!(covered[1].employees, 80);
        let bad =
            parse_covered(&format!("{a} 甲 0\n123 乙 5\n{a} 丙\n{b} 丁 3\n{b} 戊 4")).unwrap_err();
        assert_eq!(bad.len(), 4, "{bad:?}");
        assert!(matches!(bad[0], ContractError::Line { line: 1, .. }));
        assert!(matches!(bad[3], ContractError::Duplicate { line: 5, .. }));
    }

    #[test]
    fn terms_and_coverage_are_checked() {
        let a = code("91320621MA1P2K7Q3");
        let one = parse_covered(&format!("{a} 甲 10")).unwrap();
        let (s, e) = (date!(2025 - 01 - 01), date!(2028 - 01 - 01));
        assert!(check(Scope::Enterprise, s, s, e, &one).is_empty());
        assert_eq!(
            check(Scope::Enterprise, e, s, s, &[]),
            vec![
                ContractError::EmptyTerm,
                ContractError::SignedAfterStart,
                ContractError::NoEnterprise
            ]
        );
        let two = parse_covered(&format!("{a} 甲 10\n{} 乙 5", code("91320621MA1P3L8R4"))).unwrap();
        assert_eq!(
            check(Scope::Enterprise, s, s, e, &two),
            vec![ContractError::EnterpriseCoversOne]
        );
        assert!(check(Scope::Industry, s, s, e, &two).is_empty());
    }

    #[test]
    fn renewal_is_due_within_the_days_before_the_end() {
        let (start, end) = (date!(2024 - 01 - 01), date!(2027 - 01 - 01));
        assert!(!renewal_due(start, end, date!(2026 - 10 - 02), 90));
        assert!(renewal_due(start, end, date!(2026 - 10 - 03), 90));
        assert!(renewal_due(start, end, date!(2026 - 12 - 31), 90));
        assert!(
            !renewal_due(start, end, end, 90),
            "ended: no longer in force"
        );
        assert!(!renewal_due(
            end,
            date!(2027 - 02 - 01),
            date!(2026 - 12 - 31),
            90
        ));
    }
}
