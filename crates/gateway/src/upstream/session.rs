//! An [`Upstream`] is one running server with an initialized MCP session: its lists, its
//! stderr, its exit. How its bytes move is the job of a [`Launcher`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::{broadcast, oneshot, watch};

use super::endpoint::Outage;
use super::launch::{Launched, Launcher};
use super::spec::UpstreamSpec;
use crate::protocol::peer::{self, Peer};
use crate::protocol::revision;
use crate::protocol::PROTOCOL_VERSIONS;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("server '{server}': cannot start `{command}`: {source}")]
    Spawn {
        server: String,
        command: String,
        source: std::io::Error,
    },
    #[error("server '{server}': {what}{}", stderr_hint(.stderr))]
    Initialize {
        server: String,
        what: String,
        stderr: Vec<String>,
    },
    /// A remote server out of reach.
    #[error("server '{server}' {outage}")]
    Unavailable { server: String, outage: Outage },
}

impl StartError {
    pub fn server(&self) -> &str {
        match self {
            StartError::Spawn { server, .. }
            | StartError::Initialize { server, .. }
            | StartError::Unavailable { server, .. } => server,
        }
    }

    /// What went wrong, without the server's name or stderr.
    pub fn cause(&self) -> String {
        match self {
            StartError::Spawn {
                command, source, ..
            } => format!("cannot start `{command}`: {source}"),
            StartError::Initialize { what, .. } => what.clone(),
            StartError::Unavailable { outage, .. } => outage.to_string(),
        }
    }

    /// The server's last stderr lines, when it ran at all.
    pub fn stderr(&self) -> &[String] {
        match self {
            StartError::Spawn { .. } | StartError::Unavailable { .. } => &[],
            StartError::Initialize { stderr, .. } => stderr,
        }
    }
}

fn stderr_hint(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("; its last stderr lines:\n  {}", lines.join("\n  "))
    }
}

/// The lists a server offers, as it sent them (original names), with the cache hints a
/// stateless-era server gave them (`ttlMs`, `cacheScope`; none from a session-era server).
#[derive(Debug, Default, Clone)]
pub struct Lists {
    pub tools: Vec<Value>,
    pub prompts: Vec<Value>,
    pub resources: Vec<Value>,
    pub templates: Vec<Value>,
    pub hints: std::collections::HashMap<ListKind, (u64, String)>,
}

/// Which list changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    Tools,
    Prompts,
    Resources,
    Templates,
}

impl ListKind {
    pub fn method(self) -> &'static str {
        match self {
            ListKind::Tools => "tools/list",
            ListKind::Prompts => "prompts/list",
            ListKind::Resources => "resources/list",
            ListKind::Templates => "resources/templates/list",
        }
    }
    fn field(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Prompts => "prompts",
            ListKind::Resources => "resources",
            ListKind::Templates => "resourceTemplates",
        }
    }
    fn capability(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Prompts => "prompts",
            ListKind::Resources | ListKind::Templates => "resources",
        }
    }
}

/// A line a server wrote to stderr.
#[derive(Debug, Clone)]
pub struct LogLine {
    pub server: String,
    pub line: String,
    /// Unix time, milliseconds.
    pub at_ms: u64,
}

/// Now as Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

const STDERR_TAIL: usize = 20;

/// The longest stderr line kept whole; longer ones are split (a server writing megabytes
/// without a newline cannot grow the gateway's memory).
const MAX_STDERR_LINE: usize = 16 << 10;

