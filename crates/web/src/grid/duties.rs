//! The grid staff's duties (网格员职责) on the web: the worker's to-do
//! list, the forms to record a patrol, a visit or an attendance, a grid's
//! duty log, the supervisor's overdue list and its workbook, and the
//! completion rates the KPI pages show.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /grid/duties` | grid staff, supervisors | open duties of the viewer's grids, today's first, with one-tap links; then their overdue ones |
//! | `GET /grid/grids/{id}/patrols/new`, `POST /grid/grids/{id}/patrols` | the grid's staff | record a patrol |
//! | `GET /grid/grids/{id}/visits/new`, `POST /grid/grids/{id}/visits` | the grid's staff | record a visit to a household or a tagged person |
//! | `POST /grid/grids/{id}/attendances` | the grid's staff | record attendance at an emergency or a dispute |
//! | `GET /grid/grids/{id}/duties` | the grid's staff, supervisors | the grid's duty log, newest first |
//! | `GET /grid/duties/overdue` | supervisors | overdue duties by street, community, grid and kind, 50 a page |
//! | `GET /grid/duties/overdue.xlsx` | supervisors | the same, every line, as a workbook |
//!
//! # What is due
//!
//! The rules are `yiwang_grid::duties` (configured under `[grid_duties]`);
//! each obligation is judged by [`yiwang_grid::duties::assess`] against the
//! facts the store counts ([`yiwang_store::duties`]), in a few queries
//! whatever the number of grids:
//!
//! * a **patrol** per grid per working day: open today, overdue for each
//!   working day of the last `overdue_days` days without one;
//! * a **household visit** per household with residents per period
//!   (half-year by default), and a **tagged visit** per resident with a tag
//!   per period (month): open in the current period, overdue when the
//!   previous one ended without a visit;
//! * **attendance** at each case of the `attendance_categories` reported in
//!   the grid in the last `overdue_days` days: open until the rules'
//!   working hours have passed, overdue after.
//!
//! # Who sees what
//!
//! Grid leaders and workers see and record the duties of the grids they
//! are assigned to (`grid_assignments`); a grid that is not theirs answers
//! 403. Supervisors read every grid's log and the district's overdue list,
//! and record only in grids they are assigned to. People appear with their
//! name and masked ID number only.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;
use yiwang_cases::Rate;
use yiwang_core::{ResidentId, Role, Timestamp};
use yiwang_grid::duties::{assess, DutyKind, DutyRules, Obligation, Standing, Window};
use yiwang_grid::LngLat;
use yiwang_store::duties::{
    DutyScope, NewAttendance, NewPatrol, NewVisit, VisitKind, VisitQuery, VisitSubject,
};
use yiwang_store::kpi::KpiGroup;
use yiwang_store::residents::masked_id_number;
use yiwang_store::{Page, StoreError};

use super::kpi::{Period, KPI_READERS};
use super::pages::{entry, DirectoryRow};
use super::residents::{assigned_grids, may_change, sight, RESIDENT_STAFF};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Who has duties: grid leaders and workers, and supervisors in the grids
/// they are assigned to.
pub const DUTY_STAFF: &[Role] = RESIDENT_STAFF;

/// Who reads the district's overdue list: the command centre.
pub const OVERDUE_READERS: &[Role] = KPI_READERS;

/// Lines per page.
pub const PAGE_SIZE: usize = 50;

/// The `[grid_duties]` section of the server configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DutiesConfig {
    /// How often each duty recurs.
    pub rules: DutyRules,
    /// The case categories that need attendance (emergencies, disputes).
    pub attendance_categories: Vec<String>,
    /// How far back the overdue lists look for missed patrols and
    /// unattended cases, in days.
    pub overdue_days: u32,
}

impl Default for DutiesConfig {
    fn default() -> Self {
        DutiesConfig {
            rules: DutyRules::default(),
            attendance_categories: vec!["instability".to_owned(), "safety_hazard".to_owned()],
            overdue_days: 30,
        }
    }
}

/// One duty as the lists show it.
#[derive(Debug, Clone)]
pub struct DutyItem {
    pub kind: DutyKind,
    pub grid_code: String,
    pub grid_name: String,
    /// The route, household, person or case the duty is about.
    pub subject: String,
    pub household_id: Option<Uuid>,
    pub resident_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub window: Window,
    /// The deadline as people read it.
    pub deadline: String,
    pub done: u32,
    pub required: u32,
    pub standing: Standing,
    /// What the last fact was, if any ("最近走访 …").
    pub last: String,
}

