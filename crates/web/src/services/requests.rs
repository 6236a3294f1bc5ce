//! Enterprise requests (政企通 诉求) on the web: an enterprise submits a
//! request, it is routed to the departments its kind names, each answers
//! its part, the enterprise reads the answers and rates them; the matching
//! board (诉求对接超市), the escalation list and the departments'
//! indicators. The rules are `yiwang_services::requests`; storage is
//! `yiwang_store::requests`.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/requests` | enterprises, department handlers, service staff | the viewer's requests (an enterprise's own, a department's, all), searched and paged |
//! | `GET /services/requests/new`, `POST /services/requests` | enterprises | submit a request; it is routed at once |
//! | `GET /services/requests/{id}` | the enterprise that asked, the departments on it, whoever took it, service staff | the request, each department's part, due date, standing and answer |
//! | `POST /services/requests/{id}/reply` | department handlers | answer their department's part, once |
//! | `POST /services/requests/{id}/departments` | service staff | add a department to an open request |
//! | `POST /services/requests/{id}/rating` | the enterprise that asked | rate the answers (1–5), once, when every part is answered |
//! | `GET /services/requests/board` | department handlers, service staff | open needs by kind; the enterprise and its contact only when it agreed |
//! | `POST /services/requests/{id}/take` | department handlers, service staff | take an open need from the board, once |
//! | `GET /services/requests/escalations` | service staff | unanswered parts past their limit, escalated ones first |
//! | `GET /services/requests/kpi`, `GET /services/requests/kpi.xlsx` | service staff | per department: on-time reply rate, satisfaction, average time, for a month |
//!
//! # Who is who
//!
//! Enterprises are the registered enterprise accounts (role `bidder`, one
//! enterprise each). A department handler answers for the department that
//! `[services_requests] handler_departments` names for their username; a
//! handler it names no department for sees no request. Service staff (the
//! industry bureau's enterprise service officers) see every request, add
//! departments, and watch the time limits and the indicators; they do not
//! answer for a department. Contacts are shown whole to the enterprise, to
//! service staff and to the departments on the request (they call back);
//! the board shows them only when the enterprise agreed, and then masked.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_services::requests::{
    check_comment, check_reply, department_kpis, may_rate, may_reply, may_take, DeptKpi, KpiFact,
    PartTimes, Problem, Refusal, RequestRules, RequestState, Score, Standing, Submission,
};
use yiwang_store::requests::{
    NewPart, NewRequest, PartQuery, ReplyOutcome, RequestDetail, RequestQuery, RequestRow,
};
use yiwang_store::visits::VisitSource;
use yiwang_store::{Page, StoreError};

use crate::auth::access::{Access, Routes};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Who reads requests.
pub const READERS: &[Role] = &[Role::Bidder, Role::DeptHandler, Role::ServiceStaff];
/// Who submits and rates.
pub const ENTERPRISES: &[Role] = &[Role::Bidder];
/// Who answers a department's part.
pub const HANDLERS: &[Role] = &[Role::DeptHandler];
/// Who routes, watches escalations and reads the indicators.
pub const STAFF: &[Role] = &[Role::ServiceStaff];
/// Who takes needs from the board.
pub const TAKERS: &[Role] = &[Role::DeptHandler, Role::ServiceStaff];

/// Lines per page.
pub const PAGE_SIZE: u32 = 20;

/// The `[services_requests]` section of the server configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestsConfig {
    /// The department (a code of the rules' departments) each department
    /// handler's username answers for.
    pub handler_departments: BTreeMap<String, String>,
    /// A TOML file that replaces the shipped kinds of request, departments
    /// and time limits (the format of `crates/services/config/requests.toml`).
    pub rules_file: Option<String>,
}

impl Default for RequestsConfig {
    fn default() -> Self {
        RequestsConfig {
            // The demo's handlers (`crates/cli/src/demo.rs`).
            handler_departments: [("handler-tax", "tax"), ("handler-industry", "industry")]
                .into_iter()
                .map(|(u, d)| (u.to_owned(), d.to_owned()))
                .collect(),
            rules_file: None,
        }
    }
}

/// The rules the server runs with: the shipped ones or the operator's file,
/// checked against the handlers' departments.
pub fn load_rules(config: &RequestsConfig) -> anyhow::Result<Arc<RequestRules>> {
    let rules = match &config.rules_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("诉求配置文件 {path} 无法读取：{e}"))?;
            RequestRules::from_toml(&text).map_err(|e| anyhow::anyhow!("{path}：{e}"))?
        }
        None => RequestRules::shipped(),
    };
    for (user, dept) in &config.handler_departments {
        if rules.department(dept).is_none() {
            anyhow::bail!("[services_requests] handler_departments：{user} 的部门 {dept} 未定义");
        }
    }
    Ok(Arc::new(rules))
}

