//! Judging one action against the state as of its instant.
//!
//! Each function checks the rules' conditions in the order
//! `exchange-rules.md` lists them and returns the first reason that applies;
//! an accepted action becomes its facts. Judging only reads the state: the
//! caller ([`Listing::decide`](super::Listing::decide)) first advances the
//! state to the action's instant, then applies the facts.

use super::action::{Action, Partner};
use super::event::{Event, Fact};
use super::ids::{BidderNo, Party, Quantity, Share};
use super::refusal::{Refusal, Verdict};
use super::rules::{FollowOn, ListingRules, Schedule};
use super::seal::Sealed;
use super::state::{ListingState, Phase};
use super::EngineError;
use yiwang_core::{Money, Timestamp};

/// `Ok` to go on, or the refusal.
type Check = Result<(), Refusal>;

fn ensure(ok: bool, refusal: Refusal) -> Check {
    if ok {
        Ok(())
    } else {
        Err(refusal)
    }
}

/// Judges `action` at `at` on a state already advanced to `at`, pushing the
/// facts it produces: the accepted action's events, or the record of its
/// refusal.
pub(crate) fn judge(
    rules: &ListingRules,
    state: &ListingState,
    action: &Action,
    at: Timestamp,
    out: &mut Vec<Fact>,
) -> Result<Verdict, EngineError> {
    let mut j = Judge {
        rules,
        state,
        at,
        out,
    };
    let judged = match action {
        Action::Apply { party, partners } => j.apply(party, partners),
        Action::Consent { party, lead } => j.consent(party, lead),
        Action::Deposit { party, amount } => j.deposit(party, *amount),
        Action::Bid { party, price } => j.bid(party, *price),
        Action::DeclareTimed { party } => j.declare_timed(party),
        Action::AcceptCap { party } => j.accept_cap(party),
        Action::SealedOffer { party, offer } => j.sealed_offer(party, offer)?,
        Action::Offer { party, quantity } => j.offer(party, *quantity),
        Action::SetReserve { reserve } => j.set_reserve(reserve),
        Action::SetIncrement { increment } => j.set_increment(*increment),
        Action::SetIneligible { parties } => j.set_ineligible(parties),
        Action::Suspend { reason } => j.suspend(reason),
        Action::Resume { schedule, deadline } => j.resume(schedule, *deadline),
    };
    match judged {
        Ok(()) => Ok(Verdict::Accepted),
        Err(reason) => {
            let event = match action {
                Action::Deposit { party, amount } => Event::DepositRefused {
                    party: party.clone(),
                    amount: *amount,
                    reason,
                },
                _ => Event::ActionRefused {
                    action: Box::new(action.clone()),
                    reason,
                },
            };
            out.push(Fact { at, event });
            Ok(Verdict::Refused(reason))
        }
    }
}

struct Judge<'a> {
    rules: &'a ListingRules,
    state: &'a ListingState,
    at: Timestamp,
    out: &'a mut Vec<Fact>,
}

