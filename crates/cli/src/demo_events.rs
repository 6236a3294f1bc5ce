//! A year of grid events and staff logins for the demo district, so that
//! the KPI pages, the pay sheet and the zombie-grid list show something
//! real.
//!
//! Every case goes through the real workflow ([`yiwang_cases::Workflow`]):
//! the generator only chooses the actions and their instants, the engine
//! judges them and writes the facts, so time limits, escalations, reworks
//! and ratings are what the server would have recorded. The mix: about
//! 4 % rejected at the check, 4 % extended, 2 % on the problem register
//! (half of them taken off again), 12 % handled late, 9 % reworked, 75 %
//! of closed cases rated; cases reported in the last days are still on
//! their way. Staff log in on about 95 % of working days.
//!
//! Each grid reports every few weeks (at random gaps around the mean that
//! `events_per_year` gives). A few grids (every 97th) have gone quiet for
//! the last 90 days — no report and no login — so the zombie-grid list has
//! work on it.
//!
//! How many cases: `[demo] events_per_year` (15,000 unless configured; 0
//! loads none).
//!
//! Everything comes from [`DEMO_EVENTS_SEED`] and the clock's now: the same
//! seed gives the same cases relative to today. The cases and login days
//! are inserted in two bulk transactions. Loading is idempotent: a
//! database that has cases is left as it is.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;
use yiwang_cases::{Action, Actor, CaseState, Fact, Point, Report, Verdict, Workflow};
use yiwang_core::Timestamp;
use yiwang_store::cases::{CaseQuery, ImportedCase, NewCase};
use yiwang_store::kpi::{shanghai_day, DAY_MICROS};
use yiwang_store::{AuditCtx, Page};
use yiwang_web::grid::data::MapShape;
use yiwang_web::AppState;

/// The seed the demo events are generated from.
pub const DEMO_EVENTS_SEED: u64 = 2026;

const HOUR: i64 = 3_600_000_000;

/// SplitMix64, as the grid generator's: the same stream on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Uniform in `[lo, hi)` µs.
    pub(crate) fn span(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(1) as u64) as i64
    }
}

/// Categories with their share of reports (percent) and what people write.
const MIX: &[(&str, u64, &[&str])] = &[
    (
        "public_facility",
        35,
        &["路灯不亮", "井盖破损", "健身器材损坏", "人行道地砖松动"],
    ),
    (
        "environment",
        25,
        &["垃圾堆放未清运", "河道漂浮物", "餐饮油烟扰民", "工地扬尘"],
    ),
    (
        "safety_hazard",
        20,
        &[
            "楼道堆放杂物",
            "电动车违规充电",
            "消防通道被占",
            "广告牌松动",
        ],
    ),
    (
        "illegal_construction",
        12,
        &["屋顶违建", "私搭乱建棚屋", "违规圈占绿地"],
    ),
    ("instability", 8, &["邻里纠纷", "劳资纠纷", "物业矛盾"]),
];

/// One case played through the workflow.
struct Played {
    state: CaseState,
    facts: Vec<Fact>,
}

impl Played {
    /// Decides `action` at `at`; false when refused or when `at` is past now
    /// (the case stops where it is).
    fn step(&mut self, workflow: &Workflow, action: Action, at: i64, now: i64) -> bool {
        if at > now {
            return false;
        }
        let Ok(decision) = workflow.decide(&mut self.state, &action, Timestamp::from_micros(at))
        else {
            return false;
        };
        self.facts.extend(decision.facts);
        matches!(decision.verdict, Verdict::Accepted)
    }

    /// When the next step is taken: within its limit, or past it when `late`.
    fn next_at(&self, rng: &mut Rng, at: i64, late: bool) -> i64 {
        match self.state.step_due.map(|d| d.due.micros()) {
            Some(due) if late => due + rng.span(HOUR, 48 * HOUR),
            Some(due) if due > at => at + ((due - at) * rng.span(10, 70) / 100).max(600_000_000),
            _ => at + rng.span(HOUR / 2, 3 * HOUR),
        }
    }
}

