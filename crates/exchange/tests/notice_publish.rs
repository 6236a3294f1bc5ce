//! Publication checks: the statutory timing on the seed's notices, and
//! every other problem, all listed at once.

use time::macros::date;
use yiwang_core::{Area, Money, Ratio, Timestamp, WorkingCalendar};
use yiwang_exchange::notice::{
    listing_timing, seed, validate_for_publication, validate_for_publication_with, BiddingMode,
    Field, FollowOn, FollowOnKind, IndicatorRange, Notice, NoticeStatus, ParcelCode, PriceCap,
    ProblemCode, PublicationRules, PublishProblem, Terms, Window,
};

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn calendar() -> WorkingCalendar {
    WorkingCalendar::shipped()
}

/// The last day on which the seed's notices may appear: 20 days before
/// the listing opens on 29 December 2020.
fn seed_published_at() -> Timestamp {
    t("2020-12-09T09:00:00+08:00")
}

fn codes(problems: &[PublishProblem]) -> Vec<(&str, Option<&str>, Option<Field>)> {
    problems
        .iter()
        .map(|p| {
            (
                p.code.as_str(),
                p.parcel.as_ref().map(ParcelCode::as_str),
                p.field,
            )
        })
        .collect()
}

#[test]
fn the_seed_timing_figures() {
    let listing = seed::seed_windows().listing;
    let timing = listing_timing(
        &listing,
        seed_published_at(),
        &calendar(),
        &PublicationRules::default(),
    );
    assert_eq!(timing.notice_days, 20);
    assert_eq!(timing.latest_publication_date, date!(2020 - 12 - 09));
    // 2020-12-29 00:00 → 2021-01-08 11:00: 10 days and 11 hours.
    assert_eq!(timing.listing_days, 10);
    // Working days after the start date up to the end: 30, 31 December,
    // 4–8 January (1–3 January are 元旦 and a weekend).
    assert_eq!(timing.listing_working_days, 7);
    // Open on 29, 30, 31 December and 4, 5, 6, 7, 8 January.
    assert_eq!(timing.listing_open_working_days, 8);
    // Ten working days after 29 December 00:00.
    assert_eq!(
        timing.earliest_listing_end.to_rfc3339(),
        "2021-01-13T00:00:00+08:00"
    );

    let order_39 = listing_timing(
        &listing,
        seed_published_at(),
        &calendar(),
        &PublicationRules::order_39(),
    );
    assert_eq!(
        order_39.earliest_listing_end.to_rfc3339(),
        "2021-01-08T00:00:00+08:00"
    );
}

#[test]
fn the_seed_notices_pass_under_order_39_when_published_in_time() {
    for notice in seed::notices() {
        assert_eq!(
            validate_for_publication_with(
                &notice,
                seed_published_at(),
                &calendar(),
                &PublicationRules::order_39()
            ),
            Ok(()),
            "{}",
            notice.number
        );
    }
}

