//! Checks a notice before publication and lists every problem at once.
//!
//! Why every problem and not the first: an officer fixing a notice with
//! three parcels should see all that is wrong in one preview, not discover
//! it one refusal at a time. Each [`PublishProblem`] has a stable
//! [`ProblemCode`] (for the API and tests), names the parcel and the
//! [`Field`], and carries a Chinese message that says what is wrong and
//! what would be right.
//!
//! # Statutory timing
//!
//! * **Notice period**: 《招标拍卖挂牌出让国有建设用地使用权规定》(Order 39) art. 10 —
//!   the notice appears at least 20 days before the listing begins
//!   ("挂牌开始日前20日"). Counted in Shanghai calendar dates: published on
//!   9 December, a listing may begin on 29 December.
//! * **Listing period**: Order 39 art. 19 says "挂牌时间不得少于10日" (calendar
//!   days); issue #3 asks for 10 working days. Both are available through
//!   [`PublicationRules`]; the default is working days. Either way the period
//!   is measured strictly, so that no reading of "at least" can find it
//!   short: the listing must end no earlier than `N` days (`start + N × 24 h`)
//!   or `N` working days ([`WorkingCalendar::add_working_days`]: the same
//!   time of day on the `N`-th working day after the start date) after it
//!   starts. [`listing_timing`] gives the figures for a preview.
//!
//! The seed's listing, 2020-12-29 00:00 to 2021-01-08 11:00, lasts 10 days
//! and 11 hours: it satisfies Order 39's 10 days, but only 7 whole working
//! days elapse (it is open on 8 working days; 1–3 January 2021 are a
//! holiday and a weekend), so under the working-day rule it is refused,
//! and the earliest end would be 2021-01-13 00:00.

use super::notation::{statutory_max_years, IndicatorRange, Terms};
use super::parcel::{
    parse_location, parse_note, BiddingMode, FollowOn, Parcel, ParcelCode, RuleFeatures, Windows,
};
use super::window::Window;
use super::{Notice, NoticeStatus};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use yiwang_core::{Money, Ratio, Timestamp, WorkingCalendar};

/// The longest sealed-offer window accepted (ten years, the engine's bound
/// on every duration).
const MAX_FOLLOW_ON_WINDOW_S: i64 = 10 * 366 * 86_400;

/// The timing rules a notice must meet; configurable because the law
/// (calendar days) and local practice (working days) differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationRules {
    /// Calendar days between the publication date and the listing's first
    /// date (Order 39 art. 10: 20).
    pub min_notice_days: u32,
    /// The listing's minimum length (10).
    pub min_listing_days: u32,
    /// Whether `min_listing_days` counts working days (issue #3) or
    /// calendar days (Order 39 art. 19).
    pub listing_days_are_working_days: bool,
}

impl Default for PublicationRules {
    /// 20 days' notice and 10 working days of listing, as issue #3 asks.
    fn default() -> Self {
        PublicationRules {
            min_notice_days: 20,
            min_listing_days: 10,
            listing_days_are_working_days: true,
        }
    }
}

impl PublicationRules {
    /// Order 39 as written: 20 days' notice, 10 calendar days of listing.
    pub fn order_39() -> Self {
        PublicationRules {
            listing_days_are_working_days: false,
            ..PublicationRules::default()
        }
    }
}

/// What is wrong, as a stable code for the API and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemCode {
    /// The notice is not a draft.
    NotDraft,
    /// A required field is empty or missing.
    Missing,
    /// The notice has no parcels.
    NoParcels,
    /// Two parcels share a code.
    DuplicateParcelCode,
    /// A text field is malformed (control characters, too long).
    InvalidText,
    /// An amount, area or quantity is zero or negative.
    NotPositive,
    /// The total price of the parcel does not fit.
    TotalTooLarge,
    /// The price cap is not above the start price.
    PriceCapNotAboveStart,
    /// The price cap cannot be reached in whole increments.
    PriceCapOffIncrement,
    /// A follow-on parameter is malformed.
    InvalidFollowOn,
    /// The rule text is not understood, or names several follow-ons.
    RuleTextUnclear,
    /// The rule text and the typed rule disagree.
    RuleTextMismatch,
    /// A planning range or the terms are not coherent.
    InvalidIndicator,
    /// A term is longer than the law allows for the use.
    TermExceedsStatutory,
    /// A window does not end after it starts.
    WindowNotWellFormed,
    /// A time is not a whole second (the notice cannot print it).
    TimeNotWholeSecond,
    /// A window opens before the notice is published.
    OpensBeforePublication,
    /// Applications or deposits close at or after the listing's end.
    ClosesAfterListingEnd,
    /// Deposits close before applications do.
    DepositClosesBeforeApplication,
    /// Fewer than `min_notice_days` between publication and listing.
    NoticePeriodTooShort,
    /// The listing is shorter than `min_listing_days`.
    ListingPeriodTooShort,
}

