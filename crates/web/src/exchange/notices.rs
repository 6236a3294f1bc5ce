//! Transfer notices (出让公告) on the web: the officer's drafting desk and
//! the public's notice pages.
//!
//! An exchange officer creates a draft (number, title, preamble), imports
//! the parcels by pasting the notice's tables or uploading CSV/XLSX, fills
//! in per parcel what the tables do not give (increment, follow-on
//! settings, windows, notes, district), previews the official form and
//! publishes. Publishing is refused with every problem listed; otherwise
//! the store publishes the notice and creates one listing per parcel, all
//! or nothing, and the trading desk opens each listing's event log. A
//! published notice is never edited: it is amended by a supplementary
//! notice (补充公告) or terminated (终止); the store audits both.
//!
//! The public sees published and terminated notices only: a list with
//! search and filters, each notice in its official form as a page, a print
//! view (A4) and plain text.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::{Money, Ratio, Timestamp};
use yiwang_exchange::engine::{Action, Verdict};
use yiwang_exchange::notice::import::column_letter;
use yiwang_exchange::notice::parcel::{format_yuan, parse_note};
use yiwang_exchange::notice::render::{standard_preamble, TableLayout};
use yiwang_exchange::notice::{
    import_grids, render_text, CellProblem, FollowOn, ImportOptions, Notice, NoticeNumber,
    NoticeView, Parcel, PriceBasis, Window, Windows, DEFAULT_ISSUER, DEFAULT_TITLE,
};
use yiwang_store::exchange::{
    ListingQuery, NewNotice, NewSupplement, NoticeEdit, NoticeQuery, NoticeStatus as RowStatus,
};
use yiwang_store::{Page, StoreError};

use super::notice_data::{
    calendar, decode, draw_lottery_seeds, listing_status_at, listing_status_label, load,
    load_public, notice_status_label, plan_listing, publication_problems, Loaded, NoticeBody,
    Problem, DISTRICTS,
};
use super::notice_import::{file_grids, read_multipart, text_grids, ImportInput};
use crate::auth::access::{Routes, EXCHANGE_STAFF};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{pager, render, Chrome};
use crate::{Access, AppState};

const PAGE_SIZE: u32 = 20;

/// The notice pages' routes.
pub fn routes(r: Routes) -> Routes {
    use Access::*;
    let staff = Roles(EXCHANGE_STAFF);
    r.get("/exchange/notices", Public, public_list)
        .get("/exchange/notices/{id}", Public, public_show)
        .get("/exchange/notices/{id}/print", Public, public_print)
        .get("/exchange/notices/{id}/notice.txt", Public, public_text)
        .get("/exchange/officer/notices", staff, officer_list)
        .get("/exchange/officer/notices/new", staff, new_page)
        .post("/exchange/officer/notices", staff, create)
        .get("/exchange/officer/notices/{id}", staff, workspace)
        .post("/exchange/officer/notices/{id}", staff, update_meta)
        .post("/exchange/officer/notices/{id}/import", staff, import)
        .get(
            "/exchange/officer/notices/{id}/parcel",
            staff,
            parcel_page_get,
        )
        .post(
            "/exchange/officer/notices/{id}/parcel",
            staff,
            parcel_submit,
        )
        .get("/exchange/officer/notices/{id}/preview", staff, preview)
        .post("/exchange/officer/notices/{id}/publish", staff, publish)
        .post(
            "/exchange/officer/notices/{id}/supplements",
            staff,
            add_supplement,
        )
        .post("/exchange/officer/notices/{id}/terminate", staff, terminate)
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

/// Whether the viewer is exchange staff (for links to the officer's pages).
pub fn is_officer(viewer: &Viewer) -> bool {
    viewer.role().is_some_and(|r| EXCHANGE_STAFF.contains(&r))
}

fn text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// A Shanghai date `YYYY-MM-DD` as the instant it begins, or of the next
/// day (`end`).
pub fn day_bound(field: &str, s: &str, end: bool) -> Result<Option<i64>, AppError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s.trim(), &fmt)
        .map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD，例如 2026-12-16"))?;
    let d = if end { d.next_day().unwrap_or(d) } else { d };
    Ok(Some(Timestamp::from_shanghai(d, 0, 0, 0).micros()))
}

/// `?a=1&b=2` of the non-empty pairs, or "" when there are none.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!(
            "?{}",
            serde_urlencoded::to_string(&kept).unwrap_or_default()
        )
    }
}

/// The official form, as the templates show it.
#[derive(Debug, Clone)]
pub struct OfficialForm {
    pub view: NoticeView,
    pub preamble_paragraphs: Vec<String>,
    pub draft: bool,
}

impl OfficialForm {
    pub fn of(notice: &Notice) -> OfficialForm {
        let view = NoticeView::of(notice);
        OfficialForm {
            preamble_paragraphs: view
                .preamble
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            draft: view.status_code == "draft",
            view,
        }
    }
}

// --- Public pages -----------------------------------------------------------

/// Filters of the public notice list and the notices API.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeFilter {
    /// Substring of the number or the title.
    #[serde(default)]
    pub q: String,
    /// `published` or `terminated`; empty for both.
    #[serde(default)]
    pub status: String,
    /// Published on or after this day, `YYYY-MM-DD` (Asia/Shanghai).
    #[serde(default)]
    pub from: String,
    /// Published on or before this day, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: String,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<u32>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub size: Option<u32>,
}

impl NoticeFilter {
    /// The store query; drafts are never public.
    pub fn query(&self) -> Result<NoticeQuery, AppError> {
        let status = match self.status.trim() {
            "" => None,
            "published" => Some(RowStatus::Published),
            "terminated" => Some(RowStatus::Terminated),
            _ => {
                return Err(AppError::field(
                    "status",
                    "状态只能是 published（已发布）或 terminated（已终止）",
                ))
            }
        };
        Ok(NoticeQuery {
            status,
            search: text(&self.q),
            // Drafts have no publication time: any lower bound leaves them out.
            published_from: day_bound("from", &self.from, false)?.or(Some(0)),
            published_to: day_bound("to", &self.to, true)?,
        })
    }

    pub fn page(&self) -> Page {
        Page::number(
            self.page.unwrap_or(1),
            self.size.unwrap_or(PAGE_SIZE).min(100),
        )
    }