#[test]
fn the_seed_listing_is_short_of_ten_working_days() {
    for notice in seed::notices() {
        let problems =
            validate_for_publication(&notice, seed_published_at(), &calendar()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        let p = &problems[0];
        assert_eq!(p.code, ProblemCode::ListingPeriodTooShort);
        assert_eq!(p.field, Some(Field::ListingWindow));
        let code = notice.parcels[0].code.as_str();
        assert_eq!(
            p.message,
            format!(
                "地块 {code} 的“网上挂牌出让时间”（2020年12月29日起,2021年1月8日上午11时止）只有 7 个完整工作日（挂牌期内共有 8 个工作日），应至少 10 个工作日：挂牌截止时间应不早于 2021年01月13日 00:00:00"
            )
        );
    }
}

#[test]
fn the_seed_notices_pass_ten_working_days_once_the_listing_is_placed_accordingly() {
    // The same notice, with the listing ending on the earliest allowed
    // instant: it now passes the default rules.
    let mut notice = seed::notice_61();
    let windows = notice.parcels[0].windows.as_mut().unwrap();
    windows.listing.end = t("2021-01-13T11:00:00+08:00");
    assert_eq!(
        validate_for_publication(&notice, seed_published_at(), &calendar()),
        Ok(())
    );
    windows_end_minus_one(&mut notice);
    assert!(validate_for_publication(&notice, seed_published_at(), &calendar()).is_ok());
    notice.parcels[0].windows.as_mut().unwrap().listing.end = t("2021-01-12T23:59:59+08:00");
    let problems = validate_for_publication(&notice, seed_published_at(), &calendar()).unwrap_err();
    assert_eq!(
        codes(&problems),
        [(
            "listing_period_too_short",
            Some("R20042"),
            Some(Field::ListingWindow)
        )]
    );
}

fn windows_end_minus_one(notice: &mut Notice) {
    notice.parcels[0].windows.as_mut().unwrap().listing.end = t("2021-01-13T00:00:00+08:00");
}

#[test]
fn notice_period_is_counted_in_calendar_dates() {
    let rules = PublicationRules::order_39();
    let notice = seed::notice_60();
    // Late on the last allowed day is still in time.
    assert!(validate_for_publication_with(
        &notice,
        t("2020-12-09T23:59:59+08:00"),
        &calendar(),
        &rules
    )
    .is_ok());
    let problems =
        validate_for_publication_with(&notice, t("2020-12-10T00:00:00+08:00"), &calendar(), &rules)
            .unwrap_err();
    assert_eq!(
        codes(&problems),
        [(
            "notice_period_too_short",
            Some("U20041"),
            Some(Field::ListingWindow)
        )]
    );
    assert_eq!(
        problems[0].message,
        "地块 U20041 的“网上挂牌出让时间”开始于 2020年12月29日，距公告发布日 2020年12月10日 仅 19 日，应至少 20 日：公告应不晚于 2020年12月09日 发布，或推迟挂牌开始时间"
    );
    // Published after the application window opened.
    let problems =
        validate_for_publication_with(&notice, t("2020-12-29T09:00:00+08:00"), &calendar(), &rules)
            .unwrap_err();
    assert_eq!(
        codes(&problems),
        [
            (
                "opens_before_publication",
                Some("U20041"),
                Some(Field::ApplicationWindow)
            ),
            (
                "opens_before_publication",
                Some("U20041"),
                Some(Field::DepositWindow)
            ),
            (
                "opens_before_publication",
                Some("U20041"),
                Some(Field::ListingWindow)
            ),
            (
                "notice_period_too_short",
                Some("U20041"),
                Some(Field::ListingWindow)
            ),
        ]
    );
}

#[test]
fn configurable_rules() {
    let notice = seed::notice_60();
    let lenient = PublicationRules {
        min_notice_days: 10,
        min_listing_days: 7,
        listing_days_are_working_days: true,
    };
    assert!(validate_for_publication_with(
        &notice,
        t("2020-12-19T09:00:00+08:00"),
        &calendar(),
        &lenient
    )
    .is_ok());
    let strict = PublicationRules {
        min_listing_days: 11,
        ..PublicationRules::order_39()
    };
    let problems =
        validate_for_publication_with(&notice, seed_published_at(), &calendar(), &strict)
            .unwrap_err();
    assert!(
        problems[0]
            .message
            .contains("只有 10 个完整日，应至少 11 日"),
        "{}",
        problems[0].message
    );
}

#[test]
fn windows_must_be_well_formed_and_close_before_the_listing_ends() {
    let mut notice = seed::notice_60();
    let w = notice.parcels[0].windows.as_mut().unwrap();
    w.application.end = w.listing.end;
    w.deposit = Window {
        start: w.deposit.start,
        end: t("2021-01-05T11:00:00+08:00"),
    };
    let problems = validate_for_publication_with(
        &notice,
        seed_published_at(),
        &calendar(),
        &PublicationRules::order_39(),
    )
    .unwrap_err();
    assert_eq!(
        codes(&problems),
        [
            (
                "closes_after_listing_end",
                Some("U20041"),
                Some(Field::ApplicationWindow)
            ),
            (
                "deposit_closes_before_application",
                Some("U20041"),
                Some(Field::DepositWindow)
            ),
        ]
    );

    let w = notice.parcels[0].windows.as_mut().unwrap();
    w.listing = Window {
        start: w.listing.end,
        end: w.listing.start,
    };
    w.application.end = w.application.start.add_micros(1);
    w.deposit = w.application;
    let problems = validate_for_publication_with(
        &notice,
        seed_published_at(),
        &calendar(),
        &PublicationRules::order_39(),
    )
    .unwrap_err();
    let got = codes(&problems);
    assert!(
        got.contains(&(
            "window_not_well_formed",
            Some("U20041"),
            Some(Field::ListingWindow)
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "time_not_whole_second",
            Some("U20041"),
            Some(Field::ApplicationWindow)
        )),
        "{got:?}"
    );
    // Timing is not judged on a window that ends before it starts.
    assert!(
        !got.iter().any(|c| c.0 == "listing_period_too_short"),
        "{got:?}"
    );
}

#[test]
fn every_problem_is_listed_with_its_parcel_and_field() {
    let mut notice = seed::notice_61();
    notice.preamble = " ".to_owned();
    notice.notes = vec!["a\tb".to_owned()];
    let mut second = seed::notice_60().parcels[0].clone();
    second.code = notice.parcels[0].code.clone();
    second.location = String::new();
    second.land_area = Area::ZERO;
    second.far = None;
    second.terms = Some(Terms::Single(60));
    second.start_price = Some(Money::ZERO);
    second.increment = None;
    second.deposit = None;
    second.windows = None;
    second.density = Some(IndicatorRange::new(None, None));
    notice.parcels.push(second);

    let first = &mut notice.parcels[0];
    first.rule.mode = BiddingMode::LimitedHousingPrice {
        housing_price_cap: None,
    };
    first.rule.price_cap = Some(PriceCap {
        max_price: Money::from_yuan(18_000).unwrap(),
        follow_on: FollowOn::blank(FollowOnKind::Lottery),
    });

    let problems = validate_for_publication_with(
        &notice,
        seed_published_at(),
        &calendar(),
        &PublicationRules::order_39(),
    )
    .unwrap_err();
    assert_eq!(
        codes(&problems),
        [
            ("missing", None, Some(Field::Preamble)),
            ("invalid_text", None, Some(Field::Notes)),
            ("missing", Some("R20042"), Some(Field::HousingPriceCap)),
            (
                "price_cap_not_above_start",
                Some("R20042"),
                Some(Field::PriceCap)
            ),
            ("invalid_follow_on", Some("R20042"), Some(Field::FollowOn)),
            ("rule_text_mismatch", Some("R20042"), Some(Field::Rule)),
            ("duplicate_parcel_code", Some("R20042"), Some(Field::Code)),
            ("missing", Some("R20042"), Some(Field::Location)),
            ("not_positive", Some("R20042"), Some(Field::LandArea)),
            ("missing", Some("R20042"), Some(Field::Far)),
            ("invalid_indicator", Some("R20042"), Some(Field::Density)),
            ("term_exceeds_statutory", Some("R20042"), Some(Field::Terms)),
            ("not_positive", Some("R20042"), Some(Field::StartPrice)),
            ("missing", Some("R20042"), Some(Field::Increment)),
            ("missing", Some("R20042"), Some(Field::Deposit)),
            ("missing", Some("R20042"), Some(Field::Windows)),
        ]
    );
    let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages[2],
        "地块 R20042 的“房屋最高备案指导均价”未填写：发布前必须填写"
    );
    assert_eq!(
        messages[3],
        "地块 R20042 的“最高限价”为 18000.00，不高于起挂牌价 18470.00：最高限价必须高于起挂牌价"
    );
    assert_eq!(
        messages[5],
        "地块 R20042 的“竞买规则”“本地块竞买实行限房价竞地价不摇号”写明不摇号，但达到最高限价后的方式设为摇号"
    );
    assert_eq!(
        messages[11],
        "地块 R20042 的“出让年期”中消防设施用地为 60 年，超过法定最高年限 50 年（《城镇国有土地使用权出让和转让暂行条例》第十二条）"
    );
    assert_eq!(
        messages[12],
        "地块 R20042 的“起挂牌价”为 0.00 元/平方米：必须大于 0"
    );
}

