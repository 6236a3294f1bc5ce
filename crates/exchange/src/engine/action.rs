//! What parties, the bank and the exchange ask of a listing.

use super::ids::{Party, Quantity, Share};
use super::rules::Schedule;
use super::seal::Sealed;
use serde::{Deserialize, Serialize};
use yiwang_core::{Money, Timestamp};

/// A partner of a joint application (联合竞买) and its share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub party: Party,
    pub share: Share,
}

/// One action on a listing, judged at the instant the server receives it.
///
/// The serde form is tagged by `do`, with the names of the scenario format;
/// sealed amounts serialise as their commitments only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// 竞买申请: `party` applies, alone or as the lead of a joint application.
    Apply {
        party: Party,
        partners: Vec<Partner>,
    },
    /// 联合竞买确认: a partner consents to `lead`'s joint application.
    Consent { party: Party, lead: Party },
    /// The bank reports a deposit naming `party`.
    Deposit { party: Party, amount: Money },
    /// A bid, in listing quotes or in a timed round.
    Bid { party: Party, price: Money },
    /// A request to take part in the timed round.
    DeclareTimed { party: Party },
    /// Accepting the cap price once the cap is reached.
    AcceptCap { party: Party },
    /// One sealed offer in the sealed-average follow-on.
    SealedOffer { party: Party, offer: Sealed<Money> },
    /// An offer of quantity in the ascending follow-on.
    Offer { party: Party, quantity: Quantity },
    /// The exchange sets or changes the sealed reserve.
    SetReserve { reserve: Sealed<Option<Money>> },
    /// The exchange changes the increment for the bids that follow.
    SetIncrement { increment: Money },
    /// The exchange replaces the listing's ineligible list (§3.1: arrears,
    /// defaults, blacklist) with the parties in force now. The list in the
    /// rules still applies; this one is added to it.
    SetIneligible { parties: Vec<Party> },
    /// An officer suspends the listing (中止): every action is refused
    /// `suspended` and no deadline falls due until it resumes. Not part of
    /// the scenario format.
    Suspend { reason: String },
    /// An officer resumes a suspended listing with a new schedule and, when
    /// the listing was suspended in a timed round or a follow-on, the new
    /// deadline of that phase. Not part of the scenario format.
    Resume {
        schedule: Schedule,
        deadline: Option<Timestamp>,
    },
}

impl Action {
    /// The action's name, as in the scenario format's `do`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Apply { .. } => "apply",
            Action::Consent { .. } => "consent",
            Action::Deposit { .. } => "deposit",
            Action::Bid { .. } => "bid",
            Action::DeclareTimed { .. } => "declare_timed",
            Action::AcceptCap { .. } => "accept_cap",
            Action::SealedOffer { .. } => "sealed_offer",
            Action::Offer { .. } => "offer",
            Action::SetReserve { .. } => "set_reserve",
            Action::SetIncrement { .. } => "set_increment",
            Action::SetIneligible { .. } => "set_ineligible",
            Action::Suspend { .. } => "suspend",
            Action::Resume { .. } => "resume",
        }
    }

    /// The action with the openings of its sealed amounts dropped.
    pub fn without_secrets(&self) -> Action {
        match self {
            Action::SealedOffer { party, offer } => Action::SealedOffer {
                party: party.clone(),
                offer: offer.without_opening(),
            },
            Action::SetReserve { reserve } => Action::SetReserve {
                reserve: reserve.without_opening(),
            },
            other => other.clone(),
        }
    }

    /// The party acting, for the actions a party takes.
    pub fn party(&self) -> Option<&Party> {
        match self {
            Action::Apply { party, .. }
            | Action::Consent { party, .. }
            | Action::Deposit { party, .. }
            | Action::Bid { party, .. }
            | Action::DeclareTimed { party }
            | Action::AcceptCap { party }
            | Action::SealedOffer { party, .. }
            | Action::Offer { party, .. } => Some(party),
            Action::SetReserve { .. }
            | Action::SetIncrement { .. }
            | Action::SetIneligible { .. }
            | Action::Suspend { .. }
            | Action::Resume { .. } => None,
        }
    }
}
