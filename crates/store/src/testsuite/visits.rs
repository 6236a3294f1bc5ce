//! Visits' part of the suite: a visit is numbered, planned with its staff,
//! recorded, corrected only within its window and cancelled only while
//! planned; a finding becomes one request, routed and linked both ways, in
//! one transaction; lists search; coverage and statistics count recorded
//! visits in a half-open window; assigned staff are replaced and audited.

use std::sync::Arc;

use uuid::Uuid;
use yiwang_core::Role;

use super::{
    admin_ctx, assert_chain, audit_total, detail, expect_conflict, expect_not_found,
    new_enterprise, new_user, public_ctx, staff, T0,
};
use crate::requests::{NewPart, NewRequest};
use crate::visits::{CoverageQuery, NewFinding, NewVisit, VisitQuery, VisitRecord};
use crate::{AuditCtx, Page, Store};

const DAY: i64 = 86_400_000_000;

async fn enterprise(store: &dyn Store, name: &str, code: &str) -> Uuid {
    let (e, _) = store
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise(name, code),
            new_user(code, name, Role::Bidder),
        )
        .await
        .unwrap();
    e.id
}

fn as_user(user: Uuid, at: i64) -> AuditCtx {
    AuditCtx {
        actor_id: Some(user),
        ..admin_ctx(at)
    }
}

fn plan(enterprise: Uuid, on: i64, staff: &[Uuid]) -> NewVisit {
    NewVisit {
        id: Uuid::now_v7(),
        enterprise_id: enterprise,
        planned_on: on,
        purpose: "了解生产经营情况".to_owned(),
        staff: staff.to_vec(),
    }
}

fn finding(category: &str, text: &str) -> NewFinding {
    NewFinding {
        id: Uuid::now_v7(),
        category: category.to_owned(),
        text: text.to_owned(),
    }
}

fn record(on: i64, staff: &[Uuid], findings: Vec<NewFinding>) -> VisitRecord {
    VisitRecord {
        visited_on: on,
        people_met: "张总经理".to_owned(),
        staff: staff.to_vec(),
        findings,
    }
}

fn request_of(enterprise: Uuid, submitter: Uuid, at: i64) -> NewRequest {
    NewRequest {
        id: Uuid::now_v7(),
        enterprise_id: enterprise,
        enterprise_name: "精工机械".to_owned(),
        submitter_id: submitter,
        category: "financing".to_owned(),
        title: "流动资金缺口".to_owned(),
        content: "流动资金缺口约 500 万元".to_owned(),
        contact_name: "李四".to_owned(),
        contact_phone: "0513-85000000".to_owned(),
        share_contact: false,
        submitted_at: at,
        parts: vec![NewPart {
            department: "finance".to_owned(),
            assigned_at: at,
            due_at: at + 7 * DAY,
        }],
    }
}

