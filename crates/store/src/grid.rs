//! Storage for grid governance: the units of the grid tree, the grids with
//! their filed boundaries, and the staff who answer for them.
//!
//! # What the store knows of the domain
//!
//! As with the exchange, only what queries need. Codes are the grid
//! crate's standard codes, already validated by the caller, kept as text (a
//! code's prefix is its parent's code, so `LIKE '320612001%'` is a subtree).
//! Boundaries are GeoJSON `Polygon` text written and read by the grid
//! crate; the store never parses them. A boundary's geodesic area, which
//! the directory shows and sorts on, is computed by the caller and kept in
//! hundredths of a square metre (`area_centi`, as `yiwang_core::Area`).
//!
//! # Tables
//!
//! - `grid_units`: districts, streets/towns and communities/villages, each
//!   with its parent; a community carries its boundary (the outline its
//!   comprehensive grids must tile).
//! - `grids`: code, kind, name, community, and the current boundary (its
//!   version number and a copy of its GeoJSON and area, so the directory
//!   and the map read one row per grid).
//! - `grid_boundary_versions`: every boundary a grid has had or has been
//!   filed with (备案). Version 1 is the boundary the grid was created with,
//!   approved at creation. A change is a new version, `pending` until a
//!   supervisor approves it (it becomes current, and the version it replaces
//!   becomes `superseded`) or rejects it (`rejected`). Nothing is deleted:
//!   the history of a grid's lines stays readable. A grid has at most one
//!   pending filing at a time.
//! - `grid_staff`: grid leaders and workers, with the name and official
//!   phone the public directory shows, and optionally the account they log
//!   in with.
//! - `grid_assignments`: who works in which grid, as `leader` or `worker`.
//!   Unique indexes hold the rules: a grid has one leader, and a person
//!   leads at most one grid (and may work in others). Every grid has a
//!   leader: a district is imported only with a leader for each grid, a
//!   leader is replaced rather than removed, and removing a leader's
//!   assignment is refused.
//!
//! Every change writes its audit record in the same transaction. A bulk
//! import writes one record naming the district and the counts: the import
//! is one act, and its rows are all in the tables it names.

use serde::Serialize;
use uuid::Uuid;

use crate::{AuditCtx, Page, Paged, StoreResult};

use async_trait::async_trait;

/// The level of a unit above the grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    /// 区县 (6-digit code).
    District,
    /// 街道/镇 (9-digit code).
    Street,
    /// 社区/村 (12-digit code).
    Community,
}

impl UnitLevel {
    pub fn code(self) -> &'static str {
        match self {
            UnitLevel::District => "district",
            UnitLevel::Street => "street",
            UnitLevel::Community => "community",
        }
    }

    pub fn from_code(code: &str) -> Option<UnitLevel> {
        match code {
            "district" => Some(UnitLevel::District),
            "street" => Some(UnitLevel::Street),
            "community" => Some(UnitLevel::Community),
            _ => None,
        }
    }
}

/// A district, street or community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRow {
    pub code: String,
    pub level: UnitLevel,
    pub name: String,
    /// `None` for a district.
    pub parent_code: Option<String>,
    /// A community's outline, GeoJSON `Polygon` text.
    pub boundary_json: Option<String>,
}

/// A grid's role for a member of staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// 网格长.
    Leader,
    /// 网格员.
    Worker,
}

impl StaffRole {
    pub fn code(self) -> &'static str {
        match self {
            StaffRole::Leader => "leader",
            StaffRole::Worker => "worker",
        }
    }

    pub fn from_code(code: &str) -> Option<StaffRole> {
        match code {
            "leader" => Some(StaffRole::Leader),
            "worker" => Some(StaffRole::Worker),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Leader => "网格长",
            StaffRole::Worker => "网格员",
        }
    }
}

/// A grid with its current boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GridRow {
    /// The 15-digit code.
    pub code: String,
    /// The grid crate's kind code (`comprehensive`, `specialised.school`).
    pub kind: String,
    pub name: String,
    pub community_code: String,
    /// The current boundary's version.
    pub boundary_version: i64,
    /// The current boundary, GeoJSON `Polygon` text.
    pub boundary_json: String,
    /// The current boundary's area, hundredths of a m².
    pub area_centi: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A member of grid staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffRow {
    pub id: Uuid,
    pub name: String,
    /// The official phone the directory publishes (never a private one).
    pub official_phone: String,
    /// The account the person logs in with, when they have one.
    pub user_id: Option<Uuid>,
    pub created_at: i64,
}

/// A member of staff in a grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentRow {
    pub grid_code: String,
    pub staff: StaffRow,
    pub role: StaffRole,
    pub since: i64,
}

