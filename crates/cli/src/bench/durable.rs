//! The durable section: bids acknowledged only once committed, through the
//! trading desk the server uses, against the design it replaces.
//!
//! For each backend (SQLite in a temporary file, opened as `yiwang serve`
//! opens it; PostgreSQL in a fresh database on the given server) and for
//! 1, 100 and 1,000 listings with [`BIDDERS`] qualified bidders each, one
//! tokio task per bidder submits a bid, awaits its acknowledgement, and
//! submits the next. Two designs take the same load:
//!
//! - **the desk** ([`Desk::act`]): the listing's writer judges the bid and
//!   hands its entries to the committer, which writes every waiting
//!   listing's entries in one transaction;
//! - **one transaction per bid**, the baseline: the same judgement, log
//!   chaining and listing summary, under a per-listing lock, then one
//!   [`ExchangeStore::append_events`] call of its own, awaited before the
//!   listing's next bid. This is what a straightforward server does.
//!
//! - **the desk, paced**: the desk again, but under an offered load of
//!   50,000 bids per second in all (each bidder bids at its own steady
//!   interval, the bidders staggered), so that the acknowledgement latency
//!   is read at the target rate and not at saturation, where with every
//!   bidder always waiting it is only the queue (Little's law: 50,000
//!   bidders at 100,000 bids per second wait 0.5 s each).
//!
//! Prices come from a counter per listing, one increment above the last
//! price taken, so every bid is valid when it is made. Bidders of one
//! listing queue for its writer in the order they took their prices; the
//! rare bid that still arrives after a higher one (two worker threads
//! taking prices at once) is refused as `below_minimum`, logged like any
//! other decision, and counted as refused.
//!
//! The acknowledgement latency of a bid is [`Instant`] around the call that
//! makes it, so it includes the time the bid waits behind the bids of the
//! same listing queued before it.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{watch, Mutex};
use tokio::task::JoinSet;
use uuid::Uuid;
use yiwang_core::{Clock, Money, SystemClock, Timestamp};
use yiwang_exchange::engine::{Action, Fact, Listing, ListingRules, Party, Verdict};
use yiwang_exchange::log::LogWriter;
use yiwang_store::exchange::{AppendOutcome, ListingAppend, NewListing, NewNotice};
use yiwang_store::{AuditCtx, Store};
use yiwang_store_postgres::PgStore;
use yiwang_store_sqlite::testing::TempDir;
use yiwang_store_sqlite::SqliteStore;
use yiwang_web::exchange::desk::{row_with_text, status_code, summary, to_row, Desk};

use super::engine::bench_rules;
use super::{grouped, rate, runtime, Options, Report, Row, Spread, BIDDERS};

/// Listings opened per `append_events` call when the baseline's listings
/// are prepared (not measured).
const SETUP_CHUNK: usize = 100;

pub fn section(options: &Options) -> anyhow::Result<Report> {
    let rt = runtime()?;
    let report = rt.block_on(measure_all(options));
    rt.shutdown_timeout(Duration::from_secs(5));
    report
}

async fn measure_all(options: &Options) -> anyhow::Result<Report> {
    let mut report = Report::default();
    report.notes.push(
        "确认时延：每笔报价从提交到提交入库后得到裁决的用时，含在同一挂牌前面的报价后排队的时间。"
            .to_owned(),
    );
    let (sqlite, dir) = sqlite().await?;
    report.notes.push(format!(
        "SQLite：{} 下的临时数据库文件，WAL、synchronous=FULL，与 yiwang serve 的设置相同。",
        dir.path().display()
    ));
    measure_backend(
        Backend::Sqlite,
        Arc::new(sqlite.clone()),
        options,
        &mut report,
    )
    .await?;
    sqlite.close().await;
    drop(dir);

    match &options.postgres_url {
        None => report
            .notes
            .push("PostgreSQL：已按 --skip-postgres 跳过，表中没有 PostgreSQL 的行。".to_owned()),
        Some(url) => match BenchDatabase::create(url).await {
            Err(e) => report.notes.push(format!(
                "PostgreSQL：未测，表中没有 PostgreSQL 的行。无法在 {} 上新建数据库：{e:#}。\
                 请用 --postgres-url 指定可建库的用户，或用 --skip-postgres 跳过。",
                yiwang_web::config::mask_url_password(url)
            )),
            Ok((store, db)) => {
                report.notes.push(format!(
                    "PostgreSQL：{} 上新建的数据库 {}，连接池与 yiwang serve 相同，测完即删除。",
                    yiwang_web::config::mask_url_password(url),
                    db.name
                ));
                let measured = measure_backend(
                    Backend::Postgres,
                    Arc::new(store.clone()),
                    options,
                    &mut report,
                )
                .await;
                store.close().await;
                db.drop_database().await;
                measured?;
            }
        },
    }
    Ok(report)
}

