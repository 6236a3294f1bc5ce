//! Rows as the rest of Yiwang sees them.

use serde::Serialize;
use uuid::Uuid;
use yiwang_core::Role;

/// A page request: `offset` rows skipped, at most `limit` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

impl Page {
    /// The largest page any caller may ask for.
    pub const MAX_LIMIT: u32 = 500;

    /// Page `number` (1-based) of `size` rows, clamped to sane bounds.
    pub fn number(number: u32, size: u32) -> Page {
        let limit = size.clamp(1, Self::MAX_LIMIT);
        Page {
            offset: number.max(1).saturating_sub(1).saturating_mul(limit),
            limit,
        }
    }
}

/// One page of results and the total number of matches.
#[derive(Debug, Clone, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
}

/// A registered enterprise (竞买企业 and service users).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enterprise {
    pub id: Uuid,
    pub name: String,
    /// The 18-character unified social credit code, already validated.
    pub credit_code: String,
    pub legal_rep: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub name: String,
    pub credit_code: String,
    pub legal_rep: String,
    pub contact_name: String,
    pub contact_phone: String,
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: Uuid,
    /// The login name, unique.
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub phone: Option<String>,
    /// Set for enterprise accounts.
    pub enterprise_id: Option<Uuid>,
    pub active: bool,
    pub failed_logins: i32,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub phone: Option<String>,
    /// An argon2id PHC string.
    pub password_hash: String,
}

/// An account with its password hash.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

/// Filters for listing accounts.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub role: Option<Role>,
    /// Matches username or display name (substring, case-insensitive).
    pub search: Option<String>,
    pub active: Option<bool>,
}

/// What a failed login did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginFailure {
    /// Failures counted since the last success or lock.
    pub failed_logins: i32,
    /// Set when this failure locked the account.
    pub locked_until: Option<i64>,
}

/// A server-side session. Only the SHA-256 of the cookie value is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub user_id: Uuid,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: String,
    pub user_id: Uuid,
    pub expires_at: i64,
    pub user_agent: Option<String>,
}
