//! Buildings follow the lines (楼栋归属核对).
//!
//! A building registered with a point is placed in the grid holding that
//! point (`Placement::Point`); one registered without a point stays where
//! staff put it (`Placement::Assigned`). Its households and residents, and
//! the visits and tags that depend on them, belong to the grid that holds
//! the building. When a boundary filing is approved the lines move, and a
//! building's point may then lie in another grid, or in none.
//!
//! * Approving a filing ([`super::filings::decide`]) moves every building
//!   placed by its point into the grid that now holds it, in the approval's
//!   request, each move audited (`grid.building.move`); the filings page
//!   says how many moved.
//! * The work list `/grid/quality/buildings` shows supervisors the
//!   buildings whose point lies in another grid (with a button that moves
//!   them, for a move an approval could not finish) or outside every grid
//!   (which needs a boundary filing or a corrected point). It is empty
//!   when every building is where its point is.
//!
//! The check uses the same look-up as the public one
//! ([`yiwang_grid::GridIndex::lookup`]), so a point on a line belongs to
//! the grid the look-up names.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use yiwang_grid::LngLat;
use yiwang_store::residents::{BuildingMove, PlacedBuilding};
use yiwang_store::AuditCtx;

use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::pages::{render, Chrome};
use crate::AppState;

/// The most lines the work list shows.
const SHOWN: usize = 500;

/// A building whose point is not in its grid.
#[derive(Debug, Clone)]
pub struct Misplaced {
    pub building: PlacedBuilding,
    /// The grid now holding its point; `None` outside every grid.
    pub now_in: Option<String>,
}

/// Every building placed by its point whose point lies in another grid or
/// outside every grid, in address order.
pub async fn misplaced(app: &AppState) -> Result<Vec<Misplaced>, AppError> {
    let map = app.grid_map.get(&*app.store).await?;
    let placed = app.store.placed_buildings().await?;
    Ok(placed
        .into_iter()
        .filter_map(|b| {
            let now_in = LngLat::new(b.lng, b.lat)
                .ok()
                .and_then(|p| map.index.lookup(p))
                .map(|hit| hit.code.to_string());
            (now_in.as_deref() != Some(b.grid_code.as_str())).then_some(Misplaced {
                building: b,
                now_in,
            })
        })
        .collect())
}

/// Moves every building placed by its point into the grid now holding it;
/// returns how many moved.
pub async fn follow_lines(app: &AppState, ctx: &AuditCtx) -> Result<u64, AppError> {
    let moves: Vec<BuildingMove> = misplaced(app)
        .await?
        .into_iter()
        .filter_map(|m| {
            m.now_in.map(|to| BuildingMove {
                building_id: m.building.id,
                from: m.building.grid_code,
                to,
            })
        })
        .collect();
    Ok(app.store.move_buildings(ctx, &moves).await?)
}

/// One line of the work list.
#[derive(Debug, Clone)]
struct Line {
    id: String,
    address: String,
    grid: String,
    grid_name: String,
    now_in: Option<(String, String)>,
    point: String,
}

#[derive(Template)]
#[template(path = "grid/placement.html")]
struct PlacementPage {
    chrome: Chrome,
    movable: usize,
    outside: usize,
    lines: Vec<Line>,
    shown_all: bool,
    done: Option<String>,
}

/// The work list's query.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlacementQuery {
    /// Buildings just moved, for the confirmation line.
    #[serde(default)]
    pub moved: Option<u64>,
}

/// `GET /grid/quality/buildings`
pub async fn page(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(q): Query<PlacementQuery>,
) -> Result<Response, PageError> {
    let found = misplaced(&app).await?;
    let map = app.grid_map.get(&*app.store).await?;
    let name = |code: &str| {
        yiwang_grid::GridCode::parse(code)
            .ok()
            .and_then(|c| map.shape(c))
            .map_or_else(|| code.to_owned(), |s| s.name.clone())
    };
    let movable = found.iter().filter(|m| m.now_in.is_some()).count();
    let lines = found
        .iter()
        .take(SHOWN)
        .map(|m| Line {
            id: m.building.id.to_string(),
            address: m.building.address.clone(),
            grid_name: name(&m.building.grid_code),
            grid: m.building.grid_code.clone(),
            now_in: m.now_in.as_ref().map(|c| (c.clone(), name(c))),
            point: format!("{:.6}, {:.6}", m.building.lng, m.building.lat),
        })
        .collect();
    render(&PlacementPage {
        chrome: chrome.titled("楼栋归属核对", "grid"),
        movable,
        outside: found.len() - movable,
        lines,
        shown_all: found.len() <= SHOWN,
        done: q
            .moved
            .map(|n| format!("已将 {n} 栋楼调整到其坐标所在的网格。")),
    })
}

/// `POST /grid/quality/buildings/move`: moves every building whose point
/// lies in another grid.
pub async fn move_all(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
) -> Result<Response, PageError> {
    let ctx = app.audit_ctx(&viewer, &addr);
    let moved = follow_lines(&app, &ctx).await?;
    Ok(Redirect::to(&format!("/grid/quality/buildings?moved={moved}")).into_response())
}
