//! The router/aggregator: client sessions on one side, upstreams on the other.
//!
//! A [`Gateway`] owns the running upstreams and every client [`Session`]. A session is either
//! *aggregated* (every upstream, names prefixed) or *scoped* to one server (its own names, the
//! same running upstream). Requests are routed by name or URI; ids are remapped by each
//! [`Peer`]; progress tokens are replaced by gateway-unique ones and mapped back; server→client
//! requests (sampling, elicitation, roots) go to the client whose call is in flight on that
//! upstream (the most recent one), or else to the most recently active client that sees it.
//!
//! The gateway is one aggregate: what a session does with a client's messages is in
//! [`session`] (its tool calls pass through [`crate::engine::pipeline`]); what happens when an
//! upstream dies or hangs is in [`supervisor`]. Behaviour that follows the set of wanted servers
//! from outside (live reload) is installed as an [`Observer`].

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use crate::engine::logs::{LogConfig, LogStore};
use crate::engine::metrics::CallMetricsStore;
use crate::engine::naming::{self, Exposed, ToolPattern};
use crate::engine::pipeline::{self, Pipeline};
use crate::engine::secrets::SecretScanner;
use crate::protocol::jsonrpc::{self, Kind, INTERNAL_ERROR};
use crate::protocol::peer::{Outbound, Peer};
use crate::protocol::{RESUMABLE_SINCE, STREAM_CLOSED};
pub mod session;
mod stateless;
pub mod supervisor;
mod tasks;
#[cfg(test)]
mod tests;

use crate::upstream::{
    Launcher, ListKind, LogLine, Outage, ProcessLauncher, StartError, Upstream, UpstreamSpec,
};
use dockside_api::{LogEntry, Metrics, ToolLatency};
pub use session::Session;
use session::SessionState;
use supervisor::{History, SupervisorConfig};

/// Gateway-wide settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// `--tools` patterns (empty: every tool the servers' own allow-lists permit).
    pub tool_patterns: Vec<ToolPattern>,
    /// `--block-secrets`: refuse tool calls whose arguments or text results hold secrets.
    pub block_secrets: bool,
    /// `--log-calls`: log each tool call (name, argument keys, duration; never values).
    pub log_calls: bool,
    /// How long a server may take to answer `initialize`.
    pub init_timeout: Duration,
    /// Restart crashed servers with backoff (the daemon does; `gateway run` too).
    pub restart: bool,
    /// Backoff, crash-loop and health-check limits.
    pub supervisor: SupervisorConfig,
    /// Where server logs are written (`None`: memory and events only).
    pub logs: Option<LogConfig>,
    /// With `log_calls`: also log argument values (off by default: they may hold secrets).
    pub log_call_args: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            tool_patterns: Vec::new(),
            block_secrets: true,
            log_calls: true,
            init_timeout: Duration::from_secs(60),
            restart: true,
            supervisor: SupervisorConfig::default(),
            logs: None,
            log_call_args: false,
        }
    }
}

/// The control API's run state of a remote server out of reach.
pub fn run_state(outage: &Outage) -> dockside_api::RunState {
    match outage {
        Outage::Unreachable(_) => dockside_api::RunState::Unreachable,
        Outage::NeedsSignIn(_) => dockside_api::RunState::NeedsSignIn,
    }
}

/// Something that happened to an upstream: the control API's event type, one definition in core.
pub type GatewayEvent = dockside_api::Event;

/// How long a request for a name waits for servers that are still starting.
pub(crate) const STARTUP_WAIT: Duration = Duration::from_secs(30);

/// Exposed names over all running upstreams, rebuilt whenever a list or the set changes.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) tools: IndexMap<String, Exposed>,
    pub(crate) prompts: IndexMap<String, Exposed>,
    warnings: Vec<String>,
}

impl Index {
    /// The exposed tools or prompts (the two kinds looked up by name).
    pub(crate) fn named(&self, kind: ListKind) -> &IndexMap<String, Exposed> {
        if kind == ListKind::Tools {
            &self.tools
        } else {
            &self.prompts
        }
    }
}

pub(crate) struct ProgressRoute {
    pub(crate) session: Weak<Session>,
    pub(crate) token: Value,
    pub(crate) client_id: Value,
    /// When the last notification went to the client.
    pub(crate) last_sent: Option<Instant>,
}

/// A reply that follows a progress notification closer than this waits the rest: the
/// TypeScript SDK handles notifications a tick after responses, so a progress notification that
/// reaches it in the same read as the reply is dropped.
pub(crate) const PROGRESS_GAP: Duration = Duration::from_millis(10);

struct ActiveCall {
    seq: u64,
    session: Weak<Session>,
    client_id: Value,
    /// A stateless client's call: the server's requests go here (they become `input_required`).
    inbox: Option<mpsc::UnboundedSender<stateless::Step>>,
}

