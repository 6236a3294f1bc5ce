//! The trading desk: where the exchange's engine meets the database.
//!
//! Each listing has one writer per process: a [`Live`] copy of its engine
//! state behind a lock. An action is decided against that state at the
//! server's time, its facts are chained into the listing's event log, and
//! the caller hears the verdict only after the entries are durably committed.
//!
//! Commits are grouped: a single committer task takes every append that is
//! waiting and writes them in one transaction ([`ExchangeStore::append_events`]),
//! so a thousand listings' bids cost one fsync, not a thousand.
//!
//! Actions on one listing are combined as well: an action is queued on the
//! listing's slot, and whoever holds the listing's lock decides every
//! queued action in turn, in queue order, and commits their entries as one
//! append; each caller gets its own verdict once that append is committed.
//! While one group is being committed the next queues up, so fifty bidders
//! of one listing cost one commit per group, not one each. The engine held
//! in memory never runs ahead of the log: the lock is held until the
//! group's commit is answered.
//!
//! Several server processes may share one PostgreSQL database. Each append
//! names the log head it was decided against; when another process got there
//! first the store answers `Stale`, and the desk reloads the listing from the
//! log and decides again. The log therefore has one total order with no gaps,
//! whoever wrote it.
//!
//! What another process appends reaches this one's engines and watchers
//! through the store's change feed ([`Desk::follow`]): on a notice that a
//! listing's log grew past the `seq` held here, the desk reads the entries
//! after it, applies them and passes them on; when notices may have been
//! lost it does so for every listing it holds. Watchers hear each entry
//! once, in order, whichever way it arrived — committed here, read on a
//! notice, or found when a listing is reloaded — and keep their
//! subscription across reloads.
//!
//! Deadlines are facts of the state, not of timers: [`Desk::tick`] only
//! commits what the engine says has already fallen due, stamped with the
//! instant it fell due.
//!
//! Secrets: the log holds only commitments of the reserve, sealed offers
//! and the lottery seed, so a listing folded from its log cannot decide a
//! result by itself. Their openings are kept in the store's
//! `listing_secrets` table — by [`Desk::open`] for those in the rules, by
//! whoever acts for those an action brings (the officers' reserve page) —
//! and [`reattach`] gives them back to every listing the desk loads, each
//! checked against its commitment.

use std::collections::HashMap;
use std::sync::Arc;

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, watch, Mutex};
use uuid::Uuid;
use yiwang_core::Money;
use yiwang_core::{Clock, Timestamp};
use yiwang_exchange::engine::{
    Action, EngineError, Event, FollowOn, Listing, ListingRules, Opening, Outcome, Phase, Verdict,
};
use yiwang_exchange::log::{LogEntry, LogWriter};
use yiwang_store::exchange::{
    AppendNotice, AppendOutcome, EventRow, ListingAppend, ListingSecretRow, NewListingSecret,
    Participant, SecretKind,
};
use yiwang_store::{AuditCtx, Store, StoreError};

/// How many appends the committer takes into one transaction at most.
const MAX_BATCH: usize = 2048;
/// How often a group is decided again after another process moved the log
/// on. Each retry first reads the entries that process wrote, during which
/// it may commit again; two processes hammering one listing need more than
/// a few.
const MAX_STALE_RETRIES: usize = 32;
/// How many entries a listing is read back in at a time.
const READ_PAGE: u32 = 5000;
/// Entries a watcher may fall behind by before it is told it lagged.
const WATCH_CAPACITY: usize = 1024;
/// How long the follower waits before it tries a failed feed again.
const FEED_RETRY: Duration = Duration::from_secs(1);

