//! A [`ContainerSpec`] as a container definition, hardened by default:
//!
//! | what | default | per-server override (state `docker:` / `network:` / `limits:`) |
//! | --- | --- | --- |
//! | network | none; `allowHosts` → the egress proxy only | `network: open` / `none` |
//! | root filesystem | read-only, tmpfs `/tmp` | `readOnly: false` |
//! | capabilities | all dropped | `capAdd: [NET_BIND_SERVICE]` |
//! | privileges | `no-new-privileges` | `noNewPrivileges: false` |
//! | user | the image's, else `65534:65534` (nobody) | `user: "1000:1000"` / `root` |
//! | limits | 1 CPU, 512 MiB (no swap), 256 pids | `limits: {cpus, memory, pids}` |
//!
//! An init process (Docker's `--init`) reaps zombies and forwards signals; stdin stays open and
//! closes when the gateway detaches (`StdinOnce`), so a container whose gateway died exits.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig};
use dockside_core::state::Network;

use super::{ContainerSpec, DockerDefaults, LABEL_HOME, LABEL_MANAGED, LABEL_PID, LABEL_SERVER};

/// The user a container runs as when neither the image nor the server names one.
pub const NOBODY: &str = "65534:65534";

/// Where the container's network comes from, decided by the caller (the egress proxy sets up
/// an internal network for `allowHosts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    None,
    Bridge,
    /// An internal network and the proxy URL the container must use.
    Egress {
        network: String,
        proxy: String,
    },
}

/// The network a spec asks for; `--block-network` turns `open` into `none` (only `allowHosts`
/// stays reachable).
pub fn wanted_network(spec: &ContainerSpec, defaults: &DockerDefaults) -> Network {
    match &spec.launch.network {
        Network::Open if defaults.block_network => Network::None,
        other => other.clone(),
    }
}

/// The user to run as: the server's override (`root` means uid 0), the catalog's `user`, the
/// image's own, else nobody.
pub fn user(spec: &ContainerSpec, image_user: Option<&str>) -> Option<String> {
    if let Some(user) = &spec.options.user {
        return Some(if user == "root" {
            "0:0".into()
        } else {
            user.clone()
        });
    }
    if let Some(user) = &spec.launch.user {
        return Some(user.clone());
    }
    match image_user {
        Some(u) if !u.is_empty() => None,
        _ => Some(NOBODY.into()),
    }
}

/// Why a container must not be created as its catalog asks: a mount of the Docker socket
/// (control of the host's Docker, i.e. of the host) without the user's per-server
/// confirmation, `docker: {allowDockerSocket: true}` in the state.
pub fn refusal(server: &str, spec: &ContainerSpec) -> Option<String> {
    if spec.options.allow_docker_socket == Some(true) {
        return None;
    }
    let socket = spec.launch.volumes.iter().find(|v| {
        let source = v
            .split(':')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/');
        source.ends_with("docker.sock") || source == "/var/run" || source == "/run"
    })?;
    Some(format!(
        "server '{server}': its catalog mounts the Docker socket ({socket}), which gives the \
         container control of the host. Dockside refuses this unless you confirm it for this \
         server: `dockside` state.yaml, `servers: {{{server}: {{docker: {{allowDockerSocket: true}}}}}}`"
    ))
}

