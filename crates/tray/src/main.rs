//! `dockside-tray`: Dockside's menu-bar/tray process. It keeps the daemon running, shows the
//! servers and their modes in its menu, notifies about crashes, and checks for updates; it
//! holds no web view (about 30 MiB instead of the ~75 MiB a Tauri process with WebKit takes,
//! docs/BENCHMARKS.md). "Open Dashboard" starts `dockside-app --dashboard`, which exits when
//! its window closes.
//!
//! Modules: [`menu`] draws the tray, [`actions`] carries out picks and the dashboard's
//! requests ([`dockside_desktop::link`]), [`dashboard`] starts and closes dashboards,
//! [`updater`] runs the dashboard binary's updater.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod actions;
mod dashboard;
mod menu;
mod updater;

use std::fs::{File, TryLockError};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dockside_core::Home;
use dockside_desktop::backend::{CoreBackend, SharedBackend};
use dockside_desktop::hub::{self, Hub, Role, Surface};
use dockside_desktop::link::{self, LinkError, Request};
use dockside_desktop::tray_model::TrayModel;
use tao::event::{Event, StartCause};
use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tray_icon::menu::MenuEvent;

use actions::{Tray, UserEvent};

const USAGE: &str = "\
Usage: dockside-tray [--show]

Dockside's tray: keeps the Dockside gateway running and switches servers from the menu bar.
If Dockside already runs for this DOCKSIDE_HOME, asks it to open the dashboard and exits.

Options:
  --show          open the dashboard at start
  -V, --version   print the version
  -h, --help      print this help";

