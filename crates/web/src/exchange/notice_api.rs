//! Open data: every published notice and every listing, as JSON and CSV.
//!
//! `GET /api/v1/notices` and `GET /api/v1/listings` answer pages of typed
//! records with the same filters as the public pages; `…/notices.csv` and
//! `…/listings.csv` answer every match as one CSV file (UTF-8 with BOM, so
//! that Excel reads the Chinese, cells defused against formulas).
//!
//! Typed means: money as yuan strings with two decimals ("18470.00"),
//! areas in m² as decimal strings ("125949.79"), each planning range both
//! as the notice prints it (`"≥1.44且<1.80(以建筑面积为准)"`) and as its
//! bounds, terms per use, windows as RFC 3339 instants in +08:00 and as the
//! notice's wording. Never the reserve price, never a bidder's identity or
//! number: listings carry the public summary's counts and prices only.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::notice::{
    AscendingQuantity, BiddingMode, Bound, FollowOn, IndicatorRange, Interval, Parcel, PriceBasis,
    Terms, Window, Windows,
};
use yiwang_store::exchange::{ListingRow, NoticeStatus as RowStatus};
use yiwang_store::Page;

use super::listings::{notices_of, rules_of, ListingFilter};
use super::notice_data::{decode, listing_status_at, listing_status_label, Loaded, Summary};
use super::notices::NoticeFilter;
use crate::auth::access::Routes;
use crate::error::{ApiError, AppError};
use crate::extract::{Json, Query};
use crate::pages::admin::csv_cell;
use crate::{Access, AppState};

/// The open-data routes.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/notices", Access::Public, api_notices)
        .get("/api/v1/notices.csv", Access::Public, notices_csv)
        .get("/api/v1/listings", Access::Public, api_listings)
        .get("/api/v1/listings.csv", Access::Public, listings_csv)
}

fn yuan(m: Money) -> String {
    m.to_yuan_string()
}

/// One end of a range.
#[derive(Debug, Serialize, ToSchema)]
pub struct BoundData {
    /// The limit as written ("1.80").
    pub value: String,
    /// `true` for ≥ and ≤, `false` for > and <.
    pub inclusive: bool,
}

fn bound(b: Option<Bound>) -> Option<BoundData> {
    b.map(|b| BoundData {
        value: b.value.to_string(),
        inclusive: b.inclusive,
    })
}

/// A per-use limit inside a range: 商业≥3000.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubLimitData {
    /// The use it limits (商业).
    pub use_name: String,
    /// As printed: "商业≥3000".
    pub text: String,
    pub lower: Option<BoundData>,
    pub upper: Option<BoundData>,
}

/// A planning range, as printed and as bounds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RangeData {
    /// As the notice prints it: "≥1.44且<1.80(以建筑面积为准)".
    pub text: String,
    pub lower: Option<BoundData>,
    pub upper: Option<BoundData>,
    pub sub_limits: Vec<SubLimitData>,
    /// Free text in parentheses: "以建筑面积为准".
    pub note: Option<String>,
}

fn interval_text(i: &Interval) -> String {
    i.to_string()
}

fn range(r: &Option<IndicatorRange>) -> Option<RangeData> {
    r.as_ref().map(|r| RangeData {
        text: r.to_string(),
        lower: bound(r.lower),
        upper: bound(r.upper),
        sub_limits: r
            .sub_limits
            .iter()
            .map(|s| SubLimitData {
                use_name: s.use_name.clone(),
                text: format!("{}{}", s.use_name, interval_text(&s.range)),
                lower: bound(s.range.lower),
                upper: bound(s.range.upper),
            })
            .collect(),
        note: r.note.clone(),
    })
}

/// A use's term.
#[derive(Debug, Serialize, ToSchema)]
pub struct UseTermData {
    /// The use (居住, 商业); `null` when the parcel has one term for its one use.
    pub use_name: Option<String>,
    pub years: u16,
}

/// The term of the land-use right (出让年期).
#[derive(Debug, Serialize, ToSchema)]
pub struct TermsData {
    /// As printed: "50", "居住70,商业40".
    pub text: String,
    pub items: Vec<UseTermData>,
}

fn terms(t: &Option<Terms>) -> Option<TermsData> {
    t.as_ref().map(|t| TermsData {
        text: t.to_string(),
        items: match t {
            Terms::Single(years) => vec![UseTermData {
                use_name: None,
                years: *years,
            }],
            Terms::PerUse(items) => items
                .iter()
                .map(|u| UseTermData {
                    use_name: Some(u.use_name.clone()),
                    years: u.years,
                })
                .collect(),
        },
    })
}

