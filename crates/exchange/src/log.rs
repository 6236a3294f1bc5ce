//! A listing's event log: append-only, hash-chained, verifiable offline.
//!
//! Every fact of a listing becomes one [`LogEntry`]: the listing code, a
//! sequence number (1, 2, 3, … without gaps), the instant the fact took
//! effect (µs since the Unix epoch), the [`Event`] itself, and a SHA-256 hash
//! chaining it to the entry before. Refused actions are logged too, with
//! their reason.
//!
//! # Hash encoding
//!
//! `hash = SHA-256(JSON [prev_hash, listing, seq, at, payload])` in lowercase
//! hex, the JSON array written compactly (no spaces, UTF-8, serde_json's
//! escaping, object keys in the order the payload serialises them), `at` as
//! an integer of microseconds and `payload` in its serde form. The first
//! entry's `prev_hash` is 64 zeros ([`GENESIS_HASH`]). This is the same
//! construction as the platform's audit chain, so one verifier idea serves
//! both. Altering, removing, inserting or reordering an entry breaks the
//! chain at that point, and [`verify_chain`] names the first broken link.
//!
//! # Self-contained, secrets sealed
//!
//! Entry 1 is always `listing_opened` with the listing's rules, so a log
//! file can be verified without anything else. The rules and every later
//! entry carry the reserve, sealed offers and the lottery seed only as
//! commitments (see [`crate::engine::seal`]); the reserve in force is
//! revealed in `decided`, offers in `sealed_offers_opened` when their window
//! closes, the seed in `lottery_drawn`. So a log exported before the result
//! never shows the reserve, yet once the result is in, anyone can check it.
//!
//! # Verification
//!
//! [`verify`] checks the chain, then **re-runs** the listing: it rebuilds
//! each logged action (accepted or refused), asks the engine to decide it
//! at its logged instant, and requires the engine's facts to be exactly the
//! logged entries, deadlines included. Finally it folds the log into a state
//! ([`replay`]) and requires that state to equal the re-run's. A log that
//! verifies is therefore both intact and correct: every verdict, every
//! deadline and the result follow from the rules.
//!
//! While a listing is still open, some sealed values are not revealed yet;
//! the re-run then stops where it first needs one, and [`Verified::rerun`]
//! says so.
//!
//! Every failure is structured rather than only worded ([`BrokenLink`],
//! [`VerifyError`] with [`Derived`], [`DecodeError`] with its line and
//! field), because the people checking a published log read the report in
//! Chinese: `yiwang exchange verify` words it from these values.

use crate::engine::seal::{Opening, SealKind, Sealed};
use crate::engine::{
    Action, ApplyError, Decision, Digest, EngineError, Event, Fact, Listing, ListingRules,
    ListingState, RulesError,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use yiwang_core::{Money, Timestamp};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of a listing's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// The listing code.
    pub listing: String,
    /// 1, 2, 3, … with no gaps.
    pub seq: u64,
    /// When the fact took effect, µs since the Unix epoch.
    #[serde(serialize_with = "micros_out", deserialize_with = "micros_in")]
    pub at: Timestamp,
    pub payload: Event,
    /// The previous entry's hash ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    pub hash: String,
}

fn micros_out<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(at.micros())
}

fn micros_in<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
    let micros = i64::deserialize(deserializer)?;
    Timestamp::try_from_micros(micros)
        .ok_or_else(|| serde::de::Error::custom("a time outside the years 0000-9999"))
}

/// The hash an entry must carry.
pub fn entry_hash(
    prev_hash: &str,
    listing: &str,
    seq: u64,
    at: Timestamp,
    payload: &Event,
) -> String {
    entry_hash_of_text(prev_hash, listing, seq, at, &payload_text(payload))
}

/// The payload as the JSON text hashed and stored: serde's form, compact.
pub fn payload_text(payload: &Event) -> String {
    // Serialising plain data (strings, integers, enums, vectors) cannot fail.
    serde_json::to_string(payload).unwrap_or_default()
}

/// [`entry_hash`] of a payload already written as [`payload_text`]: the
/// same bytes as serialising the tuple `(prev_hash, listing, seq, at,
/// payload)` compactly, assembled around the payload's text so that a
/// writer serialises each payload once, for the hash and the stored row.
fn entry_hash_of_text(
    prev_hash: &str,
    listing: &str,
    seq: u64,
    at: Timestamp,
    payload: &str,
) -> String {
    let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(b"[");
    hasher.update(quoted(prev_hash).as_bytes());
    hasher.update(b",");
    hasher.update(quoted(listing).as_bytes());
    hasher.update(format!(",{seq},{},", at.micros()).as_bytes());
    hasher.update(payload.as_bytes());
    hasher.update(b"]");
    hex::encode(hasher.finalize())
}

