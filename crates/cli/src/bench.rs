//! `yiwang bench …`: measures the platform on the machine it runs on, so
//! that the performance targets (issue 4, item 9) are checked by a command
//! anyone can rerun rather than claimed.
//!
//! `bench exchange` runs its sections in order. A section is one layer
//! measured under load — today the trading engine in memory — and is a
//! function returning [`Row`]s of one shape, printed as a table or, with
//! `--json`, as JSON. Layers that need a database or a server (durable bids
//! through the store, SSE fan-out) are further entries in [`SECTIONS`];
//! `--engine-only` keeps the sections that run in memory.
//!
//! Latency is taken with [`Instant`] around batches of [`BATCH`] decisions
//! and divided by the batch size: reading the clock around each decision
//! would cost about as much as the decision itself. The percentiles are
//! therefore those of the mean decision time per batch.

use clap::Subcommand;
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Barrier;
use std::time::{Duration, Instant};
use yiwang_core::{Area, Clock, Money, SystemClock, Timestamp};
use yiwang_exchange::engine::{
    Action, EngineError, Fact, Listing, ListingRules, Nonce, Party, PriceBasis, Refusal, Schedule,
    SealKind, Sealed, TimedRoundRules, Verdict,
};

#[derive(Debug, Subcommand)]
pub enum BenchAction {
    /// Measures the exchange: engine decisions in memory, on 1, 100 and
    /// 1,000 concurrent listings, on one thread and on all cores.
    Exchange {
        /// Only the sections that run in memory (no database, no server).
        #[arg(long)]
        engine_only: bool,
        /// How long each measurement runs, in seconds (e.g. 0.5).
        #[arg(long, default_value_t = 1.0, value_parser = parse_seconds)]
        seconds: f64,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!(
            "{text:?} 不是有效的时长：应为大于 0、不超过 3600 的秒数，例如 0.5"
        )),
    }
}

/// What every section is given.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long each measurement runs.
    pub duration: Duration,
    /// Threads for the "all cores" measurements.
    pub cores: usize,
}

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// A stable code for the load (`accepted`, `mixed`, …).
    pub workload: &'static str,
    /// The load described in Chinese.
    pub label: &'static str,
    pub listings: usize,
    /// Bidders (or watchers) per listing.
    pub per_listing: usize,
    pub threads: usize,
    /// Operations completed (decisions, acknowledged bids, deliveries).
    pub operations: u64,
    /// Of which refused.
    pub refused: u64,
    pub seconds: f64,
    pub per_second: f64,
    /// Median and 99th percentile of the per-operation time, in ns.
    pub p50_ns: f64,
    pub p99_ns: f64,
}

/// A layer measured by `bench exchange`.
struct Section {
    name: &'static str,
    title: &'static str,
    /// The target, in Chinese, as the issue states it.
    target: &'static str,
    /// Column headings for `per_listing` and `operations`.
    per_listing: &'static str,
    operation: &'static str,
    /// Runs without a database or a server.
    in_memory: bool,
    run: fn(&Options) -> anyhow::Result<Vec<Row>>,
}

/// The sections of `bench exchange`, in the order they run.
const SECTIONS: &[Section] = &[Section {
    name: "engine",
    title: "交易引擎（内存中，不含持久化）",
    target: "每秒至少 1,000,000 次决策",
    per_listing: "每宗竞买人",
    operation: "决策",
    in_memory: true,
    run: engine_section,
}];

