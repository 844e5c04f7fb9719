// No console window for the tray app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

use dockside_app::{LaunchOptions, Parsed, USAGE};

fn main() -> ExitCode {
    dockside_app::window::without_gdk_gl();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let options = match LaunchOptions::parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(options)) => options,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dockside-app: {message}");
            return ExitCode::from(2);
        }
    };
    match dockside_app::run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("dockside-app: could not start: {err:#}");
            ExitCode::FAILURE
        }
    }
}
