//! The OpenAPI document is a contract: any change to it shows up in review
//! as a snapshot diff.

mod common;

#[tokio::test]
async fn openapi_document_matches_snapshot() {
    let app = common::TestApp::new().await;
    let doc = app.get("/api/v1/openapi.json", None).await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc);
}
