//! Notices and listings as the web side reads and writes them: the stored
//! body, the publication check, a listing's public state.
//!
//! The store keeps a notice's content as JSON text (`body_json`) and its
//! state in columns. The content is the exchange crate's [`Notice`], plus
//! what only the web side needs per parcel: the district (所在区域) that the
//! public filters listings by. It is not part of the official form, so it
//! lives beside the notice ([`NoticeBody::districts`]) and a reader that
//! only knows [`Notice`] still reads the body.
//!
//! The state columns are the truth: [`decode`] overlays the status, the
//! publication time, the termination and the supplements onto the body.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yiwang_core::{Timestamp, WorkingCalendar};
use yiwang_exchange::engine::{lottery_seed_hash, Listing, ListingRules, Nonce, SealKind, Sealed};
use yiwang_exchange::notice::listing::listing_rules;
use yiwang_exchange::notice::{
    validate_for_publication_with, FollowOn, Notice, NoticeStatus, Parcel, PublicationRules,
    Supplement,
};
use yiwang_store::exchange::{
    ListingRow, NewListing, NoticeRow, NoticeStatus as RowStatus, SupplementRow,
};

use crate::error::AppError;
use crate::{AppState, Config};

/// What the store keeps in `body_json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeBody {
    #[serde(flatten)]
    pub notice: Notice,
    /// 所在区域 by parcel code (崇川区, 南通经济技术开发区…). Not printed on
    /// the notice; the listing carries it for the public's filters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub districts: BTreeMap<String, String>,
}

impl NoticeBody {
    /// The body as stored: the draft's content, without state.
    pub fn to_json(&self) -> String {
        let mut content = self.clone();
        content.notice.status = NoticeStatus::Draft;
        content.notice.published_at = None;
        content.notice.supplements.clear();
        serde_json::to_string(&content).unwrap_or_default()
    }

    /// The district of parcel `code`, or "".
    pub fn district(&self, code: &str) -> &str {
        self.districts.get(code).map_or("", String::as_str)
    }
}

/// A stored notice, read back: the row and its content with the row's
/// state applied.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: NoticeRow,
    pub body: NoticeBody,
}

impl Loaded {
    pub fn notice(&self) -> &Notice {
        &self.body.notice
    }
}

/// Reads a row's body and applies its state and `supplements`.
pub fn decode(row: NoticeRow, supplements: &[SupplementRow]) -> Result<Loaded, AppError> {
    let mut body: NoticeBody = serde_json::from_str(&row.body_json).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "notice {} has an unreadable body: {e}",
            row.id
        ))
    })?;
    let notice = &mut body.notice;
    notice.published_at = row.published_at.map(Timestamp::from_micros);
    notice.status = match row.status {
        RowStatus::Draft => NoticeStatus::Draft,
        RowStatus::Published => NoticeStatus::Published,
        RowStatus::Terminated => NoticeStatus::Terminated {
            at: Timestamp::from_micros(row.terminated_at.unwrap_or(row.updated_at)),
            reason: row.termination_reason.clone().unwrap_or_default(),
        },
    };
    notice.supplements = supplements
        .iter()
        .map(|s| Supplement {
            number: s.number.clone(),
            published_at: Timestamp::from_micros(s.published_at),
            text: s.text.clone(),
        })
        .collect();
    Ok(Loaded { row, body })
}

/// The notice `id` with its supplements; `NotFound` when there is none.
pub async fn load(app: &AppState, id: Uuid) -> Result<Loaded, AppError> {
    let row = app.store.notice(id).await?.ok_or(AppError::NotFound)?;
    let supplements = if row.status == RowStatus::Draft {
        Vec::new()
    } else {
        app.store.supplements(id).await?
    };
    decode(row, &supplements)
}

/// A notice the public may see (published or terminated); drafts are
/// `NotFound`.
pub async fn load_public(app: &AppState, id: Uuid) -> Result<Loaded, AppError> {
    let loaded = load(app, id).await?;
    if loaded.row.status == RowStatus::Draft {
        return Err(AppError::NotFound);
    }
    Ok(loaded)
}

