//! Storage for apprenticeship subsidies (新型学徒制补贴): the apprentices
//! enterprises register, their claims for a year, and the reviewer's
//! decision on each line.
//!
//! The rules (rates by level and year, eligibility) are
//! `yiwang_services::subsidies`; the store keeps the facts and holds one
//! rule itself, because only the database can hold it against concurrent
//! submissions: a person (an ID number) is on at most one line per year
//! that is not refused, whichever enterprise claims them (a partial unique
//! index; a second line answers `Conflict { field: "person_year" }`).
//!
//! # Tables
//!
//! `subsidy_apprentices`, `subsidy_claims`, `subsidy_claim_lines`
//! (migration 0014). Every write is audited in its transaction
//! (`apprentice.register`, `apprentice.certificate`, `subsidy.claim`,
//! `subsidy.decide`); the details carry ids, levels and amounts, never ID
//! numbers or names.

use async_trait::async_trait;
use serde::Serialize;
use uuid::Uuid;

use crate::{AuditCtx, Page, Paged, StoreResult};

/// An apprentice to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApprentice {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub name: String,
    /// Validated GB 11643 number, full.
    pub id_number: String,
    /// `new_hire` or `transferred`.
    pub intake: String,
    /// `intermediate`, `advanced` or `technician`.
    pub level: String,
    /// Empty until the certificate is issued.
    pub certificate_no: String,
    /// The certificate's date (Shanghai day start, µs), with its number.
    pub certificate_date: Option<i64>,
    /// The apprenticeship's first day (Shanghai day start, µs).
    pub start_date: i64,
}

/// The level and certificate, as recorded once the certificate is issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub level: String,
    pub certificate_no: String,
    pub certificate_date: Option<i64>,
}

/// A registered apprentice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Apprentice {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub name: String,
    /// Whole: mask it unless the reader may see it.
    pub id_number: String,
    pub intake: String,
    pub level: String,
    pub certificate_no: String,
    pub certificate_date: Option<i64>,
    pub start_date: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Which apprentices a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApprenticeQuery {
    /// One enterprise's only.
    pub enterprise_id: Option<Uuid>,
    /// A fragment of the name or certificate number, or a whole ID number.
    pub search: Option<String>,
}

/// A claim to submit: the apprentices must be the enterprise's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClaim {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub year: i32,
    pub lines: Vec<NewClaimLine>,
}

/// One person claimed, at the level and amount of the submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClaimLine {
    pub apprentice_id: Uuid,
    pub level: String,
    pub amount_fen: i64,
}

/// A claim with its totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub credit_code: String,
    pub year: i32,
    /// `submitted` (a line is pending) or `decided`.
    pub status: String,
    pub submitted_at: i64,
    pub submitted_by: String,
    /// When the last line was decided.
    pub decided_at: Option<i64>,
    pub lines: i64,
    pub claimed_fen: i64,
    pub approved_fen: i64,
}

/// One line of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimLine {
    pub claim_id: Uuid,
    pub apprentice_id: Uuid,
    pub name: String,
    /// Whole: mask it unless the reader may see it.
    pub id_number: String,
    pub level: String,
    pub amount_fen: i64,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    /// Why it was refused.
    pub reason: String,
    pub decided_at: Option<i64>,
    pub decided_by: String,
}

/// Which claims a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimQuery {
    pub enterprise_id: Option<Uuid>,
    pub year: Option<i32>,
    pub status: Option<String>,
    /// A fragment of the enterprise's name or credit code.
    pub search: Option<String>,
}

/// A decision on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDecision {
    pub claim_id: Uuid,
    pub apprentice_id: Uuid,
    /// `approved` or `refused`.
    pub status: String,
    /// Required for a refusal; empty for an approval.
    pub reason: String,
}

/// One approved line of a year, for the payment list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentLine {
    pub claim_id: Uuid,
    pub enterprise_name: String,
    pub credit_code: String,
    pub name: String,
    /// Whole: the payment list is for the bureau's staff.
    pub id_number: String,
    pub level: String,
    pub amount_fen: i64,
    pub decided_at: i64,
}

/// SQL text shared by the SQL backends.
pub mod sql {
    pub const APPRENTICE_COLUMNS: &str = "a.id AS id, a.enterprise_id AS enterprise_id, \
         e.name AS enterprise_name, a.name AS name, a.id_number AS id_number, \
         a.intake AS intake, a.level AS level, a.certificate_no AS certificate_no, \
         a.certificate_date AS certificate_date, a.start_date AS start_date, \
         a.created_at AS created_at, a.updated_at AS updated_at";

    pub const APPRENTICE_FROM: &str =
        " FROM subsidy_apprentices a JOIN enterprises e ON e.id = a.enterprise_id WHERE 1 = 1";

