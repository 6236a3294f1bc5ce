//! The PostgreSQL backend: Yiwang on several machines.
//!
//! Several `yiwang serve` processes may share one PostgreSQL database behind
//! a load balancer, so everything here must be correct with writers in other
//! processes, not just other tasks. [`PgStore::connect`] opens a connection
//! pool; [`Store::migrate`] brings the schema up to date from the SQL files
//! in `migrations/`, embedded in the binary (the `migrate` module
//! explains how). sqlx's migrator holds a PostgreSQL advisory lock while it
//! runs, so servers starting together migrate one at a time.
//!
//! # How writes are serialised
//!
//! Each state change runs in one transaction (PostgreSQL's default `READ
//! COMMITTED`) that ends by appending its audit record. The audit chain must
//! be a single total order across every process, so the append first takes
//! a transaction-scoped advisory lock on a fixed key
//! ([`AUDIT_LOCK_KEY`]), then reads the chain head, then inserts the next
//! record. The lock is held until the transaction commits or rolls back;
//! because each statement under `READ COMMITTED` takes a fresh snapshot, the
//! head read after the lock is granted is the last committed record. So
//! records are numbered 1, 2, 3, … in commit order with no gap, and a change
//! that rolls back takes its record with it. The `seq` primary key is the
//! backstop: were the lock ever bypassed, the second writer of a number would
//! fail rather than fork the chain.
//!
//! The lock is taken last, after the change itself, so it is held only for
//! the insert and the commit; and because no transaction waits for a row
//! lock while holding it, it cannot take part in a deadlock.
//!
//! Counting failed logins is a single `UPDATE … RETURNING`: the row lock
//! makes concurrent failures queue, and none is lost.
//!
//! Reads that need two queries to agree (a page and its total) run in one
//! `REPEATABLE READ, READ ONLY` transaction.

mod cases;
mod contracts;
mod duties;
mod exchange;
mod feed;
mod grid;
mod kpi;
mod lectures;
mod mediation;
mod migrate;
mod problems;
mod requests;
mod residents;
mod subsidies;
mod visits;
use yiwang_store::sql_rows as rows;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_core::Role;
use yiwang_store::audit::{record_hash, GENESIS_HASH};
use yiwang_store::{
    AccountStore, AuditCtx, AuditQuery, AuditRecord, AuditStore, Credentials, Enterprise,
    LoginFailure, NewAudit, NewEnterprise, NewSession, NewUser, Page, Paged, Session, Store,
    StoreError, StoreResult, User, UserQuery,
};

use rows::{
    convert_all, parse_uuid, AuditRow, CredentialsRow, EnterpriseRow, SessionRow, UserRow,
    AUDIT_COLUMNS, SESSION_COLUMNS, USER_COLUMNS,
};

/// The advisory lock that serialises audit appends across every process
/// sharing the database: the bytes of `"YiwangAu"`.
pub const AUDIT_LOCK_KEY: i64 = 0x5969_7761_6e67_4175;

/// Connections per process.
const POOL_SIZE: u32 = 10;

/// How long a caller waits for a free connection before giving up.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// A Yiwang store in a PostgreSQL database. Cheap to clone: clones share the
/// pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

pub(crate) type Tx = sqlx::Transaction<'static, Postgres>;

impl PgStore {
    /// Connects to `postgres://user[:password]@host[:port]/database`. Does
    /// not migrate.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url).map_err(db)?;
        PgStore::connect_with(options, POOL_SIZE).await
    }

    pub(crate) async fn connect_with(
        options: PgConnectOptions,
        pool_size: u32,
    ) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(pool_size)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(db)?;
        Ok(PgStore { pool })
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn write(&self) -> StoreResult<Tx> {
        self.pool.begin().await.map_err(db)
    }

    /// A read-only transaction whose queries all see one snapshot.
    pub(crate) async fn snapshot(&self) -> StoreResult<Tx> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
            .map_err(db)
    }
}

