-- Grid duties (网格员职责): patrol logs, visits to households and tagged
-- people, and attendance at emergencies and disputes. Numbered 0010: 0009
-- belongs to the indicators.
--
-- Each row is a fact someone recorded; nothing here is changed or deleted.
-- What is due (a patrol per working day, visits per period) is derived from
-- the rules (yiwang_grid::duties) and these facts when a page is drawn.
-- Times are µs since the Unix epoch; `day` is the start of the Beijing day
-- holding `at`, so that patrols group by day in SQL.

CREATE TABLE grid_duty_patrols (
    id          TEXT   NOT NULL PRIMARY KEY,
    grid_code   TEXT   NOT NULL REFERENCES grids (code),
    at          BIGINT NOT NULL,
    day         BIGINT NOT NULL,
    -- The account that recorded it (none for imports) and the name shown.
    worker_id   TEXT,
    worker_name TEXT   NOT NULL,
    route       TEXT   NOT NULL,
    notes       TEXT   NOT NULL,
    -- Where the patrol was reported from, WGS84, when given.
    lng         REAL,
    lat         REAL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX grid_duty_patrols_grid_day_idx ON grid_duty_patrols (grid_code, day);
CREATE INDEX grid_duty_patrols_day_idx ON grid_duty_patrols (day);

CREATE TABLE grid_duty_visits (
    id           TEXT   NOT NULL PRIMARY KEY,
    -- household_visit or tagged_visit (a yiwang_grid::duties::DutyKind code).
    kind         TEXT   NOT NULL CHECK (kind IN ('household_visit', 'tagged_visit')),
    -- The grid of the household's building when the visit was recorded.
    grid_code    TEXT   NOT NULL REFERENCES grids (code),
    household_id TEXT   NOT NULL REFERENCES grid_households (id),
    -- The person visited, for a visit to a tagged person.
    resident_id  TEXT   REFERENCES grid_residents (id),
    at           BIGINT NOT NULL,
    worker_id    TEXT,
    worker_name  TEXT   NOT NULL,
    notes        TEXT   NOT NULL,
    findings     TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    CHECK ((kind = 'tagged_visit') = (resident_id IS NOT NULL))
);

CREATE INDEX grid_duty_visits_household_idx ON grid_duty_visits (household_id, at);
CREATE INDEX grid_duty_visits_resident_idx ON grid_duty_visits (resident_id, at);
CREATE INDEX grid_duty_visits_grid_idx ON grid_duty_visits (grid_code, at);

CREATE TABLE grid_duty_attendances (
    id          TEXT   NOT NULL PRIMARY KEY,
    case_id     TEXT   NOT NULL REFERENCES cases (id),
    at          BIGINT NOT NULL,
    worker_id   TEXT,
    worker_name TEXT   NOT NULL,
    notes       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX grid_duty_attendances_case_idx ON grid_duty_attendances (case_id, at);
