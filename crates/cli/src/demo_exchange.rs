//! Demo data for the land exchange: the seed's two notices (通自然资规告出网
//! (2020)第60号 and 第61号) as published notices with their listings, a
//! rehearsal listing (网上竞价演练), and the demo enterprises qualified to
//! bid, all placed in time so that whoever runs the demo can apply and bid
//! on the same day.
//!
//! Placement of the seed notices, relative to today (Asia/Shanghai):
//!
//! * published 30 days ago at 09:00;
//! * application and deposit window from yesterday 00:00 to 11:00 on the
//!   4th working day from today;
//! * listing from yesterday 00:00 to 11:00 on the 12th working day after
//!   yesterday: at least the 10 working days the rules ask for, with 20
//!   days' notice to spare.
//!
//! The rehearsal is the seed's U20041 again, as parcel `U20041-YL` of its
//! own notice, with a listing that ends `demo.drill_end_s` seconds after
//! the demo is loaded, quotes that stop `demo.drill_quote_stop_s` before
//! that, and a timed-round countdown of `demo.drill_countdown_s` (see
//! [`yiwang_web::config::DemoConfig`]): the quote stop, a timed round and
//! the result within the hour, instead of after 12 working days.
//!
//! The demo enterprises apply for U20041 and the rehearsal, and the bank
//! reports their deposits, through the same desk and bank code as the web
//! server, so they are qualified bidders when the demo starts. R20042 is
//! left for whoever tries the demo to apply for.
//!
//! Every other figure is the seed's. Each notice is checked as an officer's
//! would be ([`validate_for_publication`]) before it is stored; a notice
//! whose number exists is left as it is, so loading twice changes nothing.

use std::collections::BTreeMap;

use yiwang_core::{Timestamp, WorkingCalendar};
use yiwang_exchange::engine::{Action, Listing, ListingRules, Party, TimedRoundRules, Verdict};
use yiwang_exchange::notice::{
    seed, validate_for_publication, Notice, NoticeNumber, ParcelCode, Window, Windows,
};
use yiwang_store::exchange::{BankTxn, ListingRow, NewNotice, Participant};
use yiwang_store::AuditCtx;
use yiwang_web::config::DemoConfig;
use yiwang_web::exchange::notice_data::{plan_listing, NoticeBody};
use yiwang_web::exchange::{applications, bank, desk};
use yiwang_web::AppState;

/// The district of each seed parcel: U20041 lies in the Su-Xi-Tong park
/// (苏十二河西、通七河北), R20042 in the economic development zone
/// (龙腾路东、星湖大道北).
const DISTRICTS: &[(&str, &str)] = &[
    ("U20041", "苏锡通科技产业园区"),
    ("R20042", "南通经济技术开发区"),
    (DRILL_CODE, "苏锡通科技产业园区"),
];

/// The seed parcel the demo enterprises are qualified for.
const QUALIFIED_CODE: &str = "U20041";

/// The rehearsal parcel's code.
const DRILL_CODE: &str = "U20041-YL";

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

/// The rehearsal: when it was published, its notice, and the timings its
/// listing runs by.
#[derive(Debug, Clone)]
pub struct Drill {
    pub published_at: Timestamp,
    pub notice: Notice,
    pub quote_stop_s: i64,
    pub countdown_s: i64,
}

/// The rehearsal notice for a demo loaded at `now`: the listing began four
/// weeks ago (comfortably over 10 working days, holidays included) and
/// ends `drill_end_s` from now; applications and deposits close when
/// quotes stop.
pub fn drill(now: Timestamp, config: &DemoConfig) -> anyhow::Result<Drill> {
    let mut notice = seed::notices()
        .into_iter()
        .find(|n| n.parcels.iter().any(|p| p.code.as_str() == QUALIFIED_CODE))
        .ok_or_else(|| anyhow::anyhow!("the seed has no notice for {QUALIFIED_CODE}"))?;
    notice.parcels.retain(|p| p.code.as_str() == QUALIFIED_CODE);
    let year = now.shanghai_date().year();
    notice.number = NoticeNumber::parse(&format!("网上竞价演练({year})第1号"))
        .map_err(|e| anyhow::anyhow!("drill notice number: {e}"))?;
    notice.title = format!("{}（网上竞价演练）", notice.title);
    let quote_stop_s = i64::from(config.drill_quote_stop_s);
    let countdown_s = i64::from(config.drill_countdown_s);
    // A notice is written to the second: the end is rounded up to one.
    let end_us = now.add_secs(i64::from(config.drill_end_s)).micros();
    let end =
        Timestamp::from_micros(end_us + (1_000_000 - end_us.rem_euclid(1_000_000)) % 1_000_000);
    let start_day = now.add_secs(-28 * 86_400).shanghai_date();
    let start = Timestamp::from_shanghai(start_day, 0, 0, 0);
    let application = Window {
        start,
        end: end.add_secs(-quote_stop_s),
    };
    for p in &mut notice.parcels {
        p.code = ParcelCode::parse(DRILL_CODE).map_err(|e| anyhow::anyhow!("{e}"))?;
        p.windows = Some(Windows {
            application,
            deposit: application,
            listing: Window { start, end },
        });
    }
    notice.notes.push(format!(
        "本公告为网上竞价演练，不产生真实交易：挂牌截止前{}停止挂牌报价，限时竞价每次报价后倒计时{}。",
        duration_cn(quote_stop_s),
        duration_cn(countdown_s)
    ));
    let published_day = start.add_secs(-25 * 86_400).shanghai_date();
    Ok(Drill {
        published_at: Timestamp::from_shanghai(published_day, 9, 0, 0),
        notice,
        quote_stop_s,
        countdown_s,
    })
}

