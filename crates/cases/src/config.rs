//! What a system configures: categories and their time limits, departments,
//! the routing table, and which roles may do which duty.
//!
//! Nothing in the types is specific to grid governance: "安全隐患", "网格长"
//! and "区应急管理局" are data. A [`WorkflowConfig`] is the serde form (TOML
//! or any serde format); [`Workflow::new`] validates it and lists every
//! problem in Chinese, so that an operator fixing a file sees all of them at
//! once. The grid system's configuration is compiled in
//! ([`WorkflowConfig::grid`], `config/grid.toml`) and holds the five
//! must-report categories (五必报); more categories are added with
//! [`WorkflowConfig::add_categories_toml`].
//!
//! # File format
//!
//! ```toml
//! command_centre = "command_centre"          # fallback route and escalation target
//! working_hours = "09:00-12:00,13:00-17:00"  # optional; the standard office day
//!
//! [[departments]]
//! code = "command_centre"
//! name = "区域治理现代化指挥中心"
//!
//! [[roles]]
//! code = "grid_worker"
//! name = "网格员"
//! staff = true                 # staff reports need a map point (and photos where the category says)
//! duties = ["report"]
//!
//! [[categories]]
//! code = "safety_hazard"
//! name = "安全隐患"
//! overall = "3d"               # from filing to closing; "h" = working hours, "d" = working days
//! photo_required = true
//! steps = { check = "2h", dispatch = "2h", handle = "2d" }
//!
//! [[routes]]                   # first match wins; no match goes to the command centre
//! category = "safety_hazard"   # optional
//! area_prefix = "320612"       # optional: matches area codes starting with it
//! department = "emergency"
//! ```
//!
//! Step keys are those of [`Stage::limit_key`]: `check`, `file`,
//! `dispatch`, `accept`, `handle`, `recheck`, `close`.

use crate::state::Stage;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use yiwang_core::{Timestamp, WorkingCalendar, WorkingHours};

/// The grid system's configuration, compiled in.
const GRID_TOML: &str = include_str!("../config/grid.toml");

/// A duty a role may hold: the steps of the workflow an actor may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// Report a matter (上报).
    Report,
    /// Check a report: confirm it or reject it as invalid (核实).
    Check,
    /// File a confirmed report (立案).
    File,
    /// Dispatch a filed case to a department (派遣).
    Dispatch,
    /// Handle a dispatched case: accept, return, give feedback, ask for an
    /// extension; only for the department the case was dispatched to.
    Handle,
    /// Re-check the result in the field (核查).
    Recheck,
    /// Close a re-checked case (结案).
    Close,
    /// Approve or deny an extension (延期审批).
    ApproveExtension,
    /// Put a case on the problem register and take it off (挂账 / 销账).
    Register,
}

impl Duty {
    /// Every duty.
    pub const ALL: [Duty; 9] = [
        Duty::Report,
        Duty::Check,
        Duty::File,
        Duty::Dispatch,
        Duty::Handle,
        Duty::Recheck,
        Duty::Close,
        Duty::ApproveExtension,
        Duty::Register,
    ];

    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Duty::Report => "report",
            Duty::Check => "check",
            Duty::File => "file",
            Duty::Dispatch => "dispatch",
            Duty::Handle => "handle",
            Duty::Recheck => "recheck",
            Duty::Close => "close",
            Duty::ApproveExtension => "approve_extension",
            Duty::Register => "register",
        }
    }

    /// The duty's Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Duty::Report => "上报",
            Duty::Check => "核实",
            Duty::File => "立案",
            Duty::Dispatch => "派遣",
            Duty::Handle => "处置",
            Duty::Recheck => "核查",
            Duty::Close => "结案",
            Duty::ApproveExtension => "延期审批",
            Duty::Register => "挂账管理",
        }
    }
}

/// A unit of time limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitUnit {
    /// Office hours on working days ([`WorkingCalendar::add_working_hours`]).
    WorkingHours,
    /// Working days, same wall-clock time ([`WorkingCalendar::add_working_days`]).
    WorkingDays,
}

/// A time limit: `"4h"` is four working hours, `"3d"` three working days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeLimit {
    pub amount: u32,
    pub unit: LimitUnit,
}

