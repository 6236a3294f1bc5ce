//! The land-use-right exchange (国有建设用地使用权网上交易).
//!
//! `shared/spec/exchange-rules.md` is the contract. This crate makes it
//! executable in three layers, each usable on its own:
//!
//! | module | what it is |
//! |---|---|
//! | [`engine`] | the trading rules as a pure state machine: `(state, action, now) → (verdict, facts)` |
//! | [`scenario`] | the scenario format (`spec/scenario-format.md`): parse, run on a virtual clock, print the outcome |
//! | [`log`] | the listing's append-only event log: hash chain, JSON lines, verification by replay |
//!
//! The crate knows nothing of HTTP, SQL or the wall clock; the server gives
//! it times, stores its facts and publishes what it decides.

pub mod engine;
pub mod log;
pub mod notice;
pub mod scenario;

pub use engine::{Action, Event, Fact, Listing, ListingRules, ListingState, Refusal, Verdict};
