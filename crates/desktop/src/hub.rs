//! The app's live side: supervising the daemon, following its events, and keeping the tray
//! menu, the tray icon and the web UI in step with them.
//!
//! One [`Hub`] per process, in one of two [`Role`]s: the tray's supervises the daemon and
//! tells the user (notifications); the dashboard's follows the daemon and leaves supervision
//! to the tray (asked through [`link`](crate::link)). What the hub shows goes to a [`Surface`]:
//! the tray's menu and icon, or the dashboard's web UI. Two tasks own everything that changes
//! over time:
//! - [`supervise`]: as the tray, makes sure a `dockside daemon` runs for this `DOCKSIDE_HOME`
//!   (starting the `dockside` binary found beside the app or on PATH), unless the user paused
//!   the gateway; if the daemon dies it is started again and the user is told once. While it
//!   runs, its SSE events are forwarded to the surface ([`EVENT_DAEMON`]) and, as the tray, to
//!   [`Notifier`];
//! - [`refresher`]: on every change, recomputes the server rows (catalogs + state through core,
//!   run states from the daemon) and shows them: the tray menu and icon, or the UI's list
//!   ([`EVENT_SERVERS`]).
//!
//! A mode change the app makes itself ([`Hub::set_mode`]) goes through the one way to change a
//! mode: the daemon's `PUT /api/servers/{name}/mode` when it runs, else core's
//! `change::set_mode` (through [`Backend`](crate::backend::Backend)). Its answer becomes the server's new row at once,
//! in the UI and the tray, without listing everything again; the daemon events it causes are
//! forwarded but do not trigger another listing ([`is_echo`]).
//!
//! On Quit the daemon is stopped unless the user chose "Keep gateway running after quit".

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dockside_api::client::{ClientError, DaemonClient};
use dockside_api::files;
use dockside_api::{RunState, ServerStatus, SignInStarted};
use dockside_core::{Home, Mode, Profile, Workspace};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::backend::SharedBackend;
use crate::link::{self, Request};
use crate::model::{run_blocking, BackendError, DaemonState, LogLine, ServerView};
use crate::notify::{self, Notifier};
use crate::prefs::Prefs;
use crate::tray_model::{TrayModel, TrayServer, TrayStatus};

/// UI event carrying one daemon event (JSON of `core::api::Event`, or newer kinds).
pub const EVENT_DAEMON: &str = "daemon-event";
/// UI event carrying the full server rows (`Vec<ServerView>`) after any change.
pub const EVENT_SERVERS: &str = "servers-changed";
/// UI event carrying [`DaemonState`].
pub const EVENT_GATEWAY: &str = "gateway-changed";

/// Where the hub shows what changed.
pub trait Surface: Send + Sync + 'static {
    /// Sends `event` to the web UI (nothing where there is none).
    fn emit(&self, event: &str, payload: Value);
    /// Draws the tray (the tray's surface only).
    fn show_tray(&self, model: &TrayModel);
}

/// What this process's hub does about the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The tray: keeps a daemon running (unless paused), restarts it, notifies.
    Supervisor,
    /// The dashboard: follows the daemon when one runs; pausing and resuming go through the
    /// tray. Never notifies about daemon events (the tray does).
    Follower,
    /// Nothing about a daemon (smoke tests, unit tests).
    Idle,
}

fn emit(surface: &dyn Surface, event: &str, payload: &impl Serialize) {
    match serde_json::to_value(payload) {
        Ok(value) => surface.emit(event, value),
        Err(err) => tracing::warn!("could not send `{event}`: {err}"),
    }
}

const LOG_LINES: usize = 2000;

/// How long after the app's own mode change the daemon's events about that server are taken
/// as its echo (see [`is_echo`]).
const ECHO_WINDOW: Duration = Duration::from_secs(3);

pub struct Hub {
    pub home: Home,
    /// The `dockside` binary (beside the app, else on PATH).
    pub dockside: Option<PathBuf>,
    pub prefs: Mutex<Prefs>,
    notifier: Mutex<Notifier>,
    logs: Mutex<VecDeque<LogLine>>,
    state: Mutex<DaemonState>,
    statuses: Mutex<Option<Vec<ServerStatus>>>,
    /// The rows last sent to the UI and the tray (`None` before the first listing).
    rows: Mutex<Option<Vec<ServerView>>>,
    /// Bumped (under the `rows` lock) each time a row is put in by a change the app made: a
    /// listing that began before it may hold the files as they were, and is done again.
    row_changes: AtomicU64,
    /// Servers whose mode the app itself is changing or just changed, with the time until
    /// which the daemon's events about them are echoes of that change.
    own: Mutex<HashMap<String, Instant>>,
    child: Mutex<Option<Child>>,
    /// Something changed: list the rows again.
    changed: Notify,
    /// The cached rows changed: show them (no listing).
    repaint: Notify,
    wake: Notify,
    /// What the tray shows now: the menu is rebuilt only when this changes (rebuilding closes
    /// an open menu under the user's pointer).
    shown: Mutex<Option<TrayModel>>,
    quitting: AtomicBool,
    role: Role,
    /// The version of a downloaded, verified update waiting for the user's OK or the next quit
    /// (the tray's).
    pub update_ready: Mutex<Option<String>>,
}

