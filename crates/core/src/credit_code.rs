//! The unified social credit code (统一社会信用代码) of GB 32100-2015.
//!
//! Every enterprise that applies to bid, and every enterprise that files a
//! request, is identified by this 18-character code. Parsing it once at the
//! edge catches typing mistakes (the check character detects any single
//! wrong character and most swaps) before an application is accepted.
//!
//! Layout, by position:
//!
//! | positions | meaning |
//! |---|---|
//! | 1 | registration authority (登记管理部门), e.g. `9` for market regulation |
//! | 2 | entity type (机构类别), e.g. `1` for an enterprise |
//! | 3–8 | administrative division code (登记管理机关行政区划码), digits |
//! | 9–17 | organisation code (主体标识码, GB 11714) |
//! | 18 | check character |
//!
//! The alphabet is the digits and the upper-case letters except I, O, Z, S
//! and V, 31 characters valued 0–30 in order. The check character is
//! `31 − (Σ valueᵢ × weightᵢ mod 31)` with weights
//! 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 (so 3ⁱ
//! mod 31), a result of 31 being written `0`.
//!
//! What is deliberately not checked: the organisation code embeds its own
//! GB 11714 check character at position 17, but codes issued before the
//! unified scheme (and some issued by other authorities) do not always
//! satisfy it, while every issued code satisfies the overall GB 32100 check.
//! Refusing a real enterprise's valid code would be worse than missing a
//! typo the overall check already catches, so only the overall check is
//! applied. Nor are positions 1 and 2 checked against the tables of
//! authorities and entity types, which the standard's owners extend over
//! time; they are exposed as characters for callers that care.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The 31 characters of the code alphabet, in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weights of positions 1–17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A valid unified social credit code, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CreditCode(String);

/// Why a text is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreditCodeError {
    /// Nothing was entered.
    #[error("统一社会信用代码为空：应为 18 位数字或大写字母")]
    Empty,
    /// Not 18 characters (or 17 for [`CreditCode::with_check_char`]).
    #[error("统一社会信用代码长度不正确：应为 {expected} 位，实际为 {found} 位")]
    WrongLength { expected: usize, found: usize },
    /// A character outside the alphabet.
    #[error("统一社会信用代码第 {position} 位的{}无效：只能是数字或除 I、O、Z、S、V 以外的大写字母", crate::decimal::describe_char(.ch))]
    BadChar { position: usize, ch: char },
    /// A letter in the administrative division part.
    #[error("统一社会信用代码第 {position} 位的“{ch}”无效：第 3 至 8 位是行政区划码，只能是数字")]
    DivisionNotDigit { position: usize, ch: char },
    /// The check character does not match.
    #[error("统一社会信用代码校验位不正确：第 18 位是“{found}”，按前 17 位计算应为“{expected}”，请核对是否有输错的字符")]
    WrongCheckChar { found: char, expected: char },
}

/// The value of an alphabet character, if it is one.
fn value_of(ch: char) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&c| char::from(c) == ch)
        .map(|v| v as u32)
}

/// Upper-cases and validates the characters of the first 17 positions
/// (or fewer), returning their values.
fn check_body(chars: &[char]) -> Result<Vec<u32>, CreditCodeError> {
    chars
        .iter()
        .enumerate()
        .map(|(i, &ch)| {
            let position = i + 1;
            let value = value_of(ch).ok_or(CreditCodeError::BadChar { position, ch })?;
            if (3..=8).contains(&position) && !ch.is_ascii_digit() {
                return Err(CreditCodeError::DivisionNotDigit { position, ch });
            }
            Ok(value)
        })
        .collect()
}

/// The check character for the values of positions 1–17.
fn check_char(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    char::from(ALPHABET[check as usize])
}

