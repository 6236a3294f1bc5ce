//! Grid governance: the directory, grid pages, door stickers, the look-up
//! and the open data are what the district publishes, for anyone; boundary
//! filings are made by grid leaders (for their own grid, checked in the
//! handler) and supervisors, and decided by supervisors, who also keep
//! buildings in the grid their point lies in.

use super::Who;
use yiwang_core::Role;

const FILERS: Who = Who::Only(&[Role::GridLeader, Role::Supervisor]);
const SUPERVISORS: Who = Who::Only(&[Role::Supervisor]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/grid/directory", Who::Anyone),
    ("GET", "/grid/directory.xlsx", Who::Anyone),
    ("GET", "/grid/grids/{id}", Who::Anyone),
    ("GET", "/grid/grids/{id}/sticker", Who::Anyone),
    ("GET", "/grid/lookup", Who::Anyone),
    ("GET", "/api/v1/grid/lookup", Who::Anyone),
    ("GET", "/api/v1/grids.geojson", Who::Anyone),
    ("GET", "/grid/grids/{id}/filing", FILERS),
    ("POST", "/grid/grids/{id}/filing", FILERS),
    ("POST", "/grid/grids/{id}/filing/decide", SUPERVISORS),
    ("GET", "/grid/filings", SUPERVISORS),
    ("GET", "/grid/topology", SUPERVISORS),
    ("GET", "/grid/quality/buildings", SUPERVISORS),
    ("POST", "/grid/quality/buildings/move", SUPERVISORS),
];
