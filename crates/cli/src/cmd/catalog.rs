//! `dockside catalog …`: Docker import/export, validation, listing, the demo catalog.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use dockside_core::catalog::CatalogFile;
use dockside_core::clients::Env;
use dockside_core::docker_toolkit::{self, Source};
use dockside_core::secrets::SecretStore;
use dockside_core::{demo, docker_legacy, validate, Home, State};
use serde_json::json;

use super::{change, client, print_json, workspace};

/// Manage catalogs: import from and export to Docker, validate, list, install the demo
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Import the servers of a Docker MCP Toolkit setup (a profile, or the legacy files)
    #[command(
        long_about = "Import the servers Docker MCP Toolkit runs (its `MCP_DOCKER` entry in AI clients).\n\n\
        Profiles: reads DIR/mcp-toolkit.db (read-only; Docker's profiles database) and brings over the servers of \
        one profile: --profile NAME, else the profile the clients' `MCP_DOCKER` entries run \
        (`docker mcp gateway run --profile NAME`), else `default`. They go to the catalog `docker-<profile>` with \
        the same images and secret names; their config values and tool allow-lists go to the state. New image \
        servers start in `docker` mode, remote servers in `managed` mode (Dockside's gateway is their client, as \
        Docker's was). Secret values are not copied from Docker: the import lists the secrets that \
        `dockside secret set NAME` must still set.\n\n\
        Legacy setup (no database, or no profile `default` in it yet): reads DIR/catalogs/*.yaml, DIR/registry.yaml \
        (the enabled servers), DIR/config.yaml (config values) and DIR/tools.yaml (tool allow-lists). Each enabled \
        server is copied verbatim into the Dockside catalog named like its Docker catalog file. New servers start \
        in `docker` mode (images) or `managed` mode (remotes).\n\n\
        Re-importing updates the servers and keeps their mode. Docker's files are never written; \
        `dockside switch production --replace-docker-gateway` replaces the clients' `MCP_DOCKER` entries."
    )]
    Import(Import),
    /// Write Dockside's catalogs as a Docker MCP Toolkit setup
    #[command(
        long_about = "Write Dockside's catalogs as a legacy Docker MCP Toolkit setup: DIR/catalogs/<catalog>.yaml, \
        DIR/registry.yaml (servers not `off`), and DIR/config.yaml / DIR/tools.yaml when there are values. \
        `docker mcp gateway run --catalog … --registry …` accepts the result. Host-command servers are left out: \
        Docker runs images and remotes only."
    )]
    Export(Export),
    /// Check catalogs (and the state) and report every problem with its file:line:col
    Validate(Validate),
    /// List Dockside's catalogs
    List(List),
    /// Install the demo catalog (server `demo`, managed mode); safe to run again
    #[command(long_about = "Install the demo catalog `demo` with server `demo`.\n\n\
        On the host the server is `dockside-demo-server`, taken from the directory of this `dockside` binary, else \
        from PATH (stored as an absolute path); in docker mode it is the image `dockside/demo-server:local` \
        (built locally by scripts/demo). A first install puts it in managed mode; running it again changes nothing \
        except a moved binary's path.")]
    Demo,
}

