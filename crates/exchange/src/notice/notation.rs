//! The range notation of planning indicators, and land-use terms.
//!
//! A transfer notice states its planning conditions in a compact Chinese
//! notation: a floor-area ratio (容积率) of `≥0.45且<0.91`, a building density
//! (建筑密度) of `≤30`, a green ratio (绿地率) of `≥20`, a floor area of
//! `≤226700(商业≥3000)` (an upper bound with a per-use sub-limit) or a
//! ratio with a note, `≥1.44且<1.80(以建筑面积为准)`.
//!
//! Why typed ranges: the platform compares proposed plans against these
//! limits and the engine's listing page shows them, so an open bound (`<`)
//! must never be confused with a closed one (`≤`). Why print back exactly:
//! the notice is a legal text; what the officer typed (or what the seed
//! notice printed) is what the public must read, down to "1.80" keeping its
//! trailing zero ([`Ratio`] remembers how a number was written).
//!
//! # Grammar
//!
//! ```text
//! range     := interval group*
//! interval  := bound [ "且" bound ]            canonical: lower first
//!            | number "-" number               input only: both ends inclusive
//! bound     := ("≥" | ">" | "≤" | "<") number
//! group     := "(" sub-limit ("," sub-limit)* ")"   per-use sub-limits
//!            | "(" note ")"                          free text
//! sub-limit := use-name interval
//! ```
//!
//! Input is lenient: ASCII `>=`, `<=`, full-width `＞` `＜` `（` `）` `，`,
//! `≧` `≦`, spaces between tokens, `~` `～` `–` `—` `至` for a dash range,
//! and the bounds in either order. Output is canonical (`≥` `≤` `>` `<`,
//! ASCII parentheses and commas, no spaces, lower bound first), so **only
//! canonical text round-trips character for character**; every accepted
//! text round-trips by value. The seed's notation is canonical.
//!
//! A parenthesised group is read as sub-limits when the whole group parses
//! as `use-name interval` items, and as a note otherwise; so a note can never
//! itself look like a sub-limit (such a note is refused by
//! [`IndicatorRange::check`]).
//!
//! Land-use terms (出让年期) live here too: `50` (the parcel's one use) or
//! `居住70,商业40` (each use its own term), see [`Terms`].

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use yiwang_core::{Ratio, RatioError};

/// One end of a range: a value and whether the value itself is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bound {
    /// The limit, exactly as written ("1.80" stays "1.80").
    pub value: Ratio,
    /// `true` for `≥`/`≤`, `false` for `>`/`<`.
    pub inclusive: bool,
}

impl Bound {
    /// An inclusive bound (`≥ value` or `≤ value`).
    pub fn inclusive(value: Ratio) -> Bound {
        Bound {
            value,
            inclusive: true,
        }
    }

    /// An exclusive bound (`> value` or `< value`).
    pub fn exclusive(value: Ratio) -> Bound {
        Bound {
            value,
            inclusive: false,
        }
    }
}

/// A lower and/or an upper bound: the core of every range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Interval {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
}

impl Interval {
    /// Whether `value` satisfies both bounds.
    pub fn contains(&self, value: Ratio) -> bool {
        let above = match self.lower {
            None => true,
            Some(b) if b.inclusive => value >= b.value,
            Some(b) => value > b.value,
        };
        let below = match self.upper {
            None => true,
            Some(b) if b.inclusive => value <= b.value,
            Some(b) => value < b.value,
        };
        above && below
    }

    /// Checks that the interval has a bound and admits at least one value.
    pub fn check(&self) -> Result<(), NotationError> {
        match (self.lower, self.upper) {
            (None, None) => Err(NotationError::NoBound),
            (Some(lo), Some(hi)) if lo.value > hi.value => Err(NotationError::Inverted {
                lower: lo.value.to_string(),
                upper: hi.value.to_string(),
            }),
            (Some(lo), Some(hi)) if lo.value == hi.value && !(lo.inclusive && hi.inclusive) => {
                Err(NotationError::EmptyInterval {
                    value: lo.value.to_string(),
                })
            }
            _ => Ok(()),
        }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(lo) = self.lower {
            f.write_str(if lo.inclusive { "≥" } else { ">" })?;
            write!(f, "{}", lo.value)?;
        }
        if let Some(hi) = self.upper {
            if self.lower.is_some() {
                f.write_str("且")?;
            }
            f.write_str(if hi.inclusive { "≤" } else { "<" })?;
            write!(f, "{}", hi.value)?;
        }
        Ok(())
    }
}