impl TimeLimit {
    /// `n` working hours.
    pub const fn hours(n: u32) -> TimeLimit {
        TimeLimit {
            amount: n,
            unit: LimitUnit::WorkingHours,
        }
    }

    /// `n` working days.
    pub const fn days(n: u32) -> TimeLimit {
        TimeLimit {
            amount: n,
            unit: LimitUnit::WorkingDays,
        }
    }

    /// Parses `"4h"` or `"3d"`: a positive whole number and a unit.
    pub fn parse(text: &str) -> Result<TimeLimit, LimitError> {
        let bad = || LimitError(text.to_owned());
        let t = text.trim();
        let (number, unit) = match t.char_indices().last() {
            Some((i, 'h')) => (&t[..i], LimitUnit::WorkingHours),
            Some((i, 'd')) => (&t[..i], LimitUnit::WorkingDays),
            _ => return Err(bad()),
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let amount: u32 = number.parse().map_err(|_| bad())?;
        if amount == 0 {
            return Err(bad());
        }
        Ok(TimeLimit { amount, unit })
    }

    /// The instant this limit ends when it starts at `start`.
    pub fn due(self, start: Timestamp, calendar: &WorkingCalendar, day: WorkingHours) -> Timestamp {
        match self.unit {
            LimitUnit::WorkingHours => calendar.add_working_hours(start, self.amount, day),
            LimitUnit::WorkingDays => calendar.add_working_days(start, self.amount),
        }
    }

    /// How the limit reads to a user: "4个工作小时", "3个工作日".
    pub fn label(self) -> String {
        match self.unit {
            LimitUnit::WorkingHours => format!("{}个工作小时", self.amount),
            LimitUnit::WorkingDays => format!("{}个工作日", self.amount),
        }
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            LimitUnit::WorkingHours => write!(f, "{}h", self.amount),
            LimitUnit::WorkingDays => write!(f, "{}d", self.amount),
        }
    }
}

impl FromStr for TimeLimit {
    type Err = LimitError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeLimit::parse(s)
    }
}

impl Serialize for TimeLimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        TimeLimit::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A time limit that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("时限“{0}”格式不正确：应为正整数加单位，h 表示工作小时，d 表示工作日，例如 4h 或 3d")]
pub struct LimitError(pub String);

/// A department cases are dispatched to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentConfig {
    pub code: String,
    pub name: String,
}

/// A role and its duties.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    pub code: String,
    pub name: String,
    /// Staff report from the field: a map point is required, and photos
    /// where the category requires them. Residents give an address or a
    /// point.
    #[serde(default)]
    pub staff: bool,
    pub duties: Vec<Duty>,
}

/// Time limits per step, keyed by [`Stage::limit_key`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepLimits {
    pub check: Option<TimeLimit>,
    pub file: Option<TimeLimit>,
    pub dispatch: Option<TimeLimit>,
    pub accept: Option<TimeLimit>,
    pub handle: Option<TimeLimit>,
    pub recheck: Option<TimeLimit>,
    pub close: Option<TimeLimit>,
}

impl StepLimits {
    /// The limit of the step a case waits in while at `stage`.
    pub fn for_stage(&self, stage: Stage) -> Option<TimeLimit> {
        match stage {
            Stage::Reported => self.check,
            Stage::Confirmed => self.file,
            Stage::Filed => self.dispatch,
            Stage::Dispatched => self.accept,
            Stage::Handling => self.handle,
            Stage::Recheck => self.recheck,
            Stage::Verified => self.close,
            Stage::New | Stage::Rejected | Stage::Closed | Stage::Evaluated => None,
        }
    }
}

/// A category of cases and its time limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryConfig {
    pub code: String,
    pub name: String,
    /// From filing to closing, extensions aside.
    pub overall: TimeLimit,
    /// Limits of single steps, each counted from the moment the case
    /// entered the step.
    #[serde(default)]
    pub steps: StepLimits,
    /// Staff reports of this category must carry at least one photo.
    #[serde(default)]
    pub photo_required: bool,
}

