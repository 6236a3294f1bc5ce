//! Point look-up: which grid holds a point.
//!
//! [`GridIndex`] buckets the grids' bounding boxes into a uniform raster
//! over the area they cover; a look-up finds the point's cell, keeps the
//! grids whose box holds the point, and runs the exact point-in-polygon test
//! (geo's robust predicates) on those few. For a district of ~1,200 grids
//! that is a handful of exact tests per look-up.
//!
//! # Which grid answers
//!
//! A point may lie in several grids: a specialised grid sits on top of a
//! comprehensive one, and a point on the line between two neighbouring
//! grids touches both. The answer is decided, in order, by:
//!
//! 1. a specialised grid before a comprehensive one (the school's grid
//!    answers for the school);
//! 2. a grid whose interior holds the point before one whose boundary line
//!    it lies on;
//! 3. the smaller grid code.
//!
//! So every point in a tiling has exactly one answer, including points on
//! shared edges and corners, and the answer does not depend on the order in
//! which grids were added.

use geo::Rect;

use crate::code::GridCode;
use crate::geometry::{Boundary, LngLat};
use crate::kind::GridKind;

/// Cells per side of the raster (at most; fewer for few grids).
const MAX_SIDE: usize = 64;

#[derive(Debug, Clone)]
struct Entry {
    code: GridCode,
    kind: GridKind,
    boundary: Boundary,
    bbox: Rect<f64>,
}

/// The grids of an area, indexed for point look-up.
#[derive(Debug, Clone)]
pub struct GridIndex {
    entries: Vec<Entry>,
    /// The extent of all boxes; `None` when there are no grids.
    extent: Option<Rect<f64>>,
    side: usize,
    /// `side × side` cells, row-major from the south-west; each lists the
    /// entries whose box meets the cell.
    cells: Vec<Vec<u32>>,
}

/// The grid a look-up found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub code: GridCode,
    pub kind: GridKind,
    /// Whether the point lies on the grid's boundary line rather than inside.
    pub on_boundary: bool,
}

impl GridIndex {
    pub fn new(grids: impl IntoIterator<Item = (GridCode, GridKind, Boundary)>) -> GridIndex {
        let entries: Vec<Entry> = grids
            .into_iter()
            .map(|(code, kind, boundary)| Entry {
                bbox: boundary.bbox(),
                code,
                kind,
                boundary,
            })
            .collect();
        let extent = entries.iter().map(|e| e.bbox).reduce(|a, b| {
            Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        });
        let side = ((entries.len() as f64).sqrt().ceil() as usize).clamp(1, MAX_SIDE);
        let mut index = GridIndex {
            entries,
            extent,
            side,
            cells: vec![Vec::new(); side * side],
        };
        for (i, entry) in index.entries.iter().enumerate() {
            let (x0, y0) = index.cell_of(entry.bbox.min().x, entry.bbox.min().y);
            let (x1, y1) = index.cell_of(entry.bbox.max().x, entry.bbox.max().y);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    index.cells[y * side + x].push(i as u32);
                }
            }
        }
        index
    }

    /// The number of grids indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The extent of every grid, when there is one.
    pub fn extent(&self) -> Option<Rect<f64>> {
        self.extent
    }

    /// The raster cell of a coordinate, clamped to the raster.
    fn cell_of(&self, x: f64, y: f64) -> (usize, usize) {
        let Some(extent) = self.extent else {
            return (0, 0);
        };
        let at = |v: f64, min: f64, span: f64| -> usize {
            if span <= 0.0 {
                return 0;
            }
            let cell = ((v - min) / span * self.side as f64).floor();
            (cell.max(0.0) as usize).min(self.side - 1)
        };
        (
            at(x, extent.min().x, extent.width()),
            at(y, extent.min().y, extent.height()),
        )
    }

    /// Every grid whose closed polygon holds the point, best answer first
    /// (the module's rule).
    pub fn covering(&self, point: LngLat) -> Vec<Hit> {
        let Some(extent) = self.extent else {
            return Vec::new();
        };
        if point.lng < extent.min().x
            || point.lng > extent.max().x
            || point.lat < extent.min().y
            || point.lat > extent.max().y
        {
            return Vec::new();
        }
        let (x, y) = self.cell_of(point.lng, point.lat);
        let mut hits: Vec<Hit> = self.cells[y * self.side + x]
            .iter()
            .map(|&i| &self.entries[i as usize])
            .filter(|e| {
                let b = e.bbox;
                point.lng >= b.min().x
                    && point.lng <= b.max().x
                    && point.lat >= b.min().y
                    && point.lat <= b.max().y
            })
            .filter(|e| e.boundary.covers(point))
            .map(|e| Hit {
                code: e.code,
                kind: e.kind,
                on_boundary: !e.boundary.contains(point),
            })
            .collect();
        hits.sort_by_key(|h| (h.kind.is_comprehensive(), h.on_boundary, h.code));
        hits
    }

    /// The grid that answers for the point, or `None` outside every grid.
    pub fn lookup(&self, point: LngLat) -> Option<Hit> {
        self.covering(point).into_iter().next()
    }

    /// The boundary of an indexed grid.
    pub fn boundary(&self, code: GridCode) -> Option<&Boundary> {
        self.entries
            .iter()
            .find(|e| e.code == code)
            .map(|e| &e.boundary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::SpecialisedType;

    fn code(n: u16) -> GridCode {
        GridCode::parse("320612001001001")
            .unwrap()
            .community()
            .grid(n)
            .unwrap()
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Boundary {
        Boundary::from_ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]).unwrap()
    }

    fn at(lng: f64, lat: f64) -> LngLat {
        LngLat { lng, lat }
    }

    #[test]
    fn specialised_first_then_interior_then_code() {
        let index = GridIndex::new([
            (code(2), GridKind::Comprehensive, rect(1.0, 0.0, 2.0, 1.0)),
            (code(1), GridKind::Comprehensive, rect(0.0, 0.0, 1.0, 1.0)),
            (
                code(3),
                GridKind::Specialised(SpecialisedType::School),
                rect(0.2, 0.2, 0.4, 0.4),
            ),
        ]);
        assert_eq!(index.lookup(at(0.5, 0.5)).unwrap().code, code(1));
        assert_eq!(index.lookup(at(1.5, 0.5)).unwrap().code, code(2));
        assert_eq!(index.lookup(at(0.3, 0.3)).unwrap().code, code(3));
        // On the shared edge: both cover it, the smaller code answers.
        let edge = index.covering(at(1.0, 0.5));
        assert_eq!(edge.len(), 2);
        assert_eq!(edge[0].code, code(1));
        assert!(edge[0].on_boundary);
        // On the outer boundary: still in the grid.
        assert_eq!(index.lookup(at(2.0, 0.5)).unwrap().code, code(2));
        assert!(index.lookup(at(2.0001, 0.5)).is_none());
        assert!(index.lookup(at(-5.0, 0.5)).is_none());
        assert!(GridIndex::new([]).lookup(at(0.0, 0.0)).is_none());
    }
}
