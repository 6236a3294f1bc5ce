//! The citizen identity number (公民身份号码) of GB 11643-1999.
//!
//! Residents, grid workers and apprentices are identified by this 18-character
//! number, and it is personal information protected by law (个人信息保护法):
//! it must not appear on a page, in a log or in an export unless a person
//! with the right to see it asks for it. So [`ResidentId`] shows itself
//! masked everywhere by default: [`Display`](fmt::Display), [`Debug`] and
//! serde all give `"320602********123X"`; only [`ResidentId::expose`] gives
//! the full number, and every call to it is a deliberate, greppable act.
//!
//! Layout: positions 1–6 the area code (行政区划代码) of the place of first
//! registration, 7–14 the birth date `YYYYMMDD`, 15–17 a sequence number
//! whose last digit is odd for men and even for women, 18 the ISO 7064
//! MOD 11-2 check character (`0`–`9` or `X`).
//!
//! Checked: the characters, a real birth date between 1900 and 2100, and the
//! check character. Not checked: whether the area code exists, because codes
//! are retired and renumbered over the years while numbers issued under them
//! stay valid for life.

use ::time::{Date, Month};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Weights of positions 1–17 (2^(18−i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder of the weighted sum mod 11.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// A valid citizen identity number. Displays, debugs and serializes masked.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResidentId(String);

/// Why a text is not a citizen identity number. The messages never repeat
/// the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResidentIdError {
    /// Nothing was entered.
    #[error("身份证号码为空：应为 18 位，前 17 位是数字，最后一位是数字或 X")]
    Empty,
    /// Not 18 characters (or 17 for [`ResidentId::with_check_digit`]).
    #[error("身份证号码长度不正确：应为 {expected} 位，实际为 {found} 位")]
    WrongLength { expected: usize, found: usize },
    /// A non-digit in positions 1–17.
    #[error("身份证号码第 {position} 位的{}无效：前 17 位只能是数字", crate::decimal::describe_char(.ch))]
    NotDigit { position: usize, ch: char },
    /// The last character is neither a digit nor X.
    #[error("身份证号码第 18 位的{}无效：最后一位只能是数字或 X", crate::decimal::describe_char(.ch))]
    BadCheckChar { ch: char },
    /// Positions 7–14 are not a real date between 1900 and 2100.
    #[error("身份证号码第 7 至 14 位的出生日期无效：应为 1900 年至 2100 年之间真实存在的日期（YYYYMMDD）")]
    BadBirthDate,
    /// The check character does not match.
    #[error("身份证号码校验位不正确：请核对号码是否有输错或颠倒的数字")]
    WrongCheckChar,
}

/// The check character for 17 ASCII digits.
fn check_char(digits: &[u8]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(CHECK_CHARS[(sum % 11) as usize])
}

/// Validates the first 17 characters (digits and birth date) and returns
/// them as ASCII bytes.
fn check_body(chars: &[char]) -> Result<Vec<u8>, ResidentIdError> {
    let mut digits = Vec::with_capacity(17);
    for (i, &ch) in chars.iter().enumerate() {
        if !ch.is_ascii_digit() {
            return Err(ResidentIdError::NotDigit {
                position: i + 1,
                ch,
            });
        }
        digits.push(ch as u8);
    }
    birth_date_of(&digits).ok_or(ResidentIdError::BadBirthDate)?;
    Ok(digits)
}

/// The birth date in positions 7–14 of validated digits, if it is real and
/// between 1900 and 2100.
fn birth_date_of(digits: &[u8]) -> Option<Date> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = digits.get(range)?;
        Some(
            part.iter()
                .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0')),
        )
    };
    let year = number(6..10)?;
    if !(1900..=2100).contains(&year) {
        return None;
    }
    let month = Month::try_from(u8::try_from(number(10..12)?).ok()?).ok()?;
    let day = u8::try_from(number(12..14)?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, day).ok()
}

impl ResidentId {
    /// Parses a number, trimming surrounding whitespace and accepting a
    /// lower-case `x`. Never panics.
    pub fn parse(text: &str) -> Result<ResidentId, ResidentIdError> {
        let chars: Vec<char> = text.trim().chars().collect();
        if chars.is_empty() {
            return Err(ResidentIdError::Empty);
        }
        if chars.len() != 18 {
            return Err(ResidentIdError::WrongLength {
                expected: 18,
                found: chars.len(),
            });
        }
        let mut digits = check_body(&chars[..17])?;
        let last = match chars[17] {
            'x' => 'X',
            c @ ('0'..='9' | 'X') => c,
            ch => return Err(ResidentIdError::BadCheckChar { ch }),
        };
        if last != check_char(&digits) {
            return Err(ResidentIdError::WrongCheckChar);
        }
        digits.push(last as u8);
        Ok(ResidentId(digits.into_iter().map(char::from).collect()))
    }

    /// Completes 17 digits with their check character, to build valid
    /// numbers for demo data and tests.
    pub fn with_check_digit(first17: &str) -> Result<ResidentId, ResidentIdError> {
        let chars: Vec<char> = first17.trim().chars().collect();
        if chars.len() != 17 {
            return Err(ResidentIdError::WrongLength {
                expected: 17,
                found: chars.len(),
            });
        }
        let digits = check_body(&chars)?;
        let mut id: String = digits.iter().map(|&d| char::from(d)).collect();
        id.push(check_char(&digits));
        Ok(ResidentId(id))
    }

