//! The engine driven directly: suspension (an extension beyond the
//! scenario format), deadlines judged as facts, refunds, the clock.

use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{
    Action, EngineError, Event, Fact, Listing, Outcome, Party, Phase, Refusal, Schedule, Verdict,
};
use yiwang_exchange::log::{verify, LogWriter, Rerun};
use yiwang_exchange::scenario::Scenario;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn p(s: &str) -> Party {
    Party::parse(s).unwrap()
}

fn yuan(s: &str) -> Money {
    Money::parse_yuan(s).unwrap()
}

/// A listing (U20041's calendar) with A and B qualified, and the facts so far.
fn listing(extra: &str) -> (Listing, Vec<Fact>) {
    let text = format!(
        r#"{{"listing": {{"code": "U20041", "area_m2": "6651.11", "start_price": "480", "increment": "10",
            "deposit_required": "700000", "application_deadline": "2021-01-06T11:00:00+08:00",
            "listing_start": "2020-12-29T00:00:00+08:00", "listing_end": "2021-01-08T11:00:00+08:00"{extra}}},
            "steps": []}}"#
    );
    let rules = Scenario::parse(&text).unwrap().rules;
    let mut listing = Listing::new(rules).unwrap();
    let mut facts = Vec::new();
    for party in ["A", "B"] {
        let apply = Action::Apply {
            party: p(party),
            partners: Vec::new(),
        };
        assert!(listing
            .decide(&apply, ts("2020-12-30T09:00:00+08:00"), &mut facts)
            .unwrap()
            .is_accepted());
    }
    for party in ["A", "B"] {
        let deposit = Action::Deposit {
            party: p(party),
            amount: yuan("700000"),
        };
        assert!(listing
            .decide(&deposit, ts("2020-12-30T09:30:00+08:00"), &mut facts)
            .unwrap()
            .is_accepted());
    }
    (listing, facts)
}

fn bid(
    listing: &mut Listing,
    facts: &mut Vec<Fact>,
    party: &str,
    price: &str,
    at: &str,
) -> Verdict {
    let action = Action::Bid {
        party: p(party),
        price: yuan(price),
    };
    listing.decide(&action, ts(at), facts).unwrap()
}

fn schedule(listing: &Listing, listing_end: &str) -> Schedule {
    Schedule {
        listing_end: ts(listing_end),
        ..*listing.state().schedule()
    }
}

fn verify_facts(listing: &Listing, facts: &[Fact]) -> Rerun {
    let (mut writer, first) = LogWriter::open(listing.rules(), ts("2020-12-28T09:00:00+08:00"));
    let mut entries = vec![first];
    entries.extend(facts.iter().map(|f| writer.append(f)));
    let text = yiwang_exchange::log::to_jsonl(&entries);
    let verified = verify(&yiwang_exchange::log::from_jsonl(&text).unwrap()).unwrap();
    assert_eq!(&verified.state, listing.state());
    verified.rerun
}

