//! Errors a store returns.

/// What went wrong in a store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is already taken; `field` names it (`username`,
    /// `credit_code`, …) so the caller can tell the user which one.
    #[error("conflict on {field}")]
    Conflict { field: &'static str },
    /// The object the call names does not exist.
    #[error("not found")]
    NotFound,
    /// A stored value could not be read back (a corrupt row).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The database failed (connection, I/O, constraint we did not expect).
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}
