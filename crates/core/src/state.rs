//! Dockside's own state, kept beside the catalogs in `<home>/state.yaml`.
//!
//! Catalogs say *what* a server is (and stay Docker-compatible); the state says *how this user runs it*:
//! its mode, resource limits, network policy, runtime-image override, the config values its templates
//! read and its tool allow-list, plus the active profile. A server without an entry is `off`.
//!
//! ```yaml
//! profile: development
//! servers:
//!   demo:
//!     mode: managed
//!     limits: {cpus: 0.5, memory: 256m, pids: 64}
//!     network: none
//! ```
//!
//! Dockside rewrites this file as a whole: comments in it are not kept (catalogs keep theirs unless
//! Dockside changes them). Per-server entries reject unknown keys (a typo such as `mdoe:` is an error
//! with its line), while unknown top-level sections are kept, so a newer Dockside's additions survive
//! an older one.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use yaml_serde::Value;

use crate::catalog::{Extra, Server};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub profile: Profile,
    #[serde(default)]
    pub servers: IndexMap<String, ServerState>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl State {
    /// The state of `name` (the default, `off`, if it has none).
    pub fn server(&self, name: &str) -> ServerState {
        self.servers.get(name).cloned().unwrap_or_default()
    }

    /// The state of `name`, created if missing.
    pub fn server_mut(&mut self, name: &str) -> &mut ServerState {
        self.servers.entry(name.to_owned()).or_default()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Any mix of modes ("hybrid").
    #[default]
    Development,
    /// Every enabled server behind the gateway.
    Production,
}

/// Who runs a server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The AI client runs it directly.
    Native,
    /// The gateway runs it as a supervised host process.
    Managed,
    /// The gateway runs it in a container.
    Docker,
    /// Nobody.
    #[default]
    Off,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Native, Mode::Managed, Mode::Docker, Mode::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Native => "native",
            Mode::Managed => "managed",
            Mode::Docker => "docker",
            Mode::Off => "off",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Mode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == s)
            .ok_or_else(|| format!("unknown mode `{s}`: use native, managed, docker or off"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServerState {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
    #[serde(default, skip_serializing_if = "NetworkPolicy::is_catalog")]
    pub network: NetworkPolicy,
    /// Overrides the catalog's runtime image for a host command in `docker` mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_image: Option<String>,
    /// Values for the server's `{{server.key}}` templates (Docker's `config.yaml`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub config: IndexMap<String, Value>,
    /// Tool allow-list (Docker's `tools.yaml`); absent means every tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
    /// Overrides of the `docker` mode's defaults (lifetime and hardening).
    #[serde(default, skip_serializing_if = "DockerOptions::is_empty")]
    pub docker: DockerOptions,
    /// The name this server's entry has in a client's file where that is not the server's own
    /// name, so tool names a client shows never change: client key (`windsurf`,
    /// `cursor@/abs/project`, or `*` for every client) → entry name. Recorded when a server is
    /// imported under another name, or renamed in Dockside.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub aliases: IndexMap<String, String>,
    /// Hosts (`host[:port]`) the user allows this server to reach in `docker` mode, besides the
    /// catalog's `allowHosts` (`--allow-host`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_hosts: Vec<String>,
    /// `native` mode of a pinned package server: client entries run the pinned install from
    /// Dockside's package store instead of the launcher command as written (`npx -y …`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub native_pinned: bool,
}

impl ServerState {
    /// The network `server` gets in a container: its policy, with the hosts the user allowed
    /// added to the catalog's (a policy of `none` or `open` stands as chosen).
    pub fn network_for(&self, server: &Server) -> Network {
        if !self.network.is_catalog() || self.allow_hosts.is_empty() {
            return self.network.resolve(server);
        }
        let mut hosts = match self.network.resolve(server) {
            Network::AllowHosts(hosts) => hosts,
            _ => Vec::new(),
        };
        for host in &self.allow_hosts {
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
        Network::AllowHosts(hosts)
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Network::None => f.write_str("none"),
            Network::Open => f.write_str("open"),
            Network::AllowHosts(hosts) => write!(f, "only {}", hosts.join(", ")),
        }
    }
}

/// Per-server overrides of how `docker` mode runs a container. Every field is optional: absent
/// means the hardened default (read-only root with a tmpfs `/tmp`, every capability dropped,
/// `no-new-privileges`, a non-root user where the image allows, started on the first call and
/// stopped after the idle timeout).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DockerOptions {
    /// Keep the container running (Docker's `longLived`); default: the catalog's, else on demand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_lived: Option<bool>,
    /// Seconds without calls before an on-demand container stops (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<u64>,
    /// Read-only root filesystem (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// The user to run as, e.g. `1000:1000` or `root` (default: the image's, else `65534:65534`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Capabilities to keep (default none: `cap-drop ALL`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    /// `no-new-privileges` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_new_privileges: Option<bool>,
    /// The user's per-server confirmation that a catalog may mount the Docker socket (which
    /// gives the container control of the host); refused without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_docker_socket: Option<bool>,
}

impl DockerOptions {
    pub fn is_empty(&self) -> bool {
        *self == DockerOptions::default()
    }
}

/// Resource limits for a server the gateway runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<Cpus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pids: Option<NonZeroU32>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        *self == Limits::default()
    }
}

