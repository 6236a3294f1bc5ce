//! Registration, login, lock-out, rate limits, CSRF, sessions, password
//! change and administration, through the real router.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{NowMicros, TestApp, CSRF, PASSWORD};
use yiwang_core::{CreditCode, Role};
use yiwang_store::audit::ChainVerifier;
use yiwang_store::{AuditQuery, Page};

fn valid_code(n: u32) -> String {
    CreditCode::with_check_char(&format!("91320600MA1W{n:05}"))
        .unwrap()
        .as_str()
        .to_owned()
}

fn registration(code: &str, username: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "南通测试置业有限公司".into()),
        ("credit_code", code.into()),
        ("legal_rep", "张海".into()),
        ("contact_name", "李明".into()),
        ("contact_phone", "13912345678".into()),
        ("username", username.into()),
        ("password", "Secret2026".into()),
        ("password2", "Secret2026".into()),
    ]
}

async fn register(app: &TestApp, fields: &[(&'static str, String)]) -> common::Answer {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form("/register", &f, None).await
}

#[tokio::test]
async fn enterprise_registers_and_is_signed_in() {
    let app = TestApp::new().await;
    let code = valid_code(1);
    let r = register(&app, &registration(&code, "jianghai")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), Some("/account?ok=registered"));
    let session = r.set_cookie("yiwang_session").expect("signed in");
    let page = app.get("/account?ok=registered", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("南通测试置业有限公司"));
    assert!(page.body.contains(&code));
    assert!(page.body.contains("注册成功"));
    let me = app.get("/api/v1/me", Some(&session)).await.json();
    assert_eq!(me["role"], "bidder");
    // Audited, with the registration and the login.
    let audit = app
        .store
        .audit_query(&AuditQuery::default(), Page::number(1, 50))
        .await
        .unwrap();
    let actions: Vec<&str> = audit.items.iter().map(|r| r.action.as_str()).collect();
    assert!(
        actions.contains(&"account.register_enterprise"),
        "{actions:?}"
    );
    assert!(actions.contains(&"session.login"), "{actions:?}");
}

#[tokio::test]
async fn bad_registration_names_every_field_and_keeps_input() {
    let app = TestApp::new().await;
    let mut code = valid_code(2);
    let last = code.pop().unwrap();
    code.push(if last == '0' { '1' } else { '0' });
    let mut fields = registration(&code, "x");
    fields[4].1 = "12345".into();
    fields[7].1 = "Different1".into();
    let r = register(&app, &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("统一社会信用代码有误"), "{}", r.body);
    assert!(r.body.contains("data-field=\"contact_phone\""));
    assert!(r.body.contains("data-field=\"username\""));
    // What the user typed is still there, except the password.
    assert!(r.body.contains("value=\"南通测试置业有限公司\""));
    assert!(!r.body.contains("Secret2026"));
    assert!(r.set_cookie("yiwang_session").is_none());
    assert_eq!(app.store.count_users().await.unwrap(), 0);

    // The API answers with a stable code and one entry per field.
    let api = app
        .json(
            Method::POST,
            "/api/v1/enterprises",
            serde_json::json!({"name": "", "credit_code": "123", "legal_rep": "张", "contact_name": "李",
                "contact_phone": "13912345678", "username": "okname", "password": "Secret2026", "password2": "Secret2026"}),
            None,
        )
        .await;
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = api.json();
    assert_eq!(body["error"]["code"], "invalid_input");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "credit_code"]);
}

