//! The connection to the Docker engine: one bollard client, its API version negotiated down to
//! what the engine speaks (Debian's 20.10 engine is API 1.41; bollard defaults to a newer one and
//! every call would fail), and errors that say whether Docker is absent, stopped or refusing us.

use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;

/// How long a connection attempt or a ping may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Why Docker cannot be used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// No socket: Docker is not installed, or its daemon never started.
    Absent,
    /// A socket nobody listens on: the daemon stopped.
    Stopped,
    /// The socket refuses this user.
    PermissionDenied,
    /// Anything else (timeouts, protocol errors).
    Other,
}

/// Docker is unusable: what happened and what to do, in one sentence for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unavailable {
    pub problem: Problem,
    pub message: String,
}

/// Where the engine listens, as users know it (`DOCKER_HOST` or the default socket).
pub fn socket_path() -> Option<PathBuf> {
    match std::env::var("DOCKER_HOST") {
        Ok(host) => host.strip_prefix("unix://").map(PathBuf::from),
        Err(_) => Some(PathBuf::from("/var/run/docker.sock")),
    }
}

fn host_label() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// Connects and negotiates the API version.
pub async fn connect() -> Result<Docker, Unavailable> {
    // bollard refuses a missing socket up front: diagnose that like any failed call.
    let docker = match Docker::connect_with_local_defaults() {
        Ok(docker) => docker,
        Err(e) => return Err(classify(&e.to_string()).await),
    };
    match tokio::time::timeout(PROBE_TIMEOUT, docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(e)) => Err(classify(&e.to_string()).await),
        Err(_) => Err(Unavailable {
            problem: Problem::Other,
            message: format!(
                "Docker at {} did not answer within {}s; is the daemon hung? (`docker info` tells)",
                host_label(),
                PROBE_TIMEOUT.as_secs()
            ),
        }),
    }
}

/// Whether the engine still answers.
pub async fn ping(docker: &Docker) -> Result<(), Unavailable> {
    match tokio::time::timeout(PROBE_TIMEOUT, docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(classify(&e.to_string()).await),
        Err(_) => Err(Unavailable {
            problem: Problem::Other,
            message: format!(
                "Docker at {} did not answer a ping within {}s",
                host_label(),
                PROBE_TIMEOUT.as_secs()
            ),
        }),
    }
}

/// Turns a failed call into a diagnosis by connecting to the socket ourselves: the OS error
/// says exactly which of absent / stopped / permission denied it is.
pub async fn classify(detail: &str) -> Unavailable {
    let Some(path) = socket_path() else {
        return Unavailable {
            problem: Problem::Other,
            message: format!("cannot reach Docker at {}: {detail}", host_label()),
        };
    };
    let shown = path.display();
    #[cfg(unix)]
    let probe = tokio::net::UnixStream::connect(&path).await.map(drop);
    #[cfg(not(unix))]
    let probe: std::io::Result<()> = Err(std::io::Error::other(detail.to_owned()));
    let (problem, message) = match probe {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
            Problem::Absent,
            format!("Docker is not running or not installed: there is no socket at {shown}; install Docker (Debian: `apt-get install docker.io`) and start it (`systemctl start docker`, or `dockerd`)"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => (
            Problem::Stopped,
            format!("the Docker daemon is stopped: nothing answers on {shown}; start it (`systemctl start docker`, Docker Desktop, or `dockerd`)"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => (
            Problem::PermissionDenied,
            format!("permission denied on {shown}: add your user to the `docker` group (`sudo usermod -aG docker $USER`, then log out and in) or run Dockside as a user that may use Docker"),
        ),
        _ => (
            Problem::Other,
            format!("cannot use Docker at {}: {detail}", host_label()),
        ),
    };
    Unavailable { problem, message }
}

/// The engine's version and API version, e.g. `("20.10.24", "1.41")`.
pub async fn version(docker: &Docker) -> Result<(String, String), Unavailable> {
    match tokio::time::timeout(PROBE_TIMEOUT, docker.version()).await {
        Ok(Ok(v)) => Ok((
            v.version.unwrap_or_default(),
            v.api_version.unwrap_or_default(),
        )),
        Ok(Err(e)) => Err(classify(&e.to_string()).await),
        Err(_) => Err(Unavailable {
            problem: Problem::Other,
            message: "Docker did not report its version in time".into(),
        }),
    }
}

/// Whether a bollard error is the engine's 404.
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}