/// A half-open window `[start, end)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowData {
    /// RFC 3339, +08:00.
    pub start: String,
    /// RFC 3339, +08:00; the window ends just before this instant.
    pub end: String,
    /// As the notice words it: "2020年12月29日起,2021年1月6日上午11时止".
    pub text: String,
}

fn window(w: &Window) -> WindowData {
    WindowData {
        start: w.start.to_rfc3339(),
        end: w.end.to_rfc3339(),
        text: w.format_cn(),
    }
}

/// The windows of a parcel.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowsData {
    /// 网上竞买申请.
    pub application: WindowData,
    /// 缴纳保证金 (often the same window).
    pub deposit: WindowData,
    /// 网上挂牌出让.
    pub listing: WindowData,
}

fn windows(w: &Option<Windows>) -> Option<WindowsData> {
    w.as_ref().map(|w| WindowsData {
        application: window(&w.application),
        deposit: window(&w.deposit),
        listing: window(&w.listing),
    })
}

/// What decides among several bidders at the price cap.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowOnData {
    /// lottery, sealed_average, affordable_area or self_held.
    pub kind: String,
    /// 摇号, 一次报价, 竞配建, 竞自持.
    pub label: String,
    /// Lottery: the SHA-256 of the draw's seed.
    pub seed_sha256: Option<String>,
    /// Sealed average: the offer window, seconds.
    pub window_s: Option<i64>,
    /// Sealed average: the lowest offer, yuan in the parcel's basis.
    pub low: Option<String>,
    /// Sealed average: the highest offer, yuan in the parcel's basis.
    pub high: Option<String>,
    /// Ascending: where the second quantity starts.
    pub start: Option<String>,
    /// Ascending: the step of the second quantity.
    pub increment: Option<String>,
    /// Ascending: the most the second quantity may reach.
    pub max: Option<String>,
    /// Ascending: m2 or percent.
    pub unit: Option<String>,
}

fn follow_on(f: &FollowOn) -> FollowOnData {
    let mut out = FollowOnData {
        kind: String::new(),
        label: f.kind().label_cn().to_owned(),
        seed_sha256: None,
        window_s: None,
        low: None,
        high: None,
        start: None,
        increment: None,
        max: None,
        unit: None,
    };
    match f {
        FollowOn::Lottery { seed_sha256 } => {
            out.kind = "lottery".into();
            out.seed_sha256 = seed_sha256.clone();
        }
        FollowOn::SealedAverage {
            window_s,
            low,
            high,
        } => {
            out.kind = "sealed_average".into();
            out.window_s = *window_s;
            out.low = low.map(yuan);
            out.high = high.map(yuan);
        }
        FollowOn::Ascending {
            quantity,
            start,
            increment,
            max,
        } => {
            let (kind, unit) = match quantity {
                AscendingQuantity::AffordableArea => ("affordable_area", "m2"),
                AscendingQuantity::SelfHeld => ("self_held", "percent"),
            };
            out.kind = kind.into();
            out.unit = Some(unit.into());
            out.start = start.map(|r| r.to_string());
            out.increment = increment.map(|r| r.to_string());
            out.max = max.map(|r| r.to_string());
        }
    }
    out
}

/// The price cap (最高限价).
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceCapData {
    /// Yuan in the parcel's basis.
    pub max_price: String,
    pub follow_on: FollowOnData,
}

/// The bidding rule (竞买规则).
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleData {
    /// highest_price (价高者得) or limited_housing_price (限房价竞地价).
    pub mode: String,
    /// As the notice prints it.
    pub text: String,
    /// 房屋最高备案指导均价, yuan per m² of floor area.
    pub housing_price_cap: Option<String>,
    pub price_cap: Option<PriceCapData>,
}

