//! `docker` mode: servers in hardened containers, driven through the Docker Engine API (bollard;
//! never the `docker` CLI).
//!
//! This crate knows containers, not MCP or the gateway: a container is started with stdin open
//! and its output as line streams ([`container::Container`]). The gateway adapts that to its
//! upstream launcher seam (`dockside_gateway::upstream::container`: the on-demand relay and the
//! replayed `initialize`).
//!
//! Where to start reading:
//! - [`discovery`]: which engine (the docker CLI's order: context, `DOCKER_HOST`, current
//!   context; then the sockets of Docker Desktop, Colima, OrbStack, Rancher Desktop, Podman);
//! - [`engine`]: connecting, with the API version negotiated down to the engine's, and errors
//!   that tell absent / stopped / permission denied apart;
//! - [`hardening`]: a [`ContainerSpec`] becomes a container definition (no network unless allowed,
//!   read-only root, `cap-drop ALL`, `no-new-privileges`, non-root, CPU/memory/pids limits, labels);
//! - [`container`]: one container, created with stdin open, attached, started, its output
//!   demultiplexed, stopped and removed;
//! - [`image`]: finding, pulling (with progress events) and building images;
//! - [`reap`]: removing containers a crashed daemon left behind (found by their labels);
//! - [`watch`]: Docker's availability, so servers wait while it is down and start again when it
//!   is back;
//! - [`egress`]: the `allowHosts` policy (an internal network plus an allow-list proxy).
//!
//! Every container carries `dockside.managed=true`, `dockside.server=<name>` and
//! `dockside.home=<hash of the Dockside home>`, so one home's daemon never touches another's.

pub mod container;
pub mod discovery;
pub mod egress;
pub mod engine;
pub mod hardening;
pub mod image;
pub mod reap;
pub mod watch;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use dockside_api::Event;
use dockside_core::launch::ContainerLaunch;
use dockside_core::state::{DockerOptions, Limits};
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, watch as tokio_watch};

pub use engine::{Engine, Problem, Unavailable};

pub const LABEL_MANAGED: &str = "dockside.managed";
pub const LABEL_SERVER: &str = "dockside.server";
pub const LABEL_HOME: &str = "dockside.home";
/// The pid of the gateway process that started the container (the reaper spares live ones).
pub const LABEL_PID: &str = "dockside.pid";

/// How a server runs in `docker` mode: what core resolved, plus the state's overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    /// Image (or runtime image), command, mounts, limits and network from core.
    pub launch: ContainerLaunch,
    /// The command is a host command run inside a runtime image: it replaces the image's
    /// entrypoint.
    pub host_command: bool,
    pub options: DockerOptions,
}

/// Defaults for every container (the `--cpus`, `--memory`, `--long-lived`, `--block-network`
/// flags of `gateway run` / `daemon`).
#[derive(Debug, Clone)]
pub struct DockerDefaults {
    pub cpus: f64,
    pub memory_bytes: u64,
    pub pids: u32,
    pub long_lived: bool,
    pub block_network: bool,
    pub idle_timeout: Duration,
}