pub async fn visits_are_planned_recorded_converted_and_audited(store: Arc<dyn Store>) {
    let s = &*store;
    let firm = enterprise(s, "精工机械", "91320621MA1Q000011").await;
    let wang = staff(s, "wang", Role::ServiceStaff, T0).await.id;
    let li = staff(s, "li", Role::ServiceStaff, T0).await.id;

    let v = s
        .plan_visit(&as_user(wang, T0), plan(firm, T0 + 3 * DAY, &[wang, li]))
        .await
        .unwrap();
    assert_eq!(v.number, "QF20260101-0001");
    assert_eq!(v.state, "planned");
    assert_eq!(v.planned_by_id, wang);
    assert_eq!(v.staff_names, "li、wang");
    let second = s
        .plan_visit(&as_user(li, T0 + 1), plan(firm, T0 + 9 * DAY, &[li]))
        .await
        .unwrap();
    assert_eq!(second.number, "QF20260101-0002");
    expect_not_found(
        s.plan_visit(&as_user(li, T0), plan(Uuid::now_v7(), T0, &[li]))
            .await,
    );

    // A finding cannot become a request before the visit is recorded.
    let at = T0 + 3 * DAY;
    s.record_enterprise_visit(
        &as_user(wang, at),
        v.id,
        record(
            at,
            &[wang],
            vec![
                finding("financing", "流动资金缺口约 500 万元"),
                finding("talent", "缺数控技工"),
            ],
        ),
        at - 7 * DAY,
    )
    .await
    .unwrap();
    let d = s.visit(v.id).await.unwrap().unwrap();
    assert_eq!(d.visit.state, "recorded");
    assert_eq!(d.visit.recorded_at, Some(at));
    assert_eq!(d.visit.visited_on, Some(at));
    assert_eq!(d.visit.findings, 2);
    assert_eq!(d.staff.len(), 1);
    assert_eq!(d.staff[0].user_id, wang);
    assert_eq!(
        d.findings.iter().map(|f| f.seq).collect::<Vec<_>>(),
        vec![1, 2]
    );
    expect_conflict(s.cancel_visit(&as_user(wang, at), v.id, "x").await, "state");

    // Turned into a request: stored, routed, linked both ways.
    let before = audit_total(s).await;
    let req = s
        .convert_finding(
            &as_user(wang, at + 60),
            d.findings[0].id,
            request_of(firm, wang, at + 60),
        )
        .await
        .unwrap();
    assert_eq!(audit_total(s).await, before + 2);
    assert_eq!(req.number, "QY20260104-0001");
    assert_eq!(req.submitter_id, wang);
    let stored = s.request(req.id).await.unwrap().unwrap();
    assert_eq!(stored.parts.len(), 1);
    let source = s.visit_of_request(req.id).await.unwrap().unwrap();
    assert_eq!(source.visit_id, v.id);
    assert_eq!(source.number, v.number);
    assert_eq!(source.finding_id, d.findings[0].id);
    assert_eq!(s.visit_of_request(Uuid::now_v7()).await.unwrap(), None);
    let d = s.visit(v.id).await.unwrap().unwrap();
    assert_eq!(d.findings[0].request_id, Some(req.id));
    assert_eq!(
        d.findings[0].request_number.as_deref(),
        Some(req.number.as_str())
    );
    assert_eq!(d.visit.converted, 1);
    // Once only, and a refused conversion stores no request and no record.
    let before = audit_total(s).await;
    expect_conflict(
        s.convert_finding(
            &as_user(wang, at + 120),
            d.findings[0].id,
            request_of(firm, wang, at + 120),
        )
        .await,
        "request",
    );
    assert_eq!(audit_total(s).await, before);
    expect_not_found(
        s.convert_finding(
            &as_user(wang, at),
            Uuid::now_v7(),
            request_of(firm, wang, at),
        )
        .await,
    );

    // Correcting keeps the converted finding and replaces the others.
    s.record_enterprise_visit(
        &as_user(wang, at + DAY),
        v.id,
        record(at, &[wang, li], vec![finding("safety", "消防通道堵塞")]),
        at + DAY - 7 * DAY,
    )
    .await
    .unwrap();
    let d = s.visit(v.id).await.unwrap().unwrap();
    assert_eq!(
        d.visit.recorded_at,
        Some(at),
        "the window runs from the first"
    );
    assert_eq!(
        d.findings
            .iter()
            .map(|f| (f.seq, f.category.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "financing"), (2, "safety")]
    );
    assert_eq!(d.staff.len(), 2);
    // After the window, nothing changes.
    expect_conflict(
        s.record_enterprise_visit(
            &as_user(wang, at + 8 * DAY),
            v.id,
            record(at, &[wang], vec![]),
            at + DAY,
        )
        .await,
        "recorded_at",
    );

    // A plan is cancelled once, then neither recorded nor converted.
    s.cancel_visit(&as_user(li, T0 + 2 * DAY), second.id, "企业停产检修")
        .await
        .unwrap();
    expect_conflict(
        s.cancel_visit(&as_user(li, T0 + 2 * DAY), second.id, "再取消")
            .await,
        "state",
    );
    expect_conflict(
        s.record_enterprise_visit(
            &as_user(li, T0 + 2 * DAY),
            second.id,
            record(T0, &[li], vec![]),
            T0,
        )
        .await,
        "state",
    );
    let c = s.visit(second.id).await.unwrap().unwrap().visit;
    assert_eq!(c.state, "cancelled");
    assert_eq!(c.cancel_reason, "企业停产检修");

    let records = assert_chain(s).await;
    let actions: Vec<&str> = records
        .iter()
        .filter(|r| r.action.starts_with("visit.") || r.action == "request.submit")
        .map(|r| r.action.as_str())
        .collect();
    assert_eq!(
        actions,
        vec![
            "visit.plan",
            "visit.plan",
            "visit.record",
            "request.submit",
            "visit.convert",
            "visit.correct",
            "visit.cancel",
        ]
    );
    let convert = records
        .iter()
        .find(|r| r.action == "visit.convert")
        .unwrap();
    assert_eq!(convert.object_id, v.id.to_string());
    assert_eq!(detail(convert)["request_number"], req.number);
}

