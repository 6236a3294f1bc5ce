//! Login, logout, enterprise and worker registration and password change,
//! as pages and as JSON (enterprise registration only).
//!
//! The page and API versions share one implementation ([`login`],
//! [`register`]); they differ only in how input arrives and how answers are
//! shown. Input is parsed into domain types here, at the edge; a form with
//! errors is shown again with everything the user typed (except passwords)
//! and a message for each field.

use crate::extract::{Form, Json, Query};
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yiwang_core::{CreditCode, Role};
use yiwang_store::{NewEnterprise, NewSession, NewUser, User};

use super::password::check_policy;
use super::session::{new_token, set_cookie, token_hash, ClientAddr, SESSION_COOKIE};
use super::Viewer;
use crate::error::{conflict_message, ApiError, AppError, FieldError, PageError};
use crate::pages::{render, Chrome};
use crate::AppState;

/// Why a login was refused, in the user's words.
const BAD_CREDENTIALS: &str = "用户名或密码错误";

/// A successful login: the session token to put in the cookie.
struct LoggedIn {
    token: String,
    user: User,
}

/// Checks a username and password and opens a session. The per-address rate
/// limit is checked before anything else; a locked or disabled account is
/// refused without checking the password.
async fn login(
    app: &AppState,
    addr: &ClientAddr,
    user_agent: Option<String>,
    username: &str,
    password: String,
) -> Result<LoggedIn, AppError> {
    let now = app.clock.now().micros();
    let key = addr.0.clone().unwrap_or_else(|| "unknown".to_owned());
    app.login_limiter
        .check(&key, now)
        .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
    let username = username.trim();
    let creds = app.store.credentials(username).await?;
    let Some(creds) = creds else {
        app.hasher.verify(password, None).await?;
        return Err(AppError::field("username", BAD_CREDENTIALS));
    };
    let user = creds.user;
    let ctx = app.audit_ctx(&Viewer(None), addr);
    let ctx = yiwang_store::AuditCtx {
        actor_id: Some(user.id),
        actor_name: user.username.clone(),
        ..ctx
    };
    if let Some(until) = user.locked_until.filter(|&t| t > now) {
        return Err(AppError::field(
            "username",
            format!(
                "登录失败次数过多，账户已临时锁定，请于 {} 后再试",
                crate::pages::show_time(Some(until))
            ),
        ));
    }
    if !user.active {
        return Err(AppError::field(
            "username",
            "该账户已停用，请联系系统管理员",
        ));
    }
    if !app
        .hasher
        .verify(password, Some(creds.password_hash))
        .await?
    {
        let auth = &app.config.auth;
        let failure = app
            .store
            .login_failed(
                &ctx,
                user.id,
                auth.max_failed_logins as i32,
                i64::from(auth.lockout_minutes) * 60_000_000,
            )
            .await?;
        return Err(AppError::field(
            "username",
            match failure.locked_until {
                Some(until) => format!(
                    "密码连续错误 {} 次，账户已临时锁定，请于 {} 后再试",
                    auth.max_failed_logins,
                    crate::pages::show_time(Some(until))
                ),
                None => BAD_CREDENTIALS.to_owned(),
            },
        ));
    }
    let token = new_token();
    let auth = &app.config.auth;
    let expires_at = now + i64::from(auth.session_idle_minutes) * 60_000_000;
    app.store
        .login_succeeded(
            &ctx,
            NewSession {
                id_hash: token_hash(&token),
                user_id: user.id,
                expires_at,
                user_agent,
            },
        )
        .await?;
    Ok(LoggedIn { token, user })
}

fn session_cookie(app: &AppState, token: &str) -> (header::HeaderName, axum::http::HeaderValue) {
    let max_age = u64::from(app.config.auth.session_max_hours) * 3600;
    (
        header::SET_COOKIE,
        set_cookie(
            SESSION_COOKIE,
            token,
            max_age,
            app.config.auth.secure_cookies,
            "Lax",
        ),
    )
}

