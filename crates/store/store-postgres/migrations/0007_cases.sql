-- Cases on the shared case workflow (grid events first): a summary row per
-- case and the case's facts, in order. Numbered 0007: 0006 belongs to the
-- grid tables. A grid is named by its 15-digit code, with no foreign key.
--
-- The facts are the truth (JSON written by yiwang-cases); the summary is
-- what the caller computed from them after each append, kept for the work
-- lists' filters.

CREATE TABLE cases (
    id                TEXT             PRIMARY KEY,
    number            TEXT             COLLATE "C" NOT NULL UNIQUE,
    category          TEXT             NOT NULL,
    grid_code         TEXT             COLLATE "C" NOT NULL,
    lng               DOUBLE PRECISION,
    lat               DOUBLE PRECISION,
    address           TEXT             NOT NULL,
    description       TEXT             NOT NULL,
    reporter_kind     TEXT             NOT NULL,
    reporter_id       TEXT,
    stage             TEXT             NOT NULL,
    department        TEXT,
    step_due          BIGINT,
    overall_due       BIGINT,
    next_due          BIGINT,
    extension_pending BOOLEAN          NOT NULL,
    registered        BOOLEAN          NOT NULL,
    escalations       BIGINT           NOT NULL,
    rating            BIGINT,
    last_seq          BIGINT           NOT NULL,
    created_at        BIGINT           NOT NULL,
    updated_at        BIGINT           NOT NULL,
    closed_at         BIGINT
);

CREATE INDEX cases_stage_idx ON cases (stage, created_at);
CREATE INDEX cases_grid_idx ON cases (grid_code);
CREATE INDEX cases_department_idx ON cases (department, stage);
CREATE INDEX cases_next_due_idx ON cases (next_due) WHERE next_due IS NOT NULL;
CREATE INDEX cases_near_idx ON cases (category, lat, lng);

CREATE TABLE case_events (
    case_id   TEXT   NOT NULL REFERENCES cases (id),
    seq       BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    kind      TEXT   NOT NULL,
    fact_json TEXT   NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- The last number given per prefix (SJ + day).
CREATE TABLE case_numbers (
    prefix TEXT   COLLATE "C" PRIMARY KEY,
    last   BIGINT NOT NULL
);
