//! Apprenticeship subsidies (新型学徒制补贴) on the web: enterprises
//! register apprentices and claim for a year; the bureau's staff review
//! each line and export the year's payment list.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/subsidies` | enterprises, service staff | claims (an enterprise's own), by year, state and enterprise, 50 a page |
//! | `GET /services/subsidies/apprentices` | enterprises, service staff | apprentices (an enterprise's own), searchable, 50 a page |
//! | `GET /services/subsidies/apprentices/new`, `POST /services/subsidies/apprentices` | enterprises | register an apprentice |
//! | `GET /services/subsidies/apprentices/{id}` | the enterprise, service staff | the apprentice with the whole ID number (audited) |
//! | `POST /services/subsidies/apprentices/{id}/certificate` | the enterprise | record the level and certificate reached |
//! | `GET /services/subsidies/claims/new`, `POST /services/subsidies/claims` | enterprises | claim for a year: choose apprentices, see what each earns and why one may not be claimed |
//! | `GET /services/subsidies/claims/{id}` | the enterprise, service staff | a claim's lines and totals |
//! | `POST /services/subsidies/claims/{id}/decide` | service staff | approve a line, or refuse it with a reason |
//! | `GET /services/subsidies/payments`, `GET /services/subsidies/payments.xlsx` | service staff | a year's approved lines; the workbook holds whole ID numbers (audited) |
//!
//! The rules are `yiwang_services::subsidies`: the amounts come from
//! `[services_subsidies]` for the claim's year, and eligibility is checked
//! when a claim is submitted and again when a line is approved (an
//! approval of a line no longer eligible is refused with the reason).
//!
//! # Who sees what
//!
//! An enterprise account (`bidder`, a registered enterprise) sees and
//! changes only its own apprentices and claims; anything else answers 404.
//! Service staff (`service_staff`) see everything and decide lines. ID
//! numbers are masked on every list and on claims; the apprentice's page
//! and the payment workbook show them whole to these two only, and each
//! such view writes an audit record (`apprentice.view`, `subsidy.export`)
//! before the data leaves the server.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use time::Date;
use uuid::Uuid;
use yiwang_core::{Money, ResidentId, Role, Timestamp};
use yiwang_services::subsidies::{
    eligibility, ApprenticeFacts, ClaimStatus, Decision, Intake, Level, LineStatus,
};
use yiwang_store::residents::masked_id_number;
use yiwang_store::subsidies::{
    Apprentice, ApprenticeQuery, Certificate, Claim, ClaimLine, ClaimQuery, LineDecision,
    NewApprentice, NewClaim, NewClaimLine, PaymentLine,
};
use yiwang_store::{NewAudit, Page, StoreError};

use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::grid::residents::private;
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Enterprises: register apprentices and claim.
pub const ENTERPRISES: &[Role] = &[Role::Bidder];
/// The bureau's staff: review and pay.
pub const REVIEWERS: &[Role] = &[Role::ServiceStaff];
/// Both, each to their own.
pub const PARTIES: &[Role] = &[Role::Bidder, Role::ServiceStaff];

/// Rows per page of a list.
pub const PAGE_SIZE: u32 = 50;

/// The first year a claim may be for.
const FIRST_YEAR: i32 = 2015;

/// Whose records a viewer works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    /// An enterprise: its own only.
    Enterprise(Uuid),
    /// Service staff: every enterprise's.
    Staff,
}

impl Party {
    fn of(viewer: &Viewer) -> Result<Party, AppError> {
        let user = &viewer.require()?.user;
        match (user.role, user.enterprise_id) {
            (Role::ServiceStaff, _) => Ok(Party::Staff),
            (Role::Bidder, Some(e)) => Ok(Party::Enterprise(e)),
            _ => Err(AppError::Forbidden),
        }
    }

    fn enterprise(self) -> Option<Uuid> {
        match self {
            Party::Enterprise(e) => Some(e),
            Party::Staff => None,
        }
    }

    /// Whether the party may see a record of `enterprise`.
    fn sees(self, enterprise: Uuid) -> bool {
        self.enterprise().is_none_or(|e| e == enterprise)
    }
}

fn yuan(fen: i64) -> String {
    format!("{} 元", Money::from_fen(fen).format_grouped())
}

