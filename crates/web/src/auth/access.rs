//! Who may use which route.
//!
//! Routes are added only through [`Routes`], which requires an [`Access`] for
//! each one and wraps the handler in a guard that enforces it. The registry of
//! every route and its access is kept, so a test can visit every route as
//! every role and a route whose roles were never decided cannot exist.

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use yiwang_core::Role;

use super::session::CurrentUser;
use crate::error::{ApiError, AppError, PageError};
use crate::AppState;

/// The signed-in user, if any. Always present in request extensions.
#[derive(Debug, Clone, Default)]
pub struct Viewer(pub Option<CurrentUser>);

impl Viewer {
    pub fn user(&self) -> Option<&CurrentUser> {
        self.0.as_ref()
    }

    pub fn role(&self) -> Option<Role> {
        self.0.as_ref().map(|u| u.user.role)
    }

    /// The signed-in user, or `Unauthenticated`.
    pub fn require(&self) -> Result<&CurrentUser, AppError> {
        self.0.as_ref().ok_or(AppError::Unauthenticated)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    SignedIn,
    /// Signed-in accounts holding one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a viewer with `role` (None: anonymous) may use the route.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::SignedIn, r) => r.is_some(),
            (Access::Roles(roles), Some(r)) => roles.contains(&r),
            (Access::Roles(_), None) => false,
        }
    }
}

/// One registered route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

/// A router that records every route with its access rule.
#[derive(Debug)]
pub struct Routes {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
    state: AppState,
}

impl Routes {
    pub fn new(state: AppState) -> Routes {
        Routes {
            router: Router::new(),
            specs: Vec::new(),
            state,
        }
    }

    /// Adds `handler` for `method` on `path`, guarded by `access`.
    pub fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("standard method");
        let guard = middleware::from_fn_with_state((self.state.clone(), access), guard);
        self.router = self
            .router
            .route(path, on(filter, handler).route_layer(guard));
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Routes {
        self.add(Method::GET, path, access, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Routes {
        self.add(Method::POST, path, access, h)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        h: H,
    ) -> Routes {
        self.add(Method::DELETE, path, access, h)
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteSpec>) {
        (self.router, self.specs)
    }
}

/// Enforces a route's [`Access`]. Anonymous visitors of a page are sent to
/// the login page and come back afterwards; API clients get 401; a signed-in
/// user without the role gets 403.
async fn guard(
    State((_, access)): State<(AppState, Access)>,
    req: Request,
    next: Next,
) -> Response {
    let viewer = req
        .extensions()
        .get::<Viewer>()
        .cloned()
        .unwrap_or_default();
    if access.allows(viewer.role()) {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let api = path.starts_with("/api/");
    match (viewer.0.is_some(), api) {
        (false, true) => ApiError(AppError::Unauthenticated).into_response(),
        (false, false) => {
            let next_url = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            let target = format!("/login?next={}", urlencode(next_url));
            (StatusCode::SEE_OTHER, [(header::LOCATION, target)]).into_response()
        }
        (true, true) => ApiError(AppError::Forbidden).into_response(),
        (true, false) => PageError(AppError::Forbidden).into_response(),
    }
}

/// Percent-encodes a value for a query string.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|q| q[2..].to_owned())
        .unwrap_or_default()
}

/// Staff who run the exchange.
pub const EXCHANGE_STAFF: &[Role] = &[Role::ExchangeOfficer];
/// Administrators only.
pub const ADMIN: &[Role] = &[Role::Admin];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_rules() {
        assert!(Access::Public.allows(None));
        assert!(!Access::SignedIn.allows(None));
        assert!(Access::SignedIn.allows(Some(Role::GridWorker)));
        assert!(Access::Roles(ADMIN).allows(Some(Role::Admin)));
        assert!(!Access::Roles(ADMIN).allows(Some(Role::ExchangeOfficer)));
        assert!(!Access::Roles(ADMIN).allows(None));
        assert_eq!(urlencode("/a?b=c&d"), "%2Fa%3Fb%3Dc%26d");
    }
}
