-- Enterprise requests (政企通 诉求): what enterprises ask, one part per
-- department that answers, the rating, and who took a need from the
-- matching board. Numbered 0013; 0014 belongs to the worker services.
--
-- Kept apart from the grid's `cases`, whose indicators count every row.
-- Time limits, reminders and escalation are judged from `due_at` when a
-- page is drawn (yiwang_services::requests); nothing here runs on a timer.
-- Times are µs since the Unix epoch.

CREATE TABLE services_requests (
    id              TEXT    NOT NULL PRIMARY KEY,
    -- QY + Beijing date + sequence of the day: QY20261126-0001.
    number          TEXT    NOT NULL UNIQUE,
    enterprise_id   TEXT    NOT NULL REFERENCES enterprises (id),
    enterprise_name TEXT    NOT NULL,
    submitter_id    TEXT    NOT NULL REFERENCES users (id),
    -- A category code of the requests' configuration.
    category        TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    contact_name    TEXT    NOT NULL,
    contact_phone   TEXT    NOT NULL,
    -- Whether the matching board may show the contact.
    share_contact   BOOLEAN NOT NULL CHECK (share_contact IN (0, 1)),
    state           TEXT    NOT NULL CHECK (state IN ('open', 'answered', 'rated')),
    submitted_at    BIGINT  NOT NULL,
    answered_at     BIGINT,
    rating          BIGINT  CHECK (rating BETWEEN 1 AND 5),
    rating_comment  TEXT    NOT NULL DEFAULT '',
    rated_at        BIGINT,
    taken_by_id     TEXT,
    taken_by_name   TEXT    NOT NULL DEFAULT '',
    taken_at        BIGINT
);

CREATE INDEX services_requests_enterprise_idx ON services_requests (enterprise_id, submitted_at);
CREATE INDEX services_requests_state_idx ON services_requests (state, category, submitted_at);

CREATE TABLE services_request_parts (
    request_id      TEXT    NOT NULL REFERENCES services_requests (id),
    -- A department code of the requests' configuration.
    department      TEXT    NOT NULL,
    assigned_at     BIGINT  NOT NULL,
    due_at          BIGINT  NOT NULL,
    reply           TEXT    NOT NULL DEFAULT '',
    replied_by_id   TEXT,
    replied_by_name TEXT    NOT NULL DEFAULT '',
    answered_at     BIGINT,
    PRIMARY KEY (request_id, department)
);

CREATE INDEX services_request_parts_department_idx ON services_request_parts (department, assigned_at);
CREATE INDEX services_request_parts_due_idx ON services_request_parts (due_at) WHERE answered_at IS NULL;

-- The last number given per prefix (QY + day).
CREATE TABLE services_request_numbers (
    prefix TEXT    PRIMARY KEY NOT NULL,
    last   BIGINT  NOT NULL
);
