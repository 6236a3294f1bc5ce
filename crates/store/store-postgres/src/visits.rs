//! [`VisitStore`] on PostgreSQL: enterprise visits, their findings and the
//! staff assigned to enterprises. The code is kept once for both backends,
//! in `crates/store/shared/visits.rs`.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::requests::{NewRequest, RequestRow};
use yiwang_store::sql_rows::parse_uuid;
use yiwang_store::visits::rows::{FindingRowDb, VisitRowDb, VISIT_COLUMNS};
use yiwang_store::visits::{
    CoverageQuery, CoverageRow, FindingRow, MonthStats, NewVisit, ServedEnterprise, StaffContact,
    VisitDetail, VisitQuery, VisitRecord, VisitRow, VisitSource, VisitStats, VisitStore,
};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, db, escape_like, PgStore as Backend, Tx};

type Db = Postgres;

/// A read-only transaction on one snapshot.
async fn read(backend: &Backend) -> StoreResult<Tx> {
    backend.snapshot().await
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/visits.rs`, compiled here against this backend's
// `Db`, `Backend` and `read`.
include!("../../shared/visits.rs");
