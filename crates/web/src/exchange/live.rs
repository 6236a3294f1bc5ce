//! Live bidding: the listing's trading floor as a page that updates itself.
//!
//! Everyone may watch `/exchange/listings/{id}/live`: the server clock, the
//! countdown to the next deadline (quote stop, listing end, timed-round
//! deadline, cap acceptance end), the current price and the bid history by
//! bidder number — never names. Updates arrive over server-sent events:
//! after each committed entry the public panel is rendered once and the same
//! text goes to every watcher; a reconnecting client names the last entry it
//! saw (`Last-Event-ID`) and, if it missed any, gets the current panel at
//! once. Qualified bidders also see a bid form with the lowest valid bid
//! filled in, and the buttons the rules allow at that moment.
//!
//! Every bid carries an idempotency key; repeating a request with the same
//! key returns the first answer instead of bidding twice. Bids are rate
//! limited per account.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{Action, Event, Listing, Outcome, Party, Phase, Verdict};
use yiwang_store::exchange::ListingRow;

use super::applications::{listing_row, my_enterprise};
use super::numbers::bidder_number;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::extract::Form;
use crate::pages::{render, Chrome};
use crate::AppState;

/// How many accepted bids the panel lists.
const HISTORY: usize = 20;
/// A bid more than this many increments above the minimum asks for confirmation.
const CONFIRM_INCREMENTS: i64 = 5;

/// One accepted bid as the public sees it.
#[derive(Debug, Clone)]
pub struct BidLine {
    pub bidder_no: u32,
    pub price: String,
    pub at: String,
}

/// The public panel: identical for every watcher.
#[derive(Debug, Clone, Template)]
#[template(path = "exchange/live_panel.html")]
pub struct Panel {
    pub listing_id: Uuid,
    pub code: String,
    pub seq: i64,
    pub server_now: String,
    pub phase: String,
    pub deadline_label: String,
    pub deadline: Option<String>,
    pub deadline_text: String,
    pub current_price: String,
    pub unit: &'static str,
    pub increment: String,
    pub qualified: usize,
    pub history: Vec<BidLine>,
    pub result: Option<String>,
}

fn unit(engine: &Listing) -> &'static str {
    match engine.rules().price_basis {
        yiwang_exchange::engine::PriceBasis::Unit => "元/平方米",
        yiwang_exchange::engine::PriceBasis::Total => "元",
    }
}

/// The next deadline that matters to bidders, with its label.
fn deadline(engine: &Listing, now: Timestamp) -> (String, Option<Timestamp>) {
    let s = engine.state().schedule();
    let rules = engine.rules();
    match engine.state().phase() {
        Phase::Decided => ("交易已结束".into(), None),
        Phase::Listing if now < s.listing_start => ("距挂牌开始".into(), Some(s.listing_start)),
        Phase::Listing if now < s.quote_stop_at(rules) => {
            ("距挂牌报价截止".into(), Some(s.quote_stop_at(rules)))
        }
        Phase::Listing => (
            "距挂牌截止（可申请参加限时竞价）".into(),
            Some(s.listing_end),
        ),
        Phase::TimedRound { deadline } => ("限时竞价倒计时".into(), Some(deadline)),
        Phase::CapAcceptance { end, .. } => ("已达最高限价，接受最高限价截止".into(), Some(end)),
        Phase::SealedWindow { end, .. } => ("一次报价截止".into(), Some(end)),
        Phase::Ascending { deadline } => ("竞配建（自持）报价倒计时".into(), Some(deadline)),
    }
}

fn phase_label(engine: &Listing, now: Timestamp) -> String {
    if engine.state().suspension().is_some() {
        return "暂停交易".into();
    }
    match engine.state().phase() {
        Phase::Listing if now < engine.state().schedule().listing_start => "挂牌尚未开始",
        Phase::Listing => "挂牌报价中",
        Phase::TimedRound { .. } => "限时竞价中",
        Phase::CapAcceptance { .. } => "已达最高限价",
        Phase::SealedWindow { .. } => "一次报价中",
        Phase::Ascending { .. } => "竞配建（自持）报价中",
        Phase::Decided => "交易已结束",
    }
    .into()
}

