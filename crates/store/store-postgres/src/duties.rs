//! [`DutyStore`] on PostgreSQL: patrols, visits and attendance, with the
//! SQL text `yiwang_store::duties::sql` shares between the backends. The
//! code below the header is the SQLite backend's, statement for statement.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{Postgres, QueryBuilder};
use yiwang_store::duties::rows::{AttendanceCaseRow, DutyLogRow, VisitSubjectRow};
use yiwang_store::duties::{
    sql, AttendanceCase, DutyCounts, DutyImportCounts, DutyLogEntry, DutyScope, DutyStore,
    NewAttendance, NewPatrol, NewVisit, PatrolDay, VisitKind, VisitQuery, VisitSubject,
};
use yiwang_store::kpi::{shanghai_day, KpiGroup};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, db, escape_like, PgStore as Backend, Tx};

type Db = Postgres;

/// A read-only transaction on one snapshot.
async fn read(backend: &Backend) -> StoreResult<Tx> {
    backend.snapshot().await
}

// ---- the same on both backends from here on ----

/// Adds the scope's filters on `column` (after a `WHERE`).
fn push_scope(q: &mut QueryBuilder<'_, Db>, column: &str, scope: &DutyScope) {
    if let Some(grids) = &scope.grids {
        if grids.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(format!(" AND {column} IN ("));
            let mut list = q.separated(", ");
            for g in grids {
                list.push_bind(g.clone());
            }
            q.push(")");
        }
    }
    push_under(q, column, scope.under.as_deref());
}

fn push_under(q: &mut QueryBuilder<'_, Db>, column: &str, under: Option<&str>) {
    if let Some(prefix) = under {
        q.push(format!(" AND {column} LIKE "))
            .push_bind(format!("{}%", escape_like(prefix)))
            .push(" ESCAPE '\\'");
    }
}

fn push_patrol(q: &mut QueryBuilder<'_, Db>, rows: &[NewPatrol], at: i64) {
    q.push(sql::PATROL_INSERT);
    q.push_values(rows, |mut row, p| {
        row.push_bind(p.id.to_string())
            .push_bind(p.grid_code.clone())
            .push_bind(p.at)
            .push_bind(shanghai_day(p.at))
            .push_bind(p.worker_id.map(|u| u.to_string()))
            .push_bind(p.worker_name.clone())
            .push_bind(p.route.clone())
            .push_bind(p.notes.clone())
            .push_bind(p.point.map(|p| p.0))
            .push_bind(p.point.map(|p| p.1))
            .push_bind(at);
    });
}

/// The visits' rows with the grid of each household's building, checked:
/// `NotFound` for an unknown household or a person not living in it.
async fn visit_rows(tx: &mut Tx, visits: &[NewVisit]) -> StoreResult<Vec<(NewVisit, String)>> {
    let mut grids = std::collections::HashMap::new();
    for chunk in visits.chunks(sql::CHUNK) {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT h.id, b.grid_code FROM grid_households h \
             JOIN grid_buildings b ON b.id = h.building_id WHERE h.id IN (",
        );
        let mut list = q.separated(", ");
        for v in chunk {
            list.push_bind(v.household_id.to_string());
        }
        q.push(")");
        let found: Vec<(String, String)> =
            q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
        grids.extend(found);
    }
    let mut people = std::collections::HashMap::new();
    let tagged: Vec<&NewVisit> = visits.iter().filter(|v| v.resident_id.is_some()).collect();
    for chunk in tagged.chunks(sql::CHUNK) {
        let mut q =
            QueryBuilder::<Db>::new("SELECT id, household_id FROM grid_residents WHERE id IN (");
        let mut list = q.separated(", ");
        for v in chunk {
            list.push_bind(v.resident_id.map(|r| r.to_string()));
        }
        q.push(")");
        let found: Vec<(String, String)> =
            q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
        people.extend(found);
    }
    visits
        .iter()
        .map(|v| {
            match (v.kind, v.resident_id) {
                (VisitKind::Tagged, None) | (VisitKind::Household, Some(_)) => {
                    return Err(StoreError::Conflict { field: "resident" })
                }
                (_, Some(r)) => {
                    if people.get(&r.to_string()) != Some(&v.household_id.to_string()) {
                        return Err(StoreError::NotFound);
                    }
                }
                (_, None) => {}
            }
            let grid = grids
                .get(&v.household_id.to_string())
                .ok_or(StoreError::NotFound)?;
            Ok((v.clone(), grid.clone()))
        })
        .collect()
}

fn push_visits(q: &mut QueryBuilder<'_, Db>, rows: &[(NewVisit, String)], at: i64) {
    q.push(sql::VISIT_INSERT);
    q.push_values(rows, |mut row, (v, grid)| {
        row.push_bind(v.id.to_string())
            .push_bind(v.kind.code())
            .push_bind(grid.clone())
            .push_bind(v.household_id.to_string())
            .push_bind(v.resident_id.map(|r| r.to_string()))
            .push_bind(v.at)
            .push_bind(v.worker_id.map(|u| u.to_string()))
            .push_bind(v.worker_name.clone())
            .push_bind(v.notes.clone())
            .push_bind(v.findings.clone())
            .push_bind(at);
    });
}