/// One row of the routing table: every given condition must hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    #[serde(default)]
    pub category: Option<String>,
    /// Matches area codes that start with it (a grid code starts with its
    /// district, street and community codes).
    #[serde(default)]
    pub area_prefix: Option<String>,
    pub department: String,
}

impl RouteConfig {
    fn matches(&self, category: &str, area: &str) -> bool {
        self.category.as_deref().is_none_or(|c| c == category)
            && self
                .area_prefix
                .as_deref()
                .is_none_or(|p| area.starts_with(p))
    }
}

/// A workflow's configuration as written; see the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    /// The department that takes what no rule routes, and every escalation.
    pub command_centre: String,
    #[serde(default)]
    pub working_hours: WorkingHours,
    pub departments: Vec<DepartmentConfig>,
    pub roles: Vec<RoleConfig>,
    pub categories: Vec<CategoryConfig>,
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
}

/// Only categories and routes, to add to a configuration.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesFile {
    #[serde(default)]
    categories: Vec<CategoryConfig>,
    #[serde(default)]
    routes: Vec<RouteConfig>,
}

impl WorkflowConfig {
    /// The grid system's configuration (`config/grid.toml`): the five
    /// must-report categories, the district's departments, and the roles of
    /// grid workers, grid leaders, residents, the command centre,
    /// departments and supervisors.
    pub fn grid() -> WorkflowConfig {
        // Compiled in and parsed by a unit test.
        WorkflowConfig::from_toml(GRID_TOML).expect("config/grid.toml is valid")
    }

    /// Reads a configuration from TOML. The configuration is not yet
    /// validated; [`Workflow::new`] does that.
    pub fn from_toml(text: &str) -> Result<WorkflowConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::single(ConfigProblem::Syntax(e.to_string())))
    }

    /// Adds the `[[categories]]` and `[[routes]]` of a TOML text. Added
    /// routes go before the existing ones, so that they win over the
    /// built-in table.
    pub fn add_categories_toml(&mut self, text: &str) -> Result<(), ConfigError> {
        let file: CategoriesFile = toml::from_str(text)
            .map_err(|e| ConfigError::single(ConfigProblem::Syntax(e.to_string())))?;
        self.categories.extend(file.categories);
        let mut routes = file.routes;
        routes.append(&mut self.routes);
        self.routes = routes;
        Ok(())
    }
}

/// One problem with a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    #[error("配置文件无法解析：{0}")]
    Syntax(String),
    #[error("{kind}代码“{code}”重复，每个代码只能出现一次")]
    Duplicate { kind: &'static str, code: String },
    #[error("{kind}代码不能为空，只能由小写字母、数字和下划线组成，实际为“{code}”")]
    BadCode { kind: &'static str, code: String },
    #[error("{kind}“{code}”的名称不能为空")]
    EmptyName { kind: &'static str, code: String },
    #[error("指挥中心“{0}”不在部门列表中")]
    UnknownCommandCentre(String),
    #[error("第{row}条派遣规则指向的部门“{department}”不在部门列表中")]
    RouteUnknownDepartment { row: usize, department: String },
    #[error("第{row}条派遣规则的类别“{category}”不存在")]
    RouteUnknownCategory { row: usize, category: String },
    #[error("第{row}条派遣规则的区域代码前缀“{prefix}”应只含数字且不能为空")]
    RouteBadPrefix { row: usize, prefix: String },
    #[error("没有任何角色负责“{}”，事项将无法办理", .0.label())]
    DutyUnassigned(Duty),
    #[error("类别“{code}”的{step}环节时限 {step_limit} 超过了总时限 {overall}")]
    StepExceedsOverall {
        code: String,
        step: &'static str,
        step_limit: TimeLimit,
        overall: TimeLimit,
    },
    #[error("至少需要配置一个事项类别")]
    NoCategories,
}

/// Every problem found in a configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<ConfigProblem>,
}

impl ConfigError {
    fn single(problem: ConfigProblem) -> ConfigError {
        ConfigError {
            problems: vec![problem],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "配置有 {} 处错误：", self.problems.len())?;
        for (i, p) in self.problems.iter().enumerate() {
            write!(f, "{}{}. {p}", if i == 0 { "" } else { "；" }, i + 1)?;
        }
        Ok(())
    }
}

/// Where a dispatch went and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Route {
    /// The routing table's row `row` (counted from 1) matched first.
    Rule { row: usize },
    /// No row matched: the command centre.
    Fallback,
    /// The dispatcher named the department.
    Manual,
}

