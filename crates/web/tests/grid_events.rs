//! Grid events through the pages: a staff report goes round the whole
//! loop (report → check → file → dispatch → handle → feedback → failed
//! re-check → feedback → re-check → close → evaluate); a refusal is shown
//! in Chinese and changes nothing; duplicates are suggested before filing;
//! the timer escalates an overdue case at its deadline; residents report
//! without an account, within a rate limit. Cases are in the hand-drawn
//! district's grids, whose staff the accounts are.

mod common;

use common::grid::{load_small_with_staff, WEST};
use common::TestApp;
use uuid::Uuid;
use yiwang_cases::Refusal;
use yiwang_core::{Role, Timestamp};
use yiwang_store::cases::CaseQuery;
use yiwang_store::grid::StaffRole;
use yiwang_store::{AuditQuery, Page};

const GRID: &str = WEST;

struct People {
    users: Vec<yiwang_store::User>,
    worker: String,
    leader: String,
    handler: String,
    supervisor: String,
}

async fn people(app: &TestApp) -> People {
    let worker = app.user("gridworker", Role::GridWorker).await;
    let leader = app.user("gridleader", Role::GridLeader).await;
    let handler = app.user("handler", Role::DeptHandler).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    load_small_with_staff(
        app,
        &[
            (GRID, &leader, StaffRole::Leader),
            (GRID, &worker, StaffRole::Worker),
        ],
    )
    .await;
    People {
        users: vec![
            worker.clone(),
            leader.clone(),
            handler.clone(),
            supervisor.clone(),
        ],
        worker: app.session_for(&worker).await,
        leader: app.session_for(&leader).await,
        handler: app.session_for(&handler).await,
        supervisor: app.session_for(&supervisor).await,
    }
}

impl People {
    /// New sessions at the clock's now (after the clock moved past the
    /// sessions' idle limit).
    async fn refresh(&mut self, app: &TestApp) {
        self.worker = app.session_for(&self.users[0]).await;
        self.leader = app.session_for(&self.users[1]).await;
        self.handler = app.session_for(&self.users[2]).await;
        self.supervisor = app.session_for(&self.users[3]).await;
    }
}

/// Reports as staff and returns the new case's id.
async fn staff_report(
    app: &TestApp,
    session: &str,
    category: &str,
    extra: &[(&str, &str)],
) -> Uuid {
    let mut fields = vec![
        ("grid_code", GRID),
        ("category", category),
        ("address", "天熹社区3号楼东侧"),
        ("description", "路灯杆倾斜，存在倒伏危险"),
        ("photos", "photo-001.jpg"),
    ];
    fields.extend_from_slice(extra);
    let answer = app
        .post_form("/grid/events/new", &fields, Some(session))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.location().unwrap();
    let id = location
        .strip_prefix("/grid/events/")
        .and_then(|rest| rest.strip_suffix("?ok=reported"))
        .unwrap_or_else(|| panic!("unexpected location {location}"));
    id.parse().unwrap()
}

async fn act(app: &TestApp, session: &str, id: Uuid, fields: &[(&str, &str)]) {
    let answer = app
        .post_form(&format!("/grid/events/{id}/act"), fields, Some(session))
        .await;
    assert_eq!(answer.status, 303, "{fields:?}: {}", answer.body);
    assert_eq!(
        answer.location(),
        Some(format!("/grid/events/{id}?ok=done").as_str())
    );
}

async fn stage(app: &TestApp, id: Uuid) -> String {
    app.store.case(id).await.unwrap().unwrap().0.stage
}

