//! A parcel (地块/宗地) as a transfer notice describes it.
//!
//! Why every field is typed: the notice's tables are the source of the
//! listing the engine runs (the start price, the deposit, the windows) and
//! of the conditions the winner signs up to (the planning indicators, the
//! terms, the housing price cap). A figure that is only a string could be
//! shown one way and enforced another; a typed one is parsed once, at the
//! edge ([`import`](super::import) or a form), and printed back exactly as
//! the notice shows it ([`render`](super::render)).
//!
//! A [`Parcel`] is also a draft: what the notice's tables did not give
//! (an increment, a window) is `None` until the officer fills it in, and
//! [`validate_for_publication`](super::validate_for_publication) lists
//! whatever is still missing before the notice can be published.

use super::notation::{IndicatorRange, Terms};
use super::window::Window;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use yiwang_core::{Area, Money, Ratio};

/// The longest parcel code accepted.
const CODE_MAX_CHARS: usize = 24;

/// A parcel's code (地块编号): `U20041`, `R20042`.
///
/// Nantong codes are a land-use letter (R residential, U public utility,
/// B commercial, M industrial…), the two-digit year and a serial. Other
/// exchanges add a second letter or a split suffix, so the accepted shape is
/// 1–4 letters, 2–10 digits and an optional `-` suffix of 1–6 letters or
/// digits (`R20042-1`). Lower-case letters are upper-cased: the code is an
/// identifier, and merging the notice's tables by code must not depend on
/// how it was typed. The code is also the engine's listing code, so it never
/// contains the separators the engine hashes with.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParcelCode(String);

/// Why a text is not a parcel code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParcelCodeError {
    #[error("地块编号为空：请填写公告中的地块编号，例如 U20041")]
    Empty,
    #[error("地块编号“{text}”格式不正确：应为 1–4 个字母加 2–10 位数字，可带“-”加字母或数字的后缀，例如 U20041、R20042、R20042-1")]
    Shape { text: String },
}

impl ParcelCode {
    /// Parses a code, trimming surrounding whitespace and upper-casing
    /// letters. Never panics.
    pub fn parse(text: &str) -> Result<ParcelCode, ParcelCodeError> {
        let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
        if trimmed.is_empty() {
            return Err(ParcelCodeError::Empty);
        }
        let code = trimmed.to_ascii_uppercase();
        let shape = || ParcelCodeError::Shape {
            text: trimmed.to_owned(),
        };
        if code.chars().count() > CODE_MAX_CHARS || !code.is_ascii() {
            return Err(shape());
        }
        let (main, suffix) = match code.split_once('-') {
            Some((main, suffix)) => (main, Some(suffix)),
            None => (code.as_str(), None),
        };
        let letters = main.bytes().take_while(u8::is_ascii_uppercase).count();
        let digits = &main[letters..];
        let ok_main = (1..=4).contains(&letters)
            && (2..=10).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit());
        let ok_suffix = suffix.is_none_or(|s| {
            (1..=6).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        });
        if !(ok_main && ok_suffix) {
            return Err(shape());
        }
        Ok(ParcelCode(code))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ParcelCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ParcelCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ParcelCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ParcelCode::parse(&text).map_err(de::Error::custom)
    }
}

/// The longest land-use name or location accepted, in characters.
const LAND_USE_MAX_CHARS: usize = 50;
const LOCATION_MAX_CHARS: usize = 200;

/// The land use (用地性质) as the notice names it: 消防设施用地, 居住用地,
/// 二类居住用地(R2)…
///
/// Free text, because the planning classification has hundreds of names
/// and notices quote them as the planning permit does; only what would
/// break a table (empty, control characters, tabs) or a page (absurd length)
/// is refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LandUse(String);

/// Why a text is not a land use or a location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextFieldError {
    #[error("{field}为空：请照公告填写，例如 {example}")]
    Empty {
        field: &'static str,
        example: &'static str,
    },
    #[error("{field}过长：最多 {max} 个字")]
    TooLong { field: &'static str, max: usize },
    #[error("{field}含有换行、制表符等控制字符：请写成一行")]
    Control { field: &'static str },
}

fn clean_text(
    text: &str,
    field: &'static str,
    example: &'static str,
    max: usize,
) -> Result<String, TextFieldError> {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
    if trimmed.is_empty() {
        return Err(TextFieldError::Empty { field, example });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextFieldError::Control { field });
    }
    if trimmed.chars().count() > max {
        return Err(TextFieldError::TooLong { field, max });
    }
    Ok(trimmed.to_owned())
}

