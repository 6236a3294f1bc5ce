//! Standard grid codes.
//!
//! A grid's code is 15 digits that spell out its place in the tree:
//!
//! | digits | level | example |
//! |---|---|---|
//! | 1–6 | district (区县, the administrative division code) | `320612` 通州区 |
//! | 7–9 | street or town (街道/镇) | `001` |
//! | 10–12 | community or village (社区/村) | `003` |
//! | 13–15 | grid (网格) | `017` |
//!
//! so `320612001003017` is grid 17 of community 3 of street 1 of district
//! 320612, and every prefix of it is the code of a unit above the grid.
//! Each level below the district counts from `001`: `000` would name the
//! unit above, so it is refused. The district code is the six-digit
//! administrative division code; it cannot start with `0` and cannot end in
//! `00` (that names a prefecture or province, not a district).
//!
//! Codes are parsed once at the edge ([`GridCode::parse`] and friends) and
//! printed back exactly as written ([`std::fmt::Display`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a code was refused; displays in Chinese, ready for a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code does not have the level's number of digits.
    #[error("{level}编码应为{expected}位数字，实际为{actual}位")]
    Length {
        level: &'static str,
        expected: usize,
        actual: usize,
    },
    /// Something other than an ASCII digit.
    #[error("{level}编码只能由数字组成")]
    NotDigits { level: &'static str },
    /// A district code that names no district.
    #[error("区县编码{0}无效：首位不能为0，末两位不能为00")]
    District(String),
    /// A `000` segment below the district.
    #[error("{level}编码的{segment}段不能为000，应从001开始")]
    ZeroSegment {
        level: &'static str,
        segment: &'static str,
    },
}

/// Checks that `text` is `len` ASCII digits.
fn digits(text: &str, level: &'static str, len: usize) -> Result<(), CodeError> {
    let actual = text.chars().count();
    if actual != len {
        return Err(CodeError::Length {
            level,
            expected: len,
            actual,
        });
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeError::NotDigits { level });
    }
    Ok(())
}

/// A three-digit segment 001–999 (`text` already checked to be digits).
fn segment(text: &str, level: &'static str, segment: &'static str) -> Result<u16, CodeError> {
    let value: u16 = text.parse().map_err(|_| CodeError::NotDigits { level })?;
    if value == 0 {
        return Err(CodeError::ZeroSegment { level, segment });
    }
    Ok(value)
}

/// A district's six-digit administrative division code (区县编码).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DistrictCode(u32);

impl DistrictCode {
    pub fn parse(text: &str) -> Result<DistrictCode, CodeError> {
        let text = text.trim();
        digits(text, "区县", 6)?;
        if text.starts_with('0') || text.ends_with("00") {
            return Err(CodeError::District(text.to_owned()));
        }
        Ok(DistrictCode(
            text.parse()
                .map_err(|_| CodeError::NotDigits { level: "区县" })?,
        ))
    }

    /// The code as a number, e.g. `320612`.
    pub fn value(self) -> u32 {
        self.0
    }

    /// The street `number` (1–999) of this district.
    pub fn street(self, number: u16) -> Option<StreetCode> {
        (1..=999).contains(&number).then_some(StreetCode {
            district: self,
            street: number,
        })
    }
}

impl fmt::Display for DistrictCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// A street's or town's nine-digit code (街道/镇编码).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreetCode {
    district: DistrictCode,
    street: u16,
}

impl StreetCode {
    pub fn parse(text: &str) -> Result<StreetCode, CodeError> {
        let text = text.trim();
        digits(text, "街道", 9)?;
        Ok(StreetCode {
            district: DistrictCode::parse(&text[..6])?,
            street: segment(&text[6..9], "街道", "街道")?,
        })
    }

    pub fn district(self) -> DistrictCode {
        self.district
    }

    /// The street's own number within its district, 1–999.
    pub fn number(self) -> u16 {
        self.street
    }

    /// The community `number` (1–999) of this street.
    pub fn community(self, number: u16) -> Option<CommunityCode> {
        (1..=999).contains(&number).then_some(CommunityCode {
            street: self,
            community: number,
        })
    }
}

impl fmt::Display for StreetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:03}", self.district, self.street)
    }
}

/// A community's or village's twelve-digit code (社区/村编码).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommunityCode {
    street: StreetCode,
    community: u16,
}

impl CommunityCode {
    pub fn parse(text: &str) -> Result<CommunityCode, CodeError> {
        let text = text.trim();
        digits(text, "社区", 12)?;
        Ok(CommunityCode {
            street: StreetCode::parse(&text[..9])?,
            community: segment(&text[9..12], "社区", "社区")?,
        })
    }

    pub fn street(self) -> StreetCode {
        self.street
    }

