// The RequestStore implementation shared by both backends: `include!`d by
// `store-sqlite/src/requests.rs` and `store-postgres/src/requests.rs` after each
// has named its `Db`, `Backend`, `Tx` and `read`, so the statements are
// written once and compiled for each backend.

/// `QY` and the Beijing date of `at`: `QY20261126`.
fn number_prefix(at: i64) -> String {
    let day = yiwang_core::Timestamp::from_micros(at).shanghai_date();
    format!(
        "QY{:04}{:02}{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// Locks the request's row for the rest of the transaction (a no-op
/// update: PostgreSQL holds the row lock, SQLite has one writer anyway)
/// and returns its state; `NotFound` for an unknown request.
async fn lock_state(tx: &mut Tx, id: Uuid) -> StoreResult<String> {
    let mut q = QueryBuilder::<Db>::new("UPDATE services_requests SET state = state WHERE id = ");
    q.push_bind(id.to_string()).push(" RETURNING state");
    let state: Option<String> = q
        .build_query_scalar()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    state.ok_or(StoreError::NotFound)
}

async fn insert_part(tx: &mut Tx, request_id: Uuid, part: &NewPart) -> StoreResult<()> {
    let mut q = QueryBuilder::<Db>::new(
        "INSERT INTO services_request_parts (request_id, department, assigned_at, due_at) VALUES (",
    );
    q.push_bind(request_id.to_string())
        .push(", ")
        .push_bind(part.department.clone())
        .push(", ")
        .push_bind(part.assigned_at)
        .push(", ")
        .push_bind(part.due_at)
        .push(")");
    q.build().execute(&mut **tx).await.map_err(db)?;
    Ok(())
}

async fn fetch_request(tx: &mut Tx, id: Uuid) -> StoreResult<Option<RequestRow>> {
    let mut q = QueryBuilder::<Db>::new(format!(
        "SELECT {REQUEST_COLUMNS} FROM services_requests r WHERE r.id = "
    ));
    q.push_bind(id.to_string());
    let row: Option<RequestRowDb> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(RequestRow::try_from).transpose()
}

/// Appends the query's filters (after a `WHERE`).
fn push_filters(q: &mut QueryBuilder<'_, Db>, query: &RequestQuery) {
    if let Some(e) = query.enterprise_id {
        q.push(" AND r.enterprise_id = ").push_bind(e.to_string());
    }
    if let Some(d) = &query.department {
        q.push(" AND EXISTS (SELECT 1 FROM services_request_parts p WHERE p.request_id = r.id AND p.department = ")
            .push_bind(d.clone());
        if query.pending_only {
            q.push(" AND p.answered_at IS NULL");
        }
        q.push(")");
    } else if query.pending_only {
        q.push(" AND r.state = 'open'");
    }
    if let Some(s) = &query.state {
        q.push(" AND r.state = ").push_bind(s.clone());
    }
    if let Some(c) = &query.category {
        q.push(" AND r.category = ").push_bind(c.clone());
    }
    if let Some(text) = &query.search {
        let like = format!("%{}%", escape_like(&text.to_lowercase()));
        q.push(" AND (LOWER(r.number) LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(r.title) LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(r.enterprise_name) LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
    if query.untaken_only {
        q.push(" AND r.taken_by_id IS NULL");
    }
}

/// Numbers and stores a request with its parts and its `request.submit`
/// record, in the caller's transaction (a visit's finding turned into a
/// request is stored with its link in one).
pub(crate) async fn insert_request(
    tx: &mut Tx,
    ctx: &AuditCtx,
    request: &NewRequest,
) -> StoreResult<RequestRow> {
    let prefix = number_prefix(request.submitted_at);
    let mut counter =
        QueryBuilder::<Db>::new("INSERT INTO services_request_numbers (prefix, last) VALUES (");
    counter.push_bind(prefix.clone()).push(
        ", 1) ON CONFLICT (prefix) DO UPDATE SET last = services_request_numbers.last + 1 \
         RETURNING last",
    );
    let n: i64 = counter
        .build_query_scalar()
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    let number = format!("{prefix}-{n:04}");
    let mut q = QueryBuilder::<Db>::new(
        "INSERT INTO services_requests (id, number, enterprise_id, enterprise_name, \
         submitter_id, category, title, content, contact_name, contact_phone, share_contact, \
         state, submitted_at) VALUES (",
    );
    let mut v = q.separated(", ");
    v.push_bind(request.id.to_string())
        .push_bind(number.clone())
        .push_bind(request.enterprise_id.to_string())
        .push_bind(request.enterprise_name.clone())
        .push_bind(request.submitter_id.to_string())
        .push_bind(request.category.clone())
        .push_bind(request.title.clone())
        .push_bind(request.content.clone())
        .push_bind(request.contact_name.clone())
        .push_bind(request.contact_phone.clone())
        .push_bind(request.share_contact)
        .push_bind("open")
        .push_bind(request.submitted_at);
    q.push(")");
    q.build().execute(&mut **tx).await.map_err(db)?;
    for part in &request.parts {
        insert_part(tx, request.id, part).await?;
    }
    append_audit(
        tx,
        ctx,
        NewAudit::new("request.submit", "request", request.id.to_string()).with_detail(json!({
            "number": number,
            "enterprise_id": request.enterprise_id,
            "category": request.category,
            "departments": request.parts.iter().map(|p| p.department.clone()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    fetch_request(tx, request.id)
        .await?
        .ok_or(StoreError::NotFound)
}

#[async_trait]
impl RequestStore for Backend {
    async fn create_request(&self, ctx: &AuditCtx, request: NewRequest) -> StoreResult<RequestRow> {
        let mut tx = self.write().await?;
        let row = insert_request(&mut tx, ctx, &request).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn request(&self, id: Uuid) -> StoreResult<Option<RequestDetail>> {
        let mut tx = read(self).await?;
        let Some(request) = fetch_request(&mut tx, id).await? else {
            tx.commit().await.map_err(db)?;
            return Ok(None);
        };
        let mut q = QueryBuilder::<Db>::new(
            "SELECT request_id, department, assigned_at, due_at, reply, replied_by_id, \
             replied_by_name, answered_at FROM services_request_parts WHERE request_id = ",
        );
        q.push_bind(id.to_string())
            .push(" ORDER BY assigned_at, department");
        let rows: Vec<PartRowDb> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some(RequestDetail {
            request,
            parts: rows
                .into_iter()
                .map(PartRow::try_from)
                .collect::<StoreResult<_>>()?,
        }))
    }

    async fn list_requests(
        &self,
        query: &RequestQuery,
        page: Page,
    ) -> StoreResult<Paged<RequestRow>> {
        let mut count =
            QueryBuilder::<Db>::new("SELECT COUNT(*) FROM services_requests r WHERE 1 = 1");
        push_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new(format!(
            "SELECT {REQUEST_COLUMNS} FROM services_requests r WHERE 1 = 1"
        ));
        push_filters(&mut select, query);
        select
            .push(" ORDER BY r.submitted_at DESC, r.id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<RequestRowDb> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(RequestRow::try_from)
                .collect::<StoreResult<_>>()?,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn add_request_part(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        part: NewPart,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        if lock_state(&mut tx, request_id).await? != "open" {
            return Err(StoreError::Conflict { field: "state" });
        }
        let mut q = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM services_request_parts WHERE request_id = ",
        );
        q.push_bind(request_id.to_string())
            .push(" AND department = ")
            .push_bind(part.department.clone());
        let exists: i64 = q
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        if exists > 0 {
            return Err(StoreError::Conflict {
                field: "department",
            });
        }
        insert_part(&mut tx, request_id, &part).await?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("request.route", "request", request_id.to_string()).with_detail(json!({
                "department": part.department,
                "due_at": part.due_at,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn reply_request_part(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        department: &str,
        replier_name: &str,
        reply: &str,
    ) -> StoreResult<ReplyOutcome> {
        let mut tx = self.write().await?;
        lock_state(&mut tx, request_id).await?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT answered_at FROM services_request_parts WHERE request_id = ",
        );
        q.push_bind(request_id.to_string())
            .push(" AND department = ")
            .push_bind(department.to_owned());
        let found: Option<(Option<i64>,)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        match found {
            None => return Ok(ReplyOutcome::NotRouted),
            Some((Some(_),)) => return Ok(ReplyOutcome::AlreadyAnswered),
            Some((None,)) => {}
        }
        let mut q = QueryBuilder::<Db>::new("UPDATE services_request_parts SET reply = ");
        q.push_bind(reply.to_owned())
            .push(", replied_by_id = ")
            .push_bind(ctx.actor_id.map(|u| u.to_string()))
            .push(", replied_by_name = ")
            .push_bind(replier_name.to_owned())
            .push(", answered_at = ")
            .push_bind(ctx.at)
            .push(" WHERE request_id = ")
            .push_bind(request_id.to_string())
            .push(" AND department = ")
            .push_bind(department.to_owned());
        q.build().execute(&mut *tx).await.map_err(db)?;
        let mut q = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM services_request_parts WHERE answered_at IS NULL AND request_id = ",
        );
        q.push_bind(request_id.to_string());
        let left: i64 = q
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let all_answered = left == 0;
        if all_answered {
            let mut q = QueryBuilder::<Db>::new(
                "UPDATE services_requests SET state = 'answered', answered_at = ",
            );
            q.push_bind(ctx.at)
                .push(" WHERE state = 'open' AND id = ")
                .push_bind(request_id.to_string());
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("request.reply", "request", request_id.to_string()).with_detail(json!({
                "department": department,
                "all_answered": all_answered,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(ReplyOutcome::Stored { all_answered })
    }

    async fn rate_request(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        rating: u8,
        comment: &str,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        if lock_state(&mut tx, request_id).await? != "answered" {
            return Err(StoreError::Conflict { field: "state" });
        }
        let mut q =
            QueryBuilder::<Db>::new("UPDATE services_requests SET state = 'rated', rating = ");
        q.push_bind(i64::from(rating))
            .push(", rating_comment = ")
            .push_bind(comment.to_owned())
            .push(", rated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(request_id.to_string());
        q.build().execute(&mut *tx).await.map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("request.rate", "request", request_id.to_string())
                .with_detail(json!({ "rating": rating })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn take_request(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        taker_name: &str,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        if lock_state(&mut tx, request_id).await? != "open" {
            return Err(StoreError::Conflict { field: "state" });
        }
        let mut q = QueryBuilder::<Db>::new("UPDATE services_requests SET taken_by_id = ");
        q.push_bind(ctx.actor_id.map(|u| u.to_string()))
            .push(", taken_by_name = ")
            .push_bind(taker_name.to_owned())
            .push(", taken_at = ")
            .push_bind(ctx.at)
            .push(" WHERE taken_by_id IS NULL AND id = ")
            .push_bind(request_id.to_string());
        let done = q.build().execute(&mut *tx).await.map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict { field: "taken_by" });
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("request.take", "request", request_id.to_string())
                .with_detail(json!({ "taker": taker_name })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn request_parts(&self, query: &PartQuery) -> StoreResult<Vec<PartLine>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT p.request_id, r.number, r.title, r.enterprise_name, r.category, p.department, \
             p.assigned_at, p.due_at, p.answered_at, r.rating \
             FROM services_request_parts p JOIN services_requests r ON r.id = p.request_id \
             WHERE 1 = 1",
        );
        if let Some(from) = query.assigned_from {
            q.push(" AND p.assigned_at >= ").push_bind(from);
        }
        if let Some(to) = query.assigned_to {
            q.push(" AND p.assigned_at < ").push_bind(to);
        }
        if let Some(before) = query.pending_due_before {
            q.push(" AND p.answered_at IS NULL AND p.due_at < ")
                .push_bind(before);
        }
        if let Some(d) = &query.department {
            q.push(" AND p.department = ").push_bind(d.clone());
        }
        q.push(" ORDER BY p.due_at, r.number, p.department");
        let mut tx = read(self).await?;
        let rows: Vec<PartLineDb> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(PartLine::try_from).collect()
    }

    async fn open_requests_by_category(&self) -> StoreResult<Vec<(String, i64)>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT category, COUNT(*) FROM services_requests WHERE state = 'open' \
             GROUP BY category ORDER BY category",
        );
        let mut tx = read(self).await?;
        let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows)
    }

    async fn request_facts(&self, from: i64, to: i64) -> StoreResult<Vec<RequestFact>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT submitted_at, state, category FROM services_requests WHERE submitted_at >= ",
        );
        q.push_bind(from)
            .push(" AND submitted_at < ")
            .push_bind(to)
            .push(" ORDER BY submitted_at");
        let mut tx = read(self).await?;
        let rows: Vec<RequestFact> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows)
    }
}