impl Default for DockerDefaults {
    fn default() -> Self {
        DockerDefaults {
            cpus: 1.0,
            memory_bytes: 512 << 20,
            pids: 256,
            long_lived: false,
            block_network: false,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

impl DockerDefaults {
    /// The defaults with the run flags applied (`memory` as Docker writes it: `512m`, `2g`).
    pub fn from_flags(
        cpus: Option<f64>,
        memory: Option<&str>,
        long_lived: bool,
        block_network: bool,
    ) -> anyhow::Result<DockerDefaults> {
        let mut d = DockerDefaults {
            long_lived,
            block_network,
            ..DockerDefaults::default()
        };
        if let Some(cpus) = cpus {
            d.cpus = dockside_core::state::Cpus::try_from(cpus)
                .map_err(anyhow::Error::msg)?
                .get();
        }
        if let Some(memory) = memory {
            d.memory_bytes = memory
                .parse::<dockside_core::state::Memory>()
                .map_err(anyhow::Error::msg)?
                .bytes();
        }
        Ok(d)
    }

    /// The limits a container gets: the server's own, else these defaults.
    pub fn limits(&self, limits: &Limits) -> (f64, u64, u32) {
        (
            limits.cpus.map(|c| c.get()).unwrap_or(self.cpus),
            limits
                .memory
                .as_ref()
                .map(|m| m.bytes())
                .unwrap_or(self.memory_bytes),
            limits.pids.map(|p| p.get()).unwrap_or(self.pids),
        )
    }
}

/// Whether Docker answers, as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Not checked yet.
    Unknown,
    Available {
        version: String,
        api: String,
        /// [`discovery::Endpoint::describe`]: ``context `colima` → unix:///…``.
        endpoint: String,
    },
    Unavailable(Unavailable),
}

/// The shared Docker side of a gateway: the client, its availability, the containers it runs.
pub struct DockerRuntime {
    home_hash: String,
    defaults: DockerDefaults,
    client: tokio::sync::Mutex<Option<Engine>>,
    availability: tokio_watch::Sender<Availability>,
    events: Mutex<Option<broadcast::Sender<Event>>>,
    /// Ids of the containers this process runs (the reaper leaves them alone).
    live: Mutex<HashSet<String>>,
    pub(crate) egress: egress::Proxies,
}

/// A short, stable hash of a Dockside home (the `dockside.home` label).
pub fn home_hash(root: &Path) -> String {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    hex::encode(&Sha256::digest(root.to_string_lossy().as_bytes())[..8])
}

impl DockerRuntime {
    pub fn new(home_root: &Path, defaults: DockerDefaults) -> Arc<DockerRuntime> {
        Arc::new(DockerRuntime {
            home_hash: home_hash(home_root),
            defaults,
            client: tokio::sync::Mutex::new(None),
            availability: tokio_watch::channel(Availability::Unknown).0,
            events: Mutex::new(None),
            live: Mutex::new(HashSet::new()),
            egress: egress::Proxies::default(),
        })
    }

    pub fn home_hash(&self) -> &str {
        &self.home_hash
    }

    pub fn defaults(&self) -> &DockerDefaults {
        &self.defaults
    }

    /// Where pull progress and availability changes go (the gateway's event stream).
    pub fn set_events(&self, events: broadcast::Sender<Event>) {
        *self.events.lock().unwrap() = Some(events);
    }

    pub(crate) fn emit(&self, event: Event) {
        if let Some(tx) = self.events.lock().unwrap().as_ref() {
            let _ = tx.send(event);
        }
    }

    pub fn availability(&self) -> Availability {
        self.availability.borrow().clone()
    }

    pub fn subscribe(&self) -> tokio_watch::Receiver<Availability> {
        self.availability.subscribe()
    }

    /// `Some(why)` when Docker was last seen unusable.
    pub fn unavailable(&self) -> Option<Unavailable> {
        match &*self.availability.borrow() {
            Availability::Unavailable(u) => Some(u.clone()),
            _ => None,
        }
    }

    fn set_availability(&self, new: Availability) {
        let changed = self.availability.send_if_modified(|old| {
            let same = match (&*old, &new) {
                (Availability::Available { .. }, Availability::Available { .. }) => true,
                (Availability::Unavailable(a), Availability::Unavailable(b)) => {
                    a.problem == b.problem
                }
                _ => false,
            };
            *old = new.clone();
            !same
        });
        if changed {
            match &new {
                Availability::Available {
                    version,
                    api,
                    endpoint,
                } => {
                    tracing::info!("Docker {version} (API {api}) is available at {endpoint}");
                    self.emit(Event::DockerAvailability {
                        available: true,
                        detail: format!("Docker {version} (API {api}) at {endpoint}"),
                    });
                }
                Availability::Unavailable(u) => {
                    tracing::warn!("Docker is unavailable: {u}");
                    self.emit(Event::DockerAvailability {
                        available: false,
                        detail: u.message.clone(),
                    });
                }
                Availability::Unknown => {}
            }
        }
    }

    /// A connected client, reconnecting (and renegotiating) when the last one failed.
    pub async fn client(&self) -> Result<Docker, Unavailable> {
        self.engine().await.map(|engine| engine.docker)
    }

    /// The connected engine and where it was found.
    pub async fn engine(&self) -> Result<Engine, Unavailable> {
        let mut slot = self.client.lock().await;
        if let Some(engine) = slot.as_ref() {
            return Ok(engine.clone());
        }
        match engine::open().await {
            Ok(engine) => {
                let (version, api) = engine::version(&engine).await.unwrap_or_default();
                *slot = Some(engine.clone());
                drop(slot);
                self.set_availability(Availability::Available {
                    version,
                    api,
                    endpoint: engine.endpoint.describe(),
                });
                Ok(engine)
            }
            Err(u) => {
                drop(slot);
                self.set_availability(Availability::Unavailable(u.clone()));
                Err(u)
            }
        }
    }

    /// Pings the engine (connecting first if needed) and records the answer.
    pub async fn check(&self) -> Result<Docker, Unavailable> {
        let engine = self.engine().await?;
        match engine::ping(&engine).await {
            Ok(()) => Ok(engine.docker),
            Err(u) => {
                *self.client.lock().await = None;
                self.set_availability(Availability::Unavailable(u.clone()));
                Err(u)
            }
        }
    }

    /// Records that a call failed because the engine went away.
    pub(crate) async fn lost(&self, detail: &str) -> Unavailable {
        let endpoint = self
            .client
            .lock()
            .await
            .as_ref()
            .map(|e| e.endpoint.clone());
        let u = match endpoint {
            Some(endpoint) => engine::classify(&endpoint, detail).await,
            None => match discovery::resolve(&discovery::Inputs::from_env()) {
                Ok(endpoint) => engine::classify(&endpoint, detail).await,
                Err(e) => Unavailable {
                    problem: Problem::Absent,
                    message: e.0,
                },
            },
        };
        if u.problem != Problem::Other {
            *self.client.lock().await = None;
            self.set_availability(Availability::Unavailable(u.clone()));
        }
        u
    }

    pub(crate) fn track(&self, id: &str) {
        self.live.lock().unwrap().insert(id.to_owned());
    }

    pub(crate) fn untrack(&self, id: &str) {
        self.live.lock().unwrap().remove(id);
    }

    pub(crate) fn live(&self) -> HashSet<String> {
        self.live.lock().unwrap().clone()
    }

    /// Removes this home's containers that no gateway process owns any more (left by a crash or
    /// an outage), and its egress network when nothing uses it.
    pub async fn reap_leftovers(&self) -> Result<usize, Unavailable> {
        self.reap(false).await
    }

    /// At shutdown, after every server stopped: also every container of this process.
    pub async fn reap_at_shutdown(&self) -> Result<usize, Unavailable> {
        self.reap(true).await
    }

    async fn reap(&self, all_mine: bool) -> Result<usize, Unavailable> {
        let docker = self.client().await?;
        let live = self.live();
        let removed = reap::reap(&docker, &self.home_hash, &live, all_mine).await;
        if live.is_empty() {
            // Fails harmlessly while another gateway of this home still uses it.
            let _ = docker
                .remove_network(&egress::network_name(&self.home_hash))
                .await;
        }
        Ok(removed)
    }
}
