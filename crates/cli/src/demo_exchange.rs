//! Demo data for the land exchange: the seed's two notices (通自然资规告出网
//! (2020)第60号 and 第61号) as published notices with their listings, placed
//! in time so that whoever runs the demo can apply and bid on the same day.
//!
//! Placement, relative to today (Asia/Shanghai):
//!
//! * published 30 days ago at 09:00;
//! * application and deposit window from yesterday 00:00 to 11:00 on the
//!   4th working day from today;
//! * listing from yesterday 00:00 to 11:00 on the 12th working day after
//!   yesterday: at least the 10 working days the rules ask for, with 20
//!   days' notice to spare.
//!
//! Every other figure is the seed's. Each notice is checked as an officer's
//! would be ([`validate_for_publication`]) before it is stored; a notice
//! whose number exists is left as it is, so loading twice changes nothing.
//! Each listing's event log is opened with the rules the notice states, as
//! the web server's trading desk does on publication.

use std::collections::BTreeMap;

use yiwang_core::{Clock, SystemClock, Timestamp, WorkingCalendar};
use yiwang_exchange::engine::{Listing, ListingRules};
use yiwang_exchange::log::LogWriter;
use yiwang_exchange::notice::{seed, validate_for_publication, Notice, Window, Windows};
use yiwang_store::exchange::{AppendOutcome, ListingAppend, ListingRow, NewNotice};
use yiwang_store::{AuditCtx, Store};
use yiwang_web::exchange::desk;
use yiwang_web::exchange::notice_data::{plan_listing, NoticeBody};

/// The district of each seed parcel: U20041 lies in the Su-Xi-Tong park
/// (苏十二河西、通七河北), R20042 in the economic development zone
/// (龙腾路东、星湖大道北).
const DISTRICTS: &[(&str, &str)] = &[
    ("U20041", "苏锡通科技产业园区"),
    ("R20042", "南通经济技术开发区"),
];

/// The demo windows for a demo loaded at `now`.
pub fn demo_windows(now: Timestamp, calendar: &WorkingCalendar) -> Windows {
    let today = now.shanghai_date();
    let yesterday = today.previous_day().unwrap_or(today);
    let start = Timestamp::from_shanghai(yesterday, 0, 0, 0);
    let at_11 = |t: Timestamp| Timestamp::from_shanghai(t.shanghai_date(), 11, 0, 0);
    let application = Window {
        start,
        end: at_11(calendar.add_working_days(Timestamp::from_shanghai(today, 0, 0, 0), 4)),
    };
    Windows {
        application,
        deposit: application,
        listing: Window {
            start,
            end: at_11(calendar.add_working_days(start, 12)),
        },
    }
}

/// When the demo notices were published: 30 days before `now`, 09:00.
pub fn demo_publication(now: Timestamp) -> Timestamp {
    let day = now.add_secs(-30 * 86_400).shanghai_date();
    Timestamp::from_shanghai(day, 9, 0, 0)
}

/// The seed notices as the demo publishes them at `now`.
pub fn demo_notices(now: Timestamp, calendar: &WorkingCalendar) -> Vec<Notice> {
    let windows = demo_windows(now, calendar);
    seed::notices()
        .into_iter()
        .map(|mut n| {
            for p in &mut n.parcels {
                p.windows = Some(windows);
            }
            n
        })
        .collect()
}

/// Loads the demo notices; returns the numbers of those it published.
pub async fn load(store: &dyn Store) -> anyhow::Result<Vec<String>> {
    let now = SystemClock.now();
    let calendar = WorkingCalendar::shipped();
    let published_at = demo_publication(now);
    let ctx = AuditCtx::system("demo", now.micros());
    let mut loaded = Vec::new();
    for notice in demo_notices(now, &calendar) {
        let number = notice.number.to_string();
        if store.notice_by_number(&number).await?.is_some() {
            continue;
        }
        if let Err(problems) = validate_for_publication(&notice, published_at, &calendar) {
            let list: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            anyhow::bail!(
                "demo notice {number} would not be publishable: {}",
                list.join("; ")
            );
        }
        let districts: BTreeMap<String, String> = DISTRICTS
            .iter()
            .map(|(c, d)| ((*c).to_owned(), (*d).to_owned()))
            .collect();
        let body = NoticeBody {
            notice: notice.clone(),
            districts,
        };
        let row = store
            .create_notice(
                &ctx,
                NewNotice {
                    number: number.clone(),
                    title: notice.title.clone(),
                    body_json: body.to_json(),
                },
            )
            .await?;
        let mut listings = Vec::new();
        let mut rules = Vec::new();
        for parcel in &notice.parcels {
            let (listing, r) = plan_listing(parcel, body.district(parcel.code.as_str()), None, now)
                .map_err(|e| anyhow::anyhow!("demo parcel {}: {e:?}", parcel.code))?;
            listings.push(listing);
            rules.push(r);
        }
        let (_, created) = store
            .publish_notice(&ctx, row.id, row.version, published_at.micros(), listings)
            .await?;
        for (listing, rules) in created.iter().zip(rules) {
            open_log(store, listing, rules, now).await?;
        }
        loaded.push(number);
    }
    Ok(loaded)
}

/// Writes a new listing's first log entry, its rules, as the trading desk's
/// `open` does (the demo runs before any desk).
async fn open_log(
    store: &dyn Store,
    listing: &ListingRow,
    rules: ListingRules,
    now: Timestamp,
) -> anyhow::Result<()> {
    let engine = Listing::new(rules.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
    // The initial reserve's opening ("no reserve") is kept, as the desk keeps it.
    let ctx = AuditCtx::system("demo", now.micros());
    for secret in desk::rules_secrets(listing.id, &rules) {
        store.put_listing_secret(&ctx, secret).await?;
    }
    let (_, first) = LogWriter::open(&rules, now);
    let mut append = ListingAppend::entries(listing.id, 0, vec![desk::to_row(&first)]);
    append.summary_json = Some(desk::summary(&engine, now).to_string());
    append.status = Some(desk::status_code(&engine, now).to_owned());
    match store.append_events(vec![append]).await?.first() {
        Some(AppendOutcome::Appended { .. }) => Ok(()),
        other => anyhow::bail!("opening the log of listing {}: {other:?}", listing.code),
    }
}