    fn keep(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.clone()),
            ("status", self.status.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
        ]
    }
}

struct PublicNoticeRow {
    id: Uuid,
    number: String,
    title: String,
    codes: String,
    published_on: String,
    status_code: &'static str,
    status_label: &'static str,
}

#[derive(Template)]
#[template(path = "exchange/notices.html")]
struct PublicListPage {
    chrome: Chrome,
    officer: bool,
    f: NoticeFilter,
    qs: String,
    error: Option<String>,
    total: u64,
    rows: Vec<PublicNoticeRow>,
    pager: String,
}

/// `GET /exchange/notices`
pub async fn public_list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<NoticeFilter>,
) -> Result<Response, PageError> {
    let (found, error) = match f.query() {
        Ok(q) => (Some(app.store.list_notices(&q, f.page()).await?), None),
        Err(AppError::Invalid(e)) => (None, e.first().map(|e| e.message.clone())),
        Err(e) => return Err(e.into()),
    };
    let total = found.as_ref().map_or(0, |p| p.total);
    let mut rows = Vec::new();
    for row in found.map(|p| p.items).unwrap_or_default() {
        if row.status == RowStatus::Draft {
            continue;
        }
        let loaded = decode(row, &[])?;
        rows.push(PublicNoticeRow {
            id: loaded.row.id,
            number: loaded.row.number.clone(),
            title: loaded.row.title.clone(),
            codes: codes(loaded.notice()),
            published_on: loaded
                .notice()
                .published_at
                .map(yiwang_exchange::notice::render::format_date_cn)
                .unwrap_or_default(),
            status_code: loaded.row.status.code(),
            status_label: notice_status_label(loaded.row.status),
        });
    }
    let page = f.page.unwrap_or(1).max(1);
    let size = f.page().limit;
    let mut resp = render(&PublicListPage {
        chrome: chrome.titled("出让公告", "exchange"),
        officer: is_officer(&viewer),
        pager: pager("/exchange/notices", &f.keep(), page, size, total),
        qs: query_string(&f.keep()),
        f,
        error: error.clone(),
        total,
        rows,
    })?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

fn codes(notice: &Notice) -> String {
    notice
        .parcels
        .iter()
        .map(|p| p.code.to_string())
        .collect::<Vec<_>>()
        .join("、")
}

/// A parcel's detail card with its listing, for the notice page.
struct ParcelCard {
    code: String,
    fields: Vec<(String, String)>,
    listing: Option<(Uuid, &'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "exchange/notice.html")]
struct PublicNoticePage {
    chrome: Chrome,
    officer: bool,
    id: Uuid,
    form: OfficialForm,
    cards: Vec<ParcelCard>,
}

async fn parcel_cards(app: &AppState, loaded: &Loaded) -> Result<Vec<ParcelCard>, AppError> {
    let listings = app
        .store
        .list_listings(
            &ListingQuery {
                notice_id: Some(loaded.row.id),
                ..ListingQuery::default()
            },
            Page::number(1, Page::MAX_LIMIT),
        )
        .await?
        .items;
    let now = app.clock.now();
    let view = NoticeView::of(loaded.notice());
    Ok(view
        .parcels
        .into_iter()
        .map(|p| {
            let listing = listings.iter().find(|l| l.code == p.code).map(|l| {
                let code = listing_status_at(l, now);
                (l.id, code, listing_status_label(code))
            });
            let mut fields: Vec<(String, String)> =
                p.fields.into_iter().map(|f| (f.label, f.value)).collect();
            let district = loaded.body.district(&p.code);
            if !district.is_empty() {
                fields.insert(2, ("所在区域".to_owned(), district.to_owned()));
            }
            ParcelCard {
                code: p.code,
                fields,
                listing,
            }
        })
        .collect())
}

/// `GET /exchange/notices/{id}`
pub async fn public_show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load_public(&app, parse_id(&id)?).await?;
    let cards = parcel_cards(&app, &loaded).await?;
    render(&PublicNoticePage {
        chrome: chrome.titled(loaded.row.number.clone(), "exchange"),
        officer: is_officer(&viewer),
        id: loaded.row.id,
        form: OfficialForm::of(loaded.notice()),
        cards,
    })
}

#[derive(Template)]
#[template(path = "exchange/notice_print.html")]
struct PrintPage {
    title: String,
    id: Uuid,
    form: OfficialForm,
}

/// `GET /exchange/notices/{id}/print`: the official form alone, for A4.
pub async fn public_print(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load_public(&app, parse_id(&id)?).await?;
    render(&PrintPage {
        title: format!("{} {}", loaded.row.number, loaded.row.title),
        id: loaded.row.id,
        form: OfficialForm::of(loaded.notice()),
    })
}

/// `GET /exchange/notices/{id}/notice.txt`: the official form as plain text.
pub async fn public_text(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load_public(&app, parse_id(&id)?).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"notice.txt\"",
            ),
        ],
        render_text(loaded.notice()),
    )
        .into_response())
}

// --- The officer's list and new drafts -----------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct OfficerFilter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<u32>,
}

struct OfficerRow {
    id: Uuid,
    number: String,
    title: String,
    status_code: &'static str,
    status_label: &'static str,
    parcels: String,
    published_at: String,
    updated_at: String,
}

#[derive(Template)]
#[template(path = "exchange/officer_notices.html")]
struct OfficerListPage {
    chrome: Chrome,
    officer: bool,
    q: String,
    status: String,
    error: Option<String>,
    total: u64,
    rows: Vec<OfficerRow>,
    pager: String,
}

