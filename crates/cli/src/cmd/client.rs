//! `dockside client …`: the AI clients' config files — list, import, connect, disconnect, diff, sync.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use dockside_core::clients::import::{self, dedupe};
use dockside_core::clients::launchers::{self, Health};
use dockside_core::clients::ownership::Record;
use dockside_core::clients::sync::{self, Context, Outcome, Target};
use dockside_core::clients::{workspace as bridge, Change, ALL};
use dockside_core::fsedit::file::Snapshot;
use dockside_core::{Home, Workspace};
use serde_json::json;

use super::print_json;

/// Keep AI clients' MCP config files (Claude, Cursor, VS Code, Codex…) in sync with Dockside
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Detected clients: config file, whether Dockside keeps it in sync, how many servers it has
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Import a client's servers into the catalog, in native mode (deduplicated across clients)
    #[command(
        long_about = "Import a client's servers into the catalog, in native mode \
        (deduplicated across clients).\n\n\
        Env values that are secrets (a name with TOKEN, KEY, SECRET, PASSWORD, PAT, AUTH, \
        CREDENTIAL or PRIVATE as a word, or a value shaped like a known token: ghp_…, sk-…, \
        AKIA…) go to the secret store as `<server>.<env>`; the catalog declares them under \
        `secrets:` and never holds the value. A native server with secrets is written into \
        client files as `dockside exec NAME`."
    )]
    Import {
        /// Client id (see `dockside client list`)
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        client: Option<String>,
        /// Every detected client
        #[arg(long)]
        all: bool,
        /// Catalog to add the servers to
        #[arg(long, default_value = "imported")]
        catalog: String,
        #[command(flatten)]
        scope: Scope,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Keep a client in sync: write one entry per enabled server into its config file
    #[command(long_about = "Keep a client in sync with Dockside.\n\n\
        Writes one entry per enabled server under the server's own name: a native server as its own \
        command, a managed/docker server as `dockside connect --server NAME`. With --single-entry, the \
        gateway servers share one aggregate `dockside` entry instead. Only the entries Dockside writes \
        change; comments, order and your own servers stay as they are. A backup of every file Dockside \
        writes is kept under $DOCKSIDE_HOME/backups (last 10 per file).")]
    Connect {
        client: String,
        /// One aggregate `dockside` entry for the gateway servers
        #[arg(long)]
        single_entry: bool,
        /// Replace your own entries that have a server's name (disconnect puts them back)
        #[arg(long)]
        adopt: bool,
        #[command(flatten)]
        scope: Scope,
    },
    /// Stop syncing a client: remove the entries Dockside wrote, put back entries it replaced
    /// (`--all`: every connected client, e.g. before uninstalling Dockside)
    Disconnect {
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        client: Option<String>,
        /// Every connected client (user and project scope)
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        scope: Scope,
    },
    /// What a sync would change in a client's file, as a unified diff
    Diff {
        client: String,
        /// Preview with one aggregate entry (default: the client's connected setting)
        #[arg(long)]
        single_entry: bool,
        #[command(flatten)]
        scope: Scope,
    },
    /// Sync one connected client, or all of them
    Sync {
        client: Option<String>,
        /// Replace your own entries that have a server's name (disconnect puts them back)
        #[arg(long)]
        adopt: bool,
        #[command(flatten)]
        scope: Scope,
    },
}

#[derive(clap::Args)]
struct Scope {
    /// The project-scope file in this folder (`.mcp.json`, `.vscode/mcp.json`, …) instead of the user's
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
}

