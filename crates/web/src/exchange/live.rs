//! Live bidding: the listing's trading floor as a page that updates itself.
//!
//! Everyone may watch `/exchange/listings/{id}/live`: the server clock, the
//! countdown to the next deadline (quote stop, listing end, timed-round
//! deadline, cap acceptance end, sealed-offer window, ascending round), the
//! current price and the bid history by bidder number — never names — and,
//! once the cap is reached, the follow-on: the sealed offers once opened, or
//! the ascending round's standing. A suspended listing shows why, and after
//! it resumes its new schedule. Updates arrive over server-sent events:
//! after each committed entry the public panel is rendered once and the same
//! text goes to every watcher; a reconnecting client names the last entry it
//! saw (`Last-Event-ID`) and, if it missed any, gets the current panel at
//! once.
//!
//! Qualified bidders also see their controls, each only when the engine's
//! state says the rules allow it now: a bid form with the lowest valid bid
//! filled in, the timed-round declaration, accepting the cap, the one sealed
//! offer of a cap holder during the sealed window, and a cap holder's offer
//! of quantity in the ascending round.
//!
//! A sealed offer is sealed here with a fresh random nonce; its opening is
//! kept in the store's secrets table before the desk acts (as the officers'
//! reserve is, see [`super::reserve`]), so that a desk reloaded from the log
//! can still open it. Its amount appears nowhere — page, answer, event,
//! audit record or log line — until the window closes: the answer names
//! only the commitment, and the form type prints without the amount.
//!
//! Every action carries an idempotency key; repeating a request with the
//! same key returns the first answer instead of acting twice. The key is
//! claimed in the store before the desk acts and the answer kept there
//! ([`ExchangeStore::claim_request`](yiwang_store::ExchangeStore::claim_request)),
//! so a retry that lands on another server process gets the first answer
//! too, and of two requests with one key racing on two processes only one
//! acts; the other is told the first is still being handled. Actions are
//! rate limited per account. Answers are the refreshed controls (htmx) with
//! the verdict's Chinese text and its stable code (`data-code`), or, for a
//! client that asks for `application/json`, `{"verdict", "code", "message"}`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{
    Action, Event, FailReason, FollowOn, Listing, Nonce, Outcome, Party, Phase, PriceBasis,
    Quantity, QuantityUnit, SealKind, Sealed, Verdict,
};
use yiwang_store::exchange::{EventRow, ListingRow, NewListingSecret, RequestClaim, SecretKind};

use super::applications::{listing_row, my_enterprise};
use super::numbers::bidder_number;
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{ApiError, AppError, PageError};
use crate::extract::Form;
use crate::pages::{render, Chrome};
use crate::AppState;

/// How many accepted bids (and ascending offers) the panel lists.
const HISTORY: usize = 20;
/// A bid more than this many increments above the minimum asks for confirmation.
const CONFIRM_INCREMENTS: i64 = 5;
/// How many log entries the panel reads back at a time.
const CHUNK: i64 = 400;
/// How long an idempotency key and its answer are kept, µs: a retry with
/// the key within this time gets the first answer.
pub const KEY_TTL_US: i64 = 24 * 3600 * 1_000_000;
/// How long a key is held for a request still being acted on, µs. A
/// request is answered or gives its key up within milliseconds; only a
/// process that died in between leaves a claim without an answer, and a
/// retry then waits this long (told `request_pending`), not the key's
/// whole life. A request still running after a minute would let a retry
/// act too; the engine then judges the retry against the state the first
/// one left (a repeated bid is below the minimum, a second declaration or
/// offer is refused), so it is logged, not counted twice.
pub const CLAIM_LEASE_US: i64 = 60 * 1_000_000;

/// One accepted bid, or ascending offer, as the public sees it.
#[derive(Debug, Clone)]
pub struct BidLine {
    pub bidder_no: u32,
    pub price: String,
    pub at: String,
}

/// One line of the current schedule.
#[derive(Debug, Clone)]
pub struct ScheduleLine {
    pub label: &'static str,
    pub at: String,
}

