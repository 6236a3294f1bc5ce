//! Listings (挂牌) for the public: every parcel of a published notice, with
//! search and filters, and each listing's page with its figures, windows,
//! status and a countdown to its next deadline.
//!
//! The status and the live figures come from the listing row: its `status`
//! and `summary_json`, which the trading desk keeps current with every log
//! entry. The summary holds no reserve and no names; bidder numbers are in
//! it but never shown here (the public sees counts only).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{ListingRules, PriceBasis};
use yiwang_exchange::notice::parcel::format_yuan;
use yiwang_exchange::notice::NoticeView;
use yiwang_store::exchange::{ListingQuery, ListingRow};
use yiwang_store::Page;

use super::notice_data::{
    listing_status_at, listing_status_label, load_public, Loaded, Summary, DISTRICTS,
    LISTING_STATUSES,
};
use super::notices::{day_bound, is_officer, query_string};
use crate::auth::access::Routes;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::extract::Query;
use crate::pages::{pager, render, Chrome};
use crate::{Access, AppState};

const PAGE_SIZE: u32 = 20;

/// The listing pages' routes.
pub fn routes(r: Routes) -> Routes {
    r.get("/exchange/listings", Access::Public, list).get(
        "/exchange/listings/{id}",
        Access::Public,
        show,
    )
}

/// Filters of the listing list and the listings API.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListingFilter {
    /// Substring of the parcel code or the location.
    #[serde(default)]
    pub q: String,
    /// Substring of the land use ("居住" finds "居住用地").
    #[serde(default)]
    pub land_use: String,
    /// upcoming, open, timed_round, follow_on, suspended, sold, failed or terminated.
    #[serde(default)]
    pub status: String,
    /// The district, exactly (崇川区, 南通经济技术开发区…).
    #[serde(default)]
    pub district: String,
    /// Lowest start price, yuan, in the listing's price basis (元/m² for unit prices).
    #[serde(default)]
    pub min_price: String,
    /// Highest start price, yuan, in the listing's price basis.
    #[serde(default)]
    pub max_price: String,
    /// Listings open on or after this day, `YYYY-MM-DD` (the listing window overlaps it or later days).
    #[serde(default)]
    pub from: String,
    /// Listings open on or before this day, `YYYY-MM-DD`.
    #[serde(default)]
    pub to: String,
    /// Only the listings of this notice (its id).
    #[serde(default)]
    pub notice: String,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<u32>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub size: Option<u32>,
}

fn text(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl ListingFilter {
    pub fn query(&self) -> Result<ListingQuery, AppError> {
        let price = |field: &str, s: &str| -> Result<Option<i64>, AppError> {
            match s.trim() {
                "" => Ok(None),
                s => Money::parse_yuan(s)
                    .map(|m| Some(m.fen()))
                    .map_err(|e| AppError::field(field, format!("价格应为元，例如 18470：{e}"))),
            }
        };
        let status = match self.status.trim() {
            "" => None,
            s if LISTING_STATUSES.iter().any(|(c, _)| *c == s) => Some(s.to_owned()),
            _ => {
                return Err(AppError::field(
                    "status",
                    "状态只能是 upcoming、open、timed_round、follow_on、suspended、sold、failed 或 terminated",
                ))
            }
        };
        let notice_id = match self.notice.trim() {
            "" => None,
            s => Some(
                Uuid::parse_str(s)
                    .map_err(|_| AppError::field("notice", "公告编号应为公告的 id"))?,
            ),
        };
        let min = price("min_price", &self.min_price)?;
        let max = price("max_price", &self.max_price)?;
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                return Err(AppError::field("max_price", "最高价不能低于最低价"));
            }
        }
        Ok(ListingQuery {
            notice_id,
            status,
            land_use: text(&self.land_use),
            district: text(&self.district),
            min_start_price_fen: min,
            max_start_price_fen: max,
            listing_from: day_bound("from", &self.from, false)?,
            listing_to: day_bound("to", &self.to, true)?,
            search: text(&self.q),
        })
    }

    pub fn page(&self) -> Page {
        Page::number(
            self.page.unwrap_or(1),
            self.size.unwrap_or(PAGE_SIZE).min(100),
        )
    }

    pub fn keep(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.clone()),
            ("land_use", self.land_use.clone()),
            ("status", self.status.clone()),
            ("district", self.district.clone()),
            ("min_price", self.min_price.clone()),
            ("max_price", self.max_price.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("notice", self.notice.clone()),
        ]
    }
}

