//! What the tray does: menu picks, the link's requests from the dashboard and second launches,
//! quitting and restarting after an update. Everything here runs on the async runtime; the
//! event loop only draws ([`UserEvent`]).

use std::sync::{Arc, Mutex};

use dockside_core::Home;
use dockside_desktop::autostart;
use dockside_desktop::backend::SharedBackend;
use dockside_desktop::hub::{Hub, Surface};
use dockside_desktop::link::{self, Handler, Request};
use dockside_desktop::notify::{self, Kind, Note};
use dockside_desktop::tray_model::{Action, TrayModel};
use serde_json::Value;
use tao::event_loop::EventLoopProxy;

use crate::dashboard::Dashboards;
use crate::updater;

/// What the async side asks of the event loop.
#[derive(Debug)]
pub enum UserEvent {
    Draw(TrayModel),
    Exit(i32),
}

pub struct Tray {
    pub home: Home,
    pub hub: Arc<Hub>,
    pub backend: SharedBackend,
    pub dashboards: Dashboards,
    proxy: Mutex<EventLoopProxy<UserEvent>>,
}

impl Tray {
    pub fn new(
        home: Home,
        hub: Arc<Hub>,
        backend: SharedBackend,
        proxy: EventLoopProxy<UserEvent>,
    ) -> Arc<Tray> {
        Arc::new(Tray {
            home,
            hub,
            backend,
            dashboards: Dashboards::default(),
            proxy: Mutex::new(proxy),
        })
    }

    fn send(&self, event: UserEvent) {
        if self
            .proxy
            .lock()
            .expect("proxy lock")
            .send_event(event)
            .is_err()
        {
            tracing::debug!("the event loop is gone");
        }
    }
}

/// The hub draws the tray through the event loop (the tray icon lives on its thread).
impl Surface for Tray {
    fn emit(&self, _event: &str, _payload: Value) {}

    fn show_tray(&self, model: &TrayModel) {
        self.send(UserEvent::Draw(model.clone()));
    }
}

/// Requests from the dashboard and from second launches.
impl Handler for Tray {
    async fn handle(&self, request: Request) -> Value {
        match request {
            Request::Show { screen } => {
                tracing::info!(?screen, "second launch: showing the dashboard");
                self.dashboards.open(screen.as_deref()).await;
            }
            Request::State => {
                return serde_json::to_value(self.hub.tray_state()).unwrap_or_default();
            }
            Request::Pause { paused } => self.hub.set_paused(paused).await,
            Request::Changed => {
                let hub = Arc::clone(&self.hub);
                off_runtime(move || hub.reload_prefs()).await;
            }
        }
        Value::Null
    }
}

/// Carries out the menu item `id`.
pub async fn pick(tray: Arc<Tray>, id: String) {
    let Some(action) = Action::parse(&id) else {
        tracing::warn!("unknown tray menu item `{id}`");
        return;
    };
    tracing::info!(?action, "tray menu");
    let hub = &tray.hub;
    match action {
        Action::Open => tray.dashboards.open(None).await,
        Action::Production => tray.dashboards.open(Some("production")).await,
        Action::SignIn(server) => {
            if let Err(err) = hub.sign_in(&server).await {
                tracing::warn!("sign-in of {server}: {err}");
            }
        }
        Action::CheckUpdates => check_updates(tray, true).await,
        Action::InstallUpdate => install_and_restart(tray).await,
        Action::Quit => quit(tray).await,
        Action::SetMode(server, mode) => {
            // On success the hub shows the new row at once (tray and UI), no refetch.
            if let Err(err) = hub.set_mode(&tray.backend, &server, mode).await {
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
        }
        Action::Restart(server) => {
            if let Some(client) = hub.client() {
                if let Err(err) = client.action(&server, "restart").await {
                    tracing::warn!("could not restart {server}: {err}");
                }
            }
            hub.changed();
        }
        Action::Pause => hub.set_paused(!hub.daemon_state().paused).await,
        Action::Keep => {
            let hub = Arc::clone(hub);
            off_runtime(move || {
                let mut prefs = hub.prefs.lock().expect("prefs lock").clone();
                prefs.keep_gateway_running = !prefs.keep_gateway_running;
                if let Err(err) = hub.set_prefs(prefs) {
                    tracing::warn!("could not save preferences: {err}");
                }
            })
            .await;
        }
        Action::Autostart => {
            off_runtime(|| {
                if let Err(err) = autostart::set(!autostart::enabled()) {
                    tracing::warn!("{err}");
                }
            })
            .await;
            hub.changed();
        }
    }
}

/// Small file work (app.json, the autostart entry) on the blocking pool, off the runtime's
/// workers.
async fn off_runtime(work: impl FnOnce() + Send + 'static) {
    if let Err(err) = tokio::task::spawn_blocking(work).await {
        tracing::warn!("{err}");
    }
}

/// Checks for an update; the notification's button installs it.
pub async fn check_updates(tray: Arc<Tray>, asked: bool) {
    let runtime = tokio::runtime::Handle::current();
    let installer = Arc::clone(&tray);
    updater::check(&tray.hub, asked, move || {
        runtime.spawn(install_and_restart(installer));
    })
    .await;
}

/// Quit: the daemon follows the "keep running" preference, open dashboards close, and an
/// update downloaded but not installed yet is installed now.
pub async fn quit(tray: Arc<Tray>) {
    tray.hub.quit().await;
    tray.dashboards.close_all().await;
    updater::install(&tray.hub).await;
    tray.send(UserEvent::Exit(0));
}

/// The user's OK: installs the downloaded update, quits (the daemon follows the "keep running"
/// preference) and starts the new version.
pub async fn install_and_restart(tray: Arc<Tray>) {
    if !updater::install(&tray.hub).await {
        return;
    }
    tray.hub.quit().await;
    tray.dashboards.close_all().await;
    // The new tray must not find this one: it waits for the instance lock, which this process
    // holds until it exits.
    link::close(&tray.home);
    match dockside_desktop::launch::tray_launcher() {
        Some(launcher) => match std::process::Command::new(&launcher).spawn() {
            Ok(child) => tracing::info!(pid = child.id(), "started the new version"),
            Err(err) => tracing::warn!("could not start {}: {err}", launcher.display()),
        },
        None => tracing::warn!("cannot tell where the new version is: start Dockside again"),
    }
    tray.send(UserEvent::Exit(0));
}
