//! Every route, visited as every role and anonymously.
//!
//! `EXPECTED` is the decision for each route, written out here by hand. A
//! route added to the application but not to this table fails the test, and
//! so does a route whose guard answers differently from its decision.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{TestApp, CSRF};
use yiwang_core::Role;

mod access_tables;

use access_tables::Who;

/// Every route's decision: the platform's own, then each system's.
fn expected() -> Vec<(&'static str, &'static str, Who)> {
    access_tables::all()
}

fn allows(who: Who, role: Option<Role>) -> bool {
    match who {
        Who::Anyone => true,
        Who::SignedIn => role.is_some(),
        Who::Only(roles) => role.is_some_and(|r| roles.contains(&r)),
        Who::Signature => false,
    }
}

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{id}", "0190b5e8-1c2d-7a3b-8c4d-5e6f7a8b9c0d")
        .replace("{*path}", "app.css")
}

#[tokio::test]
async fn the_table_lists_every_route_exactly() {
    let app = TestApp::new().await;
    let (_, specs) = yiwang_web::routes(app.state.clone()).into_parts();
    let mut registered: Vec<(String, &str)> = specs
        .iter()
        .map(|s| (s.method.to_string(), s.path))
        .collect();
    registered.sort();
    let mut expected: Vec<(String, &str)> = expected()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p))
        .collect();
    expected.sort();
    assert_eq!(
        registered, expected,
        "the route table in tests/access.rs must list every route: decide who may use a new route there"
    );
}

#[tokio::test]
async fn every_route_answers_every_role_as_decided() {
    let app = TestApp::new().await;
    let mut users = Vec::new();
    for (i, role) in Role::ALL.into_iter().enumerate() {
        users.push((role, app.user(&format!("user{i}"), role).await));
    }
    let mut failures = Vec::new();
    for (method, pattern, who) in expected() {
        let path = concrete(pattern);
        let viewers: Vec<Option<Role>> = std::iter::once(None)
            .chain(Role::ALL.into_iter().map(Some))
            .collect();
        for role in viewers {
            // A fresh session each time: some routes (logout) end the one they are given.
            let cookie = match role {
                Some(r) => {
                    let user = &users.iter().find(|(ur, _)| *ur == r).unwrap().1;
                    format!(
                        "yiwang_csrf={CSRF}; yiwang_session={}",
                        app.session_for(user).await
                    )
                }
                None => format!("yiwang_csrf={CSRF}"),
            };
            let api = path.starts_with("/api/");
            let mut req = Request::builder()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&path)
                .header(header::COOKIE, cookie);
            let body = if method == "GET" {
                Body::empty()
            } else if api {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from("{}")
            } else {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(format!("_csrf={CSRF}"))
            };
            let answer = app.send(req.body(body).unwrap()).await;
            let to_login = answer.status == StatusCode::SEE_OTHER
                && answer.location().is_some_and(|l| l.starts_with("/login"));
            let refused = answer.status == StatusCode::UNAUTHORIZED
                || answer.status == StatusCode::FORBIDDEN
                || to_login;
            let want_allowed = allows(who, role);
            let ok = if who == Who::Signature {
                answer.status == StatusCode::UNAUTHORIZED
            } else if want_allowed {
                !refused
            } else if role.is_none() {
                if api {
                    answer.status == StatusCode::UNAUTHORIZED
                } else {
                    to_login
                }
            } else {
                answer.status == StatusCode::FORBIDDEN
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {:?}: got {} (expected {})",
                    role.map(|r| r.code()),
                    answer.status,
                    if want_allowed { "allowed" } else { "refused" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "access mismatches:\n{}",
        failures.join("\n")
    );
}
