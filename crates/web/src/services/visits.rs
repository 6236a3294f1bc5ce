//! Enterprise visits (千企询访) on the web: the bureau's service staff plan
//! visits, record them with their findings, turn a finding into an
//! enterprise request, and read the year's coverage. The rules are
//! `yiwang_services::visits`; storage is `yiwang_store::visits`.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/visits` | service staff, admin | visits searched by number, enterprise name or credit code, by state, only the viewer's; 20 a page |
//! | `GET /services/visits/new`, `POST /services/visits` | service staff | plan a visit: enterprise (by credit code), day, staff, purpose |
//! | `GET /services/visits/{id}` | service staff, admin | the visit, its staff and findings, each with its request |
//! | `POST /services/visits/{id}/cancel` | service staff | cancel a plan with a reason |
//! | `GET /services/visits/{id}/record`, `POST /services/visits/{id}/record` | service staff | record the visit, or correct it within `EDIT_DAYS` days |
//! | `POST /services/visits/{id}/findings/{finding}/convert` | service staff | turn a finding into a request (转为诉求) |
//! | `GET /services/visits/coverage`, `GET /services/visits/coverage.xlsx` | service staff, admin | a year's coverage: each enterprise's visits, who went, the last day; those not yet visited |
//!
//! Visits name enterprises, staff and the people met at the enterprise
//! (a name and a post, no numbers); nothing on them is masked.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_services::visits::{
    check_plan, check_reason, check_record, editable_until, finding_request, may_cancel,
    may_convert, may_record, year_window, FindingInput, Problem, Refusal, VisitState, EDIT_DAYS,
    FINDINGS_MAX,
};
use yiwang_store::requests::{NewPart, NewRequest};
use yiwang_store::visits::{
    CoverageQuery, CoverageRow, NewFinding, NewVisit, VisitDetail, VisitQuery, VisitRecord,
    VisitRow,
};
use yiwang_store::{Page, StoreError, User, UserQuery};

use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Who reads visits and coverage.
pub const READERS: &[Role] = &[Role::ServiceStaff, Role::Admin];
/// Who plans, records and converts.
pub const STAFF: &[Role] = &[Role::ServiceStaff];

/// Lines per page.
pub const PAGE_SIZE: u32 = 20;

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
}

fn page_number(text: &str) -> u32 {
    text.trim().parse::<u32>().unwrap_or(1).max(1)
}

fn show_date(at: Option<i64>) -> String {
    at.map(|t| Timestamp::from_micros(t).format_cn_date())
        .unwrap_or_else(|| "—".to_owned())
}

fn date_input(at: Option<i64>) -> String {
    at.map(|t| {
        let d = Timestamp::from_micros(t).shanghai_date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    })
    .unwrap_or_default()
}

fn refused(r: Refusal) -> AppError {
    AppError::Conflict {
        field: r.code().to_owned(),
        message: r.to_string(),
    }
}

fn problems(list: Vec<Problem>) -> Vec<FieldError> {
    list.iter()
        .map(|p| FieldError::new(p.field(), p.to_string()))
        .collect()
}

fn state_of(v: &VisitRow) -> VisitState {
    VisitState::from_code(&v.state).unwrap_or(VisitState::Planned)
}

/// The service staff who may go on visits, by name.
async fn service_staff(app: &AppState) -> Result<Vec<User>, AppError> {
    let mut users = app
        .store
        .list_users(
            &UserQuery {
                role: Some(Role::ServiceStaff),
                search: None,
                active: Some(true),
            },
            Page::number(1, Page::MAX_LIMIT),
        )
        .await?
        .items;
    users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(users)
}

