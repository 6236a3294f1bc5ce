//! The state of a listing: a fold over its facts.
//!
//! [`ListingState::apply`] is the only way the state changes, so a state
//! rebuilt from a log is the state the server had. `apply` trusts the order
//! of facts (the engine produced them) but never panics on a log that was
//! tampered with: a fact that does not fit the state is an [`ApplyError`].

use super::action::{Action, Partner};
use super::event::{Decision, Event, Fact};
use super::ids::{BidderNo, Party, Quantity, Share};
use super::refusal::Refusal;
use super::rules::{FollowOn, ListingRules, Schedule};
use super::seal::{LotterySeed, Opening, SealKind, Sealed};
use std::collections::HashMap;
use std::sync::Arc;
use yiwang_core::{Money, Timestamp};

/// Where a listing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Before `listing_end`, the cap not reached: applications, deposits,
    /// listing quotes, then the quote-stop hour.
    Listing,
    /// The timed round, until `deadline`.
    TimedRound { deadline: Timestamp },
    /// The cap has been reached; holders may accept it until `end`. When
    /// the cap was reached in a timed round (`in_round`), that round goes
    /// on, for acceptance only, until `end`.
    CapAcceptance { end: Timestamp, in_round: bool },
    /// The sealed-offer window, until `end`; `opened` once the offers have
    /// been opened at `end`.
    SealedWindow { end: Timestamp, opened: bool },
    /// The ascending follow-on, until `deadline`.
    Ascending { deadline: Timestamp },
    /// The result has been decided.
    Decided,
}

/// What a party is in this listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Lead(u32),
    Partner(u32),
}

/// A partner of an application and whether it has consented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerState {
    pub party: Party,
    pub share: Share,
    pub consented: bool,
}

/// An accepted application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub lead: Party,
    pub partners: Vec<PartnerState>,
    /// Deposits credited so far.
    pub credited: Money,
    /// The bidder number, once qualified.
    pub bidder: Option<BidderNo>,
}

impl Application {
    /// Whether every partner has consented.
    pub fn all_consented(&self) -> bool {
        self.partners.iter().all(|p| p.consented)
    }
}

/// A qualified bidder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bidder {
    /// The bidder's application (index into the applications).
    pub application: u32,
    pub declared: bool,
    pub has_bid: bool,
    /// Takes part in the timed round.
    pub participant: bool,
    /// Holds the cap price (reached it or accepted it).
    pub holder: bool,
    /// Made its sealed offer.
    pub offered: bool,
}

/// The highest bid so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HighBid {
    pub bidder: BidderNo,
    pub price: Money,
    pub at: Timestamp,
}

/// A deposit refused and due for refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub party: Party,
    pub amount: Money,
    pub at: Timestamp,
    pub reason: Refusal,
}

/// The state of one listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingState {
    pub(crate) schedule: Schedule,
    pub(crate) increment: Money,
    /// Parties the exchange declared ineligible after the listing opened.
    pub(crate) ineligible: Vec<Party>,
    pub(crate) reserve: Sealed<Option<Money>>,
    pub(crate) seed: Option<LotterySeed>,
    /// Shared between copies of the state (a copy is taken for every group
    /// of actions the desk decides) and copied only when an application
    /// changes, which bids never do.
    pub(crate) roles: Arc<HashMap<Party, Role>>,
    pub(crate) applications: Arc<Vec<Application>>,
    pub(crate) bidders: Vec<Bidder>,
    pub(crate) high: Option<HighBid>,
    pub(crate) phase: Phase,
    pub(crate) suspended: Option<String>,
    /// The bidder who reached the cap, and when.
    pub(crate) cap: Option<(BidderNo, Timestamp)>,
    /// Cap holders: the bidder who reached the cap, then those who accepted.
    pub(crate) holders: Vec<BidderNo>,
    pub(crate) sealed_offers: Vec<(BidderNo, Sealed<Money>)>,
    /// Sealed offers refused for their price, opened with the others.
    pub(crate) refused_offers: Vec<Sealed<Money>>,
    pub(crate) top_quantity: Option<(BidderNo, Quantity)>,
    pub(crate) lottery_winner: Option<BidderNo>,
    pub(crate) refunds: Vec<Refund>,
    pub(crate) decision: Option<(Timestamp, Decision)>,
    pub(crate) last_at: Option<Timestamp>,
    pub(crate) facts: u64,
}

