//! Storage for enterprise visits (千企询访) and the service staff assigned to
//! each enterprise (服务专员, the service card's contacts).
//!
//! The rules (what a plan and a record need, the correction window, when a
//! finding may become a request) are `yiwang_services::visits`; the store
//! keeps the facts and refuses, when the change is made, what the facts no
//! longer allow (a cancelled visit recorded, a recorded one cancelled, a
//! record corrected after its window, a finding turned into two requests),
//! so that two people acting at once cannot both succeed.
//!
//! Turning a finding into a request stores the request exactly as
//! [`RequestStore::create_request`](crate::RequestStore::create_request)
//! does (its number, its parts, `request.submit`) and links the finding to
//! it, in one transaction.
//!
//! # Tables
//!
//! `services_visits`, `services_visit_staff`, `services_visit_findings`,
//! the number counter `services_visit_numbers` and
//! `services_enterprise_staff` (migration 0017). Every change is audited in
//! its transaction: `visit.plan`, `visit.cancel`, `visit.record`,
//! `visit.correct`, `visit.convert` (with the request's `request.submit`),
//! `enterprise.staff`.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::requests::{NewRequest, RequestRow};
use crate::{AuditCtx, Page, Paged, StoreResult};

/// A planned visit to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVisit {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    /// Beijing midnight of the planned day, µs.
    pub planned_on: i64,
    pub purpose: String,
    /// The service staff going (users), at least one.
    pub staff: Vec<Uuid>,
}

/// A finding to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    pub id: Uuid,
    /// A request category code.
    pub category: String,
    pub text: String,
}

/// What a visit's record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRecord {
    /// Beijing midnight of the day it took place, µs.
    pub visited_on: i64,
    pub people_met: String,
    /// The staff who went (replaces the plan's).
    pub staff: Vec<Uuid>,
    /// Replaces the findings not yet turned into requests; those are kept.
    pub findings: Vec<NewFinding>,
}

/// A stored visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitRow {
    pub id: Uuid,
    /// `QF` + the Beijing date it was planned + a sequence: `QF20260301-0002`.
    pub number: String,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub credit_code: String,
    pub purpose: String,
    pub planned_on: i64,
    /// `planned`, `recorded` or `cancelled` (a `VisitState` code).
    pub state: String,
    pub planned_by_id: Uuid,
    pub created_at: i64,
    pub visited_on: Option<i64>,
    pub people_met: String,
    /// When it was first recorded: the correction window runs from here.
    pub recorded_at: Option<i64>,
    pub cancel_reason: String,
    pub cancelled_at: Option<i64>,
    /// The staff's display names, joined with `、`, in name order.
    pub staff_names: String,
    pub findings: i64,
    pub converted: i64,
}

/// A stored finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub seq: i64,
    pub category: String,
    pub text: String,
    pub request_id: Option<Uuid>,
    pub request_number: Option<String>,
    pub converted_at: Option<i64>,
}

/// A staff member: on a visit, or assigned to an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffContact {
    pub user_id: Uuid,
    pub name: String,
    pub phone: Option<String>,
}

/// A visit with its staff and findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitDetail {
    pub visit: VisitRow,
    pub staff: Vec<StaffContact>,
    pub findings: Vec<FindingRow>,
}

/// Which visits a list shows. Every filter given applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitQuery {
    pub enterprise_id: Option<Uuid>,
    pub state: Option<String>,
    /// Visits with this staff member on them.
    pub staff_id: Option<Uuid>,
    /// Matches the number, the enterprise's name or its credit code.
    pub search: Option<String>,
}

/// The visit a request came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VisitSource {
    pub visit_id: Uuid,
    pub number: String,
    pub finding_id: Uuid,
}

/// Which enterprises a coverage report lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageQuery {
    /// Recorded visits whose day is in `[from, to)`, µs.
    pub from: i64,
    pub to: i64,
    /// Matches the enterprise's name or credit code.
    pub search: Option<String>,
    /// `Some(true)`: only those visited in the window; `Some(false)`: only
    /// those not visited.
    pub visited: Option<bool>,
}

/// An enterprise's visits in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageRow {
    pub enterprise_id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub visits: i64,
    pub last_visited_on: Option<i64>,
    /// Who went, each once, joined with `、`, in name order.
    pub staff_names: String,
}

/// A registered enterprise with its assigned staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServedEnterprise {
    pub id: Uuid,
    pub name: String,
    pub credit_code: String,
    pub staff: Vec<StaffContact>,
}

/// The visits of a window, for the services' statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VisitStats {
    /// Recorded visits whose day is in the window.
    pub visits: i64,
    /// Enterprises with at least one of them.
    pub enterprises: i64,
    /// Their findings.
    pub findings: i64,
    /// Of those, turned into requests.
    pub converted: i64,
    /// Per Beijing month of the visit's day (`YYYY-MM`), in order, only
    /// months with a visit.
    pub by_month: Vec<MonthStats>,
}

/// One month of [`VisitStats`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthStats {
    pub month: String,
    pub visits: i64,
    pub enterprises: i64,
    pub findings: i64,
    pub converted: i64,
}

/// Visits and assigned staff.
#[async_trait]
pub trait VisitStore: Send + Sync {
    /// Stores a plan and gives it its number. `NotFound` for an unknown
    /// enterprise.
    async fn plan_visit(&self, ctx: &AuditCtx, visit: NewVisit) -> StoreResult<VisitRow>;

    /// Cancels a plan. `Conflict` on `state` unless it is `planned`.
    async fn cancel_visit(&self, ctx: &AuditCtx, id: Uuid, reason: &str) -> StoreResult<()>;