impl LogEntry {
    /// The hash this entry should carry, recomputed from its fields.
    pub fn expected_hash(&self) -> String {
        entry_hash(
            &self.prev_hash,
            &self.listing,
            self.seq,
            self.at,
            &self.payload,
        )
    }

    /// The entry's fact.
    pub fn fact(&self) -> Fact {
        Fact {
            at: self.at,
            event: self.payload.clone(),
        }
    }
}

/// Appends facts to a listing's log, keeping the chain.
#[derive(Debug, Clone)]
pub struct LogWriter {
    listing: String,
    next_seq: u64,
    head: String,
}

impl LogWriter {
    /// Starts a log: entry 1 records the rules (secrets sealed).
    pub fn open(rules: &ListingRules, at: Timestamp) -> (LogWriter, LogEntry) {
        let mut writer = LogWriter {
            listing: rules.code.clone(),
            next_seq: 1,
            head: GENESIS_HASH.to_owned(),
        };
        let first = writer.append(&Fact {
            at,
            event: Event::ListingOpened {
                rules: Box::new(rules.clone()),
            },
        });
        (writer, first)
    }

    /// Continues a log after its last entry.
    pub fn resume(last: &LogEntry) -> LogWriter {
        LogWriter {
            listing: last.listing.clone(),
            next_seq: last.seq + 1,
            head: last.hash.clone(),
        }
    }

    /// The next entry, chained to the previous one. The entry holds the
    /// fact without its secrets ([`Event::without_secrets`]), so that no
    /// entry, even in memory, carries a value its commitment hides.
    pub fn append(&mut self, fact: &Fact) -> LogEntry {
        self.append_with_text(fact).0
    }

    /// [`LogWriter::append`], also answering the entry's payload as the
    /// JSON text it was hashed as ([`payload_text`]), for storing it
    /// without serialising it again.
    pub fn append_with_text(&mut self, fact: &Fact) -> (LogEntry, String) {
        let seq = self.next_seq;
        let payload = fact.event.without_secrets();
        let text = payload_text(&payload);
        let hash = entry_hash_of_text(&self.head, &self.listing, seq, fact.at, &text);
        let entry = LogEntry {
            listing: self.listing.clone(),
            seq,
            at: fact.at,
            payload,
            prev_hash: std::mem::replace(&mut self.head, hash.clone()),
            hash,
        };
        self.next_seq += 1;
        (entry, text)
    }

    /// The hash of the last entry written.
    pub fn head(&self) -> &str {
        &self.head
    }
}

/// Writes entries as JSON lines, one entry per line.
pub fn to_jsonl(entries: &[LogEntry]) -> String {
    let mut out = String::new();
    for entry in entries {
        // An entry is plain data; serialising it cannot fail.
        out.push_str(&serde_json::to_string(entry).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// A line that is not a log entry, named by its line and, where one is to
/// blame, its field, so that whoever holds a damaged file can find the spot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {}{problem}{}", field_prefix(.field), detail_suffix(.detail))]
pub struct DecodeError {
    /// 1-based line number in the file.
    pub line: usize,
    /// The field at fault (`seq`, `payload`, `payload.price`, …), if one is.
    pub field: Option<String>,
    pub problem: DecodeProblem,
    /// What the JSON reader said, when it said something more.
    pub detail: Option<String>,
}

fn field_prefix(field: &Option<String>) -> String {
    field.as_ref().map_or(String::new(), |f| format!("{f}: "))
}

fn detail_suffix(detail: &Option<String>) -> String {
    detail.as_ref().map_or(String::new(), |d| format!(" ({d})"))
}

/// What is wrong with a line that is not a log entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeProblem {
    #[error("not JSON")]
    NotJson,
    #[error("not a JSON object")]
    NotObject,
    #[error("missing")]
    Missing,
    #[error("not a field of a log entry")]
    Unknown,
    #[error("expected a string")]
    NotString,
    #[error("expected a non-negative whole number")]
    NotSeq,
    #[error("expected whole microseconds since 1970 within the years 0000-9999")]
    NotMicros,
    #[error("not a known event type")]
    UnknownEvent,
    #[error("not a valid event")]
    BadEvent,
}

/// The fields of an entry, in the order they are written.
const ENTRY_FIELDS: [&str; 6] = ["listing", "seq", "at", "payload", "prev_hash", "hash"];

/// Reads JSON lines; blank lines are skipped.
pub fn from_jsonl(text: &str) -> Result<Vec<LogEntry>, DecodeError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| decode_line(i + 1, line))
        .collect()
}