/// The routes of this module.
pub fn routes(r: Routes) -> Routes {
    use Access::Roles;
    r.get("/services/requests", Roles(READERS), list)
        .get("/services/requests/new", Roles(ENTERPRISES), new_form)
        .post("/services/requests", Roles(ENTERPRISES), submit)
        .get("/services/requests/board", Roles(TAKERS), board)
        .get("/services/requests/escalations", Roles(STAFF), escalations)
        .get("/services/requests/kpi", Roles(STAFF), kpi_page)
        .get("/services/requests/kpi.xlsx", Roles(STAFF), kpi_xlsx)
        .get("/services/requests/{id}", Roles(READERS), show)
        .post("/services/requests/{id}/reply", Roles(HANDLERS), reply)
        .post(
            "/services/requests/{id}/departments",
            Roles(STAFF),
            add_department,
        )
        .post("/services/requests/{id}/rating", Roles(ENTERPRISES), rate)
        .post("/services/requests/{id}/take", Roles(TAKERS), take)
}

/// What the viewer is to requests.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sight {
    /// An enterprise: its own requests.
    Enterprise { enterprise_id: Uuid, user_id: Uuid },
    /// A department handler: the requests with a part for the department
    /// (none when no department is configured for them).
    Department {
        department: Option<String>,
        user_id: Uuid,
    },
    /// Service staff: every request.
    Staff,
}

fn sight(app: &AppState, viewer: &Viewer) -> Result<Sight, AppError> {
    let user = &viewer.require()?.user;
    Ok(match user.role {
        Role::Bidder => Sight::Enterprise {
            enterprise_id: user.enterprise_id.ok_or(AppError::Forbidden)?,
            user_id: user.id,
        },
        Role::DeptHandler => Sight::Department {
            department: app
                .config
                .services_requests
                .handler_departments
                .get(&user.username)
                .cloned(),
            user_id: user.id,
        },
        Role::ServiceStaff => Sight::Staff,
        _ => return Err(AppError::Forbidden),
    })
}

impl Sight {
    fn may_see(&self, d: &RequestDetail) -> bool {
        match self {
            Sight::Enterprise { enterprise_id, .. } => d.request.enterprise_id == *enterprise_id,
            Sight::Department {
                department,
                user_id,
            } => {
                d.request.taken_by_id == Some(*user_id)
                    || department
                        .as_ref()
                        .is_some_and(|dep| d.parts.iter().any(|p| &p.department == dep))
            }
            Sight::Staff => true,
        }
    }

    /// Whether the viewer sees the contact whole.
    fn sees_contact(&self, d: &RequestDetail) -> bool {
        match self {
            Sight::Enterprise { .. } | Sight::Staff => true,
            Sight::Department { department, .. } => department
                .as_ref()
                .is_some_and(|dep| d.parts.iter().any(|p| &p.department == dep)),
        }
    }
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

fn page_number(text: &str) -> u32 {
    text.trim().parse::<u32>().unwrap_or(1).max(1)
}

fn field_errors(problems: Vec<Problem>) -> Vec<FieldError> {
    problems
        .into_iter()
        .map(|p| FieldError::new(p.field, p.message))
        .collect()
}

fn refused(r: Refusal) -> AppError {
    AppError::Conflict {
        field: r.code().to_owned(),
        message: r.to_string(),
    }
}

/// A store conflict as the refusal users read.
fn conflict_as(e: StoreError, field_refusals: &[(&str, Refusal)]) -> AppError {
    if let StoreError::Conflict { field } = &e {
        if let Some((_, r)) = field_refusals.iter().find(|(f, _)| f == field) {
            return refused(*r);
        }
    }
    e.into()
}

/// The signed-in account's name as others read it.
fn user_name(viewer: &Viewer) -> String {
    viewer
        .user()
        .map(|u| u.user.display_name.clone())
        .unwrap_or_default()
}

fn now(app: &AppState) -> Timestamp {
    app.clock.now()
}

/// A request as lists show it.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub category: String,
    pub enterprise: String,
    pub state: &'static str,
    pub submitted: String,
    pub next_due: String,
    pub standing: Option<Standing>,
    pub taken_by: String,
    /// The contact as the board may show it (empty when it may not).
    pub contact: String,
}

