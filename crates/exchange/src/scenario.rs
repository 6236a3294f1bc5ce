//! Scenarios: the trading rules made executable (`spec/scenario-format.md`).
//!
//! A scenario is one listing, timed steps and the expected outcome. It is
//! how the rules are tested, and a product feature: an officer dry-runs a
//! listing's rules before the notice is published. [`simulate`] runs the
//! same [`Listing`] the server runs, on a virtual clock, and returns the
//! outcome exactly as `yiwang exchange simulate` prints it. [`Run::log`]
//! writes the same run as the listing's event log (`yiwang exchange log`),
//! so that a log can be produced, and verified, without a server.
//!
//! Parsing is strict, because a typo in a dry run must not silently change
//! the rules being tried: unknown or repeated fields, amounts with more than
//! two decimals or written as JSON numbers (they may have passed through a
//! float) and times without an offset are errors, each naming its field on
//! one line, e.g.
//! `steps[3].price: not a decimal amount with at most 2 decimals: "12.345"`.
//! Top-level fields other than `listing` and `steps` (`name`, `about`,
//! `expect`, …) are the reader's and are ignored.
//!
//! Sealed values need nonces; a scenario derives them from its listing code
//! and the step index, so that runs are reproducible. (A dry run's reserve
//! is known to whoever holds the file anyway; the server draws real nonces.)

use crate::engine::{
    Action, Decision, Digest, EngineError, Entry, Fact, FollowOn, Listing, ListingRules,
    LotterySeed, Nonce, Outcome, Partner, Party, PriceBasis, PriceCap, Quantity, QuantityUnit,
    Schedule, SealKind, Sealed, Share, TimedRoundRules, Verdict,
};
use crate::log::{LogEntry, LogWriter};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{json, Value};
use std::fmt;
use yiwang_core::{Area, Money, Timestamp};

/// Why a scenario cannot be run. Its `Display` is one line that names the
/// offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    /// Not JSON at all.
    #[error("scenario: not valid JSON: {0}")]
    Json(String),
    /// A field is missing, unknown, repeated or malformed.
    #[error("{field}: {problem}")]
    Field { field: String, problem: String },
    /// The engine could not run the listing (never for a well-formed
    /// scenario; kept so that nothing is ever silently dropped).
    #[error("scenario: the engine stopped: {0}")]
    Engine(#[from] EngineError),
}

fn field_error(field: impl Into<String>, problem: impl Into<String>) -> ScenarioError {
    ScenarioError::Field {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A parsed scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: Option<String>,
    pub about: Option<String>,
    pub rules: ListingRules,
    pub steps: Vec<Step>,
}

/// One timed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: Timestamp,
    pub action: Action,
}

/// What running a scenario produced.
#[derive(Debug, Clone)]
pub struct Run {
    /// One verdict per step.
    pub verdicts: Vec<Verdict>,
    /// Every fact, in order (what the listing's log would hold after its
    /// opening entry).
    pub facts: Vec<Fact>,
    /// The listing at the end.
    pub listing: Listing,
}

impl Run {
    /// The result and its instant.
    pub fn decision(&self) -> Option<(Timestamp, &Decision)> {
        self.listing.decision()
    }

    /// The listing's event log, as the server would have written it: entry 1
    /// opens the listing at `opened_at` with its rules (secrets sealed),
    /// then one entry per fact. `opened_at` must not be later than the
    /// first fact; [`Scenario::opened_at`] gives the natural choice.
    pub fn log(&self, opened_at: Timestamp) -> Vec<LogEntry> {
        let (mut writer, first) = LogWriter::open(self.listing.rules(), opened_at);
        let mut entries = Vec::with_capacity(self.facts.len() + 1);
        entries.push(first);
        entries.extend(self.facts.iter().map(|fact| writer.append(fact)));
        entries
    }

    /// The outcome object of the scenario format:
    /// `{"verdicts": [...], "result": {...}}`.
    pub fn outcome_json(&self) -> Value {
        let verdicts: Vec<&str> = self.verdicts.iter().map(|v| v.code()).collect();
        let result = match self.decision() {
            Some((at, decision)) => result_json(at, decision),
            None => Value::Null,
        };
        json!({ "verdicts": verdicts, "result": result })
    }
}

