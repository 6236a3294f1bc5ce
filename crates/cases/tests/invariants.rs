//! Properties of the case workflow over random runs: replaying the facts
//! gives the same state; the stage only moves along the diagram's edges;
//! refusals change nothing but the escalations that fell due; facts never
//! go back in time; nothing is accepted once a case is finished.
//!
//! Runs mix a guided walk (the action the stage expects, by the right
//! actor, with random choices: reject or confirm, return or accept, fail or
//! pass, extensions, the register) with arbitrary actions by arbitrary
//! actors, and random gaps that cross limits, nights and weekends.

mod common;

use common::*;
use proptest::prelude::*;
use yiwang_cases::{Action, Actor, CaseState, Event, Fact, Stage, Verdict};
use yiwang_core::Timestamp;

/// One generated step: whether guided, choices, and the minutes since the
/// step before.
#[derive(Clone, Debug)]
struct Step {
    guided: bool,
    kind: u8,
    who: u8,
    pick: u8,
    blank: bool,
    gap_minutes: u32,
}

fn step() -> impl Strategy<Value = Step> {
    (
        any::<bool>(),
        0u8..17,
        0u8..8,
        any::<u8>(),
        prop::bool::weighted(0.1),
        0u32..4000,
    )
        .prop_map(|(guided, kind, who, pick, blank, gap_minutes)| Step {
            guided,
            kind,
            who,
            pick,
            blank,
            gap_minutes,
        })
}

fn actor(who: u8) -> Actor {
    match who % 8 {
        0 => worker(),
        1 => leader(),
        2 => resident(),
        3 => centre(),
        4 => emergency(),
        5 => urban(),
        6 => supervisor(),
        _ => Actor::new("stranger", "visitor"),
    }
}

fn reason(blank: bool) -> String {
    if blank {
        " ".into()
    } else {
        "理由".into()
    }
}

/// An action of kind `kind` with the given choices.
fn action(kind: u8, by: Actor, s: &Step, state: &CaseState, now: Timestamp) -> Action {
    let r = reason(s.blank);
    match kind % 17 {
        0 => {
            let mut report = hazard();
            report.category = ["safety_hazard", "instability", "public_facility", "noise"]
                [usize::from(s.pick % 4)]
            .into();
            if s.blank {
                report.photos.clear();
            }
            Action::Report { by, report }
        }
        1 => Action::Confirm { by },
        2 => Action::Reject { by, reason: r },
        3 => Action::File {
            by,
            category: [
                None,
                Some("environment".to_owned()),
                Some("noise".to_owned()),
            ][usize::from(s.pick % 3)]
            .clone(),
        },
        4 => Action::Dispatch {
            by,
            department: [
                None,
                None,
                Some("urban_management".to_owned()),
                Some("fire".to_owned()),
            ][usize::from(s.pick % 4)]
            .clone(),
        },
        5 => Action::Accept { by },
        6 => Action::Return { by, reason: r },
        7 => Action::Feedback {
            by,
            summary: r,
            photos: vec![],
        },
        8 => Action::RecheckPass {
            by,
            note: String::new(),
        },
        9 => Action::RecheckFail { by, reason: r },
        10 => Action::Close { by },
        11 => Action::Evaluate {
            by,
            rating: s.pick % 7,
            comment: None,
        },
        12 => {
            let base = state.overall_due.map_or(now, |d| d.due.max(now));
            // Independent of the choice of kind in `guided`, which uses pick % 10.
            let days = i64::from((s.pick / 10) % 10) - 2;
            Action::RequestExtension {
                by,
                reason: r,
                new_due: Timestamp::from_micros(base.micros() + days * 86_400_000_000),
            }
        }
        13 => Action::ApproveExtension { by },
        14 => Action::DenyExtension { by, reason: r },
        15 => Action::Register { by, reason: r },
        _ => Action::Unregister { by, reason: r },
    }
}