/// A fact that does not fit the state it is applied to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("{event} at {at} is earlier than the fact before it")]
    Backwards { event: &'static str, at: Timestamp },
    #[error("{event}: {problem}")]
    Inconsistent {
        event: &'static str,
        problem: &'static str,
    },
    #[error("{event}: the revealed {what} does not match its commitment")]
    Reveal {
        event: &'static str,
        what: &'static str,
    },
}

fn bad(event: &'static str, problem: &'static str) -> ApplyError {
    ApplyError::Inconsistent { event, problem }
}

impl ListingState {
    /// The state of a listing whose notice has just been published.
    pub fn new(rules: &ListingRules) -> ListingState {
        ListingState {
            schedule: rules.schedule,
            increment: rules.increment,
            ineligible: Vec::new(),
            reserve: rules.reserve.clone(),
            seed: match &rules.price_cap {
                Some(cap) => match &cap.then {
                    FollowOn::Lottery { seed } => Some(seed.clone()),
                    _ => None,
                },
                None => None,
            },
            roles: Arc::default(),
            applications: Arc::default(),
            bidders: Vec::new(),
            high: None,
            phase: Phase::Listing,
            suspended: None,
            cap: None,
            holders: Vec::new(),
            sealed_offers: Vec::new(),
            refused_offers: Vec::new(),
            top_quantity: None,
            lottery_winner: None,
            refunds: Vec::new(),
            decision: None,
            last_at: None,
            facts: 0,
        }
    }

    /// Applies one fact.
    pub fn apply(&mut self, rules: &ListingRules, fact: &Fact) -> Result<(), ApplyError> {
        let name = fact.event.name();
        if self.last_at.is_some_and(|last| fact.at < last) {
            return Err(ApplyError::Backwards {
                event: name,
                at: fact.at,
            });
        }
        if let Event::ListingOpened { rules: logged } = &fact.event {
            // The log's header: it checks the rules but is not a fact of
            // the listing's life, so a state built without a log (the
            // engine, `simulate`) and one replayed from a log agree.
            if self.facts != 0 {
                return Err(bad(name, "only the first fact may open the listing"));
            }
            if **logged != *rules {
                return Err(bad(name, "the logged rules are not the listing's rules"));
            }
            return Ok(());
        }
        if self.decision.is_some()
            && !matches!(
                fact.event,
                Event::ActionRefused { .. } | Event::DepositRefused { .. }
            )
        {
            return Err(bad(name, "the result has already been decided"));
        }
        self.apply_event(rules, fact.at, &fact.event)?;
        self.last_at = Some(fact.at);
        self.facts += 1;
        Ok(())
    }