impl Line {
    fn of(app: &AppState, r: &RequestRow) -> Line {
        let standing = r.next_due_at.map(|due| {
            app.requests.standing(
                &PartTimes {
                    assigned_at: r.submitted_at,
                    due_at: due,
                    answered_at: None,
                },
                now(app),
                &app.calendar,
            )
        });
        Line {
            id: r.id,
            number: r.number.clone(),
            title: r.title.clone(),
            category: app.requests.category_name(&r.category).to_owned(),
            enterprise: r.enterprise_name.clone(),
            state: RequestState::from_code(&r.state).map_or("", RequestState::label),
            submitted: show_time(Some(r.submitted_at)),
            next_due: r
                .next_due_at
                .map(|d| show_time(Some(d)))
                .unwrap_or_default(),
            standing,
            taken_by: r.taken_by_name.clone(),
            contact: String::new(),
        }
    }

    pub fn standing_label(&self) -> &'static str {
        self.standing.map_or("", Standing::label)
    }

    pub fn standing_class(&self) -> &'static str {
        self.standing.map_or("", Standing::class)
    }
}

/// The list's filters as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub category: String,
    /// "1": only what is still waiting (a department's unanswered parts;
    /// open requests for the others).
    #[serde(default)]
    pub pending: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub ok: String,
}

impl ListFilter {
    fn query(&self, rules: &RequestRules) -> Result<RequestQuery, AppError> {
        let mut q = RequestQuery::default();
        let state = self.state.trim();
        if !state.is_empty() {
            RequestState::from_code(state)
                .ok_or_else(|| AppError::field("state", "办理状态不存在，请从列表中选择"))?;
            q.state = Some(state.to_owned());
        }
        let category = self.category.trim();
        if !category.is_empty() {
            rules
                .category(category)
                .ok_or_else(|| AppError::field("category", Refusal::UnknownCategory.to_string()))?;
            q.category = Some(category.to_owned());
        }
        let text = self.q.trim();
        if !text.is_empty() {
            q.search = Some(text.chars().take(50).collect());
        }
        q.pending_only = self.pending.trim() == "1";
        Ok(q)
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("state", self.state.trim().to_owned()),
            ("category", self.category.trim().to_owned()),
            ("pending", self.pending.trim().to_owned()),
        ]
    }
}

fn categories(rules: &RequestRules) -> Vec<(String, String)> {
    rules
        .categories
        .iter()
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect()
}

fn states() -> Vec<(&'static str, &'static str)> {
    RequestState::ALL
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "services/requests.html")]
struct ListPage {
    chrome: Chrome,
    heading: String,
    is_enterprise: bool,
    is_staff: bool,
    notice: String,
    f: ListFilter,
    categories: Vec<(String, String)>,
    states: Vec<(&'static str, &'static str)>,
    total: u64,
    rows: Vec<Line>,
    pager: String,
}

/// `GET /services/requests`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListFilter>,
) -> Result<Response, PageError> {
    let sight = sight(&app, &viewer)?;
    let mut query = f.query(&app.requests)?;
    let heading = match &sight {
        Sight::Enterprise { enterprise_id, .. } => {
            query.enterprise_id = Some(*enterprise_id);
            "我的诉求".to_owned()
        }
        Sight::Department { department, .. } => match department {
            Some(d) => {
                query.department = Some(d.clone());
                format!("{} · 待办诉求", app.requests.department_name(d))
            }
            None => {
                return Err(AppError::Absent {
                    code: "no_department",
                    message: "您的账户尚未对应诉求办理部门，请联系系统管理员".to_owned(),
                }
                .into())
            }
        },
        Sight::Staff => "全部企业诉求".to_owned(),
    };
    let page = page_number(&f.page);
    let found = app
        .store
        .list_requests(&query, Page::number(page, PAGE_SIZE))
        .await?;
    let rows = found.items.iter().map(|r| Line::of(&app, r)).collect();
    render(&ListPage {
        chrome: chrome.titled(heading.clone(), "services"),
        heading,
        is_enterprise: matches!(sight, Sight::Enterprise { .. }),
        is_staff: sight == Sight::Staff,
        notice: match f.ok.as_str() {
            "take" => "已认领该需求".to_owned(),
            _ => String::new(),
        },
        pager: pager(
            "/services/requests",
            &f.pairs(),
            page,
            PAGE_SIZE,
            found.total,
        ),
        categories: categories(&app.requests),
        states: states(),
        total: found.total,
        rows,
        f,
    })
}

