//! The grid indicators (考核指标), floating performance pay (浮动绩效) and
//! the zombie-grid list (僵尸网格), for the command centre.
//!
//! | route | what |
//! |---|---|
//! | `GET /grid/kpi` | indicators per street, community, grid or department for a day, month or year, with SVG charts |
//! | `GET /grid/kpi.xlsx` | the same as a workbook |
//! | `GET /grid/pay` | each grid leader's share of a month's bonus pool, with the workings |
//! | `GET /grid/pay.xlsx` | the same as a workbook |
//! | `GET /grid/quality` | the zombie grids and why, reaching zero when fixed |
//!
//! The sums come from the store ([`yiwang_store::kpi`]), which counts the
//! workflow's per-case definitions (`yiwang_cases::kpi`); rates are
//! integer fractions until they are shown. A case belongs to the period in
//! which it was reported, and "due" is judged at the clock's now. The daily
//! login rate is person-days with a login over staff × the working days of
//! the period up to today (the workflow's working calendar).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::{Date, Month};
use yiwang_cases::Rate;
use yiwang_core::{Money, Role, Timestamp};
use yiwang_grid::pay::{Fraction, LeaderKpis, PayFormula, PayKpi, PaySheet};
use yiwang_grid::quality::{GridSignals, ZombieReason, ZombieRules};
use yiwang_store::kpi::{shanghai_day, CaseCounts, KpiGroup, KpiQuery, LoginCounts, DAY_MICROS};

use crate::error::{AppError, PageError};
use crate::extract::Query;
use crate::pages::{render, show_time, Chrome};
use crate::AppState;

/// Who reads the indicators: the command centre.
pub const KPI_READERS: &[Role] = &[Role::Supervisor];

/// The `[grid_kpi]` section of the server configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KpiConfig {
    /// Days without a login or a report that make a grid a zombie.
    pub idle_days: u32,
    /// The bonus pool the pay page offers first, fen.
    pub pay_pool_fen: i64,
    /// The weights of the pay formula.
    pub pay: PayFormula,
}

impl Default for KpiConfig {
    fn default() -> Self {
        KpiConfig {
            idle_days: 60,
            pay_pool_fen: 10_000_000,
            pay: PayFormula::default(),
        }
    }
}

/// The length of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Day,
    Month,
    Year,
}

/// A period: its kind and its first day; `[from, to)` in µs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: Date,
    pub from: i64,
    pub to: i64,
}

impl Period {
    /// Reads `2026-12-06`, `2026-12` or `2026` (the kind follows the
    /// text); `None` for anything else.
    pub fn parse(text: &str) -> Option<Period> {
        let parts: Vec<&str> = text.trim().split('-').collect();
        let num = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<i32>().ok())
                .flatten()
        };
        let year = num(parts.first()?, 4)?;
        let (kind, first, next) = match parts.len() {
            1 => (
                PeriodKind::Year,
                Date::from_calendar_date(year, Month::January, 1).ok()?,
                Date::from_calendar_date(year + 1, Month::January, 1).ok()?,
            ),
            2 => {
                let m = Month::try_from(u8::try_from(num(parts[1], 2)?).ok()?).ok()?;
                let first = Date::from_calendar_date(year, m, 1).ok()?;
                let next = if m == Month::December {
                    Date::from_calendar_date(year + 1, Month::January, 1).ok()?
                } else {
                    Date::from_calendar_date(year, m.next(), 1).ok()?
                };
                (PeriodKind::Month, first, next)
            }
            3 => {
                let m = Month::try_from(u8::try_from(num(parts[1], 2)?).ok()?).ok()?;
                let d = u8::try_from(num(parts[2], 2)?).ok()?;
                let first = Date::from_calendar_date(year, m, d).ok()?;
                (PeriodKind::Day, first, first.next_day()?)
            }
            _ => return None,
        };
        Some(Period {
            kind,
            first,
            from: Timestamp::from_shanghai(first, 0, 0, 0).micros(),
            to: Timestamp::from_shanghai(next, 0, 0, 0).micros(),
        })
    }

    /// The month holding `now`.
    pub fn month_of(now: Timestamp) -> Period {
        let d = now.shanghai_date();
        Period::parse(&format!("{:04}-{:02}", d.year(), u8::from(d.month())))
            .expect("a calendar month")
    }

    /// The text [`Period::parse`] reads back.
    pub fn text(&self) -> String {
        let d = self.first;
        match self.kind {
            PeriodKind::Year => format!("{:04}", d.year()),
            PeriodKind::Month => format!("{:04}-{:02}", d.year(), u8::from(d.month())),
            PeriodKind::Day => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        }
    }

    /// As people say it: 2026年12月.
    pub fn label(&self) -> String {
        let d = self.first;
        match self.kind {
            PeriodKind::Year => format!("{}年", d.year()),
            PeriodKind::Month => format!("{}年{}月", d.year(), u8::from(d.month())),
            PeriodKind::Day => format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
        }
    }

    /// The days the login rate counts: the period's working days up to
    /// and including today, as day starts.
    fn login_days(&self, now: i64, calendar: &yiwang_core::WorkingCalendar) -> Vec<i64> {
        let end = self.to.min(shanghai_day(now) + DAY_MICROS);
        let mut days = Vec::new();
        let mut d = self.first;
        loop {
            let at = Timestamp::from_shanghai(d, 0, 0, 0).micros();
            if at >= end {
                break;
            }
            if calendar.is_working_day(d) {
                days.push(at);
            }
            let Some(next) = d.next_day() else { break };
            d = next;
        }
        days
    }
}

