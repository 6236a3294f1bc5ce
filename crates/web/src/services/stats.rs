//! The services' figures (企业与职工服务数据): one year of every service
//! counted by month, as a dashboard for the bureau's and the union's staff,
//! as a workbook, and as open JSON.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/dashboard?year=` | service staff, administrators | the year's figures with a chart per service by month |
//! | `GET /services/dashboard.xlsx?year=` | service staff, administrators | the same as a workbook, a sheet per service |
//! | `GET /api/v1/services/stats?year=` | anyone | the same figures as JSON |
//!
//! Every figure is a count or a sum over the calendar year in Beijing
//! time (the current year when none is given): requests by the month they
//! were submitted, subsidy lines by the month their claim was submitted
//! (the claim's year is the subsidy year), contracts by the month they
//! were signed, visits by the day they took place, mediation cases by the
//! month they were applied for; the contracts' coverage is that of the contracts in force
//! on the year's last day, or today for the current year. The
//! departments' indicators judge the parts assigned in the year as the
//! monthly indicator page does ([`super::requests`]). The lecture hall's
//! catalogue, trainees and hours are all those recorded so far (the seed
//! reports them so), its learning of the year by month. Nothing here names
//! a person or an enterprise, so the JSON is open.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use time::{Date, Month};
use yiwang_core::{Money, Role, Timestamp};
use yiwang_services::mediation::{MediationState, Outcome};
use yiwang_services::requests::RequestState;
use yiwang_services::subsidies::Level;

use crate::error::{ApiError, AppError, PageError};
use crate::extract::Query;
use crate::grid::kpi::chart;
use crate::pages::{render, Chrome};
use crate::AppState;

/// Who reads the dashboard: the bureau's and the union's staff.
pub const DASHBOARD_READERS: &[Role] = &[Role::ServiceStaff, Role::Admin];

/// The earliest year asked about.
const FIRST_YEAR: i32 = 2000;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The calendar year, e.g. 2026; the current year when empty.
    #[serde(default)]
    pub year: String,
}

/// The year's figures of every service.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServiceStats {
    pub year: i32,
    /// When the figures were read (RFC 3339, +08:00).
    pub generated_at: String,
    /// The months the `by_month` lists follow: `2026-01` … `2026-12`.
    pub months: Vec<String>,
    pub requests: RequestFigures,
    pub subsidies: SubsidyFigures,
    pub contracts: ContractFigures,
    pub visits: VisitFigures,
    pub lectures: LectureFigures,
    pub mediation: MediationFigures,
}

/// Enterprise requests (政企通 诉求) submitted in the year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestFigures {
    pub submitted: u64,
    /// By state: `open`, `answered`, `rated`.
    pub by_state: Vec<Count>,
    /// By kind of request, in the configured order.
    pub by_category: Vec<Count>,
    /// Submitted per month.
    pub by_month: Vec<u64>,
    /// Each department's indicators over the parts assigned in the year.
    pub departments: Vec<DepartmentFigures>,
}

/// A count under a code and its Chinese name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub code: String,
    pub name: String,
    pub count: u64,
}

/// One department's answers to requests.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentFigures {
    pub code: String,
    pub name: String,
    /// Parts assigned to it.
    pub parts: u64,
    pub answered: u64,
    /// Of the parts answered or past their limit, those answered in time
    /// (`on_time` of `on_time_judged`).
    pub on_time: u64,
    pub on_time_judged: u64,
    /// Unanswered and past their limit now.
    pub overdue: u64,
    /// Ratings of the rated requests it answered: their sum and number.
    pub rating_sum: u64,
    pub rated: u64,
    /// Mean time from assignment to answer, in hours (rounded down).
    pub average_answer_hours: Option<u64>,
}

