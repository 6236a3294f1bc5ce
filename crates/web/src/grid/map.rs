//! The grid map as server-rendered SVG.
//!
//! Longitude and latitude are drawn equirectangular, with longitude scaled
//! by the cosine of the middle latitude so that a district's shapes are not
//! stretched east–west. Each grid is a polygon inside a link: clicking a
//! grid looks up a point inside it, so the map works without JavaScript,
//! on a phone, and in tests. Comprehensive grids are drawn first and
//! specialised grids on top of them, as the look-up ranks them.

use std::fmt::Write;

use yiwang_grid::{GridCode, LngLat};

use super::data::MapShape;
use crate::pages::escape;

/// The drawing's width in SVG units; its height follows the extent.
const WIDTH: f64 = 800.0;

/// Renders `shapes` (and a marker for a looked-up point) with each grid
/// linking to `href(shape)`; `highlight` is drawn as selected.
pub fn render(
    shapes: &[&MapShape],
    highlight: Option<GridCode>,
    marker: Option<LngLat>,
    href: impl Fn(&MapShape) -> String,
) -> String {
    let Some((min_x, min_y, max_x, max_y)) = extent(shapes, marker) else {
        return String::new();
    };
    let mid = ((min_y + max_y) / 2.0).to_radians().cos();
    let span_x = ((max_x - min_x) * mid).max(1e-9);
    let span_y = (max_y - min_y).max(1e-9);
    let k = WIDTH / span_x;
    let height = (span_y * k).clamp(120.0, 1600.0);
    let k_y = height / span_y;
    let at = |p: LngLat| ((p.lng - min_x) * mid * k, (max_y - p.lat) * k_y);

    let mut out = String::new();
    let _ = write!(
        out,
        "<svg class=\"grid-map\" viewBox=\"-4 -4 {:.0} {:.0}\" width=\"100%\" role=\"img\" aria-label=\"网格地图：点击网格查看其网格长\" xmlns=\"http://www.w3.org/2000/svg\">",
        WIDTH + 8.0,
        height + 8.0
    );
    let mut ordered: Vec<&&MapShape> = shapes.iter().collect();
    ordered.sort_by_key(|s| (!s.kind.is_comprehensive(), s.code));
    for shape in ordered {
        let selected = highlight == Some(shape.code);
        let (fill, stroke) = match (shape.kind.is_comprehensive(), selected) {
            (_, true) => ("#f6c343", "#8a5a00"),
            (true, false) => ("#e7f0fa", "#4a6fa5"),
            (false, false) => ("#d6efd8", "#2e7d32"),
        };
        let mut points = String::new();
        for p in shape.boundary.exterior() {
            let (x, y) = at(p);
            let _ = write!(points, "{x:.1},{y:.1} ");
        }
        let _ = write!(
            out,
            "<a href=\"{}\"><polygon points=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"{}><title>{}（{}）</title></polygon></a>",
            escape(&href(shape)),
            points.trim_end(),
            if selected { "2" } else { "0.6" },
            if selected { " data-selected=\"true\"" } else { "" },
            escape(&shape.name),
            shape.code,
        );
    }
    if let Some(p) = marker {
        let (x, y) = at(p);
        let _ = write!(
            out,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#c62828\" stroke=\"#fff\" stroke-width=\"2\"><title>查询位置</title></circle>"
        );
    }
    out.push_str("</svg>");
    out
}

fn extent(shapes: &[&MapShape], marker: Option<LngLat>) -> Option<(f64, f64, f64, f64)> {
    let mut boxes = shapes.iter().map(|s| {
        let b = s.boundary.bbox();
        (b.min().x, b.min().y, b.max().x, b.max().y)
    });
    let first = boxes
        .next()
        .or(marker.map(|p| (p.lng, p.lat, p.lng, p.lat)))?;
    let mut e = boxes.fold(first, |a, b| {
        (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3))
    });
    if let Some(p) = marker {
        e = (
            e.0.min(p.lng),
            e.1.min(p.lat),
            e.2.max(p.lng),
            e.3.max(p.lat),
        );
    }
    Some(e)
}
