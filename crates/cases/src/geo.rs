//! Points on the map and possible duplicates.
//!
//! Two reports of the same thing are common: a broken manhole cover is seen
//! by the grid worker and by three residents. Before a report is filed,
//! [`possible_duplicates`] suggests the open cases of the same category
//! within 50 m and 7 days, nearest first; a person decides.
//!
//! # Distance
//!
//! Points are WGS84 longitude and latitude in degrees (what phones and the
//! Open311 API give). The distance is the haversine great-circle distance on
//! a sphere of the mean Earth radius R = 6 371 008.8 m (IUGG):
//!
//! ```text
//! a = sin²(Δφ/2) + cos φ₁ · cos φ₂ · sin²(Δλ/2)
//! d = 2R · asin(√a)
//! ```
//!
//! with φ the latitudes and λ the longitudes in radians. Against the WGS84
//! ellipsoid the sphere errs by at most about 0.5 %, a quarter of a metre
//! at 50 m, far below a phone's GPS error; the haversine form stays exact
//! for short distances, where the spherical law of cosines loses precision.
//! Floating point is fine here: a distance is a suggestion, not money.

use crate::state::{CaseState, Stage};
use serde::{Deserialize, Serialize};
use yiwang_core::Timestamp;

/// The mean Earth radius in metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS84 point, in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub lng: f64,
    pub lat: f64,
}

/// A point outside the valid ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("坐标无效：经度应在 -180 至 180 之间，纬度应在 -90 至 90 之间（WGS84）")]
pub struct PointError;

impl Point {
    /// A point, refused unless finite and within ±180° / ±90°.
    pub fn new(lng: f64, lat: f64) -> Result<Point, PointError> {
        let p = Point { lng, lat };
        if p.is_valid() {
            Ok(p)
        } else {
            Err(PointError)
        }
    }

    /// Whether the point is finite and within range (a deserialized point
    /// has not been checked).
    pub fn is_valid(self) -> bool {
        self.lng.is_finite()
            && self.lat.is_finite()
            && (-180.0..=180.0).contains(&self.lng)
            && (-90.0..=90.0).contains(&self.lat)
    }

    /// The haversine distance to `other`, in metres (see the module docs).
    pub fn distance_m(self, other: Point) -> f64 {
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let d_phi = phi2 - phi1;
        let d_lambda = (other.lng - self.lng).to_radians();
        let a =
            (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

/// How near in space and time two reports must be to be suggested as the
/// same matter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DuplicateRule {
    /// At most this far apart, inclusive.
    pub radius_m: f64,
    /// Less than this apart in time, in microseconds (half-open: exactly
    /// the window apart is not a duplicate).
    pub window_micros: i64,
}

impl Default for DuplicateRule {
    /// 50 m and 7 days.
    fn default() -> Self {
        DuplicateRule {
            radius_m: 50.0,
            window_micros: 7 * 24 * 3_600 * 1_000_000,
        }
    }
}

/// A report not yet filed, as the duplicate check sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe<'a> {
    pub category: &'a str,
    pub point: Point,
    pub at: Timestamp,
}

/// An open case that might be the same matter; `key` is whatever the caller
/// identifies cases by.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate<'a, K> {
    pub key: K,
    pub category: &'a str,
    pub point: Point,
    pub reported_at: Timestamp,
}

impl<'a, K> Candidate<'a, K> {
    /// The case `state` as a candidate, if it is still open (reported and
    /// neither rejected nor closed) and was reported with a map point.
    pub fn of_case(key: K, state: &'a CaseState) -> Option<Candidate<'a, K>> {
        let open = !state.stage.is_final() && !matches!(state.stage, Stage::New | Stage::Closed);
        let point = state.report.as_ref()?.point?;
        Some(Candidate {
            key,
            category: state.category.as_deref()?,
            point,
            reported_at: state.reported_at?,
        })
        .filter(|_| open)
    }
}

/// A suggested duplicate and how far away it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion<K> {
    pub key: K,
    pub distance_m: f64,
}

