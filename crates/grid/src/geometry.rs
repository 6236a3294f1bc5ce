//! Grid boundaries: polygons in WGS84 longitude/latitude.
//!
//! A [`Boundary`] is one polygon (an exterior ring and optional holes) whose
//! coordinates are degrees of longitude and latitude on WGS84, the datum of
//! GPS and of GeoJSON. Construction validates it — finite coordinates in
//! range, rings closed with at least three distinct points, no
//! self-intersection, holes inside the exterior — so the rest of Yiwang never
//! meets a polygon that the geometry algorithms would misread.
//!
//! Areas are geodesic, in square metres on the WGS84 ellipsoid (geo's
//! `GeodesicArea`, Karney's algorithm), so a grid's area does not depend on
//! a map projection.
//!
//! GeoJSON (RFC 7946) is the exchange format: [`Boundary::from_geojson`]
//! reads a `Polygon` geometry (or a `Feature` holding one) and
//! [`Boundary::to_geojson`] writes one with the exterior ring
//! counter-clockwise and holes clockwise, as the RFC asks.
//! [`parse_feature_collection`] imports a whole file of grids.

use geo::orient::Direction;
use geo::{
    BoundingRect, Contains, Coord, GeodesicArea, InteriorPoint, Intersects, LineString, Orient,
    Point, Polygon, Rect, Validation,
};
use serde_json::{json, Map, Value};

use crate::code::GridCode;
use crate::kind::GridKind;

/// A point in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LngLat {
    pub lng: f64,
    pub lat: f64,
}

/// Why a point was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    #[error("经度应为数字（WGS84 十进制度，例如 120.86），收到“{0}”")]
    LngNotANumber(String),
    #[error("纬度应为数字（WGS84 十进制度，例如 32.07），收到“{0}”")]
    LatNotANumber(String),
    #[error("经度应在 -180 到 180 之间")]
    LngOutOfRange,
    #[error("纬度应在 -90 到 90 之间")]
    LatOutOfRange,
}

impl LngLat {
    /// A point from numbers, checked to be finite and in range.
    pub fn new(lng: f64, lat: f64) -> Result<LngLat, PointError> {
        if !lng.is_finite() || !(-180.0..=180.0).contains(&lng) {
            return Err(PointError::LngOutOfRange);
        }
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(PointError::LatOutOfRange);
        }
        Ok(LngLat { lng, lat })
    }

    /// A point from the text a user or a client sent (`"120.86"`, `"32.07"`).
    pub fn parse(lng: &str, lat: &str) -> Result<LngLat, PointError> {
        let number = |text: &str| {
            let text = text.trim();
            // `f64::from_str` accepts "inf" and "NaN"; a coordinate is a
            // plain decimal.
            if text.is_empty()
                || !text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
            {
                return None;
            }
            text.parse::<f64>().ok()
        };
        let x = number(lng).ok_or_else(|| PointError::LngNotANumber(lng.to_owned()))?;
        let y = number(lat).ok_or_else(|| PointError::LatNotANumber(lat.to_owned()))?;
        LngLat::new(x, y)
    }

    pub(crate) fn point(self) -> Point<f64> {
        Point::new(self.lng, self.lat)
    }
}

/// Why a boundary was refused; displays in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundaryError {
    #[error("边界不是有效的 JSON：{0}")]
    Json(String),
    #[error("边界应为 GeoJSON 的 Polygon（面），收到的是 {0}")]
    NotAPolygon(String),
    #[error("边界坐标格式不对：{0}")]
    Shape(String),
    #[error("边界坐标超出 WGS84 经纬度范围，或不是有限数字")]
    OutOfRange,
    #[error("边界的环应首尾闭合且至少有 3 个不同的顶点")]
    Ring,
    #[error("边界几何无效：{0}")]
    Invalid(String),
}

/// A grid's or community's boundary: one valid polygon in WGS84 degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    polygon: Polygon<f64>,
}