impl LandUse {
    /// Parses a land use, trimming surrounding whitespace.
    pub fn parse(text: &str) -> Result<LandUse, TextFieldError> {
        clean_text(text, "用地性质", "居住用地", LAND_USE_MAX_CHARS).map(LandUse)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LandUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for LandUse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for LandUse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        LandUse::parse(&text).map_err(de::Error::custom)
    }
}

/// Checks a location (地块位置) such as 苏十二河西、通七河北 and returns it
/// trimmed.
pub fn parse_location(text: &str) -> Result<String, TextFieldError> {
    clean_text(text, "地块位置", "苏十二河西、通七河北", LOCATION_MAX_CHARS)
}

/// Checks a note (备注, 注) and returns it trimmed.
pub fn parse_note(text: &str) -> Result<String, TextFieldError> {
    clean_text(text, "备注", "节假日不休息", LOCATION_MAX_CHARS)
}

/// What a price names (`exchange-rules.md` §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    /// Yuan per m² of land area (元/M²), as in both seed notices.
    #[default]
    Unit,
    /// Yuan for the whole parcel (notices quote it in 万元).
    Total,
}

/// How the winner is found during price competition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum BiddingMode {
    /// 价高者得: the highest valid bid at or above the reserve wins.
    #[default]
    HighestPrice,
    /// 限房价竞地价: the land price is competed for while the sale price of
    /// the housing built on it is capped; the cap binds the winner and is
    /// printed on the notice and the confirmation, not used in bidding.
    LimitedHousingPrice {
        /// 房屋最高备案指导均价, yuan per m² of floor area. `None` only in a
        /// draft; publication requires it.
        housing_price_cap: Option<Money>,
    },
}

/// Which second quantity an ascending follow-on competes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AscendingQuantity {
    /// 竞配建: floor area of affordable housing handed over, in m².
    AffordableArea,
    /// 竞自持: share of the floor area the developer keeps and rents, in %.
    SelfHeld,
}

impl AscendingQuantity {
    /// The Chinese name used in rule texts.
    pub fn label_cn(self) -> &'static str {
        match self {
            AscendingQuantity::AffordableArea => "竞配建",
            AscendingQuantity::SelfHeld => "竞自持",
        }
    }
}

/// What decides among several bidders at the price cap
/// (`exchange-rules.md` §8). Parameters that the notice's tables do not
/// carry are `None` in a draft; publication requires them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FollowOn {
    /// 摇号. The notice publishes the SHA-256 of the draw's seed (64 hex
    /// digits) so that the seed cannot be changed afterwards.
    Lottery { seed_sha256: Option<String> },
    /// 一次报价: each holder makes one sealed offer within `[low, high]`
    /// during `window_s` seconds; the offer closest to the mean wins.
    SealedAverage {
        window_s: Option<i64>,
        low: Option<Money>,
        high: Option<Money>,
    },
    /// 竞配建 / 竞自持: an open ascending round on a second quantity, whole
    /// multiples of `increment` from `start`, at most `max`.
    Ascending {
        quantity: AscendingQuantity,
        start: Option<Ratio>,
        increment: Option<Ratio>,
        max: Option<Ratio>,
    },
}

impl FollowOn {
    /// The kind, without parameters.
    pub fn kind(&self) -> FollowOnKind {
        match self {
            FollowOn::Lottery { .. } => FollowOnKind::Lottery,
            FollowOn::SealedAverage { .. } => FollowOnKind::SealedAverage,
            FollowOn::Ascending { quantity, .. } => FollowOnKind::Ascending(*quantity),
        }
    }

    /// A follow-on of `kind` with no parameters yet.
    pub fn blank(kind: FollowOnKind) -> FollowOn {
        match kind {
            FollowOnKind::Lottery => FollowOn::Lottery { seed_sha256: None },
            FollowOnKind::SealedAverage => FollowOn::SealedAverage {
                window_s: None,
                low: None,
                high: None,
            },
            FollowOnKind::Ascending(quantity) => FollowOn::Ascending {
                quantity,
                start: None,
                increment: None,
                max: None,
            },
        }
    }
}

/// The kind of a [`FollowOn`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowOnKind {
    Lottery,
    SealedAverage,
    Ascending(AscendingQuantity),
}

