//! Grid duties on the web: the worker's to-do list follows what they
//! record; forms refuse bad input in Chinese and keep it; nobody records
//! for or reads another grid; the supervisor's overdue list filters, pages
//! and exports; the completion rates agree with the rules of
//! `yiwang_grid::duties`.

mod common;

use calamine::{Data, Reader, Xlsx};
use common::grid::{load_small_with_staff, qs, ANKANG, EAST, SCHOOL, WEST};
use common::TestApp;
use time::Date;
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_grid::duties::{assess, completion as rule_completion, DutyKind};
use yiwang_store::duties::{NewPatrol, NewVisit, VisitKind};
use yiwang_store::grid::StaffRole;
use yiwang_store::kpi::{KpiGroup, DAY_MICROS};
use yiwang_store::residents::{
    NewBuilding, NewHousehold, NewResident, NewTag, Placement, PlacesImport,
};
use yiwang_store::{AuditCtx, AuditQuery, Page};
use yiwang_web::grid::kpi::Period;

const HOUR: i64 = 3_600_000_000;
/// A valid GB 11643 number.
const ID_A: &str = "11010519491231002X";
const ID_B: &str = "320612199001011232";
const ID_C: &str = "320683195005050017";

/// The small district with a worker in the west grid, the east grid's
/// leader, a supervisor; two households in the west grid (one person
/// tagged), one in the east.
struct World {
    app: TestApp,
    west: String,
    east: String,
    supervisor: String,
    /// west households 101, 102; east household.
    households: [Uuid; 3],
    tagged: Uuid,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let worker = app.user("westworker", Role::GridWorker).await;
    let east_leader = app.user("eastleader", Role::GridLeader).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    load_small_with_staff(
        &app,
        &[
            (WEST, &worker, StaffRole::Worker),
            (EAST, &east_leader, StaffRole::Leader),
        ],
    )
    .await;
    let building = |grid: &str, number: &str| NewBuilding {
        id: Uuid::now_v7(),
        grid_code: grid.to_owned(),
        road: "天熹路".to_owned(),
        number: number.to_owned(),
        building: "1幢".to_owned(),
        address_key: format!("天熹路{number}1幢"),
        lng: None,
        lat: None,
        placement: Placement::Assigned,
    };
    let b1 = building(WEST, "1号");
    let b2 = building(EAST, "3号");
    let flat = |b: &NewBuilding, room: &str| NewHousehold {
        id: Uuid::now_v7(),
        building_id: b.id,
        unit: "1单元".to_owned(),
        room: room.to_owned(),
    };
    let households = vec![flat(&b1, "101室"), flat(&b1, "102室"), flat(&b2, "201室")];
    let person = |h: &NewHousehold, name: &str, id: &str, tags: Vec<NewTag>| NewResident {
        id: Uuid::now_v7(),
        household_id: h.id,
        name: name.to_owned(),
        id_number: id.to_owned(),
        phone: Some("13900000001".to_owned()),
        note: String::new(),
        tags,
    };
    let now = yiwang_core::Clock::now(&app.clock).micros();
    let residents = vec![
        person(
            &households[0],
            "张建华",
            ID_A,
            vec![NewTag {
                tag: "lone_elderly".to_owned(),
                review_on: now + 300 * DAY_MICROS,
                note: String::new(),
            }],
        ),
        person(&households[1], "李静", ID_B, Vec::new()),
        person(&households[2], "王海", ID_C, Vec::new()),
    ];
    let tagged = residents[0].id;
    let ids = [households[0].id, households[1].id, households[2].id];
    app.store
        .import_places(
            &AuditCtx::system("test", now),
            PlacesImport {
                label: "test".to_owned(),
                buildings: vec![b1, b2],
                households,
                residents,
            },
        )
        .await
        .unwrap();
    World {
        west: app.session_for(&worker).await,
        east: app.session_for(&east_leader).await,
        supervisor: app.session_for(&supervisor).await,
        app,
        households: ids,
        tagged,
    }
}

