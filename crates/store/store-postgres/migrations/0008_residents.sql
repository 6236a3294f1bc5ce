-- Residents and places: buildings under their standard addresses, each in a
-- grid; households (flats) in buildings; residents in households; and the
-- tags grid duties depend on, each with its review date.
--
-- ID numbers and phones are personal data: the store keeps them whole, and
-- the web layer decides who sees them unmasked (and audits each time).
-- Times are µs since the Unix epoch; a tag's review date is the Shanghai
-- midnight that starts the day.

CREATE TABLE grid_buildings (
    id          TEXT    NOT NULL PRIMARY KEY,
    grid_code   TEXT    NOT NULL REFERENCES grids (code),
    -- 街路巷, 门牌号 ("18号"), 楼栋 ("3幢"; '' for a door number with one building).
    road        TEXT    NOT NULL,
    number      TEXT    NOT NULL,
    building    TEXT    NOT NULL,
    -- road (without leading divisions) + number + building: one per building.
    -- Byte order, so that a prefix range is served by the index.
    address_key TEXT    COLLATE "C" NOT NULL,
    lng         DOUBLE PRECISION,
    lat         DOUBLE PRECISION,
    -- point: the grid holding (lng, lat); assigned: chosen by staff.
    placement   TEXT    NOT NULL CHECK (placement IN ('point', 'assigned')),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE UNIQUE INDEX grid_buildings_address_key ON grid_buildings (address_key);
CREATE INDEX grid_buildings_grid_idx ON grid_buildings (grid_code, address_key);

CREATE TABLE grid_households (
    id          TEXT    NOT NULL PRIMARY KEY,
    building_id TEXT    NOT NULL REFERENCES grid_buildings (id),
    -- "2单元" / "301室"; '' when the building has no units or rooms.
    unit        TEXT    NOT NULL,
    room        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);

CREATE UNIQUE INDEX grid_households_flat_key ON grid_households (building_id, unit, room);

CREATE TABLE grid_residents (
    id           TEXT   NOT NULL PRIMARY KEY,
    household_id TEXT   NOT NULL REFERENCES grid_households (id),
    name         TEXT   NOT NULL,
    -- GB 11643, validated by the caller; one person is registered once.
    id_number    TEXT   NOT NULL,
    phone        TEXT,
    note         TEXT   NOT NULL,
    -- Starts at 1, +1 per change: an edit made on a stale page is refused.
    version      BIGINT NOT NULL CHECK (version > 0),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE UNIQUE INDEX grid_residents_id_number_key ON grid_residents (id_number);
CREATE INDEX grid_residents_household_idx ON grid_residents (household_id);
CREATE INDEX grid_residents_name_idx ON grid_residents (name);

CREATE TABLE grid_resident_tags (
    resident_id TEXT   NOT NULL REFERENCES grid_residents (id),
    -- A yiwang_grid::PersonTag code.
    tag         TEXT   NOT NULL,
    review_on   BIGINT NOT NULL,
    note        TEXT   NOT NULL,
    set_at      BIGINT NOT NULL,
    set_by_name TEXT   NOT NULL,
    CONSTRAINT grid_resident_tags_key PRIMARY KEY (resident_id, tag)
);

CREATE INDEX grid_resident_tags_tag_idx ON grid_resident_tags (tag, review_on);
CREATE INDEX grid_resident_tags_review_idx ON grid_resident_tags (review_on);
