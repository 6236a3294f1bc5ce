-- SQLite's migration 0012 adds indexes that hold every column the grid
-- indicators read, because SQLite groups by sorting every row. PostgreSQL
-- groups by hashing over a parallel scan and needs none; this file keeps
-- the two backends' migration numbers in step.
SELECT 1;