/// The staff chosen on a form, kept to active service staff.
fn chosen_staff(fields: &[(String, String)], staff: &[User]) -> Vec<Uuid> {
    let mut out = Vec::new();
    for (k, v) in fields {
        if k == "staff" {
            if let Ok(id) = Uuid::parse_str(v.trim()) {
                if staff.iter().any(|u| u.id == id) && !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A staff member as a form's checkbox.
#[derive(Debug, Clone)]
pub struct StaffChoice {
    pub id: Uuid,
    pub name: String,
    pub checked: bool,
}

fn staff_choices(staff: &[User], chosen: &[Uuid]) -> Vec<StaffChoice> {
    staff
        .iter()
        .map(|u| StaffChoice {
            id: u.id,
            name: u.display_name.clone(),
            checked: chosen.contains(&u.id),
        })
        .collect()
}

/// A visit as lists show it.
#[derive(Debug, Clone)]
pub struct VisitLine {
    pub id: Uuid,
    pub number: String,
    pub enterprise: String,
    pub credit_code: String,
    pub planned: String,
    pub visited: String,
    pub staff: String,
    pub state: &'static str,
    pub findings: i64,
    pub converted: i64,
}

impl VisitLine {
    fn of(v: &VisitRow) -> VisitLine {
        VisitLine {
            id: v.id,
            number: v.number.clone(),
            enterprise: v.enterprise_name.clone(),
            credit_code: v.credit_code.clone(),
            planned: show_date(Some(v.planned_on)),
            visited: show_date(v.visited_on),
            staff: v.staff_names.clone(),
            state: state_of(v).label(),
            findings: v.findings,
            converted: v.converted,
        }
    }
}

/// The list's filters, as the form sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub state: String,
    /// `1`: only the viewer's visits.
    #[serde(default)]
    pub mine: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub ok: String,
}

#[derive(Template)]
#[template(path = "services/visits.html")]
struct ListPage {
    chrome: Chrome,
    f: VisitFilter,
    states: Vec<(&'static str, &'static str)>,
    total: u64,
    rows: Vec<VisitLine>,
    pager: String,
    is_staff: bool,
}

/// `GET /services/visits`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<VisitFilter>,
) -> Result<Response, PageError> {
    let user = viewer.require()?.user.clone();
    let q = f.q.trim();
    let query = VisitQuery {
        enterprise_id: None,
        state: VisitState::from_code(f.state.trim()).map(|s| s.code().to_owned()),
        staff_id: (f.mine == "1").then_some(user.id),
        search: (!q.is_empty()).then(|| q.chars().take(50).collect()),
    };
    let page = page_number(&f.page);
    let found = app
        .store
        .list_visits(&query, Page::number(page, PAGE_SIZE))
        .await?;
    render(&ListPage {
        chrome: chrome.titled("千企询访", "services"),
        pager: pager(
            "/services/visits",
            &[
                ("q", q.to_owned()),
                ("state", f.state.trim().to_owned()),
                ("mine", f.mine.trim().to_owned()),
            ],
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found.items.iter().map(VisitLine::of).collect(),
        states: VisitState::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        is_staff: user.role == Role::ServiceStaff,
        f,
    })
}

/// The plan form as sent.
#[derive(Debug, Clone, Default)]
pub struct PlanForm {
    pub enterprise: String,
    pub planned_on: String,
    pub purpose: String,
}

#[derive(Template)]
#[template(path = "services/visits_new.html")]
struct PlanPage {
    chrome: Chrome,
    form: PlanForm,
    staff: Vec<StaffChoice>,
    errors: Vec<FieldError>,
}

/// What `GET /services/visits/new` may be told.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewQuery {
    /// An enterprise's id: its credit code is filled in.
    #[serde(default)]
    pub enterprise: String,
}

/// `GET /services/visits/new`
pub async fn new_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let me = viewer.require()?.user.id;
    let mut form = PlanForm::default();
    if let Ok(id) = Uuid::parse_str(q.enterprise.trim()) {
        if let Some(e) = app.store.enterprise(id).await? {
            form.enterprise = e.credit_code;
        }
    }
    let staff = service_staff(&app).await?;
    render(&PlanPage {
        chrome: chrome.titled("计划走访", "services"),
        form,
        staff: staff_choices(&staff, &[me]),
        errors: Vec::new(),
    })
}

/// `POST /services/visits`
pub async fn create(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let staff = service_staff(&app).await?;
    let chosen = chosen_staff(&fields, &staff);
    let form = PlanForm {
        enterprise: field(&fields, "enterprise").trim().to_owned(),
        planned_on: field(&fields, "planned_on").trim().to_owned(),
        purpose: field(&fields, "purpose").to_owned(),
    };
    let today = app.clock.now().shanghai_date();
    let mut errors = Vec::new();
    let enterprise = if form.enterprise.is_empty() {
        errors.push(FieldError::new(
            "enterprise",
            Problem::NoEnterprise.to_string(),
        ));
        None
    } else {
        let code = form.enterprise.to_uppercase();
        let found = app.store.enterprise_by_credit_code(&code).await?;
        if found.is_none() {
            errors.push(FieldError::new(
                "enterprise",
                format!("没有统一社会信用代码为 {code} 的注册企业，请核对"),
            ));
        }
        found
    };
    let checked = match check_plan(&form.planned_on, chosen.len(), &form.purpose, today) {
        Ok(c) => Some(c),
        Err(p) => {
            errors.extend(problems(p));
            None
        }
    };
    match (enterprise, checked) {
        (Some(e), Some(plan)) if errors.is_empty() => {
            let ctx = app.audit_ctx(&viewer, &addr);
            let row = app
                .store
                .plan_visit(
                    &ctx,
                    NewVisit {
                        id: Uuid::now_v7(),
                        enterprise_id: e.id,
                        planned_on: plan.planned_on,
                        purpose: plan.purpose,
                        staff: chosen,
                    },
                )
                .await?;
            Ok(Redirect::to(&format!("/services/visits/{}?ok=plan", row.id)).into_response())
        }
        _ => {
            let mut page = render(&PlanPage {
                chrome: chrome.titled("计划走访", "services"),
                staff: staff_choices(&staff, &chosen),
                form,
                errors,
            })?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

/// A finding as the visit page shows it.
#[derive(Debug, Clone)]
pub struct FindingView {
    pub id: Uuid,
    pub seq: i64,
    pub kind: String,
    pub text: String,
    pub request_id: Option<Uuid>,
    pub request_number: String,
    pub may_convert: bool,
}

#[derive(Template)]
#[template(path = "services/visits_show.html")]
struct ShowPage {
    chrome: Chrome,
    v: VisitLine,
    purpose: String,
    people_met: String,
    cancel_reason: String,
    cancelled_at: String,
    staff: Vec<(String, String)>,
    findings: Vec<FindingView>,
    may_cancel: bool,
    may_record: bool,
    /// Until when the record may be corrected, when it is recorded.
    editable_until: String,
    notice: &'static str,
    reason: String,
    errors: Vec<FieldError>,
}

async fn load(app: &AppState, id: &str) -> Result<VisitDetail, AppError> {
    app.store
        .visit(parse_id(id)?)
        .await?
        .ok_or(AppError::NotFound)
}

fn show_page(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    d: VisitDetail,
    notice: &'static str,
    reason: String,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let is_staff = viewer.role() == Some(Role::ServiceStaff);
    let state = state_of(&d.visit);
    let now = app.clock.now().micros();
    let findings = d
        .findings
        .iter()
        .map(|f| FindingView {
            id: f.id,
            seq: f.seq,
            kind: app.requests.category_name(&f.category).to_owned(),
            text: f.text.clone(),
            request_id: f.request_id,
            request_number: f.request_number.clone().unwrap_or_default(),
            may_convert: is_staff && may_convert(state, f.request_id.is_some()).is_ok(),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let v = &d.visit;
    let mut page = render(&ShowPage {
        chrome: chrome.titled(format!("走访 {}", v.number), "services"),
        v: VisitLine::of(v),
        purpose: v.purpose.clone(),
        people_met: v.people_met.clone(),
        cancel_reason: v.cancel_reason.clone(),
        cancelled_at: show_time(v.cancelled_at),
        staff: d
            .staff
            .iter()
            .map(|s| (s.name.clone(), s.phone.clone().unwrap_or_default()))
            .collect(),
        findings,
        may_cancel: is_staff && may_cancel(state).is_ok(),
        may_record: is_staff && may_record(state, v.recorded_at, now).is_ok(),
        editable_until: v
            .recorded_at
            .map(|at| show_time(Some(editable_until(at))))
            .unwrap_or_default(),
        notice,
        reason,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/visits/{id}`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(f): Query<VisitFilter>,
) -> Result<Response, PageError> {
    let d = load(&app, &id).await?;
    let notice = match f.ok.as_str() {
        "plan" => "走访计划已登记",
        "record" => "走访情况已登记",
        "cancel" => "走访计划已取消",
        "convert" => "已转为诉求，并分派到责任部门",
        _ => "",
    };
    show_page(&app, chrome, &viewer, d, notice, String::new(), Vec::new())
}

/// The cancellation form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    pub reason: String,
}

/// `POST /services/visits/{id}/cancel`
pub async fn cancel(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<CancelForm>,
) -> Result<Response, PageError> {
    let d = load(&app, &id).await?;
    may_cancel(state_of(&d.visit)).map_err(refused)?;
    let reason = match check_reason(&form.reason) {
        Ok(r) => r,
        Err(p) => {
            let errors = problems(vec![p]);
            return show_page(&app, chrome, &viewer, d, "", form.reason, errors);
        }
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    match app.store.cancel_visit(&ctx, d.visit.id, &reason).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => return Err(refused(Refusal::AlreadyRecorded).into()),
        Err(e) => return Err(AppError::from(e).into()),
    }
    Ok(Redirect::to(&format!("/services/visits/{}?ok=cancel", d.visit.id)).into_response())
}

/// The record form as sent, kept when refused.
#[derive(Debug, Clone, Default)]
pub struct RecordForm {
    pub visited_on: String,
    pub people_met: String,
    pub findings: Vec<FindingInput>,
}

#[derive(Template)]
#[template(path = "services/visits_record.html")]
struct RecordPage {
    chrome: Chrome,
    v: VisitLine,
    form: RecordForm,
    /// Findings already turned into requests: kept as they are.
    kept: Vec<FindingView>,
    staff: Vec<StaffChoice>,
    kinds: Vec<(String, String)>,
    edit_days: i64,
    errors: Vec<FieldError>,
}

fn kinds(app: &AppState) -> Vec<(String, String)> {
    app.requests
        .categories
        .iter()
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect()
}

fn kept(app: &AppState, d: &VisitDetail) -> Vec<FindingView> {
    d.findings
        .iter()
        .filter(|f| f.request_id.is_some())
        .map(|f| FindingView {
            id: f.id,
            seq: f.seq,
            kind: app.requests.category_name(&f.category).to_owned(),
            text: f.text.clone(),
            request_id: f.request_id,
            request_number: f.request_number.clone().unwrap_or_default(),
            may_convert: false,
        })
        .collect()
}

fn record_page(
    app: &AppState,
    chrome: Chrome,
    d: &VisitDetail,
    mut form: RecordForm,
    staff: Vec<StaffChoice>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let kept = kept(app, d);
    // Three blank rows to add findings, up to the limit.
    let room = FINDINGS_MAX.saturating_sub(kept.len() + form.findings.len());
    for _ in 0..room.min(3) {
        form.findings.push(FindingInput::default());
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&RecordPage {
        chrome: chrome.titled(format!("登记走访情况 {}", d.visit.number), "services"),
        v: VisitLine::of(&d.visit),
        form,
        kept,
        staff,
        kinds: kinds(app),
        edit_days: EDIT_DAYS,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/visits/{id}/record`
pub async fn record_form(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let d = load(&app, &id).await?;
    may_record(
        state_of(&d.visit),
        d.visit.recorded_at,
        app.clock.now().micros(),
    )
    .map_err(refused)?;
    let chosen: Vec<Uuid> = d.staff.iter().map(|s| s.user_id).collect();
    let staff = service_staff(&app).await?;
    let form = RecordForm {
        visited_on: date_input(d.visit.visited_on.or(Some(d.visit.planned_on))),
        people_met: d.visit.people_met.clone(),
        findings: d
            .findings
            .iter()
            .filter(|f| f.request_id.is_none())
            .map(|f| FindingInput {
                kind: f.category.clone(),
                text: f.text.clone(),
            })
            .collect(),
    };
    record_page(
        &app,
        chrome,
        &d,
        form,
        staff_choices(&staff, &chosen),
        Vec::new(),
    )
}

/// `POST /services/visits/{id}/record`
pub async fn record(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let d = load(&app, &id).await?;
    let now = app.clock.now();
    may_record(state_of(&d.visit), d.visit.recorded_at, now.micros()).map_err(refused)?;
    let staff = service_staff(&app).await?;
    let chosen = chosen_staff(&fields, &staff);
    let mut findings = Vec::new();
    for i in 0..FINDINGS_MAX * 2 {
        let (kind, text) = (
            field(&fields, &format!("kind_{i}")),
            field(&fields, &format!("text_{i}")),
        );
        if fields
            .iter()
            .any(|(k, _)| *k == format!("kind_{i}") || *k == format!("text_{i}"))
        {
            findings.push(FindingInput {
                kind: kind.to_owned(),
                text: text.to_owned(),
            });
        }
    }
    let form = RecordForm {
        visited_on: field(&fields, "visited_on").trim().to_owned(),
        people_met: field(&fields, "people_met").to_owned(),
        findings,
    };
    let kept_count = d.findings.iter().filter(|f| f.request_id.is_some()).count();
    let checked = match check_record(
        &form.visited_on,
        &form.people_met,
        chosen.len(),
        &form.findings,
        kept_count,
        &app.requests,
        now.shanghai_date(),
    ) {
        Ok(c) => c,
        Err(p) => {
            let choices = staff_choices(&staff, &chosen);
            return record_page(&app, chrome, &d, form, choices, problems(p));
        }
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    let result = app
        .store
        .record_enterprise_visit(
            &ctx,
            d.visit.id,
            VisitRecord {
                visited_on: checked.visited_on,
                people_met: checked.people_met,
                staff: chosen,
                findings: checked
                    .findings
                    .into_iter()
                    .map(|(category, text)| NewFinding {
                        id: Uuid::now_v7(),
                        category,
                        text,
                    })
                    .collect(),
            },
            ctx.at - EDIT_DAYS * 86_400_000_000,
        )
        .await;
    match result {
        Ok(()) => {}
        Err(StoreError::Conflict { field: "state" }) => {
            return Err(refused(Refusal::Cancelled).into())
        }
        Err(StoreError::Conflict { .. }) => return Err(refused(Refusal::EditWindowClosed).into()),
        Err(e) => return Err(AppError::from(e).into()),
    }
    Ok(Redirect::to(&format!("/services/visits/{}?ok=record", d.visit.id)).into_response())
}

/// `POST /services/visits/{id}/findings/{finding}/convert`: the finding
/// becomes a request routed as if the enterprise had submitted it.
pub async fn convert(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path((id, finding)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = viewer.require()?.user.clone();
    let d = load(&app, &id).await?;
    let finding_id = parse_id(&finding)?;
    let f = d
        .findings
        .iter()
        .find(|f| f.id == finding_id)
        .ok_or(AppError::NotFound)?;
    may_convert(state_of(&d.visit), f.request_id.is_some()).map_err(refused)?;
    let enterprise = app
        .store
        .enterprise(d.visit.enterprise_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let ctx = app.audit_ctx(&viewer, &addr);
    let at = Timestamp::from_micros(ctx.at);
    let parts = app
        .requests
        .route(&f.category, at, &app.calendar)
        .map_err(|e| AppError::Conflict {
            field: "category".to_owned(),
            message: e.to_string(),
        })?
        .into_iter()
        .map(|r| NewPart {
            department: r.department,
            assigned_at: ctx.at,
            due_at: r.due_at.micros(),
        })
        .collect();
    let (title, content) = finding_request(
        &d.visit.number,
        d.visit.visited_on.unwrap_or(d.visit.planned_on),
        &enterprise.name,
        &f.text,
    );
    let result = app
        .store
        .convert_finding(
            &ctx,
            finding_id,
            NewRequest {
                id: Uuid::now_v7(),
                enterprise_id: enterprise.id,
                enterprise_name: enterprise.name,
                submitter_id: user.id,
                category: f.category.clone(),
                title,
                content,
                contact_name: enterprise.contact_name,
                contact_phone: enterprise.contact_phone,
                share_contact: false,
                submitted_at: ctx.at,
                parts,
            },
        )
        .await;
    match result {
        Ok(_) => {}
        Err(StoreError::Conflict { .. }) => return Err(refused(Refusal::AlreadyConverted).into()),
        Err(e) => return Err(AppError::from(e).into()),
    }
    Ok(Redirect::to(&format!("/services/visits/{}?ok=convert", d.visit.id)).into_response())
}

/// The coverage report's filters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CoverageFilter {
    /// The year; this year when empty.
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub q: String,
    /// `visited`, `unvisited` or empty for all.
    #[serde(default)]
    pub show: String,
    #[serde(default)]
    pub page: String,
}

impl CoverageFilter {
    fn year(&self, app: &AppState) -> Result<(i32, i64, i64), AppError> {
        let year = match self.year.trim() {
            "" => app.clock.now().shanghai_date().year(),
            text => text
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| AppError::field("year", "年度应为 2000 至 2100 之间的四位数字"))?,
        };
        let (from, to) = year_window(year)
            .ok_or_else(|| AppError::field("year", "年度应为 2000 至 2100 之间的四位数字"))?;
        Ok((year, from, to))
    }

    fn query(&self, from: i64, to: i64) -> CoverageQuery {
        let q = self.q.trim();
        CoverageQuery {
            from,
            to,
            search: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            visited: match self.show.as_str() {
                "visited" => Some(true),
                "unvisited" => Some(false),
                _ => None,
            },
        }
    }
}

/// A coverage row as shown.
#[derive(Debug, Clone)]
pub struct CoverageLine {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub visits: i64,
    pub last: String,
    pub staff: String,
}

impl CoverageLine {
    fn of(r: &CoverageRow) -> CoverageLine {
        CoverageLine {
            id: r.enterprise_id,
            name: r.name.clone(),
            credit_code: r.credit_code.clone(),
            visits: r.visits,
            last: show_date(r.last_visited_on),
            staff: r.staff_names.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "services/visits_coverage.html")]
struct CoveragePage {
    chrome: Chrome,
    f: CoverageFilter,
    year: i32,
    enterprises: u64,
    visited: u64,
    unvisited: u64,
    visits: i64,
    findings: i64,
    converted: i64,
    months: Vec<(String, i64, i64, i64)>,
    total: u64,
    rows: Vec<CoverageLine>,
    pager: String,
}

/// `GET /services/visits/coverage?year=&q=&show=`
pub async fn coverage(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(f): Query<CoverageFilter>,
) -> Result<Response, PageError> {
    let (year, from, to) = f.year(&app)?;
    let page = page_number(&f.page);
    let found = app
        .store
        .visit_coverage(&f.query(from, to), Page::number(page, PAGE_SIZE * 2))
        .await?;
    let everyone = app
        .store
        .visit_coverage(
            &CoverageQuery {
                from,
                to,
                search: None,
                visited: None,
            },
            Page::number(1, 1),
        )
        .await?
        .total;
    let stats = app.store.visit_stats(from, to).await?;
    render(&CoveragePage {
        chrome: chrome.titled(format!("{year} 年千企询访覆盖情况"), "services"),
        pager: pager(
            "/services/visits/coverage",
            &[
                ("year", year.to_string()),
                ("q", f.q.trim().to_owned()),
                ("show", f.show.trim().to_owned()),
            ],
            page,
            PAGE_SIZE * 2,
            found.total,
        ),
        year,
        enterprises: everyone,
        visited: stats.enterprises.max(0) as u64,
        unvisited: everyone.saturating_sub(stats.enterprises.max(0) as u64),
        visits: stats.visits,
        findings: stats.findings,
        converted: stats.converted,
        months: stats
            .by_month
            .iter()
            .map(|m| (m.month.clone(), m.visits, m.enterprises, m.findings))
            .collect(),
        total: found.total,
        rows: found.items.iter().map(CoverageLine::of).collect(),
        f,
    })
}

/// `GET /services/visits/coverage.xlsx?year=&q=&show=`: every row.
pub async fn coverage_xlsx(
    State(app): State<AppState>,
    Query(f): Query<CoverageFilter>,
) -> Result<Response, PageError> {
    let (year, from, to) = f.year(&app)?;
    let query = f.query(from, to);
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let found = app
            .store
            .visit_coverage(&query, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let n = found.items.len();
        rows.extend(found.items);
        if n == 0 || rows.len() as u64 >= found.total {
            break;
        }
        page += 1;
    }
    let bytes = coverage_workbook(year, &rows)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"visit-coverage-{year}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The coverage report as a workbook: one row per enterprise.
pub fn coverage_workbook(
    year: i32,
    rows: &[CoverageRow],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("走访覆盖")?;
    sheet.write_string_with_format(0, 0, format!("{year} 年千企询访覆盖情况"), &bold)?;
    for (c, h) in [
        "企业名称",
        "统一社会信用代码",
        "走访次数",
        "最近走访日期",
        "走访人员",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        sheet.write_string(row, 0, &r.name)?;
        sheet.write_string(row, 1, &r.credit_code)?;
        sheet.write_number(row, 2, r.visits as f64)?;
        sheet.write_string(
            row,
            3,
            if r.visits > 0 {
                show_date(r.last_visited_on)
            } else {
                "未走访".to_owned()
            },
        )?;
        sheet.write_string(row, 4, &r.staff_names)?;
    }
    sheet.autofit();
    book.save_to_buffer()
}
