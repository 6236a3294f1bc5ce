//! [`ResidentStore`] on PostgreSQL: buildings, households, residents and
//! their tags (the `yiwang_store::residents` module explains the tables and
//! rules; its `sql` module holds the statements both backends share).
//!
//! An edit is checked against the row's version in its `UPDATE … WHERE
//! version = …`, so of two processes editing one resident the second is
//! refused rather than silently overwriting; the unique indexes back up the
//! rules across processes (one building per address, one flat per unit and
//! room, one registration per ID number). Imports insert many rows per
//! statement, in one transaction. The code below the backend-specific part
//! is the SQLite backend's, statement for statement.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::residents::sql::{
    attach_tags, BuildingSqlRow, HouseholdSqlRow, ResidentSqlRow, TagSqlRow, BUILDING_INSERT,
    BUILDING_SELECT, CHUNK, HOUSEHOLD_INSERT, HOUSEHOLD_SELECT, RESIDENT_INSERT, RESIDENT_ORDER,
    RESIDENT_SELECT, TAG_INSERT, TAG_SELECT,
};
use yiwang_store::residents::{
    masked_id_number, prefix_successor, BuildingMove, BuildingQuery, BuildingRow, Flat,
    HouseholdRow, NewBuilding, NewTag, PlacedBuilding, Placement, PlacesCounts, PlacesImport,
    ResidentInput, ResidentQuery, ResidentRow, ResidentStore,
};
use yiwang_store::sql_rows::convert_all;
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, conflict_or_db, db, escape_like, PgStore as Backend};

type Db = Postgres;
type Conn = PgConnection;

/// A unique violation of the residents' tables as the field it protects.
fn places_conflict(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            for (name, field) in [
                ("grid_buildings_address_key", "address"),
                ("grid_households_flat_key", "flat"),
                ("grid_residents_id_number_key", "id_number"),
                ("grid_resident_tags_key", "tag"),
                ("grid_buildings_pkey", "id"),
                ("grid_households_pkey", "id"),
                ("grid_residents_pkey", "id"),
            ] {
                if d.constraint() == Some(name) {
                    return StoreError::Conflict { field };
                }
            }
        }
    }
    conflict_or_db(e)
}

impl Backend {
    async fn places_read(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        self.snapshot().await
    }
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/residents.rs`, compiled here against this backend's
// `Db`, `Backend` and helpers.
include!("../../shared/residents.rs");
