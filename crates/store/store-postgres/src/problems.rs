//! [`ProblemStore`] on PostgreSQL: the intake of legacy records, the
//! problem-data counts and work lists, and the fixes (the
//! `yiwang_store::problems` module explains the rules; its `sql` module
//! holds the statements both backends share).
//!
//! An intake edit is checked against the row's version in its `UPDATE …
//! WHERE version = …`, so of two processes editing one record the second is
//! refused; entering a record into the register reuses the register's own
//! statements (the flat is created when missing, the unique ID number index
//! refuses a repeat across processes). The code below the backend-specific
//! part is the SQLite backend's, statement for statement.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::json;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::problems::sql::{
    list_sql, IntakeSqlRow, ProblemSqlRow, INTAKE_CHUNK, INTAKE_INSERT, INTAKE_SELECT,
};
use yiwang_store::problems::{
    GridProblemCounts, IntakeRecord, IntakeRow, ProblemItem, ProblemKind, ProblemScope,
    ProblemStore,
};
use yiwang_store::residents::sql::TAG_INSERT;
use yiwang_store::residents::{masked_id_number, ResidentInput, ResidentRow};
use yiwang_store::sql_rows::convert_all;
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::residents::{grid_exists, household_for, insert_resident, load_resident};
use crate::{append_audit, clamp, db, PgStore as Backend};

type Db = Postgres;
type Conn = PgConnection;

impl Backend {
    async fn problems_read(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        self.snapshot().await
    }
}

// Everything below is the same for both backends.

async fn load_intake(conn: &mut Conn, id: Uuid) -> StoreResult<Option<IntakeRow>> {
    let mut qb = QueryBuilder::<Db>::new(INTAKE_SELECT);
    qb.push(" WHERE i.id = ").push_bind(id.to_string());
    let row: Option<IntakeSqlRow> = qb
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    row.map(IntakeRow::try_from).transpose()
}

/// `AND column IN (…)` for a scope of some grids (`AND 1 = 0` for none).
fn push_scope(qb: &mut QueryBuilder<'_, Db>, column: &str, scope: &ProblemScope) {
    let Some(grids) = &scope.grids else {
        return;
    };
    if grids.is_empty() {
        qb.push(" AND 1 = 0");
        return;
    }
    qb.push(" AND ").push(column).push(" IN (");
    let mut list = qb.separated(", ");
    for g in grids {
        list.push_bind(g.clone());
    }
    qb.push(")");
}

/// `{head} {from} WHERE {condition}` with today bound and the scope.
fn list_query<'a>(
    head: &str,
    kind: ProblemKind,
    scope: &ProblemScope,
    today: i64,
) -> (QueryBuilder<'a, Db>, yiwang_store::problems::sql::ListSql) {
    let text = list_sql(kind);
    let mut qb = QueryBuilder::<Db>::new(head.replace("{columns}", &text.columns));
    qb.push(text.from).push(" WHERE ").push(&text.condition);
    if text.binds_today {
        qb.push_bind(today);
    }
    push_scope(&mut qb, text.grid_column, scope);
    (qb, text)
}

fn masked_intake_detail(record: &IntakeRecord) -> serde_json::Value {
    json!({
        "grid_code": record.grid_code,
        "id_number": masked_id_number(&record.id_number),
    })
}

