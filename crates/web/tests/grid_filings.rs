//! Boundary filings: a grid leader files a new line for their own grid, a
//! supervisor sees what it would do to the community and approves or
//! rejects it; the public lines move only on approval, every version is
//! kept, every step is audited; the topology page reports the district.

mod common;

use axum::http::StatusCode;
use common::grid::{qs, rect, small_import, EAST, WEST};
use common::TestApp;
use yiwang_core::Role;
use yiwang_store::grid::FilingStatus;
use yiwang_store::{AuditCtx, AuditQuery, Page};

/// The hand-drawn district with `leader1` as the leader of grid 001.
async fn setup(app: &TestApp) -> (String, String) {
    let leader = app.user("leader1", Role::GridLeader).await;
    let supervisor = app.user("super1", Role::Supervisor).await;
    let mut import = small_import();
    import.staff[0].user_id = Some(leader.id);
    let at = yiwang_core::Clock::now(&app.clock).micros();
    app.store
        .import_grids(&AuditCtx::system("test", at), import)
        .await
        .unwrap();
    (
        app.session_for(&leader).await,
        app.session_for(&supervisor).await,
    )
}

async fn lookup(app: &TestApp, lng: &str, lat: &str) -> String {
    app.get(
        &format!("/api/v1/grid/lookup?{}", qs(&[("lng", lng), ("lat", lat)])),
        None,
    )
    .await
    .json()["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_filing_moves_the_line_only_when_a_supervisor_approves() {
    let app = TestApp::new().await;
    let (leader, supervisor) = setup(&app).await;
    let form = app
        .get(&format!("/grid/grids/{WEST}/filing"), Some(&leader))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("网格边界备案") && form.body.contains("Polygon"));
    // Only the grid's own leader (or a supervisor) files for it.
    let other = app
        .get(&format!("/grid/grids/{EAST}/filing"), Some(&leader))
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let page = app.get(&format!("/grid/grids/{WEST}"), Some(&leader)).await;
    assert!(page.body.contains("报备边界调整"));
    let page = app.get(&format!("/grid/grids/{EAST}"), Some(&leader)).await;
    assert!(!page.body.contains("报备边界调整"));

    let path = format!("/grid/grids/{WEST}/filing");
    let bad = app
        .post_form(
            &path,
            &[
                ("geojson", "{\"type\":\"Point\",\"coordinates\":[121,32]}"),
                ("note", "改线"),
            ],
            Some(&leader),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad
        .body
        .contains("边界应为 GeoJSON 的 Polygon（面），收到的是 Point"));
    let wider = rect(121.00, 32.00, 121.015, 32.01).to_geojson_text();
    let no_note = app
        .post_form(&path, &[("geojson", &wider), ("note", " ")], Some(&leader))
        .await;
    assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_note.body.contains("请填写边界调整的原因"));
    assert_eq!(
        app.store
            .pending_filings(Page::number(1, 10))
            .await
            .unwrap()
            .total,
        0
    );

    let filed = app
        .post_form(
            &path,
            &[("geojson", &wider), ("note", "道路改线")],
            Some(&leader),
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    assert_eq!(
        filed.location(),
        Some(format!("/grid/grids/{WEST}").as_str())
    );
    let again = app
        .post_form(
            &path,
            &[("geojson", &wider), ("note", "再报")],
            Some(&leader),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("已有待审核的边界备案"));
    // Pending: the public line has not moved.
    assert_eq!(lookup(&app, "121.012", "32.005").await, EAST);

    // The supervisor sees what approving would do: 001 would overlap 002.
    let review = app.get("/grid/filings", Some(&supervisor)).await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(review.body.contains("待审核 1 件"));
    assert!(review.body.contains("道路改线") && review.body.contains("leader1"));
    assert!(
        review.body.contains(&format!("网格 {WEST} 与 {EAST} 重叠")),
        "{}",
        review.body
    );

    // Rejecting needs a reason.
    let decide = format!("/grid/grids/{WEST}/filing/decide");
    let no_reason = app
        .post_form(
            &decide,
            &[("version", "2"), ("decision", "reject"), ("note", "")],
            Some(&supervisor),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.body.contains("驳回时请写明理由"));
    let rejected = app
        .post_form(
            &decide,
            &[
                ("version", "2"),
                ("decision", "reject"),
                ("note", "与二网格重叠"),
            ],
            Some(&supervisor),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    let twice = app
        .post_form(
            &decide,
            &[("version", "2"), ("decision", "approve"), ("note", "")],
            Some(&supervisor),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(lookup(&app, "121.012", "32.005").await, EAST);

    // A line that keeps the tiling (the same square, one more vertex on
    // its east edge) is approved and becomes current.
    let redrawn = yiwang_grid::Boundary::from_ring(&[
        (121.00, 32.00),
        (121.01, 32.00),
        (121.01, 32.005),
        (121.01, 32.01),
        (121.00, 32.01),
    ])
    .unwrap();
    let filed = app
        .post_form(
            &path,
            &[
                ("geojson", &redrawn.to_geojson_text()),
                ("note", "重新测绘"),
            ],
            Some(&leader),
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER);
    let review = app.get("/grid/filings", Some(&supervisor)).await;
    assert!(review
        .body
        .contains("拓扑检查：通过后本社区无重叠、无空隙、无越界"));
    let approved = app
        .post_form(
            &decide,
            &[("version", "3"), ("decision", "approve"), ("note", "同意")],
            Some(&supervisor),
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let versions = app.store.boundary_versions(WEST).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.status))
            .collect::<Vec<_>>(),
        vec![
            (3, FilingStatus::Approved),
            (2, FilingStatus::Rejected),
            (1, FilingStatus::Superseded)
        ]
    );
    assert_eq!(versions[0].decided_by_name.as_deref(), Some("super1"));
    let geo = app.get("/api/v1/grids.geojson", None).await.json();
    let west = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == WEST)
        .unwrap()
        .clone();
    assert_eq!(
        yiwang_grid::Boundary::from_geojson(&west["geometry"]).unwrap(),
        redrawn
    );
    let page = app.get(&format!("/grid/grids/{WEST}"), Some(&leader)).await;
    assert!(
        page.body.contains("第 3 版")
            && page.body.contains("已被替代")
            && page.body.contains("已驳回")
    );

    let audit = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("grid.boundary.".to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 20),
        )
        .await
        .unwrap();
    let mut trail: Vec<(String, String)> = audit
        .items
        .iter()
        .map(|r| (r.action.clone(), r.actor_name.clone()))
        .collect();
    trail.reverse();
    assert_eq!(
        trail,
        vec![
            ("grid.boundary.file".to_owned(), "leader1".to_owned()),
            ("grid.boundary.reject".to_owned(), "super1".to_owned()),
            ("grid.boundary.file".to_owned(), "leader1".to_owned()),
            ("grid.boundary.approve".to_owned(), "super1".to_owned()),
        ]
    );
}

