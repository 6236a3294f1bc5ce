//! Open311 GeoReport v2 over grid events: the services, posting a request
//! with an API key, and reading requests back in the spec's JSON and XML
//! shapes, with no personal data.

mod common;

use axum::body::Body;
use axum::http::{header, Request};
use common::{test_config, TestApp};

const KEY: &str = "k-open311-test-0001";
const GRID: &str = common::grid::WEST;

async fn app() -> TestApp {
    let mut config = test_config();
    config.open311.api_keys = vec!["other-key".to_owned(), KEY.to_owned()];
    let app = TestApp::with_config(config).await;
    common::grid::load_small(&app).await;
    app
}

/// Posts as an Open311 client would: a plain form, no cookie, no CSRF token.
async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> common::Answer {
    app.send(
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(serde_urlencoded::to_string(fields).unwrap()))
            .unwrap(),
    )
    .await
}

fn request_fields(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("service_code", "environment"),
        ("attribute[grid_code]", GRID),
        ("lat", "39.909"),
        ("long", "116.656"),
        ("address_string", "天熹社区3号楼东侧"),
        ("description", "垃圾堆积，联系人张三 13900000000"),
        ("email", "zhangsan@example.com"),
        ("first_name", "三"),
        ("last_name", "张"),
        ("phone", "13900000000"),
    ]
}

#[tokio::test]
async fn services_list_the_categories_in_json_and_xml() {
    let app = app().await;
    let json = app.get("/open311/v2/services.json", None).await;
    assert_eq!(json.status, 200);
    let services = json.json();
    let list = services.as_array().unwrap();
    assert_eq!(list.len(), 5, "the five must-report categories");
    let hazard = list
        .iter()
        .find(|s| s["service_code"] == "safety_hazard")
        .unwrap();
    assert_eq!(hazard["service_name"], "安全隐患");
    assert_eq!(hazard["type"], "realtime");
    assert_eq!(hazard["metadata"], true);
    for field in ["description", "keywords", "group"] {
        assert!(hazard.get(field).is_some(), "{field}");
    }
    let xml = app.get("/open311/v2/services.xml", None).await;
    assert_eq!(xml.status, 200);
    assert!(xml.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    assert!(xml
        .body
        .starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>"));
    assert!(
        xml.body.contains(
            "<service_code>safety_hazard</service_code><service_name>安全隐患</service_name>"
        ),
        "{}",
        xml.body
    );
    assert_eq!(xml.body.matches("<service>").count(), 5);

    let def = app.get("/open311/v2/services/environment.json", None).await;
    assert_eq!(def.status, 200);
    let def = def.json();
    assert_eq!(def["service_code"], "environment");
    assert_eq!(def["attributes"][0]["code"], "grid_code");
    assert_eq!(def["attributes"][0]["required"], false);
    let def = app.get("/open311/v2/services/environment.xml", None).await;
    assert!(
        def.body.contains(
            "<service_definition><service_code>environment</service_code><attributes><attribute>"
        ),
        "{}",
        def.body
    );
    let missing = app.get("/open311/v2/services/nothing.json", None).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()[0]["code"], 404);
    let missing = app.get("/open311/v2/services/nothing.xml", None).await;
    assert!(missing.body.contains("<errors><error><code>404</code>"));
}

#[tokio::test]
async fn a_client_posts_and_reads_requests_without_personal_data() {
    let app = app().await;
    // Without a valid key nothing is filed.
    let refused = post(&app, "/open311/v2/requests.json", &request_fields("wrong")).await;
    assert_eq!(refused.status, 403);
    assert!(refused.json()[0]["description"]
        .as_str()
        .unwrap()
        .starts_with("invalid_api_key"));
    let created = post(&app, "/open311/v2/requests.json", &request_fields(KEY)).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let created = created.json();
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(id, "SJ2026112600001");
    assert!(created[0].get("service_notice").is_some());
    let (row, _) = app
        .store
        .case(app.store.case_by_number(&id).await.unwrap().unwrap().id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.reporter_kind, "open311");
    assert_eq!(row.grid_code, GRID);
    assert_eq!(row.stage, "reported");

    // Read back: one, in JSON and XML, and in lists with filters.
    let one = app
        .get(&format!("/open311/v2/requests/{id}.json"), None)
        .await;
    assert_eq!(one.status, 200);
    let one = one.json();
    let r = &one[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "environment");
    assert_eq!(r["service_name"], "环境影响事件");
    assert_eq!(r["lat"], 39.909);
    assert_eq!(r["long"], 116.656);
    assert_eq!(r["requested_datetime"], "2026-11-26T10:00:00+08:00");
    for personal in [
        "13900000000",
        "张三",
        "zhangsan",
        "email",
        "phone",
        "first_name",
    ] {
        assert!(
            !one.to_string().contains(personal),
            "{personal} leaked: {one}"
        );
    }
    let xml = app
        .get(&format!("/open311/v2/requests/{id}.xml"), None)
        .await;
    assert!(xml.body.contains(&format!("<service_requests><request><service_request_id>{id}</service_request_id><status>open</status>")), "{}", xml.body);
    assert!(!xml.body.contains("13900000000"));

    let all = app
        .get(
            "/open311/v2/requests.json?status=open&service_code=environment",
            None,
        )
        .await;
    assert_eq!(all.json().as_array().unwrap().len(), 1);
    let none = app
        .get("/open311/v2/requests.json?status=closed", None)
        .await;
    assert_eq!(none.json().as_array().unwrap().len(), 0);
    let by_id = app
        .get(
            &format!("/open311/v2/requests.xml?service_request_id={id},SJ2026112699999"),
            None,
        )
        .await;
    assert_eq!(by_id.body.matches("<request>").count(), 1);
    let window = app
        .get(
            "/open311/v2/requests.json?start_date=2026-11-26T10:00:01%2B08:00",
            None,
        )
        .await;
    assert_eq!(
        window.json().as_array().unwrap().len(),
        0,
        "start_date is inclusive of later requests only"
    );
    assert_eq!(
        app.get("/open311/v2/requests/SJ2026112699999.json", None)
            .await
            .status,
        404
    );

    // The workflow's refusals keep their stable codes.
    let mut no_place = request_fields(KEY);
    no_place.retain(|(k, _)| !matches!(*k, "lat" | "long" | "address_string"));
    let refused = post(&app, "/open311/v2/requests.xml", &no_place).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("<description>location_required: "),
        "{}",
        refused.body
    );
    let audit = app
        .store
        .audit_query(
            &yiwang_store::AuditQuery {
                action: Some("case.report".into()),
                ..Default::default()
            },
            yiwang_store::Page::number(1, 5),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert_eq!(audit.items[0].actor_name, "open311-client-2");
    assert!(!audit.items[0].detail.contains(KEY));
}
