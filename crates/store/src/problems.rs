//! Storage for problem data (问题数据): the intake of legacy records, the
//! detectors' counts and work lists, and the fixes that only the store can
//! make (entering an intake record into the register, merging two records
//! of one person, recording that two look-alikes are two people).
//!
//! The rules are `yiwang_grid::problems`'s; the store counts and lists with
//! them in SQL. What the pure functions decide per record (whether an ID
//! number passes GB 11643, which building key an address reads as) is
//! written on the intake record by the caller, so the queries only compare
//! columns. What depends on other records (whether the building is
//! registered, whether the number is registered or repeated, whether a
//! tag's review date has passed) is asked at query time, so a record leaves
//! a list the moment it, or what it depends on, is fixed.
//!
//! # Tables (migration 0011)
//!
//! - `grid_resident_intake`: legacy records as given, in a grid, each with
//!   its ID problem code (`''` when valid) and the building key, unit and
//!   room read from its address (`''` when unreadable).
//! - `grid_duplicate_dismissals`: pairs of registered residents with the
//!   same name and birth date whom staff found to be two people.
//!
//! Every change writes its audit record in the same transaction; audit
//! details carry ID numbers masked only.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::residents::{ResidentInput, ResidentRow};
use crate::{AuditCtx, Page, Paged, StoreResult};

/// A problem-data list, as the store knows it (the same codes as
/// `yiwang_grid::problems::Detector`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Intake records whose ID number fails GB 11643.
    InvalidId,
    /// Intake records whose address names no building of their grid.
    NoBuilding,
    /// Intake records with a valid number that is registered already or on
    /// another intake record.
    DuplicateId,
    /// Registered residents of one grid with the same name and birth date,
    /// not dismissed as two people.
    PossibleDuplicate,
    /// Tags past their review date (one row per tag).
    TagOverdue,
    /// Intake records with none of the intake problems: ready to enter.
    Ready,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 6] = [
        ProblemKind::InvalidId,
        ProblemKind::NoBuilding,
        ProblemKind::DuplicateId,
        ProblemKind::PossibleDuplicate,
        ProblemKind::TagOverdue,
        ProblemKind::Ready,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::InvalidId => "invalid_id",
            ProblemKind::NoBuilding => "no_building",
            ProblemKind::DuplicateId => "duplicate_id",
            ProblemKind::PossibleDuplicate => "possible_duplicate",
            ProblemKind::TagOverdue => "tag_overdue",
            ProblemKind::Ready => "ready",
        }
    }

    pub fn from_code(code: &str) -> Option<ProblemKind> {
        ProblemKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Its position in [`ProblemKind::ALL`] and in [`GridProblemCounts`].
    pub fn index(self) -> usize {
        ProblemKind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or_default()
    }
}

/// Which grids a count or list covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProblemScope {
    /// `None`: every grid; `Some`: these grids only (none when empty).
    pub grids: Option<Vec<String>>,
}

impl ProblemScope {
    pub fn all() -> ProblemScope {
        ProblemScope { grids: None }
    }

    pub fn grids(grids: Vec<String>) -> ProblemScope {
        ProblemScope { grids: Some(grids) }
    }
}

/// One grid's count per list, in [`ProblemKind::ALL`]'s order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridProblemCounts {
    pub grid_code: String,
    pub counts: [u64; 6],
}

impl GridProblemCounts {
    pub fn get(&self, kind: ProblemKind) -> u64 {
        self.counts[kind.index()]
    }
}

/// One row of a work list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProblemItem {
    pub grid_code: String,
    /// The intake record's id for intake lists, the resident's otherwise.
    pub record_id: Uuid,
    pub name: String,
    /// Full: mask it unless the reader may see it.
    pub id_number: String,
    pub address: String,
    /// The ID problem code (intake), the tag code (overdue tags), or `''`.
    pub detail: String,
    /// The tag's review date for overdue tags; the record's last change
    /// otherwise (µs).
    pub at: i64,
    /// The registered resident with the same number (intake), or a
    /// look-alike (possible duplicates).
    pub other_id: Option<Uuid>,
}

