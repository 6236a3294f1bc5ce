//! Property tests: codes print back as parsed, and a tiling answers every
//! point with exactly one grid.

use proptest::prelude::*;
use yiwang_grid::{
    check_topology, Boundary, CommunityCode, GridCode, GridIndex, GridKind, LngLat,
    DEFAULT_TOLERANCE_M2,
};

proptest! {
    #[test]
    fn grid_codes_round_trip(
        district in 110_101u32..=659_099,
        street in 1u16..=999,
        community in 1u16..=999,
        grid in 1u16..=999,
    ) {
        prop_assume!(district % 100 != 0);
        let text = format!("{district:06}{street:03}{community:03}{grid:03}");
        let code = GridCode::parse(&text).unwrap();
        prop_assert_eq!(code.to_string(), text.clone());
        prop_assert_eq!(code.community().to_string(), &text[..12]);
        prop_assert_eq!(code.street().to_string(), &text[..9]);
        prop_assert_eq!(code.district().to_string(), &text[..6]);
        prop_assert_eq!(code.number(), grid);
    }

    #[test]
    fn any_fifteen_characters_parse_or_explain(text in "[0-9a]{13,16}") {
        match GridCode::parse(&text) {
            Ok(code) => prop_assert_eq!(code.to_string(), text),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// A community cut into columns, each column cut into cells at its own
    /// heights: every point of the community lies in the interior of at most
    /// one grid, in exactly one unless it is on a cut, and the look-up
    /// always answers with a grid that covers it.
    #[test]
    fn a_point_in_a_tiling_has_exactly_one_grid(
        columns in prop::collection::vec(
            (1u32..100, prop::collection::vec(1u32..100, 1..5)), 1..6),
        fx in 0.0f64..=1.0,
        fy in 0.0f64..=1.0,
        snap in any::<bool>(),
    ) {
        let (x0, y0, w, h) = (120.80, 32.00, 0.02, 0.015);
        let community: CommunityCode = CommunityCode::parse("320612001001").unwrap();
        let total: u32 = columns.iter().map(|c| c.0).sum();
        let mut grids = Vec::new();
        let mut xs = vec![x0];
        let mut cut_x = 0;
        for (width, rows) in &columns {
            let left = x0 + w * cut_x as f64 / total as f64;
            cut_x += width;
            let right = x0 + w * cut_x as f64 / total as f64;
            xs.push(right);
            let rows_total: u32 = rows.iter().sum();
            let mut cut_y = 0;
            for height in rows {
                let bottom = y0 + h * cut_y as f64 / rows_total as f64;
                cut_y += height;
                let top = y0 + h * cut_y as f64 / rows_total as f64;
                let n = grids.len() as u16 + 1;
                grids.push((
                    community.grid(n).unwrap(),
                    GridKind::Comprehensive,
                    Boundary::from_ring(&[(left, bottom), (right, bottom), (right, top), (left, top)]).unwrap(),
                ));
            }
        }
        let mut lng = x0 + w * fx;
        let lat = y0 + h * fy;
        if snap {
            // Put the point exactly on a vertical cut.
            lng = xs[((fx * (xs.len() - 1) as f64) as usize).min(xs.len() - 1)];
        }
        let point = LngLat { lng, lat };
        let inside: Vec<GridCode> = grids
            .iter()
            .filter(|g| g.2.contains(point))
            .map(|g| g.0)
            .collect();
        prop_assert!(inside.len() <= 1);
        let index = GridIndex::new(grids.clone());
        let hit = index.lookup(point).expect("every point of the community has a grid");
        let covering = grids.iter().find(|g| g.0 == hit.code).unwrap();
        prop_assert!(covering.2.covers(point));
        if let [only] = inside[..] {
            prop_assert_eq!(hit.code, only);
            prop_assert!(!hit.on_boundary);
        } else {
            prop_assert!(hit.on_boundary);
        }
        // The same tiling passes the topology check.
        let outline = Boundary::from_ring(&[(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]).unwrap();
        let refs: Vec<_> = grids.iter().map(|g| (g.0, g.1, &g.2)).collect();
        let issues = check_topology(&[(community, &outline)], &refs, DEFAULT_TOLERANCE_M2);
        prop_assert!(issues.is_empty(), "{:?}", issues);
    }
}
