//! Storage for cases on the shared case workflow (`yiwang-cases`): grid
//! events (事件) today, enterprise requests and mediations later.
//!
//! # What the store knows of the workflow
//!
//! As for the exchange, nothing it does not need. A case's truth is its
//! facts: the workflow's events, kept in order (`seq` 1, 2, 3, … per case)
//! as JSON text written and read by `yiwang-cases`. The `cases` row beside
//! them is a summary the caller computes from the folded state after each
//! append — stage, department, the running deadlines, whether an extension
//! waits — so that work lists filter on typed, indexed columns and the
//! store never parses a fact. What a case is about (category, grid code,
//! point, address, description, reporter) is copied out once, at the report.
//!
//! A grid is named by its 15-digit code as text. The caller resolves it
//! against the grid tables before a report is stored (a case is always in
//! a grid that exists); the store keeps no foreign key, so that cases of
//! other systems can name other areas.
//!
//! The summary also keeps what the indicators need, so that KPIs are sums
//! over typed columns (`yiwang_cases::kpi` defines them; [`crate::kpi`]
//! counts them): when the case was filed, its overall limit as extended
//! (kept after the close), whether it was ever on the problem register,
//! how many re-checks failed and extensions were approved, and the working
//! time from report to close.
//!
//! # Writing
//!
//! [`CaseStore::create_case`] inserts the case with its first facts, gives
//! it its public number (`{prefix}{n:05}`, `n` counting per prefix from 1 —
//! the caller passes "SJ" and the day, so numbers read `SJ2026120600001`)
//! and writes one audit record, all in one transaction. Photos uploaded
//! with a report or an action ([`NewPhoto`]) are stored in the same
//! transaction as the facts that cite them, and named in its audit record.
//! [`CaseStore::append_case`] appends facts, replaces the summary and writes
//! one audit record in one transaction, provided the case's last `seq` is
//! still the one the caller decided against ([`CaseAppend::expected_seq`]);
//! otherwise it writes nothing and answers [`CaseAppendOutcome::Stale`], and
//! the caller reloads and decides again. So each case's log is one total
//! order whoever writes, with no lock held across a decision.
//!
//! # Reading
//!
//! [`CaseStore::case`] gives a case with its facts, [`CaseStore::list_cases`]
//! pages through cases filtered as work lists need ([`CaseQuery`]),
//! [`CaseStore::cases_due`] lists the cases whose next deadline has come
//! (for the escalation timer), and [`CaseStore::open_cases_near`] the open
//! cases of a category reported since an instant around a point: a
//! bounding box that contains the circle, so the caller measures the exact
//! distance (the workflow's `possible_duplicates`).

use serde::Serialize;
use uuid::Uuid;

use crate::{AuditCtx, NewAudit, Page, Paged, StoreResult};

use async_trait::async_trait;

/// The stages in which a case is finished: nothing more happens to it.
pub const FINAL_STAGES: [&str; 2] = ["rejected", "evaluated"];

/// A case's summary row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRow {
    pub id: Uuid,
    /// The public number, e.g. `SJ2026120600001`.
    pub number: String,
    pub category: String,
    /// The 15-digit code of the grid the case is in.
    pub grid_code: String,
    /// WGS84 longitude and latitude, when the reporter gave a point.
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub address: String,
    pub description: String,
    /// Who reported: `staff`, `resident` or `open311`.
    pub reporter_kind: String,
    /// The reporter's account id, when signed in.
    pub reporter_id: Option<String>,
    /// The workflow's stage code.
    pub stage: String,
    /// The department the case is with, once dispatched.
    pub department: Option<String>,
    /// The running step and overall deadlines, µs (`None` when not running:
    /// not limited, finished, or on the problem register).
    pub step_due: Option<i64>,
    pub overall_due: Option<i64>,
    /// The next deadline that will escalate the case, µs.
    pub next_due: Option<i64>,
    /// An extension waits for approval.
    pub extension_pending: bool,
    /// On the problem register (挂账).
    pub registered: bool,
    pub escalations: i64,
    /// The reporter's rating, 1–5.
    pub rating: Option<i64>,
    /// The `seq` of the case's last fact.
    pub last_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// When the case was filed, µs.
    pub filed_at: Option<i64>,
    /// The overall limit as extended, kept after the close, µs.
    pub limit_at: Option<i64>,
    /// Ever on the problem register (缓办 in the on-time rate).
    pub deferred: bool,
    /// Failed re-checks.
    pub reworks: i64,
    /// Approved extensions.
    pub extensions: i64,
    /// Working µs from report to close.
    pub close_working: Option<i64>,
}

