-- Problem data (问题数据): legacy records waiting to be checked and entered
-- into the register, and pairs of residents staff have judged to be two
-- people although their names and birth dates agree.
--
-- The register (grid_residents) cannot hold an invalid ID number, a person
-- without a building or one number twice. Legacy records (存量台账) can:
-- they are kept here exactly as given (the ID number trimmed and
-- upper-cased) until they pass every check, so that nothing brought in is
-- lost and nothing bad reaches the register. Times are µs since the Unix
-- epoch.

CREATE TABLE grid_resident_intake (
    id          TEXT    NOT NULL PRIMARY KEY,
    grid_code   TEXT    NOT NULL REFERENCES grids (code),
    name        TEXT    NOT NULL,
    id_number   TEXT    NOT NULL,
    -- '' for a valid GB 11643 number, else why not: length, characters,
    -- birth_date, check_char (yiwang_grid::problems::IdProblem).
    id_problem  TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    -- The address as given, and the building key read from it ('' when it
    -- is no standard address); unit and room canonical, '' when absent.
    address     TEXT    NOT NULL,
    address_key TEXT    COLLATE "C" NOT NULL,
    unit        TEXT    NOT NULL,
    room        TEXT    NOT NULL,
    note        TEXT    NOT NULL,
    -- What the import was (a file name, `demo`, …).
    source      TEXT    NOT NULL,
    version     BIGINT  NOT NULL CHECK (version > 0),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE INDEX grid_resident_intake_grid_idx ON grid_resident_intake (grid_code, name);
CREATE INDEX grid_resident_intake_id_number_idx ON grid_resident_intake (id_number);
CREATE INDEX grid_resident_intake_address_idx ON grid_resident_intake (address_key);

-- Two registered residents with the same name and birth date whom staff
-- have checked and found to be two people: resident_a < resident_b.
CREATE TABLE grid_duplicate_dismissals (
    resident_a    TEXT   NOT NULL REFERENCES grid_residents (id),
    resident_b    TEXT   NOT NULL REFERENCES grid_residents (id),
    dismissed_at  BIGINT NOT NULL,
    dismissed_by  TEXT   NOT NULL,
    CONSTRAINT grid_duplicate_dismissals_key PRIMARY KEY (resident_a, resident_b),
    CHECK (resident_a < resident_b)
);

CREATE INDEX grid_duplicate_dismissals_b_idx ON grid_duplicate_dismissals (resident_b);
