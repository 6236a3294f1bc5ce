//! Server-side sessions.
//!
//! The browser holds a random 256-bit token in an HttpOnly cookie; the
//! database holds only its SHA-256, so a copy of the database lets no one log
//! in. A session ends after `session_idle_minutes` without a request or
//! `session_max_hours` after login, whichever is first; its expiry slides
//! forward at most once a minute to keep writes rare.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use yiwang_core::Role;
use yiwang_store::{AuditCtx, User};

use crate::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "yiwang_session";

/// The signed-in account behind a request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    /// SHA-256 of the session token, as stored.
    pub session_hash: String,
}

impl CurrentUser {
    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// The client's address as far as the server can tell.
#[derive(Debug, Clone, Default)]
pub struct ClientAddr(pub Option<String>);

/// A fresh random token, URL-safe base64 of 32 bytes.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The value of cookie `name` in the request, if any.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value. `max_age_s` of 0 deletes the cookie.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_s: u64,
    secure: bool,
    same_site: &str,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite={same_site}{secure}"
    ))
    .expect("cookie values are ASCII")
}

/// Works out the client address: the peer, or the first `X-Forwarded-For`
/// entry when the configuration says a trusted proxy sets it.
fn client_addr(req: &Request, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for {
        if let Some(v) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            let v = v.trim();
            if !v.is_empty() {
                return Some(v.to_owned());
            }
        }
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| ci.0.ip().to_string())
}

/// Middleware: finds the request's session and user and stores a
/// [`crate::auth::Viewer`] and [`ClientAddr`] in the request extensions.
pub async fn load_viewer(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let addr = ClientAddr(client_addr(&req, app.config.trust_forwarded_for));
    let now = app.clock.now().micros();
    let mut viewer = None;
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        let hash = token_hash(token);
        match app.store.session(&hash, now).await {
            Ok(Some((session, user))) => {
                let auth = &app.config.auth;
                let idle_end = now + i64::from(auth.session_idle_minutes) * 60_000_000;
                let hard_end =
                    session.created_at + i64::from(auth.session_max_hours) * 3_600_000_000;
                if now - session.last_seen_at >= 60_000_000 {
                    if let Err(e) = app
                        .store
                        .touch_session(&hash, now, idle_end.min(hard_end))
                        .await
                    {
                        tracing::warn!(error = %e, "could not extend session");
                    }
                }
                viewer = Some(CurrentUser {
                    user,
                    session_hash: hash,
                });
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "session lookup failed"),
        }
    }
    req.extensions_mut().insert(crate::auth::Viewer(viewer));
    req.extensions_mut().insert(addr);
    next.run(req).await
}

impl AppState {
    /// The audit context for an action by `viewer` from `addr`, now.
    pub fn audit_ctx(&self, viewer: &crate::auth::Viewer, addr: &ClientAddr) -> AuditCtx {
        AuditCtx {
            actor_id: viewer.0.as_ref().map(|u| u.user.id),
            actor_name: viewer
                .0
                .as_ref()
                .map(|u| u.user.username.clone())
                .unwrap_or_else(|| "anonymous".to_owned()),
            client_addr: addr.0.clone(),
            at: self.clock.now().micros(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn finds_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; yiwang_session=tok; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
