//! Tauri commands: the whole surface the web UI can call (see `ui/src/api.ts`).
//!
//! Each one is also listed in `build.rs` (`COMMANDS`) and granted in
//! `capabilities/default.json`; a command missing there is refused at run time.

use std::sync::Arc;

use serde::Deserialize;
use tauri::{AppHandle, State};

use crate::backend::{Backend, BackendError, Mode, ServerView};
use crate::{smoke, LaunchOptions};

/// The backend as Tauri state.
pub type SharedBackend = Arc<dyn Backend>;

/// Runs a backend call on the blocking pool: backends do file and network I/O, which must
/// stay off both the UI thread and the async runtime.
async fn blocking<T, F>(backend: &SharedBackend, call: F) -> Result<T, BackendError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Backend) -> Result<T, BackendError> + Send + 'static,
{
    let backend = Arc::clone(backend);
    tauri::async_runtime::spawn_blocking(move || call(backend.as_ref()))
        .await
        .map_err(|err| BackendError::Internal(format!("backend task failed: {err}")))?
}

#[tauri::command]
pub async fn list_servers(
    backend: State<'_, SharedBackend>,
) -> Result<Vec<ServerView>, BackendError> {
    blocking(&backend, |b| b.list_servers()).await
}

#[tauri::command]
pub async fn set_mode(
    backend: State<'_, SharedBackend>,
    name: String,
    mode: Mode,
) -> Result<ServerView, BackendError> {
    tracing::info!(server = %name, ?mode, "mode change requested");
    blocking(&backend, move |b| b.set_mode(&name, mode)).await
}

/// What the UI saw on its first load (mirrors `UiReport` in `ui/src/api.ts`).
#[derive(Debug, Clone, Deserialize)]
pub struct UiReport {
    pub servers: Option<usize>,
    pub error: Option<String>,
}

/// Called by the UI once its first load attempt finished.
#[tauri::command]
pub fn ui_ready(app: AppHandle, options: State<'_, LaunchOptions>, report: UiReport) {
    tracing::info!(?report, "UI ready");
    if options.smoke_test {
        smoke::finish(&app, &report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing;

    impl Backend for Failing {
        fn list_servers(&self) -> Result<Vec<ServerView>, BackendError> {
            Err(BackendError::Internal("no data".into()))
        }

        fn set_mode(&self, _name: &str, _mode: Mode) -> Result<ServerView, BackendError> {
            panic!("boom")
        }
    }

    #[test]
    fn commands_run_the_backend_off_thread_and_pass_errors_through() {
        let backend: SharedBackend = Arc::new(Failing);
        let result = tauri::async_runtime::block_on(blocking(&backend, |b| b.list_servers()));
        assert_eq!(
            result.unwrap_err().to_string(),
            "internal error in the Dockside app: no data"
        );
    }

    #[test]
    fn a_panicking_backend_becomes_an_error() {
        let backend: SharedBackend = Arc::new(Failing);
        let result =
            tauri::async_runtime::block_on(blocking(&backend, |b| b.set_mode("x", Mode::Off)));
        let message = result.unwrap_err().to_string();
        assert!(
            message.starts_with("internal error in the Dockside app: backend task failed"),
            "{message}"
        );
    }
}
