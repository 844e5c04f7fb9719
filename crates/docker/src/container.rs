//! One container: created with stdin open, attached before it starts (so no output is lost),
//! started, its multiplexed output split into stdout (MCP messages) and stderr (logs); stopped
//! and removed on request. A container never outlives its [`Container`] by design: `stop`
//! removes it, and the reaper removes what a crash left.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream, Lines};
use tokio::sync::mpsc;

use super::{egress, hardening, image, ContainerSpec, DockerRuntime};

/// A started container and its streams.
pub struct Container {
    pub id: String,
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
    pub stdout: Lines<BufReader<DuplexStream>>,
    docker: Docker,
    rt: Arc<DockerRuntime>,
}

fn container_name(server: &str) -> String {
    let safe = dockside_core::catalog::safe_name(server, "server");
    let mut random = [0u8; 4];
    let _ = getrandom::fill(&mut random);
    format!("dockside-{safe}-{}", hex::encode(random))
}

impl Container {
    /// Creates, attaches and starts a container for `server`. Stderr chunks go to `stderr`.
    pub async fn start(
        rt: &Arc<DockerRuntime>,
        server: &str,
        spec: &ContainerSpec,
        env: &[(String, String)],
        stderr: mpsc::UnboundedSender<Vec<u8>>,
    ) -> Result<Container, String> {
        if let Some(why) = hardening::refusal(server, spec) {
            return Err(why);
        }
        let docker = rt.client().await.map_err(|u| u.to_string())?;
        let image = image::ensure(rt, &docker, server, &spec.launch.image).await?;
        let image_user = image.config.as_ref().and_then(|c| c.user.clone());
        let network = egress::prepare(rt, &docker, server, spec).await?;
        let body = hardening::container_body(
            server,
            rt.home_hash(),
            spec,
            env,
            image_user.as_deref(),
            &network,
            rt.defaults(),
        );
        let name = container_name(server);
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let created = match docker.create_container(Some(options), body).await {
            Ok(c) => c,
            Err(e) => return Err(describe(rt, server, "create its container", &e).await),
        };
        let id = created.id;
        rt.track(&id);
        let container_started = async {
            let options = AttachContainerOptionsBuilder::default()
                .stdin(true)
                .stdout(true)
                .stderr(true)
                .stream(true)
                .build();
            let attached = docker
                .attach_container(&id, Some(options))
                .await
                .map_err(|e| ("attach to its container", e))?;
            docker
                .start_container(&id, None)
                .await
                .map_err(|e| ("start its container", e))?;
            Ok::<_, (&str, bollard::errors::Error)>(attached)
        };
        let attached = match container_started.await {
            Ok(a) => a,
            Err((what, e)) => {
                let message = describe(rt, server, what, &e).await;
                remove(&docker, rt, &id).await;
                return Err(message);
            }
        };
        if let hardening::NetworkMode::Egress { network: net, .. } = &network {
            match egress::container_ip(&docker, &id, net).await {
                Some(ip) => rt.egress.serve_only(server, ip),
                None => {
                    tracing::warn!(server = %server, "cannot find its container's address on {net}: its egress proxy will refuse it")
                }
            }
        }
        let (mut out_w, out_r) = tokio::io::duplex(1 << 16);
        let mut output = attached.output;
        tokio::spawn(async move {
            while let Some(item) = output.next().await {
                match item {
                    Ok(LogOutput::StdOut { message }) => {
                        if out_w.write_all(&message).await.is_err() {
                            break;
                        }
                    }
                    Ok(LogOutput::StdErr { message }) => {
                        let _ = stderr.send(message.to_vec());
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::debug!("container output ended: {e}");
                        break;
                    }
                }
            }
        });
        tracing::debug!(server = %server, container = %name, "container started");
        Ok(Container {
            id,
            input: attached.input,
            stdout: BufReader::new(out_r).lines(),
            docker,
            rt: rt.clone(),
        })
    }

    /// How the container ended (after its output closed), then removes it.
    pub async fn exit_description(self) -> String {
        let inspected = self.docker.inspect_container(&self.id, None).await;
        let how = match inspected {
            Ok(info) => {
                let state = info.state.unwrap_or_default();
                if state.oom_killed == Some(true) {
                    "was killed for using more memory than its limit (state `limits.memory`)"
                        .to_owned()
                } else if state.running == Some(true) {
                    "closed its stdout".to_owned()
                } else {
                    format!("exited with code {}", state.exit_code.unwrap_or(-1))
                }
            }
            Err(e) => {
                let u = self.rt.lost(&e.to_string()).await;
                format!("lost its container: {u}")
            }
        };
        remove(&self.docker, &self.rt, &self.id).await;
        how
    }

    /// Stops the container (SIGTERM, then SIGKILL after `grace`) and removes it.
    pub async fn stop(self, grace: Duration) {
        let t = grace.as_secs_f64().ceil().max(1.0) as i32;
        let options = StopContainerOptionsBuilder::default().t(t).build();
        let _ = self.docker.stop_container(&self.id, Some(options)).await;
        remove(&self.docker, &self.rt, &self.id).await;
    }
}

/// Force-removes a container; it is forgotten either way (the reaper retries after an outage).
async fn remove(docker: &Docker, rt: &DockerRuntime, id: &str) {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => {}
        Err(e) if super::engine::is_not_found(&e) => {}
        Err(e) => tracing::warn!("cannot remove container {id}: {e}"),
    }
    rt.untrack(id);
}

/// A failed Docker call as a user-facing sentence, noting when Docker itself went away.
async fn describe(
    rt: &DockerRuntime,
    server: &str,
    what: &str,
    e: &bollard::errors::Error,
) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError { message, .. } => {
            format!("Docker refused to {what} for server '{server}': {message}")
        }
        other => {
            let u = rt.lost(&other.to_string()).await;
            format!("cannot {what} for server '{server}': {u}")
        }
    }
}
