//! Enterprise visits (千企询访) and service cards for the demo.
//!
//! The bureau's service staff — `service` (孙立新) and, named after the seed's
//! branch secretaries who led the visits and handed out the cards,
//! `service2` (徐蔚冰) and `service3` (贲友华) — are assigned to every
//! registered enterprise in turn (服务专员). Twenty-four manufacturers of
//! Tongzhou register for the visits (accounts `qy01`–`qy24`, with the demo
//! password), so that the coverage report and the bulk print of cards have
//! a district's worth of rows.
//!
//! This year [`VISITED_MANUFACTURERS`] of the 24 manufacturers and every
//! other demo enterprise are visited ([`VISITS`] recorded visits from January
//! to last week, [`FINDINGS`] findings); the findings of the latest visits
//! are turned into requests ([`CONVERTED`]), those already due answered by
//! their departments; three plans lie ahead and one was cancelled.
//!
//! Everything is derived from the clock's now and fixed data. Loading is
//! idempotent: a database with visits is left as it is.

use uuid::Uuid;
use yiwang_core::{CreditCode, Role, Timestamp};
use yiwang_services::visits::{day_start, finding_request, year_window};
use yiwang_store::requests::{NewPart, NewRequest};
use yiwang_store::visits::{NewFinding, NewVisit, VisitQuery, VisitRecord};
use yiwang_store::{AuditCtx, NewEnterprise, NewUser, Page, StoreError, UserQuery};
use yiwang_web::AppState;

use crate::demo::Login;

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;

/// The manufacturers registered for the visits.
pub const MANUFACTURERS: usize = 24;
/// Of them, visited this year (the others are "not yet visited").
pub const VISITED_MANUFACTURERS: usize = 20;
/// Recorded visits this year.
pub const VISITS: usize = 40;
/// Their findings.
pub const FINDINGS: usize = 50;
/// Findings turned into requests.
pub const CONVERTED: usize = 6;
/// Plans ahead.
pub const PLANNED: usize = 3;

/// The service staff added for the visits: (username, name, phone).
const STAFF: [(&str, &str, &str); 2] = [
    ("service2", "徐蔚冰（工信局机关三支部）", "0513-85000013"),
    ("service3", "贲友华（工信局机关二支部）", "0513-85000014"),
];

const TRADES: [&str; 8] = [
    "精密机械",
    "纺织科技",
    "船舶配件",
    "电子材料",
    "新材料",
    "智能装备",
    "食品",
    "家纺",
];

/// The findings the visits record, by kind.
const FINDINGS_TEXT: [(&str, &str); 10] = [
    (
        "tech_transformation",
        "计划上马智能化生产线，希望了解智能化改造专项资金申报条件",
    ),
    (
        "financing",
        "订单增加，流动资金缺口约 500 万元，希望对接银行信贷产品",
    ),
    (
        "talent",
        "数控操作工短缺约 20 人，希望参加新型学徒制并对接职业院校",
    ),
    (
        "tax",
        "研发费用加计扣除政策适用范围不清楚，希望税务部门上门辅导",
    ),
    ("land", "二期厂房扩建用地指标尚未落实，希望协调用地规划"),
    ("safety", "涂装车间通风改造后需要安全评价指导"),
    ("policy", "希望了解专精特新企业认定条件和奖励政策"),
    ("financing", "设备更新希望申请技改贴息贷款"),
    ("talent", "高级技工外流，希望了解人才安居政策"),
    (
        "tech_transformation",
        "希望对接工业互联网平台服务商，开展设备上云",
    ),
];

const PEOPLE: [&str; 4] = [
    "总经理、生产副总",
    "董事长、财务总监",
    "总经理、人事经理",
    "厂长、安全主管",
];

fn code(i: usize) -> anyhow::Result<String> {
    Ok(
        CreditCode::with_check_char(&format!("91320612MA1R{:05}", 300 + i))
            .map_err(|e| anyhow::anyhow!("demo credit code: {e}"))?
            .as_str()
            .to_owned(),
    )
}

