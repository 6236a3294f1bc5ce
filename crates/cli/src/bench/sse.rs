//! The watchers of the SSE section: many server-sent-event connections to
//! one listing, in a process of their own (`yiwang bench sse-watchers`,
//! hidden), started by [`super::fanout`].
//!
//! A process may hold only so many open files; the watchers' sockets and
//! the server's ends of them would not fit in one. The child speaks plain
//! HTTP/1.1 over tokio's `TcpStream` ([`SseStream`] reads the chunked body
//! and its events), so the benchmark needs no HTTP client library.
//!
//! Lines on standard output, for the parent:
//!
//! - `error <text>`: a connection that failed (the first few);
//! - `ready <connected> <failed>`: every connection has its first panel;
//! - `all <seq>`: every connected watcher has received entry `seq` (or a
//!   later one);
//! - after `done` on standard input, `arrivals <seq>:<µs>,…` per watcher
//!   that connected (wall-clock µs of each event received after the
//!   first), then `end`.
//!
//! Times are the system clock's microseconds, which both processes read.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use yiwang_core::{Clock, SystemClock};

/// Connections being opened at once: well under the server's listen
/// backlog, so that no connection waits for a SYN to be retried.
const OPENING_AT_ONCE: usize = 128;
/// Failed connections reported one by one.
const ERRORS_SHOWN: usize = 5;

/// `http://host:port/path` as the address to connect to and the path.
pub fn split_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("只支持 http:// 地址：{url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        anyhow::bail!("地址缺少主机：{url}");
    }
    Ok((authority.to_owned(), path.to_owned()))
}

/// One server-sent event, as far as the benchmark needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field (empty when absent).
    pub name: String,
    /// The `id:` field.
    pub id: Option<String>,
    /// Bytes of `data:` received (the text itself is not kept).
    pub data_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Before the end of the response head.
    Head,
    /// Not chunked: everything up to the close is the body.
    Plain,
    /// Chunked: a size line is due.
    ChunkSize,
    /// Chunked: this many bytes of chunk data are due.
    ChunkData(usize),
    /// Chunked: the CRLF after a chunk's data is due.
    ChunkEnd,
    /// The last chunk was read.
    Done,
}

/// The events of one HTTP/1.1 `text/event-stream` response, read from its
/// bytes as they arrive in whatever pieces.
#[derive(Debug)]
pub struct SseStream {
    state: Body,
    /// Bytes received and not yet taken apart.
    pending: Vec<u8>,
    /// The event line being read.
    line: Vec<u8>,
    name: String,
    id: Option<String>,
    data_len: usize,
    fields: bool,
}

impl Default for SseStream {
    fn default() -> Self {
        SseStream::new()
    }
}

impl SseStream {
    pub fn new() -> SseStream {
        SseStream {
            state: Body::Head,
            pending: Vec::new(),
            line: Vec::new(),
            name: String::new(),
            id: None,
            data_len: 0,
            fields: false,
        }
    }

