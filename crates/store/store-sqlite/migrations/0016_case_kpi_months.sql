-- Indicator sums per grid, category and Beijing calendar month of the
-- report, kept by triggers on `cases` in the transaction of every case
-- write, so that a month's or a year's indicators read a few rows a grid
-- instead of every case (yiwang_store::kpi, "Rollups").
--
-- Only sums that do not depend on the instant they are judged at are kept:
-- `closed_due` counts filed and closed cases; a filed case still open
-- becomes due when its limit passes, and those are counted from the open
-- cases at query time (the partial index below). A row may fall back to
-- zeros; it is then simply a row of zeros.
--
-- `month` is the UTC instant (µs) of the Beijing month's first midnight.

CREATE TABLE case_kpi_months (
    grid_code TEXT NOT NULL,
    category TEXT NOT NULL,
    month BIGINT NOT NULL,
    reported BIGINT NOT NULL DEFAULT 0,
    valid BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    filed BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    closed_due BIGINT NOT NULL DEFAULT 0,
    deferred_closed_due BIGINT NOT NULL DEFAULT 0,
    on_time BIGINT NOT NULL DEFAULT 0,
    reworked_cases BIGINT NOT NULL DEFAULT 0,
    extended_cases BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    rating_sum BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    close_micros BIGINT NOT NULL DEFAULT 0,
    close_working_micros BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grid_code, category, month)
) WITHOUT ROWID;

CREATE INDEX case_kpi_months_month_idx ON case_kpi_months (month, grid_code, category);

-- Filed cases still open: the ones that may fall due at `now`.
CREATE INDEX cases_open_filed_idx ON cases (created_at)
    WHERE closed_at IS NULL AND filed_at IS NOT NULL;

-- The cases already there.
INSERT INTO case_kpi_months (grid_code, category, month, reported, valid, rejected, filed, closed, closed_due, deferred_closed_due, on_time, reworked_cases, extended_cases, rated, rating_sum, satisfied, close_micros, close_working_micros)
SELECT c.grid_code, c.category, CAST(strftime('%s', (c.created_at + 28800000000) / 1000000, 'unixepoch', 'start of month') AS INTEGER) * 1000000 - 28800000000,
    SUM(1),
    SUM(CASE WHEN c.stage NOT IN ('new', 'reported', 'rejected') THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.stage = 'rejected' THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.filed_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.closed_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.filed_at IS NOT NULL AND c.closed_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.deferred = 1 AND c.filed_at IS NOT NULL AND c.closed_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN NOT c.deferred = 1 AND c.closed_at IS NOT NULL AND c.limit_at IS NOT NULL AND c.closed_at <= c.limit_at THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.reworks > 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.extensions > 0 THEN 1 ELSE 0 END),
    SUM(CASE WHEN c.rating IS NOT NULL THEN 1 ELSE 0 END),
    SUM(COALESCE(c.rating, 0)),
    SUM(CASE WHEN c.rating >= 4 THEN 1 ELSE 0 END),
    SUM(COALESCE(c.closed_at - c.created_at, 0)),
    SUM(CASE WHEN c.closed_at IS NOT NULL THEN COALESCE(c.close_working, 0) ELSE 0 END)
FROM cases c GROUP BY 1, 2, 3;

CREATE TRIGGER cases_kpi_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_kpi_months (grid_code, category, month, reported, valid, rejected, filed, closed, closed_due, deferred_closed_due, on_time, reworked_cases, extended_cases, rated, rating_sum, satisfied, close_micros, close_working_micros)
    VALUES (NEW.grid_code, NEW.category, CAST(strftime('%s', (NEW.created_at + 28800000000) / 1000000, 'unixepoch', 'start of month') AS INTEGER) * 1000000 - 28800000000,
        1,
        CASE WHEN NEW.stage NOT IN ('new', 'reported', 'rejected') THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage = 'rejected' THEN 1 ELSE 0 END,
        CASE WHEN NEW.filed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.closed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.filed_at IS NOT NULL AND NEW.closed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.deferred = 1 AND NEW.filed_at IS NOT NULL AND NEW.closed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NOT NEW.deferred = 1 AND NEW.closed_at IS NOT NULL AND NEW.limit_at IS NOT NULL AND NEW.closed_at <= NEW.limit_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.reworks > 0 THEN 1 ELSE 0 END,
        CASE WHEN NEW.extensions > 0 THEN 1 ELSE 0 END,
        CASE WHEN NEW.rating IS NOT NULL THEN 1 ELSE 0 END,
        COALESCE(NEW.rating, 0),
        CASE WHEN NEW.rating >= 4 THEN 1 ELSE 0 END,
        COALESCE(NEW.closed_at - NEW.created_at, 0),
        CASE WHEN NEW.closed_at IS NOT NULL THEN COALESCE(NEW.close_working, 0) ELSE 0 END)
    ON CONFLICT (grid_code, category, month) DO UPDATE SET
        reported = case_kpi_months.reported + excluded.reported,
        valid = case_kpi_months.valid + excluded.valid,
        rejected = case_kpi_months.rejected + excluded.rejected,
        filed = case_kpi_months.filed + excluded.filed,
        closed = case_kpi_months.closed + excluded.closed,
        closed_due = case_kpi_months.closed_due + excluded.closed_due,
        deferred_closed_due = case_kpi_months.deferred_closed_due + excluded.deferred_closed_due,
        on_time = case_kpi_months.on_time + excluded.on_time,
        reworked_cases = case_kpi_months.reworked_cases + excluded.reworked_cases,
        extended_cases = case_kpi_months.extended_cases + excluded.extended_cases,
        rated = case_kpi_months.rated + excluded.rated,
        rating_sum = case_kpi_months.rating_sum + excluded.rating_sum,
        satisfied = case_kpi_months.satisfied + excluded.satisfied,
        close_micros = case_kpi_months.close_micros + excluded.close_micros,
        close_working_micros = case_kpi_months.close_working_micros + excluded.close_working_micros;
