//! Labour mediation: workers and enterprises apply and follow their own
//! cases; service staff mediate, schedule, record outcomes and read the
//! statistics.

use super::Who;
use yiwang_core::Role;

const READERS: Who = Who::Only(&[Role::Worker, Role::Bidder, Role::ServiceStaff]);
const APPLICANTS: Who = Who::Only(&[Role::Worker, Role::Bidder]);
const MEDIATORS: Who = Who::Only(&[Role::ServiceStaff]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/services/mediation", READERS),
    ("GET", "/services/mediation/new", APPLICANTS),
    ("POST", "/services/mediation", APPLICANTS),
    ("GET", "/services/mediation/stats", MEDIATORS),
    ("GET", "/services/mediation/stats.xlsx", MEDIATORS),
    ("GET", "/services/mediation/documents/{id}", READERS),
    ("GET", "/services/mediation/{id}", READERS),
    ("GET", "/services/mediation/{id}/agreement", READERS),
    ("POST", "/services/mediation/{id}/accept", MEDIATORS),
    ("POST", "/services/mediation/{id}/refuse", MEDIATORS),
    ("POST", "/services/mediation/{id}/messages", READERS),
    ("POST", "/services/mediation/{id}/documents", READERS),
    ("POST", "/services/mediation/{id}/meetings", MEDIATORS),
    ("POST", "/services/mediation/{id}/outcome", MEDIATORS),
    ("POST", "/services/mediation/{id}/withdraw", APPLICANTS),
];
