//! The SQLite backend: Yiwang with no database server to run.
//!
//! `yiwang serve` with no configuration keeps everything in one SQLite file
//! (`sqlite://data/yiwang.db`). [`SqliteStore::open`] creates the file and its
//! parent directories when they are missing; [`Store::migrate`] brings the
//! schema up to date from the SQL files in `migrations/`, embedded in the
//! binary (the `migrate` module explains how).
//!
//! # Durability
//!
//! The database runs in WAL mode with `synchronous=FULL`: a commit returns
//! only after its WAL frames are on disk, so a write the server has
//! acknowledged survives the process being killed or the machine losing
//! power. Foreign keys are enforced on every connection.
//!
//! # How writes are serialised
//!
//! SQLite admits one writer at a time, and two connections racing for the
//! write lock is how applications meet `SQLITE_BUSY`. The store therefore
//! keeps two pools on the same file:
//!
//! - a **writer** pool of exactly one connection, through which every state
//!   change goes. Callers queue for that connection in the pool, never in
//!   SQLite's lock. Each write transaction starts with `BEGIN IMMEDIATE`,
//!   which takes the write lock up front: a transaction that read first and
//!   wrote later would have to upgrade its lock midway, and SQLite refuses
//!   that upgrade with `SQLITE_BUSY_SNAPSHOT`, without waiting, when another
//!   process (say `yiwang migrate` run beside a server) wrote meanwhile. The
//!   busy timeout makes such an outside writer simply wait its turn.
//! - a **reader** pool of several `query_only` connections. WAL lets them
//!   read a consistent snapshot while the writer writes; reads that need two
//!   queries to agree (a page and its total) share one read transaction.
//!
//! WAL checkpoints run beside the writer on a connection of their own (the
//! `checkpoint` module), so no commit waits for one.
//!
//! Because the audit chain's head is read and extended inside the writer's
//! transaction, each audit record's `seq` follows the last committed one with
//! no gap, and a change whose transaction rolls back leaves no record.
//!
//! An in-memory database is refused: the readers and the writer must share
//! one file.

mod cases;
mod checkpoint;
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

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite};
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

/// How long a connection waits for another process's write lock before
/// giving up with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Reader connections; WAL lets them all read while the writer writes.
const READERS: u32 = 4;

/// The writer's page cache, as SQLite's `cache_size` takes it (negative:
/// KiB): 64 MiB, so that the pages a stream of appends touches stay in
/// memory rather than being read back from the file.
const WRITER_CACHE_KIB: i64 = -65_536;

/// A Yiwang store in one SQLite file. Cheap to clone: clones share the pools.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: every write goes through it.
    writer: SqlitePool,
    /// `query_only` connections for everything that only reads.
    reader: SqlitePool,
    /// The change feed: appends committed through this store (the `feed`
    /// module).
    appends: tokio::sync::broadcast::Sender<yiwang_store::exchange::AppendNotice>,
    /// One connection that checkpoints the WAL (the `checkpoint` module).
    checkpointer: SqlitePool,
    /// Held by every clone; the checkpointer stops once it is gone.
    _alive: std::sync::Arc<()>,
}

pub(crate) type Tx = sqlx::Transaction<'static, Sqlite>;

impl SqliteStore {
    /// Opens (creating when missing) the database at `sqlite://PATH`. A
    /// relative `PATH` is relative to the working directory;
    /// `sqlite:///var/lib/yiwang/yiwang.db` is absolute. Does not migrate.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let path = file_path(url)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Backend(
                    format!("cannot create the directory {}: {e}", parent.display()).into(),
                )
            })?;
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // Statement journals (a multi-row statement inside a transaction
            // keeps one to undo itself) stay in memory instead of a
            // temporary file written page by page.
            .pragma("temp_store", "MEMORY");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            // Kept open for the store's life: the WAL index stays mapped and
            // the readers never find the database without its WAL.
            .min_connections(1)
            .connect_with(
                options
                    .clone()
                    .create_if_missing(true)
                    // Checkpoints run beside the writer, not in its commits.
                    .pragma("wal_autocheckpoint", "0")
                    .pragma(
                        "journal_size_limit",
                        checkpoint::JOURNAL_SIZE_LIMIT.to_string(),
                    )
                    .pragma("cache_size", WRITER_CACHE_KIB.to_string()),
            )
            .await
            .map_err(db)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options.clone().pragma("query_only", "ON"))
            .await
            .map_err(db)?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(db)?;
        let alive = std::sync::Arc::new(());
        checkpoint::spawn(
            checkpointer.clone(),
            writer.clone(),
            std::sync::Arc::downgrade(&alive),
        );
        Ok(SqliteStore {
            writer,
            reader,
            appends: tokio::sync::broadcast::channel(feed::CAPACITY).0,
            checkpointer,
            _alive: alive,
        })
    }

    /// Starts a write transaction on the writer connection, holding
    /// SQLite's write lock from its first statement.
    pub(crate) async fn write(&self) -> StoreResult<Tx> {
        self.writer.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }

    /// Closes the pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.checkpointer.close().await;
        self.writer.close().await;
        self.reader.close().await;
    }
}

