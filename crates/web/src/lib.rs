//! Yiwang's web server.
//!
//! Server-rendered pages in Chinese (askama + htmx), a JSON API under
//! `/api/v1` with its OpenAPI document, and the protections every route
//! shares: sessions, CSRF, rate limits, security headers and the route access
//! table. Folders: [`auth`] (who you are and what you may do), [`pages`]
//! (HTML by system), [`api`] (JSON), [`error`] (the one place errors become
//! answers).
//!
//! Requests pass, outermost first: metrics → security headers → session
//! (who is asking) → CSRF → the route's access guard → the handler.

pub mod api;
pub mod assets;
pub mod auth;
pub mod cases;
pub mod config;
pub mod error;
pub mod exchange;
pub mod extract;
pub mod grid;
pub mod metrics;
pub mod pages;
pub mod services;

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::IntoResponse;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use yiwang_core::Clock;
use yiwang_store::Store;

pub use auth::access::{Access, RouteSpec};
pub use config::Config;

use auth::access::{Routes, ADMIN};
use auth::ratelimit::RateLimiter;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub hasher: auth::password::Hasher,
    pub login_limiter: Arc<RateLimiter>,
    pub metrics: Arc<metrics::Metrics>,
    pub desk: exchange::desk::Desk,
    /// Working days for deadlines (refunds, time limits).
    pub calendar: Arc<yiwang_core::WorkingCalendar>,
    /// Bids per account per second.
    pub bid_limiter: Arc<RateLimiter>,
    pub live_panels: Arc<exchange::live::PanelCache>,
    /// The grids' boundaries, indexed for look-ups (rebuilt when they change).
    pub grid_map: Arc<grid::data::MapCache>,
    /// The grid event workflow and its public form's rate limit.
    pub events: Arc<cases::Events>,
    /// The kinds of enterprise request, their departments and time limits.
    pub requests: Arc<yiwang_services::requests::RequestRules>,
    /// The kinds of labour dispute and the mediation time limit.
    pub mediation: Arc<yiwang_services::mediation::MediationRules>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<AppState> {
        let hasher = auth::password::Hasher::new(
            config.auth.argon2_memory_kib,
            config.auth.argon2_iterations,
        )?;
        let login_limiter = Arc::new(RateLimiter::new(
            config.auth.login_attempts_per_minute,
            60_000_000,
        ));
        let calendar = calendar(&config)?;
        Ok(AppState {
            desk: exchange::desk::Desk::new(store.clone(), clock.clone()),
            events: Arc::new(cases::Events::new(&config.grid_events, calendar.clone())?),
            requests: services::requests::load_rules(&config.services_requests)?,
            mediation: services::mediation::load_rules(&config.services_mediation)?,
            calendar: Arc::new(calendar),
            bid_limiter: Arc::new(RateLimiter::new(5, 1_000_000)),
            live_panels: Arc::default(),
            grid_map: Arc::default(),
            store,
            config: Arc::new(config),
            clock,
            hasher,
            login_limiter,
            metrics: metrics::Metrics::new(),
        })
    }
}

/// The shipped working-day calendar, with the operator's file on top.
fn calendar(config: &Config) -> anyhow::Result<yiwang_core::WorkingCalendar> {
    let shipped = yiwang_core::WorkingCalendar::shipped();
    match &config.calendar_file {
        Some(path) => shipped
            .with_file(path)
            .map_err(|e| anyhow::anyhow!("节假日文件 {path} 有误：{e}")),
        None => Ok(shipped),
    }
}

