//! Cases kept to their grids and departments; reports settled in a grid
//! that exists; the command centre's indicators, pay sheet and zombie-grid
//! list on a known set of cases, on the page and in the workbooks.

mod common;

use calamine::{Data, Reader, Xlsx};
use common::grid::{load_small, load_small_with_staff, ANKANG, EAST, SCHOOL, WEST};
use common::{test_config, TestApp, PASSWORD};
use uuid::Uuid;
use yiwang_core::{Role, Timestamp};
use yiwang_grid::pay::{PayFormula, PayKpi};
use yiwang_store::cases::{CaseSummary, ImportedCase, NewCase, NewCaseEvent};
use yiwang_store::grid::StaffRole;
use yiwang_store::kpi::{shanghai_day, DAY_MICROS};
use yiwang_store::AuditCtx;

const HOUR: i64 = 3_600_000_000;

/// Reports as staff; the answer.
async fn report(app: &TestApp, session: &str, fields: &[(&str, &str)]) -> common::Answer {
    let mut all = vec![
        ("category", "environment"),
        ("address", "天熹社区3号楼东侧"),
        ("description", "垃圾堆积未清运"),
        ("photos", "photo-001.jpg"),
    ];
    all.extend_from_slice(fields);
    app.post_form("/grid/events/new", &all, Some(session)).await
}

fn id_of(answer: &common::Answer) -> Uuid {
    answer
        .location()
        .and_then(|l| l.strip_prefix("/grid/events/"))
        .and_then(|l| l.strip_suffix("?ok=reported"))
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn cases_are_seen_only_in_their_grids_and_departments() {
    let app = TestApp::new().await;
    let west_leader = app.user("westleader", Role::GridLeader).await;
    let east_leader = app.user("eastleader", Role::GridLeader).await;
    let worker = app.user("gridworker", Role::GridWorker).await;
    let handler = app.user("handler", Role::DeptHandler).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    load_small_with_staff(
        &app,
        &[
            (WEST, &west_leader, StaffRole::Leader),
            (EAST, &east_leader, StaffRole::Leader),
            (WEST, &worker, StaffRole::Worker),
        ],
    )
    .await;
    let west = app.session_for(&west_leader).await;
    let east = app.session_for(&east_leader).await;
    let worker = app.session_for(&worker).await;
    let handler = app.session_for(&handler).await;
    let supervisor = app.session_for(&supervisor).await;

    // A worker reports only into their grids; the grid must exist.
    let answer = report(&app, &worker, &[("grid_code", EAST)]).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("只能上报本人所在网格的事件"));
    let answer = report(&app, &worker, &[("grid_code", "320612001001099")]).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("该网格编码不存在"), "{}", answer.body);
    // Without a code, the grid holding the point.
    let answer = report(&app, &worker, &[("lng", "121.005"), ("lat", "32.005")]).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let id = id_of(&answer);
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.grid_code, WEST);

    // The west leader has it to check; the east leader neither lists nor
    // opens it, nor acts on it.
    let list = app.get("/grid/events", Some(&west)).await;
    assert!(list.body.contains("待核实（1）"), "{}", list.body);
    let list = app.get("/grid/events", Some(&east)).await;
    assert!(list.body.contains("待核实（0）"), "{}", list.body);
    assert!(!list.body.contains(&row.number));
    let page = app.get(&format!("/grid/events/{id}"), Some(&east)).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("您没有权限访问此页面"));
    let act = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[("do", "confirm")],
            Some(&east),
        )
        .await;
    assert_eq!(act.status, 403);
    assert_eq!(
        app.store.case(id).await.unwrap().unwrap().0.stage,
        "reported"
    );

    // The department sees it once it is dispatched there; the command
    // centre sees it all along.
    assert_eq!(
        app.get(&format!("/grid/events/{id}"), Some(&handler))
            .await
            .status,
        403
    );
    assert_eq!(
        app.get(&format!("/grid/events/{id}"), Some(&supervisor))
            .await
            .status,
        200
    );
    for (session, action) in [
        (&west, "confirm"),
        (&supervisor, "file"),
        (&supervisor, "dispatch"),
    ] {
        let answer = app
            .post_form(
                &format!("/grid/events/{id}/act"),
                &[("do", action), ("department", "urban_management")],
                Some(session),
            )
            .await;
        assert_eq!(answer.status, 303, "{action}: {}", answer.body);
    }
    assert_eq!(
        app.get(&format!("/grid/events/{id}"), Some(&handler))
            .await
            .status,
        200
    );
    let list = app.get("/grid/events", Some(&handler)).await;
    assert!(list.body.contains("待签收（1）"), "{}", list.body);
}

