//! Catalogs, in exactly Docker's MCP catalog YAML shape.
//!
//! A catalog file is what `docker mcp` keeps in `~/.docker/mcp/catalogs/*.yaml`: `name`, `displayName`
//! and `registry: {<server>: {...}}`. Dockside reads and writes the same shape so that a file moves
//! between the two tools unchanged; every key it does not model (Docker's `dateAdded`, `toolsUrl`,
//! `metadata`…, or keys from future versions) is kept in `extra` maps and written back.
//!
//! One model serves both worlds:
//! - a server with `command` and no `image` is a **host command** (`bun run /path/index.ts`): `native` and
//!   `managed` modes run it on the host, `docker` mode runs it inside a runtime image with its code mounted;
//! - a server with `image` is a **container** (Docker's meaning: `command` holds the container's
//!   arguments); it can run on the host only if `x-dockside.hostCommand` says how;
//! - a server with `remote` is reached over HTTP.
//!
//! Dockside-only fields live under one key per server, `x-dockside` ([`Extension`]), which Docker ignores.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use yaml_serde::Value;

use crate::{yaml, Error, Issue};

/// Keys a model does not know, kept verbatim in their original order.
pub type Extra = IndexMap<String, Value>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub registry: IndexMap<String, Server>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What a server is, which decides the modes it can run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// `command` without `image`: a program on the host.
    HostCommand,
    /// `image`: a container.
    Container,
    /// `remote` (or `type: remote`): an HTTP endpoint.
    Remote,
    /// `type: poci`: one container per tool call, defined in `tools`.
    Poci,
}

