//! A scenario that is not well formed is refused with one line naming the
//! offending field; nothing in it is guessed.

use yiwang_exchange::scenario::{simulate, ScenarioError};

const BASE: &str = r#"{
 "name": "base", "about": "a well-formed scenario to break",
 "listing": {"code": "U20041", "area_m2": "6651.11", "start_price": "480", "increment": "10",
  "deposit_required": "700000", "application_deadline": "2021-01-06T11:00:00+08:00",
  "listing_start": "2020-12-29T00:00:00+08:00", "listing_end": "2021-01-08T11:00:00+08:00"},
 "steps": [
  {"at": "2020-12-30T09:00:00+08:00", "do": "apply", "party": "A"},
  {"at": "2020-12-30T09:30:00+08:00", "do": "deposit", "party": "A", "amount": "700000"},
  {"at": "2021-01-04T10:00:00.250+08:00", "do": "bid", "party": "A", "price": "480"}
 ],
 "expect": {"anything": "is ignored"}
}"#;

fn error_with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from}");
    let err = simulate(&BASE.replacen(from, to, 1))
        .unwrap_err()
        .to_string();
    assert!(!err.contains('\n'), "one line: {err}");
    err
}

#[test]
fn the_base_scenario_runs_with_defaults() {
    let out = simulate(BASE).unwrap();
    assert_eq!(
        out,
        serde_json::json!({
            "verdicts": ["ok", "ok", "ok"],
            "result": {"outcome": "sold", "winner": "A", "price": "480.00",
                       "decided_at": "2021-01-08T11:00:00+08:00"}
        })
    );
}

