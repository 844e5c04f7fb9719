//! Which servers run an unpinned package, and recording a pin in the catalog.

use super::{detect, Invocation, Package};
use crate::template::render_all;
use crate::{Error, Workspace};

/// Servers (of `only`, or all) whose host command runs a package through a launcher, with what
/// the command asks for; `unpinned_only` leaves out those already pinned to that package.
pub fn launched(ws: &Workspace, only: &[String], unpinned_only: bool) -> Vec<(String, Invocation)> {
    ws.servers()
        .filter(|e| only.is_empty() || only.iter().any(|n| n == e.name))
        .filter_map(|e| {
            let command = render_all(e.server.host_command()?, e.name, &e.state.config);
            let invocation = detect(&command)?;
            let pinned = e
                .server
                .package()
                .is_some_and(|p| p.name == invocation.name);
            (!(unpinned_only && pinned)).then(|| (e.name.to_owned(), invocation))
        })
        .collect()
}

/// Records `package` as the pin of server `name` (`x-dockside.package`).
pub fn set(ws: &mut Workspace, name: &str, package: Package) -> Result<bool, Error> {
    let server = ws.server_mut(name)?;
    if server.package() == Some(&package) {
        return Ok(false);
    }
    server.extension_mut().package = Some(package);
    Ok(true)
}
