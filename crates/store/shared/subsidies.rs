// The SubsidyStore implementation shared by both backends: `include!`d by
// `store-sqlite/src/subsidies.rs` and `store-postgres/src/subsidies.rs` after each
// has named its `Db`, `Backend`, `Tx` and `read`, so the statements are
// written once and compiled for each backend.

/// A unique violation as a conflict on `field`: each statement that maps
/// with it can break one unique rule only.
fn unique_as(field: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { field },
        _ => db(e),
    }
}

async fn apprentice_in(tx: &mut Tx, id: Uuid) -> StoreResult<Option<Apprentice>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::APPRENTICE_COLUMNS)
        .push(sql::APPRENTICE_FROM)
        .push(" AND a.id = ")
        .push_bind(id.to_string());
    let row: Option<ApprenticeRow> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(Apprentice::try_from).transpose()
}

async fn claim_in(tx: &mut Tx, id: Uuid) -> StoreResult<Option<Claim>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::CLAIM_COLUMNS)
        .push(sql::CLAIM_FROM)
        .push(" AND c.id = ")
        .push_bind(id.to_string());
    let row: Option<ClaimRow> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(Claim::try_from).transpose()
}

fn push_apprentice_filters(q: &mut QueryBuilder<'_, Db>, query: &ApprenticeQuery) {
    if let Some(e) = query.enterprise_id {
        q.push(" AND a.enterprise_id = ").push_bind(e.to_string());
    }
    if let Some(text) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND (a.name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR a.certificate_no LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\' OR a.id_number = ")
            .push_bind(text.to_uppercase())
            .push(")");
    }
}

