//! `dockside server …`: define servers and switch their mode.

use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::bail;
use clap::Subcommand;
use dockside_core::catalog::{EnvVar, Server, ServerKind, ServerType};
use dockside_core::state::{Cpus, Memory, ServerState};
use dockside_core::{launch, Mode, NetworkPolicy};
use serde_json::json;

use super::{change, print_json, server_package, workspace};

/// Add, edit, list and remove servers, and switch their mode
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// List servers with their mode and how they run
    List(List),
    /// Add a server: a host command (after `--`), a container image (--image) or a remote URL (--url)
    #[command(long_about = "Add a server to a catalog (default: `local`).\n\n\
        With a command and no --image, the server is a host command (e.g. `-- bun run /path/index.ts`): native and \
        managed modes run it on the host, docker mode runs it in a runtime image (--runtime-image, or inferred for \
        node/npx/bun/deno/python/uv) with its code mounted read-only.\n\
        With --image, the server is a container and the command after `--` holds the container's arguments, as in \
        Docker's catalogs; --host-command \"PROGRAM ARGS…\" says how to also run it on the host.\n\
        With --url, the server is remote (Docker's `remote: {url, transport_type, headers}`): managed mode makes the \
        gateway its client, native mode gives clients its URL (or a `dockside connect --server NAME` entry); \
        --transport streamable-http|sse (default: Streamable HTTP, falling back to SSE), --header NAME=VALUE \
        (a value may name a stored secret as ${secret:NAME}; a secret value given as is goes to the secret store). \
        See docs/REMOTE.md.\n\n\
        Examples: dockside server add notes --env NOTES_DIR=/data -- node /home/me/notes/index.js\n\
        \x20         dockside server add linear --url https://mcp.linear.app/mcp --header 'Authorization=Bearer ${secret:linear.token}'")]
    Add(Box<Add>),
    /// Change a server's definition; flags as for `add`, only the given ones change
    Edit(Box<Edit>),
    /// Switch a server between native, managed, docker and off
    #[command(long_about = "Switch a server's mode:\n  \
        native   the AI client runs it directly (needs a host command)\n  \
        managed  the Dockside gateway runs it on the host, supervised (needs a host command, or a remote URL)\n  \
        docker   the Dockside gateway runs it in a container\n  \
        off      nobody runs it")]
    Mode(SetMode),
    /// Remove a server from its catalog and the state
    Remove(Remove),
    /// The image a server runs in docker mode: show it, --pull it, or --build it
    Image(super::server_image::ImageArgs),
    /// Restart a server in the running daemon (also gets it out of a crash loop)
    Restart(Restart),
    /// Package servers (npx, uvx…): show the newest version and move the pin
    #[command(
        long_about = "A server started through a package launcher (npx -y PKG, uvx PKG, bunx, pnpm dlx, \
        yarn dlx, pipx run, deno run npm:PKG) has its exact version pinned in its catalog (x-dockside.package) and \
        installed once in Dockside's package store; managed and docker modes run that install, nothing is \
        downloaded when it starts.\n\n\
        `update` resolves what the command asks for (a version, a range, or the latest) from the registry your \
        npm or pip is configured for, shows the pinned and the newest version, moves the pin and installs it \
        (and builds its image in docker mode). --check only shows."
    )]
    Update(super::server_package::UpdateArgs),
}

#[derive(clap::Args)]
struct Restart {
    /// Server name
    name: String,
}

#[derive(clap::Args)]
struct List {
    /// Print JSON
    #[arg(long)]
    json: bool,
}