/// The next stderr line (without its newline, lossily decoded), `None` at end of input.
async fn next_stderr_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Option<String> {
    let mut buf = Vec::new();
    match (&mut *reader)
        .take(MAX_STDERR_LINE as u64)
        .read_until(b'\n', &mut buf)
        .await
    {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            if buf.last() == Some(&b'\n') {
                buf.pop();
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
            }
            Some(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

/// One running, initialized server.
pub struct Upstream {
    pub spec: UpstreamSpec,
    pub peer: Arc<Peer>,
    /// The server's `initialize` result (capabilities, serverInfo, instructions, protocolVersion);
    /// for a server of the stateless era only, the same fields read off its `server/discover`.
    pub init: Value,
    /// It answered `initialize`: it has a session-era session.
    pub session: bool,
    /// Its `server/discover` result, when it speaks the stateless era (2026-07-28).
    pub discover: Option<Value>,
    pub pid: Option<u32>,
    pub started_at: std::time::SystemTime,
    lists: RwLock<Lists>,
    /// The lists as stateless-era requests see them (a server may offer more there).
    modern_lists: RwLock<Lists>,
    /// The `subscriptions/listen` a stateless-era server tells its list changes on.
    listen: Mutex<Option<peer::Pending>>,
    stop_tx: Mutex<Option<oneshot::Sender<Duration>>>,
    exited: watch::Receiver<Option<String>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    handler: SharedSlot,
    /// Why the gateway took the server down, when it did (e.g. it stopped answering `ping`).
    down_reason: Mutex<Option<String>>,
    /// Set when it ended because a remote server is out of reach.
    outage: Arc<Mutex<Option<Outage>>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.spec.name)
            .field("pid", &self.pid)
            .finish()
    }
}

/// Receives the messages a server sends that are not replies (notifications and server→client
/// requests), on the reader task, in arrival order — so a progress notification is always
/// handled before the reply that follows it.
pub type Handler = Arc<dyn Fn(Value) + Send + Sync>;

enum HandlerSlot {
    /// Messages that arrived before a handler was set.
    Buffer(Vec<Value>),
    Set(Handler),
}

type SharedSlot = Arc<Mutex<HandlerSlot>>;

fn deliver(slot: &SharedSlot, msg: Value) {
    let handler = {
        let mut s = slot.lock().unwrap();
        match &mut *s {
            HandlerSlot::Buffer(b) => {
                b.push(msg);
                return;
            }
            HandlerSlot::Set(h) => h.clone(),
        }
    };
    handler(msg);
}

impl Upstream {
    /// Launches the server, performs the MCP handshake and fetches its lists.
    pub async fn start(
        spec: UpstreamSpec,
        launcher: &dyn Launcher,
        logs: broadcast::Sender<LogLine>,
        init_timeout: Duration,
    ) -> Result<Arc<Upstream>, StartError> {
        let launched = launcher
            .launch(&spec)
            .await
            .map_err(|source| StartError::Spawn {
                server: spec.name.clone(),
                command: spec.command.clone(),
                source,
            })?;
        let Launched {
            stdin,
            stdout,
            stderr,
            mut process,
        } = launched;
        let pid = process.pid();
        let name = spec.name.clone();
        let (peer, out_rx) = Peer::new(format!("server '{name}'"));
        tokio::spawn(peer::write_lines(stdin, out_rx));

        let slot: SharedSlot = Arc::new(Mutex::new(HandlerSlot::Buffer(Vec::new())));
        let (eof_tx, mut eof_rx) = watch::channel(false);
        // A server that breaks the stdout framing (not JSON, a line over the limit) is stopped.
        let (violation_tx, violation_rx) = oneshot::channel::<String>();
        {
            let peer = peer.clone();
            let who = name.clone();
            let slot = slot.clone();
            tokio::spawn(async move {
                let end =
                    peer::read_lines(stdout, &who, peer::NonJson::Fail, peer::MAX_LINE, |msg| {
                        if let Some(msg) = peer.accept(msg) {
                            deliver(&slot, msg);
                        }
                    })
                    .await;
                if let Err(why) = end {
                    tracing::error!(server = %who, "server '{who}' {why}: stopping it");
                    let _ = violation_tx.send(why);
                }
                peer.close();
                let _ = eof_tx.send(true);
            });
        }

        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let (stderr_done_tx, stderr_done_rx) = oneshot::channel::<()>();
        if let Some(stderr) = stderr {
            let tail = stderr_tail.clone();
            let server = name.clone();
            // A server may print its own secrets; they go no further than this.
            let secrets: Vec<String> = spec
                .secret_values
                .iter()
                .filter(|v| !v.is_empty())
                .cloned()
                .collect();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stderr);
                while let Some(mut line) = next_stderr_line(&mut reader).await {
                    for secret in &secrets {
                        if line.contains(secret.as_str()) {
                            line = line.replace(secret.as_str(), "[secret]");
                        }
                    }
                    {
                        let mut t = tail.lock().unwrap();
                        if t.len() == STDERR_TAIL {
                            t.pop_front();
                        }
                        t.push_back(line.clone());
                    }
                    tracing::debug!(target: "dockside::upstream::stderr", server = %server, "{line}");
                    let _ = logs.send(LogLine {
                        server: server.clone(),
                        line,
                        at_ms: now_ms(),
                    });
                }
                drop(stderr_done_tx);
            });
        } else {
            drop(stderr_done_tx);
        }

        // The process monitor owns the process: it reports the exit and performs stops.
        let (stop_tx, stop_rx) = oneshot::channel::<Duration>();
        let (exit_tx, exit_rx) = watch::channel(None);
        let monitor_peer = peer.clone();
        let outage: Arc<Mutex<Option<Outage>>> = Arc::default();
        let monitor_outage = outage.clone();
        tokio::spawn(async move {
            let stop = tokio::select! {
                how = process.wait() => Err(how),
                grace = stop_rx => Ok((grace.unwrap_or(Duration::from_millis(500)), "stopped".to_string())),
                Ok(why) = violation_rx => Ok((Duration::from_millis(200), why)),
            };
            let how = match stop {
                Err(how) => how,
                Ok((grace, how)) => {
                    process.stop(grace).await;
                    how
                }
            };
            *monitor_outage.lock().unwrap() = process.outage();
            let _ = exit_tx.send(Some(how));
            // Calls in flight fail now, even when a grandchild still holds its stdout open.
            monitor_peer.close();
        });

        let fail = |what: String, tail: &Arc<Mutex<VecDeque<String>>>| StartError::Initialize {
            server: name.clone(),
            what,
            stderr: tail.lock().unwrap().iter().cloned().collect(),
        };

        let params = json!({
            "protocolVersion": PROTOCOL_VERSIONS[PROTOCOL_VERSIONS.len() - 1],
            "capabilities": gateway_capabilities(),
            "clientInfo": {"name": "dockside", "version": env!("CARGO_PKG_VERSION")},
        });
        let pending = peer.start_request("initialize", Some(params), None);
        let reply = tokio::select! {
            r = tokio::time::timeout(init_timeout, pending.reply()) => r,
            _ = eof_rx.wait_for(|eof| *eof) => Ok(Err(peer::PeerError::Closed(String::new()))),
        };
        let (init, session, discover) = match reply {
            Ok(Ok(Ok(result))) => {
                peer.notify("notifications/initialized", None, None);
                // A server of both eras serves stateless requests too (and may offer more there).
                let discover = discover(&peer, DISCOVER_PROBE.min(init_timeout)).await.ok();
                (result, true, discover)
            }
            Ok(Ok(Err(error))) => match discover(&peer, init_timeout).await {
                // A server of the stateless era only: it has no `initialize`.
                Ok(found) => (init_from_discover(&found), false, Some(found)),
                Err(_) => {
                    let _ = stop_tx.send(Duration::from_millis(200));
                    return Err(fail(format!("initialize failed: {error}"), &stderr_tail));
                }
            },
            Ok(Err(_)) => {
                // Give stderr a moment to drain so the error shows why.
                let _ = tokio::time::timeout(Duration::from_millis(500), stderr_done_rx).await;
                let mut rx = exit_rx.clone();
                let how =
                    tokio::time::timeout(Duration::from_millis(500), rx.wait_for(Option::is_some))
                        .await
                        .ok()
                        .and_then(|v| v.ok().and_then(|v| v.clone()))
                        .unwrap_or_else(|| "closed its stdout".into());
                let _ = stop_tx.send(Duration::from_millis(200));
                if let Some(outage) = outage.lock().unwrap().clone() {
                    return Err(StartError::Unavailable {
                        server: name.clone(),
                        outage,
                    });
                }
                return Err(fail(
                    format!("`{}` {how} before answering initialize", spec.command),
                    &stderr_tail,
                ));
            }
            Err(_) => {
                let _ = stop_tx.send(Duration::from_millis(200));
                let what = format!("no answer to initialize within {}s", init_timeout.as_secs());
                // A remote server that does not answer is out of reach, not broken.
                if let Some(remote) = &spec.remote {
                    return Err(StartError::Unavailable {
                        server: name.clone(),
                        outage: Outage::Unreachable(format!("{}: {what}", remote.url)),
                    });
                }
                return Err(fail(what, &stderr_tail));
            }
        };

        let upstream = Arc::new(Upstream {
            spec,
            peer,
            init,
            session,
            discover,
            pid,
            started_at: std::time::SystemTime::now(),
            lists: RwLock::new(Lists::default()),
            modern_lists: RwLock::new(Lists::default()),
            listen: Mutex::new(None),
            stop_tx: Mutex::new(Some(stop_tx)),
            exited: exit_rx,
            stderr_tail,
            handler: slot,
            down_reason: Mutex::new(None),
            outage,
        });
        for kind in [
            ListKind::Tools,
            ListKind::Prompts,
            ListKind::Resources,
            ListKind::Templates,
        ] {
            if let Err(what) = upstream.refresh(kind).await {
                upstream.stop(Duration::from_millis(200)).await;
                return Err(fail(what, &upstream.stderr_tail));
            }
        }
        if upstream.discover.is_some() {
            // What changes for stateless clients is told on a listen stream only.
            let listen = upstream.peer.start_request(
                "subscriptions/listen",
                Some(revision::with_meta(
                    Some(json!({"notifications": {
                        "toolsListChanged": true,
                        "promptsListChanged": true,
                        "resourcesListChanged": true,
                    }})),
                    &gateway_capabilities(),
                )),
                None,
            );
            *upstream.listen.lock().unwrap() = Some(listen);
        }
        Ok(upstream)
    }

    /// Sets who receives the server's notifications and requests (messages that arrived
    /// before are delivered first).
    pub fn set_handler(&self, handler: Handler) {
        let buffered = {
            let mut s = self.handler.lock().unwrap();
            match std::mem::replace(&mut *s, HandlerSlot::Set(handler.clone())) {
                HandlerSlot::Buffer(b) => b,
                HandlerSlot::Set(_) => Vec::new(),
            }
        };
        for msg in buffered {
            handler(msg);
        }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    pub fn capabilities(&self) -> &Value {
        &self.init["capabilities"]
    }

    pub fn has_capability(&self, cap: &str) -> bool {
        self.capabilities().get(cap).is_some_and(|v| !v.is_null())
    }

    /// The lists as a session-era client sees them.
    pub fn lists(&self) -> Lists {
        self.lists_for(false)
    }

    pub fn with_lists<T>(&self, f: impl FnOnce(&Lists) -> T) -> T {
        self.with_lists_for(false, f)
    }

    /// Whether requests for a client of the stateless era (`modern`) or of the session era go to
    /// this server as stateless requests: a stateless client's do when the server speaks that
    /// era; everyone's do when it speaks nothing else.
    pub fn stateless_for(&self, modern: bool) -> bool {
        !self.session || (modern && self.discover.is_some())
    }

    /// The lists as a client of the stateless era (`modern`) or of the session era sees them.
    pub fn lists_for(&self, modern: bool) -> Lists {
        self.with_lists_for(modern, Lists::clone)
    }

    pub fn with_lists_for<T>(&self, modern: bool, f: impl FnOnce(&Lists) -> T) -> T {
        if self.stateless_for(modern) {
            f(&self.modern_lists.read().unwrap())
        } else {
            f(&self.lists.read().unwrap())
        }
    }

    /// Re-reads one list from the server (all pages), in each era it speaks.
    pub async fn refresh(&self, kind: ListKind) -> Result<(), String> {
        if self.session {
            let items = self.read_list(kind, false).await?;
            store(&self.lists, kind, items);
        }
        if self.discover.is_some() {
            let items = self.read_list(kind, true).await?;
            store(&self.modern_lists, kind, items);
        }
        Ok(())
    }

    async fn read_list(
        &self,
        kind: ListKind,
        stateless: bool,
    ) -> Result<(Vec<Value>, Option<(u64, String)>), String> {
        let mut items = Vec::new();
        let mut hints: Option<(u64, String)> = None;
        if self.has_capability(kind.capability()) {
            let mut cursor: Option<Value> = None;
            loop {
                let params = cursor.as_ref().map(|c| json!({ "cursor": c }));
                let params = if stateless {
                    Some(revision::with_meta(params, &gateway_capabilities()))
                } else {
                    params
                };
                match self.peer.request(kind.method(), params).await {
                    Ok(Ok(mut result)) => {
                        if stateless {
                            let (ttl, scope) = revision::hints(&result);
                            let merged = revision::merge_hints(
                                hints
                                    .iter()
                                    .map(|(t, s)| (*t, s.as_str()))
                                    .chain([(ttl, scope)]),
                            );
                            hints = Some((merged.0, merged.1.to_owned()));
                        }
                        if let Some(Value::Array(page)) =
                            result.get_mut(kind.field()).map(Value::take)
                        {
                            items.extend(page);
                        }
                        match result.get("nextCursor") {
                            Some(c) if !c.is_null() => cursor = Some(c.clone()),
                            _ => break,
                        }
                    }
                    // A server that advertises a capability but lacks one of its lists (e.g. no
                    // templates) simply has none.
                    Ok(Err(e))
                        if e["code"] == json!(crate::protocol::jsonrpc::METHOD_NOT_FOUND) =>
                    {
                        break
                    }
                    Ok(Err(e)) => return Err(format!("{} failed: {e}", kind.method())),
                    Err(e) => return Err(format!("{} failed: {e}", kind.method())),
                }
            }
        }
        Ok((items, hints))
    }

    /// Resolves when the server has exited, with how.
    pub async fn exited(&self) -> String {
        let mut rx = self.exited.clone();
        let how = match rx.wait_for(Option::is_some).await {
            Ok(v) => v.clone().unwrap_or_default(),
            Err(_) => "exited".into(),
        };
        how
    }

    /// How the server exited, once it has.
    pub fn exit_status(&self) -> Option<String> {
        self.exited.borrow().clone()
    }

    /// Records why the gateway is taking the server down (shown to callers whose calls fail).
    pub fn set_down_reason(&self, reason: String) {
        *self.down_reason.lock().unwrap() = Some(reason);
    }

    pub fn down_reason(&self) -> Option<String> {
        self.down_reason.lock().unwrap().clone()
    }

    /// Once it has exited: whether a remote server went out of reach.
    pub fn outage(&self) -> Option<Outage> {
        self.outage.lock().unwrap().clone()
    }

    pub fn is_running(&self) -> bool {
        self.exited.borrow().is_none() && !self.peer.is_closed()
    }

    /// Health: the process runs and answers `ping` (`server/discover` in the stateless era,
    /// which has no `ping`) within `timeout`.
    pub async fn healthy(&self, timeout: Duration) -> bool {
        let probe = if self.session {
            self.peer.request("ping", None)
        } else {
            self.peer.request(
                "server/discover",
                Some(revision::with_meta(None, &gateway_capabilities())),
            )
        };
        self.is_running() && matches!(tokio::time::timeout(timeout, probe).await, Ok(Ok(Ok(_))))
    }

    /// The last lines the server wrote to stderr.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr_tail.lock().unwrap().iter().cloned().collect()
    }

    /// Stops the server (SIGTERM to its group, SIGKILL after `grace`) and waits for it.
    pub async fn stop(&self, grace: Duration) {
        let tx = self.stop_tx.lock().unwrap().take();
        if let Some(tx) = tx {
            let _ = tx.send(grace);
        }
        self.exited().await;
        self.peer.close();
    }
}