fn result_text(listing: Uuid, engine: &Listing) -> Option<String> {
    engine.decision().map(|(at, d)| match &d.result {
        Outcome::Sold {
            bidder,
            price,
            total_price,
            ..
        } => format!(
            "{} 成交：竞买号 {} 以 {} {} 竞得，总价 {} 元",
            at.format_cn(),
            bidder_number(listing, bidder.0),
            price.format_grouped(),
            unit(engine),
            total_price.format_grouped()
        ),
        Outcome::Failed { reason } => format!(
            "{} 流拍：{}",
            at.format_cn(),
            match reason {
                yiwang_exchange::engine::FailReason::NoBids => "无人报价",
                yiwang_exchange::engine::FailReason::BelowReserve => "最高报价未达到底价",
            }
        ),
    })
}

fn panel(
    row: &ListingRow,
    engine: &Listing,
    seq: i64,
    history: Vec<BidLine>,
    now: Timestamp,
) -> Panel {
    let (label, due) = deadline(engine, now);
    let state = engine.state();
    Panel {
        listing_id: row.id,
        code: row.code.clone(),
        seq,
        server_now: now.to_rfc3339(),
        phase: phase_label(engine, now),
        deadline_label: label,
        deadline_text: due.map(|d| d.format_cn()).unwrap_or_default(),
        deadline: due.map(|d| d.to_rfc3339()),
        current_price: state
            .high_bid()
            .map(|h| h.price.format_grouped())
            .unwrap_or_else(|| "尚无报价".into()),
        unit: unit(engine),
        increment: state.increment().format_grouped(),
        qualified: state.bidders().len(),
        history,
        result: result_text(row.id, engine),
    }
}

/// Renders panels once per committed entry and shares the text.
#[derive(Debug, Default)]
pub struct PanelCache {
    panels: Mutex<HashMap<Uuid, (i64, Arc<String>)>>,
}

async fn history(app: &AppState, id: Uuid, code: &str) -> Result<Vec<BidLine>, AppError> {
    let head = app.store.head(id).await?.map_or(0, |h| h.seq);
    let rows = app.store.events(id, (head - 400).max(0), 400).await?;
    let mut bids: Vec<BidLine> = rows
        .iter()
        .filter(|r| r.kind == "bid_accepted")
        .filter_map(|r| super::desk::from_row(code, r).ok())
        .filter_map(|e| match e.payload {
            Event::BidAccepted { bidder, price, .. } => Some(BidLine {
                bidder_no: bidder_number(id, bidder.0),
                price: price.format_grouped(),
                at: e.at.format_cn(),
            }),
            _ => None,
        })
        .collect();
    bids.reverse();
    bids.truncate(HISTORY);
    Ok(bids)
}

/// The current panel of a listing, rendered at most once per log entry.
async fn current_panel(app: &AppState, row: &ListingRow) -> Result<(i64, Arc<String>), AppError> {
    let seq = app.store.head(row.id).await?.map_or(0, |h| h.seq);
    if let Some((s, text)) = app
        .live_panels
        .panels
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&row.id)
    {
        if *s == seq {
            return Ok((seq, text.clone()));
        }
    }
    let bids = history(app, row.id, &row.code).await?;
    let now = app.clock.now();
    let p = app
        .desk
        .view(row.id, |l| panel(row, l, seq, bids, now))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let text = Arc::new(
        p.render()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?,
    );
    app.live_panels
        .panels
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(row.id, (p.seq, text.clone()));
    Ok((p.seq, text))
}

/// What a qualified bidder may do now, and the lowest valid bid.
#[derive(Debug, Clone)]
pub struct BidderDesk {
    pub listing_id: Uuid,
    pub bidder_no: u32,
    pub can_bid: bool,
    pub min_price: String,
    pub increment: String,
    pub confirm_above: String,
    pub holds_highest: bool,
    pub can_declare: bool,
    pub can_accept_cap: bool,
    pub key: String,
    pub message: Option<String>,
    pub ok: bool,
}