END;

CREATE TRIGGER cases_kpi_update AFTER UPDATE ON cases BEGIN
    INSERT INTO case_kpi_months (grid_code, category, month, reported, valid, rejected, filed, closed, closed_due, deferred_closed_due, on_time, reworked_cases, extended_cases, rated, rating_sum, satisfied, close_micros, close_working_micros)
    VALUES (OLD.grid_code, OLD.category, CAST(strftime('%s', (OLD.created_at + 28800000000) / 1000000, 'unixepoch', 'start of month') AS INTEGER) * 1000000 - 28800000000,
        -(1),
        -(CASE WHEN OLD.stage NOT IN ('new', 'reported', 'rejected') THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.stage = 'rejected' THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.filed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.closed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.filed_at IS NOT NULL AND OLD.closed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.deferred = 1 AND OLD.filed_at IS NOT NULL AND OLD.closed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN NOT OLD.deferred = 1 AND OLD.closed_at IS NOT NULL AND OLD.limit_at IS NOT NULL AND OLD.closed_at <= OLD.limit_at THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.reworks > 0 THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.extensions > 0 THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.rating IS NOT NULL THEN 1 ELSE 0 END),
        -(COALESCE(OLD.rating, 0)),
        -(CASE WHEN OLD.rating >= 4 THEN 1 ELSE 0 END),
        -(COALESCE(OLD.closed_at - OLD.created_at, 0)),
        -(CASE WHEN OLD.closed_at IS NOT NULL THEN COALESCE(OLD.close_working, 0) ELSE 0 END))
    ON CONFLICT (grid_code, category, month) DO UPDATE SET
        reported = case_kpi_months.reported + excluded.reported,
        valid = case_kpi_months.valid + excluded.valid,
        rejected = case_kpi_months.rejected + excluded.rejected,
        filed = case_kpi_months.filed + excluded.filed,
        closed = case_kpi_months.closed + excluded.closed,
        closed_due = case_kpi_months.closed_due + excluded.closed_due,
        deferred_closed_due = case_kpi_months.deferred_closed_due + excluded.deferred_closed_due,
        on_time = case_kpi_months.on_time + excluded.on_time,
        reworked_cases = case_kpi_months.reworked_cases + excluded.reworked_cases,
        extended_cases = case_kpi_months.extended_cases + excluded.extended_cases,
        rated = case_kpi_months.rated + excluded.rated,
        rating_sum = case_kpi_months.rating_sum + excluded.rating_sum,
        satisfied = case_kpi_months.satisfied + excluded.satisfied,
        close_micros = case_kpi_months.close_micros + excluded.close_micros,
        close_working_micros = case_kpi_months.close_working_micros + excluded.close_working_micros;
    INSERT INTO case_kpi_months (grid_code, category, month, reported, valid, rejected, filed, closed, closed_due, deferred_closed_due, on_time, reworked_cases, extended_cases, rated, rating_sum, satisfied, close_micros, close_working_micros)
    VALUES (NEW.grid_code, NEW.category, CAST(strftime('%s', (NEW.created_at + 28800000000) / 1000000, 'unixepoch', 'start of month') AS INTEGER) * 1000000 - 28800000000,
        1,
        CASE WHEN NEW.stage NOT IN ('new', 'reported', 'rejected') THEN 1 ELSE 0 END,
        CASE WHEN NEW.stage = 'rejected' THEN 1 ELSE 0 END,
        CASE WHEN NEW.filed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.closed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.filed_at IS NOT NULL AND NEW.closed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.deferred = 1 AND NEW.filed_at IS NOT NULL AND NEW.closed_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN NOT NEW.deferred = 1 AND NEW.closed_at IS NOT NULL AND NEW.limit_at IS NOT NULL AND NEW.closed_at <= NEW.limit_at THEN 1 ELSE 0 END,
        CASE WHEN NEW.reworks > 0 THEN 1 ELSE 0 END,
        CASE WHEN NEW.extensions > 0 THEN 1 ELSE 0 END,
        CASE WHEN NEW.rating IS NOT NULL THEN 1 ELSE 0 END,
        COALESCE(NEW.rating, 0),
        CASE WHEN NEW.rating >= 4 THEN 1 ELSE 0 END,
        COALESCE(NEW.closed_at - NEW.created_at, 0),
        CASE WHEN NEW.closed_at IS NOT NULL THEN COALESCE(NEW.close_working, 0) ELSE 0 END)
    ON CONFLICT (grid_code, category, month) DO UPDATE SET
        reported = case_kpi_months.reported + excluded.reported,
        valid = case_kpi_months.valid + excluded.valid,
        rejected = case_kpi_months.rejected + excluded.rejected,
        filed = case_kpi_months.filed + excluded.filed,
        closed = case_kpi_months.closed + excluded.closed,
        closed_due = case_kpi_months.closed_due + excluded.closed_due,
        deferred_closed_due = case_kpi_months.deferred_closed_due + excluded.deferred_closed_due,
        on_time = case_kpi_months.on_time + excluded.on_time,
        reworked_cases = case_kpi_months.reworked_cases + excluded.reworked_cases,
        extended_cases = case_kpi_months.extended_cases + excluded.extended_cases,
        rated = case_kpi_months.rated + excluded.rated,
        rating_sum = case_kpi_months.rating_sum + excluded.rating_sum,
        satisfied = case_kpi_months.satisfied + excluded.satisfied,
        close_micros = case_kpi_months.close_micros + excluded.close_micros,
        close_working_micros = case_kpi_months.close_working_micros + excluded.close_working_micros;
