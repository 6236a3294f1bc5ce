//! Transfer notices and listings through the whole application: an officer
//! drafts, imports the seed's tables, publishes, amends and terminates; the
//! public reads the notices, the listings and the open data.
//!
//! The clock stands at 2026-11-26 10:00 (Shanghai); the seed's windows are
//! moved to December 2026 so that the statutory timing holds: 20 days'
//! notice to 16 December, and a listing to 31 December 11:00, more than 10
//! working days.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{Answer, TestApp, CSRF};
use uuid::Uuid;
use yiwang_core::Role;
use yiwang_store::exchange::{ListingQuery, NoticeStatus};
use yiwang_store::{AuditQuery, Page};

const SEED_60: &str = include_str!("../../exchange/tests/data/seed_notice_60_tables.tsv");
const SEED_61: &str = include_str!("../../exchange/tests/data/seed_notice_61_tables.tsv");
const SEED_61_TABLE3: &str =
    include_str!("../../exchange/tests/data/seed_notice_61_table3_completed.tsv");
const SEED_61_CSV: &str = include_str!("../../exchange/tests/data/seed_notice_61.csv");

const NUMBER_60: &str = "通自然资规告出网(2020)第60号";
const NUMBER_61: &str = "通自然资规告出网(2020)第61号";

const APPLICATION_2026: &str = "2026年12月16日起,2026年12月29日上午11时止";
const LISTING_2026: &str = "2026年12月16日起,2026年12月31日上午11时止";

/// The seed's windows moved to December 2026.
fn in_2026(tables: &str) -> String {
    tables
        .replace("2020年12月29日起,2021年1月6日上午11时止", APPLICATION_2026)
        .replace("2020年12月29日起,2021年1月8日上午11时止", LISTING_2026)
}

/// 第61号's tables 1 and 2 as the seed prints them, with its completed
/// table 3 in 2026.
fn seed_61_in_2026() -> String {
    format!("{SEED_61}\n{}", in_2026(SEED_61_TABLE3))
}

async fn officer(app: &TestApp) -> String {
    let user = app.user("officer", Role::ExchangeOfficer).await;
    app.session_for(&user).await
}

fn id_in(location: Option<&str>) -> Uuid {
    let loc = location.expect("a redirect");
    let id = loc
        .trim_start_matches("/exchange/officer/notices/")
        .split(['?', '/'])
        .next()
        .unwrap();
    Uuid::parse_str(id).unwrap_or_else(|_| panic!("no id in {loc}"))
}

