//! What the gateway needs to launch one server: [`UpstreamSpec`], and how its names are
//! prefixed in the aggregated view ([`Prefix`]).

use std::path::PathBuf;

use super::endpoint::RemoteSpec;

/// How exposed names of a server are prefixed in the aggregated view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Prefix {
    /// `<server>__<name>`
    #[default]
    ServerName,
    /// `<custom>__<name>`
    Custom(String),
    /// the server's own names
    None,
}

/// Everything the gateway needs to launch one server: on the host, in a container, or remote.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpstreamSpec {
    pub name: String,
    pub command: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
    pub prefix: Prefix,
    /// Allowed tool names; `None` allows all, an empty list allows none (Docker's `tools.yaml`).
    pub tools: Option<Vec<String>>,
    /// Values of this server's secrets (never logged); `--block-secrets` refuses them in calls.
    pub secret_values: Vec<String>,
    /// `docker` mode: run in a container (`command`/`args`/`cwd` are then informational).
    pub container: Option<dockside_docker::ContainerSpec>,
    /// Files, directories or globs whose changes restart this server (live reload).
    pub watch: Vec<PathBuf>,
    /// A remote server (`command` is then its URL, for messages).
    pub remote: Option<RemoteSpec>,
}

impl UpstreamSpec {
    pub fn prefix_str(&self) -> Option<&str> {
        match &self.prefix {
            Prefix::ServerName => Some(&self.name),
            Prefix::Custom(p) => Some(p),
            Prefix::None => None,
        }
    }
}