impl FollowOnKind {
    /// The Chinese name used in rule texts.
    pub fn label_cn(self) -> &'static str {
        match self {
            FollowOnKind::Lottery => "摇号",
            FollowOnKind::SealedAverage => "一次报价",
            FollowOnKind::Ascending(q) => q.label_cn(),
        }
    }
}

/// The price cap (最高限价) and what follows when it is reached.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PriceCap {
    /// In the parcel's [`PriceBasis`], like the start price.
    pub max_price: Money,
    pub follow_on: FollowOn,
}

/// The bidding rule (竞买规则) of a parcel.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct BiddingRule {
    pub mode: BiddingMode,
    pub price_cap: Option<PriceCap>,
    /// The rule as the notice words it ("本地块竞买实行限房价竞地价不摇号"),
    /// printed verbatim. `None`: the notice prints
    /// [`describe`](Self::describe)'s wording. Publication checks that the
    /// wording and the typed rule say the same thing.
    pub text: Option<String>,
}

impl BiddingRule {
    /// The housing price cap, for a 限房价竞地价 rule that has one.
    pub fn housing_price_cap(&self) -> Option<Money> {
        match self.mode {
            BiddingMode::LimitedHousingPrice { housing_price_cap } => housing_price_cap,
            BiddingMode::HighestPrice => None,
        }
    }

    /// Whether the rule is plain 价高者得 with no cap: the notice then needs
    /// no rule column at all (as in the seed's 第60号).
    pub fn is_plain(&self) -> bool {
        self.mode == BiddingMode::HighestPrice && self.price_cap.is_none() && self.text.is_none()
    }

    /// The text printed on the notice: [`text`](Self::text) if set,
    /// otherwise a standard wording generated from the typed rule, in the
    /// style of the seed ("本地块竞买实行限房价竞地价不摇号").
    pub fn describe(&self) -> String {
        if let Some(text) = &self.text {
            return text.clone();
        }
        let base = match self.mode {
            BiddingMode::HighestPrice => "本地块竞买实行价高者得",
            BiddingMode::LimitedHousingPrice { .. } => "本地块竞买实行限房价竞地价",
        };
        match (&self.mode, &self.price_cap) {
            (BiddingMode::LimitedHousingPrice { .. }, None) => format!("{base}不摇号"),
            (_, None) => base.to_owned(),
            (_, Some(cap)) => format!(
                "{base},设最高限价,达到最高限价后{}",
                cap.follow_on.kind().label_cn()
            ),
        }
    }
}

/// What a rule text says, recognised by its key words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct RuleFeatures {
    /// 价高者得.
    pub highest_price: bool,
    /// 限房价 (限房价竞地价).
    pub limited_housing_price: bool,
    /// 最高限价 or 限地价.
    pub price_cap: bool,
    /// 不摇号: explicitly no lottery.
    pub no_lottery: bool,
    /// The follow-on named, if exactly one is.
    pub follow_on: Option<FollowOnKind>,
    /// More than one follow-on is named: the text is ambiguous.
    pub conflicting_follow_ons: bool,
}

impl RuleFeatures {
    /// Reads a rule text's key words.
    ///
    /// "不摇号" (as in the seed's 第61号, "本地块竞买实行限房价竞地价不摇号")
    /// means there is no lottery; it does not name any other follow-on.
    pub fn of(text: &str) -> RuleFeatures {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let no_lottery = compact.contains("不摇号") || compact.contains("不进行摇号");
        let lottery = compact
            .match_indices("摇号")
            .any(|(i, _)| !compact[..i].ends_with('不') && !compact[..i].ends_with("不进行"));
        let mut kinds = Vec::new();
        if lottery {
            kinds.push(FollowOnKind::Lottery);
        }
        if compact.contains("一次报价") || compact.contains("一次性报价") {
            kinds.push(FollowOnKind::SealedAverage);
        }
        if compact.contains("竞配建") {
            kinds.push(FollowOnKind::Ascending(AscendingQuantity::AffordableArea));
        }
        if compact.contains("竞自持") {
            kinds.push(FollowOnKind::Ascending(AscendingQuantity::SelfHeld));
        }
        RuleFeatures {
            highest_price: compact.contains("价高者得"),
            limited_housing_price: compact.contains("限房价"),
            price_cap: compact.contains("最高限价") || compact.contains("限地价"),
            no_lottery,
            follow_on: if kinds.len() == 1 {
                Some(kinds[0])
            } else {
                None
            },
            conflicting_follow_ons: kinds.len() > 1,
        }
    }

