//! `yiwang bench grid`: which grid holds a point, in process, over HTTP and
//! in PostGIS, with the answers compared point by point; and a year of grid
//! indicators computed from the store (issue 5, item 9).
//!
//! One run, in order:
//!
//! 1. **the district**: the demo district (1,030 comprehensive and 107
//!    specialised grids, [`crate::demo_grid`]) in a fresh SQLite store
//!    opened as `yiwang serve` opens one; the look-ups below use the grid
//!    map the server builds from it ([`yiwang_web::grid::data::MapCache`]);
//! 2. **the sample** ([`sample`]): `--points` points from a seeded
//!    generator, uniform in the district's bounding box, of which a tenth
//!    (or every such point, when there are fewer) are placed on the grids'
//!    lines — every vertex, the middle of every edge — or one floating-point
//!    step either side of an edge, so the rule for points on a line is
//!    exercised and not left to chance;
//! 3. **in process**: [`GridIndex::lookup`] on every point, on one thread
//!    and on all cores;
//! 4. **over HTTP** ([`http`]): `GET /api/v1/grid/lookup` on the real web
//!    application (`yiwang_web::serve`, its middleware and store) on an
//!    ephemeral port, through several keep-alive connections, for the
//!    first `--http-points` points of the sample;
//! 5. **PostGIS** ([`postgis`]): the same polygons in a fresh database, with
//!    a GiST index, asked one point at a time (a prepared statement over one
//!    connection) and for every point at once (the points loaded with
//!    `COPY`, one join);
//! 6. **the comparison**: every answer of every form against the
//!    in-process one; a single disagreement fails the run (exit code 1),
//!    with the first few listed;
//! 7. **indicators** ([`kpi`]): a year of `--events` events for every grid
//!    played through the workflow and bulk-inserted into the store (timed
//!    apart), then the grid-level indicators of the year computed by the
//!    KPI page's own code.
//!
//! # Points on lines
//!
//! Every form answers with the rule of [`yiwang_grid::index`]: a
//! specialised grid before a comprehensive one, a grid whose interior holds
//! the point before one whose boundary line it lies on, then the smaller
//! code. A point on a line belongs to every grid whose closed polygon
//! holds it; PostGIS says so with `ST_Intersects` and tells the interior
//! from the line with `ST_Contains`, and orders the candidates by the same
//! three keys ([`postgis::RULE_ORDER`]). Coordinates travel exactly: the
//! server parses the shortest decimal that reads back as the same `f64`,
//! and PostGIS receives binary `float8` parameters and hex EWKB.

mod http;
mod kpi;
mod postgis;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;
use yiwang_core::{Clock, ManualClock, SystemClock, Timestamp};
use yiwang_grid::generate::{generate, DistrictPlan};
use yiwang_grid::{GridCode, GridIndex, LngLat};
use yiwang_store::Store;
use yiwang_web::grid::data::GridMap;
use yiwang_web::grid::kpi::Period;
use yiwang_web::{AppState, Config};

use super::{cpu_model, grouped, nanos, rate, runtime, width};

/// What `bench grid` is asked to do.
#[derive(Debug, Clone)]
pub struct GridOptions {
    pub points: usize,
    pub http_points: usize,
    pub connections: usize,
    pub events: usize,
    pub seed: u64,
    pub json: bool,
    /// The PostgreSQL server with PostGIS, unless skipped.
    pub postgres_url: Option<String>,
}

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// A stable code for the measurement (`in_process_one_thread`, …).
    pub workload: &'static str,
    /// The measurement described in Chinese.
    pub label: String,
    /// Threads, or connections for HTTP.
    pub threads: usize,
    /// Points looked up, events written, reports computed.
    pub operations: u64,
    pub seconds: f64,
    pub per_second: f64,
    /// Median, 99th percentile and maximum of the per-operation time in
    /// ns, where each operation was timed.
    pub p50_ns: Option<f64>,
    pub p99_ns: Option<f64>,
    pub max_ns: Option<f64>,
}

impl Row {
    fn new(
        workload: &'static str,
        label: impl Into<String>,
        threads: usize,
        operations: u64,
        seconds: f64,
    ) -> Row {
        Row {
            workload,
            label: label.into(),
            threads,
            operations,
            seconds,
            per_second: rate(operations, seconds),
            p50_ns: None,
            p99_ns: None,
            max_ns: None,
        }
    }