/// A parcel with every field of the notice's tables.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParcelData {
    /// 地块编号: U20041.
    pub code: String,
    /// 地块位置.
    pub location: String,
    /// 用地性质, as the notice names it.
    pub land_use: String,
    /// 所在区域; empty when the notice did not say.
    pub district: String,
    /// m², two decimals.
    pub land_area_m2: String,
    /// 建筑面积, m², with per-use sub-limits.
    pub floor_area_m2: Option<RangeData>,
    /// 容积率.
    pub far: Option<RangeData>,
    /// 建筑密度, %.
    pub density_percent: Option<RangeData>,
    /// 绿地率, %.
    pub green_ratio_percent: Option<RangeData>,
    /// 出让年期, years, per use.
    pub terms_years: Option<TermsData>,
    /// unit (prices per m² of land) or total (prices for the parcel).
    pub price_basis: String,
    /// Yuan in the price basis.
    pub start_price: Option<String>,
    /// Yuan for the parcel (start price × area for unit prices).
    pub start_total_price: Option<String>,
    /// Yuan in the price basis.
    pub increment: Option<String>,
    /// Yuan.
    pub deposit: Option<String>,
    pub rule: RuleData,
    /// 网上竞买申请, 缴纳保证金 and 网上挂牌出让.
    pub windows: Option<WindowsData>,
    /// 备注.
    pub notes: Vec<String>,
}

fn parcel(p: &Parcel, district: &str) -> ParcelData {
    ParcelData {
        code: p.code.to_string(),
        location: p.location.clone(),
        land_use: p.land_use.to_string(),
        district: district.to_owned(),
        land_area_m2: p.land_area.to_string(),
        floor_area_m2: range(&p.floor_area),
        far: range(&p.far),
        density_percent: range(&p.density),
        green_ratio_percent: range(&p.green_ratio),
        terms_years: terms(&p.terms),
        price_basis: match p.price_basis {
            PriceBasis::Unit => "unit",
            PriceBasis::Total => "total",
        }
        .to_owned(),
        start_price: p.start_price.map(yuan),
        start_total_price: p.start_price.and_then(|m| p.total_price(m)).map(yuan),
        increment: p.increment.map(yuan),
        deposit: p.deposit.map(yuan),
        rule: RuleData {
            mode: match p.rule.mode {
                BiddingMode::HighestPrice => "highest_price",
                BiddingMode::LimitedHousingPrice { .. } => "limited_housing_price",
            }
            .to_owned(),
            text: p.rule.describe(),
            housing_price_cap: p.rule.housing_price_cap().map(yuan),
            price_cap: p.rule.price_cap.as_ref().map(|c| PriceCapData {
                max_price: yuan(c.max_price),
                follow_on: follow_on(&c.follow_on),
            }),
        },
        windows: windows(&p.windows),
        notes: p.notes.clone(),
    }
}

/// A supplementary notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplementData {
    /// Its number or title.
    pub number: String,
    /// RFC 3339, +08:00.
    pub published_at: String,
    /// The full text, as written.
    pub text: String,
}

/// A published (or terminated) transfer notice.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeData {
    pub id: String,
    /// 通自然资规告出网(2020)第60号.
    pub number: String,
    pub title: String,
    /// The issuing authority.
    pub issuer: String,
    /// published or terminated.
    pub status: String,
    /// RFC 3339, +08:00.
    pub published_at: Option<String>,
    /// RFC 3339, +08:00; terminated notices only.
    pub terminated_at: Option<String>,
    pub termination_reason: Option<String>,
    /// The opening paragraph(s), as printed.
    pub preamble: String,
    /// The notes under the tables (注).
    pub notes: Vec<String>,
    pub parcels: Vec<ParcelData>,
    pub supplements: Vec<SupplementData>,
    /// The notice's page.
    pub url: String,
    /// The notice as plain text.
    pub text_url: String,
}

fn notice_data(loaded: &Loaded) -> NoticeData {
    let n = loaded.notice();
    let row = &loaded.row;
    NoticeData {
        id: row.id.to_string(),
        number: row.number.clone(),
        title: n.title.clone(),
        issuer: n.issuer.clone(),
        status: row.status.code().to_owned(),
        published_at: row
            .published_at
            .map(|t| Timestamp::from_micros(t).to_rfc3339()),
        terminated_at: row
            .terminated_at
            .map(|t| Timestamp::from_micros(t).to_rfc3339()),
        termination_reason: row.termination_reason.clone(),
        preamble: n.preamble.clone(),
        notes: n.notes.clone(),
        parcels: n
            .parcels
            .iter()
            .map(|p| parcel(p, loaded.body.district(p.code.as_str())))
            .collect(),
        supplements: n
            .supplements
            .iter()
            .map(|s| SupplementData {
                number: s.number.clone(),
                published_at: s.published_at.to_rfc3339(),
                text: s.text.clone(),
            })
            .collect(),
        url: format!("/exchange/notices/{}", row.id),
        text_url: format!("/exchange/notices/{}/notice.txt", row.id),
    }
}

