//! The SSE section: how long after a bid is acknowledged every watcher of
//! the listing has the update.
//!
//! The server is the real one: the web application (`yiwang_web::serve`,
//! with its middleware and background jobs) on a local port, over a SQLite
//! store as `yiwang serve` opens it, with one listing opened and qualified
//! at its desk. Two measurements, each over a run of bids made one after
//! another through the server's [`Desk`]:
//!
//! - **over HTTP**: `--watchers` connections to the listing's
//!   `/live/events` stream, held by a child process ([`super::sse`]); each
//!   bid's panel must reach each of them;
//! - **at the desk's broadcast**: as many in-process subscribers of
//!   [`Desk::watch`], the channel the SSE route reads; the difference
//!   between the two is what HTTP, the panel and the client cost.
//!
//! A delivery's delay runs from the bid's acknowledgement (the return of
//! [`Desk::act`], after the commit) to the watcher reading the update;
//! one that arrived before `act` had returned counts as 0. The next bid is
//! made once every watcher has the last (or after [`WAIT_FOR_ALL`]), so
//! each bid's fan-out is measured on its own.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::timeout;
use uuid::Uuid;
use yiwang_core::{Clock, Money, SystemClock};
use yiwang_exchange::engine::{Action, Party, Verdict};
use yiwang_store::Store;
use yiwang_web::exchange::desk::Desk;
use yiwang_web::{AppState, Config};

use super::durable::{open_at_desk, opening_time, parties, publish, sqlite};
use super::{grouped, rate, runtime, Options, Report, Row, Spread};

/// How long to wait for every watcher to have a bid before the next.
const WAIT_FOR_ALL: Duration = Duration::from_secs(10);
/// How long the watchers may take to connect.
const WAIT_FOR_CONNECTIONS: Duration = Duration::from_secs(300);

pub fn section(options: &Options) -> anyhow::Result<Report> {
    let rt = runtime()?;
    let report = rt.block_on(measure(options));
    // The server and its streams are still running; they end with the runtime.
    rt.shutdown_timeout(Duration::from_secs(1));
    report
}

/// Bids per measurement: ten per second of `--seconds`, at least five.
fn bid_count(options: &Options) -> usize {
    ((options.duration.as_secs_f64() * 10.0).round() as usize).clamp(5, 600)
}

async fn measure(options: &Options) -> anyhow::Result<Report> {
    eprintln!("准备中：SSE 推送，启动服务器……");
    let (store, dir) = sqlite().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    let config = Config {
        database_url: format!("sqlite://{}", dir.path().join("bench.db").display()),
        ..Config::default()
    };
    let state = AppState::new(store.clone(), config, Arc::new(SystemClock))?;
    let (id, rules) = publish(&*store, "W", 1, opening_time())
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("测试挂牌未创建"))?;
    let start_price = rules.start_price;
    let increment = rules.increment;
    let parties = parties()?;
    open_at_desk(&state.desk, id, rules, &parties).await?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(yiwang_web::serve(
        state.clone(),
        listener,
        std::future::pending(),
    ));

    let mut bidder = Bidder {
        desk: state.desk.clone(),
        id,
        parties,
        next: start_price,
        increment,
        turn: 0,
    };
    let bids = bid_count(options);
    let mut report = Report::default();
    eprintln!(
        "测量中：SSE 推送，交易台广播，{} 个订阅者……",
        grouped(options.watchers as u64)
    );
    report
        .rows
        .push(broadcast(&mut bidder, options, bids).await?);
    eprintln!(
        "测量中：SSE 推送，HTTP，{} 个连接……",
        grouped(options.watchers as u64)
    );
    let (row, notes) = over_http(&mut bidder, addr, options, bids).await?;
    report.rows.push(row);
    report.notes.push(format!(
        "送达时延：从报价得到确认（已提交）到观看者读到含该报价的面板；早于确认到达的记为 0。\
         共 {bids} 笔报价，每笔在所有观看者收到上一笔后才提交。"
    ));
    report.notes.extend(notes);
    drop(dir);
    Ok(report)
}

/// Bids on the listing, one after another, each valid.
struct Bidder {
    desk: Desk,
    id: Uuid,
    parties: Vec<Party>,
    next: Money,
    increment: Money,
    turn: usize,
}

impl Bidder {
    /// Makes the next bid; returns its entry's `seq` and the wall-clock µs
    /// of its acknowledgement.
    async fn bid(&mut self) -> anyhow::Result<(i64, i64)> {
        let action = Action::Bid {
            party: self.parties[self.turn % self.parties.len()].clone(),
            price: self.next,
        };
        self.turn += 1;
        let acted = self.desk.act(self.id, &action, vec![]).await?;
        let at = SystemClock.now().micros();
        if acted.verdict != Verdict::Accepted {
            anyhow::bail!("测试报价被拒绝：{}", acted.verdict.code());
        }
        self.next = self
            .next
            .checked_add(self.increment)
            .ok_or_else(|| anyhow::anyhow!("测试报价超出金额范围"))?;
        let seq = acted
            .entries
            .last()
            .map(|e| e.seq as i64)
            .ok_or_else(|| anyhow::anyhow!("报价未写入日志"))?;
        Ok((seq, at))
    }
}