/// A CPU share, `0.5` = half a core; positive and finite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(into = "f64")]
pub struct Cpus(f64);

impl Cpus {
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Cpus {
    type Error = String;

    fn try_from(cpus: f64) -> Result<Self, String> {
        if cpus.is_finite() && cpus > 0.0 {
            Ok(Cpus(cpus))
        } else {
            Err(format!(
                "cpus must be a number above 0 (e.g. 0.5 or 2), not {cpus}"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for Cpus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Cpus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of CPUs above 0")
            }
            fn visit_f64<E: serde::de::Error>(self, cpus: f64) -> Result<Cpus, E> {
                Cpus::try_from(cpus).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, cpus: i64) -> Result<Cpus, E> {
                self.visit_f64(cpus as f64)
            }
            fn visit_u64<E: serde::de::Error>(self, cpus: u64) -> Result<Cpus, E> {
                self.visit_f64(cpus as f64)
            }
        }
        deserializer.deserialize_f64(Visitor)
    }
}

impl From<Cpus> for f64 {
    fn from(cpus: Cpus) -> f64 {
        cpus.0
    }
}

/// A memory size: bytes, or a number with a `k`, `m`, `g` unit (`512m`, `2Gb`, as Docker writes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memory {
    text: String,
    bytes: u64,
}

impl Memory {
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl FromStr for Memory {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("memory must be bytes or a size such as 512m or 2g, not `{text}`");
        let lower = text.trim().to_ascii_lowercase();
        let digits = lower.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        let unit = &lower[digits.len()..];
        let scale: u64 = match unit.trim_end_matches('b') {
            "" => 1,
            "k" => 1 << 10,
            "m" => 1 << 20,
            "g" => 1 << 30,
            _ => return Err(bad()),
        };
        let bytes = digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .filter(|&b| b > 0)
            .ok_or_else(bad)?;
        Ok(Memory {
            text: text.trim().to_owned(),
            bytes,
        })
    }
}

impl fmt::Display for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Memory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Memory {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Memory;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a memory size such as 512m or 2g")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Memory, E> {
                text.parse().map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, bytes: u64) -> Result<Memory, E> {
                self.visit_str(&bytes.to_string())
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Network access of a server the gateway runs in a container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkPolicy {
    /// As the catalog says: only `allowHosts` if listed (and not `disableNetwork`), else none.
    #[default]
    Catalog,
    /// No network at all.
    None,
    /// Full network access, whatever the catalog says.
    Open,
}

/// The network a server actually gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Network {
    None,
    AllowHosts(Vec<String>),
    Open,
}

impl FromStr for NetworkPolicy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "catalog" => Ok(NetworkPolicy::Catalog),
            "none" => Ok(NetworkPolicy::None),
            "open" => Ok(NetworkPolicy::Open),
            _ => Err(format!(
                "unknown network policy `{s}`: use catalog, none or open"
            )),
        }
    }
}

impl NetworkPolicy {
    pub fn is_catalog(&self) -> bool {
        *self == NetworkPolicy::Catalog
    }

