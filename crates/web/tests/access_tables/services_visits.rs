//! Enterprise visits and service cards: the bureau's service staff plan,
//! record and convert, and assign staff; admin reads; an enterprise opens
//! only its own service page and card (checked in the handler: another
//! enterprise's page answers 403, see `services_visits.rs`).

use super::Who;
use yiwang_core::Role;

const STAFF: Who = Who::Only(&[Role::ServiceStaff]);
const READERS: Who = Who::Only(&[Role::ServiceStaff, Role::Admin]);
const VIEWERS: Who = Who::Only(&[Role::Bidder, Role::ServiceStaff, Role::Admin]);
const ENTERPRISES: Who = Who::Only(&[Role::Bidder]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/services/visits", READERS),
    ("GET", "/services/visits/new", STAFF),
    ("POST", "/services/visits", STAFF),
    ("GET", "/services/visits/coverage", READERS),
    ("GET", "/services/visits/coverage.xlsx", READERS),
    ("GET", "/services/visits/{id}", READERS),
    ("POST", "/services/visits/{id}/cancel", STAFF),
    ("GET", "/services/visits/{id}/record", STAFF),
    ("POST", "/services/visits/{id}/record", STAFF),
    (
        "POST",
        "/services/visits/{id}/findings/{finding}/convert",
        STAFF,
    ),
    ("GET", "/services/enterprises", READERS),
    ("GET", "/services/enterprises/cards", READERS),
    ("GET", "/services/enterprises/mine", ENTERPRISES),
    ("GET", "/services/enterprises/{id}", VIEWERS),
    ("GET", "/services/enterprises/{id}/card", VIEWERS),
    ("GET", "/services/enterprises/{id}/staff", STAFF),
    ("POST", "/services/enterprises/{id}/staff", STAFF),
];