#[tokio::test]
async fn a_staff_report_goes_round_the_whole_loop() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let id = staff_report(
        &app,
        &p.worker,
        "public_facility",
        &[("lng", "116.656"), ("lat", "39.909")],
    )
    .await;
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.number, "SJ2026112600001");
    assert_eq!(row.stage, "reported");
    assert_eq!(row.grid_code, GRID);

    // The leader's work list shows it to check; the case page offers the check.
    let list = app.get("/grid/events", Some(&p.leader)).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("待核实（1）"), "{}", list.body);
    assert!(list.body.contains("SJ2026112600001"));
    let page = app
        .get(&format!("/grid/events/{id}"), Some(&p.leader))
        .await;
    assert!(page.body.contains(r#"data-action="confirm""#));
    assert!(!page.body.contains(r#"data-action="file""#));

    act(&app, &p.leader, id, &[("do", "confirm")]).await;
    assert_eq!(stage(&app, id).await, "confirmed");
    act(&app, &p.supervisor, id, &[("do", "file"), ("category", "")]).await;
    let list = app.get("/grid/events", Some(&p.supervisor)).await;
    assert!(list.body.contains("待派遣（1）"), "{}", list.body);
    act(
        &app,
        &p.supervisor,
        id,
        &[("do", "dispatch"), ("department", "")],
    )
    .await;
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.stage, "dispatched");
    assert_eq!(
        row.department.as_deref(),
        Some("urban_management"),
        "routed by category"
    );
    let list = app.get("/grid/events", Some(&p.handler)).await;
    assert!(list.body.contains("待签收（1）"), "{}", list.body);

    act(&app, &p.handler, id, &[("do", "accept")]).await;
    act(
        &app,
        &p.handler,
        id,
        &[("do", "feedback"), ("summary", "已扶正加固路灯杆")],
    )
    .await;
    assert_eq!(stage(&app, id).await, "recheck");
    act(
        &app,
        &p.leader,
        id,
        &[("do", "recheck_fail"), ("reason", "底座仍松动")],
    )
    .await;
    assert_eq!(stage(&app, id).await, "handling");
    act(
        &app,
        &p.handler,
        id,
        &[("do", "feedback"), ("summary", "更换底座螺栓")],
    )
    .await;
    act(
        &app,
        &p.leader,
        id,
        &[("do", "recheck_pass"), ("note", "现场已整改")],
    )
    .await;
    act(&app, &p.supervisor, id, &[("do", "close")]).await;
    assert_eq!(stage(&app, id).await, "closed");
    let list = app.get("/grid/events", Some(&p.worker)).await;
    assert!(list.body.contains("待评价（1）"), "{}", list.body);
    act(
        &app,
        &p.worker,
        id,
        &[("do", "evaluate"), ("rating", "5"), ("comment", "处理及时")],
    )
    .await;

    let (row, events) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.stage, "evaluated");
    assert_eq!(row.rating, Some(5));
    assert!(row.closed_at.is_some());
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "reported",
            "confirmed",
            "filed",
            "dispatched",
            "accepted",
            "fed_back",
            "recheck_failed",
            "fed_back",
            "recheck_passed",
            "closed",
            "evaluated"
        ]
    );
    let page = app
        .get(&format!("/grid/events/{id}"), Some(&p.worker))
        .await;
    assert!(page.body.contains("已评价"));
    assert!(
        page.body.contains("核查不通过（返工）：理由：底座仍松动"),
        "{}",
        page.body
    );
    let audit = app
        .store
        .audit_query(
            &AuditQuery {
                object_id: Some(id.to_string()),
                ..Default::default()
            },
            Page::number(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 11, "one audit record per fact written");
}

#[tokio::test]
async fn a_refused_action_is_shown_in_chinese_and_changes_nothing() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let id = staff_report(
        &app,
        &p.worker,
        "public_facility",
        &[("lng", "116.65"), ("lat", "39.9")],
    )
    .await;
    // The department does not see a case before it is dispatched to it.
    let answer = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[("do", "accept")],
            Some(&p.handler),
        )
        .await;
    assert_eq!(answer.status, 403);
    assert!(
        answer.body.contains("您没有权限访问此页面"),
        "{}",
        answer.body
    );
    // The command centre cannot close a case still waiting for its check.
    let answer = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[("do", "close")],
            Some(&p.supervisor),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer.body.contains(Refusal::WrongStep.message_zh()),
        "{}",
        answer.body
    );
    // A worker has no duty to check.
    let answer = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[("do", "confirm")],
            Some(&p.worker),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains(Refusal::NotAllowed.message_zh()));
    // A rejection needs a reason.
    let answer = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[("do", "reject"), ("reason", " ")],
            Some(&p.leader),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains(Refusal::ReasonRequired.message_zh()));
    let (row, events) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.stage, "reported");
    assert_eq!(events.len(), 1);
    // A photo is required of staff for a hazard.
    let answer = app
        .post_form(
            "/grid/events/new",
            &[
                ("grid_code", GRID),
                ("category", "safety_hazard"),
                ("address", "x"),
                ("description", "井盖缺失"),
                ("lng", "116.7"),
                ("lat", "39.8"),
            ],
            Some(&p.worker),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer.body.contains(Refusal::PhotoRequired.message_zh()),
        "{}",
        answer.body
    );
    // A bad grid code is a field error.
    let answer = app
        .post_form(
            "/grid/events/new",
            &[
                ("grid_code", "12345"),
                ("category", "environment"),
                ("description", "垃圾堆积"),
            ],
            Some(&p.worker),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("网格编码须为 15 位数字"));
    let all = app
        .store
        .list_cases(&CaseQuery::default(), Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(all.total, 1);
}