END;

CREATE TRIGGER cases_kpi_delete AFTER DELETE ON cases BEGIN
    INSERT INTO case_kpi_months (grid_code, category, month, reported, valid, rejected, filed, closed, closed_due, deferred_closed_due, on_time, reworked_cases, extended_cases, rated, rating_sum, satisfied, close_micros, close_working_micros)
    VALUES (OLD.grid_code, OLD.category, CAST(strftime('%s', (OLD.created_at + 28800000000) / 1000000, 'unixepoch', 'start of month') AS INTEGER) * 1000000 - 28800000000,
        -(1),
        -(CASE WHEN OLD.stage NOT IN ('new', 'reported', 'rejected') THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.stage = 'rejected' THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.filed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.closed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.filed_at IS NOT NULL AND OLD.closed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.deferred = 1 AND OLD.filed_at IS NOT NULL AND OLD.closed_at IS NOT NULL THEN 1 ELSE 0 END),
        -(CASE WHEN NOT OLD.deferred = 1 AND OLD.closed_at IS NOT NULL AND OLD.limit_at IS NOT NULL AND OLD.closed_at <= OLD.limit_at THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.reworks > 0 THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.extensions > 0 THEN 1 ELSE 0 END),
        -(CASE WHEN OLD.rating IS NOT NULL THEN 1 ELSE 0 END),
        -(COALESCE(OLD.rating, 0)),
        -(CASE WHEN OLD.rating >= 4 THEN 1 ELSE 0 END),
        -(COALESCE(OLD.closed_at - OLD.created_at, 0)),
        -(CASE WHEN OLD.closed_at IS NOT NULL THEN COALESCE(OLD.close_working, 0) ELSE 0 END))
    ON CONFLICT (grid_code, category, month) DO UPDATE SET
        reported = case_kpi_months.reported + excluded.reported,
        valid = case_kpi_months.valid + excluded.valid,
        rejected = case_kpi_months.rejected + excluded.rejected,
        filed = case_kpi_months.filed + excluded.filed,
        closed = case_kpi_months.closed + excluded.closed,
        closed_due = case_kpi_months.closed_due + excluded.closed_due,
        deferred_closed_due = case_kpi_months.deferred_closed_due + excluded.deferred_closed_due,
        on_time = case_kpi_months.on_time + excluded.on_time,
        reworked_cases = case_kpi_months.reworked_cases + excluded.reworked_cases,
        extended_cases = case_kpi_months.extended_cases + excluded.extended_cases,
        rated = case_kpi_months.rated + excluded.rated,
        rating_sum = case_kpi_months.rating_sum + excluded.rating_sum,
        satisfied = case_kpi_months.satisfied + excluded.satisfied,
        close_micros = case_kpi_months.close_micros + excluded.close_micros,
        close_working_micros = case_kpi_months.close_working_micros + excluded.close_working_micros;
END;