/// One page of notices.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticesPageData {
    /// Matches in all.
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
    pub items: Vec<NoticeData>,
}

/// The published notices matching `f` on `page`, with their supplements.
async fn notices_page(
    app: &AppState,
    f: &NoticeFilter,
    page: Page,
) -> Result<(u64, u32, u32, Vec<Loaded>), AppError> {
    let found = app.store.list_notices(&f.query()?, page).await?;
    let mut items = Vec::new();
    for row in found.items {
        if row.status == RowStatus::Draft {
            continue;
        }
        let supplements = app.store.supplements(row.id).await?;
        items.push(decode(row, &supplements)?);
    }
    Ok((found.total, found.offset, found.limit, items))
}

/// Published and terminated transfer notices, newest first, with every
/// parcel field typed.
#[utoipa::path(get, path = "/api/v1/notices", tag = "exchange", params(NoticeFilter),
    responses((status = 200, body = NoticesPageData), (status = 422, description = "invalid_input", body = crate::api::ErrorBody)))]
pub async fn api_notices(
    State(app): State<AppState>,
    Query(f): Query<NoticeFilter>,
) -> Result<Json<NoticesPageData>, ApiError> {
    let (total, offset, limit, items) = notices_page(&app, &f, f.page()).await?;
    Ok(Json(NoticesPageData {
        total,
        offset,
        limit,
        items: items.iter().map(notice_data).collect(),
    }))
}

/// The public state of a listing's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultData {
    /// sold or failed.
    pub outcome: String,
    /// Yuan in the price basis (sold only).
    pub price: Option<String>,
    /// Yuan for the parcel (sold only).
    pub total_price: Option<String>,
    /// RFC 3339, +08:00.
    pub decided_at: Option<String>,
}

/// A listing: one parcel of a published notice, with its public state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingData {
    pub id: String,
    /// The parcel code (地块编号).
    pub code: String,
    /// The notice the parcel was published in.
    pub notice_id: String,
    pub notice_number: String,
    pub location: String,
    /// As the notice prints it.
    pub land_use: String,
    /// 所在区域; empty when the notice did not say.
    pub district: String,
    /// upcoming, open, timed_round, follow_on, suspended, sold, failed or terminated.
    pub status: String,
    /// The status in Chinese.
    pub status_label: String,
    /// Applications are accepted from this instant (RFC 3339, +08:00) …
    pub application_start: String,
    /// … until just before this one.
    pub application_deadline: String,
    /// Deposits must arrive before this instant.
    pub deposit_deadline: Option<String>,
    /// The listing runs from this instant …
    pub listing_start: String,
    /// … until just before this one.
    pub listing_end: String,
    /// unit or total.
    pub price_basis: String,
    /// Yuan in the price basis.
    pub start_price: String,
    /// The highest accepted bid so far, yuan in the price basis.
    pub current_price: Option<String>,
    /// The increment in force, yuan in the price basis.
    pub increment: Option<String>,
    /// How many applications and qualified bidders (counts only).
    pub applications: u64,
    pub qualified: u64,
    /// The deadline of a running timed round or follow-on.
    pub round_deadline: Option<String>,
    pub result: Option<ResultData>,
    /// Every field of the parcel as the notice gives it.
    pub parcel: Option<ParcelData>,
    /// The listing's page.
    pub url: String,
}