/// The sealed-offer follow-on (一次报价) as the public sees it: the range,
/// how many offers were made and, only once the window has closed, the
/// offers by bidder number.
#[derive(Debug, Clone)]
pub struct SealedView {
    pub range: String,
    pub made: usize,
    pub opened: bool,
    pub offers: Vec<BidLine>,
}

/// The ascending follow-on (竞配建 / 竞自持) as the public sees it.
#[derive(Debug, Clone)]
pub struct AscendingView {
    /// What is offered: "配建面积" or "自持比例".
    pub what: &'static str,
    pub unit: &'static str,
    pub start: String,
    pub increment: String,
    pub max: Option<String>,
    /// The highest offer: bidder number and quantity.
    pub top: Option<(u32, String)>,
    pub offers: Vec<BidLine>,
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
    /// "已中止：原因" while suspended.
    pub suspension: Option<String>,
    /// When the listing last resumed, once it runs again.
    pub resumed: Option<String>,
    pub schedule: Vec<ScheduleLine>,
    pub deadline_label: String,
    pub deadline: Option<String>,
    pub deadline_text: String,
    pub current_price: String,
    pub unit: &'static str,
    pub increment: String,
    pub qualified: usize,
    pub history: Vec<BidLine>,
    pub sealed: Option<SealedView>,
    pub ascending: Option<AscendingView>,
    pub result: Option<String>,
}

fn unit(engine: &Listing) -> &'static str {
    match engine.rules().price_basis {
        PriceBasis::Unit => "元/平方米",
        PriceBasis::Total => "元",
    }
}

/// What an ascending round competes on, and its unit (rules §8).
fn quantity_labels(unit: QuantityUnit) -> (&'static str, &'static str) {
    match unit {
        QuantityUnit::M2 => ("配建面积", "平方米"),
        QuantityUnit::Percent => ("自持比例", "%"),
    }
}

/// The cap's follow-on, if the listing has one.
fn follow_on(engine: &Listing) -> Option<&FollowOn> {
    engine.rules().price_cap.as_ref().map(|c| &c.then)
}

/// The next deadline that matters to bidders, with its label.
fn deadline(engine: &Listing, now: Timestamp) -> (String, Option<Timestamp>) {
    let s = engine.state().schedule();
    let rules = engine.rules();
    if engine.state().suspension().is_some() {
        return ("交易已中止，恢复时将公布新的时间安排".into(), None);
    }
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
        return "交易已中止".into();
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
            quantity,
            ..
        } => {
            let quantity = match (quantity, follow_on(engine)) {
                (Some(q), Some(FollowOn::Ascending { unit, .. })) => {
                    let (what, unit) = quantity_labels(*unit);
                    format!("，{what} {q} {unit}")
                }
                _ => String::new(),
            };
            format!(
                "{} 成交：竞买号 {} 以 {} {} 竞得，总价 {} 元{quantity}",
                at.format_cn(),
                bidder_number(listing, bidder.0),
                price.format_grouped(),
                unit(engine),
                total_price.format_grouped()
            )
        }
        Outcome::Failed { reason } => format!(
            "{} 流拍：{}",
            at.format_cn(),
            match reason {
                FailReason::NoBids => "无人报价",
                FailReason::BelowReserve => "最高报价未达到底价",
            }
        ),
    })
}

/// What the panel reads from the log rather than the state: the history
/// lines, the opened sealed offers and the last resumption.
#[derive(Debug, Default)]
struct FromLog {
    bids: Vec<BidLine>,
    offers: Vec<BidLine>,
    opened: Vec<BidLine>,
    resumed: Option<Timestamp>,
}

