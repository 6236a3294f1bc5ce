//! The lecture hall (工信E通 大讲堂): a catalogue of courses in areas, each
//! course a list of lessons, which enterprises' staff study as trainees.
//!
//! The seed counts "人力资源管理、市场营销、财务税务等7个方面46门精品课程",
//! "累计培训人数11915人，培训时长达35666小时". Seven areas are seeded
//! ([`SEED_AREAS`]); service staff add, rename and archive areas.
//!
//! A lesson is a link: a video or a document, always `https` ([`parse_link`]),
//! with its duration in whole minutes. An enterprise account registers its
//! staff as trainees (a name and a mobile phone, [`parse_phone`]), enrols
//! them in published courses, and records the lessons each has done: each
//! record credits the lesson's minutes. A trainee who has done every lesson
//! of a course has completed it and holds a certificate of completion
//! (结业证书) whose number ([`certificate_number`]) is drawn from 80 random
//! bits, so it cannot be guessed; anyone may check a certificate by its
//! number, and sees the name masked ([`mask_name`]).
//!
//! Time is kept in minutes (integers) and shown in hours with one decimal
//! ([`hours_label`]). Nothing here reads a clock, a random source or a
//! database: callers pass what these rules need.

use serde::Serialize;

/// The areas the catalogue starts with: the seed names the first three;
/// the others are the bureau's usual subjects.
pub const SEED_AREAS: [&str; 7] = [
    "人力资源管理",
    "市场营销",
    "财务税务",
    "企业管理",
    "智能制造",
    "法律法规",
    "党建与政策",
];

/// Longest title of an area, course or lesson, in characters.
pub const MAX_TITLE: usize = 100;
/// Longest course summary, in characters.
pub const MAX_SUMMARY: usize = 2000;
/// Longest link, in bytes.
pub const MAX_URL: usize = 500;
/// Longest lesson, in minutes (one sitting of a working day).
pub const MAX_MINUTES: i64 = 600;

/// What a lesson links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LessonKind {
    /// 视频
    Video,
    /// 文档
    Document,
}

impl LessonKind {
    pub const ALL: [LessonKind; 2] = [LessonKind::Video, LessonKind::Document];

    pub fn code(self) -> &'static str {
        match self {
            LessonKind::Video => "video",
            LessonKind::Document => "document",
        }
    }

    pub fn from_code(code: &str) -> Option<LessonKind> {
        LessonKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            LessonKind::Video => "视频",
            LessonKind::Document => "文档",
        }
    }
}

/// Why an input is refused. Shown as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LectureError {
    #[error("请填写{0}")]
    Missing(&'static str),
    #[error("{label}不超过 {max} 个字")]
    TooLong { label: &'static str, max: usize },
    #[error("链接必须以 https:// 开头，且为完整的网址")]
    NotHttps,
    #[error("链接不超过 500 个字符，且不能含空格、引号或尖括号")]
    BadUrl,
    #[error("时长应为 1 至 600 之间的整数（分钟）")]
    BadMinutes,
    #[error("手机号码应为 11 位数字，以 1 开头")]
    BadPhone,
}

/// A required text, trimmed, at most `max` characters.
pub fn parse_text(text: &str, label: &'static str, max: usize) -> Result<String, LectureError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(LectureError::Missing(label));
    }
    if text.chars().count() > max {
        return Err(LectureError::TooLong { label, max });
    }
    Ok(text.to_owned())
}

/// A lesson's link: `https://` and a host, no whitespace, quotes or angle
/// brackets, at most [`MAX_URL`] bytes. Only `https` is accepted, so no
/// `javascript:` or `data:` link can reach a page.
pub fn parse_link(text: &str) -> Result<String, LectureError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(LectureError::Missing("链接"));
    }
    let Some(rest) = text
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("https://"))
        .map(|_| &text[8..])
    else {
        return Err(LectureError::NotHttps);
    };
    if text.len() > MAX_URL
        || text.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '`' | '\\')
        })
    {
        return Err(LectureError::BadUrl);
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let name = host.split(':').next().unwrap_or_default();
    let valid_name = name.contains('.')
        && !name.starts_with('.')
        && !name.ends_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if !valid_name || host.contains('@') || rest.contains('@') {
        return Err(LectureError::NotHttps);
    }
    Ok(format!("https://{rest}"))
}

/// A lesson's duration: whole minutes, 1 to [`MAX_MINUTES`].
pub fn parse_minutes(text: &str) -> Result<i64, LectureError> {
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_MINUTES).contains(&n) => Ok(n),
        _ => Err(LectureError::BadMinutes),
    }
}

/// A trainee's mobile phone: 11 digits starting with 1 (spaces and dashes
/// as typed are dropped).
pub fn parse_phone(text: &str) -> Result<String, LectureError> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(LectureError::BadPhone)
    }
}

/// Minutes as hours with one decimal, rounded half up: 90 → `1.5`,
/// 2,139,960 → `35666.0`.
pub fn hours_label(minutes: i64) -> String {
    let minutes = minutes.max(0);
    let tenths = (minutes * 10 + 30) / 60;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// A name as the public sees it on a certificate: the first character and,
/// for names of three characters or more, the last; the rest hidden
/// (`张三` → `张*`, `王晓东` → `王*东`).
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// Crockford's base-32 alphabet: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A certificate number from 80 random bits: `JY` and 16 base-32 digits
/// in four groups (`JY-7K2M-9Q4T-XW3B-R8DN`). The caller draws the bits
/// from the operating system's random source.
pub fn certificate_number(random: [u8; 10]) -> String {
    let mut value = random.iter().fold(0u128, |v, b| (v << 8) | u128::from(*b));
    let mut digits = [0u8; 16];
    for d in digits.iter_mut().rev() {
        *d = ALPHABET[(value & 31) as usize];
        value >>= 5;
    }
    let groups: Vec<&str> = digits
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!("JY-{}", groups.join("-"))
}

/// Whether `text` has the shape of a certificate number (checked before a
/// look-up, so the public URL never queries with arbitrary text).
pub fn is_certificate_number(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("JY-") else {
        return false;
    };
    let groups: Vec<&str> = rest.split('-').collect();
    groups.len() == 4
        && groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b)))
}

