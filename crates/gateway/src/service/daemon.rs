//! `dockside daemon`: the gateway as a long-lived service on Streamable HTTP, plus the control
//! API (`/api/…`, types in [`dockside_api`]) on the same listener and token.
//!
//! One daemon per `DOCKSIDE_HOME`: it holds an exclusive lock on `<home>/daemon.lock` for its
//! lifetime and publishes where it listens in `<home>/daemon.json` ([`DaemonInfo`]), which
//! `dockside status`, `dockside stop` and `dockside connect` read. The servers it runs are every
//! `managed` server of the workspace (or the `--servers` / `--catalog` selection); catalog and
//! state changes are hot-reloaded: only changed servers restart.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use dockside_api::files::{remove_info, write_info, DaemonLock};
use dockside_api::{
    ApiError, DaemonInfo, Event, LogEntry, Metrics, PackageRequest, PackageUpdate, ReloadReport,
    RunState, ServerStatus, SetMode, SignInStarted, Status, ToolLatency,
};
use dockside_core::catalog::Server;
use dockside_core::change::{self, ChangeError};
use dockside_core::clients::Context;
use dockside_core::home::Home;
use dockside_core::packages::pin;
use dockside_core::state::Mode;
use dockside_core::state::ServerState;
use dockside_core::Workspace;
use futures::StreamExt;
use tokio::sync::Notify;

use crate::engine::gateway::Gateway;
use crate::engine::watch;
use crate::service::config::{self, Selection};
use crate::service::options::RunOptions;
use crate::transport::http;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What the daemon knows about a server besides the gateway's running set.
#[derive(Debug, Default, Clone)]
struct Note {
    error: Option<String>,
    crash_loop: bool,
    restarts: u32,
}

pub struct Daemon {
    gw: Gateway,
    home: Home,
    selection: Selection,
    info: DaemonInfo,
    notes: Mutex<HashMap<String, Note>>,
    /// Servers started or stopped by hand through the API, kept so across reloads.
    pinned: Mutex<HashSet<String>>,
    held: Mutex<HashSet<String>>,
    known: Mutex<Vec<(String, Mode)>>,
    reload_lock: tokio::sync::Mutex<()>,
    /// What the catalogs and state held at the last reload (see [`fingerprint`]).
    loaded: Mutex<Option<String>>,
    shutdown: Notify,
    docker: Arc<dockside_docker::DockerRuntime>,
}

impl Daemon {
    pub fn gateway(&self) -> &Gateway {
        &self.gw
    }

    /// A reload for the file watcher: skipped when the files hold what the last reload read
    /// (a change the daemon made itself, already applied). Returns whether it reloaded.
    pub async fn reload_if_changed(&self) -> bool {
        let guard = self.reload_lock.lock().await;
        let now = self.fingerprint().await;
        if self.loaded.lock().unwrap().as_deref() == Some(now.as_str()) {
            tracing::info!("reload skipped: the catalogs and state hold what the last reload read");
            return false;
        }
        self.reload_locked(&guard).await;
        true
    }

