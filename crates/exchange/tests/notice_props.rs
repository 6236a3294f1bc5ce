//! Property tests: the notation, terms and windows round-trip; rendered
//! tables import back to the same parcels; no parser panics on any input.

use proptest::prelude::*;
use time::{Date, Duration};
use yiwang_core::{Area, Money, Ratio, Timestamp, WorkingCalendar};
use yiwang_exchange::notice::import::DEFAULT_UNIT_INCREMENT;
use yiwang_exchange::notice::render::tables;
use yiwang_exchange::notice::{
    import_text, validate_for_publication, BiddingMode, BiddingRule, Bound, FollowOn, FollowOnKind,
    ImportOptions, IndicatorRange, Interval, LandUse, Notice, NoticeNumber, Parcel, ParcelCode,
    PriceBasis, PriceCap, SubLimit, Terms, UseTerm, Window, Windows,
};

fn ratio() -> impl Strategy<Value = Ratio> {
    (0i64..100_000_000, 0u8..=4).prop_map(|(m, s)| Ratio::from_parts(m, s).unwrap())
}

fn interval() -> impl Strategy<Value = Interval> {
    (ratio(), ratio(), any::<bool>(), any::<bool>(), 0u8..3).prop_map(|(a, b, li, ui, shape)| {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let (li, ui) = if lo == hi { (true, true) } else { (li, ui) };
        let lower = Some(Bound {
            value: lo,
            inclusive: li,
        });
        let upper = Some(Bound {
            value: hi,
            inclusive: ui,
        });
        match shape {
            0 => Interval { lower, upper: None },
            1 => Interval { lower: None, upper },
            _ => Interval { lower, upper },
        }
    })
}

fn use_name() -> impl Strategy<Value = String> {
    "[\u{4e00}-\u{9fa5}]{1,6}"
}

fn note() -> impl Strategy<Value = String> {
    "[\u{4e00}-\u{9fa5}a-z0-9][\u{4e00}-\u{9fa5}a-z0-9%/.:、 ]{0,12}[\u{4e00}-\u{9fa5}a-z0-9]"
}

fn indicator_range() -> impl Strategy<Value = IndicatorRange> {
    (
        interval(),
        prop::collection::vec((use_name(), interval()), 0..3),
        prop::option::of(note()),
    )
        .prop_map(|(i, subs, note)| IndicatorRange {
            lower: i.lower,
            upper: i.upper,
            sub_limits: subs
                .into_iter()
                .map(|(use_name, range)| SubLimit { use_name, range })
                .collect(),
            note,
        })
}

fn terms() -> impl Strategy<Value = Terms> {
    prop_oneof![
        (1u16..=70).prop_map(Terms::Single),
        prop::collection::btree_map(use_name(), 1u16..=70, 1..4).prop_map(|m| {
            Terms::PerUse(
                m.into_iter()
                    .map(|(use_name, years)| UseTerm { use_name, years })
                    .collect(),
            )
        }),
    ]
}

/// Whole seconds between 2000 and 2099, Shanghai time.
fn instant() -> impl Strategy<Value = Timestamp> {
    let base = Date::from_calendar_date(2000, time::Month::January, 1).unwrap();
    (0i64..36_500, 0i64..86_400, any::<bool>()).prop_map(move |(day, secs, midnight)| {
        let date = base + Duration::days(day);
        // Midnights and whole hours are common in notices; make them likely.
        let secs = if midnight {
            (secs / 3600 % 2) * 11 * 3600
        } else {
            secs
        };
        Timestamp::from_shanghai_micros(date, secs * 1_000_000)
    })
}