/// One line of the public directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirectoryEntry {
    pub grid: GridRow,
    pub community_name: String,
    pub street_code: String,
    pub street_name: String,
    /// The leader (every grid has one; `None` only if data were damaged).
    pub leader: Option<StaffRow>,
}

/// Filters for the directory; entries come in code order.
#[derive(Debug, Clone, Default)]
pub struct GridQuery {
    /// Substring of the grid's code or name, its community's or street's
    /// name, or its leader's name.
    pub search: Option<String>,
    /// Grids under this unit (a code prefix: district, street or community).
    pub under: Option<String>,
    /// The kind code, exactly; `specialised` alone matches every
    /// specialised grid.
    pub kind: Option<String>,
}

/// A grid's shape for the look-up index and the map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridShape {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub boundary_json: String,
}

/// Where a filed boundary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingStatus {
    /// Filed, waiting for a supervisor.
    Pending,
    /// The grid's current boundary.
    Approved,
    /// Refused by a supervisor; kept.
    Rejected,
    /// Was current; replaced by a later approved version; kept.
    Superseded,
}

impl FilingStatus {
    pub fn code(self) -> &'static str {
        match self {
            FilingStatus::Pending => "pending",
            FilingStatus::Approved => "approved",
            FilingStatus::Rejected => "rejected",
            FilingStatus::Superseded => "superseded",
        }
    }

    pub fn from_code(code: &str) -> Option<FilingStatus> {
        match code {
            "pending" => Some(FilingStatus::Pending),
            "approved" => Some(FilingStatus::Approved),
            "rejected" => Some(FilingStatus::Rejected),
            "superseded" => Some(FilingStatus::Superseded),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FilingStatus::Pending => "待审核",
            FilingStatus::Approved => "现行",
            FilingStatus::Rejected => "已驳回",
            FilingStatus::Superseded => "已被替代",
        }
    }
}

/// One version of a grid's boundary (a filing, 备案).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoundaryVersionRow {
    pub grid_code: String,
    /// 1, 2, 3, … per grid.
    pub version: i64,
    pub boundary_json: String,
    pub area_centi: i64,
    pub status: FilingStatus,
    /// Why the boundary changed, as the filer wrote it.
    pub note: String,
    pub filed_by: Option<Uuid>,
    pub filed_by_name: String,
    pub filed_at: i64,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
}

/// A unit to import.
#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: String,
    pub level: UnitLevel,
    pub name: String,
    pub parent_code: Option<String>,
    pub boundary_json: Option<String>,
}

/// A grid to import; its boundary becomes version 1, approved.
#[derive(Debug, Clone)]
pub struct NewGrid {
    pub code: String,
    pub kind: String,
    pub name: String,
    pub community_code: String,
    pub boundary_json: String,
    pub area_centi: i64,
}

/// A member of staff to import.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// Chosen by the caller so assignments can name it.
    pub id: Uuid,
    pub name: String,
    pub official_phone: String,
    pub user_id: Option<Uuid>,
}

/// A whole district at once: its units, grids, staff and assignments.
#[derive(Debug, Clone, Default)]
pub struct GridImport {
    /// The district's code, for the audit record.
    pub district_code: String,
    /// Parents before children.
    pub units: Vec<NewUnit>,
    pub grids: Vec<NewGrid>,
    pub staff: Vec<NewStaff>,
    /// `(grid code, staff id, role)`.
    pub assignments: Vec<(String, Uuid, StaffRole)>,
}

/// A new boundary filed for a grid.
#[derive(Debug, Clone)]
pub struct NewFiling {
    pub grid_code: String,
    pub boundary_json: String,
    pub area_centi: i64,
    pub note: String,
}

/// Counts of a grid import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub units: u64,
    pub grids: u64,
    pub staff: u64,
    pub assignments: u64,
}

/// What `(count, sum of boundary versions)` of the grids is: it changes
/// whenever a grid is added or its boundary replaced, so a process caching
/// the look-up index rebuilds it when the stamp moves.
pub type GridStamp = (i64, i64);

/// Storage for grid governance.
#[async_trait]
pub trait GridStore: Send + Sync {
    /// Imports a district in one transaction: every unit, grid (boundary
    /// version 1, approved), member of staff and assignment, or nothing.
    /// Refused with [`StoreError::Conflict`](crate::StoreError::Conflict)
    /// naming `code` for a unit or grid that exists, and `leader` when a
    /// grid would have no leader, two leaders, or a person would lead two
    /// grids.
    async fn import_grids(&self, ctx: &AuditCtx, import: GridImport) -> StoreResult<ImportCounts>;

