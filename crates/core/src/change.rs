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

/// Sets `name`'s mode in the Dockside home of `ctx`, saves the state, and syncs every connected
/// client (their entries run `ctx.launcher`).
pub fn set_mode(ctx: &Context, name: &str, mode: Mode) -> Result<Applied, ChangeError> {
    let mut ws = Workspace::load(Home::new(&ctx.dockside_home))?;
    let before = ws
        .server(name)
        .ok_or_else(|| Error::UnknownServer(name.to_owned()))?
        .state
        .mode;
    ws.set_mode(name, mode)?;
    ws.save()?;
    match sync_connected(&ws, ctx) {
        Ok(synced) => Ok(Applied { synced }),
        Err(errors) => {
            ws.set_mode(name, before)?;
            ws.save()?;
            Err(ChangeError::Sync(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::workspace as bridge;
    use crate::clients::{by_id, sync, Env, Launcher};

    fn setup() -> (tempfile::TempDir, Context, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path().join("dockside"));
        let ctx = Context {
            env: Env::with_home(dir.path().join("home")),
            dockside_home: home.root().to_owned(),
            launcher: Launcher("/opt/dockside/bin/dockside".into()),
        };
        let mut ws = Workspace::load(home).unwrap();
        let server = crate::Server {
            command: Some(vec!["/opt/a".into()]),
            ..Default::default()
        };
        ws.add_server("local", "a", server).unwrap();
        ws.set_mode("a", Mode::Native).unwrap();
        ws.save().unwrap();
        let target = sync::Target::user(by_id("cursor").unwrap());
        let path = target.path(&ctx.env);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\r\n  // mine\r\n  \"mcpServers\": {}\r\n}\r\n").unwrap();
        sync::connect(&ctx, &target, false, |s| bridge::desired(&ws, s), false).unwrap();
        (dir, ctx, path)
    }

    fn mode_of(ctx: &Context) -> Mode {
        let ws = Workspace::load(Home::new(&ctx.dockside_home)).unwrap();
        ws.server("a").unwrap().state.mode
    }

    #[test]
    fn saves_the_state_and_syncs_connected_clients_with_the_launcher() {
        let (_dir, ctx, path) = setup();
        let applied = set_mode(&ctx, "a", Mode::Managed).unwrap();
        assert_eq!(applied.synced.len(), 1);
        assert_eq!(mode_of(&ctx), Mode::Managed);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("/opt/dockside/bin/dockside"), "{text}");
        assert!(text.contains("// mine") && text.contains("\r\n"), "{text}");
    }

    #[test]
    fn a_client_file_that_cannot_be_synced_puts_the_state_back() {
        let (_dir, ctx, path) = setup();
        let broken = "{ \"mcpServers\": { oops";
        std::fs::write(&path, broken).unwrap();
        let err = set_mode(&ctx, "a", Mode::Managed).unwrap_err();
        assert!(matches!(err, ChangeError::Sync(_)), "{err}");
        assert!(err.to_string().contains("could not be synced"), "{err}");
        assert_eq!(mode_of(&ctx), Mode::Native, "the state is put back");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    }

    #[test]
    fn an_unknown_server_changes_nothing() {
        let (_dir, ctx, path) = setup();
        let before = std::fs::read(&path).unwrap();
        let err = set_mode(&ctx, "nope", Mode::Managed).unwrap_err();
        assert!(
            matches!(err, ChangeError::Core(Error::UnknownServer(_))),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }
}