fn clear_session_cookie(app: &AppState) -> (header::HeaderName, axum::http::HeaderValue) {
    (
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, app.config.auth.secure_cookies, "Lax"),
    )
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect())
}

/// Only local paths are followed after login, never another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    error: Option<String>,
    username: String,
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login`
pub async fn login_page(chrome: Chrome, Query(q): Query<NextQuery>) -> Result<Response, PageError> {
    render(&LoginPage {
        chrome: chrome.titled("登录", ""),
        error: None,
        username: String::new(),
        next: safe_next(&q.next).to_owned(),
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`
pub async fn login_submit(
    State(app): State<AppState>,
    chrome: Chrome,
    addr: axum::Extension<ClientAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(&form.next).to_owned();
    match login(
        &app,
        &addr,
        user_agent(&headers),
        &form.username,
        form.password,
    )
    .await
    {
        Ok(done) => {
            let mut resp = Redirect::to(&next).into_response();
            let (k, v) = session_cookie(&app, &done.token);
            resp.headers_mut().append(k, v);
            Ok(resp)
        }
        Err(AppError::Invalid(fields)) => {
            let mut resp = render(&LoginPage {
                chrome: chrome.titled("登录", ""),
                error: fields.first().map(|f| f.message.clone()),
                username: form.username,
                next,
            })?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(PageError(e)),
    }
}

/// `POST /logout`
pub async fn logout_submit(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
) -> Result<Response, PageError> {
    if let Some(u) = viewer.user() {
        let ctx = app.audit_ctx(&viewer, &addr);
        app.store.end_session(&ctx, &u.session_hash).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    let (k, v) = clear_session_cookie(&app);
    resp.headers_mut().append(k, v);
    Ok(resp)
}

/// The registration form as typed.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
pub struct RegisterForm {
    /// 企业名称
    #[serde(default)]
    pub name: String,
    /// 统一社会信用代码 (18 characters, GB 32100-2015)
    #[serde(default)]
    pub credit_code: String,
    /// 法定代表人
    #[serde(default)]
    pub legal_rep: String,
    /// 联系人
    #[serde(default)]
    pub contact_name: String,
    /// 联系电话
    #[serde(default)]
    pub contact_phone: String,
    /// 登录用户名
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// The password again.
    #[serde(default)]
    pub password2: String,
    /// `worker` to register a worker (职工): the name is `contact_name`, the
    /// mobile phone `contact_phone`; the enterprise fields are ignored. The
    /// page form only: the API registers enterprises.
    #[serde(default, rename = "as")]
    #[schema(ignore)]
    pub as_: String,
}

impl RegisterForm {
    fn is_worker(&self) -> bool {
        self.as_ == "worker"
    }
}

/// Validates a worker's registration: name, mobile phone, login.
fn parse_worker_registration(f: &RegisterForm) -> Result<NewUser, Vec<FieldError>> {
    let mut errors = Vec::new();
    required(&mut errors, "contact_name", "姓名", &f.contact_name, 30);
    let phone = f.contact_phone.trim();
    let digits: String = phone.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !(valid_phone(phone) && digits.starts_with('1')) {
        errors.push(FieldError::new(
            "contact_phone",
            "手机号码应为 11 位，以 1 开头",
        ));
    }
    let username = f.username.trim().to_owned();
    if !valid_username(&username) {
        errors.push(FieldError::new(
            "username",
            "用户名为 3–32 位字母、数字、下划线、连字符或点，并以字母或数字开头",
        ));
    }
    if let Err(e) = check_policy("password", &f.password, &username) {
        errors.push(e);
    } else if f.password != f.password2 {
        errors.push(FieldError::new("password2", "两次输入的密码不一致"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewUser {
        username,
        display_name: f.contact_name.trim().to_owned(),
        role: Role::Worker,
        phone: Some(digits),
        password_hash: String::new(),
    })
}

/// Registers a worker's account.
async fn register_worker(
    app: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    f: &RegisterForm,
) -> Result<User, AppError> {
    let mut user = parse_worker_registration(f).map_err(AppError::Invalid)?;
    user.password_hash = app.hasher.hash(f.password.clone()).await?;
    let ctx = app.audit_ctx(viewer, addr);
    match app.store.register_worker(&ctx, user).await {
        Ok(user) => Ok(user),
        Err(yiwang_store::StoreError::Conflict { field }) => {
            Err(AppError::field(field, conflict_message(field)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Mainland mobile (1[3-9] and 9 digits) or a landline with its area code.
pub fn valid_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let b = digits.as_bytes();
    (b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]))
        || (b.first() == Some(&b'0') && (10..=12).contains(&b.len()))
}

/// A login name: 3 to 32 letters, digits, `_`, `-` or `.`, starting with a
/// letter or digit.
pub fn valid_username(s: &str) -> bool {
    (3..=32).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn required(errors: &mut Vec<FieldError>, field: &str, label: &str, value: &str, max: usize) {
    let n = value.trim().chars().count();
    if n == 0 {
        errors.push(FieldError::new(field, format!("请填写{label}")));
    } else if n > max {
        errors.push(FieldError::new(
            field,
            format!("{label}不能超过 {max} 个字"),
        ));
    }
}

/// Validates everything at once so the user sees every problem together.
fn parse_registration(f: &RegisterForm) -> Result<(NewEnterprise, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    required(&mut errors, "name", "企业名称", &f.name, 100);
    let code = match CreditCode::parse(&f.credit_code) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(FieldError::new(
                "credit_code",
                format!("统一社会信用代码有误：{e}"),
            ));
            None
        }
    };
    required(&mut errors, "legal_rep", "法定代表人", &f.legal_rep, 50);
    required(&mut errors, "contact_name", "联系人", &f.contact_name, 50);
    if !valid_phone(f.contact_phone.trim()) {
        errors.push(FieldError::new(
            "contact_phone",
            "联系电话应为 11 位手机号码或带区号的固定电话",
        ));
    }
    let username = f.username.trim().to_owned();
    if !valid_username(&username) {
        errors.push(FieldError::new(
            "username",
            "用户名为 3–32 位字母、数字、下划线、连字符或点，并以字母或数字开头",
        ));
    }
    if let Err(e) = check_policy("password", &f.password, &username) {
        errors.push(e);
    } else if f.password != f.password2 {
        errors.push(FieldError::new("password2", "两次输入的密码不一致"));
    }
    match code {
        Some(code) if errors.is_empty() => Ok((
            NewEnterprise {
                name: f.name.trim().to_owned(),
                credit_code: code.as_str().to_owned(),
                legal_rep: f.legal_rep.trim().to_owned(),
                contact_name: f.contact_name.trim().to_owned(),
                contact_phone: f.contact_phone.trim().to_owned(),
            },
            username,
        )),
        _ => Err(errors),
    }
}

async fn register(
    app: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    f: &RegisterForm,
) -> Result<User, AppError> {
    let (enterprise, username) = parse_registration(f).map_err(AppError::Invalid)?;
    let password_hash = app.hasher.hash(f.password.clone()).await?;
    let user = NewUser {
        username,
        display_name: enterprise.name.clone(),
        role: Role::Bidder,
        phone: Some(enterprise.contact_phone.clone()),
        password_hash,
    };
    let ctx = app.audit_ctx(viewer, addr);
    match app.store.register_enterprise(&ctx, enterprise, user).await {
        Ok((_, user)) => Ok(user),
        Err(yiwang_store::StoreError::Conflict { field }) => {
            Err(AppError::field(field, conflict_message(field)))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    form: RegisterForm,
    errors: Vec<FieldError>,
}

fn register_title(f: &RegisterForm) -> &'static str {
    if f.is_worker() {
        "职工注册"
    } else {
        "企业注册"
    }
}

/// Which registration form: `?as=worker` for a worker's.
#[derive(Debug, Default, Deserialize)]
pub struct RegisterAs {
    #[serde(default, rename = "as")]
    pub as_: String,
}

/// `GET /register` (enterprises), `GET /register?as=worker` (workers)
pub async fn register_page(
    chrome: Chrome,
    Query(q): Query<RegisterAs>,
) -> Result<Response, PageError> {
    let form = RegisterForm {
        as_: if q.as_ == "worker" {
            "worker".to_owned()
        } else {
            String::new()
        },
        ..RegisterForm::default()
    };
    render(&RegisterPage {
        chrome: chrome.titled(register_title(&form), ""),
        form,
        errors: vec![],
    })
}

/// `POST /register`: registers and signs the new account in.
pub async fn register_submit(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let registered = if form.is_worker() {
        register_worker(&app, &viewer, &addr, &form).await
    } else {
        register(&app, &viewer, &addr, &form).await
    };
    match registered {
        Ok(user) => {
            let done = login(
                &app,
                &addr,
                user_agent(&headers),
                &user.username,
                form.password,
            )
            .await?;
            let mut resp = Redirect::to("/account?ok=registered").into_response();
            let (k, v) = session_cookie(&app, &done.token);
            resp.headers_mut().append(k, v);
            Ok(resp)
        }
        Err(AppError::Invalid(errors)) => {
            let form = RegisterForm {
                password: String::new(),
                password2: String::new(),
                ..form
            };
            let mut resp = render(&RegisterPage {
                chrome: chrome.titled(register_title(&form), ""),
                form,
                errors,
            })?;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(e) => Err(PageError(e)),
    }
}

/// An account as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    /// Role code, e.g. `bidder`, `exchange_officer`.
    pub role: String,
    pub enterprise_id: Option<String>,
}

impl From<&User> for AccountView {
    fn from(u: &User) -> Self {
        AccountView {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_owned(),
            enterprise_id: u.enterprise_id.map(|e| e.to_string()),
        }
    }
}

/// Registers an enterprise account.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "accounts",
    request_body = RegisterForm,
    responses((status = 201, body = AccountView), (status = 422, description = "invalid_input: one entry per bad field"), (status = 409, description = "conflict")))]
pub async fn api_register(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Json(form): Json<RegisterForm>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    let user = register(&app, &viewer, &addr, &form).await?;
    Ok((StatusCode::CREATED, Json(AccountView::from(&user))))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// Opens a session; the answer sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = AccountView), (status = 422, description = "invalid_input"), (status = 429, description = "rate_limited")))]
pub async fn api_login(
    State(app): State<AppState>,
    addr: axum::Extension<ClientAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let done = login(
        &app,
        &addr,
        user_agent(&headers),
        &req.username,
        req.password,
    )
    .await?;
    let mut resp = Json(AccountView::from(&done.user)).into_response();
    let (k, v) = session_cookie(&app, &done.token);
    resp.headers_mut().append(k, v);
    Ok(resp)
}

/// Ends the current session.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts", responses((status = 204)))]
pub async fn api_logout(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
) -> Result<Response, ApiError> {
    let u = viewer.require()?;
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store.end_session(&ctx, &u.session_hash).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let (k, v) = clear_session_cookie(&app);
    resp.headers_mut().append(k, v);
    Ok(resp)
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = AccountView), (status = 401, description = "unauthenticated")))]
pub async fn api_me(viewer: Viewer) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(AccountView::from(&viewer.require()?.user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_usernames() {
        assert!(valid_phone("13912345678"));
        assert!(valid_phone("0513-85123456"));
        assert!(!valid_phone("12912345678"));
        assert!(!valid_phone("1391234567"));
        assert!(!valid_phone("abc"));
        assert!(valid_username("nt_land.01"));
        assert!(!valid_username("_x"));
        assert!(!valid_username("ab"));
        assert!(!valid_username("用户"));
    }

    #[test]
    fn next_stays_on_site() {
        assert_eq!(safe_next("/account"), "/account");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