/// A limit that applies to one use within the parcel: `商业≥3000` inside
/// `≤226700(商业≥3000)` (at least 3,000 m² of the floor area is commercial).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubLimit {
    /// The use, as the notice names it: 商业, 办公, 配套….
    pub use_name: String,
    pub range: Interval,
}

/// A planning indicator's range: `≥0.45且<0.91`, `≤226700(商业≥3000)`,
/// `≥1.44且<1.80(以建筑面积为准)`.
///
/// `Display` prints the canonical notation and [`IndicatorRange::parse`]
/// reads it back; equality compares values (so `1.8` equals `1.80`) and
/// texts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IndicatorRange {
    pub lower: Option<Bound>,
    pub upper: Option<Bound>,
    /// Per-use limits, printed in one parenthesised group.
    pub sub_limits: Vec<SubLimit>,
    /// Free text printed in its own parentheses after any sub-limits.
    pub note: Option<String>,
}

impl IndicatorRange {
    /// A range with only these bounds.
    pub fn new(lower: Option<Bound>, upper: Option<Bound>) -> IndicatorRange {
        IndicatorRange {
            lower,
            upper,
            sub_limits: Vec::new(),
            note: None,
        }
    }

    /// The main bounds, without sub-limits or note.
    pub fn interval(&self) -> Interval {
        Interval {
            lower: self.lower,
            upper: self.upper,
        }
    }

    /// Whether `value` satisfies the main bounds. Sub-limits concern a part
    /// of the quantity and are checked with [`sub_limit`](Self::sub_limit).
    pub fn contains(&self, value: Ratio) -> bool {
        self.interval().contains(value)
    }

    /// The sub-limit for `use_name`, if the range has one.
    pub fn sub_limit(&self, use_name: &str) -> Option<&SubLimit> {
        self.sub_limits.iter().find(|s| s.use_name == use_name)
    }

    /// Parses the notation; see the module documentation for what is
    /// accepted. Never panics.
    pub fn parse(text: &str) -> Result<IndicatorRange, NotationError> {
        Parser::new(text).range()
    }

    /// Checks what the parser guarantees, for values built in code or read
    /// from storage: every interval is coherent, use names and the note are
    /// printable and unambiguous, so that `parse(to_string())` gives back an
    /// equal range.
    pub fn check(&self) -> Result<(), NotationError> {
        self.interval().check()?;
        for sub in &self.sub_limits {
            check_use_name(&sub.use_name)?;
            sub.range.check()?;
        }
        if let Some(note) = &self.note {
            check_note(note)?;
        }
        Ok(())
    }
}

impl fmt::Display for IndicatorRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.interval())?;
        if !self.sub_limits.is_empty() {
            f.write_str("(")?;
            for (i, sub) in self.sub_limits.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{}{}", sub.use_name, sub.range)?;
            }
            f.write_str(")")?;
        }
        if let Some(note) = &self.note {
            write!(f, "({note})")?;
        }
        Ok(())
    }
}

impl FromStr for IndicatorRange {
    type Err = NotationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IndicatorRange::parse(s)
    }
}

