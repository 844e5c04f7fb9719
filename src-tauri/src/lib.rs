//! Dockside's dashboard (Tauri 2): the web UI's window, and the updater the tray runs.
//!
//! Dockside runs as two processes: the tray (`crates/tray`, `dockside-tray`: menu, daemon
//! supervision, notifications; no web view) and this one, started when the user opens the
//! dashboard and ended when its window closes. What both need without a GUI toolkit — the hub,
//! rows, notifications, preferences, the tray ⇄ dashboard link — is `dockside-desktop`,
//! re-exported here as [`hub`], [`model`], [`backend`], [`notify`], [`prefs`].
//!
//! Module layers — each module imports only from layers below it (never sideways within a
//! layer, never up); this file wires them together:
//! 1. [`options`], [`window`] — launch flags, the dashboard window.
//! 2. [`clients`], [`editor`], [`production`], [`secrets`], [`update`] — data through
//!    `dockside-core`, the production switch, the updater.
//! 3. [`smoke`] — the smoke check.
//! 4. [`commands`] — what the web UI can do.
//!
//! Where to start reading:
//! - [`run`] wires the dashboard: plugins, state, commands, window, run loop; [`run_update`]
//!   the updater for the tray.
//! - [`commands`]: the only calls the web UI (`ui/`) can make — thin wrappers over
//!   `dockside-core` ([`backend`], [`editor`], [`clients`]), the [`hub`] (following the daemon;
//!   pausing goes through the tray) and the daemon's control API (`dockside_api::client`);
//!   [`production`]: the production switch (review through core, switch and undo through the
//!   `dockside` CLI); [`secrets`]: the secret store's names and who uses them (values go in,
//!   never come back).
//! - [`smoke`]: `--smoke-test`, the "does it really start" check used by tests and CI.

pub mod clients;
pub mod commands;
pub mod editor;
pub mod options;
pub mod production;
pub mod secrets;
pub mod smoke;
pub mod update;
pub mod window;

pub use dockside_desktop::{backend, hub, model, notify, prefs};

use std::sync::Arc;

use serde_json::Value;
use tauri::{AppHandle, Emitter};

pub use options::{Launch, LaunchOptions, USAGE};

/// The hub shows what changes in the web UI (Tauri events).
struct Ui(AppHandle);

impl hub::Surface for Ui {
    fn emit(&self, event: &str, payload: Value) {
        if let Err(err) = self.0.emit(event, payload) {
            tracing::warn!("could not send `{event}` to the UI: {err}");
        }
    }

    fn show_tray(&self, _model: &dockside_desktop::tray_model::TrayModel) {}
}

fn context() -> tauri::Context {
    tauri::generate_context!()
}

/// Runs the dashboard until its window closes; returns an error only if it cannot start.
pub fn run(options: LaunchOptions) -> anyhow::Result<()> {
    let mut builder = tauri::Builder::default();
    // A second dashboard shows the first (on the screen it was asked for) and exits. Not in
    // smoke tests: they must test this binary, not hand over to a running one.
    if !options.smoke_test {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            let screen = match Launch::parse(argv.iter().skip(1)) {
                Ok(Launch::Dashboard { screen, .. }) => screen,
                _ => None,
            };
            tracing::info!(?screen, "second dashboard: showing this one");
            window::show_main(app, screen.as_deref());
        }));
    }

    let home = dockside_core::Home::from_env()?;
    tracing::info!(home = %home.root().display(), "Dockside home");
    let hub = hub::Hub::new(home.clone(), hub::Role::Follower);
    let backend: backend::SharedBackend =
        Arc::new(backend::CoreBackend::new(home, hub.dockside.as_deref()));
    let screen = options.screen.clone();
    let (smoke_test, show_on_stdin) = (options.smoke_test, options.show_on_stdin);
    builder
        .manage(backend.clone())
        .manage(hub.clone())
        .manage(options)
        .invoke_handler(tauri::generate_handler![
            commands::list_servers,
            commands::set_mode,
            commands::restart_server,
            commands::update_package,
            commands::sign_in,
            commands::gateway_state,
            commands::set_paused,
            commands::get_prefs,
            commands::set_prefs,
            commands::recent_logs,
            commands::latency,
            commands::catalog_view,
            commands::validate_server,
            commands::save_server,
            commands::remove_server,
            commands::server_yaml,
            commands::parse_server_yaml,
            commands::import_catalog,
            commands::list_clients,
            commands::connect_client,
            commands::disconnect_client,
            commands::client_diff,
            commands::import_client,
            commands::import_docker_toolkit,
            commands::production_plan,
            commands::switch_production,
            commands::switch_development,
            commands::list_secrets,
            commands::set_secret,
            commands::remove_secret,
            commands::ui_ready
        ])
        .setup(move |app| {
            let surface: Arc<dyn hub::Surface> = Arc::new(Ui(app.handle().clone()));
            tauri::async_runtime::spawn(hub::refresher(surface.clone(), hub.clone(), backend));
            tauri::async_runtime::spawn(hub::supervise(surface, hub.clone()));
            hub.changed();
            if smoke_test {
                smoke::arm(app.handle());
            }
            window::show_main(app.handle(), screen.as_deref());
            if show_on_stdin {
                window::show_on_stdin(app.handle().clone());
            }
            Ok(())
        })
        .run(context())?;
    Ok(())
}

/// `--update check|install`: runs the updater for the tray and prints its one-line report.
/// Returns whether the update check itself worked (an update found or none offered).
pub fn run_update(install: bool) -> anyhow::Result<bool> {
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_updater::Builder::new().build())
        .build(context())?;
    let report = tauri::async_runtime::block_on(update::report(app.handle(), install));
    println!("{}", serde_json::to_string(&report)?);
    Ok(!matches!(
        report,
        dockside_desktop::updates::UpdateReport::Failed { .. }
            | dockside_desktop::updates::UpdateReport::BadSignature { .. }
    ))
}
