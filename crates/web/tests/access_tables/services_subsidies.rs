//! Apprenticeship subsidies: enterprises register apprentices and claim
//! (their own, checked in the handlers); the bureau's service staff read
//! every claim, decide lines and export the payment list.

use super::Who;
use yiwang_core::Role;

const ENTERPRISE: Who = Who::Only(&[Role::Bidder]);
const STAFF: Who = Who::Only(&[Role::ServiceStaff]);
const BOTH: Who = Who::Only(&[Role::Bidder, Role::ServiceStaff]);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/services/subsidies", BOTH),
    ("GET", "/services/subsidies/apprentices", BOTH),
    ("GET", "/services/subsidies/apprentices/new", ENTERPRISE),
    ("POST", "/services/subsidies/apprentices", ENTERPRISE),
    ("GET", "/services/subsidies/apprentices/{id}", BOTH),
    (
        "POST",
        "/services/subsidies/apprentices/{id}/certificate",
        ENTERPRISE,
    ),
    ("GET", "/services/subsidies/claims/new", ENTERPRISE),
    ("POST", "/services/subsidies/claims", ENTERPRISE),
    ("GET", "/services/subsidies/claims/{id}", BOTH),
    ("POST", "/services/subsidies/claims/{id}/decide", STAFF),
    ("GET", "/services/subsidies/payments", STAFF),
    ("GET", "/services/subsidies/payments.xlsx", STAFF),
];
