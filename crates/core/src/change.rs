//! One way to change a server's mode, whoever asks: the daemon's `PUT /api/servers/{name}/mode`,
//! `dockside server mode` when no daemon runs, and the tray app when no daemon runs.
//!
//! [`set_mode`] saves the state and syncs every connected client's file, all or nothing: when a
//! client file cannot be written, the state is put back and nothing has changed. Applying the
//! change to a running gateway is the daemon's part (it calls this, then reloads once).

use crate::clients::sync::{Context, Outcome, Target, TargetError};
use crate::clients::workspace::sync_connected;
use crate::{Error, Home, Mode, Workspace};

/// What a change did to the connected clients' files.
#[derive(Debug, Default)]
pub struct Applied {
    pub synced: Vec<(Target, Outcome)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Core(#[from] Error),
    /// Some client file could not be synced; the state was put back and no file changed.
    #[error("{} client file(s) could not be synced, so the change was not made: {}", .0.len(), join(.0))]
    Sync(Vec<TargetError>),
}

fn join(errors: &[TargetError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sets `name`'s mode, saves the state, and syncs every connected client.
pub fn set_mode(home: &Home, name: &str, mode: Mode) -> Result<Applied, ChangeError> {
    let mut ws = Workspace::load(home.clone())?;
    let before = ws
        .server(name)
        .ok_or_else(|| Error::UnknownServer(name.to_owned()))?
        .state
        .mode;
    ws.set_mode(name, mode)?;
    ws.save()?;
    let ctx = Context::for_home(home.root());
    match sync_connected(&ws, &ctx) {
        Ok(synced) => Ok(Applied { synced }),
        Err(errors) => {
            ws.set_mode(name, before)?;
            ws.save()?;
            Err(ChangeError::Sync(errors))
        }
    }
}