fn level_label(code: &str) -> &str {
    match Level::from_code(code) {
        Some(level) => level.label(),
        None => code,
    }
}

fn masked(id_number: &str) -> String {
    ResidentId::parse(id_number)
        .map(|id| id.masked())
        .unwrap_or_else(|_| masked_id_number(id_number))
}

fn date_of(at: i64) -> Date {
    Timestamp::from_micros(at).shanghai_date()
}

fn day_start(d: Date) -> i64 {
    Timestamp::from_shanghai(d, 0, 0, 0).micros()
}

fn date_input(at: Option<i64>) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    at.and_then(|t| date_of(t).format(&fmt).ok())
        .unwrap_or_default()
}

fn parse_date(text: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &fmt).ok()
}

fn this_year(app: &AppState) -> i32 {
    app.clock.now().shanghai_date().year()
}

/// What eligibility looks at of a stored apprentice.
fn facts(a: &Apprentice) -> ApprenticeFacts<'_> {
    ApprenticeFacts {
        id_number: &a.id_number,
        certificate_no: &a.certificate_no,
        certificate_date: a.certificate_date.map(date_of),
        start_date: date_of(a.start_date),
    }
}

/// Reasons an apprentice may not be claimed for `year`, joined, or empty.
fn reasons(a: &Apprentice, year: i32, claimed: bool) -> String {
    eligibility(&facts(a), year, claimed)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("；")
}

/// An apprentice as pages show them.
#[derive(Debug, Clone)]
pub struct ApprenticeLine {
    pub id: Uuid,
    pub enterprise_name: String,
    pub name: String,
    pub id_number: String,
    pub intake: &'static str,
    pub level: String,
    pub certificate_no: String,
    pub certificate_date: String,
    pub start_date: String,
}

impl ApprenticeLine {
    fn of(a: &Apprentice, full: bool) -> ApprenticeLine {
        ApprenticeLine {
            id: a.id,
            enterprise_name: a.enterprise_name.clone(),
            name: a.name.clone(),
            id_number: if full {
                a.id_number.clone()
            } else {
                masked(&a.id_number)
            },
            intake: Intake::from_code(&a.intake).map_or("—", Intake::label),
            level: level_label(&a.level).to_owned(),
            certificate_no: if a.certificate_no.is_empty() {
                "未取得".to_owned()
            } else {
                a.certificate_no.clone()
            },
            certificate_date: a
                .certificate_date
                .map(|t| Timestamp::from_micros(t).format_cn_date())
                .unwrap_or_else(|| "—".to_owned()),
            start_date: Timestamp::from_micros(a.start_date).format_cn_date(),
        }
    }
}

/// A list's filters, as the form sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub page: String,
}

impl ListFilter {
    fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }

    fn search(&self) -> Option<String> {
        let q = self.q.trim();
        (!q.is_empty()).then(|| q.chars().take(50).collect())
    }

    fn year(&self) -> Option<i32> {
        self.year.trim().parse().ok()
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("year", self.year.trim().to_owned()),
            ("status", self.status.trim().to_owned()),
        ]
    }
}

/// A claim as lists show it.
#[derive(Debug, Clone)]
pub struct ClaimRow {
    pub id: Uuid,
    pub enterprise_name: String,
    pub year: i32,
    pub status: &'static str,
    pub decided: bool,
    pub submitted: String,
    pub lines: i64,
    pub claimed: String,
    pub approved: String,
}

impl ClaimRow {
    fn of(c: &Claim) -> ClaimRow {
        let status = ClaimStatus::from_code(&c.status);
        ClaimRow {
            id: c.id,
            enterprise_name: c.enterprise_name.clone(),
            year: c.year,
            status: status.map_or("—", ClaimStatus::label),
            decided: status == Some(ClaimStatus::Decided),
            submitted: show_time(Some(c.submitted_at)),
            lines: c.lines,
            claimed: yuan(c.claimed_fen),
            approved: yuan(c.approved_fen),
        }
    }
}

#[derive(Template)]
#[template(path = "services/subsidies.html")]
struct ClaimsPage {
    chrome: Chrome,
    enterprise: bool,
    f: ListFilter,
    statuses: Vec<(&'static str, &'static str)>,
    total: u64,
    rows: Vec<ClaimRow>,
    pager: String,
}