    pub fn resolve(self, server: &Server) -> Network {
        match self {
            NetworkPolicy::None => Network::None,
            NetworkPolicy::Open => Network::Open,
            NetworkPolicy::Catalog if server.disable_network == Some(true) => Network::None,
            NetworkPolicy::Catalog => match &server.allow_hosts {
                Some(hosts) if !hosts.is_empty() => Network::AllowHosts(hosts.clone()),
                _ => Network::None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Result<State, crate::Issue> {
        crate::yaml::parse(text, Path::new("state.yaml"))
    }

    #[test]
    fn parses_and_writes_back() {
        let text = "profile: production\nservers:\n  a:\n    mode: docker\n    limits:\n      cpus: 0.5\n      memory: 2Gb\n      pids: 64\n    network: none\nclients:\n  kept: true\n";
        let state = parse(text).unwrap();
        let a = state.server("a");
        assert_eq!(a.mode, Mode::Docker);
        assert_eq!(a.limits.memory.as_ref().unwrap().bytes(), 2 << 30);
        assert_eq!(state.server("missing").mode, Mode::Off);
        assert_eq!(yaml_serde::to_string(&state).unwrap(), text);
    }

    #[test]
    fn bad_values_are_located() {
        let cases = [
            (
                "servers:\n  a:\n    mode: dockr\n",
                (3, 11),
                "unknown variant `dockr`",
            ),
            (
                "servers:\n  a:\n    limits: {cpus: -1}\n",
                (3, 20),
                "cpus must be a number above 0",
            ),
            (
                "servers:\n  a:\n    limits: {memory: 12q}\n",
                (3, 22),
                "memory must be",
            ),
            (
                "servers:\n  a:\n    limits: {pids: 0}\n",
                (3, 20),
                "nonzero",
            ),
            (
                "servers:\n  a:\n    mdoe: off\n",
                (3, 5),
                "unknown field `mdoe`",
            ),
        ];
        for (text, location, message) in cases {
            let issue = parse(text).unwrap_err();
            assert_eq!(issue.location, Some(location), "{text}: {issue}");
            assert!(issue.message.contains(message), "{text}: {issue}");
        }
    }

    #[test]
    fn memory_sizes() {
        assert_eq!("512m".parse::<Memory>().unwrap().bytes(), 512 << 20);
        assert_eq!("1024".parse::<Memory>().unwrap().bytes(), 1024);
        assert_eq!("1k".parse::<Memory>().unwrap().bytes(), 1024);
        assert!("0".parse::<Memory>().is_err());
        assert!("m".parse::<Memory>().is_err());
    }

    #[test]
    fn network_follows_the_catalog_unless_overridden() {
        let server: Server = yaml_serde::from_str("image: x\nallowHosts: [a:443]").unwrap();
        assert_eq!(
            NetworkPolicy::Catalog.resolve(&server),
            Network::AllowHosts(vec!["a:443".into()])
        );
        assert_eq!(NetworkPolicy::None.resolve(&server), Network::None);
        let offline: Server = yaml_serde::from_str("image: x\ndisableNetwork: true").unwrap();
        assert_eq!(NetworkPolicy::Catalog.resolve(&offline), Network::None);
        let plain: Server = yaml_serde::from_str("image: x").unwrap();
        assert_eq!(NetworkPolicy::Catalog.resolve(&plain), Network::None);
        assert_eq!(NetworkPolicy::Open.resolve(&plain), Network::Open);
        let mut st = ServerState {
            allow_hosts: vec!["api.example.com:443".into(), "a:443".into()],
            ..ServerState::default()
        };
        assert_eq!(
            st.network_for(&server),
            Network::AllowHosts(vec!["a:443".into(), "api.example.com:443".into()])
        );
        assert_eq!(
            st.network_for(&offline).to_string(),
            "only api.example.com:443, a:443",
            "hosts the user allowed open a catalog's disableNetwork, in the user's order"
        );
        st.network = NetworkPolicy::None;
        assert_eq!(st.network_for(&server), Network::None);
        let state: ServerState = yaml_serde::from_str(
            "mode: docker\ndocker: {longLived: true, idleTimeout: 60, capAdd: [CHOWN]}",
        )
        .unwrap();
        assert_eq!(state.docker.long_lived, Some(true));
        assert_eq!(state.docker.idle_timeout, Some(60));
        assert!(yaml_serde::from_str::<ServerState>("docker: {idle: 1}").is_err());
    }
}