impl Boundary {
    /// Validates a polygon as a boundary.
    pub fn new(polygon: Polygon<f64>) -> Result<Boundary, BoundaryError> {
        for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
            if ring.coords().any(|c| {
                !c.x.is_finite() || !c.y.is_finite() || c.x.abs() > 180.0 || c.y.abs() > 90.0
            }) {
                return Err(BoundaryError::OutOfRange);
            }
            let mut distinct: Vec<Coord<f64>> = Vec::new();
            for c in ring.coords() {
                if !distinct.contains(c) {
                    distinct.push(*c);
                }
            }
            if distinct.len() < 3 || !ring.is_closed() {
                return Err(BoundaryError::Ring);
            }
        }
        if let Err(e) = polygon.check_validation() {
            return Err(BoundaryError::Invalid(e.to_string()));
        }
        // Geodesic areas read a clockwise exterior as the rest of the
        // globe: keep the exterior counter-clockwise, holes clockwise.
        Ok(Boundary {
            polygon: polygon.orient(Direction::Default),
        })
    }

    /// A boundary with no holes from its exterior ring's vertices; the ring
    /// is closed here when the last vertex does not repeat the first.
    pub fn from_ring(points: &[(f64, f64)]) -> Result<Boundary, BoundaryError> {
        let mut coords: Vec<Coord<f64>> = points.iter().map(|&(x, y)| Coord { x, y }).collect();
        if coords.first() != coords.last() {
            if let Some(first) = coords.first().copied() {
                coords.push(first);
            }
        }
        Boundary::new(Polygon::new(LineString::new(coords), Vec::new()))
    }

    pub fn polygon(&self) -> &Polygon<f64> {
        &self.polygon
    }

    /// The geodesic area in square metres.
    pub fn area_m2(&self) -> f64 {
        self.polygon.geodesic_area_unsigned()
    }

    /// The smallest lng/lat rectangle around the boundary.
    pub fn bbox(&self) -> Rect<f64> {
        self.polygon
            .bounding_rect()
            .expect("a validated boundary has vertices")
    }

    /// Whether the point lies inside, not on the boundary line.
    pub fn contains(&self, point: LngLat) -> bool {
        self.polygon.contains(&point.point())
    }

    /// Whether the point lies inside or on the boundary line.
    pub fn covers(&self, point: LngLat) -> bool {
        self.polygon.intersects(&point.point())
    }

    /// A point inside the boundary, off its line (geo's interior point),
    /// where a label or a click for this boundary belongs.
    pub fn interior_point(&self) -> LngLat {
        let p = self
            .polygon
            .interior_point()
            .expect("a validated polygon has an interior point");
        LngLat {
            lng: p.x(),
            lat: p.y(),
        }
    }

    /// The exterior ring's vertices, closed (the last repeats the first).
    pub fn exterior(&self) -> impl Iterator<Item = LngLat> + '_ {
        self.polygon
            .exterior()
            .coords()
            .map(|c| LngLat { lng: c.x, lat: c.y })
    }

    /// Reads a GeoJSON `Polygon` geometry, or a `Feature` whose geometry is
    /// one.
    pub fn from_geojson(value: &Value) -> Result<Boundary, BoundaryError> {
        let geometry = match value.get("type").and_then(Value::as_str) {
            Some("Feature") => value
                .get("geometry")
                .ok_or_else(|| BoundaryError::Shape("Feature 缺少 geometry".to_owned()))?,
            _ => value,
        };
        match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => {}
            Some(other) => return Err(BoundaryError::NotAPolygon(other.to_owned())),
            None => return Err(BoundaryError::NotAPolygon("缺少 type 的对象".to_owned())),
        }
        let rings = geometry
            .get("coordinates")
            .and_then(Value::as_array)
            .ok_or_else(|| BoundaryError::Shape("coordinates 应为环的数组".to_owned()))?;
        let mut parsed: Vec<LineString<f64>> = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            let positions = ring
                .as_array()
                .ok_or_else(|| BoundaryError::Shape(format!("第{}个环应为坐标数组", r + 1)))?;
            let mut coords = Vec::with_capacity(positions.len());
            for (p, position) in positions.iter().enumerate() {
                let pair = position
                    .as_array()
                    .filter(|a| a.len() >= 2)
                    .ok_or_else(|| {
                        BoundaryError::Shape(format!(
                            "第{}个环的第{}个坐标应为 [经度, 纬度]",
                            r + 1,
                            p + 1
                        ))
                    })?;
                let (Some(x), Some(y)) = (pair[0].as_f64(), pair[1].as_f64()) else {
                    return Err(BoundaryError::Shape(format!(
                        "第{}个环的第{}个坐标应为数字",
                        r + 1,
                        p + 1
                    )));
                };
                coords.push(Coord { x, y });
            }
            parsed.push(LineString::new(coords));
        }
        let mut rings = parsed.into_iter();
        let exterior = rings
            .next()
            .ok_or_else(|| BoundaryError::Shape("Polygon 至少要有一个外环".to_owned()))?;
        Boundary::new(Polygon::new(exterior, rings.collect()))
    }

    /// Reads the JSON text of a GeoJSON `Polygon` (as stored).
    pub fn from_geojson_text(text: &str) -> Result<Boundary, BoundaryError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| BoundaryError::Json(e.to_string()))?;
        Boundary::from_geojson(&value)
    }

    /// The GeoJSON `Polygon` geometry, exterior counter-clockwise.
    pub fn to_geojson(&self) -> Value {
        let oriented = &self.polygon;
        let ring = |line: &LineString<f64>| -> Value {
            Value::Array(line.coords().map(|c| json!([c.x, c.y])).collect())
        };
        let mut rings = vec![ring(oriented.exterior())];
        rings.extend(oriented.interiors().iter().map(ring));
        json!({ "type": "Polygon", "coordinates": rings })
    }

    /// [`Boundary::to_geojson`] as compact JSON text (as stored).
    pub fn to_geojson_text(&self) -> String {
        self.to_geojson().to_string()
    }
}

