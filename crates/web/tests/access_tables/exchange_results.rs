//! Results of listings: the public result pages and open data, the
//! confirmation of sale, refunds and the result export.

use super::Who;
use yiwang_core::Role;

const OFFICERS: &[Role] = &[Role::ExchangeOfficer];
/// The handler then admits only the winning enterprise among bidders.
const WINNER_OR_OFFICERS: &[Role] = &[Role::Bidder, Role::ExchangeOfficer];

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/exchange/results", Who::Anyone),
    ("GET", "/exchange/listings/{id}/result", Who::Anyone),
    ("GET", "/api/v1/results", Who::Anyone),
    (
        "GET",
        "/exchange/listings/{id}/confirmation",
        Who::Only(WINNER_OR_OFFICERS),
    ),
    (
        "POST",
        "/exchange/admin/listings/{id}/refunds",
        Who::Only(OFFICERS),
    ),
    (
        "GET",
        "/exchange/admin/listings/{id}/result.xlsx",
        Who::Only(OFFICERS),
    ),
];
