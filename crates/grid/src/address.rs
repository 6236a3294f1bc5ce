//! Standard addresses (标准地址): road, door number, building, unit, room.
//!
//! A resident knows where they live as an address, not as a point: "人民路
//! 18 号 3 幢 2 单元 301 室". The district's place register keeps every
//! building under its standard address (road + door number + building) and
//! every household under its building (+ unit + room); the look-up reads an
//! address as people type it and finds the building, hence the grid.
//!
//! [`StandardAddress::parse`] is forgiving about how an address is typed and
//! strict about what it means:
//!
//! - full-width digits and letters (１８号) become ASCII, spaces go;
//! - a leading province, city, district, street or town ("江苏省南通市通州区
//!   金沙街道") is dropped: the place register is one district's;
//! - 栋, 号楼 and 座 after a building number mean 幢; "3-2-301" after the
//!   door number means building 3, unit 2, room 301;
//! - the door number is required (a road alone names no building).
//!
//! [`StandardAddress::building_key`] is the canonical text of the building
//! part (`人民路18号3幢`): two ways of typing one building give one key, which
//! the store keeps unique.

use std::fmt;

/// A parsed standard address. Every part is in canonical form: numbers in
/// ASCII digits, with their suffix (`18号`, `3幢`, `2单元`, `301室`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StandardAddress {
    /// 街路巷: the road, street, lane or village group, e.g. `人民路`.
    pub road: String,
    /// 门牌号, e.g. `18号`.
    pub number: String,
    /// 楼栋, e.g. `3幢`; `None` for a door number with one building.
    pub building: Option<String>,
    /// 单元, e.g. `2单元`.
    pub unit: Option<String>,
    /// 室, e.g. `301室`.
    pub room: Option<String>,
}

/// Why a text is not a standard address, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    #[error("地址为空：请填写路名和门牌号，例如“人民路18号3幢”")]
    Empty,
    #[error("地址过长：标准地址不超过 60 个字")]
    TooLong,
    #[error("地址缺少路名：请在门牌号前写明所在的路、街、巷或村组，例如“人民路18号”")]
    NoRoad,
    #[error("地址缺少门牌号：请写明门牌号，例如“人民路18号”")]
    NoNumber,
    #[error("无法识别门牌号之后的“{0}”：请按“3幢2单元301室”的格式填写楼栋、单元和室号")]
    Unreadable(String),
}

/// Suffixes of administrative divisions dropped from the front of an
/// address, longest first.
const DIVISIONS: &[&str] = &["街道", "省", "市", "区", "县", "镇", "乡"];

/// Full-width to ASCII, whitespace removed, letters upper-case.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '—' | '–' => '-',
            c => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The road with any leading divisions dropped: "江苏省南通市通州区金沙街道
/// 人民路" → "人民路". A division is dropped only when at least two
/// characters precede its suffix and at least two remain after it, so that
/// a road such as 新镇路 or 镇江路 is left alone.
fn strip_divisions(road: &str) -> &str {
    let mut rest = road;
    loop {
        let mut cut = None;
        for suffix in DIVISIONS {
            for (at, _) in rest.match_indices(suffix) {
                let before = rest[..at].chars().count();
                let after = rest[at + suffix.len()..].chars().count();
                if before >= 2 && after >= 2 {
                    let end = at + suffix.len();
                    if cut.is_none_or(|c| end < c) {
                        cut = Some(end);
                    }
                    break;
                }
            }
        }
        match cut {
            Some(end) => rest = &rest[end..],
            None => return rest,
        }
    }
}

/// Reads ASCII digits (and a letter or hyphenated digits for door numbers
/// like `18-2`) from the front of `text`; returns (digits, rest).
fn take_digits(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(text.len(), |(i, _)| i);
    (&text[..end], &text[end..])
}