impl DutyItem {
    pub fn kind_label(&self) -> &'static str {
        self.kind.label()
    }

    pub fn standing_label(&self) -> String {
        match self.standing {
            Standing::Open { days_left: 1 } => "今日到期".to_owned(),
            Standing::Open { days_left } => format!("剩 {days_left} 天"),
            Standing::Overdue { since } => format!("{} 起逾期", date_label(since)),
            other => other.label().to_owned(),
        }
    }

    pub fn is_overdue(&self) -> bool {
        matches!(self.standing, Standing::Overdue { .. })
    }

    /// The one-tap link that records it, when it is recorded by a form.
    pub fn record_link(&self) -> String {
        let base = format!("/grid/grids/{}", self.grid_code);
        match (self.kind, self.household_id, self.resident_id) {
            (DutyKind::Patrol, _, _) => format!("{base}/patrols/new"),
            (DutyKind::HouseholdVisit, Some(h), _) => format!("{base}/visits/new?household={h}"),
            (DutyKind::TaggedVisit, _, Some(r)) => format!("{base}/visits/new?resident={r}"),
            _ => String::new(),
        }
    }

    pub fn case_link(&self) -> String {
        self.case_id
            .map(|c| format!("/grid/events/{c}"))
            .unwrap_or_default()
    }

    fn sort_key(&self) -> (u32, DutyKind, String, String) {
        let days = match self.standing {
            Standing::Open { days_left } => days_left,
            _ => 0,
        };
        (
            days,
            self.kind,
            self.grid_code.clone(),
            self.subject.clone(),
        )
    }
}

fn date_label(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

fn day_start(d: Date) -> i64 {
    Timestamp::from_shanghai(d, 0, 0, 0).micros()
}

/// Today (Shanghai) at the clock's now.
fn today(app: &AppState) -> Date {
    app.clock.now().shanghai_date()
}

/// The person as lists show them: name and masked ID number.
fn person_label(s: &VisitSubject) -> String {
    let id = ResidentId::parse(&s.id_number)
        .map(|id| id.masked())
        .unwrap_or_else(|_| masked_id_number(&s.id_number));
    format!("{}（{}）{}", s.name, id, s.address)
}

fn subject_label(kind: VisitKind, s: &VisitSubject) -> String {
    match kind {
        VisitKind::Household => s.address.clone(),
        VisitKind::Tagged => person_label(s),
    }
}

/// Grid names by code.
async fn grid_names(app: &AppState) -> Result<BTreeMap<String, String>, AppError> {
    let map = app.grid_map.get(&*app.store).await?;
    Ok(map
        .shapes
        .iter()
        .map(|s| (s.code.to_string(), s.name.clone()))
        .collect())
}

/// The grid codes a scope covers, in order.
fn grids_in(names: &BTreeMap<String, String>, scope: &DutyScope) -> Vec<String> {
    names
        .keys()
        .filter(|g| scope.grids.as_ref().is_none_or(|gs| gs.contains(g)))
        .filter(|g| {
            scope
                .under
                .as_ref()
                .is_none_or(|u| g.starts_with(u.as_str()))
        })
        .cloned()
        .collect()
}

/// Which obligations to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Open now (the to-do list).
    Open,
    /// Overdue (the supervisor's list, and the worker's own).
    Overdue,
}

