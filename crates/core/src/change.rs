//! One way to change the servers, whoever asks: the daemon's `PUT /api/servers/{name}/mode`,
//! `dockside server mode|add|edit|remove` (through the daemon when one runs, for a mode), and
//! the tray app (modes, the catalog editor).
//!
//! [`apply`] makes an edit to the workspace, saves it and syncs every connected client's file,
//! all or nothing: when a client file cannot be written, the catalog and state files are put
//! back byte for byte and nothing has changed. Applying the change to a running gateway is the
//! daemon's part (for a mode it calls [`set_mode`], then reloads once; for the rest its file
//! watcher sees the saved files).

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

/// Loads the Dockside home of `ctx`, runs `edit` on it, saves, and syncs every connected client
/// (their entries run `ctx.launcher`). When `edit` fails nothing is saved; when a client cannot
/// be synced, the saved files are put back as they were and the sync errors are returned.
pub fn apply<T, E>(
    ctx: &Context,
    edit: impl FnOnce(&mut Workspace) -> Result<T, E>,
) -> Result<(T, Applied), E>
where
    E: From<ChangeError>,
{
    let load = || Workspace::load(Home::new(&ctx.dockside_home));
    let mut ws = load().map_err(ChangeError::from)?;
    let value = edit(&mut ws)?;
    let undo = ws.save_undoable().map_err(ChangeError::from)?;
    match sync_connected(&ws, ctx) {
        Ok(synced) => Ok((value, Applied { synced })),
        Err(errors) => {
            undo.put_back().map_err(ChangeError::from)?;
            Err(ChangeError::Sync(errors).into())
        }
    }
}

/// Sets `name`'s mode: [`apply`] with [`Workspace::set_mode`].
pub fn set_mode(ctx: &Context, name: &str, mode: Mode) -> Result<Applied, ChangeError> {
    apply(ctx, |ws| ws.set_mode(name, mode).map_err(ChangeError::from)).map(|((), a)| a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::workspace as bridge;
    use crate::clients::{by_id, sync, Env, Launcher};
    use crate::CatalogFile;

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
        bridge::connect(&ws, &ctx, &target, false, false).unwrap();
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

    fn files(ctx: &Context) -> Vec<(std::path::PathBuf, Option<Vec<u8>>)> {
        let home = Home::new(&ctx.dockside_home);
        let mut paths = vec![home.state_path(), home.catalogs_dir().join("other.yaml")];
        paths.extend(
            std::fs::read_dir(home.catalogs_dir())
                .unwrap()
                .map(|e| e.unwrap().path()),
        );
        paths.sort();
        paths.dedup();
        paths
            .into_iter()
            .map(|p| {
                let bytes = std::fs::read(&p).ok();
                (p, bytes)
            })
            .collect()
    }

    #[test]
    fn removing_a_server_takes_it_out_of_connected_clients() {
        let (_dir, ctx, path) = setup();
        assert!(std::fs::read_to_string(&path).unwrap().contains("/opt/a"));
        let (removed, applied) =
            apply(&ctx, |ws| ws.remove_server("a").map_err(ChangeError::from)).unwrap();
        assert_eq!(removed.command.as_deref(), Some(&["/opt/a".to_owned()][..]));
        assert_eq!(applied.synced.len(), 1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("/opt/a"), "{text}");
        assert!(text.contains("// mine") && text.contains("\r\n"), "{text}");
        let ws = Workspace::load(Home::new(&ctx.dockside_home)).unwrap();
        assert!(ws.server("a").is_none());
    }

    #[test]
    fn a_failed_sync_puts_every_saved_file_back_byte_for_byte() {
        let (_dir, ctx, path) = setup();
        let before = files(&ctx);
        std::fs::write(&path, "{ \"mcpServers\": { oops").unwrap();
        let err = apply(&ctx, |ws| {
            let other = CatalogFile::new(
                "other",
                ctx.dockside_home.join("catalogs/other.yaml"),
                crate::Catalog::default(),
            );
            ws.insert_catalog(other)?;
            let b = crate::Server {
                command: Some(vec!["/opt/b".into()]),
                ..Default::default()
            };
            ws.add_server("other", "b", b)?;
            ws.set_mode("a", Mode::Off).map_err(ChangeError::from)
        })
        .unwrap_err();
        assert!(matches!(err, ChangeError::Sync(_)), "{err}");
        assert_eq!(
            files(&ctx),
            before,
            "catalogs and state as they were; no new catalog"
        );
    }

    #[test]
    fn a_failed_edit_saves_nothing() {
        let (_dir, ctx, path) = setup();
        let (before, client) = (files(&ctx), std::fs::read(&path).unwrap());
        let err = apply(&ctx, |ws| {
            ws.set_mode("a", Mode::Off)?;
            Err::<(), _>(ChangeError::Core(Error::UnknownServer("x".into())))
        })
        .unwrap_err();
        assert!(err.to_string().contains("`x`"), "{err}");
        assert_eq!(files(&ctx), before);
        assert_eq!(std::fs::read(&path).unwrap(), client);
    }
}