/// `GET /exchange/officer/notices`
pub async fn officer_list(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(f): Query<OfficerFilter>,
) -> Result<Response, PageError> {
    let status = match f.status.as_str() {
        "" => Ok(None),
        code => RowStatus::from_code(code)
            .map(Some)
            .ok_or_else(|| "状态只能是草稿、已发布或已终止".to_owned()),
    };
    let page = f.page.unwrap_or(1).max(1);
    let (found, error) = match status {
        Ok(status) => {
            let q = NoticeQuery {
                status,
                search: text(&f.q),
                ..NoticeQuery::default()
            };
            (
                Some(
                    app.store
                        .list_notices(&q, Page::number(page, PAGE_SIZE))
                        .await?,
                ),
                None,
            )
        }
        Err(e) => (None, Some(e)),
    };
    let total = found.as_ref().map_or(0, |p| p.total);
    let mut rows = Vec::new();
    for row in found.map(|p| p.items).unwrap_or_default() {
        let loaded = decode(row, &[])?;
        rows.push(OfficerRow {
            id: loaded.row.id,
            number: loaded.row.number.clone(),
            title: loaded.row.title.clone(),
            status_code: loaded.row.status.code(),
            status_label: notice_status_label(loaded.row.status),
            parcels: codes(loaded.notice()),
            published_at: crate::pages::show_time(loaded.row.published_at),
            updated_at: crate::pages::show_time(Some(loaded.row.updated_at)),
        });
    }
    let keep = [("q", f.q.clone()), ("status", f.status.clone())];
    let mut resp = render(&OfficerListPage {
        chrome: chrome.titled("出让公告管理", "exchange"),
        officer: true,
        pager: pager("/exchange/officer/notices", &keep, page, PAGE_SIZE, total),
        q: f.q,
        status: f.status,
        error: error.clone(),
        total,
        rows,
    })?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The new-draft form as typed.
#[derive(Debug, Clone, Deserialize)]
pub struct NewNoticeForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    preamble: String,
}

impl Default for NewNoticeForm {
    fn default() -> Self {
        NewNoticeForm {
            number: String::new(),
            title: DEFAULT_TITLE.to_owned(),
            issuer: DEFAULT_ISSUER.to_owned(),
            preamble: standard_preamble(DEFAULT_ISSUER, TableLayout::Combined),
        }
    }
}

#[derive(Template)]
#[template(path = "exchange/officer_notice_new.html")]
struct NewPage {
    chrome: Chrome,
    officer: bool,
    form: NewNoticeForm,
    errors: Vec<FieldError>,
}

/// `GET /exchange/officer/notices/new`
pub async fn new_page(chrome: Chrome) -> Result<Response, PageError> {
    render(&NewPage {
        chrome: chrome.titled("新建出让公告", "exchange"),
        officer: true,
        form: NewNoticeForm::default(),
        errors: vec![],
    })
}

/// Checks the notice's own texts; `preamble` may have several paragraphs.
fn check_meta(
    title: &str,
    issuer: &str,
    preamble: &str,
    errors: &mut Vec<FieldError>,
) -> (String, String, String) {
    let title = title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 100 || title.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "title",
            "请填写公告标题（一行，不超过 100 个字）",
        ));
    }
    let issuer = issuer.trim().to_owned();
    if issuer.is_empty() || issuer.chars().count() > 50 || issuer.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "issuer",
            "请填写发布机关（一行，不超过 50 个字）",
        ));
    }
    let preamble = preamble.replace("\r\n", "\n").trim().to_owned();
    if preamble.chars().count() > 5000 || preamble.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError::new(
            "preamble",
            "公告正文不超过 5000 个字，且不能含有制表符等控制字符",
        ));
    }
    (title, issuer, preamble)
}

/// `POST /exchange/officer/notices`
pub async fn create(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Form(f): Form<NewNoticeForm>,
) -> Result<Response, PageError> {
    let mut errors = Vec::new();
    let number = match NoticeNumber::parse(&f.number) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError::new("number", e.to_string()));
            None
        }
    };
    let (title, issuer, preamble) = check_meta(&f.title, &f.issuer, &f.preamble, &mut errors);
    if let (Some(number), true) = (number, errors.is_empty()) {
        let mut notice = Notice::draft(number.clone());
        notice.title = title.clone();
        notice.issuer = issuer;
        notice.preamble = preamble;
        let body = NoticeBody {
            notice,
            districts: BTreeMap::new(),
        };
        let ctx = app.audit_ctx(&viewer, &addr);
        let new = NewNotice {
            number: number.to_string(),
            title,
            body_json: body.to_json(),
        };
        match app.store.create_notice(&ctx, new).await {
            Ok(row) => {
                return Ok(Redirect::to(&format!(
                    "/exchange/officer/notices/{}?ok=created",
                    row.id
                ))
                .into_response())
            }
            Err(StoreError::Conflict { .. }) => errors.push(FieldError::new(
                "number",
                format!("公告编号 {number} 已存在，请核对编号"),
            )),
            Err(e) => return Err(e.into()),
        }
    }
    let mut resp = render(&NewPage {
        chrome: chrome.titled("新建出让公告", "exchange"),
        officer: true,
        form: f,
        errors,
    })?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

// --- The officer's workspace --------------------------------------------------

/// One bad cell, as the import table shows it.
#[derive(Debug)]
pub struct CellRow {
    pub table: String,
    pub row: String,
    pub column: String,
    pub value: String,
    pub expected: String,
}

impl From<&CellProblem> for CellRow {
    fn from(p: &CellProblem) -> Self {
        CellRow {
            table: if p.table.is_empty() {
                "—".to_owned()
            } else {
                p.table.clone()
            },
            row: p.row.map_or("—".to_owned(), |r| r.to_string()),
            column: p.column.as_ref().map_or("—".to_owned(), |c| {
                let letter = if c.letter.is_empty() {
                    column_letter(c.index)
                } else {
                    c.letter.clone()
                };
                if c.header.is_empty() {
                    letter
                } else {
                    format!("{letter}（{}）", c.header)
                }
            }),
            value: p.value.clone(),
            expected: p.expected.clone(),
        }
    }
}

struct ParcelRow {
    code: String,
    location: String,
    land_use: String,
    land_area: String,
    district: String,
    start_price: String,
    increment: String,
    deposit: String,
    rule: String,
    listing: String,
}

struct ListingLink {
    id: Uuid,
    code: String,
    status_label: &'static str,
}

struct SupplementRowView {
    number: String,
    published_on: String,
    text: String,
}

/// What the workspace shows besides the notice itself.
#[derive(Default)]
struct Extras {
    notice: Option<String>,
    errors: Vec<FieldError>,
    import_problems: Vec<CellRow>,
    import_text: String,
    publish_problems: Option<Vec<Problem>>,
    supplement_number: Option<String>,
    supplement_text: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "exchange/officer_notice.html")]
