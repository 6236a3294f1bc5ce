//! postgres backend.