/// Any database failure we do not handle specially.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// A unique-constraint violation as [`StoreError::Conflict`] naming the
/// field; anything else as [`db`].
pub(crate) fn conflict_or_db(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            // The migrations name every unique constraint after its column.
            let constraint = d.constraint().unwrap_or_default();
            for (name, field) in [
                ("users_username_key", "username"),
                ("enterprises_credit_code_key", "credit_code"),
                ("sessions_id_hash_key", "session"),
                ("notices_number_key", "number"),
                ("notice_supplements_number_key", "supplement_number"),
                ("listings_code_key", "code"),
                ("deposit_accounts_account_no_key", "account_no"),
                ("deposit_accounts_application_key", "application_ref"),
                ("bank_transactions_bank_txn_id_key", "bank_txn_id"),
                ("listing_events_seq_key", "seq"),
                ("listing_secrets_key", "key"),
                ("cases_pkey", "case_id"),
                ("cases_number_key", "number"),
            ] {
                if constraint == name {
                    return StoreError::Conflict { field };
                }
            }
        }
    }
    db(e)
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The least string greater than every string that starts with `prefix`, so
/// that `prefix <= s < successor` is exactly "s starts with prefix" under
/// byte-wise (`COLLATE "C"`) ordering, and the index on `action` can serve
/// it. `None` when no such bound exists (every character is `char::MAX`).
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Clamps a page to [`Page::MAX_LIMIT`] rows.
pub(crate) fn clamp(page: Page) -> Page {
    Page {
        offset: page.offset,
        limit: page.limit.min(Page::MAX_LIMIT),
    }
}

/// Appends one record to the audit chain inside the caller's transaction,
/// after taking the chain's advisory lock (held until that transaction
/// ends).
pub(crate) async fn append_audit(
    conn: &mut PgConnection,
    ctx: &AuditCtx,
    new: NewAudit,
) -> StoreResult<AuditRecord> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(AUDIT_LOCK_KEY)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    let (seq, prev_hash) = match head {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    };
    let detail = serde_json::to_string(&new.detail).map_err(|e| StoreError::Backend(e.into()))?;
    let hash = record_hash(
        &prev_hash,
        seq,
        ctx.at,
        ctx.actor_id,
        &ctx.actor_name,
        &new.action,
        &new.object_kind,
        &new.object_id,
        &detail,
        ctx.client_addr.as_deref(),
    );
    let record = AuditRecord {
        seq,
        at: ctx.at,
        actor_id: ctx.actor_id,
        actor_name: ctx.actor_name.clone(),
        action: new.action,
        object_kind: new.object_kind,
        object_id: new.object_id,
        detail,
        client_addr: ctx.client_addr.clone(),
        prev_hash,
        hash,
    };
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, object_kind, object_id, \
         detail, client_addr, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(record.seq)
    .bind(record.at)
    .bind(record.actor_id.map(|id| id.to_string()))
    .bind(&record.actor_name)
    .bind(&record.action)
    .bind(&record.object_kind)
    .bind(&record.object_id)
    .bind(&record.detail)
    .bind(&record.client_addr)
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(record)
}

/// Inserts a user row; `enterprise_id` is set for an enterprise's account.
async fn insert_user(
    conn: &mut PgConnection,
    id: Uuid,
    user: &NewUser,
    role: Role,
    enterprise_id: Option<Uuid>,
    created_at: i64,
) -> StoreResult<User> {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, role, phone, enterprise_id, \
         password_hash, active, failed_logins, locked_until, created_at, last_login_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, 0, NULL, $8, NULL)",
    )
    .bind(id.to_string())
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(role.code())
    .bind(&user.phone)
    .bind(enterprise_id.map(|e| e.to_string()))
    .bind(&user.password_hash)
    .bind(created_at)
    .execute(&mut *conn)
    .await
    .map_err(conflict_or_db)?;
    Ok(User {
        id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role,
        phone: user.phone.clone(),
        enterprise_id,
        active: true,
        failed_logins: 0,
        locked_until: None,
        created_at,
        last_login_at: None,
    })
}