/// Appends the subjects query of `query`, without its ORDER BY.
fn push_subjects(q: &mut QueryBuilder<'_, Db>, query: &VisitQuery) {
    let subject = match query.kind {
        VisitKind::Household => "household_id",
        VisitKind::Tagged => "resident_id",
    };
    let parts = sql::VISITS_IN_WINDOW.map(|p| p.replace("{subject}", subject));
    // The window's binds go first: the visits sub-query opens the text.
    let marker = "\u{1}";
    let text = match query.kind {
        VisitKind::Household => sql::household_subjects(marker),
        VisitKind::Tagged => sql::tagged_subjects(marker),
    };
    let (head, tail) = text.split_once(marker).expect("the marker is in the text");
    q.push(head)
        .push(&parts[0])
        .push_bind(query.kind.code())
        .push(&parts[1])
        .push_bind(query.from)
        .push(&parts[2])
        .push_bind(query.to)
        .push(&parts[3])
        .push(tail);
    push_scope(q, "b.grid_code", &query.scope);
}

/// Rows of `(key, n)` in a map.
async fn counts_by_key(
    backend: &Backend,
    mut q: QueryBuilder<'_, Db>,
) -> StoreResult<std::collections::BTreeMap<String, i64>> {
    let mut tx = read(backend).await?;
    let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(rows.into_iter().collect())
}

