//! The exchange's tables on SQLite (see `yiwang_store::exchange` for the
//! contract).
//!
//! # How appends are serialised
//!
//! Like every write, [`ExchangeStore::append_events`] runs on the single
//! writer connection in a `BEGIN IMMEDIATE` transaction, so no other write —
//! from this process or, through SQLite's lock, from another — runs between
//! checking a listing's head and moving it. Within that transaction the
//! usual batch, where every part still fits its head, takes two statements
//! whatever its size (`append_expected`): one moves each head only where it
//! is still what its part expects and counts the heads moved, one writes
//! the entries and participants. When a head has moved, that transaction is
//! rolled back and a second one reads the heads of the batch's listings
//! (one query per [`CHUNK`] of them), judges each part against them, and
//! writes the parts that still fit with a few multi-row statements.
//! The commit is one WAL write and, with `synchronous=FULL`, one fsync for
//! the whole batch. The `(listing_id, seq)` primary key backs the head check
//! up. Once it has committed, the logs that grew are announced on the
//! store's change feed (the `feed` module).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use serde_json::json;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use uuid::Uuid;
use yiwang_store::audit::GENESIS_HASH;
use yiwang_store::exchange::{AppendFeed, AppendNotice, RequestClaim};
use yiwang_store::exchange::{
    AppendOutcome, BankTxn, BankTxnOutcome, BankTxnQuery, BankTxnRow, DepositAccountRow,
    EnterpriseListing, EventRow, ExchangeStore, IneligibleKind, IneligibleQuery, IneligibleRow,
    ListingAppend, ListingQuery, ListingRow, LogHead, NewDepositAccount, NewIneligible, NewListing,
    NewNotice, NewSupplement, NoticeEdit, NoticeQuery, NoticeRow, NoticeStatus, Participant,
    Recorded, SupplementRow,
};
use yiwang_store::exchange::{DepositRefundRow, NewDepositRefund};
use yiwang_store::exchange::{ListingSecretRow, NewListingSecret, SecretKind, SecretPut};
use yiwang_store::{AuditCtx, NewAudit, Page, Paged, StoreError, StoreResult};

use crate::rows::{convert_all, parse_uuid};
use crate::{append_audit, clamp, conflict_or_db, db, escape_like, feed, SqliteStore, Tx};

/// Rows per multi-row statement. Each statement's SQL text is cached by
/// sqlx, so full chunks reuse one prepared statement; 256 rows of at most
/// 7 values stay far below SQLite's limit of 32,766 bound variables. Every
/// statement is a round trip to the connection's thread, so a batch for a
/// thousand listings takes a dozen, not fifty.
const CHUNK: usize = 256;

const NOTICE_COLUMNS: &str = "id, number, title, status, body_json, version, created_by, \
     created_at, updated_at, published_at, terminated_at, termination_reason";

const SUPPLEMENT_COLUMNS: &str = "id, notice_id, number, text, published_at, created_at";

const LISTING_COLUMNS: &str = "listings.id, listings.notice_id, listings.code, \
     listings.location, listings.land_use, listings.district, listings.start_price_fen, \
     listings.listing_start, listings.listing_end, listings.application_start, \
     listings.application_deadline, listings.rules_json, listings.summary_json, \
     listings.status, listings.decided_at, listings.created_at";

const INELIGIBLE_COLUMNS: &str = "id, credit_code, name, kind, reason, listed_from, \
     listed_until, lifted_at, created_at";

const DEPOSIT_COLUMNS: &str = "account_no, listing_id, application_ref, enterprise_id, created_at";

const BANK_COLUMNS: &str = "bank_txn_id, account_no, listing_id, enterprise_id, amount_fen, \
     payer_name, payer_account, received_at, raw_body, recorded_at, outcome, refund_due_at, \
     refunded_at";

const EVENT_COLUMNS: &str = "seq, at, kind, payload, prev_hash, hash";

fn parse_opt_uuid(column: &str, text: Option<String>) -> StoreResult<Option<Uuid>> {
    text.map(|t| parse_uuid(column, &t)).transpose()
}

fn state_conflict() -> StoreError {
    StoreError::Conflict { field: "status" }
}

#[derive(Debug, sqlx::FromRow)]
struct NoticeDbRow {
    id: String,
    number: String,
    title: String,
    status: String,
    body_json: String,
    version: i64,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
    published_at: Option<i64>,
    terminated_at: Option<i64>,
    termination_reason: Option<String>,
}

impl TryFrom<NoticeDbRow> for NoticeRow {
    type Error = StoreError;