#[test]
fn a_suspended_listing_freezes_and_resumes_on_a_new_schedule() {
    let (mut l, mut facts) = listing("");
    assert_eq!(
        bid(&mut l, &mut facts, "A", "480", "2021-01-04T10:00:00+08:00"),
        Verdict::Accepted
    );
    let suspend = Action::Suspend {
        reason: "群众反映宗地存在权属争议，暂停交易核查".to_owned(),
    };
    assert!(l
        .decide(&suspend, ts("2021-01-05T09:00:00+08:00"), &mut facts)
        .unwrap()
        .is_accepted());
    assert_eq!(
        l.decide(&suspend, ts("2021-01-05T09:01:00+08:00"), &mut facts)
            .unwrap(),
        Verdict::Refused(Refusal::AlreadySuspended)
    );
    assert_eq!(
        bid(&mut l, &mut facts, "B", "490", "2021-01-05T10:00:00+08:00"),
        Verdict::Refused(Refusal::Suspended)
    );
    let deposit = Action::Deposit {
        party: p("B"),
        amount: yuan("1"),
    };
    assert_eq!(
        l.decide(&deposit, ts("2021-01-05T10:01:00+08:00"), &mut facts)
            .unwrap(),
        Verdict::Refused(Refusal::Suspended)
    );
    assert_eq!(
        l.state().refunds().len(),
        1,
        "a refused deposit is recorded for refund"
    );

    // The old listing end passes while suspended: nothing falls due.
    assert_eq!(l.next_due(), None);
    l.advance(ts("2021-01-09T00:00:00+08:00"), &mut facts)
        .unwrap();
    assert_eq!(l.decision(), None);

    // Resuming needs a listing end after the resumption, and no deadline
    // in the listing period.
    let resume_at = ts("2021-01-10T09:00:00+08:00");
    let too_early = Action::Resume {
        schedule: schedule(&l, "2021-01-09T11:00:00+08:00"),
        deadline: None,
    };
    assert_eq!(
        l.decide(&too_early, resume_at, &mut facts).unwrap(),
        Verdict::Refused(Refusal::InvalidSchedule)
    );
    let with_deadline = Action::Resume {
        schedule: schedule(&l, "2021-01-15T11:00:00+08:00"),
        deadline: Some(ts("2021-01-15T11:00:00+08:00")),
    };
    assert_eq!(
        l.decide(&with_deadline, resume_at, &mut facts).unwrap(),
        Verdict::Refused(Refusal::InvalidSchedule)
    );
    let resume = Action::Resume {
        schedule: schedule(&l, "2021-01-15T11:00:00+08:00"),
        deadline: None,
    };
    assert!(l
        .decide(&resume, resume_at, &mut facts)
        .unwrap()
        .is_accepted());
    assert_eq!(
        l.decide(&resume, resume_at, &mut facts).unwrap(),
        Verdict::Refused(Refusal::NotSuspended)
    );
    assert_eq!(
        bid(&mut l, &mut facts, "B", "490", "2021-01-12T10:00:00+08:00"),
        Verdict::Accepted
    );
    // The quote stop follows the new listing end.
    assert_eq!(
        bid(&mut l, &mut facts, "A", "500", "2021-01-15T10:00:00+08:00"),
        Verdict::Refused(Refusal::OutsideWindow)
    );
    l.run_until_decided(&mut facts).unwrap();
    let (at, decision) = l.decision().unwrap();
    assert_eq!(at, ts("2021-01-15T11:00:00+08:00"));
    assert!(matches!(&decision.result, Outcome::Sold { winner, .. } if winner.as_str() == "B"));
    assert_eq!(
        l.decide(&suspend, ts("2021-01-16T09:00:00+08:00"), &mut facts)
            .unwrap(),
        Verdict::Refused(Refusal::Closed)
    );
    assert_eq!(verify_facts(&l, &facts), Rerun::Complete);
}

