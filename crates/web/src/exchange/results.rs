//! Results of listings (成交公示, 流拍), the confirmation of sale (成交确认书)
//! and the refund of deposits (rules §7).
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /exchange/results` | everyone | decided listings, newest decision first, paginated |
//! | `GET /exchange/listings/{id}/result` | everyone | one listing's result: winner, bidder number, price, quantity, time; or why it failed |
//! | `GET /api/v1/results` | everyone | the same as open data (decided listings only) |
//! | `GET /exchange/listings/{id}/confirmation` | the winning enterprise (lead or joint partner), exchange officers | the printable confirmation of sale with the parcel's conditions |
//! | `POST /exchange/admin/listings/{id}/refunds` | exchange officers | records a refund paid (bank reference, time), audited by the store |
//! | `GET /exchange/admin/listings/{id}/result.xlsx` | exchange officers | one workbook: sheet 成交结果 and sheet 保证金退还, audited |
//!
//! Names are published only once the engine has decided the listing: until
//! then the result page says the result is not yet published and carries
//! no name, no bidder identity and nothing of the reserve. The winner is the
//! engine's `Outcome::Sold` party (the application's lead) with the
//! partners of its application; names come from the registered enterprises.
//!
//! Refunds: the winner's credited deposits become earnest money (定金). Every
//! other credited deposit of the listing is due back within 5 working days
//! of the decision, on the working-day calendar ([`AppState::calendar`]),
//! the same reckoning the bank callback uses for late deposits. Deposits
//! the callback already marked for refund (late, short, not paid by the
//! lead) keep the due date it set. Nothing here stores a due date ahead of
//! time: it follows from the decision whenever it is shown, and the store
//! keeps the due date named when a refund is recorded.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use yiwang_core::{Money, Role, Timestamp};
use yiwang_exchange::engine::{
    FailReason, FollowOn, Listing, Outcome, PriceBasis, QuantityUnit, Share,
};
use yiwang_exchange::notice::Parcel;
use yiwang_store::exchange::{
    BankTxnOutcome, BankTxnQuery, BankTxnRow, ListingQuery, ListingRow, NewDepositRefund,
};
use yiwang_store::{NewAudit, Page, StoreError};

use super::applications::listing_row;
use super::numbers::bidder_number;
use super::officer_export::{to_xlsx_book, Cell, Table};
use crate::auth::access::{Access, Routes, EXCHANGE_STAFF};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{ApiError, AppError, PageError};
use crate::extract::{Form, Json, Query};
use crate::pages::{pager, render, Chrome};
use crate::AppState;

/// Results per page of the public list and the API.
const PAGE_SIZE: u32 = 20;
/// Working days within which a deposit is paid back (rules §7).
pub const REFUND_WORKING_DAYS: u32 = 5;

/// Who may ask for a confirmation of sale; the handler then admits only
/// the winning enterprise's accounts among bidders.
const WINNER_OR_STAFF: &[Role] = &[Role::Bidder, Role::ExchangeOfficer];

/// The results' routes.
pub fn routes(r: Routes) -> Routes {
    use Access::{Public, Roles};
    r.get("/exchange/results", Public, list)
        .get("/exchange/listings/{id}/result", Public, show)
        .get("/api/v1/results", Public, api_results)
        .get(
            "/exchange/listings/{id}/confirmation",
            Roles(WINNER_OR_STAFF),
            confirmation,
        )
        .post(
            "/exchange/admin/listings/{id}/refunds",
            Roles(EXCHANGE_STAFF),
            record_refund,
        )
        .get(
            "/exchange/admin/listings/{id}/result.xlsx",
            Roles(EXCHANGE_STAFF),
            result_xlsx,
        )
}

// --- The decision, as the engine reports it ----------------------------------

/// A party of the winning application: its credit code and share.
#[derive(Debug, Clone)]
struct WinningParty {
    code: String,
    share: Share,
    lead: bool,
}

/// What the engine decided, read out of its state.
#[derive(Debug, Clone)]
struct Decided {
    at: Timestamp,
    outcome: Outcome,
    basis: PriceBasis,
    /// What an ascending follow-on competed on, if the listing has one.
    quantity_unit: Option<QuantityUnit>,
    /// The winning application's parties, the lead first.
    parties: Vec<WinningParty>,
    deposit_required: Money,
}

fn decided(engine: &Listing) -> Option<Decided> {
    let (at, decision) = engine.decision()?;
    let parties = match &decision.result {
        Outcome::Sold { winner, .. } => engine
            .state()
            .applications()
            .iter()
            .find(|a| a.lead == *winner)
            .map(|a| {
                let partners: i64 = a.partners.iter().map(|p| p.share.centi()).sum();
                std::iter::once(WinningParty {
                    code: a.lead.as_str().to_owned(),
                    share: Share::from_centi(Share::WHOLE.centi() - partners),
                    lead: true,
                })
                .chain(a.partners.iter().map(|p| WinningParty {
                    code: p.party.as_str().to_owned(),
                    share: p.share,
                    lead: false,
                }))
                .collect()
            })
            .unwrap_or_else(|| {
                vec![WinningParty {
                    code: winner.as_str().to_owned(),
                    share: Share::WHOLE,
                    lead: true,
                }]
            }),
        Outcome::Failed { .. } => Vec::new(),
    };
    let quantity_unit = match engine.rules().price_cap.as_ref().map(|c| &c.then) {
        Some(FollowOn::Ascending { unit, .. }) => Some(*unit),
        _ => None,
    };
    Some(Decided {
        at,
        outcome: decision.result.clone(),
        basis: engine.rules().price_basis,
        quantity_unit,
        parties,
        deposit_required: engine.rules().deposit_required,
    })
}

async fn decision_of(app: &AppState, id: Uuid) -> Result<Option<Decided>, AppError> {
    app.desk.view(id, decided).await.map_err(AppError::from)
}

/// Why a listing failed, in Chinese.
pub fn fail_reason_zh(reason: FailReason) -> &'static str {
    match reason {
        FailReason::NoBids => "挂牌期内无人报价",
        FailReason::BelowReserve => "最高报价未达到底价",
    }
}

fn price_unit(basis: PriceBasis) -> &'static str {
    match basis {
        PriceBasis::Unit => "元/平方米",
        PriceBasis::Total => "元",
    }
}

fn basis_code(basis: PriceBasis) -> &'static str {
    match basis {
        PriceBasis::Unit => "unit",
        PriceBasis::Total => "total",
    }
}

/// What an ascending follow-on's quantity is, and its unit.
fn quantity_labels(unit: QuantityUnit) -> (&'static str, &'static str) {
    match unit {
        QuantityUnit::M2 => ("配建面积", "平方米"),
        QuantityUnit::Percent => ("自持比例", "%"),
    }
}

fn quantity_unit_code(unit: QuantityUnit) -> &'static str {
    match unit {
        QuantityUnit::M2 => "m2",
        QuantityUnit::Percent => "percent",
    }
}

// --- The public result ---------------------------------------------------------

/// One party of the winner as published.
#[derive(Debug, Clone)]
pub struct Winner {
    pub name: String,
    pub credit_code: String,
    /// "70.00"; the lead's share is the rest of the partners'.
    pub share: String,
    pub lead: bool,
}

/// A decided listing as the public sees it.
#[derive(Debug, Clone)]
pub struct PublicResult {
    pub listing_id: Uuid,
    pub code: String,
    pub location: String,
    pub land_use: String,
    pub district: String,
    pub sold: bool,
    pub winners: Vec<Winner>,
    pub bidder_no: Option<u32>,
    pub basis: PriceBasis,
    pub price: Option<Money>,
    pub total_price: Option<Money>,
    /// "1500.00" with its label and unit, for an ascending follow-on.
    pub quantity: Option<(String, &'static str, &'static str)>,
    pub quantity_unit: Option<QuantityUnit>,
    pub fail_reason: Option<FailReason>,
    pub decided_at: Timestamp,
    pub deposit_required: Money,
}

impl PublicResult {
    /// "江海置业有限公司、浩和建设有限公司".
    pub fn winner_names(&self) -> String {
        self.winners
            .iter()
            .map(|w| w.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The winners with their shares, for a joint application.
    pub fn winner_line(&self) -> String {
        if self.winners.len() < 2 {
            return self.winner_names();
        }
        self.winners
            .iter()
            .map(|w| {
                format!(
                    "{}（{}，份额 {}%）",
                    w.name,
                    if w.lead {
                        "牵头方"
                    } else {
                        "联合竞买方"
                    },
                    w.share
                )
            })
            .collect::<Vec<_>>()
            .join("、")
    }

    pub fn price_text(&self) -> String {
        self.price.map_or_else(String::new, |p| {
            format!("{} {}", p.format_grouped(), price_unit(self.basis))
        })
    }

    pub fn total_text(&self) -> String {
        self.total_price.map_or_else(String::new, |t| {
            format!(
                "{} 元（{} 万元）",
                t.format_grouped(),
                t.to_wan_yuan_string()
            )
        })
    }

    pub fn quantity_text(&self) -> Option<String> {
        self.quantity
            .as_ref()
            .map(|(q, what, unit)| format!("{what} {q} {unit}"))
    }

    pub fn reason_text(&self) -> &'static str {
        self.fail_reason.map_or("", fail_reason_zh)
    }

    pub fn decided_text(&self) -> String {
        self.decided_at.format_cn()
    }

    /// Whether `code` is one of the winning parties.
    pub fn is_winner(&self, code: &str) -> bool {
        self.winners.iter().any(|w| w.credit_code == code)
    }
}

/// The result of listing `row`, once decided; `None` before.
pub async fn public_result(
    app: &AppState,
    row: &ListingRow,
) -> Result<Option<PublicResult>, AppError> {
    let Some(d) = decision_of(app, row.id).await? else {
        return Ok(None);
    };
    let mut winners = Vec::new();
    for p in &d.parties {
        let name = app
            .store
            .enterprise_by_credit_code(&p.code)
            .await?
            .map(|e| e.name)
            .unwrap_or_else(|| p.code.clone());
        winners.push(Winner {
            name,
            credit_code: p.code.clone(),
            share: p.share.to_string(),
            lead: p.lead,
        });
    }
    let mut out = PublicResult {
        listing_id: row.id,
        code: row.code.clone(),
        location: row.location.clone(),
        land_use: row.land_use.clone(),
        district: row.district.clone(),
        sold: false,
        winners,
        bidder_no: None,
        basis: d.basis,
        price: None,
        total_price: None,
        quantity: None,
        quantity_unit: d.quantity_unit,
        fail_reason: None,
        decided_at: d.at,
        deposit_required: d.deposit_required,
    };
    match d.outcome {
        Outcome::Sold {
            bidder,
            price,
            total_price,
            quantity,
            ..
        } => {
            out.sold = true;
            out.bidder_no = Some(bidder_number(row.id, bidder.0));
            out.price = Some(price);
            out.total_price = Some(total_price);
            out.quantity = quantity.zip(d.quantity_unit).map(|(q, unit)| {
                let (what, unit) = quantity_labels(unit);
                (q.to_string(), what, unit)
            });
        }
        Outcome::Failed { reason } => out.fail_reason = Some(reason),
    }
    Ok(Some(out))
}

/// Every decided listing's row, newest decision first. Terminated
/// listings are not results.
async fn decided_rows(app: &AppState) -> Result<Vec<ListingRow>, AppError> {
    let mut rows = Vec::new();
    for status in ["sold", "failed"] {
        let mut page = 1;
        loop {
            let q = ListingQuery {
                status: Some(status.to_owned()),
                ..ListingQuery::default()
            };
            let found = app
                .store
                .list_listings(&q, Page::number(page, Page::MAX_LIMIT))
                .await?;
            let done = found.items.len() < Page::MAX_LIMIT as usize;
            rows.extend(found.items);
            if done {
                break;
            }
            page += 1;
        }
    }
    rows.sort_by(|a, b| {
        b.decided_at
            .cmp(&a.decided_at)
            .then_with(|| a.code.cmp(&b.code))
    });
    Ok(rows)
}

/// Page `page` of the published results, and how many there are.
async fn results_page(app: &AppState, page: u32) -> Result<(u64, Vec<PublicResult>), AppError> {
    let rows = decided_rows(app).await?;
    let total = rows.len() as u64;
    let skip = (page.max(1) - 1) as usize * PAGE_SIZE as usize;
    let mut out = Vec::new();
    for row in rows.iter().skip(skip).take(PAGE_SIZE as usize) {
        if let Some(r) = public_result(app, row).await? {
            out.push(r);
        }
    }
    Ok((total, out))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    /// 1-based page of 20 results.
    #[serde(default)]
    pub page: Option<u32>,
}

#[derive(Template)]
#[template(path = "exchange/results.html")]
struct ListPage {
    chrome: Chrome,
    officer: bool,
    total: u64,
    rows: Vec<PublicResult>,
    pager: String,
}

/// `GET /exchange/results`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(q): Query<ResultsQuery>,
) -> Result<Response, PageError> {
    let page = q.page.unwrap_or(1).max(1);
    let (total, rows) = results_page(&app, page).await?;
    render(&ListPage {
        chrome: chrome.titled("成交公示", "exchange"),
        officer: super::notices::is_officer(&viewer),
        total,
        rows,
        pager: pager("/exchange/results", &[], page, PAGE_SIZE, total),
    })
}

#[derive(Template)]
#[template(path = "exchange/result.html")]
struct ShowPage {
    chrome: Chrome,
    officer: bool,
    listing_id: Uuid,
    code: String,
    location: String,
    status: &'static str,
    result: Option<PublicResult>,
    /// Whether the viewer may open the confirmation of sale.
    can_confirm: bool,
}

/// Whether the viewer is an exchange officer or belongs to a winning party.
async fn may_confirm(app: &AppState, viewer: &Viewer, r: &PublicResult) -> Result<bool, AppError> {
    if !r.sold {
        return Ok(false);
    }
    match viewer.role() {
        Some(role) if EXCHANGE_STAFF.contains(&role) => Ok(true),
        Some(Role::Bidder) => {
            let Some(id) = viewer.user().and_then(|u| u.user.enterprise_id) else {
                return Ok(false);
            };
            Ok(app
                .store
                .enterprise(id)
                .await?
                .is_some_and(|e| r.is_winner(&e.credit_code)))
        }
        _ => Ok(false),
    }
}

/// `GET /exchange/listings/{id}/result`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let result = public_result(&app, &row).await?;
    let can_confirm = match &result {
        Some(r) => may_confirm(&app, &viewer, r).await?,
        None => false,
    };
    let status = super::notice_data::listing_status_at(&row, app.clock.now());
    render(&ShowPage {
        chrome: chrome.titled(format!("成交公示 {}", row.code), "exchange"),
        officer: super::notices::is_officer(&viewer),
        listing_id: row.id,
        code: row.code.clone(),
        location: row.location.clone(),
        status: super::notice_data::listing_status_label(status),
        result,
        can_confirm,
    })
}

// --- Open data -------------------------------------------------------------------

/// A party of a published winner.
#[derive(Debug, Serialize, ToSchema)]
pub struct WinnerData {
    pub name: String,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Per cent with two decimals ("70.00"); the lead's is the rest.
    pub share: String,
    /// The application's lead (牵头方), who made the bids.
    pub lead: bool,
}

/// A published result.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedResultData {
    pub listing_id: String,
    /// 地块编号.
    pub code: String,
    pub location: String,
    pub land_use: String,
    pub district: String,
    /// `sold` (成交) or `failed` (流拍).
    pub outcome: String,
    /// For `failed`: `no_bids` or `below_reserve`.
    pub reason: Option<String>,
    /// The reason in Chinese.
    pub reason_text: Option<String>,
    /// The winning application's parties, the lead first; empty when failed.
    pub winners: Vec<WinnerData>,
    /// The winner's bidder number (竞买号).
    pub bidder_no: Option<u32>,
    /// `unit` (yuan per m² of land) or `total` (yuan for the parcel).
    pub price_basis: String,
    /// The price in the listing's basis, yuan.
    pub price: Option<String>,
    /// The total price of the parcel, yuan.
    pub total_price: Option<String>,
    /// The winning quantity of an ascending follow-on (竞配建 m², 竞自持 %).
    pub quantity: Option<String>,
    /// `m2` or `percent`, with `quantity`.
    pub quantity_unit: Option<String>,
    /// RFC 3339, +08:00.
    pub decided_at: String,
}

/// A page of published results, newest decision first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedResultsPage {
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
    pub items: Vec<PublishedResultData>,
}

fn result_data(r: &PublicResult) -> PublishedResultData {
    PublishedResultData {
        listing_id: r.listing_id.to_string(),
        code: r.code.clone(),
        location: r.location.clone(),
        land_use: r.land_use.clone(),
        district: r.district.clone(),
        outcome: if r.sold { "sold" } else { "failed" }.to_owned(),
        reason: r.fail_reason.map(|f| f.code().to_owned()),
        reason_text: r.fail_reason.map(|f| fail_reason_zh(f).to_owned()),
        winners: r
            .winners
            .iter()
            .map(|w| WinnerData {
                name: w.name.clone(),
                credit_code: w.credit_code.clone(),
                share: w.share.clone(),
                lead: w.lead,
            })
            .collect(),
        bidder_no: r.bidder_no,
        price_basis: basis_code(r.basis).to_owned(),
        price: r.price.map(Money::to_yuan_string),
        total_price: r.total_price.map(Money::to_yuan_string),
        quantity: r.quantity.as_ref().map(|(q, _, _)| q.clone()),
        quantity_unit: r
            .quantity
            .as_ref()
            .and(r.quantity_unit)
            .map(|u| quantity_unit_code(u).to_owned()),
        decided_at: r.decided_at.to_rfc3339(),
    }
}

/// Published results (成交公示 and 流拍), newest decision first.
#[utoipa::path(get, path = "/api/v1/results", tag = "exchange", params(ResultsQuery),
    responses((status = 200, body = PublishedResultsPage), (status = 422, description = "invalid_input", body = crate::api::ErrorBody)))]
pub async fn api_results(
    State(app): State<AppState>,
    Query(q): Query<ResultsQuery>,
) -> Result<Json<PublishedResultsPage>, ApiError> {
    let page = q.page.unwrap_or(1).max(1);
    let (total, rows) = results_page(&app, page).await?;
    Ok(Json(PublishedResultsPage {
        total,
        offset: (page - 1).saturating_mul(PAGE_SIZE),
        limit: PAGE_SIZE,
        items: rows.iter().map(result_data).collect(),
    }))
}

// --- The confirmation of sale ----------------------------------------------------

#[derive(Template)]
#[template(path = "exchange/confirmation.html")]
struct ConfirmationPage {
    chrome: Chrome,
    r: PublicResult,
    notice_number: String,
    issuer: String,
    conditions: Vec<(&'static str, String)>,
    /// 限房价竞地价: the housing price cap binds the winner.
    housing_capped: bool,
    deposit: String,
}

/// The parcel's conditions the confirmation prints (from the notice).
fn conditions(p: &Parcel) -> Vec<(&'static str, String)> {
    let blank = || "—".to_owned();
    let mut out = vec![
        ("地块编号", p.code.to_string()),
        ("地块位置", p.location.clone()),
        ("用地性质", p.land_use.to_string()),
        (
            "出让年期",
            p.terms.as_ref().map_or_else(blank, |t| format!("{t} 年")),
        ),
        ("土地面积", format!("{} 平方米", p.land_area)),
        (
            "建筑面积",
            p.floor_area
                .as_ref()
                .map_or_else(blank, |r| format!("{r} 平方米")),
        ),
        (
            "容积率",
            p.far.as_ref().map_or_else(blank, ToString::to_string),
        ),
        (
            "建筑密度",
            p.density.as_ref().map_or_else(blank, |r| format!("{r} %")),
        ),
        (
            "绿地率",
            p.green_ratio
                .as_ref()
                .map_or_else(blank, |r| format!("{r} %")),
        ),
        ("竞买规则", p.rule.describe()),
    ];
    if let Some(h) = p.rule.housing_price_cap() {
        out.push((
            "房屋最高备案指导均价",
            format!("{} 元/平方米", h.format_grouped()),
        ));
    }
    for note in &p.notes {
        out.push(("备注", note.clone()));
    }
    out
}

/// `GET /exchange/listings/{id}/confirmation`: the confirmation of sale,
/// for the winning enterprise's accounts and exchange officers. Not sold
/// (yet): 404; another enterprise: 403.
pub async fn confirmation(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let r = public_result(&app, &row)
        .await?
        .filter(|r| r.sold)
        .ok_or(AppError::NotFound)?;
    if !may_confirm(&app, &viewer, &r).await? {
        return Err(AppError::Forbidden.into());
    }
    let loaded = super::notice_data::load(&app, row.notice_id).await?;
    let notice = loaded.notice();
    let parcel = notice
        .parcels
        .iter()
        .find(|p| p.code.as_str() == row.code)
        .ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "listing {} is not a parcel of its notice",
                row.code
            ))
        })?;
    render(&ConfirmationPage {
        chrome: chrome.titled(format!("成交确认书 {}", row.code), "exchange"),
        notice_number: loaded.row.number.clone(),
        issuer: notice.issuer.clone(),
        conditions: conditions(parcel),
        housing_capped: parcel.rule.housing_price_cap().is_some(),
        deposit: format!(
            "{} 元（{} 万元）",
            r.deposit_required.format_grouped(),
            r.deposit_required.to_wan_yuan_string()
        ),
        r,
    })
}

// --- Refunds -----------------------------------------------------------------------

/// Where a deposit stands after the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    /// Held until the listing is decided (a credited deposit).
    Held,
    /// The winner's: becomes earnest money (定金), not paid back.
    Earnest,
    /// Due back by `due_at` (µs).
    Due { due_at: i64 },
    /// Paid back at `paid_at`; the bank's reference when it was recorded
    /// with one.
    Paid {
        due_at: i64,
        paid_at: i64,
        bank_ref: Option<String>,
    },
}

/// One arrival on one of the listing's deposit accounts, with its refund.
#[derive(Debug, Clone)]
pub struct RefundLine {
    pub bank_txn_id: String,
    pub account_no: String,
    /// The application's lead (credit code) the account belongs to.
    pub lead: String,
    pub name: String,
    pub amount: Money,
    pub received_at: i64,
    /// Why the money goes back (or stays).
    pub reason: &'static str,
    pub state: RefundState,
}

impl RefundLine {
    pub fn due_text(&self) -> String {
        match &self.state {
            RefundState::Due { due_at } | RefundState::Paid { due_at, .. } => {
                Timestamp::from_micros(*due_at).format_cn()
            }
            _ => "—".to_owned(),
        }
    }

    pub fn state_text(&self) -> String {
        match &self.state {
            RefundState::Held => "待交易结果确定".to_owned(),
            RefundState::Earnest => "转作定金".to_owned(),
            RefundState::Due { .. } => "待退还".to_owned(),
            RefundState::Paid {
                paid_at, bank_ref, ..
            } => format!(
                "已于 {} 退还{}",
                Timestamp::from_micros(*paid_at).format_cn(),
                bank_ref
                    .as_ref()
                    .map_or_else(String::new, |r| format!("（银行流水 {r}）"))
            ),
        }
    }

    pub fn is_due(&self) -> bool {
        matches!(self.state, RefundState::Due { .. })
    }

    pub fn amount_text(&self) -> String {
        format!("{} 元", self.amount.format_grouped())
    }

    /// The line as the bidder reads it on its own pages.
    pub fn bidder_text(&self) -> Option<String> {
        let amount = self.amount_text();
        match &self.state {
            RefundState::Held => None,
            RefundState::Earnest => Some(format!("保证金 {amount} 已转作定金")),
            RefundState::Due { due_at } => Some(format!(
                "保证金待退还，应于{}前退还（{amount}，{}）",
                Timestamp::from_micros(*due_at).format_cn(),
                self.reason
            )),
            RefundState::Paid {
                paid_at, bank_ref, ..
            } => Some(format!(
                "保证金 {amount} 已于{}退还{}",
                Timestamp::from_micros(*paid_at).format_cn(),
                bank_ref
                    .as_ref()
                    .map_or_else(String::new, |r| format!("（银行流水 {r}）"))
            )),
        }
    }
}

fn refund_reason(outcome: BankTxnOutcome, winner: bool) -> &'static str {
    match outcome {
        BankTxnOutcome::Credited if winner => "竞得人保证金",
        BankTxnOutcome::Credited => "未竞得",
        BankTxnOutcome::Late => "逾期到账",
        BankTxnOutcome::Short => "金额不足",
        BankTxnOutcome::UnknownAccount => "账号不存在",
        BankTxnOutcome::NotApplied => "非竞买人缴纳",
    }
}

/// Every bank transaction reported for the listing's accounts.
async fn listing_txns(app: &AppState, listing_id: Uuid) -> Result<Vec<BankTxnRow>, AppError> {
    let mut txns = Vec::new();
    let mut page = 1;
    loop {
        let q = BankTxnQuery {
            listing_id: Some(listing_id),
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
    Ok(txns)
}

/// The refund lines of listing `row`: every judged arrival on its deposit
/// accounts, oldest arrival first, with what becomes of it.
pub async fn refund_lines(app: &AppState, row: &ListingRow) -> Result<Vec<RefundLine>, AppError> {
    let decision = app
        .desk
        .view(row.id, |l| {
            l.decision().map(|(at, d)| {
                let winner = match &d.result {
                    Outcome::Sold { winner, .. } => Some(winner.as_str().to_owned()),
                    Outcome::Failed { .. } => None,
                };
                (at, winner)
            })
        })
        .await
        .map_err(AppError::from)?;
    let accounts = app.store.deposit_accounts(row.id).await?;
    let recorded = app.store.deposit_refunds(row.id).await?;
    let mut txns = listing_txns(app, row.id).await?;
    txns.sort_by(|a, b| {
        a.received_at
            .cmp(&b.received_at)
            .then_with(|| a.bank_txn_id.cmp(&b.bank_txn_id))
    });
    let mut names: std::collections::HashMap<Uuid, String> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for t in txns {
        let Some(outcome) = t.outcome else {
            continue;
        };
        let account = accounts.iter().find(|a| a.account_no == t.account_no);
        let lead = account.map_or_else(String::new, |a| a.application_ref.clone());
        let name = match account {
            Some(a) => match names.get(&a.enterprise_id) {
                Some(n) => n.clone(),
                None => {
                    let n = app
                        .store
                        .enterprise(a.enterprise_id)
                        .await?
                        .map(|e| e.name)
                        .unwrap_or_default();
                    names.insert(a.enterprise_id, n.clone());
                    n
                }
            },
            None => String::new(),
        };
        let winner = decision
            .as_ref()
            .and_then(|(_, w)| w.as_deref())
            .is_some_and(|w| w == lead);
        let due_at = match (outcome, &decision) {
            (BankTxnOutcome::Credited, Some((at, _))) if !winner => Some(
                app.calendar
                    .add_working_days(*at, REFUND_WORKING_DAYS)
                    .micros(),
            ),
            (BankTxnOutcome::Credited, _) => None,
            _ => t.refund_due_at,
        };
        let record = recorded.iter().find(|r| r.bank_txn_id == t.bank_txn_id);
        let state = match (t.refunded_at, due_at) {
            (Some(paid_at), _) => RefundState::Paid {
                due_at: record
                    .map(|r| r.due_at)
                    .or(t.refund_due_at)
                    .or(due_at)
                    .unwrap_or(paid_at),
                paid_at,
                bank_ref: record.map(|r| r.bank_ref.clone()),
            },
            (None, Some(due_at)) => RefundState::Due { due_at },
            (None, None) if winner => RefundState::Earnest,
            (None, None) => RefundState::Held,
        };
        out.push(RefundLine {
            bank_txn_id: t.bank_txn_id,
            account_no: t.account_no,
            lead,
            name,
            amount: Money::from_fen(t.amount_fen),
            received_at: t.received_at,
            reason: refund_reason(outcome, winner),
            state,
        });
    }
    Ok(out)
}

/// What a bidder reads about the deposits of the application led by
/// `lead` on listing `row`: one line per arrival whose fate is known.
pub async fn refund_notes(
    app: &AppState,
    row: &ListingRow,
    lead: &str,
) -> Result<Vec<String>, AppError> {
    Ok(refund_lines(app, row)
        .await?
        .iter()
        .filter(|l| l.lead == lead)
        .filter_map(RefundLine::bidder_text)
        .collect())
}

/// The refunds part of the officers' listing page.
#[derive(Debug, Clone)]
pub struct RefundPanel {
    pub listing_id: Uuid,
    pub decided: bool,
    pub lines: Vec<RefundLine>,
    /// The refund form's values after a refusal, and why.
    pub typed_txn: String,
    pub typed_ref: String,
    pub typed_paid_at: String,
    pub error: Option<String>,
    /// The default paid time: now, as the form's `datetime-local` wants it.
    pub now_local: String,
}

/// `2026-12-14T10:30`, the value of a `datetime-local` input in Shanghai.
fn local_input(at: Timestamp) -> String {
    let dt = at.shanghai_datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// The refunds panel of listing `row`, for exchange officers.
pub async fn panel(app: &AppState, row: &ListingRow) -> Result<RefundPanel, AppError> {
    let decided = app
        .desk
        .view(row.id, |l| l.decision().is_some())
        .await
        .map_err(AppError::from)?;
    Ok(RefundPanel {
        listing_id: row.id,
        decided,
        lines: refund_lines(app, row).await?,
        typed_txn: String::new(),
        typed_ref: String::new(),
        typed_paid_at: String::new(),
        error: None,
        now_local: local_input(app.clock.now()),
    })
}

/// The refund form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RefundForm {
    /// The bank transaction paid back.
    #[serde(default)]
    txn: String,
    /// The bank's reference of the refund transfer.
    #[serde(default)]
    bank_ref: String,
    /// When the money went back, Shanghai time, `YYYY-MM-DDTHH:MM`.
    #[serde(default)]
    paid_at: String,
}

/// Parses `YYYY-MM-DDTHH:MM` (or with a space, or with seconds) as
/// Shanghai time.
fn parse_local(text: &str) -> Option<Timestamp> {
    let text = text.trim().replace(' ', "T");
    let with_secs =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let minutes = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let dt = time::PrimitiveDateTime::parse(&text, &minutes)
        .or_else(|_| time::PrimitiveDateTime::parse(&text, &with_secs))
        .ok()?;
    Some(Timestamp::from_shanghai_time(dt.date(), dt.time()))
}

#[derive(Template)]
#[template(path = "exchange/officer_refunds.html")]
struct RefundErrorPage {
    chrome: Chrome,
    code: String,
    location: String,
    refunds: RefundPanel,
}

/// `POST /exchange/admin/listings/{id}/refunds`: records that a deposit
/// due back was paid. The store writes the refund, marks the arrival and
/// audits it in one transaction.
pub async fn record_refund(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(f): Form<RefundForm>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let now = app.clock.now();
    let lines = refund_lines(&app, &row).await?;
    let txn = f.txn.trim();
    let bank_ref = f.bank_ref.trim();
    let line = lines.iter().find(|l| l.bank_txn_id == txn);
    let paid_at = parse_local(&f.paid_at);
    let error = match (line, paid_at) {
        (None, _) => Some("本宗地没有这笔保证金到账记录".to_owned()),
        (Some(l), _) if matches!(l.state, RefundState::Paid { .. }) => {
            Some("该笔保证金已登记退还，不能重复登记".to_owned())
        }
        (Some(l), _) if !l.is_due() => Some(format!(
            "该笔保证金当前状态为“{}”，不在待退还之列",
            l.state_text()
        )),
        _ if bank_ref.is_empty() => Some("请填写银行退款流水号".to_owned()),
        _ if bank_ref.chars().count() > 64 => Some("银行退款流水号不能超过 64 个字符".to_owned()),
        (_, None) => Some("退还时间格式应为 YYYY-MM-DD HH:MM".to_owned()),
        (_, Some(at)) if at > now => Some("退还时间不能晚于当前时间".to_owned()),
        (Some(l), Some(at)) if at.micros() < l.received_at => {
            Some("退还时间不能早于到账时间".to_owned())
        }
        _ => None,
    };
    if error.is_none() {
        if let (Some(line), Some(paid_at)) = (line, paid_at) {
            let RefundState::Due { due_at } = line.state else {
                unreachable!("checked above: the line is due");
            };
            let ctx = app.audit_ctx(&viewer, &addr);
            let refund = NewDepositRefund {
                bank_txn_id: line.bank_txn_id.clone(),
                due_at,
                bank_ref: bank_ref.to_owned(),
                paid_at: paid_at.micros(),
            };
            match app.store.record_deposit_refund(&ctx, refund).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/exchange/admin/listings/{}#refunds",
                        row.id
                    ))
                    .into_response())
                }
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(AppError::from(e).into()),
            }
        }
    }
    let mut refunds = panel(&app, &row).await?;
    refunds.error = Some(error.unwrap_or_else(|| "该笔保证金已登记退还，不能重复登记".to_owned()));
    refunds.typed_txn = txn.to_owned();
    refunds.typed_ref = bank_ref.to_owned();
    refunds.typed_paid_at = f.paid_at.trim().to_owned();
    let mut resp = render(&RefundErrorPage {
        chrome: chrome.titled(format!("保证金退还 {}", row.code), "exchange"),
        code: row.code,
        location: row.location,
        refunds,
    })?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

// --- The officers' export ----------------------------------------------------------

/// The headers of sheet 成交结果.
pub const RESULT_HEADERS: &[&str] = &[
    "地块编号",
    "地块位置",
    "用地性质",
    "交易结果",
    "流拍原因",
    "竞得人",
    "统一社会信用代码",
    "联合竞买份额",
    "竞买号",
    "成交价",
    "计价方式",
    "成交总价（元）",
    "竞配建/竞自持",
    "结果确定时间",
];

/// The headers of sheet 保证金退还.
pub const REFUND_HEADERS: &[&str] = &[
    "银行流水号",
    "收款账号",
    "竞买人",
    "统一社会信用代码",
    "金额（元）",
    "到账时间",
    "类别",
    "状态",
    "应退还日期",
    "退还时间",
    "银行退款流水号",
];

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn time_text(at: Option<i64>) -> Cell {
    Cell::Text(at.map_or_else(String::new, |t| Timestamp::from_micros(t).format_cn()))
}

/// Sheet 成交结果 of listing `row`: one row per winning party, or one row
/// saying why it failed, or one row saying it is not decided yet.
pub fn result_table(row: &ListingRow, r: Option<&PublicResult>) -> Table {
    let head = |outcome: &str| {
        vec![
            text(row.code.clone()),
            text(row.location.clone()),
            text(row.land_use.clone()),
            text(outcome),
        ]
    };
    let rows = match r {
        None => {
            let mut cells = head("结果尚未确定");
            cells.extend((4..RESULT_HEADERS.len()).map(|_| text("")));
            vec![cells]
        }
        Some(r) if !r.sold => {
            let mut cells = head("流拍");
            cells.push(text(r.reason_text()));
            cells.extend((5..RESULT_HEADERS.len() - 1).map(|_| text("")));
            cells.push(text(r.decided_text()));
            vec![cells]
        }
        Some(r) => r
            .winners
            .iter()
            .map(|w| {
                let mut cells = head("成交");
                cells.extend([
                    text(""),
                    text(w.name.clone()),
                    text(w.credit_code.clone()),
                    text(if r.winners.len() > 1 {
                        format!("{}{}%", if w.lead { "牵头方 " } else { "联合方 " }, w.share)
                    } else {
                        "单独竞买".to_owned()
                    }),
                    text(r.bidder_no.map_or_else(String::new, |n| n.to_string())),
                    r.price.map_or_else(|| text(""), Cell::Money),
                    text(price_unit(r.basis)),
                    r.total_price.map_or_else(|| text(""), Cell::Money),
                    text(r.quantity_text().unwrap_or_default()),
                    text(r.decided_text()),
                ]);
                cells
            })
            .collect(),
    };
    Table {
        sheet: "成交结果",
        headers: RESULT_HEADERS,
        rows,
    }
}

/// Sheet 保证金退还: every judged arrival with its refund.
pub fn refund_table(lines: &[RefundLine]) -> Table {
    let rows = lines
        .iter()
        .map(|l| {
            let (paid_at, bank_ref) = match &l.state {
                RefundState::Paid {
                    paid_at, bank_ref, ..
                } => (Some(*paid_at), bank_ref.clone().unwrap_or_default()),
                _ => (None, String::new()),
            };
            vec![
                text(l.bank_txn_id.clone()),
                text(l.account_no.clone()),
                text(l.name.clone()),
                text(l.lead.clone()),
                Cell::Money(l.amount),
                time_text(Some(l.received_at)),
                text(l.reason),
                text(match l.state {
                    RefundState::Held => "待交易结果确定",
                    RefundState::Earnest => "转作定金",
                    RefundState::Due { .. } => "待退还",
                    RefundState::Paid { .. } => "已退还",
                }),
                text(match l.state {
                    RefundState::Due { .. } | RefundState::Paid { .. } => l.due_text(),
                    _ => String::new(),
                }),
                time_text(paid_at),
                text(bank_ref),
            ]
        })
        .collect();
    Table {
        sheet: "保证金退还",
        headers: REFUND_HEADERS,
        rows,
    }
}

/// `GET /exchange/admin/listings/{id}/result.xlsx`: the result and the
/// refunds in one workbook; audited.
pub async fn result_xlsx(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let result = public_result(&app, &row).await?;
    let lines = refund_lines(&app, &row).await?;
    let results = result_table(&row, result.as_ref());
    let refunds = refund_table(&lines);
    let bytes = to_xlsx_book(&[&results, &refunds])
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store
        .audit(
            &ctx,
            NewAudit::new("exchange.export", "listing", row.id).with_detail(json!({
                "what": "result", "format": "xlsx",
                "rows": results.rows.len() + refunds.rows.len(),
            })),
        )
        .await?;
    let code: String = row
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{code}-result.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_parse_in_shanghai() {
        let at = parse_local("2026-12-14T10:30").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-12-14T10:30:00+08:00");
        assert_eq!(parse_local("2026-12-14 10:30"), Some(at));
        assert_eq!(
            parse_local("2026-12-14T10:30:15").unwrap().to_rfc3339(),
            "2026-12-14T10:30:15+08:00"
        );
        assert_eq!(parse_local("14/12/2026"), None);
        assert_eq!(local_input(at), "2026-12-14T10:30");
    }

    #[test]
    fn fail_reasons_read_in_chinese() {
        assert_eq!(fail_reason_zh(FailReason::NoBids), "挂牌期内无人报价");
        assert_eq!(
            fail_reason_zh(FailReason::BelowReserve),
            "最高报价未达到底价"
        );
    }

    fn row() -> ListingRow {
        ListingRow {
            id: Uuid::nil(),
            notice_id: Uuid::nil(),
            code: "R20042".into(),
            location: "龙腾路东、星湖大道北".into(),
            land_use: "居住用地".into(),
            district: String::new(),
            start_price_fen: 1_847_000,
            listing_start: 0,
            listing_end: 0,
            application_start: 0,
            application_deadline: 0,
            rules_json: "{}".into(),
            summary_json: "{}".into(),
            status: "sold".into(),
            decided_at: Some(0),
            created_at: 0,
        }
    }

    fn sold_with_quantity() -> PublicResult {
        PublicResult {
            listing_id: Uuid::nil(),
            code: "R20042".into(),
            location: "龙腾路东、星湖大道北".into(),
            land_use: "居住用地".into(),
            district: String::new(),
            sold: true,
            winners: vec![Winner {
                name: "甲公司".into(),
                credit_code: "91320600000000001X".into(),
                share: "100.00".into(),
                lead: true,
            }],
            bidder_no: Some(1234),
            basis: PriceBasis::Unit,
            price: Some(Money::from_fen(2_150_000)),
            total_price: Some(Money::from_fen(270_792_048_500)),
            quantity: Some(("1500.00".into(), "配建面积", "平方米")),
            quantity_unit: Some(QuantityUnit::M2),
            fail_reason: None,
            decided_at: Timestamp::parse_rfc3339("2026-12-10T11:04:00+08:00").unwrap(),
            deposit_required: Money::from_fen(232_630_000_000),
        }
    }

    #[test]
    fn a_sale_with_a_quantity_exports_and_publishes_it() {
        let r = sold_with_quantity();
        assert_eq!(
            r.quantity_text().as_deref(),
            Some("配建面积 1500.00 平方米")
        );
        assert_eq!(r.winner_line(), "甲公司");
        let table = result_table(&row(), Some(&r));
        assert_eq!(table.rows.len(), 1);
        let cells = &table.rows[0];
        assert_eq!(cells.len(), RESULT_HEADERS.len());
        assert_eq!(cells[3], Cell::Text("成交".into()));
        assert_eq!(cells[7], Cell::Text("单独竞买".into()));
        assert_eq!(cells[8], Cell::Text("1234".into()));
        assert_eq!(cells[9], Cell::Money(Money::from_fen(2_150_000)));
        assert_eq!(cells[12], Cell::Text("配建面积 1500.00 平方米".into()));
        assert_eq!(cells[13], Cell::Text("2026年12月10日 11:04:00".into()));
        let data = result_data(&r);
        assert_eq!(data.quantity.as_deref(), Some("1500.00"));
        assert_eq!(data.quantity_unit.as_deref(), Some("m2"));
        assert_eq!(data.total_price.as_deref(), Some("2707920485.00"));
    }

    #[test]
    fn failed_and_undecided_rows_fill_every_column() {
        let mut r = sold_with_quantity();
        r.sold = false;
        r.winners.clear();
        r.fail_reason = Some(FailReason::BelowReserve);
        let failed = result_table(&row(), Some(&r));
        let cells = &failed.rows[0];
        assert_eq!(cells.len(), RESULT_HEADERS.len());
        assert_eq!(cells[3], Cell::Text("流拍".into()));
        assert_eq!(cells[4], Cell::Text("最高报价未达到底价".into()));
        assert_eq!(cells[13], Cell::Text("2026年12月10日 11:04:00".into()));
        let pending = result_table(&row(), None);
        assert_eq!(pending.rows[0].len(), RESULT_HEADERS.len());
        assert_eq!(pending.rows[0][3], Cell::Text("结果尚未确定".into()));
    }
}