/// Plays one case from its report; the facts and the state at now.
fn play(
    workflow: &Workflow,
    rng: &mut Rng,
    report: Report,
    reporter: Actor,
    reported_at: i64,
    now: i64,
) -> Played {
    let mut p = Played {
        state: CaseState::new(),
        facts: vec![],
    };
    let leader = Actor::new("demo-leader", "grid_leader");
    let centre = Actor::new("demo-centre", "command_centre");
    let supervisor = Actor::new("demo-supervisor", "supervisor");
    let mut t = reported_at;
    if !p.step(
        workflow,
        Action::Report {
            by: reporter.clone(),
            report,
        },
        t,
        now,
    ) {
        return p;
    }
    t = p.next_at(rng, t, false);
    if rng.chance(4) {
        p.step(
            workflow,
            Action::Reject {
                by: leader,
                reason: "经核实不属实".to_owned(),
            },
            t,
            now,
        );
        return p;
    }
    let mut go = p.step(workflow, Action::Confirm { by: leader.clone() }, t, now);
    t = p.next_at(rng, t, false);
    go = go
        && p.step(
            workflow,
            Action::File {
                by: centre.clone(),
                category: None,
            },
            t,
            now,
        );
    t = p.next_at(rng, t, false);
    go = go
        && p.step(
            workflow,
            Action::Dispatch {
                by: centre.clone(),
                department: None,
            },
            t,
            now,
        );
    if !go {
        return p;
    }
    let unit = p.state.department.clone().unwrap_or_default();
    let department = Actor::of_unit("demo-department", "department", unit);
    t = p.next_at(rng, t, false);
    if !p.step(
        workflow,
        Action::Accept {
            by: department.clone(),
        },
        t,
        now,
    ) {
        return p;
    }
    if rng.chance(2) {
        t = p.next_at(rng, t, false);
        p.step(
            workflow,
            Action::Register {
                by: centre.clone(),
                reason: "涉及历史遗留问题，需统筹解决".to_owned(),
            },
            t,
            now,
        );
        if rng.chance(50) {
            t += rng.span(5 * 24 * HOUR, 30 * 24 * HOUR);
            p.step(
                workflow,
                Action::Unregister {
                    by: centre.clone(),
                    reason: "条件具备，恢复办理".to_owned(),
                },
                t,
                now,
            );
        } else {
            return p;
        }
    }
    if rng.chance(4) {
        t = p.next_at(rng, t, false);
        let due = p.state.overall_due.map_or(t, |d| d.due.micros());
        p.step(
            workflow,
            Action::RequestExtension {
                by: department.clone(),
                reason: "需协调多个部门".to_owned(),
                new_due: Timestamp::from_micros(due.max(t) + 5 * 24 * HOUR),
            },
            t,
            now,
        );
        t += rng.span(HOUR, 4 * HOUR);
        p.step(
            workflow,
            Action::ApproveExtension { by: supervisor },
            t,
            now,
        );
    }
    let late = rng.chance(12);
    let mut rounds = if rng.chance(9) { 2 } else { 1 };
    loop {
        t = p.next_at(rng, t, late);
        if !p.step(
            workflow,
            Action::Feedback {
                by: department.clone(),
                summary: "已现场处置完毕".to_owned(),
                photos: vec![],
            },
            t,
            now,
        ) {
            return p;
        }
        t = p.next_at(rng, t, false);
        rounds -= 1;
        let action = if rounds > 0 {
            Action::RecheckFail {
                by: leader.clone(),
                reason: "现场复核未整改到位".to_owned(),
            }
        } else {
            Action::RecheckPass {
                by: leader.clone(),
                note: "复核已整改".to_owned(),
            }
        };
        if !p.step(workflow, action, t, now) {
            return p;
        }
        if rounds == 0 {
            break;
        }
    }
    t = p.next_at(rng, t, false);
    if !p.step(workflow, Action::Close { by: centre }, t, now) {
        return p;
    }
    if rng.chance(75) {
        t += rng.span(HOUR, 72 * HOUR);
        let rating = match rng.below(100) {
            0..=54 => 5,
            55..=84 => 4,
            85..=94 => 3,
            95..=97 => 2,
            _ => 1,
        };
        p.step(
            workflow,
            Action::Evaluate {
                by: reporter,
                rating,
                comment: None,
            },
            t,
            now,
        );
    }
    p
}

/// Loads a year of events and logins unless cases exist; how many cases.
pub async fn load(app: &AppState) -> anyhow::Result<u64> {
    let store = &*app.store;
    let per_year = app.config.demo.events_per_year as usize;
    if per_year == 0 {
        return Ok(0);
    }
    let any = store
        .list_cases(&CaseQuery::default(), Page::number(1, 1))
        .await?;
    if any.total > 0 {
        return Ok(0);
    }
    let map = app.grid_map.get(store).await?;
    if map.shapes.is_empty() {
        return Ok(0);
    }
    let workflow = &app.events.workflow;
    let now = app.clock.now().micros();
    let mut rng = Rng(DEMO_EVENTS_SEED);
    let reports = report_times(&mut rng, map.shapes.len(), per_year, now);
    let mut numbers = CaseNumbers::default();
    let mut cases = Vec::with_capacity(reports.len());
    for (at, grid) in reports {
        if let Some(case) = demo_case(workflow, &mut rng, &map.shapes[grid], at, now, true)? {
            cases.push(numbers.number(case, at));
        }
    }
    let ctx = AuditCtx::system("demo", now);
    let n = store.import_cases(&ctx, cases).await?;
    load_login_days(app, &mut rng, &map.shapes, now).await?;
    Ok(n)
}

