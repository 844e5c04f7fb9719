//! Which Docker engine to use, found the way the `docker` CLI finds it, then the sockets of the
//! popular engines that do not install `/var/run/docker.sock`.
//!
//! The order:
//! 1. `DOCKSIDE_DOCKER_CONTEXT` (the CLI's global `--docker-context NAME` sets it, so a daemon
//!    started from that command inherits it): a docker context by name;
//! 2. `DOCKER_HOST` (`unix://`, `tcp://` with TLS when `DOCKER_TLS_VERIFY` is set and the
//!    material in `DOCKER_CERT_PATH`, `npipe://`, `ssh://`);
//! 3. `DOCKER_CONTEXT`;
//! 4. the current context of the docker CLI (`currentContext` in `$DOCKER_CONFIG/config.json`,
//!    `~/.docker` by default), its endpoint read from `contexts/meta/<sha256 of the name>/meta.json`
//!    and its TLS material from `contexts/tls/<sha256>/docker/`;
//! 5. the platform's default endpoint (`/var/run/docker.sock`; `npipe:////./pipe/docker_engine`
//!    on Windows) when it exists;
//! 6. the first existing socket of Docker Desktop, Colima, OrbStack, Rancher Desktop or Podman.
//!
//! The context named `default` is the docker CLI's "no context": steps 5 and 6. Only step 6
//! looks at the file system to choose; a socket named explicitly is used as named, so a missing
//! one is reported against the setting that named it.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The environment variable behind `--docker-context`: the one place it is read.
pub const CONTEXT_ENV: &str = "DOCKSIDE_DOCKER_CONTEXT";

#[cfg(windows)]
const DEFAULT_HOST: &str = "npipe:////./pipe/docker_engine";
#[cfg(not(windows))]
const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Where the chosen engine's address came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--docker-context` / `DOCKSIDE_DOCKER_CONTEXT`.
    Override { context: String },
    /// `DOCKER_HOST`.
    DockerHost,
    /// `DOCKER_CONTEXT`.
    DockerContext { context: String },
    /// The docker CLI's current context (`docker context use`).
    CurrentContext { context: String },
    /// The platform's default endpoint.
    Default,
    /// A known engine's socket, found on disk (`Docker Desktop`, `Colima`…).
    Known { engine: &'static str },
}

impl Source {
    /// The docker context this came from, if any.
    pub fn context(&self) -> Option<&str> {
        match self {
            Source::Override { context }
            | Source::DockerContext { context }
            | Source::CurrentContext { context } => Some(context),
            _ => None,
        }
    }

    /// A short label for JSON (`override`, `DOCKER_HOST`, `DOCKER_CONTEXT`, `context`, `default`,
    /// `known`).
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Override { .. } => "override",
            Source::DockerHost => "DOCKER_HOST",
            Source::DockerContext { .. } => "DOCKER_CONTEXT",
            Source::CurrentContext { .. } => "context",
            Source::Default => "default",
            Source::Known { .. } => "known",
        }
    }
}

/// TLS for a `tcp://` engine: a directory holding `ca.pem`, `cert.pem` and `key.pem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub dir: PathBuf,
}

/// The engine to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub source: Source,
    /// `unix:///…`, `tcp://host:port`, `npipe:////./pipe/…`, `ssh://user@host`.
    pub host: String,
    pub tls: Option<Tls>,
    /// The sockets looked for when none was configured and none exists (for the error).
    pub tried: Vec<PathBuf>,
}

impl Endpoint {
    /// How users know it: ``context `colima` → unix:///…/docker.sock``.
    pub fn describe(&self) -> String {
        let from = match &self.source {
            Source::Override { context } => format!("context `{context}` (--docker-context)"),
            Source::DockerHost => "DOCKER_HOST".to_owned(),
            Source::DockerContext { context } => format!("context `{context}` (DOCKER_CONTEXT)"),
            Source::CurrentContext { context } => format!("context `{context}`"),
            Source::Default => "default socket".to_owned(),
            Source::Known { engine } => (*engine).to_owned(),
        };
        let tls = if self.tls.is_some() { " (TLS)" } else { "" };
        format!("{from} → {}{tls}", self.host)
    }

