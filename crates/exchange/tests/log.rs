//! The event log: every scenario's facts, written as a hash-chained log,
//! read back from JSON lines and verified by re-running the listing; secrets
//! stay sealed until their reveal; tampering is found.

use std::path::{Path, PathBuf};
use yiwang_core::Timestamp;
use yiwang_exchange::engine::{Event, Outcome, Phase};
use yiwang_exchange::log::{
    entry_hash, from_jsonl, replay, to_jsonl, verify, verify_chain, verify_jsonl, BrokenLink,
    LogEntry, LogWriter, Rerun, VerifyError, GENESIS_HASH,
};
use yiwang_exchange::scenario::{Run, Scenario};

fn all_scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        root.join("scenarios"),
        root.join("../../../shared/scenarios"),
    ] {
        if let Ok(read) = std::fs::read_dir(&dir) {
            files.extend(
                read.map(|e| e.unwrap().path())
                    .filter(|p| p.extension().is_some_and(|x| x == "json")),
            );
        }
    }
    files.sort();
    assert!(!files.is_empty());
    files
}

fn run_file(path: &Path) -> (Scenario, Run) {
    let scenario = Scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    let run = scenario.run().unwrap();
    (scenario, run)
}

fn opened_at() -> Timestamp {
    Timestamp::parse_rfc3339("2020-12-28T09:00:00+08:00").unwrap()
}

fn log_of(scenario: &Scenario, run: &Run) -> Vec<LogEntry> {
    let (mut writer, first) = LogWriter::open(&scenario.rules, opened_at());
    let mut entries = vec![first];
    entries.extend(run.facts.iter().map(|f| writer.append(f)));
    entries
}

/// Re-hashes every entry from `from` on, as a forger who rewrites the
/// tail of a log would.
fn rechain(entries: &mut [LogEntry], from: usize) {
    for i in from..entries.len() {
        let prev = if i == 0 {
            GENESIS_HASH.to_owned()
        } else {
            entries[i - 1].hash.clone()
        };
        let e = &mut entries[i];
        e.prev_hash = prev;
        e.hash = entry_hash(&e.prev_hash, &e.listing, e.seq, e.at, &e.payload);
    }
}

#[test]
fn every_scenario_log_verifies_by_rerunning_it() {
    for path in all_scenarios() {
        let (scenario, run) = run_file(&path);
        let entries = log_of(&scenario, &run);
        let text = to_jsonl(&entries);
        assert_eq!(from_jsonl(&text).unwrap(), entries, "{}", path.display());
        let verified = verify_jsonl(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(verified.rerun, Rerun::Complete, "{}", path.display());
        assert_eq!(verified.entries, entries.len());
        assert_eq!(&verified.state, run.listing.state(), "{}", path.display());
        assert_eq!(verified.decision(), run.decision(), "{}", path.display());
        assert_eq!(verified.state.phase(), Phase::Decided);
        // The fold alone gives the same state.
        assert_eq!(
            &replay(&scenario.rules, &entries).unwrap(),
            run.listing.state()
        );
    }
}

#[test]
fn the_reserve_and_sealed_offers_stay_sealed_until_revealed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    // e06: reserve 19500 set by set_reserve; offers 19400 and 19450.01.
    let (scenario, run) = run_file(&root.join("e06-sealed-average-below-reserve.json"));
    let entries = log_of(&scenario, &run);
    let opened = entries
        .iter()
        .position(|e| matches!(e.payload, Event::SealedOffersOpened { .. }))
        .unwrap();
    let decided = entries
        .iter()
        .position(|e| matches!(e.payload, Event::Decided(_)))
        .unwrap();
    let before_offers = to_jsonl(&entries[..opened]);
    for secret in ["19400.00", "1940000", "19450.01", "1945001"] {
        assert!(
            !before_offers.contains(secret),
            "offer {secret} leaked before the window closed"
        );
    }
    let before_result = to_jsonl(&entries[..decided]);
    for secret in ["19500.00", "1950000"] {
        assert!(
            !before_result.contains(secret),
            "reserve {secret} leaked before the result"
        );
    }
    let Event::Decided(decision) = &entries[decided].payload else {
        unreachable!()
    };
    assert_eq!(
        decision.reserve.value.map(|m| m.to_yuan_string()),
        Some("19500.00".to_owned())
    );
    assert!(matches!(decision.result, Outcome::Failed { .. }));

    // e14: the initial reserve (18700) is only a commitment in the rules.
    let (scenario, run) = run_file(&root.join("e14-cap-below-reserve.json"));
    let entries = log_of(&scenario, &run);
    let header = serde_json::to_string(&entries[0]).unwrap();
    assert!(header.contains("\"reserve\":{\"commitment\":\""));
    assert!(!header.contains("18700"));
    // e03: the lottery seed is only a hash until the draw.
    let (scenario, run) = run_file(&root.join("e03-cap-in-timed-round-lottery.json"));
    let entries = log_of(&scenario, &run);
    let drawn = entries
        .iter()
        .position(|e| matches!(e.payload, Event::LotteryDrawn { .. }))
        .unwrap();
    assert!(!to_jsonl(&entries[..drawn]).contains("9f86d081884c7d65"));
    assert!(serde_json::to_string(&entries[drawn])
        .unwrap()
        .contains("9f86d081884c7d65"));
}

