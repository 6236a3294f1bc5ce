//! The audit log and its hash chain.
//!
//! Every state change appends one [`AuditRecord`] in the same transaction as
//! the change. Each record carries the hash of the record before it, so a
//! record that is altered, removed or inserted afterwards breaks the chain at
//! that point; [`ChainVerifier`] finds the first broken link.

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who is acting, from where, and when: passed to every state-changing call.
#[derive(Debug, Clone)]
pub struct AuditCtx {
    /// The account acting; `None` for the public, the system or the CLI.
    pub actor_id: Option<Uuid>,
    /// A readable name for the actor (username, `system`, `cli`, `bank`…).
    pub actor_name: String,
    /// The client's address as the server saw it.
    pub client_addr: Option<String>,
    /// The server time of the action, µs since the Unix epoch.
    pub at: i64,
}

impl AuditCtx {
    /// An action taken by Yiwang itself (timers, the demo loader, the CLI).
    pub fn system(actor_name: &str, at: i64) -> AuditCtx {
        AuditCtx {
            actor_id: None,
            actor_name: actor_name.to_owned(),
            client_addr: None,
            at,
        }
    }
}

/// What happened, to be recorded.
#[derive(Debug, Clone)]
pub struct NewAudit {
    /// A stable dotted code, e.g. `account.register`, `session.login`.
    pub action: String,
    /// The kind of object acted on, e.g. `user`, `enterprise`, `notice`.
    pub object_kind: String,
    pub object_id: String,
    /// Details as JSON; never secrets (no passwords, no hashes, no reserve).
    pub detail: serde_json::Value,
}

impl NewAudit {
    pub fn new(action: &str, object_kind: &str, object_id: impl ToString) -> NewAudit {
        NewAudit {
            action: action.to_owned(),
            object_kind: object_kind.to_owned(),
            object_id: object_id.to_string(),
            detail: serde_json::Value::Null,
        }
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> NewAudit {
        self.detail = detail;
        self
    }
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    /// 1, 2, 3, … with no gaps.
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    /// JSON text.
    pub detail: String,
    pub client_addr: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for the audit page.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Substring of the actor's name.
    pub actor: Option<String>,
    /// Prefix of the action code (`account.` finds every account action).
    pub action: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// Half-open `[from, to)` in µs.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// The hash of a record: SHA-256, in lowercase hex, over the previous hash
/// and the record's fields serialised as a JSON array (an unambiguous,
/// language-neutral encoding anyone can recompute).
#[allow(clippy::too_many_arguments)]
pub fn record_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor_id: Option<Uuid>,
    actor_name: &str,
    action: &str,
    object_kind: &str,
    object_id: &str,
    detail: &str,
    client_addr: Option<&str>,
) -> String {
    let fields = serde_json::json!([
        prev_hash,
        seq,
        at,
        actor_id.map(|id| id.to_string()),
        actor_name,
        action,
        object_kind,
        object_id,
        detail,
        client_addr,
    ]);
    hex::encode(Sha256::digest(fields.to_string().as_bytes()))
}

impl AuditRecord {
    /// The hash this record should carry, recomputed from its fields.
    pub fn expected_hash(&self) -> String {
        record_hash(
            &self.prev_hash,
            self.seq,
            self.at,
            self.actor_id,
            &self.actor_name,
            &self.action,
            &self.object_kind,
            &self.object_id,
            &self.detail,
            self.client_addr.as_deref(),
        )
    }
}

/// Where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    #[error("record {seq}: expected sequence number {expected}")]
    Gap { seq: i64, expected: i64 },
    #[error("record {seq}: prev_hash does not match the hash of record {}", seq - 1)]
    PrevHash { seq: i64 },
    #[error("record {seq}: its hash does not match its contents")]
    Hash { seq: i64 },
}

/// Walks records in ascending order and checks each link. Feed it
/// successive batches; it remembers where the previous batch ended.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// Checks the next record.
    pub fn check(&mut self, record: &AuditRecord) -> Result<(), BrokenLink> {
        if record.seq != self.next_seq {
            return Err(BrokenLink::Gap {
                seq: record.seq,
                expected: self.next_seq,
            });
        }
        if record.prev_hash != self.prev_hash {
            return Err(BrokenLink::PrevHash { seq: record.seq });
        }
        if record.hash != record.expected_hash() {
            return Err(BrokenLink::Hash { seq: record.seq });
        }
        self.next_seq += 1;
        self.prev_hash = record.hash.clone();
        Ok(())
    }

    /// How many records have been checked.
    pub fn checked(&self) -> i64 {
        self.next_seq - 1
    }

    /// The hash of the last record checked (the chain head).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut r = AuditRecord {
                    seq,
                    at: 1_700_000_000_000_000 + seq,
                    actor_id: None,
                    actor_name: "admin".into(),
                    action: "account.create_staff".into(),
                    object_kind: "user".into(),
                    object_id: format!("u{seq}"),
                    detail: "{\"role\":\"grid_worker\"}".into(),
                    client_addr: Some("127.0.0.1".into()),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                r.hash = r.expected_hash();
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn verify(records: &[AuditRecord]) -> Result<i64, BrokenLink> {
        let mut v = ChainVerifier::default();
        for r in records {
            v.check(r)?;
        }
        Ok(v.checked())
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(5)), Ok(5));
        assert_eq!(verify(&[]), Ok(0));
    }

    #[test]
    fn an_edited_record_breaks_its_own_hash() {
        let mut c = chain(5);
        c[2].actor_name = "someone-else".into();
        assert_eq!(verify(&c), Err(BrokenLink::Hash { seq: 3 }));
    }

    #[test]
    fn a_rehashed_edit_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].detail = "{}".into();
        c[2].hash = c[2].expected_hash();
        assert_eq!(verify(&c), Err(BrokenLink::PrevHash { seq: 4 }));
    }

    #[test]
    fn a_removed_record_is_a_gap() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify(&c),
            Err(BrokenLink::Gap {
                seq: 3,
                expected: 2
            })
        );
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = chain(1).remove(0);
        let mut variants = Vec::new();
        let mut r = base.clone();
        r.at += 1;
        variants.push(r);
        let mut r = base.clone();
        r.actor_id = Some(Uuid::nil());
        variants.push(r);
        let mut r = base.clone();
        r.action = "x".into();
        variants.push(r);
        let mut r = base.clone();
        r.object_kind = "x".into();
        variants.push(r);
        let mut r = base.clone();
        r.object_id = "x".into();
        variants.push(r);
        let mut r = base.clone();
        r.client_addr = None;
        variants.push(r);
        for v in variants {
            assert_ne!(v.expected_hash(), base.hash, "{v:?}");
        }
    }
}
