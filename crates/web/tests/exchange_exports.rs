//! Officers' exports of a listing (issue 3 item 10): applications and
//! deposits as XLSX and CSV, read back cell by cell.

mod common;

use axum::http::{header, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::exchange::{app, bank, enterprise, listing, SECRET};
use common::{Answer, TestApp};
use uuid::Uuid;
use yiwang_core::Role;

fn account_no(page: &str) -> String {
    let label = "保证金账号</dt><dd>";
    let at = page.find(label).expect("an account number on the page") + label.len();
    page[at..at + 20].to_owned()
}

async fn download(app: &TestApp, path: &str, session: &str) -> (Answer, Vec<u8>) {
    app.download(path, Some(session)).await
}

fn sheet(bytes: Vec<u8>, name: &str) -> Vec<Vec<Data>> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec![name.to_owned()]);
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn short_row(rows: &[Vec<Data>]) -> Vec<Data> {
    rows.iter().find(|r| text(&r[0]) == "T2").unwrap().clone()
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Parses our CSV (CRLF lines, RFC 4180 quoting) into rows of cells.
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    let body = body.strip_prefix('\u{feff}').expect("a BOM");
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "the file ends a line");
    rows
}

struct Setup {
    app: TestApp,
    id: Uuid,
    officer: String,
    lead_code: String,
    partner_code: String,
    alone_code: String,
    account_joint: String,
    account_alone: String,
}

/// A joint application (lead 70%, a partner 30%, consented) that pays and
/// qualifies, and a single applicant whose deposit arrives after the
/// deadline and is marked for refund.
async fn setup() -> Setup {
    let app = app().await;
    let id = listing(&app).await;
    let (_, lead_code, lead) = enterprise(&app, "jianghai").await;
    let (_, partner_code, partner) = enterprise(&app, "=cmd").await;
    let (_, alone_code, alone) = enterprise(&app, "haohe").await;

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
    let account_joint = account_no(
        &app.get(&format!("/exchange/my/{id}"), Some(&lead))
            .await
            .body,
    );
    let paid = bank(
        &app,
        serde_json::json!({"txn_id": "T1", "account_no": account_joint, "amount": "2326300000",
            "payer_name": "jianghai 有限公司", "payer_account": "6222000011112222"}),
        0,
        SECRET,
    )
    .await;
    assert_eq!(paid.json()["outcome"], "credited", "{}", paid.body);

    app.post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&alone))
        .await;
    let account_alone = account_no(
        &app.get(&format!("/exchange/my/{id}"), Some(&alone))
            .await
            .body,
    );
    // After the deposit deadline (8 December 11:00): late, to be refunded.
    app.clock
        .set(yiwang_core::Timestamp::parse_rfc3339("2026-12-09T09:00:00+08:00").unwrap());
    let short = bank(
        &app,
        serde_json::json!({"txn_id": "T2", "account_no": account_alone, "amount": "100.5",
            "payer_name": "haohe 有限公司", "payer_account": "6222000099990000"}),
        0,
        SECRET,
    )
    .await;
    assert_eq!(short.status, StatusCode::OK, "{}", short.body);

    let officer = app.user("officer1", Role::ExchangeOfficer).await;
    let officer = app.session_for(&officer).await;
    Setup {
        app,
        id,
        officer,
        lead_code,
        partner_code,
        alone_code,
        account_joint,
        account_alone,
    }
}

