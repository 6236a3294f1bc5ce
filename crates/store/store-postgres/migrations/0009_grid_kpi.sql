-- Grid indicators and the data-quality detector. Numbered 0009: 0008
-- belongs to the residents' tables.
--
-- 1. What the indicators need, in each case's summary row, computed by the
--    caller from the folded facts like the rest of the summary: when the
--    case was filed, its overall limit as extended (kept after the close),
--    whether it was ever on the problem register, failed re-checks,
--    approved extensions, and the working time from report to close.
--    Cases stored before this migration carry the defaults until their
--    next fact is appended.
ALTER TABLE cases ADD COLUMN filed_at BIGINT;
ALTER TABLE cases ADD COLUMN limit_at BIGINT;
ALTER TABLE cases ADD COLUMN deferred BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE cases ADD COLUMN reworks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extensions BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN close_working BIGINT;

CREATE INDEX cases_kpi_idx ON cases (created_at, grid_code);

-- 2. The days (start of the Beijing day, µs) on which grid staff logged in.
CREATE TABLE staff_login_days (
    staff_id TEXT   NOT NULL REFERENCES grid_staff (id),
    day      BIGINT NOT NULL,
    PRIMARY KEY (staff_id, day)
);

CREATE INDEX staff_login_days_day_idx ON staff_login_days (day);

-- 3. Photos uploaded with reports and handling feedback: JPEG or PNG
--    bytes, checked by their magic numbers before they are stored, in the
--    transaction of the facts that cite them.
CREATE TABLE case_photos (
    id           TEXT   NOT NULL PRIMARY KEY,
    case_id      TEXT   NOT NULL REFERENCES cases (id),
    content_type TEXT   NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size         BIGINT NOT NULL,
    bytes        BYTEA  NOT NULL,
    uploaded_by  TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);

CREATE INDEX case_photos_case_idx ON case_photos (case_id);
