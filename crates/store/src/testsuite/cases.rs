//! The cases' part of the suite: creating cases with their numbers,
//! appending facts under optimistic concurrency with the audit record in the
//! same transaction, and the work-list, timer and duplicate queries.
//!
//! Facts here are opaque JSON: the store never reads them.

use std::sync::Arc;

use serde_json::json;
use uuid::Uuid;

use super::{admin_ctx, assert_chain, detail, expect_conflict, expect_not_found, public_ctx};
use super::{run_concurrently, MINUTE, T0};
use crate::cases::{CaseAppend, CaseAppendOutcome, CaseQuery, CaseSummary, NewCase, NewCaseEvent};
use crate::{NewAudit, Page, Store};

pub(super) fn summary(stage: &str, category: &str) -> CaseSummary {
    CaseSummary {
        stage: stage.to_owned(),
        category: category.to_owned(),
        department: None,
        step_due: None,
        overall_due: None,
        next_due: None,
        extension_pending: false,
        registered: false,
        escalations: 0,
        rating: None,
        closed_at: None,
        filed_at: None,
        limit_at: None,
        deferred: false,
        reworks: 0,
        extensions: 0,
        close_working: None,
    }
}

pub(super) fn fact(at: i64, kind: &str) -> NewCaseEvent {
    NewCaseEvent {
        at,
        kind: kind.to_owned(),
        fact_json: json!({"at": at, "event": {"type": kind}}).to_string(),
    }
}

pub(super) fn new_case(category: &str, grid: &str, point: Option<(f64, f64)>, at: i64) -> NewCase {
    let mut s = summary("reported", category);
    s.step_due = Some(at + 60 * MINUTE);
    s.next_due = s.step_due;
    NewCase {
        id: Uuid::now_v7(),
        number_prefix: "SJ20260101".to_owned(),
        grid_code: grid.to_owned(),
        lng: point.map(|p| p.0),
        lat: point.map(|p| p.1),
        address: "天熹社区3号楼东侧".to_owned(),
        description: "人行道旁树木倒伏".to_owned(),
        reporter_kind: "staff".to_owned(),
        reporter_id: Some("worker-1".to_owned()),
        summary: s,
        events: vec![fact(at, "reported")],
        photos: vec![],
        audit_action: "case.report".to_owned(),
        audit_detail: json!({"category": category}),
    }
}

fn append(
    case_id: Uuid,
    expected_seq: i64,
    events: Vec<NewCaseEvent>,
    s: CaseSummary,
) -> CaseAppend {
    CaseAppend {
        photos: vec![],
        case_id,
        expected_seq,
        events,
        summary: s,
        audit: NewAudit::new("case.confirm", "case", case_id),
    }
}

const GRID: &str = "110112001001001";

pub async fn create_case_numbers_per_prefix_and_audits(store: Arc<dyn Store>) {
    let first = store
        .create_case(
            &admin_ctx(T0),
            new_case("safety_hazard", GRID, Some((116.65, 39.9)), T0),
        )
        .await
        .unwrap();
    assert_eq!(first.number, "SJ2026010100001");
    assert_eq!(first.stage, "reported");
    assert_eq!(first.last_seq, 1);
    assert_eq!(first.created_at, T0);
    assert_eq!(first.lng, Some(116.65));
    let second = store
        .create_case(
            &public_ctx(T0 + 1),
            new_case("environment", GRID, None, T0 + 1),
        )
        .await
        .unwrap();
    assert_eq!(second.number, "SJ2026010100002");
    let mut other_day = new_case("environment", GRID, None, T0 + 2);
    other_day.number_prefix = "SJ20260102".to_owned();
    let third = store
        .create_case(&public_ctx(T0 + 2), other_day)
        .await
        .unwrap();
    assert_eq!(third.number, "SJ2026010200001");

    let (row, events) = store.case(first.id).await.unwrap().unwrap();
    assert_eq!(row, first);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].seq, 1);
    assert_eq!(events[0].kind, "reported");
    assert_eq!(
        store
            .case_by_number("SJ2026010100002")
            .await
            .unwrap()
            .unwrap()
            .id,
        second.id
    );
    assert!(store
        .case_by_number("SJ2026010100009")
        .await
        .unwrap()
        .is_none());
    assert!(store.case(Uuid::now_v7()).await.unwrap().is_none());

    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].action, "case.report");
    assert_eq!(records[0].object_kind, "case");
    assert_eq!(records[0].object_id, first.id.to_string());
    assert_eq!(detail(&records[0])["number"], "SJ2026010100001");
    assert_eq!(detail(&records[0])["category"], "safety_hazard");

    let mut again = new_case("environment", GRID, None, T0 + 3);
    again.id = first.id;
    expect_conflict(
        store.create_case(&admin_ctx(T0 + 3), again).await,
        "case_id",
    );
    assert_eq!(assert_chain(&*store).await.len(), 3);
}

