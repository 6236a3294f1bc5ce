//! Online labour mediation (不见面维权) on the web: a worker or an
//! enterprise applies, a mediator accepts (or refuses with a reason), the
//! parties and the mediator exchange messages and documents, the mediator
//! schedules meetings and records the outcome; each party follows the
//! case's timeline on its page; the mediators read the statistics. The
//! rules are `yiwang_services::mediation`; storage is
//! `yiwang_store::mediation`.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/mediation` | workers, enterprises, mediators | the viewer's cases (a worker's own, those naming an enterprise, all), searched, filtered and paged |
//! | `GET /services/mediation/new`, `POST /services/mediation` | workers, enterprises | apply for mediation |
//! | `GET /services/mediation/{id}` | the worker, the enterprise named, mediators | the case, its limit and timeline, and the forms the viewer may use |
//! | `POST /services/mediation/{id}/accept`, `…/refuse` | mediators | accept a submitted case, or refuse it with a reason |
//! | `POST /services/mediation/{id}/messages` | the parties, mediators | a message, while it is mediated |
//! | `POST /services/mediation/{id}/documents` | the parties, mediators | a document (PDF, JPEG or PNG, up to 5 MB; multipart, the CSRF token in the query) |
//! | `GET /services/mediation/documents/{id}` | whoever may read its case | the document |
//! | `POST /services/mediation/{id}/meetings` | mediators | schedule a meeting, online or in person |
//! | `POST /services/mediation/{id}/outcome` | mediators | record the outcome, which closes the case |
//! | `POST /services/mediation/{id}/withdraw` | the applicant | withdraw while the case is open |
//! | `GET /services/mediation/{id}/agreement` | whoever may read the case | the agreement, printable, once agreed |
//! | `GET /services/mediation/stats`, `GET /services/mediation/stats.xlsx` | mediators | cases by month, kind, state and outcome, average duration, amounts agreed |
//!
//! # Who is who
//!
//! Workers are accounts of role `worker` (职工), registered at
//! `/register?as=worker`. Enterprises are the registered enterprise
//! accounts (role `bidder`). Mediators are service staff (role
//! `service_staff`: the union's and the service centre's mediators); the
//! platform has no separate mediator role, because the same staff keep the
//! other worker services and an administrator already gives them that role.
//! A worker sees the cases it brought; an enterprise the cases naming it
//! (linked by its unified social credit code, or its own); mediators all.
//! Others are answered 404 for a case outside their scope. The worker's
//! phone is shown whole only to the worker and to mediators, masked to the
//! enterprise.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;
use yiwang_core::{Money, Role, Timestamp};
use yiwang_services::mediation::{
    check_document, check_message, check_reason, check_withdrawal, mask_phone, next_state,
    sniff_document, Action, Application, EventKind, MediationRules, MediationState, MeetingForm,
    MeetingMode, Outcome, OutcomeForm, Problem, Refusal, Side, Standing, DOCUMENT_MAX_BYTES,
};
use yiwang_store::mediation::{
    ChangeKind, Mediation, MediationChange, MediationEvent, MediationQuery, MediationStats,
    NewMediation,
};
use yiwang_store::{Page, StoreError};

use crate::auth::access::{Access, Routes};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Who reads cases: each within its scope.
pub const READERS: &[Role] = &[Role::Worker, Role::Bidder, Role::ServiceStaff];
/// Who applies.
pub const APPLICANTS: &[Role] = &[Role::Worker, Role::Bidder];
/// The mediators.
pub const MEDIATORS: &[Role] = &[Role::ServiceStaff];

/// Rows per page of the list.
pub const PAGE_SIZE: u32 = 30;

const DAY: i64 = 86_400_000_000;

/// The `[services_mediation]` section of the server configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediationConfig {
    /// A TOML file that replaces the shipped kinds of dispute and the time
    /// limit (the format of `crates/services/config/mediation.toml`).
    pub rules_file: Option<String>,
}

/// The rules the server runs with: the shipped ones or the operator's file.
pub fn load_rules(config: &MediationConfig) -> anyhow::Result<Arc<MediationRules>> {
    Ok(Arc::new(match &config.rules_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("调解配置文件 {path} 无法读取：{e}"))?;
            MediationRules::from_toml(&text).map_err(|e| anyhow::anyhow!("{path}：{e}"))?
        }
        None => MediationRules::shipped(),
    }))
}