struct WorkspacePage {
    chrome: Chrome,
    officer: bool,
    id: Uuid,
    number: String,
    title: String,
    issuer: String,
    preamble: String,
    notes: String,
    version: i64,
    status_code: &'static str,
    status_label: &'static str,
    published_at: String,
    termination: Option<String>,
    parcels: Vec<ParcelRow>,
    listings: Vec<ListingLink>,
    supplements: Vec<SupplementRowView>,
    problems: Vec<Problem>,
    /// Problems found on an attempt to publish (shown prominently).
    refused: bool,
    advice: Vec<String>,
    x: Extras,
}

fn money_in_basis(m: Money, basis: PriceBasis) -> String {
    match basis {
        PriceBasis::Unit => format!("{} 元/平方米", format_yuan(m)),
        PriceBasis::Total => format!("{} 万元", m.to_wan_yuan_string()),
    }
}

async fn render_workspace(
    app: &AppState,
    chrome: Chrome,
    loaded: &Loaded,
    x: Extras,
    status: StatusCode,
) -> Result<Response, PageError> {
    let notice = loaded.notice();
    let now = app.clock.now();
    let draft = loaded.row.status == RowStatus::Draft;
    let refused = x.publish_problems.is_some();
    let problems = match &x.publish_problems {
        Some(p) => p.clone(),
        None if draft => publication_problems(notice, now, &calendar(&app.config)?),
        None => Vec::new(),
    };
    let mut advice = Vec::new();
    if draft {
        let missing: Vec<String> = notice
            .parcels
            .iter()
            .filter(|p| loaded.body.district(p.code.as_str()).is_empty())
            .map(|p| p.code.to_string())
            .collect();
        if !missing.is_empty() {
            advice.push(format!(
                "地块 {} 未填写所在区域：不影响发布，但公众将无法按区域查到该地块",
                missing.join("、")
            ));
        }
    }
    let listings = if draft {
        Vec::new()
    } else {
        app.store
            .list_listings(
                &ListingQuery {
                    notice_id: Some(loaded.row.id),
                    ..ListingQuery::default()
                },
                Page::number(1, Page::MAX_LIMIT),
            )
            .await?
            .items
            .iter()
            .map(|l| ListingLink {
                id: l.id,
                code: l.code.clone(),
                status_label: listing_status_label(listing_status_at(l, now)),
            })
            .collect()
    };
    let parcels = notice
        .parcels
        .iter()
        .map(|p| ParcelRow {
            code: p.code.to_string(),
            location: p.location.clone(),
            land_use: p.land_use.to_string(),
            land_area: p.land_area.to_string(),
            district: loaded.body.district(p.code.as_str()).to_owned(),
            start_price: p
                .start_price
                .map_or("—".to_owned(), |m| money_in_basis(m, p.price_basis)),
            increment: p
                .increment
                .map_or("—".to_owned(), |m| money_in_basis(m, p.price_basis)),
            deposit: p.deposit.map_or("—".to_owned(), |m| {
                format!("{} 万元", m.to_wan_yuan_string())
            }),
            rule: p.rule.describe(),
            listing: p.windows.map_or("—".to_owned(), |w| w.listing.format_cn()),
        })
        .collect();
    let termination = match &notice.status {
        yiwang_exchange::notice::NoticeStatus::Terminated { at, reason } => Some(format!(
            "{} 终止：{reason}",
            yiwang_exchange::notice::render::format_date_cn(*at)
        )),
        _ => None,
    };
    let mut resp = render(&WorkspacePage {
        chrome: chrome.titled(format!("公告管理 {}", loaded.row.number), "exchange"),
        officer: true,
        id: loaded.row.id,
        number: loaded.row.number.clone(),
        title: notice.title.clone(),
        issuer: notice.issuer.clone(),
        preamble: notice.preamble.clone(),
        notes: notice.notes.join("\n"),
        version: loaded.row.version,
        status_code: loaded.row.status.code(),
        status_label: notice_status_label(loaded.row.status),
        published_at: crate::pages::show_time(loaded.row.published_at),
        termination,
        parcels,
        listings,
        supplements: notice
            .supplements
            .iter()
            .map(|s| SupplementRowView {
                number: s.number.clone(),
                published_on: yiwang_exchange::notice::render::format_date_cn(s.published_at),
                text: s.text.clone(),
            })
            .collect(),
        problems,
        refused,
        advice,
        x: Extras {
            supplement_number: x.supplement_number.clone().or_else(|| {
                Some(format!(
                    "{}补充公告{}",
                    loaded.row.number,
                    match notice.supplements.len() {
                        0 => String::new(),
                        n => format!("({})", n + 1),
                    }
                ))
            }),
            ..x
        },
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

#[derive(Debug, Default, Deserialize)]
pub struct OkQuery {
    #[serde(default)]
    ok: String,
}

fn ok_message(code: &str) -> Option<String> {
    Some(
        match code {
            "created" => "草稿已创建。下一步：导入地块表格。",
            "saved" => "已保存。",
            "imported" => "地块表格已导入。请核对地块信息，补填加价幅度等表格未载明的内容。",
            "parcel" => "地块信息已保存。",
            "removed" => "地块已从草稿中移除。",
            "published" => "公告已发布，各地块已生成挂牌项目。",
            "supplement" => "补充公告已发布。",
            "terminated" => "公告已终止，其挂牌项目已停止交易。",
            _ => return None,
        }
        .to_owned(),
    )
}

/// `GET /exchange/officer/notices/{id}`
pub async fn workspace(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
    Query(q): Query<OkQuery>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let x = Extras {
        notice: ok_message(&q.ok),
        ..Extras::default()
    };
    render_workspace(&app, chrome, &loaded, x, StatusCode::OK).await
}

/// Saves a draft's new content made against `version`; a conflict comes
/// back as a field error.
async fn save_draft(
    app: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    loaded: &Loaded,
    body: &NoticeBody,
    version: Option<i64>,
) -> Result<Result<(), FieldError>, AppError> {
    if loaded.row.status != RowStatus::Draft {
        return Ok(Err(FieldError::new(
            "status",
            format!(
                "公告{}{}，不能直接修改：已发布的公告只能发布补充公告或终止",
                loaded.row.number,
                notice_status_label(loaded.row.status)
            ),
        )));
    }
    let ctx = app.audit_ctx(viewer, addr);
    let edit = NoticeEdit {
        title: body.notice.title.clone(),
        body_json: body.to_json(),
        expected_version: version.unwrap_or(loaded.row.version),
    };
    match app
        .store
        .update_draft_notice(&ctx, loaded.row.id, edit)
        .await
    {
        Ok(_) => Ok(Ok(())),
        Err(StoreError::Conflict { field }) => Ok(Err(conflict(field))),
        Err(e) => Err(e.into()),
    }
}

fn conflict(field: &str) -> FieldError {
    match field {
        "version" => FieldError::new(
            "version",
            "公告已在您打开页面后被修改（可能是其他工作人员）：请刷新页面，核对后重新提交",
        ),
        "status" => FieldError::new(
            "status",
            "公告已不是草稿：已发布的公告只能发布补充公告或终止",
        ),
        "code" => FieldError::new(
            "code",
            "有地块编号已被其他公告的挂牌项目使用：同一地块编号只能挂牌一次，请核对地块编号",
        ),
        "supplement_number" => {
            FieldError::new("supplement_number", "该补充公告编号已使用：请换一个编号")
        }
        other => FieldError::new(other, format!("{other} 已存在")),
    }
}

/// The notice-information form.
#[derive(Debug, Default, Deserialize)]
pub struct MetaForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    preamble: String,
    #[serde(default)]
    notes: String,
}

/// `POST /exchange/officer/notices/{id}`: title, issuer, preamble, notes.
pub async fn update_meta(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(f): Form<MetaForm>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let mut errors = Vec::new();
    let (title, issuer, preamble) = check_meta(&f.title, &f.issuer, &f.preamble, &mut errors);
    let mut notes = Vec::new();
    for (i, line) in f.notes.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_note(line) {
            Ok(n) => notes.push(n),
            Err(e) => errors.push(FieldError::new("notes", format!("第 {} 条注：{e}", i + 1))),
        }
    }
    if errors.is_empty() {
        let mut body = loaded.body.clone();
        body.notice.title = title;
        body.notice.issuer = issuer;
        body.notice.preamble = preamble;
        body.notice.notes = notes;
        match save_draft(&app, &viewer, &addr, &loaded, &body, f.version).await? {
            Ok(()) => return Ok(redirect_ok(loaded.row.id, "saved")),
            Err(e) => errors.push(e),
        }
    }
    let x = Extras {
        errors,
        ..Extras::default()
    };
    render_workspace(&app, chrome, &loaded, x, StatusCode::UNPROCESSABLE_ENTITY).await
}

fn redirect_ok(id: Uuid, ok: &str) -> Response {
    Redirect::to(&format!("/exchange/officer/notices/{id}?ok={ok}")).into_response()
}

/// The paste form.
#[derive(Debug, Default, Deserialize)]
pub struct PasteForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    text: String,
}

