//! The `yiwang` binary, run as an operator would run it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

fn yiwang() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yiwang"));
    // The tests' own configuration must not leak in from the environment.
    for (k, _) in std::env::vars() {
        if k.starts_with("YIWANG_") {
            c.env_remove(k);
        }
    }
    c.env("YIWANG_AUTH__ARGON2_MEMORY_KIB", "64");
    c.env("YIWANG_AUTH__ARGON2_ITERATIONS", "1");
    c
}

struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "yiwang-cli-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    fn db_url(&self) -> String {
        format!("sqlite://{}", self.0.join("y.db").display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The database URL for this run: a fresh SQLite file, or PostgreSQL when
/// `YIWANG_TEST_BACKEND=postgres`.
struct Db {
    url: String,
    _dir: TempDir,
    _pg: Option<yiwang_store_postgres::testing::TestDatabase>,
}

async fn database() -> Db {
    let dir = TempDir::new();
    if std::env::var("YIWANG_TEST_BACKEND").as_deref() == Ok("postgres") {
        let (store, guard) = yiwang_store_postgres::testing::fresh().await;
        drop(store);
        let admin = yiwang_store_postgres::testing::admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Db {
            url: format!("{base}/{}", guard.name()),
            _dir: dir,
            _pg: Some(guard),
        }
    } else {
        Db {
            url: dir.db_url(),
            _dir: dir,
            _pg: None,
        }
    }
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_print_shows_env_and_masks_secrets() {
    let (code, out, _) = run(yiwang()
        .args(["config", "print"])
        .env("YIWANG_DATABASE_URL", "postgres://yiwang:hunter2@db/yiwang")
        .env("YIWANG_AUTH__LOCKOUT_MINUTES", "30"));
    assert_eq!(code, 0);
    assert!(out.contains("postgres://yiwang:***@db/yiwang"), "{out}");
    assert!(!out.contains("hunter2"));
    assert!(out.contains("lockout_minutes = 30"), "{out}");
}

#[test]
fn bad_configuration_and_arguments_are_named() {
    let (code, _, err) = run(yiwang()
        .args(["config", "print"])
        .env("YIWANG_AUTH__MAX_FAILED_LOGINS", "many"));
    assert_eq!(code, 2);
    assert!(err.contains("YIWANG_AUTH__MAX_FAILED_LOGINS"), "{err}");
    let (code, _, err) = run(yiwang().args(["migrate", "--database-url", "mysql://db/yiwang"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("不支持的数据库地址") && err.contains("sqlite://"),
        "{err}"
    );
    let (code, _, err) = run(yiwang().args(["serve", "--listen", "nowhere"]));
    assert_eq!(code, 2);
    assert!(err.contains("--listen"), "{err}");
}

#[tokio::test]
async fn migrate_demo_and_audit_verify() {
    let db = database().await;
    let (code, out, err) = run(yiwang().args(["migrate", "--database-url", &db.url]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("数据库迁移完成"));
    let (code, out, err) = run(yiwang().args(["demo", "--database-url", &db.url]));
    assert_eq!(code, 0, "{err}");
    for login in [
        "admin",
        "officer",
        "bidder1",
        "gridleader",
        "gridworker",
        "handler",
        "supervisor",
        "service",
        "handler-tax",
        "handler-industry",
        "qiye",
        "zhigong",
        "tiaojie",
    ] {
        assert!(out.contains(login), "{login} missing from {out}");
    }
    // The handlers of the other departments the routing rules dispatch to
    // share one line.
    let others = out
        .lines()
        .find(|l| l.contains("其他部门经办人"))
        .unwrap_or_else(|| panic!("no line of other department handlers in {out}"));
    for login in [
        "handler-petition",
        "handler-emergency",
        "handler-environment",
    ] {
        assert!(others.contains(login), "{login} missing from {others}");
    }
    assert!(out.contains("Yiwang2026"));
    // Loading again changes nothing and still prints the logins.
    let (code, again, _) = run(yiwang().args(["demo", "--database-url", &db.url]));
    assert_eq!(code, 0);
    assert_eq!(again, out);
    let (code, out, err) = run(yiwang().args(["audit", "verify", "--database-url", &db.url]));
    assert_eq!(code, 0, "{err}");
    // Every demo account and notice was audited, and the chain holds.
    let count: u64 = out
        .strip_prefix("审计日志完整：共 ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected report: {out}"));
    assert!(count >= 9, "{out}");
}

#[tokio::test]
async fn serve_answers_and_shuts_down_gracefully() {
    let db = database().await;
    let mut child = yiwang()
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db.url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.strip_suffix('/'))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    let rest: Vec<String> = lines.by_ref().take(3).map(Result::unwrap).collect();
    assert!(rest.iter().any(|l| l.contains("admin")), "{rest:?}");

    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.ends_with("ready"), "{resp}");

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}
