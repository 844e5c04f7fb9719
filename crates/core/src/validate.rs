//! Checks that span files: what a single file's parser cannot see.
//!
//! Parsing already rejects bad syntax, wrong types, unknown modes and bad limits with their line and
//! column. This adds the rules that need everything loaded: names usable as file names and URL parts,
//! one definition per server name across all catalogs, something to run for every server, and a mode
//! each server can actually run in.

use std::collections::HashMap;
use std::path::Path;

use crate::catalog::CatalogFile;
use crate::error::check_name;
use crate::launch;
use crate::state::{Mode, State};
use crate::Issue;

pub fn check(catalogs: &[CatalogFile], state: &State, state_path: &Path) -> Vec<Issue> {
    // The package store beside the state file (only paths are computed here).
    let store = crate::packages::Store::at(state_path.with_file_name("packages"));
    let mut issues = Vec::new();
    let mut seen: HashMap<&str, &Path> = HashMap::new();
    for file in catalogs {
        if let Err(err) = check_name("catalog", &file.id) {
            issues.push(Issue::new(&file.path, err.to_string()).with_fix("rename the file"));
        }
        for (name, server) in &file.catalog.registry {
            if let Err(err) = check_name("server", name) {
                issues.push(Issue::new(&file.path, err.to_string()));
            }
            if let Some(first) = seen.insert(name, &file.path) {
                issues.push(
                    Issue::new(
                        &file.path,
                        format!("server `{name}` is also defined in {}", first.display()),
                    )
                    .with_fix(
                        "server names must be unique across catalogs: remove or rename one of them",
                    ),
                );
            }
            if server.kind().is_none() {
                issues.push(
                    Issue::new(&file.path, format!("server `{name}` has neither `image`, `command` nor `remote`"))
                        .with_fix("add `image: <image>` to run a container, or `command: [program, args…]` to run a host command"),
                );
                continue;
            }
            let server_state = state.server(name);
            if server_state.mode != Mode::Off {
                if let Err(err) =
                    launch::resolve(name, server, &server_state, server_state.mode, &store)
                {
                    issues.push(Issue::new(state_path, err.to_string()).with_fix(format!(
                        "or pick another mode: `dockside server mode {name} native|managed|docker|off`"
                    )));
                }
            }
        }
    }
    issues
}