fn window() -> impl Strategy<Value = Window> {
    (instant(), instant())
        .prop_filter("distinct", |(a, b)| a != b)
        .prop_map(|(a, b)| {
            if a < b {
                Window { start: a, end: b }
            } else {
                Window { start: b, end: a }
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ranges_round_trip(range in indicator_range()) {
        prop_assert!(range.check().is_ok(), "{range:?}");
        let text = range.to_string();
        let back = IndicatorRange::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&back, &range);
        // Canonical text prints back identically.
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn contains_agrees_with_the_bounds(range in interval(), v in ratio()) {
        let lower_ok = range.lower.is_none_or(|b| if b.inclusive { v >= b.value } else { v > b.value });
        let upper_ok = range.upper.is_none_or(|b| if b.inclusive { v <= b.value } else { v < b.value });
        prop_assert_eq!(range.contains(v), lower_ok && upper_ok);
    }

    #[test]
    fn terms_round_trip(terms in terms()) {
        prop_assert!(terms.check().is_ok());
        let text = terms.to_string();
        let back = Terms::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(&back, &terms);
        prop_assert_eq!(back.to_string(), text);
    }

    #[test]
    fn windows_round_trip(w in window()) {
        let text = w.format_cn();
        let back = Window::parse_cn(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back, w);
        prop_assert_eq!(back.format_cn(), text);
    }

    #[test]
    fn parsers_never_panic(s in any::<String>()) {
        let _ = IndicatorRange::parse(&s);
        let _ = Terms::parse(&s);
        let _ = Window::parse_cn(&s);
        let _ = NoticeNumber::parse(&s);
        let _ = ParcelCode::parse(&s);
        let _ = import_text(&s, None, &ImportOptions::default());
    }

    #[test]
    fn parsers_never_panic_on_notation_like_text(
        s in "[≥≤<>=＞＜（）()且,，、;0-9.\\-~至 商业以为准年居住]{0,24}",
    ) {
        let _ = IndicatorRange::parse(&s);
        let _ = Terms::parse(&s);
    }

    #[test]
    fn window_parser_never_panics_on_date_like_text(
        s in "[0-9年月日号时点分秒半整起止至,:上午下中晚凌晨-]{0,40}",
    ) {
        let _ = Window::parse_cn(&s);
    }

    #[test]
    fn import_never_panics_on_table_like_text(
        cells in prop::collection::vec(
            prop::collection::vec(
                prop_oneof![
                    Just("地块编号".to_owned()),
                    Just("土地面积(M <sup>2</sup> )".to_owned()),
                    Just("竞买规则".to_owned()),
                    Just("最高限价(元/M²)".to_owned()),
                    Just("网上挂牌出让时间".to_owned()),
                    Just("U20041".to_owned()),
                    Just("表1".to_owned()),
                    Just("注:节假日不休息".to_owned()),
                    Just("本地块竞买实行限房价竞地价,达到最高限价后摇号".to_owned()),
                    Just("\"".to_owned()),
                    Just(String::new()),
                    "[0-9.≤≥且]{0,6}",
                ],
                0..5,
            ),
            0..8,
        ),
    ) {
        let text: String = cells.iter().map(|row| row.join("\t") + "\n").collect();
        let _ = import_text(&text, None, &ImportOptions::default());
        let csv: String = cells.iter().map(|row| row.join(",") + "\r\n").collect();
        let _ = import_text(&csv, None, &ImportOptions::default());
    }
}

fn text_cell() -> impl Strategy<Value = String> {
    "[\u{4e00}-\u{9fa5}][\u{4e00}-\u{9fa5}、0-9 ]{0,10}[\u{4e00}-\u{9fa5}]"
}

fn money(max_fen: i64) -> impl Strategy<Value = Money> {
    (1..max_fen).prop_map(Money::from_fen)
}

fn rule() -> impl Strategy<Value = BiddingRule> {
    prop_oneof![
        Just(BiddingRule::default()),
        money(10_000_000).prop_map(|cap| BiddingRule {
            mode: BiddingMode::LimitedHousingPrice {
                housing_price_cap: Some(cap)
            },
            price_cap: None,
            text: Some("本地块竞买实行限房价竞地价不摇号".to_owned()),
        }),
        (
            money(10_000_000),
            prop_oneof![
                Just(FollowOnKind::Lottery),
                Just(FollowOnKind::SealedAverage),
                Just(FollowOnKind::Ascending(
                    yiwang_exchange::notice::AscendingQuantity::SelfHeld
                )),
            ],
            any::<bool>(),
        )
            .prop_map(|(max, kind, limited)| {
                let mut rule = BiddingRule {
                    mode: BiddingMode::HighestPrice,
                    price_cap: Some(PriceCap {
                        max_price: max,
                        follow_on: FollowOn::blank(kind),
                    }),
                    text: None,
                };
                if limited {
                    rule.mode = BiddingMode::LimitedHousingPrice {
                        housing_price_cap: Some(Money::from_fen(2_150_000)),
                    };
                }
                rule.text = Some(rule.describe());
                rule
            }),
    ]
}

fn parcel(index: usize, basis: PriceBasis, shared: bool) -> impl Strategy<Value = Parcel> {
    (
        (text_cell(), text_cell(), 1i64..10_000_000_000),
        (
            prop::option::of(indicator_range()),
            prop::option::of(indicator_range()),
            prop::option::of(indicator_range()),
            prop::option::of(indicator_range()),
            terms(),
        ),
        (money(1_000_000_000_000), money(1_000_000_000_000), rule()),
        (window(), window(), window(), prop::option::of(text_cell())),
    )
        .prop_map(
            move |(
                (location, land_use, area),
                (floor, far, density, green, terms),
                (start, deposit, rule),
                (a, d, l, note),
            )| {
                let mut p = Parcel::draft(
                    ParcelCode::parse(&format!("R{:05}", 20_000 + index)).unwrap(),
                    location,
                    LandUse::parse(&land_use).unwrap(),
                    Area::from_centi(area),
                );
                p.floor_area = floor;
                p.far = far;
                p.density = density;
                p.green_ratio = green;
                p.terms = Some(terms);
                p.price_basis = basis;
                p.start_price = Some(start);
                p.increment = match basis {
                    PriceBasis::Unit => Some(DEFAULT_UNIT_INCREMENT),
                    PriceBasis::Total => None,
                };
                p.deposit = Some(deposit);
                p.rule = rule;
                p.windows = Some(Windows {
                    application: a,
                    deposit: if shared { a } else { d },
                    listing: l,
                });
                p.notes = note.into_iter().collect();
                p
            },
        )
}

fn notice() -> impl Strategy<Value = Notice> {
    (any::<bool>(), any::<bool>(), 1usize..4)
        .prop_flat_map(|(unit, shared, n)| {
            let basis = if unit {
                PriceBasis::Unit
            } else {
                PriceBasis::Total
            };
            (0..n).map(|i| parcel(i, basis, shared)).collect::<Vec<_>>()
        })
        .prop_map(|mut parcels| {
            // Once one parcel needs a rule column, every parcel's rule is
            // printed in words, and imports back with those words.
            if parcels.iter().any(|p| !p.rule.is_plain()) {
                for p in &mut parcels {
                    p.rule.text = Some(p.rule.describe());
                }
            }
            let mut notice =
                Notice::draft(NoticeNumber::parse("通自然资规告出网(2020)第60号").unwrap());
            notice.parcels = parcels;
            notice
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn rendered_tables_import_back(notice in notice()) {
        let mut text = String::new();
        for table in tables(&notice) {
            text.push_str(&format!("{}\n\n", table.caption));
            for row in std::iter::once(&table.header).chain(&table.rows) {
                text.push_str(&row.join("\t"));
                text.push('\n');
            }
            text.push('\n');
        }
        let imported = import_text(&text, None, &ImportOptions::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(imported.parcels, notice.parcels);
    }

    #[test]
    fn validation_never_panics(notice in notice(), at in instant()) {
        let _ = validate_for_publication(&notice, at, &WorkingCalendar::shipped());
    }
}
