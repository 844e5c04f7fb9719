//! One module per top-level subcommand, plus what they share.

pub mod catalog;
pub mod client;
pub mod connect;
pub mod daemon;
pub mod doctor;
pub mod gateway;
pub mod logs;
pub mod secret;
pub mod server;
pub mod server_image;
pub mod status;
pub mod stop;
pub mod switch;

use dockside_core::{Home, Workspace};

/// The workspace under `$DOCKSIDE_HOME` (or the platform config directory), parsed but not validated.
/// Parse errors name their `file:line:col` already.
pub fn workspace() -> anyhow::Result<Workspace> {
    Ok(Workspace::load(Home::from_env()?)?)
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
