//! [`GridStore`] on PostgreSQL: the grid tree, boundaries and their filings,
//! staff and assignments (the `yiwang_store::grid` module explains the
//! tables and rules).
//!
//! A write that changes a grid locks its row first (`SELECT … FOR UPDATE`),
//! so two processes changing one grid's staff or filings take turns and each
//! sees the other's commit; the unique indexes back the rules up across
//! grids (a person leading two grids at once). Bulk imports insert many rows
//! per statement, in one transaction. The code below the backend-specific
//! part is the SQLite backend's, statement for statement.

use async_trait::async_trait;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;
use yiwang_store::grid::{
    AssignmentRow, BoundaryVersionRow, DirectoryEntry, FilingStatus, GridImport, GridQuery,
    GridRow, GridShape, GridStamp, GridStore, ImportCounts, NewFiling, StaffRole, StaffRow,
    UnitLevel, UnitRow,
};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, conflict_or_db, db, escape_like, PgStore as Backend};

type Db = Postgres;
type DbRow = PgRow;
type Conn = PgConnection;

/// Appended to a select that reads a row the transaction will change.
const FOR_UPDATE: &str = " FOR UPDATE";

/// A unique violation of the grid tables as the field it protects.
fn grid_conflict(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            for (name, field) in [
                ("grid_units_pkey", "code"),
                ("grids_pkey", "code"),
                ("grid_boundary_versions_key", "pending_filing"),
                ("grid_boundary_versions_pending_key", "pending_filing"),
                ("grid_staff_user_key", "user_id"),
                ("grid_staff_pkey", "staff"),
                ("grid_assignments_key", "leader"),
                ("grid_assignments_leader_key", "leader"),
                ("grid_assignments_leads_one_key", "leader"),
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
    async fn grid_read(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        self.snapshot().await
    }
}

// Everything below is the same for both backends.

/// Rows per multi-row INSERT (well under either database's bind limit).
const CHUNK: usize = 500;

const GRID_COLUMNS: &str = "g.code, g.kind, g.name, g.community_code, g.boundary_version, \
     g.boundary_json, g.area_centi, g.created_at, g.updated_at";
const STAFF_COLUMNS: &str = "s.id, s.name, s.official_phone, s.user_id, s.created_at";
const VERSION_COLUMNS: &str = "grid_code, version, boundary_json, area_centi, status, note, \
     filed_by, filed_by_name, filed_at, decided_by_name, decided_at, decision_note";

fn uuid(text: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt(format!("bad uuid {text:?}")))
}

fn get<'r, T: sqlx::Decode<'r, Db> + sqlx::Type<Db>>(row: &'r DbRow, i: usize) -> StoreResult<T> {
    row.try_get(i).map_err(db)
}

/// A grid from [`GRID_COLUMNS`] starting at column `at`.
fn grid_row(row: &DbRow, at: usize) -> StoreResult<GridRow> {
    Ok(GridRow {
        code: get(row, at)?,
        kind: get(row, at + 1)?,
        name: get(row, at + 2)?,
        community_code: get(row, at + 3)?,
        boundary_version: get(row, at + 4)?,
        boundary_json: get(row, at + 5)?,
        area_centi: get(row, at + 6)?,
        created_at: get(row, at + 7)?,
        updated_at: get(row, at + 8)?,
    })
}

/// A member of staff from [`STAFF_COLUMNS`] starting at column `at`.
fn staff_row(row: &DbRow, at: usize) -> StoreResult<StaffRow> {
    let id: String = get(row, at)?;
    let user_id: Option<String> = get(row, at + 3)?;
    Ok(StaffRow {
        id: uuid(&id)?,
        name: get(row, at + 1)?,
        official_phone: get(row, at + 2)?,
        user_id: user_id.as_deref().map(uuid).transpose()?,
        created_at: get(row, at + 4)?,
    })
}

/// Staff columns that may all be NULL (a LEFT JOIN that found nobody).
fn optional_staff_row(row: &DbRow, at: usize) -> StoreResult<Option<StaffRow>> {
    let id: Option<String> = get(row, at)?;
    match id {
        Some(_) => staff_row(row, at).map(Some),
        None => Ok(None),
    }
}