/// Apprenticeship subsidy lines (新型学徒制补贴) of the year's claims.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubsidyFigures {
    /// Lines claimed (one person each).
    pub lines: u64,
    pub approved: u64,
    pub refused: u64,
    pub pending: u64,
    /// Amounts claimed and approved, yuan as decimal strings.
    pub claimed_yuan: String,
    pub approved_yuan: String,
    /// Per level: lines, approved lines and the approved amount.
    pub by_level: Vec<LevelFigures>,
    /// Lines claimed per month.
    pub by_month: Vec<u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LevelFigures {
    /// `intermediate`, `advanced` or `technician`.
    pub level: String,
    pub name: String,
    pub lines: u64,
    pub approved: u64,
    pub approved_yuan: String,
}

/// Collective contracts (集体合同).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContractFigures {
    /// The day coverage is counted on (`YYYY-MM-DD`).
    pub coverage_on: String,
    /// Contracts in force that day, and the enterprises and employees they
    /// cover, each counted once.
    pub in_force: u64,
    pub enterprises: u64,
    pub employees: u64,
    /// The same per level (`enterprise`, `industry`).
    pub by_scope: Vec<CoverageFigures>,
    /// Contracts signed in the year, and per month.
    pub signed: u64,
    pub signed_by_month: Vec<u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageFigures {
    pub scope: String,
    pub name: String,
    pub contracts: u64,
    pub enterprises: u64,
    pub employees: u64,
}

/// Enterprise visits (千企询访) recorded in the year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitFigures {
    pub visits: u64,
    /// Enterprises visited at least once.
    pub enterprises: u64,
    pub findings: u64,
    /// Findings turned into requests.
    pub converted: u64,
    /// Visits per month.
    pub by_month: Vec<u64>,
}

/// The lecture hall (工信E通 大讲堂): the catalogue and every learning
/// record so far, and the learning of the year by month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LectureFigures {
    /// Areas in use, courses and those published.
    pub areas: u64,
    pub courses: u64,
    pub published_courses: u64,
    /// Trainees enrolled at least once, each counted once.
    pub trainees: u64,
    pub enrolments: u64,
    /// Enrolments completed (a certificate each).
    pub completions: u64,
    /// Learning recorded, in minutes, and as hours with one decimal.
    pub minutes: u64,
    pub hours: String,
    /// Per area: courses, trainees, minutes.
    pub by_area: Vec<AreaFigures>,
    /// Minutes of learning per month of the year.
    pub minutes_by_month: Vec<u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaFigures {
    pub name: String,
    pub courses: u64,
    pub trainees: u64,
    pub minutes: u64,
}

/// Online labour mediation (不见面维权): cases applied for in the year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MediationFigures {
    pub cases: u64,
    /// By state: `submitted`, `mediating`, `refused`, `closed`.
    pub by_state: Vec<Count>,
    /// Closed cases by outcome.
    pub by_outcome: Vec<Count>,
    /// By kind of dispute, in the configured order.
    pub by_kind: Vec<Count>,
    /// Cases applied for per month.
    pub by_month: Vec<u64>,
    /// Cases accepted and closed with an outcome, and their mean days
    /// from acceptance to outcome (one decimal).
    pub mediated: u64,
    pub average_days: Option<f64>,
    /// Amounts claimed and agreed, yuan as decimal strings.
    pub claimed_yuan: String,
    pub agreed_yuan: String,
}

/// The year asked for: a four-digit year from 2000 to next year.
fn year_of(app: &AppState, text: &str) -> Result<i32, AppError> {
    let this = app.clock.now().shanghai_date().year();
    match text.trim() {
        "" => Ok(this),
        t => t
            .parse::<i32>()
            .ok()
            .filter(|y| (FIRST_YEAR..=this + 1).contains(y) && t.len() == 4)
            .ok_or_else(|| {
                AppError::field(
                    "year",
                    format!("年份应为 {FIRST_YEAR} 至 {} 之间的四位数字", this + 1),
                )
            }),
    }
}

/// The first instant of a month in Beijing time, µs.
fn month_start(year: i32, month: Month) -> i64 {
    let first = Date::from_calendar_date(year, month, 1).expect("every month has a first day");
    Timestamp::from_shanghai(first, 0, 0, 0).micros()
}

/// The month (0 for January) of an instant inside the year.
fn month_index(at: i64) -> usize {
    usize::from(u8::from(Timestamp::from_micros(at).shanghai_date().month())) - 1
}

