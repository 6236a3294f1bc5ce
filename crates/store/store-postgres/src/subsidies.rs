//! [`SubsidyStore`] on PostgreSQL: apprentices, claims and decisions. The code
//! is kept once for both backends, in `crates/store/shared/subsidies.rs`,
//! with the SQL text `yiwang_store::subsidies::sql` holds.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::subsidies::rows::{ApprenticeRow, ClaimLineRow, ClaimRow, PaymentRow};
use yiwang_store::subsidies::{
    sql, Apprentice, ApprenticeQuery, Certificate, Claim, ClaimLine, ClaimQuery, LineDecision,
    NewApprentice, NewClaim, PaymentLine, SubsidyFact, SubsidyStore,
};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, db, escape_like, PgStore as Backend, Tx};

type Db = Postgres;

/// A read-only transaction on one snapshot.
async fn read(backend: &Backend) -> StoreResult<Tx> {
    backend.snapshot().await
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/subsidies.rs`, compiled here against this backend's
// `Db`, `Backend` and `read`.
include!("../../shared/subsidies.rs");
