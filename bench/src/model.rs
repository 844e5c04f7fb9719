//! The results of a run, as written to `bench/results/*.json` and read back by `report`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::setup::Group;
use crate::stats::Summary;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Results {
    pub meta: Meta,
    /// Sequential calls, one client per path, interleaved: the Rust client.
    pub latency: Vec<LatencyRow>,
    /// The same with the official TypeScript SDK client (node).
    pub ts_client: Vec<LatencyRow>,
    pub cold: Option<Cold>,
    pub batch: Vec<BatchRow>,
    pub concurrency: Vec<ConcurrencyRow>,
    pub mode_switch: Vec<SwitchRow>,
    pub memory: Option<Memory>,
    /// First call of a pinned npm package server: native `npx` against docker and managed mode.
    #[serde(default)]
    pub packages: Option<Packages>,
    /// Paths or phases that could not be measured, and why.
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Meta {
    pub started: String,
    pub finished: String,
    pub duration_s: f64,
    pub machine: BTreeMap<String, String>,
    pub load_before: String,
    pub load_after: String,
    /// Component → version (dockside, rustc, node, python, docker, each peer…).
    pub versions: BTreeMap<String, String>,
    pub settings: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LatencyRow {
    pub path: String,
    pub label: String,
    pub group: Group,
    pub transport: String,
    /// `small` or `64KiB`.
    pub payload: String,
    #[serde(flatten)]
    pub summary: Summary,
    pub errors: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cold {
    /// First call after the container stopped (on-demand docker mode).
    pub first_call: Summary,
    /// 100 sequential calls starting with a cold one, total ms per sample.
    pub batch_ms: Vec<f64>,
    /// How long the container took to stop once idle (after the idle timeout), ms.
    pub stop_ms: Vec<f64>,
    /// For scale: `docker run -i` of the same image by the client itself, from spawn to the
    /// first answer (initialize + one call), ms.
    #[serde(default)]
    pub docker_run_ms: Vec<f64>,
    pub idle_timeout_s: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRow {
    pub path: String,
    pub label: String,
    pub group: Group,
    /// Total of 100 sequential calls, ms, one per repetition.
    pub totals_ms: Vec<f64>,
    pub median_ms: f64,
    /// median − direct's median.
    pub added_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConcurrencyRow {
    pub path: String,
    pub label: String,
    pub group: Group,
    pub clients: usize,
    pub calls: usize,
    pub wall_s: f64,
    /// All clients together: calls / wall time.
    pub throughput_per_s: f64,
    #[serde(flatten)]
    pub summary: Summary,
    pub errors: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SwitchRow {
    /// e.g. `managed → docker`.
    pub transition: String,
    /// PUT /api/servers/{name}/mode answered, ms after it was sent.
    pub put_ms: Vec<f64>,
    /// First successful `echo` after the PUT was sent, ms.
    pub callable_ms: Vec<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Memory {
    /// Daemon RSS, KiB, idle with one managed server.
    pub idle_one_kib: u64,
    /// Daemon RSS, KiB, idle with ten managed servers.
    pub idle_ten_kib: u64,
    /// (calls done, daemon RSS KiB) during the soak.
    pub soak: Vec<(u64, u64)>,
    pub soak_calls: u64,
    pub soak_errors: u64,
    pub soak_s: f64,
    /// Daemon RSS, KiB, after the soak and a pause.
    pub after_kib: u64,
    /// RSS of the ten demo servers, KiB in total (for scale).
    pub servers_kib: u64,
    /// The tray app: binary used, its own RSS, and its helper processes'.
    pub app: Option<AppMemory>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppMemory {
    pub binary: String,
    pub profile: String,
    pub app_kib: u64,
    /// Other processes of the app's tree (WebKit helpers…), by name: KiB.
    pub helpers: Vec<(String, u64)>,
    pub note: String,
    /// The same start with GDK's GL probe left on (`GDK_GL` set empty: the app as it was before
    /// it turned GDK's GL off), KiB; for the before/after ratio in one run.
    #[serde(default)]
    pub with_gl_probe_kib: Option<u64>,
    /// The dashboard opened from the tray (`dockside-app --dashboard`), 10 s later, KiB.
    #[serde(default)]
    pub dashboard_kib: Option<u64>,
    /// The dashboard's own children (WebKit's processes), by name: KiB.
    #[serde(default)]
    pub dashboard_helpers: Vec<(String, u64)>,
    /// The tray as it was before it left the Tauri process (`dockside-app` with WebKit linked),
    /// from the newest earlier results file that measured it.
    #[serde(default)]
    pub before: Option<Baseline>,
}

/// A figure from an earlier run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    /// The results file it comes from (its name in `bench/results`).
    pub results: String,
    pub kib: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Packages {
    /// The pinned package, e.g. `npm:@modelcontextprotocol/server-everything@2026.8.31`.
    pub package: String,
    /// The command a client's native entry runs (`npx -y …`).
    pub native_command: String,
    /// The runtime image the per-package image is built `FROM` (host `node` and its libraries).
    pub runtime_image: String,
    /// The per-package image docker mode runs.
    pub image: String,
    /// `dockside server mode NAME docker` (package installed, image built), ms.
    pub mode_docker_ms: f64,
    /// Idle timeout of the on-demand docker server, seconds.
    pub idle_timeout_s: u64,
    /// One row per path, in the order measured.
    pub rows: Vec<FirstCallRow>,
}

/// Spawning a client's entry, `initialize`, and the first `tools/call echo` answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FirstCallRow {
    pub path: String,
    pub label: String,
    pub group: Group,
    /// One per sample, ms, in the order taken.
    pub samples_ms: Vec<f64>,
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}
