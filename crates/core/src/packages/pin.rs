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

/// One server's pin before and after resolving what its command asks for.
#[derive(Debug, Clone)]
pub struct Update {
    pub name: String,
    pub from: Option<Package>,
    pub to: Result<Package, String>,
}

impl Update {
    /// The newer pin, when there is one to move to.
    pub fn newer(&self) -> Option<&Package> {
        let to = self.to.as_ref().ok()?;
        (self.from.as_ref().map(|f| &f.version) != Some(&to.version)).then_some(to)
    }
}

/// Resolves the package of each server among `only` (all when empty) that runs one, through the
/// registries (`unpinned_only` as in [`launched`]). Runs the package managers: call it off any
/// UI thread.
pub fn resolve(ws: &Workspace, only: &[String], unpinned_only: bool) -> Vec<Update> {
    let store = ws.packages();
    launched(ws, only, unpinned_only)
        .into_iter()
        .map(|(name, invocation)| Update {
            from: ws.server(&name).and_then(|e| e.server.package().cloned()),
            to: store.resolve(&invocation).map_err(|e| e.to_string()),
            name,
        })
        .collect()
}

/// Records every resolved pin of `updates`; whether any changed.
pub fn record(ws: &mut Workspace, updates: &[Update]) -> Result<bool, Error> {
    let mut changed = false;
    for u in updates {
        if let Ok(package) = &u.to {
            changed |= set(ws, &u.name, package.clone())?;
        }
    }
    Ok(changed)
}