impl StandardAddress {
    /// Reads an address as people type it (see the module documentation).
    pub fn parse(text: &str) -> Result<StandardAddress, AddressError> {
        let text = normalise(text);
        if text.is_empty() {
            return Err(AddressError::Empty);
        }
        if text.chars().count() > 60 {
            return Err(AddressError::TooLong);
        }
        // The door number: the last run of digits (with hyphens) followed by
        // 号 that is not itself 号楼.
        let mut number_at = None;
        for (at, _) in text.match_indices('号') {
            if text[at..].starts_with("号楼") {
                continue;
            }
            let head = &text[..at];
            let digits_start = head
                .char_indices()
                .rev()
                .take_while(|(_, c)| c.is_ascii_digit() || *c == '-')
                .last()
                .map(|(i, _)| i);
            if let Some(start) = digits_start {
                if head[start..].starts_with(|c: char| c.is_ascii_digit()) {
                    number_at = Some((start, at));
                    break;
                }
            }
        }
        let Some((start, at)) = number_at else {
            return Err(AddressError::NoNumber);
        };
        let road = strip_divisions(&text[..start]);
        if road.is_empty() {
            return Err(AddressError::NoRoad);
        }
        let number = format!("{}号", text[start..at].trim_end_matches('-'));
        let mut rest = &text[at + '号'.len_utf8()..];
        let mut building = None;
        let mut unit = None;
        let mut room = None;

        // "3-2-301": building, unit, room.
        if let Some(parts) = dashed(rest) {
            let (b, u, r) = parts;
            return Ok(StandardAddress {
                road: road.to_owned(),
                number,
                building: Some(format!("{b}幢")),
                unit: u.map(|u| format!("{u}单元")),
                room: r.map(|r| format!("{r}室")),
            });
        }
        let (digits, after) = take_digits(rest);
        if !digits.is_empty() {
            for suffix in ["号楼", "幢", "栋", "座"] {
                if let Some(tail) = after.strip_prefix(suffix) {
                    building = Some(format!("{}幢", digits.trim_start_matches('0')));
                    rest = tail;
                    break;
                }
            }
        }
        let (digits, after) = take_digits(rest);
        if !digits.is_empty() {
            if let Some(tail) = after.strip_prefix("单元") {
                unit = Some(format!("{}单元", digits.trim_start_matches('0')));
                rest = tail;
            }
        }
        let (digits, after) = take_digits(rest);
        if !digits.is_empty() && (after.is_empty() || after == "室") {
            room = Some(format!("{digits}室"));
            rest = "";
        }
        if !rest.is_empty() {
            return Err(AddressError::Unreadable(rest.to_owned()));
        }
        Ok(StandardAddress {
            road: road.to_owned(),
            number,
            building,
            unit,
            room,
        })
    }

    /// The canonical building part: road, door number and building.
    pub fn building_key(&self) -> String {
        format!(
            "{}{}{}",
            self.road,
            self.number,
            self.building.as_deref().unwrap_or("")
        )
    }

    /// The road and door number only: every building behind one door number
    /// has a key starting with it.
    pub fn door_key(&self) -> String {
        format!("{}{}", self.road, self.number)
    }
}

/// `3-2-301`, `3-2` or `3` after 号 with hyphens: (building, unit, room).
fn dashed(rest: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let rest = rest.strip_suffix('室').unwrap_or(rest);
    if !rest.contains('-') {
        return None;
    }
    let parts: Vec<&str> = rest.split('-').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    Some((parts[0], parts.get(1).copied(), parts.get(2).copied()))
}

impl fmt::Display for StandardAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.building_key())?;
        if let Some(unit) = &self.unit {
            f.write_str(unit)?;
        }
        if let Some(room) = &self.room {
            f.write_str(room)?;
        }
        Ok(())
    }
}

/// Canonical form of a building part typed alone (`3`, `3栋`, `3号楼` →
/// `3幢`); empty stays empty. `None` when it is not a building number.
pub fn canonical_building(text: &str) -> Option<String> {
    let text = normalise(text);
    if text.is_empty() {
        return Some(String::new());
    }
    let (digits, after) = take_digits(&text);
    let known = ["", "幢", "栋", "号楼", "座"];
    (!digits.is_empty() && known.contains(&after))
        .then(|| format!("{}幢", digits.trim_start_matches('0')))
}

/// Canonical form of a unit typed alone (`2`, `2单元` → `2单元`); empty
/// stays empty.
pub fn canonical_unit(text: &str) -> Option<String> {
    let text = normalise(text);
    if text.is_empty() {
        return Some(String::new());
    }
    let (digits, after) = take_digits(&text);
    (!digits.is_empty() && (after.is_empty() || after == "单元"))
        .then(|| format!("{}单元", digits.trim_start_matches('0')))
}

/// Canonical form of a room typed alone (`301`, `301室` → `301室`); empty
/// stays empty.
pub fn canonical_room(text: &str) -> Option<String> {
    let text = normalise(text);
    if text.is_empty() {
        return Some(String::new());
    }
    let (digits, after) = take_digits(&text);
    (!digits.is_empty() && (after.is_empty() || after == "室")).then(|| format!("{digits}室"))
}

