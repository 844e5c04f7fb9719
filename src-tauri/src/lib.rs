//! Dockside tray app (Tauri 2).
//!
//! Where to start reading:
//! - [`run`] wires everything: plugins, state, commands, tray, window, run loop.
//! - [`tray`]: the tray icon (status variants) and its menu.
//! - [`window`]: the dashboard window, hidden instead of closed.
//! - [`commands`]: the only calls the web UI (`ui/`) can make; [`backend`] is where their data
//!   comes from (`dockside-core`'s workspace; daemon status and client sync still to come).
//! - [`smoke`]: `--smoke-test`, the "does it really start" check used by tests and CI.

pub mod backend;
pub mod commands;
pub mod options;
pub mod smoke;
pub mod tray;
pub mod window;

use std::sync::Arc;

use tauri::RunEvent;

pub use options::{LaunchOptions, Parsed, USAGE};

/// Builds and runs the app; returns only on a build error (the run loop exits the process).
pub fn run(options: LaunchOptions) -> anyhow::Result<()> {
    let mut builder = tauri::Builder::default();
    // A second launch focuses the running instance's dashboard instead of starting a second
    // tray icon. Not in smoke tests: they must test this binary, not hand over to a running one.
    if !options.smoke_test {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            tracing::info!(?argv, "second launch: showing the dashboard");
            window::show_main(app);
        }));
    }

    let home = dockside_core::Home::from_env()?;
    tracing::info!(home = %home.root().display(), "Dockside home");
    let backend: commands::SharedBackend = Arc::new(backend::CoreBackend::new(home));
    let app = builder
        .manage(backend)
        .manage(options.clone())
        .invoke_handler(tauri::generate_handler![
            commands::list_servers,
            commands::set_mode,
            commands::ui_ready
        ])
        .on_window_event(window::on_window_event)
        .setup(move |app| {
            // A tray app: no Dock icon, no app menu bar on macOS.
            #[cfg(target_os = "macos")]
            app.set_activation_policy(tauri::ActivationPolicy::Accessory);

            // TODO(tray issue): follow the daemon's status instead of "stopped".
            tray::build(app.handle(), tray::TrayStatus::Stopped)?;

            if options.smoke_test {
                smoke::arm(app.handle());
            }
            if options.show || options.smoke_test {
                window::show_main(app.handle());
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;

    app.run(|_app, event| {
        // Closing the last window must not quit a tray app; `app.exit(code)` (Quit, smoke
        // test) carries a code and goes through.
        if let RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            api.prevent_exit();
        }
    });
    Ok(())
}
