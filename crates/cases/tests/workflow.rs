//! The case workflow step by step on the grid configuration: the happy
//! path, every refusal, rework, returns, extensions, escalation across a
//! weekend, the problem register and the KPIs.

mod common;

use common::*;
use yiwang_cases::{
    case_kpi, possible_duplicates, Action, Actor, Candidate, CaseError, DuplicateRule, Event, Kpis,
    Overdue, Point, Probe, Refusal, Route, Stage,
};

#[test]
fn happy_path_from_report_to_rating() {
    let mut d = Driver::new();
    let r = d.ok(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        "2026-03-16 09:00",
    );
    assert_eq!(d.state.stage, Stage::Reported);
    // The check has two working hours.
    assert!(
        matches!(r.facts[0].event, Event::Reported { step_due: Some(due), .. } if due == t("2026-03-16 11:00"))
    );
    d.ok(Action::Confirm { by: leader() }, "2026-03-16 09:30");
    assert_eq!(d.state.stage, Stage::Confirmed);
    d.ok(
        Action::File {
            by: centre(),
            category: None,
        },
        "2026-03-16 10:00",
    );
    assert_eq!(d.state.stage, Stage::Filed);
    // Three working days from filing.
    assert_eq!(d.state.overall_due.unwrap().due, t("2026-03-19 10:00"));
    let r = d.ok(
        Action::Dispatch {
            by: centre(),
            department: None,
        },
        "2026-03-16 10:10",
    );
    match &r.facts[0].event {
        Event::Dispatched {
            department, route, ..
        } => {
            assert_eq!(department, "emergency");
            assert_eq!(*route, Route::Rule { row: 2 });
        }
        other => panic!("{other:?}"),
    }
    d.ok(Action::Accept { by: emergency() }, "2026-03-16 10:30");
    assert_eq!(d.state.stage, Stage::Handling);
    // Two working days to handle.
    assert_eq!(d.state.step_due.unwrap().due, t("2026-03-18 10:30"));
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已清理倒伏树木，修复宣传栏".into(),
            photos: vec!["photo-2".into()],
        },
        "2026-03-17 10:00",
    );
    assert_eq!(d.state.stage, Stage::Recheck);
    d.ok(
        Action::RecheckPass {
            by: leader(),
            note: "现场已恢复".into(),
        },
        "2026-03-17 14:00",
    );
    assert_eq!(d.state.stage, Stage::Verified);
    d.ok(Action::Close { by: centre() }, "2026-03-17 15:00");
    assert_eq!(d.state.stage, Stage::Closed);
    d.ok(
        Action::Evaluate {
            by: worker(),
            rating: 5,
            comment: Some("处理及时".into()),
        },
        "2026-03-18 09:00",
    );
    assert_eq!(d.state.stage, Stage::Evaluated);
    assert_eq!(d.state.rating, Some(5));
    assert_eq!(d.facts.len(), 9);
    assert_eq!(d.state.escalations, 0);
    d.assert_replays();

    let k = case_kpi(&d.wf, &d.state, t("2026-03-20 09:00"));
    assert!(k.filed && k.closed && k.due && k.on_time && !k.deferred);
    assert_eq!(k.time_to_close, Some(30 * 3_600_000_000));
    // Monday 09:00–17:00 less lunch is 7 h, Tuesday 09:00–15:00 is 5 h.
    assert_eq!(k.working_time_to_close, Some(12 * 3_600_000_000));
}

