//! Layer 2, upstream: the MCP servers the gateway runs and talks to. Imports only
//! [`crate::protocol`] (and `dockside_docker`, which knows no gateway).
//!
//! - [`spec`]: what to launch ([`UpstreamSpec`]) and how its names are prefixed;
//! - [`endpoint`]: what a remote server is ([`RemoteSpec`]), the sign-in seam ([`RemoteAuth`])
//!   and why it may be out of reach ([`Outage`]);
//! - [`launch`]: the launcher seam ([`Launcher`], [`Process`]);
//! - [`process`]: host processes (on Windows each in a Job Object, `job`), and remote servers
//!   through their relay ([`ProcessLauncher`]);
//! - [`container`]: docker mode behind that seam (the on-demand container relay);
//! - [`remote`]: remote servers behind that seam (the Streamable HTTP / SSE relay);
//! - [`session`]: one running server with an initialized MCP session ([`Upstream`]).

pub mod container;
pub mod endpoint;
#[cfg(windows)]
mod job;
pub mod launch;
pub mod process;
pub mod remote;
pub mod session;
pub mod spec;

pub use endpoint::{AuthOutcome, Outage, RemoteAuth, RemoteSpec};
pub use launch::{Launched, Launcher, Process};
pub use process::ProcessLauncher;
pub use session::{now_ms, Handler, ListKind, Lists, LogLine, StartError, Upstream};
pub use spec::{Prefix, UpstreamSpec};