fn from_log(id: Uuid, code: &str, rows: &[EventRow]) -> FromLog {
    let mut out = FromLog::default();
    let mut made = HashMap::new();
    let entries = rows
        .iter()
        .filter(|r| {
            matches!(
                r.kind.as_str(),
                "bid_accepted"
                    | "offer_accepted"
                    | "sealed_offer_made"
                    | "sealed_offers_opened"
                    | "resumed"
            )
        })
        .filter_map(|r| super::desk::from_row(code, r).ok());
    for e in entries {
        let at = e.at.format_cn();
        match e.payload {
            Event::BidAccepted { bidder, price, .. } => out.bids.push(BidLine {
                bidder_no: bidder_number(id, bidder.0),
                price: price.format_grouped(),
                at,
            }),
            Event::OfferAccepted {
                bidder, quantity, ..
            } => out.offers.push(BidLine {
                bidder_no: bidder_number(id, bidder.0),
                price: quantity.to_string(),
                at,
            }),
            Event::SealedOfferMade { bidder, offer } => {
                made.insert(offer.commitment(), (bidder, at));
            }
            Event::SealedOffersOpened { offers } => {
                // Attempts refused for their price are opened too; only
                // the offers made are listed.
                out.opened = offers
                    .iter()
                    .filter_map(|o| {
                        made.get(&o.commitment).map(|(bidder, at)| BidLine {
                            bidder_no: bidder_number(id, bidder.0),
                            price: o.price.format_grouped(),
                            at: at.clone(),
                        })
                    })
                    .collect();
            }
            Event::Resumed { .. } => out.resumed = Some(e.at),
            _ => {}
        }
    }
    for lines in [&mut out.bids, &mut out.offers] {
        lines.reverse();
        lines.truncate(HISTORY);
    }
    out
}

/// The entry kind the panel must read back to: the start of the follow-on
/// whose lines it shows (the last 400 entries are read in any case).
fn read_back_to(engine: &Listing) -> Option<&'static str> {
    let state = engine.state();
    let had_follow_on = match state.phase() {
        Phase::SealedWindow { .. } | Phase::Ascending { .. } => true,
        Phase::Decided => state.holders().len() >= 2,
        _ => false,
    };
    match follow_on(engine) {
        Some(FollowOn::SealedAverage { .. }) if had_follow_on => Some("sealed_window_opened"),
        Some(FollowOn::Ascending { .. }) if had_follow_on => Some("ascending_started"),
        _ => None,
    }
}

/// The log's last entries up to `head`: the last [`CHUNK`], and further
/// back until an entry of kind `stop` when one is named.
async fn rows_back(
    app: &AppState,
    id: Uuid,
    head: i64,
    stop: Option<&str>,
) -> Result<Vec<EventRow>, AppError> {
    let mut rows: Vec<EventRow> = Vec::new();
    let mut end = head;
    loop {
        let start = (end - CHUNK).max(0);
        let mut older = app.store.events(id, start, (end - start) as u32).await?;
        older.append(&mut rows);
        rows = older;
        let found = stop.is_none_or(|k| rows.iter().any(|r| r.kind == k));
        if found || start == 0 {
            return Ok(rows);
        }
        end = start;
    }
}

fn sealed_view(engine: &Listing, opened: Vec<BidLine>) -> Option<SealedView> {
    let Some(FollowOn::SealedAverage { low, high, .. }) = follow_on(engine) else {
        return None;
    };
    let state = engine.state();
    let opened_now = match state.phase() {
        Phase::SealedWindow { opened, .. } => opened,
        Phase::Decided if state.holders().len() >= 2 => true,
        _ => return None,
    };
    Some(SealedView {
        range: format!(
            "{} – {} {}",
            low.format_grouped(),
            high.format_grouped(),
            unit(engine)
        ),
        made: state.bidders().iter().filter(|b| b.offered).count(),
        opened: opened_now,
        // Never before the window has closed, whatever the log holds.
        offers: if opened_now { opened } else { Vec::new() },
    })
}

fn ascending_view(listing: Uuid, engine: &Listing, offers: Vec<BidLine>) -> Option<AscendingView> {
    let Some(FollowOn::Ascending {
        unit,
        start,
        increment,
        max,
    }) = follow_on(engine)
    else {
        return None;
    };
    let state = engine.state();
    match state.phase() {
        Phase::Ascending { .. } => {}
        Phase::Decided if state.holders().len() >= 2 => {}
        _ => return None,
    }
    let (what, unit) = quantity_labels(*unit);
    Some(AscendingView {
        what,
        unit,
        start: start.to_string(),
        increment: increment.to_string(),
        max: max.map(|m| m.to_string()),
        top: state
            .top_quantity()
            .map(|(b, q)| (bidder_number(listing, b.0), q.to_string())),
        offers,
    })
}

