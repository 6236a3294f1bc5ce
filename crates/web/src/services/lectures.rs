//! The lecture hall (工信E通 大讲堂) on the web: the public catalogue,
//! its management by service staff, enterprises' trainees, enrolments and
//! learning records, certificates of completion and the statistics.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/lectures` | anyone | published courses: search, area, 20 a page |
//! | `GET /services/lectures/courses/{id}` | anyone (published), staff (drafts) | a course and its lessons |
//! | `GET /services/lectures/certificates/{number}` | anyone | checks a certificate: name masked, course, hours, date |
//! | `GET /services/lectures/manage` | staff | every course, drafts too: search, area, 50 a page |
//! | `GET /services/lectures/areas`, `POST /services/lectures/areas`, `POST /services/lectures/areas/{id}` | staff | add, rename, archive areas |
//! | `GET /services/lectures/courses/new`, `POST /services/lectures/courses` | staff | add a course |
//! | `GET /services/lectures/courses/{id}/edit`, `POST /services/lectures/courses/{id}` | staff | edit, publish or withdraw a course |
//! | `POST /services/lectures/courses/{id}/lessons` | staff | add a lesson at the end |
//! | `GET /services/lectures/stats`, `GET /services/lectures/stats.xlsx` | staff | figures by area, course, enterprise and month |
//! | `GET /services/lectures/trainees`, `POST /services/lectures/trainees` | enterprises | their trainees (phones masked); register one |
//! | `GET /services/lectures/trainees/{id}`, `POST /services/lectures/trainees/{id}/enrolments` | the enterprise | a trainee's courses; enrol in a published course |
//! | `GET /services/lectures/enrolments` | enterprises | their enrolments and hours per course |
//! | `GET /services/lectures/enrolments/{id}`, `POST /services/lectures/enrolments/{id}/records` | the enterprise | lessons done; record more |
//! | `GET /services/lectures/enrolments/{id}/certificate` | the enterprise | the printable certificate |
//!
//! "Staff" are service staff and administrators. An enterprise account
//! (`bidder`) sees only its own trainees and enrolments; anything else
//! answers 404. Phones are masked on every page; the public certificate
//! shows the name masked. The rules are `yiwang_services::lectures`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rand::RngCore;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_services::lectures::{
    certificate_number, hours_label, is_certificate_number, mask_name, parse_link, parse_minutes,
    parse_phone, parse_text, LessonKind, MAX_SUMMARY, MAX_TITLE,
};
use yiwang_store::lectures::{
    Course, CourseInput, CourseQuery, Enrolment, EnrolmentQuery, LectureArea, LectureStats,
    LessonProgress, LessonsDone, NewEnrolment, NewLesson, NewTrainee, Trainee, TraineeQuery,
};
use yiwang_store::{Page, StoreError};

use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::pages::{pager, render, Chrome};
use crate::AppState;

/// Who manages the catalogue and reads the statistics.
pub const MANAGERS: &[Role] = &[Role::ServiceStaff, Role::Admin];
/// Who registers trainees and records their learning.
pub const ENTERPRISES: &[Role] = &[Role::Bidder];

/// Rows per page of the public catalogue.
pub const CATALOGUE_PAGE: u32 = 20;
/// Rows per page of the other lists.
pub const PAGE_SIZE: u32 = 50;

/// A new certificate number from the operating system's random source.
pub fn new_certificate_number() -> String {
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    certificate_number(bytes)
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

fn is_manager(viewer: &Viewer) -> bool {
    viewer.role().is_some_and(|r| MANAGERS.contains(&r))
}

/// The enterprise an enterprise account acts for.
fn enterprise_of(viewer: &Viewer) -> Result<Uuid, AppError> {
    let user = &viewer.require()?.user;
    match (user.role, user.enterprise_id) {
        (Role::Bidder, Some(e)) => Ok(e),
        _ => Err(AppError::Forbidden),
    }
}

fn uuid_path(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::NotFound)
}

fn page_number(text: &str) -> u32 {
    text.trim().parse::<u32>().unwrap_or(1).max(1)
}

fn kind_label(code: &str) -> &'static str {
    LessonKind::from_code(code).map_or("链接", LessonKind::label)
}

/// What the sub-navigation shows.
#[derive(Debug, Clone, Copy)]
pub struct Nav {
    pub manager: bool,
    pub enterprise: bool,
}

impl Nav {
    fn of(viewer: &Viewer) -> Nav {
        Nav {
            manager: is_manager(viewer),
            enterprise: viewer.role() == Some(Role::Bidder),
        }
    }
}

/// A course as lists show it.
#[derive(Debug, Clone)]
pub struct CourseLine {
    pub id: Uuid,
    pub title: String,
    pub area: String,
    pub teacher: String,
    pub published: bool,
    pub lessons: i64,
    pub hours: String,
    pub enrolments: i64,
    pub completions: i64,
}

