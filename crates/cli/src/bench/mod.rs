//! `yiwang bench …`: measures the platform on the machine it runs on, so
//! that the performance targets (issue 4, item 9) are checked by a command
//! anyone can rerun rather than claimed.
//!
//! `bench exchange` runs its sections in order. A section is one layer
//! measured under load and is a function returning a [`Report`]: [`Row`]s of
//! one shape and notes on how to read them, printed as a table or, with
//! `--json`, as JSON.
//!
//! | module | section |
//! |---|---|
//! | [`engine`] | the trading engine in memory, on one thread and on all cores |
//! | [`durable`] | bids through the trading desk into SQLite and PostgreSQL, against one transaction per bid |
//! | [`fanout`] | SSE updates of one listing to thousands of watchers, over real HTTP |
//! | [`sse`] | the watchers' side: a minimal HTTP/1.1 SSE client, run in a child process |
//!
//! `--engine-only` keeps the sections that run in memory; `--section NAME`
//! runs only the sections named.
//!
//! `bench grid` ([`grid`], issue 5, item 9) measures the grid look-up in
//! process, over HTTP and against PostGIS, comparing every answer point by
//! point, and the year's grid indicators on SQLite.

mod durable;
mod engine;
mod fanout;
mod grid;
mod sse;

use clap::Subcommand;
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;
use std::time::Duration;
use yiwang_core::{Clock, SystemClock};

#[derive(Debug, Subcommand)]
pub enum BenchAction {
    /// Measures the exchange: engine decisions in memory; durable bids
    /// through the trading desk on SQLite and PostgreSQL against one
    /// transaction per bid; SSE updates to the watchers of one listing.
    Exchange {
        /// Only the sections that run in memory (no database, no server).
        #[arg(long)]
        engine_only: bool,
        /// Only the named sections (`engine`, `durable`, `fanout`); may be
        /// given more than once. Every section when absent.
        #[arg(long = "section", value_name = "NAME", value_parser = parse_section)]
        sections: Vec<&'static str>,
        /// How long each measurement runs, in seconds (e.g. 0.5).
        #[arg(long, default_value_t = 1.0, value_parser = parse_seconds)]
        seconds: f64,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
        /// A PostgreSQL server, as a URL whose user may create databases;
        /// the benchmark makes a fresh database there and drops it after.
        #[arg(long, default_value = yiwang_store_postgres::testing::DEFAULT_ADMIN_URL)]
        postgres_url: String,
        /// Leave out the PostgreSQL measurements.
        #[arg(long)]
        skip_postgres: bool,
        /// Watchers of the listing in the SSE section.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=15_000))]
        watchers: u32,
        /// Only these numbers of concurrent listings (1, 100, 1000) in the
        /// engine and durable sections; may be given more than once. All
        /// three when absent.
        #[arg(long = "listings", value_name = "N", value_parser = parse_listings)]
        listings: Vec<usize>,
        /// Only these loads of the durable section (`desk`, `per-bid`,
        /// `paced`); may be given more than once. All three when absent.
        #[arg(long = "load", value_name = "NAME", value_parser = parse_load)]
        loads: Vec<&'static str>,
    },
    /// Measures the grids: which grid holds a point, in process, over HTTP
    /// and in PostGIS (one query per point and one join of every point),
    /// with every answer compared point by point; and a year of grid
    /// indicators computed from SQLite. Exits with 1 if any answer differs.
    Grid {
        /// Points in the sample (uniform in the district's box, a tenth on
        /// or beside the grids' lines).
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        points: u64,
        /// Of these, how many (the first) are looked up over HTTP.
        #[arg(long, default_value_t = 100_000)]
        http_points: u64,
        /// Keep-alive connections for the HTTP look-ups.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
        connections: u64,
        /// Events of the year the indicators are computed over.
        #[arg(long, default_value_t = 5_000_000, value_parser = clap::value_parser!(u64).range(1..=50_000_000))]
        events: u64,
        /// The seed of the points and the events; the same seed gives the
        /// same run.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
        /// A PostgreSQL server with PostGIS, as a URL whose user may create
        /// databases; the benchmark makes a fresh database there and drops
        /// it after.
        #[arg(long, default_value = yiwang_store_postgres::testing::DEFAULT_ADMIN_URL)]
        postgres_url: String,
        /// Leave out PostGIS (for machines without it).
        #[arg(long)]
        skip_postgis: bool,
    },
    /// The watchers of the SSE section, run by it as a child process so
    /// that their sockets do not count against the server's open files.
    #[command(hide = true)]
    SseWatchers {
        /// The `…/live/events` address to watch.
        #[arg(long)]
        url: String,
        #[arg(long)]
        watchers: u32,
    },
}