/// The level the indicators are grouped by.
fn level_of(text: &str) -> (KpiGroup, &'static str) {
    match text {
        "community" => (KpiGroup::Community, "社区（村）"),
        "grid" => (KpiGroup::Grid, "网格"),
        "department" => (KpiGroup::Department, "职能部门"),
        _ => (KpiGroup::Street, "街道（镇）"),
    }
}

fn level_code(group: KpiGroup) -> &'static str {
    match group {
        KpiGroup::Community => "community",
        KpiGroup::Grid => "grid",
        KpiGroup::Department => "department",
        _ => "street",
    }
}

/// The rates of a set of sums, in the workflow crate's definitions.
fn kpis_of(c: &CaseCounts) -> yiwang_cases::Kpis {
    let u = |v: i64| v.max(0) as u64;
    yiwang_cases::Kpis {
        reported: u(c.reported),
        valid: u(c.valid),
        rejected: u(c.rejected),
        filed: u(c.filed),
        closed: u(c.closed),
        due: u(c.due),
        deferred_due: u(c.deferred_due),
        on_time: u(c.on_time),
        reworked_cases: u(c.reworked_cases),
        extended_cases: u(c.extended_cases),
        rated: u(c.rated),
        rating_sum: u(c.rating_sum),
        satisfied: u(c.satisfied),
        close_micros: c.close_micros,
        close_working_micros: c.close_working_micros,
        ..Default::default()
    }
}

/// Login rate: person-days over staff × days.
fn login_rate(l: Option<&LoginCounts>, days: i64) -> Option<Rate> {
    l.map(|l| Rate {
        num: l.login_days.max(0) as u64,
        den: (l.staff.max(0) * days.max(0)) as u64,
    })
}

/// Hours with one decimal, or "—".
fn hours(micros: Option<i64>) -> String {
    micros.map_or_else(
        || "—".to_owned(),
        |m| {
            let tenths = (m + 180_000_000) / 360_000_000;
            format!("{}.{}", tenths / 10, tenths % 10)
        },
    )
}

/// One line of the indicator table.
#[derive(Debug, Clone)]
pub struct KpiLine {
    pub key: String,
    pub name: String,
    pub reported: u64,
    pub validity: Rate,
    pub closure: Rate,
    pub on_time: Rate,
    pub rework: Rate,
    pub extension: Rate,
    pub satisfaction: Rate,
    pub login: Option<Rate>,
    /// Mean hours from report to close.
    pub close_hours: String,
    /// Patrol and visit completion (`super::duties::completion`).
    pub duty: super::duties::DutyRates,
}

impl KpiLine {
    fn new(key: String, name: String, c: &CaseCounts, login: Option<Rate>) -> KpiLine {
        let k = kpis_of(c);
        KpiLine {
            key,
            name,
            reported: k.reported,
            validity: k.validity_rate(),
            closure: k.closure_rate(),
            on_time: k.on_time_rate(),
            rework: k.rework_rate(),
            extension: k.extension_rate(),
            satisfaction: k.satisfaction(),
            login,
            close_hours: hours(k.mean_time_to_close()),
            duty: Default::default(),
        }
    }

    pub fn login_label(&self) -> String {
        self.login
            .map_or_else(|| "—".to_owned(), Rate::percent_label)
    }
}

/// Average time to close, per category.
#[derive(Debug, Clone)]
pub struct CategoryLine {
    pub name: String,
    pub closed: u64,
    pub hours: String,
    pub working_hours: String,
}

/// One bar of a trend.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    pub label: String,
    pub counts: CaseCounts,
}

/// Everything the KPI page and its workbook show.
#[derive(Debug)]
pub struct KpiReport {
    pub period: Period,
    pub group: KpiGroup,
    pub level_label: &'static str,
    pub under: Option<String>,
    pub total: KpiLine,
    pub lines: Vec<KpiLine>,
    pub categories: Vec<CategoryLine>,
    pub trend: Vec<TrendPoint>,
}

/// The names of units and grids by code.
async fn names(app: &AppState) -> Result<HashMap<String, String>, AppError> {
    let mut out: HashMap<String, String> = app
        .store
        .grid_units()
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let map = app.grid_map.get(&*app.store).await?;
    for s in &map.shapes {
        out.insert(s.code.to_string(), s.name.clone());
    }
    Ok(out)
}