/// "30分钟", "90秒", "1小时".
fn duration_cn(seconds: i64) -> String {
    match seconds {
        s if s % 3600 == 0 => format!("{}小时", s / 3600),
        s if s % 60 == 0 => format!("{}分钟", s / 60),
        s => format!("{s}秒"),
    }
}

/// Loads the demo notices, and qualifies `bidders` (credit codes of
/// registered enterprises) for U20041 and the rehearsal; returns the
/// numbers of the notices it published.
pub async fn load(app: &AppState, bidders: &[String]) -> anyhow::Result<Vec<String>> {
    let now = app.clock.now();
    let published_at = demo_publication(now);
    let mut loaded = Vec::new();
    let mut to_qualify = Vec::new();
    for notice in demo_notices(now, &app.calendar) {
        let number = notice.number.to_string();
        if let Some(listings) = publish(app, &notice, published_at, |_| {}).await? {
            to_qualify.extend(listings.into_iter().filter(|l| l.code == QUALIFIED_CODE));
            loaded.push(number);
        }
    }
    let drill = drill(now, &app.config.demo)?;
    let timings = |rules: &mut ListingRules| {
        rules.quote_stop_s = drill.quote_stop_s;
        rules.reserve_lock_s = rules.reserve_lock_s.min(drill.quote_stop_s);
        rules.timed_round = Some(TimedRoundRules {
            countdown_s: drill.countdown_s,
            ..TimedRoundRules::default()
        });
    };
    if let Some(listings) = publish(app, &drill.notice, drill.published_at, timings).await? {
        to_qualify.extend(listings);
        loaded.push(drill.notice.number.to_string());
    }
    for listing in &to_qualify {
        for (i, code) in bidders.iter().enumerate() {
            qualify(app, listing, code, i).await?;
        }
    }
    Ok(loaded)
}

/// Publishes `notice` as of `published_at` and opens its listings' logs,
/// with `adjust` applied to each listing's rules; `None` when a notice with
/// its number exists already.
async fn publish(
    app: &AppState,
    notice: &Notice,
    published_at: Timestamp,
    adjust: impl Fn(&mut ListingRules),
) -> anyhow::Result<Option<Vec<ListingRow>>> {
    let store = &app.store;
    let now = app.clock.now();
    let number = notice.number.to_string();
    if store.notice_by_number(&number).await?.is_some() {
        return Ok(None);
    }
    if let Err(problems) = validate_for_publication(notice, published_at, &app.calendar) {
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
    let ctx = AuditCtx::system("demo", now.micros());
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
        let (mut listing, mut r) =
            plan_listing(parcel, body.district(parcel.code.as_str()), None, now)
                .map_err(|e| anyhow::anyhow!("demo parcel {}: {e:?}", parcel.code))?;
        adjust(&mut r);
        let engine = Listing::new(r.clone())
            .map_err(|e| anyhow::anyhow!("demo parcel {}: {e}", parcel.code))?;
        listing.rules_json = serde_json::to_string(&r)?;
        listing.summary_json = desk::summary(&engine, now);
        listing.status = desk::status_code(&engine, now).to_owned();
        listings.push(listing);
        rules.push(r);
    }
    let (_, created) = store
        .publish_notice(&ctx, row.id, row.version, published_at.micros(), listings)
        .await?;
    for (listing, rules) in created.iter().zip(rules) {
        app.desk
            .open(listing.id, rules)
            .await
            .map_err(|e| anyhow::anyhow!("opening the log of listing {}: {e}", listing.code))?;
    }
    Ok(Some(created))
}