/// The full container definition.
pub fn container_body(
    server: &str,
    home_hash: &str,
    spec: &ContainerSpec,
    env: &[(String, String)],
    image_user: Option<&str>,
    network: &NetworkMode,
    defaults: &DockerDefaults,
) -> ContainerCreateBody {
    let launch = &spec.launch;
    let options = &spec.options;
    let user = user(spec, image_user);
    let mut env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let has = |env: &[String], key: &str| env.iter().any(|e| e.starts_with(&format!("{key}=")));
    if user.as_deref() == Some(NOBODY) && !has(&env, "HOME") {
        // nobody's home does not exist; tools that write caches (npm, uv) use $HOME.
        env.push("HOME=/tmp".into());
    }
    if let NetworkMode::Egress { proxy, .. } = network {
        for key in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"] {
            if !has(&env, key) {
                env.push(format!("{key}={proxy}"));
            }
        }
    }
    let (cpus, memory, pids) = defaults.limits(&launch.limits);
    let read_only = options.read_only.unwrap_or(true);
    let mut security_opt = Vec::new();
    if options.no_new_privileges.unwrap_or(true) {
        security_opt.push("no-new-privileges".to_owned());
    }
    let labels = HashMap::from([
        (LABEL_MANAGED.to_owned(), "true".to_owned()),
        (LABEL_SERVER.to_owned(), server.to_owned()),
        (LABEL_HOME.to_owned(), home_hash.to_owned()),
        (LABEL_PID.to_owned(), std::process::id().to_string()),
    ]);
    let network_mode = match network {
        NetworkMode::None => "none".to_owned(),
        NetworkMode::Bridge => "bridge".to_owned(),
        NetworkMode::Egress { network, .. } => network.clone(),
    };
    let host_config = HostConfig {
        network_mode: Some(network_mode),
        readonly_rootfs: Some(read_only),
        tmpfs: read_only
            .then(|| HashMap::from([("/tmp".to_owned(), "rw,nosuid,nodev,size=64m".to_owned())])),
        cap_drop: Some(vec!["ALL".into()]),
        cap_add: (!options.cap_add.is_empty()).then(|| options.cap_add.clone()),
        security_opt: Some(security_opt),
        nano_cpus: Some((cpus * 1e9) as i64),
        memory: Some(memory as i64),
        memory_swap: Some(memory as i64),
        pids_limit: Some(pids as i64),
        binds: (!launch.volumes.is_empty()).then(|| launch.volumes.clone()),
        extra_hosts: (!launch.extra_hosts.is_empty()).then(|| launch.extra_hosts.clone()),
        init: Some(true),
        ..Default::default()
    };
    let (entrypoint, cmd) = if spec.host_command {
        // `[""]` clears the image's entrypoint (as `docker run --entrypoint ""`).
        (Some(vec![String::new()]), Some(launch.args.clone()))
    } else if launch.args.is_empty() {
        (None, None)
    } else {
        (None, Some(launch.args.clone()))
    };
    ContainerCreateBody {
        image: Some(launch.image.clone()),
        entrypoint,
        cmd,
        env: Some(env),
        working_dir: launch
            .workdir
            .as_ref()
            .map(|w| w.to_string_lossy().into_owned()),
        user,
        labels: Some(labels),
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        open_stdin: Some(true),
        stdin_once: Some(true),
        tty: Some(false),
        host_config: Some(host_config),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dockside_core::launch::ContainerLaunch;
    use dockside_core::state::{DockerOptions, Limits};

    fn spec() -> ContainerSpec {
        ContainerSpec {
            launch: ContainerLaunch {
                image: "img".into(),
                args: vec!["node".into(), "/p/s.js".into()],
                env: Default::default(),
                secrets: vec![],
                volumes: vec!["/p:/p:ro".into()],
                workdir: Some("/p".into()),
                user: None,
                extra_hosts: vec![],
                limits: Limits::default(),
                network: Network::None,
                long_lived: false,
            },
            host_command: true,
            options: DockerOptions::default(),
        }
    }

    #[test]
    fn hardened_by_default() {
        let body = container_body(
            "s",
            "h",
            &spec(),
            &[("A".into(), "1".into())],
            None,
            &NetworkMode::None,
            &DockerDefaults::default(),
        );
        let host = body.host_config.as_ref().unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        assert_eq!(host.readonly_rootfs, Some(true));
        assert_eq!(host.cap_drop.as_deref(), Some(&["ALL".to_owned()][..]));
        assert_eq!(
            host.security_opt.as_deref(),
            Some(&["no-new-privileges".to_owned()][..])
        );
        assert_eq!(host.nano_cpus, Some(1_000_000_000));
        assert_eq!(host.memory, Some(512 << 20));
        assert_eq!(host.pids_limit, Some(256));
        assert_eq!(body.user.as_deref(), Some(NOBODY));
        assert_eq!(body.entrypoint, Some(vec![String::new()]));
        assert_eq!(body.labels.as_ref().unwrap()["dockside.server"], "s");
        assert!(body.env.as_ref().unwrap().contains(&"HOME=/tmp".to_owned()));
    }

    #[test]
    fn overrides_apply() {
        let mut s = spec();
        s.options.read_only = Some(false);
        s.options.user = Some("root".into());
        s.options.no_new_privileges = Some(false);
        let body = container_body(
            "s",
            "h",
            &s,
            &[],
            Some("app"),
            &NetworkMode::Bridge,
            &DockerDefaults::default(),
        );
        let host = body.host_config.unwrap();
        assert_eq!(host.readonly_rootfs, Some(false));
        assert_eq!(host.tmpfs, None);
        assert_eq!(host.security_opt, Some(vec![]));
        assert_eq!(body.user.as_deref(), Some("0:0"));
        s.options.user = None;
        assert_eq!(user(&s, Some("app")), None);
    }
}