impl Hub {
    pub fn new(home: Home, role: Role) -> Arc<Hub> {
        let prefs = Prefs::load(&home);
        let dockside = crate::launch::find_dockside();
        Arc::new(Hub {
            notifier: Mutex::new(Notifier::new(prefs.muted.iter().copied())),
            prefs: Mutex::new(prefs),
            state: Mutex::new(DaemonState {
                binary: dockside.clone(),
                ..DaemonState::default()
            }),
            dockside,
            home,
            logs: Mutex::new(VecDeque::new()),
            statuses: Mutex::new(None),
            rows: Mutex::new(None),
            row_changes: AtomicU64::new(0),
            own: Mutex::new(HashMap::new()),
            child: Mutex::new(None),
            changed: Notify::new(),
            repaint: Notify::new(),
            wake: Notify::new(),
            shown: Mutex::new(None),
            quitting: AtomicBool::new(false),
            role,
            update_ready: Mutex::new(None),
        })
    }

    pub fn daemon_state(&self) -> DaemonState {
        self.state.lock().expect("state lock").clone()
    }

    pub fn client(&self) -> Option<DaemonClient> {
        if !self.daemon_state().running {
            return None;
        }
        DaemonClient::for_home(&self.home)
    }

    /// The servers' recent output: the dashboard asks the tray, which has followed the daemon
    /// since it started (its own only when no tray answers).
    pub async fn recent_logs(&self) -> Vec<LogLine> {
        if self.role == Role::Follower {
            if let Ok(state) = link::tray_state(&self.home).await {
                return state.logs;
            }
        }
        self.own_logs()
    }

    fn own_logs(&self) -> Vec<LogLine> {
        self.logs
            .lock()
            .expect("logs lock")
            .iter()
            .cloned()
            .collect()
    }

    /// What the tray answers to [`Request::State`].
    pub fn tray_state(&self) -> link::TrayState {
        link::TrayState {
            daemon: self.daemon_state(),
            logs: self.own_logs(),
        }
    }

    /// Asks the refresher to recompute rows, menu and icon.
    pub fn changed(&self) {
        self.changed.notify_one();
    }

    /// The user changed preferences, catalogs or clients here: list again, and have the tray
    /// (when this is the dashboard) read them again too.
    pub async fn edited(&self) {
        self.changed();
        if self.role == Role::Follower {
            if let Err(err) = link::call(&self.home, Request::Changed).await {
                tracing::debug!("the tray was not told about the change: {err}");
            }
        }
    }

    /// The tray: preferences may have changed on disk (the dashboard saved them).
    pub fn reload_prefs(&self) {
        let prefs = Prefs::load(&self.home);
        self.notifier
            .lock()
            .expect("notifier lock")
            .set_disabled(prefs.muted.iter().copied());
        *self.prefs.lock().expect("prefs lock") = prefs;
        self.changed();
    }

    /// Asks the refresher to show the cached rows again (after [`Hub::set_mode`] put a new row
    /// in), without listing anything.
    fn repaint(&self) {
        self.repaint.notify_one();
    }

    /// Draws the tray menu again even if its model did not change (a click on a check item
    /// toggled it, and the change it asked for failed).
    pub fn redraw_tray(&self) {
        *self.shown.lock().expect("shown lock") = None;
        self.repaint();
    }

    pub fn set_prefs(&self, prefs: Prefs) -> Result<(), BackendError> {
        prefs.save(&self.home)?;
        self.notifier
            .lock()
            .expect("notifier lock")
            .set_disabled(prefs.muted.iter().copied());
        *self.prefs.lock().expect("prefs lock") = prefs;
        self.changed();
        Ok(())
    }

    pub fn quitting(&self) -> bool {
        self.quitting.load(Ordering::SeqCst)
    }

    pub fn keep_running(&self) -> bool {
        self.prefs.lock().expect("prefs lock").keep_gateway_running
    }

    /// Pauses (stops the daemon, does not restart it) or resumes the gateway. The dashboard
    /// asks the tray, which supervises; with no tray running it stops the daemon, or starts
    /// one, itself.
    pub async fn set_paused(&self, paused: bool) {
        self.state.lock().expect("state lock").paused = paused;
        if self.role == Role::Follower {
            match link::call(&self.home, Request::Pause { paused }).await {
                Ok(_) => {
                    self.wake.notify_one();
                    return;
                }
                Err(err) => tracing::info!("{err}: pausing or resuming here"),
            }
            if !paused {
                if let Err(err) = self.spawn_daemon() {
                    self.set_state(|s| s.error = Some(err));
                }
            }
        }
        if paused {
            if let Some(client) = DaemonClient::for_home(&self.home) {
                if let Err(err) = client.shutdown().await {
                    tracing::warn!("could not stop the daemon: {err}");
                }
            }
        }
        self.wake.notify_one();
        self.changed();
    }

    /// Called on Quit: stops the daemon unless the user wants it kept.
    pub async fn quit(&self) {
        self.quitting.store(true, Ordering::SeqCst);
        if self.role != Role::Supervisor {
            return;
        }
        if self.keep_running() {
            tracing::info!("leaving the gateway running (preference)");
            return;
        }
        if let Some(client) = DaemonClient::for_home(&self.home) {
            match client.shutdown().await {
                Ok(_) => tracing::info!("stopped the gateway"),
                Err(ClientError::Unreachable { .. }) => {}
                Err(err) => tracing::warn!("could not stop the gateway: {err}"),
            }
        }
    }

    /// Switches a server's mode, the one way: through the daemon when it runs (it saves the
    /// state, applies it to the gateway and syncs the connected clients, then answers the
    /// server's status), else through [`Backend::set_mode`] (core's `change::set_mode`: state
    /// and client files, all or nothing). The answer becomes the server's row, shown at once in
    /// the UI and the tray; nothing is listed again.
    ///
    /// [`Backend::set_mode`]: crate::backend::Backend::set_mode
    pub async fn set_mode(
        self: &Arc<Self>,
        backend: &SharedBackend,
        name: &str,
        mode: Mode,
    ) -> Result<ServerView, BackendError> {
        let result = self.change_mode(backend, name, mode).await;
        let mut own = self.own.lock().expect("own lock");
        match &result {
            // Its events may still be on their way.
            Ok(_) => own.insert(name.to_owned(), Instant::now() + ECHO_WINDOW),
            Err(_) => own.remove(name),
        };
        result
    }