/// Whether the `i`th grid (in code order) has gone quiet for the last 90
/// days.
fn quiet(i: usize) -> bool {
    i % 97 == 96
}

/// When each grid reports over the year before `now`, about `per_year`
/// reports in all: `(instant, index of the grid)`, oldest first, so that
/// case numbers follow the days.
///
/// Each grid reports every so often (gaps between a fifth of the mean
/// and nine fifths of it, so no working grid goes two months without a
/// report), in working hours.
pub(crate) fn report_times(
    rng: &mut Rng,
    grids: usize,
    per_year: usize,
    now: i64,
) -> Vec<(i64, usize)> {
    let quiet_since = now - 90 * DAY_MICROS;
    let mean_gap = (365 * DAY_MICROS * grids as i64 / per_year.max(1) as i64).max(1);
    let mut reports: Vec<(i64, usize)> = Vec::with_capacity(per_year + grids);
    for grid in 0..grids {
        let mut t = now - 365 * DAY_MICROS + rng.span(0, mean_gap);
        while t < now {
            let at = shanghai_day(t) + rng.span(8 * HOUR, 18 * HOUR);
            if at < now && !(quiet(grid) && at >= quiet_since) {
                reports.push((at, grid));
            }
            t += rng.span(mean_gap / 5, mean_gap * 9 / 5).max(1);
        }
    }
    reports.sort();
    reports
}