/// `GET /services/subsidies`: the claims.
pub async fn claims(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListFilter>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let page = f.page_number();
    let query = ClaimQuery {
        enterprise_id: party.enterprise(),
        year: f.year(),
        status: ClaimStatus::from_code(f.status.trim()).map(|s| s.code().to_owned()),
        search: f.search(),
    };
    let found = app
        .store
        .claims(&query, Page::number(page, PAGE_SIZE))
        .await?;
    render(&ClaimsPage {
        chrome: chrome.titled("新型学徒制补贴", "services"),
        enterprise: party != Party::Staff,
        statuses: ClaimStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        pager: pager(
            "/services/subsidies",
            &f.pairs(),
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found.items.iter().map(ClaimRow::of).collect(),
        f,
    })
}

#[derive(Template)]
#[template(path = "services/subsidies_apprentices.html")]
struct ApprenticesPage {
    chrome: Chrome,
    enterprise: bool,
    f: ListFilter,
    total: u64,
    rows: Vec<ApprenticeLine>,
    pager: String,
}

/// `GET /services/subsidies/apprentices`
pub async fn apprentices(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListFilter>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let page = f.page_number();
    let found = app
        .store
        .apprentices(
            &ApprenticeQuery {
                enterprise_id: party.enterprise(),
                search: f.search(),
            },
            Page::number(page, PAGE_SIZE),
        )
        .await?;
    render(&ApprenticesPage {
        chrome: chrome.titled("学徒名册", "services"),
        enterprise: party != Party::Staff,
        pager: pager(
            "/services/subsidies/apprentices",
            &f.pairs()[..1],
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found
            .items
            .iter()
            .map(|a| ApprenticeLine::of(a, false))
            .collect(),
        f,
    })
}

/// The registration form, as sent (text, checked here).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApprenticeForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub intake: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub certificate_no: String,
    #[serde(default)]
    pub certificate_date: String,
    #[serde(default)]
    pub start_date: String,
}

/// The level and certificate, checked; errors are pushed.
fn check_certificate(
    level: &str,
    number: &str,
    date: &str,
    today: Date,
    errors: &mut Vec<FieldError>,
) -> Option<Certificate> {
    let level = Level::from_code(level.trim());
    if level.is_none() {
        errors.push(FieldError::new(
            "level",
            "请选择技能等级：中级工、高级工或技师",
        ));
    }
    let number = number.trim();
    if number.chars().count() > 40 {
        errors.push(FieldError::new(
            "certificate_no",
            "证书编号不超过 40 个字符",
        ));
    }
    let date = match (number.is_empty(), date.trim()) {
        (true, "") => Some(None),
        (false, "") => {
            errors.push(FieldError::new(
                "certificate_date",
                "填写了证书编号时，请同时填写发证日期",
            ));
            None
        }
        (true, _) => {
            errors.push(FieldError::new(
                "certificate_no",
                "填写了发证日期时，请同时填写证书编号",
            ));
            None
        }
        (false, text) => match parse_date(text) {
            Some(d) if d > today => {
                errors.push(FieldError::new("certificate_date", "发证日期不能晚于今天"));
                None
            }
            Some(d) => Some(Some(day_start(d))),
            None => {
                errors.push(FieldError::new(
                    "certificate_date",
                    "发证日期格式不正确：应为“年-月-日”，例如 2025-06-30",
                ));
                None
            }
        },
    };
    match (level, date) {
        (Some(level), Some(certificate_date)) => Some(Certificate {
            level: level.code().to_owned(),
            certificate_no: number.to_owned(),
            certificate_date,
        }),
        _ => None,
    }
}

impl ApprenticeForm {
    fn check(&self, enterprise_id: Uuid, today: Date) -> Result<NewApprentice, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "请填写学徒姓名"));
        } else if name.chars().count() > 30 {
            errors.push(FieldError::new("name", "姓名不超过 30 个字"));
        }
        let id = match ResidentId::parse(&self.id_number) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(FieldError::new("id_number", e.to_string()));
                None
            }
        };
        let intake = Intake::from_code(self.intake.trim());
        if intake.is_none() {
            errors.push(FieldError::new("intake", "请选择学徒类别：新招用或新转岗"));
        }
        let certificate = check_certificate(
            &self.level,
            &self.certificate_no,
            &self.certificate_date,
            today,
            &mut errors,
        );
        let start = match parse_date(&self.start_date) {
            Some(d) => Some(d),
            None => {
                errors.push(FieldError::new(
                    "start_date",
                    "请填写培训开始日期，格式为“年-月-日”，例如 2025-03-01",
                ));
                None
            }
        };
        match (id, intake, certificate, start) {
            (Some(id), Some(intake), Some(c), Some(start)) if errors.is_empty() => {
                Ok(NewApprentice {
                    id: Uuid::now_v7(),
                    enterprise_id,
                    name: name.to_owned(),
                    id_number: id.expose().to_owned(),
                    intake: intake.code().to_owned(),
                    level: c.level,
                    certificate_no: c.certificate_no,
                    certificate_date: c.certificate_date,
                    start_date: day_start(start),
                })
            }
            _ => Err(errors),
        }
    }
}

