//! The public directory of grids and leaders: every grid of the seed
//! article's district, search and pages, the XLSX export, a grid's page, its
//! door sticker, and the boundaries as GeoJSON.

mod common;

use axum::http::{header, StatusCode};
use calamine::{Data, Reader, Xlsx};
use common::grid::{load_small, load_tongzhou, qs, SCHOOL, WEST};
use common::TestApp;

/// The body as bytes (an XLSX is not text).
async fn bytes(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let (answer, body) = app.download(path, None).await;
    (answer.status, answer.headers, body)
}

/// The grid codes a directory page lists, in order.
fn codes(body: &str) -> Vec<String> {
    body.split("<small class=\"code\">")
        .skip(1)
        .map(|rest| rest[..15].to_owned())
        .collect()
}

#[tokio::test]
async fn the_directory_lists_every_grid_with_its_leader_page_by_page() {
    let app = TestApp::new().await;
    let district = load_tongzhou(&app).await;
    let page = app.get("/grid/directory", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("共 1137 个网格"),
        "the seed's 1,137 grids"
    );
    assert!(page.body.contains("第 1 / 23 页"));
    let first = codes(&page.body);
    assert_eq!(first.len(), 50);
    let expected: Vec<String> = district.grids.iter().map(|g| g.code.to_string()).collect();
    assert_eq!(first, expected[..50]);
    let g = &district.grids[0];
    assert!(page.body.contains(&g.leader_name));
    assert!(page.body.contains(&format!("tel:{}", g.leader_phone)));
    assert!(page.body.contains("平方公里") || page.body.contains("平方米"));

    // Every page in turn: each grid exactly once, in code order.
    let mut all = Vec::new();
    for n in 1..=23 {
        let page = app.get(&format!("/grid/directory?page={n}"), None).await;
        all.extend(codes(&page.body));
    }
    assert_eq!(all, expected);
    let last = app.get("/grid/directory?page=23", None).await;
    assert_eq!(codes(&last.body).len(), 1137 - 22 * 50);
    assert!(last.body.contains("rel=\"prev\"") && !last.body.contains("rel=\"next\""));
    // Past the end and nonsense pages.
    assert!(codes(&app.get("/grid/directory?page=24", None).await.body).is_empty());
    assert_eq!(
        codes(&app.get("/grid/directory?page=x", None).await.body),
        expected[..50]
    );
}

#[tokio::test]
async fn the_directory_searches_by_name_code_community_and_leader() {
    let app = TestApp::new().await;
    let district = load_tongzhou(&app).await;
    let search = |pairs: &[(&str, &str)]| format!("/grid/directory?{}", qs(pairs));

    let g = &district.grids[400];
    let by_leader = app.get(&search(&[("q", &g.leader_name)]), None).await;
    assert_eq!(codes(&by_leader.body), vec![g.code.to_string()]);
    let by_code = app.get(&search(&[("q", &g.code.to_string())]), None).await;
    assert_eq!(codes(&by_code.body), vec![g.code.to_string()]);
    let by_name = app.get(&search(&[("q", &g.name)]), None).await;
    assert!(codes(&by_name.body).contains(&g.code.to_string()));

    let community = &district.communities[7];
    let in_community: Vec<String> = district
        .grids
        .iter()
        .filter(|g| g.code.community() == community.code)
        .map(|g| g.code.to_string())
        .collect();
    let by_community = app.get(&search(&[("q", &community.name)]), None).await;
    assert_eq!(codes(&by_community.body), in_community);

    let street = &district.streets[3];
    let in_street = district
        .grids
        .iter()
        .filter(|g| g.code.street() == street.code)
        .count();
    let by_street = app
        .get(&search(&[("street", &street.code.to_string())]), None)
        .await;
    assert!(by_street.body.contains(&format!("共 {in_street} 个网格")));

    let specialised = app.get(&search(&[("kind", "specialised")]), None).await;
    assert!(specialised.body.contains("共 107 个网格"));
    let comprehensive = app.get(&search(&[("kind", "comprehensive")]), None).await;
    assert!(comprehensive.body.contains("共 1030 个网格"));
    // Filters combine, and the export link keeps them.
    let comprehensive_in_street = district
        .grids
        .iter()
        .filter(|g| g.code.street() == street.code && g.kind.is_comprehensive())
        .count();
    let both = app
        .get(
            &search(&[
                ("kind", "comprehensive"),
                ("street", &street.code.to_string()),
            ]),
            None,
        )
        .await;
    assert!(both
        .body
        .contains(&format!("共 {comprehensive_in_street} 个网格")));
    assert!(both.body.contains(&format!(
        "/grid/directory.xlsx?street={}&#38;kind=comprehensive",
        street.code
    )));

    let nothing = app.get(&search(&[("q", "不存在的网格")]), None).await;
    assert!(nothing.body.contains("共 0 个网格") && nothing.body.contains("没有符合条件的网格"));
    let bad = app.get(&search(&[("street", "3206")]), None).await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("街道编码应为9位数字，实际为4位"));
    let bad = app.get(&search(&[("kind", "school")]), None).await;
    assert!(bad.body.contains("网格类型应为综合网格或专属网格"));
}

