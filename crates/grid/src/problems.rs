//! Problem data (问题数据): the detectors that find records a grid must fix,
//! each with a work list that reaches zero when they are fixed.
//!
//! # Where bad records come from
//!
//! The register itself (`grid_residents`) cannot hold an invalid ID number,
//! a resident without a building, or one ID number twice: registration
//! checks GB 11643, a resident lives in a flat of a building, and the
//! database keeps ID numbers unique. Bad data arrives with the **legacy
//! records** (存量台账) a community brings from its old spreadsheets: they
//! are imported into the grid's intake (待核实名单) exactly as given, never
//! refused and never silently corrected, and each is entered into the
//! register once it passes every check. So:
//!
//! | detector | looks at | fixed by |
//! |---|---|---|
//! | [`Detector::InvalidId`] | intake records whose ID number fails GB 11643 (length, characters, birth date, check character) | correcting the number |
//! | [`Detector::NoBuilding`] | intake records whose address names no registered building (or is no standard address at all) | correcting the address, or registering the building |
//! | [`Detector::DuplicateId`] | intake records whose ID number is registered already or appears on another intake record | deleting the repeat, or correcting its number |
//! | [`Detector::PossibleDuplicate`] | registered residents of one grid with the same name and birth date (a mistyped number is the usual cause) | merging one into the other, or correcting the number |
//! | [`Detector::TagOverdue`] | tags past their review date (复核日期) | renewing or removing the tag |
//!
//! An intake record with no problem left waits in [`Detector::Ready`]
//! until it is entered into the register (one click on its page).
//!
//! This module holds the rules as pure functions; the store counts and
//! lists with the same rules in SQL, over what these functions wrote
//! (an intake record keeps [`id_problem`]'s code and [`read_address`]'s key).

use std::fmt;

use yiwang_core::{ResidentId, ResidentIdError};

use crate::address::StandardAddress;

/// A problem-data detector, in the order pages show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Detector {
    /// 身份证号无效
    InvalidId,
    /// 地址未匹配楼栋
    NoBuilding,
    /// 身份证号重复
    DuplicateId,
    /// 疑似重复人员
    PossibleDuplicate,
    /// 标签逾期未复核
    TagOverdue,
    /// 待入册 (an intake record with no problem left)
    Ready,
}

impl Detector {
    pub const ALL: [Detector; 6] = [
        Detector::InvalidId,
        Detector::NoBuilding,
        Detector::DuplicateId,
        Detector::PossibleDuplicate,
        Detector::TagOverdue,
        Detector::Ready,
    ];

    /// The stable code used in addresses and the store.
    pub fn code(self) -> &'static str {
        match self {
            Detector::InvalidId => "invalid_id",
            Detector::NoBuilding => "no_building",
            Detector::DuplicateId => "duplicate_id",
            Detector::PossibleDuplicate => "possible_duplicate",
            Detector::TagOverdue => "tag_overdue",
            Detector::Ready => "ready",
        }
    }

    pub fn from_code(code: &str) -> Option<Detector> {
        Detector::ALL.into_iter().find(|d| d.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Detector::InvalidId => "身份证号无效",
            Detector::NoBuilding => "地址未匹配楼栋",
            Detector::DuplicateId => "身份证号重复",
            Detector::PossibleDuplicate => "疑似重复人员",
            Detector::TagOverdue => "标签逾期未复核",
            Detector::Ready => "待入册",
        }
    }

    /// What fixes a record on the list, as the page says it.
    pub fn fix(self) -> &'static str {
        match self {
            Detector::InvalidId => "打开记录，按原始证件更正身份证号",
            Detector::NoBuilding => "打开记录，更正为标准地址；楼栋尚未登记的，先在“楼栋”页面登记",
            Detector::DuplicateId => "核对后删除重复的待核实记录，或更正其身份证号",
            Detector::PossibleDuplicate => "核对后将重复的一条合并到另一条，或更正身份证号",
            Detector::TagOverdue => "打开居民页面，复核后续期或取消标签",
            Detector::Ready => "打开记录，确认后入册",
        }
    }

    /// Whether the list is of intake records (else of registered residents).
    pub fn is_intake(self) -> bool {
        matches!(
            self,
            Detector::InvalidId | Detector::NoBuilding | Detector::DuplicateId | Detector::Ready
        )
    }
}

impl fmt::Display for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an ID number fails GB 11643, as kept on an intake record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdProblem {
    /// Empty, or not 18 characters.
    Length,
    /// A non-digit in positions 1–17, or a last character other than a
    /// digit or X.
    Characters,
    /// Positions 7–14 are not a real date between 1900 and 2100.
    BirthDate,
    /// The check character does not match.
    CheckChar,
}

