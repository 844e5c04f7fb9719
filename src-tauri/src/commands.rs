//! Tauri commands: the whole surface the web UI can call (see `ui/src/api.ts`).
//!
//! Each one is also listed in `build.rs` (`COMMANDS`) and granted in
//! `capabilities/default.json`; a command missing there is refused at run time.

use std::path::PathBuf;
use std::sync::Arc;

use dockside_api::{PackageUpdate, SignInStarted, ToolLatency};
use dockside_desktop::autostart;
use tauri::{AppHandle, State};

use crate::backend::SharedBackend;
use crate::clients::{ClientDiff, ClientView, DockerImport, ImportedServer};
use crate::editor::{CatalogView, Draft, FieldIssue};
use crate::hub::Hub;
use crate::model::{run_blocking, BackendError, DaemonState, LogLine, Mode, ServerView};
use crate::options::LaunchOptions;
use crate::prefs::Prefs;
use crate::secrets::SecretsView;
use crate::smoke::{self, UiReport};

type SharedHub = Arc<Hub>;

fn daemon_error(err: dockside_api::client::ClientError) -> BackendError {
    BackendError::Daemon(err.to_string())
}

#[tauri::command]
pub async fn list_servers(
    backend: State<'_, SharedBackend>,
    hub: State<'_, SharedHub>,
) -> Result<Vec<ServerView>, BackendError> {
    hub.rows(&backend).await
}

#[tauri::command]
pub async fn set_mode(
    backend: State<'_, SharedBackend>,
    hub: State<'_, SharedHub>,
    name: String,
    mode: Mode,
) -> Result<ServerView, BackendError> {
    tracing::info!(server = %name, ?mode, "mode change requested");
    hub.inner().set_mode(&backend, &name, mode).await
}

#[tauri::command]
pub async fn restart_server(
    hub: State<'_, SharedHub>,
    name: String,
) -> Result<ServerView, BackendError> {
    let client = hub
        .client()
        .ok_or_else(|| BackendError::Daemon("the Dockside gateway is not running".into()))?;
    let status = client
        .action(&name, "restart")
        .await
        .map_err(daemon_error)?;
    Ok(hub.show_status(&name, status))
}

/// Starts a remote server's sign-in: the daemon opens the page in the browser (the answer
/// says whether it could, and the URL to show when not).
#[tauri::command]
pub async fn sign_in(
    hub: State<'_, SharedHub>,
    name: String,
) -> Result<SignInStarted, BackendError> {
    hub.sign_in(&name).await
}

/// Looks for a newer version of a package server's package and, unless `check`, moves the pin
/// there through the daemon (which installs it and builds its image first).
#[tauri::command]
pub async fn update_package(
    hub: State<'_, SharedHub>,
    name: String,
    check: bool,
) -> Result<PackageUpdate, BackendError> {
    let client = hub.client().ok_or_else(|| {
        BackendError::Daemon("start the Dockside gateway to update a package server".into())
    })?;
    let update = client
        .update_package(&name, check)
        .await
        .map_err(daemon_error)?;
    if update.updated {
        hub.changed();
    }
    Ok(update)
}

#[tauri::command]
pub fn gateway_state(hub: State<'_, SharedHub>) -> DaemonState {
    hub.daemon_state()
}

#[tauri::command]
pub async fn set_paused(
    hub: State<'_, SharedHub>,
    paused: bool,
) -> Result<DaemonState, BackendError> {
    hub.set_paused(paused).await;
    Ok(hub.daemon_state())
}

#[tauri::command]
pub fn get_prefs(hub: State<'_, SharedHub>) -> Prefs {
    Prefs {
        start_at_login: autostart::enabled(),
        ..hub.prefs.lock().expect("prefs lock").clone()
    }
}

/// Saves the preferences; the tray reads them again (its menu shows two of them).
#[tauri::command]
pub async fn set_prefs(hub: State<'_, SharedHub>, prefs: Prefs) -> Result<Prefs, BackendError> {
    autostart::set(prefs.start_at_login).map_err(BackendError::Internal)?;
    hub.set_prefs(prefs.clone())?;
    hub.edited().await;
    Ok(prefs)
}