/// Who answers a request a server sends.
pub(crate) enum Route {
    /// This client, for the call it relates to (if any).
    Client(Arc<Session>, Option<Value>),
    /// The stateless client behind this call, through its `input_required` result.
    Inbox(mpsc::UnboundedSender<stateless::Step>),
}

pub(crate) struct Inner {
    pub(crate) config: GatewayConfig,
    launcher: Box<dyn Launcher>,
    pub(crate) upstreams: RwLock<IndexMap<String, Arc<Upstream>>>,
    /// Specs of servers that should run (running, starting or restarting).
    pub(crate) wanted: Mutex<IndexMap<String, UpstreamSpec>>,
    pub(crate) index: RwLock<Arc<Index>>,
    /// The same for stateless-era clients (servers may offer them more).
    modern_index: RwLock<Arc<Index>>,
    /// Calls of stateless clients waiting for their answers, by `requestState`.
    parked: Mutex<HashMap<String, stateless::Parked>>,
    pub(crate) sessions: Mutex<HashMap<u64, Weak<Session>>>,
    pub(crate) progress: Mutex<HashMap<String, ProgressRoute>>,
    calls: Mutex<HashMap<String, Vec<ActiveCall>>>,
    pub(crate) supervision: Mutex<HashMap<String, History>>,
    /// Remote servers out of reach (unreachable, or waiting for sign-in), until they run.
    outages: Mutex<HashMap<String, Outage>>,
    metrics: Arc<CallMetricsStore>,
    log_store: Arc<LogStore>,
    /// The layers around each `tools/call` forward.
    pub(crate) pipeline: Pipeline,
    /// Installed from outside ([`Gateway::observe`]): told which servers are wanted.
    observers: RwLock<Vec<Arc<dyn Observer>>>,
    scanner: Arc<RwLock<SecretScanner>>,
    pub(crate) events: broadcast::Sender<GatewayEvent>,
    logs: broadcast::Sender<LogLine>,
    seq: AtomicU64,
}

/// Follows the servers a gateway wants, installed from outside ([`Gateway::observe`]).
pub trait Observer: Send + Sync {
    /// `spec` is wanted now: it is starting, or starting again with this spec.
    fn wanted(&self, gw: &Gateway, spec: &UpstreamSpec);
    /// `name` is no longer wanted.
    fn dropped(&self, name: &str);
}

/// A [`Gateway`] that may have shut down.
#[derive(Clone)]
pub struct WeakGateway(Weak<Inner>);

impl WeakGateway {
    pub fn upgrade(&self) -> Option<Gateway> {
        self.0.upgrade().map(Gateway::from_inner)
    }
}

/// The gateway engine. Cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<Inner>,
}

impl Gateway {
    pub fn new(config: GatewayConfig) -> Gateway {
        Gateway::with_launcher(config, Box::new(ProcessLauncher))
    }