/// Delivery delays of one watcher, in ns, added to `out`: for each bid
/// (`seq`, acknowledged at µs), the first arrival (`seq`, µs) that
/// includes it — an update carries the whole panel, so a later entry covers
/// an earlier one — minus the acknowledgement, at least 0. Returns how many
/// bids never reached the watcher.
fn delays(bids: &[(i64, i64)], arrivals: &[(i64, i64)], out: &mut Vec<f64>) -> u64 {
    let mut missed = 0;
    for &(seq, acknowledged) in bids {
        match arrivals.iter().find(|(s, _)| *s >= seq) {
            Some(&(_, at)) => out.push((at - acknowledged).max(0) as f64 * 1_000.0),
            None => missed += 1,
        }
    }
    missed
}

/// `(seq, µs)` pairs: a bid's entry and when it was acknowledged, or an
/// update and when a watcher read it.
type Timeline = Vec<(i64, i64)>;

/// What the watchers received, gathered watcher by watcher.
#[derive(Debug, Default)]
struct Deliveries {
    /// Delay of each delivery, ns.
    samples: Vec<f64>,
    missed: u64,
    /// When the last update was read, µs.
    last_arrival: i64,
}

impl Deliveries {
    /// Adds one watcher's arrivals of the `bids` made.
    fn add(&mut self, bids: &[(i64, i64)], arrivals: &[(i64, i64)]) {
        self.missed += delays(bids, arrivals, &mut self.samples);
        self.last_arrival = self.last_arrival.max(arrivals.last().map_or(0, |a| a.1));
    }
}

/// A row of deliveries.
fn delivery_row(
    workload: &'static str,
    label: &'static str,
    watchers: usize,
    options: &Options,
    bids: &[(i64, i64)],
    deliveries: Deliveries,
) -> Row {
    let Deliveries {
        mut samples,
        missed,
        last_arrival,
    } = deliveries;
    let first = bids.first().map_or(0, |b| b.1);
    let seconds = (last_arrival - first).max(0) as f64 / 1e6;
    let delivered = samples.len() as u64;
    let spread = Spread::of(&mut samples);
    Row {
        workload,
        label,
        listings: 1,
        per_listing: watchers,
        threads: options.cores,
        operations: delivered,
        refused: missed,
        seconds,
        per_second: rate(delivered, seconds),
        p50_ns: spread.p50,
        p99_ns: spread.p99,
        max_ns: spread.max,
    }
}

/// Subscribers of the desk's broadcast, each a task that notes when it
/// reads each update.
async fn broadcast(bidder: &mut Bidder, options: &Options, bids: usize) -> anyhow::Result<Row> {
    let watchers = options.watchers;
    let arrivals: Arc<Vec<Mutex<Timeline>>> =
        Arc::new((0..watchers).map(|_| Mutex::new(Vec::new())).collect());
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<i64>();
    let mut tasks = Vec::with_capacity(watchers);
    for index in 0..watchers {
        let mut updates = bidder.desk.watch(bidder.id).await?;
        let (arrivals, seen_tx) = (arrivals.clone(), seen_tx.clone());
        tasks.push(tokio::spawn(async move {
            while let Ok(update) = updates.recv().await {
                let at = SystemClock.now().micros();
                let seq = update.entry.seq as i64;
                arrivals[index]
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((seq, at));
                let _ = seen_tx.send(seq);
            }
        }));
    }
    drop(seen_tx);
    let mut made = Vec::with_capacity(bids);
    for _ in 0..bids {
        let (seq, at) = bidder.bid().await?;
        made.push((seq, at));
        let mut got = 0;
        let waited = timeout(WAIT_FOR_ALL, async {
            while got < watchers {
                match seen_rx.recv().await {
                    Some(s) if s == seq => got += 1,
                    Some(_) => {}
                    None => break,
                }
            }
        })
        .await;
        if waited.is_err() {
            eprintln!("警告：第 {seq} 号记录 10 秒内未送达全部订阅者");
        }
    }
    for task in &tasks {
        task.abort();
    }
    let mut deliveries = Deliveries {
        samples: Vec::with_capacity(watchers * bids),
        ..Deliveries::default()
    };
    for arrivals in arrivals.iter() {
        let arrivals = arrivals.lock().unwrap_or_else(|e| e.into_inner());
        deliveries.add(&made, &arrivals);
    }
    Ok(delivery_row(
        "sse_broadcast",
        "交易台广播（进程内订阅，不经 HTTP）",
        watchers,
        options,
        &made,
        deliveries,
    ))
}