/// The candidates of the probe's category within the rule's radius and time
/// window, nearest first (ties keep the candidates' order). Candidates with
/// an invalid point are skipped.
pub fn possible_duplicates<'a, K: Clone + 'a>(
    probe: &Probe<'_>,
    candidates: impl IntoIterator<Item = &'a Candidate<'a, K>>,
    rule: DuplicateRule,
) -> Vec<Suggestion<K>> {
    let mut found: Vec<Suggestion<K>> = candidates
        .into_iter()
        .filter(|c| c.category == probe.category && c.point.is_valid())
        .filter(|c| (c.reported_at.micros() - probe.at.micros()).abs() < rule.window_micros)
        .filter_map(|c| {
            let d = probe.point.distance_m(c.point);
            (d <= rule.radius_m).then(|| Suggestion {
                key: c.key.clone(),
                distance_m: d,
            })
        })
        .collect();
    found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude on the mean sphere: πR/180 = 111 195.08 m.
        let d = Point::new(121.0, 32.0)
            .unwrap()
            .distance_m(Point::new(121.0, 33.0).unwrap());
        assert!((d - 111_195.08).abs() < 0.01, "{d}");
        // One degree of longitude at 60° is half that.
        let d = Point::new(0.0, 60.0)
            .unwrap()
            .distance_m(Point::new(1.0, 60.0).unwrap());
        assert!((d - 55_597.54).abs() < 1.0, "{d}");
        let p = Point::new(120.86, 32.01).unwrap();
        assert_eq!(p.distance_m(p), 0.0);
        // Antipodes do not overflow asin.
        let d = Point::new(0.0, 0.0)
            .unwrap()
            .distance_m(Point::new(180.0, 0.0).unwrap());
        assert!((d - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-3);
    }

    #[test]
    fn points_are_checked() {
        assert!(Point::new(181.0, 0.0).is_err());
        assert!(Point::new(0.0, -90.5).is_err());
        assert!(Point::new(f64::NAN, 0.0).is_err());
        assert_eq!(
            PointError.to_string(),
            "坐标无效：经度应在 -180 至 180 之间，纬度应在 -90 至 90 之间（WGS84）"
        );
    }

    #[test]
    fn suggests_same_category_within_50_m_and_7_days_nearest_first() {
        // At latitude 32°, 0.0001° of latitude is 11.1 m.
        let base = Point::new(120.8600, 32.0100).unwrap();
        let north = |m: f64| Point::new(120.86, 32.01 + m / 111_195.08).unwrap();
        let now = at("2026-03-13T10:00:00+08:00");
        let week = 7 * 24 * 3_600 * 1_000_000i64;
        let candidates = [
            Candidate {
                key: 1,
                category: "public_facility",
                point: north(40.0),
                reported_at: at("2026-03-10T10:00:00+08:00"),
            },
            Candidate {
                key: 2,
                category: "public_facility",
                point: north(10.0),
                reported_at: now,
            },
            Candidate {
                key: 3,
                category: "safety_hazard",
                point: base,
                reported_at: now,
            },
            Candidate {
                key: 4,
                category: "public_facility",
                point: north(60.0),
                reported_at: now,
            },
            Candidate {
                key: 5,
                category: "public_facility",
                point: base,
                reported_at: Timestamp::from_micros(now.micros() - week),
            },
            Candidate {
                key: 6,
                category: "public_facility",
                point: base,
                reported_at: Timestamp::from_micros(now.micros() - week + 1),
            },
            Candidate {
                key: 7,
                category: "public_facility",
                point: north(49.9),
                reported_at: Timestamp::from_micros(now.micros() + 3_600_000_000),
            },
        ];
        let probe = Probe {
            category: "public_facility",
            point: base,
            at: now,
        };
        let found = possible_duplicates(&probe, &candidates, DuplicateRule::default());
        let keys: Vec<i32> = found.iter().map(|s| s.key).collect();
        assert_eq!(keys, vec![6, 2, 1, 7]);
        assert!((found[1].distance_m - 10.0).abs() < 0.01);
    }
}
