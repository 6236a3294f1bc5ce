//! Administration: staff accounts and the audit log.
//!
//! Only administrators reach these pages (see the route table). Creating an
//! account, enabling or disabling one, and every other change are audited by
//! the store in the same transaction.

use crate::extract::{Form, Json, Query};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_store::{AuditQuery, AuditRecord, NewUser, Page, User, UserQuery};

use super::{pager, render, show_time, Chrome};
use crate::auth::password::check_policy;
use crate::auth::routes::{valid_phone, valid_username};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{conflict_message, ApiError, AppError, FieldError, PageError};
use crate::AppState;

const PAGE_SIZE: u32 = 50;

fn staff_roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .into_iter()
        .filter(|r| r.is_staff())
        .map(|r| (r.code(), r.label()))
        .collect()
}

fn all_roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL
        .into_iter()
        .map(|r| (r.code(), r.label()))
        .collect()
}

/// One row of the account list.
#[derive(Debug)]
struct UserRow {
    id: Uuid,
    username: String,
    display_name: String,
    role_label: &'static str,
    phone: String,
    active: bool,
    locked: bool,
    last_login: String,
    is_self: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    q: String,
    role: String,
    active: String,
    roles: Vec<(&'static str, &'static str)>,
    total: u64,
    rows: Vec<UserRow>,
    pager: String,
}

/// Filters of the account list, as in the query string.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct UsersFilter {
    /// Substring of username or display name.
    #[serde(default)]
    pub q: String,
    /// Role code.
    #[serde(default)]
    pub role: String,
    /// `true` or `false`.
    #[serde(default)]
    pub active: String,
    #[serde(default)]
    pub page: Option<u32>,
    #[serde(default)]
    pub ok: String,
}

impl UsersFilter {
    fn query(&self) -> Result<UserQuery, AppError> {
        let role = match self.role.as_str() {
            "" => None,
            code => Some(
                code.parse::<Role>()
                    .map_err(|e| AppError::field("role", e.to_string()))?,
            ),
        };
        let active = match self.active.as_str() {
            "" => None,
            "true" => Some(true),
            "false" => Some(false),
            _ => return Err(AppError::field("active", "状态只能是 true 或 false")),
        };
        Ok(UserQuery {
            role,
            search: Some(self.q.trim().to_owned()).filter(|s| !s.is_empty()),
            active,
        })
    }
}

/// `GET /admin/users`
pub async fn users(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<UsersFilter>,
) -> Result<Response, PageError> {
    let query = f.query()?;
    let page = f.page.unwrap_or(1).max(1);
    let found = app
        .store
        .list_users(&query, Page::number(page, PAGE_SIZE))
        .await?;
    let now = app.clock.now().micros();
    let me = viewer.user().map(|u| u.user.id);
    let rows = found
        .items
        .iter()
        .map(|u| UserRow {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role_label: u.role.label(),
            phone: u.phone.clone().unwrap_or_default(),
            active: u.active,
            locked: u.locked_until.is_some_and(|t| t > now),
            last_login: show_time(u.last_login_at),
            is_self: Some(u.id) == me,
        })
        .collect();
    let keep = [
        ("q", f.q.clone()),
        ("role", f.role.clone()),
        ("active", f.active.clone()),
    ];
    render(&UsersPage {
        chrome: chrome.titled("账户管理", ""),
        notice: match f.ok.as_str() {
            "created" => Some("账户已创建。"),
            "updated" => Some("账户状态已更新。"),
            _ => None,
        },
        pager: pager("/admin/users", &keep, page, PAGE_SIZE, found.total),
        q: f.q,
        role: f.role,
        active: f.active,
        roles: all_roles(),
        total: found.total,
        rows,
    })
}

/// The new-staff form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "admin_user_new.html")]
struct NewUserPage {
    chrome: Chrome,
    form: StaffForm,
    roles: Vec<(&'static str, &'static str)>,
    errors: Vec<FieldError>,
}

/// `GET /admin/users/new`
pub async fn new_user(chrome: Chrome) -> Result<Response, PageError> {
    render(&NewUserPage {
        chrome: chrome.titled("新建工作人员账户", ""),
        form: StaffForm::default(),
        roles: staff_roles(),
        errors: vec![],
    })
}