/// Whether an enrolment is complete: every lesson of the course done. A
/// course without lessons is never completed.
pub fn is_complete(lessons: usize, done: usize) -> bool {
    lessons > 0 && done >= lessons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_areas_are_seeded_with_the_seed_s_three_first() {
        assert_eq!(SEED_AREAS.len(), 7);
        assert_eq!(&SEED_AREAS[..3], &["人力资源管理", "市场营销", "财务税务"]);
        let unique: std::collections::BTreeSet<_> = SEED_AREAS.iter().collect();
        assert_eq!(unique.len(), 7);
    }

    #[test]
    fn only_https_links_with_a_host_pass() {
        assert_eq!(
            parse_link(" https://edu.example.cn/v/1?t=3 ").unwrap(),
            "https://edu.example.cn/v/1?t=3"
        );
        assert_eq!(
            parse_link("HTTPS://edu.example.cn").unwrap(),
            "https://edu.example.cn"
        );
        assert_eq!(
            parse_link("https://edu.example.cn:8443/a").unwrap(),
            "https://edu.example.cn:8443/a"
        );
        for bad in [
            "http://edu.example.cn/v/1",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://",
            "https:///path",
            "https://localhost/x",
            "https://evil.example@edu.example.cn/",
            "ftp://edu.example.cn",
            "//edu.example.cn",
        ] {
            assert_eq!(parse_link(bad), Err(LectureError::NotHttps), "{bad}");
        }
        for bad in [
            "https://edu.example.cn/a b",
            "https://edu.example.cn/\"onmouseover",
            "https://edu.example.cn/<script>",
        ] {
            assert_eq!(parse_link(bad), Err(LectureError::BadUrl), "{bad}");
        }
        let long = format!("https://edu.example.cn/{}", "a".repeat(MAX_URL));
        assert_eq!(parse_link(&long), Err(LectureError::BadUrl));
        assert_eq!(parse_link("  "), Err(LectureError::Missing("链接")));
    }

    #[test]
    fn minutes_are_whole_and_bounded() {
        assert_eq!(parse_minutes("45"), Ok(45));
        assert_eq!(parse_minutes(" 600 "), Ok(600));
        for bad in ["0", "-5", "601", "1.5", "", "四十"] {
            assert_eq!(parse_minutes(bad), Err(LectureError::BadMinutes), "{bad}");
        }
    }

    #[test]
    fn phones_are_mobile_numbers() {
        assert_eq!(parse_phone("139 0513-1234").unwrap(), "13905131234");
        for bad in ["0513-85000000", "1390513123", "139051312345", "2390513123a"] {
            assert_eq!(parse_phone(bad), Err(LectureError::BadPhone), "{bad}");
        }
    }

    #[test]
    fn hours_have_one_decimal_rounded_half_up() {
        assert_eq!(hours_label(0), "0.0");
        assert_eq!(hours_label(90), "1.5");
        assert_eq!(hours_label(45), "0.8");
        assert_eq!(hours_label(2), "0.0");
        assert_eq!(hours_label(3), "0.1");
        assert_eq!(hours_label(35_666 * 60), "35666.0");
        assert_eq!(hours_label(-10), "0.0");
    }

    #[test]
    fn names_are_masked_for_the_public() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("王晓东"), "王*东");
        assert_eq!(mask_name("欧阳明月"), "欧**月");
        assert_eq!(mask_name("李"), "*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn certificate_numbers_carry_the_random_bits() {
        let a = certificate_number([0; 10]);
        assert_eq!(a, "JY-0000-0000-0000-0000");
        let b = certificate_number([0xff; 10]);
        assert_eq!(b, "JY-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        let c = certificate_number([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_ne!(c, a);
        assert!(is_certificate_number(&a));
        assert!(is_certificate_number(&b));
        assert!(is_certificate_number(&c));
        // One bit more or less is another number.
        assert_ne!(
            certificate_number([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
            certificate_number([0, 0, 0, 0, 0, 0, 0, 0, 0, 2])
        );
        for bad in [
            "JY-0000-0000-0000",
            "JY-0000-0000-0000-000I",
            "jy-0000-0000-0000-0000",
            "JY-0000-0000-0000-0000-0000",
            "' OR 1=1 --",
        ] {
            assert!(!is_certificate_number(bad), "{bad}");
        }
    }

    #[test]
    fn a_course_is_complete_when_every_lesson_is_done() {
        assert!(!is_complete(0, 0));
        assert!(!is_complete(3, 2));
        assert!(is_complete(3, 3));
    }

    #[test]
    fn texts_are_required_and_bounded() {
        assert_eq!(parse_text("  课程 ", "课程名称", 10).unwrap(), "课程");
        assert_eq!(
            parse_text(" ", "课程名称", 10),
            Err(LectureError::Missing("课程名称"))
        );
        assert_eq!(
            parse_text("一二三四五六", "课程名称", 5)
                .unwrap_err()
                .to_string(),
            "课程名称不超过 5 个字"
        );
    }

    #[test]
    fn lesson_kinds_round_trip() {
        for k in LessonKind::ALL {
            assert_eq!(LessonKind::from_code(k.code()), Some(k));
        }
        assert_eq!(LessonKind::from_code("audio"), None);
    }
}