/// One case reported in `shape` at `at` and played through the workflow
/// up to `now`, with its summary at `now` and, when `with_facts`, its
/// facts; and the instant of its last fact. `None` when the workflow
/// refused the report.
pub(crate) fn demo_case(
    workflow: &Workflow,
    rng: &mut Rng,
    shape: &MapShape,
    at: i64,
    now: i64,
    with_facts: bool,
) -> anyhow::Result<Option<(NewCase, i64)>> {
    let roll = rng.below(100);
    let mut acc = 0;
    let (category, _, texts) = MIX
        .iter()
        .find(|(_, share, _)| {
            acc += share;
            roll < acc
        })
        .unwrap_or(&MIX[0]);
    let text = texts[rng.below(texts.len() as u64) as usize];
    let code = shape.code.to_string();
    let reporter_id = format!("demo-worker-{code}");
    let report = Report {
        category: (*category).to_owned(),
        description: format!("{}：{text}，请尽快处理", shape.name),
        address: format!("{}附近{}号", shape.name, 1 + rng.below(60)),
        area: code.clone(),
        point: Point::new(shape.anchor.lng, shape.anchor.lat).ok(),
        photos: vec!["现场照片（演示）".to_owned()],
    };
    let reporter = Actor::new(reporter_id, "grid_worker");
    let mut played = play(workflow, rng, report.clone(), reporter, at, now);
    if played.facts.is_empty() {
        return Ok(None);
    }
    let mut late = Vec::new();
    workflow
        .advance(&mut played.state, Timestamp::from_micros(now), &mut late)
        .map_err(|e| anyhow::anyhow!("demo case: {e}"))?;
    played.facts.extend(late);
    let date = Timestamp::from_micros(at).shanghai_date();
    let prefix = format!(
        "SJ{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next().to_le_bytes());
    let id = uuid::Builder::from_unix_timestamp_millis((at / 1000) as u64, &random).into_uuid();
    let updated_at = played.facts.last().map_or(at, |f| f.at.micros());
    let events = if with_facts {
        yiwang_web::cases::stored(&played.facts)?
    } else {
        Vec::new()
    };
    Ok(Some((
        NewCase {
            id,
            number_prefix: prefix,
            grid_code: code,
            lng: report.point.map(|p| p.lng),
            lat: report.point.map(|p| p.lat),
            address: report.address,
            description: report.description,
            reporter_kind: "staff".to_owned(),
            reporter_id: None,
            summary: yiwang_web::cases::summary(workflow, &played.state),
            events,
            photos: vec![],
            audit_action: "case.import".to_owned(),
            audit_detail: serde_json::Value::Null,
        },
        updated_at,
    )))
}

/// Case numbers handed out in report order, one sequence per day.
#[derive(Debug, Default)]
pub(crate) struct CaseNumbers(BTreeMap<String, i64>);

impl CaseNumbers {
    /// The case, reported at `at`, with the next number of its day.
    pub(crate) fn number(&mut self, (case, updated_at): (NewCase, i64), at: i64) -> ImportedCase {
        let n = self.0.entry(case.number_prefix.clone()).or_default();
        *n += 1;
        ImportedCase {
            number: yiwang_store::cases::case_number(&case.number_prefix, *n),
            case,
            created_at: at,
            updated_at,
        }
    }
}

/// Login days over the year before `now`: each member of staff of the
/// grids on about 95 % of working days, none in the last 90 days for the
/// quiet grids' staff. How many days.
pub(crate) async fn load_login_days(
    app: &AppState,
    rng: &mut Rng,
    shapes: &[MapShape],
    now: i64,
) -> anyhow::Result<u64> {
    let store = &*app.store;
    let today = shanghai_day(now);
    let quiet_since = now - 90 * DAY_MICROS;
    let mut days = Vec::new();
    let mut seen: BTreeSet<Uuid> = BTreeSet::new();
    let calendar = app.events.workflow.calendar();
    for (i, shape) in shapes.iter().enumerate() {
        for a in store.grid_staff(&shape.code.to_string()).await? {
            if !seen.insert(a.staff.id) {
                continue;
            }
            for back in 0..365 {
                let day = today - back * DAY_MICROS;
                let date = Timestamp::from_micros(day + 12 * HOUR).shanghai_date();
                if !calendar.is_working_day(date) || (quiet(i) && day >= quiet_since) {
                    continue;
                }
                if rng.chance(95) {
                    days.push((a.staff.id, day));
                }
            }
        }
    }
    let ctx = AuditCtx::system("demo", now);
    Ok(store.import_login_days(&ctx, days).await?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use yiwang_core::ManualClock;
    use yiwang_store::kpi::{KpiGroup, KpiQuery};
    use yiwang_web::Config;

    use super::*;

    /// The demo loaded on a Thursday morning, with `events` a year.
    async fn demo(events: u32) -> (AppState, yiwang_store_sqlite::testing::TempDir) {
        let (store, dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        config.demo.events_per_year = events;
        // 2026-11-26 10:00 in Shanghai.
        let clock = ManualClock::new(Timestamp::from_micros(1_795_658_400_000_000));
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        crate::demo_grid::load(&app).await.unwrap();
        (app, dir)
    }

    async fn year(app: &AppState) -> yiwang_store::kpi::CaseCounts {
        let now = app.clock.now().micros();
        let rows = app
            .store
            .case_counts(&KpiQuery {
                group: KpiGroup::District,
                from: now - 400 * DAY_MICROS,
                to: now,
                now,
                under: None,
                department: None,
            })
            .await
            .unwrap();
        rows.into_iter().next().unwrap_or_default()
    }

    #[tokio::test]
    async fn a_year_of_events_has_a_realistic_mix_and_is_reproducible() {
        let (app, _dir) = demo(600).await;
        let n = load(&app).await.unwrap();
        assert!((500..=700).contains(&n), "{n} cases");
        let c = year(&app).await;
        assert_eq!(c.reported, n as i64);
        // Most are closed, most of those on time; some rejected, reworked,
        // extended, deferred and rated.
        assert!(c.closed * 10 > c.reported * 7, "{c:?}");
        assert!(c.on_time * 10 > c.due * 6 && c.on_time < c.due, "{c:?}");
        assert!(
            c.rejected > 0 && c.reworked_cases > 0 && c.extended_cases > 0,
            "{c:?}"
        );
        assert!(c.deferred_due > 0 && c.rated * 2 > c.closed, "{c:?}");
        let today = shanghai_day(app.clock.now().micros());
        let last_30_days: Vec<i64> = (0..30).map(|b| today - b * DAY_MICROS).collect();
        let logins = app
            .store
            .login_counts(KpiGroup::District, &last_30_days, None)
            .await
            .unwrap();
        assert!(logins[0].login_days > logins[0].staff * 15, "{logins:?}");
        // A second load changes nothing; the same seed gives the same year.
        assert_eq!(load(&app).await.unwrap(), 0);
        let (again, _dir2) = demo(600).await;
        load(&again).await.unwrap();
        assert_eq!(year(&again).await, c);
    }

    #[tokio::test]
    async fn no_events_are_loaded_when_none_are_configured() {
        let (app, _dir) = demo(0).await;
        assert_eq!(load(&app).await.unwrap(), 0);
        assert_eq!(year(&app).await.reported, 0);
    }
}