/// Computes the indicators of `period` grouped by `group`, under a unit.
pub async fn report(
    app: &AppState,
    period: Period,
    group: KpiGroup,
    under: Option<String>,
) -> Result<KpiReport, AppError> {
    let now = app.clock.now().micros();
    let query = |group| KpiQuery {
        group,
        from: period.from,
        to: period.to,
        now,
        under: under.clone(),
        department: None,
    };
    // Levels and categories from one pass by grid and category, the
    // trend beside it (each its own reader; a year's by month, which the
    // store's monthly rollup answers, a month's by day); a department's
    // cases are grouped on their own.
    let steps = match period.kind {
        PeriodKind::Year => KpiGroup::Month,
        _ => KpiGroup::Day,
    };
    let login_days = period.login_days(now, app.events.workflow.calendar());
    let days = login_days.len() as i64;
    // The whole scope's login rate counts each person once.
    let whole_group = match under.as_deref().map(str::len) {
        Some(15) => KpiGroup::Grid,
        Some(12) => KpiGroup::Community,
        Some(9) => KpiGroup::Street,
        _ => KpiGroup::District,
    };
    // For levels every part is read at once, each on its own reader.
    let (by_grid_category, by_day, level_logins, whole_logins, duty, names) =
        if group.prefix_len().is_some() {
            let (cells, trend_query) = (query(KpiGroup::GridCategory), query(steps));
            let (cells, trend, logins, whole, duty, names) = tokio::try_join!(
                async { Ok::<_, AppError>(app.store.case_counts(&cells).await?) },
                async { Ok(app.store.case_counts(&trend_query).await?) },
                async {
                    Ok(app
                        .store
                        .login_counts(group, &login_days, under.as_deref())
                        .await?)
                },
                async {
                    Ok(app
                        .store
                        .login_counts(whole_group, &login_days, under.as_deref())
                        .await?)
                },
                async {
                    super::duties::completion(app, &period, group, under.as_deref())
                        .await
                        .map(Some)
                },
                names(app),
            )?;
            (Some(cells), trend, logins, Some(whole), duty, names)
        } else {
            let (trend, names) = tokio::try_join!(
                async { Ok::<_, AppError>(app.store.case_counts(&query(steps)).await?) },
                names(app),
            )?;
            (None, trend, Vec::new(), None, None, names)
        };
    let (rows, category_rows) = match (&by_grid_category, group.prefix_len()) {
        (Some(cells), Some(n)) => fold_grid_category(cells, n),
        _ => (
            app.store.case_counts(&query(group)).await?,
            app.store.case_counts(&query(KpiGroup::Category)).await?,
        ),
    };
    let logins: BTreeMap<String, LoginCounts> = level_logins
        .into_iter()
        .map(|l| (l.key.clone(), l))
        .collect();
    let workflow = &app.events.workflow;
    let name_of = |key: &str| -> String {
        match group {
            KpiGroup::Department if key.is_empty() => "未派遣".to_owned(),
            KpiGroup::Department => workflow
                .department(key)
                .map_or_else(|| key.to_owned(), |d| d.name.clone()),
            _ => names.get(key).cloned().unwrap_or_else(|| key.to_owned()),
        }
    };
    // Every unit with staff is listed, with or without cases.
    let mut by_key: BTreeMap<String, CaseCounts> =
        rows.into_iter().map(|r| (r.key.clone(), r)).collect();
    for key in logins.keys() {
        by_key.entry(key.clone()).or_insert_with(|| CaseCounts {
            key: key.clone(),
            ..Default::default()
        });
    }
    let mut all = CaseCounts::default();
    let mut all_logins = LoginCounts::default();
    let lines: Vec<KpiLine> = by_key
        .iter()
        .map(|(key, c)| {
            all.add(c);
            let l = logins.get(key);
            if let Some(l) = l {
                all_logins.staff += l.staff;
                all_logins.login_days += l.login_days;
            }
            KpiLine::new(key.clone(), name_of(key), c, login_rate(l, days))
        })
        .collect();
    let whole = whole_logins.map(|l| {
        let mut sum = LoginCounts::default();
        for x in &l {
            sum.staff += x.staff;
            sum.login_days += x.login_days;
        }
        login_rate(Some(&sum), days)
    });
    let mut total = KpiLine::new(String::new(), "合计".to_owned(), &all, whole.flatten());
    let mut lines = lines;
    if let Some((duty, duty_total)) = duty {
        for l in &mut lines {
            l.duty = duty.get(&l.key).copied().unwrap_or_default();
        }
        total.duty = duty_total;
    }
    let categories = category_rows
        .iter()
        .map(|c| {
            let k = kpis_of(c);
            CategoryLine {
                name: workflow
                    .category(&c.key)
                    .map_or_else(|| c.key.clone(), |x| x.name.clone()),
                closed: k.closed,
                hours: hours(k.mean_time_to_close()),
                working_hours: hours(k.mean_working_time_to_close()),
            }
        })
        .collect();
    let trend = trend(period, &by_day);
    Ok(KpiReport {
        period,
        group,
        level_label: level_of(level_code(group)).1,
        under,
        total,
        lines,
        categories,
        trend,
    })
}