impl CaseRow {
    /// Whether a running deadline has passed at `now` (a deadline is met up
    /// to, not including, its instant).
    pub fn is_overdue(&self, now: i64) -> bool {
        !FINAL_STAGES.contains(&self.stage.as_str())
            && (self.step_due.is_some_and(|d| d <= now)
                || self.overall_due.is_some_and(|d| d <= now))
    }
}

/// One stored fact of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseEventRow {
    pub case_id: Uuid,
    /// 1, 2, 3, … per case with no gap.
    pub seq: i64,
    /// The instant the fact took effect, µs.
    pub at: i64,
    /// The event's name (`reported`, `filed`, `escalated`, …).
    pub kind: String,
    /// The fact as the workflow serialises it.
    pub fact_json: String,
}

/// A fact to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseEvent {
    pub at: i64,
    pub kind: String,
    pub fact_json: String,
}

/// What changes in the summary with an append: the values the folded state
/// has after the new facts.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSummary {
    pub stage: String,
    pub category: String,
    pub department: Option<String>,
    pub step_due: Option<i64>,
    pub overall_due: Option<i64>,
    pub next_due: Option<i64>,
    pub extension_pending: bool,
    pub registered: bool,
    pub escalations: i64,
    pub rating: Option<i64>,
    pub closed_at: Option<i64>,
    pub filed_at: Option<i64>,
    pub limit_at: Option<i64>,
    pub deferred: bool,
    pub reworks: i64,
    pub extensions: i64,
    pub close_working: Option<i64>,
}

/// A case to create with its first facts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    /// Chosen by the caller (UUIDv7).
    pub id: Uuid,
    /// The number's prefix, e.g. `SJ20261206`.
    pub number_prefix: String,
    pub grid_code: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub address: String,
    pub description: String,
    pub reporter_kind: String,
    pub reporter_id: Option<String>,
    pub summary: CaseSummary,
    /// At least one: the report.
    pub events: Vec<NewCaseEvent>,
    /// Photos uploaded with the report, stored with the case.
    pub photos: Vec<NewPhoto>,
    /// What the audit record says; its object is the case.
    pub audit_action: String,
    pub audit_detail: serde_json::Value,
}

/// Facts to append to one case, with the summary after them.
#[derive(Debug, Clone)]
pub struct CaseAppend {
    pub case_id: Uuid,
    /// The last `seq` the caller decided against.
    pub expected_seq: i64,
    pub events: Vec<NewCaseEvent>,
    pub summary: CaseSummary,
    /// Photos uploaded with the action (handling feedback), stored with
    /// the case.
    pub photos: Vec<NewPhoto>,
    /// The audit record; its object kind and id are set by the store to the
    /// case.
    pub audit: NewAudit,
}

/// A photo to store with a case: JPEG or PNG bytes, already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhoto {
    /// Chosen by the caller, so the facts can cite it before it is stored.
    pub id: Uuid,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// The account that uploaded it.
    pub uploaded_by: String,
}

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub uploaded_by: String,
    pub created_at: i64,
}

/// What [`CaseStore::append_case`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseAppendOutcome {
    /// Appended; the case as it is now.
    Appended(Box<CaseRow>),
    /// The case's log moved on since `expected_seq`: nothing was written.
    Stale { last_seq: i64 },
}

/// Filters for lists of cases; every filter set must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseQuery {
    /// Any of these stages (none: any stage).
    pub stages: Vec<String>,
    pub category: Option<String>,
    /// Grid codes starting with this (a district, street, community or grid).
    pub grid_prefix: Option<String>,
    pub department: Option<String>,
    /// Only cases in one of these grids (an empty list: none at all); a
    /// viewer's scope.
    pub grid_codes: Option<Vec<String>>,
    /// Only cases overdue at this instant ([`CaseRow::is_overdue`]).
    pub overdue_at: Option<i64>,
    pub extension_pending: Option<bool>,
    pub registered: Option<bool>,
    pub reporter_id: Option<String>,
    pub reporter_kind: Option<String>,
    /// Reported in `[from, to)`, µs.
    pub created_from: Option<i64>,
    pub created_to: Option<i64>,
}