pub async fn append_case_extends_the_log_and_the_summary(store: Arc<dyn Store>) {
    let case = store
        .create_case(&admin_ctx(T0), new_case("safety_hazard", GRID, None, T0))
        .await
        .unwrap();
    let mut s = summary("handling", "safety_hazard");
    s.department = Some("emergency".to_owned());
    s.overall_due = Some(T0 + 100 * MINUTE);
    s.extension_pending = true;
    let outcome = store
        .append_case(
            &admin_ctx(T0 + MINUTE),
            append(
                case.id,
                1,
                vec![fact(T0 + MINUTE, "confirmed"), fact(T0 + MINUTE, "filed")],
                s.clone(),
            ),
        )
        .await
        .unwrap();
    let CaseAppendOutcome::Appended(row) = outcome else {
        panic!("expected an append, got {outcome:?}");
    };
    assert_eq!(row.last_seq, 3);
    assert_eq!(row.stage, "handling");
    assert_eq!(row.department.as_deref(), Some("emergency"));
    assert!(row.extension_pending);
    assert_eq!(row.updated_at, T0 + MINUTE);
    assert_eq!(row.created_at, T0);
    let (_, events) = store.case(case.id).await.unwrap().unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(events[2].kind, "filed");

    // A writer that decided against seq 1 is stale and writes nothing.
    let stale = store
        .append_case(
            &admin_ctx(T0 + 2 * MINUTE),
            append(
                case.id,
                1,
                vec![fact(T0 + 2 * MINUTE, "rejected")],
                summary("rejected", "x"),
            ),
        )
        .await
        .unwrap();
    assert_eq!(stale, CaseAppendOutcome::Stale { last_seq: 3 });
    let (after, events) = store.case(case.id).await.unwrap().unwrap();
    assert_eq!(after, *row);
    assert_eq!(events.len(), 3);
    expect_not_found(
        store
            .append_case(
                &admin_ctx(T0 + 2 * MINUTE),
                append(Uuid::now_v7(), 0, vec![fact(T0, "x")], s),
            )
            .await,
    );
    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 2, "stale and unknown appends audit nothing");
    assert_eq!(records[1].action, "case.confirm");
    assert_eq!(records[1].object_id, case.id.to_string());
}

pub async fn concurrent_case_appends_keep_one_order(store: Arc<dyn Store>) {
    let case = store
        .create_case(&admin_ctx(T0), new_case("safety_hazard", GRID, None, T0))
        .await
        .unwrap();
    let outcomes = run_concurrently(6, |i| {
        let store = store.clone();
        async move {
            store
                .append_case(
                    &admin_ctx(T0 + MINUTE),
                    append(
                        case.id,
                        1,
                        vec![fact(T0 + MINUTE, &format!("e{i}"))],
                        summary("confirmed", "safety_hazard"),
                    ),
                )
                .await
                .unwrap()
        }
    })
    .await;
    let won = outcomes
        .iter()
        .filter(|o| matches!(o, CaseAppendOutcome::Appended(_)))
        .count();
    assert_eq!(won, 1);
    assert!(outcomes.iter().all(|o| matches!(
        o,
        CaseAppendOutcome::Appended(_) | CaseAppendOutcome::Stale { last_seq: 2 }
    )));
    let (_, events) = store.case(case.id).await.unwrap().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(assert_chain(&*store).await.len(), 2);

    // Concurrent reports on one day still get distinct numbers.
    let rows = run_concurrently(5, |i| {
        let store = store.clone();
        async move {
            store
                .create_case(
                    &admin_ctx(T0 + i as i64),
                    new_case("environment", GRID, None, T0),
                )
                .await
                .unwrap()
        }
    })
    .await;
    let mut numbers: Vec<String> = rows.into_iter().map(|r| r.number).collect();
    numbers.sort();
    let expected: Vec<String> = (2..=6).map(|n| format!("SJ202601010000{n}")).collect();
    assert_eq!(numbers, expected);
}

