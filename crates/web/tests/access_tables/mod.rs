//! The access decisions the route-table test expects, one file per part of
//! Yiwang so that each system lists its own routes.

use yiwang_core::Role;

mod exchange_notices;
mod exchange_results;
mod exchange_taking_part;
mod grid;
mod grid_duties;
mod grid_events;
mod grid_kpi;
mod grid_quality;
mod residents;
mod services_contracts;
mod services_lectures;
mod services_mediation;
mod services_requests;
mod services_stats;
mod services_subsidies;
mod services_visits;

/// Who may use a route, as the test expects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Anyone,
    SignedIn,
    Only(&'static [Role]),
    /// No session grants it: the caller proves itself with a signature
    /// (the bank), so every viewer without one is answered 401.
    Signature,
}

pub const ADMIN: &[Role] = &[Role::Admin];

/// The platform's own routes.
pub const PLATFORM: &[(&str, &str, Who)] = &[
    ("GET", "/", Who::Anyone),
    ("GET", "/exchange", Who::Anyone),
    ("GET", "/grid", Who::Anyone),
    ("GET", "/services", Who::Anyone),
    ("GET", "/login", Who::Anyone),
    ("POST", "/login", Who::Anyone),
    ("POST", "/logout", Who::SignedIn),
    ("GET", "/register", Who::Anyone),
    ("POST", "/register", Who::Anyone),
    ("GET", "/account", Who::SignedIn),
    ("POST", "/account/password", Who::SignedIn),
    ("GET", "/admin/users", Who::Only(ADMIN)),
    ("GET", "/admin/users/new", Who::Only(ADMIN)),
    ("POST", "/admin/users", Who::Only(ADMIN)),
    ("POST", "/admin/users/{id}/active", Who::Only(ADMIN)),
    ("GET", "/admin/audit", Who::Only(ADMIN)),
    ("GET", "/admin/audit.csv", Who::Only(ADMIN)),
    ("GET", "/api/v1/openapi.json", Who::Anyone),
    ("POST", "/api/v1/enterprises", Who::Anyone),
    ("POST", "/api/v1/session", Who::Anyone),
    ("DELETE", "/api/v1/session", Who::SignedIn),
    ("GET", "/api/v1/me", Who::SignedIn),
    ("GET", "/api/v1/admin/audit", Who::Only(ADMIN)),
    ("GET", "/api/v1/admin/users", Who::Only(ADMIN)),
    ("GET", "/healthz", Who::Anyone),
    ("GET", "/readyz", Who::Anyone),
    ("GET", "/metrics", Who::Anyone),
    ("GET", "/static/{*path}", Who::Anyone),
];

/// Every table together.
pub fn all() -> Vec<(&'static str, &'static str, Who)> {
    let mut all = PLATFORM.to_vec();
    all.extend_from_slice(exchange_notices::ROUTES);
    all.extend_from_slice(exchange_taking_part::ROUTES);
    all.extend_from_slice(exchange_results::ROUTES);
    all.extend_from_slice(grid::ROUTES);
    all.extend_from_slice(grid_events::ROUTES);
    all.extend_from_slice(residents::ROUTES);
    all.extend_from_slice(grid_kpi::ROUTES);
    all.extend_from_slice(grid_quality::ROUTES);
    all.extend_from_slice(grid_duties::ROUTES);
    all.extend_from_slice(services_requests::ROUTES);
    all.extend_from_slice(services_subsidies::ROUTES);
    all.extend_from_slice(services_contracts::ROUTES);
    all.extend_from_slice(services_stats::ROUTES);
    all.extend_from_slice(services_visits::ROUTES);
    all.extend_from_slice(services_mediation::ROUTES);
    all.extend_from_slice(services_lectures::ROUTES);
    all
}