fn parse_staff(f: &StaffForm) -> Result<(String, String, Role, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let username = f.username.trim().to_owned();
    if !valid_username(&username) {
        errors.push(FieldError::new(
            "username",
            "用户名为 3–32 位字母、数字、下划线、连字符或点，并以字母或数字开头",
        ));
    }
    let name = f.display_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 50 {
        errors.push(FieldError::new(
            "display_name",
            "请填写姓名（不超过 50 个字）",
        ));
    }
    let role = match f.role.parse::<Role>() {
        Ok(r) if r.is_staff() => Some(r),
        Ok(_) => {
            errors.push(FieldError::new("role", "竞买企业账户须由企业自行注册"));
            None
        }
        Err(_) => {
            errors.push(FieldError::new("role", "请选择身份"));
            None
        }
    };
    let phone = Some(f.phone.trim().to_owned()).filter(|p| !p.is_empty());
    if phone.as_deref().is_some_and(|p| !valid_phone(p)) {
        errors.push(FieldError::new(
            "phone",
            "工作电话应为 11 位手机号码或带区号的固定电话",
        ));
    }
    if let Err(e) = check_policy("password", &f.password, &username) {
        errors.push(e);
    }
    match role {
        Some(role) if errors.is_empty() => Ok((username, name, role, phone)),
        _ => Err(errors),
    }
}

/// `POST /admin/users`
pub async fn create_user(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Form(f): Form<StaffForm>,
) -> Result<Response, PageError> {
    let errors = match parse_staff(&f) {
        Ok((username, display_name, role, phone)) => {
            let password_hash = app.hasher.hash(f.password.clone()).await?;
            let ctx = app.audit_ctx(&viewer, &addr);
            let new = NewUser {
                username,
                display_name,
                role,
                phone,
                password_hash,
            };
            match app.store.create_staff(&ctx, new).await {
                Ok(_) => return Ok(Redirect::to("/admin/users?ok=created").into_response()),
                Err(yiwang_store::StoreError::Conflict { field }) => {
                    vec![FieldError::new(field, conflict_message(field))]
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    let mut resp = render(&NewUserPage {
        chrome: chrome.titled("新建工作人员账户", ""),
        form: StaffForm {
            password: String::new(),
            ..f
        },
        roles: staff_roles(),
        errors,
    })?;
    *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(resp)
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

/// `POST /admin/users/{id}/active`: enables or disables an account (not
/// one's own, so an administrator cannot lock everyone out by accident).
pub async fn set_active(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, PageError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let active = match f.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::field("active", "状态只能是启用或停用").into()),
    };
    if viewer.user().map(|u| u.user.id) == Some(id) {
        return Err(AppError::field("active", "不能修改自己账户的状态").into());
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    app.store.set_user_active(&ctx, id, active).await?;
    Ok(Redirect::to("/admin/users?ok=updated").into_response())
}

/// Filters of the audit log, as in the query string.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
pub struct AuditFilter {
    /// Substring of the actor's name.
    #[serde(default)]
    pub actor: String,
    /// Prefix of the action code.
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub object_kind: String,
    #[serde(default)]
    pub object_id: String,
    /// First day, `YYYY-MM-DD` (Asia/Shanghai), inclusive.
    #[serde(default)]
    pub from: String,
    /// Last day, `YYYY-MM-DD` (Asia/Shanghai), inclusive.
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<u32>,
    /// Page size for the API (default 50, at most 500).
    #[serde(default)]
    pub size: Option<u32>,
}

fn parse_day(field: &str, s: &str) -> Result<Option<time::Date>, AppError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s.trim(), &fmt)
        .map(Some)
        .map_err(|_| AppError::field(field, "日期格式应为 YYYY-MM-DD，例如 2026-11-26"))
}

impl AuditFilter {
    fn query(&self) -> Result<AuditQuery, AppError> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let from =
            parse_day("from", &self.from)?.map(|d| Timestamp::from_shanghai(d, 0, 0, 0).micros());
        let to = parse_day("to", &self.to)?
            .map(|d| Timestamp::from_shanghai(d.next_day().unwrap_or(d), 0, 0, 0).micros());
        Ok(AuditQuery {
            actor: text(&self.actor),
            action: text(&self.action),
            object_kind: text(&self.object_kind),
            object_id: text(&self.object_id),
            from,
            to,
        })
    }
}

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    addr: String,
    action: String,
    object: String,
    detail: String,
    hash: String,
    hash_short: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    chrome: Chrome,
    f: AuditFilter,
    error: Option<String>,
    total: u64,
    rows: Vec<AuditRow>,
    pager: String,
}

