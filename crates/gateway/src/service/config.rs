//! From Dockside's catalogs and state to [`UpstreamSpec`]s: the one place where core's model
//! becomes what the gateway runs.

use std::path::{Path, PathBuf};

use dockside_core::catalog::{CatalogFile, Server};
use dockside_core::home::Home;
use dockside_core::launch::{self, Launch};
use dockside_core::packages;
use dockside_core::secrets::{self, SecretStore};
use dockside_core::state::{Mode, ServerState};
use dockside_core::Workspace;
use indexmap::IndexMap;

use crate::upstream::remote::{self, RemoteSpec, Timeouts, Transport};
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
    /// `--secrets FILE`: a `.env` file of secret values (keyed by secret name), before the store.
    pub secrets_file: Option<PathBuf>,
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

/// Where secret values come from: the `--secrets` `.env` file, then the secret store, then the
/// gateway's own environment (see [`dockside_core::secrets`]).
#[derive(Debug, Default)]
pub struct SecretSource {
    pub env_file: Option<IndexMap<String, String>>,
    pub store: Option<SecretStore>,
    /// Where remote servers' sign-in tokens are kept (the home's secret store); `None`: remote
    /// servers sign in with nothing but their catalog headers.
    pub sign_in: Option<Home>,
}

impl SecretSource {
    /// The selection's `.env` file (if any) and the home's secret store.
    pub fn open(home: &Home, sel: &Selection) -> anyhow::Result<SecretSource> {
        let env_file = match &sel.secrets_file {
            Some(path) => Some(secrets::read_env_file(path)?),
            None => None,
        };
        let store = SecretStore::open(home);
        static WARNED: std::sync::Once = std::sync::Once::new();
        if let Some(warning) = store.warning() {
            WARNED.call_once(|| tracing::warn!("{warning}"));
        }
        Ok(SecretSource {
            env_file,
            store: Some(store),
            sign_in: Some(home.clone()),
        })
    }

    /// Every value the `.env` file and the store hold, whoever uses them: `--block-secrets`
    /// blocks them all, not only those of the servers now running. A store that cannot be
    /// read is logged (by name of the store, never a value) and skipped.
    pub fn all_values(&self) -> Vec<String> {
        let mut values: Vec<String> = self
            .env_file
            .iter()
            .flat_map(|f| f.values().cloned())
            .collect();
        if let Some(store) = &self.store {
            match store.names() {
                Ok(names) => {
                    for name in names {
                        match store.get(&name) {
                            Ok(Some(v)) => values.push(v),
                            Ok(None) => {}
                            Err(e) => tracing::warn!("secret '{name}' cannot be read: {e}"),
                        }
                    }
                }
                Err(e) => tracing::warn!("the secret store cannot be listed: {e}"),
            }
        }
        values
    }
}