fn schedule_lines(engine: &Listing) -> Vec<ScheduleLine> {
    let state = engine.state();
    if state.phase() == Phase::Decided {
        return Vec::new();
    }
    let s = state.schedule();
    vec![
        ScheduleLine {
            label: "挂牌起始",
            at: s.listing_start.format_cn(),
        },
        ScheduleLine {
            label: "挂牌报价截止",
            at: s.quote_stop_at(engine.rules()).format_cn(),
        },
        ScheduleLine {
            label: "挂牌截止",
            at: s.listing_end.format_cn(),
        },
    ]
}

fn panel(row: &ListingRow, engine: &Listing, seq: i64, log: FromLog, now: Timestamp) -> Panel {
    let (label, due) = deadline(engine, now);
    let state = engine.state();
    Panel {
        listing_id: row.id,
        code: row.code.clone(),
        seq,
        server_now: now.to_rfc3339(),
        phase: phase_label(engine, now),
        suspension: state.suspension().map(|r| format!("已中止：{r}")),
        resumed: match (state.suspension(), log.resumed) {
            (None, Some(at)) if state.phase() != Phase::Decided => {
                Some(format!("已于 {} 恢复交易", at.format_cn()))
            }
            _ => None,
        },
        schedule: schedule_lines(engine),
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
        history: log.bids,
        sealed: sealed_view(engine, log.opened),
        ascending: ascending_view(row.id, engine, log.offers),
        result: result_text(row.id, engine),
    }
}

/// A rendered panel: the HTML, and the same as one server-sent event
/// (`event: panel`, its `id`, the HTML as `data:` lines), encoded once and
/// shared by every watcher.
#[derive(Debug, Clone)]
struct Rendered {
    seq: i64,
    html: Arc<String>,
    frame: Bytes,
}

impl Rendered {
    fn new(seq: i64, html: String) -> Rendered {
        let mut frame = format!("event: panel\nid: {seq}\n");
        for line in html.split('\n') {
            frame.push_str("data: ");
            frame.push_str(line.strip_suffix('\r').unwrap_or(line));
            frame.push('\n');
        }
        frame.push('\n');
        Rendered {
            seq,
            html: Arc::new(html),
            frame: Bytes::from(frame),
        }
    }
}

/// Renders panels once per committed entry and shares the text.
#[derive(Debug, Default)]
pub struct PanelCache {
    panels: Mutex<HashMap<Uuid, Rendered>>,
    /// One renderer at a time per listing: the watchers woken by an update
    /// wait for the first one's panel instead of each rendering it.
    renderers: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
}

impl PanelCache {
    /// The cached panel of `listing` if it shows entry `min_seq` or later.
    fn at_least(&self, listing: Uuid, min_seq: i64) -> Option<Rendered> {
        let panels = self.panels.lock().unwrap_or_else(|e| e.into_inner());
        panels.get(&listing).filter(|r| r.seq >= min_seq).cloned()
    }

    fn renderer(&self, listing: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.renderers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(listing).or_default().clone()
    }
}

/// A panel showing entry `min_seq` or later, for the watchers of an
/// update: from the cache when it has one — no database read, however
/// many watchers — otherwise rendered by one of them while the others wait.
async fn panel_at_least(
    app: &AppState,
    row: &ListingRow,
    min_seq: i64,
) -> Result<Rendered, AppError> {
    if let Some(hit) = app.live_panels.at_least(row.id, min_seq) {
        return Ok(hit);
    }
    let renderer = app.live_panels.renderer(row.id);
    let _turn = renderer.lock().await;
    if let Some(hit) = app.live_panels.at_least(row.id, min_seq) {
        return Ok(hit);
    }
    current_panel(app, row).await
}