    fn try_from(row: NoticeDbRow) -> StoreResult<NoticeRow> {
        let status = NoticeStatus::from_code(&row.status).ok_or_else(|| {
            StoreError::Corrupt(format!("notices.status {:?} is no status", row.status))
        })?;
        Ok(NoticeRow {
            id: parse_uuid("notices.id", &row.id)?,
            number: row.number,
            title: row.title,
            status,
            body_json: row.body_json,
            version: row.version,
            created_by: parse_opt_uuid("notices.created_by", row.created_by)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            published_at: row.published_at,
            terminated_at: row.terminated_at,
            termination_reason: row.termination_reason,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct SupplementDbRow {
    id: String,
    notice_id: String,
    number: String,
    text: String,
    published_at: i64,
    created_at: i64,
}

impl TryFrom<SupplementDbRow> for SupplementRow {
    type Error = StoreError;

    fn try_from(row: SupplementDbRow) -> StoreResult<SupplementRow> {
        Ok(SupplementRow {
            id: parse_uuid("notice_supplements.id", &row.id)?,
            notice_id: parse_uuid("notice_supplements.notice_id", &row.notice_id)?,
            number: row.number,
            text: row.text,
            published_at: row.published_at,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct ListingDbRow {
    id: String,
    notice_id: String,
    code: String,
    location: String,
    land_use: String,
    district: String,
    start_price_fen: i64,
    listing_start: i64,
    listing_end: i64,
    application_start: i64,
    application_deadline: i64,
    rules_json: String,
    summary_json: String,
    status: String,
    decided_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<ListingDbRow> for ListingRow {
    type Error = StoreError;

    fn try_from(row: ListingDbRow) -> StoreResult<ListingRow> {
        Ok(ListingRow {
            id: parse_uuid("listings.id", &row.id)?,
            notice_id: parse_uuid("listings.notice_id", &row.notice_id)?,
            code: row.code,
            location: row.location,
            land_use: row.land_use,
            district: row.district,
            start_price_fen: row.start_price_fen,
            listing_start: row.listing_start,
            listing_end: row.listing_end,
            application_start: row.application_start,
            application_deadline: row.application_deadline,
            rules_json: row.rules_json,
            summary_json: row.summary_json,
            status: row.status,
            decided_at: row.decided_at,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct IneligibleDbRow {
    id: String,
    credit_code: String,
    name: String,
    kind: String,
    reason: String,
    listed_from: i64,
    listed_until: Option<i64>,
    lifted_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<IneligibleDbRow> for IneligibleRow {
    type Error = StoreError;

    fn try_from(row: IneligibleDbRow) -> StoreResult<IneligibleRow> {
        let kind = IneligibleKind::from_code(&row.kind).ok_or_else(|| {
            StoreError::Corrupt(format!("ineligible_parties.kind {:?} is no kind", row.kind))
        })?;
        Ok(IneligibleRow {
            id: parse_uuid("ineligible_parties.id", &row.id)?,
            credit_code: row.credit_code,
            name: row.name,
            kind,
            reason: row.reason,
            listed_from: row.listed_from,
            listed_until: row.listed_until,
            lifted_at: row.lifted_at,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct DepositDbRow {
    account_no: String,
    listing_id: String,
    application_ref: String,
    enterprise_id: String,
    created_at: i64,
}

impl TryFrom<DepositDbRow> for DepositAccountRow {
    type Error = StoreError;

    fn try_from(row: DepositDbRow) -> StoreResult<DepositAccountRow> {
        Ok(DepositAccountRow {
            account_no: row.account_no,
            listing_id: parse_uuid("deposit_accounts.listing_id", &row.listing_id)?,
            application_ref: row.application_ref,
            enterprise_id: parse_uuid("deposit_accounts.enterprise_id", &row.enterprise_id)?,
            created_at: row.created_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct BankDbRow {
    bank_txn_id: String,
    account_no: String,
    listing_id: Option<String>,
    enterprise_id: Option<String>,
    amount_fen: i64,
    payer_name: String,
    payer_account: String,
    received_at: i64,
    raw_body: String,
    recorded_at: i64,
    outcome: Option<String>,
    refund_due_at: Option<i64>,
    refunded_at: Option<i64>,
}

impl TryFrom<BankDbRow> for BankTxnRow {
    type Error = StoreError;

    fn try_from(row: BankDbRow) -> StoreResult<BankTxnRow> {
        let outcome = row
            .outcome
            .map(|code| {
                BankTxnOutcome::from_code(&code).ok_or_else(|| {
                    StoreError::Corrupt(format!("bank_transactions.outcome {code:?} is no outcome"))
                })
            })
            .transpose()?;
        Ok(BankTxnRow {
            bank_txn_id: row.bank_txn_id,
            account_no: row.account_no,
            listing_id: parse_opt_uuid("bank_transactions.listing_id", row.listing_id)?,
            enterprise_id: parse_opt_uuid("bank_transactions.enterprise_id", row.enterprise_id)?,
            amount_fen: row.amount_fen,
            payer_name: row.payer_name,
            payer_account: row.payer_account,
            received_at: row.received_at,
            raw_body: row.raw_body,
            recorded_at: row.recorded_at,
            outcome,
            refund_due_at: row.refund_due_at,
            refunded_at: row.refunded_at,
        })
    }
}

const SECRET_COLUMNS: &str = "listing_id, kind, key, opening_json, created_at, created_by";

// No `Debug`: the row holds an opening.
#[derive(sqlx::FromRow)]
struct SecretDbRow {
    listing_id: String,
    kind: String,
    key: String,
    opening_json: String,
    created_at: i64,
    created_by: Option<String>,
}

impl TryFrom<SecretDbRow> for ListingSecretRow {
    type Error = StoreError;

    fn try_from(row: SecretDbRow) -> StoreResult<ListingSecretRow> {
        Ok(ListingSecretRow {
            listing_id: parse_uuid("listing_secrets.listing_id", &row.listing_id)?,
            kind: SecretKind::from_code(&row.kind).ok_or_else(|| {
                StoreError::Corrupt(format!("listing_secrets.kind {:?}", row.kind))
            })?,
            key: row.key,
            opening_json: row.opening_json,
            created_at: row.created_at,
            created_by: parse_opt_uuid("listing_secrets.created_by", row.created_by)?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct EventDbRow {
    seq: i64,
    at: i64,
    kind: String,
    payload: String,
    prev_hash: String,
    hash: String,
}

impl From<EventDbRow> for EventRow {
    fn from(row: EventDbRow) -> EventRow {
        EventRow {
            seq: row.seq,
            at: row.at,
            kind: row.kind,
            payload: row.payload,
            prev_hash: row.prev_hash,
            hash: row.hash,
        }
    }
}

/// A `LIKE … ESCAPE '\'` pattern matching `text` anywhere.
fn contains(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

fn push_notice_filters(qb: &mut QueryBuilder<'_, Sqlite>, query: &NoticeQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(status) = query.status {
        qb.push(" AND status = ").push_bind(status.code());
    }
    if let Some(search) = &query.search {
        let pattern = contains(search);
        qb.push(" AND (number LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR title LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
    if let Some(from) = query.published_from {
        qb.push(" AND published_at >= ").push_bind(from);
    }
    if let Some(to) = query.published_to {
        qb.push(" AND published_at < ").push_bind(to);
    }
}

fn push_listing_filters(qb: &mut QueryBuilder<'_, Sqlite>, query: &ListingQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(notice_id) = query.notice_id {
        qb.push(" AND listings.notice_id = ")
            .push_bind(notice_id.to_string());
    }
    if let Some(status) = &query.status {
        qb.push(" AND listings.status = ").push_bind(status.clone());
    }
    if let Some(land_use) = &query.land_use {
        qb.push(" AND listings.land_use LIKE ")
            .push_bind(contains(land_use))
            .push(" ESCAPE '\\'");
    }
    if let Some(district) = &query.district {
        qb.push(" AND listings.district = ")
            .push_bind(district.clone());
    }
    if let Some(min) = query.min_start_price_fen {
        qb.push(" AND listings.start_price_fen >= ").push_bind(min);
    }
    if let Some(max) = query.max_start_price_fen {
        qb.push(" AND listings.start_price_fen <= ").push_bind(max);
    }
    // [start, end) overlaps [from, to) when start < to and end > from.
    if let Some(from) = query.listing_from {
        qb.push(" AND listings.listing_end > ").push_bind(from);
    }
    if let Some(to) = query.listing_to {
        qb.push(" AND listings.listing_start < ").push_bind(to);
    }
    if let Some(search) = &query.search {
        let pattern = contains(search);
        qb.push(" AND (listings.code LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR listings.location LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn push_ineligible_filters(qb: &mut QueryBuilder<'_, Sqlite>, query: &IneligibleQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(code) = &query.credit_code {
        qb.push(" AND credit_code = ").push_bind(code.clone());
    }
    if let Some(kind) = query.kind {
        qb.push(" AND kind = ").push_bind(kind.code());
    }
    if let Some(at) = query.in_force_at {
        push_in_force(qb, at);
    }
    if let Some(search) = &query.search {
        let pattern = contains(search);
        qb.push(" AND (name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR credit_code LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// Entries in force at `at`: `[listed_from, listed_until)`, and not lifted
/// at or before `at`.
fn push_in_force(qb: &mut QueryBuilder<'_, Sqlite>, at: i64) {
    qb.push(" AND listed_from <= ")
        .push_bind(at)
        .push(" AND (listed_until IS NULL OR listed_until > ")
        .push_bind(at)
        .push(") AND (lifted_at IS NULL OR lifted_at > ")
        .push_bind(at)
        .push(")");
}

fn push_bank_filters(qb: &mut QueryBuilder<'_, Sqlite>, query: &BankTxnQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(listing_id) = query.listing_id {
        qb.push(" AND listing_id = ")
            .push_bind(listing_id.to_string());
    }
    if let Some(account_no) = &query.account_no {
        qb.push(" AND account_no = ").push_bind(account_no.clone());
    }
    if let Some(outcome) = query.outcome {
        qb.push(" AND outcome = ").push_bind(outcome.code());
    }
    match query.refund_pending {
        Some(true) => {
            qb.push(" AND refund_due_at IS NOT NULL AND refunded_at IS NULL");
        }
        Some(false) => {
            qb.push(" AND (refund_due_at IS NULL OR refunded_at IS NOT NULL)");
        }
        None => {}
    }
}

/// A notice read inside the writer's transaction.
async fn notice_in(conn: &mut SqliteConnection, id: Uuid) -> StoreResult<NoticeRow> {
    let row: Option<NoticeDbRow> = sqlx::query_as(&format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = ?"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

async fn bank_txn_in(conn: &mut SqliteConnection, bank_txn_id: &str) -> StoreResult<BankTxnRow> {
    let row: Option<BankDbRow> = sqlx::query_as(&format!(
        "SELECT {BANK_COLUMNS} FROM bank_transactions WHERE bank_txn_id = ?"
    ))
    .bind(bank_txn_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// The head changes one listing's parts of a batch make, merged.
#[derive(Debug, Default)]
struct HeadMove<'a> {
    seq: i64,
    hash: Option<&'a str>,
    summary_json: Option<&'a str>,
    status: Option<&'a str>,
    decided_at: Option<i64>,
}

/// The writes an append batch comes to, once every part is judged.
#[derive(Debug, Default)]
struct AppendPlan<'a> {
    outcomes: Vec<AppendOutcome>,
    events: Vec<(String, &'a EventRow)>,
    moves: BTreeMap<Uuid, HeadMove<'a>>,
    participants: BTreeSet<(Uuid, &'a Participant)>,
}

impl SqliteStore {
    /// After a commit: announces every log that grew on the change feed
    /// (the `feed` module). No subscriber is not an error.
    fn announce(&self, plan: &AppendPlan<'_>) {
        for (id, head_move) in &plan.moves {
            if head_move.hash.is_some() {
                let _ = self.appends.send(AppendNotice::Appended {
                    listing_id: *id,
                    head_seq: head_move.seq,
                });
            }
        }
    }
}

/// The usual append, in two statements whatever the batch's size: every
/// part's head is moved only where it still is what the part expects, and
/// the entries and participants are written only when every head moved.
///
/// The rows travel as one JSON array a table (`json_each`), so each
/// statement's text is the same for every batch and stays prepared, and a
/// batch for a thousand listings is two round trips to the connection's
/// thread instead of a dozen statements and a thousand head rows read
/// back. Needs each listing at most once in `batch` (the desk's committer
/// merges a listing's parts). Returns `None`, with the transaction to be
/// rolled back, when a head is not where its part expects: the caller
/// then reads the heads and judges each part ([`plan_appends`]).
async fn append_expected<'a>(
    tx: &mut Tx,
    batch: &'a [ListingAppend],
) -> StoreResult<Option<AppendPlan<'a>>> {
    let expected: HashMap<Uuid, LogHead> = batch
        .iter()
        .map(|part| {
            let hash = part
                .entries
                .first()
                .map(|e| e.prev_hash.clone())
                .unwrap_or_default();
            (
                part.listing_id,
                LogHead {
                    seq: part.expected_seq,
                    hash,
                },
            )
        })
        .collect();
    let plan = plan_appends(batch, expected)?;
    // [id, seq, hash, summary, status, decided_at, expected seq, expected
    // previous hash (null when the part adds no entry)]
    let moves = serde_json::to_string(
        &batch
            .iter()
            .map(|part| {
                let m = &plan.moves[&part.listing_id];
                (
                    part.listing_id,
                    m.seq,
                    m.hash,
                    m.summary_json,
                    m.status,
                    m.decided_at,
                    part.expected_seq,
                    part.entries.first().map(|e| e.prev_hash.as_str()),
                )
            })
            .collect::<Vec<_>>(),
    )
    .map_err(|e| StoreError::Backend(e.into()))?;
    let moved: i64 = sqlx::query_scalar(
        "UPDATE listings SET log_seq = m.value ->> 1, \
         log_hash = COALESCE(m.value ->> 2, listings.log_hash), \
         summary_json = COALESCE(m.value ->> 3, listings.summary_json), \
         status = COALESCE(m.value ->> 4, listings.status), \
         decided_at = COALESCE(m.value ->> 5, listings.decided_at) \
         FROM json_each(?1) AS m \
         WHERE listings.id = m.value ->> 0 AND listings.log_seq = m.value ->> 6 \
         AND (m.value ->> 7 IS NULL OR listings.log_hash = m.value ->> 7); \
         SELECT changes();",
    )
    .bind(moves)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    if moved != batch.len() as i64 {
        return Ok(None);
    }
    // [listing, seq, at, kind, payload, prev_hash, hash]
    let events = serde_json::to_string(
        &plan
            .events
            .iter()
            .map(|(id, e)| (id, e.seq, e.at, &e.kind, &e.payload, &e.prev_hash, &e.hash))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| StoreError::Backend(e.into()))?;
    let participants = serde_json::to_string(
        &plan
            .participants
            .iter()
            .map(|(id, p)| (id, p.enterprise_id, p.role.as_str()))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| StoreError::Backend(e.into()))?;
    sqlx::query(
        "INSERT INTO listing_events (listing_id, seq, at, kind, payload, prev_hash, hash) \
         SELECT e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, \
         e.value ->> 5, e.value ->> 6 FROM json_each(?1) AS e; \
         INSERT INTO listing_participants (listing_id, enterprise_id, role) \
         SELECT p.value ->> 0, p.value ->> 1, p.value ->> 2 FROM json_each(?2) AS p \
         WHERE true ON CONFLICT DO NOTHING;",
    )
    .bind(events)
    .bind(participants)
    .execute(&mut **tx)
    .await
    .map_err(conflict_or_db)?;
    Ok(Some(plan))
}

/// Judges every part of `batch` against the heads read in the transaction;
/// a part whose head moved is stale, a part that does not link to its head
/// refuses the batch.
fn plan_appends(
    batch: &[ListingAppend],
    mut heads: HashMap<Uuid, LogHead>,
) -> StoreResult<AppendPlan<'_>> {
    let mut plan = AppendPlan::default();
    for part in batch {
        let head = heads
            .get_mut(&part.listing_id)
            .ok_or(StoreError::NotFound)?;
        if head.seq != part.expected_seq {
            plan.outcomes
                .push(AppendOutcome::Stale { head_seq: head.seq });
            continue;
        }
        if let Some(first) = part.entries.first() {
            if first.prev_hash != head.hash {
                return Err(StoreError::Corrupt(format!(
                    "listing {}: entry {} does not link to the log's head",
                    part.listing_id, first.seq
                )));
            }
        }
        let id = part.listing_id.to_string();
        plan.events
            .extend(part.entries.iter().map(|entry| (id.clone(), entry)));
        let head_move = plan.moves.entry(part.listing_id).or_default();
        if let Some(last) = part.entries.last() {
            head.seq = last.seq;
            head.hash = last.hash.clone();
            head_move.hash = Some(&last.hash);
        }
        head_move.seq = head.seq;
        if let Some(summary) = &part.summary_json {
            head_move.summary_json = Some(summary);
        }
        if let Some(status) = &part.status {
            head_move.status = Some(status);
        }
        if let Some(decided_at) = part.decided_at {
            head_move.decided_at = Some(decided_at);
        }
        plan.participants
            .extend(part.participants.iter().map(|p| (part.listing_id, p)));
        plan.outcomes
            .push(AppendOutcome::Appended { head_seq: head.seq });
    }
    Ok(plan)
}

#[async_trait]
impl ExchangeStore for SqliteStore {
    async fn create_notice(&self, ctx: &AuditCtx, notice: NewNotice) -> StoreResult<NoticeRow> {
        let id = Uuid::now_v7();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO notices (id, number, title, status, body_json, version, created_by, \
             created_at, updated_at) VALUES (?, ?, ?, 'draft', ?, 1, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&notice.number)
        .bind(&notice.title)
        .bind(&notice.body_json)
        .bind(ctx.actor_id.map(|a| a.to_string()))
        .bind(ctx.at)
        .bind(ctx.at)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("notice.create", "notice", id).with_detail(json!({
                "number": notice.number,
                "title": notice.title,
            })),
        )
        .await?;
        let row = notice_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn update_draft_notice(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        edit: NoticeEdit,
    ) -> StoreResult<NoticeRow> {
        let mut tx = self.write().await?;
        let current = notice_in(&mut tx, id).await?;
        if current.status != NoticeStatus::Draft {
            return Err(state_conflict());
        }
        if current.version != edit.expected_version {
            return Err(StoreError::Conflict { field: "version" });
        }
        sqlx::query(
            "UPDATE notices SET title = ?, body_json = ?, version = version + 1, \
             updated_at = ? WHERE id = ?",
        )
        .bind(&edit.title)
        .bind(&edit.body_json)
        .bind(ctx.at)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("notice.update", "notice", id).with_detail(json!({
                "number": current.number,
                "version": current.version + 1,
            })),
        )
        .await?;
        let row = notice_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn publish_notice(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        expected_version: i64,
        published_at: i64,
        listings: Vec<NewListing>,
    ) -> StoreResult<(NoticeRow, Vec<ListingRow>)> {
        let mut tx = self.write().await?;
        let current = notice_in(&mut tx, id).await?;
        if current.status != NoticeStatus::Draft {
            return Err(state_conflict());
        }
        if current.version != expected_version {
            return Err(StoreError::Conflict { field: "version" });
        }
        sqlx::query(
            "UPDATE notices SET status = 'published', published_at = ?, \
             version = version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(published_at)
        .bind(ctx.at)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let mut created = Vec::with_capacity(listings.len());
        for listing in listings {
            let listing_id = Uuid::now_v7();
            sqlx::query(
                "INSERT INTO listings (id, notice_id, code, location, land_use, district, \
                 start_price_fen, listing_start, listing_end, application_start, \
                 application_deadline, rules_json, summary_json, status, decided_at, \
                 created_at, log_seq, log_hash) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, 0, ?)",
            )
            .bind(listing_id.to_string())
            .bind(id.to_string())
            .bind(&listing.code)
            .bind(&listing.location)
            .bind(&listing.land_use)
            .bind(&listing.district)
            .bind(listing.start_price_fen)
            .bind(listing.listing_start)
            .bind(listing.listing_end)
            .bind(listing.application_start)
            .bind(listing.application_deadline)
            .bind(&listing.rules_json)
            .bind(&listing.summary_json)
            .bind(&listing.status)
            .bind(ctx.at)
            .bind(GENESIS_HASH)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or_db)?;
            created.push(ListingRow {
                id: listing_id,
                notice_id: id,
                code: listing.code,
                location: listing.location,
                land_use: listing.land_use,
                district: listing.district,
                start_price_fen: listing.start_price_fen,
                listing_start: listing.listing_start,
                listing_end: listing.listing_end,
                application_start: listing.application_start,
                application_deadline: listing.application_deadline,
                rules_json: listing.rules_json,
                summary_json: listing.summary_json,
                status: listing.status,
                decided_at: None,
                created_at: ctx.at,
            });
        }
        let listed: Vec<_> = created
            .iter()
            .map(|l| json!({"id": l.id.to_string(), "code": l.code}))
            .collect();
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("notice.publish", "notice", id).with_detail(json!({
                "number": current.number,
                "published_at": published_at,
                "listings": listed,
            })),
        )
        .await?;
        let row = notice_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok((row, created))
    }

    async fn terminate_notice(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        reason: &str,
    ) -> StoreResult<NoticeRow> {
        let mut tx = self.write().await?;
        let current = notice_in(&mut tx, id).await?;
        if current.status != NoticeStatus::Published {
            return Err(state_conflict());
        }
        sqlx::query(
            "UPDATE notices SET status = 'terminated', terminated_at = ?, \
             termination_reason = ?, version = version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(ctx.at)
        .bind(reason)
        .bind(ctx.at)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let ended = sqlx::query(
            "UPDATE listings SET status = 'terminated' \
             WHERE notice_id = ? AND decided_at IS NULL",
        )
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("notice.terminate", "notice", id).with_detail(json!({
                "number": current.number,
                "reason": reason,
                "listings_terminated": ended,
            })),
        )
        .await?;
        let row = notice_in(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn add_supplement(
        &self,
        ctx: &AuditCtx,
        notice_id: Uuid,
        supplement: NewSupplement,
    ) -> StoreResult<SupplementRow> {
        let id = Uuid::now_v7();
        let mut tx = self.write().await?;
        let current = notice_in(&mut tx, notice_id).await?;
        if current.status != NoticeStatus::Published {
            return Err(state_conflict());
        }
        sqlx::query(
            "INSERT INTO notice_supplements (id, notice_id, number, text, published_at, \
             created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(notice_id.to_string())
        .bind(&supplement.number)
        .bind(&supplement.text)
        .bind(supplement.published_at)
        .bind(ctx.at)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_db)?;
        sqlx::query("UPDATE notices SET version = version + 1, updated_at = ? WHERE id = ?")
            .bind(ctx.at)
            .bind(notice_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("notice.supplement", "notice", notice_id).with_detail(json!({
                "number": current.number,
                "supplement": supplement.number,
                "published_at": supplement.published_at,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(SupplementRow {
            id,
            notice_id,
            number: supplement.number,
            text: supplement.text,
            published_at: supplement.published_at,
            created_at: ctx.at,
        })
    }

    async fn notice(&self, id: Uuid) -> StoreResult<Option<NoticeRow>> {
        let row: Option<NoticeDbRow> = sqlx::query_as(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(NoticeRow::try_from).transpose()
    }

    async fn notice_by_number(&self, number: &str) -> StoreResult<Option<NoticeRow>> {
        let row: Option<NoticeDbRow> = sqlx::query_as(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE number = ?"
        ))
        .bind(number)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(NoticeRow::try_from).transpose()
    }

    async fn supplements(&self, notice_id: Uuid) -> StoreResult<Vec<SupplementRow>> {
        let rows: Vec<SupplementDbRow> = sqlx::query_as(&format!(
            "SELECT {SUPPLEMENT_COLUMNS} FROM notice_supplements WHERE notice_id = ? \
             ORDER BY published_at, id"
        ))
        .bind(notice_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        convert_all(rows)
    }

    async fn list_notices(&self, query: &NoticeQuery, page: Page) -> StoreResult<Paged<NoticeRow>> {
        let page = clamp(page);
        let mut tx = self.reader.begin().await.map_err(db)?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM notices");
        push_notice_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Sqlite>::new(format!("SELECT {NOTICE_COLUMNS} FROM notices"));
        push_notice_filters(&mut select, query);
        select
            .push(" ORDER BY COALESCE(published_at, created_at) DESC, id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<NoticeDbRow> = select
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

    async fn listing(&self, id: Uuid) -> StoreResult<Option<ListingRow>> {
        let row: Option<ListingDbRow> = sqlx::query_as(&format!(
            "SELECT {LISTING_COLUMNS} FROM listings WHERE id = ?"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(ListingRow::try_from).transpose()
    }

    async fn listing_by_code(&self, code: &str) -> StoreResult<Option<ListingRow>> {
        let row: Option<ListingDbRow> = sqlx::query_as(&format!(
            "SELECT {LISTING_COLUMNS} FROM listings WHERE code = ?"
        ))
        .bind(code)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(ListingRow::try_from).transpose()
    }

    async fn list_listings(
        &self,
        query: &ListingQuery,
        page: Page,
    ) -> StoreResult<Paged<ListingRow>> {
        let page = clamp(page);
        let mut tx = self.reader.begin().await.map_err(db)?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM listings");
        push_listing_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Sqlite>::new(format!("SELECT {LISTING_COLUMNS} FROM listings"));
        push_listing_filters(&mut select, query);
        select
            .push(" ORDER BY listings.listing_start DESC, listings.code LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<ListingDbRow> = select
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

    async fn listings_of_enterprise(
        &self,
        enterprise_id: Uuid,
        page: Page,
    ) -> StoreResult<Paged<EnterpriseListing>> {
        let page = clamp(page);
        let enterprise = enterprise_id.to_string();
        let mut tx = self.reader.begin().await.map_err(db)?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT listing_id) FROM listing_participants WHERE enterprise_id = ?",
        )
        .bind(&enterprise)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let rows: Vec<ListingDbRow> = sqlx::query_as(&format!(
            "SELECT {LISTING_COLUMNS} FROM listings WHERE listings.id IN \
             (SELECT listing_id FROM listing_participants WHERE enterprise_id = ?) \
             ORDER BY listings.listing_start DESC, listings.code LIMIT ? OFFSET ?"
        ))
        .bind(&enterprise)
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let roles: Vec<(String, String)> = sqlx::query_as(
            "SELECT listing_id, role FROM listing_participants WHERE enterprise_id = ? \
             ORDER BY listing_id, role",
        )
        .bind(&enterprise)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut by_listing: HashMap<String, Vec<String>> = HashMap::new();
        for (listing_id, role) in roles {
            by_listing.entry(listing_id).or_default().push(role);
        }
        let items = rows
            .into_iter()
            .map(|row| {
                let roles = by_listing.remove(&row.id).unwrap_or_default();
                Ok(EnterpriseListing {
                    listing: row.try_into()?,
                    roles,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Paged {
            items,
            total: total as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn add_ineligible(
        &self,
        ctx: &AuditCtx,
        entry: NewIneligible,
    ) -> StoreResult<IneligibleRow> {
        let id = Uuid::now_v7();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO ineligible_parties (id, credit_code, name, kind, reason, listed_from, \
             listed_until, lifted_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
        )
        .bind(id.to_string())
        .bind(&entry.credit_code)
        .bind(&entry.name)
        .bind(entry.kind.code())
        .bind(&entry.reason)
        .bind(entry.listed_from)
        .bind(entry.listed_until)
        .bind(ctx.at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("ineligible.add", "ineligible", id).with_detail(json!({
                "credit_code": entry.credit_code,
                "name": entry.name,
                "kind": entry.kind.code(),
                "reason": entry.reason,
                "listed_from": entry.listed_from,
                "listed_until": entry.listed_until,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(IneligibleRow {
            id,
            credit_code: entry.credit_code,
            name: entry.name,
            kind: entry.kind,
            reason: entry.reason,
            listed_from: entry.listed_from,
            listed_until: entry.listed_until,
            lifted_at: None,
            created_at: ctx.at,
        })
    }

    async fn lift_ineligible(&self, ctx: &AuditCtx, id: Uuid) -> StoreResult<IneligibleRow> {
        let mut tx = self.write().await?;
        let row: Option<IneligibleDbRow> = sqlx::query_as(&format!(
            "UPDATE ineligible_parties SET lifted_at = ? WHERE id = ? AND lifted_at IS NULL \
             RETURNING {INELIGIBLE_COLUMNS}"
        ))
        .bind(ctx.at)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM ineligible_parties WHERE id = ?")
                    .bind(id.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
            return Err(match exists {
                Some(_) => state_conflict(),
                None => StoreError::NotFound,
            });
        };
        let row = IneligibleRow::try_from(row)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("ineligible.lift", "ineligible", id).with_detail(json!({
                "credit_code": row.credit_code,
                "kind": row.kind.code(),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn list_ineligible(
        &self,
        query: &IneligibleQuery,
        page: Page,
    ) -> StoreResult<Paged<IneligibleRow>> {
        let page = clamp(page);
        let mut tx = self.reader.begin().await.map_err(db)?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM ineligible_parties");
        push_ineligible_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {INELIGIBLE_COLUMNS} FROM ineligible_parties"
        ));
        push_ineligible_filters(&mut select, query);
        select
            .push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<IneligibleDbRow> = select
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

    async fn ineligible_codes_at(&self, at: i64) -> StoreResult<Vec<String>> {
        let mut select =
            QueryBuilder::<Sqlite>::new("SELECT DISTINCT credit_code FROM ineligible_parties");
        select.push(" WHERE 1 = 1");
        push_in_force(&mut select, at);
        select.push(" ORDER BY credit_code");
        select
            .build_query_scalar()
            .fetch_all(&self.reader)
            .await
            .map_err(db)
    }

    async fn create_deposit_account(
        &self,
        ctx: &AuditCtx,
        account: NewDepositAccount,
    ) -> StoreResult<DepositAccountRow> {
        let mut tx = self.write().await?;
        let listing: Option<i64> = sqlx::query_scalar("SELECT 1 FROM listings WHERE id = ?")
            .bind(account.listing_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if listing.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO deposit_accounts (account_no, listing_id, application_ref, \
             enterprise_id, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&account.account_no)
        .bind(account.listing_id.to_string())
        .bind(&account.application_ref)
        .bind(account.enterprise_id.to_string())
        .bind(ctx.at)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("deposit.open_account", "listing", account.listing_id).with_detail(
                json!({
                    "account_no": account.account_no,
                    "application_ref": account.application_ref,
                    "enterprise_id": account.enterprise_id.to_string(),
                }),
            ),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(DepositAccountRow {
            account_no: account.account_no,
            listing_id: account.listing_id,
            application_ref: account.application_ref,
            enterprise_id: account.enterprise_id,
            created_at: ctx.at,
        })
    }

    async fn deposit_account(&self, account_no: &str) -> StoreResult<Option<DepositAccountRow>> {
        let row: Option<DepositDbRow> = sqlx::query_as(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposit_accounts WHERE account_no = ?"
        ))
        .bind(account_no)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(DepositAccountRow::try_from).transpose()
    }

    async fn deposit_accounts(&self, listing_id: Uuid) -> StoreResult<Vec<DepositAccountRow>> {
        let rows: Vec<DepositDbRow> = sqlx::query_as(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposit_accounts WHERE listing_id = ? \
             ORDER BY created_at, account_no"
        ))
        .bind(listing_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        convert_all(rows)
    }

    async fn record_bank_transaction(&self, ctx: &AuditCtx, txn: BankTxn) -> StoreResult<Recorded> {
        // The writer serialises this with every other write, so the look-up
        // and the insert cannot be split by a second report of the same id.
        let mut tx = self.write().await?;
        match bank_txn_in(&mut tx, &txn.bank_txn_id).await {
            Ok(existing) if existing.same_arrival(&txn) => {
                return Ok(Recorded::Duplicate(existing))
            }
            Ok(_) => {
                return Err(StoreError::Conflict {
                    field: "bank_txn_id",
                })
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
        let account: Option<DepositDbRow> = sqlx::query_as(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposit_accounts WHERE account_no = ?"
        ))
        .bind(&txn.account_no)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let account = account.map(DepositAccountRow::try_from).transpose()?;
        let listing_id = account.as_ref().map(|a| a.listing_id);
        let enterprise_id = account.as_ref().map(|a| a.enterprise_id);
        sqlx::query(
            "INSERT INTO bank_transactions (bank_txn_id, account_no, listing_id, enterprise_id, \
             amount_fen, payer_name, payer_account, received_at, raw_body, recorded_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&txn.bank_txn_id)
        .bind(&txn.account_no)
        .bind(listing_id.map(|id| id.to_string()))
        .bind(enterprise_id.map(|id| id.to_string()))
        .bind(txn.amount_fen)
        .bind(&txn.payer_name)
        .bind(&txn.payer_account)
        .bind(txn.received_at)
        .bind(&txn.raw_body)
        .bind(ctx.at)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new(
                "deposit.bank_received",
                "bank_transaction",
                &txn.bank_txn_id,
            )
            .with_detail(json!({
                "account_no": txn.account_no,
                "known_account": account.is_some(),
                "listing_id": listing_id.map(|id| id.to_string()),
                "amount_fen": txn.amount_fen,
                "payer_name": txn.payer_name,
                "received_at": txn.received_at,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Recorded::New(BankTxnRow {
            bank_txn_id: txn.bank_txn_id,
            account_no: txn.account_no,
            listing_id,
            enterprise_id,
            amount_fen: txn.amount_fen,
            payer_name: txn.payer_name,
            payer_account: txn.payer_account,
            received_at: txn.received_at,
            raw_body: txn.raw_body,
            recorded_at: ctx.at,
            outcome: None,
            refund_due_at: None,
            refunded_at: None,
        }))
    }

    async fn bank_transaction(&self, bank_txn_id: &str) -> StoreResult<Option<BankTxnRow>> {
        let row: Option<BankDbRow> = sqlx::query_as(&format!(
            "SELECT {BANK_COLUMNS} FROM bank_transactions WHERE bank_txn_id = ?"
        ))
        .bind(bank_txn_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        row.map(BankTxnRow::try_from).transpose()
    }

    async fn set_bank_transaction_outcome(
        &self,
        ctx: &AuditCtx,
        bank_txn_id: &str,
        outcome: BankTxnOutcome,
        refund_due_at: Option<i64>,
    ) -> StoreResult<BankTxnRow> {
        let mut tx = self.write().await?;
        let current = bank_txn_in(&mut tx, bank_txn_id).await?;
        if current.refunded_at.is_some() {
            return Err(state_conflict());
        }
        sqlx::query(
            "UPDATE bank_transactions SET outcome = ?, refund_due_at = ? WHERE bank_txn_id = ?",
        )
        .bind(outcome.code())
        .bind(refund_due_at)
        .bind(bank_txn_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("deposit.outcome", "bank_transaction", bank_txn_id).with_detail(json!({
                "outcome": outcome.code(),
                "previous": current.outcome.map(BankTxnOutcome::code),
                "refund_due_at": refund_due_at,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(BankTxnRow {
            outcome: Some(outcome),
            refund_due_at,
            ..current
        })
    }

    async fn bank_transactions(
        &self,
        query: &BankTxnQuery,
        page: Page,
    ) -> StoreResult<Paged<BankTxnRow>> {
        let page = clamp(page);
        let mut tx = self.reader.begin().await.map_err(db)?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM bank_transactions");
        push_bank_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Sqlite>::new(format!("SELECT {BANK_COLUMNS} FROM bank_transactions"));
        push_bank_filters(&mut select, query);
        select
            .push(" ORDER BY received_at DESC, bank_txn_id DESC LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<BankDbRow> = select
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

    async fn mark_refunded(
        &self,
        ctx: &AuditCtx,
        bank_txn_id: &str,
        at: i64,
    ) -> StoreResult<BankTxnRow> {
        let mut tx = self.write().await?;
        let current = bank_txn_in(&mut tx, bank_txn_id).await?;
        if current.refund_due_at.is_none() || current.refunded_at.is_some() {
            return Err(state_conflict());
        }
        sqlx::query("UPDATE bank_transactions SET refunded_at = ? WHERE bank_txn_id = ?")
            .bind(at)
            .bind(bank_txn_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("deposit.refunded", "bank_transaction", bank_txn_id).with_detail(json!({
                "amount_fen": current.amount_fen,
                "refunded_at": at,
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(BankTxnRow {
            refunded_at: Some(at),
            ..current
        })
    }

    async fn append_events(&self, batch: Vec<ListingAppend>) -> StoreResult<Vec<AppendOutcome>> {
        for part in &batch {
            part.check_links().map_err(StoreError::Corrupt)?;
        }
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = batch
            .iter()
            .map(|part| part.listing_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|id| id.to_string())
            .collect();
        let mut tx = self.write().await?;
        if ids.len() == batch.len() {
            if let Some(plan) = append_expected(&mut tx, &batch).await? {
                tx.commit().await.map_err(db)?;
                self.announce(&plan);
                return Ok(plan.outcomes);
            }
            // A head moved under one of the parts: judge each part against
            // the heads as they are.
            tx.rollback().await.map_err(db)?;
            tx = self.write().await?;
        }
        let mut heads = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut select = QueryBuilder::<Sqlite>::new(
                "SELECT id, log_seq, log_hash FROM listings WHERE id IN (",
            );
            let mut list = select.separated(", ");
            for id in chunk {
                list.push_bind(id.as_str());
            }
            select.push(")");
            let rows: Vec<(String, i64, String)> = select
                .build_query_as()
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
            for (id, seq, hash) in rows {
                heads.insert(parse_uuid("listings.id", &id)?, LogHead { seq, hash });
            }
        }
        let plan = plan_appends(&batch, heads)?;

        for chunk in plan.events.chunks(CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO listing_events (listing_id, seq, at, kind, payload, prev_hash, hash) ",
            );
            insert.push_values(chunk, |mut row, (listing_id, entry)| {
                row.push_bind(listing_id.as_str())
                    .push_bind(entry.seq)
                    .push_bind(entry.at)
                    .push_bind(entry.kind.as_str())
                    .push_bind(entry.payload.as_str())
                    .push_bind(entry.prev_hash.as_str())
                    .push_bind(entry.hash.as_str());
            });
            insert
                .build()
                .execute(&mut *tx)
                .await
                .map_err(conflict_or_db)?;
        }
        let moves: Vec<(String, &HeadMove)> = plan
            .moves
            .iter()
            .map(|(id, head_move)| (id.to_string(), head_move))
            .collect();
        for chunk in moves.chunks(CHUNK) {
            let mut update = QueryBuilder::<Sqlite>::new(
                "WITH moves (id, seq, hash, summary_json, status, decided_at) AS (",
            );
            update.push_values(chunk, |mut row, (id, head_move)| {
                row.push_bind(id.as_str())
                    .push_bind(head_move.seq)
                    .push_bind(head_move.hash)
                    .push_bind(head_move.summary_json)
                    .push_bind(head_move.status)
                    .push_bind(head_move.decided_at);
            });
            update.push(
                ") UPDATE listings SET log_seq = moves.seq, \
                 log_hash = COALESCE(moves.hash, listings.log_hash), \
                 summary_json = COALESCE(moves.summary_json, listings.summary_json), \
                 status = COALESCE(moves.status, listings.status), \
                 decided_at = COALESCE(moves.decided_at, listings.decided_at) \
                 FROM moves WHERE listings.id = moves.id",
            );
            update.build().execute(&mut *tx).await.map_err(db)?;
        }
        let participants: Vec<(String, &Participant)> = plan
            .participants
            .iter()
            .map(|(id, p)| (id.to_string(), *p))
            .collect();
        for chunk in participants.chunks(CHUNK) {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO listing_participants (listing_id, enterprise_id, role) ",
            );
            insert.push_values(chunk, |mut row, (listing_id, p)| {
                row.push_bind(listing_id.as_str())
                    .push_bind(p.enterprise_id.to_string())
                    .push_bind(p.role.as_str());
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().execute(&mut *tx).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        self.announce(&plan);
        Ok(plan.outcomes)
    }

    async fn events(
        &self,
        listing_id: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<EventRow>> {
        let rows: Vec<EventDbRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM listing_events WHERE listing_id = ? AND seq > ? \
             ORDER BY seq LIMIT ?"
        ))
        .bind(listing_id.to_string())
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        Ok(rows.into_iter().map(EventRow::from).collect())
    }

    async fn head(&self, listing_id: Uuid) -> StoreResult<Option<LogHead>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT log_seq, log_hash FROM listings WHERE id = ?")
                .bind(listing_id.to_string())
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?;
        Ok(row.map(|(seq, hash)| LogHead { seq, hash }))
    }

    // --- Several nodes: the change feed and idempotent requests ------------

    async fn subscribe_appends(&self) -> StoreResult<Box<dyn AppendFeed>> {
        Ok(Box::new(feed::SqliteAppendFeed {
            notices: self.appends.subscribe(),
        }))
    }

    async fn claim_request(
        &self,
        account_id: Uuid,
        key: &str,
        at: i64,
        expires_at: i64,
    ) -> StoreResult<RequestClaim> {
        // Claim and read in one write transaction: no other claim or
        // release runs between the two.
        let account = account_id.to_string();
        let mut tx = self.write().await?;
        let claimed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO request_answers (account_id, key, claimed_at, expires_at) \
             VALUES (?, ?, ?, ?) \
             ON CONFLICT (account_id, key) DO UPDATE \
             SET claimed_at = excluded.claimed_at, answer = NULL, answered_at = NULL, \
             expires_at = excluded.expires_at \
             WHERE request_answers.expires_at <= excluded.claimed_at \
             RETURNING claimed_at",
        )
        .bind(&account)
        .bind(key)
        .bind(at)
        .bind(expires_at)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let claim = if claimed.is_some() {
            RequestClaim::Claimed
        } else {
            let answer: Option<String> = sqlx::query_scalar(
                "SELECT answer FROM request_answers WHERE account_id = ? AND key = ?",
            )
            .bind(&account)
            .bind(key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            answer.map_or(RequestClaim::Pending, RequestClaim::Answered)
        };
        tx.commit().await.map_err(db)?;
        Ok(claim)
    }

    async fn answer_request(
        &self,
        account_id: Uuid,
        key: &str,
        answer: &str,
        at: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE request_answers SET answer = ?, answered_at = ?, expires_at = ? \
             WHERE account_id = ? AND key = ? AND answer IS NULL",
        )
        .bind(answer)
        .bind(at)
        .bind(expires_at)
        .bind(account_id.to_string())
        .bind(key)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict { field: "key" });
        }
        Ok(())
    }

    async fn release_request(&self, account_id: Uuid, key: &str) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM request_answers WHERE account_id = ? AND key = ? AND answer IS NULL",
        )
        .bind(account_id.to_string())
        .bind(key)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn purge_requests(&self, now: i64) -> StoreResult<u64> {
        let purged = sqlx::query("DELETE FROM request_answers WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(purged.rows_affected())
    }

    async fn put_listing_secret(
        &self,
        ctx: &AuditCtx,
        secret: NewListingSecret,
    ) -> StoreResult<SecretPut> {
        let mut tx = self.write().await?;
        let listing: Option<i64> = sqlx::query_scalar("SELECT 1 FROM listings WHERE id = ?")
            .bind(secret.listing_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if listing.is_none() {
            return Err(StoreError::NotFound);
        }
        // Insert-or-nothing, then compare: a writer that loses a race to
        // keep the same opening sees the winner's row, not an error.
        let inserted = sqlx::query(
            "INSERT INTO listing_secrets (listing_id, kind, key, opening_json, created_at, \
             created_by) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(secret.listing_id.to_string())
        .bind(secret.kind.code())
        .bind(&secret.key)
        .bind(&secret.opening_json)
        .bind(ctx.at)
        .bind(ctx.actor_id.map(|id| id.to_string()))
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_db)?
        .rows_affected();
        if inserted == 0 {
            let kept: SecretDbRow = sqlx::query_as(&format!(
                "SELECT {SECRET_COLUMNS} FROM listing_secrets \
                 WHERE listing_id = ? AND kind = ? AND key = ?"
            ))
            .bind(secret.listing_id.to_string())
            .bind(secret.kind.code())
            .bind(&secret.key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            let kept = ListingSecretRow::try_from(kept)?;
            return if kept.opening_json == secret.opening_json {
                Ok(SecretPut::Same(kept))
            } else {
                Err(StoreError::Conflict { field: "key" })
            };
        }
        // The kind and what it opens; never the opening.
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("listing.secret_kept", "listing", secret.listing_id)
                .with_detail(json!({ "kind": secret.kind.code(), "key": secret.key })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(SecretPut::New(ListingSecretRow {
            listing_id: secret.listing_id,
            kind: secret.kind,
            key: secret.key,
            opening_json: secret.opening_json,
            created_at: ctx.at,
            created_by: ctx.actor_id,
        }))
    }

    async fn listing_secrets(&self, listing_id: Uuid) -> StoreResult<Vec<ListingSecretRow>> {
        let rows: Vec<SecretDbRow> = sqlx::query_as(&format!(
            "SELECT {SECRET_COLUMNS} FROM listing_secrets WHERE listing_id = ? \
             ORDER BY created_at, kind, key"
        ))
        .bind(listing_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        convert_all(rows)
    }

    // --- Deposit refunds (results) ------------------------------------------

    async fn record_deposit_refund(
        &self,
        ctx: &AuditCtx,
        refund: NewDepositRefund,
    ) -> StoreResult<DepositRefundRow> {
        let mut tx = self.write().await?;
        // The writer's transaction holds the database: a second record of the
        // same refund waits, then finds it refunded.
        let current = bank_txn_in(&mut tx, &refund.bank_txn_id).await?;
        if current.outcome.is_none() || current.refunded_at.is_some() {
            return Err(state_conflict());
        }
        let row = DepositRefundRow {
            bank_txn_id: current.bank_txn_id.clone(),
            listing_id: current.listing_id,
            amount_fen: current.amount_fen,
            due_at: refund.due_at,
            bank_ref: refund.bank_ref,
            paid_at: refund.paid_at,
            recorded_by: ctx.actor_id,
            recorded_at: ctx.at,
        };
        sqlx::query(
            "INSERT INTO deposit_refunds (bank_txn_id, listing_id, amount_fen, due_at, bank_ref, \
             paid_at, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&row.bank_txn_id)
        .bind(row.listing_id.map(|id| id.to_string()))
        .bind(row.amount_fen)
        .bind(row.due_at)
        .bind(&row.bank_ref)
        .bind(row.paid_at)
        .bind(row.recorded_by.map(|id| id.to_string()))
        .bind(row.recorded_at)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query(
            "UPDATE bank_transactions SET refunded_at = ?, \
             refund_due_at = COALESCE(refund_due_at, ?) WHERE bank_txn_id = ?",
        )
        .bind(row.paid_at)
        .bind(row.due_at)
        .bind(&row.bank_txn_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("deposit.refunded", "bank_transaction", &row.bank_txn_id).with_detail(
                json!({
                    "listing_id": row.listing_id,
                    "amount_fen": row.amount_fen,
                    "bank_ref": row.bank_ref,
                    "due_at": row.due_at,
                    "refunded_at": row.paid_at,
                }),
            ),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn deposit_refunds(&self, listing_id: Uuid) -> StoreResult<Vec<DepositRefundRow>> {
        let rows: Vec<RefundDbRow> = sqlx::query_as(&format!(
            "SELECT {REFUND_COLUMNS} FROM deposit_refunds WHERE listing_id = ? \
             ORDER BY paid_at, bank_txn_id"
        ))
        .bind(listing_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(db)?;
        convert_all(rows)
    }
}

// --- Deposit refunds: the row as read -----------------------------------------

const REFUND_COLUMNS: &str = "bank_txn_id, listing_id, amount_fen, due_at, bank_ref, paid_at, \
     recorded_by, recorded_at";

#[derive(Debug, sqlx::FromRow)]
struct RefundDbRow {
    bank_txn_id: String,
    listing_id: Option<String>,
    amount_fen: i64,
    due_at: i64,
    bank_ref: String,
    paid_at: i64,
    recorded_by: Option<String>,
    recorded_at: i64,
}

impl TryFrom<RefundDbRow> for DepositRefundRow {
    type Error = StoreError;

    fn try_from(row: RefundDbRow) -> StoreResult<DepositRefundRow> {
        Ok(DepositRefundRow {
            bank_txn_id: row.bank_txn_id,
            listing_id: parse_opt_uuid("deposit_refunds.listing_id", row.listing_id)?,
            amount_fen: row.amount_fen,
            due_at: row.due_at,
            bank_ref: row.bank_ref,
            paid_at: row.paid_at,
            recorded_by: parse_opt_uuid("deposit_refunds.recorded_by", row.recorded_by)?,
            recorded_at: row.recorded_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use yiwang_store::exchange::{EventRow, ListingAppend, LogHead, NewListing};
    use yiwang_store::{AuditCtx, ExchangeStore};

    use crate::testing;

    /// The event log refuses edits and deletions outright.
    #[tokio::test]
    async fn listing_events_is_append_only() {
        let (store, _dir) = testing::fresh().await;
        let ctx = AuditCtx::system("test", 1);
        let notice = store
            .create_notice(
                &ctx,
                yiwang_store::exchange::NewNotice {
                    number: "第1号".into(),
                    title: "公告".into(),
                    body_json: "{}".into(),
                },
            )
            .await
            .unwrap();
        let listing = NewListing {
            code: "R20042".into(),
            location: "崇川区".into(),
            land_use: "居住".into(),
            district: "崇川区".into(),
            start_price_fen: 1,
            listing_start: 10,
            listing_end: 20,
            application_start: 0,
            application_deadline: 15,
            rules_json: "{}".into(),
            summary_json: "{}".into(),
            status: "announced".into(),
        };
        let (_, listings) = store
            .publish_notice(&ctx, notice.id, 1, 1, vec![listing])
            .await
            .unwrap();
        let entry = EventRow {
            seq: 1,
            at: 1,
            kind: "listing_opened".into(),
            payload: "{}".into(),
            prev_hash: LogHead::empty().hash,
            hash: "a".repeat(64),
        };
        store
            .append_events(vec![ListingAppend::entries(listings[0].id, 0, vec![entry])])
            .await
            .unwrap();
        for sql in [
            "UPDATE listing_events SET payload = '{\"price\": 1}'",
            "DELETE FROM listing_events",
        ] {
            let err = sqlx::query(sql).execute(&store.writer).await.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(
            store.events(listings[0].id, 0, 10).await.unwrap()[0].payload,
            "{}"
        );

        // Kept secrets are write-once.
        store
            .put_listing_secret(
                &ctx,
                yiwang_store::exchange::NewListingSecret {
                    listing_id: listings[0].id,
                    kind: yiwang_store::exchange::SecretKind::Reserve,
                    key: "c".repeat(64),
                    opening_json: "{\"value\":null}".into(),
                },
            )
            .await
            .unwrap();
        for sql in [
            "UPDATE listing_secrets SET opening_json = '{}'",
            "DELETE FROM listing_secrets",
        ] {
            let err = sqlx::query(sql).execute(&store.writer).await.unwrap_err();
            assert!(err.to_string().contains("write-once"), "{sql}: {err}");
        }
        assert_eq!(
            store.listing_secrets(listings[0].id).await.unwrap().len(),
            1
        );
    }
}