#[test]
fn nothing_is_accepted_after_the_rating() {
    let mut d = Driver::to_handling();
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-03-16 11:00",
    );
    d.ok(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-03-16 13:00",
    );
    d.ok(Action::Close { by: centre() }, "2026-03-16 14:00");
    d.refused(
        Action::Evaluate {
            by: resident(),
            rating: 5,
            comment: None,
        },
        "2026-03-16 15:00",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Evaluate {
            by: worker(),
            rating: 0,
            comment: None,
        },
        "2026-03-16 15:00",
        Refusal::InvalidRating,
    );
    d.refused(
        Action::Evaluate {
            by: worker(),
            rating: 6,
            comment: None,
        },
        "2026-03-16 15:00",
        Refusal::InvalidRating,
    );
    d.ok(
        Action::Evaluate {
            by: worker(),
            rating: 3,
            comment: Some("  ".into()),
        },
        "2026-03-16 15:00",
    );
    assert_eq!(d.state.comment, None);
    for action in [
        Action::Evaluate {
            by: worker(),
            rating: 5,
            comment: None,
        },
        Action::Close { by: centre() },
        Action::Register {
            by: supervisor(),
            reason: "无法解决".into(),
        },
        Action::Report {
            by: worker(),
            report: hazard(),
        },
    ] {
        d.refused(action, "2026-03-17 09:00", Refusal::Closed);
    }
    assert!(d.advance("2027-01-01 09:00").is_empty());
}

#[test]
fn reports_are_checked() {
    let mut d = Driver::new();
    let with = |f: &dyn Fn(&mut yiwang_cases::Report)| {
        let mut r = hazard();
        f(&mut r);
        r
    };
    let at = "2026-03-16 09:00";
    d.refused(
        Action::Report {
            by: centre(),
            report: hazard(),
        },
        at,
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Report {
            by: Actor::new("x", "stranger"),
            report: hazard(),
        },
        at,
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Report {
            by: worker(),
            report: with(&|r| r.category = "noise".into()),
        },
        at,
        Refusal::UnknownCategory,
    );
    d.refused(
        Action::Report {
            by: worker(),
            report: with(&|r| r.description = " ".into()),
        },
        at,
        Refusal::DescriptionRequired,
    );
    d.refused(
        Action::Report {
            by: worker(),
            report: with(&|r| r.point = None),
        },
        at,
        Refusal::LocationRequired,
    );
    d.refused(
        Action::Report {
            by: worker(),
            report: with(&|r| r.photos = vec![]),
        },
        at,
        Refusal::PhotoRequired,
    );
    d.refused(
        Action::Report {
            by: worker(),
            report: with(&|r| {
                r.point = Some(Point {
                    lng: 200.0,
                    lat: 32.0,
                })
            }),
        },
        at,
        Refusal::InvalidPoint,
    );
    // A resident gives an address or a point; photos are optional.
    d.refused(
        Action::Report {
            by: resident(),
            report: with(&|r| {
                r.point = None;
                r.address = String::new();
            }),
        },
        at,
        Refusal::LocationRequired,
    );
    // 不稳定因素 needs no photo even from staff.
    let mut other = Driver::new();
    other.ok(
        Action::Report {
            by: worker(),
            report: with(&|r| {
                r.category = "instability".into();
                r.photos = vec![];
            }),
        },
        at,
    );
    d.ok(
        Action::Report {
            by: resident(),
            report: with(&|r| {
                r.point = None;
                r.photos = vec![];
            }),
        },
        at,
    );
    assert_eq!(d.state.reporter, Some(resident()));
    d.refused(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        at,
        Refusal::WrongStep,
    );
}

#[test]
fn the_check_accepts_or_rejects_with_a_reason() {
    let mut d = Driver::new();
    d.refused(
        Action::Confirm { by: leader() },
        "2026-03-16 08:00",
        Refusal::WrongStep,
    );
    d.ok(
        Action::Report {
            by: resident(),
            report: hazard(),
        },
        "2026-03-16 09:00",
    );
    d.refused(
        Action::Confirm { by: worker() },
        "2026-03-16 09:10",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Confirm { by: resident() },
        "2026-03-16 09:10",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::File {
            by: centre(),
            category: None,
        },
        "2026-03-16 09:10",
        Refusal::WrongStep,
    );
    d.refused(
        Action::Reject {
            by: leader(),
            reason: "  ".into(),
        },
        "2026-03-16 09:20",
        Refusal::ReasonRequired,
    );
    d.ok(
        Action::Reject {
            by: leader(),
            reason: "现场核实无此情况".into(),
        },
        "2026-03-16 09:30",
    );
    assert_eq!(d.state.stage, Stage::Rejected);
    assert_eq!(d.state.rejected.as_deref(), Some("现场核实无此情况"));
    d.refused(
        Action::Confirm { by: leader() },
        "2026-03-16 09:40",
        Refusal::Closed,
    );
    d.refused(
        Action::Evaluate {
            by: resident(),
            rating: 1,
            comment: None,
        },
        "2026-03-16 09:40",
        Refusal::Closed,
    );
    d.assert_replays();
    let k = case_kpi(&d.wf, &d.state, t("2026-03-20 09:00"));
    assert!(k.reported && k.rejected && !k.valid && !k.filed && !k.due);
}