pub fn run(action: BenchAction) -> anyhow::Result<ExitCode> {
    let BenchAction::Exchange {
        engine_only,
        seconds,
        json,
    } = action;
    let options = Options {
        duration: Duration::from_secs_f64(seconds),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let started = SystemClock.now();
    let cpu = cpu_model();
    if !json {
        println!("交易所性能测试");
        println!("  时间：{}（北京时间）", started.format_cn());
        println!(
            "  机器：{} 核，{}",
            options.cores,
            cpu.as_deref().unwrap_or("处理器型号未知")
        );
        println!("  每项测量：{seconds} 秒");
        if cfg!(debug_assertions) {
            println!("  注意：这是调试构建，数字远低于发布构建；请用 cargo run --release -- bench exchange");
        }
    }
    let mut sections = Vec::new();
    for section in SECTIONS.iter().filter(|s| s.in_memory || !engine_only) {
        let rows = (section.run)(&options)?;
        if !json {
            print_table(section, &rows);
        }
        sections.push(json!({
            "name": section.name,
            "title": section.title,
            "target": section.target,
            "rows": rows,
        }));
    }
    if json {
        let report = json!({
            "started_at": started.to_rfc3339(),
            "machine": {
                "cores": options.cores,
                "cpu": cpu,
                "build": if cfg!(debug_assertions) { "debug" } else { "release" },
            },
            "seconds_per_measurement": seconds,
            "sections": sections,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// The processor's model name as Linux reports it.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, name)| name.trim().to_owned())
}

// ---------------------------------------------------------------------------
// The engine in memory.

/// Qualified bidders per listing.
const BIDDERS: usize = 50;
/// Concurrent listings measured.
const LISTING_COUNTS: [usize; 3] = [1, 100, 1_000];
/// Decisions per latency sample.
const BATCH: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    /// Every bid one increment above the last, by another bidder.
    Accepted,
    /// Per four decisions: two accepted bids, a bidder who lost the race
    /// for the price just taken (`below_minimum`), and in turn the high
    /// bidder raising itself (`already_highest`), a raise off the
    /// increment (`not_multiple`) and a party without qualification
    /// (`not_qualified`).
    Mixed,
}

impl Workload {
    fn code(self) -> &'static str {
        match self {
            Workload::Accepted => "accepted",
            Workload::Mixed => "mixed",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Workload::Accepted => "全部有效报价",
            Workload::Mixed => "一半被拒的混合报价",
        }
    }
}

fn engine_section(options: &Options) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for workload in [Workload::Accepted, Workload::Mixed] {
        for listings in LISTING_COUNTS {
            // One listing is decided in order by one thread: a listing is
            // never shared, so "all cores" needs more than one listing.
            let mut thread_counts = vec![1];
            let all = options.cores.min(listings);
            if all > 1 {
                thread_counts.push(all);
            }
            for threads in thread_counts {
                eprintln!(
                    "测量中：{}，{listings} 宗挂牌，{threads} 个线程……",
                    workload.label()
                );
                rows.push(measure(workload, listings, threads, options.duration)?);
            }
        }
    }
    Ok(rows)
}

/// One listing under load, and what drives it.
struct Driver {
    listing: Listing,
    /// One bid per qualified bidder; its price is set before each decision,
    /// so that driving the engine allocates nothing.
    bids: Vec<Action>,
    /// A bid by a party that never qualified.
    outsider: Action,
    increment: Money,
    /// The lowest price the next bid may name.
    next_price: Money,
    /// The bidder holding the high bid.
    high: Option<usize>,
    now: Timestamp,
    step: u64,
    facts: Vec<Fact>,
}

fn bench_rules(code: String) -> anyhow::Result<ListingRules> {
    let t = Timestamp::parse_rfc3339("2021-01-01T00:00:00+08:00")?;
    Ok(ListingRules {
        reserve: Sealed::seal(SealKind::Reserve, &code, None, Nonce([0; 32])),
        code,
        area: Area::parse("6651.11")?,
        price_basis: PriceBasis::Unit,
        start_price: Money::from_fen(48_000),
        increment: Money::from_fen(1_000),
        whole_multiples: true,
        deposit_required: Money::from_fen(70_000_000),
        schedule: Schedule {
            application_start: t,
            application_deadline: t.add_secs(86_400),
            deposit_deadline: t.add_secs(86_400),
            listing_start: t,
            listing_end: t.add_secs(365 * 86_400),
        },
        quote_stop_s: 3600,
        reserve_lock_s: 1800,
        timed_round: Some(TimedRoundRules::default()),
        price_cap: None,
        ineligible: Vec::new(),
    })
}

impl Driver {
    /// A listing with [`BIDDERS`] qualified bidders, bidding about to start.
    fn new(index: usize) -> anyhow::Result<Driver> {
        let rules = bench_rules(format!("BENCH{index:04}"))?;
        let t = rules.schedule.listing_start;
        let (increment, start_price, deposit) =
            (rules.increment, rules.start_price, rules.deposit_required);
        let mut listing =
            Listing::new(rules).map_err(|e| anyhow::anyhow!("测试挂牌的规则无效：{e}"))?;
        let parties = (0..BIDDERS)
            .map(|i| Party::parse(&format!("91320600BIDDER{i:04}")))
            .collect::<Result<Vec<_>, _>>()?;
        let mut facts = Vec::new();
        for party in &parties {
            let apply = Action::Apply {
                party: party.clone(),
                partners: Vec::new(),
            };
            expect(listing.decide(&apply, t.add_secs(60), &mut facts), None)?;
        }
        for party in &parties {
            let deposit = Action::Deposit {
                party: party.clone(),
                amount: deposit,
            };
            expect(listing.decide(&deposit, t.add_secs(120), &mut facts), None)?;
        }
        if listing.state().bidders().len() != BIDDERS {
            anyhow::bail!("测试挂牌的竞买人未全部取得资格");
        }
        facts.clear();
        Ok(Driver {
            listing,
            bids: parties
                .into_iter()
                .map(|party| Action::Bid {
                    party,
                    price: start_price,
                })
                .collect(),
            outsider: Action::Bid {
                party: Party::parse("91320600OUTSIDER00")?,
                price: start_price,
            },
            increment,
            next_price: start_price,
            high: None,
            now: t.add_secs(3600),
            step: 0,
            facts,
        })
    }

    /// Makes the next decision of `workload`; checks its verdict, so that
    /// the benchmark measures the decisions it claims to.
    fn decide_next(&mut self, workload: Workload) -> anyhow::Result<Verdict> {
        let step = self.step;
        self.step += 1;
        self.now = self.now.add_micros(1);
        let next = self.high.map_or(0, |h| (h + 1) % BIDDERS);
        let (who, price, expected) = match (workload, step % 4) {
            (Workload::Accepted, _) | (Workload::Mixed, 0 | 2) => {
                (Some(next), self.next_price, Verdict::Accepted)
            }
            (Workload::Mixed, 1) => (
                Some(next),
                money(self.next_price.checked_sub(self.increment))?,
                Verdict::Refused(Refusal::BelowMinimum),
            ),
            (Workload::Mixed, _) => match step / 4 % 3 {
                0 => (
                    self.high,
                    self.next_price,
                    Verdict::Refused(Refusal::AlreadyHighest),
                ),
                1 => (
                    Some(next),
                    money(self.next_price.checked_add(Money::from_fen(1)))?,
                    Verdict::Refused(Refusal::NotMultiple),
                ),
                _ => (
                    None,
                    self.next_price,
                    Verdict::Refused(Refusal::NotQualified),
                ),
            },
        };
        let action = match who {
            Some(i) => &mut self.bids[i],
            None => &mut self.outsider,
        };
        if let Action::Bid { price: p, .. } = action {
            *p = price;
        }
        self.facts.clear();
        let verdict = self.listing.decide(action, self.now, &mut self.facts);
        expect(verdict, Some(expected))?;
        if expected == Verdict::Accepted {
            self.high = who;
            self.next_price = money(price.checked_add(self.increment))?;
        }
        Ok(expected)
    }
}

fn money(amount: Option<Money>) -> anyhow::Result<Money> {
    amount.ok_or_else(|| anyhow::anyhow!("测试报价超出金额范围"))
}

/// Requires the engine to have decided, and as `expected` when given.
fn expect(
    decided: Result<Verdict, EngineError>,
    expected: Option<Verdict>,
) -> anyhow::Result<Verdict> {
    let verdict = decided.map_err(|e| anyhow::anyhow!("交易引擎出错：{e}"))?;
    match expected {
        Some(expected) if verdict != expected => anyhow::bail!(
            "交易引擎的裁决与测试负载不符：应为 {}，实为 {}",
            expected.code(),
            verdict.code()
        ),
        None if !verdict.is_accepted() => {
            anyhow::bail!("测试挂牌的准备操作被拒绝：{}", verdict.code())
        }
        _ => Ok(verdict),
    }
}

/// What one thread measured.
struct Measured {
    decisions: u64,
    refused: u64,
    /// Mean ns per decision, one per batch.
    samples: Vec<f64>,
    start: Instant,
    end: Instant,
}

fn measure(
    workload: Workload,
    listings: usize,
    threads: usize,
    duration: Duration,
) -> anyhow::Result<Row> {
    let mut drivers = (0..listings)
        .map(Driver::new)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shards = split_even(&mut drivers, threads);
    let threads = shards.len();
    let barrier = Barrier::new(threads);
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = shards
            .into_iter()
            .map(|shard| {
                let barrier = &barrier;
                scope.spawn(move || drive(shard, workload, duration, barrier))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("测量线程意外终止")))
            })
            .collect::<anyhow::Result<Vec<Measured>>>()
    })?;
    let decisions: u64 = results.iter().map(|m| m.decisions).sum();
    let refused: u64 = results.iter().map(|m| m.refused).sum();
    let start = results.iter().map(|m| m.start).min();
    let end = results.iter().map(|m| m.end).max();
    let seconds = match (start, end) {
        (Some(start), Some(end)) => end.duration_since(start).as_secs_f64(),
        _ => 0.0,
    };
    let mut samples: Vec<f64> = results.into_iter().flat_map(|m| m.samples).collect();
    samples.sort_by(f64::total_cmp);
    Ok(Row {
        workload: workload.code(),
        label: workload.label(),
        listings,
        per_listing: BIDDERS,
        threads,
        operations: decisions,
        refused,
        seconds,
        per_second: if seconds > 0.0 {
            decisions as f64 / seconds
        } else {
            0.0
        },
        p50_ns: percentile(&samples, 0.50),
        p99_ns: percentile(&samples, 0.99),
    })
}