/// The routes of this module.
pub fn routes(r: Routes) -> Routes {
    use Access::Roles;
    r.get("/services/mediation", Roles(READERS), list)
        .get("/services/mediation/new", Roles(APPLICANTS), new_form)
        .post("/services/mediation", Roles(APPLICANTS), submit)
        .get("/services/mediation/stats", Roles(MEDIATORS), stats_page)
        .get(
            "/services/mediation/stats.xlsx",
            Roles(MEDIATORS),
            stats_xlsx,
        )
        .get(
            "/services/mediation/documents/{id}",
            Roles(READERS),
            document,
        )
        .get("/services/mediation/{id}", Roles(READERS), show)
        .get(
            "/services/mediation/{id}/agreement",
            Roles(READERS),
            agreement,
        )
        .post("/services/mediation/{id}/accept", Roles(MEDIATORS), accept)
        .post("/services/mediation/{id}/refuse", Roles(MEDIATORS), refuse)
        .post("/services/mediation/{id}/messages", Roles(READERS), message)
        .post("/services/mediation/{id}/documents", Roles(READERS), upload)
        .post(
            "/services/mediation/{id}/meetings",
            Roles(MEDIATORS),
            meeting,
        )
        .post(
            "/services/mediation/{id}/outcome",
            Roles(MEDIATORS),
            outcome,
        )
        .post(
            "/services/mediation/{id}/withdraw",
            Roles(APPLICANTS),
            withdraw,
        )
}

/// Whose cases a viewer works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    /// A worker: the cases it brought.
    Worker(Uuid),
    /// An enterprise: the cases naming it.
    Enterprise(Uuid),
    Mediator,
}

impl Party {
    fn of(viewer: &Viewer) -> Result<Party, AppError> {
        let user = &viewer.require()?.user;
        match (user.role, user.enterprise_id) {
            (Role::ServiceStaff, _) => Ok(Party::Mediator),
            (Role::Worker, _) => Ok(Party::Worker(user.id)),
            (Role::Bidder, Some(e)) => Ok(Party::Enterprise(e)),
            _ => Err(AppError::Forbidden),
        }
    }

    fn side(self) -> Side {
        match self {
            Party::Worker(_) => Side::Worker,
            Party::Enterprise(_) => Side::Enterprise,
            Party::Mediator => Side::Mediator,
        }
    }

    fn sees(self, m: &Mediation) -> bool {
        match self {
            Party::Worker(u) => m.worker_user_id == Some(u),
            Party::Enterprise(e) => m.enterprise_id == Some(e),
            Party::Mediator => true,
        }
    }

    /// Whether the viewer brought the case.
    fn is_applicant(self, m: &Mediation) -> bool {
        match self {
            Party::Worker(u) => m.applicant_side == "worker" && m.worker_user_id == Some(u),
            Party::Enterprise(e) => m.applicant_side == "enterprise" && m.enterprise_id == Some(e),
            Party::Mediator => false,
        }
    }

    /// The worker's phone, whole for the worker and mediators.
    fn phone(self, m: &Mediation) -> String {
        match self {
            Party::Enterprise(_) => mask_phone(&m.worker_phone),
            _ => m.worker_phone.clone(),
        }
    }

    fn scope(self, q: &mut MediationQuery) {
        match self {
            Party::Worker(u) => q.worker_user_id = Some(u),
            Party::Enterprise(e) => q.enterprise_id = Some(e),
            Party::Mediator => {}
        }
    }

    /// Whether the party may do `action` on the case now.
    fn may(self, m: &Mediation, action: Action) -> Result<MediationState, Refusal> {
        let state = MediationState::from_code(&m.state).unwrap_or(MediationState::Closed);
        next_state(state, self.side(), self.is_applicant(m), action)
    }
}

fn yuan(fen: i64) -> String {
    format!("{} 元", Money::from_fen(fen).format_grouped())
}

fn yuan_opt(fen: Option<i64>) -> String {
    fen.map_or_else(|| "—".to_owned(), yuan)
}

fn state_label(code: &str) -> &'static str {
    MediationState::from_code(code).map_or("—", MediationState::label)
}

fn outcome_label(code: Option<&str>) -> &'static str {
    code.and_then(Outcome::from_code).map_or("", Outcome::label)
}

fn standing(app: &AppState, m: &Mediation) -> Standing {
    Standing::of(
        MediationState::from_code(&m.state).unwrap_or(MediationState::Closed),
        m.due_at.map(Timestamp::from_micros),
        app.clock.now(),
    )
}

/// A case as the list shows it.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: Uuid,
    pub number: String,
    pub kind: String,
    pub worker: String,
    pub enterprise: String,
    pub state: &'static str,
    pub outcome: &'static str,
    pub standing: Standing,
    pub submitted: String,
    pub due: String,
}

