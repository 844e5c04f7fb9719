//! The glue between client files and core's [`Workspace`]: desired entries from the state,
//! imported servers into a catalog.

use super::desired::{desired_entries, ServerMode, ServerView};
use super::import::Imported;
use super::plan::{Desired, DesiredEntry};
use super::shape::{Entry, NativeCommand};
use super::sync::{self, Context, Outcome, Target, TargetError};
use crate::catalog::{EnvVar, Remote, Secret, Server, ServerKind};
use crate::launch::Launch;
use crate::secrets::{self, SecretStore};
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
                    let native = NativeCommand {
                        command: h.program,
                        args: h.args,
                        env: h.env,
                        cwd: h.cwd.map(|c| c.display().to_string()),
                    };
                    // Secrets never go into a client file: `dockside exec` adds them.
                    Some(if h.secrets.is_empty() {
                        DesiredEntry::Native(native)
                    } else {
                        DesiredEntry::Exec {
                            server: e.name.to_owned(),
                            native,
                            secret_env: h.secrets.into_iter().map(|s| s.env).collect(),
                        }
                    })
                }
                // Headers naming secrets never go into a client file, and clients' remote
                // entries speak Streamable HTTP only: `dockside connect --server NAME` fills
                // the secrets in and speaks either transport to the server.
                (ServerMode::Native, Ok(Launch::Remote(r)))
                    if r.headers.values().any(|v| secrets::has_references(v))
                        || r.transport.as_deref() == Some("sse") =>
                {
                    Some(DesiredEntry::Gateway {
                        server: e.name.to_owned(),
                    })
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
            if let Some(server) = super::docker_run::image_server(&c.command, &c.args, &c.env) {
                return server;
            }
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

/// Whether an imported server is one the workspace has: the same command line or image, or
/// for a remote server the same URL (headers are each client's way to pass credentials).
fn same_definition(have: &Server, imported: &Server) -> bool {
    let url = |s: &Server| s.remote.as_ref().and_then(|r| r.url.clone());
    match (url(have), url(imported)) {
        (Some(a), Some(b)) => a == b,
        _ => {
            (&have.command, &have.image, &have.remote)
                == (&imported.command, &imported.image, &imported.remote)
        }
    }
}

/// An env var (or a remote server's header) of an imported server whose value went to the
/// secret store (names only).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MovedSecret {
    /// The environment variable the server reads it from, or the header it goes in.
    pub env: String,
    /// The secret's name in the store (`catalog` `secrets: [{name, env}]`).
    pub secret: String,
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
    /// Env vars whose values are secrets (see [`secrets::is_secret_env`]): moved to the secret
    /// store, declared as the server's `secrets:` instead of `env:`. Never the values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved_secrets: Vec<MovedSecret>,
}

/// Splits the secret env vars off `server` (named `name`): they leave `env` and are declared in
/// `secrets:` as `<name>.<env lower-cased>`. Returns them with their values, for the store.
fn move_secrets(name: &str, server: &mut Server) -> Vec<(MovedSecret, String)> {
    let mut moved = Vec::new();
    let Some(env) = server.env.take() else {
        return moved;
    };
    let mut kept = Vec::new();
    for var in env {
        match &var.value {
            Some(value) if secrets::is_secret_env(&var.name, value) => {
                let secret = secrets::secret_name_for(name, &var.name);
                moved.push((
                    MovedSecret {
                        env: var.name.clone(),
                        secret,
                    },
                    value.clone(),
                ));
            }
            _ => kept.push(var),
        }
    }
    server.env = (!kept.is_empty()).then_some(kept);
    if !moved.is_empty() {
        let declared = server.secrets.get_or_insert_with(Vec::new);
        for (m, _) in &moved {
            declared.push(Secret {
                name: m.secret.clone(),
                env: m.env.clone(),
                extra: Default::default(),
            });
        }
    }
    moved
}

/// [`import_into_store`] with the home's secret store ([`SecretStore::open`]).
pub fn import_into(
    ws: &mut Workspace,
    catalog: &str,
    imported: &[Imported],
) -> Result<Vec<ImportResult>, Error> {
    let store = SecretStore::open(ws.home());
    import_into_store(ws, catalog, imported, &store)
}