impl ProblemCode {
    /// The code as text, e.g. `notice_period_too_short`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::NotDraft => "not_draft",
            ProblemCode::Missing => "missing",
            ProblemCode::NoParcels => "no_parcels",
            ProblemCode::DuplicateParcelCode => "duplicate_parcel_code",
            ProblemCode::InvalidText => "invalid_text",
            ProblemCode::NotPositive => "not_positive",
            ProblemCode::TotalTooLarge => "total_too_large",
            ProblemCode::PriceCapNotAboveStart => "price_cap_not_above_start",
            ProblemCode::PriceCapOffIncrement => "price_cap_off_increment",
            ProblemCode::InvalidFollowOn => "invalid_follow_on",
            ProblemCode::RuleTextUnclear => "rule_text_unclear",
            ProblemCode::RuleTextMismatch => "rule_text_mismatch",
            ProblemCode::InvalidIndicator => "invalid_indicator",
            ProblemCode::TermExceedsStatutory => "term_exceeds_statutory",
            ProblemCode::WindowNotWellFormed => "window_not_well_formed",
            ProblemCode::TimeNotWholeSecond => "time_not_whole_second",
            ProblemCode::OpensBeforePublication => "opens_before_publication",
            ProblemCode::ClosesAfterListingEnd => "closes_after_listing_end",
            ProblemCode::DepositClosesBeforeApplication => "deposit_closes_before_application",
            ProblemCode::NoticePeriodTooShort => "notice_period_too_short",
            ProblemCode::ListingPeriodTooShort => "listing_period_too_short",
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The field a problem concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Field {
    Status,
    Title,
    Issuer,
    Preamble,
    Notes,
    Parcels,
    Code,
    Location,
    LandUse,
    LandArea,
    FloorArea,
    Far,
    Density,
    GreenRatio,
    Terms,
    StartPrice,
    Increment,
    Deposit,
    Rule,
    HousingPriceCap,
    PriceCap,
    FollowOn,
    Windows,
    ApplicationWindow,
    DepositWindow,
    ListingWindow,
}

impl Field {
    /// The field as text, e.g. `start_price`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Status => "status",
            Field::Title => "title",
            Field::Issuer => "issuer",
            Field::Preamble => "preamble",
            Field::Notes => "notes",
            Field::Parcels => "parcels",
            Field::Code => "code",
            Field::Location => "location",
            Field::LandUse => "land_use",
            Field::LandArea => "land_area",
            Field::FloorArea => "floor_area",
            Field::Far => "far",
            Field::Density => "density",
            Field::GreenRatio => "green_ratio",
            Field::Terms => "terms",
            Field::StartPrice => "start_price",
            Field::Increment => "increment",
            Field::Deposit => "deposit",
            Field::Rule => "rule",
            Field::HousingPriceCap => "housing_price_cap",
            Field::PriceCap => "price_cap",
            Field::FollowOn => "follow_on",
            Field::Windows => "windows",
            Field::ApplicationWindow => "application_window",
            Field::DepositWindow => "deposit_window",
            Field::ListingWindow => "listing_window",
        }
    }

    /// The field's name on the notice.
    pub fn label_cn(self) -> &'static str {
        match self {
            Field::Status => "公告状态",
            Field::Title => "公告标题",
            Field::Issuer => "发布机关",
            Field::Preamble => "公告正文",
            Field::Notes => "注",
            Field::Parcels => "出让地块",
            Field::Code => "地块编号",
            Field::Location => "地块位置",
            Field::LandUse => "用地性质",
            Field::LandArea => "土地面积",
            Field::FloorArea => "建筑面积",
            Field::Far => "容积率",
            Field::Density => "建筑密度",
            Field::GreenRatio => "绿地率",
            Field::Terms => "出让年期",
            Field::StartPrice => "起挂牌价",
            Field::Increment => "加价幅度",
            Field::Deposit => "竞买保证金",
            Field::Rule => "竞买规则",
            Field::HousingPriceCap => "房屋最高备案指导均价",
            Field::PriceCap => "最高限价",
            Field::FollowOn => "达到最高限价后的竞价方式",
            Field::Windows => "竞买申请、保证金和挂牌时间",
            Field::ApplicationWindow => "网上竞买申请时间",
            Field::DepositWindow => "缴纳保证金时间",
            Field::ListingWindow => "网上挂牌出让时间",
        }
    }
}

