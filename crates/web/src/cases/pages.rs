//! The grid event pages: report forms (staff and residents), work lists,
//! the case page and its action forms. The module above explains the
//! workflow glue; these handlers only read forms and render.

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;
use uuid::Uuid;
use yiwang_cases::{Action, CaseState, DuplicateRule, Refusal, Report, Stage, Verdict};
use yiwang_core::{Role, Timestamp};
use yiwang_store::cases::{CaseQuery, CaseRow};
use yiwang_store::Page;

use super::scope::Scope;
use super::{actor_for, duty_of, is_grid_code, parse_point, replay, workflow_roles, Reporter};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{render, show_time, Chrome};
use crate::AppState;

/// A category as the forms list it.
#[derive(Debug)]
pub struct CategoryOption {
    pub code: String,
    pub name: String,
}

/// A possible duplicate shown before filing.
#[derive(Debug)]
pub struct DuplicateView {
    pub number: String,
    pub stage: &'static str,
    pub address: String,
    pub distance_m: i64,
    pub reported: String,
}

#[derive(Template)]
#[template(path = "cases/report.html")]
struct ReportPage {
    chrome: Chrome,
    /// Staff form (`/grid/events/new`) or the residents' (`/grid/report`).
    staff: bool,
    action: &'static str,
    categories: Vec<CategoryOption>,
    form: ReportForm,
    errors: Vec<FieldError>,
    refusal: Option<&'static str>,
    duplicates: Vec<DuplicateView>,
    /// The number of the case just reported (residents' confirmation).
    done: Option<String>,
    /// Photos of an earlier submission of this form, kept on the server
    /// ([`ReportForm::held`]).
    held_photos: usize,
}

/// The report form's fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    pub grid_code: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub lat: String,
    /// Photo references, one a line.
    #[serde(default)]
    pub photos: String,
    /// "1" once the reporter has seen the possible duplicates.
    #[serde(default)]
    pub confirm: String,
    /// Ids of the photos sent with an earlier submission of this form that
    /// came back (a possible duplicate, a field to correct), kept on the
    /// server for the reporter so they need not be chosen again.
    #[serde(default)]
    pub held: String,
}

fn categories(app: &AppState) -> Vec<CategoryOption> {
    app.events
        .workflow
        .config()
        .categories
        .iter()
        .map(|c| CategoryOption {
            code: c.code.clone(),
            name: c.name.clone(),
        })
        .collect()
}

fn category_name(app: &AppState, code: &str) -> String {
    app.events
        .workflow
        .category(code)
        .map_or_else(|| code.to_owned(), |c| c.name.clone())
}

fn department_name(app: &AppState, code: Option<&str>) -> String {
    code.map_or_else(
        || "—".to_owned(),
        |c| {
            app.events
                .workflow
                .department(c)
                .map_or_else(|| c.to_owned(), |d| d.name.clone())
        },
    )
}

fn stage_label(code: &str) -> &'static str {
    Stage::ALL
        .iter()
        .find(|s| s.code() == code)
        .map_or("未知", |s| s.label())
}

fn report_page(app: &AppState, chrome: Chrome, staff: bool, form: ReportForm) -> ReportPage {
    ReportPage {
        chrome: chrome.titled(
            if staff {
                "上报事件"
            } else {
                "群众报事"
            },
            "grid",
        ),
        staff,
        action: if staff {
            "/grid/events/new"
        } else {
            "/grid/report"
        },
        categories: categories(app),
        form,
        errors: vec![],
        refusal: None,
        duplicates: vec![],
        done: None,
        held_photos: 0,
    }
}