    fn apply_event(
        &mut self,
        rules: &ListingRules,
        at: Timestamp,
        event: &Event,
    ) -> Result<(), ApplyError> {
        let name = event.name();
        match event {
            Event::ListingOpened { .. } => {}
            Event::Applied { lead, partners } => self.add_application(lead, partners)?,
            Event::Consented { party, lead } => {
                let app = self
                    .application_led_by_mut(lead.as_str())
                    .ok_or(bad(name, "no such application"))?;
                let partner = app
                    .partners
                    .iter_mut()
                    .find(|p| p.party == *party)
                    .ok_or(bad(name, "not a partner of that application"))?;
                partner.consented = true;
            }
            Event::DepositCredited { lead, amount } => {
                let app = self
                    .application_led_by_mut(lead.as_str())
                    .ok_or(bad(name, "no such application"))?;
                app.credited = app
                    .credited
                    .checked_add(*amount)
                    .ok_or(bad(name, "credited total overflows"))?;
            }
            Event::DepositRefused {
                party,
                amount,
                reason,
            } => self.refunds.push(Refund {
                party: party.clone(),
                amount: *amount,
                at,
                reason: *reason,
            }),
            Event::Qualified { lead, bidder } => {
                let next = BidderNo(self.bidders.len() as u32 + 1);
                if *bidder != next {
                    return Err(bad(name, "bidder numbers must follow in order"));
                }
                let Some(Role::Lead(index)) = self.roles.get(lead.as_str()).copied() else {
                    return Err(bad(name, "no such application"));
                };
                let app = &mut Arc::make_mut(&mut self.applications)[index as usize];
                if app.bidder.is_some() {
                    return Err(bad(name, "already qualified"));
                }
                app.bidder = Some(*bidder);
                self.bidders.push(Bidder {
                    application: index,
                    declared: false,
                    has_bid: false,
                    participant: false,
                    holder: false,
                    offered: false,
                });
            }
            Event::BidAccepted {
                bidder,
                price,
                deadline,
            } => {
                self.bidder_mut(*bidder)
                    .ok_or(bad(name, "no such bidder"))?
                    .has_bid = true;
                self.high = Some(HighBid {
                    bidder: *bidder,
                    price: *price,
                    at,
                });
                match (&mut self.phase, deadline) {
                    (Phase::TimedRound { deadline: d }, Some(new)) => *d = *new,
                    (Phase::Listing | Phase::CapAcceptance { .. }, None) => {}
                    _ => return Err(bad(name, "deadline does not match the phase")),
                }
            }
            Event::CapReached {
                bidder,
                acceptance_end,
            } => {
                let in_round = match self.phase {
                    Phase::Listing => false,
                    Phase::TimedRound { .. } => true,
                    _ => return Err(bad(name, "the cap can only be reached while bidding")),
                };
                self.bidder_mut(*bidder)
                    .ok_or(bad(name, "no such bidder"))?
                    .holder = true;
                self.cap = Some((*bidder, at));
                self.holders = vec![*bidder];
                self.phase = Phase::CapAcceptance {
                    end: *acceptance_end,
                    in_round,
                };
            }
            Event::TimedDeclared { bidder } => {
                self.bidder_mut(*bidder)
                    .ok_or(bad(name, "no such bidder"))?
                    .declared = true;
            }
            Event::TimedRoundStarted {
                participants,
                deadline,
            } => {
                if self.phase != Phase::Listing {
                    return Err(bad(name, "a timed round starts from the listing period"));
                }
                for b in participants {
                    self.bidder_mut(*b)
                        .ok_or(bad(name, "no such bidder"))?
                        .participant = true;
                }
                self.phase = Phase::TimedRound {
                    deadline: *deadline,
                };
            }
            Event::CapAccepted { bidder } => {
                let b = self
                    .bidder_mut(*bidder)
                    .ok_or(bad(name, "no such bidder"))?;
                b.holder = true;
                self.holders.push(*bidder);
            }
            Event::LotteryDrawn { seed, winner, .. } => {
                let known = self
                    .seed
                    .as_mut()
                    .ok_or(bad(name, "the listing has no lottery"))?;
                known.reveal(seed).map_err(|_| ApplyError::Reveal {
                    event: name,
                    what: "lottery seed",
                })?;
                let bidder = self
                    .bidder_of(winner.as_str())
                    .ok_or(bad(name, "the winner is not a bidder"))?;
                self.lottery_winner = Some(bidder);
            }
            Event::SealedWindowOpened { end, .. } => {
                if !matches!(self.phase, Phase::CapAcceptance { .. }) {
                    return Err(bad(name, "the sealed window follows the cap acceptance"));
                }
                self.phase = Phase::SealedWindow {
                    end: *end,
                    opened: false,
                };
            }
            Event::SealedOfferMade { bidder, offer } => {
                self.bidder_mut(*bidder)
                    .ok_or(bad(name, "no such bidder"))?
                    .offered = true;
                self.sealed_offers.push((*bidder, offer.clone()));
            }
            Event::SealedOffersOpened { offers } => {
                let Phase::SealedWindow { end, opened: false } = self.phase else {
                    return Err(bad(name, "no sealed window to close"));
                };
                for opened in offers {
                    let opening = Opening {
                        value: opened.price,
                        nonce: opened.nonce,
                    };
                    let target = self
                        .sealed_offers
                        .iter_mut()
                        .map(|(_, s)| s)
                        .chain(self.refused_offers.iter_mut())
                        .find(|s| s.commitment() == opened.commitment)
                        .ok_or(bad(name, "an opened offer was never made"))?;
                    target
                        .open(SealKind::SealedOffer, &rules.code, opening)
                        .map_err(|_| ApplyError::Reveal {
                            event: name,
                            what: "sealed offer",
                        })?;
                }
                self.phase = Phase::SealedWindow { end, opened: true };
            }
            Event::AscendingStarted { deadline, .. } => {
                if !matches!(self.phase, Phase::CapAcceptance { .. }) {
                    return Err(bad(name, "the ascending round follows the cap acceptance"));
                }
                self.phase = Phase::Ascending {
                    deadline: *deadline,
                };
            }
            Event::OfferAccepted {
                bidder,
                quantity,
                deadline,
            } => {
                if self.bidder(*bidder).is_none() {
                    return Err(bad(name, "no such bidder"));
                }
                let Phase::Ascending { deadline: d } = &mut self.phase else {
                    return Err(bad(name, "no ascending round"));
                };
                *d = *deadline;
                self.top_quantity = Some((*bidder, *quantity));
            }
            Event::ReserveSet { reserve } => self.reserve = reserve.clone(),
            Event::IncrementChanged { increment } => self.increment = *increment,
            Event::IneligibleSet { parties } => self.ineligible = parties.clone(),
            Event::Suspended { reason } => {
                if self.suspended.is_some() {
                    return Err(bad(name, "already suspended"));
                }
                self.suspended = Some(reason.clone());
            }
            Event::Resumed { schedule, deadline } => {
                if self.suspended.is_none() {
                    return Err(bad(name, "not suspended"));
                }
                self.schedule = *schedule;
                match (&mut self.phase, deadline) {
                    (Phase::Listing, None) => {}
                    (
                        Phase::CapAcceptance {
                            end,
                            in_round: false,
                        },
                        None,
                    ) => *end = schedule.listing_end,
                    (
                        Phase::TimedRound { deadline: d }
                        | Phase::CapAcceptance {
                            end: d,
                            in_round: true,
                        }
                        | Phase::SealedWindow { end: d, .. }
                        | Phase::Ascending { deadline: d },
                        Some(new),
                    ) => *d = *new,
                    _ => return Err(bad(name, "deadline does not match the phase")),
                }
                self.suspended = None;
            }
            Event::Decided(decision) => {
                let opening = decision.reserve.clone();
                self.reserve
                    .open(SealKind::Reserve, &rules.code, opening)
                    .map_err(|_| ApplyError::Reveal {
                        event: name,
                        what: "reserve",
                    })?;
                self.decision = Some((at, (**decision).clone()));
                self.phase = Phase::Decided;
            }
            Event::ActionRefused { action, reason } => {
                if let (
                    Action::SealedOffer { offer, .. },
                    Refusal::OutsideRange | Refusal::DuplicateOffer,
                ) = (&**action, reason)
                {
                    if matches!(self.phase, Phase::SealedWindow { opened: false, .. }) {
                        self.refused_offers.push(offer.clone());
                    }
                }
            }
        }
        Ok(())
    }

