//! Boundary filings (备案) and the topology check, for grid staff and the
//! command centre's supervisors.
//!
//! A grid's leader files a new boundary for the grid they lead (a
//! supervisor may file for any grid): GeoJSON, as a surveyor or a GIS tool
//! exports it, and a note saying why. The filing is pending: the public
//! lines do not move. A supervisor sees every pending filing with what the
//! topology check would say if it were approved — overlaps with the
//! community's other grids, gaps it would open, parts outside the
//! community, each with its area — and approves it (it becomes the grid's
//! current boundary; the old one is kept) or rejects it with a reason.
//!
//! The topology page runs the check over the whole district as it stands.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yiwang_core::Role;
use yiwang_grid::{
    check_topology, Boundary, CommunityCode, GridCode, GridKind, Issue, DEFAULT_TOLERANCE_M2,
};
use yiwang_store::grid::{NewFiling, StaffRole, UnitLevel};
use yiwang_store::Page;

use super::data::{area_centi, area_label, GridMap};
use super::pages::{entry, DirectoryRow};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::Form;
use crate::pages::{render, show_time, Chrome};
use crate::AppState;

/// Who may file a boundary: a grid's leader (for their own grid) and
/// supervisors.
pub const FILERS: &[Role] = &[Role::GridLeader, Role::Supervisor];
/// Who decides filings and reads the topology check.
pub const SUPERVISORS: &[Role] = &[Role::Supervisor];

/// The filing form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilingForm {
    #[serde(default)]
    pub geojson: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Template)]
#[template(path = "grid/filing.html")]
struct FilingPage {
    chrome: Chrome,
    row: DirectoryRow,
    form: FilingForm,
    errors: Vec<String>,
    current: String,
}

/// Refuses a grid leader filing for a grid they do not lead.
async fn may_file(app: &AppState, viewer: &Viewer, grid: GridCode) -> Result<(), AppError> {
    let user = viewer.require()?;
    if user.user.role == Role::Supervisor {
        return Ok(());
    }
    let Some(staff) = app.store.staff_for_user(user.user.id).await? else {
        return Err(AppError::Forbidden);
    };
    let leads = app
        .store
        .staff_assignments(staff.id)
        .await?
        .iter()
        .any(|a| a.role == StaffRole::Leader && a.grid_code == grid.to_string());
    if leads {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// `GET /grid/grids/{id}/filing`
pub async fn filing_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    may_file(&app, &viewer, code).await?;
    let current = entry.grid.boundary_json.clone();
    render(&FilingPage {
        chrome: chrome.titled("网格边界备案", "grid"),
        row: DirectoryRow::of(&entry),
        form: FilingForm {
            geojson: current.clone(),
            note: String::new(),
        },
        errors: Vec::new(),
        current,
    })
}

/// `POST /grid/grids/{id}/filing`
pub async fn file(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<FilingForm>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    may_file(&app, &viewer, code).await?;
    let mut errors = Vec::new();
    let boundary = match Boundary::from_geojson_text(form.geojson.trim()) {
        Ok(b) => Some(b),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    };
    let note = form.note.trim();
    if note.is_empty() {
        errors.push("请填写边界调整的原因".to_owned());
    }
    if let (Some(boundary), true) = (boundary, errors.is_empty()) {
        let ctx = app.audit_ctx(&viewer, &addr);
        let filed = app
            .store
            .file_boundary(
                &ctx,
                NewFiling {
                    grid_code: code.to_string(),
                    boundary_json: boundary.to_geojson_text(),
                    area_centi: area_centi(&boundary),
                    note: note.chars().take(500).collect(),
                },
            )
            .await;
        match filed {
            Ok(_) => return Ok(Redirect::to(&format!("/grid/grids/{code}")).into_response()),
            Err(yiwang_store::StoreError::Conflict { .. }) => {
                errors.push("该网格已有待审核的边界备案，请等待审核后再报".to_owned())
            }
            Err(e) => return Err(e.into()),
        }
    }
    let current = entry.grid.boundary_json.clone();
    let mut page = render(&FilingPage {
        chrome: chrome.titled("网格边界备案", "grid"),
        row: DirectoryRow::of(&entry),
        form,
        errors,
        current,
    })?;
    *page.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

/// The issues a community would have with `grid` drawn as `boundary`.
fn issues_if(
    map: &GridMap,
    communities: &[(CommunityCode, Boundary)],
    grid: GridCode,
    boundary: &Boundary,
) -> Vec<Issue> {
    let community = grid.community();
    let outline: Vec<(CommunityCode, &Boundary)> = communities
        .iter()
        .filter(|(c, _)| *c == community)
        .map(|(c, b)| (*c, b))
        .collect();
    let grids: Vec<(GridCode, GridKind, &Boundary)> = map
        .shapes
        .iter()
        .filter(|s| s.code.community() == community)
        .map(|s| {
            if s.code == grid {
                (s.code, s.kind, boundary)
            } else {
                (s.code, s.kind, &s.boundary)
            }
        })
        .collect();
    check_topology(&outline, &grids, DEFAULT_TOLERANCE_M2)
}

/// Every community's outline.
pub(crate) async fn communities(
    app: &AppState,
) -> Result<Vec<(CommunityCode, Boundary)>, AppError> {
    let mut out = Vec::new();
    for unit in app.store.grid_units().await? {
        if unit.level != UnitLevel::Community {
            continue;
        }
        let (Ok(code), Some(json)) = (CommunityCode::parse(&unit.code), unit.boundary_json) else {
            continue;
        };
        let boundary = Boundary::from_geojson_text(&json)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("community {}: {e}", unit.code)))?;
        out.push((code, boundary));
    }
    Ok(out)
}