/// `items` cut into at most `parts` non-empty shards whose sizes differ by
/// at most one.
fn split_even<T>(mut items: &mut [T], parts: usize) -> Vec<&mut [T]> {
    let parts = parts.clamp(1, items.len().max(1));
    let mut shards = Vec::with_capacity(parts);
    for i in 0..parts {
        let size = items.len() / (parts - i);
        let (shard, rest) = items.split_at_mut(size);
        shards.push(shard);
        items = rest;
    }
    shards.retain(|s| !s.is_empty());
    shards
}

/// Drives a shard of listings in turn, one decision each, until `duration`
/// has passed.
fn drive(
    shard: &mut [Driver],
    workload: Workload,
    duration: Duration,
    barrier: &Barrier,
) -> anyhow::Result<Measured> {
    let mut samples = Vec::with_capacity(4096);
    let (mut decisions, mut refused) = (0u64, 0u64);
    let mut next = 0;
    barrier.wait();
    let start = Instant::now();
    let deadline = start + duration;
    let end = loop {
        let batch_start = Instant::now();
        for _ in 0..BATCH {
            let verdict = shard[next].decide_next(workload)?;
            refused += u64::from(!verdict.is_accepted());
            next += 1;
            if next == shard.len() {
                next = 0;
            }
        }
        let batch_end = Instant::now();
        decisions += BATCH as u64;
        samples.push(batch_end.duration_since(batch_start).as_nanos() as f64 / BATCH as f64);
        if batch_end >= deadline {
            break batch_end;
        }
    };
    Ok(Measured {
        decisions,
        refused,
        samples,
        start,
        end,
    })
}

