//! Duties' part of the suite: patrols, visits and attendance recorded and
//! audited in their transaction, refused when they name what does not
//! exist (and then nothing is written), counted per grid and day, per
//! subject and window, and summed per unit for the KPIs.

use std::sync::Arc;

use uuid::Uuid;

use super::cases::new_case;
use super::residents::places;
use super::{admin_ctx, assert_chain, audit_total, detail, expect_conflict, expect_not_found, T0};
use crate::duties::{
    DutyCounts, DutyScope, NewAttendance, NewPatrol, NewVisit, PatrolDay, VisitKind, VisitQuery,
};
use crate::kpi::{shanghai_day, KpiGroup, DAY_MICROS};
use crate::{AuditQuery, Page, Store};

const WEST: &str = "320612001001001";
const EAST: &str = "320612001001002";
const SCHOOL: &str = "320612001001003";
const ANKANG: &str = "320612001002001";
const HOUR: i64 = 3_600_000_000;

fn patrol(grid: &str, at: i64) -> NewPatrol {
    NewPatrol {
        id: Uuid::now_v7(),
        grid_code: grid.to_owned(),
        at,
        worker_id: Some(Uuid::now_v7()),
        worker_name: "李雪".to_owned(),
        route: "天熹路—人民路".to_owned(),
        notes: "未见异常".to_owned(),
        point: Some((121.005, 32.005)),
    }
}

fn visit(kind: VisitKind, household: Uuid, resident: Option<Uuid>, at: i64) -> NewVisit {
    NewVisit {
        id: Uuid::now_v7(),
        kind,
        household_id: household,
        resident_id: resident,
        at,
        worker_id: None,
        worker_name: "李雪".to_owned(),
        notes: "了解近况".to_owned(),
        findings: "独居，身体尚可".to_owned(),
    }
}