/// Sums by grid and category (`code/category`, in that order) folded into
/// the sums of each unit (the code's first `n` digits) and of each
/// category, both in key order, as grouping by either would give.
fn fold_grid_category(cells: &[CaseCounts], n: usize) -> (Vec<CaseCounts>, Vec<CaseCounts>) {
    let mut units: BTreeMap<String, CaseCounts> = BTreeMap::new();
    let mut categories: BTreeMap<String, CaseCounts> = BTreeMap::new();
    for cell in cells {
        let (code, category) = cell.key.split_once('/').unwrap_or((&cell.key, ""));
        let unit = code.get(..n).unwrap_or(code);
        for (map, key) in [(&mut units, unit), (&mut categories, category)] {
            map.entry(key.to_owned())
                .or_insert_with(|| CaseCounts {
                    key: key.to_owned(),
                    ..Default::default()
                })
                .add(cell);
        }
    }
    (
        units.into_values().collect(),
        categories.into_values().collect(),
    )
}

/// Days folded into the period's buckets: a year's months, a month's days,
/// or the one day.
fn trend(period: Period, days: &[CaseCounts]) -> Vec<TrendPoint> {
    let mut buckets: Vec<TrendPoint> = Vec::new();
    let mut d = period.first;
    loop {
        let at = Timestamp::from_shanghai(d, 0, 0, 0).micros();
        if at >= period.to {
            break;
        }
        let label = match period.kind {
            PeriodKind::Year => format!("{}月", u8::from(d.month())),
            _ => format!("{}日", d.day()),
        };
        if buckets.last().is_none_or(|b| b.label != label) {
            buckets.push(TrendPoint {
                label,
                counts: CaseCounts::default(),
            });
        }
        let Some(next) = d.next_day() else { break };
        d = next;
    }
    for day in days {
        let Ok(at) = day.key.parse::<i64>() else {
            continue;
        };
        let date = Timestamp::from_micros(at).shanghai_date();
        let label = match period.kind {
            PeriodKind::Year => format!("{}月", u8::from(date.month())),
            _ => format!("{}日", date.day()),
        };
        if let Some(b) = buckets.iter_mut().find(|b| b.label == label) {
            b.counts.add(day);
        }
    }
    buckets
}

/// Chart drawing, server-side SVG with plotters.
pub mod chart {
    use plotters::prelude::*;

    /// A bar chart of `values` (one bar per label) as SVG text; `percent`
    /// draws values given in thousandths as percentages.
    pub fn bars(title: &str, labels: &[String], values: &[u64], percent: bool) -> String {
        let mut svg = String::new();
        let n = labels.len().max(1) as u32;
        let width = (120 + 28 * n).clamp(480, 1400);
        let top = if percent {
            1000
        } else {
            values.iter().copied().max().unwrap_or(0).max(4) * 11 / 10
        };
        {
            let root = SVGBackend::with_string(&mut svg, (width, 320)).into_drawing_area();
            let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
                root.fill(&WHITE)?;
                let mut chart = ChartBuilder::on(&root)
                    .caption(title, ("sans-serif", 18))
                    .margin(12)
                    .x_label_area_size(if n > 12 { 56 } else { 32 })
                    .y_label_area_size(48)
                    .build_cartesian_2d((0u32..n).into_segmented(), 0u64..top)?;
                chart
                    .configure_mesh()
                    .disable_x_mesh()
                    .x_labels(n as usize)
                    .x_label_formatter(&|x| match x {
                        SegmentValue::CenterOf(i) => {
                            labels.get(*i as usize).cloned().unwrap_or_default()
                        }
                        _ => String::new(),
                    })
                    .y_label_formatter(&|y| {
                        if percent {
                            format!("{}%", y / 10)
                        } else {
                            y.to_string()
                        }
                    })
                    .label_style(("sans-serif", 12))
                    .draw()?;
                chart.draw_series(
                    Histogram::vertical(&chart)
                        .style(RGBColor(0x1f, 0x6f, 0xb2).filled())
                        .margin(4)
                        .data(values.iter().enumerate().map(|(i, v)| (i as u32, *v))),
                )?;
                root.present()?;
                Ok(())
            })();
            if let Err(e) = drawn {
                tracing::warn!("chart {title}: {e}");
            }
        }
        // The SVG backend writes a fixed size; let the page scale it.
        svg.replacen(
            "<svg ",
            "<svg role=\"img\" style=\"max-width:100%;height:auto\" ",
            1,
        )
    }
}

#[derive(Debug, Deserialize)]
pub struct KpiParams {
    #[serde(default)]
    level: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    under: String,
}

