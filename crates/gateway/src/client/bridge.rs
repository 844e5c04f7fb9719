//! `dockside connect [--server NAME]`: the stdio bridge an AI client's config launches.
//!
//! It relays newline-delimited JSON-RPC between the client's stdio and the daemon's Streamable
//! HTTP endpoint (`/mcp` or `/mcp/NAME`), parsing no more than it must: it remembers the
//! client's `initialize` request so that, when the daemon restarts (its session disappears or
//! the connection drops), it starts the daemon if needed, re-initializes with the same request,
//! swallows that second answer, tells the client the lists may have changed, and retries the
//! message that failed. The client never notices.
//!
//! A remote server in `native` mode is reached without the daemon ([`super::direct`]).

use std::sync::Arc;
use std::time::Duration;

use dockside_core::home::Home;
use futures::StreamExt;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Mutex};

use dockside_api::{read_info, read_token, SseParser};

use crate::protocol::handshake::Handshake;
use crate::protocol::jsonrpc::{self, Kind};
use crate::protocol::revision;
use crate::protocol::SESSION_HEADER;
use dockside_api::start::ensure_own_daemon as ensure_daemon;

struct Conn {
    base: Option<String>,
    token: Option<String>,
    session: Option<String>,
    /// The client's `initialize` request, replayed after a daemon restart.
    /// The client's half of the handshake, replayed after a daemon restart.
    handshake: Handshake,
    generation: u64,
}

struct Bridge {
    home: Home,
    path: String,
    http: reqwest::Client,
    conn: Mutex<Conn>,
    out: mpsc::UnboundedSender<String>,
}

#[derive(Clone)]
struct Snapshot {
    base: String,
    token: Option<String>,
    session: Option<String>,
    generation: u64,
}

enum Sent {
    Done,
    /// The daemon is gone or forgot the session: reconnect and retry.
    Retry,
    Failed(String),
}

/// Runs the bridge until the client closes stdin; returns the exit code.
pub fn connect(server: Option<String>) -> anyhow::Result<i32> {
    crate::service::run::init_logging(false);
    let rt = crate::service::run::runtime()?;
    let code = rt.block_on(connect_async(server))?;
    rt.shutdown_timeout(Duration::from_millis(200));
    Ok(code)
}

async fn connect_async(server: Option<String>) -> anyhow::Result<i32> {
    let home = Home::from_env()?;
    if let Some(name) = &server {
        let h = home.clone();
        let n = name.clone();
        let direct =
            tokio::task::spawn_blocking(move || super::direct::native_remote(&h, &n)).await??;
        if let Some(spec) = direct {
            return super::direct::run(spec).await;
        }
    }
    let path = match &server {
        Some(s) => format!("/mcp/{s}"),
        None => "/mcp".to_string(),
    };
    let info = ensure_daemon(&home).await?;
    let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
    let bridge = Arc::new(Bridge {
        home: home.clone(),
        path,
        http: reqwest::Client::builder().no_proxy().build()?,
        conn: Mutex::new(Conn {
            base: Some(info.base_url()),
            token: read_token(&home),
            session: None,
            handshake: Handshake::default(),
            generation: 0,
        }),
        out,
    });
    let writer = tokio::spawn(async move {
        let mut stdout = tokio::io::stdout();
        while let Some(line) = out_rx.recv().await {
            if stdout.write_all(line.as_bytes()).await.is_err()
                || stdout.write_all(b"\n").await.is_err()
            {
                return;
            }
            if out_rx.is_empty() && stdout.flush().await.is_err() {
                return;
            }
        }
        let _ = stdout.flush().await;
    });

    let mut get_stream: Option<tokio::task::JoinHandle<()>> = None;
    let mut lines =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(tokio::io::stdin()));
    while let Ok(Some(line)) = lines.next_line().await {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let msg: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("ignoring a line that is not JSON: {e}");
                continue;
            }
        };
        let is_init = matches!(
            jsonrpc::classify(&msg),
            Kind::Request {
                method: "initialize",
                ..
            }
        );
        if !bridge.conn.lock().await.handshake.observe(&msg) {
            tokio::spawn(bridge.clone().send(msg));
            continue;
        }
        // The handshake goes in order: the session id comes with the answer to `initialize`.
        bridge.clone().send(msg).await;
        if !is_init && get_stream.is_none() {
            get_stream = Some(tokio::spawn(bridge.clone().listen()));
        }
    }
    if let Some(t) = get_stream {
        t.abort();
    }
    // Best effort: end the session.
    let snap = bridge.snapshot().await;
    if let (Some(base), Some(session)) = (Some(snap.base), snap.session) {
        let mut r = bridge
            .http
            .delete(format!("{base}{}", bridge.path))
            .header(SESSION_HEADER, session);
        if let Some(t) = &snap.token {
            r = r.bearer_auth(t);
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), r.send()).await;
    }
    drop(bridge);
    let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    Ok(0)
}