async fn create_draft(app: &TestApp, s: &str, number: &str) -> Uuid {
    let a = app
        .post_form(
            "/exchange/officer/notices",
            &[
                ("number", number),
                ("title", "南通市市区国有建设用地使用权出让公告"),
                ("issuer", "南通市自然资源和规划局"),
                ("preamble", ""),
            ],
            Some(s),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    id_in(a.location())
}

async fn version(app: &TestApp, id: Uuid) -> String {
    app.store
        .notice(id)
        .await
        .unwrap()
        .unwrap()
        .version
        .to_string()
}

async fn paste(app: &TestApp, s: &str, id: Uuid, text: &str) -> Answer {
    let v = version(app, id).await;
    app.post_form(
        &format!("/exchange/officer/notices/{id}/import"),
        &[("version", &v), ("text", text)],
        Some(s),
    )
    .await
}

async fn set_district(app: &TestApp, s: &str, id: Uuid, code: &str, district: &str) -> Answer {
    let v = version(app, id).await;
    // The form as the page fills it in: the increment and windows as imported.
    let page = app
        .get(
            &format!("/exchange/officer/notices/{id}/parcel?code={code}"),
            Some(s),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let value = |name: &str| -> String {
        let key = format!("name=\"{name}\" value=\"");
        page.body
            .split(&key)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("")
            .to_owned()
    };
    let (increment, application, listing) =
        (value("increment"), value("application"), value("listing"));
    app.post_form(
        &format!("/exchange/officer/notices/{id}/parcel"),
        &[
            ("version", &v),
            ("code", code),
            ("district", district),
            ("increment", &increment),
            ("application", &application),
            ("deposit", ""),
            ("listing", &listing),
        ],
        Some(s),
    )
    .await
}

async fn publish(app: &TestApp, s: &str, id: Uuid) -> Answer {
    let v = version(app, id).await;
    app.post_form(
        &format!("/exchange/officer/notices/{id}/publish"),
        &[("version", &v)],
        Some(s),
    )
    .await
}

/// Drafts, imports and publishes a notice through the officer's pages.
async fn publish_via_pages(app: &TestApp, s: &str, number: &str, tables: &str) -> Uuid {
    let id = create_draft(app, s, number).await;
    let a = paste(app, s, id, tables).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = publish(app, s, id).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(a.location().unwrap().ends_with("ok=published"));
    id
}

fn problem_codes(body: &str) -> Vec<String> {
    body.split("data-code=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn an_officer_imports_r20042_and_publishes() {
    let app = TestApp::new().await;
    let s = officer(&app).await;

    let list = app.get("/exchange/officer/notices/new", Some(&s)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("南通市自然资源和规划局"),
        "issuer default"
    );

    let id = create_draft(&app, &s, NUMBER_61).await;
    let a = paste(&app, &s, id, &seed_61_in_2026()).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(a.location().unwrap().ends_with("ok=imported"));

    let page = app
        .get(&format!("/exchange/officer/notices/{id}"), Some(&s))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for figure in [
        "R20042",
        "龙腾路东、星湖大道北",
        "125949.79",
        "18470 元/平方米",
        "10 元/平方米",
        "232630 万元",
        "本地块竞买实行限房价竞地价不摇号",
    ] {
        assert!(page.body.contains(figure), "workspace lacks {figure}");
    }
    // The standard preamble followed the three-table layout.
    let body = app.store.notice(id).await.unwrap().unwrap().body_json;
    assert!(body.contains("挂牌价格和竞买规则"), "{body}");
    assert!(
        problem_codes(&page.body).is_empty(),
        "{:?}",
        problem_codes(&page.body)
    );
    assert!(page.body.contains("未填写所在区域"));

    let a = set_district(&app, &s, id, "R20042", "南通经济技术开发区").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let preview = app
        .get(&format!("/exchange/officer/notices/{id}/preview"), Some(&s))
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("检查通过"));
    assert!(
        preview.body.contains("2026年11月26日"),
        "dated as if published today"
    );

    let a = publish(&app, &s, id).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let row = app.store.notice(id).await.unwrap().unwrap();
    assert_eq!(row.status, NoticeStatus::Published);
    assert!(row.published_at.is_some());
    let listing = app.store.listing_by_code("R20042").await.unwrap().unwrap();
    assert_eq!(listing.notice_id, id);
    assert_eq!(listing.district, "南通经济技术开发区");
    assert_eq!(listing.start_price_fen, 1_847_000);
    assert_eq!(listing.status, "upcoming");
    // The desk opened the listing's log with its rules.
    let head = app.store.head(listing.id).await.unwrap().unwrap();
    assert_eq!(head.seq, 1);
    let events = app.store.events(listing.id, 0, 10).await.unwrap();
    assert_eq!(events[0].kind, "listing_opened");
    assert!(events[0].payload.contains("R20042"));

    let audit = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("notice.".into()),
                ..AuditQuery::default()
            },
            Page::number(1, 50),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"notice.create"), "{actions:?}");
    assert!(actions.contains(&"notice.publish"), "{actions:?}");
    assert!(audit
        .items
        .iter()
        .filter(|r| r.action == "notice.publish")
        .all(|r| r.actor_name == "officer"));

    let workspace = app
        .get(&format!("/exchange/officer/notices/{id}"), Some(&s))
        .await;
    assert!(workspace.body.contains("status-published"));
    assert!(workspace
        .body
        .contains(&format!("/exchange/listings/{}", listing.id)));
}

#[tokio::test]
async fn bad_cells_are_reported_with_row_and_column_and_nothing_is_imported() {
    let app = TestApp::new().await;
    let s = officer(&app).await;
    let id = create_draft(&app, &s, NUMBER_61).await;
    let before = version(&app, id).await;
    let bad = seed_61_in_2026()
        .replace("125949.79", "12594x.79")
        .replace("≥1.44且<1.80(以建筑面积为准)", "≥1.44且<")
        .replace("\t232630\n", "\t-5\n");
    let a = paste(&app, &s, id, &bad).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body.contains("表格有 3 处问题，未导入任何地块"),
        "{}",
        a.body
    );
    // Table 1, row 4 (after the caption and a blank line), columns D and F;
    // table 2, row 9, column E.
    for (table, row, column, value) in [
        (
            "表1",
            "4",
            "D（土地面积(M &#60;sup&#62;2&#60;/sup&#62; )）",
            "12594x.79",
        ),
        ("表1", "4", "F（容积率）", "≥1.44且&#60;"),
        ("表2", "9", "E（竞买保证金(万元)）", "-5"),
    ] {
        let cells = format!(
            "<tr><td data-label=\"表格\">{table}</td><td data-label=\"行\">{row}</td><td data-label=\"列\">{column}</td><td data-label=\"内容\"><code>{value}</code></td>"
        );
        assert!(a.body.contains(&cells), "missing {cells}\n{}", a.body);
    }
    // What was pasted stays in the box to be corrected.
    assert!(a.body.contains("12594x.79"));
    let row = app.store.notice(id).await.unwrap().unwrap();
    assert_eq!(row.version.to_string(), before, "nothing was saved");
    assert!(row.body_json.contains("\"parcels\":[]"));

    let empty = paste(&app, &s, id, "  ").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("请粘贴地块表格"));
}