fn params(app: &AppState, p: &KpiParams) -> Result<(Period, KpiGroup, Option<String>), AppError> {
    let period = if p.period.trim().is_empty() {
        Period::month_of(app.clock.now())
    } else {
        Period::parse(&p.period)
            .ok_or_else(|| AppError::field("period", "统计期请写作 2026、2026-12 或 2026-12-06"))?
    };
    let under = p.under.trim();
    let under = if under.is_empty() {
        None
    } else if matches!(under.len(), 6 | 9 | 12 | 15) && under.bytes().all(|b| b.is_ascii_digit()) {
        Some(under.to_owned())
    } else {
        return Err(AppError::field(
            "under",
            "范围须为 6、9、12 或 15 位数字的区、街道、社区或网格编码",
        ));
    };
    Ok((period, level_of(&p.level).0, under))
}

#[derive(Template)]
#[template(path = "grid/kpi.html")]
struct KpiPage {
    chrome: Chrome,
    r: KpiReport,
    level: &'static str,
    period_text: String,
    under_text: String,
    xlsx_query: String,
    trend_chart: String,
    on_time_chart: String,
    patrol_chart: String,
}

/// `GET /grid/kpi`
pub async fn kpi_page(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(p): Query<KpiParams>,
) -> Result<Response, PageError> {
    let (period, group, under) = params(&app, &p)?;
    let r = report(&app, period, group, under).await?;
    let trend_chart = chart::bars(
        &format!("{} 事件上报数", r.period.label()),
        &r.trend.iter().map(|t| t.label.clone()).collect::<Vec<_>>(),
        &r.trend
            .iter()
            .map(|t| t.counts.reported.max(0) as u64)
            .collect::<Vec<_>>(),
        false,
    );
    // The 40 units with most reports, so the chart stays readable.
    let mut top: Vec<&KpiLine> = r.lines.iter().filter(|l| l.reported > 0).collect();
    top.sort_by(|a, b| b.reported.cmp(&a.reported).then(a.key.cmp(&b.key)));
    top.truncate(40);
    top.sort_by(|a, b| a.key.cmp(&b.key));
    let on_time_chart = chart::bars(
        &format!("按期结案率（按{}）", r.level_label),
        &top.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
        &top.iter()
            .map(|l| l.on_time.permille().unwrap_or(0))
            .collect::<Vec<_>>(),
        true,
    );
    let patrol_chart = if r.group.prefix_len().is_some() {
        let shown: Vec<&KpiLine> = r
            .lines
            .iter()
            .filter(|l| l.duty.patrol.den > 0)
            .take(40)
            .collect();
        chart::bars(
            &format!("巡查完成率（按{}）", r.level_label),
            &shown.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
            &shown
                .iter()
                .map(|l| l.duty.patrol.permille().unwrap_or(0))
                .collect::<Vec<_>>(),
            true,
        )
    } else {
        String::new()
    };
    let level = level_code(r.group);
    let period_text = r.period.text();
    let under_text = r.under.clone().unwrap_or_default();
    let xlsx_query = serde_urlencoded::to_string([
        ("level", level),
        ("period", period_text.as_str()),
        ("under", under_text.as_str()),
    ])
    .unwrap_or_default();
    render(&KpiPage {
        chrome: chrome.titled("网格考核指标", "grid"),
        r,
        level,
        period_text,
        under_text,
        xlsx_query,
        trend_chart,
        on_time_chart,
        patrol_chart,
    })
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> AppError {
    AppError::Internal(anyhow::anyhow!("xlsx: {e}"))
}

fn xlsx_response(bytes: Vec<u8>, file: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A rate for a workbook cell: the percentage with one decimal, or empty.
fn rate_cell(r: Rate) -> String {
    if r.permille().is_some() {
        r.percent_label()
    } else {
        String::new()
    }
}

/// The KPI workbook: the indicator table, the time to close by category
/// and the trend.
pub fn kpi_workbook(r: &KpiReport) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("考核指标")?;
    sheet.write_string(0, 0, format!("{} · 按{}", r.period.label(), r.level_label))?;
    let headers = [
        "编码",
        "名称",
        "上报数",
        "有效上报率",
        "结案率",
        "按期结案率",
        "返工率",
        "延期率",
        "满意率",
        "每日登录率",
        "平均办结时长（小时）",
        "巡查完成率",
        "入户走访完成率",
        "重点人员走访完成率",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    for (i, l) in r.lines.iter().chain(std::iter::once(&r.total)).enumerate() {
        let row = 2 + i as u32;
        sheet.write_string(row, 0, &l.key)?;
        sheet.write_string(row, 1, &l.name)?;
        sheet.write_number(row, 2, l.reported as f64)?;
        for (c, rate) in [
            l.validity,
            l.closure,
            l.on_time,
            l.rework,
            l.extension,
            l.satisfaction,
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_string(row, 3 + c as u16, rate_cell(rate))?;
        }
        sheet.write_string(row, 9, l.login.map(rate_cell).unwrap_or_default())?;
        sheet.write_string(row, 10, &l.close_hours)?;
        for (c, rate) in [l.duty.patrol, l.duty.household, l.duty.tagged]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(row, 11 + c as u16, rate_cell(rate))?;
        }
    }
    let cats = book.add_worksheet().set_name("分类办结时长")?;
    for (c, h) in [
        "类别",
        "结案数",
        "平均办结时长（小时）",
        "平均工作时长（小时）",
    ]
    .iter()
    .enumerate()
    {
        cats.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, c) in r.categories.iter().enumerate() {
        let row = 1 + i as u32;
        cats.write_string(row, 0, &c.name)?;
        cats.write_number(row, 1, c.closed as f64)?;
        cats.write_string(row, 2, &c.hours)?;
        cats.write_string(row, 3, &c.working_hours)?;
    }
    let trend = book.add_worksheet().set_name("趋势")?;
    for (c, h) in ["时段", "上报数", "结案数", "按期结案率"]
        .iter()
        .enumerate()
    {
        trend.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, t) in r.trend.iter().enumerate() {
        let row = 1 + i as u32;
        let k = kpis_of(&t.counts);
        trend.write_string(row, 0, &t.label)?;
        trend.write_number(row, 1, k.reported as f64)?;
        trend.write_number(row, 2, k.closed as f64)?;
        trend.write_string(row, 3, rate_cell(k.on_time_rate()))?;
    }
    book.save_to_buffer()
}

/// `GET /grid/kpi.xlsx`
pub async fn kpi_xlsx(
    State(app): State<AppState>,
    Query(p): Query<KpiParams>,
) -> Result<Response, PageError> {
    let (period, group, under) = params(&app, &p)?;
    let r = report(&app, period, group, under).await?;
    let bytes = kpi_workbook(&r).map_err(xlsx_error)?;
    Ok(xlsx_response(
        bytes,
        &format!("grid-kpi-{}-{}.xlsx", level_code(group), period.text()),
    ))
}

/// A month's pay sheet with the leaders' names.
pub async fn pay_sheet(app: &AppState, month: Period, pool_fen: i64) -> Result<PaySheet, AppError> {
    let now = app.clock.now().micros();
    let cases: BTreeMap<String, CaseCounts> = app
        .store
        .case_counts(&KpiQuery {
            group: KpiGroup::Grid,
            from: month.from,
            to: month.to,
            now,
            under: None,
            department: None,
        })
        .await?
        .into_iter()
        .map(|c| (c.key.clone(), c))
        .collect();
    let login_days = month.login_days(now, app.events.workflow.calendar());
    let days = login_days.len() as i64;
    let logins: BTreeMap<String, LoginCounts> = app
        .store
        .login_counts(KpiGroup::Grid, &login_days, None)
        .await?
        .into_iter()
        .map(|l| (l.key.clone(), l))
        .collect();
    let f = |r: Rate| Fraction::new(r.num, r.den);
    let leaders: Vec<LeaderKpis> = app
        .store
        .grid_activity()
        .await?
        .into_iter()
        .filter_map(|g| {
            let name = g.leader?;
            let k = kpis_of(&cases.get(&g.code).cloned().unwrap_or_default());
            let login = login_rate(logins.get(&g.code), days).unwrap_or_default();
            Some(LeaderKpis {
                key: g.code,
                name,
                rates: BTreeMap::from([
                    (PayKpi::LoginRate, f(login)),
                    (PayKpi::ValidityRate, f(k.validity_rate())),
                    (PayKpi::ClosureRate, f(k.closure_rate())),
                    (PayKpi::OnTimeRate, f(k.on_time_rate())),
                    (PayKpi::ReworkRate, f(k.rework_rate())),
                    (PayKpi::ExtensionRate, f(k.extension_rate())),
                    (PayKpi::Satisfaction, f(k.satisfaction())),
                ]),
            })
        })
        .collect();
    Ok(app.config.grid_kpi.pay.share(pool_fen, &leaders))
}

#[derive(Debug, Deserialize)]
pub struct PayParams {
    #[serde(default)]
    month: String,
    /// Yuan, two decimals at most.
    #[serde(default)]
    pool: String,
}

fn pay_params(app: &AppState, p: &PayParams) -> Result<(Period, Money), AppError> {
    let month = if p.month.trim().is_empty() {
        Period::month_of(app.clock.now())
    } else {
        Period::parse(&p.month)
            .filter(|m| m.kind == PeriodKind::Month)
            .ok_or_else(|| AppError::field("month", "考核月份请写作 2026-12"))?
    };
    let pool = if p.pool.trim().is_empty() {
        Money::from_fen(app.config.grid_kpi.pay_pool_fen)
    } else {
        Money::parse_yuan(p.pool.trim())
            .ok()
            .filter(|m| m.fen() >= 0)
            .ok_or_else(|| AppError::field("pool", "奖金池请填写金额（元），最多两位小数"))?
    };
    Ok((month, pool))
}

/// One term of a leader's line, as shown.
#[derive(Debug)]
pub struct TermView {
    pub rate: String,
    pub score: u64,
    pub points: u64,
}

/// A leader's line, as shown.
#[derive(Debug)]
pub struct PayLineView {
    pub code: String,
    pub grid: String,
    pub leader: String,
    pub terms: Vec<TermView>,
    pub points: u64,
    pub share: String,
    pub got_remainder: bool,
}

fn term_rate(t: &yiwang_grid::pay::PayTerm) -> String {
    Rate {
        num: t.rate.num,
        den: t.rate.den,
    }
    .percent_label()
}

#[derive(Template)]
#[template(path = "grid/pay.html")]
struct PayPage {
    chrome: Chrome,
    month_label: String,
    month_text: String,
    pool: String,
    pool_text: String,
    total_points: u64,
    unshared: String,
    /// (label, weight)
    weights: Vec<(&'static str, u32)>,
    lines: Vec<PayLineView>,
    xlsx_query: String,
}

/// `GET /grid/pay`
pub async fn pay_page(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(p): Query<PayParams>,
) -> Result<Response, PageError> {
    let (month, pool) = pay_params(&app, &p)?;
    let sheet = pay_sheet(&app, month, pool.fen()).await?;
    let names = names(&app).await?;
    let lines = sheet
        .lines
        .iter()
        .map(|l| PayLineView {
            grid: names.get(&l.key).cloned().unwrap_or_default(),
            code: l.key.clone(),
            leader: l.name.clone(),
            terms: l
                .terms
                .iter()
                .map(|t| TermView {
                    rate: term_rate(t),
                    score: t.score,
                    points: t.points,
                })
                .collect(),
            points: l.points,
            share: Money::from_fen(l.share_fen).format_grouped(),
            got_remainder: l.got_remainder,
        })
        .collect();
    let month_text = month.text();
    let pool_text = pool.to_yuan_string();
    render(&PayPage {
        chrome: chrome.titled("浮动绩效", "grid"),
        month_label: month.label(),
        xlsx_query: serde_urlencoded::to_string([
            ("month", month_text.as_str()),
            ("pool", pool_text.as_str()),
        ])
        .unwrap_or_default(),
        month_text,
        pool: pool.format_grouped(),
        pool_text,
        total_points: sheet.total_points,
        unshared: Money::from_fen(sheet.unshared).format_grouped(),
        weights: app
            .config
            .grid_kpi
            .pay
            .weights
            .iter()
            .map(|(k, w)| (k.label(), *w))
            .collect(),
        lines,
    })
}

/// The pay workbook: one line per leader with every term's rate, score and
/// points, the total points and the share in yuan.
pub fn pay_workbook(
    month: Period,
    sheet: &PaySheet,
    names: &HashMap<String, String>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = book.add_worksheet().set_name("浮动绩效")?;
    ws.write_string(
        0,
        0,
        format!(
            "{} 浮动绩效 · 奖金池 {} 元 · 总分 {}",
            month.label(),
            Money::from_fen(sheet.pool_fen).to_yuan_string(),
            sheet.total_points
        ),
    )?;
    let mut headers = vec![
        "网格编码".to_owned(),
        "网格".to_owned(),
        "网格长".to_owned(),
    ];
    let kpis: Vec<_> = sheet
        .lines
        .first()
        .map(|l| l.terms.iter().map(|t| (t.kpi, t.weight)).collect())
        .unwrap_or_default();
    for (k, w) in &kpis {
        headers.push(k.label().to_owned());
        headers.push(format!("{}得分（权重{w}）", k.label()));
    }
    headers.push("总分".to_owned());
    headers.push("绩效（元）".to_owned());
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, h, &bold)?;
    }
    for (i, l) in sheet.lines.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_string(row, 0, &l.key)?;
        ws.write_string(row, 1, names.get(&l.key).map_or("", String::as_str))?;
        ws.write_string(row, 2, &l.name)?;
        let mut c = 3u16;
        for t in &l.terms {
            ws.write_string(row, c, term_rate(t))?;
            ws.write_number(row, c + 1, t.points as f64)?;
            c += 2;
        }
        ws.write_number(row, c, l.points as f64)?;
        // Money as text: the exact yuan amount, never a float.
        ws.write_string(row, c + 1, Money::from_fen(l.share_fen).to_yuan_string())?;
    }
    book.save_to_buffer()
}