/// The spec of one server run by the gateway: a host process (`managed`), or a container when
/// its state says `docker`.
pub fn spec_from_server(
    name: &str,
    server: &Server,
    state: &ServerState,
    source: &SecretSource,
    packages: &packages::Store,
) -> anyhow::Result<UpstreamSpec> {
    // `docker` as the state says; an image with no host command runs in Docker whatever its mode
    // (`--servers` / `--catalog` selections, as `docker mcp gateway run` does).
    let mode = if state.mode == Mode::Docker
        || (server.image.is_some() && server.host_command().is_none())
    {
        Mode::Docker
    } else {
        Mode::Managed
    };
    let prefix = match server.prefix.as_deref() {
        None => Prefix::ServerName,
        Some("") => Prefix::None,
        Some(p) => Prefix::Custom(p.to_string()),
    };
    let secret_env = |declared: &[dockside_core::catalog::Secret]| -> anyhow::Result<_> {
        let resolved = secrets::resolve(declared, source.env_file.as_ref(), source.store.as_ref())?;
        for missing in &resolved.missing {
            tracing::warn!(server = %name, "secret '{missing}' is not set; `dockside secret set {missing}` sets it");
        }
        Ok(resolved.env)
    };
    let watch = watch_paths(server);
    match launch::resolve(name, server, state, mode, packages)? {
        Launch::Host(host) => {
            let mut env: Vec<(String, String)> = host.env.into_iter().collect();
            let secrets = secret_env(&host.secrets)?;
            let secret_values = secrets.iter().map(|(_, v)| v.clone()).collect();
            env.extend(secrets);
            Ok(UpstreamSpec {
                name: name.to_string(),
                command: host.program,
                args: host.args,
                env,
                cwd: host.cwd,
                prefix,
                tools: state.tools.clone(),
                secret_values,
                container: None,
                watch,
                remote: None,
            })
        }
        Launch::Container(launch) => {
            let mut env: Vec<(String, String)> = launch
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let secrets = secret_env(&launch.secrets)?;
            let secret_values = secrets.iter().map(|(_, v)| v.clone()).collect();
            env.extend(secrets);
            Ok(UpstreamSpec {
                name: name.to_string(),
                command: launch.image.clone(),
                args: launch.args.clone(),
                env,
                cwd: launch.workdir.clone(),
                prefix,
                tools: state.tools.clone(),
                secret_values,
                container: Some(dockside_docker::ContainerSpec {
                    host_command: server.image.is_none(),
                    options: state.docker.clone(),
                    launch,
                }),
                watch,
                remote: None,
            })
        }
        Launch::Remote(r) => {
            remote::check_url(&r.url).map_err(|e| anyhow::anyhow!("server '{name}': {e}"))?;
            let transport = Transport::parse(r.transport.as_deref())
                .map_err(|e| anyhow::anyhow!("server '{name}': {e}"))?;
            let Filled {
                headers,
                secret_values,
            } = remote_headers(name, server, &r.headers, source)?;
            remote::header_map(&headers).map_err(|e| anyhow::anyhow!("server '{name}': {e}"))?;
            // An `Authorization` header in the catalog is the server's credential; otherwise
            // its OAuth sign-in, if any, supplies one.
            let has_credential = headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"));
            let auth = match &source.sign_in {
                Some(home) if !has_credential => {
                    Some(super::sign_in::for_remote(home, name, server, &r.url)?)
                }
                _ => None,
            };
            Ok(UpstreamSpec {
                name: name.to_string(),
                command: r.url.clone(),
                prefix,
                tools: state.tools.clone(),
                secret_values,
                remote: Some(RemoteSpec {
                    url: r.url,
                    transport,
                    headers,
                    auth,
                    timeouts: remote_timeouts(),
                }),
                ..UpstreamSpec::default()
            })
        }
    }
}

/// A remote server's headers with their references filled: `${secret:NAME}` from the
/// `--secrets` file or the store, Docker's `${VAR}` from the server's secret whose `env` is
/// `VAR`. A reference without a value is an error naming the header and the secret. Also
/// returns the secret values among them (those filled in, and plain values that are secrets by
/// [`secrets::is_secret_env`]), for the secret scanner.
fn remote_headers(
    name: &str,
    server: &Server,
    headers: &IndexMap<String, String>,
    source: &SecretSource,
) -> anyhow::Result<Filled> {
    let lookup = |secret: dockside_core::catalog::Secret| -> anyhow::Result<Option<String>> {
        let resolved = secrets::resolve(
            std::slice::from_ref(&secret),
            source.env_file.as_ref(),
            source.store.as_ref(),
        )?;
        Ok(resolved.env.into_iter().next().map(|(_, v)| v))
    };
    let declared = server.secrets.clone().unwrap_or_default();
    let mut out = Vec::new();
    let mut secret_values = Vec::new();
    for (key, value) in headers {
        if secrets::is_secret_env(key, value) && !secrets::has_references(value) {
            secret_values.push(value.clone());
        }
        let mut failed = None;
        let filled = secrets::fill_references(value, |r| {
            let secret = match r {
                // No environment fallback for a secret asked for by name.
                secrets::Reference::Secret(n) => dockside_core::catalog::Secret {
                    name: n.to_owned(),
                    ..Default::default()
                },
                secrets::Reference::Var(v) => declared.iter().find(|s| s.env == v)?.clone(),
            };
            let value = lookup(secret).unwrap_or_else(|e| {
                failed = Some(e);
                None
            })?;
            secret_values.push(value.clone());
            Some(value)
        });
        if let Some(e) = failed {
            return Err(e.context(format!("server '{name}': header `{key}`")));
        }
        match filled {
            Ok(v) => out.push((key.clone(), v)),
            Err(secrets::Reference::Secret(n)) => anyhow::bail!(
                "server '{name}': header `{key}` uses secret '{n}', which is not set; `dockside secret set {n}` sets it"
            ),
            Err(secrets::Reference::Var(v)) => {
                match declared.iter().find(|s| s.env == v) {
                    Some(s) => anyhow::bail!(
                        "server '{name}': header `{key}` uses ${{{v}}}, the secret '{}', which is not set; `dockside secret set {}` sets it",
                        s.name,
                        s.name
                    ),
                    None => anyhow::bail!(
                        "server '{name}': header `{key}` uses ${{{v}}}, which none of its `secrets:` provides; declare it there or write ${{secret:NAME}}"
                    ),
                }
            }
        }
    }
    Ok(Filled {
        headers: out,
        secret_values,
    })
}