/// One grid read from a GeoJSON file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedGrid {
    pub code: GridCode,
    /// The `name` property, when there is one.
    pub name: Option<String>,
    /// The `kind` property (`comprehensive`, `specialised.school`…), when
    /// there is one.
    pub kind: Option<GridKind>,
    pub boundary: Boundary,
}

/// A problem with one feature of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第{feature}个要素：{message}")]
pub struct ImportError {
    /// 1-based position of the feature in the file.
    pub feature: usize,
    pub message: String,
}

/// Reads a GeoJSON `FeatureCollection` of grids: each feature's geometry is
/// its boundary (a `Polygon`) and its properties carry `code` (15 digits)
/// and optionally `name` and `kind`. Either every feature is good and all
/// are returned, or every bad one is reported and none is.
pub fn parse_feature_collection(text: &str) -> Result<Vec<ImportedGrid>, Vec<ImportError>> {
    let whole = |message: String| {
        vec![ImportError {
            feature: 0,
            message,
        }]
    };
    let value: Value =
        serde_json::from_str(text).map_err(|e| whole(format!("不是有效的 JSON：{e}")))?;
    if value.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(whole("文件应为 GeoJSON FeatureCollection".to_owned()));
    }
    let features = value
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| whole("FeatureCollection 缺少 features 数组".to_owned()))?;
    let mut grids = Vec::with_capacity(features.len());
    let mut errors = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let fail = |message: String| ImportError {
            feature: i + 1,
            message,
        };
        let empty = Map::new();
        let properties = feature
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let code = match properties.get("code").and_then(Value::as_str) {
            Some(text) => match GridCode::parse(text) {
                Ok(code) => code,
                Err(e) => {
                    errors.push(fail(e.to_string()));
                    continue;
                }
            },
            None => {
                errors.push(fail("properties 缺少网格编码 code".to_owned()));
                continue;
            }
        };
        let kind = match properties.get("kind").and_then(Value::as_str) {
            Some(text) => match GridKind::from_code(text) {
                Some(kind) => Some(kind),
                None => {
                    errors.push(fail(format!("未知的网格类型 {text}")));
                    continue;
                }
            },
            None => None,
        };
        let geometry = feature.get("geometry").unwrap_or(&Value::Null);
        match Boundary::from_geojson(geometry) {
            Ok(boundary) => grids.push(ImportedGrid {
                code,
                name: properties
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                kind,
                boundary,
            }),
            Err(e) => errors.push(fail(format!("网格 {code}：{e}"))),
        }
    }
    if errors.is_empty() {
        Ok(grids)
    } else {
        Err(errors)
    }
}

