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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{bid, login, BidAnswer, Server};
use yiwang_core::SystemClock;
use yiwang_exchange::engine::Event;
use yiwang_exchange::log::{self, from_jsonl};
use yiwang_web::exchange::desk::Desk;

/// Times the server is killed during the storm.
const KILLS: usize = 3;
/// Bidding tasks per bidder.
const TASKS_PER_BIDDER: usize = 3;
/// U20041's start price and increment, in fen.
const START_FEN: i64 = 48_000;
const INCREMENT_FEN: i64 = 1_000;

/// A small deterministic generator (xorshift64*), so that a seed replays
/// the same kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[low, high)` milliseconds.
    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low))
    }
}

fn yuan_text(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// What the bidders were told: every bid acknowledged as accepted, by
/// bidder and price (fen).
#[derive(Default)]
struct Acknowledged {
    accepted: Mutex<Vec<(String, i64)>>,
    refused: AtomicI64,
    unanswered: AtomicI64,
}

/// One bidding task: bids the lowest price it believes valid until told to
/// stop; learns from refusals; records what is acknowledged.
async fn storm(
    addr: String,
    bidder: common::Bidder,
    listing: uuid::Uuid,
    floor: Arc<AtomicI64>,
    acked: Arc<Acknowledged>,
    stop: Arc<AtomicBool>,
    mut rng: Rng,
) {
    while !stop.load(Ordering::SeqCst) {
        let price = floor.load(Ordering::SeqCst) + INCREMENT_FEN * (rng.next() % 2) as i64;
        let key = uuid::Uuid::now_v7().to_string();
        match bid(&addr, &bidder, listing, &yuan_text(price), &key).await {
            Ok(BidAnswer::Verdict { accepted: true, .. }) => {
                acked
                    .accepted
                    .lock()
                    .unwrap()
                    .push((bidder.username.clone(), price));
                floor.fetch_max(price + INCREMENT_FEN, Ordering::SeqCst);
            }
            Ok(BidAnswer::Verdict { code, .. }) => {
                acked.refused.fetch_add(1, Ordering::SeqCst);
                match code.as_str() {
                    "below_minimum" => {
                        floor.fetch_max(price + INCREMENT_FEN, Ordering::SeqCst);
                    }
                    "already_highest" => tokio::time::sleep(Duration::from_millis(5)).await,
                    other => panic!("{}: bid {price} refused with {other}", bidder.username),
                }
            }
            Ok(BidAnswer::Status(429, _)) => tokio::time::sleep(Duration::from_millis(50)).await,
            Ok(BidAnswer::Status(status, _)) if status >= 500 => {
                // The server is going down under us.
                acked.unanswered.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(BidAnswer::Status(status, body)) => {
                panic!("{}: bid {price} answered {status}: {body}", bidder.username)
            }
            Err(_) => {
                // Killed mid-request: not acknowledged, maybe committed.
                acked.unanswered.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_bids_survive_sigkill() {
    let seed = std::env::var("YIWANG_DURABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("durability seed {seed} (YIWANG_DURABILITY_SEED={seed} replays it)");
    let mut rng = Rng(seed);

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
        "{} bids acknowledged as accepted, {} refused, {} unanswered when the server died",
        accepted.len(),
        acked.refused.load(Ordering::SeqCst),
        acked.unanswered.load(Ordering::SeqCst)
    );

    // Restarted once more: what it shows is read after the last crash.
    let server = Server::start(&db.url);
    let (panel_seq, panel_price) = common::panel(&server.addr, listing.id).await;

    // The log as anyone would get it, checked as anyone would check it.
    let dir = common::TempDir::new("durability-log");
    let file = dir.path("u20041.jsonl");
    let (code, _, err) = common::run(common::yiwang().args([
        "exchange",
        "export",
        "U20041",
        "--out",
        &file,
        "--database-url",
        &db.url,
    ]));
    assert_eq!(code, 0, "export: {err}");
    let (code, out, err) = common::run(common::yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 0, "the exported log does not verify: {out} {err}");
    let text = std::fs::read_to_string(&file).unwrap();
    let verified = log::verify_jsonl(&text).unwrap();
    let entries = from_jsonl(&text).unwrap();
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=entries.len() as u64).collect::<Vec<_>>());
    assert!(entries.len() as i64 > opened_seq);

    // Every acknowledged bid is in the log, once, by the bidder it was
    // acknowledged to.
    let mut logged: BTreeMap<i64, u32> = BTreeMap::new();
    for entry in &entries {
        if let Event::BidAccepted { bidder, price, .. } = &entry.payload {
            let fen = price.fen();
            assert!(
                logged.insert(fen, bidder.0).is_none(),
                "price {fen} accepted twice"
            );
        }
    }
    let mut bidder_of: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for (username, fen) in &accepted {
        let no = logged.get(fen).unwrap_or_else(|| {
            panic!("{username}'s bid at {fen} fen was acknowledged but is not in the log")
        });
        bidder_of.entry(username).or_default().insert(*no);
    }
    assert_eq!(bidder_of.len(), 2, "{bidder_of:?}");
    for (username, numbers) in &bidder_of {
        assert_eq!(
            numbers.len(),
            1,
            "{username}'s bids are logged as {numbers:?}"
        );
    }
    assert_ne!(bidder_of["bidder1"], bidder_of["bidder2"]);

    // The state the restarted server shows is the replay's.
    let rules = verified.rules.clone();
    let replayed = log::replay(&rules, &entries[1..]).unwrap();
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
