//! Problem data: grid leaders and workers (their own grids, checked in the
//! handlers) and supervisors (every grid; changes only in their own);
//! nobody else.

use super::Who;
use yiwang_core::Role;

const STAFF: Who = Who::Only(&[Role::GridLeader, Role::GridWorker, Role::Supervisor]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/grid/quality/data", STAFF),
    ("GET", "/grid/quality/data.xlsx", STAFF),
    ("GET", "/grid/quality/data/{id}", STAFF),
    ("POST", "/grid/grids/{id}/intake/import", STAFF),
    ("GET", "/grid/intake/{id}", STAFF),
    ("POST", "/grid/intake/{id}", STAFF),
    ("POST", "/grid/intake/{id}/delete", STAFF),
    ("POST", "/grid/residents/{id}/merge", STAFF),
    ("POST", "/grid/residents/{id}/not-duplicate", STAFF),
];
