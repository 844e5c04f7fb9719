//! The app's single door to Dockside data when no daemon answers: what the dashboard lists and
//! what a mode change does.
//!
//! Tauri commands and the hub only see the [`Backend`] trait, so they can be tested with a fake
//! and the data source can grow without touching the UI contract.
//!
//! [`CoreBackend`] reads the catalogs and `state.yaml` of a Dockside home through
//! `dockside-core`'s [`Workspace`]. A mode change goes through the daemon when it runs (`hub`);
//! when none runs, [`CoreBackend::set_mode`] calls [`dockside_core::change::set_mode`], the same
//! one way to change a mode the daemon and `dockside server mode` use (save the state, sync every
//! connected client, all or nothing). Run states come from the daemon (`hub::merge`).

use std::sync::{Arc, Mutex};

use dockside_core::clients::Context;
use dockside_core::{Home, Workspace};

use crate::model::{mode_state, BackendError, Mode, ServerView};

/// The data the app shows and changes. Calls may block (file I/O, daemon requests): callers
/// run them off the UI thread.
pub trait Backend: Send + Sync + 'static {
    fn list_servers(&self) -> Result<Vec<ServerView>, BackendError>;
    /// Switches `name` to `mode` (state saved, connected clients synced, all or nothing) and
    /// returns the server's updated row.
    fn set_mode(&self, name: &str, mode: Mode) -> Result<ServerView, BackendError>;
}

/// The backend, shared by the hub and (in the dashboard) the Tauri commands.
pub type SharedBackend = Arc<dyn Backend>;

/// Reads and writes a Dockside home with `dockside-core`.
#[derive(Debug)]
pub struct CoreBackend {
    home: Home,
    /// Where client files are and what their entries run.
    ctx: Context,
    /// Serializes this app's own read-modify-write cycles (two quick clicks must not lose one).
    write: Mutex<()>,
}

impl CoreBackend {
    /// `dockside`: the binary client entries run (see [`context`]).
    pub fn new(home: Home, dockside: Option<&std::path::Path>) -> Self {
        Self {
            ctx: context(&home, dockside),
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
    Some(ServerView {
        package: entry.server.package().map(|p| p.label()),
        ..ServerView::new(
            entry.name,
            entry.server.title.as_deref().unwrap_or_default(),
            mode,
            mode_state(mode),
        )
    })
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
        let applied = dockside_core::change::set_mode(&self.ctx, name, mode)?;
        tracing::info!(server = name, %mode, synced = applied.synced.len(), "mode changed");
        // The row is read back from what was saved (the title comes from the catalog).
        view(&self.load()?, name)
            .ok_or_else(|| dockside_core::Error::UnknownServer(name.to_owned()).into())
    }
}

/// Where Dockside's files are and which command AI clients run to reach the gateway: the
/// `dockside` binary beside the app (or on PATH), as an absolute path when found, since
/// clients such as Claude Desktop start servers with a minimal PATH.
pub fn context(home: &Home, dockside: Option<&std::path::Path>) -> Context {
    Context {
        env: dockside_core::clients::Env::from_process(),
        dockside_home: home.root().to_owned(),
        launcher: dockside_core::clients::Launcher::for_binary(dockside),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{STATE_CLIENT, STATE_OFF, STATE_UNKNOWN};
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
        (dir, CoreBackend::new(home, None))
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
        view.package = Some("npm:@modelcontextprotocol/server-github@2025.4.8".into());
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            json!({"name": "github", "title": "GitHub", "mode": "docker", "state": "running",
                "tools": 4, "restarts": 0, "pid": null, "error": null, "warning": null,
                "package": "npm:@modelcontextprotocol/server-github@2025.4.8"})
        );
    }

    #[test]
    fn an_empty_home_lists_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let backend = CoreBackend::new(Home::new(dir.path().join("not-created-yet")), None);
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
