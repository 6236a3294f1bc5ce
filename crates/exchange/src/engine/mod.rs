//! The trading engine: a pure, deterministic state machine.
//!
//! ```text
//! (state, action, now) → (verdict, facts)
//! ```
//!
//! The server, `yiwang exchange simulate` and log replay all call this same
//! code. It does no I/O, reads no clock and draws no randomness: time is an
//! argument, secrets arrive sealed ([`seal`]), and every change of state is
//! a [`Fact`] folded in by [`ListingState::apply`].
//!
//! How a decision is made ([`Listing::decide`]):
//!
//! 1. **Advance** to the action's instant: every deadline at or before it
//!    takes effect, each at its own instant ([`Listing::advance`]). A bid at
//!    or after a deadline is therefore judged against the state as of the
//!    deadline; no timer, late or early, can change a verdict.
//! 2. **Judge** the action in the order of checks of `exchange-rules.md`
//!    (`judge`), which only reads the state.
//! 3. **Apply** the facts.
//!
//! Because of step 1, calling [`Listing::advance`] at intermediate times
//! changes nothing: the facts and the result are the same. A timer on the
//! server only publishes what is already decided.
//!
//! Performance: deciding a bid clones nothing and allocates nothing but
//! the fact it pushes onto the caller's buffer; parties are looked up once by
//! name and bidders travel as [`BidderNo`] numbers.
//!
//! | module | holds |
//! |---|---|
//! | [`rules`] | [`ListingRules`]: what a notice configures |
//! | [`action`] | [`Action`]: what parties, the bank and the exchange ask |
//! | [`refusal`] | [`Refusal`] codes and their Chinese messages, [`Verdict`] |
//! | [`event`] | [`Event`], [`Fact`], [`Decision`], [`Outcome`] |
//! | [`state`] | [`ListingState`], the fold |
//! | [`seal`] | commitments for the reserve, sealed offers and the lottery seed |
//! | [`reveal`] | giving a listing replayed from its log the openings the server kept |
//! | [`lottery`] | the recomputable draw |
//! | [`ids`] | [`Party`], [`BidderNo`], [`Share`], [`Quantity`] |

pub mod action;
pub mod event;
pub mod ids;
mod judge;
pub mod lottery;
pub mod refusal;
pub mod reveal;
pub mod rules;
pub mod seal;
pub mod state;
mod timers;

pub use action::{Action, Partner};
pub use event::{Cause, Decision, Event, Fact, FailReason, OpenedOffer, Outcome};
pub use ids::{BidderNo, DecimalError, Party, PartyError, Quantity, Share};
pub use refusal::{Refusal, Verdict};
pub use reveal::Unopened;
pub use rules::{
    Entry, FollowOn, ListingRules, PriceBasis, PriceCap, QuantityUnit, RulesError, Schedule,
    TimedRoundRules,
};
pub use seal::{lottery_seed_hash, Digest, LotterySeed, Nonce, Opening, SealKind, Sealed};
pub use state::{ApplyError, ListingState, Phase};

use std::sync::Arc;

use yiwang_core::Timestamp;

/// Something the engine cannot do; never a verdict on an action.
///
/// On the server none of these can happen: times come from one monotonic
/// clock and every secret is known. They arise when a log that was
/// tampered with, or is still sealed, is re-run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// An action or `now` earlier than the last fact.
    #[error("time went backwards: {at} is before the last fact at {last}")]
    ClockWentBack { at: Timestamp, last: Timestamp },
    /// A sealed value is needed but its opening is not known.
    #[error("the {what} is needed but is still sealed")]
    SealedValueUnknown { what: &'static str },
    /// A fact did not fit the state.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The state contradicts the rules.
    #[error("inconsistent state: {0}")]
    Inconsistent(&'static str),
}

/// The most deadlines that can fall due at one instant, plus slack: a cap
/// acceptance end may draw the lottery and decide. A bound on the advance
/// loop turns a bug into an error instead of a hang.
const MAX_DUE_PER_ADVANCE: usize = 64;

/// One listing: its rules and its state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Never changed once the listing exists; shared between copies.
    rules: Arc<ListingRules>,
    state: ListingState,
}

impl Listing {
    /// A listing whose notice has just been published.
    pub fn new(rules: ListingRules) -> Result<Listing, RulesError> {
        rules.validate()?;
        let state = ListingState::new(&rules);
        Ok(Listing {
            rules: Arc::new(rules),
            state,
        })
    }

    /// A listing from its rules and a state rebuilt from its log.
    pub fn from_parts(rules: ListingRules, state: ListingState) -> Listing {
        Listing {
            rules: Arc::new(rules),
            state,
        }
    }

    /// The rules.
    pub fn rules(&self) -> &ListingRules {
        &self.rules
    }

    /// The state.
    pub fn state(&self) -> &ListingState {
        &self.state
    }

    /// The result, once decided, and its instant.
    pub fn decision(&self) -> Option<(Timestamp, &Decision)> {
        self.state.decision()
    }

    /// The next instant at which a deadline falls due, if any.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.state.deadline()
    }

    fn check_clock(&self, at: Timestamp) -> Result<(), EngineError> {
        match self.state.last_at {
            Some(last) if at < last => Err(EngineError::ClockWentBack { at, last }),
            _ => Ok(()),
        }
    }

    /// Judges `action` received at `at`, pushing every fact it brings
    /// about onto `out`: first the deadlines that fell due up to `at` (each
    /// at its own instant), then the action's record. Returns the verdict.
    pub fn decide(
        &mut self,
        action: &Action,
        at: Timestamp,
        out: &mut Vec<Fact>,
    ) -> Result<Verdict, EngineError> {
        self.advance(at, out)?;
        let start = out.len();
        let verdict = judge::judge(&self.rules, &self.state, action, at, out)?;
        for fact in &out[start..] {
            self.state.apply(&self.rules, fact)?;
        }
        Ok(verdict)
    }

    /// Lets every deadline at or before `now` take effect, at its own
    /// instant, pushing the facts onto `out`.
    pub fn advance(&mut self, now: Timestamp, out: &mut Vec<Fact>) -> Result<(), EngineError> {
        self.check_clock(now)?;
        for _ in 0..MAX_DUE_PER_ADVANCE {
            match self.state.deadline() {
                Some(due) if due <= now => {
                    let event = timers::due_event(&self.rules, &self.state, due)?;
                    let fact = Fact { at: due, event };
                    self.state.apply(&self.rules, &fact)?;
                    out.push(fact);
                }
                _ => return Ok(()),
            }
        }
        Err(EngineError::Inconsistent("deadlines keep falling due"))
    }

    /// Runs the clock on until the result is decided (or, for a suspended
    /// listing, until nothing more can fall due), as `simulate` does after
    /// its last step.
    pub fn run_until_decided(&mut self, out: &mut Vec<Fact>) -> Result<(), EngineError> {
        for _ in 0..MAX_DUE_PER_ADVANCE {
            match self.state.deadline() {
                Some(due) => self.advance(due, out)?,
                None => return Ok(()),
            }
        }
        Err(EngineError::Inconsistent("the listing never ends"))
    }

    /// Applies a fact recorded elsewhere (a log being replayed).
    pub fn apply(&mut self, fact: &Fact) -> Result<(), ApplyError> {
        self.state.apply(&self.rules, fact)
    }
}
