//! The event logs' change feed on PostgreSQL: `LISTEN`/`NOTIFY`.
//!
//! [`ExchangeStore::append_events`](yiwang_store::ExchangeStore::append_events)
//! sends one `NOTIFY` on [`APPENDS_CHANNEL`] per listing whose log grew, in
//! its own transaction, so PostgreSQL delivers it only when the entries are
//! committed, to every connection listening, in every process. The payload
//! is the listing's id and its new head `seq`, separated by a space
//! ([`payload`]).
//!
//! [`PgAppendFeed`] listens on a connection of its own, taken from the
//! store's pool and kept. Notifications sent while that connection is down
//! are lost for good, so every reconnection is reported as
//! [`AppendNotice::Lost`], and only after the new connection listens: a
//! follower that then re-reads the logs misses nothing.

use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool};
use uuid::Uuid;
use yiwang_store::exchange::{AppendFeed, AppendNotice};
use yiwang_store::StoreResult;

use crate::db;

/// The channel the appends are announced on.
pub(crate) const APPENDS_CHANNEL: &str = "yiwang_appends";

/// The notification payload announcing that `listing_id`'s log now ends at
/// `head_seq`.
pub(crate) fn payload(listing_id: Uuid, head_seq: i64) -> String {
    format!("{listing_id} {head_seq}")
}

/// Reads a payload [`payload`] wrote; `None` for anything else.
fn parse(payload: &str) -> Option<AppendNotice> {
    let (id, seq) = payload.split_once(' ')?;
    Some(AppendNotice::Appended {
        listing_id: Uuid::try_parse(id).ok()?,
        head_seq: seq.parse().ok()?,
    })
}

/// A subscription: a listening connection, or none after a failure (the
/// next call listens again).
pub(crate) struct PgAppendFeed {
    pool: PgPool,
    listener: Option<PgListener>,
}

impl PgAppendFeed {
    /// Listens on a connection from `pool`; returns once `LISTEN` is done.
    pub(crate) async fn subscribe(pool: &PgPool) -> StoreResult<PgAppendFeed> {
        Ok(PgAppendFeed {
            pool: pool.clone(),
            listener: Some(listen(pool).await?),
        })
    }
}

async fn listen(pool: &PgPool) -> StoreResult<PgListener> {
    let mut listener = PgListener::connect_with(pool).await.map_err(db)?;
    listener.listen(APPENDS_CHANNEL).await.map_err(db)?;
    Ok(listener)
}

#[async_trait]
impl AppendFeed for PgAppendFeed {
    async fn next(&mut self) -> StoreResult<AppendNotice> {
        let Some(listener) = self.listener.as_mut() else {
            // The last call failed: listen afresh, then own up to the gap.
            self.listener = Some(listen(&self.pool).await?);
            return Ok(AppendNotice::Lost);
        };
        // After a lost connection `try_recv` reconnects and listens again
        // before it answers `None`.
        match listener.try_recv().await {
            Ok(Some(notification)) => Ok(parse(notification.payload()).unwrap_or_else(|| {
                tracing::warn!(
                    payload = notification.payload(),
                    "unexpected notification on the appends channel"
                );
                AppendNotice::Lost
            })),
            Ok(None) => Ok(AppendNotice::Lost),
            Err(e) => {
                self.listener = None;
                Err(db(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let id = Uuid::now_v7();
        assert_eq!(
            parse(&payload(id, 42)),
            Some(AppendNotice::Appended {
                listing_id: id,
                head_seq: 42
            })
        );
        assert_eq!(parse(""), None);
        assert_eq!(parse(&id.to_string()), None);
        assert_eq!(parse(&format!("{id} x")), None);
        assert_eq!(parse("not-a-uuid 3"), None);
    }
}