    /// Whether any key word was recognised.
    pub fn is_recognised(&self) -> bool {
        self.highest_price
            || self.limited_housing_price
            || self.price_cap
            || self.no_lottery
            || self.follow_on.is_some()
            || self.conflicting_follow_ons
    }
}

/// The windows of a parcel's listing (`exchange-rules.md` §3, §4). Each is
/// half-open, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Windows {
    /// 网上竞买申请.
    pub application: Window,
    /// 缴纳保证金; in the seed the same window as the application
    /// ("网上竞买申请和缴纳保证金时间").
    pub deposit: Window,
    /// 网上挂牌出让.
    pub listing: Window,
}

impl Windows {
    /// Whether application and deposit share one window, printed as one
    /// column "网上竞买申请和缴纳保证金时间".
    pub fn shared_application_deposit(&self) -> bool {
        self.application == self.deposit
    }
}

/// A parcel of a transfer notice, with every field of the notice's tables.
///
/// Figures print back as the notice shows them: `land_area` with two
/// decimals (6651.11), prices in whole yuan when they are whole (480,
/// 18470), the deposit in 万元 (70, 232630).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parcel {
    /// 地块编号.
    pub code: ParcelCode,
    /// 地块位置.
    pub location: String,
    /// 用地性质.
    pub land_use: LandUse,
    /// 土地面积 (m²).
    pub land_area: Area,
    /// 建筑面积 (m²), with per-use sub-limits.
    pub floor_area: Option<IndicatorRange>,
    /// 容积率.
    pub far: Option<IndicatorRange>,
    /// 建筑密度 (%).
    pub density: Option<IndicatorRange>,
    /// 绿地率 (%).
    pub green_ratio: Option<IndicatorRange>,
    /// 出让年期 (years), per use.
    pub terms: Option<Terms>,
    pub price_basis: PriceBasis,
    /// 起挂牌价 / 起挂土地单价, in `price_basis`.
    pub start_price: Option<Money>,
    /// 加价幅度, in `price_basis`. The seed notices do not print it (it is in
    /// the 出让须知); imports fill in a default the officer can change.
    pub increment: Option<Money>,
    /// 竞买保证金, in yuan (notices print it in 万元).
    pub deposit: Option<Money>,
    /// 竞买规则.
    pub rule: BiddingRule,
    pub windows: Option<Windows>,
    /// Remarks on this parcel (a 备注 column).
    pub notes: Vec<String>,
}

impl Parcel {
    /// A parcel with its identity and nothing else yet: plain
    /// highest-price rule, unit prices, no figures, no windows.
    pub fn draft(code: ParcelCode, location: String, land_use: LandUse, land_area: Area) -> Parcel {
        Parcel {
            code,
            location,
            land_use,
            land_area,
            floor_area: None,
            far: None,
            density: None,
            green_ratio: None,
            terms: None,
            price_basis: PriceBasis::Unit,
            start_price: None,
            increment: None,
            deposit: None,
            rule: BiddingRule::default(),
            windows: None,
            notes: Vec::new(),
        }
    }

    /// The total price of the parcel at `price` (a price in the parcel's
    /// basis): `price × land_area` rounded half up to the fen for unit
    /// prices. `None` on overflow.
    pub fn total_price(&self, price: Money) -> Option<Money> {
        match self.price_basis {
            PriceBasis::Unit => Money::unit_total(price, self.land_area),
            PriceBasis::Total => Some(price),
        }
    }
}