fn level_choices() -> Vec<(&'static str, &'static str)> {
    Level::ALL.iter().map(|l| (l.code(), l.label())).collect()
}

#[derive(Template)]
#[template(path = "services/subsidies_apprentice_form.html")]
struct ApprenticeFormPage {
    chrome: Chrome,
    form: ApprenticeForm,
    intakes: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
}

fn apprentice_form(
    chrome: Chrome,
    form: ApprenticeForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&ApprenticeFormPage {
        chrome: chrome.titled("登记学徒", "services"),
        intakes: Intake::ALL.iter().map(|k| (k.code(), k.label())).collect(),
        levels: level_choices(),
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(private(page))
}

/// The viewer's enterprise, for the enterprise-only routes.
fn own_enterprise(viewer: &Viewer) -> Result<Uuid, AppError> {
    Party::of(viewer)?.enterprise().ok_or(AppError::Forbidden)
}

/// `GET /services/subsidies/apprentices/new`
pub async fn new_apprentice(chrome: Chrome, viewer: Viewer) -> Result<Response, PageError> {
    own_enterprise(&viewer)?;
    apprentice_form(chrome, ApprenticeForm::default(), Vec::new())
}

/// `POST /services/subsidies/apprentices`
pub async fn register_apprentice(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(form): Form<ApprenticeForm>,
) -> Result<Response, PageError> {
    let enterprise = own_enterprise(&viewer)?;
    let today = app.clock.now().shanghai_date();
    let errors = match form.check(enterprise, today) {
        Ok(new) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            match app.store.register_apprentice(&ctx, new).await {
                Ok(a) => {
                    return Ok(
                        Redirect::to(&format!("/services/subsidies/apprentices/{}", a.id))
                            .into_response(),
                    )
                }
                Err(StoreError::Conflict { field: "id_number" }) => vec![FieldError::new(
                    "id_number",
                    "本企业已登记过该公民身份号码的学徒：请在学徒名册中找到并更新其等级证书",
                )],
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    apprentice_form(chrome, form, errors)
}

/// An apprentice the viewer may see, or `NotFound`.
async fn apprentice_for(app: &AppState, party: Party, id: &str) -> Result<Apprentice, AppError> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    app.store
        .apprentice(id)
        .await?
        .filter(|a| party.sees(a.enterprise_id))
        .ok_or(AppError::NotFound)
}

/// The certificate form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificateForm {
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub certificate_no: String,
    #[serde(default)]
    pub certificate_date: String,
}

#[derive(Template)]
#[template(path = "services/subsidies_apprentice.html")]
struct ApprenticePage {
    chrome: Chrome,
    a: ApprenticeLine,
    enterprise: bool,
    form: CertificateForm,
    levels: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
}

#[allow(clippy::too_many_arguments)]
async fn show_apprentice(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    addr: &ClientAddr,
    party: Party,
    a: &Apprentice,
    form: CertificateForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let ctx = app.audit_ctx(viewer, addr);
    app.store
        .audit(
            &ctx,
            NewAudit::new("apprentice.view", "apprentice", a.id.to_string()).with_detail(json!({
                "enterprise_id": a.enterprise_id,
                "fields": ["id_number"],
            })),
        )
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&ApprenticePage {
        chrome: chrome.titled(format!("{} · 学徒", a.name), "services"),
        a: ApprenticeLine::of(a, true),
        enterprise: party != Party::Staff,
        levels: level_choices(),
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(private(page))
}

/// `GET /services/subsidies/apprentices/{id}`: the whole ID number, for the
/// enterprise and the staff (audited).
pub async fn apprentice(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let a = apprentice_for(&app, party, &id).await?;
    let form = CertificateForm {
        level: a.level.clone(),
        certificate_no: a.certificate_no.clone(),
        certificate_date: date_input(a.certificate_date),
    };
    show_apprentice(&app, chrome, &viewer, &addr, party, &a, form, Vec::new()).await
}

/// `POST /services/subsidies/apprentices/{id}/certificate`
pub async fn certificate(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<CertificateForm>,
) -> Result<Response, PageError> {
    let party = Party::Enterprise(own_enterprise(&viewer)?);
    let a = apprentice_for(&app, party, &id).await?;
    let mut errors = Vec::new();
    let today = app.clock.now().shanghai_date();
    if let Some(c) = check_certificate(
        &form.level,
        &form.certificate_no,
        &form.certificate_date,
        today,
        &mut errors,
    ) {
        let ctx = app.audit_ctx(&viewer, &addr);
        app.store.update_certificate(&ctx, a.id, c).await?;
        return Ok(
            Redirect::to(&format!("/services/subsidies/apprentices/{}", a.id)).into_response(),
        );
    }
    show_apprentice(&app, chrome, &viewer, &addr, party, &a, form, errors).await
}

/// Every apprentice of an enterprise, by name.
async fn all_apprentices(app: &AppState, enterprise: Uuid) -> Result<Vec<Apprentice>, AppError> {
    let query = ApprenticeQuery {
        enterprise_id: Some(enterprise),
        search: None,
    };
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let found = app
            .store
            .apprentices(&query, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let n = found.items.len();
        out.extend(found.items);
        if n == 0 || out.len() as u64 >= found.total {
            return Ok(out);
        }
        page += 1;
    }
}

/// One apprentice on the claim form.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub a: ApprenticeLine,
    pub amount: String,
    /// Why they may not be claimed this year; empty when they may.
    pub reasons: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "services/subsidies_claim_form.html")]