/// The current panel of a listing, rendered at most once per log entry.
async fn current_panel(app: &AppState, row: &ListingRow) -> Result<Rendered, AppError> {
    let seq = app.store.head(row.id).await?.map_or(0, |h| h.seq);
    if let Some(hit) = app.live_panels.at_least(row.id, seq) {
        if hit.seq == seq {
            return Ok(hit);
        }
    }
    let stop = app
        .desk
        .view(row.id, read_back_to)
        .await
        .map_err(AppError::from)?;
    let rows = rows_back(app, row.id, seq, stop).await?;
    let log = from_log(row.id, &row.code, &rows);
    let now = app.clock.now();
    let p = app
        .desk
        .view(row.id, |l| panel(row, l, seq, log, now))
        .await
        .map_err(AppError::from)?;
    let html = p
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let rendered = Rendered::new(p.seq, html);
    app.live_panels
        .panels
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(row.id, rendered.clone());
    Ok(rendered)
}

/// A cap holder's sealed offer, as its controls show it.
#[derive(Debug, Clone)]
pub struct SealedDesk {
    /// The window is open and this holder has not offered yet.
    pub can_offer: bool,
    /// This holder's offer is in, sealed.
    pub offered: bool,
    pub low: String,
    pub high: String,
}

/// A cap holder's offer of quantity, as its controls show it.
#[derive(Debug, Clone)]
pub struct QuantityDesk {
    pub can_offer: bool,
    pub holds_top: bool,
    pub what: &'static str,
    pub unit: &'static str,
    /// The lowest valid offer.
    pub min: String,
    pub increment: String,
    pub max: Option<String>,
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
    pub unit: &'static str,
    pub holds_highest: bool,
    pub can_declare: bool,
    pub can_accept_cap: bool,
    /// Why the listing is suspended, while it is.
    pub suspended: Option<String>,
    pub sealed: Option<SealedDesk>,
    pub quantity: Option<QuantityDesk>,
    pub key: String,
    pub answer: Option<ActAnswer>,
}

fn sealed_desk(engine: &Listing, holder: bool, offered: bool, open: bool) -> Option<SealedDesk> {
    let Some(FollowOn::SealedAverage { low, high, .. }) = follow_on(engine) else {
        return None;
    };
    let window = matches!(
        engine.state().phase(),
        Phase::SealedWindow { opened: false, .. }
    );
    (holder && window).then(|| SealedDesk {
        can_offer: open && !offered,
        offered,
        low: low.to_yuan_string(),
        high: high.to_yuan_string(),
    })
}