#[tokio::test]
async fn residents_and_open311_reports_land_in_an_existing_grid() {
    let app = TestApp::new().await;
    load_small(&app).await;
    let fields = [
        ("category", "environment"),
        ("address", "安康社区5号楼"),
        ("description", "楼道堆放杂物"),
        ("lng", "121.025"),
        ("lat", "32.005"),
    ];
    let answer = app.post_form("/grid/report", &fields, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let page = app
        .store
        .list_cases(&Default::default(), yiwang_store::Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(page.items[0].grid_code, ANKANG);
    // Outside every grid, without a code: told to give one.
    let mut outside = fields.to_vec();
    outside[3] = ("lng", "122.5");
    let answer = app.post_form("/grid/report", &outside, None).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("该位置不在任何网格内"));
}

/// A case with a summary made by hand, reported at `at` in `grid`.
fn case(n: i64, grid: &str, at: i64, s: CaseSummary) -> ImportedCase {
    ImportedCase {
        case: NewCase {
            id: Uuid::now_v7(),
            number_prefix: "SJ20261125".to_owned(),
            grid_code: grid.to_owned(),
            lng: None,
            lat: None,
            address: "天熹社区".to_owned(),
            description: "测试事件".to_owned(),
            reporter_kind: "staff".to_owned(),
            reporter_id: None,
            summary: s,
            events: vec![NewCaseEvent {
                at,
                kind: "reported".to_owned(),
                fact_json: "{}".to_owned(),
            }],
            photos: vec![],
            audit_action: "case.import".to_owned(),
            audit_detail: serde_json::Value::Null,
        },
        number: format!("SJ20261125{n:05}"),
        created_at: at,
        updated_at: at,
    }
}

fn summary(stage: &str) -> CaseSummary {
    CaseSummary {
        stage: stage.to_owned(),
        category: "environment".to_owned(),
        department: None,
        step_due: None,
        overall_due: None,
        next_due: None,
        extension_pending: false,
        registered: false,
        escalations: 0,
        rating: None,
        closed_at: None,
        filed_at: None,
        limit_at: None,
        deferred: false,
        reworks: 0,
        extensions: 0,
        close_working: None,
    }
}

/// Five cases reported on 2026-11-25 at 09:00 (the day before the test
/// clock): in 天熹社区 one closed on time (rated 5), one closed late after a
/// rework and an extension (rated 3), one open past its limit, one
/// deferred and closed; in 安康社区 one rejected.
async fn five_cases(app: &TestApp) {
    let at = Timestamp::parse_rfc3339("2026-11-25T09:00:00+08:00")
        .unwrap()
        .micros();
    let mut on_time = summary("evaluated");
    on_time.department = Some("urban_management".to_owned());
    on_time.filed_at = Some(at + HOUR);
    on_time.limit_at = Some(at + 10 * HOUR);
    on_time.closed_at = Some(at + 5 * HOUR);
    on_time.close_working = Some(4 * HOUR);
    on_time.rating = Some(5);
    let mut late = on_time.clone();
    late.stage = "closed".to_owned();
    late.closed_at = Some(at + 20 * HOUR);
    late.close_working = Some(8 * HOUR);
    late.reworks = 1;
    late.extensions = 1;
    late.rating = Some(3);
    let mut open = summary("handling");
    open.department = Some("environment".to_owned());
    open.filed_at = Some(at + HOUR);
    open.limit_at = Some(at + 10 * HOUR);
    let mut deferred = open.clone();
    deferred.stage = "closed".to_owned();
    deferred.deferred = true;
    deferred.closed_at = Some(at + 8 * HOUR);
    deferred.close_working = Some(6 * HOUR);
    let cases = vec![
        case(1, WEST, at, on_time),
        case(2, WEST, at, late),
        case(3, EAST, at, open),
        case(4, EAST, at, deferred),
        case(5, ANKANG, at, summary("rejected")),
    ];
    app.store
        .import_cases(&AuditCtx::system("test", at), cases)
        .await
        .unwrap();
}

/// The cells of a table row, by its `data-key`.
fn row<'a>(body: &'a str, key: &str) -> Vec<&'a str> {
    let start = body
        .find(&format!("data-key=\"{key}\""))
        .unwrap_or_else(|| panic!("no row {key}"));
    let rest = &body[start..];
    let end = rest.find("</tr>").unwrap();
    rest[..end]
        .split("<td")
        .skip(1)
        .map(|cell| {
            let open = cell.find('>').unwrap() + 1;
            let close = cell.find("</td>").unwrap();
            cell[open..close].trim()
        })
        .collect()
}