/// The watchers over HTTP, in a child process.
async fn over_http(
    bidder: &mut Bidder,
    addr: SocketAddr,
    options: &Options,
    bids: usize,
) -> anyhow::Result<(Row, Vec<String>)> {
    let url = format!("http://{addr}/exchange/listings/{}/live/events", bidder.id);
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "bench",
            "sse-watchers",
            "--url",
            &url,
            "--watchers",
            &options.watchers.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| anyhow::anyhow!("无法启动观看者子进程：{e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("观看者子进程没有标准输出"))?;
    let (line_tx, mut lines) = mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut notes = Vec::new();
    let mut errors = Vec::new();
    let (connected, failed) = loop {
        let line = timeout(WAIT_FOR_CONNECTIONS, lines.recv())
            .await
            .map_err(|_| anyhow::anyhow!("观看者 5 分钟内未能全部连上"))?
            .ok_or_else(|| anyhow::anyhow!("观看者子进程意外退出"))?;
        if let Some(e) = line.strip_prefix("error ") {
            errors.push(e.to_owned());
        } else if let Some(counts) = line.strip_prefix("ready ") {
            let mut counts = counts.split(' ').map(str::parse::<usize>);
            match (counts.next(), counts.next()) {
                (Some(Ok(c)), Some(Ok(f))) => break (c, f),
                _ => anyhow::bail!("观看者子进程的答复有误：{line}"),
            }
        }
    };
    if failed > 0 {
        notes.push(format!(
            "HTTP：{} 个连接中 {} 个未能建立（{}），只计已连上的 {} 个。",
            grouped(options.watchers as u64),
            grouped(failed as u64),
            errors.join("；"),
            grouped(connected as u64)
        ));
    }
    let mut made = Vec::with_capacity(bids);
    if connected > 0 {
        for _ in 0..bids {
            let (seq, at) = bidder.bid().await?;
            made.push((seq, at));
            let wanted = format!("all {seq}");
            let waited = timeout(WAIT_FOR_ALL, async {
                while let Some(line) = lines.recv().await {
                    if line == wanted {
                        return true;
                    }
                }
                false
            })
            .await;
            if !matches!(waited, Ok(true)) {
                eprintln!("警告：第 {seq} 号记录 10 秒内未送达全部 HTTP 观看者");
            }
        }
    }
    if let Some(stdin) = child.stdin.as_mut() {
        writeln!(stdin, "done")?;
        stdin.flush()?;
    }
    let mut deliveries = Deliveries {
        samples: Vec::with_capacity(connected * bids),
        ..Deliveries::default()
    };
    loop {
        let line = timeout(WAIT_FOR_CONNECTIONS, lines.recv())
            .await
            .map_err(|_| anyhow::anyhow!("观看者子进程未交回记录"))?
            .ok_or_else(|| anyhow::anyhow!("观看者子进程未交回记录就退出了"))?;
        if line == "end" {
            break;
        }
        let Some(list) = line.strip_prefix("arrivals") else {
            continue;
        };
        let arrivals = parse_arrivals(list.trim())?;
        deliveries.add(&made, &arrivals);
    }
    let _ = child.wait();
    let row = delivery_row(
        "sse_http",
        "HTTP SSE（真实连接，观看者在子进程）",
        connected,
        options,
        &made,
        deliveries,
    );
    notes.push(
        "HTTP：观看者与服务器在同一台机器上，争用同样的 2 个核；观看者读取并解析分块的 SSE 流的用时计入时延。"
            .to_owned(),
    );
    Ok((row, notes))
}

/// `seq:µs,seq:µs,…` as pairs.
fn parse_arrivals(list: &str) -> anyhow::Result<Vec<(i64, i64)>> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    list.split(',')
        .map(|pair| {
            let (seq, at) = pair
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("到达记录有误：{pair}"))?;
            Ok((seq.parse()?, at.parse()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_update_covers_an_earlier_bid_and_early_arrivals_count_as_zero() {
        let bids = [(10, 1_000), (11, 2_000), (12, 3_000), (13, 4_000)];
        // 10 arrives 0.5 ms after its acknowledgement; 11 is coalesced
        // into 12; 12 arrives before its acknowledgement; 13 never comes.
        let arrivals = [(10, 1_500), (12, 2_900)];
        let mut out = Vec::new();
        let missed = delays(&bids, &arrivals, &mut out);
        assert_eq!(out, [500_000.0, 900_000.0, 0.0]);
        assert_eq!(missed, 1);
    }

    #[test]
    fn arrival_lists_parse() {
        assert_eq!(parse_arrivals("5:100,6:250").unwrap(), [(5, 100), (6, 250)]);
        assert!(parse_arrivals("").unwrap().is_empty());
        assert!(parse_arrivals("5-100").is_err());
        assert!(parse_arrivals("5:x").is_err());
    }

    #[test]
    fn bids_follow_the_measurement_time() {
        let options = |s: f64| Options {
            duration: Duration::from_secs_f64(s),
            cores: 2,
            postgres_url: None,
            watchers: 1,
            listings: vec![1],
            loads: super::super::DURABLE_LOADS.to_vec(),
        };
        assert_eq!(bid_count(&options(0.01)), 5);
        assert_eq!(bid_count(&options(1.0)), 10);
        assert_eq!(bid_count(&options(3600.0)), 600);
    }
}