/// Decodes one line. The entry's serde form decides what is accepted; when
/// it refuses a line, [`explain`] finds the field to blame.
fn decode_line(line: usize, text: &str) -> Result<LogEntry, DecodeError> {
    serde_json::from_str(text).map_err(|error| explain(line, text, &error))
}

fn explain(line: usize, text: &str, error: &serde_json::Error) -> DecodeError {
    let fail = |field: Option<&str>, problem, detail: Option<String>| DecodeError {
        line,
        field: field.map(str::to_owned),
        problem,
        detail,
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            // The reader counts lines within the line; only the column helps.
            let message = e.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            let detail = format!("{message}, column {}", e.column());
            return fail(None, DecodeProblem::NotJson, Some(detail));
        }
    };
    let Some(object) = value.as_object() else {
        return fail(None, DecodeProblem::NotObject, None);
    };
    if let Some(key) = object.keys().find(|k| !ENTRY_FIELDS.contains(&k.as_str())) {
        return fail(Some(key), DecodeProblem::Unknown, None);
    }
    if let Some(key) = ENTRY_FIELDS.iter().find(|k| !object.contains_key(**k)) {
        return fail(Some(key), DecodeProblem::Missing, None);
    }
    for key in ["listing", "prev_hash", "hash"] {
        if !object[key].is_string() {
            return fail(Some(key), DecodeProblem::NotString, None);
        }
    }
    if object["seq"].as_u64().is_none() {
        return fail(Some("seq"), DecodeProblem::NotSeq, None);
    }
    if object["at"]
        .as_i64()
        .and_then(Timestamp::try_from_micros)
        .is_none()
    {
        return fail(Some("at"), DecodeProblem::NotMicros, None);
    }
    let payload = &object["payload"];
    let Err(e) = Event::deserialize(payload) else {
        // Every field reads on its own; blame the reader's message.
        return fail(None, DecodeProblem::BadEvent, Some(error.to_string()));
    };
    let message = e.to_string();
    if message.starts_with("unknown variant") || payload.get("type").is_none() {
        let problem = if payload.is_object() {
            match payload.get("type") {
                None => DecodeProblem::Missing,
                Some(_) => DecodeProblem::UnknownEvent,
            }
        } else {
            DecodeProblem::NotObject
        };
        let field = if payload.is_object() {
            "payload.type"
        } else {
            "payload"
        };
        return fail(Some(field), problem, Some(message));
    }
    // Name the payload's own field when the reader's complaint is about one
    // the payload has (or lacks) at its top level.
    let named = quoted_field(&message).filter(|name| {
        let present = payload.get(name).is_some();
        (message.starts_with("missing field") && !present)
            || (message.starts_with("unknown field") && present)
    });
    match named {
        Some(name) => fail(
            Some(&format!("payload.{name}")),
            if message.starts_with("missing field") {
                DecodeProblem::Missing
            } else {
                DecodeProblem::Unknown
            },
            None,
        ),
        None => fail(Some("payload"), DecodeProblem::BadEvent, Some(message)),
    }
}

