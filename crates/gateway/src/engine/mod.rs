//! Layer 3, engine: the gateway itself, knowing no transport. Imports only
//! [`crate::upstream`] and [`crate::protocol`].
//!
//! - [`gateway`]: the router/aggregator as one aggregate — client sessions, upstreams, name
//!   mapping, the supervisor (restarts, crash loops, health pings);
//! - [`pipeline`]: the tool-call layers around the forward (allow-list, secret blocking,
//!   metrics, call log), each testable alone;
//! - [`naming`]: prefixes, the 60-character limit, allow-lists, collisions;
//! - [`secrets`]: the `--block-secrets` scanner; [`logs`] and [`metrics`]: per-server log files
//!   and ring, call counts and latency;
//! - [`live_reload`]: restarting a server when its code changes, installed on a gateway from
//!   outside; [`watch`]: debounced file watching.

pub mod gateway;
pub mod live_reload;
pub mod logs;
pub mod metrics;
pub mod naming;
pub mod pipeline;
pub mod secrets;
pub mod watch;
