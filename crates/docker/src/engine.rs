//! The connection to the Docker engine: one bollard client, its API version negotiated down to
//! what the engine speaks (Debian's 20.10 engine is API 1.41; bollard defaults to a newer one and
//! every call would fail), and errors that say whether Docker is absent, stopped or refusing us,
//! naming the engine [`crate::discovery`] chose and why.

use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use crate::discovery::{self, Endpoint, Inputs};

/// How long a connection attempt or a ping may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The same over `ssh://`, where each new connection starts an `ssh` control master first.
const SSH_PROBE_TIMEOUT: Duration = Duration::from_secs(20);

fn probe_timeout(endpoint: &Endpoint) -> Duration {
    if endpoint.host.starts_with("ssh://") {
        SSH_PROBE_TIMEOUT
    } else {
        PROBE_TIMEOUT
    }
}

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

/// A connected engine and where it was found.
#[derive(Debug, Clone)]
pub struct Engine {
    pub docker: Docker,
    pub endpoint: Endpoint,
}

/// bollard's read/write timeout for every request, in seconds (its own default).
const REQUEST_TIMEOUT: u64 = 120;

/// Finds the engine (see [`crate::discovery`]), connects and negotiates the API version.
pub async fn open() -> Result<Engine, Unavailable> {
    let endpoint = discovery::resolve(&Inputs::from_env()).map_err(|e| Unavailable {
        problem: Problem::Absent,
        message: e.0,
    })?;
    let docker = open_endpoint(&endpoint).await?;
    Ok(Engine { docker, endpoint })
}

/// Connects to the engine Dockside uses.
pub async fn connect() -> Result<Docker, Unavailable> {
    open().await.map(|engine| engine.docker)
}

/// Connects to `endpoint` and negotiates the API version.
pub async fn open_endpoint(endpoint: &Endpoint) -> Result<Docker, Unavailable> {
    // bollard refuses a missing socket up front: diagnose that like any failed call.
    let docker = match client_for(endpoint) {
        Ok(docker) => docker,
        Err(e) => return Err(classify(endpoint, &e.to_string()).await),
    };
    let limit = probe_timeout(endpoint);
    match tokio::time::timeout(limit, docker.negotiate_version()).await {
        Ok(Ok(docker)) => Ok(docker),
        Ok(Err(e)) => Err(classify(endpoint, &e.to_string()).await),
        Err(_) => Err(Unavailable {
            problem: Problem::Other,
            message: format!(
                "Docker at {} did not answer within {}s; is the daemon hung? (`docker info` tells)",
                endpoint.describe(),
                limit.as_secs()
            ),
        }),
    }
}

/// The bollard client for an endpoint's scheme.
fn client_for(endpoint: &Endpoint) -> Result<Docker, bollard::errors::Error> {
    let host = endpoint.host.as_str();
    let scheme = host.split("://").next().unwrap_or_default();
    let unsupported = |why: &str| bollard::errors::Error::UnsupportedURISchemeError {
        uri: format!("{host} ({why})"),
    };
    match scheme {
        #[cfg(unix)]
        "unix" => Docker::connect_with_unix(host, REQUEST_TIMEOUT, API_DEFAULT_VERSION),
        #[cfg(windows)]
        "npipe" => Docker::connect_with_named_pipe(host, REQUEST_TIMEOUT, API_DEFAULT_VERSION),
        "tcp" | "http" | "https" => match &endpoint.tls {
            #[cfg(target_os = "linux")]
            Some(tls) => Docker::connect_with_ssl(
                host,
                &tls.dir.join("key.pem"),
                &tls.dir.join("cert.pem"),
                &tls.dir.join("ca.pem"),
                REQUEST_TIMEOUT,
                API_DEFAULT_VERSION,
            ),
            #[cfg(not(target_os = "linux"))]
            Some(_) => Err(unsupported(
                "TLS engines are supported by Linux builds only; reach this engine over ssh:// or a local socket",
            )),
            None if scheme == "https" => Err(unsupported(
                "https needs TLS material: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH",
            )),
            None => Docker::connect_with_http(host, REQUEST_TIMEOUT, API_DEFAULT_VERSION),
        },
        #[cfg(unix)]
        "ssh" => Docker::connect_with_ssh(host, REQUEST_TIMEOUT, API_DEFAULT_VERSION, None),
        #[cfg(not(unix))]
        "ssh" => Err(unsupported(
            "ssh engines are supported on Linux and macOS only; create an `npipe` or `tcp` context",
        )),
        _ => Err(unsupported(
            "use unix://, tcp://, ssh:// or, on Windows, npipe://",
        )),
    }
}