#[test]
fn filing_may_reclassify_and_dispatch_follows_the_rules_or_the_dispatcher() {
    let mut d = Driver::new();
    d.ok(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        "2026-03-16 09:00",
    );
    d.ok(Action::Confirm { by: leader() }, "2026-03-16 09:10");
    d.refused(
        Action::File {
            by: leader(),
            category: None,
        },
        "2026-03-16 09:20",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::File {
            by: centre(),
            category: Some("noise".into()),
        },
        "2026-03-16 09:20",
        Refusal::UnknownCategory,
    );
    d.ok(
        Action::File {
            by: centre(),
            category: Some("public_facility".into()),
        },
        "2026-03-16 09:20",
    );
    assert_eq!(d.state.category.as_deref(), Some("public_facility"));
    // Seven working days for a public facility.
    assert_eq!(d.state.overall_due.unwrap().due, t("2026-03-25 09:20"));
    d.refused(
        Action::Dispatch {
            by: leader(),
            department: None,
        },
        "2026-03-16 09:30",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Dispatch {
            by: centre(),
            department: Some("fire".into()),
        },
        "2026-03-16 09:30",
        Refusal::UnknownDepartment,
    );
    let r = d.ok(
        Action::Dispatch {
            by: centre(),
            department: None,
        },
        "2026-03-16 09:30",
    );
    assert!(
        matches!(&r.facts[0].event, Event::Dispatched { department, route: Route::Rule { row: 4 }, .. } if department == "urban_management")
    );
    // Returned, then dispatched by hand.
    d.ok(
        Action::Return {
            by: urban(),
            reason: "属供电公司管辖".into(),
        },
        "2026-03-16 10:00",
    );
    let r = d.ok(
        Action::Dispatch {
            by: centre(),
            department: Some("command_centre".into()),
        },
        "2026-03-16 10:10",
    );
    assert!(matches!(
        &r.facts[0].event,
        Event::Dispatched {
            route: Route::Manual,
            ..
        }
    ));
    assert_eq!(d.state.department.as_deref(), Some("command_centre"));
    d.assert_replays();
}

#[test]
fn only_the_department_the_case_is_with_handles_it() {
    let mut d = Driver::new();
    d.ok(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        "2026-03-16 09:00",
    );
    d.ok(Action::Confirm { by: leader() }, "2026-03-16 09:30");
    d.ok(
        Action::File {
            by: centre(),
            category: None,
        },
        "2026-03-16 10:00",
    );
    d.refused(
        Action::Accept { by: emergency() },
        "2026-03-16 10:05",
        Refusal::WrongStep,
    );
    d.ok(
        Action::Dispatch {
            by: centre(),
            department: None,
        },
        "2026-03-16 10:10",
    );
    d.refused(
        Action::Accept { by: urban() },
        "2026-03-16 10:20",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Accept {
            by: Actor::new("h", "department"),
        },
        "2026-03-16 10:20",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Accept {
            by: Actor::of_unit("c", "command_centre", "emergency"),
        },
        "2026-03-16 10:20",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Feedback {
            by: emergency(),
            summary: "x".into(),
            photos: vec![],
        },
        "2026-03-16 10:20",
        Refusal::WrongStep,
    );
    d.ok(Action::Accept { by: emergency() }, "2026-03-16 10:30");
    d.refused(
        Action::Feedback {
            by: emergency(),
            summary: "".into(),
            photos: vec![],
        },
        "2026-03-16 11:00",
        Refusal::DescriptionRequired,
    );
    d.refused(
        Action::Close { by: centre() },
        "2026-03-16 11:00",
        Refusal::WrongStep,
    );
    d.refused(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-03-16 11:00",
        Refusal::WrongStep,
    );
}