/// Counts by month of `instants` (each inside the year).
fn by_month(instants: impl Iterator<Item = i64>) -> Vec<u64> {
    let mut months = vec![0; 12];
    for at in instants {
        months[month_index(at)] += 1;
    }
    months
}

fn yuan(fen: i64) -> String {
    Money::from_fen(fen).to_yuan_string()
}

/// Reads and counts the year's figures.
pub(crate) async fn service_stats(app: &AppState, year: i32) -> Result<ServiceStats, AppError> {
    let now = app.clock.now();
    let from = month_start(year, Month::January);
    let to = month_start(year + 1, Month::January);
    // Coverage on the year's last day, or today while the year runs.
    let last_day = Date::from_calendar_date(year, Month::December, 31)
        .expect("every year has a last day")
        .min(now.shanghai_date());
    let cover_at = Timestamp::from_shanghai(last_day, 0, 0, 0).micros();
    let (requests, departments, subsidy_lines, contracts, coverage, visits, mediation) = tokio::try_join!(
        async { Ok::<_, AppError>(app.store.request_facts(from, to).await?) },
        super::requests::department_kpis_between(app, from, to),
        async { Ok::<_, AppError>(app.store.subsidy_facts(year).await?) },
        async { Ok::<_, AppError>(app.store.contract_facts(from, to).await?) },
        super::contracts::coverage_at(app, cover_at),
        async { Ok::<_, AppError>(app.store.visit_stats(from, to).await?) },
        async { Ok::<_, AppError>(app.store.mediation_stats(from, to).await?) },
    )?;
    let lectures = app.store.lecture_stats().await?;
    let rules = &app.requests;

    let by_state = RequestState::ALL
        .iter()
        .map(|s| Count {
            code: s.code().to_owned(),
            name: s.label().to_owned(),
            count: requests.iter().filter(|r| r.state == s.code()).count() as u64,
        })
        .collect();
    let mut by_category: Vec<Count> = rules
        .categories
        .iter()
        .map(|c| Count {
            code: c.code.clone(),
            name: c.name.clone(),
            count: requests.iter().filter(|r| r.category == c.code).count() as u64,
        })
        .collect();
    // Kinds no longer configured keep their requests in the counts.
    for r in &requests {
        if !by_category.iter().any(|c| c.code == r.category) {
            by_category.push(Count {
                code: r.category.clone(),
                name: r.category.clone(),
                count: requests.iter().filter(|q| q.category == r.category).count() as u64,
            });
        }
    }
    let departments = departments
        .iter()
        .map(|k| DepartmentFigures {
            code: k.department.clone(),
            name: rules.department_name(&k.department).to_owned(),
            parts: k.parts,
            answered: k.answered,
            on_time: k.on_time.num,
            on_time_judged: k.on_time.den,
            overdue: k.overdue,
            rating_sum: k.rating_sum,
            rated: k.rated,
            average_answer_hours: (k.answered > 0)
                .then(|| (k.answer_micros / k.answered as i64 / 3_600_000_000) as u64),
        })
        .collect();

    let sum = |f: &dyn Fn(&yiwang_store::subsidies::SubsidyFact) -> bool| -> i64 {
        subsidy_lines
            .iter()
            .filter(|l| f(l))
            .map(|l| l.amount_fen)
            .sum()
    };
    let count = |f: &dyn Fn(&yiwang_store::subsidies::SubsidyFact) -> bool| -> u64 {
        subsidy_lines.iter().filter(|l| f(l)).count() as u64
    };
    let subsidies = SubsidyFigures {
        lines: subsidy_lines.len() as u64,
        approved: count(&|l| l.status == "approved"),
        refused: count(&|l| l.status == "refused"),
        pending: count(&|l| l.status == "pending"),
        claimed_yuan: yuan(sum(&|_| true)),
        approved_yuan: yuan(sum(&|l| l.status == "approved")),
        by_level: Level::ALL
            .iter()
            .map(|level| LevelFigures {
                level: level.code().to_owned(),
                name: level.label().to_owned(),
                lines: count(&|l| l.level == level.code()),
                approved: count(&|l| l.level == level.code() && l.status == "approved"),
                approved_yuan: yuan(sum(&|l| l.level == level.code() && l.status == "approved")),
            })
            .collect(),
        by_month: by_month(subsidy_lines.iter().map(|l| l.submitted_at).filter(|at| {
            // A claim for the year may be submitted after it ends; such
            // lines count in the totals, not in a month of the year.
            (from..to).contains(at)
        })),
    };

    let contracts = ContractFigures {
        coverage_on: last_day.to_string(),
        in_force: coverage.contracts,
        enterprises: coverage.enterprises,
        employees: coverage.employees,
        by_scope: coverage
            .scopes
            .iter()
            .map(|s| CoverageFigures {
                scope: s.scope.code().to_owned(),
                name: s.scope.label().to_owned(),
                contracts: s.contracts,
                enterprises: s.enterprises,
                employees: s.employees,
            })
            .collect(),
        signed: contracts.len() as u64,
        signed_by_month: by_month(contracts.iter().map(|c| c.signed_on)),
    };

    // Both stores count by `YYYY-MM`; the months of this year in order.
    let month_keys: Vec<String> = (1..=12).map(|m| format!("{year:04}-{m:02}")).collect();
    let monthly = |find: &dyn Fn(&str) -> u64| month_keys.iter().map(|m| find(m)).collect();
    let visits = VisitFigures {
        visits: visits.visits.max(0) as u64,
        enterprises: visits.enterprises.max(0) as u64,
        findings: visits.findings.max(0) as u64,
        converted: visits.converted.max(0) as u64,
        by_month: monthly(&|m| {
            visits
                .by_month
                .iter()
                .find(|v| v.month == m)
                .map_or(0, |v| v.visits.max(0) as u64)
        }),
    };
    let count_of = |n: i64| n.max(0) as u64;
    let lectures = LectureFigures {
        areas: count_of(lectures.areas),
        courses: count_of(lectures.courses),
        published_courses: count_of(lectures.published_courses),
        trainees: count_of(lectures.trainees),
        enrolments: count_of(lectures.enrolments),
        completions: count_of(lectures.completions),
        minutes: count_of(lectures.minutes),
        hours: yiwang_services::lectures::hours_label(lectures.minutes),
        by_area: lectures
            .by_area
            .iter()
            .map(|a| AreaFigures {
                name: a.name.clone(),
                courses: count_of(a.courses),
                trainees: count_of(a.trainees),
                minutes: count_of(a.minutes),
            })
            .collect(),
        minutes_by_month: (1..=12)
            .map(|m| {
                let key = i64::from(year) * 100 + m;
                lectures
                    .by_month
                    .iter()
                    .find(|t| t.month == key)
                    .map_or(0, |t| count_of(t.minutes))
            })
            .collect(),
    };
    let counted = |map: &std::collections::BTreeMap<String, u64>, code: &str| {
        map.get(code).copied().unwrap_or(0)
    };
    let mut by_kind: Vec<Count> = app
        .mediation
        .kinds
        .iter()
        .map(|k| Count {
            code: k.code.clone(),
            name: k.name.clone(),
            count: counted(&mediation.by_kind, &k.code),
        })
        .collect();
    for (code, n) in &mediation.by_kind {
        if !by_kind.iter().any(|k| &k.code == code) {
            by_kind.push(Count {
                code: code.clone(),
                name: code.clone(),
                count: *n,
            });
        }
    }
    let mediation = MediationFigures {
        cases: mediation.total,
        by_state: MediationState::ALL
            .iter()
            .map(|s| Count {
                code: s.code().to_owned(),
                name: s.label().to_owned(),
                count: counted(&mediation.by_state, s.code()),
            })
            .collect(),
        by_outcome: Outcome::ALL
            .iter()
            .map(|o| Count {
                code: o.code().to_owned(),
                name: o.label().to_owned(),
                count: counted(&mediation.by_outcome, o.code()),
            })
            .collect(),
        by_kind,
        by_month: monthly(&|m| {
            mediation
                .by_month
                .iter()
                .find(|v| v.month == m)
                .map_or(0, |v| v.submitted)
        }),
        mediated: mediation.mediated,
        average_days: mediation.average_days.map(|d| (d * 10.0).round() / 10.0),
        claimed_yuan: yuan(mediation.amount_claimed_fen),
        agreed_yuan: yuan(mediation.amount_agreed_fen),
    };

    Ok(ServiceStats {
        year,
        generated_at: now.to_rfc3339(),
        months: month_keys,
        requests: RequestFigures {
            submitted: requests.len() as u64,
            by_state,
            by_category,
            by_month: by_month(requests.iter().map(|r| r.submitted_at)),
            departments,
        },
        subsidies,
        contracts,
        visits,
        lectures,
        mediation,
    })
}

