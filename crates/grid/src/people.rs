//! Residents as grid work needs them: the tags that decide a grid worker's
//! duties, and residents' phone numbers.
//!
//! A tag (标签) marks a person a duty depends on: a family in hardship is
//! visited monthly, a person under community correction is seen on a fixed
//! schedule, and so on. Every tag carries a review date (复核日期): the day
//! by which someone must confirm it still holds, because a tag that outlives
//! its facts is problem data. The built-in list is [`PersonTag::ALL`]; each
//! tag has a stable code stored in the database and a default review period.
//!
//! A resident's phone is personal data like the ID number: it is shown
//! masked ([`mask_phone`]) wherever the reader has no right to the full
//! number. The ID number itself is `yiwang_core::ResidentId`.

use std::fmt;

/// A tag on a resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonTag {
    /// 困难家庭: low-income and subsistence households.
    Hardship,
    /// 孤寡空巢老人: elderly people living alone.
    LoneElderly,
    /// 社区矫正对象: people serving a community correction order.
    CommunityCorrection,
    /// 生活失意人员: people in personal crisis, at risk of extreme acts.
    InCrisis,
    /// 残疾人: people with a disability.
    Disabled,
    /// 退役军人: veterans.
    Veteran,
    /// 留守儿童: children whose parents work away.
    LeftBehindChild,
}

impl PersonTag {
    /// Every tag, in the order pages list them.
    pub const ALL: [PersonTag; 7] = [
        PersonTag::Hardship,
        PersonTag::LoneElderly,
        PersonTag::CommunityCorrection,
        PersonTag::InCrisis,
        PersonTag::Disabled,
        PersonTag::Veteran,
        PersonTag::LeftBehindChild,
    ];

    /// The stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            PersonTag::Hardship => "hardship",
            PersonTag::LoneElderly => "lone_elderly",
            PersonTag::CommunityCorrection => "community_correction",
            PersonTag::InCrisis => "in_crisis",
            PersonTag::Disabled => "disabled",
            PersonTag::Veteran => "veteran",
            PersonTag::LeftBehindChild => "left_behind_child",
        }
    }

    /// The name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            PersonTag::Hardship => "困难家庭",
            PersonTag::LoneElderly => "孤寡空巢老人",
            PersonTag::CommunityCorrection => "社区矫正对象",
            PersonTag::InCrisis => "生活失意人员",
            PersonTag::Disabled => "残疾人",
            PersonTag::Veteran => "退役军人",
            PersonTag::LeftBehindChild => "留守儿童",
        }
    }

    /// How long a tag holds before it must be reviewed, in months: the
    /// volatile ones (hardship, crisis) soon, the lasting ones yearly.
    pub fn review_months(self) -> u32 {
        match self {
            PersonTag::InCrisis => 3,
            PersonTag::Hardship | PersonTag::CommunityCorrection => 6,
            PersonTag::LoneElderly
            | PersonTag::Disabled
            | PersonTag::Veteran
            | PersonTag::LeftBehindChild => 12,
        }
    }

    pub fn from_code(code: &str) -> Option<PersonTag> {
        PersonTag::ALL.into_iter().find(|t| t.code() == code)
    }
}

impl fmt::Display for PersonTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why a phone number is refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    #[error("联系电话格式不正确：请填写 11 位手机号码，或带区号的固定电话（如 0513-86123456）")]
    Malformed,
}

/// Checks a resident's phone: an 11-digit mobile number starting with 1, or
/// a landline with its area code (`0513-86123456`, hyphen optional). Spaces
/// are dropped; the canonical text is returned.
pub fn parse_phone(text: &str) -> Result<String, PhoneError> {
    let phone: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '－' | '—' => '-',
            c => c,
        })
        .collect();
    let digits: String = phone.chars().filter(|c| *c != '-').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || phone.matches('-').count() > 1 {
        return Err(PhoneError::Malformed);
    }
    let mobile = digits.len() == 11 && digits.starts_with('1') && !phone.contains('-');
    let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
    if mobile || landline {
        Ok(phone)
    } else {
        Err(PhoneError::Malformed)
    }
}

/// A phone with its middle hidden: `139****5678`, `0513-****3456`. Keeps
/// the first three (or the area code) and the last four digits; anything
/// shorter than a phone is hidden whole.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        // Not a phone Yiwang accepts; nothing of it is shown.
        return "*".repeat(chars.len());
    }
    let keep_head = match phone.find('-') {
        Some(at) => phone[..=at].chars().count(),
        None => 3.min(chars.len() - 4),
    };
    let hidden = chars.len() - keep_head - 4;
    let mut out: String = chars[..keep_head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - 4..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for tag in PersonTag::ALL {
            assert_eq!(PersonTag::from_code(tag.code()), Some(tag));
            assert!(seen.insert(tag.code()));
            assert!(tag.review_months() > 0);
        }
        assert_eq!(PersonTag::from_code("vip"), None);
        assert_eq!(PersonTag::LoneElderly.to_string(), "孤寡空巢老人");
    }

    #[test]
    fn phones_are_checked_and_masked() {
        assert_eq!(parse_phone("139 0513 5678").unwrap(), "13905135678");
        assert_eq!(parse_phone("0513-86123456").unwrap(), "0513-86123456");
        assert_eq!(parse_phone("051386123456").unwrap(), "051386123456");
        for bad in [
            "",
            "12345",
            "2390513567",
            "1390513567x",
            "139-0513-5678",
            "23905135678",
        ] {
            assert_eq!(parse_phone(bad), Err(PhoneError::Malformed), "{bad}");
        }
        assert_eq!(mask_phone("13905135678"), "139****5678");
        assert_eq!(mask_phone("0513-86123456"), "0513-****3456");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