/// `GET /grid/pay.xlsx`
pub async fn pay_xlsx(
    State(app): State<AppState>,
    Query(p): Query<PayParams>,
) -> Result<Response, PageError> {
    let (month, pool) = pay_params(&app, &p)?;
    let sheet = pay_sheet(&app, month, pool.fen()).await?;
    let names = names(&app).await?;
    let bytes = pay_workbook(month, &sheet, &names).map_err(xlsx_error)?;
    Ok(xlsx_response(
        bytes,
        &format!("grid-pay-{}.xlsx", month.text()),
    ))
}

/// A zombie grid on the work list.
#[derive(Debug)]
pub struct ZombieView {
    pub code: String,
    pub name: String,
    pub leader: String,
    pub reasons: Vec<String>,
}

fn reason_text(r: &ZombieReason) -> String {
    let day = |d: &Option<i64>| {
        d.map_or_else(
            || "从未".to_owned(),
            |d| format!("最近 {}", Timestamp::from_micros(d).format_cn_date()),
        )
    };
    match r {
        ZombieReason::NoActiveLeader => r.label().to_owned(),
        ZombieReason::NoLogin { last_day } => format!("{}（{}）", r.label(), day(last_day)),
        ZombieReason::NoPatrol { last } => format!(
            "{}（{}）",
            r.label(),
            if last.is_some() {
                format!("最近 {}", show_time(*last))
            } else {
                "从未".to_owned()
            }
        ),
        ZombieReason::NoReport { last } => {
            format!(
                "{}（{}）",
                r.label(),
                if last.is_some() {
                    format!("最近 {}", show_time(*last))
                } else {
                    "从未".to_owned()
                }
            )
        }
        ZombieReason::Topology { finding } => format!("{}：{finding}", r.label()),
    }
}