#[test]
fn a_department_returns_a_case_with_a_reason() {
    let mut d = Driver::to_handling();
    d.refused(
        Action::Return {
            by: emergency(),
            reason: "".into(),
        },
        "2026-03-16 11:00",
        Refusal::ReasonRequired,
    );
    d.refused(
        Action::Return {
            by: urban(),
            reason: "非本部门".into(),
        },
        "2026-03-16 11:00",
        Refusal::NotAllowed,
    );
    d.ok(
        Action::Return {
            by: emergency(),
            reason: "属城管职责".into(),
        },
        "2026-03-16 11:00",
    );
    assert_eq!(d.state.stage, Stage::Filed);
    assert_eq!(d.state.returns, 1);
    // The dispatcher has two working hours again.
    assert_eq!(d.state.step_due.unwrap().due, t("2026-03-16 14:00"));
    d.ok(
        Action::Dispatch {
            by: centre(),
            department: Some("urban_management".into()),
        },
        "2026-03-16 11:10",
    );
    d.refused(
        Action::Accept { by: emergency() },
        "2026-03-16 11:20",
        Refusal::NotAllowed,
    );
    d.ok(
        Action::Return {
            by: urban(),
            reason: "需先行认定".into(),
        },
        "2026-03-16 11:20",
    );
    assert_eq!(d.state.returns, 2);
    d.assert_replays();
}

#[test]
fn a_failed_recheck_is_rework_and_is_counted() {
    let mut d = Driver::to_handling();
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-03-16 11:00",
    );
    d.refused(
        Action::RecheckFail {
            by: worker(),
            reason: "未处理完".into(),
        },
        "2026-03-16 13:00",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::RecheckFail {
            by: leader(),
            reason: "".into(),
        },
        "2026-03-16 13:00",
        Refusal::ReasonRequired,
    );
    d.ok(
        Action::RecheckFail {
            by: leader(),
            reason: "宣传栏仍未修复".into(),
        },
        "2026-03-16 13:00",
    );
    assert_eq!(d.state.stage, Stage::Handling);
    assert_eq!(d.state.reworks, 1);
    // A fresh handling limit of two working days.
    assert_eq!(d.state.step_due.unwrap().due, t("2026-03-18 13:00"));
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "宣传栏已修复".into(),
            photos: vec![],
        },
        "2026-03-17 09:00",
    );
    d.ok(
        Action::RecheckFail {
            by: leader(),
            reason: "钢管仍裸露".into(),
        },
        "2026-03-17 10:00",
    );
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "钢管已拆除".into(),
            photos: vec![],
        },
        "2026-03-17 11:00",
    );
    d.ok(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-03-17 13:00",
    );
    d.ok(Action::Close { by: centre() }, "2026-03-17 14:00");
    assert_eq!(d.state.reworks, 2);
    d.assert_replays();
    let kpis = Kpis::over(&d.wf, [&d.state], t("2026-03-18 09:00"));
    assert_eq!(kpis.reworks, 2);
    assert_eq!(kpis.rework_rate().permille(), Some(1000));
    assert_eq!(kpis.on_time_rate().permille(), Some(1000));
}