/// A legacy record as it will be kept: the caller trims the text, raises
/// the ID number's `x`, and reads the ID problem and the address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IntakeRecord {
    pub grid_code: String,
    pub name: String,
    pub id_number: String,
    /// `''` for a valid number, else a `yiwang_grid::problems::IdProblem`
    /// code.
    pub id_problem: String,
    pub phone: String,
    pub address: String,
    /// The building key read from the address, `''` when unreadable.
    pub address_key: String,
    pub unit: String,
    pub room: String,
    pub note: String,
}

/// A kept legacy record with what it depends on, as of the read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeRow {
    pub id: Uuid,
    pub record: IntakeRecord,
    pub source: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The building of its grid its address names, if registered.
    pub building_id: Option<Uuid>,
    /// The registered resident with its ID number, if any.
    pub registered_as: Option<Uuid>,
    /// Other intake records with the same ID number.
    pub repeats: i64,
}

/// Storage for problem data.
#[async_trait]
pub trait ProblemStore: Send + Sync {
    /// Keeps legacy records as given, in one transaction with one audit
    /// record (`intake.import`, the count per grid). `NotFound` for an
    /// unknown grid.
    async fn import_intake(
        &self,
        ctx: &AuditCtx,
        source: &str,
        records: Vec<(Uuid, IntakeRecord)>,
    ) -> StoreResult<u64>;

    async fn intake(&self, id: Uuid) -> StoreResult<Option<IntakeRow>>;

    /// Replaces an intake record's fields (its grid stays), if it is still
    /// at `version`; `Conflict { field: "version" }` otherwise.
    async fn update_intake(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        version: i64,
        record: IntakeRecord,
    ) -> StoreResult<IntakeRow>;

    /// Deletes an intake record (a repeat of someone registered, or a
    /// record of nobody). `NotFound` when it is gone.
    async fn delete_intake(&self, ctx: &AuditCtx, id: Uuid) -> StoreResult<()>;

    /// Enters an intake record into the register as resident `resident_id`
    /// and deletes it, in one transaction: `Conflict { field: "version" }`
    /// when it changed meanwhile, `Conflict { field: "id_number" }` when
    /// the number is registered, `NotFound` when it is gone.
    async fn register_intake(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        version: i64,
        resident_id: Uuid,
        input: ResidentInput,
    ) -> StoreResult<ResidentRow>;

    /// Merges resident `from` into `into` (one person registered twice):
    /// `into` takes the tags it lacks (and the later review date of a tag
    /// both have) and `from`'s phone when it has none; `from` is deleted.
    /// `NotFound` for either missing; `Conflict { field: "resident" }` for
    /// one resident merged into itself.
    async fn merge_residents(
        &self,
        ctx: &AuditCtx,
        from: Uuid,
        into: Uuid,
    ) -> StoreResult<ResidentRow>;

    /// Records that residents `a` and `b` are two people, so they leave the
    /// possible duplicates. Idempotent; `NotFound` for either missing.
    async fn dismiss_duplicate(&self, ctx: &AuditCtx, a: Uuid, b: Uuid) -> StoreResult<()>;

    /// Per grid with anything on a list, its count per list; in grid order.
    /// Tags whose review date is before `today` (µs) are overdue.
    async fn problem_counts(
        &self,
        scope: &ProblemScope,
        today: i64,
    ) -> StoreResult<Vec<GridProblemCounts>>;

    /// One list, in grid, name and id order.
    async fn problems(
        &self,
        kind: ProblemKind,
        scope: &ProblemScope,
        today: i64,
        page: Page,
    ) -> StoreResult<Paged<ProblemItem>>;
}

/// SQL text and rows both SQL backends share.
#[cfg(feature = "sql")]
pub mod sql {
    use super::*;
    use crate::sql_rows::parse_uuid;
    use crate::StoreError;

