//! The app's shared vocabulary, at the bottom of the module layers: the dashboard row
//! ([`ServerView`]), the gateway as the app sees it ([`DaemonState`]), a server's output line
//! ([`LogLine`]), the one error type the UI receives ([`BackendError`]), and [`run_blocking`]
//! (file I/O off the UI thread and the async runtime). Nothing here imports another module of
//! this crate.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use dockside_core::Mode;

/// `state` of a server in `off` mode.
pub const STATE_OFF: &str = "off";
/// `state` of a `native` server: the AI clients run it, Dockside does not see it.
pub const STATE_CLIENT: &str = "run by clients";
/// `state` of a remote server that waits for the user to sign in.
pub const STATE_NEEDS_SIGN_IN: &str = "needs sign-in";
/// `state` of a gateway server while the app is not connected to the daemon.
pub const STATE_UNKNOWN: &str = "unknown";

/// One row of the dashboard. Mirrors `ServerView` in `ui/src/api.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerView {
    /// Catalog key; also the entry name AI clients see.
    pub name: String,
    /// Human title from the catalog (empty if it has none).
    pub title: String,
    pub mode: Mode,
    /// Run state: what the mode implies (`off`, `run by clients`), or what the daemon reports
    /// for gateway servers (`running`, `starting`, `restarting`, `crash-loop`, `failed`,
    /// `docker unavailable`, `stopped`), or `gateway stopped` / `paused`.
    pub state: String,
    /// Tools it exposes (gateway servers the daemon runs).
    pub tools: Option<usize>,
    /// Automatic restarts since the daemon started.
    pub restarts: u32,
    pub pid: Option<u32>,
    /// The daemon's last error for it.
    pub error: Option<String>,
    /// Something the user should know about the last change.
    pub warning: Option<String>,
    /// The pinned package it runs (`npm:@scope/name@1.2.3`), for package servers.
    pub package: Option<String>,
}

impl ServerView {
    pub fn new(name: &str, title: &str, mode: Mode, state: &str) -> Self {
        ServerView {
            name: name.to_owned(),
            title: title.to_owned(),
            mode,
            state: state.to_owned(),
            tools: None,
            restarts: 0,
            pid: None,
            error: None,
            warning: None,
            package: None,
        }
    }

    /// This row in `mode`, before the daemon says anything about it: the run-time fields are
    /// cleared and the state is what the mode implies.
    pub fn in_mode(&self, mode: Mode) -> ServerView {
        ServerView {
            package: self.package.clone(),
            ..ServerView::new(&self.name, &self.title, mode, mode_state(mode))
        }
    }
}

/// What a mode implies about the run state before the daemon says anything.
pub fn mode_state(mode: Mode) -> &'static str {
    match mode {
        Mode::Off => STATE_OFF,
        Mode::Native => STATE_CLIENT,
        Mode::Managed | Mode::Docker => STATE_UNKNOWN,
    }
}

/// The gateway as the app sees it. Mirrors `GatewayState` in `ui/src/api.ts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// One line of a server's output. Mirrors `LogLine` in `ui/src/api.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Unix time, milliseconds.
    pub at: u64,
    pub server: String,
    pub line: String,
}

/// Why a call failed. Reaches the UI as its message text.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Core's errors already say what, where (file:line:col) and what to do.
    #[error(transparent)]
    Core(#[from] dockside_core::Error),
    /// A change core refused as a whole (e.g. a client file could not be synced, so the mode
    /// was put back).
    #[error(transparent)]
    Change(dockside_core::change::ChangeError),
    /// The daemon refused or failed a request; its message says why.
    #[error("{0}")]
    Daemon(String),
    /// The secret store refused (a bad name, nothing to remove, the keychain said no). Never
    /// holds a secret's value.
    #[error("{0}")]
    Secret(String),
    #[error("internal error in the Dockside app: {0}")]
    Internal(String),
}

impl From<dockside_core::change::ChangeError> for BackendError {
    fn from(err: dockside_core::change::ChangeError) -> Self {
        match err {
            dockside_core::change::ChangeError::Core(e) => BackendError::Core(e),
            other => BackendError::Change(other),
        }
    }
}

impl From<dockside_core::secrets::SecretError> for BackendError {
    fn from(err: dockside_core::secrets::SecretError) -> Self {
        BackendError::Secret(err.to_string())
    }
}

impl Serialize for BackendError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Runs file I/O on the blocking pool: off both the UI thread and the async runtime.
pub async fn run_blocking<T, E, F>(call: F) -> Result<T, BackendError>
where
    T: Send + 'static,
    E: Into<BackendError>,
    F: FnOnce() -> Result<T, E> + Send + 'static,
{
    tokio::task::spawn_blocking(move || call().map_err(Into::into))
        .await
        .map_err(|err| BackendError::Internal(format!("backend task failed: {err}")))?
}
