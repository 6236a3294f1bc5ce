//! Storage for the land-use-right exchange: notices and their listings, the
//! ineligible list, deposit accounts and the bank's transactions, and each
//! listing's event log.
//!
//! # What the store knows of the domain
//!
//! Nothing it does not need. The notice's parcels, a listing's rules and its
//! public state are the exchange crate's types; the store keeps them as JSON
//! text (`body_json`, `rules_json`, `summary_json`) written and read by that
//! crate, and copies out only the few values that queries filter or sort on
//! (a listing's code, land use, district, start price and windows). So the
//! store does not depend on `yiwang-exchange`, the domain can grow without
//! a migration, and what a query filters on is still a typed, indexed column.
//!
//! A notice's state lives in columns, not in its body: `status`,
//! `published_at`, the termination and the supplements (a table of their
//! own) are the truth, and `body_json` is the content the officer drafted,
//! frozen when the notice is published.
//!
//! # The event log
//!
//! Every listing has an append-only log ([`EventRow`]): sequence numbers 1,
//! 2, 3, … with no gap, the server time in µs, the event's kind and JSON
//! payload, and a SHA-256 chain (`prev_hash`, `hash`) that the caller
//! computes. The store checks every link — each entry's `seq` follows the
//! one before and its `prev_hash` is the previous entry's `hash`, the first
//! entry's [`GENESIS_HASH`] (64 zeros, the origin of the exchange's log
//! format and of the audit chain alike) — but never recomputes a hash: what
//! a hash covers belongs to the log's format alone.
//!
//! The log is its own audit trail: an entry's payload names the actor and
//! client address (the caller puts them there), and the chain makes every
//! later edit visible. So appending writes no [`audit`](crate::audit)
//! record — that would double every bid's cost for no new fact. Every other
//! state-changing method here writes one, in the same transaction, as the
//! account methods do.
//!
//! ## One writer per listing, without a lock held across a decision
//!
//! A writer loads a listing's log, decides with the engine, and appends the
//! resulting entries with [`ListingAppend::expected_seq`] set to the last
//! `seq` it decided against. The store appends them only if the listing's
//! head is still there; otherwise it returns [`AppendOutcome::Stale`] and
//! writes nothing for that listing: another writer (a task, or another
//! server process on the same PostgreSQL) got there first, and the caller
//! reloads and decides again. This is optimistic concurrency on the log's
//! head, and it makes the log one total order whoever writes.
//!
//! ## Grouped commits
//!
//! [`ExchangeStore::append_events`] takes a batch covering any number of
//! listings and commits it in one transaction: one fsync however many bids
//! it carries. A server collects the bids that arrive while the previous
//! commit is being flushed and acknowledges each only after the commit
//! that holds it returns. A stale listing in the batch does not hold back
//! the others; an error (a broken chain, an unknown listing) refuses the
//! whole batch, so nothing of it is written.
//!
//! ## Several processes: the change feed
//!
//! Each server process keeps the listings it serves in memory and pushes
//! every new entry to its own watchers. An entry another process appended
//! reaches it through [`ExchangeStore::subscribe_appends`]: after each
//! commit the store announces, per listing whose log grew, the listing and
//! its new head ([`AppendNotice::Appended`]), and never before the commit —
//! so a follower that reads the log on a notice finds the entries there. A
//! notice carries no entries; the follower reads them with
//! [`ExchangeStore::events`] after the `seq` it has, which makes a notice
//! that arrives twice, late or out of order harmless. When notices may have
//! been lost (the feed reconnected, or fell behind) the feed says so
//! ([`AppendNotice::Lost`]) and the follower re-reads every listing it holds.
//!
//! PostgreSQL announces through `LISTEN`/`NOTIFY`: the `NOTIFY` is sent in
//! the appending transaction, so PostgreSQL delivers it only if that
//! transaction commits, to every process listening. SQLite is the
//! one-process backend: its feed announces the appends made through the
//! same store (and its clones) in this process only, which is all a server
//! on one SQLite file has to hear; servers that share their data run on
//! PostgreSQL.
//!
//! # Idempotent requests
//!
//! A request that must not be acted on twice (a bid) carries a key chosen
//! by the client. Its answer is kept in the database, keyed by the account
//! and the key, so that a retry that lands on another process still gets
//! the first answer. [`ExchangeStore::claim_request`] claims a key before
//! the request is acted on — atomically, so of two requests with one key
//! racing on two processes exactly one acts — and
//! [`ExchangeStore::answer_request`] keeps its answer. Keys expire (the
//! caller says when) and [`ExchangeStore::purge_requests`] deletes expired
//! ones. This is bookkeeping of the kind a session's last-seen time is, not
//! a change of state: the act itself is in the event log, and none of these
//! methods writes an audit record.
//!
//! # The sealed reserve and other secrets
//!
//! The reserve price (底价) has no column in any public table: neither
//! `rules_json` nor `summary_json` may hold it, both being read by pages,
//! the API and exports. Event payloads carry only what the engine writes
//! there: a salted commitment until the result reveals it.
//!
//! The server must still know the secret after a restart, or on another
//! process, to decide a result: a log holds commitments, not openings. So
//! the openings — the reserve's price and nonce, a lottery seed, a sealed
//! offer — are kept in a table of their own, `listing_secrets`
//! ([`ListingSecretRow`]), written once per commitment and read by exactly
//! two callers: the trading desk, which re-attaches them to a listing it
//! reloads, and the officers' listing page. No listing, notice or export
//! query joins it, and its audit records name the kind and the commitment,
//! never the opening.

