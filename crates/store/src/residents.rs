//! Storage for residents and places: buildings under their standard
//! addresses, households in buildings, residents in households, and the
//! tags grid duties depend on.
//!
//! # What the store knows of the domain
//!
//! Only what queries need. Address parts arrive canonical (the grid crate's
//! `address` module: `18号`, `3幢`, `2单元`, `301室`) with the building's
//! `address_key`, which the store keeps unique and searches by prefix (every
//! building behind `人民路18号` has a key starting with it). ID numbers
//! arrive validated (GB 11643) and are kept whole: who may see them
//! unmasked is the web layer's decision, and every such view is audited
//! there. Audit details written here carry ID numbers masked only.
//!
//! # Tables
//!
//! - `grid_buildings`: road, door number, building, the key, an optional
//!   point, and the grid: found from the point (`point`) or chosen by staff
//!   (`assigned`).
//! - `grid_households`: a flat of a building (unit, room), unique in it.
//!   Households are created when a resident is registered in a flat that
//!   has none yet, in the same transaction.
//! - `grid_residents`: name, ID number (unique: a person is registered
//!   once in the district), phone, note, and a version that each change
//!   raises, so an edit made on a stale page is refused.
//! - `grid_resident_tags`: at most one of each tag per resident, with its
//!   review date.
//!
//! A resident's grid is their building's: nothing is copied, so moving a
//! building or a resident moves every row that depends on it.
//!
//! Every change writes its audit record in the same transaction. A bulk
//! import writes one record with the counts.

use serde::Serialize;
use uuid::Uuid;

use crate::{AuditCtx, Page, Paged, StoreResult};

use async_trait::async_trait;

/// How a building's grid was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The grid holding the building's point.
    Point,
    /// Chosen by staff.
    Assigned,
}

impl Placement {
    pub fn code(self) -> &'static str {
        match self {
            Placement::Point => "point",
            Placement::Assigned => "assigned",
        }
    }

    pub fn from_code(code: &str) -> Option<Placement> {
        match code {
            "point" => Some(Placement::Point),
            "assigned" => Some(Placement::Assigned),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Placement::Point => "按坐标落格",
            Placement::Assigned => "人工指定",
        }
    }
}

/// A building with the counts its lists show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildingRow {
    pub id: Uuid,
    pub grid_code: String,
    pub road: String,
    pub number: String,
    /// `''` for a door number with one building.
    pub building: String,
    pub address_key: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub placement: Placement,
    pub created_at: i64,
    pub updated_at: i64,
    pub households: i64,
    pub residents: i64,
}

impl BuildingRow {
    /// The building's standard address as people read it.
    pub fn address(&self) -> String {
        format!("{}{}{}", self.road, self.number, self.building)
    }
}

/// A building to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBuilding {
    /// Chosen by the caller so households can name it in an import.
    pub id: Uuid,
    pub grid_code: String,
    pub road: String,
    pub number: String,
    pub building: String,
    pub address_key: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub placement: Placement,
}

/// A flat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdRow {
    pub id: Uuid,
    pub building_id: Uuid,
    pub unit: String,
    pub room: String,
    pub created_at: i64,
    pub residents: i64,
}

/// A flat to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHousehold {
    pub id: Uuid,
    pub building_id: Uuid,
    pub unit: String,
    pub room: String,
}

/// A tag on a resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagRow {
    /// A `yiwang_grid::PersonTag` code.
    pub tag: String,
    /// The Shanghai midnight starting the review day, µs.
    pub review_on: i64,
    pub note: String,
    pub set_at: i64,
    pub set_by_name: String,
}

/// A tag to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTag {
    pub tag: String,
    pub review_on: i64,
    pub note: String,
}

/// A resident, where they live, and their tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentRow {
    pub id: Uuid,
    pub household_id: Uuid,
    pub building_id: Uuid,
    pub grid_code: String,
    /// The building's standard address.
    pub building_address: String,
    pub unit: String,
    pub room: String,
    pub name: String,
    /// The full number: mask it unless the reader may see it.
    pub id_number: String,
    /// The full phone: mask it unless the reader may see it.
    pub phone: Option<String>,
    pub note: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// In tag code order.
    pub tags: Vec<TagRow>,
}

impl ResidentRow {
    /// The full address: building, unit and room.
    pub fn address(&self) -> String {
        format!("{}{}{}", self.building_address, self.unit, self.room)
    }
}

