//! Results of a listing (issue 4 item 7): the 成交公示 with the winner's
//! names only once decided, the confirmation of sale for the winner and
//! officers only, refunds due 5 working days after the decision and
//! recorded by officers, a failed listing's reason, the officers' workbook.

mod common;

use std::collections::BTreeMap;

use axum::http::{header, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::exchange::{app, bank, enterprise, SECRET};
use common::{Answer, NowMicros, TestApp};
use uuid::Uuid;
use yiwang_core::{Money, Role, Timestamp};
use yiwang_exchange::engine::{Action, Party};
use yiwang_exchange::notice::seed;
use yiwang_exchange::scenario::Scenario;
use yiwang_store::exchange::{NewListing, NewNotice};
use yiwang_store::{AuditCtx, AuditQuery, Page, User};
use yiwang_web::exchange::notice_data::NoticeBody;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

/// R20042 from the seed's notice 第61号 (限房价竞地价, housing price cap
/// 21,500 元/m²), listed until Thursday 10 December 2026 11:00.
async fn listing(app: &TestApp) -> Uuid {
    let ctx = AuditCtx::system("test", app.clock.now_micros());
    let body = NoticeBody {
        notice: seed::notice_61(),
        districts: BTreeMap::new(),
    };
    let notice = app
        .store
        .create_notice(
            &ctx,
            NewNotice {
                number: "通自然资规告出网(2026)第1号".into(),
                title: "南通市市区国有建设用地使用权出让公告".into(),
                body_json: body.to_json(),
            },
        )
        .await
        .unwrap();
    let rules = Scenario::parse(common::exchange::RULES).unwrap().rules;
    let s = rules.schedule;
    let (_, rows) = app
        .store
        .publish_notice(
            &ctx,
            notice.id,
            notice.version,
            app.clock.now_micros(),
            vec![NewListing {
                code: "R20042".into(),
                location: "龙腾路东、星湖大道北".into(),
                land_use: "居住用地".into(),
                district: "崇川区".into(),
                start_price_fen: 1_847_000,
                listing_start: s.listing_start.micros(),
                listing_end: s.listing_end.micros(),
                application_start: s.application_start.micros(),
                application_deadline: s.application_deadline.micros(),
                rules_json: "{}".into(),
                summary_json: "{}".into(),
                status: "open".into(),
            }],
        )
        .await
        .unwrap();
    let id = rows[0].id;
    app.state.desk.open(id, rules).await.unwrap();
    id
}

fn account_no(page: &str) -> String {
    let label = "保证金账号</dt><dd>";
    let at = page.find(label).expect("an account number on the page") + label.len();
    page[at..at + 20].to_owned()
}

async fn my_account(app: &TestApp, id: Uuid, session: &str) -> String {
    account_no(
        &app.get(&format!("/exchange/my/{id}"), Some(session))
            .await
            .body,
    )
}

async fn pay(app: &TestApp, txn: &str, account: &str, amount: &str, payer: &str) -> Answer {
    bank(
        app,
        serde_json::json!({"txn_id": txn, "account_no": account, "amount": amount,
            "payer_name": payer, "payer_account": "6222000011112222"}),
        0,
        SECRET,
    )
    .await
}

async fn bid(app: &TestApp, id: Uuid, code: &str, price: &str) {
    let action = Action::Bid {
        party: Party::parse(code).unwrap(),
        price: Money::parse_yuan(price).unwrap(),
    };
    let acted = app.state.desk.act(id, &action, vec![]).await.unwrap();
    assert!(acted.verdict.is_accepted(), "{:?}", acted.verdict);
}

struct Bidder {
    user: User,
    code: String,
}

struct Setup {
    app: TestApp,
    id: Uuid,
    /// The joint application's lead (70%), who wins.
    lead: Bidder,
    /// Its partner (30%).
    partner: Bidder,
    /// Bids and loses.
    loser: Bidder,
    /// Pays after the deposit deadline.
    late: Bidder,
    officer: User,
}

impl Setup {
    /// A fresh session (the clock moves by days in these tests).
    async fn session(&self, user: &User) -> String {
        self.app.session_for(user).await
    }
}

/// A joint application (jianghai 70%, huatong 30%) and haohe qualify and
/// bid; lvyuan applies and pays after the deposit deadline.
async fn setup() -> Setup {
    let app = app().await;
    let id = listing(&app).await;
    let (lead_user, lead_code, lead) = enterprise(&app, "jianghai").await;
    let (partner_user, partner_code, partner) = enterprise(&app, "huatong").await;
    let (loser_user, loser_code, loser) = enterprise(&app, "haohe").await;
    let (late_user, late_code, late) = enterprise(&app, "lvyuan").await;

    let applied = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[
                ("partner_code_1", partner_code.as_str()),
                ("partner_share_1", "30"),
            ],
            Some(&lead),
        )
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let consent = app
        .post_form(&format!("/exchange/my/{id}/consent"), &[], Some(&partner))
        .await;
    assert_eq!(consent.status, StatusCode::SEE_OTHER, "{}", consent.body);
    for session in [&loser, &late] {
        let r = app
            .post_form(
                &format!("/exchange/listings/{id}/apply"),
                &[],
                Some(session),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let lead_account = my_account(&app, id, &lead).await;
    let loser_account = my_account(&app, id, &loser).await;
    let late_account = my_account(&app, id, &late).await;
    let paid = pay(
        &app,
        "BK-1",
        &lead_account,
        "2326300000",
        "jianghai 有限公司",
    )
    .await;
    assert_eq!(paid.json()["outcome"], "credited", "{}", paid.body);
    let paid = pay(&app, "BK-2", &loser_account, "2326300000", "haohe 有限公司").await;
    assert_eq!(paid.json()["outcome"], "credited", "{}", paid.body);

    bid(&app, id, &lead_code, "18470").await;
    bid(&app, id, &loser_code, "18480").await;
    bid(&app, id, &lead_code, "18490").await;

    // After the deposit deadline (Tuesday 8 December 11:00): late, due back
    // 5 working days after it arrived.
    app.clock.set(ts("2026-12-08T12:00:00+08:00"));
    let paid = pay(&app, "BK-3", &late_account, "2326300000", "lvyuan 有限公司").await;
    assert_eq!(paid.json()["outcome"], "late", "{}", paid.body);
    assert_eq!(
        paid.json()["refund_due_at"],
        "2026-12-15T12:00:00+08:00",
        "{}",
        paid.body
    );

    let officer = app.user("officer1", Role::ExchangeOfficer).await;
    Setup {
        app,
        id,
        lead: Bidder {
            user: lead_user,
            code: lead_code,
        },
        partner: Bidder {
            user: partner_user,
            code: partner_code,
        },
        loser: Bidder {
            user: loser_user,
            code: loser_code,
        },
        late: Bidder {
            user: late_user,
            code: late_code,
        },
        officer,
    }
}

/// No name, code or winner anywhere public before the decision.
fn assert_no_names(s: &Setup, body: &str, what: &str) {
    for name in ["jianghai", "huatong", "haohe", "lvyuan"] {
        assert!(!body.contains(name), "{what} shows {name}: {body}");
    }
    for code in [&s.lead.code, &s.partner.code, &s.loser.code, &s.late.code] {
        assert!(!body.contains(code.as_str()), "{what} shows {code}");
    }
}

async fn download(app: &TestApp, path: &str, session: &str) -> (Answer, Vec<u8>) {
    app.download(path, Some(session)).await
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn sheet_rows(book: &mut Xlsx<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

#[tokio::test]
async fn the_result_is_published_with_names_only_once_decided() {
    let s = setup().await;
    let (app, id) = (&s.app, s.id);

    // Before the decision: not published, no names anywhere.
    app.clock.set(ts("2026-12-10T10:59:59+08:00"));
    let page = app
        .get(&format!("/exchange/listings/{id}/result"), None)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("交易结果尚未公布"), "{}", page.body);
    assert!(!page.body.contains("成交价"));
    assert_no_names(&s, &page.body, "the result page");
    let list = app.get("/exchange/results", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("共 0 宗"), "{}", list.body);
    assert_no_names(&s, &list.body, "the results list");
    let api = app.get("/api/v1/results", None).await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.json()["total"], 0);
    assert_eq!(api.json()["items"], serde_json::json!([]));
    assert_no_names(&s, &api.body, "the results API");
    // Nobody has a confirmation yet, not even the future winner.
    let lead = s.session(&s.lead.user).await;
    let early = app
        .get(
            &format!("/exchange/listings/{id}/confirmation"),
            Some(&lead),
        )
        .await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);

    // The listing ends on Thursday 10 December 11:00 with no timed round.
    app.clock.set(ts("2026-12-10T11:00:00+08:00"));
    let page = app
        .get(&format!("/exchange/listings/{id}/result"), None)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("成交公示"), "{}", page.body);
    assert!(
        page.body
            .contains("jianghai 有限公司（牵头方，份额 70.00%）"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("huatong 有限公司（联合竞买方，份额 30.00%）"));
    assert!(page.body.contains("18,490.00 元/平方米"));
    // 18490 × 125949.79 m².
    assert!(page.body.contains("2,328,811,617.10 元"), "{}", page.body);
    assert!(page.body.contains("2026年12月10日 11:00:00"));
    assert!(!page.body.contains("haohe"), "the loser is not named");
    assert!(
        !page.body.contains("打印成交确认书"),
        "the public has no confirmation link"
    );

    // The listing page and the live room link to it.
    let listing = app.get(&format!("/exchange/listings/{id}"), None).await;
    assert!(listing
        .body
        .contains(&format!("/exchange/listings/{id}/result")));
    let live = app
        .get(&format!("/exchange/listings/{id}/live"), None)
        .await;
    assert!(live
        .body
        .contains(&format!("/exchange/listings/{id}/result")));

    let list = app.get("/exchange/results", None).await;
    assert!(list.body.contains("共 1 宗"), "{}", list.body);
    assert!(list.body.contains("jianghai 有限公司、huatong 有限公司"));
    let api = app.get("/api/v1/results", None).await.json();
    assert_eq!(api["total"], 1);
    let item = &api["items"][0];
    assert_eq!(item["code"], "R20042");
    assert_eq!(item["outcome"], "sold");
    assert_eq!(item["price"], "18490.00");
    assert_eq!(item["price_basis"], "unit");
    assert_eq!(item["total_price"], "2328811617.10");
    assert_eq!(item["decided_at"], "2026-12-10T11:00:00+08:00");
    assert_eq!(item["winners"][0]["name"], "jianghai 有限公司");
    assert_eq!(item["winners"][0]["credit_code"], s.lead.code.as_str());
    assert_eq!(item["winners"][0]["lead"], true);
    assert_eq!(item["winners"][1]["name"], "huatong 有限公司");
    assert_eq!(item["winners"][1]["share"], "30.00");
    assert!(item["bidder_no"].as_u64().is_some());
}

#[tokio::test]
async fn only_the_winner_and_officers_see_the_confirmation() {
    let s = setup().await;
    let (app, id) = (&s.app, s.id);
    app.clock.set(ts("2026-12-10T11:00:05+08:00"));
    let path = format!("/exchange/listings/{id}/confirmation");

    for user in [&s.lead.user, &s.partner.user, &s.officer] {
        let session = s.session(user).await;
        let page = app.get(&path, Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let b = &page.body;
        assert!(b.contains("成交确认书"), "{b}");
        assert!(b.contains("jianghai 有限公司") && b.contains("huatong 有限公司"));
        assert!(b.contains(&s.lead.code) && b.contains(&s.partner.code));
        assert!(b.contains("18,490.00 元/平方米"));
        assert!(b.contains("2,328,811,617.10 元"));
        assert!(b.contains("2026年12月10日"));
        // The parcel's conditions from the notice, the housing price cap included.
        assert!(b.contains("房屋最高备案指导均价"), "{b}");
        assert!(b.contains("21,500.00 元/平方米"), "{b}");
        assert!(b.contains("本地块竞买实行限房价竞地价不摇号"));
        for label in [
            "用地性质",
            "出让年期",
            "土地面积",
            "容积率",
            "建筑密度",
            "绿地率",
        ] {
            assert!(b.contains(label), "{label}");
        }
        assert!(b.contains("125949.79 平方米"), "{b}");
        assert!(b.contains("居住用地"));
        assert!(
            b.contains("2,326,300,000.00 元"),
            "the deposit becomes earnest money"
        );
    }
    // The winner finds it from the public result page.
    let lead = s.session(&s.lead.user).await;
    let result = app
        .get(&format!("/exchange/listings/{id}/result"), Some(&lead))
        .await;
    assert!(result.body.contains(&path), "{}", result.body);

    // The loser and another enterprise may not.
    for user in [&s.loser.user, &s.late.user] {
        let session = s.session(user).await;
        let page = app.get(&path, Some(&session)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(!page.body.contains("jianghai"));
        let result = app
            .get(&format!("/exchange/listings/{id}/result"), Some(&session))
            .await;
        assert!(!result.body.contains(&path));
    }
    let anonymous = app.get(&path, None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(anonymous.location().unwrap().starts_with("/login"));
}

#[tokio::test]
async fn losers_deposits_are_due_in_five_working_days_and_refunds_are_recorded() {
    let s = setup().await;
    let (app, id) = (&s.app, s.id);
    // Decided Thursday 10 December 11:00: five working days later is
    // Thursday 17 December (the weekend does not count), not Tuesday 15.
    app.clock.set(ts("2026-12-10T11:00:00+08:00"));
    let loser = s.session(&s.loser.user).await;
    let mine = app.get(&format!("/exchange/my/{id}"), Some(&loser)).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(
        mine.body
            .contains("保证金待退还，应于2026年12月17日 11:00:00前退还"),
        "{}",
        mine.body
    );
    assert!(!mine.body.contains("2026年12月15日 11:00:00"));
    let list = app.get("/exchange/my", Some(&loser)).await;
    assert!(list
        .body
        .contains("保证金待退还，应于2026年12月17日 11:00:00前退还"));
    // The late payer's money keeps the due date of its arrival.
    let late = s.session(&s.late.user).await;
    let mine = app.get(&format!("/exchange/my/{id}"), Some(&late)).await;
    assert!(
        mine.body
            .contains("保证金待退还，应于2026年12月15日 12:00:00前退还"),
        "{}",
        mine.body
    );
    // The winner's deposit becomes earnest money, for the lead and the partner.
    for user in [&s.lead.user, &s.partner.user] {
        let session = s.session(user).await;
        let mine = app.get(&format!("/exchange/my/{id}"), Some(&session)).await;
        assert!(mine.body.contains("已转作定金"), "{}", mine.body);
        assert!(!mine.body.contains("保证金待退还"));
    }

    // The officers' page lists each with its state.
    let officer = s.session(&s.officer).await;
    let desk = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&officer))
        .await;
    assert_eq!(desk.status, StatusCode::OK, "{}", desk.body);
    assert!(desk.body.contains("保证金退还"));
    assert!(desk.body.contains("转作定金"));
    assert!(desk.body.contains("2026年12月17日 11:00:00"));
    assert!(desk.body.contains("2026年12月15日 12:00:00"));
    assert_eq!(desk.body.matches("登记已退还").count(), 2, "{}", desk.body);

    // Recording the loser's refund, the next morning.
    app.clock.set(ts("2026-12-11T10:00:00+08:00"));
    let officer = s.session(&s.officer).await;
    let refunds = format!("/exchange/admin/listings/{id}/refunds");
    let bad = [
        (
            vec![
                ("txn", "BK-2"),
                ("bank_ref", ""),
                ("paid_at", "2026-12-11T09:30"),
            ],
            "请填写银行退款流水号",
        ),
        (
            vec![
                ("txn", "BK-2"),
                ("bank_ref", "TK-0001"),
                ("paid_at", "2026-12-11T10:30"),
            ],
            "退还时间不能晚于当前时间",
        ),
        (
            vec![
                ("txn", "BK-2"),
                ("bank_ref", "TK-0001"),
                ("paid_at", "明天"),
            ],
            "退还时间格式应为",
        ),
        (
            vec![
                ("txn", "BK-1"),
                ("bank_ref", "TK-0001"),
                ("paid_at", "2026-12-11T09:30"),
            ],
            "不在待退还之列",
        ),
        (
            vec![
                ("txn", "BK-9"),
                ("bank_ref", "TK-0001"),
                ("paid_at", "2026-12-11T09:30"),
            ],
            "没有这笔保证金到账记录",
        ),
    ];
    for (fields, message) in bad {
        let r = app.post_form(&refunds, &fields, Some(&officer)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    assert!(app.store.deposit_refunds(id).await.unwrap().is_empty());

    let ok = app
        .post_form(
            &refunds,
            &[
                ("txn", "BK-2"),
                ("bank_ref", "TK-0001"),
                ("paid_at", "2026-12-11T09:30"),
            ],
            Some(&officer),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let recorded = app.store.deposit_refunds(id).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].bank_txn_id, "BK-2");
    assert_eq!(recorded[0].bank_ref, "TK-0001");
    assert_eq!(recorded[0].due_at, ts("2026-12-17T11:00:00+08:00").micros());
    assert_eq!(
        recorded[0].paid_at,
        ts("2026-12-11T09:30:00+08:00").micros()
    );
    assert_eq!(recorded[0].recorded_by, Some(s.officer.id));
    // Audited, with the officer.
    let audit = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("deposit.refunded".into()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert_eq!(audit.items[0].object_id, "BK-2");
    assert_eq!(audit.items[0].actor_id, Some(s.officer.id));
    assert!(audit.items[0].detail.contains("TK-0001"));

    // Once only.
    let again = app
        .post_form(
            &refunds,
            &[
                ("txn", "BK-2"),
                ("bank_ref", "TK-0002"),
                ("paid_at", "2026-12-11T09:40"),
            ],
            Some(&officer),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("已登记退还"), "{}", again.body);
    assert_eq!(app.store.deposit_refunds(id).await.unwrap().len(), 1);

    // The loser sees it paid; the officers' page too.
    let loser = s.session(&s.loser.user).await;
    let mine = app.get(&format!("/exchange/my/{id}"), Some(&loser)).await;
    assert!(
        mine.body
            .contains("已于2026年12月11日 09:30:00退还（银行流水 TK-0001）"),
        "{}",
        mine.body
    );
    assert!(!mine.body.contains("保证金待退还"));
    let desk = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&officer))
        .await;
    assert!(desk
        .body
        .contains("已于 2026年12月11日 09:30:00 退还（银行流水 TK-0001）"));
    assert_eq!(desk.body.matches("登记已退还").count(), 1);
}

#[tokio::test]
async fn officers_export_the_result_and_refunds_as_one_workbook() {
    let s = setup().await;
    let (app, id) = (&s.app, s.id);
    app.clock.set(ts("2026-12-11T10:00:00+08:00"));
    let officer = s.session(&s.officer).await;
    let desk = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&officer))
        .await;
    assert!(desk
        .body
        .contains(&format!("/exchange/admin/listings/{id}/result.xlsx")));
    let r = app
        .post_form(
            &format!("/exchange/admin/listings/{id}/refunds"),
            &[
                ("txn", "BK-3"),
                ("bank_ref", "=TK-0003"),
                ("paid_at", "2026-12-11T09:00"),
            ],
            Some(&officer),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let (answer, bytes) = download(
        app,
        &format!("/exchange/admin/listings/{id}/result.xlsx"),
        &officer,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"R20042-result.xlsx\""
    );
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["成交结果".to_owned(), "保证金退还".to_owned()]
    );
    let result = sheet_rows(&mut book, "成交结果");
    assert_eq!(result.len(), 3, "the header and one row per winning party");
    assert_eq!(text(&result[0][0]), "地块编号");
    let lead = &result[1];
    assert_eq!(text(&lead[0]), "R20042");
    assert_eq!(text(&lead[3]), "成交");
    assert_eq!(text(&lead[5]), "jianghai 有限公司");
    assert_eq!(text(&lead[6]), s.lead.code);
    assert_eq!(text(&lead[7]), "牵头方 70.00%");
    assert_eq!(lead[9], Data::Float(18490.0));
    assert_eq!(text(&lead[10]), "元/平方米");
    assert_eq!(lead[11], Data::Float(2_328_811_617.10));
    assert_eq!(text(&lead[13]), "2026年12月10日 11:00:00");
    assert_eq!(text(&result[2][5]), "huatong 有限公司");
    assert_eq!(text(&result[2][7]), "联合方 30.00%");

    let refunds = sheet_rows(&mut book, "保证金退还");
    assert_eq!(refunds.len(), 4);
    let by_txn = |id: &str| refunds.iter().find(|r| text(&r[0]) == id).unwrap().clone();
    let won = by_txn("BK-1");
    assert_eq!(text(&won[2]), "jianghai 有限公司");
    assert_eq!(text(&won[7]), "转作定金");
    assert_eq!(text(&won[8]), "");
    let lost = by_txn("BK-2");
    assert_eq!(text(&lost[2]), "haohe 有限公司");
    assert_eq!(text(&lost[3]), s.loser.code);
    assert_eq!(lost[4], Data::Float(2_326_300_000.0));
    assert_eq!(text(&lost[6]), "未竞得");
    assert_eq!(text(&lost[7]), "待退还");
    assert_eq!(text(&lost[8]), "2026年12月17日 11:00:00");
    let late = by_txn("BK-3");
    assert_eq!(text(&late[6]), "逾期到账");
    assert_eq!(text(&late[7]), "已退还");
    assert_eq!(text(&late[8]), "2026年12月15日 12:00:00");
    assert_eq!(text(&late[9]), "2026年12月11日 09:00:00");
    // Text stays text, never a formula.
    assert_eq!(text(&late[10]), "=TK-0003");

    let audit = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("exchange.export".into()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert_eq!(audit.items[0].object_id, id.to_string());
    assert!(audit.items[0].detail.contains("\"what\":\"result\""));
}

#[tokio::test]
async fn a_failed_listing_shows_why_and_every_deposit_goes_back() {
    let app = app().await;
    let id = listing(&app).await;
    let (user, _, session) = enterprise(&app, "jianghai").await;
    let r = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[],
            Some(&session),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let account = account_no(
        &app.get(&format!("/exchange/my/{id}"), Some(&session))
            .await
            .body,
    );
    let paid = pay(&app, "BK-1", &account, "2326300000", "jianghai 有限公司").await;
    assert_eq!(paid.json()["outcome"], "credited");

    // Nobody bids: failed at the end of the listing, Thursday 11:00.
    app.clock.set(ts("2026-12-10T11:00:00+08:00"));
    let page = app
        .get(&format!("/exchange/listings/{id}/result"), None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("本宗地流拍"), "{}", page.body);
    assert!(page.body.contains("挂牌期内无人报价"));
    assert!(!page.body.contains("jianghai"));
    let api = app.get("/api/v1/results", None).await.json();
    assert_eq!(api["items"][0]["outcome"], "failed");
    assert_eq!(api["items"][0]["reason"], "no_bids");
    assert_eq!(api["items"][0]["reason_text"], "挂牌期内无人报价");
    assert_eq!(api["items"][0]["winners"], serde_json::json!([]));
    let list = app.get("/exchange/results", None).await;
    assert!(list.body.contains("流拍") && list.body.contains("挂牌期内无人报价"));

    // No confirmation for anybody.
    let session = app.session_for(&user).await;
    let confirmation = app
        .get(
            &format!("/exchange/listings/{id}/confirmation"),
            Some(&session),
        )
        .await;
    assert_eq!(confirmation.status, StatusCode::NOT_FOUND);
    // The only deposit goes back.
    let mine = app.get(&format!("/exchange/my/{id}"), Some(&session)).await;
    assert!(
        mine.body
            .contains("保证金待退还，应于2026年12月17日 11:00:00前退还"),
        "{}",
        mine.body
    );
}

#[tokio::test]
async fn a_listing_below_its_reserve_fails_without_showing_the_reserve() {
    let app = app().await;
    let id = listing(&app).await;
    let officer = app.user("officer1", Role::ExchangeOfficer).await;
    let session = app.session_for(&officer).await;
    let set = app
        .post_form(
            &format!("/exchange/admin/listings/{id}/reserve"),
            &[("reserve", "19876.54")],
            Some(&session),
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let (user, code, bidder) = enterprise(&app, "jianghai").await;
    app.post_form(
        &format!("/exchange/listings/{id}/apply"),
        &[],
        Some(&bidder),
    )
    .await;
    let account = my_account(&app, id, &bidder).await;
    let paid = pay(&app, "BK-1", &account, "2326300000", "jianghai 有限公司").await;
    assert_eq!(paid.json()["outcome"], "credited");
    bid(&app, id, &code, "18470").await;

    app.clock.set(ts("2026-12-10T11:00:00+08:00"));
    let page = app
        .get(&format!("/exchange/listings/{id}/result"), None)
        .await;
    assert!(page.body.contains("本宗地流拍"), "{}", page.body);
    assert!(page.body.contains("最高报价未达到底价"));
    let api = app.get("/api/v1/results", None).await;
    assert_eq!(api.json()["items"][0]["reason"], "below_reserve");
    for body in [&page.body, &api.body] {
        assert!(!body.contains("19876") && !body.contains("19,876"));
        assert!(!body.contains("jianghai") && !body.contains(code.as_str()));
    }
    // Its deposit goes back, due five working days after the decision.
    let bidder = app.session_for(&user).await;
    let mine = app.get(&format!("/exchange/my/{id}"), Some(&bidder)).await;
    assert!(mine
        .body
        .contains("保证金待退还，应于2026年12月17日 11:00:00前退还"));
}
