//! The indicators' part of the suite: work lists kept to a scope of grids,
//! bulk imports of cases, the case sums behind the KPI pages (against
//! counts worked out by hand from the definitions), staff login days and
//! the grid activity the zombie-grid rules read.

use std::sync::Arc;

use serde_json::json;

use super::cases::{fact, new_case, summary};
use super::grid::district;
use super::{admin_ctx, detail, expect_conflict, new_session, new_user, MINUTE, T0};
use crate::cases::{CaseAppend, CaseQuery, ImportedCase};
use crate::kpi::{shanghai_day, CaseCounts, KpiGroup, KpiQuery, DAY_MICROS};
use crate::{AuditQuery, NewAudit, Page, Store};
use yiwang_core::Role;

const HOUR: i64 = 60 * MINUTE;
const G1: &str = "320612001001001";
const G2: &str = "320612001001002";
const G3: &str = "320612001001003";
const ANKANG: &str = "320612001002001";

pub async fn list_cases_keeps_to_a_scope_of_grids(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for (i, grid) in [G1, G2, ANKANG].into_iter().enumerate() {
        let at = T0 + i as i64;
        let row = store
            .create_case(&admin_ctx(at), new_case("environment", grid, None, at))
            .await
            .unwrap();
        ids.push(row.id);
    }
    let scoped = |codes: &[&str]| CaseQuery {
        grid_codes: Some(codes.iter().map(|c| c.to_string()).collect()),
        ..Default::default()
    };
    let page = store
        .list_cases(&scoped(&[G1, ANKANG]), Page::number(1, 50))
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(
        page.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![ids[2], ids[0]]
    );
    let none = store
        .list_cases(&scoped(&[]), Page::number(1, 50))
        .await
        .unwrap();
    assert_eq!(none.total, 0);
    assert!(none.items.is_empty());

    // The indicator columns of the summary are kept and read back.
    let mut s = summary("closed", "environment");
    s.filed_at = Some(T0 + HOUR);
    s.limit_at = Some(T0 + 10 * HOUR);
    s.deferred = true;
    s.reworks = 2;
    s.extensions = 1;
    s.closed_at = Some(T0 + 5 * HOUR);
    s.close_working = Some(4 * HOUR);
    store
        .append_case(
            &admin_ctx(T0 + 5 * HOUR),
            CaseAppend {
                photos: vec![],
                case_id: ids[0],
                expected_seq: 1,
                events: vec![fact(T0 + 5 * HOUR, "closed")],
                summary: s,
                audit: NewAudit::new("case.close", "case", ids[0]),
            },
        )
        .await
        .unwrap();
    let (row, _) = store.case(ids[0]).await.unwrap().unwrap();
    assert_eq!(row.filed_at, Some(T0 + HOUR));
    assert_eq!(row.limit_at, Some(T0 + 10 * HOUR));
    assert!(row.deferred);
    assert_eq!((row.reworks, row.extensions), (2, 1));
    assert_eq!(row.close_working, Some(4 * HOUR));
}

/// A case to import, reported at `created_at` in `grid`.
fn imported(n: i64, grid: &str, created_at: i64, s: crate::cases::CaseSummary) -> ImportedCase {
    let mut case = new_case(&s.category, grid, None, created_at);
    case.summary = s;
    ImportedCase {
        number: format!("{}{n:05}", case.number_prefix),
        case,
        created_at,
        updated_at: created_at,
    }
}

