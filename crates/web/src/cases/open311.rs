//! Open311 GeoReport v2 over the grid events, under `/open311/v2/`.
//!
//! | route | answers |
//! |---|---|
//! | `GET services.{json,xml}` | the event categories as services |
//! | `GET services/{code}.{json,xml}` | a service definition: its one attribute, `grid_code` (optional when `lat`/`long` are given) |
//! | `POST requests.{json,xml}` | files a request (needs an API key) |
//! | `GET requests.{json,xml}` | requests, filtered by `service_request_id`, `service_code`, `status`, `start_date`, `end_date` |
//! | `GET requests/{id}.{json,xml}` | one request, by its public number |
//!
//! Requests are cases on the same workflow as the pages' reports: a posted
//! request is a resident's report (location by `lat`/`long` or
//! `address_string`), filed in the grid named by the attribute
//! `attribute[grid_code]`, which must be a grid that exists; without it,
//! in the grid holding `lat`/`long`. A request's id is the case number. Posting needs
//! one of the keys in the `[open311] api_keys` configuration; the key's
//! position names the client in the audit log, never the key itself.
//!
//! No personal data leaves: answers carry the category, status, place
//! (address and point), the responsible department and times — never the
//! description (residents write names and phone numbers there), the
//! reporter, or the fields a client may send about the requester
//! (`email`, `first_name`, `phone` … are accepted and dropped).
//!
//! Formats: JSON, and XML written by hand for the spec's fixed shapes (every
//! value escaped). Errors take the spec's shape, `[{"code": 400,
//! "description": "…"}]` or `<errors><error>…`, with the HTTP status as the
//! code and a description that starts with a stable snake_case code.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use yiwang_cases::{Actor, Report, Stage};
use yiwang_core::Timestamp;
use yiwang_store::cases::{CaseQuery, CaseRow};
use yiwang_store::{AuditCtx, Page};

use super::{parse_point, resolve_grid, Reporter, GRID_MALFORMED, GRID_MISSING, GRID_OUTSIDE};
use crate::auth::session::ClientAddr;
use crate::AppState;

/// The `[open311]` section of the server configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Open311Config {
    /// Keys that may post requests; empty: nobody may.
    pub api_keys: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Splits `name.json` / `name.xml`.
fn split_format(file: &str) -> Option<(&str, Format)> {
    if let Some(stem) = file.strip_suffix(".json") {
        Some((stem, Format::Json))
    } else {
        file.strip_suffix(".xml").map(|stem| (stem, Format::Xml))
    }
}

/// Text escaped for XML, without the control characters XML 1.0 forbids.
fn escape(s: &str) -> String {
    let allowed: String = s
        .chars()
        .filter(|&c| c >= ' ' || matches!(c, '\t' | '\n' | '\r'))
        .collect();
    crate::pages::escape(&allowed)
}

fn xml_doc(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>{body}"),
    )
        .into_response()
}

fn error(format: Format, status: StatusCode, code: &str, message: &str) -> Response {
    let description = format!("{code}: {message}");
    let mut resp = match format {
        Format::Json => axum::Json(json!([{"code": status.as_u16(), "description": description}]))
            .into_response(),
        Format::Xml => xml_doc(format!(
            "<errors><error><code>{}</code><description>{}</description></error></errors>",
            status.as_u16(),
            escape(&description)
        )),
    };
    *resp.status_mut() = status;
    resp
}

fn not_found(format: Format) -> Response {
    error(format, StatusCode::NOT_FOUND, "not_found", "没有找到该对象")
}