impl Scope {
    fn target(&self, client: &str) -> anyhow::Result<Target> {
        let project = match &self.project {
            Some(p) => Some(
                std::fs::canonicalize(p)
                    .with_context(|| format!("project folder {}", p.display()))?,
            ),
            None => None,
        };
        Ok(Target::parse(client, project.as_deref())?)
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let home = Home::from_env()?;
    let ctx = Context::for_home(home.root());
    match args.action {
        Action::List { json } => list(&ctx, json),
        Action::Import {
            client,
            all,
            catalog,
            scope,
            json,
        } => run_import(&ctx, home, client.as_deref(), all, &catalog, &scope, json),
        Action::Connect {
            client,
            single_entry,
            adopt,
            scope,
        } => {
            let target = scope.target(&client)?;
            let path = target.path(&ctx.env);
            if let Some(dir) = path
                .parent()
                .filter(|d| target.project.is_none() && !d.is_dir())
            {
                bail!(
                    "{} does not seem to be installed here ({} does not exist); install it, or create that folder to connect anyway",
                    target.spec.name,
                    dir.display()
                );
            }
            let ws = Workspace::load(home)?;
            let out = bridge::connect(&ws, &ctx, &target, single_entry, adopt)?;
            report(&target, &out);
            println!("{}: connected", target.key());
            Ok(())
        }
        Action::Disconnect { client, all, scope } => {
            let targets = match client {
                Some(client) => vec![scope.target(&client)?],
                None if all => sync::connected(&ctx)?.into_iter().map(|(t, _)| t).collect(),
                None => bail!("name a client or use --all"),
            };
            for target in targets {
                let out = sync::disconnect(&ctx, &target)?;
                report(&target, &out);
                println!("{}: disconnected", target.key());
            }
            Ok(())
        }
        Action::Diff {
            client,
            single_entry,
            scope,
        } => {
            let target = scope.target(&client)?;
            let ws = Workspace::load(home)?;
            let record = Record::load(&ctx.dockside_home)?;
            let connected = record.clients.get(&target.key());
            let single = single_entry || connected.is_some_and(|c| c.single_entry);
            let (snap, plan, _) = sync::preview(
                &ctx,
                &target,
                &bridge::desired(&ws, &target.key(), single),
                false,
            )?;
            let diff = dockside_core::clients::plan::unified_diff(
                &snap.path,
                snap.text.as_deref(),
                plan.new_text.as_deref(),
            );
            print!("{diff}");
            for c in &plan.changes {
                if let Change::Conflict(name) = c {
                    eprintln!("note: {}", conflict_message(name));
                }
            }
            if connected.is_none() {
                eprintln!(
                    "note: {} is not connected; this is what `dockside client connect {}` would write",
                    target.key(),
                    target.spec.id
                );
            }
            Ok(())
        }
        Action::Sync {
            client,
            adopt,
            scope,
        } => {
            let ws = Workspace::load(home)?;
            match client {
                Some(client) => {
                    let target = scope.target(&client)?;
                    let record = Record::load(&ctx.dockside_home)?;
                    let Some(c) = record.clients.get(&target.key()).filter(|c| c.connected) else {
                        bail!(
                            "{} is not connected; run `dockside client connect {}` first",
                            target.key(),
                            target.spec.id
                        );
                    };
                    let out = sync::apply(
                        &ctx,
                        &target,
                        &bridge::desired(&ws, &target.key(), c.single_entry),
                        adopt,
                    )?;
                    report(&target, &out);
                    Ok(())
                }
                None => sync_connected(&ws),
            }
        }
    }
}

/// Syncs every connected client with `ws`, all files or none (`dockside client sync`; the
/// commands that change servers go through `dockside_core::change`, which does this too).
fn sync_connected(ws: &Workspace) -> anyhow::Result<()> {
    let ctx = Context::for_home(ws.home().root());
    match bridge::sync_connected(ws, &ctx) {
        Ok(done) => {
            for (target, out) in &done {
                report(target, out);
            }
            Ok(())
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            bail!(
                "{} client file(s) could not be synced (see above); no client file was changed",
                errors.len()
            )
        }
    }
}

fn conflict_message(name: &str) -> String {
    format!(
        "`{name}` is your own entry and differs from what Dockside would write; left alone \
         (`--adopt` lets Dockside replace it; disconnecting puts it back)"
    )
}

pub(crate) fn report(target: &Target, out: &Outcome) {
    let key = target.key();
    if out.changes.is_empty() {
        println!("{key}: {} is up to date", out.path.display());
        return;
    }
    for c in &out.changes {
        let line = match c {
            Change::Added(n) => format!("added `{n}`"),
            Change::Updated(n) => format!("updated `{n}`"),
            Change::Removed(n) => format!("removed `{n}`"),
            Change::Restored(n) => format!("put back your own `{n}`"),
            Change::Adopted(n) => format!("replaced your `{n}` (kept to put back on disconnect)"),
            Change::TookOver(n) => format!("`{n}` already matches; now kept in sync"),
            Change::Conflict(n) => {
                eprintln!("warning: {key}: {}", conflict_message(n));
                continue;
            }
            Change::Released(n) => {
                format!("`{n}` was edited by you, so it is yours now and left as is")
            }
        };
        println!("{key}: {}: {line}", out.path.display());
    }
}

fn list(ctx: &Context, as_json: bool) -> anyhow::Result<()> {
    let record = Record::load(&ctx.dockside_home)?;
    let mut rows = Vec::new();
    for c in dockside_core::clients::status::list(ctx)? {
        rows.push(json!({
            "id": c.id,
            "name": c.name,
            "path": c.path,
            "detected": c.detected,
            "connected": c.connected,
            "single_entry": c.single_entry,
            "servers": c.servers,
            "error": c.error,
            "disabled": c.disabled,
            "aliases": c.aliases,
            "docker_toolkit": c.docker_toolkit,
            "launchers": c.launchers,
        }));
    }
    // Project-scope connections.
    for (key, c) in &record.clients {
        if key.contains('@') && c.connected {
            if let Some(t) = Target::from_key(key) {
                rows.push(json!({
                    "id": key, "name": t.spec.name, "path": t.path(&ctx.env), "detected": true,
                    "connected": true, "single_entry": c.single_entry, "servers": null, "error": null,
                }));
            }
        }
    }
    if as_json {
        return print_json(&json!(rows));
    }
    println!(
        "{:<16} {:<9} {:<9} {:>7}  CONFIG",
        "CLIENT", "DETECTED", "CONNECTED", "SERVERS"
    );
    for r in rows {
        let yes = |b: bool| if b { "yes" } else { "no" };
        let servers = match (&r["servers"], &r["error"]) {
            (_, serde_json::Value::String(_)) => "error".to_owned(),
            (serde_json::Value::Number(n), _) => n.to_string(),
            _ => "-".to_owned(),
        };
        let connected = match (r["connected"].as_bool(), r["single_entry"].as_bool()) {
            (Some(true), Some(true)) => "single".to_owned(),
            (Some(c), _) => yes(c).to_owned(),
            _ => "no".to_owned(),
        };
        println!(
            "{:<16} {:<9} {:<9} {:>7}  {}",
            r["id"].as_str().unwrap_or_default(),
            yes(r["detected"].as_bool().unwrap_or(false)),
            connected,
            servers,
            r["path"].as_str().unwrap_or_default()
        );
        let names = |key: &str| -> Vec<String> {
            let list = r[key].as_array().map(Vec::as_slice).unwrap_or_default();
            list.iter()
                .map(
                    |v| match (v.as_str(), v["server"].as_str(), v["entry"].as_str()) {
                        (Some(name), ..) => name.to_owned(),
                        (None, Some(server), Some(entry)) => format!("{server} as `{entry}`"),
                        _ => v.to_string(),
                    },
                )
                .collect()
        };
        for (key, label) in [
            ("aliases", "keeps its own names"),
            ("disabled", "switched off there"),
        ] {
            let names = names(key);
            if !names.is_empty() {
                println!("  {label}: {}", names.join(", "));
            }
        }
        if let Some(t) = r.get("docker_toolkit").filter(|t| !t.is_null()) {
            let profile = t["profile"].as_str().unwrap_or_default();
            let servers = match (t["servers"].as_u64(), t["error"].as_str()) {
                (Some(n), _) => format!("{n} server(s)"),
                (None, e) => format!("servers unknown ({})", e.unwrap_or_default()),
            };
            println!(
                "  uses Docker MCP Toolkit (`{}`, profile {profile}): {servers}; `dockside catalog import --docker --profile {profile}` brings them over",
                t["entry"].as_str().unwrap_or_default()
            );
        }
        for binary in r["launchers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let binary = binary.as_str().unwrap_or_default();
            if launchers::health(binary, &ctx.launcher) == Health::Missing {
                println!("  entries run {binary}, which no longer exists: `dockside client sync` repairs them");
            } else if launchers::development_build(binary) {
                println!("  (development build: {binary})");
            }
        }
        if let Some(e) = r["error"].as_str() {
            eprintln!("  error: {e}");
        }
    }
    Ok(())
}

fn run_import(
    ctx: &Context,
    home: Home,
    client: Option<&str>,
    all: bool,
    catalog: &str,
    scope: &Scope,
    as_json: bool,
) -> anyhow::Result<()> {
    let targets: Vec<Target> = match (client, all) {
        (Some(c), _) => vec![scope.target(c)?],
        (None, true) => ALL.iter().map(|s| Target::user(s)).collect(),
        (None, false) => bail!("name a client or use --all"),
    };
    let record = Record::load(&ctx.dockside_home)?;
    let mut found = Vec::new();
    for t in &targets {
        let path = t.path(&ctx.env);
        let snap = Snapshot::read(&path)?;
        let Some(text) = &snap.text else {
            if client.is_some() {
                bail!("{}: no config file at {}", t.spec.name, path.display());
            }
            continue;
        };
        found.extend(import::read(t, &path, text, &record.file(&path))?);
    }
    let merged = dedupe(found);
    let mut ws = Workspace::load(home)?;
    let results = bridge::import_into(&mut ws, catalog, &merged)?;
    ws.save()?;
    let added: Vec<String> = (results.iter())
        .filter(|r| r.status == "added")
        .map(|r| r.name.clone())
        .collect();
    if !added.is_empty() {
        super::server_package::pin_new(&added)?;
    }
    if as_json {
        return print_json(&serde_json::to_value(&results)?);
    }
    if results.is_empty() {
        println!("no servers found");
    }
    for r in &results {
        let what = if r.status == "added" && r.mode == dockside_core::Mode::Off {
            format!("imported into catalog `{catalog}`, off (switched off where it came from)")
        } else if r.status == "added" {
            format!("imported into catalog `{catalog}` ({})", r.mode)
        } else {
            "already in the catalog".to_owned()
        };
        println!("{}: {what} — from {}", r.name, r.sources.join(", "));
        if !r.moved_secrets.is_empty() {
            let moved: Vec<String> = (r.moved_secrets.iter())
                .map(|m| format!("{} (secret `{}`)", m.env, m.secret))
                .collect();
            println!(
                "  secrets moved to the secret store, out of the catalog: {}",
                moved.join(", ")
            );
        }
    }
    Ok(())
}
