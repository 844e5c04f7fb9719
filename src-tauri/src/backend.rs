//! The app's single door to Dockside data: what the dashboard lists and what a mode switch does.
//!
//! Tauri commands (see `commands.rs`) only see the [`Backend`] trait, so the real source can be
//! swapped in without touching the UI contract, and commands can be tested without a daemon.
//!
//! TODO(issue 8): connect to Dockside core. `dockside-core` does not expose a workspace/state
//! API yet, so the only implementation is [`Disconnected`], which answers every call with
//! "not connected to Dockside core yet" — deliberately no fake data. When core lands, add a
//! `CoreBackend` that reads the catalogs + state file (and, later, asks the daemon's control
//! API for run states), and replace [`Mode`] with core's own type.

use serde::{Deserialize, Serialize};

/// Who runs a server (DESIGN.md, "modes"). Serialized in lowercase, as the UI sends it.
///
/// Temporary local copy until `dockside-core` exposes its mode type (issue 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Native,
    Managed,
    Docker,
    Off,
}

/// One row of the dashboard. Mirrors `ServerView` in `ui/src/api.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerView {
    /// Catalog key; also the entry name AI clients see.
    pub name: String,
    /// Human title from the catalog (may be empty).
    pub title: String,
    pub mode: Mode,
    /// Run state as the daemon reports it ("running", "stopped", "crashed", …).
    pub state: String,
}

/// Why a backend call failed. Reaches the UI as its message text.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("not connected to Dockside core yet")]
    NotConnected,
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

/// Placeholder until issue 8: every call fails with [`BackendError::NotConnected`].
#[derive(Debug, Default)]
pub struct Disconnected;

impl Backend for Disconnected {
    fn list_servers(&self) -> Result<Vec<ServerView>, BackendError> {
        Err(BackendError::NotConnected)
    }

    fn set_mode(&self, _name: &str, _mode: Mode) -> Result<ServerView, BackendError> {
        Err(BackendError::NotConnected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let view = ServerView {
            name: "github".into(),
            title: "GitHub".into(),
            mode: Mode::Docker,
            state: "running".into(),
        };
        assert_eq!(
            serde_json::to_value(&view).unwrap(),
            json!({"name": "github", "title": "GitHub", "mode": "docker", "state": "running"})
        );
    }

    #[test]
    fn errors_reach_the_ui_as_their_message() {
        assert_eq!(
            serde_json::to_value(BackendError::NotConnected).unwrap(),
            json!("not connected to Dockside core yet")
        );
    }

    #[test]
    fn disconnected_backend_refuses_without_fake_data() {
        let backend = Disconnected;
        assert!(matches!(
            backend.list_servers(),
            Err(BackendError::NotConnected)
        ));
        assert!(matches!(
            backend.set_mode("github", Mode::Managed),
            Err(BackendError::NotConnected)
        ));
    }
}