/// The first name between backquotes in a serde message (``missing field `price` ``).
fn quoted_field(message: &str) -> Option<&str> {
    let rest = message.split_once('`')?.1;
    Some(rest.split_once('`')?.0)
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrokenLink {
    #[error("entry {index}: sequence number {seq}, expected {expected}")]
    Gap {
        index: usize,
        seq: u64,
        expected: u64,
    },
    #[error("entry {seq}: belongs to listing {found:?}, not {expected:?}")]
    Listing {
        seq: u64,
        found: String,
        expected: String,
    },
    #[error("entry {seq}: prev_hash does not match the hash of entry {}", seq - 1)]
    PrevHash { seq: u64 },
    #[error("entry {seq}: its hash does not match its contents")]
    Hash { seq: u64 },
}

/// Checks every link; returns the first broken one.
pub fn verify_chain(entries: &[LogEntry]) -> Result<(), BrokenLink> {
    let mut prev = GENESIS_HASH;
    for (index, entry) in entries.iter().enumerate() {
        let expected = index as u64 + 1;
        if entry.seq != expected {
            return Err(BrokenLink::Gap {
                index,
                seq: entry.seq,
                expected,
            });
        }
        if entry.listing != entries[0].listing {
            return Err(BrokenLink::Listing {
                seq: entry.seq,
                found: entry.listing.clone(),
                expected: entries[0].listing.clone(),
            });
        }
        if entry.prev_hash != prev {
            return Err(BrokenLink::PrevHash { seq: entry.seq });
        }
        if entry.hash != entry.expected_hash() {
            return Err(BrokenLink::Hash { seq: entry.seq });
        }
        prev = &entry.hash;
    }
    Ok(())
}

/// A fact in the log that does not fit the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {seq}: {error}")]
pub struct ReplayError {
    pub seq: u64,
    pub error: ApplyError,
}

/// Folds a log into the listing's state. The log may start with its
/// `listing_opened` header, which must carry `rules`.
pub fn replay(rules: &ListingRules, entries: &[LogEntry]) -> Result<ListingState, ReplayError> {
    let mut state = ListingState::new(rules);
    for entry in entries {
        state
            .apply(rules, &entry.fact())
            .map_err(|error| ReplayError {
                seq: entry.seq,
                error,
            })?;
    }
    Ok(state)
}

/// How far re-running the listing went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rerun {
    /// Every entry was re-derived by the engine.
    Complete,
    /// The re-run stopped at entry `seq`, which needs a value the log has
    /// not revealed yet (the listing is still open). Entries before it
    /// were re-derived; the chain and the fold cover the whole log.
    StoppedAtSealed { seq: u64, what: &'static str },
}

/// A log that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub rules: ListingRules,
    /// The state folded from the log.
    pub state: ListingState,
    pub entries: usize,
    /// The last entry's hash.
    pub head: String,
    pub rerun: Rerun,
}

impl Verified {
    /// The result, if decided, with its instant.
    pub fn decision(&self) -> Option<(Timestamp, &Decision)> {
        self.state.decision()
    }
}