pub async fn list_cases_filters_for_work_lists(store: Arc<dyn Store>) {
    let a = store
        .create_case(&admin_ctx(T0), new_case("safety_hazard", GRID, None, T0))
        .await
        .unwrap();
    let b = store
        .create_case(
            &admin_ctx(T0 + 1),
            new_case("environment", "110112001002001", None, T0 + 1),
        )
        .await
        .unwrap();
    let c = store
        .create_case(
            &admin_ctx(T0 + 2),
            new_case("environment", "110112002001001", None, T0 + 2),
        )
        .await
        .unwrap();
    let mut s = summary("handling", "environment");
    s.department = Some("environment".to_owned());
    s.step_due = Some(T0 + 10 * MINUTE);
    s.overall_due = Some(T0 + 100 * MINUTE);
    s.extension_pending = true;
    store
        .append_case(
            &admin_ctx(T0 + 3),
            append(b.id, 1, vec![fact(T0 + 3, "dispatched")], s),
        )
        .await
        .unwrap();
    let mut s = summary("filed", "environment");
    s.registered = true;
    store
        .append_case(
            &admin_ctx(T0 + 4),
            append(c.id, 1, vec![fact(T0 + 4, "registered")], s),
        )
        .await
        .unwrap();

    let ids = |query: CaseQuery| {
        let store = store.clone();
        async move {
            store
                .list_cases(&query, Page::number(1, 50))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(CaseQuery::default()).await, vec![c.id, b.id, a.id]);
    assert_eq!(
        ids(CaseQuery {
            stages: vec!["reported".into(), "handling".into()],
            ..Default::default()
        })
        .await,
        vec![b.id, a.id]
    );
    assert_eq!(
        ids(CaseQuery {
            category: Some("environment".into()),
            ..Default::default()
        })
        .await,
        vec![c.id, b.id]
    );
    assert_eq!(
        ids(CaseQuery {
            grid_prefix: Some("110112001".into()),
            ..Default::default()
        })
        .await,
        vec![b.id, a.id]
    );
    assert_eq!(
        ids(CaseQuery {
            grid_prefix: Some("110112001_".into()),
            ..Default::default()
        })
        .await,
        Vec::<Uuid>::new(),
        "the prefix is literal"
    );
    assert_eq!(
        ids(CaseQuery {
            department: Some("environment".into()),
            ..Default::default()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        ids(CaseQuery {
            extension_pending: Some(true),
            ..Default::default()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        ids(CaseQuery {
            registered: Some(true),
            ..Default::default()
        })
        .await,
        vec![c.id]
    );
    // Overdue: a's check limit (T0 + 60 min) and b's step limit (T0 + 10
    // min); a deadline is missed at its own instant.
    assert_eq!(
        ids(CaseQuery {
            overdue_at: Some(T0 + 10 * MINUTE - 1),
            ..Default::default()
        })
        .await,
        Vec::<Uuid>::new()
    );
    assert_eq!(
        ids(CaseQuery {
            overdue_at: Some(T0 + 10 * MINUTE),
            ..Default::default()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        ids(CaseQuery {
            overdue_at: Some(T0 + 60 * MINUTE),
            ..Default::default()
        })
        .await,
        vec![b.id, a.id]
    );
    assert_eq!(
        ids(CaseQuery {
            created_from: Some(T0 + 1),
            created_to: Some(T0 + 2),
            ..Default::default()
        })
        .await,
        vec![b.id]
    );
    let page = store
        .list_cases(&CaseQuery::default(), Page::number(2, 2))
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, a.id);
}

pub async fn cases_due_lists_the_timer_work(store: Arc<dyn Store>) {
    let a = store
        .create_case(&admin_ctx(T0), new_case("safety_hazard", GRID, None, T0))
        .await
        .unwrap();
    let b = store
        .create_case(
            &admin_ctx(T0 + MINUTE),
            new_case("safety_hazard", GRID, None, T0 + MINUTE),
        )
        .await
        .unwrap();
    // a is due at T0 + 60 min, b at T0 + 61 min.
    assert!(store
        .cases_due(T0 + 60 * MINUTE - 1, 10)
        .await
        .unwrap()
        .is_empty());
    let due: Vec<Uuid> = store
        .cases_due(T0 + 61 * MINUTE, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, vec![a.id, b.id]);
    assert_eq!(
        store.cases_due(T0 + 61 * MINUTE, 1).await.unwrap()[0].id,
        a.id
    );
    // Escalated: no next deadline.
    let mut s = summary("reported", "safety_hazard");
    s.step_due = Some(T0 + 60 * MINUTE);
    s.escalations = 1;
    store
        .append_case(
            &admin_ctx(T0 + 60 * MINUTE),
            append(a.id, 1, vec![fact(T0 + 60 * MINUTE, "escalated")], s),
        )
        .await
        .unwrap();
    let due: Vec<Uuid> = store
        .cases_due(T0 + 61 * MINUTE, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, vec![b.id]);
}

pub async fn open_cases_near_finds_candidates(store: Arc<dyn Store>) {
    let here = (116.650_000, 39.900_000);
    // ~30 m north, ~200 m east, same point other category, and one too old.
    let near = store
        .create_case(
            &admin_ctx(T0),
            new_case("safety_hazard", GRID, Some((116.65, 39.90027)), T0),
        )
        .await
        .unwrap();
    store
        .create_case(
            &admin_ctx(T0),
            new_case("safety_hazard", GRID, Some((116.65234, 39.9)), T0),
        )
        .await
        .unwrap();
    store
        .create_case(
            &admin_ctx(T0),
            new_case("environment", GRID, Some(here), T0),
        )
        .await
        .unwrap();
    store
        .create_case(
            &admin_ctx(T0 - 8 * 24 * 60 * MINUTE),
            new_case("safety_hazard", GRID, Some(here), T0),
        )
        .await
        .unwrap();
    store
        .create_case(&admin_ctx(T0), new_case("safety_hazard", GRID, None, T0))
        .await
        .unwrap();
    let finished = store
        .create_case(
            &admin_ctx(T0),
            new_case("safety_hazard", GRID, Some(here), T0),
        )
        .await
        .unwrap();
    store
        .append_case(
            &admin_ctx(T0 + 1),
            append(
                finished.id,
                1,
                vec![fact(T0 + 1, "rejected")],
                summary("rejected", "safety_hazard"),
            ),
        )
        .await
        .unwrap();
    let found: Vec<Uuid> = store
        .open_cases_near(
            "safety_hazard",
            here.0,
            here.1,
            50.0,
            T0 - 7 * 24 * 60 * MINUTE,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(found, vec![near.id]);
}

pub async fn photos_are_kept_with_their_case(store: Arc<dyn Store>) {
    let photo = |byte: u8| crate::cases::NewPhoto {
        id: Uuid::now_v7(),
        content_type: "image/png".to_owned(),
        bytes: vec![0x89, b'P', b'N', b'G', byte],
        uploaded_by: "worker-1".to_owned(),
    };
    let mut case = new_case("environment", GRID, None, T0);
    let first = photo(1);
    case.photos = vec![first.clone()];
    let row = store.create_case(&admin_ctx(T0), case).await.unwrap();
    let kept = store.photo(first.id).await.unwrap().unwrap();
    assert_eq!(
        (kept.case_id, kept.bytes.clone(), kept.created_at),
        (row.id, first.bytes.clone(), T0)
    );
    assert_eq!(kept.content_type, "image/png");
    let mut a = append(
        row.id,
        1,
        vec![fact(T0 + 1, "fed_back")],
        summary("recheck", "environment"),
    );
    let second = photo(2);
    a.photos = vec![second.clone()];
    a.audit = NewAudit::new("case.feedback", "case", row.id).with_detail(json!({}));
    store.append_case(&admin_ctx(T0 + 1), a).await.unwrap();
    assert_eq!(
        store.photo(second.id).await.unwrap().unwrap().case_id,
        row.id
    );
    let audit = store
        .audit_query(
            &crate::AuditQuery {
                action: Some("case.feedback".to_owned()),
                ..Default::default()
            },
            Page::number(1, 5),
        )
        .await
        .unwrap();
    assert_eq!(detail(&audit.items[0])["photos"], json!(1));
    // A stale append stores no photo.
    let mut stale = append(
        row.id,
        1,
        vec![fact(T0 + 2, "x")],
        summary("recheck", "environment"),
    );
    let third = photo(3);
    stale.photos = vec![third.clone()];
    store.append_case(&admin_ctx(T0 + 2), stale).await.unwrap();
    assert!(store.photo(third.id).await.unwrap().is_none());
    assert!(store.photo(Uuid::now_v7()).await.unwrap().is_none());
}

pub async fn photos_held_for_their_reporter_pass_to_the_case(store: Arc<dyn Store>) {
    let photo = |byte: u8, by: &str| crate::cases::NewPhoto {
        id: Uuid::now_v7(),
        content_type: "image/jpeg".to_owned(),
        bytes: vec![0xFF, 0xD8, 0xFF, byte],
        uploaded_by: by.to_owned(),
    };
    let old = photo(0, "worker-1");
    store
        .hold_photos(&admin_ctx(T0), vec![old.clone()], T0 - 1)
        .await
        .unwrap();
    let (a, b) = (photo(1, "worker-1"), photo(2, "worker-1"));
    let others = photo(3, "worker-2");
    let day = 24 * 60 * MINUTE;
    // A day later: the first upload is dropped as the new ones are kept.
    store
        .hold_photos(&admin_ctx(T0 + day), vec![a.clone(), b.clone()], T0 + 1)
        .await
        .unwrap();
    store
        .hold_photos(&admin_ctx(T0 + day), vec![others.clone()], T0 + 1)
        .await
        .unwrap();
    let asked = [b.id, old.id, others.id, a.id, Uuid::now_v7()];
    let held = store.held_photos("worker-1", &asked).await.unwrap();
    assert_eq!(
        held,
        vec![b.clone(), a.clone()],
        "own photos, in the order asked"
    );
    assert!(store.held_photos("worker-1", &[]).await.unwrap().is_empty());
    let audit = store
        .audit_query(
            &crate::AuditQuery {
                action: Some("case_photo.hold".to_owned()),
                ..Default::default()
            },
            Page::number(1, 5),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 3);
    let kept_two = audit
        .items
        .iter()
        .find(|r| {
            r.object_id == "worker-1" && detail(r)["photos"].as_array().map(Vec::len) == Some(2)
        })
        .expect("the audit names the photos kept");
    assert_eq!(detail(kept_two)["dropped_expired"], json!(1));

    // The report that cites them takes them over.
    let mut case = new_case("environment", GRID, None, T0 + day);
    case.photos = held;
    let row = store.create_case(&admin_ctx(T0 + day), case).await.unwrap();
    assert_eq!(store.photo(a.id).await.unwrap().unwrap().case_id, row.id);
    assert_eq!(store.photo(b.id).await.unwrap().unwrap().bytes, b.bytes);
    assert!(store
        .held_photos("worker-1", &[a.id, b.id])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.held_photos("worker-2", &[others.id]).await.unwrap(),
        vec![others]
    );
}
