//! Runs every scenario — the shared conformance set and this crate's own
//! edge cases — and compares the outcome with its `expect`, by the rules of
//! `shared/bin/exchange-conformance`: amounts compare as decimals, times as
//! instants, `decided_at` may be left out of `expect`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use yiwang_core::Timestamp;
use yiwang_exchange::scenario::simulate;

fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A decimal string with trailing fractional zeros and leading integer
/// zeros removed, so that "18470" and "18470.00" compare equal.
fn canonical_decimal(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    Some(format!(
        "{}.{}",
        if int.is_empty() { "0" } else { int },
        frac
    ))
}

fn instant(v: &Value) -> Option<Timestamp> {
    Timestamp::parse_rfc3339(v.as_str()?).ok()
}

fn same(key: &str, want: &Value, got: &Value) -> bool {
    match key {
        "decided_at" => instant(want).is_some() && instant(want) == instant(got),
        "price" | "quantity" => {
            canonical_decimal(want).is_some() && canonical_decimal(want) == canonical_decimal(got)
        }
        _ => want == got,
    }
}

fn compare(expect: &Value, got: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let want_verdicts = expect["verdicts"].as_array().cloned().unwrap_or_default();
    match got["verdicts"].as_array() {
        None => diffs.push("output has no 'verdicts' list".to_owned()),
        Some(got_verdicts) => {
            if got_verdicts.len() != want_verdicts.len() {
                diffs.push(format!(
                    "{} verdicts for {} steps",
                    got_verdicts.len(),
                    want_verdicts.len()
                ));
            }
            for (i, (w, g)) in want_verdicts.iter().zip(got_verdicts).enumerate() {
                if w != g {
                    diffs.push(format!("step {i}: want {w}, got {g}"));
                }
            }
        }
    }
    let empty = serde_json::Map::new();
    let want = expect["result"].as_object().unwrap_or(&empty);
    let Some(got) = got["result"].as_object() else {
        diffs.push("output has no 'result' object".to_owned());
        return diffs;
    };
    let mut keys: Vec<&String> = want.keys().collect();
    for k in got.keys() {
        if ["winner", "price", "quantity", "reason", "outcome"].contains(&k.as_str())
            && !keys.contains(&k)
        {
            keys.push(k);
        }
    }
    keys.sort();
    for k in keys {
        let (w, g) = (want.get(k), got.get(k));
        if k == "decided_at" && w.is_none() {
            continue;
        }
        if w.is_none() && g.is_none_or(Value::is_null) {
            continue;
        }
        let null = Value::Null;
        if !same(k, w.unwrap_or(&null), g.unwrap_or(&null)) {
            diffs.push(format!(
                "result.{k}: want {}, got {}",
                w.unwrap_or(&null),
                g.unwrap_or(&null)
            ));
        }
    }
    diffs
}

fn run_dir(dir: &Path) -> usize {
    let files = scenario_files(dir);
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let scenario: Value = serde_json::from_str(&text).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        match simulate(&text) {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok(got) => {
                // The printed form must read back as the same JSON.
                let printed = serde_json::to_string(&got).unwrap();
                assert_eq!(serde_json::from_str::<Value>(&printed).unwrap(), got);
                let diffs = compare(&scenario["expect"], &got);
                if !diffs.is_empty() {
                    failures.push(format!("{name}:\n    {}", diffs.join("\n    ")));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
    files.len()
}

#[test]
fn shared_conformance_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/scenarios");
    if !dir.is_dir() {
        // The shared folder lives beside the checkout; without it there is
        // nothing to compare against (this crate's own scenarios still run).
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    assert!(run_dir(&dir) > 0);
}

#[test]
fn crate_edge_case_scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    assert!(run_dir(&dir) > 0);
}
