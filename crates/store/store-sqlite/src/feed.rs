//! The event logs' change feed on SQLite: within the process.
//!
//! One SQLite file is served by one process, so the store announces the
//! appends it commits itself: [`SqliteStore`](crate::SqliteStore) and its
//! clones share one broadcast channel, and
//! [`ExchangeStore::append_events`](yiwang_store::ExchangeStore::append_events)
//! sends a notice per listing whose log grew once its transaction has
//! committed. Another process writing the same file (`yiwang migrate`, a
//! second server) is not heard; servers that share their data run on
//! PostgreSQL.
//!
//! A subscriber that falls more than [`CAPACITY`] notices behind hears
//! [`AppendNotice::Lost`] and re-reads what it holds.

use async_trait::async_trait;
use tokio::sync::broadcast;
use yiwang_store::exchange::{AppendFeed, AppendNotice};
use yiwang_store::{StoreError, StoreResult};

/// Notices a subscriber may fall behind by before it is told it lost some.
pub(crate) const CAPACITY: usize = 4096;

/// A subscription to the store's own appends.
pub(crate) struct SqliteAppendFeed {
    pub(crate) notices: broadcast::Receiver<AppendNotice>,
}

#[async_trait]
impl AppendFeed for SqliteAppendFeed {
    async fn next(&mut self) -> StoreResult<AppendNotice> {
        match self.notices.recv().await {
            Ok(notice) => Ok(notice),
            Err(broadcast::error::RecvError::Lagged(_)) => Ok(AppendNotice::Lost),
            Err(broadcast::error::RecvError::Closed) => Err(StoreError::Backend(
                "the store was closed: no more appends".into(),
            )),
        }
    }
}
