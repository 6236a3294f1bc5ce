//! Taking part in a listing (§3): applying alone and jointly, consent, the
//! ineligible list, the bank's signed deposit callback, qualification and
//! bidder numbers, and what each party and the public can see.

mod common;

use axum::http::StatusCode;
use common::exchange::{app, bank, enterprise, listing, SECRET};
use yiwang_core::{Role, Timestamp};

fn account_no(page: &str) -> String {
    let label = "保证金账号</dt><dd>";
    let at = page.find(label).expect("an account number on the page") + label.len();
    page[at..at + 20].to_owned()
}

#[tokio::test]
async fn apply_pay_qualify_and_see_only_what_each_may_see() {
    let app = app().await;
    let id = listing(&app).await;
    let (_, code_a, a) = enterprise(&app, "jianghai").await;

    let form = app
        .get(&format!("/exchange/listings/{id}/apply"), Some(&a))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("2,326,300,000.00 元"));
    let applied = app
        .post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&a))
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let mine = app
        .get(&format!("/exchange/my/{id}?ok=applied"), Some(&a))
        .await;
    assert!(mine.body.contains("等待缴纳保证金"), "{}", mine.body);
    let account = account_no(&mine.body);
    let slip = app.get(&format!("/exchange/my/{id}/slip"), Some(&a)).await;
    assert!(
        slip.body.contains(&account)
            && slip.body.contains("缴款通知单")
            && slip.body.contains("232630 万元")
    );

    // Applying twice is refused by the engine, in Chinese.
    let again = app
        .post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&a))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("申请未被受理"));
    let revisit = app
        .get(&format!("/exchange/listings/{id}/apply"), Some(&a))
        .await;
    assert_eq!(
        revisit.location(),
        Some(format!("/exchange/my/{id}").as_str())
    );

    // A short first payment is credited; the rest qualifies.
    let arrival = |txn: &str, amount: &str| {
        serde_json::json!({"txn_id": txn, "account_no": account, "amount": amount,
            "payer_name": "南通测试置业有限公司", "payer_account": "6222000011112222"})
    };
    let first = bank(&app, arrival("T1", "1000000000"), 0, SECRET).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json()["outcome"], "credited");
    let mine = app.get(&format!("/exchange/my/{id}"), Some(&a)).await;
    assert!(mine.body.contains("尚差") && mine.body.contains("1,326,300,000.00 元"));
    let second = bank(&app, arrival("T2", "1326300000"), 0, SECRET).await;
    assert_eq!(second.json()["outcome"], "credited");
    let mine = app.get(&format!("/exchange/my/{id}"), Some(&a)).await;
    assert!(mine.body.contains("已取得竞买资格"), "{}", mine.body);
    assert!(mine.body.contains("竞买号"));

    // A repeat of the same transaction is harmless and answered the same.
    let repeat = bank(&app, arrival("T2", "1326300000"), 0, SECRET).await;
    assert_eq!(repeat.status, StatusCode::OK);
    assert_eq!(repeat.json()["duplicate"], true);
    let state = app
        .state
        .desk
        .view(id, |l| {
            l.state().applications()[0].credited.to_yuan_string()
        })
        .await
        .unwrap();
    assert_eq!(state, "2326300000.00");

    // Officers see names; the public sees neither names nor codes.
    let officer = app.user("officer1", Role::ExchangeOfficer).await;
    let o = app.session_for(&officer).await;
    let desk = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&o))
        .await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(
        desk.body.contains(&code_a)
            && desk.body.contains("jianghai 有限公司")
            && desk.body.contains("T1")
    );
    let listing_row = app.store.listing(id).await.unwrap().unwrap();
    assert!(!listing_row.summary_json.contains(&code_a));
    let summary: serde_json::Value = serde_json::from_str(&listing_row.summary_json).unwrap();
    assert_eq!(summary["qualified"], 1);
}

