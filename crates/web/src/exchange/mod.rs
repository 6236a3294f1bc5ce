//! The land-use-right exchange on the web: notices and listings, applications
//! and deposits, the trading desk and live bidding.
//!
//! | module | what |
//! |---|---|
//! | [`desk`] | the engine behind a per-listing writer, grouped durable commits, live updates |
//! | [`applications`] | applying alone or jointly, consent, deposit accounts and slips, "my applications" |
//! | [`bank`] | the bank's signed deposit callback |
//! | [`live`] | the live bidding page: server-sent panel updates, the bidder's controls |
//! | [`officer`] | the officers' view of a listing's applications and deposits; the ineligible list |
//! | [`officer_export`] | the officers' XLSX and CSV exports of a listing's applications and deposits |
//! | [`suspension`] | officers suspend a listing with a reason and resume it with a new schedule |
//! | [`reserve`] | the sealed reserve: officers set it before the lock; its opening is kept for the desk |
//! | [`results`] | results (成交公示, 流拍), the confirmation of sale, deposit refunds, the result export |
//! | [`numbers`] | deposit account numbers and the bidder numbers people see |
//! | [`notices`] | transfer notices: the officer's drafting desk, publication, supplements, termination; public notice pages |
//! | [`listings`] | public listing pages: search, filters, figures, status, countdown |
//! | [`notice_api`] | open data: notices and listings as JSON and CSV |
//! | [`notice_data`] | the stored notice body, the publication check, a listing's public state |
//! | [`notice_import`] | pasted and uploaded tables (TSV, CSV, XLSX) as grids |
//!
//! The rules themselves live in `yiwang_exchange`; this folder only turns
//! requests into engine actions and engine facts into pages.

pub mod applications;
pub mod bank;
pub mod desk;
pub mod listings;
pub mod live;
pub mod notice_api;
pub mod notice_data;
pub mod notice_import;
pub mod notices;
pub mod numbers;
pub mod officer;
pub mod officer_export;
pub mod reserve;
pub mod results;
pub mod suspension;

use crate::auth::access::{Access, Routes, EXCHANGE_STAFF};
use yiwang_core::Role;

/// Registered enterprises.
const BIDDERS: &[Role] = &[Role::Bidder];

/// The exchange's routes.
// Each part adds its routes on a line of its own.
#[allow(clippy::let_and_return)]
pub fn routes(r: Routes) -> Routes {
    let r = notices::routes(r);
    let r = listings::routes(r);
    let r = notice_api::routes(r);
    let r = taking_part(r);
    let r = officers_secrets(r);
    let r = officers_exports(r);
    let r = results::routes(r);
    r
}

/// Applications, deposits and the officers' view of them.
fn taking_part(r: Routes) -> Routes {
    use Access::{Public, Roles};
    r.get(
        "/exchange/listings/{id}/apply",
        Roles(BIDDERS),
        applications::apply_page,
    )
    .post(
        "/exchange/listings/{id}/apply",
        Roles(BIDDERS),
        applications::apply_submit,
    )
    .get("/exchange/my", Roles(BIDDERS), applications::my_list)
    .get("/exchange/my/{id}", Roles(BIDDERS), applications::my_one)
    .post(
        "/exchange/my/{id}/consent",
        Roles(BIDDERS),
        applications::consent,
    )
    .get("/exchange/my/{id}/slip", Roles(BIDDERS), applications::slip)
    .get(
        "/exchange/admin/listings/{id}",
        Roles(EXCHANGE_STAFF),
        officer::listing_desk,
    )
    .get(
        "/exchange/admin/ineligible",
        Roles(EXCHANGE_STAFF),
        officer::ineligible,
    )
    .post(
        "/exchange/admin/ineligible",
        Roles(EXCHANGE_STAFF),
        officer::add_ineligible,
    )
    .post(
        "/exchange/admin/ineligible/{id}/lift",
        Roles(EXCHANGE_STAFF),
        officer::lift_ineligible,
    )
    .get("/exchange/listings/{id}/live", Public, live::page)
    .get(
        "/exchange/listings/{id}/live/panel",
        Public,
        live::panel_only,
    )
    .get("/exchange/listings/{id}/live/events", Public, live::events)
    .get(
        "/exchange/listings/{id}/live/desk",
        Roles(BIDDERS),
        live::desk_only,
    )
    .post(
        "/exchange/listings/{id}/live/act",
        Roles(BIDDERS),
        live::act,
    )
    // The bank authenticates by its signature, not a session.
    .post("/api/v1/bank/deposits", Public, bank::deposit_callback)
}

/// The officers' acts on a listing: the sealed reserve, suspension.
fn officers_secrets(r: Routes) -> Routes {
    use Access::Roles;
    r.post(
        "/exchange/admin/listings/{id}/reserve",
        Roles(EXCHANGE_STAFF),
        reserve::set_reserve,
    )
    .post(
        "/exchange/admin/listings/{id}/suspend",
        Roles(EXCHANGE_STAFF),
        suspension::suspend,
    )
    .post(
        "/exchange/admin/listings/{id}/resume",
        Roles(EXCHANGE_STAFF),
        suspension::resume,
    )
}

/// The officers' exports of a listing.
fn officers_exports(r: Routes) -> Routes {
    use Access::Roles;
    r.get(
        "/exchange/admin/listings/{id}/applications.csv",
        Roles(EXCHANGE_STAFF),
        officer_export::applications_csv,
    )
    .get(
        "/exchange/admin/listings/{id}/applications.xlsx",
        Roles(EXCHANGE_STAFF),
        officer_export::applications_xlsx,
    )
    .get(
        "/exchange/admin/listings/{id}/deposits.csv",
        Roles(EXCHANGE_STAFF),
        officer_export::deposits_csv,
    )
    .get(
        "/exchange/admin/listings/{id}/deposits.xlsx",
        Roles(EXCHANGE_STAFF),
        officer_export::deposits_xlsx,
    )
}