/// Canonical form of a door number typed alone (`18`, `18号` → `18号`).
pub fn canonical_number(text: &str) -> Option<String> {
    let text = normalise(text);
    let body = text.strip_suffix('号').unwrap_or(&text);
    (!body.is_empty()
        && body.starts_with(|c: char| c.is_ascii_digit())
        && body.chars().all(|c| c.is_ascii_digit() || c == '-'))
    .then(|| format!("{body}号"))
}

/// A road name typed alone, spaces removed (kept as typed otherwise, for
/// display); `None` when empty, longer than 30 characters, or ending in 号
/// (a door number typed into the road field).
pub fn canonical_road(text: &str) -> Option<String> {
    let road = normalise(text);
    (!road.is_empty() && road.chars().count() <= 30 && !road.ends_with('号')).then_some(road)
}

/// The key of a building stored with its parts in canonical form (see
/// [`canonical_road`] and the others): the same text as
/// [`StandardAddress::building_key`] of any way of typing its address.
pub fn building_key(road: &str, number: &str, building: &str) -> String {
    format!("{}{number}{building}", strip_divisions(&normalise(road)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> StandardAddress {
        StandardAddress::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn reads_the_usual_ways_of_typing_one_address() {
        let full = parse("人民路18号3幢2单元301室");
        assert_eq!(full.road, "人民路");
        assert_eq!(full.number, "18号");
        assert_eq!(full.building.as_deref(), Some("3幢"));
        assert_eq!(full.unit.as_deref(), Some("2单元"));
        assert_eq!(full.room.as_deref(), Some("301室"));
        assert_eq!(full.building_key(), "人民路18号3幢");
        assert_eq!(full.door_key(), "人民路18号");
        assert_eq!(full.to_string(), "人民路18号3幢2单元301室");
        for text in [
            "江苏省南通市通州区金沙街道人民路18号3栋2单元301",
            " 人民路 １８ 号 3 号楼 2 单元 301 室 ",
            "通州区人民路18号3-2-301",
            "金沙镇人民路18号3座2单元301室",
        ] {
            assert_eq!(parse(text), full, "{text}");
        }
    }

    #[test]
    fn keeps_roads_that_look_like_divisions() {
        assert_eq!(parse("新镇路5号").road, "新镇路");
        assert_eq!(parse("镇江路5号").road, "镇江路");
        assert_eq!(parse("南通市区府路5号").road, "区府路");
        assert_eq!(parse("金沙镇东方村三组12号").road, "东方村三组");
        let plain = parse("人民路20号");
        assert_eq!((plain.building, plain.unit, plain.room), (None, None, None));
        assert_eq!(parse("人民路18-2号").number, "18-2号");
    }

    #[test]
    fn refuses_what_is_not_an_address_in_chinese() {
        assert_eq!(StandardAddress::parse("  "), Err(AddressError::Empty));
        assert_eq!(
            StandardAddress::parse("人民路"),
            Err(AddressError::NoNumber)
        );
        assert_eq!(StandardAddress::parse("18号"), Err(AddressError::NoRoad));
        assert!(matches!(
            StandardAddress::parse("人民路18号东边那栋"),
            Err(AddressError::Unreadable(_))
        ));
        assert!(AddressError::NoNumber.to_string().contains("门牌号"));
    }

    #[test]
    fn parts_typed_alone_are_canonical() {
        assert_eq!(canonical_building("3栋").as_deref(), Some("3幢"));
        assert_eq!(canonical_building("03").as_deref(), Some("3幢"));
        assert_eq!(canonical_building("").as_deref(), Some(""));
        assert_eq!(canonical_building("东楼"), None);
        assert_eq!(canonical_unit("2").as_deref(), Some("2单元"));
        assert_eq!(canonical_room("301室").as_deref(), Some("301室"));
        assert_eq!(canonical_room("三楼"), None);
        assert_eq!(canonical_number("18").as_deref(), Some("18号"));
        assert_eq!(canonical_number("号"), None);
        assert_eq!(canonical_road(" 人民 路").as_deref(), Some("人民路"));
        assert_eq!(
            building_key("通州区人民路", "18号", "3幢"),
            parse("人民路18号3栋").building_key()
        );
        assert_eq!(building_key("人民路", "20号", ""), "人民路20号");
        assert_eq!(canonical_road(""), None);
    }

    #[test]
    fn never_panics() {
        for text in [
            "号",
            "号号号",
            "-号",
            "1号-",
            "路1号--",
            "路1号3-",
            "路1号3--1",
            "ｘ１号楼",
        ] {
            let _ = StandardAddress::parse(text);
        }
    }
}