/// The obligations of `scope` that are open or overdue at the clock's now,
/// of the given kinds, in list order.
pub async fn duty_items(
    app: &AppState,
    scope: &DutyScope,
    kinds: &[DutyKind],
    listing: Listing,
) -> Result<Vec<DutyItem>, AppError> {
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let config = &app.config.grid_duties;
    let rules = config.rules;
    let now = app.clock.now();
    let today = now.shanghai_date();
    let calendar = app.events.workflow.calendar();
    let names = grid_names(app).await?;
    let name = |g: &str| names.get(g).cloned().unwrap_or_default();
    let lookback = i64::from(config.overdue_days.max(1));
    let mut out = Vec::new();

    if kinds.contains(&DutyKind::Patrol) {
        let (from, to) = match listing {
            Listing::Open => (today, today.next_day().unwrap_or(today)),
            Listing::Overdue => (today - time::Duration::days(lookback), today),
        };
        let counted = app
            .store
            .patrol_days(scope, day_start(from), day_start(to))
            .await?;
        let mut done: BTreeMap<(&str, i64), i64> = BTreeMap::new();
        let mut last: BTreeMap<&str, i64> = BTreeMap::new();
        for d in &counted {
            done.insert((d.grid_code.as_str(), d.day), d.patrols);
            last.insert(d.grid_code.as_str(), d.day);
        }
        for grid in grids_in(&names, scope) {
            for o in rules.patrol_obligations(calendar, &grid, from, to) {
                let n = done
                    .get(&(grid.as_str(), day_start(o.window.start)))
                    .copied()
                    .unwrap_or(0);
                let dates = vec![o.window.start; n.max(0) as usize];
                let a = assess(&o, &dates, today);
                if !matches!(
                    (listing, a.standing),
                    (Listing::Open, Standing::Open { .. })
                        | (Listing::Overdue, Standing::Overdue { .. })
                ) {
                    continue;
                }
                out.push(DutyItem {
                    kind: DutyKind::Patrol,
                    grid_name: name(&grid),
                    subject: format!("{} 巡查", date_label(o.window.start)),
                    grid_code: grid.clone(),
                    household_id: None,
                    resident_id: None,
                    case_id: None,
                    deadline: date_label(o.window.last_day()),
                    window: o.window,
                    done: a.done,
                    required: o.required,
                    standing: a.standing,
                    last: last
                        .get(grid.as_str())
                        .map(|d| {
                            format!("最近巡查 {}", Timestamp::from_micros(*d).format_cn_date())
                        })
                        .unwrap_or_default(),
                });
            }
        }
    }

    for (duty, kind) in [
        (DutyKind::HouseholdVisit, VisitKind::Household),
        (DutyKind::TaggedVisit, VisitKind::Tagged),
    ] {
        if !kinds.contains(&duty) {
            continue;
        }
        let Some(current) = rules.visit_window(duty, today) else {
            continue;
        };
        let window = match listing {
            Listing::Open => current,
            Listing::Overdue => {
                let Some(w) = current
                    .start
                    .previous_day()
                    .and_then(|d| rules.visit_window(duty, d))
                else {
                    continue;
                };
                w
            }
        };
        let subjects = app
            .store
            .visit_subjects(&VisitQuery {
                kind,
                scope: scope.clone(),
                from: day_start(window.start),
                to: day_start(window.end),
                fewer_than: Some(1),
            })
            .await?;
        for s in subjects {
            let o = Obligation {
                kind: duty,
                subject: s.resident_id.unwrap_or(s.household_id).to_string(),
                window,
                required: 1,
            };
            let dates = vec![window.start; s.visits.max(0) as usize];
            let a = assess(&o, &dates, today);
            if a.standing == Standing::Done {
                continue;
            }
            out.push(DutyItem {
                kind: duty,
                grid_name: name(&s.grid_code),
                subject: subject_label(kind, &s),
                grid_code: s.grid_code.clone(),
                household_id: Some(s.household_id),
                resident_id: s.resident_id,
                case_id: None,
                deadline: date_label(window.last_day()),
                window,
                done: a.done,
                required: 1,
                standing: a.standing,
                last: String::new(),
            });
        }
    }

    if kinds.contains(&DutyKind::Attendance) {
        let from = day_start(today - time::Duration::days(lookback));
        let cases = app
            .store
            .attendance_cases(scope, &config.attendance_categories, from, now.micros() + 1)
            .await?;
        let hours = app.events.workflow.working_hours();
        for c in cases {
            if c.attended_at.is_some() || c.stage == "closed" {
                continue;
            }
            let due = rules.attendance_due(calendar, hours, Timestamp::from_micros(c.reported_at));
            let overdue = due.micros() <= now.micros();
            if overdue != (listing == Listing::Overdue) {
                continue;
            }
            let start = Timestamp::from_micros(c.reported_at).shanghai_date();
            let due_date = due.shanghai_date();
            let window = Window {
                start,
                end: due_date.next_day().unwrap_or(due_date),
            };
            let category = app
                .events
                .workflow
                .category(&c.category)
                .map_or_else(|| c.category.clone(), |x| x.name.clone());
            out.push(DutyItem {
                kind: DutyKind::Attendance,
                grid_name: name(&c.grid_code),
                subject: format!("{} {} {}", c.number, category, c.address),
                grid_code: c.grid_code.clone(),
                household_id: None,
                resident_id: None,
                case_id: Some(c.case_id),
                deadline: due.format_cn(),
                window,
                done: 0,
                required: 1,
                standing: if overdue {
                    Standing::Overdue { since: due_date }
                } else {
                    Standing::Open {
                        days_left: ((due_date - today).whole_days().max(0) + 1) as u32,
                    }
                },
                last: format!("上报于 {}", show_time(Some(c.reported_at))),
            });
        }
    }

    match listing {
        Listing::Open => out.sort_by_key(DutyItem::sort_key),
        Listing::Overdue => out.sort_by(|a, b| {
            (
                a.grid_code.as_str(),
                a.kind,
                a.window.start,
                a.subject.as_str(),
            )
                .cmp(&(
                    b.grid_code.as_str(),
                    b.kind,
                    b.window.start,
                    b.subject.as_str(),
                ))
        }),
    }
    Ok(out)
}