impl IdProblem {
    pub fn code(self) -> &'static str {
        match self {
            IdProblem::Length => "length",
            IdProblem::Characters => "characters",
            IdProblem::BirthDate => "birth_date",
            IdProblem::CheckChar => "check_char",
        }
    }

    pub fn from_code(code: &str) -> Option<IdProblem> {
        [
            IdProblem::Length,
            IdProblem::Characters,
            IdProblem::BirthDate,
            IdProblem::CheckChar,
        ]
        .into_iter()
        .find(|p| p.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            IdProblem::Length => "位数不对",
            IdProblem::Characters => "含非法字符",
            IdProblem::BirthDate => "出生日期无效",
            IdProblem::CheckChar => "校验位不符",
        }
    }
}

/// The ID number as kept: trimmed, with a lower-case `x` raised, so that
/// one person typed two ways is one number.
pub fn normalise_id(text: &str) -> String {
    text.trim().to_uppercase()
}

/// Why `text` is not a GB 11643 number, or `None` when it is one.
pub fn id_problem(text: &str) -> Option<IdProblem> {
    match ResidentId::parse(text) {
        Ok(_) => None,
        Err(ResidentIdError::Empty | ResidentIdError::WrongLength { .. }) => {
            Some(IdProblem::Length)
        }
        Err(ResidentIdError::BadBirthDate) => Some(IdProblem::BirthDate),
        Err(ResidentIdError::WrongCheckChar) => Some(IdProblem::CheckChar),
        Err(_) => Some(IdProblem::Characters),
    }
}

/// The building key, unit and room of an address typed free-form, or
/// `None` when it is no standard address. A key that names no registered
/// building is [`Detector::NoBuilding`]'s business, not this function's.
pub fn read_address(text: &str) -> Option<(String, String, String)> {
    let address = StandardAddress::parse(text).ok()?;
    Some((
        address.building_key(),
        address.unit.clone().unwrap_or_default(),
        address.room.clone().unwrap_or_default(),
    ))
}

/// The birth date part (`YYYYMMDD`) of an ID number, by which two records
/// with the same name are a possible duplicate; `None` for a number too
/// short to have one.
pub fn birth_key(id_number: &str) -> Option<&str> {
    id_number
        .get(6..14)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether two registered records look like one person: the same name
/// (ignoring surrounding spaces) and the same birth date, under different
/// numbers.
pub fn possible_duplicate(name_a: &str, id_a: &str, name_b: &str, id_b: &str) -> bool {
    id_a != id_b
        && name_a.trim() == name_b.trim()
        && birth_key(id_a).is_some()
        && birth_key(id_a) == birth_key(id_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_classified_by_what_is_wrong() {
        assert_eq!(id_problem("11010519491231002X"), None);
        assert_eq!(id_problem("11010519491231002x"), None);
        assert_eq!(id_problem(""), Some(IdProblem::Length));
        assert_eq!(id_problem("110105194912310"), Some(IdProblem::Length));
        assert_eq!(
            id_problem("1101051949123100ZX"),
            Some(IdProblem::Characters)
        );
        assert_eq!(id_problem("110105194913310024"), Some(IdProblem::BirthDate));
        assert_eq!(id_problem("110105194912310021"), Some(IdProblem::CheckChar));
        for p in [
            IdProblem::Length,
            IdProblem::Characters,
            IdProblem::BirthDate,
            IdProblem::CheckChar,
        ] {
            assert_eq!(IdProblem::from_code(p.code()), Some(p));
        }
    }

    #[test]
    fn numbers_are_kept_in_one_form() {
        assert_eq!(normalise_id(" 11010519491231002x "), "11010519491231002X");
    }

    #[test]
    fn free_form_addresses_give_building_keys() {
        assert_eq!(
            read_address("江苏省南通市通州区金沙街道人民路１８号３栋2单元301室"),
            Some((
                "人民路18号3幢".to_owned(),
                "2单元".to_owned(),
                "301室".to_owned()
            ))
        );
        assert_eq!(
            read_address("天熹路3号"),
            Some(("天熹路3号".to_owned(), String::new(), String::new()))
        );
        assert_eq!(read_address("村东头老王家"), None);
        assert_eq!(read_address(""), None);
    }

    #[test]
    fn same_name_and_birth_date_is_a_possible_duplicate() {
        assert!(possible_duplicate(
            "张建华",
            "11010519491231002X",
            "张建华 ",
            "320612194912310011"
        ));
        assert!(!possible_duplicate(
            "张建华",
            "11010519491231002X",
            "张建华",
            "11010519491231002X"
        ));
        assert!(!possible_duplicate(
            "张建华",
            "11010519491231002X",
            "张建国",
            "320612194912310011"
        ));
        assert!(!possible_duplicate(
            "张建华",
            "11010519491231002X",
            "张建华",
            "320612195012310011"
        ));
        assert_eq!(birth_key("1101"), None);
    }

    #[test]
    fn detectors_round_trip_their_codes() {
        for d in Detector::ALL {
            assert_eq!(Detector::from_code(d.code()), Some(d));
            assert!(!d.label().is_empty() && !d.fix().is_empty());
        }
        assert_eq!(Detector::from_code("zombie"), None);
    }
}