/// The zombie grids at the clock's now.
pub async fn zombies(app: &AppState) -> Result<Vec<ZombieView>, AppError> {
    let now = app.clock.now();
    let map = app.grid_map.get(&*app.store).await?;
    let outlines = super::filings::communities(app).await?;
    let c: Vec<_> = outlines.iter().map(|(c, b)| (*c, b)).collect();
    let g: Vec<_> = map
        .shapes
        .iter()
        .map(|s| (s.code, s.kind, &s.boundary))
        .collect();
    let mut findings: HashMap<String, Vec<String>> = HashMap::new();
    for issue in yiwang_grid::check_topology(&c, &g, yiwang_grid::DEFAULT_TOLERANCE_M2) {
        for code in issue.grids() {
            findings
                .entry(code.to_string())
                .or_default()
                .push(issue.describe());
        }
    }
    let rules = ZombieRules {
        idle_days: app.config.grid_kpi.idle_days,
    };
    let today = shanghai_day(now.micros());
    let patrols: HashMap<String, i64> = app.store.last_patrols().await?.into_iter().collect();
    Ok(app
        .store
        .grid_activity()
        .await?
        .into_iter()
        .filter_map(|a| {
            let signals = GridSignals {
                leader_active: a.leader_active,
                last_login_day: a.last_login_day,
                last_report: a.last_report,
                last_patrol: patrols.get(&a.code).copied(),
                topology: findings.remove(&a.code).unwrap_or_default(),
            };
            let reasons = rules.reasons(&signals, now.micros(), today);
            (!reasons.is_empty()).then(|| ZombieView {
                code: a.code,
                name: a.name,
                leader: a.leader.unwrap_or_else(|| "—".to_owned()),
                reasons: reasons.iter().map(reason_text).collect(),
            })
        })
        .collect())
}

