//! A year of grid events in the store, and the year's indicators for every
//! grid computed from it.
//!
//! The events are the demo's ([`crate::demo_events`]): each grid reports
//! every so often in working hours over the whole of the last calendar
//! year, and every case is played through the real workflow, so stages,
//! limits, reworks, extensions, the problem register and ratings are what
//! the server would have recorded. Exactly `--events` reports are kept
//! (drawn from a slightly larger schedule). They go into the store in
//! batches of [`BATCH`] by [`yiwang_store::cases::CaseStore::import_cases`]
//! (one transaction and audit record a batch), with their summary rows
//! only: the facts' log (about ten facts a case) is what the case pages
//! read, never the indicators, and would multiply the load's time and size
//! tenfold. Staff login days for the year go in too, as the demo's.
//!
//! Generating and writing are timed apart, and both apart from the
//! computation: [`yiwang_web::grid::kpi::report`], the code behind
//! `/grid/kpi?period=YYYY&level=grid`, with the clock at the end of the
//! year — the per-grid indicators with login rates, the totals, the
//! categories and the monthly trend — run [`RUNS`] times.

use std::time::Instant;

use yiwang_store::kpi::KpiGroup;
use yiwang_web::grid::kpi::{report, Period};
use yiwang_web::AppState;

use super::super::grouped;
use super::{Row, Target};
use crate::demo_events::{demo_case, load_login_days, report_times, CaseNumbers, Rng};

/// Cases per transaction.
const BATCH: usize = 50_000;
/// Times the indicators are computed.
const RUNS: usize = 3;
/// The target, seconds.
const TARGET_SECONDS: f64 = 5.0;

#[derive(Debug)]
pub(super) struct Measured {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    /// Cases written.
    pub events: u64,
    pub target: Target,
}

pub(super) async fn measure(
    app: &AppState,
    year: Period,
    events: usize,
    seed: u64,
) -> anyhow::Result<Measured> {
    let store = &*app.store;
    let map = app.grid_map.get(store).await?;
    let now = year.to;
    let workflow = &app.events.workflow;
    let mut rng = Rng(seed);
    eprintln!("准备中：{} 件事件的日程……", grouped(events as u64));
    // A schedule a little larger than asked, thinned at random to the
    // number asked: the quiet grids' silent months leave it short otherwise.
    let mut reports = report_times(&mut rng, map.shapes.len(), events + events / 50 + 1, now);
    while reports.len() > events {
        let i = rng.below(reports.len() as u64) as usize;
        reports.swap_remove(i);
    }
    reports.sort();

    let mut numbers = CaseNumbers::default();
    let mut generating = 0.0;
    let mut writing = 0.0;
    let mut written = 0u64;
    let ctx = yiwang_store::AuditCtx::system("bench", now);
    for (b, batch) in reports.chunks(BATCH).enumerate() {
        eprintln!(
            "准备中：生成并写入事件，第 {} 批，已写入 {} 件……",
            b + 1,
            grouped(written)
        );
        let t = Instant::now();
        let mut cases = Vec::with_capacity(batch.len());
        for &(at, grid) in batch {
            if let Some(case) = demo_case(workflow, &mut rng, &map.shapes[grid], at, now, false)? {
                cases.push(numbers.number(case, at));
            }
        }
        generating += t.elapsed().as_secs_f64();
        let t = Instant::now();
        written += store.import_cases(&ctx, cases).await?;
        writing += t.elapsed().as_secs_f64();
    }
    let t = Instant::now();
    let login_days = load_login_days(app, &mut rng, &map.shapes, now).await?;
    let logins_seconds = t.elapsed().as_secs_f64();

    let mut rows = vec![
        Row::new(
            "events_generate",
            "生成事件（经工作流逐件办理）",
            1,
            written,
            generating,
        ),
        Row::new(
            "events_write",
            format!("写入 SQLite（每批 {} 件一个事务）", grouped(BATCH as u64)),
            1,
            written,
            writing,
        ),
        Row::new(
            "login_days_write",
            "写入登录日",
            1,
            login_days,
            logins_seconds,
        ),
    ];

    let mut seconds = Vec::with_capacity(RUNS);
    let mut lines = 0;
    for run in 1..=RUNS {
        eprintln!("测量中：全部网格的年度考核指标，第 {run} 次……");
        let t = Instant::now();
        let r = report(app, year, KpiGroup::Grid, None)
            .await
            .map_err(|e| anyhow::anyhow!("考核指标计算失败：{e:?}"))?;
        let s = t.elapsed().as_secs_f64();
        seconds.push(s);
        lines = r.lines.len();
        if r.total.reported != written {
            anyhow::bail!(
                "考核指标的上报数 {} 与写入的事件数 {written} 不符",
                r.total.reported
            );
        }
    }
    let mut samples: Vec<f64> = seconds.iter().map(|s| s * 1e9).collect();
    let total: f64 = seconds.iter().sum();
    let median = {
        let mut sorted = seconds.clone();
        sorted.sort_by(f64::total_cmp);
        sorted[sorted.len() / 2]
    };
    rows.push(
        Row::new(
            "kpi_year_all_grids",
            format!("全部网格年度指标（{} 行）", grouped(lines as u64)),
            1,
            RUNS as u64,
            total,
        )
        .with_spread(&mut samples),
    );
    let notes = vec![
        format!(
            "事件：{} 年全年，{} 件，每个网格每隔若干天在工作时间上报，逐件经工作流办理（限时、督办、返工、延期、挂账、评价）；只写入案件汇总行（指标所读），不写事实日志。",
            year.label(),
            grouped(written)
        ),
        format!(
            "指标：考核指标页面的同一段代码（/grid/kpi?period={}&level=grid），含每个网格的各项比率和每日登录率、合计、分类办结时长、按月趋势；计算 {RUNS} 次，每次一行中的 p50 为中位数。",
            year.text()
        ),
    ];
    Ok(Measured {
        target: Target {
            what: format!("{} 件事件的全部网格年度指标（SQLite）", grouped(written)),
            wanted: format!("< {TARGET_SECONDS} 秒"),
            measured: format!("中位数 {median:.2} 秒"),
            met: median < TARGET_SECONDS,
        },
        rows,
        notes,
        events: written,
    })
}
