//! Finding one's grid by a point: the open-data look-up and the map page,
//! inside, on the lines between grids, outside, and with bad numbers.

mod common;

use axum::http::StatusCode;
use common::grid::{load_small, qs, rect, ANKANG, EAST, SCHOOL, WEST};
use common::TestApp;
use yiwang_store::grid::NewFiling;
use yiwang_store::AuditCtx;
use yiwang_web::grid::data::area_centi;

async fn api(app: &TestApp, lng: &str, lat: &str) -> common::Answer {
    app.get(
        &format!("/api/v1/grid/lookup?{}", qs(&[("lng", lng), ("lat", lat)])),
        None,
    )
    .await
}

#[tokio::test]
async fn a_point_inside_answers_its_grid_and_leader() {
    let app = TestApp::new().await;
    load_small(&app).await;
    let a = api(&app, "121.015", "32.005").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let j = a.json();
    assert_eq!(j["code"], EAST);
    assert_eq!(j["kind"], "comprehensive");
    assert_eq!(j["kind_label"], "综合网格");
    assert_eq!(j["name"], "天熹二网格");
    assert_eq!(j["community_name"], "天熹社区");
    assert_eq!(j["street_name"], "金沙街道");
    assert_eq!(j["leader_name"], "王芳");
    assert_eq!(j["leader_phone"], "0513-86100002");
    assert_eq!(j["on_boundary"], false);
    // 0.01° × 0.01° at 32°N is a little over 1 km².
    let area: f64 = j["area_m2"].as_str().unwrap().parse().unwrap();
    assert!((1_040_000.0..1_060_000.0).contains(&area), "{area}");

    // The school's grid sits on grid 001 and answers for the school.
    assert_eq!(api(&app, "121.003", "32.003").await.json()["code"], SCHOOL);
    assert_eq!(
        api(&app, "121.003", "32.003").await.json()["kind"],
        "specialised.school"
    );
    assert_eq!(api(&app, "121.001", "32.003").await.json()["code"], WEST);
    assert_eq!(api(&app, "121.025", "32.009").await.json()["code"], ANKANG);
}

#[tokio::test]
async fn points_on_lines_answer_one_grid_and_say_so() {
    let app = TestApp::new().await;
    load_small(&app).await;
    // On the line between 001 and 002: the smaller code.
    let j = api(&app, "121.01", "32.005").await.json();
    assert_eq!(
        (j["code"].as_str(), j["on_boundary"].as_bool()),
        (Some(WEST), Some(true))
    );
    // On the line between the two communities.
    assert_eq!(api(&app, "121.02", "32.005").await.json()["code"], EAST);
    // On the top corner shared by 001 and 002.
    assert_eq!(api(&app, "121.01", "32.01").await.json()["code"], WEST);
    // On the district's outer line: still inside.
    let j = api(&app, "121.03", "32.00").await.json();
    assert_eq!(
        (j["code"].as_str(), j["on_boundary"].as_bool()),
        (Some(ANKANG), Some(true))
    );
    // On the school's line: the school, on its boundary.
    let j = api(&app, "121.002", "32.003").await.json();
    assert_eq!(
        (j["code"].as_str(), j["on_boundary"].as_bool()),
        (Some(SCHOOL), Some(true))
    );
    // Just outside.
    for (lng, lat) in [("121.0301", "32.005"), ("121.015", "31.9999"), ("0", "0")] {
        let a = api(&app, lng, lat).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{lng},{lat}");
        assert_eq!(a.json()["error"]["code"], "outside_grids");
        assert_eq!(a.json()["error"]["message"], "该位置不在任何网格内");
    }
}

