//! A published parcel becomes an engine listing with the notice's figures
//! and windows, and trades.

use yiwang_core::{Money, Ratio, Timestamp};
use yiwang_exchange::engine::{
    lottery_seed_hash, Action, Decision, FollowOn as EngineFollowOn, Listing, Nonce, Outcome,
    Party, PriceBasis, SealKind, Sealed, Verdict,
};
use yiwang_exchange::notice::listing::{
    listing_rules, ListingError, DEFAULT_QUOTE_STOP_S, DEFAULT_RESERVE_LOCK_S,
};
use yiwang_exchange::notice::{seed, AscendingQuantity, Field, FollowOn, PriceCap};

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn no_reserve(code: &str) -> Sealed<Option<Money>> {
    Sealed::seal(SealKind::Reserve, code, None, Nonce([7; 32]))
}

#[test]
fn the_seed_parcel_becomes_the_scenario_formats_listing() {
    let notice = seed::notice_61();
    let rules = listing_rules(&notice.parcels[0], no_reserve("R20042"), None).unwrap();
    // The figures of spec/scenario-format.md's example listing.
    assert_eq!(rules.code, "R20042");
    assert_eq!(rules.area.to_string(), "125949.79");
    assert_eq!(rules.price_basis, PriceBasis::Unit);
    assert_eq!(rules.start_price, Money::from_yuan(18_470).unwrap());
    assert_eq!(rules.increment, Money::from_yuan(10).unwrap());
    assert!(rules.whole_multiples);
    assert_eq!(
        rules.deposit_required,
        Money::from_yuan(2_326_300_000).unwrap()
    );
    assert_eq!(
        rules.schedule.application_start,
        t("2020-12-29T00:00:00+08:00")
    );
    assert_eq!(
        rules.schedule.application_deadline,
        t("2021-01-06T11:00:00+08:00")
    );
    assert_eq!(
        rules.schedule.deposit_deadline,
        t("2021-01-06T11:00:00+08:00")
    );
    assert_eq!(rules.schedule.listing_start, t("2020-12-29T00:00:00+08:00"));
    assert_eq!(rules.schedule.listing_end, t("2021-01-08T11:00:00+08:00"));
    assert_eq!(rules.quote_stop_s, DEFAULT_QUOTE_STOP_S);
    assert_eq!(rules.reserve_lock_s, DEFAULT_RESERVE_LOCK_S);
    assert!(rules.timed_round.is_some());
    assert_eq!(rules.price_cap, None);
    assert!(rules.ineligible.is_empty());
}

#[test]
fn the_seed_listing_trades() {
    let notice = seed::notice_60();
    let rules = listing_rules(&notice.parcels[0], no_reserve("U20041"), None).unwrap();
    let mut listing = Listing::new(rules).unwrap();
    let a = Party::parse("A").unwrap();
    let mut facts = Vec::new();
    let steps = [
        (
            "2020-12-30T09:00:00+08:00",
            Action::Apply {
                party: a.clone(),
                partners: vec![],
            },
        ),
        (
            "2020-12-30T09:05:00+08:00",
            Action::Deposit {
                party: a.clone(),
                amount: Money::parse_wan_yuan("70").unwrap(),
            },
        ),
        (
            "2021-01-04T10:00:00+08:00",
            Action::Bid {
                party: a.clone(),
                price: Money::from_yuan(480).unwrap(),
            },
        ),
    ];
    for (at, action) in steps {
        let verdict = listing.decide(&action, t(at), &mut facts).unwrap();
        assert_eq!(verdict, Verdict::Accepted, "{at}");
    }
    listing.run_until_decided(&mut facts).unwrap();
    let (at, decision) = listing.decision().unwrap();
    assert_eq!(at, t("2021-01-08T11:00:00+08:00"));
    let decision: &Decision = decision;
    match &decision.result {
        Outcome::Sold {
            winner,
            price,
            total_price,
            ..
        } => {
            assert_eq!(winner, &a);
            assert_eq!(*price, Money::from_yuan(480).unwrap());
            // 480 × 6651.11 m².
            assert_eq!(total_price.to_yuan_string(), "3192532.80");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incomplete_parcels_and_lottery_seeds() {
    let mut parcel = seed::notice_61().parcels[0].clone();
    parcel.increment = None;
    assert_eq!(
        listing_rules(&parcel, no_reserve("R20042"), None),
        Err(ListingError::Incomplete {
            parcel: "R20042".to_owned(),
            field: Field::Increment
        })
    );
    assert_eq!(
        listing_rules(&parcel, no_reserve("R20042"), None)
            .unwrap_err()
            .to_string(),
        "地块 R20042 的“加价幅度”未填写，不能生成挂牌"
    );
    parcel.increment = Money::from_yuan(10);

    let seed_text = "9f86d081884c7d65";
    parcel.rule.price_cap = Some(PriceCap {
        max_price: Money::from_yuan(21_000).unwrap(),
        follow_on: FollowOn::Lottery {
            seed_sha256: Some(lottery_seed_hash(seed_text)),
        },
    });
    let reader = listing_rules(&parcel, no_reserve("R20042"), None).unwrap();
    let server = listing_rules(&parcel, no_reserve("R20042"), Some(seed_text)).unwrap();
    match (
        &reader.price_cap.as_ref().unwrap().then,
        &server.price_cap.as_ref().unwrap().then,
    ) {
        (EngineFollowOn::Lottery { seed: r }, EngineFollowOn::Lottery { seed: s }) => {
            assert_eq!(r.seed(), None);
            assert_eq!(s.seed(), Some(seed_text));
            assert_eq!(r.sha256(), s.sha256());
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        listing_rules(&parcel, no_reserve("R20042"), Some("abcd")),
        Err(ListingError::LotterySeedMismatch { .. })
    ));

    parcel.rule.price_cap.as_mut().unwrap().follow_on = FollowOn::Ascending {
        quantity: AscendingQuantity::AffordableArea,
        start: Some(Ratio::parse("0").unwrap()),
        increment: Some(Ratio::parse("100.001").unwrap()),
        max: None,
    };
    assert!(matches!(
        listing_rules(&parcel, no_reserve("R20042"), None),
        Err(ListingError::BadQuantity { what: "增幅", .. })
    ));
    parcel.rule.price_cap.as_mut().unwrap().follow_on = FollowOn::Ascending {
        quantity: AscendingQuantity::AffordableArea,
        start: Some(Ratio::parse("0").unwrap()),
        increment: Some(Ratio::parse("100").unwrap()),
        max: Some(Ratio::parse("5000").unwrap()),
    };
    let rules = listing_rules(&parcel, no_reserve("R20042"), None).unwrap();
    assert!(matches!(
        rules.price_cap.unwrap().then,
        EngineFollowOn::Ascending { .. }
    ));
}
