//! Collective contracts: the register, renewal reminders and the coverage
//! report are the union's and the bureau's service staff's.

use super::Who;
use yiwang_core::Role;

const STAFF: Who = Who::Only(&[Role::ServiceStaff]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/services/contracts", STAFF),
    ("GET", "/services/contracts/new", STAFF),
    ("POST", "/services/contracts", STAFF),
    ("GET", "/services/contracts/{id}", STAFF),
    ("GET", "/services/contracts/renewals", STAFF),
    ("GET", "/services/contracts/coverage", STAFF),
    ("GET", "/services/contracts/coverage.xlsx", STAFF),
];
