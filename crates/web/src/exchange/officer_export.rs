//! Officers' exports of a listing (issue 3 item 10): its applications and
//! its deposits, each as XLSX and as CSV.
//!
//! | file | one row per |
//! |---|---|
//! | `applications.{xlsx,csv}` | application: lead, name, credit code, partners and their shares, consent, deposit account, credited deposit, qualification, bidder number |
//! | `deposits.{xlsx,csv}` | bank transaction: account, applicant, amount, payer, arrival, outcome, refund due and refund |
//!
//! Both formats hold the same cells. CSV is UTF-8 with a BOM (so that Excel
//! reads the Chinese) and every cell goes through
//! [`csv_cell`](crate::pages::admin::csv_cell), which defuses formulas; XLSX
//! writes text as text (never a formula) and amounts as numbers in yuan
//! with two decimals. Names appear here, so the routes are for exchange
//! officers only, and every export is audited (what, which format, how many
//! rows). Nothing here knows the reserve.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};
use serde_json::json;
use yiwang_core::{Money, Timestamp};
use yiwang_store::exchange::{BankTxnQuery, BankTxnRow, ListingRow};
use yiwang_store::{NewAudit, Page};

use super::applications::listing_row;
use super::numbers::bidder_number;
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::pages::admin::csv_cell;
use crate::AppState;

/// A cell of an export.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// An amount, written in yuan with two decimals.
    Money(Money),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// The cell as CSV shows it.
    fn plain(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Money(m) => m.to_yuan_string(),
        }
    }
}

/// A table to export: a sheet name, headers, rows.
#[derive(Debug, Clone)]
pub struct Table {
    pub sheet: &'static str,
    pub headers: &'static [&'static str],
    pub rows: Vec<Vec<Cell>>,
}

/// The headers of the applications export.
pub const APPLICATION_HEADERS: &[&str] = &[
    "序号",
    "竞买人（牵头方）",
    "统一社会信用代码",
    "联合竞买方及份额",
    "联合方确认",
    "保证金账号",
    "已到账保证金（元）",
    "竞买资格",
    "竞买号",
];

/// The headers of the deposits export.
pub const DEPOSIT_HEADERS: &[&str] = &[
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
];

fn outcome_label(code: Option<&str>) -> &'static str {
    match code {
        Some("credited") => "已入账",
        Some("late") => "逾期到账（退还）",
        Some("short") => "金额不足（退还）",
        Some("unknown_account") => "账号不存在（退还）",
        Some("not_applied") => "非竞买人缴纳（退还）",
        _ => "已登记",
    }
}

fn time_cell(at: Option<i64>) -> Cell {
    Cell::Text(at.map_or(String::new(), |t| Timestamp::from_micros(t).format_cn()))
}

