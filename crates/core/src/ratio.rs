//! Exact non-negative decimals that print back exactly as written.
//!
//! Planning conditions in a transfer notice are ratios and percentages:
//! a floor-area ratio (容积率) of "1.0–1.8", a building density (建筑密度) of
//! "30%", a green ratio (绿地率) of "20.5%". They are compared ("is the
//! proposed plan within the limit?") and shown back to the public, where
//! "1.80" must stay "1.80": the notice is a legal text and the platform must
//! not rewrite it. So a [`Ratio`] keeps both its exact value (in
//! ten-thousandths, never a float) and the number of decimals it was written
//! with. Comparison and equality look at the value only: 1.8 == 1.80.

use crate::decimal::{self, describe_char, Problem};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The most decimals a [`Ratio`] can hold.
const MAX_SCALE: u8 = 4;

/// An exact non-negative decimal with up to four decimals that remembers how
/// many decimals it was written with.
///
/// Equality, ordering and hashing are by value, so `1.8` and `1.80` are
/// equal (and hash alike) but display differently.
#[derive(Copy, Clone, Debug, Default)]
pub struct Ratio {
    /// The value in ten-thousandths (1.8 → 18000).
    units: i64,
    /// Decimals as written, 0..=4.
    scale: u8,
}

/// Why a text is not a ratio.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RatioError {
    /// Nothing was entered.
    #[error("数值为空：请填写不小于 0 的数字，最多 4 位小数，例如 1.8 或 30")]
    Empty,
    /// A sign was written.
    #[error("数值不能带正负号（“{sign}”）：请填写不小于 0 的数字，例如 1.8 或 30")]
    Signed { sign: char },
    /// Digits were grouped with commas.
    #[error("数值不能含逗号：请填写一个数字，例如 1.8 或 30")]
    Grouping,
    /// Scientific notation was used.
    #[error("数值不能使用科学计数法：请写出完整的数字，例如 1.8 或 30")]
    Exponent,
    /// A character that is neither a digit nor a point (a `%` sign, say).
    #[error("数值第 {position} 个字符{}无效：只能包含数字和一个小数点（百分比不带 % 号），例如 1.8 或 30", describe_char(.ch))]
    InvalidChar { ch: char, position: usize },
    /// More than one point.
    #[error("数值含有多个小数点：只能有一个小数点，例如 1.8")]
    MultipleDots,
    /// A point with nothing before or after it.
    #[error("数值的小数点前后都必须有数字：例如 0.5，而不是 .5 或 5.")]
    MissingDigit,
    /// More than four decimals.
    #[error("数值最多 4 位小数，实际有 {found} 位")]
    TooManyDecimals { found: usize },
    /// Too large to hold.
    #[error("数值过大：最多为 {}", Ratio { units: i64::MAX, scale: MAX_SCALE })]
    Overflow,
}

impl From<Problem> for RatioError {
    fn from(problem: Problem) -> RatioError {
        match problem {
            Problem::Empty => RatioError::Empty,
            Problem::Sign { sign } => RatioError::Signed { sign },
            Problem::Grouping => RatioError::Grouping,
            Problem::Exponent => RatioError::Exponent,
            Problem::InvalidChar { ch, position } => RatioError::InvalidChar { ch, position },
            Problem::MultipleDots => RatioError::MultipleDots,
            Problem::MissingDigit => RatioError::MissingDigit,
            Problem::TooManyDecimals { found } => RatioError::TooManyDecimals { found },
            Problem::Overflow => RatioError::Overflow,
        }
    }
}

impl Ratio {
    /// The value of one in [`ten_thousandths`](Ratio::ten_thousandths).
    pub const DENOMINATOR: i64 = 10_000;

    /// Zero, written "0".
    pub const ZERO: Ratio = Ratio { units: 0, scale: 0 };

    /// Parses a non-negative decimal with at most four decimals: `"1.44"`,
    /// `"1.80"`, `"30"`, `"20.5"`. Percent signs, signs, grouping, exponents
    /// and anything else are refused; never panics.
    pub fn parse(text: &str) -> Result<Ratio, RatioError> {
        let fixed = decimal::parse_fixed(text, MAX_SCALE)?;
        let units = i64::try_from(fixed.value).map_err(|_| RatioError::Overflow)?;
        Ok(Ratio {
            units,
            scale: fixed.scale,
        })
    }

