//! The topology check: are the grids a proper partition?
//!
//! Filing (备案) a district's grids means the lines are right: the
//! comprehensive grids of a community tile it with no overlap and no gap,
//! and every grid lies within its community. The check reports every
//! violation with its area in square metres (geodesic), so that a supervisor
//! can tell a surveying slip of a few square metres from a missing block:
//!
//! - [`Issue::Overlap`]: two comprehensive grids, or two specialised grids,
//!   share area. (A specialised grid is meant to sit on a comprehensive one;
//!   that is not an overlap.)
//! - [`Issue::Gap`]: part of a community covered by none of its
//!   comprehensive grids.
//! - [`Issue::Outside`]: part of a grid outside its community's boundary.
//! - [`Issue::NoCommunity`]: a grid whose community has no boundary in the
//!   check.
//!
//! Areas below the tolerance (by default [`DEFAULT_TOLERANCE_M2`]) are
//! floating-point noise along shared edges and are not reported. The
//! polygon operations are geo's `BooleanOps`.

use std::collections::BTreeMap;

use geo::{BooleanOps, GeodesicArea, InteriorPoint, MultiPolygon};

use crate::code::{CommunityCode, GridCode};
use crate::geometry::{Boundary, LngLat};
use crate::kind::GridKind;

/// Areas smaller than this (m²) are not reported.
pub const DEFAULT_TOLERANCE_M2: f64 = 1.0;

/// One violation.
#[derive(Debug, Clone, PartialEq)]
pub enum Issue {
    /// Two grids of the same kind share `area_m2`.
    Overlap {
        a: GridCode,
        b: GridCode,
        area_m2: f64,
    },
    /// `area_m2` of the community lies in none of its comprehensive grids;
    /// `at` is a point inside the (largest piece of the) gap.
    Gap {
        community: CommunityCode,
        area_m2: f64,
        at: Option<LngLat>,
    },
    /// `area_m2` of the grid lies outside its community.
    Outside { grid: GridCode, area_m2: f64 },
    /// The grid's community has no boundary to check against.
    NoCommunity { grid: GridCode },
}

impl Issue {
    /// The issue in Chinese, for the check's page.
    pub fn describe(&self) -> String {
        match self {
            Issue::Overlap { a, b, area_m2 } => {
                format!("网格 {a} 与 {b} 重叠 {area_m2:.1} 平方米")
            }
            Issue::Gap {
                community, area_m2, ..
            } => format!("社区 {community} 有 {area_m2:.1} 平方米未被任何综合网格覆盖"),
            Issue::Outside { grid, area_m2 } => {
                format!("网格 {grid} 有 {area_m2:.1} 平方米超出所属社区边界")
            }
            Issue::NoCommunity { grid } => format!("网格 {grid} 的所属社区没有边界，无法检查"),
        }
    }

    /// The grids the issue is about (none for a gap).
    pub fn grids(&self) -> Vec<GridCode> {
        match self {
            Issue::Overlap { a, b, .. } => vec![*a, *b],
            Issue::Outside { grid, .. } | Issue::NoCommunity { grid } => vec![*grid],
            Issue::Gap { .. } => Vec::new(),
        }
    }
}

fn area(shape: &MultiPolygon<f64>) -> f64 {
    shape.geodesic_area_unsigned()
}

