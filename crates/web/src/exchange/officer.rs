//! The exchange officers' desk view: who applied for a listing, what the
//! bank reported, who qualified under which number, and the ineligible list
//! (§3.1) they keep.
//!
//! Names appear here and nowhere public before the result: these routes are
//! for exchange officers only (see the route table).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::{CreditCode, Money, Timestamp};
use yiwang_store::exchange::{BankTxnQuery, IneligibleKind, IneligibleQuery, NewIneligible};
use yiwang_store::Page;

use super::applications::listing_row;
use super::numbers::bidder_number;
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{render, show_time, Chrome};
use crate::AppState;

struct AppRow {
    lead: String,
    lead_name: String,
    partners: String,
    credited: String,
    status: String,
    bidder_no: String,
}

struct TxnRow {
    txn_id: String,
    account_no: String,
    amount: String,
    payer: String,
    received: String,
    outcome: String,
    refund: String,
}

#[derive(Template)]
#[template(path = "exchange/officer_listing.html")]
struct ListingDesk {
    chrome: Chrome,
    code: String,
    location: String,
    status: String,
    apps: Vec<AppRow>,
    txns: Vec<TxnRow>,
    /// The sealed reserve, its form and the export links' listing.
    reserve: super::reserve::ReservePanel,
    /// Suspending and resuming the listing.
    suspension: super::suspension::SuspensionPanel,
    /// Deposits due back after the result, and the refund form.
    refunds: super::results::RefundPanel,
}

fn outcome_label(code: &str) -> &'static str {
    match code {
        "credited" => "已入账",
        "late" => "逾期到账（退还）",
        "short" => "金额不足（退还）",
        "unknown_account" => "账号不存在（退还）",
        "not_applied" => "非竞买人缴纳（退还）",
        _ => "已登记",
    }
}

