//! Docker mode behind the launcher seam: [`HybridLauncher`] runs host commands as processes and
//! container specs through `dockside_docker`, and this is what the gateway sees as one server
//! process in `docker` mode.
//!
//! The gateway talks MCP over a byte stream to a [`Process`]; here that process is a relay in
//! front of containers. A long-lived server keeps one container. An on-demand server's container
//! stops after `idle` without traffic (no request in flight), and the next message starts a new
//! one: the relay replays the `initialize` request (with its own id, answer swallowed) and the
//! `initialized` notification the gateway sent the first time, then forwards the message. The
//! gateway's session, tool lists and clients never notice; the first call after an idle stop
//! just waits for the container to start.
//!
//! A container that ends on its own ends the relay with a description (exit code, OOM kill, or
//! Docker gone), which the gateway's supervisor treats as a crash.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use dockside_docker::container::Container;
use dockside_docker::{ContainerSpec, DockerRuntime};

use super::launch::{Launched, Launcher, Process};
use super::process::ProcessLauncher;
use super::spec::UpstreamSpec;
use crate::protocol::handshake::Handshake;

const REPLAY_ID: &str = "dockside-replay-initialize";
const REPLAY_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts the first container (so a missing image or absent Docker fails the start) and the
/// relay in front of it.
pub async fn launch(
    rt: Arc<DockerRuntime>,
    spec: &UpstreamSpec,
    container: &ContainerSpec,
) -> std::io::Result<Launched> {
    let long_lived = container
        .options
        .long_lived
        .unwrap_or(container.launch.long_lived || rt.defaults().long_lived);
    let idle = (!long_lived).then(|| {
        container
            .options
            .idle_timeout
            .map(Duration::from_secs)
            .unwrap_or(rt.defaults().idle_timeout)
    });
    let (stderr_tx, mut stderr_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let first = Container::start(&rt, &spec.name, container, &spec.env, stderr_tx.clone())
        .await
        .map_err(std::io::Error::other)?;
    let (gw_in, relay_in) = tokio::io::duplex(1 << 16);
    let (mut relay_out, gw_out) = tokio::io::duplex(1 << 16);
    let (mut relay_err, gw_err) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        while let Some(chunk) = stderr_rx.recv().await {
            if relay_err.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let (stop_tx, stop_rx) = oneshot::channel();
    let (exit_tx, exit_rx) = watch::channel(None);
    let relay = Relay {
        rt,
        server: spec.name.clone(),
        spec: container.clone(),
        env: spec.env.clone(),
        stderr: stderr_tx,
        idle,
        handshake: Handshake::default(),
        in_flight: HashSet::new(),
    };
    tokio::spawn(async move {
        let how = relay
            .run(
                first,
                BufReader::new(relay_in).lines(),
                &mut relay_out,
                stop_rx,
            )
            .await;
        let _ = exit_tx.send(Some(how));
    });
    Ok(Launched {
        stdin: Box::pin(gw_in),
        stdout: Box::pin(gw_out),
        stderr: Some(Box::pin(gw_err)),
        process: Box::new(RelayProcess {
            stop: Some(stop_tx),
            exited: exit_rx,
        }),
    })
}

struct RelayProcess {
    stop: Option<oneshot::Sender<Duration>>,
    exited: watch::Receiver<Option<String>>,
}

impl Process for RelayProcess {
    fn pid(&self) -> Option<u32> {
        None
    }

    fn wait(&mut self) -> BoxFuture<'_, String> {
        Box::pin(async move {
            match self.exited.wait_for(Option::is_some).await {
                Ok(how) => how.clone().unwrap_or_default(),
                Err(_) => "exited".into(),
            }
        })
    }

    fn stop(&mut self, grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(grace);
            }
            let _ = self.exited.wait_for(Option::is_some).await;
        })
    }
}

struct Relay {
    rt: Arc<DockerRuntime>,
    server: String,
    spec: ContainerSpec,
    env: Vec<(String, String)>,
    stderr: mpsc::UnboundedSender<Vec<u8>>,
    idle: Option<Duration>,
    /// The gateway's `initialize` request and `initialized` notification, for replays.
    handshake: Handshake,
    /// Ids of the gateway's requests not answered yet (as JSON text).
    in_flight: HashSet<String>,
}

/// A message's method and id, when it has them.
fn shape(line: &str) -> (Option<Value>, Option<String>, Option<String>) {
    match serde_json::from_str::<Value>(line) {
        Ok(msg) => {
            let method = msg.get("method").and_then(Value::as_str).map(str::to_owned);
            let id = msg.get("id").filter(|v| !v.is_null()).map(Value::to_string);
            (Some(msg), method, id)
        }
        Err(_) => (None, None, None),
    }
}

async fn next_line(live: &mut Option<Container>) -> Option<String> {
    match live {
        Some(c) => c.stdout.next_line().await.ok().flatten(),
        None => std::future::pending().await,
    }
}