/// Checks the grids against each other and their communities; issues come
/// overlaps first (by codes), then gaps, then grids outside.
pub fn check(
    communities: &[(CommunityCode, &Boundary)],
    grids: &[(GridCode, GridKind, &Boundary)],
    tolerance_m2: f64,
) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut sorted: Vec<&(GridCode, GridKind, &Boundary)> = grids.iter().collect();
    sorted.sort_by_key(|g| g.0);
    let boxes: Vec<_> = sorted.iter().map(|g| g.2.bbox()).collect();

    // Overlaps: pairs of the same kind whose boxes overlap with some width.
    for i in 0..sorted.len() {
        for j in i + 1..sorted.len() {
            let (a, b) = (boxes[i], boxes[j]);
            if a.max().x <= b.min().x
                || b.max().x <= a.min().x
                || a.max().y <= b.min().y
                || b.max().y <= a.min().y
            {
                continue;
            }
            if sorted[i].1.is_comprehensive() != sorted[j].1.is_comprehensive() {
                continue;
            }
            let shared = sorted[i].2.polygon().intersection(sorted[j].2.polygon());
            let area_m2 = area(&shared);
            if area_m2 >= tolerance_m2 {
                issues.push(Issue::Overlap {
                    a: sorted[i].0,
                    b: sorted[j].0,
                    area_m2,
                });
            }
        }
    }

    let community_of: BTreeMap<CommunityCode, &Boundary> = communities.iter().copied().collect();

    // Gaps: each community less the union of its comprehensive grids.
    for (community, boundary) in &community_of {
        let tiles: Vec<_> = sorted
            .iter()
            .filter(|g| g.0.community() == *community && g.1.is_comprehensive())
            .map(|g| g.2.polygon())
            .collect();
        let covered = geo::unary_union(tiles);
        let gap = MultiPolygon::new(vec![boundary.polygon().clone()]).difference(&covered);
        let area_m2 = area(&gap);
        if area_m2 >= tolerance_m2 {
            let largest = gap.0.iter().max_by(|a, b| {
                a.geodesic_area_unsigned()
                    .total_cmp(&b.geodesic_area_unsigned())
            });
            issues.push(Issue::Gap {
                community: *community,
                area_m2,
                at: largest.and_then(|p| p.interior_point()).map(|p| LngLat {
                    lng: p.x(),
                    lat: p.y(),
                }),
            });
        }
    }

    // Grids outside their community.
    for grid in &sorted {
        match community_of.get(&grid.0.community()) {
            Some(boundary) => {
                let outside = grid.2.polygon().difference(boundary.polygon());
                let area_m2 = area(&outside);
                if area_m2 >= tolerance_m2 {
                    issues.push(Issue::Outside {
                        grid: grid.0,
                        area_m2,
                    });
                }
            }
            None => issues.push(Issue::NoCommunity { grid: grid.0 }),
        }
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::SpecialisedType;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Boundary {
        Boundary::from_ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]).unwrap()
    }

    fn community(n: u16) -> CommunityCode {
        CommunityCode::parse("320612001001")
            .unwrap()
            .street()
            .community(n)
            .unwrap()
    }

    #[test]
    fn a_clean_tiling_has_no_issues() {
        let c = rect(120.0, 32.0, 120.02, 32.01);
        let g1 = rect(120.0, 32.0, 120.01, 32.01);
        let g2 = rect(120.01, 32.0, 120.02, 32.01);
        let school = rect(120.002, 32.002, 120.004, 32.004);
        let issues = check(
            &[(community(1), &c)],
            &[
                (community(1).grid(1).unwrap(), GridKind::Comprehensive, &g1),
                (community(1).grid(2).unwrap(), GridKind::Comprehensive, &g2),
                (
                    community(1).grid(3).unwrap(),
                    GridKind::Specialised(SpecialisedType::School),
                    &school,
                ),
            ],
            DEFAULT_TOLERANCE_M2,
        );
        assert_eq!(issues, vec![]);
    }

    #[test]
    fn overlaps_gaps_and_outside_are_measured() {
        let c = rect(120.0, 32.0, 120.02, 32.01);
        // g1 overlaps g2 by 0.001° of width; g2 stops short of the east
        // edge by 0.002°; g3 (in community 2, which has no boundary) and g4
        // sticks out of community 1 to the north.
        let g1 = rect(120.0, 32.0, 120.011, 32.01);
        let g2 = rect(120.01, 32.0, 120.018, 32.01);
        let g4 = rect(120.0, 32.005, 120.001, 32.011);
        let g3 = rect(121.0, 32.0, 121.01, 32.01);
        let (c1, c2) = (community(1), community(2));
        let issues = check(
            &[(c1, &c)],
            &[
                (c1.grid(1).unwrap(), GridKind::Comprehensive, &g1),
                (c1.grid(2).unwrap(), GridKind::Comprehensive, &g2),
                (
                    c1.grid(4).unwrap(),
                    GridKind::Specialised(SpecialisedType::Park),
                    &g4,
                ),
                (c2.grid(1).unwrap(), GridKind::Comprehensive, &g3),
            ],
            DEFAULT_TOLERANCE_M2,
        );
        assert_eq!(issues.len(), 4, "{issues:#?}");
        let one_cell = rect(120.0, 32.0, 120.001, 32.01).area_m2();
        let near = |a: f64, b: f64| (a - b).abs() / b < 0.01;
        match &issues[0] {
            Issue::Overlap { a, b, area_m2 } => {
                assert_eq!((*a, *b), (c1.grid(1).unwrap(), c1.grid(2).unwrap()));
                assert!(near(*area_m2, one_cell), "{area_m2} vs {one_cell}");
            }
            other => panic!("{other:?}"),
        }
        match &issues[1] {
            Issue::Gap {
                community,
                area_m2,
                at,
            } => {
                assert_eq!(*community, c1);
                assert!(near(*area_m2, 2.0 * one_cell));
                let at = at.unwrap();
                assert!(at.lng > 120.018 && at.lng < 120.02);
            }
            other => panic!("{other:?}"),
        }
        match &issues[2] {
            Issue::Outside { grid, area_m2 } => {
                assert_eq!(*grid, c1.grid(4).unwrap());
                let sticking_out = rect(120.0, 32.01, 120.001, 32.011).area_m2();
                assert!(near(*area_m2, sticking_out));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            issues[3],
            Issue::NoCommunity {
                grid: c2.grid(1).unwrap()
            }
        );
        assert!(issues[0]
            .describe()
            .starts_with("网格 320612001001001 与 320612001001002 重叠"));
    }
}
