//! The network a container gets, and the `allowHosts` egress policy.
//!
//! `none` and `open` (Docker's default bridge) are plain network modes. A server whose catalog
//! lists `allowHosts: [api.github.com:443, …]` joins `dockside-egress-<home>`, a Docker network
//! created `internal` (Docker installs no route out of it, so nothing leaves directly), and gets
//! `HTTP_PROXY`/`HTTPS_PROXY` pointing at a proxy that this gateway runs on the host side of that
//! network (its gateway address). The proxy accepts `CONNECT host:port` (HTTPS) and absolute-URI
//! HTTP requests only to the listed `host:port` pairs (a host without a port allows 80 and 443),
//! and refuses everything else with `403`. Each server has its own proxy port, which serves only
//! that server's current container (checked by source address), so one server's allow-list never
//! opens a door for another. Programs that ignore the proxy variables simply have no network.
//!
//! The proxy must bind the network's gateway address on this host, which exists only when the
//! engine shares this machine's kernel. With a remote or VM-based engine (`tcp://`, `ssh://`,
//! Docker Desktop, Colima, OrbStack, Rancher Desktop) an `allowHosts` server fails to start with
//! an error that says so; running the proxy as a container would need a proxy image, which
//! Dockside does not ship (the gateway binary cannot run in the engine's Linux VM on macOS).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use bollard::models::NetworkCreateRequest;
use bollard::Docker;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::hardening::{wanted_network, NetworkMode};
use super::{ContainerSpec, DockerRuntime, LABEL_HOME, LABEL_MANAGED};
use dockside_core::state::Network;

/// Running proxies, by server.
#[derive(Default)]
pub struct Proxies {
    running: Mutex<HashMap<String, Proxy>>,
}

struct Proxy {
    hosts: Vec<String>,
    port: u16,
    /// Addresses of the server's current container: the only clients the proxy serves.
    sources: Arc<Mutex<Vec<IpAddr>>>,
    _task: AbortOnDrop,
}

pub struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The network mode for `spec`, creating the internal network and the proxy when needed.
pub async fn prepare(
    rt: &DockerRuntime,
    docker: &Docker,
    server: &str,
    spec: &ContainerSpec,
) -> Result<NetworkMode, String> {
    let hosts = match wanted_network(spec, rt.defaults()) {
        Network::None => return Ok(NetworkMode::None),
        Network::Open => return Ok(NetworkMode::Bridge),
        Network::AllowHosts(hosts) => hosts,
    };
    let engine = rt.engine().await.map_err(|u| u.message)?;
    if let Some(why) = elsewhere(&engine).await {
        return Err(format!(
            "server `{server}` may reach only its `allowHosts`, through Dockside's egress proxy, which listens on this machine at the gateway address of an internal Docker network; {why}, so that address does not exist here. Use a Docker Engine on this host (Linux), or give the server `--network open` or `none` (`dockside server edit {server} --network open`), or run it in managed mode"
        ));
    }
    let network = network_name(rt.home_hash());
    let gateway = ensure_network(docker, &network, rt.home_hash()).await?;
    let port = rt.egress.start(server, &hosts, gateway).await?;
    Ok(NetworkMode::Egress {
        network,
        proxy: format!("http://{gateway}:{port}"),
    })
}

/// Why the engine's networks are not on this host (`None`: they are): a remote or VM-based
/// endpoint, or an engine that says it is Docker Desktop.
async fn elsewhere(engine: &crate::Engine) -> Option<String> {
    let at = engine.endpoint.describe();
    if !engine.endpoint.is_local() {
        return Some(format!(
            "the engine in use ({at}) runs in a VM or on another machine"
        ));
    }
    let info = engine.docker.info().await.ok()?;
    let os = info.operating_system.unwrap_or_default();
    (os.contains("Docker Desktop") || os.contains("Boot2Docker"))
        .then(|| format!("the engine in use ({at}) is {os}, which runs in a VM"))
}

/// The internal network of a home's `allowHosts` servers.
pub fn network_name(home_hash: &str) -> String {
    format!("dockside-egress-{home_hash}")
}

/// Creates the internal network when missing; returns its gateway address.
async fn ensure_network(docker: &Docker, name: &str, home_hash: &str) -> Result<IpAddr, String> {
    let gateway_of = |n: bollard::models::NetworkInspect| -> Option<IpAddr> {
        n.ipam?
            .config?
            .into_iter()
            .find_map(|c| c.gateway?.parse().ok())
    };
    if let Ok(found) = docker.inspect_network(name, None).await {
        return gateway_of(found)
            .ok_or_else(|| format!("Docker network `{name}` has no gateway address"));
    }
    let request = NetworkCreateRequest {
        name: name.to_owned(),
        internal: Some(true),
        labels: Some(HashMap::from([
            (LABEL_MANAGED.to_owned(), "true".to_owned()),
            (LABEL_HOME.to_owned(), home_hash.to_owned()),
        ])),
        ..Default::default()
    };
    docker
        .create_network(request)
        .await
        .map_err(|e| format!("cannot create the egress network `{name}`: {e}"))?;
    let found = docker
        .inspect_network(name, None)
        .await
        .map_err(|e| format!("cannot inspect the egress network `{name}`: {e}"))?;
    gateway_of(found).ok_or_else(|| format!("Docker network `{name}` has no gateway address"))
}