use serde::Serialize;
use uuid::Uuid;

use crate::audit::GENESIS_HASH;
use crate::{AuditCtx, Page, Paged, StoreResult};

use async_trait::async_trait;

/// Where a notice is in its life: `draft` → `published` → `terminated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Being drafted: editable, not public.
    Draft,
    /// Public; its parcels are listings. Only supplements change it.
    Published,
    /// Terminated (终止) after publication.
    Terminated,
}

impl NoticeStatus {
    /// The stable code stored in `notices.status`.
    pub fn code(self) -> &'static str {
        match self {
            NoticeStatus::Draft => "draft",
            NoticeStatus::Published => "published",
            NoticeStatus::Terminated => "terminated",
        }
    }

    /// The status a code names.
    pub fn from_code(code: &str) -> Option<NoticeStatus> {
        match code {
            "draft" => Some(NoticeStatus::Draft),
            "published" => Some(NoticeStatus::Published),
            "terminated" => Some(NoticeStatus::Terminated),
            _ => None,
        }
    }
}

/// A transfer notice (出让公告).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    pub id: Uuid,
    /// 通自然资规告出网(2020)第60号; unique.
    pub number: String,
    pub title: String,
    pub status: NoticeStatus,
    /// The drafted content (the exchange crate's notice), as JSON text.
    pub body_json: String,
    /// 1 when created, +1 on every change; edits name the version they
    /// were made against.
    pub version: i64,
    /// The account that created the draft.
    pub created_by: Option<Uuid>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub termination_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewNotice {
    pub number: String,
    pub title: String,
    pub body_json: String,
}

/// A change to a draft, made against the version the officer saw.
#[derive(Debug, Clone)]
pub struct NoticeEdit {
    pub title: String,
    pub body_json: String,
    /// The notice's `version` when the officer loaded it.
    pub expected_version: i64,
}

/// Filters for notices; they come newest first (by publication, a draft by
/// creation).
#[derive(Debug, Clone, Default)]
pub struct NoticeQuery {
    pub status: Option<NoticeStatus>,
    /// Substring of the number or the title.
    pub search: Option<String>,
    /// Half-open `[published_from, published_to)` on `published_at`, µs.
    pub published_from: Option<i64>,
    pub published_to: Option<i64>,
}

/// A supplementary notice (补充公告), published as given.
#[derive(Debug, Clone)]
pub struct NewSupplement {
    /// Its number or title; unique within the notice.
    pub number: String,
    pub text: String,
    pub published_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplementRow {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub number: String,
    pub text: String,
    pub published_at: i64,
    pub created_at: i64,
}

/// A parcel of a notice being published, as the listing it becomes.
#[derive(Debug, Clone)]
pub struct NewListing {
    /// The parcel code (R20042); unique across all listings.
    pub code: String,
    pub location: String,
    /// Land use as the notice prints it ("居住,商业").
    pub land_use: String,
    pub district: String,
    /// The start price in the listing's basis, fen.
    pub start_price_fen: i64,
    pub listing_start: i64,
    pub listing_end: i64,
    pub application_start: i64,
    pub application_deadline: i64,
    /// The public rules, as JSON text, without the reserve.
    pub rules_json: String,
    /// The public state, as JSON text.
    pub summary_json: String,
    /// The listing's status code (the caller's vocabulary).
    pub status: String,
}

/// A listing (挂牌): one parcel of a published notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListingRow {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub code: String,
    pub location: String,
    pub land_use: String,
    pub district: String,
    pub start_price_fen: i64,
    pub listing_start: i64,
    pub listing_end: i64,
    pub application_start: i64,
    pub application_deadline: i64,
    /// Public rules (never the reserve), JSON text.
    pub rules_json: String,
    /// Public state (status, current price, bid count, result), JSON text,
    /// updated with the events that change it.
    pub summary_json: String,
    pub status: String,
    /// When the result was decided, µs.
    pub decided_at: Option<i64>,
    pub created_at: i64,
}

