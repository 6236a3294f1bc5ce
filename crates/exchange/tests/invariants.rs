//! Properties of the engine on random listings and random action sequences:
//! the price only rises, there is at most one result and nothing is accepted
//! after it, the state is the fold of the facts, the log verifies, and the
//! facts do not depend on when (or whether) timers ran.

use proptest::prelude::*;
use yiwang_core::{Area, Money, Timestamp};
use yiwang_exchange::engine::{
    Action, Cause, Entry, Event, Fact, FollowOn, Listing, ListingRules, ListingState, LotterySeed,
    Nonce, Outcome, Partner, Party, PriceBasis, PriceCap, Quantity, QuantityUnit, Refusal,
    Schedule, SealKind, Sealed, Share, TimedRoundRules, Verdict,
};
use yiwang_exchange::log::{verify, LogWriter, Rerun};

const CODE: &str = "P20001";
const HOUR: i64 = 3_600_000_000;
const START_FEN: i64 = 48_000;
const INC_FEN: i64 = 1_000;
const CAP_FEN: i64 = START_FEN + 8 * INC_FEN;
const REQUIRED_FEN: i64 = 70_000_000;

fn t0() -> Timestamp {
    Timestamp::parse_rfc3339("2021-01-01T00:00:00+08:00").unwrap()
}

fn party(i: usize) -> Party {
    Party::parse(["A", "B", "C", "D", "E", "X"][i % 6]).unwrap()
}

fn nonce(seed: u64) -> Nonce {
    let mut n = [0u8; 32];
    n[..8].copy_from_slice(&seed.to_be_bytes());
    Nonce(n)
}

#[derive(Debug, Clone)]
struct Config {
    timed: Option<(Entry, u32, i64)>,
    cap: Option<u8>,
    reserve: Option<i64>,
    whole_multiples: bool,
}

fn config() -> impl Strategy<Value = Config> {
    (
        prop_oneof![
            Just(None),
            (
                prop_oneof![
                    Just(Entry::Declare),
                    Just(Entry::Bidders),
                    Just(Entry::Qualified)
                ],
                1u32..4,
                prop_oneof![Just(60i64), Just(240)]
            )
                .prop_map(Some)
        ],
        prop_oneof![Just(None), (0u8..3).prop_map(Some)],
        prop_oneof![
            Just(None),
            (0i64..10).prop_map(|k| Some(START_FEN + k * INC_FEN))
        ],
        any::<bool>(),
    )
        .prop_map(|(timed, cap, reserve, whole_multiples)| Config {
            timed,
            cap,
            reserve,
            whole_multiples,
        })
}

fn rules(c: &Config) -> ListingRules {
    let t = t0();
    let listing_end = t.add_micros(7 * 24 * HOUR);
    ListingRules {
        code: CODE.to_owned(),
        area: Area::parse("6651.11").unwrap(),
        price_basis: PriceBasis::Unit,
        start_price: Money::from_fen(START_FEN),
        increment: Money::from_fen(INC_FEN),
        whole_multiples: c.whole_multiples,
        reserve: Sealed::seal(
            SealKind::Reserve,
            CODE,
            c.reserve.map(Money::from_fen),
            nonce(0),
        ),
        deposit_required: Money::from_fen(REQUIRED_FEN),
        schedule: Schedule {
            application_start: t,
            application_deadline: t.add_micros(5 * 24 * HOUR),
            deposit_deadline: t.add_micros(5 * 24 * HOUR),
            listing_start: t,
            listing_end,
        },
        quote_stop_s: 3600,
        reserve_lock_s: 1800,
        timed_round: c
            .timed
            .map(|(entry, min_participants, countdown_s)| TimedRoundRules {
                entry,
                min_participants,
                countdown_s,
            }),
        price_cap: c.cap.map(|mode| PriceCap {
            max_price: Money::from_fen(CAP_FEN),
            then: match mode {
                0 => FollowOn::Lottery {
                    seed: LotterySeed::new("9f86d081884c7d65").unwrap(),
                },
                1 => FollowOn::SealedAverage {
                    window_s: 900,
                    low: Money::from_fen(CAP_FEN),
                    high: Money::from_fen(CAP_FEN + 20 * INC_FEN),
                },
                _ => FollowOn::Ascending {
                    unit: QuantityUnit::M2,
                    start: Quantity::from_centi(100_000),
                    increment: Quantity::from_centi(10_000),
                    max: Some(Quantity::from_centi(200_000)),
                },
            },
        }),
        ineligible: vec![party(5)],
    }
}

