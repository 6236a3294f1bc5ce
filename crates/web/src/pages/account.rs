//! The signed-in user's own account: profile and password change.

use crate::extract::{Form, Query};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Extension;
use serde::Deserialize;
use yiwang_store::Enterprise;

use super::{render, show_time, Chrome};
use crate::auth::password::check_policy;
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::AppState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    username: String,
    display_name: String,
    role_label: &'static str,
    enterprise: Option<Enterprise>,
    last_login: String,
    errors: Vec<FieldError>,
}

#[derive(Debug, Deserialize)]
pub struct OkQuery {
    #[serde(default)]
    ok: String,
}

fn notice(code: &str) -> Option<&'static str> {
    match code {
        "registered" => Some("注册成功，欢迎使用。"),
        "password" => Some("密码已修改。"),
        _ => None,
    }
}

async fn account_page(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    notice: Option<&'static str>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let me = viewer.require()?;
    let enterprise = match me.user.enterprise_id {
        Some(id) => app.store.enterprise(id).await?,
        None => None,
    };
    render(&AccountPage {
        chrome: chrome.titled("我的账户", ""),
        notice,
        username: me.user.username.clone(),
        display_name: me.user.display_name.clone(),
        role_label: me.user.role.label(),
        enterprise,
        last_login: show_time(me.user.last_login_at),
        errors,
    })
}

/// `GET /account`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(q): Query<OkQuery>,
) -> Result<Response, PageError> {
    account_page(&app, chrome, &viewer, notice(&q.ok), vec![]).await
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

/// `POST /account/password`: checks the current password, applies the
/// policy, and ends the user's other sessions.
pub async fn change_password(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let me = viewer.require()?;
    let creds = app
        .store
        .credentials(&me.user.username)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let mut errors = Vec::new();
    if !app
        .hasher
        .verify(f.current, Some(creds.password_hash))
        .await?
    {
        errors.push(FieldError::new("current", "当前密码不正确"));
    }
    if let Err(e) = check_policy("password", &f.password, &me.user.username) {
        errors.push(e);
    } else if f.password != f.password2 {
        errors.push(FieldError::new("password2", "两次输入的新密码不一致"));
    }
    if !errors.is_empty() {
        let mut resp = account_page(&app, chrome, &viewer, None, errors).await?;
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(resp);
    }
    let hash = app.hasher.hash(f.password).await?;
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store
        .change_password(&ctx, me.user.id, &hash, Some(&me.session_hash))
        .await?;
    Ok(axum::response::IntoResponse::into_response(Redirect::to(
        "/account?ok=password",
    )))
}
