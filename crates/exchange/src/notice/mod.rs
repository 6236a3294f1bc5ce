//! Transfer notices (出让公告): what an exchange officer drafts, checks,
//! publishes and amends before any bid is made.
//!
//! A notice is the legal basis of every listing: its tables fix each
//! parcel's planning conditions, start price, deposit, bidding rule and
//! windows, and the law fixes how early it must appear (《招标拍卖挂牌出让国有建设用地
//! 使用权规定》, Order 39). So the notice is modelled as data that is
//! checked as a whole before publication, printed exactly as the public
//! reads it, and never edited once published — only amended by a
//! supplementary notice (补充公告) or terminated (终止).
//!
//! Everything here is pure: no I/O, no clock, no database. The server gives
//! the times and stores the results; the same code runs in the preview, in
//! imports and in tests.
//!
//! | module | what it holds |
//! |---|---|
//! | [`notation`] | [`IndicatorRange`] (`≥0.45且<0.91`, `≤226700(商业≥3000)`) and [`Terms`] (`居住70,商业40`) |
//! | [`window`] | [`Window`], read and written as "2020年12月29日起,2021年1月6日上午11时止" |
//! | [`parcel`] | [`Parcel`] with every field of the seed's tables, the [`BiddingRule`] |
//! | [`publish`] | [`validate_for_publication`]: every problem at once, each with a stable code |
//! | [`import`] | the notice's tables pasted from Excel (TSV), CSV or an XLSX grid → draft parcels |
//! | [`render`] | the official form as plain text and as a view model for HTML |
//! | [`listing`] | a published parcel → the engine's [`ListingRules`](crate::engine::ListingRules) |
//! | [`seed`] | the seed's two notices (第60号, 第61号) as data |
//!
//! # Lifecycle
//!
//! ```text
//! Draft ──publish (validated)──▶ Published ──terminate──▶ Terminated
//!   ▲ edit freely                   │ add_supplement
//!   └───────────────                └─────────────▶ Published (amended)
//! ```

pub mod import;
pub mod listing;
pub mod notation;
pub mod parcel;
pub mod publish;
pub mod render;
pub mod seed;
pub mod window;

pub use import::{
    import_grids, import_text, CellProblem, Grid, ImportError, ImportOptions, Imported, TextFormat,
};
pub use notation::{Bound, IndicatorRange, Interval, NotationError, SubLimit, Terms, UseTerm};
pub use parcel::{
    AscendingQuantity, BiddingMode, BiddingRule, FollowOn, FollowOnKind, LandUse, Parcel,
    ParcelCode, PriceBasis, PriceCap, RuleFeatures, Windows,
};
pub use publish::{
    listing_timing, validate_for_publication, validate_for_publication_with, Field, ListingTiming,
    ProblemCode, PublicationRules, PublishProblem,
};
pub use render::{render_text, NoticeView, TableLayout, TableView};
pub use window::{Window, WindowError};

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use yiwang_core::{Timestamp, WorkingCalendar};

/// The title of a Nantong urban-area transfer notice.
pub const DEFAULT_TITLE: &str = "南通市市区国有建设用地使用权出让公告";
/// The issuing authority of the seed's notices.
pub const DEFAULT_ISSUER: &str = "南通市自然资源和规划局";
/// The prefix of the seed's notice numbers.
pub const DEFAULT_NUMBER_PREFIX: &str = "通自然资规告出网";

/// A notice number: `通自然资规告出网(2020)第60号` — an issuer's prefix, the
/// year and the serial within the year.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoticeNumber {
    prefix: String,
    year: u16,
    serial: u32,
}

/// Why a text is not a notice number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeNumberError {
    #[error("公告编号格式不正确：应为“文号前缀(年份)第N号”，例如 通自然资规告出网(2020)第60号")]
    Shape,
    #[error("公告编号的年份 {year} 无效：应为四位年份，例如 2020")]
    Year { year: String },
    #[error("公告编号的序号无效：应为正整数，例如 第60号")]
    Serial,
}