fn sheet(bytes: Vec<u8>, name: &str) -> Vec<Vec<String>> {
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => f.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn indicators_count_a_known_set_of_cases() {
    let app = TestApp::new().await;
    let leader = app.user("westleader", Role::GridLeader).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    load_small_with_staff(&app, &[(WEST, &leader, StaffRole::Leader)]).await;
    five_cases(&app).await;
    // The west leader logs in through the form: today counts for them.
    assert_eq!(app.login("westleader", PASSWORD).await.status, 303);
    let session = app.session_for(&supervisor).await;

    let page = app
        .get("/grid/kpi?period=2026-11&level=community", Some(&session))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // 天熹社区: 4 reported, all valid, 3 of 4 closed, on time 1 of (4 due −
    // 1 deferred), 1 of 4 reworked and extended, 1 of 2 ratings 4 or 5,
    // (5 + 20 + 8) / 3 hours to close; logins: 1 person-day of 3 staff
    // over the 19 working days of November so far. No patrols were
    // logged; no household lives there.
    assert_eq!(
        row(&page.body, "320612001001")[1..],
        [
            "4", "100.0%", "75.0%", "33.3%", "25.0%", "25.0%", "50.0%", "1.8%", "11.0", "0.0%",
            "—", "—"
        ]
    );
    assert_eq!(
        row(&page.body, "320612001002")[1..],
        ["1", "0.0%", "—", "—", "—", "—", "—", "0.0%", "—", "0.0%", "—", "—"]
    );
    assert_eq!(row(&page.body, "total")[..3], ["5", "80.0%", "75.0%"]);
    assert!(page.body.contains("<svg"), "charts are inline SVG");
    assert!(page.body.contains("事件上报数"));
    // Departments, and the days of another month hold nothing.
    let by_department = app
        .get(
            "/grid/kpi?period=2026-11-25&level=department",
            Some(&session),
        )
        .await;
    assert_eq!(
        row(&by_department.body, "urban_management")[..4],
        ["区城市管理局", "2", "100.0%", "100.0%"]
    );
    let october = app.get("/grid/kpi?period=2026-10", Some(&session)).await;
    assert_eq!(row(&october.body, "total")[0], "0");
    let bad = app.get("/grid/kpi?period=2026-13", Some(&session)).await;
    assert_eq!(bad.status, 422);

    // The workbook has the same numbers.
    let (answer, bytes) = app
        .download(
            "/grid/kpi.xlsx?period=2026-11&level=grid&under=320612001001",
            Some(&session),
        )
        .await;
    assert_eq!(answer.status, 200);
    let rows = sheet(bytes, "考核指标");
    assert_eq!(rows[1][5], "按期结案率");
    let west: Vec<&str> = rows
        .iter()
        .find(|r| r[0] == WEST)
        .unwrap()
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        west[1..10],
        [
            "天熹一网格",
            "2",
            "100.0%",
            "100.0%",
            "50.0%",
            "50.0%",
            "50.0%",
            "50.0%",
            "5.3%"
        ]
    );
    let categories = sheet(
        app.download("/grid/kpi.xlsx?period=2026", Some(&session))
            .await
            .1,
        "分类办结时长",
    );
    assert_eq!(categories[1], ["环境影响事件", "3", "11.0", "6.0"]);
}