    /// Records a visit, or corrects its record. `Conflict` on `state` when it
    /// is cancelled, on `recorded_at` when it was first recorded before
    /// `editable_since` (the correction window has closed).
    async fn record_enterprise_visit(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        record: VisitRecord,
        editable_since: i64,
    ) -> StoreResult<()>;

    /// Turns a finding into `request` (stored as `create_request` does) and
    /// links them. `Conflict` on `request` when the finding already has
    /// one, on `state` unless its visit is recorded; `NotFound` for an
    /// unknown finding.
    async fn convert_finding(
        &self,
        ctx: &AuditCtx,
        finding_id: Uuid,
        request: NewRequest,
    ) -> StoreResult<RequestRow>;

    async fn visit(&self, id: Uuid) -> StoreResult<Option<VisitDetail>>;

    /// Visits matching the query: by planned day, latest first.
    async fn list_visits(&self, query: &VisitQuery, page: Page) -> StoreResult<Paged<VisitRow>>;

    /// The visit a request came from, if it came from one.
    async fn visit_of_request(&self, request_id: Uuid) -> StoreResult<Option<VisitSource>>;

    /// Registered enterprises with their visits in the window, by name.
    async fn visit_coverage(
        &self,
        query: &CoverageQuery,
        page: Page,
    ) -> StoreResult<Paged<CoverageRow>>;

    /// The visits of `[from, to)` counted: visits, enterprises covered,
    /// findings, findings turned into requests, and the same by month.
    async fn visit_stats(&self, from: i64, to: i64) -> StoreResult<VisitStats>;

    /// Replaces an enterprise's assigned staff. `NotFound` for an unknown
    /// enterprise.
    async fn assign_enterprise_staff(
        &self,
        ctx: &AuditCtx,
        enterprise_id: Uuid,
        staff: Vec<Uuid>,
    ) -> StoreResult<()>;

    /// An enterprise's assigned staff, by name.
    async fn enterprise_staff(&self, enterprise_id: Uuid) -> StoreResult<Vec<StaffContact>>;

    /// Registered enterprises with their assigned staff, by name; `search`
    /// matches the name or the credit code.
    async fn served_enterprises(
        &self,
        search: Option<&str>,
        page: Page,
    ) -> StoreResult<Paged<ServedEnterprise>>;
}

/// Row types shared by the SQL backends.
#[cfg(feature = "sql")]
pub mod rows {
    use super::{FindingRow, VisitRow};
    use crate::sql_rows::{parse_opt_uuid, parse_uuid};
    use crate::StoreError;

    /// The columns [`VisitRowDb`] reads, with `v` the visits' alias and `e`
    /// the enterprises'.
    pub const VISIT_COLUMNS: &str = "v.id, v.number, v.enterprise_id, e.name AS enterprise_name, \
        e.credit_code, v.purpose, v.planned_on, v.state, v.planned_by_id, v.created_at, \
        v.visited_on, v.people_met, v.recorded_at, v.cancel_reason, v.cancelled_at, \
        (SELECT COUNT(*) FROM services_visit_findings f WHERE f.visit_id = v.id) AS findings, \
        (SELECT COUNT(*) FROM services_visit_findings f \
          WHERE f.visit_id = v.id AND f.request_id IS NOT NULL) AS converted";

    #[derive(Debug, sqlx::FromRow)]
    pub struct VisitRowDb {
        id: String,
        number: String,
        enterprise_id: String,
        enterprise_name: String,
        credit_code: String,
        purpose: String,
        planned_on: i64,
        state: String,
        planned_by_id: String,
        created_at: i64,
        visited_on: Option<i64>,
        people_met: String,
        recorded_at: Option<i64>,
        cancel_reason: String,
        cancelled_at: Option<i64>,
        findings: i64,
        converted: i64,
    }

    impl TryFrom<VisitRowDb> for VisitRow {
        type Error = StoreError;

        fn try_from(r: VisitRowDb) -> Result<VisitRow, StoreError> {
            Ok(VisitRow {
                id: parse_uuid("services_visits.id", &r.id)?,
                number: r.number,
                enterprise_id: parse_uuid("services_visits.enterprise_id", &r.enterprise_id)?,
                enterprise_name: r.enterprise_name,
                credit_code: r.credit_code,
                purpose: r.purpose,
                planned_on: r.planned_on,
                state: r.state,
                planned_by_id: parse_uuid("services_visits.planned_by_id", &r.planned_by_id)?,
                created_at: r.created_at,
                visited_on: r.visited_on,
                people_met: r.people_met,
                recorded_at: r.recorded_at,
                cancel_reason: r.cancel_reason,
                cancelled_at: r.cancelled_at,
                staff_names: String::new(),
                findings: r.findings,
                converted: r.converted,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct FindingRowDb {
        id: String,
        visit_id: String,
        seq: i64,
        category: String,
        text: String,
        request_id: Option<String>,
        request_number: Option<String>,
        converted_at: Option<i64>,
    }

    impl TryFrom<FindingRowDb> for FindingRow {
        type Error = StoreError;

        fn try_from(r: FindingRowDb) -> Result<FindingRow, StoreError> {
            Ok(FindingRow {
                id: parse_uuid("services_visit_findings.id", &r.id)?,
                visit_id: parse_uuid("services_visit_findings.visit_id", &r.visit_id)?,
                seq: r.seq,
                category: r.category,
                text: r.text,
                request_id: parse_opt_uuid("services_visit_findings.request_id", r.request_id)?,
                request_number: r.request_number,
                converted_at: r.converted_at,
            })
        }
    }
}