/// A remote server's headers, filled, and the secret values among them.
struct Filled {
    headers: Vec<(String, String)>,
    secret_values: Vec<String>,
}

/// Remote timeouts: the defaults, or `DOCKSIDE_REMOTE_CONNECT_TIMEOUT_MS` and
/// `DOCKSIDE_REMOTE_REQUEST_TIMEOUT_MS`.
fn remote_timeouts() -> Timeouts {
    let ms = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(std::time::Duration::from_millis)
    };
    let d = Timeouts::default();
    Timeouts {
        connect: ms("DOCKSIDE_REMOTE_CONNECT_TIMEOUT_MS").unwrap_or(d.connect),
        request: ms("DOCKSIDE_REMOTE_REQUEST_TIMEOUT_MS").unwrap_or(d.request),
    }
}

/// The paths whose changes restart a server (live reload): its `x-dockside.watch` entries
/// (relative ones against its `cwd`), else [`default_watch`] of its host command.
fn watch_paths(server: &Server) -> Vec<PathBuf> {
    let ext = server.dockside.as_ref();
    let cwd = ext.and_then(|x| x.cwd.clone());
    match ext.and_then(|x| x.watch.as_ref()) {
        Some(entries) => entries
            .iter()
            .map(|e| {
                let p = PathBuf::from(e);
                match &cwd {
                    Some(c) if p.is_relative() => c.join(p),
                    _ => p,
                }
            })
            .collect(),
        None => server
            .host_command()
            .map(|argv| default_watch(argv, cwd.as_deref()))
            .unwrap_or_default(),
    }
}

/// The directory of the script a command runs, when it runs a source file of the user's
/// (`node /home/me/srv/index.js`, `python3 server.py`, `./server.py`); nothing for binaries
/// and for packages (`npx pkg`, anything under `node_modules` or `site-packages`).
pub fn default_watch(argv: &[String], cwd: Option<&Path>) -> Vec<PathBuf> {
    const SOURCE: &[&str] = &[
        "js", "mjs", "cjs", "ts", "mts", "cts", "jsx", "tsx", "py", "rb", "php", "lua", "pl",
    ];
    let script = argv.iter().map(PathBuf::from).find(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SOURCE.contains(&e))
    });
    let Some(script) = script else { return vec![] };
    let script = match cwd {
        Some(c) if script.is_relative() => c.join(script),
        _ => absolute(&script),
    };
    let packaged = script.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("node_modules" | "site-packages" | "dist-packages")
        )
    });
    match script.parent() {
        Some(dir) if !packaged && script.is_file() => vec![dir.to_path_buf()],
        _ => vec![],
    }
}

/// What a selection resolves to: the specs to run, the servers that cannot run (with why),
/// and every known server with its mode.
#[derive(Debug, Default)]
pub struct Selected {
    pub specs: Vec<UpstreamSpec>,
    pub errors: Vec<(String, String)>,
    pub known: Vec<(String, Mode)>,
    /// The values `--block-secrets` blocks: those of the selected servers plus every value of
    /// the `.env` file and the secret store.
    pub secret_values: Vec<String>,
}