impl NoticeNumber {
    /// A number from its parts; the prefix must be non-empty text without
    /// brackets, digits or whitespace, the year 1000–9999, the serial ≥ 1.
    pub fn new(prefix: &str, year: u16, serial: u32) -> Result<NoticeNumber, NoticeNumberError> {
        let prefix_ok = !prefix.is_empty()
            && prefix.chars().count() <= 30
            && !prefix.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || c.is_ascii_digit()
                    || "()（）〔〕[]".contains(c)
            });
        if !prefix_ok {
            return Err(NoticeNumberError::Shape);
        }
        if !(1000..=9999).contains(&year) {
            return Err(NoticeNumberError::Year {
                year: year.to_string(),
            });
        }
        if serial == 0 {
            return Err(NoticeNumberError::Serial);
        }
        Ok(NoticeNumber {
            prefix: prefix.to_owned(),
            year,
            serial,
        })
    }

    /// Parses `通自然资规告出网(2020)第60号`; whitespace and line breaks
    /// (the seed prints the number on two lines) are ignored, and `（）`,
    /// `〔〕` and `[]` are accepted for the parentheses.
    pub fn parse(text: &str) -> Result<NoticeNumber, NoticeNumberError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let open = compact
            .find(['(', '（', '〔', '['])
            .ok_or(NoticeNumberError::Shape)?;
        let prefix = &compact[..open];
        let rest = &compact[open..];
        let rest = rest
            .get(rest.chars().next().map_or(0, char::len_utf8)..)
            .unwrap_or("");
        let close = rest
            .find([')', '）', '〕', ']'])
            .ok_or(NoticeNumberError::Shape)?;
        let year_text = &rest[..close];
        let rest = &rest[close..];
        let rest = rest
            .get(rest.chars().next().map_or(0, char::len_utf8)..)
            .unwrap_or("");
        let year: u16 = if year_text.len() == 4 && year_text.bytes().all(|b| b.is_ascii_digit()) {
            year_text.parse().map_err(|_| NoticeNumberError::Shape)?
        } else {
            return Err(NoticeNumberError::Year {
                year: year_text.to_owned(),
            });
        };
        let serial_text = rest
            .strip_prefix('第')
            .and_then(|r| r.strip_suffix('号'))
            .ok_or(NoticeNumberError::Shape)?;
        if serial_text.is_empty()
            || serial_text.len() > 9
            || !serial_text.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NoticeNumberError::Serial);
        }
        let serial: u32 = serial_text.parse().map_err(|_| NoticeNumberError::Serial)?;
        NoticeNumber::new(prefix, year, serial)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    pub fn serial(&self) -> u32 {
        self.serial
    }
}

impl fmt::Display for NoticeNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})第{}号", self.prefix, self.year, self.serial)
    }
}

impl Serialize for NoticeNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NoticeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NoticeNumber::parse(&text).map_err(de::Error::custom)
    }
}

/// Where a notice is in its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum NoticeStatus {
    /// Being drafted: editable, not public.
    Draft,
    /// Public; its parcels are listings. Only supplements change it.
    Published,
    /// Terminated (终止) after publication, with the reason made public.
    Terminated { at: Timestamp, reason: String },
}

impl NoticeStatus {
    /// A stable code: `draft`, `published`, `terminated`.
    pub fn code(&self) -> &'static str {
        match self {
            NoticeStatus::Draft => "draft",
            NoticeStatus::Published => "published",
            NoticeStatus::Terminated { .. } => "terminated",
        }
    }

    /// The status in Chinese, for pages.
    pub fn label_cn(&self) -> &'static str {
        match self {
            NoticeStatus::Draft => "草稿",
            NoticeStatus::Published => "已发布",
            NoticeStatus::Terminated { .. } => "已终止",
        }
    }
}

/// A supplementary notice (补充公告) amending a published notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplement {
    /// Its own number or title, e.g. "通自然资规告出网(2020)第60号补充公告".
    pub number: String,
    pub published_at: Timestamp,
    /// The full text, printed as written.
    pub text: String,
}