#[tokio::test]
async fn bad_numbers_are_refused_with_a_stable_code() {
    let app = TestApp::new().await;
    load_small(&app).await;
    for (path, message) in [
        ("/api/v1/grid/lookup", "请同时提供经度 lng 和纬度 lat"),
        (
            "/api/v1/grid/lookup?lng=121.01",
            "请同时提供经度 lng 和纬度 lat",
        ),
        ("/api/v1/grid/lookup?lng=abc&lat=32", "经度应为数字"),
        ("/api/v1/grid/lookup?lng=121&lat=", "纬度应为数字"),
        ("/api/v1/grid/lookup?lng=inf&lat=32", "经度应为数字"),
        ("/api/v1/grid/lookup?lng=NaN&lat=32", "经度应为数字"),
        (
            "/api/v1/grid/lookup?lng=181&lat=32",
            "经度应在 -180 到 180 之间",
        ),
        (
            "/api/v1/grid/lookup?lng=121&lat=-90.5",
            "纬度应在 -90 到 90 之间",
        ),
    ] {
        let a = app.get(path, None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: {}", a.body);
        let j = a.json();
        assert_eq!(j["error"]["code"], "bad_request", "{path}");
        assert!(
            j["error"]["message"].as_str().unwrap().contains(message),
            "{path}: {}",
            j["error"]["message"]
        );
    }
}

#[tokio::test]
async fn the_map_page_looks_up_clicked_grids() {
    let app = TestApp::new().await;
    load_small(&app).await;
    // The whole district: one polygon per grid, each a link to a look-up
    // of a point inside it.
    let page = app.get("/grid/lookup", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg class=\"grid-map\""));
    assert_eq!(page.body.matches("<polygon").count(), 4);
    let links: Vec<&str> = page
        .body
        .split("<a href=\"/grid/lookup?lng=")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(links.len(), 4);
    let mut found = Vec::new();
    for link in links {
        let link = link.replace("&amp;", "&");
        let (lng, lat) = link.split_once("&lat=").unwrap();
        let answer = api(&app, lng, lat).await.json();
        assert_eq!(answer["on_boundary"], false, "a click lands inside");
        found.push(answer["code"].as_str().unwrap().to_owned());
    }
    found.sort();
    assert_eq!(found, vec![WEST, EAST, SCHOOL, ANKANG]);

    // A looked-up point: the grid, its leader, the map zoomed to the
    // community with the grid selected and the point marked.
    let page = app
        .get(
            &format!(
                "/grid/lookup?{}",
                qs(&[("lng", "121.005"), ("lat", "32.008")])
            ),
            None,
        )
        .await;
    assert!(page.body.contains("您所在的网格"), "{}", page.body);
    assert!(page.body.contains("天熹一网格") && page.body.contains("李雪"));
    assert!(page.body.contains("tel:0513-86100001"));
    assert_eq!(page.body.matches("<polygon").count(), 3, "天熹社区 only");
    assert_eq!(page.body.matches("data-selected=\"true\"").count(), 1);
    assert!(page.body.contains("<circle"));
    assert!(page.body.contains("查看全区"));

    let page = app.get("/grid/lookup?lng=122&lat=33", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("该位置不在任何网格内"));
    let page = app.get("/grid/lookup?lng=abc&lat=33", None).await;
    assert!(page.body.contains("经度应为数字"));
    assert!(!page.body.contains("您所在的网格"));
    // Zoomed to a street by its code.
    let page = app.get("/grid/lookup?under=320612001002", None).await;
    assert_eq!(page.body.matches("<polygon").count(), 1);
}

#[tokio::test]
async fn an_approved_filing_moves_the_lines_the_look_up_uses() {
    let app = TestApp::new().await;
    load_small(&app).await;
    assert_eq!(api(&app, "121.012", "32.005").await.json()["code"], EAST);
    // Grid 001 files a line further east; until approved nothing changes.
    let wider = rect(121.00, 32.00, 121.015, 32.01);
    let ctx = AuditCtx::system("test", yiwang_core::Clock::now(&app.clock).micros());
    app.store
        .file_boundary(
            &ctx,
            NewFiling {
                grid_code: WEST.to_owned(),
                boundary_json: wider.to_geojson_text(),
                area_centi: area_centi(&wider),
                note: "道路改线".to_owned(),
            },
        )
        .await
        .unwrap();
    assert_eq!(api(&app, "121.012", "32.005").await.json()["code"], EAST);
    app.store
        .decide_filing(&ctx, WEST, 2, true, "同意")
        .await
        .unwrap();
    // The cached map follows the store: the point is now in 001 (the grid
    // with the smaller code, as the two overlap until 002 files too).
    assert_eq!(api(&app, "121.012", "32.005").await.json()["code"], WEST);
    let geo = app.get("/api/v1/grids.geojson", None).await.json();
    let west = geo["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == WEST)
        .unwrap();
    assert_eq!(
        yiwang_grid::Boundary::from_geojson(&west["geometry"]).unwrap(),
        wider
    );
}