/// A new SQLite store, opened as the server opens one, in a temporary
/// directory removed when the guard is dropped.
pub(super) async fn sqlite() -> anyhow::Result<(SqliteStore, TempDir)> {
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = SqliteStore::open(&url)
        .await
        .map_err(|e| anyhow::anyhow!("无法创建 SQLite 数据库 {url}：{e}"))?;
    store.migrate().await?;
    Ok((store, dir))
}

/// A database made for one run on a PostgreSQL server. Its name starts
/// like the storage tests' databases, so a run that is killed leaves
/// nothing the tests' sweep does not remove.
pub(super) struct BenchDatabase {
    admin: PgConnectOptions,
    pub(super) name: String,
}

impl BenchDatabase {
    /// A new, empty database.
    pub(super) async fn empty(url: &str) -> anyhow::Result<BenchDatabase> {
        let admin = PgConnectOptions::from_str(url)?;
        let mut conn = admin.connect().await?;
        let name = format!(
            "{}{}",
            yiwang_store_postgres::testing::DB_PREFIX,
            Uuid::now_v7().simple()
        );
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await?;
        let _ = conn.close().await;
        Ok(BenchDatabase { admin, name })
    }

    /// How to connect to the database.
    pub(super) fn options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }

    async fn create(url: &str) -> anyhow::Result<(PgStore, BenchDatabase)> {
        let db = BenchDatabase::empty(url).await?;
        let url = db.options().to_url_lossy();
        let opened = async {
            let store = PgStore::connect(url.as_str()).await?;
            store.migrate().await?;
            anyhow::Ok(store)
        }
        .await;
        match opened {
            Ok(store) => Ok((store, db)),
            Err(e) => {
                db.drop_database().await;
                Err(e)
            }
        }
    }

    /// Drops the database; a failure is reported, not fatal.
    pub(super) async fn drop_database(self) {
        let dropped = async {
            let mut conn = self.admin.connect().await?;
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await?;
            conn.close().await
        }
        .await;
        if let Err(e) = dropped {
            eprintln!("警告：未能删除测试数据库 {}：{e}", self.name);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Design {
    Desk,
    PerBid,
    /// The desk under an offered load of [`PACED_RATE`] bids per second in
    /// all, spread evenly over the bidders: the latency at the target rate
    /// rather than at saturation.
    Paced,
}

/// The offered load of the paced rows, bids per second: the target.
const PACED_RATE: u32 = 50_000;

impl Design {
    /// The name `--load` gives it.
    fn name(self) -> &'static str {
        match self {
            Design::Desk => "desk",
            Design::PerBid => "per-bid",
            Design::Paced => "paced",
        }
    }

    fn code(self, backend: Backend) -> &'static str {
        match (backend, self) {
            (Backend::Sqlite, Design::Desk) => "sqlite_desk",
            (Backend::Sqlite, Design::PerBid) => "sqlite_per_bid",
            (Backend::Postgres, Design::Desk) => "postgres_desk",
            (Backend::Postgres, Design::PerBid) => "postgres_per_bid",
            (Backend::Sqlite, Design::Paced) => "sqlite_desk_paced",
            (Backend::Postgres, Design::Paced) => "postgres_desk_paced",
        }
    }

    fn label(self, backend: Backend) -> &'static str {
        match (backend, self) {
            (Backend::Sqlite, Design::Desk) => "SQLite 交易台（分组提交）",
            (Backend::Sqlite, Design::PerBid) => "SQLite 每笔一个事务（基线）",
            (Backend::Postgres, Design::Desk) => "PostgreSQL 交易台（分组提交）",
            (Backend::Postgres, Design::PerBid) => "PostgreSQL 每笔一个事务（基线）",
            (Backend::Sqlite, Design::Paced) => "SQLite 交易台，限速每秒 5 万笔",
            (Backend::Postgres, Design::Paced) => "PostgreSQL 交易台，限速每秒 5 万笔",
        }
    }
}