/// Whether the engine still answers.
pub async fn ping(engine: &Engine) -> Result<(), Unavailable> {
    let limit = probe_timeout(&engine.endpoint);
    match tokio::time::timeout(limit, engine.docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(classify(&engine.endpoint, &e.to_string()).await),
        Err(_) => Err(Unavailable {
            problem: Problem::Other,
            message: format!(
                "Docker at {} did not answer a ping within {}s",
                engine.endpoint.describe(),
                limit.as_secs()
            ),
        }),
    }
}

/// Turns a failed call into a diagnosis by connecting to the socket ourselves: the OS error
/// says exactly which of absent / stopped / permission denied it is. Every message names the
/// endpoint and where it came from (`context `x` → unix:///…`).
pub async fn classify(endpoint: &Endpoint, detail: &str) -> Unavailable {
    let from = endpoint.describe();
    let Some(path) = endpoint.socket() else {
        return Unavailable {
            problem: Problem::Other,
            message: format!("cannot reach Docker at {from}: {detail}"),
        };
    };
    let shown = path.display();
    #[cfg(unix)]
    let probe = tokio::net::UnixStream::connect(&path).await.map(drop);
    #[cfg(not(unix))]
    let probe: std::io::Result<()> = Err(std::io::Error::other(detail.to_owned()));
    let (problem, message) = match probe {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !endpoint.tried.is_empty() => (
            Problem::Absent,
            format!(
                "Docker is not running or not installed: no engine socket found (tried {}); install Docker (Debian: `apt-get install docker.io`) and start it (`systemctl start docker`, Docker Desktop, Colima…), or name one with DOCKER_HOST, `docker context use` or `--docker-context`",
                endpoint.tried.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
            Problem::Absent,
            format!("Docker is not running at {from}: there is no socket at {shown}; start that engine, or choose another (`docker context use`, DOCKER_HOST, `--docker-context`)"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => (
            Problem::Stopped,
            format!("the Docker daemon is stopped: nothing answers on {shown} ({from}); start it (`systemctl start docker`, Docker Desktop, or `dockerd`)"),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => (
            Problem::PermissionDenied,
            format!("permission denied on {shown} ({from}): add your user to the `docker` group (`sudo usermod -aG docker $USER`, then log out and in) or run Dockside as a user that may use Docker"),
        ),
        _ => (
            Problem::Other,
            format!("cannot use Docker at {from}: {detail}"),
        ),
    };
    Unavailable { problem, message }
}

/// The engine's version and API version, e.g. `("20.10.24", "1.41")`.
pub async fn version(engine: &Engine) -> Result<(String, String), Unavailable> {
    match tokio::time::timeout(probe_timeout(&engine.endpoint), engine.docker.version()).await {
        Ok(Ok(v)) => Ok((
            v.version.unwrap_or_default(),
            v.api_version.unwrap_or_default(),
        )),
        Ok(Err(e)) => Err(classify(&engine.endpoint, &e.to_string()).await),
        Err(_) => Err(Unavailable {
            problem: Problem::Other,
            message: format!(
                "Docker at {} did not report its version in time",
                engine.endpoint.describe()
            ),
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
