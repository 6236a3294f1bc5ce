-- Cases on the shared case workflow (grid events first): a summary row per
-- case and the case's facts, in order. Numbered 0007: 0006 belongs to the
-- grid tables. A grid is named by its 15-digit code, with no foreign key.
--
-- The facts are the truth (JSON written by yiwang-cases); the summary is
-- what the caller computed from them after each append, kept for the work
-- lists' filters.

CREATE TABLE cases (
    id                TEXT    PRIMARY KEY NOT NULL,
    number            TEXT    NOT NULL UNIQUE,
    category          TEXT    NOT NULL,
    grid_code         TEXT    NOT NULL,
    lng               REAL,
    lat               REAL,
    address           TEXT    NOT NULL,
    description       TEXT    NOT NULL,
    reporter_kind     TEXT    NOT NULL,
    reporter_id       TEXT,
    stage             TEXT    NOT NULL,
    department        TEXT,
    step_due          INTEGER,
    overall_due       INTEGER,
    next_due          INTEGER,
    extension_pending INTEGER NOT NULL,
    registered        INTEGER NOT NULL,
    escalations       INTEGER NOT NULL,
    rating            INTEGER,
    last_seq          INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    closed_at         INTEGER
);

CREATE INDEX cases_stage_idx ON cases (stage, created_at);
CREATE INDEX cases_grid_idx ON cases (grid_code);
CREATE INDEX cases_department_idx ON cases (department, stage);
CREATE INDEX cases_next_due_idx ON cases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX cases_near_idx ON cases (category, lat, lng);

CREATE TABLE case_events (
    case_id   TEXT    NOT NULL REFERENCES cases (id),
    seq       INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    fact_json TEXT    NOT NULL,
    PRIMARY KEY (case_id, seq)
) WITHOUT ROWID;

-- The last number given per prefix (SJ + day).
CREATE TABLE case_numbers (
    prefix TEXT    PRIMARY KEY NOT NULL,
    last   INTEGER NOT NULL
) WITHOUT ROWID;
