-- Indexes that hold every column the grid indicators read, so that a
-- year's indicators read the cases once, in the order they are grouped
-- in, instead of every case's row and then a sort of them all (SQLite
-- groups by sorting). Numbered 0012: 0010 and 0011 belong to other work.
--
-- 1. In grid and category order: every level (by the code's prefix) and
--    every category in one pass (`KpiGroup::GridCategory`).
CREATE INDEX cases_kpi_grid_idx ON cases (
    grid_code, category, created_at, department, stage, filed_at, closed_at,
    limit_at, deferred, reworks, extensions, rating, close_working
);

-- 2. In order of the Beijing day of the report (the expression is
--    `yiwang_store::kpi::DAY_NUMBER_SQL`, written the same): the trend by
--    day, read from the first day of the window to the last.
CREATE INDEX cases_kpi_day_idx ON cases (
    ((created_at + 28800000000) / 86400000000), created_at, grid_code, category,
    department, stage, filed_at, closed_at, limit_at, deferred, reworks,
    extensions, rating, close_working
);
