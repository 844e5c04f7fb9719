//! Which `dockside` binary the entries Dockside wrote into a client's file run, and whether that
//! binary is still the one to run.
//!
//! Entries run the `dockside` that wrote them ([`Launcher::detect`]): `/usr/bin/dockside` from a
//! Linux package, the app bundle's copy on macOS and Windows, `…/target/debug/dockside` from a
//! source checkout. An uninstall, a moved checkout or a rebuild with another profile would
//! break every connected client without a word: `dockside doctor` reports entries whose binary
//! is [`Health::Missing`] or [`Health::Moved`], `dockside client sync` rewrites them with the
//! current launcher, and `dockside client list` marks a [`development_build`].

use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;
use serde_json::Value;

use super::ownership::{content_hash, OwnedFile, Record};
use super::shape::Entry;
use super::spec::ClientSpec;
use super::sync::{self, Context, SyncError, Target};
use super::Launcher;
use crate::fsedit::{self, file::Snapshot};

/// A connected client file (user or project scope) and the `dockside` binaries its Dockside
/// entries run.
#[derive(Debug, Clone)]
pub struct FileLaunchers {
    pub target: Target,
    pub path: PathBuf,
    pub launchers: Vec<String>,
}

/// Every connected client file with the binaries its Dockside entries run. A file that cannot
/// be read or parsed is left out (`dockside doctor` and `client list` report those).
pub fn connected(ctx: &Context) -> Result<Vec<FileLaunchers>, SyncError> {
    let record = Record::load(&ctx.dockside_home)?;
    Ok(sync::connected(ctx)?
        .into_iter()
        .filter_map(|(target, _)| {
            let path = target.path(&ctx.env);
            let snap = Snapshot::read(&path).ok()?;
            let spec = target.spec;
            let doc = fsedit::open(spec.format, &spec.container(), &path, snap.text()).ok()?;
            let launchers = of_entries(spec, &doc.entries(), &record.file(&path));
            Some(FileLaunchers {
                target,
                path,
                launchers,
            })
        })
        .collect())
}

/// The distinct `dockside` binaries run by Dockside's own entries (`dockside connect …`,
/// `dockside exec …`, still as Dockside wrote them) among a file's `entries`, in file order.
pub fn of_entries(
    spec: &ClientSpec,
    entries: &IndexMap<String, Value>,
    owned: &OwnedFile,
) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for (name, value) in entries {
        let ours = owned
            .entries
            .get(name)
            .is_some_and(|rec| rec.matches(&content_hash(value)));
        let command = match spec.shape.decode(value) {
            Some(Entry::Stdio(c)) if ours && is_bridge(&c.command, &c.args) => c.command,
            _ => continue,
        };
        if !found.contains(&command) {
            found.push(command);
        }
    }
    found
}

/// `dockside connect …` and `dockside exec …`: an entry that runs Dockside itself.
pub fn is_bridge(command: &str, args: &[String]) -> bool {
    Path::new(command)
        .file_stem()
        .is_some_and(|s| s == "dockside")
        && args.first().is_some_and(|a| a == "connect" || a == "exec")
}

/// Whether entries running `binary` still work and run the current launcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// `binary` is the current launcher (and, as an absolute path, exists).
    Current,
    /// `binary` is an absolute path that no longer exists: the client cannot start it.
    Missing,
    /// `binary` exists (or is found on the client's `PATH`) but is not the current launcher.
    Moved,
}

pub fn health(binary: &str, current: &Launcher) -> Health {
    let path = Path::new(binary);
    if path.is_absolute() && !path.is_file() {
        Health::Missing
    } else if binary == current.0 {
        Health::Current
    } else {
        Health::Moved
    }
}

/// A binary built from a source checkout: under a cargo target folder (named `target`, or
/// holding the `CACHEDIR.TAG` cargo writes into every target folder), in a `debug` or
/// `release` profile folder (`…/target/debug/dockside`,
/// `…/target/x86_64-unknown-linux-gnu/release/dockside`).
pub fn development_build(binary: &str) -> bool {
    let binary = Path::new(binary);
    let Some(dir) = binary.parent() else {
        return false;
    };
    dir.ancestors().skip(1).any(|root| {
        let is_target =
            root.file_name().is_some_and(|n| n == "target") || root.join("CACHEDIR.TAG").is_file();
        is_target
            && dir.strip_prefix(root).is_ok_and(|rest| {
                rest.components()
                    .any(|c| matches!(c, Component::Normal(s) if s == "debug" || s == "release"))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::ownership::OwnedEntry;
    use serde_json::json;

    #[test]
    fn development_builds_are_paths_through_a_cargo_target_folder() {
        for dev in [
            "/src/dockside/target/debug/dockside",
            "/w/target/x86_64-unknown-linux-gnu/release/dockside",
            "/w/tgt/target/release/dockside.exe",
        ] {
            assert!(development_build(dev), "{dev}");
        }
        let custom = tempfile::tempdir().unwrap();
        std::fs::write(custom.path().join("CACHEDIR.TAG"), "").unwrap();
        let built = custom.path().join("debug/dockside").display().to_string();
        assert!(development_build(&built), "{built}");
        for installed in [
            "/usr/bin/dockside",
            "/Applications/Dockside.app/Contents/MacOS/dockside",
            "dockside",
            "/home/u/target/dockside",
            "/opt/debug/dockside",
        ] {
            assert!(!development_build(installed), "{installed}");
        }
    }

    #[test]
    fn health_says_missing_moved_or_current() {
        let dir = tempfile::tempdir().unwrap();
        let here = dir.path().join("dockside");
        std::fs::write(&here, "").unwrap();
        let here = here.display().to_string();
        let current = Launcher(here.clone());
        assert_eq!(health(&here, &current), Health::Current);
        let gone = dir.path().join("gone/dockside").display().to_string();
        assert_eq!(health(&gone, &current), Health::Missing);
        assert_eq!(health(&gone, &Launcher(gone.clone())), Health::Missing);
        assert_eq!(health("dockside", &current), Health::Moved);
    }

    #[test]
    fn only_dockside_s_own_bridge_entries_count() {
        let spec = crate::clients::by_id("claude-desktop").unwrap();
        let bridge = json!({"command": "/old/dockside", "args": ["connect", "--server", "a"]});
        let exec = json!({"command": "/old/dockside", "args": ["exec", "b"]});
        let edited = json!({"command": "/x/dockside", "args": ["connect", "--server", "c"]});
        let users = json!({"command": "/y/dockside", "args": ["connect"]});
        let native = json!({"command": "npx", "args": ["-y", "pkg"]});
        let mut owned = OwnedFile::default();
        for (name, v) in [("a", &bridge), ("b", &exec), ("n", &native)] {
            owned
                .entries
                .insert(name.into(), OwnedEntry::new(content_hash(v), None));
        }
        owned.entries.insert(
            "c".into(),
            OwnedEntry::new(content_hash(&json!({"edited": "by the user"})), None),
        );
        let entries: IndexMap<String, Value> = [
            ("a", bridge),
            ("b", exec),
            ("c", edited),
            ("u", users),
            ("n", native),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
        assert_eq!(of_entries(spec, &entries, &owned), vec!["/old/dockside"]);
    }
}
