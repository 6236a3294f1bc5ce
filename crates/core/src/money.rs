//! Money as an integer number of fen (分).
//!
//! Why integers: a land parcel sells for billions of yuan and its deposit,
//! increments and totals must add up to the fen on every screen, in every
//! export and in the event log. Floats cannot represent 0.10 exactly and
//! silently lose fen above 2^53, so no float ever touches a [`Money`]: text is
//! parsed digit by digit, products are computed in `i128`, and rounding is
//! explicit ("四舍五入", half away from zero) wherever a division happens.
//!
//! Arithmetic is checked (`checked_add`, …) rather than provided through
//! `+`/`-` operators, so that an overflow is a value the caller must handle
//! instead of a panic or a wrap-around.
//!
//! Notices quote large prices in 万元 (ten thousand yuan) and small ones in
//! yuan; both have a parser and a printer here. On the wire (serde) an amount
//! is the yuan string with two decimals, `"18470.00"`, which survives any JSON
//! implementation intact, unlike a JSON number.

use crate::area::Area;
use crate::decimal::{self, describe_char, div_round_half_up, Problem};
use crate::ratio::Ratio;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Fen per yuan.
const FEN_PER_YUAN: i64 = 100;
/// Fen per 万元 (10,000 yuan).
const FEN_PER_WAN_YUAN: i64 = 1_000_000;

/// An amount of money in fen (分), the smallest unit of the renminbi.
///
/// `Money` may be negative (a difference or a refund computed with
/// [`checked_sub`](Money::checked_sub)), but the parsers only accept the
/// non-negative amounts people type into forms.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// The unit a text amount was written in; it only shapes error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MoneyUnit {
    /// 元, at most two decimals.
    Yuan,
    /// 万元, at most six decimals.
    WanYuan,
}

impl MoneyUnit {
    /// How many decimals an amount in this unit may have.
    pub fn max_decimals(self) -> u8 {
        match self {
            MoneyUnit::Yuan => 2,
            MoneyUnit::WanYuan => 6,
        }
    }

    fn example(self) -> &'static str {
        match self {
            MoneyUnit::Yuan => "18470.50",
            MoneyUnit::WanYuan => "232630",
        }
    }

    fn largest(self) -> String {
        match self {
            MoneyUnit::Yuan => Money::MAX.to_yuan_string(),
            MoneyUnit::WanYuan => Money::MAX.to_wan_yuan_string(),
        }
    }
}

impl fmt::Display for MoneyUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoneyUnit::Yuan => "元",
            MoneyUnit::WanYuan => "万元",
        })
    }
}

/// Why a text is not an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Nothing was entered.
    #[error("金额为空：请填写以{unit}为单位的数字，例如 {}", .unit.example())]
    Empty { unit: MoneyUnit },
    /// A sign was written.
    #[error("金额不能带正负号（“{sign}”）：请填写以{unit}为单位的非负数字，例如 {}", .unit.example())]
    Signed { unit: MoneyUnit, sign: char },
    /// Digits were grouped with commas.
    #[error("金额不能含千分位逗号：请直接填写以{unit}为单位的数字，例如 {}", .unit.example())]
    Grouping { unit: MoneyUnit },
    /// Scientific notation was used.
    #[error("金额不能使用科学计数法：请写出完整的以{unit}为单位的数字，例如 {}", .unit.example())]
    Exponent { unit: MoneyUnit },
    /// A character that is neither a digit nor a point.
    #[error("金额第 {position} 个字符{}无效：只能包含数字和一个小数点，例如 {}", describe_char(.ch), .unit.example())]
    InvalidChar {
        unit: MoneyUnit,
        ch: char,
        position: usize,
    },
    /// More than one point.
    #[error("金额含有多个小数点：只能有一个小数点，例如 {}", .unit.example())]
    MultipleDots { unit: MoneyUnit },
    /// A point with nothing before or after it.
    #[error("金额的小数点前后都必须有数字：例如 0.50，而不是 .50 或 50.")]
    MissingDigit { unit: MoneyUnit },
    /// Too many decimals for the unit.
    #[error("金额以{unit}为单位时最多 {} 位小数，实际有 {found} 位", .unit.max_decimals())]
    TooManyDecimals { unit: MoneyUnit, found: usize },
    /// The amount does not fit in an `i64` of fen.
    #[error("金额过大：以{unit}为单位最多为 {}", .unit.largest())]
    Overflow { unit: MoneyUnit },
}