#[derive(Template)]
#[template(path = "grid/quality.html")]
struct QualityPage {
    chrome: Chrome,
    idle_days: u32,
    grids: usize,
    zombies: Vec<ZombieView>,
}

/// `GET /grid/quality`
pub async fn quality_page(
    State(app): State<AppState>,
    chrome: Chrome,
) -> Result<Response, PageError> {
    let zombies = zombies(&app).await?;
    let grids = app.store.count_grids().await? as usize;
    render(&QualityPage {
        chrome: chrome.titled("僵尸网格", "grid"),
        idle_days: app.config.grid_kpi.idle_days,
        grids,
        zombies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_written() {
        let m = Period::parse("2026-12").unwrap();
        assert_eq!(m.kind, PeriodKind::Month);
        assert_eq!(m.text(), "2026-12");
        assert_eq!(m.label(), "2026年12月");
        assert_eq!(
            m.from,
            Timestamp::parse_rfc3339("2026-12-01T00:00:00+08:00")
                .unwrap()
                .micros()
        );
        assert_eq!(
            m.to,
            Timestamp::parse_rfc3339("2027-01-01T00:00:00+08:00")
                .unwrap()
                .micros()
        );
        assert_eq!(Period::parse("2026").unwrap().kind, PeriodKind::Year);
        assert_eq!(Period::parse("2026-02-28").unwrap().text(), "2026-02-28");
        for bad in ["", "26-12", "2026-13", "2026-02-30", "2026-1", "abcd"] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn hours_are_rounded_to_a_tenth() {
        assert_eq!(hours(Some(5_400_000_000)), "1.5");
        assert_eq!(hours(Some(3_600_000_000 * 33)), "33.0");
        assert_eq!(hours(None), "—");
    }

    #[test]
    fn a_chart_is_svg_with_chinese_labels() {
        let svg = chart::bars(
            "事件上报数",
            &["1月".to_owned(), "2月".to_owned()],
            &[3, 5],
            false,
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("事件上报数") && svg.contains("2月"), "{svg}");
        assert!(svg.contains("<rect"));
    }
}
