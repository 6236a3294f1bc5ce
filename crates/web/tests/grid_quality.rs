//! Problem data through the pages: legacy records imported as given, each
//! detector's count and work list, each fix taking its record off the list
//! until every list reads zero; look-alike residents merged or judged two
//! people; overdue tags renewed; who sees which grids; masked ID numbers
//! everywhere but an intake record's page for its own grid (audited); the
//! XLSX export.

mod common;

use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use common::grid::{qs, small_import, EAST, WEST};
use common::{NowMicros, TestApp};
use uuid::Uuid;
use yiwang_core::Role;
use yiwang_store::grid::{NewStaff, StaffRole};
use yiwang_store::residents::{NewBuilding, NewTag, Placement};
use yiwang_store::{AuditCtx, AuditQuery, Page};

/// Valid GB 11643 numbers: A and B share a birth date, C and D another.
const ID_A: &str = "320612198002020013";
const ID_B: &str = "320683198002020035";
const ID_C: &str = "320612197510100023";
const ID_D: &str = "320683197510100045";
const ID_E: &str = "320612199001011232";
/// ID_E with a wrong check character.
const ID_BAD: &str = "320612199001011233";

struct World {
    app: TestApp,
    /// Works in the west grid.
    worker: String,
    /// Leads the east grid.
    east_leader: String,
    /// A supervisor assigned to no grid.
    supervisor: String,
    handler: String,
    /// 天熹路1号1幢 (west).
    west_building: Uuid,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let worker = app.user("gridworker", Role::GridWorker).await;
    let east_leader = app.user("eastleader", Role::GridLeader).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    let handler = app.user("handler", Role::DeptHandler).await;
    let mut import = small_import();
    let east = import
        .assignments
        .iter()
        .position(|(g, _, r)| g == EAST && *r == StaffRole::Leader)
        .unwrap();
    let (_, old, _) = import.assignments.remove(east);
    import.staff.retain(|s| s.id != old);
    for (user, grid, role) in [
        (&worker, WEST, StaffRole::Worker),
        (&east_leader, EAST, StaffRole::Leader),
    ] {
        let id = Uuid::now_v7();
        import.staff.push(NewStaff {
            id,
            name: user.display_name.clone(),
            official_phone: "0513-86109999".to_owned(),
            user_id: Some(user.id),
        });
        import.assignments.push((grid.to_owned(), id, role));
    }
    let ctx = AuditCtx::system("test", app.clock.now_micros());
    app.store.import_grids(&ctx, import).await.unwrap();
    let west_building = app
        .store
        .create_building(
            &ctx,
            NewBuilding {
                id: Uuid::now_v7(),
                grid_code: WEST.to_owned(),
                road: "天熹路".to_owned(),
                number: "1号".to_owned(),
                building: "1幢".to_owned(),
                address_key: "天熹路1号1幢".to_owned(),
                lng: None,
                lat: None,
                placement: Placement::Assigned,
            },
        )
        .await
        .unwrap()
        .id;
    World {
        worker: app.session_for(&worker).await,
        east_leader: app.session_for(&east_leader).await,
        supervisor: app.session_for(&supervisor).await,
        handler: app.session_for(&handler).await,
        west_building,
        app,
    }
}