fn unprocessable(page: &ReportPage) -> Result<Response, PageError> {
    let mut resp = render(page)?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

/// `GET /grid/events/new`
pub async fn new_form(State(app): State<AppState>, chrome: Chrome) -> Result<Response, PageError> {
    render(&report_page(&app, chrome, true, ReportForm::default()))
}

#[derive(Debug, Deserialize)]
pub struct GridQuery {
    #[serde(default)]
    grid: String,
}

/// `GET /grid/report`: the residents' form; `?grid=` comes from the door
/// sticker's QR code.
pub async fn resident_form(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<GridQuery>,
) -> Result<Response, PageError> {
    let form = ReportForm {
        grid_code: if is_grid_code(&q.grid) {
            q.grid
        } else {
            String::new()
        },
        ..Default::default()
    };
    render(&report_page(&app, chrome, false, form))
}

/// Open cases of the same category within 50 m and 7 days of the point.
async fn duplicates(
    app: &AppState,
    category: &str,
    point: yiwang_cases::Point,
    now: i64,
) -> Result<Vec<DuplicateView>, AppError> {
    let rule = DuplicateRule::default();
    let rows = app
        .store
        .open_cases_near(
            category,
            point.lng,
            point.lat,
            rule.radius_m,
            now - rule.window_micros + 1,
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let there = yiwang_cases::Point::new(r.lng?, r.lat?).ok()?;
            let d = point.distance_m(there);
            (d <= rule.radius_m).then(|| DuplicateView {
                number: r.number.clone(),
                stage: stage_label(&r.stage),
                address: r.address.clone(),
                distance_m: d.round() as i64,
                reported: show_time(Some(r.created_at)),
            })
        })
        .collect())
}

/// Checks the form, settles the grid, shows duplicates, and reports;
/// `Ok(Err(page))` is a page to show again. Grid staff pass `own_grids`:
/// they report only into the grids they work in.
async fn submit_report(
    app: &AppState,
    mut page: ReportPage,
    ctx: &yiwang_store::AuditCtx,
    reporter: Reporter,
    own_grids: Option<&[String]>,
    uploaded: Vec<yiwang_store::cases::NewPhoto>,
) -> Result<Result<yiwang_store::cases::CaseRow, ReportPage>, AppError> {
    let f = page.form.clone();
    let point = match parse_point(&f.lng, &f.lat) {
        Ok(p) => p,
        Err(AppError::Invalid(mut e)) => {
            page.errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    if !page.errors.is_empty() {
        return Ok(Err(page));
    }
    let grid_code = match super::resolve_grid(app, &f.grid_code, point).await? {
        Ok(code) => code,
        Err(message) => {
            page.errors.push(FieldError::new("grid_code", message));
            return Ok(Err(page));
        }
    };
    if let Some(own) = own_grids {
        if !own.contains(&grid_code) {
            page.errors.push(FieldError::new(
                "grid_code",
                "只能上报本人所在网格的事件，请核对网格编码或位置",
            ));
            return Ok(Err(page));
        }
    }
    page.form.grid_code = grid_code.clone();
    if let (Some(p), false) = (point, f.confirm == "1") {
        page.duplicates = duplicates(app, f.category.trim(), p, ctx.at).await?;
        if !page.duplicates.is_empty() {
            return Ok(Err(page));
        }
    }
    let report = Report {
        category: f.category.trim().to_owned(),
        description: f.description.trim().to_owned(),
        address: f.address.trim().to_owned(),
        area: grid_code,
        point,
        photos: f
            .photos
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .chain(uploaded.iter().map(|p| super::photos::photo_url(p.id)))
            .collect(),
    };
    match super::report(app, ctx, reporter, report, uploaded).await? {
        Ok(row) => Ok(Ok(row)),
        Err(refusal) => {
            page.refusal = Some(refusal.message_zh());
            Ok(Err(page))
        }
    }
}

/// `POST /grid/events/new`: a plain form, or multipart with photos.
pub async fn new_submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    req: Request,
) -> Result<Response, PageError> {
    let me = viewer.require()?;
    let uploader = me.user.id.to_string();
    let (form, uploaded) = super::photos::read_form::<ReportForm>(&app, req, &uploader).await?;
    let ctx = app.audit_ctx(&viewer, &addr);
    // The photos of an earlier submission first, then those chosen now.
    let held_ids: Vec<Uuid> = form
        .held
        .split_whitespace()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .take(super::photos::MAX_PHOTOS)
        .collect();
    let mut photos = app.store.held_photos(&uploader, &held_ids).await?;
    if photos.len() + uploaded.len() > super::photos::MAX_PHOTOS {
        return Err(AppError::field(
            "photo",
            format!(
                "每次上报最多 {} 张照片，已保留 {} 张，请少选几张后再提交",
                super::photos::MAX_PHOTOS,
                photos.len()
            ),
        )
        .into());
    }
    let chosen_now = uploaded.clone();
    photos.extend(uploaded);
    let reporter = Reporter {
        actor: actor_for(&app.events, &app.config.grid_events, &me.user, "report"),
        kind: "staff",
        account: Some(me.user.id.to_string()),
    };
    let own = super::scope::assigned_grids(&app, &me.user).await?;
    let page = report_page(&app, chrome, true, form);
    let ids: Vec<String> = photos.iter().map(|p| p.id.to_string()).collect();
    match submit_report(&app, page, &ctx, reporter, Some(&own), photos).await? {
        Ok(row) => {
            Ok(Redirect::to(&format!("/grid/events/{}?ok=reported", row.id)).into_response())
        }
        Err(mut page) => {
            // The form comes back: keep what was sent with it.
            app.store
                .hold_photos(&ctx, chosen_now, ctx.at - yiwang_store::kpi::DAY_MICROS)
                .await?;
            page.held_photos = ids.len();
            page.form.held = ids.join(" ");
            unprocessable(&page)
        }
    }
}

/// `POST /grid/report`
pub async fn resident_submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Form(form): Form<ReportForm>,
) -> Result<Response, PageError> {
    let ctx = app.audit_ctx(&viewer, &addr);
    let key = addr.0 .0.clone().unwrap_or_else(|| "unknown".to_owned());
    if let Err(retry_after_s) = app.events.resident_limiter.check(&key, ctx.at) {
        return Err(AppError::RateLimited { retry_after_s }.into());
    }
    let account = viewer.user().map(|u| u.user.id.to_string());
    let reporter = Reporter {
        actor: yiwang_cases::Actor::new(
            account.clone().unwrap_or_else(|| format!("public:{key}")),
            "resident",
        ),
        kind: "resident",
        account,
    };
    let page = report_page(&app, chrome, false, form);
    match submit_report(&app, page, &ctx, reporter, None, vec![]).await? {
        Ok(row) => {
            let mut page =
                report_page(&app, Chrome::bare("群众报事"), false, ReportForm::default());
            page.chrome = Chrome {
                title: "群众报事".to_owned(),
                ..page.chrome
            };
            page.done = Some(row.number);
            render(&page)
        }
        Err(page) => unprocessable(&page),
    }
}