#[tokio::test]
async fn bank_callbacks_are_authenticated_and_nothing_is_lost() {
    let app = app().await;
    let id = listing(&app).await;
    let (_, _, a) = enterprise(&app, "haohe").await;
    app.post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&a))
        .await;
    let account = account_no(&app.get(&format!("/exchange/my/{id}"), Some(&a)).await.body);
    let body = serde_json::json!({"txn_id": "X1", "account_no": account, "amount": "100",
        "payer_name": "某公司", "payer_account": "1"});
    let forged = bank(&app, body.clone(), 0, "wrong-secret").await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let stale = bank(&app, body.clone(), -3600, SECRET).await;
    assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
    let refused = app
        .store
        .audit_query(
            &yiwang_store::AuditQuery {
                action: Some("bank.callback_refused".into()),
                ..Default::default()
            },
            yiwang_store::Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(refused.total, 2);
    assert!(app.store.bank_transaction("X1").await.unwrap().is_none());

    let bad_amount = bank(
        &app,
        serde_json::json!({"txn_id": "X2", "account_no": account, "amount": "1.005",
        "payer_name": "某公司", "payer_account": "1"}),
        0,
        SECRET,
    )
    .await;
    assert_eq!(bad_amount.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_amount.json()["error"]["fields"][0]["field"], "amount");

    let unknown = bank(
        &app,
        serde_json::json!({"txn_id": "X3", "account_no": "32069999999999999999", "amount": "500",
        "payer_name": "某公司", "payer_account": "1"}),
        0,
        SECRET,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(unknown.json()["outcome"], "unknown_account");
    assert!(unknown.json()["refund_due_at"].is_string());
    // Recorded all the same, for the refund.
    assert!(app.store.bank_transaction("X3").await.unwrap().is_some());

    // After the deposit deadline the money is refused as late, and kept for refund.
    app.clock
        .set(Timestamp::parse_rfc3339("2026-12-08T11:00:00+08:00").unwrap());
    let late = bank(
        &app,
        serde_json::json!({"txn_id": "X4", "account_no": account, "amount": "2326300000",
        "payer_name": "某公司", "payer_account": "1"}),
        0,
        SECRET,
    )
    .await;
    assert_eq!(late.json()["outcome"], "late");
    // 2026-12-08 is a Tuesday: five working days later is Tuesday 12-15.
    assert!(late.json()["refund_due_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-12-15T11:00:00"));
}

#[tokio::test]
async fn joint_applications_need_every_partner_to_consent() {
    let app = app().await;
    let id = listing(&app).await;
    let (_, _, lead) = enterprise(&app, "lead1").await;
    let (_, partner_code, partner) = enterprise(&app, "partner1").await;

    let bad = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[
                ("partner_code_1", "91320600MA1W00000X"),
                ("partner_share_1", "abc"),
            ],
            Some(&lead),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("data-field=\"partner_code_1\"")
            && bad.body.contains("data-field=\"partner_share_1\"")
    );
    let all_shares = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[
                ("partner_code_1", &partner_code),
                ("partner_share_1", "100"),
            ],
            Some(&lead),
        )
        .await;
    assert_eq!(all_shares.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        all_shares.body.contains("申请未被受理"),
        "{}",
        all_shares.body
    );

    let ok = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[("partner_code_1", &partner_code), ("partner_share_1", "30")],
            Some(&lead),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The partner sees the invitation in its own account and consents.
    let list = app.get("/exchange/my", Some(&partner)).await;
    assert!(
        list.body.contains("联合竞买方") && list.body.contains("待您确认"),
        "{}",
        list.body
    );
    let page = app.get(&format!("/exchange/my/{id}"), Some(&partner)).await;
    assert!(page.body.contains("确认参加联合竞买"));
    let consent = app
        .post_form(&format!("/exchange/my/{id}/consent"), &[], Some(&partner))
        .await;
    assert_eq!(consent.status, StatusCode::SEE_OTHER);
    let twice = app
        .post_form(&format!("/exchange/my/{id}/consent"), &[], Some(&partner))
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The partner cannot apply on its own any more.
    let alone = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[],
            Some(&partner),
        )
        .await;
    assert_eq!(alone.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(alone.body.contains("申请未被受理"));
}

#[tokio::test]
async fn the_ineligible_list_refuses_applications() {
    let app = app().await;
    let id = listing(&app).await;
    let (_, code, a) = enterprise(&app, "arrears1").await;
    let officer = app.user("officer2", Role::ExchangeOfficer).await;
    let o = app.session_for(&officer).await;
    let bad = app
        .post_form(
            "/exchange/admin/ineligible",
            &[
                ("credit_code", "123"),
                ("name", ""),
                ("kind", "x"),
                ("reason", ""),
            ],
            Some(&o),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["credit_code", "name", "kind", "reason"] {
        assert!(
            bad.body.contains(&format!("data-field=\"{field}\"")),
            "{field}"
        );
    }
    let added = app
        .post_form(
            "/exchange/admin/ineligible",
            &[
                ("credit_code", &code),
                ("name", "欠费公司"),
                ("kind", "arrears"),
                ("reason", "欠缴土地出让金（2025）"),
            ],
            Some(&o),
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let refused = app
        .post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&a))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("申请未被受理"));
    // Lifted: the same enterprise may apply.
    let list = app.get("/exchange/admin/ineligible", Some(&o)).await;
    let at = list.body.find("/exchange/admin/ineligible/").unwrap()
        + "/exchange/admin/ineligible/".len();
    let entry = &list.body[at..at + 36];
    let lifted = app
        .post_form(
            &format!("/exchange/admin/ineligible/{entry}/lift"),
            &[],
            Some(&o),
        )
        .await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER);
    let ok = app
        .post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&a))
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    // Both decisions are in the listing's log.
    let events = app.store.events(id, 0, 100).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "ineligible_set").count(),
        2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"action_refused") && kinds.contains(&"applied"));
}