    /// The row with the spread of per-operation times.
    fn with_spread(mut self, samples: &mut [f64]) -> Row {
        let s = super::Spread::of(samples);
        self.p50_ns = Some(s.p50);
        self.p99_ns = Some(s.p99);
        self.max_ns = Some(s.max);
        self
    }
}

/// A target of the issue and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub what: String,
    pub wanted: String,
    pub measured: String,
    pub met: bool,
}

/// A printed part of the report.
#[derive(Debug, Clone, Serialize)]
struct Section {
    name: &'static str,
    title: String,
    target: &'static str,
    rows: Vec<Row>,
    notes: Vec<String>,
}

/// Each form's answers, by the point's place in the sample (`None`:
/// outside every grid); HTTP answers only the first points.
#[derive(Debug, Default)]
struct Answers {
    in_process: Vec<Option<GridCode>>,
    all_cores: Vec<Option<GridCode>>,
    http: Vec<Option<GridCode>>,
    per_point: Vec<Option<GridCode>>,
    join: Vec<Option<GridCode>>,
}

/// One point on which the forms disagree.
#[derive(Debug, Clone, Serialize)]
struct Disagreement {
    index: usize,
    lng: f64,
    lat: f64,
    in_process: Option<String>,
    all_cores: Option<String>,
    http: Option<String>,
    postgis_per_point: Option<String>,
    postgis_join: Option<String>,
}

/// Disagreements listed one by one.
const SHOWN: usize = 10;

pub fn run(options: GridOptions) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let outcome = rt.block_on(measure(&options));
    rt.shutdown_timeout(std::time::Duration::from_secs(5));
    outcome
}

/// The instant the year of events ends: the start of this Beijing year,
/// so that the events fill the last whole calendar year and the
/// indicators of that year count every one of them.
fn year_end() -> (Timestamp, Period) {
    let this_year = SystemClock.now().shanghai_date().year();
    let period = Period::parse(&format!("{:04}", this_year - 1)).expect("a calendar year");
    (Timestamp::from_micros(period.to), period)
}

