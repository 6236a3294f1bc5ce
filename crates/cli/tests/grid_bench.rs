//! `yiwang bench grid` on a small sample: it runs, reports, and every form
//! of the look-up — in process on one thread and on all cores, over HTTP,
//! PostGIS one query per point and PostGIS one join — gives the same
//! answer on every point of the sample, its points on and beside the
//! grids' lines included (the command exits with 1 otherwise).
//!
//! PostGIS comes from the PostgreSQL server of the storage tests
//! (`YIWANG_TEST_POSTGRES_URL`, or the local default). Where it is not
//! installed the test compares the other forms only and says so, except
//! under `CI=true`, where a missing PostGIS fails the test (scripts/test
//! installs it).

mod common;

use common::{run, yiwang};
use serde_json::Value;
use sqlx::{ConnectOptions, Connection};

/// Whether the server offers the PostGIS extension; `None` when the server
/// cannot be reached.
async fn postgis_available(url: &str) -> Option<bool> {
    let options: sqlx::postgres::PgConnectOptions = url.parse().ok()?;
    let mut conn = options.connect().await.ok()?;
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pg_available_extensions WHERE name = 'postgis'")
            .fetch_one(&mut conn)
            .await
            .ok()?;
    let _ = conn.close().await;
    Some(n > 0)
}

/// Whether PostGIS is to be measured: under CI it must be.
async fn with_postgis(url: &str) -> bool {
    let available = postgis_available(url).await;
    let ci = std::env::var("CI").as_deref() == Ok("true");
    match available {
        Some(true) => true,
        _ if ci => panic!(
            "CI=true: PostGIS must be available on {url} (apt-get install postgresql-15-postgis-3); found {available:?}"
        ),
        _ => {
            eprintln!("PostGIS is not available on {url}: comparing without it");
            false
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_form_of_the_look_up_agrees_on_every_point() {
    let url = yiwang_store_postgres::testing::admin_url();
    let postgis = with_postgis(&url).await;
    let mut cmd = yiwang();
    cmd.args([
        "bench",
        "grid",
        "--points",
        "20000",
        "--http-points",
        "20000",
        "--connections",
        "4",
        "--events",
        "20000",
        "--json",
        "--postgres-url",
        &url,
    ]);
    if !postgis {
        cmd.arg("--skip-postgis");
    }
    let (code, out, err) = tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap();
    assert_eq!(code, 0, "{err}\n{out}");
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let a = &report["agreement"];
    assert_eq!(a["disagreements"], 0, "{a}");
    assert_eq!(a["examples"].as_array().unwrap().len(), 0, "{a}");
    assert_eq!(a["points"], 20000);
    assert_eq!(a["in_process"], 20000);
    assert_eq!(a["all_cores"], 20000);
    assert_eq!(a["http"], 20000);
    let compared_by_postgis = if postgis { 20000 } else { 0 };
    assert_eq!(a["postgis_per_point"], compared_by_postgis, "{a}");
    assert_eq!(a["postgis_join"], compared_by_postgis, "{a}");
    // A tenth of the sample on or beside the lines, and many answers given
    // by a grid whose line holds the point.
    assert_eq!(
        a["on_lines"].as_u64().unwrap() + a["beside_lines"].as_u64().unwrap(),
        2000,
        "{a}"
    );
    assert!(a["beside_lines"].as_u64().unwrap() > 0, "{a}");
    assert!(a["answered_on_a_line"].as_u64().unwrap() > 500, "{a}");
    assert!(a["outside"].as_u64().unwrap() < 20000, "{a}");

    let sections = report["sections"].as_array().unwrap();
    let rows = |name: &str| -> Vec<Value> {
        sections
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no section {name}: {report}"))["rows"]
            .as_array()
            .unwrap()
            .clone()
    };
    let workloads: Vec<String> = rows("lookup")
        .iter()
        .map(|r| r["workload"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = vec!["in_process_one_thread", "in_process_all_cores", "http"];
    if postgis {
        expected.extend(["postgis_per_point", "postgis_load", "postgis_join"]);
    }
    assert_eq!(workloads, expected);
    for row in rows("lookup") {
        assert!(row["per_second"].as_f64().unwrap() > 0.0, "{row}");
    }
    let kpi = rows("kpi");
    let written = kpi
        .iter()
        .find(|r| r["workload"] == "events_write")
        .unwrap();
    assert_eq!(written["operations"], 20000, "{written}");
    let computed = kpi
        .iter()
        .find(|r| r["workload"] == "kpi_year_all_grids")
        .unwrap();
    assert_eq!(computed["operations"], 3, "{computed}");
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), if postgis { 3 } else { 1 }, "{targets:?}");
}

#[test]
fn the_table_names_its_measurements_and_targets() {
    let (code, out, err) = run(yiwang().args([
        "bench",
        "grid",
        "--points",
        "1000",
        "--http-points",
        "100",
        "--events",
        "300",
        "--skip-postgis",
    ]));
    assert_eq!(code, 0, "{err}\n{out}");
    for expected in [
        "点查网格（1,137 个网格）",
        "进程内，单线程",
        "HTTP，8 个 keep-alive 连接",
        "全部一致",
        "已按 --skip-postgis 跳过",
        "全部网格年度指标",
        "【目标】",
        "< 5 秒",
    ] {
        assert!(out.contains(expected), "{expected} missing from:\n{out}");
    }

    let (code, _, err) = run(yiwang().args(["bench", "grid", "--points", "0"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--points"), "{err}");
}