/// What can go wrong at the desk (never a refusal: refusals are verdicts).
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("挂牌项目不存在")]
    UnknownListing,
    #[error("挂牌记录有误：{0}")]
    Corrupt(String),
    #[error("交易引擎错误：{0}")]
    Engine(#[from] EngineError),
    #[error("数据库错误：{0}")]
    Store(#[from] StoreError),
    #[error("系统繁忙，请稍后重试")]
    Busy,
}

/// An entry as watchers receive it.
#[derive(Debug, Clone)]
pub struct Update {
    pub listing_id: Uuid,
    pub entry: LogEntry,
}

/// The answer to an action.
#[derive(Debug, Clone)]
pub struct Acted {
    pub verdict: Verdict,
    /// The entries the action (and whatever fell due before it) appended.
    pub entries: Vec<LogEntry>,
}

/// One listing's engine and log head, in this process.
#[derive(Debug)]
struct Live {
    engine: Listing,
    writer: LogWriter,
    seq: i64,
    /// The status last written to the listing row.
    status: String,
}

/// A listing's place at the desk: its engine when loaded, and the `seq`
/// that engine is at, readable without waiting for the lock (the follower
/// skips notices it is already past).
#[derive(Default)]
struct Slot {
    live: Mutex<Option<Live>>,
    seq: AtomicI64,
    /// Operations waiting for the holder of `live` to decide them.
    queue: std::sync::Mutex<Vec<Queued>>,
}

/// What may be queued on a listing.
enum Op {
    /// Decide an action; `participants` are indexed if it is accepted.
    Act {
        action: Action,
        participants: Vec<Participant>,
    },
    /// Commit whatever has fallen due.
    Tick,
}

/// A verdict (none for a tick) and the entries the operation appended.
type OpResult = Result<(Option<Verdict>, Vec<LogEntry>), DeskError>;

/// An operation waiting on a listing, and where its answer goes.
struct Queued {
    op: Op,
    reply: oneshot::Sender<OpResult>,
}

/// The same error again, for each caller of a group that failed together.
fn share(e: &DeskError) -> DeskError {
    match e {
        DeskError::UnknownListing => DeskError::UnknownListing,
        DeskError::Corrupt(s) => DeskError::Corrupt(s.clone()),
        DeskError::Engine(e) => DeskError::Corrupt(e.to_string()),
        DeskError::Store(e) => DeskError::Store(StoreError::Backend(e.to_string().into())),
        DeskError::Busy => DeskError::Busy,
    }
}

/// A listing's watchers, and the last entry passed on to them.
struct Watchers {
    updates: broadcast::Sender<Arc<Update>>,
    sent: i64,
}

struct CommitRequest {
    append: ListingAppend,
    reply: oneshot::Sender<Result<AppendOutcome, String>>,
}

/// The trading desk. Cheap to clone.
#[derive(Clone)]
pub struct Desk {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    live: std::sync::Mutex<HashMap<Uuid, Arc<Slot>>>,
    watchers: std::sync::Mutex<HashMap<Uuid, Watchers>>,
    commits: mpsc::Sender<CommitRequest>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").finish_non_exhaustive()
    }
}

/// Converts a log entry to its stored row.
pub fn to_row(entry: &LogEntry) -> EventRow {
    row_with_text(entry, yiwang_exchange::log::payload_text(&entry.payload))
}

/// The stored row of an entry whose payload text is already written (as
/// [`LogWriter::append_with_text`] gives it).
pub fn row_with_text(entry: &LogEntry, payload: String) -> EventRow {
    EventRow {
        seq: entry.seq as i64,
        at: entry.at.micros(),
        kind: entry.payload.name().to_owned(),
        payload,
        prev_hash: entry.prev_hash.clone(),
        hash: entry.hash.clone(),
    }
}

/// Reads a stored row back as a log entry of listing `code`.
pub fn from_row(code: &str, row: &EventRow) -> Result<LogEntry, DeskError> {
    let payload: Event = serde_json::from_str(&row.payload)
        .map_err(|e| DeskError::Corrupt(format!("entry {}: {e}", row.seq)))?;
    let at = Timestamp::try_from_micros(row.at)
        .ok_or_else(|| DeskError::Corrupt(format!("entry {}: time out of range", row.seq)))?;
    Ok(LogEntry {
        listing: code.to_owned(),
        seq: row.seq as u64,
        at,
        payload,
        prev_hash: row.prev_hash.clone(),
        hash: row.hash.clone(),
    })
}

/// The listing's status as list pages show it.
pub fn status_code(engine: &Listing, now: Timestamp) -> &'static str {
    match engine.state().phase() {
        Phase::Decided => match engine.decision().map(|(_, d)| &d.result) {
            Some(Outcome::Sold { .. }) => "sold",
            _ => "failed",
        },
        _ if engine.state().suspension().is_some() => "suspended",
        Phase::Listing => {
            let s = engine.state().schedule();
            if now < s.listing_start {
                "upcoming"
            } else {
                "open"
            }
        }
        Phase::TimedRound { .. } => "timed_round",
        Phase::CapAcceptance { .. } | Phase::SealedWindow { .. } | Phase::Ascending { .. } => {
            "follow_on"
        }
    }
}