/// Why a text is not a range or a term. Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotationError {
    #[error("范围为空：请按公告的写法填写，例如 ≥0.45且<0.91、≤30 或 ≥20")]
    Empty,
    #[error(
        "第 {position} 个字符处应为“≥”“>”“≤”或“<”开头的界限，实际是{found}；例如 ≥0.45且<0.91"
    )]
    ExpectedBound { position: usize, found: String },
    #[error("第 {position} 个字符处应为数字，实际是{found}；例如 ≤30")]
    ExpectedNumber { position: usize, found: String },
    #[error("“{text}”不是有效的数值：{source}")]
    BadNumber { text: String, source: RatioError },
    #[error("范围有两个下限（“≥”或“>”）：一个范围最多一个下限和一个上限，例如 ≥0.45且<0.91")]
    TwoLowers,
    #[error("范围有两个上限（“≤”或“<”）：一个范围最多一个下限和一个上限，例如 ≥0.45且<0.91")]
    TwoUppers,
    #[error("范围缺少界限：至少要有一个下限或上限，例如 ≥20 或 ≤30")]
    NoBound,
    #[error("下限 {lower} 大于上限 {upper}，范围内没有任何数值")]
    Inverted { lower: String, upper: String },
    #[error("上下限都是 {value} 但不都包含端点，范围内没有任何数值")]
    EmptyInterval { value: String },
    #[error("第 {position} 个字符处的括号没有闭合：请在末尾补上“)”")]
    UnclosedParen { position: usize },
    #[error("第 {position} 个字符处的括号内又有括号：括号不能嵌套")]
    NestedParen { position: usize },
    #[error("第 {position} 个字符处的括号内为空：请删去空括号")]
    EmptyParen { position: usize },
    #[error("范围只能有一组分项限制和一条括号说明，第 {position} 个字符处多了一组括号")]
    ExtraGroup { position: usize },
    #[error("第 {position} 个字符起的“{text}”无法识别：范围之后只能有括号内的分项限制或说明")]
    Trailing { position: usize, text: String },
    #[error("分项名称“{name}”无效：应为不含数字、符号、括号和空白的用途名称，例如 商业")]
    BadUseName { name: String },
    #[error("括号说明“{note}”无效：不能为空，不能含括号、换行或制表符，也不能写成“用途+范围”的分项限制形式")]
    BadNote { note: String },
    #[error("出让年期为空：请填写年数，例如 50，或按用途分别填写，例如 居住70,商业40")]
    TermsEmpty,
    #[error(
        "出让年期“{text}”无法识别：应为年数（例如 50），或按用途分别填写（例如 居住70,商业40）"
    )]
    TermsSyntax { text: String },
    #[error("出让年期 {years} 年无效：应为 1 至 70 年")]
    TermsYears { years: String },
    #[error("出让年期中用途“{name}”重复出现")]
    TermsDuplicateUse { name: String },
}

/// Quotes a character for a message, naming the end of the text.
fn describe(ch: Option<char>) -> String {
    match ch {
        None => "文本末尾".to_owned(),
        Some(' ') => "空格".to_owned(),
        Some('\u{3000}') => "全角空格".to_owned(),
        Some(c) if c.is_control() => format!("U+{:04X}", u32::from(c)),
        Some(c) => format!("“{c}”"),
    }
}

/// Which way a bound points.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Lower,
    Upper,
}

/// Operators accepted on input, longest first so that `>=` wins over `>`.
const OPERATORS: &[(&str, Side, bool)] = &[
    (">=", Side::Lower, true),
    ("＞＝", Side::Lower, true),
    ("＞=", Side::Lower, true),
    ("<=", Side::Upper, true),
    ("＜＝", Side::Upper, true),
    ("＜=", Side::Upper, true),
    ("≥", Side::Lower, true),
    ("≧", Side::Lower, true),
    ("≤", Side::Upper, true),
    ("≦", Side::Upper, true),
    (">", Side::Lower, false),
    ("＞", Side::Lower, false),
    ("<", Side::Upper, false),
    ("＜", Side::Upper, false),
];

/// Words joining a lower and an upper bound.
const CONJUNCTIONS: &[&str] = &["并且", "且", "&", ",", "，", "、"];

/// Separators of a dash range `1.0-1.8`.
const DASHES: &[&str] = &["-", "~", "～", "–", "—", "至", "－"];

/// Separators of sub-limits and of per-use terms.
const ITEM_SEPARATORS: &[char] = &[',', '，', '、', ';', '；'];

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}'
}

fn is_open(c: char) -> bool {
    c == '(' || c == '（'
}

fn is_close(c: char) -> bool {
    c == ')' || c == '）'
}

