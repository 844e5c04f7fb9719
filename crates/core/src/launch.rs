//! How to start a server in a given mode: the one answer the gateway and the client adapters share.
//!
//! `native` and `managed` run the server's host command ([`HostLaunch`]); `docker` runs its image, or
//! its host command inside a runtime image with the code bind-mounted read-only at the same paths
//! ([`ContainerLaunch`]); a remote server is an URL in any mode but `docker` ([`RemoteLaunch`]).
//! Templates are filled from the server's config values; secrets are listed, never resolved here.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;

use crate::catalog::{Secret, Server, ServerKind};
use crate::packages::{self, Store};
use crate::state::{Limits, Mode, Network, ServerState};
use crate::template::{render, render_all};
use crate::Error;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Launch {
    Host(HostLaunch),
    Container(ContainerLaunch),
    Remote(RemoteLaunch),
}

/// A process on the host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostLaunch {
    pub program: String,
    pub args: Vec<String>,
    pub env: IndexMap<String, String>,
    /// Secrets to add to the environment (`env` ← value of `name` in the secret store).
    pub secrets: Vec<Secret>,
    pub cwd: Option<PathBuf>,
}

/// A container; `args` are the container's command (`docker run IMAGE ARGS…`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerLaunch {
    pub image: String,
    pub args: Vec<String>,
    pub env: IndexMap<String, String>,
    pub secrets: Vec<Secret>,
    /// Docker `-v` specs: `source:target[:ro]`.
    pub volumes: Vec<String>,
    /// The host command's `cwd` (mounted at the same path); `None` for an image's own default.
    pub workdir: Option<PathBuf>,
    pub user: Option<String>,
    pub extra_hosts: Vec<String>,
    pub limits: Limits,
    pub network: Network,
    pub long_lived: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RemoteLaunch {
    pub url: String,
    pub transport: Option<String>,
    pub headers: IndexMap<String, String>,
}

/// Resolves how `server` (named `name`, in state `state`) runs in `mode`. A pinned package
/// (`x-dockside.package`) runs from `store` in `managed` mode and from its image in `docker`
/// mode; `native` keeps the launcher command unless the state says `nativePinned`.
pub fn resolve(
    name: &str,
    server: &Server,
    state: &ServerState,
    mode: Mode,
    store: &Store,
) -> Result<Launch, Error> {
    let unavailable = |reason: String| Error::ModeUnavailable {
        server: name.to_owned(),
        mode,
        reason,
    };
    let env = || -> IndexMap<String, String> {
        let vars = server.env.iter().flatten();
        vars.map(|var| {
            let value = render(
                var.value.as_deref().unwrap_or_default(),
                name,
                &state.config,
            );
            (var.name.clone(), value)
        })
        .collect()
    };
    let secrets = || server.secrets.clone().unwrap_or_default();
    let empty = || unavailable("its command is empty once its templates are filled".into());
    let kind = server
        .kind()
        .ok_or_else(|| unavailable("it has neither `image`, `command` nor `remote`".into()))?;
    match (mode, kind) {
        (Mode::Off, _) => Err(unavailable("`off` means nobody runs it".into())),
        (Mode::Docker, ServerKind::Remote) => Err(unavailable(
            "a remote server runs elsewhere; use `managed` to reach it through the gateway".into(),
        )),
        (_, ServerKind::Remote) => {
            let remote = server.remote.clone().unwrap_or_default();
            let url = remote
                .url
                .ok_or_else(|| unavailable("its `remote` has no `url`".into()))?;
            Ok(Launch::Remote(RemoteLaunch {
                url,
                transport: remote.transport_type,
                headers: remote.headers.unwrap_or_default(),
            }))
        }
        (Mode::Native | Mode::Managed, _) => {
            let command = server.host_command().ok_or_else(|| {
                unavailable(format!(
                    "it is the container image `{}` with no host command; give it one with `dockside server edit {name} --host-command \"PROGRAM ARGS…\"` (x-dockside.hostCommand), or use `docker` mode",
                    server.image.as_deref().unwrap_or("?")
                ))
            })?;
            let command = render_all(command, name, &state.config);
            let (program, args) = match pinned(server, &command) {
                Some((package, args)) if runs_install(server, state, mode) => {
                    let (program, mut before) = store.host_command(package);
                    before.extend(args);
                    (program, before)
                }
                _ => {
                    let (program, args) = command.split_first().ok_or_else(empty)?;
                    (program.clone(), args.to_vec())
                }
            };
            Ok(Launch::Host(HostLaunch {
                program,
                args,
                env: env(),
                secrets: secrets(),
                cwd: server.dockside.as_ref().and_then(|x| x.cwd.clone()),
            }))
        }
        (Mode::Docker, ServerKind::Poci) => Err(unavailable(
            "`poci` servers (one container per tool call) are not supported yet".into(),
        )),
        (Mode::Docker, kind) => {
            let cwd = server.dockside.as_ref().and_then(|x| x.cwd.clone());
            let host_command = || {
                render_all(
                    server.host_command().unwrap_or_default(),
                    name,
                    &state.config,
                )
            };
            let (image, args, code, workdir) = if let Some((package, args)) =
                pinned(server, &host_command()).filter(|_| kind == ServerKind::HostCommand)
            {
                let base = runtime_image(server, state).unwrap_or_default();
                let mut command = package.container_command();
                command.extend(args);
                (package.image_tag(&base), command, Vec::new(), None)
            } else if kind == ServerKind::Container {
                let args = render_all(
                    server.command.as_deref().unwrap_or_default(),
                    name,
                    &state.config,
                );
                (
                    server.image.clone().unwrap_or_default(),
                    args,
                    Vec::new(),
                    None,
                )
            } else {
                let command = host_command();
                let (program, args) = command.split_first().ok_or_else(empty)?;
                let image = runtime_image(server, state).ok_or_else(|| {
                    unavailable(format!(
                        "no runtime image is known for `{program}`; set one with `dockside server edit {name} --runtime-image IMAGE`"
                    ))
                })?;
                let code = code_mounts(program, args, cwd.as_deref());
                // The script's project directory is the working directory unless `cwd` says.
                let workdir = cwd.or_else(|| code_files(program, args).next().map(project_dir));
                (image, command, code, workdir)
            };
            let mut volumes = render_all(
                server.volumes.as_deref().unwrap_or_default(),
                name,
                &state.config,
            );
            volumes.extend(code);
            Ok(Launch::Container(ContainerLaunch {
                image,
                args,
                env: env(),
                secrets: secrets(),
                volumes,
                workdir,
                user: server.user.clone(),
                extra_hosts: server.extra_hosts.clone().unwrap_or_default(),
                limits: state.limits.clone(),
                network: state.network_for(server),
                long_lived: server.long_lived(),
            }))
        }
    }
}

