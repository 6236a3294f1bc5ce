//! The facts of a listing.
//!
//! Every accepted action, every refusal and every deadline that falls due
//! becomes a [`Fact`]: an [`Event`] and the instant it took effect. The
//! state is a fold over facts ([`ListingState::apply`](super::ListingState::apply)),
//! so the listing's log is its state. Event names are stable snake_case
//! (the `type` tag); they are part of the log format.
//!
//! Hot events (bids) carry bidder numbers, never names, so that deciding a
//! bid allocates nothing.

use super::action::{Action, Partner};
use super::ids::{BidderNo, Party, Quantity};
use super::refusal::Refusal;
use super::rules::{ListingRules, Schedule};
use super::seal::{Digest, Nonce, Opening, Sealed};
use serde::{Deserialize, Serialize};
use yiwang_core::{Money, Timestamp};

/// An event and the instant it took effect. For an action that is the
/// instant the server received it; for a deadline it is the deadline
/// itself, however late the timer that noticed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fact {
    pub at: Timestamp,
    pub event: Event,
}

/// Why a listing failed (流拍).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailReason {
    NoBids,
    BelowReserve,
}

impl FailReason {
    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            FailReason::NoBids => "no_bids",
            FailReason::BelowReserve => "below_reserve",
        }
    }
}

/// The result of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// 成交.
    Sold {
        winner: Party,
        bidder: BidderNo,
        /// The price in the listing's basis (per m² or total).
        price: Money,
        /// The total price of the parcel.
        total_price: Money,
        /// The winning quantity of an ascending follow-on.
        quantity: Option<Quantity>,
    },
    /// 流拍.
    Failed { reason: FailReason },
}

/// The decision, and the reserve that was in force, revealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub result: Outcome,
    pub reserve: Opening<Option<Money>>,
}

/// A sealed offer, opened when its window closes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenedOffer {
    pub commitment: Digest,
    pub price: Money,
    pub nonce: Nonce,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The first entry of a log: the listing's rules, with its secrets
    /// sealed, so that a log file can be verified on its own.
    ListingOpened { rules: Box<ListingRules> },
    /// An application was accepted.
    Applied { lead: Party, partners: Vec<Partner> },
    /// A partner consented.
    Consented { party: Party, lead: Party },
    /// A deposit was credited to `lead`'s application.
    DepositCredited { lead: Party, amount: Money },
    /// A deposit was refused; it is recorded and due for refund.
    DepositRefused {
        party: Party,
        amount: Money,
        reason: Refusal,
    },
    /// An application qualified; its lead bids as `bidder` from now on.
    Qualified { lead: Party, bidder: BidderNo },
    /// A bid was accepted. In a timed round, `deadline` is the restarted
    /// countdown's end.
    BidAccepted {
        bidder: BidderNo,
        price: Money,
        deadline: Option<Timestamp>,
    },
    /// A bid reached the price cap; others may accept it until
    /// `acceptance_end`.
    CapReached {
        bidder: BidderNo,
        acceptance_end: Timestamp,
    },
    /// A bidder declared for the timed round.
    TimedDeclared { bidder: BidderNo },
    /// The timed round started at listing end.
    TimedRoundStarted {
        participants: Vec<BidderNo>,
        deadline: Timestamp,
    },
    /// A bidder accepted the cap price.
    CapAccepted { bidder: BidderNo },
    /// The lottery among cap holders was drawn; the seed is revealed.
    LotteryDrawn {
        /// The holders' ids sorted by byte order, as hashed.
        holders: Vec<Party>,
        seed: String,
        winner: Party,
    },
    /// The sealed-offer window opened for the cap holders.
    SealedWindowOpened {
        holders: Vec<BidderNo>,
        end: Timestamp,
    },
    /// A sealed offer was accepted; its price stays sealed.
    SealedOfferMade {
        bidder: BidderNo,
        offer: Sealed<Money>,
    },
    /// The sealed-offer window closed: every offer, and every attempt
    /// refused for its price, is opened.
    SealedOffersOpened { offers: Vec<OpenedOffer> },
    /// The ascending follow-on started for the cap holders.
    AscendingStarted {
        holders: Vec<BidderNo>,
        deadline: Timestamp,
    },
    /// An ascending offer was accepted; the countdown restarts.
    OfferAccepted {
        bidder: BidderNo,
        quantity: Quantity,
        deadline: Timestamp,
    },
    /// The exchange set the reserve; only its commitment is recorded.
    ReserveSet { reserve: Sealed<Option<Money>> },
    /// The exchange changed the increment.
    IncrementChanged { increment: Money },
    /// The exchange replaced the ineligible list.
    IneligibleSet { parties: Vec<Party> },
    /// The listing was suspended.
    Suspended { reason: String },
    /// The listing resumed with a new schedule.
    Resumed {
        schedule: Schedule,
        deadline: Option<Timestamp>,
    },
    /// The result, with the reserve revealed.
    Decided(Box<Decision>),
    /// An action was refused.
    ActionRefused {
        action: Box<Action>,
        reason: Refusal,
    },
}