#[derive(clap::Args)]
struct Import {
    /// Docker's MCP directory to read [default: ~/.docker/mcp]
    #[arg(long, value_name = "DIR", num_args = 0..=1, required = true)]
    docker: Option<Option<PathBuf>>,
    /// The Docker MCP Toolkit profile to import [default: the one the clients' MCP_DOCKER entries run, else `default`]
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Print JSON
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct Export {
    /// Directory to write (use ~/.docker/mcp for Docker to find the catalogs)
    #[arg(long, value_name = "DIR")]
    docker: PathBuf,
}

#[derive(clap::Args)]
struct Validate {
    /// Catalog files to check [default: Dockside's catalogs and state]
    files: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct List {
    /// Print JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Import(import) => run_import(import),
        Action::Export(export) => run_export(&export.docker),
        Action::Validate(validate) => run_validate(&validate.files),
        Action::List(list) => run_list(list.json),
        Action::Demo => run_demo(),
    }
}

fn run_import(import: Import) -> anyhow::Result<()> {
    let env = Env::from_process();
    let dir = import
        .docker
        .flatten()
        .unwrap_or_else(|| docker_toolkit::default_dir(&env));
    let (profile, named) = match import.profile {
        Some(profile) => (profile, true),
        None => (
            docker_toolkit::profile_in_use(&docker_toolkit::sightings(&env))?,
            false,
        ),
    };
    let home = Home::from_env()?;
    let ctx = dockside_core::clients::Context::for_home(home.root());
    let (imported, applied) = dockside_core::change::apply(&ctx, |ws| {
        docker_toolkit::import(ws, &dir, &profile, named).map_err(anyhow::Error::from)
    })?;
    let store = SecretStore::open(&home);
    let missing = imported.missing_secrets(&store.names()?);
    if import.json {
        let mut out = serde_json::to_value(&imported)?;
        out["missingSecrets"] = json!(missing);
        out["syncedClients"] = json!(applied
            .synced
            .iter()
            .map(|(t, _)| t.key())
            .collect::<Vec<_>>());
        return print_json(&out);
    }
    for (target, out) in &applied.synced {
        client::report(target, out);
    }
    for s in &imported.servers {
        let what = if s.added { "imported" } else { "updated" };
        let from = s.image.as_deref().or(s.url.as_deref()).unwrap_or_default();
        println!(
            "{what} {} ({}) into catalog `{}`: {from}",
            s.name, s.mode, s.catalog
        );
        if let Some(note) = &s.note {
            println!("  note: {note}");
        }
    }
    for s in &imported.skipped {
        println!("skipped {}: {}", s.name, s.reason);
    }
    for note in &imported.notes {
        println!("note: {note}");
    }
    let from = match &imported.source {
        Source::Profile {
            path,
            profile,
            name,
        } => format!("profile `{profile}` ({name}) of {}", path.display()),
        Source::Legacy { path } => path.display().to_string(),
    };
    println!("{} server(s) imported from {from}", imported.servers.len());
    if !missing.is_empty() {
        println!(
            "secrets to set before these servers can start (Docker's values stay in Docker; {}):",
            store.describe()
        );
        for name in &missing {
            println!("  dockside secret set {name}");
        }
    }
    Ok(())
}

fn run_export(dir: &Path) -> anyhow::Result<()> {
    let ws = workspace()?;
    ws.validate()?;
    let exported = docker_legacy::export(&ws, dir)?;
    if !exported.skipped.is_empty() {
        println!(
            "left out (host commands, which Docker cannot run): {}",
            exported.skipped.join(", ")
        );
    }
    let mut command = String::from("docker mcp gateway run");
    for path in &exported.catalogs {
        command += &format!(" --catalog {}", path.display());
    }
    command += &format!(" --registry {}", exported.registry.display());
    if let Some(config) = &exported.config {
        command += &format!(" --config {}", config.display());
    }
    if let Some(tools) = &exported.tools {
        command += &format!(" --tools-config {}", tools.display());
    }
    println!("wrote {}; run it with:\n  {command}", dir.display());
    println!("(Docker only reads catalogs under ~/.docker/mcp/catalogs: export there, or copy them, to use them)");
    Ok(())
}

fn run_validate(files: &[PathBuf]) -> anyhow::Result<()> {
    let (catalogs, servers) = if files.is_empty() {
        let ws = workspace()?;
        ws.validate()?;
        (ws.catalogs().len(), ws.servers().count())
    } else {
        let mut issues = Vec::new();
        let mut loaded: Vec<CatalogFile> = Vec::new();
        for path in files {
            match CatalogFile::load(path) {
                Ok(file) => loaded.push(file),
                Err(dockside_core::Error::Invalid(found)) => issues.extend(found),
                Err(err) => return Err(err.into()),
            }
        }
        issues.extend(validate::check(
            &loaded,
            &State::default(),
            Path::new("state.yaml"),
        ));
        if !issues.is_empty() {
            return Err(dockside_core::Error::Invalid(issues).into());
        }
        let servers = loaded.iter().map(|f| f.catalog.registry.len()).sum();
        (loaded.len(), servers)
    };
    println!("ok: {catalogs} catalog(s), {servers} server(s)");
    Ok(())
}

fn run_list(as_json: bool) -> anyhow::Result<()> {
    let ws = workspace()?;
    if as_json {
        let catalogs: Vec<_> = ws
            .catalogs()
            .iter()
            .map(|f| {
                json!({
                    "id": f.id,
                    "path": f.path,
                    "name": f.catalog.name,
                    "displayName": f.catalog.display_name,
                    "servers": f.catalog.registry.keys().collect::<Vec<_>>(),
                })
            })
            .collect();
        return print_json(&json!(catalogs));
    }
    if ws.catalogs().is_empty() {
        println!(
            "no catalogs in {}; try `dockside catalog demo` or `dockside catalog import --docker`",
            ws.home().catalogs_dir().display()
        );
    }
    for f in ws.catalogs() {
        let title = f
            .catalog
            .display_name
            .as_deref()
            .or(f.catalog.name.as_deref())
            .unwrap_or_default();
        println!(
            "{:<20} {:>3} server(s)  {title}  ({})",
            f.id,
            f.catalog.registry.len(),
            f.path.display()
        );
    }
    Ok(())
}

fn run_demo() -> anyhow::Result<()> {
    let exe = std::env::current_exe().ok();
    let beside = exe.as_deref().and_then(Path::parent);
    let binary = demo::locate_binary(beside).with_context(|| {
        format!(
            "cannot find `{}` next to dockside or on PATH; build it with `cargo build -p dockside-demo-server`",
            demo::BINARY
        )
    })?;
    let installed = change(|ws| {
        let installed = demo::install(ws, &binary)?;
        Ok(installed.then(|| ws.state().server(demo::SERVER).mode))
    })?;
    if let Some(mode) = installed {
        println!(
            "installed catalog `{}`: server `{}` ({mode}) runs {}",
            demo::CATALOG,
            demo::SERVER,
            binary.display()
        );
    } else {
        println!("catalog `{}` is already installed", demo::CATALOG);
    }
    Ok(())
}
