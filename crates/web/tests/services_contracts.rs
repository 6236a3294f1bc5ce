//! Collective contracts on the web: service staff register enterprise and
//! industry contracts (bad ones refused in Chinese, nothing lost), find
//! them, see the ones due for renewal, and read the coverage report with
//! each enterprise counted once, on the page and in the workbook; other
//! roles are refused.

mod common;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use yiwang_core::{CreditCode, Role};
use yiwang_store::{AuditQuery, Page};

fn code(n: u32) -> String {
    CreditCode::with_check_char(&format!("91320621MA1Q{n:05}"))
        .unwrap()
        .as_str()
        .to_owned()
}

/// Registers a contract through the form; returns the answer.
#[allow(clippy::too_many_arguments)]
async fn register(
    app: &TestApp,
    session: &str,
    title: &str,
    scope: &str,
    kind: &str,
    dates: (&str, &str, &str),
    enterprises: &str,
) -> common::Answer {
    app.post_form(
        "/services/contracts",
        &[
            ("title", title),
            ("scope", scope),
            ("kind", kind),
            (
                "industry",
                if scope == "industry" {
                    "机械制造"
                } else {
                    ""
                },
            ),
            ("employer_party", "李堡镇机械制造行业企业方协商代表"),
            ("union_party", "李堡镇机械制造行业工会联合会"),
            ("signed_on", dates.0),
            ("starts_on", dates.1),
            ("last_day", dates.2),
            ("enterprises", enterprises),
        ],
        Some(session),
    )
    .await
}

#[tokio::test]
async fn register_remind_and_report() {
    let app = TestApp::new().await;
    let staff = app.user("union", Role::ServiceStaff).await;
    let staff = app.session_for(&staff).await;
    let (a, b, c) = (code(1), code(2), code(3));

    // Refusals name what is wrong, in Chinese, and keep what was typed.
    let two = format!("{a} 精工机械 120\n{b} 纺织科技 80");
    let bad = register(
        &app,
        &staff,
        "精工机械集体合同",
        "enterprise",
        "collective",
        ("2025-01-01", "2025-01-10", "2025-01-09"),
        &two,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("终止日期必须晚于生效日期"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("企业集体合同只能覆盖一家企业"));
    assert!(bad.body.contains("精工机械集体合同"));
    let bad = register(
        &app,
        &staff,
        "行业合同",
        "industry",
        "wage",
        ("2025-01-01", "2025-01-10", "2027-12-31"),
        "123 某公司 5",
    )
    .await;
    assert!(bad.body.contains("第 1 行"), "{}", bad.body);

    // An enterprise contract ending within the renewal window (clock: 2026-11-26).
    let own = register(
        &app,
        &staff,
        "精工机械集体合同",
        "enterprise",
        "collective",
        ("2023-12-20", "2024-01-01", "2026-12-31"),
        &format!("{a} 海安李堡精工机械有限公司 120"),
    )
    .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{}", own.body);
    let page = app.get(own.location().unwrap(), Some(&staff)).await;
    assert!(page.body.contains("36 天后到期"), "{}", page.body);
    // A wage agreement of the same enterprise, and an industry contract
    // that covers it too, ending later.
    let wage = register(
        &app,
        &staff,
        "精工机械工资专项集体协议",
        "enterprise",
        "wage",
        ("2026-03-01", "2026-03-01", "2027-01-31"),
        &format!("{a} 海安李堡精工机械有限公司 118"),
    )
    .await;
    assert_eq!(wage.status, StatusCode::SEE_OTHER, "{}", wage.body);
    let industry = register(
        &app,
        &staff,
        "机械制造行业集体合同",
        "industry",
        "collective",
        ("2025-05-01", "2025-06-01", "2028-05-31"),
        &format!("{a} 海安李堡精工机械有限公司 120\n{b}\t纺织科技\t80\n{c},电气设备,40"),
    )
    .await;
    assert_eq!(industry.status, StatusCode::SEE_OTHER, "{}", industry.body);
    // One that ended: on the register, not in the report.
    let ended = register(
        &app,
        &staff,
        "电气设备集体合同（上一期）",
        "enterprise",
        "collective",
        ("2022-12-20", "2023-01-01", "2025-12-31"),
        &format!("{c} 电气设备 45"),
    )
    .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let records = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("contract.register".to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(records.total, 4);

    // The register: search by a covered enterprise's code, filter by state.
    let found = app
        .get(&format!("/services/contracts?q={b}"), Some(&staff))
        .await;
    assert!(found.body.contains("共 1 份"), "{}", found.body);
    assert!(found.body.contains("机械制造行业集体合同"));
    let in_force = app
        .get("/services/contracts?state=in_force", Some(&staff))
        .await;
    assert!(in_force.body.contains("共 3 份"));
    assert!(!in_force.body.contains("上一期"));
    let gone = app
        .get("/services/contracts?state=ended", Some(&staff))
        .await;
    assert!(gone.body.contains("共 1 份"));

    // Renewal reminders: in force and ending within 90 days.
    let due = app.get("/services/contracts/renewals", Some(&staff)).await;
    assert_eq!(due.status, StatusCode::OK);
    assert!(due.body.contains("共 2 份"), "{}", due.body);
    assert!(due.body.contains("精工机械集体合同"));
    assert!(due.body.contains("精工机械工资专项集体协议"));
    assert!(!due.body.contains("机械制造行业集体合同"));

    // Coverage: 3 contracts in force, 3 enterprises and 240 employees, each once.
    let report = app.get("/services/contracts/coverage", Some(&staff)).await;
    assert!(
        report.body.contains(
            "企业集体合同及工资专项集体协议 2 份，行业集体合同及工资专项集体协议 1 份，覆盖企业 3 个，覆盖职工 240 人"
        ),
        "{}",
        report.body
    );
    let back = app
        .get("/services/contracts/coverage?on=2025-01-01", Some(&staff))
        .await;
    assert!(back.body.contains("企业集体合同及工资专项集体协议 2 份，行业集体合同及工资专项集体协议 0 份，覆盖企业 2 个，覆盖职工 165 人"), "{}", back.body);
    let wrong = app
        .get("/services/contracts/coverage?on=2025-13-01", Some(&staff))
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (answer, bytes) = app
        .download("/services/contracts/coverage.xlsx", Some(&staff))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("覆盖情况").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    let total = rows.last().unwrap();
    assert_eq!(total[0], Data::String("合计（企业、职工各计一次）".into()));
    assert_eq!(
        (&total[1], &total[2], &total[3]),
        (&Data::Float(3.0), &Data::Float(3.0), &Data::Float(240.0))
    );
}

#[tokio::test]
async fn only_service_staff_keep_the_register() {
    let app = TestApp::new().await;
    let firm = app.user("firm", Role::Bidder).await;
    let firm = app.session_for(&firm).await;
    let worker = app.user("grid", Role::GridWorker).await;
    let worker = app.session_for(&worker).await;
    for path in [
        "/services/contracts",
        "/services/contracts/renewals",
        "/services/contracts/coverage",
        "/services/contracts/coverage.xlsx",
    ] {
        assert_eq!(
            app.get(path, Some(&firm)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.get(path, Some(&worker)).await.status,
            StatusCode::FORBIDDEN
        );
    }
    let post = register(
        &app,
        &firm,
        "某合同",
        "enterprise",
        "collective",
        ("2025-01-01", "2025-01-01", "2027-12-31"),
        &format!("{} 某公司 10", code(9)),
    )
    .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
}
