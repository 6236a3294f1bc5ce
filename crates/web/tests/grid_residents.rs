//! Residents and places: who sees ID numbers and phones in full (the
//! grid's own staff, audited per view), who sees them masked (a supervisor
//! outside their grids, every list), who is refused (another grid's
//! workers, other roles); registration with Chinese validation errors that
//! keep what was typed; tags; the XLSX export; buildings; and the public
//! look-up by address.

mod common;

use axum::http::{Method, StatusCode};
use common::grid::{qs, small_import, ANKANG, EAST, WEST};
use common::{NowMicros, TestApp};
use uuid::Uuid;
use yiwang_core::Role;
use yiwang_store::grid::{NewStaff, StaffRole};
use yiwang_store::residents::{NewBuilding, Placement, ResidentQuery};
use yiwang_store::{AuditCtx, AuditQuery, Page, User};

/// Valid GB 11643 numbers.
const ID_A: &str = "11010519491231002X";
const ID_B: &str = "320612199001011232";
const ID_C: &str = "320683195005050017";
/// ID_B with a wrong check character.
const ID_BAD: &str = "320612199001011233";

struct World {
    app: TestApp,
    /// Works in the west grid.
    worker: String,
    /// Leads the east grid.
    east_leader: String,
    /// A supervisor assigned to no grid.
    supervisor: String,
    /// A supervisor who also works in the west grid.
    west_supervisor: String,
    /// A department handler.
    handler: String,
    /// 天熹路1号1幢 (west), 天熹路3号 (east).
    west_building: Uuid,
    east_building: Uuid,
}

async fn session(app: &TestApp, user: &User) -> String {
    app.session_for(user).await
}

/// The hand-drawn district with accounts attached as grid staff, and one
/// building in each of the two grids of 天熹社区.
async fn world() -> World {
    let app = TestApp::new().await;
    let worker = app.user("gridworker", Role::GridWorker).await;
    let east_leader = app.user("eastleader", Role::GridLeader).await;
    let supervisor = app.user("supervisor", Role::Supervisor).await;
    let west_supervisor = app.user("westsupervisor", Role::Supervisor).await;
    let handler = app.user("handler", Role::DeptHandler).await;
    let mut import = small_import();
    // The east grid's generated leader makes way for the account.
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
        (&west_supervisor, WEST, StaffRole::Worker),
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
    let building = |grid: &str, road: &str, number: &str, building: &str, lng: f64| NewBuilding {
        id: Uuid::now_v7(),
        grid_code: grid.to_owned(),
        road: road.to_owned(),
        number: number.to_owned(),
        building: building.to_owned(),
        address_key: format!("{road}{number}{building}"),
        lng: Some(lng),
        lat: Some(32.005),
        placement: Placement::Point,
    };
    let west_building = app
        .store
        .create_building(&ctx, building(WEST, "天熹路", "1号", "1幢", 121.005))
        .await
        .unwrap()
        .id;
    let east_building = app
        .store
        .create_building(&ctx, building(EAST, "天熹路", "3号", "", 121.015))
        .await
        .unwrap()
        .id;
    World {
        worker: session(&app, &worker).await,
        east_leader: session(&app, &east_leader).await,
        supervisor: session(&app, &supervisor).await,
        west_supervisor: session(&app, &west_supervisor).await,
        handler: session(&app, &handler).await,
        west_building,
        east_building,
        app,
    }
}

