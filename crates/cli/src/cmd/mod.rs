//! One module per top-level subcommand, plus what they share.

pub mod auth;
pub mod catalog;
pub mod client;
pub mod connect;
pub mod daemon;
pub mod doctor;
pub mod exec;
pub mod gateway;
pub mod logs;
pub mod secret;
pub mod server;
pub mod server_image;
pub mod server_package;
pub mod status;
pub mod stop;
pub mod switch;

use dockside_core::{Home, Workspace};

/// The workspace under `$DOCKSIDE_HOME` (or the platform config directory), parsed but not validated.
/// Parse errors name their `file:line:col` already.
pub fn workspace() -> anyhow::Result<Workspace> {
    Ok(Workspace::load(Home::from_env()?)?)
}

/// Makes `edit` the one way every change is made (`dockside_core::change::apply`: save the
/// catalogs and state, then bring every connected AI client's file in line, all or nothing),
/// and reports what it did to the client files. A running daemon sees the saved files.
pub fn change<T>(edit: impl FnOnce(&mut Workspace) -> anyhow::Result<T>) -> anyhow::Result<T> {
    let home = dockside_core::Home::from_env()?;
    let ctx = dockside_core::clients::Context::for_home(home.root());
    let (value, applied) = dockside_core::change::apply(&ctx, edit)?;
    for (target, out) in &applied.synced {
        client::report(target, out);
    }
    Ok(value)
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