/// An answer's object: its fields in the spec's order (XML keeps it).
type Item = Vec<(&'static str, Value)>;

fn to_json(item: &Item) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// Writes `items` (objects of scalars) as the XML `<outer><inner>…`.
fn xml_list(outer: &str, inner: &str, items: &[Item]) -> String {
    let mut out = format!("<{outer}>");
    for item in items {
        out.push_str(&format!("<{inner}>"));
        for (k, v) in item {
            let text = match v {
                Value::Null => String::new(),
                Value::String(s) => escape(s),
                other => escape(&other.to_string()),
            };
            out.push_str(&format!("<{k}>{text}</{k}>"));
        }
        out.push_str(&format!("</{inner}>"));
    }
    out.push_str(&format!("</{outer}>"));
    out
}

fn answer(format: Format, outer: &str, inner: &str, items: Vec<Item>) -> Response {
    match format {
        Format::Json => {
            axum::Json(Value::Array(items.iter().map(to_json).collect())).into_response()
        }
        Format::Xml => xml_doc(xml_list(outer, inner, &items)),
    }
}

fn services_list(app: &AppState) -> Vec<Item> {
    app.events
        .workflow
        .config()
        .categories
        .iter()
        .map(|c| {
            vec![
                ("service_code", json!(c.code)),
                ("service_name", json!(c.name)),
                (
                    "description",
                    json!(format!("{}（办结时限 {}）", c.name, c.overall.label())),
                ),
                ("metadata", json!(true)),
                ("type", json!("realtime")),
                ("keywords", json!("")),
                ("group", json!("网格事件")),
            ]
        })
        .collect()
}

/// `GET /open311/v2/services.json` and `.xml` (the route is
/// `/open311/v2/{file}`, shared with `requests.*`).
pub async fn root_get(
    State(app): State<AppState>,
    Path(file): Path<String>,
    raw: axum::extract::RawQuery,
) -> Response {
    match split_format(&file) {
        Some(("services", format)) => answer(format, "services", "service", services_list(&app)),
        Some(("requests", format)) => list_requests(&app, format, raw.0.as_deref()).await,
        Some((_, format)) => not_found(format),
        None => not_found(Format::Json),
    }
}

/// `GET /open311/v2/services/{code}.json`: the service definition.
pub async fn service_definition(State(app): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split_format(&file) else {
        return not_found(Format::Json);
    };
    if app.events.workflow.category(code).is_none() {
        return not_found(format);
    }
    let attribute: Item = vec![
        ("variable", json!(true)),
        ("code", json!("grid_code")),
        ("datatype", json!("string")),
        ("required", json!(false)),
        (
            "datatype_description",
            json!("15 位数字网格编码（见门牌二维码）；不填时按 lat/long 所在网格"),
        ),
        ("order", json!(1)),
        ("description", json!("网格编码")),
    ];
    match format {
        Format::Json => axum::Json(json!({"service_code": code, "attributes": [to_json(&attribute)]})).into_response(),
        Format::Xml => xml_doc(format!(
            "<service_definition><service_code>{}</service_code><attributes>{}</attributes></service_definition>",
            escape(code),
            xml_list("attribute_list", "attribute", &[attribute])
                .trim_start_matches("<attribute_list>")
                .trim_end_matches("</attribute_list>")
        )),
    }
}

fn status_of(row: &CaseRow) -> &'static str {
    match row.stage.as_str() {
        "closed" | "evaluated" | "rejected" => "closed",
        _ => "open",
    }
}

fn request_json(app: &AppState, row: &CaseRow) -> Item {
    let stage = Stage::ALL.iter().find(|s| s.code() == row.stage);
    let service_name = app
        .events
        .workflow
        .category(&row.category)
        .map_or(row.category.as_str(), |c| c.name.as_str());
    let agency = row
        .department
        .as_deref()
        .and_then(|d| app.events.workflow.department(d))
        .map_or("", |d| d.name.as_str());
    vec![
        ("service_request_id", json!(row.number)),
        ("status", json!(status_of(row))),
        ("status_notes", json!(stage.map_or("", |s| s.label()))),
        ("service_name", json!(service_name)),
        ("service_code", json!(row.category)),
        ("agency_responsible", json!(agency)),
        ("service_notice", json!("")),
        (
            "requested_datetime",
            json!(Timestamp::from_micros(row.created_at).to_rfc3339()),
        ),
        (
            "updated_datetime",
            json!(Timestamp::from_micros(row.updated_at).to_rfc3339()),
        ),
        (
            "expected_datetime",
            json!(row
                .overall_due
                .map(|t| Timestamp::from_micros(t).to_rfc3339())),
        ),
        ("address", json!(row.address)),
        ("address_id", json!("")),
        ("zipcode", json!("")),
        ("lat", json!(row.lat)),
        ("long", json!(row.lng)),
        ("media_url", json!("")),
    ]
}