/// Why a notice cannot make a change of state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeStateError {
    #[error("公告{number}{state}，不能直接修改：已发布的公告只能发布补充公告或终止")]
    NotEditable { number: String, state: &'static str },
    #[error("公告{number}尚未发布：草稿可以直接修改，无需补充公告或终止")]
    NotPublished { number: String },
    #[error("公告{number}已终止，不能再补充或终止")]
    AlreadyTerminated { number: String },
    #[error("补充公告的{field}不能为空")]
    EmptyField { field: &'static str },
    #[error("补充公告或终止的时间不能早于公告发布时间 {published}")]
    BeforePublication { published: String },
}

/// A transfer notice (出让公告).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// 通自然资规告出网(2020)第60号.
    pub number: NoticeNumber,
    /// 南通市市区国有建设用地使用权出让公告.
    pub title: String,
    /// 南通市自然资源和规划局.
    pub issuer: String,
    /// When it was published; `None` while a draft.
    pub published_at: Option<Timestamp>,
    /// The opening paragraph, printed as written (see
    /// [`render::standard_preamble`] for the seed's wording).
    pub preamble: String,
    pub parcels: Vec<Parcel>,
    /// Notes printed under the tables, without the "注:" ("节假日不休息").
    pub notes: Vec<String>,
    pub status: NoticeStatus,
    pub supplements: Vec<Supplement>,
}

impl Notice {
    /// An empty draft with the seed's title and issuer.
    pub fn draft(number: NoticeNumber) -> Notice {
        Notice {
            number,
            title: DEFAULT_TITLE.to_owned(),
            issuer: DEFAULT_ISSUER.to_owned(),
            published_at: None,
            preamble: String::new(),
            parcels: Vec::new(),
            notes: Vec::new(),
            status: NoticeStatus::Draft,
            supplements: Vec::new(),
        }
    }

    /// The parcel with `code`.
    pub fn parcel(&self, code: &ParcelCode) -> Option<&Parcel> {
        self.parcels.iter().find(|p| &p.code == code)
    }

    /// Whether the notice may still be edited: only a draft may.
    pub fn ensure_editable(&self) -> Result<(), NoticeStateError> {
        match self.status {
            NoticeStatus::Draft => Ok(()),
            _ => Err(NoticeStateError::NotEditable {
                number: self.number.to_string(),
                state: self.status.label_cn(),
            }),
        }
    }

    /// Publishes a draft at `at` if [`validate_for_publication_with`] finds
    /// nothing wrong; otherwise leaves it untouched and returns every
    /// problem.
    pub fn publish(
        &mut self,
        at: Timestamp,
        calendar: &WorkingCalendar,
        rules: &PublicationRules,
    ) -> Result<(), Vec<PublishProblem>> {
        validate_for_publication_with(self, at, calendar, rules)?;
        self.status = NoticeStatus::Published;
        self.published_at = Some(at);
        Ok(())
    }

    fn check_after_publication(&self, at: Timestamp) -> Result<(), NoticeStateError> {
        let number = self.number.to_string();
        match &self.status {
            NoticeStatus::Draft => return Err(NoticeStateError::NotPublished { number }),
            NoticeStatus::Terminated { .. } => {
                return Err(NoticeStateError::AlreadyTerminated { number })
            }
            NoticeStatus::Published => {}
        }
        if let Some(published) = self.published_at {
            if at < published {
                return Err(NoticeStateError::BeforePublication {
                    published: published.format_cn(),
                });
            }
        }
        Ok(())
    }

    /// Adds a supplementary notice to a published notice.
    pub fn add_supplement(&mut self, supplement: Supplement) -> Result<(), NoticeStateError> {
        self.check_after_publication(supplement.published_at)?;
        if supplement.number.trim().is_empty() {
            return Err(NoticeStateError::EmptyField { field: "编号" });
        }
        if supplement.text.trim().is_empty() {
            return Err(NoticeStateError::EmptyField { field: "正文" });
        }
        self.supplements.push(supplement);
        Ok(())
    }

