//! What `dockside client list` and the tray app's Clients screen show for each known AI client:
//! its user-scope config file, whether it exists, whether Dockside keeps it in sync, how many
//! servers it holds (or why it cannot be read), which of them it has switched off, which
//! Dockside servers it knows by another name, and whether it runs Docker MCP Toolkit's gateway.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::ownership::Record;
use super::sync::{Context, SyncError, Target};
use super::{launchers, workspace, ALL};
use crate::docker_toolkit;
use crate::fsedit::{self, file::Snapshot};
use crate::{Home, Workspace};

/// One client's user-scope config file as it stands (camelCase JSON: the app's `ClientView`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientStatus {
    /// Client id (`claude-code`…).
    pub id: String,
    pub name: String,
    pub path: PathBuf,
    /// The file, or the client's own folder, exists (not the home folder itself: `~/.claude.json`).
    pub detected: bool,
    /// Dockside keeps this file in sync.
    pub connected: bool,
    pub single_entry: bool,
    /// Servers in the file (`None` when it cannot be read; see `error`).
    pub servers: Option<usize>,
    pub error: Option<String>,
    /// Entries the client has switched off with its own flag (kept off by Dockside).
    pub disabled: Vec<String>,
    /// Dockside servers this client knows by another name, kept in its file.
    pub aliases: Vec<Alias>,
    /// The client runs Docker MCP Toolkit's gateway (`MCP_DOCKER`).
    pub docker_toolkit: Option<DockerToolkit>,
    /// The `dockside` binaries Dockside's entries in the file run ([`launchers::of_entries`]).
    pub launchers: Vec<String>,
}

/// Docker MCP Toolkit's gateway entry in a client's file, and the servers its profile runs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DockerToolkit {
    /// The entry's name (`MCP_DOCKER`).
    pub entry: String,
    pub profile: String,
    /// How many servers the profile runs (`None` when Docker's files cannot tell; see `error`).
    pub servers: Option<usize>,
    pub error: Option<String>,
}

/// A server's entry name in one client, where it differs from the server's name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alias {
    pub server: String,
    pub entry: String,
}

/// Every known client, in the order of [`ALL`].
pub fn list(ctx: &Context) -> Result<Vec<ClientStatus>, SyncError> {
    let record = Record::load(&ctx.dockside_home)?;
    // No readable workspace: no aliases to show (the Servers screen says what is wrong).
    let ws = Workspace::load(Home::new(&ctx.dockside_home)).ok();
    let docker_dir = docker_toolkit::default_dir(&ctx.env);
    let mut profiles: BTreeMap<String, Result<usize, String>> = BTreeMap::new();
    let mut rows = Vec::new();
    for spec in ALL {
        let target = Target::user(spec);
        let path = target.path(&ctx.env);
        let detected = path.exists()
            || path
                .parent()
                .is_some_and(|d| d.is_dir() && d != ctx.env.home.as_path());
        let mut disabled = Vec::new();
        let mut gateway = None;
        let mut runs = Vec::new();
        let (servers, error) = match Snapshot::read(&path) {
            Ok(snap) if snap.exists() => {
                match fsedit::open(spec.format, &spec.container(), &path, snap.text()) {
                    Ok(doc) => {
                        let entries = doc.entries();
                        disabled = (entries.iter())
                            .filter(|(_, v)| spec.shape.is_disabled(v))
                            .map(|(n, _)| n.clone())
                            .collect();
                        gateway = docker_toolkit::gateway_entries(spec, &entries)
                            .into_iter()
                            .next();
                        runs = launchers::of_entries(spec, &entries, &record.file(&path));
                        (Some(entries.len()), None)
                    }
                    Err(e) => (None, Some(e.to_string())),
                }
            }
            Ok(_) => (Some(0), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let aliases = ws.as_ref().map_or_else(Vec::new, |ws| {
            (ws.servers().zip(workspace::entry_names(ws, &target.key())))
                .filter(|(e, entry)| e.name != entry)
                .map(|(e, entry)| Alias {
                    server: e.name.to_owned(),
                    entry,
                })
                .collect()
        });
        let docker_toolkit = gateway.map(|g| {
            let count = profiles.entry(g.profile.clone()).or_insert_with(|| {
                docker_toolkit::servers_behind(&docker_dir, &g.profile)
                    .map(|names| names.len())
                    .map_err(|e| e.to_string())
            });
            DockerToolkit {
                servers: count.as_ref().ok().copied(),
                error: count.as_ref().err().cloned(),
                entry: g.entry,
                profile: g.profile,
            }
        });
        let rec = record.clients.get(&target.key());
        rows.push(ClientStatus {
            connected: rec.is_some_and(|c| c.connected),
            single_entry: rec.is_some_and(|c| c.single_entry),
            id: spec.id.to_owned(),
            name: spec.name.to_owned(),
            path,
            detected,
            servers,
            error,
            disabled,
            aliases,
            docker_toolkit,
            launchers: runs,
        });
    }
    Ok(rows)
}
