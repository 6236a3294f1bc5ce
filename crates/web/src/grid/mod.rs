//! Grid governance on the web (网格化服务管理 "一张网").
//!
//! | module | what |
//! |---|---|
//! | [`pages`] | the public directory of grids and leaders (and its XLSX), a grid's page, its door sticker, the look-up by point |
//! | [`api`] | open data: `GET /api/v1/grid/lookup` and `GET /api/v1/grids.geojson` |
//! | [`filings`] | boundary filings (备案): a leader files, a supervisor approves or rejects; the topology check page |
//! | [`kpi`] | the command centre's indicators (SVG charts, XLSX), performance pay and the zombie-grid list |
//! | [`map`] | the server-rendered SVG map of the grids, each grid a link |
//! | [`residents`] | residents for grid staff: lists, pages, forms, tags, XLSX, the registration API; who sees what |
//! | [`places`] | buildings and flats for grid staff (with CSV import), and the public look-up by address |
//! | [`duties`] | the staff's duties: the to-do list, patrol and visit forms, a grid's duty log, the overdue list (XLSX), completion rates |
//! | [`problems`] | problem data: the detectors' counts and work lists (XLSX), the intake of legacy records, merging look-alikes |
//! | [`data`] | a district as a store import, the per-process grid map cache, areas as people read them |
//!
//! The geometry (codes, boundaries, the look-up index) lives in
//! `yiwang_grid`; this folder turns requests into look-ups and rows into
//! pages.

pub mod api;
pub mod data;
pub mod duties;
pub mod filings;
pub mod kpi;
pub mod map;
pub mod pages;
pub mod placement;
pub mod places;
pub mod problems;
pub mod residents;

use crate::auth::access::{Access, Routes};
use filings::{FILERS, SUPERVISORS};
use residents::RESIDENT_STAFF;

/// The grid system's routes.
pub fn routes(r: Routes) -> Routes {
    use Access::{Public, Roles};
    let r = problems_routes(r);
    let r = r
        .get("/grid/directory", Public, pages::directory)
        .get("/grid/directory.xlsx", Public, pages::directory_xlsx)
        .get("/grid/grids/{id}", Public, pages::grid_page)
        .get("/grid/grids/{id}/sticker", Public, pages::sticker)
        .get("/grid/lookup", Public, pages::lookup)
        .get("/api/v1/grid/lookup", Public, api::lookup)
        .get("/api/v1/grids.geojson", Public, api::geojson)
        .get(
            "/grid/grids/{id}/filing",
            Roles(FILERS),
            filings::filing_form,
        )
        .post("/grid/grids/{id}/filing", Roles(FILERS), filings::file)
        .post(
            "/grid/grids/{id}/filing/decide",
            Roles(SUPERVISORS),
            filings::decide,
        )
        .get("/grid/filings", Roles(SUPERVISORS), filings::filings)
        .get("/grid/topology", Roles(SUPERVISORS), filings::topology)
        .get(
            "/grid/grids/{id}/residents",
            Roles(RESIDENT_STAFF),
            residents::list,
        )
        .get(
            "/grid/grids/{id}/residents.xlsx",
            Roles(RESIDENT_STAFF),
            residents::export,
        )
        .get(
            "/grid/grids/{id}/residents/new",
            Roles(RESIDENT_STAFF),
            residents::new_form,
        )
        .post(
            "/grid/grids/{id}/residents",
            Roles(RESIDENT_STAFF),
            residents::create,
        )
        .get(
            "/grid/residents/{id}",
            Roles(RESIDENT_STAFF),
            residents::show,
        )
        .get(
            "/grid/residents/{id}/edit",
            Roles(RESIDENT_STAFF),
            residents::edit_form,
        )
        .post(
            "/grid/residents/{id}",
            Roles(RESIDENT_STAFF),
            residents::update,
        )
        .post(
            "/grid/residents/{id}/tags",
            Roles(RESIDENT_STAFF),
            residents::tags,
        )
        .post(
            "/api/v1/grid/residents",
            Roles(RESIDENT_STAFF),
            residents::api_create,
        )
        .get(
            "/grid/grids/{id}/buildings",
            Roles(RESIDENT_STAFF),
            places::list,
        )
        .get(
            "/grid/grids/{id}/buildings/new",
            Roles(RESIDENT_STAFF),
            places::new_form,
        )
        .post(
            "/grid/grids/{id}/buildings",
            Roles(RESIDENT_STAFF),
            places::create,
        )
        .post(
            "/grid/grids/{id}/buildings/import",
            Roles(RESIDENT_STAFF),
            places::import,
        )
        .get("/grid/buildings/{id}", Roles(RESIDENT_STAFF), places::show)
        .get("/grid/kpi", Roles(kpi::KPI_READERS), kpi::kpi_page)
        .get("/grid/kpi.xlsx", Roles(kpi::KPI_READERS), kpi::kpi_xlsx)
        .get("/grid/pay", Roles(kpi::KPI_READERS), kpi::pay_page)
        .get("/grid/pay.xlsx", Roles(kpi::KPI_READERS), kpi::pay_xlsx)
        .get("/grid/quality", Roles(kpi::KPI_READERS), kpi::quality_page)
        .get(
            "/grid/quality/buildings",
            Roles(filings::SUPERVISORS),
            placement::page,
        )
        .post(
            "/grid/quality/buildings/move",
            Roles(filings::SUPERVISORS),
            placement::move_all,
        );
    duties_routes(r)
}