/// One pending filing for the supervisor.
#[derive(Debug, Clone)]
struct PendingLine {
    code: String,
    name: String,
    version: i64,
    area_before: String,
    area_after: String,
    note: String,
    filed: String,
    issues: Vec<String>,
}

#[derive(Template)]
#[template(path = "grid/filings.html")]
struct FilingsPage {
    chrome: Chrome,
    total: u64,
    pending: Vec<PendingLine>,
    /// After an approval: the buildings that followed the new line.
    moved: Option<u64>,
}

/// `GET /grid/filings`
pub async fn filings(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<super::placement::PlacementQuery>,
) -> Result<Response, PageError> {
    let found = app.store.pending_filings(Page::number(1, 100)).await?;
    let map = app.grid_map.get(&*app.store).await?;
    let outlines = communities(&app).await?;
    let mut pending = Vec::new();
    for v in &found.items {
        let Ok(code) = GridCode::parse(&v.grid_code) else {
            continue;
        };
        let Some(shape) = map.shape(code) else {
            continue;
        };
        let proposed = Boundary::from_geojson_text(&v.boundary_json)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("filing {}: {e}", v.grid_code)))?;
        let before = area_centi(&shape.boundary);
        pending.push(PendingLine {
            code: v.grid_code.clone(),
            name: shape.name.clone(),
            version: v.version,
            area_before: area_label(before),
            area_after: area_label(v.area_centi),
            note: v.note.clone(),
            filed: format!("{} {}", show_time(Some(v.filed_at)), v.filed_by_name),
            issues: issues_if(&map, &outlines, code, &proposed)
                .iter()
                .map(Issue::describe)
                .collect(),
        });
    }
    render(&FilingsPage {
        chrome: chrome.titled("边界备案审核", "grid"),
        total: found.total,
        pending,
        moved: q.moved,
    })
}

/// A supervisor's decision, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub version: String,
    /// `approve` or `reject`.
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /grid/grids/{id}/filing/decide`
pub async fn decide(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let code = GridCode::parse(&id).map_err(|_| AppError::NotFound)?;
    let version: i64 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::field("version", "备案版本号有误"))?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::field("decision", "请选择通过或驳回").into()),
    };
    let note = form.note.trim();
    if !approve && note.is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new("note", "驳回时请写明理由")]).into());
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    match app
        .store
        .decide_filing(&ctx, &code.to_string(), version, approve, note)
        .await
    {
        Ok(_) if approve => {
            // The lines moved: buildings placed by their point follow.
            let moved = super::placement::follow_lines(&app, &ctx).await?;
            Ok(Redirect::to(&format!("/grid/filings?moved={moved}")).into_response())
        }
        Ok(_) => Ok(Redirect::to("/grid/filings").into_response()),
        Err(yiwang_store::StoreError::Conflict { .. }) => Err(AppError::Conflict {
            field: "status".to_owned(),
            message: "该备案已审核过".to_owned(),
        }
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// One issue on the topology page.
#[derive(Debug, Clone)]
struct IssueLine {
    text: String,
    grids: Vec<String>,
    community: Option<String>,
}

#[derive(Template)]
#[template(path = "grid/topology.html")]
struct TopologyPage {
    chrome: Chrome,
    grids: usize,
    communities: usize,
    issues: Vec<IssueLine>,
}

/// `GET /grid/topology`
pub async fn topology(State(app): State<AppState>, chrome: Chrome) -> Result<Response, PageError> {
    let map = app.grid_map.get(&*app.store).await?;
    let outlines = communities(&app).await?;
    let c: Vec<_> = outlines.iter().map(|(c, b)| (*c, b)).collect();
    let g: Vec<_> = map
        .shapes
        .iter()
        .map(|s| (s.code, s.kind, &s.boundary))
        .collect();
    let issues = check_topology(&c, &g, DEFAULT_TOLERANCE_M2)
        .iter()
        .map(|i| IssueLine {
            text: i.describe(),
            grids: i.grids().iter().map(ToString::to_string).collect(),
            community: match i {
                Issue::Gap { community, .. } => Some(community.to_string()),
                _ => None,
            },
        })
        .collect();
    render(&TopologyPage {
        chrome: chrome.titled("网格拓扑检查", "grid"),
        grids: g.len(),
        communities: c.len(),
        issues,
    })
}