/// The "待完成（n）" count of the to-do page.
fn open_count(body: &str) -> usize {
    let start = body.find("待完成（").expect("the open heading") + "待完成（".len();
    body[start..].split('）').next().unwrap().parse().unwrap()
}

fn now(app: &TestApp) -> i64 {
    yiwang_core::Clock::now(&app.clock).micros()
}

#[tokio::test]
async fn the_to_do_list_follows_what_the_worker_records() {
    let w = world().await;
    let app = &w.app;
    // Thursday 26 November: a patrol today, two households this
    // half-year, the tagged person this month.
    let todo = app.get("/grid/duties", Some(&w.west)).await;
    assert_eq!(todo.status, 200);
    assert_eq!(open_count(&todo.body), 4, "{}", todo.body);
    assert!(todo.body.contains("今日到期"));
    assert!(todo
        .body
        .contains(&format!("/grid/grids/{WEST}/patrols/new")));
    assert!(todo.body.contains(&format!(
        "/grid/grids/{WEST}/visits/new?household={}",
        w.households[1]
    )));
    assert!(todo.body.contains(&format!(
        "/grid/grids/{WEST}/visits/new?resident={}",
        w.tagged
    )));
    // The person masked; nothing of the east grid.
    assert!(todo.body.contains("张建华"));
    assert!(!todo.body.contains(ID_A), "{}", todo.body);
    assert!(!todo.body.contains("天熹路3号"));
    // Today's patrol comes first.
    let patrol_at = todo.body.find("网格巡查").unwrap();
    assert!(patrol_at < todo.body.find("入户走访").unwrap());

    // A patrol without a route is refused in Chinese; what was typed stays.
    let path = format!("/grid/grids/{WEST}/patrols");
    let bad = app
        .post_form(
            &path,
            &[
                ("route", " "),
                ("notes", "楼道堆物已劝导"),
                ("lng", "abc"),
                ("lat", "32"),
            ],
            Some(&w.west),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("请填写巡查路线或地点"), "{}", bad.body);
    assert!(bad.body.contains("经度应为数字"), "{}", bad.body);
    assert!(bad.body.contains("楼道堆物已劝导"));
    let ok = app
        .post_form(
            &path,
            &[
                ("route", "天熹路—3号楼"),
                ("notes", "楼道堆物已劝导"),
                ("lng", "121.005"),
                ("lat", "32.005"),
            ],
            Some(&w.west),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location(), Some("/grid/duties?ok=patrol"));
    let todo = app.get("/grid/duties?ok=patrol", Some(&w.west)).await;
    assert!(todo.body.contains("巡查记录已保存"));
    assert_eq!(open_count(&todo.body), 3);

    // The visit form names the tagged person masked.
    let form = app
        .get(
            &format!("/grid/grids/{WEST}/visits/new?resident={}", w.tagged),
            Some(&w.west),
        )
        .await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("110105********002X"), "{}", form.body);
    assert!(!form.body.contains(ID_A));
    assert!(form
        .body
        .contains(&format!("value=\"{}\" selected", w.tagged)));
    let visits = format!("/grid/grids/{WEST}/visits");
    // No notes, and a household of another grid: refused, kept.
    let bad = app
        .post_form(
            &visits,
            &[
                ("household", &w.households[2].to_string()),
                ("findings", "门窗老化"),
            ],
            Some(&w.west),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("请选择本网格内的住户或重点人员"));
    assert!(bad.body.contains("请填写走访情况"));
    assert!(bad.body.contains("门窗老化"));
    let ok = app
        .post_form(
            &visits,
            &[
                ("household", &w.households[0].to_string()),
                ("notes", "了解家庭情况"),
            ],
            Some(&w.west),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let ok = app
        .post_form(
            &visits,
            &[("resident", &w.tagged.to_string()), ("notes", "见到本人")],
            Some(&w.west),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let todo = app.get("/grid/duties", Some(&w.west)).await;
    assert_eq!(open_count(&todo.body), 1, "only household 102 is left");

    // The grid's log, newest first; every recording audited.
    let log = app
        .get(&format!("/grid/grids/{WEST}/duties"), Some(&w.west))
        .await;
    assert_eq!(log.status, 200);
    assert!(log.body.contains("共 3 条"), "{}", log.body);
    let tagged_at = log.body.find("重点人员走访").unwrap();
    assert!(tagged_at < log.body.find("天熹路—3号楼").unwrap());
    for action in ["duty.patrol", "duty.visit"] {
        let found = app
            .store
            .audit_query(
                &AuditQuery {
                    action: Some(action.to_owned()),
                    ..Default::default()
                },
                Page::number(1, 10),
            )
            .await
            .unwrap();
        assert!(found.total >= 1, "{action}");
        assert_eq!(found.items[0].actor_name, "westworker");
    }
}

#[tokio::test]
async fn nobody_records_for_or_reads_another_grid() {
    let w = world().await;
    let app = &w.app;
    for path in [
        format!("/grid/grids/{WEST}/patrols/new"),
        format!("/grid/grids/{WEST}/visits/new"),
        format!("/grid/grids/{WEST}/duties"),
    ] {
        let page = app.get(&path, Some(&w.east)).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.body.contains("您没有权限访问此页面"));
    }
    let posted = app
        .post_form(
            &format!("/grid/grids/{WEST}/patrols"),
            &[("route", "天熹路")],
            Some(&w.east),
        )
        .await;
    assert_eq!(posted.status, 403);
    let posted = app
        .post_form(
            &format!("/grid/grids/{WEST}/visits"),
            &[
                ("household", &w.households[0].to_string()),
                ("notes", "走访"),
            ],
            Some(&w.east),
        )
        .await;
    assert_eq!(posted.status, 403);
    // Through their own grid, a west household is not theirs either.
    let posted = app
        .post_form(
            &format!("/grid/grids/{EAST}/visits"),
            &[
                ("household", &w.households[0].to_string()),
                ("notes", "走访"),
            ],
            Some(&w.east),
        )
        .await;
    assert_eq!(posted.status, 422);
    // The supervisor reads the log but records only in their own grids.
    let log = app
        .get(&format!("/grid/grids/{WEST}/duties"), Some(&w.supervisor))
        .await;
    assert_eq!(log.status, 200);
    assert!(!log.body.contains("登记巡查"));
    let posted = app
        .post_form(
            &format!("/grid/grids/{WEST}/patrols"),
            &[("route", "天熹路")],
            Some(&w.supervisor),
        )
        .await;
    assert_eq!(posted.status, 403);
    assert!(
        app.store.last_patrols().await.unwrap().is_empty(),
        "nothing was recorded"
    );
    // The east leader's list holds the east grid only; workers have no
    // overdue list of the district.
    let todo = app.get("/grid/duties", Some(&w.east)).await;
    assert!(todo.body.contains("天熹路3号1幢1单元201室"));
    assert!(!todo.body.contains("天熹路1号"));
    assert_eq!(
        app.get("/grid/duties/overdue", Some(&w.west)).await.status,
        403
    );
}

