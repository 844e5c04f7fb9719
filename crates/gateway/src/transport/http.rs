//! The Streamable HTTP transport (MCP 2025-03-26+): `POST`/`GET`/`DELETE` on `/mcp` (aggregated)
//! and `/mcp/<server>` (one server, its own names), each client with its own session
//! (`Mcp-Session-Id`).
//!
//! A `POST` carrying requests is answered with an SSE stream that carries everything related to
//! those requests — progress, server→client requests such as sampling — and ends with their
//! responses. Other server messages go to the session's `GET` stream (kept in a small backlog
//! until the client opens it). A POST outside any session that declares the stateless revision
//! (2026-07-28) is served on its own ([`super::stateless`]). Cross-cutting checks are tower layers around the handlers:
//! [`local_only`] (Host/Origin: DNS-rebinding protection, 403) and [`require_token`] (bearer
//! token, 401).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use tokio::sync::mpsc;

use super::common::{accepts_sse, error_response, known_scope};
use super::resume::{EventLog, Item, GET_STREAM, RETRY};
use super::sign_in::{self, SignIn};
use super::stateless;
use crate::engine::gateway::{Gateway, Session};
use crate::protocol::jsonrpc::{self, Kind};
use crate::protocol::peer::{Outbound, MAX_LINE};
use crate::protocol::{revision, RESUMABLE_SINCE};

pub use crate::protocol::SESSION_HEADER;
/// Docker's default port for its gateway's HTTP transports.
pub const DEFAULT_PORT: u16 = 8811;
const BACKLOG: usize = 1000;
const LAST_EVENT_ID: &str = "last-event-id";
/// An idle SSE stream gets a comment this often (proxies and clients drop silent connections).
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Sessions without requests for this long and without an open GET stream are closed.
const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
const REAP_EVERY: Duration = Duration::from_secs(60);

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub host: String,
    pub port: u16,
    /// The bearer token clients must send; `None` with `--allow-unauthenticated`.
    pub token: Option<String>,
}

/// `localhost` or a loopback IP address (`127.0.0.0/8`, `::1`).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Routes an HTTP session's outbound messages to the right stream.
#[derive(Default)]
struct Streams {
    /// Open POST streams by the id key of the request they answer.
    posts: HashMap<String, mpsc::UnboundedSender<Item>>,
    get: Option<mpsc::UnboundedSender<Item>>,
    backlog: VecDeque<Item>,
    /// A 2025-11-25 (or later) client: events carry ids and streams can be resumed.
    resumable: bool,
    log: EventLog,
}

struct HttpSession {
    session: Arc<Session>,
    streams: Mutex<Streams>,
    last_seen: Mutex<Instant>,
}

impl HttpSession {
    fn touch(&self) {
        *self.last_seen.lock().unwrap() = Instant::now();
    }

    /// No request for `idle` and no open GET stream: the client is gone without a DELETE.
    fn abandoned(&self, idle: Duration) -> bool {
        let streaming = self
            .streams
            .lock()
            .unwrap()
            .get
            .as_ref()
            .is_some_and(|tx| !tx.is_closed());
        !streaming && self.last_seen.lock().unwrap().elapsed() > idle
    }
}

impl HttpSession {
    fn deliver(&self, out: Outbound) {
        let mut st = self.streams.lock().unwrap();
        if out.msg.is_null() {
            // The request was cancelled, or its stream is to close before the answer (the
            // server closed it upstream): close its POST stream, send nothing.
            if let Some(related) = &out.related {
                let key = jsonrpc::id_key(related);
                if st.posts.remove(&key).is_some() && st.resumable {
                    st.log.await_resume(&key);
                }
            }
            return;
        }
        if st.resumable {
            return deliver_event(&mut st, out);
        }
        let mut msg = out.msg;
        if let Some(related) = &out.related {
            let key = jsonrpc::id_key(related);
            let is_response = matches!(jsonrpc::classify(&msg), Kind::Response { id } if jsonrpc::id_key(id) == key);
            if let Some(tx) = st.posts.get(&key) {
                // Moved, not copied (a 64 KiB result is one allocation less per call); a closed
                // stream hands the message back for the GET stream or the backlog.
                let sent = tx.send(Item::Msg(msg));
                if is_response {
                    st.posts.remove(&key);
                }
                match sent {
                    Ok(()) => return,
                    Err(e) => match e.0 {
                        Item::Msg(m) => msg = m,
                        Item::Event { .. } => return,
                    },
                }
            }
        }
        to_get_stream(&mut st, Item::Msg(msg));
    }
}

