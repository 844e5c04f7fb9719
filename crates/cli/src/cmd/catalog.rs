//! `dockside catalog …`: Docker import/export, validation, listing, the demo catalog.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use dockside_core::catalog::CatalogFile;
use dockside_core::{demo, docker_legacy, validate, State};
use serde_json::json;

use super::{print_json, workspace};

/// Manage catalogs: import from and export to Docker, validate, list, install the demo
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Import the enabled servers of a Docker MCP Toolkit setup
    #[command(
        long_about = "Import the enabled servers of a legacy Docker MCP Toolkit setup.\n\n\
        Reads DIR/catalogs/*.yaml, DIR/registry.yaml (the enabled servers), DIR/config.yaml (config values) and \
        DIR/tools.yaml (tool allow-lists). Each enabled server is copied verbatim into the Dockside catalog named \
        like its Docker catalog file; its config values and allow-list go to the state. New servers start in \
        `docker` mode (images) or `managed` mode (remotes). Re-importing updates them and keeps their mode."
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
    let dir = match import.docker.flatten() {
        Some(dir) => dir,
        None => directories::BaseDirs::new()
            .context("cannot find the home directory; pass --docker DIR")?
            .home_dir()
            .join(".docker/mcp"),
    };
    let mut ws = workspace()?;
    let imported = docker_legacy::import(&mut ws, &dir)?;
    ws.save()?;
    for name in &imported.servers {
        println!("imported {name} ({})", ws.state().server(name).mode);
    }
    for (name, catalog) in &imported.shadowed {
        println!("note: {name} is also in Docker catalog `{catalog}`; the later catalog's definition was used, as Docker does");
    }
    if !imported.missing.is_empty() {
        println!(
            "note: {} enabled server(s) are in none of {}/catalogs/*.yaml and were skipped: {}",
            imported.missing.len(),
            dir.display(),
            imported.missing.join(", ")
        );
    }
    println!(
        "{} server(s) imported from {}",
        imported.servers.len(),
        dir.display()
    );
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
    let mut ws = workspace()?;
    if demo::install(&mut ws, &binary)? {
        ws.save()?;
        let mode = ws.state().server(demo::SERVER).mode;
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
