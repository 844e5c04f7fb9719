//! The app's live side: supervising the daemon, following its events, and keeping the tray
//! menu, the tray icon and the web UI in step with them.
//!
//! One [`Hub`] per app (Tauri state). Two tasks own everything that changes over time:
//! - [`supervise`]: makes sure a `dockside daemon` runs for this `DOCKSIDE_HOME` (starting the
//!   `dockside` binary found beside the app or on PATH), unless the user paused the gateway;
//!   if the daemon dies it is started again and the user is told once. While it runs, its SSE
//!   events are forwarded to the UI (Tauri event [`EVENT_DAEMON`]) and to [`Notifier`];
//! - [`refresher`]: on every change, recomputes the server rows (catalogs + state through core,
//!   run states from the daemon), rebuilds the tray menu, sets the tray icon and sends the rows
//!   to the UI ([`EVENT_SERVERS`]).
//!
//! On Quit the daemon is stopped unless the user chose "Keep gateway running after quit".

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dockside_api::{RunState, ServerStatus};
use dockside_core::{Home, Mode, Profile, Workspace};
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::Notify;

use crate::backend::{BackendError, ServerView};
use crate::notify::{self, Notifier};
use crate::prefs::Prefs;
use crate::tray::{self, TrayModel, TrayServer, TrayStatus};
use dockside_api::client::{ClientError, DaemonClient};

/// Tauri event carrying one daemon event (JSON of `core::api::Event`, or newer kinds).
pub const EVENT_DAEMON: &str = "daemon-event";
/// Tauri event carrying the full server rows (`Vec<ServerView>`) after any change.
pub const EVENT_SERVERS: &str = "servers-changed";
/// Tauri event carrying [`DaemonState`].
pub const EVENT_GATEWAY: &str = "gateway-changed";
/// Tauri event asking the UI to show a screen (`"servers"`, `"production"`, …).
pub const EVENT_NAVIGATE: &str = "navigate";

const LOG_LINES: usize = 2000;

/// The gateway as the app sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonState {
    pub running: bool,
    /// The user paused the gateway: it is not started or restarted.
    pub paused: bool,
    pub pid: Option<u32>,
    /// Aggregated MCP endpoint when running.
    pub url: Option<String>,
    /// Why it is not running (binary not found, exited while starting…).
    pub error: Option<String>,
    /// The `dockside` binary the app starts.
    pub binary: Option<PathBuf>,
}

/// One line of a server's output.
#[derive(Debug, Clone, Serialize)]
pub struct LogLine {
    /// Unix time, milliseconds.
    pub at: u64,
    pub server: String,
    pub line: String,
}

pub struct Hub {
    pub home: Home,
    /// The `dockside` binary (beside the app, else on PATH).
    pub dockside: Option<PathBuf>,
    pub prefs: Mutex<Prefs>,
    notifier: Mutex<Notifier>,
    logs: Mutex<VecDeque<LogLine>>,
    state: Mutex<DaemonState>,
    statuses: Mutex<Option<Vec<ServerStatus>>>,
    child: Mutex<Option<Child>>,
    changed: Notify,
    wake: Notify,
    /// What the tray shows now: the menu is rebuilt only when this changes (rebuilding closes
    /// an open menu under the user's pointer).
    shown: Mutex<Option<TrayModel>>,
    quitting: AtomicBool,
    /// A production switch (or its undo) is running.
    switching: AtomicBool,
    /// Run no daemon at all (`--smoke-test` without a `dockside` binary, unit tests).
    supervise: bool,
}