    pub const CLAIM_COLUMNS: &str = "c.id AS id, c.enterprise_id AS enterprise_id, \
         e.name AS enterprise_name, e.credit_code AS credit_code, c.year AS year, \
         c.status AS status, c.submitted_at AS submitted_at, c.submitted_by AS submitted_by, \
         c.decided_at AS decided_at, \
         (SELECT COUNT(*) FROM subsidy_claim_lines l WHERE l.claim_id = c.id) AS lines, \
         (SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) FROM subsidy_claim_lines l \
          WHERE l.claim_id = c.id) AS claimed_fen, \
         (SELECT CAST(COALESCE(SUM(l.amount_fen), 0) AS BIGINT) FROM subsidy_claim_lines l \
          WHERE l.claim_id = c.id AND l.status = 'approved') AS approved_fen";

    pub const CLAIM_FROM: &str =
        " FROM subsidy_claims c JOIN enterprises e ON e.id = c.enterprise_id WHERE 1 = 1";

    pub const LINE_COLUMNS: &str = "l.claim_id AS claim_id, l.apprentice_id AS apprentice_id, \
         a.name AS name, l.id_number AS id_number, l.level AS level, \
         l.amount_fen AS amount_fen, l.status AS status, l.reason AS reason, \
         l.decided_at AS decided_at, l.decided_by AS decided_by \
         FROM subsidy_claim_lines l JOIN subsidy_apprentices a ON a.id = l.apprentice_id";

    pub const PAYMENTS: &str = "SELECT l.claim_id AS claim_id, e.name AS enterprise_name, \
         e.credit_code AS credit_code, a.name AS name, l.id_number AS id_number, \
         l.level AS level, l.amount_fen AS amount_fen, l.decided_at AS decided_at \
         FROM subsidy_claim_lines l JOIN subsidy_claims c ON c.id = l.claim_id \
         JOIN enterprises e ON e.id = c.enterprise_id \
         JOIN subsidy_apprentices a ON a.id = l.apprentice_id \
         WHERE l.status = 'approved' AND l.decided_at IS NOT NULL AND l.year = ";

    pub const PAYMENTS_ORDER: &str = " ORDER BY e.name, c.submitted_at, a.name, l.apprentice_id";
}

/// Storage for apprentices and subsidy claims.
#[async_trait]
pub trait SubsidyStore: Send + Sync {
    /// Registers an apprentice of an enterprise. `NotFound` for an unknown
    /// enterprise; `Conflict { field: "id_number" }` when the enterprise
    /// has registered the person already.
    async fn register_apprentice(
        &self,
        ctx: &AuditCtx,
        apprentice: NewApprentice,
    ) -> StoreResult<Apprentice>;

    /// Records the level and certificate reached. `NotFound` for an
    /// unknown apprentice.
    async fn update_certificate(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        certificate: Certificate,
    ) -> StoreResult<Apprentice>;

    async fn apprentice(&self, id: Uuid) -> StoreResult<Option<Apprentice>>;

    /// Apprentices matching the query, by enterprise and name.
    async fn apprentices(
        &self,
        query: &ApprenticeQuery,
        page: Page,
    ) -> StoreResult<Paged<Apprentice>>;

    /// Of `id_numbers`, those on a line of `year` that is not refused, in
    /// any claim but `except`.
    async fn claimed_people(
        &self,
        year: i32,
        id_numbers: &[String],
        except: Option<Uuid>,
    ) -> StoreResult<Vec<String>>;

    /// Submits a claim with its lines, all pending. `NotFound` when an
    /// apprentice is not the enterprise's; `Conflict { field:
    /// "person_year" }` when a person is already on a line of the year that
    /// is not refused (then nothing is written); `Conflict { field:
    /// "lines" }` for a claim without lines.
    async fn submit_claim(&self, ctx: &AuditCtx, claim: NewClaim) -> StoreResult<Claim>;

    /// A claim and its lines, by name.
    async fn claim(&self, id: Uuid) -> StoreResult<Option<(Claim, Vec<ClaimLine>)>>;

    /// Claims matching the query, newest first.
    async fn claims(&self, query: &ClaimQuery, page: Page) -> StoreResult<Paged<Claim>>;

    /// Decides one pending line, and the claim once no line is pending.
    /// `NotFound` for an unknown line; `Conflict { field: "status" }` when
    /// it is decided already.
    async fn decide_line(&self, ctx: &AuditCtx, decision: LineDecision) -> StoreResult<Claim>;

    /// The approved lines of `year`, by enterprise.
    async fn payment_list(&self, year: i32) -> StoreResult<Vec<PaymentLine>>;