/// The public summary stored with the listing row: no names, no reserve.
///
/// Written as JSON with every commit of the listing, so it is serialised
/// straight from this struct (keys in alphabetical order, as readers have
/// always seen them) rather than through a `serde_json::Value`.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    applications: usize,
    current_price: Option<String>,
    deadline: Option<String>,
    high_bidder_no: Option<String>,
    increment: String,
    qualified: usize,
    result: Option<SummaryResult>,
    status: &'static str,
}

/// The result part of [`Summary`].
#[derive(Debug, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum SummaryResult {
    Sold {
        bidder_no: String,
        decided_at: String,
        price: String,
        quantity: Option<String>,
        total_price: String,
    },
    Failed {
        decided_at: String,
        reason: yiwang_exchange::engine::FailReason,
    },
}

impl Summary {
    /// The summary of `engine` at `now`.
    pub fn of(engine: &Listing, now: Timestamp) -> Summary {
        let state = engine.state();
        let high = state.high_bid();
        let result = engine.decision().map(|(at, d)| match &d.result {
            Outcome::Sold {
                bidder,
                price,
                total_price,
                quantity,
                ..
            } => SummaryResult::Sold {
                bidder_no: bidder.to_string(),
                decided_at: at.to_rfc3339(),
                price: price.to_yuan_string(),
                quantity: quantity.map(|q| q.to_string()),
                total_price: total_price.to_yuan_string(),
            },
            Outcome::Failed { reason } => SummaryResult::Failed {
                decided_at: at.to_rfc3339(),
                reason: *reason,
            },
        });
        Summary {
            applications: state.applications().len(),
            current_price: high.map(|h| h.price.to_yuan_string()),
            deadline: state.deadline().map(|d| d.to_rfc3339()),
            high_bidder_no: high.map(|h| h.bidder.to_string()),
            increment: state.increment().to_yuan_string(),
            qualified: state.bidders().len(),
            result,
            status: status_code(engine, now),
        }
    }

