//! The Clients screen: AI clients' config files through `dockside_core::clients` (the same calls
//! as `dockside client list/connect/disconnect/diff/import`), and the import of the servers behind
//! Docker MCP Toolkit's `MCP_DOCKER` entry (`dockside catalog import --docker`).

use std::path::PathBuf;

use dockside_core::clients::import::{self, dedupe};
use dockside_core::clients::ownership::Record;
use dockside_core::clients::sync::{self, Context, Target};
use dockside_core::clients::workspace as bridge;
use dockside_core::docker_toolkit;
use dockside_core::fsedit::file::Snapshot;
use dockside_core::secrets::SecretStore;
use dockside_core::{Home, Mode, Workspace};
use serde::Serialize;

use crate::model::BackendError;

/// One row of the Clients screen: core's view of a client's file.
pub use dockside_core::clients::status::ClientStatus as ClientView;

/// A client's diff preview.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientDiff {
    pub path: PathBuf,
    /// Unified diff of what a sync would write (empty: nothing to change).
    pub diff: String,
    pub notes: Vec<String>,
}

/// What an import from a client added.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedServer {
    pub name: String,
    /// `added` or `exists`.
    pub status: String,
    /// `native`, or `off` when every client it came from has it switched off.
    pub mode: Mode,
    /// `client: path`, plus ` (as NAME)` where that client knows it by another name.
    pub sources: Vec<String>,
}

fn err(e: impl std::fmt::Display) -> BackendError {
    BackendError::Internal(e.to_string())
}

pub fn list(ctx: &Context) -> Result<Vec<ClientView>, BackendError> {
    dockside_core::clients::status::list(ctx).map_err(err)
}

fn target(id: &str) -> Result<Target, BackendError> {
    Target::parse(id, None).map_err(err)
}

pub fn connect(ctx: &Context, id: &str) -> Result<ClientDiff, BackendError> {
    let target = target(id)?;
    let ws = Workspace::load(Home::new(&ctx.dockside_home))?;
    let out = bridge::connect(&ws, ctx, &target, false, false).map_err(err)?;
    Ok(ClientDiff {
        path: out.path,
        diff: out.diff,
        notes: Vec::new(),
    })
}

pub fn disconnect(ctx: &Context, id: &str) -> Result<ClientDiff, BackendError> {
    let out = sync::disconnect(ctx, &target(id)?).map_err(err)?;
    Ok(ClientDiff {
        path: out.path,
        diff: out.diff,
        notes: Vec::new(),
    })
}

pub fn diff(ctx: &Context, id: &str) -> Result<ClientDiff, BackendError> {
    let target = target(id)?;
    let ws = Workspace::load(Home::new(&ctx.dockside_home))?;
    let record = Record::load(&ctx.dockside_home).map_err(err)?;
    let connected = record.clients.get(&target.key());
    let single = connected.is_some_and(|c| c.single_entry);
    let planned = sync::plan_target(
        ctx,
        &target,
        &bridge::desired(&ws, &target.key(), single),
        false,
    )
    .map_err(err)?;
    let mut notes = Vec::new();
    for c in &planned.plan.changes {
        if let dockside_core::clients::Change::Conflict(name) = c {
            notes.push(format!(
                "`{name}` is your own entry and differs from what Dockside would write; it is left alone"
            ));
        }
    }
    if connected.is_none_or(|c| !c.connected) {
        notes.push(format!(
            "{} is not connected: this is what connecting would write",
            target.spec.name
        ));
    }
    Ok(ClientDiff {
        path: planned.snap.path.clone(),
        diff: planned.diff,
        notes,
    })
}

/// Imports a client's servers into catalog `imported`, in native mode.
pub fn import(ctx: &Context, id: &str) -> Result<Vec<ImportedServer>, BackendError> {
    let target = target(id)?;
    let record = Record::load(&ctx.dockside_home).map_err(err)?;
    let path = target.path(&ctx.env);
    let snap = Snapshot::read(&path).map_err(err)?;
    let Some(text) = &snap.text else {
        return Err(BackendError::Internal(format!(
            "{}: no config file at {}",
            target.spec.name,
            path.display()
        )));
    };
    let found = import::read(&target, &path, text, &record.file(&path)).map_err(err)?;
    let mut ws = Workspace::load(Home::new(&ctx.dockside_home))?;
    let results = bridge::import_into(&mut ws, "imported", &dedupe(found))?;
    ws.save()?;
    Ok(results
        .into_iter()
        .map(|r| ImportedServer {
            name: r.name,
            status: r.status.to_owned(),
            mode: r.mode,
            sources: r.sources,
        })
        .collect())
}

/// What importing a Docker MCP Toolkit profile did (mirrors `DockerImport` in `ui/src/api.ts`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerImport {
    #[serde(flatten)]
    pub imported: docker_toolkit::Imported,
    /// Secrets the servers declare that Dockside's store lacks (`dockside secret set NAME`).
    pub missing_secrets: Vec<String>,
}

/// Imports the servers of Docker MCP Toolkit's `profile` from `~/.docker/mcp` (the one change
/// path: saved, connected clients synced), as `dockside catalog import --docker --profile`.
pub fn import_docker_toolkit(ctx: &Context, profile: &str) -> Result<DockerImport, BackendError> {
    let dir = docker_toolkit::default_dir(&ctx.env);
    let (imported, _) = dockside_core::change::apply(ctx, |ws| {
        docker_toolkit::import(ws, &dir, profile, true).map_err(err)
    })?;
    let store = SecretStore::open(&Home::new(&ctx.dockside_home));
    let missing_secrets = imported.missing_secrets(&store.names().map_err(err)?);
    Ok(DockerImport {
        imported,
        missing_secrets,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::backend::context;
    use dockside_core::clients::ALL;

    #[test]
    fn lists_every_known_client_and_previews_a_connect() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        let mut ctx = context(&home, Some(Path::new("/opt/dockside")));
        assert_eq!(ctx.launcher.0, "/opt/dockside");
        ctx.env.home = dir.path().join("user");
        ctx.env.xdg_config_home = None;
        ctx.env.appdata = None;
        ctx.env.codex_home = None;
        std::fs::create_dir_all(&ctx.env.home).unwrap();
        let rows = list(&ctx).unwrap();
        assert_eq!(rows.len(), ALL.len());
        assert!(rows.iter().all(|r| !r.connected));
        let preview = diff(&ctx, ALL[0].id).unwrap();
        assert!(preview.notes.iter().any(|n| n.contains("not connected")));
        assert!(diff(&ctx, "no-such-client").is_err());
    }

    #[test]
    fn imports_the_profile_a_client_row_names() {
        use dockside_core::docker_toolkit::{db::testing, DB_FILE};
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("home"));
        let mut ctx = context(&home, None);
        ctx.env.home = dir.path().join("user");
        let database = docker_toolkit::default_dir(&ctx.env).join(DB_FILE);
        testing::create(
            &database,
            &[("default", "Default Profile", testing::SERVERS)],
        )
        .unwrap();
        let out = import_docker_toolkit(&ctx, "default").unwrap();
        assert_eq!(out.imported.servers.len(), 3);
        assert_eq!(out.missing_secrets, ["github.personal_access_token"]);
        let ws = Workspace::load(home).unwrap();
        assert_eq!(
            ws.server("github-official").unwrap().state.mode,
            Mode::Docker
        );
        let err = import_docker_toolkit(&ctx, "work").unwrap_err().to_string();
        assert!(err.contains("no profile `work`"), "{err}");
    }
}