/// A resumable session's message: recorded in its event log with an id, then sent on its
/// stream; a POST stream that ended before its answer keeps it for the client's resume.
fn deliver_event(st: &mut Streams, out: Outbound) {
    let key = out.related.as_ref().map(jsonrpc::id_key);
    let is_response = key.as_ref().is_some_and(|k| {
        matches!(jsonrpc::classify(&out.msg), Kind::Response { id } if &jsonrpc::id_key(id) == k)
    });
    let stream = match key {
        Some(k) if st.posts.contains_key(&k) || st.log.is_awaiting(&k) => k,
        _ => GET_STREAM.to_owned(),
    };
    let data: Arc<str> = out.msg.to_string().into();
    let id = st.log.record(&stream, data.clone());
    let item = Item::Event { id, data };
    if stream == GET_STREAM {
        return to_get_stream(st, item);
    }
    if is_response {
        st.log.settle(&stream);
    }
    let sent = st.posts.get(&stream).map(|tx| tx.send(item).is_ok());
    if is_response {
        st.posts.remove(&stream);
    } else if sent == Some(false) {
        // The client went away mid-stream: it may come back with Last-Event-ID.
        st.posts.remove(&stream);
        st.log.await_resume(&stream);
    }
}

fn to_get_stream(st: &mut Streams, item: Item) {
    if let Some(tx) = &st.get {
        match tx.send(item) {
            Ok(()) => return,
            Err(e) => {
                st.get = None;
                st.backlog.push_back(e.0);
            }
        }
    } else {
        st.backlog.push_back(item);
    }
    if st.backlog.len() > BACKLOG {
        st.backlog.pop_front();
    }
}

/// Shared state of the HTTP front end.
#[derive(Clone)]
pub struct HttpState {
    gw: Gateway,
    sessions: Arc<Mutex<HashMap<String, Arc<HttpSession>>>>,
}