/// Filters for listings; they come by listing start, latest first, then by
/// code.
#[derive(Debug, Clone, Default)]
pub struct ListingQuery {
    pub notice_id: Option<Uuid>,
    pub status: Option<String>,
    /// Substring of the land use ("居住" finds "居住,商业").
    pub land_use: Option<String>,
    pub district: Option<String>,
    /// Inclusive bounds on the start price, fen.
    pub min_start_price_fen: Option<i64>,
    pub max_start_price_fen: Option<i64>,
    /// Listings whose window `[listing_start, listing_end)` overlaps
    /// `[listing_from, listing_to)`; either bound may be open.
    pub listing_from: Option<i64>,
    pub listing_to: Option<i64>,
    /// Substring of the code or the location.
    pub search: Option<String>,
}

/// A listing an enterprise takes part in, with its roles there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnterpriseListing {
    pub listing: ListingRow,
    /// Sorted; usually one (`lead`, `partner`, …: the caller's vocabulary).
    pub roles: Vec<String>,
}

/// Why a party is on the ineligible list (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IneligibleKind {
    /// 欠缴: owes land premium or taxes.
    Arrears,
    /// 违约: defaulted on an earlier transfer.
    Default,
    /// 黑名单: blacklisted.
    Blacklist,
}

impl IneligibleKind {
    pub fn code(self) -> &'static str {
        match self {
            IneligibleKind::Arrears => "arrears",
            IneligibleKind::Default => "default",
            IneligibleKind::Blacklist => "blacklist",
        }
    }

    pub fn from_code(code: &str) -> Option<IneligibleKind> {
        match code {
            "arrears" => Some(IneligibleKind::Arrears),
            "default" => Some(IneligibleKind::Default),
            "blacklist" => Some(IneligibleKind::Blacklist),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewIneligible {
    /// The party's unified social credit code, already validated.
    pub credit_code: String,
    pub name: String,
    pub kind: IneligibleKind,
    pub reason: String,
    /// In force over `[listed_from, listed_until)`; open-ended without an
    /// end. The store refuses an end that is not after the start.
    pub listed_from: i64,
    pub listed_until: Option<i64>,
}

/// An entry of the ineligible list. Entries are never deleted: lifting one
/// ends it at the instant of lifting, so the list as it was at any earlier
/// instant can still be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IneligibleRow {
    pub id: Uuid,
    pub credit_code: String,
    pub name: String,
    pub kind: IneligibleKind,
    pub reason: String,
    pub listed_from: i64,
    pub listed_until: Option<i64>,
    /// When an officer lifted it; it is not in force from then on.
    pub lifted_at: Option<i64>,
    pub created_at: i64,
}

impl IneligibleRow {
    /// Whether the entry is in force at `at`: `listed_from ≤ at`, before
    /// `listed_until`, and before it was lifted.
    pub fn in_force_at(&self, at: i64) -> bool {
        self.listed_from <= at
            && self.listed_until.is_none_or(|until| at < until)
            && self.lifted_at.is_none_or(|lifted| at < lifted)
    }
}

/// Filters for the ineligible list; newest entries first.
#[derive(Debug, Clone, Default)]
pub struct IneligibleQuery {
    pub credit_code: Option<String>,
    pub kind: Option<IneligibleKind>,
    /// Only entries in force at this instant.
    pub in_force_at: Option<i64>,
    /// Substring of the name or the credit code.
    pub search: Option<String>,
}

/// A deposit account (保证金账号) opened for one application.
#[derive(Debug, Clone)]
pub struct NewDepositAccount {
    /// Unique and unguessable: generated by the caller.
    pub account_no: String,
    pub listing_id: Uuid,
    /// The application's reference; one account per application.
    pub application_ref: String,
    /// The application's lead.
    pub enterprise_id: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepositAccountRow {
    pub account_no: String,
    pub listing_id: Uuid,
    pub application_ref: String,
    pub enterprise_id: Uuid,
    pub created_at: i64,
}

/// An arrival the bank reported (its callback, already authenticated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankTxn {
    /// The bank's own transaction id: a repeat of it is the same arrival.
    pub bank_txn_id: String,
    /// The deposit account the money was paid into; need not exist.
    pub account_no: String,
    pub amount_fen: i64,
    pub payer_name: String,
    pub payer_account: String,
    /// When the report reached Yiwang, µs: the instant the rules credit
    /// the money at. A repeat's own time does not matter.
    pub received_at: i64,
    /// The callback's body as received, kept for disputes.
    pub raw_body: String,
}

/// What became of an arrival (§3.3). Refused arrivals are still recorded,
/// and refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BankTxnOutcome {
    /// Credited to its application.
    Credited,
    /// Received at or after the deposit deadline (`deposit_late`).
    Late,
    /// Less than the deposit required; recorded and refunded.
    Short,
    /// Paid into an account number that does not exist.
    UnknownAccount,
    /// Paid by a party that is not the application's lead (`not_applied`).
    NotApplied,
}