/// Registers a resident in the west building through the form.
async fn register(w: &World, name: &str, id: &str, room: &str) -> Uuid {
    let a = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/residents"),
            &[
                ("building", &w.west_building.to_string()),
                ("unit", "1"),
                ("room", room),
                ("name", name),
                ("id_number", id),
                ("phone", ""),
                ("note", ""),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    Uuid::parse_str(a.location().unwrap().trim_start_matches("/grid/residents/")).unwrap()
}

/// The count the summary shows for a detector.
async fn count(w: &World, who: &str, query: &str, detector: &str) -> u64 {
    let page = w
        .app
        .get(&format!("/grid/quality/data{query}"), Some(who))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let marker = format!("data-detector=\"{detector}\" data-count=\"");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("{}", page.body))
        + marker.len();
    page.body[start..]
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The record ids a work list links to, in order.
async fn listed(w: &World, who: &str, detector: &str) -> Vec<String> {
    let page = w
        .app
        .get(&format!("/grid/quality/data/{detector}"), Some(who))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
        .split("data-record=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

async fn audits(app: &TestApp, action: &str) -> Vec<yiwang_store::AuditRecord> {
    app.store
        .audit_query(
            &AuditQuery {
                action: Some(action.to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 100),
        )
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn legacy_records_are_listed_until_fixed_and_the_lists_reach_zero() {
    let w = world().await;
    register(&w, "张建华", ID_A, "101").await;
    let csv = format!(
        "姓名,身份证号,联系电话,住址,备注\n\
         李四,{ID_BAD},13900000001,天熹路1号1幢2单元301室\n\
         王五,{ID_C},13900000002,天熹路9号1幢1单元101室,老台账\n\
         张建华,{ID_A},,天熹路1号1幢1单元101室\n\
         赵六,{ID_D},1390000,金沙街道天熹路１号１栋1单元102室\n"
    );
    // A line with the wrong number of columns refuses the whole import.
    let bad = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/intake/import"),
            &[
                ("csv", &format!("{csv}孙七,{ID_E}\n")),
                ("source", "天熹社区台账"),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("第 6 行：应有 4 列"), "{}", bad.body);
    assert!(bad.body.contains("天熹社区台账"), "the input is kept");
    assert_eq!(count(&w, &w.worker, "", "ready").await, 0);
    // Another grid's staff may not import into the west grid.
    let refused = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/intake/import"),
            &[("csv", &csv)],
            Some(&w.east_leader),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let done = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/intake/import"),
            &[("csv", &csv), ("source", "天熹社区台账")],
            Some(&w.worker),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("已导入 4 条"), "{}", done.body);
    for (detector, n) in [
        ("invalid_id", 1),
        ("no_building", 1),
        ("duplicate_id", 1),
        ("possible_duplicate", 0),
        ("tag_overdue", 0),
        ("ready", 1),
    ] {
        assert_eq!(count(&w, &w.worker, "", detector).await, n, "{detector}");
        assert_eq!(
            count(&w, &w.worker, &format!("?grid={WEST}"), detector).await,
            n,
            "{detector}"
        );
        // The east grid's leader sees only the east grid: nothing.
        assert_eq!(
            count(&w, &w.east_leader, "", detector).await,
            0,
            "{detector}"
        );
        // The supervisor sees every grid.
        assert_eq!(
            count(&w, &w.supervisor, "", detector).await,
            n,
            "{detector}"
        );
    }
    let a = w
        .app
        .get(
            &format!("/grid/quality/data?grid={WEST}"),
            Some(&w.east_leader),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = w.app.get("/grid/quality/data", Some(&w.handler)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // Lists are masked and link to the records.
    let list = w
        .app
        .get("/grid/quality/data/invalid_id", Some(&w.worker))
        .await;
    assert!(list.body.contains("李四") && list.body.contains("校验位不符"));
    assert!(!list.body.contains(ID_BAD));
    let invalid = listed(&w, &w.worker, "invalid_id").await;
    assert!(list.body.contains(&format!("/grid/intake/{}", invalid[0])));
    let dup_list = w
        .app
        .get("/grid/quality/data/duplicate_id", Some(&w.supervisor))
        .await;
    assert!(
        dup_list.body.contains("320612********0013"),
        "{}",
        dup_list.body
    );
    assert!(!dup_list.body.contains(ID_A));

    // The record's page: full for the grid's staff (audited), masked and
    // read only for a supervisor outside it, refused to other grids.
    let page = w
        .app
        .get(&format!("/grid/intake/{}", invalid[0]), Some(&w.worker))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(ID_BAD) && page.body.contains("校验位不符"));
    assert_eq!(audits(&w.app, "intake.view").await.len(), 1);
    let page = w
        .app
        .get(&format!("/grid/intake/{}", invalid[0]), Some(&w.supervisor))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(ID_BAD) && page.body.contains("脱敏显示"));
    let a = w
        .app
        .get(
            &format!("/grid/intake/{}", invalid[0]),
            Some(&w.east_leader),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = w
        .app
        .post_form(
            &format!("/grid/intake/{}", invalid[0]),
            &[("name", "李四"), ("id_number", ID_E), ("version", "1")],
            Some(&w.supervisor),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // Fix 1: the correct number, then into the register.
    let fixed = w
        .app
        .post_form(
            &format!("/grid/intake/{}", invalid[0]),
            &[
                ("name", "李四"),
                ("id_number", ID_E),
                ("phone", "13900000001"),
                ("address", "天熹路1号1幢2单元301室"),
                ("note", ""),
                ("version", "1"),
                ("action", "register"),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(fixed.status, StatusCode::SEE_OTHER, "{}", fixed.body);
    assert!(fixed.location().unwrap().starts_with("/grid/residents/"));
    assert_eq!(count(&w, &w.worker, "", "invalid_id").await, 0);
    let resident = w.app.get(fixed.location().unwrap(), Some(&w.worker)).await;
    assert!(resident.body.contains("天熹路1号1幢2单元301室"));

    // Fix 2: the address names no building; entering it is refused until
    // the address is corrected.
    let no_building = listed(&w, &w.worker, "no_building").await;
    let path = format!("/grid/intake/{}", no_building[0]);
    let refused = w
        .app
        .post_form(
            &path,
            &[
                ("name", "王五"),
                ("id_number", ID_C),
                ("phone", "13900000002"),
                ("address", "天熹路9号1幢1单元101室"),
                ("note", "老台账"),
                ("version", "1"),
                ("action", "register"),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("未在本网格登记"), "{}", refused.body);
    let saved = w
        .app
        .post_form(
            &path,
            &[
                ("name", "王五"),
                ("id_number", ID_C),
                ("phone", "13900000002"),
                ("address", "天熹路1号1幢1单元103室"),
                ("note", "老台账"),
                ("version", "1"),
                ("action", "save"),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(count(&w, &w.worker, "", "no_building").await, 0);
    assert_eq!(count(&w, &w.worker, "", "ready").await, 2);
    // An edit made on a stale page is refused.
    let stale = w
        .app
        .post_form(
            &path,
            &[("name", "王五五"), ("id_number", ID_C), ("version", "1")],
            Some(&w.worker),
        )
        .await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body.contains("已被他人修改"));

    // Fix 3: the repeat of 张建华 is deleted.
    let dup = listed(&w, &w.worker, "duplicate_id").await;
    let a = w
        .app
        .post_form(
            &format!("/grid/intake/{}/delete", dup[0]),
            &[],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&w, &w.worker, "", "duplicate_id").await, 0);

    // The ready records: 赵六's phone must be corrected first.
    for id in listed(&w, &w.worker, "ready").await {
        let row = w
            .app
            .store
            .intake(Uuid::parse_str(&id).unwrap())
            .await
            .unwrap()
            .unwrap();
        let version = row.version.to_string();
        let mut fields = vec![
            ("name", row.record.name.clone()),
            ("id_number", row.record.id_number.clone()),
            ("phone", row.record.phone.clone()),
            ("address", row.record.address.clone()),
            ("note", row.record.note.clone()),
            ("version", version),
            ("action", "register".to_owned()),
        ];
        let send = |fields: Vec<(&'static str, String)>| {
            let path = format!("/grid/intake/{id}");
            let app = &w.app;
            let worker = w.worker.clone();
            async move {
                let pairs: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_form(&path, &pairs, Some(&worker)).await
            }
        };
        let mut a = send(fields.clone()).await;
        if row.record.name == "赵六" {
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(a.body.contains("入册前请更正或清空"), "{}", a.body);
            fields[2].1 = String::new();
            a = send(fields).await;
        }
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    }
    for detector in [
        "invalid_id",
        "no_building",
        "duplicate_id",
        "possible_duplicate",
        "tag_overdue",
        "ready",
    ] {
        assert_eq!(
            count(&w, &w.supervisor, "", detector).await,
            0,
            "{detector}"
        );
        let page = w
            .app
            .get(&format!("/grid/quality/data/{detector}"), Some(&w.worker))
            .await;
        assert!(page.body.contains("本清单已清零"), "{detector}");
    }
    let summary = w.app.get("/grid/quality/data", Some(&w.supervisor)).await;
    assert!(summary.body.contains("没有存在问题数据的网格"));
    // The full address read from a free-form one: 赵六 lives in 1单元102室.
    let residents = w
        .app
        .get(
            &format!("/grid/grids/{WEST}/residents?{}", qs(&[("q", "赵六")])),
            Some(&w.worker),
        )
        .await;
    assert!(
        residents.body.contains("天熹路1号1幢1单元102室"),
        "{}",
        residents.body
    );
    for record in audits(&w.app, "intake.").await {
        for id in [ID_A, ID_BAD, ID_C, ID_D, ID_E] {
            assert!(!record.detail.contains(id), "{}", record.detail);
        }
    }
    assert_eq!(audits(&w.app, "intake.register").await.len(), 3);
    assert_eq!(audits(&w.app, "intake.delete").await.len(), 1);
}

#[tokio::test]
async fn look_alikes_are_merged_or_kept_apart_and_overdue_tags_renewed() {
    let w = world().await;
    let a = register(&w, "张建华", ID_A, "101").await;
    let b = register(&w, "张建华", ID_B, "102").await;
    let c = register(&w, "李静", ID_C, "201").await;
    let d = register(&w, "李静", ID_D, "202").await;
    register(&w, "王海", ID_E, "301").await;
    let mut found = listed(&w, &w.worker, "possible_duplicate").await;
    found.sort();
    let mut expected: Vec<String> = [a, b, c, d].iter().map(Uuid::to_string).collect();
    expected.sort();
    assert_eq!(found, expected);
    let page = w
        .app
        .get("/grid/quality/data/possible_duplicate", Some(&w.worker))
        .await;
    assert!(page.body.contains(&format!("/grid/residents/{a}/merge")));
    // A supervisor outside the grid sees the list but is offered no fix,
    // and may not make one.
    let page = w
        .app
        .get("/grid/quality/data/possible_duplicate", Some(&w.supervisor))
        .await;
    assert!(!page.body.contains("/merge"));
    let refused = w
        .app
        .post_form(
            &format!("/grid/residents/{a}/merge"),
            &[("other", &b.to_string())],
            Some(&w.supervisor),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // An overdue tag on A, carried over by the merge into B.
    let ctx = AuditCtx::system("test", w.app.clock.now_micros());
    w.app
        .store
        .set_tag(
            &ctx,
            a,
            NewTag {
                tag: "hardship".to_owned(),
                review_on: w.app.clock.now_micros() - 10 * 86_400_000_000,
                note: String::new(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        listed(&w, &w.worker, "tag_overdue").await,
        vec![a.to_string()]
    );
    let list = w
        .app
        .get("/grid/quality/data/tag_overdue", Some(&w.worker))
        .await;
    assert!(list.body.contains("困难家庭已过复核日期"), "{}", list.body);

    let merged = w
        .app
        .post_form(
            &format!("/grid/residents/{a}/merge"),
            &[("other", &b.to_string())],
            Some(&w.worker),
        )
        .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    assert_eq!(
        merged.location(),
        Some(format!("/grid/residents/{b}").as_str())
    );
    assert!(w.app.store.resident(a).await.unwrap().is_none());
    assert_eq!(
        listed(&w, &w.worker, "tag_overdue").await,
        vec![b.to_string()]
    );
    // Renewing the tag takes it off the list.
    let renewed = w
        .app
        .post_form(
            &format!("/grid/residents/{b}/tags"),
            &[
                ("tag", "hardship"),
                ("review_on", ""),
                ("note", "复核仍困难"),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::SEE_OTHER);
    assert!(listed(&w, &w.worker, "tag_overdue").await.is_empty());

    // 李静 twice are two people.
    let kept = w
        .app
        .post_form(
            &format!("/grid/residents/{c}/not-duplicate"),
            &[("other", &d.to_string())],
            Some(&w.worker),
        )
        .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER);
    assert!(listed(&w, &w.worker, "possible_duplicate").await.is_empty());
    assert_eq!(audits(&w.app, "resident.merge").await.len(), 1);
    assert_eq!(audits(&w.app, "resident.duplicate.dismiss").await.len(), 1);
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
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_workbook_holds_every_list_masked_and_is_audited() {
    let w = world().await;
    let csv = format!("李四,{ID_BAD},,天熹路1号1幢2单元301室\n王五,{ID_C},,村东头\n");
    let a = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/intake/import"),
            &[("csv", &csv)],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let (answer, bytes) = w
        .app
        .download("/grid/quality/data.xlsx", Some(&w.worker))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let invalid = sheet(bytes.clone(), "身份证号无效");
    assert_eq!(invalid.len(), 2);
    assert_eq!(invalid[1][1], "李四");
    assert_eq!(invalid[1][2], "320612********1233");
    let unmatched = sheet(bytes.clone(), "地址未匹配楼栋");
    assert_eq!(unmatched.len(), 2);
    assert_eq!(unmatched[1][2], "320612********0023");
    assert_eq!(unmatched[1][3], "村东头");
    assert_eq!(sheet(bytes, "待入册").len(), 1);
    let exports = audits(&w.app, "problems.export").await;
    assert_eq!(exports.len(), 1);
    // The east leader's workbook holds nothing of the west grid.
    let (_, bytes) = w
        .app
        .download("/grid/quality/data.xlsx", Some(&w.east_leader))
        .await;
    assert_eq!(sheet(bytes, "身份证号无效").len(), 1);
}