    pub const INTAKE_INSERT: &str = "INSERT INTO grid_resident_intake (id, grid_code, name, \
         id_number, id_problem, phone, address, address_key, unit, room, note, source, version, \
         created_at, updated_at) ";

    /// Rows per multi-row INSERT of an import (15 binds a row).
    pub const INTAKE_CHUNK: usize = 400;

    /// An intake record with what it depends on; FROM `grid_resident_intake i`.
    pub const INTAKE_SELECT: &str = "SELECT i.id, i.grid_code, i.name, i.id_number, \
         i.id_problem, i.phone, i.address, i.address_key, i.unit, i.room, i.note, i.source, \
         i.version, i.created_at, i.updated_at, \
         (SELECT MIN(b.id) FROM grid_buildings b WHERE b.address_key = i.address_key \
          AND b.grid_code = i.grid_code) AS building_id, \
         (SELECT MIN(r.id) FROM grid_residents r WHERE r.id_number = i.id_number) AS registered_as, \
         (SELECT COUNT(*) FROM grid_resident_intake j WHERE j.id_number = i.id_number \
          AND j.id <> i.id) AS repeats \
         FROM grid_resident_intake i";

    const HAS_BUILDING: &str = "EXISTS (SELECT 1 FROM grid_buildings b \
         WHERE b.address_key = i.address_key AND b.grid_code = i.grid_code)";

    const REPEATED: &str =
        "(EXISTS (SELECT 1 FROM grid_residents r WHERE r.id_number = i.id_number) \
         OR EXISTS (SELECT 1 FROM grid_resident_intake j WHERE j.id_number = i.id_number \
         AND j.id <> i.id))";

    /// Another resident of `r`'s grid (`b`) with `r`'s name and birth date,
    /// not dismissed; FROM-less: `r2` joined to `h2`, `b2`.
    const LOOK_ALIKE: &str = "FROM grid_residents r2 \
         JOIN grid_households h2 ON h2.id = r2.household_id \
         JOIN grid_buildings b2 ON b2.id = h2.building_id \
         WHERE r2.name = r.name AND r2.id <> r.id AND b2.grid_code = b.grid_code \
         AND substr(r2.id_number, 7, 8) = substr(r.id_number, 7, 8) \
         AND NOT EXISTS (SELECT 1 FROM grid_duplicate_dismissals d \
         WHERE (d.resident_a = r.id AND d.resident_b = r2.id) \
         OR (d.resident_a = r2.id AND d.resident_b = r.id))";

    const RESIDENT_FROM: &str = " FROM grid_residents r \
         JOIN grid_households h ON h.id = r.household_id \
         JOIN grid_buildings b ON b.id = h.building_id";

    const INTAKE_COLUMNS: &str = "SELECT i.grid_code, i.id AS record_id, i.name, i.id_number, \
         i.address, i.id_problem AS detail, i.updated_at AS at, \
         (SELECT MIN(r.id) FROM grid_residents r WHERE r.id_number = i.id_number) AS other_id";

    /// The text of one list: `{select|count} {from} WHERE {condition}`, the
    /// condition ending in `review_on < ` (bind today) when `today` is set;
    /// the grid column the scope filters on and the list is ordered by.
    #[derive(Debug, Clone)]
    pub struct ListSql {
        pub columns: String,
        pub from: &'static str,
        pub condition: String,
        pub binds_today: bool,
        pub grid_column: &'static str,
        pub order: &'static str,
    }