/// A case generated elsewhere (demo data, an import from another system)
/// with its number and instants already decided.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCase {
    pub case: NewCase,
    pub number: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Storage of cases and their facts.
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Creates a case with its first facts (seq 1, 2, …) and its number, and
    /// audits it, in one transaction. Conflict `case_id` when the id exists.
    async fn create_case(&self, ctx: &AuditCtx, case: NewCase) -> StoreResult<CaseRow>;

    /// Inserts cases with their facts and numbers in one transaction, with
    /// one audit record (`case.import`) naming how many; each number is its
    /// case's `number_prefix` and a counter, and the prefix's counter moves
    /// past the largest given. Conflict `case_id` or
    /// `number` when one exists.
    async fn import_cases(&self, ctx: &AuditCtx, cases: Vec<ImportedCase>) -> StoreResult<u64>;

    /// Appends facts after `expected_seq`, replaces the summary and audits,
    /// in one transaction; [`CaseAppendOutcome::Stale`] (nothing written)
    /// when the log moved on. `NotFound` for an unknown case.
    async fn append_case(
        &self,
        ctx: &AuditCtx,
        append: CaseAppend,
    ) -> StoreResult<CaseAppendOutcome>;

    /// The case and its facts in order.
    async fn case(&self, id: Uuid) -> StoreResult<Option<(CaseRow, Vec<CaseEventRow>)>>;

    /// Keeps photos sent with a report form that came back to its
    /// reporter (a possible duplicate to look at, a field to correct), so
    /// that the next submission can cite them by id without choosing them
    /// again; a case stored with one of them ([`NewCase::photos`],
    /// [`CaseAppend::photos`], same id) takes it over in its transaction.
    /// Kept photos older than `expire_before` are dropped at the same
    /// time. One audit record names the photos kept.
    async fn hold_photos(
        &self,
        ctx: &AuditCtx,
        photos: Vec<NewPhoto>,
        expire_before: i64,
    ) -> StoreResult<()>;

    /// The kept photos among `ids` that `uploaded_by` uploaded, in the
    /// order of `ids`; others' photos and unknown ids are left out.
    async fn held_photos(&self, uploaded_by: &str, ids: &[Uuid]) -> StoreResult<Vec<NewPhoto>>;

    /// A photo of a case.
    async fn photo(&self, id: Uuid) -> StoreResult<Option<PhotoRow>>;

    /// The case with this public number.
    async fn case_by_number(&self, number: &str) -> StoreResult<Option<CaseRow>>;

    /// Cases matching the query, newest first.
    async fn list_cases(&self, query: &CaseQuery, page: Page) -> StoreResult<Paged<CaseRow>>;

    /// Cases whose `next_due` is at or before `now`, earliest first, at most
    /// `limit`.
    async fn cases_due(&self, now: i64, limit: u32) -> StoreResult<Vec<CaseRow>>;

    /// Unfinished cases of `category` reported at or after `since` whose
    /// point lies within the box around (`lng`, `lat`) that contains the
    /// circle of `radius_m` metres; at most 50, newest first.
    async fn open_cases_near(
        &self,
        category: &str,
        lng: f64,
        lat: f64,
        radius_m: f64,
        since: i64,
    ) -> StoreResult<Vec<CaseRow>>;
}

/// The bounding box `(min_lng, max_lng, min_lat, max_lat)` that contains
/// every point within `radius_m` of (`lng`, `lat`), with a margin; wide
/// open in longitude near the poles. Both backends filter with it.
pub fn bounding_box(lng: f64, lat: f64, radius_m: f64) -> (f64, f64, f64, f64) {
    // Metres per degree of latitude on the mean sphere, rounded down, so the
    // box errs on the wide side; 1.01 is a further margin.
    const M_PER_DEG: f64 = 111_000.0;
    let dlat = radius_m * 1.01 / M_PER_DEG;
    let cos = (lat.abs() + dlat).min(90.0).to_radians().cos();
    let dlng = if cos < 1e-6 {
        360.0
    } else {
        (radius_m * 1.01 / (M_PER_DEG * cos)).min(360.0)
    };
    (lng - dlng, lng + dlng, lat - dlat, lat + dlat)
}

/// The number of a case: the prefix and the counter on five digits.
pub fn case_number(prefix: &str, n: i64) -> String {
    format!("{prefix}{n:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_five_digits() {
        assert_eq!(case_number("SJ20261206", 1), "SJ2026120600001");
        assert_eq!(case_number("SJ20261206", 12345), "SJ2026120612345");
    }

    #[test]
    fn the_box_contains_the_circle() {
        let (lng0, lng1, lat0, lat1) = bounding_box(116.65, 39.90, 50.0);
        // 50 m north is ~0.00045°, 50 m east at 39.9° is ~0.000586°.
        assert!(lat1 - 39.90 > 0.00045 && lat1 - 39.90 < 0.0005);
        assert!(lng1 - 116.65 > 0.000586 && lng1 - 116.65 < 0.00065);
        assert!((39.90 - lat0 - (lat1 - 39.90)).abs() < 1e-12);
        assert!((116.65 - lng0 - (lng1 - 116.65)).abs() < 1e-12);
    }
}
