//! Land and floor areas in hundredths of a square metre.
//!
//! Why hundredths: transfer notices give parcel areas to two decimals
//! ("125949.79 平方米"), and the total price of a parcel is its area times a
//! unit price, which must come out exact to the fen (see
//! [`Money::unit_total`](crate::Money::unit_total)). Holding areas as an
//! integer number of 0.01 m² keeps that product exact; a float would not.

use crate::decimal::{self, describe_char, Problem};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An area in hundredths of a square metre (0.01 m²).
///
/// Areas read from forms are never negative; a negative value can only come
/// from [`Area::from_centi`] or [`Area::checked_sub`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Area(i64);

/// Why a text is not an area.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AreaError {
    /// Nothing was entered.
    #[error("面积为空：请填写以平方米为单位的数字，例如 6651.11")]
    Empty,
    /// A sign was written.
    #[error("面积不能带正负号（“{sign}”）：请填写以平方米为单位的非负数字，例如 6651.11")]
    Signed { sign: char },
    /// Digits were grouped with commas.
    #[error("面积不能含千分位逗号：请直接填写数字，例如 125949.79")]
    Grouping,
    /// Scientific notation was used.
    #[error("面积不能使用科学计数法：请写出完整的数字，例如 125949.79")]
    Exponent,
    /// A character that is neither a digit nor a point.
    #[error("面积第 {position} 个字符{}无效：只能包含数字和一个小数点，例如 6651.11", describe_char(.ch))]
    InvalidChar { ch: char, position: usize },
    /// More than one point.
    #[error("面积含有多个小数点：只能有一个小数点，例如 6651.11")]
    MultipleDots,
    /// A point with nothing before or after it.
    #[error("面积的小数点前后都必须有数字：例如 0.50，而不是 .50 或 50.")]
    MissingDigit,
    /// More than two decimals.
    #[error("面积最多 2 位小数（0.01 平方米），实际有 {found} 位")]
    TooManyDecimals { found: usize },
    /// Too large to hold.
    #[error("面积过大：最多为 {} 平方米", Area(i64::MAX))]
    Overflow,
}

impl From<Problem> for AreaError {
    fn from(problem: Problem) -> AreaError {
        match problem {
            Problem::Empty => AreaError::Empty,
            Problem::Sign { sign } => AreaError::Signed { sign },
            Problem::Grouping => AreaError::Grouping,
            Problem::Exponent => AreaError::Exponent,
            Problem::InvalidChar { ch, position } => AreaError::InvalidChar { ch, position },
            Problem::MultipleDots => AreaError::MultipleDots,
            Problem::MissingDigit => AreaError::MissingDigit,
            Problem::TooManyDecimals { found } => AreaError::TooManyDecimals { found },
            Problem::Overflow => AreaError::Overflow,
        }
    }
}

impl Area {
    /// No area.
    pub const ZERO: Area = Area(0);

    /// An area of `centi` hundredths of a square metre.
    pub const fn from_centi(centi: i64) -> Area {
        Area(centi)
    }

    /// The area in hundredths of a square metre.
    pub const fn centi(self) -> i64 {
        self.0
    }

    /// Parses an area in square metres with at most two decimals:
    /// `"125949.79"`, `"6651.11"`, `"3000"`. Refuses signs, digit grouping,
    /// exponents, more decimals and anything else; never panics.
    pub fn parse(text: &str) -> Result<Area, AreaError> {
        let fixed = decimal::parse_fixed(text, 2)?;
        i64::try_from(fixed.value)
            .map(Area)
            .map_err(|_| AreaError::Overflow)
    }

    /// The area in square metres with thousands separators, for printed
    /// notices: `"125,949.79"`.
    pub fn format_grouped(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!(
            "{sign}{}.{:02}",
            decimal::group_thousands(&(abs / 100).to_string()),
            abs % 100
        )
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Area) -> Option<Area> {
        match self.0.checked_add(other.0) {
            Some(c) => Some(Area(c)),
            None => None,
        }
    }

    /// `self - other`, or `None` on overflow.
    pub const fn checked_sub(self, other: Area) -> Option<Area> {
        match self.0.checked_sub(other.0) {
            Some(c) => Some(Area(c)),
            None => None,
        }
    }

    /// Whether the area is greater than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for Area {
    /// Square metres with exactly two decimals: `"3000.00"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&decimal::format_signed(self.0, 2))
    }
}

impl FromStr for Area {
    type Err = AreaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Area::parse(s)
    }
}

impl Serialize for Area {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Area {
    /// The square-metre string; a leading `-` is accepted here (never in
    /// [`Area::parse`]) so that every value that serializes reads back.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Area;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an area in square metres as a string, such as \"6651.11\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Area, E> {
                let centi =
                    decimal::parse_signed_fixed(v, 2).map_err(|p| E::custom(AreaError::from(p)))?;
                i64::try_from(centi)
                    .map(Area)
                    .map_err(|_| E::custom(AreaError::Overflow))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_notice_areas() {
        assert_eq!(Area::parse("125949.79").unwrap().centi(), 12_594_979);
        assert_eq!(Area::parse("6651.11").unwrap().centi(), 665_111);
        assert_eq!(Area::parse("3000").unwrap().centi(), 300_000);
        assert_eq!(Area::parse(" 0.5 ").unwrap().centi(), 50);
    }

    #[test]
    fn displays_two_decimals() {
        assert_eq!(Area::parse("125949.79").unwrap().to_string(), "125949.79");
        assert_eq!(Area::parse("3000").unwrap().to_string(), "3000.00");
        assert_eq!(Area::from_centi(5).to_string(), "0.05");
        assert_eq!(Area::from_centi(-5).to_string(), "-0.05");
        assert_eq!(
            Area::parse("125949.79").unwrap().format_grouped(),
            "125,949.79"
        );
    }

    #[test]
    fn refuses_bad_text_in_chinese() {
        assert_eq!(Area::parse(""), Err(AreaError::Empty));
        assert_eq!(Area::parse("-3"), Err(AreaError::Signed { sign: '-' }));
        assert_eq!(
            Area::parse("1.234"),
            Err(AreaError::TooManyDecimals { found: 3 })
        );
        assert_eq!(
            Area::parse("3000㎡"),
            Err(AreaError::InvalidChar {
                ch: '㎡',
                position: 5
            })
        );
        assert_eq!(
            Area::parse("1.234").unwrap_err().to_string(),
            "面积最多 2 位小数（0.01 平方米），实际有 3 位"
        );
        assert!(Area::parse(&"9".repeat(30))
            .unwrap_err()
            .to_string()
            .starts_with("面积过大"));
    }

    #[test]
    fn serde_is_a_string() {
        let a = Area::parse("6651.11").unwrap();
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"6651.11\"");
        assert_eq!(serde_json::from_str::<Area>("\"6651.11\"").unwrap(), a);
        assert!(serde_json::from_str::<Area>("6651.11").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(centi in 0i64..=i64::MAX) {
            let a = Area::from_centi(centi);
            prop_assert_eq!(Area::parse(&a.to_string()), Ok(a));
        }

        #[test]
        fn serde_round_trips(centi in any::<i64>()) {
            let a = Area::from_centi(centi);
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<Area>(&json).unwrap(), a);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = Area::parse(&s);
        }
    }
}