/// Where a resident lives: a flat of a building, created when missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flat {
    pub building_id: Uuid,
    pub unit: String,
    pub room: String,
}

/// A resident to register, or the new state of one being changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentInput {
    pub flat: Flat,
    pub name: String,
    /// Validated GB 11643 number, full.
    pub id_number: String,
    pub phone: Option<String>,
    pub note: String,
}

/// A resident to import into a household of the same import (or one that
/// exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResident {
    pub id: Uuid,
    pub household_id: Uuid,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub note: String,
    pub tags: Vec<NewTag>,
}

/// Buildings, households and residents imported together.
#[derive(Debug, Clone, Default)]
pub struct PlacesImport {
    /// What the import is, for the audit record (a grid code, `demo`, …).
    pub label: String,
    pub buildings: Vec<NewBuilding>,
    pub households: Vec<NewHousehold>,
    pub residents: Vec<NewResident>,
}

/// Counts of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PlacesCounts {
    pub buildings: u64,
    pub households: u64,
    pub residents: u64,
    pub tags: u64,
}

/// Filters for a list of buildings, in address order.
#[derive(Debug, Clone, Default)]
pub struct BuildingQuery {
    /// Buildings of this grid.
    pub grid_code: Option<String>,
    /// Substring of the address key.
    pub search: Option<String>,
}

/// A building placed by its point, as the placement check reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedBuilding {
    pub id: Uuid,
    pub grid_code: String,
    /// The standard address as people read it.
    pub address: String,
    pub lng: f64,
    pub lat: f64,
}

/// A building to move into the grid that now holds its point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildingMove {
    pub building_id: Uuid,
    pub from: String,
    pub to: String,
}

/// Filters for a list of residents of one grid, in address then name order.
#[derive(Debug, Clone, Default)]
pub struct ResidentQuery {
    pub grid_code: String,
    /// Substring of the name or the address, or a whole ID number or phone.
    pub search: Option<String>,
    /// A tag code.
    pub tag: Option<String>,
    /// Residents of one building.
    pub building_id: Option<Uuid>,
}

/// Storage for residents and places.
#[async_trait]
pub trait ResidentStore: Send + Sync {
    /// Imports buildings, households and residents with their tags in one
    /// transaction, or nothing. `Conflict` naming `address` (a building key
    /// taken), `flat` (a flat twice in a building) or `id_number`.
    async fn import_places(
        &self,
        ctx: &AuditCtx,
        import: PlacesImport,
    ) -> StoreResult<PlacesCounts>;

    /// Creates a building. `Conflict { field: "address" }` when its key is
    /// taken; `NotFound` for an unknown grid.
    async fn create_building(
        &self,
        ctx: &AuditCtx,
        building: NewBuilding,
    ) -> StoreResult<BuildingRow>;

    async fn building(&self, id: Uuid) -> StoreResult<Option<BuildingRow>>;

    /// Buildings matching the query, in address order.
    async fn buildings(&self, query: &BuildingQuery, page: Page)
        -> StoreResult<Paged<BuildingRow>>;

    /// Buildings whose key starts with `prefix`, in key order, at most
    /// `limit`: the address look-up.
    async fn buildings_by_key(&self, prefix: &str, limit: u32) -> StoreResult<Vec<BuildingRow>>;

    /// A building's flats, in unit and room order.
    async fn households(&self, building_id: Uuid) -> StoreResult<Vec<HouseholdRow>>;

    /// Registers a resident in a flat (created when the building has no
    /// such flat yet). `Conflict { field: "id_number" }` when the number is
    /// registered; `NotFound` for an unknown building.
    async fn create_resident(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        input: ResidentInput,
    ) -> StoreResult<ResidentRow>;

    /// Replaces a resident's details and flat, if the row is still at
    /// `version`; `Conflict { field: "version" }` when someone changed it
    /// meanwhile, `Conflict { field: "id_number" }` as for creation.
    async fn update_resident(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        version: i64,
        input: ResidentInput,
    ) -> StoreResult<ResidentRow>;

    async fn resident(&self, id: Uuid) -> StoreResult<Option<ResidentRow>>;

    /// Residents of a grid matching the query, with their tags.
    async fn residents(&self, query: &ResidentQuery, page: Page)
        -> StoreResult<Paged<ResidentRow>>;

