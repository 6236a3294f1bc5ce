//! Collective contracts (集体合同, 工资专项集体协议) on the web: the
//! register, renewal reminders and the coverage report, for the union's
//! and the bureau's staff.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/contracts` | service staff | the register: search, level, kind, in force or ended, 50 a page |
//! | `GET /services/contracts/new`, `POST /services/contracts` | service staff | register a contract with the enterprises it covers |
//! | `GET /services/contracts/{id}` | service staff | a contract and its enterprises |
//! | `GET /services/contracts/renewals` | service staff | contracts in force that end within `renewal_days` (`[services_contracts]`, 90 by default) |
//! | `GET /services/contracts/coverage`, `GET /services/contracts/coverage.xlsx` | service staff | coverage on a day: contracts by level and kind, enterprises and employees each counted once |
//!
//! The rules are `yiwang_services::contracts`. Contracts name enterprises
//! and headcounts, not people, so nothing here is masked.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::Date;
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_services::contracts::{
    check, coverage, parse_covered, renewal_due, Coverage, CoverageLine, Kind, Scope,
};
use yiwang_store::contracts::{Contract, ContractQuery, CoveredEnterprise, NewContract};
use yiwang_store::Page;

use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{pager, render, Chrome};
use crate::AppState;

/// The union's and the bureau's staff.
pub const CONTRACT_STAFF: &[Role] = &[Role::ServiceStaff];

/// Rows per page of a list.
pub const PAGE_SIZE: u32 = 50;

const DAY: i64 = 86_400_000_000;

fn date_of(at: i64) -> Date {
    Timestamp::from_micros(at).shanghai_date()
}

fn day_start(d: Date) -> i64 {
    Timestamp::from_shanghai(d, 0, 0, 0).micros()
}

fn show_date(at: i64) -> String {
    Timestamp::from_micros(at).format_cn_date()
}

fn parse_date(text: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &fmt).ok()
}

fn date_input(d: Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}

fn today(app: &AppState) -> Date {
    app.clock.now().shanghai_date()
}

/// A contract as lists show it.
#[derive(Debug, Clone)]
pub struct ContractLine {
    pub id: Uuid,
    pub title: String,
    pub scope: &'static str,
    pub kind: &'static str,
    pub parties: String,
    pub signed: String,
    pub term: String,
    pub enterprises: i64,
    pub employees: i64,
    /// 生效中, 未生效, 已到期; with the days left when due for renewal.
    pub state: String,
    pub renewal: bool,
}

impl ContractLine {
    fn of(c: &Contract, today: Date, renewal_days: u32) -> ContractLine {
        let (start, end) = (date_of(c.starts_on), date_of(c.ends_on));
        let renewal = renewal_due(start, end, today, renewal_days);
        let state = if today < start {
            "未生效".to_owned()
        } else if today >= end {
            "已到期".to_owned()
        } else if renewal {
            format!("{} 天后到期", (end - today).whole_days())
        } else {
            "生效中".to_owned()
        };
        let last = end.previous_day().unwrap_or(end);
        ContractLine {
            id: c.id,
            title: c.title.clone(),
            scope: Scope::from_code(&c.scope).map_or("—", Scope::label),
            kind: Kind::from_code(&c.kind).map_or("—", Kind::label),
            parties: format!("{} / {}", c.employer_party, c.union_party),
            signed: show_date(c.signed_on),
            term: format!(
                "{} 至 {}",
                show_date(c.starts_on),
                show_date(day_start(last))
            ),
            enterprises: c.enterprises,
            employees: c.employees,
            state,
            renewal,
        }
    }
}

/// The register's filters, as the form sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContractFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub kind: String,
    /// `in_force`, `ended` or empty for all.
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub page: String,
}

impl ContractFilter {
    fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }

    fn query(&self, today: Date) -> ContractQuery {
        let q = self.q.trim();
        let day = day_start(today);
        ContractQuery {
            search: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            scope: Scope::from_code(self.scope.trim()).map(|s| s.code().to_owned()),
            kind: Kind::from_code(self.kind.trim()).map(|k| k.code().to_owned()),
            in_force_on: (self.state == "in_force").then_some(day),
            ends_before: (self.state == "ended").then_some(day + 1),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("scope", self.scope.trim().to_owned()),
            ("kind", self.kind.trim().to_owned()),
            ("state", self.state.trim().to_owned()),
        ]
    }
}