    pub fn list_sql(kind: ProblemKind) -> ListSql {
        let intake = |condition: String| ListSql {
            columns: INTAKE_COLUMNS.to_owned(),
            from: " FROM grid_resident_intake i",
            condition,
            binds_today: false,
            grid_column: "i.grid_code",
            order: " ORDER BY i.grid_code, i.name, i.id",
        };
        match kind {
            ProblemKind::InvalidId => intake("i.id_problem <> ''".to_owned()),
            ProblemKind::NoBuilding => intake(format!("NOT {HAS_BUILDING}")),
            ProblemKind::DuplicateId => intake(format!("i.id_problem = '' AND {REPEATED}")),
            ProblemKind::Ready => intake(format!(
                "i.id_problem = '' AND {HAS_BUILDING} AND NOT {REPEATED}"
            )),
            ProblemKind::PossibleDuplicate => ListSql {
                columns: format!(
                    "SELECT b.grid_code, r.id AS record_id, r.name, r.id_number, \
                     b.road || b.number || b.building || h.unit || h.room AS address, \
                     '' AS detail, r.updated_at AS at, (SELECT MIN(r2.id) {LOOK_ALIKE}) AS other_id"
                ),
                from: RESIDENT_FROM,
                condition: format!("EXISTS (SELECT 1 {LOOK_ALIKE})"),
                binds_today: false,
                grid_column: "b.grid_code",
                order: " ORDER BY b.grid_code, r.name, r.id",
            },
            ProblemKind::TagOverdue => ListSql {
                columns: "SELECT b.grid_code, r.id AS record_id, r.name, r.id_number, \
                     b.road || b.number || b.building || h.unit || h.room AS address, \
                     t.tag AS detail, t.review_on AS at, CAST(NULL AS TEXT) AS other_id"
                    .to_owned(),
                from: " FROM grid_resident_tags t \
                     JOIN grid_residents r ON r.id = t.resident_id \
                     JOIN grid_households h ON h.id = r.household_id \
                     JOIN grid_buildings b ON b.id = h.building_id",
                condition: "t.review_on < ".to_owned(),
                binds_today: true,
                grid_column: "b.grid_code",
                order: " ORDER BY b.grid_code, t.review_on, r.name, r.id, t.tag",
            },
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct ProblemSqlRow {
        grid_code: String,
        record_id: String,
        name: String,
        id_number: String,
        address: String,
        detail: String,
        at: i64,
        other_id: Option<String>,
    }

    impl TryFrom<ProblemSqlRow> for ProblemItem {
        type Error = StoreError;

        fn try_from(row: ProblemSqlRow) -> Result<ProblemItem, StoreError> {
            Ok(ProblemItem {
                record_id: parse_uuid("problem record id", &row.record_id)?,
                other_id: row
                    .other_id
                    .as_deref()
                    .map(|id| parse_uuid("problem other id", id))
                    .transpose()?,
                grid_code: row.grid_code,
                name: row.name,
                id_number: row.id_number,
                address: row.address,
                detail: row.detail,
                at: row.at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct IntakeSqlRow {
        id: String,
        grid_code: String,
        name: String,
        id_number: String,
        id_problem: String,
        phone: String,
        address: String,
        address_key: String,
        unit: String,
        room: String,
        note: String,
        source: String,
        version: i64,
        created_at: i64,
        updated_at: i64,
        building_id: Option<String>,
        registered_as: Option<String>,
        repeats: i64,
    }

    impl TryFrom<IntakeSqlRow> for IntakeRow {
        type Error = StoreError;

        fn try_from(row: IntakeSqlRow) -> Result<IntakeRow, StoreError> {
            let uuid = |what: &str, id: Option<String>| {
                id.as_deref().map(|id| parse_uuid(what, id)).transpose()
            };
            Ok(IntakeRow {
                id: parse_uuid("grid_resident_intake.id", &row.id)?,
                building_id: uuid("grid_buildings.id", row.building_id)?,
                registered_as: uuid("grid_residents.id", row.registered_as)?,
                record: IntakeRecord {
                    grid_code: row.grid_code,
                    name: row.name,
                    id_number: row.id_number,
                    id_problem: row.id_problem,
                    phone: row.phone,
                    address: row.address,
                    address_key: row.address_key,
                    unit: row.unit,
                    room: row.room,
                    note: row.note,
                },
                source: row.source,
                version: row.version,
                created_at: row.created_at,
                updated_at: row.updated_at,
                repeats: row.repeats,
            })
        }
    }
}
