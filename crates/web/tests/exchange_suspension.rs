//! Suspension (issue 4, item 8): an officer suspends a listing with a
//! reason and resumes it with a new schedule; both are events the live page
//! shows, bids during the suspension are refused, and who did it is audited.

mod common;

use axum::http::StatusCode;
use common::exchange::{app, enterprise, listing};
use common::TestApp;
use uuid::Uuid;
use yiwang_core::{Money, Role, Timestamp};
use yiwang_exchange::engine::{Action, Party};
use yiwang_store::{AuditQuery, Page};

async fn officer(app: &TestApp) -> String {
    let user = app.user("officer1", Role::ExchangeOfficer).await;
    app.session_for(&user).await
}

/// An enterprise applied and paid up through the desk; returns its session.
async fn bidder(app: &TestApp, id: Uuid) -> String {
    let (_, code, s) = enterprise(app, "jianghai").await;
    let r = app
        .post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&s))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let deposit = Action::Deposit {
        party: Party::parse(&code).unwrap(),
        amount: Money::parse_yuan("2326300000").unwrap(),
    };
    let acted = app.state.desk.act(id, &deposit, vec![]).await.unwrap();
    assert!(acted.verdict.is_accepted());
    s
}

async fn bid(app: &TestApp, id: Uuid, session: &str, price: &str, key: &str) -> common::Answer {
    app.post_form(
        &format!("/exchange/listings/{id}/live/act"),
        &[("action", "bid"), ("price", price), ("key", key)],
        Some(session),
    )
    .await
}

/// The audit records with exactly this action (the query matches by
/// prefix: `….resume` also finds `….resume.refused`).
async fn audited(app: &TestApp, action: &str) -> Vec<yiwang_store::AuditRecord> {
    let mut records = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some(action.into()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap()
        .items;
    records.retain(|r| r.action == action);
    records
}

fn detail(record: &yiwang_store::AuditRecord) -> serde_json::Value {
    serde_json::from_str(&record.detail).unwrap()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

#[tokio::test]
async fn officers_suspend_with_a_reason_and_resume_with_a_new_schedule() {
    let app = app().await;
    let id = listing(&app).await;
    let b = bidder(&app, id).await;
    let o = officer(&app).await;
    let suspend = format!("/exchange/admin/listings/{id}/suspend");
    let resume = format!("/exchange/admin/listings/{id}/resume");

    // The running listing offers the suspension form only.
    let page = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&o))
        .await;
    assert!(page.body.contains("中止交易") && !page.body.contains("恢复交易</button>"));

    // A reason is required; nothing is logged without one.
    let head = app.store.head(id).await.unwrap().unwrap().seq;
    let empty = app.post_form(&suspend, &[("reason", "  ")], Some(&o)).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty.body.contains("请填写中止交易的原因"),
        "{}",
        empty.body
    );
    let long = "故".repeat(201);
    let too_long = app
        .post_form(&suspend, &[("reason", &long)], Some(&o))
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.body.contains("不得超过 200 个字"));
    assert_eq!(app.store.head(id).await.unwrap().unwrap().seq, head);

    let done = app
        .post_form(&suspend, &[("reason", "交易系统故障")], Some(&o))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        Some(format!("/exchange/admin/listings/{id}#suspension").as_str())
    );

    // An event of the log, shown on the public live page.
    let events = app.store.events(id, head, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "suspended");
    let live = app
        .get(&format!("/exchange/listings/{id}/live"), None)
        .await;
    assert!(live.body.contains("交易系统故障"), "{}", live.body);

    // Audited with the officer as actor.
    let records = audited(&app, "exchange.listing.suspend").await;
    assert_eq!(records.len(), 1);
    assert!(records[0].actor_id.is_some());
    assert_eq!(detail(&records[0])["reason"], "交易系统故障");

    // Bids are refused while suspended, and a second suspension too.
    let refused = bid(&app, id, &b, "18470", "s-1").await;
    assert!(
        refused.body.contains("本宗地交易已中止"),
        "{}",
        refused.body
    );
    let again = app
        .post_form(&suspend, &[("reason", "再次中止")], Some(&o))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("已处于中止状态"), "{}", again.body);
    assert_eq!(
        audited(&app, "exchange.listing.suspend.refused")
            .await
            .len(),
        1
    );

    // The officer's page now offers the resumption, pre-filled with the
    // schedule in force (listing end 2026-12-10 11:00).
    let page = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&o))
        .await;
    assert!(page.body.contains("交易已中止：交易系统故障"));
    assert!(
        page.body.contains("value=\"2026-12-10T11:00\""),
        "{}",
        page.body
    );

    // Bad schedules are refused in Chinese and change nothing.
    let fields = |end: &'static str| {
        vec![
            ("application_deadline", "2026-12-08T11:00"),
            ("deposit_deadline", "2026-12-08T11:00"),
            ("listing_end", end),
        ]
    };
    let garbled = app.post_form(&resume, &fields("下周"), Some(&o)).await;
    assert_eq!(garbled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(garbled.body.contains("不是有效的时间"), "{}", garbled.body);
    let early = app
        .post_form(&resume, &fields("2026-12-07T11:00"), Some(&o))
        .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        early.body.contains("不得晚于挂牌截止时间"),
        "{}",
        early.body
    );
    let past = app
        .post_form(
            &resume,
            &[
                ("application_deadline", "2026-11-25T11:00"),
                ("deposit_deadline", "2026-11-25T11:00"),
                ("listing_end", "2026-11-25T12:00"),
            ],
            Some(&o),
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        past.body.contains("截止时间须晚于恢复时间"),
        "{}",
        past.body
    );
    let still = app
        .state
        .desk
        .view(id, |l| l.state().suspension().map(str::to_owned))
        .await
        .unwrap();
    assert_eq!(still.as_deref(), Some("交易系统故障"));

    // A good schedule resumes the listing with the new end.
    let resumed = app
        .post_form(&resume, &fields("2026-12-14T11:00"), Some(&o))
        .await;
    assert_eq!(resumed.status, StatusCode::SEE_OTHER, "{}", resumed.body);
    let (suspended, end) = app
        .state
        .desk
        .view(id, |l| {
            (
                l.state().suspension().is_some(),
                l.state().schedule().listing_end,
            )
        })
        .await
        .unwrap();
    assert!(!suspended);
    assert_eq!(end, ts("2026-12-14T11:00:00+08:00"));
    // The refused attempt that reached the desk, then the resumption.
    let records = audited(&app, "exchange.listing.resume").await;
    assert_eq!(records.len(), 2);
    assert_eq!(
        audited(&app, "exchange.listing.resume.refused").await.len(),
        1
    );
    assert_eq!(
        detail(records.iter().max_by_key(|r| r.seq).unwrap())["listing_end"],
        "2026-12-14T11:00:00+08:00"
    );
    let kinds: Vec<String> = app
        .store
        .events(id, head, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("resumed"));

    // Bids are taken again.
    let ok = bid(&app, id, &b, "18470", "s-2").await;
    assert!(ok.body.contains("报价 18,470.00 已确认"), "{}", ok.body);
}
