//! Enterprise requests: enterprises submit and rate (their own, checked in
//! the handlers); department handlers answer their department's part;
//! service staff route, watch the escalations and read the indicators; the
//! board is for the departments and service staff who take needs.

use super::Who;
use yiwang_core::Role;

const READERS: Who = Who::Only(&[Role::Bidder, Role::DeptHandler, Role::ServiceStaff]);
const ENTERPRISES: Who = Who::Only(&[Role::Bidder]);
const HANDLERS: Who = Who::Only(&[Role::DeptHandler]);
const STAFF: Who = Who::Only(&[Role::ServiceStaff]);
const TAKERS: Who = Who::Only(&[Role::DeptHandler, Role::ServiceStaff]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/services/requests", READERS),
    ("GET", "/services/requests/new", ENTERPRISES),
    ("POST", "/services/requests", ENTERPRISES),
    ("GET", "/services/requests/board", TAKERS),
    ("GET", "/services/requests/escalations", STAFF),
    ("GET", "/services/requests/kpi", STAFF),
    ("GET", "/services/requests/kpi.xlsx", STAFF),
    ("GET", "/services/requests/{id}", READERS),
    ("POST", "/services/requests/{id}/reply", HANDLERS),
    ("POST", "/services/requests/{id}/departments", STAFF),
    ("POST", "/services/requests/{id}/rating", ENTERPRISES),
    ("POST", "/services/requests/{id}/take", TAKERS),
];
