//! [`MediationStore`] on PostgreSQL: labour mediation cases, their
//! timeline and documents. The code is kept once for both backends, in
//! `crates/store/shared/mediation.rs`.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::mediation::rows::{EventRow, FactRow, MediationRow};
use yiwang_store::mediation::{
    sql, ChangeKind, Mediation, MediationChange, MediationDocument, MediationEvent, MediationFact,
    MediationQuery, MediationStats, MediationStore, NewMediation,
};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, db, escape_like, PgStore as Backend, Tx};

type Db = Postgres;

/// A read-only transaction on one snapshot.
async fn read(backend: &Backend) -> StoreResult<Tx> {
    backend.snapshot().await
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/mediation.rs`, compiled here against this backend's
// `Db`, `Backend` and `read`.
include!("../../shared/mediation.rs");
