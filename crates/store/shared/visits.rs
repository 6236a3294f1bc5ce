// The VisitStore implementation shared by both backends: `include!`d by
// `store-sqlite/src/visits.rs` and `store-postgres/src/visits.rs` after each
// has named its `Db`, `Backend`, `Tx` and `read`, so the statements are
// written once and compiled for each backend.

/// `QF` and the Beijing date of `at`: `QF20260301`.
fn visit_prefix(at: i64) -> String {
    let day = yiwang_core::Timestamp::from_micros(at).shanghai_date();
    format!(
        "QF{:04}{:02}{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// Locks the visit's row for the rest of the transaction (a no-op update)
/// and returns its state and first recording; `NotFound` when unknown.
async fn lock_visit(tx: &mut Tx, id: Uuid) -> StoreResult<(String, Option<i64>)> {
    let mut q = QueryBuilder::<Db>::new("UPDATE services_visits SET state = state WHERE id = ");
    q.push_bind(id.to_string())
        .push(" RETURNING state, recorded_at");
    let row: Option<(String, Option<i64>)> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.ok_or(StoreError::NotFound)
}

/// Replaces the staff of a visit.
async fn set_visit_staff(tx: &mut Tx, visit_id: Uuid, staff: &[Uuid]) -> StoreResult<()> {
    let mut q = QueryBuilder::<Db>::new("DELETE FROM services_visit_staff WHERE visit_id = ");
    q.push_bind(visit_id.to_string());
    q.build().execute(&mut **tx).await.map_err(db)?;
    let mut seen = std::collections::BTreeSet::new();
    for user in staff.iter().filter(|u| seen.insert(**u)) {
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO services_visit_staff (visit_id, user_id) VALUES (",
        );
        q.push_bind(visit_id.to_string())
            .push(", ")
            .push_bind(user.to_string())
            .push(")");
        q.build().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

async fn fetch_visit(tx: &mut Tx, id: Uuid) -> StoreResult<Option<VisitRow>> {
    let mut q = QueryBuilder::<Db>::new(format!(
        "SELECT {VISIT_COLUMNS} FROM services_visits v JOIN enterprises e ON e.id = v.enterprise_id \
         WHERE v.id = "
    ));
    q.push_bind(id.to_string());
    let row: Option<VisitRowDb> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    let Some(mut visit) = row.map(VisitRow::try_from).transpose()? else {
        return Ok(None);
    };
    let staff = visit_staff(tx, &[id]).await?;
    visit.staff_names = names(staff.iter().map(|(_, s)| s));
    Ok(Some(visit))
}

/// The staff on the given visits: (visit, staff), by name.
async fn visit_staff(tx: &mut Tx, visits: &[Uuid]) -> StoreResult<Vec<(Uuid, StaffContact)>> {
    if visits.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Db>::new(
        "SELECT s.visit_id, u.id, u.display_name, u.phone FROM services_visit_staff s \
         JOIN users u ON u.id = s.user_id WHERE s.visit_id IN (",
    );
    let mut ids = q.separated(", ");
    for v in visits {
        ids.push_bind(v.to_string());
    }
    q.push(") ORDER BY u.display_name, u.id");
    let rows: Vec<(String, String, String, Option<String>)> =
        q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
    rows.into_iter()
        .map(|(v, u, name, phone)| {
            Ok((
                parse_uuid("services_visit_staff.visit_id", &v)?,
                StaffContact {
                    user_id: parse_uuid("services_visit_staff.user_id", &u)?,
                    name,
                    phone,
                },
            ))
        })
        .collect()
}

/// The assigned staff of the given enterprises: (enterprise, staff), by name.
async fn assigned_staff(
    tx: &mut Tx,
    enterprises: &[Uuid],
) -> StoreResult<Vec<(Uuid, StaffContact)>> {
    if enterprises.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Db>::new(
        "SELECT s.enterprise_id, u.id, u.display_name, u.phone FROM services_enterprise_staff s \
         JOIN users u ON u.id = s.user_id WHERE s.enterprise_id IN (",
    );
    let mut ids = q.separated(", ");
    for e in enterprises {
        ids.push_bind(e.to_string());
    }
    q.push(") ORDER BY u.display_name, u.id");
    let rows: Vec<(String, String, String, Option<String>)> =
        q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
    rows.into_iter()
        .map(|(e, u, name, phone)| {
            Ok((
                parse_uuid("services_enterprise_staff.enterprise_id", &e)?,
                StaffContact {
                    user_id: parse_uuid("services_enterprise_staff.user_id", &u)?,
                    name,
                    phone,
                },
            ))
        })
        .collect()
}

/// Names joined with `、`, each once, in the order given.
fn names<'a>(staff: impl Iterator<Item = &'a StaffContact>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for s in staff {
        if !out.contains(&s.name.as_str()) {
            out.push(&s.name);
        }
    }
    out.join("、")
}

/// Appends the visit list's filters (after a `WHERE`).
fn push_visit_filters(q: &mut QueryBuilder<'_, Db>, query: &VisitQuery) {
    if let Some(e) = query.enterprise_id {
        q.push(" AND v.enterprise_id = ").push_bind(e.to_string());
    }
    if let Some(s) = &query.state {
        q.push(" AND v.state = ").push_bind(s.clone());
    }
    if let Some(u) = query.staff_id {
        q.push(" AND EXISTS (SELECT 1 FROM services_visit_staff s WHERE s.visit_id = v.id AND s.user_id = ")
            .push_bind(u.to_string())
            .push(")");
    }
    if let Some(text) = &query.search {
        let like = format!("%{}%", escape_like(&text.to_lowercase()));
        q.push(" AND (LOWER(v.number) LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(e.name) LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(e.credit_code) LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
}

/// Appends an enterprise search on `e` (after a `WHERE`).
fn push_enterprise_search(q: &mut QueryBuilder<'_, Db>, search: Option<&str>) {
    if let Some(text) = search {
        let like = format!("%{}%", escape_like(&text.to_lowercase()));
        q.push(" AND (LOWER(e.name) LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(e.credit_code) LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
}

async fn enterprise_exists(tx: &mut Tx, id: Uuid) -> StoreResult<bool> {
    let mut q = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM enterprises WHERE id = ");
    q.push_bind(id.to_string());
    let n: i64 = q
        .build_query_scalar()
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    Ok(n > 0)
}

#[async_trait]
impl VisitStore for Backend {
    async fn plan_visit(&self, ctx: &AuditCtx, visit: NewVisit) -> StoreResult<VisitRow> {
        let mut tx = self.write().await?;
        if !enterprise_exists(&mut tx, visit.enterprise_id).await? {
            return Err(StoreError::NotFound);
        }
        let prefix = visit_prefix(ctx.at);
        let mut counter =
            QueryBuilder::<Db>::new("INSERT INTO services_visit_numbers (prefix, last) VALUES (");
        counter.push_bind(prefix.clone()).push(
            ", 1) ON CONFLICT (prefix) DO UPDATE SET last = services_visit_numbers.last + 1 \
             RETURNING last",
        );
        let n: i64 = counter
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let number = format!("{prefix}-{n:04}");
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO services_visits (id, number, enterprise_id, purpose, planned_on, state, \
             planned_by_id, created_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(visit.id.to_string())
            .push_bind(number.clone())
            .push_bind(visit.enterprise_id.to_string())
            .push_bind(visit.purpose.clone())
            .push_bind(visit.planned_on)
            .push_bind("planned")
            .push_bind(ctx.actor_id.unwrap_or_default().to_string())
            .push_bind(ctx.at);
        q.push(")");
        q.build().execute(&mut *tx).await.map_err(db)?;
        set_visit_staff(&mut tx, visit.id, &visit.staff).await?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("visit.plan", "visit", visit.id.to_string()).with_detail(json!({
                "number": number,
                "enterprise_id": visit.enterprise_id,
                "planned_on": visit.planned_on,
                "staff": visit.staff,
            })),
        )
        .await?;
        let row = fetch_visit(&mut tx, visit.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn cancel_visit(&self, ctx: &AuditCtx, id: Uuid, reason: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let (state, _) = lock_visit(&mut tx, id).await?;
        if state != "planned" {
            return Err(StoreError::Conflict { field: "state" });
        }
        let mut q = QueryBuilder::<Db>::new(
            "UPDATE services_visits SET state = 'cancelled', cancel_reason = ",
        );
        q.push_bind(reason.to_owned())
            .push(", cancelled_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(id.to_string());
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("visit.cancel", "visit", id.to_string())
                .with_detail(json!({ "reason": reason })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn record_enterprise_visit(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        record: VisitRecord,
        editable_since: i64,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let (state, recorded_at) = lock_visit(&mut tx, id).await?;
        if state == "cancelled" {
            return Err(StoreError::Conflict { field: "state" });
        }
        if recorded_at.is_some_and(|at| at < editable_since) {
            return Err(StoreError::Conflict {
                field: "recorded_at",
            });
        }
        let first = recorded_at.is_none();
        let mut q =
            QueryBuilder::<Db>::new("UPDATE services_visits SET state = 'recorded', visited_on = ");
        q.push_bind(record.visited_on)
            .push(", people_met = ")
            .push_bind(record.people_met.clone())
            .push(", recorded_at = ")
            .push_bind(recorded_at.unwrap_or(ctx.at))
            .push(" WHERE id = ")
            .push_bind(id.to_string());
        q.build().execute(&mut *tx).await.map_err(db)?;
        set_visit_staff(&mut tx, id, &record.staff).await?;
        let mut q = QueryBuilder::<Db>::new(
            "DELETE FROM services_visit_findings WHERE request_id IS NULL AND visit_id = ",
        );
        q.push_bind(id.to_string());
        q.build().execute(&mut *tx).await.map_err(db)?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT COALESCE(MAX(seq), 0) FROM services_visit_findings WHERE visit_id = ",
        );
        q.push_bind(id.to_string());
        let mut seq: i64 = q
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        for f in &record.findings {
            seq += 1;
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO services_visit_findings (id, visit_id, seq, category, text) VALUES (",
            );
            let mut v = q.separated(", ");
            v.push_bind(f.id.to_string())
                .push_bind(id.to_string())
                .push_bind(seq)
                .push_bind(f.category.clone())
                .push_bind(f.text.clone());
            q.push(")");
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(
                if first {
                    "visit.record"
                } else {
                    "visit.correct"
                },
                "visit",
                id.to_string(),
            )
            .with_detail(json!({
                "visited_on": record.visited_on,
                "staff": record.staff,
                "findings": record.findings.iter().map(|f| f.category.clone()).collect::<Vec<_>>(),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn convert_finding(
        &self,
        ctx: &AuditCtx,
        finding_id: Uuid,
        request: NewRequest,
    ) -> StoreResult<RequestRow> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT visit_id, request_id FROM services_visit_findings WHERE id = ",
        );
        q.push_bind(finding_id.to_string());
        let found: Option<(String, Option<String>)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let (visit_id, _) = found.ok_or(StoreError::NotFound)?;
        let visit_id = parse_uuid("services_visit_findings.visit_id", &visit_id)?;
        let (state, _) = lock_visit(&mut tx, visit_id).await?;
        if state != "recorded" {
            return Err(StoreError::Conflict { field: "state" });
        }
        let row = crate::requests::insert_request(&mut tx, ctx, &request).await?;
        let mut q = QueryBuilder::<Db>::new("UPDATE services_visit_findings SET request_id = ");
        q.push_bind(row.id.to_string())
            .push(", converted_at = ")
            .push_bind(ctx.at)
            .push(" WHERE request_id IS NULL AND id = ")
            .push_bind(finding_id.to_string());
        let done = q.build().execute(&mut *tx).await.map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict { field: "request" });
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("visit.convert", "visit", visit_id.to_string()).with_detail(json!({
                "finding_id": finding_id,
                "request_id": row.id,
                "request_number": row.number,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn visit(&self, id: Uuid) -> StoreResult<Option<VisitDetail>> {
        let mut tx = read(self).await?;
        let Some(visit) = fetch_visit(&mut tx, id).await? else {
            tx.commit().await.map_err(db)?;
            return Ok(None);
        };
        let staff = visit_staff(&mut tx, &[id]).await?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT f.id, f.visit_id, f.seq, f.category, f.text, f.request_id, \
             r.number AS request_number, f.converted_at FROM services_visit_findings f \
             LEFT JOIN services_requests r ON r.id = f.request_id WHERE f.visit_id = ",
        );
        q.push_bind(id.to_string()).push(" ORDER BY f.seq");
        let rows: Vec<FindingRowDb> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some(VisitDetail {
            visit,
            staff: staff.into_iter().map(|(_, s)| s).collect(),
            findings: rows
                .into_iter()
                .map(FindingRow::try_from)
                .collect::<StoreResult<_>>()?,
        }))
    }

    async fn list_visits(&self, query: &VisitQuery, page: Page) -> StoreResult<Paged<VisitRow>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM services_visits v JOIN enterprises e ON e.id = v.enterprise_id \
             WHERE 1 = 1",
        );
        push_visit_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new(format!(
            "SELECT {VISIT_COLUMNS} FROM services_visits v \
             JOIN enterprises e ON e.id = v.enterprise_id WHERE 1 = 1"
        ));
        push_visit_filters(&mut select, query);
        select
            .push(" ORDER BY COALESCE(v.visited_on, v.planned_on) DESC, v.number DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<VisitRowDb> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let mut items: Vec<VisitRow> = rows
            .into_iter()
            .map(VisitRow::try_from)
            .collect::<StoreResult<_>>()?;
        let ids: Vec<Uuid> = items.iter().map(|v| v.id).collect();
        let staff = visit_staff(&mut tx, &ids).await?;
        tx.commit().await.map_err(db)?;
        for v in &mut items {
            v.staff_names = names(staff.iter().filter(|(id, _)| *id == v.id).map(|(_, s)| s));
        }
        Ok(Paged {
            items,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn visit_of_request(&self, request_id: Uuid) -> StoreResult<Option<VisitSource>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT v.id, v.number, f.id FROM services_visit_findings f \
             JOIN services_visits v ON v.id = f.visit_id WHERE f.request_id = ",
        );
        q.push_bind(request_id.to_string());
        let mut tx = read(self).await?;
        let row: Option<(String, String, String)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.map(|(v, number, f)| {
            Ok(VisitSource {
                visit_id: parse_uuid("services_visits.id", &v)?,
                number,
                finding_id: parse_uuid("services_visit_findings.id", &f)?,
            })
        })
        .transpose()
    }

    async fn visit_coverage(
        &self,
        query: &CoverageQuery,
        page: Page,
    ) -> StoreResult<Paged<CoverageRow>> {
        let page = clamp(page);
        let inner = |q: &mut QueryBuilder<'_, Db>| {
            q.push(
                "SELECT e.id, e.name, e.credit_code, COUNT(v.id) AS visits, \
                 MAX(v.visited_on) AS last_visited_on FROM enterprises e \
                 LEFT JOIN services_visits v ON v.enterprise_id = e.id AND v.state = 'recorded' \
                 AND v.visited_on >= ",
            )
            .push_bind(query.from)
            .push(" AND v.visited_on < ")
            .push_bind(query.to)
            .push(" WHERE 1 = 1");
            push_enterprise_search(q, query.search.as_deref());
            q.push(" GROUP BY e.id, e.name, e.credit_code");
            match query.visited {
                Some(true) => {
                    q.push(" HAVING COUNT(v.id) > 0");
                }
                Some(false) => {
                    q.push(" HAVING COUNT(v.id) = 0");
                }
                None => {}
            }
        };
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM (");
        inner(&mut count);
        count.push(") t");
        let mut select = QueryBuilder::<Db>::new("");
        inner(&mut select);
        select
            .push(" ORDER BY e.name, e.id LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<(String, String, String, i64, Option<i64>)> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let mut items = rows
            .into_iter()
            .map(|(id, name, credit_code, visits, last)| {
                Ok(CoverageRow {
                    enterprise_id: parse_uuid("enterprises.id", &id)?,
                    name,
                    credit_code,
                    visits,
                    last_visited_on: last,
                    staff_names: String::new(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let visited: Vec<&CoverageRow> = items.iter().filter(|r| r.visits > 0).collect();
        if !visited.is_empty() {
            let mut q = QueryBuilder::<Db>::new(
                "SELECT DISTINCT v.enterprise_id, u.display_name FROM services_visits v \
                 JOIN services_visit_staff s ON s.visit_id = v.id JOIN users u ON u.id = s.user_id \
                 WHERE v.state = 'recorded' AND v.visited_on >= ",
            );
            q.push_bind(query.from)
                .push(" AND v.visited_on < ")
                .push_bind(query.to)
                .push(" AND v.enterprise_id IN (");
            let mut ids = q.separated(", ");
            for r in &visited {
                ids.push_bind(r.enterprise_id.to_string());
            }
            q.push(") ORDER BY u.display_name");
            let who: Vec<(String, String)> =
                q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
            for r in &mut items {
                let id = r.enterprise_id.to_string();
                r.staff_names = who
                    .iter()
                    .filter(|(e, _)| *e == id)
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join("、");
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn visit_stats(&self, from: i64, to: i64) -> StoreResult<VisitStats> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT v.enterprise_id, v.visited_on, \
             (SELECT COUNT(*) FROM services_visit_findings f WHERE f.visit_id = v.id), \
             (SELECT COUNT(*) FROM services_visit_findings f \
               WHERE f.visit_id = v.id AND f.request_id IS NOT NULL) \
             FROM services_visits v WHERE v.state = 'recorded' AND v.visited_on >= ",
        );
        q.push_bind(from)
            .push(" AND v.visited_on < ")
            .push_bind(to)
            .push(" ORDER BY v.visited_on");
        let mut tx = read(self).await?;
        let rows: Vec<(String, i64, i64, i64)> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut stats = VisitStats::default();
        let mut all = std::collections::BTreeSet::new();
        let mut months: std::collections::BTreeMap<
            String,
            (MonthStats, std::collections::BTreeSet<String>),
        > = std::collections::BTreeMap::new();
        for (enterprise, on, findings, converted) in rows {
            let d = yiwang_core::Timestamp::from_micros(on).shanghai_date();
            let month = format!("{:04}-{:02}", d.year(), u8::from(d.month()));
            stats.visits += 1;
            stats.findings += findings;
            stats.converted += converted;
            all.insert(enterprise.clone());
            let (m, seen) = months.entry(month.clone()).or_default();
            m.month = month;
            m.visits += 1;
            m.findings += findings;
            m.converted += converted;
            seen.insert(enterprise);
            m.enterprises = seen.len() as i64;
        }
        stats.enterprises = all.len() as i64;
        stats.by_month = months.into_values().map(|(m, _)| m).collect();
        Ok(stats)
    }

    async fn assign_enterprise_staff(
        &self,
        ctx: &AuditCtx,
        enterprise_id: Uuid,
        staff: Vec<Uuid>,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        if !enterprise_exists(&mut tx, enterprise_id).await? {
            return Err(StoreError::NotFound);
        }
        let mut q =
            QueryBuilder::<Db>::new("DELETE FROM services_enterprise_staff WHERE enterprise_id = ");
        q.push_bind(enterprise_id.to_string());
        q.build().execute(&mut *tx).await.map_err(db)?;
        let mut seen = std::collections::BTreeSet::new();
        for user in staff.iter().filter(|u| seen.insert(**u)) {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO services_enterprise_staff (enterprise_id, user_id, assigned_at) VALUES (",
            );
            q.push_bind(enterprise_id.to_string())
                .push(", ")
                .push_bind(user.to_string())
                .push(", ")
                .push_bind(ctx.at)
                .push(")");
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("enterprise.staff", "enterprise", enterprise_id.to_string())
                .with_detail(json!({ "staff": seen })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn enterprise_staff(&self, enterprise_id: Uuid) -> StoreResult<Vec<StaffContact>> {
        let mut tx = read(self).await?;
        let staff = assigned_staff(&mut tx, &[enterprise_id]).await?;
        tx.commit().await.map_err(db)?;
        Ok(staff.into_iter().map(|(_, s)| s).collect())
    }

    async fn served_enterprises(
        &self,
        search: Option<&str>,
        page: Page,
    ) -> StoreResult<Paged<ServedEnterprise>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM enterprises e WHERE 1 = 1");
        push_enterprise_search(&mut count, search);
        let mut select = QueryBuilder::<Db>::new(
            "SELECT e.id, e.name, e.credit_code FROM enterprises e WHERE 1 = 1",
        );
        push_enterprise_search(&mut select, search);
        select
            .push(" ORDER BY e.name, e.id LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<(String, String, String)> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let mut items = rows
            .into_iter()
            .map(|(id, name, credit_code)| {
                Ok(ServedEnterprise {
                    id: parse_uuid("enterprises.id", &id)?,
                    name,
                    credit_code,
                    staff: Vec::new(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let ids: Vec<Uuid> = items.iter().map(|e| e.id).collect();
        let staff = assigned_staff(&mut tx, &ids).await?;
        tx.commit().await.map_err(db)?;
        for e in &mut items {
            e.staff = staff
                .iter()
                .filter(|(id, _)| *id == e.id)
                .map(|(_, s)| s.clone())
                .collect();
        }
        Ok(Paged {
            items,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }
}