impl Relay {
    async fn run(
        mut self,
        first: Container,
        mut from_gateway: Lines<BufReader<DuplexStream>>,
        to_gateway: &mut DuplexStream,
        mut stop: oneshot::Receiver<Duration>,
    ) -> String {
        let mut live = Some(first);
        let mut last = Instant::now();
        loop {
            let idle_at = match self.idle {
                Some(idle) if live.is_some() && self.in_flight.is_empty() => Some(last + idle),
                _ => None,
            };
            tokio::select! {
                grace = &mut stop => {
                    if let Some(c) = live.take() {
                        c.stop(grace.unwrap_or(Duration::from_secs(1))).await;
                    }
                    return "stopped".into();
                }
                line = from_gateway.next_line() => {
                    let Ok(Some(line)) = line else {
                        if let Some(c) = live.take() {
                            c.stop(Duration::from_secs(1)).await;
                        }
                        return "stopped: the gateway closed its input".into();
                    };
                    last = Instant::now();
                    let (msg, method, id) = shape(&line);
                    if let Some(msg) = &msg {
                        self.handshake.observe(msg);
                        // A cancelled request may never be answered: it no longer keeps the
                        // container awake.
                        if method.as_deref() == Some("notifications/cancelled") {
                            if let Some(id) = msg["params"].get("requestId") {
                                self.in_flight.remove(&id.to_string());
                            }
                        }
                    }
                    if let (Some(_), Some(id)) = (&method, &id) {
                        self.in_flight.insert(id.clone());
                    }
                    if live.is_none() {
                        match self.restart(to_gateway).await {
                            Ok(c) => live = Some(c),
                            Err(how) => return how,
                        }
                    }
                    let c = live.as_mut().expect("a live container");
                    if c.input.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                        // Its exit shows on stdout next.
                        tracing::debug!(server = %self.server, "container stdin closed");
                    }
                    let _ = c.input.flush().await;
                }
                line = next_line(&mut live) => {
                    match line {
                        Some(line) => {
                            last = Instant::now();
                            let (_, method, id) = shape(&line);
                            if let (None, Some(id)) = (method, id) {
                                self.in_flight.remove(&id);
                            }
                            if to_gateway.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                                if let Some(c) = live.take() {
                                    c.stop(Duration::from_secs(1)).await;
                                }
                                return "stopped: the gateway closed its output".into();
                            }
                        }
                        None => {
                            let c = live.take().expect("a live container");
                            return c.exit_description().await;
                        }
                    }
                }
                _ = sleep_until(idle_at) => {
                    if let Some(c) = live.take() {
                        tracing::info!(server = %self.server, "idle for {}s: stopping its container until the next call", self.idle.unwrap_or_default().as_secs());
                        c.stop(Duration::from_secs(2)).await;
                    }
                }
            }
        }
    }

    /// Starts a new container and replays the handshake into it.
    async fn restart(&mut self, to_gateway: &mut DuplexStream) -> Result<Container, String> {
        tracing::info!(server = %self.server, "starting its container for a call");
        let mut c = Container::start(
            &self.rt,
            &self.server,
            &self.spec,
            &self.env,
            self.stderr.clone(),
        )
        .await?;
        let replay_id = json!(REPLAY_ID);
        let Some(init) = self.handshake.replay(&replay_id) else {
            return Ok(c);
        };
        let replayed = async {
            c.input
                .write_all(format!("{init}\n").as_bytes())
                .await
                .map_err(|e| e.to_string())?;
            let _ = c.input.flush().await;
            loop {
                let line = c.stdout.next_line().await.ok().flatten();
                let Some(line) = line else {
                    return Err("closed its stdout during the replayed handshake".to_owned());
                };
                let (msg, _, _) = shape(&line);
                if msg.is_some_and(|m| Handshake::answers(&m, &replay_id)) {
                    break;
                }
                // Notifications sent while starting (logs) still reach the gateway.
                let _ = to_gateway.write_all(format!("{line}\n").as_bytes()).await;
            }
            if let Some(initialized) = self.handshake.initialized() {
                c.input
                    .write_all(format!("{initialized}\n").as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        };
        match tokio::time::timeout(REPLAY_TIMEOUT, replayed).await {
            Ok(Ok(())) => Ok(c),
            Ok(Err(e)) => {
                let how = c.exit_description().await;
                Err(format!("{e}; its container {how}"))
            }
            Err(_) => {
                c.stop(Duration::from_secs(1)).await;
                Err(format!(
                    "no answer to the replayed initialize within {}s",
                    REPLAY_TIMEOUT.as_secs()
                ))
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Runs host commands as processes and container specs in Docker.
pub struct HybridLauncher {
    docker: Arc<DockerRuntime>,
}

impl HybridLauncher {
    pub fn new(docker: Arc<DockerRuntime>) -> HybridLauncher {
        HybridLauncher { docker }
    }
}

impl Launcher for HybridLauncher {
    fn launch<'a>(
        &'a self,
        spec: &'a UpstreamSpec,
    ) -> BoxFuture<'a, Result<Launched, std::io::Error>> {
        match &spec.container {
            None => ProcessLauncher.launch(spec),
            Some(container) => Box::pin(launch(self.docker.clone(), spec, container)),
        }
    }
}
