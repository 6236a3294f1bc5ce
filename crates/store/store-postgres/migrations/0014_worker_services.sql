-- Worker services (产业工人队伍建设改革): apprenticeship subsidies
-- (新型学徒制补贴). Numbered 0014: 0013 belongs to enterprise requests.
--
-- Dates (certificate, start) are the µs of the Shanghai midnight that
-- starts them; money is fen. Codes are those of yiwang_services::subsidies.

CREATE TABLE subsidy_apprentices (
    id               TEXT   NOT NULL PRIMARY KEY,
    enterprise_id    TEXT   NOT NULL REFERENCES enterprises (id),
    name             TEXT   NOT NULL,
    -- GB 11643, whole; pages mask it for whoever may not see it.
    id_number        TEXT   NOT NULL,
    intake           TEXT   NOT NULL CHECK (intake IN ('new_hire', 'transferred')),
    level            TEXT   NOT NULL CHECK (level IN ('intermediate', 'advanced', 'technician')),
    -- Empty (and no date) until the level certificate is issued.
    certificate_no   TEXT   NOT NULL,
    certificate_date BIGINT,
    start_date       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    CONSTRAINT subsidy_apprentices_person_key UNIQUE (enterprise_id, id_number)
);

CREATE INDEX subsidy_apprentices_id_number_idx ON subsidy_apprentices (id_number);

CREATE TABLE subsidy_claims (
    id            TEXT   NOT NULL PRIMARY KEY,
    enterprise_id TEXT   NOT NULL REFERENCES enterprises (id),
    year          BIGINT NOT NULL,
    -- submitted while a line is pending, decided once none is.
    status        TEXT   NOT NULL CHECK (status IN ('submitted', 'decided')),
    submitted_at  BIGINT NOT NULL,
    submitted_by  TEXT   NOT NULL,
    decided_at    BIGINT
);

CREATE INDEX subsidy_claims_enterprise_idx ON subsidy_claims (enterprise_id, submitted_at);
CREATE INDEX subsidy_claims_year_idx ON subsidy_claims (year, status);

CREATE TABLE subsidy_claim_lines (
    claim_id      TEXT   NOT NULL REFERENCES subsidy_claims (id),
    apprentice_id TEXT   NOT NULL REFERENCES subsidy_apprentices (id),
    -- Copied from the apprentice and the claim, so that the rule below can
    -- be an index.
    id_number     TEXT   NOT NULL,
    year          BIGINT NOT NULL,
    level         TEXT   NOT NULL,
    amount_fen    BIGINT NOT NULL CHECK (amount_fen > 0),
    status        TEXT   NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    reason        TEXT   NOT NULL,
    decided_at    BIGINT,
    decided_by    TEXT   NOT NULL,
    PRIMARY KEY (claim_id, apprentice_id),
    CHECK (status <> 'refused' OR reason <> '')
);

-- One claim per person per year: a refused line does not count.
CREATE UNIQUE INDEX subsidy_claim_lines_person_year_idx
    ON subsidy_claim_lines (id_number, year) WHERE status <> 'refused';
CREATE INDEX subsidy_claim_lines_year_idx ON subsidy_claim_lines (year, status);