/// Registers a resident through the form; the new resident's id.
async fn register(w: &World, who: &str, grid: &str, building: Uuid, name: &str, id: &str) -> Uuid {
    let a = w
        .app
        .post_form(
            &format!("/grid/grids/{grid}/residents"),
            &[
                ("building", &building.to_string()),
                ("unit", "2"),
                ("room", "301"),
                ("name", name),
                ("id_number", id),
                ("phone", "13912345678"),
                ("note", ""),
            ],
            Some(who),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let location = a.location().unwrap().to_owned();
    Uuid::parse_str(location.trim_start_matches("/grid/residents/")).unwrap()
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
async fn the_assigned_worker_sees_full_data_and_each_view_is_audited() {
    let w = world().await;
    let id = register(&w, &w.worker, WEST, w.west_building, "张建华", ID_A).await;
    let created = audits(&w.app, "resident.create").await;
    assert_eq!(created.len(), 1);
    assert!(!created[0].detail.contains(ID_A), "{}", created[0].detail);
    assert_eq!(audits(&w.app, "household.create").await.len(), 1);

    assert!(audits(&w.app, "resident.view").await.is_empty());
    for n in 1..=2 {
        let page = w
            .app
            .get(&format!("/grid/residents/{id}"), Some(&w.worker))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains(ID_A));
        assert!(page.body.contains("13912345678"));
        assert!(page.body.contains("天熹路1号1幢2单元301室"));
        assert_eq!(
            page.headers.get("cache-control").unwrap(),
            "no-store, private"
        );
        let views = audits(&w.app, "resident.view").await;
        assert_eq!(views.len(), n, "one audit record per view");
        assert_eq!(views[0].object_id, id.to_string());
        assert_eq!(views[0].actor_name, "gridworker");
    }
    // The edit form shows the full number too: a view, audited.
    let edit = w
        .app
        .get(&format!("/grid/residents/{id}/edit"), Some(&w.worker))
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.body.contains(ID_A));
    assert_eq!(audits(&w.app, "resident.view").await.len(), 3);

    // The list masks for everyone, and is not a view of full data.
    let list = w
        .app
        .get(&format!("/grid/grids/{WEST}/residents"), Some(&w.worker))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("张建华"));
    assert!(list.body.contains("110105********002X"));
    assert!(list.body.contains("139****5678"));
    assert!(!list.body.contains(ID_A));
    assert!(!list.body.contains("13912345678"));
    assert_eq!(audits(&w.app, "resident.view").await.len(), 3);

    // A supervisor who works in the grid sees it in full as well.
    let page = w
        .app
        .get(&format!("/grid/residents/{id}"), Some(&w.west_supervisor))
        .await;
    assert!(page.body.contains(ID_A));
    assert_eq!(audits(&w.app, "resident.view").await.len(), 4);
}

