//! WAL checkpoints off the commit path.
//!
//! In WAL mode a commit appends pages to the `-wal` file; a *checkpoint*
//! copies them back into the database file and syncs it. SQLite's default
//! is an automatic checkpoint run by the connection whose commit takes the
//! WAL past 1,000 pages, inside that commit. On the single writer every
//! write queues behind that copy and its fsync, so a steady stream of bids
//! sees a stall of tens of milliseconds every few hundred milliseconds.
//!
//! The writer therefore runs with `wal_autocheckpoint=0`, and a task of its
//! own ([`spawn`]) checkpoints every [`INTERVAL`]:
//!
//! 1. a `PASSIVE` checkpoint from a connection of its own, beside the
//!    writer: it copies every frame committed so far that no reader still
//!    needs, and neither waits for nor blocks the writer or the readers;
//! 2. when the WAL has grown past [`RESET_PAGES`], a second passive
//!    checkpoint on the writer's connection, taken from its pool like any
//!    write. Only the frames committed while step 1 ran are left to copy,
//!    so writes wait for a short copy and one sync of the database file,
//!    and once it is done every frame has been copied: the next commit
//!    starts the WAL from its beginning, and `journal_size_limit` trims the
//!    file it leaves. Without this step a steady stream of commits would
//!    never leave a moment when everything is copied, and the WAL would
//!    grow for as long as the stream lasts.
//!
//! Durability is unchanged: a commit is durable once its WAL frames are
//! synced (`synchronous=FULL`); checkpoints only move durable pages.
//!
//! The task ends when the last clone of the store is dropped or the store
//! is closed.

use std::sync::Weak;
use std::time::Duration;

use sqlx::SqlitePool;

/// How often the WAL is checkpointed.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// WAL pages (4 KiB each) past which the WAL is brought back to its
/// beginning (step 2): 32 MiB.
pub const RESET_PAGES: i64 = 8_192;

/// The size, in bytes, the WAL file is trimmed to once it restarts.
pub const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Starts the checkpointer: `pool` is its own connection, `writer` the
/// store's writer pool. It runs while `alive` can be upgraded and the
/// pools are open.
pub fn spawn(pool: SqlitePool, writer: SqlitePool, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if pool.is_closed() || writer.is_closed() || alive.upgrade().is_none() {
                break;
            }
            if let Err(e) = checkpoint(&pool, &writer).await {
                if pool.is_closed() || writer.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "WAL checkpoint failed; trying again");
            }
        }
        pool.close().await;
    });
}

/// One round (steps 1 and 2 above). Returns the WAL's length in pages
/// before the round.
pub async fn checkpoint(pool: &SqlitePool, writer: &SqlitePool) -> Result<i64, sqlx::Error> {
    let (_, wal_pages, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    if wal_pages > RESET_PAGES {
        let mut conn = writer.acquire().await?;
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&mut *conn)
            .await?;
    }
    Ok(wal_pages)
}