async fn measure(options: &GridOptions) -> anyhow::Result<ExitCode> {
    let started = SystemClock.now();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = cpu_model();

    eprintln!("准备中：新建 SQLite 数据库，载入演示辖区……");
    let (sqlite, dir) = super::durable::sqlite().await?;
    let store: Arc<dyn Store> = Arc::new(sqlite.clone());
    let (end, year) = year_end();
    let config = Config {
        database_url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        ..Config::default()
    };
    let app = AppState::new(store.clone(), config, Arc::new(ManualClock::new(end)))?;
    let district = generate(&DistrictPlan::tongzhou(crate::demo_grid::DEMO_GRID_SEED));
    crate::demo_grid::load_district(&app, &district).await?;
    let map = app.grid_map.get(&*store).await?;

    let sample = sample(&map, options.points, options.seed);
    if !options.json {
        println!("网格查询与考核指标性能测试");
        println!("  时间：{}（北京时间）", started.format_cn());
        println!(
            "  机器：{cores} 核，{}",
            cpu.as_deref().unwrap_or("处理器型号未知")
        );
        println!(
            "  辖区：{} 个网格（{} 个综合网格、{} 个专属网格）",
            grouped(map.shapes.len() as u64),
            grouped(
                map.shapes
                    .iter()
                    .filter(|s| s.kind.is_comprehensive())
                    .count() as u64
            ),
            grouped(
                map.shapes
                    .iter()
                    .filter(|s| !s.kind.is_comprehensive())
                    .count() as u64
            ),
        );
        println!(
            "  样本：{} 个点，种子 {}；其中 {} 个在网格的边线或顶点上，{} 个在边线旁一个浮点步长处",
            grouped(sample.points.len() as u64),
            options.seed,
            grouped(sample.on_lines as u64),
            grouped(sample.beside_lines as u64),
        );
        if cfg!(debug_assertions) {
            println!(
                "  注意：这是调试构建，数字远低于发布构建；请用 cargo run --release -- bench grid"
            );
        }
    }

    // Look-ups.
    let mut answers = Answers::default();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    eprintln!("测量中：进程内查询，单线程……");
    let (row, found) = in_process(&map.index, &sample.points, 1);
    answers.in_process = found;
    rows.push(row);
    eprintln!("测量中：进程内查询，{cores} 个线程……");
    let (row, found) = in_process(&map.index, &sample.points, cores);
    answers.all_cores = found;
    rows.push(row);
    let outside = answers.in_process.iter().filter(|a| a.is_none()).count();
    let on_a_line = sample
        .points
        .iter()
        .filter(|p| map.index.lookup(**p).is_some_and(|h| h.on_boundary))
        .count();
    notes.push(format!(
        "进程内：GridIndex::lookup（服务器查询所用的索引），点均匀取自辖区外包矩形；{} 个点不在任何网格内，{} 个点的答案网格以边线含该点。",
        grouped(outside as u64),
        grouped(on_a_line as u64),
    ));

    let http_points = &sample.points[..options.http_points.min(sample.points.len())];
    eprintln!(
        "测量中：HTTP 查询，{} 个点，{} 个连接……",
        grouped(http_points.len() as u64),
        options.connections
    );
    let (row, found) = http::measure(&app, http_points, options.connections).await?;
    answers.http = found;
    rows.push(row);
    notes.push(format!(
        "HTTP：GET /api/v1/grid/lookup，真实的 Web 应用（含中间件、每次查询读库中网格版本与网格长信息）监听本机临时端口，{} 个 keep-alive 连接各自逐个请求；只测样本的前 {} 个点。客户端与服务器在同一进程、同一台机器上。",
        options.connections,
        grouped(http_points.len() as u64),
    ));

    let mut targets = Vec::new();
    match &options.postgres_url {
        None => notes.push("PostGIS：已按 --skip-postgis 跳过，表中没有 PostGIS 的行。".to_owned()),
        Some(url) => {
            let measured = postgis::measure(url, &map, &sample.points).await?;
            answers.per_point = measured.per_point;
            answers.join = measured.join;
            let per_point_rate = measured.rows[0].per_second;
            let join_rate = measured.rows[2].per_second;
            rows.extend(measured.rows);
            notes.extend(measured.notes);
            let best = rows[0].per_second.max(rows[1].per_second);
            targets.push(Target {
                what: "进程内查询 ÷ PostGIS 逐点查询".to_owned(),
                wanted: "≥ 20 倍".to_owned(),
                measured: format!(
                    "单线程 {:.0} 倍，全部核 {:.0} 倍",
                    rows[0].per_second / per_point_rate,
                    rows[1].per_second / per_point_rate
                ),
                met: rows[0].per_second >= 20.0 * per_point_rate,
            });
            targets.push(Target {
                what: "进程内查询 ÷ PostGIS 集合连接".to_owned(),
                wanted: "≥ 3 倍".to_owned(),
                measured: format!(
                    "单线程 {:.1} 倍，全部核 {:.1} 倍",
                    rows[0].per_second / join_rate,
                    best / join_rate
                ),
                met: best >= 3.0 * join_rate,
            });
        }
    }

    let disagreements = compare(&sample.points, &answers);
    let compared = json!({
        "points": sample.points.len(),
        "on_lines": sample.on_lines,
        "beside_lines": sample.beside_lines,
        "outside": outside,
        "answered_on_a_line": on_a_line,
        "in_process": answers.in_process.len(),
        "all_cores": answers.all_cores.len(),
        "http": answers.http.len(),
        "postgis_per_point": answers.per_point.len(),
        "postgis_join": answers.join.len(),
        "disagreements": disagreements.len(),
        "examples": disagreements.iter().take(SHOWN).collect::<Vec<_>>(),
    });
    let lookups = Section {
        name: "lookup",
        title: format!("点查网格（{} 个网格）", grouped(map.shapes.len() as u64)),
        target: "进程内查询至少为 PostGIS 逐点查询的 20 倍、集合连接的 3 倍；各方式逐点答案一致",
        rows,
        notes,
    };
    if !options.json {
        print_section(&lookups);
        print_agreement(&answers, &disagreements);
    }

    // Indicators.
    let indicators = kpi::measure(&app, year, options.events, options.seed).await?;
    targets.push(indicators.target.clone());
    let kpis = Section {
        name: "kpi",
        title: format!(
            "{} 全部网格考核指标（SQLite，{} 件事件）",
            year.label(),
            grouped(indicators.events)
        ),
        target: "全部网格一年的考核指标在 5 秒内算完",
        rows: indicators.rows,
        notes: indicators.notes,
    };
    sqlite.close().await;
    drop(dir);

    if options.json {
        let report = json!({
            "started_at": started.to_rfc3339(),
            "machine": {
                "cores": cores,
                "cpu": cpu,
                "build": if cfg!(debug_assertions) { "debug" } else { "release" },
            },
            "seed": options.seed,
            "sections": [lookups, kpis],
            "agreement": compared,
            "targets": targets,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_section(&kpis);
        println!();
        println!("【目标】");
        for t in &targets {
            println!(
                "  {}：要求 {}，实测 {} —— {}",
                t.what,
                t.wanted,
                t.measured,
                if t.met { "达标" } else { "未达标" }
            );
        }
    }
    if disagreements.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "错误：{} 个点的答案不一致（见上）",
            grouped(disagreements.len() as u64)
        );
        Ok(ExitCode::FAILURE)
    }
}

