//! A listing's rules: everything `exchange-rules.md` lets a listing
//! configure, fixed when the notice is published.
//!
//! The only parts that change later are the ones the exchange may change by
//! an action — the reserve (`set_reserve`), the increment (`set_increment`)
//! and the schedule (on resuming a suspended listing) — and those live in
//! the [`ListingState`](super::ListingState), which starts from these rules.

use super::ids::{Party, Quantity};
use super::seal::{LotterySeed, Sealed};
use serde::{Deserialize, Serialize};
use yiwang_core::{Area, Money, Timestamp};

/// The longest duration a rule may name, in seconds (ten years). Bounding
/// durations keeps every deadline computation far from overflow.
pub const MAX_DURATION_S: i64 = 10 * 366 * 86_400;

/// The ascending follow-on's countdown when timed rounds are off (240 s).
pub const DEFAULT_COUNTDOWN_S: i64 = 240;

/// What a bid names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// Yuan per m² of land area (元/M²); the total is `unit × area`.
    Unit,
    /// Yuan for the whole parcel.
    Total,
}

/// The listing's calendar. Every window is half-open, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    pub application_start: Timestamp,
    pub application_deadline: Timestamp,
    pub deposit_deadline: Timestamp,
    pub listing_start: Timestamp,
    pub listing_end: Timestamp,
}

/// Who takes part in a timed round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// The qualified bidders who declared (`declare_timed`).
    Declare,
    /// Every bidder with at least one accepted bid.
    Bidders,
    /// Every qualified bidder.
    Qualified,
}

/// The timed round (限时竞价) after the listing period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimedRoundRules {
    pub entry: Entry,
    pub min_participants: u32,
    pub countdown_s: i64,
}

impl Default for TimedRoundRules {
    /// The Jiangsu defaults: declared bidders, at least two, 240 s.
    fn default() -> Self {
        TimedRoundRules {
            entry: Entry::Declare,
            min_participants: 2,
            countdown_s: DEFAULT_COUNTDOWN_S,
        }
    }
}

/// The unit of an ascending follow-on's quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantityUnit {
    /// Square metres of floor area (竞配建).
    M2,
    /// Per cent of floor area held by the developer (竞自持).
    Percent,
}

/// What decides among two or more cap holders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum FollowOn {
    /// 摇号: a draw anyone can recompute from the published seed.
    Lottery { seed: LotterySeed },
    /// 一次报价: one sealed offer each; closest to the mean wins.
    SealedAverage {
        window_s: i64,
        low: Money,
        high: Money,
    },
    /// 竞配建 / 竞自持: an open ascending round on a second quantity.
    Ascending {
        unit: QuantityUnit,
        start: Quantity,
        increment: Quantity,
        max: Option<Quantity>,
    },
}

/// The price cap (最高限价) and its follow-on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceCap {
    pub max_price: Money,
    pub then: FollowOn,
}

/// Everything a listing configures.
///
/// Secrets are [`Sealed`]: serialised (for instance into the first entry of
/// the event log) the rules show the reserve's commitment and the lottery
/// seed's hash, never the values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingRules {
    /// The listing (parcel) code, e.g. `R20042`.
    pub code: String,
    /// The parcel's land area.
    pub area: Area,
    pub price_basis: PriceBasis,
    pub start_price: Money,
    /// The initial increment (加价幅度); `set_increment` changes it.
    pub increment: Money,
    /// Whether raises must be whole multiples of the increment.
    pub whole_multiples: bool,
    /// The initial reserve (底价), sealed; `None` inside means no reserve.
    pub reserve: Sealed<Option<Money>>,
    pub deposit_required: Money,
    /// The initial schedule; resuming a suspended listing may replace it.
    pub schedule: Schedule,
    /// Listing quotes stop this long before `listing_end` (挂牌截止前报价截止).
    pub quote_stop_s: i64,
    /// The reserve is locked this long before `listing_end`.
    pub reserve_lock_s: i64,
    /// `None` turns timed rounds off.
    pub timed_round: Option<TimedRoundRules>,
    pub price_cap: Option<PriceCap>,
    /// Parties that may not apply, alone or as partners (arrears, defaults,
    /// blacklist).
    pub ineligible: Vec<Party>,
}

/// A rule that makes no sense, named by its field in the scenario format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct RulesError {
    pub field: &'static str,
    pub problem: &'static str,
}

fn check(ok: bool, field: &'static str, problem: &'static str) -> Result<(), RulesError> {
    if ok {
        Ok(())
    } else {
        Err(RulesError { field, problem })
    }
}

fn check_duration(s: i64, positive: bool, field: &'static str) -> Result<(), RulesError> {
    if positive {
        check(
            s > 0 && s <= MAX_DURATION_S,
            field,
            "must be a number of seconds from 1 to 316224000",
        )
    } else {
        check(
            (0..=MAX_DURATION_S).contains(&s),
            field,
            "must be a number of seconds from 0 to 316224000",
        )
    }
}

/// Checks a listing code: it appears in hashed texts separated by `|`.
pub fn check_listing_code(code: &str) -> Result<(), RulesError> {
    check(
        !code.is_empty()
            && code.chars().count() <= 64
            && code.trim() == code
            && !code.chars().any(|c| c == '|' || c == ',' || c.is_control()),
        "code",
        "must be 1 to 64 characters without '|', ',' or control characters",
    )
}

