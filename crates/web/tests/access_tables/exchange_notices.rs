//! Transfer notices and listings: public pages and open data for anyone,
//! the drafting desk for exchange officers only.

use super::Who;
use yiwang_core::Role;

const OFFICERS: &[Role] = &[Role::ExchangeOfficer];
const OFFICER: Who = Who::Only(OFFICERS);

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/exchange/notices", Who::Anyone),
    ("GET", "/exchange/notices/{id}", Who::Anyone),
    ("GET", "/exchange/notices/{id}/print", Who::Anyone),
    ("GET", "/exchange/notices/{id}/notice.txt", Who::Anyone),
    ("GET", "/exchange/listings", Who::Anyone),
    ("GET", "/exchange/listings/{id}", Who::Anyone),
    ("GET", "/api/v1/notices", Who::Anyone),
    ("GET", "/api/v1/notices.csv", Who::Anyone),
    ("GET", "/api/v1/listings", Who::Anyone),
    ("GET", "/api/v1/listings.csv", Who::Anyone),
    ("GET", "/exchange/officer/notices", OFFICER),
    ("GET", "/exchange/officer/notices/new", OFFICER),
    ("POST", "/exchange/officer/notices", OFFICER),
    ("GET", "/exchange/officer/notices/{id}", OFFICER),
    ("POST", "/exchange/officer/notices/{id}", OFFICER),
    ("POST", "/exchange/officer/notices/{id}/import", OFFICER),
    ("GET", "/exchange/officer/notices/{id}/parcel", OFFICER),
    ("POST", "/exchange/officer/notices/{id}/parcel", OFFICER),
    ("GET", "/exchange/officer/notices/{id}/preview", OFFICER),
    ("POST", "/exchange/officer/notices/{id}/publish", OFFICER),
    (
        "POST",
        "/exchange/officer/notices/{id}/supplements",
        OFFICER,
    ),
    ("POST", "/exchange/officer/notices/{id}/terminate", OFFICER),
];
