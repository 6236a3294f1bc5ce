//! Storage for Yiwang: the traits every backend implements.
//!
//! The pattern is Atuin's: backend-neutral traits here, one crate per backend
//! (`store-sqlite`, `store-postgres`) with its own `migrations/`, runtime
//! queries, and one storage test suite ([`testsuite`], behind the `testsuite`
//! feature) that each backend runs unchanged.
//!
//! Portable types only: ids are UUIDv7 (stored as text) or codes, times are
//! `i64` microseconds since the Unix epoch (UTC), money is `i64` fen, JSON is
//! text.
//!
//! Every method that changes state takes an [`AuditCtx`] and writes its audit
//! record in the same transaction as the change; the records form a SHA-256
//! hash chain ([`audit`]). The one exception is the exchange's per-listing
//! event log, which is a hash chain of its own ([`exchange`]). Cases on the shared workflow are
//! stored by [`cases`]; buildings, households, residents and their tags by
//! [`residents`]; the grid indicators and the data-quality detector read
//! through [`kpi`]; the staff's patrols, visits and attendance by
//! [`duties`]; apprentices and their subsidy claims by [`subsidies`]; the
//! register of collective contracts by [`contracts`]; enterprise
//! requests (政企通) by [`requests`]; enterprise visits (千企询访) and the
//! staff assigned to enterprises by [`visits`]; labour mediation (不见面维权)
//! by [`mediation`]; the lecture hall (工信E通 大讲堂) by [`lectures`].

pub mod audit;
pub mod cases;
pub mod contracts;
pub mod duties;
pub mod error;
pub mod exchange;
pub mod grid;
pub mod kpi;
pub mod lectures;
pub mod mediation;
pub mod model;
pub mod problems;
pub mod requests;
pub mod residents;
#[cfg(feature = "sql")]
pub mod sql_rows;
pub mod subsidies;
#[cfg(feature = "testsuite")]
pub mod testsuite;
pub mod visits;

pub use audit::{AuditCtx, AuditQuery, AuditRecord, NewAudit};
pub use cases::CaseStore;
pub use contracts::ContractStore;
pub use duties::DutyStore;
pub use error::StoreError;
pub use exchange::ExchangeStore;
pub use grid::GridStore;
pub use kpi::KpiStore;
pub use lectures::LectureStore;
pub use mediation::MediationStore;
pub use model::*;
pub use problems::ProblemStore;
pub use requests::RequestStore;
pub use residents::ResidentStore;
pub use subsidies::SubsidyStore;
pub use visits::VisitStore;

use async_trait::async_trait;
use uuid::Uuid;

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Accounts: enterprises, staff, sessions and login throttling.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Registers an enterprise and its first account (role `bidder`) together.
    /// Fails with [`StoreError::Conflict`] naming `credit_code` or `username`.
    async fn register_enterprise(
        &self,
        ctx: &AuditCtx,
        enterprise: NewEnterprise,
        user: NewUser,
    ) -> StoreResult<(Enterprise, User)>;

    /// Creates a staff account (any role but `bidder` and `worker`). Conflict
    /// on `username`.
    async fn create_staff(&self, ctx: &AuditCtx, user: NewUser) -> StoreResult<User>;

    /// Registers a worker's own account (role `worker`, whatever `user.role`
    /// says), audited as `account.register_worker`. Conflict on `username`.
    async fn register_worker(&self, ctx: &AuditCtx, user: NewUser) -> StoreResult<User>;

    /// The account and its password hash, for logging in.
    async fn credentials(&self, username: &str) -> StoreResult<Option<Credentials>>;

    async fn user(&self, id: Uuid) -> StoreResult<Option<User>>;

    async fn enterprise(&self, id: Uuid) -> StoreResult<Option<Enterprise>>;

    /// The enterprise registered under a unified social credit code (joint
    /// applications name their partners by it).
    async fn enterprise_by_credit_code(&self, credit_code: &str)
        -> StoreResult<Option<Enterprise>>;

    /// Users matching the query, newest first.
    async fn list_users(&self, query: &UserQuery, page: Page) -> StoreResult<Paged<User>>;

    /// Enables or disables an account; disabling ends its sessions.
    async fn set_user_active(&self, ctx: &AuditCtx, id: Uuid, active: bool) -> StoreResult<()>;

    /// Replaces the password hash and ends every session of the user except
    /// `keep_session` (the session id hash that made the change, if any).
    async fn change_password(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> StoreResult<()>;

    /// Counts a failed login. When the count reaches `max_failures` the
    /// account is locked until `ctx.at + lock_for_us` and the count restarts.
    async fn login_failed(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        max_failures: i32,
        lock_for_us: i64,
    ) -> StoreResult<LoginFailure>;

    /// Records a successful login: clears the failure count and lock, sets
    /// `last_login_at`, and stores the new session.
    async fn login_succeeded(&self, ctx: &AuditCtx, session: NewSession) -> StoreResult<()>;

    /// The live session with this id hash and its (active) user, or `None`
    /// when it is unknown, expired at `now`, or its user is disabled.
    async fn session(&self, id_hash: &str, now: i64) -> StoreResult<Option<(Session, User)>>;

    /// Slides a session's expiry forward (bookkeeping, not audited).
    async fn touch_session(&self, id_hash: &str, now: i64, expires_at: i64) -> StoreResult<()>;

    /// Ends a session (logout).
    async fn end_session(&self, ctx: &AuditCtx, id_hash: &str) -> StoreResult<()>;

    /// Deletes sessions expired at `now`; returns how many.
    async fn purge_sessions(&self, now: i64) -> StoreResult<u64>;

    /// Number of accounts; the demo loader uses it to stay idempotent.
    async fn count_users(&self) -> StoreResult<u64>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends a record for an action that changes nothing else (for example
    /// a view of personal data).
    async fn audit(&self, ctx: &AuditCtx, record: NewAudit) -> StoreResult<AuditRecord>;

    /// Records matching the query, newest first.
    async fn audit_query(&self, query: &AuditQuery, page: Page) -> StoreResult<Paged<AuditRecord>>;

    /// Records with `seq > after_seq` in ascending order, at most `limit`;
    /// `yiwang audit verify` walks the chain with it.
    async fn audit_after(&self, after_seq: i64, limit: u32) -> StoreResult<Vec<AuditRecord>>;
}

/// Everything a Yiwang server needs from its database.
#[async_trait]
pub trait Store:
    AccountStore
    + AuditStore
    + ExchangeStore
    + GridStore
    + CaseStore
    + ResidentStore
    + KpiStore
    + ProblemStore
    + DutyStore
    + SubsidyStore
    + ContractStore
    + RequestStore
    + VisitStore
    + MediationStore
    + LectureStore
    + Send
    + Sync
    + 'static
{
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Runs the backend's migrations (idempotent).
    async fn migrate(&self) -> StoreResult<()>;

    /// A cheap round trip, for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;
}