/// `POST /exchange/officer/notices/{id}/import`: pasted text (a form) or
/// an uploaded file (multipart, the CSRF token in the query string).
/// Replaces the draft's parcels only when every cell is valid.
pub async fn import(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"));
    let input = if multipart {
        let (parts, body) = req.into_parts();
        read_multipart(&parts.headers, body).await?
    } else {
        let Form(f) = Form::<PasteForm>::from_request(req, &app)
            .await
            .map_err(|_| AppError::BadRequest("表单内容有误".to_owned()))?;
        ImportInput {
            version: f.version,
            text: f.text,
            file: None,
        }
    };
    let grids = match &input.file {
        Some((name, bytes)) => file_grids(name, bytes),
        None if input.text.trim().is_empty() => {
            let x = Extras {
                errors: vec![FieldError::new(
                    "text",
                    "请粘贴地块表格，或选择要上传的 CSV/XLSX 文件",
                )],
                ..Extras::default()
            };
            return render_workspace(&app, chrome, &loaded, x, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
        None => text_grids(&input.text),
    };
    let imported = grids
        .and_then(|grids| import_grids(&grids, &ImportOptions::default()).map_err(|e| e.problems));
    let mut x = Extras {
        import_text: input.text.clone(),
        ..Extras::default()
    };
    match imported {
        Ok(imported) => {
            let mut body = loaded.body.clone();
            let old_layout = TableLayout::for_notice(&body.notice);
            body.notice.parcels = imported.parcels;
            if !imported.notes.is_empty() {
                body.notice.notes = imported.notes;
            }
            // A standard preamble follows the layout the parcels need.
            let issuer = body.notice.issuer.clone();
            if body.notice.preamble.trim().is_empty()
                || body.notice.preamble == standard_preamble(&issuer, old_layout)
                || [TableLayout::Combined, TableLayout::Separate]
                    .iter()
                    .any(|l| body.notice.preamble == standard_preamble(&issuer, *l))
            {
                body.notice.preamble =
                    standard_preamble(&issuer, TableLayout::for_notice(&body.notice));
            }
            let codes: Vec<String> = body
                .notice
                .parcels
                .iter()
                .map(|p| p.code.to_string())
                .collect();
            body.districts.retain(|code, _| codes.contains(code));
            match save_draft(&app, &viewer, &addr, &loaded, &body, input.version).await? {
                Ok(()) => return Ok(redirect_ok(loaded.row.id, "imported")),
                Err(e) => x.errors.push(e),
            }
        }
        Err(problems) => {
            x.import_problems = problems.iter().map(CellRow::from).collect();
        }
    }
    render_workspace(&app, chrome, &loaded, x, StatusCode::UNPROCESSABLE_ENTITY).await
}

// --- One parcel's form ---------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// The parcel form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ParcelForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    remove: String,
    #[serde(default)]
    district: String,
    #[serde(default)]
    increment: String,
    #[serde(default)]
    application: String,
    #[serde(default)]
    deposit: String,
    #[serde(default)]
    listing: String,
    #[serde(default)]
    sealed_minutes: String,
    #[serde(default)]
    sealed_low: String,
    #[serde(default)]
    sealed_high: String,
    #[serde(default)]
    asc_start: String,
    #[serde(default)]
    asc_increment: String,
    #[serde(default)]
    asc_max: String,
    #[serde(default)]
    notes: String,
}

fn money_text(m: Option<Money>, basis: PriceBasis) -> String {
    m.map_or(String::new(), |m| match basis {
        PriceBasis::Unit => format_yuan(m),
        PriceBasis::Total => m.to_wan_yuan_string(),
    })
}

impl ParcelForm {
    fn of(parcel: &Parcel, district: &str, version: i64) -> ParcelForm {
        let basis = parcel.price_basis;
        let mut f = ParcelForm {
            version: Some(version),
            code: parcel.code.to_string(),
            district: district.to_owned(),
            increment: money_text(parcel.increment, basis),
            notes: parcel.notes.join("\n"),
            ..ParcelForm::default()
        };
        if let Some(w) = parcel.windows {
            f.application = w.application.format_cn();
            f.deposit = if w.shared_application_deposit() {
                String::new()
            } else {
                w.deposit.format_cn()
            };
            f.listing = w.listing.format_cn();
        }
        if let Some(cap) = &parcel.rule.price_cap {
            match &cap.follow_on {
                FollowOn::SealedAverage {
                    window_s,
                    low,
                    high,
                } => {
                    f.sealed_minutes = window_s.map_or(String::new(), |s| {
                        if s % 60 == 0 {
                            (s / 60).to_string()
                        } else {
                            format!("{:.2}", s as f64 / 60.0)
                        }
                    });
                    f.sealed_low = money_text(*low, basis);
                    f.sealed_high = money_text(*high, basis);
                }
                FollowOn::Ascending {
                    start,
                    increment,
                    max,
                    ..
                } => {
                    f.asc_start = start.map_or(String::new(), |r| r.to_string());
                    f.asc_increment = increment.map_or(String::new(), |r| r.to_string());
                    f.asc_max = max.map_or(String::new(), |r| r.to_string());
                }
                FollowOn::Lottery { .. } => {}
            }
        }
        f
    }

    /// Applies the form to `parcel`, collecting every problem.
    fn apply(&self, parcel: &mut Parcel, errors: &mut Vec<FieldError>) {
        let basis = parcel.price_basis;
        let unit = match basis {
            PriceBasis::Unit => "元/平方米",
            PriceBasis::Total => "万元",
        };
        let money = |field: &str, label: &str, s: &str, errors: &mut Vec<FieldError>| {
            if s.trim().is_empty() {
                return None;
            }
            let parsed = match basis {
                PriceBasis::Unit => Money::parse_yuan(s),
                PriceBasis::Total => Money::parse_wan_yuan(s),
            };
            match parsed {
                Ok(m) if m.is_positive() => Some(m),
                Ok(_) => {
                    errors.push(FieldError::new(field, format!("{label}必须大于 0")));
                    None
                }
                Err(e) => {
                    errors.push(FieldError::new(field, format!("{label}（{unit}）：{e}")));
                    None
                }
            }
        };
        parcel.increment = money("increment", "加价幅度", &self.increment, errors);

        let window = |field: &str, label: &str, s: &str, errors: &mut Vec<FieldError>| {
            if s.trim().is_empty() {
                return None;
            }
            match Window::parse_cn(s) {
                Ok(w) => Some(w),
                Err(e) => {
                    errors.push(FieldError::new(field, format!("{label}：{e}")));
                    None
                }
            }
        };
        let application = window("application", "网上竞买申请时间", &self.application, errors);
        let deposit = window("deposit", "缴纳保证金时间", &self.deposit, errors);
        let listing = window("listing", "网上挂牌出让时间", &self.listing, errors);
        let any = [&self.application, &self.deposit, &self.listing]
            .iter()
            .any(|s| !s.trim().is_empty());
        parcel.windows = match (application, listing) {
            (Some(a), Some(l)) => Some(Windows {
                application: a,
                deposit: deposit.unwrap_or(a),
                listing: l,
            }),
            _ => {
                if any && errors.is_empty() {
                    errors.push(FieldError::new(
                        "windows",
                        "请同时填写网上竞买申请时间和网上挂牌出让时间",
                    ));
                }
                None
            }
        };

        if let Some(cap) = &mut parcel.rule.price_cap {
            match &mut cap.follow_on {
                FollowOn::SealedAverage {
                    window_s,
                    low,
                    high,
                } => {
                    *window_s = match self.sealed_minutes.trim() {
                        "" => None,
                        s => match s.parse::<f64>() {
                            Ok(m) if m > 0.0 && m <= 10.0 * 366.0 * 1440.0 => {
                                Some((m * 60.0).round() as i64)
                            }
                            _ => {
                                errors.push(FieldError::new(
                                    "sealed_minutes",
                                    "一次报价时长应为大于 0 的分钟数，例如 30",
                                ));
                                None
                            }
                        },
                    };
                    *low = money("sealed_low", "一次报价下限", &self.sealed_low, errors);
                    *high = money("sealed_high", "一次报价上限", &self.sealed_high, errors);
                }
                FollowOn::Ascending {
                    start,
                    increment,
                    max,
                    ..
                } => {
                    let ratio =
                        |field: &str, label: &str, s: &str, errors: &mut Vec<FieldError>| {
                            if s.trim().is_empty() {
                                return None;
                            }
                            match Ratio::parse(s.trim()) {
                                Ok(r) => Some(r),
                                Err(e) => {
                                    errors.push(FieldError::new(field, format!("{label}：{e}")));
                                    None
                                }
                            }
                        };
                    *start = ratio("asc_start", "起始值", &self.asc_start, errors);
                    *increment = ratio("asc_increment", "增幅", &self.asc_increment, errors);
                    *max = ratio("asc_max", "上限", &self.asc_max, errors);
                }
                FollowOn::Lottery { .. } => {}
            }
        }

        let mut notes = Vec::new();
        for (i, line) in self.notes.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parse_note(line) {
                Ok(n) => notes.push(n),
                Err(e) => errors.push(FieldError::new(
                    "notes",
                    format!("第 {} 条备注：{e}", i + 1),
                )),
            }
        }
        parcel.notes = notes;
    }
}