/// One row of a work list.
#[derive(Debug)]
pub struct RowView {
    pub id: Uuid,
    pub number: String,
    pub category: String,
    pub stage: &'static str,
    pub address: String,
    pub reported: String,
    pub due: String,
    pub overdue: bool,
}

/// One work list.
#[derive(Debug)]
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<RowView>,
    pub total: u64,
}

#[derive(Template)]
#[template(path = "cases/worklist.html")]
struct WorklistPage {
    chrome: Chrome,
    can_report: bool,
    sections: Vec<Section>,
}

fn row_view(app: &AppState, r: &CaseRow, now: i64) -> RowView {
    RowView {
        id: r.id,
        number: r.number.clone(),
        category: category_name(app, &r.category),
        stage: stage_label(&r.stage),
        address: r.address.clone(),
        reported: show_time(Some(r.created_at)),
        due: show_time(match (r.step_due, r.overall_due) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }),
        overdue: r.is_overdue(now),
    }
}

/// The work lists of a role: (title, query).
fn lists_for(
    app: &AppState,
    user: &yiwang_store::User,
    now: i64,
) -> Vec<(&'static str, CaseQuery)> {
    let stages = |s: &[Stage]| super::stage_codes(s);
    let mine = CaseQuery {
        reporter_id: Some(user.id.to_string()),
        ..Default::default()
    };
    match user.role {
        Role::GridLeader => vec![
            (
                "待核实",
                CaseQuery {
                    stages: stages(&[Stage::Reported]),
                    ..Default::default()
                },
            ),
            (
                "待核查",
                CaseQuery {
                    stages: stages(&[Stage::Recheck]),
                    ..Default::default()
                },
            ),
            ("我上报的", mine),
        ],
        Role::GridWorker => vec![
            (
                "待评价",
                CaseQuery {
                    stages: stages(&[Stage::Closed]),
                    ..mine.clone()
                },
            ),
            ("我上报的", mine),
        ],
        Role::DeptHandler => {
            let department = app
                .config
                .grid_events
                .handler_departments
                .get(&user.username)
                .cloned();
            vec![
                (
                    "待签收",
                    CaseQuery {
                        stages: stages(&[Stage::Dispatched]),
                        department: department.clone(),
                        ..Default::default()
                    },
                ),
                (
                    "处置中",
                    CaseQuery {
                        stages: stages(&[Stage::Handling]),
                        department,
                        ..Default::default()
                    },
                ),
            ]
        }
        Role::Supervisor => vec![
            (
                "待立案",
                CaseQuery {
                    stages: stages(&[Stage::Confirmed]),
                    ..Default::default()
                },
            ),
            (
                "待派遣",
                CaseQuery {
                    stages: stages(&[Stage::Filed]),
                    registered: Some(false),
                    ..Default::default()
                },
            ),
            (
                "已超时",
                CaseQuery {
                    overdue_at: Some(now),
                    ..Default::default()
                },
            ),
            (
                "待审批延期",
                CaseQuery {
                    extension_pending: Some(true),
                    ..Default::default()
                },
            ),
            (
                "待结案",
                CaseQuery {
                    stages: stages(&[Stage::Verified]),
                    ..Default::default()
                },
            ),
            (
                "挂账事项",
                CaseQuery {
                    registered: Some(true),
                    ..Default::default()
                },
            ),
        ],
        _ => vec![],
    }
}