/// Characters that may not appear in a use name.
fn is_name_stop(c: char) -> bool {
    c.is_ascii_digit()
        || c == '.'
        || is_space(c)
        || is_open(c)
        || is_close(c)
        || ITEM_SEPARATORS.contains(&c)
        || c.is_control()
        || "≥≧≤≦<>＜＞=＝-~～–—－&".contains(c)
}

fn check_use_name(name: &str) -> Result<(), NotationError> {
    if name.is_empty() || name.chars().any(is_name_stop) || name.chars().count() > 20 {
        return Err(NotationError::BadUseName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

fn check_note(note: &str) -> Result<(), NotationError> {
    let bad = note.trim() != note
        || note.is_empty()
        || note
            .chars()
            .any(|c| is_open(c) || is_close(c) || c.is_control())
        || Parser::new(note).sub_limits_to_end().is_some();
    if bad {
        return Err(NotationError::BadNote {
            note: note.to_owned(),
        });
    }
    Ok(())
}

/// A character cursor; positions are reported 1-based.
struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn new(text: &str) -> Parser {
        Parser {
            chars: text.chars().collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
    }

    fn starts_with(&self, s: &str) -> bool {
        (self.pos..)
            .zip(s.chars())
            .all(|(i, c)| self.chars.get(i) == Some(&c))
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.starts_with(s) {
            self.pos += s.chars().count();
            true
        } else {
            false
        }
    }

    fn operator(&mut self) -> Option<(Side, bool)> {
        for (text, side, inclusive) in OPERATORS {
            if self.eat(text) {
                return Some((*side, *inclusive));
            }
        }
        None
    }

    fn operator_ahead(&mut self) -> bool {
        let saved = self.pos;
        self.skip_space();
        let found = self.operator().is_some();
        self.pos = saved;
        found
    }

    fn number(&mut self) -> Result<Ratio, NotationError> {
        self.skip_space();
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
            self.pos += 1;
        }
        if start == self.pos {
            return Err(NotationError::ExpectedNumber {
                position: self.pos + 1,
                found: describe(self.peek()),
            });
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        Ratio::parse(&text).map_err(|source| NotationError::BadNumber { text, source })
    }

    fn bound(&mut self) -> Result<(Side, Bound), NotationError> {
        self.skip_space();
        let Some((side, inclusive)) = self.operator() else {
            return Err(NotationError::ExpectedBound {
                position: self.pos + 1,
                found: describe(self.peek()),
            });
        };
        let value = self.number()?;
        Ok((side, Bound { value, inclusive }))
    }

    /// `bound [conj bound]` or `number dash number`.
    fn interval(&mut self) -> Result<Interval, NotationError> {
        self.skip_space();
        if self.peek().is_some_and(|c| c.is_ascii_digit()) {
            let low = self.number()?;
            self.skip_space();
            if !DASHES.iter().any(|d| self.eat(d)) {
                return Err(NotationError::ExpectedBound {
                    position: self.pos + 1,
                    found: describe(self.peek()),
                });
            }
            let high = self.number()?;
            let interval = Interval {
                lower: Some(Bound::inclusive(low)),
                upper: Some(Bound::inclusive(high)),
            };
            interval.check()?;
            return Ok(interval);
        }
        let mut interval = Interval {
            lower: None,
            upper: None,
        };
        let (side, bound) = self.bound()?;
        set_side(&mut interval, side, bound)?;
        let saved = self.pos;
        self.skip_space();
        let joined = CONJUNCTIONS.iter().any(|c| self.eat(c));
        if joined && self.operator_ahead() {
            let (side, bound) = self.bound()?;
            set_side(&mut interval, side, bound)?;
        } else {
            self.pos = saved;
        }
        interval.check()?;
        Ok(interval)
    }

    /// Parses `use-name interval ("," use-name interval)*` up to the end of
    /// the text, or gives `None` if the text is not exactly that.
    fn sub_limits_to_end(&mut self) -> Option<Vec<SubLimit>> {
        let mut subs = Vec::new();
        loop {
            self.skip_space();
            let start = self.pos;
            while self.peek().is_some_and(|c| !is_name_stop(c)) {
                self.pos += 1;
            }
            let use_name: String = self.chars[start..self.pos].iter().collect();
            if use_name.is_empty() || check_use_name(&use_name).is_err() {
                return None;
            }
            // A sub-limit always has an operator: "商业3000" is not one.
            if !self.operator_ahead() {
                return None;
            }
            let range = self.interval().ok()?;
            subs.push(SubLimit { use_name, range });
            self.skip_space();
            match self.peek() {
                None => return Some(subs),
                Some(c) if ITEM_SEPARATORS.contains(&c) => self.pos += 1,
                Some(_) => return None,
            }
        }
    }

    fn range(&mut self) -> Result<IndicatorRange, NotationError> {
        self.skip_space();
        if self.at_end() {
            return Err(NotationError::Empty);
        }
        let interval = self.interval()?;
        let mut range = IndicatorRange::new(interval.lower, interval.upper);
        let mut had_subs = false;
        loop {
            self.skip_space();
            let Some(c) = self.peek() else { break };
            if !is_open(c) {
                return Err(NotationError::Trailing {
                    position: self.pos + 1,
                    text: self.chars[self.pos..].iter().collect(),
                });
            }
            let open_at = self.pos + 1;
            self.pos += 1;
            let start = self.pos;
            loop {
                match self.peek() {
                    None => return Err(NotationError::UnclosedParen { position: open_at }),
                    Some(c) if is_open(c) => {
                        return Err(NotationError::NestedParen {
                            position: self.pos + 1,
                        })
                    }
                    Some(c) if is_close(c) => break,
                    Some(_) => self.pos += 1,
                }
            }
            let inner: String = self.chars[start..self.pos].iter().collect();
            self.pos += 1;
            let inner = inner.trim_matches(is_space).to_owned();
            if inner.is_empty() {
                return Err(NotationError::EmptyParen { position: open_at });
            }
            match Parser::new(&inner).sub_limits_to_end() {
                Some(subs) if !had_subs && range.note.is_none() => {
                    had_subs = true;
                    range.sub_limits = subs;
                }
                Some(_) => return Err(NotationError::ExtraGroup { position: open_at }),
                None if range.note.is_none() => {
                    check_note(&inner)?;
                    range.note = Some(inner);
                }
                None => return Err(NotationError::ExtraGroup { position: open_at }),
            }
        }
        Ok(range)
    }
}

fn set_side(interval: &mut Interval, side: Side, bound: Bound) -> Result<(), NotationError> {
    match side {
        Side::Lower if interval.lower.is_some() => Err(NotationError::TwoLowers),
        Side::Upper if interval.upper.is_some() => Err(NotationError::TwoUppers),
        Side::Lower => {
            interval.lower = Some(bound);
            Ok(())
        }
        Side::Upper => {
            interval.upper = Some(bound);
            Ok(())
        }
    }
}

/// The longest term the law allows: 70 years (《城镇国有土地使用权出让和转让暂行条例》
/// art. 12, residential land).
pub const MAX_TERM_YEARS: u16 = 70;

/// One use's term within [`Terms::PerUse`]: 居住 70 years.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UseTerm {
    /// The use as the notice names it (居住, 商业): no digits or symbols.
    pub use_name: String,
    pub years: u16,
}

/// The term of the land-use right (出让年期), in years.
///
/// A parcel with one use has one term (`50`); a mixed-use parcel states a
/// term per use (`居住70,商业40`), because the law caps each use
/// separately. Printed back exactly as in the seed; input also accepts
/// `年` after a number, `，` `、` `;` `；` between uses and spaces.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Terms {
    /// One term for the parcel's one use.
    Single(u16),
    /// A term for each use, in the notice's order.
    PerUse(Vec<UseTerm>),
}

impl Terms {
    /// Parses `50` or `居住70,商业40`. Never panics.
    pub fn parse(text: &str) -> Result<Terms, NotationError> {
        let compact: String = text.chars().filter(|c| !is_space(*c)).collect();
        if compact.is_empty() {
            return Err(NotationError::TermsEmpty);
        }
        let syntax = || NotationError::TermsSyntax {
            text: text.trim().to_owned(),
        };
        if let Some(years) = parse_years(&compact)? {
            return Ok(Terms::Single(years));
        }
        let mut items = Vec::new();
        for item in compact.split(ITEM_SEPARATORS) {
            let digits_at = item
                .char_indices()
                .find(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .ok_or_else(syntax)?;
            let (name, number) = item.split_at(digits_at);
            check_use_name(name).map_err(|_| syntax())?;
            let years = parse_years(number)?.ok_or_else(syntax)?;
            if items.iter().any(|t: &UseTerm| t.use_name == name) {
                return Err(NotationError::TermsDuplicateUse {
                    name: name.to_owned(),
                });
            }
            items.push(UseTerm {
                use_name: name.to_owned(),
                years,
            });
        }
        Ok(Terms::PerUse(items))
    }

    /// The term that applies to a use: the single term, or the named use's
    /// own term.
    pub fn years_for(&self, use_name: &str) -> Option<u16> {
        match self {
            Terms::Single(years) => Some(*years),
            Terms::PerUse(items) => items
                .iter()
                .find(|t| t.use_name == use_name)
                .map(|t| t.years),
        }
    }

    /// The longest term stated.
    pub fn max_years(&self) -> u16 {
        match self {
            Terms::Single(years) => *years,
            Terms::PerUse(items) => items.iter().map(|t| t.years).max().unwrap_or(0),
        }
    }

    /// Checks what the parser guarantees, for values built in code or read
    /// from storage.
    pub fn check(&self) -> Result<(), NotationError> {
        let check_years = |years: u16| {
            if (1..=MAX_TERM_YEARS).contains(&years) {
                Ok(())
            } else {
                Err(NotationError::TermsYears {
                    years: years.to_string(),
                })
            }
        };
        match self {
            Terms::Single(years) => check_years(*years),
            Terms::PerUse(items) => {
                if items.is_empty() {
                    return Err(NotationError::TermsEmpty);
                }
                for (i, item) in items.iter().enumerate() {
                    check_use_name(&item.use_name)?;
                    check_years(item.years)?;
                    if items[..i].iter().any(|t| t.use_name == item.use_name) {
                        return Err(NotationError::TermsDuplicateUse {
                            name: item.use_name.clone(),
                        });
                    }
                }
                Ok(())
            }
        }
    }
}

/// `"70"` or `"70年"` → `Some(70)`; text that is not a number → `None`;
/// a number outside 1..=70 → an error.
fn parse_years(text: &str) -> Result<Option<u16>, NotationError> {
    let digits = text.strip_suffix('年').unwrap_or(text);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let out_of_range = || NotationError::TermsYears {
        years: digits.to_owned(),
    };
    let years: u16 = digits.parse().map_err(|_| out_of_range())?;
    if !(1..=MAX_TERM_YEARS).contains(&years) {
        return Err(out_of_range());
    }
    Ok(Some(years))
}

impl fmt::Display for Terms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Terms::Single(years) => write!(f, "{years}"),
            Terms::PerUse(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}{}", item.use_name, item.years)?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for Terms {
    type Err = NotationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Terms::parse(s)
    }
}