fn version_row(row: &DbRow) -> StoreResult<BoundaryVersionRow> {
    let status: String = get(row, 4)?;
    let filed_by: Option<String> = get(row, 6)?;
    Ok(BoundaryVersionRow {
        grid_code: get(row, 0)?,
        version: get(row, 1)?,
        boundary_json: get(row, 2)?,
        area_centi: get(row, 3)?,
        status: FilingStatus::from_code(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("filing status {status:?}")))?,
        note: get(row, 5)?,
        filed_by: filed_by.as_deref().map(uuid).transpose()?,
        filed_by_name: get(row, 7)?,
        filed_at: get(row, 8)?,
        decided_by_name: get(row, 9)?,
        decided_at: get(row, 10)?,
        decision_note: get(row, 11)?,
    })
}

fn assignment_row(row: &DbRow) -> StoreResult<AssignmentRow> {
    let role: String = get(row, 1)?;
    Ok(AssignmentRow {
        grid_code: get(row, 0)?,
        role: StaffRole::from_code(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("staff role {role:?}")))?,
        since: get(row, 2)?,
        staff: staff_row(row, 3)?,
    })
}

fn push_directory_filters(qb: &mut QueryBuilder<'_, Db>, query: &GridQuery) {
    qb.push(
        " FROM grids g JOIN grid_units c ON c.code = g.community_code \
         JOIN grid_units st ON st.code = c.parent_code \
         LEFT JOIN grid_assignments a ON a.grid_code = g.code AND a.role = 'leader' \
         LEFT JOIN grid_staff s ON s.id = a.staff_id WHERE 1 = 1",
    );
    if let Some(under) = query.under.as_ref().filter(|u| !u.is_empty()) {
        qb.push(" AND g.code LIKE ")
            .push_bind(format!("{}%", escape_like(under)))
            .push(" ESCAPE '\\'");
    }
    if let Some(kind) = query.kind.as_ref().filter(|k| !k.is_empty()) {
        if kind == "specialised" {
            qb.push(" AND g.kind LIKE 'specialised.%'");
        } else {
            qb.push(" AND g.kind = ").push_bind(kind.clone());
        }
    }
    if let Some(search) = query
        .search
        .as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(search));
        qb.push(" AND (");
        for (i, column) in ["g.code", "g.name", "c.name", "st.name", "s.name"]
            .iter()
            .enumerate()
        {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push(*column)
                .push(" LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\'");
        }
        qb.push(")");
    }
}

async fn leader_of(conn: &mut Conn, grid_code: &str) -> StoreResult<Option<String>> {
    let mut qb = QueryBuilder::<Db>::new(
        "SELECT staff_id FROM grid_assignments WHERE role = 'leader' AND grid_code = ",
    );
    qb.push_bind(grid_code.to_owned());
    qb.build_query_scalar()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)
}