#[derive(Template)]
#[template(path = "exchange/officer_parcel.html")]
struct ParcelPage {
    chrome: Chrome,
    officer: bool,
    id: Uuid,
    number: String,
    editable: bool,
    facts: Vec<(String, String)>,
    unit: &'static str,
    follow_on: &'static str,
    follow_on_label: String,
    districts: &'static [&'static str],
    form: ParcelForm,
    errors: Vec<FieldError>,
}

fn find_parcel<'a>(loaded: &'a Loaded, code: &str) -> Result<&'a Parcel, AppError> {
    loaded
        .notice()
        .parcels
        .iter()
        .find(|p| p.code.as_str() == code.trim().to_ascii_uppercase())
        .ok_or(AppError::NotFound)
}

fn build_parcel_page(
    chrome: Chrome,
    loaded: &Loaded,
    parcel: &Parcel,
    form: ParcelForm,
    errors: Vec<FieldError>,
) -> ParcelPage {
    let view = NoticeView::of(&Notice {
        parcels: vec![parcel.clone()],
        ..loaded.notice().clone()
    });
    let facts = view
        .parcels
        .into_iter()
        .next()
        .map(|p| p.fields.into_iter().map(|f| (f.label, f.value)).collect())
        .unwrap_or_default();
    let (follow_on, follow_on_label) = match parcel.rule.price_cap.as_ref().map(|c| &c.follow_on) {
        None => ("none", String::new()),
        Some(f @ FollowOn::Lottery { .. }) => ("lottery", f.kind().label_cn().to_owned()),
        Some(f @ FollowOn::SealedAverage { .. }) => ("sealed", f.kind().label_cn().to_owned()),
        Some(f @ FollowOn::Ascending { quantity, .. }) => (
            "ascending",
            format!(
                "{}（{}）",
                f.kind().label_cn(),
                match quantity {
                    yiwang_exchange::notice::AscendingQuantity::AffordableArea => "平方米",
                    yiwang_exchange::notice::AscendingQuantity::SelfHeld => "%",
                }
            ),
        ),
    };
    ParcelPage {
        chrome: chrome.titled(format!("地块 {}", parcel.code), "exchange"),
        officer: true,
        id: loaded.row.id,
        number: loaded.row.number.clone(),
        editable: loaded.row.status == RowStatus::Draft,
        facts,
        unit: match parcel.price_basis {
            PriceBasis::Unit => "元/平方米",
            PriceBasis::Total => "万元",
        },
        follow_on,
        follow_on_label,
        districts: DISTRICTS,
        form,
        errors,
    }
}