impl Event {
    /// The event with every opening of a sealed value dropped (the
    /// commitments stay), as it may be stored or shown before its reveal.
    /// Reveal events (`decided`, `lottery_drawn`, `sealed_offers_opened`)
    /// are kept whole: their secrecy has ended.
    pub fn without_secrets(&self) -> Event {
        match self {
            Event::ListingOpened { rules } => Event::ListingOpened {
                rules: Box::new(rules.without_secrets()),
            },
            Event::SealedOfferMade { bidder, offer } => Event::SealedOfferMade {
                bidder: *bidder,
                offer: offer.without_opening(),
            },
            Event::ReserveSet { reserve } => Event::ReserveSet {
                reserve: reserve.without_opening(),
            },
            Event::ActionRefused { action, reason } => Event::ActionRefused {
                action: Box::new(action.without_secrets()),
                reason: *reason,
            },
            other => other.clone(),
        }
    }

    /// The event's stable name (its `type` tag).
    pub fn name(&self) -> &'static str {
        match self {
            Event::ListingOpened { .. } => "listing_opened",
            Event::Applied { .. } => "applied",
            Event::Consented { .. } => "consented",
            Event::DepositCredited { .. } => "deposit_credited",
            Event::DepositRefused { .. } => "deposit_refused",
            Event::Qualified { .. } => "qualified",
            Event::BidAccepted { .. } => "bid_accepted",
            Event::CapReached { .. } => "cap_reached",
            Event::TimedDeclared { .. } => "timed_declared",
            Event::TimedRoundStarted { .. } => "timed_round_started",
            Event::CapAccepted { .. } => "cap_accepted",
            Event::LotteryDrawn { .. } => "lottery_drawn",
            Event::SealedWindowOpened { .. } => "sealed_window_opened",
            Event::SealedOfferMade { .. } => "sealed_offer_made",
            Event::SealedOffersOpened { .. } => "sealed_offers_opened",
            Event::AscendingStarted { .. } => "ascending_started",
            Event::OfferAccepted { .. } => "offer_accepted",
            Event::ReserveSet { .. } => "reserve_set",
            Event::IncrementChanged { .. } => "increment_changed",
            Event::IneligibleSet { .. } => "ineligible_set",
            Event::Suspended { .. } => "suspended",
            Event::Resumed { .. } => "resumed",
            Event::Decided(_) => "decided",
            Event::ActionRefused { .. } => "action_refused",
        }
    }

    /// How the event came about.
    pub fn cause(&self) -> Cause {
        match self {
            Event::ListingOpened { .. } => Cause::Opening,
            Event::Applied { .. }
            | Event::Consented { .. }
            | Event::DepositCredited { .. }
            | Event::DepositRefused { .. }
            | Event::BidAccepted { .. }
            | Event::TimedDeclared { .. }
            | Event::CapAccepted { .. }
            | Event::SealedOfferMade { .. }
            | Event::OfferAccepted { .. }
            | Event::ReserveSet { .. }
            | Event::IncrementChanged { .. }
            | Event::IneligibleSet { .. }
            | Event::Suspended { .. }
            | Event::Resumed { .. }
            | Event::ActionRefused { .. } => Cause::Action,
            Event::Qualified { .. } | Event::CapReached { .. } => Cause::Consequence,
            Event::TimedRoundStarted { .. }
            | Event::LotteryDrawn { .. }
            | Event::SealedWindowOpened { .. }
            | Event::SealedOffersOpened { .. }
            | Event::AscendingStarted { .. }
            | Event::Decided(_) => Cause::Deadline,
        }
    }
}

/// How an event came about; the log verifier uses it to re-run the actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The log's first entry.
    Opening,
    /// The record of one action, accepted or refused; exactly one per action.
    Action,
    /// Follows from the action recorded just before it, at the same instant.
    Consequence,
    /// A deadline fell due.
    Deadline,
}
