//! Applications, deposits and the officers' view of them.

use super::Who;
use yiwang_core::Role;

const BIDDERS: &[Role] = &[Role::Bidder];
const OFFICERS: &[Role] = &[Role::ExchangeOfficer];

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/exchange/listings/{id}/apply", Who::Only(BIDDERS)),
    ("POST", "/exchange/listings/{id}/apply", Who::Only(BIDDERS)),
    ("GET", "/exchange/my", Who::Only(BIDDERS)),
    ("GET", "/exchange/my/{id}", Who::Only(BIDDERS)),
    ("POST", "/exchange/my/{id}/consent", Who::Only(BIDDERS)),
    ("GET", "/exchange/my/{id}/slip", Who::Only(BIDDERS)),
    ("GET", "/exchange/admin/listings/{id}", Who::Only(OFFICERS)),
    (
        "POST",
        "/exchange/admin/listings/{id}/reserve",
        Who::Only(OFFICERS),
    ),
    (
        "POST",
        "/exchange/admin/listings/{id}/suspend",
        Who::Only(OFFICERS),
    ),
    (
        "POST",
        "/exchange/admin/listings/{id}/resume",
        Who::Only(OFFICERS),
    ),
    (
        "GET",
        "/exchange/admin/listings/{id}/applications.csv",
        Who::Only(OFFICERS),
    ),
    (
        "GET",
        "/exchange/admin/listings/{id}/applications.xlsx",
        Who::Only(OFFICERS),
    ),
    (
        "GET",
        "/exchange/admin/listings/{id}/deposits.csv",
        Who::Only(OFFICERS),
    ),
    (
        "GET",
        "/exchange/admin/listings/{id}/deposits.xlsx",
        Who::Only(OFFICERS),
    ),
    ("GET", "/exchange/admin/ineligible", Who::Only(OFFICERS)),
    ("POST", "/exchange/admin/ineligible", Who::Only(OFFICERS)),
    (
        "POST",
        "/exchange/admin/ineligible/{id}/lift",
        Who::Only(OFFICERS),
    ),
    ("GET", "/exchange/listings/{id}/live", Who::Anyone),
    ("GET", "/exchange/listings/{id}/live/panel", Who::Anyone),
    ("GET", "/exchange/listings/{id}/live/events", Who::Anyone),
    (
        "GET",
        "/exchange/listings/{id}/live/desk",
        Who::Only(BIDDERS),
    ),
    (
        "POST",
        "/exchange/listings/{id}/live/act",
        Who::Only(BIDDERS),
    ),
    // Authenticated by the bank's signature, not by a session.
    ("POST", "/api/v1/bank/deposits", Who::Signature),
];