/// Instants around the moments where the rules change: each action's time
/// is an anchor plus a small offset, often exactly zero.
fn instant() -> impl Strategy<Value = Timestamp> {
    let day = 24 * HOUR;
    let anchors = [
        HOUR,
        day,
        3 * day,
        5 * day,
        7 * day - HOUR,
        7 * day - HOUR / 2,
        7 * day,
        7 * day + 60_000_000,
        7 * day + 240_000_000,
        7 * day + 900_000_000,
    ];
    (
        prop::sample::select(anchors.to_vec()),
        prop_oneof![Just(0i64), Just(-1), Just(1), -300_000_000i64..300_000_000],
    )
        .prop_map(|(a, d)| t0().add_micros(a + d))
}

/// Applications that mostly qualify: each chosen party applies (some
/// jointly, with the partner consenting) and pays its deposit early.
fn setup() -> impl Strategy<Value = Vec<(Timestamp, Action)>> {
    (
        prop::sample::subsequence(vec![0usize, 1, 2, 3, 4], 1..=5),
        any::<bool>(),
    )
        .prop_map(|(leads, joint)| {
            let mut steps = Vec::new();
            let mut partner_used = false;
            for (k, &i) in leads.iter().enumerate() {
                let at = t0().add_micros(HOUR + k as i64 * 1_000_000);
                // The last chosen lead may take the unchosen party "E" as partner.
                let partners =
                    if joint && !partner_used && !leads.contains(&4) && k + 1 == leads.len() {
                        partner_used = true;
                        vec![Partner {
                            party: party(4),
                            share: Share::from_centi(3000),
                        }]
                    } else {
                        Vec::new()
                    };
                let consent = !partners.is_empty();
                steps.push((
                    at,
                    Action::Apply {
                        party: party(i),
                        partners,
                    },
                ));
                if consent {
                    steps.push((
                        at.add_secs(60),
                        Action::Consent {
                            party: party(4),
                            lead: party(i),
                        },
                    ));
                }
                steps.push((
                    at.add_secs(120),
                    Action::Deposit {
                        party: party(i),
                        amount: Money::from_fen(REQUIRED_FEN),
                    },
                ));
            }
            steps.sort_by_key(|(t, _)| *t);
            steps
        })
}

fn action() -> impl Strategy<Value = Action> {
    let p = || (0usize..6).prop_map(party);
    prop_oneof![
        1 => (p(), prop::collection::vec((p(), prop_oneof![Just(0i64), Just(2500), Just(5000), Just(10_000)]), 0..3))
            .prop_map(|(party, partners)| Action::Apply {
                party,
                partners: partners.into_iter().map(|(party, s)| Partner { party, share: Share::from_centi(s) }).collect(),
            }),
        1 => (p(), p()).prop_map(|(party, lead)| Action::Consent { party, lead }),
        1 => (p(), prop_oneof![Just(REQUIRED_FEN), Just(REQUIRED_FEN / 2), Just(1i64)])
            .prop_map(|(party, fen)| Action::Deposit { party, amount: Money::from_fen(fen) }),
        // Prices are set in `scenario`, rising in time order.
        12 => ((0usize..5).prop_map(party), prop_oneof![6 => Just(0i64), 1 => 1i64..999])
            .prop_map(|(party, odd)| Action::Bid { party, price: Money::from_fen(odd) }),
        2 => p().prop_map(|party| Action::DeclareTimed { party }),
        3 => p().prop_map(|party| Action::AcceptCap { party }),
        2 => (p(), 0i64..25, any::<u64>()).prop_map(|(party, k, n)| Action::SealedOffer {
            party,
            offer: Sealed::seal(SealKind::SealedOffer, CODE, Money::from_fen(CAP_FEN - INC_FEN + k * INC_FEN), nonce(n)),
        }),
        2 => (p(), 0i64..14).prop_map(|(party, k)| Action::Offer { party, quantity: Quantity::from_centi(90_000 + k * 10_000) }),
        1 => (prop::option::of(0i64..12), any::<u64>()).prop_map(|(k, n)| Action::SetReserve {
            reserve: Sealed::seal(SealKind::Reserve, CODE, k.map(|k| Money::from_fen(START_FEN + k * INC_FEN)), nonce(n)),
        }),
        1 => prop_oneof![Just(500i64), Just(1000), Just(2500)].prop_map(|fen| Action::SetIncrement { increment: Money::from_fen(fen) }),
    ]
}