/// `GET /exchange/officer/notices/{id}/parcel?code=R20042`
pub async fn parcel_page_get(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
    Query(q): Query<CodeQuery>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let parcel = find_parcel(&loaded, &q.code)?;
    let form = ParcelForm::of(
        parcel,
        loaded.body.district(parcel.code.as_str()),
        loaded.row.version,
    );
    render(&build_parcel_page(chrome, &loaded, parcel, form, vec![]))
}

/// `POST /exchange/officer/notices/{id}/parcel`: saves the parcel's form,
/// or removes the parcel (`remove=1`).
pub async fn parcel_submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(f): Form<ParcelForm>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let parcel = find_parcel(&loaded, &f.code)?.clone();
    let mut body = loaded.body.clone();
    let code = parcel.code.to_string();
    let mut errors = Vec::new();
    let ok = if f.remove == "1" {
        body.notice.parcels.retain(|p| p.code != parcel.code);
        body.districts.remove(&code);
        "removed"
    } else {
        let mut edited = parcel.clone();
        f.apply(&mut edited, &mut errors);
        let district = f.district.trim();
        if district.chars().count() > 30 || district.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "district",
                "所在区域不超过 30 个字，例如 崇川区",
            ));
        }
        if district.is_empty() {
            body.districts.remove(&code);
        } else {
            body.districts.insert(code.clone(), district.to_owned());
        }
        if let Some(slot) = body
            .notice
            .parcels
            .iter_mut()
            .find(|p| p.code == parcel.code)
        {
            *slot = edited;
        }
        "parcel"
    };
    if errors.is_empty() {
        match save_draft(&app, &viewer, &addr, &loaded, &body, f.version).await? {
            Ok(()) => return Ok(redirect_ok(loaded.row.id, ok)),
            Err(e) => errors.push(e),
        }
    }
    let mut resp = render(&build_parcel_page(chrome, &loaded, &parcel, f, errors))?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

// --- Preview and publication --------------------------------------------------

#[derive(Template)]
#[template(path = "exchange/officer_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    officer: bool,
    id: Uuid,
    version: i64,
    draft: bool,
    form: OfficialForm,
    problems: Vec<Problem>,
}

