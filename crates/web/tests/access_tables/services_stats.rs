//! The services' figures: the dashboard and its workbook are for the
//! bureau's and the union's staff and the administrators; the same figures
//! as JSON are open.

use super::{Who, ADMIN};
use yiwang_core::Role;

const READERS: Who = Who::Only(&[Role::ServiceStaff, ADMIN[0]]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/services/dashboard", READERS),
    ("GET", "/services/dashboard.xlsx", READERS),
    ("GET", "/api/v1/services/stats", Who::Anyone),
];