    fn add_application(&mut self, lead: &Party, partners: &[Partner]) -> Result<(), ApplyError> {
        let index = self.applications.len() as u32;
        let taken = |p: &Party| self.roles.contains_key(p.as_str());
        if taken(lead) || partners.iter().any(|p| taken(&p.party)) {
            return Err(bad("applied", "a party is already in an application"));
        }
        for (i, p) in partners.iter().enumerate() {
            if p.party == *lead || partners[..i].iter().any(|q| q.party == p.party) {
                return Err(bad("applied", "a party appears twice"));
            }
        }
        let roles = Arc::make_mut(&mut self.roles);
        roles.insert(lead.clone(), Role::Lead(index));
        for p in partners {
            roles.insert(p.party.clone(), Role::Partner(index));
        }
        Arc::make_mut(&mut self.applications).push(Application {
            lead: lead.clone(),
            partners: partners
                .iter()
                .map(|p| PartnerState {
                    party: p.party.clone(),
                    share: p.share,
                    consented: false,
                })
                .collect(),
            credited: Money::ZERO,
            bidder: None,
        });
        Ok(())
    }

    pub(crate) fn application_led_by(&self, lead: &str) -> Option<&Application> {
        match self.roles.get(lead) {
            Some(Role::Lead(i)) => self.applications.get(*i as usize),
            _ => None,
        }
    }