fn parse_section(text: &str) -> Result<&'static str, String> {
    SECTIONS
        .iter()
        .find(|s| s.name == text)
        .map(|s| s.name)
        .ok_or_else(|| {
            let names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
            format!("没有名为 {text:?} 的测试项；可选：{}", names.join("、"))
        })
}

fn parse_listings(text: &str) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| LISTING_COUNTS.contains(n))
        .ok_or_else(|| format!("{text:?} 不是可选的挂牌数：应为 1、100 或 1000"))
}

fn parse_load(text: &str) -> Result<&'static str, String> {
    DURABLE_LOADS
        .into_iter()
        .find(|l| *l == text)
        .ok_or_else(|| format!("{text:?} 不是可选的负载：应为 {}", DURABLE_LOADS.join("、")))
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!(
            "{text:?} 不是有效的时长：应为大于 0、不超过 3600 的秒数，例如 0.5"
        )),
    }
}

/// Qualified bidders per listing.
const BIDDERS: usize = 50;
/// The durable section's loads, by the names `--load` takes.
const DURABLE_LOADS: [&str; 3] = ["desk", "per-bid", "paced"];
/// Concurrent listings measured.
const LISTING_COUNTS: [usize; 3] = [1, 100, 1_000];

/// What every section is given.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long each measurement runs.
    pub duration: Duration,
    /// Threads for the "all cores" measurements.
    pub cores: usize,
    /// The PostgreSQL server to measure, unless skipped.
    pub postgres_url: Option<String>,
    /// Watchers in the SSE section.
    pub watchers: usize,
    /// The numbers of concurrent listings measured, from [`LISTING_COUNTS`].
    pub listings: Vec<usize>,
    /// The durable section's loads measured, from [`DURABLE_LOADS`].
    pub loads: Vec<&'static str>,
}

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// A stable code for the load (`accepted`, `sqlite_desk`, …).
    pub workload: &'static str,
    /// The load described in Chinese.
    pub label: &'static str,
    pub listings: usize,
    /// Bidders (or watchers) per listing.
    pub per_listing: usize,
    pub threads: usize,
    /// Operations completed (decisions, acknowledged bids, deliveries).
    pub operations: u64,
    /// Of which refused (or, for deliveries, missed).
    pub refused: u64,
    pub seconds: f64,
    pub per_second: f64,
    /// Median, 99th percentile and maximum of the per-operation time, in ns.
    pub p50_ns: f64,
    pub p99_ns: f64,
    pub max_ns: f64,
}

/// What a section measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    /// How to read the rows, in Chinese: what the times are, what was left
    /// out and why, ratios between rows.
    pub notes: Vec<String>,
}

/// A layer measured by `bench exchange`.
struct Section {
    name: &'static str,
    title: &'static str,
    /// The target, in Chinese, as the issue states it.
    target: &'static str,
    /// Column headings for `per_listing`, `operations` and `refused`.
    per_listing: &'static str,
    operation: &'static str,
    refused: &'static str,
    /// Runs without a database or a server.
    in_memory: bool,
    run: fn(&Options) -> anyhow::Result<Report>,
}

/// The sections of `bench exchange`, in the order they run.
const SECTIONS: &[Section] = &[
    Section {
        name: "engine",
        title: "交易引擎（内存中，不含持久化）",
        target: "每秒至少 1,000,000 次决策",
        per_listing: "每宗竞买人",
        operation: "决策",
        refused: "其中被拒",
        in_memory: true,
        run: engine::section,
    },
    Section {
        name: "durable",
        title: "持久化报价（经交易台写入数据库，提交后才确认）",
        target: "SQLite 上每秒至少 50,000 笔，p99 确认时延低于 10 ms；至少为逐笔提交基线的 10 倍",
        per_listing: "每宗竞买人",
        operation: "确认报价",
        refused: "其中被拒",
        in_memory: false,
        run: durable::section,
    },
    Section {
        name: "fanout",
        title: "SSE 推送（一宗挂牌的观看者）",
        target: "每个观看者在 200 ms 内收到更新（p99）",
        per_listing: "观看者",
        operation: "送达",
        refused: "其中未送达",
        in_memory: false,
        run: fanout::section,
    },
];

