//! The small values the engine speaks in: parties, bidder numbers, shares and
//! follow-on quantities.
//!
//! Parties are named at the edges (applications, deposits, the result) and
//! bidders are numbered inside: from qualification on, every bid, declaration
//! and acceptance carries a [`BidderNo`], which is what the public sees
//! (竞买号) and what keeps the hot path free of strings.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;

/// The longest party id accepted, in characters.
pub const PARTY_MAX_CHARS: usize = 128;

/// A bidding party's id: in production its unified social credit code, in
/// scenarios a short name such as `"A"`.
///
/// Ids are compared and sorted by their UTF-8 bytes (the lottery sorts
/// holders this way), so they must be unambiguous when joined: `,` and `|`,
/// which separate ids in the lottery's hash input, are refused, as are
/// control characters and surrounding whitespace.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Party(Box<str>);

/// Why a text is not a party id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyError {
    #[error("a party id must not be empty")]
    Empty,
    #[error("a party id must be at most {PARTY_MAX_CHARS} characters")]
    TooLong,
    #[error("a party id must not contain {0:?} (a separator in the lottery's input) or control characters")]
    BadChar(char),
    #[error("a party id must not start or end with whitespace")]
    Whitespace,
}

impl Party {
    /// Checks and wraps a party id.
    pub fn parse(text: &str) -> Result<Party, PartyError> {
        if text.is_empty() {
            return Err(PartyError::Empty);
        }
        if text.chars().count() > PARTY_MAX_CHARS {
            return Err(PartyError::TooLong);
        }
        if let Some(c) = text
            .chars()
            .find(|&c| c == ',' || c == '|' || c.is_control())
        {
            return Err(PartyError::BadChar(c));
        }
        if text.trim() != text {
            return Err(PartyError::Whitespace);
        }
        Ok(Party(text.into()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for Party {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Serialize for Party {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Party {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Party::parse(&text).map_err(de::Error::custom)
    }
}

/// A qualified bidder's number (竞买号), 1, 2, 3… in the order of
/// qualification. Numbers are what the public sees until the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BidderNo(pub u32);

impl BidderNo {
    /// The position of this bidder in the state's bidder table.
    pub(crate) fn index(self) -> usize {
        (self.0 as usize).wrapping_sub(1)
    }
}

impl fmt::Display for BidderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// Why a text is not a decimal with at most two places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a non-negative decimal with at most 2 decimals")]
pub struct DecimalError;

/// Parses `digits[.d[d]]` (no sign, no exponent, no grouping, no
/// whitespace) into hundredths. Never panics and never overflows.
pub(crate) fn parse_centi(text: &str) -> Result<i64, DecimalError> {
    let (int_part, frac_part) = match text.split_once('.') {
        None => (text, ""),
        Some((i, f)) if !f.is_empty() && f.len() <= 2 => (i, f),
        Some(_) => return Err(DecimalError),
    };
    if int_part.is_empty()
        || int_part.len() > 15
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError);
    }
    let mut value: i64 = 0;
    for b in int_part.bytes() {
        value = value * 10 + i64::from(b - b'0');
    }
    let mut frac = 0;
    for (i, b) in frac_part.bytes().enumerate() {
        frac += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    Ok(value * 100 + frac)
}

fn format_centi(value: i64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
}

macro_rules! centi_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(i64);

        impl $name {
            /// Zero.
            pub const ZERO: $name = $name(0);

            /// A value of `centi` hundredths.
            pub const fn from_centi(centi: i64) -> $name {
                $name(centi)
            }

            /// The value in hundredths.
            pub const fn centi(self) -> i64 {
                self.0
            }

            /// Parses a non-negative decimal with at most two places.
            pub fn parse(text: &str) -> Result<$name, DecimalError> {
                parse_centi(text).map($name)
            }
        }

        impl fmt::Display for $name {
            /// Two decimals, like money: `"1500.00"`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                format_centi(self.0, f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// The printed form, a leading `-` included, so that every
            /// value that serialises reads back (a refused action may
            /// carry a negative share).
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                let (sign, digits) = match text.strip_prefix('-') {
                    Some(rest) => (-1, rest),
                    None => (1, text.as_str()),
                };
                parse_centi(digits)
                    .map(|v| $name(sign * v))
                    .map_err(de::Error::custom)
            }
        }
    };
}

centi_type!(
    /// A partner's share of a joint application, in hundredths of a per
    /// cent: `"40"` is 40.00 %. A share lies strictly between 0 and 100.
    Share
);

centi_type!(
    /// The second quantity of an ascending follow-on (竞配建 floor area in
    /// m², 竞自持 share in per cent), in hundredths of its unit.
    Quantity
);

impl Share {
    /// One hundred per cent.
    pub const WHOLE: Share = Share(10_000);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_ids_are_checked() {
        assert_eq!(Party::parse("A").unwrap().as_str(), "A");
        assert_eq!(
            Party::parse("91320600MA1XXXXX0X").unwrap().to_string(),
            "91320600MA1XXXXX0X"
        );
        assert_eq!(Party::parse(""), Err(PartyError::Empty));
        assert_eq!(Party::parse("A,B"), Err(PartyError::BadChar(',')));
        assert_eq!(Party::parse("A|B"), Err(PartyError::BadChar('|')));
        assert_eq!(Party::parse("A\n"), Err(PartyError::BadChar('\n')));
        assert_eq!(Party::parse(" A"), Err(PartyError::Whitespace));
        assert_eq!(
            Party::parse(&"x".repeat(PARTY_MAX_CHARS + 1)),
            Err(PartyError::TooLong)
        );
        assert!(Party::parse("南通某某置业有限公司").is_ok());
    }

    #[test]
    fn hundredths_parse_and_print() {
        assert_eq!(Share::parse("40").unwrap().centi(), 4000);
        assert_eq!(Share::parse("12.5").unwrap().centi(), 1250);
        assert_eq!(Share::parse("0.01").unwrap().centi(), 1);
        assert_eq!(Quantity::parse("1500").unwrap().to_string(), "1500.00");
        for bad in [
            "", "-1", "+1", "1.234", ".5", "5.", "1e3", " 1", "1,000", "1.2.3",
        ] {
            assert_eq!(Quantity::parse(bad), Err(DecimalError), "{bad:?}");
        }
        assert_eq!(Quantity::parse(&"9".repeat(16)), Err(DecimalError));
        assert_eq!(
            Quantity::parse(&"9".repeat(15)).unwrap().centi(),
            99_999_999_999_999_900
        );
    }

    #[test]
    fn serde_reads_back_what_it_writes() {
        for centi in [-500, -1, 0, 1, 4000, 999_999] {
            let share = Share::from_centi(centi);
            let json = serde_json::to_string(&share).unwrap();
            assert_eq!(
                serde_json::from_str::<Share>(&json).unwrap(),
                share,
                "{json}"
            );
        }
        assert!(serde_json::from_str::<Share>("\"--1\"").is_err());
        assert!(serde_json::from_str::<Share>("40").is_err());
    }

    #[test]
    fn bidder_numbers_print_padded() {
        assert_eq!(BidderNo(7).to_string(), "007");
        assert_eq!(BidderNo(1).index(), 0);
    }
}