struct ClaimFormPage {
    chrome: Chrome,
    year: String,
    candidates: Vec<Candidate>,
    rates: Vec<(&'static str, String)>,
    errors: Vec<FieldError>,
}

/// The claim form for `year`: every apprentice, with what they earn and
/// why one may not be claimed.
async fn claim_form(
    app: &AppState,
    chrome: Chrome,
    enterprise: Uuid,
    year_text: String,
    checked: &BTreeSet<Uuid>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let year = year_text.trim().parse::<i32>().ok();
    let people = all_apprentices(app, enterprise).await?;
    let config = &app.config.services_subsidies;
    let claimed: BTreeSet<String> = match year {
        Some(y) => {
            let ids: Vec<String> = people.iter().map(|a| a.id_number.clone()).collect();
            app.store
                .claimed_people(y, &ids, None)
                .await?
                .into_iter()
                .collect()
        }
        None => BTreeSet::new(),
    };
    let candidates = people
        .iter()
        .map(|a| Candidate {
            a: ApprenticeLine::of(a, false),
            amount: match (year, Level::from_code(&a.level)) {
                (Some(y), Some(l)) => yuan(config.amount(y, l).fen()),
                _ => "—".to_owned(),
            },
            reasons: year.map_or_else(String::new, |y| {
                reasons(a, y, claimed.contains(&a.id_number))
            }),
            checked: checked.contains(&a.id),
        })
        .collect();
    let rates = config.rates_for(year.unwrap_or_else(|| this_year(app)));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&ClaimFormPage {
        chrome: chrome.titled("申报学徒补贴", "services"),
        year: year_text,
        candidates,
        rates: Level::ALL
            .iter()
            .map(|l| (l.label(), yuan(rates.of(*l).fen())))
            .collect(),
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// The year on the claim form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct YearQuery {
    #[serde(default)]
    pub year: String,
}

/// `GET /services/subsidies/claims/new?year=`
pub async fn new_claim(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let enterprise = own_enterprise(&viewer)?;
    let year = match q.year.trim() {
        "" => (this_year(&app) - 1).to_string(),
        y => y.to_owned(),
    };
    claim_form(&app, chrome, enterprise, year, &BTreeSet::new(), Vec::new()).await
}

/// `POST /services/subsidies/claims`: fields `year` and `apprentice`
/// (repeated, one per person claimed).
pub async fn submit_claim(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let enterprise = own_enterprise(&viewer)?;
    let year_text = fields
        .iter()
        .find(|(k, _)| k == "year")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let chosen: BTreeSet<Uuid> = fields
        .iter()
        .filter(|(k, _)| k == "apprentice")
        .filter_map(|(_, v)| Uuid::parse_str(v.trim()).ok())
        .collect();
    let mut errors = Vec::new();
    let this = this_year(&app);
    let year = match year_text.parse::<i32>() {
        Ok(y) if (FIRST_YEAR..=this).contains(&y) => Some(y),
        _ => {
            errors.push(FieldError::new(
                "year",
                format!("申报年度应为 {FIRST_YEAR} 年至 {this} 年之间的年份"),
            ));
            None
        }
    };
    if chosen.is_empty() {
        errors.push(FieldError::new("apprentice", "请至少选择一名学徒"));
    }
    let people: Vec<Apprentice> = all_apprentices(&app, enterprise)
        .await?
        .into_iter()
        .filter(|a| chosen.contains(&a.id))
        .collect();
    if people.len() != chosen.len() {
        errors.push(FieldError::new(
            "apprentice",
            "所选学徒不在本企业学徒名册中，请刷新页面后重新选择",
        ));
    }
    if let (Some(year), true) = (year, errors.is_empty()) {
        let ids: Vec<String> = people.iter().map(|a| a.id_number.clone()).collect();
        let claimed: BTreeSet<String> = app
            .store
            .claimed_people(year, &ids, None)
            .await?
            .into_iter()
            .collect();
        for a in &people {
            let why = reasons(a, year, claimed.contains(&a.id_number));
            if !why.is_empty() {
                errors.push(FieldError::new("apprentice", format!("{}：{why}", a.name)));
            }
        }
        if errors.is_empty() {
            let config = &app.config.services_subsidies;
            let lines = people
                .iter()
                .filter_map(|a| {
                    let level = Level::from_code(&a.level)?;
                    Some(NewClaimLine {
                        apprentice_id: a.id,
                        level: level.code().to_owned(),
                        amount_fen: config.amount(year, level).fen(),
                    })
                })
                .collect();
            let ctx = app.audit_ctx(&viewer, &addr);
            let claim = NewClaim {
                id: Uuid::now_v7(),
                enterprise_id: enterprise,
                year,
                lines,
            };
            match app.store.submit_claim(&ctx, claim).await {
                Ok(c) => {
                    return Ok(
                        Redirect::to(&format!("/services/subsidies/claims/{}", c.id))
                            .into_response(),
                    )
                }
                Err(StoreError::Conflict { field: "person_year" }) => {
                    errors.push(FieldError::new(
                        "apprentice",
                        "所选学徒中有人本年度刚在其他申报中申领补贴，同一人每年只能申领一次，请刷新页面后重新选择",
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    claim_form(&app, chrome, enterprise, year_text, &chosen, errors).await
}

/// A line as the claim page shows it.
#[derive(Debug, Clone)]
pub struct LineView {
    pub apprentice_id: Uuid,
    pub name: String,
    pub id_number: String,
    pub level: String,
    pub amount: String,
    pub status: &'static str,
    pub pending: bool,
    pub refused: bool,
    pub reason: String,
    pub decided: String,
}

impl LineView {
    fn of(l: &ClaimLine) -> LineView {
        let status = LineStatus::from_code(&l.status);
        LineView {
            apprentice_id: l.apprentice_id,
            name: l.name.clone(),
            id_number: masked(&l.id_number),
            level: level_label(&l.level).to_owned(),
            amount: yuan(l.amount_fen),
            status: status.map_or("—", LineStatus::label),
            pending: status == Some(LineStatus::Pending),
            refused: status == Some(LineStatus::Refused),
            reason: l.reason.clone(),
            decided: match l.decided_at {
                Some(t) => format!("{} {}", show_time(Some(t)), l.decided_by),
                None => String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "services/subsidies_claim.html")]
struct ClaimPage {
    chrome: Chrome,
    c: ClaimRow,
    credit_code: String,
    submitted_by: String,
    lines: Vec<LineView>,
    reviewer: bool,
    errors: Vec<FieldError>,
}

async fn claim_for(
    app: &AppState,
    party: Party,
    id: &str,
) -> Result<(Claim, Vec<ClaimLine>), AppError> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    app.store
        .claim(id)
        .await?
        .filter(|(c, _)| party.sees(c.enterprise_id))
        .ok_or(AppError::NotFound)
}

fn claim_page(
    chrome: Chrome,
    party: Party,
    claim: &Claim,
    lines: &[ClaimLine],
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&ClaimPage {
        chrome: chrome.titled(
            format!("{} · {}年度学徒补贴申报", claim.enterprise_name, claim.year),
            "services",
        ),
        c: ClaimRow::of(claim),
        credit_code: claim.credit_code.clone(),
        submitted_by: claim.submitted_by.clone(),
        lines: lines.iter().map(LineView::of).collect(),
        reviewer: party == Party::Staff,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/subsidies/claims/{id}`
pub async fn claim(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let (claim, lines) = claim_for(&app, party, &id).await?;
    claim_page(chrome, party, &claim, &lines, Vec::new())
}

/// A reviewer's decision, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub apprentice: String,
    /// `approve` or `refuse`.
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /services/subsidies/claims/{id}/decide`: approves a line after
/// checking its eligibility again, or refuses it with a reason.
pub async fn decide(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<DecideForm>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    if party != Party::Staff {
        return Err(AppError::Forbidden.into());
    }
    let (claim, lines) = claim_for(&app, party, &id).await?;
    let line = Uuid::parse_str(form.apprentice.trim())
        .ok()
        .and_then(|a| lines.iter().find(|l| l.apprentice_id == a))
        .ok_or(AppError::NotFound)?;
    let checked = match Decision::parse(form.decision.trim(), &form.reason) {
        Ok(Decision::Approve) => {
            let a = app
                .store
                .apprentice(line.apprentice_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let claimed = !app
                .store
                .claimed_people(
                    claim.year,
                    std::slice::from_ref(&a.id_number),
                    Some(claim.id),
                )
                .await?
                .is_empty();
            Decision::Approve.checked(&eligibility(&facts(&a), claim.year, claimed))
        }
        other => other,
    };
    let error = match checked {
        Ok(decision) => {
            let (status, reason) = match decision {
                Decision::Approve => ("approved", String::new()),
                Decision::Refuse(reason) => ("refused", reason),
            };
            let ctx = app.audit_ctx(&viewer, &addr);
            let result = app
                .store
                .decide_line(
                    &ctx,
                    LineDecision {
                        claim_id: claim.id,
                        apprentice_id: line.apprentice_id,
                        status: status.to_owned(),
                        reason,
                    },
                )
                .await;
            match result {
                Ok(_) => {
                    return Ok(
                        Redirect::to(&format!("/services/subsidies/claims/{}", claim.id))
                            .into_response(),
                    )
                }
                Err(StoreError::Conflict { field: "status" }) => {
                    format!("{}：该条已审核，不能重复审核", line.name)
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => format!("{}：{e}", line.name),
    };
    claim_page(
        chrome,
        party,
        &claim,
        &lines,
        vec![FieldError::new("decision", error)],
    )
}

/// A payment list's year.
fn payment_year(app: &AppState, q: &YearQuery) -> Result<i32, AppError> {
    match q.year.trim() {
        "" => Ok(this_year(app) - 1),
        text => text
            .parse::<i32>()
            .ok()
            .filter(|y| (FIRST_YEAR..=this_year(app)).contains(y))
            .ok_or_else(|| {
                AppError::field("year", format!("年度应为 {FIRST_YEAR} 年至今年之间的年份"))
            }),
    }
}

/// One enterprise's sum on the payment list.
#[derive(Debug, Clone)]
pub struct PaymentSum {
    pub enterprise_name: String,
    pub credit_code: String,
    pub people: usize,
    pub amount: String,
}

/// One line of the payment list as the page shows it.
#[derive(Debug, Clone)]
pub struct PaymentView {
    pub enterprise_name: String,
    pub name: String,
    pub id_number: String,
    pub level: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "services/subsidies_payments.html")]
struct PaymentsPage {
    chrome: Chrome,
    year: i32,
    sums: Vec<PaymentSum>,
    lines: Vec<PaymentView>,
    people: usize,
    total: String,
}

fn sums(lines: &[PaymentLine]) -> Vec<PaymentSum> {
    let mut out: Vec<(PaymentSum, i64)> = Vec::new();
    for l in lines {
        match out.iter_mut().find(|(s, _)| s.credit_code == l.credit_code) {
            Some((s, fen)) => {
                s.people += 1;
                *fen += l.amount_fen;
            }
            None => out.push((
                PaymentSum {
                    enterprise_name: l.enterprise_name.clone(),
                    credit_code: l.credit_code.clone(),
                    people: 1,
                    amount: String::new(),
                },
                l.amount_fen,
            )),
        }
    }
    out.into_iter()
        .map(|(mut s, fen)| {
            s.amount = yuan(fen);
            s
        })
        .collect()
}

/// `GET /services/subsidies/payments?year=`
pub async fn payments(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = payment_year(&app, &q)?;
    let lines = app.store.payment_list(year).await?;
    let total: i64 = lines.iter().map(|l| l.amount_fen).sum();
    render(&PaymentsPage {
        chrome: chrome.titled(format!("{year}年度学徒补贴发放名单"), "services"),
        year,
        sums: sums(&lines),
        people: lines.len(),
        total: yuan(total),
        lines: lines
            .iter()
            .map(|l| PaymentView {
                enterprise_name: l.enterprise_name.clone(),
                name: l.name.clone(),
                id_number: masked(&l.id_number),
                level: level_label(&l.level).to_owned(),
                amount: yuan(l.amount_fen),
            })
            .collect(),
    })
}

/// `GET /services/subsidies/payments.xlsx?year=`: whole ID numbers, for
/// the bureau's payment (audited).
pub async fn payments_xlsx(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = payment_year(&app, &q)?;
    let lines = app.store.payment_list(year).await?;
    let total: i64 = lines.iter().map(|l| l.amount_fen).sum();
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store
        .audit(
            &ctx,
            NewAudit::new("subsidy.export", "subsidy_year", year.to_string())
                .with_detail(json!({ "year": year, "lines": lines.len(), "total_fen": total })),
        )
        .await?;
    let bytes = payment_workbook(year, &lines)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"subsidy-payments-{year}.xlsx\""),
            ),
            (header::CACHE_CONTROL, "no-store, private".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The payment list as a workbook: one row per person, amounts in yuan as
/// numbers with two decimals, and a total row.
pub fn payment_workbook(
    year: i32,
    lines: &[PaymentLine],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name(format!("{year}年度发放名单"))?;
    let headers = [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "学徒姓名",
        "公民身份号码",
        "技能等级",
        "补贴金额（元）",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let mut total = 0i64;
    for (i, l) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, r as f64)?;
        sheet.write_string(r, 1, &l.enterprise_name)?;
        sheet.write_string(r, 2, &l.credit_code)?;
        sheet.write_string(r, 3, &l.name)?;
        sheet.write_string(r, 4, &l.id_number)?;
        sheet.write_string(r, 5, level_label(&l.level))?;
        // Printed from fen: the cell shows exactly the amount paid.
        sheet.write_number_with_format(r, 6, fen_as_yuan(l.amount_fen), &money)?;
        total += l.amount_fen;
    }
    let r = lines.len() as u32 + 1;
    sheet.write_string_with_format(r, 1, "合计", &bold)?;
    sheet.write_string(r, 3, format!("{} 人", lines.len()))?;
    sheet.write_number_with_format(r, 6, fen_as_yuan(total), &money)?;
    sheet.autofit();
    book.save_to_buffer()
}

/// Fen as a spreadsheet number of yuan; exact for any amount below 2^53
/// fen, far beyond a year's subsidies.
fn fen_as_yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}
