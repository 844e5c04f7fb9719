//! Layer 2, upstream: the MCP servers the gateway runs and talks to. Imports only
//! [`crate::protocol`] (and `dockside_docker`, which knows no gateway).
//!
//! - [`spec`]: what to launch ([`UpstreamSpec`]) and how its names are prefixed;
//! - [`launch`]: the launcher seam ([`Launcher`], [`Process`]) and host processes (on Windows
//!   each in a Job Object, `job`);
//! - [`container`]: docker mode behind that seam (the on-demand container relay);
//! - [`session`]: one running server with an initialized MCP session ([`Upstream`]).

pub mod container;
#[cfg(windows)]
mod job;
pub mod launch;
pub mod session;
pub mod spec;

pub use launch::{Launched, Launcher, Process, ProcessLauncher};
pub use session::{now_ms, Handler, ListKind, Lists, LogLine, StartError, Upstream};
pub use spec::{Prefix, UpstreamSpec};