async fn lock_grid(conn: &mut Conn, grid_code: &str) -> StoreResult<()> {
    let mut qb = QueryBuilder::<Db>::new("SELECT code FROM grids WHERE code = ");
    qb.push_bind(grid_code.to_owned()).push(FOR_UPDATE);
    let found: Option<String> = qb
        .build_query_scalar()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

async fn version_of(
    conn: &mut Conn,
    grid_code: &str,
    version: i64,
) -> StoreResult<Option<BoundaryVersionRow>> {
    let mut qb = QueryBuilder::<Db>::new(format!(
        "SELECT {VERSION_COLUMNS} FROM grid_boundary_versions WHERE grid_code = "
    ));
    qb.push_bind(grid_code.to_owned())
        .push(" AND version = ")
        .push_bind(version);
    let row = qb.build().fetch_optional(&mut *conn).await.map_err(db)?;
    row.as_ref().map(version_row).transpose()
}

#[async_trait]
impl GridStore for Backend {
    async fn import_grids(&self, ctx: &AuditCtx, import: GridImport) -> StoreResult<ImportCounts> {
        import.check()?;
        let mut tx = self.write().await?;
        for chunk in import.units.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO grid_units (code, level, name, parent_code, boundary_json, created_at) ",
            );
            qb.push_values(chunk, |mut b, u| {
                b.push_bind(u.code.clone())
                    .push_bind(u.level.code())
                    .push_bind(u.name.clone())
                    .push_bind(u.parent_code.clone())
                    .push_bind(u.boundary_json.clone())
                    .push_bind(ctx.at);
            });
            qb.build().execute(&mut *tx).await.map_err(grid_conflict)?;
        }
        for chunk in import.grids.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO grids (code, kind, name, community_code, boundary_version, \
                 boundary_json, area_centi, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, g| {
                b.push_bind(g.code.clone())
                    .push_bind(g.kind.clone())
                    .push_bind(g.name.clone())
                    .push_bind(g.community_code.clone())
                    .push_bind(1_i64)
                    .push_bind(g.boundary_json.clone())
                    .push_bind(g.area_centi)
                    .push_bind(ctx.at)
                    .push_bind(ctx.at);
            });
            qb.build().execute(&mut *tx).await.map_err(grid_conflict)?;
            let mut qb = QueryBuilder::<Db>::new(format!(
                "INSERT INTO grid_boundary_versions ({VERSION_COLUMNS}) "
            ));
            qb.push_values(chunk, |mut b, g| {
                b.push_bind(g.code.clone())
                    .push_bind(1_i64)
                    .push_bind(g.boundary_json.clone())
                    .push_bind(g.area_centi)
                    .push_bind(FilingStatus::Approved.code())
                    .push_bind("建档")
                    .push_bind(ctx.actor_id.map(|id| id.to_string()))
                    .push_bind(ctx.actor_name.clone())
                    .push_bind(ctx.at)
                    .push_bind(ctx.actor_name.clone())
                    .push_bind(ctx.at)
                    .push_bind(None::<String>);
            });
            qb.build().execute(&mut *tx).await.map_err(grid_conflict)?;
        }
        for chunk in import.staff.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO grid_staff (id, name, official_phone, user_id, created_at) ",
            );
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(s.id.to_string())
                    .push_bind(s.name.clone())
                    .push_bind(s.official_phone.clone())
                    .push_bind(s.user_id.map(|u| u.to_string()))
                    .push_bind(ctx.at);
            });
            qb.build().execute(&mut *tx).await.map_err(grid_conflict)?;
        }
        for chunk in import.assignments.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO grid_assignments (grid_code, staff_id, role, since) ",
            );
            qb.push_values(chunk, |mut b, (grid, staff, role)| {
                b.push_bind(grid.clone())
                    .push_bind(staff.to_string())
                    .push_bind(role.code())
                    .push_bind(ctx.at);
            });
            qb.build().execute(&mut *tx).await.map_err(grid_conflict)?;
        }
        let counts = ImportCounts {
            units: import.units.len() as u64,
            grids: import.grids.len() as u64,
            staff: import.staff.len() as u64,
            assignments: import.assignments.len() as u64,
        };
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("grid.import", "grid_district", &import.district_code)
                .with_detail(json!(counts)),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(counts)
    }

    async fn grid_units(&self) -> StoreResult<Vec<UnitRow>> {
        let mut tx = self.grid_read().await?;
        let rows = QueryBuilder::<Db>::new(
            "SELECT code, level, name, parent_code, boundary_json FROM grid_units ORDER BY code",
        )
        .build()
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.iter()
            .map(|row| {
                let level: String = get(row, 1)?;
                Ok(UnitRow {
                    code: get(row, 0)?,
                    level: UnitLevel::from_code(&level)
                        .ok_or_else(|| StoreError::Corrupt(format!("unit level {level:?}")))?,
                    name: get(row, 2)?,
                    parent_code: get(row, 3)?,
                    boundary_json: get(row, 4)?,
                })
            })
            .collect()
    }

    async fn grid(&self, code: &str) -> StoreResult<Option<GridRow>> {
        let mut tx = self.grid_read().await?;
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {GRID_COLUMNS} FROM grids g WHERE g.code = "
        ));
        qb.push_bind(code.to_owned());
        let row = qb.build().fetch_optional(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.as_ref().map(|r| grid_row(r, 0)).transpose()
    }

    async fn grid_directory(
        &self,
        query: &GridQuery,
        page: Page,
    ) -> StoreResult<Paged<DirectoryEntry>> {
        let page = clamp(page);
        let mut tx = self.grid_read().await?;
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        push_directory_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Db>::new(format!(
            "SELECT {GRID_COLUMNS}, c.name, st.code, st.name, {STAFF_COLUMNS}"
        ));
        push_directory_filters(&mut select, query);
        select
            .push(" ORDER BY g.code LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows = select.build().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let items = rows
            .iter()
            .map(|row| {
                Ok(DirectoryEntry {
                    grid: grid_row(row, 0)?,
                    community_name: get(row, 9)?,
                    street_code: get(row, 10)?,
                    street_name: get(row, 11)?,
                    leader: optional_staff_row(row, 12)?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Paged {
            items,
            total: total as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn grid_shapes(&self) -> StoreResult<Vec<GridShape>> {
        let mut tx = self.grid_read().await?;
        let rows = QueryBuilder::<Db>::new(
            "SELECT code, kind, name, boundary_json FROM grids ORDER BY code",
        )
        .build()
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(GridShape {
                    code: get(row, 0)?,
                    kind: get(row, 1)?,
                    name: get(row, 2)?,
                    boundary_json: get(row, 3)?,
                })
            })
            .collect()
    }

    async fn grid_stamp(&self) -> StoreResult<GridStamp> {
        let mut tx = self.grid_read().await?;
        let row = QueryBuilder::<Db>::new(
            "SELECT COUNT(*), CAST(COALESCE(SUM(boundary_version), 0) AS BIGINT) FROM grids",
        )
        .build()
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok((get(&row, 0)?, get(&row, 1)?))
    }

    async fn count_grids(&self) -> StoreResult<u64> {
        Ok(self.grid_stamp().await?.0 as u64)
    }

    async fn grid_staff(&self, grid_code: &str) -> StoreResult<Vec<AssignmentRow>> {
        let mut tx = self.grid_read().await?;
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT a.grid_code, a.role, a.since, {STAFF_COLUMNS} FROM grid_assignments a \
             JOIN grid_staff s ON s.id = a.staff_id WHERE a.grid_code = "
        ));
        qb.push_bind(grid_code.to_owned())
            .push(" ORDER BY CASE a.role WHEN 'leader' THEN 0 ELSE 1 END, s.name, s.id");
        let rows = qb.build().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.iter().map(assignment_row).collect()
    }

    async fn staff_for_user(&self, user_id: Uuid) -> StoreResult<Option<StaffRow>> {
        let mut tx = self.grid_read().await?;
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {STAFF_COLUMNS} FROM grid_staff s WHERE s.user_id = "
        ));
        qb.push_bind(user_id.to_string());
        let row = qb.build().fetch_optional(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.as_ref().map(|r| staff_row(r, 0)).transpose()
    }

    async fn staff_assignments(&self, staff_id: Uuid) -> StoreResult<Vec<AssignmentRow>> {
        let mut tx = self.grid_read().await?;
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT a.grid_code, a.role, a.since, {STAFF_COLUMNS} FROM grid_assignments a \
             JOIN grid_staff s ON s.id = a.staff_id WHERE a.staff_id = "
        ));
        qb.push_bind(staff_id.to_string())
            .push(" ORDER BY CASE a.role WHEN 'leader' THEN 0 ELSE 1 END, a.grid_code");
        let rows = qb.build().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.iter().map(assignment_row).collect()
    }

    async fn assign_staff(
        &self,
        ctx: &AuditCtx,
        grid_code: &str,
        staff_id: Uuid,
        role: StaffRole,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        lock_grid(&mut tx, grid_code).await?;
        let mut qb = QueryBuilder::<Db>::new("SELECT id FROM grid_staff WHERE id = ");
        qb.push_bind(staff_id.to_string());
        let known: Option<String> = qb
            .build_query_scalar()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if known.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT grid_code FROM grid_assignments WHERE role = 'leader' AND staff_id = ",
        );
        qb.push_bind(staff_id.to_string());
        let leads: Option<String> = qb
            .build_query_scalar()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if leads.as_deref().is_some_and(|g| g != grid_code) && role == StaffRole::Leader {
            return Err(StoreError::Conflict { field: "leader" });
        }
        if leads.as_deref() == Some(grid_code) {
            // Already this grid's leader: as leader nothing changes; as a
            // worker the grid would lose its leader.
            return match role {
                StaffRole::Leader => Ok(()),
                StaffRole::Worker => Err(StoreError::Conflict { field: "leader" }),
            };
        }
        let previous = match role {
            StaffRole::Leader => leader_of(&mut tx, grid_code).await?,
            StaffRole::Worker => None,
        };
        if let Some(previous) = &previous {
            let mut qb = QueryBuilder::<Db>::new("DELETE FROM grid_assignments WHERE grid_code = ");
            qb.push_bind(grid_code.to_owned())
                .push(" AND staff_id = ")
                .push_bind(previous.clone());
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }
        // A worker becoming the leader keeps one row, with the new role.
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM grid_assignments WHERE grid_code = ");
        qb.push_bind(grid_code.to_owned())
            .push(" AND staff_id = ")
            .push_bind(staff_id.to_string());
        let replaced = qb
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO grid_assignments (grid_code, staff_id, role, since) VALUES (",
        );
        qb.push_bind(grid_code.to_owned())
            .push(", ")
            .push_bind(staff_id.to_string())
            .push(", ")
            .push_bind(role.code())
            .push(", ")
            .push_bind(ctx.at)
            .push(")");
        qb.build().execute(&mut *tx).await.map_err(grid_conflict)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("grid.staff.assign", "grid", grid_code).with_detail(json!({
                "staff_id": staff_id,
                "role": role.code(),
                "previous_leader": previous,
                "was_assigned": replaced > 0,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn unassign_staff(
        &self,
        ctx: &AuditCtx,
        grid_code: &str,
        staff_id: Uuid,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        lock_grid(&mut tx, grid_code).await?;
        let mut qb =
            QueryBuilder::<Db>::new("SELECT role FROM grid_assignments WHERE grid_code = ");
        qb.push_bind(grid_code.to_owned())
            .push(" AND staff_id = ")
            .push_bind(staff_id.to_string());
        let role: Option<String> = qb
            .build_query_scalar()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        match role.as_deref() {
            None => return Err(StoreError::NotFound),
            Some("leader") => return Err(StoreError::Conflict { field: "leader" }),
            Some(_) => {}
        }
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM grid_assignments WHERE grid_code = ");
        qb.push_bind(grid_code.to_owned())
            .push(" AND staff_id = ")
            .push_bind(staff_id.to_string());
        qb.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("grid.staff.unassign", "grid", grid_code)
                .with_detail(json!({ "staff_id": staff_id })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn file_boundary(
        &self,
        ctx: &AuditCtx,
        filing: NewFiling,
    ) -> StoreResult<BoundaryVersionRow> {
        let mut tx = self.write().await?;
        lock_grid(&mut tx, &filing.grid_code).await?;
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT CAST(MAX(version) AS BIGINT), \
             CAST(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS BIGINT) \
             FROM grid_boundary_versions WHERE grid_code = ",
        );
        qb.push_bind(filing.grid_code.clone());
        let row = qb.build().fetch_one(&mut *tx).await.map_err(db)?;
        let last: Option<i64> = get(&row, 0)?;
        let pending: Option<i64> = get(&row, 1)?;
        if pending.unwrap_or(0) > 0 {
            return Err(StoreError::Conflict {
                field: "pending_filing",
            });
        }
        let version = BoundaryVersionRow {
            grid_code: filing.grid_code.clone(),
            version: last.unwrap_or(0) + 1,
            boundary_json: filing.boundary_json,
            area_centi: filing.area_centi,
            status: FilingStatus::Pending,
            note: filing.note,
            filed_by: ctx.actor_id,
            filed_by_name: ctx.actor_name.clone(),
            filed_at: ctx.at,
            decided_by_name: None,
            decided_at: None,
            decision_note: None,
        };
        let mut qb = QueryBuilder::<Db>::new(format!(
            "INSERT INTO grid_boundary_versions ({VERSION_COLUMNS}) "
        ));
        qb.push_values([&version], |mut b, v| {
            b.push_bind(v.grid_code.clone())
                .push_bind(v.version)
                .push_bind(v.boundary_json.clone())
                .push_bind(v.area_centi)
                .push_bind(v.status.code())
                .push_bind(v.note.clone())
                .push_bind(v.filed_by.map(|id| id.to_string()))
                .push_bind(v.filed_by_name.clone())
                .push_bind(v.filed_at)
                .push_bind(None::<String>)
                .push_bind(None::<i64>)
                .push_bind(None::<String>);
        });
        qb.build().execute(&mut *tx).await.map_err(grid_conflict)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("grid.boundary.file", "grid", &version.grid_code).with_detail(json!({
                "version": version.version,
                "area_centi": version.area_centi,
                "note": version.note,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(version)
    }

    async fn decide_filing(
        &self,
        ctx: &AuditCtx,
        grid_code: &str,
        version: i64,
        approve: bool,
        note: &str,
    ) -> StoreResult<BoundaryVersionRow> {
        let mut tx = self.write().await?;
        lock_grid(&mut tx, grid_code).await?;
        let filed = version_of(&mut tx, grid_code, version)
            .await?
            .ok_or(StoreError::NotFound)?;
        if filed.status != FilingStatus::Pending {
            return Err(StoreError::Conflict { field: "status" });
        }
        let status = if approve {
            FilingStatus::Approved
        } else {
            FilingStatus::Rejected
        };
        let mut previous: Option<i64> = None;
        if approve {
            let mut qb =
                QueryBuilder::<Db>::new("SELECT boundary_version FROM grids WHERE code = ");
            qb.push_bind(grid_code.to_owned());
            let current: i64 = qb
                .build_query_scalar()
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
            previous = Some(current);
            let mut qb = QueryBuilder::<Db>::new("UPDATE grid_boundary_versions SET status = ");
            qb.push_bind(FilingStatus::Superseded.code())
                .push(" WHERE grid_code = ")
                .push_bind(grid_code.to_owned())
                .push(" AND version = ")
                .push_bind(current);
            qb.build().execute(&mut *tx).await.map_err(db)?;
            let mut qb = QueryBuilder::<Db>::new("UPDATE grids SET boundary_version = ");
            qb.push_bind(version)
                .push(", boundary_json = ")
                .push_bind(filed.boundary_json.clone())
                .push(", area_centi = ")
                .push_bind(filed.area_centi)
                .push(", updated_at = ")
                .push_bind(ctx.at)
                .push(" WHERE code = ")
                .push_bind(grid_code.to_owned());
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }
        let mut qb = QueryBuilder::<Db>::new("UPDATE grid_boundary_versions SET status = ");
        qb.push_bind(status.code())
            .push(", decided_by_name = ")
            .push_bind(ctx.actor_name.clone())
            .push(", decided_at = ")
            .push_bind(ctx.at)
            .push(", decision_note = ")
            .push_bind(note.to_owned())
            .push(" WHERE grid_code = ")
            .push_bind(grid_code.to_owned())
            .push(" AND version = ")
            .push_bind(version);
        qb.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(
                if approve {
                    "grid.boundary.approve"
                } else {
                    "grid.boundary.reject"
                },
                "grid",
                grid_code,
            )
            .with_detail(json!({
                "version": version,
                "superseded": previous,
                "note": note,
            })),
        )
        .await?;
        let decided = version_of(&mut tx, grid_code, version)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(decided)
    }

    async fn boundary_versions(&self, grid_code: &str) -> StoreResult<Vec<BoundaryVersionRow>> {
        let mut tx = self.grid_read().await?;
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {VERSION_COLUMNS} FROM grid_boundary_versions WHERE grid_code = "
        ));
        qb.push_bind(grid_code.to_owned())
            .push(" ORDER BY version DESC");
        let rows = qb.build().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.iter().map(version_row).collect()
    }

    async fn pending_filings(&self, page: Page) -> StoreResult<Paged<BoundaryVersionRow>> {
        let page = clamp(page);
        let mut tx = self.grid_read().await?;
        let total: i64 = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM grid_boundary_versions WHERE status = 'pending'",
        )
        .build_query_scalar()
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let mut qb = QueryBuilder::<Db>::new(format!(
            "SELECT {VERSION_COLUMNS} FROM grid_boundary_versions WHERE status = 'pending' \
             ORDER BY filed_at, grid_code LIMIT "
        ));
        qb.push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows = qb.build().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: rows.iter().map(version_row).collect::<StoreResult<_>>()?,
            total: total as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }
}