    pub fn with_launcher(config: GatewayConfig, launcher: Box<dyn Launcher>) -> Gateway {
        let (events, _) = broadcast::channel(1024);
        let (logs, _) = broadcast::channel(4096);
        let log_store = Arc::new(LogStore::new(config.logs.clone()));
        let metrics = Arc::new(CallMetricsStore::default());
        let scanner = Arc::new(RwLock::new(SecretScanner::default()));
        // Outermost first; adding a layer is one line.
        let mut layers: Vec<Box<dyn pipeline::Layer>> = vec![Box::new(pipeline::AllowList {
            patterns: config.tool_patterns.clone(),
        })];
        if config.block_secrets {
            layers.push(Box::new(pipeline::SecretBlock {
                scanner: scanner.clone(),
            }));
        }
        layers.push(Box::new(pipeline::Metrics {
            store: metrics.clone(),
        }));
        if config.log_calls {
            layers.push(Box::new(pipeline::CallLog {
                store: log_store.clone(),
                with_arguments: config.log_call_args,
            }));
        }
        let gw = Gateway {
            inner: Arc::new(Inner {
                config,
                launcher,
                upstreams: RwLock::new(IndexMap::new()),
                wanted: Mutex::new(IndexMap::new()),
                index: RwLock::new(Arc::new(Index::default())),
                modern_index: RwLock::new(Arc::new(Index::default())),
                parked: Mutex::new(HashMap::new()),
                sessions: Mutex::new(HashMap::new()),
                progress: Mutex::new(HashMap::new()),
                calls: Mutex::new(HashMap::new()),
                supervision: Mutex::new(HashMap::new()),
                outages: Mutex::new(HashMap::new()),
                metrics,
                log_store,
                pipeline: Pipeline::new(layers),
                observers: RwLock::new(Vec::new()),
                scanner,
                events,
                logs,
                seq: AtomicU64::new(1),
            }),
        };
        // Server stderr lines go to the log store (ring, files). They stay off the lifecycle
        // event channel: a server flooding stderr must not push `server-crashed` out of a slow
        // subscriber's window (`subscribe_logs` is their own channel). The task ends with the
        // gateway (when the last log sender goes).
        let mut logs = gw.inner.logs.subscribe();
        let weak = Arc::downgrade(&gw.inner);
        tokio::spawn(async move {
            loop {
                match logs.recv().await {
                    Ok(l) => {
                        let Some(inner) = weak.upgrade() else { return };
                        inner.log_store.push(LogEntry {
                            server: l.server,
                            at_ms: l.at_ms,
                            line: l.line,
                        });
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                }
            }
        });
        gw
    }

    pub(crate) fn from_inner(inner: Arc<Inner>) -> Gateway {
        Gateway { inner }
    }

    /// A handle that does not keep the gateway alive (for observers and background tasks).
    pub fn downgrade(&self) -> WeakGateway {
        WeakGateway(Arc::downgrade(&self.inner))
    }

    /// Installs an observer of the wanted servers (e.g. live reload); it sees every server
    /// started from now on.
    pub fn observe(&self, observer: Arc<dyn Observer>) {
        self.inner.observers.write().unwrap().push(observer);
    }

    fn wanted_now(&self, spec: &UpstreamSpec) {
        let observers = self.inner.observers.read().unwrap().clone();
        for o in observers {
            o.wanted(self, spec);
        }
    }

    fn dropped(&self, name: &str) {
        let observers = self.inner.observers.read().unwrap().clone();
        for o in observers {
            o.dropped(name);
        }
    }

    /// Whether `name` is wanted (running, starting or restarting).
    pub fn wants(&self, name: &str) -> bool {
        self.inner.wanted.lock().unwrap().contains_key(name)
    }

    /// Restarts `name` from its spec, also out of a crash loop (its code changed: that is how a
    /// developer gets out of one).
    pub async fn reload_server(&self, name: &str) {
        let spec = self.inner.wanted.lock().unwrap().get(name).cloned();
        let spec = spec.or_else(|| {
            self.inner
                .supervision
                .lock()
                .unwrap()
                .get(name)
                .and_then(|h| h.crash_loop.clone())
        });
        let Some(spec) = spec else { return };
        if let Some(old) = self.inner.upstreams.write().unwrap().shift_remove(name) {
            tokio::spawn(async move { old.stop(Duration::from_secs(2)).await });
        }
        if let Err(e) = self.start_server(spec).await {
            tracing::warn!("reloading {name}: {e}");
        }
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    pub fn event_sender(&self) -> broadcast::Sender<GatewayEvent> {
        self.inner.events.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<GatewayEvent> {
        self.inner.events.subscribe()
    }

    pub fn subscribe_logs(&self) -> broadcast::Receiver<LogLine> {
        self.inner.logs.subscribe()
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.inner.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// The running upstreams, in catalog order.
    pub fn upstreams(&self) -> Vec<Arc<Upstream>> {
        self.inner
            .upstreams
            .read()
            .unwrap()
            .values()
            .cloned()
            .collect()
    }

    pub fn upstream(&self, name: &str) -> Option<Arc<Upstream>> {
        self.inner.upstreams.read().unwrap().get(name).cloned()
    }

    /// The specs of the servers that should run.
    pub fn wanted(&self) -> Vec<UpstreamSpec> {
        self.inner
            .wanted
            .lock()
            .unwrap()
            .values()
            .cloned()
            .collect()
    }

    /// Whether `name` should run (running, starting, or in backoff after a crash).
    pub(crate) fn is_wanted(&self, name: &str) -> bool {
        self.inner.wanted.lock().unwrap().contains_key(name)
    }

    /// Whether a wanted server is not running yet (starting, or restarting after a crash); a
    /// remote server out of reach is not starting: calls for it fail at once.
    pub(crate) fn starting(&self) -> bool {
        let wanted = self.inner.wanted.lock().unwrap();
        let ups = self.inner.upstreams.read().unwrap();
        let outages = self.inner.outages.lock().unwrap();
        wanted
            .keys()
            .any(|k| !ups.contains_key(k) && !outages.contains_key(k))
    }

    /// Why a remote server is out of reach, while it is.
    pub fn outage(&self, name: &str) -> Option<Outage> {
        self.inner.outages.lock().unwrap().get(name).cloned()
    }

    /// The outage of the server a name of the aggregated view (`<prefix>__<name>`) would
    /// belong to, with the server's name: its tools are gone from the lists while it is out of
    /// reach, yet a client that knew them gets told why.
    pub(crate) fn outage_for_exposed(&self, exposed: &str) -> Option<(String, Outage)> {
        let outages = self.inner.outages.lock().unwrap().clone();
        let wanted = self.inner.wanted.lock().unwrap();
        outages.into_iter().find(|(name, _)| {
            wanted
                .get(name)
                .is_some_and(|spec| naming::has_prefix(spec.prefix_str(), exposed))
        })
    }

    /// Records that a remote server is out of reach (an event when that is news).
    pub(crate) fn set_outage(&self, name: &str, outage: Outage) {
        let previous = self
            .inner
            .outages
            .lock()
            .unwrap()
            .insert(name.to_owned(), outage.clone());
        if previous.as_ref() != Some(&outage) {
            tracing::warn!(server = %name, "server '{name}' {outage}");
            let _ = self.inner.events.send(GatewayEvent::ServerUnavailable {
                server: name.to_owned(),
                state: run_state(&outage),
                error: outage.detail().to_owned(),
            });
        }
    }

    fn clear_outage(&self, name: &str) {
        self.inner.outages.lock().unwrap().remove(name);
    }

    /// Waits (up to `timeout`) until every wanted server runs or gave up; true when none is
    /// still starting. Requests that arrive while servers start wait here instead of failing.
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if !self.starting() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Warnings about exposed names (shortened, colliding) and tool counts.
    pub fn warnings(&self) -> Vec<String> {
        self.inner.index.read().unwrap().warnings.clone()
    }

    /// Tools the aggregated view exposes, as `(exposed name, server, original name)`.
    pub fn exposed_tools(&self) -> Vec<(String, String, String)> {
        let index = self.inner.index.read().unwrap().clone();
        index
            .tools
            .iter()
            .map(|(k, e)| (k.clone(), e.server.clone(), e.original.clone()))
            .collect()
    }

    /// How many tools a server exposes (after allow-lists), if it runs.
    pub fn tool_count(&self, server: &str) -> Option<usize> {
        let up = self.upstream(server)?;
        Some(self.enabled_tools(&up, false).len())
    }

    /// Call counts, errors and latency per server and tool, with restart counts.
    pub fn metrics(&self) -> Metrics {
        self.inner.metrics.snapshot(|s| self.restarts(s))
    }

    /// Per-tool latency (the `/api/latency` view).
    pub fn latency(&self) -> Vec<ToolLatency> {
        self.inner.metrics.latency()
    }

    /// Recent server log lines from memory, oldest first.
    pub fn recent_logs(&self, server: Option<&str>, since_ms: u64) -> Vec<LogEntry> {
        self.inner.log_store.recent(server, since_ms)
    }

    /// Adds values that must never reach a tool or leave one (`--block-secrets`).
    pub fn set_secret_values(&self, values: Vec<String>) {
        self.inner.scanner.write().unwrap().set_values(values);
    }

    /// Whether `up` offers `tool` (to a client of the stateless era: `modern`) and the
    /// allow-lists let it through; checked in place, since it runs on every call of a
    /// per-server session.
    pub(crate) fn offers_tool(&self, up: &Upstream, tool: &str, modern: bool) -> bool {
        naming::tool_enabled(&up.spec, &self.inner.config.tool_patterns, tool)
            && up.with_lists_for(modern, |l| {
                l.tools
                    .iter()
                    .any(|t| t.get("name").and_then(Value::as_str) == Some(tool))
            })
    }

    pub(crate) fn enabled_tools(&self, up: &Upstream, modern: bool) -> Vec<Value> {
        let patterns = &self.inner.config.tool_patterns;
        up.with_lists_for(modern, |l| {
            l.tools
                .iter()
                .filter(|t| {
                    t.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| naming::tool_enabled(&up.spec, patterns, n))
                })
                .cloned()
                .collect()
        })
    }

    /// The exposed names for clients of the session era or (`modern`) the stateless one.
    pub(crate) fn index(&self, modern: bool) -> Arc<Index> {
        let index = if modern {
            &self.inner.modern_index
        } else {
            &self.inner.index
        };
        index.read().unwrap().clone()
    }

    pub(crate) fn rebuild_index(&self) {
        self.publish_index(&self.upstreams());
    }

    /// Builds the exposed names of `ups` and publishes them. [`Gateway::launch`] calls it with
    /// the upstreams' write lock held, so no one sees a server running before its tools are
    /// indexed (a call would find neither a starting server to wait for nor its tool).
    fn publish_index(&self, ups: &[Arc<Upstream>]) {
        let mut warnings = Vec::new();
        let index = Arc::new(self.build_index(ups, false, &mut warnings));
        // Servers that offer stateless clients the same as everyone share one index.
        let modern = if ups.iter().any(|u| u.discover.is_some()) {
            Arc::new(self.build_index(ups, true, &mut Vec::new()))
        } else {
            index.clone()
        };
        *self.inner.modern_index.write().unwrap() = modern;
        let old = std::mem::replace(&mut *self.inner.index.write().unwrap(), index);
        for w in warnings.iter().filter(|w| !old.warnings.contains(w)) {
            tracing::warn!("{w}");
        }
    }

    fn build_index(
        &self,
        ups: &[Arc<Upstream>],
        modern: bool,
        warnings: &mut Vec<String>,
    ) -> Index {
        let tools: Vec<Vec<Value>> = ups.iter().map(|u| self.enabled_tools(u, modern)).collect();
        let prompts: Vec<Vec<Value>> = ups.iter().map(|u| u.lists_for(modern).prompts).collect();
        let tools = naming::expose(
            ups.iter().zip(&tools).map(|(u, t)| (&u.spec, t.as_slice())),
            "tool",
            warnings,
        );
        let prompts = naming::expose(
            ups.iter()
                .zip(&prompts)
                .map(|(u, p)| (&u.spec, p.as_slice())),
            "prompt",
            warnings,
        );
        if tools.len() > naming::MANY_TOOLS {
            warnings.push(format!(
                "clients of the aggregated endpoint see {} tools; some clients stop working past {} — \
                 narrow them with --tools or per-server tool allow-lists",
                tools.len(),
                naming::MANY_TOOLS
            ));
        }
        Index {
            tools,
            prompts,
            warnings: warnings.clone(),
        }
    }

    // ---------------------------------------------------------------- upstream lifecycle

    /// Starts a server (or restarts it when its spec changed) and waits until it is
    /// initialized. Clients are told the lists changed.
    pub async fn start_server(&self, spec: UpstreamSpec) -> Result<Arc<Upstream>, StartError> {
        let name = spec.name.clone();
        self.inner
            .wanted
            .lock()
            .unwrap()
            .insert(name.clone(), spec.clone());
        if let Some(old) = self.upstream(&name) {
            if old.spec == spec && old.is_running() {
                return Ok(old);
            }
            self.inner.upstreams.write().unwrap().shift_remove(&name);
            old.stop(Duration::from_secs(2)).await;
        }
        let generation = self.fresh_start(&name);
        self.wanted_now(&spec);
        match self.launch(spec).await {
            Ok(up) => {
                let _ = self.inner.events.send(GatewayEvent::ServerStarted {
                    server: name,
                    pid: up.pid,
                    tools: self.enabled_tools(&up, false).len(),
                });
                Ok(up)
            }
            Err(StartError::Unavailable { server, outage }) => {
                // A remote server out of reach stays wanted: an unreachable one is retried
                // with backoff, one that needs sign-in waits for a restart.
                self.set_outage(&name, outage.clone());
                if self.inner.config.restart && matches!(outage, Outage::Unreachable(_)) {
                    let e = StartError::Unavailable {
                        server: server.clone(),
                        outage: outage.clone(),
                    };
                    self.retry_start(name, &e, generation);
                }
                Err(StartError::Unavailable { server, outage })
            }
            Err(e) => {
                // A server that ran but failed before `initialize` is retried (start-up
                // failures reach crash-loop sooner); one that cannot even be launched is not.
                let retry = self.inner.config.restart && matches!(e, StartError::Initialize { .. });
                if !retry {
                    self.inner.wanted.lock().unwrap().shift_remove(&name);
                    self.dropped(&name);
                }
                let _ = self.inner.events.send(GatewayEvent::StartFailed {
                    server: name.clone(),
                    error: e.to_string(),
                });
                if retry {
                    self.retry_start(name, &e, generation);
                }
                Err(e)
            }
        }
    }

    pub(crate) async fn launch(&self, spec: UpstreamSpec) -> Result<Arc<Upstream>, StartError> {
        let name = spec.name.clone();
        let up = Upstream::start(
            spec,
            self.inner.launcher.as_ref(),
            self.inner.logs.clone(),
            self.inner.config.init_timeout,
        )
        .await?;
        {
            // Keep catalog order: position among the wanted servers.
            let order: Vec<String> = self.inner.wanted.lock().unwrap().keys().cloned().collect();
            let mut ups = self.inner.upstreams.write().unwrap();
            if let Some(replaced) = ups.insert(name.clone(), up.clone()) {
                // Two starts raced: keep the newest, never leave the other running unowned.
                tokio::spawn(async move { replaced.stop(Duration::from_secs(2)).await });
            }
            ups.sort_by_key(|k, _| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
            self.publish_index(&ups.values().cloned().collect::<Vec<_>>());
        }
        tracing::info!(server = %name, pid = ?up.pid, "server started");
        self.clear_outage(&name);
        self.attach(&up);
        self.supervise(up.clone());
        self.notify_list_changed(
            &name,
            &[ListKind::Tools, ListKind::Prompts, ListKind::Resources],
        );
        Ok(up)
    }

    /// Starts several servers concurrently; returns the failures.
    pub async fn start_servers(&self, specs: Vec<UpstreamSpec>) -> Vec<StartError> {
        {
            let mut wanted = self.inner.wanted.lock().unwrap();
            for s in &specs {
                wanted.insert(s.name.clone(), s.clone());
            }
        }
        let results =
            futures::future::join_all(specs.into_iter().map(|s| self.start_server(s))).await;
        results.into_iter().filter_map(Result::err).collect()
    }

    /// Stops a server; clients are told its tools are gone.
    pub async fn stop_server(&self, name: &str) -> bool {
        self.inner.wanted.lock().unwrap().shift_remove(name);
        self.clear_outage(name);
        self.dropped(name);
        let up = self.inner.upstreams.write().unwrap().shift_remove(name);
        let Some(up) = up else { return false };
        up.stop(Duration::from_secs(2)).await;
        self.rebuild_index();
        self.notify_list_changed(
            name,
            &[ListKind::Tools, ListKind::Prompts, ListKind::Resources],
        );
        tracing::info!(server = %name, "server stopped");
        let _ = self.inner.events.send(GatewayEvent::ServerStopped {
            server: name.into(),
        });
        true
    }

    /// Restarts a running (or wanted) server with its current spec.
    pub async fn restart_server(&self, name: &str) -> Result<Arc<Upstream>, StartError> {
        let spec = self.inner.wanted.lock().unwrap().get(name).cloned();
        let spec = match spec.or_else(|| self.upstream(name).map(|u| u.spec.clone())) {
            Some(s) => s,
            None => {
                return Err(StartError::Initialize {
                    server: name.into(),
                    what: "is not configured to run".into(),
                    stderr: vec![],
                })
            }
        };
        if let Some(old) = self.inner.upstreams.write().unwrap().shift_remove(name) {
            // Stop below, outside the lock.
            tokio::spawn(async move { old.stop(Duration::from_secs(2)).await });
        }
        self.start_server(spec).await
    }

    /// Makes the running set equal to `specs`: stops servers no longer listed, restarts those
    /// whose spec changed, starts new ones; the others are not touched.
    pub async fn apply(&self, specs: Vec<UpstreamSpec>) -> Vec<StartError> {
        let names: HashSet<String> = specs.iter().map(|s| s.name.clone()).collect();
        let current = self.wanted();
        for old in current.iter().filter(|s| !names.contains(&s.name)) {
            self.stop_server(&old.name).await;
        }
        let changed: Vec<UpstreamSpec> = specs
            .into_iter()
            .filter(|s| {
                // An unchanged server that is not running is the supervisor's (starting, or
                // in backoff) unless restarts are off; a crash loop waits for a user (or a
                // changed spec).
                let down = self.upstream(&s.name).is_none_or(|u| !u.is_running());
                (!current.contains(s) || (down && !self.inner.config.restart))
                    && !self.crash_looped(s)
            })
            .collect();
        self.start_servers(changed).await
    }

    /// Stops every server.
    pub async fn shutdown(&self) {
        let names: Vec<String> = self
            .inner
            .upstreams
            .read()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        self.inner.wanted.lock().unwrap().clear();
        // Restart loops in backoff find nothing wanted and end; observers are let go here.
        self.inner.observers.write().unwrap().clear();
        futures::future::join_all(names.iter().map(|n| self.stop_server(n))).await;
    }

    pub(crate) fn attach(&self, up: &Arc<Upstream>) {
        let gw = Arc::downgrade(&self.inner);
        let weak_up = Arc::downgrade(up);
        up.set_handler(Arc::new(move |msg| {
            if let (Some(inner), Some(up)) = (gw.upgrade(), weak_up.upgrade()) {
                Gateway { inner }.on_upstream_message(&up, msg);
            }
        }));
    }

    // ---------------------------------------------------------------- sessions

    /// Opens a client session: aggregated (`scope: None`) or scoped to one server. The caller
    /// feeds received messages to [`Session::handle`] and delivers what the receiver yields.
    pub fn open_session(
        &self,
        scope: Option<String>,
    ) -> (Arc<Session>, mpsc::UnboundedReceiver<Outbound>) {
        let id = self.next_seq();
        let (peer, rx) = Peer::new(format!("client session {id}"));
        let session = Arc::new(Session {
            id,
            gw: self.clone(),
            scope,
            peer,
            st: Mutex::new(SessionState::default()),
        });
        self.inner
            .sessions
            .lock()
            .unwrap()
            .insert(id, Arc::downgrade(&session));
        (session, rx)
    }

    pub(crate) fn sessions(&self) -> Vec<Arc<Session>> {
        let mut sessions = self.inner.sessions.lock().unwrap();
        sessions.retain(|_, s| s.strong_count() > 0);
        sessions.values().filter_map(Weak::upgrade).collect()
    }

    /// Sessions that see `server` and completed initialization.
    pub(crate) fn sessions_seeing(&self, server: &str) -> Vec<Arc<Session>> {
        self.sessions()
            .into_iter()
            .filter(|s| s.sees(server) && s.st.lock().unwrap().initialized)
            .collect()
    }

    pub fn session_count(&self) -> usize {
        self.sessions().len()
    }

    pub(crate) fn notify_list_changed(&self, server: &str, kinds: &[ListKind]) {
        let sessions = self.sessions_seeing(server);
        for kind in kinds {
            let method = match kind {
                ListKind::Tools => "notifications/tools/list_changed",
                ListKind::Prompts => "notifications/prompts/list_changed",
                ListKind::Resources | ListKind::Templates => "notifications/resources/list_changed",
            };
            for s in &sessions {
                s.peer.notify(method, None, None);
            }
            self.notify_listeners(server, *kind, method);
        }
    }

    pub(crate) fn upstreams_for(&self, scope: Option<&str>) -> Vec<Arc<Upstream>> {
        match scope {
            Some(name) => self.upstream(name).into_iter().collect(),
            None => self.upstreams(),
        }
    }

    /// The upstream serving a resource URI: an exact resource, else the longest matching
    /// template prefix, else the only upstream with resources.
    pub(crate) fn owner_of_uri(&self, scope: Option<&str>, uri: &str) -> Option<Arc<Upstream>> {
        let ups = self.upstreams_for(scope);
        if let Some(up) = ups.iter().find(|u| {
            u.with_lists(|l| {
                l.resources
                    .iter()
                    .any(|r| r.get("uri").and_then(Value::as_str) == Some(uri))
            })
        }) {
            return Some(up.clone());
        }
        let mut best: Option<(usize, &Arc<Upstream>)> = None;
        for up in &ups {
            up.with_lists(|l| {
                for t in &l.templates {
                    let Some(tpl) = t.get("uriTemplate").and_then(Value::as_str) else {
                        continue;
                    };
                    let literal = tpl.split('{').next().unwrap_or("");
                    if uri.starts_with(literal) && best.is_none_or(|(len, _)| literal.len() > len) {
                        best = Some((literal.len(), up));
                    }
                }
            });
        }
        if let Some((_, up)) = best {
            return Some(up.clone());
        }
        let with_resources: Vec<_> = ups
            .iter()
            .filter(|u| u.has_capability("resources"))
            .collect();
        match with_resources.as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    }

    pub(crate) fn begin_call(
        &self,
        server: &str,
        session: &Arc<Session>,
        client_id: &Value,
        inbox: Option<mpsc::UnboundedSender<stateless::Step>>,
    ) -> u64 {
        let seq = self.next_seq();
        self.inner
            .calls
            .lock()
            .unwrap()
            .entry(server.to_string())
            .or_default()
            .push(ActiveCall {
                seq,
                session: Arc::downgrade(session),
                client_id: client_id.clone(),
                inbox,
            });
        seq
    }

    pub(crate) fn end_call(&self, server: &str, seq: u64) {
        if let Some(v) = self.inner.calls.lock().unwrap().get_mut(server) {
            v.retain(|c| c.seq != seq);
        }
    }

    /// The client that should answer a request `server` sends us, and the client request
    /// it relates to.
    pub(crate) fn route_back(&self, server: &str, method: &str) -> Option<Route> {
        if let Some(calls) = self.inner.calls.lock().unwrap().get(server) {
            let newest = calls.iter().rev().find_map(|c| match &c.inbox {
                Some(inbox) if !inbox.is_closed() => Some(Route::Inbox(inbox.clone())),
                Some(_) => None,
                None => c
                    .session
                    .upgrade()
                    .map(|s| Route::Client(s, Some(c.client_id.clone()))),
            });
            if newest.is_some() {
                return newest;
            }
        }
        // No call in flight: the most recently active client that can answer.
        let capability = match method {
            "sampling/createMessage" => Some("sampling"),
            "elicitation/create" => Some("elicitation"),
            "roots/list" => Some("roots"),
            _ => None,
        };
        self.sessions_seeing(server)
            .into_iter()
            .filter(|s| {
                capability.is_none_or(|c| {
                    s.st.lock()
                        .unwrap()
                        .client_capabilities
                        .get(c)
                        .is_some_and(|v| !v.is_null())
                })
            })
            .max_by_key(|s| s.st.lock().unwrap().last_active)
            .map(|s| Route::Client(s, None))
    }

    // ---------------------------------------------------------------- upstream → clients

    pub(crate) fn on_upstream_message(&self, up: &Arc<Upstream>, msg: Value) {
        match jsonrpc::classify(&msg) {
            Kind::Request { id, method } => {
                let id = id.clone();
                if method == "ping" {
                    up.peer.send(jsonrpc::response(id, Ok(json!({}))), None);
                    return;
                }
                let method = method.to_string();
                let params = msg.get("params").cloned();
                let route = self.route_back(up.name(), &method);
                if let Some(Route::Inbox(inbox)) = &route {
                    let _ = inbox.send(stateless::Step::Ask { id, method, params });
                    return;
                }
                let Some(Route::Client(session, related)) = route else {
                    if method == "roots/list" {
                        // Nobody to ask: no roots.
                        up.peer
                            .send(jsonrpc::response(id, Ok(json!({"roots": []}))), None);
                        return;
                    }
                    up.peer.send(
                        jsonrpc::response(
                            id,
                            Err(jsonrpc::error(
                                INTERNAL_ERROR,
                                format!("no client is connected to the Dockside gateway to answer {method}"),
                            )),
                        ),
                        None,
                    );
                    return;
                };
                let up = up.clone();
                tokio::spawn(async move {
                    let params = session.sees_tasks_of(up.name(), &method, params);
                    let pending = session.peer.start_request(&method, params, related);
                    session
                        .st
                        .lock()
                        .unwrap()
                        .reverse
                        .insert(jsonrpc::id_key(&id), (up.name().to_string(), pending.id));
                    let reply = pending.reply().await;
                    session
                        .st
                        .lock()
                        .unwrap()
                        .reverse
                        .remove(&jsonrpc::id_key(&id));
                    let outcome = reply.unwrap_or_else(|_| {
                        Err(jsonrpc::error(
                            INTERNAL_ERROR,
                            "the client disconnected before answering",
                        ))
                    });
                    up.peer.send(jsonrpc::response(id, outcome), None);
                });
            }
            Kind::Notification { method } => {
                let params = msg.get("params").cloned();
                self.on_upstream_notification(up, method, params);
            }
            _ => tracing::debug!(server = %up.name(), "ignoring an invalid message"),
        }
    }

    pub(crate) fn on_upstream_notification(
        &self,
        up: &Arc<Upstream>,
        method: &str,
        params: Option<Value>,
    ) {
        let server = up.name();
        match method {
            "notifications/progress" => {
                let Some(mut params) = params else { return };
                let token = params
                    .get("progressToken")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let route = self.inner.progress.lock().unwrap().get_mut(token).map(|r| {
                    r.last_sent = Some(Instant::now());
                    (r.session.upgrade(), r.token.clone(), r.client_id.clone())
                });
                if let Some((Some(session), original, client_id)) = route {
                    params["progressToken"] = original;
                    session.peer.notify(method, Some(params), Some(client_id));
                }
            }
            "notifications/tools/list_changed"
            | "notifications/prompts/list_changed"
            | "notifications/resources/list_changed" => {
                let kinds: &[ListKind] = match method {
                    "notifications/tools/list_changed" => &[ListKind::Tools],
                    "notifications/prompts/list_changed" => &[ListKind::Prompts],
                    _ => &[ListKind::Resources, ListKind::Templates],
                };
                let gw = self.clone();
                let up = up.clone();
                tokio::spawn(async move {
                    for k in kinds {
                        if let Err(e) = up.refresh(*k).await {
                            if up.is_running() {
                                tracing::warn!(server = %up.name(), "{e}");
                            }
                        }
                    }
                    gw.rebuild_index();
                    if kinds.contains(&ListKind::Tools) {
                        let _ = gw.inner.events.send(GatewayEvent::ToolsChanged {
                            server: up.name().to_string(),
                            tools: gw.enabled_tools(&up, false).len(),
                        });
                    }
                    gw.notify_list_changed(up.name(), &kinds[..1]);
                });
            }
            // The answer to the gateway's own listen on a stateless-era server.
            "notifications/subscriptions/acknowledged" => {}
            STREAM_CLOSED => {
                let Some(id) = params.as_ref().and_then(|p| p["requestId"].as_u64()) else {
                    return;
                };
                // Only a client that can resume a stream gets its stream closed.
                let resumable = |s: &Arc<Session>| s.protocol_version().as_str() >= RESUMABLE_SINCE;
                for s in self.sessions_seeing(server).iter().filter(|s| resumable(s)) {
                    if let Some(client_id) = s.request_forwarded_as(server, id) {
                        s.peer.send(Value::Null, Some(client_id));
                    }
                }
            }
            "notifications/resources/updated" => {
                let uri = params
                    .as_ref()
                    .and_then(|p| p.get("uri"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                for s in self.sessions_seeing(server) {
                    if s.st.lock().unwrap().subscriptions.contains(uri) {
                        s.peer.notify(method, params.clone(), None);
                    }
                }
                self.notify_resource_watchers(server, uri, &params);
            }
            "notifications/cancelled" => {
                // The server gave up on a request it sent to a client.
                let Some(id) = params.as_ref().and_then(|p| p.get("requestId")) else {
                    return;
                };
                let key = jsonrpc::id_key(id);
                for s in self.sessions_seeing(server) {
                    let ours = s.st.lock().unwrap().reverse.get(&key).cloned();
                    if let Some((srv, session_req)) = ours.filter(|(srv, _)| srv == server) {
                        let _ = srv;
                        s.peer.forget(session_req);
                        let mut p = params.clone().unwrap_or_else(|| json!({}));
                        p["requestId"] = session_req.into();
                        s.peer.notify(method, Some(p), None);
                    }
                }
            }
            _ => {
                // notifications/message and anything else: every client that sees the server.
                for s in self.sessions_seeing(server) {
                    let params = s.sees_tasks_of(server, method, params.clone());
                    s.peer.notify(method, params, None);
                }
            }
        }
    }
}
