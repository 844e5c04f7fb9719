// No console window for the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use dockside_app::{Launch, LaunchOptions, USAGE};
use dockside_desktop::launch;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let launch = match Launch::parse(std::env::args().skip(1)) {
        Ok(launch) => launch,
        Err(message) => {
            eprintln!("dockside-app: {message}");
            return ExitCode::from(2);
        }
    };
    let dashboard = |options| match dockside_app::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dockside-app: could not start: {err:#}");
            ExitCode::FAILURE
        }
    };
    match launch {
        Launch::Help => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Launch::Tray { show } => become_tray(show),
        Launch::Dashboard {
            screen,
            show_on_stdin,
        } => dashboard(LaunchOptions {
            screen,
            show_on_stdin,
            ..LaunchOptions::default()
        }),
        Launch::SmokeTest => dashboard(LaunchOptions {
            smoke_test: true,
            ..LaunchOptions::default()
        }),
        Launch::Update { install } => match dockside_app::run_update(install) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(err) => {
                eprintln!("dockside-app: the updater could not start: {err:#}");
                ExitCode::FAILURE
            }
        },
    }
}

/// Starting Dockside starts its tray, `dockside-tray` beside this binary: on Unix this process
/// becomes it (the web view's libraries go with the old image), elsewhere it is started.
fn become_tray(show: bool) -> ExitCode {
    let Some(tray) = launch::sibling(launch::TRAY) else {
        eprintln!("dockside-app: cannot tell where this executable is");
        return ExitCode::FAILURE;
    };
    let mut command = std::process::Command::new(&tray);
    if show {
        command.arg("--show");
    }
    #[cfg(unix)]
    let err = std::os::unix::process::CommandExt::exec(&mut command);
    #[cfg(not(unix))]
    let err = match command.spawn() {
        Ok(_) => return ExitCode::SUCCESS,
        Err(err) => err,
    };
    eprintln!("dockside-app: could not start {}: {err}", tray.display());
    ExitCode::FAILURE
}