/// `GET /grid/events`: the viewer's work lists.
pub async fn worklist(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let me = viewer.require()?;
    let now = app.clock.now().micros();
    let scope = Scope::of(&app, &me.user).await?;
    let mut sections = Vec::new();
    for (title, query) in lists_for(&app, &me.user, now) {
        let page = app
            .store
            .list_cases(&scope.restrict(query), Page::number(1, 100))
            .await?;
        sections.push(Section {
            title,
            rows: page.items.iter().map(|r| row_view(&app, r, now)).collect(),
            total: page.total,
        });
    }
    render(&WorklistPage {
        chrome: chrome.titled("事件工作台", "grid"),
        can_report: super::FIELD_STAFF.contains(&me.user.role),
        sections,
    })
}

/// An action the viewer may take, as a form.
#[derive(Debug)]
pub struct ActionView {
    pub name: &'static str,
    pub label: &'static str,
    pub reason: bool,
    pub summary: bool,
    pub note: bool,
    pub department: bool,
    pub category: bool,
    pub rating: bool,
    pub new_due: bool,
}

fn action_view(name: &'static str) -> ActionView {
    let label = match name {
        "confirm" => "核实通过",
        "reject" => "核实不通过",
        "file" => "立案",
        "dispatch" => "派遣",
        "accept" => "签收",
        "return" => "退回",
        "feedback" => "处置反馈",
        "request_extension" => "申请延期",
        "approve_extension" => "批准延期",
        "deny_extension" => "驳回延期",
        "recheck_pass" => "核查通过",
        "recheck_fail" => "核查不通过（返工）",
        "close" => "结案",
        "evaluate" => "评价",
        "register" => "挂账",
        "unregister" => "销账",
        _ => name,
    };
    ActionView {
        name,
        label,
        reason: matches!(
            name,
            "reject"
                | "return"
                | "request_extension"
                | "deny_extension"
                | "recheck_fail"
                | "register"
                | "unregister"
        ),
        summary: name == "feedback",
        note: name == "recheck_pass",
        department: name == "dispatch",
        category: name == "file",
        rating: name == "evaluate",
        new_due: name == "request_extension",
    }
}

/// The actions the stage admits that the viewer's roles may take.
fn actions_for(app: &AppState, user: &yiwang_store::User, state: &CaseState) -> Vec<ActionView> {
    let candidates: &[&'static str] = if state.registration.is_some() {
        &["unregister"]
    } else {
        match state.stage {
            Stage::Reported => &["confirm", "reject"],
            Stage::Confirmed => &["file"],
            Stage::Filed => &["dispatch", "register"],
            Stage::Dispatched => &["accept", "return", "register"],
            Stage::Handling if state.pending_extension.is_some() => &[
                "feedback",
                "approve_extension",
                "deny_extension",
                "register",
            ],
            Stage::Handling => &["feedback", "request_extension", "return", "register"],
            Stage::Recheck => &["recheck_pass", "recheck_fail", "register"],
            Stage::Verified => &["close", "register"],
            Stage::Closed => &["evaluate"],
            _ => &[],
        }
    };
    let roles = workflow_roles(user.role);
    candidates
        .iter()
        .filter(|name| match duty_of(name) {
            Some(duty) => roles.iter().any(|r| app.events.workflow.may(r, duty)),
            None => state
                .reporter
                .as_ref()
                .is_some_and(|r| r.id == user.id.to_string()),
        })
        .map(|name| action_view(name))
        .collect()
}

/// A fact as the case page lists it.
#[derive(Debug)]
pub struct FactView {
    pub at: String,
    pub label: &'static str,
    pub detail: String,
}

