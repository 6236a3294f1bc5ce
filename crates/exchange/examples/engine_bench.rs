//! How many decisions per second the engine makes in memory.
//!
//! `cargo run --release -p yiwang-exchange --example engine_bench [BIDS]`
//!
//! One listing, 20 qualified bidders taking turns, every bid one increment
//! above the last (all accepted) and, in a second pass, a refused bid
//! (`already_highest`, then `below_minimum`) after every accepted one. Facts
//! go to a buffer that is cleared between decisions, as a server does after
//! committing them.

use std::time::Instant;
use yiwang_core::{Area, Money, Timestamp};
use yiwang_exchange::engine::{
    Action, Listing, ListingRules, Nonce, Party, PriceBasis, Schedule, SealKind, Sealed,
    TimedRoundRules,
};

fn rules() -> ListingRules {
    let t = Timestamp::parse_rfc3339("2021-01-01T00:00:00+08:00").unwrap();
    ListingRules {
        code: "BENCH".to_owned(),
        area: Area::parse("6651.11").unwrap(),
        price_basis: PriceBasis::Unit,
        start_price: Money::from_fen(48_000),
        increment: Money::from_fen(1_000),
        whole_multiples: true,
        reserve: Sealed::seal(SealKind::Reserve, "BENCH", None, Nonce([0; 32])),
        deposit_required: Money::from_fen(70_000_000),
        schedule: Schedule {
            application_start: t,
            application_deadline: t.add_secs(86_400),
            deposit_deadline: t.add_secs(86_400),
            listing_start: t,
            listing_end: t.add_secs(365 * 86_400),
        },
        quote_stop_s: 3600,
        reserve_lock_s: 1800,
        timed_round: Some(TimedRoundRules::default()),
        price_cap: None,
        ineligible: Vec::new(),
    }
}

fn main() {
    let bids: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let rules = rules();
    let t = rules.schedule.listing_start;
    let parties: Vec<Party> = (0..20)
        .map(|i| Party::parse(&format!("91320600BIDDER{i:04}")).unwrap())
        .collect();

    for refusals in [false, true] {
        let mut listing = Listing::new(rules.clone()).unwrap();
        let mut facts = Vec::with_capacity(16);
        for p in &parties {
            let apply = Action::Apply {
                party: p.clone(),
                partners: Vec::new(),
            };
            listing.decide(&apply, t.add_secs(60), &mut facts).unwrap();
        }
        for p in &parties {
            let deposit = Action::Deposit {
                party: p.clone(),
                amount: rules.deposit_required,
            };
            listing
                .decide(&deposit, t.add_secs(120), &mut facts)
                .unwrap();
        }
        // Build the actions first: the benchmark measures deciding them.
        let mut actions = Vec::with_capacity(if refusals { 3 * bids } else { bids });
        for i in 0..bids {
            let price = Money::from_fen(48_000 + 1_000 * i as i64);
            let party = parties[i % parties.len()].clone();
            actions.push(Action::Bid {
                party: party.clone(),
                price,
            });
            if refusals {
                actions.push(Action::Bid {
                    party,
                    price: price.checked_add(Money::from_fen(1_000)).unwrap(),
                });
                actions.push(Action::Bid {
                    party: parties[(i + 1) % parties.len()].clone(),
                    price,
                });
            }
        }
        let start = Instant::now();
        let base = t.add_secs(3600);
        for (i, action) in actions.iter().enumerate() {
            facts.clear();
            listing
                .decide(action, base.add_micros(i as i64), &mut facts)
                .unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        let per_s = actions.len() as f64 / secs;
        println!(
            "{:>9} decisions ({}) in {:.3} s: {:.0} decisions/s, {:.0} ns each",
            actions.len(),
            if refusals {
                "1 accepted : 2 refused"
            } else {
                "all accepted"
            },
            secs,
            per_s,
            1e9 / per_s
        );
        let high = listing.state().high_bid().unwrap();
        assert_eq!(
            high.price,
            Money::from_fen(48_000 + 1_000 * (bids as i64 - 1))
        );
    }
}