/// The working-day calendar: the shipped one, with the configured file on
/// top.
pub fn calendar(config: &Config) -> Result<WorkingCalendar, AppError> {
    let shipped = WorkingCalendar::shipped();
    match &config.calendar_file {
        None => Ok(shipped),
        Some(path) => shipped
            .with_file(path)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("calendar file {path}: {e}"))),
    }
}

/// One thing that stops publication, as pages and tests show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable: the exchange crate's problem codes, plus `listing_rules`.
    pub code: String,
    pub parcel: Option<String>,
    pub message: String,
}

/// Everything that stops `notice` from being published at `at`, in the
/// notice's order; empty when it may be published.
///
/// A lottery's seed is drawn at publication ([`draw_lottery_seeds`]), so a
/// lottery follow-on without a published hash is not a problem here: the
/// check runs on a copy with seeds drawn.
pub fn publication_problems(
    notice: &Notice,
    at: Timestamp,
    calendar: &WorkingCalendar,
) -> Vec<Problem> {
    let mut notice = notice.clone();
    let seeds = draw_lottery_seeds(&mut notice);
    let mut out: Vec<Problem> =
        match validate_for_publication_with(&notice, at, calendar, &PublicationRules::default()) {
            Ok(()) => Vec::new(),
            Err(problems) => problems
                .into_iter()
                .map(|p| Problem {
                    code: p.code.as_str().to_owned(),
                    parcel: p.parcel.map(|c| c.to_string()),
                    message: p.message,
                })
                .collect(),
        };
    if out.is_empty() {
        for parcel in &notice.parcels {
            let seed = seeds.get(parcel.code.as_str()).map(String::as_str);
            if let Err(e) = listing_rules(parcel, no_reserve(parcel), seed) {
                out.push(Problem {
                    code: "listing_rules".to_owned(),
                    parcel: Some(parcel.code.to_string()),
                    message: e.to_string(),
                });
            }
        }
    }
    out
}

/// Draws a fresh random seed (64 hex digits) for every parcel whose price
/// cap is followed by a lottery, and puts the seed's SHA-256 into the
/// parcel, where the notice publishes it. Returns the seeds by parcel code:
/// they go into the listings' rules, and the trading desk keeps them
/// secret until the draw.
pub fn draw_lottery_seeds(notice: &mut Notice) -> BTreeMap<String, String> {
    use rand::RngCore;
    let mut seeds = BTreeMap::new();
    for parcel in &mut notice.parcels {
        if let Some(cap) = &mut parcel.rule.price_cap {
            if let FollowOn::Lottery { seed_sha256 } = &mut cap.follow_on {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let seed = hex::encode(bytes);
                *seed_sha256 = Some(lottery_seed_hash(&seed));
                seeds.insert(parcel.code.to_string(), seed);
            }
        }
    }
    seeds
}

/// A sealed "no reserve" with a fresh random nonce: listings open without a
/// reserve; officers set one later (§5).
pub fn no_reserve(parcel: &Parcel) -> Sealed<Option<yiwang_core::Money>> {
    use rand::RngCore;
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    Sealed::seal(SealKind::Reserve, parcel.code.as_str(), None, Nonce(nonce))
}

/// A listing to create for `parcel`, and the rules its log opens with.
/// `lottery_seed` is the parcel's seed when its follow-on is a lottery.
pub fn plan_listing(
    parcel: &Parcel,
    district: &str,
    lottery_seed: Option<&str>,
    now: Timestamp,
) -> Result<(NewListing, ListingRules), AppError> {
    let rules = listing_rules(parcel, no_reserve(parcel), lottery_seed)
        .map_err(|e| AppError::field("parcels", e.to_string()))?;
    let engine = Listing::new(rules.clone()).map_err(|e| {
        AppError::field(
            "parcels",
            format!("地块 {} 的挂牌规则无效：{e}", parcel.code),
        )
    })?;
    let schedule = &rules.schedule;
    let listing = NewListing {
        code: parcel.code.to_string(),
        location: parcel.location.clone(),
        land_use: parcel.land_use.to_string(),
        district: district.trim().to_owned(),
        start_price_fen: rules.start_price.fen(),
        listing_start: schedule.listing_start.micros(),
        listing_end: schedule.listing_end.micros(),
        application_start: schedule.application_start.micros(),
        application_deadline: schedule.application_deadline.micros(),
        // Serialised rules carry commitments and hashes, never openings.
        rules_json: serde_json::to_string(&rules).unwrap_or_default(),
        summary_json: super::desk::summary(&engine, now),
        status: super::desk::status_code(&engine, now).to_owned(),
    };
    Ok((listing, rules))
}

