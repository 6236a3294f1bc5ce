//! Deadlines: what falls due, and when.
//!
//! A deadline is a fact of the state, not of a timer: [`due_event`] says
//! what happens at the current phase's end, and the engine applies it at
//! that instant whenever it is asked about any later instant. A timer only
//! publishes sooner what is already decided.

use super::event::{Decision, Event, FailReason, OpenedOffer, Outcome};
use super::ids::{BidderNo, Quantity};
use super::lottery;
use super::rules::{Entry, FollowOn, ListingRules, PriceCap};
use super::state::{ListingState, Phase};
use super::EngineError;
use yiwang_core::{Money, Timestamp};

/// The event that takes effect at `at`, the current phase's end.
pub(crate) fn due_event(
    rules: &ListingRules,
    state: &ListingState,
    at: Timestamp,
) -> Result<Event, EngineError> {
    match state.phase {
        Phase::Listing => {
            if let Some(tr) = rules.timed_round {
                let participants: Vec<BidderNo> = state
                    .bidders
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| match tr.entry {
                        Entry::Declare => b.declared,
                        Entry::Bidders => b.has_bid,
                        Entry::Qualified => true,
                    })
                    .map(|(i, _)| BidderNo(i as u32 + 1))
                    .collect();
                if participants.len() >= tr.min_participants as usize {
                    return Ok(Event::TimedRoundStarted {
                        participants,
                        deadline: at.add_secs(tr.countdown_s),
                    });
                }
            }
            decide_on_high_bid(rules, state)
        }
        Phase::TimedRound { .. } => decide_on_high_bid(rules, state),
        Phase::CapAcceptance { .. } => {
            let (reacher, cap) = cap_reacher(rules, state)?;
            if state.holders.len() == 1 {
                return settle(rules, state, reacher, cap.max_price, None);
            }
            let mut holders = state.holders.clone();
            holders.sort_unstable();
            match &cap.then {
                FollowOn::Lottery { .. } => {
                    if below_reserve(state, cap.max_price)? {
                        return fail(state, FailReason::BelowReserve);
                    }
                    match state.lottery_winner {
                        Some(winner) => settle(rules, state, winner, cap.max_price, None),
                        None => draw(rules, state),
                    }
                }
                FollowOn::SealedAverage { window_s, .. } => Ok(Event::SealedWindowOpened {
                    holders,
                    end: at.add_secs(*window_s),
                }),
                FollowOn::Ascending { .. } => Ok(Event::AscendingStarted {
                    holders,
                    deadline: at.add_secs(rules.follow_on_countdown_s()),
                }),
            }
        }
        Phase::SealedWindow { opened: false, .. } => {
            let mut offers =
                Vec::with_capacity(state.sealed_offers.len() + state.refused_offers.len());
            for sealed in state
                .sealed_offers
                .iter()
                .map(|(_, s)| s)
                .chain(&state.refused_offers)
            {
                let opening = sealed.opening().ok_or(EngineError::SealedValueUnknown {
                    what: "sealed offer",
                })?;
                offers.push(OpenedOffer {
                    commitment: sealed.commitment(),
                    price: opening.value,
                    nonce: opening.nonce,
                });
            }
            Ok(Event::SealedOffersOpened { offers })
        }
        Phase::SealedWindow { opened: true, .. } => {
            let (reacher, cap) = cap_reacher(rules, state)?;
            let mut offers = Vec::with_capacity(state.sealed_offers.len());
            for (bidder, sealed) in &state.sealed_offers {
                let price = *sealed.value().ok_or(EngineError::SealedValueUnknown {
                    what: "sealed offer",
                })?;
                offers.push((*bidder, price));
            }
            match closest_to_mean(&offers) {
                Some((winner, price)) => settle(rules, state, winner, price, None),
                None => settle(rules, state, reacher, cap.max_price, None),
            }
        }
        Phase::Ascending { .. } => {
            let (reacher, cap) = cap_reacher(rules, state)?;
            let FollowOn::Ascending { start, .. } = &cap.then else {
                return Err(EngineError::Inconsistent(
                    "an ascending round without an ascending rule",
                ));
            };
            let (winner, quantity) = state.top_quantity.unwrap_or((reacher, *start));
            settle(rules, state, winner, cap.max_price, Some(quantity))
        }
        Phase::Decided => Err(EngineError::Inconsistent(
            "nothing falls due after the result",
        )),
    }
}

fn cap_reacher<'r>(
    rules: &'r ListingRules,
    state: &ListingState,
) -> Result<(BidderNo, &'r PriceCap), EngineError> {
    match (state.cap, rules.price_cap.as_ref()) {
        (Some((reacher, _)), Some(cap)) => Ok((reacher, cap)),
        _ => Err(EngineError::Inconsistent(
            "a cap procedure without a reached cap",
        )),
    }
}