    /// The socket file of a `unix://` endpoint.
    pub fn socket(&self) -> Option<PathBuf> {
        self.host.strip_prefix("unix://").map(PathBuf::from)
    }

    /// Whether the engine runs on this machine's own kernel, so addresses of its networks exist
    /// here (the `allowHosts` egress proxy binds one). Remote engines (`tcp://`, `ssh://`) and the
    /// sockets of VM-based engines (Docker Desktop, Colima, OrbStack, Rancher Desktop, Podman
    /// machines on macOS) are not. `docker info` can still say otherwise: see `engine::Engine`.
    pub fn is_local(&self) -> bool {
        if matches!(self.source, Source::Known { engine } if engine != "Podman") {
            return false;
        }
        let Some(socket) = self.socket() else {
            // A named pipe is Docker Desktop's (Windows containers run in a VM as well).
            return false;
        };
        let s = socket.to_string_lossy();
        !KNOWN_SOCKETS
            .iter()
            .any(|(engine, rel)| *engine != "Podman" && s.ends_with(rel))
    }
}

/// Why no endpoint could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DiscoveryError(pub String);

/// What discovery reads, so tests can pass their own.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub override_context: Option<String>,
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    pub tls_verify: bool,
    pub cert_path: Option<PathBuf>,
    /// `$DOCKER_CONFIG`, else `~/.docker`.
    pub config_dir: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub xdg_runtime_dir: Option<PathBuf>,
    /// The platform default (`unix:///var/run/docker.sock`, Windows' named pipe).
    pub default_host: String,
}

impl Inputs {
    pub fn from_env() -> Inputs {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let home = std::env::var_os("HOME")
            .or_else(|| std::env::var_os("USERPROFILE"))
            .map(PathBuf::from);
        Inputs {
            override_context: var(CONTEXT_ENV),
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some_and(|v| v != "0"),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
            config_dir: var("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".docker"))),
            home,
            xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
            default_host: DEFAULT_HOST.to_owned(),
        }
    }
}

/// Known engines' sockets, relative to the home (Podman's are handled apart).
const KNOWN_SOCKETS: &[(&str, &str)] = &[
    ("Docker Desktop", ".docker/run/docker.sock"),
    ("Docker Desktop", ".docker/desktop/docker.sock"),
    ("Colima", ".colima/default/docker.sock"),
    ("Colima", ".colima/docker.sock"),
    ("OrbStack", ".orbstack/run/docker.sock"),
    ("Rancher Desktop", ".rd/docker.sock"),
    ("Podman", "podman/podman.sock"),
];

/// The engine to use, per the order in the module comment.
pub fn resolve(inputs: &Inputs) -> Result<Endpoint, DiscoveryError> {
    if let Some(context) = &inputs.override_context {
        return from_context(
            inputs,
            Source::Override {
                context: context.clone(),
            },
        );
    }
    if let Some(host) = &inputs.docker_host {
        let tls = (inputs.tls_verify && host.starts_with("tcp://")).then(|| Tls {
            dir: inputs
                .cert_path
                .clone()
                .or_else(|| inputs.config_dir.clone())
                .unwrap_or_default(),
        });
        return Ok(Endpoint {
            source: Source::DockerHost,
            host: host.clone(),
            tls,
            tried: Vec::new(),
        });
    }
    if let Some(context) = &inputs.docker_context {
        return from_context(
            inputs,
            Source::DockerContext {
                context: context.clone(),
            },
        );
    }
    if let Some(context) = current_context(inputs)? {
        return from_context(inputs, Source::CurrentContext { context });
    }
    Ok(fallback(inputs))
}

/// `currentContext` of the docker CLI's `config.json`, if set.
fn current_context(inputs: &Inputs) -> Result<Option<String>, DiscoveryError> {
    let Some(dir) = &inputs.config_dir else {
        return Ok(None);
    };
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // As the docker CLI does: an unreadable config (another user's HOME) is no context.
        Err(e) => {
            tracing::warn!(
                "cannot read {} ({e}): no current docker context",
                path.display()
            );
            return Ok(None);
        }
    };
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        DiscoveryError(format!(
            "{} is not valid JSON ({e}); fix it or run `docker context use default`",
            path.display()
        ))
    })?;
    Ok(config["currentContext"]
        .as_str()
        .filter(|c| !c.is_empty())
        .map(str::to_owned))
}

