//! Why an action on a case was refused.
//!
//! The snake_case code is the contract (the API, the audit log); the
//! message is what the person who acted reads. Messages speak of "事项"
//! (a matter), so that they read right for a grid event, an enterprise
//! request and a mediation alike.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A refusal reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The actor's role does not hold the duty, or the actor is not the
    /// department the case is with, or not its reporter.
    NotAllowed,
    /// The case is not at a step where the action applies.
    WrongStep,
    /// The case is finished (rejected, or closed and evaluated).
    Closed,
    /// A reason is required and was blank.
    ReasonRequired,
    /// A rating outside 1–5.
    InvalidRating,
    /// The category is not configured.
    UnknownCategory,
    /// The department is not configured.
    UnknownDepartment,
    /// The report has no usable location.
    LocationRequired,
    /// The category requires a photo from staff.
    PhotoRequired,
    /// The report has no description.
    DescriptionRequired,
    /// A point outside WGS84's ranges.
    InvalidPoint,
    /// An extension's new limit is not later than the current one and now.
    InvalidLimit,
    /// An extension is already waiting for approval.
    ExtensionPending,
    /// No extension is waiting for approval.
    NoExtensionPending,
    /// The case is on the problem register.
    OnRegister,
    /// The case is not on the problem register.
    NotOnRegister,
}

impl Refusal {
    /// Every reason, in the order above.
    pub const ALL: [Refusal; 16] = [
        Refusal::NotAllowed,
        Refusal::WrongStep,
        Refusal::Closed,
        Refusal::ReasonRequired,
        Refusal::InvalidRating,
        Refusal::UnknownCategory,
        Refusal::UnknownDepartment,
        Refusal::LocationRequired,
        Refusal::PhotoRequired,
        Refusal::DescriptionRequired,
        Refusal::InvalidPoint,
        Refusal::InvalidLimit,
        Refusal::ExtensionPending,
        Refusal::NoExtensionPending,
        Refusal::OnRegister,
        Refusal::NotOnRegister,
    ];

    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "not_allowed",
            Refusal::WrongStep => "wrong_step",
            Refusal::Closed => "closed",
            Refusal::ReasonRequired => "reason_required",
            Refusal::InvalidRating => "invalid_rating",
            Refusal::UnknownCategory => "unknown_category",
            Refusal::UnknownDepartment => "unknown_department",
            Refusal::LocationRequired => "location_required",
            Refusal::PhotoRequired => "photo_required",
            Refusal::DescriptionRequired => "description_required",
            Refusal::InvalidPoint => "invalid_point",
            Refusal::InvalidLimit => "invalid_limit",
            Refusal::ExtensionPending => "extension_pending",
            Refusal::NoExtensionPending => "no_extension_pending",
            Refusal::OnRegister => "on_register",
            Refusal::NotOnRegister => "not_on_register",
        }
    }

    /// What the person who acted is told, in Chinese.
    pub fn message_zh(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "您无权对该事项进行此项操作。",
            Refusal::WrongStep => "该事项当前所处环节不能进行此项操作。",
            Refusal::Closed => "该事项已办结，不再受理任何操作。",
            Refusal::ReasonRequired => "请填写理由。",
            Refusal::InvalidRating => "评价须为 1 至 5 分的整数。",
            Refusal::UnknownCategory => "事项类别不存在，请从列表中选择。",
            Refusal::UnknownDepartment => "承办部门不存在，请从列表中选择。",
            Refusal::LocationRequired => {
                "请提供事发位置：工作人员上报须在地图上标注位置，群众上报须填写地址或标注位置。"
            }
            Refusal::PhotoRequired => "该类事项须附现场照片。",
            Refusal::DescriptionRequired => "请描述事项的具体情况。",
            Refusal::InvalidPoint => {
                "位置坐标无效：经度应在 -180 至 180 之间，纬度应在 -90 至 90 之间。"
            }
            Refusal::InvalidLimit => "新的办理时限须晚于当前时限和当前时间。",
            Refusal::ExtensionPending => "已有延期申请等待审批，请勿重复申请。",
            Refusal::NoExtensionPending => "没有待审批的延期申请。",
            Refusal::OnRegister => "该事项已挂账，请先销账后再办理。",
            Refusal::NotOnRegister => "该事项未挂账。",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How an action was judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    Accepted,
    Refused(Refusal),
}

impl Verdict {
    /// `"ok"` or the refusal code.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Accepted => "ok",
            Verdict::Refused(r) => r.code(),
        }
    }

    /// Whether the action was accepted.
    pub fn is_accepted(self) -> bool {
        self == Verdict::Accepted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_serde_and_are_unique_with_messages() {
        let mut seen = std::collections::HashSet::new();
        for r in Refusal::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
            assert_eq!(serde_json::from_str::<Refusal>(&json).unwrap(), r);
            assert!(seen.insert(r.code()));
            assert!(r.message_zh().ends_with('。'), "{r}");
        }
        assert_eq!(Verdict::Accepted.code(), "ok");
        assert_eq!(Verdict::Refused(Refusal::WrongStep).code(), "wrong_step");
    }
}