pub async fn duties_are_recorded_refused_and_audited(store: Arc<dyn Store>) {
    let (import, residents) = places(&*store).await;
    let h = |i: usize| import.households[i].id;
    let day0 = shanghai_day(T0);
    let at = day0 + 9 * HOUR;
    let ctx = admin_ctx(at);
    store.record_patrol(&ctx, patrol(WEST, at)).await.unwrap();
    let grid = store
        .record_visit(&ctx, visit(VisitKind::Household, h(0), None, at))
        .await
        .unwrap();
    assert_eq!(grid, WEST, "the grid of the household's building");
    store
        .record_visit(
            &ctx,
            visit(VisitKind::Tagged, h(0), Some(residents[0]), at + HOUR),
        )
        .await
        .unwrap();
    let case = store
        .create_case(&ctx, new_case("instability", WEST, None, at))
        .await
        .unwrap();
    store
        .record_attendance(
            &ctx,
            NewAttendance {
                id: Uuid::now_v7(),
                case_id: case.id,
                at: at + 2 * HOUR,
                worker_id: None,
                worker_name: "李雪".to_owned(),
                notes: "到场劝解".to_owned(),
            },
        )
        .await
        .unwrap();

    // Each write has its record; none carries an ID number.
    for (action, kind) in [
        ("duty.patrol", "grid"),
        ("duty.visit", "household"),
        ("duty.attendance", "case"),
    ] {
        let found = store
            .audit_query(
                &AuditQuery {
                    action: Some(action.to_owned()),
                    ..Default::default()
                },
                Page::number(1, 10),
            )
            .await
            .unwrap();
        assert!(found.total >= 1, "{action}");
        assert_eq!(found.items[0].object_kind, kind);
        for r in &found.items {
            assert!(!r.detail.contains("11010519491231002X"), "{}", r.detail);
        }
    }
    let tagged = store
        .audit_query(
            &AuditQuery {
                action: Some("duty.visit".to_owned()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(tagged.total, 2);
    assert_eq!(detail(&tagged.items[0])["kind"], "tagged_visit");
    assert_eq!(detail(&tagged.items[0])["grid_code"], WEST);

    // Refusals write nothing.
    let before = audit_total(&*store).await;
    expect_not_found(
        store
            .record_patrol(&ctx, patrol("320612001001099", at))
            .await,
    );
    expect_not_found(
        store
            .record_visit(&ctx, visit(VisitKind::Household, Uuid::now_v7(), None, at))
            .await,
    );
    // The person lives elsewhere.
    expect_not_found(
        store
            .record_visit(&ctx, visit(VisitKind::Tagged, h(2), Some(residents[0]), at))
            .await,
    );
    expect_conflict(
        store
            .record_visit(&ctx, visit(VisitKind::Tagged, h(0), None, at))
            .await,
        "resident",
    );
    expect_conflict(
        store
            .record_visit(
                &ctx,
                visit(VisitKind::Household, h(0), Some(residents[0]), at),
            )
            .await,
        "resident",
    );
    expect_not_found(
        store
            .record_attendance(
                &ctx,
                NewAttendance {
                    id: Uuid::now_v7(),
                    case_id: Uuid::now_v7(),
                    at,
                    worker_id: None,
                    worker_name: "李雪".to_owned(),
                    notes: String::new(),
                },
            )
            .await,
    );
    // An import with one bad visit imports nothing.
    let bad = store
        .import_duties(
            &ctx,
            "demo",
            vec![patrol(EAST, at)],
            vec![visit(VisitKind::Household, Uuid::now_v7(), None, at)],
        )
        .await;
    expect_not_found(bad);
    assert_eq!(audit_total(&*store).await, before);
    assert_eq!(
        store
            .patrol_days(
                &DutyScope::grids(vec![EAST.to_owned()]),
                day0,
                day0 + DAY_MICROS
            )
            .await
            .unwrap(),
        vec![]
    );

    // The grid's log, newest first: the attendance, the two visits, the
    // patrol.
    let log = store.duty_log(WEST, Page::number(1, 50)).await.unwrap();
    assert_eq!(log.total, 4);
    let kinds: Vec<&str> = log.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["attendance", "tagged_visit", "household_visit", "patrol"]
    );
    assert_eq!(log.items[0].subject, case.number);
    assert_eq!(log.items[1].subject, "天熹路1号1幢1单元101室 张建华");
    assert_eq!(log.items[2].subject, "天熹路1号1幢1单元101室");
    assert_eq!(log.items[3].subject, "天熹路—人民路");
    let second = store.duty_log(WEST, Page::number(2, 3)).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert_eq!(
        store
            .duty_log(EAST, Page::number(1, 50))
            .await
            .unwrap()
            .total,
        0
    );

    let cases = store
        .attendance_cases(
            &DutyScope::all(),
            &["instability".to_owned()],
            day0,
            day0 + DAY_MICROS,
        )
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].attended_at, Some(at + 2 * HOUR));
    assert!(store
        .attendance_cases(
            &DutyScope::grids(vec![EAST.to_owned()]),
            &["instability".to_owned()],
            day0,
            day0 + DAY_MICROS
        )
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .attendance_cases(&DutyScope::all(), &[], day0, day0 + DAY_MICROS)
        .await
        .unwrap()
        .is_empty());
    assert_chain(&*store).await;
}