impl MoneyError {
    fn from_problem(problem: Problem, unit: MoneyUnit) -> MoneyError {
        match problem {
            Problem::Empty => MoneyError::Empty { unit },
            Problem::Sign { sign } => MoneyError::Signed { unit, sign },
            Problem::Grouping => MoneyError::Grouping { unit },
            Problem::Exponent => MoneyError::Exponent { unit },
            Problem::InvalidChar { ch, position } => MoneyError::InvalidChar { unit, ch, position },
            Problem::MultipleDots => MoneyError::MultipleDots { unit },
            Problem::MissingDigit => MoneyError::MissingDigit { unit },
            Problem::TooManyDecimals { found } => MoneyError::TooManyDecimals { unit, found },
            Problem::Overflow => MoneyError::Overflow { unit },
        }
    }
}

impl Money {
    /// No money.
    pub const ZERO: Money = Money(0);
    /// The largest representable amount, 92,233,720,368,547,758.07 yuan.
    pub const MAX: Money = Money(i64::MAX);
    /// The smallest (most negative) representable amount.
    pub const MIN: Money = Money(i64::MIN);

    /// An amount of `fen` fen.
    pub const fn from_fen(fen: i64) -> Money {
        Money(fen)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.0
    }

    /// A whole number of yuan, or `None` if it does not fit.
    pub const fn from_yuan(yuan: i64) -> Option<Money> {
        match yuan.checked_mul(FEN_PER_YUAN) {
            Some(fen) => Some(Money(fen)),
            None => None,
        }
    }

    /// Parses an amount in yuan as people type it: `"18470"`, `"18470.5"`,
    /// `"18470.50"`, with optional surrounding whitespace.
    ///
    /// Refused, each with its own message: an empty text, a sign, digit
    /// grouping (`"1,000"`), exponents, more than two decimals (there is no
    /// unit below the fen), a bare point (`".5"`, `"5."`) and amounts that
    /// do not fit. Never panics.
    pub fn parse_yuan(text: &str) -> Result<Money, MoneyError> {
        Self::parse_in(text, MoneyUnit::Yuan)
    }

    /// Parses an amount in 万元 (ten thousand yuan) with up to six decimals,
    /// the unit in which notices quote start prices: `"232630"` 万元 is
    /// 2,326,300,000.00 yuan. Six decimals are exactly one fen, so the
    /// conversion is always exact. Refuses what [`parse_yuan`](Money::parse_yuan)
    /// refuses.
    pub fn parse_wan_yuan(text: &str) -> Result<Money, MoneyError> {
        Self::parse_in(text, MoneyUnit::WanYuan)
    }

    fn parse_in(text: &str, unit: MoneyUnit) -> Result<Money, MoneyError> {
        // Both units are scaled so that the parser's smallest step is one
        // fen: 2 decimals of yuan, 6 decimals of 万元.
        let fixed = decimal::parse_fixed(text, unit.max_decimals())
            .map_err(|p| MoneyError::from_problem(p, unit))?;
        i64::try_from(fixed.value)
            .map(Money)
            .map_err(|_| MoneyError::Overflow { unit })
    }

    /// The amount in yuan with exactly two decimals: `"2326300000.00"`,
    /// `"-0.50"`. This is also the [`Display`](fmt::Display) form and the
    /// serde form.
    pub fn to_yuan_string(self) -> String {
        decimal::format_signed(self.0, 2)
    }

    /// The amount in yuan with thousands separators, as printed on notices
    /// and confirmations: `"2,326,300,000.00"`.
    pub fn format_grouped(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = (abs / FEN_PER_YUAN as u64).to_string();
        format!(
            "{sign}{}.{:02}",
            decimal::group_thousands(&whole),
            abs % FEN_PER_YUAN as u64
        )
    }

    /// The exact amount in 万元 with trailing zeros removed: `"232630"`,
    /// `"0.5"`, `"0.000001"` (one fen).
    pub fn to_wan_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let per = FEN_PER_WAN_YUAN as u64;
        let whole = abs / per;
        let frac = abs % per;
        if frac == 0 {
            format!("{sign}{whole}")
        } else {
            let digits = format!("{frac:06}");
            format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Money) -> Option<Money> {
        match self.0.checked_add(other.0) {
            Some(fen) => Some(Money(fen)),
            None => None,
        }
    }