#[tokio::test]
async fn refused_publication_lists_every_problem() {
    let app = TestApp::new().await;
    let s = officer(&app).await;

    // 第60号 as the seed prints it: its windows are in 2020.
    let id = create_draft(&app, &s, NUMBER_60).await;
    let a = paste(&app, &s, id, SEED_60).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = publish(&app, &s, id).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("未发布"), "{}", a.body);
    let codes = problem_codes(&a.body);
    for code in [
        "opens_before_publication",
        "notice_period_too_short",
        "listing_period_too_short",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code} not in {codes:?}");
    }
    assert!(codes.len() >= 4, "{codes:?}");
    assert!(a.body.contains("地块 U20041"));
    assert_eq!(
        app.store.notice(id).await.unwrap().unwrap().status,
        NoticeStatus::Draft
    );
    assert!(app.store.listing_by_code("U20041").await.unwrap().is_none());

    // Without windows and without a preamble, both are named.
    let id = create_draft(&app, &s, NUMBER_61).await;
    let a = paste(&app, &s, id, SEED_61).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let v = version(&app, id).await;
    let a = app
        .post_form(
            &format!("/exchange/officer/notices/{id}"),
            &[
                ("version", &v),
                ("title", "南通市市区国有建设用地使用权出让公告"),
                ("issuer", "南通市自然资源和规划局"),
                ("preamble", ""),
                ("notes", ""),
            ],
            Some(&s),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = publish(&app, &s, id).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes = problem_codes(&a.body);
    assert_eq!(
        codes.iter().filter(|c| *c == "missing").count(),
        2,
        "{codes:?}"
    );
    assert!(a.body.contains("公告的“公告正文”未填写"));
    assert!(a
        .body
        .contains("地块 R20042 的“竞买申请、保证金和挂牌时间”未填写"));
}

