//! A fixture HTTP server on 127.0.0.1 for feeds and faults: per-path
//! responses (body, status, ETag, delay, gzip), and a log of every request,
//! so tests can assert on what went over the wire.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: String,
    /// When set, sent as ETag and honoured in If-None-Match.
    pub etag: Option<String>,
    pub delay: Duration,
    pub gzip: bool,
    pub extra_headers: Vec<(String, String)>,
    /// Streams the body over and over without a length, until the client
    /// hangs up (bounded to 20 s so a broken test cannot run forever).
    pub endless: bool,
    /// Sends the body one byte at a time with this pause between bytes.
    pub trickle: Option<Duration>,
}

impl Route {
    pub fn feed(body: Vec<u8>, content_type: &str) -> Route {
        Route {
            status: 200,
            body,
            content_type: content_type.to_owned(),
            etag: None,
            delay: Duration::ZERO,
            gzip: false,
            extra_headers: vec![],
            endless: false,
            trickle: None,
        }
    }

    pub fn redirect(status: u16, location: &str) -> Route {
        Route::status(status).header("Location", location)
    }

    pub fn header(mut self, name: &str, value: &str) -> Route {
        self.extra_headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn with_etag(mut self, etag: &str) -> Route {
        self.etag = Some(etag.to_owned());
        self
    }

    pub fn status(code: u16) -> Route {
        let mut r = Route::feed(format!("status {code}").into_bytes(), "text/plain");
        r.status = code;
        r
    }
}

#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub path: String,
    pub headers: HashMap<String, String>,
    /// When the request head had arrived.
    pub at: std::time::Instant,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    /// Answers paths no route names, when set.
    fallback: Option<Route>,
    log: Vec<RecordedRequest>,
}

pub struct FeedServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl FeedServer {
    pub async fn start() -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fixture server");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream, s.clone()));
            }
        });
        FeedServer { addr, state, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers every path no route names (queries vary: WebSub challenges).
    pub fn fallback(&self, route: Route) {
        self.state.lock().unwrap().fallback = Some(route);
    }

    /// Every request received, whatever its path.
    pub fn all_requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn route(&self, path: &str, route: Route) {
        self.state
            .lock()
            .unwrap()
            .routes
            .insert(path.to_owned(), route);
    }

    pub fn requests(&self, path: &str) -> Vec<RecordedRequest> {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if buf.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let path = request_line.split(' ').nth(1).unwrap_or("/").to_owned();
    let headers: HashMap<String, String> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let route = {
        let mut st = state.lock().unwrap();
        st.log.push(RecordedRequest {
            path: path.clone(),
            headers: headers.clone(),
            at: std::time::Instant::now(),
        });
        st.routes.get(&path).or(st.fallback.as_ref()).cloned()
    };
    let Some(route) = route else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found")
            .await;
        return;
    };
    if !route.delay.is_zero() {
        tokio::time::sleep(route.delay).await;
    }
    let not_modified = route
        .etag
        .as_ref()
        .is_some_and(|e| headers.get("if-none-match").is_some_and(|h| h == e));
    let (status, mut body) = if not_modified {
        (304, Vec::new())
    } else {
        (route.status, route.body.clone())
    };
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Type: {}\r\n",
        route.content_type
    );
    if let Some(e) = &route.etag {
        head.push_str(&format!("ETag: {e}\r\n"));
    }
    for (k, v) in &route.extra_headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if route.gzip && !body.is_empty() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = enc.write_all(&body);
        body = enc.finish().unwrap_or_default();
        head.push_str("Content-Encoding: gzip\r\n");
    }
    if route.endless {
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes()).await;
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            if stream.write_all(&body).await.is_err() {
                return;
            }
        }
        return;
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = stream.write_all(head.as_bytes()).await;
    if let Some(pause) = route.trickle {
        for b in &body {
            if stream.write_all(&[*b]).await.is_err() {
                return;
            }
            let _ = stream.flush().await;
            tokio::time::sleep(pause).await;
        }
        return;
    }
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}