/// `GET /api/v1/services/stats`
#[utoipa::path(get, path = "/api/v1/services/stats", tag = "services", params(YearQuery),
    responses((status = 200, body = ServiceStats), (status = 422, description = "invalid_input", body = crate::api::ErrorBody)))]
pub async fn api_stats(
    State(app): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Json<ServiceStats>, ApiError> {
    let year = year_of(&app, &q.year)?;
    Ok(Json(service_stats(&app, year).await?))
}

#[derive(Template)]
#[template(path = "services/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    s: ServiceStats,
    charts: Vec<String>,
    years: Vec<i32>,
}

/// The month labels of the charts: 1月 … 12月.
fn month_labels() -> Vec<String> {
    (1..=12).map(|m| format!("{m}月")).collect()
}

/// `GET /services/dashboard`
pub async fn dashboard(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year_of(&app, &q.year)?;
    let s = service_stats(&app, year).await?;
    let labels = month_labels();
    let charts = vec![
        chart::bars(
            &format!("{year} 年企业诉求（按提交月份）"),
            &labels,
            &s.requests.by_month,
            false,
        ),
        chart::bars(
            &format!("{year} 年学徒补贴申报人次（按申报月份）"),
            &labels,
            &s.subsidies.by_month,
            false,
        ),
        chart::bars(
            &format!("{year} 年签订集体合同（按签订月份）"),
            &labels,
            &s.contracts.signed_by_month,
            false,
        ),
        chart::bars(
            &format!("{year} 年千企询访（按走访月份）"),
            &labels,
            &s.visits.by_month,
            false,
        ),
        chart::bars(
            &format!("{year} 年大讲堂学习时长（小时，按月份）"),
            &labels,
            &s.lectures
                .minutes_by_month
                .iter()
                .map(|m| m / 60)
                .collect::<Vec<_>>(),
            false,
        ),
        chart::bars(
            &format!("{year} 年劳动争议调解申请（按申请月份）"),
            &labels,
            &s.mediation.by_month,
            false,
        ),
    ];
    let this = app.clock.now().shanghai_date().year();
    render(&DashboardPage {
        chrome: chrome.titled("企业与职工服务数据看板", "services"),
        s,
        charts,
        years: (FIRST_YEAR.max(this - 5)..=this).rev().collect(),
    })
}