/// The file a `sqlite:` URL names; in-memory databases are refused.
pub fn file_path(url: &str) -> StoreResult<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            StoreError::Backend(format!("not a SQLite URL (sqlite://PATH): {url:?}").into())
        })?;
    let (file, params) = match rest.split_once('?') {
        Some((file, params)) => (file, params),
        None => (rest, ""),
    };
    if file.is_empty() || file == ":memory:" || params.contains("mode=memory") {
        return Err(StoreError::Backend(
            format!("an in-memory SQLite database cannot be used, name a file: {url:?}").into(),
        ));
    }
    Ok(PathBuf::from(file))
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
            // SQLite names the columns in the message:
            // "UNIQUE constraint failed: users.username".
            let message = d.message();
            for (needle, field) in [
                ("users.username", "username"),
                ("enterprises.credit_code", "credit_code"),
                ("sessions.id_hash", "session"),
                ("notices.number", "number"),
                ("notice_supplements.notice_id", "supplement_number"),
                ("listings.code", "code"),
                ("deposit_accounts.account_no", "account_no"),
                ("deposit_accounts.listing_id", "application_ref"),
                ("bank_transactions.bank_txn_id", "bank_txn_id"),
                ("listing_events.listing_id", "seq"),
                ("cases.id", "case_id"),
                ("cases.number", "number"),
            ] {
                if message.contains(needle) {
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
/// binary (code point) ordering, and the index on `action` can serve it.
/// `None` when no such bound exists (every character is `char::MAX`).
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

/// Appends one record to the audit chain inside the caller's write
/// transaction, linking it to the current head.
pub(crate) async fn append_audit(
    conn: &mut SqliteConnection,
    ctx: &AuditCtx,
    new: NewAudit,
) -> StoreResult<AuditRecord> {
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
         detail, client_addr, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    conn: &mut SqliteConnection,
    id: Uuid,
    user: &NewUser,
    role: Role,
    enterprise_id: Option<Uuid>,
    created_at: i64,
) -> StoreResult<User> {
    sqlx::query(
        "INSERT INTO users (id, username, display_name, role, phone, enterprise_id, \
         password_hash, active, failed_logins, locked_until, created_at, last_login_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, NULL, ?, NULL)",
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

fn push_user_filters(qb: &mut QueryBuilder<'_, Sqlite>, query: &UserQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(role) = query.role {
        qb.push(" AND role = ").push_bind(role.code());
    }
    if let Some(active) = query.active {
        qb.push(" AND active = ").push_bind(active);
    }
    if let Some(search) = &query.search {
        // SQLite's LIKE ignores case (for ASCII, the only letters with case
        // in usernames); Chinese display names have none.
        let pattern = format!("%{}%", escape_like(search));
        qb.push(" AND (username LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR display_name LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn push_audit_filters(qb: &mut QueryBuilder<'_, Sqlite>, query: &AuditQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(actor) = &query.actor {
        qb.push(" AND actor_name LIKE ")
            .push_bind(format!("%{}%", escape_like(actor)))
            .push(" ESCAPE '\\'");
    }
    if let Some(action) = query.action.as_ref().filter(|a| !a.is_empty()) {
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
impl AccountStore for SqliteStore {
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
             contact_phone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
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
            "SELECT {USER_COLUMNS}, users.password_hash FROM users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.reader)
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
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
                .bind(id.to_string())
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?;
        row.map(User::try_from).transpose()
    }

    async fn enterprise(&self, id: Uuid) -> StoreResult<Option<Enterprise>> {
        let row: Option<EnterpriseRow> = sqlx::query_as(
            "SELECT id, name, credit_code, legal_rep, contact_name, contact_phone, created_at \
             FROM enterprises WHERE id = ?",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
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
             FROM enterprises WHERE credit_code = ?",
        )
        .bind(credit_code)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(Enterprise::try_from).transpose()
    }

    async fn list_users(&self, query: &UserQuery, page: Page) -> StoreResult<Paged<User>> {
        let page = clamp(page);
        // One read transaction: the page and its total see the same snapshot.
        let mut tx = self.reader.begin().await.map_err(db)?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM users");
        push_user_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Sqlite>::new(format!("SELECT {USER_COLUMNS} FROM users"));
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
        let updated = sqlx::query("UPDATE users SET active = ? WHERE id = ?")
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
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
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
        let updated = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let ended =
            sqlx::query("DELETE FROM sessions WHERE user_id = ? AND (? IS NULL OR id_hash <> ?)")
                .bind(id.to_string())
                .bind(keep_session)
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
        // One statement reads and bumps the count, so no failure is lost to
        // a concurrent one. Both CASEs see the row as it was before.
        let row: Option<(i32,)> = sqlx::query_as(
            "UPDATE users SET \
               failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END, \
               locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END \
             WHERE id = ? RETURNING failed_logins",
        )
        .bind(max)
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
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? \
             WHERE id = ?",
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
             client_addr, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session.id_hash)
        .bind(session.user_id.to_string())
        .bind(ctx.at)
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
                .replace("{day}", "?")
                .replace("{user}", "?"),
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
             WHERE sessions.id_hash = ? AND sessions.expires_at > ? AND users.active"
        ))
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(<(Session, User)>::try_from).transpose()
    }

    async fn touch_session(&self, id_hash: &str, now: i64, expires_at: i64) -> StoreResult<()> {
        // An expired session stays expired: touching cannot revive it.
        sqlx::query(
            "UPDATE sessions SET last_seen_at = ?, expires_at = ? \
             WHERE id_hash = ? AND expires_at > ?",
        )
        .bind(now)
        .bind(expires_at)
        .bind(id_hash)
        .bind(now)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn end_session(&self, ctx: &AuditCtx, id_hash: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let ended: Option<(String,)> =
            sqlx::query_as("DELETE FROM sessions WHERE id_hash = ? RETURNING user_id")
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
        let purged = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(purged.rows_affected())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.reader)
            .await
            .map_err(db)?;
        Ok(count as u64)
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn audit(&self, ctx: &AuditCtx, record: NewAudit) -> StoreResult<AuditRecord> {
        let mut tx = self.write().await?;
        let record = append_audit(&mut tx, ctx, record).await?;
        tx.commit().await.map_err(db)?;
        Ok(record)
    }

    async fn audit_query(&self, query: &AuditQuery, page: Page) -> StoreResult<Paged<AuditRecord>> {
        let page = clamp(page);
        let mut tx = self.reader.begin().await.map_err(db)?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM audit_log");
        push_audit_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Sqlite>::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log"));
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
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        convert_all(rows)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = migrate::migrator()
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        migrator
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_files_and_refuse_memory() {
        assert_eq!(
            file_path("sqlite://data/yiwang.db").unwrap(),
            PathBuf::from("data/yiwang.db")
        );
        assert_eq!(
            file_path("sqlite:///var/lib/yiwang.db?mode=rwc").unwrap(),
            PathBuf::from("/var/lib/yiwang.db")
        );
        assert_eq!(
            file_path("sqlite:yiwang.db").unwrap(),
            PathBuf::from("yiwang.db")
        );
        for bad in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://",
            "sqlite://x.db?mode=memory",
            "postgres://localhost/yiwang",
        ] {
            assert!(file_path(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(escape_like("张三"), "张三");
    }

    #[test]
    fn prefix_successor_bounds_exactly_the_prefix() {
        assert_eq!(prefix_successor("account.").as_deref(), Some("account/"));
        assert_eq!(prefix_successor("a\u{d7ff}").as_deref(), Some("a\u{e000}"));
        assert_eq!(
            prefix_successor("a\u{10ffff}").as_deref(),
            Some("b"),
            "a maximal last character carries into the one before"
        );
        assert_eq!(prefix_successor("\u{10ffff}"), None);
        assert_eq!(prefix_successor(""), None);
        for s in ["account.", "account.x", "account.\u{10ffff}zz"] {
            assert!(("account.".."account/").contains(&s));
        }
        assert!("account" < "account.");
        assert!("account/x" >= "account/");
    }

    /// The file, its parent directories and its WAL appear on open, and the
    /// pragmas the module promises are in force on both pools.
    #[tokio::test]
    async fn open_creates_the_file_with_durable_settings() {
        let (_, dir) = testing::fresh().await;
        let path = dir.path().join("deeper/still/yiwang.db");
        let store = SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert!(path.exists());
        for pool in [&store.writer, &store.reader] {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            // 2 = FULL.
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(sync, 2);
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(fk, 1);
            let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(busy, BUSY_TIMEOUT.as_millis() as i64);
        }
        let err = sqlx::query("CREATE TABLE t (x)")
            .execute(&store.reader)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        // The writer leaves checkpoints to the checkpointer and keeps
        // statement journals in memory.
        let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(auto, 0);
        let temp: i64 = sqlx::query_scalar("PRAGMA temp_store")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(temp, 2, "2 = MEMORY");
    }

    /// A checkpoint round copies a long WAL back into the database, after
    /// which the next commit starts the WAL from its beginning (with
    /// automatic checkpoints off, nothing else would), and the data reads
    /// back.
    #[tokio::test]
    async fn a_checkpoint_round_brings_a_long_wal_back_to_its_start() {
        let (store, _dir) = testing::fresh().await;
        sqlx::query("CREATE TABLE filler (x BLOB)")
            .execute(&store.writer)
            .await
            .unwrap();
        // Each row fills a page of its own: past RESET_PAGES in the WAL.
        let rows = checkpoint::RESET_PAGES + 100;
        let mut tx = store.write().await.unwrap();
        for _ in 0..rows {
            sqlx::query("INSERT INTO filler VALUES (zeroblob(3500))")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        // The store's own checkpointer may have run the same round already.
        checkpoint::checkpoint(&store.checkpointer, &store.writer)
            .await
            .unwrap();
        sqlx::query("INSERT INTO filler VALUES (zeroblob(10))")
            .execute(&store.writer)
            .await
            .unwrap();
        let (_, after, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&store.checkpointer)
            .await
            .unwrap();
        assert!(after < 10, "the WAL did not restart: {after} pages");
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM filler")
            .fetch_one(&store.reader)
            .await
            .unwrap();
        assert_eq!(n, rows + 1);
    }

    /// Committed data survives closing and reopening the file.
    #[tokio::test]
    async fn data_survives_reopening() {
        let (store, dir) = testing::fresh().await;
        let ctx = AuditCtx::system("test", 1);
        store
            .audit(&ctx, NewAudit::new("test.persist", "thing", "1"))
            .await
            .unwrap();
        store.close().await;
        let url = format!("sqlite://{}", dir.path().join(testing::DB_FILE).display());
        let reopened = SqliteStore::open(&url).await.unwrap();
        reopened.migrate().await.unwrap();
        let records = reopened.audit_after(0, 10).await.unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].action, "test.persist");
    }

    /// The audit log refuses edits and deletions outright.
    #[tokio::test]
    async fn audit_log_is_append_only() {
        let (store, _dir) = testing::fresh().await;
        let ctx = AuditCtx::system("test", 1);
        store
            .audit(&ctx, NewAudit::new("test.one", "thing", "1"))
            .await
            .unwrap();
        for sql in [
            "UPDATE audit_log SET actor_name = 'mallory'",
            "DELETE FROM audit_log",
        ] {
            let err = sqlx::query(sql).execute(&store.writer).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(
            store.audit_after(0, 10).await.unwrap()[0].actor_name,
            "test"
        );
    }
}
