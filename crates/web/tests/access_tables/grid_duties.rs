//! Grid duties: grid leaders, workers and supervisors have a to-do list and
//! record duties (in the grids they are assigned to, checked in the
//! handlers); the overdue list of the whole district is the command
//! centre's.

use super::Who;
use yiwang_core::Role;

const STAFF: Who = Who::Only(&[Role::GridLeader, Role::GridWorker, Role::Supervisor]);
const COMMAND_CENTRE: Who = Who::Only(&[Role::Supervisor]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/grid/duties", STAFF),
    ("GET", "/grid/duties/overdue", COMMAND_CENTRE),
    ("GET", "/grid/duties/overdue.xlsx", COMMAND_CENTRE),
    ("GET", "/grid/grids/{id}/duties", STAFF),
    ("GET", "/grid/grids/{id}/patrols/new", STAFF),
    ("POST", "/grid/grids/{id}/patrols", STAFF),
    ("GET", "/grid/grids/{id}/visits/new", STAFF),
    ("POST", "/grid/grids/{id}/visits", STAFF),
    ("POST", "/grid/grids/{id}/attendances", STAFF),
];