/// The figures as a workbook: a sheet per service, months across.
pub fn workbook(s: &ServiceStats) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook, Worksheet};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let monthly = |sheet: &mut Worksheet, row: u32, title: &str, values: &[u64]| {
        sheet.write_string_with_format(row, 0, title, &bold)?;
        for (i, v) in values.iter().enumerate() {
            sheet.write_number(row, 1 + i as u16, *v as f64)?;
        }
        sheet.write_number(row, 13, values.iter().sum::<u64>() as f64)?;
        Ok::<_, rust_xlsxwriter::XlsxError>(())
    };
    let header = |sheet: &mut Worksheet, row: u32| {
        sheet.write_string_with_format(row, 0, "项目", &bold)?;
        for m in 1..=12u16 {
            sheet.write_string_with_format(row, m, format!("{m}月"), &bold)?;
        }
        sheet.write_string_with_format(row, 13, "全年", &bold)?;
        Ok::<_, rust_xlsxwriter::XlsxError>(())
    };

    let sheet = book.add_worksheet().set_name("企业诉求")?;
    sheet.write_string_with_format(0, 0, format!("{} 年企业诉求", s.year), &bold)?;
    header(sheet, 1)?;
    monthly(sheet, 2, "提交诉求", &s.requests.by_month)?;
    let mut row = 4;
    for (title, list) in [
        ("办理状态", &s.requests.by_state),
        ("诉求类型", &s.requests.by_category),
    ] {
        sheet.write_string_with_format(row, 0, title, &bold)?;
        sheet.write_string_with_format(row, 1, "件数", &bold)?;
        for c in list {
            row += 1;
            sheet.write_string(row, 0, &c.name)?;
            sheet.write_number(row, 1, c.count as f64)?;
        }
        row += 2;
    }
    for (c, h) in [
        "部门",
        "分派",
        "已答复",
        "按期答复",
        "应按期",
        "超期未答复",
        "评价件数",
        "评分合计",
        "平均办理小时",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(row, c as u16, *h, &bold)?;
    }
    for d in &s.requests.departments {
        row += 1;
        sheet.write_string(row, 0, &d.name)?;
        for (c, v) in [
            d.parts,
            d.answered,
            d.on_time,
            d.on_time_judged,
            d.overdue,
            d.rated,
            d.rating_sum,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_number(row, 1 + c as u16, *v as f64)?;
        }
        if let Some(h) = d.average_answer_hours {
            sheet.write_number(row, 8, h as f64)?;
        }
    }
    sheet.autofit();

    let sheet = book.add_worksheet().set_name("学徒补贴")?;
    sheet.write_string_with_format(0, 0, format!("{} 年新型学徒制补贴", s.year), &bold)?;
    header(sheet, 1)?;
    monthly(sheet, 2, "申报人次", &s.subsidies.by_month)?;
    for (c, h) in ["等级", "申报人次", "核准人次", "核准金额（元）"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(4, c as u16, *h, &bold)?;
    }
    let mut row = 4;
    for l in &s.subsidies.by_level {
        row += 1;
        sheet.write_string(row, 0, &l.name)?;
        sheet.write_number(row, 1, l.lines as f64)?;
        sheet.write_number(row, 2, l.approved as f64)?;
        sheet.write_string(row, 3, &l.approved_yuan)?;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "合计", &bold)?;
    sheet.write_number(row, 1, s.subsidies.lines as f64)?;
    sheet.write_number(row, 2, s.subsidies.approved as f64)?;
    sheet.write_string(row, 3, &s.subsidies.approved_yuan)?;
    sheet.autofit();

    let sheet = book.add_worksheet().set_name("集体合同")?;
    sheet.write_string_with_format(0, 0, format!("{} 年集体合同", s.year), &bold)?;
    header(sheet, 1)?;
    monthly(sheet, 2, "签订合同", &s.contracts.signed_by_month)?;
    let c = &s.contracts;
    sheet.write_string_with_format(4, 0, format!("{} 在有效期内", c.coverage_on), &bold)?;
    for (i, h) in ["合同", "覆盖企业", "覆盖职工"].iter().enumerate() {
        sheet.write_string_with_format(4, 1 + i as u16, *h, &bold)?;
    }
    let mut row = 4;
    for g in &c.by_scope {
        row += 1;
        sheet.write_string(row, 0, &g.name)?;
        sheet.write_number(row, 1, g.contracts as f64)?;
        sheet.write_number(row, 2, g.enterprises as f64)?;
        sheet.write_number(row, 3, g.employees as f64)?;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, "合计（企业、职工各计一次）", &bold)?;
    sheet.write_number(row, 1, c.in_force as f64)?;
    sheet.write_number(row, 2, c.enterprises as f64)?;
    sheet.write_number(row, 3, c.employees as f64)?;
    sheet.autofit();

    let sheet = book.add_worksheet().set_name("千企询访")?;
    sheet.write_string_with_format(0, 0, format!("{} 年千企询访", s.year), &bold)?;
    header(sheet, 1)?;
    monthly(sheet, 2, "走访次数", &s.visits.by_month)?;
    let v = &s.visits;
    for (i, (h, n)) in [
        ("走访次数", v.visits),
        ("走访企业", v.enterprises),
        ("发现问题", v.findings),
        ("转为诉求", v.converted),
    ]
    .iter()
    .enumerate()
    {
        let row = 4 + i as u32;
        sheet.write_string_with_format(row, 0, *h, &bold)?;
        sheet.write_number(row, 1, *n as f64)?;
    }
    sheet.autofit();

    let sheet = book.add_worksheet().set_name("大讲堂")?;
    sheet.write_string_with_format(0, 0, format!("{} 年工信E通大讲堂", s.year), &bold)?;
    header(sheet, 1)?;
    monthly(sheet, 2, "学习分钟", &s.lectures.minutes_by_month)?;
    let l = &s.lectures;
    for (i, (h, n)) in [
        ("方面", l.areas),
        ("课程", l.courses),
        ("学员", l.trainees),
        ("报名", l.enrolments),
        ("结业", l.completions),
        ("累计学习分钟", l.minutes),
    ]
    .iter()
    .enumerate()
    {
        let row = 4 + i as u32;
        sheet.write_string_with_format(row, 0, *h, &bold)?;
        sheet.write_number(row, 1, *n as f64)?;
    }
    for (c, h) in ["方面", "课程", "学员", "学习分钟"].iter().enumerate() {
        sheet.write_string_with_format(11, c as u16, *h, &bold)?;
    }
    for (i, a) in l.by_area.iter().enumerate() {
        let row = 12 + i as u32;
        sheet.write_string(row, 0, &a.name)?;
        sheet.write_number(row, 1, a.courses as f64)?;
        sheet.write_number(row, 2, a.trainees as f64)?;
        sheet.write_number(row, 3, a.minutes as f64)?;
    }
    sheet.autofit();

    let sheet = book.add_worksheet().set_name("劳动争议调解")?;
    sheet.write_string_with_format(0, 0, format!("{} 年劳动争议网上调解", s.year), &bold)?;
    header(sheet, 1)?;
    monthly(sheet, 2, "申请件数", &s.mediation.by_month)?;
    let mut row = 4;
    for (title, list) in [
        ("办理状态", &s.mediation.by_state),
        ("调解结果", &s.mediation.by_outcome),
        ("争议类型", &s.mediation.by_kind),
    ] {
        sheet.write_string_with_format(row, 0, title, &bold)?;
        sheet.write_string_with_format(row, 1, "件数", &bold)?;
        for c in list {
            row += 1;
            sheet.write_string(row, 0, &c.name)?;
            sheet.write_number(row, 1, c.count as f64)?;
        }
        row += 2;
    }
    let m = &s.mediation;
    sheet.write_string_with_format(row, 0, "请求金额（元）", &bold)?;
    sheet.write_string(row, 1, &m.claimed_yuan)?;
    sheet.write_string_with_format(row + 1, 0, "调解达成金额（元）", &bold)?;
    sheet.write_string(row + 1, 1, &m.agreed_yuan)?;
    sheet.autofit();

    book.save_to_buffer()
}

/// `GET /services/dashboard.xlsx`
pub async fn dashboard_xlsx(
    State(app): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = year_of(&app, &q.year)?;
    let s = service_stats(&app, year).await?;
    let bytes = workbook(&s).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"services-stats-{year}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_fall_in_their_beijing_month() {
        let jan = month_start(2026, Month::January);
        let feb = month_start(2026, Month::February);
        let dec = month_start(2026, Month::December);
        let next = month_start(2027, Month::January);
        assert_eq!(month_index(jan), 0);
        assert_eq!(month_index(feb - 1), 0, "half-open: the last µs of January");
        assert_eq!(month_index(feb), 1);
        assert_eq!(month_index(next - 1), 11);
        let counts = by_month([jan, feb - 1, feb, dec, next - 1].into_iter());
        assert_eq!(counts, vec![2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        // Midnight in Beijing is 16:00 UTC the day before.
        assert_eq!(
            Timestamp::from_micros(jan).to_rfc3339(),
            "2026-01-01T00:00:00+08:00"
        );
    }
}