/// A validated configuration together with the working calendar: what
/// [`decide`](Workflow::decide) and [`advance`](Workflow::advance) consult.
#[derive(Clone, Debug)]
pub struct Workflow {
    pub(crate) config: WorkflowConfig,
    pub(crate) calendar: WorkingCalendar,
    roles: BTreeMap<String, usize>,
    categories: BTreeMap<String, usize>,
    departments: BTreeMap<String, usize>,
}

fn is_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Indexes `items` by code, reporting bad, duplicate and unnamed entries.
fn index<T>(
    kind: &'static str,
    items: &[T],
    code: impl Fn(&T) -> &str,
    name: impl Fn(&T) -> &str,
    problems: &mut Vec<ConfigProblem>,
) -> BTreeMap<String, usize> {
    let mut map = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let c = code(item);
        if !is_code(c) {
            problems.push(ConfigProblem::BadCode {
                kind,
                code: c.to_owned(),
            });
        }
        if name(item).trim().is_empty() {
            problems.push(ConfigProblem::EmptyName {
                kind,
                code: c.to_owned(),
            });
        }
        if map.insert(c.to_owned(), i).is_some() {
            problems.push(ConfigProblem::Duplicate {
                kind,
                code: c.to_owned(),
            });
        }
    }
    map
}

/// A rough length of a limit in working hours, to compare a step's limit
/// with the overall one (a working day counts as a full office day).
fn rough_hours(limit: TimeLimit, day: WorkingHours) -> i64 {
    let per_day = day.micros_per_day() / 3_600_000_000;
    match limit.unit {
        LimitUnit::WorkingHours => i64::from(limit.amount),
        LimitUnit::WorkingDays => i64::from(limit.amount) * per_day.max(1),
    }
}