pub async fn import_cases_numbers_and_audits_once(store: Arc<dyn Store>) {
    let cases = vec![
        imported(7, G1, T0, summary("reported", "environment")),
        imported(3, G2, T0 + 1, summary("reported", "environment")),
    ];
    let first = cases[0].case.id;
    let n = store.import_cases(&admin_ctx(T0), cases).await.unwrap();
    assert_eq!(n, 2);
    let (row, events) = store.case(first).await.unwrap().unwrap();
    assert_eq!(row.number, "SJ2026010100007");
    assert_eq!(row.created_at, T0);
    assert_eq!(events.len(), 1);
    // The counter moved past the largest number given.
    let next = store
        .create_case(
            &admin_ctx(T0 + 2),
            new_case("environment", G1, None, T0 + 2),
        )
        .await
        .unwrap();
    assert_eq!(next.number, "SJ2026010100008");
    let audit = store
        .audit_query(
            &AuditQuery {
                action: Some("case.import".to_owned()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert_eq!(detail(&audit.items[0])["cases"], json!(2));

    // A number that exists refuses the whole import.
    let again = vec![
        imported(9, G1, T0, summary("reported", "environment")),
        imported(7, G1, T0, summary("reported", "environment")),
    ];
    let nine = again[0].case.id;
    expect_conflict(store.import_cases(&admin_ctx(T0), again).await, "number");
    assert!(store.case(nine).await.unwrap().is_none());
}

/// The seven cases of the sums test; see the expectations below.
fn seven_cases() -> Vec<ImportedCase> {
    let mut on_time = summary("evaluated", "environment");
    on_time.department = Some("urban".to_owned());
    on_time.filed_at = Some(T0 + HOUR);
    on_time.limit_at = Some(T0 + 10 * HOUR);
    on_time.closed_at = Some(T0 + 5 * HOUR);
    on_time.close_working = Some(4 * HOUR);
    on_time.rating = Some(5);

    let mut late = on_time.clone();
    late.stage = "closed".to_owned();
    late.closed_at = Some(T0 + 20 * HOUR);
    late.close_working = Some(10 * HOUR);
    late.reworks = 1;
    late.extensions = 1;
    late.rating = Some(3);

    let mut open = summary("handling", "environment");
    open.department = Some("env".to_owned());
    open.filed_at = Some(T0 + HOUR);
    open.limit_at = Some(T0 + 10 * HOUR);

    let mut deferred = open.clone();
    deferred.stage = "closed".to_owned();
    deferred.deferred = true;
    deferred.closed_at = Some(T0 + 8 * HOUR);
    deferred.close_working = Some(6 * HOUR);

    vec![
        imported(1, G1, T0, on_time.clone()),
        imported(2, G1, T0, late),
        imported(3, G2, T0, open),
        imported(4, G2, T0, deferred),
        imported(5, ANKANG, T0, summary("rejected", "environment")),
        imported(6, ANKANG, T0, summary("reported", "safety_hazard")),
        // Reported two days later: outside the window.
        imported(7, G1, T0 + 2 * DAY_MICROS, on_time),
    ]
}

pub async fn case_counts_follow_the_kpi_definitions(store: Arc<dyn Store>) {
    store
        .import_cases(&admin_ctx(T0), seven_cases())
        .await
        .unwrap();
    let day = shanghai_day(T0);
    let query = |group| KpiQuery {
        group,
        from: day,
        to: day + DAY_MICROS,
        now: T0 + 30 * HOUR,
        under: None,
        department: None,
    };
    let tianxi = CaseCounts {
        key: "320612001001".to_owned(),
        reported: 4,
        valid: 4,
        rejected: 0,
        filed: 4,
        closed: 3,
        due: 4,
        deferred_due: 1,
        on_time: 1,
        reworked_cases: 1,
        extended_cases: 1,
        rated: 2,
        rating_sum: 8,
        satisfied: 1,
        close_micros: 33 * HOUR,
        close_working_micros: 20 * HOUR,
    };
    let ankang = CaseCounts {
        key: "320612001002".to_owned(),
        reported: 2,
        rejected: 1,
        ..Default::default()
    };
    let by_community = store
        .case_counts(&query(KpiGroup::Community))
        .await
        .unwrap();
    assert_eq!(by_community, vec![tianxi.clone(), ankang.clone()]);

    // The street is the sum of its communities; the day holds them all.
    let mut street = tianxi.clone();
    street.add(&ankang);
    street.key = "320612001".to_owned();
    assert_eq!(
        store.case_counts(&query(KpiGroup::Street)).await.unwrap(),
        vec![street.clone()]
    );
    let by_day = store.case_counts(&query(KpiGroup::Day)).await.unwrap();
    assert_eq!(by_day.len(), 1);
    assert_eq!(by_day[0].key, day.to_string());
    assert_eq!(by_day[0].reported, 6);

    // Before the open case's limit it is not yet due.
    let early = store
        .case_counts(&KpiQuery {
            now: T0 + 9 * HOUR,
            ..query(KpiGroup::District)
        })
        .await
        .unwrap();
    assert_eq!(early[0].due, 3);

    // Grids under a community; departments.
    let grids = store
        .case_counts(&KpiQuery {
            under: Some("320612001001".to_owned()),
            ..query(KpiGroup::Grid)
        })
        .await
        .unwrap();
    assert_eq!(
        grids
            .iter()
            .map(|g| (g.key.as_str(), g.reported, g.on_time))
            .collect::<Vec<_>>(),
        vec![(G1, 2, 1), (G2, 2, 0)]
    );
    let departments = store
        .case_counts(&query(KpiGroup::Department))
        .await
        .unwrap();
    assert_eq!(
        departments
            .iter()
            .map(|g| (g.key.as_str(), g.reported, g.closed))
            .collect::<Vec<_>>(),
        vec![("", 2, 0), ("env", 2, 1), ("urban", 2, 2)]
    );
    let categories = store
        .case_counts(&KpiQuery {
            department: Some("urban".to_owned()),
            ..query(KpiGroup::Category)
        })
        .await
        .unwrap();
    assert_eq!(categories.len(), 1);
    assert_eq!(categories[0].close_micros, 25 * HOUR);

    // By grid and category, over a year (SQLite then reads its index in
    // grid and category order): the cells, keyed `code/category`, add up
    // to the communities and to the categories.
    let year = |group| KpiQuery {
        from: day - 365 * DAY_MICROS,
        to: day + 30 * DAY_MICROS,
        ..query(group)
    };
    let cells = store
        .case_counts(&year(KpiGroup::GridCategory))
        .await
        .unwrap();
    let keys: Vec<&str> = cells.iter().map(|c| c.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(
        keys.iter()
            .all(|k| k.len() > 16 && k.as_bytes()[15] == b'/'),
        "{keys:?}"
    );
    let mut folded: std::collections::BTreeMap<String, CaseCounts> = Default::default();
    for cell in &cells {
        for key in [&cell.key[..12], &cell.key[16..]] {
            let sum = folded.entry(key.to_owned()).or_insert_with(|| CaseCounts {
                key: key.to_owned(),
                ..Default::default()
            });
            sum.add(cell);
        }
    }
    let communities = store.case_counts(&year(KpiGroup::Community)).await.unwrap();
    let categories = store.case_counts(&year(KpiGroup::Category)).await.unwrap();
    assert!(communities.len() == 2 && categories.len() > 1);
    assert!(communities[0].reported > tianxi.reported, "{communities:?}");
    for sum in communities.iter().chain(&categories) {
        assert_eq!(&folded[&sum.key], sum);
    }
    assert_eq!(folded.len(), communities.len() + categories.len());
    // The same year by day: the day's window's day among them.
    let days = store.case_counts(&year(KpiGroup::Day)).await.unwrap();
    assert!(days.len() > 1, "{days:?}");
    assert!(days.contains(&by_day[0]), "{days:?}");
    assert_eq!(
        days.iter().map(|d| d.reported).sum::<i64>(),
        communities.iter().map(|c| c.reported).sum::<i64>()
    );
}

pub async fn logins_of_staff_mark_their_days(store: Arc<dyn Store>) {
    let user = store
        .create_staff(&admin_ctx(T0), new_user("lixue", "李雪", Role::GridLeader))
        .await
        .unwrap();
    let mut import = district();
    import.staff[0].user_id = Some(user.id);
    let ids: Vec<_> = import.staff.iter().map(|s| s.id).collect();
    store.import_grids(&admin_ctx(T0), import).await.unwrap();
    let day = shanghai_day(T0);
    // Two logins on one day count once; an account that is not staff
    // marks nothing.
    for (i, at) in [T0, T0 + HOUR].into_iter().enumerate() {
        let ctx = admin_ctx(at);
        store
            .login_succeeded(&ctx, new_session(&format!("h{i}"), user.id, at + HOUR))
            .await
            .unwrap();
    }
    let other = store
        .create_staff(
            &admin_ctx(T0),
            new_user("officer", "官员", Role::Supervisor),
        )
        .await
        .unwrap();
    store
        .login_succeeded(&admin_ctx(T0), new_session("h9", other.id, T0 + HOUR))
        .await
        .unwrap();
    let n = store
        .import_login_days(
            &admin_ctx(T0),
            vec![
                (ids[1], day),
                (ids[1], day + DAY_MICROS),
                (ids[0], day + DAY_MICROS),
                (ids[0], day),
            ],
        )
        .await
        .unwrap();
    assert_eq!(n, 4);

    let window = [day, day + DAY_MICROS];
    let communities = store
        .login_counts(KpiGroup::Community, &window, None)
        .await
        .unwrap();
    let triples: Vec<_> = communities
        .iter()
        .map(|c| (c.key.as_str(), c.staff, c.login_days))
        .collect();
    assert_eq!(
        triples,
        vec![("320612001001", 3, 4), ("320612001002", 1, 0)]
    );
    let school = store
        .login_counts(KpiGroup::Grid, &window, Some(G3))
        .await
        .unwrap();
    assert_eq!(
        school
            .iter()
            .map(|c| (c.key.as_str(), c.staff, c.login_days))
            .collect::<Vec<_>>(),
        vec![(G3, 2, 2)]
    );
    // Only the days asked for count; no day, no login.
    let first_day = store
        .login_counts(KpiGroup::Grid, &[day], Some(G1))
        .await
        .unwrap();
    assert_eq!(first_day[0].login_days, 1);
    let none = store
        .login_counts(KpiGroup::Grid, &[], Some(G1))
        .await
        .unwrap();
    assert_eq!((none[0].staff, none[0].login_days), (1, 0));
}

pub async fn grid_activity_shows_leaders_logins_and_reports(store: Arc<dyn Store>) {
    let user = store
        .create_staff(&admin_ctx(T0), new_user("lixue", "李雪", Role::GridLeader))
        .await
        .unwrap();
    let mut import = district();
    import.staff[0].user_id = Some(user.id);
    let ids: Vec<_> = import.staff.iter().map(|s| s.id).collect();
    store.import_grids(&admin_ctx(T0), import).await.unwrap();
    let day = shanghai_day(T0);
    store
        .import_login_days(
            &admin_ctx(T0),
            vec![(ids[0], day), (ids[1], day - DAY_MICROS)],
        )
        .await
        .unwrap();
    store
        .create_case(&admin_ctx(T0), new_case("environment", G2, None, T0))
        .await
        .unwrap();
    let activity = store.grid_activity().await.unwrap();
    let seen: Vec<_> = activity
        .iter()
        .map(|a| {
            (
                a.code.as_str(),
                a.leader.as_deref(),
                a.leader_active,
                a.last_login_day,
                a.last_report,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (G1, Some("李雪"), true, Some(day), None),
            (G2, Some("王芳"), true, Some(day - DAY_MICROS), Some(T0)),
            // The school's worker (李雪) logged in: the grid counts it.
            (G3, Some("陈刚"), true, Some(day), None),
            (ANKANG, Some("赵敏"), true, None, None),
        ]
    );
    // A leader whose account is disabled is no active leader.
    store
        .set_user_active(&admin_ctx(T0 + 1), user.id, false)
        .await
        .unwrap();
    let activity = store.grid_activity().await.unwrap();
    assert!(!activity[0].leader_active);
    assert!(activity[1].leader_active);
}

pub async fn monthly_rollup_sums_what_the_cases_sum(store: Arc<dyn Store>) {
    use crate::kpi::month_start;
    // The seven cases by import, two of them moved on later, one created
    // and closed, one case in the next month, one in the month before.
    let cases = seven_cases();
    let (open, rejected) = (cases[2].case.id, cases[4].case.id);
    store.import_cases(&admin_ctx(T0), cases).await.unwrap();
    let month = month_start(T0);
    let next = month_start(month + 40 * DAY_MICROS);
    let before = month_start(month - 1);
    for (n, at) in [(20, next + HOUR), (21, before + HOUR)] {
        let mut s = summary("evaluated", "safety_hazard");
        s.filed_at = Some(at + HOUR);
        s.limit_at = Some(at + 2 * HOUR);
        s.closed_at = Some(at + 3 * HOUR);
        s.rating = Some(4);
        store
            .import_cases(&admin_ctx(at), vec![imported(n, G3, at, s)])
            .await
            .unwrap();
    }
    let move_on = |id, seq: i64, s: crate::cases::CaseSummary, at: i64| CaseAppend {
        case_id: id,
        expected_seq: seq,
        events: vec![fact(at, "moved")],
        summary: s,
        photos: vec![],
        audit: NewAudit::new("case.test", "case", id).with_detail(json!({})),
    };
    // The open case is closed late and rated; the rejected one is let in.
    let mut closed = summary("evaluated", "environment");
    closed.department = Some("env".to_owned());
    closed.filed_at = Some(T0 + HOUR);
    closed.limit_at = Some(T0 + 10 * HOUR);
    closed.closed_at = Some(T0 + 40 * HOUR);
    closed.close_working = Some(12 * HOUR);
    closed.rating = Some(2);
    let mut checked = summary("confirmed", "environment");
    checked.reworks = 2;
    for (id, s, at) in [
        (open, closed, T0 + 40 * HOUR),
        (rejected, checked, T0 + 41 * HOUR),
    ] {
        store
            .append_case(&admin_ctx(at), move_on(id, 1, s, at))
            .await
            .unwrap();
    }
    let mut still_open = new_case("public_facility", G2, None, T0 + 3 * HOUR);
    still_open.summary.stage = "handling".to_owned();
    still_open.summary.filed_at = Some(T0 + 4 * HOUR);
    still_open.summary.limit_at = Some(T0 + 20 * HOUR);
    still_open.summary.deferred = true;
    store
        .create_case(&admin_ctx(T0 + 3 * HOUR), still_open)
        .await
        .unwrap();

    // Whole months read the rollup; the same cases through a window one
    // µs wider (no case at that instant) read the cases. Every group, at
    // two instants (before and after the open case's limit), with and
    // without a unit.
    let groups = [
        KpiGroup::District,
        KpiGroup::Street,
        KpiGroup::Community,
        KpiGroup::Grid,
        KpiGroup::Category,
        KpiGroup::GridCategory,
        KpiGroup::Month,
    ];
    for (from, to) in [
        (month, next),
        (before, next),
        (month, month_start(next + 40 * DAY_MICROS)),
    ] {
        for now in [T0 + 9 * HOUR, T0 + 30 * HOUR, next + 60 * DAY_MICROS] {
            for under in [None, Some("320612001001".to_owned())] {
                for group in groups {
                    let q = KpiQuery {
                        group,
                        from,
                        to,
                        now,
                        under: under.clone(),
                        department: None,
                    };
                    let rolled = store.case_counts(&q).await.unwrap();
                    let read = store
                        .case_counts(&KpiQuery {
                            from: from - 1,
                            ..q.clone()
                        })
                        .await
                        .unwrap();
                    assert_eq!(rolled, read, "{q:?}");
                }
            }
        }
    }
    // The month holds the seven cases' day, the moves and the new case.
    let q = KpiQuery {
        group: KpiGroup::Month,
        from: before,
        to: month_start(next + 40 * DAY_MICROS),
        now: T0 + 30 * HOUR,
        under: None,
        department: None,
    };
    let months = store.case_counts(&q).await.unwrap();
    assert_eq!(
        months
            .iter()
            .map(|m| (m.key.clone(), m.reported))
            .collect::<Vec<_>>(),
        vec![
            (before.to_string(), 1),
            (month.to_string(), 8),
            (next.to_string(), 1)
        ]
    );
    // Due at T0 + 30 h in the month: on-time, late and deferred closed,
    // the case closed late, and the new open one past its limit; the
    // seventh case (two days later) is closed on time too.
    let this_month = &months[1];
    assert_eq!((this_month.due, this_month.deferred_due), (6, 2));
    assert_eq!(this_month.rated, 4);
    assert_eq!(this_month.reworked_cases, 2);
}
