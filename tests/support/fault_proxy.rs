//! A small HTTP proxy on 127.0.0.1 in front of a test server (the FHIR
//! server), which breaks writes (POST and PUT) on purpose: it answers 503
//! without forwarding, or forwards the write and then drops the answer (the
//! connection closes, or stays silent past the client's timeout), so the
//! server stored what the client never hears about. Each write takes the
//! next fault of the plan; after the plan, writes pass (optionally slowed).
//! Bounded: every fault waits at most the delay it names; one connection
//! per request (`Connection: close`); stopped when dropped.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// What happens to one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 Service Unavailable; the server never sees the write.
    Unavailable,
    /// The write reaches the server; its answer is dropped (connection closed).
    DropAnswer,
    /// The write reaches the server; the answer is held this long (past the
    /// client's timeout), then dropped.
    DelayAnswer(Duration),
}

/// What the proxy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub requests: usize,
    pub writes: usize,
    pub unavailable: usize,
    pub dropped: usize,
    pub delayed: usize,
}

#[derive(Default)]
struct State {
    plan: VecDeque<Option<Fault>>,
    slow_writes: Duration,
    stats: Stats,
}

pub struct FaultProxy {
    /// `http://127.0.0.1:PORT/fhir`.
    pub base_url: String,
    state: Arc<Mutex<State>>,
    rt: Option<tokio::runtime::Runtime>,
}

/// The most a request head may take.
const MAX_HEAD: usize = 64 * 1024;

impl FaultProxy {
    /// A proxy to `127.0.0.1:upstream_port`, serving `path` (e.g. `/fhir`).
    pub fn start(upstream_port: u16, path: &str) -> FaultProxy {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state: Arc<Mutex<State>> = Arc::default();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let upstream = format!("http://127.0.0.1:{upstream_port}");
        let s = state.clone();
        rt.spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (s, http, upstream) = (s.clone(), http.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(Duration::from_secs(120), serve(conn, s, http, upstream)).await;
                });
            }
        });
        FaultProxy { base_url: format!("http://127.0.0.1:{port}{path}"), state, rt: Some(rt) }
    }

    /// The faults of the next writes, in order (`None`: that write passes).
    pub fn set_write_faults(&self, plan: Vec<Option<Fault>>) {
        self.state.lock().unwrap().plan = plan.into();
    }

    /// Every write that passes is held this long first (a slow server).
    pub fn slow_writes(&self, by: Duration) {
        self.state.lock().unwrap().slow_writes = by;
    }

    /// Faults still planned.
    pub fn faults_left(&self) -> usize {
        self.state.lock().unwrap().plan.iter().filter(|f| f.is_some()).count()
    }

    pub fn stats(&self) -> Stats {
        self.state.lock().unwrap().stats
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

async fn serve(
    mut conn: TcpStream,
    state: Arc<Mutex<State>>,
    http: reqwest::Client,
    upstream: String,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return Ok(());
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (first.next().unwrap_or("GET").to_string(), first.next().unwrap_or("/").to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize =
        headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let write = method == "POST" || method == "PUT";
    let (fault, slow) = {
        let mut s = state.lock().unwrap();
        s.stats.requests += 1;
        let fault = if write {
            s.stats.writes += 1;
            s.plan.pop_front().flatten()
        } else {
            None
        };
        match fault {
            Some(Fault::Unavailable) => s.stats.unavailable += 1,
            Some(Fault::DropAnswer) => s.stats.dropped += 1,
            Some(Fault::DelayAnswer(_)) => s.stats.delayed += 1,
            None => {}
        }
        (fault, if write { s.slow_writes } else { Duration::ZERO })
    };
    if fault == Some(Fault::Unavailable) {
        let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nunavailable";
        conn.write_all(text.as_bytes()).await?;
        return conn.shutdown().await;
    }
    if !slow.is_zero() {
        tokio::time::sleep(slow).await;
    }
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = http.request(method, format!("{upstream}{target}"));
    for (k, v) in &headers {
        if !matches!(k.as_str(), "host" | "connection" | "content-length" | "accept-encoding" | "transfer-encoding") {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    let answer = match req.body(body).send().await {
        Ok(a) => a,
        Err(_) => {
            let text = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            conn.write_all(text.as_bytes()).await?;
            return conn.shutdown().await;
        }
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let answer_body = answer.bytes().await.unwrap_or_default();
    match fault {
        Some(Fault::DropAnswer) => return Ok(()),
        Some(Fault::DelayAnswer(d)) => {
            tokio::time::sleep(d).await;
            return Ok(());
        }
        _ => {}
    }
    let mut out = format!("HTTP/1.1 {} {}\r\n", status.as_u16(), status.canonical_reason().unwrap_or(""));
    for (k, v) in &answer_headers {
        if !matches!(k.as_str(), "connection" | "content-length" | "transfer-encoding" | "keep-alive") {
            out.push_str(&format!("{}: {}\r\n", k, v.to_str().unwrap_or("")));
        }
    }
    out.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", answer_body.len()));
    conn.write_all(out.as_bytes()).await?;
    conn.write_all(&answer_body).await?;
    conn.shutdown().await
}
