//! A fresh database for tests, in this crate and in the crates above it.
//!
//! [`fresh`] connects to the server named by `YIWANG_TEST_POSTGRES_URL`
//! (default [`DEFAULT_ADMIN_URL`]) as a user that may create databases,
//! creates a brand-new database `yiwang_t_<uuid>`, migrates it and returns a
//! store on it, so tests run in parallel without seeing each other's rows.
//!
//! The returned [`TestDatabase`] drops the database when it is dropped. A
//! test process that is killed never runs that drop, so the first [`fresh`]
//! of every process also drops the `yiwang_t_*` databases left over from
//! runs more than an hour ago; the UUIDv7 in each name records when it was
//! made. An hour is far longer than any test run, so a concurrent run's
//! databases are never touched.
//!
//! When the server cannot be reached, [`fresh`] panics with a message that
//! says which server and how to point the tests elsewhere: a PostgreSQL test
//! never passes by quietly skipping.
//!
//! Needs no extra dependencies, so it is always compiled rather than hidden
//! behind a feature.

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;
use yiwang_store::Store;

use crate::PgStore;

/// Where the tests find PostgreSQL: a URL whose user may create and drop
/// databases.
pub const ADMIN_URL_ENV: &str = "YIWANG_TEST_POSTGRES_URL";

/// The server the tests use when [`ADMIN_URL_ENV`] is not set.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Every test database's name starts with this.
pub const DB_PREFIX: &str = "yiwang_t_";

/// Leftover test databases older than this are dropped.
const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// Connections in a test store's pool: enough for the concurrency tests,
/// few enough that parallel tests stay under the server's limit.
const TEST_POOL_SIZE: u32 = 5;

/// Whether this process has already swept stale databases.
static SWEPT: AtomicBool = AtomicBool::new(false);

/// A throw-away database, dropped (with any connections still open to it)
/// when this guard is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    admin: PgConnectOptions,
}

impl TestDatabase {
    /// The database's name, `yiwang_t_<uuid>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Options that connect to this database, for a second store on it.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.admin.clone().database(&self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop may run inside an async runtime, which must not be blocked
        // on; a thread of its own with its own runtime can be.
        let name = self.name.clone();
        let admin = self.admin.clone();
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = admin.connect().await.map_err(|e| e.to_string())?;
                drop_database(&mut conn, &name)
                    .await
                    .map_err(|e| e.to_string())?;
                conn.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!(
                "warning: test database {} was not dropped ({e}); a later run drops it",
                self.name
            ),
            Err(_) => eprintln!(
                "warning: dropping test database {} panicked; a later run drops it",
                self.name
            ),
        }
    }
}

/// The admin URL the tests use.
pub fn admin_url() -> String {
    std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// A new, migrated store on a brand-new database. Keep the guard alive as
/// long as the store is used.
///
/// # Panics
///
/// When PostgreSQL cannot be reached or the database cannot be created or
/// migrated: a test cannot go on, and must not pretend to pass.
pub async fn fresh() -> (PgStore, TestDatabase) {
    let url = admin_url();
    let admin = PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("{ADMIN_URL_ENV} is not a PostgreSQL URL: {e}"));
    let server = format!(
        "{}@{}:{}",
        admin.get_username(),
        admin.get_host(),
        admin.get_port()
    );
    let mut conn = admin.connect().await.unwrap_or_else(|e| {
        panic!(
            "cannot reach PostgreSQL as {server} for the storage tests: {e}\n\
             Start PostgreSQL there, or set {ADMIN_URL_ENV} to a URL whose user may \
             create databases."
        )
    });
    if !SWEPT.swap(true, Ordering::SeqCst) {
        drop_stale(&mut conn).await;
    }
    let name = format!("{DB_PREFIX}{}", Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name} as {server}: {e}"));
    // Closing is a courtesy to the server; the database exists either way.
    let _ = conn.close().await;
    // From here on the guard exists, so a failure below still drops it.
    let guard = TestDatabase { name, admin };
    let store = PgStore::connect_with(guard.connect_options(), TEST_POOL_SIZE)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", guard.name));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("cannot migrate {}: {e}", guard.name));
    (store, guard)
}

