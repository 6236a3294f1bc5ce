//! Grid indicators, performance pay and the zombie-grid list: the command
//! centre's.

use super::Who;
use yiwang_core::Role;

const COMMAND_CENTRE: &[Role] = &[Role::Supervisor];

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/grid/kpi", Who::Only(COMMAND_CENTRE)),
    ("GET", "/grid/kpi.xlsx", Who::Only(COMMAND_CENTRE)),
    ("GET", "/grid/pay", Who::Only(COMMAND_CENTRE)),
    ("GET", "/grid/pay.xlsx", Who::Only(COMMAND_CENTRE)),
    ("GET", "/grid/quality", Who::Only(COMMAND_CENTRE)),
];
