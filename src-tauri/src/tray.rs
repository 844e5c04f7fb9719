//! The tray icon's behaviour: builds it (its look is `menu`) and carries out menu picks through
//! the [`Hub`].

use std::sync::Arc;

use tauri::menu::MenuEvent;
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::backend::SharedBackend;
use crate::hub::Hub;
use crate::menu::{build_menu, Action, TrayModel, TRAY_ID};
use crate::notify::{self, Kind, Note};
use crate::update::UpdateError;
use crate::window;

/// Builds the tray icon with its menu.
pub fn build<R: Runtime>(app: &AppHandle<R>, model: &TrayModel) -> tauri::Result<TrayIcon<R>> {
    let menu = build_menu(app, model)?;
    let status = model.status;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(status.icon())
        .icon_as_template(cfg!(target_os = "macos"))
        .tooltip(status.tooltip())
        .menu(&menu)
        // Windows convention: left click opens the app, right click the menu. Elsewhere any
        // click opens the menu (Linux tray hosts do not report clicks at all).
        .show_menu_on_left_click(!cfg!(target_os = "windows"))
        .on_menu_event(on_menu_event)
        .on_tray_icon_event(|tray, event| {
            if cfg!(target_os = "windows") && is_left_click(&event) {
                window::show_main(tray.app_handle(), None);
            }
        })
        .build(app)
}

fn is_left_click(event: &TrayIconEvent) -> bool {
    matches!(
        event,
        TrayIconEvent::Click {
            button: MouseButton::Left,
            button_state: MouseButtonState::Up,
            ..
        }
    )
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let id = event.id().as_ref();
    let Some(action) = Action::parse(id) else {
        tracing::warn!("unknown tray menu item `{id}`");
        return;
    };
    tracing::info!(?action, "tray menu");
    let hub = app.state::<Arc<Hub>>().inner().clone();
    match action {
        Action::Open => window::show_main(app, None),
        Action::Production => window::show_main(app, Some("production")),
        Action::SignIn(server) => {
            tauri::async_runtime::spawn(async move {
                if let Err(err) = hub.sign_in(&server).await {
                    tracing::warn!("sign-in of {server}: {err}");
                }
            });
        }
        Action::CheckUpdates => {
            tauri::async_runtime::spawn(check_updates(app.clone(), hub, true));
        }
        Action::InstallUpdate => {
            tauri::async_runtime::spawn(install_update(app.clone(), hub));
        }
        Action::Quit => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                hub.quit().await;
                app.exit(0);
            });
        }
        Action::SetMode(server, mode) => {
            let backend = app.state::<SharedBackend>().inner().clone();
            tauri::async_runtime::spawn(async move {
                // On success the hub shows the new row at once (tray and UI), no refetch.
                if let Err(err) = hub.set_mode(&backend, &server, mode).await {
                    tracing::warn!("could not switch {server} to {mode}: {err}");
                    // The click toggled the check item: draw the menu as it really is.
                    hub.redraw_tray();
                    notify::show(
                        Note {
                            kind: Kind::Gateway,
                            server: Some(server.clone()),
                            title: format!("Could not switch {server} to {mode}"),
                            body: err.to_string(),
                            action: None,
                        },
                        |_| {},
                    );
                }
            });
        }
        Action::Restart(server) => {
            tauri::async_runtime::spawn(async move {
                if let Some(client) = hub.client() {
                    if let Err(err) = client.action(&server, "restart").await {
                        tracing::warn!("could not restart {server}: {err}");
                    }
                }
                hub.changed();
            });
        }
        Action::Pause => {
            let paused = !hub.daemon_state().paused;
            tauri::async_runtime::spawn(async move { hub.set_paused(paused).await });
        }
        Action::Keep => {
            let mut prefs = hub.prefs.lock().expect("prefs lock").clone();
            prefs.keep_gateway_running = !prefs.keep_gateway_running;
            if let Err(err) = hub.set_prefs(prefs) {
                tracing::warn!("could not save preferences: {err}");
            }
        }
        Action::Autostart => {
            let on = !crate::menu::autostart_enabled(app);
            if let Err(err) = crate::menu::set_autostart(app, on) {
                tracing::warn!("{err}");
            }
            hub.changed();
        }
    }
}

/// Checks for an update, downloads and verifies it, and tells the user it is ready (installing
/// waits for their OK or the next quit: servers keep running). `asked`: from the tray menu, so
/// "up to date" and failures are told too; at start they are only logged, except a refused
/// signature, which is always told.
pub async fn check_updates<R: Runtime>(app: AppHandle<R>, hub: Arc<Hub>, asked: bool) {
    let note = match hub.updates.check(&app).await {
        Ok(Some(version)) => {
            hub.changed();
            Some(Note {
                action: Some(("install".into(), "Install and restart".into())),
                ..update_note(
                    &format!("Dockside {version} is ready to install"),
                    "Your servers keep running. Install it from the tray menu now, or it is \
                     installed when you quit Dockside."
                        .into(),
                )
            })
        }
        Ok(None) => {
            tracing::info!("Dockside is up to date");
            asked.then(|| update_note("Dockside is up to date", String::new()))
        }
        Err(UpdateError::NoEndpoint) if !asked => {
            tracing::info!("no update check: {}", UpdateError::NoEndpoint);
            None
        }
        Err(err) => {
            tracing::warn!("update check: {err}");
            (asked || matches!(err, UpdateError::BadSignature { .. }))
                .then(|| update_note("Update check failed", err.to_string()))
        }
    };
    let muted = hub
        .prefs
        .lock()
        .expect("prefs lock")
        .muted
        .contains(&Kind::Update);
    if let Some(note) = note.filter(|_| asked || !muted) {
        notify::show(note, move |_| {
            tauri::async_runtime::spawn(install_update(app, hub));
        });
    }
}

fn update_note(title: &str, body: String) -> Note {
    Note {
        kind: Kind::Update,
        server: None,
        title: title.into(),
        body,
        action: None,
    }
}

/// The user's OK: installs the downloaded update (off the async runtime: the installer may ask
/// for a password), then quits (the daemon follows the "keep running" preference) and starts
/// the new version.
async fn install_update<R: Runtime>(app: AppHandle<R>, hub: Arc<Hub>) {
    let installer = hub.clone();
    let installed = tauri::async_runtime::spawn_blocking(move || installer.updates.install())
        .await
        .unwrap_or_else(|err| {
            tracing::warn!("the update installer task failed: {err}");
            Ok(None)
        });
    match installed {
        Ok(Some(_)) => {
            hub.quit().await;
            app.restart();
        }
        Ok(None) => {}
        Err(err) => {
            tracing::warn!("could not install the update: {err}");
            notify::show(
                update_note("Could not install the update", err.to_string()),
                |_| {},
            );
        }
    }
}