pub fn run(action: BenchAction) -> anyhow::Result<ExitCode> {
    let (engine_only, only, seconds, json, postgres_url, skip_postgres, watchers, listings, loads) =
        match action {
            BenchAction::Exchange {
                engine_only,
                sections,
                seconds,
                json,
                postgres_url,
                skip_postgres,
                watchers,
                listings,
                loads,
            } => (
                engine_only,
                sections,
                seconds,
                json,
                postgres_url,
                skip_postgres,
                watchers,
                listings,
                loads,
            ),
            BenchAction::SseWatchers { url, watchers } => {
                return sse::watch(&url, watchers as usize)
            }
            BenchAction::Grid {
                points,
                http_points,
                connections,
                events,
                seed,
                json,
                postgres_url,
                skip_postgis,
            } => {
                return grid::run(grid::GridOptions {
                    points: points as usize,
                    http_points: http_points as usize,
                    connections: connections as usize,
                    events: events as usize,
                    seed,
                    json,
                    postgres_url: (!skip_postgis).then_some(postgres_url),
                })
            }
        };
    let options = Options {
        duration: Duration::from_secs_f64(seconds),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        postgres_url: (!skip_postgres).then_some(postgres_url),
        watchers: watchers as usize,
        listings: if listings.is_empty() {
            LISTING_COUNTS.to_vec()
        } else {
            LISTING_COUNTS
                .into_iter()
                .filter(|n| listings.contains(n))
                .collect()
        },
        loads: if loads.is_empty() {
            DURABLE_LOADS.to_vec()
        } else {
            DURABLE_LOADS
                .into_iter()
                .filter(|l| loads.contains(l))
                .collect()
        },
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
    let chosen = SECTIONS
        .iter()
        .filter(|s| s.in_memory || !engine_only)
        .filter(|s| only.is_empty() || only.contains(&s.name));
    for section in chosen {
        let report = (section.run)(&options)?;
        if !json {
            print_table(section, &report);
        }
        sections.push(json!({
            "name": section.name,
            "title": section.title,
            "target": section.target,
            "rows": report.rows,
            "notes": report.notes,
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

/// The runtime the sections with a database or a server run on: the one
/// `yiwang serve` uses, a worker thread per core.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("无法启动异步运行时：{e}"))
}

// ---------------------------------------------------------------------------
// Aggregation.

/// The nearest-rank percentile of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Median, 99th percentile and maximum of latency samples in ns.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Spread {
    p50: f64,
    p99: f64,
    max: f64,
}

impl Spread {
    /// Sorts `samples` and reads them.
    fn of(samples: &mut [f64]) -> Spread {
        samples.sort_by(f64::total_cmp);
        Spread {
            p50: percentile(samples, 0.50),
            p99: percentile(samples, 0.99),
            max: samples.last().copied().unwrap_or(0.0),
        }
    }
}

/// Operations per second, 0 when no time passed.
fn rate(operations: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        operations as f64 / seconds
    } else {
        0.0
    }
}

// ---------------------------------------------------------------------------
// The table.

fn print_table(section: &Section, report: &Report) {
    println!();
    println!("【{}】目标：{}", section.title, section.target);
    let header = [
        "负载".to_owned(),
        "挂牌数".to_owned(),
        section.per_listing.to_owned(),
        "线程".to_owned(),
        format!("{}数", section.operation),
        section.refused.to_owned(),
        "用时(秒)".to_owned(),
        format!("每秒{}", section.operation),
        "p50".to_owned(),
        "p99".to_owned(),
        "最大".to_owned(),
    ];
    let body: Vec<[String; 11]> = report
        .rows
        .iter()
        .map(|r| {
            [
                r.label.to_owned(),
                grouped(r.listings as u64),
                grouped(r.per_listing as u64),
                r.threads.to_string(),
                grouped(r.operations),
                grouped(r.refused),
                format!("{:.2}", r.seconds),
                grouped(r.per_second.round() as u64),
                nanos(r.p50_ns),
                nanos(r.p99_ns),
                nanos(r.max_ns),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| width(&h));
    for row in &body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &[String; 11]| {
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
    for note in &report.notes {
        println!("  {note}");
    }
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
        assert_eq!(nanos(12_500_000.0), "12.50 ms");
        assert_eq!(width("负载"), 4);
        assert_eq!(width("p50"), 3);
    }

    #[test]
    fn loads_and_listing_counts_are_checked_by_name() {
        assert_eq!(parse_load("paced"), Ok("paced"));
        assert_eq!(parse_load("per-bid"), Ok("per-bid"));
        assert!(parse_load("fast")
            .unwrap_err()
            .contains("desk、per-bid、paced"));
        assert_eq!(parse_listings("1000"), Ok(1_000));
        assert!(parse_listings("10").is_err());
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
    fn a_spread_sorts_its_samples_first() {
        let mut samples: Vec<f64> = (1..=200).rev().map(f64::from).collect();
        assert_eq!(
            Spread::of(&mut samples),
            Spread {
                p50: 100.0,
                p99: 198.0,
                max: 200.0
            }
        );
        assert_eq!(
            Spread::of(&mut []),
            Spread {
                p50: 0.0,
                p99: 0.0,
                max: 0.0
            }
        );
        assert_eq!(rate(500, 0.5), 1_000.0);
        assert_eq!(rate(500, 0.0), 0.0);
    }
}