#[test]
fn a_timed_round_suspended_resumes_with_a_new_deadline() {
    let (mut l, mut facts) = listing("");
    bid(&mut l, &mut facts, "A", "480", "2021-01-04T10:00:00+08:00");
    for party in ["A", "B"] {
        let declare = Action::DeclareTimed { party: p(party) };
        assert!(l
            .decide(&declare, ts("2021-01-08T10:30:00+08:00"), &mut facts)
            .unwrap()
            .is_accepted());
    }
    assert_eq!(
        bid(&mut l, &mut facts, "B", "490", "2021-01-08T11:01:00+08:00"),
        Verdict::Accepted
    );
    assert_eq!(
        l.state().phase(),
        Phase::TimedRound {
            deadline: ts("2021-01-08T11:05:00+08:00")
        }
    );
    let suspend = Action::Suspend {
        reason: "系统故障".to_owned(),
    };
    l.decide(&suspend, ts("2021-01-08T11:02:00+08:00"), &mut facts)
        .unwrap();
    let same_schedule = *l.state().schedule();
    let no_deadline = Action::Resume {
        schedule: same_schedule,
        deadline: None,
    };
    let at = ts("2021-01-09T09:00:00+08:00");
    assert_eq!(
        l.decide(&no_deadline, at, &mut facts).unwrap(),
        Verdict::Refused(Refusal::InvalidSchedule)
    );
    let resume = Action::Resume {
        schedule: same_schedule,
        deadline: Some(ts("2021-01-09T09:04:00+08:00")),
    };
    assert!(l.decide(&resume, at, &mut facts).unwrap().is_accepted());
    assert_eq!(
        bid(&mut l, &mut facts, "A", "500", "2021-01-09T09:03:00+08:00"),
        Verdict::Accepted
    );
    assert_eq!(l.next_due(), Some(ts("2021-01-09T09:07:00+08:00")));
    l.run_until_decided(&mut facts).unwrap();
    assert_eq!(l.decision().unwrap().0, ts("2021-01-09T09:07:00+08:00"));
    assert_eq!(verify_facts(&l, &facts), Rerun::Complete);
}

#[test]
fn a_late_timer_cannot_let_a_late_bid_in() {
    // No timer ran at listing end; a bid arrives a minute later.
    let (mut l, mut facts) = listing(r#", "timed_round": null"#);
    bid(&mut l, &mut facts, "A", "480", "2021-01-04T10:00:00+08:00");
    let start = facts.len();
    assert_eq!(
        bid(&mut l, &mut facts, "B", "490", "2021-01-08T11:01:00+08:00"),
        Verdict::Refused(Refusal::Closed)
    );
    // The decision is a fact at the deadline, before the refusal.
    assert_eq!(facts[start].at, ts("2021-01-08T11:00:00+08:00"));
    assert!(matches!(facts[start].event, Event::Decided(_)));
    assert_eq!(facts[start + 1].at, ts("2021-01-08T11:01:00+08:00"));
    assert!(matches!(
        facts[start + 1].event,
        Event::ActionRefused {
            reason: Refusal::Closed,
            ..
        }
    ));
}

#[test]
fn the_clock_never_goes_back() {
    let (mut l, mut facts) = listing("");
    bid(&mut l, &mut facts, "A", "480", "2021-01-04T10:00:00+08:00");
    let action = Action::Bid {
        party: p("B"),
        price: yuan("490"),
    };
    let err = l
        .decide(&action, ts("2021-01-04T09:59:59.999999+08:00"), &mut facts)
        .unwrap_err();
    assert!(matches!(err, EngineError::ClockWentBack { .. }));
    assert!(l
        .advance(ts("2021-01-04T09:00:00+08:00"), &mut facts)
        .is_err());
    // The same instant is fine.
    assert!(l
        .decide(&action, ts("2021-01-04T10:00:00+08:00"), &mut facts)
        .unwrap()
        .is_accepted());
}

#[test]
fn no_deposit_required_qualifies_on_application() {
    let text = r#"{"listing": {"code": "Z1", "area_m2": "100", "start_price": "1", "increment": "1",
        "deposit_required": "0", "application_deadline": "2021-01-06T11:00:00+08:00",
        "listing_start": "2020-12-29T00:00:00+08:00", "listing_end": "2021-01-08T11:00:00+08:00"}, "steps": []}"#;
    let mut l = Listing::new(Scenario::parse(text).unwrap().rules).unwrap();
    let mut facts = Vec::new();
    let apply = Action::Apply {
        party: p("A"),
        partners: Vec::new(),
    };
    l.decide(&apply, ts("2020-12-30T09:00:00+08:00"), &mut facts)
        .unwrap();
    assert!(matches!(
        facts.last().unwrap().event,
        Event::Qualified { .. }
    ));
    assert!(l.state().bidder_of("A").is_some());
}

