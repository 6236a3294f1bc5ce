//! Residents and places: grid leaders and workers (for the grids they are
//! assigned to, checked in the handlers) and supervisors (every grid,
//! masked outside their own); nobody else. The address look-up is part of
//! the public `/grid/lookup` and `/api/v1/grid/lookup`.

use super::Who;
use yiwang_core::Role;

const STAFF: Who = Who::Only(&[Role::GridLeader, Role::GridWorker, Role::Supervisor]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/grid/grids/{id}/residents", STAFF),
    ("GET", "/grid/grids/{id}/residents.xlsx", STAFF),
    ("GET", "/grid/grids/{id}/residents/new", STAFF),
    ("POST", "/grid/grids/{id}/residents", STAFF),
    ("GET", "/grid/residents/{id}", STAFF),
    ("GET", "/grid/residents/{id}/edit", STAFF),
    ("POST", "/grid/residents/{id}", STAFF),
    ("POST", "/grid/residents/{id}/tags", STAFF),
    ("POST", "/api/v1/grid/residents", STAFF),
    ("GET", "/grid/grids/{id}/buildings", STAFF),
    ("GET", "/grid/grids/{id}/buildings/new", STAFF),
    ("POST", "/grid/grids/{id}/buildings", STAFF),
    ("POST", "/grid/grids/{id}/buildings/import", STAFF),
    ("GET", "/grid/buildings/{id}", STAFF),
];
