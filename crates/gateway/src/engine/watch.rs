//! Hot reload: watches the catalogs and the state file, debounced, and calls back once things
//! settle. Editors and atomic saves produce bursts of events (temp file, rename); the callback
//! runs once per burst, 300 ms after the last event.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use notify::RecursiveMode;
use notify::Watcher;
use tokio::sync::mpsc;

pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Keeps the watch alive; dropping it stops watching.
pub struct WatchGuard {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn relevant(path: &Path, targets: &[PathBuf]) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with('.') {
        return false;
    }
    targets.iter().any(|t| {
        if t.is_dir() || t.extension().is_none() {
            // A directory of catalogs: any YAML file in it.
            path.parent() == Some(t.as_path())
                && path.extension().is_some_and(|e| e == "yaml" || e == "yml")
        } else {
            path == t
        }
    })
}

/// Watches `targets` (files, or directories whose YAML files count) and runs `on_change`
/// after each burst of changes.
pub fn watch<F, Fut>(targets: Vec<PathBuf>, on_change: F) -> anyhow::Result<WatchGuard>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let mut dirs: Vec<PathBuf> = Vec::new();
    for t in &targets {
        let dir = if t.is_dir() || t.extension().is_none() {
            let _ = std::fs::create_dir_all(t);
            t.clone()
        } else {
            t.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."))
        };
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let watched = dirs
        .into_iter()
        .map(|d| (d, RecursiveMode::NonRecursive))
        .collect();
    watch_with(watched, move |p| relevant(p, &targets), on_change)
}

/// Watches `dirs` and runs `on_change` after each burst of changes to paths `filter` accepts.
pub fn watch_with<P, F, Fut>(
    dirs: Vec<(PathBuf, RecursiveMode)>,
    filter: P,
    on_change: F,
) -> anyhow::Result<WatchGuard>
where
    P: Fn(&Path) -> bool + Send + 'static,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let (tx, mut rx) = mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(event) = res {
            if matches!(event.kind, notify::EventKind::Access(_)) {
                return;
            }
            if event.paths.iter().any(|p| filter(p)) {
                let _ = tx.send(());
            }
        }
    })?;
    for (dir, mode) in &dirs {
        watcher
            .watch(dir, *mode)
            .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", dir.display()))?;
    }
    let task = tokio::spawn(async move {
        while rx.recv().await.is_some() {
            // Debounce: wait until no event came for DEBOUNCE.
            loop {
                match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            tracing::debug!("watched files changed");
            on_change().await;
        }
    });
    Ok(WatchGuard {
        _watcher: watcher,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relevance() {
        let dir = tempfile_dir();
        let catalogs = dir.join("catalogs");
        std::fs::create_dir_all(&catalogs).unwrap();
        let state = dir.join("state.yaml");
        let targets = vec![state.clone(), catalogs.clone()];
        assert!(relevant(&state, &targets));
        assert!(relevant(&catalogs.join("a.yaml"), &targets));
        assert!(!relevant(&catalogs.join(".a.yaml.tmp"), &targets));
        assert!(!relevant(&catalogs.join("notes.txt"), &targets));
        assert!(!relevant(&dir.join("daemon.json"), &targets));
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("dockside-watch-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