fn draw(rules: &ListingRules, state: &ListingState) -> Result<Event, EngineError> {
    let seed =
        state
            .seed
            .as_ref()
            .and_then(|s| s.seed())
            .ok_or(EngineError::SealedValueUnknown {
                what: "lottery seed",
            })?;
    let mut holders = Vec::with_capacity(state.holders.len());
    for &h in &state.holders {
        let party = state
            .party_of(h)
            .ok_or(EngineError::Inconsistent("a cap holder without a party"))?;
        holders.push(party.clone());
    }
    // `str` orders by bytes, which is the order the rules hash in.
    holders.sort_unstable();
    let names: Vec<&str> = holders.iter().map(|p| p.as_str()).collect();
    let index = lottery::draw_index(seed, &rules.code, &names)
        .ok_or(EngineError::Inconsistent("a lottery without holders"))?;
    let winner = holders[index].clone();
    Ok(Event::LotteryDrawn {
        holders,
        seed: seed.to_owned(),
        winner,
    })
}

/// The offer closest to the mean of all offers, a tie going to the lower
/// offer. Exact: with `n` offers summing to `sum`, the distance of `p` to
/// the mean is `|p·n − sum| / n`, so comparing `|p·n − sum|` in `i128`
/// compares the distances without dividing.
pub(crate) fn closest_to_mean(offers: &[(BidderNo, Money)]) -> Option<(BidderNo, Money)> {
    let n = offers.len() as i128;
    let sum: i128 = offers.iter().map(|(_, p)| i128::from(p.fen())).sum();
    offers
        .iter()
        .min_by_key(|(_, p)| ((i128::from(p.fen()) * n - sum).unsigned_abs(), *p))
        .copied()
}

fn below_reserve(state: &ListingState, price: Money) -> Result<bool, EngineError> {
    let reserve = state
        .reserve
        .value()
        .ok_or(EngineError::SealedValueUnknown { what: "reserve" })?;
    Ok(reserve.is_some_and(|r| price < r))
}

fn decide_on_high_bid(rules: &ListingRules, state: &ListingState) -> Result<Event, EngineError> {
    match state.high {
        None => fail(state, FailReason::NoBids),
        Some(high) => settle(rules, state, high.bidder, high.price, None),
    }
}

/// The result for `winner` at `price`: sold, or failed below the reserve.
fn settle(
    rules: &ListingRules,
    state: &ListingState,
    winner: BidderNo,
    price: Money,
    quantity: Option<Quantity>,
) -> Result<Event, EngineError> {
    if below_reserve(state, price)? {
        return fail(state, FailReason::BelowReserve);
    }
    let party = state
        .party_of(winner)
        .ok_or(EngineError::Inconsistent("a winner without a party"))?;
    let total_price = rules.total_price(price).ok_or(EngineError::Inconsistent(
        "a winning price whose total does not fit",
    ))?;
    decided(
        state,
        Outcome::Sold {
            winner: party.clone(),
            bidder: winner,
            price,
            total_price,
            quantity,
        },
    )
}

fn fail(state: &ListingState, reason: FailReason) -> Result<Event, EngineError> {
    decided(state, Outcome::Failed { reason })
}

fn decided(state: &ListingState, result: Outcome) -> Result<Event, EngineError> {
    let reserve = state
        .reserve
        .opening()
        .cloned()
        .ok_or(EngineError::SealedValueUnknown { what: "reserve" })?;
    Ok(Event::Decided(Box::new(Decision { result, reserve })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offers(prices: &[i64]) -> Vec<(BidderNo, Money)> {
        prices
            .iter()
            .enumerate()
            .map(|(i, &p)| (BidderNo(i as u32 + 1), Money::from_fen(p)))
            .collect()
    }

    #[test]
    fn closest_to_the_mean_with_ties_to_the_lower_offer() {
        // Mean 18800: both 100 away; the lower wins.
        assert_eq!(
            closest_to_mean(&offers(&[18900, 18700])).unwrap().1.fen(),
            18700
        );
        // Mean 19166.67: 19000 is closest.
        assert_eq!(
            closest_to_mean(&offers(&[19000, 20000, 18500]))
                .unwrap()
                .1
                .fen(),
            19000
        );
        // Mean 4/3 fen: 1 is 1/3 away, 0 is 4/3 and 3 is 5/3.
        assert_eq!(closest_to_mean(&offers(&[0, 3, 1])).unwrap().1.fen(), 1);
        // Mean 1.5 fen: 1 and 2 tie; the lower wins whatever the order.
        assert_eq!(closest_to_mean(&offers(&[2, 1])).unwrap().1.fen(), 1);
        assert_eq!(closest_to_mean(&offers(&[5])).unwrap().1.fen(), 5);
        assert_eq!(closest_to_mean(&[]), None);
    }

    #[test]
    fn extreme_offers_do_not_overflow() {
        let big = offers(&[i64::MAX, i64::MAX - 1, 0]);
        assert!(closest_to_mean(&big).is_some());
    }
}