/// A suspension and its resumption, placed among the other actions.
fn with_suspension(
    mut steps: Vec<(Timestamp, Action)>,
    at: Option<(usize, i64)>,
) -> Vec<(Timestamp, Action)> {
    if let Some((pos, pause_s)) = at {
        if steps.is_empty() {
            return steps;
        }
        let pos = pos % steps.len();
        let when = steps[pos].0;
        let back = when.add_secs(pause_s);
        let t = t0();
        let schedule = Schedule {
            application_start: t,
            application_deadline: t.add_micros(5 * 24 * HOUR),
            deposit_deadline: t.add_micros(5 * 24 * HOUR),
            listing_start: t,
            listing_end: back.max(t.add_micros(7 * 24 * HOUR)).add_secs(3 * 3600),
        };
        steps.insert(
            pos,
            (
                when,
                Action::Suspend {
                    reason: "复核".to_owned(),
                },
            ),
        );
        let resume = Action::Resume {
            schedule,
            deadline: Some(back.add_secs(300)),
        };
        let at = steps
            .iter()
            .position(|(t, _)| *t > back)
            .unwrap_or(steps.len());
        steps.insert(at, (back, resume));
        // A resume needs a deadline only in a timed round or a follow-on;
        // the engine refuses the wrong shape `invalid_schedule`, and a
        // second, deadline-less resume covers the listing period.
        steps.insert(
            at + 1,
            (
                back,
                Action::Resume {
                    schedule,
                    deadline: None,
                },
            ),
        );
    }
    steps
}

fn scenario() -> impl Strategy<Value = (Config, Vec<(Timestamp, Action)>, Vec<Timestamp>)> {
    (
        config(),
        setup(),
        prop::collection::vec((instant(), action()), 0..60),
        prop_oneof![6 => Just(None), 1 => (any::<usize>(), 60i64..100_000).prop_map(Some)],
        prop::collection::vec(instant(), 0..20),
    )
        .prop_map(|(c, setup, steps, suspension, mut ticks)| {
            let mut steps: Vec<(Timestamp, Action)> = setup.into_iter().chain(steps).collect();
            // A stable sort: the setup's steps stay in order among equals.
            steps.sort_by_key(|(t, _)| *t);
            // Bids in time order at rising prices, one increment apart up
            // to the cap and then at the cap, so that many are accepted and
            // the cap is often reached; a few are off by some fen.
            let mut k = 0;
            for (_, a) in &mut steps {
                if let Action::Bid { price, .. } = a {
                    *price = Money::from_fen(START_FEN + k.min(8) * INC_FEN + price.fen());
                    k += 1;
                }
            }
            ticks.sort();
            (c, with_suspension(steps, suspension), ticks)
        })
}

/// Runs the steps; with `ticks`, a timer also calls `advance` at those
/// instants (when they fall between actions). Runs on until decided.
fn run(
    rules: &ListingRules,
    steps: &[(Timestamp, Action)],
    ticks: &[Timestamp],
) -> (Listing, Vec<Fact>, Vec<Verdict>) {
    let mut listing = Listing::new(rules.clone()).unwrap();
    let mut facts = Vec::new();
    let mut verdicts = Vec::new();
    let mut ticks = ticks.iter().peekable();
    for (at, action) in steps {
        while let Some(&&tick) = ticks.peek() {
            if tick > *at {
                break;
            }
            ticks.next();
            if listing.state().last_at().is_none_or(|last| tick >= last) {
                listing.advance(tick, &mut facts).unwrap();
            }
        }
        verdicts.push(listing.decide(action, *at, &mut facts).unwrap());
    }
    listing.run_until_decided(&mut facts).unwrap();
    (listing, facts, verdicts)
}