impl Line {
    fn of(app: &AppState, m: &Mediation) -> Line {
        Line {
            id: m.id,
            number: m.number.clone(),
            kind: app.mediation.kind_name(&m.kind).to_owned(),
            worker: m.worker_name.clone(),
            enterprise: m.enterprise_name.clone(),
            state: state_label(&m.state),
            outcome: outcome_label(m.outcome.as_deref()),
            standing: standing(app, m),
            submitted: show_time(Some(m.submitted_at)),
            due: m
                .due_at
                .filter(|_| m.state == "mediating")
                .map(|d| show_time(Some(d)))
                .unwrap_or_default(),
        }
    }
}

/// The list's filters, as the form sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub kind: String,
    /// `1`: only cases past their limit.
    #[serde(default)]
    pub overdue: String,
    #[serde(default)]
    pub page: String,
}

impl Filter {
    fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }

    fn query(&self, app: &AppState, party: Party) -> MediationQuery {
        let q = self.q.trim();
        let mut query = MediationQuery {
            search: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            state: MediationState::from_code(self.state.trim()).map(|s| s.code().to_owned()),
            kind: app.mediation.kind(self.kind.trim()).map(|k| k.code.clone()),
            overdue_at: (self.overdue == "1").then(|| app.clock.now().micros()),
            ..MediationQuery::default()
        };
        party.scope(&mut query);
        query
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("state", self.state.trim().to_owned()),
            ("kind", self.kind.trim().to_owned()),
            ("overdue", self.overdue.trim().to_owned()),
        ]
    }
}

fn kind_choices(rules: &MediationRules) -> Vec<(String, String)> {
    rules
        .kinds
        .iter()
        .map(|k| (k.code.clone(), k.name.clone()))
        .collect()
}