fn scope_choices() -> Vec<(&'static str, &'static str)> {
    Scope::ALL.iter().map(|s| (s.code(), s.label())).collect()
}

fn kind_choices() -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.code(), k.label())).collect()
}

#[derive(Template)]
#[template(path = "services/contracts.html")]
struct RegisterPage {
    chrome: Chrome,
    f: ContractFilter,
    scopes: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    total: u64,
    rows: Vec<ContractLine>,
    pager: String,
}

/// `GET /services/contracts`
pub async fn register(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(f): Query<ContractFilter>,
) -> Result<Response, PageError> {
    let today = today(&app);
    let page = f.page_number();
    let found = app
        .store
        .contracts(&f.query(today), Page::number(page, PAGE_SIZE))
        .await?;
    let days = app.config.services_contracts.renewal_days;
    render(&RegisterPage {
        chrome: chrome.titled("集体合同", "services"),
        pager: pager(
            "/services/contracts",
            &f.pairs(),
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found
            .items
            .iter()
            .map(|c| ContractLine::of(c, today, days))
            .collect(),
        scopes: scope_choices(),
        kinds: kind_choices(),
        f,
    })
}

#[derive(Template)]
#[template(path = "services/contracts_renewals.html")]
struct RenewalsPage {
    chrome: Chrome,
    days: u32,
    rows: Vec<ContractLine>,
}

/// `GET /services/contracts/renewals`: contracts in force that end within
/// the configured days, ending soonest first.
pub async fn renewals(State(app): State<AppState>, chrome: Chrome) -> Result<Response, PageError> {
    let today = today(&app);
    let days = app.config.services_contracts.renewal_days;
    let day = day_start(today);
    let query = ContractQuery {
        in_force_on: Some(day),
        ends_before: Some(day + (i64::from(days) + 1) * DAY),
        ..ContractQuery::default()
    };
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let found = app
            .store
            .contracts(&query, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let n = found.items.len();
        rows.extend(
            found
                .items
                .iter()
                .map(|c| ContractLine::of(c, today, days))
                .filter(|l| l.renewal),
        );
        if n == 0 || (page as u64) * u64::from(Page::MAX_LIMIT) >= found.total {
            break;
        }
        page += 1;
    }
    render(&RenewalsPage {
        chrome: chrome.titled("集体合同到期提醒", "services"),
        days,
        rows,
    })
}

/// The registration form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ContractForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub employer_party: String,
    #[serde(default)]
    pub union_party: String,
    #[serde(default)]
    pub signed_on: String,
    #[serde(default)]
    pub starts_on: String,
    /// The last day of the term (inclusive, as contracts are written).
    #[serde(default)]
    pub last_day: String,
    /// One enterprise a line: credit code, name, employees.
    #[serde(default)]
    pub enterprises: String,
}

fn text_field(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    label: &str,
    max: usize,
) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.push(FieldError::new(field, format!("请填写{label}")));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(field, format!("{label}不超过 {max} 个字")));
    }
    value.to_owned()
}

fn date_field(errors: &mut Vec<FieldError>, field: &str, value: &str, label: &str) -> Option<Date> {
    let d = parse_date(value);
    if d.is_none() {
        errors.push(FieldError::new(
            field,
            format!("请填写{label}，格式为“年-月-日”，例如 2025-01-01"),
        ));
    }
    d
}

