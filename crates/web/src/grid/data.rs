//! Between the grid domain and the store: a generated or imported district
//! as a store import, the grid map every look-up uses, and how areas read.
//!
//! # The grid map
//!
//! A point look-up needs every boundary in memory, indexed
//! ([`yiwang_grid::GridIndex`]). Building the index means reading and
//! parsing ~1,200 polygons, so each process keeps one [`GridMap`] and
//! rebuilds it only when the store's [`GridStamp`] moves (a grid added, a
//! filing approved). Reading the stamp is one small query, so a process
//! never answers from lines another process has replaced.

use std::sync::{Arc, RwLock};

use uuid::Uuid;
use yiwang_core::Area;
use yiwang_grid::generate::GeneratedDistrict;
use yiwang_grid::{Boundary, GridCode, GridIndex, GridKind, LngLat};
use yiwang_store::grid::{GridImport, GridStamp, NewGrid, NewStaff, NewUnit, StaffRole, UnitLevel};
use yiwang_store::Store;

use crate::error::AppError;

/// A grid's area for people: m² below one km², km² with two decimals above.
pub fn area_label(area_centi: i64) -> String {
    let m2 = area_centi / 100;
    if m2 >= 1_000_000 {
        format!("{:.2} 平方公里", area_centi as f64 / 100.0 / 1_000_000.0)
    } else {
        format!(
            "{} 平方米",
            Area::from_centi(m2 * 100)
                .format_grouped()
                .trim_end_matches(".00")
        )
    }
}

/// A boundary's geodesic area in hundredths of a m².
pub fn area_centi(boundary: &Boundary) -> i64 {
    (boundary.area_m2() * 100.0).round() as i64
}

/// A generated district as one store import: its units, grids, and one
/// leader per grid (new staff without accounts).
pub fn import_of(district: &GeneratedDistrict) -> GridImport {
    let mut units = vec![NewUnit {
        code: district.code.to_string(),
        level: UnitLevel::District,
        name: district.name.clone(),
        parent_code: None,
        boundary_json: None,
    }];
    units.extend(district.streets.iter().map(|s| NewUnit {
        code: s.code.to_string(),
        level: UnitLevel::Street,
        name: s.name.clone(),
        parent_code: Some(district.code.to_string()),
        boundary_json: None,
    }));
    units.extend(district.communities.iter().map(|c| NewUnit {
        code: c.code.to_string(),
        level: UnitLevel::Community,
        name: c.name.clone(),
        parent_code: Some(c.code.street().to_string()),
        boundary_json: Some(c.boundary.to_geojson_text()),
    }));
    let mut import = GridImport {
        district_code: district.code.to_string(),
        units,
        ..GridImport::default()
    };
    for grid in &district.grids {
        let id = Uuid::now_v7();
        import.grids.push(NewGrid {
            code: grid.code.to_string(),
            kind: grid.kind.code(),
            name: grid.name.clone(),
            community_code: grid.code.community().to_string(),
            boundary_json: grid.boundary.to_geojson_text(),
            area_centi: area_centi(&grid.boundary),
        });
        import.staff.push(NewStaff {
            id,
            name: grid.leader_name.clone(),
            official_phone: grid.leader_phone.clone(),
            user_id: None,
        });
        import
            .assignments
            .push((grid.code.to_string(), id, StaffRole::Leader));
    }
    import
}

/// One grid on the map.
#[derive(Debug, Clone)]
pub struct MapShape {
    pub code: GridCode,
    pub kind: GridKind,
    pub name: String,
    pub boundary: Boundary,
    /// A point inside the grid (not on its line), where a click on it looks.
    pub anchor: LngLat,
}

/// Every grid's current boundary, indexed.
#[derive(Debug)]
pub struct GridMap {
    pub stamp: GridStamp,
    pub index: GridIndex,
    /// In code order.
    pub shapes: Vec<MapShape>,
}

impl GridMap {
    pub fn shape(&self, code: GridCode) -> Option<&MapShape> {
        self.shapes
            .binary_search_by_key(&code, |s| s.code)
            .ok()
            .map(|i| &self.shapes[i])
    }
}

/// The process's [`GridMap`], rebuilt when the store's stamp moves.
#[derive(Debug, Default)]
pub struct MapCache(RwLock<Option<Arc<GridMap>>>);

impl MapCache {
    pub async fn get(&self, store: &dyn Store) -> Result<Arc<GridMap>, AppError> {
        let stamp = store.grid_stamp().await?;
        if let Some(map) = self.0.read().expect("map lock").as_ref() {
            if map.stamp == stamp {
                return Ok(map.clone());
            }
        }
        let rows = store.grid_shapes().await?;
        let mut shapes = Vec::with_capacity(rows.len());
        for row in rows {
            let corrupt =
                |what: &str| AppError::Internal(anyhow::anyhow!("grid {}: {what}", row.code));
            let code = GridCode::parse(&row.code).map_err(|e| corrupt(&e.to_string()))?;
            let kind = GridKind::from_code(&row.kind).ok_or_else(|| corrupt("kind"))?;
            let boundary = Boundary::from_geojson_text(&row.boundary_json)
                .map_err(|e| corrupt(&e.to_string()))?;
            let anchor = boundary.interior_point();
            shapes.push(MapShape {
                code,
                kind,
                name: row.name,
                boundary,
                anchor,
            });
        }
        shapes.sort_by_key(|s| s.code);
        let index = GridIndex::new(shapes.iter().map(|s| (s.code, s.kind, s.boundary.clone())));
        // The stamp read before the shapes: if a change landed in between,
        // the next request sees a newer stamp and rebuilds.
        let map = Arc::new(GridMap {
            stamp,
            index,
            shapes,
        });
        *self.0.write().expect("map lock") = Some(map.clone());
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_read_in_the_right_unit() {
        assert_eq!(area_label(12_345_678), "123,456 平方米");
        assert_eq!(area_label(0), "0 平方米");
        assert_eq!(area_label(1_234_567_800), "12.35 平方公里");
    }
}