impl BankTxnOutcome {
    pub fn code(self) -> &'static str {
        match self {
            BankTxnOutcome::Credited => "credited",
            BankTxnOutcome::Late => "late",
            BankTxnOutcome::Short => "short",
            BankTxnOutcome::UnknownAccount => "unknown_account",
            BankTxnOutcome::NotApplied => "not_applied",
        }
    }

    pub fn from_code(code: &str) -> Option<BankTxnOutcome> {
        match code {
            "credited" => Some(BankTxnOutcome::Credited),
            "late" => Some(BankTxnOutcome::Late),
            "short" => Some(BankTxnOutcome::Short),
            "unknown_account" => Some(BankTxnOutcome::UnknownAccount),
            "not_applied" => Some(BankTxnOutcome::NotApplied),
            _ => None,
        }
    }
}

/// A recorded bank transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankTxnRow {
    pub bank_txn_id: String,
    pub account_no: String,
    /// The account's listing and lead, when the account exists.
    pub listing_id: Option<Uuid>,
    pub enterprise_id: Option<Uuid>,
    pub amount_fen: i64,
    pub payer_name: String,
    pub payer_account: String,
    pub received_at: i64,
    pub raw_body: String,
    /// When the store recorded it (the caller's `ctx.at`).
    pub recorded_at: i64,
    /// `None` until the caller has judged it.
    pub outcome: Option<BankTxnOutcome>,
    /// Set when the money is to be paid back, and by when.
    pub refund_due_at: Option<i64>,
    pub refunded_at: Option<i64>,
}

impl BankTxnRow {
    /// Whether `txn` reports the same arrival as this row: the same
    /// account, amount and payer. The report's time and its raw body may
    /// differ on a retry (a new timestamp, a new signature).
    pub fn same_arrival(&self, txn: &BankTxn) -> bool {
        self.bank_txn_id == txn.bank_txn_id
            && self.account_no == txn.account_no
            && self.amount_fen == txn.amount_fen
            && self.payer_name == txn.payer_name
            && self.payer_account == txn.payer_account
    }
}

/// What [`ExchangeStore::record_bank_transaction`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// The first report of this transaction, now recorded.
    New(BankTxnRow),
    /// A repeat of a recorded transaction: nothing changed; the row is the
    /// one recorded first.
    Duplicate(BankTxnRow),
}

impl Recorded {
    /// The recorded row, whichever report this was.
    pub fn row(&self) -> &BankTxnRow {
        match self {
            Recorded::New(row) | Recorded::Duplicate(row) => row,
        }
    }
}

/// Filters for bank transactions; latest arrival first.
#[derive(Debug, Clone, Default)]
pub struct BankTxnQuery {
    pub listing_id: Option<Uuid>,
    pub account_no: Option<String>,
    pub outcome: Option<BankTxnOutcome>,
    /// `Some(true)`: due for refund and not yet refunded; `Some(false)`:
    /// everything else.
    pub refund_pending: Option<bool>,
}

/// One entry of a listing's event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    /// 1, 2, 3, … within the listing.
    pub seq: i64,
    /// Server time, µs.
    pub at: i64,
    /// The event's name (`bid_accepted`, …).
    pub kind: String,
    /// The event as JSON text, stored and returned byte for byte.
    pub payload: String,
    /// The previous entry's `hash`.
    pub prev_hash: String,
    pub hash: String,
}

/// The end of a listing's log: what the next entry links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogHead {
    /// The last entry's `seq`; 0 for an empty log.
    pub seq: i64,
    /// The last entry's `hash`; [`GENESIS_HASH`] for an empty log.
    pub hash: String,
}

impl LogHead {
    /// The head of a log with no entries.
    pub fn empty() -> LogHead {
        LogHead {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        }
    }
}

/// A party to a listing, for "my listings" pages.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Participant {
    pub enterprise_id: Uuid,
    /// The caller's vocabulary: `lead`, `partner`, `winner`…
    pub role: String,
}

/// A listing's part of an [`ExchangeStore::append_events`] batch.
#[derive(Debug, Clone)]
pub struct ListingAppend {
    pub listing_id: Uuid,
    /// The log's last `seq` when the writer decided (0 for an empty log).
    /// Nothing is written for this listing unless the head is still there.
    pub expected_seq: i64,
    /// The new entries, `seq` from `expected_seq + 1` on, the first linking
    /// to the head's hash, each to the one before.
    pub entries: Vec<EventRow>,
    /// Replaces the listing's public summary, when set.
    pub summary_json: Option<String>,
    /// Replaces the listing's status, when set.
    pub status: Option<String>,
    /// Sets when the result was decided, when set.
    pub decided_at: Option<i64>,
    /// Added to the listing's participants (already-known ones are
    /// ignored).
    pub participants: Vec<Participant>,
}