impl Proxies {
    /// The port of `server`'s proxy, started (or restarted for a new allow-list) on `ip`.
    pub async fn start(&self, server: &str, hosts: &[String], ip: IpAddr) -> Result<u16, String> {
        if let Some(proxy) = self.running.lock().unwrap().get(server) {
            if proxy.hosts == hosts {
                return Ok(proxy.port);
            }
        }
        let listener = TcpListener::bind(SocketAddr::new(ip, 0))
            .await
            .map_err(|e| format!("cannot start the egress proxy on {ip} (the gateway address of the internal Docker network): {e}; is the engine running in a VM or on another machine? `allowHosts` needs a Docker Engine on this host (see docs/DOCKER.md)"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let allowed: Arc<Vec<String>> = Arc::new(hosts.to_vec());
        let sources: Arc<Mutex<Vec<IpAddr>>> = Arc::default();
        let name = server.to_owned();
        let clients = sources.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                // Every container on the network can reach this port: serve only this server's.
                if !clients.lock().unwrap().contains(&peer.ip()) {
                    tracing::warn!(server = %name, "egress proxy: refused a connection from {}, not this server's container", peer.ip());
                    continue;
                }
                let allowed = allowed.clone();
                let name = name.clone();
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, &allowed).await {
                        tracing::debug!(server = %name, "egress proxy: {e}");
                    }
                });
            }
        });
        tracing::info!(server = %server, "egress proxy on {ip}:{port} allows {}", hosts.join(", "));
        self.running.lock().unwrap().insert(
            server.to_owned(),
            Proxy {
                hosts: hosts.to_vec(),
                port,
                sources,
                _task: AbortOnDrop(task),
            },
        );
        Ok(port)
    }
}

impl Proxies {
    /// Makes `ip` (the server's new container) the only client of its proxy.
    pub fn serve_only(&self, server: &str, ip: IpAddr) {
        if let Some(proxy) = self.running.lock().unwrap().get(server) {
            *proxy.sources.lock().unwrap() = vec![ip];
        }
    }
}

/// The address of a started container on `network`.
pub async fn container_ip(docker: &Docker, id: &str, network: &str) -> Option<IpAddr> {
    let info = docker.inspect_container(id, None).await.ok()?;
    info.network_settings?
        .networks?
        .get(network)?
        .ip_address
        .as_deref()?
        .parse()
        .ok()
}

/// Whether `host:port` is allowed by a list of `host[:port]` entries.
pub fn allowed(list: &[String], host: &str, port: u16) -> bool {
    list.iter().any(|entry| match entry.rsplit_once(':') {
        Some((h, p)) => h.eq_ignore_ascii_case(host) && p.parse() == Ok(port),
        None => entry.eq_ignore_ascii_case(host) && matches!(port, 80 | 443),
    })
}

/// The target of a proxy request head: `CONNECT host:port` or `METHOD http://host[:port]/…`.
fn target(head: &str) -> Option<(bool, String, u16)> {
    let mut parts = head.lines().next()?.split_whitespace();
    let method = parts.next()?;
    let uri = parts.next()?;
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = uri.rsplit_once(':')?;
        return Some((
            true,
            host.trim_matches(['[', ']']).to_owned(),
            port.parse().ok()?,
        ));
    }
    let rest = uri.strip_prefix("http://")?;
    let authority = rest.split('/').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, 80),
    };
    Some((false, host.to_owned(), port))
}

async fn serve(mut client: TcpStream, list: &[String]) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = client.read(&mut buf).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let Some((connect, host, port)) = target(&text) else {
        client
            .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    if !allowed(list, &host, port) {
        let body = format!("dockside: {host}:{port} is not in this server's allowHosts\n");
        client
            .write_all(
                format!(
                    "HTTP/1.1 403 Forbidden\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )
            .await?;
        return Ok(());
    }
    let mut upstream = match TcpStream::connect((host.as_str(), port)).await {
        Ok(s) => s,
        Err(e) => {
            client
                .write_all(format!("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nx-dockside-error: {e}\r\n\r\n").as_bytes())
                .await?;
            return Ok(());
        }
    };
    if connect {
        let end = text.find("\r\n\r\n").map(|i| i + 4).unwrap_or(head.len());
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        upstream.write_all(&head[end..]).await?;
    } else {
        upstream.write_all(&head).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_and_targets() {
        let list = vec!["api.github.com:443".to_owned(), "example.org".to_owned()];
        assert!(allowed(&list, "api.github.com", 443));
        assert!(!allowed(&list, "api.github.com", 80));
        assert!(allowed(&list, "example.org", 80));
        assert!(!allowed(&list, "evil.com", 443));
        assert_eq!(
            target("CONNECT api.github.com:443 HTTP/1.1\r\n\r\n"),
            Some((true, "api.github.com".into(), 443))
        );
        assert_eq!(
            target("GET http://example.org/x HTTP/1.1\r\n\r\n"),
            Some((false, "example.org".into(), 80))
        );
        assert_eq!(target("GET /x HTTP/1.1\r\n\r\n"), None);
    }
}
