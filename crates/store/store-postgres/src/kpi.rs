//! [`KpiStore`] on PostgreSQL: the indicator sums, login days and grid
//! activity, with the SQL text `yiwang_store::kpi` shares between the
//! backends.

use async_trait::async_trait;
use serde_json::json;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::kpi::{
    case_counts_sql, case_counts_tail, case_counts_window, days_into_months, open_due_sql,
    rollup_sql, whole_months, with_open_due, CaseCounts, GridActivity, KpiGroup, KpiQuery,
    KpiStore, LoginCounts, GRID_ACTIVITY_SQL, LOGIN_DAYS_SQL, LOGIN_DAYS_SQL_MIDDLE,
    LOGIN_DAYS_SQL_TAIL, LOGIN_STAFF_SQL, LOGIN_STAFF_SQL_TAIL, ROLLUP_TAIL,
};
use yiwang_store::sql_rows::{CaseCountsSqlRow, GridActivitySqlRow};
use yiwang_store::{AuditCtx, NewAudit, StoreResult};

use crate::{append_audit, db, escape_like, PgStore as Backend};

type Db = Postgres;

fn push_under(q: &mut QueryBuilder<'_, Db>, column: &str, under: Option<&str>) {
    if let Some(prefix) = under {
        q.push(format!(" AND {column} LIKE "))
            .push_bind(format!("{}%", escape_like(prefix)))
            .push(" ESCAPE '\\'");
    }
}

/// Rows of `(key, n)` in a map.
async fn counts_by_key(
    backend: &Backend,
    mut q: QueryBuilder<'_, Db>,
) -> StoreResult<std::collections::BTreeMap<String, i64>> {
    let mut tx = backend.snapshot().await?;
    let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(rows.into_iter().collect())
}

impl Backend {
    /// The sums read from the cases themselves.
    async fn direct_counts(&self, query: &KpiQuery) -> StoreResult<Vec<CaseCounts>> {
        let mut q = QueryBuilder::<Db>::new(case_counts_sql(query.group, query.now));
        q.push(" WHERE ");
        for (text, value) in case_counts_window(query.group, query.from, query.to) {
            q.push(text).push_bind(value);
        }
        push_under(&mut q, "grid_code", query.under.as_deref());
        if let Some(department) = &query.department {
            q.push(" AND department = ").push_bind(department.clone());
        }
        q.push(case_counts_tail(query.group));
        let mut tx = self.snapshot().await?;
        let rows: Vec<CaseCountsSqlRow> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows.into_iter().map(CaseCounts::from).collect())
    }

    /// The sums of whole months from the rollup, with the open cases past
    /// their limit added, in one snapshot.
    async fn rolled_counts(&self, query: &KpiQuery, sql: String) -> StoreResult<Vec<CaseCounts>> {
        let mut q = QueryBuilder::<Db>::new(sql);
        q.push(" WHERE month >= ")
            .push_bind(query.from)
            .push(" AND month < ")
            .push_bind(query.to);
        push_under(&mut q, "grid_code", query.under.as_deref());
        q.push(ROLLUP_TAIL);
        let mut open = QueryBuilder::<Db>::new(open_due_sql(query.now));
        open.push_bind(query.from)
            .push(" AND created_at < ")
            .push_bind(query.to);
        push_under(&mut open, "grid_code", query.under.as_deref());
        let mut tx = self.snapshot().await?;
        let rows: Vec<CaseCountsSqlRow> =
            q.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        let due: Vec<(String, String, i64, bool)> = open
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(with_open_due(
            query.group,
            rows.into_iter().map(CaseCounts::from).collect(),
            due,
        ))
    }
}

#[async_trait]
impl KpiStore for Backend {
    async fn case_counts(&self, query: &KpiQuery) -> StoreResult<Vec<CaseCounts>> {
        if query.department.is_none() && whole_months(query.from, query.to) {
            if let Some(sql) = rollup_sql(query.group) {
                return self.rolled_counts(query, sql).await;
            }
        }
        if query.group == KpiGroup::Month {
            let days = KpiQuery {
                group: KpiGroup::Day,
                ..query.clone()
            };
            return Ok(days_into_months(self.direct_counts(&days).await?));
        }
        self.direct_counts(query).await
    }

    async fn login_counts(
        &self,
        group: KpiGroup,
        days: &[i64],
        under: Option<&str>,
    ) -> StoreResult<Vec<LoginCounts>> {
        let n = group.prefix_len().unwrap_or(15).to_string();
        let mut staff = QueryBuilder::<Db>::new(LOGIN_STAFF_SQL.replace("{n}", &n));
        staff.push(" WHERE 1 = 1");
        push_under(&mut staff, "grid_code", under);
        staff.push(LOGIN_STAFF_SQL_TAIL);
        let staff = counts_by_key(self, staff).await?;
        let mut logins = std::collections::BTreeMap::new();
        if !days.is_empty() {
            let mut q = QueryBuilder::<Db>::new(LOGIN_DAYS_SQL);
            let mut list = q.separated(", ");
            for day in days {
                list.push_bind(*day);
            }
            q.push(")").push(LOGIN_DAYS_SQL_MIDDLE.replace("{n}", &n));
            push_under(&mut q, "a.grid_code", under);
            q.push(LOGIN_DAYS_SQL_TAIL);
            logins = counts_by_key(self, q).await?;
        }
        Ok(staff
            .into_iter()
            .map(|(key, staff)| LoginCounts {
                login_days: logins.get(&key).copied().unwrap_or(0),
                key,
                staff,
            })
            .collect())
    }

    async fn import_login_days(&self, ctx: &AuditCtx, days: Vec<(Uuid, i64)>) -> StoreResult<u64> {
        let mut tx = self.write().await?;
        for chunk in days.chunks(1000) {
            let mut q = QueryBuilder::<Db>::new("INSERT INTO staff_login_days (staff_id, day) ");
            q.push_values(chunk, |mut row, (staff, day)| {
                row.push_bind(staff.to_string()).push_bind(*day);
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *tx).await.map_err(db)?;
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("grid.login_days.import", "grid_staff", "")
                .with_detail(json!({ "days": days.len() })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(days.len() as u64)
    }

    async fn grid_activity(&self) -> StoreResult<Vec<GridActivity>> {
        let mut tx = self.snapshot().await?;
        let rows: Vec<GridActivitySqlRow> = sqlx::query_as(GRID_ACTIVITY_SQL)
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows.into_iter().map(GridActivity::from).collect())
    }
}
