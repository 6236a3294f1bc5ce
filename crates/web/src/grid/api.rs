//! Open data: the grid look-up by point and every grid boundary as GeoJSON.
//!
//! `GET /api/v1/grid/lookup?lng=…&lat=…` takes WGS84 decimal degrees and
//! answers the grid that holds the point (the look-up's ranking: a
//! specialised grid before the comprehensive grid under it; on a line
//! between grids, the smaller code) with its leader's official contact.
//! Outside every grid it answers 404 with the stable code `outside_grids`;
//! missing or malformed numbers answer 400 `bad_request`.
//!
//! `GET /api/v1/grid/lookup?address=…` takes a standard address instead
//! (`人民路18号3幢`, typed as people type it) and answers the same, for
//! the grid of the registered building (or of every building behind the
//! door number, when they are all in one grid), with the matched `address`.
//! An address that matches no building, or whose door number's buildings
//! lie in several grids, answers 404 `address_not_found`; text that is not
//! an address answers 400 `bad_request`, saying what is missing.
//!
//! `GET /api/v1/grids.geojson` is a GeoJSON (RFC 7946) FeatureCollection of
//! every grid's current boundary with its code, kind and name.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};
use utoipa::{IntoParams, ToSchema};
use yiwang_grid::{feature_collection, GridKind, LngLat};
use yiwang_store::grid::DirectoryEntry;

use super::pages::entry;
use super::places::{find_by_address, AddressFound};
use crate::error::{ApiError, AppError};
use crate::AppState;

/// A point in WGS84 decimal degrees, or a standard address.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupParams {
    /// A standard address, e.g. 人民路18号3幢; when given, lng and lat
    /// are not read.
    pub address: Option<String>,
    /// Longitude, −180…180, e.g. 121.07.
    pub lng: Option<String>,
    /// Latitude, −90…90, e.g. 32.06.
    pub lat: Option<String>,
}

/// The grid holding a point.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridLookupData {
    /// 15 digits: district 6 + street 3 + community 3 + grid 3.
    pub code: String,
    /// `comprehensive` or `specialised.<type>` (school, hospital, park,
    /// enterprise, market, industrial_park, institution, transport).
    pub kind: String,
    /// The kind in Chinese.
    pub kind_label: String,
    pub name: String,
    pub community_code: String,
    pub community_name: String,
    pub street_code: String,
    pub street_name: String,
    /// The grid leader's name.
    pub leader_name: Option<String>,
    /// The grid leader's official phone.
    pub leader_phone: Option<String>,
    /// The grid's area in square metres (geodesic, two decimals).
    pub area_m2: String,
    /// Whether the point lies on the grid's boundary line rather than inside.
    pub on_boundary: bool,
    /// The registered address that matched (address look-ups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl GridLookupData {
    fn of(e: &DirectoryEntry, kind_label: String) -> GridLookupData {
        GridLookupData {
            code: e.grid.code.clone(),
            kind_label,
            kind: e.grid.kind.clone(),
            name: e.grid.name.clone(),
            community_code: e.grid.community_code.clone(),
            community_name: e.community_name.clone(),
            street_code: e.street_code.clone(),
            street_name: e.street_name.clone(),
            leader_name: e.leader.as_ref().map(|l| l.name.clone()),
            leader_phone: e.leader.as_ref().map(|l| l.official_phone.clone()),
            area_m2: format!("{}.{:02}", e.grid.area_centi / 100, e.grid.area_centi % 100),
            on_boundary: false,
            address: None,
        }
    }
}

/// The look-up by address.
async fn by_address(app: &AppState, text: &str) -> Result<GridLookupData, ApiError> {
    let not_found = |message: &str| AppError::Absent {
        code: "address_not_found",
        message: message.to_owned(),
    };
    let found = find_by_address(app, text).await.map_err(|e| match e {
        AppError::Invalid(fields) => AppError::BadRequest(
            fields
                .into_iter()
                .next()
                .map_or_else(String::new, |f| f.message),
        ),
        other => other,
    })?;
    match found {
        AddressFound::Grid { address, grid_code } => {
            let (_, e) = entry(app, &grid_code).await?;
            let kind_label = GridKind::from_code(&e.grid.kind)
                .map_or_else(|| e.grid.kind.clone(), |k| k.label());
            let mut data = GridLookupData::of(&e, kind_label);
            data.address = Some(address);
            Ok(data)
        }
        AddressFound::Several(_) => {
            Err(not_found("该门牌号下的楼栋分属不同网格：请补充楼栋号，例如“人民路18号3幢”").into())
        }
        AddressFound::Nothing => {
            Err(not_found("没有找到该地址的楼栋：请核对路名和门牌号，或在地图上点选位置").into())
        }
    }
}

/// `GET /api/v1/grid/lookup`
#[utoipa::path(get, path = "/api/v1/grid/lookup", tag = "grid", params(LookupParams),
    responses((status = 200, body = GridLookupData),
        (status = 400, description = "bad_request: lng or lat missing, not a number, or out of range; or an address that is not one", body = crate::api::ErrorBody),
        (status = 404, description = "outside_grids: the point lies in no grid; address_not_found: no registered building matches the address, or its door number's buildings lie in several grids", body = crate::api::ErrorBody)))]
pub async fn lookup(
    State(app): State<AppState>,
    Query(p): Query<LookupParams>,
) -> Result<Json<GridLookupData>, ApiError> {
    if let Some(address) = p.address.as_deref().filter(|a| !a.trim().is_empty()) {
        return by_address(&app, address).await.map(Json);
    }
    let (Some(lng), Some(lat)) = (p.lng.as_deref(), p.lat.as_deref()) else {
        return Err(AppError::BadRequest(
            "请同时提供经度 lng 和纬度 lat（WGS84 十进制度）".to_owned(),
        )
        .into());
    };
    let point = LngLat::parse(lng, lat).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let map = app.grid_map.get(&*app.store).await?;
    let hit = map.index.lookup(point).ok_or_else(|| AppError::Absent {
        code: "outside_grids",
        message: "该位置不在任何网格内".to_owned(),
    })?;
    let (_, e) = entry(&app, &hit.code.to_string()).await?;
    let mut data = GridLookupData::of(&e, hit.kind.label());
    data.on_boundary = hit.on_boundary;
    Ok(Json(data))
}

/// `GET /api/v1/grids.geojson`
#[utoipa::path(get, path = "/api/v1/grids.geojson", tag = "grid",
    responses((status = 200, description = "A GeoJSON FeatureCollection: one Polygon feature per grid, WGS84, with properties code, kind and name", content_type = "application/geo+json", body = Object)))]
pub async fn geojson(State(app): State<AppState>) -> Result<Response, ApiError> {
    let map = app.grid_map.get(&*app.store).await?;
    let collection = feature_collection(map.shapes.iter().map(|s| {
        let mut properties = Map::new();
        properties.insert("code".to_owned(), json!(s.code.to_string()));
        properties.insert("kind".to_owned(), json!(s.kind.code()));
        properties.insert("name".to_owned(), json!(s.name));
        (properties, &s.boundary)
    }));
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        collection.to_string(),
    )
        .into_response())
}
