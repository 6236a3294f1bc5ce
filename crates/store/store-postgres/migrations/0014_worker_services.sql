-- Worker services (产业工人队伍建设改革): apprenticeship subsidies
-- (新型学徒制补贴) and collective contracts (集体合同). Numbered 0014: 0013
-- belongs to enterprise requests.
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

-- Collective contracts (集体合同, 工资专项集体协议): the register. The term
-- is [starts_on, ends_on), Shanghai day starts in µs.
CREATE TABLE collective_contracts (
    id             TEXT   NOT NULL PRIMARY KEY,
    title          TEXT   NOT NULL,
    scope          TEXT   NOT NULL CHECK (scope IN ('enterprise', 'industry')),
    kind           TEXT   NOT NULL CHECK (kind IN ('collective', 'wage')),
    industry       TEXT   NOT NULL,
    employer_party TEXT   NOT NULL,
    union_party    TEXT   NOT NULL,
    signed_on      BIGINT NOT NULL,
    starts_on      BIGINT NOT NULL,
    ends_on        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    CHECK (starts_on < ends_on)
);

CREATE INDEX collective_contracts_term_idx ON collective_contracts (ends_on, starts_on);

-- The enterprises a contract covers, by unified social credit code (they
-- need not have an account), with the employees it covers there.
CREATE TABLE collective_contract_enterprises (
    contract_id TEXT   NOT NULL REFERENCES collective_contracts (id),
    credit_code TEXT   NOT NULL,
    name        TEXT   NOT NULL,
    employees   BIGINT NOT NULL CHECK (employees > 0),
    PRIMARY KEY (contract_id, credit_code)
);

CREATE INDEX collective_contract_enterprises_code_idx
    ON collective_contract_enterprises (credit_code);