impl Workflow {
    /// Validates `config`, listing every problem.
    pub fn new(config: WorkflowConfig, calendar: WorkingCalendar) -> Result<Workflow, ConfigError> {
        let mut problems = Vec::new();
        let departments = index(
            "部门",
            &config.departments,
            |d| &d.code,
            |d| &d.name,
            &mut problems,
        );
        let roles = index(
            "角色",
            &config.roles,
            |r| &r.code,
            |r| &r.name,
            &mut problems,
        );
        let categories = index(
            "类别",
            &config.categories,
            |c| &c.code,
            |c| &c.name,
            &mut problems,
        );
        if config.categories.is_empty() {
            problems.push(ConfigProblem::NoCategories);
        }
        if !departments.contains_key(&config.command_centre) {
            problems.push(ConfigProblem::UnknownCommandCentre(
                config.command_centre.clone(),
            ));
        }
        for (i, route) in config.routes.iter().enumerate() {
            let row = i + 1;
            if !departments.contains_key(&route.department) {
                problems.push(ConfigProblem::RouteUnknownDepartment {
                    row,
                    department: route.department.clone(),
                });
            }
            if let Some(c) = &route.category {
                if !categories.contains_key(c) {
                    problems.push(ConfigProblem::RouteUnknownCategory {
                        row,
                        category: c.clone(),
                    });
                }
            }
            if let Some(p) = &route.area_prefix {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    problems.push(ConfigProblem::RouteBadPrefix {
                        row,
                        prefix: p.clone(),
                    });
                }
            }
        }
        let held: BTreeSet<Duty> = config
            .roles
            .iter()
            .flat_map(|r| r.duties.iter().copied())
            .collect();
        for duty in Duty::ALL {
            if !held.contains(&duty) {
                problems.push(ConfigProblem::DutyUnassigned(duty));
            }
        }
        for c in &config.categories {
            let overall = rough_hours(c.overall, config.working_hours);
            for stage in Stage::ALL {
                if let (Some(limit), Some(step)) = (c.steps.for_stage(stage), stage.step_label()) {
                    if rough_hours(limit, config.working_hours) > overall {
                        problems.push(ConfigProblem::StepExceedsOverall {
                            code: c.code.clone(),
                            step,
                            step_limit: limit,
                            overall: c.overall,
                        });
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Workflow {
            config,
            calendar,
            roles,
            categories,
            departments,
        })
    }

    /// The grid system's workflow on the shipped calendar.
    pub fn grid() -> Workflow {
        Workflow::new(WorkflowConfig::grid(), WorkingCalendar::shipped())
            .expect("config/grid.toml is valid")
    }

    /// The configuration.
    pub fn config(&self) -> &WorkflowConfig {
        &self.config
    }

    /// The working calendar.
    pub fn calendar(&self) -> &WorkingCalendar {
        &self.calendar
    }

    /// Office hours.
    pub fn working_hours(&self) -> WorkingHours {
        self.config.working_hours
    }

    /// A category by code.
    pub fn category(&self, code: &str) -> Option<&CategoryConfig> {
        self.categories
            .get(code)
            .map(|&i| &self.config.categories[i])
    }

    /// A role by code.
    pub fn role(&self, code: &str) -> Option<&RoleConfig> {
        self.roles.get(code).map(|&i| &self.config.roles[i])
    }

    /// A department by code.
    pub fn department(&self, code: &str) -> Option<&DepartmentConfig> {
        self.departments
            .get(code)
            .map(|&i| &self.config.departments[i])
    }

    /// Whether role `role` holds `duty`; unknown roles hold none.
    pub fn may(&self, role: &str, duty: Duty) -> bool {
        self.role(role).is_some_and(|r| r.duties.contains(&duty))
    }

    /// The department a case of `category` in `area` goes to: the first
    /// matching row of the routing table, or the command centre.
    pub fn route(&self, category: &str, area: &str) -> (&str, Route) {
        for (i, rule) in self.config.routes.iter().enumerate() {
            if rule.matches(category, area) {
                return (&rule.department, Route::Rule { row: i + 1 });
            }
        }
        (&self.config.command_centre, Route::Fallback)
    }

    /// The instant `limit` ends when it starts at `start`.
    pub fn due(&self, start: Timestamp, limit: TimeLimit) -> Timestamp {
        limit.due(start, &self.calendar, self.config.working_hours)
    }

    /// Working time between two instants, in microseconds.
    pub fn working_micros_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        self.calendar
            .working_micros_between(from, to, self.config.working_hours)
    }

    /// The instant at which `micros` of working time have elapsed after
    /// `start`: the earliest `t` with `working_micros_between(start, t) >=
    /// micros`, found by bisection between `start` and a whole number of
    /// working hours that is surely enough (the calendar only adds whole
    /// hours). Used to resume a clock paused with time left on it.
    pub fn add_working_micros(&self, start: Timestamp, micros: i64) -> Timestamp {
        if micros <= 0 {
            return start;
        }
        const HOUR: i64 = 3_600_000_000;
        let hours = u32::try_from(micros.div_euclid(HOUR) + 1).unwrap_or(u32::MAX);
        let mut hi = self
            .calendar
            .add_working_hours(start, hours, self.config.working_hours)
            .micros();
        let mut lo = start.micros();
        // Invariant: working(start, lo) < micros <= working(start, hi).
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.working_micros_between(start, Timestamp::from_micros(mid)) >= micros {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Timestamp::from_micros(hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_print_back() {
        assert_eq!(TimeLimit::parse("4h").unwrap(), TimeLimit::hours(4));
        assert_eq!(TimeLimit::parse(" 15d ").unwrap(), TimeLimit::days(15));
        assert_eq!(TimeLimit::days(15).to_string(), "15d");
        assert_eq!(TimeLimit::hours(2).label(), "2个工作小时");
        for bad in [
            "",
            "h",
            "0h",
            "4",
            "4w",
            "-1d",
            "1.5d",
            "4 h",
            "99999999999h",
        ] {
            let err = TimeLimit::parse(bad).unwrap_err();
            assert!(err.to_string().contains("格式不正确"), "{bad}");
        }
    }

    #[test]
    fn grid_config_is_valid_and_has_the_five_must_report_categories() {
        let wf = Workflow::grid();
        let names: Vec<&str> = wf
            .config()
            .categories
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        for name in [
            "不稳定因素",
            "安全隐患",
            "环境影响事件",
            "公共设施损坏",
            "违法建设",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        assert!(wf.may("grid_leader", Duty::Check));
        assert!(!wf.may("resident", Duty::Check));
        assert!(!wf.may("nobody", Duty::Report));
    }

    #[test]
    fn first_matching_route_wins_and_nothing_falls_back() {
        let mut config = WorkflowConfig::grid();
        config
            .add_categories_toml(
                r#"
[[categories]]
code = "noise"
name = "噪声扰民"
overall = "5d"

[[routes]]
category = "safety_hazard"
area_prefix = "320612001"
department = "urban_management"
"#,
            )
            .unwrap();
        let wf = Workflow::new(config, WorkingCalendar::weekdays_only()).unwrap();
        assert_eq!(
            wf.route("safety_hazard", "320612001002003"),
            ("urban_management", Route::Rule { row: 1 })
        );
        let (dept, route) = wf.route("safety_hazard", "320612002001001");
        assert_eq!(dept, "emergency");
        assert!(matches!(route, Route::Rule { row } if row > 1));
        assert_eq!(
            wf.route("noise", "320612002001001"),
            ("command_centre", Route::Fallback)
        );
    }

    #[test]
    fn every_problem_is_listed_in_chinese() {
        let config = WorkflowConfig::from_toml(
            r#"
command_centre = "centre"
departments = [{ code = "a", name = "甲" }, { code = "a", name = "" }]
roles = [{ code = "Bad Code", name = "某", duties = ["report"] }]

[[categories]]
code = "x"
name = "某类"
overall = "1d"
steps = { handle = "3d" }

[[routes]]
category = "y"
area_prefix = "32a"
department = "b"
"#,
        )
        .unwrap();
        let err = Workflow::new(config, WorkingCalendar::weekdays_only()).unwrap_err();
        let text = err.to_string();
        for expected in [
            "部门代码“a”重复",
            "部门“a”的名称不能为空",
            "角色代码不能为空，只能由小写字母、数字和下划线组成，实际为“Bad Code”",
            "指挥中心“centre”不在部门列表中",
            "第1条派遣规则指向的部门“b”不在部门列表中",
            "第1条派遣规则的类别“y”不存在",
            "第1条派遣规则的区域代码前缀“32a”应只含数字且不能为空",
            "没有任何角色负责“核实”",
            "类别“x”的处置环节时限 3d 超过了总时限 1d",
        ] {
            assert!(text.contains(expected), "missing {expected} in {text}");
        }
        assert!(text.starts_with(&format!("配置有 {} 处错误", err.problems.len())));
    }

    #[test]
    fn bad_limits_and_unknown_fields_are_syntax_errors_in_chinese() {
        let mut config = WorkflowConfig::grid();
        let err = config
            .add_categories_toml("[[categories]]\ncode = \"n\"\nname = \"某\"\noverall = \"5w\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("时限“5w”格式不正确"), "{err}");
        let err = WorkflowConfig::from_toml("command_centre = 1").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("配置有 1 处错误：1. 配置文件无法解析"));
    }

    #[test]
    fn adding_working_micros_inverts_the_measure() {
        let wf = Workflow::grid();
        // Friday 2026-03-13 16:30; 90 working minutes end on Monday 10:00.
        let start = Timestamp::parse_rfc3339("2026-03-13T16:30:00+08:00").unwrap();
        let end = wf.add_working_micros(start, 90 * 60 * 1_000_000);
        assert_eq!(end.to_rfc3339(), "2026-03-16T10:00:00+08:00");
        assert_eq!(wf.working_micros_between(start, end), 90 * 60 * 1_000_000);
        assert_eq!(wf.add_working_micros(start, 0), start);
        // Ending exactly at a period's end stays there.
        let noon = wf.add_working_micros(
            Timestamp::parse_rfc3339("2026-03-16T11:00:00+08:00").unwrap(),
            3_600_000_000,
        );
        assert_eq!(noon.to_rfc3339(), "2026-03-16T12:00:00+08:00");
    }
}
