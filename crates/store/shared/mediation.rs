// The MediationStore implementation shared by both backends: `include!`d by
// `store-sqlite/src/mediation.rs` and `store-postgres/src/mediation.rs` after
// each has named its `Db`, `Backend`, `Tx` and `read`, so the statements are
// written once and compiled for each backend.

/// `TJ` and the Beijing date of `at`: `TJ20261207`.
fn mediation_prefix(at: i64) -> String {
    let day = yiwang_core::Timestamp::from_micros(at).shanghai_date();
    format!(
        "TJ{:04}{:02}{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// Locks the case's row for the rest of the transaction (a no-op update:
/// PostgreSQL holds the row lock, SQLite has one writer anyway) and returns
/// its state; `NotFound` for an unknown case.
async fn lock_mediation(tx: &mut Tx, id: Uuid) -> StoreResult<String> {
    let mut q = QueryBuilder::<Db>::new("UPDATE mediation_cases SET state = state WHERE id = ");
    q.push_bind(id.to_string()).push(" RETURNING state");
    let state: Option<String> = q
        .build_query_scalar()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    state.ok_or(StoreError::NotFound)
}

async fn fetch_mediation(tx: &mut Tx, id: Uuid) -> StoreResult<Option<Mediation>> {
    let mut q = QueryBuilder::<Db>::new("SELECT ");
    q.push(sql::COLUMNS)
        .push(sql::FROM)
        .push(" AND m.id = ")
        .push_bind(id.to_string());
    let row: Option<MediationRow> = q
        .build_query_as()
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    row.map(Mediation::try_from).transpose()
}

/// Adds an event as the next of its case and returns it.
#[allow(clippy::too_many_arguments)]
async fn insert_event(
    tx: &mut Tx,
    ctx: &AuditCtx,
    case_id: Uuid,
    kind: &str,
    side: &str,
    actor_name: &str,
    text: &str,
    meeting: Option<(i64, String, String)>,
    document: Option<(Uuid, String)>,
) -> StoreResult<MediationEvent> {
    let mut q = QueryBuilder::<Db>::new(
        "SELECT COALESCE(MAX(seq), 0) FROM mediation_events WHERE case_id = ",
    );
    q.push_bind(case_id.to_string());
    let last: i64 = q
        .build_query_scalar()
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    let (meeting_at, meeting_mode, meeting_place) = match meeting {
        Some((at, mode, place)) => (Some(at), Some(mode), place),
        None => (None, None, String::new()),
    };
    let mut q = QueryBuilder::<Db>::new(
        "INSERT INTO mediation_events (case_id, seq, at, kind, side, actor_id, actor_name, text, \
         meeting_at, meeting_mode, meeting_place, document_id) VALUES (",
    );
    let mut v = q.separated(", ");
    v.push_bind(case_id.to_string())
        .push_bind(last + 1)
        .push_bind(ctx.at)
        .push_bind(kind.to_owned())
        .push_bind(side.to_owned())
        .push_bind(ctx.actor_id.map(|u| u.to_string()))
        .push_bind(actor_name.to_owned())
        .push_bind(text.to_owned())
        .push_bind(meeting_at)
        .push_bind(meeting_mode.clone())
        .push_bind(meeting_place.clone())
        .push_bind(document.as_ref().map(|(id, _)| id.to_string()));
    q.push(")");
    q.build().execute(&mut **tx).await.map_err(db)?;
    Ok(MediationEvent {
        case_id,
        seq: last + 1,
        at: ctx.at,
        kind: kind.to_owned(),
        side: side.to_owned(),
        actor_id: ctx.actor_id,
        actor_name: actor_name.to_owned(),
        text: text.to_owned(),
        meeting_at,
        meeting_mode,
        meeting_place,
        document_id: document.as_ref().map(|(id, _)| *id),
        document_name: document.map(|(_, name)| name).unwrap_or_default(),
    })
}

/// Appends the query's filters (after a `WHERE`).
fn push_mediation_filters(q: &mut QueryBuilder<'_, Db>, query: &MediationQuery) {
    if let Some(w) = query.worker_user_id {
        q.push(" AND m.worker_user_id = ").push_bind(w.to_string());
    }
    if let Some(e) = query.enterprise_id {
        q.push(" AND m.enterprise_id = ").push_bind(e.to_string());
    }
    if let Some(s) = &query.state {
        q.push(" AND m.state = ").push_bind(s.clone());
    }
    if let Some(k) = &query.kind {
        q.push(" AND m.kind = ").push_bind(k.clone());
    }
    if let Some(at) = query.overdue_at {
        q.push(" AND m.state = 'mediating' AND m.due_at <= ")
            .push_bind(at);
    }
    if let Some(text) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let like = format!("%{}%", escape_like(&text.to_lowercase()));
        q.push(" AND (LOWER(m.number) LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR m.worker_name LIKE ")
            .push_bind(like.clone())
            .push(" ESCAPE '\\' OR LOWER(m.enterprise_name) LIKE ")
            .push_bind(like)
            .push(" ESCAPE '\\')");
    }
}

#[async_trait]
impl MediationStore for Backend {
    async fn submit_mediation(&self, ctx: &AuditCtx, case: NewMediation) -> StoreResult<Mediation> {
        let mut tx = self.write().await?;
        let mut enterprise_id = case.enterprise_id;
        if enterprise_id.is_none() {
            if let Some(code) = &case.enterprise_code {
                let mut q =
                    QueryBuilder::<Db>::new("SELECT id FROM enterprises WHERE credit_code = ");
                q.push_bind(code.clone());
                let found: Option<String> = q
                    .build_query_scalar()
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
                enterprise_id = found
                    .map(|id| yiwang_store::sql_rows::parse_uuid("enterprises.id", &id))
                    .transpose()?;
            }
        }
        let prefix = mediation_prefix(ctx.at);
        let mut counter =
            QueryBuilder::<Db>::new("INSERT INTO mediation_numbers (prefix, last) VALUES (");
        counter.push_bind(prefix.clone()).push(
            ", 1) ON CONFLICT (prefix) DO UPDATE SET last = mediation_numbers.last + 1 \
             RETURNING last",
        );
        let n: i64 = counter
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let number = format!("{prefix}-{n:04}");
        let mut q = QueryBuilder::<Db>::new(
            "INSERT INTO mediation_cases (id, number, applicant_side, applicant_id, \
             worker_user_id, worker_name, worker_phone, enterprise_id, enterprise_name, \
             enterprise_code, kind, facts, claims, amount_claimed_fen, state, submitted_at) \
             VALUES (",
        );
        let mut v = q.separated(", ");
        v.push_bind(case.id.to_string())
            .push_bind(number.clone())
            .push_bind(case.applicant_side.clone())
            .push_bind(case.applicant_id.to_string())
            .push_bind(case.worker_user_id.map(|u| u.to_string()))
            .push_bind(case.worker_name.clone())
            .push_bind(case.worker_phone.clone())
            .push_bind(enterprise_id.map(|e| e.to_string()))
            .push_bind(case.enterprise_name.clone())
            .push_bind(case.enterprise_code.clone())
            .push_bind(case.kind.clone())
            .push_bind(case.facts.clone())
            .push_bind(case.claims.clone())
            .push_bind(case.amount_claimed_fen)
            .push_bind("submitted")
            .push_bind(ctx.at);
        q.push(")");
        q.build().execute(&mut *tx).await.map_err(unique_or_db)?;
        insert_event(
            &mut tx,
            ctx,
            case.id,
            "submitted",
            &case.applicant_side,
            &case.applicant_name,
            "",
            None,
            None,
        )
        .await?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("mediation.submit", "mediation", case.id.to_string()).with_detail(
                json!({
                    "number": number,
                    "applicant_side": case.applicant_side,
                    "enterprise_id": enterprise_id,
                    "kind": case.kind,
                    "amount_claimed_fen": case.amount_claimed_fen,
                }),
            ),
        )
        .await?;
        let stored = fetch_mediation(&mut tx, case.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(stored)
    }

    async fn mediation(&self, id: Uuid) -> StoreResult<Option<Mediation>> {
        let mut tx = read(self).await?;
        let found = fetch_mediation(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(found)
    }

    async fn mediation_events(&self, id: Uuid) -> StoreResult<Vec<MediationEvent>> {
        let mut q = QueryBuilder::<Db>::new(sql::EVENTS);
        q.push_bind(id.to_string()).push(" ORDER BY e.seq");
        let mut tx = read(self).await?;
        let rows: Vec<EventRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(MediationEvent::try_from).collect()
    }

    async fn mediations(
        &self,
        query: &MediationQuery,
        page: Page,
    ) -> StoreResult<Paged<Mediation>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        count.push(sql::FROM);
        push_mediation_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new("SELECT ");
        select.push(sql::COLUMNS).push(sql::FROM);
        push_mediation_filters(&mut select, query);
        select
            .push(sql::ORDER)
            .push(" LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let mut tx = read(self).await?;
        let (total,): (i64,) = count
            .build_query_as()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let rows: Vec<MediationRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(Mediation::try_from)
                .collect::<StoreResult<_>>()?,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn change_mediation(
        &self,
        ctx: &AuditCtx,
        change: MediationChange,
    ) -> StoreResult<MediationEvent> {
        let mut tx = self.write().await?;
        let state = lock_mediation(&mut tx, change.case_id).await?;
        if !change.from.contains(&state) {
            return Err(StoreError::Conflict { field: "state" });
        }
        let id = change.case_id.to_string();
        let (event_kind, action, detail, meeting, document) = match &change.kind {
            ChangeKind::Accept { due_at } => {
                let mut q = QueryBuilder::<Db>::new("UPDATE mediation_cases SET state = ");
                q.push_bind(change.to.clone())
                    .push(", mediator_id = ")
                    .push_bind(ctx.actor_id.map(|u| u.to_string()))
                    .push(", mediator_name = ")
                    .push_bind(change.actor_name.clone())
                    .push(", accepted_at = ")
                    .push_bind(ctx.at)
                    .push(", due_at = ")
                    .push_bind(*due_at)
                    .push(" WHERE id = ")
                    .push_bind(id.clone());
                q.build().execute(&mut *tx).await.map_err(db)?;
                (
                    "accepted",
                    "mediation.accept",
                    json!({ "due_at": due_at }),
                    None,
                    None,
                )
            }
            ChangeKind::Refuse => {
                let mut q = QueryBuilder::<Db>::new("UPDATE mediation_cases SET state = ");
                q.push_bind(change.to.clone())
                    .push(", mediator_id = ")
                    .push_bind(ctx.actor_id.map(|u| u.to_string()))
                    .push(", mediator_name = ")
                    .push_bind(change.actor_name.clone())
                    .push(", refusal_reason = ")
                    .push_bind(change.text.clone())
                    .push(", closed_at = ")
                    .push_bind(ctx.at)
                    .push(" WHERE id = ")
                    .push_bind(id.clone());
                q.build().execute(&mut *tx).await.map_err(db)?;
                ("refused", "mediation.refuse", json!({}), None, None)
            }
            ChangeKind::Message => (
                "message",
                "mediation.message",
                json!({ "side": change.side, "chars": change.text.chars().count() }),
                None,
                None,
            ),
            ChangeKind::Meeting { at, mode, place } => (
                "meeting",
                "mediation.meeting",
                json!({ "meeting_at": at, "mode": mode }),
                Some((*at, mode.clone(), place.clone())),
                None,
            ),
            ChangeKind::Document {
                id: doc_id,
                name,
                content_type,
                bytes,
            } => {
                let mut q = QueryBuilder::<Db>::new(
                    "INSERT INTO mediation_documents (id, case_id, name, content_type, size, \
                     bytes, uploaded_by, created_at) VALUES (",
                );
                let mut v = q.separated(", ");
                v.push_bind(doc_id.to_string())
                    .push_bind(id.clone())
                    .push_bind(name.clone())
                    .push_bind(content_type.clone())
                    .push_bind(bytes.len() as i64)
                    .push_bind(bytes.clone())
                    .push_bind(ctx.actor_id.map(|u| u.to_string()))
                    .push_bind(ctx.at);
                q.push(")");
                q.build().execute(&mut *tx).await.map_err(db)?;
                (
                    "document",
                    "mediation.document",
                    json!({
                        "document_id": doc_id,
                        "side": change.side,
                        "content_type": content_type,
                        "size": bytes.len(),
                    }),
                    None,
                    Some((*doc_id, name.clone())),
                )
            }
            ChangeKind::Close {
                outcome,
                amount_agreed_fen,
            } => {
                let mut q = QueryBuilder::<Db>::new("UPDATE mediation_cases SET state = ");
                q.push_bind(change.to.clone())
                    .push(", outcome = ")
                    .push_bind(outcome.clone())
                    .push(", outcome_text = ")
                    .push_bind(change.text.clone())
                    .push(", amount_agreed_fen = ")
                    .push_bind(*amount_agreed_fen)
                    .push(", closed_at = ")
                    .push_bind(ctx.at)
                    .push(" WHERE id = ")
                    .push_bind(id.clone());
                q.build().execute(&mut *tx).await.map_err(db)?;
                let action = if outcome == "withdrawn" {
                    "mediation.withdraw"
                } else {
                    "mediation.outcome"
                };
                (
                    "outcome",
                    action,
                    json!({ "outcome": outcome, "amount_agreed_fen": amount_agreed_fen }),
                    None,
                    None,
                )
            }
        };
        let event = insert_event(
            &mut tx,
            ctx,
            change.case_id,
            event_kind,
            &change.side,
            &change.actor_name,
            &change.text,
            meeting,
            document,
        )
        .await?;
        let mut detail = detail;
        detail["from"] = json!(state);
        detail["to"] = json!(change.to);
        detail["seq"] = json!(event.seq);
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(action, "mediation", id).with_detail(detail),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(event)
    }

    async fn mediation_document(&self, id: Uuid) -> StoreResult<Option<MediationDocument>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT id, case_id, name, content_type, bytes FROM mediation_documents WHERE id = ",
        );
        q.push_bind(id.to_string());
        let mut tx = read(self).await?;
        let row: Option<(String, String, String, String, Vec<u8>)> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.map(|(id, case_id, name, content_type, bytes)| {
            Ok(MediationDocument {
                id: yiwang_store::sql_rows::parse_uuid("mediation_documents.id", &id)?,
                case_id: yiwang_store::sql_rows::parse_uuid(
                    "mediation_documents.case_id",
                    &case_id,
                )?,
                name,
                content_type,
                bytes,
            })
        })
        .transpose()
    }

    async fn mediation_stats(&self, from: i64, to: i64) -> StoreResult<MediationStats> {
        let mut q = QueryBuilder::<Db>::new(sql::FACTS);
        q.push_bind(from)
            .push(" AND submitted_at < ")
            .push_bind(to)
            .push(" ORDER BY submitted_at");
        let mut tx = read(self).await?;
        let rows: Vec<FactRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let facts: Vec<MediationFact> = rows.into_iter().map(MediationFact::from).collect();
        Ok(MediationStats::from_facts(&facts))
    }
}

/// A unique violation (a case id given twice) as a conflict on `id`.
fn unique_or_db(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict { field: "id" },
        _ => db(e),
    }
}
