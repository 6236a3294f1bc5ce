//! Fixtures for the exchange's tests: a published listing with its log
//! open, enterprises with sessions, signed bank callbacks.

use axum::body::Body;
use axum::http::{header, Request};
use uuid::Uuid;
use yiwang_core::Role;
use yiwang_exchange::scenario::Scenario;
use yiwang_store::exchange::{NewListing, NewNotice};
use yiwang_store::{AuditCtx, User};
use yiwang_web::exchange::bank::sign;

use super::{Answer, NowMicros, TestApp};

pub const SECRET: &str = "test-bank-secret";

/// R20042 with the test clock inside its application window (the clock
/// starts 2026-11-26 10:00 Shanghai).
pub const RULES: &str = r#"{"listing": {"code": "R20042", "area_m2": "125949.79", "start_price": "18470",
  "increment": "10", "deposit_required": "2326300000",
  "application_start": "2026-11-20T09:00:00+08:00", "application_deadline": "2026-12-08T11:00:00+08:00",
  "listing_start": "2026-11-24T09:00:00+08:00", "listing_end": "2026-12-10T11:00:00+08:00"}, "steps": []}"#;

pub async fn app() -> TestApp {
    let mut config = super::test_config();
    config.bank.hmac_secret = SECRET.to_owned();
    TestApp::with_config(config).await
}

/// Publishes one listing straight through the store and opens its log.
pub async fn listing(app: &TestApp) -> Uuid {
    let ctx = AuditCtx::system("test", app.clock.now_micros());
    let notice = app
        .store
        .create_notice(
            &ctx,
            NewNotice {
                number: "通自然资规告出网(2026)第1号".into(),
                title: "南通市市区国有建设用地使用权出让公告".into(),
                body_json: "{}".into(),
            },
        )
        .await
        .unwrap();
    let rules = Scenario::parse(RULES).unwrap().rules;
    let s = rules.schedule;
    let (_, rows) = app
        .store
        .publish_notice(
            &ctx,
            notice.id,
            notice.version,
            app.clock.now_micros(),
            vec![NewListing {
                code: "R20042".into(),
                location: "龙腾路东、星湖大道北".into(),
                land_use: "居住用地".into(),
                district: "崇川区".into(),
                start_price_fen: 1_847_000,
                listing_start: s.listing_start.micros(),
                listing_end: s.listing_end.micros(),
                application_start: s.application_start.micros(),
                application_deadline: s.application_deadline.micros(),
                rules_json: "{}".into(),
                summary_json: "{}".into(),
                status: "open".into(),
            }],
        )
        .await
        .unwrap();
    let id = rows[0].id;
    app.state.desk.open(id, rules).await.unwrap();
    id
}

pub async fn enterprise(app: &TestApp, name: &str) -> (User, String, String) {
    let user = app.user(name, Role::Bidder).await;
    let e = app
        .store
        .enterprise(user.enterprise_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    let session = app.session_for(&user).await;
    (user, e.credit_code, session)
}

pub async fn bank(app: &TestApp, body: serde_json::Value, skew_s: i64, secret: &str) -> Answer {
    let body = body.to_string();
    let ts = (app.clock.now_micros() / 1_000_000 + skew_s).to_string();
    let sig = sign(secret, &ts, body.as_bytes());
    app.send(
        Request::post("/api/v1/bank/deposits")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-bank-timestamp", ts)
            .header("x-bank-signature", sig)
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}