#[test]
fn refused_deposits_are_recorded_for_refund() {
    let (mut l, mut facts) = listing("");
    let late = Action::Deposit {
        party: p("A"),
        amount: yuan("100"),
    };
    assert_eq!(
        l.decide(&late, ts("2021-01-06T11:00:00+08:00"), &mut facts)
            .unwrap(),
        Verdict::Refused(Refusal::DepositLate)
    );
    let stranger = Action::Deposit {
        party: p("Z"),
        amount: yuan("200"),
    };
    assert_eq!(
        l.decide(&stranger, ts("2021-01-06T11:00:00+08:00"), &mut facts)
            .unwrap(),
        Verdict::Refused(Refusal::NotApplied)
    );
    let refunds = l.state().refunds();
    assert_eq!(refunds.len(), 2);
    assert_eq!(
        (refunds[0].party.as_str(), refunds[0].amount),
        ("A", yuan("100"))
    );
    assert_eq!(
        (refunds[1].reason, refunds[1].amount),
        (Refusal::NotApplied, yuan("200"))
    );
}

#[test]
fn every_refusal_has_a_chinese_message() {
    for r in Refusal::ALL {
        let m = r.message_zh();
        assert!(
            m.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{r}: {m}"
        );
    }
}

#[test]
fn an_ineligible_list_set_after_opening_refuses_applications_in_order_and_replays() {
    let (mut listing, mut facts) = listing("");
    let at = ts("2020-12-31T09:00:00+08:00");
    let set = Action::SetIneligible {
        parties: vec![p("D"), p("C"), p("D")],
    };
    assert!(listing.decide(&set, at, &mut facts).unwrap().is_accepted());
    assert_eq!(listing.state().ineligible(), &[p("C"), p("D")]);
    let apply = |party: &str, partner: Option<&str>| Action::Apply {
        party: p(party),
        partners: partner
            .map(|x| {
                vec![yiwang_exchange::engine::Partner {
                    party: p(x),
                    share: yiwang_exchange::engine::Share::parse("30").unwrap(),
                }]
            })
            .unwrap_or_default(),
    };
    // The lead, or any partner, on the list is refused `ineligible`.
    assert_eq!(
        listing.decide(&apply("C", None), at, &mut facts).unwrap(),
        Verdict::Refused(Refusal::Ineligible)
    );
    assert_eq!(
        listing
            .decide(&apply("E", Some("D")), at, &mut facts)
            .unwrap(),
        Verdict::Refused(Refusal::Ineligible)
    );
    // Lifting everyone lets C apply.
    let at2 = ts("2021-01-04T09:00:00+08:00");
    let lift = Action::SetIneligible { parties: vec![] };
    assert!(listing
        .decide(&lift, at2, &mut facts)
        .unwrap()
        .is_accepted());
    assert!(listing
        .decide(&apply("C", None), at2, &mut facts)
        .unwrap()
        .is_accepted());
    // A window check still comes first.
    let mut later = listing.clone();
    let mut scratch = Vec::new();
    assert!(later
        .decide(
            &Action::SetIneligible {
                parties: vec![p("F")]
            },
            at2,
            &mut scratch
        )
        .unwrap()
        .is_accepted());
    let late = ts("2021-01-06T11:00:00+08:00");
    assert_eq!(
        later.decide(&apply("F", None), late, &mut scratch).unwrap(),
        Verdict::Refused(Refusal::OutsideWindow)
    );
    // The log of all of it verifies by re-running every action.
    let (mut writer, first) = LogWriter::open(listing.rules(), ts("2020-12-29T00:00:00+08:00"));
    let mut entries = vec![first];
    for f in &facts {
        entries.push(writer.append(f));
    }
    let verified = verify(&entries).unwrap();
    assert_eq!(verified.rerun, Rerun::Complete);
    assert_eq!(verified.state.ineligible(), &[] as &[Party]);
}