async fn measure_backend(
    backend: Backend,
    store: Arc<dyn Store>,
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<()> {
    for &listings in &options.listings {
        let mut per_second = [None; 3];
        for (i, design) in [Design::Desk, Design::PerBid, Design::Paced]
            .into_iter()
            .enumerate()
            .filter(|(_, d)| options.loads.contains(&d.name()))
        {
            eprintln!(
                "准备中：{}，{}，{listings} 宗挂牌……",
                backend.name(),
                design.label(backend)
            );
            let prefix = format!("{}{listings}-", ["D", "N", "P"][i]);
            let target = Arc::new(match design {
                Design::Desk | Design::Paced => {
                    Target::desk(store.clone(), &prefix, listings).await?
                }
                Design::PerBid => Target::per_bid(store.clone(), &prefix, listings).await?,
            });
            // Each bidder's interval between bids for the paced load.
            let pace = (design == Design::Paced).then(|| {
                Duration::from_secs_f64((listings * BIDDERS) as f64 / f64::from(PACED_RATE))
            });
            eprintln!(
                "测量中：{}，{}，{listings} 宗挂牌……",
                backend.name(),
                design.label(backend)
            );
            let (row, refusals) = load(&target, options, pace).await?;
            let row = Row {
                workload: design.code(backend),
                label: design.label(backend),
                threads: options.cores,
                ..row
            };
            if !refusals.is_empty() {
                report.notes.push(format!(
                    "{}，{listings} 宗：被拒的报价 {}。",
                    design.label(backend),
                    refusals
                        .iter()
                        .map(|(code, n)| format!("{code} {}", grouped(*n)))
                        .collect::<Vec<_>>()
                        .join("，")
                ));
            }
            per_second[i] = Some(row.per_second);
            report.rows.push(row);
        }
        if let [Some(desk), Some(per_bid), _] = per_second {
            report.notes.push(format!(
                "{}，{listings} 宗挂牌：交易台每秒确认 {} 笔，为每笔一个事务（{} 笔）的 {}。",
                backend.name(),
                grouped(desk.round() as u64),
                grouped(per_bid.round() as u64),
                ratio(desk, per_bid)
            ));
        }
    }
    Ok(())
}

/// `a / b` as `12.3 倍`.
fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.1} 倍", a / b)
    } else {
        "—（基线为 0）".to_owned()
    }
}

// ---------------------------------------------------------------------------
// Listings to bid on.

/// The parties who qualify for every benchmark listing.
pub(super) fn parties() -> anyhow::Result<Vec<Party>> {
    (0..BIDDERS)
        .map(|i| Party::parse(&format!("91320600BIDDER{i:04}")).map_err(anyhow::Error::from))
        .collect()
}

/// When the benchmark listings open: a minute ago, so that applications,
/// deposits and bids made from now on are all in time.
pub(super) fn opening_time() -> Timestamp {
    SystemClock.now().add_secs(-60)
}

/// Publishes `count` listings under one notice, codes `{prefix}0001` on.
pub(super) async fn publish(
    store: &dyn Store,
    prefix: &str,
    count: usize,
    t: Timestamp,
) -> anyhow::Result<Vec<(Uuid, ListingRules)>> {
    let now = SystemClock.now().micros();
    let ctx = AuditCtx::system("bench", now);
    let notice = store
        .create_notice(
            &ctx,
            NewNotice {
                number: format!("性能测试 {prefix} {}", Uuid::now_v7().simple()),
                title: "性能测试挂牌".to_owned(),
                body_json: "{}".to_owned(),
            },
        )
        .await?;
    let mut rules = Vec::with_capacity(count);
    let mut rows = Vec::with_capacity(count);
    for i in 0..count {
        let r = bench_rules(format!("{prefix}{i:04}"), t)?;
        let s = r.schedule;
        rows.push(NewListing {
            code: r.code.clone(),
            location: "性能测试".to_owned(),
            land_use: "居住用地".to_owned(),
            district: "崇川区".to_owned(),
            start_price_fen: r.start_price.fen(),
            listing_start: s.listing_start.micros(),
            listing_end: s.listing_end.micros(),
            application_start: s.application_start.micros(),
            application_deadline: s.application_deadline.micros(),
            rules_json: "{}".to_owned(),
            summary_json: "{}".to_owned(),
            status: "open".to_owned(),
        });
        rules.push(r);
    }
    let (_, listed) = store
        .publish_notice(&ctx, notice.id, notice.version, now, rows)
        .await?;
    let by_code: BTreeMap<&str, Uuid> = listed.iter().map(|l| (l.code.as_str(), l.id)).collect();
    rules
        .into_iter()
        .map(|r| {
            by_code
                .get(r.code.as_str())
                .map(|id| (*id, r.clone()))
                .ok_or_else(|| anyhow::anyhow!("挂牌 {} 未创建", r.code))
        })
        .collect()
}