#[test]
fn extensions_need_a_reason_a_later_limit_and_a_supervisor() {
    let mut d = Driver::to_handling();
    let new_due = t("2026-03-24 17:00");
    d.refused(
        Action::ApproveExtension { by: supervisor() },
        "2026-03-17 09:00",
        Refusal::NoExtensionPending,
    );
    d.refused(
        Action::RequestExtension {
            by: emergency(),
            reason: "".into(),
            new_due,
        },
        "2026-03-17 09:00",
        Refusal::ReasonRequired,
    );
    // Not later than the overall limit (2026-03-19 10:00).
    d.refused(
        Action::RequestExtension {
            by: emergency(),
            reason: "需协调物业".into(),
            new_due: t("2026-03-19 10:00"),
        },
        "2026-03-17 09:00",
        Refusal::InvalidLimit,
    );
    d.refused(
        Action::RequestExtension {
            by: urban(),
            reason: "需协调物业".into(),
            new_due,
        },
        "2026-03-17 09:00",
        Refusal::NotAllowed,
    );
    d.ok(
        Action::RequestExtension {
            by: emergency(),
            reason: "需协调物业".into(),
            new_due,
        },
        "2026-03-17 09:00",
    );
    d.refused(
        Action::RequestExtension {
            by: emergency(),
            reason: "再次申请".into(),
            new_due,
        },
        "2026-03-17 09:10",
        Refusal::ExtensionPending,
    );
    d.refused(
        Action::ApproveExtension { by: emergency() },
        "2026-03-17 09:30",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::ApproveExtension { by: centre() },
        "2026-03-17 09:30",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::DenyExtension {
            by: supervisor(),
            reason: "".into(),
        },
        "2026-03-17 09:30",
        Refusal::ReasonRequired,
    );
    d.ok(
        Action::ApproveExtension { by: supervisor() },
        "2026-03-17 10:00",
    );
    assert_eq!(d.state.extensions, 1);
    assert_eq!(d.state.overall_due.unwrap().due, new_due);
    assert_eq!(d.state.step_due.unwrap().due, new_due);
    assert!(d.state.pending_extension.is_none());
    // A second request is denied.
    d.ok(
        Action::RequestExtension {
            by: emergency(),
            reason: "材料未到".into(),
            new_due: t("2026-03-31 17:00"),
        },
        "2026-03-18 09:00",
    );
    d.ok(
        Action::DenyExtension {
            by: supervisor(),
            reason: "理由不充分".into(),
        },
        "2026-03-18 10:00",
    );
    d.refused(
        Action::DenyExtension {
            by: supervisor(),
            reason: "重复".into(),
        },
        "2026-03-18 10:10",
        Refusal::NoExtensionPending,
    );
    assert_eq!(d.state.extensions, 1);
    // No escalation at the old limits (19 March) once extended.
    assert!(d.advance("2026-03-23 09:00").is_empty());
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-03-23 10:00",
    );
    d.ok(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-03-23 11:00",
    );
    d.ok(Action::Close { by: centre() }, "2026-03-23 13:00");
    d.assert_replays();
    let kpis = Kpis::over(&d.wf, [&d.state], t("2026-03-24 09:00"));
    assert_eq!(kpis.on_time, 1, "closed within the extended limit");
    assert_eq!(kpis.extension_rate().permille(), Some(1000));
}

#[test]
fn a_pending_extension_lapses_when_handling_ends() {
    let mut d = Driver::to_handling();
    d.ok(
        Action::RequestExtension {
            by: emergency(),
            reason: "需协调".into(),
            new_due: t("2026-03-24 17:00"),
        },
        "2026-03-16 11:00",
    );
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-03-16 14:00",
    );
    assert!(d.state.pending_extension.is_none());
    d.refused(
        Action::ApproveExtension { by: supervisor() },
        "2026-03-16 15:00",
        Refusal::NoExtensionPending,
    );
    d.assert_replays();
}

#[test]
fn an_overdue_check_escalates_across_the_weekend_in_working_hours() {
    let mut d = Driver::new();
    // Friday 16:00: one working hour on Friday, one on Monday.
    d.ok(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        "2026-03-13 16:00",
    );
    let monday_ten = t("2026-03-16 10:00");
    assert_eq!(d.state.step_due.unwrap().due, monday_ten);
    assert_eq!(
        d.wf.next_due(&d.state),
        Some((
            monday_ten,
            Overdue::Step {
                stage: Stage::Reported
            }
        ))
    );
    assert!(d.advance("2026-03-14 12:00").is_empty());
    assert!(d.advance("2026-03-16 09:59").is_empty());
    assert!(!d.state.is_overdue(t("2026-03-16 09:59")));
    let out = d.advance("2026-03-16 10:00");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].at, monday_ten);
    assert_eq!(
        out[0].event,
        Event::Escalated {
            to: "command_centre".into(),
            overdue: Overdue::Step {
                stage: Stage::Reported
            },
            due: monday_ten,
        }
    );
    assert!(d.state.is_overdue(t("2026-03-16 10:00")));
    assert!(d.advance("2026-03-16 12:00").is_empty(), "escalated once");
    assert_eq!(d.wf.next_due(&d.state), None);
    d.assert_replays();
}