    /// Applies a change to the files (`change`, run on the blocking pool) and then reloads,
    /// holding the reload lock throughout: the watcher, which takes the same lock, then finds
    /// the files as this reload read them and does not apply the change a second time.
    /// A change that failed (`Err`) changed no file and is not reloaded.
    pub async fn change_and_reload<T: Send + 'static, E: Send + 'static>(
        &self,
        change: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<Result<T, E>, tokio::task::JoinError> {
        let guard = self.reload_lock.lock().await;
        let done = tokio::task::spawn_blocking(change).await?;
        if done.is_ok() {
            self.reload_locked(&guard).await;
        }
        Ok(done)
    }

    /// A pinned package server about to run in `mode`: installed, and its image built for
    /// `docker` ([`super::packages::ensure`]), before the mode is saved.
    async fn prepare_package(&self, name: &str, mode: Mode) -> Result<(), String> {
        let ws = self.workspace().await?;
        match ws.server(name) {
            Some(e) => self.prepare(&ws, name, e.server, &e.state, mode).await,
            None => Ok(()),
        }
    }

    /// [`super::packages::ensure`] for `server` (named `name`) in `mode`, progress in the log.
    async fn prepare(
        &self,
        ws: &Workspace,
        name: &str,
        server: &Server,
        state: &ServerState,
        mode: Mode,
    ) -> Result<(), String> {
        if server.package().is_none() {
            return Ok(());
        }
        let docker = match mode {
            Mode::Docker => Some(self.docker.client().await.map_err(|u| u.message)?),
            _ => None,
        };
        let say = |line: &str| tracing::info!(server = %name, "{line}");
        super::packages::ensure(&ws.packages(), server, state, mode, docker.as_ref(), &say)
            .await
            .map(drop)
    }

    /// Starts (or with `restart`, restarts) server `name` by hand: out of a crash loop, held
    /// running until its mode changes. A server with no upstream yet (never started, or waiting
    /// for a sign-in) is selected from the files again and started.
    async fn start_by_hand(&self, name: &str, restart: bool) -> Result<(), (StatusCode, String)> {
        self.held.lock().unwrap().remove(name);
        self.pinned.lock().unwrap().insert(name.to_owned());
        self.notes
            .lock()
            .unwrap()
            .entry(name.to_owned())
            .or_default()
            .crash_loop = false;
        let result = if restart && self.gw.upstream(name).is_some() {
            self.gw.restart_server(name).await.map(|_| ())
        } else {
            let sel = Selection {
                servers: vec![name.to_owned()],
                ..self.selection.clone()
            };
            match config::select_async(&self.home, &sel).await {
                Ok(s) => match s.specs.into_iter().next() {
                    Some(spec) => self.gw.start_server(spec).await.map(|_| ()),
                    None => {
                        let why = s.errors.first().map(|e| e.1.clone()).unwrap_or_default();
                        return Err((
                            StatusCode::UNPROCESSABLE_ENTITY,
                            format!("server '{name}': {why}"),
                        ));
                    }
                },
                Err(e) => return Err((StatusCode::UNPROCESSABLE_ENTITY, format!("{e:#}"))),
            }
        };
        result.map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))
    }

    /// The files as they are now, read on the blocking pool.
    async fn workspace(&self) -> Result<Workspace, String> {
        let home = self.home.clone();
        tokio::task::spawn_blocking(move || Workspace::load(home))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    /// `POST /api/servers/{name}/package`: resolves the newest version the server's command
    /// allows and, unless `check`, installs it (and builds its image) for the server's mode
    /// before the pin moves, so the server never points at a missing install.
    async fn update_package(
        &self,
        name: &str,
        check: bool,
    ) -> Result<PackageUpdate, (StatusCode, String)> {
        let ws = self.workspace().await.map_err(internal)?;
        let Some(entry) = ws.server(name) else {
            return Err((StatusCode::NOT_FOUND, format!("no server named '{name}'")));
        };
        let (w, only) = (ws.clone(), vec![name.to_owned()]);
        let update = tokio::task::spawn_blocking(move || pin::resolve(&w, &only, false))
            .await
            .map_err(|e| internal(e.to_string()))?
            .pop()
            .ok_or_else(|| {
                unprocessable(format!(
                    "server '{name}' does not run a package (npx, uvx, bunx, pipx run…)"
                ))
            })?;
        let to = update.to.clone().map_err(unprocessable)?;
        let answer = PackageUpdate {
            server: name.to_owned(),
            package: format!("{} {}", to.registry, to.name),
            from: update.from.as_ref().map(|p| p.version.clone()),
            to: to.version.clone(),
            updated: !check && update.newer().is_some(),
        };
        if !answer.updated {
            return Ok(answer);
        }
        let mut server = entry.server.clone();
        server.extension_mut().package = Some(to);
        self.prepare(&ws, name, &server, &entry.state, entry.state.mode)
            .await
            .map_err(unprocessable)?;
        let ctx = Context::for_home(self.home.root());
        let saved = self
            .change_and_reload(move || {
                change::apply(&ctx, |ws| {
                    pin::record(ws, &[update]).map_err(ChangeError::from)
                })
            })
            .await
            .map_err(|e| internal(e.to_string()))?;
        saved.map_err(|e| unprocessable(e.to_string()))?;
        Ok(answer)
    }

    /// [`fingerprint`] of the files a reload reads, computed on the blocking pool.
    async fn fingerprint(&self) -> String {
        let paths = config::watched_paths(&self.home, &self.selection);
        tokio::task::spawn_blocking(move || fingerprint(&paths))
            .await
            .unwrap_or_default()
    }

    /// Brings the running set in line with the catalogs, the state and the API's overrides.
    pub async fn reload(&self) -> ReloadReport {
        let guard = self.reload_lock.lock().await;
        self.reload_locked(&guard).await
    }

    async fn reload_locked(&self, _held: &tokio::sync::MutexGuard<'_, ()>) -> ReloadReport {
        // Taken before reading: a write after this point changes it, so the watcher reloads.
        let read = self.fingerprint().await;
        *self.loaded.lock().unwrap() = Some(read);
        let mut report = ReloadReport::default();
        let selected = match config::select_async(&self.home, &self.selection).await {
            Ok(s) => s,
            Err(e) => {
                // A half-edited file: keep what runs, report why nothing changed.
                let msg = format!("{e:#}");
                tracing::error!("reload skipped: {msg}");
                report.failed.push(format!("catalogs/state: {msg}"));
                let _ = self.gw_events().send(Event::Reloaded(report.clone()));
                return report;
            }
        };
        *self.known.lock().unwrap() = selected.known.clone();
        let held = self.held.lock().unwrap().clone();
        let pinned = self.pinned.lock().unwrap().clone();
        let mut specs: Vec<_> = selected
            .specs
            .into_iter()
            .filter(|s| !held.contains(&s.name))
            .collect();
        if !pinned.is_empty() {
            // Pinned servers run whatever their mode.
            let extra = Selection {
                servers: pinned
                    .iter()
                    .filter(|p| !specs.iter().any(|s| &s.name == *p))
                    .cloned()
                    .collect(),
                ..self.selection.clone()
            };
            if !extra.servers.is_empty() {
                if let Ok(more) = config::select_async(&self.home, &extra).await {
                    specs.extend(more.specs);
                }
            }
        }
        {
            let mut notes = self.notes.lock().unwrap();
            for (server, error) in &selected.errors {
                notes.entry(server.clone()).or_default().error = Some(error.clone());
                report.failed.push(format!("{server}: {error}"));
            }
        }
        let before: HashMap<String, crate::UpstreamSpec> = self
            .gw
            .wanted()
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        for s in &specs {
            match before.get(&s.name) {
                None => report.started.push(s.name.clone()),
                Some(old) if old != s => report.restarted.push(s.name.clone()),
                _ => {}
            }
        }
        report.stopped = before
            .keys()
            .filter(|n| !specs.iter().any(|s| &s.name == *n))
            .cloned()
            .collect();
        // Every stored value, plus those of the pinned servers selected on top.
        self.gw.set_secret_values(
            (specs.iter())
                .flat_map(|s| s.secret_values.iter().cloned())
                .chain(selected.secret_values.iter().cloned())
                .collect(),
        );
        for f in self.gw.apply(specs).await {
            let server = f.server().to_string();
            self.notes
                .lock()
                .unwrap()
                .entry(server.clone())
                .or_default()
                .error = Some(f.to_string());
            report.failed.push(format!("{server}: {f}"));
            report.started.retain(|s| s != &server);
            report.restarted.retain(|s| s != &server);
        }
        if !report.started.is_empty()
            || !report.stopped.is_empty()
            || !report.restarted.is_empty()
            || !report.failed.is_empty()
        {
            tracing::info!(
                started = ?report.started,
                stopped = ?report.stopped,
                restarted = ?report.restarted,
                failed = report.failed.len(),
                "reloaded"
            );
        }
        let _ = self.gw_events().send(Event::Reloaded(report.clone()));
        report
    }

    fn gw_events(&self) -> tokio::sync::broadcast::Sender<Event> {
        self.gw.event_sender()
    }

    fn server_status(&self, name: &str) -> ServerStatus {
        let note = self
            .notes
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default();
        let mode = self
            .known
            .lock()
            .unwrap()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| *m);
        let wanted = self.gw.wanted().iter().any(|s| s.name == name);
        let is_docker = mode == Some(Mode::Docker);
        match self.gw.upstream(name).filter(|u| u.is_running()) {
            Some(up) => ServerStatus {
                name: name.into(),
                state: RunState::Running,
                mode,
                pid: up.pid,
                tools: self.gw.tool_count(name).unwrap_or(0),
                started_at: up
                    .started_at
                    .duration_since(UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs()),
                restarts: note.restarts,
                error: None,
            },
            None => {
                let outage = self.gw.outage(name);
                ServerStatus {
                    name: name.into(),
                    state: if let Some(o) = &outage {
                        crate::engine::gateway::run_state(o)
                    } else if is_docker && self.docker.unavailable().is_some() {
                        RunState::DockerUnavailable
                    } else if note.crash_loop {
                        RunState::CrashLoop
                    } else if wanted {
                        RunState::Starting
                    } else if note.error.is_some() {
                        RunState::Failed
                    } else {
                        RunState::Stopped
                    },
                    mode,
                    pid: None,
                    tools: 0,
                    started_at: None,
                    restarts: note.restarts,
                    error: match (outage, self.docker.unavailable()) {
                        (Some(o), _) => Some(o.detail().to_owned()),
                        (None, Some(u)) if is_docker => Some(u.message),
                        _ => note.error,
                    },
                }
            }
        }
    }

    pub fn servers(&self) -> Vec<ServerStatus> {
        let mut names: Vec<String> = self
            .known
            .lock()
            .unwrap()
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        for up in self.gw.wanted() {
            if !names.contains(&up.name) {
                names.push(up.name);
            }
        }
        names.iter().map(|n| self.server_status(n)).collect()
    }

    pub fn status(&self, sessions: usize) -> Status {
        Status {
            version: env!("CARGO_PKG_VERSION").into(),
            pid: self.info.pid,
            started_at: self.info.started_at,
            uptime_secs: now_secs().saturating_sub(self.info.started_at),
            url: format!("{}/mcp", self.info.base_url()),
            sessions,
            servers: self.servers(),
            warnings: self.gw.warnings(),
        }
    }

    fn track_events(self: &Arc<Self>) {
        let events = super::received(self.gw.subscribe());
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut events = std::pin::pin!(events);
            while let Some(ev) = events.next().await {
                let Some(me) = me.upgrade() else { return };
                let mut notes = me.notes.lock().unwrap();
                match ev {
                    Event::ServerStarted { server, .. } => {
                        let n = notes.entry(server).or_default();
                        n.error = None;
                        n.crash_loop = false;
                    }
                    Event::ServerRestarted { server, .. } => {
                        let n = notes.entry(server).or_default();
                        n.error = None;
                        n.restarts += 1;
                    }
                    Event::ServerCrashed { server, how, .. } => {
                        notes.entry(server).or_default().error = Some(format!("crashed: {how}"));
                    }
                    Event::CrashLoop {
                        server,
                        crashes,
                        startup,
                        cause,
                        stderr,
                    } => {
                        let n = notes.entry(server).or_default();
                        n.crash_loop = true;
                        let what = if startup {
                            "failed to start"
                        } else {
                            "crashed"
                        };
                        let mut error = format!("crash loop: {what} {crashes} times; `dockside server restart` tries again");
                        if let Some(cause) = cause {
                            error.push_str(&format!("; last: {cause}"));
                        }
                        if let Some(line) = stderr.last() {
                            error.push_str(&format!("; stderr: {line}"));
                        }
                        n.error = Some(error);
                    }
                    Event::StartFailed { server, error } => {
                        notes.entry(server).or_default().error = Some(error);
                    }
                    _ => {}
                }
            }
        });
    }
}

