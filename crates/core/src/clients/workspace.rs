//! The glue between client files and core's [`Workspace`]: desired entries from the state,
//! imported servers into a catalog.

use super::desired::{desired_entries, ServerMode, ServerView};
use super::import::Imported;
use super::plan::{Desired, DesiredEntry};
use super::shape::{Entry, NativeCommand};
use super::sync::{self, Context, Outcome, Target, TargetError};
use crate::catalog::{EnvVar, Remote, Server};
use crate::launch::Launch;
use crate::state::Mode;
use crate::{Error, Workspace};

/// Every server of the workspace, as sync sees it.
pub fn server_views(ws: &Workspace) -> Vec<ServerView> {
    ws.servers()
        .map(|e| {
            let mode = match e.state.mode {
                Mode::Native => ServerMode::Native,
                Mode::Managed => ServerMode::Managed,
                Mode::Docker => ServerMode::Docker,
                Mode::Off => ServerMode::Off,
            };
            let native = match (mode, ws.launch_in(e.name, Mode::Native)) {
                (ServerMode::Native, Ok(Launch::Host(h))) => {
                    Some(DesiredEntry::Native(NativeCommand {
                        command: h.program,
                        args: h.args,
                        env: h.env,
                        cwd: h.cwd.map(|c| c.display().to_string()),
                    }))
                }
                (ServerMode::Native, Ok(Launch::Remote(r))) => Some(DesiredEntry::Remote {
                    server: e.name.to_owned(),
                    url: r.url,
                    headers: r.headers,
                }),
                _ => None,
            };
            ServerView {
                name: e.name.to_owned(),
                mode,
                native,
            }
        })
        .collect()
}

/// The entries a connected client should hold given the workspace's state.
pub fn desired(ws: &Workspace, single_entry: bool) -> Desired {
    desired_entries(&server_views(ws), single_entry)
}

/// Syncs every connected client with the workspace's state, all files or none; call after
/// every state change (mode switch, server added or removed).
pub fn sync_connected(
    ws: &Workspace,
    ctx: &Context,
) -> Result<Vec<(Target, Outcome)>, Vec<TargetError>> {
    sync::sync_all(ctx, |single| desired(ws, single))
}

/// A catalog-safe server name: `[A-Za-z0-9._-]`, not starting with `.` or `-`.
pub fn catalog_name(name: &str) -> String {
    crate::catalog::safe_name(name, "server")
}

/// The catalog entry for an imported server: a host `command` (or a `remote`).
pub fn to_server(entry: &Entry) -> Server {
    match entry {
        Entry::Stdio(c) => {
            let mut server = Server {
                command: Some(
                    std::iter::once(&c.command)
                        .chain(&c.args)
                        .cloned()
                        .collect(),
                ),
                env: (!c.env.is_empty()).then(|| {
                    c.env
                        .iter()
                        .map(|(k, v)| EnvVar {
                            name: k.clone(),
                            value: Some(v.clone()),
                            ..Default::default()
                        })
                        .collect()
                }),
                ..Default::default()
            };
            if let Some(cwd) = &c.cwd {
                server.extension_mut().cwd = Some(cwd.into());
            }
            server
        }
        Entry::Remote { url, headers } => Server {
            remote: Some(Remote {
                url: Some(url.clone()),
                headers: (!headers.is_empty()).then(|| headers.clone()),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

/// What happened to one imported server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportResult {
    pub name: String,
    /// `added`, or `exists` when a server of that name (and the same command) is there already.
    pub status: &'static str,
    pub sources: Vec<String>,
}

/// Adds imported servers to catalog `catalog` in `native` mode; a server whose name is taken
/// by a different server gets a `-2`, `-3`… suffix. Call [`Workspace::save`] afterwards.
pub fn import_into(
    ws: &mut Workspace,
    catalog: &str,
    imported: &[Imported],
) -> Result<Vec<ImportResult>, Error> {
    let mut out = Vec::new();
    for imp in imported {
        let server = to_server(&imp.entry);
        let base = catalog_name(&imp.name);
        let sources = imp
            .sources
            .iter()
            .map(|(c, p)| format!("{c}: {}", p.display()))
            .collect();
        let mut name = base.clone();
        let mut n = 2;
        let mut status = "added";
        loop {
            match ws.server(&name) {
                None => break,
                Some(e)
                    if e.server.command == server.command && e.server.remote == server.remote =>
                {
                    status = "exists";
                    break;
                }
                Some(_) => {
                    name = format!("{base}-{n}");
                    n += 1;
                }
            }
        }
        if status == "added" {
            ws.add_server(catalog, &name, server)?;
            ws.set_mode(&name, Mode::Native)?;
        }
        out.push(ImportResult {
            name,
            status,
            sources,
        });
    }
    Ok(out)
}