#[tauri::command]
pub async fn recent_logs(hub: State<'_, SharedHub>) -> Result<Vec<LogLine>, BackendError> {
    Ok(hub.recent_logs().await)
}

/// Per-tool call counts and latencies (empty while the gateway is not running).
#[tauri::command]
pub async fn latency(hub: State<'_, SharedHub>) -> Result<Vec<ToolLatency>, BackendError> {
    match hub.client() {
        Some(client) => client.latency().await.map_err(daemon_error),
        None => Ok(Vec::new()),
    }
}

#[tauri::command]
pub async fn catalog_view(hub: State<'_, SharedHub>) -> Result<CatalogView, BackendError> {
    let home = hub.home.clone();
    run_blocking(move || crate::editor::view(&home)).await
}

#[tauri::command]
pub async fn validate_server(
    hub: State<'_, SharedHub>,
    draft: Draft,
) -> Result<Vec<FieldIssue>, BackendError> {
    let home = hub.home.clone();
    run_blocking(move || crate::editor::validate(&home, &draft)).await
}

#[tauri::command]
pub async fn save_server(
    hub: State<'_, SharedHub>,
    draft: Draft,
) -> Result<Vec<FieldIssue>, BackendError> {
    let ctx = client_context(&hub);
    let issues = run_blocking(move || crate::editor::save(&ctx, &draft)).await?;
    hub.edited().await;
    Ok(issues)
}

#[tauri::command]
pub async fn remove_server(hub: State<'_, SharedHub>, name: String) -> Result<(), BackendError> {
    let ctx = client_context(&hub);
    run_blocking(move || crate::editor::remove(&ctx, &name)).await?;
    hub.edited().await;
    Ok(())
}

#[tauri::command]
pub async fn server_yaml(draft: Draft) -> Result<String, BackendError> {
    run_blocking(move || crate::editor::yaml(&draft)).await
}

#[tauri::command]
pub async fn parse_server_yaml(text: String) -> Result<crate::editor::ParsedYaml, BackendError> {
    run_blocking(move || Ok::<_, BackendError>(crate::editor::parse_yaml(&text))).await
}

#[tauri::command]
pub async fn import_catalog(
    hub: State<'_, SharedHub>,
    path: PathBuf,
) -> Result<String, BackendError> {
    let home = hub.home.clone();
    let summary = run_blocking(move || crate::editor::import_catalog(&home, &path)).await?;
    hub.edited().await;
    Ok(summary)
}

fn client_context(hub: &Hub) -> dockside_core::clients::Context {
    crate::backend::context(&hub.home, hub.dockside.as_deref())
}

#[tauri::command]
pub async fn list_clients(hub: State<'_, SharedHub>) -> Result<Vec<ClientView>, BackendError> {
    let ctx = client_context(&hub);
    run_blocking(move || crate::clients::list(&ctx)).await
}

#[tauri::command]
pub async fn connect_client(
    hub: State<'_, SharedHub>,
    id: String,
) -> Result<ClientDiff, BackendError> {
    let ctx = client_context(&hub);
    run_blocking(move || crate::clients::connect(&ctx, &id)).await
}

#[tauri::command]
pub async fn disconnect_client(
    hub: State<'_, SharedHub>,
    id: String,
) -> Result<ClientDiff, BackendError> {
    let ctx = client_context(&hub);
    run_blocking(move || crate::clients::disconnect(&ctx, &id)).await
}

#[tauri::command]
pub async fn client_diff(
    hub: State<'_, SharedHub>,
    id: String,
) -> Result<ClientDiff, BackendError> {
    let ctx = client_context(&hub);
    run_blocking(move || crate::clients::diff(&ctx, &id)).await
}

#[tauri::command]
pub async fn import_client(
    hub: State<'_, SharedHub>,
    id: String,
) -> Result<Vec<ImportedServer>, BackendError> {
    let ctx = client_context(&hub);
    let imported = run_blocking(move || crate::clients::import(&ctx, &id)).await?;
    hub.edited().await;
    Ok(imported)
}