#[tokio::test]
async fn the_pool_is_shared_by_the_formula_to_the_fen() {
    let mut config = test_config();
    config.grid_kpi.pay = PayFormula {
        weights: [(PayKpi::OnTimeRate, 1)].into_iter().collect(),
    };
    let app = TestApp::with_config(config).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    load_small(&app).await;
    five_cases(&app).await;
    let session = app.session_for(&supervisor).await;
    // On time: west 1 of 2 (500), east 0 of 1 (0), the school and 安康
    // nothing due (1000 each): 2,500 points. 100.01 yuan = 10,001 fen:
    // west ⌊2000.2⌋, school and 安康 ⌊4000.4⌋; the fen left goes to the
    // school (equal remainder, smaller code).
    let page = app
        .get("/grid/pay?month=2026-11&pool=100.01", Some(&session))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("总分 2500"), "{}", page.body);
    let share = |grid: &str| {
        let at = page.body.find(&format!("data-grid=\"{grid}\"")).unwrap();
        let rest = &page.body[at..];
        let s = rest.find("data-share>").unwrap() + "data-share>".len();
        rest[s..s + rest[s..].find('<').unwrap()].to_owned()
    };
    assert_eq!(share(WEST), "20.00");
    assert_eq!(share(EAST), "0.00");
    assert_eq!(share(SCHOOL), "40.01");
    assert_eq!(share(ANKANG), "40.00");
    assert!(page.body.contains("50.0% / 500 → 500"));

    let (answer, bytes) = app
        .download("/grid/pay.xlsx?month=2026-11&pool=100.01", Some(&session))
        .await;
    assert_eq!(answer.status, 200);
    let rows = sheet(bytes, "浮动绩效");
    let shares: Vec<(&str, &str)> = rows[2..]
        .iter()
        .map(|r| (r[0].as_str(), r.last().unwrap().as_str()))
        .collect();
    assert_eq!(
        shares,
        [
            (WEST, "20.00"),
            (EAST, "0.00"),
            (SCHOOL, "40.01"),
            (ANKANG, "40.00")
        ]
    );
    let bad = app.get("/grid/pay?pool=abc", Some(&session)).await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn zombie_grids_are_listed_until_fixed() {
    let app = TestApp::new().await;
    let leader = app.user("westleader", Role::GridLeader).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    load_small_with_staff(&app, &[(WEST, &leader, StaffRole::Leader)]).await;
    let session = app.session_for(&supervisor).await;
    let page = app.get("/grid/quality", Some(&session)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-zombies=\"4\""), "{}", page.body);
    assert!(page.body.contains("长期无人登录（从未）"));

    // Every grid's staff log in today and every grid has a report.
    let now = yiwang_core::Clock::now(&app.clock).micros();
    let today = shanghai_day(now);
    let mut days = Vec::new();
    for grid in [WEST, EAST, SCHOOL, ANKANG] {
        for a in app.store.grid_staff(grid).await.unwrap() {
            days.push((a.staff.id, today - DAY_MICROS));
        }
    }
    let ctx = AuditCtx::system("test", now);
    app.store.import_login_days(&ctx, days).await.unwrap();
    let cases = [WEST, EAST, SCHOOL, ANKANG]
        .iter()
        .enumerate()
        .map(|(i, g)| case(10 + i as i64, g, now - DAY_MICROS, summary("reported")))
        .collect();
    app.store.import_cases(&ctx, cases).await.unwrap();
    // Still no patrol anywhere: every grid stays on the list for that.
    let page = app.get("/grid/quality", Some(&session)).await;
    assert!(page.body.contains("data-zombies=\"4\""), "{}", page.body);
    assert!(
        page.body.contains("长期无巡查记录（从未）"),
        "{}",
        page.body
    );
    let patrols = [WEST, EAST, SCHOOL, ANKANG]
        .iter()
        .map(|g| yiwang_store::duties::NewPatrol {
            id: Uuid::now_v7(),
            grid_code: (*g).to_owned(),
            at: now - DAY_MICROS,
            worker_id: None,
            worker_name: "李雪".to_owned(),
            route: "天熹路".to_owned(),
            notes: String::new(),
            point: None,
        })
        .collect();
    app.store
        .import_duties(&ctx, "test", patrols, Vec::new())
        .await
        .unwrap();
    let page = app.get("/grid/quality", Some(&session)).await;
    assert!(page.body.contains("僵尸网格已清零"), "{}", page.body);

    // A leader whose account is disabled leaves the grid without one.
    app.store
        .set_user_active(&ctx, leader.id, false)
        .await
        .unwrap();
    let page = app.get("/grid/quality", Some(&session)).await;
    assert!(page.body.contains("data-zombies=\"1\""), "{}", page.body);
    assert!(page.body.contains("无在岗网格长"));
    assert!(page.body.contains(&format!("data-grid=\"{WEST}\"")));
}

