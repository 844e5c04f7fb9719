//! Dockside gateway engine.
//!
//! The gateway runs MCP servers ("upstreams") and serves MCP clients, aggregated or per server.
//! Where to start reading:
//!
//! - [`upstream`]: launching a server ([`upstream::Launcher`]) and its initialized session
//!   ([`upstream::Upstream`]);
//! - [`peer`]: one side of a JSON-RPC conversation (id allocation, reply matching), transport-free;
//! - [`gateway`]: the router/aggregator — sessions, name mapping, passthrough;
//! - [`supervisor`]: restarts with backoff, crash loops, health pings, start-up vs runtime
//!   failures; `code_watch`: live reload of a server when its source changes;
//! - [`logs`] and [`metrics`]: per-server log files and ring, call counts and latency;
//! - [`naming`]: prefixes, the 60-character limit, allow-lists, collisions;
//! - [`stdio`] and [`http`]: the client transports;
//! - [`secrets`]: the `--block-secrets` scanner.
//!
//! Routing happens on `serde_json::Value` at the JSON-RPC level, so results, errors and `_meta`
//! reach the client exactly as the server sent them, apart from name prefixes, request ids and
//! progress tokens (which are remapped so many clients can share one upstream).

pub mod bridge;
pub mod client;
mod code_watch;
pub mod config;
pub mod daemon;
pub mod docker;
pub mod gateway;
pub mod http;
pub mod jsonrpc;
pub mod logs;
pub mod metrics;
pub mod naming;
pub mod peer;
pub mod preflight;
#[cfg(test)]
mod router_tests;
pub mod run;
pub mod secrets;
pub mod session;
pub mod stdio;
pub mod supervisor;
pub mod upstream;
pub mod watch;

pub use gateway::{Gateway, GatewayConfig, GatewayEvent};
pub use session::Session;
pub use upstream::{Prefix, StartError, Upstream, UpstreamSpec};

/// MCP protocol versions the gateway speaks with clients (initialize-based), oldest first.
pub const PROTOCOL_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