impl ListingAppend {
    /// Entries for one listing with nothing else changed.
    pub fn entries(listing_id: Uuid, expected_seq: i64, entries: Vec<EventRow>) -> ListingAppend {
        ListingAppend {
            listing_id,
            expected_seq,
            entries,
            summary_json: None,
            status: None,
            decided_at: None,
            participants: Vec::new(),
        }
    }

    /// Checks what can be checked without the database: the entries'
    /// `seq` run on from `expected_seq` and each links to the one before.
    pub fn check_links(&self) -> Result<(), String> {
        let mut previous: Option<&EventRow> = None;
        for (i, entry) in self.entries.iter().enumerate() {
            let expected = self.expected_seq + 1 + i as i64;
            if entry.seq != expected {
                return Err(format!(
                    "listing {}: entry seq {} where {expected} was due",
                    self.listing_id, entry.seq
                ));
            }
            if let Some(previous) = previous {
                if entry.prev_hash != previous.hash {
                    return Err(format!(
                        "listing {}: entry {} does not link to entry {}",
                        self.listing_id, entry.seq, previous.seq
                    ));
                }
            }
            previous = Some(entry);
        }
        Ok(())
    }
}

/// What became of one listing's part of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Written; the log now ends at `head_seq`.
    Appended { head_seq: i64 },
    /// The log had moved on to `head_seq`: nothing was written for this
    /// listing. Reload, decide again, retry.
    Stale { head_seq: i64 },
}

/// What the change feed announces ([`ExchangeStore::subscribe_appends`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendNotice {
    /// A commit made the listing's log end at `head_seq`.
    Appended { listing_id: Uuid, head_seq: i64 },
    /// Notices may have been missed since the last one (the feed
    /// reconnected or fell behind): re-read every listing that matters.
    Lost,
}

/// A subscription to the appends committed to the event logs.
#[async_trait]
pub trait AppendFeed: Send {
    /// The next notice, waiting for one. An error means the feed cannot
    /// hear for now; calling again retries, and the first notice after a
    /// recovery is [`AppendNotice::Lost`]. Dropping the feed ends the
    /// subscription.
    async fn next(&mut self) -> StoreResult<AppendNotice>;
}

/// What [`ExchangeStore::claim_request`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestClaim {
    /// The key was free and is now claimed by this request: act on it,
    /// then [`answer_request`](ExchangeStore::answer_request) (or
    /// [`release_request`](ExchangeStore::release_request) when it could
    /// not be acted on).
    Claimed,
    /// Another request with the key is being acted on: there is no answer
    /// yet.
    Pending,
    /// A request with the key was answered; this is that first answer.
    Answered(String),
}

/// What a kept secret is; the engine's vocabulary, stored as a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    /// The reserve's opening (price or "none", and nonce).
    Reserve,
    /// A lottery seed, keyed by its published SHA-256.
    LotterySeed,
    /// A sealed offer's opening (price and nonce).
    SealedOffer,
}

impl SecretKind {
    pub fn code(self) -> &'static str {
        match self {
            SecretKind::Reserve => "reserve",
            SecretKind::LotterySeed => "lottery_seed",
            SecretKind::SealedOffer => "sealed_offer",
        }
    }

    pub fn from_code(code: &str) -> Option<SecretKind> {
        match code {
            "reserve" => Some(SecretKind::Reserve),
            "lottery_seed" => Some(SecretKind::LotterySeed),
            "sealed_offer" => Some(SecretKind::SealedOffer),
            _ => None,
        }
    }
}

/// A secret to keep for a listing.
#[derive(Clone)]
pub struct NewListingSecret {
    pub listing_id: Uuid,
    pub kind: SecretKind,
    /// What the secret opens: the commitment (or the seed's SHA-256) in
    /// lowercase hex. Public; the audit record shows it.
    pub key: String,
    /// The opening as JSON text, in the engine's serde form. Secret.
    pub opening_json: String,
}

/// A kept secret. Written once: a commitment has one opening.
#[derive(Clone, PartialEq, Eq)]
pub struct ListingSecretRow {
    pub listing_id: Uuid,
    pub kind: SecretKind,
    pub key: String,
    /// Secret: never logged, never shown but to the officers.
    pub opening_json: String,
    pub created_at: i64,
    /// The account that set it; `None` for the system (publication).
    pub created_by: Option<Uuid>,
}

// Hand-written so that printing a secret (a `{:?}` in a log line, a failed
// assertion) shows what it opens, never the opening.
impl std::fmt::Debug for NewListingSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewListingSecret")
            .field("listing_id", &self.listing_id)
            .field("kind", &self.kind)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ListingSecretRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListingSecretRow")
            .field("listing_id", &self.listing_id)
            .field("kind", &self.kind)
            .field("key", &self.key)
            .field("created_at", &self.created_at)
            .field("created_by", &self.created_by)
            .finish_non_exhaustive()
    }
}