/// Names by credit code, looked up once each.
async fn names(
    app: &AppState,
    codes: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, String>, AppError> {
    let mut out = HashMap::new();
    for code in codes {
        if out.contains_key(&code) {
            continue;
        }
        let name = app
            .store
            .enterprise_by_credit_code(&code)
            .await?
            .map(|e| e.name)
            .unwrap_or_default();
        out.insert(code, name);
    }
    Ok(out)
}

struct AppFacts {
    lead: String,
    partners: Vec<(String, String, bool)>,
    credited: Money,
    bidder: Option<u32>,
    consented: bool,
}

/// The applications table of listing `row`.
pub async fn applications_table(app: &AppState, row: &ListingRow) -> Result<Table, AppError> {
    let apps: Vec<AppFacts> = app
        .desk
        .view(row.id, |l| {
            l.state()
                .applications()
                .iter()
                .map(|a| AppFacts {
                    lead: a.lead.as_str().to_owned(),
                    partners: a
                        .partners
                        .iter()
                        .map(|p| {
                            (
                                p.party.as_str().to_owned(),
                                p.share.to_string(),
                                p.consented,
                            )
                        })
                        .collect(),
                    credited: a.credited,
                    bidder: a.bidder.map(|b| b.0),
                    consented: a.all_consented(),
                })
                .collect()
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let codes = apps.iter().flat_map(|a| {
        std::iter::once(a.lead.clone()).chain(a.partners.iter().map(|p| p.0.clone()))
    });
    let names = names(app, codes.collect::<Vec<_>>()).await?;
    let accounts = app.store.deposit_accounts(row.id).await?;
    let rows = apps
        .into_iter()
        .enumerate()
        .map(|(i, a)| {
            let partners = a
                .partners
                .iter()
                .map(|(code, share, consented)| {
                    format!(
                        "{}（{code}）{share}%{}",
                        names.get(code).map_or("", String::as_str),
                        if *consented { "已确认" } else { "未确认" }
                    )
                })
                .collect::<Vec<_>>()
                .join("；");
            let consent = match (a.partners.is_empty(), a.consented) {
                (true, _) => "单独竞买",
                (false, true) => "已全部确认",
                (false, false) => "待确认",
            };
            let status = match (a.bidder, a.consented) {
                (Some(_), _) => "已取得竞买资格",
                (None, false) => "等待联合方确认",
                (None, true) => "等待保证金",
            };
            let account = accounts
                .iter()
                .find(|acc| acc.application_ref == a.lead)
                .map_or(String::new(), |acc| acc.account_no.clone());
            vec![
                Cell::text((i + 1).to_string()),
                Cell::text(names.get(&a.lead).cloned().unwrap_or_default()),
                Cell::text(a.lead.clone()),
                Cell::text(partners),
                Cell::text(consent),
                Cell::text(account),
                Cell::Money(a.credited),
                Cell::text(status),
                Cell::text(
                    a.bidder
                        .map_or(String::new(), |b| bidder_number(row.id, b).to_string()),
                ),
            ]
        })
        .collect();
    Ok(Table {
        sheet: "竞买申请",
        headers: APPLICATION_HEADERS,
        rows,
    })
}

/// The deposits table of listing `row`: every bank transaction reported
/// for its accounts, latest arrival first.
pub async fn deposits_table(app: &AppState, row: &ListingRow) -> Result<Table, AppError> {
    let accounts = app.store.deposit_accounts(row.id).await?;
    let mut txns: Vec<BankTxnRow> = Vec::new();
    let mut page = 1;
    loop {
        let q = BankTxnQuery {
            listing_id: Some(row.id),
            ..BankTxnQuery::default()
        };
        let found = app
            .store
            .bank_transactions(&q, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let done = found.items.len() < Page::MAX_LIMIT as usize;
        txns.extend(found.items);
        if done {
            break;
        }
        page += 1;
    }
    let lead_of = |account_no: &str| {
        accounts
            .iter()
            .find(|a| a.account_no == account_no)
            .map(|a| a.application_ref.clone())
    };
    let names = names(
        app,
        txns.iter()
            .filter_map(|t| lead_of(&t.account_no))
            .collect::<Vec<_>>(),
    )
    .await?;
    let rows = txns
        .into_iter()
        .map(|t| {
            let lead = lead_of(&t.account_no).unwrap_or_default();
            vec![
                Cell::text(t.bank_txn_id),
                Cell::text(t.account_no),
                Cell::text(names.get(&lead).cloned().unwrap_or_default()),
                Cell::text(lead),
                Cell::Money(Money::from_fen(t.amount_fen)),
                Cell::text(t.payer_name),
                Cell::text(t.payer_account),
                time_cell(Some(t.received_at)),
                Cell::text(outcome_label(t.outcome.map(|o| o.code()))),
                time_cell(t.refund_due_at),
                time_cell(t.refunded_at),
            ]
        })
        .collect();
    Ok(Table {
        sheet: "保证金",
        headers: DEPOSIT_HEADERS,
        rows,
    })
}

/// The table as CSV: UTF-8 with a BOM, CRLF line ends, cells defused.
pub fn to_csv(table: &Table) -> String {
    let mut out = String::from("\u{feff}");
    let mut line = |cells: Vec<String>| {
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(table.headers.iter().map(|h| (*h).to_owned()).collect());
    for row in &table.rows {
        line(row.iter().map(Cell::plain).collect());
    }
    out
}

/// The table as an XLSX workbook of one sheet: bold headers, text as text,
/// amounts as numbers with two decimals.
pub fn to_xlsx(table: &Table) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    to_xlsx_book(&[table])
}

/// The tables as one XLSX workbook, a sheet each, in order.
pub fn to_xlsx_book(tables: &[&Table]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(table.sheet)?;
        for (c, h) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s)?,
                    // Fen fit an f64 exactly far beyond any deposit.
                    Cell::Money(m) => {
                        sheet.write_number_with_format(r, c, m.fen() as f64 / 100.0, &money)?
                    }
                };
            }
        }
        sheet.autofit();
    }
    book.save_to_buffer()
}