fn quantity_desk(engine: &Listing, no: u32, holder: bool, open: bool) -> Option<QuantityDesk> {
    let Some(FollowOn::Ascending {
        unit,
        start,
        increment,
        max,
    }) = follow_on(engine)
    else {
        return None;
    };
    let state = engine.state();
    if !holder || !matches!(state.phase(), Phase::Ascending { .. }) {
        return None;
    }
    let top = state.top_quantity();
    let holds_top = top.is_some_and(|(b, _)| b.0 == no);
    let min = match top {
        None => Some(*start),
        Some((_, q)) => q
            .centi()
            .checked_add(increment.centi())
            .map(Quantity::from_centi),
    };
    // Nothing valid is left once the top offer is at the maximum.
    let room = min.is_some_and(|m| max.is_none_or(|max| m <= max));
    let (what, unit) = quantity_labels(*unit);
    Some(QuantityDesk {
        can_offer: open && !holds_top && room,
        holds_top,
        what,
        unit,
        min: min.map(|m| m.to_string()).unwrap_or_default(),
        increment: increment.to_string(),
        max: max.map(|m| m.to_string()),
    })
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
    let participant = bidder.is_some_and(|b| b.participant);
    let holder = bidder.is_some_and(|b| b.holder);
    let open = state.suspension().is_none();
    let phase = state.phase();
    let in_quotes =
        matches!(phase, Phase::Listing) && s.listing_start <= now && now < s.quote_stop_at(rules);
    let in_round = matches!(phase, Phase::TimedRound { .. }) && participant;
    let in_quote_stop =
        matches!(phase, Phase::Listing) && s.quote_stop_at(rules) <= now && now < s.listing_end;
    let may_accept = match phase {
        Phase::CapAcceptance { in_round, .. } => !in_round || participant,
        _ => false,
    };
    let holds = high.is_some_and(|h| h.bidder == no);
    Some(BidderDesk {
        listing_id: listing,
        bidder_no: bidder_number(listing, no.0),
        can_bid: (in_quotes || in_round) && open,
        min_price: min.to_yuan_string(),
        increment: increment.to_yuan_string(),
        confirm_above: confirm.to_yuan_string(),
        unit: unit(engine),
        holds_highest: holds,
        can_declare: in_quote_stop && bidder.is_some_and(|b| !b.declared) && open,
        can_accept_cap: may_accept && !holder && open,
        suspended: state.suspension().map(str::to_owned),
        sealed: sealed_desk(engine, holder, bidder.is_some_and(|b| b.offered), open),
        quantity: quantity_desk(engine, no.0, holder, open),
        key: Uuid::now_v7().to_string(),
        answer: None,
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
    answer: Option<ActAnswer>,
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
        .map_err(AppError::from)?;
    let Some(mut d) = d else { return Ok(None) };
    d.answer = answer;
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
    let panel = current_panel(&app, &row).await?;
    let bidder = bidder_partial(&app, &row, &viewer, &chrome.csrf, None).await?;
    render(&LivePage {
        chrome: chrome.titled(format!("网上竞价 {}", row.code), "exchange"),
        panel: panel.html.to_string(),
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
    let panel = current_panel(&app, &row).await?;
    Ok(Html(panel.html.to_string()).into_response())
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

/// How often an idle event stream sends a comment, so that proxies keep it.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /exchange/listings/{id}/live/events`: server-sent events, one `panel`
/// event (the rendered panel, id = log sequence number) per committed entry,
/// each encoded once ([`Rendered`]) and the same bytes sent to every watcher.
pub async fn events(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let row = listing_row(&app, &id).await?;
    let updates = app.desk.watch(row.id).await.map_err(AppError::from)?;
    let last_seen: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let current = current_panel(&app, &row).await?;
    let seq = current.seq;
    // A client that missed entries (or is new) gets the current panel first.
    let first = match last_seen {
        Some(s) if s >= seq => None,
        _ => Some(current.frame),
    };
    let state = (app, row, updates, seq);
    let live = stream::unfold(state, |(app, row, mut rx, mut sent)| async move {
        loop {
            let received = tokio::select! {
                received = rx.recv() => received,
                () = tokio::time::sleep(KEEP_ALIVE) => {
                    return Some((Bytes::from_static(b": keep-alive\n\n"), (app, row, rx, sent)));
                }
            };
            let want = match received {
                Ok(update) if (update.entry.seq as i64) <= sent => continue,
                Ok(update) => update.entry.seq as i64,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => sent + 1,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            };
            // Coalesce: whatever is newest now is what everyone sees.
            match panel_at_least(&app, &row, want).await {
                Ok(r) if r.seq > sent => {
                    sent = r.seq;
                    return Some((r.frame, (app, row, rx, sent)));
                }
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "live panel failed");
                    return None;
                }
            }
        }
    });
    let frames = stream::iter(first).chain(live).map(Ok::<Bytes, Infallible>);
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(frames),
    )
        .into_response())
}

/// An action from the bidder's controls.
#[derive(Deserialize)]
pub struct ActForm {
    /// `bid`, `declare_timed`, `accept_cap`, `sealed_offer` or `offer`.
    #[serde(default)]
    action: String,
    /// Yuan: a bid's price, or a sealed offer (secret until opened).
    #[serde(default)]
    price: String,
    /// An ascending offer, in the follow-on's unit.
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    key: String,
}

// By hand, without the amounts: a sealed offer must never be printed.
impl std::fmt::Debug for ActForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActForm")
            .field("action", &self.action)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// How an action was answered: kept per idempotency key (as this JSON),
/// shown on the controls, and the JSON answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActAnswer {
    /// `accepted` or `refused`.
    pub verdict: String,
    /// `ok`, or the refusal's stable code.
    pub code: String,
    /// What the bidder reads, in Chinese.
    pub message: String,
    /// A sealed offer's commitment (never its amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
}