fn decided_index(entries: &[LogEntry]) -> usize {
    entries
        .iter()
        .position(|e| matches!(e.payload, Event::Decided(_)))
        .unwrap()
}

fn shared_or_local(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    root.join("scenarios").join(name)
}

#[test]
fn a_changed_entry_breaks_the_chain_where_it_was_changed() {
    let (scenario, run) = run_file(&shared_or_local("e01-microsecond-window-edges.json"));
    let entries = log_of(&scenario, &run);
    assert!(verify_chain(&entries).is_ok());

    let mut edited = entries.clone();
    let Event::BidAccepted { price, .. } = &mut edited[8].payload else {
        panic!("entry 9 should be a bid: {:?}", edited[8].payload)
    };
    *price = price.checked_add(yiwang_core::Money::from_fen(1)).unwrap();
    assert_eq!(verify_chain(&edited), Err(BrokenLink::Hash { seq: 9 }));

    let mut removed = entries.clone();
    removed.remove(5);
    assert!(matches!(
        verify_chain(&removed),
        Err(BrokenLink::Gap {
            seq: 7,
            expected: 6,
            ..
        })
    ));

    let mut swapped = entries.clone();
    swapped.swap(3, 4);
    assert!(verify_chain(&swapped).is_err());

    let mut relinked = entries.clone();
    relinked[4].prev_hash = GENESIS_HASH.to_owned();
    assert_eq!(
        verify_chain(&relinked),
        Err(BrokenLink::PrevHash { seq: 5 })
    );
}