/// What [`ExchangeStore::put_listing_secret`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretPut {
    /// Kept now (and audited).
    New(ListingSecretRow),
    /// Already kept with the same opening: nothing changed.
    Same(ListingSecretRow),
}

impl SecretPut {
    pub fn row(&self) -> &ListingSecretRow {
        match self {
            SecretPut::New(row) | SecretPut::Same(row) => row,
        }
    }
}

// --- Deposit refunds ----------------------------------------------------------

/// A deposit paid back, as an officer records it from the bank's advice.
///
/// Which deposits are due back, and by when, follows from the listing's
/// result and the bank's callbacks; the caller works it out and names the
/// due date here, so that the record keeps what was due when it was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDepositRefund {
    /// The arrival paid back, whole.
    pub bank_txn_id: String,
    /// When the refund was due, µs.
    pub due_at: i64,
    /// The bank's reference of the refund transfer.
    pub bank_ref: String,
    /// When the money went back, µs.
    pub paid_at: i64,
}

/// A recorded refund. Written once per arrival, never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DepositRefundRow {
    pub bank_txn_id: String,
    /// The arrival's listing, when its account was known.
    pub listing_id: Option<Uuid>,
    /// The arrival's amount: a refund pays back the whole arrival.
    pub amount_fen: i64,
    pub due_at: i64,
    pub bank_ref: String,
    pub paid_at: i64,
    /// The officer who recorded it.
    pub recorded_by: Option<Uuid>,
    pub recorded_at: i64,
}

/// The exchange's storage. See the module documentation for the rules
/// every backend keeps.
#[async_trait]
pub trait ExchangeStore: Send + Sync {
    // --- Notices and listings ---------------------------------------------

    /// Stores a new draft (version 1). Conflict on `number`.
    async fn create_notice(&self, ctx: &AuditCtx, notice: NewNotice) -> StoreResult<NoticeRow>;

    /// Replaces a draft's title and body. Refused with a conflict on
    /// `version` when the notice changed since `expected_version`, and on
    /// `status` when it is no longer a draft.
    async fn update_draft_notice(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        edit: NoticeEdit,
    ) -> StoreResult<NoticeRow>;

    /// Publishes a draft and creates its listings, all or nothing. Conflict
    /// on `version` (changed since the officer's preview), `status` (not a
    /// draft) or `code` (a listing code already taken).
    async fn publish_notice(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        expected_version: i64,
        published_at: i64,
        listings: Vec<NewListing>,
    ) -> StoreResult<(NoticeRow, Vec<ListingRow>)>;

    /// Terminates a published notice; its listings that have no result yet
    /// take the status `terminated`. Conflict on `status` otherwise.
    async fn terminate_notice(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        reason: &str,
    ) -> StoreResult<NoticeRow>;

    /// Adds a supplement to a published notice. Conflict on `status` (not
    /// published) or `supplement_number` (already used in this notice).
    async fn add_supplement(
        &self,
        ctx: &AuditCtx,
        notice_id: Uuid,
        supplement: NewSupplement,
    ) -> StoreResult<SupplementRow>;

    async fn notice(&self, id: Uuid) -> StoreResult<Option<NoticeRow>>;

    async fn notice_by_number(&self, number: &str) -> StoreResult<Option<NoticeRow>>;

    /// A notice's supplements, in publication order.
    async fn supplements(&self, notice_id: Uuid) -> StoreResult<Vec<SupplementRow>>;

    async fn list_notices(&self, query: &NoticeQuery, page: Page) -> StoreResult<Paged<NoticeRow>>;

    async fn listing(&self, id: Uuid) -> StoreResult<Option<ListingRow>>;

    async fn listing_by_code(&self, code: &str) -> StoreResult<Option<ListingRow>>;

    async fn list_listings(
        &self,
        query: &ListingQuery,
        page: Page,
    ) -> StoreResult<Paged<ListingRow>>;

    /// The listings an enterprise takes part in, latest listing first.
    async fn listings_of_enterprise(
        &self,
        enterprise_id: Uuid,
        page: Page,
    ) -> StoreResult<Paged<EnterpriseListing>>;

    // --- The ineligible list ----------------------------------------------

    async fn add_ineligible(
        &self,
        ctx: &AuditCtx,
        entry: NewIneligible,
    ) -> StoreResult<IneligibleRow>;

    /// Ends an entry at `ctx.at`. Conflict on `status` when already lifted.
    async fn lift_ineligible(&self, ctx: &AuditCtx, id: Uuid) -> StoreResult<IneligibleRow>;