/// The public rules stored with a listing (never the reserve's value).
pub fn rules_of(row: &ListingRow) -> Option<ListingRules> {
    serde_json::from_str(&row.rules_json).ok()
}

/// A price in a listing's basis, as pages print it.
pub fn price_text(m: Money, basis: PriceBasis) -> String {
    match basis {
        PriceBasis::Unit => format!("{} 元/平方米", format_yuan(m)),
        PriceBasis::Total => format!("{} 万元", m.to_wan_yuan_string()),
    }
}

/// A yuan string from the summary ("18480.00") in the listing's basis.
fn summary_price(s: &Option<String>, basis: PriceBasis) -> Option<String> {
    s.as_deref()
        .and_then(|p| Money::parse_yuan(p).ok())
        .map(|m| price_text(m, basis))
}

struct ListRow {
    id: Uuid,
    code: String,
    location: String,
    land_use: String,
    district: String,
    land_area: String,
    start_price: String,
    current_price: String,
    listing: String,
    status_code: &'static str,
    status_label: &'static str,
}

#[derive(Template)]
#[template(path = "exchange/listings.html")]
struct ListPage {
    chrome: Chrome,
    officer: bool,
    f: ListingFilter,
    qs: String,
    statuses: &'static [(&'static str, &'static str)],
    districts: &'static [&'static str],
    error: Option<String>,
    total: u64,
    rows: Vec<ListRow>,
    pager: String,
}

fn window_text(start: i64, end: i64) -> String {
    format!(
        "{} 至 {}",
        Timestamp::from_micros(start).format_cn_minute(),
        Timestamp::from_micros(end).format_cn_minute()
    )
}

/// `GET /exchange/listings`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListingFilter>,
) -> Result<Response, PageError> {
    let (found, error) = match f.query() {
        Ok(q) => (Some(app.store.list_listings(&q, f.page()).await?), None),
        Err(AppError::Invalid(e)) => (None, e.first().map(|e| e.message.clone())),
        Err(e) => return Err(e.into()),
    };
    let now = app.clock.now();
    let total = found.as_ref().map_or(0, |p| p.total);
    let rows = found
        .map(|p| p.items)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            let rules = rules_of(l);
            let basis = rules.as_ref().map_or(PriceBasis::Unit, |r| r.price_basis);
            let summary = Summary::of(l);
            let status = listing_status_at(l, now);
            ListRow {
                id: l.id,
                code: l.code.clone(),
                location: l.location.clone(),
                land_use: l.land_use.clone(),
                district: l.district.clone(),
                land_area: rules
                    .as_ref()
                    .map_or("—".to_owned(), |r| format!("{} 平方米", r.area)),
                start_price: price_text(Money::from_fen(l.start_price_fen), basis),
                current_price: summary_price(&summary.current_price, basis)
                    .unwrap_or_else(|| "—".to_owned()),
                listing: window_text(l.listing_start, l.listing_end),
                status_code: status,
                status_label: listing_status_label(status),
            }
        })
        .collect();
    let size = f.page().limit;
    let page = f.page.unwrap_or(1).max(1);
    let mut resp = render(&ListPage {
        chrome: chrome.titled("挂牌地块", "exchange"),
        officer: is_officer(&viewer),
        pager: pager("/exchange/listings", &f.keep(), page, size, total),
        qs: query_string(&f.keep()),
        f,
        statuses: LISTING_STATUSES,
        districts: DISTRICTS,
        error: error.clone(),
        total,
        rows,
    })?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// The next deadline a visitor waits for, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Countdown {
    pub label: &'static str,
    pub at: Timestamp,
    /// RFC 3339, for the script.
    pub at_rfc3339: String,
    /// "2021年01月08日 11:00:00".
    pub at_text: String,
    /// What is left at render time: "3天4小时5分".
    pub left: String,
}

