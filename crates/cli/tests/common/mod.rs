//! What the tests that run real `yiwang serve` processes share: the
//! command with a clean environment, a throw-away database, a server child
//! process, and a small HTTP/1.1 client over tokio's `TcpStream` (login,
//! bids through the live act route, server-sent events), so that no HTTP
//! client library is needed.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yiwang_store::Store;

/// The demo accounts' password.
pub const DEMO_PASSWORD: &str = "Yiwang2026";

/// The binary, without any `YIWANG_…` setting of the test's environment,
/// and with cheap password hashing.
pub fn yiwang() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yiwang"));
    for (k, _) in std::env::vars() {
        if k.starts_with("YIWANG_") {
            c.env_remove(k);
        }
    }
    c.env("YIWANG_AUTH__ARGON2_MEMORY_KIB", "64");
    c.env("YIWANG_AUTH__ARGON2_ITERATIONS", "1");
    c
}

/// Runs a command to its end: exit code, standard output, standard error.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "yiwang-{tag}-{}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database for one test, a store on it for the test's own reads, and
/// what keeps it alive.
pub struct Db {
    pub url: String,
    pub store: Arc<dyn Store>,
    _pg: Option<yiwang_store_postgres::testing::TestDatabase>,
    _dir: TempDir,
}

/// A fresh SQLite file, or a fresh PostgreSQL database when
/// `YIWANG_TEST_BACKEND=postgres`.
pub async fn database(tag: &str) -> Db {
    if std::env::var("YIWANG_TEST_BACKEND").as_deref() == Ok("postgres") {
        postgres_database(tag).await
    } else {
        let dir = TempDir::new(tag);
        let url = format!("sqlite://{}", dir.path("y.db"));
        let store = yiwang_store_sqlite::SqliteStore::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        Db {
            url,
            store: Arc::new(store),
            _pg: None,
            _dir: dir,
        }
    }
}

/// A fresh PostgreSQL database (see `yiwang_store_postgres::testing`).
pub async fn postgres_database(tag: &str) -> Db {
    let (store, guard) = yiwang_store_postgres::testing::fresh().await;
    let admin = yiwang_store_postgres::testing::admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Db {
        url: format!("{base}/{}", guard.name()),
        store: Arc::new(store),
        _pg: Some(guard),
        _dir: TempDir::new(tag),
    }
}

/// Loads the demo into `url` (bidder1 and bidder2 qualified for U20041).
pub fn load_demo(url: &str) {
    let (code, _, err) = run(yiwang().args(["demo", "--database-url", url]));
    assert_eq!(code, 0, "yiwang demo: {err}");
}

/// A `yiwang serve` child process on a free port; killed (SIGKILL) when
/// dropped. Its log (warnings and errors) is kept in a file and printed
/// when the test fails, so that a failure shows what the server saw.
pub struct Server {
    child: Child,
    /// `127.0.0.1:port`.
    pub addr: String,
    log: TempDir,
}

impl Server {
    /// Starts `yiwang serve` on `url` and waits until it listens.
    pub fn start(url: &str) -> Server {
        let log = TempDir::new("server-log");
        let stderr = std::fs::File::create(log.0.join("stderr.log")).unwrap();
        let mut child = yiwang()
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", url])
            .env("YIWANG_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("the server ended before it listened")
            .unwrap();
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|s| s.strip_suffix('/'))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_owned();
        // Keep reading, so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Server { child, addr, log }
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.0.join("stderr.log")).unwrap_or_default()
    }

    /// Kills the process with SIGKILL: no graceful shutdown, no flush.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- log of the server at {} ---\n{}", self.addr, self.log());
        }
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes a chunked body.
fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&raw[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        raw = &raw[end + 2..];
        if size == 0 || raw.len() < size {
            out.extend_from_slice(&raw[..size.min(raw.len())]);
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).unwrap_or(&[]);
    }
}

/// One request on a connection of its own (`Connection: close`).
pub async fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no complete answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = &raw[split + 4..];
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_vec()
    };
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A signed-in bidder's cookies: its session, and a CSRF token of its own
/// choosing (the double-submit check compares the cookie with the header).
#[derive(Debug, Clone)]
pub struct Bidder {
    pub username: String,
    pub cookie: String,
    pub csrf: String,
}