fn push_user_filters(qb: &mut QueryBuilder<'_, Postgres>, query: &UserQuery) {
    qb.push(" WHERE TRUE");
    if let Some(role) = query.role {
        qb.push(" AND role = ").push_bind(role.code());
    }
    if let Some(active) = query.active {
        qb.push(" AND active = ").push_bind(active);
    }
    if let Some(search) = &query.search {
        let pattern = format!("%{}%", escape_like(search));
        qb.push(" AND (username ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR display_name ILIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn push_audit_filters(qb: &mut QueryBuilder<'_, Postgres>, query: &AuditQuery) {
    qb.push(" WHERE TRUE");
    if let Some(actor) = &query.actor {
        qb.push(" AND actor_name ILIKE ")
            .push_bind(format!("%{}%", escape_like(actor)))
            .push(" ESCAPE '\\'");
    }
    if let Some(action) = query.action.as_ref().filter(|a| !a.is_empty()) {
        // `action` is COLLATE "C": these compare byte-wise.
        qb.push(" AND action >= ").push_bind(action.clone());
        if let Some(upper) = prefix_successor(action) {
            qb.push(" AND action < ").push_bind(upper);
        }
    }
    if let Some(kind) = &query.object_kind {
        qb.push(" AND object_kind = ").push_bind(kind.clone());
    }
    if let Some(id) = &query.object_id {
        qb.push(" AND object_id = ").push_bind(id.clone());
    }
    if let Some(from) = query.from {
        qb.push(" AND at >= ").push_bind(from);
    }
    if let Some(to) = query.to {
        qb.push(" AND at < ").push_bind(to);
    }
}

#[async_trait]
impl AccountStore for PgStore {
    async fn register_enterprise(
        &self,
        ctx: &AuditCtx,
        enterprise: NewEnterprise,
        user: NewUser,
    ) -> StoreResult<(Enterprise, User)> {
        let enterprise_id = Uuid::now_v7();
        let user_id = Uuid::now_v7();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO enterprises (id, name, credit_code, legal_rep, contact_name, \
             contact_phone, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(enterprise_id.to_string())
        .bind(&enterprise.name)
        .bind(&enterprise.credit_code)
        .bind(&enterprise.legal_rep)
        .bind(&enterprise.contact_name)
        .bind(&enterprise.contact_phone)
        .bind(ctx.at)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_db)?;
        let user = insert_user(
            &mut tx,
            user_id,
            &user,
            Role::Bidder,
            Some(enterprise_id),
            ctx.at,
        )
        .await?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("account.register_enterprise", "enterprise", enterprise_id).with_detail(
                json!({
                    "name": enterprise.name,
                    "credit_code": enterprise.credit_code,
                    "user_id": user_id.to_string(),
                    "username": user.username,
                }),
            ),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        let enterprise = Enterprise {
            id: enterprise_id,
            name: enterprise.name,
            credit_code: enterprise.credit_code,
            legal_rep: enterprise.legal_rep,
            contact_name: enterprise.contact_name,
            contact_phone: enterprise.contact_phone,
            created_at: ctx.at,
        };
        Ok((enterprise, user))
    }

    async fn create_staff(&self, ctx: &AuditCtx, user: NewUser) -> StoreResult<User> {
        if !user.role.is_staff() {
            return Err(StoreError::Backend(
                format!(
                    "create_staff: role {} is not a staff role (enterprises register themselves)",
                    user.role.code()
                )
                .into(),
            ));
        }
        let id = Uuid::now_v7();
        let mut tx = self.write().await?;
        let created = insert_user(&mut tx, id, &user, user.role, None, ctx.at).await?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("account.create_staff", "user", id).with_detail(json!({
                "username": created.username,
                "display_name": created.display_name,
                "role": created.role.code(),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(created)
    }

    async fn register_worker(&self, ctx: &AuditCtx, user: NewUser) -> StoreResult<User> {
        let id = Uuid::now_v7();
        let mut tx = self.write().await?;
        let created = insert_user(&mut tx, id, &user, Role::Worker, None, ctx.at).await?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("account.register_worker", "user", id).with_detail(json!({
                "username": created.username,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(created)
    }

    async fn credentials(&self, username: &str) -> StoreResult<Option<Credentials>> {
        let row: Option<CredentialsRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS}, users.password_hash FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(|row| {
            Ok(Credentials {
                user: User::try_from(row.user)?,
                password_hash: row.password_hash,
            })
        })
        .transpose()
    }

    async fn user(&self, id: Uuid) -> StoreResult<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        row.map(User::try_from).transpose()
    }

    async fn enterprise(&self, id: Uuid) -> StoreResult<Option<Enterprise>> {
        let row: Option<EnterpriseRow> = sqlx::query_as(
            "SELECT id, name, credit_code, legal_rep, contact_name, contact_phone, created_at \
             FROM enterprises WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(Enterprise::try_from).transpose()
    }

    async fn enterprise_by_credit_code(
        &self,
        credit_code: &str,
    ) -> StoreResult<Option<Enterprise>> {
        let row: Option<EnterpriseRow> = sqlx::query_as(
            "SELECT id, name, credit_code, legal_rep, contact_name, contact_phone, created_at \
             FROM enterprises WHERE credit_code = $1",
        )
        .bind(credit_code)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(Enterprise::try_from).transpose()
    }

    async fn list_users(&self, query: &UserQuery, page: Page) -> StoreResult<Paged<User>> {
        let page = clamp(page);
        let mut tx = self.snapshot().await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM users");
        push_user_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Postgres>::new(format!("SELECT {USER_COLUMNS} FROM users"));
        push_user_filters(&mut select, query);
        select
            .push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<UserRow> = select
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

    async fn set_user_active(&self, ctx: &AuditCtx, id: Uuid, active: bool) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let updated = sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(active)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = if active {
            0
        } else {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected()
        };
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("account.set_active", "user", id).with_detail(json!({
                "active": active,
                "sessions_ended": ended,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn change_password(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ended = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2::TEXT IS NULL OR id_hash <> $2)",
        )
        .bind(id.to_string())
        .bind(keep_session)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("account.change_password", "user", id).with_detail(json!({
                "sessions_ended": ended,
                "kept_current_session": keep_session.is_some(),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn login_failed(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        max_failures: i32,
        lock_for_us: i64,
    ) -> StoreResult<LoginFailure> {
        let max = max_failures.max(1);
        let until = ctx.at.saturating_add(lock_for_us);
        let mut tx = self.write().await?;
        // One statement reads and bumps the count under the row lock, so
        // concurrent failures queue and none is lost. Both CASEs see the row
        // as it was before.
        let row: Option<(i32,)> = sqlx::query_as(
            "UPDATE users SET \
               failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 ELSE failed_logins + 1 END, \
               locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2 ELSE locked_until END \
             WHERE id = $3 RETURNING failed_logins",
        )
        .bind(max)
        .bind(until)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let (count,) = row.ok_or(StoreError::NotFound)?;
        // The count is at least 1 after a failure that did not lock, and
        // restarts at 0 after one that did.
        let failure = if count == 0 {
            LoginFailure {
                failed_logins: max,
                locked_until: Some(until),
            }
        } else {
            LoginFailure {
                failed_logins: count,
                locked_until: None,
            }
        };
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("session.login_failed", "user", id).with_detail(json!({
                "failed_logins": failure.failed_logins,
                "locked": failure.locked_until.is_some(),
                "locked_until": failure.locked_until,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(failure)
    }

    async fn login_succeeded(&self, ctx: &AuditCtx, session: NewSession) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 \
             WHERE id = $2",
        )
        .bind(ctx.at)
        .bind(session.user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, expires_at, \
             client_addr, user_agent) VALUES ($1, $2, $3, $3, $4, $5, $6)",
        )
        .bind(&session.id_hash)
        .bind(session.user_id.to_string())
        .bind(ctx.at)
        .bind(session.expires_at)
        .bind(&ctx.client_addr)
        .bind(&session.user_agent)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_db)?;
        // The staff member's login day, for the daily login rate.
        sqlx::query(
            &yiwang_store::kpi::LOGIN_DAY_INSERT_SQL
                .replace("{day}", "$1")
                .replace("{user}", "$2"),
        )
        .bind(yiwang_store::kpi::shanghai_day(ctx.at))
        .bind(session.user_id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("session.login", "user", session.user_id).with_detail(json!({
                "expires_at": session.expires_at,
                "user_agent": session.user_agent,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn session(&self, id_hash: &str, now: i64) -> StoreResult<Option<(Session, User)>> {
        let row: Option<SessionRow> = sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM sessions \
             JOIN users ON users.id = sessions.user_id \
             WHERE sessions.id_hash = $1 AND sessions.expires_at > $2 AND users.active"
        ))
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(<(Session, User)>::try_from).transpose()
    }

    async fn touch_session(&self, id_hash: &str, now: i64, expires_at: i64) -> StoreResult<()> {
        // An expired session stays expired: touching cannot revive it.
        sqlx::query(
            "UPDATE sessions SET last_seen_at = $1, expires_at = $2 \
             WHERE id_hash = $3 AND expires_at > $1",
        )
        .bind(now)
        .bind(expires_at)
        .bind(id_hash)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn end_session(&self, ctx: &AuditCtx, id_hash: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let ended: Option<(String,)> =
            sqlx::query_as("DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id")
                .bind(id_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        // Ending a session that is already gone changes nothing, so it is
        // not an error and leaves no record.
        let Some((user_id,)) = ended else {
            return Ok(());
        };
        let user_id = parse_uuid("sessions.user_id", &user_id)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("session.logout", "user", user_id),
        )
        .await?;
        tx.commit().await.map_err(db)
    }

    async fn purge_sessions(&self, now: i64) -> StoreResult<u64> {
        let purged = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(purged.rows_affected())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        Ok(count as u64)
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn audit(&self, ctx: &AuditCtx, record: NewAudit) -> StoreResult<AuditRecord> {
        let mut tx = self.write().await?;
        let record = append_audit(&mut tx, ctx, record).await?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn audit_query(&self, query: &AuditQuery, page: Page) -> StoreResult<Paged<AuditRecord>> {
        let page = clamp(page);
        let mut tx = self.snapshot().await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM audit_log");
        push_audit_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Postgres>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
        push_audit_filters(&mut select, query);
        select
            .push(" ORDER BY seq DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<AuditRow> = select
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

    async fn audit_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>> {
        let rows: Vec<AuditRow> = sqlx::query_as(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        convert_all(rows)
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = migrate::migrator()
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(escape_like("张三"), "张三");
    }

    #[test]
    fn prefix_successor_bounds_exactly_the_prefix() {
        assert_eq!(prefix_successor("account.").as_deref(), Some("account/"));
        assert_eq!(prefix_successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(prefix_successor("a\u{10ffff}").as_deref(), Some("b"));
        assert_eq!(prefix_successor("\u{10ffff}"), None);
        assert_eq!(prefix_successor(""), None);
    }

    #[test]
    fn the_audit_lock_key_spells_its_name() {
        assert_eq!(&AUDIT_LOCK_KEY.to_be_bytes(), b"YiwangAu");
    }

    /// The audit log refuses edits, deletions and truncation outright.
    #[tokio::test]
    async fn audit_log_is_append_only() {
        let (store, _db) = testing::fresh().await;
        let ctx = AuditCtx::system("test", 1);
        store
            .audit(&ctx, NewAudit::new("test.one", "thing", "1"))
            .await
            .unwrap();
        for sql in [
            "UPDATE audit_log SET actor_name = 'mallory'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ] {
            let err = sqlx::query(sql).execute(&store.pool).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(
            store.audit_after(0, 10).await.unwrap()[0].actor_name,
            "test"
        );
    }

    /// Two stores on one database, as two server processes would be:
    /// interleaved writes from both still make one gap-free chain.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_processes_share_one_chain() {
        let (first, db) = testing::fresh().await;
        let second = PgStore::connect_with(db.connect_options(), 4)
            .await
            .unwrap();
        second.migrate().await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..30i64 {
            let store = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tasks.push(tokio::spawn(async move {
                store
                    .audit(
                        &AuditCtx::system("node", i),
                        NewAudit::new("test.node", "task", i),
                    )
                    .await
                    .unwrap()
            }));
        }
        let mut seqs = Vec::new();
        for task in tasks {
            seqs.push(task.await.unwrap().seq);
        }
        seqs.sort();
        assert_eq!(seqs, (1..=30).collect::<Vec<_>>());
        let mut verifier = yiwang_store::audit::ChainVerifier::default();
        for record in first.audit_after(0, 100).await.unwrap() {
            verifier.check(&record).unwrap();
        }
        assert_eq!(verifier.checked(), 30);
    }
}