    /// The full number. Use only where the reader has the right to see it
    /// (the holder, or an officer verifying an identity); everywhere else
    /// use the masked [`Display`](fmt::Display) form.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The full number; the same as [`expose`](ResidentId::expose), named
    /// for symmetry with the other code types.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 6 and last 4 characters with the rest hidden:
    /// `"320602********123X"`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// The birth date encoded in positions 7–14.
    pub fn birth_date(&self) -> Date {
        // Validated when the number was built; the fallback is unreachable.
        birth_date_of(self.0.as_bytes()).unwrap_or(Date::MIN)
    }

    /// Whether the sequence number (position 17) is even, which GB 11643
    /// assigns to women.
    pub fn is_female(&self) -> bool {
        (self.0.as_bytes()[16] - b'0').is_multiple_of(2)
    }

    /// Positions 1–6: the area code of first registration.
    pub fn area_code(&self) -> &str {
        &self.0[..6]
    }
}

impl fmt::Display for ResidentId {
    /// The masked form, so that a template or a log line cannot leak the
    /// number by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for ResidentId {
    /// Masked too: `{:?}` ends up in logs and panic messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

impl FromStr for ResidentId {
    type Err = ResidentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResidentId::parse(s)
    }
}

impl Serialize for ResidentId {
    /// Serializes the masked form: API responses and exports never carry
    /// the full number. Code that must store or transmit the full number
    /// does so explicitly with [`ResidentId::expose`].
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for ResidentId {
    /// Deserializes the full number (from a form or an import); a masked
    /// number is refused, so a serialized `ResidentId` does not read back.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ResidentId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an 18-character citizen identity number")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ResidentId, E> {
                ResidentId::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::time::macros::date;
    use proptest::prelude::*;

    /// The example number of GB 11643-1999.
    const STANDARD_EXAMPLE: &str = "11010519491231002X";

    #[test]
    fn parses_the_standard_example() {
        let id = ResidentId::parse(STANDARD_EXAMPLE).unwrap();
        assert_eq!(id.expose(), STANDARD_EXAMPLE);
        assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
        assert!(id.is_female());
        assert_eq!(id.area_code(), "110105");
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(ResidentId::parse(" 11010519491231002x ").unwrap(), id);
    }

    #[test]
    fn never_shows_the_full_number_by_default() {
        let id = ResidentId::with_check_digit("32060219900101123").unwrap();
        assert_eq!(id.expose(), "32060219900101123X");
        assert_eq!(id.to_string(), "320602********123X");
        assert_eq!(format!("{id:?}"), "ResidentId(\"320602********123X\")");
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"320602********123X\""
        );
        assert!(!id.is_female());
        let full: ResidentId = serde_json::from_str("\"32060219900101123X\"").unwrap();
        assert_eq!(full, id);
        assert!(serde_json::from_str::<ResidentId>("\"320602********123X\"").is_err());
    }

    #[test]
    fn refuses_bad_numbers() {
        assert_eq!(ResidentId::parse(""), Err(ResidentIdError::Empty));
        assert_eq!(
            ResidentId::parse("110105194912310"),
            Err(ResidentIdError::WrongLength {
                expected: 18,
                found: 15
            })
        );
        assert_eq!(
            ResidentId::parse("11010519491231002Y"),
            Err(ResidentIdError::BadCheckChar { ch: 'Y' })
        );
        assert_eq!(
            ResidentId::parse("1101051949123100AX"),
            Err(ResidentIdError::NotDigit {
                position: 17,
                ch: 'A'
            })
        );
        assert_eq!(
            ResidentId::parse("110105194902300020"),
            Err(ResidentIdError::BadBirthDate)
        );
        assert_eq!(
            ResidentId::with_check_digit("11010518991231002"),
            Err(ResidentIdError::BadBirthDate)
        );
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(ResidentIdError::WrongCheckChar)
        );
        assert_eq!(
            ResidentId::parse("110105194912310021")
                .unwrap_err()
                .to_string(),
            "身份证号码校验位不正确：请核对号码是否有输错或颠倒的数字"
        );
    }

    #[test]
    fn any_single_digit_change_is_refused() {
        let id = ResidentId::parse(STANDARD_EXAMPLE).unwrap();
        for i in 0..17 {
            for d in b'0'..=b'9' {
                let mut bytes = id.expose().as_bytes().to_vec();
                if bytes[i] == d {
                    continue;
                }
                bytes[i] = d;
                let changed = String::from_utf8(bytes).unwrap();
                assert!(ResidentId::parse(&changed).is_err(), "{changed}");
            }
        }
    }

    proptest! {
        #[test]
        fn built_numbers_round_trip(
            area in "[1-8][0-9]{5}",
            days in 0i64..73_000,
            seq in "[0-9]{3}",
        ) {
            let birth = date!(1900 - 01 - 01) + ::time::Duration::days(days);
            let body = format!(
                "{area}{:04}{:02}{:02}{seq}",
                birth.year(),
                u8::from(birth.month()),
                birth.day()
            );
            let id = ResidentId::with_check_digit(&body).unwrap();
            prop_assert_eq!(ResidentId::parse(id.expose()), Ok(id.clone()));
            prop_assert_eq!(id.birth_date(), birth);
            prop_assert_eq!(id.masked().len(), 18);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = ResidentId::parse(&s);
            let _ = ResidentId::with_check_digit(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "[0-9xX]{16,19}") {
            if let Ok(id) = ResidentId::parse(&s) {
                prop_assert_eq!(id.expose().len(), 18);
            }
        }
    }
}
