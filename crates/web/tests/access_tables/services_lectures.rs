//! The lecture hall: the catalogue, a published course and the
//! certificate check are public; service staff and administrators manage
//! the catalogue and read the statistics; enterprise accounts register
//! trainees, enrol them and record their learning (their own, checked in
//! the handlers).

use super::Who;
use yiwang_core::Role;

const MANAGERS: Who = Who::Only(&[Role::ServiceStaff, Role::Admin]);
const ENTERPRISE: Who = Who::Only(&[Role::Bidder]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/services/lectures", Who::Anyone),
    ("GET", "/services/lectures/courses/{id}", Who::Anyone),
    (
        "GET",
        "/services/lectures/certificates/{number}",
        Who::Anyone,
    ),
    ("GET", "/services/lectures/manage", MANAGERS),
    ("GET", "/services/lectures/areas", MANAGERS),
    ("POST", "/services/lectures/areas", MANAGERS),
    ("POST", "/services/lectures/areas/{id}", MANAGERS),
    ("GET", "/services/lectures/courses/new", MANAGERS),
    ("POST", "/services/lectures/courses", MANAGERS),
    ("GET", "/services/lectures/courses/{id}/edit", MANAGERS),
    ("POST", "/services/lectures/courses/{id}", MANAGERS),
    ("POST", "/services/lectures/courses/{id}/lessons", MANAGERS),
    ("GET", "/services/lectures/stats", MANAGERS),
    ("GET", "/services/lectures/stats.xlsx", MANAGERS),
    ("GET", "/services/lectures/trainees", ENTERPRISE),
    ("POST", "/services/lectures/trainees", ENTERPRISE),
    ("GET", "/services/lectures/trainees/{id}", ENTERPRISE),
    (
        "POST",
        "/services/lectures/trainees/{id}/enrolments",
        ENTERPRISE,
    ),
    ("GET", "/services/lectures/enrolments", ENTERPRISE),
    ("GET", "/services/lectures/enrolments/{id}", ENTERPRISE),
    (
        "POST",
        "/services/lectures/enrolments/{id}/records",
        ENTERPRISE,
    ),
    (
        "GET",
        "/services/lectures/enrolments/{id}/certificate",
        ENTERPRISE,
    ),
];