/// One thing that stops a notice from being published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishProblem {
    pub code: ProblemCode,
    /// The parcel concerned, if any.
    pub parcel: Option<ParcelCode>,
    pub field: Option<Field>,
    /// What is wrong and what is expected, in Chinese, naming the parcel and
    /// the field.
    pub message: String,
}

impl fmt::Display for PublishProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The figures of a parcel's timing, for a preview and for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListingTiming {
    /// Calendar days from the publication date to the listing's first date.
    pub notice_days: i64,
    /// Whole days (24 h) the listing lasts.
    pub listing_days: i64,
    /// Whole working days that elapse during the listing (see the module
    /// documentation for the counting).
    pub listing_working_days: u32,
    /// Working days on which the listing is open at some moment.
    pub listing_open_working_days: u32,
    /// The earliest listing end that meets the rules.
    pub earliest_listing_end: Timestamp,
    /// The last Shanghai date on which the notice may be published.
    pub latest_publication_date: time::Date,
}

/// Computes the timing figures of a listing window published at
/// `publish_at`.
pub fn listing_timing(
    listing: &Window,
    publish_at: Timestamp,
    calendar: &WorkingCalendar,
    rules: &PublicationRules,
) -> ListingTiming {
    let start_date = listing.start.shanghai_date();
    let end_date = listing.end.shanghai_date();
    let notice_days = (start_date - publish_at.shanghai_date()).whole_days();
    let listing_days = listing.end.micros_since(listing.start).max(0) / 86_400_000_000;

    // add_working_days(start, n) ≤ end, for the largest n: the n-th working
    // date after the start date lies before the end date, or is the end
    // date and the start's time of day is not after the end's.
    let mut elapsed = 0;
    let mut open = 0;
    if listing.end > listing.start {
        let after_start = start_date.next_day().unwrap_or(start_date);
        elapsed = calendar.working_days_between(after_start, end_date);
        if end_date > start_date
            && calendar.is_working_day(end_date)
            && listing.start.shanghai_micros_of_day() <= listing.end.shanghai_micros_of_day()
        {
            elapsed += 1;
        }
        open = calendar.working_days_between(start_date, end_date);
        if listing.end.shanghai_micros_of_day() > 0 && calendar.is_working_day(end_date) {
            open += 1;
        }
    }
    let n = rules.min_listing_days;
    let earliest_listing_end = if rules.listing_days_are_working_days {
        calendar.add_working_days(listing.start, n)
    } else {
        listing.start.add_secs(i64::from(n) * 86_400)
    };
    let latest_publication_date = start_date
        .checked_sub(time::Duration::days(i64::from(rules.min_notice_days)))
        .unwrap_or(time::Date::MIN);
    ListingTiming {
        notice_days,
        listing_days,
        listing_working_days: elapsed,
        listing_open_working_days: open,
        earliest_listing_end,
        latest_publication_date,
    }
}

/// [`validate_for_publication_with`] under the default
/// [`PublicationRules`] (20 days' notice, 10 working days of listing).
pub fn validate_for_publication(
    notice: &Notice,
    publish_at: Timestamp,
    calendar: &WorkingCalendar,
) -> Result<(), Vec<PublishProblem>> {
    validate_for_publication_with(notice, publish_at, calendar, &PublicationRules::default())
}

/// Checks everything that must hold for `notice` to be published at
/// `publish_at`, and returns every problem found, in the notice's order
/// (the notice first, then each parcel field by field).
pub fn validate_for_publication_with(
    notice: &Notice,
    publish_at: Timestamp,
    calendar: &WorkingCalendar,
    rules: &PublicationRules,
) -> Result<(), Vec<PublishProblem>> {
    let mut out = Problems::default();
    check_notice(notice, &mut out);
    let mut seen = HashSet::new();
    for parcel in &notice.parcels {
        let mut p = ParcelProblems {
            parcel,
            out: &mut out,
        };
        if !seen.insert(&parcel.code) {
            p.push(
                ProblemCode::DuplicateParcelCode,
                Field::Code,
                "与另一地块重复：同一公告中的地块编号不能相同".to_owned(),
            );
        }
        check_parcel(&mut p);
        if let Some(windows) = &parcel.windows {
            check_windows(&mut p, windows, publish_at, calendar, rules);
        }
    }
    if out.0.is_empty() {
        Ok(())
    } else {
        Err(out.0)
    }
}