/// Whether `server` in `mode` runs its pinned package's install from the store (`managed`, and
/// `native` when the user asked for the pin there) or its image built from it (`docker`): the
/// package must then be installed before the server runs in that mode.
pub fn runs_install(server: &Server, state: &ServerState, mode: Mode) -> bool {
    server.package().is_some()
        && match mode {
            Mode::Managed | Mode::Docker => true,
            Mode::Native => state.native_pinned,
            Mode::Off => false,
        }
}

/// The pinned package a host command runs, and the arguments after the package.
fn pinned<'a>(
    server: &'a Server,
    command: &[String],
) -> Option<(&'a packages::Package, Vec<String>)> {
    let package = server.package()?;
    let invocation = packages::detect(command)?;
    (invocation.name == package.name).then_some((package, invocation.args))
}

/// The image that runs a host command in `docker` mode: the state's override, the catalog's
/// `x-dockside.runtimeImage`, the pinned package's runtime (its image is built from it), or one
/// inferred from the program's name.
pub fn runtime_image(server: &Server, state: &ServerState) -> Option<String> {
    let declared = server
        .dockside
        .as_ref()
        .and_then(|x| x.runtime_image.clone());
    let package = server
        .package()
        .map(packages::Package::default_runtime_image);
    state
        .runtime_image
        .clone()
        .or(declared)
        .or(package)
        .or_else(|| {
            let program = server.host_command()?.first()?;
            let program = Path::new(program).file_name()?.to_str()?;
            let image = match program {
                "node" | "npx" | "npm" | "tsx" => "node:22-slim",
                "bun" | "bunx" => "oven/bun:1-slim",
                "deno" => "denoland/deno:latest",
                "python" | "python3" => "python:3-slim",
                "uv" | "uvx" => "ghcr.io/astral-sh/uv:python3.12-bookworm-slim",
                _ => return None,
            };
            Some(image.to_owned())
        })
}

/// Files that mark a project's root directory.
const PROJECT_MARKERS: &[&str] = &[
    "package.json",
    "pyproject.toml",
    "deno.json",
    "deno.jsonc",
    "bun.lock",
    "bun.lockb",
    "uv.lock",
    "requirements.txt",
];

/// The project directory of a script: the nearest of its directory and the three above it that
/// holds a project file (`package.json`, `pyproject.toml`…), else the script's own directory.
/// Never `/` or the user's home directory itself.
pub fn project_dir(script: &Path) -> PathBuf {
    let dir = script.parent().unwrap_or(Path::new("/"));
    let home = std::env::var_os("HOME").map(PathBuf::from);
    dir.ancestors()
        .take(4)
        .filter(|d| d.parent().is_some() && Some(*d) != home.as_deref())
        .find(|d| PROJECT_MARKERS.iter().any(|m| d.join(m).is_file()))
        .unwrap_or(dir)
        .to_owned()
}