/// "3天4小时5分" (or "5分12秒" under an hour).
pub fn remaining(from: Timestamp, to: Timestamp) -> String {
    let secs = to.micros_since(from).max(0) / 1_000_000;
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}天{h}小时{m}分")
    } else if h > 0 {
        format!("{h}小时{m}分")
    } else {
        format!("{m}分{s}秒")
    }
}

/// The deadline to count down to at `now`, given the listing's schedule and
/// the engine's current deadline (a timed round's or a follow-on's).
pub fn countdown(
    row: &ListingRow,
    deposit_deadline: Option<i64>,
    engine_deadline: Option<Timestamp>,
    status: &str,
    now: Timestamp,
) -> Option<Countdown> {
    if matches!(status, "sold" | "failed" | "terminated" | "suspended") {
        return None;
    }
    let at = |micros: i64| Timestamp::from_micros(micros);
    let n = now.micros();
    let (label, when) = if n < row.application_start {
        ("距竞买申请开始", at(row.application_start))
    } else if matches!(status, "timed_round" | "follow_on") {
        ("距本轮竞价截止", engine_deadline?)
    } else if n < row.application_deadline {
        ("距竞买申请截止", at(row.application_deadline))
    } else if deposit_deadline.is_some_and(|d| n < d) {
        ("距保证金缴纳截止", at(deposit_deadline.unwrap_or_default()))
    } else if n < row.listing_start {
        ("距挂牌开始", at(row.listing_start))
    } else if n < row.listing_end {
        ("距挂牌截止", at(row.listing_end))
    } else {
        return None;
    };
    Some(Countdown {
        label,
        at: when,
        at_rfc3339: when.to_rfc3339(),
        at_text: when.format_cn(),
        left: remaining(now, when),
    })
}

