//! Apprenticeship subsidies on the web: an enterprise registers apprentices
//! and claims for a year; a second claim of the same person and year is
//! refused in Chinese; the bureau refuses one line with a reason and
//! approves another; the payment list shows the approved line, whole in
//! the workbook (audited) and masked on the page; other enterprises and
//! other roles are kept out.

mod common;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use yiwang_core::Role;
use yiwang_store::{AuditQuery, Page};

const ID_A: &str = "320612199001011232";
const ID_B: &str = "320683195005050017";
const ID_C: &str = "11010519491231002X";

/// Registers an apprentice through the form; returns its page's path.
async fn register(
    app: &TestApp,
    session: &str,
    name: &str,
    id_number: &str,
    level: &str,
    certificate: Option<(&str, &str)>,
) -> String {
    let (no, date) = certificate.unwrap_or(("", ""));
    let answer = app
        .post_form(
            "/services/subsidies/apprentices",
            &[
                ("name", name),
                ("id_number", id_number),
                ("intake", "new_hire"),
                ("level", level),
                ("certificate_no", no),
                ("certificate_date", date),
                ("start_date", "2025-03-01"),
            ],
            Some(session),
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    answer.location().unwrap().to_owned()
}

fn id_of(path: &str) -> String {
    path.rsplit('/').next().unwrap().to_owned()
}

async fn audit_count(app: &TestApp, action: &str) -> u64 {
    app.store
        .audit_query(
            &AuditQuery {
                action: Some(action.to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 1),
        )
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn register_claim_review_and_pay() {
    let app = TestApp::new().await;
    let firm = app.user("libao", Role::Bidder).await;
    let firm = app.session_for(&firm).await;
    let staff = app.user("hrss", Role::ServiceStaff).await;
    let staff = app.session_for(&staff).await;

    // Bad input is refused in Chinese and loses nothing typed.
    let bad = app
        .post_form(
            "/services/subsidies/apprentices",
            &[
                ("name", "王小明"),
                ("id_number", "320612199001011233"),
                ("intake", "new_hire"),
                ("level", "intermediate"),
                ("certificate_no", "S001"),
                ("certificate_date", ""),
                ("start_date", "2025-03-01"),
            ],
            Some(&firm),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("身份证号码校验位不正确"), "{}", bad.body);
    assert!(bad.body.contains("请同时填写发证日期"), "{}", bad.body);
    assert!(bad.body.contains("value=\"王小明\""));

    let a = register(
        &app,
        &firm,
        "王小明",
        ID_A,
        "intermediate",
        Some(("S2025001", "2025-06-30")),
    )
    .await;
    let b = register(
        &app,
        &firm,
        "赵丽",
        ID_B,
        "technician",
        Some(("J2025009", "2025-09-01")),
    )
    .await;
    let c = register(&app, &firm, "钱进", ID_C, "advanced", None).await;
    let dup = app
        .post_form(
            "/services/subsidies/apprentices",
            &[
                ("name", "王小明"),
                ("id_number", ID_A),
                ("intake", "transferred"),
                ("level", "advanced"),
                ("start_date", "2025-03-01"),
            ],
            Some(&firm),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("本企业已登记过该公民身份号码的学徒"));

    // The list masks; the apprentice's page shows the whole number, audited.
    let list = app
        .get("/services/subsidies/apprentices", Some(&firm))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("320612********1232"));
    assert!(!list.body.contains(ID_A));
    let views = audit_count(&app, "apprentice.view").await;
    let page = app.get(&a, Some(&firm)).await;
    assert!(page.body.contains(ID_A));
    assert_eq!(page.headers["cache-control"], "no-store, private");
    assert_eq!(audit_count(&app, "apprentice.view").await, views + 1);

    // The claim form shows the amounts of the year and who may not be claimed.
    let form = app
        .get("/services/subsidies/claims/new?year=2025", Some(&firm))
        .await;
    assert!(form.body.contains("4,000.00 元"));
    assert!(form.body.contains("8,000.00 元"));
    assert!(form.body.contains("未登记等级证书编号和发证日期"));

    // Without a certificate, nobody is claimed and nothing is written.
    let refused = app
        .post_form(
            "/services/subsidies/claims",
            &[
                ("year", "2025"),
                ("apprentice", &id_of(&c)),
                ("apprentice", &id_of(&a)),
            ],
            Some(&firm),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("钱进：未登记等级证书编号和发证日期"));
    assert_eq!(audit_count(&app, "subsidy.claim").await, 0);
    let future = app
        .post_form(
            "/services/subsidies/claims",
            &[("year", "2027"), ("apprentice", &id_of(&a))],
            Some(&firm),
        )
        .await;
    assert!(future
        .body
        .contains("申报年度应为 2015 年至 2026 年之间的年份"));

    let claim = app
        .post_form(
            "/services/subsidies/claims",
            &[
                ("year", "2025"),
                ("apprentice", &id_of(&a)),
                ("apprentice", &id_of(&b)),
            ],
            Some(&firm),
        )
        .await;
    assert_eq!(claim.status, StatusCode::SEE_OTHER, "{}", claim.body);
    let claim = claim.location().unwrap().to_owned();
    let shown = app.get(&claim, Some(&firm)).await;
    assert!(shown.body.contains("12,000.00 元"));
    assert!(shown.body.contains("审核中"));

    // The same person and year again: refused, in Chinese.
    let again = app
        .post_form(
            "/services/subsidies/claims",
            &[("year", "2025"), ("apprentice", &id_of(&a))],
            Some(&firm),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .body
            .contains("王小明：该学徒本年度已在其他申报中申领补贴，同一人每年只能申领一次"),
        "{}",
        again.body
    );
    assert_eq!(audit_count(&app, "subsidy.claim").await, 1);

    // Review: a refusal needs a reason; an enterprise cannot decide.
    let decide = format!("{claim}/decide");
    let no_reason = app
        .post_form(
            &decide,
            &[
                ("apprentice", &id_of(&b)),
                ("decision", "refuse"),
                ("reason", " "),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("不予通过时必须填写理由"));
    let by_firm = app
        .post_form(
            &decide,
            &[("apprentice", &id_of(&a)), ("decision", "approve")],
            Some(&firm),
        )
        .await;
    assert_eq!(by_firm.status, StatusCode::FORBIDDEN);
    app.clock.advance_secs(600);
    let refuse = app
        .post_form(
            &decide,
            &[
                ("apprentice", &id_of(&b)),
                ("decision", "refuse"),
                ("reason", "证书工种与申报岗位不符"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(refuse.status, StatusCode::SEE_OTHER, "{}", refuse.body);
    let approve = app
        .post_form(
            &decide,
            &[("apprentice", &id_of(&a)), ("decision", "approve")],
            Some(&staff),
        )
        .await;
    assert_eq!(approve.status, StatusCode::SEE_OTHER, "{}", approve.body);
    let twice = app
        .post_form(
            &decide,
            &[("apprentice", &id_of(&a)), ("decision", "approve")],
            Some(&staff),
        )
        .await;
    assert!(
        twice.body.contains("该条已审核，不能重复审核"),
        "{} {:?} {}",
        twice.status,
        twice.location(),
        twice.body
    );
    let seen = app.get(&claim, Some(&firm)).await;
    assert!(seen.body.contains("已审结"));
    assert!(seen.body.contains("理由：证书工种与申报岗位不符"));
    assert!(seen.body.contains("4,000.00 元"));

    // The payment list: masked on the page, whole in the workbook.
    let list = app
        .get("/services/subsidies/payments?year=2025", Some(&staff))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("审核通过 1 人，合计 4,000.00 元"));
    assert!(list.body.contains("320612********1232"));
    assert!(!list.body.contains("赵丽"));
    let exports = audit_count(&app, "subsidy.export").await;
    let (answer, bytes) = app
        .download("/services/subsidies/payments.xlsx?year=2025", Some(&staff))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(audit_count(&app, "subsidy.export").await, exports + 1);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range("2025年度发放名单").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(rows.len(), 3, "header, one line, total");
    assert_eq!(rows[1][3], Data::String("王小明".into()));
    assert_eq!(rows[1][4], Data::String(ID_A.into()));
    assert_eq!(rows[1][6], Data::Float(4000.0));
    assert_eq!(rows[2][6], Data::Float(4000.0));

    // A refused person may be claimed again once put right.
    let retry = app
        .post_form(
            "/services/subsidies/claims",
            &[("year", "2025"), ("apprentice", &id_of(&b))],
            Some(&firm),
        )
        .await;
    assert_eq!(retry.status, StatusCode::SEE_OTHER, "{}", retry.body);
}

#[tokio::test]
async fn others_are_kept_out() {
    let app = TestApp::new().await;
    let firm = app.user("libao", Role::Bidder).await;
    let firm = app.session_for(&firm).await;
    let other = app.user("haian", Role::Bidder).await;
    let other = app.session_for(&other).await;
    let staff = app.user("hrss", Role::ServiceStaff).await;
    let staff = app.session_for(&staff).await;
    let worker = app.user("grid", Role::GridWorker).await;
    let worker = app.session_for(&worker).await;

    let a = register(
        &app,
        &firm,
        "王小明",
        ID_A,
        "advanced",
        Some(("G2025001", "2025-06-30")),
    )
    .await;
    let claim = app
        .post_form(
            "/services/subsidies/claims",
            &[("year", "2025"), ("apprentice", &id_of(&a))],
            Some(&firm),
        )
        .await
        .location()
        .unwrap()
        .to_owned();

    // Another enterprise sees nothing of them and cannot claim them.
    assert_eq!(
        app.get(&a, Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&claim, Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    let list = app
        .get("/services/subsidies/apprentices", Some(&other))
        .await;
    assert!(!list.body.contains("王小明"));
    let theirs = app
        .post_form(
            "/services/subsidies/claims",
            &[("year", "2025"), ("apprentice", &id_of(&a))],
            Some(&other),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(theirs.body.contains("所选学徒不在本企业学徒名册中"));
    let cert = app
        .post_form(
            &format!("{a}/certificate"),
            &[
                ("level", "technician"),
                ("certificate_no", "J1"),
                ("certificate_date", "2025-07-01"),
            ],
            Some(&other),
        )
        .await;
    assert_eq!(cert.status, StatusCode::NOT_FOUND);

    // Staff see every claim, and the whole number (audited), but do not register.
    assert_eq!(app.get(&claim, Some(&staff)).await.status, StatusCode::OK);
    assert!(app.get(&a, Some(&staff)).await.body.contains(ID_A));
    let staff_register = app
        .post_form(
            "/services/subsidies/apprentices",
            &[("name", "某")],
            Some(&staff),
        )
        .await;
    assert_eq!(staff_register.status, StatusCode::FORBIDDEN);
    // Other roles and the public are refused.
    assert_eq!(
        app.get("/services/subsidies", Some(&worker)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/services/subsidies/payments", Some(&firm))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let anonymous = app.get("/services/subsidies", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);

    // The certificate is updated by its enterprise, audited.
    let updated = app
        .post_form(
            &format!("{a}/certificate"),
            &[
                ("level", "technician"),
                ("certificate_no", "J2026001"),
                ("certificate_date", "2026-07-01"),
            ],
            Some(&firm),
        )
        .await;
    assert_eq!(updated.status, StatusCode::SEE_OTHER);
    assert_eq!(audit_count(&app, "apprentice.certificate").await, 1);
    let late = app
        .post_form(
            &format!("{a}/certificate"),
            &[
                ("level", "technician"),
                ("certificate_no", "J2026001"),
                ("certificate_date", "2026-12-01"),
            ],
            Some(&firm),
        )
        .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.body.contains("发证日期不能晚于今天"));
}

#[tokio::test]
async fn an_approval_is_checked_again() {
    let app = TestApp::new().await;
    let firm = app.user("libao", Role::Bidder).await;
    let firm = app.session_for(&firm).await;
    let staff = app.user("hrss", Role::ServiceStaff).await;
    let staff = app.session_for(&staff).await;
    let a = register(
        &app,
        &firm,
        "王小明",
        ID_A,
        "advanced",
        Some(("G2025001", "2025-06-30")),
    )
    .await;
    let claim = app
        .post_form(
            "/services/subsidies/claims",
            &[("year", "2025"), ("apprentice", &id_of(&a))],
            Some(&firm),
        )
        .await
        .location()
        .unwrap()
        .to_owned();
    // The certificate is replaced by one issued after the year claimed.
    app.post_form(
        &format!("{a}/certificate"),
        &[
            ("level", "advanced"),
            ("certificate_no", "G2026001"),
            ("certificate_date", "2026-03-01"),
        ],
        Some(&firm),
    )
    .await;
    let approve = app
        .post_form(
            &format!("{claim}/decide"),
            &[("apprentice", &id_of(&a)), ("decision", "approve")],
            Some(&staff),
        )
        .await;
    assert_eq!(approve.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(approve
        .body
        .contains("该学徒不符合补贴条件，不能通过：等级证书发证日期晚于申报年度"));
    assert!(app.get(&claim, Some(&staff)).await.body.contains("待审核"));
}