/// `?ok=` after a recording, as a message.
fn ok_message(ok: &str) -> &'static str {
    match ok {
        "patrol" => "巡查记录已保存。",
        "visit" => "走访记录已保存。",
        "attendance" => "到场处置记录已保存。",
        _ => "",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TodoParams {
    #[serde(default)]
    ok: String,
    #[serde(default)]
    page: String,
}

fn page_number(text: &str) -> u32 {
    text.trim().parse::<u32>().unwrap_or(1).max(1)
}

fn page_of<T: Clone>(items: &[T], page: u32) -> Vec<T> {
    items
        .iter()
        .skip((page as usize - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .cloned()
        .collect()
}

#[derive(Template)]
#[template(path = "grid/duties.html")]
struct TodoPage {
    chrome: Chrome,
    ok: &'static str,
    grids: Vec<(String, String)>,
    open_total: usize,
    open: Vec<DutyItem>,
    overdue_total: usize,
    overdue: Vec<DutyItem>,
    pager: String,
    today: String,
}

/// `GET /grid/duties`: the viewer's open duties, today's first, and their
/// overdue ones.
pub async fn todo(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(p): Query<TodoParams>,
) -> Result<Response, PageError> {
    let grids = assigned_grids(&app, &viewer).await?;
    let names = grid_names(&app).await?;
    let scope = DutyScope::grids(grids.clone());
    let open = duty_items(&app, &scope, &DutyKind::ALL, Listing::Open).await?;
    let overdue = duty_items(&app, &scope, &DutyKind::ALL, Listing::Overdue).await?;
    let page = page_number(&p.page);
    let total = open.len();
    render(&TodoPage {
        chrome: chrome.titled("我的待办", "grid"),
        ok: ok_message(&p.ok),
        grids: grids
            .iter()
            .map(|g| (g.clone(), names.get(g).cloned().unwrap_or_default()))
            .collect(),
        open_total: total,
        open: page_of(&open, page),
        overdue_total: overdue.len(),
        overdue: overdue.into_iter().take(PAGE_SIZE).collect(),
        pager: pager("/grid/duties", &[], page, PAGE_SIZE as u32, total as u64),
        today: date_label(today(&app)),
    })
}

/// A grid from the path that the viewer may record duties in.
async fn own_grid(app: &AppState, viewer: &Viewer, id: &str) -> Result<DirectoryRow, AppError> {
    let (code, entry) = entry(app, id).await?;
    may_change(app, viewer, &code.to_string()).await?;
    Ok(DirectoryRow::of(&entry))
}

/// A patrol form's route, notes and point.
type CheckedPatrol = (String, String, Option<(f64, f64)>);

/// The patrol form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatrolForm {
    #[serde(default)]
    pub route: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub lat: String,
}

impl PatrolForm {
    /// The route, notes and point, or every problem, in Chinese.
    fn check(&self) -> Result<CheckedPatrol, Vec<FieldError>> {
        let mut errors = Vec::new();
        let route = self.route.trim();
        if route.is_empty() {
            errors.push(FieldError::new(
                "route",
                "请填写巡查路线或地点，例如“天熹路—人民路—3号楼”",
            ));
        } else if route.chars().count() > 100 {
            errors.push(FieldError::new("route", "巡查路线不超过 100 个字"));
        }
        let notes = self.notes.trim();
        if notes.chars().count() > 500 {
            errors.push(FieldError::new("notes", "巡查情况不超过 500 个字"));
        }
        let point = match (self.lng.trim(), self.lat.trim()) {
            ("", "") => None,
            (lng, lat) => match LngLat::parse(lng, lat) {
                Ok(p) => Some((p.lng, p.lat)),
                Err(e) => {
                    errors.push(FieldError::new(
                        "lng",
                        format!("坐标有误：{e}；不填坐标也可以保存"),
                    ));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok((route.to_owned(), notes.to_owned(), point))
        } else {
            Err(errors)
        }
    }
}

#[derive(Template)]
#[template(path = "grid/patrol_form.html")]
struct PatrolFormPage {
    chrome: Chrome,
    grid: DirectoryRow,
    form: PatrolForm,
    errors: Vec<FieldError>,
}

/// `GET /grid/grids/{id}/patrols/new`
pub async fn patrol_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let grid = own_grid(&app, &viewer, &id).await?;
    render(&PatrolFormPage {
        chrome: chrome.titled(format!("巡查记录 · {}", grid.name), "grid"),
        grid,
        form: PatrolForm::default(),
        errors: Vec::new(),
    })
}

fn worker_name(viewer: &Viewer) -> (Option<Uuid>, String) {
    viewer.user().map_or((None, String::new()), |u| {
        (Some(u.user.id), u.user.display_name.clone())
    })
}

/// `POST /grid/grids/{id}/patrols`: a patrol at the clock's now.
pub async fn record_patrol(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<PatrolForm>,
) -> Result<Response, PageError> {
    let grid = own_grid(&app, &viewer, &id).await?;
    match form.check() {
        Ok((route, notes, point)) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            let (worker_id, worker_name) = worker_name(&viewer);
            app.store
                .record_patrol(
                    &ctx,
                    NewPatrol {
                        id: Uuid::now_v7(),
                        grid_code: grid.code.clone(),
                        at: ctx.at,
                        worker_id,
                        worker_name,
                        route,
                        notes,
                        point,
                    },
                )
                .await?;
            Ok(Redirect::to("/grid/duties?ok=patrol").into_response())
        }
        Err(errors) => {
            let mut page = render(&PatrolFormPage {
                chrome: chrome.titled(format!("巡查记录 · {}", grid.name), "grid"),
                grid,
                form,
                errors,
            })?;
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(page)
        }
    }
}

/// The visit form, as sent (and as asked for by a to-do link).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitForm {
    /// A household of the grid (a household visit).
    #[serde(default)]
    pub household: String,
    /// A tagged resident of the grid (a visit to a tagged person).
    #[serde(default)]
    pub resident: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub findings: String,
}

/// The visit subjects of a grid: its households and its tagged residents,
/// with their visits in the current windows.
async fn grid_subjects(
    app: &AppState,
    grid: &str,
) -> Result<(Vec<VisitSubject>, Vec<VisitSubject>), AppError> {
    let rules = app.config.grid_duties.rules;
    let today = today(app);
    let mut out = Vec::new();
    for (duty, kind) in [
        (DutyKind::HouseholdVisit, VisitKind::Household),
        (DutyKind::TaggedVisit, VisitKind::Tagged),
    ] {
        let w = rules.visit_window(duty, today).ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("no visit window for {}", kind.code()))
        })?;
        out.push(
            app.store
                .visit_subjects(&VisitQuery {
                    kind,
                    scope: DutyScope::grids(vec![grid.to_owned()]),
                    from: day_start(w.start),
                    to: day_start(w.end),
                    fewer_than: None,
                })
                .await?,
        );
    }
    let tagged = out.pop().unwrap_or_default();
    let households = out.pop().unwrap_or_default();
    Ok((households, tagged))
}