#[test]
fn follow_on_parameters_and_rule_texts() {
    let rules = PublicationRules::order_39();
    let check = |notice: &Notice| {
        validate_for_publication_with(notice, seed_published_at(), &calendar(), &rules)
            .err()
            .unwrap_or_default()
    };
    let mut notice = seed::notice_61();
    let parcel = &mut notice.parcels[0];
    parcel.rule.text = Some("本地块竞买实行限房价竞地价,达到最高限价后摇号".to_owned());
    parcel.rule.price_cap = Some(PriceCap {
        // 18470 + 253 × 10.
        max_price: Money::from_yuan(21_000).unwrap(),
        follow_on: FollowOn::Lottery {
            seed_sha256: Some("9F86".to_owned()),
        },
    });
    let problems = check(&notice);
    assert_eq!(
        codes(&problems),
        [("invalid_follow_on", Some("R20042"), Some(Field::FollowOn))]
    );

    let hash = yiwang_exchange::engine::lottery_seed_hash("9f86d081884c7d65");
    notice.parcels[0].rule.price_cap.as_mut().unwrap().follow_on = FollowOn::Lottery {
        seed_sha256: Some(hash),
    };
    assert!(check(&notice).is_empty());

    // A cap the increments cannot land on exactly.
    notice.parcels[0].rule.price_cap.as_mut().unwrap().max_price =
        Money::from_yuan(21_005).unwrap();
    assert_eq!(codes(&check(&notice))[0].0, "price_cap_off_increment");
    notice.parcels[0].rule.price_cap.as_mut().unwrap().max_price =
        Money::from_yuan(21_000).unwrap();

    // Sealed average: incomplete, then inverted, then fine.
    notice.parcels[0].rule.text =
        Some("本地块竞买实行限房价竞地价,达到最高限价后一次报价".to_owned());
    notice.parcels[0].rule.price_cap.as_mut().unwrap().follow_on =
        FollowOn::blank(FollowOnKind::SealedAverage);
    let problems = check(&notice);
    let got = codes(&problems);
    assert_eq!(
        got.iter().filter(|c| c.0 == "invalid_follow_on").count(),
        2,
        "{got:?}"
    );
    notice.parcels[0].rule.price_cap.as_mut().unwrap().follow_on = FollowOn::SealedAverage {
        window_s: Some(900),
        low: Money::from_yuan(26_250),
        high: Money::from_yuan(21_000),
    };
    assert_eq!(codes(&check(&notice)).len(), 1);
    notice.parcels[0].rule.price_cap.as_mut().unwrap().follow_on = FollowOn::SealedAverage {
        window_s: Some(900),
        low: Money::from_yuan(21_000),
        high: Money::from_yuan(26_250),
    };
    assert!(check(&notice).is_empty());

    // Ascending: the text says 竞配建 but the rule is 竞自持 over 100 %.
    notice.parcels[0].rule.text =
        Some("本地块竞买实行限房价竞地价,达到最高限价后竞配建".to_owned());
    notice.parcels[0].rule.price_cap.as_mut().unwrap().follow_on = FollowOn::Ascending {
        quantity: yiwang_exchange::notice::AscendingQuantity::SelfHeld,
        start: Some(Ratio::parse("5").unwrap()),
        increment: Some(Ratio::parse("0.005").unwrap()),
        max: Some(Ratio::parse("120").unwrap()),
    };
    let problems = check(&notice);
    let got = codes(&problems);
    assert_eq!(
        got,
        [
            ("invalid_follow_on", Some("R20042"), Some(Field::FollowOn)),
            ("invalid_follow_on", Some("R20042"), Some(Field::FollowOn)),
            ("rule_text_mismatch", Some("R20042"), Some(Field::Rule)),
        ]
    );

    // A text that says nothing recognisable.
    notice.parcels[0].rule.price_cap = None;
    notice.parcels[0].rule.text = Some("按出让须知执行".to_owned());
    assert_eq!(
        codes(&check(&notice)),
        [("rule_text_unclear", Some("R20042"), Some(Field::Rule))]
    );

    // The typed rule is 限房价 but the text says only 价高者得.
    notice.parcels[0].rule.text = Some("价高者得".to_owned());
    assert_eq!(
        codes(&check(&notice)),
        [("rule_text_mismatch", Some("R20042"), Some(Field::Rule))]
    );
}

#[test]
fn only_drafts_are_published_and_empty_notices_are_refused() {
    let mut notice = seed::notice_60();
    notice.status = NoticeStatus::Published;
    notice.parcels.clear();
    notice.title.clear();
    let problems = validate_for_publication(&notice, seed_published_at(), &calendar()).unwrap_err();
    assert_eq!(
        codes(&problems),
        [
            ("not_draft", None, Some(Field::Status)),
            ("missing", None, Some(Field::Title)),
            ("no_parcels", None, Some(Field::Parcels)),
        ]
    );
    assert_eq!(
        problems[0].message,
        "公告通自然资规告出网(2020)第60号已发布：只有草稿可以发布"
    );
}

#[test]
fn problems_serialise_with_stable_codes() {
    let problems =
        validate_for_publication(&seed::notice_60(), seed_published_at(), &calendar()).unwrap_err();
    let json = serde_json::to_value(&problems).unwrap();
    assert_eq!(json[0]["code"], "listing_period_too_short");
    assert_eq!(json[0]["parcel"], "U20041");
    assert_eq!(json[0]["field"], "listing_window");
}