impl ContractForm {
    fn check(&self, today: Date) -> Result<NewContract, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = text_field(&mut errors, "title", &self.title, "合同名称", 100);
        let scope = Scope::from_code(self.scope.trim());
        if scope.is_none() {
            errors.push(FieldError::new("scope", "请选择签订层级：企业或行业"));
        }
        let kind = Kind::from_code(self.kind.trim());
        if kind.is_none() {
            errors.push(FieldError::new(
                "kind",
                "请选择合同类别：集体合同或工资专项集体协议",
            ));
        }
        let industry = self.industry.trim().to_owned();
        if scope == Some(Scope::Industry) && industry.is_empty() {
            errors.push(FieldError::new("industry", "行业集体合同请填写所属行业"));
        }
        let employer = text_field(
            &mut errors,
            "employer_party",
            &self.employer_party,
            "企业方（或行业企业方代表）",
            100,
        );
        let union = text_field(&mut errors, "union_party", &self.union_party, "工会方", 100);
        let signed = date_field(&mut errors, "signed_on", &self.signed_on, "签订日期");
        if signed.is_some_and(|d| d > today) {
            errors.push(FieldError::new("signed_on", "签订日期不能晚于今天"));
        }
        let start = date_field(&mut errors, "starts_on", &self.starts_on, "生效日期");
        let last = date_field(&mut errors, "last_day", &self.last_day, "终止日期");
        let covered = match parse_covered(&self.enterprises) {
            Ok(c) => Some(c),
            Err(problems) => {
                for p in problems {
                    errors.push(FieldError::new("enterprises", p.to_string()));
                }
                None
            }
        };
        if let (Some(scope), Some(signed), Some(start), Some(last), Some(covered)) =
            (scope, signed, start, last, &covered)
        {
            let end = last.next_day().unwrap_or(last);
            for p in check(scope, signed, start, end, covered) {
                errors.push(FieldError::new("enterprises", p.to_string()));
            }
        }
        match (scope, kind, signed, start, last, covered) {
            (Some(scope), Some(kind), Some(signed), Some(start), Some(last), Some(covered))
                if errors.is_empty() =>
            {
                Ok(NewContract {
                    id: Uuid::now_v7(),
                    title,
                    scope: scope.code().to_owned(),
                    kind: kind.code().to_owned(),
                    industry,
                    employer_party: employer,
                    union_party: union,
                    signed_on: day_start(signed),
                    starts_on: day_start(start),
                    ends_on: day_start(last.next_day().unwrap_or(last)),
                    enterprises: covered
                        .into_iter()
                        .map(|c| CoveredEnterprise {
                            credit_code: c.credit_code,
                            name: c.name,
                            employees: i64::from(c.employees),
                        })
                        .collect(),
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "services/contracts_form.html")]
struct ContractFormPage {
    chrome: Chrome,
    form: ContractForm,
    scopes: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
}

fn form_page(
    chrome: Chrome,
    form: ContractForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&ContractFormPage {
        chrome: chrome.titled("登记集体合同", "services"),
        scopes: scope_choices(),
        kinds: kind_choices(),
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/contracts/new`
pub async fn new_contract(chrome: Chrome) -> Result<Response, PageError> {
    form_page(chrome, ContractForm::default(), Vec::new())
}

/// `POST /services/contracts`
pub async fn create(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(form): Form<ContractForm>,
) -> Result<Response, PageError> {
    match form.check(today(&app)) {
        Ok(contract) => {
            let id = contract.id;
            let ctx = app.audit_ctx(&viewer, &addr);
            app.store.register_contracts(&ctx, vec![contract]).await?;
            Ok(Redirect::to(&format!("/services/contracts/{id}")).into_response())
        }
        Err(errors) => form_page(chrome, form, errors),
    }
}

#[derive(Template)]
#[template(path = "services/contracts_show.html")]
struct ContractPage {
    chrome: Chrome,
    c: ContractLine,
    industry: String,
    enterprises: Vec<CoveredEnterprise>,
}

/// `GET /services/contracts/{id}`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let (contract, enterprises) = app.store.contract(id).await?.ok_or(AppError::NotFound)?;
    render(&ContractPage {
        chrome: chrome.titled(contract.title.clone(), "services"),
        c: ContractLine::of(
            &contract,
            today(&app),
            app.config.services_contracts.renewal_days,
        ),
        industry: contract.industry.clone(),
        enterprises,
    })
}

/// The day of a coverage report.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CoverageQuery {
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    pub on: String,
}

async fn coverage_on(app: &AppState, q: &CoverageQuery) -> Result<(Date, Coverage), AppError> {
    let on = match q.on.trim() {
        "" => today(app),
        text => parse_date(text).ok_or_else(|| {
            AppError::field("on", "日期格式不正确：应为“年-月-日”，例如 2020-09-30")
        })?,
    };
    Ok((on, coverage_at(app, day_start(on)).await?))
}

/// The coverage of the contracts in force at `day` (a day's first
/// instant, µs).
pub(crate) async fn coverage_at(app: &AppState, day: i64) -> Result<Coverage, AppError> {
    let rows = app.store.coverage_rows(day).await?;
    let lines: Vec<CoverageLine> = rows
        .into_iter()
        .filter_map(|r| {
            Some(CoverageLine {
                contract: r.contract_id.to_string(),
                scope: Scope::from_code(&r.scope)?,
                kind: Kind::from_code(&r.kind)?,
                credit_code: r.credit_code,
                employees: u32::try_from(r.employees).unwrap_or(u32::MAX),
            })
        })
        .collect();
    Ok(coverage(&lines))
}

/// One row of the report as shown: what, contracts, enterprises, employees.
type ReportRow = (String, u64, u64, u64);

fn report_rows(report: &Coverage) -> Vec<ReportRow> {
    let mut rows = Vec::new();
    for s in &report.scopes {
        for g in report.groups.iter().filter(|g| g.scope == s.scope) {
            rows.push((
                format!("{}{}", g.scope.label(), g.kind.label()),
                g.contracts,
                g.enterprises,
                g.employees,
            ));
        }
        rows.push((
            format!("{}层级小计", s.scope.label()),
            s.contracts,
            s.enterprises,
            s.employees,
        ));
    }
    rows.push((
        "合计（企业、职工各计一次）".to_owned(),
        report.contracts,
        report.enterprises,
        report.employees,
    ));
    rows
}

#[derive(Template)]
#[template(path = "services/contracts_coverage.html")]
struct CoveragePage {
    chrome: Chrome,
    on: String,
    on_label: String,
    rows: Vec<ReportRow>,
    summary: String,
}

/// The report in one sentence, as the seed reports it.
fn summary(report: &Coverage) -> String {
    let [enterprise, industry] = [&report.scopes[0], &report.scopes[1]];
    format!(
        "企业集体合同及工资专项集体协议 {} 份，行业集体合同及工资专项集体协议 {} 份，覆盖企业 {} 个，覆盖职工 {} 人",
        enterprise.contracts, industry.contracts, report.enterprises, report.employees
    )
}

/// `GET /services/contracts/coverage?on=`
pub async fn coverage_page(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<CoverageQuery>,
) -> Result<Response, PageError> {
    let (on, report) = coverage_on(&app, &q).await?;
    render(&CoveragePage {
        chrome: chrome.titled("集体合同覆盖情况", "services"),
        on: date_input(on),
        on_label: show_date(day_start(on)),
        rows: report_rows(&report),
        summary: summary(&report),
    })
}

/// `GET /services/contracts/coverage.xlsx?on=`
pub async fn coverage_xlsx(
    State(app): State<AppState>,
    Query(q): Query<CoverageQuery>,
) -> Result<Response, PageError> {
    let (on, report) = coverage_on(&app, &q).await?;
    let bytes = coverage_workbook(&show_date(day_start(on)), &report)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"contract-coverage-{}.xlsx\"",
                    date_input(on)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The coverage report as a workbook.
pub fn coverage_workbook(
    on: &str,
    report: &Coverage,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("覆盖情况")?;
    sheet.write_string_with_format(0, 0, format!("集体合同覆盖情况（截至{on}）"), &bold)?;
    for (c, h) in ["类别", "合同份数", "覆盖企业", "覆盖职工"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    for (i, (what, contracts, enterprises, employees)) in report_rows(report).iter().enumerate() {
        let r = i as u32 + 2;
        sheet.write_string(r, 0, what)?;
        sheet.write_number(r, 1, *contracts as f64)?;
        sheet.write_number(r, 2, *enterprises as f64)?;
        sheet.write_number(r, 3, *employees as f64)?;
    }
    sheet.autofit();
    book.save_to_buffer()
}