// ---------------------------------------------------------------------------
// The sample.

/// The points of a run.
#[derive(Debug, Clone)]
pub struct Sample {
    pub points: Vec<LngLat>,
    /// Points placed on a grid's line (a vertex or the middle of an edge).
    pub on_lines: usize,
    /// Points placed one floating-point step beside an edge.
    pub beside_lines: usize,
}

/// SplitMix64, as the generators': the same stream on every platform.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `[lo, hi]`.
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / ((1u64 << 53) - 1) as f64)
    }
}

/// `n` points for the grids of `map` from `seed`: a tenth on or beside
/// the grids' lines (or every such point, when there are fewer), the rest
/// uniform in the bounding box of every grid; shuffled, so any prefix has
/// its share of each.
pub fn sample(map: &GridMap, n: usize, seed: u64) -> Sample {
    let mut rng = Rng(seed);
    let mut on: Vec<LngLat> = Vec::new();
    let mut beside: Vec<LngLat> = Vec::new();
    for shape in &map.shapes {
        let ring: Vec<LngLat> = shape.boundary.exterior().collect();
        for pair in ring.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            on.push(a);
            let mid = LngLat {
                lng: (a.lng + b.lng) / 2.0,
                lat: (a.lat + b.lat) / 2.0,
            };
            on.push(mid);
            // Beside an axis-parallel edge, the nearest numbers either side.
            if a.lng == b.lng {
                beside.push(LngLat {
                    lng: a.lng.next_up(),
                    lat: mid.lat,
                });
                beside.push(LngLat {
                    lng: a.lng.next_down(),
                    lat: mid.lat,
                });
            } else if a.lat == b.lat {
                beside.push(LngLat {
                    lng: mid.lng,
                    lat: a.lat.next_up(),
                });
                beside.push(LngLat {
                    lng: mid.lng,
                    lat: a.lat.next_down(),
                });
            }
        }
    }
    let key = |p: &LngLat| (p.lng.to_bits(), p.lat.to_bits());
    for list in [&mut on, &mut beside] {
        list.sort_by_key(key);
        list.dedup_by_key(|p| key(p));
    }
    // A tenth of the sample, two thirds of it on lines.
    let special = (n / 10).min(on.len() + beside.len());
    let on_count = (special * 2 / 3).min(on.len());
    let beside_count = (special - on_count).min(beside.len());
    let mut points = Vec::with_capacity(n);
    points.extend(pick(&mut rng, on, on_count));
    points.extend(pick(&mut rng, beside, beside_count));
    let extent = map.index.extent();
    while points.len() < n {
        let Some(e) = extent else { break };
        points.push(LngLat {
            lng: rng.between(e.min().x, e.max().x),
            lat: rng.between(e.min().y, e.max().y),
        });
    }
    shuffle(&mut rng, &mut points);
    Sample {
        points,
        on_lines: on_count,
        beside_lines: beside_count,
    }
}