#[test]
fn an_action_after_a_missed_limit_first_records_the_escalation_at_the_limit() {
    let mut d = Driver::new();
    d.ok(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        "2026-03-13 16:00",
    );
    // No timer ran; the check comes late on Monday.
    let r = d.ok(Action::Confirm { by: leader() }, "2026-03-16 11:00");
    assert_eq!(r.facts.len(), 2);
    assert_eq!(r.facts[0].at, t("2026-03-16 10:00"));
    assert!(matches!(r.facts[0].event, Event::Escalated { .. }));
    assert_eq!(r.facts[1].at, t("2026-03-16 11:00"));
    // A refused action also records what fell due.
    d.ok(
        Action::File {
            by: centre(),
            category: None,
        },
        "2026-03-16 11:00",
    );
    d.ok(
        Action::Dispatch {
            by: centre(),
            department: None,
        },
        "2026-03-16 11:00",
    );
    let before = d.facts.len();
    d.refused(
        Action::Accept { by: urban() },
        "2026-03-16 16:00",
        Refusal::NotAllowed,
    );
    // Four working hours from 11:00: one before lunch, three after.
    assert_eq!(
        d.facts.len(),
        before + 1,
        "the accept limit ran out at 16:00"
    );
    assert_eq!(d.facts[before].at, t("2026-03-16 16:00"));
    d.assert_replays();
}

#[test]
fn an_overall_limit_escalates_and_the_case_is_not_on_time() {
    let mut d = Driver::to_handling();
    // Filed Monday 10:00, three working days: Thursday 10:00. The handling
    // limit (Wednesday 10:30) runs out first.
    let out = d.advance("2026-03-19 12:00");
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].at, t("2026-03-18 10:30"));
    assert!(matches!(
        out[0].event,
        Event::Escalated {
            overdue: Overdue::Step {
                stage: Stage::Handling
            },
            ..
        }
    ));
    assert_eq!(out[1].at, t("2026-03-19 10:00"));
    assert!(matches!(
        out[1].event,
        Event::Escalated {
            overdue: Overdue::Overall,
            ..
        }
    ));
    assert_eq!(d.state.escalations, 2);
    let now = t("2026-03-19 12:00");
    let k = case_kpi(&d.wf, &d.state, now);
    assert!(k.due && !k.closed && !k.on_time && k.overdue_now);
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-03-19 13:00",
    );
    d.ok(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-03-19 14:00",
    );
    d.ok(Action::Close { by: centre() }, "2026-03-19 15:00");
    let kpis = Kpis::over(&d.wf, [&d.state], t("2026-03-20 09:00"));
    assert_eq!((kpis.due, kpis.on_time), (1, 0));
    assert_eq!(kpis.on_time_rate().percent_label(), "0.0%");
    d.assert_replays();
}

