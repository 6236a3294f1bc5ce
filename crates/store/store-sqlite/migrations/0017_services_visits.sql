-- Enterprise visits (千企询访) and the service staff assigned to each
-- enterprise (服务专员, the contacts on its service card). Numbered 0017.
--
-- A visit is planned (enterprise, day, staff), then recorded (the day it
-- took place, the people met, its findings) or cancelled with a reason.
-- A finding may become an enterprise request: `request_id` links them, at
-- most one finding per request. Days are the Beijing midnight of the day,
-- times µs since the Unix epoch.

CREATE TABLE services_visits (
    id            TEXT    NOT NULL PRIMARY KEY,
    -- QF + Beijing date of planning + sequence of the day: QF20260301-0002.
    number        TEXT    NOT NULL UNIQUE,
    enterprise_id TEXT    NOT NULL REFERENCES enterprises (id),
    purpose       TEXT    NOT NULL DEFAULT '',
    planned_on    BIGINT  NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('planned', 'recorded', 'cancelled')),
    planned_by_id TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    visited_on    BIGINT,
    people_met    TEXT    NOT NULL DEFAULT '',
    -- When it was first recorded; corrections are allowed for a while after.
    recorded_at   BIGINT,
    cancel_reason TEXT    NOT NULL DEFAULT '',
    cancelled_at  BIGINT
);

CREATE INDEX services_visits_enterprise_idx ON services_visits (enterprise_id, visited_on);
CREATE INDEX services_visits_planned_idx ON services_visits (planned_on);
CREATE INDEX services_visits_visited_idx ON services_visits (visited_on) WHERE state = 'recorded';

-- The staff on a visit (planned, then who went).
CREATE TABLE services_visit_staff (
    visit_id TEXT NOT NULL REFERENCES services_visits (id),
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (visit_id, user_id)
);

CREATE INDEX services_visit_staff_user_idx ON services_visit_staff (user_id);

CREATE TABLE services_visit_findings (
    id           TEXT   NOT NULL PRIMARY KEY,
    visit_id     TEXT   NOT NULL REFERENCES services_visits (id),
    seq          BIGINT NOT NULL,
    -- A category code of the requests' configuration.
    category     TEXT   NOT NULL,
    text         TEXT   NOT NULL,
    request_id   TEXT   REFERENCES services_requests (id),
    converted_at BIGINT,
    CONSTRAINT services_visit_findings_seq_key UNIQUE (visit_id, seq)
);

CREATE UNIQUE INDEX services_visit_findings_request_idx
    ON services_visit_findings (request_id) WHERE request_id IS NOT NULL;

-- The last number given per prefix (QF + day).
CREATE TABLE services_visit_numbers (
    prefix TEXT   PRIMARY KEY NOT NULL,
    last   BIGINT NOT NULL
);

-- The service staff assigned to an enterprise (服务专员).
CREATE TABLE services_enterprise_staff (
    enterprise_id TEXT   NOT NULL REFERENCES enterprises (id),
    user_id       TEXT   NOT NULL REFERENCES users (id),
    assigned_at   BIGINT NOT NULL,
    PRIMARY KEY (enterprise_id, user_id)
);

CREATE INDEX services_enterprise_staff_user_idx ON services_enterprise_staff (user_id);