    async fn list_ineligible(
        &self,
        query: &IneligibleQuery,
        page: Page,
    ) -> StoreResult<Paged<IneligibleRow>>;

    /// The credit codes on the list at `at`, sorted, each once.
    async fn ineligible_codes_at(&self, at: i64) -> StoreResult<Vec<String>>;

    // --- Deposits -----------------------------------------------------------

    /// Opens a deposit account. Conflict on `account_no`, or on
    /// `application_ref` when the application already has one; `NotFound`
    /// when the listing does not exist.
    async fn create_deposit_account(
        &self,
        ctx: &AuditCtx,
        account: NewDepositAccount,
    ) -> StoreResult<DepositAccountRow>;

    async fn deposit_account(&self, account_no: &str) -> StoreResult<Option<DepositAccountRow>>;

    /// A listing's deposit accounts, oldest first.
    async fn deposit_accounts(&self, listing_id: Uuid) -> StoreResult<Vec<DepositAccountRow>>;

    /// Records an arrival, once. A repeat of the same arrival changes
    /// nothing and returns the first record ([`Recorded::Duplicate`], not
    /// audited); a repeat that differs ([`BankTxnRow::same_arrival`]) is
    /// refused with a conflict on `bank_txn_id`. An unknown account is
    /// recorded too, without a listing.
    async fn record_bank_transaction(&self, ctx: &AuditCtx, txn: BankTxn) -> StoreResult<Recorded>;

    async fn bank_transaction(&self, bank_txn_id: &str) -> StoreResult<Option<BankTxnRow>>;

    /// Sets what became of an arrival and, when it is to be paid back, by
    /// when. Conflict on `status` once it has been refunded.
    async fn set_bank_transaction_outcome(
        &self,
        ctx: &AuditCtx,
        bank_txn_id: &str,
        outcome: BankTxnOutcome,
        refund_due_at: Option<i64>,
    ) -> StoreResult<BankTxnRow>;

    async fn bank_transactions(
        &self,
        query: &BankTxnQuery,
        page: Page,
    ) -> StoreResult<Paged<BankTxnRow>>;

    /// Records that the money went back at `at`. Conflict on `status` when
    /// no refund is due or it was already refunded.
    async fn mark_refunded(
        &self,
        ctx: &AuditCtx,
        bank_txn_id: &str,
        at: i64,
    ) -> StoreResult<BankTxnRow>;

    // --- The event log ------------------------------------------------------

    /// Appends a batch in one transaction; one outcome per element, in
    /// order. A listing may appear more than once: its later parts follow
    /// the earlier ones. Errors refuse the whole batch: `Corrupt` when
    /// entries do not run on from `expected_seq` or do not link to each
    /// other or to the head (the first entry of a log to [`GENESIS_HASH`]),
    /// `NotFound` for an unknown listing.
    async fn append_events(&self, batch: Vec<ListingAppend>) -> StoreResult<Vec<AppendOutcome>>;