/// `k` of the items, chosen at random.
fn pick(rng: &mut Rng, mut items: Vec<LngLat>, k: usize) -> Vec<LngLat> {
    for i in 0..k {
        let j = i + rng.below(items.len() - i);
        items.swap(i, j);
    }
    items.truncate(k);
    items
}

fn shuffle(rng: &mut Rng, items: &mut [LngLat]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

// ---------------------------------------------------------------------------
// In process.

/// Every point looked up on `threads` threads, each a contiguous share.
fn in_process(
    index: &GridIndex,
    points: &[LngLat],
    threads: usize,
) -> (Row, Vec<Option<GridCode>>) {
    let share = points.len().div_ceil(threads.max(1)).max(1);
    let started = Instant::now();
    let parts: Vec<Vec<Option<GridCode>>> = std::thread::scope(|s| {
        let handles: Vec<_> = points
            .chunks(share)
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| index.lookup(*p).map(|h| h.code))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a look-up thread"))
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let found: Vec<Option<GridCode>> = parts.into_iter().flatten().collect();
    let (workload, label) = if threads == 1 {
        ("in_process_one_thread", "进程内，单线程".to_owned())
    } else {
        ("in_process_all_cores", format!("进程内，{threads} 个线程"))
    };
    (
        Row::new(workload, label, threads, points.len() as u64, seconds),
        found,
    )
}

// ---------------------------------------------------------------------------
// The comparison.

/// Every point on which a form's answer differs from the in-process one.
fn compare(points: &[LngLat], a: &Answers) -> Vec<Disagreement> {
    let text = |c: Option<&Option<GridCode>>| c.and_then(|c| c.map(|c| c.to_string()));
    let mut out = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let truth = a.in_process[i];
        let differs = |form: &[Option<GridCode>]| form.get(i).is_some_and(|x| *x != truth);
        if differs(&a.all_cores) || differs(&a.http) || differs(&a.per_point) || differs(&a.join) {
            out.push(Disagreement {
                index: i,
                lng: p.lng,
                lat: p.lat,
                in_process: truth.map(|c| c.to_string()),
                all_cores: text(a.all_cores.get(i)),
                http: text(a.http.get(i)),
                postgis_per_point: text(a.per_point.get(i)),
                postgis_join: text(a.join.get(i)),
            });
        }
    }
    out
}

fn print_agreement(a: &Answers, disagreements: &[Disagreement]) {
    let mut forms = vec![format!(
        "进程内多线程 {} 点",
        grouped(a.all_cores.len() as u64)
    )];
    forms.push(format!("HTTP {} 点", grouped(a.http.len() as u64)));
    if !a.per_point.is_empty() {
        forms.push(format!(
            "PostGIS 逐点 {} 点",
            grouped(a.per_point.len() as u64)
        ));
        forms.push(format!(
            "PostGIS 集合连接 {} 点",
            grouped(a.join.len() as u64)
        ));
    }
    if disagreements.is_empty() {
        println!(
            "  一致性：{} 与进程内单线程的答案逐点比较，全部一致（含边线、顶点上的点）。",
            forms.join("、")
        );
        return;
    }
    println!(
        "  一致性：{} 与进程内单线程的答案逐点比较，{} 个点不一致，前 {} 个：",
        forms.join("、"),
        grouped(disagreements.len() as u64),
        disagreements.len().min(SHOWN)
    );
    let show = |c: &Option<String>| c.clone().unwrap_or_else(|| "（无）".to_owned());
    for d in disagreements.iter().take(SHOWN) {
        println!(
            "    #{} ({}, {})：进程内 {}，多线程 {}，HTTP {}，PostGIS 逐点 {}，PostGIS 连接 {}",
            d.index,
            d.lng,
            d.lat,
            show(&d.in_process),
            show(&d.all_cores),
            show(&d.http),
            show(&d.postgis_per_point),
            show(&d.postgis_join),
        );
    }
}

// ---------------------------------------------------------------------------
// The table.

fn print_section(section: &Section) {
    println!();
    println!("【{}】目标：{}", section.title, section.target);
    let header = [
        "测量".to_owned(),
        "线程/连接".to_owned(),
        "次数".to_owned(),
        "用时(秒)".to_owned(),
        "每秒".to_owned(),
        "p50".to_owned(),
        "p99".to_owned(),
        "最大".to_owned(),
    ];
    let spread = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), nanos);
    let body: Vec<[String; 8]> = section
        .rows
        .iter()
        .map(|r| {
            [
                r.label.clone(),
                r.threads.to_string(),
                grouped(r.operations),
                format!("{:.2}", r.seconds),
                grouped(r.per_second.round() as u64),
                spread(r.p50_ns),
                spread(r.p99_ns),
                spread(r.max_ns),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| width(&h));
    for row in &body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: &[String; 8]| {
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
    for note in &section.notes {
        println!("  {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yiwang_grid::{Boundary, GridKind};
    use yiwang_web::grid::data::MapShape;

    fn map() -> GridMap {
        let code = |n: u16| {
            GridCode::parse("320612001001001")
                .unwrap()
                .community()
                .grid(n)
                .unwrap()
        };
        let rect = |x0: f64, x1: f64| {
            Boundary::from_ring(&[(x0, 32.0), (x1, 32.0), (x1, 32.1), (x0, 32.1)]).unwrap()
        };
        let shapes: Vec<MapShape> = [(code(1), rect(120.9, 121.0)), (code(2), rect(121.0, 121.1))]
            .into_iter()
            .map(|(code, boundary)| MapShape {
                code,
                kind: GridKind::Comprehensive,
                name: code.to_string(),
                anchor: boundary.interior_point(),
                boundary,
            })
            .collect();
        GridMap {
            stamp: Default::default(),
            index: GridIndex::new(shapes.iter().map(|s| (s.code, s.kind, s.boundary.clone()))),
            shapes,
        }
    }

    #[test]
    fn a_sample_has_points_on_and_beside_the_lines_and_is_reproducible() {
        let map = map();
        // 40 special points asked for: more than there are, so all of them.
        let s = sample(&map, 400, 7);
        assert_eq!(s.points.len(), 400);
        assert_eq!((s.on_lines, s.beside_lines), (13, 14));
        // Every point on a line is in (13 of them: 6 vertices, 7 edge
        // middles); the middle of the shared edge answers the smaller
        // code, on its line, and a step east of it the other grid.
        let middle = s
            .points
            .iter()
            .find(|p| p.lng == 121.0 && p.lat > 32.0 && p.lat < 32.1)
            .copied()
            .unwrap();
        let hit = map.index.lookup(middle).unwrap();
        assert_eq!(hit.code, map.shapes[0].code);
        assert!(hit.on_boundary);
        let east = LngLat {
            lng: 121.0f64.next_up(),
            ..middle
        };
        assert!(s.points.contains(&east));
        let hit = map.index.lookup(east).unwrap();
        assert_eq!(hit.code, map.shapes[1].code);
        assert!(!hit.on_boundary);
        // Only steps outward from the outer boundary fall outside.
        let outside = s
            .points
            .iter()
            .filter(|p| map.index.lookup(**p).is_none())
            .count();
        assert!(outside > 0 && outside < s.beside_lines, "{outside}");
        let again = sample(&map, 400, 7);
        assert_eq!(again.points, s.points);
        assert_ne!(sample(&map, 400, 8).points, s.points);
    }

    #[test]
    fn the_comparison_finds_each_disagreeing_form() {
        let code = GridCode::parse("320612001001001").unwrap();
        let points = vec![LngLat { lng: 1.0, lat: 2.0 }; 3];
        let mut a = Answers {
            in_process: vec![Some(code), None, Some(code)],
            all_cores: vec![Some(code), None, Some(code)],
            http: vec![Some(code)],
            per_point: vec![Some(code), None, Some(code)],
            join: vec![Some(code), None, Some(code)],
        };
        assert!(compare(&points, &a).is_empty());
        a.join[1] = Some(code);
        a.http[0] = None;
        let found = compare(&points, &a);
        assert_eq!(
            found.iter().map(|d| d.index).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(found[1].postgis_join.as_deref(), Some("320612001001001"));
        assert_eq!(found[0].http, None);
    }
}
