//! From Dockside's catalogs and state to [`UpstreamSpec`]s: the one place where core's model
//! becomes what the gateway runs.

use std::path::{Path, PathBuf};

use dockside_core::catalog::{CatalogFile, Server};
use dockside_core::home::Home;
use dockside_core::launch::{self, Launch};
use dockside_core::state::{Mode, ServerState};
use dockside_core::Workspace;
use indexmap::IndexMap;

use crate::upstream::{Prefix, UpstreamSpec};

/// Which servers to run and how to name them (the `gateway run` / `daemon` selection flags).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--catalog FILE…`: read these catalogs instead of every catalog in the home.
    pub catalogs: Vec<PathBuf>,
    /// `--servers a,b`: run exactly these (whatever their mode).
    pub servers: Vec<String>,
    /// `--prefix [SERVER=]P`: custom prefixes; an entry without `SERVER=` applies to all.
    pub prefixes: Vec<String>,
    /// `--no-prefix`: the servers' own names.
    pub no_prefix: bool,
}

/// Servers from every catalog, in catalog-file then registry order, with their catalog file.
pub type Servers = IndexMap<String, (Server, PathBuf)>;

/// Reads the `--catalog` files (later files win on duplicate names, with a warning), or every
/// catalog of the home.
pub fn load_catalogs(ws: &Workspace, files: &[PathBuf]) -> anyhow::Result<Servers> {
    let mut servers = Servers::new();
    if files.is_empty() {
        for entry in ws.servers() {
            servers.insert(
                entry.name.to_string(),
                (entry.server.clone(), entry.catalog.path.clone()),
            );
        }
        return Ok(servers);
    }
    for file in files {
        let catalog = CatalogFile::load(file)?;
        for (name, server) in catalog.catalog.registry {
            if let Some((_, earlier)) = servers.get(&name) {
                tracing::warn!(
                    "server '{name}' of {} replaces the one of {}",
                    file.display(),
                    earlier.display()
                );
            }
            servers.insert(name, (server, file.clone()));
        }
    }
    Ok(servers)
}

/// The spec of one server run by the gateway as a host process.
pub fn spec_from_server(
    name: &str,
    server: &Server,
    state: &ServerState,
) -> anyhow::Result<UpstreamSpec> {
    match launch::resolve(name, server, state, Mode::Managed)? {
        Launch::Host(host) => {
            let mut env: Vec<(String, String)> = host.env.into_iter().collect();
            let mut secret_values = Vec::new();
            for secret in &host.secrets {
                // Secrets come from the gateway's environment, under the server's variable name.
                if let Ok(value) = std::env::var(&secret.env) {
                    secret_values.push(value.clone());
                    env.push((secret.env.clone(), value));
                } else {
                    tracing::warn!(server = %name, "secret '{}' ({}) is not set", secret.name, secret.env);
                }
            }
            let prefix = match server.prefix.as_deref() {
                None => Prefix::ServerName,
                Some("") => Prefix::None,
                Some(p) => Prefix::Custom(p.to_string()),
            };
            Ok(UpstreamSpec {
                name: name.to_string(),
                command: host.program,
                args: host.args,
                env,
                cwd: host.cwd,
                prefix,
                tools: state.tools.clone(),
                secret_values,
            })
        }
        Launch::Container(_) => anyhow::bail!(
            "server '{name}' is a container image; docker upstreams are not supported by the gateway yet"
        ),
        Launch::Remote(_) => {
            anyhow::bail!("server '{name}' is remote; remote upstreams are not supported by the gateway yet")
        }
    }
}

/// The specs to run: `--servers`, else every server of the `--catalog` files, else every
/// server whose mode is `managed`.
pub fn select(home: &Home, sel: &Selection) -> anyhow::Result<Vec<UpstreamSpec>> {
    let ws = Workspace::load(home.clone())?;
    let servers = load_catalogs(&ws, &sel.catalogs)?;
    let state = ws.state();
    let names: Vec<String> = if !sel.servers.is_empty() {
        for n in &sel.servers {
            if !servers.contains_key(n) {
                anyhow::bail!(
                    "no server named '{n}' in {}; known: {}",
                    describe_sources(home, &sel.catalogs),
                    servers.keys().cloned().collect::<Vec<_>>().join(", ")
                );
            }
        }
        sel.servers.clone()
    } else if !sel.catalogs.is_empty() {
        servers.keys().cloned().collect()
    } else {
        servers
            .keys()
            .filter(|n| state.server(n).mode == Mode::Managed)
            .cloned()
            .collect()
    };
    let mut specs = Vec::new();
    for name in names {
        let (server, _) = &servers[&name];
        let mut spec = spec_from_server(&name, server, &state.server(&name))?;
        apply_prefix_flags(&mut spec, sel)?;
        specs.push(spec);
    }
    Ok(specs)
}

fn apply_prefix_flags(spec: &mut UpstreamSpec, sel: &Selection) -> anyhow::Result<()> {
    if sel.no_prefix {
        spec.prefix = Prefix::None;
    }
    for p in &sel.prefixes {
        let (server, prefix) = match p.split_once('=') {
            Some((s, p)) => (Some(s), p),
            None => (None, p.as_str()),
        };
        if server.is_none_or(|s| s == spec.name) {
            spec.prefix = if prefix.is_empty() {
                Prefix::None
            } else {
                Prefix::Custom(prefix.to_string())
            };
        }
    }
    Ok(())
}

fn describe_sources(home: &Home, files: &[PathBuf]) -> String {
    if files.is_empty() {
        format!("the catalogs in {}", home.catalogs_dir().display())
    } else {
        files
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The files whose changes should reload the server set.
pub fn watched_paths(home: &Home, sel: &Selection) -> Vec<PathBuf> {
    let mut paths = vec![home.state_path()];
    if sel.catalogs.is_empty() {
        paths.push(home.catalogs_dir());
    } else {
        paths.extend(sel.catalogs.iter().cloned());
    }
    paths
}

/// Absolute form of a path given on the command line.
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