/// A second store on `db` with a pool of its own: what another server
/// process sharing the database would have.
///
/// # Panics
///
/// When the database cannot be reached.
pub async fn another_store(db: &TestDatabase) -> PgStore {
    PgStore::connect_with(db.connect_options(), TEST_POOL_SIZE)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {} again: {e}", db.name))
}

/// Drops a database, closing any connections still open to it.
async fn drop_database(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(conn)
        .await
        .map(|_| ())
}

/// When a test database was made, from the UUIDv7 in its name.
fn created_at(name: &str) -> Option<SystemTime> {
    let uuid = Uuid::try_parse(name.strip_prefix(DB_PREFIX)?).ok()?;
    let (secs, nanos) = uuid.get_timestamp()?.to_unix();
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// Whether a database is a test database made before `now - STALE_AFTER`.
fn is_stale(name: &str, now: SystemTime) -> bool {
    created_at(name).is_some_and(|made| now.duration_since(made).is_ok_and(|age| age > STALE_AFTER))
}

/// Drops test databases left behind by runs that were killed.
async fn drop_stale(conn: &mut PgConnection) {
    let names: Vec<String> =
        match sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(DB_PREFIX)
            .fetch_all(&mut *conn)
            .await
        {
            Ok(names) => names,
            Err(e) => {
                eprintln!("warning: cannot list leftover test databases: {e}");
                return;
            }
        };
    let now = SystemTime::now();
    for name in names.iter().filter(|name| is_stale(name, now)) {
        // Another process may be dropping it too; that is fine.
        if let Err(e) = drop_database(conn, name).await {
            eprintln!("warning: cannot drop leftover test database {name}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staleness_comes_from_the_name() {
        let now = SystemTime::now();
        let fresh_name = format!("{DB_PREFIX}{}", Uuid::now_v7().simple());
        assert!(!is_stale(&fresh_name, now));
        assert!(is_stale(
            &fresh_name,
            now + STALE_AFTER + Duration::from_secs(1)
        ));
        // Not ours, or not a v7 name: never touched.
        assert!(!is_stale("yiwang", now + STALE_AFTER * 100));
        assert!(!is_stale(
            &format!(
                "{DB_PREFIX}{}",
                Uuid::from_u128(0x0e5f3c1a_2b3c_4d5e_8f6a_7b8c9d0e1f2a).simple()
            ),
            now + STALE_AFTER * 100
        ));
        assert!(!is_stale("yiwang_t_not-a-uuid", now + STALE_AFTER * 100));
    }

    /// The guard really drops its database, and the sweep drops an old one
    /// while leaving a recent one alone.
    #[tokio::test]
    async fn databases_are_dropped() {
        async fn exists(name: &str) -> bool {
            let mut conn = PgConnectOptions::from_str(&admin_url())
                .unwrap()
                .connect()
                .await
                .unwrap();
            let found: Option<i32> =
                sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(name)
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
            found.is_some()
        }

        let (store, guard) = fresh().await;
        let name = guard.name().to_owned();
        assert!(name.starts_with(DB_PREFIX));
        assert!(exists(&name).await);
        // Dropped even while the store's connections are still open.
        store.ping().await.unwrap();
        drop(guard);
        assert!(!exists(&name).await);

        // A database named as if made two hours ago is swept; a new one
        // is not.
        let two_hours_ago = SystemTime::now() - 2 * STALE_AFTER;
        let since_epoch = two_hours_ago.duration_since(UNIX_EPOCH).unwrap();
        let ts = uuid::Timestamp::from_unix(
            uuid::NoContext,
            since_epoch.as_secs(),
            since_epoch.subsec_nanos(),
        );
        let old = format!("{DB_PREFIX}{}", Uuid::new_v7(ts).simple());
        let recent = format!("{DB_PREFIX}{}", Uuid::now_v7().simple());
        let mut conn = PgConnectOptions::from_str(&admin_url())
            .unwrap()
            .connect()
            .await
            .unwrap();
        for name in [&old, &recent] {
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        drop_stale(&mut conn).await;
        assert!(!exists(&old).await);
        assert!(exists(&recent).await);
        drop_database(&mut conn, &recent).await.unwrap();
        assert!(!exists(&recent).await);
    }
}