    /// Every unit, in code order.
    async fn grid_units(&self) -> StoreResult<Vec<UnitRow>>;

    async fn grid(&self, code: &str) -> StoreResult<Option<GridRow>>;

    /// The directory, in code order.
    async fn grid_directory(
        &self,
        query: &GridQuery,
        page: Page,
    ) -> StoreResult<Paged<DirectoryEntry>>;

    /// Every grid's current shape, in code order.
    async fn grid_shapes(&self) -> StoreResult<Vec<GridShape>>;

    /// The stamp of the grids' shapes ([`GridStamp`]).
    async fn grid_stamp(&self) -> StoreResult<GridStamp>;

    /// The number of grids.
    async fn count_grids(&self) -> StoreResult<u64>;

    /// The staff of a grid, the leader first, then by name.
    async fn grid_staff(&self, grid_code: &str) -> StoreResult<Vec<AssignmentRow>>;

    /// The member of staff an account belongs to.
    async fn staff_for_user(&self, user_id: Uuid) -> StoreResult<Option<StaffRow>>;

    /// The grids a member of staff works in, the one they lead first.
    async fn staff_assignments(&self, staff_id: Uuid) -> StoreResult<Vec<AssignmentRow>>;

    /// Puts a member of staff in a grid. As `leader`, they replace the
    /// grid's leader (whose assignment ends); refused with `Conflict
    /// { field: "leader" }` when they already lead another grid. As
    /// `worker`, refused the same way when they lead this grid.
    async fn assign_staff(
        &self,
        ctx: &AuditCtx,
        grid_code: &str,
        staff_id: Uuid,
        role: StaffRole,
    ) -> StoreResult<()>;

    /// Ends a worker's assignment; a leader's is refused with `Conflict
    /// { field: "leader" }` (a grid always has a leader: replace them).
    async fn unassign_staff(
        &self,
        ctx: &AuditCtx,
        grid_code: &str,
        staff_id: Uuid,
    ) -> StoreResult<()>;

    /// Files a new boundary for a grid: the next version, pending. Refused
    /// with `Conflict { field: "pending_filing" }` while another is pending.
    async fn file_boundary(
        &self,
        ctx: &AuditCtx,
        filing: NewFiling,
    ) -> StoreResult<BoundaryVersionRow>;

    /// A supervisor's decision on a pending filing. Approving makes it the
    /// grid's current boundary and supersedes the one before; rejecting
    /// keeps it as rejected. `NotFound` for no such version; `Conflict
    /// { field: "status" }` when it is not pending.
    async fn decide_filing(
        &self,
        ctx: &AuditCtx,
        grid_code: &str,
        version: i64,
        approve: bool,
        note: &str,
    ) -> StoreResult<BoundaryVersionRow>;

    /// Every version of a grid's boundary, newest first.
    async fn boundary_versions(&self, grid_code: &str) -> StoreResult<Vec<BoundaryVersionRow>>;

    /// Pending filings, oldest first.
    async fn pending_filings(&self, page: Page) -> StoreResult<Paged<BoundaryVersionRow>>;
}

impl GridImport {
    /// Checks the leadership rules before anything is written: every grid of
    /// the import has exactly one leader, nobody leads two grids, and every
    /// assignment names a grid of the import and a member of its staff.
    pub fn check(&self) -> StoreResult<()> {
        use std::collections::{HashMap, HashSet};
        let grids: HashSet<&str> = self.grids.iter().map(|g| g.code.as_str()).collect();
        let staff: HashSet<Uuid> = self.staff.iter().map(|s| s.id).collect();
        let mut leaders: HashMap<&str, usize> = HashMap::new();
        let mut leading: HashSet<Uuid> = HashSet::new();
        let mut pairs: HashSet<(&str, Uuid)> = HashSet::new();
        for (grid, person, role) in &self.assignments {
            if !grids.contains(grid.as_str()) || !staff.contains(person) {
                return Err(crate::StoreError::NotFound);
            }
            if !pairs.insert((grid.as_str(), *person)) {
                return Err(crate::StoreError::Conflict {
                    field: "assignment",
                });
            }
            if *role == StaffRole::Leader {
                *leaders.entry(grid.as_str()).or_default() += 1;
                if !leading.insert(*person) {
                    return Err(crate::StoreError::Conflict { field: "leader" });
                }
            }
        }
        if self
            .grids
            .iter()
            .any(|g| leaders.get(g.code.as_str()) != Some(&1))
        {
            return Err(crate::StoreError::Conflict { field: "leader" });
        }
        Ok(())
    }
}