#[test]
fn the_problem_register_stops_the_clocks_until_the_case_is_taken_off() {
    let mut d = Driver::to_handling();
    // Handling due Wednesday 10:30, overall Thursday 10:00.
    d.refused(
        Action::Register {
            by: worker(),
            reason: "x".into(),
        },
        "2026-03-16 11:00",
        Refusal::NotAllowed,
    );
    d.refused(
        Action::Register {
            by: supervisor(),
            reason: " ".into(),
        },
        "2026-03-16 11:00",
        Refusal::ReasonRequired,
    );
    d.refused(
        Action::Unregister {
            by: supervisor(),
            reason: "x".into(),
        },
        "2026-03-16 11:00",
        Refusal::NotOnRegister,
    );
    d.ok(
        Action::Register {
            by: supervisor(),
            reason: "涉及历史遗留产权问题，暂无法解决".into(),
        },
        "2026-03-16 11:00",
    );
    assert!(d.state.registration.is_some());
    for action in [
        Action::Feedback {
            by: emergency(),
            summary: "x".into(),
            photos: vec![],
        },
        Action::Return {
            by: emergency(),
            reason: "x".into(),
        },
        Action::Register {
            by: centre(),
            reason: "x".into(),
        },
    ] {
        d.refused(action, "2026-03-16 12:00", Refusal::OnRegister);
    }
    // A month on the register: nothing falls due.
    assert_eq!(d.wf.next_due(&d.state), None);
    assert!(d.advance("2026-04-20 09:00").is_empty());
    assert!(!d.state.is_overdue(t("2026-04-20 09:00")));
    d.refused(
        Action::Unregister {
            by: supervisor(),
            reason: "".into(),
        },
        "2026-04-20 09:00",
        Refusal::ReasonRequired,
    );
    d.ok(
        Action::Unregister {
            by: centre(),
            reason: "产权已确认".into(),
        },
        "2026-04-20 09:00",
    );
    assert!(d.state.registration.is_none());
    // At 11:00 on Monday the handling step had 5 h that day, 7 h on
    // Tuesday and 1.5 h on Wednesday left: 13.5 working hours. Resumed on
    // Monday 20 April at 09:00: 7 h that day, 3 h on Tuesday morning and
    // 3.5 h after lunch.
    assert_eq!(d.state.step_due.unwrap().due, t("2026-04-21 16:30"));
    // Overall 5 + 7 + 7 + 1 = 20 working hours left: 7 + 7 + 6.
    assert_eq!(d.state.overall_due.unwrap().due, t("2026-04-22 16:00"));
    d.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-04-20 10:00",
    );
    d.ok(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-04-20 11:00",
    );
    d.ok(Action::Close { by: centre() }, "2026-04-20 13:00");
    d.assert_replays();
    let k = case_kpi(&d.wf, &d.state, t("2026-04-21 09:00"));
    assert!(k.deferred && k.due && !k.on_time);
}

#[test]
fn an_overdue_case_stays_escalated_through_the_register() {
    let mut d = Driver::to_handling();
    d.advance("2026-03-18 11:00");
    assert_eq!(d.state.escalations, 1);
    d.ok(
        Action::Register {
            by: supervisor(),
            reason: "暂无法解决".into(),
        },
        "2026-03-18 11:00",
    );
    d.ok(
        Action::Unregister {
            by: supervisor(),
            reason: "已可解决".into(),
        },
        "2026-03-30 09:00",
    );
    // The handling step keeps its passed, escalated limit; the overall one
    // (Thursday 10:00, 6 working hours left) resumes.
    assert_eq!(d.state.step_due.unwrap().due, t("2026-03-18 10:30"));
    assert!(d.state.step_due.unwrap().escalated);
    assert_eq!(d.state.overall_due.unwrap().due, t("2026-03-30 16:00"));
    let out = d.advance("2026-03-30 17:00");
    assert_eq!(out.len(), 1);
    assert!(matches!(
        out[0].event,
        Event::Escalated {
            overdue: Overdue::Overall,
            ..
        }
    ));
    d.assert_replays();
}

#[test]
fn the_register_applies_only_to_filed_open_cases() {
    let mut d = Driver::new();
    d.ok(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        "2026-03-16 09:00",
    );
    d.refused(
        Action::Register {
            by: supervisor(),
            reason: "x".into(),
        },
        "2026-03-16 09:10",
        Refusal::WrongStep,
    );
}

#[test]
fn the_clock_never_goes_back() {
    let mut d = Driver::new();
    d.ok(
        Action::Report {
            by: worker(),
            report: hazard(),
        },
        "2026-03-16 09:00",
    );
    let err =
        d.wf.decide(
            &mut d.state,
            &Action::Confirm { by: leader() },
            t("2026-03-16 08:59"),
        )
        .unwrap_err();
    assert!(matches!(err, CaseError::ClockWentBack { .. }));
    assert_eq!(d.state.stage, Stage::Reported);
}