    /// What the dashboards count of every line claimed for `year`, by the
    /// claim's submission.
    async fn subsidy_facts(&self, year: i32) -> StoreResult<Vec<SubsidyFact>>;
}

/// A claim line as the dashboards count it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "sql", derive(sqlx::FromRow))]
pub struct SubsidyFact {
    /// The claim's submission, µs.
    pub submitted_at: i64,
    /// `intermediate`, `advanced` or `technician`.
    pub level: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub amount_fen: i64,
}

/// Rows as the SQL backends read them.
#[cfg(feature = "sql")]
pub mod rows {
    use super::{Apprentice, Claim, ClaimLine, PaymentLine};
    use crate::sql_rows::parse_uuid;
    use crate::StoreError;

    #[derive(Debug, sqlx::FromRow)]
    pub struct ApprenticeRow {
        id: String,
        enterprise_id: String,
        enterprise_name: String,
        name: String,
        id_number: String,
        intake: String,
        level: String,
        certificate_no: String,
        certificate_date: Option<i64>,
        start_date: i64,
        created_at: i64,
        updated_at: i64,
    }

    impl TryFrom<ApprenticeRow> for Apprentice {
        type Error = StoreError;

        fn try_from(r: ApprenticeRow) -> Result<Apprentice, StoreError> {
            Ok(Apprentice {
                id: parse_uuid("subsidy_apprentices.id", &r.id)?,
                enterprise_id: parse_uuid("subsidy_apprentices.enterprise_id", &r.enterprise_id)?,
                enterprise_name: r.enterprise_name,
                name: r.name,
                id_number: r.id_number,
                intake: r.intake,
                level: r.level,
                certificate_no: r.certificate_no,
                certificate_date: r.certificate_date,
                start_date: r.start_date,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct ClaimRow {
        id: String,
        enterprise_id: String,
        enterprise_name: String,
        credit_code: String,
        year: i64,
        status: String,
        submitted_at: i64,
        submitted_by: String,
        decided_at: Option<i64>,
        lines: i64,
        claimed_fen: i64,
        approved_fen: i64,
    }

    impl TryFrom<ClaimRow> for Claim {
        type Error = StoreError;

        fn try_from(r: ClaimRow) -> Result<Claim, StoreError> {
            Ok(Claim {
                id: parse_uuid("subsidy_claims.id", &r.id)?,
                enterprise_id: parse_uuid("subsidy_claims.enterprise_id", &r.enterprise_id)?,
                enterprise_name: r.enterprise_name,
                credit_code: r.credit_code,
                year: i32::try_from(r.year)
                    .map_err(|_| StoreError::Corrupt(format!("subsidy year {}", r.year)))?,
                status: r.status,
                submitted_at: r.submitted_at,
                submitted_by: r.submitted_by,
                decided_at: r.decided_at,
                lines: r.lines,
                claimed_fen: r.claimed_fen,
                approved_fen: r.approved_fen,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct ClaimLineRow {
        claim_id: String,
        apprentice_id: String,
        name: String,
        id_number: String,
        level: String,
        amount_fen: i64,
        status: String,
        reason: String,
        decided_at: Option<i64>,
        decided_by: String,
    }

    impl TryFrom<ClaimLineRow> for ClaimLine {
        type Error = StoreError;

        fn try_from(r: ClaimLineRow) -> Result<ClaimLine, StoreError> {
            Ok(ClaimLine {
                claim_id: parse_uuid("subsidy_claim_lines.claim_id", &r.claim_id)?,
                apprentice_id: parse_uuid("subsidy_claim_lines.apprentice_id", &r.apprentice_id)?,
                name: r.name,
                id_number: r.id_number,
                level: r.level,
                amount_fen: r.amount_fen,
                status: r.status,
                reason: r.reason,
                decided_at: r.decided_at,
                decided_by: r.decided_by,
            })
        }
    }

    #[derive(Debug, sqlx::FromRow)]
    pub struct PaymentRow {
        claim_id: String,
        enterprise_name: String,
        credit_code: String,
        name: String,
        id_number: String,
        level: String,
        amount_fen: i64,
        decided_at: i64,
    }

    impl TryFrom<PaymentRow> for PaymentLine {
        type Error = StoreError;

        fn try_from(r: PaymentRow) -> Result<PaymentLine, StoreError> {
            Ok(PaymentLine {
                claim_id: parse_uuid("subsidy_claim_lines.claim_id", &r.claim_id)?,
                enterprise_name: r.enterprise_name,
                credit_code: r.credit_code,
                name: r.name,
                id_number: r.id_number,
                level: r.level,
                amount_fen: r.amount_fen,
                decided_at: r.decided_at,
            })
        }
    }
}