impl Judge<'_> {
    fn emit(&mut self, event: Event) {
        self.out.push(Fact { at: self.at, event });
    }

    fn schedule(&self) -> &Schedule {
        &self.state.schedule
    }

    /// `closed`, then `suspended`: the first checks of every party action.
    fn open(&self) -> Check {
        ensure(self.state.phase != Phase::Decided, Refusal::Closed)?;
        ensure(self.state.suspended.is_none(), Refusal::Suspended)
    }

    fn qualified(&self, party: &Party) -> Result<BidderNo, Refusal> {
        self.state
            .bidder_of(party.as_str())
            .ok_or(Refusal::NotQualified)
    }

    /// Whether a timed round is running (for acceptance only once the cap
    /// is reached in it).
    fn in_round(&self) -> bool {
        matches!(
            self.state.phase,
            Phase::TimedRound { .. } | Phase::CapAcceptance { in_round: true, .. }
        )
    }

    fn is_participant(&self, bidder: BidderNo) -> bool {
        self.state.bidder(bidder).is_some_and(|b| b.participant)
    }

    /// A cap holder's number, or `not_participant`.
    fn holder(&self, party: &Party) -> Result<BidderNo, Refusal> {
        self.state
            .bidder_of(party.as_str())
            .filter(|&b| self.state.bidder(b).is_some_and(|b| b.holder))
            .ok_or(Refusal::NotParticipant)
    }

    fn next_bidder(&self) -> BidderNo {
        BidderNo(self.state.bidders.len() as u32 + 1)
    }

    /// Whether an application with `credited` money and all partners
    /// consented qualifies now.
    fn qualifies(&self, credited: Money, all_consented: bool) -> bool {
        all_consented
            && credited >= self.rules.deposit_required
            && self.at < self.schedule().deposit_deadline
    }

    fn apply(&mut self, party: &Party, partners: &[Partner]) -> Check {
        self.open()?;
        let s = self.schedule();
        ensure(
            s.application_start <= self.at && self.at < s.application_deadline,
            Refusal::OutsideWindow,
        )?;
        let (rules, state) = (self.rules, self.state);
        let barred = |p: &str| rules.is_ineligible(p) || state.is_ineligible(p);
        ensure(
            !barred(party.as_str()) && !partners.iter().any(|p| barred(p.party.as_str())),
            Refusal::Ineligible,
        )?;
        let state = self.state;
        ensure(
            state.role(party.as_str()).is_none()
                && partners
                    .iter()
                    .all(|p| state.role(p.party.as_str()).is_none()),
            Refusal::AlreadyApplied,
        )?;
        ensure(shares_are_valid(party, partners), Refusal::InvalidShares)?;
        self.emit(Event::Applied {
            lead: party.clone(),
            partners: partners.to_vec(),
        });
        if self.qualifies(Money::ZERO, partners.is_empty()) {
            let bidder = self.next_bidder();
            self.emit(Event::Qualified {
                lead: party.clone(),
                bidder,
            });
        }
        Ok(())
    }

    fn consent(&mut self, party: &Party, lead: &Party) -> Check {
        self.open()?;
        let app = self
            .state
            .application_led_by(lead.as_str())
            .ok_or(Refusal::NotInvited)?;
        let partner = app
            .partners
            .iter()
            .find(|p| p.party == *party)
            .ok_or(Refusal::NotInvited)?;
        ensure(
            self.at < self.schedule().deposit_deadline,
            Refusal::OutsideWindow,
        )?;
        ensure(!partner.consented, Refusal::AlreadyConsented)?;
        let others_consented = app
            .partners
            .iter()
            .all(|p| p.consented || p.party == *party);
        let qualifies = app.bidder.is_none() && self.qualifies(app.credited, others_consented);
        self.emit(Event::Consented {
            party: party.clone(),
            lead: lead.clone(),
        });
        if qualifies {
            let bidder = self.next_bidder();
            self.emit(Event::Qualified {
                lead: lead.clone(),
                bidder,
            });
        }
        Ok(())
    }

    fn deposit(&mut self, party: &Party, amount: Money) -> Check {
        ensure(self.state.phase != Phase::Decided, Refusal::Closed)?;
        ensure(amount.is_positive(), Refusal::InvalidAmount)?;
        ensure(self.state.suspended.is_none(), Refusal::Suspended)?;
        let app = self
            .state
            .application_led_by(party.as_str())
            .ok_or(Refusal::NotApplied)?;
        ensure(
            self.at < self.schedule().deposit_deadline,
            Refusal::DepositLate,
        )?;
        let credited = app
            .credited
            .checked_add(amount)
            .ok_or(Refusal::InvalidAmount)?;
        let qualifies = app.bidder.is_none() && self.qualifies(credited, app.all_consented());
        self.emit(Event::DepositCredited {
            lead: party.clone(),
            amount,
        });
        if qualifies {
            let bidder = self.next_bidder();
            self.emit(Event::Qualified {
                lead: party.clone(),
                bidder,
            });
        }
        Ok(())
    }

    fn bid(&mut self, party: &Party, price: Money) -> Check {
        self.open()?;
        let bidder = self.qualified(party)?;
        let in_window = match self.state.phase {
            Phase::Listing
            | Phase::CapAcceptance {
                in_round: false, ..
            } => {
                let s = self.schedule();
                s.listing_start <= self.at && self.at < s.quote_stop_at(self.rules)
            }
            Phase::TimedRound { .. } | Phase::CapAcceptance { in_round: true, .. } => true,
            Phase::SealedWindow { .. } | Phase::Ascending { .. } | Phase::Decided => false,
        };
        ensure(in_window, Refusal::OutsideWindow)?;
        ensure(
            !self.in_round() || self.is_participant(bidder),
            Refusal::NotParticipant,
        )?;
        ensure(self.state.cap.is_none(), Refusal::CapReached)?;
        let high = self.state.high;
        ensure(
            high.is_none_or(|h| h.bidder != bidder),
            Refusal::AlreadyHighest,
        )?;
        let (base, minimum) = match high {
            None => (self.rules.start_price, Some(self.rules.start_price)),
            Some(h) => (h.price, h.price.checked_add(self.state.increment)),
        };
        ensure(minimum.is_some_and(|m| price >= m), Refusal::BelowMinimum)?;
        if self.rules.whole_multiples {
            // price ≥ base here, and the increment is positive.
            let raise = price.fen() - base.fen();
            ensure(
                raise % self.state.increment.fen() == 0,
                Refusal::NotMultiple,
            )?;
        }
        let cap = self.rules.price_cap.as_ref().map(|c| c.max_price);
        ensure(cap.is_none_or(|cap| price <= cap), Refusal::AboveCap)?;
        ensure(
            self.rules.total_price(price).is_some(),
            Refusal::InvalidAmount,
        )?;

        let round_deadline = match self.state.phase {
            Phase::TimedRound { .. } => Some(self.at.add_secs(self.countdown_s())),
            _ => None,
        };
        self.emit(Event::BidAccepted {
            bidder,
            price,
            deadline: round_deadline,
        });
        if cap == Some(price) {
            let acceptance_end = round_deadline.unwrap_or(self.schedule().listing_end);
            self.emit(Event::CapReached {
                bidder,
                acceptance_end,
            });
        }
        Ok(())
    }

    fn countdown_s(&self) -> i64 {
        self.rules.follow_on_countdown_s()
    }

    fn declare_timed(&mut self, party: &Party) -> Check {
        self.open()?;
        let bidder = self.qualified(party)?;
        let s = self.schedule();
        let in_window = matches!(
            self.state.phase,
            Phase::Listing
                | Phase::CapAcceptance {
                    in_round: false,
                    ..
                }
        ) && s.quote_stop_at(self.rules) <= self.at
            && self.at < s.listing_end;
        ensure(in_window, Refusal::OutsideWindow)?;
        ensure(self.state.cap.is_none(), Refusal::CapReached)?;
        ensure(
            self.state.bidder(bidder).is_some_and(|b| !b.declared),
            Refusal::AlreadyDeclared,
        )?;
        self.emit(Event::TimedDeclared { bidder });
        Ok(())
    }

    fn accept_cap(&mut self, party: &Party) -> Check {
        self.open()?;
        let bidder = self.qualified(party)?;
        ensure(
            !self.in_round() || self.is_participant(bidder),
            Refusal::NotParticipant,
        )?;
        ensure(
            matches!(self.state.phase, Phase::CapAcceptance { .. }),
            Refusal::OutsideWindow,
        )?;
        ensure(
            self.state.bidder(bidder).is_some_and(|b| !b.holder),
            Refusal::AlreadyAccepted,
        )?;
        self.emit(Event::CapAccepted { bidder });
        Ok(())
    }

    fn sealed_offer(&mut self, party: &Party, offer: &Sealed<Money>) -> Result<Check, EngineError> {
        let check = (|| {
            self.open()?;
            let bidder = self.holder(party)?;
            ensure(
                matches!(self.state.phase, Phase::SealedWindow { opened: false, .. }),
                Refusal::OutsideWindow,
            )?;
            ensure(
                self.state.bidder(bidder).is_some_and(|b| !b.offered),
                Refusal::AlreadyOffered,
            )?;
            Ok(bidder)
        })();
        let bidder = match check {
            Ok(b) => b,
            Err(r) => return Ok(Err(r)),
        };
        let Some(&price) = offer.value() else {
            return Err(EngineError::SealedValueUnknown {
                what: "sealed offer",
            });
        };
        let Some(FollowOn::SealedAverage { low, high, .. }) =
            self.rules.price_cap.as_ref().map(|c| &c.then)
        else {
            return Err(EngineError::Inconsistent(
                "a sealed window without a sealed-average rule",
            ));
        };
        if price < *low || price > *high {
            return Ok(Err(Refusal::OutsideRange));
        }
        for (_, made) in &self.state.sealed_offers {
            match made.value() {
                Some(&p) if p == price => return Ok(Err(Refusal::DuplicateOffer)),
                Some(_) => {}
                None => {
                    return Err(EngineError::SealedValueUnknown {
                        what: "sealed offer",
                    })
                }
            }
        }
        self.emit(Event::SealedOfferMade {
            bidder,
            offer: offer.clone(),
        });
        Ok(Ok(()))
    }

    fn offer(&mut self, party: &Party, quantity: Quantity) -> Check {
        self.open()?;
        let bidder = self.holder(party)?;
        ensure(
            matches!(self.state.phase, Phase::Ascending { .. }),
            Refusal::OutsideWindow,
        )?;
        let Some(FollowOn::Ascending {
            start,
            increment,
            max,
            ..
        }) = self.rules.price_cap.as_ref().map(|c| &c.then)
        else {
            return Err(Refusal::OutsideWindow);
        };
        let top = self.state.top_quantity;
        ensure(
            top.is_none_or(|(b, _)| b != bidder),
            Refusal::AlreadyHighest,
        )?;
        let (base, minimum) = match top {
            None => (*start, Some(*start)),
            Some((_, q)) => (
                q,
                q.centi()
                    .checked_add(increment.centi())
                    .map(Quantity::from_centi),
            ),
        };
        ensure(
            minimum.is_some_and(|m| quantity >= m),
            Refusal::BelowMinimum,
        )?;
        ensure(
            (quantity.centi() - base.centi()) % increment.centi() == 0,
            Refusal::NotMultiple,
        )?;
        ensure(max.is_none_or(|m| quantity <= m), Refusal::AboveCap)?;
        let deadline = self.at.add_secs(self.countdown_s());
        self.emit(Event::OfferAccepted {
            bidder,
            quantity,
            deadline,
        });
        Ok(())
    }

    fn set_reserve(&mut self, reserve: &Sealed<Option<Money>>) -> Check {
        self.open()?;
        ensure(
            self.at < self.schedule().reserve_lock_at(self.rules),
            Refusal::ReserveLocked,
        )?;
        ensure(
            !matches!(reserve.value(), Some(Some(m)) if m.is_negative()),
            Refusal::InvalidAmount,
        )?;
        self.emit(Event::ReserveSet {
            reserve: reserve.clone(),
        });
        Ok(())
    }

    fn set_ineligible(&mut self, parties: &[Party]) -> Check {
        self.open()?;
        let mut parties = parties.to_vec();
        parties.sort();
        parties.dedup();
        self.emit(Event::IneligibleSet { parties });
        Ok(())
    }

    fn set_increment(&mut self, increment: Money) -> Check {
        self.open()?;
        ensure(increment.is_positive(), Refusal::InvalidAmount)?;
        self.emit(Event::IncrementChanged { increment });
        Ok(())
    }

    fn suspend(&mut self, reason: &str) -> Check {
        ensure(self.state.phase != Phase::Decided, Refusal::Closed)?;
        ensure(self.state.suspended.is_none(), Refusal::AlreadySuspended)?;
        self.emit(Event::Suspended {
            reason: reason.to_owned(),
        });
        Ok(())
    }

    fn resume(&mut self, schedule: &Schedule, deadline: Option<Timestamp>) -> Check {
        ensure(self.state.phase != Phase::Decided, Refusal::Closed)?;
        ensure(self.state.suspended.is_some(), Refusal::NotSuspended)?;
        let at = self.at;
        let valid = schedule.is_coherent()
            && match (self.state.phase, deadline) {
                (
                    Phase::Listing
                    | Phase::CapAcceptance {
                        in_round: false, ..
                    },
                    None,
                ) => schedule.listing_end > at,
                (
                    Phase::TimedRound { .. }
                    | Phase::CapAcceptance { in_round: true, .. }
                    | Phase::SealedWindow { opened: false, .. }
                    | Phase::Ascending { .. },
                    Some(d),
                ) => d > at,
                _ => false,
            };
        ensure(valid, Refusal::InvalidSchedule)?;
        self.emit(Event::Resumed {
            schedule: *schedule,
            deadline,
        });
        Ok(())
    }
}

/// Shares of a joint application: each partner's in (0, 100), the lead
/// keeping more than 0, and no party named twice (the lead included).
fn shares_are_valid(lead: &Party, partners: &[Partner]) -> bool {
    // Each valid share is at least 0.01 % and they sum below 100 %, so a
    // longer list cannot be valid; checking that first bounds the work.
    if partners.len() >= Share::WHOLE.centi() as usize {
        return false;
    }
    let mut total: i64 = 0;
    for (i, p) in partners.iter().enumerate() {
        let share = p.share.centi();
        if share <= 0 || share >= Share::WHOLE.centi() {
            return false;
        }
        total += share;
        if p.party == *lead || partners[..i].iter().any(|q| q.party == p.party) {
            return false;
        }
    }
    total < Share::WHOLE.centi()
}
