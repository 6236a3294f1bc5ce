//! Grid governance: the directory, grid pages, door stickers, the look-up
//! and the open data are what the district publishes, for anyone.

use super::Who;

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/grid/directory", Who::Anyone),
    ("GET", "/grid/directory.xlsx", Who::Anyone),
    ("GET", "/grid/grids/{id}", Who::Anyone),
    ("GET", "/grid/grids/{id}/sticker", Who::Anyone),
    ("GET", "/grid/lookup", Who::Anyone),
    ("GET", "/api/v1/grid/lookup", Who::Anyone),
    ("GET", "/api/v1/grids.geojson", Who::Anyone),
];