/// Loads the staff, the manufacturers, the assignments and the visits.
pub async fn load(app: &AppState, password_hash: &str) -> anyhow::Result<Vec<Login>> {
    let store = &*app.store;
    let now = app.clock.now();
    let logins = STAFF
        .iter()
        .map(|(username, name, _)| Login {
            username,
            role: Role::ServiceStaff,
            name: (*name).to_owned(),
            other_department: false,
        })
        .collect();
    let done = store
        .list_visits(&VisitQuery::default(), Page::number(1, 1))
        .await?;
    if done.total > 0 {
        return Ok(logins);
    }
    let today = now.shanghai_date();
    let (jan1, _) =
        year_window(today.year()).ok_or_else(|| anyhow::anyhow!("demo year out of range"))?;
    let at = |micros: i64| AuditCtx::system("demo", micros);
    let setup = at(jan1 - 30 * DAY);
    for (username, name, phone) in STAFF {
        let user = NewUser {
            username: username.to_owned(),
            display_name: name.to_owned(),
            role: Role::ServiceStaff,
            phone: Some(phone.to_owned()),
            password_hash: password_hash.to_owned(),
        };
        match store.create_staff(&setup, user).await {
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut manufacturers = Vec::new();
    for i in 0..MANUFACTURERS {
        let name = format!("南通通州{}{}有限公司", TRADES[i % TRADES.len()], i + 1);
        let phone = format!("139{:08}", 62_000_000 + i);
        let enterprise = NewEnterprise {
            name: name.clone(),
            credit_code: code(i)?,
            legal_rep: "法定代表人".to_owned(),
            contact_name: format!("联系人{}", i + 1),
            contact_phone: phone.clone(),
        };
        let user = NewUser {
            username: format!("qy{:02}", i + 1),
            display_name: name,
            role: Role::Bidder,
            phone: Some(phone),
            password_hash: password_hash.to_owned(),
        };
        match store.register_enterprise(&setup, enterprise, user).await {
            Ok((e, _)) => manufacturers.push(e),
            Err(StoreError::Conflict { .. }) => {
                if let Some(e) = store.enterprise_by_credit_code(&code(i)?).await? {
                    manufacturers.push(e);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }

    // The service staff, and every registered enterprise's 服务专员 in turn.
    let mut staff = store
        .list_users(
            &UserQuery {
                role: Some(Role::ServiceStaff),
                search: None,
                active: Some(true),
            },
            Page::number(1, 50),
        )
        .await?
        .items;
    staff.sort_by(|a, b| a.username.cmp(&b.username));
    if staff.is_empty() {
        anyhow::bail!("the demo has no service staff to visit enterprises");
    }
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let found = store
            .served_enterprises(None, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let n = found.items.len();
        all.extend(found.items);
        if n == 0 || all.len() as u64 >= found.total {
            break;
        }
        page += 1;
    }
    for (i, e) in all.iter().enumerate() {
        store
            .assign_enterprise_staff(&setup, e.id, vec![staff[i % staff.len()].id])
            .await?;
    }

    // Who is visited: 20 manufacturers, plus the first demo enterprises
    // (not the manufacturers) so their service pages show visits too.
    let mut visited: Vec<Uuid> = manufacturers
        .iter()
        .take(VISITED_MANUFACTURERS)
        .map(|e| e.id)
        .collect();
    let ids: Vec<Uuid> = manufacturers.iter().map(|e| e.id).collect();
    visited.extend(all.iter().filter(|e| !ids.contains(&e.id)).map(|e| e.id));

    // Visit days from 2 January to a week ago, spread evenly.
    let last = (today.ordinal() as i64 - 8).max(1);
    let mut findings_left = FINDINGS;
    let mut latest = Vec::new();
    for k in 0..VISITS {
        let enterprise = visited[k % visited.len()];
        let offset = 1 + (last - 1) * k as i64 / (VISITS as i64 - 1).max(1);
        let day = jan1 + offset.min(last) * DAY;
        let who = vec![staff[k % staff.len()].id, staff[(k + 1) % staff.len()].id];
        let v = store
            .plan_visit(
                &at(day - 7 * DAY + 9 * HOUR),
                NewVisit {
                    id: Uuid::now_v7(),
                    enterprise_id: enterprise,
                    planned_on: day,
                    purpose: "千企询访：了解生产经营情况和困难诉求".to_owned(),
                    staff: who.clone(),
                },
            )
            .await?;
        // One or two findings a visit, fifty in all.
        let visits_left = VISITS - k;
        let n = if findings_left > visits_left { 2 } else { 1 }.min(findings_left);
        findings_left -= n;
        let findings = (0..n)
            .map(|j| {
                let (kind, text) = FINDINGS_TEXT[(k * 3 + j) % FINDINGS_TEXT.len()];
                NewFinding {
                    id: Uuid::now_v7(),
                    category: kind.to_owned(),
                    text: text.to_owned(),
                }
            })
            .collect();
        store
            .record_enterprise_visit(
                &at(day + 17 * HOUR),
                v.id,
                VisitRecord {
                    visited_on: day,
                    people_met: PEOPLE[k % PEOPLE.len()].to_owned(),
                    staff: who,
                    findings,
                },
                i64::MIN,
            )
            .await?;
        latest.push((v.id, v.number, day, enterprise));
    }

    // The latest visits' findings become requests the next morning; the
    // departments answer those already due.
    let mut converted = 0;
    for (visit_id, number, day, enterprise_id) in latest.iter().rev() {
        if converted == CONVERTED {
            break;
        }
        let Some(detail) = store.visit(*visit_id).await? else {
            continue;
        };
        let Some(e) = store.enterprise(*enterprise_id).await? else {
            continue;
        };
        let f = &detail.findings[0];
        let submitted = day + DAY + 9 * HOUR;
        let ctx = AuditCtx {
            actor_id: detail.staff.first().map(|s| s.user_id),
            ..at(submitted)
        };
        let routing = app
            .requests
            .route(
                &f.category,
                Timestamp::from_micros(submitted),
                &app.calendar,
            )
            .map_err(|r| anyhow::anyhow!("demo finding kind {}: {r}", f.category))?;
        let (title, content) = finding_request(number, *day, &e.name, &f.text);
        let request = store
            .convert_finding(
                &ctx,
                f.id,
                NewRequest {
                    id: Uuid::now_v7(),
                    enterprise_id: e.id,
                    enterprise_name: e.name.clone(),
                    submitter_id: ctx.actor_id.unwrap_or_default(),
                    category: f.category.clone(),
                    title,
                    content,
                    contact_name: e.contact_name.clone(),
                    contact_phone: e.contact_phone.clone(),
                    share_contact: false,
                    submitted_at: submitted,
                    parts: routing
                        .iter()
                        .map(|r| NewPart {
                            department: r.department.clone(),
                            assigned_at: submitted,
                            due_at: r.due_at.micros(),
                        })
                        .collect(),
                },
            )
            .await?;
        for r in &routing {
            let answer_at = submitted + 2 * DAY;
            if r.due_at.micros() <= now.micros() && answer_at <= now.micros() {
                let name = app.requests.department_name(&r.department).to_owned();
                store
                    .reply_request_part(
                        &at(answer_at),
                        request.id,
                        &r.department,
                        &name,
                        "已与企业联系，走访中反映的问题已安排专人对接，相关政策和办理渠道已当面告知。",
                    )
                    .await?;
            }
        }
        converted += 1;
    }

    // Plans ahead, and one cancelled.
    for k in 0..=PLANNED {
        let enterprise = visited[(k * 5) % visited.len()];
        let day = day_start(today) + (3 + 4 * k as i64) * DAY;
        let v = store
            .plan_visit(
                &at(now.micros() - DAY),
                NewVisit {
                    id: Uuid::now_v7(),
                    enterprise_id: enterprise,
                    planned_on: day,
                    purpose: "回访走访中反映问题的办理情况".to_owned(),
                    staff: vec![staff[k % staff.len()].id],
                },
            )
            .await?;
        if k == PLANNED {
            store
                .cancel_visit(&at(now.micros() - HOUR), v.id, "企业年底停产检修，改期走访")
                .await?;
        }
    }
    Ok(logins)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use yiwang_core::ManualClock;
    use yiwang_store::visits::CoverageQuery;
    use yiwang_web::Config;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_visits_most_enterprises_this_year_and_loads_once() {
        let (store, _dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        // 2026-11-26 10:00 in Shanghai.
        let clock = ManualClock::new(Timestamp::from_micros(1_795_658_400_000_000));
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        let ctx = AuditCtx::system("test", app.clock.now().micros());
        app.store
            .create_staff(
                &ctx,
                NewUser {
                    username: "service".into(),
                    display_name: "孙立新（工信局）".into(),
                    role: Role::ServiceStaff,
                    phone: Some("0513-85000007".into()),
                    password_hash: "x".into(),
                },
            )
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let logins = load(&app, "x").await.unwrap();
        let took = started.elapsed();
        assert_eq!(logins.len(), 2);
        assert!(took.as_millis() < 5_000, "the demo's visits took {took:?}");

        let (from, to) = yiwang_services::visits::year_window(2026).unwrap();
        let stats = app.store.visit_stats(from, to).await.unwrap();
        assert_eq!(stats.visits, VISITS as i64);
        assert_eq!(stats.enterprises, VISITED_MANUFACTURERS as i64);
        assert_eq!(stats.findings, FINDINGS as i64);
        assert_eq!(stats.converted, CONVERTED as i64);
        assert_eq!(stats.by_month.first().unwrap().month, "2026-01");
        assert_eq!(stats.by_month.last().unwrap().month, "2026-11");
        assert_eq!(stats.by_month.len(), 11);
        let not_yet = app
            .store
            .visit_coverage(
                &CoverageQuery {
                    from,
                    to,
                    search: None,
                    visited: Some(false),
                },
                Page::number(1, 50),
            )
            .await
            .unwrap();
        assert_eq!(
            not_yet.total,
            (MANUFACTURERS - VISITED_MANUFACTURERS) as u64
        );
        // Every enterprise has its 服务专员, with a phone for the card.
        let served = app
            .store
            .served_enterprises(None, Page::number(1, 100))
            .await
            .unwrap();
        assert_eq!(served.total, MANUFACTURERS as u64);
        assert!(served
            .items
            .iter()
            .all(|e| e.staff.len() == 1 && e.staff[0].phone.is_some()));
        let planned = app
            .store
            .list_visits(
                &VisitQuery {
                    state: Some("planned".into()),
                    ..VisitQuery::default()
                },
                Page::number(1, 10),
            )
            .await
            .unwrap();
        assert_eq!(planned.total, PLANNED as u64);
        // The converted requests are linked to their visits.
        let requests = app
            .store
            .list_requests(&Default::default(), Page::number(1, 50))
            .await
            .unwrap();
        assert_eq!(requests.total, CONVERTED as u64);
        for r in &requests.items {
            assert!(app.store.visit_of_request(r.id).await.unwrap().is_some());
        }
        assert!(requests.items.iter().any(|r| r.state == "answered"));

        // Again: nothing more.
        load(&app, "x").await.unwrap();
        let again = app.store.visit_stats(from, to).await.unwrap();
        assert_eq!(again.visits, VISITS as i64);
    }
}