impl CourseLine {
    fn of(c: &Course) -> CourseLine {
        CourseLine {
            id: c.id,
            title: c.title.clone(),
            area: c.area_name.clone(),
            teacher: c.teacher.clone(),
            published: c.published,
            lessons: c.lessons,
            hours: hours_label(c.minutes),
            enrolments: c.enrolments,
            completions: c.completions,
        }
    }
}

/// A list's filters, as the forms send them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub area: String,
    /// `done`, `open` or empty (enrolments).
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub page: String,
}

impl ListFilter {
    fn search(&self) -> Option<String> {
        let q = self.q.trim();
        (!q.is_empty()).then(|| q.chars().take(50).collect())
    }

    fn course_query(&self, published_only: bool) -> CourseQuery {
        CourseQuery {
            search: self.search(),
            area_id: Uuid::parse_str(self.area.trim()).ok(),
            published_only,
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("area", self.area.trim().to_owned()),
            ("state", self.state.trim().to_owned()),
        ]
    }
}

#[derive(Template)]
#[template(path = "services/lectures.html")]
struct CataloguePage {
    chrome: Chrome,
    nav: Nav,
    f: ListFilter,
    areas: Vec<LectureArea>,
    total: u64,
    rows: Vec<CourseLine>,
    pager: String,
    manage: bool,
}

async fn course_list(
    app: &AppState,
    chrome: Chrome,
    nav: Nav,
    f: ListFilter,
    manage: bool,
) -> Result<Response, PageError> {
    let page = page_number(&f.page);
    let size = if manage { PAGE_SIZE } else { CATALOGUE_PAGE };
    let found = app
        .store
        .courses(&f.course_query(!manage), Page::number(page, size))
        .await?;
    let areas = app
        .store
        .lecture_areas()
        .await?
        .into_iter()
        .filter(|a| manage || !a.archived)
        .collect();
    let base = if manage {
        "/services/lectures/manage"
    } else {
        "/services/lectures"
    };
    render(&CataloguePage {
        chrome: chrome.titled(
            if manage {
                "大讲堂课程管理"
            } else {
                "工信E通 大讲堂"
            },
            "services",
        ),
        nav,
        pager: pager(base, &f.pairs(), page, size, found.total),
        total: found.total,
        rows: found.items.iter().map(CourseLine::of).collect(),
        areas,
        f,
        manage,
    })
}

/// `GET /services/lectures`: the public catalogue.
pub async fn catalogue(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListFilter>,
) -> Result<Response, PageError> {
    course_list(&app, chrome, Nav::of(&viewer), f, false).await
}

/// `GET /services/lectures/manage`: every course, drafts too.
pub async fn manage(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListFilter>,
) -> Result<Response, PageError> {
    course_list(&app, chrome, Nav::of(&viewer), f, true).await
}

/// A lesson as shown.
#[derive(Debug, Clone)]
pub struct LessonLine {
    pub id: Uuid,
    pub position: i64,
    pub title: String,
    pub kind: &'static str,
    pub url: String,
    pub minutes: i64,
    /// When it was learned, for an enrolment.
    pub learned: String,
    pub done: bool,
}

#[derive(Template)]
#[template(path = "services/lectures_course.html")]
struct CoursePage {
    chrome: Chrome,
    nav: Nav,
    c: CourseLine,
    summary: String,
    lessons: Vec<LessonLine>,
}

/// `GET /services/lectures/courses/{id}`
pub async fn course(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    let nav = Nav::of(&viewer);
    let (c, lessons) = app
        .store
        .course(id)
        .await?
        .filter(|(c, _)| c.published || nav.manager)
        .ok_or(AppError::NotFound)?;
    render(&CoursePage {
        chrome: chrome.titled(c.title.clone(), "services"),
        nav,
        c: CourseLine::of(&c),
        summary: c.summary.clone(),
        lessons: lessons
            .into_iter()
            .map(|l| LessonLine {
                id: l.id,
                position: l.position,
                title: l.title,
                kind: kind_label(&l.kind),
                url: l.url,
                minutes: l.minutes,
                learned: String::new(),
                done: false,
            })
            .collect(),
    })
}

// --- Areas ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "services/lectures_areas.html")]
struct AreasPage {
    chrome: Chrome,
    nav: Nav,
    areas: Vec<LectureArea>,
    name: String,
    errors: Vec<FieldError>,
}