    /// Sets a tag (a tag already set is replaced: new review date, note).
    /// `NotFound` for an unknown resident.
    async fn set_tag(&self, ctx: &AuditCtx, resident_id: Uuid, tag: NewTag) -> StoreResult<()>;

    /// Removes a tag; `NotFound` when the resident does not have it.
    async fn remove_tag(&self, ctx: &AuditCtx, resident_id: Uuid, tag: &str) -> StoreResult<()>;

    /// The number of residents in the district.
    async fn count_residents(&self) -> StoreResult<u64>;

    /// Every building placed by its point ([`Placement::Point`]) that has
    /// one, in address order: what the check of placements against the
    /// grids' current lines reads (after a boundary filing is approved, a
    /// building's point may lie in another grid).
    async fn placed_buildings(&self) -> StoreResult<Vec<PlacedBuilding>>;

    /// Moves each building from `from` to `to` where it is still in
    /// `from` (one moved meanwhile is left alone), with an audit record
    /// per building moved, in one transaction; returns how many moved. Its
    /// households and residents go with it.
    async fn move_buildings(&self, ctx: &AuditCtx, moves: &[BuildingMove]) -> StoreResult<u64>;
}

/// The ID number with its middle hidden, for audit details.
pub fn masked_id_number(id_number: &str) -> String {
    let chars: Vec<char> = id_number.chars().collect();
    if chars.len() == 18 {
        format!(
            "{}********{}",
            chars[..6].iter().collect::<String>(),
            chars[14..].iter().collect::<String>()
        )
    } else {
        "*".repeat(chars.len())
    }
}

/// The least string greater than every string starting with `prefix`
/// (under code point order, which is UTF-8 byte order), so that `prefix <=
/// key < successor` is "key starts with prefix" and an index serves it.
pub fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// SQL text and rows the SQL backends share: SQLite and PostgreSQL agree on
/// every statement here (binds are added with sqlx's `QueryBuilder`, which
/// writes each backend's placeholders).
#[cfg(feature = "sql")]
pub mod sql {
    use super::*;
    use crate::sql_rows::parse_uuid;
    use crate::StoreError;

    /// Rows per multi-row INSERT of an import (9 binds a row at most: well
    /// under either database's bind limit).
    pub const CHUNK: usize = 500;

    /// A building with its counts, in [`BuildingSqlRow`]'s order; FROM
    /// `grid_buildings b`.
    pub const BUILDING_SELECT: &str = "SELECT b.id, b.grid_code, b.road, b.number, b.building, \
         b.address_key, b.lng, b.lat, b.placement, b.created_at, b.updated_at, \
         (SELECT COUNT(*) FROM grid_households h WHERE h.building_id = b.id) AS households, \
         (SELECT COUNT(*) FROM grid_residents r JOIN grid_households h ON h.id = r.household_id \
          WHERE h.building_id = b.id) AS residents \
         FROM grid_buildings b";

    pub const BUILDING_INSERT: &str = "INSERT INTO grid_buildings (id, grid_code, road, number, \
         building, address_key, lng, lat, placement, created_at, updated_at) ";

    pub const HOUSEHOLD_SELECT: &str = "SELECT h.id, h.building_id, h.unit, h.room, h.created_at, \
         (SELECT COUNT(*) FROM grid_residents r WHERE r.household_id = h.id) AS residents \
         FROM grid_households h";

    pub const HOUSEHOLD_INSERT: &str =
        "INSERT INTO grid_households (id, building_id, unit, room, created_at) ";

    /// A resident with where they live, in [`ResidentSqlRow`]'s order.
    pub const RESIDENT_SELECT: &str = "SELECT r.id, r.household_id, b.id AS building_id, \
         b.grid_code, b.road || b.number || b.building AS building_address, h.unit, h.room, \
         r.name, r.id_number, r.phone, r.note, r.version, r.created_at, r.updated_at \
         FROM grid_residents r JOIN grid_households h ON h.id = r.household_id \
         JOIN grid_buildings b ON b.id = h.building_id";

    pub const RESIDENT_ORDER: &str = " ORDER BY b.address_key, h.unit, h.room, r.name, r.id";

    pub const RESIDENT_INSERT: &str = "INSERT INTO grid_residents (id, household_id, name, \
         id_number, phone, note, version, created_at, updated_at) ";

    pub const TAG_SELECT: &str =
        "SELECT resident_id, tag, review_on, note, set_at, set_by_name FROM grid_resident_tags";

