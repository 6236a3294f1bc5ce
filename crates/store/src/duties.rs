//! Storage for the grid staff's duties (网格员职责): patrol logs (巡查),
//! visits to households and to tagged people (入户走访、重点人员走访), and
//! attendance at emergencies and disputes (应急处置、矛盾调处).
//!
//! # What is stored, and what is derived
//!
//! Only facts are stored: who patrolled which grid when, who visited which
//! household or person, who attended which case. What is *due* follows from
//! the rules (`yiwang_grid::duties`: a patrol per grid per working day,
//! visits per period of months, attendance within working hours) and is
//! worked out by the caller when a page is drawn; the store answers the
//! questions that needs, each in one query whatever the number of grids
//! (the supervisor's overdue list covers the district's 1,137 grids):
//!
//! * [`DutyStore::patrol_days`]: patrol logs counted per grid and Beijing
//!   day over a range of days;
//! * [`DutyStore::visit_subjects`]: every household with residents (or every
//!   resident with a tag) in scope, with the visits of one kind it had in a
//!   window, optionally only those visited fewer than `n` times;
//! * [`DutyStore::attendance_cases`]: the cases of the given categories
//!   reported in a range, with their first attendance;
//! * [`DutyStore::patrol_completion`] and [`DutyStore::visit_completion`]:
//!   the same counts summed per street, community or grid for the KPIs;
//! * [`DutyStore::last_patrols`]: each grid's last patrol, for the
//!   zombie-grid rules.
//!
//! The subjects of visits are the households and tagged residents
//! registered now, in the grid of their building now.
//!
//! # Tables
//!
//! `grid_duty_patrols`, `grid_duty_visits`, `grid_duty_attendances`
//! (migration 0010). Every write is audited in its transaction
//! (`duty.patrol`, `duty.visit`, `duty.attendance`, and one
//! `duty.import` record for a bulk import); audit details carry no personal
//! data.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::kpi::KpiGroup;
use crate::{AuditCtx, Page, Paged, StoreResult};

/// The kinds of visit (the `yiwang_grid::duties::DutyKind` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// 入户走访: a household.
    Household,
    /// 重点人员走访: a person with a duty tag.
    Tagged,
}

impl VisitKind {
    pub fn code(self) -> &'static str {
        match self {
            VisitKind::Household => "household_visit",
            VisitKind::Tagged => "tagged_visit",
        }
    }

    pub fn from_code(code: &str) -> Option<VisitKind> {
        match code {
            "household_visit" => Some(VisitKind::Household),
            "tagged_visit" => Some(VisitKind::Tagged),
            _ => None,
        }
    }
}

/// A patrol to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPatrol {
    pub id: Uuid,
    pub grid_code: String,
    /// When it was made, µs.
    pub at: i64,
    /// The account recording it; `None` for imports.
    pub worker_id: Option<Uuid>,
    pub worker_name: String,
    pub route: String,
    pub notes: String,
    /// WGS84, both or neither.
    pub point: Option<(f64, f64)>,
}

/// A visit to record. The grid is the household's building's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVisit {
    pub id: Uuid,
    pub kind: VisitKind,
    pub household_id: Uuid,
    /// The person visited: required for [`VisitKind::Tagged`], and they must
    /// live in the household.
    pub resident_id: Option<Uuid>,
    pub at: i64,
    pub worker_id: Option<Uuid>,
    pub worker_name: String,
    pub notes: String,
    pub findings: String,
}

/// An attendance to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttendance {
    pub id: Uuid,
    pub case_id: Uuid,
    pub at: i64,
    pub worker_id: Option<Uuid>,
    pub worker_name: String,
    pub notes: String,
}

/// Which grids a duty query covers. Both filters apply when both are given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DutyScope {
    /// Only these grids (a worker's own); `Some(vec![])` covers none.
    pub grids: Option<Vec<String>>,
    /// Only grids whose code starts with this (a street, a community, a
    /// grid).
    pub under: Option<String>,
}

impl DutyScope {
    /// Every grid.
    pub fn all() -> DutyScope {
        DutyScope::default()
    }

    /// The given grids.
    pub fn grids(grids: Vec<String>) -> DutyScope {
        DutyScope {
            grids: Some(grids),
            under: None,
        }
    }

    /// Covers no grid at all.
    pub fn is_empty(&self) -> bool {
        self.grids.as_ref().is_some_and(Vec::is_empty)
    }
}

/// Patrol logs of one grid on one Beijing day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatrolDay {
    pub grid_code: String,
    /// The day's start, µs.
    pub day: i64,
    pub patrols: i64,
}