    /// Takes `bytes` in and adds the events they complete to `out`. Errs on
    /// a response that is not a 200 event stream, or a broken chunk.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), String> {
        self.pending.extend_from_slice(bytes);
        loop {
            match self.state {
                Body::Head => {
                    let Some(end) = find(&self.pending, b"\r\n\r\n") else {
                        return Ok(());
                    };
                    let head = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                    self.pending.drain(..end + 4);
                    self.state = head_state(&head)?;
                }
                Body::Plain => {
                    let bytes = std::mem::take(&mut self.pending);
                    self.lines(&bytes, out);
                    return Ok(());
                }
                Body::ChunkSize => {
                    let Some(end) = find(&self.pending, b"\r\n") else {
                        return Ok(());
                    };
                    let line = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                    self.pending.drain(..end + 2);
                    let digits = line.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(digits, 16)
                        .map_err(|_| format!("分块长度有误：{line:?}"))?;
                    self.state = if size == 0 {
                        Body::Done
                    } else {
                        Body::ChunkData(size)
                    };
                }
                Body::ChunkData(left) => {
                    if self.pending.is_empty() {
                        return Ok(());
                    }
                    let take = left.min(self.pending.len());
                    let data: Vec<u8> = self.pending.drain(..take).collect();
                    self.lines(&data, out);
                    self.state = if take == left {
                        Body::ChunkEnd
                    } else {
                        Body::ChunkData(left - take)
                    };
                }
                Body::ChunkEnd => {
                    if self.pending.len() < 2 {
                        return Ok(());
                    }
                    if &self.pending[..2] != b"\r\n" {
                        return Err("分块数据后缺少换行".to_owned());
                    }
                    self.pending.drain(..2);
                    self.state = Body::ChunkSize;
                }
                Body::Done => {
                    self.pending.clear();
                    return Ok(());
                }
            }
        }
    }

    /// Whether the server ended the response.
    pub fn finished(&self) -> bool {
        self.state == Body::Done
    }

    /// Splits body bytes into lines and lines into events.
    fn lines(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) {
        for &b in bytes {
            if b == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.field(&line, out);
            } else {
                self.line.push(b);
            }
        }
    }

    fn field(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.fields {
                out.push(SseEvent {
                    name: std::mem::take(&mut self.name),
                    id: self.id.take(),
                    data_len: std::mem::take(&mut self.data_len),
                });
                self.fields = false;
            }
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (key, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let value = &line[i + 1..];
                (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        self.fields = true;
        match key {
            b"event" => self.name = String::from_utf8_lossy(value).into_owned(),
            b"id" => self.id = Some(String::from_utf8_lossy(value).into_owned()),
            b"data" => self.data_len += value.len(),
            _ => {}
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Checks a response head and says how its body comes.
fn head_state(head: &str) -> Result<Body, String> {
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    let code = status.split(' ').nth(1).unwrap_or("");
    if code != "200" {
        return Err(format!("服务器答复 {status:?}"));
    }
    let mut chunked = false;
    let mut event_stream = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim().to_ascii_lowercase());
        if name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked") {
            chunked = true;
        }
        if name.eq_ignore_ascii_case("content-type") && value.starts_with("text/event-stream") {
            event_stream = true;
        }
    }
    if !event_stream {
        return Err("答复不是 text/event-stream".to_owned());
    }
    Ok(if chunked {
        Body::ChunkSize
    } else {
        Body::Plain
    })
}

// ---------------------------------------------------------------------------
// The child process.

/// `(seq, µs)` of each update a watcher read.
type Timeline = Vec<(i64, i64)>;

/// What the watchers share.
struct Shared {
    connected: AtomicUsize,
    failed: AtomicUsize,
    /// Watchers with their first panel, or failed.
    settled: AtomicUsize,
    settled_all: tokio::sync::Notify,
    /// Per entry, the watchers that have received it.
    counts: Mutex<HashMap<i64, usize>>,
    /// Per watcher that connected, `(seq, µs)` of each event after the
    /// first.
    arrivals: Vec<Mutex<Option<Timeline>>>,
    total: usize,
}

impl Shared {
    fn settle(&self) {
        if self.settled.fetch_add(1, Ordering::SeqCst) + 1 == self.total {
            self.settled_all.notify_one();
        }
    }

    fn fail(&self, error: String) {
        if self.failed.fetch_add(1, Ordering::SeqCst) < ERRORS_SHOWN {
            say(&format!("error {}", error.replace('\n', " ")));
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `yiwang bench sse-watchers`: opens the connections, reports, records.
pub fn watch(url: &str, watchers: usize) -> anyhow::Result<ExitCode> {
    let (authority, path) = split_url(url)?;
    let runtime = super::runtime()?;
    runtime.block_on(async move {
        let shared = Arc::new(Shared {
            connected: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            settled: AtomicUsize::new(0),
            settled_all: tokio::sync::Notify::new(),
            counts: Mutex::new(HashMap::new()),
            arrivals: (0..watchers).map(|_| Mutex::new(None)).collect(),
            total: watchers,
        });
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: text/event-stream\r\n\
             Cache-Control: no-cache\r\n\r\n"
        );
        let opening = Arc::new(Semaphore::new(OPENING_AT_ONCE));
        for index in 0..watchers {
            let (shared, opening) = (shared.clone(), opening.clone());
            let (authority, request) = (authority.clone(), request.clone());
            tokio::spawn(async move {
                watcher(index, &authority, &request, &opening, &shared).await;
            });
        }
        if watchers > 0 {
            shared.settled_all.notified().await;
        }
        say(&format!(
            "ready {} {}",
            shared.connected.load(Ordering::SeqCst),
            shared.failed.load(Ordering::SeqCst)
        ));
        // Wait for `done` (or the parent going away) on a thread of its own.
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines() {
                match line {
                    Ok(l) if l.trim() == "done" => break,
                    Ok(_) => continue,
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
        let _ = rx.await;
        let mut out = std::io::stdout().lock();
        for arrivals in &shared.arrivals {
            let arrivals = arrivals.lock().unwrap_or_else(|e| e.into_inner());
            let Some(arrivals) = arrivals.as_ref() else {
                continue;
            };
            let list: Vec<String> = arrivals.iter().map(|(s, at)| format!("{s}:{at}")).collect();
            writeln!(out, "arrivals {}", list.join(","))?;
        }
        writeln!(out, "end")?;
        out.flush()?;
        anyhow::Ok(())
    })?;
    // The connections are still open; ending the process closes them.
    runtime.shutdown_background();
    Ok(ExitCode::SUCCESS)
}

/// One watcher: connect, read the first panel, then record every panel.
async fn watcher(
    index: usize,
    authority: &str,
    request: &str,
    opening: &Semaphore,
    shared: &Shared,
) {
    let permit = opening.acquire().await;
    let stream = async {
        let mut stream = TcpStream::connect(authority).await?;
        stream.set_nodelay(true)?;
        stream.write_all(request.as_bytes()).await?;
        std::io::Result::Ok(stream)
    }
    .await;
    let mut stream = match stream {
        Ok(s) => s,
        Err(e) => {
            shared.fail(format!("连接失败：{e}"));
            shared.settle();
            return;
        }
    };
    let mut parser = SseStream::new();
    let mut events = Vec::new();
    let mut buf = vec![0u8; 4096];
    let mut last: Option<i64> = None;
    let mut permit = Some(permit);
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => {
                if last.is_none() {
                    shared.fail("连接在收到第一个面板前关闭".to_owned());
                    shared.settle();
                }
                return;
            }
            Ok(n) => n,
        };
        let at = SystemClock.now().micros();
        if let Err(e) = parser.feed(&buf[..n], &mut events) {
            if last.is_none() {
                shared.fail(e);
                shared.settle();
            }
            return;
        }
        for event in events.drain(..) {
            if event.name != "panel" {
                continue;
            }
            let Some(seq) = event.id.as_deref().and_then(|id| id.parse::<i64>().ok()) else {
                continue;
            };
            match last {
                None => {
                    last = Some(seq);
                    permit.take();
                    *shared.arrivals[index]
                        .lock()
                        .unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
                    shared.connected.fetch_add(1, Ordering::SeqCst);
                    shared.settle();
                }
                Some(seen) if seq > seen => {
                    if let Some(arrivals) = shared.arrivals[index]
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .as_mut()
                    {
                        arrivals.push((seq, at));
                    }
                    let mut counts = shared.counts.lock().unwrap_or_else(|e| e.into_inner());
                    let everyone = shared.connected.load(Ordering::SeqCst);
                    for covered in seen + 1..=seq {
                        let count = counts.entry(covered).or_default();
                        *count += 1;
                        if *count == everyone {
                            say(&format!("all {covered}"));
                        }
                    }
                    last = Some(seq);
                }
                Some(_) => {}
            }
        }
        if parser.finished() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
        Transfer-Encoding: chunked\r\ncache-control: no-cache\r\n\r\n\
        27\r\nevent: panel\nid: 7\ndata: <div>a</div>\n\n\r\n\
        3\r\n:\n\n\r\n\
        20\r\nevent: panel\r\nid: 9\r\ndata: x\r\nda\r\n\
        a\r\nta: yz\r\n\r\n\r\n\
        0\r\n\r\n";

    fn events_in_pieces(size: usize) -> (Vec<SseEvent>, bool) {
        let mut stream = SseStream::new();
        let mut out = Vec::new();
        for piece in RESPONSE.chunks(size) {
            stream.feed(piece, &mut out).unwrap();
        }
        (out, stream.finished())
    }

    #[test]
    fn events_come_out_whole_however_the_bytes_arrive() {
        let expected = vec![
            SseEvent {
                name: "panel".into(),
                id: Some("7".into()),
                data_len: 12,
            },
            SseEvent {
                name: "panel".into(),
                id: Some("9".into()),
                data_len: 3,
            },
        ];
        for size in 1..=RESPONSE.len() {
            assert_eq!(events_in_pieces(size), (expected.clone(), true), "{size}");
        }
    }

    #[test]
    fn a_response_that_is_not_an_event_stream_is_an_error() {
        let mut out = Vec::new();
        let err = SseStream::new()
            .feed(
                b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
                &mut out,
            )
            .unwrap_err();
        assert!(err.contains("404"), "{err}");
        let err = SseStream::new()
            .feed(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\n\r\n<p>",
                &mut out,
            )
            .unwrap_err();
        assert!(err.contains("text/event-stream"), "{err}");
        let err = SseStream::new()
            .feed(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                  transfer-encoding: chunked\r\n\r\nzz\r\n",
                &mut out,
            )
            .unwrap_err();
        assert!(err.contains("zz"), "{err}");
        assert!(out.is_empty());
    }

    #[test]
    fn a_plain_body_is_read_to_the_end() {
        let mut stream = SseStream::new();
        let mut out = Vec::new();
        stream
            .feed(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\r\nid: 3\nevent: panel\ndata: ",
                &mut out,
            )
            .unwrap();
        assert!(out.is_empty());
        stream.feed(b"abc\n\n", &mut out).unwrap();
        assert_eq!(
            out,
            [SseEvent {
                name: "panel".into(),
                id: Some("3".into()),
                data_len: 3
            }]
        );
        assert!(!stream.finished());
    }

    #[test]
    fn urls_split_into_address_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/exchange/listings/x/live/events").unwrap(),
            (
                "127.0.0.1:8080".to_owned(),
                "/exchange/listings/x/live/events".to_owned()
            )
        );
        assert_eq!(
            split_url("http://localhost:80").unwrap(),
            ("localhost:80".to_owned(), "/".to_owned())
        );
        assert!(split_url("https://example.com/").is_err());
        assert!(split_url("http:///path").is_err());
    }
}