/// The specs to run: `--servers`, else every server of the `--catalog` files, else every
/// server whose mode is `managed` or `docker`.
pub fn select(home: &Home, sel: &Selection) -> anyhow::Result<Selected> {
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
            .filter(|n| matches!(state.server(n).mode, Mode::Managed | Mode::Docker))
            .cloned()
            .collect()
    };
    let source = SecretSource::open(home, sel)?;
    let packages = packages::Store::new(home);
    let mut out = Selected {
        known: servers
            .keys()
            .map(|n| (n.clone(), state.server(n).mode))
            .collect(),
        ..Selected::default()
    };
    for name in names {
        let (server, _) = &servers[&name];
        let server_state = state.server(&name);
        match spec_from_server(&name, server, &server_state, &source, &packages) {
            Ok(mut spec) => {
                apply_prefix_flags(&mut spec, sel);
                out.specs.push(spec);
            }
            Err(e) => out.errors.push((name.clone(), format!("{e:#}"))),
        }
    }
    out.secret_values = (out.specs.iter())
        .flat_map(|s| s.secret_values.iter().cloned())
        .chain(source.all_values())
        .collect();
    Ok(out)
}

/// [`select`] on the blocking pool: it reads files, which the async runtime must not wait on.
pub async fn select_async(home: &Home, sel: &Selection) -> anyhow::Result<Selected> {
    let (home, sel) = (home.clone(), sel.clone());
    tokio::task::spawn_blocking(move || select(&home, &sel))
        .await
        .map_err(|e| anyhow::anyhow!("reading the catalogs failed: {e}"))?
}

fn apply_prefix_flags(spec: &mut UpstreamSpec, sel: &Selection) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn remote_server(server: serde_json::Value) -> Server {
        serde_json::from_value(server).unwrap()
    }

    fn source(pairs: &[(&str, &str)]) -> SecretSource {
        SecretSource {
            env_file: Some(
                (pairs.iter())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            store: None,
            sign_in: None,
        }
    }

    #[test]
    fn a_remote_spec_fills_its_headers_secrets_and_blocks_only_secrets() {
        let server = remote_server(serde_json::json!({
            "type": "remote",
            "secrets": [{"name": "apify.key", "env": "APIFY_API_KEY"}],
            "remote": {"url": "https://h.example/mcp", "transport_type": "sse", "headers": {
                "Authorization": "Bearer ${APIFY_API_KEY}",
                "X-Other": "${secret:other.token}",
                "X-Team": "platform",
            }},
        }));
        let spec = spec_from_server(
            "r",
            &server,
            &ServerState::default(),
            &source(&[("apify.key", "k-1"), ("other.token", "t-2")]),
            &packages::Store::new(&Home::new(std::env::temp_dir())),
        )
        .unwrap();
        let remote = spec.remote.unwrap();
        assert_eq!(remote.transport, Transport::Sse);
        assert_eq!(
            remote.headers,
            [
                ("Authorization".to_owned(), "Bearer k-1".to_owned()),
                ("X-Other".to_owned(), "t-2".to_owned()),
                ("X-Team".to_owned(), "platform".to_owned()),
            ]
        );
        assert_eq!(spec.secret_values, ["k-1", "t-2"]);
        // Never a header value in its debug form.
        assert!(!format!("{remote:?}").contains("k-1"));
    }

    #[test]
    fn a_missing_header_secret_is_named_with_the_fix() {
        let server = remote_server(serde_json::json!({"remote": {
            "url": "https://h.example/mcp",
            "headers": {"Authorization": "Bearer ${secret:gone}"},
        }}));
        let store = packages::Store::new(&Home::new(std::env::temp_dir()));
        let err = spec_from_server("r", &server, &ServerState::default(), &source(&[]), &store)
            .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "server 'r': header `Authorization` uses secret 'gone', which is not set; `dockside secret set gone` sets it"
        );
        let server = remote_server(serde_json::json!({"remote": {
            "url": "https://h.example/mcp",
            "headers": {"X-Key": "${NOPE}"},
        }}));
        let err = spec_from_server("r", &server, &ServerState::default(), &source(&[]), &store)
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("uses ${NOPE}, which none of its `secrets:` provides"),
            "{err:#}"
        );
        let server = remote_server(serde_json::json!({"remote": {"url": "ftp://h/x"}}));
        let err = spec_from_server("r", &server, &ServerState::default(), &source(&[]), &store)
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("not an http:// or https:// URL"),
            "{err:#}"
        );
    }
}
