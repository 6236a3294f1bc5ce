//! The one place where errors become HTTP answers.
//!
//! Pages answer in Chinese with an error page; the JSON API answers
//! `{"error": {"code": "…", "message": "…", "fields": […]}}` where `code` is
//! stable and `message` is Chinese. Internal failures are logged with their
//! cause and shown to the user only as a generic message.

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use yiwang_store::StoreError;

/// A problem with one input field: which field, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("输入有误")]
    Invalid(Vec<FieldError>),
    #[error("请先登录")]
    Unauthenticated,
    /// A machine caller's signature is missing, wrong or stale.
    #[error("签名无效：{0}")]
    BadSignature(&'static str),
    #[error("您没有权限访问此页面")]
    Forbidden,
    #[error("页面或对象不存在")]
    NotFound,
    /// Not found for a reason clients branch on, with its own stable code
    /// (a point outside every grid: `outside_grids`).
    #[error("{message}")]
    Absent { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("请求过于频繁，请 {retry_after_s} 秒后再试")]
    RateLimited { retry_after_s: u64 },
    #[error("表单已过期或来源不明，请刷新页面后重试")]
    Csrf,
    #[error("请求格式有误：{0}")]
    BadRequest(String),
    /// Too much contention to answer now; nothing was done and the same
    /// request may be sent again.
    #[error("系统繁忙，请稍后重试")]
    Busy,
    #[error("系统内部错误，请稍后再试")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated | AppError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound | AppError::Absent { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid_input",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadSignature(_) => "bad_signature",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Absent { code, .. } => code,
            AppError::Conflict { .. } => "conflict",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Csrf => "csrf_failed",
            AppError::BadRequest(_) => "bad_request",
            AppError::Busy => "busy",
            AppError::Internal(_) => "internal",
        }
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
    }

    /// Tells clients when to try again, for the errors that pass.
    fn retry_after(&self, resp: &mut Response) {
        let seconds = match self {
            AppError::RateLimited { retry_after_s } => *retry_after_s,
            AppError::Busy => 1,
            _ => return,
        };
        resp.headers_mut()
            .insert(header::RETRY_AFTER, seconds.into());
    }

    fn fields(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(f) => f,
            _ => &[],
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { field } => AppError::Conflict {
                field: field.to_owned(),
                message: conflict_message(field),
            },
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<crate::exchange::desk::DeskError> for AppError {
    fn from(e: crate::exchange::desk::DeskError) -> Self {
        use crate::exchange::desk::DeskError;
        match e {
            DeskError::UnknownListing => AppError::NotFound,
            DeskError::Busy => AppError::Busy,
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// The Chinese message for a unique value that is already taken.
pub fn conflict_message(field: &str) -> String {
    match field {
        "username" => "该用户名已被使用，请换一个".to_owned(),
        "credit_code" => "该统一社会信用代码已注册，请直接登录".to_owned(),
        other => format!("{other} 已存在"),
    }
}

#[derive(Serialize)]
struct ApiBody<'a> {
    error: ApiErrorBody<'a>,
}

#[derive(Serialize)]
struct ApiErrorBody<'a> {
    code: &'a str,
    message: String,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fields: &'a [FieldError],
}

/// An [`AppError`] answered as JSON (API routes).
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        e.log();
        let body = ApiBody {
            error: ApiErrorBody {
                code: e.code(),
                message: e.to_string(),
                fields: e.fields(),
            },
        };
        let mut resp = (e.status(), axum::Json(body)).into_response();
        e.retry_after(&mut resp);
        resp
    }
}

/// An [`AppError`] answered as a Chinese HTML page (page routes).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        e.log();
        let status = e.status();
        let details: Vec<String> = e.fields().iter().map(|f| f.message.clone()).collect();
        let html = crate::pages::error_page(status, &e.to_string(), &details);
        let mut resp = (status, Html(html)).into_response();
        e.retry_after(&mut resp);
        resp
    }
}
