//! The service card (工信E通 服务卡) and the enterprise's service page: every
//! registered enterprise has a printable card with its name, credit code,
//! assigned service staff (服务专员) and their phones, and a QR code of its
//! service page, which shows its requests, its visits, its staff and — when
//! the lecture hall fills them — its courses.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /services/enterprises` | service staff, admin | every registered enterprise, searched by name or credit code, with its staff and links; 20 a page |
//! | `GET /services/enterprises/cards` | service staff, admin | cards to print in bulk: 8 to an A4 sheet, 40 to a page of the list |
//! | `GET /services/enterprises/mine` | enterprises | the enterprise's own card (我的服务卡) |
//! | `GET /services/enterprises/{id}` | the enterprise's own accounts, service staff, admin | the service page |
//! | `GET /services/enterprises/{id}/card` | the enterprise's own accounts, service staff, admin | the card, to print |
//! | `GET /services/enterprises/{id}/staff`, `POST /services/enterprises/{id}/staff` | service staff | assign the enterprise's service staff |
//!
//! The QR code encodes `public_url` + `/services/enterprises/{id}`: whoever
//! scans it is sent to log in, and only the enterprise's own accounts and
//! the bureau's staff get past it (403 for anyone else).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_services::requests::RequestState;
use yiwang_services::visits::VisitState;
use yiwang_store::requests::RequestQuery;
use yiwang_store::visits::{ServedEnterprise, StaffContact, VisitQuery};
use yiwang_store::{Enterprise, Page, UserQuery};

use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::{Form, Query};
use crate::grid::pages::qr_svg;
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Who opens a service page or card (an enterprise only its own).
pub const VIEWERS: &[Role] = &[Role::Bidder, Role::ServiceStaff, Role::Admin];
/// Who lists every enterprise and prints cards in bulk.
pub const READERS: &[Role] = &[Role::ServiceStaff, Role::Admin];
/// Who assigns staff.
pub const STAFF: &[Role] = &[Role::ServiceStaff];
/// Enterprises, for their own card.
pub const ENTERPRISES: &[Role] = &[Role::Bidder];

/// Enterprises per page of the list.
pub const PAGE_SIZE: u32 = 20;
/// Cards to an A4 sheet.
pub const CARDS_PER_SHEET: usize = 8;
/// Cards per page of the bulk print (five sheets).
pub const CARDS_PER_PAGE: u32 = 40;

/// A course of the lecture hall (工信E通 大讲堂) shown on a service page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseLine {
    pub title: String,
    /// Where the course is opened.
    pub href: String,
    /// A short note: the enterprise's progress, the course's hours.
    pub note: String,
}

/// The lecture hall's courses (工信E通 大讲堂) the enterprise's trainees
/// are enrolled in, for its service page; the page shows no courses
/// section when there are none.
pub async fn enterprise_courses(
    app: &AppState,
    enterprise_id: Uuid,
) -> Result<Vec<CourseLine>, AppError> {
    Ok(app
        .store
        .enterprise_courses(enterprise_id)
        .await?
        .into_iter()
        .map(|c| CourseLine {
            title: c.course_title,
            href: format!("/services/lectures/courses/{}", c.course_id),
            note: format!(
                "{}｜{} 人报名，{} 人结业，累计学习 {} 小时",
                c.area_name,
                c.trainees,
                c.completions,
                yiwang_services::lectures::hours_label(c.minutes)
            ),
        })
        .collect())
}

fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
}

/// The enterprise, when the viewer may open its page: its own accounts,
/// service staff and admin; anyone else is refused (403). An unknown
/// enterprise is not found (404).
async fn enterprise_for(app: &AppState, viewer: &Viewer, id: &str) -> Result<Enterprise, AppError> {
    let user = &viewer.require()?.user;
    let e = app
        .store
        .enterprise(parse_id(id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    match user.role {
        Role::ServiceStaff | Role::Admin => Ok(e),
        Role::Bidder if user.enterprise_id == Some(e.id) => Ok(e),
        _ => Err(AppError::Forbidden),
    }
}

fn service_url(app: &AppState, id: Uuid) -> String {
    format!(
        "{}/services/enterprises/{id}",
        app.config.public_url.trim_end_matches('/')
    )
}

/// A card as printed.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub staff: Vec<(String, String)>,
    pub url: String,
    pub qr_svg: String,
}

fn contacts(staff: &[StaffContact]) -> Vec<(String, String)> {
    staff
        .iter()
        .map(|s| (s.name.clone(), s.phone.clone().unwrap_or_default()))
        .collect()
}

fn card(app: &AppState, e: &ServedEnterprise) -> Result<Card, AppError> {
    let url = service_url(app, e.id);
    Ok(Card {
        id: e.id,
        name: e.name.clone(),
        credit_code: e.credit_code.clone(),
        staff: contacts(&e.staff),
        qr_svg: qr_svg(&url)?,
        url,
    })
}

/// The list's and the bulk print's filter.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnterpriseFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: String,
}