impl Hub {
    pub fn new(home: Home, supervise: bool) -> Arc<Hub> {
        let prefs = Prefs::load(&home);
        let dockside = find_dockside();
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
            child: Mutex::new(None),
            changed: Notify::new(),
            wake: Notify::new(),
            shown: Mutex::new(None),
            quitting: AtomicBool::new(false),
            switching: AtomicBool::new(false),
            supervise,
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

    pub fn recent_logs(&self) -> Vec<LogLine> {
        self.logs
            .lock()
            .expect("logs lock")
            .iter()
            .cloned()
            .collect()
    }

    /// Asks the refresher to recompute rows, menu and icon.
    pub fn changed(&self) {
        self.changed.notify_one();
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

    /// Pauses (stops the daemon, does not restart it) or resumes the gateway.
    pub async fn set_paused(&self, paused: bool) {
        self.state.lock().expect("state lock").paused = paused;
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
        if !self.supervise {
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

    /// Switches a server's mode: through the daemon when it runs (it saves the state with core
    /// and reloads), else with core directly; then syncs the connected clients' files.
    pub async fn set_mode(
        self: &Arc<Self>,
        backend: &crate::commands::SharedBackend,
        name: &str,
        mode: Mode,
    ) -> Result<ServerView, BackendError> {
        let via_daemon = match self.client() {
            Some(client) => match client.set_mode(name, mode).await {
                Ok(_) => true,
                Err(ClientError::Unreachable { .. }) => false,
                Err(err) => return Err(BackendError::Internal(err.to_string())),
            },
            None => false,
        };
        if !via_daemon {
            let (b, n) = (Arc::clone(backend), name.to_owned());
            crate::commands::run_blocking(move || b.set_mode(&n, mode)).await?;
        }
        let ctx = crate::clients::context(&self.home, self.dockside.as_deref());
        let synced =
            crate::commands::run_blocking(move || crate::clients::sync_connected(&ctx)).await;
        self.changed();
        let rows = self.rows(backend).await?;
        let mut row = rows
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| dockside_core::Error::UnknownServer(name.to_owned()))?;
        if let Err(err) = synced {
            row.warning = Some(err.to_string());
        }
        Ok(row)
    }

    /// The server rows: catalogs and modes from core, run states from the daemon.
    pub async fn rows(
        &self,
        backend: &crate::commands::SharedBackend,
    ) -> Result<Vec<ServerView>, BackendError> {
        let b = Arc::clone(backend);
        let rows = crate::commands::run_blocking(move || b.list_servers()).await?;
        let state = self.daemon_state();
        let statuses = match self.client() {
            Some(client) => client.servers().await.ok(),
            None => None,
        };
        *self.statuses.lock().expect("statuses lock") = statuses.clone();
        Ok(merge(rows, &state, statuses.as_deref()))
    }

    fn on_event<R: Runtime>(self: &Arc<Self>, app: &AppHandle<R>, event: Value) {
        if let Err(err) = app.emit(EVENT_DAEMON, &event) {
            tracing::warn!("could not forward a daemon event: {err}");
        }
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
            self.changed();
        }
        self.notify(&event);
    }

    /// Runs a production switch or its undo through the `dockside` CLI (one at a time),
    /// forwarding pre-flight progress to the UI; then notifies and refreshes the tray, whose
    /// production item follows the profile.
    pub async fn run_switch<R: Runtime>(
        self: &Arc<Self>,
        app: AppHandle<R>,
        args: &'static [&'static str],
        to_production: bool,
    ) -> Result<crate::production::SwitchOutcome, BackendError> {
        let Some(binary) = self.dockside.clone() else {
            return Err(BackendError::Internal(
                "the `dockside` command was not found beside the app or on PATH".into(),
            ));
        };
        if self.switching.swap(true, Ordering::SeqCst) {
            return Err(BackendError::Internal(
                "a switch is already running; wait for it to finish".into(),
            ));
        }
        let home = self.home.clone();
        let emitter = app.clone();
        let result = crate::commands::run_blocking(move || {
            crate::production::run_cli(&binary, &home, args, |p| {
                let _ = emitter.emit(crate::production::EVENT_PROGRESS, &p);
            })
        })
        .await;
        self.switching.store(false, Ordering::SeqCst);
        let outcome = result?;
        if let Some(event) = crate::production::notification(to_production, &outcome) {
            self.notify(&event);
        }
        self.changed();
        Ok(outcome)
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
        notify::show(note, move |action| {
            if let Some(server) = action.strip_prefix("restart:") {
                let server = server.to_owned();
                tauri::async_runtime::spawn(async move {
                    if let Some(client) = hub.client() {
                        if let Err(err) = client.action(&server, "restart").await {
                            tracing::warn!("restart of {server} failed: {err}");
                        }
                    }
                });
            }
        });
    }

    fn set_state(&self, update: impl FnOnce(&mut DaemonState)) -> bool {
        let mut state = self.state.lock().expect("state lock");
        let before = state.clone();
        update(&mut state);
        *state != before
    }

    /// Starts `dockside daemon` for this home, detached, logging to `<home>/daemon.log`.
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
        std::fs::create_dir_all(self.home.root()).map_err(|e| e.to_string())?;
        let log_path = self.home.root().join("daemon.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let mut cmd = Command::new(binary);
        cmd.arg("daemon")
            .env(Home::ENV, self.home.root())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        // Its own process group: a terminal's Ctrl-C to the app does not hit the daemon, which
        // may outlive the app ("keep gateway running").
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let spawned = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
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
            "crash-loop" | "failed" | "restarting" | "docker unavailable"
        )
    });
    if bad {
        TrayStatus::Degraded
    } else {
        TrayStatus::Ok
    }
}

