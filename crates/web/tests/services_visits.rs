//! Enterprise visits and service cards on the web: service staff plan a
//! visit, record it with findings (bad input refused in Chinese, nothing
//! lost), turn a finding into a request routed to its departments and
//! linked both ways, cannot correct a record after seven days, cancel a
//! plan only with a reason, and read the year's coverage on the page and
//! in the workbook; the service page and the card open for the enterprise
//! itself, the bureau's staff and admin, and nobody else.

mod common;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use common::{NowMicros, TestApp};
use yiwang_core::Role;
use yiwang_store::{AuditQuery, NewUser, Page, User};

async fn credit_code(app: &TestApp, user: &User) -> String {
    app.store
        .enterprise(user.enterprise_id.unwrap())
        .await
        .unwrap()
        .unwrap()
        .credit_code
}

fn id_of(location: &str) -> String {
    location
        .trim_start_matches("/services/visits/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

async fn actions(app: &TestApp) -> Vec<String> {
    app.store
        .audit_query(&AuditQuery::default(), Page::number(1, 500))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.action)
        .collect()
}

#[tokio::test]
async fn plan_record_convert_and_cover() {
    let app = TestApp::new().await;
    let wang = app.user("wang", Role::ServiceStaff).await;
    let li = app.user("li", Role::ServiceStaff).await;
    let admin = app.user("root", Role::Admin).await;
    let firm = app.user("jinggong", Role::Bidder).await;
    let other = app.user("fangzhi", Role::Bidder).await;
    let staff = app.session_for(&wang).await;
    let code = credit_code(&app, &firm).await;
    let (wang_id, li_id) = (wang.id.to_string(), li.id.to_string());

    // Refusals name what is wrong and keep what was typed.
    let bad = app
        .post_form(
            "/services/visits",
            &[
                ("enterprise", "91320600000000000X"),
                ("planned_on", "2026-11-27"),
                ("purpose", "了解智能化改造需求"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("请至少选择一名走访人员"), "{}", bad.body);
    assert!(bad.body.contains("没有统一社会信用代码为"));
    assert!(bad.body.contains("了解智能化改造需求"));

    let planned = app
        .post_form(
            "/services/visits",
            &[
                ("enterprise", &code),
                ("planned_on", "2026-11-27"),
                ("staff", &wang_id),
                ("staff", &li_id),
                ("purpose", "了解智能化改造需求"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(planned.status, StatusCode::SEE_OTHER, "{}", planned.body);
    let visit = id_of(planned.location().unwrap());
    let page = app
        .get(&format!("/services/visits/{visit}"), Some(&staff))
        .await;
    assert!(page.body.contains("QF20261126-0001"), "{}", page.body);
    assert!(page.body.contains("已计划"));
    assert!(page.body.contains("li 名称") && page.body.contains("wang 名称"));

    // A record dated tomorrow is refused; the findings typed are kept.
    let record_path = format!("/services/visits/{visit}/record");
    let bad = app
        .post_form(
            &record_path,
            &[
                ("visited_on", "2026-11-27"),
                ("people_met", "张伟（总经理）"),
                ("staff", &wang_id),
                ("kind_0", "financing"),
                ("text_0", "流动资金缺口约 500 万元"),
                ("kind_1", ""),
                ("text_1", "缺数控技工"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("实际走访日期不能晚于今天"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("第 2 条问题请选择问题类型"));
    assert!(bad.body.contains("流动资金缺口约 500 万元"));
    assert!(bad.body.contains("缺数控技工"));
    let ok = app
        .post_form(
            &record_path,
            &[
                ("visited_on", "2026-11-26"),
                ("people_met", "张伟（总经理）"),
                ("staff", &wang_id),
                ("kind_0", "financing"),
                ("text_0", "流动资金缺口约 500 万元"),
                ("kind_1", "talent"),
                ("text_1", "缺数控技工"),
                ("kind_2", ""),
                ("text_2", ""),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let detail = app
        .store
        .visit(visit.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.visit.state, "recorded");
    assert_eq!(detail.findings.len(), 2);
    assert_eq!(detail.staff.len(), 1, "li did not go after all");

    // 转为诉求: a request routed to the financing department, linked both ways.
    let finding = detail.findings[0].id;
    let convert = format!("/services/visits/{visit}/findings/{finding}/convert");
    let done = app.post_form(&convert, &[], Some(&staff)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = app
        .get(&format!("/services/visits/{visit}"), Some(&staff))
        .await;
    assert!(page.body.contains("QY20261126-0001"), "{}", page.body);
    assert_eq!(page.body.matches(">转为诉求</button>").count(), 1);
    let request = app
        .store
        .list_requests(&Default::default(), Page::number(1, 10))
        .await
        .unwrap()
        .items
        .remove(0);
    assert_eq!(request.enterprise_id, firm.enterprise_id.unwrap());
    assert_eq!(request.submitter_id, wang.id);
    assert_eq!(request.category, "financing");
    assert_eq!(request.title, "流动资金缺口约 500 万元");
    let parts = app.store.request(request.id).await.unwrap().unwrap().parts;
    assert_eq!(
        parts
            .iter()
            .map(|p| p.department.as_str())
            .collect::<Vec<_>>(),
        vec!["finance"]
    );
    // The enterprise reads it among its own, with where it came from.
    let own = app.session_for(&firm).await;
    let shown = app
        .get(&format!("/services/requests/{}", request.id), Some(&own))
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains("千企询访 QF20261126-0001"),
        "{}",
        shown.body
    );
    assert!(!shown.body.contains(&format!("/services/visits/{visit}")));
    let shown = app
        .get(&format!("/services/requests/{}", request.id), Some(&staff))
        .await;
    assert!(shown.body.contains(&format!("/services/visits/{visit}")));
    // Once only.
    let again = app.post_form(&convert, &[], Some(&staff)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("该问题已转为诉求"));
    let acts = actions(&app).await;
    for a in [
        "visit.plan",
        "visit.record",
        "visit.convert",
        "request.submit",
    ] {
        assert_eq!(acts.iter().filter(|x| *x == a).count(), 1, "{a}: {acts:?}");
    }

    // Corrections within seven days keep the converted finding.
    let fix = app
        .post_form(
            &record_path,
            &[
                ("visited_on", "2026-11-26"),
                ("people_met", "张伟（总经理）、王芳（财务）"),
                ("staff", &wang_id),
                ("staff", &li_id),
                ("kind_0", "talent"),
                ("text_0", "缺数控技工 20 名"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(fix.status, StatusCode::SEE_OTHER, "{}", fix.body);
    let detail = app
        .store
        .visit(visit.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.findings.len(), 2);
    assert_eq!(detail.findings[0].request_id, Some(request.id));
    assert_eq!(detail.findings[1].text, "缺数控技工 20 名");
    app.clock.advance_secs(7 * 86_400);
    let staff = app.session_for(&wang).await;
    let late = app.get(&record_path, Some(&staff)).await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    assert!(late.body.contains("走访记录登记满 7 天后不能再修改"));
    let late = app
        .post_form(
            &record_path,
            &[
                ("visited_on", "2026-11-26"),
                ("people_met", "x"),
                ("staff", &wang_id),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);

    // Coverage of 2026: the visited enterprise, and the one not yet visited.
    let reader = app.session_for(&admin).await;
    let cov = app
        .get("/services/visits/coverage?year=2026", Some(&reader))
        .await;
    assert_eq!(cov.status, StatusCode::OK);
    assert!(
        cov.body.contains(
            "全市注册企业 2 家，已走访 1 家、1 次，尚未走访 1 家；发现问题 2 个，转为诉求 1 个"
        ),
        "{}",
        cov.body
    );
    let not_yet = app
        .get(
            "/services/visits/coverage?year=2026&show=unvisited",
            Some(&reader),
        )
        .await;
    assert!(not_yet.body.contains("fangzhi 有限公司"));
    assert!(!not_yet.body.contains("jinggong 有限公司"));
    let last_year = app
        .get(
            "/services/visits/coverage?year=2025&show=visited",
            Some(&reader),
        )
        .await;
    assert!(last_year.body.contains("共 0 家"), "{}", last_year.body);
    let bad_year = app
        .get("/services/visits/coverage?year=20x6", Some(&reader))
        .await;
    assert_eq!(bad_year.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (answer, bytes) = app
        .download("/services/visits/coverage.xlsx?year=2026", Some(&reader))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("走访覆盖").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .skip(2)
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => f.to_string(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 2);
    let visited = rows.iter().find(|r| r[0] == "jinggong 有限公司").unwrap();
    assert_eq!(visited[2], "1");
    assert_eq!(visited[3], "2026年11月26日");
    assert_eq!(visited[4], "li 名称、wang 名称");
    let unvisited = rows.iter().find(|r| r[0] == "fangzhi 有限公司").unwrap();
    assert_eq!(unvisited[3], "未走访");
    assert_eq!(
        unvisited[1],
        credit_code(&app, &other).await,
        "the credit code is exported as text"
    );

    // Lists search by credit code; admin reads but may not plan.
    let found = app
        .get(&format!("/services/visits?q={code}"), Some(&reader))
        .await;
    assert!(found.body.contains("共 1 次"), "{}", found.body);
    assert!(
        !found.body.contains("href=\"/services/visits/new\""),
        "admin is not offered planning"
    );
    let staff_list = app.get("/services/visits", Some(&staff)).await;
    assert!(staff_list.body.contains("href=\"/services/visits/new\""));
    let none = app
        .get("/services/visits?q=%E6%97%A0%E6%AD%A4", Some(&reader))
        .await;
    assert!(none.body.contains("没有符合条件的走访"));
    let page = app
        .get(&format!("/services/visits/{visit}"), Some(&reader))
        .await;
    assert!(!page.body.contains("转为诉求</button>"));
}

#[tokio::test]
async fn plans_are_cancelled_with_a_reason() {
    let app = TestApp::new().await;
    let wang = app.user("wang", Role::ServiceStaff).await;
    let firm = app.user("jinggong", Role::Bidder).await;
    let staff = app.session_for(&wang).await;
    let code = credit_code(&app, &firm).await;
    let planned = app
        .post_form(
            "/services/visits",
            &[
                ("enterprise", &code),
                ("planned_on", "2026-12-01"),
                ("staff", &wang.id.to_string()),
            ],
            Some(&staff),
        )
        .await;
    let visit = id_of(planned.location().unwrap());
    let cancel = format!("/services/visits/{visit}/cancel");
    let bad = app
        .post_form(&cancel, &[("reason", "  ")], Some(&staff))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("请填写取消原因"));
    let done = app
        .post_form(&cancel, &[("reason", "企业停产检修")], Some(&staff))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/services/visits/{visit}"), Some(&staff))
        .await;
    assert!(page.body.contains("已取消") && page.body.contains("企业停产检修"));
    let again = app
        .post_form(&cancel, &[("reason", "再取消")], Some(&staff))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let record = app
        .get(&format!("/services/visits/{visit}/record"), Some(&staff))
        .await;
    assert_eq!(record.status, StatusCode::CONFLICT);
    assert!(record.body.contains("该走访已取消"));
    assert!(actions(&app).await.contains(&"visit.cancel".to_owned()));
}

#[tokio::test]
async fn service_pages_and_cards_open_for_their_enterprise_and_the_bureau() {
    let app = TestApp::new().await;
    let wang = app.user("wang", Role::ServiceStaff).await;
    let admin = app.user("root", Role::Admin).await;
    let handler = app.user("handler", Role::DeptHandler).await;
    let firm = app.user("jinggong", Role::Bidder).await;
    let other = app.user("fangzhi", Role::Bidder).await;
    let nophone = app
        .store
        .create_staff(
            &yiwang_store::AuditCtx {
                actor_id: None,
                actor_name: "test".into(),
                client_addr: None,
                at: app.clock.now_micros(),
            },
            NewUser {
                username: "zhao".into(),
                display_name: "赵专员".into(),
                role: Role::ServiceStaff,
                phone: None,
                password_hash: "x".into(),
            },
        )
        .await
        .unwrap();
    let staff = app.session_for(&wang).await;
    let id = firm.enterprise_id.unwrap();
    let page_path = format!("/services/enterprises/{id}");

    // Staff assign the service staff; one without a phone cannot be on a card.
    let refused = app
        .post_form(
            &format!("{page_path}/staff"),
            &[("staff", &nophone.id.to_string())],
            Some(&staff),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("赵专员 没有登记联系电话"));
    let refused = app
        .post_form(&format!("{page_path}/staff"), &[], Some(&staff))
        .await;
    assert!(refused.body.contains("请至少选择一名服务专员"));
    let assigned = app
        .post_form(
            &format!("{page_path}/staff"),
            &[("staff", &wang.id.to_string())],
            Some(&staff),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
    assert!(actions(&app).await.contains(&"enterprise.staff".to_owned()));

    // The enterprise's own account: its page, its card, its nav link.
    let own = app.session_for(&firm).await;
    let page = app.get(&page_path, Some(&own)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("jinggong 有限公司"));
    assert!(page.body.contains("wang 名称") && page.body.contains("13900000000"));
    assert!(page.body.contains("暂无诉求") && page.body.contains("暂无走访"));
    assert!(!page.body.contains("大讲堂"), "no courses, no section");
    let mine = app.get("/services/enterprises/mine", Some(&own)).await;
    assert_eq!(mine.status, StatusCode::SEE_OTHER);
    assert_eq!(mine.location(), Some(format!("{page_path}/card").as_str()));
    let card = app.get(&format!("{page_path}/card"), Some(&own)).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(card.body.contains("<svg"));
    assert!(card
        .body
        .contains(&format!("http://127.0.0.1:8080{page_path}")));
    assert!(card.body.contains("服务专员：wang 名称 13900000000"));
    let nav = app.get("/services/requests", Some(&own)).await;
    assert!(nav.body.contains("/services/enterprises/mine"));

    // Another enterprise, another role, and the public: refused.
    let stranger = app.session_for(&other).await;
    for path in [page_path.clone(), format!("{page_path}/card")] {
        assert_eq!(
            app.get(&path, Some(&stranger)).await.status,
            StatusCode::FORBIDDEN
        );
        let h = app.session_for(&handler).await;
        assert_eq!(app.get(&path, Some(&h)).await.status, StatusCode::FORBIDDEN);
        let anon = app.get(&path, None).await;
        assert_eq!(anon.status, StatusCode::SEE_OTHER);
        assert!(anon.location().unwrap().starts_with("/login"));
    }
    // Scanned, then logged in as someone else: still 403.
    let login = app.login("fangzhi", common::PASSWORD).await;
    let cookie = login.set_cookie("yiwang_session").unwrap();
    assert_eq!(
        app.get(&page_path, Some(&cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    let reader = app.session_for(&admin).await;
    assert_eq!(
        app.get(&page_path, Some(&reader)).await.status,
        StatusCode::OK
    );

    // The list, searched by credit code, and the cards in bulk, 8 to a sheet.
    for n in 0..8 {
        app.user(&format!("firm{n}"), Role::Bidder).await;
    }
    let code = credit_code(&app, &firm).await;
    let list = app
        .get(&format!("/services/enterprises?q={code}"), Some(&staff))
        .await;
    assert!(list.body.contains("共 1 家"), "{}", list.body);
    let list = app.get("/services/enterprises", Some(&staff)).await;
    assert!(list.body.contains("共 10 家"));
    assert_eq!(list.body.matches(">未指定<").count(), 9);
    let bulk = app.get("/services/enterprises/cards", Some(&reader)).await;
    assert_eq!(bulk.status, StatusCode::OK);
    assert_eq!(
        bulk.body
            .matches("<article class=\"service-card\">")
            .count(),
        10
    );
    assert_eq!(bulk.body.matches("service-cards sheet").count(), 2);
    assert_eq!(bulk.body.matches("<svg").count(), 10);
}
