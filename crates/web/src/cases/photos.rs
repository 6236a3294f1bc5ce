//! Photos of reports and handling feedback.
//!
//! The staff report form and the case page's action forms may be sent as
//! `multipart/form-data` (the CSRF token then rides in the query string)
//! with up to [`MAX_PHOTOS`] files named `photo`, each at most
//! [`MAX_PHOTO_BYTES`]. A file is a JPEG or a PNG by its first bytes (its
//! name and declared type are ignored); anything else is refused. Accepted
//! photos are stored in the database with the case, in the transaction of
//! the facts that cite them, and cited as `/grid/photos/{id}`.
//!
//! When the staff report form comes back to its reporter (a possible
//! duplicate to look at, a field to correct), the photos sent with it are
//! kept on the server for that reporter (`CaseStore::hold_photos`) and the
//! form carries their ids in a hidden field, so the next submission brings
//! them without their being chosen again; nothing the reporter sent is
//! lost. Kept photos are dropped after a day unless a report takes them.
//!
//! `GET /grid/photos/{id}` serves a photo only to those who may see its
//! case ([`super::scope`]); Open311 clients may give such an address as
//! `media_url`.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use uuid::Uuid;
use yiwang_store::cases::NewPhoto;

use super::scope::Scope;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::extract::Form;
use crate::AppState;

/// The largest photo accepted.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The most photos one form carries.
pub const MAX_PHOTOS: usize = 6;

/// The content type of a JPEG or PNG, from its magic bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// The address a stored photo is cited by.
pub fn photo_url(id: Uuid) -> String {
    format!("/grid/photos/{id}")
}

/// A form read from a plain or a multipart body, with its photos.
pub async fn read_form<T: DeserializeOwned>(
    app: &AppState,
    req: Request,
    uploaded_by: &str,
) -> Result<(T, Vec<NewPhoto>), AppError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let Form(f) = Form::<T>::from_request(req, app)
            .await
            .map_err(|_| AppError::BadRequest("表单内容有误".to_owned()))?;
        return Ok((f, vec![]));
    }
    let (parts, body) = req.into_parts();
    let (fields, files) = read_multipart(&parts.headers, body).await?;
    let encoded = serde_urlencoded::to_string(&fields)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("form re-encoding: {e}")))?;
    let form = serde_urlencoded::from_str(&encoded)
        .map_err(|_| AppError::BadRequest("表单内容有误".to_owned()))?;
    let mut photos = Vec::new();
    for bytes in files {
        let Some(content_type) = sniff(&bytes) else {
            return Err(AppError::field("photo", "照片须为 JPEG 或 PNG 格式的图片"));
        };
        photos.push(NewPhoto {
            id: Uuid::now_v7(),
            content_type: content_type.to_owned(),
            bytes,
            uploaded_by: uploaded_by.to_owned(),
        });
    }
    Ok((form, photos))
}

/// The text fields and the non-empty `photo` files of a multipart body.
async fn read_multipart(
    headers: &HeaderMap,
    body: Body,
) -> Result<(BTreeMap<String, String>, Vec<Vec<u8>>), AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| AppError::BadRequest("上传的表单格式不正确".to_owned()))?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .per_field(MAX_PHOTO_BYTES as u64)
            .whole_stream((MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024) as u64),
    );
    let mut form =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let too_big = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            AppError::field(
                "photo",
                format!("照片过大：每张最大 {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
            )
        }
        other => AppError::BadRequest(format!("上传的表单无法读取：{other}")),
    };
    let mut fields = BTreeMap::new();
    let mut files = Vec::new();
    while let Some(field) = form.next_field().await.map_err(too_big)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "photo" {
            let bytes = field.bytes().await.map_err(too_big)?;
            if !bytes.is_empty() {
                if files.len() == MAX_PHOTOS {
                    return Err(AppError::field(
                        "photo",
                        format!("每次最多上传 {MAX_PHOTOS} 张照片"),
                    ));
                }
                files.push(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(too_big)?;
            fields.insert(name, text);
        }
    }
    Ok((fields, files))
}

/// `GET /grid/photos/{id}`: the photo, to those who may see its case.
pub async fn show(
    State(app): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let me = viewer.require()?;
    let photo = app.store.photo(id).await?.ok_or(AppError::NotFound)?;
    let (row, _) = app
        .store
        .case(photo.case_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Scope::of(&app, &me.user).await?.check(&row)?;
    Ok((
        [
            (header::CONTENT_TYPE, photo.content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        photo.bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_jpeg_and_png_pass_by_their_first_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]),
            Some("image/png")
        );
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
        assert_eq!(sniff(&[]), None);
    }
}
