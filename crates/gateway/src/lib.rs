//! Dockside's MCP gateway, in layers; each imports only the layers below it (checked by
//! `scripts/check-layers`):
//!
//! 1. [`protocol`]: JSON-RPC framing, the peer, protocol versions, the `initialize` replay;
//! 2. [`upstream`]: launching a server (the launcher seam; docker mode through
//!    `dockside_docker`) and its initialized session;
//! 3. [`engine`]: the gateway aggregate (router, sessions, supervisor), naming, the tool-call
//!    pipeline, logs, metrics, live reload — no transport;
//! 4. [`transport`]: stdio and Streamable HTTP;
//! 5. [`service`]: options, catalog selection, `gateway run`, the daemon and its control API;
//! 6. [`client`]: the `dockside connect` bridge, control-API commands, the pre-flight.
//!
//! Routing happens on `serde_json::Value` at the JSON-RPC level, so results, errors and `_meta`
//! reach the client exactly as the server sent them, apart from name prefixes, request ids and
//! progress tokens (which are remapped so many clients can share one upstream).

pub mod client;
pub mod engine;
pub mod protocol;
pub mod service;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transport;
pub mod upstream;

pub use engine::gateway::{Gateway, GatewayConfig, GatewayEvent, Session};
pub use upstream::{Prefix, StartError, Upstream, UpstreamSpec};
