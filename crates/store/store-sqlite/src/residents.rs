//! [`ResidentStore`] on SQLite: buildings, households, residents and their
//! tags (the `yiwang_store::residents` module explains the tables and
//! rules; its `sql` module holds the statements both backends share).
//!
//! Writes go through the single writer connection, so the version check of
//! an edit sees every committed change; the unique indexes back up the
//! rules (one building per address, one flat per unit and room, one
//! registration per ID number). Imports insert many rows per statement, in
//! one transaction.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
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

use crate::{append_audit, clamp, conflict_or_db, db, escape_like, SqliteStore as Backend};

type Db = Sqlite;
type Conn = SqliteConnection;

/// A unique violation of the residents' tables as the field it protects.
fn places_conflict(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            let message = d.message();
            for (needle, field) in [
                ("grid_buildings.address_key", "address"),
                ("grid_households.building_id", "flat"),
                ("grid_residents.id_number", "id_number"),
                ("grid_resident_tags", "tag"),
                ("grid_buildings.id", "id"),
                ("grid_households.id", "id"),
                ("grid_residents.id", "id"),
            ] {
                if message.contains(needle) {
                    return StoreError::Conflict { field };
                }
            }
        }
    }
    conflict_or_db(e)
}

impl Backend {
    async fn places_read(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        self.reader.begin().await.map_err(db)
    }
}

// Everything else is the same on both backends, and kept once:
// `crates/store/shared/residents.rs`, compiled here against this backend's
// `Db`, `Backend` and helpers.
include!("../../shared/residents.rs");