#[tokio::test]
async fn applications_export_as_xlsx_and_csv() {
    let s = setup().await;
    let (app, id) = (&s.app, s.id);
    let page = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&s.officer))
        .await;
    for link in [
        "applications.xlsx",
        "applications.csv",
        "deposits.xlsx",
        "deposits.csv",
    ] {
        assert!(
            page.body
                .contains(&format!("/exchange/admin/listings/{id}/{link}")),
            "{link}"
        );
    }

    let (answer, bytes) = download(
        app,
        &format!("/exchange/admin/listings/{id}/applications.xlsx"),
        &s.officer,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        answer.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"R20042-applications.xlsx\""
    );
    let rows = sheet(bytes, "竞买申请");
    assert_eq!(rows.len(), 3);
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(
        header,
        [
            "序号",
            "竞买人（牵头方）",
            "统一社会信用代码",
            "联合竞买方及份额",
            "联合方确认",
            "保证金账号",
            "已到账保证金（元）",
            "竞买资格",
            "竞买号",
        ]
    );
    let joint = &rows[1];
    assert_eq!(text(&joint[0]), "1");
    assert_eq!(text(&joint[1]), "jianghai 有限公司");
    assert_eq!(text(&joint[2]), s.lead_code);
    // A name starting with "=" is text, never a formula.
    assert_eq!(
        text(&joint[3]),
        format!("=cmd 有限公司（{}）30.00%已确认", s.partner_code)
    );
    assert_eq!(text(&joint[4]), "已全部确认");
    assert_eq!(text(&joint[5]), s.account_joint);
    assert_eq!(joint[6], Data::Float(2_326_300_000.0));
    assert_eq!(text(&joint[7]), "已取得竞买资格");
    let bidder_no = text(&joint[8]);
    assert!(bidder_no.parse::<u32>().is_ok(), "{bidder_no}");
    let alone = &rows[2];
    assert_eq!(text(&alone[1]), "haohe 有限公司");
    assert_eq!(text(&alone[2]), s.alone_code);
    assert_eq!(text(&alone[3]), "");
    assert_eq!(text(&alone[4]), "单独竞买");
    assert_eq!(text(&alone[5]), s.account_alone);
    assert_eq!(alone[6], Data::Float(0.0));
    assert_eq!(text(&alone[7]), "等待保证金");
    assert_eq!(text(&alone[8]), "");

    // The CSV has the same cells, formulas defused.
    let (answer, _) = download(
        app,
        &format!("/exchange/admin/listings/{id}/applications.csv"),
        &s.officer,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert!(answer.body.starts_with('\u{feff}'));
    let csv = csv_rows(&answer.body);
    assert_eq!(csv.len(), 3);
    assert_eq!(csv[0], header);
    assert_eq!(
        csv[1][..],
        [
            "1".to_owned(),
            "jianghai 有限公司".to_owned(),
            s.lead_code.clone(),
            // Defused: a spreadsheet shows it as text.
            format!("'=cmd 有限公司（{}）30.00%已确认", s.partner_code),
            "已全部确认".to_owned(),
            s.account_joint.clone(),
            "2326300000.00".to_owned(),
            "已取得竞买资格".to_owned(),
            bidder_no,
        ]
    );
    assert_eq!(csv[2][6], "0.00");
    assert!(!answer.body.contains(",=cmd"));

    // Exports are audited, without names.
    let audit = app
        .store
        .audit_query(
            &yiwang_store::AuditQuery {
                action: Some("exchange.export".into()),
                ..Default::default()
            },
            yiwang_store::Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    assert_eq!(audit.items[0].object_id, id.to_string());
    assert!(audit.items[0].detail.contains("\"format\":\"csv\""));
}

#[tokio::test]
async fn deposits_export_as_xlsx_and_csv() {
    let s = setup().await;
    let (app, id) = (&s.app, s.id);
    let (answer, bytes) = download(
        app,
        &format!("/exchange/admin/listings/{id}/deposits.xlsx"),
        &s.officer,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let rows = sheet(bytes, "保证金");
    assert_eq!(rows.len(), 3);
    let header: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(
        header,
        [
            "银行流水号",
            "收款账号",
            "竞买人",
            "统一社会信用代码",
            "金额（元）",
            "付款方",
            "付款账号",
            "到账时间",
            "处理结果",
            "应退还日期",
            "退还时间",
        ]
    );
    let find = |id: &str| rows.iter().find(|r| text(&r[0]) == id).unwrap().clone();
    let credited = find("T1");
    assert_eq!(text(&credited[1]), s.account_joint);
    assert_eq!(text(&credited[2]), "jianghai 有限公司");
    assert_eq!(text(&credited[3]), s.lead_code);
    assert_eq!(credited[4], Data::Float(2_326_300_000.0));
    assert_eq!(text(&credited[5]), "jianghai 有限公司");
    assert_eq!(text(&credited[6]), "6222000011112222");
    assert!(text(&credited[7]).starts_with("2026年11月26日"));
    assert!(text(&short_row(&rows)[7]).starts_with("2026年12月09日"));
    assert_eq!(text(&credited[8]), "已入账");
    assert_eq!(text(&credited[9]), "");
    let short = find("T2");
    assert_eq!(text(&short[2]), "haohe 有限公司");
    assert_eq!(short[4], Data::Float(100.5));
    let bank_row = app.store.bank_transaction("T2").await.unwrap().unwrap();
    assert_eq!(text(&short[8]), "逾期到账（退还）");
    let due = bank_row.refund_due_at.expect("a refund is due");
    assert_eq!(
        text(&short[9]),
        yiwang_core::Timestamp::from_micros(due).format_cn()
    );
    assert_eq!(text(&short[10]), "");

    let (answer, _) = download(
        app,
        &format!("/exchange/admin/listings/{id}/deposits.csv"),
        &s.officer,
    )
    .await;
    assert_eq!(
        answer.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"R20042-deposits.csv\""
    );
    let csv = csv_rows(&answer.body);
    assert_eq!(csv[0], header);
    let short_csv = csv.iter().find(|r| r[0] == "T2").unwrap();
    assert_eq!(short_csv[4], "100.50");
    assert_eq!(short_csv[8], "逾期到账（退还）");
    assert_eq!(short_csv[9], text(&short[9]));
}

#[tokio::test]
async fn only_officers_export() {
    let s = setup().await;
    let bidder = s.app.user("someone", Role::Bidder).await;
    let bidder = s.app.session_for(&bidder).await;
    for file in [
        "applications.xlsx",
        "applications.csv",
        "deposits.xlsx",
        "deposits.csv",
    ] {
        let path = format!("/exchange/admin/listings/{}/{file}", s.id);
        let (answer, _) = download(&s.app, &path, &bidder).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{file}");
        let anonymous = s.app.get(&path, None).await;
        assert_ne!(anonymous.status, StatusCode::OK, "{file}");
        let (unknown, _) = download(
            &s.app,
            &format!("/exchange/admin/listings/{}/{file}", Uuid::now_v7()),
            &s.officer,
        )
        .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{file}");
    }
}
