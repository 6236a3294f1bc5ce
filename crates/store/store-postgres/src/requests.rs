//! [`RequestStore`] on PostgreSQL: enterprise requests and their parts. The
//! code is kept once for both backends, in
//! `crates/store/shared/requests.rs`.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::requests::rows::{PartLineDb, PartRowDb, RequestRowDb, REQUEST_COLUMNS};
use yiwang_store::requests::{
    NewPart, NewRequest, PartLine, PartQuery, PartRow, ReplyOutcome, RequestDetail, RequestFact,
    RequestQuery, RequestRow, RequestStore,
};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, db, escape_like, PgStore as Backend, Tx};

type Db = Postgres;

/// A read-only transaction on one snapshot.
async fn read(backend: &Backend) -> StoreResult<Tx> {
    backend.snapshot().await
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/requests.rs`, compiled here against this backend's
// `Db`, `Backend` and `read`.
include!("../../shared/requests.rs");