/// Signs in through `POST /api/v1/session`.
pub async fn login(addr: &str, username: &str) -> Bidder {
    let body = serde_json::json!({"username": username, "password": DEMO_PASSWORD}).to_string();
    let answer = request(
        addr,
        "POST",
        "/api/v1/session",
        &[("Content-Type", "application/json")],
        &body,
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 200, "login {username}: {}", answer.body);
    let session = answer
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .find_map(|(_, v)| v.strip_prefix("yiwang_session="))
        .and_then(|v| v.split(';').next())
        .expect("no session cookie")
        .to_owned();
    let csrf = uuid::Uuid::now_v7().simple().to_string();
    Bidder {
        username: username.to_owned(),
        cookie: format!("yiwang_session={session}; yiwang_csrf={csrf}"),
        csrf,
    }
}

/// A bid's answer: `(verdict, code)` as the act route gives them, or the
/// HTTP status when it was not answered with a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BidAnswer {
    Verdict { accepted: bool, code: String },
    Status(u16, String),
}

/// Bids `price` (yuan, e.g. "490.00") on a listing through
/// `POST /exchange/listings/{id}/live/act`, asking for JSON.
pub async fn bid(
    addr: &str,
    bidder: &Bidder,
    listing: uuid::Uuid,
    price: &str,
    key: &str,
) -> std::io::Result<BidAnswer> {
    let body = format!("action=bid&price={price}&key={key}");
    let answer = request(
        addr,
        "POST",
        &format!("/exchange/listings/{listing}/live/act"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
            ("Cookie", &bidder.cookie),
            ("X-CSRF-Token", &bidder.csrf),
        ],
        &body,
    )
    .await?;
    if answer.status != 200 {
        return Ok(BidAnswer::Status(answer.status, answer.body));
    }
    let v: serde_json::Value = serde_json::from_str(&answer.body)
        .map_err(|e| std::io::Error::other(format!("{e}: {}", answer.body)))?;
    Ok(BidAnswer::Verdict {
        accepted: v["verdict"] == "accepted",
        code: v["code"].as_str().unwrap_or_default().to_owned(),
    })
}

/// The `data-seq` and the current price of a listing's live panel.
pub async fn panel(addr: &str, listing: uuid::Uuid) -> (i64, String) {
    let answer = request(
        addr,
        "GET",
        &format!("/exchange/listings/{listing}/live/panel"),
        &[],
        "",
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    let seq = answer
        .body
        .split("data-seq=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no data-seq in {}", answer.body));
    let price = answer
        .body
        .split("当前价 <strong>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no price in {}", answer.body))
        .to_owned();
    (seq, price)
}

/// Follows a listing's server-sent events until `stop` says so; returns
/// the ids (log sequence numbers) of the `panel` events received, in
/// order. `latest` holds the last id received as they come. Asks over
/// HTTP/1.0, so that the stream is the events themselves, not chunks.
pub async fn watch(
    addr: String,
    listing: uuid::Uuid,
    mut stop: tokio::sync::watch::Receiver<bool>,
    latest: Arc<std::sync::atomic::AtomicI64>,
) -> Vec<i64> {
    let mut stream = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "GET /exchange/listings/{listing}/live/events HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut text = String::new();
    let mut pending = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut ids = Vec::new();
    let mut in_body = false;
    loop {
        let n = tokio::select! {
            read = stream.read(&mut buf) => read.unwrap(),
            _ = stop.changed() => break,
        };
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        // Only whole UTF-8 characters are decoded.
        let valid = match std::str::from_utf8(&pending) {
            Ok(_) => pending.len(),
            Err(e) => e.valid_up_to(),
        };
        text.push_str(std::str::from_utf8(&pending[..valid]).unwrap());
        pending.drain(..valid);
        if !in_body {
            let Some(split) = text.find("\r\n\r\n") else {
                continue;
            };
            assert!(text.starts_with("HTTP/1."), "{text}");
            assert!(text[..split].contains(" 200 "), "{}", &text[..split]);
            text.drain(..split + 4);
            in_body = true;
        }
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            let is_panel = event.lines().any(|l| l == "event: panel");
            let id = event
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .and_then(|s| s.trim().parse().ok());
            if let (true, Some(id)) = (is_panel, id) {
                ids.push(id);
                latest.store(id, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }
    ids
}

/// U20041's start price and increment, in fen.
pub const START_FEN: i64 = 48_000;
pub const INCREMENT_FEN: i64 = 1_000;

/// A small deterministic generator (xorshift64*), so that a seed replays
/// the same run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[low, high)` milliseconds.
    pub fn millis(&mut self, low: u64, high: u64) -> std::time::Duration {
        std::time::Duration::from_millis(low + self.next() % (high - low))
    }
}

/// A seed from `var` when set, from the clock otherwise; printed, so that
/// a failing run can be replayed.
pub fn seed(var: &str) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("seed {seed} ({var}={seed} replays it)");
    seed
}