/// Every route, with who may use it. Adding a route here without an access
/// rule does not compile; the route-table test visits each one as every role.
pub fn routes(state: AppState) -> Routes {
    use Access::*;
    let r = Routes::new(state)
        // Pages
        .get("/", Public, pages::index)
        .get("/exchange", Public, pages::exchange_home)
        .get("/grid", Public, pages::grid_home)
        .get("/services", Public, pages::services_home)
        .get("/login", Public, auth::routes::login_page)
        .post("/login", Public, auth::routes::login_submit)
        .post("/logout", SignedIn, auth::routes::logout_submit)
        .get("/register", Public, auth::routes::register_page)
        .post("/register", Public, auth::routes::register_submit)
        .get("/account", SignedIn, pages::account::show)
        .post(
            "/account/password",
            SignedIn,
            pages::account::change_password,
        )
        .get("/admin/users", Roles(ADMIN), pages::admin::users)
        .get("/admin/users/new", Roles(ADMIN), pages::admin::new_user)
        .post("/admin/users", Roles(ADMIN), pages::admin::create_user)
        .post(
            "/admin/users/{id}/active",
            Roles(ADMIN),
            pages::admin::set_active,
        )
        .get("/admin/audit", Roles(ADMIN), pages::admin::audit)
        .get("/admin/audit.csv", Roles(ADMIN), pages::admin::audit_csv)
        // JSON API
        .get("/api/v1/openapi.json", Public, api::openapi)
        .post("/api/v1/enterprises", Public, auth::routes::api_register)
        .post("/api/v1/session", Public, auth::routes::api_login)
        .delete("/api/v1/session", SignedIn, auth::routes::api_logout)
        .get("/api/v1/me", SignedIn, auth::routes::api_me)
        .get("/api/v1/admin/audit", Roles(ADMIN), pages::admin::api_audit)
        .get("/api/v1/admin/users", Roles(ADMIN), pages::admin::api_users)
        // Operations
        .get("/healthz", Public, healthz)
        .get("/readyz", Public, readyz)
        .get("/metrics", Public, metrics::serve)
        .get("/static/{*path}", Public, assets::serve);
    let r = exchange::routes(r);
    let r = grid::routes(r);
    let r = services::routes(r);
    cases::routes(r)
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    let (router, _) = routes(state.clone()).into_parts();
    let secure = state.config.auth.secure_cookies;
    let mut headers: Vec<(HeaderName, &'static str)> = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(self), geolocation=(self), microphone=()",
        ),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    if secure {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ));
    }
    let mut app = router
        .fallback(pages::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::csrf::protect,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::session::load_viewer,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            8 * 1024 * 1024,
        ));
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app.layer(middleware::from_fn_with_state(
        state.clone(),
        metrics::track,
    ))
    .layer(tower_http::trace::TraceLayer::new_for_http())
    .with_state(state)
}

/// `GET /healthz`: the process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers.
async fn readyz(
    axum::extract::State(app): axum::extract::State<AppState>,
) -> axum::response::Response {
    match app.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Runs the server until `shutdown` resolves, then finishes the requests in
/// flight. Background jobs stop with it.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = tokio::spawn(purge_sessions(state.clone(), stop_rx.clone()));
    let ticker = tokio::spawn(tick_listings(state.clone(), stop_rx.clone()));
    let case_timer = tokio::spawn(tick_cases(state.clone(), stop_rx.clone()));
    // Entries other processes append reach this one's desk and watchers.
    let follower = tokio::spawn({
        let desk = state.desk.clone();
        async move { desk.follow(stop_rx).await }
    });
    let app = app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    let _ = stop_tx.send(true);
    let _ = jobs.await;
    let _ = ticker.await;
    let _ = case_timer.await;
    let _ = follower.await;
    Ok(())
}

/// Statuses of listings whose deadlines can still fall due.
const UNDECIDED: &[&str] = &["upcoming", "open", "timed_round", "follow_on", "suspended"];

/// Every second, commits whatever has fallen due on undecided listings
/// (a listing opening, a timed round starting, a result), so pages and
/// watchers learn of it without waiting for someone to act. The facts are
/// stamped with the instant they fell due, not when this job noticed; on
/// several nodes the log's head check lets only one of them write each.
async fn tick_listings(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                for status in UNDECIDED {
                    let query = yiwang_store::exchange::ListingQuery {
                        status: Some((*status).to_owned()),
                        ..Default::default()
                    };
                    let page = yiwang_store::Page::number(1, yiwang_store::Page::MAX_LIMIT);
                    let listings = match state.store.list_listings(&query, page).await {
                        Ok(found) => found.items,
                        Err(e) => {
                            tracing::warn!(error = %e, "listing ticker could not read listings");
                            continue;
                        }
                    };
                    for listing in listings {
                        if let Err(e) = state.desk.tick(listing.id).await {
                            tracing::warn!(listing = %listing.code, error = %e, "listing ticker failed");
                        }
                    }
                }
            }
            _ = stop.changed() => break,
        }
    }
}

/// Every ten seconds, escalates the grid events whose time limits ran out
/// ([`cases::tick`]); the escalations carry the deadlines' own instants, so
/// the timer's period only delays when pages show them.
async fn tick_cases(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = cases::tick(&state).await {
                    tracing::warn!(error = %e, "case timer failed");
                }
            }
            _ = stop.changed() => break,
        }
    }
}

/// Deletes expired sessions and idempotency keys every ten minutes until
/// told to stop.
async fn purge_sessions(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match state.store.purge_sessions(state.clock.now().micros()).await {
                    Ok(n) if n > 0 => tracing::info!(purged = n, "expired sessions removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "session purge failed"),
                }
                match state.store.purge_requests(state.clock.now().micros()).await {
                    Ok(n) if n > 0 => tracing::info!(purged = n, "expired idempotency keys removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "idempotency key purge failed"),
                }
            }
            _ = stop.changed() => break,
        }
    }
}