    /// The ratio `mantissa × 10^-scale` written with `scale` decimals:
    /// `from_parts(180, 2)` is "1.80". `None` if `mantissa` is negative,
    /// `scale` exceeds 4, or the value does not fit.
    pub fn from_parts(mantissa: i64, scale: u8) -> Option<Ratio> {
        if mantissa < 0 || scale > MAX_SCALE {
            return None;
        }
        let units = mantissa.checked_mul(10i64.pow(u32::from(MAX_SCALE - scale)))?;
        Some(Ratio { units, scale })
    }

    /// The value in ten-thousandths: 1.8 → 18000, 30 → 300000.
    pub const fn ten_thousandths(self) -> i64 {
        self.units
    }

    /// How many decimals the ratio was written with (0..=4).
    pub const fn scale(self) -> u8 {
        self.scale
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Ratio) -> bool {
        self.units == other.units
    }
}

impl Eq for Ratio {}

impl Hash for Ratio {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.units.hash(state);
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Ratio) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Ratio) -> Ordering {
        self.units.cmp(&other.units)
    }
}

impl fmt::Display for Ratio {
    /// The ratio exactly as it was written: "1.80", "1.8", "30".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dropped = 10i64.pow(u32::from(MAX_SCALE - self.scale));
        // Parsed and constructed ratios have zeros in the dropped digits.
        let mantissa = self.units / dropped;
        f.write_str(&decimal::format_signed(mantissa, self.scale))
    }
}

impl FromStr for Ratio {
    type Err = RatioError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ratio::parse(s)
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    /// Only strings are accepted: a JSON number may have passed through a
    /// float and lost the decimals as written.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Ratio;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal as a string, such as \"1.80\" or \"30\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ratio, E> {
                Ratio::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn r(s: &str) -> Ratio {
        Ratio::parse(s).unwrap()
    }

    #[test]
    fn prints_back_as_written() {
        for s in [
            "1.44", "1.80", "1.8", "30", "20.5", "0", "0.0001", "2.0000", "0.0",
        ] {
            assert_eq!(r(s).to_string(), s);
        }
        assert_eq!(r(" 1.80 ").to_string(), "1.80");
        assert_eq!(r("1.80").scale(), 2);
        assert_eq!(r("30").scale(), 0);
        assert_eq!(r("1.8").ten_thousandths(), 18_000);
        assert_eq!(Ratio::from_parts(180, 2).unwrap().to_string(), "1.80");
        assert_eq!(Ratio::from_parts(1, 5), None);
        assert_eq!(Ratio::from_parts(-1, 0), None);
    }

    #[test]
    fn compares_by_value() {
        assert_eq!(r("1.8"), r("1.80"));
        assert_eq!(r("1.8").cmp(&r("1.80")), Ordering::Equal);
        assert!(r("1.44") < r("1.8"));
        assert!(r("30") > r("20.5"));
        let set: HashSet<Ratio> = [r("1.8"), r("1.80"), r("1.800")].into_iter().collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn refuses_bad_text() {
        assert_eq!(
            Ratio::parse("30%"),
            Err(RatioError::InvalidChar {
                ch: '%',
                position: 3
            })
        );
        assert!(Ratio::parse("30%")
            .unwrap_err()
            .to_string()
            .contains("不带 % 号"));
        assert_eq!(
            Ratio::parse("1.00001"),
            Err(RatioError::TooManyDecimals { found: 5 })
        );
        assert_eq!(Ratio::parse("-1"), Err(RatioError::Signed { sign: '-' }));
        assert_eq!(Ratio::parse(""), Err(RatioError::Empty));
        assert_eq!(Ratio::parse(&"9".repeat(20)), Err(RatioError::Overflow));
    }

    #[test]
    fn serde_keeps_the_written_form() {
        let json = serde_json::to_string(&r("1.80")).unwrap();
        assert_eq!(json, "\"1.80\"");
        let back: Ratio = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_string(), "1.80");
        assert!(serde_json::from_str::<Ratio>("1.8").is_err());
    }

    proptest! {
        #[test]
        fn round_trips_value_and_scale(mantissa in 0i64..=i64::MAX / 10_000, scale in 0u8..=4) {
            let ratio = Ratio::from_parts(mantissa, scale).unwrap();
            let back = Ratio::parse(&ratio.to_string()).unwrap();
            prop_assert_eq!(back, ratio);
            prop_assert_eq!(back.scale(), scale);
            prop_assert_eq!(back.to_string(), ratio.to_string());
        }

        #[test]
        fn text_round_trips(s in "(0|[1-9][0-9]{0,9})(\\.[0-9]{1,4})?") {
            prop_assert_eq!(Ratio::parse(&s).unwrap().to_string(), s);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Ratio::parse(&s);
        }
    }
}
