//! Rows as the SQL backends read them, and their conversion into the
//! store's types. SQLite and PostgreSQL store the same portable column types
//! (text ids, `i64` times and money, booleans), and sqlx's `FromRow` derive
//! works for either database, so both backends share these structs.
//!
//! Ids and roles are stored as text; reading them back parses them, and a
//! value that does not parse is reported as [`StoreError::Corrupt`] rather
//! than silently replaced.

use crate::{AuditRecord, Enterprise, Session, StoreError, User};
use uuid::Uuid;
use yiwang_core::Role;

/// The columns every user query selects, in [`UserRow`]'s order.
pub const USER_COLUMNS: &str = "users.id, users.username, users.display_name, \
     users.role, users.phone, users.enterprise_id, users.active, users.failed_logins, \
     users.locked_until, users.created_at, users.last_login_at";

/// The columns every audit query selects.
pub const AUDIT_COLUMNS: &str = "seq, at, actor_id, actor_name, action, object_kind, \
     object_id, detail, client_addr, prev_hash, hash";

pub fn parse_uuid(column: &str, text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text)
        .map_err(|e| StoreError::Corrupt(format!("{column} {text:?} is not a UUID: {e}")))
}

pub fn parse_opt_uuid(column: &str, text: Option<String>) -> Result<Option<Uuid>, StoreError> {
    text.map(|t| parse_uuid(column, &t)).transpose()
}