/// The trimmed, upper-cased characters of `text`.
fn normalise(text: &str) -> Vec<char> {
    text.trim()
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl CreditCode {
    /// Parses a code, trimming surrounding whitespace and accepting
    /// lower-case letters. Never panics.
    pub fn parse(text: &str) -> Result<CreditCode, CreditCodeError> {
        let chars = normalise(text);
        if chars.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        if chars.len() != 18 {
            return Err(CreditCodeError::WrongLength {
                expected: 18,
                found: chars.len(),
            });
        }
        let values = check_body(&chars[..17])?;
        let found = chars[17];
        if value_of(found).is_none() {
            return Err(CreditCodeError::BadChar {
                position: 18,
                ch: found,
            });
        }
        let expected = check_char(&values);
        if found != expected {
            return Err(CreditCodeError::WrongCheckChar { found, expected });
        }
        Ok(CreditCode(chars.into_iter().collect()))
    }

    /// Completes the first 17 characters with their check character, to
    /// build valid codes for demo data and tests.
    pub fn with_check_char(first17: &str) -> Result<CreditCode, CreditCodeError> {
        let mut chars = normalise(first17);
        if chars.len() != 17 {
            return Err(CreditCodeError::WrongLength {
                expected: 17,
                found: chars.len(),
            });
        }
        let values = check_body(&chars)?;
        chars.push(check_char(&values));
        Ok(CreditCode(chars.into_iter().collect()))
    }

    /// The code, 18 upper-case characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registration authority code.
    pub fn registration_authority(&self) -> char {
        self.char_at(0)
    }

    /// Position 2: the entity type code.
    pub fn entity_type(&self) -> char {
        self.char_at(1)
    }

    /// Positions 3–8: the administrative division code, e.g. `"320600"`
    /// for Nantong.
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Positions 9–17: the organisation code (主体标识码).
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }

    fn char_at(&self, index: usize) -> char {
        // The code is 18 ASCII characters by construction.
        char::from(self.0.as_bytes()[index])
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CreditCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = CreditCode;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an 18-character unified social credit code")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<CreditCode, E> {
                CreditCode::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Valid codes with check characters computed independently of this
    /// module: three published codes of well-known enterprises (Shenzhen,
    /// Hangzhou, Shenzhen) and three Nantong-style demo codes.
    const KNOWN_VALID: [&str; 6] = [
        "914403001922038216",
        "91330100799655058B",
        "91440300708461136T",
        "91320600MA1MXXXXXW",
        "913206021386123459",
        "11320600014119876L",
    ];

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        let mut w = 1;
        for weight in WEIGHTS {
            assert_eq!(weight, w);
            w = w * 3 % 31;
        }
        assert_eq!(ALPHABET.len(), 31);
        for banned in ['I', 'O', 'Z', 'S', 'V'] {
            assert_eq!(value_of(banned), None);
        }
    }

    #[test]
    fn known_codes_are_valid() {
        for code in KNOWN_VALID {
            let parsed = CreditCode::parse(code).unwrap();
            assert_eq!(parsed.as_str(), code);
            assert_eq!(CreditCode::with_check_char(&code[..17]).unwrap(), parsed);
        }
        let c = CreditCode::parse("91320600MA1MXXXXXW").unwrap();
        assert_eq!(c.registration_authority(), '9');
        assert_eq!(c.entity_type(), '1');
        assert_eq!(c.division_code(), "320600");
        assert_eq!(c.organisation_code(), "MA1MXXXXX");
    }

    #[test]
    fn builds_codes_and_refuses_a_changed_character() {
        let code = CreditCode::with_check_char("91320612MA1ABC12D").unwrap();
        assert_eq!(CreditCode::parse(code.as_str()).unwrap(), code);
        let original = code.as_str().to_owned();
        for i in 0..18 {
            for replacement in ALPHABET.iter().map(|&b| char::from(b)) {
                let mut chars: Vec<char> = original.chars().collect();
                if chars[i] == replacement {
                    continue;
                }
                chars[i] = replacement;
                let changed: String = chars.into_iter().collect();
                assert!(
                    CreditCode::parse(&changed).is_err(),
                    "{changed} should be refused"
                );
            }
        }
    }

    #[test]
    fn accepts_lower_case_and_whitespace() {
        let code = CreditCode::parse("  91320600ma1mxxxxxw\n").unwrap();
        assert_eq!(code.to_string(), "91320600MA1MXXXXXW");
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(CreditCode::parse(" "), Err(CreditCodeError::Empty));
        assert_eq!(
            CreditCode::parse("9132060"),
            Err(CreditCodeError::WrongLength {
                expected: 18,
                found: 7
            })
        );
        assert_eq!(
            CreditCode::parse("91320600MA1MXIXXXW"),
            Err(CreditCodeError::BadChar {
                position: 14,
                ch: 'I'
            })
        );
        assert_eq!(
            CreditCode::parse("9132A600MA1MXXXXXW"),
            Err(CreditCodeError::DivisionNotDigit {
                position: 5,
                ch: 'A'
            })
        );
        let e = CreditCode::parse("91320600MA1MXXXXX8").unwrap_err();
        assert_eq!(
            e,
            CreditCodeError::WrongCheckChar {
                found: '8',
                expected: 'W'
            }
        );
        assert_eq!(
            e.to_string(),
            "统一社会信用代码校验位不正确：第 18 位是“8”，按前 17 位计算应为“W”，请核对是否有输错的字符"
        );
        assert_eq!(
            CreditCode::parse("91320600MA1MXXXXXO"),
            Err(CreditCodeError::BadChar {
                position: 18,
                ch: 'O'
            })
        );
        assert_eq!(
            CreditCode::with_check_char("91320600MA1MXXXXXW"),
            Err(CreditCodeError::WrongLength {
                expected: 17,
                found: 18
            })
        );
        assert!(CreditCode::parse("91320600MA1MXXX XW")
            .unwrap_err()
            .to_string()
            .contains("空格"));
    }

    #[test]
    fn serde_is_the_code() {
        let code = CreditCode::parse("91320600MA1MXXXXXW").unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"91320600MA1MXXXXXW\"");
        assert_eq!(serde_json::from_str::<CreditCode>(&json).unwrap(), code);
        assert!(serde_json::from_str::<CreditCode>("\"91320600MA1MXXXXX8\"").is_err());
    }

    proptest! {
        #[test]
        fn built_codes_round_trip(body in "[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{9}") {
            let code = CreditCode::with_check_char(&body).unwrap();
            prop_assert_eq!(CreditCode::parse(&format!("{code}")), Ok(code.clone()));
            prop_assert_eq!(CreditCode::parse(&code.as_str().to_lowercase()), Ok(code));
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = CreditCode::parse(&s);
            let _ = CreditCode::with_check_char(&s);
        }

        #[test]
        fn never_panics_on_near_misses(s in "[0-9A-Za-z ]{16,19}") {
            if let Ok(code) = CreditCode::parse(&s) {
                prop_assert_eq!(code.as_str().len(), 18);
            }
        }
    }
}