#[test]
fn a_rewritten_and_rehashed_log_fails_the_rerun() {
    let (scenario, run) = run_file(&shared_or_local("e01-microsecond-window-edges.json"));
    let entries = log_of(&scenario, &run);

    // A refusal turned into an acceptance: the bid at the deadline is
    // logged as accepted, the decision moved after it and given to A.
    let mut forged = entries.clone();
    let decided = decided_index(&forged);
    let mut decision = forged.remove(decided);
    let late = decided; // the refused bid now sits where the decision was
    let Event::ActionRefused { action, .. } = &forged[late].payload else {
        panic!(
            "the late bid should follow the decision: {:?}",
            forged[late].payload
        )
    };
    let yiwang_exchange::engine::Action::Bid { party, price } = &**action else {
        panic!()
    };
    let (party, price) = (party.clone(), *price);
    let bidder = run.listing.state().bidder_of(party.as_str()).unwrap();
    forged[late].payload = Event::BidAccepted {
        bidder,
        price,
        deadline: Some(forged[late].at.add_secs(240)),
    };
    decision.at = forged[late].at.add_secs(240);
    if let Event::Decided(d) = &mut decision.payload {
        if let Outcome::Sold {
            winner,
            bidder: b,
            price: p,
            ..
        } = &mut d.result
        {
            *winner = party;
            *b = bidder;
            *p = price;
        }
    }
    forged.push(decision);
    for (i, e) in forged.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    rechain(&mut forged, 0);
    assert!(verify_chain(&forged).is_ok());
    let seq = late as u64 + 1;
    assert!(
        matches!(verify(&forged), Err(VerifyError::Diverges { seq: s, logged: "bid_accepted", .. }) if s == seq),
        "{:?}",
        verify(&forged)
    );

    // A different winner in the decision.
    let mut forged = entries.clone();
    let last = decided_index(&forged);
    let Event::Decided(decision) = &mut forged[last].payload else {
        panic!()
    };
    if let Outcome::Sold { winner, .. } = &mut decision.result {
        *winner = yiwang_exchange::engine::Party::parse("A").unwrap();
    }
    rechain(&mut forged, last);
    assert!(matches!(verify(&forged), Err(VerifyError::Diverges { .. })));

    // A refusal reason changed.
    let mut forged = entries.clone();
    let refused = forged
        .iter()
        .position(|e| matches!(e.payload, Event::ActionRefused { .. }))
        .unwrap();
    if let Event::ActionRefused { reason, .. } = &mut forged[refused].payload {
        *reason = yiwang_exchange::engine::Refusal::BelowMinimum;
    }
    rechain(&mut forged, refused);
    let seq = refused as u64 + 1;
    assert!(matches!(verify(&forged), Err(VerifyError::Diverges { seq: s, .. }) if s == seq));

    // A dropped deadline: the decision removed.
    let mut forged = entries.clone();
    let decided = decided_index(&forged);
    forged.remove(decided);
    for (i, e) in forged.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    rechain(&mut forged, decided);
    let result = verify(&forged);
    assert!(
        matches!(result, Err(VerifyError::Diverges { .. })),
        "{result:?}"
    );
}

#[test]
fn a_false_reveal_is_refused() {
    let (scenario, run) = run_file(&shared_or_local("e09-reserve-lock-exact.json"));
    let mut entries = log_of(&scenario, &run);
    let last = decided_index(&entries);
    let Event::Decided(decision) = &mut entries[last].payload else {
        panic!()
    };
    decision.reserve.value = Some(yiwang_core::Money::from_fen(100));
    rechain(&mut entries, last);
    assert!(matches!(verify(&entries), Err(VerifyError::Replay(_))));
}

#[test]
fn an_open_listing_verifies_as_far_as_it_is_revealed() {
    // e05 cut inside its sealed window: offers are not revealed yet.
    let (scenario, run) = run_file(&shared_or_local("e05-sealed-average-tie-goes-lower.json"));
    let entries = log_of(&scenario, &run);
    let window = entries
        .iter()
        .position(|e| matches!(e.payload, Event::SealedWindowOpened { .. }))
        .unwrap();
    let cut = &entries[..window + 3];
    let verified = verify(cut).unwrap();
    assert!(matches!(
        verified.rerun,
        Rerun::StoppedAtSealed {
            what: "sealed offer",
            ..
        }
    ));
    assert!(verified.decision().is_none());

    // Cut before the window: everything re-runs.
    let verified = verify(&entries[..window]).unwrap();
    assert_eq!(verified.rerun, Rerun::Complete);
}

#[test]
fn a_log_must_start_with_its_rules() {
    let (scenario, run) = run_file(&shared_or_local("e01-microsecond-window-edges.json"));
    let mut entries = log_of(&scenario, &run);
    entries.remove(0);
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    rechain(&mut entries, 0);
    assert_eq!(verify(&entries).unwrap_err(), VerifyError::NoRules);
    assert_eq!(verify(&[]).unwrap_err(), VerifyError::Empty);
    assert!(from_jsonl("{\"listing\":1}\n").is_err());
}

