//! A bid is acknowledged only after its event is durably committed.
//!
//! Real `yiwang serve` processes take a storm of bids from bidder1 and
//! bidder2 on the demo's U20041, several tasks per bidder, through the live
//! act route as a browser sends them. The server is killed with SIGKILL at
//! random moments while bids are in flight and restarted on the same
//! database, three times. Afterwards the listing's log, exported with
//! `yiwang exchange export`, must hold every bid that was acknowledged as
//! accepted, its chain must verify (`yiwang exchange verify`), and the state
//! a restarted server shows — and a desk loads — must equal an offline
//! replay of the log.
//!
//! The kill moments come from a seed printed at the start; a failure can be
//! replayed with `YIWANG_DURABILITY_SEED`. Runs on SQLite, or on PostgreSQL
//! with `YIWANG_TEST_BACKEND=postgres`.

mod common;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use common::{login, storm, Acknowledged, Rng, Server, INCREMENT_FEN, START_FEN};
use yiwang_core::SystemClock;
use yiwang_exchange::log::{self, from_jsonl};
use yiwang_web::exchange::desk::Desk;

/// Times the server is killed during the storm.
const KILLS: usize = 3;
/// Bidding tasks per bidder.
const TASKS_PER_BIDDER: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_bids_survive_sigkill() {
    let mut rng = Rng(common::seed("YIWANG_DURABILITY_SEED"));
    let db = common::database("durability").await;
    common::load_demo(&db.url);
    let listing = db.store.listing_by_code("U20041").await.unwrap().unwrap();
    let opened_seq = db.store.head(listing.id).await.unwrap().unwrap().seq;

    let acked = Arc::new(Acknowledged::default());
    let floor = Arc::new(AtomicI64::new(START_FEN + INCREMENT_FEN));
    for round in 0..KILLS {
        let server = Server::start(&db.url);
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for username in ["bidder1", "bidder2"] {
            let bidder = login(&server.addr, username).await;
            for _ in 0..TASKS_PER_BIDDER {
                tasks.push(tokio::spawn(storm(
                    server.addr.clone(),
                    bidder.clone(),
                    listing.id,
                    floor.clone(),
                    acked.clone(),
                    stop.clone(),
                    Rng(rng.next() | 1),
                )));
            }
        }
        let before = acked.accepted.lock().unwrap().len();
        tokio::time::sleep(rng.millis(1500, 4000)).await;
        // Bids are in flight: kill without warning.
        tokio::task::spawn_blocking(move || server.kill())
            .await
            .unwrap();
        stop.store(true, Ordering::SeqCst);
        for task in tasks {
            task.await.unwrap();
        }
        let after = acked.accepted.lock().unwrap().len();
        assert!(
            after > before,
            "round {round}: no bid was accepted before the kill"
        );
    }
    let accepted = acked.accepted.lock().unwrap().clone();
    println!(
        "{} bids acknowledged as accepted, {} refused, {} unanswered when the server died, {} failed",
        accepted.len(),
        acked.refused.load(Ordering::SeqCst),
        acked.unanswered.load(Ordering::SeqCst),
        acked.failed.load(Ordering::SeqCst)
    );

    // Restarted once more: what it shows is read after the last crash.
    let server = Server::start(&db.url);
    let (panel_seq, panel_price) = common::panel(&server.addr, listing.id).await;

    // The log as anyone would get it, checked as anyone would check it:
    // every acknowledged bid is there, once, by the bidder it was
    // acknowledged to.
    let text = common::exported_and_verified(&db.url, "U20041");
    let verified = log::verify_jsonl(&text).unwrap();
    let entries = from_jsonl(&text).unwrap();
    assert!(entries.len() as i64 > opened_seq);
    let logged = common::assert_acknowledged_in_log(&entries, &accepted);

    // The state the restarted server shows is the replay's.
    let replayed = log::replay(&verified.rules, &entries[1..]).unwrap();
    assert_eq!(replayed, verified.state);
    let high = replayed.high_bid().expect("a high bid");
    assert_eq!(high.price.fen(), *logged.keys().last().unwrap());
    assert_eq!(panel_seq, entries.len() as i64);
    assert_eq!(panel_price, high.price.format_grouped());
    server.kill();

    // And a desk loading the listing afresh holds exactly that state.
    let desk = Desk::new(db.store.clone(), Arc::new(SystemClock));
    let loaded = desk.view(listing.id, |l| l.state().clone()).await.unwrap();
    assert_eq!(loaded, replayed);
}