fn bidder_desk(listing: Uuid, engine: &Listing, party: &str, now: Timestamp) -> Option<BidderDesk> {
    let state = engine.state();
    let no = state.bidder_of(party)?;
    let rules = engine.rules();
    let increment = state.increment();
    let high = state.high_bid();
    let min = match high {
        None => rules.start_price,
        Some(h) => h.price.checked_add(increment).unwrap_or(h.price),
    };
    let confirm = min
        .checked_add(
            increment
                .checked_mul(CONFIRM_INCREMENTS)
                .unwrap_or(Money::ZERO),
        )
        .unwrap_or(min);
    let s = state.schedule();
    let bidder = state.bidder(no);
    let phase = state.phase();
    let in_quotes =
        matches!(phase, Phase::Listing) && s.listing_start <= now && now < s.quote_stop_at(rules);
    let in_round =
        matches!(phase, Phase::TimedRound { .. }) && bidder.is_some_and(|b| b.participant);
    let in_quote_stop =
        matches!(phase, Phase::Listing) && s.quote_stop_at(rules) <= now && now < s.listing_end;
    let holds = high.is_some_and(|h| h.bidder == no);
    Some(BidderDesk {
        listing_id: listing,
        bidder_no: bidder_number(listing, no.0),
        can_bid: (in_quotes || in_round) && state.suspension().is_none(),
        min_price: min.to_yuan_string(),
        increment: increment.to_yuan_string(),
        confirm_above: confirm.to_yuan_string(),
        holds_highest: holds,
        can_declare: in_quote_stop
            && bidder.is_some_and(|b| !b.declared)
            && state.suspension().is_none(),
        can_accept_cap: matches!(phase, Phase::CapAcceptance { .. })
            && bidder.is_some_and(|b| !b.holder),
        key: Uuid::now_v7().to_string(),
        message: None,
        ok: false,
    })
}

#[derive(Template)]
#[template(path = "exchange/live.html")]
struct LivePage {
    chrome: Chrome,
    panel: String,
    listing_id: Uuid,
    code: String,
    bidder: Option<String>,
}

#[derive(Template)]
#[template(path = "exchange/live_bidder.html")]
struct BidderPartial {
    d: BidderDesk,
    csrf: String,
}

async fn bidder_partial(
    app: &AppState,
    row: &ListingRow,
    viewer: &Viewer,
    csrf: &str,
    message: Option<(String, bool)>,
) -> Result<Option<String>, AppError> {
    if viewer.role() != Some(yiwang_core::Role::Bidder) {
        return Ok(None);
    }
    let me = my_enterprise(app, viewer).await?;
    let now = app.clock.now();
    let d = app
        .desk
        .view(row.id, |l| bidder_desk(row.id, l, &me.credit_code, now))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let Some(mut d) = d else { return Ok(None) };
    if let Some((m, ok)) = message {
        d.message = Some(m);
        d.ok = ok;
    }
    let html = BidderPartial {
        d,
        csrf: csrf.to_owned(),
    }
    .render()
    .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Some(html))
}

/// `GET /exchange/listings/{id}/live`
pub async fn page(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let (_, panel) = current_panel(&app, &row).await?;
    let bidder = bidder_partial(&app, &row, &viewer, &chrome.csrf, None).await?;
    render(&LivePage {
        chrome: chrome.titled(format!("网上竞价 {}", row.code), "exchange"),
        panel: panel.to_string(),
        listing_id: row.id,
        code: row.code,
        bidder,
    })
}

/// `GET /exchange/listings/{id}/live/panel`: the panel alone (after reconnects).
pub async fn panel_only(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let (_, panel) = current_panel(&app, &row).await?;
    Ok(Html(panel.to_string()).into_response())
}

/// `GET /exchange/listings/{id}/live/desk`: the signed-in bidder's controls.
pub async fn desk_only(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    Ok(Html(
        bidder_partial(&app, &row, &viewer, &chrome.csrf, None)
            .await?
            .unwrap_or_default(),
    )
    .into_response())
}