#[async_trait]
impl ProblemStore for Backend {
    async fn import_intake(
        &self,
        ctx: &AuditCtx,
        source: &str,
        records: Vec<(Uuid, IntakeRecord)>,
    ) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let mut grids: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, r) in &records {
            *grids.entry(r.grid_code.as_str()).or_default() += 1;
        }
        for grid in grids.keys() {
            if !grid_exists(&mut tx, grid).await? {
                return Err(StoreError::NotFound);
            }
        }
        for chunk in records.chunks(INTAKE_CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(INTAKE_INSERT);
            qb.push_values(chunk, |mut b, (id, r)| {
                b.push_bind(id.to_string())
                    .push_bind(r.grid_code.clone())
                    .push_bind(r.name.clone())
                    .push_bind(r.id_number.clone())
                    .push_bind(r.id_problem.clone())
                    .push_bind(r.phone.clone())
                    .push_bind(r.address.clone())
                    .push_bind(r.address_key.clone())
                    .push_bind(r.unit.clone())
                    .push_bind(r.room.clone())
                    .push_bind(r.note.clone())
                    .push_bind(source.to_owned())
                    .push_bind(1_i64)
                    .push_bind(ctx.at)
                    .push_bind(ctx.at);
            });
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("intake.import", "intake", source).with_detail(json!({
                "records": records.len(),
                "grids": grids,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(records.len() as u64)
    }

    async fn intake(&self, id: Uuid) -> StoreResult<Option<IntakeRow>> {
        let mut tx = self.problems_read().await?;
        let row = load_intake(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn update_intake(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        version: i64,
        record: IntakeRecord,
    ) -> StoreResult<IntakeRow> {
        let mut tx = self.write().await?;
        let before = load_intake(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Conflict { field: "version" });
        }
        let mut qb = QueryBuilder::<Db>::new("UPDATE grid_resident_intake SET name = ");
        qb.push_bind(record.name.clone())
            .push(", id_number = ")
            .push_bind(record.id_number.clone())
            .push(", id_problem = ")
            .push_bind(record.id_problem.clone())
            .push(", phone = ")
            .push_bind(record.phone.clone())
            .push(", address = ")
            .push_bind(record.address.clone())
            .push(", address_key = ")
            .push_bind(record.address_key.clone())
            .push(", unit = ")
            .push_bind(record.unit.clone())
            .push(", room = ")
            .push_bind(record.room.clone())
            .push(", note = ")
            .push_bind(record.note.clone())
            .push(", version = version + 1, updated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(id.to_string())
            .push(" AND version = ")
            .push_bind(version);
        let changed = qb
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict { field: "version" });
        }
        let after = load_intake(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (b, a) = (&before.record, &after.record);
        let fields: Vec<&str> = [
            ("name", b.name != a.name),
            ("id_number", b.id_number != a.id_number),
            ("phone", b.phone != a.phone),
            ("address", b.address != a.address),
            ("note", b.note != a.note),
        ]
        .into_iter()
        .filter_map(|(f, changed)| changed.then_some(f))
        .collect();
        let mut detail = masked_intake_detail(a);
        detail["changed"] = json!(fields);
        detail["version"] = json!(after.version);
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("intake.update", "intake", id).with_detail(detail),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(after)
    }

    async fn delete_intake(&self, ctx: &AuditCtx, id: Uuid) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let row = load_intake(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM grid_resident_intake WHERE id = ");
        qb.push_bind(id.to_string());
        qb.build().execute(&mut *tx).await.map_err(db)?;
        let mut detail = masked_intake_detail(&row.record);
        detail["registered_as"] = json!(row.registered_as);
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("intake.delete", "intake", id).with_detail(detail),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn register_intake(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        version: i64,
        resident_id: Uuid,
        input: ResidentInput,
    ) -> StoreResult<ResidentRow> {
        let mut tx = self.write().await?;
        let intake = load_intake(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if intake.version != version {
            return Err(StoreError::Conflict { field: "version" });
        }
        let household = household_for(&mut tx, ctx, &input.flat).await?;
        insert_resident(&mut tx, ctx, resident_id, household, &input).await?;
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM grid_resident_intake WHERE id = ");
        qb.push_bind(id.to_string());
        qb.build().execute(&mut *tx).await.map_err(db)?;
        let row = load_resident(&mut tx, resident_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("resident.create", "resident", resident_id).with_detail(json!({
                "grid_code": row.grid_code,
                "household_id": household,
                "id_number": masked_id_number(&row.id_number),
                "intake_id": id,
            })),
        )
        .await?;
        let mut detail = masked_intake_detail(&intake.record);
        detail["resident_id"] = json!(resident_id);
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("intake.register", "intake", id).with_detail(detail),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn merge_residents(
        &self,
        ctx: &AuditCtx,
        from: Uuid,
        into: Uuid,
    ) -> StoreResult<ResidentRow> {
        if from == into {
            return Err(StoreError::Conflict { field: "resident" });
        }
        let mut tx = self.write().await?;
        let source = load_resident(&mut tx, from)
            .await?
            .ok_or(StoreError::NotFound)?;
        let target = load_resident(&mut tx, into)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut moved = Vec::new();
        for tag in &source.tags {
            match target.tags.iter().find(|t| t.tag == tag.tag) {
                None => {
                    let mut qb = QueryBuilder::<Db>::new(TAG_INSERT);
                    qb.push_values([tag], |mut b, t| {
                        b.push_bind(into.to_string())
                            .push_bind(t.tag.clone())
                            .push_bind(t.review_on)
                            .push_bind(t.note.clone())
                            .push_bind(t.set_at)
                            .push_bind(t.set_by_name.clone());
                    });
                    qb.build().execute(&mut *tx).await.map_err(db)?;
                    moved.push(tag.tag.clone());
                }
                Some(kept) if kept.review_on < tag.review_on => {
                    let mut qb =
                        QueryBuilder::<Db>::new("UPDATE grid_resident_tags SET review_on = ");
                    qb.push_bind(tag.review_on)
                        .push(", note = ")
                        .push_bind(tag.note.clone())
                        .push(" WHERE resident_id = ")
                        .push_bind(into.to_string())
                        .push(" AND tag = ")
                        .push_bind(tag.tag.clone());
                    qb.build().execute(&mut *tx).await.map_err(db)?;
                    moved.push(tag.tag.clone());
                }
                Some(_) => {}
            }
        }
        let phone_taken = target.phone.is_none() && source.phone.is_some();
        let mut qb = QueryBuilder::<Db>::new("UPDATE grid_residents SET version = version + 1");
        if phone_taken {
            qb.push(", phone = ").push_bind(source.phone.clone());
        }
        qb.push(", updated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(into.to_string());
        qb.build().execute(&mut *tx).await.map_err(db)?;
        for statement in [
            "DELETE FROM grid_resident_tags WHERE resident_id = ",
            "DELETE FROM grid_duplicate_dismissals WHERE resident_a = ",
            "DELETE FROM grid_duplicate_dismissals WHERE resident_b = ",
            "DELETE FROM grid_residents WHERE id = ",
        ] {
            let mut qb = QueryBuilder::<Db>::new(statement);
            qb.push_bind(from.to_string());
            qb.build().execute(&mut *tx).await.map_err(db)?;
        }
        let row = load_resident(&mut tx, into)
            .await?
            .ok_or(StoreError::NotFound)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("resident.merge", "resident", into).with_detail(json!({
                "grid_code": row.grid_code,
                "from": from,
                "from_grid_code": source.grid_code,
                "from_id_number": masked_id_number(&source.id_number),
                "id_number": masked_id_number(&row.id_number),
                "tags": moved,
                "phone_taken": phone_taken,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn dismiss_duplicate(&self, ctx: &AuditCtx, a: Uuid, b: Uuid) -> StoreResult<()> {
        if a == b {
            return Err(StoreError::Conflict { field: "resident" });
        }
        let (a, b) = if a.to_string() < b.to_string() {
            (a, b)
        } else {
            (b, a)
        };
        let mut tx = self.write().await?;
        let first = load_resident(&mut tx, a)
            .await?
            .ok_or(StoreError::NotFound)?;
        load_resident(&mut tx, b)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO grid_duplicate_dismissals (resident_a, resident_b, dismissed_at, \
             dismissed_by) ",
        );
        qb.push_values([(a, b)], |mut row, (a, b)| {
            row.push_bind(a.to_string())
                .push_bind(b.to_string())
                .push_bind(ctx.at)
                .push_bind(ctx.actor_name.clone());
        });
        qb.push(" ON CONFLICT DO NOTHING");
        let added = qb
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if added == 1 {
            append_audit(
                &mut tx,
                ctx,
                NewAudit::new("resident.duplicate.dismiss", "resident", a).with_detail(json!({
                    "grid_code": first.grid_code,
                    "other": b,
                })),
            )
            .await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn problem_counts(
        &self,
        scope: &ProblemScope,
        today: i64,
    ) -> StoreResult<Vec<GridProblemCounts>> {
        let mut tx = self.problems_read().await?;
        let mut grids: BTreeMap<String, [u64; 6]> = BTreeMap::new();
        for kind in ProblemKind::ALL {
            let column = list_sql(kind).grid_column;
            let (mut qb, _) = list_query(
                &format!("SELECT {column} AS grid_code, COUNT(*) AS n"),
                kind,
                scope,
                today,
            );
            qb.push(" GROUP BY ").push(column);
            let rows: Vec<(String, i64)> =
                qb.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
            for (grid, n) in rows {
                grids.entry(grid).or_default()[kind.index()] = n as u64;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(grids
            .into_iter()
            .map(|(grid_code, counts)| GridProblemCounts { grid_code, counts })
            .collect())
    }

    async fn problems(
        &self,
        kind: ProblemKind,
        scope: &ProblemScope,
        today: i64,
        page: Page,
    ) -> StoreResult<Paged<ProblemItem>> {
        let page = clamp(page);
        let mut tx = self.problems_read().await?;
        let (mut count, _) = list_query("SELECT COUNT(*)", kind, scope, today);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let (mut select, text) = list_query("{columns}", kind, scope, today);
        select
            .push(text.order)
            .push(" LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<ProblemSqlRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: convert_all(rows)?,
            total: total as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }
}