/// The definition flags shared by `add` and `edit`.
#[derive(clap::Args)]
struct Definition {
    /// Container image; makes the server a container (the command becomes its arguments)
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// How to run an image's server on the host too (native/managed modes), as one shell-quoted
    /// string, e.g. "github-mcp-server stdio"; "" removes it
    #[arg(long, value_name = "COMMAND", value_parser = parse_host_command)]
    host_command: Option<Argv>,
    /// Image that runs a host command in docker mode
    #[arg(long, value_name = "IMAGE")]
    runtime_image: Option<String>,
    /// Tool name prefix in the aggregated gateway view
    #[arg(long, value_name = "PREFIX", conflicts_with = "no_prefix")]
    prefix: Option<String>,
    /// No tool name prefix
    #[arg(long)]
    no_prefix: bool,
    /// Keep the server running between calls (--long-lived=false to undo)
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    long_lived: Option<bool>,
    /// Environment variable (repeatable); replaces a variable of the same name
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    env: Vec<(String, String)>,
    /// Working directory of the host command
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,
    /// Human-readable title
    #[arg(long)]
    title: Option<String>,
    /// What the server does
    #[arg(long)]
    description: Option<String>,
    /// A remote server's MCP endpoint (http:// or https://); makes the server remote
    #[arg(long, value_name = "URL", value_parser = parse_url, conflicts_with_all = ["image", "host_command", "runtime_image", "command"])]
    url: Option<String>,
    /// The remote server's transport [default: Streamable HTTP, falling back to SSE]
    #[arg(long, value_name = "streamable-http|sse", value_parser = parse_transport)]
    transport: Option<String>,
    /// A header sent to the remote server (repeatable), e.g. 'Authorization=Bearer ${secret:NAME}'
    /// (or 'NAME: VALUE');
    /// a secret value given here goes to the secret store and the catalog names it
    #[arg(long = "header", value_name = "NAME=VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// Host command, or the container's arguments with --image
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

/// The run-time flags shared by `add` and `edit`, kept in the state rather than the catalog.
#[derive(clap::Args)]
struct Runtime {
    /// CPU limit, e.g. 0.5 or 2
    #[arg(long, value_name = "CPUS", value_parser = parse_cpus)]
    cpus: Option<Cpus>,
    /// Memory limit, e.g. 512m or 2g
    #[arg(long, value_name = "SIZE")]
    memory: Option<Memory>,
    /// Maximum number of processes
    #[arg(long, value_name = "N")]
    pids: Option<NonZeroU32>,
    /// Network access in docker mode: catalog (as the catalog says), none, or open
    #[arg(long, value_name = "catalog|none|open")]
    network: Option<NetworkPolicy>,
    /// A host the server may reach in docker mode, through the egress proxy (repeatable):
    /// `HOST` (ports 80 and 443) or `HOST:PORT`
    #[arg(long = "allow-host", value_name = "HOST[:PORT]")]
    allow_hosts: Vec<String>,
    /// Native mode of a package server: client entries run the pinned install instead of the
    /// launcher command as written (`npx -y …`); --native-pinned=false to undo
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    native_pinned: Option<bool>,
}

#[derive(clap::Args)]
struct Add {
    /// Server name (letters, digits, `.`, `_`, `-`)
    name: String,
    /// Catalog to add it to
    #[arg(long, default_value = "local")]
    catalog: String,
    /// Initial mode [default: managed for a host command, docker for an image]
    #[arg(long, value_name = "native|managed|docker|off")]
    mode: Option<Mode>,
    #[command(flatten)]
    definition: Definition,
    #[command(flatten)]
    runtime: Runtime,
}

#[derive(clap::Args)]
struct Edit {
    /// Server name
    name: String,
    #[command(flatten)]
    definition: Definition,
    #[command(flatten)]
    runtime: Runtime,
}

#[derive(clap::Args)]
struct SetMode {
    /// Server name
    name: String,
    /// native, managed, docker or off
    #[arg(value_name = "native|managed|docker|off")]
    mode: Mode,
    /// Print the server's new status as JSON (the daemon's `ServerStatus` when it runs)
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct Remove {
    /// Server name
    name: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::List(list) => run_list(list.json),
        Action::Add(add) => run_add(*add),
        Action::Edit(edit) => run_edit(*edit),
        Action::Mode(set) => set_mode(set),
        Action::Image(image) => super::server_image::run(image),
        Action::Update(update) => super::server_package::update(update),
        Action::Restart(r) => {
            let s = restart_server(&r.name)?;
            let pid = s.pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
            println!("{}: restarted{pid}", s.name);
            Ok(())
        }
        Action::Remove(remove) => {
            change(|ws| Ok(ws.remove_server(&remove.name)?))?;
            println!("removed {}", remove.name);
            Ok(())
        }
    }
}

/// `dockside server mode NAME MODE`: through the running daemon when there is one (it saves,
/// syncs the connected clients and applies the change once), else the same change here
/// (`dockside_core::change::set_mode`: save and sync, all or nothing).
fn set_mode(set: SetMode) -> anyhow::Result<()> {
    let home = dockside_core::Home::from_env()?;
    if let Some(client) = dockside_api::DaemonClient::for_home(&home) {
        let rt = dockside_gateway::service::run::runtime()?;
        match rt.block_on(client.set_mode(&set.name, set.mode)) {
            Ok(status) => {
                if set.json {
                    println!("{}", serde_json::to_string_pretty(&status)?);
                } else {
                    let state = serde_json::to_value(status.state)?;
                    let state = state.as_str().unwrap_or("?");
                    println!("{}: {} ({state})", set.name, set.mode);
                }
                return Ok(());
            }
            // Not answering: the change is made here; the daemon applies it when it reloads.
            Err(dockside_api::ClientError::Unreachable { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let ws = dockside_core::Workspace::load(home.clone())?;
    if let Some(e) = ws.server(&set.name) {
        server_package::prepare(&ws.packages(), &set.name, e.server, &e.state, set.mode)?;
    }
    let applied = dockside_core::change::set_mode(
        &dockside_core::clients::Context::for_home(home.root()),
        &set.name,
        set.mode,
    )?;
    if set.json {
        let status = serde_json::json!({"name": set.name, "mode": set.mode});
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        for (target, out) in &applied.synced {
            super::client::report(target, out);
        }
        println!("{}: {}", set.name, set.mode);
    }
    Ok(())
}

fn run_add(add: Add) -> anyhow::Result<()> {
    let def = &add.definition;
    if def.image.is_none() && def.command.is_empty() && def.url.is_none() {
        bail!("give the server something to run: a command after `--` (e.g. `-- node index.js`), --image IMAGE or --url URL");
    }
    if def.url.is_none() && (def.transport.is_some() || !def.headers.is_empty()) {
        bail!("--transport and --header are for a remote server: give its --url too");
    }
    let mut server = Server::default();
    add.definition.apply(&mut server)?;
    store_header_secrets(&add.name, &mut server)?;
    let mode = add.mode.unwrap_or(match server.kind() {
        Some(ServerKind::Container) => Mode::Docker,
        _ => Mode::Managed,
    });
    // A package server is pinned and installed before it is added, so a running daemon starts
    // it from the store.
    let store = dockside_core::packages::Store::new(&dockside_core::Home::from_env()?);
    server_package::pin_one(&store, &add.name, &mut server);
    let mut state = ServerState::default();
    add.runtime.apply(&mut state);
    server_package::prepare(&store, &add.name, &server, &state, mode)?;
    change(|ws| {
        ws.add_server(&add.catalog, &add.name, server)?;
        *ws.state_mut().server_mut(&add.name) = state;
        Ok(ws.set_mode(&add.name, mode)?)
    })?;
    println!("added {} to catalog `{}` ({mode})", add.name, add.catalog);
    Ok(())
}

fn run_edit(edit: Edit) -> anyhow::Result<()> {
    let Edit {
        name,
        definition,
        runtime,
    } = edit;
    let ws = workspace()?;
    let entry = ws
        .server(&name)
        .ok_or_else(|| dockside_core::Error::UnknownServer(name.clone()))?;
    let (before_server, before_state) = (entry.server.clone(), entry.state.into_owned());
    let (mut server, mut state) = (before_server.clone(), before_state.clone());
    if server.remote.is_none()
        && definition.url.is_none()
        && (definition.transport.is_some() || !definition.headers.is_empty())
    {
        anyhow::bail!("--transport and --header are for a remote server, and `{name}` is not one (--url makes it one)");
    }
    definition.apply(&mut server)?;
    store_header_secrets(&name, &mut server)?;
    runtime.apply(&mut state);
    // What the edit makes the server run (a pinned install in native mode) is there first.
    server_package::prepare(&ws.packages(), &name, &server, &state, state.mode)?;
    let changed = (&server, &state) != (&before_server, &before_state);
    change(|ws| {
        if server != before_server {
            *ws.server_mut(&name)? = server;
        }
        if state != before_state {
            *ws.state_mut().server_mut(&name) = state;
        }
        Ok(())
    })?;
    if changed {
        println!("updated {name}");
    } else {
        println!("{name}: nothing to change");
    }
    Ok(())
}

impl Runtime {
    fn apply(self, state: &mut ServerState) {
        let limits = &mut state.limits;
        limits.cpus = self.cpus.or(limits.cpus);
        limits.memory = self.memory.or(limits.memory.take());
        limits.pids = self.pids.or(limits.pids);
        state.network = self.network.unwrap_or(state.network);
        state.native_pinned = self.native_pinned.unwrap_or(state.native_pinned);
        for host in self.allow_hosts {
            if !state.allow_hosts.contains(&host) {
                state.allow_hosts.push(host);
            }
        }
    }
}

fn parse_cpus(text: &str) -> Result<Cpus, String> {
    let cpus: f64 = text
        .parse()
        .map_err(|_| format!("expected a number of CPUs, got `{text}`"))?;
    Cpus::try_from(cpus)
}

impl Definition {
    fn apply(self, server: &mut Server) -> anyhow::Result<()> {
        if let Some(image) = self.image {
            server.image = Some(image);
            // Docker's catalogs always say what a server is.
            server.server_type.get_or_insert(ServerType::Server);
        }
        if let Some(Argv(command)) = self.host_command {
            server.extension_mut().host_command = (!command.is_empty()).then_some(command);
        }
        if let Some(image) = self.runtime_image {
            server.extension_mut().runtime_image = Some(image);
        }
        if let Some(cwd) = self.cwd {
            server.extension_mut().cwd = Some(std::path::absolute(cwd)?);
        }
        if self.prefix.is_some() || self.no_prefix {
            server.prefix = Some(self.prefix.unwrap_or_default());
        }
        if self.long_lived.is_some() {
            server.long_lived = self.long_lived;
        }
        if self.title.is_some() {
            server.title = self.title;
        }
        if self.description.is_some() {
            server.description = self.description;
        }
        let env = server.env.get_or_insert_with(Vec::new);
        for (name, value) in self.env {
            match env.iter_mut().find(|var| var.name == name) {
                Some(var) => var.value = Some(value),
                None => env.push(EnvVar {
                    name,
                    value: Some(value),
                    ..EnvVar::default()
                }),
            }
        }
        if env.is_empty() {
            server.env = None;
        }
        if !self.command.is_empty() {
            server.command = Some(self.command);
        }
        if let Some(url) = self.url {
            server.server_type = Some(ServerType::Remote);
            server.remote.get_or_insert_with(Default::default).url = Some(url);
        }
        if let Some(remote) = server.remote.as_mut() {
            if self.transport.is_some() {
                remote.transport_type = self.transport;
            }
            if !self.headers.is_empty() {
                remote
                    .headers
                    .get_or_insert_with(Default::default)
                    .extend(self.headers);
            }
        }
        Ok(())
    }
}

/// Moves secret header values given on the command line to the secret store; the catalog
/// names them as `${secret:NAME}`.
fn store_header_secrets(name: &str, server: &mut Server) -> anyhow::Result<()> {
    let Some(headers) = server.remote.as_mut().and_then(|r| r.headers.as_mut()) else {
        return Ok(());
    };
    let moved = dockside_core::secrets::move_header_secrets(name, headers);
    if moved.is_empty() {
        return Ok(());
    }
    let store = dockside_core::secrets::SecretStore::open(&dockside_core::Home::from_env()?);
    for (secret, header, value) in moved {
        store.set(&secret, &value)?;
        println!("header {header}: its value went to the secret store as `{secret}`");
    }
    Ok(())
}

fn parse_url(text: &str) -> Result<String, String> {
    dockside_gateway::upstream::remote::check_url(text).map(|()| text.trim().to_owned())
}

fn parse_transport(text: &str) -> Result<String, String> {
    match dockside_gateway::upstream::remote::Transport::parse(Some(text))? {
        dockside_gateway::upstream::remote::Transport::Sse => Ok("sse".into()),
        _ => Ok("streamable-http".into()),
    }
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    // `NAME=VALUE`, or curl's `NAME: VALUE`: whichever separator comes first.
    let at = text.find(['=', ':']).ok_or_else(|| {
        "expected NAME=VALUE, e.g. 'Authorization=Bearer ${secret:NAME}'".to_owned()
    })?;
    let header = (
        text[..at].trim().to_owned(),
        text[at + 1..].trim().to_owned(),
    );
    dockside_gateway::upstream::remote::header_map(std::slice::from_ref(&header))?;
    Ok(header)
}

/// A command line given as one shell-quoted string.
#[derive(Clone)]
struct Argv(Vec<String>);

fn parse_host_command(text: &str) -> Result<Argv, String> {
    shlex::split(text)
        .map(Argv)
        .ok_or_else(|| format!("cannot split `{text}` into arguments: check its quotes"))
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got `{text}`")),
    }
}

fn run_list(as_json: bool) -> anyhow::Result<()> {
    let ws = workspace()?;
    if as_json {
        let servers: Vec<_> = ws
            .servers()
            .map(|entry| {
                let server = entry.server;
                json!({
                    "name": entry.name,
                    "catalog": entry.catalog.id,
                    "mode": entry.state.mode,
                    "kind": server.kind(),
                    "title": server.title,
                    "description": server.description,
                    "image": server.image,
                    "command": server.command,
                    "hostCommand": server.host_command(),
                    "runtimeImage": launch::runtime_image(server, &entry.state),
                    "remote": server.remote.as_ref().and_then(|r| r.url.clone()),
                    "prefix": server.prefix,
                    "longLived": server.long_lived(),
                    "limits": entry.state.limits,
                    "network": entry.state.network,
                    "tools": entry.state.tools,
                })
            })
            .collect();
        return print_json(&json!(servers));
    }
    if ws.servers().next().is_none() {
        println!("no servers; add one with `dockside server add NAME -- COMMAND…` or try `dockside catalog demo`");
        return Ok(());
    }
    let rows: Vec<[String; 4]> = ws
        .servers()
        .map(|entry| {
            let server = entry.server;
            // What the server runs in its current mode; `off` shows what it would run.
            let runs = match ws.launch(entry.name) {
                Ok(launch::Launch::Host(host)) => [&host.program]
                    .into_iter()
                    .chain(&host.args)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
                Ok(launch::Launch::Container(container)) => {
                    format!("{} (container)", container.image)
                }
                Ok(launch::Launch::Remote(remote)) => remote.url,
                Err(_) => server
                    .host_command()
                    .map(|command| command.join(" "))
                    .or_else(|| server.remote.as_ref().and_then(|r| r.url.clone()))
                    .or_else(|| server.image.clone())
                    .unwrap_or_default(),
            };
            [
                entry.name.to_owned(),
                entry.state.mode.to_string(),
                entry.catalog.id.clone(),
                runs,
            ]
        })
        .collect();
    let header = ["NAME", "MODE", "CATALOG", "RUNS"].map(str::to_owned);
    let width = |column: usize| {
        rows.iter()
            .chain([&header])
            .map(|row| row[column].len())
            .max()
            .unwrap_or(0)
    };
    let (name, mode, catalog) = (width(0), width(1), width(2));
    for [a, b, c, d] in [header].iter().chain(&rows) {
        println!("{a:<name$}  {b:<mode$}  {c:<catalog$}  {d}");
    }
    Ok(())
}

/// `dockside server restart NAME`: restarts a server in the running daemon, also out of a
/// crash loop; the error says why when it does not start.
fn restart_server(name: &str) -> anyhow::Result<dockside_api::ServerStatus> {
    let home = dockside_core::Home::from_env()?;
    let Some(client) = dockside_api::DaemonClient::for_home(&home) else {
        anyhow::bail!(
            "the Dockside daemon is not running (home {}); `dockside daemon` starts it",
            home.root().display()
        );
    };
    let rt = dockside_gateway::service::run::runtime()?;
    Ok(rt.block_on(client.post(&format!("/api/servers/{name}/restart"), None))?)
}