#[test]
fn amounts_name_their_field() {
    assert_eq!(
        error_with(r#""price": "480""#, r#""price": "12.345""#),
        r#"steps[2].price: not a decimal amount with at most 2 decimals: "12.345""#
    );
    assert_eq!(
        error_with(r#""price": "480""#, r#""price": 480"#),
        r#"steps[2].price: amounts must be decimal strings such as "18470.00", not JSON numbers"#
    );
    assert!(error_with(r#""price": "480""#, r#""price": "-1""#)
        .starts_with("steps[2].price: not a decimal amount"));
    assert!(error_with(r#""price": "480""#, r#""price": "1e3""#)
        .starts_with("steps[2].price: not a decimal amount"));
    assert_eq!(
        error_with(r#""amount": "700000""#, r#""amount": "0""#),
        "steps[1].amount: must be more than 0"
    );
    assert_eq!(
        error_with(r#""increment": "10""#, r#""increment": "0.00""#),
        "listing.increment: must be more than 0"
    );
    assert!(
        error_with(r#""area_m2": "6651.11""#, r#""area_m2": "6651.111""#)
            .starts_with("listing.area_m2: ")
    );
}

#[test]
fn times_need_an_offset_and_at_most_six_decimals() {
    let err = error_with(
        r#""at": "2020-12-30T09:00:00+08:00""#,
        r#""at": "2020-12-30T09:00:00""#,
    );
    assert!(
        err.starts_with(
            r#"steps[0].at: not an RFC 3339 time with an offset: "2020-12-30T09:00:00""#
        ),
        "{err}"
    );
    let err = error_with(
        r#""at": "2021-01-04T10:00:00.250+08:00""#,
        r#""at": "2021-01-04T10:00:00.2500001+08:00""#,
    );
    assert!(err.starts_with("steps[2].at: "), "{err}");
    let err = error_with(
        r#""listing_end": "2021-01-08T11:00:00+08:00""#,
        r#""listing_end": "2021-01-08""#,
    );
    assert!(err.starts_with("listing.listing_end: "), "{err}");
}

#[test]
fn actions_and_fields_are_checked() {
    assert!(error_with(r#""do": "bid""#, r#""do": "bidd""#)
        .starts_with(r#"steps[2].do: unknown action "bidd""#));
    assert_eq!(
        error_with(r#""do": "apply", "party": "A""#, r#""do": "apply""#),
        "steps[0].party: missing"
    );
    assert!(
        error_with(r#""price": "480""#, r#""price": "480", "pricee": "1""#)
            .starts_with("steps[2].pricee: unknown field")
    );
    // A field that belongs to another action is a mistake too.
    assert!(error_with(
        r#""do": "apply", "party": "A""#,
        r#""do": "apply", "party": "A", "price": "1""#
    )
    .starts_with("steps[0].price: unknown field"));
    assert_eq!(
        error_with(r#""price": "480""#, r#""price": "480", "price": "490""#),
        "steps[2].price: given more than once"
    );
    assert!(error_with(r#""party": "A"}"#, r#""party": ""}"#).starts_with("steps[0].party: "));
    assert!(error_with(r#""party": "A"}"#, r#""party": "A,B"}"#).starts_with("steps[0].party: "));
    assert_eq!(
        error_with(
            r#""do": "apply", "party": "A""#,
            r#""do": "apply", "party": "A", "partners": {"B": "40.123"}"#
        ),
        r#"steps[0].partners.B: not a share in per cent with at most 2 decimals: "40.123""#
    );
    assert_eq!(
        error_with(
            r#""do": "apply", "party": "A""#,
            r#""do": "apply", "party": "A", "partners": {"B": "40", "B": "10"}"#
        ),
        "steps[0].partners.B: given more than once"
    );
    assert_eq!(
        error_with(r#""steps": ["#, r#""steps": {"x": ["#)
            .split(':')
            .next(),
        Some("scenario")
    );
}

#[test]
fn listing_rules_are_checked() {
    assert_eq!(
        error_with(r#""area_m2": "6651.11", "#, ""),
        "listing.area_m2: missing"
    );
    assert!(error_with(r#""code": "U20041""#, r#""code": "U|1""#).starts_with("listing.code: "));
    assert!(
        error_with(r#""increment": "10""#, r#""increment": "10", "foo": 1"#)
            .starts_with("listing.foo: unknown field")
    );
    assert_eq!(
        error_with(
            r#""increment": "10""#,
            r#""increment": "10", "quote_stop_s": -1"#
        ),
        "listing.quote_stop_s: must be a whole number of seconds from 0 to 316224000"
    );
    assert_eq!(
        error_with(
            r#""increment": "10""#,
            r#""increment": "10", "quote_stop_s": 3600.5"#
        ),
        "listing.quote_stop_s: expected a whole number of seconds, found a number"
    );
    assert!(error_with(
        r#""increment": "10""#,
        r#""increment": "10", "timed_round": {"entry": "all"}"#
    )
    .starts_with("listing.timed_round.entry: "));
    assert_eq!(
        error_with(
            r#""increment": "10""#,
            r#""increment": "10", "timed_round": {"min_participants": 0}"#
        ),
        "listing.timed_round.min_participants: must be a whole number from 1 to 4294967295"
    );
    assert!(error_with(
        r#""increment": "10""#,
        r#""increment": "10", "price_cap": {"max_price": "500", "then": {"mode": "dutch"}}"#
    )
    .starts_with(r#"listing.price_cap.then.mode: unknown mode "dutch""#));
    assert!(error_with(
        r#""increment": "10""#,
        r#""increment": "10", "price_cap": {"max_price": "500", "then": {"mode": "lottery", "seed": "xyz"}}"#
    )
    .starts_with("listing.price_cap.then.seed: "));
    assert_eq!(
        error_with(
            r#""increment": "10""#,
            r#""increment": "10", "price_cap": {"max_price": "470", "then": {"mode": "lottery", "seed": "ab"}}"#
        ),
        "listing.price_cap.max_price: must not be below start_price"
    );
    assert_eq!(
        error_with(
            r#""increment": "10""#,
            r#""increment": "10", "price_cap": {"max_price": "500", "then": {"mode": "sealed_average", "window_s": 900, "low": "600", "high": "500"}}"#
        ),
        "listing.price_cap.then.high: must not be below low"
    );
    assert_eq!(
        error_with(
            r#""listing_end": "2021-01-08T11:00:00+08:00""#,
            r#""listing_end": "2020-12-29T00:00:00+08:00""#
        ),
        "listing.listing_end: must be after listing_start"
    );
}

#[test]
fn not_json_at_all() {
    let err = simulate("{\"listing\"").unwrap_err();
    assert!(matches!(err, ScenarioError::Json(_)));
    assert!(err.to_string().starts_with("scenario: not valid JSON: "));
    assert_eq!(
        simulate("[]").unwrap_err().to_string(),
        "scenario: must be a JSON object"
    );
    assert_eq!(simulate("{}").unwrap_err().to_string(), "listing: missing");
}

#[test]
fn explicit_nulls_take_the_defaults_and_null_timed_round_turns_it_off() {
    let with_nulls = BASE.replacen(
        r#""increment": "10""#,
        r#""increment": "10", "price_basis": null, "quote_stop_s": null, "reserve_price": null, "price_cap": null"#,
        1,
    );
    assert_eq!(simulate(&with_nulls).unwrap(), simulate(BASE).unwrap());
}