    /// `self - other`, or `None` on overflow. The result may be negative.
    pub const fn checked_sub(self, other: Money) -> Option<Money> {
        match self.0.checked_sub(other.0) {
            Some(fen) => Some(Money(fen)),
            None => None,
        }
    }

    /// `self × factor`, or `None` on overflow; for example the price after
    /// `n` increments is `start + increment × n`.
    pub const fn checked_mul(self, factor: i64) -> Option<Money> {
        match self.0.checked_mul(factor) {
            Some(fen) => Some(Money(fen)),
            None => None,
        }
    }

    /// Whether the amount is greater than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Whether the amount is less than zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The total price of `area` at `unit_price` yuan per square metre
    /// (楼面地价 × 面积), rounded half up (四舍五入) to the fen.
    ///
    /// The product is exact: fen × hundredths of m² is computed in `i128`
    /// and divided by 100 once, so 18,470 yuan/m² × 125,949.79 m² is
    /// exactly 2,326,292,621.30 yuan. `None` if the result does not fit.
    pub fn unit_total(unit_price: Money, area: Area) -> Option<Money> {
        let product = i128::from(unit_price.0) * i128::from(area.centi());
        let fen = div_round_half_up(product, 100);
        i64::try_from(fen).ok().map(Money)
    }

    /// `percent` per cent of this amount, rounded half up to the fen; for
    /// example a deposit of 20% of the start price. `None` on overflow.
    pub fn percentage(self, percent: Ratio) -> Option<Money> {
        // percent is held in ten-thousandths: amount × units / (100 × 10^4).
        let product = i128::from(self.0) * i128::from(percent.ten_thousandths());
        let fen = div_round_half_up(product, 100 * i128::from(Ratio::DENOMINATOR));
        i64::try_from(fen).ok().map(Money)
    }

    /// This amount multiplied by `ratio`, rounded half up to the fen.
    /// `None` on overflow.
    pub fn scaled_by(self, ratio: Ratio) -> Option<Money> {
        let product = i128::from(self.0) * i128::from(ratio.ten_thousandths());
        let fen = div_round_half_up(product, i128::from(Ratio::DENOMINATOR));
        i64::try_from(fen).ok().map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_yuan_string())
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Same as [`Money::parse_yuan`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_yuan(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_yuan_string())
    }
}

