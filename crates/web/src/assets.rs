//! Static files, embedded in the binary so a release is one file.
//!
//! Vendored files carry their version in the name, so they are cached for a
//! year; the project's own CSS and JS are revalidated.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{AppError, PageError};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    immutable: bool,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/app.css"),
        immutable: false,
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/app.js"),
        immutable: false,
    },
    Asset {
        name: "countdown.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/countdown.js"),
        immutable: false,
    },
    Asset {
        name: "print.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/print.js"),
        immutable: false,
    },
    Asset {
        name: "live.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/live.js"),
        immutable: false,
    },
    Asset {
        name: "vendor/htmx-2.0.11.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/vendor/htmx-2.0.11.min.js"),
        immutable: true,
    },
    Asset {
        name: "vendor/htmx-ext-sse-2.2.4.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/vendor/htmx-ext-sse-2.2.4.min.js"),
        immutable: true,
    },
];

/// `GET /static/{*path}`
pub async fn serve(Path(path): Path<String>) -> Result<Response, PageError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == path)
        .ok_or(PageError(AppError::NotFound))?;
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    Ok((
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        asset.body,
    )
        .into_response())
}