fn state_choices() -> Vec<(&'static str, &'static str)> {
    MediationState::ALL
        .iter()
        .map(|s| (s.code(), s.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "services/mediation.html")]
struct ListPage {
    chrome: Chrome,
    f: Filter,
    kinds: Vec<(String, String)>,
    states: Vec<(&'static str, &'static str)>,
    total: u64,
    rows: Vec<Line>,
    pager: String,
    may_apply: bool,
    is_mediator: bool,
}

/// `GET /services/mediation`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<Filter>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let page = f.page_number();
    let found = app
        .store
        .mediations(&f.query(&app, party), Page::number(page, PAGE_SIZE))
        .await?;
    render(&ListPage {
        chrome: chrome.titled("劳动争议网上调解", "services"),
        pager: pager(
            "/services/mediation",
            &f.pairs(),
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found.items.iter().map(|m| Line::of(&app, m)).collect(),
        kinds: kind_choices(&app.mediation),
        states: state_choices(),
        may_apply: party != Party::Mediator,
        is_mediator: party == Party::Mediator,
        f,
    })
}

#[derive(Template)]
#[template(path = "services/mediation_new.html")]
struct NewPage {
    chrome: Chrome,
    form: Application,
    kinds: Vec<(String, String)>,
    /// An enterprise applies as itself: its name and code are fixed.
    as_enterprise: bool,
    errors: Vec<FieldError>,
}

fn problems(ps: Vec<Problem>) -> Vec<FieldError> {
    ps.into_iter()
        .map(|p| FieldError::new(p.field, p.message))
        .collect()
}

/// The form as it starts: a worker's name and phone, or the enterprise's
/// name and code, filled in.
async fn blank_application(
    app: &AppState,
    viewer: &Viewer,
    party: Party,
) -> Result<Application, AppError> {
    let user = &viewer.require()?.user;
    Ok(match party {
        Party::Enterprise(e) => {
            let ent = app.store.enterprise(e).await?.ok_or(AppError::Forbidden)?;
            Application {
                enterprise_name: ent.name,
                enterprise_code: ent.credit_code,
                ..Application::default()
            }
        }
        _ => Application {
            worker_name: user.display_name.clone(),
            worker_phone: user.phone.clone().unwrap_or_default(),
            ..Application::default()
        },
    })
}

fn new_page(
    app: &AppState,
    chrome: Chrome,
    party: Party,
    form: Application,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&NewPage {
        chrome: chrome.titled("申请劳动争议调解", "services"),
        kinds: kind_choices(&app.mediation),
        as_enterprise: matches!(party, Party::Enterprise(_)),
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/mediation/new`
pub async fn new_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let form = blank_application(&app, &viewer, party).await?;
    new_page(&app, chrome, party, form, vec![])
}

/// `POST /services/mediation`
pub async fn submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(mut form): Form<Application>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let user = viewer.require()?.user.clone();
    if let Party::Enterprise(_) = party {
        // An enterprise applies as itself whatever the form says.
        let own = blank_application(&app, &viewer, party).await?;
        form.enterprise_name = own.enterprise_name;
        form.enterprise_code = own.enterprise_code;
    }
    let checked = match form.check(&app.mediation) {
        Ok(c) => c,
        Err(ps) => return new_page(&app, chrome, party, form, problems(ps)),
    };
    let (side, worker_user_id, enterprise_id) = match party {
        Party::Worker(u) => ("worker", Some(u), None),
        Party::Enterprise(e) => ("enterprise", None, Some(e)),
        Party::Mediator => return Err(AppError::Forbidden.into()),
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    let stored = app
        .store
        .submit_mediation(
            &ctx,
            NewMediation {
                id: Uuid::now_v7(),
                applicant_side: side.to_owned(),
                applicant_id: user.id,
                applicant_name: user.display_name.clone(),
                worker_user_id,
                worker_name: checked.worker_name,
                worker_phone: checked.worker_phone,
                enterprise_id,
                enterprise_name: checked.enterprise_name,
                enterprise_code: checked.enterprise_code,
                kind: checked.kind,
                facts: checked.facts,
                claims: checked.claims,
                amount_claimed_fen: checked.amount_claimed_fen,
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/services/mediation/{}?ok=submitted", stored.id)).into_response())
}

/// A line of the timeline as shown.
#[derive(Debug, Clone)]
pub struct TimelineLine {
    pub at: String,
    pub what: &'static str,
    pub who: String,
    pub text: String,
    pub meeting: String,
    pub document: Option<(Uuid, String)>,
}

fn timeline_line(e: &MediationEvent) -> TimelineLine {
    let side = Side::from_code(&e.side).map_or("", Side::label);
    TimelineLine {
        at: show_time(Some(e.at)),
        what: EventKind::from_code(&e.kind).map_or("—", EventKind::label),
        who: format!("{side} {}", e.actor_name),
        text: e.text.clone(),
        meeting: match (e.meeting_at, e.meeting_mode.as_deref()) {
            (Some(at), Some(mode)) => {
                let mode = MeetingMode::from_code(mode).map_or("", MeetingMode::label);
                if e.meeting_place.is_empty() {
                    format!("{}，{mode}", show_time(Some(at)))
                } else {
                    format!("{}，{mode}，{}", show_time(Some(at)), e.meeting_place)
                }
            }
            _ => String::new(),
        },
        document: e.document_id.map(|d| (d, e.document_name.clone())),
    }
}

/// What the forms of the case page hold when one comes back with errors.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub at: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub amount: String,
}

#[derive(Template)]
#[template(path = "services/mediation_show.html")]
struct ShowPage {
    chrome: Chrome,
    m: Mediation,
    kind: String,
    phone: String,
    state: &'static str,
    outcome: &'static str,
    standing: Standing,
    submitted: String,
    accepted: String,
    due: String,
    closed: String,
    claimed: String,
    agreed: String,
    timeline: Vec<TimelineLine>,
    notice: &'static str,
    errors: Vec<FieldError>,
    typed: Typed,
    /// Which form sent `typed`: its values go back into that form only.
    typed_for: &'static str,
    may_decide: bool,
    may_talk: bool,
    may_schedule: bool,
    may_record: bool,
    may_withdraw: bool,
    recorded: Vec<(&'static str, &'static str)>,
    max_mb: usize,
}

/// The case, if the viewer may see it; 404 otherwise.
async fn case_for(app: &AppState, party: Party, id: &str) -> Result<Mediation, AppError> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let m = app.store.mediation(id).await?.ok_or(AppError::NotFound)?;
    if !party.sees(&m) {
        return Err(AppError::NotFound);
    }
    Ok(m)
}

async fn show_page(
    app: &AppState,
    chrome: Chrome,
    party: Party,
    m: Mediation,
    notice: &'static str,
    errors: Vec<FieldError>,
    typed: (Typed, &'static str),
) -> Result<Response, PageError> {
    let events = app.store.mediation_events(m.id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let ok = |a| party.may(&m, a).is_ok();
    let page = ShowPage {
        chrome: chrome.titled(format!("调解案件 {}", m.number), "services"),
        kind: app.mediation.kind_name(&m.kind).to_owned(),
        phone: party.phone(&m),
        state: state_label(&m.state),
        outcome: outcome_label(m.outcome.as_deref()),
        standing: standing(app, &m),
        submitted: show_time(Some(m.submitted_at)),
        accepted: show_time(m.accepted_at),
        due: show_time(m.due_at),
        closed: show_time(m.closed_at),
        claimed: yuan_opt(m.amount_claimed_fen),
        agreed: yuan_opt(m.amount_agreed_fen),
        timeline: events.iter().map(timeline_line).collect(),
        notice,
        errors,
        typed: typed.0,
        typed_for: typed.1,
        may_decide: ok(Action::Accept),
        may_talk: ok(Action::Message),
        may_schedule: ok(Action::Meeting),
        may_record: ok(Action::Record(Outcome::Agreed)),
        may_withdraw: ok(Action::Withdraw),
        recorded: Outcome::RECORDED
            .iter()
            .map(|o| (o.code(), o.label()))
            .collect(),
        max_mb: DOCUMENT_MAX_BYTES / 1024 / 1024,
        m,
    };
    let mut resp = render(&page)?;
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, private"),
    );
    Ok(resp)
}

/// `?ok=` after a change: what the page confirms.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Done {
    #[serde(default)]
    pub ok: String,
}

fn notice(ok: &str) -> &'static str {
    match ok {
        "submitted" => "调解申请已提交，调解员受理后会在此与您联系。",
        "accepted" => "已受理，调解期限 15 日。",
        "refused" => "已不予受理，申请人会看到理由。",
        "message" => "留言已发送。",
        "document" => "材料已上传。",
        "meeting" => "调解会已安排，双方会在时间线上看到。",
        "outcome" => "调解结果已记录，案件已结案。",
        "withdrawn" => "已撤回调解申请。",
        _ => "",
    }
}

/// `GET /services/mediation/{id}`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    show_page(
        &app,
        chrome,
        party,
        m,
        notice(&done.ok),
        vec![],
        (Typed::default(), ""),
    )
    .await
}

/// The refusal of a change as the form's error.
fn refused(r: Refusal) -> Vec<FieldError> {
    vec![FieldError::new(r.code(), r.to_string())]
}

/// Applies a checked change: judged again under the case's lock by the
/// store; a case that moved on meanwhile is shown again with why.
#[allow(clippy::too_many_arguments)]
async fn apply(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    addr: &ClientAddr,
    party: Party,
    m: Mediation,
    action: Action,
    text: String,
    kind: ChangeKind,
    done: &str,
    typed: (Typed, &'static str),
) -> Result<Response, PageError> {
    let to = match party.may(&m, action) {
        Ok(to) => to,
        Err(r) => return show_page(app, chrome, party, m, "", refused(r), typed).await,
    };
    let user = &viewer.require()?.user;
    let ctx = app.audit_ctx(viewer, addr);
    let result = app
        .store
        .change_mediation(
            &ctx,
            MediationChange {
                case_id: m.id,
                from: vec![m.state.clone()],
                to: to.code().to_owned(),
                side: party.side().code().to_owned(),
                actor_name: user.display_name.clone(),
                text,
                kind,
            },
        )
        .await;
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/services/mediation/{}?ok={done}", m.id)).into_response())
        }
        Err(StoreError::Conflict { field: "state" }) => {
            let fresh = app.store.mediation(m.id).await?.ok_or(AppError::NotFound)?;
            let errors = vec![FieldError::new(
                "state",
                "案件状态已变化（可能已被其他调解员处理），请查看最新情况后再操作",
            )];
            show_page(app, chrome, party, fresh, "", errors, typed).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// `POST /services/mediation/{id}/accept`
pub async fn accept(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    let due_at = app.mediation.due_at(app.clock.now()).micros();
    apply(
        &app,
        chrome,
        &viewer,
        &addr,
        party,
        m,
        Action::Accept,
        String::new(),
        ChangeKind::Accept { due_at },
        "accepted",
        (Typed::default(), ""),
    )
    .await
}

/// `POST /services/mediation/{id}/refuse`
pub async fn refuse(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    let reason = match check_reason(&typed.reason) {
        Ok(r) => r,
        Err(p) => {
            return show_page(
                &app,
                chrome,
                party,
                m,
                "",
                problems(vec![p]),
                (typed, "refuse"),
            )
            .await
        }
    };
    apply(
        &app,
        chrome,
        &viewer,
        &addr,
        party,
        m,
        Action::Refuse,
        reason,
        ChangeKind::Refuse,
        "refused",
        (typed, "refuse"),
    )
    .await
}

/// `POST /services/mediation/{id}/messages`
pub async fn message(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    let text = match check_message(&typed.text) {
        Ok(t) => t,
        Err(p) => {
            return show_page(
                &app,
                chrome,
                party,
                m,
                "",
                problems(vec![p]),
                (typed, "message"),
            )
            .await
        }
    };
    apply(
        &app,
        chrome,
        &viewer,
        &addr,
        party,
        m,
        Action::Message,
        text,
        ChangeKind::Message,
        "message",
        (typed, "message"),
    )
    .await
}

/// `POST /services/mediation/{id}/meetings`
pub async fn meeting(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    let form = MeetingForm {
        at: typed.at.clone(),
        mode: typed.mode.clone(),
        place: typed.place.clone(),
    };
    let checked = match form.check(app.clock.now()) {
        Ok(c) => c,
        Err(ps) => {
            return show_page(&app, chrome, party, m, "", problems(ps), (typed, "meeting")).await
        }
    };
    apply(
        &app,
        chrome,
        &viewer,
        &addr,
        party,
        m,
        Action::Meeting,
        String::new(),
        ChangeKind::Meeting {
            at: checked.at.micros(),
            mode: checked.mode.code().to_owned(),
            place: checked.place,
        },
        "meeting",
        (typed, "meeting"),
    )
    .await
}

/// `POST /services/mediation/{id}/outcome`
pub async fn outcome(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    let form = OutcomeForm {
        outcome: typed.outcome.clone(),
        text: typed.text.clone(),
        amount: typed.amount.clone(),
    };
    let checked = match form.check() {
        Ok(c) => c,
        Err(ps) => {
            return show_page(&app, chrome, party, m, "", problems(ps), (typed, "outcome")).await
        }
    };
    apply(
        &app,
        chrome,
        &viewer,
        &addr,
        party,
        m,
        Action::Record(checked.outcome),
        checked.text,
        ChangeKind::Close {
            outcome: checked.outcome.code().to_owned(),
            amount_agreed_fen: checked.amount_agreed_fen,
        },
        "outcome",
        (typed, "outcome"),
    )
    .await
}

/// `POST /services/mediation/{id}/withdraw`
pub async fn withdraw(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    let text = match check_withdrawal(&typed.text) {
        Ok(t) => t,
        Err(p) => {
            return show_page(
                &app,
                chrome,
                party,
                m,
                "",
                problems(vec![p]),
                (typed, "withdraw"),
            )
            .await
        }
    };
    apply(
        &app,
        chrome,
        &viewer,
        &addr,
        party,
        m,
        Action::Withdraw,
        text,
        ChangeKind::Close {
            outcome: Outcome::Withdrawn.code().to_owned(),
            amount_agreed_fen: None,
        },
        "withdrawn",
        (typed, "withdraw"),
    )
    .await
}

/// `POST /services/mediation/{id}/documents`: multipart, one `file`, with
/// an optional `text` describing it.
pub async fn upload(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    let read = read_upload(req).await;
    let (name, text, bytes) = match read {
        Ok(r) => r,
        Err(e) => {
            return show_page(
                &app,
                chrome,
                party,
                m,
                "",
                e,
                (Typed::default(), "document"),
            )
            .await
        }
    };
    let typed = Typed {
        text: text.clone(),
        ..Typed::default()
    };
    // What is stored is what the bytes are, not what the browser claimed;
    // an empty upload is judged as no file.
    let content_type = if bytes.is_empty() {
        "application/pdf"
    } else {
        sniff_document(&bytes).unwrap_or("application/octet-stream")
    };
    let name = match check_document(&name, content_type, bytes.len()) {
        Ok(n) => n,
        Err(p) => {
            return show_page(
                &app,
                chrome,
                party,
                m,
                "",
                problems(vec![p]),
                (typed, "document"),
            )
            .await
        }
    };
    let text = text.trim().chars().take(200).collect::<String>();
    apply(
        &app,
        chrome,
        &viewer,
        &addr,
        party,
        m,
        Action::Document,
        text,
        ChangeKind::Document {
            id: Uuid::now_v7(),
            name,
            content_type: content_type.to_owned(),
            bytes,
        },
        "document",
        (typed, "document"),
    )
    .await
}

/// The file's name, the `text` field and the file's bytes of a multipart
/// upload.
async fn read_upload(req: Request) -> Result<(String, String, Vec<u8>), Vec<FieldError>> {
    let bad = |m: &str| vec![FieldError::new("file", m)];
    let (parts, body) = req.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| bad("请通过页面上的“上传材料”表单选择文件后上传"))?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .per_field(DOCUMENT_MAX_BYTES as u64)
            .whole_stream((DOCUMENT_MAX_BYTES + 64 * 1024) as u64),
    );
    let mut form =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let too_big = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => bad(
            &format!("材料不能超过 {} MB", DOCUMENT_MAX_BYTES / 1024 / 1024),
        ),
        _ => bad("上传的表单无法读取，请重新选择文件后上传"),
    };
    let (mut name, mut text, mut bytes) = (String::new(), String::new(), Vec::new());
    while let Some(field) = form.next_field().await.map_err(too_big)? {
        match field.name().unwrap_or("") {
            "file" => {
                name = field.file_name().unwrap_or("").to_owned();
                bytes = field.bytes().await.map_err(too_big)?.to_vec();
            }
            "text" => text = field.text().await.map_err(too_big)?,
            _ => {
                field.bytes().await.map_err(too_big)?;
            }
        }
    }
    Ok((name, text, bytes))
}

/// `GET /services/mediation/documents/{id}`: to whoever may read its case.
pub async fn document(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let doc = app
        .store
        .mediation_document(id)
        .await?
        .ok_or(AppError::NotFound)?;
    case_for(&app, party, &doc.case_id.to_string()).await?;
    let ascii: String = doc
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, doc.content_type),
            (header::CACHE_CONTROL, "no-store, private".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "inline; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    percent(&doc.name)
                ),
            ),
        ],
        doc.bytes,
    )
        .into_response())
}

/// RFC 5987 percent-encoding of a file name.
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "services/mediation_agreement.html")]
struct AgreementPage {
    chrome: Chrome,
    m: Mediation,
    kind: String,
    agreed: String,
    closed: String,
}

/// `GET /services/mediation/{id}/agreement`: the agreement, to print.
pub async fn agreement(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let party = Party::of(&viewer)?;
    let m = case_for(&app, party, &id).await?;
    if m.outcome.as_deref() != Some(Outcome::Agreed.code()) {
        return Err(AppError::NotFound.into());
    }
    render(&AgreementPage {
        chrome: chrome.titled(format!("调解协议书 {}", m.number), "services"),
        kind: app.mediation.kind_name(&m.kind).to_owned(),
        agreed: yuan_opt(m.amount_agreed_fen),
        closed: m
            .closed_at
            .map(|t| Timestamp::from_micros(t).format_cn_date())
            .unwrap_or_default(),
        m,
    })
}

/// The statistics' window, as the form sends it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatsQuery {
    /// `YYYY-MM-DD`, the first day counted; twelve months ago by default.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, the last day counted; today by default.
    #[serde(default)]
    pub to: String,
}

fn parse_date(text: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), &fmt).ok()
}

fn date_input(d: Date) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    d.format(&fmt).unwrap_or_default()
}

/// The window `[from, to + 1 day)` and the statistics.
async fn stats_of(
    app: &AppState,
    q: &StatsQuery,
) -> Result<(Date, Date, MediationStats), AppError> {
    let today = app.clock.now().shanghai_date();
    let default_from = today
        .replace_day(1)
        .ok()
        .and_then(|d| {
            let (y, m) = (d.year(), u8::from(d.month()));
            let (y, m) = if m == 12 { (y, 1) } else { (y - 1, m + 1) };
            Date::from_calendar_date(y, time::Month::try_from(m).ok()?, 1).ok()
        })
        .unwrap_or(today);
    let mut errors = Vec::new();
    let from = match q.from.trim() {
        "" => Some(default_from),
        t => parse_date(t),
    };
    if from.is_none() {
        errors.push(FieldError::new(
            "from",
            "起始日期格式应为“年-月-日”，例如 2026-01-01",
        ));
    }
    let to = match q.to.trim() {
        "" => Some(today),
        t => parse_date(t),
    };
    if to.is_none() {
        errors.push(FieldError::new(
            "to",
            "截止日期格式应为“年-月-日”，例如 2026-12-31",
        ));
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::Invalid(errors));
    };
    if to < from {
        return Err(AppError::field("to", "截止日期不能早于起始日期"));
    }
    let start = Timestamp::from_shanghai(from, 0, 0, 0).micros();
    let end = Timestamp::from_shanghai(to, 0, 0, 0).micros() + DAY;
    let stats = app.store.mediation_stats(start, end).await?;
    Ok((from, to, stats))
}

/// A labelled count, with its share of the total.
type CountRow = (String, u64, String);

fn rows_of(
    counts: &std::collections::BTreeMap<String, u64>,
    order: &[(String, String)],
    total: u64,
) -> Vec<CountRow> {
    order
        .iter()
        .map(|(code, label)| {
            let n = counts.get(code).copied().unwrap_or(0);
            let share = if total == 0 {
                "—".to_owned()
            } else {
                format!("{:.1}%", n as f64 * 100.0 / total as f64)
            };
            (label.clone(), n, share)
        })
        .collect()
}

struct Tables {
    states: Vec<CountRow>,
    outcomes: Vec<CountRow>,
    kinds: Vec<CountRow>,
    /// Month, submitted, closed, agreed, amount agreed.
    months: Vec<(String, u64, u64, u64, String)>,
    average: String,
    success: String,
}

fn tables(app: &AppState, s: &MediationStats) -> Tables {
    let closed: u64 = s.by_outcome.values().sum();
    let agreed = s.by_outcome.get("agreed").copied().unwrap_or(0);
    Tables {
        states: rows_of(
            &s.by_state,
            &MediationState::ALL
                .iter()
                .map(|x| (x.code().to_owned(), x.label().to_owned()))
                .collect::<Vec<_>>(),
            s.total,
        ),
        outcomes: rows_of(
            &s.by_outcome,
            &Outcome::ALL
                .iter()
                .map(|x| (x.code().to_owned(), x.label().to_owned()))
                .collect::<Vec<_>>(),
            closed,
        ),
        kinds: rows_of(&s.by_kind, &kind_choices(&app.mediation), s.total),
        months: s
            .by_month
            .iter()
            .map(|m| {
                (
                    m.month.clone(),
                    m.submitted,
                    m.closed,
                    m.agreed,
                    yuan(m.amount_agreed_fen),
                )
            })
            .collect(),
        average: s
            .average_days
            .map_or_else(|| "—".to_owned(), |d| format!("{d:.1} 天")),
        success: if closed == 0 {
            "—".to_owned()
        } else {
            format!("{:.1}%", agreed as f64 * 100.0 / closed as f64)
        },
    }
}

#[derive(Template)]
#[template(path = "services/mediation_stats.html")]
struct StatsPage {
    chrome: Chrome,
    from: String,
    to: String,
    s: MediationStats,
    t: Tables,
    claimed: String,
    agreed: String,
    errors: Vec<FieldError>,
}

/// `GET /services/mediation/stats?from=&to=`
pub async fn stats_page(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let chrome = chrome.titled("劳动争议调解统计", "services");
    match stats_of(&app, &q).await {
        Ok((from, to, s)) => render(&StatsPage {
            chrome,
            from: date_input(from),
            to: date_input(to),
            t: tables(&app, &s),
            claimed: yuan(s.amount_claimed_fen),
            agreed: yuan(s.amount_agreed_fen),
            s,
            errors: vec![],
        }),
        Err(AppError::Invalid(errors)) => {
            let s = MediationStats::default();
            let mut resp = render(&StatsPage {
                chrome,
                from: q.from.clone(),
                to: q.to.clone(),
                t: tables(&app, &s),
                claimed: yuan(0),
                agreed: yuan(0),
                s,
                errors,
            })?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /services/mediation/stats.xlsx?from=&to=`
pub async fn stats_xlsx(
    State(app): State<AppState>,
    Query(q): Query<StatsQuery>,
) -> Result<Response, PageError> {
    let (from, to, s) = stats_of(&app, &q).await?;
    let bytes = stats_workbook(&app, &date_input(from), &date_input(to), &s)
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
                    "attachment; filename=\"mediation-stats-{}-{}.xlsx\"",
                    date_input(from),
                    date_input(to)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The statistics as a workbook: a summary sheet and one sheet by month.
fn stats_workbook(
    app: &AppState,
    from: &str,
    to: &str,
    s: &MediationStats,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let t = tables(app, s);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name("汇总")?;
    sheet.write_string_with_format(
        0,
        0,
        format!("劳动争议网上调解统计（{from} 至 {to} 提交的案件）"),
        &bold,
    )?;
    let mut r = 2u32;
    for (label, value) in [
        ("案件总数", s.total as f64),
        ("调解结案件数", s.mediated as f64),
        ("申请金额（元）", s.amount_claimed_fen as f64 / 100.0),
        ("协议金额（元）", s.amount_agreed_fen as f64 / 100.0),
    ] {
        sheet.write_string(r, 0, label)?;
        sheet.write_number(r, 1, value)?;
        r += 1;
    }
    sheet.write_string(r, 0, "平均调解时长（天）")?;
    if let Some(d) = s.average_days {
        sheet.write_number(r, 1, (d * 10.0).round() / 10.0)?;
    }
    r += 2;
    for (title, rows) in [
        ("按状态", &t.states),
        ("按结果", &t.outcomes),
        ("按争议类型", &t.kinds),
    ] {
        sheet.write_string_with_format(r, 0, title, &bold)?;
        sheet.write_string_with_format(r, 1, "件数", &bold)?;
        sheet.write_string_with_format(r, 2, "占比", &bold)?;
        r += 1;
        for (label, n, share) in rows {
            sheet.write_string(r, 0, label)?;
            sheet.write_number(r, 1, *n as f64)?;
            sheet.write_string(r, 2, share)?;
            r += 1;
        }
        r += 1;
    }
    sheet.autofit();
    let months = book.add_worksheet();
    months.set_name("按月")?;
    for (c, h) in ["月份", "申请", "结案", "调解成功", "协议金额（元）"]
        .iter()
        .enumerate()
    {
        months.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, m) in s.by_month.iter().enumerate() {
        let r = i as u32 + 1;
        months.write_string(r, 0, &m.month)?;
        months.write_number(r, 1, m.submitted as f64)?;
        months.write_number(r, 2, m.closed as f64)?;
        months.write_number(r, 3, m.agreed as f64)?;
        months.write_number_with_format(r, 4, m.amount_agreed_fen as f64 / 100.0, &money)?;
    }
    months.autofit();
    book.save_to_buffer()
}
