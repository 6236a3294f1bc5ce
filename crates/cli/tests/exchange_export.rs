//! `yiwang exchange export`: a real listing's event log, taken from the
//! database after bids, is exactly what `yiwang exchange verify` reads and
//! accepts; a line edited afterwards is caught at its entry.

mod common;

use std::sync::Arc;

use common::{run, yiwang};
use serde_json::Value;
use yiwang_core::{Money, SystemClock};
use yiwang_exchange::engine::{Action, Party, Verdict};
use yiwang_exchange::log::from_jsonl;
use yiwang_store::Store;
use yiwang_web::exchange::desk::Desk;

fn yuan(n: i64) -> Money {
    Money::from_yuan(n).unwrap()
}

/// The credit code of a demo bidder's enterprise.
async fn party_of(store: &dyn Store, username: &str) -> Party {
    let user = store.credentials(username).await.unwrap().unwrap().user;
    let enterprise = store
        .enterprise(user.enterprise_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    Party::parse(&enterprise.credit_code).unwrap()
}

fn verify_json(file: &str) -> (i32, Value) {
    let (code, out, err) = run(yiwang().args(["exchange", "verify", "--json", file]));
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (code, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_log_verifies_and_a_tampered_one_does_not() {
    let dir = common::TempDir::new("export");
    let db = common::database("export").await;
    let url = db.url.clone();
    let (code, _, err) = run(yiwang().args(["demo", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");

    // Bids on U20041 through the desk, as the live page places them: three
    // accepted, one refused (refusals are logged too).
    let store = db.store.clone();
    let listing = store.listing_by_code("U20041").await.unwrap().unwrap();
    let desk = Desk::new(store.clone(), Arc::new(SystemClock));
    let first = party_of(&*store, "bidder1").await;
    let second = party_of(&*store, "bidder2").await;
    let before = store.head(listing.id).await.unwrap().unwrap().seq;
    let bids = [
        (&first, 490, true),
        (&second, 500, true),
        (&first, 500, false),
        (&first, 520, true),
    ];
    for (party, price, accepted) in bids {
        let action = Action::Bid {
            party: party.clone(),
            price: yuan(price),
        };
        let acted = desk.act(listing.id, &action, vec![]).await.unwrap();
        assert_eq!(
            matches!(acted.verdict, Verdict::Accepted),
            accepted,
            "{price}: {:?}",
            acted.verdict
        );
    }
    let head = store.head(listing.id).await.unwrap().unwrap();
    assert_eq!(head.seq, before + 4);
    drop(desk);

    // To standard output, by code.
    let (code, log, err) =
        run(yiwang().args(["exchange", "export", "U20041", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    let entries = from_jsonl(&log).unwrap();
    assert_eq!(entries.len() as i64, head.seq);
    assert!(entries.iter().all(|e| e.listing == "U20041"));
    assert_eq!(entries.last().unwrap().hash, head.hash);
    let accepted: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"bid_accepted\""))
        .collect();
    assert_eq!(accepted.len(), 3, "{log}");

    // To a file, by id: the same text.
    let file = dir.path("u20041.jsonl");
    let (code, _, err) = run(yiwang().args([
        "exchange",
        "export",
        &listing.id.to_string(),
        "--out",
        &file,
        "--database-url",
        &url,
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("{} 条", head.seq)), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), log);

    // It verifies, and the re-run reaches the high bid of 520.
    let (code, report) = verify_json(&file);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["status"], "verified");
    assert_eq!(report["entries"], head.seq);
    assert_eq!(report["head"], head.hash.as_str());
    assert_eq!(report["listing"], "U20041");
    assert_eq!(
        report["progress"]["high_bid"]["price"], "520.00",
        "{report}"
    );
    let (code, text, _) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 0, "{text}");

    // A price edited in the file breaks the chain at its entry.
    let seq = log
        .lines()
        .position(|l| l.contains("\"bid_accepted\"") && l.contains("\"500.00\""))
        .unwrap()
        + 1;
    let tampered: String = log
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let l = if i + 1 == seq {
                l.replacen("\"500.00\"", "\"5000.00\"", 1)
            } else {
                l.to_owned()
            };
            l + "\n"
        })
        .collect();
    assert_ne!(tampered, log);
    let bad = dir.path("tampered.jsonl");
    std::fs::write(&bad, &tampered).unwrap();
    let (code, out, _) = run(yiwang().args(["exchange", "verify", &bad]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("事件日志校验未通过"), "{out}");
    assert!(
        out.contains(&format!("第 {seq} 条的哈希与其内容不符")),
        "{out}"
    );
    let (code, report) = verify_json(&bad);
    assert_eq!(code, 1);
    assert_eq!(report["problem"]["seq"], seq);
    assert_eq!(report["problem"]["kind"], "hash");

    // A listing that does not exist is named.
    let (code, out, err) =
        run(yiwang().args(["exchange", "export", "X99999", "--database-url", &url]));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("挂牌项目“X99999”不存在"), "{err}");
}

/// Exporting from a SQLite file that does not exist says so, in Chinese,
/// and does not leave an empty database behind.
#[test]
fn a_missing_database_file_is_named_and_not_created() {
    let dir = common::TempDir::new("export-missing");
    let file = std::path::PathBuf::from(dir.path("nowhere.db"));
    let url = format!("sqlite://{}", file.display());
    let (code, _, err) =
        run(yiwang().args(["exchange", "export", "U20041", "--database-url", &url]));
    assert_ne!(code, 0);
    assert!(err.contains("不存在"), "{err}");
    assert!(err.contains("nowhere.db"), "{err}");
    assert!(!file.exists(), "no database was created");
}