#[test]
fn a_line_that_is_not_an_entry_is_named_by_line_and_field() {
    use yiwang_exchange::log::DecodeProblem;
    let (scenario, run) = run_file(&shared_or_local("e01-microsecond-window-edges.json"));
    let text = to_jsonl(&log_of(&scenario, &run));
    let lines: Vec<&str> = text.lines().collect();
    // The log with its line 3 rewritten by `edit`.
    let with_third = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut third: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        edit(&mut third);
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        out[2] = third.to_string();
        out.join("\n")
    };
    let cases: Vec<(String, usize, Option<&str>, DecodeProblem)> = vec![
        ("{".to_owned(), 1, None, DecodeProblem::NotJson),
        ("\n\n[1]".to_owned(), 3, None, DecodeProblem::NotObject),
        (
            with_third(&|e| {
                e.as_object_mut().unwrap().remove("hash");
            }),
            3,
            Some("hash"),
            DecodeProblem::Missing,
        ),
        (
            with_third(&|e| e["extra"] = 1.into()),
            3,
            Some("extra"),
            DecodeProblem::Unknown,
        ),
        (
            with_third(&|e| e["seq"] = (-1).into()),
            3,
            Some("seq"),
            DecodeProblem::NotSeq,
        ),
        (
            with_third(&|e| e["at"] = "2021-01-01".into()),
            3,
            Some("at"),
            DecodeProblem::NotMicros,
        ),
        (
            with_third(&|e| e["hash"] = 7.into()),
            3,
            Some("hash"),
            DecodeProblem::NotString,
        ),
        (
            with_third(&|e| e["payload"]["type"] = "no_such_event".into()),
            3,
            Some("payload.type"),
            DecodeProblem::UnknownEvent,
        ),
        (
            with_third(&|e| {
                e["payload"].as_object_mut().unwrap().remove("type");
            }),
            3,
            Some("payload.type"),
            DecodeProblem::Missing,
        ),
        (
            with_third(&|e| e["payload"] = "applied".into()),
            3,
            Some("payload"),
            DecodeProblem::NotObject,
        ),
    ];
    for (input, line, field, problem) in cases {
        let error = from_jsonl(&input).unwrap_err();
        assert_eq!(
            (error.line, error.field.as_deref(), error.problem),
            (line, field, problem),
            "{error}"
        );
    }
    // A field of the payload itself, present at its top level or missing.
    let third: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
    let key = third["payload"]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| *k != "type")
        .unwrap()
        .clone();
    let missing = with_third(&|e| {
        e["payload"].as_object_mut().unwrap().remove(&key);
    });
    let error = from_jsonl(&missing).unwrap_err();
    assert_eq!(error.field, Some(format!("payload.{key}")), "{error}");
    assert_eq!(error.problem, DecodeProblem::Missing);
    // The log untouched reads whole.
    assert!(from_jsonl(&text).is_ok());
}

/// The hash is SHA-256 of the compact JSON tuple the module documents,
/// whatever the listing code holds (quotes, backslashes, Chinese), and the
/// payload text a writer hands out is exactly the payload's part of it.
#[test]
fn the_hash_is_that_of_the_documented_json_tuple() {
    use sha2::{Digest, Sha256};
    let scenario = Scenario::parse(
        &std::fs::read_to_string(
            all_scenarios()
                .iter()
                .find(|p| p.ends_with("06-timed-round-declared.json"))
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    let run = scenario.run().unwrap();
    let mut rules = scenario.rules.clone();
    rules.code = "通州\"R2020-57\"\\号".to_owned();
    let (mut writer, first) = LogWriter::open(&rules, opened_at());
    let mut checked = 0;
    let mut entries = vec![(
        first.clone(),
        serde_json::to_string(&first.payload).unwrap(),
    )];
    entries.extend(run.facts.iter().map(|f| writer.append_with_text(f)));
    for (entry, text) in &entries {
        let tuple = serde_json::to_string(&(
            &entry.prev_hash,
            &entry.listing,
            entry.seq,
            entry.at.micros(),
            &entry.payload,
        ))
        .unwrap();
        let expected = hex::encode(Sha256::digest(tuple.as_bytes()));
        assert_eq!(entry.hash, expected, "entry {}", entry.seq);
        assert_eq!(*text, serde_json::to_string(&entry.payload).unwrap());
        assert_eq!(
            entry.hash,
            entry_hash(
                &entry.prev_hash,
                &entry.listing,
                entry.seq,
                entry.at,
                &entry.payload
            )
        );
        checked += 1;
    }
    assert!(checked > 3, "the scenario has several entries");
}
