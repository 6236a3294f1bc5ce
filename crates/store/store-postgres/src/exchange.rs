//! The exchange's tables on PostgreSQL (see `yiwang_store::exchange` for
//! the contract).
//!
//! # How appends are serialised
//!
//! Several server processes may append to the same listing at once, so a
//! listing's head is guarded by a row lock, not by anything in a process.
//! [`ExchangeStore::append_events`] starts one transaction and locks the
//! `listings` rows of every listing in the batch with one
//! `SELECT … ORDER BY id FOR NO KEY UPDATE`: rows are locked in the order
//! the sort emits them, so two batches locking overlapping sets of listings
//! take their locks in the same order and cannot deadlock. A writer that
//! waited reads the head as the other committed it (under `READ COMMITTED`
//! a locked row is re-read at its newest version) and finds its part stale.
//! `NO KEY UPDATE` is the lock an `UPDATE` of non-key columns takes anyway;
//! unlike `FOR UPDATE` it does not block the foreign-key checks of rows that
//! merely reference the listing (a deposit account being opened).
//!
//! The entries, head moves and participants of the parts that still fit
//! are then written with one statement each, whatever the batch's size
//! (`UNNEST` over arrays), and the commit is one WAL flush for the whole
//! batch. The `(listing_id, seq)` primary key is the backstop: were the
//! lock ever bypassed, the second writer of a `seq` would fail rather than
//! fork the log.
//!
//! The same transaction announces each log that grew on the change feed
//! (`NOTIFY`, delivered on commit; see the `feed` module).
//!
//! State changes that touch listing rows for other reasons (terminating a
//! notice) lock them in the same order first. Audited writes take the audit
//! chain's advisory lock last, after their row locks, as elsewhere.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use serde_json::json;
use sqlx::postgres::PgConnection;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;
use yiwang_store::audit::GENESIS_HASH;
use yiwang_store::exchange::{AppendFeed, RequestClaim};
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
use crate::{append_audit, clamp, conflict_or_db, db, escape_like, feed, PgStore};

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

/// How often [`ExchangeStore::claim_request`] tries a key that is released
/// between its two statements.
const CLAIM_ATTEMPTS: usize = 3;

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

