//! From a parcel of a published notice to the engine's listing rules.
//!
//! Why a conversion and not shared types: the notice says what the public
//! was promised (in the notice's units and words); the engine's
//! [`ListingRules`] say what it enforces. Converting in one place, after
//! [`validate_for_publication`](super::validate_for_publication) has passed,
//! means every listing runs exactly the figures and windows its notice
//! printed: "each parcel of a published notice becomes a listing with the
//! notice's windows".
//!
//! Secrets do not live in the notice: the reserve (底价) is set by an
//! officer and arrives sealed, and a lottery's seed is known only to the
//! server (the notice publishes its SHA-256). Rules the notice does not
//! state take the defaults of `exchange-rules.md`: quotes stop 3600 s and
//! the reserve locks 1800 s before the listing ends, timed rounds by
//! declaration with at least two participants and a 240 s countdown, raises
//! in whole multiples of the increment, nobody ineligible (the server adds
//! its ineligible list).

use super::parcel::{AscendingQuantity, FollowOn, Parcel, PriceBasis};
use super::publish::Field;
use crate::engine::{
    Digest, FollowOn as EngineFollowOn, ListingRules, LotterySeed, PriceBasis as EnginePriceBasis,
    PriceCap as EnginePriceCap, Quantity, QuantityUnit, RulesError, Schedule, Sealed,
    TimedRoundRules,
};
use yiwang_core::{Money, Ratio};

/// Listing quotes stop this long before the listing ends (§4, Jiangsu).
pub const DEFAULT_QUOTE_STOP_S: i64 = 3600;
/// The reserve locks this long before the listing ends (§5).
pub const DEFAULT_RESERVE_LOCK_S: i64 = 1800;

/// Why a parcel cannot become a listing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListingError {
    #[error("地块 {parcel} 的“{}”未填写，不能生成挂牌", .field.label_cn())]
    Incomplete { parcel: String, field: Field },
    #[error("地块 {parcel} 的摇号种子与公告公布的 SHA-256 不符")]
    LotterySeedMismatch { parcel: String },
    #[error("地块 {parcel} 的摇号种子或其 SHA-256 格式不正确")]
    BadLotterySeed { parcel: String },
    #[error("地块 {parcel} 的{what} {value} 最多 2 位小数")]
    BadQuantity {
        parcel: String,
        what: &'static str,
        value: String,
    },
    #[error("地块 {parcel} 的挂牌规则无效：{source}")]
    Rules { parcel: String, source: RulesError },
}

fn quantity(parcel: &str, what: &'static str, r: Ratio) -> Result<Quantity, ListingError> {
    let units = r.ten_thousandths();
    if units % 100 != 0 {
        return Err(ListingError::BadQuantity {
            parcel: parcel.to_owned(),
            what,
            value: r.to_string(),
        });
    }
    Ok(Quantity::from_centi(units / 100))
}

/// The engine's rules for `parcel`: its figures and windows, the sealed
/// `reserve`, and for a lottery the server's `lottery_seed` (checked
/// against the published hash; `None` gives a reader's rules that know only
/// the hash). The result has passed [`ListingRules::validate`].
pub fn listing_rules(
    parcel: &Parcel,
    reserve: Sealed<Option<Money>>,
    lottery_seed: Option<&str>,
) -> Result<ListingRules, ListingError> {
    let code = parcel.code.as_str();
    let incomplete = |field| ListingError::Incomplete {
        parcel: code.to_owned(),
        field,
    };
    let windows = parcel.windows.ok_or_else(|| incomplete(Field::Windows))?;
    let start_price = parcel
        .start_price
        .ok_or_else(|| incomplete(Field::StartPrice))?;
    let increment = parcel
        .increment
        .ok_or_else(|| incomplete(Field::Increment))?;
    let deposit = parcel.deposit.ok_or_else(|| incomplete(Field::Deposit))?;
    let price_cap = match &parcel.rule.price_cap {
        None => None,
        Some(cap) => {
            let then = match &cap.follow_on {
                FollowOn::Lottery { seed_sha256 } => {
                    let hash = seed_sha256
                        .as_deref()
                        .ok_or_else(|| incomplete(Field::FollowOn))?;
                    let bad = || ListingError::BadLotterySeed {
                        parcel: code.to_owned(),
                    };
                    let digest = Digest::from_hex(hash).ok_or_else(bad)?;
                    let seed = match lottery_seed {
                        Some(seed) => {
                            let seed = LotterySeed::new(seed).map_err(|_| bad())?;
                            if seed.sha256() != digest {
                                return Err(ListingError::LotterySeedMismatch {
                                    parcel: code.to_owned(),
                                });
                            }
                            seed
                        }
                        None => LotterySeed::from_hash(digest),
                    };
                    EngineFollowOn::Lottery { seed }
                }
                FollowOn::SealedAverage {
                    window_s,
                    low,
                    high,
                } => EngineFollowOn::SealedAverage {
                    window_s: window_s.ok_or_else(|| incomplete(Field::FollowOn))?,
                    low: low.ok_or_else(|| incomplete(Field::FollowOn))?,
                    high: high.ok_or_else(|| incomplete(Field::FollowOn))?,
                },
                FollowOn::Ascending {
                    quantity: which,
                    start,
                    increment,
                    max,
                } => EngineFollowOn::Ascending {
                    unit: match which {
                        AscendingQuantity::AffordableArea => QuantityUnit::M2,
                        AscendingQuantity::SelfHeld => QuantityUnit::Percent,
                    },
                    start: quantity(
                        code,
                        "起始值",
                        start.ok_or_else(|| incomplete(Field::FollowOn))?,
                    )?,
                    increment: quantity(
                        code,
                        "增幅",
                        increment.ok_or_else(|| incomplete(Field::FollowOn))?,
                    )?,
                    max: max.map(|m| quantity(code, "上限", m)).transpose()?,
                },
            };
            Some(EnginePriceCap {
                max_price: cap.max_price,
                then,
            })
        }
    };
    let rules = ListingRules {
        code: code.to_owned(),
        area: parcel.land_area,
        price_basis: match parcel.price_basis {
            PriceBasis::Unit => EnginePriceBasis::Unit,
            PriceBasis::Total => EnginePriceBasis::Total,
        },
        start_price,
        increment,
        whole_multiples: true,
        reserve,
        deposit_required: deposit,
        schedule: Schedule {
            application_start: windows.application.start,
            application_deadline: windows.application.end,
            deposit_deadline: windows.deposit.end,
            listing_start: windows.listing.start,
            listing_end: windows.listing.end,
        },
        quote_stop_s: DEFAULT_QUOTE_STOP_S,
        reserve_lock_s: DEFAULT_RESERVE_LOCK_S,
        timed_round: Some(TimedRoundRules::default()),
        price_cap,
        ineligible: Vec::new(),
    };
    rules.validate().map_err(|source| ListingError::Rules {
        parcel: code.to_owned(),
        source,
    })?;
    Ok(rules)
}