#[tokio::test]
async fn the_directory_exports_as_a_workbook_that_opens() {
    let app = TestApp::new().await;
    let district = load_tongzhou(&app).await;
    let street = &district.streets[0];
    let (status, headers, body) = bytes(
        &app,
        &format!("/grid/directory.xlsx?street={}", street.code),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("grid-directory.xlsx"));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body)).unwrap();
    assert_eq!(book.sheet_names(), vec!["网格长名录".to_owned()]);
    let range = book.worksheet_range("网格长名录").unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    let text = |d: &Data| match d {
        Data::String(s) => s.clone(),
        other => panic!("expected text, got {other:?}"),
    };
    assert_eq!(
        rows[0].iter().map(text).collect::<Vec<_>>(),
        vec![
            "网格编码",
            "网格名称",
            "网格类型",
            "街道（镇）",
            "社区（村）",
            "网格长",
            "联系电话",
            "面积（平方米）"
        ]
    );
    let in_street: Vec<_> = district
        .grids
        .iter()
        .filter(|g| g.code.street() == street.code)
        .collect();
    assert_eq!(rows.len(), in_street.len() + 1);
    let g = in_street[0];
    assert_eq!(text(&rows[1][0]), g.code.to_string(), "codes stay text");
    assert_eq!(text(&rows[1][5]), g.leader_name);
    assert_eq!(text(&rows[1][6]), g.leader_phone);
    assert_eq!(text(&rows[1][3]), street.name);
    match &rows[1][7] {
        Data::Float(m2) => assert!((m2 - g.boundary.area_m2()).abs() < 0.01, "{m2}"),
        other => panic!("area should be a number: {other:?}"),
    }

    // The whole directory: more rows than one store page holds.
    let (_, _, body) = bytes(&app, "/grid/directory.xlsx").await;
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body)).unwrap();
    assert_eq!(book.worksheet_range("网格长名录").unwrap().height(), 1138);
}

#[tokio::test]
async fn a_grid_has_a_page_and_a_door_sticker_with_a_qr_code() {
    let app = TestApp::new().await;
    load_small(&app).await;
    let page = app.get(&format!("/grid/grids/{WEST}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "天熹一网格",
        "综合网格",
        "金沙街道",
        "天熹社区",
        "李雪",
        "tel:0513-86100001",
        "平方公里",
        "工作日每天巡查网格至少一次",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    // The community's map with this grid selected; the filing history is
    // for grid staff only.
    assert_eq!(page.body.matches("<polygon").count(), 3);
    assert!(page.body.contains("data-selected=\"true\""));
    assert!(!page.body.contains("边界备案记录"));
    let user = app.user("leader1", yiwang_core::Role::GridLeader).await;
    let session = app.session_for(&user).await;
    let staff_view = app
        .get(&format!("/grid/grids/{WEST}"), Some(&session))
        .await;
    assert!(staff_view.body.contains("边界备案记录") && staff_view.body.contains("第 1 版"));

    let school = app.get(&format!("/grid/grids/{SCHOOL}"), None).await;
    assert!(school.body.contains("专属网格（学校）") && school.body.contains("陈刚"));

    let sticker = app.get(&format!("/grid/grids/{WEST}/sticker"), None).await;
    assert_eq!(sticker.status, StatusCode::OK);
    assert!(sticker.body.contains("有事找网格长"));
    assert!(sticker.body.contains("李雪") && sticker.body.contains("0513-86100001"));
    assert!(sticker.body.contains("<svg"), "the QR code is inline SVG");
    assert!(!sticker.body.contains("<?xml"));
    let url = format!(
        "{}/grid/grids/{WEST}",
        app.state.config.public_url.trim_end_matches('/')
    );
    assert!(sticker.body.contains(&url), "the sticker names {url}");
    // The QR code is the one for that address.
    assert!(sticker
        .body
        .contains(&yiwang_web::grid::pages::qr_svg(&url).unwrap()));

    for missing in ["320612001001009", "320612001001000", "abc"] {
        assert_eq!(
            app.get(&format!("/grid/grids/{missing}"), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.get(&format!("/grid/grids/{missing}/sticker"), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn every_boundary_is_valid_geojson_with_its_code() {
    let app = TestApp::new().await;
    let district = load_tongzhou(&app).await;
    let answer = app.get("/api/v1/grids.geojson", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/geo+json");
    let doc = answer.json();
    assert_eq!(doc["type"], "FeatureCollection");
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), 1137);
    for (feature, grid) in features.iter().zip(&district.grids) {
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["properties"]["code"], grid.code.to_string());
        assert_eq!(feature["properties"]["kind"], grid.kind.code());
        assert_eq!(feature["geometry"]["type"], "Polygon");
        let ring = feature["geometry"]["coordinates"][0].as_array().unwrap();
        assert!(ring.len() >= 4);
        assert_eq!(ring.first(), ring.last(), "rings are closed");
        // RFC 7946: exterior rings counter-clockwise (positive shoelace).
        let pts: Vec<(f64, f64)> = ring
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let twice_area: f64 = pts
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum();
        assert!(twice_area > 0.0, "{} is clockwise", grid.code);
        for (lng, lat) in &pts {
            assert!((120.0..122.0).contains(lng) && (31.0..33.0).contains(lat));
        }
    }
    // The file imports back as the same grids.
    let imported = yiwang_grid::parse_feature_collection(&answer.body).unwrap();
    assert_eq!(imported.len(), 1137);
    for (back, grid) in imported.iter().zip(&district.grids) {
        assert_eq!(back.code, grid.code);
        assert_eq!(back.kind, Some(grid.kind));
        assert_eq!(back.boundary, grid.boundary);
    }
}