/// A multipart body of text fields and `photo` files; the content type.
fn multipart(fields: &[(&str, &str)], photos: &[&[u8]]) -> (String, Vec<u8>) {
    let boundary = "yiwang-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (i, bytes) in photos.iter().enumerate() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; \
                 filename=\"p{i}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    app: &TestApp,
    path: &str,
    session: &str,
    fields: &[(&str, &str)],
    photos: &[&[u8]],
) -> common::Answer {
    use axum::body::Body;
    use axum::http::{header, Request};
    let (content_type, body) = multipart(fields, photos);
    app.send(
        Request::post(format!("{path}?_csrf={}", common::CSRF))
            .header(header::CONTENT_TYPE, content_type)
            .header(
                header::COOKIE,
                format!("yiwang_csrf={}; yiwang_session={session}", common::CSRF),
            )
            .header(header::ORIGIN, "http://127.0.0.1:8080")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

const JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
];
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00];

#[tokio::test]
async fn photos_are_uploaded_checked_and_shown_only_within_scope() {
    let app = TestApp::new().await;
    let west_leader = app.user("westleader", Role::GridLeader).await;
    let east_leader = app.user("eastleader", Role::GridLeader).await;
    let worker = app.user("gridworker", Role::GridWorker).await;
    let handler = app.user("handler", Role::DeptHandler).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    load_small_with_staff(
        &app,
        &[
            (WEST, &west_leader, StaffRole::Leader),
            (EAST, &east_leader, StaffRole::Leader),
            (WEST, &worker, StaffRole::Worker),
        ],
    )
    .await;
    let west = app.session_for(&west_leader).await;
    let east = app.session_for(&east_leader).await;
    let worker = app.session_for(&worker).await;
    let handler = app.session_for(&handler).await;
    let supervisor = app.session_for(&supervisor).await;
    let fields = [
        ("grid_code", WEST),
        ("category", "public_facility"),
        ("address", "天熹社区3号楼"),
        ("description", "广告牌松动"),
        ("lng", "121.005"),
        ("lat", "32.005"),
    ];

    // Not an image by its bytes, whatever its name: refused, nothing stored.
    let answer = post_multipart(
        &app,
        "/grid/events/new",
        &worker,
        &fields,
        &[b"<svg xmlns='http://www.w3.org/2000/svg'/>"],
    )
    .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("照片须为 JPEG 或 PNG 格式的图片"));
    // Too large.
    let big = vec![0xFFu8; 5 * 1024 * 1024 + 1];
    let answer = post_multipart(&app, "/grid/events/new", &worker, &fields, &[&big]).await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("照片过大"));

    // A JPEG and a PNG with the report.
    let answer = post_multipart(&app, "/grid/events/new", &worker, &fields, &[JPEG, PNG]).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let id = id_of(&answer);
    let page = app.get(&format!("/grid/events/{id}"), Some(&west)).await;
    let urls: Vec<String> = page
        .body
        .split("<img class=\"photo\" src=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect();
    assert_eq!(urls.len(), 2, "{}", page.body);
    let (answer, bytes) = app.download(&urls[0], Some(&west)).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers["content-type"], "image/jpeg");
    assert_eq!(answer.headers["x-content-type-options"], "nosniff");
    assert_eq!(bytes, JPEG);
    let (answer, bytes) = app.download(&urls[1], Some(&supervisor)).await;
    assert_eq!(answer.headers["content-type"], "image/png");
    assert_eq!(bytes, PNG);
    // Out of scope: refused; unknown: not found.
    assert_eq!(app.download(&urls[0], Some(&east)).await.0.status, 403);
    assert_eq!(app.download(&urls[0], Some(&handler)).await.0.status, 403);
    assert_eq!(app.download(&urls[0], None).await.0.status, 303);
    assert_eq!(
        app.download(&format!("/grid/photos/{}", Uuid::now_v7()), Some(&west))
            .await
            .0
            .status,
        404
    );

    // The handler's feedback carries its photo.
    for (session, action) in [
        (&west, "confirm"),
        (&supervisor, "file"),
        (&supervisor, "dispatch"),
        (&handler, "accept"),
    ] {
        let answer = app
            .post_form(
                &format!("/grid/events/{id}/act"),
                &[("do", action)],
                Some(session),
            )
            .await;
        assert_eq!(answer.status, 303, "{action}: {}", answer.body);
    }
    let answer = post_multipart(
        &app,
        &format!("/grid/events/{id}/act"),
        &handler,
        &[("do", "feedback"), ("summary", "已加固广告牌")],
        &[PNG],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = app.get(&format!("/grid/events/{id}"), Some(&handler)).await;
    assert_eq!(page.body.matches("<img class=\"photo\"").count(), 3);
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.stage, "recheck");
}

