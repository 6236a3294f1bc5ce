//! Storage for enterprise requests (政企通 诉求): the requests enterprises
//! submit, one part per department that answers, the enterprise's rating,
//! and who took a need from the matching board.
//!
//! The rules (routing, time limits, who may do what when) are
//! `yiwang_services::requests`; the store keeps the facts and refuses a
//! change that the facts no longer allow when it is made (a part answered
//! twice, a request rated before every part is answered, a need taken
//! twice), so that two people acting at once cannot both succeed.
//!
//! # Tables
//!
//! `services_requests`, `services_request_parts` and the number counter
//! `services_request_numbers` (migration 0013). They are separate from the
//! grid's `cases`, whose indicators count every row. Every change is audited
//! in its transaction: `request.submit`, `request.route`, `request.reply`,
//! `request.rate`, `request.take`. Audit details carry no contact data.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::{AuditCtx, Page, Paged, StoreResult};

/// A request to store, with its first parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub submitter_id: Uuid,
    pub category: String,
    pub title: String,
    pub content: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// Whether the matching board may show the contact.
    pub share_contact: bool,
    /// µs.
    pub submitted_at: i64,
    pub parts: Vec<NewPart>,
}

/// A department's part to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPart {
    pub department: String,
    pub assigned_at: i64,
    pub due_at: i64,
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRow {
    pub id: Uuid,
    /// `QY` + the Beijing date + a sequence of the day: `QY20261126-0001`.
    pub number: String,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub submitter_id: Uuid,
    pub category: String,
    pub title: String,
    pub content: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub share_contact: bool,
    /// `open`, `answered` or `rated` (a `RequestState` code).
    pub state: String,
    pub submitted_at: i64,
    /// When the last part was answered.
    pub answered_at: Option<i64>,
    pub rating: Option<i64>,
    pub rating_comment: String,
    pub rated_at: Option<i64>,
    /// Who took the need from the matching board.
    pub taken_by_id: Option<Uuid>,
    pub taken_by_name: String,
    pub taken_at: Option<i64>,
    /// The earliest due date of its unanswered parts.
    pub next_due_at: Option<i64>,
}

/// A stored part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartRow {
    pub request_id: Uuid,
    pub department: String,
    pub assigned_at: i64,
    pub due_at: i64,
    pub reply: String,
    pub replied_by_id: Option<Uuid>,
    pub replied_by_name: String,
    pub answered_at: Option<i64>,
}

/// A request and its parts, in the order they were assigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestDetail {
    pub request: RequestRow,
    pub parts: Vec<PartRow>,
}

/// Which requests a list shows. Every filter given applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestQuery {
    /// One enterprise's own.
    pub enterprise_id: Option<Uuid>,
    /// Those with a part for this department.
    pub department: Option<String>,
    /// With an unanswered part for `department` (or any, without one).
    pub pending_only: bool,
    pub state: Option<String>,
    pub category: Option<String>,
    /// Matches the number, the title or the enterprise's name.
    pub search: Option<String>,
    /// Only those nobody took from the board.
    pub untaken_only: bool,
}

/// A part with its request, for the escalation list and the indicators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartLine {
    pub request_id: Uuid,
    pub number: String,
    pub title: String,
    pub enterprise_name: String,
    pub category: String,
    pub department: String,
    pub assigned_at: i64,
    pub due_at: i64,
    pub answered_at: Option<i64>,
    pub rating: Option<i64>,
}

/// Which parts [`RequestStore::request_parts`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartQuery {
    /// Assigned in this window, µs, half-open.
    pub assigned_from: Option<i64>,
    pub assigned_to: Option<i64>,
    /// Unanswered and due before this, µs.
    pub pending_due_before: Option<i64>,
    pub department: Option<String>,
}

/// What a reply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// Stored; `all_answered` when it was the last part.
    Stored { all_answered: bool },
    /// The request has no part for the department.
    NotRouted,
    /// The department's part was already answered.
    AlreadyAnswered,
}

/// Requests and their parts.
#[async_trait]
pub trait RequestStore: Send + Sync {
    /// Stores a request with its parts and gives it its number.
    async fn create_request(&self, ctx: &AuditCtx, request: NewRequest) -> StoreResult<RequestRow>;

    async fn request(&self, id: Uuid) -> StoreResult<Option<RequestDetail>>;

    /// Requests matching the query, newest first.
    async fn list_requests(
        &self,
        query: &RequestQuery,
        page: Page,
    ) -> StoreResult<Paged<RequestRow>>;

    /// Adds a department's part to an open request. `Conflict` on
    /// `department` when it is already on it, on `state` when the request
    /// is no longer open; `NotFound` for an unknown request.
    async fn add_request_part(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        part: NewPart,
    ) -> StoreResult<()>;

    /// Stores a department's answer at `ctx.at`, signed `replier_name`
    /// (the handler as the enterprise reads them); the request becomes
    /// `answered` with its last part.
    async fn reply_request_part(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        department: &str,
        replier_name: &str,
        reply: &str,
    ) -> StoreResult<ReplyOutcome>;

    /// The enterprise's rating of an answered request. `Conflict` on
    /// `state` unless it is `answered`.
    async fn rate_request(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        rating: u8,
        comment: &str,
    ) -> StoreResult<()>;

