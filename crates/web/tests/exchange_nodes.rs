//! Two server processes on one database, in-process: two `AppState`s, each
//! with its own desk, sharing one store. What one desk appends reaches the
//! other's engine and watchers through the store's change feed, a retry
//! with an idempotency key gets the first answer on either node, and a key
//! still being acted on elsewhere is not acted on twice.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use common::exchange::{app, enterprise, listing};
use common::{NowMicros, TestApp};
use uuid::Uuid;
use yiwang_exchange::engine::{Action, Event, Party};
use yiwang_store::exchange::RequestClaim;
use yiwang_store::User;
use yiwang_web::exchange::desk::Update;
use yiwang_web::AppState;

/// An enterprise applied and paid up through the desk.
async fn bidder(app: &TestApp, id: Uuid, name: &str) -> (User, String, String) {
    let (user, code, session) = enterprise(app, name).await;
    let r = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[],
            Some(&session),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let deposit = Action::Deposit {
        party: Party::parse(&code).unwrap(),
        amount: yiwang_core::Money::parse_yuan("2326300000").unwrap(),
    };
    assert!(app
        .state
        .desk
        .act(id, &deposit, vec![])
        .await
        .unwrap()
        .verdict
        .is_accepted());
    (user, code, session)
}

/// A second node on the test's store and clock.
fn second_node(app: &TestApp) -> (AppState, Router) {
    let state = AppState::new(
        app.store.clone(),
        (*app.state.config).clone(),
        Arc::new(app.clock.clone()),
    )
    .unwrap();
    let router = yiwang_web::app(state.clone());
    (state, router)
}

async fn bid_on(
    app: &mut TestApp,
    router: &Router,
    id: Uuid,
    session: &str,
    price: &str,
    key: &str,
) -> common::Answer {
    app.router = router.clone();
    app.post_form(
        &format!("/exchange/listings/{id}/live/act"),
        &[("action", "bid"), ("price", price), ("key", key)],
        Some(session),
    )
    .await
}

async fn next_update(rx: &mut tokio::sync::broadcast::Receiver<Arc<Update>>) -> Arc<Update> {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no update came")
        .expect("the watch ended")
}

fn bid_price(update: &Update) -> String {
    match &update.entry.payload {
        Event::BidAccepted { price, .. } => price.to_yuan_string(),
        other => panic!("entry {} is {}", update.entry.seq, other.name()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_follows_the_log_and_answers_retries() {
    let mut app = app().await;
    let id = listing(&app).await;
    let (user_a, _, a) = bidder(&app, id, "jianghai").await;
    let (_, _, b) = bidder(&app, id, "haohe").await;
    let router_a = app.router.clone();
    let (node_b, router_b) = second_node(&app);

    // Node B watches the listing and follows the feed.
    let mut watching_b = node_b.desk.watch(id).await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let follower = tokio::spawn({
        let desk = node_b.desk.clone();
        async move { desk.follow(stopped).await }
    });

    // A bid on node A reaches node B's watchers and engine.
    let first = bid_on(&mut app, &router_a, id, &a, "18470", "k-1").await;
    assert!(
        first.body.contains("报价 18,470.00 已确认"),
        "{}",
        first.body
    );
    let head = app.store.head(id).await.unwrap().unwrap().seq;
    let update = next_update(&mut watching_b).await;
    assert_eq!(update.entry.seq as i64, head);
    assert_eq!(bid_price(&update), "18470.00");
    let high = node_b
        .desk
        .view(id, |l| {
            l.state().high_bid().map(|h| h.price.to_yuan_string())
        })
        .await
        .unwrap();
    assert_eq!(high.as_deref(), Some("18470.00"));

    // The same key retried on node B: the first answer, no second bid.
    let retry = bid_on(&mut app, &router_b, id, &a, "18470", "k-1").await;
    assert_eq!(retry.status, StatusCode::OK);
    assert!(
        retry.body.contains("报价 18,470.00 已确认"),
        "{}",
        retry.body
    );
    assert_eq!(app.store.head(id).await.unwrap().unwrap().seq, head);

    // A bid on node B, decided against what node B followed, reaches
    // node A's watchers.
    let mut watching_a = app.state.desk.watch(id).await.unwrap();
    let second = bid_on(&mut app, &router_b, id, &b, "18480", "k-2").await;
    assert!(second.body.contains("已确认"), "{}", second.body);
    let on_b = next_update(&mut watching_b).await;
    assert_eq!(on_b.entry.seq as i64, head + 1);
    assert_eq!(bid_price(&on_b), "18480.00");

    // Node A never heard of that bid (it follows nothing here); its next
    // action finds its head stale, reloads, and its watchers get the
    // missed entry before its own, in order.
    let third = bid_on(&mut app, &router_a, id, &a, "18490", "k-3").await;
    assert!(third.body.contains("已确认"), "{}", third.body);
    let missed = next_update(&mut watching_a).await;
    let own = next_update(&mut watching_a).await;
    assert_eq!(
        (missed.entry.seq as i64, bid_price(&missed)),
        (head + 1, "18480.00".to_owned())
    );
    assert_eq!(
        (own.entry.seq as i64, bid_price(&own)),
        (head + 2, "18490.00".to_owned())
    );
    let followed = next_update(&mut watching_b).await;
    assert_eq!(followed.entry.seq as i64, head + 2);

    // A key being acted on elsewhere is not acted on again.
    let now = app.clock.now_micros();
    assert_eq!(
        app.store
            .claim_request(user_a.id, "k-busy", now, now + 60_000_000)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    let busy = bid_on(&mut app, &router_b, id, &a, "18510", "k-busy").await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.body);
    assert!(busy.body.contains("正在处理中"), "{}", busy.body);
    assert_eq!(app.store.head(id).await.unwrap().unwrap().seq, head + 2);

    // A request that ends without a verdict gives its key up: the retry
    // with a valid price acts.
    let bad = bid_on(&mut app, &router_a, id, &b, "18500.001", "k-4").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let good = bid_on(&mut app, &router_b, id, &b, "18500", "k-4").await;
    assert!(good.body.contains("报价 18,500.00 已确认"), "{}", good.body);
    assert_eq!(app.store.head(id).await.unwrap().unwrap().seq, head + 3);

    stop.send(true).unwrap();
    follower.await.unwrap();
}