/// The action the case's stage expects, by the actor who may take it.
fn guided(s: &Step, state: &CaseState, now: Timestamp) -> Action {
    let handler = match state.department.as_deref() {
        Some("urban_management") => urban(),
        Some(unit) => Actor::of_unit("handler", "department", unit),
        None => emergency(),
    };
    if state.registration.is_some() {
        return action(16, supervisor(), s, state, now);
    }
    let side = s.pick % 10;
    if state.stage.is_open_filed() && side == 0 {
        return action(15, supervisor(), s, state, now);
    }
    let (kind, by) = match state.stage {
        Stage::New => (
            0,
            if s.pick.is_multiple_of(2) {
                worker()
            } else {
                resident()
            },
        ),
        Stage::Reported => (if side < 2 { 2 } else { 1 }, leader()),
        Stage::Confirmed => (3, centre()),
        Stage::Filed => (4, centre()),
        Stage::Dispatched => (if side < 2 { 6 } else { 5 }, handler),
        Stage::Handling if state.pending_extension.is_some() => {
            (if side < 5 { 13 } else { 14 }, supervisor())
        }
        Stage::Handling => (if side < 2 { 12 } else { 7 }, handler),
        Stage::Recheck => (if side < 3 { 9 } else { 8 }, leader()),
        Stage::Verified => (10, centre()),
        Stage::Closed | Stage::Rejected | Stage::Evaluated => {
            (11, state.reporter.clone().unwrap_or_else(worker))
        }
    };
    action(kind, by, s, state, now)
}

fn stage_after(state: &CaseState, fact: &Fact) -> Stage {
    let mut next = state.clone();
    next.apply(fact).unwrap();
    next.stage
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn runs_keep_the_invariants(steps in prop::collection::vec(step(), 1..60)) {
        let mut d = Driver::new();
        let mut now = t("2026-03-13 08:00");
        let mut finished_at: Option<usize> = None;
        for (i, s) in steps.iter().enumerate() {
            now = Timestamp::from_micros(now.micros() + i64::from(s.gap_minutes) * 60_000_000);
            let act = if s.guided {
                guided(s, &d.state, now)
            } else {
                action(s.kind, actor(s.who), s, &d.state, now)
            };
            let before = d.state.clone();
            let decision = d.wf.decide(&mut d.state, &act, now).unwrap();
            // Stage moves only along edges, one fact at a time.
            let mut walk = before.clone();
            for fact in &decision.facts {
                let next = stage_after(&walk, fact);
                prop_assert!(
                    next == walk.stage || walk.stage.next().contains(&next),
                    "{:?} -> {:?} by {}", walk.stage, next, fact.event.name()
                );
                prop_assert!(walk.last_at.is_none_or(|l| l <= fact.at));
                prop_assert!(fact.at <= now);
                walk.apply(fact).unwrap();
            }
            prop_assert_eq!(&walk, &d.state);
            match decision.verdict {
                Verdict::Accepted => {
                    prop_assert!(!before.stage.is_final());
                    let last = decision.facts.last().unwrap();
                    prop_assert_eq!(last.at, now);
                    prop_assert!(
                        !matches!(last.event, Event::Escalated { .. }),
                        "the action's own fact comes last"
                    );
                }
                Verdict::Refused(_) => {
                    // Only escalations that fell due.
                    prop_assert!(
                        decision.facts.iter().all(|f| matches!(f.event, Event::Escalated { .. })),
                        "a refusal brought about more than escalations"
                    );
                }
            }
            if finished_at.is_some() {
                prop_assert!(!decision.verdict.is_accepted(), "accepted after the case finished");
                prop_assert!(decision.facts.is_empty());
            }
            d.facts.extend(decision.facts);
            if d.state.stage.is_final() && finished_at.is_none() {
                finished_at = Some(i);
            }
        }
        // Replaying the facts, also through JSON, gives the same state.
        d.assert_replays();
        // Letting time run changes a finished case not at all.
        if d.state.stage.is_final() {
            let mut out = Vec::new();
            d.wf.advance(&mut d.state, t("2030-01-01 09:00"), &mut out).unwrap();
            prop_assert!(out.is_empty());
        }
    }

    #[test]
    fn guided_runs_reach_the_end(picks in prop::collection::vec((any::<u8>(), 0u32..600), 40)) {
        let mut d = Driver::new();
        let mut now = t("2026-03-16 09:00");
        for (pick, gap) in picks {
            now = Timestamp::from_micros(now.micros() + i64::from(gap) * 60_000_000);
            let s = Step { guided: true, kind: 0, who: 0, pick, blank: false, gap_minutes: gap };
            let act = guided(&s, &d.state, now);
            let decision = d.wf.decide(&mut d.state, &act, now).unwrap();
            d.facts.extend(decision.facts);
            if d.state.stage.is_final() {
                break;
            }
        }
        d.assert_replays();
        prop_assert!(d.state.stage != Stage::New);
    }
}