/// The duties' routes ([`duties`]).
fn duties_routes(r: Routes) -> Routes {
    use duties::{DUTY_STAFF, OVERDUE_READERS};
    use Access::Roles;
    r.get("/grid/duties", Roles(DUTY_STAFF), duties::todo)
        .get(
            "/grid/duties/overdue",
            Roles(OVERDUE_READERS),
            duties::overdue,
        )
        .get(
            "/grid/duties/overdue.xlsx",
            Roles(OVERDUE_READERS),
            duties::overdue_xlsx,
        )
        .get(
            "/grid/grids/{id}/duties",
            Roles(DUTY_STAFF),
            duties::history,
        )
        .get(
            "/grid/grids/{id}/patrols/new",
            Roles(DUTY_STAFF),
            duties::patrol_form,
        )
        .post(
            "/grid/grids/{id}/patrols",
            Roles(DUTY_STAFF),
            duties::record_patrol,
        )
        .get(
            "/grid/grids/{id}/visits/new",
            Roles(DUTY_STAFF),
            duties::visit_form,
        )
        .post(
            "/grid/grids/{id}/visits",
            Roles(DUTY_STAFF),
            duties::record_visit,
        )
        .post(
            "/grid/grids/{id}/attendances",
            Roles(DUTY_STAFF),
            duties::record_attendance,
        )
}

/// Problem data's routes (`problems`).
fn problems_routes(r: Routes) -> Routes {
    use problems::PROBLEM_READERS as READERS;
    use Access::Roles;
    r.get("/grid/quality/data", Roles(READERS), problems::summary_page)
        .get("/grid/quality/data.xlsx", Roles(READERS), problems::export)
        .get(
            "/grid/quality/data/{id}",
            Roles(READERS),
            problems::list_page,
        )
        .post(
            "/grid/grids/{id}/intake/import",
            Roles(READERS),
            problems::import,
        )
        .get("/grid/intake/{id}", Roles(READERS), problems::intake_page)
        .post("/grid/intake/{id}", Roles(READERS), problems::intake_save)
        .post(
            "/grid/intake/{id}/delete",
            Roles(READERS),
            problems::intake_delete,
        )
        .post(
            "/grid/residents/{id}/merge",
            Roles(READERS),
            problems::merge,
        )
        .post(
            "/grid/residents/{id}/not-duplicate",
            Roles(READERS),
            problems::not_duplicate,
        )
}