impl EnterpriseFilter {
    fn search(&self) -> Option<String> {
        let q = self.q.trim();
        (!q.is_empty()).then(|| q.chars().take(50).collect())
    }

    fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }
}

/// An enterprise as the list shows it.
#[derive(Debug, Clone)]
pub struct EnterpriseLine {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub staff: String,
}

#[derive(Template)]
#[template(path = "services/enterprises.html")]
struct ListPage {
    chrome: Chrome,
    f: EnterpriseFilter,
    total: u64,
    rows: Vec<EnterpriseLine>,
    pager: String,
    page: u32,
    is_staff: bool,
}

/// `GET /services/enterprises`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<EnterpriseFilter>,
) -> Result<Response, PageError> {
    let page = f.page_number();
    let found = app
        .store
        .served_enterprises(f.search().as_deref(), Page::number(page, PAGE_SIZE))
        .await?;
    render(&ListPage {
        chrome: chrome.titled("企业服务卡", "services"),
        pager: pager(
            "/services/enterprises",
            &[("q", f.q.trim().to_owned())],
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found
            .items
            .iter()
            .map(|e| EnterpriseLine {
                id: e.id,
                name: e.name.clone(),
                credit_code: e.credit_code.clone(),
                staff: e
                    .staff
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
            })
            .collect(),
        // The bulk print's page that starts with this list page's first row.
        page: (page - 1) * PAGE_SIZE / CARDS_PER_PAGE + 1,
        is_staff: viewer.role() == Some(Role::ServiceStaff),
        f,
    })
}

#[derive(Template)]
#[template(path = "services/cards.html")]
struct CardsPage {
    chrome: Chrome,
    sheets: Vec<Vec<Card>>,
    total: u64,
    pager: String,
}

/// `GET /services/enterprises/cards?q=&page=`: cards to print in bulk.
pub async fn cards(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(f): Query<EnterpriseFilter>,
) -> Result<Response, PageError> {
    let page = f.page_number();
    let found = app
        .store
        .served_enterprises(f.search().as_deref(), Page::number(page, CARDS_PER_PAGE))
        .await?;
    let all = found
        .items
        .iter()
        .map(|e| card(&app, e))
        .collect::<Result<Vec<_>, _>>()?;
    render(&CardsPage {
        chrome: chrome.titled("批量打印服务卡", "services"),
        pager: pager(
            "/services/enterprises/cards",
            &[("q", f.q.trim().to_owned())],
            page,
            CARDS_PER_PAGE,
            found.total,
        ),
        total: found.total,
        sheets: all.chunks(CARDS_PER_SHEET).map(<[Card]>::to_vec).collect(),
    })
}

/// `GET /services/enterprises/mine`: the enterprise's own card.
pub async fn mine(viewer: Viewer) -> Result<Response, PageError> {
    let id = viewer
        .require()?
        .user
        .enterprise_id
        .ok_or(AppError::Forbidden)?;
    Ok(Redirect::to(&format!("/services/enterprises/{id}/card")).into_response())
}

#[derive(Template)]
#[template(path = "services/card.html")]
struct CardPage {
    chrome: Chrome,
    card: Card,
}

/// `GET /services/enterprises/{id}/card`
pub async fn show_card(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let e = enterprise_for(&app, &viewer, &id).await?;
    let staff = app.store.enterprise_staff(e.id).await?;
    let card = card(
        &app,
        &ServedEnterprise {
            id: e.id,
            name: e.name.clone(),
            credit_code: e.credit_code.clone(),
            staff,
        },
    )?;
    render(&CardPage {
        chrome: chrome.titled(format!("{} · 工信E通服务卡", e.name), "services"),
        card,
    })
}

/// A request on the service page.
#[derive(Debug, Clone)]
pub struct RequestLine {
    pub id: Uuid,
    pub number: String,
    pub title: String,
    pub submitted: String,
    pub state: &'static str,
}

/// A visit on the service page.
#[derive(Debug, Clone)]
pub struct VisitLine {
    pub id: Uuid,
    pub number: String,
    pub day: String,
    pub staff: String,
    pub state: &'static str,
    pub findings: i64,
}

#[derive(Template)]
#[template(path = "services/enterprise.html")]
struct ServicePage {
    chrome: Chrome,
    e: Enterprise,
    staff: Vec<(String, String)>,
    requests: Vec<RequestLine>,
    requests_total: u64,
    visits: Vec<VisitLine>,
    visits_total: u64,
    courses: Vec<CourseLine>,
    /// Service staff and admin: links to visits and the staff form.
    is_bureau: bool,
    is_staff: bool,
}

/// `GET /services/enterprises/{id}`: the service page.
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let e = enterprise_for(&app, &viewer, &id).await?;
    let role = viewer.role();
    let staff = app.store.enterprise_staff(e.id).await?;
    let requests = app
        .store
        .list_requests(
            &RequestQuery {
                enterprise_id: Some(e.id),
                ..RequestQuery::default()
            },
            Page::number(1, 20),
        )
        .await?;
    let visits = app
        .store
        .list_visits(
            &VisitQuery {
                enterprise_id: Some(e.id),
                ..VisitQuery::default()
            },
            Page::number(1, 20),
        )
        .await?;
    let courses = enterprise_courses(&app, e.id).await?;
    render(&ServicePage {
        chrome: chrome.titled(format!("{} · 企业服务", e.name), "services"),
        staff: contacts(&staff),
        requests: requests
            .items
            .iter()
            .map(|r| RequestLine {
                id: r.id,
                number: r.number.clone(),
                title: r.title.clone(),
                submitted: show_time(Some(r.submitted_at)),
                state: RequestState::from_code(&r.state).map_or("—", RequestState::label),
            })
            .collect(),
        requests_total: requests.total,
        visits: visits
            .items
            .iter()
            .map(|v| VisitLine {
                id: v.id,
                number: v.number.clone(),
                day: Timestamp::from_micros(v.visited_on.unwrap_or(v.planned_on)).format_cn_date(),
                staff: v.staff_names.clone(),
                state: VisitState::from_code(&v.state).map_or("—", VisitState::label),
                findings: v.findings,
            })
            .collect(),
        visits_total: visits.total,
        courses,
        is_bureau: matches!(role, Some(Role::ServiceStaff | Role::Admin)),
        is_staff: role == Some(Role::ServiceStaff),
        e,
    })
}