/// The nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ---------------------------------------------------------------------------
// The table.

fn print_table(section: &Section, rows: &[Row]) {
    println!();
    println!("【{}】目标：{}", section.title, section.target);
    let header = [
        "负载".to_owned(),
        "挂牌数".to_owned(),
        section.per_listing.to_owned(),
        "线程".to_owned(),
        format!("{}数", section.operation),
        "其中被拒".to_owned(),
        "用时(秒)".to_owned(),
        format!("每秒{}", section.operation),
        "p50".to_owned(),
        "p99".to_owned(),
    ];
    let body: Vec<[String; 10]> = rows
        .iter()
        .map(|r| {
            [
                r.label.to_owned(),
                grouped(r.listings as u64),
                r.per_listing.to_string(),
                r.threads.to_string(),
                grouped(r.operations),
                grouped(r.refused),
                format!("{:.2}", r.seconds),
                grouped(r.per_second.round() as u64),
                nanos(r.p50_ns),
                nanos(r.p99_ns),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| width(&h));
    for row in &body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &[String; 10]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = " ".repeat(w - width(cell));
            if i == 0 {
                out.push_str(&format!("  {cell}{pad}"));
            } else {
                out.push_str(&format!("  {pad}{cell}"));
            }
        }
        println!("{}", out.trim_end());
    };
    line(&header);
    for row in &body {
        line(row);
    }
    println!("  p50/p99：每批 {BATCH} 次操作的平均每次用时的分位数。");
}

/// Columns a text takes in a terminal: CJK characters take two.
fn width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn nanos(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(nanos(312.4), "312 ns");
        assert_eq!(nanos(1_250.0), "1.25 µs");
        assert_eq!(width("负载"), 4);
        assert_eq!(width("p50"), 3);
    }

    #[test]
    fn shards_are_even_and_never_empty() {
        let mut items: Vec<u32> = (0..10).collect();
        let sizes: Vec<usize> = split_even(&mut items, 3).iter().map(|s| s.len()).collect();
        assert_eq!(sizes, [3, 3, 4]);
        let sizes: Vec<usize> = split_even(&mut items, 64).iter().map(|s| s.len()).collect();
        assert_eq!(sizes, [1; 10]);
        let mut one = [0u8];
        assert_eq!(split_even(&mut one, 2).len(), 1);
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&samples, 0.50), 50.0);
        assert_eq!(percentile(&samples, 0.99), 99.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn every_workload_gets_the_verdicts_it_claims() {
        for workload in [Workload::Accepted, Workload::Mixed] {
            let mut driver = Driver::new(1).unwrap();
            let refused = (0..1_200)
                .map(|_| driver.decide_next(workload).unwrap())
                .filter(|v| !v.is_accepted())
                .count();
            let expected = match workload {
                Workload::Accepted => 0,
                Workload::Mixed => 600,
            };
            assert_eq!(refused, expected, "{workload:?}");
        }
    }
}