    /// Terminates a published notice at `at` for `reason` (made public).
    pub fn terminate(&mut self, at: Timestamp, reason: &str) -> Result<(), NoticeStateError> {
        self.check_after_publication(at)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(NoticeStateError::EmptyField {
                field: "终止原因"
            });
        }
        self.status = NoticeStatus::Terminated {
            at,
            reason: reason.to_owned(),
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_numbers() {
        let n = NoticeNumber::parse("通自然资规告出网(2020)第60号").unwrap();
        assert_eq!(
            (n.prefix(), n.year(), n.serial()),
            ("通自然资规告出网", 2020, 60)
        );
        assert_eq!(n.to_string(), "通自然资规告出网(2020)第60号");
        // As the seed prints it, on two lines.
        let two_lines = NoticeNumber::parse("通自然资规告出网  \n(2020)第61号").unwrap();
        assert_eq!(two_lines.to_string(), "通自然资规告出网(2020)第61号");
        assert_eq!(
            NoticeNumber::parse("通自然资规告出网〔2020〕第61号").unwrap(),
            two_lines
        );
        assert_eq!(
            NoticeNumber::parse("通自然资规告出网（2020）第61号").unwrap(),
            two_lines
        );
        for bad in [
            "",
            "通自然资规告出网2020第60号",
            "(2020)第60号",
            "通自然资规告出网(20)第60号",
            "通自然资规告出网(2020)第号",
            "通自然资规告出网(2020)第0号",
            "通自然资规告出网(2020)60号",
            "通自然资规告出网(2020)第60",
            "通自然资规告出网(2020)第99999999999号",
        ] {
            assert!(NoticeNumber::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&n).unwrap();
        assert_eq!(json, "\"通自然资规告出网(2020)第60号\"");
        assert_eq!(serde_json::from_str::<NoticeNumber>(&json).unwrap(), n);
    }

    #[test]
    fn lifecycle() {
        let mut notice = seed::notice_60();
        let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
        assert!(notice.ensure_editable().is_ok());
        assert!(matches!(
            notice.terminate(t("2020-12-10T09:00:00+08:00"), "x"),
            Err(NoticeStateError::NotPublished { .. })
        ));
        notice
            .publish(
                t("2020-12-09T09:00:00+08:00"),
                &WorkingCalendar::shipped(),
                &PublicationRules::order_39(),
            )
            .unwrap();
        assert_eq!(notice.status, NoticeStatus::Published);
        assert!(matches!(
            notice.ensure_editable(),
            Err(NoticeStateError::NotEditable { .. })
        ));
        let supplement = Supplement {
            number: "通自然资规告出网(2020)第60号补充公告".into(),
            published_at: t("2020-12-20T09:00:00+08:00"),
            text: "U20041地块竞买保证金调整为80万元。".into(),
        };
        assert!(matches!(
            notice.add_supplement(Supplement {
                published_at: t("2020-12-01T00:00:00+08:00"),
                ..supplement.clone()
            }),
            Err(NoticeStateError::BeforePublication { .. })
        ));
        assert!(matches!(
            notice.add_supplement(Supplement {
                text: " ".into(),
                ..supplement.clone()
            }),
            Err(NoticeStateError::EmptyField { .. })
        ));
        notice.add_supplement(supplement).unwrap();
        assert_eq!(notice.supplements.len(), 1);
        assert!(notice
            .terminate(t("2020-12-21T09:00:00+08:00"), " ")
            .is_err());
        notice
            .terminate(t("2020-12-21T09:00:00+08:00"), "规划条件调整")
            .unwrap();
        assert_eq!(notice.status.code(), "terminated");
        assert_eq!(notice.status.label_cn(), "已终止");
        assert!(matches!(
            notice.terminate(t("2020-12-22T09:00:00+08:00"), "again"),
            Err(NoticeStateError::AlreadyTerminated { .. })
        ));
        let e = notice.ensure_editable().unwrap_err().to_string();
        assert_eq!(
            e,
            "公告通自然资规告出网(2020)第60号已终止，不能直接修改：已发布的公告只能发布补充公告或终止"
        );
    }

    #[test]
    fn a_refused_publication_changes_nothing() {
        let mut notice = seed::notice_60();
        let before = notice.clone();
        let late = Timestamp::parse_rfc3339("2020-12-20T09:00:00+08:00").unwrap();
        let problems = notice
            .publish(
                late,
                &WorkingCalendar::shipped(),
                &PublicationRules::order_39(),
            )
            .unwrap_err();
        assert!(!problems.is_empty());
        assert_eq!(notice, before);
    }
}
