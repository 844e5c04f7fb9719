//! Containers left behind: a daemon killed with `kill -9` cannot remove its containers, so the
//! next daemon of the same home removes every container labelled with that home whose gateway
//! process is gone (or is itself, for containers it no longer runs) — at start, at shutdown, and
//! whenever Docker comes back after an outage.

use std::collections::{HashMap, HashSet};

use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use bollard::Docker;

use super::{LABEL_HOME, LABEL_MANAGED, LABEL_PID, LABEL_SERVER};

/// A container of this home: id, server name, and the pid of the gateway that started it.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: String,
    pub server: String,
    pub pid: Option<u32>,
    /// `created`, `running`, `exited`…
    pub state: String,
}

/// This home's containers, running or not.
pub async fn list(docker: &Docker, home_hash: &str) -> Result<Vec<Found>, String> {
    let filters = HashMap::from([(
        "label",
        vec![
            format!("{LABEL_MANAGED}=true"),
            format!("{LABEL_HOME}={home_hash}"),
        ],
    )]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let found = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| e.to_string())?;
    Ok(found
        .into_iter()
        .filter_map(|c| {
            let label = |key: &str| c.labels.as_ref().and_then(|l| l.get(key).cloned());
            Some(Found {
                server: label(LABEL_SERVER).unwrap_or_default(),
                pid: label(LABEL_PID).and_then(|p| p.parse().ok()),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                id: c.id?,
            })
        })
        .collect())
}

/// Whether a container belongs to nobody: started by a gateway process that is gone; or by this
/// one, not in `keep` (the containers it runs), and either exited or `all_mine` (at shutdown).
/// A container this process is creating right now is never taken for a leftover.
fn orphan(found: &Found, keep: &HashSet<String>, all_mine: bool) -> bool {
    if keep.contains(&found.id) {
        return false;
    }
    match found.pid {
        Some(pid) if pid == std::process::id() => {
            all_mine || matches!(found.state.as_str(), "exited" | "dead")
        }
        Some(pid) => !dockside_api::files::pid_alive(pid),
        None => true,
    }
}

/// Removes this home's orphaned containers (see [`orphan`]); returns how many went.
pub async fn reap(
    docker: &Docker,
    home_hash: &str,
    keep: &HashSet<String>,
    all_mine: bool,
) -> usize {
    let found = match list(docker, home_hash).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!("cannot list leftover containers: {e}");
            return 0;
        }
    };
    let mut removed = 0;
    for Found { id, server, .. } in found.into_iter().filter(|f| orphan(f, keep, all_mine)) {
        let options = RemoveContainerOptionsBuilder::default().force(true).build();
        match docker.remove_container(&id, Some(options)).await {
            Ok(()) => {
                removed += 1;
                tracing::info!(server = %server, "removed a leftover container ({})", &id[..12.min(id.len())]);
            }
            Err(e) if super::engine::is_not_found(&e) => {}
            Err(e) => tracing::warn!("cannot remove leftover container {id}: {e}"),
        }
    }
    removed
}