    /// Takes an open need from the matching board for `ctx`'s actor, shown
    /// as `taker_name`. `Conflict` on `taken_by` when someone took it, on
    /// `state` when it is no longer open.
    async fn take_request(
        &self,
        ctx: &AuditCtx,
        request_id: Uuid,
        taker_name: &str,
    ) -> StoreResult<()>;

    /// Parts with their requests, by due date.
    async fn request_parts(&self, query: &PartQuery) -> StoreResult<Vec<PartLine>>;

    /// Open requests per category (the board's tabs).
    async fn open_requests_by_category(&self) -> StoreResult<Vec<(String, i64)>>;

    /// What the dashboards count of each request submitted in
    /// `[from, to)` (µs), oldest first.
    async fn request_facts(&self, from: i64, to: i64) -> StoreResult<Vec<RequestFact>>;
}

/// A request as the dashboards count it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sql", derive(sqlx::FromRow))]
pub struct RequestFact {
    pub submitted_at: i64,
    /// `open`, `answered` or `rated`.
    pub state: String,
    pub category: String,
}

/// Row types shared by the SQL backends.
#[cfg(feature = "sql")]
pub mod rows {
    use super::{PartLine, PartRow, RequestRow};
    use crate::sql_rows::{parse_opt_uuid, parse_uuid};
    use crate::StoreError;

    /// The columns [`RequestRowDb`] reads, with `r` the requests' alias.
    pub const REQUEST_COLUMNS: &str = "r.id, r.number, r.enterprise_id, r.enterprise_name, \
        r.submitter_id, r.category, r.title, r.content, r.contact_name, r.contact_phone, \
        r.share_contact, r.state, r.submitted_at, r.answered_at, r.rating, r.rating_comment, \
        r.rated_at, r.taken_by_id, r.taken_by_name, r.taken_at, \
        (SELECT MIN(p.due_at) FROM services_request_parts p \
          WHERE p.request_id = r.id AND p.answered_at IS NULL) AS next_due_at";

    #[derive(Debug, sqlx::FromRow)]
    pub struct RequestRowDb {
        id: String,
        number: String,
        enterprise_id: String,
        enterprise_name: String,
        submitter_id: String,
        category: String,
        title: String,
        content: String,
        contact_name: String,
        contact_phone: String,
        share_contact: bool,
        state: String,
        submitted_at: i64,
        answered_at: Option<i64>,
        rating: Option<i64>,
        rating_comment: String,
        rated_at: Option<i64>,
        taken_by_id: Option<String>,
        taken_by_name: String,
        taken_at: Option<i64>,
        next_due_at: Option<i64>,
    }

    impl TryFrom<RequestRowDb> for RequestRow {
        type Error = StoreError;

        fn try_from(r: RequestRowDb) -> Result<RequestRow, StoreError> {
            Ok(RequestRow {
                id: parse_uuid("services_requests.id", &r.id)?,
                number: r.number,
                enterprise_id: parse_uuid("services_requests.enterprise_id", &r.enterprise_id)?,
                enterprise_name: r.enterprise_name,
                submitter_id: parse_uuid("services_requests.submitter_id", &r.submitter_id)?,
                category: r.category,
                title: r.title,
                content: r.content,
                contact_name: r.contact_name,
                contact_phone: r.contact_phone,
                share_contact: r.share_contact,
                state: r.state,
                submitted_at: r.submitted_at,
                answered_at: r.answered_at,
                rating: r.rating,
                rating_comment: r.rating_comment,
                rated_at: r.rated_at,
                taken_by_id: parse_opt_uuid("services_requests.taken_by_id", r.taken_by_id)?,
                taken_by_name: r.taken_by_name,
                taken_at: r.taken_at,
                next_due_at: r.next_due_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct PartRowDb {
        request_id: String,
        department: String,
        assigned_at: i64,
        due_at: i64,
        reply: String,
        replied_by_id: Option<String>,
        replied_by_name: String,
        answered_at: Option<i64>,
    }

    impl TryFrom<PartRowDb> for PartRow {
        type Error = StoreError;

        fn try_from(r: PartRowDb) -> Result<PartRow, StoreError> {
            Ok(PartRow {
                request_id: parse_uuid("services_request_parts.request_id", &r.request_id)?,
                department: r.department,
                assigned_at: r.assigned_at,
                due_at: r.due_at,
                reply: r.reply,
                replied_by_id: parse_opt_uuid(
                    "services_request_parts.replied_by_id",
                    r.replied_by_id,
                )?,
                replied_by_name: r.replied_by_name,
                answered_at: r.answered_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct PartLineDb {
        request_id: String,
        number: String,
        title: String,
        enterprise_name: String,
        category: String,
        department: String,
        assigned_at: i64,
        due_at: i64,
        answered_at: Option<i64>,
        rating: Option<i64>,
    }

    impl TryFrom<PartLineDb> for PartLine {
        type Error = StoreError;

        fn try_from(r: PartLineDb) -> Result<PartLine, StoreError> {
            Ok(PartLine {
                request_id: parse_uuid("services_request_parts.request_id", &r.request_id)?,
                number: r.number,
                title: r.title,
                enterprise_name: r.enterprise_name,
                category: r.category,
                department: r.department,
                assigned_at: r.assigned_at,
                due_at: r.due_at,
                answered_at: r.answered_at,
                rating: r.rating,
            })
        }
    }
}