/// Directories of the operating system: a program there (`/usr/bin/node`) belongs to the
/// runtime image, never to the server's code.
const SYSTEM_DIRS: &[&str] = &["/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"];

/// The files a host command runs code from: the program itself when it is the user's own
/// binary (an absolute path outside [`SYSTEM_DIRS`]), then every absolute file argument.
fn code_files<'a>(program: &'a str, args: &'a [String]) -> impl Iterator<Item = &'a Path> {
    let program = Path::new(program);
    let own_binary = !SYSTEM_DIRS.iter().any(|dir| program.starts_with(dir));
    own_binary
        .then_some(program)
        .into_iter()
        .chain(args.iter().map(Path::new))
        .filter(|path| path.is_absolute() && path.is_file())
}

/// Read-only mounts, at the same paths, of the code a host command refers to: the project
/// directory ([`project_dir`]) of every file in [`code_files`], every directory argument, and
/// `cwd`.
fn code_mounts(program: &str, args: &[String], cwd: Option<&Path>) -> Vec<String> {
    let mut paths: Vec<PathBuf> = code_files(program, args).map(project_dir).collect();
    paths.extend(
        args.iter()
            .map(Path::new)
            .filter(|p| p.is_absolute() && p.is_dir())
            .map(Path::to_owned),
    );
    paths.extend(cwd.map(Path::to_owned));
    let mut mounts: Vec<String> = Vec::new();
    for path in paths {
        let mount = format!("{0}:{0}:ro", path.display());
        if !mounts.contains(&mount) {
            mounts.push(mount);
        }
    }
    mounts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(yaml: &str) -> Server {
        yaml_serde::from_str(yaml).unwrap()
    }

    /// How server `s` runs in `mode`, which must resolve.
    fn launch(s: &Server, st: &ServerState, mode: Mode) -> Launch {
        resolve("s", s, st, mode, &store()).unwrap()
    }

    fn host(launch: Launch) -> HostLaunch {
        match launch {
            Launch::Host(h) => h,
            other => panic!("not a host process: {other:?}"),
        }
    }

    fn container(launch: Launch) -> ContainerLaunch {
        match launch {
            Launch::Container(c) => c,
            other => panic!("not a container: {other:?}"),
        }
    }

    fn remote(launch: Launch) -> RemoteLaunch {
        match launch {
            Launch::Remote(r) => r,
            other => panic!("not remote: {other:?}"),
        }
    }

    fn store() -> Store {
        Store::at("/store")
    }

    fn state(yaml: &str) -> ServerState {
        yaml_serde::from_str(yaml).unwrap()
    }

    #[test]
    fn host_command_runs_on_the_host_with_rendered_env() {
        let s = server("command: [bun, run, /p/index.ts]\nenv: [{name: HOST, value: '{{s.host}}'}]\nx-dockside: {cwd: /p}");
        let launch = launch(&s, &state("config: {host: h}"), Mode::Managed);
        let host = host(launch);
        assert_eq!(
            (host.program.as_str(), host.args.as_slice()),
            ("bun", &["run".to_owned(), "/p/index.ts".to_owned()][..])
        );
        assert_eq!(host.env["HOST"], "h");
        assert_eq!(host.cwd.as_deref(), Some(Path::new("/p")));
    }

    #[test]
    fn host_command_in_docker_mode_uses_a_runtime_image_and_mounts_its_code() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("index.ts");
        std::fs::write(&script, "").unwrap();
        let s = server(&format!("command: [bun, run, {}]", script.display()));
        let c = container(launch(&s, &ServerState::default(), Mode::Docker));
        assert_eq!(c.image, "oven/bun:1-slim");
        assert_eq!(c.args[0], "bun");
        assert_eq!(c.volumes, [format!("{0}:{0}:ro", dir.path().display())]);
        let c = container(launch(&s, &state("runtimeImage: my/bun"), Mode::Docker));
        assert_eq!(c.image, "my/bun");
        let unknown = server("command: [/opt/mystery]");
        let err = resolve(
            "s",
            &unknown,
            &ServerState::default(),
            Mode::Docker,
            &store(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("--runtime-image"), "{err}");
    }

    #[test]
    fn a_compiled_binary_runs_from_its_mounted_directory_and_system_programs_are_not_mounted() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("server");
        std::fs::write(&binary, "").unwrap();
        let s = server(&format!("command: [{}]", binary.display()));
        let c = container(launch(&s, &state("runtimeImage: scratch/x"), Mode::Docker));
        assert_eq!(c.volumes, [format!("{0}:{0}:ro", dir.path().display())]);
        assert_eq!(c.workdir.as_deref(), Some(dir.path()));

        let script = dir.path().join("index.js");
        std::fs::write(&script, "").unwrap();
        let s = server(&format!("command: [/usr/bin/node, {}]", script.display()));
        let c = container(launch(&s, &state("runtimeImage: my/node"), Mode::Docker));
        assert_eq!(c.volumes, [format!("{0}:{0}:ro", dir.path().display())]);
    }

    #[test]
    fn the_project_directory_is_mounted_and_is_the_working_directory() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        std::fs::write(dir.path().join("package.json"), "{}").unwrap();
        let script = src.join("server.js");
        std::fs::write(&script, "").unwrap();
        let s = server(&format!("command: [node, {}]", script.display()));
        let c = container(launch(&s, &ServerState::default(), Mode::Docker));
        assert_eq!(c.image, "node:22-slim");
        assert_eq!(c.volumes, [format!("{0}:{0}:ro", dir.path().display())]);
        assert_eq!(c.workdir.as_deref(), Some(dir.path()));
        let py = server(&format!("command: [python3, {}]", script.display()));
        let c = container(launch(&py, &ServerState::default(), Mode::Docker));
        assert_eq!(c.image, "python:3-slim");
    }

    #[test]
    fn container_needs_a_host_command_for_host_modes() {
        let s = server("image: mcp/x\ncommand: ['{{s.paths|volume-target|into}}']\nvolumes: ['{{s.paths|volume|into}}']\ndisableNetwork: true");
        let st = state("config: {paths: [/a]}\nlimits: {cpus: 1}");
        let c = container(launch(&s, &st, Mode::Docker));
        assert_eq!(
            (c.args, c.volumes, c.network),
            (
                vec!["/a".to_owned()],
                vec!["/a:/a".to_owned()],
                Network::None
            )
        );
        assert_eq!(c.limits.cpus.unwrap().get(), 1.0);
        let err = resolve("s", &s, &st, Mode::Native, &store()).unwrap_err();
        assert!(err.to_string().contains("hostCommand"), "{err}");
    }

    #[test]
    fn a_pinned_package_runs_from_the_store_or_its_image_and_natively_as_written() {
        let s = server(
            "command: [npx, -y, '@m/server-x', /data]\n\
             x-dockside: {package: {type: npm, name: '@m/server-x', version: 1.2.3, integrity: sha512-x, entry: dist/index.js}}",
        );
        let st = ServerState::default();
        let native = host(launch(&s, &st, Mode::Native));
        assert_eq!((native.program.as_str(), native.args.len()), ("npx", 3));
        let managed = host(launch(&s, &st, Mode::Managed));
        assert_eq!(managed.program, "node");
        assert_eq!(
            managed.args,
            [
                "/store/npm/@m+server-x@1.2.3/node_modules/@m/server-x/dist/index.js",
                "/data"
            ]
        );
        let c = container(launch(&s, &st, Mode::Docker));
        assert!(
            c.image.starts_with("dockside-pkg/npm-m-server-x:1.2.3-"),
            "{}",
            c.image
        );
        assert_eq!(
            c.args,
            [
                "node",
                "/opt/dockside/node_modules/@m/server-x/dist/index.js",
                "/data"
            ]
        );
        assert!(c.volumes.is_empty() && c.workdir.is_none());
        assert_eq!(c.network, Network::None);
        // Native runs the pinned install when the user asks for it.
        let pinned = state("nativePinned: true");
        assert!(pinned.native_pinned && runs_install(&s, &pinned, Mode::Native));
        assert!(!runs_install(&s, &st, Mode::Native) && runs_install(&s, &st, Mode::Managed));
        assert_eq!(host(launch(&s, &pinned, Mode::Native)), managed);
        // Another base image is another package image.
        let other = container(launch(&s, &state("runtimeImage: my/node"), Mode::Docker));
        assert_ne!(other.image, c.image);
        // A command edited to run another package no longer uses the pin.
        let mut edited = s.clone();
        edited.command = Some(vec!["npx".into(), "-y".into(), "other".into()]);
        let h = host(launch(&edited, &st, Mode::Managed));
        assert_eq!(h.program, "npx");
    }

    #[test]
    fn remote_is_an_url() {
        let s = server("type: remote\nremote: {url: https://h/mcp, transport_type: http}");
        let r = remote(launch(&s, &ServerState::default(), Mode::Managed));
        assert_eq!(r.url, "https://h/mcp");
        assert!(resolve("s", &s, &ServerState::default(), Mode::Docker, &store()).is_err());
    }
}
