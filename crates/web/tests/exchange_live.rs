//! Live bidding: bids through the bidder's controls with idempotency keys,
//! refusals in Chinese, the public panel by bidder number, the timed round
//! and its restarting countdown, and the server-sent updates.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::exchange::{app, enterprise, listing};
use common::TestApp;
use futures_util::StreamExt;
use uuid::Uuid;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{Action, Party};
use yiwang_store::User;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

/// Two enterprises, applied and paid up through the desk.
async fn two_bidders(app: &TestApp, id: Uuid) -> (String, String, String, String) {
    let (_, code_a, a, _, code_b, b) = two_bidders_users(app, id).await;
    (code_a, a, code_b, b)
}

/// The same, with the accounts, for tests that move the clock (and so
/// need fresh sessions).
async fn two_bidders_users(
    app: &TestApp,
    id: Uuid,
) -> (User, String, String, User, String, String) {
    let (ua, code_a, a) = enterprise(app, "jianghai").await;
    let (ub, code_b, b) = enterprise(app, "haohe").await;
    for (code, session) in [(&code_a, &a), (&code_b, &b)] {
        let r = app
            .post_form(
                &format!("/exchange/listings/{id}/apply"),
                &[],
                Some(session),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let deposit = Action::Deposit {
            party: Party::parse(code).unwrap(),
            amount: Money::parse_yuan("2326300000").unwrap(),
        };
        assert!(app
            .state
            .desk
            .act(id, &deposit, vec![])
            .await
            .unwrap()
            .verdict
            .is_accepted());
    }
    (ua, code_a, a, ub, code_b, b)
}

async fn act(app: &TestApp, id: Uuid, session: &str, fields: &[(&str, &str)]) -> common::Answer {
    app.post_form(
        &format!("/exchange/listings/{id}/live/act"),
        fields,
        Some(session),
    )
    .await
}

#[tokio::test]
async fn bids_are_judged_idempotent_and_shown_by_number() {
    let app = app().await;
    let id = listing(&app).await;
    let (code_a, a, code_b, b) = two_bidders(&app, id).await;

    let first = act(
        &app,
        id,
        &a,
        &[("action", "bid"), ("price", "18470"), ("key", "k-1")],
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert!(
        first.body.contains("报价 18,470.00 已确认"),
        "{}",
        first.body
    );
    assert!(first.body.contains("您当前为最高报价者"));
    let head = app.store.head(id).await.unwrap().unwrap().seq;
    // The same key again: the first answer, and no second bid.
    let repeat = act(
        &app,
        id,
        &a,
        &[("action", "bid"), ("price", "18470"), ("key", "k-1")],
    )
    .await;
    assert!(repeat.body.contains("报价 18,470.00 已确认"));
    assert_eq!(app.store.head(id).await.unwrap().unwrap().seq, head);

    let low = act(
        &app,
        id,
        &b,
        &[("action", "bid"), ("price", "18470"), ("key", "k-2")],
    )
    .await;
    assert!(low.body.contains("未被接受"), "{}", low.body);
    assert!(low.body.contains("最低有效报价 18480.00"), "{}", low.body);
    let bad = act(
        &app,
        id,
        &b,
        &[("action", "bid"), ("price", "18480.001"), ("key", "k-3")],
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = act(
        &app,
        id,
        &b,
        &[("action", "bid"), ("price", "18480"), ("key", "k-4")],
    )
    .await;
    assert!(ok.body.contains("已确认"));

    // The public page: prices and four-digit bidder numbers, never names or codes.
    let page = app
        .get(&format!("/exchange/listings/{id}/live"), None)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("18,480.00") && page.body.contains("18,470.00"));
    assert!(!page.body.contains(&code_a) && !page.body.contains(&code_b));
    assert!(!page.body.contains("jianghai") && !page.body.contains("haohe"));
    assert!(
        !page.body.contains("我的竞价"),
        "the public has no bid form"
    );
    let numbers = app
        .state
        .desk
        .view(id, |l| l.state().bidders().len())
        .await
        .unwrap();
    assert_eq!(numbers, 2);
}

#[tokio::test]
async fn a_key_left_claimed_by_a_lost_request_is_free_after_its_lease() {
    use common::NowMicros;
    use yiwang_store::exchange::RequestClaim;
    use yiwang_web::exchange::live::{CLAIM_LEASE_US, KEY_TTL_US};
    let app = app().await;
    let id = listing(&app).await;
    let (ua, _, a, _, _, _) = two_bidders_users(&app, id).await;
    // A process claimed the key and died before it acted or answered.
    let now = app.clock.now_micros();
    assert_eq!(
        app.store
            .claim_request(ua.id, "lost", now, now + CLAIM_LEASE_US)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    let bid = [("action", "bid"), ("price", "18470"), ("key", "lost")];
    let pending = act(&app, id, &a, &bid).await;
    assert_eq!(pending.status, StatusCode::CONFLICT, "{}", pending.body);
    assert!(
        pending.body.contains("同一请求正在处理中"),
        "{}",
        pending.body
    );
    let head = app.store.head(id).await.unwrap().unwrap().seq;

    // Once the lease has run out the retry acts, once.
    app.clock.advance_secs(CLAIM_LEASE_US / 1_000_000);
    let a = app.session_for(&ua).await;
    let acted = act(&app, id, &a, &bid).await;
    assert!(
        acted.body.contains("报价 18,470.00 已确认"),
        "{}",
        acted.body
    );
    let after = app.store.head(id).await.unwrap().unwrap().seq;
    assert!(after > head);
    // Its answer is kept for the key's whole life, not the lease.
    app.clock.advance_secs(KEY_TTL_US / 1_000_000 - 1);
    let a = app.session_for(&ua).await;
    let repeat = act(&app, id, &a, &bid).await;
    assert!(
        repeat.body.contains("报价 18,470.00 已确认"),
        "{}",
        repeat.body
    );
    assert_eq!(app.store.head(id).await.unwrap().unwrap().seq, after);
}

#[tokio::test]
async fn a_timed_round_restarts_its_countdown_and_ends_in_a_result() {
    let app = app().await;
    let id = listing(&app).await;
    let (ua, _, a, ub, _, _) = two_bidders_users(&app, id).await;
    assert!(act(
        &app,
        id,
        &a,
        &[("action", "bid"), ("price", "18470"), ("key", "a1")]
    )
    .await
    .body
    .contains("已确认"));
    // The quote-stop hour: bids stop, declarations open.
    app.clock.set(ts("2026-12-10T10:10:00+08:00"));
    let (a, b) = (app.session_for(&ua).await, app.session_for(&ub).await);
    let late_bid = act(
        &app,
        id,
        &b,
        &[("action", "bid"), ("price", "18480"), ("key", "b1")],
    )
    .await;
    assert!(late_bid.body.contains("未被接受"), "{}", late_bid.body);
    for (s, key) in [(&a, "ad"), (&b, "bd")] {
        let d = act(&app, id, s, &[("action", "declare_timed"), ("key", key)]).await;
        assert!(d.body.contains("已申请参加限时竞价"), "{}", d.body);
    }
    // At the listing end the round starts; each bid restarts the 240 s countdown.
    app.clock.set(ts("2026-12-10T11:01:00+08:00"));
    let b = app.session_for(&ub).await;
    let panel = app
        .get(&format!("/exchange/listings/{id}/live/panel"), None)
        .await;
    assert!(panel.body.contains("限时竞价中"), "{}", panel.body);
    assert!(
        panel.body.contains("2026-12-10T11:04:00+08:00"),
        "deadline = listing end + 240 s: {}",
        panel.body
    );
    assert!(act(
        &app,
        id,
        &b,
        &[("action", "bid"), ("price", "18480"), ("key", "b2")]
    )
    .await
    .body
    .contains("已确认"));
    let panel = app
        .get(&format!("/exchange/listings/{id}/live/panel"), None)
        .await;
    assert!(
        panel.body.contains("2026-12-10T11:05:00+08:00"),
        "restarted at 11:01 + 240 s: {}",
        panel.body
    );
    // Past the deadline the result is decided, whatever asks first.
    app.clock.set(ts("2026-12-10T11:05:00+08:00"));
    let a = app.session_for(&ua).await;
    let late = act(
        &app,
        id,
        &a,
        &[("action", "bid"), ("price", "18490"), ("key", "a3")],
    )
    .await;
    assert!(late.body.contains("未被接受"), "{}", late.body);
    let panel = app
        .get(&format!("/exchange/listings/{id}/live/panel"), None)
        .await;
    assert!(
        panel.body.contains("成交") && panel.body.contains("18,480.00"),
        "{}",
        panel.body
    );
    let row = app.store.listing(id).await.unwrap().unwrap();
    assert_eq!(row.status, "sold");
    assert_eq!(
        row.decided_at,
        Some(ts("2026-12-10T11:05:00+08:00").micros())
    );
}

#[tokio::test]
async fn watchers_get_the_panel_at_once_and_again_after_each_bid() {
    let app = app().await;
    let id = listing(&app).await;
    let (_, a, _, _) = two_bidders(&app, id).await;
    let resp = app
        .router
        .clone()
        .oneshot_events(
            Request::get(format!("/exchange/listings/{id}/live/events"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp
        .headers()
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut body = resp.into_body().into_data_stream();
    let first = next_event(&mut body).await;
    assert!(
        first.contains("event: panel") && first.contains("尚无报价"),
        "{first}"
    );
    let head = app.store.head(id).await.unwrap().unwrap().seq;
    assert!(first.contains(&format!("id: {head}")), "{first}");

    assert!(act(
        &app,
        id,
        &a,
        &[("action", "bid"), ("price", "18470"), ("key", "w1")]
    )
    .await
    .body
    .contains("已确认"));
    let second = next_event(&mut body).await;
    assert!(second.contains("18,470.00"), "{second}");
    assert!(second.contains(&format!("id: {}", head + 1)), "{second}");

    // A client that saw the latest entry gets nothing until the next one.
    let resp = app
        .router
        .clone()
        .oneshot_events(
            Request::get(format!("/exchange/listings/{id}/live/events"))
                .header("last-event-id", (head + 1).to_string())
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let mut body = resp.into_body().into_data_stream();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), body.next())
            .await
            .is_err()
    );
}

async fn next_event(body: &mut axum::body::BodyDataStream) -> String {
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .expect("an event within 5 s")
            .expect("the stream goes on")
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        if text.starts_with(':') {
            text.clear();
        }
    }
    text
}

/// `oneshot` for a streaming response (the body is read by the test).
trait OneshotEvents {
    async fn oneshot_events(self, req: Request<Body>) -> axum::response::Response;
}

impl OneshotEvents for axum::Router {
    async fn oneshot_events(self, req: Request<Body>) -> axum::response::Response {
        use tower::ServiceExt;
        self.oneshot(req).await.unwrap()
    }
}

#[tokio::test]
async fn a_listing_opens_on_time_without_anyone_acting() {
    let app = app().await;
    app.clock.set(ts("2026-11-23T10:00:00+08:00"));
    let id = listing(&app).await;
    assert_eq!(
        app.store.listing(id).await.unwrap().unwrap().status,
        "upcoming"
    );
    let head = app.store.head(id).await.unwrap().unwrap().seq;
    // Nothing is due yet: a tick writes nothing.
    assert!(app.state.desk.tick(id).await.unwrap().is_empty());
    app.clock.set(ts("2026-11-24T09:00:00+08:00"));
    assert!(
        app.state.desk.tick(id).await.unwrap().is_empty(),
        "opening is no fact"
    );
    let row = app.store.listing(id).await.unwrap().unwrap();
    assert_eq!(row.status, "open");
    assert_eq!(
        app.store.head(id).await.unwrap().unwrap().seq,
        head,
        "the log is unchanged"
    );
}