/// `GET /exchange/listings/{id}/live/events`: server-sent events, one `panel`
/// event (the rendered panel, id = log sequence number) per committed entry.
pub async fn events(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, PageError> {
    let row = listing_row(&app, &id).await?;
    let updates = app
        .desk
        .watch(row.id)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let last_seen: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let (seq, text) = current_panel(&app, &row).await?;
    // A client that missed entries (or is new) gets the current panel first.
    let first = match last_seen {
        Some(s) if s >= seq => None,
        _ => Some(
            SseEvent::default()
                .event("panel")
                .id(seq.to_string())
                .data(text.as_str()),
        ),
    };
    let state = (app, row, updates, seq);
    let live = stream::unfold(state, |(app, row, mut rx, mut sent)| async move {
        loop {
            match rx.recv().await {
                Ok(update) if (update.entry.seq as i64) <= sent => continue,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    // Coalesce: whatever is newest now is what everyone sees.
                    match current_panel(&app, &row).await {
                        Ok((seq, text)) if seq > sent => {
                            sent = seq;
                            let ev = SseEvent::default()
                                .event("panel")
                                .id(seq.to_string())
                                .data(text.as_str());
                            return Some((Ok(ev), (app, row, rx, sent)));
                        }
                        Ok(_) => continue,
                        Err(e) => {
                            tracing::warn!(error = %e, "live panel failed");
                            return None;
                        }
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let head = stream::iter(first.map(Ok));
    Ok(Sse::new(futures_util::StreamExt::chain(head, live))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// A bid or another action from the bidder's controls.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    /// `bid`, `declare_timed` or `accept_cap`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    key: String,
}

/// Answers already given, by account and idempotency key.
#[derive(Debug, Default)]
pub struct Answers {
    seen: Mutex<HashMap<(Uuid, String), (String, bool)>>,
}

impl Answers {
    fn get(&self, user: Uuid, key: &str) -> Option<(String, bool)> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(user, key.to_owned()))
            .cloned()
    }

    fn put(&self, user: Uuid, key: &str, answer: (String, bool)) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 100_000 {
            seen.clear();
        }
        seen.insert((user, key.to_owned()), answer);
    }
}

/// `POST /exchange/listings/{id}/live/act`: answers with the refreshed
/// bidder controls (htmx) carrying the verdict.
pub async fn act(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let me = my_enterprise(&app, &viewer).await?;
    let user = viewer.require()?.user.id;
    if f.key.trim().is_empty() || f.key.len() > 64 {
        return Err(AppError::field("key", "缺少请求编号，请刷新页面后重试").into());
    }
    let answer = match app.live_answers.get(user, &f.key) {
        Some(first) => first,
        None => {
            let now = app.clock.now().micros();
            app.bid_limiter
                .check(&user.to_string(), now)
                .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
            let party = Party::parse(&me.credit_code)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            let action = match f.action.as_str() {
                "bid" => {
                    let price = Money::parse_yuan(&f.price).map_err(|e| {
                        AppError::field(
                            "price",
                            format!("报价有误：{e}（以元为单位，最多两位小数）"),
                        )
                    })?;
                    Action::Bid { party, price }
                }
                "declare_timed" => Action::DeclareTimed { party },
                "accept_cap" => Action::AcceptCap { party },
                _ => return Err(AppError::field("action", "未知的操作").into()),
            };
            let acted = app
                .desk
                .act(row.id, &action, vec![])
                .await
                .map_err(|e| AppError::Internal(e.into()))?;
            let answer = match acted.verdict {
                Verdict::Accepted => (
                    match f.action.as_str() {
                        "bid" => format!(
                            "报价 {} 已确认",
                            Money::parse_yuan(&f.price)
                                .map(|m| m.format_grouped())
                                .unwrap_or_default()
                        ),
                        "declare_timed" => "已申请参加限时竞价".to_owned(),
                        _ => "已接受最高限价".to_owned(),
                    },
                    true,
                ),
                Verdict::Refused(r) => (format!("未被接受：{}", r.message_zh()), false),
            };
            app.live_answers.put(user, &f.key, answer.clone());
            answer
        }
    };
    let html = bidder_partial(&app, &row, &viewer, &chrome.csrf, Some(answer))
        .await?
        .unwrap_or_default();
    Ok(Html(html).into_response())
}