impl ActAnswer {
    pub fn ok(&self) -> bool {
        self.verdict == "accepted"
    }
}

/// Reads a price or sealed offer typed in yuan.
pub fn parse_price(what: &str, text: &str) -> Result<Money, AppError> {
    Money::parse_yuan(text).map_err(|e| {
        AppError::field(
            "price",
            format!("{what}有误：{e}（以元为单位，最多两位小数）"),
        )
    })
}

/// Reads an ascending offer typed in the follow-on's unit.
pub fn parse_quantity(text: &str) -> Result<Quantity, AppError> {
    Quantity::parse(text.trim()).map_err(|_| {
        AppError::field(
            "quantity",
            "报价数量有误：请填写不带正负号和千分位、最多两位小数的数字，例如 1500 或 5.5",
        )
    })
}

/// A fresh nonce from the operating system's random source.
fn fresh_nonce() -> Nonce {
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    Nonce(nonce)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// `POST /exchange/listings/{id}/live/act`: answers with the refreshed
/// bidder controls (htmx) carrying the verdict, or the verdict as JSON.
pub async fn act(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    let json = wants_json(&headers);
    let answered = async {
        let row = listing_row(&app, &id).await?;
        let answer = decide(&app, &viewer, &addr.0, &row, &f).await?;
        Ok::<_, AppError>((row, answer))
    }
    .await;
    match (answered, json) {
        (Ok((_, answer)), true) => axum::Json(answer).into_response(),
        (Ok((row, answer)), false) => {
            match bidder_partial(&app, &row, &viewer, &chrome.csrf, Some(answer)).await {
                Ok(html) => Html(html.unwrap_or_default()).into_response(),
                Err(e) => PageError(e).into_response(),
            }
        }
        (Err(e), true) => ApiError(e).into_response(),
        (Err(e), false) => PageError(e).into_response(),
    }
}

/// Judges one action of the signed-in bidder, once per idempotency key:
/// the key is claimed in the store first; a key answered before gets that
/// answer, a key still being acted on is refused as a conflict
/// (`request_pending`), and a request that ends without a verdict (bad
/// input, rate limit, failure) gives its key up so that a retry acts.
async fn decide(
    app: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    row: &ListingRow,
    f: &ActForm,
) -> Result<ActAnswer, AppError> {
    let me = my_enterprise(app, viewer).await?;
    let user = viewer.require()?.user.id;
    if f.key.trim().is_empty() || f.key.len() > 64 {
        return Err(AppError::field("key", "缺少请求编号，请刷新页面后重试"));
    }
    let now = app.clock.now().micros();
    match app
        .store
        .claim_request(user, &f.key, now, now + CLAIM_LEASE_US)
        .await?
    {
        RequestClaim::Claimed => {}
        RequestClaim::Answered(first) => {
            return serde_json::from_str(&first).map_err(|e| {
                AppError::Internal(anyhow::anyhow!("a kept answer does not read back: {e}"))
            });
        }
        RequestClaim::Pending => {
            return Err(AppError::Conflict {
                field: "request_pending".into(),
                message: "同一请求正在处理中，请稍候刷新页面查看结果".into(),
            });
        }
    }
    match act_once(app, viewer, addr, row, f, &me.credit_code, user, now).await {
        Ok(answer) => {
            let kept = serde_json::to_string(&answer)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("an answer serialises: {e}")))?;
            let answered = app.clock.now().micros();
            app.store
                .answer_request(user, &f.key, &kept, answered, answered + KEY_TTL_US)
                .await?;
            Ok(answer)
        }
        Err(e) => {
            if let Err(release) = app.store.release_request(user, &f.key).await {
                tracing::warn!(error = %release, "could not give up an idempotency key");
            }
            Err(e)
        }
    }
}

