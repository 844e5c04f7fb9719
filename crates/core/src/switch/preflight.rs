//! The pre-flight report: what was checked before any client file is touched. The checks run
//! in `dockside-gateway` (they start servers); the types live here so the CLI, the daemon and
//! the tray app share one definition.

use serde::{Deserialize, Serialize};

use crate::state::Mode;

/// Per-call latency, native vs through the gateway, over the same calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Latency {
    /// What was timed: `tools/call <tool>` (a read-only tool) or `ping`.
    pub probe: String,
    pub calls: usize,
    pub native_p50_ms: f64,
    pub native_mean_ms: f64,
    pub gateway_p50_ms: f64,
    pub gateway_mean_ms: f64,
    /// `gateway_p50_ms - native_p50_ms`.
    pub overhead_ms: f64,
}

/// The checks of one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerCheck {
    pub name: String,
    pub from: Mode,
    pub to: Mode,
    /// `present`, `pulled`, `built`, or what went wrong (docker mode only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Started in its target mode and initialized.
    pub started: bool,
    /// Tools it offers now (its current mode), `None` when that could not be asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools_before: Option<Vec<String>>,
    /// Tools it offers in its target mode.
    pub tools_after: Vec<String>,
    /// Tools it offers now and not in its target mode.
    pub missing: Vec<String>,
    /// Tools it offers only in its target mode.
    pub added: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Latency>,
    /// What blocks the switch for this server (empty: nothing).
    pub problems: Vec<String>,
    /// Worth knowing, never blocking.
    pub notes: Vec<String>,
}

/// The whole pre-flight.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreflightReport {
    pub servers: Vec<ServerCheck>,
    /// Problems not tied to one server (Docker unreachable…).
    pub problems: Vec<String>,
    /// The problems were overridden with `--force`.
    #[serde(default)]
    pub forced: bool,
}

impl PreflightReport {
    /// Every problem, `server: problem`.
    pub fn blocking(&self) -> Vec<String> {
        self.problems
            .iter()
            .cloned()
            .chain(
                self.servers
                    .iter()
                    .flat_map(|s| s.problems.iter().map(move |p| format!("{}: {p}", s.name))),
            )
            .collect()
    }

    /// Whether the switch may go ahead.
    pub fn passed(&self) -> bool {
        self.forced || self.blocking().is_empty()
    }

    /// The checks of one server.
    pub fn server(&self, name: &str) -> Option<&ServerCheck> {
        self.servers.iter().find(|s| s.name == name)
    }
}