#[tokio::test]
async fn other_grids_are_refused_and_supervisors_outside_see_masked() {
    let w = world().await;
    let west = register(&w, &w.worker, WEST, w.west_building, "张建华", ID_A).await;
    let east = register(&w, &w.east_leader, EAST, w.east_building, "李静", ID_B).await;

    // The west worker may not open the east grid's residents, nor one of them.
    for path in [
        format!("/grid/grids/{EAST}/residents"),
        format!("/grid/grids/{EAST}/residents.xlsx"),
        format!("/grid/grids/{EAST}/residents/new"),
        format!("/grid/grids/{EAST}/buildings"),
        format!("/grid/residents/{east}"),
        format!("/grid/residents/{east}/edit"),
        format!("/grid/buildings/{}", w.east_building),
    ] {
        let a = w.app.get(&path, Some(&w.worker)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert!(a.body.contains("您没有权限访问此页面"), "{path}");
        assert!(!a.body.contains(ID_B));
    }
    let a = w
        .app
        .post_form(
            &format!("/grid/residents/{east}/tags"),
            &[("tag", "hardship")],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = w
        .app
        .get(
            &format!("/grid/grids/{ANKANG}/residents"),
            Some(&w.east_leader),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    // A supervisor outside the grid: masked, read only, nothing audited.
    let before = audits(&w.app, "resident.view").await.len();
    let page = w
        .app
        .get(&format!("/grid/residents/{west}"), Some(&w.supervisor))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("110105********002X"));
    assert!(page.body.contains("139****5678"));
    assert!(!page.body.contains(ID_A));
    assert!(!page.body.contains("13912345678"));
    assert!(page.body.contains("脱敏显示"));
    assert_eq!(audits(&w.app, "resident.view").await.len(), before);
    for path in [
        format!("/grid/residents/{west}/edit"),
        format!("/grid/grids/{WEST}/residents.xlsx"),
        format!("/grid/grids/{WEST}/residents/new"),
    ] {
        let a = w.app.get(&path, Some(&w.supervisor)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
    }
    let list = w
        .app
        .get(
            &format!("/grid/grids/{WEST}/residents"),
            Some(&w.supervisor),
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("110105********002X"));

    // Other roles have no access at all.
    for path in [
        format!("/grid/residents/{west}"),
        format!("/grid/grids/{WEST}/residents"),
    ] {
        let a = w.app.get(&path, Some(&w.handler)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        let a = w.app.get(&path, None).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
    }
    // The grid page links to residents only for those who may open them.
    let grid = w
        .app
        .get(&format!("/grid/grids/{WEST}"), Some(&w.worker))
        .await;
    assert!(grid.body.contains(&format!("/grid/grids/{WEST}/residents")));
    let grid = w
        .app
        .get(&format!("/grid/grids/{WEST}"), Some(&w.handler))
        .await;
    assert!(!grid.body.contains(&format!("/grid/grids/{WEST}/residents")));
}

#[tokio::test]
async fn validation_errors_are_chinese_keep_the_input_and_have_stable_api_codes() {
    let w = world().await;
    let building = w.west_building.to_string();
    let a = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/residents"),
            &[
                ("building", &building),
                ("unit", "二单元"),
                ("room", "301"),
                ("name", "王小明"),
                ("id_number", ID_BAD),
                ("phone", "1391234"),
                ("note", "新搬来的住户"),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("身份证号码校验位不正确"), "{}", a.body);
    assert!(a.body.contains("联系电话格式不正确"));
    assert!(a.body.contains("单元应为数字"));
    // Nothing typed is lost.
    for kept in ["王小明", ID_BAD, "1391234", "新搬来的住户", "二单元"] {
        assert!(a.body.contains(kept), "{kept}");
    }
    assert!(a.body.contains(&format!("value=\"{building}\" selected")));
    let page = w
        .app
        .store
        .residents(
            &ResidentQuery {
                grid_code: WEST.to_owned(),
                ..ResidentQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(page.total, 0);

    // A building of another grid is not offered and not accepted.
    let a = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/residents"),
            &[
                ("building", &w.east_building.to_string()),
                ("name", "王小明"),
                ("id_number", ID_C),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("请选择本网格内的楼栋"));

    // The same through the API: a stable code and the field.
    let api = |body: serde_json::Value| {
        let app = &w.app;
        let session = w.worker.clone();
        async move {
            app.json(Method::POST, "/api/v1/grid/residents", body, Some(&session))
                .await
        }
    };
    let a = api(serde_json::json!({
        "grid_code": WEST, "building_id": building, "unit": "2", "room": "301",
        "name": "王小明", "id_number": ID_BAD,
    }))
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let j = a.json();
    assert_eq!(j["error"]["code"], "invalid_input");
    assert_eq!(j["error"]["fields"][0]["field"], "id_number");
    assert_eq!(
        j["error"]["fields"][0]["message"],
        "身份证号码校验位不正确：请核对号码是否有输错或颠倒的数字"
    );
    let a = api(serde_json::json!({
        "grid_code": WEST, "building_id": building, "unit": "2", "room": "301",
        "name": "王小明", "id_number": ID_B, "phone": "13912345678",
    }))
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let j = a.json();
    assert_eq!(j["id_number"], "320612********1232");
    assert_eq!(j["address"], "天熹路1号1幢2单元301室");
    assert!(!a.body.contains(ID_B));
    // Registered once only.
    let a = api(serde_json::json!({
        "grid_code": WEST, "building_id": building, "name": "冒名", "id_number": ID_B,
    }))
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(a.json()["error"]["code"], "conflict");
    let a = w
        .app
        .post_form(
            &format!("/grid/grids/{WEST}/residents"),
            &[
                ("building", &building),
                ("name", "冒名"),
                ("id_number", ID_B),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("该公民身份号码已有登记"));
    // Another grid through the API: refused.
    let a = w
        .app
        .json(
            Method::POST,
            "/api/v1/grid/residents",
            serde_json::json!({"grid_code": EAST, "building_id": w.east_building.to_string(),
                "name": "李四", "id_number": ID_C}),
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(a.json()["error"]["code"], "forbidden");
}

#[tokio::test]
async fn edits_are_versioned_and_tags_carry_review_dates() {
    let w = world().await;
    let id = register(&w, &w.worker, WEST, w.west_building, "张建华", ID_A).await;
    let building = w.west_building.to_string();
    let edit = |version: &'static str, name: &'static str| {
        let app = &w.app;
        let session = w.worker.clone();
        let building = building.clone();
        async move {
            app.post_form(
                &format!("/grid/residents/{id}"),
                &[
                    ("building", &building),
                    ("unit", "2"),
                    ("room", "302"),
                    ("name", name),
                    ("id_number", ID_A),
                    ("phone", ""),
                    ("version", version),
                ],
                Some(&session),
            )
            .await
        }
    };
    let a = edit("1", "张建华").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let row = w.app.store.resident(id).await.unwrap().unwrap();
    assert_eq!(
        (row.version, row.room.as_str(), row.phone),
        (2, "302室", None)
    );
    let a = edit("1", "张建").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("该居民信息已被他人修改"));
    assert!(a.body.contains("张建"));

    // Tags: a date in the past is refused; the default period applies.
    let tags = format!("/grid/residents/{id}/tags");
    let a = w
        .app
        .post_form(
            &tags,
            &[
                ("tag", "lone_elderly"),
                ("review_on", "2020-01-01"),
                ("note", "独居"),
            ],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("复核日期不能早于今天"));
    assert!(a.body.contains("独居"));
    let a = w
        .app
        .post_form(
            &tags,
            &[("tag", "lone_elderly"), ("note", "独居")],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let row = w.app.store.resident(id).await.unwrap().unwrap();
    assert_eq!(row.tags.len(), 1);
    // Twelve months from 2026-11-26 (Shanghai): 2027-11-26.
    let page = w
        .app
        .get(&format!("/grid/residents/{id}"), Some(&w.worker))
        .await;
    assert!(page.body.contains("孤寡空巢老人"));
    assert!(page.body.contains("2027年11月26日"), "{}", page.body);
    let list = w
        .app
        .get(
            &format!(
                "/grid/grids/{WEST}/residents?{}",
                qs(&[("tag", "lone_elderly")])
            ),
            Some(&w.worker),
        )
        .await;
    assert!(list.body.contains("张建华"));
    let list = w
        .app
        .get(
            &format!(
                "/grid/grids/{WEST}/residents?{}",
                qs(&[("tag", "hardship")])
            ),
            Some(&w.worker),
        )
        .await;
    assert!(list.body.contains("没有符合条件的居民"));
    let a = w
        .app
        .post_form(
            &tags,
            &[("tag", "lone_elderly"), ("action", "remove")],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert!(w
        .app
        .store
        .resident(id)
        .await
        .unwrap()
        .unwrap()
        .tags
        .is_empty());
    assert_eq!(audits(&w.app, "resident.tag.set").await.len(), 1);
    assert_eq!(audits(&w.app, "resident.tag.remove").await.len(), 1);
    assert_eq!(audits(&w.app, "resident.update").await.len(), 1);
}

#[tokio::test]
async fn the_export_is_full_for_the_grid_s_staff_and_audited() {
    let w = world().await;
    register(&w, &w.worker, WEST, w.west_building, "张建华", ID_A).await;
    let (a, bytes) = w
        .app
        .download(
            &format!("/grid/grids/{WEST}/residents.xlsx"),
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip");
    let exports = audits(&w.app, "resident.export").await;
    assert_eq!(exports.len(), 1);
    assert_eq!(
        (
            exports[0].object_kind.as_str(),
            exports[0].object_id.as_str()
        ),
        ("grid", WEST)
    );
    assert!(
        exports[0].detail.contains("\"residents\":1"),
        "{}",
        exports[0].detail
    );
}

#[tokio::test]
async fn buildings_are_placed_by_point_or_assigned_and_imported() {
    let w = world().await;
    let new = |road: &str, number: &str, building: &str, lng: &str, lat: &str| {
        let app = &w.app;
        let session = w.worker.clone();
        let fields = [
            ("road".to_owned(), road.to_owned()),
            ("number".to_owned(), number.to_owned()),
            ("building".to_owned(), building.to_owned()),
            ("lng".to_owned(), lng.to_owned()),
            ("lat".to_owned(), lat.to_owned()),
        ];
        async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post_form(
                &format!("/grid/grids/{WEST}/buildings"),
                &fields,
                Some(&session),
            )
            .await
        }
    };
    // A point in the east grid is not the west grid's building.
    let a = new("新桥路", "8", "1", "121.015", "32.005").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains(&format!("该坐标位于网格 {EAST}")));
    assert!(a.body.contains("新桥路"));
    let a = new("新桥路", "8", "1栋", "121.005", "32.005").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = new("新桥路", "10号", "", "", "").await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let a = new("新桥路", "8", "1幢", "", "").await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("该地址的楼栋已经登记"));
    let list = w
        .app
        .get(&format!("/grid/grids/{WEST}/buildings"), Some(&w.worker))
        .await;
    assert!(list.body.contains("新桥路8号1幢"));
    assert!(list.body.contains("按坐标落格"));
    assert!(list.body.contains("人工指定"));

    // An import names each bad line and writes nothing; a good one imports.
    let import = format!("/grid/grids/{WEST}/buildings/import");
    let a = w
        .app
        .post_form(
            &import,
            &[(
                "csv",
                "路名,门牌号,楼栋,单元,室\n新桥路,12,1,1,101\n天熹路,3,,,\n新桥路,12,1,一,101",
            )],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        a.body
            .contains(&format!("第 3 行：天熹路3号 已登记在网格 {EAST}")),
        "{}",
        a.body
    );
    assert!(a.body.contains("第 4 行"));
    let a = w
        .app
        .post_form(
            &import,
            &[(
                "csv",
                "新桥路,12,1,1,101\n新桥路,12,1,1,102\n新桥路,12,1,1,102\n天熹路,1,1,2,301",
            )],
            Some(&w.worker),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("新楼栋 1 栋，新房屋 3 户"), "{}", a.body);
}

#[tokio::test]
async fn residents_find_their_grid_by_address_without_personal_data() {
    let w = world().await;
    register(&w, &w.worker, WEST, w.west_building, "张建华", ID_A).await;
    let api = |address: &str| {
        let app = &w.app;
        let path = format!("/api/v1/grid/lookup?{}", qs(&[("address", address)]));
        async move { app.get(&path, None).await }
    };
    let a = api("天熹路1号1幢2单元301室").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let j = a.json();
    assert_eq!(j["code"], WEST);
    assert_eq!(j["name"], "天熹一网格");
    assert_eq!(j["leader_name"], "李雪");
    assert_eq!(j["leader_phone"], "0513-86100001");
    assert_eq!(j["address"], "天熹路1号1幢");
    assert!(!a.body.contains("张建华"));
    // Typed another way, with the divisions in front, or the door only.
    assert_eq!(
        api("江苏省南通市通州区天熹路１号1栋").await.json()["code"],
        WEST
    );
    let j = api("天熹路1号").await.json();
    assert_eq!(
        (j["code"].as_str(), j["address"].as_str()),
        (Some(WEST), Some("天熹路1号"))
    );
    assert_eq!(api("天熹路3号").await.json()["code"], EAST);
    // Misses.
    let a = api("人民路18号").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["error"]["code"], "address_not_found");
    let a = api("天熹路").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("门牌号"));
    // A door number whose buildings lie in two grids needs the building.
    let ctx = AuditCtx::system("test", w.app.clock.now_micros());
    for (grid, building, lng) in [(WEST, "1幢", 121.006), (EAST, "2幢", 121.016)] {
        w.app
            .store
            .create_building(
                &ctx,
                NewBuilding {
                    id: Uuid::now_v7(),
                    grid_code: grid.to_owned(),
                    road: "天熹路".to_owned(),
                    number: "5号".to_owned(),
                    building: building.to_owned(),
                    address_key: format!("天熹路5号{building}"),
                    lng: Some(lng),
                    lat: Some(32.005),
                    placement: Placement::Point,
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(api("天熹路5号").await.status, StatusCode::NOT_FOUND);
    assert_eq!(api("天熹路5号2幢").await.json()["code"], EAST);
    // The point look-up is unchanged.
    let a = w
        .app
        .get("/api/v1/grid/lookup?lng=121.015&lat=32.005", None)
        .await;
    assert_eq!(a.json()["code"], EAST);
    assert!(a.json().get("address").is_none());

    // The page: the grid, its leader and phone; choices for a shared door.
    let page = w
        .app
        .get(
            &format!("/grid/lookup?{}", qs(&[("address", "天熹路1号1幢")])),
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-address-found"));
    assert!(page.body.contains("天熹一网格"));
    assert!(page.body.contains("李雪"));
    assert!(page.body.contains("0513-86100001"));
    assert!(!page.body.contains("张建华"));
    let page = w
        .app
        .get(
            &format!("/grid/lookup?{}", qs(&[("address", "天熹路5号")])),
            None,
        )
        .await;
    assert!(page.body.contains("data-address-choices"));
    assert!(page.body.contains("天熹路5号2幢"));
    let page = w
        .app
        .get(
            &format!("/grid/lookup?{}", qs(&[("address", "人民路18号")])),
            None,
        )
        .await;
    assert!(page.body.contains("没有找到该地址的楼栋"));
    let page = w
        .app
        .get(
            &format!("/grid/lookup?{}", qs(&[("address", "天熹路")])),
            None,
        )
        .await;
    assert!(page.body.contains("地址缺少门牌号"));
}