/// Working days of `[from, to)` in the app's calendar.
fn working_days(app: &TestApp, from: Date, to: Date) -> Vec<Date> {
    let cal = app.state.events.workflow.calendar();
    let mut out = Vec::new();
    let mut d = from;
    while d < to {
        if cal.is_working_day(d) {
            out.push(d);
        }
        d = d.next_day().unwrap();
    }
    out
}

fn day_start(d: Date) -> i64 {
    Timestamp::from_shanghai(d, 0, 0, 0).micros()
}

fn patrol(grid: &str, at: i64) -> NewPatrol {
    NewPatrol {
        id: Uuid::now_v7(),
        grid_code: grid.to_owned(),
        at,
        worker_id: None,
        worker_name: "李雪".to_owned(),
        route: "天熹路".to_owned(),
        notes: String::new(),
        point: None,
    }
}

/// The "共 n 条" of a list page.
fn total_of(body: &str) -> usize {
    let start = body.find("共 ").expect("a total") + "共 ".len();
    body[start..].split(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_overdue_list_filters_pages_and_exports() {
    let w = world().await;
    let app = &w.app;
    let today = Timestamp::from_micros(now(app)).shanghai_date();
    let days = working_days(app, today - time::Duration::days(30), today);
    // The west grid patrolled every day but its first; the others never.
    let patrols = days[1..]
        .iter()
        .map(|d| patrol(WEST, day_start(*d) + 9 * HOUR))
        .collect();
    app.store
        .import_duties(
            &AuditCtx::system("test", now(app)),
            "test",
            patrols,
            Vec::new(),
        )
        .await
        .unwrap();

    let page = |q: &[(&str, &str)]| {
        let path = format!("/grid/duties/overdue?{}", qs(q));
        let session = w.supervisor.clone();
        async move { app.get(&path, Some(&session)).await }
    };
    let west = page(&[("grid", WEST), ("kind", "patrol")]).await;
    assert_eq!(west.status, 200);
    assert_eq!(total_of(&west.body), 1, "{}", west.body);
    let east = page(&[("grid", EAST), ("kind", "patrol")]).await;
    assert_eq!(total_of(&east.body), days.len());
    // The community holds three grids (two never patrolled), the street
    // four.
    let community = page(&[("community", "320612001001"), ("kind", "patrol")]).await;
    assert_eq!(total_of(&community.body), 1 + 2 * days.len());
    let street = page(&[("street", "320612001"), ("kind", "patrol")]).await;
    assert_eq!(total_of(&street.body), 1 + 3 * days.len());
    // The previous half-year ended without visits to the three households;
    // last month without one to the tagged person.
    let households = page(&[("kind", "household_visit")]).await;
    assert_eq!(total_of(&households.body), 3);
    let tagged = page(&[("kind", "tagged_visit")]).await;
    assert_eq!(total_of(&tagged.body), 1);
    assert!(tagged.body.contains("张建华"));
    assert!(!tagged.body.contains(ID_A));
    // Pages of 50, the filters kept in the links.
    let all = page(&[]).await;
    let total = total_of(&all.body);
    assert_eq!(total, 1 + 3 * days.len() + 3 + 1);
    assert!(total > 50);
    assert_eq!(all.body.matches("<tr>").count(), 50 + 1);
    let second = page(&[("page", "2")]).await;
    assert_eq!(second.body.matches("<tr>").count(), total - 50 + 1);
    let filtered = page(&[("street", "320612001"), ("kind", "patrol")]).await;
    assert!(
        filtered
            .body
            .contains("street=320612001&amp;kind=patrol&amp;page=2")
            || filtered
                .body
                .contains("street=320612001&kind=patrol&page=2")
    );
    // Bad filters are refused in Chinese.
    let bad = page(&[("grid", "12345")]).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("15 位数字的网格编码"), "{}", bad.body);
    let bad = page(&[("kind", "nap")]).await;
    assert_eq!(bad.status, 422);

    // The workbook: every matching line.
    let (answer, bytes) = app
        .download(
            &format!(
                "/grid/duties/overdue.xlsx?{}",
                qs(&[("street", "320612001")])
            ),
            Some(&w.supervisor),
        )
        .await;
    assert_eq!(answer.status, 200);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("逾期履职").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows[0][2], Data::String("职责".to_owned()));
    assert_eq!(rows.len() - 1, total);
    assert!(rows
        .iter()
        .any(|r| r[0] == Data::String(ANKANG.to_owned())
            && r[2] == Data::String("网格巡查".to_owned())));
    assert!(rows.iter().any(|r| r[0] == Data::String(SCHOOL.to_owned())));

    // The zombie rule hears of patrols: the grids never patrolled are on it.
    let quality = app.get("/grid/quality", Some(&w.supervisor)).await;
    assert!(quality.body.contains("长期无巡查记录"));
}