impl HttpState {
    /// Must be called inside a Tokio runtime: it starts the reaper of abandoned sessions.
    pub fn new(gw: Gateway) -> HttpState {
        let state = HttpState {
            gw,
            sessions: Arc::new(Mutex::new(HashMap::new())),
        };
        let sessions = Arc::downgrade(&state.sessions);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REAP_EVERY).await;
                let Some(sessions) = sessions.upgrade() else {
                    return;
                };
                let gone: Vec<Arc<HttpSession>> = {
                    let mut map = sessions.lock().unwrap();
                    let ids: Vec<String> = map
                        .iter()
                        .filter(|(_, s)| s.abandoned(SESSION_IDLE))
                        .map(|(id, _)| id.clone())
                        .collect();
                    ids.iter().filter_map(|id| map.remove(id)).collect()
                };
                for s in gone {
                    tracing::debug!(
                        session = s.session.id(),
                        "closing an abandoned HTTP session"
                    );
                    s.session.close();
                }
            }
        });
        state
    }

    /// Ends every session and its streams (the server is stopping).
    pub fn close_all(&self) {
        let all: Vec<Arc<HttpSession>> = self
            .sessions
            .lock()
            .unwrap()
            .drain()
            .map(|(_, s)| s)
            .collect();
        for s in all {
            {
                let mut streams = s.streams.lock().unwrap();
                streams.get = None;
                streams.posts.clear();
            }
            s.session.close();
        }
    }

    pub fn session_count(&self) -> usize {
        self.sessions.lock().unwrap().len()
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An SSE response carrying the items of `rx` until every sender is gone, with a comment every
/// [`KEEP_ALIVE`] of silence. Framed here rather than with axum's `Sse`, which cannot write the
/// empty `data:` line of a priming event.
fn sse_from(rx: mpsc::UnboundedReceiver<Item>) -> Response {
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let chunk = match tokio::time::timeout(KEEP_ALIVE, rx.recv()).await {
            Err(_) => Bytes::from_static(b":\n\n"),
            Ok(None) => return None,
            Ok(Some(item)) => Bytes::from(frame(&item)),
        };
        Some((Ok::<_, Infallible>(chunk), rx))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// One SSE event (JSON text never holds a raw line break).
fn frame(item: &Item) -> String {
    match item {
        Item::Msg(msg) => format!("event: message\ndata: {msg}\n\n"),
        // A priming event: an id to resume from, and how long to wait before reconnecting.
        Item::Event { id, data } if data.is_empty() => {
            format!("id: {id}\nretry: {}\ndata: \n\n", RETRY.as_millis())
        }
        Item::Event { id, data } => format!("id: {id}\nevent: message\ndata: {data}\n\n"),
    }
}

/// The MCP routes: `/mcp` and `/mcp/{server}`.
pub fn mcp_router(state: HttpState) -> Router {
    Router::new()
        .route(
            "/mcp",
            post(post_aggregated)
                .get(get_aggregated)
                .delete(delete_aggregated),
        )
        .route(
            "/mcp/{server}",
            post(post_scoped).get(get_scoped).delete(delete_scoped),
        )
        // As large as a message may be on stdio (axum's default, 2 MiB, refused larger ones).
        .layer(DefaultBodyLimit::max(MAX_LINE))
        .with_state(state)
}

async fn post_aggregated(State(st): State<HttpState>, headers: HeaderMap, body: Bytes) -> Response {
    handle_post(st, None, headers, body).await
}
async fn post_scoped(
    State(st): State<HttpState>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    handle_post(st, Some(server), headers, body).await
}
async fn get_aggregated(State(st): State<HttpState>, headers: HeaderMap) -> Response {
    handle_get(st, None, headers)
}
async fn get_scoped(
    State(st): State<HttpState>,
    Path(server): Path<String>,
    headers: HeaderMap,
) -> Response {
    handle_get(st, Some(server), headers)
}
async fn delete_aggregated(State(st): State<HttpState>, headers: HeaderMap) -> Response {
    handle_delete(st, None, headers)
}
async fn delete_scoped(
    State(st): State<HttpState>,
    Path(server): Path<String>,
    headers: HeaderMap,
) -> Response {
    handle_delete(st, Some(server), headers)
}

fn find_session(
    st: &HttpState,
    scope: &Option<String>,
    headers: &HeaderMap,
) -> Result<Arc<HttpSession>, Box<Response>> {
    let Some(id) = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) else {
        return Err(Box::new(error_response(
            StatusCode::BAD_REQUEST,
            jsonrpc::INVALID_REQUEST,
            "missing Mcp-Session-Id header: send initialize first",
        )));
    };
    match st.sessions.lock().unwrap().get(id) {
        Some(s) if s.session.scope() == scope.as_deref() => Ok(s.clone()),
        _ => Err(Box::new(error_response(
            StatusCode::NOT_FOUND,
            jsonrpc::INVALID_REQUEST,
            "unknown or expired session: initialize a new one",
        ))),
    }
}

async fn handle_post(
    st: HttpState,
    scope: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                jsonrpc::PARSE_ERROR,
                format!("Parse error: {e}"),
            )
        }
    };
    if headers.get(SESSION_HEADER).is_none() && is_stateless(&headers, &parsed) {
        return stateless::post(&st.gw, scope, &headers, parsed).await;
    }
    let msgs = jsonrpc::unbatch(parsed);
    let is_init = msgs.iter().any(|m| {
        matches!(
            jsonrpc::classify(m),
            Kind::Request {
                method: "initialize",
                ..
            }
        )
    });
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        if !ct
            .to_str()
            .is_ok_and(|c| c.trim_start().starts_with("application/json"))
        {
            return error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                jsonrpc::INVALID_REQUEST,
                "POST bodies must be application/json",
            );
        }
    }
    // After initialize, clients name the negotiated version in a header.
    if let (false, Some(v)) = (is_init, headers.get("mcp-protocol-version")) {
        if !v
            .to_str()
            .is_ok_and(|v| crate::protocol::PROTOCOL_VERSIONS.contains(&v))
        {
            return error_response(
                StatusCode::BAD_REQUEST,
                jsonrpc::INVALID_REQUEST,
                format!(
                    "unsupported MCP-Protocol-Version {v:?}; supported: {}",
                    crate::protocol::PROTOCOL_VERSIONS.join(", ")
                ),
            );
        }
    }
    let mut new_session_id = None;
    let hs = if is_init && headers.get(SESSION_HEADER).is_none() {
        if let Err(r) = known_scope(&st.gw, &scope).await {
            return *r;
        }
        let (session, mut rx) = st.gw.open_session(scope.clone());
        let hs = Arc::new(HttpSession {
            session,
            streams: Mutex::new(Streams::default()),
            last_seen: Mutex::new(Instant::now()),
        });
        let id = random_id();
        st.sessions.lock().unwrap().insert(id.clone(), hs.clone());
        let pump = Arc::downgrade(&hs);
        tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let Some(hs) = pump.upgrade() else { return };
                hs.deliver(out);
            }
        });
        new_session_id = Some(id);
        hs
    } else {
        match find_session(&st, &scope, &headers) {
            Ok(hs) => hs,
            Err(r) => return *r,
        }
    };

    hs.touch();
    let request_keys: Vec<String> = msgs
        .iter()
        .filter_map(|m| match jsonrpc::classify(m) {
            Kind::Request { id, .. } => Some(jsonrpc::id_key(id)),
            _ => None,
        })
        .collect();
    if request_keys.is_empty() {
        for m in msgs {
            hs.session.handle(m);
        }
        return StatusCode::ACCEPTED.into_response();
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let sse = accepts_sse(&headers);
    {
        let mut streams = hs.streams.lock().unwrap();
        // Events with ids (and a priming event) for clients that can resume a stream; the
        // version is known once `initialize` is through.
        streams.resumable = sse && hs.session.protocol_version().as_str() >= RESUMABLE_SINCE;
        if streams.resumable {
            if let [key] = request_keys.as_slice() {
                let id = streams.log.record(key, "".into());
                let _ = tx.send(Item::Event {
                    id,
                    data: "".into(),
                });
            }
        }
        for k in &request_keys {
            streams.posts.insert(k.clone(), tx.clone());
        }
    }
    drop(tx);
    for m in msgs {
        hs.session.handle(m);
    }
    let mut response = if sse {
        sse_from(rx)
    } else {
        // JSON mode: wait for the responses; anything else goes to the GET stream.
        let mut responses = Vec::new();
        while let Some(item) = rx.recv().await {
            let Item::Msg(msg) = item else { continue };
            if matches!(jsonrpc::classify(&msg), Kind::Response { .. }) {
                responses.push(msg);
            } else {
                hs.deliver(Outbound { msg, related: None });
            }
        }
        let body = if responses.len() == 1 {
            responses.pop().unwrap_or_default()
        } else {
            Value::Array(responses)
        };
        axum::Json(body).into_response()
    };
    if let Some(id) = new_session_id {
        if let Ok(v) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(SESSION_HEADER, v);
        }
    }
    response
}