fn listing_data(row: &ListingRow, notice: Option<&Loaded>, now: Timestamp) -> ListingData {
    let rules = rules_of(row);
    let summary = Summary::of(row);
    let status = listing_status_at(row, now);
    let at = |t: i64| Timestamp::from_micros(t).to_rfc3339();
    ListingData {
        id: row.id.to_string(),
        code: row.code.clone(),
        notice_id: row.notice_id.to_string(),
        notice_number: notice.map(|n| n.row.number.clone()).unwrap_or_default(),
        location: row.location.clone(),
        land_use: row.land_use.clone(),
        district: row.district.clone(),
        status: status.to_owned(),
        status_label: listing_status_label(status).to_owned(),
        application_start: at(row.application_start),
        application_deadline: at(row.application_deadline),
        deposit_deadline: rules
            .as_ref()
            .map(|r| r.schedule.deposit_deadline.to_rfc3339()),
        listing_start: at(row.listing_start),
        listing_end: at(row.listing_end),
        price_basis: match rules.as_ref().map(|r| r.price_basis) {
            Some(yiwang_exchange::engine::PriceBasis::Total) => "total",
            _ => "unit",
        }
        .to_owned(),
        start_price: yuan(Money::from_fen(row.start_price_fen)),
        current_price: summary.current_price.clone(),
        increment: summary.increment.clone(),
        applications: summary.applications.unwrap_or(0),
        qualified: summary.qualified.unwrap_or(0),
        round_deadline: summary.deadline.clone(),
        result: summary.result.as_ref().map(|r| ResultData {
            outcome: r.outcome.clone(),
            price: r.price.clone(),
            total_price: r.total_price.clone(),
            decided_at: r.decided_at.clone(),
        }),
        parcel: notice.and_then(|n| {
            n.notice()
                .parcels
                .iter()
                .find(|p| p.code.as_str() == row.code)
                .map(|p| parcel(p, &row.district))
        }),
        url: format!("/exchange/listings/{}", row.id),
    }
}

/// One page of listings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingsPageData {
    /// Matches in all.
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
    pub items: Vec<ListingData>,
}

/// Listings, latest listing start first, filtered; with their public state
/// and every parcel field typed.
#[utoipa::path(get, path = "/api/v1/listings", tag = "exchange", params(ListingFilter),
    responses((status = 200, body = ListingsPageData), (status = 422, description = "invalid_input", body = crate::api::ErrorBody)))]
pub async fn api_listings(
    State(app): State<AppState>,
    Query(f): Query<ListingFilter>,
) -> Result<Json<ListingsPageData>, ApiError> {
    let found = app.store.list_listings(&f.query()?, f.page()).await?;
    let notices = notices_of(&app, &found.items).await?;
    let now = app.clock.now();
    Ok(Json(ListingsPageData {
        total: found.total,
        offset: found.offset,
        limit: found.limit,
        items: found
            .items
            .iter()
            .map(|l| listing_data(l, notices.get(&l.notice_id), now))
            .collect(),
    }))
}

fn csv_response(name: &str, out: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        out,
    )
        .into_response()
}

fn csv_line(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

fn range_text(r: &Option<RangeData>) -> String {
    r.as_ref().map(|r| r.text.clone()).unwrap_or_default()
}

const PARCEL_HEADER: &[&str] = &[
    "地块编号",
    "地块位置",
    "用地性质",
    "所在区域",
    "土地面积(M²)",
    "建筑面积(M²)",
    "容积率",
    "建筑密度(%)",
    "绿地率(%)",
    "出让年期(年)",
    "计价方式",
    "起始价(元)",
    "起始总价(元)",
    "加价幅度(元)",
    "竞买保证金(元)",
    "竞买规则",
    "房屋最高备案指导均价(元/M²)",
    "最高限价(元)",
    "达到最高限价后",
    "网上竞买申请开始",
    "网上竞买申请截止",
    "保证金缴纳截止",
    "网上挂牌开始",
    "网上挂牌截止",
    "备注",
];

fn parcel_cells(p: &ParcelData) -> Vec<String> {
    let w = p.windows.as_ref();
    vec![
        p.code.clone(),
        p.location.clone(),
        p.land_use.clone(),
        p.district.clone(),
        p.land_area_m2.clone(),
        range_text(&p.floor_area_m2),
        range_text(&p.far),
        range_text(&p.density_percent),
        range_text(&p.green_ratio_percent),
        p.terms_years
            .as_ref()
            .map(|t| t.text.clone())
            .unwrap_or_default(),
        if p.price_basis == "unit" {
            "单价(元/M²)".to_owned()
        } else {
            "总价(元)".to_owned()
        },
        opt(&p.start_price),
        opt(&p.start_total_price),
        opt(&p.increment),
        opt(&p.deposit),
        p.rule.text.clone(),
        opt(&p.rule.housing_price_cap),
        p.rule
            .price_cap
            .as_ref()
            .map(|c| c.max_price.clone())
            .unwrap_or_default(),
        p.rule
            .price_cap
            .as_ref()
            .map(|c| c.follow_on.label.clone())
            .unwrap_or_default(),
        w.map(|w| w.application.start.clone()).unwrap_or_default(),
        w.map(|w| w.application.end.clone()).unwrap_or_default(),
        w.map(|w| w.deposit.end.clone()).unwrap_or_default(),
        w.map(|w| w.listing.start.clone()).unwrap_or_default(),
        w.map(|w| w.listing.end.clone()).unwrap_or_default(),
        p.notes.join("；"),
    ]
}

/// Published and terminated notices as CSV, one line per parcel.
#[utoipa::path(get, path = "/api/v1/notices.csv", tag = "exchange", params(NoticeFilter),
    responses((status = 200, description = "UTF-8 with BOM; one line per parcel", content_type = "text/csv", body = String),
        (status = 422, description = "invalid_input", body = crate::api::ErrorBody)))]