/// The endpoint a docker context names (`default`: the fallback).
fn from_context(inputs: &Inputs, source: Source) -> Result<Endpoint, DiscoveryError> {
    let name = source.context().unwrap_or_default().to_owned();
    if name == "default" {
        let mut endpoint = fallback(inputs);
        endpoint.source = source;
        return Ok(endpoint);
    }
    let Some(dir) = &inputs.config_dir else {
        return Err(DiscoveryError(format!(
            "docker context `{name}`: no docker configuration directory (set HOME or DOCKER_CONFIG)"
        )));
    };
    let id = hex::encode(Sha256::digest(name.as_bytes()));
    let meta_path = dir.join("contexts/meta").join(&id).join("meta.json");
    let text = std::fs::read_to_string(&meta_path).map_err(|e| {
        DiscoveryError(format!(
            "docker context `{name}` does not exist: cannot read {} ({e}); `docker context ls` lists the contexts",
            meta_path.display()
        ))
    })?;
    let meta: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        DiscoveryError(format!(
            "docker context `{name}`: {} is not valid JSON ({e})",
            meta_path.display()
        ))
    })?;
    let docker = &meta["Endpoints"]["docker"];
    let host = docker["Host"]
        .as_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            DiscoveryError(format!(
                "docker context `{name}` has no Docker endpoint (`Endpoints.docker.Host` in {})",
                meta_path.display()
            ))
        })?;
    let tls_dir = dir.join("contexts/tls").join(&id).join("docker");
    let tls = (host.starts_with("tcp://") && tls_dir.join("ca.pem").is_file())
        .then_some(Tls { dir: tls_dir });
    Ok(Endpoint {
        source,
        host: host.to_owned(),
        tls,
        tried: Vec::new(),
    })
}