    /// The summary as the JSON text stored in `summary_json`.
    pub fn to_json(&self) -> String {
        // Plain strings, integers and enums: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The public summary of `engine` at `now` as stored JSON.
pub fn summary(engine: &Listing, now: Timestamp) -> String {
    Summary::of(engine, now).to_json()
}

/// The secrets in `rules` (the initial reserve's opening, the lottery
/// seed), as rows for the store's secrets table.
pub fn rules_secrets(listing_id: Uuid, rules: &ListingRules) -> Vec<NewListingSecret> {
    let mut out = Vec::new();
    if let Some(opening) = rules.reserve.opening() {
        out.push(NewListingSecret {
            listing_id,
            kind: SecretKind::Reserve,
            key: rules.reserve.commitment().to_hex(),
            // An opening is plain data; serialising it cannot fail.
            opening_json: serde_json::to_string(opening).unwrap_or_default(),
        });
    }
    if let Some(FollowOn::Lottery { seed }) = rules.price_cap.as_ref().map(|c| &c.then) {
        if let Some(text) = seed.seed() {
            out.push(NewListingSecret {
                listing_id,
                kind: SecretKind::LotterySeed,
                key: seed.sha256().to_hex(),
                opening_json: serde_json::to_string(text).unwrap_or_default(),
            });
        }
    }
    out
}

/// Gives a listing folded from its log the openings it lacks, from the
/// secrets kept for it. A secret that is not kept stays unknown (the
/// engine then refuses to decide what needs it, and the desk reports a
/// [`DeskError::Engine`]); one that is kept but does not open its
/// commitment means the table was tampered with, and is an error. Errors
/// never quote a kept opening.
pub fn reattach(engine: &mut Listing, kept: &[ListingSecretRow]) -> Result<(), DeskError> {
    let missing = engine.unopened();
    if missing.is_empty() {
        return Ok(());
    }
    let code = engine.rules().code.clone();
    let find = |kind: SecretKind, key: String| {
        kept.iter()
            .find(move |s| s.kind == kind && s.key == key)
            .map(|s| s.opening_json.as_str())
    };
    let bad = |what: &str| {
        DeskError::Corrupt(format!(
            "listing {code}: the kept {what} does not open its commitment"
        ))
    };
    if let Some(key) = missing.reserve {
        if let Some(json) = find(SecretKind::Reserve, key.to_hex()) {
            let opening: Opening<Option<Money>> =
                serde_json::from_str(json).map_err(|_| bad("reserve"))?;
            engine.reveal_reserve(opening).map_err(|_| bad("reserve"))?;
        }
    }
    if let Some(key) = missing.lottery_seed {
        if let Some(json) = find(SecretKind::LotterySeed, key.to_hex()) {
            let seed: String = serde_json::from_str(json).map_err(|_| bad("lottery seed"))?;
            engine
                .reveal_lottery_seed(&seed)
                .map_err(|_| bad("lottery seed"))?;
        }
    }
    for key in missing.sealed_offers {
        if let Some(json) = find(SecretKind::SealedOffer, key.to_hex()) {
            let opening: Opening<Money> =
                serde_json::from_str(json).map_err(|_| bad("sealed offer"))?;
            engine
                .reveal_sealed_offer(opening)
                .map_err(|_| bad("sealed offer"))?;
        }
    }
    let still = engine.unopened();
    if !still.is_empty() {
        // What is missing, by kind only.
        tracing::warn!(
            listing = %engine.rules().code,
            reserve = still.reserve.is_some(),
            lottery_seed = still.lottery_seed.is_some(),
            sealed_offers = still.sealed_offers.len(),
            "listing loaded without some of its secrets"
        );
    }
    Ok(())
}

impl Desk {
    /// A desk over `store`; spawns its committer task, which ends when the
    /// last clone of the desk is dropped.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Desk {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(commit_loop(store.clone(), rx));
        Desk {
            inner: Arc::new(Inner {
                store,
                clock,
                live: std::sync::Mutex::new(HashMap::new()),
                watchers: std::sync::Mutex::new(HashMap::new()),
                commits: tx,
            }),
        }
    }

    fn slot(&self, id: Uuid) -> Arc<Slot> {
        let mut map = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(id).or_default().clone()
    }

    /// The listing's slot if this process has one.
    fn held(&self, id: Uuid) -> Option<Arc<Slot>> {
        let map = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&id).cloned()
    }

    /// Passes `entries` on to the listing's watchers, each at most once and
    /// in order (those at or before the last one passed on are skipped).
    /// Called with the listing's slot locked, so entries go out in log
    /// order whichever path found them.
    fn publish(&self, id: Uuid, entries: &[LogEntry]) {
        let mut map = self
            .inner
            .watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(w) = map.get_mut(&id) else { return };
        if w.updates.receiver_count() == 0 {
            map.remove(&id);
            return;
        }
        for entry in entries {
            if entry.seq as i64 <= w.sent {
                continue;
            }
            w.sent = entry.seq as i64;
            let _ = w.updates.send(Arc::new(Update {
                listing_id: id,
                entry: entry.clone(),
            }));
        }
    }

    /// Whether anyone in this process watches the listing.
    fn watched(&self, id: Uuid) -> bool {
        let map = self
            .inner
            .watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.get(&id).is_some_and(|w| w.updates.receiver_count() > 0)
    }

    /// Puts a loaded listing in its slot.
    fn hold(slot: &Slot, guard: &mut Option<Live>, live: Live) {
        slot.seq.store(live.seq, Ordering::Release);
        *guard = Some(live);
    }

    /// Forgets a listing's engine (it is reloaded from the log when next
    /// needed).
    fn unhold(slot: &Slot, guard: &mut Option<Live>) {
        slot.seq.store(0, Ordering::Release);
        *guard = None;
    }