#[derive(Template)]
#[template(path = "services/enterprise_staff.html")]
struct StaffPage {
    chrome: Chrome,
    e: Enterprise,
    staff: Vec<(Uuid, String, String, bool)>,
    errors: Vec<FieldError>,
}

async fn staff_page(
    app: &AppState,
    chrome: Chrome,
    e: Enterprise,
    chosen: &[Uuid],
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
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
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&StaffPage {
        chrome: chrome.titled(format!("{} · 服务专员", e.name), "services"),
        staff: users
            .iter()
            .map(|u| {
                (
                    u.id,
                    u.display_name.clone(),
                    u.phone.clone().unwrap_or_default(),
                    chosen.contains(&u.id),
                )
            })
            .collect(),
        e,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(page)
}

/// `GET /services/enterprises/{id}/staff`
pub async fn staff_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let e = enterprise_for(&app, &viewer, &id).await?;
    let chosen: Vec<Uuid> = app
        .store
        .enterprise_staff(e.id)
        .await?
        .iter()
        .map(|s| s.user_id)
        .collect();
    staff_page(&app, chrome, e, &chosen, Vec::new()).await
}

/// `POST /services/enterprises/{id}/staff`: replaces the assigned staff;
/// each must be an active service staff account with a phone, for the card.
pub async fn assign_staff(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let e = enterprise_for(&app, &viewer, &id).await?;
    let mut chosen = Vec::new();
    let mut errors = Vec::new();
    for (k, v) in &fields {
        if k != "staff" {
            continue;
        }
        let user = match Uuid::parse_str(v.trim()) {
            Ok(u) => app.store.user(u).await?,
            Err(_) => None,
        };
        match user {
            Some(u) if u.role == Role::ServiceStaff && u.active => {
                if u.phone.as_deref().is_none_or(|p| p.trim().is_empty()) {
                    errors.push(FieldError::new(
                        "staff",
                        format!(
                            "{} 没有登记联系电话，服务卡上需要电话，请先在账户管理中补充",
                            u.display_name
                        ),
                    ));
                } else if !chosen.contains(&u.id) {
                    chosen.push(u.id);
                }
            }
            _ => errors.push(FieldError::new("staff", "只能选择在职的企业服务专员")),
        }
    }
    if chosen.is_empty() && errors.is_empty() {
        errors.push(FieldError::new("staff", "请至少选择一名服务专员"));
    }
    if !errors.is_empty() {
        return staff_page(&app, chrome, e, &chosen, errors).await;
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store
        .assign_enterprise_staff(&ctx, e.id, chosen)
        .await?;
    Ok(Redirect::to(&format!("/services/enterprises/{}", e.id)).into_response())
}