#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    id: String,
    username: String,
    display_name: String,
    role: String,
    phone: Option<String>,
    enterprise_id: Option<String>,
    active: bool,
    failed_logins: i32,
    locked_until: Option<i64>,
    created_at: i64,
    last_login_at: Option<i64>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<User, StoreError> {
        let role: Role = row
            .role
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("users.role {:?} is no role", row.role)))?;
        Ok(User {
            id: parse_uuid("users.id", &row.id)?,
            username: row.username,
            display_name: row.display_name,
            role,
            phone: row.phone,
            enterprise_id: parse_opt_uuid("users.enterprise_id", row.enterprise_id)?,
            active: row.active,
            failed_logins: row.failed_logins,
            locked_until: row.locked_until,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct CredentialsRow {
    #[sqlx(flatten)]
    pub user: UserRow,
    pub password_hash: String,
}

#[derive(Debug, sqlx::FromRow)]
pub struct EnterpriseRow {
    id: String,
    name: String,
    credit_code: String,
    legal_rep: String,
    contact_name: String,
    contact_phone: String,
    created_at: i64,
}

impl TryFrom<EnterpriseRow> for Enterprise {
    type Error = StoreError;

    fn try_from(row: EnterpriseRow) -> Result<Enterprise, StoreError> {
        Ok(Enterprise {
            id: parse_uuid("enterprises.id", &row.id)?,
            name: row.name,
            credit_code: row.credit_code,
            legal_rep: row.legal_rep,
            contact_name: row.contact_name,
            contact_phone: row.contact_phone,
            created_at: row.created_at,
        })
    }
}

/// A session joined with its user; the session's columns are prefixed so
/// they do not collide with the user's.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionRow {
    s_id_hash: String,
    s_user_id: String,
    s_created_at: i64,
    s_last_seen_at: i64,
    s_expires_at: i64,
    s_client_addr: Option<String>,
    s_user_agent: Option<String>,
    #[sqlx(flatten)]
    user: UserRow,
}

/// The session columns [`SessionRow`] expects.
pub const SESSION_COLUMNS: &str = "sessions.id_hash AS s_id_hash, \
     sessions.user_id AS s_user_id, sessions.created_at AS s_created_at, \
     sessions.last_seen_at AS s_last_seen_at, sessions.expires_at AS s_expires_at, \
     sessions.client_addr AS s_client_addr, sessions.user_agent AS s_user_agent";

impl TryFrom<SessionRow> for (Session, User) {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> Result<(Session, User), StoreError> {
        let session = Session {
            id_hash: row.s_id_hash,
            user_id: parse_uuid("sessions.user_id", &row.s_user_id)?,
            created_at: row.s_created_at,
            last_seen_at: row.s_last_seen_at,
            expires_at: row.s_expires_at,
            client_addr: row.s_client_addr,
            user_agent: row.s_user_agent,
        };
        Ok((session, User::try_from(row.user)?))
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    seq: i64,
    at: i64,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    object_kind: String,
    object_id: String,
    detail: String,
    client_addr: Option<String>,
    prev_hash: String,
    hash: String,
}

impl TryFrom<AuditRow> for AuditRecord {
    type Error = StoreError;

    fn try_from(row: AuditRow) -> Result<AuditRecord, StoreError> {
        Ok(AuditRecord {
            seq: row.seq,
            at: row.at,
            actor_id: parse_opt_uuid("audit_log.actor_id", row.actor_id)?,
            actor_name: row.actor_name,
            action: row.action,
            object_kind: row.object_kind,
            object_id: row.object_id,
            detail: row.detail,
            client_addr: row.client_addr,
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

/// Converts every row, stopping at the first corrupt one.
pub fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// The columns every case query selects, in [`CaseSqlRow`]'s order.
pub const CASE_COLUMNS: &str = "id, number, category, grid_code, lng, lat, address, \
     description, reporter_kind, reporter_id, stage, department, step_due, overall_due, \
     next_due, extension_pending, registered, escalations, rating, last_seq, created_at, \
     updated_at, closed_at, filed_at, limit_at, deferred, reworks, extensions, close_working";

#[derive(Debug, sqlx::FromRow)]
pub struct CaseSqlRow {
    id: String,
    number: String,
    category: String,
    grid_code: String,
    lng: Option<f64>,
    lat: Option<f64>,
    address: String,
    description: String,
    reporter_kind: String,
    reporter_id: Option<String>,
    stage: String,
    department: Option<String>,
    step_due: Option<i64>,
    overall_due: Option<i64>,
    next_due: Option<i64>,
    extension_pending: bool,
    registered: bool,
    escalations: i64,
    rating: Option<i64>,
    last_seq: i64,
    created_at: i64,
    updated_at: i64,
    closed_at: Option<i64>,
    filed_at: Option<i64>,
    limit_at: Option<i64>,
    deferred: bool,
    reworks: i64,
    extensions: i64,
    close_working: Option<i64>,
}

impl TryFrom<CaseSqlRow> for crate::cases::CaseRow {
    type Error = StoreError;

    fn try_from(row: CaseSqlRow) -> Result<crate::cases::CaseRow, StoreError> {
        Ok(crate::cases::CaseRow {
            id: parse_uuid("cases.id", &row.id)?,
            number: row.number,
            category: row.category,
            grid_code: row.grid_code,
            lng: row.lng,
            lat: row.lat,
            address: row.address,
            description: row.description,
            reporter_kind: row.reporter_kind,
            reporter_id: row.reporter_id,
            stage: row.stage,
            department: row.department,
            step_due: row.step_due,
            overall_due: row.overall_due,
            next_due: row.next_due,
            extension_pending: row.extension_pending,
            registered: row.registered,
            escalations: row.escalations,
            rating: row.rating,
            last_seq: row.last_seq,
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
            filed_at: row.filed_at,
            limit_at: row.limit_at,
            deferred: row.deferred,
            reworks: row.reworks,
            extensions: row.extensions,
            close_working: row.close_working,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct CaseEventSqlRow {
    case_id: String,
    seq: i64,
    at: i64,
    kind: String,
    fact_json: String,
}

impl TryFrom<CaseEventSqlRow> for crate::cases::CaseEventRow {
    type Error = StoreError;

    fn try_from(row: CaseEventSqlRow) -> Result<crate::cases::CaseEventRow, StoreError> {
        Ok(crate::cases::CaseEventRow {
            case_id: parse_uuid("case_events.case_id", &row.case_id)?,
            seq: row.seq,
            at: row.at,
            kind: row.kind,
            fact_json: row.fact_json,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct CaseCountsSqlRow {
    k: String,
    reported: i64,
    valid: i64,
    rejected: i64,
    filed: i64,
    closed: i64,
    due: i64,
    deferred_due: i64,
    on_time: i64,
    reworked_cases: i64,
    extended_cases: i64,
    rated: i64,
    rating_sum: i64,
    satisfied: i64,
    close_micros: i64,
    close_working_micros: i64,
}

impl From<CaseCountsSqlRow> for crate::kpi::CaseCounts {
    fn from(r: CaseCountsSqlRow) -> crate::kpi::CaseCounts {
        crate::kpi::CaseCounts {
            key: r.k,
            reported: r.reported,
            valid: r.valid,
            rejected: r.rejected,
            filed: r.filed,
            closed: r.closed,
            due: r.due,
            deferred_due: r.deferred_due,
            on_time: r.on_time,
            reworked_cases: r.reworked_cases,
            extended_cases: r.extended_cases,
            rated: r.rated,
            rating_sum: r.rating_sum,
            satisfied: r.satisfied,
            close_micros: r.close_micros,
            close_working_micros: r.close_working_micros,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct GridActivitySqlRow {
    code: String,
    name: String,
    leader: Option<String>,
    active_leaders: i64,
    last_login_day: Option<i64>,
    last_report: Option<i64>,
}

impl From<GridActivitySqlRow> for crate::kpi::GridActivity {
    fn from(r: GridActivitySqlRow) -> crate::kpi::GridActivity {
        crate::kpi::GridActivity {
            code: r.code,
            name: r.name,
            leader: r.leader,
            leader_active: r.active_leaders > 0,
            last_login_day: r.last_login_day,
            last_report: r.last_report,
        }
    }
}