// ---------------------------------------------------------------- control API

type Shared = Arc<Daemon>;

fn internal(e: String) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, e)
}

fn unprocessable(e: String) -> (StatusCode, String) {
    (StatusCode::UNPROCESSABLE_ENTITY, e)
}

/// How long a sign-in started from the app waits for the browser to come back.
const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(600);

async fn api_sign_in(State(d): State<Shared>, Path(name): Path<String>) -> Response {
    let ws = match d.workspace().await {
        Ok(ws) => ws,
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let Some(entry) = ws.server(&name) else {
        return api_error(StatusCode::NOT_FOUND, format!("no server named '{name}'"));
    };
    let (pending, opened) = match super::sign_in::begin(&d.home, &name, entry.server).await {
        Ok(started) => started,
        Err(e) => return api_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let answer = SignInStarted {
        server: name.clone(),
        url: pending.url().to_owned(),
        browser_opened: opened,
    };
    tokio::spawn(async move {
        match pending.finish(SIGN_IN_TIMEOUT).await {
            Ok(_) => {
                tracing::info!(server = %name, "signed in");
                if let Err((_, e)) = d.start_by_hand(&name, true).await {
                    tracing::warn!(server = %name, "starting it after the sign-in failed: {e}");
                }
            }
            Err(e) => tracing::warn!(server = %name, "the sign-in did not complete: {e}"),
        }
    });
    Json(answer).into_response()
}

async fn api_package(
    State(d): State<Shared>,
    Path(name): Path<String>,
    body: Option<Json<PackageRequest>>,
) -> Response {
    let check = body.is_some_and(|Json(b)| b.check);
    match d.update_package(&name, check).await {
        Ok(update) => Json(update).into_response(),
        Err((status, e)) => api_error(status, e),
    }
}

fn api_error(status: StatusCode, error: impl Into<String>) -> Response {
    (
        status,
        Json(ApiError {
            error: error.into(),
        }),
    )
        .into_response()
}

fn known(d: &Daemon, name: &str) -> bool {
    d.known.lock().unwrap().iter().any(|(n, _)| n == name)
        || d.gw.wanted().iter().any(|s| s.name == name)
}

async fn api_status(
    State(d): State<Shared>,
    State(sessions): State<http::HttpState>,
) -> Json<Status> {
    Json(d.status(sessions.session_count()))
}

async fn api_servers(State(d): State<Shared>) -> Json<Vec<ServerStatus>> {
    Json(d.servers())
}

async fn api_action(
    State(d): State<Shared>,
    Path((name, action)): Path<(String, String)>,
) -> Response {
    if !known(&d, &name) {
        return api_error(StatusCode::NOT_FOUND, format!("no server named '{name}'"));
    }
    match action.as_str() {
        "start" | "restart" => match d.start_by_hand(&name, action == "restart").await {
            Ok(()) => Json(d.server_status(&name)).into_response(),
            Err((status, e)) => api_error(status, e),
        },
        "stop" => {
            d.pinned.lock().unwrap().remove(&name);
            d.held.lock().unwrap().insert(name.clone());
            d.gw.stop_server(&name).await;
            Json(d.server_status(&name)).into_response()
        }
        other => api_error(
            StatusCode::NOT_FOUND,
            format!("unknown action '{other}': use start, stop or restart"),
        ),
    }
}

async fn api_mode(
    State(d): State<Shared>,
    Path(name): Path<String>,
    body: Result<Json<SetMode>, JsonRejection>,
) -> Response {
    let mode = match body {
        Ok(Json(body)) => body.mode,
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected {{\"mode\": \"native|managed|docker|off\"}}: {}",
                    e.body_text()
                ),
            )
        }
    };
    let home = d.home.clone();
    let n = name.clone();
    // The one way to change a mode: save the state and sync every connected client, all or
    // nothing (core); then apply it here, once.
    // A mode set by hand replaces a start or stop by hand.
    d.pinned.lock().unwrap().remove(&name);
    d.held.lock().unwrap().remove(&name);
    if let Err(e) = d.prepare_package(&name, mode).await {
        return api_error(StatusCode::UNPROCESSABLE_ENTITY, e);
    }
    let saved = d
        .change_and_reload(move || change::set_mode(&Context::for_home(home.root()), &n, mode))
        .await;
    match saved {
        Ok(Ok(_)) => {}
        Ok(Err(ChangeError::Core(dockside_core::Error::UnknownServer(_)))) => {
            return api_error(StatusCode::NOT_FOUND, format!("no server named '{name}'"))
        }
        Ok(Err(e)) => return api_error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(e) => return api_error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
    Json(d.server_status(&name)).into_response()
}

async fn api_reload(State(d): State<Shared>) -> Json<ReloadReport> {
    Json(d.reload().await)
}

async fn api_latency(State(d): State<Shared>) -> Json<Vec<ToolLatency>> {
    Json(d.gw.latency())
}

async fn api_metrics(State(d): State<Shared>) -> Json<Metrics> {
    Json(d.gw.metrics())
}

async fn prometheus_metrics(State(d): State<Shared>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::engine::metrics::prometheus(&d.gw.metrics()),
    )
        .into_response()
}

#[derive(Debug, serde::Deserialize)]
struct LogQuery {
    server: Option<String>,
    #[serde(default)]
    since_ms: u64,
}

async fn api_logs(
    State(d): State<Shared>,
    axum::extract::Query(q): axum::extract::Query<LogQuery>,
) -> Json<Vec<LogEntry>> {
    Json(d.gw.recent_logs(q.server.as_deref(), q.since_ms))
}

async fn api_events(
    State(d): State<Shared>,
) -> Sse<impl futures::Stream<Item = Result<SseEvent, Infallible>>> {
    // Two channels, so a server flooding stderr can only make this client miss log lines,
    // never a lifecycle event (`server-crashed`, `crash-loop`…).
    let lifecycle = super::received(d.gw.subscribe());
    let logs = super::received(d.gw.subscribe_logs()).map(|l| Event::Log {
        server: l.server,
        line: l.line,
        at_ms: l.at_ms,
    });
    let stream = futures::stream::select(lifecycle, logs).map(|ev| {
        let data = serde_json::to_string(&ev).unwrap_or_default();
        Ok(SseEvent::default().data(data))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn api_shutdown(State(d): State<Shared>) -> Json<serde_json::Value> {
    d.shutdown.notify_one();
    Json(serde_json::json!({}))
}

#[derive(Clone)]
struct ApiState {
    daemon: Shared,
    http: http::HttpState,
}

impl axum::extract::FromRef<ApiState> for Shared {
    fn from_ref(s: &ApiState) -> Shared {
        s.daemon.clone()
    }
}

impl axum::extract::FromRef<ApiState> for http::HttpState {
    fn from_ref(s: &ApiState) -> http::HttpState {
        s.http.clone()
    }
}

fn api_router(daemon: Shared, http_state: http::HttpState) -> Router {
    Router::new()
        .route("/api/status", get(api_status))
        .route("/api/servers", get(api_servers))
        .route("/api/servers/{name}/mode", put(api_mode))
        .route("/api/servers/{name}/package", post(api_package))
        .route("/api/servers/{name}/sign-in", post(api_sign_in))
        .route("/api/servers/{name}/{action}", post(api_action))
        .route("/api/reload", post(api_reload))
        .route("/api/latency", get(api_latency))
        .route("/api/metrics", get(api_metrics))
        .route("/api/logs", get(api_logs))
        .route("/metrics", get(prometheus_metrics))
        .route("/api/events", get(api_events))
        .route("/api/shutdown", post(api_shutdown))
        .with_state(ApiState {
            daemon,
            http: http_state,
        })
}

// ---------------------------------------------------------------- running

/// Runs `dockside daemon` in the foreground; returns the exit code.
pub fn run(opts: RunOptions) -> anyhow::Result<i32> {
    crate::service::run::init_logging(opts.verbose);
    crate::service::run::adopt_login_env();
    let rt = crate::service::run::runtime()?;
    let code = rt.block_on(run_async(opts))?;
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(code)
}

async fn run_async(opts: RunOptions) -> anyhow::Result<i32> {
    let home = Home::from_env()?;
    let _lock = DaemonLock::acquire(&home)?;
    let mut http_opts = opts.http_options(&home)?;
    http_opts.port = opts.port.unwrap_or(dockside_api::DEFAULT_PORT);
    let listener = match http::bind(&http_opts).await {
        Ok(l) => l,
        Err(e) if opts.port.is_none() => {
            tracing::warn!("{e}; using a free port instead");
            http_opts.port = 0;
            http::bind(&http_opts).await?
        }
        Err(e) => return Err(e),
    };
    let port = listener.local_addr()?.port();
    let info = DaemonInfo {
        pid: std::process::id(),
        host: opts.host.clone(),
        port,
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: now_secs(),
    };
    let docker = opts.docker_runtime(&home)?;
    let mut config = opts.gateway_config();
    config.logs = Some(crate::engine::logs::LogConfig::for_home(home.root()));
    let gw = crate::service::options::gateway(config, &docker);
    crate::service::run::mirror_server_stderr(&gw);
    let daemon = Arc::new(Daemon {
        gw: gw.clone(),
        home: home.clone(),
        selection: opts.selection.clone(),
        info: info.clone(),
        notes: Mutex::new(HashMap::new()),
        pinned: Mutex::new(HashSet::new()),
        held: Mutex::new(HashSet::new()),
        known: Mutex::new(Vec::new()),
        reload_lock: tokio::sync::Mutex::new(()),
        loaded: Mutex::new(None),
        shutdown: Notify::new(),
        docker: docker.clone(),
    });
    daemon.track_events();

    let http_state = http::HttpState::new(gw.clone());
    let router =
        http::mcp_router(http_state.clone()).merge(api_router(daemon.clone(), http_state.clone()));
    let router = http::secure(router, &http_opts);

    // Publish where we listen, then start the servers: clients can connect at once and are
    // told when tools arrive (list_changed) instead of timing out behind slow servers.
    write_info(&home, &info)?;
    eprintln!(
        "dockside daemon listening on http://{}/mcp (pid {})",
        listener.local_addr()?,
        info.pid
    );
    {
        let d = daemon.clone();
        tokio::spawn(async move {
            // Containers a killed daemon of this home left behind.
            let _ = d.docker.reap_leftovers().await;
            d.reload().await;
        });
    }
    // When Docker comes back after an outage, docker servers start again.
    let _docker_watch = {
        let d = Arc::downgrade(&daemon);
        dockside_docker::watch::spawn(docker.clone(), move || {
            let d = d.clone();
            Box::pin(async move {
                if let Some(d) = d.upgrade() {
                    d.reload().await;
                }
            })
        })
    };
    let _watcher = if opts.watch {
        let paths = config::watched_paths(&home, &opts.selection);
        let d = Arc::downgrade(&daemon);
        Some(watch::watch(paths, move || {
            let d = d.clone();
            async move {
                if let Some(d) = d.upgrade() {
                    d.reload_if_changed().await;
                }
            }
        })?)
    } else {
        None
    };

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    {
        let d = daemon.clone();
        let sessions = http_state.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = crate::service::run::shutdown_signal() => {}
                _ = d.shutdown.notified() => {}
            }
            // End the clients' streams so the graceful shutdown does not wait for them.
            sessions.close_all();
            let _ = stop_tx.send(true);
        });
    }
    let stopping = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let served = axum::serve(crate::transport::http::low_latency(listener), router)
        .with_graceful_shutdown(stopping(stop_rx.clone()));
    // Streams (SSE) keep connections open: bound the graceful phase.
    let result = tokio::select! {
        r = served => r.map_err(anyhow::Error::from),
        _ = async {
            stopping(stop_rx.clone()).await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        } => Ok(()),
    };
    gw.shutdown().await;
    let _ = docker.reap_at_shutdown().await;
    remove_info(&home, info.pid);
    result.map(|()| 0)
}

/// A digest of the files a reload reads (every file under each path, in order), so a change
/// the daemon made and applied itself is not applied a second time when the watcher sees it.
fn fingerprint(paths: &[std::path::PathBuf]) -> String {
    use sha2::{Digest, Sha256};
    fn add(hash: &mut Sha256, path: &std::path::Path) {
        if let Ok(entries) = std::fs::read_dir(path) {
            let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            entries.sort();
            for e in entries {
                add(hash, &e);
            }
        } else if let Ok(bytes) = std::fs::read(path) {
            hash.update(path.as_os_str().as_encoded_bytes());
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(&bytes);
        }
    }
    let mut hash = Sha256::new();
    for p in paths {
        add(&mut hash, p);
    }
    hex::encode(hash.finalize())
}