/// `GET /exchange/admin/listings/{id}`
pub async fn listing_desk(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let apps = app
        .desk
        .view(row.id, |l| {
            l.state()
                .applications()
                .iter()
                .map(|a| {
                    let partners = a
                        .partners
                        .iter()
                        .map(|p| {
                            format!(
                                "{} {}%{}",
                                p.party.as_str(),
                                p.share,
                                if p.consented {
                                    "（已确认）"
                                } else {
                                    "（未确认）"
                                }
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("；");
                    (
                        a.lead.as_str().to_owned(),
                        partners,
                        a.credited,
                        a.bidder.map(|b| b.0),
                        a.all_consented(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let accounts = app.store.deposit_accounts(row.id).await?;
    let mut rows = Vec::new();
    for (lead, partners, credited, bidder, consented) in apps {
        let name = match accounts.iter().find(|a| a.application_ref == lead) {
            Some(acc) => app
                .store
                .enterprise(acc.enterprise_id)
                .await?
                .map(|e| e.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        rows.push(AppRow {
            lead,
            lead_name: name,
            partners,
            credited: format!("{} 元", credited.format_grouped()),
            status: match (bidder, consented) {
                (Some(_), _) => "已取得竞买资格".to_owned(),
                (None, false) => "等待联合方确认".to_owned(),
                (None, true) => "等待保证金".to_owned(),
            },
            bidder_no: bidder.map_or("—".to_owned(), |b| bidder_number(row.id, b).to_string()),
        });
    }
    let q = BankTxnQuery {
        listing_id: Some(row.id),
        ..BankTxnQuery::default()
    };
    let txns = app
        .store
        .bank_transactions(&q, Page::number(1, Page::MAX_LIMIT))
        .await?
        .items
        .into_iter()
        .map(|t| TxnRow {
            txn_id: t.bank_txn_id,
            account_no: t.account_no,
            amount: format!("{} 元", Money::from_fen(t.amount_fen).format_grouped()),
            payer: format!("{}（{}）", t.payer_name, t.payer_account),
            received: show_time(Some(t.received_at)),
            outcome: outcome_label(t.outcome.map_or("", |o| o.code())).to_owned(),
            refund: match (t.refund_due_at, t.refunded_at) {
                (_, Some(at)) => format!("已退还 {}", show_time(Some(at))),
                (Some(due), None) => format!("应于 {} 前退还", show_time(Some(due))),
                _ => "—".to_owned(),
            },
        })
        .collect();
    let reserve = super::reserve::panel(&app, &row).await?;
    let suspension = super::suspension::panel(&app, &row).await?;
    let refunds = super::results::panel(&app, &row).await?;
    render(&ListingDesk {
        reserve,
        suspension,
        refunds,
        chrome: chrome.titled(format!("挂牌管理 {}", row.code), "exchange"),
        code: row.code,
        location: row.location,
        status: row.status,
        apps: rows,
        txns,
    })
}

struct IneligibleView {
    id: Uuid,
    code: String,
    name: String,
    kind: &'static str,
    reason: String,
    from: String,
    until: String,
    in_force: bool,
}

fn kind_label(k: IneligibleKind) -> &'static str {
    match k {
        IneligibleKind::Arrears => "欠缴土地出让金",
        IneligibleKind::Default => "违约",
        IneligibleKind::Blacklist => "失信黑名单",
    }
}

#[derive(Template)]
#[template(path = "exchange/ineligible.html")]
struct IneligiblePage {
    chrome: Chrome,
    rows: Vec<IneligibleView>,
    form: IneligibleForm,
    errors: Vec<FieldError>,
    q: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct IneligibleForm {
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    /// Last day in force (inclusive), `YYYY-MM-DD`; empty: until lifted.
    #[serde(default)]
    until: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn ineligible_page(
    app: &AppState,
    chrome: Chrome,
    q: String,
    form: IneligibleForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let now = app.clock.now().micros();
    let query = IneligibleQuery {
        search: Some(q.trim().to_owned()).filter(|s| !s.is_empty()),
        ..IneligibleQuery::default()
    };
    let rows = app
        .store
        .list_ineligible(&query, Page::number(1, Page::MAX_LIMIT))
        .await?
        .items
        .into_iter()
        .map(|r| IneligibleView {
            in_force: r.in_force_at(now),
            id: r.id,
            code: r.credit_code,
            name: r.name,
            kind: kind_label(r.kind),
            reason: r.reason,
            from: show_time(Some(r.listed_from)),
            until: match (r.lifted_at, r.listed_until) {
                (Some(at), _) => format!("已于 {} 解除", show_time(Some(at))),
                (None, Some(u)) => show_time(Some(u)),
                (None, None) => "解除前持续有效".to_owned(),
            },
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut resp = render(&IneligiblePage {
        chrome: chrome.titled("竞买资格限制名单", "exchange"),
        rows,
        form,
        errors,
        q,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /exchange/admin/ineligible`
pub async fn ineligible(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    ineligible_page(&app, chrome, q.q, IneligibleForm::default(), vec![]).await
}

/// `POST /exchange/admin/ineligible`
pub async fn add_ineligible(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(f): Form<IneligibleForm>,
) -> Result<Response, PageError> {
    let mut errors = Vec::new();
    let code = CreditCode::parse(&f.credit_code)
        .map_err(|e| {
            errors.push(FieldError::new(
                "credit_code",
                format!("统一社会信用代码有误：{e}"),
            ))
        })
        .ok();
    if f.name.trim().is_empty() {
        errors.push(FieldError::new("name", "请填写单位名称"));
    }
    let kind = IneligibleKind::from_code(&f.kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "请选择限制原因类别"));
    }
    if f.reason.trim().is_empty() {
        errors.push(FieldError::new("reason", "请填写具体原因和依据"));
    }
    let now = app.clock.now();
    let until = if f.until.trim().is_empty() {
        None
    } else {
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(f.until.trim(), &fmt) {
            Ok(d) => {
                let end = Timestamp::from_shanghai(d.next_day().unwrap_or(d), 0, 0, 0);
                if end <= now {
                    errors.push(FieldError::new("until", "截止日期应晚于今天"));
                }
                Some(end.micros())
            }
            Err(_) => {
                errors.push(FieldError::new("until", "日期格式应为 YYYY-MM-DD"));
                None
            }
        }
    };
    match (code, kind) {
        (Some(code), Some(kind)) if errors.is_empty() => {
            let ctx = app.audit_ctx(&viewer, &addr);
            app.store
                .add_ineligible(
                    &ctx,
                    NewIneligible {
                        credit_code: code.as_str().to_owned(),
                        name: f.name.trim().to_owned(),
                        kind,
                        reason: f.reason.trim().to_owned(),
                        listed_from: now.micros(),
                        listed_until: until,
                    },
                )
                .await?;
            Ok(Redirect::to("/exchange/admin/ineligible").into_response())
        }
        _ => ineligible_page(&app, chrome, String::new(), f, errors).await,
    }
}

/// `POST /exchange/admin/ineligible/{id}/lift`
pub async fn lift_ineligible(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store.lift_ineligible(&ctx, id).await?;
    Ok(Redirect::to("/exchange/admin/ineligible").into_response())
}