#[derive(Template)]
#[template(path = "exchange/listing.html")]
struct ShowPage {
    chrome: Chrome,
    officer: bool,
    /// The listing's id, for the application link.
    id: Uuid,
    /// Whether applications are open now (the link is shown to everyone;
    /// the application pages ask for an enterprise account).
    can_apply: bool,
    code: String,
    location: String,
    district: String,
    notice_id: Uuid,
    notice_number: String,
    status_code: &'static str,
    status_label: &'static str,
    terminated: Option<String>,
    countdown: Option<Countdown>,
    live: Vec<(String, String)>,
    times: Vec<(&'static str, String)>,
    fields: Vec<(String, String)>,
    result: Option<String>,
}

/// Finds a listing by id, or by parcel code (`/exchange/listings/R20042`).
async fn find(app: &AppState, id: &str) -> Result<ListingRow, AppError> {
    let found = match Uuid::parse_str(id) {
        Ok(id) => app.store.listing(id).await?,
        Err(_) => app.store.listing_by_code(&id.to_ascii_uppercase()).await?,
    };
    found.ok_or(AppError::NotFound)
}

/// Parcel fields of the listing's notice, by parcel code.
pub fn parcel_fields(loaded: &Loaded, code: &str) -> Vec<(String, String)> {
    let view = NoticeView::of(loaded.notice());
    view.parcels
        .into_iter()
        .find(|p| p.code == code)
        .map(|p| p.fields.into_iter().map(|f| (f.label, f.value)).collect())
        .unwrap_or_default()
}

/// `GET /exchange/listings/{id}`: `id` is the listing's id or its code.
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = find(&app, &id).await?;
    let loaded = load_public(&app, row.notice_id).await?;
    let now = app.clock.now();
    let rules = rules_of(&row);
    let basis = rules.as_ref().map_or(PriceBasis::Unit, |r| r.price_basis);
    let summary = Summary::of(&row);
    let status = listing_status_at(&row, now);
    let engine_deadline = summary
        .deadline
        .as_deref()
        .and_then(|d| Timestamp::parse_rfc3339(d).ok());
    let deposit_deadline = rules.as_ref().map(|r| r.schedule.deposit_deadline.micros());
    let mut live = Vec::new();
    live.push((
        "起始价".to_owned(),
        price_text(Money::from_fen(row.start_price_fen), basis),
    ));
    live.push((
        "当前最高报价".to_owned(),
        summary_price(&summary.current_price, basis).unwrap_or_else(|| "尚无报价".to_owned()),
    ));
    if let Some(inc) = summary_price(&summary.increment, basis) {
        live.push(("当前加价幅度".to_owned(), inc));
    }
    live.push((
        "竞买申请数".to_owned(),
        summary.applications.unwrap_or(0).to_string(),
    ));
    live.push((
        "取得竞买资格数".to_owned(),
        summary.qualified.unwrap_or(0).to_string(),
    ));
    let result = summary.result.as_ref().map(|r| match r.outcome.as_str() {
        "sold" => format!(
            "已成交：成交价 {}{}",
            summary_price(&r.price, basis).unwrap_or_default(),
            r.total_price
                .as_deref()
                .and_then(|t| Money::parse_yuan(t).ok())
                .map(|t| format!("，成交总价 {} 元", t.format_grouped()))
                .unwrap_or_default()
        ),
        _ => "未成交".to_owned(),
    });
    let mut times: Vec<(&'static str, String)> = vec![
        (
            "网上竞买申请",
            window_text(row.application_start, row.application_deadline),
        ),
        (
            "网上挂牌出让",
            window_text(row.listing_start, row.listing_end),
        ),
    ];
    if let Some(d) = deposit_deadline {
        times.insert(
            1,
            (
                "保证金到账截止",
                Timestamp::from_micros(d).format_cn_minute(),
            ),
        );
    }
    let terminated = match &loaded.notice().status {
        yiwang_exchange::notice::NoticeStatus::Terminated { reason, at } => Some(format!(
            "本地块所在公告已于{}终止：{reason}",
            yiwang_exchange::notice::render::format_date_cn(*at)
        )),
        _ => None,
    };
    let fields = parcel_fields(&loaded, &row.code);
    render(&ShowPage {
        chrome: chrome.titled(format!("地块 {}", row.code), "exchange"),
        officer: is_officer(&viewer),
        id: row.id,
        can_apply: loaded.row.status == yiwang_store::exchange::NoticeStatus::Published
            && (row.application_start..row.application_deadline).contains(&now.micros())
            && !matches!(status, "terminated" | "suspended" | "sold" | "failed"),
        code: row.code.clone(),
        location: row.location.clone(),
        district: row.district.clone(),
        notice_id: loaded.row.id,
        notice_number: loaded.row.number.clone(),
        status_code: status,
        status_label: listing_status_label(status),
        terminated,
        countdown: countdown(&row, deposit_deadline, engine_deadline, status, now),
        live,
        times,
        fields,
        result,
    })
}

/// Loads the notices of `rows`, once each.
pub async fn notices_of(
    app: &AppState,
    rows: &[ListingRow],
) -> Result<HashMap<Uuid, Loaded>, AppError> {
    let mut out = HashMap::new();
    for row in rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(row.notice_id) {
            slot.insert(load_public(app, row.notice_id).await?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time_reads_naturally() {
        let t = Timestamp::parse_rfc3339("2026-11-26T10:00:00+08:00").unwrap();
        assert_eq!(
            remaining(t, t.add_secs(3 * 86_400 + 4 * 3600 + 5 * 60)),
            "3天4小时5分"
        );
        assert_eq!(remaining(t, t.add_secs(2 * 3600 + 60)), "2小时1分");
        assert_eq!(remaining(t, t.add_secs(312)), "5分12秒");
        assert_eq!(remaining(t, t.add_secs(-5)), "0分0秒");
    }
}
