//! Dockside tray app (Tauri 2).
//!
//! Module layers — each module imports only from layers below it (never sideways within a
//! layer, never up); this file wires them together:
//! 1. [`model`], [`options`], [`window`], [`notify`] — shared types (rows, daemon state, errors), launch flags, the dashboard window, which events become notifications.
//! 2. [`prefs`], [`backend`], [`clients`], [`editor`], [`production`], [`secrets`], [`menu`], [`update`] — data through `dockside-core`, the tray's look, updates.
//! 3. [`hub`], [`smoke`] — daemon supervision, its events, the one mode change, the refresher of rows, tray and UI; the smoke check.
//! 4. [`commands`], [`tray`] — what the web UI and the tray menu can do.
//!
//! Where to start reading:
//! - [`run`] wires everything: plugins, state, commands, tray, window, run loop.
//! - [`commands`]: the only calls the web UI (`ui/`) can make — thin wrappers over
//!   `dockside-core` ([`backend`], [`editor`], [`clients`]), the [`hub`] and the daemon's
//!   control API (`dockside_api::client`); [`production`]: the production switch (review
//!   through core, switch and undo through the `dockside` CLI); [`secrets`]: the secret
//!   store's names and who uses them (values go in, never come back).
//! - [`hub`]: daemon supervision, event forwarding to the UI, tray refresh; [`notify`]: which
//!   events become desktop notifications, rate-limited.
//! - [`tray`] and [`menu`]: the tray icon, what its menu does and how it looks.
//! - [`update`]: the updater (check and verify at start and from the tray; install only on the
//!   user's OK or at quit).
//! - [`smoke`]: `--smoke-test`, the "does it really start" check used by tests and CI.

pub mod backend;
pub mod clients;
pub mod commands;
pub mod editor;
pub mod hub;
pub mod menu;
pub mod model;
pub mod notify;
pub mod options;
pub mod prefs;
pub mod production;
pub mod secrets;
pub mod smoke;
pub mod tray;
pub mod update;
pub mod window;

use std::sync::Arc;

use tauri::{Manager, RunEvent};

pub use options::{LaunchOptions, Parsed, USAGE};

/// SIGTERM (logout, `kill`) and SIGINT quit like the tray's Quit: the daemon is stopped
/// unless the user chose to keep it running.
async fn quit_on_signal<R: tauri::Runtime>(app: tauri::AppHandle<R>, hub: Arc<hub::Hub>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::warn!("cannot listen for SIGTERM/SIGINT");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("quitting on a signal");
        hub.quit().await;
        app.exit(0);
    }
    #[cfg(not(unix))]
    {
        let _ = (app, hub);
    }
}

/// Builds and runs the app; returns only on a build error (the run loop exits the process).
pub fn run(options: LaunchOptions) -> anyhow::Result<()> {
    let mut builder = tauri::Builder::default();
    // A second launch focuses the running instance's dashboard instead of starting a second
    // tray icon. Not in smoke tests: they must test this binary, not hand over to a running one.
    if !options.smoke_test {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            tracing::info!(?argv, "second launch: showing the dashboard");
            window::show_main(app, None);
        }));
    }

    let home = dockside_core::Home::from_env()?;
    tracing::info!(home = %home.root().display(), "Dockside home");
    let backend: backend::SharedBackend = Arc::new(backend::CoreBackend::new(
        home.clone(),
        hub::find_dockside().as_deref(),
    ));
    // A smoke test checks this binary's tray, window and UI: it must not start (or stop) a
    // daemon unless asked to (DOCKSIDE_SMOKE_DAEMON=1).
    let supervise = !options.smoke_test || std::env::var_os("DOCKSIDE_SMOKE_DAEMON").is_some();
    let hub = hub::Hub::new(home, supervise);
    let app = builder
        .plugin(tauri_plugin_updater::Builder::new().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .manage(backend.clone())
        .manage(hub.clone())
        .manage(options.clone())
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
            // A tray app: no Dock icon, no app menu bar on macOS.
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);

            tray::build(app.handle(), &menu::TrayModel::default())?;
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(hub::refresher(handle.clone(), hub.clone(), backend));
            tauri::async_runtime::spawn(hub::supervise(handle.clone(), hub.clone()));
            tauri::async_runtime::spawn(quit_on_signal(handle.clone(), hub.clone()));
            hub.changed();
            if !options.smoke_test {
                tauri::async_runtime::spawn(tray::check_updates(handle, hub.clone(), false));
            }

            if options.smoke_test {
                smoke::arm(app.handle());
            }
            if options.show || options.smoke_test {
                window::show_main(app.handle(), None);
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;

    app.run(|app, event| match event {
        // Closing the last window must not quit a tray app; `app.exit(code)` (Quit, smoke
        // test) carries a code and goes through.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        // Quit from elsewhere (session end, signal): the daemon follows the preference too.
        // A downloaded update the user did not install yet is installed now.
        RunEvent::Exit => {
            let hub = app.state::<Arc<hub::Hub>>().inner().clone();
            if !hub.quitting() {
                tauri::async_runtime::block_on(async {
                    let _ =
                        tokio::time::timeout(std::time::Duration::from_secs(3), hub.quit()).await;
                });
            }
            if let Err(err) = hub.updates.install() {
                tracing::warn!("could not install the update at quit: {err}");
            }
        }
        _ => {}
    });
    Ok(())
}