/// Applies for `listing` as the enterprise with credit code `code`, opens
/// its deposit account, and has the bank report the full deposit.
async fn qualify(
    app: &AppState,
    listing: &ListingRow,
    code: &str,
    index: usize,
) -> anyhow::Result<()> {
    let now = app.clock.now();
    let ctx = AuditCtx::system("demo", now.micros());
    let enterprise = app
        .store
        .enterprise_by_credit_code(code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo enterprise {code} is not registered"))?;
    let party = Party::parse(code).map_err(|e| anyhow::anyhow!("{e}"))?;
    let apply = Action::Apply {
        party,
        partners: vec![],
    };
    let lead = vec![Participant {
        enterprise_id: enterprise.id,
        role: "lead".to_owned(),
    }];
    let acted = app.desk.act(listing.id, &apply, lead).await?;
    if acted.verdict != Verdict::Accepted {
        anyhow::bail!(
            "demo application of {code} for {}: {:?}",
            listing.code,
            acted.verdict
        );
    }
    let account = applications::open_deposit_account(app, &ctx, listing.id, &enterprise)
        .await
        .map_err(|e| anyhow::anyhow!("demo deposit account: {e}"))?;
    let required = app
        .desk
        .view(listing.id, |engine| engine.rules().deposit_required)
        .await?;
    let txn = BankTxn {
        bank_txn_id: format!("DEMO-{}-{}", listing.code, index + 1),
        account_no: account.account_no,
        amount_fen: required.fen(),
        payer_name: enterprise.name.clone(),
        payer_account: format!("6222 0000 0000 {:04}", index + 1),
        received_at: now.micros(),
        raw_body: String::new(),
    };
    let (row, _) = bank::receive(app, &ctx, txn)
        .await
        .map_err(|e| anyhow::anyhow!("demo deposit: {e}"))?;
    if row.outcome.map(|o| o.code()) != Some("credited") {
        anyhow::bail!(
            "demo deposit of {code} for {}: {:?}",
            listing.code,
            row.outcome
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use yiwang_core::ManualClock;
    use yiwang_web::Config;

    /// A demo loaded on a Tuesday morning in March.
    async fn demo_app() -> (AppState, yiwang_store_sqlite::testing::TempDir) {
        let (store, dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        config.demo = DemoConfig {
            drill_end_s: 600,
            drill_quote_stop_s: 300,
            drill_countdown_s: 30,
            events_per_year: 300,
        };
        // 2026-03-10 10:00 in Shanghai.
        let clock = ManualClock::new(Timestamp::from_micros(1_773_108_000_000_000));
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        (app, dir)
    }

    #[tokio::test]
    async fn the_demo_enterprises_are_qualified_and_the_rehearsal_ends_as_configured() {
        let (app, _dir) = demo_app().await;
        let logins = crate::demo::load(&app).await.unwrap();
        assert!(logins.iter().any(|l| l.username == "bidder2"));
        let now = app.clock.now();
        for code in [QUALIFIED_CODE, DRILL_CODE] {
            let row = app.store.listing_by_code(code).await.unwrap().unwrap();
            let (qualified, status) = app
                .desk
                .view(row.id, |e| {
                    (e.state().bidders().len(), desk::status_code(e, now))
                })
                .await
                .unwrap();
            assert_eq!(qualified, 2, "{code}");
            assert_eq!(status, "open", "{code}");
        }
        let r20042 = app.store.listing_by_code("R20042").await.unwrap().unwrap();
        let applied = app
            .desk
            .view(r20042.id, |e| e.state().applications().len())
            .await
            .unwrap();
        assert_eq!(applied, 0, "R20042 is left for whoever tries the demo");

        let drill = app
            .store
            .listing_by_code(DRILL_CODE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(drill.listing_end - now.micros(), 600_000_000);
        let rules = app
            .desk
            .view(drill.id, |e| e.rules().clone())
            .await
            .unwrap();
        assert_eq!(rules.quote_stop_s, 300);
        assert_eq!(rules.timed_round.map(|t| t.countdown_s), Some(30));
        let notice = app
            .store
            .notice_by_number("网上竞价演练(2026)第1号")
            .await
            .unwrap()
            .unwrap();
        assert!(notice
            .body_json
            .contains("停止挂牌报价，限时竞价每次报价后倒计时30秒"));

        // Loading again publishes nothing and qualifies nobody twice.
        let again = crate::demo::load(&app).await.unwrap();
        assert_eq!(again.len(), logins.len());
        let row = app
            .store
            .listing_by_code(QUALIFIED_CODE)
            .await
            .unwrap()
            .unwrap();
        let applied = app
            .desk
            .view(row.id, |e| e.state().applications().len())
            .await
            .unwrap();
        assert_eq!(applied, 2);
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(duration_cn(3600), "1小时");
        assert_eq!(duration_cn(1800), "30分钟");
        assert_eq!(duration_cn(90), "90秒");
    }
}
