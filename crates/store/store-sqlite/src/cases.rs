//! [`CaseStore`] on SQLite: cases, their facts and their numbers (the
//! `cases` module of `yiwang-store` describes the contract).
//!
//! Appends use optimistic concurrency on `cases.last_seq`: the summary is
//! updated only where the row still has the expected `seq`, so a writer that
//! lost the race changes nothing and is told the case is stale.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;
use yiwang_store::cases::{
    bounding_box, case_number, CaseAppend, CaseAppendOutcome, CaseEventRow, CaseQuery, CaseRow,
    CaseStore, CaseSummary, ImportedCase, NewCase, NewCaseEvent, NewPhoto, PhotoRow, FINAL_STAGES,
};
use yiwang_store::sql_rows::{convert_all, CaseEventSqlRow, CaseSqlRow, CASE_COLUMNS};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::{append_audit, clamp, conflict_or_db, db, escape_like, SqliteStore as Backend};

type Db = Sqlite;
type Conn = SqliteConnection;

impl Backend {
    async fn read_tx(&self) -> StoreResult<sqlx::Transaction<'static, Db>> {
        self.reader.begin().await.map_err(db)
    }
}

async fn insert_events(
    conn: &mut Conn,
    case_id: Uuid,
    first_seq: i64,
    events: &[NewCaseEvent],
) -> StoreResult<()> {
    for (i, event) in events.iter().enumerate() {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO case_events (case_id, seq, at, kind, fact_json) VALUES (",
        );
        let mut values = q.separated(", ");
        values
            .push_bind(case_id.to_string())
            .push_bind(first_seq + i as i64)
            .push_bind(event.at)
            .push_bind(&event.kind)
            .push_bind(&event.fact_json);
        q.push(")");
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// Stores photos of a case.
async fn insert_photos(
    conn: &mut Conn,
    case_id: Uuid,
    photos: &[NewPhoto],
    at: i64,
) -> StoreResult<()> {
    for p in photos {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO case_photos (id, case_id, content_type, size, bytes, uploaded_by, \
             created_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(p.id.to_string())
            .push_bind(case_id.to_string())
            .push_bind(p.content_type.clone())
            .push_bind(p.bytes.len() as i64)
            .push_bind(p.bytes.clone())
            .push_bind(p.uploaded_by.clone())
            .push_bind(at);
        q.push(")");
        q.build().execute(&mut *conn).await.map_err(db)?;
        // A photo kept from a form that came back is now the case's.
        let mut q = QueryBuilder::<Db>::new("DELETE FROM case_photo_uploads WHERE id = ");
        q.push_bind(p.id.to_string());
        q.build().execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

async fn load_case(conn: &mut Conn, id: Uuid) -> StoreResult<Option<CaseRow>> {
    let mut q = QueryBuilder::<Db>::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = "));
    q.push_bind(id.to_string());
    let row: Option<CaseSqlRow> = q
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    row.map(CaseRow::try_from).transpose()
}

/// Inserts a case's row (not its facts).
async fn insert_case(
    conn: &mut Conn,
    case: &NewCase,
    number: &str,
    created_at: i64,
    updated_at: i64,
) -> StoreResult<()> {
    let s = &case.summary;
    let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO cases ({CASE_COLUMNS}) VALUES ("));
    let mut v = q.separated(", ");
    v.push_bind(case.id.to_string())
        .push_bind(number.to_owned())
        .push_bind(s.category.clone())
        .push_bind(case.grid_code.clone())
        .push_bind(case.lng)
        .push_bind(case.lat)
        .push_bind(case.address.clone())
        .push_bind(case.description.clone())
        .push_bind(case.reporter_kind.clone())
        .push_bind(case.reporter_id.clone())
        .push_bind(s.stage.clone())
        .push_bind(s.department.clone())
        .push_bind(s.step_due)
        .push_bind(s.overall_due)
        .push_bind(s.next_due)
        .push_bind(s.extension_pending)
        .push_bind(s.registered)
        .push_bind(s.escalations)
        .push_bind(s.rating)
        .push_bind(case.events.len() as i64)
        .push_bind(created_at)
        .push_bind(updated_at)
        .push_bind(s.closed_at)
        .push_bind(s.filed_at)
        .push_bind(s.limit_at)
        .push_bind(s.deferred)
        .push_bind(s.reworks)
        .push_bind(s.extensions)
        .push_bind(s.close_working);
    q.push(")");
    q.build()
        .execute(&mut *conn)
        .await
        .map_err(conflict_or_db)?;
    Ok(())
}

fn push_summary(q: &mut QueryBuilder<'_, Db>, s: &CaseSummary) {
    q.push("stage = ")
        .push_bind(s.stage.clone())
        .push(", category = ")
        .push_bind(s.category.clone())
        .push(", department = ")
        .push_bind(s.department.clone())
        .push(", step_due = ")
        .push_bind(s.step_due)
        .push(", overall_due = ")
        .push_bind(s.overall_due)
        .push(", next_due = ")
        .push_bind(s.next_due)
        .push(", extension_pending = ")
        .push_bind(s.extension_pending)
        .push(", registered = ")
        .push_bind(s.registered)
        .push(", escalations = ")
        .push_bind(s.escalations)
        .push(", rating = ")
        .push_bind(s.rating)
        .push(", closed_at = ")
        .push_bind(s.closed_at)
        .push(", filed_at = ")
        .push_bind(s.filed_at)
        .push(", limit_at = ")
        .push_bind(s.limit_at)
        .push(", deferred = ")
        .push_bind(s.deferred)
        .push(", reworks = ")
        .push_bind(s.reworks)
        .push(", extensions = ")
        .push_bind(s.extensions)
        .push(", close_working = ")
        .push_bind(s.close_working);
}

fn push_filters(q: &mut QueryBuilder<'_, Db>, query: &CaseQuery) {
    q.push(" WHERE 1 = 1");
    if !query.stages.is_empty() {
        q.push(" AND stage IN (");
        let mut list = q.separated(", ");
        for stage in &query.stages {
            list.push_bind(stage.clone());
        }
        q.push(")");
    }
    if let Some(category) = &query.category {
        q.push(" AND category = ").push_bind(category.clone());
    }
    if let Some(prefix) = &query.grid_prefix {
        q.push(" AND grid_code LIKE ")
            .push_bind(format!("{}%", escape_like(prefix)))
            .push(" ESCAPE '\\'");
    }
    if let Some(department) = &query.department {
        q.push(" AND department = ").push_bind(department.clone());
    }
    if let Some(codes) = &query.grid_codes {
        if codes.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(" AND grid_code IN (");
            let mut list = q.separated(", ");
            for code in codes {
                list.push_bind(code.clone());
            }
            q.push(")");
        }
    }
    if let Some(at) = query.overdue_at {
        q.push(" AND stage NOT IN (");
        let mut list = q.separated(", ");
        for stage in FINAL_STAGES {
            list.push_bind(stage);
        }
        q.push(") AND ((step_due IS NOT NULL AND step_due <= ")
            .push_bind(at)
            .push(") OR (overall_due IS NOT NULL AND overall_due <= ")
            .push_bind(at)
            .push("))");
    }
    if let Some(pending) = query.extension_pending {
        q.push(" AND extension_pending = ").push_bind(pending);
    }
    if let Some(registered) = query.registered {
        q.push(" AND registered = ").push_bind(registered);
    }
    if let Some(reporter) = &query.reporter_id {
        q.push(" AND reporter_id = ").push_bind(reporter.clone());
    }
    if let Some(kind) = &query.reporter_kind {
        q.push(" AND reporter_kind = ").push_bind(kind.clone());
    }
    if let Some(from) = query.created_from {
        q.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(to) = query.created_to {
        q.push(" AND created_at < ").push_bind(to);
    }
}

#[async_trait]
impl CaseStore for Backend {
    async fn create_case(&self, ctx: &AuditCtx, case: NewCase) -> StoreResult<CaseRow> {
        if case.events.is_empty() {
            return Err(StoreError::Backend(
                "a case is created with its report".into(),
            ));
        }
        let mut tx = self.write().await?;
        let mut exists = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM cases WHERE id = ");
        exists.push_bind(case.id.to_string());
        let n: i64 = exists
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if n > 0 {
            return Err(StoreError::Conflict { field: "case_id" });
        }
        let mut counter =
            QueryBuilder::<Db>::new("INSERT INTO case_numbers (prefix, last) VALUES (");
        counter.push_bind(case.number_prefix.clone()).push(
            ", 1) ON CONFLICT (prefix) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
        );
        let n: i64 = counter
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let number = case_number(&case.number_prefix, n);
        insert_case(&mut tx, &case, &number, ctx.at, ctx.at).await?;
        insert_events(&mut tx, case.id, 1, &case.events).await?;
        insert_photos(&mut tx, case.id, &case.photos, ctx.at).await?;
        let mut detail = case.audit_detail.clone();
        if let serde_json::Value::Object(map) = &mut detail {
            map.insert("number".into(), json!(number));
            if !case.photos.is_empty() {
                map.insert("photos".into(), json!(case.photos.len()));
            }
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(&case.audit_action, "case", case.id).with_detail(detail),
        )
        .await?;
        let row = load_case(&mut tx, case.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn import_cases(&self, ctx: &AuditCtx, cases: Vec<ImportedCase>) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        let mut counters: std::collections::BTreeMap<String, i64> = Default::default();
        for c in &cases {
            let n = c
                .number
                .strip_prefix(&c.case.number_prefix)
                .and_then(|n| n.parse::<i64>().ok())
                .ok_or_else(|| StoreError::Backend(format!("case number {}", c.number).into()))?;
            let last = counters.entry(c.case.number_prefix.clone()).or_default();
            *last = (*last).max(n);
        }
        // Many rows a statement: 29 columns × 500 rows and 5 × 4,000 stay
        // under both backends' limits on bound values.
        for chunk in cases.chunks(500) {
            let mut q = QueryBuilder::<Db>::new(format!("INSERT INTO cases ({CASE_COLUMNS}) "));
            q.push_values(chunk, |mut v, c| {
                let s = &c.case.summary;
                v.push_bind(c.case.id.to_string())
                    .push_bind(c.number.clone())
                    .push_bind(s.category.clone())
                    .push_bind(c.case.grid_code.clone())
                    .push_bind(c.case.lng)
                    .push_bind(c.case.lat)
                    .push_bind(c.case.address.clone())
                    .push_bind(c.case.description.clone())
                    .push_bind(c.case.reporter_kind.clone())
                    .push_bind(c.case.reporter_id.clone())
                    .push_bind(s.stage.clone())
                    .push_bind(s.department.clone())
                    .push_bind(s.step_due)
                    .push_bind(s.overall_due)
                    .push_bind(s.next_due)
                    .push_bind(s.extension_pending)
                    .push_bind(s.registered)
                    .push_bind(s.escalations)
                    .push_bind(s.rating)
                    .push_bind(c.case.events.len() as i64)
                    .push_bind(c.created_at)
                    .push_bind(c.updated_at)
                    .push_bind(s.closed_at)
                    .push_bind(s.filed_at)
                    .push_bind(s.limit_at)
                    .push_bind(s.deferred)
                    .push_bind(s.reworks)
                    .push_bind(s.extensions)
                    .push_bind(s.close_working);
            });
            q.build().execute(&mut *tx).await.map_err(conflict_or_db)?;
        }
        let events: Vec<(Uuid, i64, &NewCaseEvent)> = cases
            .iter()
            .flat_map(|c| {
                c.case
                    .events
                    .iter()
                    .enumerate()
                    .map(move |(i, e)| (c.case.id, i as i64 + 1, e))
            })
            .collect();
        for chunk in events.chunks(4000) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO case_events (case_id, seq, at, kind, fact_json) ",
            );
            q.push_values(chunk, |mut v, (id, seq, e)| {
                v.push_bind(id.to_string())
                    .push_bind(*seq)
                    .push_bind(e.at)
                    .push_bind(e.kind.clone())
                    .push_bind(e.fact_json.clone());
            });
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        for (prefix, last) in &counters {
            let mut q = QueryBuilder::<Db>::new("INSERT INTO case_numbers (prefix, last) VALUES (");
            q.push_bind(prefix.clone())
                .push(", ")
                .push_bind(*last)
                .push(
                ") ON CONFLICT (prefix) DO UPDATE SET last = MAX(case_numbers.last, excluded.last)",
            );
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(
                "case.import",
                "case_batch",
                cases.first().map_or("", |c| c.number.as_str()),
            )
            .with_detail(json!({
                "cases": cases.len(),
                "events": cases.iter().map(|c| c.case.events.len()).sum::<usize>(),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(cases.len() as u64)
    }

    async fn append_case(
        &self,
        ctx: &AuditCtx,
        append: CaseAppend,
    ) -> StoreResult<CaseAppendOutcome> {
        if append.events.is_empty() {
            return Err(StoreError::Backend(
                "an append carries at least one fact".into(),
            ));
        }
        let mut tx = self.write().await?;
        let new_seq = append.expected_seq + append.events.len() as i64;
        let mut q = QueryBuilder::<Db>::new("UPDATE cases SET ");
        push_summary(&mut q, &append.summary);
        q.push(", last_seq = ")
            .push_bind(new_seq)
            .push(", updated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(append.case_id.to_string())
            .push(" AND last_seq = ")
            .push_bind(append.expected_seq);
        let updated = q
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if updated == 0 {
            let current = load_case(&mut tx, append.case_id).await?;
            tx.rollback().await.map_err(db)?;
            return match current {
                Some(row) => Ok(CaseAppendOutcome::Stale {
                    last_seq: row.last_seq,
                }),
                None => Err(StoreError::NotFound),
            };
        }
        insert_events(
            &mut tx,
            append.case_id,
            append.expected_seq + 1,
            &append.events,
        )
        .await?;
        insert_photos(&mut tx, append.case_id, &append.photos, ctx.at).await?;
        let mut audit = append.audit;
        if !append.photos.is_empty() {
            if let serde_json::Value::Object(map) = &mut audit.detail {
                map.insert("photos".into(), json!(append.photos.len()));
            }
        }
        audit.object_kind = "case".to_owned();
        audit.object_id = append.case_id.to_string();
        append_audit(&mut tx, ctx, audit).await?;
        let row = load_case(&mut tx, append.case_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(CaseAppendOutcome::Appended(Box::new(row)))
    }

    async fn case(&self, id: Uuid) -> StoreResult<Option<(CaseRow, Vec<CaseEventRow>)>> {
        let mut tx = self.read_tx().await?;
        let Some(row) = load_case(&mut tx, id).await? else {
            return Ok(None);
        };
        let mut q = QueryBuilder::<Db>::new(
            "SELECT case_id, seq, at, kind, fact_json FROM case_events WHERE case_id = ",
        );
        q.push_bind(id.to_string()).push(" ORDER BY seq");
        let events: Vec<CaseEventSqlRow> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some((row, convert_all(events)?)))
    }

    async fn hold_photos(
        &self,
        ctx: &AuditCtx,
        photos: Vec<NewPhoto>,
        expire_before: i64,
    ) -> StoreResult<()> {
        let Some(uploader) = photos.first().map(|p| p.uploaded_by.clone()) else {
            return Ok(());
        };
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new("DELETE FROM case_photo_uploads WHERE created_at < ");
        q.push_bind(expire_before);
        let dropped = q
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        for p in &photos {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO case_photo_uploads (id, content_type, size, bytes, uploaded_by, \
                 created_at) VALUES (",
            );
            let mut v = q.separated(", ");
            v.push_bind(p.id.to_string())
                .push_bind(p.content_type.clone())
                .push_bind(p.bytes.len() as i64)
                .push_bind(p.bytes.clone())
                .push_bind(p.uploaded_by.clone())
                .push_bind(ctx.at);
            q.push(")");
            q.build().execute(&mut *tx).await.map_err(conflict_or_db)?;
        }
        let ids: Vec<String> = photos.iter().map(|p| p.id.to_string()).collect();
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("case_photo.hold", "user", uploader)
                .with_detail(json!({ "photos": ids, "dropped_expired": dropped })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn held_photos(&self, uploaded_by: &str, ids: &[Uuid]) -> StoreResult<Vec<NewPhoto>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Db>::new(
            "SELECT id, content_type, bytes FROM case_photo_uploads WHERE uploaded_by = ",
        );
        q.push_bind(uploaded_by.to_owned()).push(" AND id IN (");
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(id.to_string());
        }
        q.push(")");
        let mut tx = self.read_tx().await?;
        let rows: Vec<(String, String, Vec<u8>)> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut held = Vec::with_capacity(rows.len());
        for (id, content_type, bytes) in rows {
            held.push(NewPhoto {
                id: Uuid::parse_str(&id).map_err(|e| {
                    StoreError::Backend(format!("case_photo_uploads.id: {e}").into())
                })?,
                content_type,
                bytes,
                uploaded_by: uploaded_by.to_owned(),
            });
        }
        held.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
        Ok(held)
    }

    async fn photo(&self, id: Uuid) -> StoreResult<Option<PhotoRow>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT id, case_id, content_type, bytes, uploaded_by, created_at \
             FROM case_photos WHERE id = ",
        );
        q.push_bind(id.to_string());
        let mut tx = self.read_tx().await?;
        let row: Option<(String, String, String, Vec<u8>, String, i64)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.map(
            |(id, case_id, content_type, bytes, uploaded_by, created_at)| {
                let parse = |what: &str, s: &str| {
                    Uuid::parse_str(s)
                        .map_err(|e| StoreError::Backend(format!("case_photos.{what}: {e}").into()))
                };
                Ok(PhotoRow {
                    id: parse("id", &id)?,
                    case_id: parse("case_id", &case_id)?,
                    content_type,
                    bytes,
                    uploaded_by,
                    created_at,
                })
            },
        )
        .transpose()
    }

    async fn case_by_number(&self, number: &str) -> StoreResult<Option<CaseRow>> {
        let mut q =
            QueryBuilder::<Db>::new(format!("SELECT {CASE_COLUMNS} FROM cases WHERE number = "));
        q.push_bind(number.to_owned());
        let mut tx = self.read_tx().await?;
        let row: Option<CaseSqlRow> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.map(CaseRow::try_from).transpose()
    }

    async fn list_cases(&self, query: &CaseQuery, page: Page) -> StoreResult<Paged<CaseRow>> {
        let page = clamp(page);
        let mut tx = self.read_tx().await?;
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM cases");
        push_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Db>::new(format!("SELECT {CASE_COLUMNS} FROM cases"));
        push_filters(&mut select, query);
        select
            .push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<CaseSqlRow> = select
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

    async fn cases_due(&self, now: i64, limit: u32) -> StoreResult<Vec<CaseRow>> {
        let mut q = QueryBuilder::<Db>::new(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE next_due IS NOT NULL AND next_due <= "
        ));
        q.push_bind(now)
            .push(" ORDER BY next_due, id LIMIT ")
            .push_bind(i64::from(limit.min(Page::MAX_LIMIT)));
        let mut tx = self.read_tx().await?;
        let rows: Vec<CaseSqlRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        convert_all(rows)
    }

    async fn open_cases_near(
        &self,
        category: &str,
        lng: f64,
        lat: f64,
        radius_m: f64,
        since: i64,
    ) -> StoreResult<Vec<CaseRow>> {
        let (lng0, lng1, lat0, lat1) = bounding_box(lng, lat, radius_m);
        let mut q = QueryBuilder::<Db>::new(format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE category = "
        ));
        q.push_bind(category.to_owned())
            .push(" AND lat >= ")
            .push_bind(lat0)
            .push(" AND lat <= ")
            .push_bind(lat1)
            .push(" AND lng >= ")
            .push_bind(lng0)
            .push(" AND lng <= ")
            .push_bind(lng1)
            .push(" AND created_at >= ")
            .push_bind(since)
            .push(" AND stage NOT IN (");
        let mut list = q.separated(", ");
        for stage in FINAL_STAGES {
            list.push_bind(stage);
        }
        q.push(") ORDER BY created_at DESC, id DESC LIMIT 50");
        let mut tx = self.read_tx().await?;
        let rows: Vec<CaseSqlRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        convert_all(rows)
    }
}
