-- Online labour mediation (不见面维权): the cases a worker or an enterprise
-- brings, their timeline (messages, meetings, documents, decisions) and the
-- documents the parties upload. Numbered 0019.
--
-- The workflow and the fifteen-day limit are yiwang_services::mediation;
-- the limit is judged from `due_at` when a page is drawn. Times are µs
-- since the Unix epoch, money is fen.

CREATE TABLE mediation_cases (
    id                 TEXT   NOT NULL PRIMARY KEY,
    -- TJ + Beijing date + sequence of the day: TJ20261207-0001.
    number             TEXT   NOT NULL UNIQUE,
    -- Who brought the case, and the account that did.
    applicant_side     TEXT   NOT NULL CHECK (applicant_side IN ('worker', 'enterprise')),
    applicant_id       TEXT   NOT NULL REFERENCES users (id),
    -- The worker's own account, when the worker brought the case.
    worker_user_id     TEXT   REFERENCES users (id),
    worker_name        TEXT   NOT NULL,
    worker_phone       TEXT   NOT NULL,
    -- The enterprise's account, when it is registered.
    enterprise_id      TEXT   REFERENCES enterprises (id),
    enterprise_name    TEXT   NOT NULL,
    enterprise_code    TEXT,
    -- A kind code of the mediation configuration.
    kind               TEXT   NOT NULL,
    facts              TEXT   NOT NULL,
    claims             TEXT   NOT NULL,
    amount_claimed_fen BIGINT CHECK (amount_claimed_fen >= 0),
    state              TEXT   NOT NULL
        CHECK (state IN ('submitted', 'mediating', 'refused', 'closed')),
    outcome            TEXT
        CHECK (outcome IN ('agreed', 'arbitration', 'legal_aid', 'withdrawn', 'failed')),
    outcome_text       TEXT   NOT NULL DEFAULT '',
    amount_agreed_fen  BIGINT CHECK (amount_agreed_fen >= 0),
    refusal_reason     TEXT   NOT NULL DEFAULT '',
    mediator_id        TEXT,
    mediator_name      TEXT   NOT NULL DEFAULT '',
    submitted_at       BIGINT NOT NULL,
    accepted_at        BIGINT,
    due_at             BIGINT,
    closed_at          BIGINT,
    -- A closed case has its outcome; a refused one its reason.
    CHECK (state <> 'closed' OR outcome IS NOT NULL),
    CHECK (state <> 'refused' OR refusal_reason <> '')
);

CREATE INDEX mediation_cases_worker_idx ON mediation_cases (worker_user_id, submitted_at);
CREATE INDEX mediation_cases_enterprise_idx ON mediation_cases (enterprise_id, submitted_at);
CREATE INDEX mediation_cases_state_idx ON mediation_cases (state, due_at);
CREATE INDEX mediation_cases_submitted_idx ON mediation_cases (submitted_at);

-- The last number given per prefix (TJ + day).
CREATE TABLE mediation_numbers (
    prefix TEXT   PRIMARY KEY NOT NULL,
    last   BIGINT NOT NULL
);

CREATE TABLE mediation_documents (
    id           TEXT   NOT NULL PRIMARY KEY,
    case_id      TEXT   NOT NULL REFERENCES mediation_cases (id),
    name         TEXT   NOT NULL,
    content_type TEXT   NOT NULL
        CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    size         BIGINT NOT NULL,
    bytes        BYTEA  NOT NULL,
    uploaded_by  TEXT,
    created_at   BIGINT NOT NULL
);

CREATE INDEX mediation_documents_case_idx ON mediation_documents (case_id);

-- The timeline, numbered per case from 1.
CREATE TABLE mediation_events (
    case_id       TEXT   NOT NULL REFERENCES mediation_cases (id),
    seq           BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    kind          TEXT   NOT NULL CHECK (kind IN ('submitted', 'accepted', 'refused', 'message',
                                                  'document', 'meeting', 'outcome')),
    side          TEXT   NOT NULL CHECK (side IN ('worker', 'enterprise', 'mediator')),
    actor_id      TEXT,
    actor_name    TEXT   NOT NULL,
    text          TEXT   NOT NULL DEFAULT '',
    meeting_at    BIGINT,
    meeting_mode  TEXT   CHECK (meeting_mode IN ('online', 'in_person')),
    meeting_place TEXT   NOT NULL DEFAULT '',
    document_id   TEXT   REFERENCES mediation_documents (id),
    PRIMARY KEY (case_id, seq)
);