    /// Reads a listing's log from the store and folds it; entries the
    /// listing's watchers have not had yet are passed on.
    async fn load(&self, id: Uuid) -> Result<Live, DeskError> {
        let store = &self.inner.store;
        let row = store.listing(id).await?.ok_or(DeskError::UnknownListing)?;
        let mut rows = Vec::new();
        let mut after = 0;
        loop {
            let batch = store.events(id, after, READ_PAGE).await?;
            let done = batch.len() < READ_PAGE as usize;
            after = batch.last().map_or(after, |r| r.seq);
            rows.extend(batch);
            if done {
                break;
            }
        }
        let entries = rows
            .iter()
            .map(|r| from_row(&row.code, r))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(first) = entries.first() else {
            return Err(DeskError::Corrupt(format!(
                "listing {} has no log",
                row.code
            )));
        };
        let Event::ListingOpened { rules } = &first.payload else {
            return Err(DeskError::Corrupt(format!(
                "listing {}: entry 1 is not the rules",
                row.code
            )));
        };
        let rules: ListingRules = (**rules).clone();
        let mut engine = Listing::new(rules).map_err(|e| DeskError::Corrupt(e.to_string()))?;
        for e in &entries[1..] {
            engine
                .apply(&e.fact())
                .map_err(|err| DeskError::Corrupt(format!("entry {}: {err}", e.seq)))?;
        }
        reattach(&mut engine, &store.listing_secrets(id).await?)?;
        let last = entries.last().expect("non-empty");
        let live = Live {
            engine,
            writer: LogWriter::resume(last),
            seq: last.seq as i64,
            status: row.status,
        };
        self.publish(id, &entries);
        Ok(live)
    }

    /// Brings a held listing up to its log: reads the entries after the
    /// `seq` it is at, applies them and passes them on. A listing that
    /// cannot take them (or whose newly revealed secrets are needed) is
    /// reloaded whole.
    async fn refresh(&self, id: Uuid, live: &mut Live) -> Result<(), DeskError> {
        let store = &self.inner.store;
        let row = store.listing(id).await?.ok_or(DeskError::UnknownListing)?;
        loop {
            let rows = store.events(id, live.seq, READ_PAGE).await?;
            let Some(last) = rows.last() else {
                break;
            };
            let done = rows.len() < READ_PAGE as usize;
            let entries = rows
                .iter()
                .map(|r| from_row(&row.code, r))
                .collect::<Result<Vec<_>, _>>()?;
            for e in &entries {
                if let Err(err) = live.engine.apply(&e.fact()) {
                    tracing::warn!(listing = %row.code, seq = e.seq, error = %err,
                        "an entry from another process does not apply; reloading the listing");
                    *live = self.load(id).await?;
                    return Ok(());
                }
            }
            live.writer = LogWriter::resume(entries.last().expect("non-empty"));
            live.seq = last.seq;
            self.publish(id, &entries);
            if done {
                break;
            }
        }
        // Another process may have kept openings these entries commit to
        // (a sealed offer made there).
        if !live.engine.unopened().is_empty() {
            reattach(&mut live.engine, &store.listing_secrets(id).await?)?;
        }
        live.status = row.status;
        Ok(())
    }

    /// Brings a listing this process holds up to `head_seq` (a notice of
    /// the change feed). A listing not held is left alone — it is read
    /// when it is next used — unless someone here watches it.
    async fn catch_up(&self, id: Uuid, head_seq: i64) -> Result<(), DeskError> {
        let Some(slot) = self.held(id) else {
            return Ok(());
        };
        if slot.seq.load(Ordering::Acquire) >= head_seq {
            return Ok(());
        }
        let mut guard = slot.live.lock().await;
        match guard.as_mut() {
            None if self.watched(id) => {
                let live = self.load(id).await?;
                Self::hold(&slot, &mut guard, live);
            }
            None => {}
            Some(live) if live.seq >= head_seq => {}
            Some(live) => {
                let refreshed = self.refresh(id, live).await;
                if refreshed.is_ok() {
                    slot.seq.store(live.seq, Ordering::Release);
                } else {
                    Self::unhold(&slot, &mut guard);
                }
                refreshed?;
            }
        }
        Ok(())
    }

    /// Brings every listing this process holds up to its log, after
    /// notices may have been lost.
    async fn catch_up_all(&self) {
        let ids: Vec<Uuid> = {
            let map = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
            map.keys().copied().collect()
        };
        for id in ids {
            if let Err(e) = self.catch_up(id, i64::MAX).await {
                tracing::warn!(listing = %id, error = %e, "could not catch up with the log");
            }
        }
    }