impl ListingRules {
    /// Checks that the rules are coherent: positive increments and
    /// countdowns, bounded durations, windows that end after they start, a
    /// cap the start price can reach, a sealed range that is not empty.
    pub fn validate(&self) -> Result<(), RulesError> {
        check_listing_code(&self.code)?;
        check(self.area.is_positive(), "area_m2", "must be more than 0")?;
        check(
            self.start_price.is_positive(),
            "start_price",
            "must be more than 0",
        )?;
        check(
            self.increment.is_positive(),
            "increment",
            "must be more than 0",
        )?;
        check(
            !self.deposit_required.is_negative(),
            "deposit_required",
            "must not be negative",
        )?;
        if let Some(Some(r)) = self.reserve.value() {
            check(!r.is_negative(), "reserve_price", "must not be negative")?;
        }
        let s = &self.schedule;
        check(
            s.application_start <= s.application_deadline,
            "application_deadline",
            "must not be before application_start",
        )?;
        check(
            s.listing_start < s.listing_end,
            "listing_end",
            "must be after listing_start",
        )?;
        check_duration(self.quote_stop_s, false, "quote_stop_s")?;
        check_duration(self.reserve_lock_s, false, "reserve_lock_s")?;
        check(
            self.total_price(self.start_price).is_some(),
            "start_price",
            "its total price for the parcel is too large",
        )?;
        if let Some(tr) = &self.timed_round {
            check(
                tr.min_participants >= 1,
                "timed_round.min_participants",
                "must be at least 1",
            )?;
            check_duration(tr.countdown_s, true, "timed_round.countdown_s")?;
        }
        if let Some(cap) = &self.price_cap {
            check(
                cap.max_price >= self.start_price,
                "price_cap.max_price",
                "must not be below start_price",
            )?;
            check(
                self.total_price(cap.max_price).is_some(),
                "price_cap.max_price",
                "its total price for the parcel is too large",
            )?;
            match &cap.then {
                FollowOn::Lottery { .. } => {}
                FollowOn::SealedAverage {
                    window_s,
                    low,
                    high,
                } => {
                    check_duration(*window_s, true, "price_cap.then.window_s")?;
                    check(
                        !low.is_negative(),
                        "price_cap.then.low",
                        "must not be negative",
                    )?;
                    check(low <= high, "price_cap.then.high", "must not be below low")?;
                    check(
                        self.total_price(*high).is_some(),
                        "price_cap.then.high",
                        "its total price for the parcel is too large",
                    )?;
                }
                FollowOn::Ascending {
                    start,
                    increment,
                    max,
                    ..
                } => {
                    check(
                        start.centi() >= 0,
                        "price_cap.then.start",
                        "must not be negative",
                    )?;
                    check(
                        increment.centi() > 0,
                        "price_cap.then.increment",
                        "must be more than 0",
                    )?;
                    if let Some(max) = max {
                        check(
                            max >= start,
                            "price_cap.then.max",
                            "must not be below start",
                        )?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The rules with their secrets dropped (the reserve's opening, the
    /// lottery seed), keeping the commitments: what a log may hold.
    pub fn without_secrets(&self) -> ListingRules {
        let mut out = self.clone();
        out.reserve = self.reserve.without_opening();
        if let Some(cap) = out.price_cap.as_mut() {
            if let FollowOn::Lottery { seed } = &mut cap.then {
                *seed = seed.without_seed();
            }
        }
        out
    }

    /// The total price of the parcel at `price` (`unit × area` rounded half
    /// up to the fen, or `price` itself on a total basis); `None` if it does
    /// not fit.
    pub fn total_price(&self, price: Money) -> Option<Money> {
        match self.price_basis {
            PriceBasis::Unit => Money::unit_total(price, self.area),
            PriceBasis::Total => Some(price),
        }
    }

    /// Whether `party` is on the ineligible list.
    pub fn is_ineligible(&self, party: &str) -> bool {
        self.ineligible.iter().any(|p| p.as_str() == party)
    }

    /// The countdown of the ascending follow-on: the timed round's, or
    /// [`DEFAULT_COUNTDOWN_S`] when timed rounds are off.
    pub fn follow_on_countdown_s(&self) -> i64 {
        self.timed_round
            .map_or(DEFAULT_COUNTDOWN_S, |tr| tr.countdown_s)
    }
}

impl Schedule {
    /// When listing quotes stop: `listing_end − quote_stop`.
    pub fn quote_stop_at(&self, rules: &ListingRules) -> Timestamp {
        self.listing_end.add_secs(-rules.quote_stop_s)
    }

    /// When the reserve locks: `listing_end − reserve_lock`.
    pub fn reserve_lock_at(&self, rules: &ListingRules) -> Timestamp {
        self.listing_end.add_secs(-rules.reserve_lock_s)
    }

    /// Whether the schedule's windows end after they start.
    pub fn is_coherent(&self) -> bool {
        self.application_start <= self.application_deadline && self.listing_start < self.listing_end
    }
}
