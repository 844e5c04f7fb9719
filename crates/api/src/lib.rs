//! The daemon's control API: request, response and event types shared by the daemon
//! (`dockside daemon`), the CLI (`dockside status`, `dockside stop`) and the tray app, so they
//! cannot drift.
//!
//! The API is JSON over HTTP on the daemon's listener, under `/api/`, with the same bearer token
//! as the MCP endpoints:
//!
//! | method and path | body | answer |
//! | --- | --- | --- |
//! | `GET /api/status` | | [`Status`] |
//! | `GET /api/servers` | | `[`[`ServerStatus`]`]` |
//! | `POST /api/servers/{name}/start` · `/stop` · `/restart` | | [`ServerStatus`] |
//! | `PUT /api/servers/{name}/mode` | [`SetMode`] | [`ServerStatus`] |
//! | `POST /api/reload` | | [`ReloadReport`] |
//! | `GET /api/latency` | | `[`[`ToolLatency`]`]` |
//! | `GET /api/metrics` | | [`Metrics`] |
//! | `GET /api/logs?server=NAME&since_ms=UNIX_MS` | | `[`[`LogEntry`]`]` (the in-memory ring) |
//! | `GET /metrics` | | Prometheus text format (same token) |
//! | `GET /api/events` | | Server-Sent Events, each `data:` one [`Event`] |
//! | `POST /api/shutdown` | | `{}`, then the daemon stops |
//!
//! Errors answer with a 4xx/5xx status and an [`ApiError`] body.
//!
//! Where a daemon listens is in `<home>/daemon.json` ([`DaemonInfo`], [`read_info`]); its token
//! in `<home>/token` ([`read_token`]); [`files`] owns every file a daemon keeps in the home.
//! [`DaemonClient`] is the one async client of this API (the CLI, the pre-flight, the bridge and
//! the tray app use it), [`SseParser`] the one Server-Sent Events parser (control events and MCP
//! streams alike), and [`start`] the one way to start a daemon when none runs.

use dockside_core::Mode;
use serde::{Deserialize, Serialize};

pub mod client;
pub mod files;
pub mod login_env;
pub mod sse;
pub mod start;

pub use client::{ClientError, DaemonClient};
pub use files::{read_info, read_token, DEFAULT_PORT};
pub use sse::{SseEvent, SseParser};
pub use start::ensure_daemon;

/// What a running daemon writes to `<home>/daemon.json` so clients can find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonInfo {
    pub pid: u32,
    pub host: String,
    pub port: u16,
    pub version: String,
    /// Unix time, seconds.
    pub started_at: u64,
}

impl DaemonInfo {
    /// `http://host:port`, ready to append a path.
    pub fn base_url(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else if self.host == "0.0.0.0" {
            "127.0.0.1".to_string()
        } else {
            self.host.clone()
        };
        format!("http://{host}:{}", self.port)
    }
}

/// Where a server stands in the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    Running,
    /// Starting, or restarting after a crash.
    Starting,
    Stopped,
    /// Failed to start (see `error`).
    Failed,
    /// Crashed too often; not restarted until asked.
    CrashLoop,
    /// A `docker` server while Docker is absent, stopped or refused (see `error`); it starts
    /// again by itself when Docker answers.
    DockerUnavailable,
    /// A remote server that cannot be reached (see `error`: the HTTP status or connection
    /// error); Dockside keeps trying with backoff and it recovers by itself.
    Unreachable,
    /// A remote server that refused Dockside's credentials or has none (see `error`); not
    /// retried until signed in and restarted.
    NeedsSignIn,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerStatus {
    pub name: String,
    pub state: RunState,
    /// The mode in Dockside's state, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Tools it exposes (after allow-lists).
    pub tools: usize,
    /// Unix time, seconds, of the current process start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<u64>,
    pub restarts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub version: String,
    pub pid: u32,
    pub started_at: u64,
    pub uptime_secs: u64,
    /// The aggregated MCP endpoint, e.g. `http://127.0.0.1:8813/mcp`.
    pub url: String,
    /// Open MCP client sessions.
    pub sessions: usize,
    pub servers: Vec<ServerStatus>,
    /// Name collisions, shortened names, too many tools…
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMode {
    pub mode: Mode,
}

/// Answer of `POST /api/servers/{name}/sign-in`: the sign-in page of a remote server, opened in
/// the user's browser by the daemon when it could; the daemon finishes the sign-in and restarts
/// the server when the browser comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInStarted {
    pub server: String,
    /// The authorization page (holds no secret: PKCE keeps the code useless to others).
    pub url: String,
    /// Whether a browser was opened on it; if not, show the URL.
    pub browser_opened: bool,
}

/// Body of `POST /api/servers/{name}/package`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRequest {
    /// Only look for a newer version; move nothing.
    #[serde(default)]
    pub check: bool,
}