/// Prints an amount of yuan as notices do: whole yuan without decimals
/// ("480", "18470"), otherwise two decimals ("18470.50").
pub fn format_yuan(amount: Money) -> String {
    if amount.fen() % 100 == 0 {
        (amount.fen() / 100).to_string()
    } else {
        amount.to_yuan_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parcel_codes() {
        assert_eq!(ParcelCode::parse("U20041").unwrap().as_str(), "U20041");
        assert_eq!(ParcelCode::parse(" r20042 ").unwrap().as_str(), "R20042");
        assert_eq!(ParcelCode::parse("R20042-1").unwrap().as_str(), "R20042-1");
        assert_eq!(ParcelCode::parse("CR2001").unwrap().as_str(), "CR2001");
        assert_eq!(ParcelCode::parse(""), Err(ParcelCodeError::Empty));
        for bad in [
            "20041",
            "U",
            "U2",
            "UUUUU20041",
            "U20041-",
            "U2004 1",
            "U20041|x",
            "U20041,",
            "Ｕ20041",
            "U-20041",
            "U20041-ABCDEFG",
            "U12345678901",
        ] {
            assert!(
                matches!(ParcelCode::parse(bad), Err(ParcelCodeError::Shape { .. })),
                "{bad}"
            );
        }
        let e = ParcelCode::parse("地块1").unwrap_err().to_string();
        assert!(e.contains("例如 U20041"), "{e}");
        let json = serde_json::to_string(&ParcelCode::parse("U20041").unwrap()).unwrap();
        assert_eq!(json, "\"U20041\"");
        assert!(serde_json::from_str::<ParcelCode>("\"x\"").is_err());
    }

    #[test]
    fn land_use_and_location() {
        assert_eq!(LandUse::parse(" 居住用地 ").unwrap().as_str(), "居住用地");
        assert!(LandUse::parse("").is_err());
        assert!(LandUse::parse("a\tb").is_err());
        assert!(LandUse::parse(&"地".repeat(51)).is_err());
        assert_eq!(
            parse_location("苏十二河西、通七河北").unwrap(),
            "苏十二河西、通七河北"
        );
        assert_eq!(
            parse_location("").unwrap_err().to_string(),
            "地块位置为空：请照公告填写，例如 苏十二河西、通七河北"
        );
    }

    #[test]
    fn rule_texts_are_recognised() {
        let seed = RuleFeatures::of("本地块竞买实行限房价竞地价不摇号");
        assert!(seed.limited_housing_price);
        assert!(seed.no_lottery);
        assert_eq!(seed.follow_on, None);
        assert!(seed.is_recognised());

        let lottery = RuleFeatures::of("本地块竞买实行限房价竞地价,达到最高限价后摇号");
        assert_eq!(lottery.follow_on, Some(FollowOnKind::Lottery));
        assert!(lottery.price_cap);
        assert!(!lottery.no_lottery);

        assert_eq!(
            RuleFeatures::of("限地价,达到最高限价后竞配建").follow_on,
            Some(FollowOnKind::Ascending(AscendingQuantity::AffordableArea))
        );
        assert_eq!(
            RuleFeatures::of("达到最高限价后转为一次性报价").follow_on,
            Some(FollowOnKind::SealedAverage)
        );
        assert!(RuleFeatures::of("摇号或竞自持").conflicting_follow_ons);
        assert!(RuleFeatures::of("价高者得").highest_price);
        assert!(!RuleFeatures::of("随便").is_recognised());
    }

    #[test]
    fn described_rules() {
        let seed = BiddingRule {
            mode: BiddingMode::LimitedHousingPrice {
                housing_price_cap: Some(Money::from_yuan(21500).unwrap()),
            },
            price_cap: None,
            text: None,
        };
        assert_eq!(seed.describe(), "本地块竞买实行限房价竞地价不摇号");
        assert_eq!(seed.housing_price_cap(), Money::from_yuan(21500));
        assert!(!seed.is_plain());
        assert!(BiddingRule::default().is_plain());
        assert_eq!(BiddingRule::default().describe(), "本地块竞买实行价高者得");
        let capped = BiddingRule {
            price_cap: Some(PriceCap {
                max_price: Money::from_yuan(21000).unwrap(),
                follow_on: FollowOn::blank(FollowOnKind::Lottery),
            }),
            ..seed.clone()
        };
        let text = capped.describe();
        assert_eq!(
            text,
            "本地块竞买实行限房价竞地价,设最高限价,达到最高限价后摇号"
        );
        let f = RuleFeatures::of(&text);
        assert_eq!(f.follow_on, Some(FollowOnKind::Lottery));
        assert!(f.limited_housing_price && f.price_cap && !f.no_lottery);
    }

    #[test]
    fn yuan_as_notices_print_it() {
        assert_eq!(format_yuan(Money::from_yuan(480).unwrap()), "480");
        assert_eq!(format_yuan(Money::from_fen(1_847_050)), "18470.50");
        assert_eq!(format_yuan(Money::ZERO), "0");
    }
}
