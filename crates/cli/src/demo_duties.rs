//! Recent grid duties for the demo district: patrol logs and visits to
//! households and tagged people, so that the to-do lists, the overdue list,
//! the completion rates and the zombie-grid rule show something real.
//!
//! To keep `serve --demo` quick, only the recent past is loaded: patrols of
//! the last [`PATROL_DAYS`] days (the overdue list's look-back) and visits
//! in the periods that meet the last [`VISIT_DAYS`] days. Working grids
//! patrol on about 93 % of working days, visit about 92 % of their
//! households each half-year and 88 % of their tagged people each month;
//! the current period is as far along as the days gone by. Some grids fall behind (every 13th: half the patrols, none in the
//! last ten days, two visits in three), so the overdue list has work on
//! it; the grids the demo events keep quiet (every 97th) have no patrol in
//! the last 90 days either, so the zombie-grid list names them for it.
//!
//! Everything comes from [`DEMO_DUTIES_SEED`] and the clock's now, and goes
//! in with one bulk import. Loading is idempotent: a database with patrols
//! is left as it is.

use std::collections::HashMap;

use uuid::Uuid;
use yiwang_core::Timestamp;
use yiwang_grid::duties::DutyKind;
use yiwang_store::duties::{DutyScope, NewPatrol, NewVisit, VisitKind, VisitQuery};
use yiwang_store::kpi::{shanghai_day, DAY_MICROS};
use yiwang_store::AuditCtx;
use yiwang_web::AppState;

/// The seed the demo duties are generated from.
pub const DEMO_DUTIES_SEED: u64 = 2027;

const HOUR: i64 = 3_600_000_000;

/// Days of patrols loaded.
pub const PATROL_DAYS: i64 = 30;

/// Days of visits loaded.
pub const VISIT_DAYS: i64 = 92;

/// SplitMix64, as the other demo generators.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn uuid(&mut self, at: i64) -> Uuid {
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.next().to_le_bytes());
        uuid::Builder::from_unix_timestamp_millis((at / 1000).max(0) as u64, &random).into_uuid()
    }
}

/// Every 13th grid falls behind.
fn behind(i: usize) -> bool {
    i % 13 == 5
}

/// The grids the demo events keep quiet.
fn quiet(i: usize) -> bool {
    i % 97 == 96
}

const ROUTES: &[&str] = &[
    "小区主干道—楼栋间—地下车库",
    "沿街商铺—背街小巷",
    "出入口—健身广场—河道沿线",
    "重点楼栋—消防通道—电动车棚",
];

const NOTES: &[&str] = &[
    "未见异常",
    "消防通道有杂物堆放，已劝导清理",
    "路灯一处不亮，已上报",
    "电动车楼道充电一处，已劝离",
    "未见异常，与值班保安核对情况",
];

/// Loads the demo duties; returns how many patrols and visits.
pub async fn load(app: &AppState) -> anyhow::Result<(u64, u64)> {
    let store = &*app.store;
    if !store.last_patrols().await?.is_empty() {
        return Ok((0, 0));
    }
    let map = app.grid_map.get(store).await?;
    if map.shapes.is_empty() {
        return Ok((0, 0));
    }
    let rules = app.config.grid_duties.rules;
    let calendar = app.events.workflow.calendar();
    let now = app.clock.now().micros();
    let today = shanghai_day(now);
    let first = today - (VISIT_DAYS - 1) * DAY_MICROS;
    let mut rng = Rng(DEMO_DUTIES_SEED);
    let index: HashMap<String, usize> = map
        .shapes
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.to_string(), i))
        .collect();
    let date_of = |day: i64| Timestamp::from_micros(day + 12 * HOUR).shanghai_date();

    let mut patrols = Vec::new();
    for (i, shape) in map.shapes.iter().enumerate() {
        let code = shape.code.to_string();
        for back in 0..PATROL_DAYS {
            let day = today - back * DAY_MICROS;
            if !calendar.is_working_day(date_of(day))
                || (quiet(i) && back < 90)
                || (behind(i) && back < 10)
            {
                continue;
            }
            let share = if behind(i) { 50 } else { 93 };
            if !rng.chance(share) {
                continue;
            }
            let at = day + 8 * HOUR + rng.below(9 * 60) as i64 * 60_000_000;
            if at >= now {
                continue;
            }
            patrols.push(NewPatrol {
                id: rng.uuid(at),
                grid_code: code.clone(),
                at,
                worker_id: None,
                worker_name: "网格员".to_owned(),
                route: ROUTES[rng.below(ROUTES.len() as u64) as usize].to_owned(),
                notes: NOTES[rng.below(NOTES.len() as u64) as usize].to_owned(),
                point: None,
            });
        }
    }

    // Visits: every window that meets the last days, each subject visited
    // once at a random day of the window that has passed.
    let mut visits = Vec::new();
    for (duty, kind, share) in [
        (DutyKind::HouseholdVisit, VisitKind::Household, 92),
        (DutyKind::TaggedVisit, VisitKind::Tagged, 88),
    ] {
        let windows =
            rules.visit_obligations(duty, "", date_of(first), date_of(today + DAY_MICROS));
        for o in windows {
            let start = Timestamp::from_shanghai(o.window.start, 0, 0, 0)
                .micros()
                .max(first);
            let end = Timestamp::from_shanghai(o.window.end, 0, 0, 0)
                .micros()
                .min(now);
            if end <= start {
                continue;
            }
            // The part of the window gone by, in thousandths.
            let whole = Timestamp::from_shanghai(o.window.end, 0, 0, 0).micros()
                - Timestamp::from_shanghai(o.window.start, 0, 0, 0).micros();
            let gone = ((end - start) * 1000 / whole.max(1)) as u64;
            let subjects = store
                .visit_subjects(&VisitQuery {
                    kind,
                    scope: DutyScope::all(),
                    from: start,
                    to: end,
                    fewer_than: None,
                })
                .await?;
            for s in subjects {
                let i = index.get(&s.grid_code).copied().unwrap_or(0);
                let share = if behind(i) { share * 2 / 3 } else { share };
                if rng.below(100_000) >= share * gone {
                    continue;
                }
                let day = shanghai_day(start + rng.below((end - start) as u64) as i64);
                let at = (day + 9 * HOUR + rng.below(8 * 60) as i64 * 60_000_000).min(now - 1);
                visits.push(NewVisit {
                    id: rng.uuid(at),
                    kind,
                    household_id: s.household_id,
                    resident_id: s.resident_id,
                    at,
                    worker_id: None,
                    worker_name: "网格员".to_owned(),
                    notes: match kind {
                        VisitKind::Household => "入户了解家庭情况，宣传防诈骗和消防安全".to_owned(),
                        VisitKind::Tagged => "见到本人，了解近况和需求".to_owned(),
                    },
                    findings: String::new(),
                });
            }
        }
    }
    let ctx = AuditCtx::system("demo", now);
    let counts = store.import_duties(&ctx, "demo", patrols, visits).await?;
    Ok((counts.patrols, counts.visits))
}
