//! `dockside exec NAME`: what a native server with secrets runs as in a client's file. It
//! starts the server's own command with its environment, its working directory and its
//! secrets from the store, so the client file holds no secret; on Unix it *replaces* itself
//! with the server (same process, stdin/stdout/stderr inherited), so the client talks to the
//! server directly, at native speed. Everything it says goes to stderr: stdout is the MCP
//! channel.

use anyhow::{bail, Context as _};
use clap::Args;
use dockside_core::secrets::{self, SecretStore};
use dockside_core::{Home, Launch, Mode, Workspace};

#[derive(Debug, Args)]
#[command(
    long_about = "Run a server's native command with its secrets from Dockside's secret store.\n\n\
        This is the entry Dockside writes into an AI client's config file for a `native` server \
        that declares `secrets:` (e.g. a token moved out of the client file by `dockside client \
        import`): the file holds `dockside exec NAME`, never the secret. The command, its \
        environment and working directory come from the catalogs under $DOCKSIDE_HOME; on Unix \
        `dockside exec` replaces itself with the server's process. Nothing is printed on stdout."
)]
pub struct ExecArgs {
    /// The server's name (as in `dockside server list`).
    pub name: String,
}

pub fn run(args: ExecArgs) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let ws = Workspace::load(home.clone())?;
    let name = args.name.as_str();
    if ws.server(name).is_none() {
        let known: Vec<&str> = ws.servers().map(|e| e.name).collect();
        bail!(
            "no server named `{name}` in the catalogs in {} (known: {}); `dockside server list` shows them",
            home.catalogs_dir().display(),
            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
        );
    }
    let host = match ws.launch_in(name, Mode::Native)? {
        Launch::Host(host) => host,
        Launch::Remote(r) => bail!(
            "server `{name}` is the remote server {}; a client reaches it by its URL, not by `dockside exec`",
            r.url
        ),
        Launch::Container(_) => bail!("server `{name}` has no host command to run natively"),
    };
    let store = SecretStore::open(&home);
    let resolved = secrets::resolve(&host.secrets, None, Some(&store))
        .with_context(|| format!("reading the secrets of `{name}` from {}", store.describe()))?;
    if !resolved.missing.is_empty() {
        let sets: Vec<String> = (resolved.missing.iter())
            .map(|s| format!("`dockside secret set {s}`"))
            .collect();
        bail!(
            "server `{name}` needs the secret(s) {} that {} does not hold; set them with {}",
            resolved.missing.join(", "),
            store.describe(),
            sets.join(", ")
        );
    }
    let mut command = std::process::Command::new(&host.program);
    command.args(&host.args).envs(&host.env).envs(resolved.env);
    if let Some(cwd) = &host.cwd {
        command.current_dir(cwd);
    }
    exec(command, name, &host.program)
}

#[cfg(unix)]
fn exec(mut command: std::process::Command, name: &str, program: &str) -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    // Only returns on failure.
    let err = command.exec();
    bail!("cannot start server `{name}` (`{program}`): {err}")
}

#[cfg(not(unix))]
fn exec(mut command: std::process::Command, name: &str, program: &str) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start server `{name}` (`{program}`)"))?;
    std::process::exit(status.code().unwrap_or(1))
}