#[derive(Default)]
struct Problems(Vec<PublishProblem>);

impl Problems {
    fn notice(&mut self, code: ProblemCode, field: Field, message: String) {
        self.0.push(PublishProblem {
            code,
            parcel: None,
            field: Some(field),
            message,
        });
    }
}

struct ParcelProblems<'a> {
    parcel: &'a Parcel,
    out: &'a mut Problems,
}

impl ParcelProblems<'_> {
    /// Records a problem; the message is prefixed with the parcel and the
    /// field: "地块 U20041 的“起挂牌价”…".
    fn push(&mut self, code: ProblemCode, field: Field, what: String) {
        self.out.0.push(PublishProblem {
            code,
            parcel: Some(self.parcel.code.clone()),
            field: Some(field),
            message: format!("地块 {} 的“{}”{what}", self.parcel.code, field.label_cn()),
        });
    }

    fn missing(&mut self, field: Field) {
        self.push(
            ProblemCode::Missing,
            field,
            "未填写：发布前必须填写".to_owned(),
        );
    }

    fn positive(&mut self, field: Field, value: Option<Money>, unit: &str) {
        match value {
            None => self.missing(field),
            Some(v) if !v.is_positive() => self.push(
                ProblemCode::NotPositive,
                field,
                format!("为 {}{unit}：必须大于 0", v.to_yuan_string()),
            ),
            Some(_) => {}
        }
    }
}

fn check_notice(notice: &Notice, out: &mut Problems) {
    if notice.status != NoticeStatus::Draft {
        out.notice(
            ProblemCode::NotDraft,
            Field::Status,
            format!(
                "公告{}{}：只有草稿可以发布",
                notice.number,
                notice.status.label_cn()
            ),
        );
    }
    for (field, value) in [
        (Field::Title, &notice.title),
        (Field::Issuer, &notice.issuer),
        (Field::Preamble, &notice.preamble),
    ] {
        if value.trim().is_empty() {
            out.notice(
                ProblemCode::Missing,
                field,
                format!("公告的“{}”未填写：发布前必须填写", field.label_cn()),
            );
        } else if value.chars().any(|c| c.is_control() && c != '\n')
            || (field != Field::Preamble && value.contains('\n'))
        {
            out.notice(
                ProblemCode::InvalidText,
                field,
                format!("公告的“{}”含有制表符等控制字符：请删除", field.label_cn()),
            );
        }
    }
    for (i, note) in notice.notes.iter().enumerate() {
        if let Err(e) = parse_note(note) {
            out.notice(
                ProblemCode::InvalidText,
                Field::Notes,
                format!("公告的第 {} 条注无效：{e}", i + 1),
            );
        }
    }
    if notice.parcels.is_empty() {
        out.notice(
            ProblemCode::NoParcels,
            Field::Parcels,
            "公告没有出让地块：至少要有一宗地块".to_owned(),
        );
    }
}

fn check_range(
    p: &mut ParcelProblems<'_>,
    field: Field,
    range: Option<&IndicatorRange>,
    required: bool,
) {
    match range {
        None if required => p.missing(field),
        None => {}
        Some(range) => {
            if let Err(e) = range.check() {
                p.push(
                    ProblemCode::InvalidIndicator,
                    field,
                    format!("“{range}”无效：{e}"),
                );
            }
        }
    }
}

fn check_terms(p: &mut ParcelProblems<'_>, terms: Option<&Terms>) {
    let Some(terms) = terms else {
        p.missing(Field::Terms);
        return;
    };
    if let Err(e) = terms.check() {
        p.push(
            ProblemCode::InvalidIndicator,
            Field::Terms,
            format!("“{terms}”无效：{e}"),
        );
        return;
    }
    let land_use = p.parcel.land_use.as_str().to_owned();
    let uses: Vec<(String, u16)> = match terms {
        Terms::Single(years) => vec![(land_use, *years)],
        Terms::PerUse(items) => items
            .iter()
            .map(|t| (t.use_name.clone(), t.years))
            .collect(),
    };
    for (use_name, years) in uses {
        let max = statutory_max_years(&use_name);
        if years > max {
            p.push(
                ProblemCode::TermExceedsStatutory,
                Field::Terms,
                format!(
                    "中{use_name}为 {years} 年，超过法定最高年限 {max} 年（《城镇国有土地使用权出让和转让暂行条例》第十二条）"
                ),
            );
        }
    }
}