#[async_trait]
impl DutyStore for Backend {
    async fn record_patrol(&self, ctx: &AuditCtx, patrol: NewPatrol) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new("SELECT code FROM grids WHERE code = ");
        q.push_bind(patrol.grid_code.clone());
        let found: Option<(String,)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut q = QueryBuilder::<Db>::new("");
        push_patrol(&mut q, std::slice::from_ref(&patrol), ctx.at);
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("duty.patrol", "grid", patrol.grid_code.clone()).with_detail(json!({
                "patrol_id": patrol.id,
                "at": patrol.at,
                "point": patrol.point.is_some(),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn record_visit(&self, ctx: &AuditCtx, visit: NewVisit) -> StoreResult<String> {
        let mut tx = self.write().await?;
        let rows = visit_rows(&mut tx, std::slice::from_ref(&visit)).await?;
        let grid = rows[0].1.clone();
        let mut q = QueryBuilder::<Db>::new("");
        push_visits(&mut q, &rows, ctx.at);
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("duty.visit", "household", visit.household_id.to_string()).with_detail(
                json!({
                    "visit_id": visit.id,
                    "kind": visit.kind.code(),
                    "grid_code": grid,
                    "resident_id": visit.resident_id,
                    "at": visit.at,
                }),
            ),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(grid)
    }

    async fn record_attendance(&self, ctx: &AuditCtx, a: NewAttendance) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new("SELECT grid_code FROM cases WHERE id = ");
        q.push_bind(a.case_id.to_string());
        let grid: Option<(String,)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some((grid,)) = grid else {
            return Err(StoreError::NotFound);
        };
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO grid_duty_attendances (id, case_id, at, worker_id, worker_name, notes, \
             created_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(a.id.to_string())
            .push_bind(a.case_id.to_string())
            .push_bind(a.at)
            .push_bind(a.worker_id.map(|u| u.to_string()))
            .push_bind(a.worker_name.clone())
            .push_bind(a.notes.clone())
            .push_bind(ctx.at);
        q.push(")");
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("duty.attendance", "case", a.case_id.to_string()).with_detail(json!({
                "attendance_id": a.id,
                "grid_code": grid,
                "at": a.at,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn import_duties(
        &self,
        ctx: &AuditCtx,
        label: &str,
        patrols: Vec<NewPatrol>,
        visits: Vec<NewVisit>,
    ) -> StoreResult<DutyImportCounts> {
        let mut tx = self.write().await?;
        for chunk in patrols.chunks(sql::CHUNK) {
            let mut q = QueryBuilder::<Db>::new("");
            push_patrol(&mut q, chunk, ctx.at);
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        let rows = visit_rows(&mut tx, &visits).await?;
        for chunk in rows.chunks(sql::CHUNK) {
            let mut q = QueryBuilder::<Db>::new("");
            push_visits(&mut q, chunk, ctx.at);
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        let counts = DutyImportCounts {
            patrols: patrols.len() as u64,
            visits: visits.len() as u64,
        };
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("duty.import", "grid", label).with_detail(json!(counts)),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(counts)
    }

    async fn patrol_days(
        &self,
        scope: &DutyScope,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<PatrolDay>> {
        let mut q = QueryBuilder::<Db>::new(sql::PATROL_DAYS);
        q.push(" AND day >= ")
            .push_bind(from)
            .push(" AND day < ")
            .push_bind(to);
        push_scope(&mut q, "grid_code", scope);
        q.push(sql::PATROL_DAYS_TAIL);
        let mut tx = read(self).await?;
        let rows: Vec<(String, i64, i64)> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(grid_code, day, patrols)| PatrolDay {
                grid_code,
                day,
                patrols,
            })
            .collect())
    }

    async fn visit_subjects(&self, query: &VisitQuery) -> StoreResult<Vec<VisitSubject>> {
        let mut q = QueryBuilder::<Db>::new("");
        push_subjects(&mut q, query);
        if let Some(n) = query.fewer_than {
            q.push(" AND COALESCE(v.n, 0) < ").push_bind(n);
        }
        q.push(sql::SUBJECTS_ORDER);
        let mut tx = read(self).await?;
        let rows: Vec<VisitSubjectRow> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(VisitSubject::try_from).collect()
    }

    async fn attendance_cases(
        &self,
        scope: &DutyScope,
        categories: &[String],
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<AttendanceCase>> {
        if categories.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Db>::new(sql::ATTENDANCE_CASES);
        q.push(" AND c.category IN (");
        let mut list = q.separated(", ");
        for c in categories {
            list.push_bind(c.clone());
        }
        q.push(") AND c.created_at >= ")
            .push_bind(from)
            .push(" AND c.created_at < ")
            .push_bind(to);
        push_scope(&mut q, "c.grid_code", scope);
        q.push(sql::ATTENDANCE_ORDER);
        let mut tx = read(self).await?;
        let rows: Vec<AttendanceCaseRow> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(AttendanceCase::try_from).collect()
    }

    async fn duty_log(&self, grid_code: &str, page: Page) -> StoreResult<Paged<DutyLogEntry>> {
        let union = |q: &mut QueryBuilder<'_, Db>| {
            q.push(sql::LOG[0])
                .push_bind(grid_code.to_owned())
                .push(sql::LOG[1])
                .push_bind(grid_code.to_owned())
                .push(sql::LOG[2])
                .push_bind(grid_code.to_owned())
                .push(sql::LOG[3]);
        };
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM (");
        union(&mut count);
        count.push(") t");
        let mut select = QueryBuilder::<Db>::new("SELECT * FROM (");
        union(&mut select);
        select
            .push(") t ORDER BY at DESC, id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let (total,): (i64,) = count
            .build_query_as()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<DutyLogRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(DutyLogEntry::try_from)
                .collect::<StoreResult<_>>()?,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn patrol_completion(
        &self,
        group: KpiGroup,
        days: &[i64],
        required: u32,
        under: Option<&str>,
    ) -> StoreResult<Vec<DutyCounts>> {
        let n = group.prefix_len().unwrap_or(15).to_string();
        let mut grids = QueryBuilder::<Db>::new(sql::GRIDS_PER_GROUP.replace("{n}", &n));
        push_under(&mut grids, "code", under);
        grids.push(sql::GROUP_TAIL);
        let grids = counts_by_key(self, grids).await?;
        let mut done = std::collections::BTreeMap::new();
        if !days.is_empty() {
            let mut q = QueryBuilder::<Db>::new(sql::PATROLS_DONE_HEAD.replace("{n}", &n));
            let mut list = q.separated(", ");
            for day in days {
                list.push_bind(*day);
            }
            q.push(")");
            push_under(&mut q, "grid_code", under);
            q.push(" GROUP BY grid_code, day HAVING COUNT(*) >= ")
                .push_bind(i64::from(required))
                .push(sql::PATROLS_DONE_TAIL);
            done = counts_by_key(self, q).await?;
        }
        let per_grid = days.len() as i64;
        Ok(grids
            .into_iter()
            .map(|(key, grids)| DutyCounts {
                done: done.get(&key).copied().unwrap_or(0),
                due: grids * per_grid,
                key,
            })
            .collect())
    }

    async fn visit_completion(
        &self,
        kind: VisitKind,
        group: KpiGroup,
        from: i64,
        to: i64,
        under: Option<&str>,
    ) -> StoreResult<Vec<DutyCounts>> {
        let n = group.prefix_len().unwrap_or(15);
        let mut q = QueryBuilder::<Db>::new(format!(
            "SELECT substr(s.grid_code, 1, {n}) AS k, CAST(COUNT(*) AS BIGINT) AS due, \
             CAST(COALESCE(SUM(CASE WHEN s.visits >= 1 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             AS done FROM ("
        ));
        push_subjects(
            &mut q,
            &VisitQuery {
                kind,
                scope: DutyScope {
                    grids: None,
                    under: under.map(str::to_owned),
                },
                from,
                to,
                fewer_than: None,
            },
        );
        q.push(") s GROUP BY k ORDER BY k");
        let mut tx = read(self).await?;
        let rows: Vec<(String, i64, i64)> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows
            .into_iter()
            .map(|(key, due, done)| DutyCounts { key, due, done })
            .collect())
    }

    async fn last_patrols(&self) -> StoreResult<Vec<(String, i64)>> {
        let mut tx = read(self).await?;
        let rows: Vec<(String, i64)> = sqlx::query_as(sql::LAST_PATROLS)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows)
    }
}
