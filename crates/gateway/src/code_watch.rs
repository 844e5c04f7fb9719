//! Live reload for development: a server with `watch` paths (`x-dockside.watch` in its catalog
//! entry; by default the directory of the script its command runs, see
//! [`crate::config::default_watch`]) is restarted alone, debounced, when a file there changes;
//! its clients get `list_changed` and see the new tools without reconnecting. In docker mode the
//! code is bind-mounted, so a restart runs the new code without an image rebuild. A server in
//! a crash loop restarts too: fixing the code is how a developer gets out of one.
//!
//! Entries are files, directories (watched recursively) or globs (`src/**/*.py`). Changes in
//! hidden paths, `node_modules`, `__pycache__` and `target` are ignored.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::gateway::Gateway;
use crate::upstream::UpstreamSpec;
use crate::watch::{self, RecursiveMode, WatchGuard};

/// One server's watcher; dropping it stops watching.
pub(crate) struct CodeWatch {
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

/// What to watch for `entries`, and which changed paths count.
fn plan(entries: &[PathBuf]) -> (Vec<(PathBuf, RecursiveMode)>, Vec<Target>) {
    let mut dirs: Vec<(PathBuf, RecursiveMode)> = Vec::new();
    let mut targets = Vec::new();
    let mut add = |d: PathBuf, m: RecursiveMode| {
        if !dirs.iter().any(|(x, _)| x == &d) {
            dirs.push((d, m));
        }
    };
    for e in entries {
        if is_glob(e) {
            let base: PathBuf = e
                .components()
                .take_while(|c| !is_glob(Path::new(c.as_os_str())))
                .collect();
            if let Ok(p) = glob::Pattern::new(&e.to_string_lossy()) {
                add(base.clone(), RecursiveMode::Recursive);
                targets.push(Target::Glob(base, p));
            }
        } else if e.is_dir() {
            add(e.clone(), RecursiveMode::Recursive);
            targets.push(Target::Under(e.clone()));
        } else if let Some(parent) = e.parent() {
            add(parent.to_path_buf(), RecursiveMode::NonRecursive);
            targets.push(Target::File(e.clone()));
        }
    }
    dirs.retain(|(d, _)| d.is_dir());
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

impl Gateway {
    /// Watches the server's `watch` paths (replacing an older watcher when they changed).
    pub(crate) fn watch_code(&self, spec: &UpstreamSpec) {
        let mut all = self.inner.code_watch.lock().unwrap();
        if spec.watch.is_empty() {
            all.remove(&spec.name);
            return;
        }
        if all.get(&spec.name).is_some_and(|w| w.paths == spec.watch) {
            return;
        }
        let (dirs, targets) = plan(&spec.watch);
        if dirs.is_empty() {
            tracing::warn!(server = %spec.name, "nothing to watch: none of {:?} exists", spec.watch);
            all.remove(&spec.name);
            return;
        }
        let gw = Arc::downgrade(&self.inner);
        let name = spec.name.clone();
        let filter = move |p: &Path| targets.iter().any(|t| t.matches(p));
        let watching = watch::watch_with(dirs, filter, move || {
            let gw = gw.clone();
            let name = name.clone();
            async move {
                if let Some(inner) = gw.upgrade() {
                    Gateway::from_inner(inner).code_changed(&name).await;
                }
            }
        });
        match watching {
            Ok(guard) => {
                all.insert(
                    spec.name.clone(),
                    CodeWatch {
                        paths: spec.watch.clone(),
                        _guard: guard,
                    },
                );
            }
            Err(e) => tracing::warn!(server = %spec.name, "live reload is off: {e:#}"),
        }
    }

    pub(crate) fn unwatch_code(&self, name: &str) {
        self.inner.code_watch.lock().unwrap().remove(name);
    }

    async fn code_changed(&self, name: &str) {
        let spec = self.inner.wanted.lock().unwrap().get(name).cloned();
        let spec = spec.or_else(|| {
            self.inner
                .supervision
                .lock()
                .unwrap()
                .get(name)
                .and_then(|h| h.crash_loop.clone())
        });
        let Some(spec) = spec else { return };
        tracing::info!(server = %name, "source changed: restarting it");
        if let Some(old) = self.inner.upstreams.write().unwrap().shift_remove(name) {
            tokio::spawn(async move { old.stop(std::time::Duration::from_secs(2)).await });
        }
        if let Err(e) = self.start_server(spec).await {
            tracing::warn!("live reload: {e}");
        }
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
        // lib/ does not exist: not watched.
        assert_eq!(dirs.len(), 2, "{dirs:?}");
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
