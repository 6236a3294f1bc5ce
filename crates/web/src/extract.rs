//! Extractors whose failures answer like every other error.
//!
//! axum's own `Json`, `Form` and `Query` answer malformed input with plain
//! English text; these wrap them so that a bad body or query string gets the
//! Chinese error page, or the API's JSON error with a stable code, naming
//! what was wrong.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, AppError, PageError};

/// Input that could not be read, answered as a page or as JSON by path.
#[derive(Debug)]
pub struct Rejected {
    api: bool,
    error: AppError,
}

impl IntoResponse for Rejected {
    fn into_response(self) -> Response {
        if self.api {
            ApiError(self.error).into_response()
        } else {
            PageError(self.error).into_response()
        }
    }
}

fn rejected(path: &str, what: &str, detail: String) -> Rejected {
    Rejected {
        api: path.starts_with("/api/"),
        error: AppError::BadRequest(format!("{what}：{detail}")),
    }
}

/// A JSON body.
#[derive(Debug, Clone)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let path = req.uri().path().to_owned();
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| Json(v))
            .map_err(|e| rejected(&path, "请求体不是有效的 JSON", e.body_text()))
    }
}

/// A form body.
#[derive(Debug, Clone)]
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let path = req.uri().path().to_owned();
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(v)| Form(v))
            .map_err(|e| rejected(&path, "表单内容有误", e.body_text()))
    }
}

/// A query string.
#[derive(Debug, Clone)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| rejected(parts.uri.path(), "查询参数有误", e.body_text()))
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