/// An `ILIKE … ESCAPE '\'` pattern matching `text` anywhere.
fn contains(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

fn push_notice_filters(qb: &mut QueryBuilder<'_, Postgres>, query: &NoticeQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(status) = query.status {
        qb.push(" AND status = ").push_bind(status.code());
    }
    if let Some(search) = &query.search {
        let pattern = contains(search);
        qb.push(" AND (number ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR title ILIKE ")
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

fn push_listing_filters(qb: &mut QueryBuilder<'_, Postgres>, query: &ListingQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(notice_id) = query.notice_id {
        qb.push(" AND listings.notice_id = ")
            .push_bind(notice_id.to_string());
    }
    if let Some(status) = &query.status {
        qb.push(" AND listings.status = ").push_bind(status.clone());
    }
    if let Some(land_use) = &query.land_use {
        qb.push(" AND listings.land_use ILIKE ")
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
        qb.push(" AND (listings.code ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR listings.location ILIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

fn push_ineligible_filters(qb: &mut QueryBuilder<'_, Postgres>, query: &IneligibleQuery) {
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
        qb.push(" AND (name ILIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR credit_code ILIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }
}

/// Entries in force at `at`: `[listed_from, listed_until)`, and not lifted
/// at or before `at`.
fn push_in_force(qb: &mut QueryBuilder<'_, Postgres>, at: i64) {
    qb.push(" AND listed_from <= ")
        .push_bind(at)
        .push(" AND (listed_until IS NULL OR listed_until > ")
        .push_bind(at)
        .push(") AND (lifted_at IS NULL OR lifted_at > ")
        .push_bind(at)
        .push(")");
}

fn push_bank_filters(qb: &mut QueryBuilder<'_, Postgres>, query: &BankTxnQuery) {
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

/// A notice read inside a write transaction, locked until it ends.
async fn notice_in(conn: &mut PgConnection, id: Uuid) -> StoreResult<NoticeRow> {
    let row: Option<NoticeDbRow> = sqlx::query_as(&format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1 FOR UPDATE"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.ok_or(StoreError::NotFound)?.try_into()
}

/// A bank transaction read inside a write transaction, locked until it
/// ends.
async fn bank_txn_in(conn: &mut PgConnection, bank_txn_id: &str) -> StoreResult<BankTxnRow> {
    let row: Option<BankDbRow> = sqlx::query_as(&format!(
        "SELECT {BANK_COLUMNS} FROM bank_transactions WHERE bank_txn_id = $1 FOR UPDATE"
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
impl ExchangeStore for PgStore {
    async fn create_notice(&self, ctx: &AuditCtx, notice: NewNotice) -> StoreResult<NoticeRow> {
        let id = Uuid::now_v7();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO notices (id, number, title, status, body_json, version, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, 'draft', $4, 1, $5, $6, $7)",
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
            "UPDATE notices SET title = $1, body_json = $2, version = version + 1, \
             updated_at = $3 WHERE id = $4",
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
            "UPDATE notices SET status = 'published', published_at = $1, \
             version = version + 1, updated_at = $2 WHERE id = $3",
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
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, $15, 0, $16)",
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
            "UPDATE notices SET status = 'terminated', terminated_at = $1, \
             termination_reason = $2, version = version + 1, updated_at = $3 WHERE id = $4",
        )
        .bind(ctx.at)
        .bind(reason)
        .bind(ctx.at)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        // Listing rows are locked in id order, as appends lock them.
        sqlx::query("SELECT id FROM listings WHERE notice_id = $1 ORDER BY id FOR NO KEY UPDATE")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let ended = sqlx::query(
            "UPDATE listings SET status = 'terminated' \
             WHERE notice_id = $1 AND decided_at IS NULL",
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
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
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
        sqlx::query("UPDATE notices SET version = version + 1, updated_at = $1 WHERE id = $2")
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
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(NoticeRow::try_from).transpose()
    }

    async fn notice_by_number(&self, number: &str) -> StoreResult<Option<NoticeRow>> {
        let row: Option<NoticeDbRow> = sqlx::query_as(&format!(
            "SELECT {NOTICE_COLUMNS} FROM notices WHERE number = $1"
        ))
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(NoticeRow::try_from).transpose()
    }

    async fn supplements(&self, notice_id: Uuid) -> StoreResult<Vec<SupplementRow>> {
        let rows: Vec<SupplementDbRow> = sqlx::query_as(&format!(
            "SELECT {SUPPLEMENT_COLUMNS} FROM notice_supplements WHERE notice_id = $1 \
             ORDER BY published_at, id"
        ))
        .bind(notice_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        convert_all(rows)
    }

    async fn list_notices(&self, query: &NoticeQuery, page: Page) -> StoreResult<Paged<NoticeRow>> {
        let page = clamp(page);
        let mut tx = self.snapshot().await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM notices");
        push_notice_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Postgres>::new(format!("SELECT {NOTICE_COLUMNS} FROM notices"));
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
            "SELECT {LISTING_COLUMNS} FROM listings WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(ListingRow::try_from).transpose()
    }

    async fn listing_by_code(&self, code: &str) -> StoreResult<Option<ListingRow>> {
        let row: Option<ListingDbRow> = sqlx::query_as(&format!(
            "SELECT {LISTING_COLUMNS} FROM listings WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.pool)
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
        let mut tx = self.snapshot().await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM listings");
        push_listing_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Postgres>::new(format!("SELECT {LISTING_COLUMNS} FROM listings"));
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
        let mut tx = self.snapshot().await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT listing_id) FROM listing_participants WHERE enterprise_id = $1",
        )
        .bind(&enterprise)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let rows: Vec<ListingDbRow> = sqlx::query_as(&format!(
            "SELECT {LISTING_COLUMNS} FROM listings WHERE listings.id IN \
             (SELECT listing_id FROM listing_participants WHERE enterprise_id = $1) \
             ORDER BY listings.listing_start DESC, listings.code LIMIT $2 OFFSET $3"
        ))
        .bind(&enterprise)
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let roles: Vec<(String, String)> = sqlx::query_as(
            "SELECT listing_id, role FROM listing_participants WHERE enterprise_id = $1 \
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
             listed_until, lifted_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)",
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
            "UPDATE ineligible_parties SET lifted_at = $1 WHERE id = $2 AND lifted_at IS NULL \
             RETURNING {INELIGIBLE_COLUMNS}"
        ))
        .bind(ctx.at)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let Some(row) = row else {
            let exists: Option<bool> =
                sqlx::query_scalar("SELECT TRUE FROM ineligible_parties WHERE id = $1")
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
        let mut tx = self.snapshot().await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM ineligible_parties");
        push_ineligible_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Postgres>::new(format!(
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
            QueryBuilder::<Postgres>::new("SELECT DISTINCT credit_code FROM ineligible_parties");
        select.push(" WHERE 1 = 1");
        push_in_force(&mut select, at);
        select.push(" ORDER BY credit_code");
        select
            .build_query_scalar()
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    async fn create_deposit_account(
        &self,
        ctx: &AuditCtx,
        account: NewDepositAccount,
    ) -> StoreResult<DepositAccountRow> {
        let mut tx = self.write().await?;
        let listing: Option<bool> = sqlx::query_scalar("SELECT TRUE FROM listings WHERE id = $1")
            .bind(account.listing_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if listing.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO deposit_accounts (account_no, listing_id, application_ref, \
             enterprise_id, created_at) VALUES ($1, $2, $3, $4, $5)",
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
            "SELECT {DEPOSIT_COLUMNS} FROM deposit_accounts WHERE account_no = $1"
        ))
        .bind(account_no)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.map(DepositAccountRow::try_from).transpose()
    }

    async fn deposit_accounts(&self, listing_id: Uuid) -> StoreResult<Vec<DepositAccountRow>> {
        let rows: Vec<DepositDbRow> = sqlx::query_as(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposit_accounts WHERE listing_id = $1 \
             ORDER BY created_at, account_no"
        ))
        .bind(listing_id.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        convert_all(rows)
    }

    async fn record_bank_transaction(&self, ctx: &AuditCtx, txn: BankTxn) -> StoreResult<Recorded> {
        let mut tx = self.write().await?;
        let account: Option<DepositDbRow> = sqlx::query_as(&format!(
            "SELECT {DEPOSIT_COLUMNS} FROM deposit_accounts WHERE account_no = $1"
        ))
        .bind(&txn.account_no)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        let account = account.map(DepositAccountRow::try_from).transpose()?;
        let listing_id = account.as_ref().map(|a| a.listing_id);
        let enterprise_id = account.as_ref().map(|a| a.enterprise_id);
        // Two reports of one transaction may arrive at two servers at once:
        // the insert waits for the other's transaction and, once that has
        // committed, inserts nothing.
        let inserted: Option<String> = sqlx::query_scalar(
            "INSERT INTO bank_transactions (bank_txn_id, account_no, listing_id, enterprise_id, \
             amount_fen, payer_name, payer_account, received_at, raw_body, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (bank_txn_id) DO NOTHING RETURNING bank_txn_id",
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
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if inserted.is_none() {
            // The statement after the conflict sees the committed report.
            let existing = bank_txn_in(&mut tx, &txn.bank_txn_id).await?;
            return if existing.same_arrival(&txn) {
                Ok(Recorded::Duplicate(existing))
            } else {
                Err(StoreError::Conflict {
                    field: "bank_txn_id",
                })
            };
        }
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
            "SELECT {BANK_COLUMNS} FROM bank_transactions WHERE bank_txn_id = $1"
        ))
        .bind(bank_txn_id)
        .fetch_optional(&self.pool)
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
            "UPDATE bank_transactions SET outcome = $1, refund_due_at = $2 WHERE bank_txn_id = $3",
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
        let mut tx = self.snapshot().await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM bank_transactions");
        push_bank_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select =
            QueryBuilder::<Postgres>::new(format!("SELECT {BANK_COLUMNS} FROM bank_transactions"));
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
        sqlx::query("UPDATE bank_transactions SET refunded_at = $1 WHERE bank_txn_id = $2")
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
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT id, log_seq, log_hash FROM listings WHERE id = ANY($1) \
             ORDER BY id FOR NO KEY UPDATE",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?;
        let mut heads = HashMap::with_capacity(rows.len());
        for (id, seq, hash) in rows {
            heads.insert(parse_uuid("listings.id", &id)?, LogHead { seq, hash });
        }
        let plan = plan_appends(&batch, heads)?;

        if !plan.events.is_empty() {
            let mut listing_ids = Vec::with_capacity(plan.events.len());
            let mut seqs = Vec::with_capacity(plan.events.len());
            let mut ats = Vec::with_capacity(plan.events.len());
            let mut kinds = Vec::with_capacity(plan.events.len());
            let mut payloads = Vec::with_capacity(plan.events.len());
            let mut prev_hashes = Vec::with_capacity(plan.events.len());
            let mut hashes = Vec::with_capacity(plan.events.len());
            for (listing_id, entry) in &plan.events {
                listing_ids.push(listing_id.as_str());
                seqs.push(entry.seq);
                ats.push(entry.at);
                kinds.push(entry.kind.as_str());
                payloads.push(entry.payload.as_str());
                prev_hashes.push(entry.prev_hash.as_str());
                hashes.push(entry.hash.as_str());
            }
            sqlx::query(
                "INSERT INTO listing_events (listing_id, seq, at, kind, payload, prev_hash, hash) \
                 SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::text[], \
                 $5::text[], $6::text[], $7::text[])",
            )
            .bind(listing_ids)
            .bind(seqs)
            .bind(ats)
            .bind(kinds)
            .bind(payloads)
            .bind(prev_hashes)
            .bind(hashes)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or_db)?;
        }
        if !plan.moves.is_empty() {
            let mut move_ids = Vec::with_capacity(plan.moves.len());
            let mut seqs = Vec::with_capacity(plan.moves.len());
            let mut hashes = Vec::with_capacity(plan.moves.len());
            let mut summaries = Vec::with_capacity(plan.moves.len());
            let mut statuses = Vec::with_capacity(plan.moves.len());
            let mut decided = Vec::with_capacity(plan.moves.len());
            for (id, head_move) in &plan.moves {
                move_ids.push(id.to_string());
                seqs.push(head_move.seq);
                hashes.push(head_move.hash);
                summaries.push(head_move.summary_json);
                statuses.push(head_move.status);
                decided.push(head_move.decided_at);
            }
            sqlx::query(
                "UPDATE listings SET log_seq = moves.seq, \
                 log_hash = COALESCE(moves.hash, listings.log_hash), \
                 summary_json = COALESCE(moves.summary_json, listings.summary_json), \
                 status = COALESCE(moves.status, listings.status), \
                 decided_at = COALESCE(moves.decided_at, listings.decided_at) \
                 FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
                 $6::bigint[]) AS moves (id, seq, hash, summary_json, status, decided_at) \
                 WHERE listings.id = moves.id",
            )
            .bind(move_ids)
            .bind(seqs)
            .bind(hashes)
            .bind(summaries)
            .bind(statuses)
            .bind(decided)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        if !plan.participants.is_empty() {
            let mut listing_ids = Vec::with_capacity(plan.participants.len());
            let mut enterprise_ids = Vec::with_capacity(plan.participants.len());
            let mut roles = Vec::with_capacity(plan.participants.len());
            for (listing_id, participant) in &plan.participants {
                listing_ids.push(listing_id.to_string());
                enterprise_ids.push(participant.enterprise_id.to_string());
                roles.push(participant.role.as_str());
            }
            sqlx::query(
                "INSERT INTO listing_participants (listing_id, enterprise_id, role) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[]) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(listing_ids)
            .bind(enterprise_ids)
            .bind(roles)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        // Announce every log that grew. A NOTIFY is delivered only if its
        // transaction commits, and after it (see the `feed` module).
        let grown: Vec<String> = plan
            .moves
            .iter()
            .filter(|(_, head_move)| head_move.hash.is_some())
            .map(|(id, head_move)| feed::payload(*id, head_move.seq))
            .collect();
        if !grown.is_empty() {
            sqlx::query("SELECT pg_notify($1, grown) FROM UNNEST($2::text[]) AS grown")
                .bind(feed::APPENDS_CHANNEL)
                .bind(grown)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(plan.outcomes)
    }

    async fn events(
        &self,
        listing_id: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<EventRow>> {
        let rows: Vec<EventDbRow> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM listing_events WHERE listing_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ))
        .bind(listing_id.to_string())
        .bind(after_seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(rows.into_iter().map(EventRow::from).collect())
    }

    async fn head(&self, listing_id: Uuid) -> StoreResult<Option<LogHead>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT log_seq, log_hash FROM listings WHERE id = $1")
                .bind(listing_id.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(row.map(|(seq, hash)| LogHead { seq, hash }))
    }

    // --- Several nodes: the change feed and idempotent requests ------------

    async fn subscribe_appends(&self) -> StoreResult<Box<dyn AppendFeed>> {
        Ok(Box::new(feed::PgAppendFeed::subscribe(&self.pool).await?))
    }

    async fn claim_request(
        &self,
        account_id: Uuid,
        key: &str,
        at: i64,
        expires_at: i64,
    ) -> StoreResult<RequestClaim> {
        let account = account_id.to_string();
        // A row is claimed by whoever inserts it, or takes it over once it
        // has expired; a racing claim waits for the winner's row lock and
        // then finds the row taken. Between a lost claim and the read the
        // winner may release the key; then claim again (a key that keeps
        // changing hands is reported pending).
        for _ in 0..CLAIM_ATTEMPTS {
            let claimed: Option<i64> = sqlx::query_scalar(
                "INSERT INTO request_answers (account_id, key, claimed_at, expires_at) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT ON CONSTRAINT request_answers_key DO UPDATE \
                 SET claimed_at = EXCLUDED.claimed_at, answer = NULL, answered_at = NULL, \
                 expires_at = EXCLUDED.expires_at \
                 WHERE request_answers.expires_at <= EXCLUDED.claimed_at \
                 RETURNING claimed_at",
            )
            .bind(&account)
            .bind(key)
            .bind(at)
            .bind(expires_at)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            if claimed.is_some() {
                return Ok(RequestClaim::Claimed);
            }
            let found: Option<Option<String>> = sqlx::query_scalar(
                "SELECT answer FROM request_answers WHERE account_id = $1 AND key = $2",
            )
            .bind(&account)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
            match found {
                Some(Some(answer)) => return Ok(RequestClaim::Answered(answer)),
                Some(None) => return Ok(RequestClaim::Pending),
                None => continue,
            }
        }
        Ok(RequestClaim::Pending)
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
            "UPDATE request_answers SET answer = $3, answered_at = $4, expires_at = $5 \
             WHERE account_id = $1 AND key = $2 AND answer IS NULL",
        )
        .bind(account_id.to_string())
        .bind(key)
        .bind(answer)
        .bind(at)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict { field: "key" });
        }
        Ok(())
    }

    async fn release_request(&self, account_id: Uuid, key: &str) -> StoreResult<()> {
        sqlx::query(
            "DELETE FROM request_answers WHERE account_id = $1 AND key = $2 AND answer IS NULL",
        )
        .bind(account_id.to_string())
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn purge_requests(&self, now: i64) -> StoreResult<u64> {
        let purged = sqlx::query("DELETE FROM request_answers WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
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
        let listing: Option<bool> = sqlx::query_scalar("SELECT TRUE FROM listings WHERE id = $1")
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
             created_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
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
                 WHERE listing_id = $1 AND kind = $2 AND key = $3"
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
            "SELECT {SECRET_COLUMNS} FROM listing_secrets WHERE listing_id = $1 \
             ORDER BY created_at, kind, key"
        ))
        .bind(listing_id.to_string())
        .fetch_all(&self.pool)
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
        // Locks the arrival's row: a second record of the
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
             paid_at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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
            "UPDATE bank_transactions SET refunded_at = $1, \
             refund_due_at = COALESCE(refund_due_at, $2) WHERE bank_txn_id = $3",
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
            "SELECT {REFUND_COLUMNS} FROM deposit_refunds WHERE listing_id = $1 \
             ORDER BY paid_at, bank_txn_id"
        ))
        .bind(listing_id.to_string())
        .fetch_all(&self.pool)
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

    /// The event log refuses edits, deletions and truncation outright; the
    /// `(listing_id, seq)` key refuses a second entry with a taken number.
    #[tokio::test]
    async fn listing_events_is_append_only() {
        let (store, _db) = testing::fresh().await;
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
            "TRUNCATE listing_events",
        ] {
            let err = sqlx::query(sql).execute(&store.pool).await.unwrap_err();
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
            "TRUNCATE listing_secrets",
        ] {
            let err = sqlx::query(sql).execute(&store.pool).await.unwrap_err();
            assert!(err.to_string().contains("write-once"), "{sql}: {err}");
        }
        assert_eq!(
            store.listing_secrets(listings[0].id).await.unwrap().len(),
            1
        );
        let duplicate = sqlx::query(
            "INSERT INTO listing_events (listing_id, seq, at, kind, payload, prev_hash, hash) \
             VALUES ($1, 1, 2, 'bid_accepted', '{}', $2, $2)",
        )
        .bind(listings[0].id.to_string())
        .bind("b".repeat(64))
        .execute(&store.pool)
        .await
        .map_err(crate::conflict_or_db);
        assert!(
            matches!(
                duplicate,
                Err(yiwang_store::StoreError::Conflict { field: "seq" })
            ),
            "{duplicate:?}"
        );
    }
}
