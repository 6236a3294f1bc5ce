//! `yiwang exchange log`, `yiwang exchange verify` and `yiwang bench
//! exchange`, run as a member of the public or an operator would run them:
//! a log written offline verifies and reports the scenario's result; a
//! damaged log is caught at the right entry; input that is not a log is
//! named by line and field.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::log::{entry_hash, from_jsonl, to_jsonl, GENESIS_HASH};

const SCENARIOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/scenarios");

fn yiwang() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yiwang"));
    // The tests' own configuration must not leak in from the environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("YIWANG_") {
            c.env_remove(k);
        }
    }
    c
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "yiwang-exchange-cli-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    /// Writes `text` to a file named `name` and returns its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scenario(name: &str) -> PathBuf {
    Path::new(SCENARIOS).join(name)
}

/// The log of a scenario, as `yiwang exchange log` writes it.
fn log_of(path: &Path) -> String {
    let (code, out, err) = run(yiwang().args(["exchange", "log"]).arg(path));
    assert_eq!(code, 0, "{}: {err}", path.display());
    assert!(err.is_empty(), "{err}");
    out
}

fn verify_json(file: &str) -> (i32, Value, String) {
    let (code, out, err) = run(yiwang().args(["exchange", "verify", "--json", file]));
    let report = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    (code, report, err)
}

fn money(v: &Value) -> Money {
    Money::parse_yuan(v.as_str().unwrap()).unwrap()
}

fn instant(v: &Value) -> Timestamp {
    Timestamp::parse_rfc3339(v.as_str().unwrap()).unwrap()
}

/// The 1-based sequence number of the first line holding `needle`.
fn seq_of(log: &str, needle: &str) -> usize {
    log.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn every_shared_scenario_logs_and_verifies_to_its_expected_result() {
    let dir = TempDir::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(SCENARIOS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "{files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let expect: Value =
            serde_json::from_str::<Value>(&text).unwrap()["expect"]["result"].clone();
        let log = log_of(&path);
        let file = dir.file(&format!("{name}.jsonl"), &log);
        let (code, report, err) = verify_json(&file);
        assert_eq!(code, 0, "{name}: {report} {err}");
        assert_eq!(report["status"], "verified", "{name}");
        assert_eq!(report["entries"], log.lines().count(), "{name}");
        assert_eq!(report["rerun"]["complete"], true, "{name}");
        let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
        assert_eq!(report["head"], last["hash"], "{name}");
        let result = &report["result"];
        assert_eq!(result["outcome"], expect["outcome"], "{name}: {result}");
        if expect["outcome"] == "sold" {
            assert_eq!(result["winner"], expect["winner"], "{name}");
            assert_eq!(money(&result["price"]), money(&expect["price"]), "{name}");
            if !expect["quantity"].is_null() {
                assert_eq!(
                    money(&result["quantity"]),
                    money(&expect["quantity"]),
                    "{name}"
                );
            }
        } else {
            assert_eq!(result["reason"], expect["reason"], "{name}");
        }
        if !expect["decided_at"].is_null() {
            assert_eq!(
                instant(&result["decided_at"]),
                instant(&expect["decided_at"]),
                "{name}"
            );
        }
    }
}

#[test]
fn the_report_names_the_result_in_chinese() {
    let dir = TempDir::new();
    // Sold in a timed round, on a unit price.
    let file = dir.file(
        "06.jsonl",
        &log_of(&scenario("06-timed-round-declared.json")),
    );
    let (code, out, err) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 0, "{err}");
    for expected in [
        "事件日志校验通过",
        "日志条目：21 条",
        "链头哈希：",
        "挂牌编号：U20041",
        "结果：成交",
        "竞得人：A（竞买号 001）",
        "成交价：530.00 元/平方米",
        "成交时间：2021年01月08日 11:11:00（北京时间）",
    ] {
        assert!(out.contains(expected), "{expected} missing from:\n{out}");
    }
    // Sold on a total price.
    let file = dir.file("21.jsonl", &log_of(&scenario("21-total-price-basis.json")));
    let (code, out, _) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 0);
    assert!(out.contains("结果：成交"), "{out}");
    assert!(out.contains(" 元\n") && !out.contains("元/平方米"), "{out}");
    // Failed: no bids, and below the reserve.
    let file = dir.file("02.jsonl", &log_of(&scenario("02-no-bids-failed.json")));
    let (code, out, _) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 0);
    assert!(out.contains("结果：流拍（无人报价）"), "{out}");
    let file = dir.file(
        "03.jsonl",
        &log_of(&scenario("03-below-reserve-failed.json")),
    );
    let (code, out, _) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 0);
    assert!(out.contains("结果：流拍（最高报价低于底价）"), "{out}");
    assert!(out.contains("底价："), "{out}");
}