#[tokio::test]
async fn attendance_is_due_in_working_hours_and_recorded_once_attended() {
    let w = world().await;
    let app = &w.app;
    // A dispute reported in the west grid at 10:00 on Thursday.
    let answer = app
        .post_form(
            "/grid/events/new",
            &[
                ("category", "instability"),
                ("grid_code", WEST),
                ("lng", "121.007"),
                ("lat", "32.007"),
                ("address", "天熹路1号1幢"),
                ("description", "邻里因噪音发生争吵"),
            ],
            Some(&w.west),
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let case_id: Uuid = answer
        .location()
        .and_then(|l| l.strip_prefix("/grid/events/"))
        .and_then(|l| l.split('?').next())
        .unwrap()
        .parse()
        .unwrap();
    let todo = app.get("/grid/duties", Some(&w.west)).await;
    assert!(todo.body.contains("应急处置和矛盾调处"), "{}", todo.body);
    assert!(todo.body.contains(&case_id.to_string()));
    // Three hours on, the two working hours have passed.
    app.clock.advance_secs(3 * 3600);
    // Sessions idle for an hour have ended: sign in again.
    let again = |name: &'static str| async move {
        let user = app.store.credentials(name).await.unwrap().unwrap().user;
        app.session_for(&user).await
    };
    let (west, east, supervisor) = (
        again("westworker").await,
        again("eastleader").await,
        again("supervisor").await,
    );
    let overdue = app
        .get("/grid/duties/overdue?kind=attendance", Some(&supervisor))
        .await;
    assert_eq!(overdue.status, 200, "{}", overdue.body);
    assert_eq!(total_of(&overdue.body), 1, "{}", overdue.body);
    // Another grid cannot record it; its own staff can.
    let other = app
        .post_form(
            &format!("/grid/grids/{EAST}/attendances"),
            &[("case", &case_id.to_string())],
            Some(&east),
        )
        .await;
    assert_eq!(other.status, 403);
    let done = app
        .post_form(
            &format!("/grid/grids/{WEST}/attendances"),
            &[("case", &case_id.to_string()), ("notes", "到场调解")],
            Some(&west),
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let overdue = app
        .get("/grid/duties/overdue?kind=attendance", Some(&supervisor))
        .await;
    assert_eq!(total_of(&overdue.body), 0);
}

#[tokio::test]
async fn completion_rates_agree_with_the_rules() {
    let w = world().await;
    let app = &w.app;
    let t = now(app);
    let today = Timestamp::from_micros(t).shanghai_date();
    // November 2026: patrols on some days in some grids; visits in the
    // first half-year (ended) and in October (ended) and this month (not).
    let november = Period::parse("2026-11").unwrap();
    let days = working_days(app, november.first, today);
    let mut patrols = Vec::new();
    let mut patrolled: Vec<(&str, Date)> = Vec::new();
    for (i, d) in days.iter().enumerate() {
        for (grid, every) in [(WEST, 1), (EAST, 2), (SCHOOL, 5)] {
            if i % every == 0 {
                patrols.push(patrol(grid, day_start(*d) + 10 * HOUR));
                patrolled.push((grid, *d));
            }
        }
    }
    let visit = |kind, h: Uuid, r: Option<Uuid>, at: i64| NewVisit {
        id: Uuid::now_v7(),
        kind,
        household_id: h,
        resident_id: r,
        at,
        worker_id: None,
        worker_name: "李雪".to_owned(),
        notes: "走访".to_owned(),
        findings: String::new(),
    };
    let at = |y: i32, m: u8, d: u8| {
        day_start(Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap())
            + 10 * HOUR
    };
    let visits = vec![
        visit(VisitKind::Household, w.households[0], None, at(2026, 3, 2)),
        visit(VisitKind::Household, w.households[2], None, at(2026, 6, 30)),
        visit(VisitKind::Household, w.households[1], None, at(2026, 7, 1)),
        visit(
            VisitKind::Tagged,
            w.households[0],
            Some(w.tagged),
            at(2026, 10, 9),
        ),
        visit(
            VisitKind::Tagged,
            w.households[0],
            Some(w.tagged),
            at(2026, 11, 9),
        ),
    ];
    let household_dates: Vec<(Uuid, Date)> = visits
        .iter()
        .filter(|v| v.kind == VisitKind::Household)
        .map(|v| (v.household_id, Timestamp::from_micros(v.at).shanghai_date()))
        .collect();
    let tagged_dates: Vec<Date> = visits
        .iter()
        .filter(|v| v.kind == VisitKind::Tagged)
        .map(|v| Timestamp::from_micros(v.at).shanghai_date())
        .collect();
    app.store
        .import_duties(&AuditCtx::system("test", t), "test", patrols, visits)
        .await
        .unwrap();

    let rules = app.state.config.grid_duties.rules;
    let cal = app.state.events.workflow.calendar();
    let next = |p: &Period| Timestamp::from_micros(p.to).shanghai_date();
    // The rules' verdicts, per grid, then summed.
    let expected_patrols = |grid: &str, p: &Period| {
        let judged: Vec<_> = rules
            .patrol_obligations(cal, grid, p.first, next(p))
            .iter()
            .map(|o| {
                let dates: Vec<Date> = patrolled
                    .iter()
                    .filter(|(g, _)| *g == grid)
                    .map(|(_, d)| *d)
                    .collect();
                assess(o, &dates, today)
            })
            .collect();
        rule_completion(&judged, today)
    };
    let expected_visits = |kind: DutyKind, subjects: &[(Uuid, Vec<Date>)], p: &Period| {
        let mut judged = Vec::new();
        for (s, dates) in subjects {
            for o in rules.visit_obligations(kind, &s.to_string(), p.first, next(p)) {
                // The period counts the windows whose last day is in it.
                if o.window.last_day() >= p.first && o.window.last_day() < next(p) {
                    judged.push(assess(&o, dates, today));
                }
            }
        }
        rule_completion(&judged, today)
    };
    let households: Vec<(Uuid, Vec<Date>)> = w
        .households
        .iter()
        .map(|h| {
            (
                *h,
                household_dates
                    .iter()
                    .filter(|(x, _)| x == h)
                    .map(|(_, d)| *d)
                    .collect(),
            )
        })
        .collect();
    let tagged = vec![(w.tagged, tagged_dates)];
    for text in ["2026-11", "2026-06", "2026", "2026-11-20"] {
        let p = Period::parse(text).unwrap();
        let (per_grid, total) =
            yiwang_web::grid::duties::completion(&app.state, &p, KpiGroup::Grid, None)
                .await
                .unwrap();
        for grid in [WEST, EAST, SCHOOL, ANKANG] {
            let (done, due) = expected_patrols(grid, &p);
            let got = per_grid.get(grid).map(|r| r.patrol).unwrap_or_default();
            assert_eq!((got.num, got.den), (done, due), "{text} {grid}");
        }
        let (done, due) = expected_visits(DutyKind::HouseholdVisit, &households, &p);
        assert_eq!(
            (total.household.num, total.household.den),
            (done, due),
            "{text}"
        );
        let (done, due) = expected_visits(DutyKind::TaggedVisit, &tagged, &p);
        assert_eq!((total.tagged.num, total.tagged.den), (done, due), "{text}");
    }
    // Known values: in the first half-year two of three households were
    // visited (the third on 1 July, in the second); October's tagged visit
    // counts for 2026, November's window has not ended.
    let year = Period::parse("2026").unwrap();
    let (_, total) =
        yiwang_web::grid::duties::completion(&app.state, &year, KpiGroup::Street, None)
            .await
            .unwrap();
    assert_eq!((total.household.num, total.household.den), (2, 3));
    assert_eq!(total.tagged.den, 10, "January to October");
    assert_eq!(total.tagged.num, 1);
    // The KPI page and workbook show them.
    let page = app
        .get("/grid/kpi?period=2026-11&level=grid", Some(&w.supervisor))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("巡查完成率"));
    assert!(
        page.body.contains("100.0%"),
        "the west grid patrolled every day"
    );
    let (answer, bytes) = app
        .download(
            "/grid/kpi.xlsx?period=2026&level=street",
            Some(&w.supervisor),
        )
        .await;
    assert_eq!(answer.status, 200);
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("考核指标").unwrap();
    let rows: Vec<_> = sheet.rows().collect();
    assert_eq!(rows[1][12], Data::String("入户走访完成率".to_owned()));
    let total_row = rows.last().unwrap();
    assert_eq!(total_row[12], Data::String("66.7%".to_owned()));
    assert_eq!(total_row[13], Data::String("10.0%".to_owned()));
}