/// Imports the servers of Docker MCP Toolkit's `profile` (a client row's `MCP_DOCKER` entry).
#[tauri::command]
pub async fn import_docker_toolkit(
    hub: State<'_, SharedHub>,
    profile: String,
) -> Result<DockerImport, BackendError> {
    let ctx = client_context(&hub);
    let imported =
        run_blocking(move || crate::clients::import_docker_toolkit(&ctx, &profile)).await?;
    hub.edited().await;
    Ok(imported)
}

/// The production switch's review: the plan (servers' new modes, each client file's diff), the
/// profile now and what Undo would put back.
#[tauri::command]
pub async fn production_plan(
    hub: State<'_, SharedHub>,
    replace_docker_gateway: bool,
) -> Result<crate::production::ProductionPreview, BackendError> {
    let ctx = client_context(&hub);
    let cli = hub.dockside.clone();
    run_blocking(move || crate::production::preview(&ctx, cli.as_deref(), replace_docker_gateway))
        .await
}

/// Runs the pre-flight and switches to production (`dockside switch production --yes --json`,
/// with `--replace-docker-gateway` and `--else-managed` when asked); progress arrives as
/// `production-progress` events.
#[tauri::command]
pub async fn switch_production(
    app: AppHandle,
    hub: State<'_, SharedHub>,
    replace_docker_gateway: bool,
    else_managed: Option<bool>,
) -> Result<crate::production::SwitchOutcome, BackendError> {
    let mut args = vec!["switch", "production", "--yes", "--json"];
    if replace_docker_gateway {
        args.push("--replace-docker-gateway");
    }
    if else_managed == Some(true) {
        args.push("--else-managed");
    }
    crate::production::run_switch(hub.inner(), app, args, true).await
}

/// Undoes the last production switch (`dockside switch development --json`).
#[tauri::command]
pub async fn switch_development(
    app: AppHandle,
    hub: State<'_, SharedHub>,
) -> Result<crate::production::SwitchOutcome, BackendError> {
    crate::production::run_switch(
        hub.inner(),
        app,
        vec!["switch", "development", "--json"],
        false,
    )
    .await
}

/// The Secrets screen: every declared or stored secret name, who uses it, whether it is set,
/// and where values live. Never a value.
#[tauri::command]
pub async fn list_secrets(hub: State<'_, SharedHub>) -> Result<SecretsView, BackendError> {
    let home = hub.home.clone();
    run_blocking(move || crate::secrets::list(&home)).await
}

/// Stores a secret's value (sent once, never read back) and returns the new list. The value
/// is not logged: the command's arguments are not either.
#[tauri::command]
pub async fn set_secret(
    hub: State<'_, SharedHub>,
    name: String,
    value: String,
) -> Result<SecretsView, BackendError> {
    let home = hub.home.clone();
    run_blocking(move || crate::secrets::set(&home, &name, &value)).await
}

/// Deletes a secret's value and returns the new list.
#[tauri::command]
pub async fn remove_secret(
    hub: State<'_, SharedHub>,
    name: String,
) -> Result<SecretsView, BackendError> {
    let home = hub.home.clone();
    run_blocking(move || crate::secrets::remove(&home, &name)).await
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
    use crate::backend::Backend;

    struct Failing;

    impl Backend for Failing {
        fn list_servers(&self) -> Result<Vec<ServerView>, BackendError> {
            Err(BackendError::Internal("no data".into()))
        }

        fn set_mode(&self, _name: &str, _mode: Mode) -> Result<ServerView, BackendError> {
            panic!("boom")
        }
    }

    /// Runs a backend call on the blocking pool, as the commands do.
    async fn blocking<T, F>(backend: &SharedBackend, call: F) -> Result<T, BackendError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Backend) -> Result<T, BackendError> + Send + 'static,
    {
        let backend = Arc::clone(backend);
        run_blocking(move || call(backend.as_ref())).await
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
