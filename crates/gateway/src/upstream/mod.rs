//! Layer 2, upstream: the MCP servers the gateway runs and talks to. Imports only
//! [`crate::protocol`] (and `dockside_docker`, which knows no gateway).
//!
//! - [`spec`]: what to launch ([`UpstreamSpec`]) and how its names are prefixed;
//! - [`launch`]: the launcher seam ([`Launcher`], [`Process`]) and host processes;
//! - [`container`]: docker mode behind that seam (the on-demand container relay);
//! - [`remote`]: remote servers behind that seam (the Streamable HTTP / SSE relay, the
//!   [`RemoteAuth`] seam for sign-in);
//! - [`session`]: one running server with an initialized MCP session ([`Upstream`]).

pub mod container;
pub mod launch;
pub mod remote;
pub mod session;
pub mod spec;

pub use launch::{Launched, Launcher, Process, ProcessLauncher};
pub use remote::{AuthOutcome, Outage, RemoteAuth, RemoteSpec};
pub use session::{now_ms, Handler, ListKind, Lists, LogLine, StartError, Upstream};
pub use spec::{Prefix, UpstreamSpec};