fn main() -> ExitCode {
    without_gdk_gl();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut show = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--show" => show = true,
            "-V" | "--version" => {
                println!("dockside-tray {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            // Added by older macOS versions when launched from Finder.
            other if other.starts_with("-psn_") => {}
            other => {
                eprintln!("dockside-tray: unknown argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(show) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dockside-tray: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Turns GDK's own OpenGL off for this process unless the user set `GDK_GL` themselves.
///
/// GTK 3 on X11 picks its visuals when it opens the display by asking the GL driver (GLX):
/// that loads the driver, and Mesa's drivers load LLVM — about 50 MiB of a tray that draws
/// nothing with GL (docs/BENCHMARKS.md). The dashboard started from the tray inherits it:
/// WebKit then renders without hardware acceleration (it says so in the log), which a page of
/// lists and forms does not need; WebKit's snapshot API (WebDriver screenshots) never returns
/// in that mode, so tests/app/driver-e2e.sh turns GL back on. Called first thing, before any
/// thread starts (it sets an environment variable).
fn without_gdk_gl() {
    if cfg!(target_os = "linux") && std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
}

fn run(show: bool) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let Some(lock) = runtime.block_on(one_per_home(&home, show))? else {
        return Ok(());
    };
    tracing::info!(home = %home.root().display(), "Dockside home");
    let listener = runtime
        .block_on(link::Listener::bind(&home))
        .context("cannot listen for the dashboard on 127.0.0.1")?;

    #[allow(unused_mut)]
    let mut event_loop = EventLoopBuilder::<UserEvent>::with_user_event().build();
    // A menu-bar app: no Dock icon, no app menu on macOS.
    #[cfg(target_os = "macos")]
    tao::platform::macos::EventLoopExtMacOS::set_activation_policy(
        &mut event_loop,
        tao::platform::macos::ActivationPolicy::Accessory,
    );
    let hub = Hub::new(home.clone(), Role::Supervisor);
    let backend: SharedBackend = Arc::new(CoreBackend::new(home.clone(), hub.dockside.as_deref()));
    let tray = Tray::new(
        home,
        Arc::clone(&hub),
        Arc::clone(&backend),
        event_loop.create_proxy(),
    );
    let surface: Arc<dyn Surface> = tray.clone();

    let (picks, rt) = (Arc::clone(&tray), runtime.handle().clone());
    MenuEvent::set_event_handler(Some(move |event: MenuEvent| {
        rt.spawn(actions::pick(Arc::clone(&picks), event.id.0));
    }));
    if cfg!(target_os = "windows") {
        let (opener, rt) = (Arc::clone(&tray), runtime.handle().clone());
        tray_icon::TrayIconEvent::set_event_handler(Some(move |event| {
            if is_left_click(&event) {
                let opener = Arc::clone(&opener);
                rt.spawn(async move { opener.dashboards.open(None).await });
            }
        }));
    }
    runtime.spawn(listener.serve(Arc::clone(&tray)));
    runtime.spawn(hub::refresher(
        Arc::clone(&surface),
        Arc::clone(&hub),
        backend,
    ));
    runtime.spawn(hub::supervise(surface, Arc::clone(&hub)));
    runtime.spawn(quit_on_signal(Arc::clone(&tray)));
    runtime.spawn(actions::check_updates(Arc::clone(&tray), false));
    if show {
        let opener = Arc::clone(&tray);
        runtime.spawn(async move { opener.dashboards.open(None).await });
    }
    hub.changed();

    let mut icon = None;
    event_loop.run(move |event, _, control_flow| {
        *control_flow = ControlFlow::Wait;
        // Keep them alive as long as the loop runs.
        let _ = (&runtime, &lock);
        match event {
            Event::NewEvents(StartCause::Init) if icon.is_none() => {
                icon = build_icon(&TrayModel::default());
            }
            Event::UserEvent(UserEvent::Draw(model)) => match &icon {
                Some(tray) => {
                    if let Err(err) = menu::update(tray, &model) {
                        tracing::warn!("could not update the tray: {err}");
                    }
                }
                None => icon = build_icon(&model),
            },
            Event::UserEvent(UserEvent::Exit(code)) => {
                icon = None;
                link::close(&tray.home);
                *control_flow = ControlFlow::ExitWithCode(code);
            }
            _ => {}
        }
    })
}

fn build_icon(model: &TrayModel) -> Option<tray_icon::TrayIcon> {
    menu::build(model)
        .inspect_err(|err| tracing::error!("could not create the tray icon: {err}"))
        .ok()
}

fn is_left_click(event: &tray_icon::TrayIconEvent) -> bool {
    matches!(
        event,
        tray_icon::TrayIconEvent::Click {
            button: tray_icon::MouseButton::Left,
            button_state: tray_icon::MouseButtonState::Up,
            ..
        }
    )
}

/// One tray per Dockside home: takes `<home>/tray.lock` (held while this process lives). If
/// another tray holds it, asks that one to show the dashboard and answers `None`.
async fn one_per_home(home: &Home, show: bool) -> anyhow::Result<Option<File>> {
    std::fs::create_dir_all(home.root())
        .with_context(|| format!("cannot create {}", home.root().display()))?;
    let path = home.root().join("tray.lock");
    let file = File::create(&path).with_context(|| format!("cannot open {}", path.display()))?;
    // A tray that is restarting after an update lets go within seconds.
    for _ in 0..50 {
        match file.try_lock() {
            Ok(()) => return Ok(Some(file)),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(err)) => {
                return Err(err).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        let screen = None;
        match link::call(home, Request::Show { screen }).await {
            Ok(_) => {
                let what = if show { "showing" } else { "asked it to show" };
                eprintln!("Dockside is already running: {what} its dashboard");
                return Ok(None);
            }
            Err(LinkError::NoTray) => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(err) => return Err(err).context("Dockside is already running"),
        }
    }
    anyhow::bail!(
        "another Dockside tray holds {} but does not answer",
        path.display()
    )
}

/// SIGTERM (logout, `kill`) and SIGINT quit like the menu's Quit: the daemon is stopped
/// unless the user chose to keep it running.
async fn quit_on_signal(tray: Arc<Tray>) {
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
        actions::quit(tray).await;
    }
    #[cfg(not(unix))]
    {
        let _ = tray;
    }
}