fn result_json(at: Timestamp, decision: &Decision) -> Value {
    match &decision.result {
        Outcome::Sold {
            winner,
            price,
            quantity,
            ..
        } => {
            let mut result = json!({
                "outcome": "sold",
                "winner": winner.as_str(),
                "price": price.to_yuan_string(),
                "decided_at": at.to_rfc3339(),
            });
            if let (Some(q), Some(map)) = (quantity, result.as_object_mut()) {
                map.insert("quantity".to_owned(), Value::String(q.to_string()));
            }
            result
        }
        Outcome::Failed { reason } => json!({
            "outcome": "failed",
            "reason": reason.code(),
            "decided_at": at.to_rfc3339(),
        }),
    }
}

/// Runs a scenario (scenario-format.md) on a virtual clock and returns the
/// outcome object `{"verdicts": [...], "result": {...}}` exactly as
/// `yiwang exchange simulate` prints it.
pub fn simulate(input: &str) -> Result<Value, ScenarioError> {
    Ok(Scenario::parse(input)?.run()?.outcome_json())
}

impl Scenario {
    /// Parses and checks a scenario.
    pub fn parse(input: &str) -> Result<Scenario, ScenarioError> {
        let root: Json =
            serde_json::from_str(input).map_err(|e| ScenarioError::Json(e.to_string()))?;
        let Json::Obj(top) = &root else {
            return Err(field_error("scenario", "must be a JSON object"));
        };
        let top = Obj::new(top, "", &[])?;
        let name = top.opt_string("name")?;
        let about = top.opt_string("about")?;
        let listing = top.req("listing")?;
        let rules = parse_listing(listing)?;
        let steps_json = top.req("steps")?;
        let Json::Arr(items) = steps_json else {
            return Err(field_error("steps", "must be an array"));
        };
        let steps = items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_step(item, &format!("steps[{i}]"), i, &rules.code))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Scenario {
            name,
            about,
            rules,
            steps,
        })
    }

    /// The instant a log of this scenario opens at: the scenario does not
    /// say when the notice was published, so it is taken as the earliest
    /// instant the scenario names (the application or listing start, or
    /// its first step), which no fact of the run can precede.
    pub fn opened_at(&self) -> Timestamp {
        let schedule = &self.rules.schedule;
        self.steps
            .iter()
            .map(|step| step.at)
            .chain([schedule.application_start, schedule.listing_start])
            .min()
            .unwrap_or(schedule.listing_start)
    }

    /// Runs the steps on a virtual clock, then the clock on until the
    /// result is decided.
    ///
    /// Steps are taken in time order, those at the same instant in file
    /// order, and the verdicts are reported in file order. The format says
    /// steps come in time order; a file that lists them otherwise still
    /// means "these actions reached the server at these instants", and the
    /// server would have received them in time order.
    pub fn run(&self) -> Result<Run, ScenarioError> {
        let mut listing = Listing::new(self.rules.clone())
            .map_err(|e| field_error(format!("listing.{}", e.field), e.problem))?;
        let mut order: Vec<usize> = (0..self.steps.len()).collect();
        // A stable sort keeps file order among steps at the same instant.
        order.sort_by_key(|&i| self.steps[i].at);
        let mut facts = Vec::new();
        let mut verdicts = vec![Verdict::Accepted; self.steps.len()];
        for i in order {
            let step = &self.steps[i];
            verdicts[i] = listing.decide(&step.action, step.at, &mut facts)?;
        }
        listing.run_until_decided(&mut facts)?;
        Ok(Run {
            verdicts,
            facts,
            listing,
        })
    }
}

/// The nonce of a scenario's sealed value: derived, so runs repeat.
fn scenario_nonce(code: &str, what: &str) -> Nonce {
    Nonce(Digest::of(format!("yiwang-scenario-nonce|{code}|{what}").as_bytes()).0)
}

// ---------------------------------------------------------------------------
// A JSON tree that keeps every key, so that repeated keys are reported
// instead of silently overwritten, and that keeps integers apart from
// fractions.

/// A key and its value, in the order written.
type Member = (String, Json);

