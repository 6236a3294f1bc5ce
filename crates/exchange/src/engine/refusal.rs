//! Why an action was refused: the reason codes of `exchange-rules.md`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A refusal reason. The snake_case code is the contract (scenarios, the
/// API, the log); [`Refusal::message_zh`] is what a bidder reads.
///
/// The last five are extensions beyond the scenario format: `suspended`,
/// `not_suspended`, `already_suspended` and `invalid_schedule` belong to
/// suspension, and `invalid_amount` guards amounts no well-formed scenario
/// can contain (a deposit of zero, an increment of zero, a price whose
/// total does not fit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    Closed,
    OutsideWindow,
    Ineligible,
    AlreadyApplied,
    InvalidShares,
    NotInvited,
    AlreadyConsented,
    NotApplied,
    DepositLate,
    NotQualified,
    NotParticipant,
    CapReached,
    AlreadyHighest,
    BelowMinimum,
    NotMultiple,
    AboveCap,
    ReserveLocked,
    AlreadyDeclared,
    AlreadyAccepted,
    AlreadyOffered,
    OutsideRange,
    DuplicateOffer,
    Suspended,
    NotSuspended,
    AlreadySuspended,
    InvalidSchedule,
    InvalidAmount,
}

impl Refusal {
    /// Every reason, in the order above.
    pub const ALL: [Refusal; 27] = [
        Refusal::Closed,
        Refusal::OutsideWindow,
        Refusal::Ineligible,
        Refusal::AlreadyApplied,
        Refusal::InvalidShares,
        Refusal::NotInvited,
        Refusal::AlreadyConsented,
        Refusal::NotApplied,
        Refusal::DepositLate,
        Refusal::NotQualified,
        Refusal::NotParticipant,
        Refusal::CapReached,
        Refusal::AlreadyHighest,
        Refusal::BelowMinimum,
        Refusal::NotMultiple,
        Refusal::AboveCap,
        Refusal::ReserveLocked,
        Refusal::AlreadyDeclared,
        Refusal::AlreadyAccepted,
        Refusal::AlreadyOffered,
        Refusal::OutsideRange,
        Refusal::DuplicateOffer,
        Refusal::Suspended,
        Refusal::NotSuspended,
        Refusal::AlreadySuspended,
        Refusal::InvalidSchedule,
        Refusal::InvalidAmount,
    ];

    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Closed => "closed",
            Refusal::OutsideWindow => "outside_window",
            Refusal::Ineligible => "ineligible",
            Refusal::AlreadyApplied => "already_applied",
            Refusal::InvalidShares => "invalid_shares",
            Refusal::NotInvited => "not_invited",
            Refusal::AlreadyConsented => "already_consented",
            Refusal::NotApplied => "not_applied",
            Refusal::DepositLate => "deposit_late",
            Refusal::NotQualified => "not_qualified",
            Refusal::NotParticipant => "not_participant",
            Refusal::CapReached => "cap_reached",
            Refusal::AlreadyHighest => "already_highest",
            Refusal::BelowMinimum => "below_minimum",
            Refusal::NotMultiple => "not_multiple",
            Refusal::AboveCap => "above_cap",
            Refusal::ReserveLocked => "reserve_locked",
            Refusal::AlreadyDeclared => "already_declared",
            Refusal::AlreadyAccepted => "already_accepted",
            Refusal::AlreadyOffered => "already_offered",
            Refusal::OutsideRange => "outside_range",
            Refusal::DuplicateOffer => "duplicate_offer",
            Refusal::Suspended => "suspended",
            Refusal::NotSuspended => "not_suspended",
            Refusal::AlreadySuspended => "already_suspended",
            Refusal::InvalidSchedule => "invalid_schedule",
            Refusal::InvalidAmount => "invalid_amount",
        }
    }

    /// What the person who acted is told, in Chinese. Messages never name
    /// another bidder nor reveal a sealed value.
    pub fn message_zh(self) -> &'static str {
        match self {
            Refusal::Closed => "本宗地交易已结束，不再受理该操作。",
            Refusal::OutsideWindow => "当前不在该操作的受理时间内。",
            Refusal::Ineligible => {
                "竞买人或联合竞买方存在欠缴、违约或失信等情形，不得参加本宗地竞买。"
            }
            Refusal::AlreadyApplied => "竞买人或联合竞买方已在本宗地的竞买申请中，不能重复申请。",
            Refusal::InvalidShares => {
                "联合竞买份额无效：每个联合方的份额须大于0且小于100%，且牵头方须保留大于0的份额。"
            }
            Refusal::NotInvited => "您未被列为该竞买申请的联合竞买方。",
            Refusal::AlreadyConsented => "您已确认参加该联合竞买，无需重复确认。",
            Refusal::NotApplied => "缴款人不是本宗地竞买申请的牵头人，该笔款项将予以退还。",
            Refusal::DepositLate => "保证金到账时间已过截止时间，该笔款项将予以退还。",
            Refusal::NotQualified => "您尚未取得本宗地的竞买资格。",
            Refusal::NotParticipant => "您不是本轮竞价的参与人。",
            Refusal::CapReached => "报价已达到最高限价，不再接受报价。",
            Refusal::AlreadyHighest => "您当前已是最高报价者，不能自行加价。",
            Refusal::BelowMinimum => "报价低于起始价或当前最高价加一个加价幅度。",
            Refusal::NotMultiple => "加价须为加价幅度的整数倍。",
            Refusal::AboveCap => "报价超过最高限价。",
            Refusal::ReserveLocked => "已过底价调整截止时间，底价不得再作调整。",
            Refusal::AlreadyDeclared => "您已申请参加限时竞价，无需重复申请。",
            Refusal::AlreadyAccepted => "您已接受最高限价，无需重复操作。",
            Refusal::AlreadyOffered => "每位竞买人只能报价一次，您已提交报价。",
            Refusal::OutsideRange => "报价不在规定的报价区间内。",
            Refusal::DuplicateOffer => "该报价与已提交的报价相同，请另行报价。",
            Refusal::Suspended => "本宗地交易已中止，请留意恢复交易的公告。",
            Refusal::NotSuspended => "本宗地交易未处于中止状态。",
            Refusal::AlreadySuspended => "本宗地交易已处于中止状态。",
            Refusal::InvalidSchedule => "恢复交易的时间安排无效：截止时间须晚于恢复时间。",
            Refusal::InvalidAmount => "金额或数量无效。",
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
    /// `"ok"` or the refusal code, as scenarios print verdicts.
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
    fn codes_match_serde_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in Refusal::ALL {
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.code()));
            assert_eq!(serde_json::from_str::<Refusal>(&json).unwrap(), r);
            assert!(seen.insert(r.code()));
            assert!(!r.message_zh().is_empty());
        }
        assert_eq!(Verdict::Accepted.code(), "ok");
        assert_eq!(Verdict::Refused(Refusal::Closed).code(), "closed");
    }
}