    async fn change_mode(
        self: &Arc<Self>,
        backend: &SharedBackend,
        name: &str,
        mode: Mode,
    ) -> Result<ServerView, BackendError> {
        if let Some(client) = self.client() {
            // Events about it from now on are echoes of this change (the daemon may send them
            // before it answers; a docker image pull can take minutes).
            self.own
                .lock()
                .expect("own lock")
                .insert(name.to_owned(), Instant::now() + Duration::from_secs(3600));
            match client.set_mode(name, mode).await {
                Ok(status) => {
                    let status = ServerStatus {
                        mode: status.mode.or(Some(mode)),
                        ..status
                    };
                    return Ok(self.show_status(name, status));
                }
                // No daemon at its address any more: it did not see the request.
                Err(ClientError::Unreachable { source, .. }) if source.is_connect() => {
                    tracing::info!("the daemon is gone; changing the mode through core");
                }
                Err(err) => return Err(BackendError::Daemon(err.to_string())),
            }
        }
        let (b, n) = (Arc::clone(backend), name.to_owned());
        let row = run_blocking(move || b.set_mode(&n, mode)).await?;
        let row = merge(vec![row], &self.daemon_state(), None).remove(0);
        self.put_row(row.clone());
        Ok(row)
    }

    /// Makes `status`, the daemon's answer to a change of `name` (a mode, a restart), the
    /// server's row, shows it in the UI and the tray, and returns it.
    pub fn show_status(&self, name: &str, status: ServerStatus) -> ServerView {
        if let Some(statuses) = self.statuses.lock().expect("statuses lock").as_mut() {
            match statuses.iter_mut().find(|s| s.name == status.name) {
                Some(s) => *s = status.clone(),
                None => statuses.push(status.clone()),
            }
        }
        let before = self
            .rows
            .lock()
            .expect("rows lock")
            .as_ref()
            .and_then(|rows| rows.iter().find(|r| r.name == name).cloned());
        let row = row_from_status(before.as_ref(), name, &status, &self.daemon_state());
        self.put_row(row.clone());
        row
    }

    /// Puts `row` in the cached rows and has it shown; lists everything only when there is no
    /// cached list to put it in yet.
    fn put_row(&self, row: ServerView) {
        let mut rows = self.rows.lock().expect("rows lock");
        self.row_changes.fetch_add(1, Ordering::SeqCst);
        match rows
            .as_mut()
            .and_then(|rows| rows.iter_mut().find(|r| r.name == row.name))
        {
            Some(slot) => {
                *slot = row;
                self.repaint();
            }
            None => self.changed(),
        }
    }

    /// The rows last shown, if any were listed yet.
    pub fn cached_rows(&self) -> Option<Vec<ServerView>> {
        self.rows.lock().expect("rows lock").clone()
    }

    /// The server rows: catalogs and modes from core, run states from the daemon.
    pub async fn rows(&self, backend: &SharedBackend) -> Result<Vec<ServerView>, BackendError> {
        loop {
            let changes = self.row_changes.load(Ordering::SeqCst);
            let b = Arc::clone(backend);
            let rows = run_blocking(move || b.list_servers()).await?;
            let state = self.daemon_state();
            let statuses = match self.client() {
                Some(client) => client.servers().await.ok(),
                None => None,
            };
            let rows = merge(rows, &state, statuses.as_deref());
            let mut cached = self.rows.lock().expect("rows lock");
            if self.row_changes.load(Ordering::SeqCst) != changes {
                // A change of the app's own landed meanwhile: this list may predate it.
                continue;
            }
            *self.statuses.lock().expect("statuses lock") = statuses;
            *cached = Some(rows.clone());
            return Ok(rows);
        }
    }

    fn on_event(self: &Arc<Self>, surface: &dyn Surface, event: Value) {
        surface.emit(EVENT_DAEMON, event.clone());
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kind == "log" {
            let server = event
                .get("server")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let line = event
                .get("line")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut logs = self.logs.lock().expect("logs lock");
            if logs.len() >= LOG_LINES {
                logs.pop_front();
            }
            logs.push_back(LogLine {
                at: event
                    .get("at_ms")
                    .and_then(Value::as_u64)
                    .filter(|&t| t > 0)
                    .unwrap_or_else(now_millis),
                server: server.to_owned(),
                line: line.to_owned(),
            });
        } else {
            let echo = {
                let mut own = self.own.lock().expect("own lock");
                let now = Instant::now();
                own.retain(|_, until| *until > now);
                is_echo(&event, &own, now)
            };
            if echo {
                tracing::debug!(?event, "an echo of the app's own change: not listing again");
            } else {
                self.changed();
            }
        }
        if self.role == Role::Supervisor {
            self.notify(&event);
        }
    }

    /// Shows the notification `event` calls for, if any (subject to flood control and the
    /// user's preferences).
    pub fn notify(self: &Arc<Self>, event: &Value) {
        let note = self
            .notifier
            .lock()
            .expect("notifier lock")
            .on_event(event, Instant::now());
        if let Some(note) = note {
            self.show(note);
        }
    }

