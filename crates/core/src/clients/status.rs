//! What `dockside client list` and the tray app's Clients screen show for each known AI client:
//! its user-scope config file, whether it exists, whether Dockside keeps it in sync, how many
//! servers it holds (or why it cannot be read).

use std::path::PathBuf;

use super::ownership::Record;
use super::sync::{Context, SyncError, Target};
use super::ALL;
use crate::fsedit::{self, file::Snapshot};

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
}

/// Every known client, in the order of [`ALL`].
pub fn list(ctx: &Context) -> Result<Vec<ClientStatus>, SyncError> {
    let record = Record::load(&ctx.dockside_home)?;
    let mut rows = Vec::new();
    for spec in ALL {
        let target = Target::user(spec);
        let path = target.path(&ctx.env);
        let detected = path.exists()
            || path
                .parent()
                .is_some_and(|d| d.is_dir() && d != ctx.env.home.as_path());
        let (servers, error) = match Snapshot::read(&path) {
            Ok(snap) if snap.exists() => {
                match fsedit::open(spec.format, &spec.container(), &path, snap.text()) {
                    Ok(doc) => (Some(doc.entries().len()), None),
                    Err(e) => (None, Some(e.to_string())),
                }
            }
            Ok(_) => (Some(0), None),
            Err(e) => (None, Some(e.to_string())),
        };
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
        });
    }
    Ok(rows)
}
