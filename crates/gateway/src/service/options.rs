//! What `dockside gateway run` and `dockside daemon` are asked to do ([`RunOptions`], from their
//! flags), and the one place a gateway is assembled from them: its configuration, its Docker
//! side, its launcher and its live reload.

use std::sync::Arc;
use std::time::Duration;

use dockside_core::home::Home;
use dockside_docker::{DockerDefaults, DockerRuntime};

use super::config::Selection;
use crate::engine::gateway::supervisor::SupervisorConfig;
use crate::engine::gateway::{Gateway, GatewayConfig};
use crate::engine::live_reload::LiveReload;
use crate::engine::naming::ToolPattern;
use crate::transport::http::{is_loopback, HttpOptions, DEFAULT_PORT};
use crate::upstream::container::HybridLauncher;

/// How clients reach the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    #[default]
    Stdio,
    /// Streamable HTTP, endpoint `/mcp`.
    Streaming,
}

impl std::str::FromStr for Transport {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "stdio" => Ok(Transport::Stdio),
            "streaming" | "http" | "streamable" | "streamable-http" => Ok(Transport::Streaming),
            "sse" => Err("the legacy `sse` transport is not supported; use `--transport streaming` (endpoint /mcp)".into()),
            other => Err(format!("unknown transport `{other}`: use stdio or streaming")),
        }
    }
}

/// Options shared by `gateway run` and `daemon` (Docker-compatible flags).
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub selection: Selection,
    /// `--tools` patterns: `tool`, `server:tool`, `server:*`, `*`.
    pub tools: Vec<String>,
    pub transport: Transport,
    pub port: Option<u16>,
    pub host: String,
    /// `--allow-remote`: listen on an address other machines can reach (refused otherwise).
    pub allow_remote: bool,
    pub allow_unauthenticated: bool,
    pub long_lived: bool,
    /// `--idle-timeout SECONDS`: how long an on-demand docker server's container may idle.
    pub idle_timeout: Option<u64>,
    pub block_secrets: bool,
    pub block_network: bool,
    pub cpus: Option<f64>,
    pub memory: Option<String>,
    pub dry_run: bool,
    pub log_calls: bool,
    pub verbose: bool,
    /// Hot reload: watch the catalogs and the state and apply changes.
    pub watch: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            selection: Selection::default(),
            tools: vec![],
            transport: Transport::Stdio,
            port: None,
            host: "127.0.0.1".into(),
            allow_remote: false,
            allow_unauthenticated: false,
            long_lived: false,
            idle_timeout: None,
            block_secrets: true,
            block_network: false,
            cpus: None,
            memory: None,
            dry_run: false,
            log_calls: true,
            verbose: false,
            watch: true,
        }
    }
}

impl RunOptions {
    pub fn gateway_config(&self) -> GatewayConfig {
        GatewayConfig {
            tool_patterns: self.tools.iter().map(|t| ToolPattern::parse(t)).collect(),
            block_secrets: self.block_secrets,
            log_calls: self.log_calls,
            // Argument values may hold secrets: logged only when the user says so.
            log_call_args: std::env::var("DOCKSIDE_LOG_CALL_ARGS")
                .is_ok_and(|v| v == "1" || v == "true"),
            supervisor: SupervisorConfig::from_env(),
            // How long a server may take to answer `initialize` (tests shorten it).
            init_timeout: std::env::var("DOCKSIDE_INIT_TIMEOUT_MS")
                .ok()
                .and_then(|v| v.parse().ok())
                .map(std::time::Duration::from_millis)
                .unwrap_or(GatewayConfig::default().init_timeout),
            ..GatewayConfig::default()
        }
    }
}

impl RunOptions {
    /// Where and how the HTTP transport listens: loopback unless `--allow-remote`, with the
    /// home's token unless `--allow-unauthenticated`.
    pub fn http_options(&self, home: &Home) -> anyhow::Result<HttpOptions> {
        if !self.allow_remote && !is_loopback(&self.host) {
            anyhow::bail!(
                "refusing to listen on {}: it is not a loopback address, so other machines could \
                 reach the gateway and its servers. Use --host 127.0.0.1, or pass --allow-remote \
                 to serve other machines on purpose (the bearer token still applies)",
                self.host
            );
        }
        let token = if self.allow_unauthenticated {
            None
        } else {
            Some(dockside_api::files::load_or_create_token(home)?)
        };
        Ok(HttpOptions {
            host: self.host.clone(),
            port: self.port.unwrap_or(DEFAULT_PORT),
            token,
        })
    }

    /// The Docker side, from the container flags.
    pub fn docker_runtime(&self, home: &Home) -> anyhow::Result<Arc<DockerRuntime>> {
        let mut defaults = DockerDefaults::from_flags(
            self.cpus,
            self.memory.as_deref(),
            self.long_lived,
            self.block_network,
        )?;
        if let Some(secs) = self.idle_timeout {
            defaults.idle_timeout = Duration::from_secs(secs);
        }
        Ok(DockerRuntime::new(home.root(), defaults))
    }
}

/// A gateway that runs host commands as processes and container specs in Docker (image pulls
/// and Docker's availability on its event stream), with live reload installed.
pub fn gateway(mut config: GatewayConfig, rt: &Arc<DockerRuntime>) -> Gateway {
    // `--long-lived`: containers without their own setting are pinged like host processes.
    config.supervisor.containers_long_lived = rt.defaults().long_lived;
    let gw = Gateway::with_launcher(config, Box::new(HybridLauncher::new(rt.clone())));
    rt.set_events(gw.event_sender());
    gw.observe(LiveReload::new());
    gw
}