/// Opens a listing at the desk and qualifies [`BIDDERS`] parties, each
/// action through [`Desk::act`] as the server would.
pub(super) async fn open_at_desk(
    desk: &Desk,
    id: Uuid,
    rules: ListingRules,
    parties: &[Party],
) -> anyhow::Result<()> {
    let deposit = rules.deposit_required;
    desk.open(id, rules).await?;
    for party in parties {
        let apply = Action::Apply {
            party: party.clone(),
            partners: Vec::new(),
        };
        require_accepted(desk.act(id, &apply, vec![]).await?.verdict)?;
    }
    for party in parties {
        let pay = Action::Deposit {
            party: party.clone(),
            amount: deposit,
        };
        require_accepted(desk.act(id, &pay, vec![]).await?.verdict)?;
    }
    Ok(())
}

fn require_accepted(verdict: Verdict) -> anyhow::Result<()> {
    match verdict {
        Verdict::Accepted => Ok(()),
        Verdict::Refused(r) => anyhow::bail!("测试挂牌的准备操作被拒绝：{}", r.code()),
    }
}

/// One listing of the baseline: its engine and log head, owned by the
/// bidder holding the lock.
struct PerBidListing {
    id: Uuid,
    engine: Listing,
    writer: LogWriter,
    seq: i64,
}

/// Where the bidders send their bids.
enum Target {
    Desk {
        desk: Desk,
        ids: Vec<Uuid>,
        starts: Vec<Money>,
    },
    PerBid {
        store: Arc<dyn Store>,
        listings: Vec<Mutex<PerBidListing>>,
        starts: Vec<Money>,
    },
}

