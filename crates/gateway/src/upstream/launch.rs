//! The launcher seam: a [`Launcher`] turns an [`UpstreamSpec`] into byte streams and a
//! [`Process`] to control. [`crate::upstream::process::ProcessLauncher`] runs host commands and
//! remote servers; [`crate::upstream::container::HybridLauncher`] also runs container specs in
//! Docker.

use std::pin::Pin;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncRead, AsyncWrite};

use super::endpoint::Outage;
use super::spec::UpstreamSpec;

/// A launched server's byte streams and process control.
pub struct Launched {
    pub stdin: Pin<Box<dyn AsyncWrite + Send>>,
    pub stdout: Pin<Box<dyn AsyncRead + Send>>,
    pub stderr: Option<Pin<Box<dyn AsyncRead + Send>>>,
    pub process: Box<dyn Process>,
}

/// Control over a launched server's process (or container).
pub trait Process: Send {
    fn pid(&self) -> Option<u32>;
    /// Resolves when the process has exited, with a description of how.
    fn wait(&mut self) -> BoxFuture<'_, String>;
    /// Stops the process: a polite signal first, then a kill after `grace`.
    fn stop(&mut self, grace: Duration) -> BoxFuture<'_, ()>;
    /// Once it has ended: whether it ended because a remote server is out of reach.
    fn outage(&self) -> Option<Outage> {
        None
    }
}

/// Starts servers: [`crate::upstream::process::ProcessLauncher`] runs host commands and remote
/// servers, [`crate::upstream::container::HybridLauncher`] also runs container specs.
pub trait Launcher: Send + Sync {
    fn launch<'a>(
        &'a self,
        spec: &'a UpstreamSpec,
    ) -> BoxFuture<'a, Result<Launched, std::io::Error>>;
}
