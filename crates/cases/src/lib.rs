//! The shared case workflow: a matter reported, checked, filed,
//! dispatched, handled, re-checked, closed and evaluated, on time or not.
//!
//! Grid governance (网格化服务管理) runs its events (事件) on it; enterprise
//! requests (政企通诉求) and online labour mediation (调解) reuse it. The
//! crate is a pure, deterministic state machine in the style of the
//! exchange engine:
//!
//! ```text
//! (state, action, now) → (verdict, facts)
//! ```
//!
//! It does no I/O and reads no clock: `now` is an argument, deadlines are
//! facts recorded in events, and [`CaseState`] is a fold over the facts, so
//! a case replayed from its log is the case the server had.
//!
//! # The loop
//!
//! ```text
//!  [new] --report--> [reported] --confirm--> [confirmed] --file--> [filed] <------------------+
//!                        |                                            |                       |
//!                  reject (reason)                          dispatch (rules or by hand)       |
//!                        v                                            v                       |
//!                   [rejected]#                                 [dispatched] -----------------+
//!                                                                     |                       |
//!                                                                   accept                    |
//!                                                                     v                       |
//!                                               +--------------> [handling] ------------------+
//!                                               |                     |           return (reason)
//!                                   recheck_fail (reason):        feedback
//!                                   rework, counted                   v
//!                                               +---------------- [recheck]
//!                                                                     |
//!                                                               recheck_pass
//!                                                                     v
//!                                                                [verified]
//!                                                                     |
//!                                                                   close
//!                                                                     v
//!                                   [evaluated]# <--evaluate 1-5-- [closed]
//! ```
//!
//! `#` marks the two final stages: nothing is accepted there (`closed`).
//! Besides the edges, on the side:
//!
//! * **Time limits.** Each category has an overall limit from filing to
//!   closing and optional limits per step, in working hours or working days
//!   on the [`WorkingCalendar`](yiwang_core::WorkingCalendar). When one runs
//!   out, [`Workflow::advance`] escalates the case to the command centre
//!   (an `escalated` fact at the deadline's own instant); `decide` advances
//!   first, so a verdict never depends on when a timer fired.
//! * **Extensions (延期).** In handling, the department asks for a new
//!   limit with a reason; a role with the `approve_extension` duty approves
//!   (the overall and the handling limits become the new one) or denies it
//!   with a reason.
//! * **Problem register (挂账).** A filed case that cannot be solved now goes
//!   on the register with a reason: its clocks stop and every action but
//!   `unregister` is refused (`on_register`). Taken off (销账), its clocks
//!   resume with the working time they had left. A case ever on the register
//!   is deferred in the on-time rate.
//! * **Duplicates.** [`possible_duplicates`] suggests open cases of the same
//!   category within 50 m and 7 days before a report is filed.
//!
//! # Using it from another system
//!
//! Nothing here knows grids. A system brings a [`WorkflowConfig`] (TOML or
//! any serde format) naming its categories and limits, its departments and
//! routing table, and its roles with their [`Duty`]s; the grid's is
//! [`WorkflowConfig::grid`]. For enterprise requests, say:
//!
//! ```
//! use yiwang_cases::{Action, Actor, CaseState, Report, Stage, Workflow, WorkflowConfig};
//! use yiwang_core::{Timestamp, WorkingCalendar};
//!
//! let config = WorkflowConfig::from_toml(r#"
//! command_centre = "service_centre"
//! departments = [
//!     { code = "service_centre", name = "企业服务中心" },
//!     { code = "tax", name = "区税务局" },
//! ]
//! roles = [
//!     { code = "enterprise", name = "企业", duties = ["report"] },
//!     { code = "staff", name = "企业服务专员", staff = true, duties = ["check", "file", "dispatch", "recheck", "close", "register"] },
//!     { code = "bureau", name = "承办部门", staff = true, duties = ["handle"] },
//!     { code = "director", name = "分管领导", staff = true, duties = ["approve_extension"] },
//! ]
//! categories = [{ code = "tax_refund", name = "退税诉求", overall = "5d", steps = { handle = "3d" } }]
//! routes = [{ category = "tax_refund", department = "tax" }]
//! "#)?;
//! let workflow = Workflow::new(config, WorkingCalendar::shipped())?;
//!
//! let mut case = CaseState::new();
//! let now = Timestamp::parse_rfc3339("2026-03-16T10:00:00+08:00")?;
//! let report = Report {
//!     category: "tax_refund".into(),
//!     description: "出口退税三个月未到账".into(),
//!     address: "开发区通盛大道1号".into(),
//!     area: "320612".into(),
//!     point: None,
//!     photos: vec![],
//! };
//! let by = Actor::new("ent-1", "enterprise");
//! let decision = workflow.decide(&mut case, &Action::Report { by, report }, now)?;
//! assert!(decision.verdict.is_accepted());
//! assert_eq!(case.stage, Stage::Reported);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The server keeps each case's facts (in order, with their instants) and
//! rebuilds a case with [`CaseState::replay`]; it calls [`Workflow::advance`]
//! from a timer at [`Workflow::next_due`] to publish escalations; pages and
//! exports compute indicators with [`kpi`]. Refusals carry stable codes and
//! Chinese messages ([`Refusal`]).
//!
//! | module | holds |
//! |---|---|
//! | [`config`] | [`WorkflowConfig`], [`Workflow`]: categories, limits, routes, roles |
//! | [`action`] | [`Actor`], [`Action`], [`Report`] |
//! | [`event`] | [`Event`], [`Fact`], [`Overdue`] |
//! | [`state`] | [`CaseState`], [`Stage`], the fold |
//! | [`engine`] | [`Workflow::decide`], [`Workflow::advance`], [`Decision`] |
//! | [`refusal`] | [`Refusal`] codes and messages, [`Verdict`] |
//! | [`geo`] | [`Point`], haversine distance, [`possible_duplicates`] |
//! | [`kpi`] | per-case indicators and their sums |

pub mod action;
pub mod config;
pub mod engine;
pub mod event;
pub mod geo;
pub mod kpi;
pub mod refusal;
pub mod state;

pub use action::{Action, Actor, Report};
pub use config::{
    CategoryConfig, ConfigError, ConfigProblem, DepartmentConfig, Duty, LimitError, LimitUnit,
    RoleConfig, Route, RouteConfig, StepLimits, TimeLimit, Workflow, WorkflowConfig,
};
pub use engine::{CaseError, Decision};
pub use event::{Event, Fact, Overdue};
pub use geo::{
    possible_duplicates, Candidate, DuplicateRule, Point, PointError, Probe, Suggestion,
};
pub use kpi::{case_kpi, CaseKpi, Kpis, Rate};
pub use refusal::{Refusal, Verdict};
pub use state::{ApplyError, CaseState, Deadline, PendingExtension, Registration, Stage};