/// A household or a tagged person, with its visits in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitSubject {
    pub grid_code: String,
    pub household_id: Uuid,
    /// The person, for visits to tagged people.
    pub resident_id: Option<Uuid>,
    /// The household's address: building, unit and room.
    pub address: String,
    /// The person's name; empty for a household.
    pub name: String,
    /// The person's ID number, whole: mask it unless the reader may see it.
    pub id_number: String,
    /// Visits in the window.
    pub visits: i64,
    /// The last visit in the window, µs.
    pub last_visit: Option<i64>,
}

/// Which visit subjects [`DutyStore::visit_subjects`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitQuery {
    pub kind: VisitKind,
    pub scope: DutyScope,
    /// The window, µs, half-open.
    pub from: i64,
    pub to: i64,
    /// Only subjects visited fewer than this many times in the window.
    pub fewer_than: Option<i64>,
}

/// An emergency or dispute case and its first attendance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttendanceCase {
    pub case_id: Uuid,
    pub number: String,
    pub grid_code: String,
    pub category: String,
    pub address: String,
    pub stage: String,
    pub reported_at: i64,
    /// The first attendance, µs.
    pub attended_at: Option<i64>,
}

/// One entry of a grid's duty log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DutyLogEntry {
    /// `patrol`, `household_visit`, `tagged_visit` or `attendance`.
    pub kind: String,
    pub id: Uuid,
    pub at: i64,
    pub worker_name: String,
    /// The route, the household's address (and the person's name), or the
    /// case number.
    pub subject: String,
    pub notes: String,
    pub findings: String,
}

/// Sums of one group for the completion rates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DutyCounts {
    /// The grid-code prefix of the group.
    pub key: String,
    /// Obligations (grids × days, or subjects).
    pub due: i64,
    /// Of those, the ones done.
    pub done: i64,
}

/// Counts of a bulk import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DutyImportCounts {
    pub patrols: u64,
    pub visits: u64,
}

/// SQL text shared by the SQL backends. Each query is built with sqlx's
/// `QueryBuilder` from these pieces, so that bind markers suit the backend.
pub mod sql {
    /// Rows per multi-row INSERT of an import (11 binds a row).
    pub const CHUNK: usize = 800;

    pub const PATROL_INSERT: &str = "INSERT INTO grid_duty_patrols (id, grid_code, at, day, \
         worker_id, worker_name, route, notes, lng, lat, created_at) ";

    pub const VISIT_INSERT: &str = "INSERT INTO grid_duty_visits (id, kind, grid_code, \
         household_id, resident_id, at, worker_id, worker_name, notes, findings, created_at) ";

    /// Patrols per grid and day; the caller adds `AND day >= … AND day < …`
    /// and the scope, then [`PATROL_DAYS_TAIL`].
    pub const PATROL_DAYS: &str =
        "SELECT grid_code, day, COUNT(*) AS patrols FROM grid_duty_patrols WHERE 1 = 1";

    pub const PATROL_DAYS_TAIL: &str = " GROUP BY grid_code, day ORDER BY grid_code, day";

    /// The address of a household `h` in building `b`.
    pub const ADDRESS: &str = "b.road || b.number || b.building || h.unit || h.room";

    /// Households with residents and their visits in a window: the caller
    /// binds the window's start and end into [`VISITS_IN_WINDOW`] first.
    pub fn household_subjects(visits: &str) -> String {
        format!(
            "SELECT b.grid_code AS grid_code, h.id AS household_id, \
             CAST(NULL AS TEXT) AS resident_id, {ADDRESS} AS address, '' AS name, \
             '' AS id_number, CAST(COALESCE(v.n, 0) AS BIGINT) AS visits, v.last AS last_visit \
             FROM grid_households h JOIN grid_buildings b ON b.id = h.building_id \
             LEFT JOIN ({visits}) v ON v.subject = h.id \
             WHERE EXISTS (SELECT 1 FROM grid_residents r WHERE r.household_id = h.id)"
        )
    }

    /// Residents with a tag and their visits in a window.
    pub fn tagged_subjects(visits: &str) -> String {
        format!(
            "SELECT b.grid_code AS grid_code, h.id AS household_id, r.id AS resident_id, \
             {ADDRESS} AS address, r.name AS name, r.id_number AS id_number, \
             CAST(COALESCE(v.n, 0) AS BIGINT) AS visits, v.last AS last_visit \
             FROM grid_residents r JOIN grid_households h ON h.id = r.household_id \
             JOIN grid_buildings b ON b.id = h.building_id \
             LEFT JOIN ({visits}) v ON v.subject = r.id \
             WHERE EXISTS (SELECT 1 FROM grid_resident_tags t WHERE t.resident_id = r.id)"
        )
    }