/// A listing's public state, as the desk keeps it in `summary_json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub current_price: Option<String>,
    #[serde(default)]
    pub qualified: Option<u64>,
    #[serde(default)]
    pub applications: Option<u64>,
    #[serde(default)]
    pub increment: Option<String>,
    #[serde(default)]
    pub deadline: Option<String>,
    #[serde(default)]
    pub result: Option<SummaryResult>,
}

/// The result part of the summary. The winner's bidder number is in the
/// stored summary but never read here: the public sees outcomes and counts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SummaryResult {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub total_price: Option<String>,
    #[serde(default)]
    pub reason: Option<serde_json::Value>,
    #[serde(default)]
    pub decided_at: Option<String>,
}

impl Summary {
    pub fn of(row: &ListingRow) -> Summary {
        serde_json::from_str(&row.summary_json).unwrap_or_default()
    }
}

/// Status codes of listings, with their labels, in the order filters list
/// them.
pub const LISTING_STATUSES: &[(&str, &str)] = &[
    ("upcoming", "即将挂牌"),
    ("open", "挂牌中"),
    ("timed_round", "限时竞价中"),
    ("follow_on", "达到最高限价后程序中"),
    ("suspended", "中止交易"),
    ("sold", "已成交"),
    ("failed", "未成交"),
    ("terminated", "已终止"),
];

/// The label of a listing status code.
pub fn listing_status_label(code: &str) -> &'static str {
    LISTING_STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("—", |(_, l)| l)
}

/// The status to show for a listing at `now`: the row's, except that an
/// upcoming listing whose start has passed is open (the desk writes status
/// only with log entries).
pub fn listing_status_at(row: &ListingRow, now: Timestamp) -> &'static str {
    let code = match row.status.as_str() {
        "upcoming" if now.micros() >= row.listing_start => "open",
        other => other,
    };
    LISTING_STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("open", |(c, _)| c)
}

/// The label of a notice status in the store's vocabulary.
pub fn notice_status_label(status: RowStatus) -> &'static str {
    match status {
        RowStatus::Draft => "草稿",
        RowStatus::Published => "已发布",
        RowStatus::Terminated => "已终止",
    }
}

/// Nantong's districts, offered as suggestions (any text is accepted).
pub const DISTRICTS: &[&str] = &[
    "崇川区",
    "通州区",
    "海门区",
    "南通经济技术开发区",
    "苏锡通科技产业园区",
    "通州湾示范区",
];

#[cfg(test)]
mod tests {
    use super::*;
    use yiwang_exchange::notice::seed;

    #[test]
    fn the_body_keeps_districts_beside_the_notice() {
        let mut body = NoticeBody {
            notice: seed::notice_61(),
            districts: BTreeMap::new(),
        };
        body.districts
            .insert("R20042".into(), "南通经济技术开发区".into());
        let json = body.to_json();
        let back: NoticeBody = serde_json::from_str(&json).unwrap();
        assert_eq!(back.notice, body.notice);
        assert_eq!(back.district("R20042"), "南通经济技术开发区");
        // A reader that knows only the exchange crate's notice reads it too.
        let plain: Notice = serde_json::from_str(&json).unwrap();
        assert_eq!(plain, body.notice);
        // And a body without districts is a plain notice.
        let plain_json = serde_json::to_string(&seed::notice_60()).unwrap();
        let read: NoticeBody = serde_json::from_str(&plain_json).unwrap();
        assert!(read.districts.is_empty());
    }

    #[test]
    fn statuses_have_labels() {
        for (code, label) in LISTING_STATUSES {
            assert_eq!(listing_status_label(code), *label);
        }
        assert_eq!(listing_status_label("x"), "—");
    }
}
