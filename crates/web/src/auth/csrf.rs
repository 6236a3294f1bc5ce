//! Cross-site request forgery protection.
//!
//! Double-submit token: every visitor gets a random token in a `SameSite=Strict`
//! HttpOnly cookie, and every page renders it into its forms as `_csrf`. A
//! state-changing request must carry the same token, in the form body, in the
//! `X-CSRF-Token` header (htmx sends it), or, for file uploads, in the query
//! string. JSON requests need no token: a browser cannot send
//! `application/json` across sites without a CORS preflight, which Yiwang never
//! grants. On top of that, a request whose `Origin` names another site is
//! refused outright. Machine callbacks with their own signatures (the bank)
//! and Open311 clients, which post with an API key, are exempt by path.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::session::{cookie, new_token, set_cookie};
use crate::error::{ApiError, AppError, PageError};
use crate::AppState;

/// The CSRF cookie's name.
pub const CSRF_COOKIE: &str = "yiwang_csrf";
/// The form field that carries the token.
pub const CSRF_FIELD: &str = "_csrf";
/// The header that carries the token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Path prefixes of machine-to-machine callbacks that authenticate with
/// their own signatures instead.
pub const EXEMPT_PREFIXES: &[&str] = &["/api/v1/bank/", "/open311/v2/"];

/// The request's CSRF token, for rendering into forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Largest form body read for the token (uploads carry it in the query).
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn deny(path: &str) -> Response {
    if path.starts_with("/api/") {
        ApiError(AppError::Csrf).into_response()
    } else {
        PageError(AppError::Csrf).into_response()
    }
}

/// Whether `origin` is this site: the configured public URL or the Host the
/// request was sent to.
fn same_origin(origin: &str, public_url: &str, host: Option<&str>) -> bool {
    let origin = origin.trim_end_matches('/');
    if origin == public_url.trim_end_matches('/') {
        return true;
    }
    let Some(host) = host else { return false };
    origin
        .split_once("://")
        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Middleware: issues the token and checks it on state-changing requests.
pub async fn protect(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE).map(str::to_owned);
    let path = req.uri().path().to_owned();
    let mut req = req;

    if is_unsafe(req.method()) && !EXEMPT_PREFIXES.iter().any(|p| path.starts_with(p)) {
        let headers = req.headers();
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            if !same_origin(origin, &app.config.public_url, host) {
                tracing::warn!(%origin, %path, "cross-origin state change refused");
                return deny(&path);
            }
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !content_type.starts_with("application/json") {
            let Some(expected) = existing.as_deref() else {
                return deny(&path);
            };
            let mut supplied = headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .or_else(|| {
                    req.uri()
                        .query()
                        .and_then(|q| form_field(q.as_bytes(), CSRF_FIELD))
                });
            if supplied.is_none() && content_type.starts_with("application/x-www-form-urlencoded") {
                let (parts, body) = req.into_parts();
                let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
                    return PageError(AppError::BadRequest("表单过大".into())).into_response();
                };
                supplied = form_field(&bytes, CSRF_FIELD);
                req = Request::from_parts(parts, Body::from(bytes));
            }
            if !supplied.is_some_and(|s| constant_time_eq(&s, expected)) {
                return deny(&path);
            }
        }
    }

    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => (new_token(), true),
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(
                CSRF_COOKIE,
                &token,
                12 * 3600,
                app.config.auth.secure_cookies,
                "Strict",
            ),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_matching() {
        assert!(same_origin(
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            None
        ));
        assert!(same_origin(
            "https://yiwang.example",
            "http://x",
            Some("yiwang.example")
        ));
        assert!(!same_origin(
            "https://evil.example",
            "http://127.0.0.1:8080",
            Some("127.0.0.1:8080")
        ));
        assert!(!same_origin(
            "null",
            "http://127.0.0.1:8080",
            Some("127.0.0.1:8080")
        ));
    }

    #[test]
    fn reads_token_from_form() {
        assert_eq!(
            form_field(b"a=1&_csrf=abc%2Bd&b=2", CSRF_FIELD).as_deref(),
            Some("abc+d")
        );
        assert_eq!(form_field(b"a=1", CSRF_FIELD), None);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