#[test]
fn a_log_cut_short_reports_how_far_the_listing_got() {
    let dir = TempDir::new();
    let log = log_of(&scenario("06-timed-round-declared.json"));
    // Up to the first bid of the timed round.
    let cut: String = log
        .lines()
        .take(seq_of(&log, "\"price\":\"500.00\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let file = dir.file("open.jsonl", &cut);
    let (code, out, err) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("结果：尚未产生"), "{out}");
    assert!(out.contains("限时竞价"), "{out}");
    assert!(
        out.contains("当前最高报价：500.00 元/平方米（竞买号 001"),
        "{out}"
    );
    let (code, report, _) = verify_json(&file);
    assert_eq!(code, 0);
    assert!(report["result"].is_null());
    assert_eq!(report["progress"]["phase"], "timed_round");
    assert_eq!(report["progress"]["bidders"], 3);
    assert_eq!(report["progress"]["high_bid"]["price"], "500.00");
    // Only the published head hash shows that entries are missing.
    let full = dir.file("full.jsonl", &log);
    let (_, whole, _) = verify_json(&full);
    assert_ne!(report["head"], whole["head"]);
}

#[test]
fn an_edited_price_is_reported_at_its_entry() {
    let dir = TempDir::new();
    let log = log_of(&scenario("06-timed-round-declared.json"));
    let seq = seq_of(&log, "\"price\":\"510.00\"");
    let tampered = log.replacen("\"price\":\"510.00\"", "\"price\":\"5100.00\"", 1);
    let file = dir.file("tampered.jsonl", &tampered);
    let (code, out, _) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("事件日志校验未通过"), "{out}");
    assert!(
        out.contains(&format!("第 {seq} 条的哈希与其内容不符")),
        "{out}"
    );
    let (code, report, _) = verify_json(&file);
    assert_eq!(code, 1);
    assert_eq!(report["status"], "failed");
    assert_eq!(report["problem"]["seq"], seq);
    assert_eq!(report["problem"]["kind"], "hash");
}

#[test]
fn a_forged_price_with_a_rebuilt_chain_is_caught_by_the_rerun() {
    let dir = TempDir::new();
    let log = log_of(&scenario("06-timed-round-declared.json"));
    let mut entries = from_jsonl(&log).unwrap();
    let seq = seq_of(&log, "\"price\":\"510.00\"");
    let forged = log
        .lines()
        .nth(seq - 1)
        .unwrap()
        .replace("\"price\":\"510.00\"", "\"price\":\"515.00\"");
    entries[seq - 1] = from_jsonl(&forged).unwrap().remove(0);
    // A forger who rewrites every hash after the change.
    let mut prev = GENESIS_HASH.to_owned();
    for e in &mut entries {
        e.prev_hash = prev;
        e.hash = entry_hash(&e.prev_hash, &e.listing, e.seq, e.at, &e.payload);
        prev = e.hash.clone();
    }
    let file = dir.file("forged.jsonl", &to_jsonl(&entries));
    let (code, out, _) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("第 {seq} 条与交易规则不符")), "{out}");
    assert!(out.contains("哈希链完整"), "{out}");
    let (code, report, _) = verify_json(&file);
    assert_eq!(code, 1);
    assert_eq!(report["problem"]["seq"], seq);
    assert_eq!(report["problem"]["kind"], "diverges");
}

#[test]
fn a_removed_line_is_reported() {
    let dir = TempDir::new();
    let log = log_of(&scenario("17-cap-lottery.json"));
    let without_5: String = log
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 4)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let file = dir.file("removed.jsonl", &without_5);
    let (code, out, _) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("第 5 条缺失或次序错乱"), "{out}");
    let (code, report, _) = verify_json(&file);
    assert_eq!(code, 1);
    assert_eq!(report["problem"]["seq"], 5);
    assert_eq!(report["problem"]["kind"], "gap");

    // Removed and renumbered: the next entry no longer chains.
    let mut entries = from_jsonl(&log).unwrap();
    entries.remove(4);
    for (i, e) in entries.iter_mut().enumerate() {
        e.seq = i as u64 + 1;
    }
    let file = dir.file("renumbered.jsonl", &to_jsonl(&entries));
    let (code, report, _) = verify_json(&file);
    assert_eq!(code, 1);
    assert_eq!(report["problem"]["seq"], 5);
}