/// The longest term the law allows for a use, by the categories of
/// 《城镇国有土地使用权出让和转让暂行条例》art. 12: residential 70 years;
/// industrial, and education, science, culture, health and sports 50;
/// commercial, tourism and entertainment 40; comprehensive or other 50.
///
/// The use is matched by keyword; a name that matches several categories
/// (商住) gets the longest of them, so that the check never refuses a term
/// the law allows. Anything unrecognised is "other", 50 years.
pub fn statutory_max_years(use_name: &str) -> u16 {
    const CATEGORIES: &[(&[&str], u16)] = &[(&["住"], 70), (&["商", "旅游", "娱乐", "服务业"], 40)];
    let matched: Vec<u16> = CATEGORIES
        .iter()
        .filter(|(words, _)| words.iter().any(|w| use_name.contains(w)))
        .map(|(_, years)| *years)
        .collect();
    match matched.iter().max() {
        Some(years) => *years,
        None => 50,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Ratio {
        Ratio::parse(s).unwrap()
    }

    fn range(s: &str) -> IndicatorRange {
        IndicatorRange::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn the_seed_notation_round_trips() {
        for s in [
            "≥0.45且<0.91",
            "≤30",
            "≥20",
            "≤5990",
            "≤226700(商业≥3000)",
            "≥1.44且<1.80(以建筑面积为准)",
            "≤23",
            "≥35",
        ] {
            assert_eq!(range(s).to_string(), s);
        }
    }

    #[test]
    fn parses_into_typed_bounds() {
        let far = range("≥1.44且<1.80(以建筑面积为准)");
        assert_eq!(far.lower, Some(Bound::inclusive(r("1.44"))));
        assert_eq!(far.upper, Some(Bound::exclusive(r("1.80"))));
        assert_eq!(far.note.as_deref(), Some("以建筑面积为准"));
        assert!(far.sub_limits.is_empty());

        let floor = range("≤226700(商业≥3000)");
        assert_eq!(floor.lower, None);
        assert_eq!(floor.upper, Some(Bound::inclusive(r("226700"))));
        let sub = floor.sub_limit("商业").unwrap();
        assert_eq!(sub.range.lower, Some(Bound::inclusive(r("3000"))));
        assert_eq!(sub.range.upper, None);
        assert_eq!(floor.note, None);
    }

    #[test]
    fn contains_respects_open_and_closed_bounds() {
        let far = range("≥0.45且<0.91");
        assert!(far.contains(r("0.45")));
        assert!(far.contains(r("0.9")));
        assert!(!far.contains(r("0.91")));
        assert!(!far.contains(r("0.44")));
        let density = range("≤30");
        assert!(density.contains(r("30")));
        assert!(!density.contains(r("30.01")));
        assert!(range(">1.0").contains(r("1.01")));
        assert!(!range(">1.0").contains(r("1")));
    }

    #[test]
    fn lenient_input_prints_canonically() {
        for (input, canonical) in [
            (">=0.45 且 <0.91", "≥0.45且<0.91"),
            ("<= 30", "≤30"),
            (">1.0", ">1.0"),
            ("＞1.0", ">1.0"),
            ("<0.91且≥0.45", "≥0.45且<0.91"),
            ("≧20", "≥20"),
            ("1.0-1.8", "≥1.0且≤1.8"),
            ("1.0～1.8", "≥1.0且≤1.8"),
            ("≤226700（商业≥3000）", "≤226700(商业≥3000)"),
            (
                "≤226700(商业≥3000，办公≤500)",
                "≤226700(商业≥3000,办公≤500)",
            ),
            ("≥1.44,<1.80", "≥1.44且<1.80"),
            (" ≥20 ", "≥20"),
        ] {
            assert_eq!(range(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn notes_and_sub_limits_together() {
        let s = "≤226700(商业≥3000且<5000)(含地下)";
        assert_eq!(range(s).to_string(), s);
        // A group that only partly reads as a sub-limit is a note.
        let s = "≤5000(地下≤500不计容)";
        assert_eq!(range(s).note.as_deref(), Some("地下≤500不计容"));
        assert_eq!(range(s).to_string(), s);
    }

    #[test]
    fn refuses_malformed_text_with_chinese_messages() {
        let cases: &[(&str, NotationError)] = &[
            ("", NotationError::Empty),
            ("  ", NotationError::Empty),
            (
                "30",
                NotationError::ExpectedBound {
                    position: 3,
                    found: "文本末尾".into(),
                },
            ),
            (
                "≤",
                NotationError::ExpectedNumber {
                    position: 2,
                    found: "文本末尾".into(),
                },
            ),
            ("≥1且≥2", NotationError::TwoLowers),
            ("≤1且<2", NotationError::TwoUppers),
            (
                "≥2且≤1",
                NotationError::Inverted {
                    lower: "2".into(),
                    upper: "1".into(),
                },
            ),
            ("≥1且<1", NotationError::EmptyInterval { value: "1".into() }),
            ("≤30(商业", NotationError::UnclosedParen { position: 4 }),
            ("≤30()", NotationError::EmptyParen { position: 4 }),
            ("≤30(a(b))", NotationError::NestedParen { position: 6 }),
            (
                "≤30%",
                NotationError::Trailing {
                    position: 4,
                    text: "%".into(),
                },
            ),
            ("≤30(x)(y)", NotationError::ExtraGroup { position: 7 }),
        ];
        for (text, expected) in cases {
            assert_eq!(
                &IndicatorRange::parse(text).unwrap_err(),
                expected,
                "{text:?}"
            );
        }
        let e = IndicatorRange::parse("≤1.23456").unwrap_err();
        assert!(e.to_string().contains("最多 4 位小数"), "{e}");
        let e = IndicatorRange::parse("30").unwrap_err();
        assert!(e.to_string().contains("应为“≥”"), "{e}");
        assert_eq!(
            IndicatorRange::parse("≥2且≤1").unwrap_err().to_string(),
            "下限 2 大于上限 1，范围内没有任何数值"
        );
    }

    #[test]
    fn check_refuses_what_would_not_round_trip() {
        let mut bad = range("≤30");
        bad.note = Some("商业≥3000".into());
        assert!(matches!(bad.check(), Err(NotationError::BadNote { .. })));
        bad.note = Some(" x".into());
        assert!(bad.check().is_err());
        bad.note = None;
        bad.sub_limits.push(SubLimit {
            use_name: "商业1".into(),
            range: range("≥1").interval(),
        });
        assert!(matches!(bad.check(), Err(NotationError::BadUseName { .. })));
        assert!(IndicatorRange::new(None, None).check().is_err());
        assert!(range("≥1.44且<1.80(以建筑面积为准)").check().is_ok());
    }

    #[test]
    fn terms_parse_and_print() {
        assert_eq!(Terms::parse("50").unwrap(), Terms::Single(50));
        assert_eq!(Terms::parse("50").unwrap().to_string(), "50");
        let mixed = Terms::parse("居住70,商业40").unwrap();
        assert_eq!(mixed.to_string(), "居住70,商业40");
        assert_eq!(mixed.years_for("居住"), Some(70));
        assert_eq!(mixed.years_for("商业"), Some(40));
        assert_eq!(mixed.years_for("工业"), None);
        assert_eq!(mixed.max_years(), 70);
        assert_eq!(
            Terms::parse("50").unwrap().years_for("消防设施用地"),
            Some(50)
        );
        assert_eq!(
            Terms::parse(" 居住70年，商业 40年 ").unwrap().to_string(),
            "居住70,商业40"
        );
        assert_eq!(Terms::parse("50年").unwrap(), Terms::Single(50));
        assert_eq!(Terms::parse(""), Err(NotationError::TermsEmpty));
        assert!(matches!(
            Terms::parse("0"),
            Err(NotationError::TermsYears { .. })
        ));
        assert!(matches!(
            Terms::parse("71"),
            Err(NotationError::TermsYears { .. })
        ));
        assert!(matches!(
            Terms::parse("99999999999"),
            Err(NotationError::TermsYears { .. })
        ));
        assert!(matches!(
            Terms::parse("居住"),
            Err(NotationError::TermsSyntax { .. })
        ));
        assert!(matches!(
            Terms::parse("居住70,"),
            Err(NotationError::TermsSyntax { .. })
        ));
        assert!(matches!(
            Terms::parse("居住70,居住40"),
            Err(NotationError::TermsDuplicateUse { .. })
        ));
        assert!(Terms::PerUse(vec![]).check().is_err());
        assert!(mixed.check().is_ok());
    }

    #[test]
    fn statutory_maximum_terms() {
        assert_eq!(statutory_max_years("居住"), 70);
        assert_eq!(statutory_max_years("居住用地"), 70);
        assert_eq!(statutory_max_years("商业"), 40);
        assert_eq!(statutory_max_years("商住用地"), 70);
        assert_eq!(statutory_max_years("工业用地"), 50);
        assert_eq!(statutory_max_years("消防设施用地"), 50);
    }
}
