//! The built-in demo: catalog `demo` with server `demo`, so a fresh install has something to run.
//!
//! The server is `dockside-demo-server` (crates/demo-server): on the host (`native`/`managed`) it is the
//! binary installed beside `dockside` or found on `PATH`, stored as an absolute path; in `docker` mode it
//! is the image `dockside/demo-server:local`, which the repository's scripts build locally.

use std::path::{Path, PathBuf};

use crate::catalog::{Extension, Server, ServerType};
use crate::state::Mode;
use crate::workspace::Workspace;
use crate::Error;

pub const CATALOG: &str = "demo";
pub const SERVER: &str = "demo";
pub const BINARY: &str = "dockside-demo-server";
pub const IMAGE: &str = "dockside/demo-server:local";

/// The demo server binary: in `beside` (the running `dockside`'s directory) if there, else on `PATH`.
pub fn locate_binary(beside: Option<&Path>) -> Option<PathBuf> {
    let name = format!("{BINARY}{}", std::env::consts::EXE_SUFFIX);
    let path_dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    beside
        .map(Path::to_owned)
        .into_iter()
        .chain(path_dirs)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
        .and_then(|found| std::path::absolute(found).ok())
}

/// Installs (or refreshes the binary path of) the demo server, in memory. Idempotent: returns
/// `false`, changing nothing, when it is already installed with this binary. A first install puts it
/// in `managed` mode; later ones keep the user's mode.
pub fn install(ws: &mut Workspace, binary: &Path) -> Result<bool, Error> {
    let command = vec![binary.display().to_string()];
    match ws.server(SERVER) {
        Some(entry) if entry.server.host_command() == Some(command.as_slice()) => Ok(false),
        Some(_) => {
            ws.server_mut(SERVER)?.extension_mut().host_command = Some(command);
            Ok(true)
        }
        None => {
            let catalog = ws.catalog_mut(CATALOG)?;
            catalog.name.get_or_insert_with(|| CATALOG.to_owned());
            catalog
                .display_name
                .get_or_insert_with(|| "Dockside demo".to_owned());
            let server = Server {
                server_type: Some(ServerType::Server),
                title: Some("Dockside demo server".to_owned()),
                description: Some(
                    "A small MCP server that needs no network: echo, add, sleep, env, files…"
                        .to_owned(),
                ),
                image: Some(IMAGE.to_owned()),
                dockside: Some(Extension {
                    host_command: Some(command),
                    ..Extension::default()
                }),
                ..Server::default()
            };
            ws.add_server(CATALOG, SERVER, server)?;
            ws.set_mode(SERVER, Mode::Managed)?;
            Ok(true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::Launch;
    use crate::Home;

    #[test]
    fn installs_once_in_managed_mode() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let binary = dir.path().join(BINARY);
        std::fs::write(&binary, "").unwrap();
        let mut ws = Workspace::load(home.clone()).unwrap();
        assert!(install(&mut ws, &binary).unwrap());
        ws.save().unwrap();
        let mut ws = Workspace::open(home).unwrap();
        assert!(!install(&mut ws, &binary).unwrap());
        let Launch::Host(host) = ws.launch(SERVER).unwrap() else {
            panic!()
        };
        assert_eq!(host.program, binary.display().to_string());
        let Launch::Container(container) = ws.launch_in(SERVER, Mode::Docker).unwrap() else {
            panic!()
        };
        assert_eq!(container.image, IMAGE);
        assert_eq!(locate_binary(Some(dir.path())), Some(binary));
    }
}