    /// Follows the store's change feed until `stop` changes: entries other
    /// processes append reach this process's engines and watchers. Starts
    /// by catching up every held listing (appends made before the
    /// subscription was in place), and again whenever the feed says
    /// notices were lost.
    pub async fn follow(&self, mut stop: watch::Receiver<bool>) {
        let mut feed = loop {
            match self.inner.store.subscribe_appends().await {
                Ok(feed) => break feed,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot follow the event logs yet");
                    tokio::select! {
                        _ = tokio::time::sleep(FEED_RETRY) => {}
                        _ = stop.changed() => return,
                    }
                }
            }
        };
        self.catch_up_all().await;
        loop {
            let notice = tokio::select! {
                notice = feed.next() => notice,
                _ = stop.changed() => return,
            };
            match notice {
                Ok(AppendNotice::Appended {
                    listing_id,
                    head_seq,
                }) => {
                    if let Err(e) = self.catch_up(listing_id, head_seq).await {
                        tracing::warn!(listing = %listing_id, error = %e,
                            "could not catch up with the log");
                    }
                }
                Ok(AppendNotice::Lost) => self.catch_up_all().await,
                Err(e) => {
                    tracing::warn!(error = %e, "the event logs' change feed failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(FEED_RETRY) => {}
                        _ = stop.changed() => return,
                    }
                }
            }
        }
    }

    /// Opens a new listing's log with its rules (entry 1). The listing row
    /// must exist; secrets in `rules` are sealed in the entry, and their
    /// openings kept in the store first ([`rules_secrets`]), so that the
    /// listing can be decided after it is reloaded.
    pub async fn open(&self, id: Uuid, rules: ListingRules) -> Result<(), DeskError> {
        let engine = Listing::new(rules.clone()).map_err(|e| DeskError::Corrupt(e.to_string()))?;
        let now = self.inner.clock.now();
        let ctx = AuditCtx::system("exchange", now.micros());
        for secret in rules_secrets(id, &rules) {
            self.inner.store.put_listing_secret(&ctx, secret).await?;
        }
        let (writer, first) = LogWriter::open(&rules, now);
        let mut append = ListingAppend::entries(id, 0, vec![to_row(&first)]);
        append.summary_json = Some(summary(&engine, now));
        append.status = Some(status_code(&engine, now).to_owned());
        match self.commit(append).await? {
            AppendOutcome::Appended { .. } => {}
            AppendOutcome::Stale { .. } => return Err(DeskError::Busy),
        }
        let slot = self.slot(id);
        let mut guard = slot.live.lock().await;
        self.publish(id, std::slice::from_ref(&first));
        let live = Live {
            status: status_code(&engine, now).to_owned(),
            engine,
            writer,
            seq: 1,
        };
        Self::hold(&slot, &mut guard, live);
        Ok(())
    }

    async fn commit(&self, append: ListingAppend) -> Result<AppendOutcome, DeskError> {
        let (reply, answer) = oneshot::channel();
        self.inner
            .commits
            .send(CommitRequest { append, reply })
            .await
            .map_err(|_| DeskError::Busy)?;
        answer
            .await
            .map_err(|_| DeskError::Busy)?
            .map_err(|e| DeskError::Store(StoreError::Backend(e.into())))
    }

    /// Decides `action` at the server's time and returns the verdict once
    /// its entries are committed. `participants` are indexed with the
    /// entries when the action is accepted (for "my listings" pages).
    ///
    /// An action that brings a secret (`set_reserve`, `sealed_offer`) must
    /// have its opening kept in the store before it is acted on: the log
    /// will hold only the commitment.
    pub async fn act(
        &self,
        id: Uuid,
        action: &Action,
        participants: Vec<Participant>,
    ) -> Result<Acted, DeskError> {
        let op = Op::Act {
            action: action.clone(),
            participants,
        };
        let (verdict, entries) = self.run(id, op).await?;
        Ok(Acted {
            verdict: verdict.expect("decide always gives a verdict"),
            entries,
        })
    }

    /// Commits whatever has fallen due on a listing by now (results,
    /// timed-round starts). Returns the entries written.
    pub async fn tick(&self, id: Uuid) -> Result<Vec<LogEntry>, DeskError> {
        self.run(id, Op::Tick).await.map(|(_, entries)| entries)
    }

    /// Queues `op` on the listing and waits for its answer. The caller that
    /// gets the listing's lock decides everything queued by then, its own
    /// operation included unless an earlier holder already answered it.
    async fn run(&self, id: Uuid, op: Op) -> OpResult {
        let slot = self.slot(id);
        let (reply, mut answer) = oneshot::channel();
        slot.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Queued { op, reply });
        tokio::select! {
            biased;
            done = &mut answer => return done.map_err(|_| DeskError::Busy)?,
            mut guard = slot.live.lock() => {
                let group = std::mem::take(&mut *slot.queue.lock().unwrap_or_else(|e| e.into_inner()));
                if !group.is_empty() {
                    self.decide_group(id, &slot, &mut guard, group).await;
                }
            }
        }
        // Answered before the lock was let go, by this caller or another.
        answer.await.map_err(|_| DeskError::Busy)?
    }

    /// Decides a group of queued operations in order at the server's time,
    /// commits their entries as one append and answers each.
    ///
    /// The group is decided on a copy of the listing's engine, which
    /// replaces the held one only once the append is committed: an
    /// operation the engine fails on is answered with its error and the
    /// rest decided again from the same state, and when another process
    /// wrote first the held engine is brought up to the log by reading
    /// only the entries after it ([`Desk::refresh`]) before the group is
    /// decided again.
    async fn decide_group(
        &self,
        id: Uuid,
        slot: &Slot,
        guard: &mut Option<Live>,
        mut group: Vec<Queued>,
    ) {
        let mut stale = 0;
        while !group.is_empty() {
            if guard.is_none() {
                match self.load(id).await {
                    Ok(live) => Self::hold(slot, guard, live),
                    Err(e) => {
                        for q in group {
                            let _ = q.reply.send(Err(share(&e)));
                        }
                        return;
                    }
                }
            }
            let live = guard.as_mut().expect("loaded above");
            let now = self.inner.clock.now();
            let mut engine = live.engine.clone();
            let mut facts = Vec::new();
            // Per operation: its verdict and its facts' range.
            let mut decided = Vec::with_capacity(group.len());
            let mut failed = None;
            for (i, q) in group.iter().enumerate() {
                let start = facts.len();
                let verdict = match &q.op {
                    Op::Act { action, .. } => engine.decide(action, now, &mut facts).map(Some),
                    Op::Tick => engine.advance(now, &mut facts).map(|()| None),
                };
                match verdict {
                    Ok(v) => decided.push((v, start..facts.len())),
                    Err(e) => {
                        failed = Some((i, e));
                        break;
                    }
                }
            }
            if let Some((i, e)) = failed {
                // The copy may hold part of that operation's facts: answer
                // it, and decide the rest again from the held state.
                let q = group.remove(i);
                let _ = q.reply.send(Err(e.into()));
                continue;
            }
            // A terminated notice's listings keep that status whatever
            // comes after; otherwise the status follows the engine and the
            // clock (an upcoming listing opens without any fact).
            let status = if live.status == "terminated" {
                "terminated"
            } else {
                status_code(&engine, now)
            };
            if facts.is_empty() && status == live.status {
                for (q, (verdict, _)) in group.into_iter().zip(decided) {
                    let _ = q.reply.send(Ok((verdict, vec![])));
                }
                return;
            }
            let mut writer = live.writer.clone();
            let mut rows = Vec::with_capacity(facts.len());
            let entries: Vec<LogEntry> = facts
                .iter()
                .map(|f| {
                    let (entry, text) = writer.append_with_text(f);
                    rows.push(row_with_text(&entry, text));
                    entry
                })
                .collect();
            let decided_at = facts.iter().find_map(|f| match f.event {
                Event::Decided { .. } => Some(f.at.micros()),
                _ => None,
            });
            let mut participants = Vec::new();
            for (q, (verdict, _)) in group.iter().zip(&decided) {
                if let (
                    Op::Act {
                        participants: p, ..
                    },
                    Some(Verdict::Accepted),
                ) = (&q.op, verdict)
                {
                    participants.extend(p.iter().cloned());
                }
            }
            let append = ListingAppend {
                listing_id: id,
                expected_seq: live.seq,
                entries: rows,
                summary_json: Some(summary(&engine, now)),
                status: Some(status.to_owned()),
                decided_at,
                participants,
            };
            match self.commit(append).await {
                Ok(AppendOutcome::Appended { head_seq }) => {
                    live.engine = engine;
                    live.writer = writer;
                    live.seq = head_seq;
                    live.status = status.to_owned();
                    slot.seq.store(head_seq, Ordering::Release);
                    self.publish(id, &entries);
                    for (q, (verdict, range)) in group.into_iter().zip(decided) {
                        let _ = q.reply.send(Ok((verdict, entries[range].to_vec())));
                    }
                    return;
                }
                Ok(AppendOutcome::Stale { .. }) if stale < MAX_STALE_RETRIES => {
                    // Another process wrote first: read what it wrote and
                    // decide again.
                    stale += 1;
                    let refreshed = self.refresh(id, live).await;
                    if refreshed.is_ok() {
                        slot.seq.store(live.seq, Ordering::Release);
                    } else {
                        Self::unhold(slot, guard);
                    }
                    if let Err(e) = refreshed {
                        for q in group {
                            let _ = q.reply.send(Err(share(&e)));
                        }
                        return;
                    }
                }
                Ok(AppendOutcome::Stale { .. }) => {
                    for q in group {
                        let _ = q.reply.send(Err(DeskError::Busy));
                    }
                    return;
                }
                Err(e) => {
                    // Whether the append landed is unknown: read the
                    // listing from the log when it is next used.
                    Self::unhold(slot, guard);
                    for q in group {
                        let _ = q.reply.send(Err(share(&e)));
                    }
                    return;
                }
            }
        }
    }

    /// Reads a listing's current engine state through `f`, loading it if
    /// needed and committing anything already due first.
    pub async fn view<T>(&self, id: Uuid, f: impl FnOnce(&Listing) -> T) -> Result<T, DeskError> {
        self.tick(id).await?;
        let slot = self.slot(id);
        let mut guard = slot.live.lock().await;
        if guard.is_none() {
            let live = self.load(id).await?;
            Self::hold(&slot, &mut guard, live);
        }
        Ok(f(&guard.as_ref().expect("loaded above").engine))
    }

    /// Entries appended to the listing from now on, in order, whichever
    /// process appends them; the subscription outlives reloads.
    pub async fn watch(&self, id: Uuid) -> Result<broadcast::Receiver<Arc<Update>>, DeskError> {
        let slot = self.slot(id);
        let mut guard = slot.live.lock().await;
        if guard.is_none() {
            let live = self.load(id).await?;
            Self::hold(&slot, &mut guard, live);
        }
        let seq = guard.as_ref().expect("loaded above").seq;
        let mut map = self
            .inner
            .watchers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let w = map.entry(id).or_insert_with(|| Watchers {
            updates: broadcast::channel(WATCH_CAPACITY).0,
            sent: seq,
        });
        Ok(w.updates.subscribe())
    }

    /// Forgets a listing's in-memory state; the next use reloads it.
    pub async fn evict(&self, id: Uuid) {
        let slot = self.slot(id);
        *slot.live.lock().await = None;
        slot.seq.store(0, Ordering::Release);
    }
}