/// "490.00" for 49,000 fen.
pub fn yuan_text(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// What the bidders were told: every bid acknowledged as accepted, by
/// bidder and price (fen), and how many requests got no verdict.
#[derive(Default)]
pub struct Acknowledged {
    pub accepted: std::sync::Mutex<Vec<(String, i64)>>,
    pub refused: std::sync::atomic::AtomicI64,
    /// Connections that ended without an answer (a killed server).
    pub unanswered: std::sync::atomic::AtomicI64,
    /// Answers with a server error status other than "busy".
    pub failed: std::sync::atomic::AtomicI64,
    /// `503 busy` answers: nothing done, to be sent again.
    pub busy: std::sync::atomic::AtomicI64,
}

/// One bidding task: bids the lowest price it believes valid (sometimes
/// one increment more) until told to stop, learns the price from
/// refusals, and records what it was told.
pub async fn storm(
    addr: String,
    bidder: Bidder,
    listing: uuid::Uuid,
    floor: Arc<std::sync::atomic::AtomicI64>,
    acked: Arc<Acknowledged>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    mut rng: Rng,
) {
    use std::sync::atomic::Ordering;
    use std::time::Duration;
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
            Ok(BidAnswer::Status(503, body)) => {
                assert!(
                    body.contains("\"busy\""),
                    "503 without the busy code: {body}"
                );
                acked.busy.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Ok(BidAnswer::Status(status, body)) if status >= 500 => {
                acked.failed.fetch_add(1, Ordering::SeqCst);
                eprintln!("{}: bid {price} answered {status}: {body}", bidder.username);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(BidAnswer::Status(status, body)) => {
                panic!("{}: bid {price} answered {status}: {body}", bidder.username)
            }
            Err(_) => {
                // The server died mid-request: not acknowledged, maybe
                // committed.
                acked.unanswered.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// The log of `code` as `yiwang exchange export` writes it, after
/// `yiwang exchange verify` accepted it; fails the test otherwise.
pub fn exported_and_verified(url: &str, code: &str) -> String {
    let dir = TempDir::new("export");
    let file = dir.path("log.jsonl");
    let (status, _, err) = run(yiwang().args([
        "exchange",
        "export",
        code,
        "--out",
        &file,
        "--database-url",
        url,
    ]));
    assert_eq!(status, 0, "export: {err}");
    let (status, out, err) = run(yiwang().args(["exchange", "verify", &file]));
    assert_eq!(status, 0, "the exported log does not verify: {out} {err}");
    std::fs::read_to_string(&file).unwrap()
}

/// Checks a log against what the bidders were told: `seq` runs 1..=n,
/// each price is accepted at most once, and every bid acknowledged as
/// accepted is there, each bidder always under one bidder number.
/// Returns the log's accepted prices (fen) with their bidder numbers.
pub fn assert_acknowledged_in_log(
    entries: &[yiwang_exchange::log::LogEntry],
    accepted: &[(String, i64)],
) -> std::collections::BTreeMap<i64, u32> {
    use std::collections::{BTreeMap, BTreeSet};
    let seqs: Vec<u64> = entries.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=entries.len() as u64).collect::<Vec<_>>(),
        "the log has a gap or a duplicate"
    );
    let mut logged: BTreeMap<i64, u32> = BTreeMap::new();
    for entry in entries {
        if let yiwang_exchange::engine::Event::BidAccepted { bidder, price, .. } = &entry.payload {
            assert!(
                logged.insert(price.fen(), bidder.0).is_none(),
                "price {} accepted twice",
                price.fen()
            );
        }
    }
    let mut numbers: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for (username, fen) in accepted {
        let no = logged.get(fen).unwrap_or_else(|| {
            panic!("{username}'s bid at {fen} fen was acknowledged but is not in the log")
        });
        numbers.entry(username).or_default().insert(*no);
    }
    for (username, nos) in &numbers {
        assert_eq!(nos.len(), 1, "{username}'s bids are logged as {nos:?}");
    }
    let distinct: BTreeSet<&u32> = numbers.values().flatten().collect();
    assert_eq!(distinct.len(), numbers.len(), "two bidders share a number");
    logged
}