/// The `dockside` binary: beside this executable (installed together, or `target/debug`),
/// else on PATH; `DOCKSIDE_BIN` overrides both.
pub fn find_dockside() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DOCKSIDE_BIN").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let name = format!("dockside{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_owned));
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    beside
        .into_iter()
        .chain(path_dirs)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Keeps a daemon running (unless paused) and follows its events. Runs until the app quits.
pub async fn supervise<R: Runtime>(app: AppHandle<R>, hub: Arc<Hub>) {
    if !hub.supervise {
        return;
    }
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
                    let _ = app.emit(EVENT_GATEWAY, hub.daemon_state());
                }
                hub.changed();
                if paused {
                    let _ = client.shutdown().await;
                } else {
                    let h = Arc::clone(&hub);
                    let a = app.clone();
                    let ended = client.follow_events(move |ev| h.on_event(&a, ev)).await;
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
                let _ = app.emit(EVENT_GATEWAY, hub.daemon_state());
                hub.changed();
            }
            _ if paused => {
                died = None;
                if hub.set_state(|s| s.running = false) {
                    let _ = app.emit(EVENT_GATEWAY, hub.daemon_state());
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
                    let _ = app.emit(EVENT_GATEWAY, hub.daemon_state());
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
                                let log = hub.home.root().join("daemon.log");
                                let error = format!(
                                    "the daemon exited while starting ({how}); see {}",
                                    log.display()
                                );
                                tracing::warn!("{error}");
                                hub.set_state(|s| s.error = Some(error));
                                let _ = app.emit(EVENT_GATEWAY, hub.daemon_state());
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
pub async fn refresher<R: Runtime>(
    app: AppHandle<R>,
    hub: Arc<Hub>,
    backend: crate::commands::SharedBackend,
) {
    loop {
        hub.changed.notified().await;
        // Coalesce bursts (a reload emits several events at once).
        tokio::time::sleep(Duration::from_millis(150)).await;
        let rows = match hub.rows(&backend).await {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!("could not list servers: {err}");
                continue;
            }
        };
        let _ = app.emit(EVENT_SERVERS, &rows);
        let daemon = hub.daemon_state();
        let model = tray_model(&app, &hub, &rows, &daemon).await;
        let fresh = {
            let mut shown = hub.shown.lock().expect("shown lock");
            let fresh = shown.as_ref() != Some(&model);
            *shown = Some(model.clone());
            fresh
        };
        if fresh {
            if let Err(err) = tray::update(&app, &model) {
                tracing::warn!("could not update the tray: {err}");
            }
        }
        if hub.quitting.load(Ordering::SeqCst) {
            return;
        }
    }
}

async fn tray_model<R: Runtime>(
    app: &AppHandle<R>,
    hub: &Hub,
    rows: &[ServerView],
    daemon: &DaemonState,
) -> TrayModel {
    let home = hub.home.clone();
    let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let (profile, runnable) = crate::commands::run_blocking(move || {
        let ws = Workspace::load(home)?;
        let runnable: Vec<Vec<Mode>> = names
            .iter()
            .map(|n| {
                Mode::ALL
                    .into_iter()
                    .filter(|m| *m == Mode::Off || ws.launch_in(n, *m).is_ok())
                    .collect()
            })
            .collect();
        Ok::<_, BackendError>((ws.state().profile, runnable))
    })
    .await
    .unwrap_or((Profile::Development, vec![Mode::ALL.to_vec(); rows.len()]));
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
        autostart: tray::autostart_enabled(app),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, mode: Mode) -> ServerView {
        ServerView::new(name, "", mode, crate::backend::mode_state(mode))
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

    #[test]
    fn dockside_is_found_through_the_override() {
        // Only the override is checked here: PATH and the build dir differ between machines.
        std::env::set_var("DOCKSIDE_BIN", "/opt/x/dockside");
        assert_eq!(find_dockside(), Some(PathBuf::from("/opt/x/dockside")));
        std::env::remove_var("DOCKSIDE_BIN");
    }
}
