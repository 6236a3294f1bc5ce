//! Yiwang's shared vocabulary.
//!
//! Every other crate speaks in these types: [`Money`] is integer fen and never a
//! float, times are microseconds since the Unix epoch shown in Asia/Shanghai,
//! and codes such as the unified social credit code are parsed once at the edge
//! so that nothing inside ever handles a raw, unchecked string.

pub mod role;

pub use role::Role;