async fn areas_page(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    name: String,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&AreasPage {
        chrome: chrome.titled("课程方面", "services"),
        nav: Nav::of(viewer),
        areas: app.store.lecture_areas().await?,
        name,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/lectures/areas`
pub async fn areas(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
) -> Result<Response, PageError> {
    areas_page(&app, chrome, &viewer, String::new(), Vec::new()).await
}

/// An area's name, and whether it is archived.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AreaForm {
    #[serde(default)]
    pub name: String,
    /// `1` to archive.
    #[serde(default)]
    pub archived: String,
}

fn area_name(form: &AreaForm) -> Result<String, Vec<FieldError>> {
    parse_text(&form.name, "方面名称", 30).map_err(|e| vec![FieldError::new("name", e.to_string())])
}

fn name_taken(name: &str) -> Vec<FieldError> {
    vec![FieldError::new(
        "name",
        format!("已有名为“{name}”的方面，请换一个名称"),
    )]
}

/// `POST /services/lectures/areas`
pub async fn add_area(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(form): Form<AreaForm>,
) -> Result<Response, PageError> {
    let name = match area_name(&form) {
        Ok(n) => n,
        Err(errors) => return areas_page(&app, chrome, &viewer, form.name, errors).await,
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    match app
        .store
        .add_lecture_area(&ctx, Uuid::now_v7(), &name)
        .await
    {
        Ok(_) => Ok(Redirect::to("/services/lectures/areas").into_response()),
        Err(StoreError::Conflict { .. }) => {
            areas_page(&app, chrome, &viewer, form.name, name_taken(&name)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// `POST /services/lectures/areas/{id}`: rename, archive or restore.
pub async fn update_area(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<AreaForm>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    let name = match area_name(&form) {
        Ok(n) => n,
        Err(errors) => return areas_page(&app, chrome, &viewer, String::new(), errors).await,
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    match app
        .store
        .update_lecture_area(&ctx, id, &name, form.archived.trim() == "1")
        .await
    {
        Ok(_) => Ok(Redirect::to("/services/lectures/areas").into_response()),
        Err(StoreError::Conflict { .. }) => {
            areas_page(&app, chrome, &viewer, String::new(), name_taken(&name)).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

// --- Courses and lessons ----------------------------------------------------

/// A course's form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CourseForm {
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub teacher: String,
    #[serde(default)]
    pub summary: String,
    /// `1` to publish.
    #[serde(default)]
    pub published: String,
}

impl CourseForm {
    fn of(c: &Course) -> CourseForm {
        CourseForm {
            area: c.area_id.to_string(),
            title: c.title.clone(),
            teacher: c.teacher.clone(),
            summary: c.summary.clone(),
            published: if c.published { "1" } else { "" }.to_owned(),
        }
    }

    fn check(&self, id: Uuid) -> Result<CourseInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut text = |field: &str, value: &str, label: &'static str, max: usize| {
            parse_text(value, label, max).unwrap_or_else(|e| {
                errors.push(FieldError::new(field, e.to_string()));
                String::new()
            })
        };
        let title = text("title", &self.title, "课程名称", MAX_TITLE);
        let teacher = text("teacher", &self.teacher, "授课老师", 50);
        let summary = text("summary", &self.summary, "课程简介", MAX_SUMMARY);
        let area = Uuid::parse_str(self.area.trim()).ok();
        if area.is_none() {
            errors.push(FieldError::new("area", "请选择课程所属方面"));
        }
        match area {
            Some(area_id) if errors.is_empty() => Ok(CourseInput {
                id,
                area_id,
                title,
                teacher,
                summary,
                published: self.published.trim() == "1",
            }),
            _ => Err(errors),
        }
    }
}

/// A lesson's form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LessonForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub minutes: String,
}

impl LessonForm {
    fn check(&self, course_id: Uuid) -> Result<NewLesson, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = parse_text(&self.title, "课时名称", MAX_TITLE).unwrap_or_else(|e| {
            errors.push(FieldError::new("lesson_title", e.to_string()));
            String::new()
        });
        let kind = LessonKind::from_code(self.kind.trim());
        if kind.is_none() {
            errors.push(FieldError::new("kind", "请选择课时类型：视频或文档"));
        }
        let url = parse_link(&self.url).unwrap_or_else(|e| {
            errors.push(FieldError::new("url", e.to_string()));
            String::new()
        });
        let minutes = parse_minutes(&self.minutes).unwrap_or_else(|e| {
            errors.push(FieldError::new("minutes", e.to_string()));
            0
        });
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewLesson {
                id: Uuid::now_v7(),
                course_id,
                title,
                kind: kind.code().to_owned(),
                url,
                minutes,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "services/lectures_course_form.html")]
struct CourseFormPage {
    chrome: Chrome,
    nav: Nav,
    /// The course edited; `None` for a new one.
    id: Option<Uuid>,
    form: CourseForm,
    areas: Vec<LectureArea>,
    lessons: Vec<LessonLine>,
    lesson: LessonForm,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
}

#[allow(clippy::too_many_arguments)]
async fn course_form(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    id: Option<Uuid>,
    form: CourseForm,
    lesson: LessonForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let lessons = match id {
        Some(id) => {
            let (_, lessons) = app.store.course(id).await?.ok_or(AppError::NotFound)?;
            lessons
                .into_iter()
                .map(|l| LessonLine {
                    id: l.id,
                    position: l.position,
                    title: l.title,
                    kind: kind_label(&l.kind),
                    url: l.url,
                    minutes: l.minutes,
                    learned: String::new(),
                    done: false,
                })
                .collect()
        }
        None => Vec::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&CourseFormPage {
        chrome: chrome.titled(
            if id.is_some() {
                "编辑课程"
            } else {
                "新增课程"
            },
            "services",
        ),
        nav: Nav::of(viewer),
        id,
        form,
        areas: app.store.lecture_areas().await?,
        lessons,
        lesson,
        kinds: LessonKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

fn area_refused(e: StoreError) -> Result<Vec<FieldError>, AppError> {
    match e {
        StoreError::Conflict { field: "area" } => Ok(vec![FieldError::new(
            "area",
            "该方面已停用，请选择其他方面",
        )]),
        StoreError::NotFound => Ok(vec![FieldError::new("area", "请选择课程所属方面")]),
        other => Err(other.into()),
    }
}

/// `GET /services/lectures/courses/new`
pub async fn new_course(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
) -> Result<Response, PageError> {
    course_form(
        &app,
        chrome,
        &viewer,
        None,
        CourseForm::default(),
        LessonForm::default(),
        Vec::new(),
    )
    .await
}

/// `POST /services/lectures/courses`
pub async fn create_course(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(form): Form<CourseForm>,
) -> Result<Response, PageError> {
    let errors = match form.check(Uuid::now_v7()) {
        Ok(course) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            match app.store.add_course(&ctx, course).await {
                Ok(c) => {
                    return Ok(
                        Redirect::to(&format!("/services/lectures/courses/{}/edit", c.id))
                            .into_response(),
                    )
                }
                Err(e) => area_refused(e)?,
            }
        }
        Err(errors) => errors,
    };
    course_form(
        &app,
        chrome,
        &viewer,
        None,
        form,
        LessonForm::default(),
        errors,
    )
    .await
}

/// `GET /services/lectures/courses/{id}/edit`
pub async fn edit_course(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    let (c, _) = app.store.course(id).await?.ok_or(AppError::NotFound)?;
    course_form(
        &app,
        chrome,
        &viewer,
        Some(id),
        CourseForm::of(&c),
        LessonForm::default(),
        Vec::new(),
    )
    .await
}

/// `POST /services/lectures/courses/{id}`
pub async fn update_course(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<CourseForm>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    let errors = match form.check(id) {
        Ok(course) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            match app.store.update_course(&ctx, course).await {
                Ok(c) => {
                    return Ok(
                        Redirect::to(&format!("/services/lectures/courses/{}", c.id))
                            .into_response(),
                    )
                }
                Err(StoreError::NotFound) => return Err(AppError::NotFound.into()),
                Err(e) => area_refused(e)?,
            }
        }
        Err(errors) => errors,
    };
    course_form(
        &app,
        chrome,
        &viewer,
        Some(id),
        form,
        LessonForm::default(),
        errors,
    )
    .await
}

/// `POST /services/lectures/courses/{id}/lessons`
pub async fn add_lesson(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(lesson): Form<LessonForm>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    let (c, _) = app.store.course(id).await?.ok_or(AppError::NotFound)?;
    match lesson.check(id) {
        Ok(new) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            app.store.add_lesson(&ctx, new).await?;
            Ok(Redirect::to(&format!("/services/lectures/courses/{id}/edit")).into_response())
        }
        Err(errors) => {
            course_form(
                &app,
                chrome,
                &viewer,
                Some(id),
                CourseForm::of(&c),
                lesson,
                errors,
            )
            .await
        }
    }
}

// --- Trainees and enrolments --------------------------------------------------

/// A trainee as lists show it.
#[derive(Debug, Clone)]
pub struct TraineeLine {
    pub id: Uuid,
    pub name: String,
    pub phone: String,
    pub enrolments: i64,
    pub completions: i64,
    pub hours: String,
    pub registered: String,
}

impl TraineeLine {
    fn of(t: &Trainee) -> TraineeLine {
        TraineeLine {
            id: t.id,
            name: t.name.clone(),
            phone: yiwang_grid::mask_phone(&t.phone),
            enrolments: t.enrolments,
            completions: t.completions,
            hours: hours_label(t.minutes),
            registered: show_date(t.created_at),
        }
    }
}

/// A trainee's registration, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TraineeForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Template)]
#[template(path = "services/lectures_trainees.html")]
struct TraineesPage {
    chrome: Chrome,
    nav: Nav,
    f: ListFilter,
    total: u64,
    rows: Vec<TraineeLine>,
    pager: String,
    form: TraineeForm,
    errors: Vec<FieldError>,
}

async fn trainees_page(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    f: ListFilter,
    form: TraineeForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let enterprise = enterprise_of(viewer)?;
    let page = page_number(&f.page);
    let found = app
        .store
        .trainees(
            &TraineeQuery {
                enterprise_id: Some(enterprise),
                search: f.search(),
            },
            Page::number(page, PAGE_SIZE),
        )
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut resp = render(&TraineesPage {
        chrome: chrome.titled("本企业学员", "services"),
        nav: Nav::of(viewer),
        pager: pager(
            "/services/lectures/trainees",
            &f.pairs(),
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found.items.iter().map(TraineeLine::of).collect(),
        f,
        form,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /services/lectures/trainees`
pub async fn trainees(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListFilter>,
) -> Result<Response, PageError> {
    trainees_page(&app, chrome, &viewer, f, TraineeForm::default(), Vec::new()).await
}

/// `POST /services/lectures/trainees`
pub async fn register_trainee(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Form(form): Form<TraineeForm>,
) -> Result<Response, PageError> {
    let enterprise = enterprise_of(&viewer)?;
    let mut errors = Vec::new();
    let name = parse_text(&form.name, "学员姓名", 30).unwrap_or_else(|e| {
        errors.push(FieldError::new("name", e.to_string()));
        String::new()
    });
    let phone = parse_phone(&form.phone).unwrap_or_else(|e| {
        errors.push(FieldError::new("phone", e.to_string()));
        String::new()
    });
    if errors.is_empty() {
        let ctx = app.audit_ctx(&viewer, &addr);
        let new = NewTrainee {
            id: Uuid::now_v7(),
            enterprise_id: enterprise,
            name,
            phone,
        };
        match app.store.register_trainee(&ctx, new).await {
            Ok(t) => {
                return Ok(
                    Redirect::to(&format!("/services/lectures/trainees/{}", t.id)).into_response(),
                )
            }
            Err(StoreError::Conflict { .. }) => errors.push(FieldError::new(
                "phone",
                "本企业已登记过使用该手机号码的学员，请在学员名单中按手机号码查找",
            )),
            Err(e) => return Err(AppError::from(e).into()),
        }
    }
    trainees_page(&app, chrome, &viewer, ListFilter::default(), form, errors).await
}

/// An enrolment as lists show it.
#[derive(Debug, Clone)]
pub struct EnrolmentLine {
    pub id: Uuid,
    pub trainee_id: Uuid,
    pub trainee: String,
    pub phone: String,
    pub course_id: Uuid,
    pub course: String,
    pub area: String,
    pub enrolled: String,
    pub progress: String,
    pub hours: String,
    pub completed: String,
    pub certificate_no: String,
}

impl EnrolmentLine {
    fn of(e: &Enrolment) -> EnrolmentLine {
        EnrolmentLine {
            id: e.id,
            trainee_id: e.trainee_id,
            trainee: e.trainee_name.clone(),
            phone: yiwang_grid::mask_phone(&e.trainee_phone),
            course_id: e.course_id,
            course: e.course_title.clone(),
            area: e.area_name.clone(),
            enrolled: show_date(e.enrolled_at),
            progress: format!("{} / {}", e.done, e.lessons),
            hours: hours_label(e.minutes),
            completed: e.completed_at.map(show_date).unwrap_or_default(),
            certificate_no: e.certificate_no.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "services/lectures_trainee.html")]
struct TraineePage {
    chrome: Chrome,
    nav: Nav,
    t: TraineeLine,
    rows: Vec<EnrolmentLine>,
    courses: Vec<(Uuid, String)>,
    errors: Vec<FieldError>,
}

async fn trainee_page(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    id: Uuid,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let enterprise = enterprise_of(viewer)?;
    let t = app
        .store
        .trainee(id)
        .await?
        .filter(|t| t.enterprise_id == enterprise)
        .ok_or(AppError::NotFound)?;
    let enrolled = app
        .store
        .enrolments(
            &EnrolmentQuery {
                trainee_id: Some(id),
                ..EnrolmentQuery::default()
            },
            Page::number(1, Page::MAX_LIMIT),
        )
        .await?;
    let mut courses = Vec::new();
    let mut page = 1;
    loop {
        let found = app
            .store
            .courses(
                &CourseQuery {
                    published_only: true,
                    ..CourseQuery::default()
                },
                Page::number(page, Page::MAX_LIMIT),
            )
            .await?;
        let n = found.items.len() as u64;
        courses.extend(
            found
                .items
                .into_iter()
                .filter(|c| !enrolled.items.iter().any(|e| e.course_id == c.id))
                .map(|c| (c.id, format!("{} · {}", c.area_name, c.title))),
        );
        if n == 0 || u64::from(page) * u64::from(Page::MAX_LIMIT) >= found.total {
            break;
        }
        page += 1;
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut resp = render(&TraineePage {
        chrome: chrome.titled(format!("学员 {}", t.name), "services"),
        nav: Nav::of(viewer),
        t: TraineeLine::of(&t),
        rows: enrolled.items.iter().map(EnrolmentLine::of).collect(),
        courses,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /services/lectures/trainees/{id}`
pub async fn trainee(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    trainee_page(&app, chrome, &viewer, id, Vec::new()).await
}

/// The course to enrol in.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    pub course: String,
}

/// `POST /services/lectures/trainees/{id}/enrolments`
pub async fn enrol(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<EnrolForm>,
) -> Result<Response, PageError> {
    let enterprise = enterprise_of(&viewer)?;
    let id = uuid_path(&id)?;
    let Ok(course_id) = Uuid::parse_str(form.course.trim()) else {
        let errors = vec![FieldError::new("course", "请选择要报名的课程")];
        return trainee_page(&app, chrome, &viewer, id, errors).await;
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    let new = NewEnrolment {
        id: Uuid::now_v7(),
        enterprise_id: enterprise,
        trainee_id: id,
        course_id,
    };
    let message = match app.store.enrol(&ctx, new).await {
        Ok(e) => {
            return Ok(
                Redirect::to(&format!("/services/lectures/enrolments/{}", e.id)).into_response(),
            )
        }
        Err(StoreError::Conflict { field: "enrolment" }) => "该学员已报名这门课程",
        Err(StoreError::Conflict { field: "course" }) => "这门课程尚未发布，不能报名",
        Err(StoreError::NotFound) => {
            // The trainee not ours answers 404 below; an unknown course is a form error.
            if app
                .store
                .trainee(id)
                .await?
                .is_none_or(|t| t.enterprise_id != enterprise)
            {
                return Err(AppError::NotFound.into());
            }
            "请选择要报名的课程"
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    trainee_page(
        &app,
        chrome,
        &viewer,
        id,
        vec![FieldError::new("course", message)],
    )
    .await
}

/// One course of the enterprise's, as its summary shows it.
#[derive(Debug, Clone)]
pub struct SummaryLine {
    pub course_id: Uuid,
    pub course: String,
    pub area: String,
    pub trainees: i64,
    pub completions: i64,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "services/lectures_enrolments.html")]
struct EnrolmentsPage {
    chrome: Chrome,
    nav: Nav,
    f: ListFilter,
    summary: Vec<SummaryLine>,
    total: u64,
    rows: Vec<EnrolmentLine>,
    pager: String,
}

/// `GET /services/lectures/enrolments`
pub async fn enrolments(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ListFilter>,
) -> Result<Response, PageError> {
    let enterprise = enterprise_of(&viewer)?;
    let page = page_number(&f.page);
    let query = EnrolmentQuery {
        enterprise_id: Some(enterprise),
        search: f.search(),
        completed: match f.state.trim() {
            "done" => Some(true),
            "open" => Some(false),
            _ => None,
        },
        ..EnrolmentQuery::default()
    };
    let found = app
        .store
        .enrolments(&query, Page::number(page, PAGE_SIZE))
        .await?;
    let summary = app
        .store
        .enterprise_courses(enterprise)
        .await?
        .into_iter()
        .map(|c| SummaryLine {
            course_id: c.course_id,
            course: c.course_title,
            area: c.area_name,
            trainees: c.trainees,
            completions: c.completions,
            hours: hours_label(c.minutes),
        })
        .collect();
    render(&EnrolmentsPage {
        chrome: chrome.titled("本企业学习记录", "services"),
        nav: Nav::of(&viewer),
        pager: pager(
            "/services/lectures/enrolments",
            &f.pairs(),
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found.items.iter().map(EnrolmentLine::of).collect(),
        summary,
        f,
    })
}

#[derive(Template)]
#[template(path = "services/lectures_enrolment.html")]
struct EnrolmentPage {
    chrome: Chrome,
    nav: Nav,
    e: EnrolmentLine,
    lessons: Vec<LessonLine>,
    /// Lessons not done yet.
    open: usize,
    today: String,
    learned_on: String,
    errors: Vec<FieldError>,
}

async fn own_enrolment(
    app: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> Result<(Enrolment, Vec<LessonProgress>), AppError> {
    let enterprise = enterprise_of(viewer)?;
    app.store
        .enrolment(id)
        .await?
        .filter(|(e, _)| e.enterprise_id == enterprise)
        .ok_or(AppError::NotFound)
}

async fn enrolment_page(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    id: Uuid,
    learned_on: String,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let (e, progress) = own_enrolment(app, viewer, id).await?;
    let today = date_input(app.clock.now().shanghai_date());
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let open = progress.iter().filter(|p| p.learned_at.is_none()).count();
    let mut resp = render(&EnrolmentPage {
        chrome: chrome.titled(
            format!("{} · {}", e.trainee_name, e.course_title),
            "services",
        ),
        nav: Nav::of(viewer),
        e: EnrolmentLine::of(&e),
        open,
        lessons: progress
            .into_iter()
            .map(|p| LessonLine {
                id: p.lesson.id,
                position: p.lesson.position,
                title: p.lesson.title,
                kind: kind_label(&p.lesson.kind),
                url: p.lesson.url,
                minutes: p.lesson.minutes,
                learned: p.learned_at.map(show_date).unwrap_or_default(),
                done: p.learned_at.is_some(),
            })
            .collect(),
        learned_on: if learned_on.is_empty() {
            today.clone()
        } else {
            learned_on
        },
        today,
        errors,
    })?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// `GET /services/lectures/enrolments/{id}`
pub async fn enrolment(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    enrolment_page(&app, chrome, &viewer, id, String::new(), Vec::new()).await
}

/// `POST /services/lectures/enrolments/{id}/records`: the lessons ticked
/// (`lesson`, repeated) and the day they were learned (`learned_on`).
pub async fn record(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    let (e, progress) = own_enrolment(&app, &viewer, id).await?;
    let chosen: Vec<Uuid> = fields
        .iter()
        .filter(|(k, _)| k == "lesson")
        .filter_map(|(_, v)| Uuid::parse_str(v.trim()).ok())
        .collect();
    let learned_text = fields
        .iter()
        .find(|(k, _)| k == "learned_on")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let mut errors = Vec::new();
    if chosen.is_empty() {
        errors.push(FieldError::new("lesson", "请勾选已学完的课时"));
    }
    if chosen.iter().any(|c| {
        progress
            .iter()
            .any(|p| p.lesson.id == *c && p.learned_at.is_some())
    }) {
        errors.push(FieldError::new(
            "lesson",
            "勾选的课时中有已记录过的，请刷新页面后重试",
        ));
    }
    if chosen
        .iter()
        .any(|c| !progress.iter().any(|p| p.lesson.id == *c))
    {
        errors.push(FieldError::new("lesson", "勾选的课时不属于这门课程"));
    }
    let today = app.clock.now().shanghai_date();
    let enrolled_on = Timestamp::from_micros(e.enrolled_at).shanghai_date();
    let learned = match parse_date(&learned_text) {
        Some(d) if d > today => {
            errors.push(FieldError::new("learned_on", "学习日期不能晚于今天"));
            None
        }
        Some(d) if d < enrolled_on => {
            errors.push(FieldError::new(
                "learned_on",
                format!("学习日期不能早于报名日期（{}）", show_date(e.enrolled_at)),
            ));
            None
        }
        Some(d) => Some(d),
        None => {
            errors.push(FieldError::new(
                "learned_on",
                "请填写学习日期，格式为“年-月-日”",
            ));
            None
        }
    };
    if let (Some(d), true) = (learned, errors.is_empty()) {
        // The day learned, at noon in Shanghai (a day, not an instant),
        // but never later than now.
        let at = Timestamp::from_shanghai(d, 12, 0, 0)
            .micros()
            .min(app.clock.now().micros());
        let ctx = app.audit_ctx(&viewer, &addr);
        let done = LessonsDone {
            enrolment_id: id,
            enterprise_id: e.enterprise_id,
            lesson_ids: chosen,
            learned_at: at,
            certificate_no: new_certificate_number(),
        };
        match app.store.record_lessons(&ctx, done).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/services/lectures/enrolments/{id}")).into_response()
                )
            }
            Err(StoreError::Conflict { .. }) => errors.push(FieldError::new(
                "lesson",
                "勾选的课时中有已记录过的，请刷新页面后重试",
            )),
            Err(e) => return Err(AppError::from(e).into()),
        }
    }
    enrolment_page(&app, chrome, &viewer, id, learned_text, errors).await
}

// --- Certificates -------------------------------------------------------------

#[derive(Template)]
#[template(path = "services/lectures_certificate.html")]
struct CertificatePage {
    chrome: Chrome,
    /// The public check: the name masked, no enterprise links.
    public: bool,
    name: String,
    enterprise: String,
    course: String,
    area: String,
    hours: String,
    completed: String,
    number: String,
    back: String,
}

fn certificate_page(chrome: Chrome, e: &Enrolment, public: bool) -> Result<Response, PageError> {
    render(&CertificatePage {
        chrome: chrome.titled("结业证书", "services"),
        public,
        name: if public {
            mask_name(&e.trainee_name)
        } else {
            e.trainee_name.clone()
        },
        enterprise: e.enterprise_name.clone(),
        course: e.course_title.clone(),
        area: e.area_name.clone(),
        hours: hours_label(e.minutes),
        completed: e.completed_at.map(show_date).unwrap_or_default(),
        number: e.certificate_no.clone().unwrap_or_default(),
        back: format!("/services/lectures/enrolments/{}", e.id),
    })
}

/// `GET /services/lectures/enrolments/{id}/certificate`: the printable
/// certificate, for the enterprise.
pub async fn print_certificate(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = uuid_path(&id)?;
    let (e, _) = own_enrolment(&app, &viewer, id).await?;
    if e.completed_at.is_none() {
        return Err(AppError::NotFound.into());
    }
    certificate_page(chrome, &e, false)
}

/// `GET /services/lectures/certificates/{number}`: anyone checks a
/// certificate by its number.
pub async fn check_certificate(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let number = number.trim().to_uppercase();
    if !is_certificate_number(&number) {
        return Err(AppError::Absent {
            code: "certificate_not_found",
            message: "未查到该编号的结业证书，请核对证书编号".to_owned(),
        }
        .into());
    }
    let Some(e) = app.store.certificate(&number).await? else {
        return Err(AppError::Absent {
            code: "certificate_not_found",
            message: "未查到该编号的结业证书，请核对证书编号".to_owned(),
        }
        .into());
    };
    let mut resp = certificate_page(chrome, &e, true)?;
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

// --- Statistics ------------------------------------------------------------------

/// A row of a statistics table as shown.
#[derive(Debug, Clone)]
pub struct TallyLine {
    pub name: String,
    pub area: String,
    pub courses: i64,
    pub trainees: i64,
    pub enrolments: i64,
    pub completions: i64,
    pub hours: String,
}

fn tally_lines(rows: &[yiwang_store::lectures::LectureTally]) -> Vec<TallyLine> {
    rows.iter()
        .map(|t| TallyLine {
            name: t.name.clone(),
            area: t.area.clone(),
            courses: t.courses,
            trainees: t.trainees,
            enrolments: t.enrolments,
            completions: t.completions,
            hours: hours_label(t.minutes),
        })
        .collect()
}

fn month_label(month: i64) -> String {
    format!("{} 年 {} 月", month / 100, month % 100)
}

#[derive(Template)]
#[template(path = "services/lectures_stats.html")]
struct StatsPage {
    chrome: Chrome,
    nav: Nav,
    s: LectureStats,
    hours: String,
    by_area: Vec<TallyLine>,
    by_course: Vec<TallyLine>,
    by_enterprise: Vec<TallyLine>,
    by_month: Vec<(String, i64, i64, String)>,
}

/// `GET /services/lectures/stats`
pub async fn stats(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let s = app.store.lecture_stats().await?;
    render(&StatsPage {
        chrome: chrome.titled("大讲堂统计", "services"),
        nav: Nav::of(&viewer),
        hours: hours_label(s.minutes),
        by_area: tally_lines(&s.by_area),
        by_course: tally_lines(&s.by_course),
        by_enterprise: tally_lines(&s.by_enterprise),
        by_month: s
            .by_month
            .iter()
            .map(|m| {
                (
                    month_label(m.month),
                    m.trainees,
                    m.records,
                    hours_label(m.minutes),
                )
            })
            .collect(),
        s,
    })
}

/// `GET /services/lectures/stats.xlsx`
pub async fn stats_xlsx(State(app): State<AppState>) -> Result<Response, PageError> {
    let s = app.store.lecture_stats().await?;
    let bytes = stats_workbook(&s).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"lecture-stats-{}.xlsx\"",
                    date_input(app.clock.now().shanghai_date())
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Minutes as hours, a number with one decimal for the workbook.
fn hours_number(minutes: i64) -> f64 {
    hours_label(minutes).parse().unwrap_or_default()
}

/// The statistics as a workbook: a sheet each by area, course, enterprise
/// and month; hours are numbers with one decimal.
pub fn stats_workbook(s: &LectureStats) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let one = Format::new().set_num_format("0.0");
    let tables: [(&str, &str, &[yiwang_store::lectures::LectureTally]); 3] = [
        ("按方面", "方面", &s.by_area),
        ("按课程", "课程", &s.by_course),
        ("按企业", "企业", &s.by_enterprise),
    ];
    for (sheet_name, what, rows) in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name)?;
        let mut headers = vec![what];
        if what == "课程" {
            headers.push("方面");
        }
        if what == "方面" {
            headers.push("课程数");
        }
        headers.extend(["学员人数", "报名人次", "结业人次", "学习时长（小时）"]);
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (i, t) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            let mut c = 0u16;
            sheet.write_string(r, c, &t.name)?;
            c += 1;
            if what == "课程" {
                sheet.write_string(r, c, &t.area)?;
                c += 1;
            }
            if what == "方面" {
                sheet.write_number(r, c, t.courses as f64)?;
                c += 1;
            }
            sheet.write_number(r, c, t.trainees as f64)?;
            sheet.write_number(r, c + 1, t.enrolments as f64)?;
            sheet.write_number(r, c + 2, t.completions as f64)?;
            sheet.write_number_with_format(r, c + 3, hours_number(t.minutes), &one)?;
        }
        let r = rows.len() as u32 + 1;
        sheet.write_string_with_format(r, 0, "合计", &bold)?;
        let c = headers.len() as u16 - 4;
        if what == "方面" {
            sheet.write_number_with_format(r, c - 1, s.courses as f64, &bold)?;
        }
        if what != "课程" {
            // Trainees are counted once in the total, not summed.
            sheet.write_number_with_format(r, c, s.trainees as f64, &bold)?;
        }
        sheet.write_number_with_format(r, c + 1, s.enrolments as f64, &bold)?;
        sheet.write_number_with_format(r, c + 2, s.completions as f64, &bold)?;
        sheet.write_number_with_format(r, c + 3, hours_number(s.minutes), &one)?;
        sheet.autofit();
    }
    let sheet = book.add_worksheet();
    sheet.set_name("按月份")?;
    for (c, h) in ["月份", "学习人数", "完成课时", "学习时长（小时）"]
        .iter()
        .enumerate()
    {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, m) in s.by_month.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, month_label(m.month))?;
        sheet.write_number(r, 1, m.trainees as f64)?;
        sheet.write_number(r, 2, m.records as f64)?;
        sheet.write_number_with_format(r, 3, hours_number(m.minutes), &one)?;
    }
    sheet.autofit();
    book.save_to_buffer()
}
