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

/// Every server of the workspace, as sync sees it in the client file `client` (a target key:
/// `cursor`, `cursor@/abs/project`), each under its entry name there (see [`entry_names`]).
pub fn server_views(ws: &Workspace, client: &str) -> Vec<ServerView> {
    let names = entry_names(ws, client);
    ws.servers()
        .zip(names)
        .map(|(e, entry)| {
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
                entry,
                mode,
                native,
            }
        })
        .collect()
}

/// Each server's entry name in the client file `client`, in server order: its alias for that
/// client, else its alias for every client (`*`), else its own name. When two servers would
/// share a name, the more specific one keeps it (a client's alias, then `*`, then the own name;
/// the earlier server on a tie) and the other gets `NAME-2`, `NAME-3`…
pub fn entry_names(ws: &Workspace, client: &str) -> Vec<String> {
    let wanted: Vec<(String, u8)> = ws
        .servers()
        .map(|e| {
            let aliases = &e.state.aliases;
            match (aliases.get(client), aliases.get("*")) {
                (Some(a), _) => (a.clone(), 0),
                (None, Some(a)) => (a.clone(), 1),
                (None, None) => (e.name.to_owned(), 2),
            }
        })
        .collect();
    let mut taken = std::collections::HashSet::new();
    let mut names = vec![String::new(); wanted.len()];
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by_key(|&i| wanted[i].1);
    let mut losers = Vec::new();
    for i in order {
        if taken.insert(wanted[i].0.clone()) {
            names[i] = wanted[i].0.clone();
        } else {
            losers.push(i);
        }
    }
    for i in losers {
        let base = &wanted[i].0;
        let name = (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|n| !taken.contains(n))
            .expect("a free name");
        taken.insert(name.clone());
        names[i] = name;
    }
    names
}

/// The entries the client file `client` (a target key) should hold given the workspace's state.
pub fn desired(ws: &Workspace, client: &str, single_entry: bool) -> Desired {
    desired_entries(&server_views(ws, client), single_entry)
}

/// Marks `target` connected (one entry per server, or one aggregate entry with
/// `single_entry`) and brings its file in line with the workspace (`adopt`: replace the user's
/// own entries that carry a server's name).
pub fn connect(
    ws: &Workspace,
    ctx: &Context,
    target: &Target,
    single_entry: bool,
    adopt: bool,
) -> Result<Outcome, sync::SyncError> {
    let key = target.key();
    sync::connect(ctx, target, single_entry, |s| desired(ws, &key, s), adopt)
}

/// Syncs every connected client with the workspace's state, all files or none; call after
/// every state change (mode switch, server added or removed).
pub fn sync_connected(
    ws: &Workspace,
    ctx: &Context,
) -> Result<Vec<(Target, Outcome)>, Vec<TargetError>> {
    sync::sync_all(ctx, |target, single| desired(ws, &target.key(), single))
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
    /// Its mode now: `native`, or `off` when every client it came from has it switched off.
    pub mode: Mode,
    /// Where it came from: `client: path`, plus ` (as NAME)` where that client knows it by
    /// another name.
    pub sources: Vec<String>,
}

/// Adds imported servers to catalog `catalog` in `native` mode (`off` when every client it came
/// from has it switched off); a server whose name is taken
/// by a different server gets a `-2`, `-3`… suffix. Where a client knows the server by another
/// name than it gets here, that name is recorded as the server's alias for that client (so the
/// client's entry keeps its name). Call [`Workspace::save`] afterwards.
pub fn import_into(
    ws: &mut Workspace,
    catalog: &str,
    imported: &[Imported],
) -> Result<Vec<ImportResult>, Error> {
    let mut out = Vec::new();
    for imp in imported {
        let server = to_server(&imp.entry);
        let base = catalog_name(&imp.name);
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
            let mode = if imp.disabled() {
                Mode::Off
            } else {
                Mode::Native
            };
            ws.set_mode(&name, mode)?;
        }
        for f in imp.sources.iter().filter(|f| f.name != name) {
            if ws.state().server(&name).aliases.get(&f.key) != Some(&f.name) {
                let state = ws.state_mut().server_mut(&name);
                state.aliases.insert(f.key.clone(), f.name.clone());
            }
        }
        let sources = (imp.sources.iter())
            .map(|f| {
                let at = format!("{}: {}", f.client, f.path.display());
                if f.name == name {
                    at
                } else {
                    format!("{at} (as {})", f.name)
                }
            })
            .collect();
        out.push(ImportResult {
            mode: ws.state().server(&name).mode,
            name,
            status,
            sources,
        });
    }
    Ok(out)
}