#[tokio::test]
async fn a_lottery_follow_on_publishes_the_seed_hash_and_keeps_the_seed() {
    let app = TestApp::new().await;
    let s = officer(&app).await;
    let id = create_draft(&app, &s, NUMBER_61).await;
    let tables = seed_61_in_2026()
        .replace(
            "房屋最高备案指导均价(元/M <sup>2</sup> )\t竞买保证金",
            "房屋最高备案指导均价(元/M <sup>2</sup> )\t最高限价(元/M²)\t竞买保证金",
        )
        .replace(
            "本地块竞买实行限房价竞地价不摇号\t18470\t21500\t",
            "本地块竞买实行限房价竞地价,达到最高限价后摇号\t18470\t21500\t21000\t",
        );
    let a = paste(&app, &s, id, &tables).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let parcel = app
        .get(
            &format!("/exchange/officer/notices/{id}/parcel?code=R20042"),
            Some(&s),
        )
        .await;
    assert!(parcel
        .body
        .contains("摇号种子由系统在发布公告时随机生成并保密保存"));
    let page = app
        .get(&format!("/exchange/officer/notices/{id}"), Some(&s))
        .await;
    assert!(
        problem_codes(&page.body).is_empty(),
        "{:?}",
        problem_codes(&page.body)
    );
    let a = publish(&app, &s, id).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    // The notice publishes the seed's hash …
    let api = app.get("/api/v1/notices", None).await.json();
    let follow_on = &api["items"][0]["parcels"][0]["rule"]["price_cap"]["follow_on"];
    assert_eq!(follow_on["kind"], "lottery");
    let hash = follow_on["seed_sha256"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    // … and the seed is kept for the listing, secret, and opens the hash.
    let listing = app.store.listing_by_code("R20042").await.unwrap().unwrap();
    let kept = app.store.listing_secrets(listing.id).await.unwrap();
    let seed = kept
        .iter()
        .find(|k| k.kind == yiwang_store::exchange::SecretKind::LotterySeed)
        .expect("the seed is kept");
    assert_eq!(seed.key, hash);
    let text: String = serde_json::from_str(&seed.opening_json).unwrap();
    assert_eq!(yiwang_exchange::engine::lottery_seed_hash(&text), hash);
    assert!(kept
        .iter()
        .any(|k| k.kind == yiwang_store::exchange::SecretKind::Reserve));
    for path in [
        format!("/exchange/notices/{id}"),
        format!("/exchange/listings/{}", listing.id),
        "/api/v1/listings".to_owned(),
        "/api/v1/notices.csv".to_owned(),
    ] {
        let body = app.get(&path, None).await.body;
        assert!(!body.contains(&text), "{path} shows the seed");
    }
    let events = app.store.events(listing.id, 0, 10).await.unwrap();
    assert!(
        !events[0].payload.contains(&text),
        "the log holds the hash only"
    );
    assert!(events[0].payload.contains(&hash));
}

#[tokio::test]
async fn follow_on_settings_are_edited_in_the_parcel_form() {
    let app = TestApp::new().await;
    let s = officer(&app).await;
    let id = create_draft(&app, &s, NUMBER_61).await;
    let tables = seed_61_in_2026()
        .replace(
            "房屋最高备案指导均价(元/M <sup>2</sup> )\t竞买保证金",
            "房屋最高备案指导均价(元/M <sup>2</sup> )\t最高限价(元/M²)\t竞买保证金",
        )
        .replace(
            "本地块竞买实行限房价竞地价不摇号\t18470\t21500\t",
            "本地块竞买实行限房价竞地价,达到最高限价后一次报价\t18470\t21500\t21000\t",
        );
    let a = paste(&app, &s, id, &tables).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = publish(&app, &s, id).await;
    assert!(problem_codes(&a.body).contains(&"invalid_follow_on".to_owned()));

    let v = version(&app, id).await;
    let form = |minutes: &'static str, low: &'static str| {
        vec![
            ("version", v.clone()),
            ("code", "R20042".to_owned()),
            ("increment", "5".to_owned()),
            ("application", APPLICATION_2026.to_owned()),
            ("listing", LISTING_2026.to_owned()),
            ("sealed_minutes", minutes.to_owned()),
            ("sealed_low", low.to_owned()),
            ("sealed_high", "21000".to_owned()),
            ("notes", "节假日不休息".to_owned()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let s = s.clone();
        async move {
            let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(
                &format!("/exchange/officer/notices/{id}/parcel"),
                &refs,
                Some(&s),
            )
            .await
        }
    };
    let bad = post(form("-3", "abc")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("一次报价时长应为大于 0 的分钟数"));
    assert!(bad.body.contains("一次报价下限"));
    let ok = post(form("30", "20000")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let body = app.store.notice(id).await.unwrap().unwrap().body_json;
    assert!(body.contains("\"window_s\":1800"), "{body}");
    assert!(body.contains("\"increment\":\"5.00\""), "{body}");
    let a = publish(&app, &s, id).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let notice = app.get(&format!("/exchange/notices/{id}"), None).await;
    assert!(notice.body.contains("节假日不休息"));
    assert!(notice.body.contains("21000"));
}

#[tokio::test]
async fn a_published_notice_refuses_edits() {
    let app = TestApp::new().await;
    let s = officer(&app).await;
    let id = publish_via_pages(&app, &s, NUMBER_61, &seed_61_in_2026()).await;
    let before = app.store.notice(id).await.unwrap().unwrap();
    let v = before.version.to_string();

    let meta = app
        .post_form(
            &format!("/exchange/officer/notices/{id}"),
            &[
                ("version", &v),
                ("title", "改过的标题"),
                ("issuer", "南通市自然资源和规划局"),
                ("preamble", "x"),
            ],
            Some(&s),
        )
        .await;
    assert_eq!(meta.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(meta.body.contains("不能直接修改"), "{}", meta.body);
    let import = paste(&app, &s, id, &seed_61_in_2026()).await;
    assert_eq!(import.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(import.body.contains("不能直接修改"));
    let parcel = app
        .post_form(
            &format!("/exchange/officer/notices/{id}/parcel"),
            &[("version", &v), ("code", "R20042"), ("increment", "50")],
            Some(&s),
        )
        .await;
    assert_eq!(parcel.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = publish(&app, &s, id).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let after = app.store.notice(id).await.unwrap().unwrap();
    assert_eq!(after, before, "nothing changed");
    let page = app
        .get(
            &format!("/exchange/officer/notices/{id}/parcel?code=R20042"),
            Some(&s),
        )
        .await;
    assert!(page.body.contains("公告已发布，不能修改"));
}

#[tokio::test]
async fn supplements_and_termination_are_published_and_audited() {
    let app = TestApp::new().await;
    let s = officer(&app).await;
    let id = publish_via_pages(&app, &s, NUMBER_61, &seed_61_in_2026()).await;
    app.clock.advance_secs(86_400);
    // A day later, in a new session.
    let later = app.user("officer2", Role::ExchangeOfficer).await;
    let s = app.session_for(&later).await;

    let empty = app
        .post_form(
            &format!("/exchange/officer/notices/{id}/supplements"),
            &[("number", "补充公告"), ("text", " ")],
            Some(&s),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("补充公告的正文不能为空"));

    let text = "R20042地块竞买保证金调整为232000万元。\n其余内容不变。";
    let a = app
        .post_form(
            &format!("/exchange/officer/notices/{id}/supplements"),
            &[
                ("number", "通自然资规告出网(2020)第61号补充公告"),
                ("text", text),
            ],
            Some(&s),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let public = app.get(&format!("/exchange/notices/{id}"), None).await;
    assert!(public
        .body
        .contains("补充公告 通自然资规告出网(2020)第61号补充公告"));
    assert!(public
        .body
        .contains("R20042地块竞买保证金调整为232000万元。"));
    assert!(public.body.contains("2026年11月27日发布"));
    let plain = app
        .get(&format!("/exchange/notices/{id}/notice.txt"), None)
        .await;
    assert!(plain.body.contains("其余内容不变。"));
    let dup = app
        .post_form(
            &format!("/exchange/officer/notices/{id}/supplements"),
            &[
                ("number", "通自然资规告出网(2020)第61号补充公告"),
                ("text", "again"),
            ],
            Some(&s),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("该补充公告编号已使用"));

    let listing = app.store.listing_by_code("R20042").await.unwrap().unwrap();
    let no_reason = app
        .post_form(
            &format!("/exchange/officer/notices/{id}/terminate"),
            &[("reason", "")],
            Some(&s),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("请填写终止原因"));
    let a = app
        .post_form(
            &format!("/exchange/officer/notices/{id}/terminate"),
            &[("reason", "规划条件调整")],
            Some(&s),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let row = app.store.notice(id).await.unwrap().unwrap();
    assert_eq!(row.status, NoticeStatus::Terminated);
    assert_eq!(row.termination_reason.as_deref(), Some("规划条件调整"));
    let after = app.store.listing(listing.id).await.unwrap().unwrap();
    assert_eq!(after.status, "terminated");
    // The engine was told: the listing is suspended in its log.
    let events = app.store.events(listing.id, 0, 10).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "suspended"), "{events:?}");

    let public = app.get(&format!("/exchange/notices/{id}"), None).await;
    assert!(public
        .body
        .contains("本公告已于2026年11月27日终止。终止原因：规划条件调整"));
    let page = app
        .get(&format!("/exchange/listings/{}", listing.id), None)
        .await;
    assert!(page.body.contains("已终止"));
    assert!(
        !page.body.contains("data-deadline"),
        "no countdown when terminated"
    );
    let again = app
        .post_form(
            &format!("/exchange/officer/notices/{id}/terminate"),
            &[("reason", "再次终止")],
            Some(&s),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    let audit = app
        .store
        .audit_query(
            &AuditQuery {
                object_id: Some(id.to_string()),
                ..AuditQuery::default()
            },
            Page::number(1, 50),
        )
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|r| r.action.as_str()).collect();
    assert!(actions.contains(&"notice.supplement"), "{actions:?}");
    assert!(actions.contains(&"notice.terminate"), "{actions:?}");
}

/// Both seed notices, published through the officer's pages.
async fn both_seed_notices(app: &TestApp) -> (Uuid, Uuid) {
    let s = officer(app).await;
    let id60 = publish_via_pages(app, &s, NUMBER_60, &in_2026(SEED_60)).await;
    let id61 = create_draft(app, &s, NUMBER_61).await;
    let a = paste(app, &s, id61, &seed_61_in_2026()).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let a = set_district(app, &s, id61, "R20042", "南通经济技术开发区").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = publish(app, &s, id61).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    (id60, id61)
}

const FIGURES_60: &[&str] = &[
    "通自然资规告出网(2020)第60号",
    "U20041",
    "苏十二河西、通七河北",
    "消防设施用地",
    "6651.11",
    "≤5990",
    "≥0.45且&#60;0.91",
    "≤30",
    "≥20",
    "<td>50</td>",
    "<td>480</td>",
    "<td>70</td>",
    "注:节假日不休息",
];

const FIGURES_61: &[&str] = &[
    "通自然资规告出网(2020)第61号",
    "R20042",
    "龙腾路东、星湖大道北",
    "居住用地",
    "125949.79",
    "≤226700(商业≥3000)",
    "≥1.44且&#60;1.80(以建筑面积为准)",
    "≤23",
    "≥35",
    "居住70,商业40",
    "本地块竞买实行限房价竞地价不摇号",
    "<td>18470</td>",
    "<td>21500</td>",
    "<td>232630</td>",
    "表3",
];

#[tokio::test]
async fn the_public_pages_show_every_seed_figure() {
    let app = TestApp::new().await;
    let (id60, id61) = both_seed_notices(&app).await;
    let windows = [
        "2026年12月16日起,2026年12月29日上午11时止",
        "2026年12月16日起,2026年12月31日上午11时止",
    ];

    let list = app.get("/exchange/notices", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(NUMBER_60) && list.body.contains(NUMBER_61));
    let found = app
        .get("/exchange/notices?q=%E7%AC%AC61%E5%8F%B7", None)
        .await;
    assert!(found.body.contains(NUMBER_61) && !found.body.contains(NUMBER_60));
    let bad = app.get("/exchange/notices?from=yesterday", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    for (id, figures) in [(id60, FIGURES_60), (id61, FIGURES_61)] {
        for path in [
            format!("/exchange/notices/{id}"),
            format!("/exchange/notices/{id}/print"),
        ] {
            let page = app.get(&path, None).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            for f in figures.iter().chain(&windows) {
                assert!(page.body.contains(f), "{path} lacks {f}");
            }
            assert!(page
                .body
                .contains("南通市自然资源和规划局<br>2026年11月26日"));
        }
        let text = app
            .get(&format!("/exchange/notices/{id}/notice.txt"), None)
            .await;
        assert!(text
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/plain")));
        for f in figures {
            let f = f
                .replace("&#60;", "<")
                .replace("<td>", "")
                .replace("</td>", "");
            assert!(text.body.contains(&f), "text lacks {f}");
        }
    }
    // Golden: the plain text of both, as published.
    let t60 = app
        .get(&format!("/exchange/notices/{id60}/notice.txt"), None)
        .await;
    let t61 = app
        .get(&format!("/exchange/notices/{id61}/notice.txt"), None)
        .await;
    insta::assert_snapshot!("notice_60_text", t60.body);
    insta::assert_snapshot!("notice_61_text", t61.body);

    // Listings: the list, filters and each page.
    let listings = app.get("/exchange/listings", None).await;
    assert!(listings.body.contains("U20041") && listings.body.contains("R20042"));
    for (query, want, not) in [
        ("land_use=%E5%B1%85%E4%BD%8F", "R20042", "U20041"),
        ("min_price=1000", "R20042", "U20041"),
        ("max_price=1000", "U20041", "R20042"),
        ("q=%E8%8B%8F%E5%8D%81%E4%BA%8C", "U20041", "R20042"),
        (
            "district=%E5%8D%97%E9%80%9A%E7%BB%8F%E6%B5%8E%E6%8A%80%E6%9C%AF%E5%BC%80%E5%8F%91%E5%8C%BA",
            "R20042",
            "U20041",
        ),
    ] {
        let page = app.get(&format!("/exchange/listings?{query}"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{query}");
        assert!(page.body.contains(want) && !page.body.contains(&format!(">{not}<")), "{query}");
    }
    for (query, n) in [
        ("status=upcoming", 2),
        ("status=sold", 0),
        ("from=2026-12-31&to=2027-01-05", 2),
        ("from=2027-01-01", 0),
        ("to=2026-12-15", 0),
    ] {
        let page = app.get(&format!("/exchange/listings?{query}"), None).await;
        assert!(page.body.contains(&format!("共 {n} 宗地块")), "{query}");
    }
    let bad = app.get("/exchange/listings?status=won", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = app.store.listing_by_code("R20042").await.unwrap().unwrap();
    for path in [
        format!("/exchange/listings/{}", r.id),
        "/exchange/listings/r20042".to_owned(),
    ] {
        let page = app.get(&path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        for f in [
            "125949.79 平方米",
            "≤226700(商业≥3000) 平方米",
            "18470 元/平方米",
            "2,326,292,621.30 元",
            "232630 万元",
            "21500 元/平方米",
            "10 元/平方米",
            "即将挂牌",
            "南通经济技术开发区",
            "距竞买申请开始",
            "data-deadline=\"2026-12-16T00:00:00+08:00\"",
            "19天14小时0分",
            "/static/countdown.js",
        ] {
            assert!(page.body.contains(f), "listing page lacks {f}");
        }
        assert!(!page.body.contains("底价"), "no reserve on the page");
        assert!(
            !page.body.contains("/apply"),
            "applications are not open yet"
        );
    }
    // Once the listing has begun, the countdown is to the application
    // deadline, then to the listing's end.
    app.clock.advance_secs(25 * 86_400);
    let page = app.get(&format!("/exchange/listings/{}", r.id), None).await;
    assert!(page.body.contains("挂牌中"));
    assert!(page
        .body
        .contains("距竞买申请截止（2026年12月29日 11:00:00）"));
    app.clock.advance_secs(9 * 86_400);
    let page = app.get(&format!("/exchange/listings/{}", r.id), None).await;
    assert!(page.body.contains("距挂牌截止（2026年12月31日 11:00:00）还有 <strong class=\"countdown-left\">1天1小时0分</strong>"));
    assert!(app.get("/exchange/listings/X99999", None).await.status == StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn drafts_are_not_public() {
    let app = TestApp::new().await;
    let s = officer(&app).await;
    let id = create_draft(&app, &s, NUMBER_61).await;
    for path in [
        format!("/exchange/notices/{id}"),
        format!("/exchange/notices/{id}/print"),
        format!("/exchange/notices/{id}/notice.txt"),
    ] {
        assert_eq!(
            app.get(&path, None).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let list = app.get("/exchange/notices", None).await;
    assert!(!list.body.contains(NUMBER_61));
    assert!(list.body.contains("共 0 个公告"));
    let api = app.get("/api/v1/notices", None).await.json();
    assert_eq!(api["total"], 0);
}

#[tokio::test]
async fn open_data_as_json_and_csv() {
    let app = TestApp::new().await;
    let (_, id61) = both_seed_notices(&app).await;

    let all = app.get("/api/v1/notices", None).await;
    assert_eq!(all.status, StatusCode::OK);
    let all = all.json();
    assert_eq!(all["total"], 2);
    let n = app
        .get("/api/v1/notices?q=%E7%AC%AC61%E5%8F%B7", None)
        .await
        .json();
    assert_eq!(n["total"], 1);
    let n = &n["items"][0];
    assert_eq!(n["id"], id61.to_string());
    assert_eq!(n["number"], NUMBER_61);
    assert_eq!(n["status"], "published");
    assert_eq!(n["published_at"], "2026-11-26T10:00:00+08:00");
    let p = &n["parcels"][0];
    assert_eq!(p["code"], "R20042");
    assert_eq!(p["district"], "南通经济技术开发区");
    assert_eq!(p["land_area_m2"], "125949.79");
    assert_eq!(p["floor_area_m2"]["text"], "≤226700(商业≥3000)");
    assert_eq!(p["floor_area_m2"]["upper"]["value"], "226700");
    assert_eq!(p["floor_area_m2"]["sub_limits"][0]["use_name"], "商业");
    assert_eq!(
        p["floor_area_m2"]["sub_limits"][0]["lower"]["value"],
        "3000"
    );
    assert_eq!(p["far"]["lower"]["value"], "1.44");
    assert_eq!(p["far"]["lower"]["inclusive"], true);
    assert_eq!(p["far"]["upper"]["value"], "1.80");
    assert_eq!(p["far"]["upper"]["inclusive"], false);
    assert_eq!(p["far"]["note"], "以建筑面积为准");
    assert_eq!(p["density_percent"]["text"], "≤23");
    assert_eq!(p["green_ratio_percent"]["lower"]["value"], "35");
    assert_eq!(p["terms_years"]["text"], "居住70,商业40");
    assert_eq!(p["terms_years"]["items"][1]["use_name"], "商业");
    assert_eq!(p["terms_years"]["items"][1]["years"], 40);
    assert_eq!(p["price_basis"], "unit");
    assert_eq!(p["start_price"], "18470.00");
    assert_eq!(p["start_total_price"], "2326292621.30");
    assert_eq!(p["increment"], "10.00");
    assert_eq!(p["deposit"], "2326300000.00");
    assert_eq!(p["rule"]["mode"], "limited_housing_price");
    assert_eq!(p["rule"]["text"], "本地块竞买实行限房价竞地价不摇号");
    assert_eq!(p["rule"]["housing_price_cap"], "21500.00");
    assert!(p["rule"]["price_cap"].is_null());
    assert_eq!(
        p["windows"]["application"]["start"],
        "2026-12-16T00:00:00+08:00"
    );
    assert_eq!(
        p["windows"]["application"]["end"],
        "2026-12-29T11:00:00+08:00"
    );
    assert_eq!(p["windows"]["listing"]["end"], "2026-12-31T11:00:00+08:00");
    assert_eq!(p["windows"]["listing"]["text"], LISTING_2026);
    let bad = app.get("/api/v1/notices?status=draft", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["code"], "invalid_input");

    let l = app
        .get("/api/v1/listings?land_use=%E5%B1%85%E4%BD%8F", None)
        .await
        .json();
    assert_eq!(l["total"], 1);
    let item = &l["items"][0];
    assert_eq!(item["code"], "R20042");
    assert_eq!(item["notice_number"], NUMBER_61);
    assert_eq!(item["status"], "upcoming");
    assert_eq!(item["start_price"], "18470.00");
    assert_eq!(item["listing_start"], "2026-12-16T00:00:00+08:00");
    assert_eq!(item["deposit_deadline"], "2026-12-29T11:00:00+08:00");
    assert_eq!(item["applications"], 0);
    assert_eq!(
        item["parcel"]["far"]["text"],
        "≥1.44且<1.80(以建筑面积为准)"
    );
    for (query, n) in [
        ("", 2),
        ("?min_price=100&max_price=1000", 1),
        ("?district=%E5%B4%87%E5%B7%9D%E5%8C%BA", 0),
        ("?status=upcoming&size=1", 2),
    ] {
        let l = app
            .get(&format!("/api/v1/listings{query}"), None)
            .await
            .json();
        assert_eq!(l["total"], n, "{query}");
    }
    let one = app.get("/api/v1/listings?size=1&page=2", None).await.json();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    assert_eq!(one["offset"], 1);
    let bad = app.get("/api/v1/listings?min_price=abc", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for body in [&all.to_string(), &l.to_string()] {
        assert!(
            !body.contains("reserve") && !body.contains("bidder"),
            "{body}"
        );
    }

    let csv = app.get("/api/v1/notices.csv", None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap().starts_with("text/csv")));
    assert!(csv.body.starts_with("\u{feff}公告编号,公告标题"));
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(csv.body.contains(",R20042,龙腾路东、星湖大道北,居住用地,南通经济技术开发区,125949.79,≤226700(商业≥3000),≥1.44且<1.80(以建筑面积为准),≤23,≥35,\"居住70,商业40\",单价(元/M²),18470.00,2326292621.30,10.00,2326300000.00,本地块竞买实行限房价竞地价不摇号,21500.00,,,2026-12-16T00:00:00+08:00,2026-12-29T11:00:00+08:00,2026-12-29T11:00:00+08:00,2026-12-16T00:00:00+08:00,2026-12-31T11:00:00+08:00,"), "{}", csv.body);
    let csv = app.get("/api/v1/listings.csv?max_price=1000", None).await;
    assert!(csv.body.starts_with("\u{feff}地块编号,"));
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[1].starts_with("U20041,苏十二河西、通七河北,消防设施用地,,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains(
            ",6651.11,≤5990,≥0.45且<0.91,≤30,≥20,50,单价(元/M²),480.00,3192532.80,10.00,700000.00,"
        ),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(NUMBER_60) && lines[1].contains("即将挂牌"));
}

/// A multipart body with `version` and a file.
fn multipart(version: &str, file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----yiwang-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n{version}\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, s: &str, id: Uuid, name: &str, bytes: &[u8], csrf: bool) -> Answer {
    let v = version(app, id).await;
    let (content_type, body) = multipart(&v, name, bytes);
    let query = if csrf {
        format!("?_csrf={CSRF}")
    } else {
        String::new()
    };
    app.send(
        Request::post(format!("/exchange/officer/notices/{id}/import{query}"))
            .header(
                header::COOKIE,
                format!("yiwang_csrf={CSRF}; yiwang_session={s}"),
            )
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// 第60号's two tables as an Excel workbook: numbers as numbers with
/// number formats, one table per sheet.
fn seed_60_workbook(bad_area: bool) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let two = Format::new().set_num_format("0.00");
    let sheet = book.add_worksheet();
    sheet.set_name("表1").unwrap();
    let header = [
        "地块编号",
        "地块位置",
        "用地性质",
        "土地面积(㎡)",
        "建筑面积(㎡)",
        "容积率",
        "建筑密度(%)",
        "绿地率(%)",
        "出让年期(年)",
        "起挂牌价(元/㎡)",
        "竞买保证金(万元)",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    sheet.write_string(0, 0, "表1").unwrap();
    sheet.write_string(3, 0, "U20041").unwrap();
    sheet.write_string(3, 1, "苏十二河西、通七河北").unwrap();
    sheet.write_string(3, 2, "消防设施用地").unwrap();
    if bad_area {
        sheet.write_string(3, 3, "约6651").unwrap();
    } else {
        sheet.write_number_with_format(3, 3, 6651.11, &two).unwrap();
    }
    sheet.write_string(3, 4, "≤5990").unwrap();
    sheet.write_string(3, 5, "≥0.45且<0.91").unwrap();
    sheet.write_string(3, 6, "≤30").unwrap();
    sheet.write_string(3, 7, "≥20").unwrap();
    sheet.write_number(3, 8, 50).unwrap();
    sheet.write_number_with_format(3, 9, 480, &two).unwrap();
    sheet.write_number(3, 10, 70).unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("表2").unwrap();
    sheet.write_string(0, 0, "地块编号").unwrap();
    sheet
        .write_string(0, 1, "网上竞买申请和缴纳保证金时间")
        .unwrap();
    sheet.write_string(0, 2, "网上挂牌出让时间").unwrap();
    sheet.write_string(1, 0, "U20041").unwrap();
    sheet.write_string(1, 1, APPLICATION_2026).unwrap();
    sheet.write_string(1, 2, LISTING_2026).unwrap();
    sheet.write_string(3, 0, "注:节假日不休息").unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test]
async fn tables_upload_as_xlsx_and_csv() {
    let app = TestApp::new().await;
    let s = officer(&app).await;

    let id = create_draft(&app, &s, NUMBER_60).await;
    let no_token = upload(&app, &s, id, "seed60.xlsx", &seed_60_workbook(false), false).await;
    assert_eq!(
        no_token.status,
        StatusCode::FORBIDDEN,
        "uploads carry the token in the query"
    );

    let bad = upload(&app, &s, id, "seed60.xlsx", &seed_60_workbook(true), true).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("<td data-label=\"表格\">工作表“表1” 表1</td><td data-label=\"行\">4</td><td data-label=\"列\">D（土地面积(㎡)）</td><td data-label=\"内容\"><code>约6651</code></td>"),
        "{}",
        bad.body
    );

    let ok = upload(&app, &s, id, "seed60.xlsx", &seed_60_workbook(false), true).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let body = app.store.notice(id).await.unwrap().unwrap().body_json;
    assert!(body.contains("\"land_area\":\"6651.11\""), "{body}");
    assert!(body.contains("\"start_price\":\"480.00\""), "{body}");
    assert!(body.contains("节假日不休息"), "{body}");
    let a = publish(&app, &s, id).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    // 第61号 as CSV, saved by Excel on Chinese Windows (GB18030).
    let id = create_draft(&app, &s, NUMBER_61).await;
    let csv = in_2026(SEED_61_CSV);
    let gbk = gb18030(&csv);
    let ok = upload(&app, &s, id, "seed61.csv", &gbk, true).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let body = app.store.notice(id).await.unwrap().unwrap().body_json;
    assert!(body.contains("龙腾路东、星湖大道北"), "{body}");

    let junk = upload(
        &app,
        &s,
        id,
        "photo.png",
        &[0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0xfd],
        true,
    )
    .await;
    assert_eq!(junk.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(junk.body.contains("不是 XLSX 表格"), "{}", junk.body);
}

/// GB18030 bytes of `s`, through the encoder the server decodes with.
fn gb18030(s: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(s).0.into_owned()
}

#[tokio::test]
async fn the_officer_list_filters_and_new_drafts_are_checked() {
    let app = TestApp::new().await;
    let s = officer(&app).await;
    publish_via_pages(&app, &s, NUMBER_61, &seed_61_in_2026()).await;
    create_draft(&app, &s, "通自然资规告出网(2026)第1号").await;

    let list = app.get("/exchange/officer/notices", Some(&s)).await;
    assert!(list.body.contains("共 2 个公告"));
    let drafts = app
        .get("/exchange/officer/notices?status=draft", Some(&s))
        .await;
    assert!(drafts.body.contains("(2026)第1号") && !drafts.body.contains(NUMBER_61));
    let search = app
        .get("/exchange/officer/notices?q=%E7%AC%AC61", Some(&s))
        .await;
    assert!(search.body.contains("共 1 个公告"));

    let dup = app
        .post_form(
            "/exchange/officer/notices",
            &[
                ("number", NUMBER_61),
                ("title", "标题"),
                ("issuer", "南通市自然资源和规划局"),
            ],
            Some(&s),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("已存在"));
    let bad = app
        .post_form(
            "/exchange/officer/notices",
            &[("number", "第61号"), ("title", ""), ("issuer", "")],
            Some(&s),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("公告编号格式不正确"));
    assert!(bad.body.contains("请填写公告标题"));
    assert!(bad.body.contains("请填写发布机关"));

    // A bidder sees none of it.
    let bidder = app.user("bidder", Role::Bidder).await;
    let b = app.session_for(&bidder).await;
    assert_eq!(
        app.get("/exchange/officer/notices", Some(&b)).await.status,
        StatusCode::FORBIDDEN
    );
    let listings = app
        .store
        .list_listings(&ListingQuery::default(), Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(listings.total, 1);
}