#[tokio::test]
async fn possible_duplicates_are_suggested_before_filing() {
    let app = TestApp::new().await;
    let mut p = people(&app).await;
    let first = staff_report(
        &app,
        &p.worker,
        "environment",
        &[("lng", "116.656"), ("lat", "39.909")],
    )
    .await;
    let first_number = app.store.case(first).await.unwrap().unwrap().0.number;
    app.clock.advance_secs(3600);
    p.refresh(&app).await;
    // ~30 m away, same category: suggested, nothing filed.
    let near = [
        ("grid_code", GRID),
        ("category", "environment"),
        ("address", "天熹社区4号楼"),
        ("description", "垃圾堆积发臭"),
        ("photos", "p2.jpg"),
        ("lng", "116.656"),
        ("lat", "39.90927"),
    ];
    let answer = app
        .post_form("/grid/events/new", &near, Some(&p.leader))
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer
            .body
            .contains(&format!(r#"data-duplicate="{first_number}""#)),
        "{}",
        answer.body
    );
    assert_eq!(
        app.store
            .list_cases(&CaseQuery::default(), Page::number(1, 10))
            .await
            .unwrap()
            .total,
        1
    );
    // Another category at the same place is no duplicate.
    let mut other = near.to_vec();
    other[1] = ("category", "public_facility");
    let answer = app
        .post_form("/grid/events/new", &other, Some(&p.leader))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    // Confirmed by the reporter, it is filed.
    let mut confirmed = near.to_vec();
    confirmed.push(("confirm", "1"));
    let answer = app
        .post_form("/grid/events/new", &confirmed, Some(&p.leader))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    // The window is half-open: a second short of seven days after the
    // last report it is still suggested, seven days after, no more.
    app.clock.advance_secs(7 * 24 * 3600 - 1);
    p.refresh(&app).await;
    let answer = app
        .post_form("/grid/events/new", &near, Some(&p.leader))
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    app.clock.advance_secs(1);
    let answer = app
        .post_form("/grid/events/new", &near, Some(&p.leader))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}

#[tokio::test]
async fn the_timer_escalates_an_overdue_case_at_its_deadline() {
    let app = TestApp::new().await;
    let mut p = people(&app).await;
    // 不稳定因素: the check is due within one working hour (10:00 → 11:00).
    let id = staff_report(
        &app,
        &p.worker,
        "instability",
        &[("lng", "116.65"), ("lat", "39.9")],
    )
    .await;
    let due = Timestamp::parse_rfc3339("2026-11-26T11:00:00+08:00").unwrap();
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.next_due, Some(due.micros()));
    app.clock.set(Timestamp::from_micros(due.micros() - 1));
    assert_eq!(yiwang_web::cases::tick(&app.state).await.unwrap(), 0);
    app.clock
        .set(Timestamp::parse_rfc3339("2026-11-26T14:30:00+08:00").unwrap());
    assert_eq!(yiwang_web::cases::tick(&app.state).await.unwrap(), 1);
    assert_eq!(
        yiwang_web::cases::tick(&app.state).await.unwrap(),
        0,
        "escalated once"
    );
    let (row, events) = app.store.case(id).await.unwrap().unwrap();
    assert_eq!(row.escalations, 1);
    assert_eq!(row.next_due, None);
    let last = events.last().unwrap();
    assert_eq!(last.kind, "escalated");
    assert_eq!(
        last.at,
        due.micros(),
        "stamped with the deadline, not the tick"
    );
    p.refresh(&app).await;
    let list = app.get("/grid/events", Some(&p.supervisor)).await;
    assert!(list.body.contains("已超时（1）"), "{}", list.body);
    let page = app
        .get(&format!("/grid/events/{id}"), Some(&p.supervisor))
        .await;
    assert!(page.body.contains("超时，升级至指挥中心"));
    let audit = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("case.escalate".into()),
                ..Default::default()
            },
            Page::number(1, 5),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert_eq!(audit.items[0].actor_name, "case-timer");
}