    pub fn district(self) -> DistrictCode {
        self.street.district
    }

    /// The community's own number within its street, 1–999.
    pub fn number(self) -> u16 {
        self.community
    }

    /// The grid `number` (1–999) of this community.
    pub fn grid(self, number: u16) -> Option<GridCode> {
        (1..=999).contains(&number).then_some(GridCode {
            community: self,
            grid: number,
        })
    }
}

impl fmt::Display for CommunityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:03}", self.street, self.community)
    }
}

/// A grid's fifteen-digit code (网格编码).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GridCode {
    community: CommunityCode,
    grid: u16,
}

impl GridCode {
    /// Parses 15 digits; surrounding spaces are ignored.
    ///
    /// ```
    /// use yiwang_grid::GridCode;
    ///
    /// let code = GridCode::parse("320612001003017")?;
    /// assert_eq!(code.community().to_string(), "320612001003");
    /// assert_eq!(code.street().to_string(), "320612001");
    /// assert_eq!(code.district().to_string(), "320612");
    /// assert_eq!(code.number(), 17);
    /// assert_eq!(
    ///     GridCode::parse("32061200100301").unwrap_err().to_string(),
    ///     "网格编码应为15位数字，实际为14位"
    /// );
    /// # Ok::<(), yiwang_grid::CodeError>(())
    /// ```
    pub fn parse(text: &str) -> Result<GridCode, CodeError> {
        let text = text.trim();
        digits(text, "网格", 15)?;
        Ok(GridCode {
            community: CommunityCode::parse(&text[..12])?,
            grid: segment(&text[12..15], "网格", "网格")?,
        })
    }

    pub fn community(self) -> CommunityCode {
        self.community
    }

    pub fn street(self) -> StreetCode {
        self.community.street
    }

    pub fn district(self) -> DistrictCode {
        self.community.street.district
    }

    /// The grid's own number within its community, 1–999.
    pub fn number(self) -> u16 {
        self.grid
    }
}

impl fmt::Display for GridCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:03}", self.community, self.grid)
    }
}

macro_rules! text_impls {
    ($($ty:ident),*) => {$(
        impl FromStr for $ty {
            type Err = CodeError;
            fn from_str(text: &str) -> Result<$ty, CodeError> {
                $ty::parse(text)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$ty, D::Error> {
                let text = String::deserialize(deserializer)?;
                $ty::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

text_impls!(DistrictCode, StreetCode, CommunityCode, GridCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_level_and_prints_back() {
        let grid = GridCode::parse(" 320612001003017 ").unwrap();
        assert_eq!(grid.to_string(), "320612001003017");
        assert_eq!(grid.district().value(), 320612);
        assert_eq!(grid.street().number(), 1);
        assert_eq!(grid.community().number(), 3);
        assert_eq!(
            CommunityCode::parse("320612001003").unwrap(),
            grid.community()
        );
        assert_eq!(StreetCode::parse("320612001").unwrap(), grid.street());
        assert_eq!(
            grid.community().grid(17),
            Some(grid),
            "children build the same code"
        );
        assert_eq!(grid.community().grid(1000), None);
        assert_eq!(grid.community().grid(0), None);
    }

    #[test]
    fn refuses_bad_codes_in_chinese() {
        let cases = [
            ("32061200100301a", "网格编码只能由数字组成"),
            ("3206120010030170", "网格编码应为15位数字，实际为16位"),
            (
                "320600001003017",
                "区县编码320600无效：首位不能为0，末两位不能为00",
            ),
            (
                "020612001003017",
                "区县编码020612无效：首位不能为0，末两位不能为00",
            ),
            ("320612000003017", "街道编码的街道段不能为000，应从001开始"),
            ("320612001000017", "社区编码的社区段不能为000，应从001开始"),
            ("320612001003000", "网格编码的网格段不能为000，应从001开始"),
            ("３２０６１２００１００３０１７", "网格编码只能由数字组成"),
        ];
        for (text, message) in cases {
            assert_eq!(
                GridCode::parse(text).unwrap_err().to_string(),
                message,
                "{text}"
            );
        }
    }

    #[test]
    fn orders_by_the_tree() {
        let a = GridCode::parse("320612001003017").unwrap();
        let b = GridCode::parse("320612001004001").unwrap();
        let c = GridCode::parse("320612002001001").unwrap();
        assert!(a < b && b < c);
    }

    #[test]
    fn serde_uses_the_digits() {
        let code = GridCode::parse("320612001003017").unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"320612001003017\"");
        assert_eq!(serde_json::from_str::<GridCode>(&json).unwrap(), code);
        assert!(serde_json::from_str::<GridCode>("\"320612001003000\"").is_err());
    }
}