fn pairs(text: Option<&str>) -> Vec<(String, String)> {
    text.and_then(|t| serde_urlencoded::from_str(t).ok())
        .unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn parse_time(text: Option<&str>) -> Result<Option<i64>, ()> {
    text.map(|t| {
        Timestamp::parse_rfc3339(t)
            .map(|ts| ts.micros())
            .map_err(|_| ())
    })
    .transpose()
}

async fn list_requests(app: &AppState, format: Format, raw: Option<&str>) -> Response {
    let q = pairs(raw);
    if let Some(ids) = param(&q, "service_request_id") {
        let mut items = Vec::new();
        for id in ids
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .take(100)
        {
            match app.store.case_by_number(id).await {
                Ok(Some(row)) => items.push(request_json(app, &row)),
                Ok(None) => {}
                Err(_) => {
                    return error(
                        format,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "系统内部错误",
                    )
                }
            }
        }
        return answer(format, "service_requests", "request", items);
    }
    let (Ok(from), Ok(to)) = (
        parse_time(param(&q, "start_date")),
        parse_time(param(&q, "end_date")),
    ) else {
        return error(
            format,
            StatusCode::BAD_REQUEST,
            "invalid_date",
            "日期须为 ISO 8601 格式",
        );
    };
    let stages: Vec<String> = match param(&q, "status") {
        None => vec![],
        Some("open") => Stage::ALL
            .iter()
            .filter(|s| {
                !matches!(
                    s,
                    Stage::New | Stage::Closed | Stage::Evaluated | Stage::Rejected
                )
            })
            .map(|s| s.code().to_owned())
            .collect(),
        Some("closed") => ["closed", "evaluated", "rejected"]
            .map(str::to_owned)
            .to_vec(),
        Some(_) => {
            return error(
                format,
                StatusCode::BAD_REQUEST,
                "invalid_status",
                "status 须为 open 或 closed",
            )
        }
    };
    let query = CaseQuery {
        stages,
        category: param(&q, "service_code").map(str::to_owned),
        created_from: from,
        created_to: to,
        ..Default::default()
    };
    match app.store.list_cases(&query, Page::number(1, 1000)).await {
        Ok(page) => answer(
            format,
            "service_requests",
            "request",
            page.items.iter().map(|r| request_json(app, r)).collect(),
        ),
        Err(_) => error(
            format,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "系统内部错误",
        ),
    }
}

/// `GET /open311/v2/requests/{id}.json`
pub async fn one_request(State(app): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = split_format(&file) else {
        return not_found(Format::Json);
    };
    match app.store.case_by_number(id).await {
        Ok(Some(row)) => answer(
            format,
            "service_requests",
            "request",
            vec![request_json(&app, &row)],
        ),
        Ok(None) => not_found(format),
        Err(_) => error(
            format,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "系统内部错误",
        ),
    }
}

/// The position of `key` among the configured keys, compared in constant
/// time per key.
fn key_index(keys: &[String], key: &str) -> Option<usize> {
    let mut found = None;
    for (i, k) in keys.iter().enumerate() {
        let same = k.len() == key.len()
            && k.bytes()
                .zip(key.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same && !k.is_empty() {
            found = Some(i);
        }
    }
    found
}

/// `POST /open311/v2/requests.json` and `.xml` (route `/open311/v2/{file}`).
pub async fn root_post(
    State(app): State<AppState>,
    Path(file): Path<String>,
    addr: Extension<ClientAddr>,
    body: Bytes,
) -> Response {
    let format = match split_format(&file) {
        Some(("requests", format)) => format,
        Some((_, format)) => return not_found(format),
        None => return not_found(Format::Json),
    };
    let form = pairs(std::str::from_utf8(&body).ok());
    let Some(client) =
        param(&form, "api_key").and_then(|k| key_index(&app.config.open311.api_keys, k))
    else {
        return error(
            format,
            StatusCode::FORBIDDEN,
            "invalid_api_key",
            "API 密钥无效",
        );
    };
    let Some(service_code) = param(&form, "service_code") else {
        return error(
            format,
            StatusCode::BAD_REQUEST,
            "service_code_required",
            "缺少 service_code",
        );
    };
    let point = match parse_point(
        param(&form, "long").unwrap_or(""),
        param(&form, "lat").unwrap_or(""),
    ) {
        Ok(p) => p,
        Err(_) => {
            return error(
                format,
                StatusCode::BAD_REQUEST,
                "invalid_point",
                "lat 和 long 须为 WGS84 坐标",
            )
        }
    };
    let given = param(&form, "attribute[grid_code]").unwrap_or("");
    let grid_code = match resolve_grid(&app, given, point).await {
        Ok(Ok(code)) => code,
        Ok(Err(message)) => {
            let code = match message {
                GRID_MALFORMED | GRID_MISSING => "grid_code_required",
                GRID_OUTSIDE => "outside_grids",
                _ => "unknown_grid",
            };
            return error(format, StatusCode::BAD_REQUEST, code, message);
        }
        Err(_) => {
            return error(
                format,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "系统内部错误",
            )
        }
    };
    let report = Report {
        category: service_code.to_owned(),
        description: param(&form, "description").unwrap_or("").to_owned(),
        address: param(&form, "address_string").unwrap_or("").to_owned(),
        area: grid_code,
        point,
        photos: param(&form, "media_url")
            .map(|u| vec![u.to_owned()])
            .unwrap_or_default(),
    };
    let client_name = format!("open311-client-{}", client + 1);
    let ctx = AuditCtx {
        actor_id: None,
        actor_name: client_name.clone(),
        client_addr: addr.0 .0.clone(),
        at: app.clock.now().micros(),
    };
    let reporter = Reporter {
        actor: Actor::new(client_name, "resident"),
        kind: "open311",
        account: None,
    };
    match super::report(&app, &ctx, reporter, report, vec![]).await {
        Ok(Ok(row)) => answer(
            format,
            "service_requests",
            "request",
            vec![vec![
                ("service_request_id", json!(row.number)),
                ("service_notice", json!("已受理，网格长将尽快核实处理")),
                ("account_id", Value::Null),
            ]],
        ),
        Ok(Err(refusal)) => error(
            format,
            StatusCode::BAD_REQUEST,
            refusal.code(),
            refusal.message_zh(),
        ),
        Err(_) => error(
            format,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "系统内部错误",
        ),
    }
}