#[tokio::test]
async fn residents_report_without_an_account_within_a_limit() {
    let app = TestApp::new().await;
    common::grid::load_small(&app).await;
    let form = app.get(&format!("/grid/report?grid={GRID}"), None).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(&format!(r#"value="{GRID}""#)));
    let fields = [
        ("grid_code", GRID),
        ("category", "environment"),
        ("address", "天熹社区5号楼"),
        ("description", "楼道堆放杂物"),
    ];
    let answer = app.post_form("/grid/report", &fields, None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer.body.contains(r#"data-number="SJ2026112600001""#),
        "{}",
        answer.body
    );
    let (row, _) = app
        .store
        .case_by_number("SJ2026112600001")
        .await
        .unwrap()
        .map(|r| (r, ()))
        .unwrap();
    assert_eq!(row.reporter_kind, "resident");
    assert_eq!(row.reporter_id, None);
    for _ in 0..4 {
        assert_eq!(
            app.post_form("/grid/report", &fields, None).await.status,
            200
        );
    }
    assert_eq!(
        app.post_form("/grid/report", &fields, None).await.status,
        429
    );
    // Staff pages stay closed to the public.
    assert_eq!(app.get("/grid/events", None).await.status, 303);
}

#[tokio::test]
async fn extensions_need_approval_and_the_register_stops_the_clocks() {
    let app = TestApp::new().await;
    let p = people(&app).await;
    let id = staff_report(
        &app,
        &p.worker,
        "public_facility",
        &[("lng", "116.65"), ("lat", "39.9")],
    )
    .await;
    act(&app, &p.leader, id, &[("do", "confirm")]).await;
    act(&app, &p.supervisor, id, &[("do", "file")]).await;
    act(&app, &p.supervisor, id, &[("do", "dispatch")]).await;
    // A handler of no configured department sees no case.
    let stranger = app.user("handler2", Role::DeptHandler).await;
    let stranger = app.session_for(&stranger).await;
    let answer = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[("do", "accept")],
            Some(&stranger),
        )
        .await;
    assert_eq!(answer.status, 403);
    act(&app, &p.handler, id, &[("do", "accept")]).await;

    // An extension needs a reason, then the supervisor's approval.
    let answer = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[
                ("do", "request_extension"),
                ("new_due", "2026-12-18T17:00"),
                ("reason", ""),
            ],
            Some(&p.handler),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains(Refusal::ReasonRequired.message_zh()));
    act(
        &app,
        &p.handler,
        id,
        &[
            ("do", "request_extension"),
            ("new_due", "2026-12-18T17:00"),
            ("reason", "需订购配件"),
        ],
    )
    .await;
    let list = app.get("/grid/events", Some(&p.supervisor)).await;
    assert!(list.body.contains("待审批延期（1）"), "{}", list.body);
    let page = app
        .get(&format!("/grid/events/{id}"), Some(&p.supervisor))
        .await;
    assert!(page.body.contains(r#"data-action="approve_extension""#));
    assert!(
        !page.body.contains(r#"data-action="feedback""#),
        "the supervisor does not handle"
    );
    act(&app, &p.supervisor, id, &[("do", "approve_extension")]).await;
    let new_due = Timestamp::parse_rfc3339("2026-12-18T17:00:00+08:00").unwrap();
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert!(!row.extension_pending);
    assert_eq!(row.overall_due, Some(new_due.micros()));

    // On the register the clocks stop; only taking it off is possible.
    act(
        &app,
        &p.supervisor,
        id,
        &[("do", "register"), ("reason", "涉及产权纠纷，暂无法处置")],
    )
    .await;
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert!(row.registered);
    assert_eq!(
        (row.step_due, row.overall_due, row.next_due),
        (None, None, None)
    );
    let list = app.get("/grid/events", Some(&p.supervisor)).await;
    assert!(list.body.contains("挂账事项（1）"), "{}", list.body);
    let answer = app
        .post_form(
            &format!("/grid/events/{id}/act"),
            &[("do", "feedback"), ("summary", "已处理")],
            Some(&p.handler),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains(Refusal::OnRegister.message_zh()));
    act(
        &app,
        &p.supervisor,
        id,
        &[("do", "unregister"), ("reason", "纠纷已调解")],
    )
    .await;
    let (row, _) = app.store.case(id).await.unwrap().unwrap();
    assert!(!row.registered);
    assert_eq!(row.stage, "handling");
    assert!(row.overall_due.is_some() && row.next_due.is_some());
}
