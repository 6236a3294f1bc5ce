//! The seed's two notices, 通自然资规告出网(2020)第60号 and 第61号, as data.
//!
//! Why in the library: they are the reference data of the exchange — the
//! golden tests render them and compare every figure with the newspaper
//! page, and the demo loads them as published notices — so there is one
//! place that types them in.
//!
//! Two things are not in the seed and are filled in here, as documented:
//!
//! * **Increments**: neither notice prints one (Nantong states them in the
//!   出让须知); both parcels get [`DEFAULT_UNIT_INCREMENT`], 10 元/M².
//! * **R20042's windows**: 第61号's 表3 is cut off in the seed; its windows
//!   are taken to be U20041's: application and deposit 2020-12-29 to
//!   2021-01-06 11:00, listing 2020-12-29 to 2021-01-08 11:00.
//!
//! The notices are drafts with no publication date (the page does not give
//! one): callers place them in time and publish them.

use super::import::DEFAULT_UNIT_INCREMENT;
use super::notation::{IndicatorRange, Terms};
use super::parcel::{BiddingMode, BiddingRule, LandUse, Parcel, ParcelCode, PriceBasis, Windows};
use super::render::{standard_preamble, TableLayout};
use super::window::Window;
use super::{Notice, NoticeNumber, DEFAULT_ISSUER, DEFAULT_NUMBER_PREFIX};
use time::macros::date;
use yiwang_core::{Area, Money, Timestamp};

/// The windows of both seed parcels.
pub fn seed_windows() -> Windows {
    let at = |d, h| Timestamp::from_shanghai(d, h, 0, 0);
    let application = Window {
        start: at(date!(2020 - 12 - 29), 0),
        end: at(date!(2021 - 01 - 06), 11),
    };
    Windows {
        application,
        deposit: application,
        listing: Window {
            start: at(date!(2020 - 12 - 29), 0),
            end: at(date!(2021 - 01 - 08), 11),
        },
    }
}

// The literals below are the seed's own figures, valid by construction
// (the unit tests of this module parse every one of them).
fn range(text: &str) -> IndicatorRange {
    IndicatorRange::parse(text).expect("a seed range")
}

fn code(text: &str) -> ParcelCode {
    ParcelCode::parse(text).expect("a seed parcel code")
}

fn land_use(text: &str) -> LandUse {
    LandUse::parse(text).expect("a seed land use")
}

fn yuan(n: i64) -> Money {
    Money::from_yuan(n).expect("a seed amount")
}

/// 通自然资规告出网(2020)第60号: U20041, 消防设施用地, highest price.
pub fn notice_60() -> Notice {
    let mut parcel = Parcel::draft(
        code("U20041"),
        "苏十二河西、通七河北".to_owned(),
        land_use("消防设施用地"),
        Area::from_centi(665_111),
    );
    parcel.floor_area = Some(range("≤5990"));
    parcel.far = Some(range("≥0.45且<0.91"));
    parcel.density = Some(range("≤30"));
    parcel.green_ratio = Some(range("≥20"));
    parcel.terms = Some(Terms::Single(50));
    parcel.price_basis = PriceBasis::Unit;
    parcel.start_price = Some(yuan(480));
    parcel.increment = Some(DEFAULT_UNIT_INCREMENT);
    parcel.deposit = Some(yuan(700_000));
    parcel.windows = Some(seed_windows());

    let mut notice = Notice::draft(
        NoticeNumber::new(DEFAULT_NUMBER_PREFIX, 2020, 60).expect("a seed notice number"),
    );
    notice.preamble = standard_preamble(DEFAULT_ISSUER, TableLayout::Combined);
    notice.parcels = vec![parcel];
    notice.notes = vec!["节假日不休息".to_owned()];
    notice
}

/// 通自然资规告出网(2020)第61号: R20042, 居住用地, 限房价竞地价不摇号.
pub fn notice_61() -> Notice {
    let mut parcel = Parcel::draft(
        code("R20042"),
        "龙腾路东、星湖大道北".to_owned(),
        land_use("居住用地"),
        Area::from_centi(12_594_979),
    );
    parcel.floor_area = Some(range("≤226700(商业≥3000)"));
    parcel.far = Some(range("≥1.44且<1.80(以建筑面积为准)"));
    parcel.density = Some(range("≤23"));
    parcel.green_ratio = Some(range("≥35"));
    parcel.terms = Some(Terms::parse("居住70,商业40").expect("the seed terms"));
    parcel.price_basis = PriceBasis::Unit;
    parcel.start_price = Some(yuan(18_470));
    parcel.increment = Some(DEFAULT_UNIT_INCREMENT);
    parcel.deposit = Some(yuan(2_326_300_000));
    parcel.rule = BiddingRule {
        mode: BiddingMode::LimitedHousingPrice {
            housing_price_cap: Some(yuan(21_500)),
        },
        price_cap: None,
        text: Some("本地块竞买实行限房价竞地价不摇号".to_owned()),
    };
    parcel.windows = Some(seed_windows());

    let mut notice = Notice::draft(
        NoticeNumber::new(DEFAULT_NUMBER_PREFIX, 2020, 61).expect("a seed notice number"),
    );
    notice.preamble = standard_preamble(DEFAULT_ISSUER, TableLayout::Separate);
    notice.parcels = vec![parcel];
    notice
}

/// Both seed notices, 第60号 then 第61号.
pub fn notices() -> Vec<Notice> {
    vec![notice_60(), notice_61()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_literals_parse() {
        for text in [
            "≤5990",
            "≥0.45且<0.91",
            "≤30",
            "≥20",
            "≤226700(商业≥3000)",
            "≥1.44且<1.80(以建筑面积为准)",
            "≤23",
            "≥35",
        ] {
            assert_eq!(range(text).to_string(), text);
        }
        assert_eq!(
            notice_61().parcels[0]
                .terms
                .as_ref()
                .map(ToString::to_string),
            Some("居住70,商业40".to_owned())
        );
        assert_eq!(notice_60().parcels[0].land_area.to_string(), "6651.11");
        assert_eq!(notice_61().parcels[0].land_area.to_string(), "125949.79");
        assert_eq!(notices().len(), 2);
    }
}