#[test]
fn on_time_rate_leaves_deferred_cases_out() {
    let now = t("2026-04-30 09:00");
    // On time.
    let mut a = Driver::to_handling();
    a.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-03-16 11:00",
    );
    a.ok(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-03-16 13:00",
    );
    a.ok(Action::Close { by: centre() }, "2026-03-16 14:00");
    a.ok(
        Action::Evaluate {
            by: worker(),
            rating: 4,
            comment: None,
        },
        "2026-03-16 15:00",
    );
    // Overdue, still open.
    let b = Driver::to_handling();
    // Deferred: on the register, past its old limit.
    let mut c = Driver::to_handling();
    c.ok(
        Action::Register {
            by: supervisor(),
            reason: "暂无法解决".into(),
        },
        "2026-03-16 11:00",
    );
    // Not yet due: reported only.
    let mut e = Driver::new();
    e.ok(
        Action::Report {
            by: resident(),
            report: hazard(),
        },
        "2026-04-29 09:00",
    );
    let kpis = Kpis::over(&a.wf, [&a.state, &b.state, &c.state, &e.state], now);
    assert_eq!(kpis.reported, 4);
    assert_eq!(kpis.filed, 3);
    assert_eq!(kpis.closed, 1);
    // c's overall limit stands still on the register but is still the one
    // recorded, so it counts as due and deferred.
    assert_eq!((kpis.due, kpis.deferred_due, kpis.on_time), (3, 1, 1));
    assert_eq!(kpis.on_time_rate(), yiwang_cases::Rate { num: 1, den: 2 });
    assert_eq!(kpis.closure_rate().percent_label(), "33.3%");
    assert_eq!(kpis.validity_rate().permille(), Some(1000));
    assert_eq!(kpis.satisfaction().permille(), Some(1000));
    assert_eq!(kpis.average_rating(), yiwang_cases::Rate { num: 4, den: 1 });
    assert_eq!(kpis.mean_time_to_close(), Some(5 * 3_600_000_000));
    // b past its limits, e past its two-hour check; c is on the register.
    assert_eq!(kpis.overdue_now, 2);
}

#[test]
fn duplicates_are_suggested_from_open_cases() {
    let d = Driver::to_handling();
    let candidates = [Candidate::of_case("case-1", &d.state).unwrap()];
    assert_eq!(candidates[0].category, "safety_hazard");
    // Cases that are not open are no candidates.
    assert!(Candidate::of_case("new", &yiwang_cases::CaseState::new()).is_none());
    let mut closed = Driver::to_handling();
    closed.ok(
        Action::Feedback {
            by: emergency(),
            summary: "已处理".into(),
            photos: vec![],
        },
        "2026-03-16 11:00",
    );
    closed.ok(
        Action::RecheckPass {
            by: leader(),
            note: String::new(),
        },
        "2026-03-16 13:00",
    );
    closed.ok(Action::Close { by: centre() }, "2026-03-16 14:00");
    assert!(Candidate::of_case("closed", &closed.state).is_none());
    let near = Point::new(120.8625, 32.0789).unwrap();
    let probe = Probe {
        category: "safety_hazard",
        point: near,
        at: t("2026-03-18 09:00"),
    };
    let found = possible_duplicates(&probe, &candidates, DuplicateRule::default());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, "case-1");
    assert!(
        found[0].distance_m > 15.0 && found[0].distance_m < 25.0,
        "{}",
        found[0].distance_m
    );
    let other = Probe {
        category: "environment",
        ..probe.clone()
    };
    assert!(possible_duplicates(&other, &candidates, DuplicateRule::default()).is_empty());
    let later = Probe {
        at: t("2026-03-23 09:00"),
        ..probe
    };
    assert!(possible_duplicates(&later, &candidates, DuplicateRule::default()).is_empty());
}