/// A choice in the visit form: (value, label, visited this period).
type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "grid/visit_form.html")]
struct VisitFormPage {
    chrome: Chrome,
    grid: DirectoryRow,
    form: VisitForm,
    households: Vec<Choice>,
    tagged: Vec<Choice>,
    errors: Vec<FieldError>,
}

async fn visit_page(
    app: &AppState,
    chrome: Chrome,
    grid: DirectoryRow,
    form: VisitForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let (households, tagged) = grid_subjects(app, &grid.code).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&VisitFormPage {
        chrome: chrome.titled(format!("走访记录 · {}", grid.name), "grid"),
        households: households
            .iter()
            .map(|s| (s.household_id.to_string(), s.address.clone(), s.visits > 0))
            .collect(),
        tagged: tagged
            .iter()
            .filter_map(|s| {
                s.resident_id
                    .map(|r| (r.to_string(), person_label(s), s.visits > 0))
            })
            .collect(),
        grid,
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /grid/grids/{id}/visits/new?household=…` or `?resident=…`
pub async fn visit_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(form): Query<VisitForm>,
) -> Result<Response, PageError> {
    let grid = own_grid(&app, &viewer, &id).await?;
    visit_page(&app, chrome, grid, form, Vec::new()).await
}

/// `POST /grid/grids/{id}/visits`: a visit at the clock's now, to a
/// household or a tagged person of the grid.
pub async fn record_visit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<VisitForm>,
) -> Result<Response, PageError> {
    let grid = own_grid(&app, &viewer, &id).await?;
    let (households, tagged) = grid_subjects(&app, &grid.code).await?;
    let mut errors = Vec::new();
    let household = Uuid::parse_str(form.household.trim()).ok();
    let resident = Uuid::parse_str(form.resident.trim()).ok();
    let subject = match (household, resident) {
        (_, Some(r)) => tagged
            .iter()
            .find(|s| s.resident_id == Some(r))
            .map(|s| (VisitKind::Tagged, s.household_id, Some(r))),
        (Some(h), None) => households
            .iter()
            .find(|s| s.household_id == h)
            .map(|s| (VisitKind::Household, s.household_id, None)),
        (None, None) => None,
    };
    if subject.is_none() {
        errors.push(FieldError::new(
            "household",
            "请选择本网格内的住户或重点人员；不在列表中的住户请先登记居民",
        ));
    }
    let notes = form.notes.trim();
    if notes.is_empty() {
        errors.push(FieldError::new("notes", "请填写走访情况"));
    } else if notes.chars().count() > 500 {
        errors.push(FieldError::new("notes", "走访情况不超过 500 个字"));
    }
    let findings = form.findings.trim();
    if findings.chars().count() > 500 {
        errors.push(FieldError::new("findings", "发现问题不超过 500 个字"));
    }
    if let (Some((kind, household_id, resident_id)), true) = (subject, errors.is_empty()) {
        let ctx = app.audit_ctx(&viewer, &addr);
        let (worker_id, worker_name) = worker_name(&viewer);
        let recorded = app
            .store
            .record_visit(
                &ctx,
                NewVisit {
                    id: Uuid::now_v7(),
                    kind,
                    household_id,
                    resident_id,
                    at: ctx.at,
                    worker_id,
                    worker_name,
                    notes: notes.to_owned(),
                    findings: findings.to_owned(),
                },
            )
            .await;
        match recorded {
            Ok(_) => return Ok(Redirect::to("/grid/duties?ok=visit").into_response()),
            // Moved out of the household or the grid meanwhile.
            Err(StoreError::NotFound | StoreError::Conflict { .. }) => errors.push(
                FieldError::new("household", "该住户或人员刚有变动，请重新选择"),
            ),
            Err(e) => return Err(AppError::from(e).into()),
        }
    }
    visit_page(&app, chrome, grid, form, errors).await
}

/// The attendance form, as sent from the to-do list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttendanceForm {
    #[serde(default)]
    pub case: String,
    #[serde(default)]
    pub notes: String,
}

/// `POST /grid/grids/{id}/attendances`: the viewer attended a case of the
/// grid that needs attendance.
pub async fn record_attendance(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<AttendanceForm>,
) -> Result<Response, PageError> {
    let grid = own_grid(&app, &viewer, &id).await?;
    let case_id = Uuid::parse_str(form.case.trim())
        .map_err(|_| AppError::field("case", "请选择需要到场处置的事件"))?;
    let (case, _) = app
        .store
        .case(case_id)
        .await?
        .ok_or_else(|| AppError::field("case", "该事件不存在"))?;
    if case.grid_code != grid.code {
        return Err(AppError::Forbidden.into());
    }
    if !app
        .config
        .grid_duties
        .attendance_categories
        .contains(&case.category)
    {
        return Err(AppError::field("case", "该类事件不需要登记到场处置").into());
    }
    let notes = form.notes.trim();
    if notes.chars().count() > 500 {
        return Err(AppError::field("notes", "处置情况不超过 500 个字").into());
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    let (worker_id, worker_name) = worker_name(&viewer);
    app.store
        .record_attendance(
            &ctx,
            NewAttendance {
                id: Uuid::now_v7(),
                case_id,
                at: ctx.at,
                worker_id,
                worker_name,
                notes: notes.to_owned(),
            },
        )
        .await?;
    Ok(Redirect::to("/grid/duties?ok=attendance").into_response())
}

/// One line of a grid's duty log, as shown.
#[derive(Debug, Clone)]
pub struct LogLine {
    pub kind: &'static str,
    pub at: String,
    pub worker: String,
    pub subject: String,
    pub notes: String,
    pub findings: String,
}

#[derive(Template)]
#[template(path = "grid/duty_log.html")]
struct LogPage {
    chrome: Chrome,
    grid: DirectoryRow,
    may_record: bool,
    total: u64,
    rows: Vec<LogLine>,
    pager: String,
}

/// `GET /grid/grids/{id}/duties`: the grid's duty log, newest first.
pub async fn history(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(p): Query<TodoParams>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    let code = code.to_string();
    let sight = sight(&app, &viewer, &code).await?;
    let page = page_number(&p.page);
    let found = app
        .store
        .duty_log(&code, Page::number(page, PAGE_SIZE as u32))
        .await?;
    let rows = found
        .items
        .iter()
        .map(|e| LogLine {
            kind: DutyKind::from_code(&e.kind).map_or("", DutyKind::label),
            at: show_time(Some(e.at)),
            worker: e.worker_name.clone(),
            subject: e.subject.clone(),
            notes: e.notes.clone(),
            findings: e.findings.clone(),
        })
        .collect();
    let grid = DirectoryRow::of(&entry);
    render(&LogPage {
        chrome: chrome.titled(format!("{} · 履职记录", grid.name), "grid"),
        pager: pager(
            &format!("/grid/grids/{code}/duties"),
            &[],
            page,
            PAGE_SIZE as u32,
            found.total,
        ),
        may_record: sight == super::residents::Sight::Full,
        grid,
        total: found.total,
        rows,
    })
}

/// The overdue list's filters, as the form sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OverdueFilter {
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub community: String,
    #[serde(default)]
    pub grid: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub page: String,
}

impl OverdueFilter {
    /// The narrowest unit given, checked.
    fn under(&self) -> Result<Option<String>, AppError> {
        for (field, text, len) in [
            ("grid", self.grid.trim(), 15),
            ("community", self.community.trim(), 12),
            ("street", self.street.trim(), 9),
        ] {
            if text.is_empty() {
                continue;
            }
            if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AppError::field(
                    field,
                    format!(
                        "请填写 {len} 位数字的{}编码",
                        match len {
                            15 => "网格",
                            12 => "社区（村）",
                            _ => "街道（镇）",
                        }
                    ),
                ));
            }
            return Ok(Some(text.to_owned()));
        }
        Ok(None)
    }

    fn kinds(&self) -> Result<Vec<DutyKind>, AppError> {
        match self.kind.trim() {
            "" => Ok(DutyKind::ALL.to_vec()),
            k => DutyKind::from_code(k)
                .map(|k| vec![k])
                .ok_or_else(|| AppError::field("kind", "职责类型不存在")),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("street", self.street.trim().to_owned()),
            ("community", self.community.trim().to_owned()),
            ("grid", self.grid.trim().to_owned()),
            ("kind", self.kind.trim().to_owned()),
        ]
    }
}

async fn overdue_items(app: &AppState, f: &OverdueFilter) -> Result<Vec<DutyItem>, AppError> {
    let scope = DutyScope {
        grids: None,
        under: f.under()?,
    };
    duty_items(app, &scope, &f.kinds()?, Listing::Overdue).await
}

#[derive(Template)]
#[template(path = "grid/duties_overdue.html")]
struct OverduePage {
    chrome: Chrome,
    f: OverdueFilter,
    streets: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    /// Overdue lines per kind, over the whole filter.
    per_kind: Vec<(&'static str, usize)>,
    total: usize,
    rows: Vec<DutyItem>,
    qs: String,
    pager: String,
}

/// `GET /grid/duties/overdue`
pub async fn overdue(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(f): Query<OverdueFilter>,
) -> Result<Response, PageError> {
    let items = overdue_items(&app, &f).await?;
    let units = app.store.grid_units().await?;
    let unit_list = |len: usize| -> Vec<(String, String)> {
        units
            .iter()
            .filter(|u| u.code.len() == len)
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect()
    };
    let page = page_number(&f.page);
    let pairs = f.pairs();
    let kept: Vec<_> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    let qs = if kept.is_empty() {
        String::new()
    } else {
        format!(
            "?{}",
            serde_urlencoded::to_string(&kept).unwrap_or_default()
        )
    };
    render(&OverduePage {
        chrome: chrome.titled("逾期履职督办", "grid"),
        per_kind: DutyKind::ALL
            .iter()
            .map(|k| (k.label(), items.iter().filter(|i| i.kind == *k).count()))
            .collect(),
        total: items.len(),
        rows: page_of(&items, page),
        pager: pager(
            "/grid/duties/overdue",
            &pairs,
            page,
            PAGE_SIZE as u32,
            items.len() as u64,
        ),
        streets: unit_list(9),
        communities: unit_list(12),
        kinds: DutyKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        qs,
        f,
    })
}

/// The overdue lines as a workbook.
pub fn overdue_workbook(items: &[DutyItem]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("逾期履职")?;
    for (c, h) in [
        "网格编码",
        "网格",
        "职责",
        "对象",
        "应完成期限",
        "已完成/应完成",
        "状态",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, item) in items.iter().enumerate() {
        let row = 1 + i as u32;
        sheet.write_string(row, 0, &item.grid_code)?;
        sheet.write_string(row, 1, &item.grid_name)?;
        sheet.write_string(row, 2, item.kind.label())?;
        sheet.write_string(row, 3, &item.subject)?;
        sheet.write_string(row, 4, &item.deadline)?;
        sheet.write_string(row, 5, format!("{}/{}", item.done, item.required))?;
        sheet.write_string(row, 6, item.standing_label())?;
    }
    sheet.autofit();
    book.save_to_buffer()
}

/// `GET /grid/duties/overdue.xlsx`
pub async fn overdue_xlsx(
    State(app): State<AppState>,
    Query(f): Query<OverdueFilter>,
) -> Result<Response, PageError> {
    let items = overdue_items(&app, &f).await?;
    let bytes =
        overdue_workbook(&items).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"grid-duties-overdue-{}.xlsx\"",
                    date_label_ascii(today(&app))
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn date_label_ascii(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The completion rates of one unit in a period.
#[derive(Debug, Clone, Copy, Default)]
pub struct DutyRates {
    pub patrol: Rate,
    pub household: Rate,
    pub tagged: Rate,
}

impl DutyRates {
    fn add(&mut self, o: &DutyRates) {
        for (a, b) in [
            (&mut self.patrol, o.patrol),
            (&mut self.household, o.household),
            (&mut self.tagged, o.tagged),
        ] {
            a.num += b.num;
            a.den += b.den;
        }
    }
}

/// The visit windows of `duty` whose last day falls in the period and that
/// have ended by `today`: the obligations the period counts.
pub fn ended_windows(
    rules: &DutyRules,
    duty: DutyKind,
    period: &Period,
    today: Date,
) -> Vec<Window> {
    let next = Timestamp::from_micros(period.to).shanghai_date();
    rules
        .visit_obligations(duty, "", period.first, next)
        .into_iter()
        .map(|o| o.window)
        .filter(|w| w.last_day() >= period.first && w.last_day() < next && w.end <= today)
        .collect()
}

/// The working days of the period whose patrol window has ended by
/// `today`, as day starts.
pub fn ended_patrol_days(
    calendar: &yiwang_core::WorkingCalendar,
    period: &Period,
    today: Date,
) -> Vec<i64> {
    let next = Timestamp::from_micros(period.to).shanghai_date();
    let mut out = Vec::new();
    let mut d = period.first;
    while d < next && d < today {
        if calendar.is_working_day(d) {
            out.push(day_start(d));
        }
        let Some(n) = d.next_day() else { break };
        d = n;
    }
    out
}

/// Patrol and visit completion per unit of `group` under `under` in
/// `period`, and over the whole scope: of the obligations whose window
/// ended in the period by today (`yiwang_grid::duties::completion`'s
/// definition), the ones done. Summed in SQL per window.
pub async fn completion(
    app: &AppState,
    period: &Period,
    group: KpiGroup,
    under: Option<&str>,
) -> Result<(BTreeMap<String, DutyRates>, DutyRates), AppError> {
    let rules = app.config.grid_duties.rules;
    let today = today(app);
    let mut out: BTreeMap<String, DutyRates> = BTreeMap::new();
    let days = ended_patrol_days(app.events.workflow.calendar(), period, today);
    for c in app
        .store
        .patrol_completion(group, &days, rules.patrols_per_working_day, under)
        .await?
    {
        let r = out.entry(c.key).or_default();
        r.patrol.num += c.done.max(0) as u64;
        r.patrol.den += c.due.max(0) as u64;
    }
    for (duty, kind) in [
        (DutyKind::HouseholdVisit, VisitKind::Household),
        (DutyKind::TaggedVisit, VisitKind::Tagged),
    ] {
        for w in ended_windows(&rules, duty, period, today) {
            for c in app
                .store
                .visit_completion(kind, group, day_start(w.start), day_start(w.end), under)
                .await?
            {
                let r = out.entry(c.key).or_default();
                let rate = match kind {
                    VisitKind::Household => &mut r.household,
                    VisitKind::Tagged => &mut r.tagged,
                };
                rate.num += c.done.max(0) as u64;
                rate.den += c.due.max(0) as u64;
            }
        }
    }
    let mut total = DutyRates::default();
    for r in out.values() {
        total.add(r);
    }
    Ok((out, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_period_counts_the_windows_that_end_in_it() {
        let rules = DutyRules::default();
        let june = Period::parse("2026-06").unwrap();
        let h = ended_windows(
            &rules,
            DutyKind::HouseholdVisit,
            &june,
            date!(2026 - 12 - 06),
        );
        assert_eq!(
            h,
            vec![Window {
                start: date!(2026 - 01 - 01),
                end: date!(2026 - 07 - 01)
            }]
        );
        let may = Period::parse("2026-05").unwrap();
        assert!(ended_windows(
            &rules,
            DutyKind::HouseholdVisit,
            &may,
            date!(2026 - 12 - 06)
        )
        .is_empty());
        let year = Period::parse("2026").unwrap();
        // By 6 December, eleven monthly windows have ended; the half-year
        // ending in December has not.
        assert_eq!(
            ended_windows(&rules, DutyKind::TaggedVisit, &year, date!(2026 - 12 - 06)).len(),
            11
        );
        assert_eq!(
            ended_windows(
                &rules,
                DutyKind::HouseholdVisit,
                &year,
                date!(2026 - 12 - 06)
            )
            .len(),
            1
        );
        let cal = yiwang_core::WorkingCalendar::weekdays_only();
        // Monday 2 November to Friday 6 November, today the 5th: three days
        // have ended.
        let day = Period::parse("2026-11").unwrap();
        let days = ended_patrol_days(&cal, &day, date!(2026 - 11 - 05));
        assert_eq!(days.len(), 3);
        assert_eq!(days[0], day_start(date!(2026 - 11 - 02)));
        assert_eq!(days[2], day_start(date!(2026 - 11 - 04)));
    }
}