#[derive(Template)]
#[template(path = "services/requests_new.html")]
struct NewPage {
    chrome: Chrome,
    form: Submission,
    errors: Vec<FieldError>,
    categories: Vec<(String, String, String)>,
}

fn category_choices(rules: &RequestRules) -> Vec<(String, String, String)> {
    rules
        .categories
        .iter()
        .map(|c| {
            let depts: Vec<&str> = c
                .departments
                .iter()
                .map(|d| rules.department_name(d))
                .collect();
            (
                c.code.clone(),
                c.name.clone(),
                format!("{}，{} 个工作日内答复", depts.join("、"), c.days),
            )
        })
        .collect()
}

fn new_page(
    app: &AppState,
    chrome: Chrome,
    form: Submission,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&NewPage {
        chrome: chrome.titled("提交诉求", "services"),
        categories: category_choices(&app.requests),
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/requests/new`: the form, with the enterprise's contact
/// filled in.
pub async fn new_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let user = &viewer.require()?.user;
    let mut form = Submission::default();
    if let Some(e) = match user.enterprise_id {
        Some(id) => app.store.enterprise(id).await?,
        None => None,
    } {
        form.contact_name = e.contact_name;
        form.contact_phone = e.contact_phone;
    }
    new_page(&app, chrome, form, Vec::new())
}

/// `POST /services/requests`: checks, routes and stores the request.
pub async fn submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(form): Form<Submission>,
) -> Result<Response, PageError> {
    let user = viewer.require()?.user.clone();
    let enterprise_id = user.enterprise_id.ok_or(AppError::Forbidden)?;
    let checked = match form.check(&app.requests) {
        Ok(c) => c,
        Err(problems) => return new_page(&app, chrome, form, field_errors(problems)),
    };
    let enterprise = app
        .store
        .enterprise(enterprise_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    let ctx = app.audit_ctx(&viewer, &addr);
    let at = Timestamp::from_micros(ctx.at);
    let parts = app
        .requests
        .route(&checked.category, at, &app.calendar)
        .map_err(refused)?
        .into_iter()
        .map(|r| NewPart {
            department: r.department,
            assigned_at: ctx.at,
            due_at: r.due_at.micros(),
        })
        .collect();
    let row = app
        .store
        .create_request(
            &ctx,
            NewRequest {
                id: Uuid::now_v7(),
                enterprise_id,
                enterprise_name: enterprise.name,
                submitter_id: user.id,
                category: checked.category,
                title: checked.title,
                content: checked.content,
                contact_name: checked.contact_name,
                contact_phone: checked.contact_phone,
                share_contact: checked.share_contact,
                submitted_at: ctx.at,
                parts,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/services/requests/{}?ok=submit", row.id)).into_response())
}

/// A department's part as the request page shows it.
#[derive(Debug, Clone)]
pub struct PartView {
    pub department: String,
    pub name: String,
    pub assigned: String,
    pub due: String,
    pub standing: Standing,
    pub reply: String,
    pub replied_by: String,
    pub answered: String,
}

/// The request page's forms as sent, kept when refused.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub reply: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub ok: String,
}

#[derive(Template)]
#[template(path = "services/requests_show.html")]
struct DetailPage {
    chrome: Chrome,
    r: RequestRow,
    category: String,
    state: &'static str,
    /// The enterprise's name, unless the viewer only took the need and the
    /// enterprise did not agree to be shown.
    enterprise: String,
    submitted: String,
    rated_at: String,
    taken_at: String,
    contact: String,
    parts: Vec<PartView>,
    /// The viewer's department, when it has a part to answer.
    reply_as: Option<String>,
    /// Departments that may still be added (service staff, open requests).
    addable: Vec<(String, String)>,
    may_rate: bool,
    may_take: bool,
    /// The enterprise visit (千企询访) the request came from, and whether
    /// the viewer may open it.
    source: Option<VisitSource>,
    source_link: bool,
    notice: &'static str,
    form: ActionForm,
    errors: Vec<FieldError>,
}

async fn load(app: &AppState, id: &str) -> Result<RequestDetail, AppError> {
    app.store
        .request(parse_id(id)?)
        .await?
        .ok_or(AppError::NotFound)
}

async fn detail_page(
    app: &AppState,
    chrome: Chrome,
    sight: &Sight,
    d: RequestDetail,
    form: ActionForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let source = app.store.visit_of_request(d.request.id).await?;
    let now = now(app);
    let rules = &app.requests;
    let state = RequestState::from_code(&d.request.state).unwrap_or(RequestState::Open);
    let parts: Vec<PartView> = d
        .parts
        .iter()
        .map(|p| PartView {
            department: p.department.clone(),
            name: rules.department_name(&p.department).to_owned(),
            assigned: show_time(Some(p.assigned_at)),
            due: show_time(Some(p.due_at)),
            standing: rules.standing(
                &PartTimes {
                    assigned_at: p.assigned_at,
                    due_at: p.due_at,
                    answered_at: p.answered_at,
                },
                now,
                &app.calendar,
            ),
            reply: p.reply.clone(),
            replied_by: p.replied_by_name.clone(),
            answered: show_time(p.answered_at),
        })
        .collect();
    let reply_as = match sight {
        Sight::Department {
            department: Some(dep),
            ..
        } => d
            .parts
            .iter()
            .find(|p| &p.department == dep && p.answered_at.is_none())
            .map(|_| dep.clone()),
        _ => None,
    };
    let addable = if *sight == Sight::Staff && state == RequestState::Open {
        rules
            .departments
            .iter()
            .filter(|dep| !d.parts.iter().any(|p| p.department == dep.code))
            .map(|dep| (dep.code.clone(), dep.name.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let enterprise = if sight.sees_contact(&d) || d.request.share_contact {
        d.request.enterprise_name.clone()
    } else {
        "（企业未公开）".to_owned()
    };
    let contact = if sight.sees_contact(&d) {
        format!("{} {}", d.request.contact_name, d.request.contact_phone)
    } else if d.request.share_contact {
        format!(
            "{} {}",
            d.request.contact_name,
            yiwang_grid::mask_phone(&d.request.contact_phone)
        )
    } else {
        "企业未公开联系方式".to_owned()
    };
    let is_enterprise = matches!(sight, Sight::Enterprise { .. });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let notice = match form.ok.as_str() {
        "submit" => "诉求已提交，已分派到责任部门",
        "reply" => "答复已提交",
        "route" => "已增派部门",
        "rate" => "感谢您的评价",
        _ => "",
    };
    let r = d.request;
    let mut page = render(&DetailPage {
        chrome: chrome.titled(format!("诉求 {}", r.number), "services"),
        category: rules.category_name(&r.category).to_owned(),
        state: state.label(),
        enterprise,
        submitted: show_time(Some(r.submitted_at)),
        rated_at: show_time(r.rated_at),
        taken_at: show_time(r.taken_at),
        contact,
        parts,
        reply_as,
        addable,
        may_rate: is_enterprise && may_rate(state).is_ok(),
        may_take: !is_enterprise && may_take(state, r.taken_by_id.is_some()).is_ok(),
        source,
        source_link: *sight == Sight::Staff,
        notice,
        form,
        errors,
        r,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/requests/{id}`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(form): Query<ActionForm>,
) -> Result<Response, PageError> {
    let sight = sight(&app, &viewer)?;
    let d = load(&app, &id).await?;
    if !sight.may_see(&d) {
        return Err(AppError::Forbidden.into());
    }
    let form = ActionForm {
        ok: form.ok,
        ..ActionForm::default()
    };
    detail_page(&app, chrome, &sight, d, form, Vec::new()).await
}

/// `POST /services/requests/{id}/reply`: the handler's department answers.
pub async fn reply(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    let sight = sight(&app, &viewer)?;
    let d = load(&app, &id).await?;
    if !sight.may_see(&d) {
        return Err(AppError::Forbidden.into());
    }
    let Sight::Department {
        department: Some(dep),
        ..
    } = &sight
    else {
        return Err(AppError::Forbidden.into());
    };
    let part = d.parts.iter().find(|p| &p.department == dep);
    may_reply(part.map(|p| p.answered_at.is_some())).map_err(refused)?;
    let text = match check_reply(&form.reply) {
        Ok(t) => t,
        Err(p) => return detail_page(&app, chrome, &sight, d, form, field_errors(vec![p])).await,
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    match app
        .store
        .reply_request_part(&ctx, d.request.id, dep, &user_name(&viewer), &text)
        .await?
    {
        ReplyOutcome::Stored { .. } => {}
        ReplyOutcome::NotRouted => return Err(refused(Refusal::NotRouted).into()),
        ReplyOutcome::AlreadyAnswered => return Err(refused(Refusal::AlreadyAnswered).into()),
    }
    Ok(Redirect::to(&format!("/services/requests/{}?ok=reply", d.request.id)).into_response())
}

/// `POST /services/requests/{id}/departments`: service staff add a
/// department to an open request.
pub async fn add_department(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    let sight = sight(&app, &viewer)?;
    let d = load(&app, &id).await?;
    let state = RequestState::from_code(&d.request.state).unwrap_or(RequestState::Open);
    let existing: Vec<String> = d.parts.iter().map(|p| p.department.clone()).collect();
    let ctx = app.audit_ctx(&viewer, &addr);
    let routing = match app.requests.add_department(
        &d.request.category,
        state,
        &existing,
        form.department.trim(),
        Timestamp::from_micros(ctx.at),
        &app.calendar,
    ) {
        Ok(r) => r,
        Err(Refusal::UnknownDepartment) => {
            let errors = vec![FieldError::new(
                "department",
                Refusal::UnknownDepartment.to_string(),
            )];
            return detail_page(&app, chrome, &sight, d, form, errors).await;
        }
        Err(r) => return Err(refused(r).into()),
    };
    app.store
        .add_request_part(
            &ctx,
            d.request.id,
            NewPart {
                department: routing.department,
                assigned_at: ctx.at,
                due_at: routing.due_at.micros(),
            },
        )
        .await
        .map_err(|e| {
            conflict_as(
                e,
                &[
                    ("state", Refusal::NotOpen),
                    ("department", Refusal::AlreadyRouted),
                ],
            )
        })?;
    Ok(Redirect::to(&format!("/services/requests/{}?ok=route", d.request.id)).into_response())
}

/// `POST /services/requests/{id}/rating`: the enterprise rates the answers.
pub async fn rate(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    let sight = sight(&app, &viewer)?;
    let d = load(&app, &id).await?;
    if !sight.may_see(&d) {
        return Err(AppError::Forbidden.into());
    }
    let state = RequestState::from_code(&d.request.state).unwrap_or(RequestState::Open);
    may_rate(state).map_err(refused)?;
    let mut problems = Vec::new();
    let score = Score::parse(&form.rating)
        .map_err(|p| problems.push(p))
        .ok();
    let comment = check_comment(&form.comment)
        .map_err(|p| problems.push(p))
        .ok();
    let (Some(score), Some(comment)) = (score, comment) else {
        return detail_page(&app, chrome, &sight, d, form, field_errors(problems)).await;
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store
        .rate_request(&ctx, d.request.id, score.get(), &comment)
        .await
        .map_err(|e| conflict_as(e, &[("state", Refusal::AlreadyRated)]))?;
    Ok(Redirect::to(&format!("/services/requests/{}?ok=rate", d.request.id)).into_response())
}

/// `POST /services/requests/{id}/take`: take an open need from the board.
pub async fn take(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let sight = sight(&app, &viewer)?;
    let d = load(&app, &id).await?;
    let state = RequestState::from_code(&d.request.state).unwrap_or(RequestState::Open);
    may_take(state, d.request.taken_by_id.is_some()).map_err(refused)?;
    let user = &viewer.require()?.user;
    let taker = match &sight {
        Sight::Department {
            department: Some(dep),
            ..
        } => format!(
            "{}（{}）",
            user.display_name,
            app.requests.department_name(dep)
        ),
        _ => user.display_name.clone(),
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store
        .take_request(&ctx, d.request.id, &taker)
        .await
        .map_err(|e| {
            conflict_as(
                e,
                &[
                    ("state", Refusal::NotOpen),
                    ("taken_by", Refusal::AlreadyTaken),
                ],
            )
        })?;
    Ok(Redirect::to(&format!("/services/requests/{}", d.request.id)).into_response())
}

#[derive(Template)]
#[template(path = "services/requests_board.html")]
struct BoardPage {
    chrome: Chrome,
    f: ListFilter,
    tabs: Vec<(String, String, i64)>,
    open_total: i64,
    untaken: bool,
    total: u64,
    rows: Vec<Line>,
    pager: String,
}

/// The board's filters as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BoardFilter {
    #[serde(flatten)]
    pub list: ListFilter,
    /// "1": only needs nobody took.
    #[serde(default)]
    pub untaken: String,
}

/// `GET /services/requests/board`: the matching board (诉求对接超市).
pub async fn board(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<BoardFilter>,
) -> Result<Response, PageError> {
    sight(&app, &viewer)?;
    let mut query = f.list.query(&app.requests)?;
    query.state = Some(RequestState::Open.code().to_owned());
    let untaken = f.untaken.trim() == "1";
    query.untaken_only = untaken;
    let page = page_number(&f.list.page);
    let found = app
        .store
        .list_requests(&query, Page::number(page, PAGE_SIZE))
        .await?;
    let rows = found
        .items
        .iter()
        .map(|r| {
            let mut line = Line::of(&app, r);
            if r.share_contact {
                line.contact = format!(
                    "{} {}",
                    r.contact_name,
                    yiwang_grid::mask_phone(&r.contact_phone)
                );
            } else {
                line.enterprise = "（企业未公开）".to_owned();
            }
            line
        })
        .collect();
    let counts: BTreeMap<String, i64> = app
        .store
        .open_requests_by_category()
        .await?
        .into_iter()
        .collect();
    let tabs = app
        .requests
        .categories
        .iter()
        .map(|c| {
            (
                c.code.clone(),
                c.name.clone(),
                counts.get(&c.code).copied().unwrap_or(0),
            )
        })
        .collect();
    let mut pairs = f.list.pairs();
    pairs.push(("untaken", if untaken { "1" } else { "" }.to_owned()));
    render(&BoardPage {
        chrome: chrome.titled("诉求对接超市", "services"),
        open_total: counts.values().sum(),
        pager: pager(
            "/services/requests/board",
            &pairs,
            page,
            PAGE_SIZE,
            found.total,
        ),
        f: f.list,
        tabs,
        untaken,
        total: found.total,
        rows,
    })
}

/// An overdue part on the escalation list.
#[derive(Debug, Clone)]
pub struct EscalationLine {
    pub request_id: Uuid,
    pub number: String,
    pub title: String,
    pub enterprise: String,
    pub department: String,
    pub due: String,
    pub standing: Standing,
}

#[derive(Template)]
#[template(path = "services/requests_escalations.html")]
struct EscalationPage {
    chrome: Chrome,
    escalated: usize,
    total: u64,
    rows: Vec<EscalationLine>,
    pager: String,
}

/// The escalation list's paging.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageParam {
    #[serde(default)]
    pub page: String,
}

/// `GET /services/requests/escalations`: unanswered parts past their
/// limit at the clock's now, escalated first, then by due date.
pub async fn escalations(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(p): Query<PageParam>,
) -> Result<Response, PageError> {
    let now = now(&app);
    let parts = app
        .store
        .request_parts(&PartQuery {
            pending_due_before: Some(now.micros() + 1),
            ..PartQuery::default()
        })
        .await?;
    let mut lines: Vec<EscalationLine> = parts
        .iter()
        .map(|p| EscalationLine {
            request_id: p.request_id,
            number: p.number.clone(),
            title: p.title.clone(),
            enterprise: p.enterprise_name.clone(),
            department: app.requests.department_name(&p.department).to_owned(),
            due: show_time(Some(p.due_at)),
            standing: app.requests.standing(
                &PartTimes {
                    assigned_at: p.assigned_at,
                    due_at: p.due_at,
                    answered_at: None,
                },
                now,
                &app.calendar,
            ),
        })
        .filter(|l| l.standing.is_late())
        .collect();
    // Stable: escalated first, each by due date as the store gave them.
    lines.sort_by_key(|l| l.standing);
    let escalated = lines
        .iter()
        .filter(|l| l.standing == Standing::Escalated)
        .count();
    let total = lines.len() as u64;
    let page = page_number(&p.page);
    let rows = lines
        .into_iter()
        .skip(((page - 1) * PAGE_SIZE) as usize)
        .take(PAGE_SIZE as usize)
        .collect();
    render(&EscalationPage {
        chrome: chrome.titled("超期督办", "services"),
        escalated,
        pager: pager(
            "/services/requests/escalations",
            &[],
            page,
            PAGE_SIZE,
            total,
        ),
        total,
        rows,
    })
}

/// The indicators' month as sent: `YYYY-MM`, this month when empty.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MonthParam {
    #[serde(default)]
    pub month: String,
}

/// The month's first day and the next month's, µs, and its `YYYY-MM`.
fn month_window(app: &AppState, text: &str) -> Result<(i64, i64, String), AppError> {
    let bad = || AppError::field("month", "月份格式应为 YYYY-MM，例如 2026-11");
    let (year, month) = match text.trim() {
        "" => {
            let d = now(app).shanghai_date();
            (d.year(), u8::from(d.month()))
        }
        t => {
            let (y, m) = t.split_once('-').ok_or_else(bad)?;
            if y.len() != 4 || m.len() != 2 {
                return Err(bad());
            }
            (
                y.parse::<i32>().map_err(|_| bad())?,
                m.parse::<u8>().map_err(|_| bad())?,
            )
        }
    };
    let month_of = |m: u8| time::Month::try_from(m).map_err(|_| bad());
    let first = time::Date::from_calendar_date(year, month_of(month)?, 1).map_err(|_| bad())?;
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let next = time::Date::from_calendar_date(ny, month_of(nm)?, 1).map_err(|_| bad())?;
    Ok((
        Timestamp::from_shanghai(first, 0, 0, 0).micros(),
        Timestamp::from_shanghai(next, 0, 0, 0).micros(),
        format!("{year:04}-{month:02}"),
    ))
}

/// A department's indicators as shown.
#[derive(Debug, Clone)]
pub struct KpiLine {
    pub name: String,
    pub parts: u64,
    pub answered: u64,
    pub overdue: u64,
    pub on_time: String,
    pub satisfaction: String,
    pub rated: u64,
    pub average_time: String,
}

impl KpiLine {
    fn of(rules: &RequestRules, k: &DeptKpi) -> KpiLine {
        KpiLine {
            name: rules.department_name(&k.department).to_owned(),
            parts: k.parts,
            answered: k.answered,
            overdue: k.overdue,
            on_time: k.on_time.percent_label(),
            satisfaction: k.satisfaction_label(),
            rated: k.rated,
            average_time: k.average_time_label(),
        }
    }
}

/// The indicators of the parts assigned in the month, judged now.
async fn kpi_lines(app: &AppState, from: i64, to: i64) -> Result<Vec<KpiLine>, AppError> {
    Ok(department_kpis_between(app, from, to)
        .await?
        .iter()
        .map(|k| KpiLine::of(&app.requests, k))
        .collect())
}

/// Each department's indicators over the parts assigned in `[from, to)`
/// (µs), judged now.
pub(crate) async fn department_kpis_between(
    app: &AppState,
    from: i64,
    to: i64,
) -> Result<Vec<DeptKpi>, AppError> {
    let parts = app
        .store
        .request_parts(&PartQuery {
            assigned_from: Some(from),
            assigned_to: Some(to),
            ..PartQuery::default()
        })
        .await?;
    let facts: Vec<KpiFact> = parts
        .iter()
        .map(|p| KpiFact {
            department: p.department.clone(),
            times: PartTimes {
                assigned_at: p.assigned_at,
                due_at: p.due_at,
                answered_at: p.answered_at,
            },
            rating: p.rating.and_then(|r| u8::try_from(r).ok()),
        })
        .collect();
    Ok(department_kpis(&app.requests, &facts, now(app)))
}

#[derive(Template)]
#[template(path = "services/requests_kpi.html")]
struct KpiPage {
    chrome: Chrome,
    month: String,
    rows: Vec<KpiLine>,
}

/// `GET /services/requests/kpi`
pub async fn kpi_page(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let (from, to, month) = month_window(&app, &p.month)?;
    let rows = kpi_lines(&app, from, to).await?;
    render(&KpiPage {
        chrome: chrome.titled("部门诉求办理考核", "services"),
        month,
        rows,
    })
}

/// The indicators as a workbook.
pub fn kpi_workbook(month: &str, rows: &[KpiLine]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name(format!("诉求办理 {month}"))?;
    for (c, h) in [
        "部门",
        "分派件数",
        "已答复",
        "超期未答复",
        "按期答复率",
        "满意度（平均星级）",
        "评价件数",
        "平均办理时长",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string(row, 0, &r.name)?;
        sheet.write_number(row, 1, r.parts as f64)?;
        sheet.write_number(row, 2, r.answered as f64)?;
        sheet.write_number(row, 3, r.overdue as f64)?;
        sheet.write_string(row, 4, &r.on_time)?;
        sheet.write_string(row, 5, &r.satisfaction)?;
        sheet.write_number(row, 6, r.rated as f64)?;
        sheet.write_string(row, 7, &r.average_time)?;
    }
    sheet.autofit();
    book.save_to_buffer()
}

/// `GET /services/requests/kpi.xlsx`
pub async fn kpi_xlsx(
    State(app): State<AppState>,
    Query(p): Query<MonthParam>,
) -> Result<Response, PageError> {
    let (from, to, month) = month_window(&app, &p.month)?;
    let rows = kpi_lines(&app, from, to).await?;
    let bytes = kpi_workbook(&month, &rows)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"services-requests-kpi-{month}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