#[tokio::test]
async fn the_topology_page_reports_the_district() {
    let app = TestApp::new().await;
    let (leader, supervisor) = setup(&app).await;
    let clean = app.get("/grid/topology", Some(&supervisor)).await;
    assert_eq!(clean.status, StatusCode::OK);
    assert!(clean.body.contains("检查 2 个社区（村）、4 个网格"));
    assert!(clean.body.contains("未发现问题"));

    // A narrower grid 001, approved anyway, opens a gap in 天熹社区.
    let narrower = rect(121.00, 32.00, 121.008, 32.01).to_geojson_text();
    let filed = app
        .post_form(
            &format!("/grid/grids/{WEST}/filing"),
            &[("geojson", &narrower), ("note", "缩小")],
            Some(&leader),
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER);
    let approved = app
        .post_form(
            &format!("/grid/grids/{WEST}/filing/decide"),
            &[("version", "2"), ("decision", "approve"), ("note", "")],
            Some(&supervisor),
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    let report = app.get("/grid/topology", Some(&supervisor)).await;
    assert!(report.body.contains("发现 1 个问题"), "{}", report.body);
    assert!(report.body.contains("社区 320612001001 有"));
    assert!(report.body.contains("平方米未被任何综合网格覆盖"));
    // The gap answers no look-up.
    let gap = app
        .get("/api/v1/grid/lookup?lng=121.009&lat=32.005", None)
        .await;
    assert_eq!(gap.status, StatusCode::NOT_FOUND);
    // Leaders do not see the check.
    assert_eq!(
        app.get("/grid/topology", Some(&leader)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn buildings_placed_by_their_point_follow_an_approved_line() {
    use uuid::Uuid;
    use yiwang_store::residents::{NewBuilding, Placement};
    let app = TestApp::new().await;
    let (leader, supervisor) = setup(&app).await;
    let at = yiwang_core::Clock::now(&app.clock).micros();
    let ctx = AuditCtx::system("test", at);
    let building = |grid: &str, number: &str, point: Option<f64>| NewBuilding {
        id: Uuid::now_v7(),
        grid_code: grid.to_owned(),
        road: "天熹路".to_owned(),
        number: number.to_owned(),
        building: String::new(),
        address_key: format!("天熹路{number}"),
        lng: point,
        lat: point.map(|_| 32.005),
        placement: if point.is_some() {
            Placement::Point
        } else {
            Placement::Assigned
        },
    };
    let near_line = app
        .store
        .create_building(&ctx, building(WEST, "8号", Some(121.008)))
        .await
        .unwrap();
    let staying = app
        .store
        .create_building(&ctx, building(WEST, "2号", Some(121.001)))
        .await
        .unwrap();
    let assigned = app
        .store
        .create_building(&ctx, building(WEST, "9号", None))
        .await
        .unwrap();
    let grid_of = |id: Uuid| {
        let app = &app;
        async move { app.store.building(id).await.unwrap().unwrap().grid_code }
    };
    let list = app.get("/grid/quality/buildings", Some(&supervisor)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains(r#"data-movable="0" data-outside="0""#),
        "{}",
        list.body
    );
    assert_eq!(
        app.get("/grid/quality/buildings", Some(&leader))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // 001 narrows: 8号's point now lies in a gap. Nothing can move it.
    let file = |grid: &'static str, boundary: yiwang_grid::Boundary, session: String| {
        let app = &app;
        async move {
            let filed = app
                .post_form(
                    &format!("/grid/grids/{grid}/filing"),
                    &[
                        ("geojson", &boundary.to_geojson_text()),
                        ("note", "道路改线"),
                    ],
                    Some(&session),
                )
                .await;
            assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
        }
    };
    let approve = |grid: &'static str, version: &'static str| {
        let app = &app;
        let supervisor = supervisor.clone();
        async move {
            let approved = app
                .post_form(
                    &format!("/grid/grids/{grid}/filing/decide"),
                    &[
                        ("version", version),
                        ("decision", "approve"),
                        ("note", "同意"),
                    ],
                    Some(&supervisor),
                )
                .await;
            assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
            approved.location().unwrap().to_owned()
        }
    };
    file(WEST, rect(121.00, 32.00, 121.007, 32.01), leader.clone()).await;
    assert_eq!(approve(WEST, "2").await, "/grid/filings?moved=0");
    let list = app.get("/grid/quality/buildings", Some(&supervisor)).await;
    assert!(
        list.body.contains(r#"data-movable="0" data-outside="1""#),
        "{}",
        list.body
    );
    assert!(list
        .body
        .contains(&format!(r#"data-building="{}""#, near_line.id)));
    assert!(list.body.contains("不在任何网格内"));
    assert_eq!(grid_of(near_line.id).await, WEST);

    // 002 widens over the gap: 8号 follows its point into 002, audited;
    // the others stay.
    file(
        EAST,
        rect(121.007, 32.00, 121.02, 32.01),
        supervisor.clone(),
    )
    .await;
    let back = approve(EAST, "2").await;
    assert_eq!(back, "/grid/filings?moved=1");
    let page = app.get(&back, Some(&supervisor)).await;
    assert!(page.body.contains(r#"data-moved="1""#), "{}", page.body);
    assert_eq!(grid_of(near_line.id).await, EAST);
    assert_eq!(grid_of(staying.id).await, WEST);
    assert_eq!(grid_of(assigned.id).await, WEST);
    let moves = app
        .store
        .audit_query(
            &AuditQuery {
                action: Some("grid.building.move".to_owned()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(moves.total, 1);
    assert_eq!(moves.items[0].object_id, near_line.id.to_string());
    assert_eq!(moves.items[0].actor_name, "super1");
    let list = app.get("/grid/quality/buildings", Some(&supervisor)).await;
    assert!(
        list.body.contains(r#"data-movable="0" data-outside="0""#),
        "{}",
        list.body
    );

    // A building left behind (registered before the lines moved, a move
    // that did not finish) is listed and moved from the work list.
    let behind = app
        .store
        .create_building(&ctx, building(WEST, "18号", Some(121.0085)))
        .await
        .unwrap();
    let list = app.get("/grid/quality/buildings", Some(&supervisor)).await;
    assert!(
        list.body.contains(r#"data-movable="1" data-outside="0""#),
        "{}",
        list.body
    );
    assert!(list.body.contains(&format!(r#"data-now-in="{EAST}""#)));
    let moved = app
        .post_form("/grid/quality/buildings/move", &[], Some(&supervisor))
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    assert_eq!(moved.location(), Some("/grid/quality/buildings?moved=1"));
    assert_eq!(grid_of(behind.id).await, EAST);
    let list = app
        .get("/grid/quality/buildings?moved=1", Some(&supervisor))
        .await;
    assert!(list.body.contains("已将 1 栋楼调整到其坐标所在的网格"));
    assert!(list.body.contains("已清零"));
}