#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Int(i128),
    Float,
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Int(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Int(v.into()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Json, E> {
                Ok(Json::Float)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
                Ok(Json::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut entries = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    entries.push((k, v));
                }
                Ok(Json::Obj(entries))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Int(_) | Json::Float => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
}

/// An object being read: checks its keys against the allowed ones and
/// names fields by their path.
struct Obj<'a> {
    entries: &'a [(String, Json)],
    path: &'a str,
}

impl<'a> Obj<'a> {
    /// `allowed` empty means any key is allowed (the top level).
    fn new(
        entries: &'a [(String, Json)],
        path: &'a str,
        allowed: &[&str],
    ) -> Result<Obj<'a>, ScenarioError> {
        let obj = Obj { entries, path };
        for (i, (key, _)) in entries.iter().enumerate() {
            if entries[..i].iter().any(|(k, _)| k == key) {
                return Err(field_error(obj.field(key), "given more than once"));
            }
            if !allowed.is_empty() && !allowed.contains(&key.as_str()) {
                return Err(field_error(
                    obj.field(key),
                    format!("unknown field (expected one of: {})", allowed.join(", ")),
                ));
            }
        }
        Ok(obj)
    }

    fn field(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key`; an explicit `null` counts as absent.
    fn get(&self, key: &str) -> Option<&'a Json> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| **v != Json::Null)
    }

    /// Whether `key` is present, even as `null`.
    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    fn req(&self, key: &str) -> Result<&'a Json, ScenarioError> {
        self.get(key)
            .ok_or_else(|| field_error(self.field(key), "missing"))
    }

    fn opt_string(&self, key: &str) -> Result<Option<String>, ScenarioError> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Str(s)) => Ok(Some(s.clone())),
            Some(other) => Err(field_error(
                self.field(key),
                format!("expected a string, found {}", other.kind()),
            )),
        }
    }

    fn req_str(&self, key: &str) -> Result<&'a str, ScenarioError> {
        match self.req(key)? {
            Json::Str(s) => Ok(s),
            other => Err(field_error(
                self.field(key),
                format!("expected a string, found {}", other.kind()),
            )),
        }
    }

    fn party(&self, key: &str) -> Result<Party, ScenarioError> {
        let text = self.req_str(key)?;
        Party::parse(text).map_err(|e| field_error(self.field(key), format!("{e}: {text:?}")))
    }

    fn money(&self, key: &str) -> Result<Money, ScenarioError> {
        money_value(self.req(key)?, &self.field(key))
    }

    fn opt_money(&self, key: &str) -> Result<Option<Money>, ScenarioError> {
        self.get(key)
            .map(|v| money_value(v, &self.field(key)))
            .transpose()
    }

    fn positive_money(&self, key: &str) -> Result<Money, ScenarioError> {
        let m = self.money(key)?;
        if !m.is_positive() {
            return Err(field_error(self.field(key), "must be more than 0"));
        }
        Ok(m)
    }

    fn quantity(&self, key: &str) -> Result<Quantity, ScenarioError> {
        quantity_value(self.req(key)?, &self.field(key))
    }

    fn time(&self, key: &str) -> Result<Timestamp, ScenarioError> {
        let field = self.field(key);
        match self.req(key)? {
            Json::Str(s) => Timestamp::parse_rfc3339(s).map_err(|e| {
                field_error(
                    field,
                    format!("not an RFC 3339 time with an offset: {s:?} ({e})"),
                )
            }),
            other => Err(field_error(
                field,
                format!("expected an RFC 3339 time string, found {}", other.kind()),
            )),
        }
    }

    fn opt_time(&self, key: &str) -> Result<Option<Timestamp>, ScenarioError> {
        if self.get(key).is_some() {
            self.time(key).map(Some)
        } else {
            Ok(None)
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, ScenarioError> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(field_error(
                self.field(key),
                format!("expected true or false, found {}", other.kind()),
            )),
        }
    }

    /// A whole number in `range`.
    fn opt_int(
        &self,
        key: &str,
        min: i64,
        max: i64,
        what: &str,
    ) -> Result<Option<i64>, ScenarioError> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Int(n)) if (i128::from(min)..=i128::from(max)).contains(n) => {
                Ok(Some(*n as i64))
            }
            Some(Json::Int(_)) => Err(field_error(
                self.field(key),
                format!("must be {what} from {min} to {max}"),
            )),
            Some(other) => Err(field_error(
                self.field(key),
                format!("expected {what}, found {}", other.kind()),
            )),
        }
    }

    /// The object at `key` (keys checked against `allowed`) and its path.
    fn obj(
        &self,
        key: &str,
        allowed: &[&str],
    ) -> Result<Option<(&'a [Member], String)>, ScenarioError> {
        match self.get(key) {
            None => Ok(None),
            Some(Json::Obj(entries)) => {
                let path = self.field(key);
                check_keys(entries, &path, allowed)?;
                Ok(Some((entries, path)))
            }
            Some(other) => Err(field_error(
                self.field(key),
                format!("expected an object, found {}", other.kind()),
            )),
        }
    }
}

fn check_keys(
    entries: &[(String, Json)],
    path: &str,
    allowed: &[&str],
) -> Result<(), ScenarioError> {
    Obj::new(entries, path, allowed).map(|_| ())
}

fn money_value(v: &Json, field: &str) -> Result<Money, ScenarioError> {
    match v {
        Json::Str(s) => Money::parse_yuan(s).map_err(|_| {
            field_error(
                field,
                format!("not a decimal amount with at most 2 decimals: {s:?}"),
            )
        }),
        Json::Int(_) | Json::Float => Err(field_error(
            field,
            "amounts must be decimal strings such as \"18470.00\", not JSON numbers",
        )),
        other => Err(field_error(
            field,
            format!("expected a decimal amount string, found {}", other.kind()),
        )),
    }
}

fn quantity_value(v: &Json, field: &str) -> Result<Quantity, ScenarioError> {
    match v {
        Json::Str(s) => Quantity::parse(s).map_err(|_| {
            field_error(
                field,
                format!("not a decimal quantity with at most 2 decimals: {s:?}"),
            )
        }),
        Json::Int(_) | Json::Float => Err(field_error(
            field,
            "quantities must be decimal strings such as \"1500\", not JSON numbers",
        )),
        other => Err(field_error(
            field,
            format!("expected a decimal quantity string, found {}", other.kind()),
        )),
    }
}

/// A share in per cent. A sign is accepted (a negative share is then
/// refused `invalid_shares` by the rules, as 0 and 100 are), more than two
/// decimals is not.
fn share_value(v: &Json, field: &str) -> Result<Share, ScenarioError> {
    let bad = || {
        field_error(
            field,
            format!(
                "not a share in per cent with at most 2 decimals: {}",
                describe(v)
            ),
        )
    };
    let Json::Str(s) = v else {
        return Err(bad());
    };
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let share = Share::parse(digits).map_err(|_| bad())?;
    Ok(if negative {
        Share::from_centi(-share.centi())
    } else {
        share
    })
}

fn describe(v: &Json) -> String {
    match v {
        Json::Str(s) => format!("{s:?}"),
        other => other.kind().to_owned(),
    }
}

const LISTING_FIELDS: &[&str] = &[
    "code",
    "area_m2",
    "price_basis",
    "start_price",
    "increment",
    "whole_multiples",
    "reserve_price",
    "deposit_required",
    "application_start",
    "application_deadline",
    "deposit_deadline",
    "listing_start",
    "listing_end",
    "quote_stop_s",
    "reserve_lock_s",
    "timed_round",
    "price_cap",
    "ineligible",
];

const MAX_S: i64 = crate::engine::rules::MAX_DURATION_S;

fn parse_listing(v: &Json) -> Result<ListingRules, ScenarioError> {
    let Json::Obj(entries) = v else {
        return Err(field_error(
            "listing",
            format!("expected an object, found {}", v.kind()),
        ));
    };
    let l = Obj::new(entries, "listing", LISTING_FIELDS)?;
    let code = l.req_str("code")?.to_owned();
    crate::engine::rules::check_listing_code(&code)
        .map_err(|e| field_error("listing.code", e.problem))?;
    let area = match l.req("area_m2")? {
        Json::Str(s) => Area::parse(s).map_err(|_| {
            field_error(
                "listing.area_m2",
                format!("not a decimal area with at most 2 decimals: {s:?}"),
            )
        })?,
        other => {
            return Err(field_error(
                "listing.area_m2",
                format!(
                    "expected a decimal string such as \"6651.11\", found {}",
                    other.kind()
                ),
            ))
        }
    };
    let price_basis = match l.get("price_basis") {
        None => PriceBasis::Unit,
        Some(Json::Str(s)) if s == "unit" => PriceBasis::Unit,
        Some(Json::Str(s)) if s == "total" => PriceBasis::Total,
        Some(other) => {
            return Err(field_error(
                "listing.price_basis",
                format!("expected \"unit\" or \"total\", found {}", describe(other)),
            ))
        }
    };
    let listing_start = l.time("listing_start")?;
    let application_deadline = l.time("application_deadline")?;
    let schedule = Schedule {
        application_start: l.opt_time("application_start")?.unwrap_or(listing_start),
        application_deadline,
        deposit_deadline: l
            .opt_time("deposit_deadline")?
            .unwrap_or(application_deadline),
        listing_start,
        listing_end: l.time("listing_end")?,
    };
    let reserve = l.opt_money("reserve_price")?;
    let timed_round = if l.has("timed_round") && l.get("timed_round").is_none() {
        None
    } else {
        let defaults = TimedRoundRules::default();
        match l.obj("timed_round", &["entry", "min_participants", "countdown_s"])? {
            None => Some(defaults),
            Some((entries, path)) => {
                let t = Obj {
                    entries,
                    path: &path,
                };
                let entry = match t.get("entry") {
                    None => defaults.entry,
                    Some(Json::Str(s)) if s == "declare" => Entry::Declare,
                    Some(Json::Str(s)) if s == "bidders" => Entry::Bidders,
                    Some(Json::Str(s)) if s == "qualified" => Entry::Qualified,
                    Some(other) => {
                        return Err(field_error(
                            t.field("entry"),
                            format!(
                                "expected \"declare\", \"bidders\" or \"qualified\", found {}",
                                describe(other)
                            ),
                        ))
                    }
                };
                Some(TimedRoundRules {
                    entry,
                    min_participants: t
                        .opt_int("min_participants", 1, i64::from(u32::MAX), "a whole number")?
                        .map_or(defaults.min_participants, |n| n as u32),
                    countdown_s: t
                        .opt_int("countdown_s", 1, MAX_S, "a whole number of seconds")?
                        .unwrap_or(defaults.countdown_s),
                })
            }
        }
    };
    let price_cap = match l.obj("price_cap", &["max_price", "then"])? {
        None => None,
        Some((entries, path)) => Some(parse_cap(Obj {
            entries,
            path: &path,
        })?),
    };
    let ineligible = match l.get("ineligible") {
        None => Vec::new(),
        Some(Json::Arr(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Json::Str(s) => Party::parse(s).map_err(|e| {
                    field_error(format!("listing.ineligible[{i}]"), format!("{e}: {s:?}"))
                }),
                other => Err(field_error(
                    format!("listing.ineligible[{i}]"),
                    format!("expected a party id string, found {}", other.kind()),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => {
            return Err(field_error(
                "listing.ineligible",
                format!("expected an array of party ids, found {}", other.kind()),
            ))
        }
    };
    let rules = ListingRules {
        reserve: Sealed::seal(
            SealKind::Reserve,
            &code,
            reserve,
            scenario_nonce(&code, "reserve_price"),
        ),
        area,
        price_basis,
        start_price: l.money("start_price")?,
        increment: l.money("increment")?,
        whole_multiples: l.opt_bool("whole_multiples")?.unwrap_or(true),
        deposit_required: l.money("deposit_required")?,
        schedule,
        quote_stop_s: l
            .opt_int("quote_stop_s", 0, MAX_S, "a whole number of seconds")?
            .unwrap_or(3600),
        reserve_lock_s: l
            .opt_int("reserve_lock_s", 0, MAX_S, "a whole number of seconds")?
            .unwrap_or(1800),
        timed_round,
        price_cap,
        ineligible,
        code,
    };
    rules
        .validate()
        .map_err(|e| field_error(format!("listing.{}", e.field), e.problem))?;
    Ok(rules)
}

fn parse_cap(c: Obj<'_>) -> Result<PriceCap, ScenarioError> {
    let max_price = c.money("max_price")?;
    let then_path = c.field("then");
    let then = match c.req("then")? {
        Json::Obj(entries) => entries,
        other => {
            return Err(field_error(
                then_path,
                format!("expected an object, found {}", other.kind()),
            ))
        }
    };
    let mode = Obj::new(then, &then_path, &[])?;
    let mode_name = mode.req_str("mode")?;
    let then = match mode_name {
        "lottery" => {
            let t = Obj::new(then, &then_path, &["mode", "seed"])?;
            let seed = t.req_str("seed")?;
            FollowOn::Lottery {
                seed: LotterySeed::new(seed)
                    .map_err(|e| field_error(t.field("seed"), format!("{e}: {seed:?}")))?,
            }
        }
        "sealed_average" => {
            let t = Obj::new(then, &then_path, &["mode", "window_s", "low", "high"])?;
            FollowOn::SealedAverage {
                window_s: t
                    .opt_int("window_s", 1, MAX_S, "a whole number of seconds")?
                    .ok_or_else(|| field_error(t.field("window_s"), "missing"))?,
                low: t.money("low")?,
                high: t.money("high")?,
            }
        }
        "ascending" => {
            let t = Obj::new(
                then,
                &then_path,
                &["mode", "unit", "start", "increment", "max"],
            )?;
            let unit = match t.req("unit")? {
                Json::Str(s) if s == "m2" => QuantityUnit::M2,
                Json::Str(s) if s == "percent" => QuantityUnit::Percent,
                other => {
                    return Err(field_error(
                        t.field("unit"),
                        format!("expected \"m2\" or \"percent\", found {}", describe(other)),
                    ))
                }
            };
            FollowOn::Ascending {
                unit,
                start: t.quantity("start")?,
                increment: t.quantity("increment")?,
                max: t
                    .get("max")
                    .map(|v| quantity_value(v, &t.field("max")))
                    .transpose()?,
            }
        }
        other => {
            return Err(field_error(
                mode.field("mode"),
                format!("unknown mode {other:?} (expected lottery, sealed_average or ascending)"),
            ))
        }
    };
    Ok(PriceCap { max_price, then })
}

/// The fields each action takes, besides `at` and `do`.
fn action_fields(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "apply" => &["at", "do", "party", "partners"],
        "consent" => &["at", "do", "party", "lead"],
        "deposit" => &["at", "do", "party", "amount"],
        "bid" | "sealed_offer" => &["at", "do", "party", "price"],
        "declare_timed" | "accept_cap" => &["at", "do", "party"],
        "offer" => &["at", "do", "party", "quantity"],
        "set_reserve" => &["at", "do", "price"],
        "set_increment" => &["at", "do", "increment"],
        _ => return None,
    })
}

fn parse_step(v: &Json, path: &str, index: usize, code: &str) -> Result<Step, ScenarioError> {
    let Json::Obj(entries) = v else {
        return Err(field_error(
            path,
            format!("expected an object, found {}", v.kind()),
        ));
    };
    let loose = Obj::new(entries, path, &[])?;
    let name = loose.req_str("do")?;
    let allowed = action_fields(name).ok_or_else(|| unknown_action(&loose.field("do"), name))?;
    let s = Obj::new(entries, path, allowed)?;
    let at = s.time("at")?;
    let action = match name {
        "apply" => {
            let partners = match s.get("partners") {
                None => Vec::new(),
                Some(Json::Obj(list)) => {
                    let field = s.field("partners");
                    check_keys(list, &field, &[])?;
                    list.iter()
                        .map(|(party, share)| {
                            let f = format!("{field}.{party}");
                            Ok(Partner {
                                party: Party::parse(party)
                                    .map_err(|e| field_error(&f, format!("{e}: {party:?}")))?,
                                share: share_value(share, &f)?,
                            })
                        })
                        .collect::<Result<Vec<_>, ScenarioError>>()?
                }
                Some(other) => {
                    return Err(field_error(
                        s.field("partners"),
                        format!("expected an object of party: share, found {}", other.kind()),
                    ))
                }
            };
            Action::Apply {
                party: s.party("party")?,
                partners,
            }
        }
        "consent" => Action::Consent {
            party: s.party("party")?,
            lead: s.party("lead")?,
        },
        "deposit" => Action::Deposit {
            party: s.party("party")?,
            amount: s.positive_money("amount")?,
        },
        "bid" => Action::Bid {
            party: s.party("party")?,
            price: s.money("price")?,
        },
        "declare_timed" => Action::DeclareTimed {
            party: s.party("party")?,
        },
        "accept_cap" => Action::AcceptCap {
            party: s.party("party")?,
        },
        "sealed_offer" => Action::SealedOffer {
            party: s.party("party")?,
            offer: Sealed::seal(
                SealKind::SealedOffer,
                code,
                s.money("price")?,
                scenario_nonce(code, &format!("steps[{index}]")),
            ),
        },
        "offer" => Action::Offer {
            party: s.party("party")?,
            quantity: s.quantity("quantity")?,
        },
        "set_reserve" => Action::SetReserve {
            reserve: Sealed::seal(
                SealKind::Reserve,
                code,
                Some(s.money("price")?),
                scenario_nonce(code, &format!("steps[{index}]")),
            ),
        },
        "set_increment" => Action::SetIncrement {
            increment: s.positive_money("increment")?,
        },
        _ => return Err(unknown_action(&s.field("do"), name)),
    };
    Ok(Step { at, action })
}

fn unknown_action(field: &str, name: &str) -> ScenarioError {
    field_error(
        field,
        format!(
            "unknown action {name:?} (expected apply, consent, deposit, bid, declare_timed, accept_cap, \
             sealed_offer, offer, set_reserve or set_increment)"
        ),
    )
}
