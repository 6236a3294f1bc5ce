//! Authentication and the protections around it.
//!
//! - [`password`]: argon2id hashing, run off the async runtime.
//! - [`session`]: server-side sessions; the cookie holds a random token and the
//!   database only its SHA-256.
//! - [`csrf`]: a double-submit token on every form, plus an Origin check.
//! - [`ratelimit`]: per-address limits on logins (and, later, bids).
//! - [`access`]: which roles may use which route, enforced on every route.
//! - [`routes`]: login, logout, enterprise registration, password change.

pub mod access;
pub mod csrf;
pub mod password;
pub mod ratelimit;
pub mod routes;
pub mod session;

pub use access::{Access, Viewer};
pub use session::CurrentUser;