fn check_parcel(p: &mut ParcelProblems<'_>) {
    let parcel = p.parcel;
    if let Err(e) = parse_location(&parcel.location) {
        let code = if parcel.location.trim().is_empty() {
            ProblemCode::Missing
        } else {
            ProblemCode::InvalidText
        };
        p.push(code, Field::Location, format!("无效：{e}"));
    }
    if !parcel.land_area.is_positive() {
        p.push(
            ProblemCode::NotPositive,
            Field::LandArea,
            format!("为 {} 平方米：必须大于 0", parcel.land_area),
        );
    }
    check_range(p, Field::FloorArea, parcel.floor_area.as_ref(), false);
    check_range(p, Field::Far, parcel.far.as_ref(), true);
    check_range(p, Field::Density, parcel.density.as_ref(), false);
    check_range(p, Field::GreenRatio, parcel.green_ratio.as_ref(), false);
    check_terms(p, parcel.terms.as_ref());
    for (i, note) in parcel.notes.iter().enumerate() {
        if let Err(e) = parse_note(note) {
            p.push(
                ProblemCode::InvalidText,
                Field::Notes,
                format!("第 {} 条无效：{e}", i + 1),
            );
        }
    }

    let unit = match parcel.price_basis {
        super::PriceBasis::Unit => " 元/平方米",
        super::PriceBasis::Total => " 元",
    };
    p.positive(Field::StartPrice, parcel.start_price, unit);
    p.positive(Field::Increment, parcel.increment, unit);
    p.positive(Field::Deposit, parcel.deposit, " 元");
    if let Some(start) = parcel.start_price.filter(|m| m.is_positive()) {
        if parcel.total_price(start).is_none() {
            p.push(
                ProblemCode::TotalTooLarge,
                Field::StartPrice,
                "乘以土地面积后的总价过大：请核对单价和面积".to_owned(),
            );
        }
    }
    check_rule(p);
    if parcel.windows.is_none() {
        p.missing(Field::Windows);
    }
}

