//! Package servers (`npx -y PKG`, `uvx PKG`…): their pinned version and its install.
//!
//! `dockside server update NAME` resolves what the server's command asks for (a version, a range,
//! or the latest), shows the pinned and the newest version, and moves the pin (`--check` only
//! shows). [`pin_new`] pins the servers that run a package without a pin yet (`client import`,
//! `switch production`), [`pin_one`] a server `server add` is adding. [`prepare`] installs a pinned package (and
//! builds its image for docker mode) before a mode change made here.

use anyhow::bail;
use dockside_core::catalog::Server;
use dockside_core::packages::pin::{self, Update};
use dockside_core::packages::Store;
use dockside_core::state::ServerState;
use dockside_core::Mode;
use dockside_gateway::service::packages;
use serde_json::json;

use super::{change, print_json, workspace};

#[derive(clap::Args)]
pub struct UpdateArgs {
    /// Server names (default: every server that runs a package)
    names: Vec<String>,
    /// Only show the newest version; change nothing
    #[arg(long)]
    check: bool,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

/// Records the resolved pins (one change: saved, and connected clients synced).
fn record(updates: &[Update]) -> anyhow::Result<()> {
    if updates.iter().all(|u| u.to.is_err()) {
        return Ok(());
    }
    change(|ws| Ok(pin::record(ws, updates)?)).map(drop)
}

/// Pins the servers among `names` (all when empty) that run a package without a pin; prints one
/// line per server on stderr. A package that cannot be resolved is reported, not fatal: the
/// server keeps running its launcher command.
pub fn pin_new(names: &[String]) -> anyhow::Result<()> {
    let ws = workspace()?;
    let updates = pin::resolve(&ws, names, true);
    for u in &updates {
        match &u.to {
            Ok(p) => eprintln!("{}: pinned {}", u.name, p.label()),
            Err(e) => eprintln!("{}: not pinned: {e}", u.name),
        }
    }
    record(&updates)
}

pub fn update(args: UpdateArgs) -> anyhow::Result<()> {
    let ws = workspace()?;
    for name in &args.names {
        if ws.server(name).is_none() {
            bail!(dockside_core::Error::UnknownServer(name.clone()));
        }
    }
    let updates = pin::resolve(&ws, &args.names, false);
    if updates.is_empty() {
        bail!(
            "no server runs a package through npx, uvx, bunx, pipx run…{}",
            if args.names.is_empty() {
                ""
            } else {
                " among those named"
            }
        );
    }
    if !args.check {
        // Installed (and its image built) before the pin moves: a running daemon reloads on the
        // saved catalog and never downloads anything itself.
        for u in &updates {
            if let (Some(new), Some(e)) = (u.newer(), ws.server(&u.name)) {
                let mut server = e.server.clone();
                server.extension_mut().package = Some(new.clone());
                prepare(&ws.packages(), &u.name, &server, &e.state, e.state.mode)?;
            }
        }
        record(&updates)?;
    }
    let mut out = Vec::new();
    for u in &updates {
        let from = u.from.as_ref().map(|p| p.version.clone());
        let to = u.to.as_ref().map(|p| p.version.clone());
        if args.json {
            out.push(json!({"name": u.name, "from": from, "to": to.as_ref().ok(), "error": u.to.as_ref().err()}));
            continue;
        }
        match (&from, &u.to) {
            (_, Err(e)) => println!("{}: {e}", u.name),
            (Some(f), Ok(p)) if *f == p.version => {
                println!("{}: {} is the newest", u.name, p.label())
            }
            (f, Ok(p)) => println!(
                "{}: {} {} → {}{}",
                u.name,
                p.registry,
                p.name,
                p.version,
                match (f, args.check) {
                    (None, true) => " (not pinned yet)".to_owned(),
                    (Some(f), true) =>
                        format!(" (pinned: {f}; run without --check to move the pin)"),
                    (None, false) => " (pinned)".to_owned(),
                    (Some(f), false) => format!(" (was {f})"),
                }
            ),
        }
    }
    if args.json {
        print_json(&json!(out))?;
    }
    Ok(())
}

/// Installs the pinned package of server `name` (and builds its image for `docker`) before it
/// runs in `mode`; progress on stderr. Nothing to do for other servers.
pub fn prepare(
    store: &Store,
    name: &str,
    server: &Server,
    state: &ServerState,
    mode: Mode,
) -> anyhow::Result<()> {
    if !dockside_core::launch::runs_install(server, state, mode) {
        return Ok(());
    }
    let rt = dockside_gateway::service::run::runtime()?;
    rt.block_on(async {
        let docker = match mode {
            Mode::Docker => Some(dockside_docker::engine::connect().await?),
            _ => None,
        };
        let say = |line: &str| eprintln!("{name}: {line}");
        packages::ensure(store, server, state, mode, docker.as_ref(), &say)
            .await
            .map_err(anyhow::Error::msg)?;
        Ok(())
    })
}

/// Pins `server` (about to be added) when its command runs a package; reports on stderr.
pub fn pin_one(store: &Store, name: &str, server: &mut Server) {
    let Some(command) = server.host_command() else {
        return;
    };
    let Some(invocation) = dockside_core::packages::detect(command) else {
        return;
    };
    match store.resolve(&invocation) {
        Ok(p) => {
            eprintln!("{name}: pinned {}", p.label());
            server.extension_mut().package = Some(p);
        }
        Err(e) => eprintln!("{name}: not pinned: {e}"),
    }
}