/// Why a log failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the log is empty")]
    Empty,
    #[error(transparent)]
    Chain(#[from] BrokenLink),
    #[error("entry 1 must be listing_opened with the listing's rules")]
    NoRules,
    #[error("entry 1: the rules are not valid: {0}")]
    Rules(RulesError),
    #[error(transparent)]
    Replay(#[from] ReplayError),
    #[error("entry {seq}: the log has {logged}, but the rules give {rerun}")]
    Diverges {
        seq: u64,
        logged: &'static str,
        rerun: Derived,
    },
    #[error("entry {seq}: re-running the listing failed: {error}")]
    Engine { seq: u64, error: EngineError },
    #[error("the state folded from the log differs from the state of re-running it")]
    StateMismatch,
}

/// What re-running the listing gave where the log parts from the rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Derived {
    /// No fact: the log goes on where the engine stopped.
    #[error("nothing")]
    Nothing,
    /// The entry names a bidder number nobody holds at that point.
    #[error("no such bidder")]
    NoSuchBidder,
    /// A different fact, or the same one at another instant; `refusal` is
    /// the reason when the fact is a refusal.
    #[error("{event} at {at}")]
    Fact {
        event: &'static str,
        at: Timestamp,
        refusal: Option<crate::engine::Refusal>,
    },
    /// A deadline falls due first and needs a sealed value (`what`) that
    /// the log never reveals: the fact that would reveal it is missing.
    #[error("a deadline falling due first, which needs the {what} that this log never reveals")]
    UnrevealedDeadline { what: &'static str },
}

impl Derived {
    fn of(fact: &Fact) -> Derived {
        Derived::Fact {
            event: fact.event.name(),
            at: fact.at,
            refusal: match &fact.event {
                Event::ActionRefused { reason, .. } | Event::DepositRefused { reason, .. } => {
                    Some(*reason)
                }
                _ => None,
            },
        }
    }
}

/// Reads and verifies a JSON-lines log.
pub fn verify_jsonl(text: &str) -> Result<Verified, JsonlVerifyError> {
    let entries = from_jsonl(text)?;
    Ok(verify(&entries)?)
}

/// Why a JSON-lines log failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonlVerifyError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// The secrets a log reveals, keyed by what they open.
struct Reveals {
    reserve: Option<Opening<Option<Money>>>,
    seed: Option<String>,
    offers: HashMap<Digest, Opening<Money>>,
}

impl Reveals {
    fn scan(entries: &[LogEntry]) -> Reveals {
        let mut reveals = Reveals {
            reserve: None,
            seed: None,
            offers: HashMap::new(),
        };
        for entry in entries {
            match &entry.payload {
                Event::Decided(decision) if reveals.reserve.is_none() => {
                    reveals.reserve = Some(decision.reserve.clone());
                }
                Event::LotteryDrawn { seed, .. } if reveals.seed.is_none() => {
                    reveals.seed = Some(seed.clone())
                }
                Event::SealedOffersOpened { offers } => {
                    for o in offers {
                        reveals.offers.entry(o.commitment).or_insert(Opening {
                            value: o.price,
                            nonce: o.nonce,
                        });
                    }
                }
                _ => {}
            }
        }
        reveals
    }

    /// `sealed` with its opening when the log reveals it.
    fn reserve(&self, code: &str, sealed: &Sealed<Option<Money>>) -> Sealed<Option<Money>> {
        let mut out = sealed.clone();
        if let Some(opening) = &self.reserve {
            // A revealed reserve that opens another commitment is ignored
            // here; the fold reports the mismatch.
            let _ = out.open(SealKind::Reserve, code, opening.clone());
        }
        out
    }

    fn offer(&self, code: &str, sealed: &Sealed<Money>) -> Sealed<Money> {
        let mut out = sealed.clone();
        if let Some(opening) = self.offers.get(&sealed.commitment()) {
            let _ = out.open(SealKind::SealedOffer, code, opening.clone());
        }
        out
    }

    fn rules(&self, rules: &ListingRules) -> ListingRules {
        let mut out = rules.clone();
        out.reserve = self.reserve(&rules.code, &rules.reserve);
        if let (Some(cap), Some(seed)) = (out.price_cap.as_mut(), &self.seed) {
            if let crate::engine::FollowOn::Lottery { seed: known } = &mut cap.then {
                let _ = known.reveal(seed);
            }
        }
        out
    }

    /// The action a logged record stands for, its secrets filled in where
    /// revealed. `None` when the record names a bidder the state lacks.
    fn action(&self, code: &str, state: &ListingState, event: &Event) -> Option<Action> {
        let party = |b| state.party_of(b).cloned();
        Some(match event {
            Event::Applied { lead, partners } => Action::Apply {
                party: lead.clone(),
                partners: partners.clone(),
            },
            Event::Consented { party, lead } => Action::Consent {
                party: party.clone(),
                lead: lead.clone(),
            },
            Event::DepositCredited { lead, amount } => Action::Deposit {
                party: lead.clone(),
                amount: *amount,
            },
            Event::DepositRefused { party, amount, .. } => Action::Deposit {
                party: party.clone(),
                amount: *amount,
            },
            Event::BidAccepted { bidder, price, .. } => Action::Bid {
                party: party(*bidder)?,
                price: *price,
            },
            Event::TimedDeclared { bidder } => Action::DeclareTimed {
                party: party(*bidder)?,
            },
            Event::CapAccepted { bidder } => Action::AcceptCap {
                party: party(*bidder)?,
            },
            Event::SealedOfferMade { bidder, offer } => Action::SealedOffer {
                party: party(*bidder)?,
                offer: self.offer(code, offer),
            },
            Event::OfferAccepted {
                bidder, quantity, ..
            } => Action::Offer {
                party: party(*bidder)?,
                quantity: *quantity,
            },
            Event::ReserveSet { reserve } => Action::SetReserve {
                reserve: self.reserve(code, reserve),
            },
            Event::IncrementChanged { increment } => Action::SetIncrement {
                increment: *increment,
            },
            Event::IneligibleSet { parties } => Action::SetIneligible {
                parties: parties.clone(),
            },
            Event::Suspended { reason } => Action::Suspend {
                reason: reason.clone(),
            },
            Event::Resumed { schedule, deadline } => Action::Resume {
                schedule: *schedule,
                deadline: *deadline,
            },
            Event::ActionRefused { action, .. } => match &**action {
                Action::SealedOffer { party, offer } => Action::SealedOffer {
                    party: party.clone(),
                    offer: self.offer(code, offer),
                },
                Action::SetReserve { reserve } => Action::SetReserve {
                    reserve: self.reserve(code, reserve),
                },
                other => other.clone(),
            },
            _ => return None,
        })
    }
}

/// Verifies a log: the chain, then a re-run of every action through the
/// engine, then the fold. See the module documentation.
pub fn verify(entries: &[LogEntry]) -> Result<Verified, VerifyError> {
    let first = entries.first().ok_or(VerifyError::Empty)?;
    verify_chain(entries)?;
    let Event::ListingOpened { rules } = &first.payload else {
        return Err(VerifyError::NoRules);
    };
    let rules: &ListingRules = rules;
    rules.validate().map_err(VerifyError::Rules)?;
    if rules.code != first.listing {
        return Err(VerifyError::NoRules);
    }
    let state = replay(rules, entries)?;

    let reveals = Reveals::scan(entries);
    let run_rules = reveals.rules(rules);
    let mut listing = Listing::from_parts(run_rules.clone(), ListingState::new(&run_rules));
    let rerun = rerun(&mut listing, &reveals, &entries[1..])?;
    if rerun == Rerun::Complete && *listing.state() != state {
        return Err(VerifyError::StateMismatch);
    }
    Ok(Verified {
        rules: rules.clone(),
        state,
        entries: entries.len(),
        head: entries[entries.len() - 1].hash.clone(),
        rerun,
    })
}

/// Re-runs the logged actions and checks that the engine produces exactly
/// the logged entries.
fn rerun(
    listing: &mut Listing,
    reveals: &Reveals,
    entries: &[LogEntry],
) -> Result<Rerun, VerifyError> {
    let code = listing.rules().code.clone();
    let mut produced = Vec::new();
    // Entries before `next` have been re-derived.
    let mut next = 0;
    for (i, entry) in entries.iter().enumerate() {
        if entry.payload.cause() != crate::engine::Cause::Action {
            continue;
        }
        let action = reveals
            .action(&code, listing.state(), &entry.payload)
            .ok_or_else(|| VerifyError::Diverges {
                seq: entry.seq,
                logged: entry.payload.name(),
                rerun: Derived::NoSuchBidder,
            })?;
        // Deadlines first: a deadline always falls due at an instant the
        // log has passed, so a secret it needs must have been revealed.
        produced.clear();
        listing
            .advance(entry.at, &mut produced)
            .map_err(|error| unrevealed_deadline(entry, error))?;
        compare(&entries[next..], &produced)?;
        next += produced.len();
        // Then the action: judging a sealed offer needs the offers made so
        // far, which stay sealed until their window closes.
        produced.clear();
        match listing.decide(&action, entry.at, &mut produced) {
            Ok(_) => {}
            Err(EngineError::SealedValueUnknown { what }) => {
                return Ok(Rerun::StoppedAtSealed {
                    seq: entry.seq,
                    what,
                });
            }
            Err(error) => {
                return Err(VerifyError::Engine {
                    seq: entry.seq,
                    error,
                })
            }
        }
        compare(&entries[next..], &produced)?;
        next += produced.len();
        if next <= i {
            // The engine's facts ended before this action's record.
            return Err(VerifyError::Diverges {
                seq: entry.seq,
                logged: entry.payload.name(),
                rerun: Derived::Nothing,
            });
        }
    }
    if let Some(last) = entries.last() {
        produced.clear();
        listing
            .advance(last.at, &mut produced)
            .map_err(|error| unrevealed_deadline(last, error))?;
        compare(&entries[next..], &produced)?;
        next += produced.len();
        if let Some(extra) = entries.get(next) {
            return Err(VerifyError::Diverges {
                seq: extra.seq,
                logged: extra.payload.name(),
                rerun: Derived::Nothing,
            });
        }
    }
    Ok(Rerun::Complete)
}

/// A deadline that fell due before `entry` could not be re-run: when a
/// secret it needs was never revealed, the log lacks the fact that would
/// have revealed it.
fn unrevealed_deadline(entry: &LogEntry, error: EngineError) -> VerifyError {
    match error {
        EngineError::SealedValueUnknown { what } => VerifyError::Diverges {
            seq: entry.seq,
            logged: entry.payload.name(),
            rerun: Derived::UnrevealedDeadline { what },
        },
        error => VerifyError::Engine {
            seq: entry.seq,
            error,
        },
    }
}

/// Requires `produced` to be the first entries of `logged`.
fn compare(logged: &[LogEntry], produced: &[Fact]) -> Result<(), VerifyError> {
    for (k, fact) in produced.iter().enumerate() {
        let Some(entry) = logged.get(k) else {
            return Err(VerifyError::Diverges {
                seq: logged.last().map_or(0, |e| e.seq + 1),
                logged: "the end of the log",
                rerun: Derived::of(fact),
            });
        };
        if entry.at != fact.at || entry.payload != fact.event {
            return Err(VerifyError::Diverges {
                seq: entry.seq,
                logged: entry.payload.name(),
                rerun: Derived::of(fact),
            });
        }
    }
    Ok(())
}