/// The `held` field of a report form that came back.
fn held_field(body: &str) -> String {
    let start = body
        .find(r#"name="held" value=""#)
        .expect("the form keeps its photos")
        + 19;
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn photos_sent_with_a_form_that_comes_back_are_kept_for_the_next_submission() {
    let app = TestApp::new().await;
    let leader = app.user("westleader", Role::GridLeader).await;
    let worker = app.user("gridworker", Role::GridWorker).await;
    let other = app.user("otherworker", Role::GridWorker).await;
    load_small_with_staff(
        &app,
        &[
            (WEST, &leader, StaffRole::Leader),
            (WEST, &worker, StaffRole::Worker),
            (WEST, &other, StaffRole::Worker),
        ],
    )
    .await;
    let leader = app.session_for(&leader).await;
    let worker = app.session_for(&worker).await;
    let other = app.session_for(&other).await;
    let mut fields = vec![
        ("grid_code", WEST),
        ("category", "public_facility"),
        ("address", "天熹社区3号楼"),
        ("description", "广告牌松动"),
        ("lng", "121.005"),
        ("lat", "北纬"),
    ];
    // A field to correct: the form comes back, its photo kept.
    let answer = post_multipart(&app, "/grid/events/new", &worker, &fields, &[JPEG]).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(
        answer.body.contains(r#"data-held-photos="1""#),
        "{}",
        answer.body
    );
    let held = held_field(&answer.body);
    assert_eq!(held.split(' ').count(), 1);

    // Another worker citing those ids gets none of the photos: this
    // category needs one, so the report is refused.
    fields[5] = ("lat", "32.005");
    let mut stolen = fields.clone();
    stolen.push(("held", held.as_str()));
    let answer = post_multipart(&app, "/grid/events/new", &other, &stolen, &[]).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("须附现场照片"), "{}", answer.body);
    assert!(!answer.body.contains("data-held-photos"));

    // The reporter corrects the field and adds a photo: both go with the
    // report, the kept one first.
    let mut fixed = fields.clone();
    fixed.push(("held", held.as_str()));
    let answer = post_multipart(&app, "/grid/events/new", &worker, &fixed, &[PNG]).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let page = app
        .get(&format!("/grid/events/{}", id_of(&answer)), Some(&leader))
        .await;
    let urls: Vec<String> = page
        .body
        .split("<img class=\"photo\" src=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .collect();
    assert_eq!(urls.len(), 2, "{}", page.body);
    assert_eq!(urls[0], format!("/grid/photos/{held}"));
    assert_eq!(app.download(&urls[0], Some(&leader)).await.1, JPEG);
    assert_eq!(app.download(&urls[1], Some(&leader)).await.1, PNG);
    // Taken by the case: the same ids bring no photo to another report.
    fixed.push(("confirm", "1"));
    let answer = post_multipart(&app, "/grid/events/new", &worker, &fixed, &[]).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("须附现场照片"), "{}", answer.body);
}