pub async fn notices_csv(
    State(app): State<AppState>,
    Query(f): Query<NoticeFilter>,
) -> Result<Response, ApiError> {
    let mut out = String::from("\u{feff}");
    let mut header: Vec<String> = [
        "公告编号",
        "公告标题",
        "发布机关",
        "状态",
        "发布时间",
        "终止时间",
        "终止原因",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.extend(PARCEL_HEADER.iter().map(|s| (*s).to_owned()));
    csv_line(&mut out, &header);
    let mut number = 1;
    loop {
        let (total, _, _, items) =
            notices_page(&app, &f, Page::number(number, Page::MAX_LIMIT)).await?;
        for loaded in &items {
            let n = notice_data(loaded);
            let head = [
                n.number.clone(),
                n.title.clone(),
                n.issuer.clone(),
                if n.status == "terminated" {
                    "已终止"
                } else {
                    "已发布"
                }
                .to_owned(),
                opt(&n.published_at),
                opt(&n.terminated_at),
                opt(&n.termination_reason),
            ];
            for p in &n.parcels {
                let mut cells = head.to_vec();
                cells.extend(parcel_cells(p));
                csv_line(&mut out, &cells);
            }
        }
        if u64::from(number) * u64::from(Page::MAX_LIMIT) >= total {
            break;
        }
        number += 1;
    }
    Ok(csv_response("notices.csv", out))
}

/// Listings as CSV, one line per listing.
#[utoipa::path(get, path = "/api/v1/listings.csv", tag = "exchange", params(ListingFilter),
    responses((status = 200, description = "UTF-8 with BOM; one line per listing", content_type = "text/csv", body = String),
        (status = 422, description = "invalid_input", body = crate::api::ErrorBody)))]
pub async fn listings_csv(
    State(app): State<AppState>,
    Query(f): Query<ListingFilter>,
) -> Result<Response, ApiError> {
    let q = f.query()?;
    let now = app.clock.now();
    let mut out = String::from("\u{feff}");
    let mut header: Vec<String> = [
        "公告编号",
        "状态",
        "当前最高报价(元)",
        "竞买申请数",
        "取得资格数",
        "成交结果",
        "成交价(元)",
        "成交总价(元)",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    header.splice(0..0, PARCEL_HEADER.iter().map(|s| (*s).to_owned()));
    header.push("挂牌页面".to_owned());
    csv_line(&mut out, &header);
    let mut number = 1;
    loop {
        let found = app
            .store
            .list_listings(&q, Page::number(number, Page::MAX_LIMIT))
            .await?;
        let notices = notices_of(&app, &found.items).await?;
        for row in &found.items {
            let l = listing_data(row, notices.get(&row.notice_id), now);
            let mut cells = match &l.parcel {
                Some(p) => parcel_cells(p),
                None => {
                    let mut c = vec![String::new(); PARCEL_HEADER.len()];
                    c[0] = l.code.clone();
                    c
                }
            };
            cells.extend([
                l.notice_number.clone(),
                l.status_label.clone(),
                opt(&l.current_price),
                l.applications.to_string(),
                l.qualified.to_string(),
                l.result
                    .as_ref()
                    .map(|r| {
                        if r.outcome == "sold" {
                            "成交"
                        } else {
                            "未成交"
                        }
                        .to_owned()
                    })
                    .unwrap_or_default(),
                l.result.as_ref().map(|r| opt(&r.price)).unwrap_or_default(),
                l.result
                    .as_ref()
                    .map(|r| opt(&r.total_price))
                    .unwrap_or_default(),
                l.url.clone(),
            ]);
            csv_line(&mut out, &cells);
        }
        if u64::from(number) * u64::from(Page::MAX_LIMIT) >= found.total || found.items.is_empty() {
            break;
        }
        number += 1;
    }
    Ok(csv_response("listings.csv", out))
}