fn push_claim_filters(q: &mut QueryBuilder<'_, Db>, query: &ClaimQuery) {
    if let Some(e) = query.enterprise_id {
        q.push(" AND c.enterprise_id = ").push_bind(e.to_string());
    }
    if let Some(year) = query.year {
        q.push(" AND c.year = ").push_bind(i64::from(year));
    }
    if let Some(status) = &query.status {
        q.push(" AND c.status = ").push_bind(status.clone());
    }
    if let Some(text) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND (e.name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR e.credit_code LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

#[async_trait]
impl SubsidyStore for Backend {
    async fn register_apprentice(
        &self,
        ctx: &AuditCtx,
        a: NewApprentice,
    ) -> StoreResult<Apprentice> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new("SELECT id FROM enterprises WHERE id = ");
        q.push_bind(a.enterprise_id.to_string());
        let found: Option<(String,)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound);
        }
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO subsidy_apprentices (id, enterprise_id, name, id_number, intake, level, \
             certificate_no, certificate_date, start_date, created_at, updated_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(a.id.to_string())
            .push_bind(a.enterprise_id.to_string())
            .push_bind(a.name.clone())
            .push_bind(a.id_number.clone())
            .push_bind(a.intake.clone())
            .push_bind(a.level.clone())
            .push_bind(a.certificate_no.clone())
            .push_bind(a.certificate_date)
            .push_bind(a.start_date)
            .push_bind(ctx.at)
            .push_bind(ctx.at);
        q.push(")");
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(unique_as("id_number"))?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("apprentice.register", "apprentice", a.id.to_string()).with_detail(
                json!({
                    "enterprise_id": a.enterprise_id,
                    "intake": a.intake,
                    "level": a.level,
                    "certificate": !a.certificate_no.is_empty(),
                }),
            ),
        )
        .await?;
        let row = apprentice_in(&mut tx, a.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn update_certificate(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        c: Certificate,
    ) -> StoreResult<Apprentice> {
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new("UPDATE subsidy_apprentices SET level = ");
        q.push_bind(c.level.clone())
            .push(", certificate_no = ")
            .push_bind(c.certificate_no.clone())
            .push(", certificate_date = ")
            .push_bind(c.certificate_date)
            .push(", updated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(id.to_string());
        let done = q.build().execute(&mut *tx).await.map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("apprentice.certificate", "apprentice", id.to_string()).with_detail(
                json!({
                    "level": c.level,
                    "certificate": !c.certificate_no.is_empty(),
                    "certificate_date": c.certificate_date,
                }),
            ),
        )
        .await?;
        let row = apprentice_in(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn apprentice(&self, id: Uuid) -> StoreResult<Option<Apprentice>> {
        let mut tx = read(self).await?;
        let row = apprentice_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn apprentices(
        &self,
        query: &ApprenticeQuery,
        page: Page,
    ) -> StoreResult<Paged<Apprentice>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        count.push(sql::APPRENTICE_FROM);
        push_apprentice_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new("SELECT ");
        select
            .push(sql::APPRENTICE_COLUMNS)
            .push(sql::APPRENTICE_FROM);
        push_apprentice_filters(&mut select, query);
        select
            .push(" ORDER BY e.name, a.name, a.id LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let (total,): (i64,) = count
            .build_query_as()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<ApprenticeRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(Apprentice::try_from)
                .collect::<StoreResult<_>>()?,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn claimed_people(
        &self,
        year: i32,
        id_numbers: &[String],
        except: Option<Uuid>,
    ) -> StoreResult<Vec<String>> {
        if id_numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Db>::new(
            "SELECT DISTINCT id_number FROM subsidy_claim_lines WHERE status <> 'refused' AND year = ",
        );
        q.push_bind(i64::from(year)).push(" AND id_number IN (");
        let mut list = q.separated(", ");
        for n in id_numbers {
            list.push_bind(n.clone());
        }
        q.push(")");
        if let Some(claim) = except {
            q.push(" AND claim_id <> ").push_bind(claim.to_string());
        }
        q.push(" ORDER BY id_number");
        let mut tx = read(self).await?;
        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }

    async fn submit_claim(&self, ctx: &AuditCtx, claim: NewClaim) -> StoreResult<Claim> {
        if claim.lines.is_empty() {
            return Err(StoreError::Conflict { field: "lines" });
        }
        let mut tx = self.write().await?;
        let mut people = Vec::with_capacity(claim.lines.len());
        for line in &claim.lines {
            let a = apprentice_in(&mut tx, line.apprentice_id)
                .await?
                .filter(|a| a.enterprise_id == claim.enterprise_id)
                .ok_or(StoreError::NotFound)?;
            people.push(a.id_number);
        }
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO subsidy_claims (id, enterprise_id, year, status, submitted_at, \
             submitted_by, decided_at) VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(claim.id.to_string())
            .push_bind(claim.enterprise_id.to_string())
            .push_bind(i64::from(claim.year))
            .push_bind("submitted")
            .push_bind(ctx.at)
            .push_bind(ctx.actor_name.clone())
            .push_bind(None::<i64>);
        q.push(")");
        q.build().execute(&mut *tx).await.map_err(db)?;
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO subsidy_claim_lines (claim_id, apprentice_id, id_number, year, level, \
             amount_fen, status, reason, decided_at, decided_by) ",
        );
        q.push_values(
            claim.lines.iter().zip(&people),
            |mut row, (line, id_number)| {
                row.push_bind(claim.id.to_string())
                    .push_bind(line.apprentice_id.to_string())
                    .push_bind(id_number.clone())
                    .push_bind(i64::from(claim.year))
                    .push_bind(line.level.clone())
                    .push_bind(line.amount_fen)
                    .push_bind("pending")
                    .push_bind("")
                    .push_bind(None::<i64>)
                    .push_bind("");
            },
        );
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(unique_as("person_year"))?;
        let total: i64 = claim.lines.iter().map(|l| l.amount_fen).sum();
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("subsidy.claim", "subsidy_claim", claim.id.to_string()).with_detail(
                json!({
                    "enterprise_id": claim.enterprise_id,
                    "year": claim.year,
                    "apprentices": claim.lines.iter().map(|l| l.apprentice_id).collect::<Vec<_>>(),
                    "claimed_fen": total,
                }),
            ),
        )
        .await?;
        let row = claim_in(&mut tx, claim.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn claim(&self, id: Uuid) -> StoreResult<Option<(Claim, Vec<ClaimLine>)>> {
        let mut tx = read(self).await?;
        let Some(claim) = claim_in(&mut tx, id).await? else {
            tx.commit().await.map_err(db)?;
            return Ok(None);
        };
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(sql::LINE_COLUMNS)
            .push(" WHERE l.claim_id = ")
            .push_bind(id.to_string())
            .push(" ORDER BY a.name, l.apprentice_id");
        let rows: Vec<ClaimLineRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let lines = rows
            .into_iter()
            .map(ClaimLine::try_from)
            .collect::<StoreResult<_>>()?;
        Ok(Some((claim, lines)))
    }

    async fn claims(&self, query: &ClaimQuery, page: Page) -> StoreResult<Paged<Claim>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        count.push(sql::CLAIM_FROM);
        push_claim_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new("SELECT ");
        select.push(sql::CLAIM_COLUMNS).push(sql::CLAIM_FROM);
        push_claim_filters(&mut select, query);
        select
            .push(" ORDER BY c.submitted_at DESC, c.id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let (total,): (i64,) = count
            .build_query_as()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<ClaimRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(Claim::try_from)
                .collect::<StoreResult<_>>()?,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn decide_line(&self, ctx: &AuditCtx, d: LineDecision) -> StoreResult<Claim> {
        if !matches!(d.status.as_str(), "approved" | "refused")
            || (d.status == "refused" && d.reason.trim().is_empty())
        {
            return Err(StoreError::Conflict { field: "reason" });
        }
        let mut tx = self.write().await?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT status, amount_fen FROM subsidy_claim_lines WHERE claim_id = ",
        );
        q.push_bind(d.claim_id.to_string())
            .push(" AND apprentice_id = ")
            .push_bind(d.apprentice_id.to_string());
        let line: Option<(String, i64)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some((status, amount)) = line else {
            return Err(StoreError::NotFound);
        };
        if status != "pending" {
            return Err(StoreError::Conflict { field: "status" });
        }
        let mut q = QueryBuilder::<Db>::new("UPDATE subsidy_claim_lines SET status = ");
        q.push_bind(d.status.clone())
            .push(", reason = ")
            .push_bind(d.reason.trim().to_owned())
            .push(", decided_at = ")
            .push_bind(ctx.at)
            .push(", decided_by = ")
            .push_bind(ctx.actor_name.clone())
            .push(" WHERE claim_id = ")
            .push_bind(d.claim_id.to_string())
            .push(" AND apprentice_id = ")
            .push_bind(d.apprentice_id.to_string())
            .push(" AND status = 'pending'");
        q.build().execute(&mut *tx).await.map_err(db)?;
        let mut q =
            QueryBuilder::<Db>::new("UPDATE subsidy_claims SET status = 'decided', decided_at = ");
        q.push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(d.claim_id.to_string())
            .push(
                " AND NOT EXISTS (SELECT 1 FROM subsidy_claim_lines l \
                 WHERE l.claim_id = subsidy_claims.id AND l.status = 'pending')",
            );
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("subsidy.decide", "subsidy_claim", d.claim_id.to_string()).with_detail(
                json!({
                    "apprentice_id": d.apprentice_id,
                    "status": d.status,
                    "reason": d.reason.trim(),
                    "amount_fen": amount,
                }),
            ),
        )
        .await?;
        let claim = claim_in(&mut tx, d.claim_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(claim)
    }

    async fn payment_list(&self, year: i32) -> StoreResult<Vec<PaymentLine>> {
        let mut q = QueryBuilder::<Db>::new(sql::PAYMENTS);
        q.push_bind(i64::from(year)).push(sql::PAYMENTS_ORDER);
        let mut tx = read(self).await?;
        let rows: Vec<PaymentRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(PaymentLine::try_from).collect()
    }

    async fn subsidy_facts(&self, year: i32) -> StoreResult<Vec<SubsidyFact>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT c.submitted_at, l.level, l.status, l.amount_fen \
             FROM subsidy_claim_lines l JOIN subsidy_claims c ON c.id = l.claim_id \
             WHERE l.year = ",
        );
        q.push_bind(i64::from(year))
            .push(" ORDER BY c.submitted_at");
        let mut tx = read(self).await?;
        let rows: Vec<SubsidyFact> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows)
    }
}