#[tokio::test]
async fn duplicate_credit_code_and_username_are_refused() {
    let app = TestApp::new().await;
    let code = valid_code(3);
    assert_eq!(
        register(&app, &registration(&code, "first")).await.status,
        StatusCode::SEE_OTHER
    );
    let again = register(&app, &registration(&code, "second")).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again.body.contains("该统一社会信用代码已注册"),
        "{}",
        again.body
    );
    let other = register(&app, &registration(&valid_code(4), "first")).await;
    assert!(other.body.contains("该用户名已被使用"), "{}", other.body);
    assert_eq!(app.store.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn login_logout_and_wrong_password() {
    let app = TestApp::new().await;
    app.user("officer1", Role::ExchangeOfficer).await;
    let bad = app.login("officer1", "wrong-password1").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("用户名或密码错误"));
    let unknown = app.login("nobody", PASSWORD).await;
    assert!(unknown.body.contains("用户名或密码错误"));

    let ok = app.login("officer1", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let session = ok.set_cookie("yiwang_session").unwrap();
    let cookie_line = ok
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("yiwang_session="))
        .unwrap();
    assert!(cookie_line.contains("HttpOnly") && cookie_line.contains("SameSite=Lax"));
    assert_eq!(
        app.get("/account", Some(&session)).await.status,
        StatusCode::OK
    );

    let out = app.post_form("/logout", &[], Some(&session)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let after = app.get("/account", Some(&session)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location(), Some("/login?next=%2Faccount"));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = TestApp::new().await;
    app.user("worker1", Role::GridWorker).await;
    for _ in 0..4 {
        assert!(app
            .login("worker1", "bad-password1")
            .await
            .body
            .contains("用户名或密码错误"));
    }
    let fifth = app.login("worker1", "bad-password1").await;
    assert!(fifth.body.contains("账户已临时锁定"), "{}", fifth.body);
    // Even the right password is refused while locked.
    let locked = app.login("worker1", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(locked.body.contains("临时锁定"));
    app.clock.advance_secs(15 * 60 - 1);
    assert!(app
        .login("worker1", PASSWORD)
        .await
        .body
        .contains("临时锁定"));
    app.clock.advance_secs(1);
    assert_eq!(
        app.login("worker1", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn login_attempts_are_rate_limited_per_address() {
    let mut config = common::test_config();
    config.auth.login_attempts_per_minute = 3;
    let app = TestApp::with_config(config).await;
    for _ in 0..3 {
        assert_eq!(
            app.login("ghost", "whatever1").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let limited = app.login("ghost", "whatever1").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.body.contains("请求过于频繁"));
    assert!(limited.headers.get(header::RETRY_AFTER).is_some());
    app.clock.advance_secs(60);
    assert_eq!(
        app.login("ghost", "whatever1").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn forms_without_the_csrf_token_or_from_elsewhere_are_refused() {
    let app = TestApp::new().await;
    app.user("officer2", Role::ExchangeOfficer).await;
    let missing = app
        .post_raw_form(
            "/login",
            &format!("username=officer2&password={PASSWORD}"),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.body.contains("表单已过期"));
    let wrong = app
        .post_raw_form(
            "/login",
            &format!("_csrf=other&username=officer2&password={PASSWORD}"),
            None,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let cross = app
        .send(
            Request::post("/login")
                .header(header::COOKIE, format!("yiwang_csrf={CSRF}"))
                .header(header::ORIGIN, "https://evil.example")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "_csrf={CSRF}&username=officer2&password={PASSWORD}"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // The header form of the token works (htmx).
    let header_token = app
        .send(
            Request::post("/login")
                .header(header::COOKIE, format!("yiwang_csrf={CSRF}"))
                .header("x-csrf-token", CSRF)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("username=officer2&password={PASSWORD}")))
                .unwrap(),
        )
        .await;
    assert_eq!(header_token.status, StatusCode::SEE_OTHER);
    // A first visit gets a token cookie and the form carries it.
    let page = app
        .send(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let token = page.set_cookie("yiwang_csrf").expect("token issued");
    assert!(page
        .body
        .contains(&format!("name=\"_csrf\" value=\"{token}\"")));
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = TestApp::new().await;
    let r = app.get("/", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = r
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(
        r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff"
    );
    assert_eq!(r.headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    assert!(r.headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    assert!(
        r.body.contains("土地交易")
            && r.body.contains("网格服务")
            && r.body.contains("企业与职工服务")
    );
    assert!(r.body.contains("width=device-width"));
}

#[tokio::test]
async fn password_change_ends_other_sessions_and_checks_the_old_one() {
    let app = TestApp::new().await;
    app.user("leader1", Role::GridLeader).await;
    let a = app
        .login("leader1", PASSWORD)
        .await
        .set_cookie("yiwang_session")
        .unwrap();
    let b = app
        .login("leader1", PASSWORD)
        .await
        .set_cookie("yiwang_session")
        .unwrap();
    let wrong = app
        .post_form(
            "/account/password",
            &[
                ("current", "nope12345"),
                ("password", "NewPass2026"),
                ("password2", "NewPass2026"),
            ],
            Some(&a),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("当前密码不正确"));
    let ok = app
        .post_form(
            "/account/password",
            &[
                ("current", PASSWORD),
                ("password", "NewPass2026"),
                ("password2", "NewPass2026"),
            ],
            Some(&a),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/account", Some(&a)).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/account", Some(&b)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.login("leader1", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.login("leader1", "NewPass2026").await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let app = TestApp::new().await;
    app.user("handler1", Role::DeptHandler).await;
    let s = app
        .login("handler1", PASSWORD)
        .await
        .set_cookie("yiwang_session")
        .unwrap();
    app.clock.advance_secs(59 * 60);
    // A request within the idle time slides the expiry forward.
    assert_eq!(app.get("/account", Some(&s)).await.status, StatusCode::OK);
    app.clock.advance_secs(59 * 60);
    assert_eq!(app.get("/account", Some(&s)).await.status, StatusCode::OK);
    app.clock.advance_secs(60 * 60);
    assert_eq!(
        app.get("/account", Some(&s)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn administrator_creates_and_disables_staff_and_reads_the_audit() {
    let app = TestApp::new().await;
    let admin = app.user("root1", Role::Admin).await;
    let admin_s = app.session_for(&admin).await;
    let created = app
        .post_form(
            "/admin/users",
            &[
                ("username", "supervisor1"),
                ("display_name", "赵敏"),
                ("role", "supervisor"),
                ("phone", "0513-85000006"),
                ("password", "Initial2026"),
            ],
            Some(&admin_s),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let bidder_role = app
        .post_form(
            "/admin/users",
            &[
                ("username", "x-bidder"),
                ("display_name", "某企业"),
                ("role", "bidder"),
                ("password", "Initial2026"),
            ],
            Some(&admin_s),
        )
        .await;
    assert_eq!(bidder_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bidder_role.body.contains("竞买企业账户须由企业自行注册"));

    let s = app
        .login("supervisor1", "Initial2026")
        .await
        .set_cookie("yiwang_session")
        .unwrap();
    assert_eq!(app.get("/account", Some(&s)).await.status, StatusCode::OK);
    let list = app
        .get("/api/v1/admin/users?role=supervisor", Some(&admin_s))
        .await
        .json();
    assert_eq!(list["total"], 1);
    let id = list["items"][0]["id"].as_str().unwrap().to_owned();
    let off = app
        .post_form(
            &format!("/admin/users/{id}/active"),
            &[("active", "false")],
            Some(&admin_s),
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/account", Some(&s)).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(app
        .login("supervisor1", "Initial2026")
        .await
        .body
        .contains("已停用"));
    // An administrator cannot disable themselves.
    let me = app
        .post_form(
            &format!("/admin/users/{}/active", admin.id),
            &[("active", "false")],
            Some(&admin_s),
        )
        .await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The audit page shows who did it, and filters.
    let page = app
        .get("/admin/audit?action=account.set_active", Some(&admin_s))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("account.set_active") && page.body.contains("root1"));
    assert!(!page.body.contains("account.create_staff"));
    let bad_date = app
        .get("/admin/audit?from=26-11-2026", Some(&admin_s))
        .await;
    assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_date.body.contains("日期格式应为"));
    let api = app
        .get("/api/v1/admin/audit?actor=root1", Some(&admin_s))
        .await
        .json();
    assert!(api["total"].as_u64().unwrap() >= 2);
    let csv = app.get("/admin/audit.csv", Some(&admin_s)).await;
    assert!(csv.body.starts_with('\u{feff}') && csv.body.contains("account.set_active"));

    // The whole chain verifies.
    let mut v = ChainVerifier::default();
    for r in app.store.audit_after(0, 10_000).await.unwrap() {
        v.check(&r).unwrap();
    }
    assert!(v.checked() >= 5);
    let _ = app.clock.now_micros();
}

#[tokio::test]
async fn api_answers_with_stable_codes() {
    let app = TestApp::new().await;
    let me = app.get("/api/v1/me", None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.json()["error"]["code"], "unauthenticated");
    app.user("api1", Role::ServiceStaff).await;
    let login = app
        .json(
            Method::POST,
            "/api/v1/session",
            serde_json::json!({"username": "api1", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let s = login.set_cookie("yiwang_session").unwrap();
    assert_eq!(
        app.get("/api/v1/me", Some(&s)).await.json()["username"],
        "api1"
    );
    let forbidden = app.get("/api/v1/admin/audit", Some(&s)).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(forbidden.json()["error"]["code"], "forbidden");
    let malformed = app
        .send(
            Request::post("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert!(malformed.status.is_client_error());
    let out = app
        .json(
            Method::DELETE,
            "/api/v1/session",
            serde_json::json!({}),
            Some(&s),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", Some(&s)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn operations_endpoints() {
    let app = TestApp::new().await;
    assert_eq!(app.get("/healthz", None).await.body, "ok");
    assert_eq!(app.get("/readyz", None).await.body, "ready");
    app.get("/", None).await;
    let m = app.get("/metrics", None).await;
    assert!(m.body.contains("yiwang_http_requests_total"), "{}", m.body);
    assert!(m.body.contains("route=\"/\""));
    let css = app.get("/static/app.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let missing = app.get("/no/such/page", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("页面不存在"));
}
