//! [`ContractStore`] on SQLite: the register of collective contracts. The
//! code is kept once for both backends, in
//! `crates/store/shared/contracts.rs`, with the SQL text
//! `yiwang_store::contracts::sql` holds.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;
use yiwang_store::contracts::rows::{ContractRow, CoverageRowRow};
use yiwang_store::contracts::{
    sql, Contract, ContractFact, ContractQuery, ContractStore, CoverageRow, CoveredEnterprise,
    NewContract,
};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, db, escape_like, SqliteStore as Backend, Tx};

type Db = Sqlite;

/// A read transaction on the reader pool.
async fn read(backend: &Backend) -> StoreResult<Tx> {
    backend.reader.begin().await.map_err(db)
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/contracts.rs`, compiled here against this backend's
// `Db`, `Backend` and `read`.
include!("../../shared/contracts.rs");