/// Answer of `POST /api/servers/{name}/package`: a package server's pin and the newest version
/// its command allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageUpdate {
    pub server: String,
    /// Registry and package, e.g. `npm @modelcontextprotocol/server-everything`.
    pub package: String,
    /// The pinned version before, if it was pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The newest version the server's command allows.
    pub to: String,
    /// Whether the pin moved to `to` (installed, its image built, and the server reloaded).
    pub updated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadReport {
    pub started: Vec<String>,
    pub stopped: Vec<String>,
    pub restarted: Vec<String>,
    /// `server: error` for servers that failed to start.
    pub failed: Vec<String>,
}

/// Recent call latency of one tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolLatency {
    pub server: String,
    pub tool: String,
    pub calls: u64,
    pub errors: u64,
    pub mean_ms: f64,
    /// Over the most recent calls.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub last_ms: f64,
}

/// One captured stderr line (or container output line) of a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    pub server: String,
    /// Unix time, milliseconds.
    pub at_ms: u64,
    pub line: String,
}

/// Call statistics of one tool (latencies from an HDR histogram over every call).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallMetrics {
    pub calls: u64,
    pub errors: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolMetrics {
    pub tool: String,
    #[serde(flatten)]
    pub calls: CallMetrics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerMetrics {
    pub server: String,
    /// Every tool of the server together.
    #[serde(flatten)]
    pub calls: CallMetrics,
    pub restarts: u32,
    pub tools: Vec<ToolMetrics>,
}

/// `GET /api/metrics`, also under `metrics` in `dockside status --json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub servers: Vec<ServerMetrics>,
}

/// Something that happened in the daemon, streamed on `GET /api/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    ServerStarted {
        server: String,
        pid: Option<u32>,
        tools: usize,
    },
    ServerStopped {
        server: String,
    },
    /// A server died (or hung and was killed). `phase` is `startup` (before `initialize`
    /// completed: a bad command, a missing dependency, bad config), `runtime` or `hung` (no
    /// answer to `ping`); `stderr` holds its last stderr lines.
    ServerCrashed {
        server: String,
        how: String,
        #[serde(default)]
        phase: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stderr: Vec<String>,
    },
    ServerRestarted {
        server: String,
        pid: Option<u32>,
        attempt: u32,
    },
    /// Crashed too often: not restarted until asked (`dockside server restart NAME`).
    /// `startup` when it never completed `initialize`; `cause` is the last failure.
    CrashLoop {
        server: String,
        crashes: u32,
        #[serde(default)]
        startup: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        stderr: Vec<String>,
    },
    /// A server that had crashed has now run for the stable period: backoff and crash count
    /// start over.
    ServerRecovered {
        server: String,
        /// Crashes before it stabilized.
        crashes: u32,
    },
    StartFailed {
        server: String,
        error: String,
    },
    /// A remote server became unreachable or needs sign-in (`state`), with why (`error`).
    /// It leaves that state with `server-restarted` (or `server-started`).
    ServerUnavailable {
        server: String,
        state: RunState,
        error: String,
    },
    ToolsChanged {
        server: String,
        tools: usize,
    },
    Log {
        server: String,
        line: String,
        /// Unix time, milliseconds.
        #[serde(default)]
        at_ms: u64,
    },
    Reloaded(ReloadReport),
    /// Progress of an image pull for a `docker` server (bytes and layers so far).
    ImagePullProgress {
        server: String,
        image: String,
        layers_done: u32,
        layers_total: u32,
        bytes_done: u64,
        bytes_total: u64,
        done: bool,
    },
    /// Docker became reachable (`available: true`) or not (`detail` says why and what to do).
    DockerAvailability {
        available: bool,
        detail: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_kebab_case() {
        let e = Event::CrashLoop {
            server: "a".into(),
            crashes: 5,
            startup: false,
            cause: None,
            stderr: vec![],
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "crash-loop", "server": "a", "crashes": 5, "startup": false})
        );
        // Older daemons sent fewer fields.
        let old: Event = serde_json::from_value(
            serde_json::json!({"type": "server-crashed", "server": "a", "how": "exited with code 1"}),
        )
        .unwrap();
        assert!(matches!(old, Event::ServerCrashed { phase, .. } if phase.is_empty()));
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
        let r = Event::Reloaded(ReloadReport {
            started: vec!["x".into()],
            ..Default::default()
        });
        assert_eq!(serde_json::to_value(&r).unwrap()["type"], "reloaded");
    }

    #[test]
    fn base_url_brackets_ipv6() {
        let mut i = DaemonInfo {
            pid: 1,
            host: "::1".into(),
            port: 9,
            version: "0".into(),
            started_at: 0,
        };
        assert_eq!(i.base_url(), "http://[::1]:9");
        i.host = "127.0.0.1".into();
        assert_eq!(i.base_url(), "http://127.0.0.1:9");
    }
}