impl Bridge {
    async fn snapshot(&self) -> Snapshot {
        let c = self.conn.lock().await;
        Snapshot {
            base: c.base.clone().unwrap_or_default(),
            token: c.token.clone(),
            session: c.session.clone(),
            generation: c.generation,
        }
    }

    fn post(&self, snap: &Snapshot, msg: &Value) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .post(format!("{}{}", snap.base, self.path))
            .header("Accept", "application/json, text/event-stream")
            .header("Content-Type", "application/json")
            .body(msg.to_string());
        if let Some(t) = &snap.token {
            r = r.bearer_auth(t);
        }
        // A stateless (2026-07-28) request goes outside the session, with its own headers.
        match revision::http_headers(msg) {
            Some(headers) => headers.iter().fold(r, |r, (k, v)| r.header(*k, v)),
            None => match &snap.session {
                Some(s) => r.header(SESSION_HEADER, s),
                None => r,
            },
        }
    }

    /// Relays one client message; retries across a daemon restart.
    async fn send(self: Arc<Self>, msg: Value) {
        let request_id = match jsonrpc::classify(&msg) {
            Kind::Request { id, .. } => Some(id.clone()),
            _ => None,
        };
        let is_init = matches!(
            jsonrpc::classify(&msg),
            Kind::Request {
                method: "initialize",
                ..
            }
        );
        let mut last_error = String::from("the Dockside daemon is not reachable");
        for attempt in 0..4 {
            let snap = self.snapshot().await;
            match self.try_send(&snap, &msg, is_init).await {
                Sent::Done => return,
                Sent::Failed(e) => {
                    last_error = format!("the Dockside daemon could not take it: {e}");
                    break;
                }
                Sent::Retry => {
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    }
                    if let Err(e) = self.reconnect(snap.generation, true).await {
                        last_error = format!("the Dockside daemon is not reachable: {e:#}");
                    }
                }
            }
        }
        if let Some(id) = request_id {
            let err = jsonrpc::error(jsonrpc::INTERNAL_ERROR, last_error);
            let _ = self.out.send(jsonrpc::response(id, Err(err)).to_string());
        }
    }

    async fn try_send(&self, snap: &Snapshot, msg: &Value, is_init: bool) -> Sent {
        let resp = match self.post(snap, msg).send().await {
            Ok(r) => r,
            Err(e) if e.is_connect() || e.is_request() => return Sent::Retry,
            Err(e) => return Sent::Failed(e.to_string()),
        };
        let status = resp.status();
        // 404: the daemon forgot our session (it restarted). 401: what answers on the old
        // address is another daemon (another home, or a new token): look again.
        let stateless = revision::http_headers(msg).is_some();
        if (status == reqwest::StatusCode::NOT_FOUND && snap.session.is_some() && !stateless)
            || status == reqwest::StatusCode::UNAUTHORIZED
        {
            return Sent::Retry;
        }
        if !status.is_success() {
            let body = resp.text().await.unwrap_or_default();
            // A stateless request's error answer (400, 404) is the client's to read.
            let answer = serde_json::from_str::<Value>(&body)
                .ok()
                .filter(|v| matches!(jsonrpc::classify(v), Kind::Response { .. }));
            if let Some(answer) = answer.filter(|_| stateless) {
                let _ = self.out.send(answer.to_string());
                return Sent::Done;
            }
            let detail = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                .unwrap_or(body);
            return Sent::Failed(format!("{status}: {detail}"));
        }
        if is_init {
            if let Some(s) = resp
                .headers()
                .get(SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
            {
                self.conn.lock().await.session = Some(s.to_string());
            }
        }
        if status == reqwest::StatusCode::ACCEPTED {
            return Sent::Done;
        }
        self.pipe(resp, None).await;
        Sent::Done
    }

    /// Copies a response body (SSE or JSON) to the client, except the reply to `swallow`.
    async fn pipe(&self, resp: reqwest::Response, swallow: Option<&Value>) {
        let is_sse = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/event-stream"));
        let emit = |text: String| {
            if let Some(id) = swallow {
                if serde_json::from_str::<Value>(&text).is_ok_and(|v| Handshake::answers(&v, id)) {
                    return;
                }
            }
            let _ = self.out.send(text);
        };
        if is_sse {
            let mut parser = SseParser::default();
            let mut stream = resp.bytes_stream();
            while let Some(Ok(chunk)) = stream.next().await {
                // A resumable stream's priming event has no data: no message for the client
                // (as a blank line on stdio, clients fail to parse it).
                for data in parser.push(&chunk).into_iter().filter(|d| !d.is_empty()) {
                    emit(data);
                }
            }
        } else if let Ok(body) = resp.bytes().await {
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                for m in jsonrpc::unbatch(v) {
                    emit(m.to_string());
                }
            }
        }
    }

    /// Re-establishes the session after the daemon went away (starting it if `start`), unless
    /// another task already did since `generation`.
    async fn reconnect(&self, generation: u64, start: bool) -> anyhow::Result<()> {
        let mut c = self.conn.lock().await;
        if c.generation != generation {
            return Ok(());
        }
        let info = if start {
            ensure_daemon(&self.home).await?
        } else {
            read_info(&self.home).ok_or_else(|| anyhow::anyhow!("the daemon is not running"))?
        };
        c.base = Some(info.base_url());
        c.token = read_token(&self.home);
        c.session = None;
        c.generation += 1;
        let id = json!(format!("dockside-connect-reinit-{}", c.generation));
        let Some(replay) = c.handshake.replay(&id) else {
            return Ok(());
        };
        let snap = Snapshot {
            base: c.base.clone().unwrap_or_default(),
            token: c.token.clone(),
            session: None,
            generation: c.generation,
        };
        let resp = self.post(&snap, &replay).send().await?;
        if !resp.status().is_success() {
            anyhow::bail!("re-initializing failed: {}", resp.status());
        }
        let session = resp
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        self.pipe(resp, Some(&id)).await;
        c.session = session.clone();
        if let Some(initialized) = c.handshake.initialized() {
            let snap = Snapshot { session, ..snap };
            let _ = self.post(&snap, initialized).send().await;
            // What the daemon runs may differ now.
            for kind in ["tools", "prompts", "resources"] {
                let n = jsonrpc::notification(&format!("notifications/{kind}/list_changed"), None);
                let _ = self.out.send(n.to_string());
            }
        }
        tracing::info!("reconnected to the Dockside daemon at {}", info.base_url());
        Ok(())
    }

    /// Keeps the session's GET stream open (server-initiated messages) across restarts.
    async fn listen(self: Arc<Self>) {
        loop {
            let snap = self.snapshot().await;
            let Some(session) = snap.session.clone() else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            let mut r = self
                .http
                .get(format!("{}{}", snap.base, self.path))
                .header("Accept", "text/event-stream")
                .header(SESSION_HEADER, session);
            if let Some(t) = &snap.token {
                r = r.bearer_auth(t);
            }
            match r.send().await {
                Ok(resp) if resp.status().is_success() => {
                    self.pipe(resp, None).await;
                }
                Ok(resp)
                    if resp.status() == reqwest::StatusCode::NOT_FOUND
                        || resp.status() == reqwest::StatusCode::UNAUTHORIZED =>
                {
                    if read_info(&self.home).is_some() {
                        let _ = self.reconnect(snap.generation, false).await;
                    }
                }
                Ok(_) => {}
                Err(_) => {
                    // The daemon is gone; if a new one runs, move to it. Otherwise the next
                    // client request starts one.
                    if read_info(&self.home).is_some() {
                        let _ = self.reconnect(snap.generation, false).await;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