/// `type:` as Docker spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerType {
    Server,
    Remote,
    Poci,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Server {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub server_type: Option<ServerType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Host command (no `image`) or container arguments (with `image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<EnvVar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<Secret>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_network: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_hosts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_hosts: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_lived: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<Remote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// JSON-schema-like descriptions of the values `{{server.key}}` templates read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Vec<Value>>,
    /// Tool name prefix in aggregated views; `""` means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(
        default,
        rename = "x-dockside",
        skip_serializing_if = "Option::is_none"
    )]
    pub dockside: Option<Extension>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A secret: `name` in the secret store, exposed to the server as environment variable `env`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    pub name: String,
    pub env: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Remote {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `sse`, `http`, `streamable-http`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, String>>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Dockside's own per-server fields, under `x-dockside:`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Extension {
    /// How to run a container server on the host (`native`/`managed` modes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_command: Option<Vec<String>>,
    /// Working directory of the host command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Image that runs a host-command server in `docker` mode (else inferred from the program).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_image: Option<String>,
    /// Paths whose changes restart the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<Vec<String>>,
    /// The package a launcher command (`npx`, `uvx`…) runs, pinned ([`crate::packages`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<crate::packages::Package>,
}

impl Server {
    /// What the server is, or `None` when it has nothing to run.
    pub fn kind(&self) -> Option<ServerKind> {
        if self.remote.is_some() || self.server_type == Some(ServerType::Remote) {
            Some(ServerKind::Remote)
        } else if self.image.is_some() {
            Some(ServerKind::Container)
        } else if self.server_type == Some(ServerType::Poci) {
            Some(ServerKind::Poci)
        } else if self.command.as_ref().is_some_and(|c| !c.is_empty()) {
            Some(ServerKind::HostCommand)
        } else {
            None
        }
    }

    /// The program and arguments to run on the host, if there is one.
    pub fn host_command(&self) -> Option<&[String]> {
        let own = self
            .dockside
            .as_ref()
            .and_then(|x| x.host_command.as_deref());
        match (own, self.kind()) {
            (Some(command), _) if !command.is_empty() => Some(command),
            (_, Some(ServerKind::HostCommand)) => self.command.as_deref(),
            _ => None,
        }
    }

    /// The pinned package this server's launcher command runs, if any.
    pub fn package(&self) -> Option<&crate::packages::Package> {
        self.dockside.as_ref().and_then(|x| x.package.as_ref())
    }

    pub fn long_lived(&self) -> bool {
        self.long_lived.unwrap_or(false)
    }

    /// The `x-dockside` extension, created on first use.
    pub fn extension_mut(&mut self) -> &mut Extension {
        self.dockside.get_or_insert_with(Extension::default)
    }
}

impl Catalog {
    /// Parses a catalog file's text; errors carry `path:line:col`.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Issue> {
        yaml::parse(text, path)
    }
}

/// A catalog with the file it lives in.
#[derive(Debug, Clone)]
pub struct CatalogFile {
    /// The file stem: `catalogs/<id>.yaml`.
    pub id: String,
    pub path: PathBuf,
    pub catalog: Catalog,
    /// The text as read, to write keys back in their original order.
    source: Option<String>,
}

impl CatalogFile {
    pub fn new(id: impl Into<String>, path: impl Into<PathBuf>, catalog: Catalog) -> Self {
        Self {
            id: id.into(),
            path: path.into(),
            catalog,
            source: None,
        }
    }

    /// Reads and parses `path`; its id is the file stem.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
        let id = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        Self::from_text(id, path, &text).map_err(|issue| Error::Invalid(vec![issue]))
    }

    pub fn from_text(id: String, path: &Path, text: &str) -> Result<Self, Issue> {
        Ok(Self {
            id,
            path: path.to_owned(),
            catalog: Catalog::parse(text, path)?,
            source: Some(text.to_owned()),
        })
    }

    /// The text this catalog was read from, if it was.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The YAML text, keys in the order the source had.
    pub fn to_yaml(&self) -> Result<String, Error> {
        let original = self
            .source
            .as_deref()
            .and_then(|text| yaml::parse_value(text, &self.path).ok());
        yaml::to_string(&self.catalog, original.as_ref(), &self.path)
    }
}

/// Loads every `*.yaml` file of `dir` (none if it does not exist), sorted by name; files that do not
/// parse add to `issues`.
pub fn load_dir(dir: &Path, issues: &mut Vec<Issue>) -> Result<Vec<CatalogFile>, Error> {
    let mut paths = Vec::new();
    if dir.exists() {
        for entry in std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))? {
            let path = entry.map_err(|e| Error::io("read", dir, e))?.path();
            if path.extension().is_some_and(|ext| ext == "yaml") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        match CatalogFile::load(&path) {
            Ok(file) => files.push(file),
            Err(Error::Invalid(found)) => issues.extend(found),
            Err(err) => return Err(err),
        }
    }
    Ok(files)
}

/// `text` as a name safe for catalogs, catalog ids and container names: `[A-Za-z0-9._-]`
/// (anything else becomes `-`), not starting with `.` or `-`; `fallback` when nothing is left.
pub fn safe_name(text: &str, fallback: &str) -> String {
    let safe: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    match safe.trim_start_matches(['.', '-']) {
        "" => fallback.to_owned(),
        rest => rest.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/docker/mcp/catalogs"
    );

    fn fixtures() -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        paths.sort();
        assert!(paths.len() >= 6);
        paths
    }

    #[test]
    fn real_docker_catalogs_round_trip_as_data_and_key_order() {
        for path in fixtures() {
            let text = std::fs::read_to_string(&path).unwrap();
            let file = CatalogFile::from_text("x".into(), &path, &text).unwrap();
            let written = file.to_yaml().unwrap();
            let before: Value = yaml_serde::from_str(&text).unwrap();
            let after: Value = yaml_serde::from_str(&written).unwrap();
            assert_eq!(before, after, "{}", path.display());
            let keys = |v: &Value| -> Vec<Value> {
                v["registry"]
                    .as_mapping()
                    .unwrap()
                    .values()
                    .flat_map(|s| s.as_mapping().unwrap().keys().cloned())
                    .collect()
            };
            assert_eq!(keys(&before), keys(&after), "{}", path.display());
        }
    }

    #[test]
    fn unknown_keys_are_kept_at_every_level() {
        let text = "version: 3\nregistry:\n  a:\n    image: x\n    dateAdded: \"2025-01-01\"\n    secrets:\n      - {name: a.b, env: B, example: <B>}\n    remote: {url: https://h, future: 1}\n";
        let catalog = Catalog::parse(text, Path::new("c.yaml")).unwrap();
        assert_eq!(catalog.extra["version"], Value::from(3));
        let server = &catalog.registry["a"];
        assert_eq!(server.extra["dateAdded"], Value::from("2025-01-01"));
        assert_eq!(
            server.secrets.as_ref().unwrap()[0].extra["example"],
            Value::from("<B>")
        );
        assert_eq!(
            server.remote.as_ref().unwrap().extra["future"],
            Value::from(1)
        );
    }

    #[test]
    fn kinds_and_host_commands() {
        let parse = |yaml: &str| -> Server { yaml_serde::from_str(yaml).unwrap() };
        let host = parse("command: [bun, run, /p/index.ts]");
        assert_eq!(host.kind(), Some(ServerKind::HostCommand));
        assert_eq!(host.host_command().unwrap()[0], "bun");
        let container = parse("image: mcp/x\ncommand: [--flag]");
        assert_eq!(container.kind(), Some(ServerKind::Container));
        assert_eq!(container.host_command(), None);
        let both = parse("image: mcp/x\nx-dockside: {hostCommand: [/bin/x]}");
        assert_eq!(both.host_command().unwrap(), ["/bin/x"]);
        assert_eq!(
            parse("remote: {url: https://h/sse}").kind(),
            Some(ServerKind::Remote)
        );
        assert_eq!(parse("title: nothing").kind(), None);
    }

    #[test]
    fn wrong_types_are_located() {
        let issue = Catalog::parse("registry: 5\n", Path::new("c.yaml")).unwrap_err();
        assert_eq!(issue.location, Some((1, 11)));
        let issue = Catalog::parse(
            "registry:\n  a:\n    image: x\n    longLived: \"maybe\"\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert_eq!(issue.location, Some((4, 16)));
        assert!(
            issue.message.starts_with("registry.a.longLived:"),
            "{}",
            issue.message
        );
        let issue = Catalog::parse(
            "registry:\n  a:\n    x-dockside: {hostComand: [x]}\n",
            Path::new("c.yaml"),
        )
        .unwrap_err();
        assert!(
            issue.message.contains("unknown field `hostComand`"),
            "{}",
            issue.message
        );
    }
}