/// `GET /admin/audit`
pub async fn audit(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(f): Query<AuditFilter>,
) -> Result<Response, PageError> {
    let page = f.page.unwrap_or(1).max(1);
    let (found, error) = match f.query() {
        Ok(q) => (
            Some(
                app.store
                    .audit_query(&q, Page::number(page, PAGE_SIZE))
                    .await?,
            ),
            None,
        ),
        Err(AppError::Invalid(errs)) => (None, errs.first().map(|e| e.message.clone())),
        Err(e) => return Err(e.into()),
    };
    let total = found.as_ref().map_or(0, |p| p.total);
    let rows = found
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .map(|r| AuditRow {
            seq: r.seq,
            at: show_time(Some(r.at)),
            actor: r.actor_name,
            addr: r.client_addr.unwrap_or_default(),
            action: r.action,
            object: format!("{} {}", r.object_kind, r.object_id),
            detail: if r.detail == "null" {
                String::new()
            } else {
                r.detail
            },
            hash_short: r.hash.chars().take(12).collect(),
            hash: r.hash,
        })
        .collect();
    let keep = [
        ("actor", f.actor.clone()),
        ("action", f.action.clone()),
        ("object_kind", f.object_kind.clone()),
        ("object_id", f.object_id.clone()),
        ("from", f.from.clone()),
        ("to", f.to.clone()),
    ];
    let mut resp = render(&AuditPage {
        chrome: chrome.titled("审计日志", ""),
        pager: pager("/admin/audit", &keep, page, PAGE_SIZE, total),
        f,
        total,
        rows,
        error: error.clone(),
    })?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// One page of audit records.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPageView {
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
    pub items: Vec<AuditRecordView>,
}

/// An audit record; times are RFC 3339 in +08:00.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordView {
    pub seq: i64,
    pub at: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    /// The details as JSON text.
    pub detail: String,
    pub client_addr: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<AuditRecord> for AuditRecordView {
    fn from(r: AuditRecord) -> Self {
        AuditRecordView {
            seq: r.seq,
            at: Timestamp::from_micros(r.at).to_rfc3339(),
            actor_id: r.actor_id.map(|i| i.to_string()),
            actor_name: r.actor_name,
            action: r.action,
            object_kind: r.object_kind,
            object_id: r.object_id,
            detail: r.detail,
            client_addr: r.client_addr,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// The audit log, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(AuditFilter),
    responses((status = 200, body = AuditPageView), (status = 401), (status = 403), (status = 422, description = "invalid_input")))]
pub async fn api_audit(
    State(app): State<AppState>,
    Query(f): Query<AuditFilter>,
) -> Result<Json<AuditPageView>, ApiError> {
    let q = f.query()?;
    let page = Page::number(f.page.unwrap_or(1), f.size.unwrap_or(PAGE_SIZE));
    let found = app.store.audit_query(&q, page).await?;
    Ok(Json(AuditPageView {
        total: found.total,
        offset: found.offset,
        limit: found.limit,
        items: found.items.into_iter().map(Into::into).collect(),
    }))
}

/// The audit log as CSV (UTF-8 with BOM so that Excel reads the Chinese).
pub async fn audit_csv(
    State(app): State<AppState>,
    Query(f): Query<AuditFilter>,
) -> Result<Response, PageError> {
    let q = f.query()?;
    let mut out =
        String::from("\u{feff}序号,时间,操作人,地址,操作,对象类型,对象编号,详情,哈希\r\n");
    let mut number = 1;
    loop {
        let found = app
            .store
            .audit_query(&q, Page::number(number, Page::MAX_LIMIT))
            .await?;
        for r in &found.items {
            let cells = [
                r.seq.to_string(),
                show_time(Some(r.at)),
                r.actor_name.clone(),
                r.client_addr.clone().unwrap_or_default(),
                r.action.clone(),
                r.object_kind.clone(),
                r.object_id.clone(),
                r.detail.clone(),
                r.hash.clone(),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        if u64::from(number) * u64::from(Page::MAX_LIMIT) >= found.total || found.items.is_empty() {
            break;
        }
        number += 1;
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// Quotes a CSV cell when needed, and defuses cells that a spreadsheet would
/// run as a formula.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// An account as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub last_login_at: Option<String>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.to_string(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_owned(),
            active: u.active,
            last_login_at: u
                .last_login_at
                .map(|t| Timestamp::from_micros(t).to_rfc3339()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsersPageView {
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
    pub items: Vec<UserView>,
}

/// Accounts, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(UsersFilter),
    responses((status = 200, body = UsersPageView), (status = 401), (status = 403)))]
pub async fn api_users(
    State(app): State<AppState>,
    Query(f): Query<UsersFilter>,
) -> Result<Json<UsersPageView>, ApiError> {
    let q = f.query()?;
    let found = app
        .store
        .list_users(&q, Page::number(f.page.unwrap_or(1), PAGE_SIZE))
        .await?;
    Ok(Json(UsersPageView {
        total: found.total,
        offset: found.offset,
        limit: found.limit,
        items: found.items.iter().map(UserView::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
    }
}
