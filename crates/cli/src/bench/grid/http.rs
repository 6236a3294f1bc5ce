//! Look-ups over HTTP: `GET /api/v1/grid/lookup?lng=…&lat=…` on the real
//! web application (`yiwang_web::serve`: its middleware, the grid map
//! cache that checks the store's grid stamp on each request, the leader's
//! directory entry read for the answer) listening on an ephemeral local
//! port.
//!
//! Several keep-alive connections share the points (point `i` goes to
//! connection `i mod n`); each sends its requests one after another and
//! reads each answer before the next, so a look-up's time is one round
//! trip. The client is plain HTTP/1.1 over tokio's `TcpStream`, as the SSE
//! benchmark's, so no HTTP client library is needed. Coordinates are
//! written as the shortest decimals that read back as the same `f64`, so
//! the server looks up exactly the sample's points.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use yiwang_grid::{GridCode, LngLat};
use yiwang_web::AppState;

use super::Row;

/// How long the server may take to finish after the last request.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// Every point looked up over HTTP: the row and the answers in the
/// points' order.
pub(super) async fn measure(
    app: &AppState,
    points: &[LngLat],
    connections: usize,
) -> anyhow::Result<(Row, Vec<Option<GridCode>>)> {
    let connections = connections.clamp(1, points.len().max(1));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yiwang_web::serve(app.clone(), listener, async move {
        let _ = stopped.await;
    }));

    let mut clients = Vec::with_capacity(connections);
    for _ in 0..connections {
        clients.push(Client::connect(addr).await?);
    }
    // One request per connection before the clock starts: the grid map is
    // built and every connection is open.
    for (client, p) in clients.iter_mut().zip(points.iter().cycle()) {
        client.lookup(*p).await?;
    }

    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (c, mut client) in clients.into_iter().enumerate() {
        let mine: Vec<(usize, LngLat)> = points
            .iter()
            .copied()
            .enumerate()
            .skip(c)
            .step_by(connections)
            .collect();
        tasks.spawn(async move {
            let mut out = Vec::with_capacity(mine.len());
            for (i, p) in mine {
                let t = Instant::now();
                let answer = client.lookup(p).await?;
                out.push((i, answer, t.elapsed().as_nanos() as f64));
            }
            anyhow::Ok(out)
        });
    }
    let mut found = vec![None; points.len()];
    let mut latencies = Vec::with_capacity(points.len());
    while let Some(done) = tasks.join_next().await {
        for (i, answer, ns) in done.map_err(|e| anyhow::anyhow!("HTTP 客户端任务失败：{e}"))??
        {
            found[i] = answer;
            latencies.push(ns);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(());
    match tokio::time::timeout(SHUTDOWN_WAIT, server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return Err(e.context("服务器出错")),
        Ok(Err(e)) => anyhow::bail!("服务器任务失败：{e}"),
        Err(_) => eprintln!("警告：服务器未在 {SHUTDOWN_WAIT:?} 内停止"),
    }
    let row = Row::new(
        "http",
        format!("HTTP，{connections} 个 keep-alive 连接"),
        connections,
        points.len() as u64,
        seconds,
    )
    .with_spread(&mut latencies);
    Ok((row, found))
}

/// One keep-alive connection to the server.
struct Client {
    stream: BufReader<TcpStream>,
    line: String,
}

impl Client {
    async fn connect(addr: SocketAddr) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| anyhow::anyhow!("无法连接服务器 {addr}：{e}"))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream: BufReader::new(stream),
            line: String::new(),
        })
    }

    /// The grid the server answers for a point; `None` for 404
    /// `outside_grids`. Any other answer is an error.
    async fn lookup(&mut self, p: LngLat) -> anyhow::Result<Option<GridCode>> {
        let path = format!("/api/v1/grid/lookup?lng={}&lat={}", p.lng, p.lat);
        let (status, body) = self.get(&path).await?;
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            anyhow::anyhow!(
                "{path} 的回答不是 JSON（{status}）：{e}：{}",
                String::from_utf8_lossy(&body)
            )
        })?;
        match status {
            200 => {
                let code = value["code"].as_str().unwrap_or_default();
                Ok(Some(GridCode::parse(code).map_err(|e| {
                    anyhow::anyhow!("{path} 回答的网格编码 {code:?} 无效：{e}")
                })?))
            }
            404 if value["error"]["code"] == "outside_grids" => Ok(None),
            _ => anyhow::bail!("{path} 回答 {status}：{value}"),
        }
    }

    /// One request and its whole answer: status and body.
    async fn get(&mut self, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAccept: application/json\r\n\r\n");
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let status = {
            let line = self.read_line().await?;
            line.split(' ')
                .nth(1)
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(|| anyhow::anyhow!("无效的状态行：{line:?}"))?
        };
        let mut length = None;
        let mut chunked = false;
        loop {
            let line = self.read_line().await?;
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.parse::<usize>().ok();
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                let size = self.read_line().await?;
                let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| anyhow::anyhow!("无效的分块长度：{size:?}"))?;
                if size == 0 {
                    // Trailers, then the empty line.
                    while !self.read_line().await?.is_empty() {}
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.stream.read_exact(&mut body[start..]).await?;
                self.read_line().await?;
            }
        } else {
            let length = length.ok_or_else(|| anyhow::anyhow!("回答没有 Content-Length"))?;
            body.resize(length, 0);
            self.stream.read_exact(&mut body).await?;
        }
        Ok((status, body))
    }

    /// A line of the response head without its CRLF; an error at the end
    /// of the stream.
    async fn read_line(&mut self) -> anyhow::Result<String> {
        self.line.clear();
        let n = self.stream.read_line(&mut self.line).await?;
        if n == 0 {
            anyhow::bail!("服务器关闭了连接");
        }
        Ok(self.line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