fn fact_label(kind: &str) -> &'static str {
    match kind {
        "reported" => "上报",
        "confirmed" => "核实通过",
        "rejected" => "核实不通过",
        "filed" => "立案",
        "dispatched" => "派遣",
        "accepted" => "签收",
        "returned" => "退回",
        "fed_back" => "处置反馈",
        "recheck_passed" => "核查通过",
        "recheck_failed" => "核查不通过（返工）",
        "closed" => "结案",
        "evaluated" => "评价",
        "extension_requested" => "申请延期",
        "extension_approved" => "批准延期",
        "extension_denied" => "驳回延期",
        "registered" => "挂账",
        "unregistered" => "销账",
        "escalated" => "超时，升级至指挥中心",
        _ => "其他",
    }
}

fn fact_detail(app: &AppState, fact: &yiwang_cases::Fact) -> String {
    use yiwang_cases::Event::*;
    match &fact.event {
        Rejected { reason, .. }
        | Returned { reason, .. }
        | RecheckFailed { reason, .. }
        | ExtensionDenied { reason, .. }
        | Registered { reason, .. }
        | Unregistered { reason, .. } => format!("理由：{reason}"),
        ExtensionRequested {
            reason, new_due, ..
        } => {
            format!("理由：{reason}；申请期限至 {}", new_due.format_cn())
        }
        ExtensionApproved { new_due, .. } => format!("期限至 {}", new_due.format_cn()),
        Dispatched { department, .. } => format!("至 {}", department_name(app, Some(department))),
        FedBack { summary, .. } => summary.clone(),
        RecheckPassed { note, .. } => note.clone(),
        Evaluated {
            rating, comment, ..
        } => {
            format!(
                "{rating} 分{}",
                comment
                    .as_deref()
                    .map(|c| format!("：{c}"))
                    .unwrap_or_default()
            )
        }
        Escalated { due, .. } => format!("期限 {}", due.format_cn()),
        Filed { category, .. } => category_name(app, category),
        _ => String::new(),
    }
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage {
    chrome: Chrome,
    notice: Option<&'static str>,
    refusal: Option<&'static str>,
    number: String,
    id: Uuid,
    category: String,
    stage: &'static str,
    grid_code: String,
    address: String,
    description: String,
    point: String,
    department: String,
    reported: String,
    step_due: String,
    overall_due: String,
    overdue: bool,
    photos: Vec<String>,
    facts: Vec<FactView>,
    actions: Vec<ActionView>,
    categories: Vec<CategoryOption>,
    departments: Vec<CategoryOption>,
}

async fn case_page(
    app: &AppState,
    chrome: Chrome,
    user: &yiwang_store::User,
    id: Uuid,
    notice: Option<&'static str>,
    refusal: Option<&'static str>,
) -> Result<Response, PageError> {
    let (row, events) = app.store.case(id).await?.ok_or(AppError::NotFound)?;
    Scope::of(app, user).await?.check(&row)?;
    let state = replay(&events)?;
    let facts: Vec<yiwang_cases::Fact> = events
        .iter()
        .filter_map(|e| serde_json::from_str(&e.fact_json).ok())
        .collect();
    let now = app.clock.now().micros();
    let page = CasePage {
        chrome: chrome.titled(format!("事件 {}", row.number), "grid"),
        notice,
        refusal,
        number: row.number.clone(),
        id: row.id,
        category: category_name(app, &row.category),
        stage: stage_label(&row.stage),
        grid_code: row.grid_code.clone(),
        address: row.address.clone(),
        description: row.description.clone(),
        point: match (row.lng, row.lat) {
            (Some(x), Some(y)) => format!("{x:.6}, {y:.6}"),
            _ => "—".to_owned(),
        },
        department: department_name(app, row.department.as_deref()),
        reported: show_time(Some(row.created_at)),
        step_due: show_time(row.step_due),
        overall_due: show_time(row.overall_due),
        overdue: row.is_overdue(now),
        photos: state
            .report
            .as_ref()
            .map(|r| r.photos.clone())
            .unwrap_or_default()
            .into_iter()
            .chain(facts.iter().flat_map(|f| match &f.event {
                yiwang_cases::Event::FedBack { photos, .. } => photos.clone(),
                _ => vec![],
            }))
            .collect(),
        facts: facts
            .iter()
            .map(|f| FactView {
                at: f.at.format_cn(),
                label: fact_label(f.event.name()),
                detail: fact_detail(app, f),
            })
            .collect(),
        actions: actions_for(app, user, &state),
        categories: categories(app),
        departments: app
            .events
            .workflow
            .config()
            .departments
            .iter()
            .map(|d| CategoryOption {
                code: d.code.clone(),
                name: d.name.clone(),
            })
            .collect(),
    };
    let mut resp = render(&page)?;
    if refusal.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

#[derive(Debug, Deserialize)]
pub struct OkQuery {
    #[serde(default)]
    ok: String,
}

/// `GET /grid/events/{id}`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Query(q): Query<OkQuery>,
) -> Result<Response, PageError> {
    let me = viewer.require()?;
    let notice = match q.ok.as_str() {
        "reported" => Some("已上报。"),
        "done" => Some("已办理。"),
        _ => None,
    };
    case_page(&app, chrome, &me.user, id, notice, None).await
}

/// The action form's fields.
#[derive(Debug, Deserialize)]
pub struct ActForm {
    #[serde(default, rename = "do")]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
    /// `YYYY-MM-DDTHH:MM`, Beijing time.
    #[serde(default)]
    new_due: String,
}

fn non_blank(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn build_action(
    f: &ActForm,
    by: yiwang_cases::Actor,
    photos: Vec<String>,
) -> Result<Action, AppError> {
    let reason = f.reason.trim().to_owned();
    Ok(match f.action.as_str() {
        "confirm" => Action::Confirm { by },
        "reject" => Action::Reject { by, reason },
        "file" => Action::File {
            by,
            category: non_blank(&f.category),
        },
        "dispatch" => Action::Dispatch {
            by,
            department: non_blank(&f.department),
        },
        "accept" => Action::Accept { by },
        "return" => Action::Return { by, reason },
        "feedback" => Action::Feedback {
            by,
            summary: f.summary.trim().to_owned(),
            photos,
        },
        "recheck_pass" => Action::RecheckPass {
            by,
            note: f.note.trim().to_owned(),
        },
        "recheck_fail" => Action::RecheckFail { by, reason },
        "close" => Action::Close { by },
        "evaluate" => Action::Evaluate {
            by,
            rating: f
                .rating
                .trim()
                .parse()
                .map_err(|_| AppError::field("rating", "请选择 1–5 分"))?,
            comment: non_blank(&f.comment),
        },
        "request_extension" => {
            let new_due = Timestamp::parse_rfc3339(&format!("{}:00+08:00", f.new_due.trim()))
                .map_err(|_| AppError::field("new_due", "请填写新的办理期限"))?;
            Action::RequestExtension {
                by,
                reason,
                new_due,
            }
        }
        "approve_extension" => Action::ApproveExtension { by },
        "deny_extension" => Action::DenyExtension { by, reason },
        "register" => Action::Register { by, reason },
        "unregister" => Action::Unregister { by, reason },
        _ => return Err(AppError::BadRequest("未知的操作".to_owned())),
    })
}

/// `POST /grid/events/{id}/act`: one action (a plain form, or multipart
/// with photos of the handling); a refusal shows the case page again with
/// the reason.
pub async fn act_submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<Uuid>,
    req: Request,
) -> Result<Response, PageError> {
    let me = viewer.require()?;
    let (row, _) = app.store.case(id).await?.ok_or(AppError::NotFound)?;
    Scope::of(&app, &me.user).await?.check(&row)?;
    let (f, uploaded) =
        super::photos::read_form::<ActForm>(&app, req, &me.user.id.to_string()).await?;
    if !uploaded.is_empty() && f.action != "feedback" {
        return Err(AppError::field("photo", "只有处置反馈可以上传照片").into());
    }
    let by = actor_for(&app.events, &app.config.grid_events, &me.user, &f.action);
    let urls = uploaded
        .iter()
        .map(|p| super::photos::photo_url(p.id))
        .collect();
    let action = build_action(&f, by, urls)?;
    let ctx = app.audit_ctx(&viewer, &addr);
    match super::act(&app, &ctx, id, &action, uploaded).await? {
        Verdict::Accepted => {
            Ok(Redirect::to(&format!("/grid/events/{id}?ok=done")).into_response())
        }
        Verdict::Refused(r) => {
            case_page(&app, chrome, &me.user, id, None, Some(refusal_text(r))).await
        }
    }
}

fn refusal_text(r: Refusal) -> &'static str {
    r.message_zh()
}
