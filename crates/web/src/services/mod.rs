//! Enterprise and worker services on the web (企业与职工服务).
//!
//! | module | what |
//! |---|---|
//! | [`requests`] | enterprise requests (政企通 诉求): submit, route to departments, answer, rate; the matching board, the escalation list, the departments' indicators |
//! | [`subsidies`] | apprenticeship subsidies (新型学徒制补贴): apprentices, claims, review per line, the payment list (XLSX) |
//! | [`contracts`] | collective contracts (集体合同): the register, renewal reminders, the coverage report (XLSX) |
//! | [`visits`] | enterprise visits (千企询访): plans, records, findings turned into requests, the year's coverage (XLSX) |
//! | [`cards`] | the service card (工信E通 服务卡) and the enterprise's service page; assigned service staff |
//! | [`stats`] | the year's figures of every service: the dashboard (charts, XLSX) and the open JSON |
//! | [`lectures`] | the lecture hall (工信E通 大讲堂): the public catalogue, courses and lessons, trainees, learning records, certificates, statistics (XLSX) |
//! | [`mediation`] | online labour mediation (不见面维权): apply, accept or refuse, messages, documents and meetings, the outcome, the statistics (XLSX) |
//!
//! The rules live in `yiwang_services`; this folder turns requests into
//! store calls and rows into pages.

pub mod cards;
pub mod contracts;
pub mod lectures;
pub mod mediation;
pub mod requests;
pub mod stats;
pub mod subsidies;
pub mod visits;

use crate::auth::access::{Access, Routes};

/// The services' routes.
pub fn routes(r: Routes) -> Routes {
    stats_routes(lectures_routes(mediation::routes(cards_routes(
        visits_routes(contracts_routes(subsidies_routes(requests::routes(r)))),
    ))))
}

/// The figures' routes ([`stats`]).
fn stats_routes(r: Routes) -> Routes {
    use stats::DASHBOARD_READERS;
    use Access::{Public, Roles};
    r.get(
        "/services/dashboard",
        Roles(DASHBOARD_READERS),
        stats::dashboard,
    )
    .get(
        "/services/dashboard.xlsx",
        Roles(DASHBOARD_READERS),
        stats::dashboard_xlsx,
    )
    .get("/api/v1/services/stats", Public, stats::api_stats)
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

/// The enterprise visits' routes ([`visits`]).
fn visits_routes(r: Routes) -> Routes {
    use visits::{READERS, STAFF};
    use Access::Roles;
    r.get("/services/visits", Roles(READERS), visits::list)
        .get("/services/visits/new", Roles(STAFF), visits::new_form)
        .post("/services/visits", Roles(STAFF), visits::create)
        .get(
            "/services/visits/coverage",
            Roles(READERS),
            visits::coverage,
        )
        .get(
            "/services/visits/coverage.xlsx",
            Roles(READERS),
            visits::coverage_xlsx,
        )
        .get("/services/visits/{id}", Roles(READERS), visits::show)
        .post("/services/visits/{id}/cancel", Roles(STAFF), visits::cancel)
        .get(
            "/services/visits/{id}/record",
            Roles(STAFF),
            visits::record_form,
        )
        .post("/services/visits/{id}/record", Roles(STAFF), visits::record)
        .post(
            "/services/visits/{id}/findings/{finding}/convert",
            Roles(STAFF),
            visits::convert,
        )
}

/// The service cards' and service pages' routes ([`cards`]).
fn cards_routes(r: Routes) -> Routes {
    use cards::{ENTERPRISES, READERS, STAFF, VIEWERS};
    use Access::Roles;
    r.get("/services/enterprises", Roles(READERS), cards::list)
        .get("/services/enterprises/cards", Roles(READERS), cards::cards)
        .get(
            "/services/enterprises/mine",
            Roles(ENTERPRISES),
            cards::mine,
        )
        .get("/services/enterprises/{id}", Roles(VIEWERS), cards::show)
        .get(
            "/services/enterprises/{id}/card",
            Roles(VIEWERS),
            cards::show_card,
        )
        .get(
            "/services/enterprises/{id}/staff",
            Roles(STAFF),
            cards::staff_form,
        )
        .post(
            "/services/enterprises/{id}/staff",
            Roles(STAFF),
            cards::assign_staff,
        )
}

/// The lecture hall's routes ([`lectures`]).
fn lectures_routes(r: Routes) -> Routes {
    use lectures::{ENTERPRISES, MANAGERS};
    use Access::{Public, Roles};
    r.get("/services/lectures", Public, lectures::catalogue)
        .get("/services/lectures/courses/{id}", Public, lectures::course)
        .get(
            "/services/lectures/certificates/{number}",
            Public,
            lectures::check_certificate,
        )
        .get(
            "/services/lectures/manage",
            Roles(MANAGERS),
            lectures::manage,
        )
        .get("/services/lectures/areas", Roles(MANAGERS), lectures::areas)
        .post(
            "/services/lectures/areas",
            Roles(MANAGERS),
            lectures::add_area,
        )
        .post(
            "/services/lectures/areas/{id}",
            Roles(MANAGERS),
            lectures::update_area,
        )
        .get(
            "/services/lectures/courses/new",
            Roles(MANAGERS),
            lectures::new_course,
        )
        .post(
            "/services/lectures/courses",
            Roles(MANAGERS),
            lectures::create_course,
        )
        .get(
            "/services/lectures/courses/{id}/edit",
            Roles(MANAGERS),
            lectures::edit_course,
        )
        .post(
            "/services/lectures/courses/{id}",
            Roles(MANAGERS),
            lectures::update_course,
        )
        .post(
            "/services/lectures/courses/{id}/lessons",
            Roles(MANAGERS),
            lectures::add_lesson,
        )
        .get("/services/lectures/stats", Roles(MANAGERS), lectures::stats)
        .get(
            "/services/lectures/stats.xlsx",
            Roles(MANAGERS),
            lectures::stats_xlsx,
        )
        .get(
            "/services/lectures/trainees",
            Roles(ENTERPRISES),
            lectures::trainees,
        )
        .post(
            "/services/lectures/trainees",
            Roles(ENTERPRISES),
            lectures::register_trainee,
        )
        .get(
            "/services/lectures/trainees/{id}",
            Roles(ENTERPRISES),
            lectures::trainee,
        )
        .post(
            "/services/lectures/trainees/{id}/enrolments",
            Roles(ENTERPRISES),
            lectures::enrol,
        )
        .get(
            "/services/lectures/enrolments",
            Roles(ENTERPRISES),
            lectures::enrolments,
        )
        .get(
            "/services/lectures/enrolments/{id}",
            Roles(ENTERPRISES),
            lectures::enrolment,
        )
        .post(
            "/services/lectures/enrolments/{id}/records",
            Roles(ENTERPRISES),
            lectures::record,
        )
        .get(
            "/services/lectures/enrolments/{id}/certificate",
            Roles(ENTERPRISES),
            lectures::print_certificate,
        )
}