/// The committer: takes every waiting append and writes them in one
/// transaction. Appends for the same listing in one batch are merged, in
/// order, so the store sees one contiguous run per listing.
async fn commit_loop(store: Arc<dyn Store>, mut rx: mpsc::Receiver<CommitRequest>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    // Where each listing's append is in the batch being gathered.
    let mut index: HashMap<Uuid, usize> = HashMap::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let mut batch: Vec<ListingAppend> = Vec::new();
        let mut replies: Vec<(usize, oneshot::Sender<Result<AppendOutcome, String>>)> = Vec::new();
        index.clear();
        for req in waiting.drain(..) {
            match index.get(&req.append.listing_id).copied() {
                Some(i) => {
                    let merged = &mut batch[i];
                    let a = req.append;
                    merged.entries.extend(a.entries);
                    if a.summary_json.is_some() {
                        merged.summary_json = a.summary_json;
                    }
                    if a.status.is_some() {
                        merged.status = a.status;
                    }
                    if a.decided_at.is_some() {
                        merged.decided_at = a.decided_at;
                    }
                    merged.participants.extend(a.participants);
                    replies.push((i, req.reply));
                }
                None => {
                    index.insert(req.append.listing_id, batch.len());
                    batch.push(req.append);
                    replies.push((batch.len() - 1, req.reply));
                }
            }
        }
        match store.append_events(batch).await {
            Ok(outcomes) => {
                for (i, reply) in replies {
                    let _ = reply.send(Ok(outcomes[i]));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                tracing::error!(error = %msg, "event log commit failed");
                for (_, reply) in replies {
                    let _ = reply.send(Err(msg.clone()));
                }
            }
        }
    }
}