impl Target {
    /// `count` listings opened and qualified at a desk of their own.
    async fn desk(store: Arc<dyn Store>, prefix: &str, count: usize) -> anyhow::Result<Target> {
        let desk = Desk::new(store.clone(), Arc::new(SystemClock));
        let published = publish(&*store, prefix, count, opening_time()).await?;
        let parties = Arc::new(parties()?);
        let mut tasks = JoinSet::new();
        let mut ids = Vec::with_capacity(count);
        let mut starts = Vec::with_capacity(count);
        for (id, rules) in published {
            ids.push(id);
            starts.push(rules.start_price);
            let (desk, parties) = (desk.clone(), parties.clone());
            tasks.spawn(async move { open_at_desk(&desk, id, rules, &parties).await });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        Ok(Target::Desk { desk, ids, starts })
    }

    /// `count` listings opened and qualified for the baseline; their
    /// opening entries are written a hundred listings per transaction,
    /// since preparing them is not what is measured.
    async fn per_bid(store: Arc<dyn Store>, prefix: &str, count: usize) -> anyhow::Result<Target> {
        let published = publish(&*store, prefix, count, opening_time()).await?;
        let parties = parties()?;
        let mut listings = Vec::with_capacity(count);
        let mut starts = Vec::with_capacity(count);
        for chunk in published.chunks(SETUP_CHUNK) {
            let mut appends = Vec::with_capacity(chunk.len());
            let mut opened = Vec::with_capacity(chunk.len());
            for (id, rules) in chunk {
                let now = SystemClock.now();
                let mut engine = Listing::new(rules.clone())
                    .map_err(|e| anyhow::anyhow!("测试挂牌的规则无效：{e}"))?;
                let (mut writer, first) = LogWriter::open(rules, now);
                let mut facts: Vec<Fact> = Vec::new();
                for party in &parties {
                    let apply = Action::Apply {
                        party: party.clone(),
                        partners: Vec::new(),
                    };
                    require_accepted(engine.decide(&apply, now, &mut facts)?)?;
                }
                for party in &parties {
                    let pay = Action::Deposit {
                        party: party.clone(),
                        amount: rules.deposit_required,
                    };
                    require_accepted(engine.decide(&pay, now, &mut facts)?)?;
                }
                let mut entries = vec![to_row(&first)];
                entries.extend(facts.iter().map(|f| to_row(&writer.append(f))));
                let seq = entries.len() as i64;
                let mut append = ListingAppend::entries(*id, 0, entries);
                append.summary_json = Some(summary(&engine, now));
                append.status = Some(status_code(&engine, now).to_owned());
                appends.push(append);
                starts.push(rules.start_price);
                opened.push(PerBidListing {
                    id: *id,
                    engine,
                    writer,
                    seq,
                });
            }
            for outcome in store.append_events(appends).await? {
                if !matches!(outcome, AppendOutcome::Appended { .. }) {
                    anyhow::bail!("测试挂牌的日志已被其他进程写入");
                }
            }
            listings.extend(opened.into_iter().map(Mutex::new));
        }
        Ok(Target::PerBid {
            store,
            listings,
            starts,
        })
    }

    fn listings(&self) -> usize {
        match self {
            Target::Desk { ids, .. } => ids.len(),
            Target::PerBid { listings, .. } => listings.len(),
        }
    }

    fn start_price(&self, listing: usize) -> Money {
        match self {
            Target::Desk { starts, .. } | Target::PerBid { starts, .. } => starts[listing],
        }
    }

    /// Makes a bid and returns its verdict once it is committed.
    async fn bid(&self, listing: usize, action: &Action) -> anyhow::Result<Verdict> {
        match self {
            Target::Desk { desk, ids, .. } => {
                Ok(desk.act(ids[listing], action, vec![]).await?.verdict)
            }
            Target::PerBid {
                store, listings, ..
            } => {
                let mut l = listings[listing].lock().await;
                let now = SystemClock.now();
                let mut facts = Vec::new();
                let verdict = l.engine.decide(action, now, &mut facts)?;
                let mut writer = l.writer.clone();
                let entries = facts
                    .iter()
                    .map(|f| {
                        let (entry, text) = writer.append_with_text(f);
                        row_with_text(&entry, text)
                    })
                    .collect();
                let append = ListingAppend {
                    listing_id: l.id,
                    expected_seq: l.seq,
                    entries,
                    summary_json: Some(summary(&l.engine, now)),
                    status: Some(status_code(&l.engine, now).to_owned()),
                    decided_at: None,
                    participants: Vec::new(),
                };
                match store.append_events(vec![append]).await?.first() {
                    Some(AppendOutcome::Appended { head_seq }) => {
                        l.writer = writer;
                        l.seq = *head_seq;
                        Ok(verdict)
                    }
                    _ => anyhow::bail!("测试挂牌的日志已被其他进程写入"),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The load.

/// What one bidder saw.
#[derive(Debug, Default)]
struct Tally {
    acknowledged: u64,
    refused: BTreeMap<&'static str, u64>,
    /// Acknowledgement latency of each bid, in ns.
    samples: Vec<f64>,
    last: Option<Instant>,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.acknowledged += other.acknowledged;
        for (code, n) in other.refused {
            *self.refused.entry(code).or_default() += n;
        }
        self.samples.extend(other.samples);
        self.last = self.last.max(other.last);
    }
}

/// [`BIDDERS`] bidder tasks per listing of `target`, each bidding until
/// the measurement's time is up.
/// Runs the bidders for `options.duration`: each bids again as soon as it
/// is answered or, with `pace`, at its own steady interval (staggered over
/// the bidders; a bidder running late bids at once).
async fn load(
    target: &Arc<Target>,
    options: &Options,
    pace: Option<Duration>,
) -> anyhow::Result<(Row, BTreeMap<&'static str, u64>)> {
    let parties = parties()?;
    let increment = bench_rules("X".to_owned(), opening_time())?.increment;
    let steps: Arc<Vec<AtomicI64>> =
        Arc::new((0..target.listings()).map(|_| AtomicI64::new(0)).collect());
    let (go, ready) = watch::channel(None::<Instant>);
    let mut tasks = JoinSet::new();
    let everyone = (target.listings() * parties.len()).max(1) as u32;
    for listing in 0..target.listings() {
        for (n, party) in parties.iter().enumerate() {
            let (target, steps, mut ready) = (target.clone(), steps.clone(), ready.clone());
            let party = party.clone();
            let duration = options.duration;
            let index = (listing * parties.len() + n) as u32;
            tasks.spawn(async move {
                let start = (*ready.wait_for(Option::is_some).await?)
                    .ok_or_else(|| anyhow::anyhow!("测量未开始"))?;
                let deadline = start.checked_add(duration);
                // Paced bidders start staggered over one interval.
                let schedule = pace.map(|every| (start + every * index / everyone, every));
                bidder(
                    &target,
                    listing,
                    party,
                    &steps[listing],
                    increment,
                    deadline,
                    schedule,
                )
                .await
            });
        }
    }
    let start = Instant::now();
    go.send_replace(Some(start));
    let mut total = Tally::default();
    while let Some(done) = tasks.join_next().await {
        total.add(done??);
    }
    let seconds = total
        .last
        .map_or(0.0, |end| end.duration_since(start).as_secs_f64());
    let spread = Spread::of(&mut total.samples);
    let refused: u64 = total.refused.values().sum();
    Ok((
        Row {
            workload: "",
            label: "",
            listings: target.listings(),
            per_listing: BIDDERS,
            threads: 0,
            operations: total.acknowledged,
            refused,
            seconds,
            per_second: rate(total.acknowledged, seconds),
            p50_ns: spread.p50,
            p99_ns: spread.p99,
            max_ns: spread.max,
        },
        total.refused,
    ))
}

/// One bidder: the next price of its listing, bid, wait, again.
async fn bidder(
    target: &Target,
    listing: usize,
    party: Party,
    steps: &AtomicI64,
    increment: Money,
    deadline: Option<Instant>,
    mut schedule: Option<(Instant, Duration)>,
) -> anyhow::Result<Tally> {
    let Some(deadline) = deadline else {
        anyhow::bail!("测量时长超出范围");
    };
    let start_price = target.start_price(listing);
    let mut tally = Tally::default();
    let mut action = Action::Bid {
        party,
        price: start_price,
    };
    while Instant::now() < deadline {
        if let Some((next, every)) = &mut schedule {
            if *next >= deadline {
                break;
            }
            tokio::time::sleep_until((*next).into()).await;
            *next += *every;
        }
        let step = steps.fetch_add(1, Ordering::Relaxed);
        let price = increment
            .checked_mul(step)
            .and_then(|raise| start_price.checked_add(raise))
            .ok_or_else(|| anyhow::anyhow!("测试报价超出金额范围"))?;
        if let Action::Bid { price: p, .. } = &mut action {
            *p = price;
        }
        let sent = Instant::now();
        let verdict = target.bid(listing, &action).await?;
        let acknowledged = Instant::now();
        tally.acknowledged += 1;
        if let Verdict::Refused(r) = verdict {
            *tally.refused.entry(r.code()).or_default() += 1;
        }
        tally
            .samples
            .push(acknowledged.duration_since(sent).as_nanos() as f64);
        tally.last = Some(acknowledged);
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_add_up() {
        let t0 = Instant::now();
        let mut total = Tally::default();
        total.add(Tally {
            acknowledged: 3,
            refused: BTreeMap::from([("below_minimum", 1)]),
            samples: vec![1.0, 2.0, 3.0],
            last: Some(t0),
        });
        total.add(Tally {
            acknowledged: 2,
            refused: BTreeMap::from([("below_minimum", 1), ("already_highest", 1)]),
            samples: vec![4.0, 5.0],
            last: Some(t0 + Duration::from_millis(5)),
        });
        total.add(Tally::default());
        assert_eq!(total.acknowledged, 5);
        assert_eq!(
            total.refused,
            BTreeMap::from([("already_highest", 1), ("below_minimum", 2)])
        );
        assert_eq!(total.samples.len(), 5);
        assert_eq!(total.last, Some(t0 + Duration::from_millis(5)));
    }

    #[test]
    fn ratios_say_when_the_baseline_did_nothing() {
        assert_eq!(ratio(12_345.0, 1_000.0), "12.3 倍");
        assert_eq!(ratio(10.0, 0.0), "—（基线为 0）");
    }
}
