//! The desk combines the actions queued on one listing into one append:
//! many bidders acting at once each get their own verdict, the log holds
//! exactly the accepted bids, each answer carries exactly its own entries,
//! and the engine held in memory equals the log replayed.

mod common;

use axum::http::StatusCode;
use common::exchange::{app, enterprise, listing};
use common::TestApp;
use uuid::Uuid;
use yiwang_core::Money;
use yiwang_exchange::engine::{Action, Event, Party, Verdict};

/// An enterprise applied and paid up through the desk; returns its party.
async fn bidder(app: &TestApp, id: Uuid, name: &str) -> Party {
    let (_, code, session) = enterprise(app, name).await;
    let r = app
        .post_form(
            &format!("/exchange/listings/{id}/apply"),
            &[],
            Some(&session),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let party = Party::parse(&code).unwrap();
    let deposit = Action::Deposit {
        party: party.clone(),
        amount: Money::parse_yuan("2326300000").unwrap(),
    };
    let acted = app.state.desk.act(id, &deposit, vec![]).await.unwrap();
    assert!(acted.verdict.is_accepted());
    party
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bids_on_one_listing_each_get_their_own_answer() {
    let app = app().await;
    let id = listing(&app).await;
    let mut parties = Vec::new();
    for i in 0..12 {
        parties.push(bidder(&app, id, &format!("bidder{i:02}")).await);
    }
    let head = app.store.head(id).await.unwrap().unwrap().seq;

    // Every bidder bids at each price from 18,470 up in steps of 10, all at
    // once: at each price one bid can be taken, the others are refused.
    let mut tasks = tokio::task::JoinSet::new();
    for party in parties.clone() {
        let desk = app.state.desk.clone();
        tasks.spawn(async move {
            let mut answers = Vec::new();
            for step in 0..8 {
                let price = Money::from_fen(1_847_000 + step * 1_000);
                let action = Action::Bid {
                    party: party.clone(),
                    price,
                };
                let acted = desk.act(id, &action, vec![]).await.unwrap();
                answers.push((party.clone(), price, acted));
            }
            answers
        });
    }
    let mut accepted = Vec::new();
    let mut numbers = std::collections::HashMap::new();
    let mut answered = 0;
    while let Some(answers) = tasks.join_next().await {
        for (party, price, acted) in answers.unwrap() {
            answered += 1;
            let bids: Vec<_> = acted
                .entries
                .iter()
                .filter_map(|e| match &e.payload {
                    Event::BidAccepted { bidder, price, .. } => Some((*bidder, *price)),
                    _ => None,
                })
                .collect();
            match acted.verdict {
                Verdict::Accepted => {
                    // Its own bid, and nobody else's.
                    assert_eq!(bids.len(), 1, "{bids:?}");
                    assert_eq!(bids[0].1, price);
                    let no = *numbers.entry(party.clone()).or_insert(bids[0].0);
                    assert_eq!(no, bids[0].0, "one bidder number per party");
                    accepted.push((party, price));
                }
                Verdict::Refused(_) => assert!(bids.is_empty(), "{bids:?}"),
            }
        }
    }
    let distinct: std::collections::HashSet<_> = numbers.values().collect();
    assert_eq!(
        distinct.len(),
        numbers.len(),
        "parties have distinct numbers"
    );
    assert_eq!(answered, 12 * 8);
    // Each price taken at most once, by one bidder. A step may be skipped
    // (the holder of the high bid, refused at the next step, may already
    // bid the one after it), but the last step is always taken: whoever
    // bids it without holding the high bid is accepted.
    accepted.sort_by_key(|(_, p)| *p);
    let prices: Vec<_> = accepted.iter().map(|(_, p)| p.fen()).collect();
    let mut distinct = prices.clone();
    distinct.dedup();
    assert_eq!(distinct, prices, "a price accepted twice");
    assert!(prices.len() >= 2, "{prices:?}");
    assert!(prices
        .iter()
        .all(|p| (1_847_000..=1_854_000).contains(p) && p % 1_000 == 0));
    assert_eq!(prices.last(), Some(&1_854_000));

    // The log holds exactly the accepted bids, in price order, with no gap.
    let rows = app.store.events(id, head, 1000).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (head + 1..=head + rows.len() as i64).collect::<Vec<_>>()
    );
    let logged: Vec<_> = rows
        .iter()
        .filter(|r| r.kind == "bid_accepted")
        .map(|r| serde_json::from_str::<serde_json::Value>(&r.payload).unwrap())
        .collect();
    assert_eq!(logged.len(), accepted.len());

    // The engine in memory equals the log read afresh.
    let held = app
        .state
        .desk
        .view(id, |l| {
            (
                l.state().high_bid().map(|b| b.price),
                l.state().bidders().len(),
            )
        })
        .await
        .unwrap();
    app.state.desk.evict(id).await;
    let reloaded = app
        .state
        .desk
        .view(id, |l| {
            (
                l.state().high_bid().map(|b| b.price),
                l.state().bidders().len(),
            )
        })
        .await
        .unwrap();
    assert_eq!(held, reloaded);
    assert_eq!(held.0, Some(Money::from_fen(1_847_000 + 7 * 1_000)));
}