fn check_rule(p: &mut ParcelProblems<'_>) {
    let parcel = p.parcel;
    let rule = &parcel.rule;
    if let BiddingMode::LimitedHousingPrice { housing_price_cap } = rule.mode {
        p.positive(Field::HousingPriceCap, housing_price_cap, " 元/平方米");
    }
    if let Some(cap) = &rule.price_cap {
        if let Some(start) = parcel.start_price.filter(|m| m.is_positive()) {
            if cap.max_price <= start {
                p.push(
                    ProblemCode::PriceCapNotAboveStart,
                    Field::PriceCap,
                    format!(
                        "为 {}，不高于起挂牌价 {}：最高限价必须高于起挂牌价",
                        cap.max_price.to_yuan_string(),
                        start.to_yuan_string()
                    ),
                );
            } else if let Some(inc) = parcel.increment.filter(|m| m.is_positive()) {
                if (cap.max_price.fen() - start.fen()) % inc.fen() != 0 {
                    p.push(
                        ProblemCode::PriceCapOffIncrement,
                        Field::PriceCap,
                        format!(
                            "为 {}，与起挂牌价 {} 之差不是加价幅度 {} 的整数倍：竞价无法恰好达到最高限价",
                            cap.max_price.to_yuan_string(),
                            start.to_yuan_string(),
                            inc.to_yuan_string()
                        ),
                    );
                }
            }
        }
        if parcel.total_price(cap.max_price).is_none() {
            p.push(
                ProblemCode::TotalTooLarge,
                Field::PriceCap,
                "乘以土地面积后的总价过大：请核对".to_owned(),
            );
        }
        check_follow_on(p, &cap.follow_on);
    }
    if let Some(text) = &rule.text {
        check_rule_text(p, text);
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// At most two decimals: the engine counts quantities in hundredths.
fn centi_ok(r: Ratio) -> bool {
    r.ten_thousandths() % 100 == 0
}

fn check_follow_on(p: &mut ParcelProblems<'_>, follow_on: &FollowOn) {
    let bad = |p: &mut ParcelProblems<'_>, what: String| {
        p.push(ProblemCode::InvalidFollowOn, Field::FollowOn, what);
    };
    match follow_on {
        FollowOn::Lottery { seed_sha256 } => match seed_sha256 {
            None => bad(
                p,
                "为摇号，但未填写摇号种子的 SHA-256：发布前必须公布".to_owned(),
            ),
            Some(h) if !is_sha256_hex(h) => {
                bad(
                    p,
                    format!("的摇号种子 SHA-256“{h}”无效：应为 64 位小写十六进制数字"),
                );
            }
            Some(_) => {}
        },
        FollowOn::SealedAverage {
            window_s,
            low,
            high,
        } => {
            match window_s {
                None => bad(p, "为一次报价，但未填写报价时长".to_owned()),
                Some(s) if !(1..=MAX_FOLLOW_ON_WINDOW_S).contains(s) => {
                    bad(
                        p,
                        format!("的一次报价时长 {s} 秒无效：应大于 0 且不超过十年"),
                    );
                }
                Some(_) => {}
            }
            match (low, high) {
                (Some(low), Some(high)) => {
                    if !low.is_positive() || low > high {
                        bad(
                            p,
                            format!(
                                "的一次报价范围 {}–{} 无效：下限必须大于 0 且不高于上限",
                                low.to_yuan_string(),
                                high.to_yuan_string()
                            ),
                        );
                    } else if p.parcel.total_price(*high).is_none() {
                        bad(p, "的一次报价上限乘以土地面积后过大".to_owned());
                    }
                }
                _ => bad(p, "为一次报价，但未填写报价范围的上下限".to_owned()),
            }
        }
        FollowOn::Ascending {
            quantity,
            start,
            increment,
            max,
        } => {
            let name = quantity.label_cn();
            let Some(start) = start else {
                bad(p, format!("为{name}，但未填写起始值"));
                return;
            };
            let Some(increment) = increment else {
                bad(p, format!("为{name}，但未填写增幅"));
                return;
            };
            if increment.ten_thousandths() <= 0 {
                bad(p, format!("的{name}增幅必须大于 0"));
            }
            for (what, v) in [
                ("起始值", Some(*start)),
                ("增幅", Some(*increment)),
                ("上限", *max),
            ] {
                if let Some(v) = v {
                    if !centi_ok(v) {
                        bad(p, format!("的{name}{what} {v} 最多 2 位小数"));
                    }
                }
            }
            if let Some(max) = max {
                if max < start {
                    bad(p, format!("的{name}上限 {max} 低于起始值 {start}"));
                }
            }
            if *quantity == super::AscendingQuantity::SelfHeld {
                let hundred = Ratio::from_parts(100, 0).unwrap_or(Ratio::ZERO);
                if *start > hundred || max.is_some_and(|m| m > hundred) {
                    bad(p, format!("的{name}比例不能超过 100%"));
                }
            }
        }
    }
}

fn check_rule_text(p: &mut ParcelProblems<'_>, text: &str) {
    let rule = &p.parcel.rule;
    if text.trim().is_empty() || text.chars().any(char::is_control) {
        p.push(
            ProblemCode::InvalidText,
            Field::Rule,
            "的文字为空或含有控制字符：请照公告填写，例如 本地块竞买实行限房价竞地价不摇号"
                .to_owned(),
        );
        return;
    }
    let f = RuleFeatures::of(text);
    if !f.is_recognised() || f.conflicting_follow_ons {
        p.push(
            ProblemCode::RuleTextUnclear,
            Field::Rule,
            format!(
                "“{text}”无法确定竞价方式：应写明价高者得、限房价竞地价，以及达到最高限价后的方式（摇号、一次报价、竞配建或竞自持）中的一种"
            ),
        );
        return;
    }
    let typed_limited = matches!(rule.mode, BiddingMode::LimitedHousingPrice { .. });
    if f.limited_housing_price != typed_limited {
        let what = if typed_limited {
            format!("“{text}”没有写明限房价竞地价，但地块设为限房价竞地价")
        } else {
            format!(
                "“{text}”写明限房价竞地价，但地块未设为限房价竞地价，也没有房屋最高备案指导均价"
            )
        };
        p.push(ProblemCode::RuleTextMismatch, Field::Rule, what);
    }
    let typed = rule.price_cap.as_ref().map(|c| c.follow_on.kind());
    if f.no_lottery && typed == Some(super::FollowOnKind::Lottery) {
        p.push(
            ProblemCode::RuleTextMismatch,
            Field::Rule,
            format!("“{text}”写明不摇号，但达到最高限价后的方式设为摇号"),
        );
    } else if f.follow_on != typed {
        let said = f.follow_on.map_or("未写明方式", |k| k.label_cn());
        let set = typed.map_or("未设最高限价", |k| k.label_cn());
        p.push(
            ProblemCode::RuleTextMismatch,
            Field::Rule,
            format!("“{text}”与设置不一致：文字为“{said}”，设置为“{set}”"),
        );
    }
}

fn check_windows(
    p: &mut ParcelProblems<'_>,
    windows: &Windows,
    publish_at: Timestamp,
    calendar: &WorkingCalendar,
    rules: &PublicationRules,
) {
    let named = [
        (Field::ApplicationWindow, &windows.application),
        (Field::DepositWindow, &windows.deposit),
        (Field::ListingWindow, &windows.listing),
    ];
    let mut well_formed = true;
    for (field, w) in named {
        if !w.is_well_formed() {
            well_formed = false;
            p.push(
                ProblemCode::WindowNotWellFormed,
                field,
                format!(
                    "结束时间（{}）不晚于开始时间（{}）",
                    w.end.format_cn(),
                    w.start.format_cn()
                ),
            );
        }
        for t in [w.start, w.end] {
            if t.micros() % 1_000_000 != 0 {
                p.push(
                    ProblemCode::TimeNotWholeSecond,
                    field,
                    format!("中的时间 {} 不是整秒：公告只能写到秒", t.to_rfc3339()),
                );
            }
        }
        if w.start < publish_at {
            p.push(
                ProblemCode::OpensBeforePublication,
                field,
                format!(
                    "开始于 {}，早于公告发布时间 {}：公告发布前不能开始",
                    w.start.format_cn(),
                    publish_at.format_cn()
                ),
            );
        }
    }
    for (field, w) in [
        (Field::ApplicationWindow, &windows.application),
        (Field::DepositWindow, &windows.deposit),
    ] {
        if w.end >= windows.listing.end {
            p.push(
                ProblemCode::ClosesAfterListingEnd,
                field,
                format!(
                    "截止于 {}，不早于挂牌截止时间 {}：必须在挂牌结束前截止",
                    w.end.format_cn(),
                    windows.listing.end.format_cn()
                ),
            );
        }
    }
    if windows.deposit.end < windows.application.end {
        p.push(
            ProblemCode::DepositClosesBeforeApplication,
            Field::DepositWindow,
            format!(
                "截止于 {}，早于竞买申请截止时间 {}：最后提交申请的竞买人将无法缴纳保证金",
                windows.deposit.end.format_cn(),
                windows.application.end.format_cn()
            ),
        );
    }
    if !well_formed {
        return;
    }
    let listing = &windows.listing;
    let timing = listing_timing(listing, publish_at, calendar, rules);
    if timing.notice_days < i64::from(rules.min_notice_days) {
        p.push(
            ProblemCode::NoticePeriodTooShort,
            Field::ListingWindow,
            format!(
                "开始于 {}，距公告发布日 {} 仅 {} 日，应至少 {} 日：公告应不晚于 {} 发布，或推迟挂牌开始时间",
                listing.start.format_cn_date(),
                publish_at.format_cn_date(),
                timing.notice_days,
                rules.min_notice_days,
                format_date(timing.latest_publication_date),
            ),
        );
    }
    if listing.end < timing.earliest_listing_end {
        let (have, unit) = if rules.listing_days_are_working_days {
            (
                format!(
                    "只有 {} 个完整工作日（挂牌期内共有 {} 个工作日）",
                    timing.listing_working_days, timing.listing_open_working_days
                ),
                "个工作日",
            )
        } else {
            (format!("只有 {} 个完整日", timing.listing_days), "日")
        };
        p.push(
            ProblemCode::ListingPeriodTooShort,
            Field::ListingWindow,
            format!(
                "（{}）{have}，应至少 {} {unit}：挂牌截止时间应不早于 {}",
                listing.format_cn(),
                rules.min_listing_days,
                timing.earliest_listing_end.format_cn()
            ),
        );
    }
}

fn format_date(date: time::Date) -> String {
    format!(
        "{}年{:02}月{:02}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