    fn application_led_by_mut(&mut self, lead: &str) -> Option<&mut Application> {
        match self.roles.get(lead) {
            Some(Role::Lead(i)) => Arc::make_mut(&mut self.applications).get_mut(*i as usize),
            _ => None,
        }
    }

    pub(crate) fn role(&self, party: &str) -> Option<Role> {
        self.roles.get(party).copied()
    }

    fn bidder_mut(&mut self, no: BidderNo) -> Option<&mut Bidder> {
        self.bidders.get_mut(no.index())
    }

    /// The bidder with number `no`.
    pub fn bidder(&self, no: BidderNo) -> Option<&Bidder> {
        self.bidders.get(no.index())
    }

    /// The bidder number of `party`, if it leads a qualified application.
    pub fn bidder_of(&self, party: &str) -> Option<BidderNo> {
        self.application_led_by(party).and_then(|a| a.bidder)
    }

    /// The lead party behind bidder `no`.
    pub fn party_of(&self, no: BidderNo) -> Option<&Party> {
        let bidder = self.bidder(no)?;
        self.applications
            .get(bidder.application as usize)
            .map(|a| &a.lead)
    }

    /// Where the listing is.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the listing is suspended, and why.
    pub fn suspension(&self) -> Option<&str> {
        self.suspended.as_deref()
    }

    /// The current schedule.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// Whether the exchange declared `party` ineligible after opening.
    pub fn is_ineligible(&self, party: &str) -> bool {
        self.ineligible.iter().any(|p| p.as_str() == party)
    }

    /// The ineligible list set after opening (sorted).
    pub fn ineligible(&self) -> &[Party] {
        &self.ineligible
    }

    /// The current increment.
    pub fn increment(&self) -> Money {
        self.increment
    }

    /// The highest bid so far.
    pub fn high_bid(&self) -> Option<HighBid> {
        self.high
    }

    /// The applications, in the order they were accepted.
    pub fn applications(&self) -> &[Application] {
        &self.applications
    }

    /// The qualified bidders, by number.
    pub fn bidders(&self) -> &[Bidder] {
        &self.bidders
    }

    /// The cap holders: who reached the cap, then who accepted it.
    pub fn holders(&self) -> &[BidderNo] {
        &self.holders
    }

    /// Refused deposits, due for refund.
    pub fn refunds(&self) -> &[Refund] {
        &self.refunds
    }

    /// The highest ascending offer.
    pub fn top_quantity(&self) -> Option<(BidderNo, Quantity)> {
        self.top_quantity
    }

    /// The current reserve, sealed.
    pub fn reserve(&self) -> &Sealed<Option<Money>> {
        &self.reserve
    }

    /// The result and when it was decided.
    pub fn decision(&self) -> Option<(Timestamp, &Decision)> {
        self.decision.as_ref().map(|(at, d)| (*at, d))
    }

    /// The instant of the last fact.
    pub fn last_at(&self) -> Option<Timestamp> {
        self.last_at
    }

    /// How many facts have been applied.
    pub fn fact_count(&self) -> u64 {
        self.facts
    }

    /// The instant the current phase ends, whatever happens before: the
    /// deadline a countdown shows. `None` once decided or while suspended.
    pub fn deadline(&self) -> Option<Timestamp> {
        if self.suspended.is_some() {
            return None;
        }
        match self.phase {
            Phase::Listing => Some(self.schedule.listing_end),
            Phase::TimedRound { deadline } | Phase::Ascending { deadline } => Some(deadline),
            Phase::CapAcceptance { end, .. } | Phase::SealedWindow { end, .. } => Some(end),
            Phase::Decided => None,
        }
    }
}
