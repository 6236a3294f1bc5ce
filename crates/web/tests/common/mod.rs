//! The harness for driving the whole application in-process.
//!
//! `YIWANG_TEST_BACKEND=postgres` runs every test against a fresh PostgreSQL
//! database; the default is a fresh SQLite file. The clock is a
//! [`ManualClock`] the test moves by hand.
#![allow(dead_code)]

pub mod exchange;
pub mod grid;

use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use axum::Router;
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;
use yiwang_core::{CreditCode, ManualClock, Role, Timestamp};
use yiwang_store::{AuditCtx, NewEnterprise, NewSession, NewUser, Store, User};
use yiwang_web::auth::session::{new_token, token_hash};
use yiwang_web::{AppState, Config};

/// The CSRF token every test request carries (cookie and form field).
pub const CSRF: &str = "test-csrf-token";
/// The password of every account the harness makes.
pub const PASSWORD: &str = "Passw0rd2026";

/// Keeps the database alive while the test runs.
pub enum Guard {
    Sqlite(yiwang_store_sqlite::testing::TempDir),
    Postgres(Box<yiwang_store_postgres::testing::TestDatabase>),
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: ManualClock,
    pub store: Arc<dyn Store>,
    _guard: Guard,
}

/// A response with its body read.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// The value the response sets for cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub fn test_config() -> Config {
    let mut c = Config::default();
    c.auth.argon2_memory_kib = 64;
    c.auth.argon2_iterations = 1;
    c
}

/// 2026-11-26 10:00:00 in Shanghai.
pub fn start_time() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-26T10:00:00+08:00").unwrap()
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_config(test_config()).await
    }

    pub async fn with_config(config: Config) -> TestApp {
        let (store, guard): (Arc<dyn Store>, Guard) =
            match std::env::var("YIWANG_TEST_BACKEND").as_deref() {
                Ok("postgres") => {
                    let (s, g) = yiwang_store_postgres::testing::fresh().await;
                    (Arc::new(s), Guard::Postgres(Box::new(g)))
                }
                Ok("sqlite") | Err(_) => {
                    let (s, g) = yiwang_store_sqlite::testing::fresh().await;
                    (Arc::new(s), Guard::Sqlite(g))
                }
                Ok(other) => panic!("YIWANG_TEST_BACKEND must be sqlite or postgres, not {other}"),
            };
        let clock = ManualClock::new(start_time());
        let state = AppState::new(store.clone(), config, Arc::new(clock.clone())).unwrap();
        let router = yiwang_web::app(state.clone());
        TestApp {
            state,
            router,
            clock,
            store,
            _guard: guard,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Answer {
        self.send_for_bytes(req).await.0
    }

    /// The answer and its body's exact bytes (for XLSX and other binary
    /// downloads).
    pub async fn send_for_bytes(&self, req: Request<Body>) -> (Answer, Vec<u8>) {
        let resp: Response<Body> = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        let answer = Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        (answer, bytes)
    }

    /// A GET whose body is kept as bytes too.
    pub async fn download(&self, path: &str, session: Option<&str>) -> (Answer, Vec<u8>) {
        self.send_for_bytes(
            Request::get(path)
                .header(header::COOKIE, Self::cookies(session))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    fn cookies(session: Option<&str>) -> String {
        match session {
            Some(s) => format!("yiwang_csrf={CSRF}; yiwang_session={s}"),
            None => format!("yiwang_csrf={CSRF}"),
        }
    }

    pub async fn get(&self, path: &str, session: Option<&str>) -> Answer {
        self.send(
            Request::get(path)
                .header(header::COOKIE, Self::cookies(session))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// Posts a form with the CSRF token filled in.
    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        session: Option<&str>,
    ) -> Answer {
        let mut all: Vec<(&str, &str)> = vec![("_csrf", CSRF)];
        all.extend_from_slice(fields);
        self.post_raw_form(path, &serde_urlencoded::to_string(&all).unwrap(), session)
            .await
    }

    /// Posts a form body exactly as given (no token added).
    pub async fn post_raw_form(&self, path: &str, body: &str, session: Option<&str>) -> Answer {
        self.send(
            Request::post(path)
                .header(header::COOKIE, Self::cookies(session))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
    }

    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: serde_json::Value,
        session: Option<&str>,
    ) -> Answer {
        self.send(
            Request::builder()
                .method(method)
                .uri(path)
                .header(header::COOKIE, Self::cookies(session))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    fn ctx(&self) -> AuditCtx {
        AuditCtx::system("test", self.clock.now_micros())
    }

    /// Makes an account with `role` (an enterprise for bidders) and the
    /// harness password.
    pub async fn user(&self, username: &str, role: Role) -> User {
        let password_hash = self.state.hasher.hash(PASSWORD.to_owned()).await.unwrap();
        let new = NewUser {
            username: username.to_owned(),
            display_name: format!("{username} 名称"),
            role,
            phone: Some("13900000000".to_owned()),
            password_hash,
        };
        if role == Role::Bidder {
            let n = Uuid::now_v7().as_u128() % 1_000_000_000;
            let code = CreditCode::with_check_char(&format!("91320600{n:09}")).unwrap();
            let e = NewEnterprise {
                name: format!("{username} 有限公司"),
                credit_code: code.as_str().to_owned(),
                legal_rep: "张三".into(),
                contact_name: "李四".into(),
                contact_phone: "13900000000".into(),
            };
            self.store
                .register_enterprise(&self.ctx(), e, new)
                .await
                .unwrap()
                .1
        } else if role == Role::Worker {
            self.store.register_worker(&self.ctx(), new).await.unwrap()
        } else {
            self.store.create_staff(&self.ctx(), new).await.unwrap()
        }
    }

    /// A session for `user` made directly in the store; returns the cookie value.
    pub async fn session_for(&self, user: &User) -> String {
        let token = new_token();
        let ctx = AuditCtx {
            actor_id: Some(user.id),
            ..self.ctx()
        };
        self.store
            .login_succeeded(
                &ctx,
                NewSession {
                    id_hash: token_hash(&token),
                    user_id: user.id,
                    expires_at: self.clock.now_micros() + 3_600_000_000,
                    user_agent: None,
                },
            )
            .await
            .unwrap();
        token
    }

    /// Logs in through the login form; returns the session cookie value.
    pub async fn login(&self, username: &str, password: &str) -> Answer {
        self.post_form(
            "/login",
            &[("username", username), ("password", password)],
            None,
        )
        .await
    }
}

/// Micros of a [`ManualClock`].
pub trait NowMicros {
    fn now_micros(&self) -> i64;
}

impl NowMicros for ManualClock {
    fn now_micros(&self) -> i64 {
        use yiwang_core::Clock;
        self.now().micros()
    }
}