/// Parses the serde form: [`Money::parse_yuan`], plus a leading `-` so that
/// every value that serializes also deserializes (differences may be
/// negative; forms never are).
fn parse_wire(text: &str) -> Result<Money, MoneyError> {
    let unit = MoneyUnit::Yuan;
    let fen = decimal::parse_signed_fixed(text, unit.max_decimals())
        .map_err(|p| MoneyError::from_problem(p, unit))?;
    i64::try_from(fen)
        .map(Money)
        .map_err(|_| MoneyError::Overflow { unit })
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Money;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount in yuan as a string, such as \"18470.00\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                parse_wire(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn yuan(s: &str) -> Money {
        Money::parse_yuan(s).unwrap()
    }

    #[test]
    fn parses_yuan_as_typed() {
        assert_eq!(yuan("18470"), Money::from_fen(1_847_000));
        assert_eq!(yuan("18470.5"), Money::from_fen(1_847_050));
        assert_eq!(yuan("18470.50"), Money::from_fen(1_847_050));
        assert_eq!(yuan("  18470.05 \n"), Money::from_fen(1_847_005));
        assert_eq!(yuan("0"), Money::ZERO);
        assert_eq!(yuan("0.01"), Money::from_fen(1));
        assert_eq!(yuan("92233720368547758.07"), Money::MAX);
    }

    #[test]
    fn refuses_malformed_yuan() {
        use MoneyUnit::Yuan;
        let cases: &[(&str, MoneyError)] = &[
            ("", MoneyError::Empty { unit: Yuan }),
            ("   ", MoneyError::Empty { unit: Yuan }),
            (
                "-1",
                MoneyError::Signed {
                    unit: Yuan,
                    sign: '-',
                },
            ),
            (
                "+1",
                MoneyError::Signed {
                    unit: Yuan,
                    sign: '+',
                },
            ),
            ("1,000.00", MoneyError::Grouping { unit: Yuan }),
            ("1e5", MoneyError::Exponent { unit: Yuan }),
            (
                "1.234",
                MoneyError::TooManyDecimals {
                    unit: Yuan,
                    found: 3,
                },
            ),
            ("1.2.3", MoneyError::MultipleDots { unit: Yuan }),
            (".5", MoneyError::MissingDigit { unit: Yuan }),
            ("5.", MoneyError::MissingDigit { unit: Yuan }),
            ("92233720368547758.08", MoneyError::Overflow { unit: Yuan }),
            (
                "12元",
                MoneyError::InvalidChar {
                    unit: Yuan,
                    ch: '元',
                    position: 3,
                },
            ),
            (
                "NaN",
                MoneyError::InvalidChar {
                    unit: Yuan,
                    ch: 'N',
                    position: 1,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(Money::parse_yuan(text).as_ref(), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn error_messages_are_chinese_and_say_what_is_expected() {
        let e = Money::parse_yuan("1.234").unwrap_err();
        assert_eq!(e.to_string(), "金额以元为单位时最多 2 位小数，实际有 3 位");
        let e = Money::parse_yuan("1 000").unwrap_err();
        assert_eq!(
            e.to_string(),
            "金额第 2 个字符空格无效：只能包含数字和一个小数点，例如 18470.50"
        );
        let e = Money::parse_wan_yuan("").unwrap_err();
        assert_eq!(
            e.to_string(),
            "金额为空：请填写以万元为单位的数字，例如 232630"
        );
        let e = Money::parse_yuan("1,000").unwrap_err();
        assert!(e.to_string().contains("千分位"));
    }

    #[test]
    fn wan_yuan_from_the_seed_notices() {
        let start = Money::parse_wan_yuan("232630").unwrap();
        assert_eq!(start.fen(), 232_630_000_000);
        assert_eq!(start.to_yuan_string(), "2326300000.00");
        assert_eq!(start.format_grouped(), "2,326,300,000.00");
        assert_eq!(start.to_wan_yuan_string(), "232630");
        assert_eq!(start.to_string(), "2326300000.00");

        let increment = Money::parse_wan_yuan("70").unwrap();
        assert_eq!(increment, yuan("700000"));
        assert_eq!(yuan("700000").to_wan_yuan_string(), "70");
        assert_eq!(yuan("700000").format_grouped(), "700,000.00");

        assert_eq!(Money::parse_wan_yuan("0.5").unwrap(), yuan("5000"));
        assert_eq!(yuan("5000").to_wan_yuan_string(), "0.5");
        assert_eq!(Money::from_fen(1).to_wan_yuan_string(), "0.000001");
        assert_eq!(
            Money::parse_wan_yuan("0.000001").unwrap(),
            Money::from_fen(1)
        );
        assert!(matches!(
            Money::parse_wan_yuan("0.0000001"),
            Err(MoneyError::TooManyDecimals { found: 7, .. })
        ));
    }

    #[test]
    fn formats_small_and_negative_amounts() {
        assert_eq!(Money::ZERO.to_yuan_string(), "0.00");
        assert_eq!(Money::from_fen(5).to_yuan_string(), "0.05");
        assert_eq!(Money::from_fen(-50).to_yuan_string(), "-0.50");
        assert_eq!(
            Money::from_fen(-123_456_789).format_grouped(),
            "-1,234,567.89"
        );
        assert_eq!(Money::from_fen(99_999).format_grouped(), "999.99");
        assert_eq!(Money::from_fen(-500_000).to_wan_yuan_string(), "-0.5");
        assert_eq!(Money::MIN.to_yuan_string(), "-92233720368547758.08");
    }

    #[test]
    fn unit_total_is_exact_and_rounds_half_up() {
        let price = yuan("18470");
        let area = Area::parse("125949.79").unwrap();
        let total = Money::unit_total(price, area).unwrap();
        assert_eq!(total.to_yuan_string(), "2326292621.30");
        assert_eq!(total.format_grouped(), "2,326,292,621.30");

        // 0.01 yuan/m² × 0.50 m² = 0.005 yuan → 0.01 (half up).
        let half = Money::unit_total(Money::from_fen(1), Area::from_centi(50)).unwrap();
        assert_eq!(half, Money::from_fen(1));
        let below = Money::unit_total(Money::from_fen(1), Area::from_centi(49)).unwrap();
        assert_eq!(below, Money::ZERO);
        assert_eq!(Money::unit_total(Money::MAX, Area::from_centi(200)), None);
    }

    #[test]
    fn percentages_and_scaling() {
        let start = yuan("2326300000");
        let pct = Ratio::parse("20").unwrap();
        assert_eq!(start.percentage(pct).unwrap(), yuan("465260000"));
        let pct = Ratio::parse("0.0001").unwrap();
        // 1 yuan × 0.0001% = 0.000001 yuan → 0.
        assert_eq!(yuan("1").percentage(pct).unwrap(), Money::ZERO);
        assert_eq!(
            yuan("10.01").scaled_by(Ratio::parse("0.5").unwrap()),
            Some(Money::from_fen(501))
        );
    }

    #[test]
    fn checked_arithmetic() {
        let a = yuan("1.50");
        assert_eq!(a.checked_add(a), Some(yuan("3")));
        assert_eq!(Money::ZERO.checked_sub(a), Some(Money::from_fen(-150)));
        assert_eq!(a.checked_mul(3), Some(yuan("4.50")));
        assert_eq!(Money::MAX.checked_add(Money::from_fen(1)), None);
        assert_eq!(Money::MIN.checked_sub(Money::from_fen(1)), None);
        assert_eq!(Money::MAX.checked_mul(2), None);
        assert!(a.is_positive());
        assert!(!Money::ZERO.is_positive());
        assert!(Money::from_fen(-1).is_negative());
        assert_eq!(Money::from_yuan(18470), Some(yuan("18470")));
        assert_eq!(Money::from_yuan(i64::MAX), None);
    }

    #[test]
    fn serde_uses_the_yuan_string() {
        let m = yuan("18470");
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"18470.00\"");
        assert_eq!(
            serde_json::from_str::<Money>("\"18470.5\"").unwrap(),
            m.checked_add(Money::from_fen(50)).unwrap()
        );
        assert_eq!(
            serde_json::from_str::<Money>("\"-0.50\"").unwrap(),
            Money::from_fen(-50)
        );
        // Numbers are refused: they may have gone through a float.
        assert!(serde_json::from_str::<Money>("18470.5").is_err());
        assert!(serde_json::from_str::<Money>("\"1.234\"").is_err());
        assert!(serde_json::from_str::<Money>("\"--1\"").is_err());
        assert!(serde_json::from_str::<Money>("\"-\"").is_err());
    }

    proptest! {
        #[test]
        fn yuan_round_trips(fen in 0i64..=i64::MAX) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&m.to_yuan_string()), Ok(m));
            prop_assert_eq!(Money::parse_yuan(&m.format_grouped().replace(',', "")), Ok(m));
        }

        #[test]
        fn wan_yuan_round_trips(fen in 0i64..=i64::MAX) {
            let m = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_wan_yuan(&m.to_wan_yuan_string()), Ok(m));
        }

        #[test]
        fn serde_round_trips(fen in any::<i64>()) {
            let m = Money::from_fen(fen);
            let json = serde_json::to_string(&m).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        }

        #[test]
        fn parsers_never_panic(s in any::<String>()) {
            let _ = Money::parse_yuan(&s);
            let _ = Money::parse_wan_yuan(&s);
            let _ = parse_wire(&s);
        }

        #[test]
        fn parsers_never_panic_on_number_like_text(s in "[ 0-9.,+eE-]{0,40}") {
            if let Ok(m) = Money::parse_yuan(&s) {
                prop_assert!(!m.is_negative());
                prop_assert_eq!(Money::parse_yuan(&m.to_yuan_string()), Ok(m));
            }
            let _ = Money::parse_wan_yuan(&s);
        }

        #[test]
        fn unit_total_matches_exact_rational(price in 0i64..10_000_000_000, centi in 0i64..1_000_000_000) {
            let total = Money::unit_total(Money::from_fen(price), Area::from_centi(centi)).unwrap();
            // total × 100 is within half a fen of price × centi, and ties
            // go up: the difference is in (-50, 50].
            let exact = i128::from(price) * i128::from(centi);
            let diff = i128::from(total.fen()) * 100 - exact;
            prop_assert!((-49..=50).contains(&diff), "diff {}", diff);
        }
    }
}