    /// Entries with `seq > after_seq`, ascending, at most `limit`.
    async fn events(
        &self,
        listing_id: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> StoreResult<Vec<EventRow>>;

    /// The end of the listing's log; `None` for an unknown listing.
    async fn head(&self, listing_id: Uuid) -> StoreResult<Option<LogHead>>;

    // --- Several nodes: the change feed and idempotent requests ------------

    /// Subscribes to the appends committed from now on (see "Several
    /// processes: the change feed" in the module documentation). When this returns, the
    /// subscription is in place: every later commit that grows a log is
    /// announced. PostgreSQL hears every process on the database; SQLite
    /// hears appends made through this store and its clones.
    async fn subscribe_appends(&self) -> StoreResult<Box<dyn AppendFeed>>;

    /// Claims `(account_id, key)` for a request about to be acted on, at
    /// `at`, until `expires_at`. One claim wins however many requests race
    /// on however many processes; the others learn that it is
    /// [`Pending`](RequestClaim::Pending) or get its
    /// [`Answered`](RequestClaim::Answered) answer. A key whose claim has
    /// expired (`expires_at ≤ at`) is free again. Not audited.
    async fn claim_request(
        &self,
        account_id: Uuid,
        key: &str,
        at: i64,
        expires_at: i64,
    ) -> StoreResult<RequestClaim>;

    /// Keeps the answer to a request this caller claimed, until
    /// `expires_at`; later claims of the key get it. A claim is taken for
    /// a short lease (its request may never be answered if its process
    /// dies) and its answer kept for longer: the answer moves the expiry.
    /// Conflict on `key` when the key is not claimed and unanswered
    /// (released, expired and purged, or answered already).
    async fn answer_request(
        &self,
        account_id: Uuid,
        key: &str,
        answer: &str,
        at: i64,
        expires_at: i64,
    ) -> StoreResult<()>;

    /// Gives up a claim that has no answer, so that a retry acts; an
    /// answered key is left as it is.
    async fn release_request(&self, account_id: Uuid, key: &str) -> StoreResult<()>;

    /// Deletes the keys expired at `now` (`expires_at ≤ now`), answered or
    /// not; returns how many.
    async fn purge_requests(&self, now: i64) -> StoreResult<u64>;

    // --- Secrets --------------------------------------------------------------

    /// Keeps the opening of one of a listing's secrets, with an audit
    /// record (`listing.secret_kept`) whose detail is the kind and the key
    /// only. Putting the same opening again changes nothing
    /// ([`SecretPut::Same`], not audited); a different opening under a key
    /// already kept is refused with a conflict on `key`. `NotFound` for an
    /// unknown listing.
    async fn put_listing_secret(
        &self,
        ctx: &AuditCtx,
        secret: NewListingSecret,
    ) -> StoreResult<SecretPut>;

    /// Every secret kept for a listing, oldest first (then by kind and
    /// key). Only the trading desk
    /// and the officers' pages may call this.
    async fn listing_secrets(&self, listing_id: Uuid) -> StoreResult<Vec<ListingSecretRow>>;

    // --- Deposit refunds (results) ------------------------------------------

    /// Records that an arrival was paid back: the refund row, the
    /// transaction's `refunded_at` (set to `paid_at`, and `refund_due_at`
    /// to `due_at` when it had none) and an audit record
    /// (`deposit.refunded`, with the amount, the bank's reference and both
    /// dates), in one transaction. `NotFound` for an unknown transaction;
    /// conflict on `status` when it is not judged yet or was already
    /// refunded (a second record of the same refund changes nothing).
    async fn record_deposit_refund(
        &self,
        ctx: &AuditCtx,
        refund: NewDepositRefund,
    ) -> StoreResult<DepositRefundRow>;

    /// The refunds recorded for a listing's deposits, by payment time, then
    /// by transaction.
    async fn deposit_refunds(&self, listing_id: Uuid) -> StoreResult<Vec<DepositRefundRow>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str, hash: &str) -> EventRow {
        EventRow {
            seq,
            at: seq,
            kind: "k".into(),
            payload: "{}".into(),
            prev_hash: prev.into(),
            hash: hash.into(),
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in [
            NoticeStatus::Draft,
            NoticeStatus::Published,
            NoticeStatus::Terminated,
        ] {
            assert_eq!(NoticeStatus::from_code(s.code()), Some(s));
        }
        for k in [
            IneligibleKind::Arrears,
            IneligibleKind::Default,
            IneligibleKind::Blacklist,
        ] {
            assert_eq!(IneligibleKind::from_code(k.code()), Some(k));
        }
        for o in [
            BankTxnOutcome::Credited,
            BankTxnOutcome::Late,
            BankTxnOutcome::Short,
            BankTxnOutcome::UnknownAccount,
            BankTxnOutcome::NotApplied,
        ] {
            assert_eq!(BankTxnOutcome::from_code(o.code()), Some(o));
        }
        for k in [
            SecretKind::Reserve,
            SecretKind::LotterySeed,
            SecretKind::SealedOffer,
        ] {
            assert_eq!(SecretKind::from_code(k.code()), Some(k));
        }
        assert_eq!(NoticeStatus::from_code("Draft"), None);
        assert_eq!(BankTxnOutcome::from_code(""), None);
    }

    #[test]
    fn links_are_checked_within_a_part() {
        let id = Uuid::nil();
        let ok = ListingAppend::entries(id, 3, vec![entry(4, "c", "d"), entry(5, "d", "e")]);
        assert_eq!(ok.check_links(), Ok(()));
        assert!(ListingAppend::entries(id, 0, vec![]).check_links().is_ok());
        let gap = ListingAppend::entries(id, 3, vec![entry(5, "c", "d")]);
        assert!(gap.check_links().is_err());
        let unlinked = ListingAppend::entries(id, 3, vec![entry(4, "c", "d"), entry(5, "x", "e")]);
        assert!(unlinked.check_links().is_err());
    }

    #[test]
    fn in_force_is_half_open() {
        let row = IneligibleRow {
            id: Uuid::nil(),
            credit_code: "c".into(),
            name: "n".into(),
            kind: IneligibleKind::Arrears,
            reason: "r".into(),
            listed_from: 10,
            listed_until: Some(20),
            lifted_at: None,
            created_at: 0,
        };
        assert!(!row.in_force_at(9));
        assert!(row.in_force_at(10));
        assert!(row.in_force_at(19));
        assert!(!row.in_force_at(20));
        let lifted = IneligibleRow {
            lifted_at: Some(15),
            ..row
        };
        assert!(lifted.in_force_at(14));
        assert!(!lifted.in_force_at(15));
    }
}