    /// The visits of one kind per subject; `{subject}` is `household_id` or
    /// `resident_id`, and the caller binds the kind, the window's start and
    /// its end, in that order, in place of the three `{}` markers.
    pub const VISITS_IN_WINDOW: [&str; 4] = [
        "SELECT {subject} AS subject, COUNT(*) AS n, MAX(at) AS last FROM grid_duty_visits \
         WHERE kind = ",
        " AND at >= ",
        " AND at < ",
        " GROUP BY {subject}",
    ];

    /// Ends the subject query.
    pub const SUBJECTS_ORDER: &str = " ORDER BY grid_code, address, name, household_id";

    /// Emergency and dispute cases; the caller adds the categories, the
    /// range and the scope, then [`ATTENDANCE_ORDER`].
    pub const ATTENDANCE_CASES: &str = "SELECT c.id AS case_id, c.number AS number, \
         c.grid_code AS grid_code, c.category AS category, c.address AS address, \
         c.stage AS stage, c.created_at AS reported_at, \
         (SELECT MIN(a.at) FROM grid_duty_attendances a WHERE a.case_id = c.id) AS attended_at \
         FROM cases c WHERE 1 = 1";

    pub const ATTENDANCE_ORDER: &str = " ORDER BY c.created_at, c.number";

    /// A grid's duty log: the caller binds the grid code three times.
    pub const LOG: [&str; 4] = [
        "SELECT 'patrol' AS kind, p.id AS id, p.at AS at, p.worker_name AS worker_name, \
         p.route AS subject, p.notes AS notes, '' AS findings \
         FROM grid_duty_patrols p WHERE p.grid_code = ",
        " UNION ALL SELECT v.kind AS kind, v.id AS id, v.at AS at, v.worker_name AS worker_name, \
         b.road || b.number || b.building || h.unit || h.room || COALESCE(' ' || r.name, '') \
         AS subject, v.notes AS notes, v.findings AS findings \
         FROM grid_duty_visits v JOIN grid_households h ON h.id = v.household_id \
         JOIN grid_buildings b ON b.id = h.building_id \
         LEFT JOIN grid_residents r ON r.id = v.resident_id WHERE v.grid_code = ",
        " UNION ALL SELECT 'attendance' AS kind, a.id AS id, a.at AS at, \
         a.worker_name AS worker_name, c.number AS subject, a.notes AS notes, '' AS findings \
         FROM grid_duty_attendances a JOIN cases c ON c.id = a.case_id WHERE c.grid_code = ",
        "",
    ];

    /// Grids per group (every grid has a patrol a working day); `{n}` is
    /// the prefix length.
    pub const GRIDS_PER_GROUP: &str =
        "SELECT substr(code, 1, {n}) AS k, COUNT(*) AS n FROM grids WHERE 1 = 1";

    /// Grid-days with enough patrols per group: the caller binds the
    /// required count into the HAVING clause after its `WHERE day IN (…)`
    /// and scope: `{PATROLS_DONE_HEAD} … GROUP BY grid_code, day HAVING
    /// COUNT(*) >= ? {PATROLS_DONE_TAIL}`.
    pub const PATROLS_DONE_HEAD: &str = "SELECT substr(t.grid_code, 1, {n}) AS k, \
         COUNT(*) AS n FROM (SELECT grid_code, day FROM grid_duty_patrols WHERE day IN (";

    pub const PATROLS_DONE_TAIL: &str = ") t GROUP BY k ORDER BY k";

    pub const GROUP_TAIL: &str = " GROUP BY k ORDER BY k";

    /// Every grid's last patrol.
    pub const LAST_PATROLS: &str =
        "SELECT grid_code, MAX(at) AS last FROM grid_duty_patrols GROUP BY grid_code";
}

/// Storage for patrols, visits and attendance.
#[async_trait]
pub trait DutyStore: Send + Sync {
    /// Records a patrol. `NotFound` for an unknown grid.
    async fn record_patrol(&self, ctx: &AuditCtx, patrol: NewPatrol) -> StoreResult<()>;

    /// Records a visit in the grid of the household's building, which is
    /// returned. `NotFound` for an unknown household, or a person who does
    /// not live in it; `Conflict { field: "resident" }` for a visit to a
    /// tagged person without a person, or a household visit with one.
    async fn record_visit(&self, ctx: &AuditCtx, visit: NewVisit) -> StoreResult<String>;

    /// Records an attendance at a case. `NotFound` for an unknown case.
    async fn record_attendance(&self, ctx: &AuditCtx, attendance: NewAttendance)
        -> StoreResult<()>;