    fn show(self: &Arc<Self>, note: notify::Note) {
        tracing::info!(title = %note.title, "notification");
        let hub = Arc::clone(self);
        let runtime = tokio::runtime::Handle::current();
        notify::show(note, move |action| {
            if let Some(server) = action.strip_prefix("restart:") {
                let server = server.to_owned();
                runtime.spawn(async move {
                    if let Some(client) = hub.client() {
                        if let Err(err) = client.action(&server, "restart").await {
                            tracing::warn!("restart of {server} failed: {err}");
                        }
                    }
                });
            } else if let Some(server) = action.strip_prefix("sign-in:") {
                let server = server.to_owned();
                runtime.spawn(async move {
                    if let Err(err) = hub.sign_in(&server).await {
                        tracing::warn!("sign-in of {server}: {err}");
                    }
                });
            }
        });
    }

    /// Starts a remote server's sign-in through the daemon, which opens the page in the
    /// browser, finishes it when the browser comes back and restarts the server.
    pub async fn sign_in(&self, server: &str) -> Result<SignInStarted, BackendError> {
        let client = self
            .client()
            .ok_or_else(|| BackendError::Daemon("start the Dockside gateway to sign in".into()))?;
        client
            .sign_in(server)
            .await
            .map_err(|e| BackendError::Daemon(e.to_string()))
    }

    fn set_state(&self, update: impl FnOnce(&mut DaemonState)) -> bool {
        let mut state = self.state.lock().expect("state lock");
        let before = state.clone();
        update(&mut state);
        *state != before
    }

    /// Starts `dockside daemon` for this home (`dockside_api::start`: detached, its own process
    /// group, logging to `daemon.log`), unless the one this app started is still starting.
    fn spawn_daemon(&self) -> Result<(), String> {
        let Some(binary) = &self.dockside else {
            return Err("the `dockside` command was not found beside the app or on PATH".into());
        };
        let mut child = self.child.lock().expect("child lock");
        if let Some(c) = child.as_mut() {
            if matches!(c.try_wait(), Ok(None)) {
                return Ok(()); // still starting
            }
        }
        let spawned =
            dockside_api::start::spawn_daemon(&self.home, binary).map_err(|e| format!("{e:#}"))?;
        tracing::info!(pid = spawned.id(), binary = %binary.display(), "started the daemon");
        *child = Some(spawned);
        Ok(())
    }

    fn has_child(&self) -> bool {
        self.child.lock().expect("child lock").is_some()
    }

    /// Reaps a daemon child that exited; returns its exit status, if it did.
    fn reap(&self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.lock().expect("child lock");
        let status = child.as_mut()?.try_wait().ok()??;
        *child = None;
        Some(status)
    }
}

/// The row of `name` after the daemon answered `status` to a change: `before` (the row shown
/// until now, for its title) in the mode `status` names, with the run state the daemon reports.
pub fn row_from_status(
    before: Option<&ServerView>,
    name: &str,
    status: &ServerStatus,
    daemon: &DaemonState,
) -> ServerView {
    let mode = status
        .mode
        .or(before.map(|b| b.mode))
        .unwrap_or(Mode::Managed);
    let row = match before {
        Some(before) => before.in_mode(mode),
        None => ServerView::new(name, "", mode, crate::model::mode_state(mode)),
    };
    merge(vec![row], daemon, Some(std::slice::from_ref(status))).remove(0)
}