/// Every property, for one run.
fn check(
    config: &Config,
    steps: &[(Timestamp, Action)],
    ticks: &[Timestamp],
) -> Result<(), TestCaseError> {
    let rules = rules(config);
    let (listing, facts, verdicts) = run(&rules, steps, &[]);

    // One record per action, in order, at the action's instant.
    let records: Vec<&Fact> = facts
        .iter()
        .filter(|f| f.event.cause() == Cause::Action)
        .collect();
    prop_assert_eq!(records.len(), steps.len());
    for ((at, _), record) in steps.iter().zip(&records) {
        prop_assert_eq!(*at, record.at);
    }

    // Facts never go back in time.
    for pair in facts.windows(2) {
        prop_assert!(pair[0].at <= pair[1].at);
    }

    // The price only rises, and never above the cap.
    let mut last = None;
    for f in &facts {
        if let Event::BidAccepted { price, .. } = f.event {
            prop_assert!(
                last.is_none_or(|l| price > l),
                "price fell: {:?} after {:?}",
                price,
                last
            );
            prop_assert!(price >= rules.start_price);
            if rules.price_cap.is_some() {
                prop_assert!(price.fen() <= CAP_FEN);
            }
            last = Some(price);
        }
    }

    // Exactly one result once the clock has run on (suspensions aside),
    // and nothing accepted after it.
    let decided: Vec<usize> = facts
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.event, Event::Decided(_)))
        .map(|(i, _)| i)
        .collect();
    prop_assert!(decided.len() <= 1);
    if listing.state().suspension().is_none() {
        prop_assert_eq!(decided.len(), 1);
    }
    if let Some(&d) = decided.first() {
        for f in &facts[d + 1..] {
            match &f.event {
                Event::ActionRefused { reason, .. } | Event::DepositRefused { reason, .. } => {
                    prop_assert_eq!(*reason, Refusal::Closed);
                }
                other => prop_assert!(false, "after the result: {:?}", other),
            }
        }
        let decided_at = facts[d].at;
        for ((at, _), verdict) in steps.iter().zip(&verdicts) {
            if *at >= decided_at {
                prop_assert_eq!(*verdict, Verdict::Refused(Refusal::Closed));
            }
        }
        // A sale respects the reserve in force and names a bidder.
        if let Event::Decided(decision) = &facts[d].event {
            if let Outcome::Sold {
                winner,
                bidder,
                price,
                ..
            } = &decision.result
            {
                prop_assert_eq!(listing.state().party_of(*bidder), Some(winner));
                if let Some(Some(reserve)) = listing.state().reserve().value() {
                    prop_assert!(price >= reserve);
                }
                if rules.price_cap.is_none() {
                    prop_assert_eq!(Some(*price), last);
                }
            }
        }
    }

    // The state is the fold of the facts.
    let mut folded = ListingState::new(&rules);
    for f in &facts {
        folded.apply(&rules, f).unwrap();
    }
    prop_assert_eq!(&folded, listing.state());

    // Timers change nothing: advancing at other instants in between
    // gives the same facts and the same state.
    let (timed, timed_facts, timed_verdicts) = run(&rules, steps, ticks);
    prop_assert_eq!(&timed_facts, &facts);
    prop_assert_eq!(&timed_verdicts, &verdicts);
    prop_assert_eq!(timed.state(), listing.state());

    // The log verifies by re-running it, through JSON.
    let (mut writer, first) = LogWriter::open(&rules, t0());
    let mut entries = vec![first];
    entries.extend(facts.iter().map(|f| writer.append(f)));
    let text = yiwang_exchange::log::to_jsonl(&entries);
    let read = yiwang_exchange::log::from_jsonl(&text).unwrap();
    let verified = verify(&read).unwrap();
    if decided.len() == 1 {
        prop_assert_eq!(verified.rerun, Rerun::Complete);
        prop_assert_eq!(&verified.state, listing.state());
    }
    Ok(())
}

