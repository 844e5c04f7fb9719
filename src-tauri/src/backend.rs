//! The app's single door to Dockside data: what the dashboard lists and what a mode switch does.
//!
//! Tauri commands (see `commands.rs`) only see the [`Backend`] trait, so commands can be tested
//! with a fake and the data source can grow (daemon status) without touching the UI contract.
//!
//! [`CoreBackend`] reads and writes the catalogs and `state.yaml` of a Dockside home through
//! `dockside-core`'s [`Workspace`], the same load → change → save path as `dockside server mode`.
//!
//! Run states come from the daemon: [`crate::hub::merge`] fills them into these rows. A mode
//! switch goes through the daemon when it runs ([`crate::hub::Hub::set_mode`]); this backend's
//! `set_mode` is the path when it does not.

use std::sync::Mutex;

use dockside_core::{Home, Workspace};
use serde::Serialize;

pub use dockside_core::Mode;

/// `state` of a server in `off` mode.
pub const STATE_OFF: &str = "off";
/// `state` of a `native` server: the AI clients run it, Dockside does not see it.
pub const STATE_CLIENT: &str = "run by clients";
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
    /// Something the user should know about the last change (e.g. client files not synced).
    pub warning: Option<String>,
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

/// Why a backend call failed. Reaches the UI as its message text.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Core's errors already say what, where (file:line:col) and what to do.
    #[error(transparent)]
    Core(#[from] dockside_core::Error),
    #[error("internal error in the Dockside app: {0}")]
    Internal(String),
}

impl Serialize for BackendError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The data the app shows and changes. Calls may block (file I/O, daemon requests): callers
/// run them off the UI thread.
pub trait Backend: Send + Sync + 'static {
    fn list_servers(&self) -> Result<Vec<ServerView>, BackendError>;
    /// Switches `name` to `mode` and returns the server's updated row.
    fn set_mode(&self, name: &str, mode: Mode) -> Result<ServerView, BackendError>;
}

/// Reads and writes a Dockside home with `dockside-core`.
#[derive(Debug)]
pub struct CoreBackend {
    home: Home,
    /// Serializes this app's own read-modify-write cycles (two quick clicks must not lose one).
    write: Mutex<()>,
}

impl CoreBackend {
    pub fn new(home: Home) -> Self {
        Self {
            home,
            write: Mutex::new(()),
        }
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    fn load(&self) -> Result<Workspace, BackendError> {
        Ok(Workspace::load(self.home.clone())?)
    }
}

fn view(ws: &Workspace, name: &str) -> Option<ServerView> {
    let entry = ws.server(name)?;
    let mode = entry.state.mode;
    Some(ServerView::new(
        entry.name,
        entry.server.title.as_deref().unwrap_or_default(),
        mode,
        mode_state(mode),
    ))
}

impl Backend for CoreBackend {
    fn list_servers(&self) -> Result<Vec<ServerView>, BackendError> {
        let ws = self.load()?;
        Ok(ws.servers().filter_map(|e| view(&ws, e.name)).collect())
    }

    fn set_mode(&self, name: &str, mode: Mode) -> Result<ServerView, BackendError> {
        let _guard = self
            .write
            .lock()
            .map_err(|_| BackendError::Internal("an earlier mode change panicked".into()))?;
        let mut ws = self.load()?;
        ws.set_mode(name, mode)?;
        ws.save()?;
        tracing::info!(server = name, %mode, "mode changed");
        view(&ws, name).ok_or_else(|| dockside_core::Error::UnknownServer(name.to_owned()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::fs;

    fn home_with(catalog: &str, state: Option<&str>) -> (tempfile::TempDir, CoreBackend) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        fs::create_dir_all(home.catalogs_dir()).unwrap();
        fs::write(home.catalog_path("local"), catalog).unwrap();
        if let Some(state) = state {
            fs::write(home.state_path(), state).unwrap();
        }
        (dir, CoreBackend::new(home))
    }

    const CATALOG: &str = "\
registry:
  echo:
    title: Echo
    command: [node, /srv/echo.js]
  web:
    image: example/web:1
";

    #[test]
    fn modes_use_the_ui_spelling() {
        for (mode, text) in [
            (Mode::Native, "native"),
            (Mode::Managed, "managed"),
            (Mode::Docker, "docker"),
            (Mode::Off, "off"),
        ] {
            assert_eq!(serde_json::to_value(mode).unwrap(), json!(text));
            assert_eq!(serde_json::from_value::<Mode>(json!(text)).unwrap(), mode);
        }
        assert!(serde_json::from_value::<Mode>(json!("hybrid")).is_err());
    }

    #[test]
    fn server_view_has_the_ui_shape() {
        let mut view = ServerView::new("github", "GitHub", Mode::Docker, "running");
        view.tools = Some(4);
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            json!({"name": "github", "title": "GitHub", "mode": "docker", "state": "running",
                "tools": 4, "restarts": 0, "pid": null, "error": null, "warning": null})
        );
    }

    #[test]
    fn an_empty_home_lists_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let backend = CoreBackend::new(Home::new(dir.path().join("not-created-yet")));
        assert_eq!(backend.list_servers().unwrap(), []);
    }

    #[test]
    fn lists_catalog_servers_with_their_modes() {
        let (_dir, backend) = home_with(CATALOG, Some("servers:\n  echo: {mode: native}\n"));
        let rows = backend.list_servers().unwrap();
        assert_eq!(
            rows,
            [
                ServerView::new("echo", "Echo", Mode::Native, STATE_CLIENT),
                ServerView::new("web", "", Mode::Off, STATE_OFF),
            ]
        );
    }

    #[test]
    fn set_mode_saves_the_state_file() {
        let (_dir, backend) = home_with(CATALOG, None);
        let row = backend.set_mode("web", Mode::Docker).unwrap();
        assert_eq!(
            (row.mode, row.state.as_str()),
            (Mode::Docker, STATE_UNKNOWN)
        );
        let saved = fs::read_to_string(backend.home().state_path()).unwrap();
        assert!(
            saved.contains("web:") && saved.contains("mode: docker"),
            "{saved}"
        );
        assert_eq!(backend.list_servers().unwrap()[1].mode, Mode::Docker);
    }

    #[test]
    fn refusals_explain_themselves_and_change_nothing() {
        let (_dir, backend) = home_with(CATALOG, None);
        let err = backend.set_mode("nope", Mode::Managed).unwrap_err();
        assert!(err.to_string().contains("no server named `nope`"), "{err}");
        // An image-only server has no host command to run natively.
        let err = backend.set_mode("web", Mode::Native).unwrap_err();
        assert!(
            err.to_string().contains("cannot run in `native` mode"),
            "{err}"
        );
        assert!(!backend.home().state_path().exists());
    }

    #[test]
    fn broken_files_are_reported_with_their_location() {
        let (_dir, backend) = home_with("registry: 5\n", None);
        let err = backend.list_servers().unwrap_err().to_string();
        assert!(err.contains("local.yaml"), "{err}");
        assert_eq!(
            serde_json::to_value(BackendError::Internal("x".into())).unwrap(),
            json!("internal error in the Dockside app: x")
        );
    }
}
