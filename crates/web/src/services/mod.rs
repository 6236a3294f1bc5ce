//! Enterprise and worker services on the web (企业与职工服务).
//!
//! | module | what |
//! |---|---|
//! | [`subsidies`] | apprenticeship subsidies (新型学徒制补贴): apprentices, claims, review per line, the payment list (XLSX) |
//!
//! The rules live in `yiwang_services`; this folder turns requests into
//! store calls and rows into pages.

pub mod subsidies;

use crate::auth::access::{Access, Routes};

/// The services' routes.
pub fn routes(r: Routes) -> Routes {
    subsidies_routes(r)
}

/// The apprenticeship subsidies' routes ([`subsidies`]).
fn subsidies_routes(r: Routes) -> Routes {
    use subsidies::{ENTERPRISES, PARTIES, REVIEWERS};
    use Access::Roles;
    r.get("/services/subsidies", Roles(PARTIES), subsidies::claims)
        .get(
            "/services/subsidies/apprentices",
            Roles(PARTIES),
            subsidies::apprentices,
        )
        .get(
            "/services/subsidies/apprentices/new",
            Roles(ENTERPRISES),
            subsidies::new_apprentice,
        )
        .post(
            "/services/subsidies/apprentices",
            Roles(ENTERPRISES),
            subsidies::register_apprentice,
        )
        .get(
            "/services/subsidies/apprentices/{id}",
            Roles(PARTIES),
            subsidies::apprentice,
        )
        .post(
            "/services/subsidies/apprentices/{id}/certificate",
            Roles(ENTERPRISES),
            subsidies::certificate,
        )
        .get(
            "/services/subsidies/claims/new",
            Roles(ENTERPRISES),
            subsidies::new_claim,
        )
        .post(
            "/services/subsidies/claims",
            Roles(ENTERPRISES),
            subsidies::submit_claim,
        )
        .get(
            "/services/subsidies/claims/{id}",
            Roles(PARTIES),
            subsidies::claim,
        )
        .post(
            "/services/subsidies/claims/{id}/decide",
            Roles(REVIEWERS),
            subsidies::decide,
        )
        .get(
            "/services/subsidies/payments",
            Roles(REVIEWERS),
            subsidies::payments,
        )
        .get(
            "/services/subsidies/payments.xlsx",
            Roles(REVIEWERS),
            subsidies::payments_xlsx,
        )
}