/// How long a server that answered `initialize` gets to answer `server/discover` (a session-era
/// server answers "method not found" at once; one that does not answer is taken as session-era).
const DISCOVER_PROBE: Duration = Duration::from_secs(3);

/// The capabilities the gateway declares to servers: it passes their requests to its clients.
pub fn gateway_capabilities() -> Value {
    json!({
        "roots": {"listChanged": true},
        "sampling": {},
        "elicitation": {},
    })
}

/// Asks a server for its `server/discover`: `Ok` when it speaks the stateless era.
async fn discover(peer: &Peer, timeout: Duration) -> Result<Value, ()> {
    let params = revision::with_meta(None, &gateway_capabilities());
    match tokio::time::timeout(timeout, peer.request("server/discover", Some(params))).await {
        Ok(Ok(Ok(found)))
            if found["supportedVersions"].as_array().is_some_and(|v| {
                v.iter()
                    .any(|v| v.as_str().is_some_and(revision::is_modern))
            }) =>
        {
            Ok(found)
        }
        _ => Err(()),
    }
}

/// The `initialize`-shaped facts of a server that only has `server/discover`.
fn init_from_discover(found: &Value) -> Value {
    let mut init = json!({
        "protocolVersion": revision::MODERN,
        "capabilities": found.get("capabilities").cloned().unwrap_or_else(|| json!({})),
    });
    if let Some(info) = found["_meta"].get(revision::META_SERVER_INFO) {
        init["serverInfo"] = info.clone();
    }
    if let Some(instructions) = found.get("instructions") {
        init["instructions"] = instructions.clone();
    }
    init
}

fn store(
    lists: &RwLock<Lists>,
    kind: ListKind,
    (items, hints): (Vec<Value>, Option<(u64, String)>),
) {
    let mut lists = lists.write().unwrap();
    match kind {
        ListKind::Tools => lists.tools = items,
        ListKind::Prompts => lists.prompts = items,
        ListKind::Resources => lists.resources = items,
        ListKind::Templates => lists.templates = items,
    }
    match hints {
        Some(h) => lists.hints.insert(kind, h),
        None => lists.hints.remove(&kind),
    };
}
