//! Live reload for development: a server with `watch` paths (`x-dockside.watch` in its catalog
//! entry; by default the directory of the script its command runs, see
//! `service::config::default_watch`) is restarted alone, debounced, when a file there changes;
//! its clients get `list_changed` and see the new tools without reconnecting. In docker mode the
//! code is bind-mounted, so a restart runs the new code without an image rebuild. A server in
//! a crash loop restarts too: fixing the code is how a developer gets out of one.
//!
//! Entries are files, directories (watched recursively) or globs (`src/**/*.py`). Changes in
//! hidden paths, `node_modules`, `__pycache__` and `target` are ignored.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::engine::gateway::{Gateway, Observer};
use crate::engine::watch::{self, RecursiveMode, WatchGuard};
use crate::upstream::UpstreamSpec;

/// One server's watcher; dropping it stops watching.
struct CodeWatch {
    paths: Vec<PathBuf>,
    _guard: WatchGuard,
}

const IGNORED: &[&str] = &["node_modules", "__pycache__", "target"];

fn ignored(path: &Path) -> bool {
    path.components().any(|c| match c {
        Component::Normal(n) => {
            let n = n.to_string_lossy();
            (n.starts_with('.') && n.len() > 1) || IGNORED.contains(&n.as_ref()) || n.ends_with('~')
        }
        _ => false,
    })
}

fn is_glob(p: &Path) -> bool {
    p.to_string_lossy().contains(['*', '?', '['])
}

/// Directories watched per server at most (each is one inotify watch on Linux).
const MAX_DIRS: usize = 2000;

/// `dir` and its subdirectories, skipping ignored ones (`node_modules`…): a recursive OS watch
/// would walk those too.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if out.len() >= MAX_DIRS {
            tracing::warn!(
                "live reload watches the first {MAX_DIRS} directories under {} only",
                dir.display()
            );
            return;
        }
        if out.contains(&d) {
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                let p = e.path();
                if e.file_type().is_ok_and(|t| t.is_dir()) && !ignored(Path::new(&e.file_name())) {
                    stack.push(p);
                }
            }
        }
        out.push(d);
    }
}

/// What to watch for `entries` (directories, each non-recursively), and which changed paths
/// count. Reads the file system: call it off the async runtime.
fn plan(entries: &[PathBuf]) -> (Vec<(PathBuf, RecursiveMode)>, Vec<Target>) {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut targets = Vec::new();
    for e in entries {
        if is_glob(e) {
            let base: PathBuf = e
                .components()
                .take_while(|c| !is_glob(Path::new(c.as_os_str())))
                .collect();
            if let Ok(p) = glob::Pattern::new(&e.to_string_lossy()) {
                walk(&base, &mut dirs);
                targets.push(Target::Glob(base, p));
            }
        } else if e.is_dir() {
            walk(e, &mut dirs);
            targets.push(Target::Under(e.clone()));
        } else if let Some(parent) = e.parent() {
            if !dirs.iter().any(|d| d == parent) {
                dirs.push(parent.to_path_buf());
            }
            targets.push(Target::File(e.clone()));
        }
    }
    dirs.retain(|d| d.is_dir());
    let dirs = dirs
        .into_iter()
        .map(|d| (d, RecursiveMode::NonRecursive))
        .collect();
    (dirs, targets)
}

enum Target {
    File(PathBuf),
    Under(PathBuf),
    Glob(PathBuf, glob::Pattern),
}

impl Target {
    fn matches(&self, p: &Path) -> bool {
        match self {
            Target::File(f) => p == f,
            Target::Under(d) => p.starts_with(d) && !ignored(p.strip_prefix(d).unwrap_or(p)),
            Target::Glob(base, g) => {
                g.matches_path(p) && !ignored(p.strip_prefix(base).unwrap_or(p))
            }
        }
    }
}

/// Live reload, installed on a gateway with [`Gateway::observe`]: watches each wanted server's
/// `watch` paths and reloads it when they change.
#[derive(Default)]
pub struct LiveReload {
    watches: Arc<Mutex<HashMap<String, CodeWatch>>>,
}

impl LiveReload {
    pub fn new() -> Arc<LiveReload> {
        Arc::new(LiveReload::default())
    }
}

impl Observer for LiveReload {
    /// Watches the server's `watch` paths (replacing an older watcher when they changed). The
    /// directories are listed and watched on the blocking pool.
    fn wanted(&self, gw: &Gateway, spec: &UpstreamSpec) {
        {
            let mut all = self.watches.lock().unwrap();
            if all.get(&spec.name).is_some_and(|w| w.paths == spec.watch) {
                return;
            }
            all.remove(&spec.name);
        }
        if spec.watch.is_empty() {
            return;
        }
        let gw = gw.downgrade();
        let watches = self.watches.clone();
        let (name, paths) = (spec.name.clone(), spec.watch.clone());
        tokio::task::spawn_blocking(move || {
            let (dirs, targets) = plan(&paths);
            if dirs.is_empty() {
                tracing::warn!(server = %name, "live reload: none of {paths:?} exists");
                return;
            }
            let filter = move |p: &Path| targets.iter().any(|t| t.matches(p));
            let on_change = {
                let (gw, name) = (gw.clone(), name.clone());
                move || {
                    let (gw, name) = (gw.clone(), name.clone());
                    async move {
                        if let Some(gw) = gw.upgrade() {
                            tracing::info!(server = %name, "source changed: restarting it");
                            gw.reload_server(&name).await;
                        }
                    }
                }
            };
            let guard = match watch::watch_with(dirs, filter, on_change) {
                Ok(guard) => guard,
                Err(e) => {
                    tracing::warn!(server = %name, "live reload is off: {e:#}");
                    return;
                }
            };
            // Stopped meanwhile: drop the watcher.
            if gw.upgrade().is_some_and(|gw| gw.wants(&name)) {
                let watch = CodeWatch {
                    paths,
                    _guard: guard,
                };
                watches.lock().unwrap().insert(name, watch);
            }
        });
    }

    fn dropped(&self, name: &str) {
        self.watches.lock().unwrap().remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_dirs_files_and_globs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("src/node_modules")).unwrap();
        std::fs::write(d.join("server.py"), "").unwrap();
        let (dirs, targets) = plan(&[d.join("server.py"), d.join("src"), d.join("lib/**/*.ts")]);
        // src/ (not its node_modules) and the script's directory; lib/ does not exist.
        assert_eq!(dirs.len(), 2, "{dirs:?}");
        assert!(dirs.iter().all(|(d, _)| !d.ends_with("node_modules")));
        let hit = |p: PathBuf| targets.iter().any(|t| t.matches(&p));
        assert!(hit(d.join("server.py")));
        assert!(!hit(d.join("other.py")));
        assert!(hit(d.join("src/a/b.js")));
        assert!(!hit(d.join("src/node_modules/x.js")));
        assert!(!hit(d.join("src/.git/HEAD")));
        assert!(hit(d.join("lib/x/y.ts")));
        assert!(!hit(d.join("lib/x/y.js")));
    }
}
