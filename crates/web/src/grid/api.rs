//! Open data: the grid look-up by point and every grid boundary as GeoJSON.
//!
//! `GET /api/v1/grid/lookup?lng=…&lat=…` takes WGS84 decimal degrees and
//! answers the grid that holds the point (the look-up's ranking: a
//! specialised grid before the comprehensive grid under it; on a line
//! between grids, the smaller code) with its leader's official contact.
//! Outside every grid it answers 404 with the stable code `outside_grids`;
//! missing or malformed numbers answer 400 `bad_request`.
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
use yiwang_grid::{feature_collection, LngLat};

use super::pages::entry;
use crate::error::{ApiError, AppError};
use crate::AppState;

/// A point in WGS84 decimal degrees.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupParams {
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
}

/// `GET /api/v1/grid/lookup`
#[utoipa::path(get, path = "/api/v1/grid/lookup", tag = "grid", params(LookupParams),
    responses((status = 200, body = GridLookupData),
        (status = 400, description = "bad_request: lng or lat missing, not a number, or out of range", body = crate::api::ErrorBody),
        (status = 404, description = "outside_grids: the point lies in no grid", body = crate::api::ErrorBody)))]
pub async fn lookup(
    State(app): State<AppState>,
    Query(p): Query<LookupParams>,
) -> Result<Json<GridLookupData>, ApiError> {
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
    Ok(Json(GridLookupData {
        code: e.grid.code.clone(),
        kind_label: hit.kind.label(),
        kind: e.grid.kind.clone(),
        name: e.grid.name.clone(),
        community_code: e.grid.community_code.clone(),
        community_name: e.community_name.clone(),
        street_code: e.street_code.clone(),
        street_name: e.street_name.clone(),
        leader_name: e.leader.as_ref().map(|l| l.name.clone()),
        leader_phone: e.leader.as_ref().map(|l| l.official_phone.clone()),
        area_m2: format!("{}.{:02}", e.grid.area_centi / 100, e.grid.area_centi % 100),
        on_boundary: hit.on_boundary,
    }))
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
