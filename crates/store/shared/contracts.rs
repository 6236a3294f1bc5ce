// The ContractStore implementation shared by both backends: `include!`d by
// `store-sqlite/src/contracts.rs` and `store-postgres/src/contracts.rs` after each
// has named its `Db`, `Backend`, `Tx` and `read`, so the statements are
// written once and compiled for each backend.

/// Rows per multi-row INSERT of covered enterprises (4 binds a row).
const CHUNK: usize = 2000;

fn push_filters(q: &mut QueryBuilder<'_, Db>, query: &ContractQuery) {
    if let Some(scope) = &query.scope {
        q.push(" AND c.scope = ").push_bind(scope.clone());
    }
    if let Some(kind) = &query.kind {
        q.push(" AND c.kind = ").push_bind(kind.clone());
    }
    if let Some(day) = query.in_force_on {
        q.push(" AND c.starts_on <= ")
            .push_bind(day)
            .push(" AND c.ends_on > ")
            .push_bind(day);
    }
    if let Some(before) = query.ends_before {
        q.push(" AND c.ends_on < ").push_bind(before);
    }
    if let Some(text) = query
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", escape_like(text));
        q.push(" AND (c.title LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR c.industry LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR c.employer_party LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR c.union_party LIKE ")
            .push_bind(pattern.clone())
            .push(
                " ESCAPE '\\' OR EXISTS (SELECT 1 FROM collective_contract_enterprises x \
                 WHERE x.contract_id = c.id AND (x.name LIKE ",
            )
            .push_bind(pattern)
            .push(" ESCAPE '\\' OR x.credit_code = ")
            .push_bind(text.to_uppercase())
            .push(")))");
    }
}

#[async_trait]
impl ContractStore for Backend {
    async fn register_contracts(
        &self,
        ctx: &AuditCtx,
        contracts: Vec<NewContract>,
    ) -> StoreResult<u64> {
        if contracts.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write().await?;
        for c in &contracts {
            let mut q = QueryBuilder::<Db>::new(
                "INSERT INTO collective_contracts (id, title, scope, kind, industry, \
                 employer_party, union_party, signed_on, starts_on, ends_on, created_at) VALUES (",
            );
            let mut v = q.separated(", ");
            v.push_bind(c.id.to_string())
                .push_bind(c.title.clone())
                .push_bind(c.scope.clone())
                .push_bind(c.kind.clone())
                .push_bind(c.industry.clone())
                .push_bind(c.employer_party.clone())
                .push_bind(c.union_party.clone())
                .push_bind(c.signed_on)
                .push_bind(c.starts_on)
                .push_bind(c.ends_on)
                .push_bind(ctx.at);
            q.push(")");
            q.build().execute(&mut *tx).await.map_err(db)?;
            for chunk in c.enterprises.chunks(CHUNK) {
                let mut q = QueryBuilder::<Db>::new(
                    "INSERT INTO collective_contract_enterprises (contract_id, credit_code, name, \
                     employees) ",
                );
                q.push_values(chunk, |mut row, e| {
                    row.push_bind(c.id.to_string())
                        .push_bind(e.credit_code.clone())
                        .push_bind(e.name.clone())
                        .push_bind(e.employees);
                });
                q.build().execute(&mut *tx).await.map_err(|e| match &e {
                    sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
                        field: "credit_code",
                    },
                    _ => db(e),
                })?;
            }
        }
        let record = match contracts.as_slice() {
            [one] => NewAudit::new("contract.register", "contract", one.id.to_string())
                .with_detail(json!({
                    "scope": one.scope,
                    "kind": one.kind,
                    "starts_on": one.starts_on,
                    "ends_on": one.ends_on,
                    "enterprises": one.enterprises.len(),
                    "employees": one.enterprises.iter().map(|e| e.employees).sum::<i64>(),
                })),
            many => NewAudit::new("contract.import", "contract", "register").with_detail(json!({
                "contracts": many.len(),
                "enterprises": many.iter().map(|c| c.enterprises.len()).sum::<usize>(),
            })),
        };
        append_audit(&mut tx, ctx, record).await?;
        tx.commit().await.map_err(db)?;
        Ok(contracts.len() as u64)
    }

    async fn contract(&self, id: Uuid) -> StoreResult<Option<(Contract, Vec<CoveredEnterprise>)>> {
        let mut q = QueryBuilder::<Db>::new("SELECT ");
        q.push(sql::COLUMNS)
            .push(sql::FROM)
            .push(" AND c.id = ")
            .push_bind(id.to_string());
        let mut tx = read(self).await?;
        let row: Option<ContractRow> = q
            .build_query_as()
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        let Some(row) = row else {
            tx.commit().await.map_err(db)?;
            return Ok(None);
        };
        let mut q = QueryBuilder::<Db>::new(
            "SELECT credit_code, name, employees FROM collective_contract_enterprises \
             WHERE contract_id = ",
        );
        q.push_bind(id.to_string())
            .push(" ORDER BY name, credit_code");
        let covered: Vec<(String, String, i64)> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Some((
            Contract::try_from(row)?,
            covered
                .into_iter()
                .map(|(credit_code, name, employees)| CoveredEnterprise {
                    credit_code,
                    name,
                    employees,
                })
                .collect(),
        )))
    }

    async fn contracts(&self, query: &ContractQuery, page: Page) -> StoreResult<Paged<Contract>> {
        let page = clamp(page);
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*)");
        count.push(sql::FROM);
        push_filters(&mut count, query);
        let mut select = QueryBuilder::<Db>::new("SELECT ");
        select.push(sql::COLUMNS).push(sql::FROM);
        push_filters(&mut select, query);
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
        let rows: Vec<ContractRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(Contract::try_from)
                .collect::<StoreResult<_>>()?,
            total: total.max(0) as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn coverage_rows(&self, day: i64) -> StoreResult<Vec<CoverageRow>> {
        let mut q = QueryBuilder::<Db>::new(sql::COVERAGE);
        q.push_bind(day)
            .push(" AND c.ends_on > ")
            .push_bind(day)
            .push(" ORDER BY c.id, x.credit_code");
        let mut tx = read(self).await?;
        let rows: Vec<CoverageRowRow> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter().map(CoverageRow::try_from).collect()
    }

    async fn contract_facts(&self, from: i64, to: i64) -> StoreResult<Vec<ContractFact>> {
        let mut q = QueryBuilder::<Db>::new(
            "SELECT signed_on, scope, kind FROM collective_contracts WHERE signed_on >= ",
        );
        q.push_bind(from)
            .push(" AND signed_on < ")
            .push_bind(to)
            .push(" ORDER BY signed_on");
        let mut tx = read(self).await?;
        let rows: Vec<ContractFact> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows)
    }
}