#[test]
fn input_that_is_not_a_log_exits_2_naming_line_and_field() {
    let dir = TempDir::new();
    let log = log_of(&scenario("01-single-bidder-sold.json"));
    let one_line = |err: &str| {
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    };

    let file = dir.file("garbage.jsonl", "this is not a log\n");
    let (code, out, err) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("第 1 行") && err.contains("不是 JSON"),
        "{err}"
    );
    one_line(&err);

    // Line 3 without its hash.
    let lines: Vec<&str> = log.lines().collect();
    let mut third: Value = serde_json::from_str(lines[2]).unwrap();
    third.as_object_mut().unwrap().remove("hash");
    let mut broken: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    broken[2] = third.to_string();
    let file = dir.file("missing.jsonl", &(broken.join("\n") + "\n"));
    let (code, _, err) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 2);
    assert!(
        err.contains("第 3 行") && err.contains("字段 hash"),
        "{err}"
    );
    one_line(&err);

    // A price written as a number inside the payload.
    let seq = seq_of(&log, "\"type\":\"bid_accepted\"");
    let bad = log.replacen("\"price\":\"480.00\"", "\"price\":480", 1);
    assert_ne!(bad, log);
    let file = dir.file("number.jsonl", &bad);
    let (code, report, err) = verify_json(&file);
    assert_eq!(code, 2);
    assert_eq!(report["status"], "malformed");
    assert_eq!(report["line"], seq);
    assert!(report["field"].as_str().unwrap().starts_with("payload"));
    assert!(err.contains(&format!("第 {seq} 行")), "{err}");
    one_line(&err);

    // An event type that does not exist.
    let bad = log.replacen("\"type\":\"bid_accepted\"", "\"type\":\"bid_accpeted\"", 1);
    let file = dir.file("type.jsonl", &bad);
    let (code, report, err) = verify_json(&file);
    assert_eq!(code, 2);
    assert_eq!(report["line"], seq);
    assert_eq!(report["field"], "payload.type");
    one_line(&err);

    // Empty, and missing.
    let file = dir.file("empty.jsonl", "\n\n");
    let (code, _, err) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(code, 2);
    one_line(&err);
    let (code, _, err) = run(yiwang().args(["exchange", "verify", "/nonexistent/log.jsonl"]));
    assert_eq!(code, 2);
    assert!(err.contains("无法读取日志文件"), "{err}");
}

#[test]
fn verify_reads_standard_input() {
    let log = log_of(&scenario("01-single-bidder-sold.json"));
    let mut child = yiwang()
        .args(["exchange", "verify", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(log.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("结果：成交"), "{stdout}");
}

#[test]
fn log_refuses_a_malformed_scenario_naming_the_field() {
    let dir = TempDir::new();
    let text = std::fs::read_to_string(scenario("01-single-bidder-sold.json")).unwrap();
    let mut value: Value = serde_json::from_str(&text).unwrap();
    value["listing"]["increment"] = Value::String("10.005".to_owned());
    let file = dir.file("bad-scenario.json", &value.to_string());
    let (code, out, err) = run(yiwang().args(["exchange", "log", &file]));
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("listing.increment"), "{err}");
}

#[test]
fn bench_exchange_runs_and_prints_its_table() {
    // A tiny duration: this checks that the benchmark runs and reports,
    // never how fast anything is.
    let (code, out, err) =
        run(yiwang().args(["bench", "exchange", "--engine-only", "--seconds", "0.01"]));
    assert_eq!(code, 0, "{err}");
    for expected in [
        "交易引擎",
        "每秒决策",
        "p50",
        "p99",
        "全部有效报价",
        "一半被拒的混合报价",
        "1,000",
    ] {
        assert!(out.contains(expected), "{expected} missing from:\n{out}");
    }

    let (code, out, err) = run(yiwang().args(["bench", "exchange", "--seconds", "0.01", "--json"]));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let rows = report["sections"][0]["rows"].as_array().unwrap();
    assert_eq!(report["sections"][0]["name"], "engine");
    // One thread for each count of listings and each load; more threads
    // where the machine has more cores and there is more than one listing.
    assert!(rows.len() >= 6, "{rows:?}");
    for row in rows {
        assert!(row["operations"].as_u64().unwrap() > 0, "{row}");
        assert_eq!(row["per_listing"], 50);
        let refused = row["refused"].as_u64().unwrap();
        let operations = row["operations"].as_u64().unwrap();
        let listings = row["listings"].as_u64().unwrap();
        match row["workload"].as_str().unwrap() {
            "accepted" => assert_eq!(refused, 0),
            // Every other decision of each listing is refused.
            "mixed" => assert!(
                2 * refused <= operations && 2 * refused + listings >= operations,
                "{row}"
            ),
            other => panic!("unknown workload {other}"),
        }
    }

    let (code, _, err) = run(yiwang().args(["bench", "exchange", "--seconds", "0"]));
    assert_eq!(code, 2);
    assert!(err.contains("--seconds"), "{err}");
}