/// Acts on a claimed request: the rate limit, the action, the desk.
#[allow(clippy::too_many_arguments)]
async fn act_once(
    app: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    row: &ListingRow,
    f: &ActForm,
    credit_code: &str,
    user: Uuid,
    now: i64,
) -> Result<ActAnswer, AppError> {
    app.bid_limiter
        .check(&user.to_string(), now)
        .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
    let party =
        Party::parse(credit_code).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let mut commitment = None;
    let (action, accepted) = match f.action.as_str() {
        "bid" => {
            let price = parse_price("报价", &f.price)?;
            let text = format!("报价 {} 已确认", price.format_grouped());
            (Action::Bid { party, price }, text)
        }
        "declare_timed" => (
            Action::DeclareTimed { party },
            "已申请参加限时竞价".to_owned(),
        ),
        "accept_cap" => (Action::AcceptCap { party }, "已接受最高限价".to_owned()),
        "sealed_offer" => {
            let price = parse_price("一次报价", &f.price)?;
            let offer = Sealed::seal(SealKind::SealedOffer, &row.code, price, fresh_nonce());
            let hex = offer.commitment().to_hex();
            let opening = offer.opening().ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("a fresh seal has its opening"))
            })?;
            let secret = NewListingSecret {
                listing_id: row.id,
                kind: SecretKind::SealedOffer,
                key: hex.clone(),
                opening_json: serde_json::to_string(opening)
                    .map_err(|_| AppError::Internal(anyhow::anyhow!("an opening serialises")))?,
            };
            // Kept before acting: once the log names the commitment, the
            // opening must already be safe, or the window could not close.
            app.store
                .put_listing_secret(&app.audit_ctx(viewer, addr), secret)
                .await?;
            let text = format!("一次报价已密封提交，报价截止后统一开启。承诺值：{hex}");
            commitment = Some(hex);
            (Action::SealedOffer { party, offer }, text)
        }
        "offer" => {
            let quantity = parse_quantity(&f.quantity)?;
            let text = format!("报价 {quantity} 已确认");
            (Action::Offer { party, quantity }, text)
        }
        _ => return Err(AppError::field("action", "未知的操作")),
    };
    let acted = app
        .desk
        .act(row.id, &action, vec![])
        .await
        .map_err(AppError::from)?;
    Ok(match acted.verdict {
        Verdict::Accepted => ActAnswer {
            verdict: "accepted".into(),
            code: "ok".into(),
            message: accepted,
            commitment,
        },
        Verdict::Refused(r) => ActAnswer {
            verdict: "refused".into(),
            code: r.code().into(),
            message: format!("未被接受：{}", r.message_zh()),
            commitment: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panel_is_one_event_with_a_data_line_per_line() {
        let r = Rendered::new(42, "<div>\r\n  <p>当前价</p>\n</div>".to_owned());
        assert_eq!(
            &r.frame[..],
            "event: panel\nid: 42\ndata: <div>\ndata:   <p>当前价</p>\ndata: </div>\n\n".as_bytes()
        );
        assert_eq!(r.html.as_str(), "<div>\r\n  <p>当前价</p>\n</div>");
    }

    #[test]
    fn offers_are_read_in_their_units() {
        assert_eq!(
            parse_price("一次报价", "19876.54").unwrap(),
            Money::from_fen(1_987_654)
        );
        for bad in ["19876.543", "-1", "1,000", "abc", ""] {
            let AppError::Invalid(fields) = parse_price("一次报价", bad).unwrap_err() else {
                panic!("{bad}: not an input error");
            };
            assert!(fields[0].message.starts_with("一次报价有误："), "{bad}");
        }
        assert_eq!(parse_quantity(" 5.5 ").unwrap(), Quantity::from_centi(550));
        for bad in ["5.555", "-1", "1e3", "", "1,000"] {
            assert!(parse_quantity(bad).is_err(), "{bad}");
        }
        assert_eq!(quantity_labels(QuantityUnit::M2), ("配建面积", "平方米"));
        assert_eq!(quantity_labels(QuantityUnit::Percent), ("自持比例", "%"));
    }

    #[test]
    fn forms_print_without_the_amounts() {
        let form = ActForm {
            action: "sealed_offer".into(),
            price: "19876.54".into(),
            quantity: "1500".into(),
            key: "k".into(),
        };
        let shown = format!("{form:?}");
        assert!(
            !shown.contains("19876") && !shown.contains("1500"),
            "{shown}"
        );
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(fresh_nonce(), fresh_nonce());
    }
}
