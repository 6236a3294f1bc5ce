//! Enterprise and worker services on the web (企业与职工服务).
//!
//! | module | what |
//! |---|---|
//! | [`requests`] | enterprise requests (政企通 诉求): submit, route to departments, answer, rate; the matching board, the escalation list, the departments' indicators |
//! | [`subsidies`] | apprenticeship subsidies (新型学徒制补贴): apprentices, claims, review per line, the payment list (XLSX) |
//! | [`contracts`] | collective contracts (集体合同): the register, renewal reminders, the coverage report (XLSX) |
//! | [`mediation`] | online labour mediation (不见面维权): apply, accept or refuse, messages, documents and meetings, the outcome, the statistics (XLSX) |
//!
//! The rules live in `yiwang_services`; this folder turns requests into
//! store calls and rows into pages.

pub mod contracts;
pub mod mediation;
pub mod requests;
pub mod subsidies;

use crate::auth::access::{Access, Routes};

/// The services' routes.
pub fn routes(r: Routes) -> Routes {
    mediation::routes(contracts_routes(subsidies_routes(requests::routes(r))))
}

/// The collective contracts' routes ([`contracts`]).
fn contracts_routes(r: Routes) -> Routes {
    use contracts::CONTRACT_STAFF;
    use Access::Roles;
    r.get(
        "/services/contracts",
        Roles(CONTRACT_STAFF),
        contracts::register,
    )
    .get(
        "/services/contracts/new",
        Roles(CONTRACT_STAFF),
        contracts::new_contract,
    )
    .post(
        "/services/contracts",
        Roles(CONTRACT_STAFF),
        contracts::create,
    )
    .get(
        "/services/contracts/renewals",
        Roles(CONTRACT_STAFF),
        contracts::renewals,
    )
    .get(
        "/services/contracts/coverage",
        Roles(CONTRACT_STAFF),
        contracts::coverage_page,
    )
    .get(
        "/services/contracts/coverage.xlsx",
        Roles(CONTRACT_STAFF),
        contracts::coverage_xlsx,
    )
    .get(
        "/services/contracts/{id}",
        Roles(CONTRACT_STAFF),
        contracts::show,
    )
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