    pub const TAG_INSERT: &str = "INSERT INTO grid_resident_tags (resident_id, tag, review_on, \
         note, set_at, set_by_name) ";

    #[derive(Debug, sqlx::FromRow)]
    pub struct BuildingSqlRow {
        id: String,
        grid_code: String,
        road: String,
        number: String,
        building: String,
        address_key: String,
        lng: Option<f64>,
        lat: Option<f64>,
        placement: String,
        created_at: i64,
        updated_at: i64,
        households: i64,
        residents: i64,
    }

    impl TryFrom<BuildingSqlRow> for BuildingRow {
        type Error = StoreError;

        fn try_from(row: BuildingSqlRow) -> Result<BuildingRow, StoreError> {
            Ok(BuildingRow {
                id: parse_uuid("grid_buildings.id", &row.id)?,
                placement: Placement::from_code(&row.placement).ok_or_else(|| {
                    StoreError::Corrupt(format!("building placement {:?}", row.placement))
                })?,
                grid_code: row.grid_code,
                road: row.road,
                number: row.number,
                building: row.building,
                address_key: row.address_key,
                lng: row.lng,
                lat: row.lat,
                created_at: row.created_at,
                updated_at: row.updated_at,
                households: row.households,
                residents: row.residents,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct HouseholdSqlRow {
        id: String,
        building_id: String,
        unit: String,
        room: String,
        created_at: i64,
        residents: i64,
    }

    impl TryFrom<HouseholdSqlRow> for HouseholdRow {
        type Error = StoreError;

        fn try_from(row: HouseholdSqlRow) -> Result<HouseholdRow, StoreError> {
            Ok(HouseholdRow {
                id: parse_uuid("grid_households.id", &row.id)?,
                building_id: parse_uuid("grid_households.building_id", &row.building_id)?,
                unit: row.unit,
                room: row.room,
                created_at: row.created_at,
                residents: row.residents,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct ResidentSqlRow {
        id: String,
        household_id: String,
        building_id: String,
        grid_code: String,
        building_address: String,
        unit: String,
        room: String,
        name: String,
        id_number: String,
        phone: Option<String>,
        note: String,
        version: i64,
        created_at: i64,
        updated_at: i64,
    }

    impl TryFrom<ResidentSqlRow> for ResidentRow {
        type Error = StoreError;

        fn try_from(row: ResidentSqlRow) -> Result<ResidentRow, StoreError> {
            Ok(ResidentRow {
                id: parse_uuid("grid_residents.id", &row.id)?,
                household_id: parse_uuid("grid_residents.household_id", &row.household_id)?,
                building_id: parse_uuid("grid_households.building_id", &row.building_id)?,
                grid_code: row.grid_code,
                building_address: row.building_address,
                unit: row.unit,
                room: row.room,
                name: row.name,
                id_number: row.id_number,
                phone: row.phone,
                note: row.note,
                version: row.version,
                created_at: row.created_at,
                updated_at: row.updated_at,
                tags: Vec::new(),
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct TagSqlRow {
        pub resident_id: String,
        tag: String,
        review_on: i64,
        note: String,
        set_at: i64,
        set_by_name: String,
    }

    impl From<TagSqlRow> for TagRow {
        fn from(row: TagSqlRow) -> TagRow {
            TagRow {
                tag: row.tag,
                review_on: row.review_on,
                note: row.note,
                set_at: row.set_at,
                set_by_name: row.set_by_name,
            }
        }
    }

    /// Puts each tag row on its resident, keeping the tags in code order.
    pub fn attach_tags(residents: &mut [ResidentRow], tags: Vec<TagSqlRow>) {
        for row in tags {
            if let Some(r) = residents
                .iter_mut()
                .find(|r| r.id.to_string() == row.resident_id)
            {
                r.tags.push(row.into());
            }
        }
        for r in residents {
            r.tags.sort_by(|a, b| a.tag.cmp(&b.tag));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_have_successors() {
        assert_eq!(prefix_successor("人民路18号").unwrap(), "人民路18\u{53F8}");
        assert_eq!(prefix_successor("a").as_deref(), Some("b"));
        assert_eq!(prefix_successor(""), None);
    }

    #[test]
    fn audit_details_see_masked_numbers() {
        assert_eq!(masked_id_number("32061219900101123X"), "320612********123X");
        assert_eq!(masked_id_number("123"), "***");
    }
}