/// A POST outside any session is a stateless (2026-07-28) request when its `_meta` or its
/// `MCP-Protocol-Version` header names that era.
fn is_stateless(headers: &HeaderMap, msg: &Value) -> bool {
    revision::declared_version(msg.get("params")).is_some()
        || headers
            .get(revision::VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| !crate::protocol::PROTOCOL_VERSIONS.contains(&v))
}

fn handle_get(st: HttpState, scope: Option<String>, headers: HeaderMap) -> Response {
    if !accepts_sse(&headers) {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    let hs = match find_session(&st, &scope, &headers) {
        Ok(hs) => hs,
        Err(r) => return *r,
    };
    let (tx, rx) = mpsc::unbounded_channel();
    {
        let mut streams = hs.streams.lock().unwrap();
        let last = headers
            .get(LAST_EVENT_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match last.and_then(|id| streams.log.stream_of(id).map(|s| (id, s))) {
            // Resuming a POST stream: what it missed, then the rest until its answer.
            Some((id, stream)) if stream != GET_STREAM => {
                for item in streams.log.after(id, &stream) {
                    let _ = tx.send(item);
                }
                if streams.log.is_awaiting(&stream) {
                    streams.log.settle(&stream);
                    streams.posts.insert(stream, tx);
                }
            }
            Some((id, _)) => {
                for item in streams.log.after(id, GET_STREAM) {
                    let _ = tx.send(item);
                }
                streams.backlog.clear();
                streams.get = Some(tx);
            }
            None => {
                for msg in streams.backlog.drain(..) {
                    let _ = tx.send(msg);
                }
                streams.get = Some(tx);
            }
        }
    }
    sse_from(rx)
}

fn handle_delete(st: HttpState, scope: Option<String>, headers: HeaderMap) -> Response {
    let hs = match find_session(&st, &scope, &headers) {
        Ok(hs) => hs,
        Err(r) => return *r,
    };
    if let Some(id) = headers.get(SESSION_HEADER).and_then(|v| v.to_str().ok()) {
        st.sessions.lock().unwrap().remove(id);
    }
    hs.session.close();
    StatusCode::OK.into_response()
}

// ---------------------------------------------------------------- layers

/// Host names a local gateway answers to.
#[derive(Clone, Debug)]
pub struct LocalHosts {
    hosts: Arc<Vec<String>>,
    /// Check `Host` too: only when listening on loopback, where DNS rebinding is the threat.
    /// Listening on another address is a deliberate choice to serve other machines (or
    /// containers), which reach us under names we cannot know; the token protects that.
    check_host: bool,
}

impl LocalHosts {
    pub fn new(bind_host: &str) -> LocalHosts {
        let mut hosts: Vec<String> = vec![
            "localhost".into(),
            "127.0.0.1".into(),
            "[::1]".into(),
            "::1".into(),
        ];
        let bind = bind_host.to_lowercase();
        let loopback = hosts.contains(&bind)
            || bind
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !hosts.contains(&bind) && bind != "0.0.0.0" && bind != "::" {
            hosts.push(bind);
        }
        LocalHosts {
            hosts: Arc::new(hosts),
            check_host: loopback,
        }
    }

    fn allows_host(&self, host_port: &str) -> bool {
        let host = strip_port(host_port).to_lowercase();
        self.hosts.contains(&host)
    }
}

fn strip_port(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix('[') {
        // [::1]:port
        return match rest.find(']') {
            Some(end) => &s[..end + 2],
            None => s,
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => s,
    }
}

/// Rejects requests whose `Host` or `Origin` is not local (DNS-rebinding protection): 403.
pub async fn local_only(State(hosts): State<LocalHosts>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    if let Some(host) = headers.get(header::HOST).filter(|_| hosts.check_host) {
        let ok = host.to_str().is_ok_and(|h| hosts.allows_host(h));
        if !ok {
            return forbidden("Host");
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let ok = origin.to_str().is_ok_and(|o| {
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .is_some_and(|rest| hosts.allows_host(rest.trim_end_matches('/')))
        });
        if !ok {
            return forbidden("Origin");
        }
    }
    next.run(req).await
}

fn forbidden(what: &str) -> Response {
    error_response(
        StatusCode::FORBIDDEN,
        jsonrpc::INVALID_REQUEST,
        format!("forbidden: the request's {what} is not local (the Dockside gateway only accepts local clients)"),
    )
}

/// What the [`require_token`] layer accepts: the daemon's token anywhere, and on the MCP
/// endpoints the access tokens its sign-in issued ([`SignIn`]).
#[derive(Clone)]
pub struct Token {
    pub token: Arc<String>,
    pub sign_in: SignIn,
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Requires `Authorization: Bearer <token>`: 401 otherwise, with `WWW-Authenticate` naming the
/// protected-resource metadata, so a standard MCP client can sign in.
pub async fn require_token(State(token): State<Token>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let allowed = given.is_some_and(|t| {
        constant_time_eq(t.as_bytes(), token.token.as_bytes())
            || (sign_in::is_mcp_path(req.uri().path()) && token.sign_in.accepts(t))
    });
    if allowed {
        return next.run(req).await;
    }
    let mut r = error_response(
        StatusCode::UNAUTHORIZED,
        jsonrpc::INVALID_REQUEST,
        "unauthorized: send `Authorization: Bearer <token>` (`dockside status` shows the token), or sign in through the gateway's OAuth metadata",
    );
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, sign_in::challenge(&req));
    r
}

/// Wraps routes in the token and local-only layers.
pub fn secure(router: Router, opts: &HttpOptions) -> Router {
    let router = match &opts.token {
        Some(t) => {
            let token = Arc::new(t.clone());
            let sign_in = SignIn::new(token.clone());
            router
                .layer(middleware::from_fn_with_state(
                    Token {
                        token,
                        sign_in: sign_in.clone(),
                    },
                    require_token,
                ))
                .merge(sign_in.router())
        }
        None => router,
    };
    router.layer(middleware::from_fn_with_state(
        LocalHosts::new(&opts.host),
        local_only,
    ))
}

/// Binds the listener (port 0 picks a free port).
pub async fn bind(opts: &HttpOptions) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = format!("{}:{}", opts.host, opts.port);
    tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Serves `/mcp` (plus `extra` routes, e.g. the control API) until the future is dropped.
pub async fn serve(gw: Gateway, opts: HttpOptions, extra: Option<Router>) -> anyhow::Result<()> {
    let listener = bind(&opts).await?;
    serve_on(listener, gw, opts, extra).await
}

pub async fn serve_on(
    listener: tokio::net::TcpListener,
    gw: Gateway,
    opts: HttpOptions,
    extra: Option<Router>,
) -> anyhow::Result<()> {
    let local: SocketAddr = listener.local_addr()?;
    let mut router = mcp_router(HttpState::new(gw));
    if let Some(extra) = extra {
        router = router.merge(extra);
    }
    let router = secure(router, &opts);
    eprintln!("dockside gateway listening on http://{local}/mcp");
    axum::serve(low_latency(listener), router).await?;
    Ok(())
}

/// Sets `TCP_NODELAY` on every accepted connection. A small reply goes out in two writes (the
/// headers with the event, then the closing chunk); with Nagle's algorithm on, the second waits
/// for the client's delayed ACK — about 40 ms per call.
pub fn low_latency(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts() {
        let h = LocalHosts::new("127.0.0.1");
        assert!(h.allows_host("127.0.0.1:8811"));
        assert!(h.allows_host("localhost"));
        assert!(h.allows_host("[::1]:80"));
        assert!(!h.allows_host("evil.example:8811"));
        assert!(!h.allows_host("127.0.0.1.evil.example"));
        assert!(h.check_host);
        assert!(!LocalHosts::new("0.0.0.0").check_host);
        assert!(LocalHosts::new("127.0.0.2").check_host);
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
    }
}