pub async fn visits_are_listed_covered_and_counted(store: Arc<dyn Store>) {
    let s = &*store;
    let a = enterprise(s, "精工机械", "91320621MA1Q000011").await;
    let b = enterprise(s, "通州纺织", "91320612MA1Q000022").await;
    let c = enterprise(s, "海安电子", "91320621MA1Q000033").await;
    let wang = staff(s, "wang", Role::ServiceStaff, T0).await.id;
    let li = staff(s, "li", Role::ServiceStaff, T0).await.id;
    // 2026-01-01 00:00 Beijing is T0 - 8 h: a visit that day is in 2026.
    let jan1 = T0 - 8 * 3_600_000_000;
    let dec31 = jan1 - DAY;
    let mut visits = Vec::new();
    for (firm, on, who, n) in [
        (a, jan1, wang, 2),
        (a, jan1 + 40 * DAY, li, 0),
        (b, jan1 + 45 * DAY, li, 1),
        (c, dec31, wang, 1),
    ] {
        let v = s
            .plan_visit(&as_user(who, on), plan(firm, on, &[who]))
            .await
            .unwrap();
        let findings = (0..n)
            .map(|i| finding("tax", &format!("问题{i}")))
            .collect();
        s.record_enterprise_visit(&as_user(who, on), v.id, record(on, &[who], findings), on)
            .await
            .unwrap();
        visits.push(v.id);
    }
    let first = s.visit(visits[0]).await.unwrap().unwrap();
    s.convert_finding(
        &as_user(wang, jan1 + DAY),
        first.findings[0].id,
        request_of(a, wang, jan1 + DAY),
    )
    .await
    .unwrap();
    // A plan only and a cancelled plan count for nothing.
    s.plan_visit(&as_user(wang, jan1), plan(c, jan1 + 50 * DAY, &[wang]))
        .await
        .unwrap();

    let all = s
        .list_visits(&VisitQuery::default(), Page::number(1, 2))
        .await
        .unwrap();
    assert_eq!(all.total, 5);
    assert_eq!(all.items.len(), 2);
    let found = s
        .list_visits(
            &VisitQuery {
                search: Some("MA1Q000022".to_owned()),
                ..VisitQuery::default()
            },
            Page::number(1, 20),
        )
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].enterprise_name, "通州纺织");
    assert_eq!(found.items[0].staff_names, "li");
    let by_li = s
        .list_visits(
            &VisitQuery {
                staff_id: Some(li),
                state: Some("recorded".to_owned()),
                ..VisitQuery::default()
            },
            Page::number(1, 20),
        )
        .await
        .unwrap();
    assert_eq!(by_li.total, 2);
    let planned = s
        .list_visits(
            &VisitQuery {
                state: Some("planned".to_owned()),
                enterprise_id: Some(c),
                ..VisitQuery::default()
            },
            Page::number(1, 20),
        )
        .await
        .unwrap();
    assert_eq!(planned.total, 1);

    let year = |visited| CoverageQuery {
        from: jan1,
        to: jan1 + 365 * DAY,
        search: None,
        visited,
    };
    let cov = s
        .visit_coverage(&year(None), Page::number(1, 20))
        .await
        .unwrap();
    assert_eq!(cov.total, 3);
    let rows: Vec<(&str, i64, Option<i64>, &str)> = cov
        .items
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.visits,
                r.last_visited_on,
                r.staff_names.as_str(),
            )
        })
        .collect();
    let mut expected = vec![
        ("海安电子", 0, None, ""),
        ("精工机械", 2, Some(jan1 + 40 * DAY), "li、wang"),
        ("通州纺织", 1, Some(jan1 + 45 * DAY), "li"),
    ];
    expected.sort_by(|x, y| x.0.cmp(y.0));
    let mut got = rows.clone();
    got.sort_by(|x, y| x.0.cmp(y.0));
    assert_eq!(got, expected);
    let not_yet = s
        .visit_coverage(&year(Some(false)), Page::number(1, 20))
        .await
        .unwrap();
    assert_eq!(not_yet.total, 1);
    assert_eq!(
        not_yet.items[0].enterprise_id, c,
        "last year's visit is not this year's"
    );
    let visited = s
        .visit_coverage(
            &CoverageQuery {
                search: Some("精工".to_owned()),
                ..year(Some(true))
            },
            Page::number(1, 20),
        )
        .await
        .unwrap();
    assert_eq!(visited.total, 1);

    let stats = s.visit_stats(jan1, jan1 + 365 * DAY).await.unwrap();
    assert_eq!(
        (
            stats.visits,
            stats.enterprises,
            stats.findings,
            stats.converted
        ),
        (3, 2, 3, 1)
    );
    let months: Vec<(&str, i64, i64, i64, i64)> = stats
        .by_month
        .iter()
        .map(|m| {
            (
                m.month.as_str(),
                m.visits,
                m.enterprises,
                m.findings,
                m.converted,
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![("2026-01", 1, 1, 2, 1), ("2026-02", 2, 2, 1, 0)]
    );
    // Half-open: a window ending at jan1 holds only last year's.
    let last_year = s.visit_stats(jan1 - 365 * DAY, jan1).await.unwrap();
    assert_eq!((last_year.visits, last_year.enterprises), (1, 1));
    assert_eq!(last_year.by_month[0].month, "2025-12");
}

pub async fn enterprise_staff_are_assigned_and_audited(store: Arc<dyn Store>) {
    let s = &*store;
    let a = enterprise(s, "精工机械", "91320621MA1Q000011").await;
    let b = enterprise(s, "通州纺织", "91320612MA1Q000022").await;
    let wang = staff(s, "wang", Role::ServiceStaff, T0).await.id;
    let li = staff(s, "li", Role::ServiceStaff, T0).await.id;
    s.assign_enterprise_staff(&admin_ctx(T0), a, vec![wang, li, wang])
        .await
        .unwrap();
    let got = s.enterprise_staff(a).await.unwrap();
    assert_eq!(
        got.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        vec!["li", "wang"]
    );
    assert_eq!(got[0].phone.as_deref(), Some("13800000000"));
    s.assign_enterprise_staff(&admin_ctx(T0 + 1), a, vec![li])
        .await
        .unwrap();
    assert_eq!(s.enterprise_staff(a).await.unwrap().len(), 1);
    assert!(s.enterprise_staff(b).await.unwrap().is_empty());
    expect_not_found(
        s.assign_enterprise_staff(&admin_ctx(T0), Uuid::now_v7(), vec![li])
            .await,
    );

    let listed = s
        .served_enterprises(None, Page::number(1, 1))
        .await
        .unwrap();
    assert_eq!(listed.total, 2);
    assert_eq!(listed.items.len(), 1);
    let found = s
        .served_enterprises(Some("ma1q000011"), Page::number(1, 20))
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].id, a);
    assert_eq!(found.items[0].staff[0].user_id, li);

    let records = assert_chain(s).await;
    let assigned: Vec<_> = records
        .iter()
        .filter(|r| r.action == "enterprise.staff")
        .collect();
    assert_eq!(assigned.len(), 2);
    assert_eq!(assigned[0].object_id, a.to_string());
    assert_eq!(detail(assigned[1])["staff"], serde_json::json!([li]));
}
