-- Grid governance: the units of the grid tree, grids, their filed
-- boundaries (every version kept), staff and their assignments.
--
-- Codes are the standard digits (district 6, street 9, community 12, grid
-- 15); boundaries are GeoJSON Polygon text; areas are hundredths of a m².

CREATE TABLE grid_units (
    code          TEXT   NOT NULL PRIMARY KEY,
    -- district | street | community
    level         TEXT   NOT NULL CHECK (level IN ('district', 'street', 'community')),
    name          TEXT   NOT NULL,
    parent_code   TEXT   REFERENCES grid_units (code),
    -- A community's outline; NULL above the communities.
    boundary_json TEXT,
    created_at    BIGINT NOT NULL
);

CREATE INDEX grid_units_parent_idx ON grid_units (parent_code);

CREATE TABLE grids (
    code             TEXT   NOT NULL PRIMARY KEY,
    -- comprehensive | specialised.<type>
    kind             TEXT   NOT NULL,
    name             TEXT   NOT NULL,
    community_code   TEXT   NOT NULL REFERENCES grid_units (code),
    -- The current boundary: its version, and a copy of its shape and area.
    boundary_version BIGINT NOT NULL,
    boundary_json    TEXT   NOT NULL,
    area_centi       BIGINT NOT NULL CHECK (area_centi >= 0),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);

CREATE INDEX grids_community_idx ON grids (community_code, code);
CREATE INDEX grids_name_idx ON grids (name);

CREATE TABLE grid_boundary_versions (
    grid_code       TEXT   NOT NULL REFERENCES grids (code),
    version         BIGINT NOT NULL CHECK (version > 0),
    boundary_json   TEXT   NOT NULL,
    area_centi      BIGINT NOT NULL CHECK (area_centi >= 0),
    -- pending | approved | rejected | superseded
    status          TEXT   NOT NULL
        CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
    note            TEXT   NOT NULL,
    filed_by        TEXT,
    filed_by_name   TEXT   NOT NULL,
    filed_at        BIGINT NOT NULL,
    decided_by_name TEXT,
    decided_at      BIGINT,
    decision_note   TEXT,
    CONSTRAINT grid_boundary_versions_key PRIMARY KEY (grid_code, version)
);

-- At most one pending filing per grid.
CREATE UNIQUE INDEX grid_boundary_versions_pending_key
    ON grid_boundary_versions (grid_code) WHERE status = 'pending';
CREATE INDEX grid_boundary_versions_status_idx
    ON grid_boundary_versions (status, filed_at);

CREATE TABLE grid_staff (
    id             TEXT   NOT NULL PRIMARY KEY,
    name           TEXT   NOT NULL,
    -- The official phone the public directory shows.
    official_phone TEXT   NOT NULL,
    user_id        TEXT   REFERENCES users (id),
    created_at     BIGINT NOT NULL
);

CREATE UNIQUE INDEX grid_staff_user_key ON grid_staff (user_id);
CREATE INDEX grid_staff_name_idx ON grid_staff (name);

CREATE TABLE grid_assignments (
    grid_code TEXT   NOT NULL REFERENCES grids (code),
    staff_id  TEXT   NOT NULL REFERENCES grid_staff (id),
    -- leader | worker
    role      TEXT   NOT NULL CHECK (role IN ('leader', 'worker')),
    since     BIGINT NOT NULL,
    CONSTRAINT grid_assignments_key PRIMARY KEY (grid_code, staff_id)
);

-- One leader per grid; a person leads at most one grid.
CREATE UNIQUE INDEX grid_assignments_leader_key
    ON grid_assignments (grid_code) WHERE role = 'leader';
CREATE UNIQUE INDEX grid_assignments_leads_one_key
    ON grid_assignments (staff_id) WHERE role = 'leader';
CREATE INDEX grid_assignments_staff_idx ON grid_assignments (staff_id);