/// A GeoJSON `FeatureCollection` of boundaries, each feature with the
/// properties given.
pub fn feature_collection<'a>(
    features: impl IntoIterator<Item = (Map<String, Value>, &'a Boundary)>,
) -> Value {
    let features: Vec<Value> = features
        .into_iter()
        .map(|(properties, boundary)| {
            json!({
                "type": "Feature",
                "geometry": boundary.to_geojson(),
                "properties": properties,
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, side: f64) -> Boundary {
        Boundary::from_ring(&[(x, y), (x + side, y), (x + side, y + side), (x, y + side)]).unwrap()
    }

    #[test]
    fn area_is_geodesic_square_metres() {
        // 0.01° × 0.01° at 32°N: about 1,112 m north-south × 943 m east-west.
        let area = square(120.86, 32.0, 0.01).area_m2();
        assert!((1_040_000.0..1_060_000.0).contains(&area), "{area}");
    }

    #[test]
    fn bad_rings_are_refused() {
        assert_eq!(
            Boundary::from_ring(&[(0.0, 0.0), (1.0, 0.0)]).unwrap_err(),
            BoundaryError::Ring
        );
        assert_eq!(
            Boundary::from_ring(&[(0.0, 0.0), (181.0, 0.0), (1.0, 1.0)]).unwrap_err(),
            BoundaryError::OutOfRange
        );
        // A bow tie crosses itself.
        assert!(matches!(
            Boundary::from_ring(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0)]).unwrap_err(),
            BoundaryError::Invalid(_)
        ));
    }

    #[test]
    fn geojson_round_trips_counter_clockwise() {
        // Written clockwise; exported counter-clockwise.
        let clockwise =
            Boundary::from_ring(&[(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]).unwrap();
        let json = clockwise.to_geojson();
        assert_eq!(
            json,
            json!({"type": "Polygon", "coordinates": [[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]})
        );
        let back = Boundary::from_geojson_text(&json.to_string()).unwrap();
        assert!((back.area_m2() - clockwise.area_m2()).abs() < 1e-6);
        assert!(matches!(
            Boundary::from_geojson(&json!({"type": "Point", "coordinates": [0.0, 0.0]})),
            Err(BoundaryError::NotAPolygon(kind)) if kind == "Point"
        ));
    }

    #[test]
    fn points_parse_strictly() {
        assert_eq!(
            LngLat::parse("120.86", " 32.07").unwrap(),
            LngLat {
                lng: 120.86,
                lat: 32.07
            }
        );
        assert_eq!(
            LngLat::parse("inf", "32").unwrap_err(),
            PointError::LngNotANumber("inf".into())
        );
        assert_eq!(
            LngLat::parse("120", "abc").unwrap_err().to_string(),
            "纬度应为数字（WGS84 十进制度，例如 32.07），收到“abc”"
        );
        assert_eq!(
            LngLat::parse("120", "91").unwrap_err(),
            PointError::LatOutOfRange
        );
    }

    #[test]
    fn feature_collections_import_all_or_nothing() {
        let good = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "320612001001001", "name": "一网格", "kind": "comprehensive"},
             "geometry": square(0.0, 0.0, 1.0).to_geojson()},
        ]});
        let grids = parse_feature_collection(&good.to_string()).unwrap();
        assert_eq!(grids[0].code.to_string(), "320612001001001");
        assert_eq!(grids[0].kind, Some(GridKind::Comprehensive));
        let bad = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": "320612001001001"}, "geometry": square(0.0, 0.0, 1.0).to_geojson()},
            {"type": "Feature", "properties": {"code": "3206"}, "geometry": square(0.0, 0.0, 1.0).to_geojson()},
            {"type": "Feature", "properties": {"code": "320612001001003"}, "geometry": {"type": "LineString", "coordinates": []}},
        ]});
        let errors = parse_feature_collection(&bad.to_string()).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            vec![
                "第2个要素：网格编码应为15位数字，实际为4位".to_owned(),
                "第3个要素：网格 320612001001003：边界应为 GeoJSON 的 Polygon（面），收到的是 LineString"
                    .to_owned(),
            ]
        );
    }
}