/// `GET /exchange/officer/notices/{id}/preview`: the official form as it
/// would be published now, with every problem that stops it.
pub async fn preview(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let draft = loaded.row.status == RowStatus::Draft;
    let now = app.clock.now();
    let mut notice = loaded.notice().clone();
    let problems = if draft {
        notice.published_at = Some(now);
        publication_problems(loaded.notice(), now, &calendar(&app.config)?)
    } else {
        Vec::new()
    };
    render(&PreviewPage {
        chrome: chrome.titled(format!("预览 {}", loaded.row.number), "exchange"),
        officer: true,
        id: loaded.row.id,
        version: loaded.row.version,
        draft,
        form: OfficialForm::of(&notice),
        problems,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct VersionForm {
    #[serde(default)]
    version: Option<i64>,
}

/// `POST /exchange/officer/notices/{id}/publish`
pub async fn publish(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let refuse = |errors: Vec<FieldError>| Extras {
        errors,
        ..Extras::default()
    };
    if loaded.row.status != RowStatus::Draft {
        let x = refuse(vec![conflict("status")]);
        return render_workspace(&app, chrome, &loaded, x, StatusCode::CONFLICT).await;
    }
    let now = app.clock.now();
    let problems = publication_problems(loaded.notice(), now, &calendar(&app.config)?);
    if !problems.is_empty() {
        let x = Extras {
            publish_problems: Some(problems),
            ..Extras::default()
        };
        return render_workspace(&app, chrome, &loaded, x, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let mut version = f.version.unwrap_or(loaded.row.version);
    let mut body = loaded.body.clone();
    let seeds = draw_lottery_seeds(&mut body.notice);
    if !seeds.is_empty() {
        // The notice publishes the seeds' hashes: they go into the draft
        // first, and the seeds into the listings' rules below.
        match save_draft(&app, &viewer, &addr, &loaded, &body, Some(version)).await? {
            Ok(()) => version += 1,
            Err(e) => {
                let x = refuse(vec![e]);
                return render_workspace(&app, chrome, &loaded, x, StatusCode::CONFLICT).await;
            }
        }
    }
    let mut plans = Vec::new();
    for parcel in &body.notice.parcels {
        plans.push(plan_listing(
            parcel,
            body.district(parcel.code.as_str()),
            seeds.get(parcel.code.as_str()).map(String::as_str),
            now,
        )?);
    }
    let (new_listings, rules): (Vec<_>, Vec<_>) = plans.into_iter().unzip();
    let ctx = app.audit_ctx(&viewer, &addr);
    let created = match app
        .store
        .publish_notice(&ctx, loaded.row.id, version, now.micros(), new_listings)
        .await
    {
        Ok((_, created)) => created,
        Err(StoreError::Conflict { field }) => {
            let x = refuse(vec![conflict(field)]);
            return render_workspace(&app, chrome, &loaded, x, StatusCode::CONFLICT).await;
        }
        Err(e) => return Err(e.into()),
    };
    let mut failed = Vec::new();
    for (listing, rules) in created.iter().zip(rules) {
        if let Err(e) = app.desk.open(listing.id, rules).await {
            tracing::error!(listing = %listing.code, error = %e, "opening the listing's log failed");
            failed.push(listing.code.clone());
        }
    }
    if !failed.is_empty() {
        return Err(AppError::Internal(anyhow::anyhow!(
            "notice {} published, but the logs of {} could not be opened",
            loaded.row.number,
            failed.join(", ")
        ))
        .into());
    }
    Ok(redirect_ok(loaded.row.id, "published"))
}

// --- After publication: supplements and termination --------------------------

#[derive(Debug, Default, Deserialize)]
pub struct SupplementForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    text: String,
}

/// `POST /exchange/officer/notices/{id}/supplements`
pub async fn add_supplement(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(f): Form<SupplementForm>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let now = app.clock.now();
    let supplement = yiwang_exchange::notice::Supplement {
        number: f.number.trim().to_owned(),
        published_at: now,
        text: f.text.replace("\r\n", "\n").trim().to_owned(),
    };
    let mut errors = Vec::new();
    let mut check = loaded.notice().clone();
    if let Err(e) = check.add_supplement(supplement.clone()) {
        errors.push(FieldError::new("supplement", e.to_string()));
    } else if supplement.number.chars().count() > 100
        || supplement.number.chars().any(char::is_control)
    {
        errors.push(FieldError::new(
            "supplement_number",
            "补充公告编号为一行，不超过 100 个字",
        ));
    } else if supplement.text.chars().count() > 20_000 {
        errors.push(FieldError::new(
            "supplement_text",
            "补充公告正文不超过 20000 个字",
        ));
    }
    if errors.is_empty() {
        let ctx = app.audit_ctx(&viewer, &addr);
        let new = NewSupplement {
            number: supplement.number.clone(),
            text: supplement.text.clone(),
            published_at: now.micros(),
        };
        match app.store.add_supplement(&ctx, loaded.row.id, new).await {
            Ok(_) => return Ok(redirect_ok(loaded.row.id, "supplement")),
            Err(StoreError::Conflict { field }) => errors.push(conflict(field)),
            Err(e) => return Err(e.into()),
        }
    }
    let x = Extras {
        errors,
        supplement_number: Some(f.number),
        supplement_text: f.text,
        ..Extras::default()
    };
    render_workspace(&app, chrome, &loaded, x, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Debug, Default, Deserialize)]
pub struct TerminateForm {
    #[serde(default)]
    reason: String,
}

/// `POST /exchange/officer/notices/{id}/terminate`: suspends every listing
/// of the notice that has no result yet (so no bid is taken from now on),
/// then terminates the notice; the store marks those listings terminated.
pub async fn terminate(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(f): Form<TerminateForm>,
) -> Result<Response, PageError> {
    let loaded = load(&app, parse_id(&id)?).await?;
    let now = app.clock.now();
    let reason = f.reason.replace("\r\n", "\n").trim().to_owned();
    let mut check = loaded.notice().clone();
    let mut errors = Vec::new();
    if reason.is_empty() {
        errors.push(FieldError::new(
            "reason",
            "请填写终止原因：终止原因将与终止公告一并向社会公开",
        ));
    } else if let Err(e) = check.terminate(now, &reason) {
        errors.push(FieldError::new("reason", e.to_string()));
    } else if reason.chars().count() > 2000 {
        errors.push(FieldError::new("reason", "终止原因不超过 2000 个字"));
    }
    if errors.is_empty() {
        let listings = app
            .store
            .list_listings(
                &ListingQuery {
                    notice_id: Some(loaded.row.id),
                    ..ListingQuery::default()
                },
                Page::number(1, Page::MAX_LIMIT),
            )
            .await?
            .items;
        for listing in listings
            .iter()
            .filter(|l| !matches!(l.status.as_str(), "sold" | "failed" | "terminated"))
        {
            let action = Action::Suspend {
                reason: format!("公告终止：{reason}"),
            };
            match app.desk.act(listing.id, &action, vec![]).await {
                Ok(acted) if matches!(acted.verdict, Verdict::Accepted) => {}
                Ok(acted) => {
                    tracing::warn!(listing = %listing.code, verdict = ?acted.verdict, "suspension on termination refused")
                }
                Err(e) => {
                    return Err(AppError::Internal(anyhow::anyhow!(
                        "suspending listing {} failed: {e}",
                        listing.code
                    ))
                    .into())
                }
            }
        }
        let ctx = app.audit_ctx(&viewer, &addr);
        match app
            .store
            .terminate_notice(&ctx, loaded.row.id, &reason)
            .await
        {
            Ok(_) => return Ok(redirect_ok(loaded.row.id, "terminated")),
            Err(StoreError::Conflict { field }) => errors.push(conflict(field)),
            Err(e) => return Err(e.into()),
        }
    }
    let x = Extras {
        errors,
        reason: f.reason,
        ..Extras::default()
    };
    render_workspace(&app, chrome, &loaded, x, StatusCode::UNPROCESSABLE_ENTITY).await
}