/// Whether daemon `event` only reports what a mode change the app made itself (`own`: server →
/// until when) already told it: the server starting or stopping, or a reload that touched only
/// such servers. Crashes, tool changes and everything else are news.
pub fn is_echo(event: &Value, own: &HashMap<String, Instant>, now: Instant) -> bool {
    let mine = |server: &str| own.get(server).is_some_and(|until| *until > now);
    let str_of = |key: &str| event.get(key).and_then(Value::as_str);
    match str_of("type").unwrap_or_default() {
        "server-started" | "server-stopped" | "start-failed" => str_of("server").is_some_and(mine),
        "reloaded" => {
            let names = ["started", "stopped", "restarted", "failed"]
                .into_iter()
                .flat_map(|key| {
                    event
                        .get(key)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .filter_map(Value::as_str)
                // `failed` holds `server: error`.
                .map(|entry| entry.split_once(": ").map_or(entry, |(name, _)| name))
                .collect::<Vec<_>>();
            own.values().any(|until| *until > now) && names.into_iter().all(mine)
        }
        _ => false,
    }
}

/// Row states for what the daemon says (or cannot say).
pub fn merge(
    mut rows: Vec<ServerView>,
    daemon: &DaemonState,
    statuses: Option<&[ServerStatus]>,
) -> Vec<ServerView> {
    for row in &mut rows {
        if !matches!(row.mode, Mode::Managed | Mode::Docker) {
            continue;
        }
        let status = statuses.and_then(|s| s.iter().find(|s| s.name == row.name));
        row.state = match (daemon.running, status) {
            (false, _) if daemon.paused => "paused".into(),
            (false, _) => "gateway stopped".into(),
            (true, None) => "stopped".into(),
            (true, Some(s)) => {
                row.tools = Some(s.tools);
                row.restarts = s.restarts;
                row.pid = s.pid;
                row.error = s.error.clone();
                state_name(s, row.mode)
            }
        };
    }
    rows
}

fn state_name(s: &ServerStatus, mode: Mode) -> String {
    let docker_down = |e: &str| {
        let e = e.to_ascii_lowercase();
        e.contains("docker")
            && [
                "unavailable",
                "not running",
                "cannot connect",
                "connect",
                "no such file",
            ]
            .iter()
            .any(|w| e.contains(w))
    };
    match s.state {
        RunState::Running => "running",
        RunState::Starting if s.restarts > 0 => "restarting",
        RunState::Starting => "starting",
        RunState::Stopped => "stopped",
        RunState::CrashLoop => "crash-loop",
        RunState::Failed if mode == Mode::Docker && s.error.as_deref().is_some_and(docker_down) => {
            "docker unavailable"
        }
        RunState::Failed => "failed",
        RunState::DockerUnavailable => "docker unavailable",
        RunState::Unreachable => "unreachable",
        RunState::NeedsSignIn => crate::model::STATE_NEEDS_SIGN_IN,
    }
    .into()
}

/// The overall tray status for these rows.
pub fn tray_status(daemon: &DaemonState, rows: &[ServerView]) -> TrayStatus {
    if !daemon.running {
        return TrayStatus::Stopped;
    }
    let bad = rows.iter().any(|r| {
        matches!(
            r.state.as_str(),
            "crash-loop"
                | "failed"
                | "restarting"
                | "docker unavailable"
                | "unreachable"
                | "needs sign-in"
        )
    });
    if bad {
        TrayStatus::Degraded
    } else {
        TrayStatus::Ok
    }
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Follows the daemon's events until the process quits; as the tray, keeps a daemon running
/// (unless paused).
pub async fn supervise(surface: Arc<dyn Surface>, hub: Arc<Hub>) {
    match hub.role {
        Role::Supervisor => keep_running(surface, hub).await,
        Role::Follower => follow(surface, hub).await,
        Role::Idle => {}
    }
}

/// The dashboard: follows the daemon while one runs (the tray starts it) and takes the pause
/// flag and the last start error from the tray.
async fn follow(surface: Arc<dyn Surface>, hub: Arc<Hub>) {
    while !hub.quitting() {
        let tray = link::tray_state(&hub.home).await.ok();
        let client = DaemonClient::for_home(&hub.home);
        let status = match &client {
            Some(c) => c.status().await.ok(),
            None => None,
        };
        let changed = hub.set_state(|s| {
            s.running = status.is_some();
            s.pid = status.as_ref().map(|st| st.pid);
            s.url = status.as_ref().map(|st| st.url.clone());
            match &tray {
                Some(tray) => {
                    s.paused = tray.daemon.paused;
                    s.error = tray.daemon.error.clone();
                }
                None if status.is_some() => s.error = None,
                None => {}
            }
        });
        if changed {
            emit(surface.as_ref(), EVENT_GATEWAY, &hub.daemon_state());
            hub.changed();
        }
        match (client, status) {
            (Some(client), Some(_)) => {
                let (h, s) = (Arc::clone(&hub), Arc::clone(&surface));
                let ended = client
                    .follow_events(move |ev| h.on_event(s.as_ref(), ev))
                    .await;
                tracing::info!(?ended, "daemon event stream ended");
            }
            _ => wait(&hub, Duration::from_secs(1)).await,
        }
    }
}

/// The tray: keeps a daemon running (unless paused), tells the user when it had to restart it.
async fn keep_running(surface: Arc<dyn Surface>, hub: Arc<Hub>) {
    let mut died: Option<String> = None;
    let mut start_failures = 0u32;
    while !hub.quitting.load(Ordering::SeqCst) {
        if let Some(status) = hub.reap() {
            tracing::info!("the daemon exited ({status})");
        }
        let paused = hub.daemon_state().paused;
        let client = DaemonClient::for_home(&hub.home);
        let status = match &client {
            Some(c) => c.status().await.ok(),
            None => None,
        };
        match (client, status) {
            (Some(client), Some(status)) => {
                start_failures = 0;
                if let Some(how) = died.take() {
                    let note = hub
                        .notifier
                        .lock()
                        .expect("notifier lock")
                        .gateway_restarted(&how, Instant::now());
                    if let Some(note) = note {
                        hub.show(note);
                    }
                }
                if hub.set_state(|s| {
                    s.running = true;
                    s.pid = Some(status.pid);
                    s.url = Some(status.url.clone());
                    s.error = None;
                }) {
                    emit(surface.as_ref(), EVENT_GATEWAY, &hub.daemon_state());
                }
                hub.changed();
                if paused {
                    let _ = client.shutdown().await;
                } else {
                    let (h, s) = (Arc::clone(&hub), Arc::clone(&surface));
                    let ended = client
                        .follow_events(move |ev| h.on_event(s.as_ref(), ev))
                        .await;
                    tracing::info!(?ended, "daemon event stream ended");
                }
                hub.set_state(|s| {
                    s.running = false;
                    s.pid = None;
                    s.url = None;
                });
                // Let a daemon we started finish exiting, to learn how it ended.
                let mut exit = None;
                for _ in 0..50 {
                    exit = hub.reap();
                    if exit.is_some() || !hub.has_child() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                let expected = hub.daemon_state().paused || hub.quitting();
                match exit {
                    _ if expected => died = None,
                    // A clean exit is a deliberate stop (`dockside stop`, the API): respect it
                    // as a pause instead of starting the daemon again behind the user's back.
                    Some(status) if status.success() => {
                        tracing::info!(
                            "the daemon was stopped; the gateway stays paused until resumed"
                        );
                        hub.set_state(|s| s.paused = true);
                        died = None;
                    }
                    Some(status) => died = Some(status.to_string()),
                    None => {
                        died.get_or_insert_with(|| "its event stream ended".into());
                    }
                }
                emit(surface.as_ref(), EVENT_GATEWAY, &hub.daemon_state());
                hub.changed();
            }
            _ if paused => {
                died = None;
                if hub.set_state(|s| s.running = false) {
                    emit(surface.as_ref(), EVENT_GATEWAY, &hub.daemon_state());
                }
                wait(&hub, Duration::from_secs(5)).await;
            }
            _ => {
                let result = hub.spawn_daemon();
                let changed = hub.set_state(|s| {
                    s.running = false;
                    s.error = result.as_ref().err().cloned();
                });
                if changed {
                    emit(surface.as_ref(), EVENT_GATEWAY, &hub.daemon_state());
                    hub.changed();
                }
                match result {
                    Ok(()) => {
                        // Poll quickly while it starts.
                        for _ in 0..100 {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            if let Some(c) = DaemonClient::for_home(&hub.home) {
                                if c.status().await.is_ok() {
                                    break;
                                }
                            }
                            if let Some(how) = hub.reap() {
                                start_failures += 1;
                                let how = how.to_string();
                                let log = files::log_path(&hub.home);
                                let error = format!(
                                    "the daemon exited while starting ({how}); see {}",
                                    log.display()
                                );
                                tracing::warn!("{error}");
                                hub.set_state(|s| s.error = Some(error));
                                emit(surface.as_ref(), EVENT_GATEWAY, &hub.daemon_state());
                                break;
                            }
                        }
                    }
                    Err(err) => {
                        start_failures += 1;
                        tracing::warn!("cannot start the daemon: {err}");
                    }
                }
                if start_failures > 0 {
                    let backoff = Duration::from_secs(u64::from(start_failures.min(6)) * 5);
                    wait(&hub, backoff).await;
                }
            }
        }
    }
}

async fn wait(hub: &Hub, time: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(time) => {}
        _ = hub.wake.notified() => {}
    }
}

/// Recomputes rows, tray menu, tray icon and the UI's list whenever something changed.
pub async fn refresher(surface: Arc<dyn Surface>, hub: Arc<Hub>, backend: SharedBackend) {
    loop {
        let list = tokio::select! {
            _ = hub.changed.notified() => true,
            _ = hub.repaint.notified() => false,
        };
        let cached = if list {
            // Coalesce bursts (a reload emits several events at once).
            tokio::time::sleep(Duration::from_millis(150)).await;
            None
        } else {
            hub.cached_rows()
        };
        let rows = match cached {
            Some(rows) => rows,
            None => match hub.rows(&backend).await {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::warn!("could not list servers: {err}");
                    continue;
                }
            },
        };
        emit(surface.as_ref(), EVENT_SERVERS, &rows);
        if hub.role == Role::Supervisor {
            let model = tray_model(&hub, &rows, &hub.daemon_state()).await;
            let fresh = {
                let mut shown = hub.shown.lock().expect("shown lock");
                let fresh = shown.as_ref() != Some(&model);
                *shown = Some(model.clone());
                fresh
            };
            if fresh {
                surface.show_tray(&model);
            }
        }
        if hub.quitting.load(Ordering::SeqCst) {
            return;
        }
    }
}

async fn tray_model(hub: &Hub, rows: &[ServerView], daemon: &DaemonState) -> TrayModel {
    let home = hub.home.clone();
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    // Files only (the workspace, the autostart entry): on the blocking pool.
    let (modes, autostart) = run_blocking(move || {
        let modes = Workspace::load(home).ok().map(|ws| {
            let runnable: Vec<Vec<Mode>> = names
                .iter()
                .map(|n| {
                    Mode::ALL
                        .into_iter()
                        .filter(|m| *m == Mode::Off || ws.launch_in(n, *m).is_ok())
                        .collect()
                })
                .collect();
            (ws.state().profile, runnable)
        });
        Ok::<_, BackendError>((modes, crate::autostart::enabled()))
    })
    .await
    .unwrap_or((None, false));
    let (profile, runnable) =
        modes.unwrap_or_else(|| (Profile::Development, vec![Mode::ALL.to_vec(); rows.len()]));
    TrayModel {
        status: tray_status(daemon, rows),
        servers: rows
            .iter()
            .zip(runnable)
            .map(|(r, modes)| TrayServer {
                name: r.name.clone(),
                mode: r.mode,
                state: r.state.clone(),
                modes,
                gateway: daemon.running && matches!(r.mode, Mode::Managed | Mode::Docker),
            })
            .collect(),
        production: profile == Profile::Production,
        paused: daemon.paused,
        keep_running: hub.keep_running(),
        autostart,
        update_ready: hub.update_ready.lock().expect("update lock").clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, mode: Mode) -> ServerView {
        ServerView::new(name, "", mode, crate::model::mode_state(mode))
    }

    fn status(name: &str, state: RunState, restarts: u32, error: Option<&str>) -> ServerStatus {
        ServerStatus {
            name: name.into(),
            state,
            mode: None,
            pid: Some(7),
            tools: 3,
            started_at: None,
            restarts,
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn rows_take_run_states_from_the_daemon() {
        let rows = vec![
            row("a", Mode::Managed),
            row("b", Mode::Docker),
            row("c", Mode::Native),
            row("d", Mode::Managed),
            row("e", Mode::Managed),
        ];
        let up = DaemonState {
            running: true,
            ..DaemonState::default()
        };
        let statuses = [
            status("a", RunState::Running, 0, None),
            status(
                "b",
                RunState::Failed,
                0,
                Some("docker: cannot connect to the Docker daemon"),
            ),
            status("d", RunState::Starting, 2, None),
            status("e", RunState::CrashLoop, 5, Some("crash loop")),
        ];
        let merged = merge(rows.clone(), &up, Some(&statuses));
        let states: Vec<&str> = merged.iter().map(|r| r.state.as_str()).collect();
        assert_eq!(
            states,
            [
                "running",
                "docker unavailable",
                "run by clients",
                "restarting",
                "crash-loop"
            ]
        );
        assert_eq!(merged[0].tools, Some(3));
        assert_eq!(tray_status(&up, &merged), TrayStatus::Degraded);
        assert_eq!(tray_status(&up, &merged[..1]), TrayStatus::Ok);

        let down = DaemonState::default();
        let merged = merge(rows, &down, None);
        assert_eq!(merged[0].state, "gateway stopped");
        assert_eq!(tray_status(&down, &merged), TrayStatus::Stopped);
    }

    /// A listing that reads the files as they were before a change of the app's own landed is
    /// not shown over that change: it is done again.
    #[test]
    fn a_listing_that_began_before_an_own_change_is_done_again() {
        struct Racing {
            hub: std::sync::OnceLock<Arc<Hub>>,
            lists: AtomicUsize,
        }
        impl Backend for Racing {
            fn list_servers(&self) -> Result<Vec<ServerView>, BackendError> {
                let n = self.lists.fetch_add(1, Ordering::SeqCst);
                let mode = if n == 0 { Mode::Managed } else { Mode::Off };
                if n == 0 {
                    // The app's own change lands while this (stale) listing is under way.
                    let hub = self.hub.get().unwrap();
                    hub.put_row(ServerView::new("demo", "Demo", Mode::Off, "off"));
                }
                Ok(vec![ServerView::new("demo", "Demo", mode, "x")])
            }
            fn set_mode(&self, _: &str, _: Mode) -> Result<ServerView, BackendError> {
                unreachable!()
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let hub = hub_in(dir.path());
        *hub.rows.lock().unwrap() = Some(vec![ServerView::new("demo", "Demo", Mode::Managed, "x")]);
        let racing = Arc::new(Racing {
            hub: std::sync::OnceLock::new(),
            lists: AtomicUsize::new(0),
        });
        let _ = racing.hub.set(hub.clone());
        let backend: SharedBackend = racing.clone();
        let rows = block_on(hub.rows(&backend)).unwrap();
        assert_eq!(racing.lists.load(Ordering::SeqCst), 2);
        assert_eq!(rows[0].mode, Mode::Off);
        assert_eq!(hub.cached_rows().unwrap()[0].mode, Mode::Off);
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::AtomicUsize;

    use crate::backend::Backend;

    /// A backend that counts listings and answers a mode change with a fixed row.
    struct Counting {
        lists: AtomicUsize,
        changes: Mutex<Vec<(String, Mode)>>,
    }

    impl Counting {
        fn new() -> Arc<Counting> {
            Arc::new(Counting {
                lists: AtomicUsize::new(0),
                changes: Mutex::new(Vec::new()),
            })
        }
    }

    impl Backend for Counting {
        fn list_servers(&self) -> Result<Vec<ServerView>, BackendError> {
            self.lists.fetch_add(1, Ordering::SeqCst);
            Ok(vec![
                ServerView::new("demo", "Demo", Mode::Native, "run by clients"),
                ServerView::new("other", "Other", Mode::Off, "off"),
            ])
        }

        fn set_mode(&self, name: &str, mode: Mode) -> Result<ServerView, BackendError> {
            self.changes.lock().unwrap().push((name.to_owned(), mode));
            Ok(ServerView::new(
                name,
                "Demo",
                mode,
                crate::model::mode_state(mode),
            ))
        }
    }

    /// A daemon on a loopback port that answers every request with `answer` (JSON) and records
    /// `METHOD PATH BODY` of each.
    fn fake_daemon(answer: String) -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                reader.read_line(&mut request).unwrap();
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = header.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let line = request
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                log.lock()
                    .unwrap()
                    .push(format!("{line} {}", String::from_utf8_lossy(&body)));
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        (port, seen)
    }

    fn hub_in(dir: &std::path::Path) -> Arc<Hub> {
        Hub::new(Home::new(dir), Role::Idle)
    }

    #[test]
    fn a_mode_change_through_the_daemon_shows_its_answer_without_listing_again() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let answer = ServerStatus {
            mode: Some(Mode::Managed),
            ..status("demo", RunState::Running, 0, None)
        };
        let (port, seen) = fake_daemon(serde_json::to_string(&answer).unwrap());
        let info = dockside_api::DaemonInfo {
            pid: std::process::id(),
            host: "127.0.0.1".into(),
            port,
            version: "test".into(),
            started_at: 1,
        };
        files::write_info(&home, &info).unwrap();
        let hub = hub_in(dir.path());
        hub.set_state(|s| s.running = true);
        let counting = Counting::new();
        let backend: SharedBackend = counting.clone();
        // The rows the UI and tray show now (as the refresher leaves them).
        *hub.rows.lock().unwrap() = Some(counting.list_servers().unwrap());
        counting.lists.store(0, Ordering::SeqCst);

        let row = block_on(hub.set_mode(&backend, "demo", Mode::Managed)).unwrap();

        assert_eq!(
            (
                row.name.as_str(),
                row.title.as_str(),
                row.mode,
                row.state.as_str()
            ),
            ("demo", "Demo", Mode::Managed, "running")
        );
        assert_eq!((row.tools, row.pid), (Some(3), Some(7)));
        // One request, the mode change; no listing, no core write.
        assert_eq!(
            *seen.lock().unwrap(),
            [r#"PUT /api/servers/demo/mode {"mode":"managed"}"#]
        );
        assert_eq!(counting.lists.load(Ordering::SeqCst), 0);
        assert!(counting.changes.lock().unwrap().is_empty());
        // The cached rows hold the new row, the other row untouched.
        let rows = hub.cached_rows().unwrap();
        assert_eq!(rows[0], row);
        assert_eq!(rows[1].name, "other");
        // The daemon's events about it are its echo; others are news.
        let own = hub.own.lock().unwrap().clone();
        let now = Instant::now();
        let started =
            serde_json::json!({"type": "server-started", "server": "demo", "pid": 7, "tools": 3});
        assert!(is_echo(&started, &own, now));
        let crashed =
            serde_json::json!({"type": "server-crashed", "server": "demo", "how": "exit 1"});
        assert!(!is_echo(&crashed, &own, now));
    }

    #[test]
    fn without_a_daemon_the_backend_changes_the_mode_and_nothing_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let hub = hub_in(dir.path());
        let counting = Counting::new();
        let backend: SharedBackend = counting.clone();
        *hub.rows.lock().unwrap() = Some(counting.list_servers().unwrap());
        counting.lists.store(0, Ordering::SeqCst);

        let row = block_on(hub.set_mode(&backend, "demo", Mode::Docker)).unwrap();

        assert_eq!(
            *counting.changes.lock().unwrap(),
            [("demo".to_owned(), Mode::Docker)]
        );
        assert_eq!(counting.lists.load(Ordering::SeqCst), 0);
        // A gateway server while no gateway runs.
        assert_eq!(
            (row.mode, row.state.as_str()),
            (Mode::Docker, "gateway stopped")
        );
        assert_eq!(hub.cached_rows().unwrap()[0], row);
    }

    #[test]
    fn a_status_becomes_the_row_in_its_mode() {
        let up = DaemonState {
            running: true,
            ..DaemonState::default()
        };
        let mut before = row("demo", Mode::Managed);
        before.title = "Demo".into();
        before.error = Some("old crash".into());
        before.restarts = 4;
        // Back to native: the daemon's numbers no longer apply.
        let native = ServerStatus {
            mode: Some(Mode::Native),
            ..status("demo", RunState::Stopped, 0, None)
        };
        let r = row_from_status(Some(&before), "demo", &native, &up);
        assert_eq!(
            (
                r.title.as_str(),
                r.mode,
                r.state.as_str(),
                r.error,
                r.restarts,
                r.tools
            ),
            ("Demo", Mode::Native, "run by clients", None, 0, None)
        );
        // To docker, starting.
        let docker = ServerStatus {
            mode: Some(Mode::Docker),
            ..status("demo", RunState::Starting, 0, None)
        };
        let r = row_from_status(Some(&before), "demo", &docker, &up);
        assert_eq!((r.mode, r.state.as_str()), (Mode::Docker, "starting"));
        // No row known yet, no mode in the answer: a gateway server.
        let r = row_from_status(None, "new", &status("new", RunState::Running, 0, None), &up);
        assert_eq!((r.mode, r.state.as_str()), (Mode::Managed, "running"));
    }

    #[test]
    fn echoes_are_only_events_about_the_apps_own_recent_change() {
        let now = Instant::now();
        let mut own = HashMap::new();
        own.insert("demo".to_owned(), now + ECHO_WINDOW);
        own.insert("old".to_owned(), now - Duration::from_secs(1));
        let ev = |v: serde_json::Value| v;
        let echo = |v| is_echo(&v, &own, now);
        assert!(echo(ev(
            serde_json::json!({"type": "server-stopped", "server": "demo"})
        )));
        assert!(echo(ev(
            serde_json::json!({"type": "reloaded", "started": ["demo"],
            "stopped": [], "restarted": [], "failed": []})
        )));
        assert!(echo(ev(
            serde_json::json!({"type": "reloaded", "started": [],
            "stopped": [], "restarted": [], "failed": ["demo: no such file"]})
        )));
        // Another server, an expired change, or news about the server itself.
        assert!(!echo(ev(
            serde_json::json!({"type": "server-stopped", "server": "other"})
        )));
        assert!(!echo(ev(
            serde_json::json!({"type": "server-stopped", "server": "old"})
        )));
        assert!(!echo(ev(
            serde_json::json!({"type": "reloaded", "started": ["demo", "other"],
            "stopped": [], "restarted": [], "failed": []})
        )));
        assert!(!echo(ev(
            serde_json::json!({"type": "tools-changed", "server": "demo", "tools": 2})
        )));
        assert!(!echo(ev(
            serde_json::json!({"type": "crash-loop", "server": "demo", "crashes": 5})
        )));
        // Nothing of the app's own pending: a reload is news.
        let none = HashMap::new();
        let reloaded = serde_json::json!({"type": "reloaded", "started": [], "stopped": [],
            "restarted": [], "failed": []});
        assert!(!is_echo(&reloaded, &none, now));
    }

    /// The dashboard's hub leaves the gateway to the tray: pausing, the recent output and
    /// edits go through the tray's link.
    #[test]
    fn the_dashboards_hub_asks_the_tray() {
        struct FakeTray(Mutex<Vec<Request>>);
        impl link::Handler for FakeTray {
            async fn handle(&self, request: Request) -> Value {
                self.0.lock().unwrap().push(request.clone());
                match request {
                    Request::State => serde_json::to_value(link::TrayState {
                        daemon: DaemonState::default(),
                        logs: vec![LogLine {
                            at: 1,
                            server: "demo".into(),
                            line: "héllo from the tray".into(),
                        }],
                    })
                    .unwrap(),
                    _ => Value::Null,
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let hub = Hub::new(Home::new(dir.path()), Role::Follower);
        let tray = Arc::new(FakeTray(Mutex::new(Vec::new())));
        block_on(async {
            let listener = link::Listener::bind(&hub.home).await.unwrap();
            tokio::spawn(listener.serve(Arc::clone(&tray)));
            hub.set_paused(true).await;
            let logs = hub.recent_logs().await;
            assert_eq!(logs[0].line, "héllo from the tray");
            hub.edited().await;
        });
        assert_eq!(
            *tray.0.lock().unwrap(),
            [
                Request::Pause { paused: true },
                Request::State,
                Request::Changed
            ]
        );
        assert!(hub.daemon_state().paused);
    }
}