/// The default endpoint when it exists, else the first known engine's socket that does.
fn fallback(inputs: &Inputs) -> Endpoint {
    let default = Endpoint {
        source: Source::Default,
        host: inputs.default_host.clone(),
        tls: None,
        tried: Vec::new(),
    };
    let Some(default_socket) = default.socket() else {
        return default;
    };
    if default_socket.exists() {
        return default;
    }
    let mut candidates: Vec<(&'static str, PathBuf)> = Vec::new();
    if let Some(home) = &inputs.home {
        for (engine, rel) in KNOWN_SOCKETS.iter().filter(|(e, _)| *e != "Podman") {
            candidates.push((engine, home.join(rel)));
        }
    }
    if let Some(run) = &inputs.xdg_runtime_dir {
        candidates.push(("Podman", run.join("podman/podman.sock")));
    }
    candidates.push(("Podman", PathBuf::from("/run/podman/podman.sock")));
    match candidates.iter().find(|(_, p)| is_socket(p)) {
        Some((engine, path)) => Endpoint {
            source: Source::Known { engine },
            host: format!("unix://{}", path.display()),
            tls: None,
            tried: Vec::new(),
        },
        None => Endpoint {
            tried: std::iter::once(default_socket)
                .chain(candidates.into_iter().map(|(_, p)| p))
                .collect(),
            ..default
        },
    }
}

fn is_socket(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket())
    }
    #[cfg(not(unix))]
    {
        path.exists()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(config: &Path, name: &str, host: &str) {
        let id = hex::encode(Sha256::digest(name.as_bytes()));
        let dir = config.join("contexts/meta").join(id);
        std::fs::create_dir_all(&dir).unwrap();
        let meta = serde_json::json!({"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}}});
        std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
    }

    fn inputs(config: &Path) -> Inputs {
        Inputs {
            override_context: None,
            docker_host: None,
            docker_context: None,
            tls_verify: false,
            cert_path: None,
            config_dir: Some(config.to_owned()),
            home: Some(config.to_owned()),
            xdg_runtime_dir: None,
            default_host: format!("unix://{}", config.join("no-default.sock").display()),
        }
    }

    #[test]
    fn order_override_host_context_env_current() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path();
        context(config, "cur", "unix:///cur.sock");
        context(config, "env", "unix:///env.sock");
        context(config, "flag", "tcp://10.0.0.1:2376");
        std::fs::write(config.join("config.json"), r#"{"currentContext":"cur"}"#).unwrap();
        let mut i = inputs(config);
        assert_eq!(resolve(&i).unwrap().host, "unix:///cur.sock");
        assert_eq!(
            resolve(&i).unwrap().describe(),
            "context `cur` → unix:///cur.sock"
        );
        i.docker_context = Some("env".into());
        assert_eq!(resolve(&i).unwrap().host, "unix:///env.sock");
        i.docker_host = Some("unix:///host.sock".into());
        let host = resolve(&i).unwrap();
        assert_eq!(host.source, Source::DockerHost);
        assert!(host.is_local());
        i.override_context = Some("flag".into());
        let e = resolve(&i).unwrap();
        assert_eq!(
            (e.host.as_str(), e.tls.is_none()),
            ("tcp://10.0.0.1:2376", true)
        );
        assert!(!e.is_local());
        for (host, local) in [
            ("unix:///Users/me/.docker/run/docker.sock", false),
            ("unix:///home/me/.colima/default/docker.sock", false),
            ("unix:///run/user/1000/podman/podman.sock", true),
            ("npipe:////./pipe/docker_engine", false),
            ("ssh://me@box", false),
        ] {
            let e = Endpoint {
                source: Source::DockerHost,
                host: host.into(),
                tls: None,
                tried: Vec::new(),
            };
            assert_eq!(e.is_local(), local, "{host}");
        }
    }

    #[test]
    fn tls_from_env_and_context() {
        let dir = tempfile::tempdir().unwrap();
        let mut i = inputs(dir.path());
        i.docker_host = Some("tcp://h:2376".into());
        i.tls_verify = true;
        i.cert_path = Some("/certs".into());
        assert_eq!(
            resolve(&i).unwrap().tls.unwrap().dir,
            PathBuf::from("/certs")
        );
        context(dir.path(), "secure", "tcp://h:2376");
        let id = hex::encode(Sha256::digest(b"secure"));
        let tls = dir.path().join("contexts/tls").join(id).join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "").unwrap();
        let i = Inputs {
            override_context: Some("secure".into()),
            ..inputs(dir.path())
        };
        assert_eq!(resolve(&i).unwrap().tls.unwrap().dir, tls);
    }

    #[test]
    fn missing_context_names_it_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let i = Inputs {
            docker_context: Some("nope".into()),
            ..inputs(dir.path())
        };
        let e = resolve(&i).unwrap_err().0;
        assert!(e.contains("docker context `nope` does not exist"), "{e}");
        assert!(e.contains("meta.json"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn known_sockets_only_when_they_exist() {
        let dir = tempfile::tempdir().unwrap();
        let i = inputs(dir.path());
        let none = resolve(&i).unwrap();
        assert_eq!(none.source, Source::Default);
        assert!(none
            .tried
            .contains(&dir.path().join(".colima/default/docker.sock")));
        let sock = dir.path().join(".colima/default/docker.sock");
        std::fs::create_dir_all(sock.parent().unwrap()).unwrap();
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let found = resolve(&i).unwrap();
        assert_eq!(found.source, Source::Known { engine: "Colima" });
        assert!(!found.is_local());
        // The default socket, once it exists, comes first.
        let _default =
            std::os::unix::net::UnixListener::bind(dir.path().join("no-default.sock")).unwrap();
        assert_eq!(resolve(&i).unwrap().source, Source::Default);
    }
}