/// Which export, in which format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Export {
    Applications,
    Deposits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Csv,
    Xlsx,
}

async fn export(
    app: AppState,
    viewer: Viewer,
    addr: ClientAddr,
    id: String,
    what: Export,
    format: FileFormat,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let (table, name) = match what {
        Export::Applications => (applications_table(&app, &row).await?, "applications"),
        Export::Deposits => (deposits_table(&app, &row).await?, "deposits"),
    };
    let ext = match format {
        FileFormat::Csv => "csv",
        FileFormat::Xlsx => "xlsx",
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store
        .audit(
            &ctx,
            NewAudit::new("exchange.export", "listing", row.id).with_detail(json!({
                "what": name, "format": ext, "rows": table.rows.len(),
            })),
        )
        .await?;
    // Codes are ASCII letters and digits; anything else is dropped.
    let code: String = row
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let disposition = format!("attachment; filename=\"{code}-{name}.{ext}\"");
    Ok(match format {
        FileFormat::Csv => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            to_csv(&table),
        )
            .into_response(),
        FileFormat::Xlsx => {
            let bytes =
                to_xlsx(&table).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_owned(),
                    ),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                bytes,
            )
                .into_response()
        }
    })
}

/// `GET /exchange/admin/listings/{id}/applications.csv`
pub async fn applications_csv(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    export(
        app,
        viewer,
        addr.0,
        id,
        Export::Applications,
        FileFormat::Csv,
    )
    .await
}

/// `GET /exchange/admin/listings/{id}/applications.xlsx`
pub async fn applications_xlsx(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    export(
        app,
        viewer,
        addr.0,
        id,
        Export::Applications,
        FileFormat::Xlsx,
    )
    .await
}

/// `GET /exchange/admin/listings/{id}/deposits.csv`
pub async fn deposits_csv(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    export(app, viewer, addr.0, id, Export::Deposits, FileFormat::Csv).await
}

/// `GET /exchange/admin/listings/{id}/deposits.xlsx`
pub async fn deposits_xlsx(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    export(app, viewer, addr.0, id, Export::Deposits, FileFormat::Xlsx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            sheet: "测试",
            headers: &["名称", "金额（元）"],
            rows: vec![
                vec![
                    Cell::text("=HYPERLINK(\"x\")"),
                    Cell::Money(Money::from_fen(123_456)),
                ],
                vec![Cell::text("南通,甲"), Cell::Money(Money::from_fen(5))],
            ],
        }
    }

    #[test]
    fn csv_has_a_bom_and_defuses_cells() {
        let csv = to_csv(&table());
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(
            csv,
            "\u{feff}名称,金额（元）\r\n\"'=HYPERLINK(\"\"x\"\")\",1234.56\r\n\"南通,甲\",0.05\r\n"
        );
    }

    #[test]
    fn xlsx_reads_back() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = to_xlsx(&table()).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("测试").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("名称".into())));
        assert_eq!(
            range.get((1, 0)),
            Some(&Data::String("=HYPERLINK(\"x\")".into()))
        );
        assert_eq!(range.get((1, 1)), Some(&Data::Float(1234.56)));
        assert_eq!(range.get((2, 1)), Some(&Data::Float(0.05)));
    }
}