pub async fn duties_are_counted_per_grid_day_and_subject(store: Arc<dyn Store>) {
    let (import, residents) = places(&*store).await;
    let h = |i: usize| import.households[i].id;
    let day0 = shanghai_day(T0);
    let day1 = day0 + DAY_MICROS;
    let ctx = admin_ctx(T0);
    let counts = store
        .import_duties(
            &ctx,
            "demo",
            vec![
                patrol(WEST, day0 + 9 * HOUR),
                patrol(WEST, day0 + 15 * HOUR),
                // The last microsecond of day 0 and the first of day 1.
                patrol(EAST, day1 - 1),
                patrol(WEST, day1),
            ],
            vec![
                visit(VisitKind::Household, h(0), None, day0 + 10 * HOUR),
                visit(VisitKind::Household, h(0), None, day1 + 10 * HOUR),
                visit(VisitKind::Tagged, h(0), Some(residents[0]), day1),
            ],
        )
        .await
        .unwrap();
    assert_eq!((counts.patrols, counts.visits), (4, 3));
    let imports = store
        .audit_query(
            &AuditQuery {
                action: Some("duty.import".to_owned()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(imports.total, 1, "one record for the import");
    assert_eq!(detail(&imports.items[0])["patrols"], 4);

    let day = |g: &str, d: i64, n: i64| PatrolDay {
        grid_code: g.to_owned(),
        day: d,
        patrols: n,
    };
    assert_eq!(
        store
            .patrol_days(&DutyScope::all(), day0, day1 + DAY_MICROS)
            .await
            .unwrap(),
        vec![day(WEST, day0, 2), day(WEST, day1, 1), day(EAST, day0, 1)]
    );
    // Half-open: day 1 is not in [day0, day1).
    assert_eq!(
        store
            .patrol_days(&DutyScope::grids(vec![WEST.to_owned()]), day0, day1)
            .await
            .unwrap(),
        vec![day(WEST, day0, 2)]
    );
    let under = DutyScope {
        grids: None,
        under: Some("320612001002".to_owned()),
    };
    assert!(store
        .patrol_days(&under, day0, day1 + DAY_MICROS)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .patrol_days(&DutyScope::grids(vec![]), day0, day1 + DAY_MICROS)
        .await
        .unwrap()
        .is_empty());

    // Households with residents: two in the west grid, one in the east.
    let query = |kind, from, to, fewer_than| VisitQuery {
        kind,
        scope: DutyScope::all(),
        from,
        to,
        fewer_than,
    };
    let households = store
        .visit_subjects(&query(VisitKind::Household, day0, day1 + DAY_MICROS, None))
        .await
        .unwrap();
    let seen: Vec<(&str, &str, i64)> = households
        .iter()
        .map(|s| (s.grid_code.as_str(), s.address.as_str(), s.visits))
        .collect();
    assert_eq!(
        seen,
        vec![
            (WEST, "天熹路1号1幢1单元101室", 2),
            (WEST, "天熹路1号1幢1单元102室", 0),
            (EAST, "天熹路3号", 0),
        ]
    );
    assert_eq!(households[0].last_visit, Some(day1 + 10 * HOUR));
    assert_eq!(households[1].last_visit, None);
    let only_day0 = store
        .visit_subjects(&query(VisitKind::Household, day0, day1, Some(1)))
        .await
        .unwrap();
    assert_eq!(
        only_day0.iter().map(|s| s.household_id).collect::<Vec<_>>(),
        vec![h(1), h(2)],
        "visited fewer than once on day 0"
    );
    let tagged = store
        .visit_subjects(&query(VisitKind::Tagged, day0, day1, None))
        .await
        .unwrap();
    assert_eq!(tagged.len(), 1, "only the tagged resident");
    assert_eq!(tagged[0].resident_id, Some(residents[0]));
    assert_eq!(tagged[0].name, "张建华");
    assert_eq!(tagged[0].visits, 0, "visited on day 1, outside the window");

    // Completion per grid on days 0 and 1: the west grid patrolled both,
    // the east one day 0; the others neither.
    let c = |k: &str, due: i64, done: i64| DutyCounts {
        key: k.to_owned(),
        due,
        done,
    };
    assert_eq!(
        store
            .patrol_completion(KpiGroup::Grid, &[day0, day1], 1, None)
            .await
            .unwrap(),
        vec![
            c(WEST, 2, 2),
            c(EAST, 2, 1),
            c(SCHOOL, 2, 0),
            c(ANKANG, 2, 0)
        ]
    );
    assert_eq!(
        store
            .patrol_completion(KpiGroup::Community, &[day0, day1], 2, None)
            .await
            .unwrap(),
        vec![c("320612001001", 6, 1), c("320612001002", 2, 0)],
        "two a day: only the west grid's day 0"
    );
    assert_eq!(
        store
            .patrol_completion(KpiGroup::Street, &[], 1, Some("320612001002"))
            .await
            .unwrap(),
        vec![c("320612001", 0, 0)]
    );
    assert_eq!(
        store
            .visit_completion(
                VisitKind::Household,
                KpiGroup::Grid,
                day0,
                day1 + DAY_MICROS,
                None
            )
            .await
            .unwrap(),
        vec![c(WEST, 2, 1), c(EAST, 1, 0)]
    );
    assert_eq!(
        store
            .visit_completion(
                VisitKind::Tagged,
                KpiGroup::Street,
                day1,
                day1 + DAY_MICROS,
                Some("320612001")
            )
            .await
            .unwrap(),
        vec![c("320612001", 1, 1)]
    );
    let mut last = store.last_patrols().await.unwrap();
    last.sort();
    assert_eq!(
        last,
        vec![(WEST.to_owned(), day1), (EAST.to_owned(), day1 - 1)]
    );
}
