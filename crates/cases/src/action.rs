//! Who acts on a case, and what they ask.

use crate::geo::Point;
use serde::{Deserialize, Serialize};
use yiwang_core::Timestamp;

/// A person acting on a case: their account id, their role (a code of the
/// configuration's roles) and, for department staff, their department.
/// The web layer builds it from the signed-in account; the engine trusts it
/// and checks the role's duties and the department against the case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    pub id: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Actor {
    /// An actor with no department.
    pub fn new(id: impl Into<String>, role: impl Into<String>) -> Actor {
        Actor {
            id: id.into(),
            role: role.into(),
            unit: None,
        }
    }

    /// An actor of department `unit`.
    pub fn of_unit(
        id: impl Into<String>,
        role: impl Into<String>,
        unit: impl Into<String>,
    ) -> Actor {
        Actor {
            id: id.into(),
            role: role.into(),
            unit: Some(unit.into()),
        }
    }
}

/// What a reporter tells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub category: String,
    pub description: String,
    /// The address as told ("天熹社区3号楼东侧").
    #[serde(default)]
    pub address: String,
    /// The code of the area the case is in (for the grid, the 15-digit grid
    /// code), matched by the routing table's prefixes.
    pub area: String,
    #[serde(default)]
    pub point: Option<Point>,
    /// References to stored photos (ids or URLs); the engine keeps only the
    /// references.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// One action on a case, judged at the instant it is received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// 上报: opens the case.
    Report { by: Actor, report: Report },
    /// 核实通过: the report is valid.
    Confirm { by: Actor },
    /// 核实不通过: the report is invalid; ends the case.
    Reject { by: Actor, reason: String },
    /// 立案, optionally changing the category.
    File {
        by: Actor,
        #[serde(default)]
        category: Option<String>,
    },
    /// 派遣: to `department`, or by the routing table when `None`.
    Dispatch {
        by: Actor,
        #[serde(default)]
        department: Option<String>,
    },
    /// 签收: the department takes the case.
    Accept { by: Actor },
    /// 退回: the department sends the case back to dispatch.
    Return { by: Actor, reason: String },
    /// 处置反馈: the department reports it handled.
    Feedback {
        by: Actor,
        summary: String,
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 核查通过.
    RecheckPass {
        by: Actor,
        #[serde(default)]
        note: String,
    },
    /// 核查不通过: back to the department (返工).
    RecheckFail { by: Actor, reason: String },
    /// 结案.
    Close { by: Actor },
    /// 评价: the reporter rates the outcome 1–5.
    Evaluate {
        by: Actor,
        rating: u8,
        #[serde(default)]
        comment: Option<String>,
    },
    /// 延期申请: the department asks for a new limit.
    RequestExtension {
        by: Actor,
        reason: String,
        new_due: Timestamp,
    },
    /// 延期批准.
    ApproveExtension { by: Actor },
    /// 延期驳回.
    DenyExtension { by: Actor, reason: String },
    /// 挂账: the case cannot be solved now; its clocks stop.
    Register { by: Actor, reason: String },
    /// 销账: off the register; its clocks resume with the time they had
    /// left.
    Unregister { by: Actor, reason: String },
}

impl Action {
    /// The action's name, as in the serde tag.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Report { .. } => "report",
            Action::Confirm { .. } => "confirm",
            Action::Reject { .. } => "reject",
            Action::File { .. } => "file",
            Action::Dispatch { .. } => "dispatch",
            Action::Accept { .. } => "accept",
            Action::Return { .. } => "return",
            Action::Feedback { .. } => "feedback",
            Action::RecheckPass { .. } => "recheck_pass",
            Action::RecheckFail { .. } => "recheck_fail",
            Action::Close { .. } => "close",
            Action::Evaluate { .. } => "evaluate",
            Action::RequestExtension { .. } => "request_extension",
            Action::ApproveExtension { .. } => "approve_extension",
            Action::DenyExtension { .. } => "deny_extension",
            Action::Register { .. } => "register",
            Action::Unregister { .. } => "unregister",
        }
    }

    /// Who acts.
    pub fn actor(&self) -> &Actor {
        match self {
            Action::Report { by, .. }
            | Action::Confirm { by }
            | Action::Reject { by, .. }
            | Action::File { by, .. }
            | Action::Dispatch { by, .. }
            | Action::Accept { by }
            | Action::Return { by, .. }
            | Action::Feedback { by, .. }
            | Action::RecheckPass { by, .. }
            | Action::RecheckFail { by, .. }
            | Action::Close { by }
            | Action::Evaluate { by, .. }
            | Action::RequestExtension { by, .. }
            | Action::ApproveExtension { by }
            | Action::DenyExtension { by, .. }
            | Action::Register { by, .. }
            | Action::Unregister { by, .. } => by,
        }
    }
}