/// Adds imported servers to catalog `catalog` in `native` mode (`off` when every client it came
/// from has it switched off); a server whose name is taken
/// by a different server gets a `-2`, `-3`… suffix. Where a client knows the server by another
/// name than it gets here, that name is recorded as the server's alias for that client (so the
/// client's entry keeps its name). Env values that are secrets go to `store` and the server
/// declares them as `secrets:` (so no catalog holds them); a server already there with the same
/// command gets a missing value of a secret it declares for that env var. Call
/// [`Workspace::save`] afterwards.
pub fn import_into_store(
    ws: &mut Workspace,
    catalog: &str,
    imported: &[Imported],
    store: &SecretStore,
) -> Result<Vec<ImportResult>, Error> {
    let mut out = Vec::new();
    for imp in imported {
        let mut server = to_server(&imp.entry);
        let base = catalog_name(&imp.name);
        let mut name = base.clone();
        let mut n = 2;
        let mut status = "added";
        loop {
            match ws.server(&name) {
                None => break,
                Some(e) if same_definition(e.server, &server) => {
                    status = "exists";
                    break;
                }
                Some(_) => {
                    name = format!("{base}-{n}");
                    n += 1;
                }
            }
        }
        let mut moved = move_secrets(&name, &mut server);
        if let Some(headers) = server.remote.as_mut().and_then(|r| r.headers.as_mut()) {
            moved.extend(
                secrets::move_header_secrets(&name, headers)
                    .into_iter()
                    .map(|(secret, env, value)| (MovedSecret { env, secret }, value)),
            );
        }
        let server_kind = server.kind();
        let mut moved_secrets = Vec::new();
        if status == "added" {
            for (m, value) in &moved {
                store.set(&m.secret, value)?;
                moved_secrets.push(m.clone());
            }
            ws.add_server(catalog, &name, server)?;
            // A `docker run IMAGE` entry stays in a container; the rest starts native.
            let mode = match (imp.disabled(), server_kind) {
                (true, _) => Mode::Off,
                (false, Some(ServerKind::Container)) => Mode::Docker,
                _ => Mode::Native,
            };
            ws.set_mode(&name, mode)?;
        } else {
            let declared = ws
                .server(&name)
                .and_then(|e| e.server.secrets.clone())
                .unwrap_or_default();
            for (m, value) in &moved {
                let Some(d) = declared.iter().find(|d| d.env == m.env) else {
                    continue;
                };
                if store.get(&d.name)?.is_none() {
                    store.set(&d.name, value)?;
                }
                moved_secrets.push(MovedSecret {
                    env: m.env.clone(),
                    secret: d.name.clone(),
                });
            }
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
            moved_secrets,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ServerType;
    use crate::Home;

    #[test]
    fn a_native_remote_is_its_url_unless_it_needs_dockside_to_reach_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::load(Home::new(dir.path())).unwrap();
        let remote = |url: &str, transport: Option<&str>, header: Option<&str>| Server {
            server_type: Some(ServerType::Remote),
            remote: Some(Remote {
                url: Some(url.into()),
                transport_type: transport.map(str::to_owned),
                headers: header.map(|v| [("Authorization".to_owned(), v.to_owned())].into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        for (name, server) in [
            (
                "plain",
                remote("https://a/mcp", None, Some("Bearer public")),
            ),
            (
                "secret",
                remote("https://b/mcp", None, Some("Bearer ${secret:b.key}")),
            ),
            ("legacy", remote("https://c/sse", Some("sse"), None)),
        ] {
            ws.add_server("local", name, server).unwrap();
            ws.set_mode(name, Mode::Native).unwrap();
        }
        let entries: Vec<(String, Option<DesiredEntry>)> = server_views(&ws, "cursor")
            .into_iter()
            .map(|v| (v.name, v.native))
            .collect();
        let gateway = |s: &str| {
            Some(DesiredEntry::Gateway {
                server: s.to_owned(),
            })
        };
        assert_eq!(
            entries,
            [
                (
                    "plain".to_owned(),
                    Some(DesiredEntry::Remote {
                        server: "plain".into(),
                        url: "https://a/mcp".into(),
                        headers: [("Authorization".to_owned(), "Bearer public".to_owned())].into(),
                    })
                ),
                ("secret".to_owned(), gateway("secret")),
                ("legacy".to_owned(), gateway("legacy")),
            ]
        );
    }
}