/// Listings where the cap is reached early and several bidders accept it,
/// so that every follow-on runs with offers around its windows.
fn follow_on_scenario() -> impl Strategy<Value = (Config, Vec<(Timestamp, Action)>, Vec<Timestamp>)>
{
    let day = 24 * HOUR;
    (
        config(),
        0u8..3,
        setup(),
        prop::collection::vec(
            (
                (1i64..4).prop_map(move |d| t0().add_micros(d * day)),
                (0usize..6).prop_map(party),
            ),
            0..6,
        ),
        prop::collection::vec((instant(), action()), 0..40),
        prop::collection::vec(instant(), 0..20),
        prop::collection::vec(
            (
                -10_000_000i64..1_000_000_000,
                (0usize..5).prop_map(party),
                0i64..25,
                any::<u64>(),
            ),
            0..10,
        ),
    )
        .prop_map(
            move |(mut c, mode, setup, accepts, steps, mut ticks, offers)| {
                c.cap = Some(mode);
                let mut all = setup;
                all.push((
                    t0().add_micros(day),
                    Action::Bid {
                        party: party(0),
                        price: Money::from_fen(CAP_FEN),
                    },
                ));
                all.extend(
                    accepts
                        .into_iter()
                        .map(|(at, party)| (at, Action::AcceptCap { party })),
                );
                all.extend(
                    steps
                        .into_iter()
                        .filter(|(_, a)| !matches!(a, Action::Bid { .. })),
                );
                // Offers around the acceptance end, sealed or ascending as the
                // mode wants; ascending quantities rise in time order.
                let end = t0().add_micros(7 * day);
                let mut offers: Vec<_> = offers
                    .into_iter()
                    .map(|(d, p, k, n)| (end.add_micros(d), p, k, n))
                    .collect();
                offers.sort_by_key(|o| o.0);
                for (i, (at, party, k, n)) in offers.into_iter().enumerate() {
                    let action = if mode == 1 {
                        Action::SealedOffer {
                            party,
                            offer: Sealed::seal(
                                SealKind::SealedOffer,
                                CODE,
                                Money::from_fen(CAP_FEN - INC_FEN + k * INC_FEN),
                                nonce(n),
                            ),
                        }
                    } else {
                        Action::Offer {
                            party,
                            quantity: Quantity::from_centi(
                                100_000 + i as i64 * 10_000 + if k == 0 { 5_000 } else { 0 },
                            ),
                        }
                    };
                    all.push((at, action));
                }
                all.sort_by_key(|(t, _)| *t);
                ticks.sort();
                (c, all, ticks)
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn engine_invariants((config, steps, ticks) in scenario()) {
        check(&config, &steps, &ticks)?;
    }

    #[test]
    fn follow_on_invariants((config, steps, ticks) in follow_on_scenario()) {
        check(&config, &steps, &ticks)?;
    }

    #[test]
    fn scenario_parsing_never_panics(text in any::<String>()) {
        let _ = yiwang_exchange::scenario::simulate(&text);
    }

    #[test]
    fn scenario_parsing_never_panics_on_near_misses(
        field in prop::sample::select(vec!["price", "amount", "at", "party", "do", "partners", "increment", "quantity"]),
        value in prop_oneof![
            Just("\"\"".to_owned()), Just("null".to_owned()), Just("1.5".to_owned()), Just("[]".to_owned()),
            Just("{}".to_owned()), Just("\"-1\"".to_owned()), Just("\"1e3\"".to_owned()), Just("\"12.345\"".to_owned()),
            Just("\"2021-01-01T00:00:00\"".to_owned()), Just("\"bid\"".to_owned()), Just("{\"A\": \"50\", \"A\": \"10\"}".to_owned()),
            "\"[0-9.,+-]{0,12}\"",
        ],
    ) {
        let text = format!(
            r#"{{"listing": {{"code": "U1", "area_m2": "1", "start_price": "1", "increment": "1", "deposit_required": "1",
               "application_deadline": "2021-01-06T11:00:00+08:00", "listing_start": "2020-12-29T00:00:00+08:00",
               "listing_end": "2021-01-08T11:00:00+08:00"}},
               "steps": [{{"at": "2020-12-30T09:00:00+08:00", "do": "bid", "party": "A", "price": "1", "{field}": {value}}}]}}"#
        );
        let _ = yiwang_exchange::scenario::simulate(&text);
    }
}