    /// Imports patrols and visits (demo data, a former system) in one
    /// transaction with one audit record; visits take their grid from the
    /// household's building. All or nothing.
    async fn import_duties(
        &self,
        ctx: &AuditCtx,
        label: &str,
        patrols: Vec<NewPatrol>,
        visits: Vec<NewVisit>,
    ) -> StoreResult<DutyImportCounts>;

    /// Patrol logs per grid and day for the days starting in `[from, to)`
    /// (µs), in grid and day order; only grid-days with a patrol.
    async fn patrol_days(
        &self,
        scope: &DutyScope,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<PatrolDay>>;

    /// The subjects of a kind of visit in scope with their visits in the
    /// window, in grid and address order.
    async fn visit_subjects(&self, query: &VisitQuery) -> StoreResult<Vec<VisitSubject>>;

    /// Cases of `categories` reported in `[from, to)` in scope, with their
    /// first attendance, oldest first.
    async fn attendance_cases(
        &self,
        scope: &DutyScope,
        categories: &[String],
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<AttendanceCase>>;

    /// A grid's patrols, visits and attendances, newest first.
    async fn duty_log(&self, grid_code: &str, page: Page) -> StoreResult<Paged<DutyLogEntry>>;

    /// Patrol completion on `days` (day starts): per group of `group`'s
    /// prefix under `under`, the grids × days due and the grid-days with at
    /// least `required` patrols; every group with a grid listed.
    async fn patrol_completion(
        &self,
        group: KpiGroup,
        days: &[i64],
        required: u32,
        under: Option<&str>,
    ) -> StoreResult<Vec<DutyCounts>>;

    /// Visit completion of one window: per group, the subjects and those
    /// visited at least once in `[from, to)`; groups with a subject only.
    async fn visit_completion(
        &self,
        kind: VisitKind,
        group: KpiGroup,
        from: i64,
        to: i64,
        under: Option<&str>,
    ) -> StoreResult<Vec<DutyCounts>>;

    /// Every grid's last patrol, µs, for the grids with one.
    async fn last_patrols(&self) -> StoreResult<Vec<(String, i64)>>;
}

/// Rows as the SQL backends read them.
#[cfg(feature = "sql")]
pub mod rows {
    use super::{AttendanceCase, DutyLogEntry, VisitSubject};
    use crate::sql_rows::{parse_opt_uuid, parse_uuid};
    use crate::StoreError;

    #[derive(Debug, sqlx::FromRow)]
    pub struct VisitSubjectRow {
        grid_code: String,
        household_id: String,
        resident_id: Option<String>,
        address: String,
        name: String,
        id_number: String,
        visits: i64,
        last_visit: Option<i64>,
    }

    impl TryFrom<VisitSubjectRow> for VisitSubject {
        type Error = StoreError;

        fn try_from(r: VisitSubjectRow) -> Result<VisitSubject, StoreError> {
            Ok(VisitSubject {
                grid_code: r.grid_code,
                household_id: parse_uuid("grid_households.id", &r.household_id)?,
                resident_id: parse_opt_uuid("grid_residents.id", r.resident_id)?,
                address: r.address,
                name: r.name,
                id_number: r.id_number,
                visits: r.visits,
                last_visit: r.last_visit,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct AttendanceCaseRow {
        case_id: String,
        number: String,
        grid_code: String,
        category: String,
        address: String,
        stage: String,
        reported_at: i64,
        attended_at: Option<i64>,
    }

    impl TryFrom<AttendanceCaseRow> for AttendanceCase {
        type Error = StoreError;

        fn try_from(r: AttendanceCaseRow) -> Result<AttendanceCase, StoreError> {
            Ok(AttendanceCase {
                case_id: parse_uuid("cases.id", &r.case_id)?,
                number: r.number,
                grid_code: r.grid_code,
                category: r.category,
                address: r.address,
                stage: r.stage,
                reported_at: r.reported_at,
                attended_at: r.attended_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct DutyLogRow {
        kind: String,
        id: String,
        at: i64,
        worker_name: String,
        subject: String,
        notes: String,
        findings: String,
    }

    impl TryFrom<DutyLogRow> for DutyLogEntry {
        type Error = StoreError;

        fn try_from(r: DutyLogRow) -> Result<DutyLogEntry, StoreError> {
            Ok(DutyLogEntry {
                id: parse_uuid("duty log id", &r.id)?,
                kind: r.kind,
                at: r.at,
                worker_name: r.worker_name,
                subject: r.subject,
                notes: r.notes,
                findings: r.findings,
            })
        }
    }
}
